/* Tests for stats/tokens: every metric exact in integer ns, K < n_out
 * (multi-token chunks), n_out from usage vs estimated, the undefined cases,
 * rounding, and a whole vLLM stream through sse + llmevent + tokens as the
 * streaming client will drive them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "llmstreams.h"

#include <string.h>

#include "core/sse.h"
#include "load/llmevent.h"
#include "stats/tokens.h"

#define MS 1000000ull

/* Feeds token events at the given times; collects the ITL gaps. */
static size_t feed(tokens_t *t, const uint64_t *at, size_t n, uint64_t *gaps)
{
    size_t ngaps = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t gap = 12345;
        if (tokens_event(t, at[i], &gap))
            gaps[ngaps++] = gap;
        else
            assert_int_equal(gap, 12345); /* untouched */
    }
    return ngaps;
}

static void test_no_tokens(void **state)
{
    (void)state;
    tokens_t t;
    tokens_result_t r;
    tokens_start(&t, 1 * MS, 2 * MS);
    tokens_end(&t, 9 * MS);
    tokens_result(&t, &r);
    assert_int_equal(r.chunks, 0);
    assert_int_equal(r.n_out, 0);
    assert_true(r.estimated);
    assert_false(r.has_first);
    assert_false(r.has_tpot);
    assert_int_equal(r.end_ns, 9 * MS);
    /* a count without any token event: n_out from it, still no ttft */
    tokens_usage(&t, 4);
    tokens_result(&t, &r);
    assert_int_equal(r.n_out, 4);
    assert_false(r.estimated);
    assert_false(r.has_first);
    assert_false(r.has_tpot);
}

/* Four one-token chunks, no usage: n_out = K, estimated. */
static void test_estimated(void **state)
{
    (void)state;
    tokens_t t;
    tokens_result_t r;
    uint64_t gaps[8];
    tokens_start(&t, 100 * MS, 103 * MS);
    const uint64_t at[] = {150 * MS, 160 * MS, 180 * MS, 210 * MS};
    assert_int_equal(feed(&t, at, 4, gaps), 3);
    assert_int_equal(gaps[0], 10 * MS);
    assert_int_equal(gaps[1], 20 * MS);
    assert_int_equal(gaps[2], 30 * MS);
    tokens_usage(&t, -1); /* an event without a count */
    tokens_end(&t, 215 * MS);
    tokens_result(&t, &r);
    assert_int_equal(r.chunks, 4);
    assert_int_equal(r.n_out, 4);
    assert_true(r.estimated);
    assert_true(r.has_first);
    assert_int_equal(r.ttft_ns, 50 * MS);
    assert_int_equal(r.ttft_service_ns, 47 * MS);
    assert_int_equal(r.e2el_ns, 110 * MS); /* t_K - t_int: t_end does not move it */
    assert_true(r.has_tpot);
    assert_int_equal(r.tpot_ns, 20 * MS); /* (210 - 150) / (4 - 1) */
    assert_int_equal(r.end_ns, 215 * MS);
}

/* Multi-token chunks: K = 3 events carry n_out = 7 tokens (usage). */
static void test_multi_token_chunks(void **state)
{
    (void)state;
    tokens_t t;
    tokens_result_t r;
    uint64_t gaps[8];
    tokens_start(&t, 0, 0);
    const uint64_t at[] = {40 * MS, 52 * MS, 100 * MS};
    assert_int_equal(feed(&t, at, 3, gaps), 2);
    assert_int_equal(gaps[0], 12 * MS);
    assert_int_equal(gaps[1], 48 * MS);
    tokens_usage(&t, 5);
    tokens_usage(&t, 7); /* the last count wins */
    tokens_usage(&t, -1);
    tokens_result(&t, &r);
    assert_int_equal(r.chunks, 3);
    assert_int_equal(r.n_out, 7);
    assert_false(r.estimated);
    assert_int_equal(r.ttft_ns, 40 * MS);
    assert_int_equal(r.e2el_ns, 100 * MS);
    assert_int_equal(r.tpot_ns, 10 * MS); /* (100 - 40) / (7 - 1): per token, not per chunk */
}

/* tpot is undefined below two tokens or two events. */
static void test_tpot_undefined(void **state)
{
    (void)state;
    static const struct {
        size_t events;
        int64_t usage;
        bool has_tpot;
    } cases[] = {
        {1, -1, false}, /* one estimated token */
        {1, 5, false},  /* a whole answer in one event: no decoding time measured */
        {2, 1, false},  /* the server says one token */
        {2, 0, false},  {2, -1, true}, {2, 2, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tokens_t t;
        tokens_result_t r;
        uint64_t gap;
        tokens_start(&t, 0, 0);
        for (size_t k = 0; k < cases[i].events; k++)
            tokens_event(&t, (k + 1) * MS, &gap);
        tokens_usage(&t, cases[i].usage);
        tokens_result(&t, &r);
        assert_true(r.has_first);
        if (r.has_tpot != cases[i].has_tpot)
            fail_msg("case %zu: has_tpot %d", i, r.has_tpot);
        if (cases[i].events == 1)
            assert_int_equal(r.e2el_ns, r.ttft_ns);
    }
}

/* (t_K - t_1) / (n_out - 1) to the nearest ns, halves up; big times exact. */
static void test_tpot_rounding(void **state)
{
    (void)state;
    static const struct {
        uint64_t span;
        int64_t n_out;
        uint64_t tpot;
    } cases[] = {
        {10, 4, 3},
        {11, 4, 4},
        {5, 3, 3},
        {4, 3, 2},
        {7, 3, 4},
        {0, 9, 0},
        {1, 3, 1},
        {1, 4, 0},
        {2, 5, 1},
        {999999999, 1000000000, 1},
        {UINT64_MAX / 2, 3, UINT64_MAX / 4 + 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tokens_t t;
        tokens_result_t r;
        uint64_t gap, t1 = UINT64_MAX / 4;
        tokens_start(&t, t1 - 7, t1 - 3);
        tokens_event(&t, t1, &gap);
        tokens_event(&t, t1 + cases[i].span, &gap);
        assert_int_equal(gap, cases[i].span);
        tokens_usage(&t, cases[i].n_out);
        tokens_result(&t, &r);
        if (r.tpot_ns != cases[i].tpot)
            fail_msg("span %llu / (%lld - 1): got %llu, want %llu",
                     (unsigned long long)cases[i].span, (long long)cases[i].n_out,
                     (unsigned long long)r.tpot_ns, (unsigned long long)cases[i].tpot);
        assert_int_equal(r.ttft_ns, 7);
        assert_int_equal(r.ttft_service_ns, 3);
        assert_int_equal(r.e2el_ns, cases[i].span + 7);
    }
}

/* Times before their origin count as 0 rather than wrapping. */
static void test_clamped(void **state)
{
    (void)state;
    tokens_t t;
    tokens_result_t r;
    uint64_t gap;
    tokens_start(&t, 50, 60);
    tokens_event(&t, 40, &gap);
    assert_true(tokens_event(&t, 30, &gap));
    assert_int_equal(gap, 0);
    tokens_result(&t, &r);
    assert_int_equal(r.ttft_ns, 0);
    assert_int_equal(r.ttft_service_ns, 0);
    assert_int_equal(r.e2el_ns, 0);
    assert_int_equal(r.tpot_ns, 0);
}

/* The streaming client's loop over a vLLM chat stream: each event gets an
 * arrival time; the role chunk, the finish chunk, the usage chunk and [DONE]
 * time nothing, and the usage chunk's count (3) beats K (2). */
struct pipeline {
    tokens_t t;
    uint64_t now, gaps[8];
    size_t ngaps, events, done;
    llmevent_kind_t kinds[8];
};

static int on_event(void *ctx, const sse_event_t *ev)
{
    struct pipeline *p = ctx;
    llmevent_t le;
    llmevent_classify(ev->name, ev->name_len, ev->data, ev->data_len, &le);
    p->kinds[p->events++] = le.kind;
    uint64_t gap;
    if (le.kind == LLMEVENT_TOKEN && tokens_event(&p->t, p->now, &gap))
        p->gaps[p->ngaps++] = gap;
    tokens_usage(&p->t, le.completion_tokens);
    p->done += le.kind == LLMEVENT_DONE;
    return 0;
}

static void test_vllm_stream(void **state)
{
    (void)state;
    static char buf[SSE_DEFAULT_CAP];
    sse_parser_t sp;
    sse_init(&sp, buf, sizeof buf);
    struct pipeline p;
    memset(&p, 0, sizeof p);
    tokens_start(&p.t, 1000 * MS, 1002 * MS);
    /* one event per read, arriving at these times (ms) */
    const uint64_t at[] = {1010, 1050, 1070, 1075, 1076, 1077};
    const char *s = vllm_chat_stream;
    for (size_t i = 0; i < 6; i++) {
        const char *next = strstr(s, "\n\n") + 2;
        p.now = at[i] * MS;
        assert_int_equal(sse_feed(&sp, s, (size_t)(next - s), on_event, &p), next - s);
        s = next;
    }
    assert_int_equal(*s, '\0');
    assert_false(sse_finish(&sp));
    tokens_end(&p.t, 1078 * MS);
    tokens_result_t r;
    tokens_result(&p.t, &r);
    const llmevent_kind_t kinds[] = {LLMEVENT_OTHER, LLMEVENT_TOKEN, LLMEVENT_TOKEN,
                                     LLMEVENT_OTHER, LLMEVENT_OTHER, LLMEVENT_DONE};
    assert_int_equal(p.events, 6);
    assert_memory_equal(p.kinds, kinds, sizeof kinds);
    assert_int_equal(p.done, 1);
    assert_int_equal(r.chunks, 2);
    assert_int_equal(r.n_out, 3);
    assert_false(r.estimated);
    assert_int_equal(r.ttft_ns, 50 * MS);
    assert_int_equal(r.ttft_service_ns, 48 * MS);
    assert_int_equal(r.e2el_ns, 70 * MS);
    assert_int_equal(r.tpot_ns, 10 * MS); /* (1070 - 1050) / (3 - 1) */
    assert_int_equal(p.ngaps, 1);
    assert_int_equal(p.gaps[0], 20 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_tokens),          cmocka_unit_test(test_estimated),
        cmocka_unit_test(test_multi_token_chunks), cmocka_unit_test(test_tpot_undefined),
        cmocka_unit_test(test_tpot_rounding),      cmocka_unit_test(test_clamped),
        cmocka_unit_test(test_vllm_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
