/* h2retry — whether an HTTP/2 request the server never processed goes out
 * again. Pure: no clock, no sockets; one record per request.
 *
 * A server tells the client it did not process a stream by a GOAWAY whose
 * last stream id is below it, or by RST_STREAM REFUSED_STREAM (RFC 9113
 * §6.8, §8.7); a stream that never left a connection that ended was not
 * processed either. Any of them is safe to send again. The rule:
 *
 *   sent again while the server makes progress: the GOAWAY that refused it
 *   names a stream the server did process (its last stream id is not 0),
 *   or the server has answered, since the request was first sent, at least
 *   one request for each time it refused this one;
 *
 *   a refusal without progress is forgiven once (a server restarting can
 *   refuse a request that races it); the second is the request's outcome
 *   (H2RETRY_RESET: the run's `reset`);
 *
 *   no try outlives the request's deadline (its --timeout, counted from its
 *   first send): refused after it, the request is a timeout.
 *
 * So a server that closes every connection after N requests (nginx's
 * keepalive_requests) loses no request however many are in flight, and one
 * that processes nothing ends each request after two tries. "Answered" is
 * counted by the caller over the thread's connections: any response head
 * (a status), whatever it says. */
#ifndef TAILGATE_LOAD_H2RETRY_H
#define TAILGATE_LOAD_H2RETRY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t deadline_ns; /* its first send + --timeout; 0 = none */
    uint64_t answered_at; /* the caller's answered count at its first send */
    uint32_t refusals;    /* times the server refused it so far */
    bool forgiven;        /* a refusal without progress was forgiven */
} h2retry_t;

typedef enum {
    H2RETRY_SEND,    /* send it again */
    H2RETRY_RESET,   /* refused again without progress: its outcome is reset */
    H2RETRY_TIMEOUT, /* refused at or after its deadline: its outcome is a timeout */
} h2retry_verdict_t;

/* The request is sent for the first time at now_ns, with a timeout of
 * timeout_ns (0 = none), while the caller has counted `answered`. */
void h2retry_begin(h2retry_t *r, uint64_t now_ns, uint64_t timeout_ns, uint64_t answered);

/* The server refused it at now_ns; goaway_progress: the refusal was a
 * GOAWAY naming a stream the server processed (conn_result_t.progress);
 * answered: the caller's count now. Counts the refusal. */
h2retry_verdict_t h2retry_refused(h2retry_t *r, bool goaway_progress, uint64_t answered,
                                  uint64_t now_ns);

#endif
