/* sweep — step verdicts, the answer, and the sweep document. */
#include "stats/sweep.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/version.h"
#include "stats/earlystop.h"

/* A client's lateness up to this share of a latency bound cannot be what
 * broke it, when the measured value exceeds the bound by more than the
 * lateness (beyond_lateness). */
#define LATE_SHARE 0.10

const char *sweep_verdict_name(sweep_verdict_t v)
{
    switch (v) {
    case SWEEP_PASS:
        return "pass";
    case SWEEP_FAIL:
        return "fail";
    case SWEEP_UNDECIDED:
        return "undecided";
    case SWEEP_INVALID:
        return "invalid";
    }
    return "?";
}

/* ---- one step --------------------------------------------------------------- */

uint64_t sweep_count_over(const hist_t *h, uint64_t bound_ns, bool strict)
{
    uint64_t n = hist_count(h);
    /* The highest rank whose value is within the bound (values rise with
     * rank): everything above it is over. */
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        uint64_t v = hist_at_rank(h, mid);
        if (strict ? v < bound_ns : v <= bound_ns)
            lo = mid;
        else
            hi = mid - 1;
    }
    return n - lo;
}

/* A latency percentile below 100 held under a bound. */
static bool is_latency_gate(const sla_t *s)
{
    return s->metric == SLA_LATENCY_PCT && s->percentile < 100 &&
           (s->op == SLA_LE || s->op == SLA_LT);
}

/* A claim early stopping can back: a latency percentile gate, or an error
 * rate held under a bound above 0 -- "error_rate<1%" claims that 99% of
 * the requests succeed, and 4 lucky requests of a server that fails half of
 * them cannot back that claim any more than 4 items back a p99. */
static bool is_gate(const sla_t *s)
{
    return is_latency_gate(s) || (s->metric == SLA_ERROR_RATE && s->threshold > 0 &&
                                  s->threshold < 100 && (s->op == SLA_LE || s->op == SLA_LT));
}

static void eval_gate(const result_t *r, const sla_t *s, double confidence, sweep_gate_t *g)
{
    const runstats_t *rs = &r->stats;
    uint64_t n, over;
    double p;
    if (s->metric == SLA_ERROR_RATE) { /* the failed requests are over */
        n = rs->requests;
        over = rs->requests > rs->requests_ok ? rs->requests - rs->requests_ok : 0;
        p = 1 - s->threshold / 100;
    } else {
        /* What the SLA judge ranks: the values recorded (an itl gap each, a
         * tpot only where defined) and, slowest, what has none -- a failed
         * item has no latency that meets any bound, nor a request that never
         * got a token a ttft bound: it is over. */
        const hist_t *h = rs->hist[s->latency];
        uint64_t slowest = sla_ranked_slowest(s, rs, NULL);
        n = (h ? hist_count(h) : 0) + slowest;
        over = slowest + (h ? sweep_count_over(h, s->threshold_ns, s->op == SLA_LT) : 0);
        p = s->percentile / 100;
    }
    g->sla = *s;
    g->items = n;
    g->over = over < n ? over : n;
    g->accepted = earlystop_accept(n, g->over, p, confidence);
    g->needed = earlystop_items_needed(n, g->over, p, confidence);
}

/* "p95 912 ms", "error_rate 3.2%": a failed SLA in brief. */
static void failure_text(const sla_verdict_t *v, char *buf, size_t len)
{
    const char *name = sla_metric_name(&v->sla), *unit = sla_unit(&v->sla);
    if (isinf(v->value))
        snprintf(buf, len, "%s among the failed requests (%s)", name, v->note);
    else if (isnan(v->value))
        snprintf(buf, len, "%s not measured (%s)", name, v->note[0] ? v->note : "no values");
    else if (!strcmp(unit, "ms"))
        snprintf(buf, len, "%s %.4g ms", name, v->value);
    else
        snprintf(buf, len, "%s %.4g%s", name, v->value, unit);
}

/* A client that was only late (no pool too small) adds at most its largest
 * send lag to an item's latency. A latency gate failed by more than that,
 * with the lag a small part of the bound (a lag that large would bunch the
 * requests it delayed), failed on the server's account: the first such
 * verdict, or NULL. */
static const sla_verdict_t *beyond_lateness(const result_t *r, const selfcheck_t *c)
{
    const hist_t *lag = r->stats.hist[METRIC_SEND_LAG];
    if ((c->why & SELFCHECK_CONNECTIONS) || !lag || hist_count(lag) == 0)
        return NULL;
    double late_ms = (double)hist_max(lag) / 1e6;
    for (size_t i = 0; i < r->nverdicts; i++) {
        const sla_verdict_t *v = &r->verdicts[i];
        if (!is_latency_gate(&v->sla) || v->pass || late_ms > LATE_SHARE * v->sla.threshold)
            continue;
        if (isinf(v->value) || v->value - late_ms > v->sla.threshold)
            return v;
    }
    return NULL;
}

/* The mean item latency's growth over the step's full seconds, seconds per
 * second (a least-squares slope); NaN with fewer than two. A second is full
 * when it holds at least half the items of the busiest one (the last second
 * of a step that does not end on a whole second holds fewer). */
static double latency_growth(const result_t *r)
{
    const runstats_t *rs = &r->stats;
    uint64_t most = 0;
    for (size_t i = 0; i < rs->nseconds; i++)
        if (rs->seconds[i].items > most)
            most = rs->seconds[i].items;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t n = 0;
    for (size_t i = 0; i < rs->nseconds && most; i++) {
        hist_t *h = NULL;
        if (rs->seconds[i].items * 2 < most || runstats_second_hist(rs, i, METRIC_ITEM, &h) || !h)
            continue;
        if (hist_count(h) > 0) {
            double x = (double)i, y = hist_mean(h) / 1e9;
            sx += x, sy += y, sxx += x * x, sxy += x * y;
            n++;
        }
        hist_free(h);
    }
    double den = (double)n * sxx - sx * sx;
    return n >= 2 && den > 0 ? ((double)n * sxy - sx * sy) / den : NAN;
}

void sweep_judge_step(const sweep_t *s, sweep_step_t *st)
{
    const result_t *r = &st->result;
    double confidence = s->confidence;
    st->ngates = 0;
    st->why[0] = '\0';
    st->growth = st->keeps_up_per_s = NAN;
    if (!s->concurrency) {
        st->growth = latency_growth(r);
        if (isfinite(st->growth))
            st->keeps_up_per_s = st->offered / (1 + fmax(st->growth, 0));
    }
    result_selfcheck(r, &st->check);
    for (size_t i = 0; i < r->nverdicts && st->ngates < SWEEP_MAX_GATES; i++)
        if (is_gate(&r->verdicts[i].sla))
            eval_gate(r, &r->verdicts[i].sla, confidence, &st->gates[st->ngates++]);
    if (st->check.client_limited) {
        const sla_verdict_t *v = beyond_lateness(r, &st->check);
        if (v) {
            char what[160];
            failure_text(v, what, sizeof what);
            st->verdict = SWEEP_FAIL;
            snprintf(st->why, sizeof st->why,
                     "%s (the client was up to %.3g ms late: too little to explain it)", what,
                     (double)hist_max(r->stats.hist[METRIC_SEND_LAG]) / 1e6);
            return;
        }
        st->verdict = SWEEP_INVALID;
        char why[600];
        selfcheck_describe(&st->check, why, sizeof why);
        snprintf(st->why, sizeof st->why, "client limited: %.440s", why);
        return;
    }
    for (size_t i = 0; i < r->nverdicts; i++) {
        if (!r->verdicts[i].pass) {
            st->verdict = SWEEP_FAIL;
            failure_text(&r->verdicts[i], st->why, sizeof st->why);
            return;
        }
    }
    if (st->keeps_up_per_s < (1 - s->precision) * st->offered) {
        st->verdict = SWEEP_FAIL;
        snprintf(st->why, sizeof st->why,
                 "the server fell behind: latency grew %.0f ms per second (it answered about "
                 "%.4g of %.4g items/s)",
                 st->growth * 1e3, st->keeps_up_per_s, st->offered);
        return;
    }
    if (r->nverdicts == 0) { /* nothing to judge: nothing to claim */
        st->verdict = SWEEP_FAIL;
        snprintf(st->why, sizeof st->why, "no SLA to judge");
        return;
    }
    for (size_t i = 0; i < st->ngates; i++) {
        const sweep_gate_t *g = &st->gates[i];
        if (g->accepted)
            continue;
        st->verdict = st->timed_out ? SWEEP_FAIL : SWEEP_UNDECIDED;
        char need[64] = "no number of items would";
        if (g->needed != UINT64_MAX)
            snprintf(need, sizeof need, "needs %llu", (unsigned long long)g->needed);
        bool errors = g->sla.metric == SLA_ERROR_RATE;
        snprintf(st->why, sizeof st->why, "%s%llu of %llu %s %s %s; %g%% confidence %s",
                 st->timed_out ? "undecided at the longest step: " : "",
                 (unsigned long long)g->over, (unsigned long long)g->items,
                 !errors && metric_table[g->sla.latency].per == METRIC_PER_ITEM ? "items"
                                                                                : "requests",
                 errors ? "failed, for" : "over the bound of", g->sla.text, confidence * 100, need);
        return;
    }
    /* Too short to measure the growth: nothing shows the server kept up (a
     * 1 s step at 700 items/s passed p95<=800ms against a server that
     * served 400/s), so it runs again, longer, as a step short of items does. */
    if (!s->concurrency && !isfinite(st->growth)) {
        st->verdict = st->timed_out ? SWEEP_FAIL : SWEEP_UNDECIDED;
        snprintf(st->why, sizeof st->why,
                 "%stoo short to tell whether the server kept up: that needs two full seconds "
                 "of arrivals",
                 st->timed_out ? "undecided at the longest step: " : "");
        return;
    }
    st->verdict = SWEEP_PASS;
}

/* ---- the sweep -------------------------------------------------------------- */

sweep_step_t *sweep_add_step(sweep_t *s, double offered, result_t *result, bool timed_out)
{
    if (s->nsteps == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        sweep_step_t *v = realloc(s->steps, cap * sizeof *v);
        if (!v) {
            result_close(result);
            return NULL;
        }
        s->steps = v;
        s->cap = cap;
    }
    unsigned attempt = 1;
    for (size_t i = 0; i < s->nsteps; i++)
        if (s->steps[i].offered == offered) {
            s->steps[i].final = false;
            attempt = s->steps[i].attempt + 1;
        }
    sweep_step_t *st = &s->steps[s->nsteps++];
    memset(st, 0, sizeof *st);
    st->offered = offered;
    st->attempt = attempt;
    st->final = true;
    st->timed_out = timed_out;
    st->result = *result;
    memset(result, 0, sizeof *result);
    sweep_judge_step(s, st);
    return st;
}

void sweep_close(sweep_t *s)
{
    for (size_t i = 0; i < s->nsteps; i++)
        result_close(&s->steps[i].result);
    free(s->steps);
    memset(s, 0, sizeof *s);
}

static double served_per_s(const result_t *r)
{
    double d = result_duration_s(r);
    return d > 0 ? (double)r->stats.items_ok / d : 0;
}

void sweep_answer(const sweep_t *s, sweep_answer_t *a)
{
    memset(a, 0, sizeof *a);
    a->capacity_step = a->next_step = a->limited_step = -1;
    for (size_t i = 0; i < s->nsteps; i++) {
        const sweep_step_t *st = &s->steps[i];
        if (!st->final)
            continue;
        if (st->verdict == SWEEP_INVALID && a->limited_step < 0)
            a->limited_step = (int)i;
        if (st->verdict == SWEEP_PASS && (a->capacity_step < 0 || st->offered > a->capacity))
            a->capacity_step = (int)i, a->capacity = st->offered;
    }
    for (size_t i = 0; i < s->nsteps; i++) {
        const sweep_step_t *st = &s->steps[i];
        if (!st->final || (st->verdict != SWEEP_FAIL && st->verdict != SWEEP_UNDECIDED) ||
            st->offered <= a->capacity)
            continue;
        if (a->next_step < 0 || st->offered < s->steps[a->next_step].offered)
            a->next_step = (int)i;
    }
    if (a->capacity_step >= 0)
        a->served_per_s = served_per_s(&s->steps[a->capacity_step].result);
    a->meets_require = a->capacity_step >= 0 && a->capacity >= s->require;
}

static void slas_text(const sweep_t *s, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->nslas && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", s->slas[i].text);
}

void sweep_answer_text(const sweep_t *s, const sweep_answer_t *a, char *buf, size_t len)
{
    char cap[32], next[32], slas[400];
    const char *unit = s->concurrency ? " concurrent requests" : " items/s";
    const char *short_unit = s->concurrency ? "" : "/s";
    slas_text(s, slas, sizeof slas);
    if (a->limited_step >= 0) {
        const sweep_step_t *st = &s->steps[a->limited_step];
        parse_format_number(st->offered, next, sizeof next);
        size_t n = (size_t)snprintf(buf, len,
                                    "capacity: not measured: the client, not the server, is the "
                                    "limit at %s%s",
                                    next, unit);
        if (a->capacity_step >= 0 && n < len) {
            parse_format_number(a->capacity, cap, sizeof cap);
            snprintf(buf + n, len - n, " (%s%s passed at %s before)", cap, unit, slas);
        }
        return;
    }
    if (a->capacity_step < 0) {
        if (a->next_step >= 0) {
            /* an undecided step (the sweep was interrupted before it could
             * run longer) did not fail: say which it was */
            const sweep_step_t *st = &s->steps[a->next_step];
            parse_format_number(st->offered, next, sizeof next);
            snprintf(buf, len, "capacity: none found: %s%s%s %s %s: %s",
                     st->verdict == SWEEP_FAIL ? "even " : "", next, short_unit,
                     st->verdict == SWEEP_FAIL ? "failed" : "undecided on", slas, st->why);
        } else {
            snprintf(buf, len, "capacity: none found");
        }
        return;
    }
    parse_format_number(a->capacity, cap, sizeof cap);
    size_t n = (size_t)snprintf(buf, len, "capacity: %s%s at %s (%g%% confidence", cap, unit, slas,
                                s->confidence * 100);
    if (s->concurrency && n < len)
        n += (size_t)snprintf(buf + n, len - n, "; %.4g items/s served", a->served_per_s);
    if (n >= len)
        return;
    if (a->next_step >= 0) {
        const sweep_step_t *st = &s->steps[a->next_step];
        parse_format_number(st->offered, next, sizeof next);
        snprintf(buf + n, len - n, "; next step %s%s %s: %s)", next, short_unit,
                 st->verdict == SWEEP_FAIL ? "failed" : "undecided", st->why);
    } else {
        snprintf(buf + n, len - n, "; the highest load tried: it may take more)");
    }
}

/* ---- the document ----------------------------------------------------------- */

static bool put(json_t *o, const char *key, json_t *v)
{
    return v && !json_object_set_new(o, key, v);
}

static json_t *gate_json(const sweep_gate_t *g)
{
    return json_pack("{s:s,s:I,s:I,s:o,s:b}", "expr", g->sla.text, "items", (json_int_t)g->items,
                     "over", (json_int_t)g->over, "needed",
                     g->needed == UINT64_MAX ? json_null() : json_integer((json_int_t)g->needed),
                     "accepted", g->accepted);
}

static json_t *step_json(const sweep_step_t *st)
{
    json_t *o = json_object(), *gates = json_array();
    bool ok = o && gates;
    for (size_t i = 0; ok && i < st->ngates; i++)
        ok = !json_array_append_new(gates, gate_json(&st->gates[i]));
    ok = ok && put(o, "offered", json_real(st->offered)) &&
         put(o, "attempt", json_integer(st->attempt)) && put(o, "final", json_boolean(st->final)) &&
         put(o, "timed_out", json_boolean(st->timed_out)) &&
         put(o, "verdict", json_string(sweep_verdict_name(st->verdict))) &&
         put(o, "valid", json_boolean(st->verdict != SWEEP_INVALID)) &&
         put(o, "served_per_s", json_real(served_per_s(&st->result))) &&
         put(o, "latency_growth_ms_per_s",
             isfinite(st->growth) ? json_real(st->growth * 1e3) : json_null()) &&
         put(o, "keeps_up_per_s",
             isfinite(st->keeps_up_per_s) ? json_real(st->keeps_up_per_s) : json_null()) &&
         put(o, "why", json_string(st->why)) && put(o, "gates", json_incref(gates)) &&
         put(o, "client_limited",
             st->check.checked ? json_boolean(st->check.client_limited) : json_null()) &&
         put(o, "result", result_to_json(&st->result));
    json_decref(gates);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *capacity_json(const sweep_t *s, const sweep_answer_t *a)
{
    char text[800];
    sweep_answer_text(s, a, text, sizeof text);
    json_t *next = a->next_step >= 0 ? json_real(s->steps[a->next_step].offered) : json_null();
    return json_pack(
        "{s:o,s:b,s:o,s:o,s:o,s:b,s:b,s:s}", "value",
        a->capacity_step >= 0 ? json_real(a->capacity) : json_null(), "found",
        a->capacity_step >= 0, "served_per_s",
        a->capacity_step >= 0 ? json_real(a->served_per_s) : json_null(), "next_offered", next,
        "limited_at",
        a->limited_step >= 0 ? json_real(s->steps[a->limited_step].offered) : json_null(),
        "client_limited", a->limited_step >= 0, "meets_require", a->meets_require, "text", text);
}

static json_t *sweep_json(const sweep_t *s)
{
    sweep_answer_t a;
    sweep_answer(s, &a);
    json_t *o = json_object(), *slas = json_array(), *steps = json_array();
    bool ok = o && slas && steps;
    for (size_t i = 0; ok && i < s->nslas; i++)
        ok = !json_array_append_new(slas, json_string(s->slas[i].text));
    for (size_t i = 0; ok && i < s->nsteps; i++)
        ok = !json_array_append_new(steps, step_json(&s->steps[i]));
    ok = ok && put(o, "label", json_string(s->label)) &&
         put(o, "mode", json_string(s->concurrency ? "concurrency" : "rate")) &&
         put(o, "unit", json_string(s->concurrency ? "concurrent requests" : "items/s")) &&
         put(o, "sla", json_incref(slas)) && put(o, "confidence", json_real(s->confidence)) &&
         put(o, "precision", json_real(s->precision)) &&
         put(o, "require_rate", s->require > 0 ? json_real(s->require) : json_null()) &&
         put(o, "steps", json_incref(steps)) && put(o, "capacity", capacity_json(s, &a));
    json_decref(slas);
    json_decref(steps);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *sweep_doc_to_json(const sweep_t *sweeps, size_t n, const json_t *config)
{
    json_t *o = json_object(), *arr = json_array();
    bool ok = o && arr, limited = false, pass = n > 0;
    for (size_t i = 0; ok && i < n; i++) {
        sweep_answer_t a;
        sweep_answer(&sweeps[i], &a);
        limited = limited || a.limited_step >= 0;
        pass = pass && a.meets_require && a.limited_step < 0;
        ok = !json_array_append_new(arr, sweep_json(&sweeps[i]));
    }
    ok = ok && put(o, "tool", json_string("tailgate")) &&
         put(o, "version", json_string(TAILGATE_VERSION)) && put(o, "kind", json_string("sweep")) &&
         put(o, "config", config ? json_deep_copy(config) : json_null()) &&
         put(o, "sweeps", json_incref(arr)) && put(o, "client_limited", json_boolean(limited)) &&
         put(o, "pass", json_boolean(pass));
    json_decref(arr);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

bool sweep_doc_is(const json_t *j)
{
    const char *kind = json_string_value(json_object_get(j, "kind"));
    return json_is_object(j) && kind && !strcmp(kind, "sweep");
}

static int bad(char *err, size_t errlen, int rc, const char *fmt, const char *a, size_t i, size_t k)
{
    snprintf(err, errlen, fmt, a, i, k);
    return rc;
}

static int read_step(const json_t *j, sweep_t *s, size_t i, size_t k, char *err, size_t errlen)
{
    const json_t *off = json_object_get(j, "offered"), *res = json_object_get(j, "result"),
                 *to = json_object_get(j, "timed_out");
    if (!json_is_object(j) || !json_is_number(off) || !(json_number_value(off) > 0))
        return bad(err, errlen, EINVAL,
                   "%s\"sweeps[%zu].steps[%zu].offered\" must be a positive "
                   "number",
                   "", i, k);
    if (to && !json_is_boolean(to))
        return bad(err, errlen, EINVAL,
                   "%s\"sweeps[%zu].steps[%zu].timed_out\" must be true or "
                   "false",
                   "", i, k);
    if (!json_is_object(res))
        return bad(err, errlen, EINVAL, "%s\"sweeps[%zu].steps[%zu].result\" must be an object", "",
                   i, k);
    char why[900];
    result_t r;
    int rc = result_from_json(res, &r, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "\"sweeps[%zu].steps[%zu].result\": %s", i, k, why);
        return rc;
    }
    return sweep_add_step(s, json_number_value(off), &r, json_is_true(to)) ? 0 : ENOMEM;
}

static int read_sweep(const json_t *j, sweep_t *s, size_t i, char *err, size_t errlen)
{
    if (!json_is_object(j))
        return bad(err, errlen, EINVAL, "%s\"sweeps[%zu]\" must be an object", "", i, 0);
    const char *label = json_string_value(json_object_get(j, "label"));
    const char *mode = json_string_value(json_object_get(j, "mode"));
    const json_t *conf = json_object_get(j, "confidence"), *prec = json_object_get(j, "precision"),
                 *req = json_object_get(j, "require_rate"), *slas = json_object_get(j, "sla"),
                 *steps = json_object_get(j, "steps");
    snprintf(s->label, sizeof s->label, "%s", label ? label : "");
    if (!mode || (strcmp(mode, "rate") && strcmp(mode, "concurrency")))
        return bad(err, errlen, EINVAL,
                   "%s\"sweeps[%zu].mode\" must be \"rate\" or \"concurrency\"", "", i, 0);
    s->concurrency = !strcmp(mode, "concurrency");
    if (!json_is_number(conf) || !(json_number_value(conf) > 0 && json_number_value(conf) < 1))
        return bad(err, errlen, EINVAL, "%s\"sweeps[%zu].confidence\" must be a number in (0, 1)",
                   "", i, 0);
    s->confidence = json_number_value(conf);
    s->precision = json_is_number(prec) ? json_number_value(prec) : 0;
    s->require = json_is_number(req) ? json_number_value(req) : 0;
    if (!json_is_array(slas) || json_array_size(slas) > sizeof s->slas / sizeof s->slas[0])
        return bad(err, errlen, EINVAL, "%s\"sweeps[%zu].sla\" must be an array of SLA expressions",
                   "", i, 0);
    for (size_t k = 0; k < json_array_size(slas); k++) {
        const char *t = json_string_value(json_array_get(slas, k));
        char why[600];
        if (!t || sla_parse(t, &s->slas[s->nslas], why, sizeof why)) {
            snprintf(err, errlen, "\"sweeps[%zu].sla[%zu]\": %s", i, k, t ? why : "not a string");
            return EINVAL;
        }
        s->nslas++;
    }
    if (!json_is_array(steps))
        return bad(err, errlen, EINVAL, "%s\"sweeps[%zu].steps\" must be an array", "", i, 0);
    for (size_t k = 0; k < json_array_size(steps); k++) {
        int rc = read_step(json_array_get(steps, k), s, i, k, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

int sweep_doc_from_json(const json_t *j, sweep_t **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!sweep_doc_is(j)) {
        snprintf(err, errlen,
                 "not a sweep document (\"kind\": \"sweep\", from 'tailgate sweep "
                 "--out')");
        return EINVAL;
    }
    const json_t *arr = json_object_get(j, "sweeps");
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        snprintf(err, errlen, "\"sweeps\" must be a non-empty array");
        return EINVAL;
    }
    size_t count = json_array_size(arr);
    sweep_t *v = calloc(count, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        int rc = read_sweep(json_array_get(arr, i), &v[i], i, err, errlen);
        if (rc) {
            if (rc == ENOMEM)
                snprintf(err, errlen, "out of memory");
            for (size_t k = 0; k <= i; k++)
                sweep_close(&v[k]);
            free(v);
            return rc;
        }
    }
    *out = v;
    *n = count;
    return 0;
}
