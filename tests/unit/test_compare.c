/* test_compare — the comparison of two results read from hand-made result
 * objects: every field, null handling, digests, SLAs from histograms and
 * which SLAs are judged, the JSON read back, the table. (Validation of the
 * files is result_from_json's: test_result.) */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/cmptext.h"
#include "stats/compare.h"
#include "stats/result.h"

/* A result object shaped like `tailgate run --out`: n_items item latencies
 * spread evenly over [lo_ms, hi_ms]. */
static json_t *make_result(uint64_t requests, uint64_t ok, uint64_t items, double duration_s,
                           double lo_ms, double hi_ms, uint64_t n_items, const char *digest,
                           int batch)
{
    hist_t *item, *req;
    assert_int_equal(hist_new_latency(&item), 0);
    assert_int_equal(hist_new_latency(&req), 0);
    for (uint64_t i = 0; i < n_items; i++) {
        double ms =
            n_items > 1 ? lo_ms + (hi_ms - lo_ms) * (double)i / (double)(n_items - 1) : lo_ms;
        hist_record(item, (uint64_t)llround(ms * 1e6));
        hist_record(req, (uint64_t)llround(ms * 1e6) + 1000000);
    }
    json_t *lat = json_object();
    static const struct {
        const char *key;
        double p;
    } pcts[] = {{"p50", 50}, {"p75", 75}, {"p90", 90}, {"p95", 95}, {"p99", 99}};
    for (size_t k = 0; k < 5; k++)
        json_object_set_new(lat, pcts[k].key,
                            n_items ? json_real((double)hist_percentile(item, pcts[k].p) / 1e6)
                                    : json_null());
    json_object_set_new(lat, "max",
                        n_items ? json_real((double)hist_max(item) / 1e6) : json_null());
    json_object_set_new(lat, "mean", n_items ? json_real(hist_mean(item) / 1e6) : json_null());
    json_object_set_new(lat, "count", json_integer((json_int_t)n_items));
    json_t *r = json_pack(
        "{s:s,s:s,s:{s:I,s:I,s:s},s:s,s:f,s:{s:I,s:I,s:I,s:{},s:{}},s:{s:I,s:I},"
        "s:{s:f,s:f},s:{s:o,s:{s:o},s:{}},s:o,s:[],s:{s:o,s:o,s:o},s:[],s:b,s:b}",
        "tool", "tailgate", "version", "0.1.0", "config", "batch", (json_int_t)batch, "connections",
        (json_int_t)100, "url", "http://127.0.0.1:8000/v1/infer", "started_at",
        "2026-01-01T00:00:00.000Z", "duration_s", duration_s, "requests", "total",
        (json_int_t)requests, "ok", (json_int_t)ok, "errors", (json_int_t)(requests - ok),
        "by_status", "by_error", "items", "total", (json_int_t)items, "ok", (json_int_t)items,
        "throughput", "requests_per_s", (double)ok / duration_s, "items_per_s",
        (double)items / duration_s, "latency_ms", "item", lat, "request", "p95",
        n_items ? json_real((double)hist_percentile(req, 95) / 1e6) : json_null(), "service",
        "inputs_digest", digest ? json_string(digest) : json_null(), "timeline", "histogram",
        "item", hist_to_json(item), "request", hist_to_json(req), "service", hist_to_json(req),
        "sla", "sla_pass", true, "interrupted", false);
    assert_non_null(r);
    hist_free(item);
    hist_free(req);
    return r;
}

static sla_t sla(const char *text)
{
    sla_t s;
    char err[512];
    assert_int_equal(sla_parse(text, &s, err, sizeof err), 0);
    return s;
}

/* What `tailgate diff` does with two files: read them, compare them. */
static int compare_json(const json_t *b, const char *bf, const json_t *o, const char *of,
                        const sla_t *slas, size_t n, json_t **out)
{
    result_t rb, ro;
    compare_t c;
    char err[512];
    if (result_from_json(b, &rb, err, sizeof err))
        fail_msg("baseline refused: %s", err);
    if (result_from_json(o, &ro, err, sizeof err))
        fail_msg("optimized refused: %s", err);
    int rc = compare_build(&rb, bf, &ro, of, slas, n, &c);
    if (!rc) {
        *out = compare_to_json(&c);
        assert_non_null(*out);
        compare_close(&c);
    }
    result_close(&rb);
    result_close(&ro);
    return rc;
}

static double num(const json_t *o, const char *key)
{
    json_t *j = json_object_get(o, key);
    if (!json_is_number(j))
        fail_msg("\"%s\" is not a number", key);
    return json_number_value(j);
}

static void assert_near(double got, double want)
{
    if (fabs(got - want) > fabs(want) * 1e-9 + 1e-12)
        fail_msg("got %.17g want %.17g", got, want);
}

static void test_every_field(void **state)
{
    (void)state;
    /* Baseline: 100 requests (10 failed), 1000 items over 10 s, items 100..2000 ms.
     * Optimized: 20 requests, 1000 items over 5 s, items 50..500 ms. */
    json_t *b = make_result(100, 90, 1000, 10, 100, 2000, 900, "sha256:ab", 1);
    json_t *o = make_result(20, 20, 1000, 5, 50, 500, 1000, "sha256:ab", 10);
    sla_t slas[] = {sla("p95<=800ms"), sla("p99.99 <= 0.5s"), sla("error_rate<1%"), sla("ips>=200"),
                    sla("request.p50<10ms")};
    json_t *c = NULL;
    assert_int_equal(compare_json(b, "base.json", o, "opt.json", slas, 5, &c), 0);
    assert_string_equal(json_string_value(json_object_get(c, "tool")), "tailgate");
    assert_non_null(json_string_value(json_object_get(c, "version")));

    static const char *const keys[] = {"file",
                                       "requests",
                                       "ok",
                                       "errors",
                                       "error_rate_pct",
                                       "items",
                                       "items_per_s",
                                       "requests_per_s",
                                       "p50_ms",
                                       "p90_ms",
                                       "p95_ms",
                                       "p99_ms",
                                       "max_ms",
                                       "mean_ms",
                                       "request_p95_ms",
                                       "inputs_digest",
                                       "batch",
                                       "connections",
                                       "connections_opened",
                                       "client_limited",
                                       "interrupted"};
    const json_t *hb = json_object_get(c, "baseline"), *ho = json_object_get(c, "optimized");
    assert_int_equal(json_object_size(hb), sizeof keys / sizeof keys[0]);
    assert_int_equal(json_object_size(ho), sizeof keys / sizeof keys[0]);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        assert_non_null(json_object_get(hb, keys[k]));
        assert_non_null(json_object_get(ho, keys[k]));
    }
    const json_t *lb = json_object_get(json_object_get(b, "latency_ms"), "item");
    const json_t *lo = json_object_get(json_object_get(o, "latency_ms"), "item");
    assert_string_equal(json_string_value(json_object_get(hb, "file")), "base.json");
    assert_string_equal(json_string_value(json_object_get(ho, "file")), "opt.json");
    assert_int_equal(json_integer_value(json_object_get(hb, "requests")), 100);
    assert_int_equal(json_integer_value(json_object_get(hb, "ok")), 90);
    assert_int_equal(json_integer_value(json_object_get(hb, "errors")), 10);
    assert_near(num(hb, "error_rate_pct"), 10.0);
    assert_near(num(ho, "error_rate_pct"), 0.0);
    assert_int_equal(json_integer_value(json_object_get(hb, "items")), 1000);
    assert_near(num(hb, "items_per_s"), 100);
    assert_near(num(ho, "items_per_s"), 200);
    assert_near(num(hb, "requests_per_s"), 9); /* what was served: 90 ok over 10 s */
    assert_near(num(ho, "requests_per_s"), 4);
    static const char *const src[] = {"p50", "p90", "p95", "p99", "max", "mean"};
    static const char *const dst[] = {"p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"};
    for (size_t k = 0; k < 6; k++) {
        assert_near(num(hb, dst[k]), num(lb, src[k]));
        assert_near(num(ho, dst[k]), num(lo, src[k]));
    }
    assert_near(num(ho, "request_p95_ms"),
                num(json_object_get(json_object_get(o, "latency_ms"), "request"), "p95"));
    assert_string_equal(json_string_value(json_object_get(ho, "inputs_digest")), "sha256:ab");
    assert_int_equal(json_integer_value(json_object_get(hb, "batch")), 1);
    assert_int_equal(json_integer_value(json_object_get(ho, "batch")), 10);
    assert_int_equal(json_integer_value(json_object_get(ho, "connections")), 100);

    const json_t *d = json_object_get(c, "delta");
    assert_int_equal(json_object_size(d), 11);
    static const char *const lat[] = {"p50", "p95", "p99"};
    for (size_t k = 0; k < 3; k++) {
        char kms[16], kpct[16];
        snprintf(kms, sizeof kms, "%s_ms", lat[k]);
        snprintf(kpct, sizeof kpct, "%s_pct", lat[k]);
        double vb = num(lb, lat[k]), vo = num(lo, lat[k]);
        assert_near(num(d, kms), vo - vb);
        assert_near(num(d, kpct), (vo - vb) / vb * 100);
    }
    assert_near(num(d, "max_ms"), num(lo, "max") - num(lb, "max"));
    assert_near(num(d, "items_per_s"), 100);
    assert_near(num(d, "items_per_s_pct"), 100);
    assert_near(num(d, "requests_per_s_pct"), (4.0 - 9.0) / 9.0 * 100);
    assert_near(num(d, "error_rate_pct_points"), -10);
    assert_true(json_is_true(json_object_get(c, "inputs_identical")));

    /* SLAs on the optimized run, from its histograms. */
    const json_t *s = json_object_get(c, "sla");
    assert_int_equal(json_array_size(s), 5);
    static const struct {
        const char *expr, *metric, *unit;
        double threshold;
        bool pass;
    } want[] = {{"p95<=800ms", "p95", "ms", 800, true},
                {"p99.99 <= 0.5s", "p99.99", "ms", 500, true},
                {"error_rate<1%", "error_rate", "%", 1, true},
                {"ips>=200", "ips", "/s", 200, true},
                {"request.p50<10ms", "request.p50", "ms", 10, false}};
    for (size_t k = 0; k < 5; k++) {
        const json_t *e = json_array_get(s, k);
        assert_string_equal(json_string_value(json_object_get(e, "expr")), want[k].expr);
        assert_string_equal(json_string_value(json_object_get(e, "metric")), want[k].metric);
        assert_string_equal(json_string_value(json_object_get(e, "unit")), want[k].unit);
        assert_near(num(e, "threshold"), want[k].threshold);
        assert_int_equal(json_is_true(json_object_get(e, "pass")), want[k].pass);
    }
    /* p95 of 50..500 ms evenly: ~477.5 ms, within the histogram's 0.1%. */
    assert_true(fabs(num(json_array_get(s, 0), "value") - 477.5) < 0.5);
    assert_near(num(json_array_get(s, 1), "value"), 500);
    assert_near(num(json_array_get(s, 3), "value"), 200);
    assert_false(json_is_true(json_object_get(c, "sla_pass")));
    json_decref(c);

    /* Only passing SLAs: sla_pass true. None: [] and true. */
    assert_int_equal(compare_json(b, "b", o, "o", slas, 4, &c), 0);
    assert_true(json_is_true(json_object_get(c, "sla_pass")));
    json_decref(c);
    /* None given and none recorded: the default, p95<=800ms (~477.5 ms here). */
    assert_int_equal(compare_json(b, NULL, o, NULL, NULL, 0, &c), 0);
    assert_int_equal(json_array_size(json_object_get(c, "sla")), 1);
    assert_string_equal(json_string_value(json_object_get(c, "sla_source")), "default");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(c, "sla"), 0), "expr")),
        COMPARE_DEFAULT_SLA);
    assert_true(json_is_true(json_object_get(c, "sla_pass")));
    assert_true(json_is_null(json_object_get(json_object_get(c, "baseline"), "file")));
    json_decref(c);
    json_decref(b);
    json_decref(o);
}

static void test_nulls_and_zero_baseline(void **state)
{
    (void)state;
    /* Baseline measured nothing: every request failed, no items. */
    json_t *b = make_result(10, 0, 0, 1, 0, 0, 0, NULL, 1);
    json_object_set_new(json_object_get(b, "throughput"), "items_per_s", json_real(0));
    json_t *o = make_result(10, 10, 10, 1, 900, 1000, 10, "sha256:cd", 1);
    sla_t s = sla("p95<=800ms");
    json_t *c = NULL;
    assert_int_equal(compare_json(b, "b", o, "o", &s, 1, &c), 0);
    const json_t *d = json_object_get(c, "delta");
    assert_true(json_is_null(json_object_get(json_object_get(c, "baseline"), "p95_ms")));
    assert_true(json_is_null(json_object_get(d, "p50_ms")));
    assert_true(json_is_null(json_object_get(d, "p95_pct")));
    assert_true(json_is_null(json_object_get(d, "max_ms")));
    assert_true(json_is_null(json_object_get(d, "items_per_s_pct"))); /* baseline 0 */
    assert_near(num(d, "items_per_s"), 10);
    /* nothing served by the baseline: no relative change */
    assert_true(json_is_null(json_object_get(d, "requests_per_s_pct")));
    assert_near(num(d, "error_rate_pct_points"), -100);
    assert_false(json_is_true(json_object_get(c, "inputs_identical"))); /* one null */
    assert_false(json_is_true(json_object_get(c, "sla_pass")));         /* p95 ~ 995 ms */
    json_decref(c);

    /* The SLA on an empty optimized run cannot hold: value null, pass false. */
    assert_int_equal(compare_json(o, "o", b, "b", &s, 1, &c), 0);
    const json_t *e = json_array_get(json_object_get(c, "sla"), 0);
    assert_true(json_is_null(json_object_get(e, "value")));
    assert_false(json_is_true(json_object_get(e, "pass")));
    assert_false(json_is_true(json_object_get(c, "sla_pass")));
    json_decref(c);
    json_decref(b);
    json_decref(o);
}

static void test_digests(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool same;
    } cases[] = {{"sha256:11", "sha256:11", true},
                 {"sha256:11", "sha256:22", false},
                 {NULL, "sha256:11", false},
                 {NULL, NULL, false}};
    for (size_t i = 0; i < 4; i++) {
        json_t *b = make_result(1, 1, 1, 1, 1, 1, 1, cases[i].a, 1);
        json_t *o = make_result(1, 1, 1, 1, 1, 1, 1, cases[i].b, 1);
        json_t *c = NULL;
        assert_int_equal(compare_json(b, "b", o, "o", NULL, 0, &c), 0);
        assert_int_equal(json_is_true(json_object_get(c, "inputs_identical")), cases[i].same);
        json_decref(c);
        json_decref(b);
        json_decref(o);
    }
}

/* Different digests from the same sequence: the same source, said as such,
 * and a note instead of the warning. */
static void test_same_source(void **state)
{
    (void)state;
    json_t *b = make_result(10, 10, 10, 1, 1, 2, 10, "sha256:10", 1);
    json_t *o = make_result(10, 10, 13, 1, 1, 2, 10, "sha256:13", 1);
    json_object_set_new(b, "inputs_source", json_string("sha256:seq"));
    json_object_set_new(o, "inputs_source", json_string("sha256:seq"));
    result_t rb, ro;
    char err[SLA_ERR_MAX];
    assert_int_equal(result_from_json(b, &rb, err, sizeof err), 0);
    assert_int_equal(result_from_json(o, &ro, err, sizeof err), 0);
    assert_string_equal(ro.inputs_source, "sha256:seq");
    compare_t c;
    assert_int_equal(compare_build(&rb, "b", &ro, "o", NULL, 0, &c), 0);
    assert_false(c.inputs_identical);
    assert_true(c.inputs_same_source);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    cmptext_warn_inputs(m, &c);
    fclose(m);
    assert_null(strstr(text, "WARNING"));
    assert_non_null(strstr(text, "different numbers of items (baseline 10, optimized 13)"));
    assert_non_null(strstr(text, "--requests N sends the same N"));
    free(text);
    json_t *j = compare_to_json(&c);
    assert_true(json_is_true(json_object_get(j, "inputs_same_source")));
    compare_t back;
    assert_int_equal(compare_from_json(j, &back, err, sizeof err), 0);
    assert_true(back.inputs_same_source);
    compare_close(&back);
    json_decref(j);
    compare_close(&c);
    /* another sequence: the loud warning */
    free(ro.inputs_source);
    ro.inputs_source = strdup("sha256:other");
    assert_int_equal(compare_build(&rb, "b", &ro, "o", NULL, 0, &c), 0);
    assert_false(c.inputs_same_source);
    m = open_memstream(&text, &len);
    cmptext_warn_inputs(m, &c);
    fclose(m);
    assert_non_null(strstr(text, "WARNING: the two runs did NOT send identical inputs"));
    free(text);
    compare_close(&c);
    result_close(&rb);
    result_close(&ro);
    json_decref(b);
    json_decref(o);
}

static void test_load_file_and_table(void **state)
{
    (void)state;
    char err[512];
    json_t *j = NULL;
    assert_int_equal(result_load_json("/nonexistent/x.json", &j, err, sizeof err), ENOENT);
    assert_non_null(strstr(err, "/nonexistent/x.json: cannot read"));
    char path[] = "/tmp/tg-compare-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"tool\": \"tailgate\",\n  oops}", f);
    fclose(f);
    assert_int_equal(result_load_json(path, &j, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "not valid JSON (line 2"));
    json_t *b = make_result(100, 100, 100, 1, 900, 1000, 100, "sha256:ab", 1);
    json_t *o = make_result(10, 10, 100, 1, 100, 300, 100, "sha256:ab", 10);
    json_dump_file(b, path, 0);
    assert_int_equal(result_load_json(path, &j, err, sizeof err), 0);
    assert_true(json_equal(j, b));
    json_decref(j);
    unlink(path);

    sla_t s = sla("p95<=800ms");
    result_t rb, ro;
    compare_t c;
    assert_int_equal(result_from_json(b, &rb, err, sizeof err), 0);
    assert_int_equal(result_from_json(o, &ro, err, sizeof err), 0);
    assert_int_equal(compare_build(&rb, "b.json", &ro, "o.json", &s, 1, &c), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    cmptext_print(m, &c);
    fclose(m);
    static const char *const needles[] = {
        "metric",           "baseline",      "optimized",         "delta %",
        "item p95 (ms)",    "items/s",       "request p95 (ms)",  "-90.0%",
        "PASS  p95<=800ms", "verdict: PASS", "inputs: identical", "with the --sla given",
        "b.json",           "o.json"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (!strstr(text, needles[i]))
            fail_msg("table lacks \"%s\":\n%s", needles[i], text);
    free(text);
    compare_close(&c);
    result_close(&rb);
    result_close(&ro);
    json_decref(b);
    json_decref(o);
}

/* The SLAs judged: --sla given, else those the optimized run records (the
 * CI trap: a run recorded with p95<=60ms must not be judged at 800 ms), else
 * the default. */
static void test_sla_source(void **state)
{
    (void)state;
    json_t *b = make_result(100, 100, 100, 1, 10, 50, 100, "sha256:ab", 1);
    json_t *o = make_result(100, 100, 100, 1, 50, 100, 100, "sha256:ab", 1);
    json_object_set_new(o, "sla",
                        json_pack("[{s:s,s:n,s:f,s:s,s:b}]", "expr", "p95<=60ms", "value",
                                  "threshold", 60.0, "unit", "ms", "pass", 1));
    result_t rb, ro;
    char err[512];
    assert_int_equal(result_from_json(b, &rb, err, sizeof err), 0);
    assert_int_equal(result_from_json(o, &ro, err, sizeof err), 0);
    /* the recorded verdict is judged again on what the file measured: ~97.5 ms */
    assert_int_equal(ro.nverdicts, 1);
    assert_false(ro.sla_pass);
    compare_t c;
    assert_int_equal(compare_build(&rb, "b", &ro, "o", NULL, 0, &c), 0);
    assert_int_equal(c.sla_source, COMPARE_SLA_RECORDED);
    assert_int_equal(c.nverdicts, 1);
    assert_string_equal(c.verdicts[0].sla.text, "p95<=60ms");
    assert_false(c.sla_pass);
    compare_close(&c);
    sla_t s = sla("p95<=800ms");
    assert_int_equal(compare_build(&rb, "b", &ro, "o", &s, 1, &c), 0);
    assert_int_equal(c.sla_source, COMPARE_SLA_OPTION);
    assert_true(c.sla_pass);
    /* Written and read back (report --comparison): the same numbers and verdicts. */
    json_t *j = compare_to_json(&c);
    compare_t back;
    assert_int_equal(compare_from_json(j, &back, err, sizeof err), 0);
    json_t *again = compare_to_json(&back);
    assert_true(json_equal(j, again));
    assert_string_equal(back.base.file, "b");
    assert_int_equal(back.sla_source, COMPARE_SLA_OPTION);
    assert_true(back.sla_pass);
    json_decref(again);
    compare_close(&back);
    /* Shape is checked, absent numbers are NaN. */
    json_object_set_new(json_object_get(j, "baseline"), "p95_ms", json_string("fast"));
    assert_int_equal(compare_from_json(j, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"baseline.p95_ms\""));
    json_decref(j);
    j = json_pack("{s:{},s:{}}", "baseline", "optimized");
    assert_int_equal(compare_from_json(j, &back, err, sizeof err), 0);
    assert_true(isnan(back.opt.item_ms[metric_pct_index(95)]));
    assert_int_equal(back.sla_source, COMPARE_SLA_UNKNOWN);
    compare_close(&back);
    json_decref(j);
    assert_int_equal(compare_from_json(b, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "run result, not a comparison"));
    compare_close(&c);
    result_close(&rb);
    result_close(&ro);
    json_decref(b);
    json_decref(o);
}

static regress_t gate(const char *text)
{
    regress_t g;
    char err[SLA_ERR_MAX];
    assert_int_equal(regress_parse(text, &g, err, sizeof err), 0);
    return g;
}

static char *verdict_text(const compare_t *c, bool table)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (table)
        cmptext_print(m, c);
    else
        cmptext_verdict(m, c);
    fclose(m);
    return text;
}

/* A client change that makes things worse: the SLA passes, the verdict says
 * so plainly; a --max-regression gate fails the comparison; the JSON carries
 * every gate and reads back. */
static void test_regression(void **state)
{
    (void)state;
    /* baseline items 40..60 ms, optimized 80..120 ms: p95 about +100% */
    json_t *b = make_result(100, 100, 100, 1, 40, 60, 100, "sha256:ab", 1);
    json_t *o = make_result(10, 10, 100, 1, 80, 120, 100, "sha256:ab", 10);
    result_t rb, ro;
    char err[SLA_ERR_MAX];
    assert_int_equal(result_from_json(b, &rb, err, sizeof err), 0);
    assert_int_equal(result_from_json(o, &ro, err, sizeof err), 0);
    sla_t slas[] = {sla("p95<=800ms"), sla("request.p99<1s"), sla("p95<900ms"), sla("ips>=1")};
    compare_t c;
    assert_int_equal(compare_build(&rb, "b", &ro, "o", slas, 4, &c), 0);
    assert_true(c.sla_pass);
    /* a watch per latency metric judged, once each; none on ips */
    assert_int_equal(c.nregress, 2);
    assert_string_equal(c.regress[0].gate.text, "p95=+0%");
    assert_string_equal(c.regress[1].gate.text, "request.p99=+0%");
    assert_false(c.regress[0].gating);
    assert_false(c.regress[0].pass);
    assert_true(c.regress_pass); /* watches never fail the verdict */
    assert_true(c.pass);
    double p95 = c.regress[0].change_pct;
    assert_true(p95 > 90 && p95 < 110);
    char *text = verdict_text(&c, false), want[200];
    snprintf(want, sizeof want,
             "PASS (SLA met), but optimized p95 is %.1f%% slower than baseline; optimized "
             "request.p99 is ",
             p95);
    if (strncmp(text, want, strlen(want)))
        fail_msg("verdict \"%s\", want \"%s...\"", text, want);
    free(text);

    /* Gates: p95 fails, ips passes; the gated metric's watch is replaced. */
    regress_t g[] = {gate("p95=+5%"), gate("ips=-5%")};
    assert_int_equal(compare_gate(&c, &rb, &ro, g, 2), 0);
    assert_int_equal(c.nregress, 3);
    assert_string_equal(c.regress[0].gate.text, "p95=+5%");
    assert_true(c.regress[0].gating && !c.regress[0].pass);
    assert_string_equal(c.regress[1].gate.text, "ips=-5%");
    assert_true(c.regress[1].gating && c.regress[1].pass);
    assert_string_equal(c.regress[2].gate.text, "request.p99=+0%");
    assert_false(c.regress_pass);
    assert_false(c.pass);
    assert_true(c.sla_pass);
    text = verdict_text(&c, true);
    snprintf(want, sizeof want, "verdict: FAIL (SLA met; regression: p95=+5%% measured +%.1f%%)",
             p95);
    const char *const needles[] = {"regression (optimized vs baseline):\n  FAIL  p95=+5%",
                                   "  PASS  ips=-5%", "(limit +5%)",
                                   "  NOTE  request.p99 (no gate)", want};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (!strstr(text, needles[i]))
            fail_msg("table lacks \"%s\":\n%s", needles[i], text);
    free(text);

    /* Written and read back: the same gates and verdict. */
    json_t *j = compare_to_json(&c);
    assert_int_equal(json_array_size(json_object_get(j, "regression")), 3);
    assert_true(json_is_false(json_object_get(j, "regression_pass")));
    assert_true(json_is_false(json_object_get(j, "pass")));
    assert_true(json_is_true(json_object_get(j, "sla_pass")));
    compare_t back;
    assert_int_equal(compare_from_json(j, &back, err, sizeof err), 0);
    assert_false(back.pass);
    assert_int_equal(back.nregress, 3);
    json_t *again = compare_to_json(&back);
    assert_true(json_equal(j, again));
    json_decref(again);
    compare_close(&back);
    /* A comparison without them (version 0.1): no gates, the SLAs' verdict. */
    json_object_del(j, "regression");
    json_object_del(j, "regression_pass");
    json_object_del(j, "pass");
    assert_int_equal(compare_from_json(j, &back, err, sizeof err), 0);
    assert_int_equal(back.nregress, 0);
    assert_true(back.pass);
    compare_close(&back);
    json_object_set_new(j, "regression", json_pack("[{s:s}]", "expr", "p95=5%"));
    assert_int_equal(compare_from_json(j, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "\"regression[0]\": \"expr\": give a sign"));
    json_decref(j);
    compare_close(&c);

    /* Faster: no watch fails, nothing said; a gate that passes is said. */
    assert_int_equal(compare_build(&ro, "o", &rb, "b", slas, 1, &c), 0);
    text = verdict_text(&c, false);
    assert_string_equal(text, "PASS (SLA met)");
    free(text);
    assert_int_equal(compare_gate(&c, &ro, &rb, g, 1), 0);
    text = verdict_text(&c, false);
    assert_string_equal(text, "PASS (SLA met; no regression beyond --max-regression)");
    free(text);
    compare_close(&c);
    result_close(&rb);
    result_close(&ro);
    json_decref(b);
    json_decref(o);
}

/* The optimized run answered nothing: the verdict fails, whatever the SLAs. */
static void test_all_failed(void **state)
{
    (void)state;
    json_t *b = make_result(10, 10, 10, 1, 40, 60, 10, "sha256:ab", 1);
    json_t *o = make_result(10, 0, 10, 1, 0, 0, 0, "sha256:ab", 1);
    result_t rb, ro;
    char err[SLA_ERR_MAX];
    assert_int_equal(result_from_json(b, &rb, err, sizeof err), 0);
    assert_int_equal(result_from_json(o, &ro, err, sizeof err), 0);
    sla_t s = sla("error_rate<=100");
    compare_t c;
    assert_int_equal(compare_build(&rb, "b", &ro, "o", &s, 1, &c), 0);
    assert_true(c.sla_pass);
    assert_true(compare_opt_all_failed(&c));
    assert_false(c.pass);
    char *text = verdict_text(&c, false);
    assert_non_null(strstr(text, "FAIL (SLA met; every request of the optimized run failed)"));
    free(text);
    compare_close(&c);
    result_close(&rb);
    result_close(&ro);
    json_decref(b);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field), cmocka_unit_test(test_nulls_and_zero_baseline),
        cmocka_unit_test(test_digests),     cmocka_unit_test(test_load_file_and_table),
        cmocka_unit_test(test_sla_source),  cmocka_unit_test(test_regression),
        cmocka_unit_test(test_all_failed),  cmocka_unit_test(test_same_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
