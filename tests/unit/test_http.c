/* Tests for core/http: golden cases (valid and every RFC 9112 failure we could
 * think of), each fed whole, byte by byte, and right before a PROT_NONE guard
 * page; limits; chunked decoding split at every point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/http.h"

/* Golden tables list only the fields a case needs; the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MAX_HEADERS 16
#define MAX_BYTES 8192

/* "name=value|" for each header: one string to compare against. */
static void render_headers(const http_header_t *h, size_t n, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%.*s=%.*s|", (int)h[i].name_len, h[i].name,
                                (int)h[i].value_len, h[i].value);
}

/* ---- requests ---- */

struct req_case {
    const char *name;
    const char *raw;
    int result; /* 0: valid, consumed = strlen(raw) - strlen(rest); else the error */
    const char *rest;
    const char *method, *target;
    int minor;
    const char *headers;
    http_body_t body;
    uint64_t content_length;
    bool keep_alive, expect_continue;
    size_t max_headers, max_bytes; /* 0: defaults */
};

#define H11 "HTTP/1.1\r\n"
#define NO_HEADERS SIZE_MAX /* max_headers 0 in the table means the default */
static const struct req_case req_cases[] = {
    {"simple get", "GET / " H11 "Host: example.com\r\n\r\n", 0, "", "GET", "/", 1,
     "Host=example.com|", HTTP_BODY_NONE, 0, true, false},
    {"no headers", "GET /x " H11 "\r\n", 0, "", "GET", "/x", 1, "", HTTP_BODY_NONE, 0, true},
    {"http/1.0 closes", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", 0, "", "GET", "/", 0, "Host=a|",
     HTTP_BODY_NONE, 0, false},
    {"http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, "", "GET", "/",
     0, "Connection=Keep-Alive|", HTTP_BODY_NONE, 0, true},
    {"http/1.1 close", "GET / " H11 "Connection: close\r\n\r\n", 0, "", "GET", "/", 1,
     "Connection=close|", HTTP_BODY_NONE, 0, false},
    {"connection list", "GET / " H11 "Connection: Upgrade, CLOSE\r\n\r\n", 0, "", "GET", "/", 1,
     "Connection=Upgrade, CLOSE|", HTTP_BODY_NONE, 0, false},
    {"close beats keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive,close\r\n\r\n", 0, "",
     "GET", "/", 0, "Connection=keep-alive,close|", HTTP_BODY_NONE, 0, false},
    {"connection: closed is not close", "GET / " H11 "Connection: closed\r\n\r\n", 0, "", "GET",
     "/", 1, "Connection=closed|", HTTP_BODY_NONE, 0, true},
    {"post with body", "POST /v1/infer " H11 "Content-Length: 5\r\n\r\nhello", 0, "hello", "POST",
     "/v1/infer", 1, "Content-Length=5|", HTTP_BODY_LENGTH, 5, true},
    {"content-length 0", "POST / " H11 "content-length: 0\r\n\r\n", 0, "", "POST", "/", 1,
     "content-length=0|", HTTP_BODY_LENGTH, 0, true},
    {"content-length max", "POST / " H11 "Content-Length: 18446744073709551615\r\n\r\n", 0, "",
     "POST", "/", 1, "Content-Length=18446744073709551615|", HTTP_BODY_LENGTH, UINT64_MAX, true},
    {"duplicate equal content-length",
     "POST / " H11 "Content-Length: 7\r\nContent-Length: 7\r\n\r\n", 0, "", "POST", "/", 1,
     "Content-Length=7|Content-Length=7|", HTTP_BODY_LENGTH, 7, true},
    {"content-length list of equal values", "POST / " H11 "Content-Length: 7, 7\r\n\r\n", 0, "",
     "POST", "/", 1, "Content-Length=7, 7|", HTTP_BODY_LENGTH, 7, true},
    {"leading zeros content-length", "POST / " H11 "Content-Length: 007\r\n\r\n", 0, "", "POST",
     "/", 1, "Content-Length=007|", HTTP_BODY_LENGTH, 7, true},
    {"chunked", "POST / " H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0,
     "5\r\nhello\r\n0\r\n\r\n", "POST", "/", 1, "Transfer-Encoding=chunked|", HTTP_BODY_CHUNKED, 0,
     true},
    {"chunked in HTTP/1.0 closes",
     "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "",
     "POST", "/", 0, "Connection=keep-alive|Transfer-Encoding=chunked|", HTTP_BODY_CHUNKED, 0,
     false},
    {"chunked any case", "POST / " H11 "transfer-encoding: ChUnKeD\r\n\r\n", 0, "", "POST", "/", 1,
     "transfer-encoding=ChUnKeD|", HTTP_BODY_CHUNKED, 0, true},
    {"expect 100-continue", "PUT /a " H11 "Expect: 100-Continue\r\nContent-Length: 3\r\n\r\n", 0,
     "", "PUT", "/a", 1, "Expect=100-Continue|Content-Length=3|", HTTP_BODY_LENGTH, 3, true, true},
    {"expect ignored from 1.0", "PUT /a HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", 0, "", "PUT",
     "/a", 0, "Expect=100-continue|", HTTP_BODY_NONE, 0, false, false},
    {"other expectation", "PUT /a " H11 "Expect: something\r\n\r\n", 0, "", "PUT", "/a", 1,
     "Expect=something|", HTTP_BODY_NONE, 0, true, false},
    {"bare LF", "GET / HTTP/1.1\nHost: a\nX: b\n\n", 0, "", "GET", "/", 1, "Host=a|X=b|",
     HTTP_BODY_NONE, 0, true},
    {"mixed line ends", "GET / HTTP/1.1\r\nHost: a\n\r\n", 0, "", "GET", "/", 1, "Host=a|",
     HTTP_BODY_NONE, 0, true},
    {"leading empty lines", "\r\n\nGET / " H11 "\r\n", 0, "", "GET", "/", 1, "", HTTP_BODY_NONE, 0,
     true},
    {"OWS trimmed", "GET / " H11 "X:  \t v a l \t \r\nY:\r\nZ: \t\r\n\r\n", 0, "", "GET", "/", 1,
     "X=v a l|Y=|Z=|", HTTP_BODY_NONE, 0, true},
    {"colon in value", "GET / " H11 "Host: a:80\r\n\r\n", 0, "", "GET", "/", 1, "Host=a:80|",
     HTTP_BODY_NONE, 0, true},
    {"obs-text value", "GET / " H11 "X: caf\xc3\xa9\r\n\r\n", 0, "", "GET", "/", 1,
     "X=caf\xc3\xa9|", HTTP_BODY_NONE, 0, true},
    {"all tchars in name", "GET / " H11 "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", 0, "", "GET", "/", 1,
     "!#$%&'*+-.^_`|~09azAZ=v|", HTTP_BODY_NONE, 0, true},
    {"absolute-form", "GET http://h:8/p?q=1 " H11 "\r\n", 0, "", "GET", "http://h:8/p?q=1", 1, "",
     HTTP_BODY_NONE, 0, true},
    {"asterisk-form", "OPTIONS * " H11 "\r\n", 0, "", "OPTIONS", "*", 1, "", HTTP_BODY_NONE, 0,
     true},
    {"authority-form", "CONNECT h.example:443 " H11 "\r\n", 0, "", "CONNECT", "h.example:443", 1,
     "", HTTP_BODY_NONE, 0, true},
    {"query and escapes", "GET /a/b?c=%20&d=[]{} " H11 "\r\n", 0, "", "GET", "/a/b?c=%20&d=[]{}", 1,
     "", HTTP_BODY_NONE, 0, true},
    {"extension method", "M-SEARCH * " H11 "\r\n", 0, "", "M-SEARCH", "*", 1, "", HTTP_BODY_NONE, 0,
     true},
    {"pipelined: first of two", "GET /1 " H11 "\r\nGET /2 " H11 "\r\n", 0, "GET /2 " H11 "\r\n",
     "GET", "/1", 1, "", HTTP_BODY_NONE, 0, true},
    {"exactly max headers", "GET / " H11 "a:1\r\nb:2\r\nc:3\r\n\r\n", 0, "", "GET", "/", 1,
     "a=1|b=2|c=3|", HTTP_BODY_NONE, 0, true, false, 3},
    {"exactly max bytes", "GET / " H11 "\r\n", 0, "", "GET", "/", 1, "", HTTP_BODY_NONE, 0, true,
     false, 0, 18},

    /* failures */
    {"empty method", " / " H11 "\r\n", HTTP_INVALID},
    {"two spaces after method", "GET  / " H11 "\r\n", HTTP_INVALID},
    {"two spaces after target", "GET /  " H11 "\r\n", HTTP_INVALID},
    {"tab separator", "GET\t/ " H11 "\r\n", HTTP_INVALID},
    {"non-token method", "G(T / " H11 "\r\n", HTTP_INVALID},
    {"CTL in target", "GET /\x01 " H11 "\r\n", HTTP_INVALID},
    {"DEL in target", "GET /\x7f " H11 "\r\n", HTTP_INVALID},
    {"missing target", "GET " H11 "\r\n", HTTP_INVALID},
    {"missing version", "GET /\r\n\r\n", HTTP_INVALID},
    {"HTTP/0.9 style", "GET /\r\n", HTTP_INVALID},
    {"HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", HTTP_INVALID},
    {"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", HTTP_INVALID},
    {"lowercase http", "GET / http/1.1\r\n\r\n", HTTP_INVALID},
    {"version with two digits", "GET / HTTP/1.10\r\n\r\n", HTTP_INVALID},
    {"space after version", "GET / HTTP/1.1 \r\n\r\n", HTTP_INVALID},
    {"CR without LF in request line", "GET / HTTP/1.1\rX\r\n\r\n", HTTP_INVALID},
    {"space before colon", "GET / " H11 "Host : a\r\n\r\n", HTTP_INVALID},
    {"tab before colon", "GET / " H11 "Host\t: a\r\n\r\n", HTTP_INVALID},
    {"obs-fold", "GET / " H11 "X: a\r\n  b\r\n\r\n", HTTP_INVALID},
    {"obs-fold with tab", "GET / " H11 "X: a\r\n\tb\r\n\r\n", HTTP_INVALID},
    {"whitespace after request line", "GET / " H11 " Host: a\r\n\r\n", HTTP_INVALID},
    {"header without colon", "GET / " H11 "Host\r\n\r\n", HTTP_INVALID},
    {"empty header name", "GET / " H11 ": a\r\n\r\n", HTTP_INVALID},
    {"non-token in name", "GET / " H11 "X@Y: a\r\n\r\n", HTTP_INVALID},
    {"space in name", "GET / " H11 "X Y: a\r\n\r\n", HTTP_INVALID},
    {"NUL in value", "GET / " H11 "X: a\0b\r\n\r\n", HTTP_INVALID},
    {"DEL in value", "GET / " H11 "X: a\x7f\r\n\r\n", HTTP_INVALID},
    {"CR alone in value", "GET / " H11 "X: a\rb\r\n\r\n", HTTP_INVALID},
    {"CR alone ends section", "GET / " H11 "X: a\r\n\rX", HTTP_INVALID},
    {"content-length letters", "POST / " H11 "Content-Length: abc\r\n\r\n", HTTP_INVALID},
    {"content-length plus", "POST / " H11 "Content-Length: +5\r\n\r\n", HTTP_INVALID},
    {"content-length negative", "POST / " H11 "Content-Length: -1\r\n\r\n", HTTP_INVALID},
    {"content-length hex", "POST / " H11 "Content-Length: 0x10\r\n\r\n", HTTP_INVALID},
    {"content-length inner space", "POST / " H11 "Content-Length: 1 2\r\n\r\n", HTTP_INVALID},
    {"content-length empty", "POST / " H11 "Content-Length:\r\n\r\n", HTTP_INVALID},
    {"content-length overflow", "POST / " H11 "Content-Length: 18446744073709551616\r\n\r\n",
     HTTP_INVALID},
    {"content-length huge", "POST / " H11 "Content-Length: 99999999999999999999999\r\n\r\n",
     HTTP_INVALID},
    {"different content-lengths", "POST / " H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
     HTTP_INVALID},
    {"content-length list differs", "POST / " H11 "Content-Length: 5, 6\r\n\r\n", HTTP_INVALID},
    {"TE and CL", "POST / " H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
     HTTP_INVALID},
    {"CL and TE", "POST / " H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
     HTTP_INVALID},
    {"TE gzip only", "POST / " H11 "Transfer-Encoding: gzip\r\n\r\n", HTTP_INVALID},
    {"TE chunked not last", "POST / " H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", HTTP_INVALID},
    {"TE gzip then chunked", "POST / " H11 "Transfer-Encoding: gzip, chunked\r\n\r\n",
     HTTP_INVALID},
    {"TE on two lines",
     "POST / " H11 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_INVALID},
    {"TE chunked twice", "POST / " H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", HTTP_INVALID},
    {"TE empty", "POST / " H11 "Transfer-Encoding:\r\n\r\n", HTTP_INVALID},
    {"TE with parameter", "POST / " H11 "Transfer-Encoding: chunked;x=1\r\n\r\n", HTTP_INVALID},
    {"TE chunked-false", "POST / " H11 "Transfer-Encoding: xchunked\r\n\r\n", HTTP_INVALID},
    {"too many headers", "GET / " H11 "a:1\r\nb:2\r\nc:3\r\nd:4\r\n\r\n", HTTP_TOO_LARGE, NULL,
     NULL, NULL, 0, NULL, 0, 0, false, false, 3},
    {"zero headers allowed", "GET / " H11 "a:1\r\n\r\n", HTTP_TOO_LARGE, NULL, NULL, NULL, 0, NULL,
     0, 0, false, false, NO_HEADERS},
    {"one byte over max bytes", "GET / " H11 "\r\n", HTTP_TOO_LARGE, NULL, NULL, NULL, 0, NULL, 0,
     0, false, false, 0, 17},
};

static size_t req_max_headers(const struct req_case *c)
{
    if (c->max_headers == NO_HEADERS)
        return 0;
    return c->max_headers ? c->max_headers : MAX_HEADERS;
}

static size_t raw_len(const char *raw, const char *name)
{
    /* The NUL-in-value case has an embedded NUL: measure past it. */
    size_t n = strlen(raw);
    if (strcmp(name, "NUL in value") == 0)
        n += 1 + strlen(raw + n + 1);
    return n;
}

static void check_request(const struct req_case *c, int r, const http_request_t *req)
{
    if (c->result != 0) {
        if (r != c->result)
            fail_msg("%s: got %d, want %d", c->name, r, c->result);
        return;
    }
    size_t len = raw_len(c->raw, c->name);
    int want = (int)(len - strlen(c->rest));
    if (r != want)
        fail_msg("%s: got %d, want %d", c->name, r, want);
    char hdrs[1024];
    render_headers(req->headers, req->num_headers, hdrs, sizeof(hdrs));
    assert_int_equal(req->method_len, strlen(c->method));
    assert_memory_equal(req->method, c->method, req->method_len);
    assert_int_equal(req->target_len, strlen(c->target));
    assert_memory_equal(req->target, c->target, req->target_len);
    assert_int_equal(req->minor_version, c->minor);
    assert_string_equal(hdrs, c->headers);
    if (req->body != c->body)
        fail_msg("%s: body %d, want %d", c->name, req->body, c->body);
    assert_true(req->content_length == c->content_length);
    if (req->keep_alive != c->keep_alive)
        fail_msg("%s: keep_alive %d", c->name, req->keep_alive);
    assert_int_equal(req->expect_continue, c->expect_continue);
}

static int parse_req_case(const struct req_case *c, const char *buf, size_t len,
                          http_request_t *req, http_header_t *headers)
{
    size_t max_bytes = c->max_bytes ? c->max_bytes : MAX_BYTES;
    memset(req, 0xa5, sizeof(*req)); /* no field may be left from before */
    return http_parse_request(buf, len, req, headers, req_max_headers(c), max_bytes);
}

static void test_request_golden_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
        const struct req_case *c = &req_cases[i];
        http_header_t headers[MAX_HEADERS];
        http_request_t req;
        size_t len = raw_len(c->raw, c->name);
        int r = parse_req_case(c, c->raw, len, &req, headers);
        check_request(c, r, &req);
    }
}

/* Every prefix is incomplete (or, for a bad message, already the same error)
 * and the whole gives the same result; each prefix ends at a guard page. */
static void test_request_golden_bytewise_guarded(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
        const struct req_case *c = &req_cases[i];
        size_t len = raw_len(c->raw, c->name);
        size_t need = c->result == 0 ? len - strlen(c->rest) : len;
        for (size_t k = 0; k <= len; k++) {
            guard_t g;
            guard_place(&g, c->raw, k);
            http_header_t headers[MAX_HEADERS];
            http_request_t req;
            int r = parse_req_case(c, g.data, k, &req, headers);
            if (k < need) {
                if (r != HTTP_INCOMPLETE && !(c->result != 0 && r == c->result))
                    fail_msg("%s: prefix %zu gave %d", c->name, k, r);
            } else {
                check_request(c, r, &req);
            }
            guard_free(&g);
        }
    }
}

static void test_request_pipelined(void **state)
{
    (void)state;
    const char raw[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                       "POST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
                       "GET /3 HTTP/1.0\r\n\r\n";
    const char *want[] = {"/1", "/2", "/3"};
    size_t off = 0, len = sizeof(raw) - 1;
    for (int i = 0; i < 3; i++) {
        http_header_t headers[4];
        http_request_t req;
        int r = http_parse_request(raw + off, len - off, &req, headers, 4, 1024);
        assert_true(r > 0);
        assert_int_equal(req.target_len, 2);
        assert_memory_equal(req.target, want[i], 2);
        off += (size_t)r + (req.body == HTTP_BODY_LENGTH ? req.content_length : 0);
    }
    assert_int_equal(off, len);
}

static void test_request_limits(void **state)
{
    (void)state;
    char buf[4096];
    http_header_t headers[128];
    http_request_t req;
    /* 64 headers fit in 64 slots, 65 do not. */
    for (int n = 63; n <= 65; n++) {
        size_t off = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
        for (int i = 0; i < n; i++)
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "X-%d: %d\r\n", i, i);
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "\r\n");
        int r = http_parse_request(buf, off, &req, headers, 64, sizeof(buf));
        if (n <= 64) {
            assert_int_equal(r, (int)off);
            assert_int_equal(req.num_headers, (size_t)n);
        } else {
            assert_int_equal(r, HTTP_TOO_LARGE);
        }
        /* the byte limit: exactly fits, one short */
        assert_int_equal(http_parse_request(buf, off, &req, headers, 128, off), (int)off);
        assert_int_equal(http_parse_request(buf, off, &req, headers, 128, off - 1), HTTP_TOO_LARGE);
    }
    /* An endless header line is too large before it ends. */
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "GET / HTTP/1.1\r\nX: ", 19);
    assert_int_equal(http_parse_request(buf, 100, &req, headers, 8, 200), HTTP_INCOMPLETE);
    assert_int_equal(http_parse_request(buf, 200, &req, headers, 8, 200), HTTP_TOO_LARGE);
    assert_int_equal(http_parse_request(buf, sizeof(buf), &req, headers, 8, 200), HTTP_TOO_LARGE);
    /* ... but a complete section within the limit is fine even with more data after it. */
    memcpy(buf, "GET / HTTP/1.1\r\n\r\n", 18);
    assert_int_equal(http_parse_request(buf, sizeof(buf), &req, headers, 8, 18), 18);
    /* An invalid byte is reported even while incomplete. */
    assert_int_equal(http_parse_request("GET / HTTP/1.1\r\nX : ", 20, &req, headers, 8, 200),
                     HTTP_INVALID);
}

/* ---- responses ---- */

struct res_case {
    const char *name;
    const char *raw;
    bool head;
    int result;
    const char *rest;
    int minor, status;
    const char *reason;
    const char *headers;
    http_body_t body;
    uint64_t content_length;
    bool keep_alive;
};

static const struct res_case res_cases[] = {
    {"200 with length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 0, "hello", 1,
     200, "OK", "Content-Length=5|", HTTP_BODY_LENGTH, 5, true},
    {"no framing is close-delimited", "HTTP/1.1 200 OK\r\n\r\nbody...", false, 0, "body...", 1, 200,
     "OK", "", HTTP_BODY_CLOSE, 0, false},
    {"1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, 0, "", 0, 200, "OK",
     "Content-Length=0|", HTTP_BODY_LENGTH, 0, false},
    {"1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
     false, 0, "", 0, 200, "OK", "Connection=keep-alive|Content-Length=0|", HTTP_BODY_LENGTH, 0,
     true},
    {"1.1 close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi", false, 0,
     "hi", 1, 200, "OK", "Connection=close|Content-Length=2|", HTTP_BODY_LENGTH, 2, false},
    {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false, 0,
     "0\r\n\r\n", 1, 200, "OK", "Transfer-Encoding=chunked|", HTTP_BODY_CHUNKED, 0, true},
    /* ... and the connection is not reused after such a message */
    {"chunked wins over length",
     "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n", false, 0, "", 1,
     200, "OK", "Content-Length=9|Transfer-Encoding=chunked|", HTTP_BODY_CHUNKED, 0, false},
    {"gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, 0, "",
     1, 200, "OK", "Transfer-Encoding=gzip, chunked|", HTTP_BODY_CHUNKED, 0, true},
    {"1.0 chunked closes",
     "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n", false, 0,
     "", 0, 200, "OK", "Connection=keep-alive|Transfer-Encoding=chunked|", HTTP_BODY_CHUNKED, 0,
     false},
    {"TE not chunked reads to close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false,
     0, "", 1, 200, "OK", "Transfer-Encoding=gzip|", HTTP_BODY_CLOSE, 0, false},
    {"204", "HTTP/1.1 204 No Content\r\n\r\n", false, 0, "", 1, 204, "No Content", "",
     HTTP_BODY_NONE, 0, true},
    {"304 ignores length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, 0, "",
     1, 304, "Not Modified", "Content-Length=10|", HTTP_BODY_NONE, 0, true},
    {"100 continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", false, 0,
     "HTTP/1.1 200 OK\r\n", 1, 100, "Continue", "", HTTP_BODY_NONE, 0, true},
    {"HEAD response", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true, 0, "", 1, 200, "OK",
     "Content-Length=100|", HTTP_BODY_NONE, 0, true},
    {"HEAD chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, 0, "", 1, 200,
     "OK", "Transfer-Encoding=chunked|", HTTP_BODY_NONE, 0, true},
    {"empty reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", false, 0, "", 1, 200, "",
     "Content-Length=0|", HTTP_BODY_LENGTH, 0, true},
    {"no SP, no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, 0, "", 1, 200, "",
     "Content-Length=0|", HTTP_BODY_LENGTH, 0, true},
    {"reason with spaces and obs-text", "HTTP/1.1 404 Not \tFound \xe2\x9c\x97\r\n\r\n", false, 0,
     "", 1, 404, "Not \tFound \xe2\x9c\x97", "", HTTP_BODY_CLOSE, 0, false},
    {"status 999", "HTTP/1.1 999 X\r\nContent-Length: 1\r\n\r\n", false, 0, "", 1, 999, "X",
     "Content-Length=1|", HTTP_BODY_LENGTH, 1, true},
    {"bare LF", "HTTP/1.1 503 Busy\nRetry-After: 1\nContent-Length: 0\n\n", false, 0, "", 1, 503,
     "Busy", "Retry-After=1|Content-Length=0|", HTTP_BODY_LENGTH, 0, true},
    {"same content-length twice",
     "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", false, 0, "", 1, 200,
     "OK", "Content-Length=3|Content-Length=3|", HTTP_BODY_LENGTH, 3, true},

    {"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", false, HTTP_INVALID},
    {"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", false, HTTP_INVALID},
    {"status below 100", "HTTP/1.1 099 X\r\n\r\n", false, HTTP_INVALID},
    {"letters in status", "HTTP/1.1 2x0 OK\r\n\r\n", false, HTTP_INVALID},
    {"two spaces before status", "HTTP/1.1  200 OK\r\n\r\n", false, HTTP_INVALID},
    {"missing status", "HTTP/1.1\r\n\r\n", false, HTTP_INVALID},
    {"HTTP/2", "HTTP/2 200 OK\r\n\r\n", false, HTTP_INVALID},
    {"ICY", "ICY 200 OK\r\n\r\n", false, HTTP_INVALID},
    {"CTL in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", false, HTTP_INVALID},
    {"leading empty line", "\r\nHTTP/1.1 200 OK\r\n\r\n", false, HTTP_INVALID},
    {"different content-lengths",
     "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", false, HTTP_INVALID},
    {"bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: 3a\r\n\r\n", false, HTTP_INVALID},
    {"chunked twice",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", false,
     HTTP_INVALID},
    {"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", false, HTTP_INVALID},
    {"space before colon", "HTTP/1.1 200 OK\r\nX : a\r\n\r\n", false, HTTP_INVALID},
    {"CR without LF", "HTTP/1.1 200 OK\rX\r\n\r\n", false, HTTP_INVALID},
};

static void check_response(const struct res_case *c, int r, const http_response_t *res)
{
    if (c->result != 0) {
        if (r != c->result)
            fail_msg("%s: got %d, want %d", c->name, r, c->result);
        return;
    }
    int want = (int)(strlen(c->raw) - strlen(c->rest));
    if (r != want)
        fail_msg("%s: got %d, want %d", c->name, r, want);
    char hdrs[1024];
    render_headers(res->headers, res->num_headers, hdrs, sizeof(hdrs));
    assert_int_equal(res->minor_version, c->minor);
    assert_int_equal(res->status, c->status);
    assert_int_equal(res->reason_len, strlen(c->reason));
    assert_memory_equal(res->reason, c->reason, res->reason_len);
    assert_string_equal(hdrs, c->headers);
    if (res->body != c->body)
        fail_msg("%s: body %d, want %d", c->name, res->body, c->body);
    assert_true(res->content_length == c->content_length);
    if (res->keep_alive != c->keep_alive)
        fail_msg("%s: keep_alive %d", c->name, res->keep_alive);
}

static int parse_res_case(const struct res_case *c, const char *buf, size_t len,
                          http_response_t *res, http_header_t *headers)
{
    memset(res, 0xa5, sizeof(*res));
    return http_parse_response(buf, len, res, headers, MAX_HEADERS, MAX_BYTES, c->head);
}

static void test_response_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(res_cases) / sizeof(res_cases[0]); i++) {
        const struct res_case *c = &res_cases[i];
        size_t len = strlen(c->raw);
        size_t need = c->result == 0 ? len - strlen(c->rest) : len;
        http_header_t headers[MAX_HEADERS];
        http_response_t res;
        check_response(c, parse_res_case(c, c->raw, len, &res, headers), &res);
        for (size_t k = 0; k <= len; k++) {
            guard_t g;
            guard_place(&g, c->raw, k);
            int r = parse_res_case(c, g.data, k, &res, headers);
            if (k < need) {
                if (r != HTTP_INCOMPLETE && !(c->result != 0 && r == c->result))
                    fail_msg("%s: prefix %zu gave %d", c->name, k, r);
            } else {
                check_response(c, r, &res);
            }
            guard_free(&g);
        }
    }
}

static void test_response_limits(void **state)
{
    (void)state;
    const char raw[] = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n";
    http_header_t headers[2];
    http_response_t res;
    size_t len = sizeof(raw) - 1;
    assert_int_equal(http_parse_response(raw, len, &res, headers, 2, len, false), (int)len);
    assert_int_equal(http_parse_response(raw, len, &res, headers, 1, len, false), HTTP_TOO_LARGE);
    assert_int_equal(http_parse_response(raw, len, &res, headers, 2, len - 1, false),
                     HTTP_TOO_LARGE);
    assert_int_equal(http_parse_response(raw, 10, &res, headers, 2, len, false), HTTP_INCOMPLETE);
}

/* ---- chunked ---- */

struct chunk_case {
    const char *name;
    const char *raw;
    int result; /* >= 0: leftover bytes; else the error */
    const char *body;
};

static const struct chunk_case chunk_cases[] = {
    {"one chunk", "5\r\nhello\r\n0\r\n\r\n", 0, "hello"},
    {"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0, "hello world"},
    {"empty body", "0\r\n\r\n", 0, ""},
    {"hex sizes", "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n", 0, "0123456789abcdefghijk"},
    {"leading zeros", "0005\r\nhello\r\n000\r\n\r\n", 0, "hello"},
    {"extensions ignored", "5;name=\"v;x\"\r\nhello\r\n3 ; a=b\r\nabc\r\n0;last\r\n\r\n", 0,
     "helloabc"},
    {"trailers skipped", "2\r\nhi\r\n0\r\nX-Trailer: 1\r\nY: z\r\n\r\n", 0, "hi"},
    {"bare LF", "5\nhello\n0\n\n", 0, "hello"},
    {"CRLF in data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", 0, "\r\n\r\n"},
    {"leftover is the next message", "2\r\nhi\r\n0\r\n\r\nGET / HTTP/1.1\r\n", 16, "hi"},
    {"max 16 hex digits", "0000000000000003\r\nabc\r\n0\r\n\r\n", 0, "abc"},

    {"empty size", "\r\nhello\r\n0\r\n\r\n", HTTP_INVALID, NULL},
    {"not hex", "x\r\n", HTTP_INVALID, NULL},
    {"0x prefix", "0x5\r\nhello\r\n", HTTP_INVALID, NULL},
    {"negative", "-5\r\n", HTTP_INVALID, NULL},
    {"junk after size", "5x\r\nhello\r\n", HTTP_INVALID, NULL},
    {"size overflow", "10000000000000000\r\n", HTTP_INVALID, NULL},
    {"huge size overflow", "fffffffffffffffff\r\n", HTTP_INVALID, NULL},
    {"data too long", "5\r\nhelloX\r\n0\r\n\r\n", HTTP_INVALID, NULL},
    {"CR without LF after data", "5\r\nhello\rX", HTTP_INVALID, NULL},
    {"CR without LF after size", "5\rhello", HTTP_INVALID, NULL},
    {"CR without LF at end", "0\r\n\rX", HTTP_INVALID, NULL},
};

/* Feeds raw split at the given cut points; returns the final status, with the
 * decoded body and leftover in out. */
static ssize_t chunk_feed(const char *raw, size_t len, const size_t *cuts, size_t ncuts, char *body,
                          size_t *body_len, char *rest, size_t *rest_len)
{
    http_chunked_t dec;
    http_chunked_init(&dec);
    size_t from = 0;
    *body_len = 0;
    *rest_len = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        size_t n = to - from;
        guard_t g;
        guard_place(&g, raw + from, n);
        ssize_t r = http_chunked_decode(&dec, g.data, &n);
        assert_true(n <= to - from);
        memcpy(body + *body_len, g.data, n);
        *body_len += n;
        if (r >= 0) {
            memcpy(rest, g.data + n, (size_t)r);
            memcpy(rest + r, raw + to, len - to);
            *rest_len = (size_t)r + len - to;
        }
        guard_free(&g);
        if (r != HTTP_INCOMPLETE) {
            if (r >= 0)
                assert_true(dec.body_len == *body_len);
            return r >= 0 ? (ssize_t)*rest_len : r;
        }
        from = to;
    }
    return HTTP_INCOMPLETE;
}

static void check_chunk(const struct chunk_case *c, ssize_t r, const char *body, size_t body_len,
                        const char *rest, size_t rest_len)
{
    if (r != c->result)
        fail_msg("%s: got %zd, want %d", c->name, r, c->result);
    if (c->result < 0)
        return;
    assert_int_equal(body_len, strlen(c->body));
    assert_memory_equal(body, c->body, body_len);
    size_t len = strlen(c->raw);
    assert_int_equal(rest_len, (size_t)c->result);
    assert_memory_equal(rest, c->raw + len - rest_len, rest_len);
}

/* chunk_feed then check_chunk (two statements: argument order is unspecified). */
static void feed_and_check(const struct chunk_case *c, const size_t *cuts, size_t ncuts)
{
    char body[256], rest[256];
    size_t body_len, rest_len;
    ssize_t r = chunk_feed(c->raw, strlen(c->raw), cuts, ncuts, body, &body_len, rest, &rest_len);
    check_chunk(c, r, body, body_len, rest, rest_len);
}

static void test_chunked_golden_splits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++) {
        const struct chunk_case *c = &chunk_cases[i];
        size_t len = strlen(c->raw);
        feed_and_check(c, NULL, 0); /* whole */
        /* every split point, and every pair of split points */
        for (size_t a = 0; a <= len; a++) {
            feed_and_check(c, &a, 1);
            for (size_t b = a; b <= len; b++) {
                size_t cuts[2] = {a, b};
                feed_and_check(c, cuts, 2);
            }
        }
        size_t cuts[256]; /* byte by byte */
        for (size_t k = 0; k < len; k++)
            cuts[k] = k + 1;
        feed_and_check(c, cuts, len);
    }
}

static void test_chunked_incomplete(void **state)
{
    (void)state;
    http_chunked_t dec;
    http_chunked_init(&dec);
    char buf[] = "ffffffffffffffff\r\nabcdef";
    size_t n = sizeof(buf) - 1;
    assert_int_equal(http_chunked_decode(&dec, buf, &n), HTTP_INCOMPLETE);
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "abcdef", 6);
    assert_true(dec.body_len == 6);
    n = 0;
    assert_int_equal(http_chunked_decode(&dec, buf, &n), HTTP_INCOMPLETE);
    assert_int_equal(n, 0);
}

/* ---- lookups ---- */

static void test_find_header_and_reason(void **state)
{
    (void)state;
    const char raw[] = "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: 42\r\nhost: b\r\n\r\n";
    http_header_t headers[8];
    http_request_t req;
    assert_true(http_parse_request(raw, sizeof(raw) - 1, &req, headers, 8, 1024) > 0);
    const http_header_t *h = http_find_header(req.headers, req.num_headers, "HOST");
    assert_non_null(h);
    assert_memory_equal(h->value, "a", 1); /* the first one */
    h = http_find_header(req.headers, req.num_headers, "x-request-id");
    assert_non_null(h);
    assert_int_equal(h->value_len, 2);
    assert_null(http_find_header(req.headers, req.num_headers, "X-Request"));
    assert_null(http_find_header(req.headers, req.num_headers, "Hos"));
    assert_null(http_find_header(req.headers, 0, "Host"));

    assert_string_equal(http_reason(200), "OK");
    assert_string_equal(http_reason(404), "Not Found");
    assert_string_equal(http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(http_reason(503), "Service Unavailable");
    assert_string_equal(http_reason(299), "Unknown");
    assert_string_equal(http_reason(-1), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_golden_whole),
        cmocka_unit_test(test_request_golden_bytewise_guarded),
        cmocka_unit_test(test_request_pipelined),
        cmocka_unit_test(test_request_limits),
        cmocka_unit_test(test_response_golden),
        cmocka_unit_test(test_response_limits),
        cmocka_unit_test(test_chunked_golden_splits),
        cmocka_unit_test(test_chunked_incomplete),
        cmocka_unit_test(test_find_header_and_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
