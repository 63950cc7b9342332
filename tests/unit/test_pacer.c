/* pacer: schedule math without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "load/pacer.h"

#define START 1000000000ull

static void test_constant_exact(void **state)
{
    (void)state;
    pacer_t p;
    pacer_init(&p, PACER_CONSTANT, START, 1000.0, 0);
    for (uint64_t k = 0; k < 100000; k++)
        assert_int_equal(pacer_next(&p, 0), START + k * 1000000ull);
    assert_int_equal(pacer_count(&p), 100000);
}

static void test_constant_rate_within_1pct(void **state)
{
    (void)state;
    const double rates[] = {1.0, 7.0, 333.3, 1000.0, 12345.6, 250000.0};
    for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
        pacer_t p;
        pacer_init(&p, PACER_CONSTANT, START, rates[r], 0);
        const uint64_t n = 10001;
        uint64_t first = pacer_next(&p, 0), last = first;
        for (uint64_t k = 1; k < n; k++)
            last = pacer_next(&p, 0);
        double achieved = (double)(n - 1) * 1e9 / (double)(last - first);
        assert_true(fabs(achieved - rates[r]) / rates[r] < 0.01);
    }
}

static void test_constant_no_drift(void **state)
{
    (void)state;
    /* 3 items/s do not divide a second evenly: no cumulative rounding. */
    pacer_t p;
    pacer_init(&p, PACER_CONSTANT, 0, 3.0, 0);
    uint64_t t = 0;
    for (int k = 0; k <= 3000000; k++)
        t = pacer_next(&p, 0);
    assert_true(t >= 1000000ull * 1000000000ull - 1 && t <= 1000000ull * 1000000000ull);
}

static void test_constant_whole_rate_fills_a_second(void **state)
{
    (void)state;
    /* --rate R --duration 1s offers exactly R items: item R is due at the
     * end, not a nanosecond before it (1e9 / 900 * 900 is 999999999.99...
     * in doubles, which truncates to one item too many). */
    for (unsigned r = 1; r <= 5000; r++) {
        pacer_t p;
        pacer_init(&p, PACER_CONSTANT, START, (double)r, 0);
        uint64_t n = 0;
        while (pacer_peek(&p, 0) < START + 1000000000ull)
            pacer_next(&p, 0), n++;
        assert_int_equal(n, r);
    }
}

static void test_peek_does_not_consume(void **state)
{
    (void)state;
    pacer_t p;
    pacer_init(&p, PACER_POISSON, START, 500.0, 42);
    uint64_t a = pacer_peek(&p, 0);
    assert_int_equal(pacer_peek(&p, 0), a);
    assert_int_equal(pacer_next(&p, 0), a);
    assert_true(pacer_peek(&p, 0) >= a);
}

static void test_poisson_mean_gap(void **state)
{
    (void)state;
    pacer_t p;
    const double rate = 2000.0;
    pacer_init(&p, PACER_POISSON, START, rate, 7);
    const int n = 200000;
    uint64_t prev = START;
    double sum = 0, sumsq = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = pacer_next(&p, 0);
        assert_true(t >= prev);
        double gap = (double)(t - prev);
        sum += gap;
        sumsq += gap * gap;
        prev = t;
    }
    double mean = sum / n, expect = 1e9 / rate;
    /* Exponential: the standard deviation equals the mean. */
    double sd = sqrt(sumsq / n - mean * mean);
    assert_true(fabs(mean - expect) / expect < 0.01);
    assert_true(fabs(sd - expect) / expect < 0.03);
    double achieved = n * 1e9 / (double)(prev - START);
    assert_true(fabs(achieved - rate) / rate < 0.01);
}

static void test_poisson_deterministic_by_seed(void **state)
{
    (void)state;
    pacer_t a, b, c;
    pacer_init(&a, PACER_POISSON, START, 100.0, 12345);
    pacer_init(&b, PACER_POISSON, START, 100.0, 12345);
    pacer_init(&c, PACER_POISSON, START, 100.0, 12346);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t ta = pacer_next(&a, 0), tb = pacer_next(&b, 0), tc = pacer_next(&c, 0);
        assert_int_equal(ta, tb);
        differ += ta != tc;
    }
    assert_true(differ > 990);
}

static void test_uniform_range(void **state)
{
    (void)state;
    pacer_t p;
    pacer_init(&p, PACER_POISSON, 0, 1.0, 0);
    for (int i = 0; i < 100000; i++) {
        double u = pacer_uniform(&p);
        assert_true(u > 0.0 && u <= 1.0);
    }
}

static void test_closed_follows_caller(void **state)
{
    (void)state;
    pacer_t p;
    pacer_init(&p, PACER_CLOSED, START, 0, 0);
    assert_int_equal(pacer_next(&p, 5), 5);
    assert_int_equal(pacer_next(&p, 777), 777);
    assert_int_equal(pacer_peek(&p, 9), 9);
    assert_int_equal(pacer_count(&p), 2);
}

/* The subsets of offsets 0..stride-1 are the whole schedule, arrival for
 * arrival, at exactly the same nanoseconds: what segments and threads rely on. */
static void check_subsets_union(pacer_mode_t mode, double rate, uint64_t seed, uint64_t stride)
{
    enum { N = 20000 };
    static uint64_t whole[N];
    pacer_t p;
    pacer_init(&p, mode, START, rate, seed);
    for (int k = 0; k < N; k++)
        whole[k] = pacer_next(&p, 0);
    for (uint64_t off = 0; off < stride; off++) {
        pacer_t s;
        pacer_init(&s, mode, START, rate, seed);
        pacer_subset(&s, off, stride);
        for (uint64_t k = off; k < N; k += stride) {
            assert_int_equal(pacer_peek(&s, 0), whole[k]);
            assert_int_equal(pacer_next(&s, 0), whole[k]);
        }
        assert_int_equal(pacer_count(&s), (N - off + stride - 1) / stride);
    }
}

static void test_subsets_make_the_whole_schedule(void **state)
{
    (void)state;
    check_subsets_union(PACER_POISSON, 1234.5, 7, 4);
    check_subsets_union(PACER_POISSON, 50000.0, 1, 3);
    check_subsets_union(PACER_POISSON, 10.0, 99, 1);
    check_subsets_union(PACER_CONSTANT, 333.3, 0, 4);
    check_subsets_union(PACER_CONSTANT, 1e6, 0, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_exact),
        cmocka_unit_test(test_constant_rate_within_1pct),
        cmocka_unit_test(test_constant_no_drift),
        cmocka_unit_test(test_constant_whole_rate_fills_a_second),
        cmocka_unit_test(test_peek_does_not_consume),
        cmocka_unit_test(test_poisson_mean_gap),
        cmocka_unit_test(test_poisson_deterministic_by_seed),
        cmocka_unit_test(test_uniform_range),
        cmocka_unit_test(test_closed_follows_caller),
        cmocka_unit_test(test_subsets_make_the_whole_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
