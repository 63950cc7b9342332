/* test_stream — the answer side of a streamed request: SSE bodies as LLM
 * servers send them, fed as the body hook would (unconsumed bytes offered
 * again with the next piece), split at every point and byte by byte, timed
 * by the piece each event completes in; whole answers, errors, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "load/stream.h"
#include "llmstreams.h"

/* What h1resp does for the hook: holds what it did not consume, appends the
 * next piece, offers all of it again. */
typedef struct {
    stream_t *s;
    hist_t *itl;
    int status;
    char held[1 << 16];
    size_t len;
} feeder_t;

static void feeder_init(feeder_t *f, size_t cap, int status, uint64_t intended)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(stream_new(cap, &f->s), 0);
    assert_int_equal(hist_new_latency(&f->itl), 0);
    f->status = status;
    stream_begin(f->s, intended);
}

static void feeder_close(feeder_t *f)
{
    stream_free(f->s);
    hist_free(f->itl);
}

static void feed(feeder_t *f, const char *piece, size_t n, bool end, uint64_t now)
{
    assert_true(f->len + n <= sizeof f->held);
    memcpy(f->held + f->len, piece, n);
    f->len += n;
    size_t used = stream_feed(f->s, f->status, f->held, f->len, end, now, f->itl);
    assert_true(used <= f->len);
    memmove(f->held, f->held + used, f->len - used);
    f->len -= used;
}

static tokens_result_t finish(feeder_t *f, uint64_t send, uint64_t end)
{
    tokens_result_t r;
    stream_end(f->s, send, end, &r);
    return r;
}

/* The vLLM chat stream split in two at every point: whatever the split, two
 * token events, three tokens from usage, one gap; an event is timed by the
 * piece that completes it. */
static void test_chat_every_split(void **state)
{
    (void)state;
    const char *body = vllm_chat_stream;
    size_t len = strlen(body);
    const char *tok2 = strstr(body, "wor");
    size_t tok2_end = (size_t)(strstr(tok2, "\n\n") - body) + 2; /* bytes through its blank line */
    for (size_t cut = 0; cut <= len; cut++) {
        feeder_t f;
        feeder_init(&f, STREAM_DEFAULT_CAP, 200, 1000);
        feed(&f, body, cut, false, 5000);
        feed(&f, body + cut, len - cut, true, 9000);
        tokens_result_t r = finish(&f, 1500, 9500);
        assert_int_equal(f.s->status, STREAM_OK);
        assert_false(f.s->unfinished);
        assert_int_equal(r.chunks, 2);
        assert_int_equal(r.n_out, 3);
        assert_false(r.estimated);
        assert_true(r.has_first && r.has_tpot);
        assert_int_equal(hist_count(f.itl), 1);
        uint64_t t2 = cut >= tok2_end ? 5000 : 9000;
        assert_int_equal(r.e2el_ns, t2 - 1000); /* t_K: the usage chunk and [DONE] do not move it */
        assert_int_equal(hist_max(f.itl), r.e2el_ns - r.ttft_ns);
        assert_int_equal(r.ttft_service_ns, r.ttft_ns - 500);
        feeder_close(&f);
    }
}

/* Byte by byte, each byte arriving 1 ns after the one before: an event is
 * timed by its last byte (the blank line that dispatches it). */
static void test_bytewise_completions_crlf(void **state)
{
    (void)state;
    const char *body = vllm_completions_stream;
    size_t len = strlen(body);
    feeder_t f;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    for (size_t i = 0; i < len; i++)
        feed(&f, body + i, 1, i + 1 == len, 100 + i);
    tokens_result_t r = finish(&f, 50, 100 + len);
    /* "\r\n\r\n" ends an event at its second CR: a CR alone ends a line, so
     * the empty line is complete before its LF comes */
    size_t end1 = (size_t)(strstr(body, "\r\n\r\n") - body) + 2;
    const char *second = strstr(body, "\".\"");
    size_t end2 = (size_t)(strstr(second, "\r\n\r\n") - body) + 2;
    assert_int_equal(r.chunks, 2);
    assert_int_equal(r.n_out, 2);
    assert_int_equal(r.ttft_ns, 100 + end1);
    assert_int_equal(r.e2el_ns, 100 + end2);
    assert_int_equal(r.tpot_ns, end2 - end1); /* (t_K - t_1) / (2 - 1) */
    assert_int_equal(hist_count(f.itl), 1);
    feeder_close(&f);
}

/* TGI: comments between events, the count from details.generated_tokens,
 * every event in one piece (gaps of 0). */
static void test_tgi_one_piece(void **state)
{
    (void)state;
    feeder_t f;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, tgi_stream, strlen(tgi_stream), true, 777);
    tokens_result_t r = finish(&f, 1, 800);
    assert_int_equal(r.chunks, 3);
    assert_int_equal(r.n_out, 3);
    assert_false(r.estimated);
    assert_int_equal(r.ttft_ns, 777);
    assert_int_equal(r.tpot_ns, 0);
    assert_int_equal(hist_count(f.itl), 2);
    assert_int_equal(hist_max(f.itl), 0);
    feeder_close(&f);
}

/* Multi-token chunks and empty ones: K counts events with text, n_out the
 * server's count; without a count n_out is K, flagged estimated. */
static void test_multi_token_and_estimate(void **state)
{
    (void)state;
    static const char body[] =
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"a b c d\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"e f g h\"}}]}\n\n";
    static const char usage[] = "data: {\"choices\":[],\"usage\":{\"completion_tokens\":8}}\n\n"
                                "data: [DONE]\n\n";
    feeder_t f;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    const char *second = strstr(body, "e f g h") - 40;
    feed(&f, body, (size_t)(second - body), false, 10000000);
    feed(&f, second, strlen(second), false, 80000000);
    feed(&f, usage, strlen(usage), true, 90000000);
    tokens_result_t r = finish(&f, 0, 90000000);
    assert_int_equal(r.chunks, 2);
    assert_int_equal(r.n_out, 8);
    assert_false(r.estimated);
    assert_int_equal(r.tpot_ns, 10000000); /* 70 ms over 7 tokens after the first */
    feeder_close(&f);

    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, body, strlen(body), true, 5);
    r = finish(&f, 0, 5);
    assert_int_equal(r.chunks, 2);
    assert_int_equal(r.n_out, 2);
    assert_true(r.estimated);
    feeder_close(&f);
}

/* A server that ignored "stream": true: the whole answer, held until the
 * body is complete, is one event (no tpot: one event measures no decoding). */
static void test_whole_answer(void **state)
{
    (void)state;
    static const char body[] =
        "  {\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
        "{\"role\":\"assistant\",\"content\":\"Hello there\"},\"finish_reason\":\"length\"}],"
        "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":12,\"total_tokens\":15}}";
    feeder_t f;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 100);
    feed(&f, body, 20, false, 200);
    assert_int_equal(f.len, 20); /* held: nothing consumed yet */
    feed(&f, body + 20, strlen(body) - 20, true, 300);
    tokens_result_t r = finish(&f, 150, 300);
    assert_int_equal(f.s->status, STREAM_OK);
    assert_int_equal(r.chunks, 1);
    assert_int_equal(r.n_out, 12);
    assert_int_equal(r.ttft_ns, 200);
    assert_int_equal(r.e2el_ns, 200);
    assert_false(r.has_tpot);
    feeder_close(&f);
}

/* An error event fails the stream and keeps the tokens before it; tokens
 * after it are not timed. */
static void test_error_event(void **state)
{
    (void)state;
    static const char body[] = "data: " VLLM_CHAT_TOKEN1 "\n\n"
                               "data: " VLLM_ERROR "\n\n"
                               "data: " VLLM_CHAT_TOKEN2 "\n\n"
                               "data: [DONE]\n\n";
    feeder_t f;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, body, strlen(body), true, 10);
    tokens_result_t r = finish(&f, 0, 10);
    assert_int_equal(f.s->status, STREAM_ERROR_EVENT);
    assert_int_equal(r.chunks, 1);
    /* What the server said is kept, for the summary: the event's data. */
    assert_int_equal(f.s->error_bytes, strlen(VLLM_ERROR));
    assert_memory_equal(f.s->error, VLLM_ERROR, strlen(VLLM_ERROR));
    feeder_close(&f);
    /* TGI's error shape, and an SSE event named "error". */
    static const char tgi[] = "data:" TGI_TOKEN1 "\n\ndata:" TGI_ERROR "\n\n";
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, tgi, strlen(tgi), true, 10);
    assert_int_equal(f.s->status, STREAM_ERROR_EVENT);
    feeder_close(&f);
    static const char named[] = "event: error\ndata: overloaded\n\n";
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, named, strlen(named), true, 10);
    assert_int_equal(f.s->status, STREAM_ERROR_EVENT);
    assert_int_equal(f.s->error_bytes, 10);
    assert_memory_equal(f.s->error, "overloaded", 10);
    feeder_close(&f);
    /* A long one: its first STREAM_ERROR_KEEP bytes and its whole length;
     * a second error event does not replace the first. */
    char big[1024];
    int n = snprintf(big, sizeof big,
                     "data: {\"error\": {\"message\": \"%0600d\"}}\n\n"
                     "data: {\"error\": \"second\"}\n\n",
                     7);
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, big, (size_t)n, true, 10);
    assert_int_equal(f.s->error_bytes, 600 + strlen("{\"error\": {\"message\": \"\"}}"));
    assert_memory_equal(f.s->error, big + strlen("data: "), STREAM_ERROR_KEEP);
    /* The next request starts with nothing kept. */
    stream_begin(f.s, 20);
    assert_int_equal(f.s->error_bytes, 0);
    feeder_close(&f);
}

/* An event over the buffer fails the stream, wherever it was split; the
 * rest of the body is consumed without a look. */
static void test_too_large(void **state)
{
    (void)state;
    char body[2048];
    size_t n = (size_t)snprintf(body, sizeof body, "data: " VLLM_CHAT_TOKEN1 "\n\ndata: {\"x\":\"");
    memset(body + n, 'a', 400);
    n += 400;
    n += (size_t)snprintf(body + n, sizeof body - n, "\"}\n\ndata: " VLLM_CHAT_TOKEN2 "\n\n");
    for (size_t cut = 0; cut <= n; cut += 7) {
        feeder_t f;
        feeder_init(&f, 256, 200, 0);
        feed(&f, body, cut, false, 1);
        feed(&f, body + cut, n - cut, true, 2);
        tokens_result_t r = finish(&f, 0, 2);
        assert_int_equal(f.s->status, STREAM_TOO_LARGE);
        assert_int_equal(r.chunks, 1);
        assert_int_equal(f.len, 0);
        feeder_close(&f);
    }
}

/* Data that is neither JSON nor [DONE]; a body cut inside an event; a
 * failed status (its body is not read). */
static void test_invalid_unfinished_status(void **state)
{
    (void)state;
    feeder_t f;
    static const char text[] = "data: hello\n\ndata: " VLLM_CHAT_TOKEN1 "\n\n";
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, text, strlen(text), true, 3);
    tokens_result_t r = finish(&f, 0, 3);
    assert_int_equal(f.s->status, STREAM_INVALID);
    assert_int_equal(r.chunks, 1);
    feeder_close(&f);

    static const char cut[] = "data: " VLLM_CHAT_TOKEN1 "\n\ndata: " VLLM_CHAT_TOKEN2;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, cut, strlen(cut), true, 3);
    r = finish(&f, 0, 3);
    assert_int_equal(f.s->status, STREAM_OK);
    assert_true(f.s->unfinished);
    assert_int_equal(r.chunks, 1);
    feeder_close(&f);

    feeder_init(&f, STREAM_DEFAULT_CAP, 503, 0);
    feed(&f, vllm_chat_stream, strlen(vllm_chat_stream), true, 3);
    r = finish(&f, 0, 3);
    assert_int_equal(f.s->status, STREAM_OK);
    assert_int_equal(r.chunks, 0);
    assert_int_equal(f.len, 0);
    feeder_close(&f);
}

/* A 2xx body that ends without one event is no event stream: its start is
 * kept (whole or byte by byte alike); a body cut inside its first event, or
 * one that is only [DONE], is not that. */
static void test_no_event(void **state)
{
    (void)state;
    static const char page[] = "<html><body>502 Bad Gateway</body></html>\n";
    for (size_t piece = 1; piece <= sizeof page; piece += sizeof page - 1) {
        feeder_t f;
        feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
        for (size_t i = 0; i < strlen(page); i += piece) {
            size_t n = strlen(page) - i < piece ? strlen(page) - i : piece;
            feed(&f, page + i, n, i + n == strlen(page), 1);
        }
        assert_int_equal(f.s->status, STREAM_NO_EVENT);
        assert_int_equal(f.s->error_bytes, strlen(page));
        assert_memory_equal(f.s->error, page, strlen(page));
        feeder_close(&f);
    }
    static const char *const bodies[] = {"", "\r\n", ": ping\n\n", "data: [DONE]\n\n",
                                         "data: {\"choices\":[]}"};
    static const stream_status_t want[] = {STREAM_NO_EVENT, STREAM_NO_EVENT, STREAM_NO_EVENT,
                                           STREAM_OK, STREAM_OK};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        feeder_t f;
        feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
        feed(&f, bodies[i], strlen(bodies[i]), true, 1);
        assert_int_equal(f.s->status, want[i]);
        assert_int_equal(f.s->unfinished, i == 4);
        feeder_close(&f);
    }
}

/* HTTP/2 ends a body with no bytes as nghttp2 does (a HEADERS frame that
 * ends the stream): the end alone, no buffer. */
static void test_no_event_end_without_buffer(void **state)
{
    (void)state;
    stream_t *s;
    assert_int_equal(stream_new(STREAM_DEFAULT_CAP, &s), 0);
    stream_begin(s, 0);
    assert_int_equal(stream_feed(s, 200, NULL, 0, true, 1, NULL), 0);
    assert_int_equal(s->status, STREAM_NO_EVENT);
    assert_int_equal(s->error_bytes, 0);
    stream_free(s);
}

/* Whether the body said its answer was complete. */
static bool cut_short(const char *body, bool llm_api)
{
    feeder_t f;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, body, strlen(body), true, 1);
    bool cut = stream_cut_short(f.s, llm_api);
    /* a token event makes the shape known: llm_api no longer matters */
    if (f.s->tok.chunks)
        assert_int_equal(stream_cut_short(f.s, !llm_api), cut);
    feeder_close(&f);
    return cut;
}

/* A body that ends cleanly is a complete answer only with [DONE] or a finish
 * marker (either alone will do); a whole answer is complete by being whole;
 * a failed stream is its failure, not cut short. Without a token event and
 * without an API named, nothing is judged. */
static void test_cut_short(void **state)
{
    (void)state;
    assert_false(cut_short(vllm_chat_stream, true));
    assert_false(cut_short(vllm_completions_stream, true));
    assert_false(cut_short(tgi_stream, true));
    static const char *const cut[] = {
        "data: " VLLM_CHAT_ROLE "\n\ndata: " VLLM_CHAT_TOKEN1 "\n\ndata: " VLLM_CHAT_TOKEN2 "\n\n",
        "data: " VLLM_CMPL_TOKEN1 "\n\n",
        "data:" TGI_TOKEN1 "\n\n:\n\ndata:" TGI_TOKEN2 "\n\n",
        /* the usage chunk is no end */
        "data: " VLLM_CHAT_TOKEN1 "\n\ndata: " VLLM_CHAT_USAGE "\n\n",
        /* a chunked body that ends inside an event */
        "data: " VLLM_CHAT_TOKEN1 "\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"},"
        "\"finish_reason\":\"stop\"}]}",
        "data: " VLLM_CHAT_TOKEN1 "\n\ndata: [DONE]",
    };
    for (size_t i = 0; i < sizeof cut / sizeof *cut; i++)
        if (!cut_short(cut[i], false))
            fail_msg("not cut short: %s", cut[i]);
    static const char *const whole[] = {
        /* finish_reason without [DONE], [DONE] without finish_reason */
        "data: " VLLM_CHAT_TOKEN1 "\n\ndata: " VLLM_CHAT_FINISH "\n\n",
        "data: " VLLM_CMPL_TOKEN1 "\n\ndata: " VLLM_CMPL_TOKEN2 "\n\n",
        "data: " VLLM_CHAT_TOKEN1 "\n\ndata: [DONE]\n\n",
        /* TGI: generated_text or details.finish_reason, either */
        "data:{\"token\":{\"text\":\"a\"},\"generated_text\":\"\",\"details\":null}\n\n",
        "data:{\"token\":{\"text\":\"a\"},\"generated_text\":null,"
        "\"details\":{\"finish_reason\":\"length\"}}\n\n",
        /* a whole answer, with or without a finish_reason */
        "{\"choices\":[{\"message\":{\"content\":\"Hi\"}}]}",
        /* failures are their own */
        "data: " VLLM_CHAT_TOKEN1 "\n\ndata: " VLLM_ERROR "\n\n",
        "data: " VLLM_CHAT_TOKEN1 "\n\ndata: hello\n\n",
        "",
    };
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
        if (cut_short(whole[i], true))
            fail_msg("cut short: %s", whole[i]);
    /* No token event: only a named API judges the end. */
    static const char bare[] = "data: {\"x\":1}\n\ndata: {\"choices\":[]}\n\n";
    assert_true(cut_short(bare, true));
    assert_false(cut_short(bare, false));
    /* A reused stream forgets the last answer's end. */
    feeder_t f;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    feed(&f, vllm_chat_stream, strlen(vllm_chat_stream), true, 1);
    assert_false(stream_cut_short(f.s, true));
    stream_begin(f.s, 0);
    feed(&f, cut[0], strlen(cut[0]), true, 2);
    assert_true(stream_cut_short(f.s, true));
    feeder_close(&f);
}

/* One stream serves request after request: begin resets everything. */
static void test_reuse(void **state)
{
    (void)state;
    feeder_t f;
    feeder_init(&f, STREAM_DEFAULT_CAP, 200, 0);
    static const char named[] = "event: error\ndata: x\n\ndata: {\"choices\":[{\"text\":\"";
    feed(&f, named, strlen(named), true, 1);
    assert_int_equal(f.s->status, STREAM_ERROR_EVENT);
    assert_true(f.s->unfinished);
    f.len = 0;
    stream_begin(f.s, 10);
    feed(&f, vllm_chat_stream, strlen(vllm_chat_stream), true, 30);
    tokens_result_t r = finish(&f, 20, 30);
    assert_int_equal(f.s->status, STREAM_OK);
    assert_false(f.s->unfinished);
    assert_int_equal(r.chunks, 2);
    assert_int_equal(r.ttft_ns, 20);
    assert_int_equal(r.ttft_service_ns, 10);
    feeder_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_every_split),
        cmocka_unit_test(test_bytewise_completions_crlf),
        cmocka_unit_test(test_tgi_one_piece),
        cmocka_unit_test(test_multi_token_and_estimate),
        cmocka_unit_test(test_whole_answer),
        cmocka_unit_test(test_error_event),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_invalid_unfinished_status),
        cmocka_unit_test(test_no_event),
        cmocka_unit_test(test_no_event_end_without_buffer),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_cut_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
