/* poolcap: the limit of an unlimited pool, from the rate and the service
 * times seen so far. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load/poolcap.h"

#define MS 1000000ull

/* n responses of service_ns each; items and requests as issued (batch 1). */
static bool feed(poolcap_t *c, unsigned n, uint64_t service_ns)
{
    bool changed = false;
    for (unsigned i = 0; i < n; i++)
        changed |= poolcap_sample(c, service_ns, 1000, 1000);
    return changed;
}

/* Before the first window there is no estimate: the ceiling alone bounds. */
static void test_no_estimate_before_the_first_window(void **state)
{
    (void)state;
    poolcap_t c;
    poolcap_init(&c, 1000, 0);
    assert_int_equal(poolcap_limit(&c), 0);
    assert_false(feed(&c, POOLCAP_FIRST_WINDOW - 1, 10 * MS));
    assert_int_equal(poolcap_limit(&c), 0);
    assert_int_equal(poolcap_service_ns(&c), 0);
    poolcap_init(&c, 1000, 500);
    assert_int_equal(poolcap_limit(&c), 500);
    assert_true(poolcap_ceiling_binds(&c));
}

/* 1000 items/s at 10 ms: 10 in flight; the pool may hold 4 x 10. */
static void test_little_law_with_headroom(void **state)
{
    (void)state;
    poolcap_t c;
    poolcap_init(&c, 1000, 0);
    assert_true(feed(&c, POOLCAP_FIRST_WINDOW, 10 * MS));
    assert_int_equal(poolcap_service_ns(&c), 10 * MS);
    assert_int_equal(poolcap_limit(&c), 40);
    assert_false(poolcap_ceiling_binds(&c));
}

/* A server that falls behind: every later window is slower (its queue),
 * and the limit stays what the rate needed before. */
static void test_a_server_falling_behind_does_not_raise_it(void **state)
{
    (void)state;
    poolcap_t c;
    poolcap_init(&c, 1000, 0);
    feed(&c, POOLCAP_FIRST_WINDOW, 10 * MS);
    uint64_t t = 10 * MS;
    for (int w = 0; w < 50; w++) {
        t += 100 * MS;
        feed(&c, POOLCAP_WINDOW, t);
    }
    assert_int_equal(poolcap_service_ns(&c), 10 * MS);
    assert_int_equal(poolcap_limit(&c), 40);
    /* A faster window lowers it. */
    for (int w = 0; w < 2; w++)
        feed(&c, POOLCAP_WINDOW, 5 * MS);
    assert_int_equal(poolcap_limit(&c), 20);
}

/* The first window grows (8, 16, 32, 64, all from the start), then windows
 * of 64 start afresh; each closing window is a candidate. */
static void test_windows(void **state)
{
    (void)state;
    poolcap_t c;
    poolcap_init(&c, 100000, 0);
    feed(&c, 8, 40 * MS); /* mean 40 */
    assert_int_equal(poolcap_service_ns(&c), 40 * MS);
    feed(&c, 8, 20 * MS); /* 16 so far: mean 30 */
    assert_int_equal(poolcap_service_ns(&c), 30 * MS);
    feed(&c, 16, 10 * MS); /* 32 so far: mean 20 */
    assert_int_equal(poolcap_service_ns(&c), 20 * MS);
    feed(&c, 31, 1 * MS); /* 63: no window closed */
    assert_int_equal(poolcap_service_ns(&c), 20 * MS);
    feed(&c, 1, 1 * MS); /* 64: (8*40+8*20+16*10+32*1)/64 = 10.5 */
    assert_int_equal(poolcap_service_ns(&c), 10500000);
    feed(&c, 64, 2 * MS); /* a fresh window: mean 2 */
    assert_int_equal(poolcap_service_ns(&c), 2 * MS);
}

/* At least the floor; never past the ceiling, and it says so. */
static void test_floor_and_ceiling(void **state)
{
    (void)state;
    poolcap_t c;
    poolcap_init(&c, 10, 0); /* 10/s at 10 ms: 0.1 in flight */
    feed(&c, POOLCAP_FIRST_WINDOW, 10 * MS);
    assert_int_equal(poolcap_limit(&c), POOLCAP_FLOOR);
    poolcap_init(&c, 100000, 300); /* wants 4000 */
    feed(&c, POOLCAP_FIRST_WINDOW, 10 * MS);
    assert_int_equal(poolcap_limit(&c), 300);
    assert_true(poolcap_ceiling_binds(&c));
    poolcap_init(&c, 1000, 300); /* wants 40 */
    feed(&c, POOLCAP_FIRST_WINDOW, 10 * MS);
    assert_int_equal(poolcap_limit(&c), 40);
    assert_false(poolcap_ceiling_binds(&c));
}

/* Batches: 1000 items/s in requests of 5 items is 200 requests/s. */
static void test_mean_batch_divides_the_rate(void **state)
{
    (void)state;
    poolcap_t c;
    poolcap_init(&c, 1000, 0);
    for (unsigned i = 0; i < POOLCAP_FIRST_WINDOW; i++)
        poolcap_sample(&c, 100 * MS, 5000, 1000);
    assert_int_equal(poolcap_limit(&c), 80); /* 4 x 200/s x 0.1 s */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_estimate_before_the_first_window),
        cmocka_unit_test(test_little_law_with_headroom),
        cmocka_unit_test(test_a_server_falling_behind_does_not_raise_it),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_floor_and_ceiling),
        cmocka_unit_test(test_mean_batch_divides_the_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
