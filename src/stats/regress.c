/* regress — parsing and judging `--max-regression METRIC=+P%`. */
#include "stats/regress.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM                                                                                       \
    "write METRIC=+P%% or METRIC=-P%%: METRIC a latency (p50 p90 p95 p99 p99.9 max mean, or "      \
    "request.p95 ...), error_rate, rps or ips; the change allowed relative to the baseline, "      \
    "e.g. p95=+5%% (at most 5%% slower), ips=-5%% (at most 5%% fewer items/s), p99=-10%% (at "     \
    "least 10%% faster)"

/* The message is composed in err itself: nothing in between can cut it. The
 * caller shows the gate's text (the option's value, the member's path). */
static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    size_t off = 0;
    if (errlen) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        off = n > 0 && (size_t)n < errlen ? (size_t)n : errlen;
    }
    if (off < errlen)
        snprintf(err + off, errlen - off, "; " FORM);
    return EINVAL;
}

bool regress_lower_is_better(const sla_t *m)
{
    switch (m->metric) {
    case SLA_LATENCY_PCT:
    case SLA_LATENCY_MEAN:
    case SLA_ERROR_RATE:
        return true;
    case SLA_RPS:
    case SLA_IPS:
    case SLA_OUTPUT_TOKENS_PER_S:
    case SLA_GOODPUT:
    case SLA_SLO_ATTAINMENT:
        return false;
    }
    return true;
}

int regress_parse(const char *text, regress_t *out, char *err, size_t errlen)
{
    regress_t g;
    memset(&g, 0, sizeof g);
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (len >= sizeof g.text)
        return fail(err, errlen, "longer than %zu characters", sizeof g.text - 1);
    memcpy(g.text, text, len);
    const char *eq = strchr(g.text, '=');
    if (!eq)
        return fail(err, errlen, "expected METRIC=CHANGE");
    /* The metric, named as an SLA names it: "METRIC<=0" parses exactly when
     * METRIC is one an SLA may gate. */
    size_t mlen = (size_t)(eq - g.text);
    while (mlen && isspace((unsigned char)g.text[mlen - 1]))
        mlen--;
    char expr[sizeof g.text + 8], why[SLA_ERR_MAX];
    bool plain = mlen > 0;
    for (size_t i = 0; i < mlen; i++)
        plain = plain && (isalnum((unsigned char)g.text[i]) || strchr("._", g.text[i]));
    snprintf(expr, sizeof expr, "%.*s<=0", (int)mlen, g.text);
    if (!plain || sla_parse(expr, &g.metric, why, sizeof why))
        return fail(err, errlen, "unknown metric \"%.*s\"", (int)mlen, g.text);
    /* The change: a sign (optional only for 0), a number, '%'. */
    const char *p = eq + 1;
    while (isspace((unsigned char)*p))
        p++;
    char sign = (*p == '+' || *p == '-') ? *p++ : 0;
    char *end;
    double v = strtod(p, &end);
    if (end == p || !isdigit((unsigned char)*p) || !isfinite(v))
        return fail(err, errlen, "expected a signed percentage after '='");
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '%')
        return fail(err, errlen, "give the change in percent, with '%%'");
    for (end++; isspace((unsigned char)*end); end++) {
    }
    if (*end)
        return fail(err, errlen, "unexpected text after the '%%'");
    const char *name = sla_metric_name(&g.metric);
    if (!sign && v != 0 && regress_lower_is_better(&g.metric))
        return fail(err, errlen,
                    "give a sign: %s=+%g%% allows %s up to %g%% above the baseline, %s=-%g%% "
                    "requires it %g%% below",
                    name, v, name, v, name, v, v);
    if (!sign && v != 0)
        return fail(err, errlen,
                    "give a sign: %s=-%g%% allows %s down to %g%% below the baseline, %s=+%g%% "
                    "requires it %g%% above",
                    name, v, name, v, name, v, v);
    g.limit_pct = sign == '-' && v != 0 ? -v : v; /* never -0 */
    bool lower = regress_lower_is_better(&g.metric);
    if (lower && g.limit_pct <= -100)
        return fail(err, errlen, "%s cannot fall by 100%% or more", name);
    if (!lower && g.limit_pct < -100)
        return fail(err, errlen, "%s cannot fall by more than 100%%", name);
    if (g.limit_pct > 1e6)
        return fail(err, errlen, "more than 1000000%%");
    *out = g;
    return 0;
}

void regress_watch(const sla_t *m, regress_t *out)
{
    memset(out, 0, sizeof *out);
    out->metric = *m;
    out->limit_pct = 0;
    snprintf(out->text, sizeof out->text, "%s=%s0%%", sla_metric_name(m),
             regress_lower_is_better(m) ? "+" : "-");
}

void regress_judge(const regress_t *g, bool gating, double base, double opt, regress_verdict_t *v)
{
    memset(v, 0, sizeof *v);
    v->gate = *g;
    v->gating = gating;
    v->base = base;
    v->opt = opt;
    v->change_pct = NAN;
    if (isfinite(base) && isfinite(opt))
        v->change_pct = base != 0 ? (opt - base) / base * 100.0 : opt == 0 ? 0 : NAN;
    double bound = base * (1 + g->limit_pct / 100);
    if (isinf(base) && g->limit_pct == -100)
        bound = 0;
    /* An infinite baseline (a percentile among its failures) is beaten by
     * any finite value; NaN never passes. Both infinite measure no change at
     * all, so a gate cannot say the optimized run stayed within it: it
     * passed (inf <= inf) with 54% of the optimized items failed against the
     * baseline's 12%. */
    v->pass = regress_lower_is_better(&g->metric) ? opt <= bound : opt >= bound;
    if (isinf(base) && isinf(opt))
        v->pass = !gating; /* (a watch has nothing to say) */
    /* A watch (no gate) only says "slower"; with a side that has no value it
     * has nothing to say (the SLA on it fails on its own). */
    if (!gating && (isnan(base) || isnan(opt)))
        v->pass = true;
    const char *name = sla_metric_name(&g->metric);
    /* What an infinite percentile falls among: what the metric counts that
     * got no good answer (stats/sla.h ranks them slowest). Only a latency
     * percentile is ever infinite. */
    const metric_t *mt = &metric_table[g->metric.latency];
    char among[64];
    if (mt->first_token)
        snprintf(among, sizeof among, "requests that failed or got no token");
    else
        snprintf(among, sizeof among, "failed %s", metric_per_noun(mt->per));
    if (isnan(base))
        snprintf(v->note, sizeof v->note, "the baseline has no %s", name);
    else if (isnan(opt))
        snprintf(v->note, sizeof v->note, "the optimized run has no %s", name);
    else if (isinf(base) && isinf(opt))
        snprintf(v->note, sizeof v->note,
                 "%s falls among the %s in both runs: no change can be "
                 "measured",
                 name, among);
    else if (isinf(base))
        snprintf(v->note, sizeof v->note, "baseline %s falls among its %s", name, among);
    else if (isinf(opt))
        snprintf(v->note, sizeof v->note, "optimized %s falls among its %s", name, among);
    else if (base == 0 && opt != 0)
        snprintf(v->note, sizeof v->note, "the baseline's %s is 0: no relative change", name);
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *regress_verdict_to_json(const regress_verdict_t *v)
{
    const regress_t *g = &v->gate;
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:f,s:b,s:b}", "expr", g->text, "metric",
                          sla_metric_name(&g->metric), "unit", sla_unit(&g->metric), "baseline",
                          num_or_null(v->base), "optimized", num_or_null(v->opt), "change_pct",
                          num_or_null(v->change_pct), "limit_pct", g->limit_pct, "gating",
                          v->gating, "pass", v->pass);
    if (o && v->note[0] && json_object_set_new(o, "note", json_string(v->note))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int get_num(const json_t *j, const char *key, double *out, char *err, size_t errlen)
{
    const json_t *n = json_object_get(j, key);
    if (!(json_is_number(n) || json_is_null(n))) {
        snprintf(err, errlen, "\"%s\" must be a number or null", key);
        return EINVAL;
    }
    *out = json_is_number(n) ? json_number_value(n) : NAN;
    return 0;
}

int regress_verdict_from_json(const json_t *j, regress_verdict_t *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "not an object");
        return EINVAL;
    }
    const json_t *expr = json_object_get(j, "expr"), *gating = json_object_get(j, "gating"),
                 *pass = json_object_get(j, "pass"), *note = json_object_get(j, "note");
    if (!json_is_string(expr)) {
        snprintf(err, errlen, "\"expr\" must be a string");
        return EINVAL;
    }
    int n = snprintf(err, errlen, "\"expr\": ");
    size_t off = n > 0 && (size_t)n < errlen ? (size_t)n : 0;
    if (regress_parse(json_string_value(expr), &v->gate, err + off, errlen - off))
        return EINVAL;
    if (get_num(j, "baseline", &v->base, err, errlen) ||
        get_num(j, "optimized", &v->opt, err, errlen) ||
        get_num(j, "change_pct", &v->change_pct, err, errlen))
        return EINVAL;
    if (!json_is_boolean(gating) || !json_is_boolean(pass)) {
        snprintf(err, errlen, "\"%s\" must be true or false",
                 json_is_boolean(gating) ? "pass" : "gating");
        return EINVAL;
    }
    if (note && !json_is_string(note)) {
        snprintf(err, errlen, "\"note\" must be a string");
        return EINVAL;
    }
    v->gating = json_is_true(gating);
    v->pass = json_is_true(pass);
    snprintf(v->note, sizeof v->note, "%s", note ? json_string_value(note) : "");
    return 0;
}
