/* ratesearch — which open-loop rate `sweep` tries next: MLPerf LoadGen's
 * server-scenario search. Double from the start rate until a step fails, then
 * bisect between the highest passing and the lowest failing rate until they
 * are within the precision. A first step that fails halves instead, so the
 * search finds a passing floor (or gives up at min_rate). The rate it would
 * end on then runs once more (RATESEARCH_CONFIRM): one lucky step near the
 * knee (a queue that happened not to build) must not become the answer, so
 * a second step at that rate must pass too; when it fails, that rate counts
 * as failed and the search goes on below it, from the highest rate that
 * passed before. Pure: the caller runs the steps and reports each verdict.
 *
 *     ratesearch_t s;
 *     ratesearch_init(&s, start, min_rate, max_rate, 0.05);
 *     for (double r; (r = ratesearch_next(&s)) > 0;)
 *         ratesearch_report(&s, r, run_step(r));
 *     s.pass_rate: the capacity found, passed twice (0 = none); s.fail_rate: the
 *     lowest failing rate (0 = none failed: capped by max_rate).
 */
#ifndef TAILGATE_LOAD_RATESEARCH_H
#define TAILGATE_LOAD_RATESEARCH_H

#include <stdbool.h>

/* The passing rates kept to fall back on when a confirmation fails (beyond
 * it, the lowest are dropped: doubling from 1e-3 to 1e8 passes 37). */
#define RATESEARCH_MAX_PASSES 64

typedef enum {
    RATESEARCH_UP,      /* doubling: nothing has failed yet */
    RATESEARCH_DOWN,    /* halving: nothing has passed yet */
    RATESEARCH_BISECT,  /* between pass_rate and fail_rate */
    RATESEARCH_CONFIRM, /* pass_rate once more: the answer if it passes again */
    RATESEARCH_DONE
} ratesearch_phase_t;

typedef struct {
    double min_rate, max_rate, precision;
    double pass_rate; /* highest rate that passed; 0 = none */
    double fail_rate; /* lowest rate that failed; 0 = none */
    double next;
    double granularity; /* > 0: every rate tried is a multiple of it (concurrency: 1) */
    unsigned steps;
    ratesearch_phase_t phase;
    double passed[RATESEARCH_MAX_PASSES]; /* rising; the last is pass_rate */
    unsigned npassed;
} ratesearch_t;

/* start is clamped into [min_rate, max_rate]; precision is a fraction (0.05:
 * stop when fail_rate <= pass_rate * 1.05). max_rate 0 = no ceiling. */
void ratesearch_init(ratesearch_t *s, double start, double min_rate, double max_rate,
                     double precision);
/* Rates tried are multiples of g (> 0; at least g): a search over whole
 * numbers (closed-loop concurrency) passes 1. It ends when no multiple is left
 * between the passing and the failing rate. Call right after init. */
void ratesearch_set_granularity(ratesearch_t *s, double g);
/* The rate of the next step, or 0 when the search is over. */
double ratesearch_next(const ratesearch_t *s);
/* The verdict of the step just run at `rate` (the value next returned). */
void ratesearch_report(ratesearch_t *s, double rate, bool passed);

#endif
