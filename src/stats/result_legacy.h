/* result_legacy — what a version 0.1 result file holds that no histogram
 * backs: a metric's latency summary written without its histogram, and the
 * per-second item percentiles of a timeline written before seconds had
 * histograms. Kept as written so that reading and writing such a file loses
 * nothing; internal to the result module (stats/result.h). NULL is an empty
 * set everywhere. */
#ifndef TAILGATE_STATS_RESULT_LEGACY_H
#define TAILGATE_STATS_RESULT_LEGACY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "stats/metric.h"

typedef struct result_legacy result_legacy_t;

void result_legacy_free(result_legacy_t *l);

/* Keeps summary (a reference is taken) as metric m's summary. Returns 0 or
 * ENOMEM. */
int result_legacy_set_summary(result_legacy_t **l, metric_id_t m, json_t *summary);
/* Metric m's summary as written (borrowed), or NULL. */
const json_t *result_legacy_summary(const result_legacy_t *l, metric_id_t m);

/* Keeps second i's item percentiles: ms[k] for metric_pcts[k], NaN = null
 * (only METRIC_PCT_BRIEF ones are written). Returns 0 or ENOMEM. */
int result_legacy_set_second(result_legacy_t **l, size_t i, const double *ms);
/* Second i's stored percentiles p[0..n) into out; false when the second has
 * none stored or one of p is not stored. */
bool result_legacy_second_ms(const result_legacy_t *l, size_t i, const double *p, double *out,
                             size_t n);

#endif
