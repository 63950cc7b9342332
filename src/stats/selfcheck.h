/* selfcheck — did the client keep its own schedule? Every open-loop run is
 * judged on it, so that a result never passes off the client's limit as the
 * server's (README.md "The self-check").
 *
 * The figures (runstats_t, recorded by the engine): the offered rate (the
 * schedule, items/s), what was handed to connections and when, and the send
 * lag of each request that found a free connection (intended time -> handed
 * over; METRIC_SEND_LAG). The client was the limit when
 *   - the send lag's p99 is above max(1 ms, 10% of the mean interval between
 *     requests): its event loop fell behind (SELFCHECK_SEND_LAG); judged on
 *     SELFCHECK_LAG_MIN_COUNT requests or more (the p99 of fewer is their
 *     maximum: one moment's hiccup would decide), or
 *   - the achieved send rate is below 99% of the offered rate, and the
 *     shortfall is not the server's: either no request waited for a
 *     connection (the loop fell behind: SELFCHECK_SEND_RATE), or requests
 *     waited for a pool of --connections K that could not have carried the
 *     schedule even at the fastest service time seen, K / min(service) below
 *     the offered requests/s (K * streams over HTTP/2) (or sockets ran out; SELFCHECK_CONNECTIONS).
 *     Requests that waited for a pool large enough at that speed waited
 *     because the server slowed down: that shortfall is the server's.
 * The achieved send rate is the offered rate scaled by the share of items
 * handed over and by how much longer the hand-overs took than the schedule:
 *   offered * (sent_items / items) * (last_intended / last_sent),
 * so a Poisson schedule's own randomness is not counted as a shortfall.
 * A closed loop has no schedule: nothing is checked. Pure: no I/O, no state. */
#ifndef TAILGATE_STATS_SELFCHECK_H
#define TAILGATE_STATS_SELFCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/runstats.h"

#define SELFCHECK_LAG_FLOOR_MS 1.0  /* send lag always tolerated */
#define SELFCHECK_LAG_SHARE 0.10    /* ... or this share of the mean interval */
#define SELFCHECK_RATE_SHARE 0.99   /* achieved send rate below this share of offered */
#define SELFCHECK_LAG_MIN_COUNT 100 /* send lags needed for their p99 to be judged */

enum {
    SELFCHECK_SEND_LAG = 1u,    /* send lag p99 over the limit: more --threads */
    SELFCHECK_SEND_RATE = 2u,   /* sent too slowly with connections free: more --threads */
    SELFCHECK_CONNECTIONS = 4u, /* the pool could not carry the schedule: more --connections */
};

typedef struct {
    bool checked;              /* an open-loop run with something measured */
    bool client_limited;       /* checked and a rule above says so */
    unsigned why;              /* SELFCHECK_* bits */
    double offered_per_s;      /* items/s the schedule asked for */
    double send_per_s;         /* items/s achieved, as above; NaN when nothing was issued */
    double interval_ms;        /* the schedule's mean interval between requests */
    double lag_p99_ms;         /* NaN when no request found a free connection */
    double lag_limit_ms;       /* max(1 ms, 10% of the interval) */
    double waited_pct;         /* requests that waited for a connection, % of those sent */
    uint64_t connections;      /* the pool's size; 0 = unlimited */
    unsigned streams;          /* requests a connection carries at once (HTTP/2), >= 1 */
    double service_min_ms;     /* the fastest service time; NaN when none was answered */
    double pool_per_s;         /* requests/s the pool carries at that speed; NaN: unknown */
    double needed_connections; /* offered requests/s * fastest service time; NaN: unknown */
} selfcheck_t;

/* Judges rs, measured under a schedule of offered_per_s items/s (0 = closed
 * loop: out->checked false) with a pool of `connections` (0 = unlimited)
 * that carry `streams` requests each at once (HTTP/2; 0 or 1: one). */
void selfcheck_judge(const runstats_t *rs, double offered_per_s, uint64_t connections,
                     unsigned streams, selfcheck_t *out);

/* What to change, in words for a person ("" when not limited): names
 * --threads and/or --connections with the figures that call for it. */
void selfcheck_advice(const selfcheck_t *c, char *buf, size_t len);
/* Why the client was the limit, with the figures ("send lag p99 3.20 ms >
 * 1.25 ms; sent 49.9 of 200 items/s; ..."); "" when it was not. */
void selfcheck_describe(const selfcheck_t *c, char *buf, size_t len);

#endif
