/* earlystop — how many items a percentile claim needs (MLPerf LoadGen's early
 * stopping rule, used by `sweep` to accept a step).
 *
 * A run of n items of which t were over a gate's bound supports the claim
 * "the p-th percentile is <= bound" at confidence c when, were the true
 * fraction over the bound exactly 1 - p/100, seeing t or fewer over it would
 * be unlikely:  P[X <= t | X ~ Binomial(n, 1 - p/100)] <= 1 - c.
 * With t = 0 that is (p/100)^n <= 1 - c: 90 items for p95 and 459 for p99 at
 * c = 0.99. Pure math, no state. */
#ifndef TAILGATE_STATS_EARLYSTOP_H
#define TAILGATE_STATS_EARLYSTOP_H

#include <stdbool.h>
#include <stdint.h>

/* P[X <= t] for X ~ Binomial(n, q), 0 <= q <= 1; 1.0 when t >= n. Summed in
 * log space, so n in the billions neither overflows nor underflows to NaN. */
double earlystop_binom_cdf(uint64_t t, uint64_t n, double q);

/* Whether n items with t over the bound support "p-th percentile <= bound"
 * at confidence c (both fractions in (0, 1): p = 0.99, c = 0.99). */
bool earlystop_accept(uint64_t n, uint64_t t, double p, double c);

/* The fewest items that support the claim when t of them are over the
 * bound (t = 0: the minimum any passing run needs). UINT64_MAX when no n
 * below 2^40 does (p or c at or beyond 1). */
uint64_t earlystop_min_items(uint64_t t, double p, double c);

/* How many items a longer run would need to support the claim if the share
 * over the bound stayed t/n: the fewest m >= n with
 * earlystop_accept(m, ceil(m * t / n), p, c). n itself when n already does;
 * UINT64_MAX when no m below 2^40 does (t/n at or above 1 - p: the claim is
 * false, not short of items). */
uint64_t earlystop_items_needed(uint64_t n, uint64_t t, double p, double c);

#endif
