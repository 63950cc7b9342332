/* runstats — everything one run measured, kept per thread while running and
 * merged after the join: counts, the three latency histograms, a per-second
 * timeline, connection figures. The output modules read only this. */
#ifndef TAILGATE_STATS_RUNSTATS_H
#define TAILGATE_STATS_RUNSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include "stats/hist.h"

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

/* A timeline second keeps its item latency dense (hist_t, ~33 KiB) only while
 * it can still receive records; a few seconds later it settles into a frozen
 * copy of its non-empty buckets, so a long run does not grow by 33 KiB/s. */
typedef struct {
    uint64_t requests; /* second's requests (by intended time) */
    uint64_t errors;
    uint64_t items;
    hist_t *item;           /* item latency of that second, 2 significant digits */
    hist_frozen_t *settled; /* what it had when it settled; item holds later arrivals */
} runstats_second_t;

typedef struct {
    uint64_t requests, requests_ok;
    uint64_t items, items_ok;
    uint64_t bytes_in;
    uint64_t by_error[ERR_KIND_COUNT];
    uint64_t by_status[RUNSTATS_STATUS_MAX]; /* index = status code; 0 = no response */
    hist_t *item;    /* item latency: intended time of the item -> response complete */
    hist_t *request; /* request latency: intended time of the request -> response complete */
    hist_t *service; /* first byte written -> response complete */
    hist_t *connect; /* TCP connect time per new connection */
    hist_t *tls;     /* TLS handshake time per new connection */
    uint64_t connections_opened, tls_resumed;
    uint64_t retried;           /* requests sent again after a stale keep-alive connection closed */
    runstats_second_t *seconds; /* timeline, index = second since measurement start */
    size_t nseconds, cap_seconds;
    size_t newest_second, dense_from; /* settling: seconds < dense_from hold no item hist */
    uint64_t first_ns, last_ns;       /* monotonic span of recorded requests (intended .. done) */
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

/* Item latency percentiles of timeline second i: v[k] (ns) for p[k]. Returns
 * false when that second has no item latency (or memory ran out). */
bool runstats_second_percentiles(const runstats_t *rs, size_t i, const double *p, uint64_t *v,
                                 size_t n);

/* dst += src. dst's timeline comes out settled. Returns 0 or ENOMEM/EINVAL. */
int runstats_merge(runstats_t *dst, const runstats_t *src);

#endif
