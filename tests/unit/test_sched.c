/* sched: what is sent when, driven by a fake clock and fake connections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "load/sched.h"

#define MS 1000000ull
#define S (1000 * MS) /* the start */
#define MAXB 8
#define MAXREQ 64

/* One request as the harness saw it, its times copied out. */
typedef struct {
    uint64_t seq, first_item, intended_ns, at;
    unsigned n;
    bool waited;
    uint64_t item_ns[MAXB];
} seen_t;

/* Fake connections: `free` of them are idle; submit takes one, done gives it back. */
typedef struct {
    sched_t s;
    int free;
    seen_t sent[MAXREQ], unsent[MAXREQ];
    size_t nsent, nunsent;
    uint64_t late_seq[MAXREQ], late_ns[MAXREQ]; /* ops.queued: whose lateness, how much */
    size_t nlate;
    uint64_t now;
} harness_t;

static void copy(seen_t *to, const sched_req_t *r, uint64_t at)
{
    assert_true(r->n <= MAXB);
    to->seq = r->seq;
    to->first_item = r->first_item;
    to->intended_ns = r->intended_ns;
    to->n = r->n;
    to->waited = r->waited;
    to->at = at;
    memcpy(to->item_ns, r->item_ns, r->n * sizeof(uint64_t));
}

static bool h_submit(void *arg, const sched_req_t *r)
{
    harness_t *h = arg;
    if (h->free == 0)
        return false;
    h->free--;
    assert_true(h->nsent < MAXREQ);
    copy(&h->sent[h->nsent++], r, h->now);
    return true;
}

static void h_unsent(void *arg, const sched_req_t *r, uint64_t now)
{
    harness_t *h = arg;
    assert_true(h->nunsent < MAXREQ);
    copy(&h->unsent[h->nunsent++], r, now);
}

static void h_queued(void *arg, const sched_req_t *r, uint64_t late_ns)
{
    harness_t *h = arg;
    assert_true(h->nlate < MAXREQ);
    h->late_seq[h->nlate] = r->seq;
    h->late_ns[h->nlate++] = late_ns;
}

static sched_config_t closed_cfg(uint64_t users, unsigned batch)
{
    sched_config_t c = {.users = users, .batch = batch, .items = SCHED_NEVER, .drain_ns = 50 * MS};
    pacer_init(&c.pacer, PACER_CLOSED, 0, 0, 0);
    return c;
}

static sched_config_t open_cfg(double rate, unsigned batch, uint64_t linger_ns)
{
    sched_config_t c = {
        .batch = batch, .linger_ns = linger_ns, .items = SCHED_NEVER, .drain_ns = 50 * MS};
    pacer_init(&c.pacer, PACER_CONSTANT, 0, rate, 0);
    return c;
}

static void h_start(harness_t *h, const sched_config_t *c, int free_conns)
{
    memset(h, 0, sizeof(*h));
    h->free = free_conns;
    sched_ops_t ops = {h_submit, h_unsent, h, h_queued};
    assert_int_equal(sched_init(&h->s, c, &ops), 0);
    sched_start(&h->s, S);
    h->now = S;
}

/* An on-time loop: every wake-up due by t, in order. Returns whether one said abort. */
static bool h_run(harness_t *h, uint64_t t)
{
    bool abort = false;
    while (sched_wake(&h->s) <= t) {
        h->now = sched_wake(&h->s);
        if (sched_advance(&h->s, h->now) == SCHED_ABORT)
            abort = true;
    }
    return abort;
}

/* A request in flight finished at t; its connection is free again. */
static void h_done(harness_t *h, uint64_t t, bool refused)
{
    h->now = t;
    h->free++;
    sched_done(&h->s, t, refused);
}

static void test_init_rejects_batch_zero(void **state)
{
    (void)state;
    sched_t s;
    sched_config_t c = closed_cfg(1, 0);
    sched_ops_t ops = {h_submit, h_unsent, NULL, NULL};
    assert_int_equal(sched_init(&s, &c, &ops), EINVAL);
    sched_close(&s);
}

/* Open loop: each arrival at its own intended time, even when the wake-up
 * comes late (coordinated omission: the schedule does not slip). */
static void test_open_loop_keeps_the_schedule_when_woken_late(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 1, 0);
    h_start(&h, &c, 100);
    assert_int_equal(sched_wake(&h.s), S);
    h.now = S + 5 * MS + MS / 2;
    assert_int_equal(sched_advance(&h.s, h.now), SCHED_CONTINUE);
    assert_int_equal(h.nsent, 6);
    for (unsigned k = 0; k < 6; k++) {
        assert_int_equal(h.sent[k].seq, k);
        assert_int_equal(h.sent[k].first_item, k);
        assert_int_equal(h.sent[k].intended_ns, S + k * MS);
        assert_int_equal(h.sent[k].at, h.now);
    }
    assert_int_equal(sched_wake(&h.s), S + 6 * MS);
    sched_close(&h.s);
}

/* --duration: nothing is issued at or after the end; what is in flight gets
 * drain_ns, then the caller is told to abort. */
static void test_open_loop_duration_ends_issuing(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 1, 0);
    c.duration_ns = 5 * MS;
    h_start(&h, &c, 100);
    assert_false(h_run(&h, S + 40 * MS));
    assert_int_equal(h.nsent, 5);
    assert_int_equal(h.sent[4].intended_ns, S + 4 * MS);
    assert_int_equal(sched_wake(&h.s), S + 4 * MS + 50 * MS); /* drain deadline */
    assert_false(sched_finished(&h.s));
    for (int i = 0; i < 4; i++)
        h_done(&h, S + 10 * MS, false);
    assert_false(sched_finished(&h.s));
    assert_true(h_run(&h, S + 60 * MS)); /* the last one is still out: abort */
    assert_int_equal(sched_wake(&h.s), SCHED_NEVER);
    h_done(&h, S + 60 * MS, false); /* the caller's abort ends it */
    assert_int_equal(h.nsent, 5);
    assert_true(sched_finished(&h.s));
    sched_close(&h.s);
}

/* Closed loop: `users` requests out at once, the next intended at each
 * completion; --requests bounds the items, the last request carries the rest. */
static void test_closed_loop_users_and_requests_bound(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = closed_cfg(2, 2);
    c.items = 5;
    h_start(&h, &c, 10);
    h_run(&h, S);
    assert_int_equal(h.nsent, 2);
    assert_int_equal(h.sent[0].first_item, 0);
    assert_int_equal(h.sent[0].n, 2);
    assert_int_equal(h.sent[1].first_item, 2);
    assert_int_equal(h.sent[1].intended_ns, S);
    h_done(&h, S + 10 * MS, false);
    assert_int_equal(h.nsent, 3);
    assert_int_equal(h.sent[2].first_item, 4);
    assert_int_equal(h.sent[2].n, 1);
    assert_int_equal(h.sent[2].intended_ns, S + 10 * MS);
    /* Bound by items: no drain deadline, each request has its own timeout. */
    assert_int_equal(sched_wake(&h.s), SCHED_NEVER);
    h_done(&h, S + 20 * MS, false);
    assert_int_equal(h.nsent, 3);
    assert_false(sched_finished(&h.s));
    h_done(&h, S + 30 * MS, false);
    assert_true(sched_finished(&h.s));
    assert_int_equal(sched_items_issued(&h.s), 5);
    sched_close(&h.s);
}

static void test_closed_loop_warmup_does_not_count_against_requests(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = closed_cfg(1, 1);
    c.warmup_ns = 100 * MS;
    c.items = 3;
    h_start(&h, &c, 1);
    h_run(&h, S);
    for (uint64_t t = S + 30 * MS; !sched_finished(&h.s); t += 30 * MS)
        h_done(&h, t, false);
    /* Sent at 0, 30, 60, 90 ms (warmup), then 120, 150, 180 ms. */
    assert_int_equal(h.nsent, 7);
    unsigned warm = 0;
    for (size_t i = 0; i < h.nsent; i++) {
        assert_int_equal(h.sent[i].intended_ns, S + i * 30 * MS);
        warm += sched_is_warmup(&h.s, h.sent[i].intended_ns);
    }
    assert_int_equal(warm, 4);
    sched_close(&h.s);
}

static void test_open_loop_warmup_does_not_count_against_requests(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(100, 1, 0);
    c.warmup_ns = 50 * MS;
    c.items = 4;
    h_start(&h, &c, 100);
    h_run(&h, S + 1000 * MS);
    assert_int_equal(h.nsent, 9); /* 0..40 ms warmup, 50..80 ms measured */
    unsigned warm = 0;
    for (size_t i = 0; i < h.nsent; i++)
        warm += sched_is_warmup(&h.s, h.sent[i].intended_ns);
    assert_int_equal(warm, 5);
    assert_int_equal(h.sent[8].intended_ns, S + 80 * MS);
    assert_int_equal(sched_wake(&h.s), SCHED_NEVER);
    for (int i = 0; i < 9; i++)
        h_done(&h, S + 100 * MS, false);
    assert_true(sched_finished(&h.s));
    sched_close(&h.s);
}

/* The first measured item closes the warmup batch; that batch is timed from
 * its last item, so it stays warmup (not recorded). */
static void test_warmup_items_never_share_a_batch_with_measured_ones(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(100, 4, 1000 * MS);
    c.warmup_ns = 25 * MS;
    c.items = 4;
    h_start(&h, &c, 100);
    h_run(&h, S + 1000 * MS);
    assert_int_equal(h.nsent, 2);
    assert_int_equal(h.sent[0].n, 3);
    assert_int_equal(h.sent[0].at, S + 30 * MS);
    assert_int_equal(h.sent[0].intended_ns, S + 20 * MS);
    assert_true(sched_is_warmup(&h.s, h.sent[0].intended_ns));
    assert_int_equal(h.sent[1].n, 4);
    assert_int_equal(h.sent[1].first_item, 3);
    assert_int_equal(h.sent[1].intended_ns, S + 60 * MS);
    for (unsigned i = 0; i < 4; i++) {
        assert_false(sched_is_warmup(&h.s, h.sent[1].item_ns[i]));
        assert_int_equal(h.sent[1].item_ns[i], S + (30 + 10 * i) * MS);
    }
    sched_close(&h.s);
}

/* A full batch leaves at its last item; the last, partial one at its
 * oldest item + linger, even after the end of the duration. */
static void test_batch_leaves_when_full(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(100, 3, 25 * MS);
    c.duration_ns = 100 * MS;
    h_start(&h, &c, 100);
    h_run(&h, S + 100 * MS);
    assert_int_equal(h.nsent, 3);
    for (unsigned b = 0; b < 3; b++) {
        assert_int_equal(h.sent[b].n, 3);
        assert_int_equal(h.sent[b].first_item, 3 * b);
        assert_int_equal(h.sent[b].intended_ns, S + (30 * b + 20) * MS);
        assert_int_equal(h.sent[b].item_ns[0], S + 30 * b * MS);
    }
    assert_int_equal(sched_wake(&h.s), S + 115 * MS);
    h_run(&h, S + 115 * MS);
    assert_int_equal(h.nsent, 4);
    assert_int_equal(h.sent[3].n, 1);
    assert_int_equal(h.sent[3].intended_ns, S + 115 * MS);
    assert_int_equal(h.sent[3].item_ns[0], S + 90 * MS);
    sched_close(&h.s);
}

static void test_batch_leaves_after_linger(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(100, 8, 25 * MS);
    h_start(&h, &c, 100);
    h_run(&h, S + 60 * MS);
    assert_int_equal(h.nsent, 2);
    assert_int_equal(h.sent[0].n, 3);
    assert_int_equal(h.sent[0].intended_ns, S + 25 * MS);
    assert_int_equal(h.sent[0].at, S + 25 * MS);
    assert_int_equal(h.sent[0].item_ns[2], S + 20 * MS);
    assert_int_equal(h.sent[1].n, 3);
    assert_int_equal(h.sent[1].intended_ns, S + 55 * MS);
    assert_int_equal(h.sent[1].item_ns[0], S + 30 * MS);
    sched_close(&h.s);
}

/* Closed loop, fewer connections than users: the rest wait first-in
 * first-out, and leave with the intended time they had (the wait ages them). */
static void test_fifo_waits_age_closed_loop(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = closed_cfg(3, 1);
    h_start(&h, &c, 1);
    h_run(&h, S);
    assert_int_equal(h.nsent, 1);
    h_done(&h, S + 40 * MS, false);
    assert_int_equal(h.nsent, 2);
    assert_int_equal(h.sent[1].seq, 1);
    assert_int_equal(h.sent[1].intended_ns, S);
    assert_int_equal(h.sent[1].at, S + 40 * MS);
    h_done(&h, S + 80 * MS, false);
    assert_int_equal(h.sent[2].seq, 2);
    assert_int_equal(h.sent[2].intended_ns, S);
    h_done(&h, S + 120 * MS, false);
    /* The first user's second request waited behind the others. */
    assert_int_equal(h.sent[3].seq, 3);
    assert_int_equal(h.sent[3].intended_ns, S + 40 * MS);
    assert_int_equal(h.sent[3].at, S + 120 * MS);
    sched_close(&h.s);
}

static void test_fifo_waits_age_each_item(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 2, 1000 * MS);
    h_start(&h, &c, 1);
    h_run(&h, S + 3 * MS);
    assert_int_equal(h.nsent, 1); /* items 2, 3 wait for the one connection */
    /* A connection that turns up meanwhile (a new one within the limit) does
     * not let a newer request overtake the waiting one. */
    h.free = 1;
    h_run(&h, S + 5 * MS);
    assert_int_equal(h.nsent, 1);
    h_done(&h, S + 50 * MS, false);
    assert_int_equal(h.nsent, 2);
    assert_int_equal(h.sent[1].at, S + 50 * MS);
    assert_int_equal(h.sent[1].intended_ns, S + 3 * MS);
    assert_int_equal(h.sent[1].item_ns[0], S + 2 * MS);
    assert_int_equal(h.sent[1].item_ns[1], S + 3 * MS);
    sched_close(&h.s);
}

/* The duration's end, closed loop: completions issue nothing more, and the
 * users still waiting for a connection are dropped (never sent, never issued,
 * not counted as failures); what is in flight gets the drain, then the
 * caller aborts. */
static void test_closed_loop_duration_drain_then_abort(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = closed_cfg(4, 1);
    c.duration_ns = 100 * MS;
    h_start(&h, &c, 2);
    h_run(&h, S);
    assert_int_equal(h.nsent, 2);          /* seq 2, 3 wait */
    h_done(&h, S + 60 * MS, false);        /* seq 2 goes; seq 4 waits */
    assert_false(h_run(&h, S + 100 * MS)); /* the end: seq 3 and 4 are dropped */
    assert_int_equal(h.nunsent, 0);
    assert_int_equal(sched_items_issued(&h.s), 3);
    assert_int_equal(sched_wake(&h.s), S + 150 * MS);
    h_done(&h, S + 120 * MS, false); /* a connection frees: nothing goes late */
    assert_int_equal(h.nsent, 3);
    assert_int_equal(h.nunsent, 0);
    assert_true(h_run(&h, S + 150 * MS));
    h_done(&h, S + 150 * MS, false);
    assert_int_equal(h.nsent, 3);
    assert_true(sched_finished(&h.s));
    assert_int_equal(sched_items_issued(&h.s), 3);
    sched_close(&h.s);
}

/* The duration's end, open loop: what waits for a connection was offered by
 * the schedule, so it ends unsent at the end (recorded, intended times kept);
 * a connection that frees up later sends nothing. */
static void test_open_loop_duration_end_ends_what_waits(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 1, 0);
    c.duration_ns = 10 * MS;
    h_start(&h, &c, 2);
    assert_false(h_run(&h, S + 9 * MS));
    assert_int_equal(h.nsent, 2); /* items 2..9 wait */
    assert_int_equal(h.nunsent, 0);
    assert_int_equal(sched_wake(&h.s), S + 10 * MS);
    assert_false(h_run(&h, S + 10 * MS));
    assert_int_equal(h.nunsent, 8);
    for (unsigned k = 0; k < 8; k++) {
        assert_int_equal(h.unsent[k].seq, k + 2);
        assert_int_equal(h.unsent[k].intended_ns, S + (k + 2) * MS);
        assert_int_equal(h.unsent[k].at, S + 10 * MS);
    }
    h_done(&h, S + 20 * MS, false);
    assert_int_equal(h.nsent, 2); /* never sent late */
    assert_int_equal(sched_items_issued(&h.s), 10);
    assert_int_equal(sched_wake(&h.s), S + 9 * MS + 50 * MS); /* from the last arrival */
    h_done(&h, S + 30 * MS, false);
    assert_true(sched_finished(&h.s));
    sched_close(&h.s);
}

/* The last batch leaves at its linger deadline, after the end: at once when a
 * connection is free, else it ends unsent; it never waits. */
static void test_last_batch_after_the_end_never_waits(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 4, 20 * MS);
    c.duration_ns = 2 * MS; /* items at S, S+1ms; the batch leaves at S+20ms */
    h_start(&h, &c, 0);
    h_run(&h, S + 10 * MS);
    assert_int_equal(h.nsent + h.nunsent, 0);
    h_run(&h, S + 20 * MS);
    assert_int_equal(h.nsent, 0);
    assert_int_equal(h.nunsent, 1);
    assert_int_equal(h.unsent[0].n, 2);
    assert_int_equal(h.unsent[0].at, S + 20 * MS);
    assert_int_equal(h.nlate, 0); /* never sent: no send lag to report */
    assert_true(sched_finished(&h.s));
    sched_close(&h.s);

    h_start(&h, &c, 1);
    h_run(&h, S + 20 * MS);
    assert_int_equal(h.nsent, 1);
    assert_int_equal(h.nunsent, 0);
    assert_int_equal(h.sent[0].at, S + 20 * MS);
    sched_close(&h.s);
}

/* --requests and --duration: the items bound ended issuing first, yet what
 * still waits for a connection ends at the end of the duration, and what is
 * in flight gets the duration's drain. */
static void test_items_bound_first_then_the_duration_ends_what_waits(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 1, 0);
    c.items = 5;
    c.duration_ns = 100 * MS;
    h_start(&h, &c, 1);
    h_run(&h, S + 50 * MS);
    assert_int_equal(h.nsent, 1); /* items 1..4 wait: all issued */
    assert_int_equal(sched_wake(&h.s), S + 100 * MS);
    assert_false(h_run(&h, S + 100 * MS));
    assert_int_equal(h.nunsent, 4);
    assert_int_equal(sched_wake(&h.s), S + 150 * MS);
    assert_true(h_run(&h, S + 150 * MS));
    h_done(&h, S + 150 * MS, false);
    assert_int_equal(h.nsent, 1);
    assert_true(sched_finished(&h.s));
    sched_close(&h.s);
}

/* After the end, a request that found no socket is not put back to wait:
 * the caller records it. */
static void test_requeue_after_the_end_is_refused(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 1, 0);
    c.duration_ns = 2 * MS;
    h_start(&h, &c, 4);
    h_run(&h, S + 2 * MS);
    assert_int_equal(h.nsent, 2);
    sched_req_t r0 = {h.sent[0].seq,     h.sent[0].first_item, h.sent[0].intended_ns,
                      h.sent[0].item_ns, h.sent[0].n,          false};
    assert_int_equal(sched_requeue(&h.s, &r0, S + 3 * MS), ECANCELED);
    assert_int_equal(h.nsent, 2);
    sched_close(&h.s);
}

/* Stop: the pending batch is dropped (never issued), waiting requests end
 * unsent, in-flight ones get the grace, nothing more goes out. */
static void test_stop(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 2, 1000 * MS);
    h_start(&h, &c, 1);
    h_run(&h, S + 4 * MS);
    assert_int_equal(h.nsent, 1);
    h.now = S + 4 * MS + MS / 2;
    sched_stop(&h.s, h.now, 100 * MS);
    assert_int_equal(h.nunsent, 1);
    assert_int_equal(h.unsent[0].n, 2);
    assert_int_equal(h.unsent[0].intended_ns, S + 3 * MS);
    assert_int_equal(h.unsent[0].at, h.now);
    assert_int_equal(sched_items_issued(&h.s), 4);
    assert_true(sched_stopping(&h.s));
    assert_int_equal(sched_wake(&h.s), h.now + 100 * MS);
    sched_stop(&h.s, h.now + MS, 0); /* idempotent */
    assert_int_equal(sched_wake(&h.s), h.now + 100 * MS);
    h_run(&h, S + 50 * MS);
    h_done(&h, S + 50 * MS, false);
    assert_int_equal(h.nsent, 1);
    assert_true(sched_finished(&h.s));
    sched_close(&h.s);
}

/* Closed loop, connection refused: the user rests 10 ms, doubling to 1 s,
 * and its next request is intended at the end of the rest; a connection that
 * succeeds starts the backoff over. */
static void test_refused_connection_rests_with_backoff(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = closed_cfg(1, 1);
    h_start(&h, &c, 1);
    h_run(&h, S);
    const uint64_t rests[] = {10, 20, 40, 80, 160, 320, 640, 1000, 1000};
    uint64_t t = S;
    for (size_t i = 0; i < sizeof rests / sizeof rests[0]; i++) {
        t += MS;
        size_t before = h.nsent;
        h_done(&h, t, true);
        assert_int_equal(h.nsent, before); /* nothing at once */
        assert_int_equal(sched_wake(&h.s), t + rests[i] * MS);
        t += rests[i] * MS;
        h_run(&h, t);
        assert_int_equal(h.nsent, before + 1);
        assert_int_equal(h.sent[before].intended_ns, t);
    }
    sched_connected(&h.s);
    h_done(&h, t + MS, true);
    assert_int_equal(sched_wake(&h.s), t + MS + 10 * MS);
    sched_close(&h.s);
}

/* A request that could open no socket goes back to the head of the FIFO. */
static void test_requeue_goes_to_the_head(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = closed_cfg(3, 1);
    h_start(&h, &c, 2);
    h_run(&h, S);
    assert_int_equal(h.nsent, 2); /* seq 2 waits */
    sched_req_t r0 = {h.sent[0].seq,     h.sent[0].first_item, h.sent[0].intended_ns,
                      h.sent[0].item_ns, h.sent[0].n,          false};
    h.now = S + MS;
    assert_int_equal(sched_requeue(&h.s, &r0, h.now), 0); /* its slot is gone: free stays 0 */
    assert_int_equal(h.nsent, 2);
    h_done(&h, S + 5 * MS, false); /* seq 1 ends: seq 0 goes again, then seq 3 waits */
    assert_int_equal(h.nsent, 3);
    assert_int_equal(h.sent[2].seq, 0);
    assert_int_equal(h.sent[2].intended_ns, S);
    h_done(&h, S + 6 * MS, false);
    assert_int_equal(h.sent[3].seq, 2);
    h_done(&h, S + 7 * MS, false);
    assert_int_equal(h.sent[4].seq, 3);
    assert_int_equal(h.sent[4].intended_ns, S + 5 * MS);
    sched_stop(&h.s, S + 8 * MS, 0);
    assert_int_equal(sched_requeue(&h.s, &r0, S + 8 * MS), ECANCELED);
    sched_close(&h.s);
}

/* waited: a request that found a free connection at its time says no, one
 * offered from the FIFO (or put back in it) says yes, so the engine can tell
 * the client's own lateness from a wait for the pool. */
static void test_waited_marks_requests_that_sat_in_the_fifo(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 1, 0);
    h_start(&h, &c, 1);
    h_run(&h, S + 2 * MS);
    assert_int_equal(h.nsent, 1);
    assert_false(h.sent[0].waited);
    h_done(&h, S + 3 * MS, false); /* seq 1 leaves from the FIFO; seq 2 still waits */
    assert_int_equal(h.nsent, 2);
    assert_true(h.sent[1].waited);
    h_done(&h, S + 3 * MS, false);
    assert_true(h.sent[2].waited);
    h_done(&h, S + 3 * MS, false); /* nothing waits: the connection stays free */
    h_run(&h, S + 3 * MS);         /* seq 3, due now, takes it at once */
    assert_int_equal(h.nsent, 4);
    assert_false(h.sent[3].waited);
    sched_req_t r3 = {h.sent[3].seq,     h.sent[3].first_item, h.sent[3].intended_ns,
                      h.sent[3].item_ns, h.sent[3].n,          false};
    h.free = 1;                                                /* another connection is idle */
    assert_int_equal(sched_requeue(&h.s, &r3, S + 3 * MS), 0); /* back in the FIFO: waited */
    assert_int_equal(h.nsent, 5);
    assert_int_equal(h.sent[4].seq, 3);
    assert_true(h.sent[4].waited);
    sched_close(&h.s);
}

/* A client that overslept (its loop ran 10 ms late) with one connection: the
 * first request due takes it, the nine others due meanwhile wait for it. Each
 * was late by the client's stall before it began to wait, and says so: the
 * stall must not read as a wait for the pool. */
static void test_queued_reports_the_lateness_of_an_overslept_client(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 1, 0);
    h_start(&h, &c, 1);
    h.now = S + 9 * MS;
    sched_advance(&h.s, h.now); /* seq 0..9 due at S .. S + 9 ms, handled at S + 9 ms */
    assert_int_equal(h.nsent, 1);
    assert_int_equal(h.nlate, 9);
    for (size_t k = 0; k < 9; k++) {
        assert_int_equal(h.late_seq[k], k + 1);
        assert_int_equal(h.late_ns[k], (9 - (k + 1)) * MS);
    }
    sched_close(&h.s);
}

/* A slow server held the one connection: requests due while others already
 * waited were on time and then waited for the pool; only the first to wait
 * reports (on time: 0), the later ones' wait is all the pool's. */
static void test_queued_leaves_the_pools_wait_out(void **state)
{
    (void)state;
    harness_t h;
    sched_config_t c = open_cfg(1000, 1, 0);
    h_start(&h, &c, 1);
    h_run(&h, S + 5 * MS); /* on time; seq 0 holds the connection */
    assert_int_equal(h.nsent, 1);
    assert_int_equal(h.nlate, 1);
    assert_int_equal(h.late_seq[0], 1);
    assert_int_equal(h.late_ns[0], 0);
    h.now = S + 8 * MS; /* late, but behind requests already waiting since S + 1 ms */
    sched_advance(&h.s, h.now);
    assert_int_equal(h.nlate, 1);
    sched_close(&h.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_batch_zero),
        cmocka_unit_test(test_open_loop_keeps_the_schedule_when_woken_late),
        cmocka_unit_test(test_open_loop_duration_ends_issuing),
        cmocka_unit_test(test_closed_loop_users_and_requests_bound),
        cmocka_unit_test(test_closed_loop_warmup_does_not_count_against_requests),
        cmocka_unit_test(test_open_loop_warmup_does_not_count_against_requests),
        cmocka_unit_test(test_warmup_items_never_share_a_batch_with_measured_ones),
        cmocka_unit_test(test_batch_leaves_when_full),
        cmocka_unit_test(test_batch_leaves_after_linger),
        cmocka_unit_test(test_fifo_waits_age_closed_loop),
        cmocka_unit_test(test_fifo_waits_age_each_item),
        cmocka_unit_test(test_closed_loop_duration_drain_then_abort),
        cmocka_unit_test(test_open_loop_duration_end_ends_what_waits),
        cmocka_unit_test(test_last_batch_after_the_end_never_waits),
        cmocka_unit_test(test_items_bound_first_then_the_duration_ends_what_waits),
        cmocka_unit_test(test_requeue_after_the_end_is_refused),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_refused_connection_rests_with_backoff),
        cmocka_unit_test(test_requeue_goes_to_the_head),
        cmocka_unit_test(test_waited_marks_requests_that_sat_in_the_fifo),
        cmocka_unit_test(test_queued_reports_the_lateness_of_an_overslept_client),
        cmocka_unit_test(test_queued_leaves_the_pools_wait_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
