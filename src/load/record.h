/* record — one finished request, as the engine hands it to its observer,
 * and one token-bearing event of a streamed request.
 *
 * Everything a per-request log row needs, token timings included when the
 * run streams. Warmup requests are not observed. */
#ifndef TAILGATE_LOAD_RECORD_H
#define TAILGATE_LOAD_RECORD_H

#include <stdint.h>

#include <stdbool.h>

#include "stats/runstats.h"
#include "stats/tokens.h"

#define REQ_NO_CONNECT UINT64_MAX /* connect_ns of a request sent on an open connection */

/* The protocol of the connection that carried a request. */
typedef enum {
    REQ_PROTO_HTTP1, /* HTTP/1.1, over TCP or TLS */
    REQ_PROTO_H2C,   /* HTTP/2 over TCP, prior knowledge */
    REQ_PROTO_H2,    /* HTTP/2 over TLS, agreed by ALPN */
} req_proto_t;

/* "http/1.1", "h2c", "h2": the names the result's config records. */
static inline const char *req_proto_name(req_proto_t p)
{
    return p == REQ_PROTO_H2C ? "h2c" : p == REQ_PROTO_H2 ? "h2" : "http/1.1";
}

typedef struct {
    uint64_t id;               /* unique within the run, from 1 */
    uint64_t intended_wall_ns; /* wall clock of the intended send (epoch ns) */
    uint64_t intended_ns;      /* the same on the monotonic clock */
    uint64_t latency_ns;       /* intended time -> response complete (or the error) */
    uint64_t service_ns;       /* first byte written -> complete; 0 when nothing was written */
    uint64_t connect_ns;       /* TCP connect time when it opened a connection, or REQ_NO_CONNECT */
    uint64_t bytes_in;         /* response bytes read */
    int status;                /* HTTP status; 0 when no response */
    unsigned batch;            /* items carried */
    err_kind_t err;            /* ERR_NONE or the one kind of failure */
    req_proto_t proto;         /* the connection's protocol */
    /* The run streams (--stream): the request's token timing, of whatever
     * came before it ended (a failed request keeps the tokens it saw). */
    bool streamed;
    tokens_result_t tokens;
} req_record_t;

/* The id of thread t's (of nthreads) request number seq: the CSV's
 * request_id, and {{request_id}} in what the request sends. */
static inline uint64_t req_record_id(uint64_t seq, unsigned t, unsigned nthreads)
{
    return seq * nthreads + t + 1;
}

/* One token-bearing event of a streamed request (--log-events): k-th of
 * request id, arrived at wall_ns (epoch ns). */
typedef struct {
    uint64_t id; /* the request's, as in req_record_t */
    uint64_t k;  /* 1 for its first token-bearing event */
    uint64_t wall_ns;
    uint64_t since_intended_ns; /* arrival - intended send time */
    uint64_t since_send_ns;     /* arrival - first byte written */
} token_record_t;

#endif
