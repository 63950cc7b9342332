/* sched — what one worker sends when, with no clock and no sockets of its own.
 *
 * In: the time (every call takes `now`, monotonic ns; tests pass a fake one),
 * a pacer (the schedule), and completions (sched_done). Out: requests, through
 * ops.submit. It owns the batcher, the limits (--requests, --duration), the
 * warmup accounting, and the FIFO of requests waiting for a connection.
 *
 * Rules it keeps (each has a test in tests/unit/test_sched.c):
 * - A request and each of its items keep their intended time while they wait
 *   for a connection: latency counts from it (wrk2), so a FIFO wait ages.
 * - Warmup items (intended before start + warmup) do not count against the
 *   items bound, and never share a request with measured items.
 * - A batch leaves when full (intended at its last item) or when its oldest
 *   item has waited linger (intended at that deadline).
 * - Closed loop: `users` requests at once; each completion issues the next,
 *   intended at the completion. A refused connection rests the user (10 ms,
 *   doubling to 1 s, reset by sched_connected) instead of retrying at once.
 * - Nothing is issued at or after the end of the duration, or past the items
 *   bound. What is in flight then gets drain_ns (duration) or its own timeout
 *   (items bound); past the drain deadline sched_advance says abort.
 * - Nothing is sent after the end of the duration: what still waits for a
 *   connection then ends at once (open loop: unsent, the schedule offered it;
 *   closed loop: dropped, never issued, since a user waiting for a shared
 *   connection is not offered load), whichever bound ended issuing. The last
 *   batch, released at its linger deadline, leaves at once or ends unsent.
 * - sched_stop: the pending batch is dropped unsent, waiting requests end as
 *   unsent, in-flight ones get the grace.
 * - A request offered from the FIFO (or put back in it) says so (waited): its
 *   wait is the pool's, not the client's pace. The client's lateness before
 *   it began to wait (until older requests were waiting) is still the
 *   client's: ops.queued hears it.
 *
 * Not thread-safe: one per worker thread. */
#ifndef TAILGATE_LOAD_SCHED_H
#define TAILGATE_LOAD_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/batcher.h"
#include "load/pacer.h"

#define SCHED_NEVER UINT64_MAX

/* One request, as issued. */
typedef struct {
    uint64_t seq;            /* this schedule's request number, from 0 */
    uint64_t first_item;     /* this schedule's number of its first item, from 0 */
    uint64_t intended_ns;    /* when it was due */
    const uint64_t *item_ns; /* each item's intended time; valid during the call only */
    unsigned n;              /* items carried */
    bool waited;             /* it sat in the FIFO: no connection was free at its time */
} sched_req_t;

typedef struct {
    /* Send r now. Returns false when no connection is free: sched keeps r in
     * its FIFO and offers it again when one is (sched_done). */
    bool (*submit)(void *arg, const sched_req_t *r);
    /* r was issued but will never be sent (stopped, aborted, or no memory to
     * let it wait): the caller records it as ended at `now`. */
    void (*unsent)(void *arg, const sched_req_t *r, uint64_t now);
    void *arg;
    /* Optional (NULL: none). r, just issued, begins to wait for a
     * connection; late_ns: how late the client came to offer it, up to the
     * moment older requests were already waiting. That lateness is the
     * client's; the wait from then on is the pool's. Not called when older
     * requests waited already before r was due: its wait is all the pool's. */
    void (*queued)(void *arg, const sched_req_t *r, uint64_t late_ns);
} sched_ops_t;

typedef struct {
    pacer_t pacer;        /* PACER_CLOSED for closed loop; times relative to the start */
    uint64_t users;       /* closed loop: requests outstanding at once */
    unsigned batch;       /* items per request at most, >= 1 */
    uint64_t linger_ns;   /* longest an item waits for its batch */
    uint64_t warmup_ns;   /* from the start: issued, not counted */
    uint64_t duration_ns; /* after warmup; 0 = no bound */
    uint64_t items;       /* measured items to issue; SCHED_NEVER = no bound */
    uint64_t drain_ns;    /* after the duration, what is in flight gets this long */
} sched_config_t;

typedef struct {
    uint64_t seq, first_item, intended_ns;
    unsigned n;
} sched_wait_t;

/* Fields are private to sched.c; read them through the functions below. */
typedef struct {
    sched_ops_t ops;
    pacer_t pacer;
    batcher_t batcher;
    bool closed;
    unsigned batch;
    uint64_t users, warmup_ns, duration_ns, drain_ns;
    uint64_t start_ns, measure_ns, end_ns;
    uint64_t items_limit, items_taken, items_issued, req_seq;
    uint64_t *release_ns; /* a released batch's item times */
    uint64_t now;         /* the time of the call in progress */
    uint64_t wake, open_wake, drain_at;
    bool started, gen_done, stopped, killed;
    bool ended; /* the duration is over: nothing waits for a connection any more */
    uint64_t resting, rest_ns, rest_until; /* closed loop: users resting after a refusal */
    uint64_t inflight;                     /* submitted, not yet done */
    sched_wait_t *q;                       /* FIFO ring; item times in q_items */
    uint64_t *q_items;
    size_t q_cap, q_head, q_len;
    uint64_t q_since; /* when the FIFO last became non-empty */
} sched_t;

/* Prepares s (allocates its batcher and FIFO); ops are copied. Returns 0,
 * EINVAL (batch 0) or ENOMEM; sched_close cleans up either way. */
int sched_init(sched_t *s, const sched_config_t *cfg, const sched_ops_t *ops);
void sched_close(sched_t *s); /* zeroed or closed is fine */

/* Fixes the schedule's origin: the pacer's times, warmup and duration count
 * from start_ns. Call once, before anything else below. */
void sched_start(sched_t *s, uint64_t start_ns);

typedef enum { SCHED_CONTINUE, SCHED_ABORT } sched_action_t;

/* When sched_advance must next run (SCHED_NEVER: only completions matter). */
static inline uint64_t sched_wake(const sched_t *s)
{
    return s->wake;
}
/* Issues everything due by now. SCHED_ABORT: the drain deadline passed; the
 * caller ends every request in flight now (their sched_done issue nothing). */
sched_action_t sched_advance(sched_t *s, uint64_t now);
/* A submitted request ended and was recorded; its connection is free again:
 * the oldest waiting request takes it, then (closed loop) the user issues its
 * next request, or rests when `refused`. */
void sched_done(sched_t *s, uint64_t now, bool refused);
/* A connection gained room for several requests at once (an HTTP/2
 * connection that closed or whose server raised its stream limit): waiting
 * requests are offered, oldest first, while they are taken. */
void sched_offer(sched_t *s, uint64_t now);
/* A connection was established: a resting user's backoff starts over. */
void sched_connected(sched_t *s);
/* A submitted request never left (no socket could be opened): it goes back
 * to the head of the FIFO, to leave on the connections that remain. Returns
 * 0, or ECANCELED (stopping, or the duration is over: never sent late) or
 * ENOMEM: then it ended, as far as sched knows; the caller records it and
 * calls sched_done. */
int sched_requeue(sched_t *s, const sched_req_t *r, uint64_t now);
/* Stop issuing (SIGINT): see the rules above. Idempotent. */
void sched_stop(sched_t *s, uint64_t now, uint64_t grace_ns);

/* Nothing more will be issued and nothing is in flight, waiting or batched. */
static inline bool sched_finished(const sched_t *s)
{
    return s->gen_done && s->inflight == 0 && s->q_len == 0 && s->batcher.n == 0;
}
/* stop or abort happened: nothing will be sent any more. */
bool sched_stopping(const sched_t *s);
/* Warmup: not recorded. */
static inline bool sched_is_warmup(const sched_t *s, uint64_t intended_ns)
{
    return intended_ns < s->measure_ns;
}
/* When the measurement begins (start + warmup). */
static inline uint64_t sched_measure_ns(const sched_t *s)
{
    return s->measure_ns;
}
/* Items issued so far (sent, in flight, waiting or ended unsent; not batched,
 * not dropped). */
uint64_t sched_items_issued(const sched_t *s);
/* Requests issued so far (request numbers handed out, dropped ones included). */
static inline uint64_t sched_requests_issued(const sched_t *s)
{
    return s->req_seq;
}

#endif
