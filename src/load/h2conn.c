/* h2conn — an HTTP/2 client connection (see h2conn.h). */
#include "load/h2conn.h"
#include "core/container.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

#define RBUF_SIZE (64 * 1024)
/* Frames are gathered from nghttp2 up to this many bytes per write: a read
 * that ended a hundred streams sends the hundred that replace them in one
 * write, not one write per frame. */
#define WBUF_HIGH (64 * 1024)
#define WBUF_INITIAL (WBUF_HIGH + 16 * 1024 + 64)
#define BODY_MAX (1024ull * 1024 * 1024) /* a held body larger than this ends its stream */
#define FRAME_HEAD 9                     /* bytes of a frame header (RFC 9113 §4.1) */
/* Receive windows: large, as h2load's, so flow control never paces a
 * load test -- a server that streams faster than we read is bounded by the
 * socket, and our reads never stall on the application. */
#define STREAM_WINDOW ((1u << 24) - 1)
#define CONN_WINDOW ((1 << 30) - 1)

static void on_io(loop_t *loop, loop_io_t *io, unsigned events);
static void on_conn_timer(loop_t *loop, loop_timer_t *timer);
static void on_stream_timer(loop_t *loop, loop_timer_t *timer);
static void on_live_timer(loop_t *loop, loop_timer_t *timer);
static void settle(h2conn_t *c);

/* ---- streams ---- */

/* The stream behind an id, or NULL for one that has ended on our side (its
 * record may already carry another request: ids are never reused). */
static h2stream_t *stream_of(h2conn_t *c, int32_t id)
{
    h2stream_t *st = nghttp2_session_get_stream_user_data(c->ng, id);
    return st && st->id == id && !st->ended ? st : NULL;
}

/* The stream's outcome is known: off the wire, onto the list reported by
 * report_done. */
static void end_stream(h2stream_t *st, conn_outcome_t err)
{
    h2conn_t *c = st->conn;
    if (!st->active || st->ended)
        return;
    if (c->ng && st->id > 0)
        nghttp2_session_set_stream_user_data(c->ng, st->id, NULL);
    st->ended = true;
    c->open--;
    st->err = err;
    loop_timer_cancel(c->env->loop, &st->timer);
    st->next = NULL;
    if (c->done_tail)
        c->done_tail->next = st;
    else
        c->done_head = st;
    c->done_tail = st;
    if (c->opener == st->user)
        c->opener = NULL;
}

/* Calls on_done for every ended stream, oldest first. The stream is free
 * again before its callback, so on_done may submit at once. */
static void report_done(h2conn_t *c)
{
    h2stream_t *st;
    while ((st = c->done_head) != NULL) {
        c->done_head = st->next;
        if (!c->done_head)
            c->done_tail = NULL;
        bool ok = st->err == CONN_OK;
        bool keep = c->env->keep_body && ok;
        conn_result_t res = {
            .err = st->err,
            .status = st->status,
            .body = keep ? st->body : NULL,
            .body_len = keep ? st->body_len : 0,
            .bytes_in = st->bytes_in,
            .first_write_ns = st->first_write_ns,
            .done_ns = loop_now(c->env->loop),
            .tls_error = st->err == CONN_ERR_TLS ? c->tls_error : NULL,
            .tls_verify_failed = st->err == CONN_ERR_TLS && c->tls_verify_failed,
            .refused = st->refused && !ok,
            .progress = st->refused && !ok && st->progress,
            .requeue = st->requeue && !ok,
        };
        void *user = st->user;
        st->active = false;
        st->next = c->free_streams;
        c->free_streams = st;
        c->active--;
        c->env->on_done(c, user, &res);
    }
}

/* Ends every stream still open with err. Streams whose HEADERS never left
 * were never seen by the server: refused, so they may go out again. */
static void end_all(h2conn_t *c, conn_outcome_t err, bool connected)
{
    for (unsigned i = 0; i < c->env->max_streams; i++) {
        h2stream_t *st = &c->streams[i];
        if (!st->active || st->ended)
            continue;
        if (connected && st->first_write_ns == 0)
            st->refused = true;
        end_stream(st, err);
    }
}

/* ---- the socket ---- */

static void close_fd(h2conn_t *c)
{
    if (c->tls) {
        tls_conn_free(c->tls, c->state == H2CONN_OPEN || c->state == H2CONN_DRAINING);
        c->tls = NULL;
    }
    if (c->io.fd >= 0) {
        loop_del(c->env->loop, &c->io);
        close(c->io.fd);
        c->io.fd = -1;
    }
    nghttp2_session_del(c->ng);
    c->ng = NULL;
    loop_timer_cancel(c->env->loop, &c->live_timer);
    c->live.ping_ns = 0; /* (a closed connection takes streams: it reconnects) */
    c->state = H2CONN_CLOSED;
    c->wlen = c->woff = 0;
    c->want_out = false;
    c->proto_error = false;
    c->broken = CONN_OK;
    c->room_up = false;
    c->peer_streams = c->env->server_streams;
}

/* The connection is over: its open streams end with err, the socket closes.
 * The caller reports (report_done) and tells the owner (on_room). */
static void close_conn(h2conn_t *c, conn_outcome_t err)
{
    bool connected = c->state == H2CONN_OPEN || c->state == H2CONN_DRAINING;
    end_all(c, err, connected);
    close_fd(c);
}

/* A failure found where callbacks may not run (inside h2conn_submit) is
 * reported from the loop. */
static void fail_later(h2conn_t *c, conn_outcome_t err)
{
    c->pending_err = err;
    loop_timer_set(c->env->loop, &c->timer, loop_now(c->env->loop));
}

static int append_out(h2conn_t *c, const uint8_t *p, size_t n)
{
    if (c->wlen + n > c->wcap) {
        size_t cap = c->wcap * 2;
        while (cap < c->wlen + n)
            cap *= 2;
        char *nb = realloc(c->wbuf, cap);
        if (!nb)
            return ENOMEM;
        c->wbuf = nb;
        c->wcap = cap;
    }
    memcpy(c->wbuf + c->wlen, p, n);
    c->wlen += n;
    return 0;
}

/* Writes what waits, then what nghttp2 has, until the socket is full or
 * nothing is left. Returns 0, or -1 when the connection is broken (no
 * callback runs here). */
static int write_out(h2conn_t *c)
{
    if (c->state != H2CONN_OPEN && c->state != H2CONN_DRAINING)
        return 0; /* frames wait in nghttp2 until the connection is up */
    c->want_out = false;
    for (;;) {
        while (c->woff < c->wlen) {
            ssize_t n = c->tls ? tls_send_like(c->tls, c->wbuf + c->woff, c->wlen - c->woff)
                               : send(c->io.fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
            if (n > 0) {
                c->woff += (size_t)n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return 0; /* the edge-triggered LOOP_OUT brings us back */
            return -1;
        }
        c->woff = c->wlen = 0;
        while (c->wlen < WBUF_HIGH) {
            const uint8_t *p;
            ssize_t n = nghttp2_session_mem_send(c->ng, &p);
            if (n < 0 || (n > 0 && append_out(c, p, (size_t)n) != 0))
                return -1;
            if (n == 0)
                break;
        }
        if (c->wlen == 0)
            return 0;
    }
}

/* Reads and feeds nghttp2 until the socket is empty. hup: the event that
 * brought us here carried the peer's FIN. Returns CONN_OK, or how the
 * connection ended (CONN_ERR_RESET: end of stream or error;
 * CONN_ERR_PROTOCOL: bytes that are not HTTP/2). */
static conn_outcome_t read_in(h2conn_t *c, bool hup)
{
    for (;;) {
        ssize_t n =
            c->tls ? tls_recv_like(c->tls, c->rbuf, c->rcap) : read(c->io.fd, c->rbuf, c->rcap);
        if (n > 0) {
            h2live_heard(&c->live, loop_now(c->env->loop));
            ssize_t r = nghttp2_session_mem_recv(c->ng, (const uint8_t *)c->rbuf, (size_t)n);
            if (r < 0)
                return CONN_ERR_PROTOCOL;
            if (c->proto_error)
                return CONN_ERR_PROTOCOL;
            /* Plain TCP: a short read emptied the socket, and anything that
             * arrives later raises a new edge -- no read just to see EAGAIN.
             * TLS may hold decrypted bytes: read on. So must a read whose
             * FIN came with this edge: no later edge would bring it, and the
             * streams still open would wait for their timeout. */
            if (!c->tls && !hup && (size_t)n < c->rcap)
                return CONN_OK;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return CONN_OK;
        return CONN_ERR_RESET;
    }
}

/* ---- nghttp2 callbacks ---- */

static int cb_on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                        size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                        void *arg)
{
    (void)ng;
    (void)flags;
    h2conn_t *c = arg;
    if (frame->hd.type != NGHTTP2_HEADERS || namelen != 7 || memcmp(name, ":status", 7))
        return 0;
    h2stream_t *st = stream_of(c, frame->hd.stream_id);
    if (!st)
        return 0;
    int status = 0;
    for (size_t i = 0; i < valuelen && i < 3; i++)
        status = status * 10 + (value[i] - '0'); /* nghttp2 checked: three digits */
    st->status = status;
    return 0;
}

static bool grow_body(h2stream_t *st, size_t need)
{
    if (need <= st->body_cap)
        return true;
    if (need > BODY_MAX)
        return false;
    size_t cap = st->body_cap ? st->body_cap : 4096;
    while (cap < need)
        cap *= 2;
    char *nb = realloc(st->body, cap);
    if (!nb)
        return false;
    st->body = nb;
    st->body_cap = cap;
    return true;
}

static bool hold(h2stream_t *st, const uint8_t *data, size_t len)
{
    if (len == 0)
        return true; /* (the hook took it all: nothing held, maybe no buffer yet) */
    if (!grow_body(st, st->body_len + len))
        return false;
    memcpy(st->body + st->body_len, data, len);
    st->body_len += len;
    return true;
}

/* The body hook's contract (h1resp.h): bytes it did not consume are offered
 * again, followed by what arrives next; kept bodies keep everything. */
static bool feed_body(h2conn_t *c, h2stream_t *st, const uint8_t *data, size_t len, bool end)
{
    const h2conn_env_t *env = c->env;
    if (env->keep_body) {
        if (len && !hold(st, data, len))
            return false;
        if (env->on_body)
            st->hook_off += env->on_body(st->user, st->status, st->body + st->hook_off,
                                         st->body_len - st->hook_off, end);
        return true;
    }
    if (!env->on_body)
        return true;         /* counted, not kept */
    if (st->body_len == 0) { /* nothing held: straight from nghttp2's buffer */
        size_t used = env->on_body(st->user, st->status, (const char *)data, len, end);
        return end || hold(st, data + used, len - used);
    }
    if (len && !hold(st, data, len))
        return false;
    size_t used = env->on_body(st->user, st->status, st->body, st->body_len, end);
    memmove(st->body, st->body + used, st->body_len - used);
    st->body_len -= used;
    return true;
}

static int cb_on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                      size_t len, void *arg)
{
    (void)ng;
    (void)flags;
    h2conn_t *c = arg;
    h2stream_t *st = stream_of(c, id);
    if (st)
        st->heard_ns = loop_now(c->env->loop);
    if (!st || c->env->head_request)
        return 0;
    if (!feed_body(c, st, data, len, false)) {
        nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        end_stream(st, CONN_ERR_PROTOCOL); /* a body we cannot hold */
    }
    return 0;
}

/* A GOAWAY: streams above its last id were never processed (RFC 9113
 * §6.8) -- they end refused, to be sent again elsewhere; the ones below
 * it finish here, and no new stream starts. A last id other than 0 names
 * a stream the server did process: it is working, only not on these. */
static void on_goaway(h2conn_t *c, int32_t last_id)
{
    c->state = H2CONN_DRAINING;
    for (unsigned i = 0; i < c->env->max_streams; i++) {
        h2stream_t *st = &c->streams[i];
        if (st->active && st->id > last_id) {
            st->refused = true;
            st->progress = last_id > 0;
            end_stream(st, CONN_ERR_RESET);
        }
    }
}

/* The server's limit (a SETTINGS) is below the streams c holds: those
 * that have not left -- nghttp2 holds them until the limit allows -- go back
 * to the caller, newest first, to wait for room in the client (one that
 * frees here, or on another connection). The RST_STREAM cancels a HEADERS
 * still queued: nothing goes out. Those on the wire stay: the server lets
 * them finish or refuses them. A scan per stream handed back: a connection
 * holds at most --streams, and this happens once in its life, if ever. */
static void hand_back(h2conn_t *c)
{
    unsigned limit = c->peer_streams < c->env->max_streams ? c->peer_streams : c->env->max_streams;
    while (c->open > limit) {
        h2stream_t *newest = NULL;
        for (unsigned i = 0; i < c->env->max_streams; i++) {
            h2stream_t *st = &c->streams[i];
            if (st->active && !st->ended && st->id > 0 && st->first_write_ns == 0 &&
                (!newest || st->id > newest->id))
                newest = st;
        }
        if (!newest)
            return;
        nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, newest->id, NGHTTP2_CANCEL);
        newest->requeue = true;
        end_stream(newest, CONN_ERR_RESET);
    }
}

static int cb_on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
    h2conn_t *c = arg;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA: {
        h2live_answered(&c->live);
        h2stream_t *st = stream_of(c, frame->hd.stream_id);
        if (!st)
            return 0;
        st->heard_ns = loop_now(c->env->loop);
        st->bytes_in += frame->hd.length + FRAME_HEAD;
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
            st->complete = true;
            if (!feed_body(c, st, NULL, 0, true))
                end_stream(st, CONN_ERR_PROTOCOL);
        }
        return 0;
    }
    case NGHTTP2_SETTINGS:
        if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
            uint32_t before = c->peer_streams;
            c->peer_streams =
                nghttp2_session_get_remote_settings(ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
            if (c->peer_streams > before)
                c->room_up = true; /* told after the read (settle) */
            hand_back(c);
        }
        return 0;
    case NGHTTP2_PING:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) &&
            !memcmp(frame->ping.opaque_data, c->ping_data, sizeof c->ping_data) &&
            h2live_ack(&c->live))
            c->room_up = true; /* alive: it takes streams again */
        return 0;
    case NGHTTP2_GOAWAY:
        on_goaway(c, frame->goaway.last_stream_id);
        return 0;
    default:
        return 0;
    }
}

static int cb_on_stream_close(nghttp2_session *ng, int32_t id, uint32_t error_code, void *arg)
{
    (void)ng;
    h2conn_t *c = arg;
    h2stream_t *st = stream_of(c, id);
    if (!st)
        return 0;
    if (st->complete) {
        end_stream(st, CONN_OK); /* even after an RST: the response was whole */
        return 0;
    }
    st->refused = error_code == NGHTTP2_REFUSED_STREAM && st->bytes_in == 0;
    end_stream(st, CONN_ERR_RESET);
    return 0;
}

static int cb_on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
    (void)ng;
    h2conn_t *c = arg;
    if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) {
        h2stream_t *st = stream_of(c, frame->hd.stream_id);
        if (st)
            st->heard_ns = loop_now(c->env->loop);
        if (st && st->first_write_ns == 0 && frame->hd.type == NGHTTP2_HEADERS)
            st->first_write_ns = st->heard_ns;
    } else if (frame->hd.type == NGHTTP2_RST_STREAM) {
        /* Ours end their stream before they are submitted; one for a
         * stream still open is nghttp2's: the server's frames on it were
         * not valid HTTP/2 (a malformed response, RFC 9113 §8.1.1: an
         * upper-case or connection-specific field, a bad content-length),
         * a fault of the answer, not a reset by the server. (NO_ERROR
         * ends a request whose whole answer came before its body left.) */
        h2stream_t *st = stream_of(c, frame->hd.stream_id);
        if (st && frame->rst_stream.error_code != NGHTTP2_NO_ERROR)
            end_stream(st, CONN_ERR_PROTOCOL);
    } else if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
        c->proto_error = true; /* nghttp2 found the peer's bytes wrong */
    }
    return 0;
}

static int cb_on_frame_not_send(nghttp2_session *ng, const nghttp2_frame *frame, int lib_error,
                                void *arg)
{
    (void)ng;
    (void)lib_error;
    h2conn_t *c = arg;
    if (frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    h2stream_t *st = stream_of(c, frame->hd.stream_id);
    if (st) {
        st->refused = true; /* it never left (a GOAWAY came first) */
        end_stream(st, CONN_ERR_RESET);
    }
    return 0;
}

static ssize_t cb_read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length,
                            uint32_t *flags, nghttp2_data_source *source, void *arg)
{
    (void)ng;
    (void)id;
    (void)arg;
    h2stream_t *st = source->ptr;
    size_t n = st->body_out_len - st->sent;
    if (n > length)
        n = length;
    memcpy(buf, st->body_out + st->sent, n);
    st->sent += n;
    if (st->sent == st->body_out_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* ---- the connection ---- */

static conn_outcome_t connect_err_kind(int e)
{
    return e == ETIMEDOUT ? CONN_ERR_CONNECT_TIMEOUT : CONN_ERR_CONNECT_REFUSED;
}

static int new_session(h2conn_t *c)
{
    nghttp2_session_callbacks *cb;
    nghttp2_option *opt;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return ENOMEM;
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cb);
        return ENOMEM;
    }
    nghttp2_session_callbacks_set_on_header_callback(cb, cb_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cb_on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, cb_on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, cb_on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, cb_on_frame_send);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cb, cb_on_frame_not_send);
    /* Until its SETTINGS arrive, one stream goes out (with the preface: the
     * first request pays no round trip) and nghttp2 holds the others: this
     * connection's server may allow fewer than the pre-flight's did, and a
     * stream over its limit would be refused. Its first SETTINGS replace
     * the 1 (nghttp2: with no limit when they name none). */
    nghttp2_option_set_peer_max_concurrent_streams(opt, 1);
    int rc = nghttp2_session_client_new2(&c->ng, cb, c, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    if (rc != 0)
        return ENOMEM;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
    };
    if (nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, iv, 2) != 0 ||
        nghttp2_session_set_local_window_size(c->ng, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) != 0) {
        nghttp2_session_del(c->ng);
        c->ng = NULL;
        return ENOMEM;
    }
    c->peer_streams = c->env->server_streams;
    return 0;
}

static void start_connect(h2conn_t *c)
{
    const h2conn_env_t *env = c->env;
    if (new_session(c) != 0) {
        fail_later(c, CONN_ERR_CONNECT_REFUSED);
        return;
    }
    c->state = H2CONN_CONNECTING;
    int fd = socket(env->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail_later(c, CONN_ERR_CONNECT_REFUSED);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->io.fd = fd;
    c->connect_start_ns = loop_now(env->loop);
    int rc = connect(fd, (const struct sockaddr *)&env->addr, env->addrlen);
    if (rc < 0 && errno != EINPROGRESS) {
        fail_later(c, connect_err_kind(errno));
        return;
    }
    if (loop_add(env->loop, &c->io, LOOP_IN | LOOP_OUT) != 0) {
        close(fd);
        c->io.fd = -1;
        fail_later(c, CONN_ERR_CONNECT_REFUSED);
    }
    /* Connected or not, the writable edge of the new registration goes on
     * from the loop: nothing here calls back. */
}

static void opened(h2conn_t *c)
{
    c->state = H2CONN_OPEN;
    h2live_start(&c->live, loop_now(c->env->loop));
    if (c->open > 0)
        loop_timer_set(c->env->loop, &c->live_timer, h2live_due(&c->live));
    c->want_out = true;
    settle(c);
}

static void do_handshake(h2conn_t *c)
{
    tls_status_t s = tls_handshake(c->tls, c->tls_error, sizeof c->tls_error);
    if (s == TLS_WANT_READ || s == TLS_WANT_WRITE)
        return;
    if (s == TLS_ERROR) {
        c->tls_verify_failed = tls_verify_failed(c->tls);
        close_conn(c, CONN_ERR_TLS);
        settle(c);
        return;
    }
    c->env->on_tls(c, clock_now_ns() - c->handshake_start_ns, tls_resumed(c->tls));
    if (!tls_alpn_h2(c->tls)) {
        close_conn(c, CONN_ERR_PROTOCOL); /* the server did not agree to HTTP/2 */
        settle(c);
        return;
    }
    opened(c);
}

static void on_connected(h2conn_t *c)
{
    const h2conn_env_t *env = c->env;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS || err == EALREADY)
        return;
    if (err) {
        close_conn(c, connect_err_kind(err));
        settle(c);
        return;
    }
    env->on_connect(c, c->opener, loop_now(env->loop) - c->connect_start_ns);
    if (!env->tls) {
        opened(c);
        return;
    }
    if (tls_conn_client(env->tls, c->io.fd, env->tls_host, env->tls_resume, &c->tls) != 0) {
        snprintf(c->tls_error, sizeof c->tls_error, "out of memory for a TLS session");
        c->tls_verify_failed = false;
        close_conn(c, CONN_ERR_TLS);
        settle(c);
        return;
    }
    c->handshake_start_ns = clock_now_ns();
    c->state = H2CONN_HANDSHAKING;
    do_handshake(c);
}

static bool up(const h2conn_t *c)
{
    return c->state == H2CONN_OPEN || c->state == H2CONN_DRAINING;
}

/* The connection has nothing more to do: nghttp2 is done with it (a GOAWAY
 * sent or received and nothing left), or every stream a GOAWAY spared
 * has ended. */
static bool over(h2conn_t *c)
{
    return (!nghttp2_session_want_read(c->ng) && !nghttp2_session_want_write(c->ng)) ||
           (c->state == H2CONN_DRAINING && c->open == 0);
}

/* After every event: write, close when the connection is over or broken,
 * report what ended -- and again while the reports submitted more. */
static void settle(h2conn_t *c)
{
    bool was_in_io = c->in_io;
    c->in_io = true;
    for (;;) {
        bool closed = false;
        if (up(c) && (c->broken != CONN_OK || write_out(c) != 0 || over(c))) {
            conn_outcome_t e = c->broken != CONN_OK ? c->broken
                               : c->proto_error     ? CONN_ERR_PROTOCOL
                                                    : CONN_ERR_RESET;
            close_conn(c, e);
            closed = true;
        }
        bool room = closed || c->room_up;
        c->room_up = false;
        if (!c->done_head && !room)
            break;
        report_done(c);
        if (room && c->env->on_room)
            c->env->on_room(c);
    }
    c->in_io = was_in_io;
}

static void on_io(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)loop;
    h2conn_t *c = container_of(io, h2conn_t, io);
    switch (c->state) {
    case H2CONN_CONNECTING:
        if (events & (LOOP_OUT | LOOP_ERR))
            on_connected(c);
        break;
    case H2CONN_HANDSHAKING:
        do_handshake(c);
        break;
    case H2CONN_OPEN:
    case H2CONN_DRAINING:
        c->in_io = true;
        if ((events & (LOOP_IN | LOOP_ERR | LOOP_HUP)) || c->tls)
            c->broken = read_in(c, events & LOOP_HUP);
        settle(c);
        c->in_io = false;
        break;
    case H2CONN_CLOSED:
        break; /* a stale event for a socket closed in this iteration */
    default:
        assert(!"bad h2conn state");
    }
}

static void on_conn_timer(loop_t *loop, loop_timer_t *timer)
{
    (void)loop;
    h2conn_t *c = container_of(timer, h2conn_t, timer);
    if (c->pending_err != CONN_OK) {
        conn_outcome_t e = c->pending_err;
        c->pending_err = CONN_OK;
        close_conn(c, e);
        c->room_up = true; /* closed: settle tells the owner */
    }
    settle(c);
}

static void on_stream_timer(loop_t *loop, loop_timer_t *timer)
{
    h2stream_t *st = container_of(timer, h2stream_t, timer);
    h2conn_t *c = st->conn;
    /* Frames came since the timer was armed for the end of a silence: not
     * silent that long yet (the timer moves here, not at every frame). */
    uint64_t at = conn_check_at(st->deadline_ns, st->heard_ns, c->env->idle_timeout_ns);
    if (at > loop_now(loop)) {
        loop_timer_set(loop, timer, at);
        return;
    }
    bool connecting = c->state == H2CONN_CONNECTING || c->state == H2CONN_HANDSHAKING;
    /* While connecting too: the stream's HEADERS, still queued, is then
     * dropped rather than sent once the connection is up -- a request no one
     * waits for, whose fields point into its slot's buffer (h2req_fields),
     * by then another request's. */
    if (st->id > 0 && c->ng)
        nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
    end_stream(st, connecting ? CONN_ERR_CONNECT_TIMEOUT : CONN_ERR_TIMEOUT);
    /* Not a byte for a whole --timeout: the connection may be gone without a
     * FIN (a dropped route, a NAT that forgot it). It takes no new stream --
     * those go to a connection that answers -- and closes once the streams
     * it holds have ended, each at its own deadline. */
    if (c->state == H2CONN_OPEN && c->env->timeout_ns &&
        loop_now(c->env->loop) - c->live.heard_ns >= c->env->timeout_ns)
        c->state = H2CONN_DRAINING;
    if (connecting && c->open == 0) {
        close_fd(c); /* no stream wants this connection any more */
        c->room_up = true;
    }
    settle(c);
}

/* Nothing read for the ACK's wait after a PING: the connection is taken
 * for dead (load/h2live.h) and takes no new stream. A stream that never
 * left is refused: safe to send again elsewhere (load/h2retry.h). One whose
 * HEADERS left may be processed still -- a server paused whole answers
 * later -- so it keeps the --timeout the user gave it: ended early, a pause
 * would read as failures. The socket closes once no stream is left on it.
 * Returns true when it closed. */
static bool presumed_dead(h2conn_t *c)
{
    for (unsigned i = 0; i < c->env->max_streams; i++) {
        h2stream_t *st = &c->streams[i];
        if (st->active && !st->ended && st->first_write_ns == 0) {
            st->refused = true;
            end_stream(st, CONN_ERR_RESET);
        }
    }
    if (c->open > 0)
        return false;
    close_fd(c);
    c->room_up = true; /* closed: settle tells the owner */
    settle(c);
    return true;
}

/* Liveness: silence with streams open sends a PING; no byte after it
 * within the wait is death. Armed while streams are open; a connection
 * without any lets it lapse (h2conn_submit arms it again). */
static void on_live_timer(loop_t *loop, loop_timer_t *timer)
{
    h2conn_t *c = container_of(timer, h2conn_t, live_timer);
    if (!up(c))
        return;
    bool pinging = h2live_pinging(&c->live);
    uint64_t next = 0;
    h2live_action_t a = h2live_check(&c->live, loop_now(loop), c->open > 0, &next);
    if (a == H2LIVE_DEAD) {
        /* The ACK may wait unread -- this loop ran late itself, its timers
         * before the reads -- so read before the verdict. */
        on_io(loop, &c->io, LOOP_IN);
        if (!up(c))
            return; /* the read found the end of the connection */
        a = h2live_check(&c->live, loop_now(loop), c->open > 0, &next);
    }
    switch (a) {
    case H2LIVE_DEAD:
        if (presumed_dead(c))
            return;
        next = loop_now(loop) + c->live.quiet_ns; /* a byte yet revives it */
        break;
    case H2LIVE_PING:
        for (unsigned i = 0; i < sizeof c->ping_data; i++)
            c->ping_data[i] = (uint8_t)(c->live.ping_ns >> (8 * i));
        if (nghttp2_submit_ping(c->ng, NGHTTP2_FLAG_NONE, c->ping_data) != 0) {
            c->live.ping_ns = 0; /* no memory for it: no verdict on silence alone */
            next = loop_now(loop) + c->live.gap_ns;
        }
        c->want_out = true;
        break;
    case H2LIVE_WAIT:
    case H2LIVE_IDLE:
        break;
    default:
        assert(!"bad h2live action");
    }
    if (a != H2LIVE_IDLE)
        loop_timer_set(loop, timer, next);
    if (pinging && !h2live_pinging(&c->live))
        c->room_up = true; /* bytes came: alive, it takes streams again */
    settle(c);
}

/* ---- interface ---- */

int h2conn_init(h2conn_t *c, const h2conn_env_t *env)
{
    memset(c, 0, sizeof *c);
    c->env = env;
    c->state = H2CONN_CLOSED;
    c->io.fd = -1;
    c->io.fn = on_io;
    c->peer_streams = env->server_streams;
    loop_timer_init(&c->timer, on_conn_timer);
    loop_timer_init(&c->live_timer, on_live_timer);
    h2live_init(&c->live, env->timeout_ns);
    c->streams = calloc(env->max_streams, sizeof *c->streams);
    c->wbuf = malloc(WBUF_INITIAL);
    c->rbuf = malloc(RBUF_SIZE);
    if (!c->streams || !c->wbuf || !c->rbuf)
        return ENOMEM;
    c->wcap = WBUF_INITIAL;
    c->rcap = RBUF_SIZE;
    for (unsigned i = env->max_streams; i-- > 0;) {
        h2stream_t *st = &c->streams[i];
        st->conn = c;
        loop_timer_init(&st->timer, on_stream_timer);
        st->next = c->free_streams;
        c->free_streams = st;
    }
    return 0;
}

void h2conn_close(h2conn_t *c)
{
    if (!c->env)
        return;
    loop_timer_cancel(c->env->loop, &c->timer);
    loop_timer_cancel(c->env->loop, &c->live_timer);
    for (unsigned i = 0; c->streams && i < c->env->max_streams; i++) {
        loop_timer_cancel(c->env->loop, &c->streams[i].timer);
        free(c->streams[i].body);
    }
    close_fd(c);
    free(c->streams);
    free(c->wbuf);
    free(c->rbuf);
    memset(c, 0, sizeof *c);
    c->io.fd = -1;
}

unsigned h2conn_room(const h2conn_t *c)
{
    if (c->state == H2CONN_DRAINING || c->pending_err != CONN_OK || h2live_pinging(&c->live))
        return 0;
    unsigned limit = c->env->max_streams;
    if (c->peer_streams < limit) /* (closed: the pre-flight's figure) */
        limit = c->peer_streams;
    return c->active < limit ? limit - c->active : 0;
}

bool h2conn_submit(h2conn_t *c, void *user, char *head, size_t head_len, const char *body,
                   size_t len, uint64_t deadline_ns)
{
    const h2conn_env_t *env = c->env;
    if (h2conn_room(c) == 0 || !c->free_streams)
        return false;
    h2stream_t *st = c->free_streams;
    c->free_streams = st->next;
    uint64_t now = loop_now(env->loop);
    if (c->open == 0)
        h2live_busy(&c->live, now); /* silence counts from now, not from its last answer */
    c->active++;
    c->open++;
    st->user = user;
    st->id = 0;
    st->active = true;
    st->ended = st->complete = st->refused = st->progress = st->requeue = false;
    st->status = 0;
    st->err = CONN_OK;
    st->first_write_ns = st->bytes_in = 0;
    st->body_len = st->hook_off = 0;
    st->body_out = body;
    st->body_out_len = len;
    st->sent = 0;
    size_t n = h2req_fields(env->fields, head, head_len, len, st->cl, c->nv);
    if (n == 0) {
        /* Not a head reqfmt builds (a bug): it never leaves, reported from
         * the loop. */
        end_stream(st, CONN_ERR_PROTOCOL);
        loop_timer_set(env->loop, &c->timer, loop_now(env->loop));
        return true;
    }
    if (deadline_ns && deadline_ns <= now) {
        /* Its time was up before it could go (a resend that waited for
         * room): it never leaves, and ends as a timeout from the loop. */
        end_stream(st, CONN_ERR_TIMEOUT);
        loop_timer_set(env->loop, &c->timer, now);
        return true;
    }
    st->deadline_ns = deadline_ns ? deadline_ns : env->timeout_ns ? now + env->timeout_ns : 0;
    st->heard_ns = now;
    uint64_t at = conn_check_at(st->deadline_ns, st->heard_ns, c->env->idle_timeout_ns);
    if (at)
        loop_timer_set(env->loop, &st->timer, at);
    if (c->state == H2CONN_CLOSED) {
        c->opener = user;
        start_connect(c);
        if (!c->ng)
            return true; /* no session: it ends from the timer (pending_err) */
    }
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = cb_read_body};
    int32_t id =
        nghttp2_submit_request(c->ng, NULL, c->nv, n, env->fields->body && len ? &dp : NULL, NULL);
    if (id < 0) {
        /* Out of stream ids (2^31 per connection) or memory: it never
         * left, so it ends refused, reported from the loop. */
        st->refused = true;
        end_stream(st, CONN_ERR_RESET);
        if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE && up(c))
            c->state = H2CONN_DRAINING;
        loop_timer_set(env->loop, &c->timer, loop_now(env->loop));
        return true;
    }
    st->id = id;
    nghttp2_session_set_stream_user_data(c->ng, id, st);
    if (up(c) && !loop_timer_pending(&c->live_timer))
        loop_timer_set(env->loop, &c->live_timer, h2live_due(&c->live));
    c->want_out = true;
    if (!c->in_io && up(c) && write_out(c) != 0)
        fail_later(c, CONN_ERR_RESET);
    return true;
}

void h2conn_abort(h2conn_t *c, conn_outcome_t err)
{
    if (c->active == 0)
        return;
    loop_timer_cancel(c->env->loop, &c->timer);
    c->pending_err = CONN_OK;
    end_all(c, err, false);
    close_fd(c);
    report_done(c);
}
