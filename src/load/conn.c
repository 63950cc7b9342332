/* conn — client connection state machine. */
#include "load/conn.h"
#include "core/container.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

#define RESP_HEAD_MAX (64 * 1024)
#define RESP_BODY_MAX (1024ull * 1024 * 1024) /* a kept body larger than this is an error */
/* A declared Content-Length reserves at most this much before the bytes come
 * (a lying header must not cost every connection a gigabyte); a buffer grown
 * past it goes back to its first size after the response. */
#define RESP_RESERVE_MAX (1024 * 1024)
/* A reused connection closed before answering is retried only when it had
 * been idle at least this long (see maybe_retry). */
#define RETRY_IDLE_NS (100 * CLOCK_NS_PER_MS)

static void conn_on_io(loop_t *loop, loop_io_t *io, unsigned events);
static void conn_on_timer(loop_t *loop, loop_timer_t *timer);

int conn_init(conn_t *c, const conn_env_t *env, size_t wcap, size_t rcap)
{
    memset(c, 0, sizeof(*c));
    c->env = env;
    c->state = CONN_CLOSED;
    c->io.fd = -1;
    c->io.fn = conn_on_io;
    loop_timer_init(&c->timer, conn_on_timer);
    if (wcap) {
        c->wbuf = malloc(wcap);
        if (!c->wbuf)
            return ENOMEM;
        c->wcap = wcap;
    }
    c->rbuf = malloc(rcap);
    if (!c->rbuf) {
        free(c->wbuf);
        c->wbuf = NULL;
        return ENOMEM;
    }
    c->rcap = c->rcap_first = rcap;
    h1resp_init(&c->resp, env->head_request, env->keep_body, RESP_HEAD_MAX, RESP_BODY_MAX,
                env->on_body, c);
    return 0;
}

static void close_fd(conn_t *c)
{
    if (c->tls) {
        tls_conn_free(c->tls, false);
        c->tls = NULL;
    }
    if (c->io.fd >= 0) {
        loop_del(c->env->loop, &c->io);
        close(c->io.fd);
        c->io.fd = -1;
    }
    c->state = CONN_CLOSED;
    c->responses_on_fd = 0;
    c->peer_closed = false;
}

void conn_close(conn_t *c)
{
    if (c->env)
        loop_timer_cancel(c->env->loop, &c->timer);
    if (c->tls && c->state == CONN_IDLE) { /* a clean end: say goodbye */
        tls_conn_free(c->tls, true);
        c->tls = NULL;
    }
    close_fd(c);
    free(c->wbuf);
    free(c->rbuf);
    c->wbuf = c->rbuf = NULL;
}

static void reset_response(conn_t *c)
{
    if (c->rcap > RESP_RESERVE_MAX) {
        char *nb = realloc(c->rbuf, c->rcap_first);
        if (nb) {
            c->rbuf = nb;
            c->rcap = c->rcap_first;
        }
    }
    c->rlen = 0;
    c->bytes_in = 0;
    h1resp_reset(&c->resp);
}

/* The request is over: report it. The conn is IDLE or CLOSED afterwards. */
static void finish(conn_t *c, conn_outcome_t err)
{
    bool body = c->env->keep_body && err == CONN_OK;
    conn_result_t res = {
        .err = err,
        .status = c->resp.have_head ? c->resp.status : 0,
        .body = body ? c->rbuf + c->resp.head_len : NULL,
        .body_len = body ? (size_t)c->resp.body_len : 0,
        .bytes_in = c->bytes_in,
        .first_write_ns = c->first_write_ns,
        .done_ns = loop_now(c->env->loop),
        .tls_error = err == CONN_ERR_TLS ? c->tls_error : NULL,
        .tls_verify_failed = err == CONN_ERR_TLS && c->tls_verify_failed,
        .no_fd = c->pending_no_fd,
        .retried = c->retried,
    };
    c->pending_no_fd = false;
    loop_timer_cancel(c->env->loop, &c->timer);
    /* A server that has sent its FIN gets no further request, whatever its
     * head said (peer_closed comes with the event: no syscall to learn it). */
    if (err == CONN_OK && c->resp.keep_alive && !c->peer_closed) {
        c->state = CONN_IDLE;
        c->responses_on_fd++;
        c->idle_since_ns = res.done_ns;
    } else {
        close_fd(c);
    }
    c->busy = false;
    c->env->on_done(c, &res);
}

/* A failure found synchronously inside conn_send is reported from the loop,
 * so the owner is never re-entered (and a dead server cannot recurse). */
static void fail_later(conn_t *c, conn_outcome_t err)
{
    close_fd(c);
    c->pending_err = err;
    loop_timer_set(c->env->loop, &c->timer, loop_now(c->env->loop));
}

static conn_outcome_t connect_err_kind(int e)
{
    return e == ETIMEDOUT ? CONN_ERR_CONNECT_TIMEOUT : CONN_ERR_CONNECT_REFUSED;
}

static void do_write(conn_t *c);
static void do_read(conn_t *c);
static void do_handshake(conn_t *c);

/* TCP is up: https starts its handshake (the socket is writable, so the
 * ClientHello goes out now), http starts writing. */
static void connected(conn_t *c, uint64_t connect_ns)
{
    const conn_env_t *env = c->env;
    env->on_connect(c, connect_ns);
    if (env->tls) {
        if (tls_conn_client(env->tls, c->io.fd, env->tls_host, env->tls_resume, &c->tls) != 0) {
            snprintf(c->tls_error, sizeof c->tls_error, "out of memory for a TLS session");
            c->tls_verify_failed = false;
            close_fd(c);
            finish(c, CONN_ERR_TLS);
            return;
        }
        /* The real clock, not the loop's cached one: handshakes of many
         * connections share a loop iteration, and each costs CPU. */
        c->handshake_start_ns = clock_now_ns();
        c->state = CONN_HANDSHAKING;
        do_handshake(c);
        return;
    }
    c->state = CONN_WRITING;
    do_write(c);
}

static void do_handshake(conn_t *c)
{
    tls_status_t s = tls_handshake(c->tls, c->tls_error, sizeof c->tls_error);
    if (s == TLS_WANT_READ || s == TLS_WANT_WRITE)
        return; /* edge-triggered in and out: either brings us back */
    if (s == TLS_ERROR) {
        c->tls_verify_failed = tls_verify_failed(c->tls);
        close_fd(c);
        finish(c, CONN_ERR_TLS); /* once per connection attempt: never retried */
        return;
    }
    c->env->on_tls(c, clock_now_ns() - c->handshake_start_ns, tls_resumed(c->tls));
    c->state = CONN_WRITING;
    do_write(c);
}

static void start_connect(conn_t *c)
{
    const conn_env_t *env = c->env;
    int fd = socket(env->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        c->pending_no_fd = errno == EMFILE || errno == ENFILE || errno == ENOBUFS;
        fail_later(c, CONN_ERR_CONNECT_REFUSED);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->io.fd = fd;
    c->in_pending = false;
    c->peer_closed = false;
    c->connect_start_ns = loop_now(env->loop);
    c->responses_on_fd = 0;
    int rc = connect(fd, (const struct sockaddr *)&env->addr, env->addrlen);
    int e = errno;
    if (rc < 0 && e != EINPROGRESS) {
        c->pending_no_fd = e == EADDRNOTAVAIL; /* no local port left */
        fail_later(c, connect_err_kind(e));
        return;
    }
    if (loop_add(env->loop, &c->io, LOOP_IN | LOOP_OUT) != 0) {
        close(fd);
        c->io.fd = -1;
        fail_later(c, CONN_ERR_CONNECT_REFUSED);
        return;
    }
    if (rc == 0 && !env->tls) {
        env->on_connect(c, 0);
        c->state = CONN_WRITING;
        do_write(c);
    } else {
        /* (An https handshake never starts inside conn_send: the writable
         * edge of the new registration begins it from the loop.) */
        c->state = CONN_CONNECTING;
    }
}

/* The server closed (or reset) a reused connection before answering a byte.
 * When the connection had sat idle for a while, that is the keep-alive race:
 * the server's idle timeout closed it as our request left, so the request never
 * reached it, and it goes out once more on a fresh connection (counted in the
 * result as connections.retried). A connection closed right after it was used
 * is a server dropping a request it received: that is a `reset`, not hidden. */
static bool maybe_retry(conn_t *c)
{
    if (c->retried || c->responses_on_fd == 0 || c->bytes_in > 0 || c->idle_ns < RETRY_IDLE_NS)
        return false;
    c->retried = true;
    close_fd(c);
    c->woff = 0;
    c->first_write_ns = 0;
    start_connect(c);
    return true;
}

static void begin(conn_t *c)
{
    uint64_t now = loop_now(c->env->loop);
    c->idle_ns = c->state == CONN_IDLE ? now - c->idle_since_ns : 0;
    reset_response(c);
    c->in_pending = false;
    c->woff = 0;
    c->first_write_ns = 0;
    c->pending_err = CONN_OK;
    c->deadline_ns = c->env->timeout_ns ? now + c->env->timeout_ns : 0;
    c->last_io_ns = now;
    uint64_t at = conn_check_at(c->deadline_ns, c->last_io_ns, c->env->idle_timeout_ns);
    if (at)
        loop_timer_set(c->env->loop, &c->timer, at);
    if (c->state == CONN_CLOSED) {
        start_connect(c);
    } else {
        c->state = CONN_WRITING;
        do_write(c);
    }
}

void conn_send(conn_t *c, const char *data, size_t len)
{
    assert(!c->busy);
    c->busy = true;
    c->retried = false;
    c->wptr = data;
    c->wlen = len;
    c->in_send = true;
    begin(c);
    c->in_send = false;
}

void conn_abort(conn_t *c, conn_outcome_t err)
{
    if (!c->busy)
        return;
    close_fd(c);
    finish(c, err);
}

static void do_write(conn_t *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = c->tls ? tls_send_like(c->tls, c->wptr + c->woff, c->wlen - c->woff)
                           : send(c->io.fd, c->wptr + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n > 0) {
            c->last_io_ns = loop_now(c->env->loop);
            if (c->first_write_ns == 0)
                c->first_write_ns = c->last_io_ns;
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return; /* the edge-triggered LOOP_OUT brings us back */
        if (maybe_retry(c))
            return;
        if (c->in_send) {
            fail_later(c, CONN_ERR_RESET); /* on_done never runs inside conn_send */
            return;
        }
        /* The server stopped reading and closed: it may have answered first
         * (a 413 or 401 sent before the body was read, as servers do). That
         * answer, still readable after the reset, is the outcome, not the
         * failed write; nothing came: a reset. The socket is done either way. */
        c->peer_closed = true;
        c->state = CONN_READING;
        do_read(c);
        return;
    }
    /* The response cannot be there yet: wait for LOOP_IN instead of a read()
     * that would only say EAGAIN -- unless input already came during the write. */
    c->state = CONN_READING;
    if (c->in_pending) {
        c->in_pending = false;
        do_read(c);
    }
}

static bool grow_rbuf(conn_t *c, size_t need)
{
    size_t ncap = c->rcap;
    while (ncap < need)
        ncap *= 2;
    if (ncap == c->rcap)
        return true;
    char *nb = realloc(c->rbuf, ncap);
    if (!nb)
        return false;
    c->rbuf = nb;
    c->rcap = ncap;
    return true;
}

/* A kept Content-Length body is read into room reserved once its size is
 * known (at most RESP_RESERVE_MAX ahead: a lying header costs nothing). */
static bool reserve_body(conn_t *c)
{
    const h1resp_t *r = &c->resp;
    if (!c->env->keep_body || r->body_kind != HTTP_BODY_LENGTH)
        return true;
    uint64_t want = r->head_len + r->content_length + 1;
    return grow_rbuf(c, want < RESP_RESERVE_MAX ? (size_t)want : RESP_RESERVE_MAX);
}

static void do_read(conn_t *c)
{
    for (;;) {
        if (c->rlen == c->rcap) {
            size_t limit = c->resp.have_head ? RESP_BODY_MAX : RESP_HEAD_MAX * 2;
            if (c->rcap >= limit || !grow_rbuf(c, c->rcap * 2)) {
                conn_abort(c, CONN_ERR_PROTOCOL);
                return;
            }
        }
        size_t room = c->rcap - c->rlen;
        ssize_t n = c->tls ? tls_recv_like(c->tls, c->rbuf + c->rlen, room)
                           : read(c->io.fd, c->rbuf + c->rlen, room);
        if (n > 0) {
            bool had_head = c->resp.have_head;
            c->last_io_ns = loop_now(c->env->loop);
            c->bytes_in += (uint64_t)n;
            c->rlen += (size_t)n;
            int f = h1resp_feed(&c->resp, c->rbuf, &c->rlen);
            if (f == 0) {
                finish(c, CONN_OK);
                return;
            }
            if (f != HTTP_INCOMPLETE || (!had_head && c->resp.have_head && !reserve_body(c))) {
                conn_abort(c, CONN_ERR_PROTOCOL);
                return;
            }
            /* A short read emptied the socket: the next bytes bring a new
             * edge, so a read that could only say EAGAIN is skipped (half the
             * reads of a stream of small events). Not over TLS (a record may
             * wait inside the library) nor once the FIN has come (its edge was
             * this one: read on to the end of the stream). */
            if ((size_t)n < room && !c->tls && !c->peer_closed)
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && !c->peer_closed)
            return;
        /* (Nothing to read once the server closed -- after its FIN, or a write
         * it refused -- is the end: no later event would come to say more.)
         * End of stream or error: complete only for a close-delimited body,
         * and over TLS only after close_notify: a bare end of a body framed by
         * the close may be a cut (RFC 9112 section 9.8). */
        if (n == 0 && (!c->tls || tls_closed_cleanly(c->tls)) &&
            h1resp_eof(&c->resp, c->rbuf, &c->rlen) == 0) {
            finish(c, CONN_OK);
            return;
        }
        if (!maybe_retry(c))
            conn_abort(c, CONN_ERR_RESET);
        return;
    }
}

/* The server spoke on an idle connection: normally it is closing it. */
static void idle_readable(conn_t *c)
{
    char tmp[256];
    for (;;) {
        ssize_t n =
            c->tls ? tls_recv_like(c->tls, tmp, sizeof(tmp)) : read(c->io.fd, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        close_fd(c); /* EOF, error, or bytes nobody asked for */
        return;
    }
}

static void on_connected(conn_t *c)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS || err == EALREADY)
        return;
    if (err) {
        close_fd(c);
        finish(c, connect_err_kind(err));
        return;
    }
    connected(c, loop_now(c->env->loop) - c->connect_start_ns);
}

static void conn_on_io(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)loop;
    conn_t *c = container_of(io, conn_t, io);
    /* The peer's FIN: the response read below (if any) is its last. */
    if ((events & LOOP_HUP) && c->state != CONN_CLOSED)
        c->peer_closed = true;
    switch (c->state) {
    case CONN_CONNECTING:
        if (events & (LOOP_OUT | LOOP_ERR))
            on_connected(c);
        break;
    case CONN_HANDSHAKING:
        do_handshake(c);
        break;
    case CONN_WRITING:
        /* Edge-triggered: remember input seen mid-write (an early answer, or
         * the EOF of a keep-alive connection the server closed) for later.
         * TLS may need to read in order to write: any event retries it. */
        if (events & (LOOP_IN | LOOP_ERR))
            c->in_pending = true;
        if ((events & (LOOP_OUT | LOOP_ERR)) || c->tls)
            do_write(c);
        break;
    case CONN_READING:
        if ((events & (LOOP_IN | LOOP_ERR)) || c->tls)
            do_read(c);
        break;
    case CONN_IDLE:
        if (c->peer_closed)
            close_fd(c); /* nothing it could still say matters */
        else if (events & (LOOP_IN | LOOP_ERR))
            idle_readable(c);
        break;
    case CONN_CLOSED:
        break; /* a stale event for a socket closed in this iteration */
    default:
        assert(!"bad conn state");
    }
}

static void conn_on_timer(loop_t *loop, loop_timer_t *timer)
{
    conn_t *c = container_of(timer, conn_t, timer);
    if (!c->busy)
        return;
    if (c->pending_err != CONN_OK) {
        conn_outcome_t e = c->pending_err;
        c->pending_err = CONN_OK;
        close_fd(c);
        finish(c, e);
        return;
    }
    /* Bytes came since the timer was armed for the end of a silence: not
     * silent for that long yet. */
    uint64_t now = loop_now(loop),
             at = conn_check_at(c->deadline_ns, c->last_io_ns, c->env->idle_timeout_ns);
    if (at > now) {
        loop_timer_set(loop, &c->timer, at);
        return;
    }
    /* No connection in time, TLS included, is a connect timeout. */
    conn_outcome_t e = c->state == CONN_CONNECTING || c->state == CONN_HANDSHAKING
                           ? CONN_ERR_CONNECT_TIMEOUT
                           : CONN_ERR_TIMEOUT;
    close_fd(c);
    finish(c, e);
}
