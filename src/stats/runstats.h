/* runstats — everything one run measured, kept per thread while running and
 * merged after the join: counts, one histogram per metric (stats/metric.h), a
 * per-second timeline, connection figures. A result (stats/result.h) owns one. */
#ifndef TAILGATE_STATS_RUNSTATS_H
#define TAILGATE_STATS_RUNSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include "stats/hist.h"
#include "stats/metric.h"

/* One outcome per request issued: ok or exactly one of these. */
typedef enum {
    ERR_NONE = 0,
    ERR_CONNECT_REFUSED,
    ERR_CONNECT_TIMEOUT,
    ERR_TIMEOUT,
    ERR_RESET,
    ERR_PROTOCOL,
    ERR_HTTP_4XX,
    ERR_HTTP_5XX,
    ERR_INVALID_RESPONSE,
    ERR_TLS,
    ERR_KIND_COUNT
} err_kind_t;

/* "connect_refused", ... ; "" for ERR_NONE. */
const char *err_kind_name(err_kind_t kind);

/* Every three-digit code: 600..999 are invalid (RFC 9110 §15) but servers send
 * them, and they count as themselves (judged as 5xx). */
#define RUNSTATS_STATUS_MAX 1000

/* A timeline second keeps the histograms of the per-second metrics (item
 * latency; metric_table's per_second rows) dense (hist_t, ~33 KiB each) only
 * while it can still receive records; a few seconds later it settles into a
 * frozen copy of its non-empty buckets, so a long run does not grow by
 * 33 KiB/s. Both are indexed by metric id; rows that are not per-second stay
 * NULL. */
typedef struct {
    uint64_t requests; /* second's requests (by intended time) */
    uint64_t errors;
    uint64_t items;
    hist_t *hist[METRIC_COUNT];           /* 2 significant digits */
    hist_frozen_t *settled[METRIC_COUNT]; /* what it had when it settled; hist holds later ones */
} runstats_second_t;

/* Per-second histograms: 2 significant digits keep each one ~33 KiB. */
#define RUNSTATS_SECOND_SIG_DIGITS 2

typedef struct {
    uint64_t requests, requests_ok;
    uint64_t items, items_ok;
    uint64_t bytes_in;
    uint64_t by_error[ERR_KIND_COUNT];
    uint64_t by_status[RUNSTATS_STATUS_MAX]; /* index = status code; 0 = no response */
    /* One histogram per metric_table row (stats/metric.h). runstats_init
     * creates them all; a result read from a file may lack some (NULL: the
     * file holds no histogram for that metric). */
    hist_t *hist[METRIC_COUNT];
    uint64_t connections_opened, tls_resumed;
    uint64_t retried;           /* requests sent again after a stale keep-alive connection closed */
    runstats_second_t *seconds; /* timeline, index = second since measurement start */
    size_t nseconds, cap_seconds;
    size_t newest_second, dense_from; /* settling: seconds < dense_from hold no dense hist */
    /* The client's own pace, open loop only (stats/selfcheck.h judges it):
     * measured requests handed to a connection and their items, how many of
     * them first waited for a free one, and the latest intended time and
     * hand-over among them, in ns after the measurement start. */
    uint64_t sent_requests, sent_items, waited_requests;
    uint64_t last_intended_ns, last_sent_ns;
} runstats_t;

/* expected_seconds preallocates the timeline (it still grows if needed).
 * Returns 0 or ENOMEM. */
int runstats_init(runstats_t *rs, size_t expected_seconds);
void runstats_close(runstats_t *rs); /* zeroed or closed struct is fine */

/* Records one finished request: its outcome, status (0 = none), items carried,
 * and times. second = which timeline second it belongs to (from its intended
 * time). Latencies in ns. service_ns 0 when nothing was written. */
void runstats_record_request(runstats_t *rs, size_t second, err_kind_t err, int status,
                             unsigned items, uint64_t request_latency_ns, uint64_t service_ns,
                             uint64_t bytes_in);
/* Records one item's latency (only for items of successful requests). */
void runstats_record_item(runstats_t *rs, size_t second, uint64_t item_latency_ns);
/* Records a value (ns) of metric m: into the run's histogram and, for a
 * per-second metric, into timeline second `second` (ignored otherwise). */
void runstats_record_value(runstats_t *rs, metric_id_t m, size_t second, uint64_t ns);
/* A new connection: counted, and its connect time recorded. */
void runstats_record_connect(runstats_t *rs, uint64_t connect_ns);
/* A TLS handshake, resumed or full. */
void runstats_record_tls(runstats_t *rs, uint64_t handshake_ns, bool resumed);

/* Open loop: a measured request was handed to a connection lag_ns after its
 * intended time, sent_ns after the measurement start. waited: it first
 * waited for a free connection, so its lag is the pool's and is not recorded
 * as send lag (METRIC_SEND_LAG). */
void runstats_record_send(runstats_t *rs, unsigned items, bool waited, uint64_t lag_ns,
                          uint64_t sent_ns);
/* Open loop: a measured request (sent or not) was intended ns after the
 * measurement start. */
void runstats_record_intended(runstats_t *rs, uint64_t ns);

/* Percentiles of metric m in timeline second i: v[k] (ns) for p[k]. Returns
 * false when that second has no value of m (or memory ran out). */
bool runstats_second_percentiles(const runstats_t *rs, size_t i, metric_id_t m, const double *p,
                                 uint64_t *v, size_t n);
/* Metric m of timeline second i as one dense histogram: *out is a new
 * histogram (the caller frees it), or NULL when the second holds none.
 * Returns 0 or ENOMEM. */
int runstats_second_hist(const runstats_t *rs, size_t i, metric_id_t m, hist_t **out);
/* Adds h into metric m of timeline second i (created when missing; m must be
 * a per-second metric). The second settles. Returns 0, ENOMEM, or EINVAL when
 * h's parameters are not the per-second ones (HIST_LOWEST_NS, HIST_HIGHEST_NS,
 * RUNSTATS_SECOND_SIG_DIGITS). */
int runstats_second_add(runstats_t *rs, size_t i, metric_id_t m, const hist_t *h);
/* Makes timeline second i exist (zero counts). Returns it, or NULL on ENOMEM. */
runstats_second_t *runstats_second(runstats_t *rs, size_t i);

/* dst += src. dst's timeline comes out settled. Returns 0 or ENOMEM/EINVAL
 * (histograms with different parameters). */
int runstats_merge(runstats_t *dst, const runstats_t *src);
/* The same with src's second i added into dst's second i + shift. */
int runstats_merge_shifted(runstats_t *dst, const runstats_t *src, size_t shift);

#endif
