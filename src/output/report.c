/* report — the self-contained HTML report. The document is XHTML so that it
 * can be checked as XML; the charts are drawn by charts.c from series this
 * file extracts from the JSON documents; the summary and configuration tables
 * are runtable.c's, the comparison's parts cmpview.c's. */
#include "output/report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/charts.h"
#include "output/cmpview.h"
#include "output/reportrun.h"
#include "output/resdoc.h"
#include "output/result.h"
#include "output/runtable.h"
#include "output/svg.h"
#include "stats/hist.h"

#define MAX_SLA_LINES 8
#define MAX_SLA_ROWS 32
#define PCT_STEP 0.02 /* percentile curve sampling, in log10(1/(1-p)) */
#define PCT_MAX_POINTS (6 * 50 + 16)

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};

typedef struct {
    char expr[112];
    double value, threshold;
    char unit[8];
    char note[160]; /* why there is no value, or how it was measured */
    bool pass;
    bool extra; /* from report --sla, judged here */
} sla_row_t;

/* ---- series --------------------------------------------------------------- */

/* The stored percentile fields, for files without a histogram. */
static size_t pct_from_fields(const json_t *lat, int xmax, double *xs, double *ys)
{
    static const struct {
        const char *key;
        double p;
    } pts[] = {{"min", 0},  {"p50", 50},     {"p75", 75},       {"p90", 90},        {"p95", 95},
               {"p99", 99}, {"p99_9", 99.9}, {"p99_99", 99.99}, {"p99_999", 99.999}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double v = resdoc_num(lat, pts[i].key);
        double x = pts[i].p > 0 ? log10(1 / (1 - pts[i].p / 100)) : 0;
        if (!isfinite(v) || x > xmax + 1e-9)
            continue;
        xs[n] = x;
        ys[n++] = v;
    }
    return n;
}

static size_t pct_from_hist(const hist_t *h, int xmax, double *xs, double *ys)
{
    size_t n = 0;
    if (!h || hist_count(h) == 0)
        return 0;
    for (double x = 0; x <= xmax + 1e-9 && n < PCT_MAX_POINTS; x += PCT_STEP) {
        double p = 100 * (1 - pow(10, -x));
        xs[n] = x;
        ys[n++] = (double)hist_percentile(h, p) / 1e6;
    }
    return n;
}

static bool any_batching(const run_t *r)
{
    double b = resdoc_num(r->j, "config.batch");
    return isfinite(b) && b > 1;
}

static int build_series(run_t *r, int xmax)
{
    const json_t *tl = resdoc_get(r->j, "timeline");
    size_t nt = json_array_size(tl);
    r->buf = malloc(sizeof(double) * (4 * PCT_MAX_POINTS + 7 * (nt + 1)));
    if (!r->buf)
        return ENOMEM;
    double *px = r->buf, *pi = px + PCT_MAX_POINTS, *pr = pi + PCT_MAX_POINTS,
           *tmp = pr + PCT_MAX_POINTS, *t = tmp + PCT_MAX_POINTS;
    chart_run_t *c = &r->chart;
    c->label = r->label;
    c->color = r->color;
    c->pct_x = px;
    c->pct_item_ms = pi;
    if (r->ok > 0) {
        c->npct = r->item ? pct_from_hist(r->item, xmax, px, pi)
                          : pct_from_fields(resdoc_get(r->j, "latency_ms.item"), xmax, px, pi);
        if (any_batching(r)) {
            size_t nr =
                r->request ? pct_from_hist(r->request, xmax, tmp, pr)
                           : pct_from_fields(resdoc_get(r->j, "latency_ms.request"), xmax, tmp, pr);
            /* Both curves share x; with stored fields they do when both have them. */
            if (nr == c->npct && (nr == 0 || !memcmp(tmp, px, sizeof(double) * nr)))
                c->pct_request_ms = nr ? pr : NULL;
        }
    }
    double *sec = t, *p50 = t + nt, *p95 = p50 + nt, *p99 = p95 + nt, *rps = p99 + nt,
           *eps = rps + nt, *ips = eps + nt;
    bool items_differ = false;
    for (size_t i = 0; i < nt; i++) {
        const json_t *e = json_array_get(tl, i);
        double s = resdoc_num(e, "second");
        sec[i] = isfinite(s) ? s : (double)i;
        p50[i] = resdoc_num(e, "p50");
        p95[i] = resdoc_num(e, "p95");
        p99[i] = resdoc_num(e, "p99");
        rps[i] = resdoc_num(e, "requests");
        eps[i] = resdoc_num(e, "errors");
        ips[i] = resdoc_num(e, "items");
        if (isfinite(ips[i]) && ips[i] != rps[i])
            items_differ = true;
    }
    c->t_sec = sec;
    c->t_p50 = p50;
    c->t_p95 = p95;
    c->t_p99 = p99;
    c->t_rps = rps;
    c->t_eps = eps;
    c->t_ips = items_differ ? ips : NULL;
    c->nt = nt;
    return 0;
}

/* ---- SLAs ----------------------------------------------------------------- */

/* The percentile an SLA metric name refers to: "p95" 95, "request.p99.9" 99.9,
 * "max" 100; NaN for anything else (mean, error_rate...). */
static double metric_pct(const char *metric)
{
    if (!metric)
        return NAN;
    if (!strncmp(metric, "request.", 8))
        metric += 8;
    if (!strcmp(metric, "max"))
        return 100;
    if (metric[0] == 'p') {
        char *end;
        double p = strtod(metric + 1, &end);
        if (*end == '\0' && p > 0 && p <= 100)
            return p;
    }
    return NAN;
}

static void add_sla_line(chart_sla_t *lines, size_t *n, const char *label, double ms, double pct)
{
    char text[sizeof lines[0].label];
    if (!isfinite(ms))
        return;
    snprintf(text, sizeof text, "SLA %s", label);
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(lines[i].label, text))
            return;
    if (*n >= MAX_SLA_LINES)
        return;
    chart_sla_t *l = &lines[(*n)++];
    memcpy(l->label, text, sizeof text);
    l->ms = ms;
    l->pct = pct;
}

/* SLA entries of a result/comparison's "sla" array that bound a latency. */
static void sla_lines_from_json(const json_t *arr, chart_sla_t *lines, size_t *n)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *s = json_array_get(arr, i);
        const char *unit = resdoc_str(s, "unit"), *expr = resdoc_str(s, "expr");
        if (!unit || strcmp(unit, "ms") || !expr)
            continue;
        add_sla_line(lines, n, expr, resdoc_num(s, "threshold"),
                     metric_pct(resdoc_str(s, "metric")));
    }
}

/* A file without histograms (they are optional): its stored summary fields,
 * which hold answered items only -- exact when nothing failed, and no basis
 * for ranking failures when something did. */
static json_t *sla_judge_stored(const sla_t *s, const run_t *r, double failed)
{
    const char *scope = s->request_scope ? "request" : "item";
    const char *key = s->metric == SLA_LATENCY_MEAN ? "mean" : s->percentile >= 100 ? "max" : NULL;
    for (size_t i = 0; !key && i < RESULT_NUM_PCTS; i++)
        if (fabs(result_pcts[i].p - s->percentile) < 1e-9)
            key = result_pcts[i].key;
    char path[64], note[160];
    snprintf(path, sizeof path, "latency_ms.%s.%s", scope, key ? key : "");
    double v = key ? resdoc_num(r->j, path) : NAN;
    if (s->metric == SLA_LATENCY_PCT && failed > 0) {
        snprintf(note, sizeof note, "the file has no histogram to rank its %.0f failed %ss against",
                 failed, scope);
        v = NAN;
    } else {
        snprintf(note, sizeof note, "%s",
                 key ? "from the file's summary (no histogram)"
                     : "the file stores no such percentile");
    }
    bool pass;
    return sla_result_json(s, v, note, &pass);
}

/* A report --sla expression judged on a result document: the same judgement
 * as run's (sla_judge_json), on a runstats view of the file. */
static json_t *sla_judge_file(const sla_t *s, const run_t *r)
{
    const json_t *j = r->j;
    double items = resdoc_num(j, "items.total"), items_ok = resdoc_num(j, "items.ok");
    const hist_t *h = s->request_scope ? r->request : r->item;
    if ((s->metric == SLA_LATENCY_PCT || s->metric == SLA_LATENCY_MEAN) && !h) {
        double failed = s->request_scope ? r->total - r->ok : items - items_ok;
        return sla_judge_stored(s, r, failed > 0 ? failed : 0);
    }
    runstats_t view = {
        .requests = r->total > 0 ? (uint64_t)r->total : 0,
        .requests_ok = r->ok > 0 ? (uint64_t)r->ok : 0,
        .items = items > 0 ? (uint64_t)items : 0,
        .items_ok = items_ok > 0 ? (uint64_t)items_ok : 0,
        .item = r->item,
        .request = r->request,
    };
    bool pass;
    return sla_judge_json(s, &view, resdoc_num(j, "duration_s"), &pass);
}

static void row_from_json(sla_row_t *row, const json_t *s, bool extra)
{
    snprintf(row->expr, sizeof row->expr, "%s",
             resdoc_str(s, "expr") ? resdoc_str(s, "expr") : "?");
    row->value = resdoc_num(s, "value");
    row->threshold = resdoc_num(s, "threshold");
    snprintf(row->unit, sizeof row->unit, "%s", resdoc_str(s, "unit") ? resdoc_str(s, "unit") : "");
    snprintf(row->note, sizeof row->note, "%s",
             resdoc_str(s, "note") ? resdoc_str(s, "note") : "not measured");
    row->pass = json_is_true(resdoc_get(s, "pass"));
    row->extra = extra;
}

static size_t run_slas(const run_t *r, const report_opts_t *o, sla_row_t *rows)
{
    size_t n = 0;
    const json_t *arr = resdoc_get(r->j, "sla");
    for (size_t i = 0; i < json_array_size(arr) && n < MAX_SLA_ROWS; i++)
        row_from_json(&rows[n++], json_array_get(arr, i), false);
    for (size_t i = 0; o && i < o->nslas && n < MAX_SLA_ROWS; i++) {
        json_t *judged = sla_judge_file(&o->slas[i], r);
        if (!judged)
            continue;
        row_from_json(&rows[n++], judged, true);
        json_decref(judged);
    }
    return n;
}

/* ---- document ------------------------------------------------------------- */

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "margin:24px auto;max-width:1040px;padding:0 16px;color:#222;background:#fff}\n"
    "h1{font-size:28px;margin:0 0 4px}\n"
    "h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}\n"
    ".sub{color:#666;margin:0 0 16px}\n"
    ".verdict{font-size:28px;font-weight:bold;padding:12px 18px;border-radius:6px;"
    "margin:10px 0}\n"
    ".verdict.pass{background:#e6f4ea;color:#1a7f37;border:2px solid #1a7f37}\n"
    ".verdict.fail{background:#fdecea;color:#b42318;border:2px solid #b42318}\n"
    ".verdict.none{background:#f3f3f3;color:#555;border:2px solid #bbb;font-size:20px}\n"
    ".verdict small{display:block;font-size:16px;font-weight:normal;color:#333}\n"
    ".note{padding:8px 12px;border-left:4px solid #d4a72c;background:#fff8e1;margin:6px 0}\n"
    ".note.bad{border-color:#b42318;background:#fdecea}\n"
    "table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}\n"
    "th,td{border:1px solid #ddd;padding:4px 10px;text-align:right;vertical-align:top}\n"
    "th:first-child,td:first-child{text-align:left}\n"
    "thead th{background:#f4f4f4}\n"
    "tr.group th{background:#fafafa;text-align:left}\n"
    "td.pass{color:#1a7f37;font-weight:bold}\n"
    "td.fail{color:#b42318;font-weight:bold}\n"
    "td.text{text-align:left;max-width:320px;word-break:break-all}\n"
    ".swatch{display:inline-block;width:11px;height:11px;margin-right:6px;border-radius:2px}\n"
    "svg.chart{display:block;max-width:100%;height:auto;margin:14px 0;"
    "border:1px solid #e5e5e5}\n"
    "footer{color:#888;font-size:12px;margin:36px 0 12px}\n";

static void sla_table(FILE *f, const run_t *runs, size_t n, const report_opts_t *o)
{
    char buf[64];
    bool any = false;
    sla_row_t rows[MAX_SLA_ROWS];
    for (size_t i = 0; i < n; i++) {
        size_t k = run_slas(&runs[i], o, rows);
        if (!k)
            continue;
        if (!any)
            fputs("<table id=\"sla\"><thead><tr><th>run</th><th>SLA</th><th>measured</th>"
                  "<th>threshold</th><th>verdict</th></tr></thead><tbody>\n",
                  f);
        any = true;
        for (size_t s = 0; s < k; s++) {
            fputs("<tr><td>", f);
            svg_escape(f, runs[i].label);
            fputs("</td><td>", f);
            svg_escape(f, rows[s].expr);
            if (rows[s].extra)
                fputs(" (report --sla)", f);
            fputs("</td><td>", f);
            if (isfinite(rows[s].value))
                svg_escapef(f, "%s %s", svg_fmt_num(buf, sizeof buf, rows[s].value), rows[s].unit);
            else
                svg_escape(f, rows[s].note);
            fputs("</td><td>", f);
            svg_escapef(f, "%s %s", svg_fmt_num(buf, sizeof buf, rows[s].threshold), rows[s].unit);
            fprintf(f, "</td><td class=\"%s\">%s</td></tr>\n", rows[s].pass ? "pass" : "fail",
                    rows[s].pass ? "PASS" : "FAIL");
        }
    }
    if (any)
        fputs("</tbody></table>\n", f);
    else
        fputs("<p>No SLA was given for these runs (<code>--sla EXPR</code>).</p>\n", f);
}

/* What a reader must know before trusting a chart: degenerate runs. */
static void notices(FILE *f, const run_t *runs, size_t n)
{
    char why[512];
    for (size_t i = 0; i < n; i++) {
        const run_t *r = &runs[i];
        size_t nt = json_array_size(resdoc_get(r->j, "timeline"));
        resdoc_describe_errors(r->j, why, sizeof why);
        if (r->total == 0) {
            fputs("<p class=\"note bad\">", f);
            svg_escapef(f, "%s: no requests were made.", r->label);
            fputs("</p>\n", f);
        } else if (r->ok == 0) {
            fputs("<p class=\"note bad\">", f);
            svg_escapef(f, "%s: no successful requests: %.0f error%s%s%s%s", r->label, r->errors,
                        r->errors == 1 ? "" : "s", *why ? " (" : "", why, *why ? ")" : "");
            fputs("</p>\n", f);
        } else if (r->errors > 0) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f, "%s: %.0f of %.0f requests failed%s%s%s.", r->label, r->errors, r->total,
                        *why ? " (" : "", why, *why ? ")" : "");
            fputs("</p>\n", f);
        }
        if (r->ok == 1) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f, "%s: a single successful request: every percentile is that one value.",
                        r->label);
            fputs("</p>\n", f);
        }
        if (r->total > 0 && nt <= 1) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f,
                        "%s: the timeline has %s point%s (a run of about a second or less): "
                        "the charts over time show %s.",
                        r->label, nt ? "one" : "no", nt ? "" : "s", nt ? "it as dots" : "nothing");
            fputs("</p>\n", f);
        }
        if (json_is_true(resdoc_get(r->j, "interrupted"))) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f,
                        "%s: the run was interrupted: the numbers cover what was done before "
                        "it stopped.",
                        r->label);
            fputs("</p>\n", f);
        }
    }
}

static void verdicts(FILE *f, const run_t *runs, size_t n, const report_opts_t *o)
{
    sla_row_t rows[MAX_SLA_ROWS];
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        size_t k = run_slas(&runs[i], o, rows);
        if (!k)
            continue;
        bool pass = true;
        for (size_t s = 0; s < k; s++)
            pass &= rows[s].pass;
        fprintf(f, "<div class=\"verdict %s\">", pass ? "pass" : "fail");
        svg_escapef(f, "%s: SLA %s", runs[i].label, pass ? "PASS" : "FAIL");
        fputs("<small>", f);
        for (size_t s = 0; s < k; s++) {
            svg_escapef(f, "%s%s: ", s ? " \xc2\xb7 " : "", rows[s].expr);
            if (isfinite(rows[s].value))
                svg_escapef(f, "%s %s ", svg_fmt_num(buf, sizeof buf, rows[s].value), rows[s].unit);
            else
                svg_escapef(f, "%s ", rows[s].note);
            svg_escape(f, rows[s].pass ? "(pass)" : "(fail)");
        }
        fputs("</small></div>\n", f);
    }
}

/* The percentile axis reaches the highest decade any run can fill: a run of
 * 10^5 values has a meaningful 99.999th percentile. At least 99.99%. */
static int percentile_xmax(const run_t *runs, size_t n)
{
    double maxcount = 0;
    for (size_t i = 0; i < n; i++) {
        double c = runs[i].item ? (double)hist_count(runs[i].item)
                                : resdoc_num(runs[i].j, "latency_ms.item.count");
        if (isfinite(c) && c > maxcount)
            maxcount = c;
    }
    int x = maxcount > 1 ? (int)ceil(log10(maxcount) - 1e-9) : 4;
    return x < 4 ? 4 : x > 6 ? 6 : x;
}

static void empty_note(const run_t *runs, size_t n, char *buf, size_t len)
{
    char why[256];
    if (n == 1 && runs[0].total > 0) {
        resdoc_describe_errors(runs[0].j, why, sizeof why);
        snprintf(buf, len, "no successful requests: %.0f error%s%s%s%s", runs[0].errors,
                 runs[0].errors == 1 ? "" : "s", *why ? " (" : "", why, *why ? ")" : "");
    } else {
        snprintf(buf, len, "no successful requests: nothing to plot");
    }
}

int report_render(FILE *f, const json_t *const *results, const char *const *labels, size_t n,
                  const json_t *comparison, const report_opts_t *opts, char *err, size_t errlen)
{
    int rc = 0;
    run_t *runs = NULL;
    if (!f || (n && !results) || (!n && !comparison)) {
        snprintf(err, errlen, "nothing to report: no result and no comparison");
        return EINVAL;
    }
    char why[256];
    for (size_t i = 0; i < n; i++)
        if (resdoc_check_result(results[i], why, sizeof why)) {
            snprintf(err, errlen, "%s: %s", labels ? labels[i] : "result", why);
            return EINVAL;
        }
    if (comparison && resdoc_check_comparison(comparison, why, sizeof why)) {
        snprintf(err, errlen, "comparison: %s", why);
        return EINVAL;
    }
    runs = calloc(n ? n : 1, sizeof *runs);
    if (!runs) {
        snprintf(err, errlen, "out of memory");
        return ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        run_t *r = &runs[i];
        r->j = results[i];
        if (labels && labels[i])
            snprintf(r->label, sizeof r->label, "%s", labels[i]);
        else
            snprintf(r->label, sizeof r->label, "run %zu", i + 1);
        r->color = palette[i % (sizeof palette / sizeof palette[0])];
        r->total = resdoc_num(r->j, "requests.total");
        r->ok = resdoc_num(r->j, "requests.ok");
        r->errors = resdoc_num(r->j, "requests.errors");
        if (!isfinite(r->errors))
            r->errors = r->total - r->ok;
        /* Checked above, so these decode. */
        if (resdoc_get(r->j, "histogram.item"))
            hist_from_json(resdoc_get(r->j, "histogram.item"), &r->item, why, sizeof why);
        if (resdoc_get(r->j, "histogram.request"))
            hist_from_json(resdoc_get(r->j, "histogram.request"), &r->request, why, sizeof why);
    }
    int xmax = percentile_xmax(runs, n);
    for (size_t i = 0; i < n && !rc; i++)
        rc = build_series(&runs[i], xmax);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    chart_sla_t lines[MAX_SLA_LINES];
    size_t nlines = 0;
    for (size_t i = 0; i < n; i++)
        sla_lines_from_json(resdoc_get(runs[i].j, "sla"), lines, &nlines);
    for (size_t i = 0; opts && i < opts->nslas; i++) {
        const sla_t *s = &opts->slas[i];
        if (s->metric == SLA_LATENCY_PCT || s->metric == SLA_LATENCY_MEAN)
            add_sla_line(lines, &nlines, s->text, s->threshold,
                         s->metric == SLA_LATENCY_PCT ? s->percentile : NAN);
    }
    if (comparison)
        sla_lines_from_json(resdoc_get(comparison, "sla"), lines, &nlines);

    const char *title = opts && opts->title ? opts->title : "tailgate report";
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" "
          "xml:lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          f);
    svg_escape(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", css);
    svg_escape(f, title);
    fputs("</h1>\n<p class=\"sub\">", f);
    if (n) {
        svg_escapef(f, "%zu run%s: ", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
            const char *url = resdoc_str(runs[i].j, "config.url"),
                       *at = resdoc_str(runs[i].j, "started_at");
            svg_escapef(f, "%s%s", i ? "; " : "", runs[i].label);
            if (url)
                svg_escapef(f, " against %s", url);
            if (at)
                svg_escapef(f, " at %s", at);
        }
    } else {
        svg_escape(f, "comparison only (no result files given)");
    }
    fputs("</p>\n", f);

    verdicts(f, runs, n, opts);
    notices(f, runs, n);
    if (comparison)
        cmpview_head(f, comparison, lines, nlines);
    if (n) {
        char note[300];
        empty_note(runs, n, note, sizeof note);
        chart_run_t *cr = malloc(n * sizeof *cr);
        if (!cr) {
            rc = ENOMEM;
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            cr[i] = runs[i].chart;
        fputs("<h2>Latency distribution</h2>\n<p>How long items waited, from the moment each "
              "should have been sent to its complete answer, at every percentile: read the "
              "tail on the right. Dashed red lines are latency SLAs.</p>\n",
              f);
        chart_percentiles(f, cr, n, lines, nlines, xmax, note);
        fputs("<h2>Over time</h2>\n", f);
        chart_latency_time(f, cr, n, lines, nlines, note);
        chart_throughput(f, cr, n);
        free(cr);
        fputs("<h2>Summary</h2>\n", f);
        runtable_summary(f, runs, n);
    }
    if (comparison)
        cmpview_table(f, comparison);
    if (n) {
        fputs("<h2>SLA</h2>\n", f);
        sla_table(f, runs, n, opts);
        fputs("<h2>Configuration</h2>\n", f);
        runtable_config(f, runs, n);
    }
    fputs("<footer>Written by tailgate report. Self-contained: no scripts, no external "
          "resources.</footer>\n</body>\n</html>\n",
          f);
    if (fflush(f) || ferror(f)) {
        rc = errno ? errno : EIO;
        snprintf(err, errlen, "write failed: %s", strerror(rc));
    }
done:
    for (size_t i = 0; i < n; i++) {
        hist_free(runs[i].item);
        hist_free(runs[i].request);
        free(runs[i].buf);
    }
    free(runs);
    return rc;
}

int report_write(const char *out_path, const json_t *const *results, const char *const *labels,
                 size_t n, const json_t *comparison, const report_opts_t *opts, char *err,
                 size_t errlen)
{
    if (!out_path || !*out_path) {
        snprintf(err, errlen, "no output path");
        return EINVAL;
    }
    if (!strcmp(out_path, "-"))
        return report_render(stdout, results, labels, n, comparison, opts, err, errlen);
    size_t len = strlen(out_path) + 16;
    char *tmp = malloc(len);
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        return ENOMEM;
    }
    snprintf(tmp, len, "%s.tmpXXXXXX", out_path);
    int rc = 0, fd = mkstemp(tmp);
    if (fd < 0) {
        rc = errno;
        snprintf(err, errlen, "%s: %s", out_path, strerror(rc));
        free(tmp);
        return rc;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        rc = errno;
        close(fd);
        snprintf(err, errlen, "%s: %s", out_path, strerror(rc));
        goto fail;
    }
    /* mkstemp makes 0600; a report is for sharing. */
    fchmod(fd, 0644);
    rc = report_render(f, results, labels, n, comparison, opts, err, errlen);
    if (fclose(f) && !rc) {
        rc = errno ? errno : EIO;
        snprintf(err, errlen, "%s: %s", out_path, strerror(rc));
    }
    if (rc)
        goto fail;
    if (rename(tmp, out_path)) {
        rc = errno;
        snprintf(err, errlen, "%s: %s", out_path, strerror(rc));
        goto fail;
    }
    free(tmp);
    return 0;
fail:
    unlink(tmp);
    free(tmp);
    return rc;
}
