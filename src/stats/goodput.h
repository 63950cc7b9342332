/* goodput — `--goodput ttft<=500ms,tpot<=50ms,e2el<=10s`: the bounds a
 * streamed request must meet to count as good.
 *
 *   SPEC    BOUND [, BOUND]...        each metric at most once
 *   BOUND   METRIC OP DURATION        whitespace allowed around each token
 *   METRIC  ttft  tpot  e2el          as tokens.h defines them
 *   OP      <=  <                     a bound is an upper bound
 *   DURATION with a unit: 500ms, 1.5s, 250us (a bare number other than 0
 *           is an error, as everywhere in tailgate)
 *
 * Judging one request: a failed request is never good; an undefined tpot
 * (n_out < 2, or one event) passes the tpot bound, as in vLLM; an undefined
 * ttft or e2el (the request carried no token at all) fails its bound: a
 * response with no token cannot be said to have met a time to first token.
 * goodput = good requests per second and slo_attainment = good / attempted
 * are the caller's sums. */
#ifndef TAILGATE_STATS_GOODPUT_H
#define TAILGATE_STATS_GOODPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/tokens.h"

typedef enum { GOODPUT_TTFT, GOODPUT_TPOT, GOODPUT_E2EL, GOODPUT_METRICS } goodput_metric_t;

typedef struct {
    bool set[GOODPUT_METRICS];    /* the bound was given */
    bool strict[GOODPUT_METRICS]; /* '<' rather than '<=' */
    uint64_t limit_ns[GOODPUT_METRICS];
} goodput_t;

/* Parses SPEC. Returns 0, or EINVAL with a message in err naming the spec,
 * what is wrong and the valid form. out is untouched on error. */
int goodput_parse(const char *text, goodput_t *out, char *err, size_t errlen);

/* "ttft", "tpot", "e2el". */
const char *goodput_metric_name(goodput_metric_t m);

/* The canonical spec ("ttft<=500ms,tpot<=50ms"; bounds in metric order, each
 * in the largest unit that states it exactly), for result files; "" when no
 * bound is set. Returns what snprintf returns. */
int goodput_format(const goodput_t *g, char *buf, size_t len);

/* Whether one request is good: ok says it completed without error. */
bool goodput_good(const goodput_t *g, bool ok, const tokens_result_t *r);

#endif
