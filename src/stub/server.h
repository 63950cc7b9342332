/* server — internals shared by stub.c (threads, listeners, stats), sconn.c
 * (the connection state machine), sgen.c (the LLM engine's thread share)
 * and request.c (the request limits). Not for use outside src/stub/. */
#ifndef TAILGATE_STUB_SERVER_H
#define TAILGATE_STUB_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/http.h"
#include "core/loop.h"
#include "core/tls.h"
#include "stub/engine.h"
#include "stub/model.h"
#include "stub/script.h"
#include "stub/sbuf.h"
#include "stub/stub.h"

#define STUB_MAX_HEADER_BYTES 16384             /* larger header section -> 431 */
#define STUB_MAX_HEADERS 100                    /* more headers -> 431 */
#define STUB_IDLE_NS (60 * 1000000000ull)       /* idle keep-alive connection closed after */
#define STUB_LINGER_NS (2 * 1000000000ull)      /* after a closing response, drain reads for */
#define STUB_ACCEPT_PAUSE_NS (100 * 1000000ull) /* after EMFILE, retry accept in */
#define STUB_INLINE_RBUF 2048                   /* read buffer inside each connection */
#define STUB_STATUS_MAX 600

/* Per-thread counters. Written only by the owning thread, read by any thread
 * answering /stats: every access is a relaxed __atomic, so no torn reads. */
typedef struct {
    uint64_t connections;       /* open now */
    uint64_t connections_total; /* accepted */
    uint64_t requests;          /* complete requests read */
    uint64_t items;             /* inputs in inference requests */
    uint64_t in_flight;         /* requests holding a worker / being served */
    uint64_t queued;            /* waiting for a worker */
    uint64_t max_queued;
    uint64_t client_disconnects; /* closed by the client mid-request */
    uint64_t seqs_running;       /* engine: sequences holding a slot */
    uint64_t seqs_waiting;       /* engine: sequences waiting for a slot */
    uint64_t tokens;             /* engine and scripts: tokens generated */
    uint64_t streams;            /* streamed answers begun */
    uint64_t by_status[STUB_STATUS_MAX];
} stub_stats_t;

#define STAT_ADD(s, field, n) __atomic_fetch_add(&(s)->stats.field, (n), __ATOMIC_RELAXED)
#define STAT_SUB(s, field, n) __atomic_fetch_sub(&(s)->stats.field, (n), __ATOMIC_RELAXED)
#define STAT_GET(s, field) __atomic_load_n(&(s)->stats.field, __ATOMIC_RELAXED)

typedef struct sconn sconn_t;
typedef struct server server_t;

/* One per thread: its own loop, listener, queue, PRNG and counters. */
struct server {
    struct stub *stub; /* shared and read-only while running */
    const stub_config_t *cfg;
    unsigned index;
    loop_t *loop;
    loop_io_t listen_io;
    loop_io_t drain_io; /* eventfd: stub_stop asks this thread to drain */
    loop_timer_t accept_timer;
    loop_timer_t grace_timer;
    bool draining;
    bool thread_started;
    pthread_t thread;
    model_rng_t rng;
    uint64_t workers;   /* this thread's share; 0 = unlimited */
    uint64_t queue_cap; /* this thread's share */
    uint64_t busy_workers;
    sconn_t *queue_head, *queue_tail; /* FIFO of requests waiting for a worker */
    uint64_t queue_len;
    sconn_t *conns; /* every open connection (doubly linked) */
    size_t nconns;
    sconn_t *free_conns;     /* closed connections kept for reuse */
    struct h2sconn *h2conns; /* HTTP/2 connections (h2serve.c), also counted in nconns */
    size_t nfree;
    engine_t engine;         /* this thread's share of the LLM engine (sgen.c) */
    loop_timer_t step_timer; /* ends the engine's current step */
    uint64_t step_end_ns;    /* when the current step ends */
    uint64_t next_id;        /* request ids */
    stub_stats_t stats;
};

struct stub {
    stub_config_t cfg;
    uint64_t origin_ns; /* stall windows count from here */
    int port;
    char host[80];
    unsigned nservers;
    server_t *servers;
    tls_ctx_t *tls;                      /* NULL = plain HTTP */
    script_t *scripts[STUB_MAX_SCRIPTS]; /* --script, in the order given */
    unsigned nscripts;
};

/* sconn.c */
/* Takes a freshly accepted socket. Returns 0 or an errno value (fd closed). */
int sconn_accept(server_t *srv, int fd);
/* Drain: close connections that have nothing in flight; the rest close after
 * their response. */
void sconn_drain_all(server_t *srv);
/* Closes and frees every connection and the free list (after the loop ends). */
void sconn_free_all(server_t *srv);

/* stub.c */
/* Appends the /stats JSON body to out. Returns 0 or ENOMEM. */
int stub_stats_json(const struct stub *stub, sbuf_t *out);
/* Called by conn.c whenever a connection closes during a drain. */
void server_conn_closed(server_t *srv);

#endif
