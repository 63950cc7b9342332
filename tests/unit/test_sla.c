/* test_sla — parsing valid and invalid expressions, exact boundaries, each op,
 * and measuring each metric from a runstats. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats/sla.h"

static sla_t parse_ok(const char *text)
{
    sla_t s;
    char err[512] = "";
    int rc = sla_parse(text, &s, err, sizeof err);
    if (rc)
        fail_msg("\"%s\" rejected: %s", text, err);
    return s;
}

static bool holds(const char *text, double measured)
{
    sla_t s = parse_ok(text);
    return sla_holds(&s, measured);
}

static double measure(const char *text, const runstats_t *rs, double duration_s)
{
    sla_t s = parse_ok(text);
    return sla_measure(&s, rs, duration_s);
}

static void test_valid(void **state)
{
    (void)state;
    static const struct {
        const char *text, *name, *unit, *op, *canon;
        double threshold;
        uint64_t ns;
        bool request;
    } cases[] = {
        {"p95<=800ms", "p95", "ms", "<=", "p95<=800ms", 800, 800000000, false},
        {"  p95 <= 800ms  ", "p95", "ms", "<=", "p95 <= 800ms", 800, 800000000, false},
        {"p95\t<=\t800 ms", "p95", "ms", "<=", "p95\t<=\t800 ms", 800, 800000000, false},
        {"p50<1s", "p50", "ms", "<", NULL, 1000, 1000000000, false},
        {"p90>=0.8s", "p90", "ms", ">=", NULL, 800, 800000000, false},
        {"p99>250000us", "p99", "ms", ">", NULL, 250, 250000000, false},
        {"p99.9<=1200", "p99.9", "ms", "<=", NULL, 1200, 1200000000, false},
        {"max<=2.5", "max", "ms", "<=", NULL, 2.5, 2500000, false},
        {"mean<=10.25ms", "mean", "ms", "<=", NULL, 10.25, 10250000, false},
        {"p75<=0.0005ms", "p75", "ms", "<=", NULL, 0.0005, 500, false},
        {"p99.99<=1.1s", "p99.99", "ms", "<=", NULL, 1100, 1100000000, false},
        {"request.p95<=800ms", "request.p95", "ms", "<=", NULL, 800, 800000000, true},
        {"request.max < 3s", "request.max", "ms", "<", NULL, 3000, 3000000000, true},
        {"request.mean<=.5", "request.mean", "ms", "<=", NULL, 0.5, 500000, true},
        {"request.p99.9<=1MS", "request.p99.9", "ms", "<=", NULL, 1, 1000000, true},
        {"p100<=1", "max", "ms", "<=", NULL, 1, 1000000, false},
        {"error_rate<1%", "error_rate", "%", "<", NULL, 1, 0, false},
        {"error_rate <= 0.1", "error_rate", "%", "<=", NULL, 0.1, 0, false},
        {"error_rate<=0 %", "error_rate", "%", "<=", NULL, 0, 0, false},
        {"rps>=500", "rps", "/s", ">=", NULL, 500, 0, false},
        {"ips>1234.5", "ips", "/s", ">", NULL, 1234.5, 0, false},
        {"ips >= 500/s", "ips", "/s", ">=", NULL, 500, 0, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sla_t s = parse_ok(cases[i].text);
        assert_string_equal(sla_metric_name(&s), cases[i].name);
        assert_string_equal(sla_unit(&s), cases[i].unit);
        assert_string_equal(sla_op_name(&s), cases[i].op);
        assert_string_equal(s.text, cases[i].canon ? cases[i].canon : cases[i].text);
        if (s.threshold != cases[i].threshold)
            fail_msg("\"%s\": threshold %.17g", cases[i].text, s.threshold);
        assert_int_equal(s.threshold_ns, cases[i].ns);
        assert_int_equal(s.latency, cases[i].request ? METRIC_REQUEST : METRIC_ITEM);
    }
    sla_t s = parse_ok("p99.9<=1");
    assert_int_equal(s.metric, SLA_LATENCY_PCT);
    assert_true(s.percentile == 99.9);
    s = parse_ok("mean<=1");
    assert_int_equal(s.metric, SLA_LATENCY_MEAN);
    s = parse_ok("max<=1");
    assert_true(s.metric == SLA_LATENCY_PCT && s.percentile == 100);
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "p95",
        "p95<=",
        "p95 <= ",
        "<=800ms",
        "p95=800",
        "p95==800",
        "p95=<800",
        "p95<=<800",
        "p95!=800",
        "p95<=800xs",
        "p95<=800 ms extra",
        "p95<=800msms",
        "p95<=-5",
        "p95<=abc",
        "p95<=1.2.3",
        "p95<=.",
        "p95<=5%",
        "p95<=3601s",
        "p95<=123456789012345678",
        "p0<=1",
        "p101<=1",
        "p<=1",
        "p95x<=1",
        "p9.5.1<=1",
        "P95<=800",
        "latency<=5",
        "request.<=5",
        "request.error_rate<1",
        "request.rps>1",
        "request.request.p95<=1",
        "error_rate<=101",
        "error_rate<1ms",
        "error_rate<1%%",
        "rps>=5%",
        "ips>=5ms",
        "p95 800ms",
        "p95<=800ms;rm",
        "p95<=800ms p99<=900ms",
        "p95<=800000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sla_t s;
        memset(&s, 0x5a, sizeof s);
        sla_t before = s;
        char err[512] = "";
        int rc = sla_parse(bad[i], &s, err, sizeof err);
        if (rc != EINVAL)
            fail_msg("\"%s\" accepted as %s %s %g", bad[i], s.name, sla_op_name(&s), s.threshold);
        assert_memory_equal(&s, &before, sizeof s); /* untouched */
        assert_non_null(strstr(err, "valid metrics") ? err : strstr(err, "longer than"));
    }
    /* The message names the expression and the problem. */
    sla_t s;
    char err[512];
    assert_int_equal(sla_parse("p95<=800xs", &s, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"p95<=800xs\""));
    assert_non_null(strstr(err, "unit \"xs\""));
    assert_int_equal(sla_parse("p96.5x<1", &s, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "unknown metric \"p96.5x\""));
    assert_non_null(strstr(err, "p99.9"));
    assert_non_null(strstr(err, "error_rate"));
    /* operators as people also write them get the ASCII spelling to use */
    static const char *const ops[][2] = {{"p95\xe2\x89\xa4"
                                          "800ms",
                                          "write the operator as \"<=\""},
                                         {"ips \xe2\x89\xa5 5", "write the operator as \">=\""},
                                         {"p95=<3ms", "write \"<=\", not \"=<\""},
                                         {"p95 => 3ms", "write \">=\", not \"=>\""},
                                         {"p95=3ms", "\"=\" is not an operator"}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        assert_int_equal(sla_parse(ops[i][0], &s, err, sizeof err), EINVAL);
        if (!strstr(err, ops[i][1]))
            fail_msg("%s: %s", ops[i][0], err);
    }
    char tiny[16];
    assert_int_equal(sla_parse("bogus", &s, tiny, sizeof tiny), EINVAL);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

/* Every message is whole: the expression as typed (cut with "..." only past
 * 160 characters), the problem, and the list of valid metrics to its closing
 * parenthesis, within SLA_ERR_MAX. */
static void test_message_whole(void **state)
{
    (void)state;
    char name[96], unit[120], longest[400], err[SLA_ERR_MAX * 2];
    memset(name, 'q', 93);
    snprintf(name + 93, sizeof name - 93, "<1"); /* 95 characters: the longest accepted */
    snprintf(unit, sizeof unit, "p95<=1%.*s", 89,
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    memset(longest, 'p', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    const char *cases[] = {name, unit, longest,
                           "p95 <= 800ms and also keep the error rate under one percent and "
                           "the throughput over 500 items per second"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sla_t s;
        assert_int_equal(sla_parse(cases[i], &s, err, sizeof err), EINVAL);
        size_t n = strlen(err);
        assert_true(n < SLA_ERR_MAX);
        const char *tail = "\"ips>=500\")";
        assert_true(n > strlen(tail));
        assert_string_equal(err + n - strlen(tail), tail);
        if (strlen(cases[i]) <= 160) {
            assert_non_null(strstr(err, cases[i]));
        } else {
            char cut[200];
            snprintf(cut, sizeof cut, "\"%.160s...\"", cases[i]);
            assert_non_null(strstr(err, cut));
        }
    }
    assert_non_null(strstr(err, "longer than 95 characters"));
}

static void test_boundary_exact(void **state)
{
    (void)state;
    sla_t le = parse_ok("p95<=800ms"), lt = parse_ok("p95<800ms"), ge = parse_ok("p95>=800ms"),
          gt = parse_ok("p95>800ms");
    assert_true(sla_holds(&le, 800.0));
    assert_false(sla_holds(&le, 800.001));
    assert_true(sla_holds(&le, 799.999999));
    assert_false(sla_holds(&lt, 800.0));
    assert_true(sla_holds(&lt, 799.999999));
    assert_true(sla_holds(&ge, 800.0));
    assert_false(sla_holds(&ge, 799.999999));
    assert_false(sla_holds(&gt, 800.0));
    assert_true(sla_holds(&gt, 800.000001));
    assert_false(sla_holds(&le, NAN));
    assert_false(sla_holds(&gt, NAN));

    /* Every threshold spelling, every integer-ns measurement around it, as the
     * result path produces it (ns / 1e6): the verdict is the integer comparison. */
    static const char *const texts[] = {"p95<=0.8s",      "p95<=800000us", "p95<=1.1s",
                                        "p95<=0.3s",      "p95<=1234.567", "p95<=0.001ms",
                                        "p95<=3599.999s", "p95<=0.7ms"};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        sla_t s = parse_ok(texts[t]);
        for (int64_t d = -2000; d <= 2000; d++) {
            int64_t v = (int64_t)s.threshold_ns + d;
            if (v < 0)
                continue;
            bool want = (uint64_t)v <= s.threshold_ns;
            if (sla_holds(&s, (double)v / 1e6) != want)
                fail_msg("%s at %lld ns", texts[t], (long long)v);
        }
    }
}

static void test_measure(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    sla_t p95 = parse_ok("p95<=800ms"), req = parse_ok("request.p95<=800ms"),
          mean = parse_ok("mean<=2ms"), er = parse_ok("error_rate<1%"), rps = parse_ok("rps>=500"),
          ips = parse_ok("ips>=1000");
    /* Nothing measured: NaN, and the SLA does not hold. */
    assert_true(isnan(sla_measure(&p95, &rs, 1)));
    assert_true(isnan(sla_measure(&er, &rs, 1)));
    assert_true(isnan(sla_measure(&rps, &rs, 0)));
    assert_false(sla_holds(&p95, sla_measure(&p95, &rs, 1)));

    /* Exactly 800 ms passes p95<=800ms; 800.001 ms fails it. */
    for (int i = 0; i < 100; i++) {
        runstats_record_request(&rs, 0, ERR_NONE, 200, 2, 800000000, 1000, 0);
        runstats_record_item(&rs, 0, 800000000);
        runstats_record_item(&rs, 0, 800000000);
    }
    assert_true(sla_measure(&p95, &rs, 1) == 800.0);
    assert_true(sla_holds(&p95, sla_measure(&p95, &rs, 1)));
    assert_true(sla_holds(&req, sla_measure(&req, &rs, 1)));
    runstats_close(&rs);
    assert_int_equal(runstats_init(&rs, 0), 0);
    for (int i = 0; i < 100; i++) {
        runstats_record_request(&rs, 0, ERR_NONE, 200, 1, 800001000, 1000, 0);
        runstats_record_item(&rs, 0, 800001000);
    }
    assert_true(sla_measure(&p95, &rs, 1) >= 800.001);
    assert_false(sla_holds(&p95, sla_measure(&p95, &rs, 1)));
    runstats_close(&rs);

    /* Item vs request scope, mean, error rate, throughput. */
    assert_int_equal(runstats_init(&rs, 0), 0);
    runstats_record_request(&rs, 0, ERR_NONE, 200, 2, 5000000, 1000, 0);
    runstats_record_item(&rs, 0, 1000000);
    runstats_record_item(&rs, 0, 3000000);
    for (int i = 0; i < 98; i++)
        runstats_record_request(&rs, 0, ERR_NONE, 200, 10, 5000000, 1000, 0);
    runstats_record_request(&rs, 0, ERR_HTTP_5XX, 500, 10, 5000000, 1000, 0);
    assert_true(sla_measure(&mean, &rs, 1) == 2.0);
    assert_true(sla_holds(&mean, 2.0));
    assert_false(holds("mean<2ms", sla_measure(&mean, &rs, 1)));
    /* the 10 items of the failed request have no latency: the max is unbounded */
    assert_true(isinf(measure("max<=1", &rs, 1)));
    assert_true(fabs(sla_measure(&req, &rs, 1) - 5.0) <= 5.0 * 1e-3);
    assert_true(sla_measure(&er, &rs, 2) == 1.0); /* 1 of 100 */
    assert_false(sla_holds(&er, 1.0));
    assert_true(holds("error_rate<=1%", 1.0));
    /* Throughput counts successes: 99 ok requests (the 500 is not), 982 ok items. */
    assert_true(fabs(sla_measure(&rps, &rs, 0.198) - 500.0) < 1e-9);
    assert_true(sla_holds(&rps, 500.0));
    assert_false(holds("rps>500", 500.0));
    assert_true(fabs(sla_measure(&ips, &rs, 0.982) - 1000.0) < 1e-9);
    assert_true(sla_holds(&ips, 1000.0));
    assert_true(isnan(sla_measure(&ips, &rs, 0)));
    runstats_close(&rs);

    /* 1 error in 1000 is exactly the "0.1" the user wrote. */
    assert_int_equal(runstats_init(&rs, 0), 0);
    for (int i = 0; i < 1000; i++)
        runstats_record_request(&rs, 0, i ? ERR_NONE : ERR_TIMEOUT, i ? 200 : 0, 1, 1000000, 1, 0);
    assert_true(holds("error_rate<=0.1%", sla_measure(&er, &rs, 1)));
    assert_false(holds("error_rate<0.1", sla_measure(&er, &rs, 1)));
    runstats_close(&rs);
}

/* Latency percentiles are judged over every item issued, failed ones ranked
 * slowest: 40 fast answers and 60 timeouts cannot pass p95<=100ms. */
static void test_failures_rank_slowest(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    for (int i = 1; i <= 40; i++) {
        runstats_record_request(&rs, 0, ERR_NONE, 200, 1, (uint64_t)i * 1000000, 1000, 0);
        runstats_record_item(&rs, 0, (uint64_t)i * 1000000); /* 1..40 ms */
    }
    for (int i = 0; i < 60; i++)
        runstats_record_request(&rs, 0, ERR_TIMEOUT, 0, 1, 100000000, 0, 0);
    sla_t p95 = parse_ok("p95<=100ms");
    double v = sla_measure(&p95, &rs, 1);
    assert_true(isinf(v) && v > 0);
    assert_false(sla_holds(&p95, v));
    assert_true(isinf(measure("request.p95<=100ms", &rs, 1)));
    /* p40 is the slowest answered item: rank 40 of 100 */
    double p40 = measure("p40<=100ms", &rs, 1);
    assert_true(p40 >= 40.0 && p40 <= 40.0 * 1.001);
    /* p41 falls among the failures */
    assert_true(isinf(measure("p41<=100ms", &rs, 1)));
    /* p20 = rank 20 of all 100 = the 20th answered (not the 50th percentile of answers) */
    double p20 = measure("p20<=100ms", &rs, 1);
    assert_true(p20 >= 20.0 && p20 <= 20.0 * 1.001);
    /* mean stays over answered items */
    assert_true(fabs(measure("mean<=100ms", &rs, 1) - 20.5) < 0.05);
    /* the verdict says why there is no value */
    sla_verdict_t vd;
    sla_judge(&p95, &rs, 1, &vd);
    assert_false(vd.pass);
    assert_true(isinf(vd.value));
    assert_non_null(strstr(vd.note, "60 failed items"));
    json_t *j = sla_verdict_to_json(&vd);
    assert_true(json_is_null(json_object_get(j, "value")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "note")), "60 failed items"));
    json_decref(j);
    sla_t p20s = parse_ok("p20<=100ms");
    sla_judge(&p20s, &rs, 1, &vd);
    assert_true(vd.pass);
    assert_non_null(strstr(vd.note, "counted as slowest"));
    runstats_close(&rs);
}

/* A successful streamed request in which no token-bearing event arrived
 * never got a first token: ttft, ttft_service and e2el gates rank it
 * slowest, as a failure, so 9 such answers of 10 cannot pass ttft.p99 on the
 * one that streamed. tpot keeps vLLM's rule (undefined: left out). */
static void test_no_token_ranks_slowest(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    assert_int_equal(runstats_init_stream(&rs), 0);
    for (int i = 0; i < 10; i++) {
        tokens_t t;
        tokens_result_t tr;
        uint64_t gap;
        tokens_start(&t, 0, 0);
        if (i == 0) { /* the one that streamed: tokens at 2, 4 and 6 ms */
            for (int k = 1; k <= 3; k++)
                tokens_event(&t, (uint64_t)k * 2000000, &gap);
        }
        tokens_end(&t, 8000000);
        tokens_result(&t, &tr);
        runstats_record_request(&rs, 0, ERR_NONE, 200, 1, 8000000, 8000000, 10);
        runstats_record_item(&rs, 0, 8000000);
        runstats_record_stream(&rs, &tr, true, tr.ttft_ns, tr.e2el_ns);
    }
    runstats_record_request(&rs, 0, ERR_TIMEOUT, 0, 1, 9000000, 0, 0);
    sla_t ttft = parse_ok("ttft.p99<=1s");
    uint64_t none;
    assert_int_equal(sla_ranked_slowest(&ttft, &rs, &none), 10);
    assert_int_equal(none, 9);
    sla_verdict_t v;
    sla_judge(&ttft, &rs, 1, &v);
    assert_false(v.pass);
    assert_true(isinf(v.value));
    assert_non_null(strstr(v.note, "1 failed, 9 with no token"));
    assert_true(isinf(measure("e2el.p50<=1s", &rs, 1)));
    assert_true(isinf(measure("ttft.max<=1s", &rs, 1)));
    /* rank 1 of 11 is the one token that came */
    double p9 = measure("ttft.p9<=1s", &rs, 1);
    assert_true(p9 >= 2.0 && p9 <= 2.0 * 1.001);
    /* tpot: one defined value, the timeout ranked slowest, the 9 left out */
    sla_t tpot = parse_ok("tpot.p50<=1s");
    assert_int_equal(sla_ranked_slowest(&tpot, &rs, &none), 1);
    assert_int_equal(none, 0);
    double tp = sla_measure(&tpot, &rs, 1);
    assert_true(tp >= 2.0 && tp <= 2.0 * 1.001);
    /* the item gate is not about tokens: the timeout alone ranks slowest */
    sla_t p90 = parse_ok("p90<=1s");
    assert_int_equal(sla_ranked_slowest(&p90, &rs, &none), 1);
    assert_int_equal(none, 0);
    assert_true(sla_measure(&p90, &rs, 1) <= 8.0 * 1.001);
    runstats_close(&rs);
}

/* A verdict written and read back is the same verdict; a malformed entry is
 * refused with the member named. */
static void test_verdict_json(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    for (int i = 1; i <= 10; i++) {
        runstats_record_request(&rs, 0, ERR_NONE, 200, 1, (uint64_t)i * 1000000, 1000, 0);
        runstats_record_item(&rs, 0, (uint64_t)i * 1000000);
    }
    sla_t s = parse_ok("request.p90 <= 10ms");
    sla_verdict_t v, back;
    sla_judge(&s, &rs, 1, &v);
    assert_true(v.pass);
    json_t *j = sla_verdict_to_json(&v);
    char err[512];
    assert_int_equal(sla_verdict_from_json(j, &back, err, sizeof err), 0);
    assert_string_equal(back.sla.text, "request.p90 <= 10ms");
    assert_int_equal(back.sla.latency, METRIC_REQUEST);
    assert_true(back.value == v.value && back.pass == v.pass);
    assert_string_equal(back.note, v.note);
    json_object_set_new(j, "expr", json_string("p95<=fast"));
    assert_int_equal(sla_verdict_from_json(j, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"expr\""));
    json_object_set_new(j, "expr", json_string("p95<=1s"));
    json_object_set_new(j, "pass", json_string("yes"));
    assert_int_equal(sla_verdict_from_json(j, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"pass\""));
    json_decref(j);
    /* Gateable metrics come from the metric table; the others are refused. */
    assert_int_equal(parse_ok("item.p95<=1s").latency, METRIC_ITEM);
    assert_string_equal(parse_ok("item.p95<=1s").name, "p95");
    assert_int_equal(sla_parse("service.p95<=1s", &s, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"request.\""));
    runstats_close(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),         cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_message_whole), cmocka_unit_test(test_boundary_exact),
        cmocka_unit_test(test_measure),       cmocka_unit_test(test_failures_rank_slowest),
        cmocka_unit_test(test_verdict_json),  cmocka_unit_test(test_no_token_ranks_slowest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
