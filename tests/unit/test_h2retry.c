/* h2retry: when a request an HTTP/2 server never processed goes out again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load/h2retry.h"

#define S 1000000000ull

/* A server that processes nothing (GOAWAY with last stream id 0, or
 * REFUSED_STREAM on everything, nothing answered): one refusal forgiven,
 * the second is the outcome. */
static void test_no_progress_two_tries_then_reset(void **state)
{
    (void)state;
    h2retry_t r;
    h2retry_begin(&r, 10 * S, 30 * S, 5);
    assert_int_equal(h2retry_refused(&r, false, 5, 10 * S + 1), H2RETRY_SEND);
    assert_int_equal(h2retry_refused(&r, false, 5, 10 * S + 2), H2RETRY_RESET);
    assert_int_equal(r.refusals, 2);
}

/* A GOAWAY that names a processed stream (nginx after keepalive_requests):
 * sent again however often, each connection having served others. */
static void test_goaway_naming_a_processed_stream_is_progress(void **state)
{
    (void)state;
    h2retry_t r;
    h2retry_begin(&r, 0, 30 * S, 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(h2retry_refused(&r, true, 0, (uint64_t)i), H2RETRY_SEND);
    assert_false(r.forgiven);
    /* then a connection that processes nothing: forgiven once, then reset */
    assert_int_equal(h2retry_refused(&r, false, 0, 100), H2RETRY_SEND);
    assert_int_equal(h2retry_refused(&r, false, 0, 101), H2RETRY_RESET);
}

/* REFUSED_STREAM while the server answers others: one answer since the
 * first send earns each resend; a server that stops answering stops
 * earning them. */
static void test_one_answer_per_refusal(void **state)
{
    (void)state;
    h2retry_t r;
    h2retry_begin(&r, 0, 0, 100);
    assert_int_equal(h2retry_refused(&r, false, 101, 1), H2RETRY_SEND); /* 1 answer, 1 refusal */
    assert_int_equal(h2retry_refused(&r, false, 103, 2), H2RETRY_SEND); /* 3, 2 */
    assert_int_equal(h2retry_refused(&r, false, 103, 3), H2RETRY_SEND); /* 3, 3 */
    assert_false(r.forgiven);
    assert_int_equal(h2retry_refused(&r, false, 103, 4), H2RETRY_SEND); /* 3, 4: forgiven */
    assert_true(r.forgiven);
    assert_int_equal(h2retry_refused(&r, false, 105, 5), H2RETRY_SEND);  /* 5, 5 */
    assert_int_equal(h2retry_refused(&r, false, 105, 6), H2RETRY_RESET); /* 5, 6 */
}

/* No try outlives the deadline of the first send; no timeout, no deadline. */
static void test_deadline_from_the_first_send(void **state)
{
    (void)state;
    h2retry_t r;
    h2retry_begin(&r, 10 * S, 2 * S, 0);
    assert_int_equal(r.deadline_ns, 12 * S);
    assert_int_equal(h2retry_refused(&r, true, 0, 12 * S - 1), H2RETRY_SEND);
    assert_int_equal(h2retry_refused(&r, true, 0, 12 * S), H2RETRY_TIMEOUT);
    h2retry_begin(&r, 10 * S, 0, 0);
    assert_int_equal(r.deadline_ns, 0);
    assert_int_equal(h2retry_refused(&r, true, 0, 1000 * S), H2RETRY_SEND);
}

/* A new request starts afresh: no refusals, nothing forgiven. */
static void test_begin_starts_afresh(void **state)
{
    (void)state;
    h2retry_t r;
    h2retry_begin(&r, 0, 0, 0);
    assert_int_equal(h2retry_refused(&r, false, 0, 1), H2RETRY_SEND);
    assert_int_equal(h2retry_refused(&r, false, 0, 2), H2RETRY_RESET);
    h2retry_begin(&r, 3, 0, 7);
    assert_int_equal(r.refusals, 0);
    assert_false(r.forgiven);
    assert_int_equal(r.answered_at, 7);
    assert_int_equal(h2retry_refused(&r, false, 7, 4), H2RETRY_SEND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_progress_two_tries_then_reset),
        cmocka_unit_test(test_goaway_naming_a_processed_stream_is_progress),
        cmocka_unit_test(test_one_answer_per_refusal),
        cmocka_unit_test(test_deadline_from_the_first_send),
        cmocka_unit_test(test_begin_starts_afresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
