/* pool — one worker thread's connections. Internal to src/load: the engine
 * owns a pool per thread and is its only user; it is not thread-safe.
 *
 * A request goes out on an idle connection, else on a new one within the
 * limit; when neither exists pool_send says so and the request waits (in the
 * schedule's FIFO, sched.h). Connections are allocated before the clock
 * starts; the pool grows only when a run outgrows them.
 *
 * HTTP/2 (pool_init_h2): a request goes out on a new stream of a connection
 * that has room (h2conn_room), else on a new connection within the limit:
 * a connection fills to its stream limit before another opens. A request
 * the server never processed (a GOAWAY, REFUSED_STREAM) may be sent again
 * (the caller decides, by load/h2retry.h), on a connection opened after it
 * was refused, before any new request (pool_retry). */
#ifndef TAILGATE_LOAD_POOL_H
#define TAILGATE_LOAD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/conn.h"
#include "load/h2conn.h"
#include "load/h2retry.h"
#include "load/reqfmt.h"
#include "load/stream.h"

typedef struct pool pool_t;
typedef struct slot slot_t;

/* A connection and the request it carries; conn.user points back here.
 * HTTP/2: a request and the stream carrying it (h2); conn only lends its
 * write buffer, to build the request in. */
struct slot {
    conn_t conn;
    h2conn_t *h2;  /* HTTP/2: the connection carrying it */
    char *h2_head; /* HTTP/2: the request's own head, in conn's buffer (when it varies) */
    size_t h2_head_len;
    const char *h2_body; /* HTTP/2: the request's body, in conn's buffer */
    size_t h2_body_len;
    /* HTTP/2: whether it goes out again when refused, and its deadline */
    h2retry_t h2_retry;
    uint64_t h2_after; /* HTTP/2: retried on a connection opened after this one's serial */
    slot_t *h2_next;   /* HTTP/2: free or retry list */
    pool_t *pool;
    uint64_t req_seq;     /* the worker's request number */
    uint64_t first_seq;   /* the worker's number of its first item */
    uint64_t intended_ns; /* request intended time */
    unsigned n;           /* items carried */
    uint64_t connect_ns;  /* TCP connect time when this request opened a connection */
    bool retired;         /* no socket could be opened for it: never used again */
    stream_t *stream;     /* streamed runs: the answer's parser, begun with each request */
    uint64_t item_ns[];   /* intended time of each item (batch entries) */
};

struct pool {
    const conn_env_t *env; /* the thread's; outlives the pool */
    const reqfmt_t *fmt;
    unsigned t, nthreads; /* this thread, of: which items its requests carry */
    unsigned batch;       /* items per request at most */
    size_t stream_cap;    /* streamed runs: each connection's SSE buffer; 0 = not streamed */
    slot_t **slots;
    size_t nslots, slots_cap, max_slots; /* max 0 = unlimited */
    size_t retired;                      /* slots given up for want of a socket */
    size_t fd_limited_at;                /* live connections when sockets ran out; 0 = never */
    conn_t *free_list;                   /* conns without a request */
    /* HTTP/2 (h2env set): */
    const h2conn_env_t *h2env;
    h2conn_t **h2conns;
    size_t nh2, h2_cap, max_h2; /* max 0 = unlimited */
    h2conn_t *h2_ready;         /* connections that had room when listed (h2conn_t.next) */
    slot_t *h2_free;            /* slots without a request */
    slot_t *retry_head, *retry_tail;
    uint64_t h2_serial; /* connections opened so far (h2conn_t.serial) */
    /* HTTP/2: responses (a status) the server gave; the caller counts them */
    uint64_t h2_answered;
};

/* Fills p (zeroed by the caller) and allocates `prealloc` connections
 * (buffers, not sockets), each with a stream of stream_cap (0 = none).
 * max_slots 0 = unlimited. env and fmt are borrowed. Returns 0 or ENOMEM;
 * pool_close cleans up either way. */
int pool_init(pool_t *p, const conn_env_t *env, const reqfmt_t *fmt, unsigned t, unsigned nthreads,
              unsigned batch, size_t max_slots, size_t prealloc, size_t stream_cap);
/* After pool_init (with max_slots 0, prealloc 0): requests go over HTTP/2,
 * on at most max_conns connections (0 = unlimited) prepared with env (the
 * thread's, outliving the pool). prealloc_conns connections and
 * prealloc_slots request slots are allocated now. Returns 0 or ENOMEM. */
int pool_init_h2(pool_t *p, const h2conn_env_t *env, size_t max_conns, size_t prealloc_conns,
                 size_t prealloc_slots);
/* Closes every connection (no callbacks) and frees everything; zeroed is fine. */
void pool_close(pool_t *p);

/* s could open no socket (conn_result_t.no_fd): the machine (ulimit -n, local
 * ports) caps the pool below what was asked. Returns true when s is retired
 * (never used again) and other connections remain for its request; false when
 * none do and the request must be counted as its outcome (s stays usable). */
bool pool_retire(pool_t *p, slot_t *s);
/* Ends every request in progress with err (on_done runs for each). Requests
 * waiting to be sent again (pool_retry) are not in progress: take them with
 * pool_retry_pop. */
void pool_abort(pool_t *p, conn_outcome_t err);

/* HTTP/2: s's request was never processed by the server (conn_result_t
 * .refused): it goes out again on a new connection -- one opened after now,
 * so not one the server is about to close too -- at once or, ahead of every
 * new request, as soon as one has room, with the deadline of its first
 * send (s->h2_retry). */
void pool_retry(pool_t *p, slot_t *s);
/* HTTP/2: a request waiting to be sent again, taken off the list (stopping:
 * the caller records it and frees it with pool_freed); NULL when none. */
slot_t *pool_retry_pop(pool_t *p);
/* HTTP/2: c has more room than before (h2conn_env_t.on_room): it takes
 * requests again, waiting retries first. */
void pool_h2_room(pool_t *p, h2conn_t *c);
/* HTTP/2: s's request ended and was recorded: s is free, and its stream's
 * room goes to a waiting retry first. */
void pool_h2_freed(pool_t *p, slot_t *s);

/* The calls made once per request, inline so that the common case (an idle
 * connection) costs no call of its own. What they need from pool.c: */
/* Sends a request on s, which is idle. */
void pool_start(pool_t *p, slot_t *s, uint64_t req_seq, uint64_t first_seq, uint64_t intended,
                unsigned n, const uint64_t *item_ns);
/* pool_send when no connection is idle. */
bool pool_send_new(pool_t *p, uint64_t req_seq, uint64_t first_seq, uint64_t intended, unsigned n,
                   const uint64_t *item_ns);

/* Request number req_seq, items first_seq.. (n of them, intended at
 * item_ns[i]; copied): sent now on an idle connection, else on a new one
 * within max_slots. Returns false when there is none (or no memory for one):
 * nothing was sent. */
static inline bool pool_send(pool_t *p, uint64_t req_seq, uint64_t first_seq, uint64_t intended,
                             unsigned n, const uint64_t *item_ns)
{
    if (p->free_list) {
        conn_t *c = p->free_list;
        p->free_list = c->next;
        pool_start(p, c->user, req_seq, first_seq, intended, n, item_ns);
        return true;
    }
    return pool_send_new(p, req_seq, first_seq, intended, n, item_ns);
}

/* s finished its request (on_done, after the outcome was recorded) and is
 * idle: the next pool_send may take it. */
static inline void pool_freed(pool_t *p, slot_t *s)
{
    if (p->h2env) {
        pool_h2_freed(p, s);
        return;
    }
    s->conn.next = p->free_list;
    p->free_list = &s->conn;
}

#endif
