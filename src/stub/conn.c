/* conn — one stub connection as an explicit state machine.
 *
 *   TLS   -> (https) the handshake (header timer running)
 *   HEAD  -> reading a request's header section (header timer running)
 *   BODY  -> reading its body (Content-Length or chunked)
 *   WAIT  -> request complete; queued for a worker or its service timer runs
 *   WRITE -> the response did not fit in the socket buffer; waiting for OUT
 *   LINGER-> a closing response was sent; discard input until EOF, then close
 *
 * One request is handled at a time per connection: pipelined requests stay
 * in the read buffer and are parsed after the previous response is written,
 * which answers them in order. The fd is registered once for IN|OUT,
 * edge-triggered, so the hot path makes no epoll_ctl calls. The read buffer
 * lives inside the struct (2 KiB) and moves to the heap only while a request
 * needs more; the response buffer is allocated once and reused. With TLS the
 * same reads and writes go through core/tls (one branch each). */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stub/infer.h"
#include "stub/server.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Response header is written right before the body, into this much room
 * reserved at the front of the response buffer: one send() per response. */
#define HEAD_ROOM 192
#define OUT_KEEP_MAX 16384 /* a larger response buffer is freed after use */
#define RBUF_KEEP_MAX 16384
#define LINGER_READS 16 /* discarding reads per wakeup while lingering */

typedef enum { CONN_TLS, CONN_HEAD, CONN_BODY, CONN_WAIT, CONN_WRITE, CONN_LINGER } conn_state_t;

typedef enum {
    ROUTE_INFER,
    ROUTE_HEALTHZ,
    ROUTE_STATS,
    ROUTE_NOT_FOUND,
    ROUTE_POST_ONLY, /* 405, Allow: POST */
    ROUTE_GET_ONLY,  /* 405, Allow: GET */
} route_t;

struct conn {
    loop_io_t io;
    tls_conn_t *tls;    /* https: the session on io.fd */
    loop_timer_t timer; /* header/idle timeout, service time, write timeout, linger */
    server_t *srv;
    conn_t *prev, *next; /* srv->conns */
    conn_t *qnext;       /* srv queue */
    conn_state_t state;
    route_t route;
    bool in_queue;
    bool has_worker;
    bool request_started; /* a byte of the current request arrived */
    bool keep_alive;      /* the request allows another after it */
    bool http10;
    bool close_after; /* close once this response is written */
    bool peer_closed; /* read returned 0 */
    bool chunked;
    bool served;    /* at least one response on this connection */
    bool head_only; /* HEAD request: headers without the body */
    bool can_read;  /* plain TCP: a recv may find bytes (see conn_fill) */
    bool hup;       /* the peer's FIN was signalled: read on until end of stream */
    const char *allow;
    char *rbuf;
    size_t rlen, rcap;
    size_t hlen;    /* header section bytes of the current request */
    size_t req_end; /* offset of the byte after the request (LENGTH/NONE) */
    size_t raw;     /* chunked: first undecoded byte */
    size_t dlen;    /* chunked: decoded body bytes, stored at rbuf + hlen */
    http_chunked_t dec;
    int status;
    uint64_t service_ns;
    uint64_t deadline_ns; /* when the timer must act; 0 = nothing due (conn_deadline) */
    sbuf_t out;
    size_t out_off; /* next byte of out to send */
    char inline_rbuf[STUB_INLINE_RBUF];
};

static void conn_on_io(loop_t *loop, loop_io_t *io, unsigned events);
static void conn_on_timer(loop_t *loop, loop_timer_t *timer);
static void conn_drive(conn_t *c);

/* Timers are lazy: c->deadline_ns is when the current state's timeout (or
 * service time) is due, and c->timer only has to fire no later than that.
 * Moving a deadline later, or dropping it, costs no heap operation -- the
 * common case, as every request pushes its connection's timeout forward; a
 * timer that fires early re-arms itself for the deadline. Returns 0 or
 * ENOMEM. */
static int conn_deadline(conn_t *c, uint64_t when_ns)
{
    c->deadline_ns = when_ns;
    if (loop_timer_pending(&c->timer) && c->timer.when_ns <= when_ns)
        return 0;
    return loop_timer_set(c->srv->loop, &c->timer, when_ns);
}

/* TLS behind the conventions of send() and recv(): > 0 bytes, 0 end of
 * stream, -1 with errno EAGAIN (the next event retries) or ECONNRESET. */
static ssize_t tls_send_some(conn_t *c, const char *p, size_t len)
{
    size_t n;
    tls_status_t s = tls_write(c->tls, p, len, &n);
    if (s == TLS_OK)
        return (ssize_t)n;
    errno = s == TLS_ERROR ? ECONNRESET : EAGAIN;
    return -1;
}

static ssize_t tls_recv_some(conn_t *c, char *p, size_t len)
{
    size_t n;
    tls_status_t s = tls_read(c->tls, p, len, &n);
    if (s == TLS_OK)
        return (ssize_t)n;
    errno = s == TLS_ERROR ? ECONNRESET : EAGAIN;
    return -1;
}

/* ---- lifecycle ---- */

static void conn_reset_request(conn_t *c)
{
    c->route = ROUTE_NOT_FOUND;
    c->request_started = false;
    c->keep_alive = true;
    c->http10 = false;
    c->chunked = false;
    c->allow = NULL;
    c->head_only = false;
    c->hlen = c->req_end = c->raw = c->dlen = 0;
    c->status = 0;
    c->service_ns = 0;
}

int conn_accept(server_t *srv, int fd)
{
    conn_t *c = srv->free_conns;
    if (c) {
        srv->free_conns = c->next;
        srv->nfree--;
    } else {
        c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            return ENOMEM;
        }
        c->out = (sbuf_t){0};
    }
    sbuf_t keep = c->out;
    memset(c, 0, offsetof(conn_t, inline_rbuf));
    c->out = keep;
    c->srv = srv;
    c->io.fd = fd;
    c->io.fn = conn_on_io;
    loop_timer_init(&c->timer, conn_on_timer);
    c->rbuf = c->inline_rbuf;
    c->rcap = sizeof c->inline_rbuf;
    c->can_read = true;
    conn_reset_request(c);
    c->state = CONN_HEAD;
    if (srv->stub->tls) {
        if (tls_conn_server(srv->stub->tls, fd, &c->tls) != 0) {
            close(fd);
            c->next = srv->free_conns;
            srv->free_conns = c;
            srv->nfree++;
            return ENOMEM;
        }
        c->state = CONN_TLS;
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
    conn_deadline(c, loop_now(srv->loop) + srv->cfg->header_timeout_ns);
    return 0;
}

static void queue_remove(server_t *srv, conn_t *c)
{
    conn_t **pp = &srv->queue_head;
    conn_t *prev = NULL;
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
static void conn_close(conn_t *c)
{
    server_t *srv = c->srv;
    loop_timer_cancel(srv->loop, &c->timer);
    if (c->in_queue)
        queue_remove(srv, c); /* O(queue): only when a queued client vanishes */
    loop_del(srv->loop, &c->io);
    tls_conn_free(c->tls, false);
    c->tls = NULL;
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    STAT_SUB(srv, connections, 1);
    if (c->rbuf != c->inline_rbuf)
        free(c->rbuf);
    c->rbuf = NULL;
    if (c->out.cap > OUT_KEEP_MAX)
        sbuf_free(&c->out);
    bool had_worker = c->has_worker;
    c->has_worker = false;
    c->next = srv->free_conns;
    srv->free_conns = c;
    srv->nfree++;
    if (had_worker)
        worker_release(srv);
    if (srv->draining)
        server_conn_closed(srv);
}

void conn_free_all(server_t *srv)
{
    while (srv->conns) {
        conn_t *c = srv->conns;
        c->in_queue = false; /* the whole queue goes too */
        c->has_worker = false;
        conn_close(c);
    }
    srv->queue_head = srv->queue_tail = NULL;
    while (srv->free_conns) {
        conn_t *c = srv->free_conns;
        srv->free_conns = c->next;
        sbuf_free(&c->out);
        free(c);
    }
    srv->nfree = 0;
}

/* ---- responses ---- */

/* Empties the response buffer, leaving room for the header in front. */
static int out_begin(conn_t *c)
{
    sbuf_reset(&c->out);
    if (sbuf_reserve(&c->out, HEAD_ROOM + 256))
        return ENOMEM;
    c->out.len = HEAD_ROOM;
    return 0;
}

static void set_error(conn_t *c, int status, const char *msg)
{
    c->status = status;
    if (out_begin(c) || infer_error_body(&c->out, msg))
        c->out.len = HEAD_ROOM; /* out of memory: send the status with an empty body */
}

static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

static char *put_uint(char *o, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *o++ = d[--n];
    return o;
}

/* Writes the header in front of the body; returns 0 or -1 (too long).
 * Copies of fixed text and two numbers: no printf on every response. */
static int out_head(conn_t *c)
{
    static const char mid[] = "\r\nContent-Type: application/json\r\nContent-Length: ";
    char head[HEAD_ROOM];
    size_t body = c->out.len - HEAD_ROOM;
    const char *conn_hdr = c->close_after ? "Connection: close\r\n"
                           : c->http10    ? "Connection: keep-alive\r\n"
                                          : "";
    const char *reason = http_reason(c->status);
    size_t rlen = strlen(reason), clen = strlen(conn_hdr);
    size_t alen = c->allow ? strlen(c->allow) : 0;
    /* "HTTP/1.1 " status ' ' reason mid length "\r\n" conn [Allow] "\r\n" */
    if (9 + 20 + 1 + rlen + sizeof mid + 20 + 2 + clen + 9 + alen + 2 > sizeof head)
        return -1;
    char *o = put(head, "HTTP/1.1 ", 9);
    o = put_uint(o, (uint64_t)c->status);
    *o++ = ' ';
    o = put(o, reason, rlen);
    o = put(o, mid, sizeof mid - 1);
    o = put_uint(o, body);
    o = put(o, "\r\n", 2);
    o = put(o, conn_hdr, clen);
    if (c->allow) {
        o = put(o, "Allow: ", 7);
        o = put(o, c->allow, alen);
        o = put(o, "\r\n", 2);
    }
    o = put(o, "\r\n", 2);
    size_t n = (size_t)(o - head);
    c->out_off = HEAD_ROOM - n;
    memcpy(c->out.data + c->out_off, head, (size_t)n);
    if (c->head_only)
        c->out.len = HEAD_ROOM;
    return 0;
}

/* The response is ready (status + body in out): queue it for writing. The
 * driver sends it. Returns 0, or -1 when c was freed. */
static int conn_send(conn_t *c)
{
    server_t *srv = c->srv;
    if (srv->draining || c->peer_closed || !c->keep_alive)
        c->close_after = true;
    if (c->status > 0 && c->status < STUB_STATUS_MAX)
        STAT_ADD(srv, by_status[c->status], 1);
    if (out_head(c)) {
        conn_close(c);
        return -1;
    }
    c->state = CONN_WRITE;
    /* A client that stops reading is dropped after the header timeout. */
    conn_deadline(c, loop_now(srv->loop) + srv->cfg->header_timeout_ns);
    return 0;
}

/* Holds a ready response until due_ns (pushed past any stall window). */
static int conn_send_at(conn_t *c, uint64_t due_ns)
{
    server_t *srv = c->srv;
    uint64_t release = model_release_ns(srv->cfg, srv->stub->origin_ns, due_ns);
    if (release <= loop_now(srv->loop))
        return conn_send(c);
    c->state = CONN_WAIT;
    if (conn_deadline(c, release)) {
        conn_close(c);
        return -1;
    }
    return 0;
}

/* An error that ends the connection (framing is lost or the client is bad). */
static int conn_fail(conn_t *c, int status, const char *msg)
{
    set_error(c, status, msg);
    c->close_after = true;
    c->keep_alive = false;
    return conn_send_at(c, loop_now(c->srv->loop));
}

/* Gives c a worker: its answer goes out after its service time. */
static void service_start(conn_t *c)
{
    server_t *srv = c->srv;
    c->has_worker = true;
    srv->busy_workers++;
    STAT_ADD(srv, in_flight, 1);
    uint64_t due =
        model_release_ns(srv->cfg, srv->stub->origin_ns, loop_now(srv->loop) + c->service_ns);
    c->state = CONN_WAIT;
    if (conn_deadline(c, due)) {
        /* No memory for the timer heap: answer at the next timer tick of
         * anyone else is not possible, so fail this request now. */
        c->has_worker = false;
        srv->busy_workers--;
        STAT_SUB(srv, in_flight, 1);
        set_error(c, 500, "out of memory");
        if (conn_send(c) == 0)
            conn_drive(c);
    }
}

/* A worker became free: the longest-waiting request takes it. */
static void worker_release(server_t *srv)
{
    srv->busy_workers--;
    STAT_SUB(srv, in_flight, 1);
    conn_t *next = srv->queue_head;
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

static int conn_infer(conn_t *c, const char *body, size_t len)
{
    server_t *srv = c->srv;
    const stub_config_t *cfg = srv->cfg;
    size_t items = 0;
    int status = out_begin(c) ? -1 : infer_answer(body, len, cfg->shuffle_outputs, &c->out, &items);
    if (status < 0) {
        set_error(c, 500, "out of memory");
        return conn_send_at(c, loop_now(srv->loop));
    }
    c->status = status;
    if (status != 200)
        return conn_send_at(c, loop_now(srv->loop));
    STAT_ADD(srv, items, items);
    if (model_inject_error(cfg, &srv->rng))
        set_error(c, 500, "injected error (--error-rate)");
    c->service_ns = model_service_ns(cfg, &srv->rng, items);
    if (srv->workers == 0 || srv->busy_workers < srv->workers) {
        /* No service time and no stall (--delay 0): answer now, without a
         * worker or a timer. A worker is free, so nobody is queued ahead. */
        uint64_t now = loop_now(srv->loop);
        if (c->service_ns == 0 && model_release_ns(cfg, srv->stub->origin_ns, now) <= now)
            return conn_send(c);
        service_start(c);
        return 0;
    }
    if (srv->queue_len < srv->queue_cap) {
        c->state = CONN_WAIT;
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
    set_error(c, 503, "server busy: all workers busy and the queue is full");
    return conn_send_at(c, loop_now(srv->loop));
}

/* The whole request is in rbuf (body at rbuf + hlen): route it. Returns 0,
 * or -1 when c was freed. */
static int conn_dispatch(conn_t *c, size_t body_len)
{
    server_t *srv = c->srv;
    c->deadline_ns = 0; /* the header timeout is over (lazily: see conn_deadline) */
    STAT_ADD(srv, requests, 1);
    switch (c->route) {
    case ROUTE_INFER:
        return conn_infer(c, c->rbuf + c->hlen, body_len);
    case ROUTE_HEALTHZ:
        c->status = 200;
        if (out_begin(c) || sbuf_puts(&c->out, "{\"status\":\"ok\"}"))
            set_error(c, 500, "out of memory");
        break;
    case ROUTE_STATS:
        c->status = 200;
        if (out_begin(c) || stub_stats_json(srv->stub, &c->out))
            set_error(c, 500, "out of memory");
        break;
    case ROUTE_NOT_FOUND:
        set_error(c, 404, "not found");
        break;
    case ROUTE_POST_ONLY:
        set_error(c, 405, "method not allowed: use POST");
        c->allow = "POST";
        break;
    case ROUTE_GET_ONLY:
        set_error(c, 405, "method not allowed: use GET");
        c->allow = "GET";
        break;
    }
    return conn_send_at(c, loop_now(srv->loop));
}

/* ---- reading and parsing ---- */

/* Grows the read buffer to at least `need` bytes. Returns 0 or ENOMEM. */
static int rbuf_grow(conn_t *c, size_t need)
{
    if (need <= c->rcap)
        return 0;
    size_t cap = c->rcap;
    while (cap < need)
        cap *= 2;
    char *b;
    if (c->rbuf == c->inline_rbuf) {
        b = malloc(cap);
        if (b)
            memcpy(b, c->rbuf, c->rlen);
    } else {
        b = realloc(c->rbuf, cap);
    }
    if (!b)
        return ENOMEM;
    c->rbuf = b;
    c->rcap = cap;
    return 0;
}

static bool target_is(const char *t, size_t n, const char *path)
{
    const char *q = memchr(t, '?', n); /* a query string does not change the route */
    if (q)
        n = (size_t)(q - t);
    return strlen(path) == n && !memcmp(t, path, n);
}

static bool method_is(const http_request_t *r, const char *m)
{
    return strlen(m) == r->method_len && !memcmp(r->method, m, r->method_len);
}

static route_t route_of(const stub_config_t *cfg, const http_request_t *r)
{
    if (target_is(r->target, r->target_len, cfg->path))
        return method_is(r, "POST") ? ROUTE_INFER : ROUTE_POST_ONLY;
    if (target_is(r->target, r->target_len, "/healthz"))
        return method_is(r, "GET") ? ROUTE_HEALTHZ : ROUTE_GET_ONLY;
    if (target_is(r->target, r->target_len, "/stats"))
        return method_is(r, "GET") ? ROUTE_STATS : ROUTE_GET_ONLY;
    return ROUTE_NOT_FOUND;
}

static void send_continue(conn_t *c)
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
static int conn_parse_head(conn_t *c)
{
    server_t *srv = c->srv;
    const stub_config_t *cfg = srv->cfg;
    if (c->rlen == 0)
        return 1;
    if (!c->request_started) {
        c->request_started = true;
        if (c->served) /* the idle timer was running: the request clock starts now */
            conn_deadline(c, loop_now(srv->loop) + cfg->header_timeout_ns);
    }
    http_header_t headers[STUB_MAX_HEADERS];
    http_request_t req;
    int n = http_parse_request(c->rbuf, c->rlen, &req, headers, STUB_MAX_HEADERS,
                               STUB_MAX_HEADER_BYTES);
    if (n == HTTP_INCOMPLETE)
        return 1;
    if (n == HTTP_INVALID)
        return conn_fail(c, 400, "malformed request (bad request line, header or framing)");
    if (n == HTTP_TOO_LARGE)
        return conn_fail(c, 431, "request header section too large (over 16 KiB or 100 headers)");
    c->hlen = (size_t)n;
    c->route = route_of(cfg, &req);
    c->head_only = method_is(&req, "HEAD");
    c->keep_alive = req.keep_alive;
    c->http10 = req.minor_version == 0 && req.keep_alive;
    switch (req.body) {
    case HTTP_BODY_LENGTH:
        if (req.content_length > cfg->max_body)
            return conn_fail(c, 413, "request body larger than --max-body");
        c->req_end = c->hlen + (size_t)req.content_length;
        /* Room for the whole request at once only while it is small: a large
         * body gets memory as its bytes arrive (conn_fill grows the buffer),
         * so a header line alone cannot reserve --max-body per connection. */
        if (c->req_end <= RBUF_KEEP_MAX && rbuf_grow(c, c->req_end))
            return conn_fail(c, 500, "out of memory");
        break;
    case HTTP_BODY_CHUNKED:
        c->chunked = true;
        http_chunked_init(&c->dec);
        c->raw = c->hlen;
        c->dlen = 0;
        break;
    case HTTP_BODY_NONE:
    case HTTP_BODY_CLOSE: /* not a request framing: no body */
        c->req_end = c->hlen;
        break;
    }
    if (req.expect_continue && (c->chunked || c->rlen < c->req_end))
        send_continue(c);
    c->state = CONN_BODY;
    return 0;
}

/* Returns 1 need more bytes, 0 progressed, -1 freed. */
static int conn_parse_body(conn_t *c)
{
    const stub_config_t *cfg = c->srv->cfg;
    if (!c->chunked) {
        if (c->rlen < c->req_end)
            return 1;
        return conn_dispatch(c, c->req_end - c->hlen);
    }
    if (c->rlen == c->raw)
        return 1;
    size_t n = c->rlen - c->raw;
    ssize_t rest = http_chunked_decode(&c->dec, c->rbuf + c->raw, &n);
    /* Decoded bytes are at rbuf + raw; move them to follow the body so far. */
    size_t dst = c->hlen + c->dlen;
    memmove(c->rbuf + dst, c->rbuf + c->raw, n);
    c->dlen += n;
    if (rest == HTTP_INVALID)
        return conn_fail(c, 400, "malformed chunked body");
    /* A chunk announced past the limit is refused now, as a Content-Length
     * would be, instead of after its bytes have streamed in. */
    if (c->dlen > cfg->max_body || c->dec.chunk_left > cfg->max_body - c->dlen)
        return conn_fail(c, 413, "request body larger than --max-body");
    if (rest == HTTP_INCOMPLETE) {
        c->raw = c->rlen = dst + n;
        return 1;
    }
    /* Complete: the next message's bytes follow the decoded data. */
    memmove(c->rbuf + dst + n, c->rbuf + c->raw + n, (size_t)rest);
    c->req_end = dst + n;
    c->rlen = c->req_end + (size_t)rest;
    return conn_dispatch(c, c->dlen);
}

/* After a response: close, or move on to the next (maybe pipelined) request.
 * Returns 0, or -1 when c was freed. */
static int conn_response_done(conn_t *c)
{
    server_t *srv = c->srv;
    c->served = true;
    if (c->out.cap > OUT_KEEP_MAX)
        sbuf_free(&c->out);
    if (c->close_after) {
        if (c->peer_closed) {
            conn_close(c);
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
        c->state = CONN_LINGER;
        c->rlen = 0;
        conn_deadline(c, loop_now(srv->loop) + STUB_LINGER_NS);
        return 0;
    }
    /* Drop the request just answered; keep what follows it. */
    size_t rest = c->rlen - c->req_end;
    memmove(c->rbuf, c->rbuf + c->req_end, rest);
    c->rlen = rest;
    if (c->rbuf != c->inline_rbuf && c->rcap > RBUF_KEEP_MAX && rest <= STUB_INLINE_RBUF) {
        memcpy(c->inline_rbuf, c->rbuf, rest);
        free(c->rbuf);
        c->rbuf = c->inline_rbuf;
        c->rcap = STUB_INLINE_RBUF;
    }
    conn_reset_request(c);
    c->state = CONN_HEAD;
    conn_deadline(c, loop_now(srv->loop) + STUB_IDLE_NS);
    return 0;
}

/* Sends what remains of the response. Returns 1 would block, 0 all sent,
 * -1 freed. */
static int conn_flush(conn_t *c)
{
    size_t start = c->out_off;
    while (c->out_off < c->out.len) {
        ssize_t w = c->tls ? tls_send_some(c, c->out.data + c->out_off, c->out.len - c->out_off)
                           : send(c->io.fd, c->out.data + c->out_off, c->out.len - c->out_off,
                                  MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The write timeout measures a stall, not the whole transfer. */
            if (c->out_off > start)
                conn_deadline(c, loop_now(c->srv->loop) + c->srv->cfg->header_timeout_ns);
            return 1;
        }
        conn_close(c);
        return -1;
    }
    return 0;
}

typedef enum { FILL_DATA, FILL_AGAIN, FILL_EOF, FILL_ERROR } fill_t;

/* One recv into the free end of the read buffer (grown when full). */
static fill_t conn_fill(conn_t *c)
{
    if (c->rlen == c->rcap && rbuf_grow(c, c->rcap * 2))
        return FILL_ERROR;
    /* Edge-triggered: a short read emptied the socket, and any byte (or FIN)
     * arriving after it raises a new event, so until then a recv could only
     * say EAGAIN -- skip that syscall (as nginx does). Not after a FIN was
     * signalled (the end of stream must still be read), and not with TLS,
     * whose library may hold decrypted bytes. */
    if (!c->can_read && !c->tls)
        return FILL_AGAIN;
    for (;;) {
        size_t room = c->rcap - c->rlen;
        ssize_t r = c->tls ? tls_recv_some(c, c->rbuf + c->rlen, room)
                           : recv(c->io.fd, c->rbuf + c->rlen, room, MSG_DONTWAIT);
        if (r > 0) {
            c->rlen += (size_t)r;
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
static void conn_drive(conn_t *c)
{
    unsigned discards = 0;
    for (;;) {
        int r;
        fill_t f;
        switch (c->state) {
        case CONN_TLS: {
            char why[160];
            tls_status_t s = tls_handshake(c->tls, why, sizeof why);
            if (s == TLS_WANT_READ || s == TLS_WANT_WRITE)
                return;
            if (s == TLS_ERROR) { /* a client that does not trust us, or not TLS at all */
                conn_close(c);
                return;
            }
            c->state = CONN_HEAD;
            continue;
        }
        case CONN_HEAD:
        case CONN_BODY:
            r = c->state == CONN_HEAD ? conn_parse_head(c) : conn_parse_body(c);
            if (r < 0)
                return;
            if (r == 0)
                continue;
            f = conn_fill(c);
            if (f == FILL_DATA)
                continue;
            if (f == FILL_AGAIN)
                return;
            if (c->request_started)
                STAT_ADD(c->srv, client_disconnects, 1);
            conn_close(c);
            return;
        case CONN_WRITE:
            r = conn_flush(c);
            if (r != 0)
                return;
            if (conn_response_done(c) < 0)
                return;
            continue;
        case CONN_WAIT:
            /* Busy: read on only to notice a client that went away, and only
             * while the buffer has room (the rest waits in the socket). */
            if (c->peer_closed || c->rlen == c->rcap)
                return;
            f = conn_fill(c);
            if (f == FILL_DATA)
                continue;
            if (f == FILL_AGAIN)
                return;
            if (f == FILL_EOF) {
                c->peer_closed = true; /* answer anyway: it may be a half-close */
                return;
            }
            conn_close(c);
            return;
        case CONN_LINGER:
            /* A client streaming faster than we discard would hold this
             * thread: stop after a few reads. Edge-triggered, new bytes or
             * its FIN wake us again; the linger timer ends it either way. */
            if (++discards > LINGER_READS)
                return;
            c->rlen = 0; /* discard */
            f = conn_fill(c);
            if (f == FILL_DATA)
                continue;
            if (f == FILL_AGAIN)
                return;
            conn_close(c);
            return;
        default:
            assert(!"conn_drive: bad state");
            return;
        }
    }
}

static void conn_on_io(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)loop;
    conn_t *c = container_of(io, conn_t, io);
    if (events & LOOP_IN)
        c->can_read = true;
    if (events & LOOP_HUP)
        c->hup = true;
    conn_drive(c);
}

static void conn_on_timer(loop_t *loop, loop_timer_t *timer)
{
    (void)loop;
    conn_t *c = container_of(timer, conn_t, timer);
    if (!c->deadline_ns)
        return; /* dropped while the timer was pending */
    if (c->deadline_ns > loop_now(loop)) {
        loop_timer_set(loop, timer, c->deadline_ns); /* moved later: fire then */
        return;
    }
    c->deadline_ns = 0;
    switch (c->state) {
    case CONN_TLS:
        conn_close(c); /* no handshake within the header timeout */
        return;
    case CONN_HEAD:
        if (!c->request_started && c->served) {
            conn_close(c); /* idle keep-alive connection */
            return;
        }
        /* fallthrough */
    case CONN_BODY:
        if (conn_fail(c, 408, "request not received in time (--header-timeout)") == 0)
            conn_drive(c);
        return;
    case CONN_WAIT:
        if (c->has_worker) {
            c->has_worker = false;
            worker_release(c->srv);
        }
        if (conn_send(c) == 0)
            conn_drive(c);
        return;
    case CONN_WRITE:
    case CONN_LINGER:
        conn_close(c);
        return;
    default:
        assert(!"conn_on_timer: bad state");
    }
}

void conn_drain_all(server_t *srv)
{
    conn_t *c = srv->conns;
    while (c) {
        conn_t *next = c->next;
        if (c->state == CONN_TLS || c->state == CONN_HEAD || c->state == CONN_BODY ||
            c->state == CONN_LINGER)
            conn_close(c);
        else
            c->close_after = true;
        c = next;
    }
}
