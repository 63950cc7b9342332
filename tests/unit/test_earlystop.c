/* earlystop: the binomial rule that decides whether a run holds enough items
 * for a percentile claim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "stats/earlystop.h"

/* The textbook sum, term by term, for small n: the reference. */
static double cdf_direct(uint64_t t, uint64_t n, double q)
{
    double sum = 0;
    for (uint64_t k = 0; k <= t && k <= n; k++) {
        double c = 1;
        for (uint64_t i = 0; i < k; i++)
            c = c * (double)(n - i) / (double)(i + 1);
        sum += c * pow(q, (double)k) * pow(1 - q, (double)(n - k));
    }
    return sum;
}

static void test_cdf_matches_direct_sum(void **state)
{
    (void)state;
    const double qs[] = {0.001, 0.01, 0.05, 0.1, 0.5, 0.9};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        for (uint64_t n = 1; n <= 150; n += 7)
            for (uint64_t t = 0; t <= n; t += 3) {
                double want = cdf_direct(t, n, qs[i]), got = earlystop_binom_cdf(t, n, qs[i]);
                assert_true(fabs(got - want) <= 1e-9 + 1e-9 * want);
            }
}

static void test_no_item_over_needs_90_for_p95_and_459_for_p99(void **state)
{
    (void)state;
    assert_int_equal(earlystop_min_items(0, 0.95, 0.99), 90);
    assert_int_equal(earlystop_min_items(0, 0.99, 0.99), 459);
    assert_false(earlystop_accept(89, 0, 0.95, 0.99));
    assert_true(earlystop_accept(90, 0, 0.95, 0.99));
    assert_false(earlystop_accept(458, 0, 0.99, 0.99));
    assert_true(earlystop_accept(459, 0, 0.99, 0.99));
}

static void test_items_over_the_bound_raise_the_need(void **state)
{
    (void)state;
    uint64_t prev = earlystop_min_items(0, 0.99, 0.99);
    for (uint64_t t = 1; t <= 20; t++) {
        uint64_t n = earlystop_min_items(t, 0.99, 0.99);
        assert_true(n > prev);
        /* the smallest: one fewer item does not support the claim */
        assert_true(earlystop_accept(n, t, 0.99, 0.99));
        assert_false(earlystop_accept(n - 1, t, 0.99, 0.99));
        prev = n;
    }
}

static void test_too_many_over_never_passes(void **state)
{
    (void)state;
    /* 2% over a p99 bound: no sample size makes the claim */
    assert_false(earlystop_accept(100000, 2000, 0.99, 0.99));
    assert_false(earlystop_accept(10, 10, 0.95, 0.99));
}

static void test_large_n_is_finite(void **state)
{
    (void)state;
    double v = earlystop_binom_cdf(9000, 1000000, 0.01); /* mean 10000, sd ~99.5 */
    assert_true(v > 0 && v < 1e-15);
    v = earlystop_binom_cdf(10000, 1000000, 0.01);
    assert_true(v > 0.49 && v < 0.52);
    assert_true(earlystop_accept(1000000, 9000, 0.99, 0.99));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_false(earlystop_accept(0, 0, 0.99, 0.99));
    assert_false(earlystop_accept(1000, 0, 1.0, 0.99));
    assert_false(earlystop_accept(1000, 0, 0.99, 1.0));
    assert_int_equal(earlystop_min_items(0, 1.0, 0.99), UINT64_MAX);
    assert_true(earlystop_binom_cdf(5, 5, 0.3) == 1.0);
}

/* The counts with items over the bound, from the exact binomial sum (Python's
 * math.comb): what a step of a sweep must hold before it may pass. */
static void test_min_items_with_items_over(void **state)
{
    (void)state;
    const uint64_t p95[] = {90, 130, 165, 198, 229, 259};
    const uint64_t p99[] = {459, 662, 838, 1001, 1157, 1307};
    for (uint64_t t = 0; t < 6; t++) {
        assert_int_equal(earlystop_min_items(t, 0.95, 0.99), p95[t]);
        assert_int_equal(earlystop_min_items(t, 0.99, 0.99), p99[t]);
    }
    assert_int_equal(earlystop_min_items(0, 0.90, 0.95), 29);
    assert_int_equal(earlystop_min_items(3, 0.90, 0.95), 76);
}

/* A step too short to decide: how many items the same share over the bound
 * would need. */
static void test_items_needed_keeps_the_share(void **state)
{
    (void)state;
    assert_int_equal(earlystop_items_needed(50, 0, 0.95, 0.99), 90);
    assert_int_equal(earlystop_items_needed(90, 0, 0.95, 0.99), 90);
    assert_int_equal(earlystop_items_needed(300, 1, 0.95, 0.99), 300); /* already enough */
    /* 2% over a p95 bound: enough once the binomial tail at 5% is <= 1% */
    uint64_t m = earlystop_items_needed(100, 2, 0.95, 0.99);
    assert_true(m > 100 && m < 1000);
    assert_true(earlystop_accept(m, (m * 2 + 99) / 100, 0.95, 0.99));
    assert_false(earlystop_accept(m - 1, ((m - 1) * 2 + 99) / 100, 0.95, 0.99));
    /* closer to the bound needs far more */
    assert_true(earlystop_items_needed(1000, 40, 0.95, 0.99) > 5 * m);
    /* at or over the share the claim allows: no count is enough */
    assert_int_equal(earlystop_items_needed(1000, 50, 0.95, 0.99), UINT64_MAX);
    assert_int_equal(earlystop_items_needed(1000, 60, 0.95, 0.99), UINT64_MAX);
    assert_int_equal(earlystop_items_needed(0, 0, 0.95, 0.99), UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cdf_matches_direct_sum),
        cmocka_unit_test(test_no_item_over_needs_90_for_p95_and_459_for_p99),
        cmocka_unit_test(test_items_over_the_bound_raise_the_need),
        cmocka_unit_test(test_too_many_over_never_passes),
        cmocka_unit_test(test_large_n_is_finite),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_min_items_with_items_over),
        cmocka_unit_test(test_items_needed_keeps_the_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
