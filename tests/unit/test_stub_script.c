/* Unit tests for the stub's scripted-stream files (stub/script.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "stub/script.h"

static script_t *parse_ok(const char *text)
{
    script_t *s = NULL;
    char err[200] = "";
    int rc = script_parse(text, strlen(text), &s, err, sizeof err);
    if (rc)
        fail_msg("script_parse: %s", err);
    return s;
}

static void test_every_directive(void **state)
{
    (void)state;
    script_t *s = parse_ok("# a scripted chat stream\n"
                           "wait 120ms\n"
                           "role\n"
                           "token\n"
                           "wait 20ms   # gap\n"
                           "token 3\n"
                           "token \"Hello \\\"you\\\"\\n\"\n"
                           "token 2 \"two\"\n"
                           "empty\n"
                           "comment keep-alive\n"
                           "eol crlf\n"
                           "split 5 2ms\n"
                           "split 0\n"
                           "error the engine died\n"
                           "raw \"data: {\\\"x\\\":1}\\r\\n\\r\\n\"\n"
                           "finish stop\n"
                           "usage\n"
                           "usage 7\n"
                           "done\n"
                           "drop\n"
                           "reset\n"
                           "stall\n");
    const script_step_t *st = s->steps;
    assert_int_equal(s->nsteps, 21);
    assert_int_equal(st[0].op, SCRIPT_WAIT);
    assert_int_equal(st[0].ns, 120 * CLOCK_NS_PER_MS);
    assert_int_equal(st[1].op, SCRIPT_ROLE);
    assert_int_equal(st[2].op, SCRIPT_TOKEN);
    assert_int_equal(st[2].n, 1);
    assert_null(st[2].text);
    assert_int_equal(st[3].ns, 20 * CLOCK_NS_PER_MS);
    assert_int_equal(st[4].n, 3);
    assert_int_equal(st[5].n, 1);
    assert_int_equal(st[5].len, strlen("Hello \"you\"\n"));
    assert_memory_equal(st[5].text, "Hello \"you\"\n", st[5].len);
    assert_int_equal(st[6].n, 2);
    assert_memory_equal(st[6].text, "two", 3);
    assert_int_equal(st[7].op, SCRIPT_EMPTY);
    assert_int_equal(st[8].op, SCRIPT_COMMENT);
    assert_memory_equal(st[8].text, "keep-alive", st[8].len);
    assert_int_equal(st[9].op, SCRIPT_EOL);
    assert_int_equal(st[9].n, 1);
    assert_int_equal(st[10].op, SCRIPT_SPLIT);
    assert_int_equal(st[10].n, 5);
    assert_int_equal(st[10].ns, 2 * CLOCK_NS_PER_MS);
    assert_int_equal(st[11].n, 0);
    assert_int_equal(st[12].op, SCRIPT_ERROR);
    assert_memory_equal(st[12].text, "the engine died", st[12].len);
    assert_int_equal(st[13].op, SCRIPT_RAW);
    assert_memory_equal(st[13].text, "data: {\"x\":1}\r\n\r\n", st[13].len);
    assert_int_equal(st[14].op, SCRIPT_FINISH);
    assert_string_equal(st[14].text, "stop");
    assert_int_equal(st[15].n, SCRIPT_COUNT_SENT);
    assert_int_equal(st[16].n, 7);
    assert_int_equal(st[17].op, SCRIPT_DONE);
    assert_int_equal(st[18].op, SCRIPT_DROP);
    assert_int_equal(st[19].op, SCRIPT_RESET);
    assert_int_equal(st[20].op, SCRIPT_STALL);
    script_free(s);
}

static void test_token_before_finish_is_marked_last(void **state)
{
    (void)state;
    script_t *s = parse_ok("token\nwait 1ms\ntoken 2\neol crlf\nfinish\n");
    assert_false(s->steps[0].last); /* a wait between: not folded */
    assert_true(s->steps[2].last);
    assert_null(s->steps[4].text); /* default reason */
    script_free(s);
}

static void test_crlf_and_empty_script(void **state)
{
    (void)state;
    script_t *s = parse_ok("wait 5ms\r\ntoken\r\n\r\n");
    assert_int_equal(s->nsteps, 2);
    script_free(s);
    s = parse_ok("");
    assert_int_equal(s->nsteps, 0);
    script_free(s);
    s = parse_ok("comment \"# not a comment\" # a comment\n");
    assert_int_equal(s->nsteps, 1);
    assert_memory_equal(s->steps[0].text, "# not a comment", s->steps[0].len);
    script_free(s);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    const struct {
        const char *text, *want;
    } bad[] = {
        {"token\nfrobnicate\n", "line 2: unknown directive 'frobnicate'"},
        {"wait\n", "line 1: wait needs a duration"},
        {"wait soon\n", "line 1: 'soon'"},
        {"token x\n", "line 1: 'x'"},
        {"token \"open\n", "line 1: unterminated"},
        {"raw \"\\q\"\n", "line 1: unknown escape"},
        {"eol windows\n", "line 1: eol takes lf, crlf or cr"},
        {"done now\n", "line 1: unexpected text"},
        {"split\n", "line 1: split needs a byte count"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        script_t *s = NULL;
        char err[200] = "";
        assert_int_equal(script_parse(bad[i].text, strlen(bad[i].text), &s, err, sizeof err),
                         EINVAL);
        assert_null(s);
        if (strncmp(err, bad[i].want, strlen(bad[i].want)))
            fail_msg("%s: got '%s', want '%s...'", bad[i].text, err, bad[i].want);
    }
}

static void test_load_model_and_missing_file(void **state)
{
    (void)state;
    char path[] = "/tmp/tg-script-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "token 2\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char spec[300], err[300];
    script_t *s = NULL;
    snprintf(spec, sizeof spec, "llama=%s", path);
    assert_int_equal(script_load(spec, &s, err, sizeof err), 0);
    assert_string_equal(s->model, "llama");
    assert_int_equal(s->nsteps, 1);
    script_free(s);
    assert_int_equal(script_load(path, &s, err, sizeof err), 0);
    assert_null(s->model);
    script_free(s);
    unlink(path);
    assert_int_equal(script_load(path, &s, err, sizeof err), ENOENT);
    assert_non_null(strstr(err, "cannot read"));
    script_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_directive),
        cmocka_unit_test(test_token_before_finish_is_marked_last),
        cmocka_unit_test(test_crlf_and_empty_script),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_load_model_and_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
