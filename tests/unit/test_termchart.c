/* termchart: rows, scaling, ASCII/UTF-8/colour modes, ranges, histograms. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/termchart.h"
#include "stats/hist.h"

#define MS 1000000ull

/* Runs the chart into a string; returns it (free it). */
static char *draw_bins(const termchart_bin_t *bins, size_t n, const termchart_marks_t *marks,
                       const termchart_opts_t *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(termchart_bins(f, bins, n, marks, o), 0);
    fclose(f);
    return buf;
}

static char *draw_hist(const hist_t *h, const termchart_opts_t *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(termchart_hist(f, h, o), 0);
    fclose(f);
    return buf;
}

/* Line i (0-based) of text, copied into out. */
static void line_at(const char *text, int i, char *out, size_t len)
{
    const char *p = text;
    for (; i > 0 && p; i--) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    assert_non_null(p);
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    assert_true(n < len);
    memcpy(out, p, n);
    out[n] = '\0';
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void test_ascii_rows_scale_to_fullest(void **state)
{
    (void)state;
    termchart_bin_t bins[] = {
        {10 * MS, 20 * MS, 100},
        {20 * MS, 30 * MS, 50},
        {30 * MS, 40 * MS, 0},
        {40 * MS, 50 * MS, 1},
    };
    termchart_opts_t o = {.utf8 = false, .color = false, .width = 20};
    char *out = draw_bins(bins, 4, NULL, &o);
    char line[256];
    /* header + one line per bin */
    assert_int_equal(count_char(out, '\n'), 5);
    line_at(out, 1, line, sizeof line);
    assert_non_null(strstr(line, "10.0 - 20.0 ms |####################"));
    assert_int_equal(count_char(line, '#'), 20);
    assert_non_null(strstr(line, "100"));
    assert_non_null(strstr(line, "66.2%"));
    line_at(out, 2, line, sizeof line);
    assert_int_equal(count_char(line, '#'), 10);
    assert_non_null(strstr(line, "33.1%"));
    line_at(out, 3, line, sizeof line);
    assert_int_equal(count_char(line, '#'), 0);
    assert_non_null(strstr(line, " 0"));
    /* a non-empty row under half a column still shows */
    line_at(out, 4, line, sizeof line);
    assert_int_equal(count_char(line, '#'), 0);
    assert_non_null(strstr(line, "|."));
    assert_null(strchr(out, '\x1b'));
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        assert_true(*p < 0x80); /* pure ASCII */
    free(out);
}

static void test_ascii_columns_align(void **state)
{
    (void)state;
    termchart_bin_t bins[] = {{900000, 9 * MS, 3}, {9 * MS, 120 * MS, 12345}};
    termchart_opts_t o = {.width = 10};
    char *out = draw_bins(bins, 2, NULL, &o);
    char a[256], b[256];
    line_at(out, 1, a, sizeof a);
    line_at(out, 2, b, sizeof b);
    assert_int_equal(strlen(a), strlen(b));
    assert_int_equal(strchr(a, '|') - a, strchr(b, '|') - b);
    free(out);
}

/* Narrow bins far from zero get the decimals that tell their edges apart
 * (three significant digits alone would print "121 - 121" on every row). */
static void test_narrow_bins_have_distinct_labels(void **state)
{
    (void)state;
    termchart_bin_t bins[4];
    for (int i = 0; i < 4; i++)
        bins[i] = (termchart_bin_t){121 * MS + (uint64_t)i * 250000,
                                    121 * MS + (uint64_t)(i + 1) * 250000, 1};
    termchart_opts_t o = {.width = 10};
    char *out = draw_bins(bins, 4, NULL, &o);
    char prev[256] = "";
    for (int row = 1; row <= 4; row++) {
        char line[256];
        line_at(out, row, line, sizeof line);
        *strchr(line, '|') = '\0'; /* the label column */
        assert_string_not_equal(line, prev);
        char lo[32], hi[32];
        assert_int_equal(sscanf(line, " %31s - %31s", lo, hi), 2);
        assert_string_not_equal(lo, hi);
        snprintf(prev, sizeof prev, "%s", line);
    }
    free(out);
}

static void test_utf8_eighths(void **state)
{
    (void)state;
    /* 8 columns wide: 64 eighths. 100 -> 8 full blocks; 50 -> 4; 10 -> 6.4 ~ 6 eighths. */
    termchart_bin_t bins[] = {{1 * MS, 2 * MS, 100}, {2 * MS, 3 * MS, 50}, {3 * MS, 4 * MS, 10}};
    termchart_opts_t o = {.utf8 = true, .width = 8};
    char *out = draw_bins(bins, 3, NULL, &o);
    char line[512];
    line_at(out, 1, line, sizeof line);
    assert_non_null(strstr(line, "\u2502\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588 "));
    line_at(out, 2, line, sizeof line);
    assert_non_null(strstr(line, "\u2502\u2588\u2588\u2588\u2588    "));
    line_at(out, 3, line, sizeof line);
    assert_non_null(strstr(line, "\u2502\u258a       ")); /* 6/8: ▊ */
    assert_non_null(strstr(out, "\u2013"));               /* en dash in ranges */
    free(out);
}

static void test_color_only_when_asked(void **state)
{
    (void)state;
    termchart_bin_t bins[] = {{1 * MS, 2 * MS, 1}};
    termchart_opts_t o = {.color = true, .title = "item latency"};
    char *out = draw_bins(bins, 1, NULL, &o);
    assert_non_null(strstr(out, "\x1b[36m"));
    assert_non_null(strstr(out, "\x1b[0m"));
    assert_non_null(strstr(out, "item latency"));
    free(out);
}

static void test_marks(void **state)
{
    (void)state;
    termchart_bin_t bins[] = {{1 * MS, 2 * MS, 90}, {2 * MS, 3 * MS, 10}};
    termchart_marks_t m = {{0}};
    m.ns[metric_pct_index(50)] = 1500000;
    m.ns[metric_pct_index(95)] = 2500000;
    m.ns[metric_pct_index(99)] = 3 * MS;
    termchart_opts_t o = {.width = 10};
    char *out = draw_bins(bins, 2, &m, &o);
    char line[256];
    line_at(out, 1, line, sizeof line);
    assert_non_null(strstr(line, "  p50"));
    assert_null(strstr(line, "p95"));
    line_at(out, 2, line, sizeof line);
    assert_non_null(strstr(line, "  p95 p99")); /* the last row includes its top edge */
    free(out);
}

static void test_ranges(void **state)
{
    (void)state;
    termchart_bin_t b[64];
    /* linear, round step: 10..20 ms in 10 rows -> 1 ms each */
    size_t n = termchart_ranges(10 * MS, 20 * MS, 10, b);
    assert_int_equal(n, 10);
    assert_int_equal(b[0].lo_ns, 10 * MS);
    assert_int_equal(b[0].hi_ns, 11 * MS);
    assert_int_equal(b[9].hi_ns, 20 * MS);
    for (size_t i = 1; i < n; i++)
        assert_int_equal(b[i].lo_ns, b[i - 1].hi_ns);
    /* odd bounds: covers [lo, hi] with at most rows rows */
    n = termchart_ranges(10300000, 23700000, 12, b);
    assert_true(n >= 1 && n <= 12);
    assert_true(b[0].lo_ns <= 10300000);
    assert_true(b[n - 1].hi_ns >= 23700000);
    /* log-spaced past 20x: 1 ms .. 1 s in 3 rows -> decades */
    n = termchart_ranges(1 * MS, 1000 * MS, 3, b);
    assert_int_equal(n, 3);
    assert_int_equal(b[0].hi_ns, 10 * MS);
    assert_int_equal(b[1].hi_ns, 100 * MS);
    assert_int_equal(b[2].hi_ns, 1000 * MS);
    /* one value */
    n = termchart_ranges(5 * MS, 5 * MS, 12, b);
    assert_int_equal(n, 1);
    assert_int_equal(b[0].lo_ns, 5 * MS);
}

static void test_hist_counts_exact(void **state)
{
    (void)state;
    hist_t *h;
    assert_int_equal(hist_new_latency(&h), 0);
    /* 1..100 ms, one each, plus 900 at 50 ms */
    for (uint64_t v = 1; v <= 100; v++)
        hist_record(h, v * MS);
    hist_record_n(h, 50 * MS, 900);
    termchart_opts_t o = {.rows = 10, .width = 30};
    char *out = draw_hist(h, &o);
    /* Sum the count column of every row; it must be the histogram's count. */
    unsigned long long sum = 0;
    int rows = 0;
    char line[256];
    for (int i = 1; i <= 10; i++) {
        line_at(out, i, line, sizeof line);
        if (!*line)
            break;
        char *p = strchr(line, '|');
        assert_non_null(p);
        p += 1 + 30;
        sum += strtoull(p, NULL, 10);
        rows++;
    }
    assert_int_equal(sum, 1000);
    assert_int_equal(rows, 10);
    assert_non_null(strstr(out, "p50"));
    assert_non_null(strstr(out, "p95"));
    assert_non_null(strstr(out, "p99"));
    free(out);
    hist_free(h);
}

static void test_hist_empty_and_single(void **state)
{
    (void)state;
    hist_t *h;
    assert_int_equal(hist_new_latency(&h), 0);
    termchart_opts_t o = {0};
    char *out = draw_hist(h, &o);
    assert_non_null(strstr(out, "no values recorded"));
    free(out);
    hist_record(h, 57 * MS);
    out = draw_hist(h, &o);
    assert_int_equal(count_char(out, '\n'), 2); /* header + one row */
    assert_non_null(strstr(out, "100.0%"));
    free(out);
    hist_free(h);
}

static void test_locale_and_color_helpers(void **state)
{
    (void)state;
    setenv("LC_ALL", "", 1);
    setenv("LC_CTYPE", "en_US.UTF-8", 1);
    setenv("LANG", "C", 1);
    assert_true(termchart_locale_utf8());
    setenv("LC_ALL", "C", 1);
    assert_false(termchart_locale_utf8());
    unsetenv("LC_ALL");
    unsetenv("LC_CTYPE");
    setenv("LANG", "C.utf8", 1);
    assert_true(termchart_locale_utf8());
    unsetenv("LANG");
    assert_false(termchart_locale_utf8());

    unsetenv("NO_COLOR");
    setenv("TERM", "xterm-256color", 1);
    assert_true(termchart_want_color(true, false));
    assert_false(termchart_want_color(false, false));
    assert_false(termchart_want_color(true, true));
    setenv("NO_COLOR", "1", 1);
    assert_false(termchart_want_color(true, false));
    unsetenv("NO_COLOR");
    setenv("TERM", "dumb", 1);
    assert_false(termchart_want_color(true, false));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    termchart_opts_t o = {0};
    termchart_bin_t b = {0, 1, 1};
    assert_int_equal(termchart_bins(stdout, NULL, 1, NULL, &o), EINVAL);
    assert_int_equal(termchart_bins(stdout, &b, 0, NULL, &o), EINVAL);
    assert_int_equal(termchart_hist(stdout, NULL, &o), EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_rows_scale_to_fullest),
        cmocka_unit_test(test_ascii_columns_align),
        cmocka_unit_test(test_narrow_bins_have_distinct_labels),
        cmocka_unit_test(test_utf8_eighths),
        cmocka_unit_test(test_color_only_when_asked),
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_hist_counts_exact),
        cmocka_unit_test(test_hist_empty_and_single),
        cmocka_unit_test(test_locale_and_color_helpers),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
