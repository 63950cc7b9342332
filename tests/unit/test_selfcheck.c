/* selfcheck: when a run's figures are the client's, not the server's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "stats/selfcheck.h"

#define MS 1000000ull

/* An open-loop run of n requests of `batch` items, one every interval_ns:
 * each handed over lag_ns late (waited ones wait_ns late, for the pool), each
 * answered in service_ns. */
typedef struct {
    uint64_t n, interval_ns, lag_ns, service_ns;
    unsigned batch;
    uint64_t waited_every; /* every k-th request waited for a connection; 0 = none */
    uint64_t wait_ns;
    uint64_t unsent; /* the last ones were never handed over */
} run_t;

static void record(runstats_t *rs, const run_t *r)
{
    assert_int_equal(runstats_init(rs, 0), 0);
    for (uint64_t i = 0; i < r->n; i++) {
        uint64_t t = i * r->interval_ns;
        runstats_record_intended(rs, t);
        if (i >= r->n - r->unsent) {
            runstats_record_request(rs, 0, ERR_TIMEOUT, 0, r->batch, 1, 0, 0);
            continue;
        }
        bool waited = r->waited_every && i % r->waited_every == 0;
        uint64_t late = waited ? r->wait_ns : r->lag_ns;
        runstats_record_send(rs, r->batch, waited, late, t + late);
        runstats_record_request(rs, 0, ERR_NONE, 200, r->batch, late + r->service_ns, r->service_ns,
                                100);
    }
}

static void test_closed_loop_is_not_checked(void **state)
{
    (void)state;
    runstats_t rs;
    run_t r = {.n = 100, .interval_ns = 10 * MS, .batch = 1, .service_ns = 5 * MS};
    record(&rs, &r);
    selfcheck_t c;
    selfcheck_judge(&rs, 0, 10, 1, &c);
    assert_false(c.checked);
    assert_false(c.client_limited);
    runstats_close(&rs);
}

static void test_on_time_client_is_not_limited(void **state)
{
    (void)state;
    runstats_t rs;
    /* 100 items/s in batches of 4: a request every 40 ms */
    run_t r = {
        .n = 200, .interval_ns = 40 * MS, .batch = 4, .lag_ns = 150000, .service_ns = 20 * MS};
    record(&rs, &r);
    selfcheck_t c;
    selfcheck_judge(&rs, 100, 0, 1, &c);
    assert_true(c.checked);
    assert_false(c.client_limited);
    assert_int_equal(c.why, 0);
    assert_true(fabs(c.interval_ms - 40) < 1e-9);
    assert_true(fabs(c.lag_limit_ms - 4) < 1e-9); /* 10% of 40 ms, above the 1 ms floor */
    assert_true(c.lag_p99_ms > 0.14 && c.lag_p99_ms < 0.16);
    assert_true(c.send_per_s > 99.9 && c.send_per_s <= 100);
    char buf[512];
    selfcheck_describe(&c, buf, sizeof buf);
    assert_string_equal(buf, "");
    selfcheck_advice(&c, buf, sizeof buf);
    assert_string_equal(buf, "");
    runstats_close(&rs);
}

/* p99 of the lag over max(1 ms, 10% of the interval): the loop fell behind. */
static void test_send_lag_over_the_limit(void **state)
{
    (void)state;
    runstats_t rs;
    /* 1000 requests/s: the limit is the 1 ms floor; 1.5 ms late is over it */
    run_t r = {.n = 1000, .interval_ns = MS, .batch = 1, .lag_ns = 1500000, .service_ns = MS};
    record(&rs, &r);
    selfcheck_t c;
    selfcheck_judge(&rs, 1000, 0, 1, &c);
    assert_true(c.client_limited);
    assert_true(c.why & SELFCHECK_SEND_LAG);
    assert_true(fabs(c.lag_limit_ms - 1) < 1e-9);
    char buf[512];
    selfcheck_advice(&c, buf, sizeof buf);
    assert_non_null(strstr(buf, "--threads"));
    runstats_close(&rs);
    /* The same lag at 50 requests/s is within 10% of its 20 ms interval. */
    r = (run_t){.n = 100, .interval_ns = 20 * MS, .batch = 1, .lag_ns = 1500000, .service_ns = MS};
    record(&rs, &r);
    selfcheck_judge(&rs, 50, 0, 1, &c);
    assert_false(c.client_limited);
    assert_true(fabs(c.lag_limit_ms - 2) < 1e-9);
    runstats_close(&rs);
    /* 99 requests: their p99 is their maximum, not judged */
    r = (run_t){.n = 99, .interval_ns = MS, .batch = 1, .lag_ns = 1500000, .service_ns = MS};
    record(&rs, &r);
    selfcheck_judge(&rs, 1000, 0, 1, &c);
    assert_false(c.why & SELFCHECK_SEND_LAG);
    assert_true(c.lag_p99_ms > 1.4);
    runstats_close(&rs);
}

/* Sent below 99% of the schedule with connections free: the loop fell behind. */
static void test_send_rate_short_with_connections_free(void **state)
{
    (void)state;
    runstats_t rs;
    run_t r = {.n = 100,
               .interval_ns = 10 * MS,
               .batch = 1,
               .lag_ns = 200000,
               .service_ns = MS,
               .unsent = 5};
    record(&rs, &r);
    selfcheck_t c;
    selfcheck_judge(&rs, 100, 0, 1, &c);
    assert_true(c.client_limited);
    assert_int_equal(c.why, SELFCHECK_SEND_RATE);
    assert_true(c.send_per_s > 94 && c.send_per_s < 96);
    runstats_close(&rs);
    /* 1% short is not: a 2 s run whose last request went 15 ms late. */
    r = (run_t){.n = 200, .interval_ns = 10 * MS, .batch = 1, .lag_ns = 200000, .service_ns = MS};
    record(&rs, &r);
    rs.last_sent_ns += 15 * MS;
    selfcheck_judge(&rs, 100, 0, 1, &c);
    assert_false(c.client_limited);
    rs.last_sent_ns += 20 * MS; /* 35 ms: 1.7% */
    selfcheck_judge(&rs, 100, 0, 1, &c);
    assert_true(c.client_limited);
    runstats_close(&rs);
}

/* One connection at 20 ms per request carries 50 requests/s: a schedule of
 * 200/s waits for the pool, and the pool is the client's. */
static void test_starved_pool_is_the_clients(void **state)
{
    (void)state;
    runstats_t rs;
    run_t r = {.n = 400,
               .interval_ns = 5 * MS,
               .batch = 1,
               .lag_ns = 100000,
               .service_ns = 20 * MS,
               .waited_every = 1,
               .wait_ns = 0};
    record(&rs, &r);
    /* What a FIFO behind one connection does: the hand-overs end 4x late. */
    rs.last_sent_ns = 4 * rs.last_intended_ns;
    selfcheck_t c;
    selfcheck_judge(&rs, 200, 1, 1, &c);
    assert_true(c.client_limited);
    assert_int_equal(c.why, SELFCHECK_CONNECTIONS);
    assert_true(fabs(c.pool_per_s - 50) < 1e-6);
    assert_true(fabs(c.needed_connections - 4) < 1e-6);
    assert_true(c.waited_pct > 99);
    char buf[512];
    selfcheck_advice(&c, buf, sizeof buf);
    assert_non_null(strstr(buf, "--connections to 5 or more"));
    selfcheck_describe(&c, buf, sizeof buf);
    assert_non_null(strstr(buf, "1 connection carries at most 50 requests/s"));
    /* Sockets ran out (no pool limit asked for): the client's too. */
    selfcheck_judge(&rs, 200, 0, 1, &c);
    assert_int_equal(c.why, SELFCHECK_CONNECTIONS);
    selfcheck_advice(&c, buf, sizeof buf);
    assert_non_null(strstr(buf, "ulimit"));
    runstats_close(&rs);
}

/* 100 connections at the server's best (20 ms) carry 5000 requests/s: if
 * they were all busy at 200/s, the server held them. Not the client's. */
static void test_pool_held_by_a_slow_server_is_the_servers(void **state)
{
    (void)state;
    runstats_t rs;
    run_t r = {.n = 400,
               .interval_ns = 5 * MS,
               .batch = 1,
               .lag_ns = 100000,
               .service_ns = 20 * MS,
               .waited_every = 2,
               .wait_ns = 300 * MS};
    record(&rs, &r);
    rs.last_sent_ns = 2 * rs.last_intended_ns;
    selfcheck_t c;
    selfcheck_judge(&rs, 200, 100, 1, &c);
    assert_false(c.client_limited);
    assert_true(c.send_per_s < 150); /* short, but the server's */
    assert_true(c.waited_pct > 49 && c.waited_pct < 51);
    runstats_close(&rs);
}

/* Nothing issued, or nothing answered: no division by zero, no claim. */
static void test_degenerate(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    selfcheck_t c;
    selfcheck_judge(&rs, 100, 0, 1, &c);
    assert_false(c.checked);
    runstats_close(&rs);
    /* a single request sent on time at the very start */
    run_t r = {.n = 1, .interval_ns = 10 * MS, .batch = 1, .lag_ns = 50000, .service_ns = MS};
    record(&rs, &r);
    selfcheck_judge(&rs, 100, 0, 1, &c);
    assert_true(c.checked);
    assert_false(c.client_limited);
    runstats_close(&rs);
    /* nothing was handed over and nothing waited: the client did not send */
    r = (run_t){.n = 50, .interval_ns = 10 * MS, .batch = 1, .unsent = 50};
    record(&rs, &r);
    selfcheck_judge(&rs, 100, 5, 1, &c);
    assert_true(isnan(c.lag_p99_ms));
    assert_true(isnan(c.service_min_ms));
    assert_int_equal(c.why, SELFCHECK_SEND_RATE);
    /* requests waited for the pool but none was answered: no service time
     * says whether the pool or the server was slow, so no claim */
    rs.waited_requests = 10;
    selfcheck_judge(&rs, 100, 5, 1, &c);
    assert_false(c.client_limited);
    runstats_close(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_loop_is_not_checked),
        cmocka_unit_test(test_on_time_client_is_not_limited),
        cmocka_unit_test(test_send_lag_over_the_limit),
        cmocka_unit_test(test_send_rate_short_with_connections_free),
        cmocka_unit_test(test_starved_pool_is_the_clients),
        cmocka_unit_test(test_pool_held_by_a_slow_server_is_the_servers),
        cmocka_unit_test(test_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
