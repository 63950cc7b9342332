/* cmpview — the comparison part of the HTML report. */
#include "output/cmpview.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/cmptext.h"
#include "output/svg.h"

/* The regression verdict: red when a --max-regression gate failed or the
 * optimized run is worse than the baseline without a gate (an SLA that
 * passes says nothing about that), green when every gate given passed,
 * nothing when there is neither. Returns whether it is red. */
static bool regression_banner(FILE *f, const compare_t *c)
{
    size_t gates = 0;
    bool red = false;
    for (size_t i = 0; i < c->nregress; i++) {
        gates += c->regress[i].gating;
        red = red || !c->regress[i].pass;
    }
    if (!gates && !red)
        return false;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        cmptext_verdict(m, c);
        fclose(m);
    }
    fprintf(f, "<div class=\"verdict %s\" id=\"regression\">", red ? "fail" : "pass");
    svg_escapef(f, "%s", text ? text : (red ? "regression" : "no regression"));
    free(text);
    fputs("<small>", f);
    char b[64], o[64], p[64];
    for (size_t i = 0, k = 0; i < c->nregress; i++) {
        const regress_verdict_t *v = &c->regress[i];
        if (!v->gating && v->pass)
            continue;
        const char *unit = sla_unit(&v->gate.metric);
        svg_escapef(f, "%s%s: baseline %s %s, optimized %s %s, %s%s%% (%s)",
                    k++ ? " \xc2\xb7 " : "",
                    v->gating ? v->gate.text : sla_metric_name(&v->gate.metric),
                    isfinite(v->base) ? svg_fmt_num(b, sizeof b, v->base) : "-", unit,
                    isfinite(v->opt) ? svg_fmt_num(o, sizeof o, v->opt) : "-", unit,
                    isfinite(v->change_pct) && v->change_pct > 0 ? "+" : "",
                    isfinite(v->change_pct) ? svg_fmt_fixed(p, sizeof p, v->change_pct, 1) : "-",
                    v->gating ? (v->pass ? "pass" : "fail") : "no gate");
    }
    fputs("</small></div>\n", f);
    return red;
}

void cmpview_head(FILE *f, const compare_t *c, const chart_sla_t *lines, size_t nlines)
{
    char buf[64], buf2[64], verdict[160] = "";
    size_t ns = c->nverdicts;
    bool pass = c->sla_pass;
    fputs("<section id=\"comparison\">\n<h2>Baseline vs optimized</h2>\n", f);
    if (ns) {
        if (ns == 1)
            snprintf(verdict, sizeof verdict, "%s: %s", c->verdicts[0].sla.text,
                     pass ? "PASS" : "FAIL");
        else
            snprintf(verdict, sizeof verdict, "SLA: %s", pass ? "PASS" : "FAIL");
        fprintf(f, "<div class=\"verdict %s\">", pass ? "pass" : "fail");
        svg_escapef(f, "optimized %s", verdict);
        fputs("<small>", f);
        for (size_t i = 0; i < ns; i++) {
            const sla_verdict_t *v = &c->verdicts[i];
            svg_escapef(f, "%s%s: measured %s %s (%s)", i ? " \xc2\xb7 " : "", v->sla.text,
                        isfinite(v->value) ? svg_fmt_num(buf, sizeof buf, v->value) : "-",
                        sla_unit(&v->sla), v->pass ? "pass" : "fail");
        }
        fputs("</small></div>\n", f);
    }
    bool worse = regression_banner(f, c);
    int p95 = metric_pct_index(95);
    double d95 = c->delta.item_pct[p95], dips = c->delta.items_per_s_pct;
    fprintf(f, "<div class=\"verdict %s\">", isfinite(d95) && d95 > 0 ? "fail" : "none");
    svg_escapef(f, "%s %s%s%% \xc2\xb7 items/s %s%s%%", metric_pcts[p95].label,
                isfinite(d95) && d95 > 0 ? "+" : "",
                isfinite(d95) ? svg_fmt_fixed(buf, sizeof buf, d95, 1) : "-",
                isfinite(dips) && dips > 0 ? "+" : "",
                isfinite(dips) ? svg_fmt_fixed(buf2, sizeof buf2, dips, 1) : "-");
    fputs("</div>\n", f);
    if (!c->inputs_identical && c->inputs_same_source) {
        fputs("<p class=\"note\">", f);
        svg_escapef(f,
                    "The two runs sent items from the same inputs in the same order (item i is "
                    "the same in both), %.0f and %.0f of them: a closed loop bounded by "
                    "--duration sends as many as the server answers, and --warmup moves where "
                    "the measured ones start.",
                    c->base.items, c->opt.items);
        fputs("</p>\n", f);
    } else if (!c->inputs_identical) {
        fputs("<p class=\"note bad\">The two runs did not send the same inputs (their digests "
              "differ or are unknown): this comparison is not like for like.</p>\n",
              f);
    }
    chart_bar_group_t g[METRIC_NUM_PCTS];
    size_t ng = 0;
    for (int k = 0; k < METRIC_NUM_PCTS; k++)
        if (metric_pcts[k].shown & METRIC_PCT_BRIEF)
            g[ng++] = (chart_bar_group_t){metric_pcts[k].label, c->base.item_ms[k],
                                          c->opt.item_ms[k], c->delta.item_pct[k]};
    /* The chart's verdict is the whole one: green only when nothing is worse. */
    if (ns && worse && pass)
        snprintf(verdict, sizeof verdict, "%s",
                 c->pass ? "SLA met, but slower" : "FAIL: regression");
    chart_comparison(f, "baseline", "optimized", g, ng, lines, nlines, ns ? verdict : NULL,
                     pass && !worse);
    fputs("</section>\n", f);
}

/* One row: a headline number of both runs, its change and relative change
 * (NULL where the comparison does not give one). decimals -1: latency. */
/* --connections 0 is a pool with no bound, not "0 connections". */
static void pool_row(FILE *f, double b, double o)
{
    char buf[64];
    fputs("<tr><td>connection pool</td>", f);
    double side[2] = {b, o};
    for (int s = 0; s < 2; s++) {
        fputs("<td>", f);
        svg_escape(f, side[s] == 0 ? "no bound" : svg_fmt_fixed(buf, sizeof buf, side[s], 0));
        fputs("</td>", f);
    }
    fputs("<td></td><td></td></tr>\n", f);
}

static void row(FILE *f, const char *name, double b, double o, const double *delta,
                const double *delta_pct, int decimals)
{
    char buf[64];
    fputs("<tr><td>", f);
    svg_escape(f, name);
    fputs("</td>", f);
    double side[2] = {b, o};
    for (int s = 0; s < 2; s++) {
        fputs("<td>", f);
        svg_escape(f, decimals < 0
                          ? (isfinite(side[s]) ? svg_fmt_num(buf, sizeof buf, side[s]) : "-")
                          : svg_fmt_fixed(buf, sizeof buf, side[s], decimals));
        fputs("</td>", f);
    }
    const double *d[2] = {delta, delta_pct};
    for (int k = 0; k < 2; k++) {
        fputs("<td>", f);
        if (d[k]) {
            int dec = k == 1 || decimals < 0 ? 1 : decimals;
            svg_escapef(f, "%s%s", isfinite(*d[k]) && *d[k] > 0 ? "+" : "",
                        svg_fmt_fixed(buf, sizeof buf, *d[k], dec));
        }
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

void cmpview_table(FILE *f, const compare_t *c)
{
    const compare_side_t *b = &c->base, *o = &c->opt;
    const compare_delta_t *d = &c->delta;
    fputs("<h2>Baseline vs optimized: the numbers</h2>\n", f);
    fputs("<table id=\"comparison-table\"><thead><tr><th></th><th>baseline</th>"
          "<th>optimized</th><th>change</th><th>change (%)</th></tr></thead><tbody>\n",
          f);
    row(f, "requests", b->requests, o->requests, NULL, NULL, 0);
    row(f, "ok", b->ok, o->ok, NULL, NULL, 0);
    row(f, "errors", b->errors, o->errors, NULL, NULL, 0);
    row(f, "error rate (%)", b->error_rate_pct, o->error_rate_pct, &d->error_rate_pct_points, NULL,
        2);
    row(f, "items", b->items, o->items, NULL, NULL, 0);
    row(f, "items/s", b->items_per_s, o->items_per_s, &d->items_per_s, &d->items_per_s_pct, 1);
    row(f, "requests/s", b->requests_per_s, o->requests_per_s, NULL, &d->requests_per_s_pct, 1);
    for (int k = 0; k < METRIC_NUM_PCTS; k++) {
        if (!(metric_pcts[k].shown & METRIC_PCT_HEADLINE))
            continue;
        bool brief = metric_pcts[k].shown & METRIC_PCT_BRIEF;
        char name[32];
        snprintf(name, sizeof name, "%s (ms)", metric_pcts[k].label);
        row(f, name, b->item_ms[k], o->item_ms[k], brief ? &d->item_ms[k] : NULL,
            brief ? &d->item_pct[k] : NULL, -1);
    }
    row(f, "max (ms)", b->max_ms, o->max_ms, &d->max_ms, NULL, -1);
    row(f, "mean (ms)", b->mean_ms, o->mean_ms, NULL, NULL, -1);
    row(f, "request p95 (ms)", b->request_p95_ms, o->request_p95_ms, NULL, NULL, -1);
    row(f, "batch", b->batch, o->batch, NULL, NULL, 0);
    pool_row(f, b->connections, o->connections);
    row(f, "connections opened", b->connections_opened, o->connections_opened, NULL, NULL, 0);
    fputs("</tbody></table>\n", f);
    if (b->file || o->file) {
        fputs("<p>", f);
        svg_escapef(f, "baseline: %s; optimized: %s", b->file ? b->file : "-",
                    o->file ? o->file : "-");
        fputs("</p>\n", f);
    }
}
