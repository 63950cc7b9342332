/* report + svg: reading documents, escaping, ticks, degenerate documents. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/report.h"
#include "stats/compare.h"
#include "stats/result.h"
#include "output/svg.h"

static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    svg_escape(f, s);
    fclose(f);
    return buf;
}

static void test_escape(void **state)
{
    (void)state;
    char *s = escaped("a<b>&\"c\"'d'");
    assert_string_equal(s, "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
    free(s);
    /* a URL shown as text carries no "://" in the source */
    s = escaped("http://127.0.0.1:8000/v1/infer a:b");
    assert_string_equal(s, "http&#58;//127.0.0.1:8000/v1/infer a:b");
    free(s);
    /* invalid UTF-8 and control characters never reach the XML */
    s = escaped("ok\xff\xc3(\x01\xe2\x82\xac");
    assert_string_equal(s, "ok\xef\xbf\xbd\xef\xbf\xbd(?\xe2\x82\xac");
    free(s);
    s = escaped("\xed\xa0\x80"); /* a UTF-16 surrogate */
    assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
}

static void test_nice_ticks(void **state)
{
    (void)state;
    double t[32], hi;
    size_t n = svg_nice_ticks(0, 812, 6, t, 32, &hi);
    assert_true(n >= 4 && n <= 10);
    assert_true(t[0] == 0);
    assert_true(hi >= 812);
    assert_true(hi == t[n - 1]);
    for (size_t i = 1; i < n; i++)
        assert_true(t[i] > t[i - 1]);
    n = svg_nice_ticks(0, 0.37, 5, t, 32, &hi);
    assert_true(hi >= 0.37 && hi <= 0.5);
    char buf[32];
    assert_string_equal(svg_fmt_num(buf, sizeof buf, 2.5), "2.5");
    assert_string_equal(svg_fmt_num(buf, sizeof buf, 812.3), "812");
    assert_string_equal(svg_fmt_num(buf, sizeof buf, 0), "0");
    assert_string_equal(svg_fmt_num(buf, sizeof buf, 41.25), "41.2");
}

static json_t *minimal_result(int ok)
{
    json_t *r = json_pack("{s:s, s:{s:i, s:i, s:i, s:{}, s:{s:i}}, s:{s:i, s:i}, s:{s:{s:o, s:o}}, "
                          "s:[]}",
                          "tool", "tailgate", "requests", "total", 50, "ok", ok, "errors", 50 - ok,
                          "by_status", "by_error", "connect_refused", 50 - ok, "items", "total", 50,
                          "ok", ok, "latency_ms", "item", "p50", ok ? json_real(12.5) : json_null(),
                          "p95", ok ? json_real(40.0) : json_null(), "timeline");
    assert_non_null(r);
    return r;
}

static char *render(json_t *j, const report_opts_t *o, int *rc)
{
    char *buf = NULL, err[256] = "";
    size_t len = 0;
    result_t r;
    assert_int_equal(result_from_json(j, &r, err, sizeof err), 0);
    FILE *f = open_memstream(&buf, &len);
    const result_t *rs[] = {&r};
    const char *labels[] = {"run<1>"};
    *rc = report_render(f, rs, labels, 1, NULL, o, err, sizeof err);
    fclose(f);
    result_close(&r);
    return buf;
}

static int check_result(const json_t *j, char *err, size_t errlen)
{
    result_t r;
    int rc = result_from_json(j, &r, err, errlen);
    result_close(&r);
    return rc;
}

static int check_comparison(const json_t *j, char *err, size_t errlen)
{
    compare_t c;
    int rc = compare_from_json(j, &c, err, errlen);
    compare_close(&c);
    return rc;
}

static void test_check_result(void **state)
{
    (void)state;
    char err[256];
    json_t *r = minimal_result(50);
    assert_int_equal(check_result(r, err, sizeof err), 0);
    json_object_del(json_object_get(r, "requests"), "total");
    assert_int_equal(check_result(r, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "requests.total"));
    json_decref(r);

    r = json_pack("{s:{}, s:{}}", "baseline", "optimized");
    assert_int_equal(check_result(r, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "--comparison"));
    assert_int_equal(check_comparison(r, err, sizeof err), 0);
    json_decref(r);

    r = json_array();
    assert_int_equal(check_result(r, err, sizeof err), EINVAL);
    assert_int_equal(check_comparison(r, err, sizeof err), EINVAL);
    json_decref(r);

    r = minimal_result(50);
    json_object_set_new(r, "timeline", json_string("no"));
    assert_int_equal(check_result(r, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "timeline"));
    json_object_set_new(r, "timeline", json_array());
    json_object_set_new(r, "histogram", json_pack("{s:{s:i}}", "item", "lowest", 1));
    assert_int_equal(check_result(r, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "histogram.item"));
    json_decref(r);
}

static void test_render_minimal(void **state)
{
    (void)state;
    int rc;
    json_t *r = minimal_result(50);
    report_opts_t o = {.title = "A & B <report>"};
    char *html = render(r, &o, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "<title>A &amp; B &lt;report&gt;</title>"));
    assert_non_null(strstr(html, "run&lt;1&gt;"));
    assert_non_null(strstr(html, "id=\"chart-percentiles\""));
    assert_non_null(strstr(html, "id=\"chart-latency-time\""));
    assert_non_null(strstr(html, "id=\"chart-throughput\""));
    assert_null(strstr(html, "id=\"chart-comparison\""));
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "</html>"));
    free(html);
    json_decref(r);
}

static void test_render_no_success(void **state)
{
    (void)state;
    int rc;
    json_t *r = minimal_result(0);
    sla_t s;
    char err[256];
    assert_int_equal(sla_parse("p95<=800ms", &s, err, sizeof err), 0);
    report_opts_t o = {.slas = &s, .nslas = 1};
    char *html = render(r, &o, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "no successful requests: 50 errors (connect_refused)"));
    /* a file without histograms cannot rank its failures: it says so and fails */
    assert_non_null(strstr(html, "no histogram to rank its 50 failed items"));
    assert_non_null(strstr(html, "SLA FAIL"));
    free(html);
    json_decref(r);
    /* ... and with nothing failed, its stored summary is exact */
    r = minimal_result(50);
    html = render(r, &o, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "SLA PASS"));
    assert_non_null(strstr(html, "40.000 ms"));
    free(html);
    /* a threshold shows as given, never rounded onto the value it judges */
    assert_int_equal(sla_parse("p95<=39.95ms", &s, err, sizeof err), 0);
    html = render(r, &o, &rc);
    assert_non_null(strstr(html, "SLA FAIL"));
    assert_non_null(strstr(html, "39.95 ms"));
    free(html);
    json_decref(r);
}

static void test_render_comparison_only(void **state)
{
    (void)state;
    json_t *c =
        json_pack("{s:{s:f, s:f, s:f}, s:{s:f, s:f, s:f}, s:{s:f}, s:b, s:[{s:s, s:s, "
                  "s:f, s:f, s:s, s:b}], s:b}",
                  "baseline", "p50_ms", 900.0, "p95_ms", 1400.0, "p99_ms", 1600.0, "optimized",
                  "p50_ms", 300.0, "p95_ms", 600.0, "p99_ms", 700.0, "delta", "p95_pct", -57.1,
                  "inputs_identical", 1, "sla", "expr", "p95<=800ms", "metric", "p95", "value",
                  600.0, "threshold", 800.0, "unit", "ms", "pass", 1, "sla_pass", 1);
    assert_non_null(c);
    char *buf = NULL, err[256];
    size_t len = 0;
    compare_t cmp;
    assert_int_equal(compare_from_json(c, &cmp, err, sizeof err), 0);
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(report_render(f, NULL, NULL, 0, &cmp, NULL, err, sizeof err), 0);
    fclose(f);
    compare_close(&cmp);
    assert_non_null(strstr(buf, "id=\"chart-comparison\""));
    assert_non_null(strstr(buf, "p95&lt;=800ms: PASS"));
    assert_non_null(strstr(buf, "-57.1%"));
    free(buf);
    /* nothing at all to report */
    f = open_memstream(&buf, &len);
    assert_int_equal(report_render(f, NULL, NULL, 0, NULL, NULL, err, sizeof err), EINVAL);
    fclose(f);
    free(buf);
    json_decref(c);
}

static void test_write_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/tg-report-XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.html", dir);
    json_t *j = minimal_result(50);
    result_t r;
    assert_int_equal(result_from_json(j, &r, err, sizeof err), 0);
    const result_t *rs[] = {&r};
    assert_int_equal(report_write(path, rs, NULL, 1, NULL, NULL, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    fclose(f);
    unlink(path);
    snprintf(path, sizeof path, "%s/missing/r.html", dir);
    assert_int_equal(report_write(path, rs, NULL, 1, NULL, NULL, err, sizeof err), ENOENT);
    assert_non_null(strstr(err, "missing/r.html"));
    rmdir(dir);
    result_close(&r);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_nice_ticks),
        cmocka_unit_test(test_check_result),
        cmocka_unit_test(test_render_minimal),
        cmocka_unit_test(test_render_no_success),
        cmocka_unit_test(test_render_comparison_only),
        cmocka_unit_test(test_write_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
