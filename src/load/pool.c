/* pool — a thread's connections. The per-request fast paths are inline in
 * pool.h; what is here runs once per request only as pool_start (HTTP/2:
 * pool_send_h2), and allocates only when the run outgrows what pool_init
 * prepared. */
#include "load/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "load/record.h"

#define RECV_BUF_INITIAL 1024
#define RECV_BUF_H2 16 /* an HTTP/2 slot's conn never reads */

static bool pool_send_h2(pool_t *p, uint64_t req_seq, uint64_t first_seq, uint64_t intended,
                         unsigned n, const uint64_t *item_ns);

static slot_t *slot_new(pool_t *p, size_t rcap)
{
    if (p->nslots == p->slots_cap) {
        size_t cap = p->slots_cap ? p->slots_cap * 2 : 16;
        slot_t **s = realloc(p->slots, cap * sizeof(*s));
        if (!s)
            return NULL;
        p->slots = s;
        p->slots_cap = cap;
    }
    slot_t *s = calloc(1, sizeof(*s) + p->batch * sizeof(uint64_t));
    if (!s)
        return NULL;
    if (p->stream_cap && stream_new(p->stream_cap, &s->stream) != 0) {
        free(s);
        return NULL;
    }
    if (conn_init(&s->conn, p->env, p->fmt->buf_size, rcap) != 0) {
        stream_free(s->stream);
        free(s);
        return NULL;
    }
    s->pool = p;
    s->conn.user = s;
    p->slots[p->nslots++] = s;
    return s;
}

static void slot_put(pool_t *p, slot_t *s)
{
    s->conn.next = p->free_list;
    p->free_list = &s->conn;
}

void pool_start(pool_t *p, slot_t *s, uint64_t req_seq, uint64_t first_seq, uint64_t intended,
                unsigned n, const uint64_t *item_ns)
{
    const char *start;
    size_t len;
    s->req_seq = req_seq;
    s->first_seq = first_seq;
    s->intended_ns = intended;
    s->n = n;
    s->connect_ns = REQ_NO_CONNECT;
    memcpy(s->item_ns, item_ns, n * sizeof(uint64_t));
    if (s->stream)
        stream_begin(s->stream, intended);
    len = reqfmt_build(p->fmt, s->conn.wbuf, p->t + first_seq * p->nthreads, p->nthreads, n,
                       req_record_id(req_seq, p->t, p->nthreads), &start);
    conn_send(&s->conn, start, len);
}

int pool_init(pool_t *p, const conn_env_t *env, const reqfmt_t *fmt, unsigned t, unsigned nthreads,
              unsigned batch, size_t max_slots, size_t prealloc, size_t stream_cap)
{
    p->env = env;
    p->fmt = fmt;
    p->t = t;
    p->nthreads = nthreads;
    p->batch = batch;
    p->max_slots = max_slots;
    p->stream_cap = stream_cap;
    for (size_t i = 0; i < prealloc; i++) {
        slot_t *s = slot_new(p, RECV_BUF_INITIAL);
        if (!s)
            return ENOMEM;
        slot_put(p, s);
    }
    return 0;
}

void pool_close(pool_t *p)
{
    for (size_t i = 0; i < p->nh2; i++) {
        h2conn_close(p->h2conns[i]);
        free(p->h2conns[i]);
    }
    free(p->h2conns);
    for (size_t i = 0; i < p->nslots; i++) {
        conn_close(&p->slots[i]->conn);
        stream_free(p->slots[i]->stream);
        free(p->slots[i]);
    }
    free(p->slots);
}

bool pool_send_new(pool_t *p, uint64_t req_seq, uint64_t first_seq, uint64_t intended, unsigned n,
                   const uint64_t *item_ns)
{
    if (p->h2env)
        return pool_send_h2(p, req_seq, first_seq, intended, n, item_ns);
    if (p->max_slots && p->nslots >= p->max_slots)
        return false;
    slot_t *s = slot_new(p, RECV_BUF_INITIAL);
    if (!s)
        return false; /* ENOMEM: the request waits for a connection that frees up */
    pool_start(p, s, req_seq, first_seq, intended, n, item_ns);
    return true;
}

/* The request never left, so it is not an outcome: the caller puts it back at
 * the head of the waiting requests, the slot is retired, and the run
 * continues with the connections it has. Only when it has none at all is the
 * request counted (by the caller, as a connect error). */
bool pool_retire(pool_t *p, slot_t *s)
{
    size_t live = p->nslots - p->retired - 1;
    if (live == 0)
        return false;
    p->retired++;
    s->retired = true;
    p->max_slots = p->nslots; /* no new slots: existing ones may reconnect */
    if (p->fd_limited_at == 0 || live < p->fd_limited_at)
        p->fd_limited_at = live;
    return true;
}

void pool_abort(pool_t *p, conn_outcome_t err)
{
    for (size_t i = 0; i < p->nh2; i++)
        h2conn_abort(p->h2conns[i], err);
    for (size_t i = 0; i < p->nslots; i++)
        conn_abort(&p->slots[i]->conn, err);
}

/* ---- HTTP/2 ---- */

/* Open connections with room are listed; closed ones are reopened only when
 * no open one has room (h2_spare), so a load that fits fewer connections
 * keeps to them. */
static void list_ready(pool_t *p, h2conn_t *c)
{
    if (c->listed || c->state == H2CONN_CLOSED || h2conn_room(c) == 0)
        return;
    c->listed = true;
    c->next = p->h2_ready;
    p->h2_ready = c;
}

static h2conn_t *h2_new(pool_t *p)
{
    if (p->nh2 == p->h2_cap) {
        size_t cap = p->h2_cap ? p->h2_cap * 2 : 8;
        h2conn_t **a = realloc(p->h2conns, cap * sizeof(*a));
        if (!a)
            return NULL;
        p->h2conns = a;
        p->h2_cap = cap;
    }
    h2conn_t *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    if (h2conn_init(c, p->h2env) != 0) {
        h2conn_close(c);
        free(c);
        return NULL;
    }
    c->user = p;
    p->h2conns[p->nh2++] = c;
    return c;
}

/* A connection to open: a closed one (a scan: opening is rare), else a new
 * one within the limit. */
static h2conn_t *h2_spare(pool_t *p)
{
    for (size_t i = 0; i < p->nh2; i++)
        if (p->h2conns[i]->state == H2CONN_CLOSED && h2conn_room(p->h2conns[i]) > 0)
            return p->h2conns[i];
    if (p->max_h2 && p->nh2 >= p->max_h2)
        return NULL;
    return h2_new(p);
}

/* A connection with room: the most recently listed open one (so
 * connections fill before another opens), else one to open. Listed
 * connections that filled up or closed since are dropped on the way. */
static h2conn_t *h2_with_room(pool_t *p)
{
    while (p->h2_ready) {
        h2conn_t *c = p->h2_ready;
        if (c->state != H2CONN_CLOSED && h2conn_room(c) > 0)
            return c;
        p->h2_ready = c->next;
        c->listed = false;
    }
    return h2_spare(p);
}

static slot_t *h2_slot(pool_t *p)
{
    slot_t *s = p->h2_free;
    if (s) {
        p->h2_free = s->h2_next;
        return s;
    }
    return slot_new(p, RECV_BUF_H2);
}

/* The request in s goes out on c (which has room). */
static void h2_send(pool_t *p, h2conn_t *c, slot_t *s)
{
    if (c->state == H2CONN_CLOSED)
        c->serial = ++p->h2_serial; /* this submission opens it */
    s->h2 = c;
    if (s->stream)
        stream_begin(s->stream, s->intended_ns); /* (again for a retry: nothing of it counts) */
    h2conn_submit(c, s, s->h2_head, s->h2_head_len, s->h2_body, s->h2_body_len,
                  s->h2_retry.deadline_ns);
    list_ready(p, c); /* (re)opened: listed while it has room */
}

/* Where a refused request goes: a connection with room opened after the
 * one that refused it (a server that closes connections after N requests
 * refuses again on the old ones), else one to open, else -- at the
 * connection limit -- any with room: waiting for a fresh one could wait
 * for ever, with new requests queued behind. */
static h2conn_t *h2_fresh(pool_t *p, const slot_t *s)
{
    for (size_t i = 0; i < p->nh2; i++) {
        h2conn_t *c = p->h2conns[i];
        if (c->state != H2CONN_CLOSED && c->serial > s->h2_after && h2conn_room(c) > 0)
            return c;
    }
    h2conn_t *c = h2_spare(p);
    return c ? c : h2_with_room(p);
}

/* Requests waiting to go out again take the room there is, oldest first
 * (a scan of the connections: retries are rare). */
static void serve_retries(pool_t *p)
{
    while (p->retry_head) {
        h2conn_t *c = h2_fresh(p, p->retry_head);
        if (!c)
            return;
        slot_t *s = p->retry_head;
        p->retry_head = s->h2_next;
        if (!p->retry_head)
            p->retry_tail = NULL;
        h2_send(p, c, s);
    }
}

static bool pool_send_h2(pool_t *p, uint64_t req_seq, uint64_t first_seq, uint64_t intended,
                         unsigned n, const uint64_t *item_ns)
{
    if (p->retry_head)
        serve_retries(p);
    if (p->retry_head)
        return false; /* older requests wait for room first */
    h2conn_t *c = h2_with_room(p);
    if (!c)
        return false;
    slot_t *s = h2_slot(p);
    if (!s)
        return false; /* ENOMEM: the request waits for a stream that frees up */
    const char *start;
    s->req_seq = req_seq;
    s->first_seq = first_seq;
    s->intended_ns = intended;
    s->n = n;
    s->connect_ns = REQ_NO_CONNECT;
    h2retry_begin(&s->h2_retry, loop_now(p->h2env->loop), p->h2env->timeout_ns, p->h2_answered);
    memcpy(s->item_ns, item_ns, n * sizeof(uint64_t));
    size_t len = reqfmt_build(p->fmt, s->conn.wbuf, p->t + first_seq * p->nthreads, p->nthreads, n,
                              req_record_id(req_seq, p->t, p->nthreads), &start);
    size_t off = h2req_body_offset(start, len);
    /* A head that varies was built in the slot's own buffer (start is
     * inside it): its fields are translated from it as it goes out. */
    s->h2_head = p->h2env->fields->varies ? s->conn.wbuf + (start - s->conn.wbuf) : NULL;
    s->h2_head_len = off;
    s->h2_body = start + off;
    s->h2_body_len = len - off;
    h2_send(p, c, s);
    return true;
}

int pool_init_h2(pool_t *p, const h2conn_env_t *env, size_t max_conns, size_t prealloc_conns,
                 size_t prealloc_slots)
{
    p->h2env = env;
    p->max_h2 = max_conns;
    for (size_t i = 0; i < prealloc_conns; i++)
        if (!h2_new(p))
            return ENOMEM;
    for (size_t i = 0; i < prealloc_slots; i++) {
        slot_t *s = slot_new(p, RECV_BUF_H2);
        if (!s)
            return ENOMEM;
        s->h2_next = p->h2_free;
        p->h2_free = s;
    }
    return 0;
}

void pool_retry(pool_t *p, slot_t *s)
{
    s->h2_after = s->h2 ? s->h2->serial : p->h2_serial; /* after the one that refused it */
    s->h2_next = NULL;
    if (p->retry_tail)
        p->retry_tail->h2_next = s;
    else
        p->retry_head = s;
    p->retry_tail = s;
    serve_retries(p);
}

slot_t *pool_retry_pop(pool_t *p)
{
    slot_t *s = p->retry_head;
    if (s) {
        p->retry_head = s->h2_next;
        if (!p->retry_head)
            p->retry_tail = NULL;
    }
    return s;
}

void pool_h2_room(pool_t *p, h2conn_t *c)
{
    list_ready(p, c);
    serve_retries(p);
}

void pool_h2_freed(pool_t *p, slot_t *s)
{
    h2conn_t *c = s->h2;
    s->h2 = NULL;
    s->h2_next = p->h2_free;
    p->h2_free = s;
    if (c)
        list_ready(p, c);
    serve_retries(p);
}
