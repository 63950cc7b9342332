/* hist — HDR-style log-linear latency histogram.
 *
 * Values are unsigned integers (tailgate records nanoseconds). Memory is fixed
 * at creation whatever the run length. Precision: every recorded value lands in
 * a bucket whose width is at most value * 10^-sig_digits, so any percentile is
 * reported within that relative error of the exact order statistic. Histograms
 * with the same parameters merge exactly (per-thread and per-machine results
 * combine into the same histogram as one run recording everything). */
#ifndef TAILGATE_STATS_HIST_H
#define TAILGATE_STATS_HIST_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

typedef struct hist hist_t;

/* Defaults for latency in ns: 1 µs .. 1 h, 3 significant digits. */
#define HIST_LOWEST_NS 1000ull
#define HIST_HIGHEST_NS 3600000000000ull
#define HIST_SIG_DIGITS 3

/* lowest >= 1, highest >= 2*lowest, sig_digits in 1..5.
 * Returns 0, EINVAL, or ENOMEM; *out is valid only on 0. */
int hist_new(hist_t **out, uint64_t lowest, uint64_t highest, int sig_digits);
/* Same parameters as the default latency histogram. */
int hist_new_latency(hist_t **out);
/* An empty histogram with h's parameters. Returns 0 or ENOMEM. */
int hist_new_like(hist_t **out, const hist_t *h);
void hist_free(hist_t *h); /* NULL is fine */
void hist_reset(hist_t *h);

/* Records a value. Values below lowest count in the lowest bucket, above highest
 * in the highest bucket (min/max still keep the exact value). O(1), no allocation. */
void hist_record(hist_t *h, uint64_t value);
void hist_record_n(hist_t *h, uint64_t value, uint64_t count);

/* Adds src into dst. Returns 0, or EINVAL when the parameters differ. */
int hist_merge(hist_t *dst, const hist_t *src);

/* A frozen histogram: a read-only copy holding only the non-empty buckets, a
 * few KiB instead of the dense counters, for histograms kept per second of a
 * run. hist_freeze returns 0 or ENOMEM; hist_thaw_into adds f into dst (0, or
 * EINVAL when the parameters differ). */
typedef struct hist_frozen hist_frozen_t;
int hist_freeze(const hist_t *h, hist_frozen_t **out);
int hist_thaw_into(hist_t *dst, const hist_frozen_t *f);
void hist_frozen_free(hist_frozen_t *f); /* NULL is fine */

uint64_t hist_count(const hist_t *h);
uint64_t hist_min(const hist_t *h); /* 0 when empty */
uint64_t hist_max(const hist_t *h); /* 0 when empty */
double hist_mean(const hist_t *h);
double hist_stdev(const hist_t *h);
/* The value at percentile p (0..100): the smallest recorded value v such that
 * at least p% of values are <= v, as represented by its bucket (clamped to
 * [min, max]). p = 100 gives max, p = 0 gives min. 0 when empty. */
uint64_t hist_percentile(const hist_t *h, double p);
/* The rank (1-based) of percentile p among count values: ceil(p/100 * count),
 * at least 1, computed exactly for p given to 10^-6 percentage points. */
uint64_t hist_rank(uint64_t count, double p);
/* The rank-th smallest value (1-based) as hist_percentile reports it (its
 * bucket's highest value clamped to [min, max]); 0 when empty. */
uint64_t hist_at_rank(const hist_t *h, uint64_t rank);
int hist_sig_digits(const hist_t *h);
/* How many recorded values are at most v, as the histogram holds them: the
 * counts of the buckets whose highest value (clamped to [min, max], as
 * hist_at_rank reports it) is <= v. O(buckets). */
uint64_t hist_count_at_most(const hist_t *h, uint64_t v);

/* Serialization into the result JSON:
 * {"lowest":L,"highest":H,"sig_digits":S,"unit":"ns","count":N,"min":..,"max":..,
 *  "sum":..,"sum_sq":..,"buckets":[[index,count],...]} (only non-empty buckets).
 * sum and sum_sq are exact: integers, or strings of decimal digits when they
 * exceed JSON's int64 (a real is read too, as files of version 0.1 wrote).
 * hist_to_json returns a new reference or NULL on ENOMEM. hist_from_json
 * returns 0 or EINVAL (with a reason in err) for any malformed input. */
json_t *hist_to_json(const hist_t *h);
int hist_from_json(const json_t *j, hist_t **out, char *err, size_t errlen);

#endif
