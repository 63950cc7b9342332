/* walltime — parsing and printing instants, and the kernel's clock status. */
#include "core/walltime.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "core/clock.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* n digits at *p into *v; advances *p. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!is_digit(**p))
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

/* ".250" -> 250000000 ns; more than 9 decimals are dropped. Advances *p. */
static uint64_t fraction(const char **p)
{
    uint64_t frac = 0, scale = CLOCK_NS_PER_S;
    if (**p != '.' || !is_digit((*p)[1]))
        return 0;
    for ((*p)++; is_digit(**p); (*p)++) {
        if (scale > 1) {
            scale /= 10;
            frac += (uint64_t)(**p - '0') * scale;
        }
    }
    return frac;
}

static void not_a_time(char *why, size_t whylen)
{
    snprintf(why, whylen,
             "not a time: give epoch seconds (date +%%s.%%N) or ISO 8601 with a zone, e.g. "
             "2026-01-01T12:00:00Z");
}

static int epoch_seconds(const char *s, uint64_t *ns, char *why, size_t whylen)
{
    uint64_t secs = 0;
    const char *p = s;
    for (; is_digit(*p); p++) {
        secs = secs * 10 + (uint64_t)(*p - '0');
        if (secs > 9999999999ull) { /* past the year 2286: a typo (ns would overflow soon) */
            snprintf(why, whylen,
                     "too far in the future (past 2286); give a time a little ahead, e.g. the "
                     "output of date -d +60sec +%%s");
            return -1;
        }
    }
    uint64_t frac = fraction(&p);
    if (*p) {
        not_a_time(why, whylen);
        return -1;
    }
    *ns = secs * CLOCK_NS_PER_S + frac;
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* *p is c (one of cs): skip it. */
static bool skip(const char **p, const char *cs)
{
    if (!**p || !strchr(cs, **p))
        return false;
    (*p)++;
    return true;
}

static int iso8601(const char *s, uint64_t *ns, char *why, size_t whylen)
{
    const char *p = s;
    int y, mo, d, h, mi, sec;
    bool ok = digits(&p, 4, &y) && skip(&p, "-") && digits(&p, 2, &mo) && skip(&p, "-") &&
              digits(&p, 2, &d) && skip(&p, "Tt ") && digits(&p, 2, &h) && skip(&p, ":") &&
              digits(&p, 2, &mi) && skip(&p, ":") && digits(&p, 2, &sec);
    if (!ok) {
        not_a_time(why, whylen);
        return -1;
    }
    uint64_t frac = fraction(&p);
    long offset = 0; /* seconds east of UTC */
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        bool zone = digits(&p, 2, &oh);
        skip(&p, ":"); /* +01:00 and +0100 */
        if (!zone || !digits(&p, 2, &om) || oh > 23 || om > 59) {
            snprintf(why, whylen, "the zone offset must be +HH:MM or -HH:MM");
            return -1;
        }
        offset = sign * (oh * 3600L + om * 60L);
    } else if (!*p) {
        snprintf(why, whylen,
                 "the time has no zone, and each machine would read it in its own: add Z "
                 "for UTC or an offset such as +01:00");
        return -1;
    }
    if (*p) {
        snprintf(why, whylen, "unexpected '%s' after the time", p);
        return -1;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59) {
        snprintf(why, whylen,
                 "no such date or time of day; give YYYY-MM-DDTHH:MM:SS with a zone, e.g. "
                 "2026-01-01T12:00:00Z");
        return -1;
    }
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    long long t = (long long)timegm(&tm) - offset;
    if (t < 0 || t > 9999999999LL) {
        snprintf(why, whylen,
                 "%s; give a time a little ahead, e.g. the output of date -d +60sec "
                 "-Iseconds",
                 t < 0 ? "before 1970" : "too far in the future (past 2286)");
        return -1;
    }
    *ns = (uint64_t)t * CLOCK_NS_PER_S + frac;
    return 0;
}

int walltime_parse(const char *text, uint64_t *ns, char *why, size_t whylen)
{
    size_t n = strspn(text, "0123456789");
    if (n > 0 && (text[n] == '\0' || text[n] == '.'))
        return epoch_seconds(text, ns, why, whylen);
    return iso8601(text, ns, why, whylen);
}

void walltime_format(uint64_t ns, char *buf, size_t len)
{
    time_t secs = (time_t)(ns / CLOCK_NS_PER_S);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03uZ", (unsigned)(ns % CLOCK_NS_PER_S / CLOCK_NS_PER_MS));
}

int walltime_synced(void)
{
    struct timex tx;
    memset(&tx, 0, sizeof tx); /* modes 0: read only */
    int state = adjtimex(&tx);
    if (state < 0)
        return -1;
    return state == TIME_ERROR || (tx.status & STA_UNSYNC) ? 0 : 1;
}
