/* sweepview — the sweep report: two charts over the offered load, the
 * answer, and the steps. */
#include "output/sweepview.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "output/report.h"
#include "output/svg.h"

#define CHART_W 1000
#define MAX_TICKS 24
#define MAX_SWEEPS 8
#define SLA_COLOR "#d62728"
#define SLA_DASH "8,5"
#define GREY "#555"
#define DASH_P50 "2,3"
#define DASH_P99 "7,4"
#define PASS_COLOR "#1a7f37"
#define FAIL_COLOR "#b42318"
#define OTHER_COLOR "#999"

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};

/* One sweep's points: its final step at each load, in order of load. */
typedef struct {
    const sweep_t *s;
    const char *color;
    char label[80];
    sweep_answer_t answer;
    metric_id_t metric;
    size_t n;
    const sweep_step_t **steps;
    double *x, *p50, *p95, *p99, *served;
} series_t;

static int by_load(const void *a, const void *b)
{
    const sweep_step_t *const *x = a, *const *y = b;
    return (*x)->offered < (*y)->offered ? -1 : (*x)->offered > (*y)->offered;
}

/* The gated latency: the first latency SLA's metric, else item latency. */
static metric_id_t gated_metric(const sweep_t *s)
{
    for (size_t i = 0; i < s->nslas; i++)
        if (s->slas[i].metric == SLA_LATENCY_PCT || s->slas[i].metric == SLA_LATENCY_MEAN)
            return s->slas[i].latency;
    return METRIC_ITEM;
}

static double served_per_s(const result_t *r)
{
    double d = result_duration_s(r);
    return d > 0 ? (double)r->stats.items_ok / d : 0;
}

static int build(series_t *se, const sweep_t *s, size_t i, size_t total)
{
    memset(se, 0, sizeof *se);
    se->s = s;
    se->color = palette[i % (sizeof palette / sizeof palette[0])];
    if (s->label[0])
        snprintf(se->label, sizeof se->label, "%s", s->label);
    else if (total > 1)
        snprintf(se->label, sizeof se->label, "sweep %zu", i + 1);
    else
        snprintf(se->label, sizeof se->label, "%s", s->concurrency ? "closed loop" : "open loop");
    sweep_answer(s, &se->answer);
    se->metric = gated_metric(s);
    se->steps = calloc(s->nsteps + 1, sizeof *se->steps);
    double *buf = calloc(5 * (s->nsteps + 1), sizeof *buf);
    if (!se->steps || !buf) {
        free(se->steps);
        free(buf);
        return ENOMEM;
    }
    se->x = buf;
    se->p50 = buf + s->nsteps + 1;
    se->p95 = se->p50 + s->nsteps + 1;
    se->p99 = se->p95 + s->nsteps + 1;
    se->served = se->p99 + s->nsteps + 1;
    for (size_t k = 0; k < s->nsteps; k++)
        if (s->steps[k].final)
            se->steps[se->n++] = &s->steps[k];
    qsort(se->steps, se->n, sizeof *se->steps, by_load);
    for (size_t k = 0; k < se->n; k++) {
        const sweep_step_t *st = se->steps[k];
        result_summary_t sum;
        result_summary(&st->result, se->metric, &sum);
        se->x[k] = st->offered;
        se->p50[k] = sum.pct_ms[metric_pct_index(50)];
        se->p95[k] = sum.pct_ms[metric_pct_index(95)];
        se->p99[k] = sum.pct_ms[metric_pct_index(99)];
        se->served[k] = served_per_s(&st->result);
    }
    return 0;
}

static void series_free(series_t *se)
{
    free(se->steps);
    free(se->x);
}

static const char *verdict_color(sweep_verdict_t v)
{
    return v == SWEEP_PASS ? PASS_COLOR : v == SWEEP_FAIL ? FAIL_COLOR : OTHER_COLOR;
}

static const char *unit_of(const series_t *se, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!se[i].s->concurrency)
            return "items/s";
    return "concurrent requests";
}

/* x from 0 to a round number above every load tried. */
static size_t x_axis(svg_axes_t *a, const series_t *se, size_t n, double *ticks)
{
    double top = 0, nice_hi;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < se[i].n; k++)
            top = fmax(top, se[i].x[k]);
    size_t nt = svg_nice_ticks(0, top > 0 ? top * 1.05 : 1, 8, ticks, MAX_TICKS, &nice_hi);
    a->xmin = 0;
    a->xmax = nice_hi;
    return nt;
}

static void capacity_lines(FILE *f, const svg_axes_t *a, const series_t *se, size_t n)
{
    char num[32], label[96];
    for (size_t i = 0; i < n; i++) {
        if (se[i].answer.capacity_step < 0)
            continue;
        parse_format_number(se[i].answer.capacity, num, sizeof num);
        snprintf(label, sizeof label, "capacity%s%s %s%s", n > 1 ? " " : "",
                 n > 1 ? se[i].label : "", num, se[i].s->concurrency ? "" : "/s");
        svg_vline(f, a, se[i].answer.capacity, se[i].color, "3,3", label);
    }
}

static void step_title(const series_t *se, const sweep_step_t *st, char *buf, size_t len)
{
    char num[32];
    parse_format_number(st->offered, num, sizeof num);
    snprintf(buf, len, "%s %s%s: %s%s%s", se->label, num, se->s->concurrency ? " users" : "/s",
             sweep_verdict_name(st->verdict), st->why[0] ? " - " : "", st->why);
}

static void chart_latency(FILE *f, const series_t *se, size_t n)
{
    svg_begin(f, "chart-sweep-latency", CHART_W, 470,
              "Latency against offered load (p50 dotted, p95 solid, p99 dashed)");
    svg_axes_t a = {.left = 80, .top = 90, .width = 880, .height = 300};
    double xt[MAX_TICKS], yt[MAX_TICKS], top = 0, sla_top = 0;
    size_t nx = x_axis(&a, se, n, xt);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < se[i].n; k++)
            if (isfinite(se[i].p99[k]))
                top = fmax(top, se[i].p99[k]);
        for (size_t k = 0; k < se[i].s->nslas; k++)
            if (se[i].s->slas[k].metric == SLA_LATENCY_PCT ||
                se[i].s->slas[k].metric == SLA_LATENCY_MEAN)
                sla_top = fmax(sla_top, se[i].s->slas[k].threshold);
    }
    /* Past the knee latency grows without bound: the plot shows up to a few
     * times the SLA, and the steps beyond it sit hollow on the top edge. */
    if (sla_top > 0)
        top = fmin(top, 4 * sla_top);
    top = fmax(top, sla_top * 1.15);
    size_t ny = svg_y_from_zero(&a, top, yt, MAX_TICKS);
    char xtitle[64];
    snprintf(xtitle, sizeof xtitle, "offered load (%s)", unit_of(se, n));
    svg_axes_draw(f, &a, xt, NULL, nx, yt, ny, xtitle, "latency (ms)");
    svg_legend_entry_t e[MAX_SWEEPS + 12];
    size_t ne = 0;
    for (size_t i = 0; i < n && ne < MAX_SWEEPS; i++)
        e[ne++] = (svg_legend_entry_t){se[i].label, se[i].color, "box"};
    e[ne++] = (svg_legend_entry_t){"p50", GREY, DASH_P50};
    e[ne++] = (svg_legend_entry_t){"p95", GREY, NULL};
    e[ne++] = (svg_legend_entry_t){"p99", GREY, DASH_P99};
    e[ne++] = (svg_legend_entry_t){"pass", PASS_COLOR, "box"};
    e[ne++] = (svg_legend_entry_t){"fail", FAIL_COLOR, "box"};
    e[ne++] = (svg_legend_entry_t){"undecided / invalid", OTHER_COLOR, "box"};
    svg_legend(f, 80, 52, CHART_W - 20, e, ne);
    char label[140], title[800];
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < se[i].s->nslas; k++) {
            const sla_t *s = &se[i].s->slas[k];
            if (s->metric != SLA_LATENCY_PCT && s->metric != SLA_LATENCY_MEAN)
                continue;
            snprintf(label, sizeof label, "SLA %s", s->text);
            svg_hline(f, &a, s->threshold, SLA_COLOR, SLA_DASH, label);
        }
    capacity_lines(f, &a, se, n);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        svg_polyline(f, &a, se[i].x, se[i].p50, se[i].n, se[i].color, 1.5, DASH_P50);
        svg_polyline(f, &a, se[i].x, se[i].p99, se[i].n, se[i].color, 1.5, DASH_P99);
        svg_polyline(f, &a, se[i].x, se[i].p95, se[i].n, se[i].color, 2.5, NULL);
        for (size_t k = 0; k < se[i].n; k++) {
            if (!isfinite(se[i].p95[k]))
                continue;
            any = true;
            step_title(&se[i], se[i].steps[k], title, sizeof title);
            svg_dot(f, &a, se[i].x[k], se[i].p95[k], 5, verdict_color(se[i].steps[k]->verdict),
                    title);
        }
    }
    if (!any)
        svg_note(f, &a, "no step was answered: nothing to plot");
    svg_end(f);
}

static void chart_throughput(FILE *f, const series_t *se, size_t n)
{
    svg_begin(f, "chart-sweep-throughput", CHART_W, 470,
              "Throughput served against offered (the knee: where the server stops keeping up)");
    svg_axes_t a = {.left = 80, .top = 90, .width = 880, .height = 300};
    double xt[MAX_TICKS], yt[MAX_TICKS], top = 0;
    size_t nx = x_axis(&a, se, n, xt);
    bool closed_only = true;
    for (size_t i = 0; i < n; i++) {
        closed_only = closed_only && se[i].s->concurrency;
        for (size_t k = 0; k < se[i].n; k++)
            top = fmax(top, se[i].served[k]);
    }
    if (!closed_only) /* offered and served share the axis: the diagonal fits */
        top = fmax(top, a.xmax);
    size_t ny = svg_y_from_zero(&a, top * 1.05, yt, MAX_TICKS);
    char xtitle[64];
    snprintf(xtitle, sizeof xtitle, "offered load (%s)", unit_of(se, n));
    svg_axes_draw(f, &a, xt, NULL, nx, yt, ny, xtitle, "served (items/s)");
    svg_legend_entry_t e[MAX_SWEEPS + 2];
    size_t ne = 0;
    for (size_t i = 0; i < n && ne < MAX_SWEEPS; i++)
        e[ne++] = (svg_legend_entry_t){se[i].label, se[i].color, "box"};
    if (!closed_only) {
        e[ne++] = (svg_legend_entry_t){"served = offered", GREY, "4,4"};
        double dx[2] = {0, a.xmax}, dy[2] = {0, a.xmax};
        svg_polyline(f, &a, dx, dy, 2, GREY, 1.5, "4,4");
    }
    svg_legend(f, 80, 52, CHART_W - 20, e, ne);
    capacity_lines(f, &a, se, n);
    char title[800];
    for (size_t i = 0; i < n; i++) {
        svg_polyline(f, &a, se[i].x, se[i].served, se[i].n, se[i].color, 2.5, NULL);
        for (size_t k = 0; k < se[i].n; k++) {
            step_title(&se[i], se[i].steps[k], title, sizeof title);
            svg_dot(f, &a, se[i].x[k], se[i].served[k], 5, verdict_color(se[i].steps[k]->verdict),
                    title);
        }
    }
    svg_end(f);
}

static void cell(FILE *f, const char *cls, const char *text)
{
    if (cls)
        fprintf(f, "<td class=\"%s\">", cls);
    else
        fputs("<td>", f);
    svg_escape(f, text);
    fputs("</td>", f);
}

static void steps_table(FILE *f, const series_t *se, size_t n)
{
    char buf[64];
    fputs("<table id=\"sweep-steps\"><thead><tr>", f);
    if (n > 1)
        fputs("<th>sweep</th>", f);
    fputs("<th>step</th><th>offered</th><th>length (s)</th><th>served/s</th><th>p50 ms</th>"
          "<th>p95 ms</th><th>p99 ms</th><th>errors</th><th>verdict</th><th>why</th>"
          "</tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const sweep_t *s = se[i].s;
        for (size_t k = 0; k < s->nsteps; k++) {
            const sweep_step_t *st = &s->steps[k];
            const runstats_t *rs = &st->result.stats;
            result_summary_t sum;
            result_summary(&st->result, se[i].metric, &sum);
            fputs("<tr>", f);
            if (n > 1)
                cell(f, "text", se[i].label);
            snprintf(buf, sizeof buf, "%zu%s", k + 1, st->attempt > 1 ? " (again)" : "");
            cell(f, NULL, buf);
            parse_format_number(st->offered, buf, sizeof buf);
            cell(f, NULL, buf);
            cell(f, NULL, svg_fmt_fixed(buf, sizeof buf, result_duration_s(&st->result), 1));
            cell(f, NULL, svg_fmt_fixed(buf, sizeof buf, served_per_s(&st->result), 1));
            static const double ps[] = {50, 95, 99};
            for (size_t p = 0; p < 3; p++)
                cell(f, NULL, svg_fmt_num(buf, sizeof buf, sum.pct_ms[metric_pct_index(ps[p])]));
            snprintf(buf, sizeof buf, "%.2f%%",
                     rs->requests
                         ? 100.0 * (double)(rs->requests - rs->requests_ok) / (double)rs->requests
                         : 0.0);
            cell(f, NULL, buf);
            cell(f,
                 st->verdict == SWEEP_PASS   ? "pass"
                 : st->verdict == SWEEP_FAIL ? "fail"
                                             : NULL,
                 sweep_verdict_name(st->verdict));
            cell(f, "text", st->why);
            fputs("</tr>\n", f);
        }
    }
    fputs("</tbody></table>\n", f);
}

static void answers(FILE *f, const series_t *se, size_t n)
{
    char text[1200];
    for (size_t i = 0; i < n; i++) {
        const sweep_answer_t *a = &se[i].answer;
        const char *cls = a->limited_step >= 0 ? "fail" : a->meets_require ? "pass" : "fail";
        sweep_answer_text(se[i].s, a, text, sizeof text);
        fprintf(f, "<div class=\"verdict %s\">", cls);
        if (n > 1 || se[i].s->label[0])
            svg_escapef(f, "%s: ", se[i].label);
        svg_escape(f, text);
        fputs("</div>\n", f);
        if (a->limited_step >= 0) {
            const sweep_step_t *st = &se[i].s->steps[a->limited_step];
            char why[600], advice[400];
            selfcheck_describe(&st->check, why, sizeof why);
            selfcheck_advice(&st->check, advice, sizeof advice);
            fputs("<p class=\"note bad\">", f);
            svg_escapef(f,
                        "%s: the client, not the server, was the limit: %s. To measure the "
                        "server: %s.",
                        se[i].label, why, advice);
            fputs("</p>\n", f);
        }
    }
}

typedef struct {
    const sweep_t *const *sweeps;
    size_t n;
    const char *title;
} view_args_t;

int sweepview_render(FILE *f, const sweep_t *const *sweeps, size_t n, const char *title, char *err,
                     size_t errlen)
{
    if (!f || n == 0) {
        snprintf(err, errlen, "nothing to report: no sweep");
        return EINVAL;
    }
    if (n > MAX_SWEEPS)
        n = MAX_SWEEPS;
    series_t se[MAX_SWEEPS];
    int rc = 0;
    size_t built = 0;
    for (; built < n && !rc; built++)
        rc = build(&se[built], sweeps[built], built, n);
    if (rc) {
        built--;
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (!title)
        title = "tailgate sweep";
    report_page_begin(f, title);
    fputs("</h1>\n<p class=\"sub\">", f);
    for (size_t i = 0; i < n; i++) {
        const sweep_t *s = se[i].s;
        const result_t *first = s->nsteps ? &s->steps[0].result : NULL;
        char at[40] = "";
        if (first && first->started_wall_ns)
            result_started_at(first, at, sizeof at);
        svg_escapef(f, "%s%s: %zu step%s, %s %s%s%s", i ? "; " : "", se[i].label, s->nsteps,
                    s->nsteps == 1 ? "" : "s",
                    s->concurrency ? "closed-loop concurrency" : "open-loop rate",
                    first && first->target ? "against " : "",
                    first && first->target ? first->target : "", at[0] ? " from " : "");
        svg_escape(f, at);
    }
    fputs("</p>\n", f);
    answers(f, se, n);
    fputs("<h2>Latency against load</h2>\n<p>Each dot is one step (green passed, red failed, "
          "grey undecided or invalid); a step passes only when every SLA holds with enough "
          "items to claim it at the sweep's confidence. Dashed red lines are latency SLAs; "
          "the vertical line is the capacity found.</p>\n",
          f);
    chart_latency(f, se, n);
    fputs("<h2>Throughput</h2>\n<p>Items answered per second against items offered per "
          "second: on the dashed line the server keeps up; where the curve bends away it has "
          "reached what it can serve.</p>\n",
          f);
    chart_throughput(f, se, n);
    fputs("<h2>Steps</h2>\n", f);
    steps_table(f, se, n);
    rc = report_page_end(f, err, errlen);
done:
    for (size_t i = 0; i < built; i++)
        series_free(&se[i]);
    return rc;
}

static int render(FILE *f, const void *arg, char *err, size_t errlen)
{
    const view_args_t *a = arg;
    return sweepview_render(f, a->sweeps, a->n, a->title, err, errlen);
}

int sweepview_write(const char *out_path, const sweep_t *const *sweeps, size_t n, const char *title,
                    char *err, size_t errlen)
{
    view_args_t a = {sweeps, n, title};
    return report_write_with(out_path, render, &a, err, errlen);
}
