/* sla — `--sla EXPR` expressions (README.md "Commands"): METRIC OP VALUE.
 *
 *   METRIC  p50 p90 p95 p99 p99.9 max mean   item latency (any pN with 0<N<=100 too)
 *           request.p95 ...                  the same over another gateable metric
 *                                            (stats/metric.h: request)
 *           ttft.p99 tpot.p99 itl.p99 e2el.p95 the streamed metrics (stats/metric.h)
 *           error_rate                       errors / requests, in %
 *           rps  ips                         successful requests / s, items / s
 *           output_tokens_per_s              output tokens of successful streamed
 *                                            requests / s
 *           goodput                          good requests / s (--goodput bounds)
 *           slo_attainment                   good requests / requests, in %
 *   OP      <= < >= >
 *   VALUE   latency: NUMBER[us|ms|s] (bare = ms); error_rate, slo_attainment:
 *           NUMBER[%]; rps, ips, goodput, output_tokens_per_s: NUMBER
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

#include "stats/metric.h"
#include "stats/runstats.h"

typedef enum {
    SLA_LATENCY_PCT, /* percentile of a latency metric (max = p100) */
    SLA_LATENCY_MEAN,
    SLA_ERROR_RATE,
    SLA_RPS,
    SLA_IPS,
    SLA_OUTPUT_TOKENS_PER_S, /* streamed runs only, as the three below */
    SLA_GOODPUT,
    SLA_SLO_ATTAINMENT,
} sla_metric_t;

typedef enum { SLA_LE, SLA_LT, SLA_GE, SLA_GT } sla_op_t;

typedef struct {
    char text[96]; /* the expression as given, surrounding whitespace trimmed */
    char name[32]; /* canonical metric name: "p95", "request.p99", "error_rate" */
    sla_metric_t metric;
    double percentile;   /* SLA_LATENCY_PCT only: 0 < p <= 100 */
    metric_id_t latency; /* SLA_LATENCY_*: which metric (METRIC_ITEM when unprefixed) */
    sla_op_t op;
    double threshold;      /* ms for latencies, % for error_rate, per second for rps/ips */
    uint64_t threshold_ns; /* latencies: the threshold exactly, in ns */
} sla_t;

/* Parses one expression. Returns 0, or EINVAL with a message in err naming the
 * expression, what is wrong, and the valid metrics. out is untouched on error.
 * Every message fits in SLA_ERR_MAX bytes (an expression past 160 characters
 * is shown cut, with "..."). */
#define SLA_ERR_MAX 1024
int sla_parse(const char *text, sla_t *out, char *err, size_t errlen);

/* "p95", "request.p99", "max", "error_rate", "rps", ... */
const char *sla_metric_name(const sla_t *s);
/* "ms", "%" or "/s". */
const char *sla_unit(const sla_t *s);
/* "<=", "<", ">=", ">". */
const char *sla_op_name(const sla_t *s);

/* The measured value in the SLA's unit. Latency percentiles are taken over
 * everything the metric's population issued (metric_t.per: items or
 * requests), failed ones ranked slowest: from rs->hist[latency] when the rank
 * falls among the answered ones, +INFINITY when it falls among the failed
 * (sla_ranked_slowest). mean is over the answered ones.
 * error_rate = (requests - requests_ok) / requests * 100,
 * rps = requests_ok / duration_s, ips = items_ok / duration_s,
 * output_tokens_per_s = tokens_out / duration_s, goodput = requests_good /
 * duration_s, slo_attainment = requests_good / requests * 100.
 * NaN when nothing was measured (no histogram, an empty one, no requests,
 * duration <= 0, a token figure of a run that did not stream): such an SLA
 * does not hold. */
double sla_measure(const sla_t *s, const runstats_t *rs, double duration_s);
/* How many of the SLA's population (metric_t.per) a latency percentile
 * ranks slowest: the items or requests that failed and, for a metric timed
 * to a token (metric_t.first_token), the successful requests in which no
 * token-bearing event arrived (*no_token, when not NULL, says how many of
 * them those are). 0 for the other SLAs. */
uint64_t sla_ranked_slowest(const sla_t *s, const runstats_t *rs, uint64_t *no_token);
/* Whether the SLA judges something only a streamed run measures (a streamed
 * latency metric, output_tokens_per_s, goodput, slo_attainment). */
bool sla_needs_stream(const sla_t *s);

/* Whether the measured value meets the SLA. false for NaN. */
bool sla_holds(const sla_t *s, double measured);

/* One SLA judged. */
typedef struct {
    sla_t sla;
    double value;   /* measured, in the SLA's unit; NaN nothing measured, +inf among the failed */
    char note[160]; /* "" or why there is no value / how failures were counted */
    bool pass;
} sla_verdict_t;

/* Judges s on rs (sla_measure, sla_holds) into *v, with the note saying why
 * there is no value (no values recorded; the percentile falls among N failed
 * items) or how it was measured (failures counted as slowest). The one
 * judgement every command's verdict comes from (through result_judge). */
void sla_judge(const sla_t *s, const runstats_t *rs, double duration_s, sla_verdict_t *v);

/* {"expr","metric","value","threshold","unit","pass"[,"note"]}: value null
 * when it is not a finite number. NULL on ENOMEM. */
json_t *sla_verdict_to_json(const sla_verdict_t *v);
/* Reads such an entry as recorded: expr must parse (sla_parse); value a
 * number or null; pass a boolean; note, when present, a string. metric,
 * threshold and unit follow from expr and are not read. Returns 0, or EINVAL
 * with the member and the problem in err ("\"expr\": ..."). */
int sla_verdict_from_json(const json_t *j, sla_verdict_t *v, char *err, size_t errlen);

#endif
