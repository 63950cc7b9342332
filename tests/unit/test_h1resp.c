/* Tests for core/h1resp: golden responses (every framing, interim heads, HEAD,
 * limits, broken and truncated bodies), each fed whole, byte by byte, split at
 * every point and every pair of points, every piece framed right before a
 * PROT_NONE guard page; with the body kept, dropped, and seen through the body
 * hook (consuming all, or only whole lines as an SSE parser would). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/h1resp.h"

/* Golden tables list only the fields a case needs; the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MAX_HEAD 8192
#define MAX_BODY 4096
#define EOF_DONE 1  /* complete only at the end of the stream (close-delimited) */
#define EOF_SHORT 2 /* the stream ends before the response does */

struct res_case {
    const char *name;
    const char *raw;
    int result; /* 0 (complete while feeding), EOF_DONE, EOF_SHORT, HTTP_INVALID, HTTP_TOO_LARGE */
    int status;
    const char *body; /* decoded */
    bool keep_alive;  /* after everything was fed */
    bool head_request;
    size_t max_head;   /* 0: MAX_HEAD */
    uint64_t max_body; /* 0: MAX_BODY */
    bool kept_only;    /* the result holds for a kept body only */
};

#define OK "HTTP/1.1 200 OK\r\n"
#define CHUNKED "Transfer-Encoding: chunked\r\n"
static const struct res_case cases[] = {
    {"content-length", OK "Content-Length: 5\r\n\r\nhello", 0, 200, "hello", true},
    {"content-length 0", OK "Content-Length: 0\r\n\r\n", 0, 200, "", true},
    {"no reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n{}", 0, 200, "{}", true},
    {"keep-alive said", OK "Connection: keep-alive\r\nContent-Length: 1\r\n\r\nx", 0, 200, "x",
     true},
    {"connection close", OK "Connection: close\r\nContent-Length: 2\r\n\r\nab", 0, 200, "ab",
     false},
    {"http/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nab", 0, 200, "ab", false},
    {"http/1.0 keep-alive",
     "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nab", 0, 200, "ab",
     true},
    {"chunked", OK CHUNKED "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0, 200, "hello world",
     true},
    {"chunked ext and trailer",
     OK CHUNKED "\r\n5;a=b\r\n{\"out\r\n3\r\nput\r\n0\r\nTrailer: t\r\n\r\n", 0, 200, "{\"output",
     true},
    {"chunked bare LF", OK CHUNKED "\r\n3\nabc\n0\n\n", 0, 200, "abc", true},
    {"chunked empty", OK CHUNKED "\r\n0\r\n\r\n", 0, 200, "", true},
    {"chunked sse",
     OK "Content-Type: text/event-stream\r\n" CHUNKED "\r\n"
        "7\r\ndata: a\r\n4\r\n\n\nda\r\n"
        "b\r\nta: bc\n\ndat\r\n6\r\na: [D]\r\n3\r\n\n\n\n\r\n0\r\n\r\n",
     0, 200, "data: a\n\ndata: bc\n\ndata: [D]\n\n\n", true},
    {"close-delimited", OK "\r\nuntil the end", EOF_DONE, 200, "until the end", false},
    {"close-delimited empty", OK "Connection: close\r\n\r\n", EOF_DONE, 200, "", false},
    {"unknown coding reads to close", OK "Transfer-Encoding: gzip\r\n\r\nzz", EOF_DONE, 200, "zz",
     false},
    {"chunked beats content-length",
     OK "Content-Length: 100\r\n" CHUNKED "\r\n2\r\n{}\r\n0\r\n\r\n", 0, 200, "{}", false},
    {"interim responses skipped",
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" OK
     "Content-Length: 2\r\n\r\n{}",
     0, 200, "{}", true},
    {"head request", OK "Content-Length: 50\r\n\r\n", 0, 200, "", true, true},
    {"204", "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", 0, 204, "", true},
    {"304", "HTTP/1.1 304 Not Modified\r\n\r\n", 0, 304, "", true},
    {"500 with body", "HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\nbad", 0, 500, "bad", true},
    {"bytes after a length body", OK "Content-Length: 2\r\n\r\n{}HTTP/1.1 500 X\r\n\r\n", 0, 200,
     "{}", false},
    {"bytes after a chunked body", OK CHUNKED "\r\n1\r\nx\r\n0\r\n\r\nstray", 0, 200, "x", false},
    {"bytes after a bodiless response", "HTTP/1.1 204 No Content\r\n\r\nstray", 0, 204, "", false},
    {"body exactly max", OK "Content-Length: 4\r\n\r\nabcd", 0, 200, "abcd", true, false, 0, 4},

    /* failures */
    {"bad status", "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}", HTTP_INVALID},
    {"not http", "SSH-2.0-OpenSSH_9.2\r\n\r\n", HTTP_INVALID},
    {"two lengths", OK "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", HTTP_INVALID},
    {"bad chunk size", OK CHUNKED "\r\nzz\r\nhello\r\n0\r\n\r\n", HTTP_INVALID},
    {"bad chunk end", OK CHUNKED "\r\n5\r\nhelloXX0\r\n\r\n", HTTP_INVALID},
    {"head too large", OK "X-Big: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n", HTTP_TOO_LARGE,
     0, NULL, false, false, 40},
    {"declared body over max", OK "Content-Length: 5\r\n\r\nabcde", HTTP_TOO_LARGE, 0, NULL, false,
     false, 0, 4, true},
    {"kept chunked body over max", OK CHUNKED "\r\n5\r\n01234\r\n0\r\n\r\n", HTTP_TOO_LARGE, 0,
     NULL, false, false, 0, 4, true},
    {"truncated status", "HTTP/1.1 2", EOF_SHORT},
    {"truncated head", OK "Content-Len", EOF_SHORT},
    {"truncated length body", OK "Content-Length: 50\r\n\r\n{\"outp", EOF_SHORT},
    {"truncated chunked body", OK CHUNKED "\r\n5\r\nhel", EOF_SHORT},
    {"nothing", "", EOF_SHORT},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* How the body is taken. */
typedef enum {
    TAKE_KEEP,  /* keep_body: read it from the buffer at the end */
    TAKE_DROP,  /* neither kept nor hooked: only counted */
    TAKE_ALL,   /* hook consumes every byte offered */
    TAKE_LINES, /* hook consumes through the last '\n' offered (all at the end) */
} take_t;

struct hook_state {
    char seen[1024]; /* consumed bytes, in order */
    size_t seen_len;
    int end_calls;
    bool after_end; /* called again after its end call */
    take_t take;
};

static size_t hook(void *arg, const char *data, size_t len, bool end)
{
    struct hook_state *h = arg;
    if (h->end_calls)
        h->after_end = true;
    size_t use = len;
    if (h->take == TAKE_LINES && !end) {
        while (use > 0 && data[use - 1] != '\n')
            use--;
    }
    assert_true(h->seen_len + use <= sizeof(h->seen));
    memcpy(h->seen + h->seen_len, data, use);
    h->seen_len += use;
    h->end_calls += end;
    return use;
}

struct outcome {
    int result;
    int status;
    char body[1024];
    size_t body_len;
    bool keep_alive;
    bool fed_all; /* every byte was fed (keep_alive is only then comparable) */
};

/* Feeds c->raw in pieces ending at cuts (sorted, each <= len), each feed made
 * on a copy of the buffer placed right before a guard page. */
static void run_case(const struct res_case *c, const size_t *cuts, size_t ncuts, take_t take,
                     struct outcome *o)
{
    size_t len = strlen(c->raw);
    char *acc = malloc(len + 1);
    size_t acc_len = 0, from = 0;
    struct hook_state h = {.take = take};
    bool hooked = take == TAKE_ALL || take == TAKE_LINES;
    h1resp_t r;
    h1resp_init(&r, c->head_request, take == TAKE_KEEP, c->max_head ? c->max_head : MAX_HEAD,
                c->max_body ? c->max_body : MAX_BODY, hooked ? hook : NULL, &h);
    memset(o, 0, sizeof(*o));
    int res = HTTP_INCOMPLETE;
    for (size_t i = 0; i <= ncuts && res == HTTP_INCOMPLETE; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        memcpy(acc + acc_len, c->raw + from, to - from);
        size_t n = acc_len + (to - from);
        guard_t g;
        guard_place(&g, acc, n);
        res = h1resp_feed(&r, g.data, &n);
        assert_true(n <= acc_len + (to - from));
        memcpy(acc, g.data, n);
        acc_len = n;
        guard_free(&g);
        from = to;
        o->fed_all = to == len;
        if (res == 0) {
            if (take == TAKE_KEEP) {
                assert_true(acc_len >= r.head_len + r.body_len);
                memcpy(o->body, acc + r.head_len, (size_t)r.body_len);
                o->body_len = (size_t)r.body_len;
            }
        } else if (res == HTTP_INCOMPLETE && take == TAKE_DROP && r.have_head) {
            assert_int_equal(acc_len, r.head_len); /* a dropped body is never held */
        }
    }
    if (res == HTTP_INCOMPLETE) {
        res = h1resp_eof(&r, acc, &acc_len) == 0 ? EOF_DONE : EOF_SHORT;
        if (res == EOF_DONE && take == TAKE_KEEP) {
            memcpy(o->body, acc + r.head_len, (size_t)r.body_len);
            o->body_len = (size_t)r.body_len;
        }
    }
    o->result = res;
    o->status = r.status;
    o->keep_alive = r.keep_alive;
    bool done = res == 0 || res == EOF_DONE;
    if (hooked) {
        memcpy(o->body, h.seen, h.seen_len);
        o->body_len = h.seen_len;
        assert_int_equal(h.end_calls, done ? 1 : 0);
        assert_false(h.after_end);
    } else if (take == TAKE_DROP && done) {
        assert_int_equal(acc_len, r.head_len);
        /* counted only: compare the count */
        o->body_len = r.body_len < sizeof(o->body) ? (size_t)r.body_len : sizeof(o->body);
        if (c->body && o->body_len == strlen(c->body))
            memcpy(o->body, c->body, o->body_len);
        else
            memset(o->body, '?', o->body_len);
    }
    free(acc);
}

static void check(const struct res_case *c, const struct outcome *o, const char *how, take_t t)
{
    if (c->kept_only && t != TAKE_KEEP)
        return;
    if (o->result != c->result)
        fail_msg("%s (%s): result %d, want %d", c->name, how, o->result, c->result);
    if (c->result != 0 && c->result != EOF_DONE)
        return;
    if (o->status != c->status)
        fail_msg("%s (%s): status %d", c->name, how, o->status);
    if (o->body_len != strlen(c->body) || memcmp(o->body, c->body, o->body_len) != 0)
        fail_msg("%s (%s): body [%.*s]", c->name, how, (int)o->body_len, o->body);
    if (o->fed_all && o->keep_alive != c->keep_alive)
        fail_msg("%s (%s): keep_alive %d", c->name, how, o->keep_alive);
}

static const char *take_name[] = {"keep", "drop", "hook all", "hook lines"};

static void test_golden_whole_and_bytewise(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const struct res_case *c = &cases[i];
        size_t len = strlen(c->raw);
        size_t *cuts = malloc((len + 1) * sizeof(*cuts));
        for (size_t k = 0; k < len; k++)
            cuts[k] = k + 1;
        for (take_t t = TAKE_KEEP; t <= TAKE_LINES; t++) {
            struct outcome o;
            char how[64];
            run_case(c, NULL, 0, t, &o);
            snprintf(how, sizeof how, "whole, %s", take_name[t]);
            check(c, &o, how, t);
            run_case(c, cuts, len, t, &o);
            snprintf(how, sizeof how, "byte by byte, %s", take_name[t]);
            check(c, &o, how, t);
        }
        free(cuts);
    }
}

static void test_golden_every_split(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const struct res_case *c = &cases[i];
        size_t len = strlen(c->raw);
        for (size_t a = 0; a <= len; a++) {
            for (take_t t = TAKE_KEEP; t <= TAKE_LINES; t++) {
                struct outcome o;
                char how[64];
                run_case(c, &a, 1, t, &o);
                snprintf(how, sizeof how, "split at %zu, %s", a, take_name[t]);
                check(c, &o, how, t);
            }
            /* every pair of split points, body kept and through the line hook */
            for (size_t b = a; b <= len; b++) {
                size_t cuts[2] = {a, b};
                struct outcome o;
                char how[64];
                snprintf(how, sizeof how, "split at %zu and %zu", a, b);
                run_case(c, cuts, 2, TAKE_KEEP, &o);
                check(c, &o, how, TAKE_KEEP);
                run_case(c, cuts, 2, TAKE_LINES, &o);
                check(c, &o, how, TAKE_LINES);
            }
        }
    }
}

/* The line hook sees whole SSE lines only, and each line once, however the
 * chunks and the reads fall. */
static void test_hook_holds_a_partial_line(void **state)
{
    (void)state;
    const char raw[] = OK CHUNKED "\r\n4\r\ndata\r\n5\r\n: x\n\n\r\n0\r\n\r\n";
    struct hook_state h = {.take = TAKE_LINES};
    h1resp_t r;
    h1resp_init(&r, false, false, MAX_HEAD, MAX_BODY, hook, &h);
    char buf[sizeof(raw)];
    size_t len = 0, head = strlen(OK CHUNKED "\r\n");
    /* the head and the first chunk: "data" has no newline, so it is held */
    size_t first = head + strlen("4\r\ndata\r\n");
    memcpy(buf, raw, first);
    len = first;
    assert_int_equal(h1resp_feed(&r, buf, &len), HTTP_INCOMPLETE);
    assert_int_equal(h.seen_len, 0);
    assert_int_equal(len, r.head_len + 4);
    assert_memory_equal(buf + r.head_len, "data", 4);
    /* the second chunk completes the line and the event */
    memcpy(buf + len, raw + first, sizeof(raw) - 1 - first);
    len += sizeof(raw) - 1 - first;
    assert_int_equal(h1resp_feed(&r, buf, &len), 0);
    assert_int_equal(h.seen_len, 9);
    assert_memory_equal(h.seen, "data: x\n\n", 9);
    assert_int_equal(h.end_calls, 1);
    assert_true(r.body_len == 9);
}

/* A hook that never consumes holds the body: past max_body that is an error,
 * as a kept body would be. */
static size_t hook_hoard(void *arg, const char *data, size_t len, bool end)
{
    (void)arg;
    (void)data;
    return end ? len : 0;
}

static void test_limits(void **state)
{
    (void)state;
    h1resp_t r;
    char buf[256];
    const char close_body[] = OK "\r\n0123456789";
    size_t len = sizeof(close_body) - 1;
    memcpy(buf, close_body, len);
    h1resp_init(&r, false, false, MAX_HEAD, 9, hook_hoard, NULL);
    assert_int_equal(h1resp_feed(&r, buf, &len), HTTP_TOO_LARGE);

    /* the same body, dropped: only counted, so no limit applies */
    len = sizeof(close_body) - 1;
    memcpy(buf, close_body, len);
    h1resp_init(&r, false, false, MAX_HEAD, 9, NULL, NULL);
    assert_int_equal(h1resp_feed(&r, buf, &len), HTTP_INCOMPLETE);
    assert_int_equal(h1resp_eof(&r, buf, &len), 0);
    assert_true(r.body_len == 10);

    /* kept and chunked: the decoded size counts */
    const char chunked[] = OK CHUNKED "\r\n5\r\n01234\r\n5\r\n56789\r\n";
    len = sizeof(chunked) - 1;
    memcpy(buf, chunked, len);
    h1resp_init(&r, false, true, MAX_HEAD, 9, NULL, NULL);
    assert_int_equal(h1resp_feed(&r, buf, &len), HTTP_TOO_LARGE);
}

/* One h1resp frames response after response (a keep-alive connection). */
static void test_reset_between_responses(void **state)
{
    (void)state;
    h1resp_t r;
    h1resp_init(&r, false, true, MAX_HEAD, MAX_BODY, NULL, NULL);
    const char *raws[] = {OK CHUNKED "\r\n2\r\nab\r\n0\r\n\r\n",
                          "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nxyz",
                          OK "Content-Length: 0\r\n\r\n"};
    const char *bodies[] = {"ab", "xyz", ""};
    int statuses[] = {200, 404, 200};
    for (int i = 0; i < 3; i++) {
        char buf[128];
        size_t len = strlen(raws[i]);
        memcpy(buf, raws[i], len);
        h1resp_reset(&r);
        assert_int_equal(h1resp_feed(&r, buf, &len), 0);
        assert_int_equal(r.status, statuses[i]);
        assert_true(r.keep_alive);
        assert_int_equal(r.body_len, strlen(bodies[i]));
        assert_memory_equal(buf + r.head_len, bodies[i], strlen(bodies[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_whole_and_bytewise), cmocka_unit_test(test_golden_every_split),
        cmocka_unit_test(test_hook_holds_a_partial_line), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_reset_between_responses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
