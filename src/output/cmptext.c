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
    /* The same sequence, different spans of it: like for like item by item,
     * and what made the spans differ is the load model, not the inputs. */
    const char *stopped = compare_interrupted_words(c);
    if (c->inputs_same_source && c->base.items != c->opt.items && stopped) {
        fprintf(f,
                "\nnote: the two runs sent different numbers of items (baseline %.0f, "
                "optimized %.0f): %s interrupted\n\n",
                c->base.items, c->opt.items, stopped);
        return;
    }
    if (c->inputs_same_source && c->base.items != c->opt.items) {
        fprintf(f,
                "\nnote: the two runs sent different numbers of items (baseline %.0f, "
                "optimized %.0f)\n",
                c->base.items, c->opt.items);
        fputs("from the same inputs in the same order: item i is the same in both. A closed\n"
              "loop bounded by --duration sends as many items as the server answers in that\n"
              "time; --requests N sends the same N in both runs.\n\n",
              f);
        return;
    }
    if (c->inputs_same_source) {
        fputs("\nnote: the two runs sent items from the same inputs in the same order, but\n"
              "not the same ones: in a closed loop, --warmup (and each of --threads under\n"
              "--duration) sends as many items as the server answers. --requests N with no\n"
              "--warmup, or an open loop (--rate), sends identical inputs.\n\n",
              f);
        return;
    }
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

static void value(FILE *f, double v, const char *unit)
{
    char cv[32];
    cell(cv, sizeof cv, v, 2, false);
    fprintf(f, "%s%s%s", cv, isfinite(v) ? " " : "", isfinite(v) ? unit : "");
}

/* How a metric is worse, in the verdict's words: latencies "slower",
 * error_rate "higher", throughput "lower". */
static const char *worse_word(const regress_t *g)
{
    if (g->metric.metric == SLA_ERROR_RATE)
        return "higher";
    return regress_lower_is_better(&g->metric) ? "slower" : "lower";
}

/* The gates given (each), and the watches that found the optimized run worse. */
static void regress_lines(FILE *f, const compare_t *c)
{
    bool any = false;
    for (size_t i = 0; i < c->nregress; i++) {
        const regress_verdict_t *v = &c->regress[i];
        if (!v->gating && v->pass)
            continue;
        if (!any)
            fprintf(f, "regression (optimized vs baseline):\n");
        any = true;
        const char *unit = sla_unit(&v->gate.metric);
        char label[64];
        snprintf(label, sizeof label, "%s (no gate)", sla_metric_name(&v->gate.metric));
        fprintf(f, "  %s  %-24s baseline ", v->gating ? (v->pass ? "PASS" : "FAIL") : "NOTE",
                v->gating ? v->gate.text : label);
        value(f, v->base, unit);
        fputs(", optimized ", f);
        value(f, v->opt, unit);
        if (isfinite(v->change_pct))
            fprintf(f, ": %+.1f%%", v->change_pct);
        if (v->gating)
            fprintf(f, " (limit %+g%%)", v->gate.limit_pct);
        else
            fprintf(f, " %s; --max-regression %s=%s5%% would fail on it", worse_word(&v->gate),
                    sla_metric_name(&v->gate.metric),
                    regress_lower_is_better(&v->gate.metric) ? "+" : "-");
        if (v->note[0])
            fprintf(f, " (%s)", v->note);
        fputc('\n', f);
    }
}

/* "optimized p95 is 94.3% slower than baseline" for a watch that failed. */
static void worse(FILE *f, const regress_verdict_t *v)
{
    const char *name = sla_metric_name(&v->gate.metric);
    if (isfinite(v->change_pct))
        fprintf(f, "optimized %s is %.1f%% %s than baseline", name, fabs(v->change_pct),
                worse_word(&v->gate));
    else if (v->note[0])
        fprintf(f, "%s", v->note);
    else
        fprintf(f, "optimized %s is %s than baseline", name, worse_word(&v->gate));
}

void cmptext_verdict(FILE *f, const compare_t *c)
{
    fprintf(f, "%s (", c->pass ? "PASS" : "FAIL");
    const char *sep = "";
    if (c->nverdicts) {
        fprintf(f, "SLA %s", c->sla_pass ? "met" : "failed:");
        for (size_t i = 0, k = 0; !c->sla_pass && i < c->nverdicts; i++)
            if (!c->verdicts[i].pass)
                fprintf(f, "%s %s", k++ ? "," : "", c->verdicts[i].sla.text);
        sep = "; ";
    }
    size_t gates = 0, failed = 0;
    for (size_t i = 0; i < c->nregress; i++) {
        gates += c->regress[i].gating;
        failed += c->regress[i].gating && !c->regress[i].pass;
    }
    if (gates && !failed)
        fprintf(f, "%sno regression beyond --max-regression", sep);
    else if (failed)
        fprintf(f, "%sregression:", sep);
    for (size_t i = 0, k = 0; failed && i < c->nregress; i++) {
        const regress_verdict_t *v = &c->regress[i];
        if (!v->gating || v->pass)
            continue;
        fprintf(f, "%s %s", k++ ? "," : "", v->gate.text);
        if (isfinite(v->change_pct))
            fprintf(f, " measured %+.1f%%", v->change_pct);
    }
    if (gates)
        sep = "; ";
    if (compare_opt_all_failed(c)) {
        fprintf(f, "%s%s", sep,
                c->opt.requests ? "every request of the optimized run failed"
                                : "the optimized run made no request");
        sep = "; ";
    }
    const char *stopped = compare_interrupted_words(c);
    if (stopped)
        fprintf(f, "%s%s interrupted", sep, stopped);
    fputc(')', f);
    /* Slower without a gate: said plainly, whatever the verdict. */
    for (size_t i = 0, k = 0; i < c->nregress; i++) {
        const regress_verdict_t *v = &c->regress[i];
        if (v->gating || v->pass)
            continue;
        fputs(k++ ? "; " : c->pass ? ", but " : ", and ", f);
        worse(f, v);
    }
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
    /* --connections 0 is a pool with no bound, not "0 connections": the
     * bound is shown as words, what each run opened beside it. */
    char pb[32], po[32];
    cell(pb, sizeof pb, b->connections, 0, false);
    cell(po, sizeof po, o->connections, 0, false);
    fprintf(f, "%-18s %14s %14s %14s %9s\n", "connection pool",
            b->connections == 0 ? "no bound" : pb, o->connections == 0 ? "no bound" : po, "-", "-");
    row(f, "connections opened", b->connections_opened, o->connections_opened, 0, false);
    fprintf(f, "\ninputs: %s\n",
            c->inputs_identical     ? "identical"
            : c->inputs_same_source ? "the same sequence, not the same items (see the note)"
                                    : "NOT identical (see warning)");
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
    regress_lines(f, c);
    fputs("verdict: ", f);
    cmptext_verdict(f, c);
    fputc('\n', f);
}
