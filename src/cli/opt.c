/* opt — the option table's parser, help writer and config recorder.
 *
 * Written by hand rather than on getopt_long: getopt keeps global state
 * (optind, reset by a magic 0), reports errors through four return values the
 * caller must tell apart, and knows nothing about what a value means, so each
 * command grew its own loop and wording. Here one loop knows every kind. */
#include "cli/opt.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/errmsg.h"
#include "core/jtok.h"
#include "core/parse.h"

/* A value as it is shown in a message: as typed when it is plain, in single
 * quotes when it holds anything a shell would treat specially, UTF-8 text as
 * typed (p95≤800ms), control and stray bytes as '?', at most 80 characters. */
static void show_value(const char *v, char *buf, size_t len)
{
    bool plain = *v != '\0';
    for (const char *p = v; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%/:+-=,@", *p))
            plain = false;
    size_t k = 0;
    if (!plain && k + 1 < len)
        buf[k++] = '\'';
    size_t n = 0;
    for (const char *p = v; *p && k + 5 < len; p++, n++) {
        if (n == 80) {
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        unsigned char c = (unsigned char)*p;
        size_t u = c >= 0x80 ? jtok_utf8((const unsigned char *)p, strnlen(p, 4)) : 0;
        if (u > 1 && k + u + 5 < len) { /* a character: as typed, unless a C1 control */
            bool c1 = c == 0xc2 && (unsigned char)p[1] < 0xa0;
            memcpy(buf + k, c1 ? "?" : p, c1 ? 1 : u);
            k += c1 ? 1 : u;
            p += u - 1;
            continue;
        }
        buf[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (!plain && k + 1 < len)
        buf[k++] = '\'';
    buf[k] = '\0';
}

/* The u64 bounds of a count, duration or size row (double -> u64 safely). */
static uint64_t to_u64(double d)
{
    if (!(d > 0))
        return 0;
    if (d >= 18446744073709551615.0)
        return UINT64_MAX;
    return (uint64_t)d;
}

/* "from 1 to 1000000", "of 1 or more". */
static void count_range(const opt_t *o, char *buf, size_t len)
{
    uint64_t lo = to_u64(o->min), hi = to_u64(o->max);
    if (hi >= UINT64_MAX / 8)
        snprintf(buf, len, "of %llu or more", (unsigned long long)lo);
    else
        snprintf(buf, len, "from %llu to %llu", (unsigned long long)lo, (unsigned long long)hi);
}

static bool all_digits(const char *s, bool point_ok)
{
    bool digit = false, point = false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digit = true;
        else if (*s == '.' && point_ok && !point)
            point = true;
        else
            return false;
    }
    return digit;
}

static int set_count(const opt_t *o, const char *v, const char *shown, void *field, char *err,
                     size_t errlen)
{
    char range[64];
    count_range(o, range, sizeof range);
    uint64_t u;
    if (!all_digits(v, false))
        return errmsg_set(-1, err, errlen, "--%s %s: not a whole number; give one %s", o->name,
                          shown, range);
    if (parse_u64(v, to_u64(o->min), to_u64(o->max), &u, NULL, 0))
        return errmsg_set(-1, err, errlen, "--%s %s: out of range; give a whole number %s", o->name,
                          shown, range);
    memcpy(field, &u, sizeof u);
    return 0;
}

static int set_duration(const opt_t *o, const char *v, const char *shown, void *field, char *err,
                        size_t errlen)
{
    uint64_t ns;
    if (all_digits(v, true)) {
        /* A bare number meant seconds for run lengths and milliseconds for
         * latencies once; "--timeout 5" read as 5 ms surprised people. Only
         * 0 means the same in every unit. */
        if (parse_duration_ns(v, 1, &ns, NULL, 0) || ns != 0)
            return errmsg_set(-1, err, errlen, "--%s %s: give a unit, e.g. %ss or %sms", o->name,
                              shown, shown, shown);
    } else if (parse_duration_ns(v, 0, &ns, NULL, 0)) {
        return errmsg_set(
            -1, err, errlen,
            "--%s %s: not a duration; give a number and a unit (ns, us, ms, s, m, h), "
            "e.g. 500ms, 30s or 2m",
            o->name, shown);
    }
    uint64_t lo = to_u64(o->min), hi = to_u64(o->max);
    char b[32];
    if (ns < lo && lo <= 1)
        return errmsg_set(-1, err, errlen, "--%s %s: must be more than 0, e.g. 500ms or 10s",
                          o->name, shown);
    if (ns < lo) {
        parse_format_duration(lo, b, sizeof b);
        return errmsg_set(-1, err, errlen, "--%s %s: too short; give at least %s", o->name, shown,
                          b);
    }
    if (o->max > 0 && ns > hi) {
        parse_format_duration(hi, b, sizeof b);
        return errmsg_set(-1, err, errlen, "--%s %s: too long; give at most %s", o->name, shown, b);
    }
    memcpy(field, &ns, sizeof ns);
    return 0;
}

static int set_rate(const opt_t *o, const char *v, const char *shown, void *field, char *err,
                    size_t errlen)
{
    double d;
    if (v[0] == '-' && parse_double(v + 1, 0, DBL_MAX, &d, NULL, 0) == 0)
        d = -d; /* a number, below any range here: said so below, not "not a number" */
    else if (parse_double(v, 0, DBL_MAX, &d, NULL, 0))
        return errmsg_set(-1, err, errlen,
                          "--%s %s: not a number; give one from %.10g to %.10g, e.g. 100", o->name,
                          shown, o->min, o->max);
    if (d < o->min || d > o->max)
        return errmsg_set(-1, err, errlen,
                          "--%s %s: out of range; give a number from %.10g to %.10g", o->name,
                          shown, o->min, o->max);
    memcpy(field, &d, sizeof d);
    return 0;
}

static int set_size(const opt_t *o, const char *v, const char *shown, void *field, char *err,
                    size_t errlen)
{
    uint64_t u;
    if (parse_size(v, &u, NULL, 0))
        return errmsg_set(
            -1, err, errlen,
            "--%s %s: not a size; give bytes or a number with a 1024-based unit, e.g. "
            "512k, 8MiB or 1G",
            o->name, shown);
    uint64_t lo = to_u64(o->min), hi = to_u64(o->max);
    if (u < lo)
        return errmsg_set(-1, err, errlen, "--%s %s: too small; give at least %llu byte%s", o->name,
                          shown, (unsigned long long)lo, lo == 1 ? "" : "s");
    if (o->max > 0 && u > hi)
        return errmsg_set(-1, err, errlen, "--%s %s: too large; give at most %llu bytes", o->name,
                          shown, (unsigned long long)hi);
    memcpy(field, &u, sizeof u);
    return 0;
}

static int set_percent(const opt_t *o, const char *v, const char *shown, void *field, char *err,
                       size_t errlen)
{
    double d;
    size_t n = strlen(v);
    int rc;
    if (n > 1 && v[n - 1] == '%') {
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(n - 1), v);
        rc = n - 1 < sizeof num ? parse_double(num, 0, 100, &d, NULL, 0) : -1;
        if (rc == 0)
            d /= 100;
    } else {
        rc = parse_double(v, 0, 1, &d, NULL, 0);
    }
    if (rc || d < o->min || d > o->max) {
        /* The example must be a value the option takes: 5% is no confidence. */
        static const double picks[] = {0.05, 0.99, 0.5};
        double e = o->min;
        for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++)
            if (picks[i] >= o->min && picks[i] <= o->max) {
                e = picks[i];
                break;
            }
        return errmsg_set(-1, err, errlen,
                          "--%s %s: give a fraction from %.6g to %.6g or a percentage from %.6g%% "
                          "to %.6g%%, e.g. %.6g or %.6g%%",
                          o->name, shown, o->min, o->max, o->min * 100, o->max * 100, e, e * 100);
    }
    memcpy(field, &d, sizeof d);
    return 0;
}

static int set_enum(const opt_t *o, const char *v, const char *shown, void *field, char *err,
                    size_t errlen)
{
    for (int i = 0; o->choices[i]; i++)
        if (!strcmp(v, o->choices[i])) {
            memcpy(field, &i, sizeof i);
            return 0;
        }
    char list[256] = "";
    size_t k = 0;
    for (int i = 0; o->choices[i] && k < sizeof list; i++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s",
                              i == 0              ? ""
                              : o->choices[i + 1] ? ", "
                                                  : " or ",
                              o->choices[i]);
    return errmsg_set(-1, err, errlen, "--%s %s: not a known value; use %s", o->name, shown, list);
}

/* Stores one value (NULL for a flag) into its field. */
static int set_value(const opt_t *o, void *dst, const char *v, char *err, size_t errlen)
{
    void *field = (char *)dst + o->offset;
    char shown[128] = "";
    if (v)
        show_value(v, shown, sizeof shown);
    switch (o->kind) {
    case OPT_COUNT:
        return set_count(o, v, shown, field, err, errlen);
    case OPT_DURATION:
        return set_duration(o, v, shown, field, err, errlen);
    case OPT_RATE:
        return set_rate(o, v, shown, field, err, errlen);
    case OPT_SIZE:
        return set_size(o, v, shown, field, err, errlen);
    case OPT_PERCENT:
        return set_percent(o, v, shown, field, err, errlen);
    case OPT_ENUM:
        return set_enum(o, v, shown, field, err, errlen);
    case OPT_FLAG: {
        bool t = true;
        memcpy(field, &t, sizeof t);
        return 0;
    }
    case OPT_STRING:
    case OPT_LIST: {
        /* The check's words go right after "--name VALUE: " in err: no
         * buffer of ours between them to cut a long one (the SLA list). */
        if (o->path && !*v)
            return errmsg_set(-1, err, errlen, "--%s '': an empty path; give one, e.g. --%s %s",
                              o->name, o->name, o->path);
        int n = snprintf(err, errlen, "--%s %s: ", o->name, shown);
        size_t off = n > 0 && (size_t)n < errlen ? (size_t)n : 0;
        if (o->check && o->check(v, err + off, errlen - off))
            return -1;
        if (o->kind == OPT_STRING) {
            memcpy(field, &v, sizeof v);
            return 0;
        }
        opt_list_t *l = field;
        size_t max = o->max > 0 && o->max < OPT_LIST_MAX ? (size_t)o->max : OPT_LIST_MAX;
        if (l->n >= max)
            return errmsg_set(-1, err, errlen,
                              "--%s %s: given more than %zu times; keep at most %zu", o->name,
                              shown, max, max);
        l->v[l->n++] = v;
        return 0;
    }
    case OPT_HEADING:
        break;
    }
    return errmsg_set(-1, err, errlen, "--%s: not an option", o->name);
}

/* ---- the loop ---- */

typedef struct {
    const opt_group_t *g;
    size_t i;
} found_t;

static const char builtin_help[] = "help";

/* A long name: 2 exact, 1 a unique prefix, 0 unknown, -1 ambiguous. */
static int find_long(const opt_group_t *groups, size_t ng, const char *name, size_t len,
                     found_t *out)
{
    size_t matches = 0;
    if (len == 0)
        return 0;
    for (size_t k = 0; k < ng; k++)
        for (size_t i = 0; i < groups[k].n; i++) {
            const char *n = groups[k].opts[i].name;
            if (!n || strncmp(n, name, len))
                continue;
            if (n[len] == '\0') { /* exact: wins over any prefix match */
                *out = (found_t){&groups[k], i};
                return 2;
            }
            if (matches++ == 0)
                *out = (found_t){&groups[k], i};
        }
    if (matches == 1)
        return 1;
    return matches ? -1 : 0;
}

static void list_prefix_matches(const opt_group_t *groups, size_t ng, const char *name, size_t len,
                                char *buf, size_t blen)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t g = 0; g < ng; g++)
        for (size_t i = 0; i < groups[g].n && k < blen; i++) {
            const char *n = groups[g].opts[i].name;
            if (n && !strncmp(n, name, len))
                k += (size_t)snprintf(buf + k, blen - k, "%s--%s", k ? ", " : "", n);
        }
    if (k < blen && !strncmp(builtin_help, name, len))
        snprintf(buf + k, blen - k, "%s--%s", k ? ", " : "", builtin_help);
}

/* Edit distance, for "did you mean"; names are short. */
static size_t distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The known long name nearest to an unknown one, if it is near (a typo). */
static const char *nearest_long(const opt_group_t *groups, size_t ng, const char *name, size_t len)
{
    const char *best = NULL;
    size_t best_d = len < 5 ? 1 : 2; /* farther is a different word */
    for (size_t k = 0; k < ng; k++)
        for (size_t i = 0; i < groups[k].n; i++) {
            const char *n = groups[k].opts[i].name;
            size_t d = n ? distance(name, len, n) : SIZE_MAX;
            if (d <= best_d && (!best || d < distance(name, len, best)))
                best = n;
        }
    return best;
}

static bool find_short(const opt_group_t *groups, size_t ng, char c, found_t *out)
{
    for (size_t k = 0; k < ng; k++)
        for (size_t i = 0; i < groups[k].n; i++)
            if (groups[k].opts[i].name && groups[k].opts[i].short_name == c) {
                *out = (found_t){&groups[k], i};
                return true;
            }
    return false;
}

static int apply(found_t f, const char *v, char *err, size_t errlen)
{
    if (set_value(&f.g->opts[f.i], f.g->dst, v, err, errlen))
        return -1;
    if (f.g->given && f.i < 64)
        *f.g->given |= 1ull << f.i;
    return 0;
}

int opt_parse(const opt_group_t *groups, size_t ngroups, int argc, char *const *argv,
              const char **pos, size_t max_pos, size_t *npos, char *err, size_t errlen)
{
    bool options_done = false;
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && !strcmp(a, "--")) {
            options_done = true;
            continue;
        }
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (*npos >= max_pos)
                return errmsg_set(-1, err, errlen, "unexpected argument '%.80s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        if (a[1] == '-') { /* --name, --name=VALUE, --name VALUE */
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            found_t f;
            int r = find_long(groups, ngroups, name, len, &f);
            bool help = len && !strncmp(builtin_help, name, len);
            if (help && (len == strlen(builtin_help) || r == 0)) {
                if (eq)
                    return errmsg_set(-1, err, errlen, "option '--help' takes no value");
                return 1;
            }
            if (r == 0) {
                const char *near = nearest_long(groups, ngroups, name, len);
                return errmsg_set(-1, err, errlen, "unknown option '--%.*s'%s%s%s",
                                  (int)(len < 64 ? len : 64), name, near ? "; did you mean --" : "",
                                  near ? near : "", near ? "?" : "");
            }
            if (r < 0 || (r == 1 && help)) {
                char list[256];
                list_prefix_matches(groups, ngroups, name, len, list, sizeof list);
                return errmsg_set(-1, err, errlen,
                                  "option '--%.*s' is ambiguous (%s): write more of it", (int)len,
                                  name, list);
            }
            const opt_t *o = &f.g->opts[f.i];
            const char *v = NULL;
            if (o->kind == OPT_FLAG) {
                if (eq)
                    return errmsg_set(-1, err, errlen, "option '--%s' takes no value", o->name);
            } else if (o->bare && !eq) {
                /* "--http2 on": the value meant for it, not an argument */
                for (int k = 0; i + 1 < argc && o->choices[k]; k++)
                    if (!strcmp(argv[i + 1], o->choices[k]))
                        return errmsg_set(-1, err, errlen,
                                          "option '--%s' takes a value only after '=': write "
                                          "--%s=%s (--%s alone means --%s=%s)",
                                          o->name, o->name, o->choices[k], o->name, o->name,
                                          o->bare);
                v = o->bare;
            } else if (eq) {
                v = eq + 1;
            } else if (i + 1 < argc) {
                v = argv[++i];
            } else {
                return errmsg_set(-1, err, errlen, "option '--%s' needs a value", o->name);
            }
            if (apply(f, v, err, errlen))
                return -1;
            continue;
        }
        for (const char *p = a + 1; *p; p++) { /* -x, -xVALUE, -x VALUE, -qh */
            found_t f;
            if (!find_short(groups, ngroups, *p, &f)) {
                if (*p == 'h')
                    return 1;
                if (*p >= 0x20 && *p < 0x7f)
                    return errmsg_set(-1, err, errlen, "unknown option '-%c'", *p);
                return errmsg_set(-1, err, errlen, "unknown option '%s'", a);
            }
            const opt_t *o = &f.g->opts[f.i];
            if (o->kind == OPT_FLAG) {
                if (apply(f, NULL, err, errlen))
                    return -1;
                continue;
            }
            const char *v = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v)
                return errmsg_set(-1, err, errlen, "option '-%c' needs a value", *p);
            if (apply(f, v, err, errlen))
                return -1;
            break;
        }
    }
    return 0;
}

/* ---- the table as data ---- */

static const opt_t *opt_find(const opt_t *opts, size_t n, size_t offset)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].name && opts[i].offset == offset)
            return &opts[i];
    return NULL;
}

bool opt_given(const opt_t *opts, size_t n, uint64_t given, size_t offset)
{
    const opt_t *o = opt_find(opts, n, offset);
    return o && (given >> (o - opts) & 1);
}

void opt_set_given(const opt_t *opts, size_t n, uint64_t *given, size_t offset)
{
    const opt_t *o = opt_find(opts, n, offset);
    if (o)
        *given |= 1ull << (o - opts);
}

const opt_t *opt_outside_scope(const opt_t *opts, size_t n, uint64_t mask, opt_scope_t scope)
{
    for (size_t i = 0; i < n && i < 64; i++)
        if ((mask >> i & 1) && opts[i].name && opts[i].scope != scope)
            return &opts[i];
    return NULL;
}

static size_t value_size(opt_kind_t k)
{
    switch (k) {
    case OPT_COUNT:
    case OPT_DURATION:
    case OPT_SIZE:
        return sizeof(uint64_t);
    case OPT_RATE:
    case OPT_PERCENT:
        return sizeof(double);
    case OPT_ENUM:
        return sizeof(int);
    case OPT_STRING:
        return sizeof(const char *);
    case OPT_FLAG:
        return sizeof(bool);
    case OPT_LIST:
        return sizeof(opt_list_t);
    case OPT_HEADING:
        break;
    }
    return 0;
}

int opt_merge(const opt_t *opts, size_t n, void *dst, uint64_t *dst_given, const void *src,
              uint64_t mask, char *err, size_t errlen)
{
    for (size_t i = 0; i < n && i < 64; i++) {
        const opt_t *o = &opts[i];
        if (!(mask >> i & 1) || !o->name)
            continue;
        void *to = (char *)dst + o->offset;
        const void *from = (const char *)src + o->offset;
        if (o->kind == OPT_LIST) {
            opt_list_t *l = to;
            const opt_list_t *add = from;
            size_t max = o->max > 0 && o->max < OPT_LIST_MAX ? (size_t)o->max : OPT_LIST_MAX;
            if (l->n + add->n > max)
                return errmsg_set(-1, err, errlen, "--%s: %zu values in all; keep at most %zu",
                                  o->name, l->n + add->n, max);
            memcpy(l->v + l->n, add->v, add->n * sizeof add->v[0]);
            l->n += add->n;
        } else {
            memcpy(to, from, value_size(o->kind));
        }
        if (dst_given)
            *dst_given |= 1ull << i;
    }
    return 0;
}

/* ---- --help ---- */

#define HELP_COLUMN 26

void opt_help(FILE *f, const opt_t *opts, size_t n, unsigned view, bool with_help)
{
    bool durations = false;
    for (size_t i = 0; i < n; i++) {
        const opt_t *o = &opts[i];
        if (o->hidden & view)
            continue;
        if (o->kind == OPT_HEADING) {
            fprintf(f, "%s\n", o->help);
            continue;
        }
        durations |= o->kind == OPT_DURATION;
        char left[96];
        int k = snprintf(left, sizeof left, "  %c%c%s--%s%s%s", o->short_name ? '-' : ' ',
                         o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
                         o->arg && !o->bare ? " " : "", o->arg ? o->arg : "");
        fputs(left, f);
        const char *h = o->help ? o->help : "";
        if (k + 2 > HELP_COLUMN) { /* too wide: the help starts on the next line */
            fputc('\n', f);
            k = 0;
        }
        for (bool first = true; first || *h; first = false) {
            size_t len = strcspn(h, "\n");
            if (len)
                fprintf(f, "%*s%.*s", (first ? HELP_COLUMN - k : HELP_COLUMN), "", (int)len, h);
            fputc('\n', f);
            h += len;
            if (*h == '\n')
                h++;
        }
    }
    if (with_help)
        fprintf(f, "  -h, --help%*sthis help\n", HELP_COLUMN - 12, "");
    if (durations)
        fputs("Durations take a unit: ns, us, ms, s, m, h (500ms, 30s, 2m); a bare number\n"
              "other than 0 is an error.\n",
              f);
}

/* ---- the config JSON ---- */

json_t *opt_json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j || !s)
        return j;
    char *copy = strdup(s); /* not UTF-8: keep the ASCII, mark the rest */
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *config_value(const opt_t *o, const void *src, bool show_secrets)
{
    const void *field = (const char *)src + o->offset;
    uint64_t u;
    double d;
    switch (o->kind) {
    case OPT_COUNT:
    case OPT_SIZE:
        memcpy(&u, field, sizeof u);
        return json_integer(u > INT64_MAX ? INT64_MAX : (json_int_t)u);
    case OPT_DURATION: {
        memcpy(&u, field, sizeof u);
        size_t kl = strlen(o->config);
        double unit = kl > 3 && !strcmp(o->config + kl - 3, "_ms")  ? 1e6
                      : kl > 2 && !strcmp(o->config + kl - 2, "_s") ? 1e9
                                                                    : 1;
        return json_real((double)u / unit);
    }
    case OPT_RATE:
    case OPT_PERCENT:
        memcpy(&d, field, sizeof d);
        return json_real(d);
    case OPT_ENUM: {
        int e;
        memcpy(&e, field, sizeof e);
        return json_string(o->choices[e]);
    }
    case OPT_FLAG: {
        bool b;
        memcpy(&b, field, sizeof b);
        return json_boolean(o->config_negate ? !b : b);
    }
    case OPT_STRING: {
        const char *s;
        memcpy(&s, field, sizeof s);
        char buf[1024];
        if (s && o->redact && !show_secrets)
            s = o->redact(s, buf, sizeof buf);
        return s ? opt_json_text(s) : json_null();
    }
    case OPT_LIST: {
        const opt_list_t *l = field;
        json_t *a = json_array();
        for (size_t i = 0; a && i < l->n; i++) {
            char buf[1024];
            const char *s =
                o->redact && !show_secrets ? o->redact(l->v[i], buf, sizeof buf) : l->v[i];
            if (json_array_append_new(a, opt_json_text(s))) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case OPT_HEADING:
        break;
    }
    return json_null();
}

int opt_config_json(const opt_t *opts, size_t n, const void *src, json_t *obj, bool show_secrets)
{
    for (size_t i = 0; i < n; i++) {
        const opt_t *o = &opts[i];
        if (!o->name || !o->config)
            continue;
        if (json_object_set_new(obj, o->config, config_value(o, src, show_secrets)))
            return ENOMEM;
    }
    return 0;
}

char **opt_split(const char *text, int *argc_out)
{
    size_t len = strlen(text);
    size_t max_words = len / 2 + 2;
    char **argv = malloc((max_words + 1) * sizeof(char *) + len + 1);
    if (!argv)
        return NULL;
    char *out = (char *)(argv + max_words + 1);
    int argc = 0;
    bool open_quote = false;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        argv[argc++] = out;
        char quote = 0;
        while (*p && (quote || (*p != ' ' && *p != '\t'))) {
            if (!quote && (*p == '\'' || *p == '"'))
                quote = *p;
            else if (quote && *p == quote)
                quote = 0;
            else
                *out++ = *p;
            p++;
        }
        *out++ = '\0';
        open_quote |= quote != 0;
    }
    argv[argc] = NULL;
    *argc_out = open_quote ? -1 : argc;
    return argv;
}
