/* engine — runs one load test: T threads, each with its own loop, connection
 * pool, pacer, batcher and runstats; merged after the join.
 *
 * Everything a request needs (bodies, header block) is prepared before the
 * clock starts; the hot path allocates nothing. */
#ifndef TAILGATE_LOAD_ENGINE_H
#define TAILGATE_LOAD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls.h"
#include "core/url.h"
#include "load/inputs.h"
#include "output/csvlog.h"
#include "stats/runstats.h"

typedef enum { ARRIVAL_CONSTANT, ARRIVAL_POISSON } arrival_t;
typedef enum { VALIDATE_NONE, VALIDATE_STATUS, VALIDATE_OUTPUTS } validate_t;

/* A live progress sample, once per second while a run lasts. */
typedef struct {
    uint64_t elapsed_ns;    /* since the start (warmup included) */
    uint64_t requests_done; /* finished so far (warmup included), ok or not */
    uint64_t errors;
    double rps; /* requests finished in the last interval, per second */
} engine_progress_t;

typedef void (*engine_progress_fn)(const engine_progress_t *p, void *arg);

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
    uint64_t connections; /* 0 = unlimited */
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
    /* outputs */
    csvlog_t *log; /* NULL = no CSV; thread-safe block writes */
    /* Called from engine_run's thread (never a worker) once per second while
     * the run lasts; NULL = no progress. */
    engine_progress_fn on_progress;
    void *progress_arg;
    uint64_t grace_ns;     /* after a stop request: in-flight requests get this long */
    tls_client_opts_t tls; /* https: --cacert, --insecure, --no-tls-resume */
} engine_config_t;

typedef struct {
    runstats_t stats;          /* merged over threads */
    uint64_t started_wall_ns;  /* wall clock at measurement start */
    uint64_t duration_ns;      /* measured span (after warmup) */
    uint8_t inputs_digest[32]; /* SHA-256 over the items sent, in send order */
    bool inputs_digest_valid;  /* --body runs: over the body and the request count */
    bool interrupted;          /* stopped by engine_stop */
    /* Nonzero: sockets ran out (ulimit -n, local ports) and the run went on
     * with this many connections in all instead of what was asked. */
    uint64_t fd_limited_connections;
    int fatal_errno;     /* nonzero: could not run at all */
    char fatal_msg[384]; /* why, for a person */
} engine_result_t;

/* Runs the test to its bound. Returns 0 when it ran (errors are counted in the
 * result), or an errno value with result->fatal_msg set when it could not run
 * at all (nothing listening: ECONNREFUSED after the first connect attempt of
 * every thread failed and no request succeeded; name not resolvable: ENOENT;
 * https: EPROTO when the pre-flight TLS handshake failed -- "TLS verification
 * failed for HOST:PORT: <reason> ..." -- or every request of the run failed
 * its handshake; an unusable --cacert: its errno). */
int engine_run(const engine_config_t *cfg, engine_result_t *result);

/* Async-signal-safe: asks a running engine_run to stop issuing, give in-flight
 * requests cfg->grace_ns, and return. */
void engine_stop(void);

void engine_result_close(engine_result_t *result);

#endif
