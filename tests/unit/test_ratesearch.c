/* ratesearch: double, then bisect, on a fake server whose capacity is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "load/ratesearch.h"

/* Runs the search against "passes iff rate <= cap"; returns steps run. */
static unsigned search(ratesearch_t *s, double cap, double *tried, unsigned max)
{
    unsigned n = 0;
    for (double r; (r = ratesearch_next(s)) > 0;) {
        assert_true(n < max);
        tried[n++] = r;
        ratesearch_report(s, r, r <= cap);
    }
    return n;
}

static void test_doubles_then_bisects_to_precision(void **state)
{
    (void)state;
    ratesearch_t s;
    double tried[64];
    ratesearch_init(&s, 100, 1, 0, 0.05);
    unsigned n = search(&s, 730, tried, 64);
    /* 100, 200, 400 pass; 800 fails; then bisection inside (400, 800) */
    assert_true(tried[0] == 100 && tried[1] == 200 && tried[2] == 400 && tried[3] == 800);
    assert_true(tried[4] == 600);
    assert_true(s.pass_rate <= 730 && s.fail_rate > 730);
    assert_true(s.fail_rate <= s.pass_rate * 1.05);
    assert_int_equal(s.steps, n);
    for (unsigned i = 4; i < n; i++) /* every bisection step lies inside the bracket */
        assert_true(tried[i] > 400 && tried[i] < 800);
}

static void test_first_step_fails_halves_to_a_floor(void **state)
{
    (void)state;
    ratesearch_t s;
    double tried[64];
    ratesearch_init(&s, 1000, 1, 0, 0.05);
    search(&s, 90, tried, 64);
    assert_true(tried[0] == 1000 && tried[1] == 500 && tried[2] == 250 && tried[3] == 125);
    assert_true(tried[4] == 62.5);
    assert_true(s.pass_rate <= 90 && s.fail_rate > 90 && s.fail_rate <= s.pass_rate * 1.05);
}

static void test_never_passes_stops_at_min_rate(void **state)
{
    (void)state;
    ratesearch_t s;
    double tried[64];
    ratesearch_init(&s, 64, 4, 0, 0.05);
    unsigned n = search(&s, 1, tried, 64);
    assert_int_equal(n, 5); /* 64 32 16 8 4 */
    assert_true(tried[n - 1] == 4);
    assert_true(s.pass_rate == 0 && s.fail_rate == 4);
}

static void test_passes_at_ceiling_stops(void **state)
{
    (void)state;
    ratesearch_t s;
    double tried[64];
    ratesearch_init(&s, 300, 1, 1000, 0.05);
    unsigned n = search(&s, 1e9, tried, 64);
    assert_int_equal(n, 4); /* 300 600 1000, and 1000 again: the answer confirmed */
    assert_true(tried[2] == 1000 && tried[3] == 1000);
    assert_true(s.pass_rate == 1000 && s.fail_rate == 0);
}

static void test_start_clamped(void **state)
{
    (void)state;
    ratesearch_t s;
    ratesearch_init(&s, 5000, 10, 1000, 0.05);
    assert_true(ratesearch_next(&s) == 1000);
    ratesearch_init(&s, 1, 10, 1000, 0.05);
    assert_true(ratesearch_next(&s) == 10);
    ratesearch_init(&s, 0, 0, 0, 0.05);
    assert_true(ratesearch_next(&s) == 0);
}

static void test_steps_are_logarithmic(void **state)
{
    (void)state;
    ratesearch_t s;
    double tried[64];
    ratesearch_init(&s, 1, 1, 0, 0.01);
    unsigned n = search(&s, 123456, tried, 64);
    assert_true(n < 40);
    assert_true(fabs(s.pass_rate - 123456) / 123456 < 0.01);
}

/* Whole numbers (closed-loop concurrency): every step an integer, and the
 * search ends on neighbours. */
static void test_granularity_one_searches_whole_numbers(void **state)
{
    (void)state;
    ratesearch_t s;
    double tried[64];
    ratesearch_init(&s, 1, 1, 1024, 0.05);
    ratesearch_set_granularity(&s, 1);
    unsigned n = search(&s, 37.5, tried, 64);
    for (unsigned i = 0; i < n; i++)
        assert_true(tried[i] == floor(tried[i]));
    assert_true(s.pass_rate == 37 && s.fail_rate == 38);
    /* halving from a failing start stops at 1 */
    ratesearch_init(&s, 5, 1, 0, 0.05);
    ratesearch_set_granularity(&s, 1);
    n = search(&s, 0.5, tried, 64);
    assert_true(tried[n - 1] == 1 && s.pass_rate == 0);
    /* a fractional start is snapped down */
    ratesearch_init(&s, 6.7, 1, 0, 0.05);
    ratesearch_set_granularity(&s, 1);
    assert_true(ratesearch_next(&s) == 6);
}

/* The search ends by running its answer again: the last step is the highest
 * rate that passed, and it passed twice. */
static void test_answer_is_confirmed(void **state)
{
    (void)state;
    ratesearch_t s;
    double tried[64];
    ratesearch_init(&s, 100, 1, 0, 0.05);
    unsigned n = search(&s, 730, tried, 64);
    assert_true(n >= 2 && tried[n - 1] == s.pass_rate);
    unsigned twice = 0;
    for (unsigned i = 0; i < n; i++)
        twice += tried[i] == s.pass_rate;
    assert_int_equal(twice, 2);
}

/* One lucky step above the knee (a queue that happened not to build) is not
 * the answer: its confirmation fails and the search goes on below it, from
 * the pass before it, to an answer that passes twice. */
static void test_lucky_step_is_not_the_answer(void **state)
{
    (void)state;
    ratesearch_t s;
    double tried[64];
    unsigned n = 0, at_80 = 0;
    ratesearch_init(&s, 40, 1, 0, 0.05);
    for (double r; (r = ratesearch_next(&s)) > 0;) {
        assert_true(n < 64);
        tried[n++] = r;
        /* the server takes 72/s; 80 passed once, by luck */
        bool pass = r <= 72 || (r == 80 && at_80++ == 0);
        ratesearch_report(&s, r, pass);
    }
    assert_true(tried[0] == 40 && tried[1] == 80 && tried[2] == 160);
    assert_int_equal(at_80, 2); /* 80 ran again, and failed */
    assert_true(s.pass_rate <= 72 && s.pass_rate >= 72 / 1.05);
    assert_true(s.fail_rate > 72 && s.fail_rate <= s.pass_rate * 1.05);
    assert_true(tried[n - 1] == s.pass_rate);
    /* A confirmation that fails with no pass below it halves. */
    ratesearch_init(&s, 100, 10, 0, 0.05);
    assert_true(ratesearch_next(&s) == 100);
    ratesearch_report(&s, 100, true);
    for (double r; (r = ratesearch_next(&s)) != 100;)
        ratesearch_report(&s, r, false);
    assert_int_equal(s.phase, RATESEARCH_CONFIRM);
    assert_true(ratesearch_next(&s) == 100);
    ratesearch_report(&s, 100, false);
    assert_true(s.pass_rate == 0 && s.fail_rate == 100 && ratesearch_next(&s) == 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles_then_bisects_to_precision),
        cmocka_unit_test(test_first_step_fails_halves_to_a_floor),
        cmocka_unit_test(test_never_passes_stops_at_min_rate),
        cmocka_unit_test(test_passes_at_ceiling_stops),
        cmocka_unit_test(test_start_clamped),
        cmocka_unit_test(test_steps_are_logarithmic),
        cmocka_unit_test(test_granularity_one_searches_whole_numbers),
        cmocka_unit_test(test_answer_is_confirmed),
        cmocka_unit_test(test_lucky_step_is_not_the_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
