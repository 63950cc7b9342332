/* pool — one worker thread's connections and the FIFO of requests waiting for
 * one. Internal to src/load: the engine owns a pool per thread and is its
 * only user; it is not thread-safe.
 *
 * A request goes out on an idle connection, else on a new one within the
 * limit, else it waits in the FIFO (and ages: its latency counts from its
 * intended time). A connection that finishes takes the oldest waiting
 * request. Connections and the FIFO are allocated before the clock starts;
 * the FIFO and the pool grow only when a run outgrows them. */
#ifndef TAILGATE_LOAD_POOL_H
#define TAILGATE_LOAD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/conn.h"
#include "load/reqfmt.h"

typedef struct pool pool_t;

/* A connection and the request it carries; conn.user points back here. */
typedef struct {
    conn_t conn;
    pool_t *pool;
    uint64_t req_seq;     /* the worker's request number */
    uint64_t first_seq;   /* the worker's number of its first item */
    uint64_t intended_ns; /* request intended time */
    unsigned n;           /* items carried */
    uint64_t connect_ns;  /* TCP connect time when this request opened a connection */
    bool retired;         /* no socket could be opened for it: never used again */
    uint64_t item_ns[];   /* intended time of each item (batch entries) */
} slot_t;

/* A request waiting for a connection; its items' times live in q_items. */
typedef struct {
    uint64_t req_seq, first_seq, intended_ns;
    unsigned n;
} qreq_t;

struct pool {
    const conn_env_t *env; /* the thread's; outlives the pool */
    const reqfmt_t *fmt;
    unsigned t, nthreads; /* this thread, of: which items its requests carry */
    unsigned batch;       /* items per request at most */
    slot_t **slots;
    size_t nslots, slots_cap, max_slots; /* max 0 = unlimited */
    size_t retired;                      /* slots given up for want of a socket */
    size_t fd_limited_at;                /* live connections when sockets ran out; 0 = never */
    conn_t *free_list;                   /* conns without a request */
    size_t inflight; /* requests on a connection; the owner decrements it in on_done */
    bool aborting;   /* pool_abort ran: a freed connection takes no waiting request */
    /* requests waiting for a connection (ring) */
    qreq_t *q;
    uint64_t *q_items;
    size_t q_cap, q_head, q_len;
};

/* Fills p (zeroed by the caller) and allocates the FIFO and `prealloc`
 * connections (buffers, not sockets). max_slots 0 = unlimited. env and fmt are
 * borrowed. Returns 0 or ENOMEM; pool_close cleans up either way. */
int pool_init(pool_t *p, const conn_env_t *env, const reqfmt_t *fmt, unsigned t, unsigned nthreads,
              unsigned batch, size_t max_slots, size_t prealloc);
/* Closes every connection (no callbacks) and frees everything; zeroed is fine. */
void pool_close(pool_t *p);

/* s could open no socket (conn_result_t.no_fd): the machine (ulimit -n, local
 * ports) caps the pool below what was asked. Returns true when s is retired
 * and its request went back to the head of the FIFO, to go out on the
 * connections that remain; false when the request must be counted as its
 * outcome instead (no other connection is left, or no memory to queue it). */
bool pool_out_of_fds(pool_t *p, slot_t *s);
/* Ends every request in progress with err (on_done runs for each); from now
 * on freed connections stay idle. */
void pool_abort(pool_t *p, conn_outcome_t err);
/* Removes the oldest waiting request into *r and points *item_ns at its
 * items' times (valid until the FIFO changes). Returns false when none. */
bool pool_pop_waiting(pool_t *p, qreq_t *r, const uint64_t **item_ns);

/* The two calls made once per request, inline so that the common case (an
 * idle connection; no request waiting) costs no call of its own. What they
 * need from pool.c: */
/* Sends a request on s, which is idle. */
void pool_start(pool_t *p, slot_t *s, uint64_t req_seq, uint64_t first_seq, uint64_t intended,
                unsigned n, const uint64_t *item_ns);
/* pool_submit when no connection is idle or requests are waiting. */
int pool_submit_slow(pool_t *p, uint64_t req_seq, uint64_t first_seq, uint64_t intended, unsigned n,
                     const uint64_t *item_ns);
/* pool_freed when requests are waiting: s takes the oldest. */
void pool_start_waiting(pool_t *p, slot_t *s);

/* Request number req_seq, items first_seq.. (n of them, intended at
 * item_ns[i]; copied) is ready: it is sent now on a free connection (an idle
 * one, else a new one within max_slots), else it waits in the FIFO. Returns 0,
 * or ENOMEM when it could neither be sent nor wait: the caller counts it. */
static inline int pool_submit(pool_t *p, uint64_t req_seq, uint64_t first_seq, uint64_t intended,
                              unsigned n, const uint64_t *item_ns)
{
    if (p->q_len == 0 && p->free_list) {
        conn_t *c = p->free_list;
        p->free_list = c->next;
        pool_start(p, c->user, req_seq, first_seq, intended, n, item_ns);
        return 0;
    }
    return pool_submit_slow(p, req_seq, first_seq, intended, n, item_ns);
}

/* s finished its request (on_done, after the outcome was recorded): the
 * oldest waiting request takes it, else it becomes idle. */
static inline void pool_freed(pool_t *p, slot_t *s)
{
    if (p->q_len == 0 || p->aborting) {
        s->conn.next = p->free_list;
        p->free_list = &s->conn;
        return;
    }
    pool_start_waiting(p, s);
}

#endif
