/* h2serve — the stub's HTTP/2 connections (see h2serve.h).
 *
 *   a stream:  HEADERS/DATA in -> (END_STREAM) its request, as HTTP/1.1,
 *              into a socketless sconn -> sconn's answer, framed by h1resp
 *              -> :status + fields (HEADERS), decoded body (DATA) -> closed
 *
 * A connection reads and feeds nghttp2, then writes what it has in one go.
 * Answers written by timers (the latency model, the engine's steps,
 * scripts) are written by the connection's flush timer, set for "now": it
 * runs in the same loop iteration, after every answer made in it -- one
 * write for all of them, and never a write (with the stream closings it
 * brings) from inside a stream's own code. Each stream's decoded body waits in its own buffer for
 * the client's flow-control window; past DATA_HIGH bytes the stream's
 * writer is told to wait (h2serve_write returns 1) and is driven again
 * when its frames have left. */
#include "stub/h2serve.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "core/clock.h"
#include "core/container.h"
#include "core/h1resp.h"
#include "core/http.h"
#include "stub/sconn.h"

#define RBUF_SIZE 16384
#define WBUF_HIGH (64 * 1024) /* frames gathered per write */
#define DATA_HIGH (256 * 1024)
#define FIELDS_MAX (64 * 1024) /* more is cut here; the request parser answers 431 */
#define RESP_HEAD_MAX 4096
#define RESP_FIELDS_MAX 32
#define KEEP_MAX 65536 /* a stream buffer larger than this is freed after use */
#define STREAM_WINDOW (1u << 20)
#define CONN_WINDOW (16 << 20)

typedef struct h2sconn h2sconn_t;

struct h2sstream {
    h2sconn_t *conn;
    sconn_t *c;        /* its request's connection object, until the answer is whole */
    int32_t id;        /* 0: free */
    h2sstream_t *next; /* free list */
    h2sstream_t *wake_next;
    h2sstream_t *all_next; /* every record of the connection */
    /* the request */
    char method[24];
    size_t method_len;
    sbuf_t path, authority, fields, body;
    bool dispatched;
    bool early; /* answered before the client finished: RST_STREAM NO_ERROR after */
    /* Its HEADERS came then (until dispatched); then when its answer's
     * bytes last began to wait or were last taken (h2s_on_timer). */
    uint64_t since_ns;
    bool cut; /* reset (at since_ns): its answer was cut short or not taken */
    /* the answer */
    h1resp_t resp;
    sbuf_t raw;  /* HTTP/1.1 bytes being framed */
    sbuf_t data; /* decoded body, data[data_off ..) waiting for DATA frames */
    size_t data_off;
    bool framing;   /* resp initialised */
    bool submitted; /* HEADERS submitted */
    bool answered;  /* the whole answer is framed */
    bool deferred;  /* the data provider is waiting for bytes */
    bool blocked;   /* the writer was told to wait */
    bool woken;     /* on the wake list */
};

struct h2sconn {
    loop_io_t io;
    tls_conn_t *tls;
    loop_timer_t timer;       /* idle */
    loop_timer_t flush_timer; /* set for now: write what the streams made */
    server_t *srv;
    h2sconn_t *prev, *next; /* srv->h2conns */
    nghttp2_session *ng;
    char *wbuf;
    size_t wlen, woff, wcap;
    h2sstream_t *all, *free_streams, *wake;
    unsigned open; /* streams in progress */
    uint64_t idle_since;
    bool in_io;   /* inside our own handler: write at its end */
    bool closing; /* freeing its streams: no resets */
    bool goaway;  /* draining: a GOAWAY went out */
    bool can_read;
    char rbuf[RBUF_SIZE];
};

static void h2s_on_io(loop_t *loop, loop_io_t *io, unsigned events);
static void h2s_on_timer(loop_t *loop, loop_timer_t *timer);
static void h2s_on_flush(loop_t *loop, loop_timer_t *timer);
static void dispatch(h2sstream_t *st, uint64_t body_len, bool owed);
static void reset(h2sstream_t *st, uint32_t code);

int h2serve_preface(const char *buf, size_t len)
{
    static const char p[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"; /* RFC 9113 §3.4 */
    size_t n = len < sizeof p - 1 ? len : sizeof p - 1;
    if (memcmp(buf, p, n) != 0)
        return 0;
    return n == sizeof p - 1 ? 1 : -1;
}

/* ---- stream records ---- */

static h2sstream_t *stream_get(h2sconn_t *h)
{
    h2sstream_t *st = h->free_streams;
    if (st) {
        h->free_streams = st->next;
    } else {
        st = calloc(1, sizeof *st);
        if (!st)
            return NULL;
        st->all_next = h->all;
        h->all = st;
    }
    st->conn = h;
    st->c = NULL;
    st->method_len = 0;
    sbuf_reset(&st->path);
    sbuf_reset(&st->authority);
    sbuf_reset(&st->fields);
    sbuf_reset(&st->body);
    sbuf_reset(&st->raw);
    sbuf_reset(&st->data);
    st->data_off = 0;
    st->dispatched = st->early = st->cut = false;
    st->framing = st->submitted = st->answered = st->deferred = st->blocked = false;
    return st;
}

static void shrink(sbuf_t *b)
{
    if (b->cap > KEEP_MAX)
        sbuf_free(b);
}

static void stream_put(h2sconn_t *h, h2sstream_t *st)
{
    if (st->woken) { /* rare: a stream reset while its writer was to be woken */
        for (h2sstream_t **pp = &h->wake; *pp; pp = &(*pp)->wake_next)
            if (*pp == st) {
                *pp = st->wake_next;
                break;
            }
        st->woken = false;
    }
    st->id = 0;
    shrink(&st->path);
    shrink(&st->fields);
    shrink(&st->body);
    shrink(&st->raw);
    shrink(&st->data);
    st->next = h->free_streams;
    h->free_streams = st;
}

static void wake(h2sstream_t *st)
{
    if (st->woken || !st->c)
        return;
    st->woken = true;
    st->wake_next = st->conn->wake;
    st->conn->wake = st;
}

/* ---- the connection ---- */

static void h2s_free(h2sconn_t *h)
{
    server_t *srv = h->srv;
    h->closing = true;
    for (h2sstream_t *st = h->all; st; st = st->all_next)
        if (st->c) {
            sconn_t *c = st->c;
            st->c = NULL;
            sconn_close(c);
        }
    loop_timer_cancel(srv->loop, &h->timer);
    loop_timer_cancel(srv->loop, &h->flush_timer);
    nghttp2_session_del(h->ng);
    if (h->io.fd >= 0) {
        loop_del(srv->loop, &h->io);
        close(h->io.fd);
    }
    tls_conn_free(h->tls, false);
    if (h->prev)
        h->prev->next = h->next;
    else
        srv->h2conns = h->next;
    if (h->next)
        h->next->prev = h->prev;
    while (h->all) {
        h2sstream_t *st = h->all;
        h->all = st->all_next;
        sbuf_free(&st->path);
        sbuf_free(&st->authority);
        sbuf_free(&st->fields);
        sbuf_free(&st->body);
        sbuf_free(&st->raw);
        sbuf_free(&st->data);
        free(st);
    }
    free(h->wbuf);
    free(h);
    srv->nconns--;
    STAT_SUB(srv, connections, 1);
    if (srv->draining)
        server_conn_closed(srv);
}

static int append_out(h2sconn_t *h, const uint8_t *p, size_t n)
{
    if (h->wlen + n > h->wcap) {
        size_t cap = h->wcap ? h->wcap * 2 : WBUF_HIGH + 16384;
        while (cap < h->wlen + n)
            cap *= 2;
        char *nb = realloc(h->wbuf, cap);
        if (!nb)
            return ENOMEM;
        h->wbuf = nb;
        h->wcap = cap;
    }
    memcpy(h->wbuf + h->wlen, p, n);
    h->wlen += n;
    return 0;
}

/* Writes what waits, then what nghttp2 has. 0, or -1: the connection broke. */
static int write_out(h2sconn_t *h)
{
    for (;;) {
        while (h->woff < h->wlen) {
            ssize_t n = h->tls ? tls_send_like(h->tls, h->wbuf + h->woff, h->wlen - h->woff)
                               : send(h->io.fd, h->wbuf + h->woff, h->wlen - h->woff,
                                      MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                h->woff += (size_t)n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return 0;
            return -1;
        }
        h->woff = h->wlen = 0;
        while (h->wlen < WBUF_HIGH) {
            const uint8_t *p;
            ssize_t n = nghttp2_session_mem_send(h->ng, &p);
            if (n < 0 || (n > 0 && append_out(h, p, (size_t)n)))
                return -1;
            if (n == 0)
                break;
        }
        if (h->wlen == 0)
            return 0;
    }
}

/* Writes, drives the streams whose frames left, and again; closes the
 * connection when it is over. Returns 0, or -1 when h was freed. */
static int h2s_flush(h2sconn_t *h)
{
    bool was = h->in_io;
    h->in_io = true;
    for (;;) {
        if (write_out(h) != 0) {
            h2s_free(h);
            return -1;
        }
        if (!h->wake)
            break;
        while (h->wake) {
            h2sstream_t *st = h->wake;
            h->wake = st->wake_next;
            st->woken = false;
            if (st->c)
                sconn_drive(st->c); /* may free it */
        }
    }
    h->in_io = was;
    if (!was && !nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng)) {
        h2s_free(h);
        return -1;
    }
    return 0;
}

/* Frames are waiting: written by the flush timer (or at the end of the
 * connection's own event). */
static void want_flush(h2sconn_t *h)
{
    if (h->in_io || loop_timer_pending(&h->flush_timer))
        return;
    server_t *srv = h->srv;
    /* (No memory for the heap: the connection's next event writes.) */
    loop_timer_set(srv->loop, &h->flush_timer, loop_now(srv->loop));
}

static void h2s_on_flush(loop_t *loop, loop_timer_t *timer)
{
    (void)loop;
    h2s_flush(container_of(timer, h2sconn_t, flush_timer));
}

/* Reads and feeds nghttp2 until the socket is empty. 0, or -1: over. */
static int read_in(h2sconn_t *h)
{
    if (!h->can_read && !h->tls)
        return 0;
    for (;;) {
        ssize_t n = h->tls ? tls_recv_like(h->tls, h->rbuf, sizeof h->rbuf)
                           : recv(h->io.fd, h->rbuf, sizeof h->rbuf, MSG_DONTWAIT);
        if (n > 0) {
            if (nghttp2_session_mem_recv(h->ng, (const uint8_t *)h->rbuf, (size_t)n) < 0)
                return -1;
            if (!h->tls && (size_t)n < sizeof h->rbuf) {
                h->can_read = false; /* edge-triggered: the next bytes raise a new event */
                return 0;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            h->can_read = false;
            return 0;
        }
        return -1; /* end of stream or error */
    }
}

static void h2s_on_io(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)loop;
    h2sconn_t *h = container_of(io, h2sconn_t, io);
    if (events & (LOOP_IN | LOOP_ERR | LOOP_HUP))
        h->can_read = true;
    h->in_io = true;
    if (read_in(h) != 0) {
        write_out(h); /* a GOAWAY nghttp2 queued, best effort */
        h2s_free(h);
        return;
    }
    h->in_io = false;
    h2s_flush(h);
}

/* Streams keep HTTP/1.1's clock (--header-timeout): a request not whole
 * within it of its HEADERS gets 408 (dispatched with its body still owed,
 * so sconn's timer answers it), and an answer whose bytes the client takes
 * none of for as long is reset -- else a client could hold its streams,
 * and their answers' memory, for as long as it keeps the connection. The
 * timer runs at least once per timeout, so a stream that begins between
 * two runs is not due before the next; no timer work per stream. */
static void h2s_on_timer(loop_t *loop, loop_timer_t *timer)
{
    h2sconn_t *h = container_of(timer, h2sconn_t, timer);
    uint64_t now = loop_now(loop), limit = h->srv->cfg->header_timeout_ns;
    if (h->open == 0 && now - h->idle_since >= STUB_IDLE_NS) {
        nghttp2_session_terminate_session(h->ng, NGHTTP2_NO_ERROR);
        write_out(h);
        h2s_free(h);
        return;
    }
    uint64_t next = now + limit;
    if (h->open == 0 && h->idle_since + STUB_IDLE_NS < next)
        next = h->idle_since + STUB_IDLE_NS;
    bool deaf = false;
    h->in_io = true; /* what the walk answers is written once, below */
    for (h2sstream_t *st = h->all; st; st = st->all_next) {
        bool waiting = st->id > 0 && !st->dispatched;
        bool stalled = st->id > 0 && st->dispatched && !st->c &&
                       (st->cut || (st->answered && st->data_off < st->data.len));
        if (!waiting && !stalled)
            continue;
        if (st->since_ns + limit > now) {
            if (st->since_ns + limit < next)
                next = st->since_ns + limit;
        } else if (waiting) {
            st->early = true; /* the client may still be sending */
            dispatch(st, st->body.len, true);
        } else if (st->cut) {
            deaf = true; /* not even its reset left in a timeout: nothing is read */
        } else {
            reset(st, NGHTTP2_INTERNAL_ERROR);
            st->cut = true;
            st->since_ns = now;
        }
    }
    h->in_io = false;
    if (deaf) {
        h2s_free(h);
        return;
    }
    loop_timer_set(loop, timer, next);
    h2s_flush(h); /* may free h */
}

/* ---- a stream's request ---- */

static void reset(h2sstream_t *st, uint32_t code)
{
    if (st->id > 0 && !st->conn->closing)
        nghttp2_submit_rst_stream(st->conn->ng, NGHTTP2_FLAG_NONE, st->id, code);
}

/* Copies n bytes to p and returns the end. An empty buffer is NULL (a
 * request without fields, authority or body), and memcpy from NULL is
 * undefined even for 0 bytes. */
static char *put(char *p, const void *src, size_t n)
{
    if (n)
        memcpy(p, src, n);
    return p + n;
}

/* The request, as the HTTP/1.1 bytes sconn.c parses; then it runs. A body
 * over --max-body is not carried: its length alone gets the 413. owed: the
 * request timed out unfinished; its body is sent as still to come, and
 * sconn's timer, due now, answers 408 in the route's error shape. */
static void dispatch(h2sstream_t *st, uint64_t body_len, bool owed)
{
    server_t *srv = st->conn->srv;
    sconn_t *c = sconn_stream_new(srv, st);
    if (!c) {
        reset(st, NGHTTP2_INTERNAL_ERROR);
        return;
    }
    st->c = c;
    st->dispatched = true;
    bool carried = body_len == st->body.len && !owed;
    char cl[64];
    int cln = owed ? snprintf(cl, sizeof cl, "Transfer-Encoding: chunked\r\n\r\n")
                   : snprintf(cl, sizeof cl, "Content-Length: %llu\r\n\r\n",
                              (unsigned long long)body_len);
    static const char ver[] = " HTTP/1.1\r\nHost: ";
    size_t need = st->method_len + 1 + st->path.len + sizeof ver - 1 + st->authority.len + 2 +
                  st->fields.len + (size_t)cln + (carried ? st->body.len : 0);
    request_t *rq = &c->rq;
    if (request_grow(rq, need)) {
        sconn_close(c);
        return;
    }
    char *p = rq->buf;
    p = put(p, st->method, st->method_len);
    *p++ = ' ';
    p = put(p, st->path.data, st->path.len);
    p = put(p, ver, sizeof ver - 1);
    p = put(p, st->authority.data, st->authority.len);
    *p++ = '\r';
    *p++ = '\n';
    p = put(p, st->fields.data, st->fields.len);
    p = put(p, cl, (size_t)cln);
    if (carried)
        p = put(p, st->body.data, st->body.len);
    rq->len = (size_t)(p - rq->buf);
    if (owed && sconn_deadline(c, loop_now(srv->loop))) {
        sconn_close(c);
        return;
    }
    sconn_drive(c);
}

static h2sstream_t *stream_of(h2sconn_t *h, int32_t id)
{
    h2sstream_t *st = nghttp2_session_get_stream_user_data(h->ng, id);
    return st && st->id == id ? st : NULL;
}

static int cb_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
    h2sconn_t *h = arg;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    h2sstream_t *st = stream_get(h);
    if (!st) {
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_INTERNAL_ERROR);
        return 0;
    }
    st->id = frame->hd.stream_id;
    st->since_ns = loop_now(h->srv->loop);
    nghttp2_session_set_stream_user_data(ng, st->id, st);
    h->open++;
    return 0;
}

/* Fields a request may not carry into HTTP/1.1 as they are: we frame the
 * body ourselves and the connection is not HTTP/1.1's. */
static bool skipped(const uint8_t *name, size_t n)
{
    static const char *const names[] = {
        "content-length", "transfer-encoding", "connection", "keep-alive",
        "expect",         "upgrade",           "te",         "host"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && !memcmp(names[i], name, n))
            return true;
    return false;
}

static int cb_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *arg)
{
    (void)ng;
    (void)flags;
    h2sstream_t *st = stream_of(arg, frame->hd.stream_id);
    if (!st || frame->hd.type != NGHTTP2_HEADERS || st->dispatched)
        return 0;
    int rc = 0;
    if (namelen == 7 && !memcmp(name, ":method", 7)) {
        if (valuelen >= sizeof st->method)
            valuelen = sizeof st->method - 1; /* the parser answers a method it does not know */
        memcpy(st->method, value, valuelen);
        st->method_len = valuelen;
    } else if (namelen == 5 && !memcmp(name, ":path", 5)) {
        rc = sbuf_append(&st->path, value, valuelen);
    } else if (namelen == 10 && !memcmp(name, ":authority", 10)) {
        rc = sbuf_append(&st->authority, value, valuelen);
    } else if (namelen == 4 && !memcmp(name, "host", 4) && st->authority.len == 0) {
        rc = sbuf_append(&st->authority, value, valuelen);
    } else if (name[0] != ':' && !skipped(name, namelen) && st->fields.len < FIELDS_MAX) {
        rc = sbuf_append(&st->fields, name, namelen) || sbuf_puts(&st->fields, ": ") ||
             sbuf_append(&st->fields, value, valuelen) || sbuf_puts(&st->fields, "\r\n");
    }
    return rc ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0; /* out of memory: the stream resets */
}

static int cb_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *arg)
{
    (void)ng;
    (void)flags;
    h2sconn_t *h = arg;
    h2sstream_t *st = stream_of(h, id);
    if (!st || st->dispatched)
        return 0;
    if (st->body.len + len > h->srv->cfg->max_body) {
        st->early = true; /* 413 now: the rest of the body is not waited for */
        dispatch(st, st->body.len + len, false);
        return 0;
    }
    return sbuf_append(&st->body, data, len) ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
}

static int cb_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
    (void)ng;
    h2sconn_t *h = arg;
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    h2sstream_t *st = stream_of(h, frame->hd.stream_id);
    if (st && !st->dispatched)
        dispatch(st, st->body.len, false);
    return 0;
}

static int cb_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
    h2sconn_t *h = arg;
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    h2sstream_t *st = stream_of(h, frame->hd.stream_id);
    /* Answered before the client finished sending: it may stop now
     * (RFC 9113 §8.1). */
    if (st && st->early)
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
    return 0;
}

static int cb_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
    (void)code;
    h2sconn_t *h = arg;
    h2sstream_t *st = stream_of(h, id);
    if (!st)
        return 0;
    nghttp2_session_set_stream_user_data(ng, id, NULL);
    if (st->c) { /* the client reset it, or its answer was cut short */
        sconn_t *c = st->c;
        st->c = NULL;
        if (!st->answered)
            STAT_ADD(h->srv, client_disconnects, 1);
        sconn_close(c);
    }
    stream_put(h, st);
    if (--h->open == 0)
        h->idle_since = loop_now(h->srv->loop);
    return 0;
}

/* ---- a stream's answer ---- */

/* skipped(), for the answer's own (mixed-case) field names. */
static bool skipped_any_case(const char *name, size_t n)
{
    char low[32];
    if (n > sizeof low)
        return false;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    return skipped((const uint8_t *)low, n);
}

static ssize_t cb_read_data(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length,
                            uint32_t *flags, nghttp2_data_source *source, void *arg)
{
    (void)ng;
    (void)id;
    (void)arg;
    h2sstream_t *st = source->ptr;
    size_t avail = st->data.len - st->data_off;
    if (avail == 0 && !st->answered) {
        st->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = avail < length ? avail : length;
    memcpy(buf, st->data.data + st->data_off, n);
    st->data_off += n;
    st->since_ns = loop_now(st->conn->srv->loop); /* the client takes the answer */
    if (st->data_off == st->data.len) {
        st->data.len = st->data_off = 0;
        if (st->answered)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    if (st->blocked && st->data.len - st->data_off < DATA_HIGH / 2) {
        st->blocked = false;
        wake(st);
    }
    return (ssize_t)n;
}

static size_t on_answer_body(void *arg, const char *data, size_t len, bool end)
{
    (void)end;
    h2sstream_t *st = arg;
    if (len && sbuf_append(&st->data, data, len))
        return len; /* out of memory: dropped (the client sees a short body) */
    return len;
}

/* :status and the answer's fields, lower-cased, without HTTP/1.1's
 * connection fields; a body to follow unless the answer is whole without. */
static int submit_answer(h2sstream_t *st, bool no_body)
{
    http_header_t hdrs[RESP_FIELDS_MAX];
    http_response_t res;
    if (http_parse_response(st->raw.data, st->resp.head_len, &res, hdrs, RESP_FIELDS_MAX,
                            RESP_HEAD_MAX, st->c->rq.head_only) <= 0)
        return -1;
    nghttp2_nv nv[RESP_FIELDS_MAX + 1];
    char names[RESP_HEAD_MAX], status[4];
    size_t n = 0, used = 0;
    snprintf(status, sizeof status, "%03d", res.status);
    nv[n++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status, 7, 3, NGHTTP2_NV_FLAG_NONE};
    for (size_t i = 0; i < res.num_headers; i++) {
        const http_header_t *f = &hdrs[i];
        bool length = f->name_len == 14 && !strncasecmp(f->name, "content-length", 14);
        if ((skipped_any_case(f->name, f->name_len) && !length) ||
            used + f->name_len > sizeof names)
            continue;
        for (size_t k = 0; k < f->name_len; k++)
            names[used + k] = (char)tolower((unsigned char)f->name[k]);
        nv[n++] = (nghttp2_nv){(uint8_t *)names + used, (uint8_t *)f->value, f->name_len,
                               f->value_len, NGHTTP2_NV_FLAG_NONE};
        used += f->name_len;
    }
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = cb_read_data};
    if (nghttp2_submit_response(st->conn->ng, st->id, nv, n, no_body ? NULL : &dp) != 0)
        return -1;
    st->submitted = true;
    return 0;
}

int h2serve_write(sconn_t *c, const char *data, size_t len)
{
    h2sstream_t *st = c->h2;
    h2sconn_t *h = st->conn;
    if (st->data.len - st->data_off >= DATA_HIGH) {
        st->blocked = true;
        return 1;
    }
    if (!st->framing) {
        h1resp_init(&st->resp, c->rq.head_only, false, RESP_HEAD_MAX, UINT64_MAX, on_answer_body,
                    st);
        st->framing = true;
    }
    if (st->answered)
        return 0;                     /* bytes after the answer (none are written): ignored */
    if (st->data_off == st->data.len) /* bytes begin to wait for the client now */
        st->since_ns = loop_now(h->srv->loop);
    if (sbuf_append(&st->raw, data, len)) {
        sconn_close(c);
        return -1;
    }
    int f = h1resp_feed(&st->resp, st->raw.data, &st->raw.len);
    if ((f != 0 && f != HTTP_INCOMPLETE) ||
        (st->resp.have_head && !st->submitted &&
         submit_answer(st, f == 0 && st->data.len == st->data_off) != 0)) {
        sconn_close(c); /* not an answer we can frame (a bug): the stream resets */
        return -1;
    }
    if (f == 0)
        st->answered = true;
    if (st->deferred && st->submitted) {
        st->deferred = false;
        nghttp2_session_resume_data(h->ng, st->id);
    }
    want_flush(h);
    return 0;
}

void h2serve_sconn_closed(sconn_t *c)
{
    h2sstream_t *st = c->h2;
    if (!st || st->c != c)
        return;
    st->c = NULL;
    if (!st->answered) { /* cut short: a script's drop or reset, a stalled write */
        reset(st, NGHTTP2_INTERNAL_ERROR);
        st->cut = true;
        st->since_ns = loop_now(st->conn->srv->loop);
        want_flush(st->conn);
    }
}

/* ---- accepting, draining ---- */

int h2serve_accept(server_t *srv, int fd, tls_conn_t *tls, const char *pre, size_t len)
{
    if (srv->draining) {
        tls_conn_free(tls, false);
        close(fd);
        return ECONNABORTED;
    }
    h2sconn_t *h = calloc(1, sizeof *h);
    nghttp2_session_callbacks *cb = NULL;
    nghttp2_option *opt = NULL;
    int rc = ENOMEM;
    if (!h || nghttp2_session_callbacks_new(&cb) || nghttp2_option_new(&opt))
        goto fail;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, cb_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, cb_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cb_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, cb_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, cb_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, cb_stream_close);
    if (nghttp2_session_server_new2(&h->ng, cb, h, opt))
        goto fail;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)srv->cfg->h2_max_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
    };
    if (nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv, 2) ||
        nghttp2_session_set_local_window_size(h->ng, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW))
        goto fail;
    h->srv = srv;
    h->tls = tls;
    h->io.fd = fd;
    h->io.fn = h2s_on_io;
    h->can_read = true;
    loop_timer_init(&h->timer, h2s_on_timer);
    loop_timer_init(&h->flush_timer, h2s_on_flush);
    if ((rc = loop_add(srv->loop, &h->io, LOOP_IN | LOOP_OUT)) != 0)
        goto fail;
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    h->next = srv->h2conns;
    if (srv->h2conns)
        srv->h2conns->prev = h;
    srv->h2conns = h;
    srv->nconns++;
    STAT_ADD(srv, connections, 1);
    h->idle_since = loop_now(srv->loop);
    loop_timer_set(srv->loop, &h->timer, h->idle_since + srv->cfg->header_timeout_ns);
    h->in_io = true;
    if (len && nghttp2_session_mem_recv(h->ng, (const uint8_t *)pre, len) < 0) {
        h2s_free(h);
        return EPROTO;
    }
    h->in_io = false;
    h2s_on_io(srv->loop, &h->io, LOOP_IN);
    return 0;
fail:
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    if (h)
        nghttp2_session_del(h->ng);
    free(h);
    tls_conn_free(tls, false);
    close(fd);
    return rc;
}

void h2serve_drain_all(server_t *srv)
{
    h2sconn_t *h = srv->h2conns;
    while (h) {
        h2sconn_t *next = h->next;
        if (!h->goaway) {
            h->goaway = true;
            nghttp2_submit_goaway(h->ng, NGHTTP2_FLAG_NONE,
                                  nghttp2_session_get_last_proc_stream_id(h->ng), NGHTTP2_NO_ERROR,
                                  NULL, 0);
            h2s_flush(h); /* may free h */
        }
        h = next;
    }
}

void h2serve_free_all(server_t *srv)
{
    while (srv->h2conns)
        h2s_free(srv->h2conns);
}
