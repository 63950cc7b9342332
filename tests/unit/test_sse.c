/* Tests for core/sse: golden streams (line endings, fields, comments, BOM,
 * LLM servers' streams), each fed whole, split at every point (and every
 * pair of points for the short ones), byte by byte, and with every piece
 * right before a PROT_NONE guard page; limits; stopping from the callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"
#include "llmstreams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sse.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define RENDER_CAP (80 * 1024)

/* Events rendered as "name|data;" with CR, LF and NUL shown as \r \n \0. */
struct rec {
    char out[RENDER_CAP];
    size_t len;
    size_t events;
    int stop_after; /* stop sse_feed after this many events (0: never) */
    const char *piece;
    size_t piece_len;
    size_t in_piece; /* events whose data pointed into the fed piece */
};

static void put(struct rec *r, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *esc = s[i] == '\n' ? "\\n" : s[i] == '\r' ? "\\r" : s[i] == '\0' ? "\\0" : NULL;
        size_t m = esc ? 2 : 1;
        assert_true(r->len + m < sizeof(r->out));
        memcpy(r->out + r->len, esc ? esc : s + i, m);
        r->len += m;
    }
    r->out[r->len] = '\0';
}

static int on_event(void *ctx, const sse_event_t *ev)
{
    struct rec *r = ctx;
    put(r, ev->name, ev->name_len);
    put(r, "|", 1);
    put(r, ev->data, ev->data_len);
    put(r, ";", 1);
    r->events++;
    if (r->piece && ev->data >= r->piece && ev->data + ev->data_len <= r->piece + r->piece_len)
        r->in_piece++;
    return r->stop_after && r->events % (size_t)r->stop_after == 0;
}

struct sse_case {
    const char *name;
    const char *raw;
    const char *events; /* rendered */
    bool finish;        /* sse_finish at the end */
    size_t len;         /* 0: strlen(raw) */
    size_t cap;         /* 0: SSE_DEFAULT_CAP */
    bool too_large;     /* the stream ends in SSE_TOO_LARGE after `events` */
};

static const struct sse_case cases[] = {
    {"LF", "data: hello\n\n", "message|hello;"},
    {"CRLF", "data: hello\r\n\r\n", "message|hello;"},
    {"CR", "data: hello\r\r", "message|hello;"},
    {"mixed line ends", "data: a\r\ndata: b\rdata: c\n\r\n", "message|a\\nb\\nc;"},
    {"CR CR LF: the LF ends nothing", "data: a\r\r\ndata: b\n\n", "message|a;message|b;"},
    {"LF CR is two line ends", "data: a\n\rdata: b\n\n", "message|a;message|b;"},
    {"no space after colon", "data:hello\n\n", "message|hello;"},
    {"only one space dropped", "data:  two\n\n", "message| two;"},
    {"tab kept", "data:\tx\n\n", "message|\tx;"},
    {"colon in value", "data: a: b:c\n\n", "message|a: b:c;"},
    {"multi-line data", "data: a\ndata: b\ndata:\ndata: c\n\n", "message|a\\nb\\n\\nc;"},
    {"empty data", "data:\n\n", "message|;"},
    {"data without colon", "data\n\n", "message|;"},
    {"data without colon, twice", "data\ndata\n\n", "message|\\n;"},
    {"space-only data", "data: \n\n", "message|;"},
    {"no data: no event", "event: x\n\ndata: y\n\n", "message|y;"},
    {"blank lines alone", "\n\r\n\r\n\n", ""},
    {"event name", "event: error\ndata: {}\n\n", "error|{};"},
    {"event after data", "data: x\nevent: foo\n\n", "foo|x;"},
    {"last event wins", "event: a\nevent: bb\ndata: x\n\n", "bb|x;"},
    {"empty event name", "event: a\nevent:\ndata: x\n\n", "message|x;"},
    {"event without colon", "event: a\nevent\ndata: x\n\n", "message|x;"},
    {"name is per event", "event: a\ndata: 1\n\ndata: 2\n\n", "a|1;message|2;"},
    {"comment", ": ping\n\ndata: x\n\n", "message|x;"},
    {"empty comment", ":\n\n:\r\n\r\n", ""},
    {"comment inside an event", "data: a\n: c\ndata: b\n\n", "message|a\\nb;"},
    {"id and retry ignored", "id: 7\nretry: 100\ndata: x\nid\n\n", "message|x;"},
    {"unknown fields ignored", "foo: bar\ndatax: y\nDATA: z\ndat: w\ndata: x\n\n", "message|x;"},
    {"space before colon", "data : x\n\n", ""},
    {"leading space", " data: x\n\n", ""},
    {"whitespace line is not blank", "data: x\n \n\n", "message|x;"},
    {"BOM",
     "\xEF\xBB\xBF"
     "data: x\n\n",
     "message|x;"},
    {"BOM then blank",
     "\xEF\xBB\xBF\n"
     "data: x\n\n",
     "message|x;"},
    {"second BOM is a field name",
     "\xEF\xBB\xBF\xEF\xBB\xBF"
     "data: x\n\ndata: y\n\n",
     "message|y;"},
    {"BOM later is data",
     "data: x\n\n\xEF\xBB\xBF"
     "data: y\n\n",
     "message|x;"},
    {"BOM in a value", "data: \xEF\xBB\xBFx\n\n", "message|\xEF\xBB\xBFx;"},
    {"partial BOM",
     "\xEF\xBB"
     "data: x\n\ndata: y\n\n",
     "message|y;"},
    {"partial BOM then colon", "\xEF:x\ndata: y\n\n", "message|y;"},
    {"partial BOM then LF", "\xEF\xBB\ndata: y\n\n", "message|y;"},
    {"NUL in data", "data: a\0b\n\n", "message|a\\0b;", false, 11},
    {"many events", "data: 1\n\ndata: 2\n\ndata: 3\n\n", "message|1;message|2;message|3;"},
    {"unterminated event", "data: x\n", "", true},
    {"unterminated line", "data: x", "", true},
    {"unterminated field name", "data: x\n\ndata", "message|x;", false},
    {"unterminated comment", "data: x\n\n: ke", "message|x;", false},
    {"empty stream", "", ""},
    {"ends on CR", "data: x\r\r", "message|x;"},
    {"vLLM chat", vllm_chat_stream,
     "message|" VLLM_CHAT_ROLE ";message|" VLLM_CHAT_TOKEN1 ";message|" VLLM_CHAT_TOKEN2
     ";message|" VLLM_CHAT_FINISH ";message|" VLLM_CHAT_USAGE ";message|[DONE];"},
    {"vLLM completions, CRLF", vllm_completions_stream,
     "message|" VLLM_CMPL_TOKEN1 ";message|" VLLM_CMPL_TOKEN2 ";message|" VLLM_CMPL_USAGE
     ";message|[DONE];"},
    {"TGI", tgi_stream, "message|" TGI_TOKEN1 ";message|" TGI_TOKEN2 ";message|" TGI_LAST ";"},
    {"vLLM error", "data: " VLLM_ERROR "\n\n", "message|" VLLM_ERROR ";"},
    {"named error event", "event: error\ndata: " TGI_ERROR "\n\n", "error|" TGI_ERROR ";"},

    /* limits: cap 8 */
    {"data at the cap", "data: 12345678\n\n", "message|12345678;", false, 0, 8},
    {"data over the cap", "data: 1\n\ndata: 123456789\n\ndata: 2\n\n", "message|1;", false, 0, 8,
     true},
    {"joined data at the cap", "data: 1234\ndata: 567\n\n", "message|1234\\n567;", false, 0, 8},
    {"joined data over the cap", "data: 1234\ndata: 5678\n\n", "", false, 0, 8, true},
    {"joiners count", "data\ndata\ndata\ndata\ndata\ndata\ndata\ndata\ndata\ndata\n\n", "", false,
     0, 8, true},
    {"long comment is fine", ": 0123456789012345678901234567890123456789\ndata: x\n\n",
     "message|x;", false, 0, 8},
    {"long unknown field is fine", "comment: 0123456789012345678901234567890\ndata: x\n\n",
     "message|x;", false, 0, 8},
    {"long id is fine", "id: 0123456789012345678901234567890\ndata: x\n\n", "message|x;", false, 0,
     8},
    {"name of 64 bytes",
     "event: 0123456789012345678901234567890123456789012345678901234567890123\ndata: x\n\n",
     "0123456789012345678901234567890123456789012345678901234567890123|x;"},
    {"name of 65 bytes",
     "event: 01234567890123456789012345678901234567890123456789012345678901234\ndata: x\n\n", "",
     false, 0, 0, true},
    {"zero cap: empty data only", "data:\n\ndata: x\n\n", "message|;", false, 0, SIZE_MAX, true},
};

static size_t case_len(const struct sse_case *c)
{
    return c->len ? c->len : strlen(c->raw);
}

static size_t case_cap(const struct sse_case *c)
{
    return c->cap == SIZE_MAX ? 0 : c->cap ? c->cap : SSE_DEFAULT_CAP;
}

/* Feeds raw in pieces ending at cuts[], each piece right before a guard page.
 * Checks the feed results; the events go to r. Returns the final status. */
static ssize_t feed_split(const struct sse_case *c, const size_t *cuts, size_t ncuts, struct rec *r,
                          char *buf)
{
    sse_parser_t p;
    sse_init(&p, buf, case_cap(c));
    memset(r, 0, sizeof(*r));
    size_t len = case_len(c), from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        guard_t g;
        guard_place(&g, c->raw + from, to - from);
        ssize_t n = sse_feed(&p, g.data, to - from, on_event, r);
        guard_free(&g);
        if (n == SSE_TOO_LARGE) {
            assert_int_equal(sse_feed(&p, "data: x\n\n", 9, on_event, r), SSE_TOO_LARGE);
            assert_int_equal(sse_feed(&p, "", 0, on_event, r), SSE_TOO_LARGE);
            return n;
        }
        if (n != (ssize_t)(to - from))
            fail_msg("%s: fed %zu, consumed %zd", c->name, to - from, n);
        from = to;
    }
    if (sse_finish(&p) != c->finish)
        fail_msg("%s: sse_finish %d", c->name, sse_finish(&p));
    return (ssize_t)len;
}

static void check_split(const struct sse_case *c, const size_t *cuts, size_t ncuts, char *buf)
{
    static struct rec r;
    ssize_t n = feed_split(c, cuts, ncuts, &r, buf);
    if (strcmp(r.out, c->events) != 0)
        fail_msg("%s (cuts %zu: %zu..): got\n  %s\nwant\n  %s", c->name, ncuts, ncuts ? cuts[0] : 0,
                 r.out, c->events);
    if ((n == SSE_TOO_LARGE) != c->too_large)
        fail_msg("%s: result %zd", c->name, n);
}

static void test_golden_whole(void **state)
{
    (void)state;
    char *buf = malloc(SSE_DEFAULT_CAP);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_split(&cases[i], NULL, 0, buf);
    free(buf);
}

static void test_golden_every_split(void **state)
{
    (void)state;
    char *buf = malloc(SSE_DEFAULT_CAP);
    size_t *cuts = malloc(4096 * sizeof(*cuts));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct sse_case *c = &cases[i];
        size_t len = case_len(c);
        assert_true(len < 4096);
        for (size_t a = 0; a <= len; a++) {
            check_split(c, &a, 1, buf);
            if (len > 48)
                continue;
            for (size_t b = a; b <= len; b++) {
                size_t two[2] = {a, b};
                check_split(c, two, 2, buf);
            }
        }
        for (size_t k = 0; k < len; k++) /* byte by byte */
            cuts[k] = k + 1;
        check_split(c, cuts, len, buf);
    }
    free(cuts);
    free(buf);
}

/* One event per piece, single data line: passed without a copy. */
static void test_zero_copy(void **state)
{
    (void)state;
    char buf[64];
    sse_parser_t p;
    sse_init(&p, buf, sizeof(buf));
    static struct rec r;
    memset(&r, 0, sizeof(r));
    const char *pieces[] = {"data: one\n\n", "event: e\r\ndata: two\r\n\r\n", "data: three\r\r"};
    for (size_t i = 0; i < 3; i++) {
        r.piece = pieces[i];
        r.piece_len = strlen(pieces[i]);
        assert_int_equal(sse_feed(&p, r.piece, r.piece_len, on_event, &r), (ssize_t)r.piece_len);
    }
    assert_string_equal(r.out, "message|one;e|two;message|three;");
    assert_int_equal(r.in_piece, 3);

    /* Split or multi-line events come from the buffer. */
    sse_reset(&p);
    memset(&r, 0, sizeof(r));
    r.piece = "data: a\ndata: b\n\n";
    r.piece_len = strlen(r.piece);
    assert_int_equal(sse_feed(&p, r.piece, r.piece_len, on_event, &r), (ssize_t)r.piece_len);
    assert_int_equal(sse_feed(&p, "data: c", 7, on_event, &r), 7);
    r.piece = "\n\n";
    r.piece_len = 2;
    assert_int_equal(sse_feed(&p, r.piece, 2, on_event, &r), 2);
    assert_string_equal(r.out, "message|a\\nb;message|c;");
    assert_int_equal(r.in_piece, 0);
}

/* A callback that returns non-zero stops the feed right after its event. */
static void test_stop(void **state)
{
    (void)state;
    char buf[64];
    sse_parser_t p;
    sse_init(&p, buf, sizeof(buf));
    static struct rec r;
    memset(&r, 0, sizeof(r));
    r.stop_after = 1;
    const char raw[] = "data: 1\n\ndata: 2\r\r\ndata: 3\n\n: tail";
    size_t len = sizeof(raw) - 1, off = 0;
    ssize_t n = sse_feed(&p, raw, len, on_event, &r);
    assert_int_equal(n, 9);
    assert_string_equal(r.out, "message|1;");
    off += (size_t)n;
    n = sse_feed(&p, raw + off, len - off, on_event, &r);
    assert_int_equal(n, 9); /* through the CR of the blank line; its LF is next */
    assert_string_equal(r.out, "message|1;message|2;");
    off += (size_t)n;
    n = sse_feed(&p, raw + off, len - off, on_event, &r);
    assert_int_equal(n, 10); /* the LF, then "data: 3\n\n" */
    off += (size_t)n;
    assert_string_equal(r.out, "message|1;message|2;message|3;");
    n = sse_feed(&p, raw + off, len - off, on_event, &r);
    assert_int_equal(n, (ssize_t)(len - off));
    assert_false(sse_finish(&p));

    /* A NULL callback just parses. */
    sse_reset(&p);
    assert_int_equal(sse_feed(&p, raw, len, NULL, NULL), (ssize_t)len);
}

/* Past the limit the parser stays failed; sse_reset starts it again. */
static void test_too_large_then_reset(void **state)
{
    (void)state;
    char buf[4];
    sse_parser_t p;
    sse_init(&p, buf, sizeof(buf));
    static struct rec r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sse_feed(&p, "data: 12", 8, on_event, &r), 8);
    assert_int_equal(sse_feed(&p, "345\n\n", 5, on_event, &r), SSE_TOO_LARGE);
    assert_int_equal(sse_feed(&p, "data: 1\n\n", 9, on_event, &r), SSE_TOO_LARGE);
    assert_int_equal(r.events, 0);
    sse_reset(&p);
    assert_int_equal(sse_feed(&p, "data: 1234\n\n", 12, on_event, &r), 12);
    assert_string_equal(r.out, "message|1234;");

    /* A 1 MiB comment needs no buffer at all. */
    size_t big = 1 << 20;
    char *raw = malloc(big);
    memset(raw, 'x', big);
    raw[0] = ':';
    raw[big - 1] = '\n';
    sse_reset(&p);
    for (size_t off = 0; off < big; off += 4096)
        assert_int_equal(sse_feed(&p, raw + off, 4096, on_event, &r), 4096);
    assert_int_equal(sse_feed(&p, "data: ok\n\n", 10, on_event, &r), 10);
    assert_string_equal(r.out, "message|1234;message|ok;");
    free(raw);
}

/* An event the size of the default buffer, arriving in 1460-byte segments. */
static void test_big_event(void **state)
{
    (void)state;
    size_t data_len = SSE_DEFAULT_CAP;
    char *raw = malloc(data_len + 16), *buf = malloc(SSE_DEFAULT_CAP);
    memcpy(raw, "data:", 5);
    for (size_t i = 0; i < data_len; i++)
        raw[5 + i] = (char)('a' + i % 26);
    memcpy(raw + 5 + data_len, "\n\n", 2);
    size_t len = data_len + 7;
    for (int over = 0; over <= 1; over++) {
        sse_parser_t p;
        sse_init(&p, buf, SSE_DEFAULT_CAP - (size_t)over);
        static struct rec r;
        memset(&r, 0, sizeof(r));
        ssize_t n = 0;
        for (size_t off = 0; off < len && n >= 0; off += 1460) {
            size_t m = len - off < 1460 ? len - off : 1460;
            n = sse_feed(&p, raw + off, m, on_event, &r);
        }
        if (over) {
            assert_int_equal(n, SSE_TOO_LARGE);
            assert_int_equal(r.events, 0);
        } else {
            assert_true(n >= 0);
            assert_int_equal(r.events, 1);
            assert_int_equal(r.len, 8 + data_len + 1);
            assert_memory_equal(r.out + 8, raw + 5, data_len);
        }
    }
    free(raw);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_whole),
        cmocka_unit_test(test_golden_every_split),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_too_large_then_reset),
        cmocka_unit_test(test_big_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
