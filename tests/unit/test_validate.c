/* validate (outputs counting JSON scanner) and reqfmt (request bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "load/inputs.h"
#include "load/reqfmt.h"
#include "load/validate.h"

static long count(const char *s)
{
    return validate_outputs_count(s, strlen(s));
}

static void test_outputs_counted(void **state)
{
    (void)state;
    assert_int_equal(count("{\"model\":\"m\",\"outputs\":[\"a\",\"b\",\"c\"]}"), 3);
    assert_int_equal(count(" {\"outputs\" : [] } \n"), 0);
    assert_int_equal(count("{\"outputs\":[{\"x\":[1,2,{\"outputs\":[1]}]},[],null,true,-1.5e3]}"),
                     5);
    assert_int_equal(count("{\"a\":{\"outputs\":[1,2]},\"outputs\":[\"\\\"]\\u00e9\"]}"), 1);
}

static void test_outputs_rejected(void **state)
{
    (void)state;
    assert_int_equal(count(""), -1);
    assert_int_equal(count("[1,2]"), -1);
    assert_int_equal(count("{\"outputs\":\"x\"}"), -1);
    assert_int_equal(count("{\"other\":[1]}"), -1);
    assert_int_equal(count("{\"outputs\":[1,2]"), -1);
    assert_int_equal(count("{\"outputs\":[1,2,]}"), -1);
    assert_int_equal(count("{\"outputs\":[01]}"), -1);
    assert_int_equal(count("{\"outputs\":[1]} x"), -1);
    assert_int_equal(count("{\"outputs\":[\"\\q\"]}"), -1);
    assert_int_equal(count("{\"outputs\":[tru]}"), -1);
    char deep[300];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 99);
    deep[299] = 0;
    char body[400];
    snprintf(body, sizeof(body), "{\"outputs\":[%s]}", deep);
    assert_int_equal(count(body), -1);
}

static void test_outputs_matches_jansson_on_prefixes(void **state)
{
    (void)state;
    /* Every truncation of a valid body is invalid, never a crash or a count. */
    const char *s = "{\"model\":\"m\",\"outputs\":[\"o-1\",{\"k\":[1,2.5,null]},false]}";
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        char *copy = malloc(i ? i : 1);
        memcpy(copy, s, i);
        assert_int_equal(validate_outputs_count(copy, i), -1);
        free(copy);
    }
    assert_int_equal(validate_outputs_count(s, n), 3);
}

static void test_reqfmt_items(void **state)
{
    (void)state;
    url_t url = {0};
    strcpy(url.path, "/v1/infer");
    strcpy(url.authority, "127.0.0.1:8000");
    inputs_t *in;
    assert_int_equal(inputs_generated(&in), 0);
    const char *hdrs[] = {"X-Api-Key: k"};
    reqfmt_t r;
    assert_int_equal(reqfmt_init(&r, &url, NULL, "m\"x", in, 3, NULL, 0, hdrs, 1), 0);
    assert_false(reqfmt_is_fixed(&r));
    char *buf = malloc(r.buf_size);
    const char *start;
    size_t len = reqfmt_build(&r, buf, 5, 4, 3, &start);
    const char *want_body =
        "{\"model\":\"m\\\"x\",\"inputs\":[\"input-5\",\"input-9\",\"input-13\"]}";
    char want[512];
    snprintf(want, sizeof(want),
             "POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: "
             "application/json\r\nX-Api-Key: k\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(want_body), want_body);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(start, want, len);
    assert_true(start >= buf && start + len <= buf + r.buf_size);
    /* The body is valid JSON. */
    json_t *j = json_loads(want_body, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    /* Largest possible request fits. */
    len = reqfmt_build(&r, buf, UINT64_MAX - 10, 1, 3, &start);
    assert_true(start >= buf && start + len <= buf + r.buf_size);
    free(buf);
    reqfmt_close(&r);
    inputs_free(in);
}

static void test_reqfmt_fixed(void **state)
{
    (void)state;
    url_t url = {0};
    strcpy(url.path, "/");
    strcpy(url.authority, "h");
    reqfmt_t r;
    const char *start;
    assert_int_equal(reqfmt_init(&r, &url, "PUT", NULL, NULL, 1, "abc", 3, NULL, 0), 0);
    assert_true(reqfmt_is_fixed(&r));
    size_t len = reqfmt_build(&r, NULL, 0, 1, 1, &start);
    const char *want = "PUT / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                       "Content-Length: 3\r\n\r\nabc";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(start, want, len);
    reqfmt_close(&r);
    const char *hdrs[] = {"host: other"};
    assert_int_equal(reqfmt_init(&r, &url, "GET", NULL, NULL, 1, NULL, 0, hdrs, 1), 0);
    len = reqfmt_build(&r, NULL, 0, 1, 1, &start);
    want = "GET / HTTP/1.1\r\nhost: other\r\n\r\n";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(start, want, len);
    assert_true(!r.head_request);
    reqfmt_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs_counted),
        cmocka_unit_test(test_outputs_rejected),
        cmocka_unit_test(test_outputs_matches_jansson_on_prefixes),
        cmocka_unit_test(test_reqfmt_items),
        cmocka_unit_test(test_reqfmt_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
