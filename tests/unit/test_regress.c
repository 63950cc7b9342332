/* test_regress — `--max-regression METRIC=+P%`: parsing (every metric an SLA
 * names, signs, bounds, messages), judging (both directions, the boundary,
 * zero, infinite and missing values) and the JSON entry read back. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats/regress.h"

static regress_t parse(const char *text)
{
    regress_t g;
    char err[SLA_ERR_MAX];
    if (regress_parse(text, &g, err, sizeof err))
        fail_msg("\"%s\" refused: %s", text, err);
    return g;
}

static void test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text, *metric;
        double limit;
        bool lower;
    } ok[] = {
        {"p95=+5%", "p95", 5, true},
        {" p95 = +5 % ", "p95", 5, true},
        {"request.p99=+10%", "request.p99", 10, true},
        {"p99.9=+2.5%", "p99.9", 2.5, true},
        {"max=+50%", "max", 50, true},
        {"mean=-10%", "mean", -10, true},
        {"ips=-5%", "ips", -5, false},
        {"rps=+10%", "rps", 10, false},
        {"ips=-100%", "ips", -100, false},
        {"error_rate=+20%", "error_rate", 20, true},
        {"p95=0%", "p95", 0, true},
        {"p95=-0%", "p95", 0, true},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        regress_t g = parse(ok[i].text);
        assert_string_equal(sla_metric_name(&g.metric), ok[i].metric);
        assert_true(g.limit_pct == ok[i].limit);
        assert_false(signbit(g.limit_pct) && g.limit_pct == 0); /* never -0 */
        assert_int_equal(regress_lower_is_better(&g.metric), ok[i].lower);
    }
    assert_string_equal(parse(" p95 = +5 % ").text, "p95 = +5 %");

    static const struct {
        const char *text, *why;
    } bad[] = {
        {"p95", "expected METRIC=CHANGE"},
        {"=+5%", "unknown metric \"\""},
        {"p9x=+5%", "unknown metric \"p9x\""},
        {"p95<=1=+5%", "unknown metric \"p95<\""},
        {"request.error_rate=+5%", "unknown metric"},
        {"p95=5%", "give a sign: p95=+5% allows p95 up to 5% above the baseline"},
        {"ips=5%", "give a sign: ips=-5% allows ips down to 5% below the baseline"},
        {"p95=+5", "in percent, with '%'"},
        {"p95=+5ms", "in percent, with '%'"},
        {"p95=+%", "expected a signed percentage"},
        {"p95=++5%", "expected a signed percentage"},
        {"p95=+5% or so", "unexpected text after the '%'"},
        {"p95=-100%", "cannot fall by 100% or more"},
        {"ips=-101%", "cannot fall by more than 100%"},
        {"p95=+inf%", "expected a signed percentage"},
        {"p95=+1e9%", "more than 1000000%"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        regress_t g;
        char err[SLA_ERR_MAX] = "";
        assert_int_equal(regress_parse(bad[i].text, &g, err, sizeof err), EINVAL);
        if (!strstr(err, bad[i].why))
            fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].text, err, bad[i].why);
        /* and says how to write one, to the end */
        assert_non_null(strstr(err, "at least 10% faster)"));
    }
}

static regress_verdict_t judge(const char *text, double base, double opt)
{
    regress_t g = parse(text);
    regress_verdict_t v;
    regress_judge(&g, true, base, opt, &v);
    return v;
}

static void test_judge(void **state)
{
    (void)state;
    /* lower is better: at most base * 1.05 */
    assert_true(judge("p95=+5%", 100, 105).pass);
    assert_false(judge("p95=+5%", 100, 105.001).pass);
    assert_true(judge("p95=+5%", 100, 50).pass);
    assert_true(judge("p95=+0%", 52.8, 52.8).pass);
    assert_false(judge("p95=+0%", 52.8, 52.81).pass);
    assert_false(judge("p95=-10%", 100, 95).pass); /* demands 10% faster */
    assert_true(judge("p95=-10%", 100, 90).pass);
    regress_verdict_t v = judge("p95=+5%", 52.8, 102.6);
    assert_false(v.pass);
    assert_true(fabs(v.change_pct - (102.6 - 52.8) / 52.8 * 100) < 1e-9);
    assert_string_equal(v.note, "");
    /* higher is better: at least base * 0.95 */
    assert_true(judge("ips=-5%", 200, 190).pass);
    assert_false(judge("ips=-5%", 200, 189.9).pass);
    assert_true(judge("ips=-5%", 200, 400).pass);
    assert_false(judge("ips=+10%", 200, 210).pass);
    assert_true(judge("ips=-100%", 200, 0).pass);
    /* zero baselines */
    v = judge("error_rate=+20%", 0, 0);
    assert_true(v.pass);
    assert_true(v.change_pct == 0);
    v = judge("error_rate=+20%", 0, 1);
    assert_false(v.pass);
    assert_true(isnan(v.change_pct));
    assert_non_null(strstr(v.note, "baseline's error_rate is 0"));
    /* a percentile among the failed: any finite value beats it */
    v = judge("p95=+5%", INFINITY, 500);
    assert_true(v.pass);
    assert_true(isnan(v.change_pct));
    assert_non_null(strstr(v.note, "baseline p95 falls among its failed items"));
    v = judge("p95=+5%", 500, INFINITY);
    assert_false(v.pass);
    assert_non_null(strstr(v.note, "optimized p95 falls among its failed items"));
    /* both among their failures: no change is measured, so the gate cannot
     * say the optimized run stayed within it (a watch has nothing to say) */
    assert_false(judge("p95=+5%", INFINITY, INFINITY).pass);
    assert_false(judge("p95=+1000000%", INFINITY, INFINITY).pass);
    regress_t watch, gate = parse("p95=+5%");
    regress_watch(&gate.metric, &watch);
    regress_judge(&watch, false, INFINITY, INFINITY, &v);
    assert_true(v.pass);
    /* ... among what the metric counts: a per-request metric's failed
     * requests; a first-token metric's requests that got no token too */
    v = judge("request.p95=+5%", INFINITY, 500);
    assert_string_equal(v.note, "baseline request.p95 falls among its failed requests");
    v = judge("tpot.p99=+5%", 500, INFINITY);
    assert_string_equal(v.note, "optimized tpot.p99 falls among its failed requests");
    v = judge("itl.p99=+5%", INFINITY, INFINITY);
    assert_false(v.pass);
    assert_string_equal(v.note, "itl.p99 falls among the failed requests in both runs: no change "
                                "can be measured");
    v = judge("ttft.p99=+5%", INFINITY, 500);
    assert_string_equal(v.note,
                        "baseline ttft.p99 falls among its requests that failed or got no token");
    v = judge("p95=+5%", INFINITY, INFINITY);
    assert_string_equal(v.note,
                        "p95 falls among the failed items in both runs: no change can be measured");
    /* nothing measured never passes */
    v = judge("p95=+5%", NAN, 10);
    assert_false(v.pass);
    assert_non_null(strstr(v.note, "baseline has no p95"));
    v = judge("ips=-5%", 10, NAN);
    assert_false(v.pass);
    assert_non_null(strstr(v.note, "optimized run has no ips"));

    regress_t w, g = parse("request.p99=+1%");
    regress_watch(&g.metric, &w);
    assert_string_equal(w.text, "request.p99=+0%");
    assert_true(w.limit_pct == 0);
    g = parse("ips=-1%");
    regress_watch(&g.metric, &w);
    assert_string_equal(w.text, "ips=-0%");
    /* a watch says "slower" only between two values; a gate still fails without one */
    g = parse("ttft.p99=+1%");
    regress_watch(&g.metric, &w);
    regress_judge(&w, false, NAN, NAN, &v);
    assert_true(v.pass);
    regress_judge(&w, false, 10, NAN, &v);
    assert_true(v.pass);
    regress_judge(&w, false, 10, 11, &v);
    assert_false(v.pass);
    regress_judge(&g, true, NAN, NAN, &v);
    assert_false(v.pass);
}

static void test_json(void **state)
{
    (void)state;
    regress_verdict_t v = judge("request.p99=+10%", 15.816056, 23.314603), back;
    json_t *j = regress_verdict_to_json(&v);
    assert_non_null(j);
    static const char *const keys[] = {"expr",       "metric",    "unit",   "baseline", "optimized",
                                       "change_pct", "limit_pct", "gating", "pass"};
    assert_int_equal(json_object_size(j), sizeof keys / sizeof keys[0]);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        assert_non_null(json_object_get(j, keys[k]));
    assert_string_equal(json_string_value(json_object_get(j, "metric")), "request.p99");
    assert_string_equal(json_string_value(json_object_get(j, "unit")), "ms");
    char err[SLA_ERR_MAX];
    assert_int_equal(regress_verdict_from_json(j, &back, err, sizeof err), 0);
    json_t *again = regress_verdict_to_json(&back);
    assert_true(json_equal(j, again));
    json_decref(again);
    json_decref(j);

    /* infinite and missing values are null, and the note says why */
    v = judge("p95=+5%", 500, INFINITY);
    j = regress_verdict_to_json(&v);
    assert_true(json_is_null(json_object_get(j, "optimized")));
    assert_true(json_is_null(json_object_get(j, "change_pct")));
    assert_non_null(json_string_value(json_object_get(j, "note")));
    assert_int_equal(regress_verdict_from_json(j, &back, err, sizeof err), 0);
    assert_true(isnan(back.opt));
    assert_false(back.pass);
    assert_string_equal(back.note, v.note);
    /* shape checked */
    json_object_set_new(j, "expr", json_string("p95=5%"));
    assert_int_equal(regress_verdict_from_json(j, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"expr\": give a sign"));
    json_object_set_new(j, "expr", json_string("p95=+5%"));
    json_object_set_new(j, "gating", json_string("yes"));
    assert_int_equal(regress_verdict_from_json(j, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"gating\""));
    json_object_set_new(j, "gating", json_true());
    json_object_set_new(j, "baseline", json_string("fast"));
    assert_int_equal(regress_verdict_from_json(j, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"baseline\""));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
