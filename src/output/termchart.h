/* termchart — a compact latency histogram for the terminal.
 *
 *   latency (ms)          requests
 *     812 -   845 ms |████████████████▌           1234  12.3%  p50
 *     845 -   880 ms |███▏                          80   0.8%  p95 p99
 *
 * One row per latency range (log-spaced when the values span more than 20x,
 * linear otherwise), a bar scaled to the fullest row in eighths of a column
 * (Unicode blocks ▏▎▍▌▋▊▉█) or in whole '#' columns when the terminal is not
 * UTF-8, the count and its share, and which rows hold p50/p95/p99 (the
 * METRIC_PCT_BRIEF percentiles).
 * ANSI colour only when the caller asks for it. Nothing here reads the
 * environment except termchart_locale_utf8/termchart_want_color. */
#ifndef TAILGATE_OUTPUT_TERMCHART_H
#define TAILGATE_OUTPUT_TERMCHART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stats/hist.h"
#include "stats/metric.h"

typedef struct {
    bool utf8;         /* block characters and box lines; false: ASCII only */
    bool color;        /* ANSI colours */
    int rows;          /* number of ranges; 0 = 12; clamped to 1..60 */
    int width;         /* bar columns for the fullest row; 0 = 40; clamped to 4..200 */
    const char *title; /* first line (e.g. "item latency"); NULL = none */
    const char *unit;  /* what is counted, header of the count column; NULL = "count" */
} termchart_opts_t;

/* One latency range [lo_ns, hi_ns) (the last row includes hi_ns) and how many
 * values fell in it. */
typedef struct {
    uint64_t lo_ns, hi_ns;
    uint64_t count;
} termchart_bin_t;

/* Percentile marks shown beside the rows holding them: ns[k] is the value of
 * metric_pcts[k] (stats/metric.h), 0 = not shown. */
typedef struct {
    uint64_t ns[METRIC_NUM_PCTS];
} termchart_marks_t;

/* True when LC_ALL, else LC_CTYPE, else LANG (the first one set and non-empty)
 * names a UTF-8 codeset ("en_US.UTF-8", "C.utf8"). */
bool termchart_locale_utf8(void);
/* Whether to colour: stream_is_tty && !no_color_flag && NO_COLOR unset and
 * TERM is not "dumb". */
bool termchart_want_color(bool stream_is_tty, bool no_color_flag);

/* Draws the histogram of h's values (ns). An empty histogram prints one line
 * saying so. Counts are exact to the histogram's precision (each range's
 * count is found by rank search over hist_percentile). Returns 0, EINVAL
 * (NULL argument) or EIO when writing to f failed. */
int termchart_hist(FILE *f, const hist_t *h, const termchart_opts_t *opts);

/* Draws caller-made bins (n >= 1, in ascending order). marks may be NULL.
 * Returns 0, EINVAL or EIO. */
int termchart_bins(FILE *f, const termchart_bin_t *bins, size_t n, const termchart_marks_t *marks,
                   const termchart_opts_t *opts);

/* Splits [lo_ns, hi_ns] into about rows ranges (fewer when the span is tiny):
 * log-spaced when hi/lo > 20, linear otherwise. Fills bins[].lo_ns/hi_ns with
 * count 0 and returns how many (<= rows, >= 1). rows >= 1. */
size_t termchart_ranges(uint64_t lo_ns, uint64_t hi_ns, int rows, termchart_bin_t *bins);

#endif
