/* h2live: when an HTTP/2 connection PINGs, and when it is dead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load/h2live.h"

#define MS 1000000ull
#define S 1000000000ull

/* The bounds: PING after min(1 s, timeout/4) of silence, dead after
 * max(1 s, timeout/4) without a byte; 10 s with no timeout. */
static void test_bounds_follow_the_timeout(void **state)
{
    (void)state;
    h2live_t l;
    h2live_init(&l, 30 * S);
    assert_int_equal(l.quiet_ns, 1 * S);
    assert_int_equal(l.wait_ns, 7500 * MS);
    h2live_init(&l, 2 * S);
    assert_int_equal(l.quiet_ns, 500 * MS);
    assert_int_equal(l.wait_ns, 1 * S);
    h2live_init(&l, 0);
    assert_int_equal(l.quiet_ns, 1 * S);
    assert_int_equal(l.wait_ns, 10 * S);
}

/* A connection that answers its streams never PINGs; one without streams
 * is never checked. */
static void test_busy_connection_never_pings(void **state)
{
    (void)state;
    h2live_t l;
    uint64_t next;
    h2live_init(&l, 30 * S);
    h2live_start(&l, 100 * S);
    h2live_busy(&l, 100 * S);
    for (uint64_t t = 100 * S; t < 200 * S; t += 300 * MS) {
        h2live_heard(&l, t);
        h2live_answered(&l);
        assert_int_equal(h2live_check(&l, t + 299 * MS, true, &next), H2LIVE_WAIT);
        assert_int_equal(next, t + 1 * S);
    }
    assert_false(h2live_pinging(&l));
    assert_int_equal(h2live_check(&l, 500 * S, false, &next), H2LIVE_IDLE);
    assert_false(h2live_pinging(&l));
}

/* Silence counts from when streams began, not from the last answer of an
 * idle connection: a request after a long pause earns no PING at once. */
static void test_silence_counts_from_when_streams_began(void **state)
{
    (void)state;
    h2live_t l;
    uint64_t next;
    h2live_init(&l, 30 * S);
    h2live_start(&l, 0);
    h2live_heard(&l, 1 * S);
    h2live_busy(&l, 60 * S); /* idle a minute, then a request */
    assert_int_equal(h2live_due(&l), 61 * S);
    assert_int_equal(h2live_check(&l, 60 * S + 999 * MS, true, &next), H2LIVE_WAIT);
    assert_int_equal(next, 61 * S);
    assert_int_equal(h2live_check(&l, 61 * S, true, &next), H2LIVE_PING);
}

/* Silence: a PING, no new streams until its ACK; no byte within the wait:
 * dead. */
static void test_silent_connection_is_dead_after_ping_and_wait(void **state)
{
    (void)state;
    h2live_t l;
    uint64_t next;
    h2live_init(&l, 4 * S); /* quiet 1 s, wait 1 s */
    h2live_start(&l, 10 * S);
    h2live_busy(&l, 10 * S);
    assert_int_equal(h2live_check(&l, 11 * S, true, &next), H2LIVE_PING);
    assert_true(h2live_pinging(&l));
    assert_int_equal(next, 12 * S);
    assert_int_equal(h2live_check(&l, 11 * S + 500 * MS, true, &next), H2LIVE_WAIT);
    assert_int_equal(next, 12 * S);
    assert_int_equal(h2live_check(&l, 12 * S, true, &next), H2LIVE_DEAD);
    /* also when its streams ended meanwhile: the PING is what is unanswered */
    assert_int_equal(h2live_check(&l, 12 * S, false, &next), H2LIVE_DEAD);
}

/* A slow server: silent on its streams, answers PINGs at once. Never dead;
 * each further PING waits for twice the silence, up to 8 x; an answer on a
 * stream brings the wait back. */
static void test_slow_server_that_acks_is_alive_and_pinged_less(void **state)
{
    (void)state;
    h2live_t l;
    uint64_t next, t = 0;
    h2live_init(&l, 30 * S);
    h2live_start(&l, 0);
    h2live_busy(&l, 0);
    uint64_t gaps[] = {1, 2, 4, 8, 8, 8};
    for (int i = 0; i < 6; i++) {
        t += gaps[i] * S;
        assert_int_equal(h2live_check(&l, t - 1, true, &next), H2LIVE_WAIT);
        assert_int_equal(h2live_check(&l, t, true, &next), H2LIVE_PING);
        h2live_heard(&l, t + 1 * MS);
        assert_true(h2live_ack(&l));
        assert_false(h2live_pinging(&l));
        t += 1 * MS;
    }
    assert_false(h2live_ack(&l)); /* no PING of ours unanswered */
    h2live_answered(&l);
    assert_int_equal(l.gap_ns, 1 * S);
}

/* A byte heard after the PING counts as its ACK (the server is there), and
 * a late check that finds no byte is still dead. */
static void test_any_byte_after_the_ping_is_alive(void **state)
{
    (void)state;
    h2live_t l;
    uint64_t next;
    h2live_init(&l, 4 * S);
    h2live_start(&l, 0);
    h2live_busy(&l, 0);
    assert_int_equal(h2live_check(&l, 1 * S, true, &next), H2LIVE_PING);
    h2live_heard(&l, 1 * S + 200 * MS);
    assert_int_equal(h2live_check(&l, 2 * S, true, &next), H2LIVE_WAIT);
    assert_false(h2live_pinging(&l));
    assert_int_equal(next, 2 * S + 200 * MS);
    /* a loop that wakes long after the wait, with nothing read: dead */
    assert_int_equal(h2live_check(&l, 2 * S + 200 * MS, true, &next), H2LIVE_PING);
    assert_int_equal(h2live_check(&l, 60 * S, true, &next), H2LIVE_DEAD);
}

/* A connection that opens again starts over: nothing unanswered, the
 * shortest gap. */
static void test_start_forgets_the_last_connection(void **state)
{
    (void)state;
    h2live_t l;
    uint64_t next;
    h2live_init(&l, 4 * S);
    h2live_start(&l, 0);
    h2live_busy(&l, 0);
    assert_int_equal(h2live_check(&l, 1 * S, true, &next), H2LIVE_PING);
    assert_true(h2live_ack(&l));
    assert_int_equal(l.gap_ns, 2 * S);
    assert_int_equal(h2live_check(&l, 3 * S, true, &next), H2LIVE_PING);
    h2live_start(&l, 5 * S);
    assert_false(h2live_pinging(&l));
    assert_int_equal(l.gap_ns, 1 * S);
    assert_int_equal(h2live_due(&l), 6 * S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_follow_the_timeout),
        cmocka_unit_test(test_busy_connection_never_pings),
        cmocka_unit_test(test_silence_counts_from_when_streams_began),
        cmocka_unit_test(test_silent_connection_is_dead_after_ping_and_wait),
        cmocka_unit_test(test_slow_server_that_acks_is_alive_and_pinged_less),
        cmocka_unit_test(test_any_byte_after_the_ping_is_alive),
        cmocka_unit_test(test_start_forgets_the_last_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
