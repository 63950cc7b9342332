/* goodput — parsing `--goodput` and judging one request against it. */
#include "stats/goodput.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"

static const char *const names[GOODPUT_METRICS] = {"ttft", "tpot", "e2el"};

static const char form[] = "expected METRIC<=DURATION[,...] with METRIC ttft, tpot or e2el, "
                           "e.g. \"ttft<=500ms,tpot<=50ms,e2el<=10s\"";

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, const char *spec,
                                                      const char *fmt, ...)
{
    char what[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (err && errlen)
        snprintf(err, errlen, "goodput \"%.80s\": %s (%s)", spec, what, form);
    return EINVAL;
}

const char *goodput_metric_name(goodput_metric_t m)
{
    return m < GOODPUT_METRICS ? names[m] : "?";
}

/* s[0..n) with surrounding whitespace removed. */
static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* One BOUND in s[0..n) into g. */
static int parse_bound(const char *spec, const char *s, size_t n, goodput_t *g, char *err,
                       size_t errlen)
{
    trim(&s, &n);
    if (n == 0)
        return fail(err, errlen, spec, "an empty bound");
    size_t name_len = 0;
    while (name_len < n && (isalnum((unsigned char)s[name_len]) || s[name_len] == '_'))
        name_len++;
    if (name_len == 0)
        return fail(err, errlen, spec, "a bound must start with a metric");
    int m = -1;
    for (int i = 0; i < GOODPUT_METRICS; i++)
        if (name_len == strlen(names[i]) && memcmp(s, names[i], name_len) == 0)
            m = i;
    if (m < 0)
        return fail(err, errlen, spec, "unknown metric \"%.*s\"", (int)name_len, s);
    if (g->set[m])
        return fail(err, errlen, spec, "%s is bounded twice", names[m]);
    const char *p = s + name_len, *end = s + n;
    while (p < end && isspace((unsigned char)*p))
        p++;
    bool strict;
    if (end - p >= 2 && p[0] == '<' && p[1] == '=') {
        strict = false;
        p += 2;
    } else if (p < end && p[0] == '<') {
        strict = true;
        p++;
    } else if (p < end && (p[0] == '>' || p[0] == '=')) {
        return fail(err, errlen, spec, "%s: a goodput bound is an upper bound: use <= or <",
                    names[m]);
    } else {
        return fail(err, errlen, spec, "expected <= or < after %s", names[m]);
    }
    while (p < end && isspace((unsigned char)*p))
        p++;
    char value[48], why[160];
    size_t vlen = (size_t)(end - p);
    if (vlen == 0)
        return fail(err, errlen, spec, "%s: missing duration", names[m]);
    if (vlen >= sizeof value)
        return fail(err, errlen, spec, "%s: duration too long", names[m]);
    memcpy(value, p, vlen);
    value[vlen] = '\0';
    uint64_t ns;
    if (parse_duration_ns(value, 0, &ns, why, sizeof why) != 0)
        return fail(err, errlen, spec, "%s: %s", names[m], why);
    g->set[m] = true;
    g->strict[m] = strict;
    g->limit_ns[m] = ns;
    return 0;
}

int goodput_parse(const char *text, goodput_t *out, char *err, size_t errlen)
{
    goodput_t g;
    memset(&g, 0, sizeof g);
    const char *s = text;
    size_t n = strlen(text);
    trim(&s, &n);
    if (n == 0)
        return fail(err, errlen, text, "empty");
    const char *end = s + n;
    for (const char *p = s;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        int rc = parse_bound(text, p, (size_t)(stop - p), &g, err, errlen);
        if (rc)
            return rc;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = g;
    return 0;
}

/* ns in the largest unit that states it exactly. */
static int format_duration(char *buf, size_t len, uint64_t ns)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {
        {"h", 3600 * CLOCK_NS_PER_S}, {"m", 60 * CLOCK_NS_PER_S}, {"s", CLOCK_NS_PER_S},
        {"ms", CLOCK_NS_PER_MS},      {"us", CLOCK_NS_PER_US},    {"ns", 1},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ns % units[i].ns == 0 && (ns != 0 || units[i].ns == CLOCK_NS_PER_MS))
            return snprintf(buf, len, "%llu%s", (unsigned long long)(ns / units[i].ns),
                            units[i].unit);
    return snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

int goodput_format(const goodput_t *g, char *buf, size_t len)
{
    size_t off = 0;
    int total = 0;
    if (len)
        buf[0] = '\0';
    for (int i = 0; i < GOODPUT_METRICS; i++) {
        if (!g->set[i])
            continue;
        char d[32];
        format_duration(d, sizeof d, g->limit_ns[i]);
        int w = snprintf(buf + off, len > off ? len - off : 0, "%s%s%s%s", total ? "," : "",
                         names[i], g->strict[i] ? "<" : "<=", d);
        total += w;
        off = (size_t)total < len ? (size_t)total : len;
    }
    return total;
}

static bool within(const goodput_t *g, int m, uint64_t value_ns)
{
    return g->strict[m] ? value_ns < g->limit_ns[m] : value_ns <= g->limit_ns[m];
}

bool goodput_good(const goodput_t *g, bool ok, const tokens_result_t *r)
{
    if (!ok)
        return false;
    if (g->set[GOODPUT_TTFT] && !(r->has_first && within(g, GOODPUT_TTFT, r->ttft_ns)))
        return false;
    if (g->set[GOODPUT_E2EL] && !(r->has_first && within(g, GOODPUT_E2EL, r->e2el_ns)))
        return false;
    if (g->set[GOODPUT_TPOT] && r->has_tpot && !within(g, GOODPUT_TPOT, r->tpot_ns))
        return false;
    return true;
}
