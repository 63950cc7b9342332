/* sla — parsing and judging `--sla METRIC OP VALUE`. */
#include "stats/sla.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jtok.h"

/* An error message composed in the caller's buffer, piece by piece: no
 * intermediate buffer of our own that could cut it short. */
typedef struct {
    char *buf;
    size_t len, off;
} msg_t;

static void vadd(msg_t *m, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vadd(msg_t *m, const char *fmt, va_list ap)
{
    if (m->off >= m->len)
        return;
    int n = vsnprintf(m->buf + m->off, m->len - m->off, fmt, ap);
    m->off = n < 0 ? m->len : m->off + (size_t)n;
}

static void add(msg_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(msg_t *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(m, fmt, ap);
    va_end(ap);
}

/* What the valid expressions are, for every error message: the gateable
 * metrics come from the metric table. */
static void valid_list(msg_t *m)
{
    add(m, "valid metrics:");
    for (int k = 0; k < METRIC_NUM_PCTS; k++)
        add(m, " %s", metric_pcts[k].label);
    add(m, " max mean (item latency; any pN works), the same prefixed with");
    for (int i = 0, k = 0; i < METRIC_COUNT; i++) {
        if (!metric_table[i].gateable || i == METRIC_ITEM)
            continue;
        add(m, "%s \"%s.\"", k++ ? "," : "", metric_table[i].key);
    }
    add(m, ", error_rate (%%), rps, ips, output_tokens_per_s, goodput, slo_attainment (%%); "
           "ops: <= < >= >; e.g. \"p95<=800ms\", \"ttft.p99<=500ms\", \"error_rate<1%%\", "
           "\"ips>=500\"");
}

/* An expression longer than this is shown cut, with "...": the message
 * stays within SLA_ERR_MAX whatever was typed. */
#define SHOW_MAX 160

static void fail(char *err, size_t errlen, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(char *err, size_t errlen, const char *expr, const char *fmt, ...)
{
    msg_t m = {err, errlen, 0};
    if (errlen)
        err[0] = '\0';
    size_t n = strlen(expr);
    add(&m, "SLA \"%.*s%s\": ", (int)jtok_utf8_cut(expr, n, SHOW_MAX), expr,
        n > SHOW_MAX ? "..." : "");
    va_list ap;
    va_start(ap, fmt);
    vadd(&m, fmt, ap);
    va_end(ap);
    add(&m, " (");
    valid_list(&m);
    add(&m, ")");
}

static const char *skip_ws(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* Parses "DIGITS[.DIGITS]" or ".DIGITS" as mantissa * 10^-frac_digits, exactly.
 * Returns the end, or NULL when there is no number or it has too many digits. */
static const char *parse_decimal(const char *p, uint64_t *mantissa, int *frac_digits)
{
    uint64_t m = 0;
    int digits = 0, frac = 0;
    bool dot = false;
    for (;; p++) {
        if (*p == '.' && !dot) {
            dot = true;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            break;
        if (++digits > 17)
            return NULL;
        m = m * 10 + (uint64_t)(*p - '0');
        frac += dot;
    }
    if (!digits)
        return NULL;
    *mantissa = m;
    *frac_digits = frac;
    return p;
}

static uint64_t pow10u(int n)
{
    uint64_t v = 1;
    while (n-- > 0)
        v *= 10;
    return v;
}

/* Latency metric names: "max", "mean" or "pN". Returns false if not one. */
static bool parse_latency_metric(const char *name, sla_t *s)
{
    if (!strcmp(name, "max")) {
        s->metric = SLA_LATENCY_PCT;
        s->percentile = 100;
        return true;
    }
    if (!strcmp(name, "mean")) {
        s->metric = SLA_LATENCY_MEAN;
        return true;
    }
    uint64_t m;
    int frac;
    const char *end;
    if (name[0] != 'p' || !(end = parse_decimal(name + 1, &m, &frac)) || *end || frac > 6)
        return false;
    double p = (double)m / (double)pow10u(frac);
    if (!(p > 0 && p <= 100))
        return false;
    s->metric = SLA_LATENCY_PCT;
    s->percentile = p;
    return true;
}

int sla_parse(const char *text, sla_t *out, char *err, size_t errlen)
{
    sla_t s = {0};
    const char *start = skip_ws(text);
    size_t len = strlen(start);
    while (len && isspace((unsigned char)start[len - 1]))
        len--;
    if (len >= sizeof s.text) {
        fail(err, errlen, start, "longer than %zu characters; write METRIC OP VALUE",
             sizeof s.text - 1);
        return EINVAL;
    }
    memcpy(s.text, start, len);
    const char *expr = s.text;
    if (!len) {
        fail(err, errlen, expr, "empty expression; expected METRIC OP VALUE");
        return EINVAL;
    }

    /* METRIC */
    const char *p = expr;
    char name[sizeof s.text];
    size_t n = 0;
    while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '.'))
        name[n++] = *p++;
    name[n] = '\0';
    /* "request.p95": a gateable metric's key, then the statistic. */
    const char *base = name, *dot = strchr(name, '.');
    const metric_t *prefix = dot ? metric_by_key(name, (size_t)(dot - name)) : NULL;
    s.latency = METRIC_ITEM;
    if (prefix && prefix->gateable) {
        s.latency = prefix->id;
        base = dot + 1;
    }
    char scope[40] = "";
    if (s.latency != METRIC_ITEM)
        snprintf(scope, sizeof scope, "%s.", metric_table[s.latency].key);
    if (parse_latency_metric(base, &s)) {
        if (s.metric == SLA_LATENCY_MEAN || s.percentile == 100)
            snprintf(s.name, sizeof s.name, "%s%s", scope,
                     s.metric == SLA_LATENCY_MEAN ? "mean" : "max");
        else
            snprintf(s.name, sizeof s.name, "%sp%.10g", scope, s.percentile);
    } else if (base == name && !strcmp(name, "error_rate")) {
        s.metric = SLA_ERROR_RATE;
    } else if (base == name && !strcmp(name, "rps")) {
        s.metric = SLA_RPS;
    } else if (base == name && !strcmp(name, "ips")) {
        s.metric = SLA_IPS;
    } else if (base == name && !strcmp(name, "output_tokens_per_s")) {
        s.metric = SLA_OUTPUT_TOKENS_PER_S;
    } else if (base == name && !strcmp(name, "goodput")) {
        s.metric = SLA_GOODPUT;
    } else if (base == name && !strcmp(name, "slo_attainment")) {
        s.metric = SLA_SLO_ATTAINMENT;
    } else {
        if (n)
            fail(err, errlen, expr, "unknown metric \"%s\"", name);
        else
            fail(err, errlen, expr, "expected a metric first");
        return EINVAL;
    }
    if (s.metric >= SLA_ERROR_RATE) /* one of the names above: it fits */
        snprintf(s.name, sizeof s.name, "%.31s", name);

    /* OP */
    p = skip_ws(p);
    if (p[0] == '<' || p[0] == '>') {
        bool eq = p[1] == '=';
        s.op = p[0] == '<' ? (eq ? SLA_LE : SLA_LT) : (eq ? SLA_GE : SLA_GT);
        p += 1 + eq;
    } else if (!strncmp(p, "\xe2\x89\xa4", 3) || !strncmp(p, "\xe2\x89\xa5", 3)) {
        fail(err, errlen, expr, "write the operator as \"%s\" (ASCII), not \"%.3s\"",
             p[2] == '\xa4' ? "<=" : ">=", p);
        return EINVAL;
    } else if (!strncmp(p, "=<", 2) || !strncmp(p, "=>", 2)) {
        fail(err, errlen, expr, "write \"%c=\", not \"=%c\"", p[1], p[1]);
        return EINVAL;
    } else if (p[0] == '=') {
        fail(err, errlen, expr, "\"=\" is not an operator: a gate is a bound, \"<=\" or \">=\"");
        return EINVAL;
    } else {
        fail(err, errlen, expr, "expected an operator after \"%s\"", name);
        return EINVAL;
    }

    /* VALUE [UNIT] */
    p = skip_ws(p);
    uint64_t m;
    int frac;
    const char *num = p;
    if (!(p = parse_decimal(num, &m, &frac))) {
        fail(err, errlen, expr,
             "expected a non-negative number (at most 17 digits) after the "
             "operator");
        return EINVAL;
    }
    double value = strtod(num, NULL);
    const char *unit = skip_ws(p);
    char ubuf[16];
    n = 0;
    while (unit[n] && !isspace((unsigned char)unit[n]) && n < sizeof ubuf - 1) {
        ubuf[n] = (char)tolower((unsigned char)unit[n]);
        n++;
    }
    ubuf[n] = '\0';
    if (*skip_ws(unit + n)) {
        fail(err, errlen, expr, "unexpected text after the value");
        return EINVAL;
    }

    switch (s.metric) {
    case SLA_LATENCY_PCT:
    case SLA_LATENCY_MEAN: {
        uint64_t unit_ns;
        if (!*ubuf || !strcmp(ubuf, "ms"))
            unit_ns = 1000000;
        else if (!strcmp(ubuf, "us"))
            unit_ns = 1000;
        else if (!strcmp(ubuf, "s"))
            unit_ns = 1000000000;
        else {
            fail(err, errlen, expr, "unknown latency unit \"%s\" (use us, ms or s; bare = ms)",
                 ubuf);
            return EINVAL;
        }
        /* ns = m * unit_ns / 10^frac exactly, rounded to the nearest ns. */
        unsigned __int128 ns = (unsigned __int128)m * unit_ns, div = pow10u(frac);
        ns = (ns + div / 2) / div;
        if (ns > HIST_HIGHEST_NS) {
            fail(err, errlen, expr, "latency threshold above 1 hour");
            return EINVAL;
        }
        s.threshold_ns = (uint64_t)ns;
        s.threshold = (double)s.threshold_ns / 1e6;
        break;
    }
    case SLA_ERROR_RATE:
    case SLA_SLO_ATTAINMENT:
        if (*ubuf && strcmp(ubuf, "%")) {
            fail(err, errlen, expr, "%s takes a percentage, e.g. 1 or 1%% (not \"%s\")", name,
                 ubuf);
            return EINVAL;
        }
        if (value > 100) {
            fail(err, errlen, expr, "%s above 100%%", name);
            return EINVAL;
        }
        s.threshold = value;
        break;
    case SLA_RPS:
    case SLA_IPS:
    case SLA_OUTPUT_TOKENS_PER_S:
    case SLA_GOODPUT:
        if (*ubuf && strcmp(ubuf, "/s")) {
            fail(err, errlen, expr, "%s takes a plain number per second (not \"%s\")", name, ubuf);
            return EINVAL;
        }
        s.threshold = value;
        break;
    }
    *out = s;
    return 0;
}

const char *sla_metric_name(const sla_t *s)
{
    return s->name;
}

const char *sla_unit(const sla_t *s)
{
    switch (s->metric) {
    case SLA_LATENCY_PCT:
    case SLA_LATENCY_MEAN:
        return "ms";
    case SLA_ERROR_RATE:
    case SLA_SLO_ATTAINMENT:
        return "%";
    case SLA_RPS:
    case SLA_IPS:
    case SLA_OUTPUT_TOKENS_PER_S:
    case SLA_GOODPUT:
        return "/s";
    }
    return "";
}

const char *sla_op_name(const sla_t *s)
{
    static const char *const names[] = {
        [SLA_LE] = "<=", [SLA_LT] = "<", [SLA_GE] = ">=", [SLA_GT] = ">"};
    return (unsigned)s->op < 4 ? names[s->op] : "?";
}

/* What the SLA's metric counts that got no good answer: items or requests
 * (metric_t.per); nothing for per-connection metrics. */
static uint64_t failed_in_scope(const sla_t *s, const runstats_t *rs)
{
    switch (metric_table[s->latency].per) {
    case METRIC_PER_ITEM:
        return rs->items > rs->items_ok ? rs->items - rs->items_ok : 0;
    case METRIC_PER_REQUEST:
        return rs->requests > rs->requests_ok ? rs->requests - rs->requests_ok : 0;
    case METRIC_PER_CONNECTION:
        return 0;
    }
    return 0;
}

/* A successful request records one value of a first-token metric exactly
 * when a token-bearing event arrived: the rest of the successes got none. */
static uint64_t without_token(const sla_t *s, const runstats_t *rs)
{
    const hist_t *h = rs->hist[s->latency];
    if (!metric_table[s->latency].first_token || !h)
        return 0;
    uint64_t timed = hist_count(h);
    return rs->requests_ok > timed ? rs->requests_ok - timed : 0;
}

uint64_t sla_ranked_slowest(const sla_t *s, const runstats_t *rs, uint64_t *no_token)
{
    uint64_t none = 0, failed = 0;
    if (s->metric == SLA_LATENCY_PCT) {
        none = without_token(s, rs);
        failed = failed_in_scope(s, rs);
    }
    if (no_token)
        *no_token = none;
    return failed + none;
}

/* A latency percentile over everything issued, failures ranked slowest: the
 * histogram holds the answered ones, and a failed item has no latency that
 * could meet any threshold. "p95<=800ms" thus reads "95% of all items were
 * answered within 800 ms" -- a run where most requests time out cannot pass
 * it on the few that came back. */
static double pct_over_all(const sla_t *s, const hist_t *h, uint64_t failed)
{
    if (!h)
        return NAN; /* no histogram (a file without one): nothing to rank against */
    uint64_t answered = hist_count(h);
    if (answered + failed == 0)
        return NAN;
    if (s->percentile >= 100)
        return failed ? INFINITY : (double)hist_max(h) / 1e6;
    uint64_t rank = hist_rank(answered + failed, s->percentile);
    return rank > answered ? INFINITY : (double)hist_at_rank(h, rank) / 1e6;
}

double sla_measure(const sla_t *s, const runstats_t *rs, double duration_s)
{
    const hist_t *h = rs->hist[s->latency];
    switch (s->metric) {
    case SLA_LATENCY_PCT:
        return pct_over_all(s, h, sla_ranked_slowest(s, rs, NULL));
    case SLA_LATENCY_MEAN:
        return h && hist_count(h) ? hist_mean(h) / 1e6 : NAN;
    case SLA_ERROR_RATE:
        /* One correctly rounded division: 1 error in 100 gives exactly 1.0. */
        return rs->requests
                   ? (double)(rs->requests - rs->requests_ok) * 100.0 / (double)rs->requests
                   : NAN;
    /* Throughput gates count what succeeded: a server answering every request
     * with 500 at full speed must not pass "ips>=500". */
    case SLA_RPS:
        return duration_s > 0 ? (double)rs->requests_ok / duration_s : NAN;
    case SLA_IPS:
        return duration_s > 0 ? (double)rs->items_ok / duration_s : NAN;
    /* Only what a streamed run measured: a run that did not stream has no
     * token figures, not zero of them. Failed requests count no tokens and
     * are never good. */
    case SLA_OUTPUT_TOKENS_PER_S:
        return runstats_stream_rates(rs, duration_s).output_tokens_per_s;
    case SLA_GOODPUT:
        return runstats_stream_rates(rs, duration_s).goodput_per_s;
    case SLA_SLO_ATTAINMENT:
        return runstats_stream_rates(rs, duration_s).slo_attainment_pct;
    }
    return NAN;
}

bool sla_needs_stream(const sla_t *s)
{
    switch (s->metric) {
    case SLA_LATENCY_PCT:
    case SLA_LATENCY_MEAN:
        return metric_table[s->latency].streamed;
    case SLA_OUTPUT_TOKENS_PER_S:
    case SLA_GOODPUT:
    case SLA_SLO_ATTAINMENT:
        return true;
    default:
        return false;
    }
}

static bool compare(sla_op_t op, double v, double t)
{
    switch (op) {
    case SLA_LE:
        return v <= t;
    case SLA_LT:
        return v < t;
    case SLA_GE:
        return v >= t;
    case SLA_GT:
        return v > t;
    }
    return false;
}

bool sla_holds(const sla_t *s, double measured)
{
    if (isnan(measured))
        return false;
    if (s->metric == SLA_LATENCY_PCT || s->metric == SLA_LATENCY_MEAN) {
        /* Judge in ns: a value that came from integer ns (every percentile) went
         * through ns / 1e6 and is snapped back to its integer, so 800 ms is
         * exactly 800000000 ns, never 800000000.0000001. */
        double ns = measured * 1e6, r = nearbyint(ns);
        if (fabs(ns - r) < 0.01)
            ns = r;
        return compare(s->op, ns, (double)s->threshold_ns);
    }
    return compare(s->op, measured, s->threshold);
}

void sla_judge(const sla_t *s, const runstats_t *rs, double duration_s, sla_verdict_t *v)
{
    v->sla = *s;
    v->value = sla_measure(s, rs, duration_s);
    v->pass = sla_holds(s, v->value);
    v->note[0] = '\0';
    uint64_t none, slowest = sla_ranked_slowest(s, rs, &none), failed = slowest - none;
    const char *what = metric_per_noun(metric_table[s->latency].per);
    /* "the 3 failed requests", "the 2 requests with no token", or both */
    char who[96];
    if (none && failed)
        snprintf(who, sizeof who, "%llu requests: %llu failed, %llu with no token",
                 (unsigned long long)slowest, (unsigned long long)failed, (unsigned long long)none);
    else if (none)
        snprintf(who, sizeof who, "%llu requests with no token", (unsigned long long)none);
    else
        snprintf(who, sizeof who, "%llu failed %s", (unsigned long long)failed, what);
    if (isnan(v->value) && sla_needs_stream(s) && !runstats_streamed(rs))
        snprintf(v->note, sizeof v->note, "the run did not stream (--stream)");
    else if (isnan(v->value))
        snprintf(v->note, sizeof v->note, "no values recorded");
    else if (isinf(v->value))
        snprintf(v->note, sizeof v->note, "%s falls among the %s", sla_metric_name(s), who);
    else if (slowest)
        snprintf(v->note, sizeof v->note, "over all %s, the %s counted as slowest", what, who);
}

json_t *sla_verdict_to_json(const sla_verdict_t *v)
{
    const sla_t *s = &v->sla;
    json_t *o =
        json_pack("{s:s,s:s,s:o,s:f,s:s,s:b}", "expr", s->text, "metric", sla_metric_name(s),
                  "value", isfinite(v->value) ? json_real(v->value) : json_null(), "threshold",
                  s->threshold, "unit", sla_unit(s), "pass", v->pass);
    if (o && v->note[0] && json_object_set_new(o, "note", json_string(v->note))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int sla_verdict_from_json(const json_t *j, sla_verdict_t *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    const json_t *expr = json_object_get(j, "expr"), *value = json_object_get(j, "value"),
                 *pass = json_object_get(j, "pass"), *note = json_object_get(j, "note");
    char why[SLA_ERR_MAX];
    if (!json_is_object(j)) {
        snprintf(err, errlen, "not an object");
        return EINVAL;
    }
    if (!json_is_string(expr)) {
        snprintf(err, errlen, "\"expr\" must be a string");
        return EINVAL;
    }
    if (sla_parse(json_string_value(expr), &v->sla, why, sizeof why)) {
        snprintf(err, errlen, "\"expr\": %s", why);
        return EINVAL;
    }
    if (!(json_is_number(value) || json_is_null(value))) {
        snprintf(err, errlen, "\"value\" must be a number or null");
        return EINVAL;
    }
    if (!json_is_boolean(pass)) {
        snprintf(err, errlen, "\"pass\" must be true or false");
        return EINVAL;
    }
    if (note && !json_is_string(note)) {
        snprintf(err, errlen, "\"note\" must be a string");
        return EINVAL;
    }
    v->value = json_is_number(value) ? json_number_value(value) : NAN;
    v->pass = json_is_true(pass);
    snprintf(v->note, sizeof v->note, "%s", note ? json_string_value(note) : "");
    return 0;
}
