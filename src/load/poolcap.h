/* poolcap — how many connections an open loop's unlimited pool
 * (--connections 0) may open: what the rate needs, with room to spare, and
 * no more than helps. Pure arithmetic: no clock, no sockets.
 *
 * The rule. An open loop keeps, by Little's law, rate x mean service time
 * requests on the wire at once, one per connection (HTTP/1.1). The pool may
 * grow to POOLCAP_HEADROOM times that, and to at least POOLCAP_FLOOR, never
 * past the ceiling (the open-files limit; 0 = none):
 *
 *     limit = min(ceiling, max(FLOOR, ceil(HEADROOM x requests/s x W)))
 *
 * requests/s is the schedule's rate over the mean batch so far. W is the
 * service time the server gave before it fell behind, if it did: the mean
 * of successive windows of successful responses (the first 8, 16, 32 and 64
 * of them, then every 64 after), the smallest window mean so far. A server
 * that falls behind queues what it is sent, so every new window's mean
 * grows with the queue; were W the latest mean, the pool would grow with the
 * queue it feeds, and a slow server would be sent ever more connections
 * (the melt-down this rule exists to prevent). Until the first window there
 * is no W and the pool grows as the schedule asks, up to the ceiling: those
 * first responses take what the server takes at that load.
 *
 * One per worker thread (its share of the rate and of the ceiling). Costs
 * a few additions per response. */
#ifndef TAILGATE_LOAD_POOLCAP_H
#define TAILGATE_LOAD_POOLCAP_H

#include <stdbool.h>
#include <stdint.h>

#define POOLCAP_HEADROOM 4
#define POOLCAP_FLOOR 16 /* Poisson arrivals averaging 4 in flight exceed 16 about once in 10^6 */
#define POOLCAP_FIRST_WINDOW 8
#define POOLCAP_WINDOW 64

typedef struct {
    double items_per_ns; /* the schedule's rate */
    uint64_t floor;      /* connections */
    uint64_t ceiling;    /* connections; 0 = none */
    uint64_t sum_ns, n;  /* the window being filled */
    uint64_t window;     /* responses that close it */
    uint64_t w_ns;       /* the smallest window mean so far; 0 = none yet */
    uint64_t limit;      /* poolcap_limit */
    bool ceiling_binds;  /* the rule asked for the ceiling or more */
} poolcap_t;

/* items_per_s > 0: the schedule's rate; ceiling 0 = none. */
void poolcap_init(poolcap_t *c, double items_per_s, uint64_t ceiling);

/* One successful response took service_ns (first byte written to the end).
 * items and requests: how many the schedule issued so far (their ratio is
 * the mean batch). Returns true when poolcap_limit changed. */
bool poolcap_sample(poolcap_t *c, uint64_t service_ns, uint64_t items, uint64_t requests);

/* The most connections the pool may hold now; 0 = no bound (no estimate yet
 * and no ceiling). */
static inline uint64_t poolcap_limit(const poolcap_t *c)
{
    return c->limit;
}
/* The expected service time W (ns); 0 = none yet. */
static inline uint64_t poolcap_service_ns(const poolcap_t *c)
{
    return c->w_ns;
}
/* Whether the ceiling, not the rule, sets the limit (no estimate yet, or the
 * rule asks for at least the ceiling). False without a ceiling. */
static inline bool poolcap_ceiling_binds(const poolcap_t *c)
{
    return c->ceiling && (c->w_ns == 0 || c->ceiling_binds);
}

#endif
