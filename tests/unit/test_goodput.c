/* Tests for stats/goodput: valid and invalid specs, the canonical form and
 * its round trip, and judging at the exact boundaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "stats/goodput.h"

#define MS 1000000ull

static goodput_t parse_ok(const char *text)
{
    goodput_t g;
    char err[512] = "";
    if (goodput_parse(text, &g, err, sizeof err) != 0)
        fail_msg("\"%s\" rejected: %s", text, err);
    return g;
}

static void test_valid(void **state)
{
    (void)state;
    static const struct {
        const char *text, *canonical;
        uint64_t ttft, tpot, e2el; /* UINT64_MAX: not set */
    } cases[] = {
        {"ttft<=500ms,tpot<=50ms,e2el<=10s", "ttft<=500ms,tpot<=50ms,e2el<=10s", 500 * MS, 50 * MS,
         10000 * MS},
        {"e2el<=10s,ttft<=500ms", "ttft<=500ms,e2el<=10s", 500 * MS, UINT64_MAX, 10000 * MS},
        {" tpot < 1.5s ", "tpot<1500ms", UINT64_MAX, 1500 * MS, UINT64_MAX},
        {"ttft <= 250us , tpot<=0", "ttft<=250us,tpot<=0ms", 250000, 0, UINT64_MAX},
        {"e2el<=1m", "e2el<=1m", UINT64_MAX, UINT64_MAX, 60000 * MS},
        {"e2el<=90m", "e2el<=90m", UINT64_MAX, UINT64_MAX, 5400000 * MS},
        {"e2el<=2h", "e2el<=2h", UINT64_MAX, UINT64_MAX, 7200000 * MS},
        {"ttft<=1001ns", "ttft<=1001ns", 1001, UINT64_MAX, UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        goodput_t g = parse_ok(cases[i].text);
        const uint64_t want[GOODPUT_METRICS] = {cases[i].ttft, cases[i].tpot, cases[i].e2el};
        for (int m = 0; m < GOODPUT_METRICS; m++) {
            assert_int_equal(g.set[m], want[m] != UINT64_MAX);
            if (g.set[m])
                assert_int_equal(g.limit_ns[m], want[m]);
        }
        char buf[128];
        int n = goodput_format(&g, buf, sizeof buf);
        assert_string_equal(buf, cases[i].canonical);
        assert_int_equal(n, (int)strlen(buf));
        goodput_t again = parse_ok(buf);
        assert_memory_equal(&again, &g, sizeof g);
        /* a short buffer: truncated, NUL-terminated, the full length returned */
        char small[8];
        assert_int_equal(goodput_format(&g, small, sizeof small), n);
        assert_int_equal(strlen(small), n < 8 ? (size_t)n : 7u);
        assert_memory_equal(small, buf, strlen(small));
    }
    assert_string_equal(goodput_metric_name(GOODPUT_TPOT), "tpot");
}

static void test_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says;
    } cases[] = {
        {"", "empty"},
        {"   ", "empty"},
        {"ttft", "expected <= or < after ttft"},
        {"ttft<=", "missing duration"},
        {"ttft<=500", "needs a unit"},
        {"ttft<=-1s", "negative"},
        {"ttft<=1x", "not a duration"},
        {"ttft>=1s", "upper bound"},
        {"ttft=1s", "upper bound"},
        {"ttft<=1s,ttft<=2s", "ttft is bounded twice"},
        {"ttft<=1s,", "an empty bound"},
        {",ttft<=1s", "an empty bound"},
        {"ttft<=1s,,tpot<=1s", "an empty bound"},
        {"ttft<=1s tpot<=1s", "not a duration"},
        {"itl<=1s", "unknown metric \"itl\""},
        {"TTFT<=1s", "unknown metric \"TTFT\""},
        {"p99<=1s", "unknown metric \"p99\""},
        {"<=1s", "must start with a metric"},
        {"ttft<=11111111111111111111111111111111111111111111111111111111s", "too long"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        goodput_t g;
        memset(&g, 0x5a, sizeof g);
        goodput_t before = g;
        char err[512] = "";
        assert_int_equal(goodput_parse(cases[i].text, &g, err, sizeof err), EINVAL);
        assert_memory_equal(&g, &before, sizeof g); /* untouched */
        if (!strstr(err, cases[i].says) || !strstr(err, "goodput \""))
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cases[i].text, err, cases[i].says);
        assert_int_equal(goodput_parse(cases[i].text, &g, NULL, 0), EINVAL);
    }
}

static tokens_result_t result(bool has_first, uint64_t ttft, uint64_t e2el, bool has_tpot,
                              uint64_t tpot)
{
    tokens_result_t r;
    memset(&r, 0, sizeof r);
    r.has_first = has_first;
    r.ttft_ns = ttft;
    r.e2el_ns = e2el;
    r.has_tpot = has_tpot;
    r.tpot_ns = tpot;
    return r;
}

static void test_judge(void **state)
{
    (void)state;
    goodput_t g = parse_ok("ttft<=500ms,tpot<50ms,e2el<=10s");
    tokens_result_t r = result(true, 500 * MS, 10000 * MS, true, 50 * MS - 1);
    assert_true(goodput_good(&g, true, &r));   /* every value exactly at its bound */
    assert_false(goodput_good(&g, false, &r)); /* failed requests are never good */
    r.ttft_ns++;
    assert_false(goodput_good(&g, true, &r));
    r.ttft_ns--;
    r.e2el_ns++;
    assert_false(goodput_good(&g, true, &r));
    r.e2el_ns--;
    r.tpot_ns++; /* 50 ms is not < 50 ms */
    assert_false(goodput_good(&g, true, &r));
    r.has_tpot = false; /* undefined tpot passes */
    assert_true(goodput_good(&g, true, &r));
    r = result(false, 0, 0, false, 0); /* no token at all: fails ttft and e2el */
    assert_false(goodput_good(&g, true, &r));
    goodput_t only_tpot = parse_ok("tpot<=1ms");
    assert_true(goodput_good(&only_tpot, true, &r));
    assert_false(goodput_good(&only_tpot, false, &r));
    goodput_t none;
    memset(&none, 0, sizeof none);
    assert_true(goodput_good(&none, true, &r));
    assert_false(goodput_good(&none, false, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_judge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
