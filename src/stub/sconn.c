/* sconn — one stub connection as an explicit state machine.
 *
 *   TLS   -> (https) the handshake (header timer running)
 *   HEAD  -> reading a request's header section (header timer running)
 *   BODY  -> reading its body (Content-Length or chunked)
 *   WAIT  -> request complete; queued for a worker or its service timer runs
 *   GEN   -> a generating request (completions, chat, TGI): waiting for or
 *            decoding in the engine, or playing a script; a streamed answer
 *            goes out as it is made (sgen.c)
 *   WRITE -> the response did not fit in the socket buffer; waiting for OUT
 *   LINGER-> a closing response was sent; discard input until EOF, then close
 *
 * One request is handled at a time per connection: pipelined requests stay
 * in the read buffer and are parsed after the previous response is written,
 * which answers them in order. The fd is registered once for IN|OUT,
 * edge-triggered, so the hot path makes no epoll_ctl calls. The read buffer
 * and the parsing of what arrives in it are request.c's; the bytes of a
 * response are reply.c's, in a response buffer allocated once and reused.
 * This file reads and writes the socket, runs the timers, routes a whole
 * request and gives it a worker. With TLS the same reads and writes go
 * through core/tls (one branch each).
 *
 * HTTP/2: a new connection that starts with the client preface (prior
 * knowledge), or whose TLS handshake chose "h2" by ALPN, is handed to
 * h2serve.c. Each of its streams' requests then runs through this same
 * state machine on a connection object of its own without a socket
 * (sconn_stream_new, c->h2 set): reads find nothing more to read, and the
 * response's bytes go to the stream (h2serve_write) -- so every route,
 * the latency model, the engine and scripts serve HTTP/2 unchanged. */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/container.h"
#include "stub/embed.h"
#include "stub/h2serve.h"
#include "stub/infer.h"
#include "stub/kserve.h"
#include "stub/reply.h"
#include "stub/sconn.h"

#define OUT_KEEP_MAX 16384 /* a larger response buffer is freed after use */
#define LINGER_READS 16    /* discarding reads per wakeup while lingering */

static void sconn_on_io(loop_t *loop, loop_io_t *io, unsigned events);
static void sconn_on_timer(loop_t *loop, loop_timer_t *timer);

/* Timers are lazy: c->deadline_ns is when the current state's timeout (or
 * service time) is due, and c->timer only has to fire no later than that.
 * Moving a deadline later, or dropping it, costs no heap operation -- the
 * common case, as every request pushes its connection's timeout forward; a
 * timer that fires early re-arms itself for the deadline. Returns 0 or
 * ENOMEM. */
int sconn_deadline(sconn_t *c, uint64_t when_ns)
{
    c->deadline_ns = when_ns;
    if (loop_timer_pending(&c->timer) && c->timer.when_ns <= when_ns)
        return 0;
    return loop_timer_set(c->srv->loop, &c->timer, when_ns);
}

/* ---- lifecycle ---- */

/* The connection's share of a new request (request_t resets its own). */
static void sconn_reset_request(sconn_t *c)
{
    c->request_started = false;
    c->allow = NULL;
    c->status = 0;
    c->service_ns = 0;
}

/* A connection object from the free list (or new), cleared. NULL on ENOMEM. */
static sconn_t *sconn_get(server_t *srv)
{
    sconn_t *c = srv->free_conns;
    if (c) {
        srv->free_conns = c->next;
        srv->nfree--;
    } else {
        c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->out = (sbuf_t){0};
        c->gen.pre = (sbuf_t){0};
    }
    sbuf_t keep = c->out, keep_pre = c->gen.pre;
    memset(c, 0, offsetof(sconn_t, rq.inline_buf));
    c->out = keep;
    c->gen.pre = keep_pre;
    c->srv = srv;
    c->io.fd = -1;
    c->io.fn = sconn_on_io;
    loop_timer_init(&c->timer, sconn_on_timer);
    request_init(&c->rq);
    c->can_read = true;
    sconn_reset_request(c);
    c->state = SCONN_HEAD;
    return c;
}

sconn_t *sconn_stream_new(server_t *srv, h2sstream_t *st)
{
    sconn_t *c = sconn_get(srv);
    if (c)
        c->h2 = st;
    return c;
}

int sconn_accept(server_t *srv, int fd)
{
    sconn_t *c = sconn_get(srv);
    if (!c) {
        close(fd);
        return ENOMEM;
    }
    c->io.fd = fd;
    if (srv->stub->tls) {
        if (tls_conn_server(srv->stub->tls, fd, &c->tls) != 0) {
            close(fd);
            c->next = srv->free_conns;
            srv->free_conns = c;
            srv->nfree++;
            return ENOMEM;
        }
        c->state = SCONN_TLS;
    }

    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int err = loop_add(srv->loop, &c->io, LOOP_IN | LOOP_OUT);
    if (err) {
        tls_conn_free(c->tls, false);
        c->tls = NULL;
        close(fd);
        c->next = srv->free_conns;
        srv->free_conns = c;
        srv->nfree++;
        return err;
    }
    c->prev = NULL;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    STAT_ADD(srv, connections, 1);
    STAT_ADD(srv, connections_total, 1);
    /* A client that connects and sends nothing is a slow client too. */
    sconn_deadline(c, loop_now(srv->loop) + srv->cfg->header_timeout_ns);
    return 0;
}

static void queue_remove(server_t *srv, sconn_t *c)
{
    sconn_t **pp = &srv->queue_head;
    sconn_t *prev = NULL;
    while (*pp && *pp != c) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (!*pp)
        return;
    *pp = c->qnext;
    if (srv->queue_tail == c)
        srv->queue_tail = prev;
    c->qnext = NULL;
    c->in_queue = false;
    srv->queue_len--;
    STAT_SUB(srv, queued, 1);
}

static void worker_release(server_t *srv);

/* Frees the connection (to the free list). Callers return right after. */
void sconn_close(sconn_t *c)
{
    server_t *srv = c->srv;
    loop_timer_cancel(srv->loop, &c->timer);
    if (c->gen.active)
        sgen_abort(c);
    if (c->in_queue)
        queue_remove(srv, c); /* O(queue): only when a queued client vanishes */
    bool stream = c->h2 != NULL;
    if (stream) {
        h2serve_sconn_closed(c); /* an answer cut short resets its stream */
        c->h2 = NULL;
    } else {
        if (c->io.fd >= 0) { /* (-1: handed to h2serve, which owns the socket now) */
            loop_del(srv->loop, &c->io);
            close(c->io.fd);
        }
        tls_conn_free(c->tls, false);
        c->tls = NULL;
        if (c->prev)
            c->prev->next = c->next;
        else
            srv->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        srv->nconns--;
        STAT_SUB(srv, connections, 1);
    }
    request_free(&c->rq);
    if (c->out.cap > OUT_KEEP_MAX)
        sbuf_free(&c->out);
    if (c->gen.pre.cap > OUT_KEEP_MAX)
        sbuf_free(&c->gen.pre);
    bool had_worker = c->has_worker;
    c->has_worker = false;
    c->next = srv->free_conns;
    srv->free_conns = c;
    srv->nfree++;
    if (had_worker)
        worker_release(srv);
    if (srv->draining && !stream)
        server_conn_closed(srv);
}

/* The client spoke HTTP/2 (its preface, or ALPN h2): the socket, its TLS
 * session and the bytes read so far go to h2serve; c is freed. */
static void sconn_to_h2(sconn_t *c)
{
    server_t *srv = c->srv;
    int fd = c->io.fd;
    tls_conn_t *tls = c->tls;
    loop_del(srv->loop, &c->io);
    c->io.fd = -1;
    c->tls = NULL;
    char pre[STUB_INLINE_RBUF];
    size_t n = c->rq.len < sizeof pre ? c->rq.len : sizeof pre;
    memcpy(pre, c->rq.buf, n);
    sconn_close(c);
    h2serve_accept(srv, fd, tls, pre, n);
}

void sconn_free_all(server_t *srv)
{
    while (srv->conns) {
        sconn_t *c = srv->conns;
        c->in_queue = false; /* the whole queue goes too */
        c->has_worker = false;
        sconn_close(c);
    }
    srv->queue_head = srv->queue_tail = NULL;
    while (srv->free_conns) {
        sconn_t *c = srv->free_conns;
        srv->free_conns = c->next;
        sbuf_free(&c->out);
        sbuf_free(&c->gen.pre);
        free(c);
    }
    srv->nfree = 0;
}

/* ---- responses ---- */

void sconn_set_error(sconn_t *c, int status, const char *msg)
{
    c->status = status;
    stub_api_t api = api_of_route(c->rq.route);
    if (api == STUB_API_ALL || api == STUB_API_TAILGATE) {
        reply_error(&c->out, msg);
        return;
    }
    if (reply_begin(&c->out) || api_error_body(&c->out, api, status, msg))
        c->out.len = REPLY_HEAD_ROOM; /* out of memory: the status with an empty body */
}

/* The response is ready (status + body in out): queue it for writing. The
 * driver sends it. Returns 0, or -1 when c was freed. */
int sconn_send(sconn_t *c)
{
    server_t *srv = c->srv;
    if (srv->draining || c->peer_closed || !c->rq.keep_alive)
        c->close_after = true;
    if (c->status > 0 && c->status < STUB_STATUS_MAX)
        STAT_ADD(srv, by_status[c->status], 1);
    long start =
        reply_head(&c->out, c->status, c->close_after, c->rq.http10, c->allow, c->rq.head_only);
    if (start < 0) {
        sconn_close(c);
        return -1;
    }
    c->out_off = (size_t)start;
    c->state = SCONN_WRITE;
    /* A client that stops reading is dropped after the header timeout. */
    sconn_deadline(c, loop_now(srv->loop) + srv->cfg->header_timeout_ns);
    return 0;
}

/* Holds a ready response until due_ns (pushed past any stall window). */
int sconn_send_at(sconn_t *c, uint64_t due_ns)
{
    server_t *srv = c->srv;
    uint64_t release = model_release_ns(srv->cfg, srv->stub->origin_ns, due_ns);
    if (release <= loop_now(srv->loop))
        return sconn_send(c);
    c->state = SCONN_WAIT;
    if (sconn_deadline(c, release)) {
        sconn_close(c);
        return -1;
    }
    return 0;
}

/* An error that ends the connection (framing is lost or the client is bad). */
static int sconn_fail(sconn_t *c, int status, const char *msg)
{
    sconn_set_error(c, status, msg);
    c->close_after = true;
    c->rq.keep_alive = false;
    return sconn_send_at(c, loop_now(c->srv->loop));
}

/* Gives c a worker: its answer goes out after its service time. */
static void service_start(sconn_t *c)
{
    server_t *srv = c->srv;
    c->has_worker = true;
    srv->busy_workers++;
    STAT_ADD(srv, in_flight, 1);
    uint64_t due =
        model_release_ns(srv->cfg, srv->stub->origin_ns, loop_now(srv->loop) + c->service_ns);
    c->state = SCONN_WAIT;
    if (sconn_deadline(c, due)) {
        /* No memory for the timer heap: answer at the next timer tick of
         * anyone else is not possible, so fail this request now. */
        c->has_worker = false;
        srv->busy_workers--;
        STAT_SUB(srv, in_flight, 1);
        sconn_set_error(c, 500, "out of memory");
        if (sconn_send(c) == 0)
            sconn_drive(c);
    }
}

/* A worker became free: the longest-waiting request takes it. */
static void worker_release(server_t *srv)
{
    srv->busy_workers--;
    STAT_SUB(srv, in_flight, 1);
    sconn_t *next = srv->queue_head;
    if (!next)
        return;
    srv->queue_head = next->qnext;
    if (!srv->queue_head)
        srv->queue_tail = NULL;
    next->qnext = NULL;
    next->in_queue = false;
    srv->queue_len--;
    STAT_SUB(srv, queued, 1);
    service_start(next);
}

/* The answer of an inference route (tailgate, embeddings, kserve) into
 * out. Returns its status (400: an error body naming what is wrong) or -1
 * when out of memory. */
static int sconn_answer(sconn_t *c, const char *body, size_t len, size_t *items)
{
    server_t *srv = c->srv;
    request_t *rq = &c->rq;
    char why[300], id[48];
    int status;
    if (reply_begin(&c->out))
        return -1;
    switch (rq->route) {
    case ROUTE_EMBEDDINGS:
        sgen_id(srv, "embd-", id, sizeof id);
        status = embed_answer(body, len, id, clock_wall_ns() / CLOCK_NS_PER_S, &c->out, items, why,
                              sizeof why);
        break;
    case ROUTE_KSERVE:
        sgen_id(srv, "", id, sizeof id);
        status = kserve_answer(body, len, rq->buf + rq->captured.model_off, rq->captured.model_len,
                               rq->buf + rq->captured.version_off, rq->captured.version_len, id,
                               &c->out, items, why, sizeof why);
        break;
    default:
        return infer_answer(body, len, srv->cfg->shuffle_outputs, &c->out, items);
    }
    if (status == 400) {
        c->out.len = REPLY_HEAD_ROOM;
        if (api_error_body(&c->out, api_of_route(rq->route), 400, why))
            return -1;
    }
    return status;
}

static int sconn_infer(sconn_t *c, const char *body, size_t len)
{
    server_t *srv = c->srv;
    const stub_config_t *cfg = srv->cfg;
    size_t items = 0;
    int status = sconn_answer(c, body, len, &items);
    if (status < 0) {
        sconn_set_error(c, 500, "out of memory");
        return sconn_send_at(c, loop_now(srv->loop));
    }
    c->status = status;
    if (status != 200)
        return sconn_send_at(c, loop_now(srv->loop));
    STAT_ADD(srv, items, items);
    if (model_inject_error(cfg, &srv->rng))
        sconn_set_error(c, 500, "injected error (--error-rate)");
    c->service_ns = model_service_ns(cfg, &srv->rng, items);
    if (srv->workers == 0 || srv->busy_workers < srv->workers) {
        /* No service time and no stall (--delay 0): answer now, without a
         * worker or a timer. A worker is free, so nobody is queued ahead. */
        uint64_t now = loop_now(srv->loop);
        if (c->service_ns == 0 && model_release_ns(cfg, srv->stub->origin_ns, now) <= now)
            return sconn_send(c);
        service_start(c);
        return 0;
    }
    if (srv->queue_len < srv->queue_cap) {
        c->state = SCONN_WAIT;
        c->in_queue = true;
        c->qnext = NULL;
        if (srv->queue_tail)
            srv->queue_tail->qnext = c;
        else
            srv->queue_head = c;
        srv->queue_tail = c;
        srv->queue_len++;
        uint64_t q = STAT_ADD(srv, queued, 1) + 1;
        if (q > STAT_GET(srv, max_queued))
            __atomic_store_n(&srv->stats.max_queued, q, __ATOMIC_RELAXED);
        return 0;
    }
    sconn_set_error(c, 503, "server busy: all workers busy and the queue is full");
    return sconn_send_at(c, loop_now(srv->loop));
}

/* The whole request is in c->rq: route it. Returns 0, or -1 when c was
 * freed. */
static int sconn_dispatch(sconn_t *c)
{
    server_t *srv = c->srv;
    c->deadline_ns = 0; /* the header timeout is over (lazily: see sconn_deadline) */
    STAT_ADD(srv, requests, 1);
    switch (c->rq.route) {
    case ROUTE_INFER:
    case ROUTE_EMBEDDINGS:
    case ROUTE_KSERVE:
        return sconn_infer(c, c->rq.buf + c->rq.hlen, c->rq.end - c->rq.hlen);
    case ROUTE_COMPLETIONS:
    case ROUTE_CHAT:
    case ROUTE_TGI:
    case ROUTE_TGI_STREAM:
        return sgen_start(c);
    case ROUTE_HEALTHZ:
        c->status = 200;
        if (reply_begin(&c->out) || sbuf_puts(&c->out, "{\"status\":\"ok\"}"))
            sconn_set_error(c, 500, "out of memory");
        break;
    case ROUTE_STATS:
        c->status = 200;
        if (reply_begin(&c->out) || stub_stats_json(srv->stub, &c->out))
            sconn_set_error(c, 500, "out of memory");
        break;
    case ROUTE_NOT_FOUND:
        sconn_set_error(c, 404, "not found");
        break;
    case ROUTE_POST_ONLY:
        sconn_set_error(c, 405, "method not allowed: use POST");
        c->allow = "POST";
        break;
    case ROUTE_GET_ONLY:
        sconn_set_error(c, 405, "method not allowed: use GET");
        c->allow = "GET, HEAD";
        break;
    }
    return sconn_send_at(c, loop_now(srv->loop));
}

/* ---- reading and parsing (request.c parses) ---- */

static void send_continue(sconn_t *c)
{
    /* Tiny and sent while nothing else is pending, so it fits the socket
     * buffer; if it does not, the client sends its body after its own
     * timeout anyway. */
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (c->tls) {
        size_t n;
        tls_write(c->tls, cont, sizeof cont - 1, &n);
        return;
    }
    ssize_t w = send(c->io.fd, cont, sizeof cont - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
}

/* Returns 1 need more bytes, 0 progressed, -1 freed. */
static int sconn_parse_head(sconn_t *c)
{
    server_t *srv = c->srv;
    if (c->rq.len == 0)
        return 1;
    /* The first bytes of a connection may be HTTP/2's client preface (prior
     * knowledge, RFC 9113 §3.3): wait until it is whole or ruled out. */
    if (!c->served && !c->h2 && !srv->draining) {
        int h2 = h2serve_preface(c->rq.buf, c->rq.len);
        if (h2 < 0)
            return 1;
        if (h2 > 0) {
            sconn_to_h2(c);
            return -1;
        }
    }
    if (!c->request_started) {
        c->request_started = true;
        if (c->served) /* the idle timer was running: the request clock starts now */
            sconn_deadline(c, loop_now(srv->loop) + srv->cfg->header_timeout_ns);
    }
    switch (request_parse_head(&c->rq, srv->cfg)) {
    case REQUEST_MORE:
        return 1;
    case REQUEST_REFUSE:
        return sconn_fail(c, c->rq.error_status, c->rq.error);
    case REQUEST_DONE:
        break;
    }
    if (c->rq.wants_continue)
        send_continue(c);
    c->state = SCONN_BODY;
    return 0;
}

/* Returns 1 need more bytes, 0 progressed, -1 freed. */
static int sconn_parse_body(sconn_t *c)
{
    switch (request_parse_body(&c->rq, c->srv->cfg)) {
    case REQUEST_MORE:
        return 1;
    case REQUEST_REFUSE:
        return sconn_fail(c, c->rq.error_status, c->rq.error);
    case REQUEST_DONE:
        break;
    }
    return sconn_dispatch(c);
}

/* After a response: close, or move on to the next (maybe pipelined) request.
 * Returns 0, or -1 when c was freed. */
static int sconn_response_done(sconn_t *c)
{
    server_t *srv = c->srv;
    if (c->h2) { /* the stream's answer is whole: one request per stream */
        sconn_close(c);
        return -1;
    }
    c->served = true;
    if (c->out.cap > OUT_KEEP_MAX)
        sbuf_free(&c->out);
    if (c->close_after) {
        if (c->peer_closed) {
            sconn_close(c);
            return -1;
        }
        /* Closing with unread input would reset the connection and could
         * destroy the response before the client reads it: half-close and
         * discard input until the client closes (bounded by a timer). TLS
         * says close_notify first; what follows is discarded unread. */
        if (c->tls) {
            tls_conn_free(c->tls, true);
            c->tls = NULL;
        }
        shutdown(c->io.fd, SHUT_WR);
        c->state = SCONN_LINGER;
        c->rq.len = 0;
        sconn_deadline(c, loop_now(srv->loop) + STUB_LINGER_NS);
        return 0;
    }
    request_next(&c->rq); /* keeps what follows the request just answered */
    sconn_reset_request(c);
    c->state = SCONN_HEAD;
    sconn_deadline(c, loop_now(srv->loop) + STUB_IDLE_NS);
    return 0;
}

/* Sends what remains of the response, up to limit. Returns 1 would block,
 * 0 all sent, -1 freed. */
int sconn_flush(sconn_t *c, size_t limit)
{
    size_t start = c->out_off, end = limit < c->out.len ? limit : c->out.len;
    if (c->h2 && c->out_off < end) {
        int r = h2serve_write(c, c->out.data + c->out_off, end - c->out_off);
        if (r == 0)
            c->out_off = end;
        else if (r > 0 && c->state == SCONN_WRITE)
            sconn_deadline(c, loop_now(c->srv->loop) + c->srv->cfg->header_timeout_ns);
        return r;
    }
    while (c->out_off < end) {
        ssize_t w = c->tls ? tls_send_like(c->tls, c->out.data + c->out_off, end - c->out_off)
                           : send(c->io.fd, c->out.data + c->out_off, end - c->out_off,
                                  MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The write timeout measures a stall, not the whole transfer
             * (sgen.c keeps its own beside a stream's other timers). */
            if (c->out_off > start && c->state == SCONN_WRITE)
                sconn_deadline(c, loop_now(c->srv->loop) + c->srv->cfg->header_timeout_ns);
            return 1;
        }
        sconn_close(c);
        return -1;
    }
    return 0;
}

typedef enum { FILL_DATA, FILL_AGAIN, FILL_EOF, FILL_ERROR } fill_t;

/* One recv into the free end of the read buffer (grown when full). */
static fill_t sconn_fill(sconn_t *c)
{
    if (c->h2)
        return FILL_AGAIN; /* the stream's request came whole; a reset closes c */
    if (c->rq.len == c->rq.cap && request_grow(&c->rq, c->rq.cap * 2))
        return FILL_ERROR;
    /* Edge-triggered: a short read emptied the socket, and any byte (or FIN)
     * arriving after it raises a new event, so until then a recv could only
     * say EAGAIN -- skip that syscall (as nginx does). Not after a FIN was
     * signalled (the end of stream must still be read), and not with TLS,
     * whose library may hold decrypted bytes. */
    if (!c->can_read && !c->tls)
        return FILL_AGAIN;
    for (;;) {
        size_t room = c->rq.cap - c->rq.len;
        ssize_t r = c->tls ? tls_recv_like(c->tls, c->rq.buf + c->rq.len, room)
                           : recv(c->io.fd, c->rq.buf + c->rq.len, room, MSG_DONTWAIT);
        if (r > 0) {
            c->rq.len += (size_t)r;
            if ((size_t)r < room && !c->hup)
                c->can_read = false;
            return FILL_DATA;
        }
        if (r == 0)
            return FILL_EOF;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->can_read = false;
            return FILL_AGAIN;
        }
        return FILL_ERROR;
    }
}

/* Runs the state machine until it has to wait for the socket or a timer.
 * A loop, not recursion: a client pipelining thousands of requests costs no
 * stack. Every path that frees c returns at once. */
void sconn_drive(sconn_t *c)
{
    unsigned discards = 0;
    for (;;) {
        int r;
        fill_t f;
        switch (c->state) {
        case SCONN_TLS: {
            char why[160];
            tls_status_t s = tls_handshake(c->tls, why, sizeof why);
            if (s == TLS_WANT_READ || s == TLS_WANT_WRITE)
                return;
            if (s == TLS_ERROR) { /* a client that does not trust us, or not TLS at all */
                sconn_close(c);
                return;
            }
            if (tls_alpn_h2(c->tls)) {
                sconn_to_h2(c);
                return;
            }
            c->state = SCONN_HEAD;
            continue;
        }
        case SCONN_HEAD:
        case SCONN_BODY:
            r = c->state == SCONN_HEAD ? sconn_parse_head(c) : sconn_parse_body(c);
            if (r < 0)
                return;
            if (r == 0)
                continue;
            f = sconn_fill(c);
            if (f == FILL_DATA)
                continue;
            if (f == FILL_AGAIN)
                return;
            if (c->request_started)
                STAT_ADD(c->srv, client_disconnects, 1);
            sconn_close(c);
            return;
        case SCONN_WRITE:
            r = sconn_flush(c, SIZE_MAX);
            if (r != 0)
                return;
            if (sconn_response_done(c) < 0)
                return;
            continue;
        case SCONN_GEN:
            r = sgen_drive(c);
            if (r < 0)
                return;
            if (r == 0) {
                if (sconn_response_done(c) < 0)
                    return;
                continue;
            }
            /* Waiting for the engine, a timer or the socket: as WAIT. */
            /* fallthrough */
        case SCONN_WAIT:
            /* Busy: read on only to notice a client that went away, and only
             * while the buffer has room (the rest waits in the socket). */
            if (c->peer_closed || c->rq.len == c->rq.cap)
                return;
            f = sconn_fill(c);
            if (f == FILL_DATA)
                continue;
            if (f == FILL_AGAIN)
                return;
            if (f == FILL_EOF) {
                c->peer_closed = true; /* answer anyway: it may be a half-close */
                return;
            }
            sconn_close(c);
            return;
        case SCONN_LINGER:
            /* A client streaming faster than we discard would hold this
             * thread: stop after a few reads. Edge-triggered, new bytes or
             * its FIN wake us again; the linger timer ends it either way. */
            if (++discards > LINGER_READS)
                return;
            c->rq.len = 0; /* discard */
            f = sconn_fill(c);
            if (f == FILL_DATA)
                continue;
            if (f == FILL_AGAIN)
                return;
            sconn_close(c);
            return;
        default:
            assert(!"sconn_drive: bad state");
            return;
        }
    }
}

static void sconn_on_io(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)loop;
    sconn_t *c = container_of(io, sconn_t, io);
    if (events & LOOP_IN)
        c->can_read = true;
    if (events & LOOP_HUP)
        c->hup = true;
    sconn_drive(c);
}

static void sconn_on_timer(loop_t *loop, loop_timer_t *timer)
{
    (void)loop;
    sconn_t *c = container_of(timer, sconn_t, timer);
    if (!c->deadline_ns)
        return; /* dropped while the timer was pending */
    if (c->deadline_ns > loop_now(loop)) {
        loop_timer_set(loop, timer, c->deadline_ns); /* moved later: fire then */
        return;
    }
    c->deadline_ns = 0;
    switch (c->state) {
    case SCONN_TLS:
        sconn_close(c); /* no handshake within the header timeout */
        return;
    case SCONN_HEAD:
        if (!c->request_started && c->served) {
            sconn_close(c); /* idle keep-alive connection */
            return;
        }
        /* fallthrough */
    case SCONN_BODY:
        if (sconn_fail(c, 408, "request not received in time (--header-timeout)") == 0)
            sconn_drive(c);
        return;
    case SCONN_WAIT:
        if (c->has_worker) {
            c->has_worker = false;
            worker_release(c->srv);
        }
        if (sconn_send(c) == 0)
            sconn_drive(c);
        return;
    case SCONN_GEN:
        sgen_on_timer(c);
        return;
    case SCONN_WRITE:
    case SCONN_LINGER:
        sconn_close(c);
        return;
    default:
        assert(!"sconn_on_timer: bad state");
    }
}

void sconn_drain_all(server_t *srv)
{
    sconn_t *c = srv->conns;
    while (c) {
        sconn_t *next = c->next;
        if (c->state == SCONN_TLS || c->state == SCONN_HEAD || c->state == SCONN_BODY ||
            c->state == SCONN_LINGER)
            sconn_close(c);
        else
            c->close_after = true;
        c = next;
    }
}
