/* compare — headline metrics of two results, their deltas, and the SLA
 * verdict on the optimized run. */
#include "stats/compare.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errmsg.h"
#include "core/version.h"

static const char *const source_names[] = {
    [COMPARE_SLA_OPTION] = "option",
    [COMPARE_SLA_RECORDED] = "recorded",
    [COMPARE_SLA_DEFAULT] = "default",
    [COMPARE_SLA_UNKNOWN] = NULL,
};

const char *compare_sla_source_name(compare_sla_source_t s)
{
    return (unsigned)s < sizeof source_names / sizeof source_names[0] ? source_names[s] : NULL;
}

static int dup_or_null(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst ? ENOMEM : 0;
}

static double per_s(uint64_t n, double dur_s)
{
    return dur_s > 0 ? (double)n / dur_s : 0.0;
}

static double config_num(const result_t *r, const char *key)
{
    int64_t v;
    return result_config_int(r, key, &v) ? (double)v : NAN;
}

static int side_from(const result_t *r, const char *file, compare_side_t *s)
{
    const runstats_t *rs = &r->stats;
    double dur = result_duration_s(r);
    result_summary_t item, req;
    result_summary(r, METRIC_ITEM, &item);
    result_summary(r, METRIC_REQUEST, &req);
    int p95 = metric_pct_index(95);
    *s = (compare_side_t){
        .requests = (double)rs->requests,
        .ok = (double)rs->requests_ok,
        .errors = (double)(rs->requests - rs->requests_ok),
        .items = (double)rs->items,
        .error_rate_pct =
            rs->requests ? (double)(rs->requests - rs->requests_ok) * 100.0 / (double)rs->requests
                         : NAN,
        .items_per_s = per_s(rs->items_ok, dur),
        .requests_per_s = per_s(rs->requests_ok, dur),
        .max_ms = item.max_ms,
        .mean_ms = item.mean_ms,
        .request_p95_ms = req.present ? req.pct_ms[p95] : NAN,
        .batch = config_num(r, "batch"),
        .connections = config_num(r, "connections"),
        .connections_opened = (double)rs->connections_opened,
    };
    for (int k = 0; k < METRIC_NUM_PCTS; k++)
        s->item_ms[k] = item.present ? item.pct_ms[k] : NAN;
    if (!item.present)
        s->max_ms = s->mean_ms = NAN;
    selfcheck_t check;
    result_selfcheck(r, &check);
    s->client_limited = check.checked ? check.client_limited : -1;
    s->interrupted = r->interrupted;
    int rc = dup_or_null(&s->file, file);
    if (!rc)
        rc = dup_or_null(&s->inputs_digest, r->inputs_digest);
    return rc;
}

static void side_close(compare_side_t *s)
{
    free(s->file);
    free(s->inputs_digest);
    memset(s, 0, sizeof *s);
}

static double pct(double base, double opt)
{
    return base != 0 ? (opt - base) / base * 100.0 : NAN; /* NaN in -> NaN out */
}

static void deltas(compare_t *c)
{
    const compare_side_t *b = &c->base, *o = &c->opt;
    compare_delta_t *d = &c->delta;
    for (int k = 0; k < METRIC_NUM_PCTS; k++) {
        d->item_ms[k] = o->item_ms[k] - b->item_ms[k];
        d->item_pct[k] = pct(b->item_ms[k], o->item_ms[k]);
    }
    d->max_ms = o->max_ms - b->max_ms;
    d->items_per_s = o->items_per_s - b->items_per_s;
    d->items_per_s_pct = pct(b->items_per_s, o->items_per_s);
    d->requests_per_s_pct = pct(b->requests_per_s, o->requests_per_s);
    d->error_rate_pct_points = o->error_rate_pct - b->error_rate_pct;
}

/* m measured on r as the SLA judge measures it; NaN on ENOMEM. */
static double measure(const result_t *r, const sla_t *m)
{
    sla_verdict_t *v;
    bool pass;
    if (result_verdicts(r, m, 1, &v, &pass))
        return NAN;
    double value = v[0].value;
    free(v);
    return value;
}

const char *compare_interrupted_words(const compare_t *c)
{
    if (!c->base.interrupted && !c->opt.interrupted)
        return NULL;
    return !c->opt.interrupted    ? "the baseline was"
           : !c->base.interrupted ? "the optimized run was"
                                  : "both runs were";
}

bool compare_opt_all_failed(const compare_t *c)
{
    return c->opt.ok == 0;
}

static void settle_pass(compare_t *c)
{
    c->regress_pass = true;
    for (size_t i = 0; i < c->nregress; i++)
        if (c->regress[i].gating && !c->regress[i].pass)
            c->regress_pass = false;
    /* An interrupted run exited 130/143, not 0: the part of it that ran is
     * no verdict here either (it passed, on the first second of a run). */
    c->pass = c->sla_pass && c->regress_pass && !compare_opt_all_failed(c) &&
              !c->base.interrupted && !c->opt.interrupted;
}

/* A watch on each latency metric the SLAs judge (once each), item p95 when
 * they judge none: the verdict says when the optimized run is slower there. */
static int add_watches(compare_t *c, const result_t *base, const result_t *opt)
{
    sla_t p95;
    char err[SLA_ERR_MAX];
    sla_parse("p95<=0", &p95, err, sizeof err); /* parses: it is ours */
    size_t n = 0;
    const sla_t *m[32];
    for (size_t i = 0; i < c->nverdicts && n < 32; i++) {
        const sla_t *s = &c->verdicts[i].sla;
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen = seen || !strcmp(sla_metric_name(m[k]), sla_metric_name(s));
        if (!seen && (s->metric == SLA_LATENCY_PCT || s->metric == SLA_LATENCY_MEAN))
            m[n++] = s;
    }
    if (!n)
        m[n++] = &p95;
    if (!(c->regress = calloc(n, sizeof *c->regress)))
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        regress_t w;
        regress_watch(m[i], &w);
        regress_judge(&w, false, measure(base, m[i]), measure(opt, m[i]), &c->regress[i]);
    }
    c->nregress = n;
    return 0;
}

int compare_gate(compare_t *c, const result_t *base, const result_t *opt, const regress_t *g,
                 size_t n)
{
    regress_verdict_t *v = calloc(n + c->nregress + 1, sizeof *v);
    if (!v)
        return ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++, k++)
        regress_judge(&g[i], true, measure(base, &g[i].metric), measure(opt, &g[i].metric), &v[k]);
    for (size_t i = 0; i < c->nregress; i++) {
        bool gated = false;
        for (size_t j = 0; j < n; j++)
            gated = gated || !strcmp(sla_metric_name(&g[j].metric),
                                     sla_metric_name(&c->regress[i].gate.metric));
        if (c->regress[i].gating || !gated)
            v[k++] = c->regress[i];
    }
    free(c->regress);
    c->regress = v;
    c->nregress = k;
    settle_pass(c);
    return 0;
}

int compare_build(const result_t *base, const char *base_file, const result_t *opt,
                  const char *opt_file, const sla_t *slas, size_t n, compare_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = side_from(base, base_file, &out->base);
    if (!rc)
        rc = side_from(opt, opt_file, &out->opt);
    if (rc)
        goto fail;
    deltas(out);
    out->inputs_identical = base->inputs_digest && opt->inputs_digest &&
                            !strcmp(base->inputs_digest, opt->inputs_digest);
    out->inputs_same_source = base->inputs_source && opt->inputs_source &&
                              !strcmp(base->inputs_source, opt->inputs_source);
    sla_t dflt, *recorded = NULL;
    const sla_t *use = slas;
    out->sla_source = COMPARE_SLA_OPTION;
    if (!n && opt->nverdicts) {
        if (!(recorded = calloc(opt->nverdicts, sizeof *recorded))) {
            rc = ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < opt->nverdicts; i++)
            recorded[i] = opt->verdicts[i].sla;
        use = recorded;
        n = opt->nverdicts;
        out->sla_source = COMPARE_SLA_RECORDED;
    } else if (!n) {
        char err[256];
        sla_parse(COMPARE_DEFAULT_SLA, &dflt, err, sizeof err); /* parses: it is ours */
        use = &dflt;
        n = 1;
        out->sla_source = COMPARE_SLA_DEFAULT;
    }
    rc = result_verdicts(opt, use, n, &out->verdicts, &out->sla_pass);
    free(recorded);
    if (rc)
        goto fail;
    out->nverdicts = n;
    if ((rc = add_watches(out, base, opt)))
        goto fail;
    settle_pass(out);
    return 0;
fail:
    compare_close(out);
    return rc;
}

void compare_close(compare_t *c)
{
    side_close(&c->base);
    side_close(&c->opt);
    free(c->verdicts);
    free(c->regress);
    memset(c, 0, sizeof *c);
}

/* ---- JSON ----------------------------------------------------------------- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *int_or_null(double v)
{
    return isfinite(v) ? json_integer((json_int_t)v) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* One headline or delta member: its key, and where it lives in the struct. */
typedef struct {
    char key[32];
    size_t offset; /* of a double */
    bool integer;
} field_t;

/* The headline's members in the order the JSON has them (file and
 * inputs_digest are strings, written around these). */
static size_t side_fields(field_t *f)
{
    size_t n = 0;
#define F(k, member, isint)                                                                        \
    do {                                                                                           \
        snprintf(f[n].key, sizeof f[n].key, "%s", k);                                              \
        f[n].offset = offsetof(compare_side_t, member);                                            \
        f[n++].integer = isint;                                                                    \
    } while (0)
    F("requests", requests, true);
    F("ok", ok, true);
    F("errors", errors, true);
    F("error_rate_pct", error_rate_pct, false);
    F("items", items, true);
    F("items_per_s", items_per_s, false);
    F("requests_per_s", requests_per_s, false);
    for (int k = 0; k < METRIC_NUM_PCTS; k++) {
        if (!(metric_pcts[k].shown & METRIC_PCT_HEADLINE))
            continue;
        snprintf(f[n].key, sizeof f[n].key, "%s_ms", metric_pcts[k].key);
        f[n].offset = offsetof(compare_side_t, item_ms) + (size_t)k * sizeof(double);
        f[n++].integer = false;
    }
    F("max_ms", max_ms, false);
    F("mean_ms", mean_ms, false);
    snprintf(f[n].key, sizeof f[n].key, "%s_%s_ms", metric_table[METRIC_REQUEST].key,
             metric_pcts[metric_pct_index(95)].key);
    f[n].offset = offsetof(compare_side_t, request_p95_ms);
    f[n++].integer = false;
    F("batch", batch, true);
    F("connections", connections, true);
    F("connections_opened", connections_opened, true);
#undef F
    return n;
}

static size_t delta_fields(field_t *f)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < METRIC_NUM_PCTS; k++) {
            if (!(metric_pcts[k].shown & METRIC_PCT_BRIEF))
                continue;
            snprintf(f[n].key, sizeof f[n].key, "%s_%s", metric_pcts[k].key, pass ? "pct" : "ms");
            f[n].offset =
                (pass ? offsetof(compare_delta_t, item_pct) : offsetof(compare_delta_t, item_ms)) +
                (size_t)k * sizeof(double);
            f[n++].integer = false;
        }
        if (!pass) {
            snprintf(f[n].key, sizeof f[n].key, "max_ms");
            f[n].offset = offsetof(compare_delta_t, max_ms);
            f[n++].integer = false;
        }
    }
    static const struct {
        const char *key;
        size_t offset;
    } rest[] = {{"items_per_s", offsetof(compare_delta_t, items_per_s)},
                {"items_per_s_pct", offsetof(compare_delta_t, items_per_s_pct)},
                {"requests_per_s_pct", offsetof(compare_delta_t, requests_per_s_pct)},
                {"error_rate_pct_points", offsetof(compare_delta_t, error_rate_pct_points)}};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
        snprintf(f[n].key, sizeof f[n].key, "%s", rest[i].key);
        f[n].offset = rest[i].offset;
        f[n++].integer = false;
    }
    return n;
}

#define MAX_FIELDS (METRIC_NUM_PCTS * 2 + 16)

static double *at(const void *base, size_t offset)
{
    return (double *)((char *)base + offset);
}

static json_t *fields_json(const void *base, const field_t *f, size_t n, json_t *o)
{
    bool ok = o != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        double v = *at(base, f[i].offset);
        ok = !json_object_set_new(o, f[i].key, f[i].integer ? int_or_null(v) : num_or_null(v));
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *side_json(const compare_side_t *s)
{
    field_t f[MAX_FIELDS];
    size_t n = side_fields(f);
    json_t *o = json_object();
    if (o && json_object_set_new(o, "file", str_or_null(s->file))) {
        json_decref(o);
        return NULL;
    }
    /* inputs_digest goes between request_p95_ms and batch, as it always has. */
    o = fields_json(s, f, n - 2, o);
    if (o && json_object_set_new(o, "inputs_digest", str_or_null(s->inputs_digest))) {
        json_decref(o);
        return NULL;
    }
    o = fields_json(s, f + n - 2, 2, o);
    if (o && (json_object_set_new(o, "client_limited",
                                  s->client_limited < 0 ? json_null()
                                                        : json_boolean(s->client_limited)) ||
              json_object_set_new(o, "interrupted", json_boolean(s->interrupted)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *compare_to_json(const compare_t *c)
{
    field_t f[MAX_FIELDS];
    size_t n = delta_fields(f);
    json_t *sla = json_array();
    for (size_t i = 0; sla && i < c->nverdicts; i++) {
        json_t *v = sla_verdict_to_json(&c->verdicts[i]);
        if (!v || json_array_append_new(sla, v)) {
            json_decref(sla);
            sla = NULL;
        }
    }
    json_t *regress = json_array();
    for (size_t i = 0; regress && i < c->nregress; i++) {
        json_t *v = regress_verdict_to_json(&c->regress[i]);
        if (!v || json_array_append_new(regress, v)) {
            json_decref(regress);
            regress = NULL;
        }
    }
    const char *source = compare_sla_source_name(c->sla_source);
    json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:b}", "tool", "tailgate", "version",
                          TAILGATE_VERSION, "baseline", side_json(&c->base), "optimized",
                          side_json(&c->opt), "delta", fields_json(&c->delta, f, n, json_object()),
                          "inputs_identical", c->inputs_identical);
    if (o && (json_object_set_new(o, "inputs_same_source", json_boolean(c->inputs_same_source)) ||
              (source && json_object_set_new(o, "sla_source", json_string(source))) || !sla ||
              json_object_set_new(o, "sla", sla) ||
              json_object_set_new(o, "sla_pass", json_boolean(c->sla_pass)) || !regress ||
              json_object_set_new(o, "regression", regress) ||
              json_object_set_new(o, "regression_pass", json_boolean(c->regress_pass)) ||
              json_object_set_new(o, "pass", json_boolean(c->pass)))) {
        json_decref(o);
        return NULL;
    }
    if (!o) {
        json_decref(sla);
        json_decref(regress);
    }
    return o;
}

/* ---- reading back --------------------------------------------------------- */

static int read_fields(const json_t *o, const char *name, const field_t *f, size_t n, void *base,
                       char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(o, f[i].key);
        if (v && !json_is_null(v) && !json_is_number(v))
            return errmsg_set(EINVAL, err, errlen, "\"%s.%s\" must be a number or null", name,
                              f[i].key);
        *at(base, f[i].offset) = json_is_number(v) ? json_number_value(v) : NAN;
    }
    return 0;
}

static int read_str(const json_t *o, const char *name, const char *key, char **out, char *err,
                    size_t errlen)
{
    const json_t *v = json_object_get(o, key);
    if (v && !json_is_null(v) && !json_is_string(v))
        return errmsg_set(EINVAL, err, errlen, "\"%s.%s\" must be a string or null", name, key);
    return dup_or_null(out, json_string_value(v));
}

static int read_side(const json_t *j, const char *name, compare_side_t *s, char *err, size_t errlen)
{
    const json_t *o = json_object_get(j, name);
    if (!json_is_object(o))
        return errmsg_set(EINVAL, err, errlen, "\"%s\" %s", name,
                          o ? "must be an object" : "is missing");
    field_t f[MAX_FIELDS];
    size_t n = side_fields(f);
    int rc = read_fields(o, name, f, n, s, err, errlen);
    if (!rc)
        rc = read_str(o, name, "file", &s->file, err, errlen);
    if (!rc)
        rc = read_str(o, name, "inputs_digest", &s->inputs_digest, err, errlen);
    const json_t *cl = json_object_get(o, "client_limited");
    if (!rc && cl && !json_is_boolean(cl) && !json_is_null(cl))
        return errmsg_set(EINVAL, err, errlen, "\"%s.client_limited\" must be true, false or null",
                          name);
    s->client_limited = json_is_boolean(cl) ? json_is_true(cl) : -1;
    const json_t *in = json_object_get(o, "interrupted"); /* absent before it was written */
    if (!rc && in && !json_is_boolean(in))
        return errmsg_set(EINVAL, err, errlen, "\"%s.interrupted\" must be true or false", name);
    s->interrupted = json_is_true(in);
    return rc;
}

/* The regression verdicts as recorded, and the verdict (a comparison of
 * version 0.1 has neither: no gates, the verdict the SLAs'). */
static int read_regress(const json_t *j, compare_t *out, char *err, size_t errlen)
{
    const json_t *arr = json_object_get(j, "regression"),
                 *rp = json_object_get(j, "regression_pass"), *pass = json_object_get(j, "pass");
    if (arr && !json_is_array(arr))
        return errmsg_set(EINVAL, err, errlen, "\"regression\" must be an array");
    if ((rp && !json_is_boolean(rp)) || (pass && !json_is_boolean(pass)))
        return errmsg_set(EINVAL, err, errlen, "\"%s\" must be true or false",
                          rp && !json_is_boolean(rp) ? "regression_pass" : "pass");
    size_t n = json_array_size(arr);
    if (n && !(out->regress = calloc(n, sizeof *out->regress)))
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(err, errlen, "\"regression[%zu]\": ", i);
        size_t off = k > 0 && (size_t)k < errlen ? (size_t)k : 0;
        if (regress_verdict_from_json(json_array_get(arr, i), &out->regress[i], err + off,
                                      errlen - off))
            return EINVAL;
        out->nregress = i + 1;
    }
    settle_pass(out);
    if (rp)
        out->regress_pass = json_is_true(rp);
    if (pass)
        out->pass = json_is_true(pass);
    return 0;
}

int compare_from_json(const json_t *j, compare_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return errmsg_set(EINVAL, err, errlen,
                          "not a JSON object (a comparison, from 'diff' or 'ab')");
    if (json_object_get(j, "requests") && !json_object_get(j, "baseline"))
        return errmsg_set(EINVAL, err, errlen,
                          "this is a run result, not a comparison: pass it as RESULT.json");
    int rc = read_side(j, "baseline", &out->base, err, errlen);
    if (!rc)
        rc = read_side(j, "optimized", &out->opt, err, errlen);
    const json_t *d = json_object_get(j, "delta"), *sla = json_object_get(j, "sla"),
                 *same = json_object_get(j, "inputs_identical"),
                 *source = json_object_get(j, "sla_source");
    field_t f[MAX_FIELDS];
    size_t n = delta_fields(f);
    if (!rc && d && !json_is_object(d))
        rc = errmsg_set(EINVAL, err, errlen, "\"delta\" must be an object");
    if (!rc)
        rc = read_fields(d, "delta", f, n, &out->delta, err, errlen);
    if (!rc && same && !json_is_boolean(same))
        rc = errmsg_set(EINVAL, err, errlen, "\"inputs_identical\" must be true or false");
    out->inputs_identical = json_is_true(same);
    const json_t *src = json_object_get(j, "inputs_same_source");
    if (!rc && src && !json_is_boolean(src))
        rc = errmsg_set(EINVAL, err, errlen, "\"inputs_same_source\" must be true or false");
    out->inputs_same_source = json_is_true(src);
    out->sla_source = COMPARE_SLA_UNKNOWN;
    for (int s = 0; !rc && source && s < COMPARE_SLA_UNKNOWN; s++)
        if (json_is_string(source) && !strcmp(json_string_value(source), source_names[s]))
            out->sla_source = (compare_sla_source_t)s;
    if (!rc && sla && !json_is_array(sla))
        rc = errmsg_set(EINVAL, err, errlen, "\"sla\" must be an array");
    size_t ns = json_array_size(sla);
    if (!rc && ns && !(out->verdicts = calloc(ns, sizeof *out->verdicts)))
        rc = ENOMEM;
    out->sla_pass = true;
    for (size_t i = 0; !rc && i < ns; i++) {
        char why[SLA_ERR_MAX];
        if (sla_verdict_from_json(json_array_get(sla, i), &out->verdicts[i], why, sizeof why))
            rc = errmsg_set(EINVAL, err, errlen, "\"sla[%zu]\": %s", i, why);
        out->sla_pass = out->sla_pass && out->verdicts[i].pass;
        out->nverdicts = i + 1;
    }
    if (!rc)
        rc = read_regress(j, out, err, errlen);
    if (rc == ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc)
        compare_close(out);
    return rc;
}
