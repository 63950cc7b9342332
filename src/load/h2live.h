/* h2live — whether an HTTP/2 client connection is alive: when it sends a
 * PING (RFC 9113 §6.7) and when it is dead. Pure: no clock, no sockets; one
 * record per connection, fed the loop's time.
 *
 * A connection can die without a FIN (a NAT or firewall that forgot it, a
 * server process that is stopped); without a check, every stream on it, and
 * every stream put on it meanwhile, waits for its whole --timeout. The rule:
 *
 *   silence: nothing read for quiet_ns while the connection has streams
 *   open (counted from the last byte read, or from when streams began on a
 *   connection that had none) -> a PING; until its ACK, the connection
 *   takes no new stream (h2live_pinging);
 *
 *   the ACK (or any byte) within wait_ns -> alive; no byte at all -> dead,
 *   presumed: the connection takes no new stream, but a server paused whole
 *   for that long may answer yet, so what it holds keeps its --timeout, and
 *   a byte later revives it (the caller checks again);
 *
 *   a server that stays silent on its streams but answers PINGs is slow,
 *   not dead: the next PING waits twice as much silence (up to
 *   H2LIVE_GAP_MAX times quiet_ns), and any response frame brings the wait
 *   back to quiet_ns -- a slow server gets a few PINGs, not one a second.
 *
 * A busy, healthy connection reads something far more often than quiet_ns
 * and never PINGs; an idle one (no streams) is never checked. */
#ifndef TAILGATE_LOAD_H2LIVE_H
#define TAILGATE_LOAD_H2LIVE_H

#include <stdbool.h>
#include <stdint.h>

#define H2LIVE_GAP_MAX 8 /* the longest silence before a PING, in quiet_ns */

typedef struct {
    uint64_t quiet_ns; /* silence with streams open that earns a PING */
    uint64_t wait_ns;  /* how long its ACK may take */
    uint64_t gap_ns;   /* silence before the next PING (quiet_ns .. GAP_MAX x) */
    uint64_t heard_ns; /* the last byte read (or when the connection opened) */
    uint64_t busy_ns;  /* when streams began on the connection that had none */
    uint64_t ping_ns;  /* our PING unanswered since; 0 = none */
} h2live_t;

typedef enum {
    H2LIVE_IDLE, /* no stream open: nothing to check until one begins */
    H2LIVE_WAIT, /* check again at *next_ns */
    H2LIVE_PING, /* send a PING now (ping_ns is set); check again at *next_ns */
    H2LIVE_DEAD, /* no byte within wait_ns of the PING: presumed dead */
} h2live_action_t;

/* The bounds for streams of timeout_ns (--timeout; 0 = none):
 * quiet_ns = min(1 s, timeout/4) -- a second without a byte is long for a
 * connection whose streams are answered, and a quarter of a short timeout
 * leaves room to find the connection dead and stop using it before its
 * streams time out; wait_ns = max(1 s, timeout/4), 10 s with no timeout --
 * a dead verdict ends the connection's streams early, so the ACK gets at
 * least a second (a far server's round trip, a loaded one's turn). */
void h2live_init(h2live_t *l, uint64_t timeout_ns);
/* The connection opened at now: heard then, no PING, gap back to quiet. */
void h2live_start(h2live_t *l, uint64_t now);

/* A byte was read at now. */
static inline void h2live_heard(h2live_t *l, uint64_t now)
{
    l->heard_ns = now;
}
/* Streams began at now on a connection that had none. */
static inline void h2live_busy(h2live_t *l, uint64_t now)
{
    l->busy_ns = now;
}
/* A response frame (HEADERS or DATA) came: the server works on streams. */
static inline void h2live_answered(h2live_t *l)
{
    l->gap_ns = l->quiet_ns;
}
/* A PING is unanswered: the connection takes no new stream. */
static inline bool h2live_pinging(const h2live_t *l)
{
    return l->ping_ns != 0;
}
/* A PING ACK came. Returns true when it answers ours (then none is
 * unanswered and the next PING waits for twice the silence). */
bool h2live_ack(h2live_t *l);

/* When to check first, once streams began (h2live_busy). */
uint64_t h2live_due(const h2live_t *l);
/* The check, at now; streams: the connection has streams open. Sets
 * *next_ns for H2LIVE_WAIT and H2LIVE_PING. A byte heard since an
 * unanswered PING counts as its ACK. */
h2live_action_t h2live_check(h2live_t *l, uint64_t now, bool streams, uint64_t *next_ns);

#endif
