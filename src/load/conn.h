/* conn — one client connection: an explicit state machine that connects,
 * writes one request, reads its response (framed by core/h1resp, the framer
 * ab's verification probe uses too), and hands the outcome to its owner.
 * Keep-alive is reused; a connection the server closed reconnects on the next
 * request.
 *
 *   CLOSED --send--> CONNECTING --connected--> WRITING --written--> READING
 *     ^                    |  (https)               ^  ^                  |
 *     |                    '--> HANDSHAKING --------'  |                  |
 *     |                 IDLE --send--------------------'                  |
 *     '-- error, timeout, "Connection: close", FIN -- response done ------'
 *                                                      (keep-alive: IDLE)
 *
 * The fd is registered once per socket, edge-triggered for in and out: a
 * request costs no epoll_ctl. A peer that has sent its FIN never gets another
 * request: the event that delivers a response carries the hang-up too
 * (EPOLLRDHUP, loop.h's LOOP_HUP), so a server that answers "keep-alive" and
 * then half-closes (a lingering close, as nginx does) costs no extra syscall
 * and no --timeout: the next request opens a new connection. A FIN that lands
 * after the next request went out is seen at once, as an end of stream (the
 * retry rule at conn_outcome_t says what it counts as). Buffers are allocated
 * once in conn_init; the receive buffer grows only for a response larger than
 * it (rare). With TLS (env->tls) the same loops run over core/tls: one
 * predictable branch per read or write, nothing else on the plaintext path.
 *
 * Two clocks bound a request: the timeout from its start (connect included),
 * and the idle timeout, the longest silence: no byte written or read for that
 * long (a stalled stream) ends it as a timeout too. One timer serves both:
 * it is armed for the earlier, and when it fires early for the idle one
 * because bytes came since, it moves on -- one timer move per idle period,
 * not one per read. */
#ifndef TAILGATE_LOAD_CONN_H
#define TAILGATE_LOAD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/h1resp.h"
#include "core/loop.h"
#include "core/tls.h"

typedef enum {
    CONN_CLOSED,
    CONN_CONNECTING,
    CONN_HANDSHAKING,
    CONN_IDLE,
    CONN_WRITING,
    CONN_READING
} conn_state_t;

typedef struct conn conn_t;

/* How a request ended, as the transport saw it (the engine maps these to the
 * run's error kinds and judges the response itself).
 * Retry rule: a reused connection that ends (FIN or RST) before a byte of the
 * answer came is sent once more on a fresh connection only when it had been
 * idle at least 100 ms: that is the keep-alive race, the server's idle timeout
 * closed it as the request left, so the server never read it (counted:
 * conn_result_t.retried). Closed sooner after its last answer, the server may
 * have read the request and dropped it: CONN_ERR_RESET, never sent again
 * behind the user's back (conn.c: maybe_retry). */
typedef enum {
    CONN_OK = 0,              /* a whole response came */
    CONN_ERR_CONNECT_REFUSED, /* no connection (refused, unreachable, no socket) */
    CONN_ERR_CONNECT_TIMEOUT, /* no connection (TLS included) within the timeout */
    CONN_ERR_TIMEOUT,         /* connected, no whole response within the timeout */
    CONN_ERR_RESET,           /* the server closed or reset before the response was whole */
    CONN_ERR_PROTOCOL,        /* the bytes were not an HTTP/1.1 response we can frame */
    CONN_ERR_TLS,             /* the TLS handshake failed */
} conn_outcome_t;

/* What happened to a request. body is valid only during the callback, until
 * a new request starts on the connection (read it first), and only
 * when the env keeps bodies. */
typedef struct {
    conn_outcome_t err; /* CONN_OK when a whole response came */
    int status;         /* 0 when no response head */
    const char *body;   /* decoded body (keep_body) */
    size_t body_len;
    uint64_t bytes_in;       /* response bytes read (head + body as received) */
    uint64_t first_write_ns; /* 0 when nothing was written */
    uint64_t done_ns;        /* loop time the outcome was known */
    const char *tls_error;   /* CONN_ERR_TLS: why, for a person (valid during the callback) */
    bool tls_verify_failed;  /* CONN_ERR_TLS: the certificate check failed */
    bool no_fd;              /* no socket could be opened (EMFILE, ENFILE, no local port): the
                              * request was never sent; err is set but it is not the server's */
    bool retried; /* it went out a second time, on a fresh connection (conn.c: maybe_retry) */
    bool refused; /* HTTP/2 (h2conn.h): the server never processed it (REFUSED_STREAM, or
                   * above a GOAWAY's last stream id, or it never left): safe to send again */
    /* HTTP/2, refused: by a GOAWAY whose last stream id names a stream the server
     * processed (load/h2retry.h) */
    bool progress;
    /* HTTP/2 (h2conn.h): it never left, and its connection's server allows fewer
     * streams than the connection held: not an outcome, it waits for room again */
    bool requeue;
} conn_result_t;

/* Shared by the connections of one thread; must outlive them. */
typedef struct {
    loop_t *loop;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    uint64_t timeout_ns;      /* per request including connect; 0 = none */
    uint64_t idle_timeout_ns; /* longest time without a byte written or read; 0 = none */
    bool head_request;        /* responses have no body */
    bool keep_body;           /* keep the decoded body for on_done (validation) */
    /* Streaming: sees the decoded body as it arrives (h1resp.h's body hook;
     * its arg is the conn_t). NULL = none. */
    h1resp_body_fn on_body;
    /* The request on c finished (c is IDLE or CLOSED now, ready for conn_send).
     * Never called from inside conn_send. */
    void (*on_done)(conn_t *c, const conn_result_t *res);
    /* A TCP connection was established, connect_ns after connect() was called. */
    void (*on_connect)(conn_t *c, uint64_t connect_ns);
    /* https: the client context (NULL = plain http), the name sent as SNI and
     * verified, the thread's session store (NULL = no resumption). */
    tls_ctx_t *tls;
    const char *tls_host;
    tls_resume_t *tls_resume;
    /* The TLS handshake finished, handshake_ns after the TCP connect did. */
    void (*on_tls)(conn_t *c, uint64_t handshake_ns, bool resumed);
} conn_env_t;

struct conn {
    conn_state_t state;
    loop_io_t io;
    loop_timer_t timer;
    const conn_env_t *env;
    void *user;   /* the owner's */
    conn_t *next; /* the owner's free-list link */
    bool busy;    /* a request is in progress */
    /* request */
    char *wbuf; /* conn_wbuf: room for the owner to build requests */
    size_t wcap;
    const char *wptr;
    size_t wlen, woff;
    uint64_t first_write_ns, connect_start_ns;
    uint64_t deadline_ns;     /* the request's timeout; 0 = none */
    uint64_t last_io_ns;      /* the last byte written or read (the idle timeout's origin) */
    unsigned responses_on_fd; /* completed on this socket: > 0 means reused */
    uint64_t idle_since_ns;   /* when the socket last became idle */
    uint64_t idle_ns;         /* how long it had been idle when this request began */
    bool retried;
    bool in_send;               /* inside conn_send: failures are reported from the loop */
    bool in_pending;            /* LOOP_IN arrived while WRITING */
    bool peer_closed;           /* LOOP_HUP seen on this socket: the server sent its FIN */
    conn_outcome_t pending_err; /* failure found inside conn_send, reported from the timer */
    bool pending_no_fd;         /* ... and it was a local resource shortage */
    tls_conn_t *tls;            /* https: the session on io.fd */
    uint64_t handshake_start_ns;
    char tls_error[160]; /* why the last handshake failed */
    bool tls_verify_failed;
    /* response */
    char *rbuf;
    size_t rcap, rlen;
    size_t rcap_first; /* rbuf's size from conn_init */
    uint64_t bytes_in;
    h1resp_t resp; /* frames rbuf */
};

/* When a request's timer is due (HTTP/1.1 and HTTP/2 alike): its deadline,
 * or the end of the silence --idle-timeout allows since heard_ns, whichever
 * comes first; 0 = neither. */
static inline uint64_t conn_check_at(uint64_t deadline_ns, uint64_t heard_ns, uint64_t idle_ns)
{
    uint64_t at = deadline_ns;
    if (idle_ns && (!at || heard_ns + idle_ns < at))
        at = heard_ns + idle_ns;
    return at;
}

/* wcap: write buffer size (0 when requests come from elsewhere); rcap: initial
 * receive buffer. Returns 0 or ENOMEM. */
int conn_init(conn_t *c, const conn_env_t *env, size_t wcap, size_t rcap);
/* Closes the socket (without callback) and frees the buffers. */
void conn_close(conn_t *c);

/* Sends data[0..len) (it must stay valid until on_done) as one request.
 * The conn must not be busy. Connects first when CLOSED. */
void conn_send(conn_t *c, const char *data, size_t len);
/* Ends the request in progress now with err (on_done is called); no-op when
 * not busy. The socket is closed. */
void conn_abort(conn_t *c, conn_outcome_t err);

#endif
