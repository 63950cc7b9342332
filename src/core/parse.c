/* parse — durations, sizes, counts and rates from the command line.
 *
 * Numbers are parsed by hand rather than with strtoull/strtod: those accept
 * leading whitespace, signs, "0x", "inf" and "nan", none of which a person
 * means in "--duration 5s". Fractions ("1.5s", "1.5GiB") are computed exactly
 * in 128-bit integers, truncated to whole nanoseconds or bytes.
 *
 * Choices: duration units ns, us, ms, s, m, h (lowercase only); size
 * suffixes k/K/KiB, m/M/MiB, g/G/GiB, t/T/TiB are all powers of 1024, "B" is
 * bytes, and "KB"/"MB"/"GB" are rejected as ambiguous. A bare_unit_ns of 0
 * means "a unit is required" (only "0" may be written without one). */
#include "core/parse.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/errmsg.h"

#define SHOW "'%.64s'" /* how a rejected input is quoted in a message */

/* DIGITS [ "." DIGITS ]: the integer part, the fraction as frac / 10^frac_digits.
 * Digits of the fraction past 19 are dropped (they are below any unit here).
 * Returns the end of the number, or NULL when there is none or the integer
 * part overflows (*overflow set). */
struct number {
    uint64_t whole;
    uint64_t frac;
    uint64_t frac_scale; /* 10^digits kept */
    bool has_point;
};

static const char *scan_number(const char *p, struct number *n, bool *overflow)
{
    *overflow = false;
    memset(n, 0, sizeof(*n));
    n->frac_scale = 1;
    const char *start = p;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n->whole > (UINT64_MAX - d) / 10) {
            *overflow = true;
            return NULL;
        }
        n->whole = n->whole * 10 + d;
    }
    if (p == start)
        return NULL;
    if (*p != '.')
        return p;
    p++;
    n->has_point = true;
    const char *frac_start = p;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n->frac_scale <= UINT64_MAX / 10 / 10) {
            n->frac = n->frac * 10 + (uint64_t)(*p - '0');
            n->frac_scale *= 10;
        }
    }
    return p == frac_start ? NULL : p; /* "1." is not a number */
}

/* n * unit, truncated; false on overflow. */
static bool scale(const struct number *n, uint64_t unit, uint64_t *out)
{
    unsigned __int128 v = (unsigned __int128)n->whole * unit;
    v += (unsigned __int128)n->frac * unit / n->frac_scale;
    if (v > UINT64_MAX)
        return false;
    *out = (uint64_t)v;
    return true;
}

struct unit {
    const char *suffix;
    uint64_t mult;
};

static const struct unit duration_units[] = {
    {"ns", 1ull},
    {"us", 1000ull},
    {"ms", 1000000ull},
    {"s", 1000000000ull},
    {"m", 60ull * 1000000000ull},
    {"h", 3600ull * 1000000000ull},
};

int parse_duration_ns(const char *text, uint64_t bare_unit_ns, uint64_t *out, char *err,
                      size_t errlen)
{
    static const char hint[] = "(use e.g. 800ms, 5s, 1m)";
    if (!text || !*text)
        return errmsg_set(-1, err, errlen, "empty duration %s", hint);
    if (*text == '-')
        return errmsg_set(-1, err, errlen, SHOW " is negative: a duration must be 0 or more %s",
                          text, hint);
    /* NUMBER UNIT, repeated: "1h30m", "1m30.5s" (each part its own unit, the
     * largest first, as Go's time.ParseDuration reads them). */
    uint64_t total = 0, last_unit = UINT64_MAX;
    for (const char *p = text; *p;) {
        struct number n;
        bool overflow;
        const char *q = scan_number(p, &n, &overflow);
        if (overflow)
            return errmsg_set(-1, err, errlen,
                              SHOW " is too large for a duration (max about 584 years)", text);
        if (!q)
            return errmsg_set(-1, err, errlen, SHOW " is not a duration %s", text, hint);
        uint64_t unit = 0;
        const char *u = q;
        while ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z'))
            u++;
        if (u == q) {
            if (p != text || *q != '\0')
                return errmsg_set(-1, err, errlen,
                                  SHOW " is not a duration %s; units: ns, us, ms, s, m, h", text,
                                  hint);
            if (bare_unit_ns == 0 && (n.whole != 0 || n.frac != 0))
                return errmsg_set(-1, err, errlen, SHOW " needs a unit %s", text, hint);
            unit = bare_unit_ns ? bare_unit_ns : 1;
        } else {
            for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
                if (strlen(duration_units[i].suffix) == (size_t)(u - q) &&
                    !memcmp(q, duration_units[i].suffix, (size_t)(u - q)))
                    unit = duration_units[i].mult;
            if (unit == 0)
                return errmsg_set(-1, err, errlen,
                                  SHOW " is not a duration %s; units: ns, us, ms, s, m, h", text,
                                  hint);
            if (unit >= last_unit)
                return errmsg_set(
                    -1, err, errlen,
                    SHOW " is not a duration: give each unit once, largest first (1h30m)", text);
            last_unit = unit;
        }
        uint64_t v;
        if (!scale(&n, unit, &v) || v > UINT64_MAX - total)
            return errmsg_set(-1, err, errlen,
                              SHOW " is too large for a duration (max about 584 years)", text);
        total += v;
        p = u;
    }
    *out = total;
    return 0;
}

static const struct unit size_units[] = {
    {"B", 1ull},         {"k", 1ull << 10},   {"K", 1ull << 10},   {"KiB", 1ull << 10},
    {"m", 1ull << 20},   {"M", 1ull << 20},   {"MiB", 1ull << 20}, {"g", 1ull << 30},
    {"G", 1ull << 30},   {"GiB", 1ull << 30}, {"t", 1ull << 40},   {"T", 1ull << 40},
    {"TiB", 1ull << 40},
};

int parse_size(const char *text, uint64_t *out, char *err, size_t errlen)
{
    static const char hint[] = "(use e.g. 512k, 8MiB, 1G, or bytes)";
    if (!text || !*text)
        return errmsg_set(-1, err, errlen, "empty size %s", hint);
    if (*text == '-')
        return errmsg_set(-1, err, errlen, SHOW " is negative: a size must be 0 or more", text);
    struct number n;
    bool overflow;
    const char *p = scan_number(text, &n, &overflow);
    if (overflow)
        return errmsg_set(-1, err, errlen, SHOW " is too large for a size", text);
    if (!p)
        return errmsg_set(-1, err, errlen, SHOW " is not a size %s", text, hint);
    uint64_t unit = 0;
    if (*p == '\0') {
        unit = 1;
    } else {
        for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++)
            if (strcmp(p, size_units[i].suffix) == 0)
                unit = size_units[i].mult;
        if (unit == 0 && p[0] && strcmp(p + 1, "B") == 0 && strchr("kKmMgGtT", p[0]))
            return errmsg_set(-1, err, errlen,
                              SHOW " is ambiguous (1000 or 1024?): write %.*s%c or %.*s%ciB, "
                                   "both 1024-based",
                              text, (int)(p - text), text, p[0], (int)(p - text), text,
                              (char)(p[0] & ~0x20));
        if (unit == 0)
            return errmsg_set(-1, err, errlen, SHOW " is not a size %s", text, hint);
    }
    if (unit == 1 && n.has_point)
        return errmsg_set(-1, err, errlen, SHOW " is not a whole number of bytes", text);
    uint64_t v;
    if (!scale(&n, unit, &v))
        return errmsg_set(-1, err, errlen, SHOW " is too large for a size", text);
    *out = v;
    return 0;
}

int parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    if (!text || !*text)
        return errmsg_set(-1, err, errlen, "empty value (expected a whole number %llu..%llu)",
                          (unsigned long long)min, (unsigned long long)max);
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > 9)
            return errmsg_set(-1, err, errlen, SHOW " is not a whole number (expected %llu..%llu)",
                              text, (unsigned long long)min, (unsigned long long)max);
        if (v > (UINT64_MAX - d) / 10)
            return errmsg_set(-1, err, errlen, SHOW " is too large (expected %llu..%llu)", text,
                              (unsigned long long)min, (unsigned long long)max);
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return errmsg_set(-1, err, errlen, SHOW " is out of range (expected %llu..%llu)", text,
                          (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

/* DIGITS [ "." DIGITS ] [ ("e"|"E") [sign] DIGITS ], or "." DIGITS ...: the
 * subset of strtod's syntax we accept (no sign, space, hex, inf, nan). */
static bool is_decimal(const char *p)
{
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

int parse_double(const char *text, double min, double max, double *out, char *err, size_t errlen)
{
    if (!text || !*text)
        return errmsg_set(-1, err, errlen, "empty value (expected a number %g..%g)", min, max);
    if (!is_decimal(text))
        return errmsg_set(-1, err, errlen,
                          SHOW " is not a number (expected %g..%g, e.g. 0.5 or 100)", text, min,
                          max);
    errno = 0;
    double v = strtod(text, NULL);
    if (errno == ERANGE && v != 0.0) /* underflow to 0 is fine: "1e-400" ~ 0 */
        return errmsg_set(-1, err, errlen, SHOW " is too large (expected %g..%g)", text, min, max);
    if (!isfinite(v) || v < min || v > max)
        return errmsg_set(-1, err, errlen, SHOW " is out of range (expected %g..%g)", text, min,
                          max);
    *out = v;
    return 0;
}

void parse_format_duration(uint64_t ns, char *buf, size_t len)
{
    static const uint64_t S = CLOCK_NS_PER_S;
    if (ns == 0) {
        snprintf(buf, len, "0");
        return;
    }
    /* From 999.5 s (where 3 digits of seconds would round to 1000), or a
     * whole number of minutes: whole seconds in h, m and s, as one writes
     * them ("20m35s", "2m", "1h30m"). */
    if (ns >= 999 * S + S / 2 || ns % (60 * S) == 0) {
        uint64_t secs = ns / S + (ns % S >= S / 2);
        char h[24] = "", m[16] = "", sec[16] = "";
        if (secs >= 3600)
            snprintf(h, sizeof h, "%lluh", (unsigned long long)(secs / 3600));
        if (secs / 60 % 60)
            snprintf(m, sizeof m, "%um", (unsigned)(secs / 60 % 60));
        if (secs % 60)
            snprintf(sec, sizeof sec, "%us", (unsigned)(secs % 60));
        snprintf(buf, len, "%s%s%s", h, m, sec);
        return;
    }
    /* Below: 3 significant digits in the largest unit that is at most ns --
     * exact for the durations people give (1.5s, 250us), close enough for
     * computed ones (6.41s, not 6411133603ns). A value that rounds to 1000
     * takes the next unit up (999.6ms reads "1s"). */
    static const struct {
        uint64_t ns;
        const char *unit;
    } units[] = {{S, "s"}, {CLOCK_NS_PER_MS, "ms"}, {CLOCK_NS_PER_US, "us"}, {1, "ns"}};
    size_t i = 0;
    while (ns < units[i].ns)
        i++;
    double v = (double)ns / (double)units[i].ns;
    if (v >= 999.5 && i > 0)
        v = (double)ns / (double)units[--i].ns;
    snprintf(buf, len, "%.3g%s", v, units[i].unit);
}

void parse_format_number(double v, char *buf, size_t len)
{
    /* %g writes 76700 as "7.67e+04": past 4 digits, the digits beyond the
     * fourth significant one are zeros instead. */
    if (isfinite(v) && fabs(v) >= 9999.5) { /* (%.4g rounds 9999.5 up to "1e+04") */
        double mag = pow(10, floor(log10(fabs(v))) - 3);
        snprintf(buf, len, "%.0f", round(v / mag) * mag);
        return;
    }
    if (isfinite(v) && v != 0 && fabs(v) < 1e-4) { /* %g's exponent again: 6 decimals */
        snprintf(buf, len, "%.6f", v);
        return;
    }
    snprintf(buf, len, "%.4g", v);
}
