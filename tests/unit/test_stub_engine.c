/* Unit tests for the stub's continuous-batching step model (stub/engine.h):
 * steps run by hand on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "stub/engine.h"

#define MAXEV 256

typedef struct {
    engine_seq_t seq;
    int id;
    uint64_t at[64]; /* when each token came */
} req_t;

typedef struct {
    uint64_t now;
    req_t *cancel_in_step; /* cancelled by the first callback of the next step end */
    engine_t *e;
} run_t;

static void on_token(engine_seq_t *seq, void *arg)
{
    run_t *r = arg;
    req_t *q = (req_t *)seq; /* seq is the first member */
    q->at[seq->generated - 1] = r->now;
}

/* Runs steps until the engine is idle or `until`; returns the steps run. */
static int run(engine_t *e, run_t *r, uint64_t until)
{
    int steps = 0;
    uint64_t d;
    while (r->now < until && engine_step_begin(e, &d)) {
        r->now += d;
        engine_step_end(e, on_token, r);
        steps++;
    }
    return steps;
}

static void submit(engine_t *e, req_t *q, int id, uint32_t prompt, uint32_t out)
{
    memset(q, 0, sizeof *q);
    q->id = id;
    q->seq.prompt_tokens = prompt;
    q->seq.output_tokens = out;
    engine_submit(e, &q->seq);
}

static void test_one_sequence_timing(void **state)
{
    (void)state;
    engine_params_t p = {
        .step_ns = 10, .step_per_seq_ns = 2, .prefill_per_token_ns = 1, .max_seqs = 4};
    engine_t e;
    engine_init(&e, &p);
    req_t a;
    run_t r = {.now = 1000, .e = &e};
    submit(&e, &a, 1, 8, 3);
    assert_int_equal(e.nwaiting, 1);
    assert_int_equal(run(&e, &r, UINT64_MAX), 3);
    /* First token: step + 1 seq + 8 prefill tokens; then step + 1 seq. */
    assert_int_equal(a.at[0], 1000 + 10 + 2 + 8);
    assert_int_equal(a.at[1], 1020 + 12);
    assert_int_equal(a.at[2], 1032 + 12);
    assert_int_equal(a.seq.state, ENGINE_SEQ_IDLE);
    assert_int_equal(e.nrunning, 0);
    uint64_t d;
    assert_false(engine_step_begin(&e, &d)); /* idle */
}

static void test_tpot_grows_with_running_sequences(void **state)
{
    (void)state;
    engine_params_t p = {.step_ns = 10, .step_per_seq_ns = 5, .max_seqs = 8};
    engine_t e;
    engine_init(&e, &p);
    req_t q[4];
    run_t r = {.now = 0, .e = &e};
    for (int i = 0; i < 4; i++)
        submit(&e, &q[i], i, 4, 5);
    run(&e, &r, UINT64_MAX);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(q[i].at[0], 10 + 5 * 4); /* all four in the first step */
        for (int k = 1; k < 5; k++)
            assert_int_equal(q[i].at[k] - q[i].at[k - 1], 10 + 5 * 4);
    }
    /* Alone, the same answer has a shorter gap. */
    req_t one;
    submit(&e, &one, 9, 4, 5);
    r.now = 0;
    run(&e, &r, UINT64_MAX);
    assert_int_equal(one.at[1] - one.at[0], 15);
}

static void test_max_seqs_one_queues_the_second(void **state)
{
    (void)state;
    engine_params_t p = {.step_ns = 100, .max_seqs = 1};
    engine_t e;
    engine_init(&e, &p);
    req_t a, b;
    run_t r = {.now = 0, .e = &e};
    submit(&e, &a, 1, 1, 4);
    submit(&e, &b, 2, 1, 2);
    run(&e, &r, UINT64_MAX);
    assert_int_equal(a.at[0], 100);
    assert_int_equal(a.at[3], 400);
    /* b waited for a's slot: its first token is one step after a's last. */
    assert_int_equal(b.at[0], 500);
    assert_int_equal(b.at[1], 600);
}

static void test_slot_frees_at_the_next_step(void **state)
{
    (void)state;
    engine_params_t p = {.step_ns = 10, .max_seqs = 2};
    engine_t e;
    engine_init(&e, &p);
    req_t a, b, c;
    run_t r = {.now = 0, .e = &e};
    submit(&e, &a, 1, 1, 1);
    submit(&e, &b, 2, 1, 3);
    submit(&e, &c, 3, 1, 1);
    run(&e, &r, UINT64_MAX);
    assert_int_equal(a.at[0], 10);
    assert_int_equal(b.at[0], 10);
    assert_int_equal(c.at[0], 20); /* a's slot, from the second step */
    assert_int_equal(b.at[2], 30);
}

static void test_arrival_during_a_step_waits_for_its_end(void **state)
{
    (void)state;
    engine_params_t p = {.step_ns = 50, .max_seqs = 8};
    engine_t e;
    engine_init(&e, &p);
    req_t a, b;
    submit(&e, &a, 1, 1, 2);
    uint64_t d;
    assert_true(engine_step_begin(&e, &d));
    /* Submitted mid-step: no new step may begin now. */
    memset(&b, 0, sizeof b);
    b.seq.prompt_tokens = 1;
    b.seq.output_tokens = 1;
    assert_false(engine_submit(&e, &b.seq));
    assert_int_equal(e.nwaiting, 1);
    run_t r = {.now = 50, .e = &e};
    engine_step_end(&e, on_token, &r);
    assert_int_equal(a.at[0], 50);
    assert_int_equal(b.seq.generated, 0);
    assert_true(engine_step_begin(&e, &d));
    assert_int_equal(e.nrunning, 2);
}

static void cancel_self(engine_seq_t *seq, void *arg)
{
    engine_t *e = arg;
    engine_cancel(e, seq);
}

static void test_cancel(void **state)
{
    (void)state;
    engine_params_t p = {.step_ns = 10, .max_seqs = 1};
    engine_t e;
    engine_init(&e, &p);
    req_t a, b, c;
    submit(&e, &a, 1, 1, 5);
    submit(&e, &b, 2, 1, 5);
    submit(&e, &c, 3, 1, 1);
    /* A waiting sequence leaves the queue. */
    engine_cancel(&e, &b.seq);
    assert_int_equal(e.nwaiting, 2);
    assert_int_equal(b.seq.state, ENGINE_SEQ_IDLE);
    engine_cancel(&e, &b.seq); /* harmless twice */
    uint64_t d;
    assert_true(engine_step_begin(&e, &d));
    /* A running one cancelled from its own callback frees its slot. */
    engine_step_end(&e, cancel_self, &e);
    assert_int_equal(a.seq.state, ENGINE_SEQ_IDLE);
    assert_int_equal(e.nrunning, 0);
    run_t r = {.now = 0, .e = &e};
    run(&e, &r, UINT64_MAX);
    assert_int_equal(c.at[0], 10);
    assert_int_equal(b.seq.generated, 0);
}

static void test_prefill_of_newcomers_slows_everyone(void **state)
{
    (void)state;
    engine_params_t p = {.step_ns = 10, .prefill_per_token_ns = 2, .max_seqs = 8};
    engine_t e;
    engine_init(&e, &p);
    req_t a, b;
    run_t r = {.now = 0, .e = &e};
    submit(&e, &a, 1, 5, 4);
    run(&e, &r, 30); /* a's prefill step (20) and one decode step (10) */
    assert_int_equal(a.at[0], 20);
    assert_int_equal(a.at[1], 30);
    submit(&e, &b, 2, 50, 1); /* joins at the next step with 50 prompt tokens */
    run(&e, &r, UINT64_MAX);
    assert_int_equal(a.at[2], 30 + 10 + 100);
    assert_int_equal(b.at[0], 140);
    assert_int_equal(a.at[3], 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_sequence_timing),
        cmocka_unit_test(test_tpot_grows_with_running_sequences),
        cmocka_unit_test(test_max_seqs_one_queues_the_second),
        cmocka_unit_test(test_slot_frees_at_the_next_step),
        cmocka_unit_test(test_arrival_during_a_step_waits_for_its_end),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_prefill_of_newcomers_slows_everyone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
