/* inputs: JSON Lines loading, compact text, cycling, generated items. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "load/inputs.h"

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/tg_inputs_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void item_is(const inputs_t *in, uint64_t i, const char *want)
{
    char buf[256];
    assert_true(inputs_max_len(in) < sizeof(buf));
    size_t n = inputs_item(in, i, buf);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
}

static void test_generated(void **state)
{
    (void)state;
    inputs_t *in;
    assert_int_equal(inputs_generated(&in), 0);
    assert_int_equal(inputs_count(in), 0);
    item_is(in, 0, "\"input-0\"");
    item_is(in, 7, "\"input-7\"");
    item_is(in, 1234567, "\"input-1234567\"");
    char buf[64];
    assert_int_equal(inputs_item(in, UINT64_MAX, buf), inputs_max_len(in));
    assert_memory_equal(buf, "\"input-18446744073709551615\"", inputs_max_len(in));
    inputs_free(in);
}

static void test_file_compact_and_cycling(void **state)
{
    (void)state;
    char *path = write_tmp("{ \"text\" : \"a b\" }\n\n  [1, 2,\t3]  \r\n\"str\"\n42\n");
    inputs_t *in;
    char err[256] = "";
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), 0);
    assert_int_equal(inputs_count(in), 4);
    item_is(in, 0, "{\"text\":\"a b\"}");
    item_is(in, 1, "[1,2,3]");
    item_is(in, 2, "\"str\"");
    item_is(in, 3, "42");
    item_is(in, 4, "{\"text\":\"a b\"}"); /* cycles */
    item_is(in, 7, "42");
    assert_int_equal(inputs_max_len(in), strlen("{\"text\":\"a b\"}"));
    inputs_free(in);
    unlink(path);
    free(path);
}

static void test_file_no_trailing_newline(void **state)
{
    (void)state;
    char *path = write_tmp("1\n2");
    inputs_t *in;
    char err[256];
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), 0);
    assert_int_equal(inputs_count(in), 2);
    item_is(in, 1, "2");
    inputs_free(in);
    unlink(path);
    free(path);
}

static void test_file_bad_line_names_line(void **state)
{
    (void)state;
    char *path = write_tmp("1\n{\"ok\":true}\n{broken\n");
    inputs_t *in = NULL;
    char err[256] = "";
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), EINVAL);
    assert_non_null(strstr(err, ":3:"));
    assert_non_null(strstr(err, path));
    unlink(path);
    free(path);
}

static void test_file_empty(void **state)
{
    (void)state;
    char *path = write_tmp("\n  \n");
    inputs_t *in = NULL;
    char err[256] = "";
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), EINVAL);
    assert_true(strlen(err) > 0);
    unlink(path);
    free(path);
}

static void test_file_missing(void **state)
{
    (void)state;
    inputs_t *in = NULL;
    char err[256] = "";
    assert_int_equal(inputs_load_file("/nonexistent/x.jsonl", &in, err, sizeof(err)), ENOENT);
    assert_non_null(strstr(err, "/nonexistent/x.jsonl"));
}

static void test_many_lines(void **state)
{
    (void)state;
    size_t n = 20000;
    char *text = malloc(n * 32);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "{\"i\": %zu}\n", i);
    char *path = write_tmp(text);
    inputs_t *in;
    char err[256];
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), 0);
    assert_int_equal(inputs_count(in), n);
    item_is(in, 12345, "{\"i\":12345}");
    item_is(in, n + 1, "{\"i\":1}");
    inputs_free(in);
    unlink(path);
    free(path);
    free(text);
}

/* The digest depends on which items were sent, not on how threads split them. */
static void test_digest_independent_of_threads(void **state)
{
    (void)state;
    inputs_t *in = NULL;
    assert_int_equal(inputs_generated(&in), 0);
    uint8_t one[32], two[32], three[32], fewer[32];
    uint64_t sent1[] = {10};
    uint64_t sent2[] = {5, 5};
    uint64_t sent3[] = {4, 3, 3};
    uint64_t sent_fewer[] = {5, 4};
    assert_int_equal(inputs_digest(in, sent1, 1, one), 0);
    assert_int_equal(inputs_digest(in, sent2, 2, two), 0);
    assert_int_equal(inputs_digest(in, sent3, 3, three), 0);
    assert_int_equal(inputs_digest(in, sent_fewer, 2, fewer), 0);
    assert_memory_equal(one, two, 32);
    assert_memory_equal(one, three, 32);
    assert_memory_not_equal(one, fewer, 32);
    inputs_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_file_compact_and_cycling),
        cmocka_unit_test(test_file_no_trailing_newline),
        cmocka_unit_test(test_file_bad_line_names_line),
        cmocka_unit_test(test_file_empty),
        cmocka_unit_test(test_file_missing),
        cmocka_unit_test(test_many_lines),
        cmocka_unit_test(test_digest_independent_of_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
