/* llmcharts — the charts of streamed runs, from each run's histograms and
 * timeline, drawn with the svg primitives the other charts use. */
#include "output/llmcharts.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/svg.h"
#include "stats/hist.h"

#define CHART_W 1000
#define SLA_COLOR "#d62728"
#define SLA_DASH "8,5"
#define MAX_TICKS 24
#define MAX_SLAS 8
#define PCT_STEP 0.02 /* percentile curve sampling, in log10(1/(1-p)) */
#define PCT_POINTS (6 * 50 + 2)
#define ITL_BINS_PER_DECADE 5
#define ITL_MAX_BINS 80
#define ITL_FLOOR_MS 0.001 /* gaps below 1 us (events in one read) go in the first bin */

static const svg_axes_t plot = {.left = 80, .top = 90, .width = 880, .height = 300};

static bool streamed(const report_run_t *run)
{
    return runstats_streamed(&run->r->stats);
}

/* One legend row: the runs that have something in this chart, then the
 * SLA lines. */
static void legend(FILE *f, const report_run_t *runs, size_t n, const bool *shown,
                   const char (*sla)[112], size_t nsla)
{
    svg_legend_entry_t e[32];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 24; i++)
        if (shown[i])
            e[k++] = (svg_legend_entry_t){runs[i].label, runs[i].color, "box"};
    for (size_t i = 0; i < nsla && k < 32; i++)
        e[k++] = (svg_legend_entry_t){sla[i], SLA_COLOR, SLA_DASH};
    svg_legend(f, 80, 52, CHART_W - 20, e, k);
}

/* The latency SLAs on metric m of any run, as dashed lines (once each). */
static size_t sla_lines(const report_run_t *runs, size_t n, metric_id_t m, char (*label)[112],
                        double *ms, double *pct)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t v = 0; v < runs[i].nverdicts && k < MAX_SLAS; v++) {
            const sla_t *s = &runs[i].verdicts[v].sla;
            if ((s->metric != SLA_LATENCY_PCT && s->metric != SLA_LATENCY_MEAN) || s->latency != m)
                continue;
            char text[112];
            snprintf(text, sizeof text, "SLA %s", s->text);
            bool dup = false;
            for (size_t j = 0; j < k; j++)
                dup = dup || !strcmp(label[j], text);
            if (dup)
                continue;
            memcpy(label[k], text, sizeof text);
            ms[k] = s->threshold;
            pct[k] = s->metric == SLA_LATENCY_PCT ? s->percentile : NAN;
            k++;
        }
    }
    return k;
}

/* Metric m of every streamed run by percentile, as the latency chart draws
 * item latency: x = log10(1 / (1 - p)). */
static void pct_chart(FILE *f, const report_run_t *runs, size_t n, metric_id_t m, const char *id,
                      const char *title, int xmax, double *xs, double *ys)
{
    static const char *const names[] = {"0%",     "90%",     "99%",     "99.9%",
                                        "99.99%", "99.999%", "99.9999%"};
    char sla[MAX_SLAS][112];
    double sla_ms[MAX_SLAS], sla_pct[MAX_SLAS], top = 0, yt[MAX_TICKS], xt[8];
    size_t nsla = sla_lines(runs, n, m, sla, sla_ms, sla_pct), npts[16] = {0};
    bool shown[16] = {false}, any = false;
    for (size_t i = 0; i < n && i < 16; i++) {
        const hist_t *h = runs[i].r->stats.hist[m];
        if (!streamed(&runs[i]) || !h || !hist_count(h))
            continue;
        double *x = xs + i * PCT_POINTS, *y = ys + i * PCT_POINTS;
        size_t k = 0;
        for (double v = 0; v <= xmax + 1e-9 && k < PCT_POINTS; v += PCT_STEP, k++) {
            x[k] = v;
            y[k] = (double)hist_percentile(h, 100 * (1 - pow(10, -v))) / 1e6;
            top = y[k] > top ? y[k] : top;
        }
        npts[i] = k;
        shown[i] = any = true;
    }
    for (size_t i = 0; i < nsla; i++)
        top = sla_ms[i] * 1.08 > top ? sla_ms[i] * 1.08 : top;
    svg_begin(f, id, CHART_W, 470, title);
    svg_axes_t a = plot;
    a.xmin = 0;
    a.xmax = xmax;
    size_t ny = svg_y_from_zero(&a, top, yt, MAX_TICKS);
    for (int i = 0; i <= xmax; i++)
        xt[i] = i;
    svg_axes_draw(f, &a, xt, names, (size_t)xmax + 1, yt, ny, "percentile (log scale of 1/(1-p))",
                  "ms");
    legend(f, runs, n, shown, sla, nsla);
    for (size_t i = 0; i < nsla; i++)
        svg_hline(f, &a, sla_ms[i], SLA_COLOR, SLA_DASH, sla[i]);
    for (size_t i = 0; i < n && i < 16; i++)
        if (shown[i])
            svg_polyline(f, &a, xs + i * PCT_POINTS, ys + i * PCT_POINTS, npts[i], runs[i].color,
                         2.5, NULL);
    if (!any)
        svg_note(f, &a,
                 m == METRIC_TPOT ? "no answer had 2 or more tokens in 2 or more events"
                                  : "no successful streamed answer carried a token");
    svg_end(f);
}

/* Inter-token gaps of every streamed run: the share of its gaps in each bin,
 * bins equal on a log scale of ms (ITL_BINS_PER_DECADE a decade). */
static void itl_chart(FILE *f, const report_run_t *runs, size_t n)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    bool shown[16] = {false};
    size_t nshown = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        const hist_t *h = runs[i].r->stats.hist[METRIC_ITL];
        if (!streamed(&runs[i]) || !h || !hist_count(h))
            continue;
        shown[i] = true;
        nshown++;
        lo = hist_min(h) < lo ? hist_min(h) : lo;
        hi = hist_max(h) > hi ? hist_max(h) : hi;
    }
    svg_begin(f, "chart-itl", CHART_W, 470,
              "Inter-token latency: share of the gaps between token events");
    svg_axes_t a = plot;
    double x0 = 0, x1 = 1, yt[MAX_TICKS], xt[MAX_TICKS];
    if (nshown) {
        double lo_ms = (double)lo / 1e6, hi_ms = (double)hi / 1e6;
        x0 = floor(log10(lo_ms > ITL_FLOOR_MS ? lo_ms : ITL_FLOOR_MS));
        x1 = ceil(log10(hi_ms > ITL_FLOOR_MS ? hi_ms : ITL_FLOOR_MS) + 1e-12);
        if (x1 <= x0)
            x1 = x0 + 1;
        if ((x1 - x0) * ITL_BINS_PER_DECADE > ITL_MAX_BINS)
            x0 = x1 - (double)ITL_MAX_BINS / ITL_BINS_PER_DECADE;
    }
    size_t nbins = (size_t)llround((x1 - x0) * ITL_BINS_PER_DECADE);
    double share[16][ITL_MAX_BINS] = {{0}}, top = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        if (!shown[i])
            continue;
        const hist_t *h = runs[i].r->stats.hist[METRIC_ITL];
        double total = (double)hist_count(h);
        uint64_t below = 0;
        for (size_t b = 0; b < nbins; b++) {
            double edge_ms = pow(10, x0 + (double)(b + 1) / ITL_BINS_PER_DECADE);
            uint64_t upto =
                b + 1 == nbins ? hist_count(h) : hist_count_at_most(h, (uint64_t)(edge_ms * 1e6));
            share[i][b] = (double)(upto - below) * 100 / total;
            below = upto;
            top = share[i][b] > top ? share[i][b] : top;
        }
    }
    a.xmin = x0;
    a.xmax = x1;
    size_t ny = svg_y_from_zero(&a, top * 1.05, yt, MAX_TICKS), nx = 0;
    char labels[MAX_TICKS][32];
    const char *xl[MAX_TICKS];
    for (double d = x0; d <= x1 + 1e-9 && nx < MAX_TICKS; d += 1, nx++) {
        xt[nx] = d;
        svg_fmt_num(labels[nx], sizeof labels[nx], pow(10, d));
        xl[nx] = labels[nx];
    }
    svg_axes_draw(f, &a, xt, xl, nx, yt, ny, "gap between token events (ms, log scale)",
                  "% of gaps");
    legend(f, runs, n, shown, NULL, 0);
    double bw = a.width / (double)(nbins ? nbins : 1), w = bw * 0.8 / (double)(nshown ? nshown : 1);
    for (size_t i = 0, k = 0; i < n && i < 16; i++) {
        if (!shown[i])
            continue;
        for (size_t b = 0; b < nbins; b++) {
            if (share[i][b] <= 0)
                continue;
            double y = svg_y(&a, share[i][b]);
            svg_rect(f, a.left + bw * (double)b + bw * 0.1 + w * (double)k, y, w,
                     a.top + a.height - y, runs[i].color);
        }
        k++;
    }
    if (!nshown)
        svg_note(f, &a, "no answer had two token events: no gap to show");
    svg_end(f);
}

/* Output tokens of every streamed run per second of its timeline. */
static void tokens_chart(FILE *f, const report_run_t *runs, size_t n, double *xs, double *ys)
{
    double top = 0, tmax = 1, yt[MAX_TICKS], xt[MAX_TICKS], nice_hi;
    bool shown[16] = {false}, any = false;
    size_t off = 0, at[16] = {0};
    for (size_t i = 0; i < n && i < 16; i++) {
        const runstats_t *rs = &runs[i].r->stats;
        at[i] = off;
        if (!streamed(&runs[i]))
            continue;
        for (size_t s = 0; s < rs->nseconds; s++) {
            xs[off + s] = (double)s;
            ys[off + s] = (double)rs->seconds[s].tokens_out;
            top = ys[off + s] > top ? ys[off + s] : top;
        }
        tmax = (double)rs->nseconds > tmax ? (double)rs->nseconds : tmax;
        off += rs->nseconds;
        shown[i] = true;
        any = any || rs->tokens_out > 0;
    }
    svg_begin(f, "chart-tokens-time", CHART_W, 470, "Output tokens per second");
    svg_axes_t a = plot;
    size_t ny = svg_y_from_zero(&a, top * 1.05, yt, MAX_TICKS);
    size_t nx = svg_nice_ticks(0, tmax, 10, xt, MAX_TICKS, &nice_hi);
    a.xmin = 0;
    a.xmax = nice_hi;
    svg_axes_draw(f, &a, xt, NULL, nx, yt, ny, "time since start of measurement (s)",
                  "output tokens/s");
    legend(f, runs, n, shown, NULL, 0);
    for (size_t i = 0; i < n && i < 16; i++)
        if (shown[i])
            svg_polyline(f, &a, xs + at[i], ys + at[i], runs[i].r->stats.nseconds, runs[i].color,
                         2.5, NULL);
    if (!any)
        svg_note(f, &a, "no output token from a successful request");
    svg_end(f);
}

int llmcharts_section(FILE *f, const report_run_t *runs, size_t n, int xmax)
{
    bool any = false;
    size_t seconds = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        any = any || streamed(&runs[i]);
        seconds += runs[i].r->stats.nseconds;
    }
    if (!any)
        return 0;
    if (xmax < 1)
        xmax = 1;
    if (xmax > 6)
        xmax = 6;
    size_t need = 2 * (16 * PCT_POINTS > seconds ? 16 * PCT_POINTS : seconds + 1);
    double *buf = malloc(need * sizeof *buf);
    if (!buf)
        return ENOMEM;
    double *xs = buf, *ys = buf + need / 2;
    fputs("<h2>Streaming</h2>\n<p>", f);
    svg_escape(f, "Token timing of streamed answers. ttft: from the moment a request should have "
                  "been sent to its first token-bearing event. tpot: (last - first token event) / "
                  "(output tokens - 1). itl: every gap between two token-bearing events. Output "
                  "tokens are placed in time as tpot describes them. Dashed red lines are SLAs on "
                  "the metric.");
    fputs("</p>\n", f);
    pct_chart(f, runs, n, METRIC_TTFT, "chart-ttft", "Time to first token by percentile", xmax, xs,
              ys);
    pct_chart(f, runs, n, METRIC_TPOT, "chart-tpot", "Time per output token by percentile", xmax,
              xs, ys);
    itl_chart(f, runs, n);
    tokens_chart(f, runs, n, xs, ys);
    free(buf);
    return 0;
}
