/* charts — the report's four charts as inline SVG. */
#include "output/charts.h"

#include <math.h>
#include <string.h>

#include "output/svg.h"

#define CHART_W 1000
#define SLA_COLOR "#d62728"
#define SLA_DASH "8,5"
#define STYLE_GREY "#555"
#define MAX_TICKS 24

#define DASH_P50 "2,3"
#define DASH_P99 "7,4"
#define DASH_REQUEST "6,4"
#define DASH_ERRORS "5,4"
#define DASH_ITEMS "2,3"
#define DASH_OFFERED "1,5"

static void range_of(const double *v, size_t n, double *max)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > *max)
            *max = v[i];
}

static double sla_top(const chart_sla_t *slas, size_t nsla, double top)
{
    for (size_t i = 0; i < nsla; i++)
        if (isfinite(slas[i].ms) && slas[i].ms * 1.08 > top)
            top = slas[i].ms * 1.08;
    return top;
}

static void draw_slas(FILE *f, const svg_axes_t *a, const chart_sla_t *slas, size_t nsla)
{
    for (size_t i = 0; i < nsla; i++)
        if (isfinite(slas[i].ms))
            svg_hline(f, a, slas[i].ms, SLA_COLOR, SLA_DASH, slas[i].label);
}

/* Legend entries: one per run (colour), then the line styles, then the SLAs. */
static void legend(FILE *f, const chart_run_t *runs, size_t n, const svg_legend_entry_t *styles,
                   size_t nstyles, const chart_sla_t *slas, size_t nsla, double y)
{
    svg_legend_entry_t e[32];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 16; i++)
        e[k++] = (svg_legend_entry_t){runs[i].label, runs[i].color, "box"};
    for (size_t i = 0; i < nstyles && k < 24; i++)
        e[k++] = styles[i];
    for (size_t i = 0; i < nsla && k < 32; i++)
        if (isfinite(slas[i].ms))
            e[k++] = (svg_legend_entry_t){slas[i].label, SLA_COLOR, SLA_DASH};
    svg_legend(f, 80, y, CHART_W - 20, e, k);
}

void chart_percentiles(FILE *f, const chart_run_t *runs, size_t n, const chart_sla_t *slas,
                       size_t nsla, int xmax, const char *empty_note)
{
    static const char *const names[] = {"0%",     "90%",     "99%",     "99.9%",
                                        "99.99%", "99.999%", "99.9999%"};
    if (xmax < 1)
        xmax = 1;
    if (xmax > 6)
        xmax = 6;
    svg_begin(f, "chart-percentiles", CHART_W, 470,
              "Latency by percentile (item latency; request latency dashed)");
    svg_axes_t a = {.left = 80, .top = 90, .width = 880, .height = 300, .xmin = 0, .xmax = xmax};
    double top = 0, yt[MAX_TICKS], xt[8];
    bool any = false, any_request = false;
    for (size_t i = 0; i < n; i++) {
        range_of(runs[i].pct_item_ms, runs[i].npct, &top);
        range_of(runs[i].pct_request_ms, runs[i].npct, &top);
        any |= runs[i].npct > 0;
        any_request |= runs[i].pct_request_ms != NULL;
    }
    size_t ny = svg_y_from_zero(&a, sla_top(slas, nsla, top), yt, MAX_TICKS);
    for (int i = 0; i <= xmax; i++)
        xt[i] = i;
    svg_axes_draw(f, &a, xt, names, (size_t)xmax + 1, yt, ny, "percentile (log scale of 1/(1-p))",
                  "latency (ms)");
    svg_legend_entry_t styles[] = {{"item latency", STYLE_GREY, NULL},
                                   {"request latency", STYLE_GREY, DASH_REQUEST}};
    legend(f, runs, n, styles, any_request ? 2 : 0, slas, nsla, 52);
    /* Where each percentile SLA applies on the x axis. */
    for (size_t i = 0; i < nsla; i++) {
        double p = slas[i].pct;
        if (!isfinite(p) || p <= 0 || p >= 100 || !isfinite(slas[i].ms))
            continue;
        double x = log10(1 / (1 - p / 100));
        if (x > xmax)
            continue;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" SLA_COLOR
                "\" stroke-width=\"1\" stroke-dasharray=\"2,4\" opacity=\"0.7\"/>\n",
                svg_x(&a, x), a.top, svg_x(&a, x), a.top + a.height);
    }
    draw_slas(f, &a, slas, nsla);
    for (size_t i = 0; i < n; i++) {
        if (runs[i].pct_request_ms)
            svg_polyline(f, &a, runs[i].pct_x, runs[i].pct_request_ms, runs[i].npct, runs[i].color,
                         1.5, DASH_REQUEST);
        svg_polyline(f, &a, runs[i].pct_x, runs[i].pct_item_ms, runs[i].npct, runs[i].color, 2.5,
                     NULL);
    }
    if (!any)
        svg_note(f, &a, empty_note ? empty_note : "no successful requests: nothing to plot");
    svg_end(f);
}

void chart_latency_time(FILE *f, const chart_run_t *runs, size_t n, const chart_sla_t *slas,
                        size_t nsla, const char *empty_note)
{
    svg_begin(f, "chart-latency-time", CHART_W, 470,
              "Item latency over time (p50, p95, p99 per second)");
    svg_axes_t a = {.left = 80, .top = 90, .width = 880, .height = 300};
    double top = 0, tmax = 1, yt[MAX_TICKS], xt[MAX_TICKS], nice_hi;
    bool any = false;
    /* One line style per brief percentile, in order: low dotted, middle solid
     * and thick, high dashed. */
    static const char *const dashes[] = {DASH_P50, NULL, DASH_P99};
    static const double widths[] = {1.5, 2.5, 1.5};
    size_t line_of[METRIC_NUM_PCTS], nlines = 0;
    svg_legend_entry_t styles[3];
    for (size_t k = 0; k < METRIC_NUM_PCTS && nlines < 3; k++)
        if (metric_pcts[k].shown & METRIC_PCT_BRIEF) {
            styles[nlines] = (svg_legend_entry_t){metric_pcts[k].label, STYLE_GREY, dashes[nlines]};
            line_of[nlines++] = k;
        }
    for (size_t i = 0; i < n; i++) {
        for (size_t l = 0; l < nlines; l++) {
            const double *v = runs[i].t_pct[line_of[l]];
            range_of(v, runs[i].nt, &top);
            for (size_t k = 0; v && k < runs[i].nt; k++)
                any |= isfinite(v[k]);
        }
        range_of(runs[i].t_sec, runs[i].nt, &tmax);
    }
    size_t ny = svg_y_from_zero(&a, sla_top(slas, nsla, top), yt, MAX_TICKS);
    size_t nx = svg_nice_ticks(0, tmax, 10, xt, MAX_TICKS, &nice_hi);
    a.xmin = 0;
    a.xmax = nice_hi;
    svg_axes_draw(f, &a, xt, NULL, nx, yt, ny, "time since start of measurement (s)",
                  "latency (ms)");
    legend(f, runs, n, styles, nlines, slas, nsla, 52);
    draw_slas(f, &a, slas, nsla);
    for (size_t i = 0; i < n; i++) {
        const chart_run_t *r = &runs[i];
        for (size_t l = nlines; l-- > 0;) /* the thick middle one last, on top */
            if (l != 1)
                svg_polyline(f, &a, r->t_sec, r->t_pct[line_of[l]], r->nt, r->color, widths[l],
                             dashes[l]);
        if (nlines > 1)
            svg_polyline(f, &a, r->t_sec, r->t_pct[line_of[1]], r->nt, r->color, widths[1],
                         dashes[1]);
    }
    if (!any)
        svg_note(f, &a, empty_note ? empty_note : "no successful requests: nothing to plot");
    svg_end(f);
}

/* Served throughput as it happened (by completion time, so a server that
 * falls behind shows below what was offered), with the offered rate as a
 * dotted line of its own. */
void chart_throughput(FILE *f, const chart_run_t *runs, size_t n)
{
    bool by_intended = false;
    for (size_t i = 0; i < n; i++)
        by_intended |= runs[i].by_intended;
    svg_begin(f, "chart-throughput", CHART_W, 470,
              by_intended ? "Throughput and errors over time (per second of intended send time: "
                            "the results hold no completion counts)"
                          : "Throughput over time: served per second as completed, and offered");
    svg_axes_t a = {.left = 80, .top = 90, .width = 880, .height = 300};
    double top = 0, tmax = 1, yt[MAX_TICKS], xt[MAX_TICKS], nice_hi;
    bool any_items = false, any = false, any_offered = false;
    for (size_t i = 0; i < n; i++) {
        range_of(runs[i].t_rps, runs[i].nt, &top);
        range_of(runs[i].t_eps, runs[i].nt, &top);
        range_of(runs[i].t_ips, runs[i].nt, &top);
        range_of(runs[i].t_sec, runs[i].nt, &tmax);
        if (isfinite(runs[i].offered_ips) && runs[i].offered_s > 0) {
            range_of(&runs[i].offered_ips, 1, &top);
            range_of(&runs[i].offered_s, 1, &tmax);
            any_offered = true;
        }
        any_items |= runs[i].t_ips != NULL;
        any |= runs[i].nt > 0;
    }
    size_t ny = svg_y_from_zero(&a, top * 1.05, yt, MAX_TICKS);
    size_t nx = svg_nice_ticks(0, tmax, 10, xt, MAX_TICKS, &nice_hi);
    a.xmin = 0;
    a.xmax = nice_hi;
    svg_axes_draw(f, &a, xt, NULL, nx, yt, ny, "time since start of measurement (s)", "per second");
    svg_legend_entry_t styles[4];
    size_t ns = 0;
    styles[ns++] =
        (svg_legend_entry_t){by_intended ? "requests/s" : "served requests/s", STYLE_GREY, NULL};
    styles[ns++] = (svg_legend_entry_t){"errors/s", STYLE_GREY, DASH_ERRORS};
    if (any_items)
        styles[ns++] = (svg_legend_entry_t){by_intended ? "items/s" : "served items/s", STYLE_GREY,
                                            DASH_ITEMS};
    if (any_offered)
        styles[ns++] = (svg_legend_entry_t){"offered items/s", STYLE_GREY, DASH_OFFERED};
    legend(f, runs, n, styles, ns, NULL, 0, 52);
    for (size_t i = 0; i < n; i++) {
        const chart_run_t *r = &runs[i];
        if (isfinite(r->offered_ips) && r->offered_s > 0) {
            const double ox[2] = {0, r->offered_s}, oy[2] = {r->offered_ips, r->offered_ips};
            svg_polyline(f, &a, ox, oy, 2, r->color, 2, DASH_OFFERED);
        }
        if (r->t_ips)
            svg_polyline(f, &a, r->t_sec, r->t_ips, r->nt, r->color, 1.5, DASH_ITEMS);
        svg_polyline(f, &a, r->t_sec, r->t_eps, r->nt, r->color, 1.5, DASH_ERRORS);
        svg_polyline(f, &a, r->t_sec, r->t_rps, r->nt, r->color, 2.5, NULL);
    }
    if (!any)
        svg_note(f, &a, "no timeline recorded");
    svg_end(f);
}

void chart_comparison(FILE *f, const char *base_label, const char *opt_label,
                      const chart_bar_group_t *g, size_t ng, const chart_sla_t *slas, size_t nsla,
                      const char *verdict, bool pass)
{
    static const char base_color[] = "#1f77b4", opt_color[] = "#ff7f0e";
    char num[64], text[128];
    svg_begin(f, "chart-comparison", CHART_W, 470, "Baseline vs optimized: item latency");
    if (verdict)
        svg_text(f, CHART_W - 20, 34, "end", 26, true, pass ? "#1a7f37" : SLA_COLOR, verdict);
    svg_axes_t a = {.left = 80, .top = 90, .width = 880, .height = 280, .xmin = 0, .xmax = 1};
    double top = 0, yt[MAX_TICKS];
    for (size_t i = 0; i < ng; i++) {
        if (isfinite(g[i].base_ms) && g[i].base_ms > top)
            top = g[i].base_ms;
        if (isfinite(g[i].opt_ms) && g[i].opt_ms > top)
            top = g[i].opt_ms;
    }
    size_t ny = svg_y_from_zero(&a, sla_top(slas, nsla, top * 1.12), yt, MAX_TICKS);
    svg_axes_draw(f, &a, NULL, NULL, 0, yt, ny, NULL, "latency (ms)");
    svg_legend_entry_t e[2 + 8];
    size_t k = 0;
    e[k++] = (svg_legend_entry_t){base_label, base_color, "box"};
    e[k++] = (svg_legend_entry_t){opt_label, opt_color, "box"};
    for (size_t i = 0; i < nsla && k < 10; i++)
        if (isfinite(slas[i].ms))
            e[k++] = (svg_legend_entry_t){slas[i].label, SLA_COLOR, SLA_DASH};
    svg_legend(f, 80, 64, CHART_W - 20, e, k);
    double gw = a.width / (double)(ng ? ng : 1), bw = gw * 0.28;
    double base_y = a.top + a.height;
    for (size_t i = 0; i < ng; i++) {
        double cx = a.left + gw * ((double)i + 0.5);
        const double v[2] = {g[i].base_ms, g[i].opt_ms};
        const char *col[2] = {base_color, opt_color};
        for (int b = 0; b < 2; b++) {
            double x = b == 0 ? cx - bw - 4 : cx + 4;
            if (!isfinite(v[b])) {
                svg_text(f, x + bw / 2, base_y - 6, "middle", 12, false, "#777", "n/a");
                continue;
            }
            double y = svg_y(&a, v[b]);
            svg_rect(f, x, y, bw, base_y - y, col[b]);
            snprintf(text, sizeof text, "%s ms", svg_fmt_num(num, sizeof num, v[b]));
            svg_text(f, x + bw / 2, y - 6, "middle", 13, true, "#222", text);
        }
        svg_text(f, cx, base_y + 22, "middle", 15, true, "#222", g[i].name);
        if (isfinite(g[i].delta_pct)) {
            snprintf(text, sizeof text, "%+.1f%%", g[i].delta_pct);
            /* Lower latency is better. */
            svg_text(f, cx, base_y + 48, "middle", 20, true,
                     g[i].delta_pct <= 0 ? "#1a7f37" : SLA_COLOR, text);
        }
    }
    draw_slas(f, &a, slas, nsla);
    svg_end(f);
}
