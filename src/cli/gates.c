/* gates — failed gates on stderr, and --max-regression's parsing. */
#include "cli/gates.h"

#include <math.h>
#include <string.h>

#include "load/target.h"

int gates_check_regress(const char *v, char *why, size_t len)
{
    regress_t g;
    return regress_parse(v, &g, why, len) ? -1 : 0;
}

size_t gates_parse_regress(const opt_list_t *texts, regress_t *out, size_t max)
{
    size_t n = 0;
    char why[SLA_ERR_MAX];
    for (size_t i = 0; i < texts->n && n < max; i++)
        if (regress_parse(texts->v[i], &out[n], why, sizeof why) == 0)
            n++; /* (a failure is not reached: the row's check parsed it) */
    return n;
}

bool gates_all_failed(const result_t *r)
{
    return r->stats.requests_ok == 0;
}

void gates_print_all_failed(FILE *f, const char *who, const char *run, const result_t *r)
{
    if (!gates_all_failed(r))
        return;
    const runstats_t *rs = &r->stats;
    if (!rs->requests) {
        fprintf(f,
                "%s: FAIL no request %swas made: a run with no successful request fails, "
                "--sla or not\n",
                who, run ? run : "");
        return;
    }
    fprintf(f, "%s: FAIL every request %sfailed (", who, run ? run : "");
    for (int k = 1, any = 0; k < ERR_KIND_COUNT; k++)
        if (rs->by_error[k])
            fprintf(f, "%s%llu %s", any++ ? ", " : "", (unsigned long long)rs->by_error[k],
                    err_kind_name((err_kind_t)k));
    fputs("): a run with no successful request fails, --sla or not\n", f);
}

bool gates_print_tls_hint(FILE *f, const char *who, const url_t *u, const result_t *r)
{
    const runstats_t *rs = &r->stats;
    if (u->tls || rs->requests_ok || !rs->by_error[ERR_RESET] || rs->bytes_in)
        return false;
    char hint[600];
    if (!target_speaks_tls(u, 2000, hint, sizeof hint))
        return false;
    fprintf(f, "%s: %s\n", who, hint);
    return true;
}

static void value(FILE *f, double v, const char *unit)
{
    if (isfinite(v))
        fprintf(f, "%.3f %s", v, unit);
    else
        fputs("-", f);
}

void gates_print_failed_slas(FILE *f, const char *who, const sla_verdict_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].pass)
            continue;
        fprintf(f, "%s: FAIL SLA %s: measured ", who, v[i].sla.text);
        value(f, v[i].value, sla_unit(&v[i].sla));
        fprintf(f, "%s%s%s\n", v[i].note[0] ? " (" : "", v[i].note, v[i].note[0] ? ")" : "");
    }
}

void gates_print_failed_compare(FILE *f, const char *who, const compare_t *c)
{
    gates_print_failed_slas(f, who, c->verdicts, c->nverdicts);
    for (size_t i = 0; i < c->nregress; i++) {
        const regress_verdict_t *v = &c->regress[i];
        if (!v->gating || v->pass)
            continue;
        const char *unit = sla_unit(&v->gate.metric);
        fprintf(f, "%s: FAIL --max-regression %s: baseline ", who, v->gate.text);
        value(f, v->base, unit);
        fputs(", optimized ", f);
        value(f, v->opt, unit);
        if (isfinite(v->change_pct))
            fprintf(f, ", %+.1f%%", v->change_pct);
        fprintf(f, "%s%s%s\n", v->note[0] ? " (" : "", v->note, v->note[0] ? ")" : "");
    }
    const char *stopped = compare_interrupted_words(c);
    if (stopped)
        fprintf(f, "%s: FAIL %s interrupted: it covers only what ran before it stopped\n", who,
                stopped);
    if (compare_opt_all_failed(c) && c->opt.requests == 0)
        fprintf(f, "%s: FAIL the optimized run made no request\n", who);
    else if (compare_opt_all_failed(c))
        fprintf(f, "%s: FAIL every request of the optimized run failed (%.0f)\n", who,
                c->opt.requests);
}
