/* cmptext — the comparison table for the terminal. */
#include "output/cmptext.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static void cell(char *buf, size_t len, double v, int decimals, bool sign)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (fabs(v) >= 1e12) /* a damaged or hand-edited file: keep the column readable */
        snprintf(buf, len, sign ? "%+.3g" : "%.3g", v);
    else
        snprintf(buf, len, sign ? "%+.*f" : "%.*f", decimals, v);
}

static double pct(double base, double opt)
{
    return base != 0 ? (opt - base) / base * 100.0 : NAN;
}

void cmptext_warn_inputs(FILE *f, const compare_t *c)
{
    if (c->inputs_identical)
        return;
    const char *db = c->base.inputs_digest, *dopt = c->opt.inputs_digest;
    fprintf(f,
            "\n"
            "!!! WARNING: the two runs did NOT send identical inputs !!!\n"
            "!!!   baseline  inputs_digest: %s\n"
            "!!!   optimized inputs_digest: %s\n"
            "!!! Latency and throughput differences may come from the inputs,\n"
            "!!! not from the client change. Compare runs made with the same --inputs.\n\n",
            db ? db : "(none recorded)", dopt ? dopt : "(none recorded)");
}

static void row(FILE *f, const char *label, double vb, double vo, int decimals, bool show_pct)
{
    char cb[32], co[32], cd[32], cp[32];
    cell(cb, sizeof cb, vb, decimals, false);
    cell(co, sizeof co, vo, decimals, false);
    cell(cd, sizeof cd, vo - vb, decimals, true);
    cell(cp, sizeof cp, show_pct ? pct(vb, vo) : NAN, 1, true);
    size_t used = strlen(cp);
    if (strcmp(cp, "-") && used + 1 < sizeof cp)
        snprintf(cp + used, sizeof cp - used, "%%");
    fprintf(f, "%-18s %14s %14s %14s %9s\n", label, cb, co, cd, cp);
}

static const char *source_words(compare_sla_source_t s)
{
    switch (s) {
    case COMPARE_SLA_OPTION:
        return "the --sla given";
    case COMPARE_SLA_RECORDED:
        return "the SLAs recorded in it";
    case COMPARE_SLA_DEFAULT:
        return "the default " COMPARE_DEFAULT_SLA ": it records none";
    case COMPARE_SLA_UNKNOWN:
        break;
    }
    return "as recorded in the comparison";
}

void cmptext_print(FILE *f, const compare_t *c)
{
    const compare_side_t *b = &c->base, *o = &c->opt;
    fprintf(f, "baseline:  %s\noptimized: %s\n\n", b->file ? b->file : "-",
            o->file ? o->file : "-");
    fprintf(f, "%-18s %14s %14s %14s %9s\n", "metric", "baseline", "optimized", "delta", "delta %");
    row(f, "requests", b->requests, o->requests, 0, true);
    row(f, "errors", b->errors, o->errors, 0, false);
    row(f, "error rate (%)", b->error_rate_pct, o->error_rate_pct, 2, false);
    row(f, "items", b->items, o->items, 0, true);
    row(f, "items/s", b->items_per_s, o->items_per_s, 1, true);
    row(f, "requests/s", b->requests_per_s, o->requests_per_s, 1, true);
    char label[40];
    for (int k = 0; k < METRIC_NUM_PCTS; k++) {
        if (!(metric_pcts[k].shown & METRIC_PCT_HEADLINE))
            continue;
        snprintf(label, sizeof label, "item %s (ms)", metric_pcts[k].label);
        row(f, label, b->item_ms[k], o->item_ms[k], 2, true);
    }
    row(f, "item max (ms)", b->max_ms, o->max_ms, 2, true);
    row(f, "item mean (ms)", b->mean_ms, o->mean_ms, 2, true);
    row(f, "request p95 (ms)", b->request_p95_ms, o->request_p95_ms, 2, true);
    row(f, "batch", b->batch, o->batch, 0, false);
    row(f, "connections", b->connections, o->connections, 0, false);
    fprintf(f, "\ninputs: %s\n", c->inputs_identical ? "identical" : "NOT identical (see warning)");
    if (b->client_limited > 0 || o->client_limited > 0)
        fprintf(f,
                "client limited: %s%s%s (the client fell behind its schedule: those figures are "
                "the client's, not the server's; see the run's self_check)\n",
                b->client_limited > 0 ? "baseline" : "",
                b->client_limited > 0 && o->client_limited > 0 ? " and " : "",
                o->client_limited > 0 ? "optimized" : "");
    if (c->nverdicts)
        fprintf(f, "SLA (judged on the optimized run, with %s):\n", source_words(c->sla_source));
    for (size_t i = 0; i < c->nverdicts; i++) {
        const sla_verdict_t *v = &c->verdicts[i];
        char cv[32];
        cell(cv, sizeof cv, v->value, 3, false);
        fprintf(f, "  %s  %-24s measured %s %s%s%s%s\n", v->pass ? "PASS" : "FAIL", v->sla.text, cv,
                !isfinite(v->value) ? "" : sla_unit(&v->sla), v->note[0] ? " (" : "", v->note,
                v->note[0] ? ")" : "");
    }
    fprintf(f, "verdict: %s\n", c->sla_pass ? "PASS" : "FAIL");
}
