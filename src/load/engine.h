/* engine — runs one load test: T threads, each with its own loop, connection
 * pool, schedule (sched.h) and runstats; merged after the join.
 *
 * Three steps: engine_prepare (everything before the clock: requests, the
 * pre-flight, threads' state), engine_start (the clock and the threads),
 * engine_collect (the join and the merged result). Everything a request needs
 * (bodies, header block) is prepared before the clock starts; the hot path
 * allocates nothing. */
#ifndef TAILGATE_LOAD_ENGINE_H
#define TAILGATE_LOAD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls.h"
#include "core/url.h"
#include "load/inputs.h"
#include "load/preset.h"
#include "load/record.h"
#include "stats/goodput.h"
#include "stats/runstats.h"

typedef enum { ARRIVAL_CONSTANT, ARRIVAL_POISSON } arrival_t;
typedef enum { VALIDATE_NONE, VALIDATE_STATUS, VALIDATE_JSON, VALIDATE_OUTPUTS } validate_t;
/* --http2: off; on (h2 by ALPN on https, prior-knowledge h2c on http, or
 * the run does not start); auto (the same, else HTTP/1.1). */
typedef enum { ENGINE_H2_OFF, ENGINE_H2_ON, ENGINE_H2_AUTO } engine_h2_t;

#define ENGINE_STREAMS_DEFAULT_MAX 100 /* --streams default: the server's limit, at most this */

/* A live progress sample, once per second while a run lasts. */
typedef struct {
    uint64_t elapsed_ns;    /* since the start (warmup included) */
    uint64_t requests_done; /* finished so far (warmup included), ok or not */
    uint64_t errors;
    double rps; /* requests finished in the last interval, per second */
} engine_progress_t;

typedef void (*engine_progress_fn)(const engine_progress_t *p, void *arg);

/* Sees every finished measured request (a CSV log, say). Each worker thread
 * gets its own context, so an observer needs no lock per request. */
typedef struct {
    /* engine_prepare, on its thread: thread `thread`'s context into *ctx.
     * Returns 0 or an errno value (the run does not start). NULL: every
     * thread's context is arg. */
    int (*thread_open)(void *arg, unsigned thread, void **ctx);
    /* On that worker thread, once per finished request, warmup excluded. */
    void (*on_request)(void *ctx, const req_record_t *r);
    /* Once per context thread_open gave (NULL: none): on its worker thread
     * after its last request, or from engine_free when the thread never ran. */
    void (*thread_close)(void *ctx);
    void *arg;
    /* On that worker thread, once per token-bearing event of the streamed
     * requests engine_config_t.token_log_every picks (NULL = none). */
    void (*on_token)(void *ctx, const token_record_t *t);
} engine_observer_t;

typedef struct {
    url_t url;
    /* load model: exactly one of concurrency > 0 (closed) or rate > 0 (open) */
    uint64_t concurrency;
    double rate; /* items per second */
    arrival_t arrival;
    uint64_t seed;
    /* bounds: requests = items to send (0 = no bound); duration_ns 0 = no bound */
    uint64_t requests;
    uint64_t duration_ns;
    uint64_t warmup_ns;
    uint64_t connections; /* 0 = unlimited: grown as needed, bounded (below) */
    /* connections 0: the most connections at once, in all; 0 = open loop's
     * rule (load/poolcap.h: 4 x the rate x the service time seen so far). */
    uint64_t max_connections;
    unsigned threads;
    uint64_t timeout_ns; /* per request, also bounds connect */
    unsigned batch;      /* items per request, >= 1 */
    uint64_t linger_ns;  /* longest an item waits for its batch */
    /* what to send */
    const char *method; /* "POST" default */
    const char *model;
    const inputs_t *inputs; /* items (generated or from --inputs); NULL with raw_body */
    const char *raw_body;   /* --body contents, or NULL */
    size_t raw_body_len;
    const char *const *headers; /* "K: V" strings */
    size_t num_headers;
    validate_t validate;
    /* How items become requests (body, path, outputs), compiled over inputs;
     * NULL with raw_body or a method that sends no body. */
    const preset_plan_t *plan;
    /* Streaming (load/stream.h): answers are read as token streams and timed
     * (ttft, tpot, itl, e2el, tokens); a non-streamed answer is one event. */
    bool stream;
    size_t stream_cap;        /* the longest SSE event; 0 = STREAM_DEFAULT_CAP */
    uint64_t idle_timeout_ns; /* longest silence within a request; 0 = none */
    const goodput_t *goodput; /* bounds a good request meets; NULL = every successful one */
    /* observer.on_token sees the events of one request in this many (1 = all;
     * 0 = none): requests whose id - 1 is a multiple of it */
    uint64_t token_log_every;
    /* outputs */
    engine_observer_t observer; /* on_request NULL = none */
    /* Called from engine_collect's thread (never a worker) once per second while
     * the run lasts; NULL = no progress. */
    engine_progress_fn on_progress;
    void *progress_arg;
    uint64_t grace_ns;     /* after a stop request: in-flight requests get this long */
    tls_client_opts_t tls; /* https: --cacert, --insecure, --no-tls-resume */
    engine_h2_t http2;     /* --http2 */
    unsigned streams;      /* --streams: per HTTP/2 connection; 0 = the server's limit, <= 100 */
    /* One run split over processes: this is segment `segment` of `segments`
     * (0 of 0 or 1: the whole run). Open loop: it sends the arrivals k with
     * k % segments == segment of the one schedule (rate, arrival and seed are
     * the whole run's); closed loop: engine_share of concurrency and
     * connections. Items, request ids and `requests` are the whole run's:
     * item k goes with arrival k, and request ids never collide. */
    unsigned segment, segments;
    /* Wall clock (ns since the epoch) at which the schedule starts, the same
     * in every segment; 0 = shortly after engine_start. */
    uint64_t start_at_wall_ns;
} engine_config_t;

/* engine_start refuses a start_at_wall_ns already this far in the past. */
#define ENGINE_START_LATE_MAX_NS 1000000000ull

/* Part i of `total` split into `parts` as evenly as integers allow: the
 * parts below total % parts get one more. */
static inline uint64_t engine_share(uint64_t total, unsigned parts, unsigned i)
{
    return total / parts + (i < total % parts ? 1 : 0);
}

typedef struct {
    runstats_t stats;          /* merged over threads */
    uint64_t started_wall_ns;  /* wall clock at measurement start */
    uint64_t duration_ns;      /* measured span (after warmup) */
    uint8_t inputs_digest[32]; /* over the items sent (inputs_digest_add) */
    bool inputs_digest_valid;  /* --body runs: over the body and the request count */
    uint8_t inputs_source[32]; /* SHA-256 over the sequence items come from (inputs.h) */
    bool inputs_source_valid;
    uint64_t start_late_ns; /* start_at_wall_ns: how far past it the schedule began */
    bool interrupted;       /* stopped by engine_stop */
    /* Nonzero: sockets ran out (ulimit -n, local ports) and the run went on
     * with this many connections in all instead of what was asked. */
    uint64_t fd_limited_connections;
    req_proto_t proto;   /* what the connections spoke */
    unsigned streams;    /* HTTP/2: streams per connection at most (ours and the server's limit) */
    int fatal_errno;     /* nonzero: could not run at all */
    char fatal_msg[384]; /* why, for a person */
} engine_result_t;

typedef struct engine engine_t;

/* Checks cfg, prepares the requests, proves the target answers and sets up
 * every thread (nothing runs yet). cfg is borrowed until engine_free. Returns
 * 0, or an errno value with a reason in err: EINVAL (no load model, nothing to
 * send), ECONNREFUSED (nothing listening), ENOENT (name not resolvable), EPROTO
 * (the pre-flight TLS handshake failed: "TLS verification failed for
 * HOST:PORT: <reason> ..."; or --http2 and the server does not speak HTTP/2),
 * an unusable --cacert's errno, ENOMEM. With --http2=auto and a server that
 * does not speak HTTP/2, the run goes over HTTP/1.1 and err says why (a note
 * for a person; 0 is returned). */
int engine_prepare(const engine_config_t *cfg, engine_t **out, char *err, size_t errlen);
/* Starts the clock (the schedule begins shortly after, or at
 * cfg->start_at_wall_ns) and the threads. Returns 0, or an errno value with
 * err set: ETIME when start_at_wall_ns is past by more than
 * ENGINE_START_LATE_MAX_NS; a thread's errno (threads already started are
 * stopped and joined). */
int engine_start(engine_t *e, char *err, size_t errlen);
/* After engine_start succeeded, once: waits for the run's end (calling
 * cfg->on_progress), joins the threads and merges their figures into result.
 * Returns 0 when it ran (errors are counted in the result), or an errno value
 * with result->fatal_msg set: EPROTO when every request failed its TLS
 * handshake, the event loop's errno, ENOMEM; EINVAL when not running. */
int engine_collect(engine_t *e, engine_result_t *result);
/* After engine_prepare: the protocol the run speaks, and (HTTP/2) its
 * streams per connection at most. */
req_proto_t engine_proto(const engine_t *e, unsigned *streams);
/* Frees e (NULL is fine); after engine_collect, or instead of it when
 * engine_start failed. */
void engine_free(engine_t *e);

/* Between engine_prepare and engine_start: the open-files budget. A pool
 * that is not fixed (connections 0) holds at most `ceiling` connections in
 * all (split over the threads, at least one each); the result records it as
 * the pool's bound when it is what bounded it (connections.limit_by
 * "open_files"). A fixed pool is the caller's to check against the limit;
 * an HTTP/2 pool, fixed or not, opens at most `ceiling` connections too. */
void engine_limit_connections(engine_t *e, uint64_t ceiling);

/* Async-signal-safe, any time between prepare and free: stop issuing, give
 * in-flight requests cfg->grace_ns, end the run. A stop before engine_start
 * ends the run as soon as it starts. */
void engine_stop(engine_t *e);

void engine_result_close(engine_result_t *result);

#endif
