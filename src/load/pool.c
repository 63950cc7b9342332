/* pool — a thread's connections. The per-request fast paths are inline in
 * pool.h; what is here runs once per request only as pool_start, and
 * allocates only when the run outgrows what pool_init prepared. */
#include "load/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "load/record.h"

#define RECV_BUF_INITIAL 1024

static slot_t *slot_new(pool_t *p)
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
    if (conn_init(&s->conn, p->env, p->fmt->buf_size, RECV_BUF_INITIAL) != 0) {
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
    len =
        reqfmt_build(p->fmt, s->conn.wbuf, p->t + first_seq * p->nthreads, p->nthreads, n, &start);
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
        slot_t *s = slot_new(p);
        if (!s)
            return ENOMEM;
        slot_put(p, s);
    }
    return 0;
}

void pool_close(pool_t *p)
{
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
    if (p->max_slots && p->nslots >= p->max_slots)
        return false;
    slot_t *s = slot_new(p);
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
    for (size_t i = 0; i < p->nslots; i++)
        conn_abort(&p->slots[i]->conn, err);
}
