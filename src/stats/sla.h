/* sla — `--sla EXPR` expressions (DESIGN.md "--sla EXPR"): METRIC OP VALUE.
 *
 *   METRIC  p50 p90 p95 p99 p99.9 max mean   item latency (any pN with 0<N<=100 too)
 *           request.p95 ...                  the same over request latency
 *           error_rate                       errors / requests, in %
 *           rps  ips                         successful requests / s, items / s
 *   OP      <= < >= >
 *   VALUE   latency: NUMBER[us|ms|s] (bare = ms); error_rate: NUMBER[%]; rps/ips: NUMBER
 *
 * Whitespace is allowed around tokens: "p95 <= 800ms". Latency thresholds are
 * kept in integer nanoseconds so that boundaries are exact: p95<=800ms passes at
 * exactly 800 ms and fails at 800.001 ms. */
#ifndef TAILGATE_STATS_SLA_H
#define TAILGATE_STATS_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "stats/runstats.h"

typedef enum {
    SLA_LATENCY_PCT, /* percentile of item or request latency (max = p100) */
    SLA_LATENCY_MEAN,
    SLA_ERROR_RATE,
    SLA_RPS,
    SLA_IPS,
} sla_metric_t;

typedef enum { SLA_LE, SLA_LT, SLA_GE, SLA_GT } sla_op_t;

typedef struct {
    char text[96]; /* the expression as given, surrounding whitespace trimmed */
    char name[32]; /* canonical metric name: "p95", "request.p99", "error_rate" */
    sla_metric_t metric;
    double percentile;  /* SLA_LATENCY_PCT only: 0 < p <= 100 */
    bool request_scope; /* latency of requests rather than items */
    sla_op_t op;
    double threshold;      /* ms for latencies, % for error_rate, per second for rps/ips */
    uint64_t threshold_ns; /* latencies: the threshold exactly, in ns */
} sla_t;

/* Parses one expression. Returns 0, or EINVAL with a message in err naming the
 * expression, what is wrong, and the valid metrics. out is untouched on error. */
int sla_parse(const char *text, sla_t *out, char *err, size_t errlen);

/* "p95", "request.p99", "max", "error_rate", "rps", ... */
const char *sla_metric_name(const sla_t *s);
/* "ms", "%" or "/s". */
const char *sla_unit(const sla_t *s);
/* "<=", "<", ">=", ">". */
const char *sla_op_name(const sla_t *s);

/* The measured value in the SLA's unit. Latency percentiles are taken over
 * every item (request) issued, failed ones ranked slowest: from rs->item (or
 * rs->request) when the rank falls among the answered ones, +INFINITY when it
 * falls among the failed (items - items_ok, requests - requests_ok). mean is
 * over the answered ones. error_rate = (requests - requests_ok) / requests * 100,
 * rps = requests_ok / duration_s, ips = items_ok / duration_s.
 * NaN when nothing was measured (empty histogram, no requests, duration <= 0):
 * such an SLA does not hold. Write NaN as JSON null. */
double sla_measure(const sla_t *s, const runstats_t *rs, double duration_s);
/* Whether the measured value meets the SLA. false for NaN. */
bool sla_holds(const sla_t *s, double measured);

/* One SLA judged on rs, as the result and comparison files hold it:
 * {"expr","metric","value","threshold","unit","pass"[,"note"]}, value null
 * when it is not a finite number and note saying why (nothing measured; the
 * percentile falls among failed items) or how (failures counted as slowest).
 * Sets *pass. NULL on ENOMEM. */
json_t *sla_judge_json(const sla_t *s, const runstats_t *rs, double duration_s, bool *pass);
/* The same entry for a value measured elsewhere (note may be NULL). */
json_t *sla_result_json(const sla_t *s, double measured, const char *note, bool *pass);

#endif
