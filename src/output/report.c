/* report — the self-contained HTML report. The document is XHTML so that it
 * can be checked as XML; the charts are drawn by charts.c from series this
 * file extracts from the results; the summary and configuration tables are
 * runtable.c's, the comparison's parts cmpview.c's. */
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
#include "output/loadview.h"
#include "output/llmcharts.h"
#include "output/reportrun.h"
#include "output/runtable.h"
#include "output/svg.h"
#include "stats/hist.h"

#define MAX_SLA_LINES 8
#define PCT_STEP 0.02 /* percentile curve sampling, in log10(1/(1-p)) */
#define PCT_MAX_POINTS (6 * 50 + 16)

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};

/* ---- series --------------------------------------------------------------- */

/* A summary's stored percentiles, for a version 0.1 result without its
 * histogram: min, then the reported percentiles. */
static size_t pct_from_summary(const result_summary_t *s, int xmax, double *xs, double *ys)
{
    size_t n = 0;
    if (isfinite(s->min_ms)) {
        xs[n] = 0;
        ys[n++] = s->min_ms;
    }
    for (int k = 0; k < METRIC_NUM_PCTS; k++) {
        double x = log10(1 / (1 - metric_pcts[k].p / 100));
        if (!isfinite(s->pct_ms[k]) || x > xmax + 1e-9)
            continue;
        xs[n] = x;
        ys[n++] = s->pct_ms[k];
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

static size_t pct_curve(const result_t *r, metric_id_t m, int xmax, double *xs, double *ys)
{
    if (r->stats.hist[m])
        return pct_from_hist(r->stats.hist[m], xmax, xs, ys);
    result_summary_t s;
    result_summary(r, m, &s);
    return s.present ? pct_from_summary(&s, xmax, xs, ys) : 0;
}

static int build_series(report_run_t *run, int xmax)
{
    const result_t *r = run->r;
    size_t nt = r->stats.nseconds;
    run->buf = malloc(sizeof(double) * (4 * PCT_MAX_POINTS + 7 * (nt + 1)));
    if (!run->buf)
        return ENOMEM;
    double *px = run->buf, *pi = px + PCT_MAX_POINTS, *pr = pi + PCT_MAX_POINTS,
           *tmp = pr + PCT_MAX_POINTS, *t = tmp + PCT_MAX_POINTS;
    chart_run_t *c = &run->chart;
    int64_t batch = 1;
    c->label = run->label;
    c->color = run->color;
    c->pct_x = px;
    c->pct_item_ms = pi;
    if (r->stats.requests_ok > 0) {
        c->npct = pct_curve(r, METRIC_ITEM, xmax, px, pi);
        if (result_config_int(r, "batch", &batch) && batch > 1) {
            size_t nr = pct_curve(r, METRIC_REQUEST, xmax, tmp, pr);
            /* Both curves share x; with stored fields they do when both have them. */
            if (nr == c->npct && (nr == 0 || !memcmp(tmp, px, sizeof(double) * nr)))
                c->pct_request_ms = nr ? pr : NULL;
        }
    }
    double *sec = t, *lines = t + nt, *rps = lines + 3 * nt, *eps = rps + nt, *ips = eps + nt;
    /* The brief percentiles of item latency per second: the lines of the
     * latency-over-time chart. */
    double p[3];
    size_t np = 0;
    for (size_t k = 0; k < METRIC_NUM_PCTS && np < 3; k++)
        if (metric_pcts[k].shown & METRIC_PCT_BRIEF) {
            p[np] = metric_pcts[k].p;
            c->t_pct[k] = lines + np * nt;
            np++;
        }
    bool items_differ = false;
    /* Throughput as it was served: by completion time. A result written
     * before completion counts has only the intended-time ones. */
    uint64_t completed = 0;
    for (size_t i = 0; i < nt; i++)
        completed += r->stats.seconds[i].completed;
    c->by_intended = completed == 0 && r->stats.requests > 0;
    double dur = result_duration_s(r);
    for (size_t i = 0; i < nt; i++) {
        const runstats_second_t *e = &r->stats.seconds[i];
        double v[3] = {NAN, NAN, NAN};
        result_second_ms(r, i, METRIC_ITEM, p, v, np);
        sec[i] = (double)i;
        for (size_t l = 0; l < np; l++)
            lines[l * nt + i] = v[l];
        if (c->by_intended) {
            rps[i] = (double)e->requests;
            eps[i] = (double)e->errors;
            ips[i] = (double)e->items;
            items_differ |= e->items != e->requests;
            continue;
        }
        /* The span ends with the last answer, inside its second: that
         * second's counts are over the part of it that was measured (a
         * sliver of a second is left out rather than blown up). */
        double part = dur - (double)i;
        double scale = part >= 1 ? 1 : part >= 0.2 ? 1 / part : NAN;
        rps[i] = (double)(e->completed - e->completed_errors) * scale;
        eps[i] = (double)e->completed_errors * scale;
        ips[i] = (double)e->served_items * scale;
        items_differ |= e->served_items != e->completed - e->completed_errors;
    }
    c->t_sec = sec;
    c->t_rps = rps;
    c->t_eps = eps;
    c->t_ips = items_differ ? ips : NULL;
    c->nt = nt;
    loadview_t lv;
    loadview_read(r, &lv);
    c->offered_ips = lv.open ? lv.offered_ips : NAN;
    /* The schedule's span: the items it issued, at its rate. */
    c->offered_s = lv.open && r->stats.items ? (double)r->stats.items / lv.offered_ips : 0;
    return 0;
}

/* ---- SLAs ----------------------------------------------------------------- */

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

/* The verdicts that bound a latency, as dashed lines (those on a streamed
 * metric go on its own chart, llmcharts.c). */
static void sla_lines_from(const sla_verdict_t *v, size_t nv, chart_sla_t *lines, size_t *n)
{
    for (size_t i = 0; i < nv; i++) {
        const sla_t *s = &v[i].sla;
        if ((s->metric == SLA_LATENCY_PCT || s->metric == SLA_LATENCY_MEAN) &&
            !metric_table[s->latency].streamed)
            add_sla_line(lines, n, s->text, s->threshold,
                         s->metric == SLA_LATENCY_PCT ? s->percentile : NAN);
    }
}

/* Which verdicts a run shows: report --sla judged here, else its own. */
static int run_verdicts(report_run_t *run, const report_opts_t *o)
{
    if (o && o->nslas) {
        run->from_option = true;
        run->nverdicts = o->nslas;
        int rc = result_verdicts(run->r, o->slas, o->nslas, &run->owned, &run->sla_pass);
        run->verdicts = run->owned;
        return rc;
    }
    run->verdicts = run->r->verdicts;
    run->nverdicts = run->r->nverdicts;
    run->sla_pass = run->r->sla_pass;
    return 0;
}

/* ---- document ------------------------------------------------------------- */

static const char report_css[] =
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

void report_page_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" "
          "xml:lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          f);
    svg_escape(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", report_css);
    svg_escape(f, title);
}

int report_page_end(FILE *f, char *err, size_t errlen)
{
    fputs("<footer>Written by tailgate report. Self-contained: no scripts, no external "
          "resources.</footer>\n</body>\n</html>\n",
          f);
    if (fflush(f) || ferror(f)) {
        int rc = errno ? errno : EIO;
        snprintf(err, errlen, "write failed: %s", strerror(rc));
        return rc;
    }
    return 0;
}

/* As precise as the console's SLA lines: a value just past its threshold
 * must not read as equal to it (800.4 against 800 rounded to "800"). */
static void verdict_value(FILE *f, const sla_verdict_t *v)
{
    if (isfinite(v->value))
        svg_escapef(f, "%.3f %s", v->value, sla_unit(&v->sla));
    else
        svg_escapef(f, "not measured%s%s%s", v->note[0] ? " (" : "", v->note,
                    v->note[0] ? ")" : "");
}

static void sla_table(FILE *f, const report_run_t *runs, size_t n, const report_opts_t *o)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const report_run_t *run = &runs[i];
        if (!run->nverdicts)
            continue;
        if (!any)
            fputs("<table id=\"sla\"><thead><tr><th>run</th><th>SLA</th><th>measured</th>"
                  "<th>threshold</th><th>verdict</th></tr></thead><tbody>\n",
                  f);
        any = true;
        for (size_t s = 0; s < run->nverdicts; s++) {
            const sla_verdict_t *v = &run->verdicts[s];
            fputs("<tr><td>", f);
            svg_escape(f, run->label);
            fputs("</td><td>", f);
            svg_escape(f, v->sla.text);
            if (run->from_option)
                fputs(" (report --sla)", f);
            fputs("</td><td>", f);
            verdict_value(f, v);
            fputs("</td><td>", f);
            svg_escapef(f, "%.6g %s", v->sla.threshold, sla_unit(&v->sla));
            fprintf(f, "</td><td class=\"%s\">%s</td></tr>\n", v->pass ? "pass" : "fail",
                    v->pass ? "PASS" : "FAIL");
        }
    }
    if (any) {
        fputs("</tbody></table>\n<p>", f);
        svg_escape(f, o && o->nslas ? "Judged with report --sla, instead of the SLAs the runs "
                                      "record."
                                    : "Judged with the SLAs each run records (report --sla "
                                      "judges others instead).");
        fputs("</p>\n", f);
    } else {
        fputs("<p>No SLA was given for these runs (<code>--sla EXPR</code>).</p>\n", f);
    }
}

/* What a reader must know before trusting a chart: degenerate runs. */
static void notices(FILE *f, const report_run_t *runs, size_t n)
{
    char why[512];
    for (size_t i = 0; i < n; i++) {
        const report_run_t *run = &runs[i];
        const runstats_t *rs = &run->r->stats;
        uint64_t total = rs->requests, ok = rs->requests_ok, errors = total - ok;
        size_t nt = rs->nseconds;
        runtable_describe_errors(run->r, why, sizeof why);
        if (total == 0) {
            fputs("<p class=\"note bad\">", f);
            svg_escapef(f, "%s: no requests were made.", run->label);
            fputs("</p>\n", f);
        } else if (ok == 0) {
            fputs("<p class=\"note bad\">", f);
            svg_escapef(f, "%s: no successful requests: %llu error%s%s%s%s", run->label,
                        (unsigned long long)errors, errors == 1 ? "" : "s", *why ? " (" : "", why,
                        *why ? ")" : "");
            fputs("</p>\n", f);
        } else if (errors > 0) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f, "%s: %llu of %llu requests failed%s%s%s.", run->label,
                        (unsigned long long)errors, (unsigned long long)total, *why ? " (" : "",
                        why, *why ? ")" : "");
            fputs("</p>\n", f);
        }
        if (ok == 1) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f, "%s: a single successful request: every percentile is that one value.",
                        run->label);
            fputs("</p>\n", f);
        }
        if (total > 0 && nt <= 1) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f,
                        "%s: the timeline has %s point%s (a run of about a second or less): "
                        "the charts over time show %s.",
                        run->label, nt ? "one" : "no", nt ? "" : "s",
                        nt ? "it as dots" : "nothing");
            fputs("</p>\n", f);
        }
        char note[1400];
        loadview_t lv;
        selfcheck_t check;
        loadview_read(run->r, &lv);
        result_selfcheck(run->r, &check);
        loadview_client_note(run->r, &check, note, sizeof note);
        if (check.client_limited) {
            char advice[400];
            selfcheck_advice(&check, advice, sizeof advice);
            fputs("<p class=\"note bad\">", f);
            svg_escapef(f,
                        "%s: the client was the limit, so its figures, SLA verdicts included, "
                        "are the client's, not the server's. %s To measure the server: %s.",
                        run->label, note, advice);
            fputs("</p>\n", f);
        } else if (note[0]) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f, "%s: %s", run->label, note);
            fputs("</p>\n", f);
        }
        loadview_server_note(run->r, &lv, note, sizeof note);
        if (note[0]) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f, "%s: %s", run->label, note);
            fputs("</p>\n", f);
        }
        if (run->r->interrupted) {
            fputs("<p class=\"note\">", f);
            svg_escapef(f,
                        "%s: the run was interrupted: the numbers cover what was done before "
                        "it stopped.",
                        run->label);
            fputs("</p>\n", f);
        }
    }
}

static void verdicts(FILE *f, const report_run_t *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const report_run_t *run = &runs[i];
        if (!run->nverdicts)
            continue;
        fprintf(f, "<div class=\"verdict %s\">", run->sla_pass ? "pass" : "fail");
        svg_escapef(f, "%s: SLA %s", run->label, run->sla_pass ? "PASS" : "FAIL");
        fputs("<small>", f);
        for (size_t s = 0; s < run->nverdicts; s++) {
            const sla_verdict_t *v = &run->verdicts[s];
            svg_escapef(f, "%s%s: ", s ? " \xc2\xb7 " : "", v->sla.text);
            verdict_value(f, v);
            svg_escape(f, v->pass ? " (pass)" : " (fail)");
        }
        fputs("</small></div>\n", f);
    }
}

/* The percentile axis reaches the highest decade any run can fill: a run of
 * 10^5 values has a meaningful 99.999th percentile. At least 99.99%. */
static int percentile_xmax(const report_run_t *runs, size_t n)
{
    double maxcount = 0;
    for (size_t i = 0; i < n; i++) {
        result_summary_t s;
        result_summary(runs[i].r, METRIC_ITEM, &s);
        if (isfinite(s.count) && s.count > maxcount)
            maxcount = s.count;
    }
    int x = maxcount > 1 ? (int)ceil(log10(maxcount) - 1e-9) : 4;
    return x < 4 ? 4 : x > 6 ? 6 : x;
}

static void empty_note(const report_run_t *runs, size_t n, char *buf, size_t len)
{
    char why[256];
    const runstats_t *rs = n ? &runs[0].r->stats : NULL;
    if (n == 1 && rs->requests > 0) {
        uint64_t errors = rs->requests - rs->requests_ok;
        runtable_describe_errors(runs[0].r, why, sizeof why);
        snprintf(buf, len, "no successful requests: %llu error%s%s%s%s", (unsigned long long)errors,
                 errors == 1 ? "" : "s", *why ? " (" : "", why, *why ? ")" : "");
    } else {
        snprintf(buf, len, "no successful requests: nothing to plot");
    }
}

static void subtitle(FILE *f, const report_run_t *runs, size_t n)
{
    fputs("<p class=\"sub\">", f);
    if (n) {
        svg_escapef(f, "%zu run%s: ", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
            const result_t *r = runs[i].r;
            char at[40];
            result_started_at(r, at, sizeof at);
            svg_escapef(f, "%s%s", i ? "; " : "", runs[i].label);
            if (r->target)
                svg_escapef(f, " against %s", r->target);
            if (r->started_wall_ns)
                svg_escapef(f, " at %s", at);
        }
    } else {
        svg_escape(f, "comparison only (no result files given)");
    }
    fputs("</p>\n", f);
}

static void free_runs(report_run_t *runs, size_t n)
{
    for (size_t i = 0; runs && i < n; i++) {
        free(runs[i].buf);
        free(runs[i].owned);
    }
    free(runs);
}

int report_render(FILE *f, const result_t *const *results, const char *const *labels, size_t n,
                  const compare_t *comparison, const report_opts_t *opts, char *err, size_t errlen)
{
    int rc = 0;
    if (!f || (n && !results) || (!n && !comparison)) {
        snprintf(err, errlen, "nothing to report: no result and no comparison");
        return EINVAL;
    }
    report_run_t *runs = calloc(n ? n : 1, sizeof *runs);
    if (!runs) {
        snprintf(err, errlen, "out of memory");
        return ENOMEM;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        report_run_t *run = &runs[i];
        run->r = results[i];
        if (labels && labels[i])
            snprintf(run->label, sizeof run->label, "%s", labels[i]);
        else
            snprintf(run->label, sizeof run->label, "run %zu", i + 1);
        run->color = palette[i % (sizeof palette / sizeof palette[0])];
        rc = run_verdicts(run, opts);
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
        sla_lines_from(runs[i].verdicts, runs[i].nverdicts, lines, &nlines);
    if (comparison)
        sla_lines_from(comparison->verdicts, comparison->nverdicts, lines, &nlines);

    const char *title = opts && opts->title ? opts->title : "tailgate report";
    report_page_begin(f, title);
    fputs("</h1>\n", f);
    subtitle(f, runs, n);
    verdicts(f, runs, n);
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
        if ((rc = llmcharts_section(f, runs, n, xmax))) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
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
    rc = report_page_end(f, err, errlen);
done:
    free_runs(runs, n);
    return rc;
}

typedef struct {
    const result_t *const *results;
    const char *const *labels;
    size_t n;
    const compare_t *comparison;
    const report_opts_t *opts;
} report_args_t;

static int render_report(FILE *f, const void *arg, char *err, size_t errlen)
{
    const report_args_t *a = arg;
    return report_render(f, a->results, a->labels, a->n, a->comparison, a->opts, err, errlen);
}

int report_write(const char *out_path, const result_t *const *results, const char *const *labels,
                 size_t n, const compare_t *comparison, const report_opts_t *opts, char *err,
                 size_t errlen)
{
    report_args_t a = {results, labels, n, comparison, opts};
    return report_write_with(out_path, render_report, &a, err, errlen);
}

/* Renders into f and closes it; 0 or an errno with err set. */
static int render_close(FILE *f, const char *out_path, report_render_fn render, const void *arg,
                        char *err, size_t errlen)
{
    int rc = render(f, arg, err, errlen);
    if (fclose(f) && !rc) {
        rc = errno ? errno : EIO;
        snprintf(err, errlen, "cannot write '%s': %s", out_path, strerror(rc));
    }
    return rc;
}

int report_write_with(const char *out_path, report_render_fn render, const void *arg, char *err,
                      size_t errlen)
{
    if (!out_path || !*out_path) {
        snprintf(err, errlen, "no output path");
        return EINVAL;
    }
    if (!strcmp(out_path, "-"))
        return render(stdout, arg, err, errlen);
    /* A device, a pipe or a link is written through: renaming a finished
     * file over it would replace the thing itself (as root, /dev/null). */
    struct stat st;
    if (lstat(out_path, &st) == 0 && !S_ISREG(st.st_mode)) {
        FILE *f = fopen(out_path, "w");
        if (!f) {
            int rc = errno;
            snprintf(err, errlen, "cannot write '%s': %s", out_path, strerror(rc));
            return rc;
        }
        return render_close(f, out_path, render, arg, err, errlen);
    }
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
        snprintf(err, errlen, "cannot write '%s': %s", out_path, strerror(rc));
        free(tmp);
        return rc;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        rc = errno;
        close(fd);
        snprintf(err, errlen, "cannot write '%s': %s", out_path, strerror(rc));
        goto fail;
    }
    /* mkstemp makes 0600; a report is for sharing. */
    fchmod(fd, 0644);
    if ((rc = render_close(f, out_path, render, arg, err, errlen)) != 0)
        goto fail;
    if (rename(tmp, out_path)) {
        rc = errno;
        snprintf(err, errlen, "cannot write '%s': %s", out_path, strerror(rc));
        goto fail;
    }
    free(tmp);
    return 0;
fail:
    unlink(tmp);
    free(tmp);
    return rc;
}
