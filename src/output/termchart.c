/* termchart — a compact latency histogram for the terminal. */
#include "output/termchart.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TC_DEFAULT_ROWS 12
#define TC_MAX_ROWS 60
#define TC_DEFAULT_WIDTH 40

#define ANSI_BAR "\x1b[36m"
#define ANSI_MARK "\x1b[33m"
#define ANSI_DIM "\x1b[2m"
#define ANSI_RESET "\x1b[0m"

bool termchart_locale_utf8(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (!v || !*v)
            continue;
        const char *dot = strchr(v, '.');
        if (!dot)
            return false;
        dot++;
        return !strncasecmp(dot, "utf-8", 5) || !strncasecmp(dot, "utf8", 4);
    }
    return false;
}

bool termchart_want_color(bool stream_is_tty, bool no_color_flag)
{
    if (!stream_is_tty || no_color_flag)
        return false;
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return false;
    const char *term = getenv("TERM");
    return !(term && !strcmp(term, "dumb"));
}

/* The smallest "nice" step (1, 2, 2.5, 5 x 10^k ns, at least 1 ns) >= raw. */
static uint64_t nice_step(double raw)
{
    if (raw <= 1)
        return 1;
    double mag = pow(10, floor(log10(raw)));
    static const double m[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i] * mag >= raw - 1e-9)
            return (uint64_t)ceil(m[i] * mag);
    return (uint64_t)ceil(10 * mag);
}

size_t termchart_ranges(uint64_t lo, uint64_t hi, int rows, termchart_bin_t *bins)
{
    if (rows < 1)
        rows = 1;
    if (hi < lo) {
        uint64_t t = hi;
        hi = lo;
        lo = t;
    }
    if (hi == lo || rows == 1) {
        bins[0] = (termchart_bin_t){lo, hi, 0};
        return 1;
    }
    size_t n = 0;
    if (lo > 0 && (double)hi / (double)lo > 20) {
        /* Latency tails are long: equal ratios keep the body readable. */
        double ratio = pow((double)hi / (double)lo, 1.0 / rows);
        uint64_t prev = lo;
        for (int i = 1; i <= rows; i++) {
            uint64_t e = i == rows ? hi : (uint64_t)llround((double)lo * pow(ratio, i));
            if (e <= prev)
                continue;
            bins[n++] = (termchart_bin_t){prev, e, 0};
            prev = e;
        }
        return n;
    }
    /* Linear with a round step, so the labels read as round numbers. */
    uint64_t step = nice_step((double)(hi - lo) / rows);
    for (;;) {
        uint64_t start = lo / step * step;
        uint64_t k = (hi - start + step - 1) / step;
        if (k == 0)
            k = 1;
        if (k <= (uint64_t)rows) {
            for (uint64_t i = 0; i < k; i++)
                bins[n++] = (termchart_bin_t){start + i * step, start + (i + 1) * step, 0};
            return n;
        }
        step = nice_step((double)step * 1.01);
    }
}

/* 3 significant digits in milliseconds, no exponent -- or more decimals when
 * the bins are narrower than that shows (min_dec), so no two edges read alike. */
static void fmt_ms(char *buf, size_t len, uint64_t ns, int min_dec)
{
    double ms = (double)ns / 1e6;
    int dec = ms >= 100 ? 0 : ms >= 10 ? 1 : ms >= 1 ? 2 : 3;
    snprintf(buf, len, "%.*f", dec > min_dec ? dec : min_dec, ms);
}

/* Decimals that tell apart two values `step_ns` apart. */
static int decimals_for(uint64_t step_ns)
{
    int d = 0;
    for (double step_ms = (double)step_ns / 1e6; d < 6 && step_ms < 1 - 1e-9; step_ms *= 10)
        d++;
    return d;
}

static bool in_bin(const termchart_bin_t *b, bool last, uint64_t v)
{
    return v >= b->lo_ns && (v < b->hi_ns || (last && v == b->hi_ns));
}

static void put_bar(FILE *f, uint64_t count, uint64_t max, int width, bool utf8)
{
    static const char *const eighths[] = {"",       "\u258f", "\u258e", "\u258d",
                                          "\u258c", "\u258b", "\u258a", "\u2589"};
    int used;
    if (utf8) {
        long e = max ? lround((double)count / (double)max * width * 8) : 0;
        if (count > 0 && e == 0)
            e = 1;
        for (long i = 0; i < e / 8; i++)
            fputs("\u2588", f);
        fputs(eighths[e % 8], f);
        used = (int)(e / 8 + (e % 8 ? 1 : 0));
    } else {
        long c = max ? lround((double)count / (double)max * width) : 0;
        for (long i = 0; i < c; i++)
            fputc('#', f);
        used = (int)c;
        if (count > 0 && c == 0) {
            fputc('.', f); /* present, but under half a column */
            used = 1;
        }
    }
    for (int i = used; i < width; i++)
        fputc(' ', f);
}

int termchart_bins(FILE *f, const termchart_bin_t *bins, size_t n, const termchart_marks_t *marks,
                   const termchart_opts_t *opts)
{
    if (!f || !bins || n == 0 || !opts)
        return EINVAL;
    int width = opts->width ? opts->width : TC_DEFAULT_WIDTH;
    if (width < 4)
        width = 4;
    if (width > 200)
        width = 200;
    bool utf8 = opts->utf8, color = opts->color;
    const char *unit = opts->unit ? opts->unit : "count";
    const char *sep = utf8 ? "\u2502" : "|";
    const char *dash = utf8 ? "\u2013" : "-";

    uint64_t total = 0, max = 0, narrowest = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (bins[i].hi_ns > bins[i].lo_ns && bins[i].hi_ns - bins[i].lo_ns < narrowest)
            narrowest = bins[i].hi_ns - bins[i].lo_ns;
    int min_dec = narrowest == UINT64_MAX ? 0 : decimals_for(narrowest);
    int wlo = 1, whi = 1, wcount = (int)strlen(unit);
    char a[32], b[32];
    for (size_t i = 0; i < n; i++) {
        total += bins[i].count;
        if (bins[i].count > max)
            max = bins[i].count;
        fmt_ms(a, sizeof a, bins[i].lo_ns, min_dec);
        fmt_ms(b, sizeof b, bins[i].hi_ns, min_dec);
        if ((int)strlen(a) > wlo)
            wlo = (int)strlen(a);
        if ((int)strlen(b) > whi)
            whi = (int)strlen(b);
        int wc = snprintf(a, sizeof a, "%llu", (unsigned long long)bins[i].count);
        if (wc > wcount)
            wcount = wc;
    }

    if (opts->title)
        fprintf(f, "%s%s%s\n", color ? "\x1b[1m" : "", opts->title, color ? ANSI_RESET : "");
    /* label is "LO - HI ms": wlo + 3 + whi + 3 columns */
    fprintf(f, "%s%-*s %s%*s%*s %6s%s\n", color ? ANSI_DIM : "", wlo + whi + 6, "latency (ms)", sep,
            width, "", wcount + 1, unit, "%", color ? ANSI_RESET : "");
    for (size_t i = 0; i < n; i++) {
        const termchart_bin_t *bin = &bins[i];
        bool last = i + 1 == n;
        fmt_ms(a, sizeof a, bin->lo_ns, min_dec);
        fmt_ms(b, sizeof b, bin->hi_ns, min_dec);
        fprintf(f, "%*s %s %*s ms %s", wlo, a, dash, whi, b, sep);
        if (color)
            fputs(ANSI_BAR, f);
        put_bar(f, bin->count, max, width, utf8);
        if (color)
            fputs(ANSI_RESET, f);
        double pct = total ? 100.0 * (double)bin->count / (double)total : 0;
        char pcts[16];
        if (bin->count > 0 && pct < 0.05)
            snprintf(pcts, sizeof pcts, "<0.1%%");
        else
            snprintf(pcts, sizeof pcts, "%.1f%%", pct);
        fprintf(f, " %*llu %6s", wcount, (unsigned long long)bin->count, pcts);
        if (marks) {
            bool any = false;
            for (size_t k = 0; k < METRIC_NUM_PCTS; k++) {
                if (!marks->ns[k] || !in_bin(bin, last, marks->ns[k]))
                    continue;
                fprintf(f, "%s%s%s", any ? " " : "  ", color && !any ? ANSI_MARK : "",
                        metric_pcts[k].label);
                any = true;
            }
            if (any && color)
                fputs(ANSI_RESET, f);
        }
        fputc('\n', f);
    }
    return ferror(f) ? EIO : 0;
}

/* How many recorded values are below v: the largest rank r whose order
 * statistic (as the histogram represents it) is < v. Order statistic r is
 * hist_percentile at p = 100 (r - 0.5) / N, nondecreasing in r. */
static uint64_t count_below(const hist_t *h, uint64_t total, uint64_t v)
{
    uint64_t lo = 0, hi = total; /* invariant: rank lo is < v (rank 0 trivially) */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        double p = 100.0 * ((double)mid - 0.5) / (double)total;
        if (hist_percentile(h, p) < v)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int termchart_hist(FILE *f, const hist_t *h, const termchart_opts_t *opts)
{
    if (!f || !h || !opts)
        return EINVAL;
    uint64_t total = hist_count(h);
    if (total == 0) {
        if (opts->title)
            fprintf(f, "%s\n", opts->title);
        fputs("(no values recorded)\n", f);
        return ferror(f) ? EIO : 0;
    }
    int rows = opts->rows ? opts->rows : TC_DEFAULT_ROWS;
    if (rows < 1)
        rows = 1;
    if (rows > TC_MAX_ROWS)
        rows = TC_MAX_ROWS;
    termchart_bin_t bins[TC_MAX_ROWS];
    size_t n = termchart_ranges(hist_min(h), hist_max(h), rows, bins);
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t below_next = i + 1 < n ? count_below(h, total, bins[i + 1].lo_ns) : total;
        bins[i].count = below_next - prev;
        prev = below_next;
    }
    termchart_marks_t marks = {{0}};
    for (size_t k = 0; k < METRIC_NUM_PCTS; k++)
        if (metric_pcts[k].shown & METRIC_PCT_BRIEF)
            marks.ns[k] = hist_percentile(h, metric_pcts[k].p);
    return termchart_bins(f, bins, n, &marks, opts);
}
