/* Tests for load/h2req: the HTTP/1.1 request reqfmt builds, as HTTP/2
 * header fields (RFC 9113 §8.3.1 pseudo-headers, §8.2.2 connection-specific
 * fields dropped, names lower-cased), the per-request content-length, and
 * heads that vary per request translated per request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "load/h2req.h"
#include "load/reqfmt.h"

/* "name: value" of field i, for comparison. */
static const char *show(const nghttp2_nv *nv, size_t i)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%.*s: %.*s", (int)nv[i].namelen, (const char *)nv[i].name,
             (int)nv[i].valuelen, (const char *)nv[i].value);
    return buf;
}

static void test_h2req_translates_a_post(void **state)
{
    (void)state;
    static const char req[] = "POST /v1/infer?x=1 HTTP/1.1\r\n"
                              "Host: example.com:8443\r\n"
                              "Content-Type: application/json\r\n"
                              "Connection: keep-alive\r\n"
                              "Keep-Alive: timeout=5\r\n"
                              "Upgrade: h2c\r\n"
                              "TE: gzip\r\n"
                              "Authorization: Bearer X\r\n"
                              "X-Mixed-Case: Value Kept\r\n"
                              "Content-Length: 5\r\n"
                              "\r\n"
                              "hello";
    h2req_t h;
    char err[200];
    assert_int_equal(h2req_init(&h, req, sizeof req - 1, "https", false, err, sizeof err), 0);
    static const char *const want[] = {
        ":method: POST",
        ":scheme: https",
        ":authority: example.com:8443",
        ":path: /v1/infer?x=1",
        "content-type: application/json",
        "authorization: Bearer X",
        "x-mixed-case: Value Kept",
    };
    assert_int_equal(h.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < h.n; i++)
        assert_string_equal(show(h.nv, i), want[i]);
    assert_true(h.body);

    nghttp2_nv nv[H2REQ_MAX_FIELDS];
    char cl[24];
    size_t n = h2req_fields(&h, NULL, 0, 12345, cl, nv);
    assert_int_equal(n, h.n + 1);
    assert_string_equal(show(nv, n - 1), "content-length: 12345");
    assert_true(nv[0].flags & NGHTTP2_NV_FLAG_NO_COPY_VALUE);
    assert_int_equal(h2req_body_offset(req, sizeof req - 1), sizeof req - 1 - 5);
    h2req_close(&h);
    h2req_close(&h); /* closed twice is fine */
}

static void test_h2req_get_has_no_content_length(void **state)
{
    (void)state;
    static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\nTE: trailers\r\n\r\n";
    h2req_t h;
    char err[200];
    assert_int_equal(h2req_init(&h, req, sizeof req - 1, "http", false, err, sizeof err), 0);
    assert_false(h.body);
    nghttp2_nv nv[H2REQ_MAX_FIELDS];
    char cl[24];
    assert_int_equal(h2req_fields(&h, NULL, 0, 0, cl, nv), 5);
    assert_string_equal(show(nv, 4), "te: trailers"); /* the one TE HTTP/2 allows */
    assert_int_equal(h2req_body_offset(req, sizeof req - 1), sizeof req - 1);
    h2req_close(&h);
}

/* What reqfmt builds -- the real input -- translates whole. */
static void test_h2req_from_reqfmt(void **state)
{
    (void)state;
    url_t url;
    char err[200];
    assert_int_equal(url_parse("http://127.0.0.1:9/v1/infer", &url, err, sizeof err), 0);
    const char *headers[] = {"Host: other:1", "X-A: b"};
    reqfmt_t fmt;
    reqfmt_args_t ra = {.url = &url,
                        .method = "PUT",
                        .model = "m",
                        .batch = 1,
                        .raw_body = "{}",
                        .raw_len = 2,
                        .headers = headers,
                        .num_headers = 2};
    assert_int_equal(reqfmt_init(&fmt, &ra, err, sizeof err), 0);
    const char *start;
    size_t len = reqfmt_build(&fmt, NULL, 0, 1, 1, 1, &start);
    h2req_t h;
    assert_int_equal(h2req_init(&h, start, len, "http", false, err, sizeof err), 0);
    assert_string_equal(show(h.nv, 0), ":method: PUT");
    assert_string_equal(show(h.nv, 2), ":authority: other:1"); /* the user's Host wins */
    assert_string_equal(show(h.nv, 3), ":path: /v1/infer");
    assert_true(h.body);
    size_t off = h2req_body_offset(start, len);
    assert_int_equal(len - off, 2);
    assert_memory_equal(start + off, "{}", 2);
    h2req_close(&h);
    reqfmt_close(&fmt);
}

static void test_h2req_rejects_what_is_not_a_head(void **state)
{
    (void)state;
    h2req_t h;
    char err[200];
    assert_int_equal(
        h2req_init(&h, "GET / HTTP/1.1\r\nHost: h\r\n", 24, "http", false, err, sizeof err),
        EINVAL);
    assert_non_null(strstr(err, "HTTP/2"));
    h2req_close(&h);
}

/* A path and a header naming {{request_id}} and {{seq}}: each request's
 * fields are its own head's, as its HTTP/1.1 twin would send them. */
static void test_h2req_head_that_varies_per_request(void **state)
{
    (void)state;
    url_t url;
    char err[200];
    assert_int_equal(url_parse("http://127.0.0.1:9/v1/{{seq}}", &url, err, sizeof err), 0);
    const char *headers[] = {"X-Request-Id: {{request_id}}", "X-Fixed: F"};
    reqfmt_t fmt;
    reqfmt_args_t ra = {.url = &url,
                        .model = "m",
                        .batch = 1,
                        .raw_body = "{}",
                        .raw_len = 2,
                        .headers = headers,
                        .num_headers = 2};
    assert_int_equal(reqfmt_init(&fmt, &ra, err, sizeof err), 0);
    assert_true(reqfmt_head_varies(&fmt));
    char *buf = malloc(fmt.buf_size);
    assert_non_null(buf);
    const char *start;
    size_t len = reqfmt_build(&fmt, buf, 0, 1, 1, 1, &start);
    h2req_t h;
    assert_int_equal(h2req_init(&h, start, len, "http", true, err, sizeof err), 0);
    assert_true(h.varies);

    nghttp2_nv nv[H2REQ_MAX_FIELDS];
    char cl[24];
    for (uint64_t i = 0; i < 3; i++) {
        uint64_t id = 1000 + i;
        len = reqfmt_build(&fmt, buf, 40 + i, 1, 1, id, &start);
        size_t off = h2req_body_offset(start, len);
        char *head = buf + (start - buf);
        size_t n = h2req_fields(&h, head, off, len - off, cl, nv);
        assert_int_equal(n, 8);
        char want[64];
        assert_string_equal(show(nv, 0), ":method: POST");
        assert_string_equal(show(nv, 1), ":scheme: http");
        assert_string_equal(show(nv, 2), ":authority: 127.0.0.1:9");
        snprintf(want, sizeof want, ":path: /v1/%llu", (unsigned long long)(40 + i));
        assert_string_equal(show(nv, 3), want);
        assert_string_equal(show(nv, 4), "content-type: application/json");
        snprintf(want, sizeof want, "x-request-id: %llu", (unsigned long long)id);
        assert_string_equal(show(nv, 5), want);
        assert_string_equal(show(nv, 6), "x-fixed: F");
        assert_string_equal(show(nv, 7), "content-length: 2");
        /* What changes per request stays out of the HPACK table; what repeats may enter it. */
        for (size_t k = 0; k < n; k++)
            assert_int_equal(!!(nv[k].flags & NGHTTP2_NV_FLAG_NO_INDEX), k == 3 || k == 5);
        /* Sent again (a retry): the same fields. */
        assert_int_equal(h2req_fields(&h, head, off, len - off, cl, nv), 8);
        assert_string_equal(show(nv, 5), want);
    }
    /* A head reqfmt never builds: no fields, and nothing read past its end. */
    char bad[] = "GET / HTTP/1.1\r\nHost: h\r\n";
    assert_int_equal(h2req_fields(&h, bad, sizeof bad - 1, 0, cl, nv), 0);
    assert_int_equal(h2req_fields(&h, NULL, 0, 0, cl, nv), 0);
    h2req_close(&h);
    free(buf);
    reqfmt_close(&fmt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h2req_translates_a_post),
        cmocka_unit_test(test_h2req_get_has_no_content_length),
        cmocka_unit_test(test_h2req_from_reqfmt),
        cmocka_unit_test(test_h2req_rejects_what_is_not_a_head),
        cmocka_unit_test(test_h2req_head_that_varies_per_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
