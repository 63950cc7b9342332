/* metric — every latency-like metric tailgate measures, named once.
 *
 * A metric is a histogram of nanosecond values recorded per run (and, for the
 * per-second ones, per second of the timeline). Everything that shows or
 * stores metrics -- runstats, the result JSON, the console summary, the
 * comparison, the HTML report, SLA parsing -- iterates over metric_table, so
 * adding a metric is adding one row here (and recording it).
 *
 * The percentiles every summary reports are listed once too (metric_pcts):
 * their JSON keys ("p99_9"), the way people write them ("p99.9"), and which
 * views show them. */
#ifndef TAILGATE_STATS_METRIC_H
#define TAILGATE_STATS_METRIC_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    METRIC_ITEM,    /* intended time of an item -> response complete */
    METRIC_REQUEST, /* intended time of a request -> response complete */
    METRIC_SERVICE, /* first byte written -> response complete */
    METRIC_CONNECT, /* TCP connect, per new connection */
    METRIC_TLS,     /* TLS handshake, per new connection */
    /* Streamed responses (--stream; stats/tokens.h defines each) */
    METRIC_TTFT,         /* intended time -> first token-bearing event */
    METRIC_TTFT_SERVICE, /* first byte written -> first token-bearing event */
    METRIC_TPOT,         /* (last - first token event) / (output tokens - 1) */
    METRIC_ITL,          /* each gap between token-bearing events */
    METRIC_E2EL,         /* intended time -> last token-bearing event */
    /* open loop: intended time -> handed to a free connection (the self-check) */
    METRIC_SEND_LAG,
    METRIC_COUNT
} metric_id_t;

/* What a failure counts against when a percentile gate ranks failures as
 * slowest: the items or the requests that got no good answer; nothing for
 * per-connection metrics. */
typedef enum { METRIC_PER_ITEM, METRIC_PER_REQUEST, METRIC_PER_CONNECTION } metric_per_t;

/* What a metric_per_t counts, as a plural noun: "items", "requests",
 * "connections" ("the 3 failed requests"). */
const char *metric_per_noun(metric_per_t per);

typedef struct {
    metric_id_t id;
    const char *key;   /* JSON key under latency_ms and histogram, SLA prefix: "request" */
    const char *label; /* a short name for tables: "request" */
    const char *unit;  /* unit values are shown in (recorded in ns): "ms" */
    metric_per_t per;
    bool per_second;  /* also kept per timeline second */
    bool gateable;    /* --sla may name it: "request.p95<=1s" ("p95" alone is item) */
    const char *help; /* one line for people: what is measured, from when to when */
    /* Measured only by a run that streams (--stream): runstats_init leaves its
     * histogram NULL, runstats_init_stream creates it, and a result without
     * streaming has no such histogram (its JSON shows no such metric). */
    bool streamed;
    /* Timed to a token-bearing event (ttft, ttft_service, e2el): a successful
     * request in which none arrived has no value, and a percentile gate ranks
     * it slowest, as it ranks a failure -- it never got a first token. */
    bool first_token;
} metric_t;

extern const metric_t metric_table[METRIC_COUNT];

/* The row whose key is key[0..len) (len = strlen(key) when key is
 * NUL-terminated); NULL when none. */
const metric_t *metric_by_key(const char *key, size_t len);

/* Which views show a percentile. */
#define METRIC_PCT_BRIEF 1u    /* the three everyone reads: timeline, deltas */
#define METRIC_PCT_HEADLINE 2u /* the comparison's headline and report tables */

typedef struct {
    const char *key;   /* JSON key: "p99_9" */
    const char *label; /* as people write it: "p99.9" */
    double p;          /* 0 < p < 100 */
    unsigned shown;    /* METRIC_PCT_* */
} metric_pct_t;

#define METRIC_NUM_PCTS 7
extern const metric_pct_t metric_pcts[METRIC_NUM_PCTS];

/* Index of the percentile p in metric_pcts, or -1. */
int metric_pct_index(double p);

#endif
