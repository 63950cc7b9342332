/* h2conn — one HTTP/2 client connection carrying many requests at once, one
 * per stream. Framing, HPACK and flow control are libnghttp2's, driven from
 * our loop through its callback API (mem_recv / mem_send): no nghttp2 loop,
 * no thread. The connection is an explicit state machine:
 *
 *   CLOSED --submit--> CONNECTING --connected--> OPEN <-----------------.
 *     ^                    |  (https)              ^    (streams come    |
 *     |                    '--> HANDSHAKING -------'     and go)         |
 *     |                                             OPEN --GOAWAY--> DRAINING
 *     '-- error, EOF, every stream ended after GOAWAY, h2conn_abort -----'
 *
 * On https the handshake must agree on "h2" by ALPN; on http the connection
 * starts with the client preface (prior knowledge, RFC 9113 §3.3).
 *
 * Each stream is timed like an HTTP/1.1 request on load/conn: its first byte
 * written is when its HEADERS frame went out, it is complete when the frame
 * carrying END_STREAM came, and its body goes through the same body hook
 * (h1resp.h's contract: offered unconsumed bytes again with what follows,
 * end once) -- so SSE and token timing work per stream. Every stream ends in
 * exactly one on_done. How a stream ends (conn_outcome_t):
 *   CONN_OK                 the whole response came (END_STREAM)
 *   CONN_ERR_RESET          the server reset the stream (RST_STREAM), or the
 *                           connection ended before the response was whole;
 *                           res.refused when the server said it never
 *                           processed it (REFUSED_STREAM, or its id above a
 *                           GOAWAY's last stream id): safe to send again;
 *                           res.progress when that GOAWAY's last stream id
 *                           is not 0 (the server processed others)
 *   CONN_ERR_TIMEOUT        no whole response within env->timeout_ns of its
 *                           submission (a flow-control stall included), or
 *                           no frame of it for env->idle_timeout_ns: the
 *                           stream is cancelled (RST_STREAM CANCEL), the
 *                           connection and its other streams go on; or its
 *                           HEADERS left on a connection found dead (below):
 *                           the server may have processed it, and it was not
 *                           answered in the time the client gave it
 *   CONN_ERR_CONNECT_*      no connection (TLS handshake included) in time
 *   CONN_ERR_TLS            the handshake failed
 *   CONN_ERR_PROTOCOL       bytes that are not HTTP/2 (a connection error:
 *                           every open stream ends so), ALPN without h2, or
 *                           a malformed response on one stream (nghttp2
 *                           resets that stream; the others go on)
 *
 *   res.requeue             it never left, and the connection can no longer
 *                           take it (below): not an outcome, the caller sends
 *                           it again as a request that waited for room
 *
 * Liveness (load/h2live.h). A connection with streams open that has read
 * nothing for a while sends a PING and takes no new stream until its ACK;
 * no byte within the ACK's wait and it is presumed dead: it takes no new
 * stream, those that never left end refused, those whose HEADERS left keep
 * their own deadline; it closes once none is left, and a byte revives it.
 *
 * Stream limits. Each connection keeps to its own server's
 * SETTINGS_MAX_CONCURRENT_STREAMS, the latest one received. Until the first
 * arrives, h2conn_room offers the pre-flight's limit (so a burst does not
 * open a connection per request) but one stream only goes out; the others
 * wait in nghttp2's queue. A limit below what the connection holds sends
 * the streams that have not left back to the caller (res.requeue), newest
 * first: no stream goes out over the limit the connection last heard, and
 * the requests it has no room for wait in the client like those that find
 * the pool full, free to go out on another connection.
 *
 * Callbacks never run inside h2conn_submit. Streams that end while the
 * connection reads are reported after the read, so on_done may submit again
 * (on this or another connection); what it submits goes out in the same
 * write as the rest. A submission from outside a callback is written at once.
 * nghttp2 allocates its own stream and frame records per stream; our side
 * allocates nothing per request (streams, buffers and fields are kept). */
#ifndef TAILGATE_LOAD_H2CONN_H
#define TAILGATE_LOAD_H2CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <nghttp2/nghttp2.h>

#include "core/h1resp.h"
#include "core/loop.h"
#include "core/tls.h"
#include "load/conn.h"
#include "load/h2live.h"
#include "load/h2req.h"

typedef enum {
    H2CONN_CLOSED,
    H2CONN_CONNECTING,
    H2CONN_HANDSHAKING,
    H2CONN_OPEN,
    H2CONN_DRAINING, /* GOAWAY received: the streams it kept finish, no new ones */
} h2conn_state_t;

typedef struct h2conn h2conn_t;
typedef struct h2stream h2stream_t;

/* Shared by the connections of one thread; must outlive them. */
typedef struct {
    loop_t *loop;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    uint64_t timeout_ns; /* per stream, from its submission, connect included; 0 = none */
    bool head_request;   /* responses have no body */
    bool keep_body;      /* keep each decoded body for on_done (validation) */
    /* Per stream: the longest silence on it -- no frame of its written or
     * read, counted from its submission -- before it ends CONN_ERR_TIMEOUT
     * (a stalled stream on a connection whose other streams go on); 0 = none. */
    uint64_t idle_timeout_ns;
    /* Sees each stream's body as it arrives (h1resp.h's body hook, with the
     * stream's :status beside it: there is no HTTP/1 response to read it
     * from); its arg is the stream's user. NULL = none. */
    size_t (*on_body)(void *user, int status, const char *data, size_t len, bool end);
    /* The request of `user` on c ended. */
    void (*on_done)(h2conn_t *c, void *user, const conn_result_t *res);
    /* A TCP connection was established, connect_ns after connect() was
     * called; opener: the user of the stream that opened it (NULL when it
     * has ended meanwhile). */
    void (*on_connect)(h2conn_t *c, void *opener, uint64_t connect_ns);
    /* https: the TLS handshake finished, handshake_ns after the connect. */
    void (*on_tls)(h2conn_t *c, uint64_t handshake_ns, bool resumed);
    /* c can take more streams than before other than by one of its streams
     * ending: it closed (the next submission reconnects it), the server
     * raised its stream limit, or answered a PING (liveness). */
    void (*on_room)(h2conn_t *c);
    /* https: the client context (ALPN h2 offered), SNI/verified name, the
     * thread's session store (NULL = no resumption). NULL tls = h2c. */
    tls_ctx_t *tls;
    const char *tls_host;
    tls_resume_t *tls_resume;
    const h2req_t *fields; /* how requests become fields (borrowed) */
    unsigned max_streams;  /* streams at once per connection (--streams), >= 1 */
    /* The server's SETTINGS_MAX_CONCURRENT_STREAMS as the pre-flight saw it:
     * the limit assumed until a connection's own SETTINGS arrive. */
    uint32_t server_streams;
} h2conn_env_t;

struct h2stream {
    h2conn_t *conn;
    void *user;
    int32_t id;           /* nghttp2's; 0 until it has one */
    loop_timer_t timer;   /* the earlier of deadline_ns and heard_ns + env->idle_timeout_ns */
    uint64_t deadline_ns; /* env->timeout_ns's end (or the caller's); 0 = none */
    uint64_t heard_ns;    /* a frame of its last written or read (idle_timeout_ns's origin) */
    uint64_t first_write_ns;
    uint64_t bytes_in;
    int status;
    bool active;   /* submitted, not yet reported */
    bool ended;    /* its outcome is known (on the done list, or reported) */
    bool complete; /* END_STREAM received */
    bool refused;  /* the server did not process it */
    bool requeue;  /* it never left, and its connection's limit fell below it */
    bool progress; /* refused by a GOAWAY that names a stream the server did process */
    conn_outcome_t err;
    const char *body_out; /* request body: body_out[sent .. body_out_len) still to go */
    size_t body_out_len, sent;
    char cl[24]; /* its content-length value */
    char *body;  /* response body: kept (keep_body) or held for the hook */
    size_t body_len, body_cap, hook_off;
    h2stream_t *next; /* free list or done list */
};

struct h2conn {
    h2conn_state_t state;
    loop_io_t io;
    loop_timer_t timer; /* failures found inside h2conn_submit are reported from here */
    const h2conn_env_t *env;
    void *user;          /* the owner's */
    h2conn_t *next;      /* the owner's list link */
    bool listed;         /* the owner's: on its list */
    uint64_t serial;     /* the owner's: which of its connections this socket is */
    nghttp2_session *ng; /* while not CLOSED */
    tls_conn_t *tls;
    uint64_t connect_start_ns, handshake_start_ns;
    char tls_error[160];
    bool tls_verify_failed;
    h2stream_t *streams; /* env->max_streams of them */
    h2stream_t *free_streams;
    h2stream_t *done_head, *done_tail; /* ended, not yet reported */
    unsigned active;                   /* streams submitted and not yet reported */
    unsigned open;                     /* ... and not yet ended */
    conn_outcome_t broken;             /* the socket failed so (a read's end): close */
    bool room_up;                      /* the server raised its limit: tell on_room */
    uint32_t peer_streams;             /* the server's current limit */
    conn_outcome_t pending_err;        /* found inside h2conn_submit (h2conn_t.timer) */
    void *opener;                      /* the stream user that opened the socket */
    bool in_io;                        /* inside our own event handler: write at its end */
    bool want_out;                     /* frames may wait in nghttp2 */
    bool proto_error;                  /* bytes that are not HTTP/2 came */
    h2live_t live;                     /* heard from when; PING unanswered (no new streams) */
    loop_timer_t live_timer;           /* when liveness is checked next (streams open) */
    uint8_t ping_data[8];              /* our PING's, to know its ACK */
    char *wbuf;                        /* frames waiting for the socket: wbuf[woff .. wlen) */
    size_t wlen, woff, wcap;
    char *rbuf;
    size_t rcap;
    nghttp2_nv nv[H2REQ_MAX_FIELDS];
};

/* Prepares c (buffers and env->max_streams streams; no socket yet).
 * Returns 0 or ENOMEM; h2conn_close cleans up either way. */
int h2conn_init(h2conn_t *c, const h2conn_env_t *env);
/* Closes the socket without callbacks and frees everything. */
void h2conn_close(h2conn_t *c);

/* How many more streams c takes now: 0 while DRAINING or while a PING is
 * unanswered (liveness), else the smaller of env->max_streams and the
 * server's limit (before its SETTINGS arrive, the pre-flight's), less the
 * streams in progress (CLOSED counts as empty: a submission reconnects it). */
unsigned h2conn_room(const h2conn_t *c);

/* Sends one request on a new stream: its fields (env->fields; when they vary
 * per request, translated from head[0..head_len), the request's own HTTP/1.1
 * head as reqfmt built it -- h2req_fields, which lower-cases its names in
 * place -- else head is not read) and body[0..len) (len 0 for none). head and
 * body must stay valid until on_done. user is given back to on_done.
 * deadline_ns: the loop time at which the stream times out (a request sent
 * again keeps the deadline of its first send); 0 = env->timeout_ns from now.
 * One already past never leaves: it ends CONN_ERR_TIMEOUT.
 * Connects first when CLOSED. Returns false when c has no room: nothing was
 * sent. */
bool h2conn_submit(h2conn_t *c, void *user, char *head, size_t head_len, const char *body,
                   size_t len, uint64_t deadline_ns);

/* Ends every stream in progress with err now (on_done runs for each) and
 * closes the socket. */
void h2conn_abort(h2conn_t *c, conn_outcome_t err);

#endif
