/* pool — a thread's connections and the FIFO of requests waiting for one.
 * The per-request fast paths are inline in pool.h; what is here runs once per
 * request only as pool_start, and allocates only when the run outgrows what
 * pool_init prepared. */
#include "load/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/csvlog.h"

#define RECV_BUF_INITIAL 1024
#define QUEUE_INITIAL 1024

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
    if (conn_init(&s->conn, p->env, p->fmt->buf_size, RECV_BUF_INITIAL) != 0) {
        free(s);
        return NULL;
    }
    s->pool = p;
    s->conn.user = s;
    p->slots[p->nslots++] = s;
    return s;
}

/* A connection for a new request: an idle one, else a new one within the limit. */
static slot_t *slot_get(pool_t *p)
{
    if (p->free_list) {
        conn_t *c = p->free_list;
        p->free_list = c->next;
        return c->user;
    }
    if (p->max_slots == 0 || p->nslots < p->max_slots)
        return slot_new(p); /* NULL on ENOMEM: the request waits in the FIFO */
    return NULL;
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
    s->connect_ns = CSVLOG_NO_CONNECT;
    memcpy(s->item_ns, item_ns, n * sizeof(uint64_t));
    len =
        reqfmt_build(p->fmt, s->conn.wbuf, p->t + first_seq * p->nthreads, p->nthreads, n, &start);
    p->inflight++;
    conn_send(&s->conn, start, len);
}

static int queue_grow(pool_t *p)
{
    size_t cap = p->q_cap ? p->q_cap * 2 : QUEUE_INITIAL;
    qreq_t *q = malloc(cap * sizeof(*q));
    uint64_t *items = malloc(cap * p->batch * sizeof(uint64_t));
    if (!q || !items) {
        free(q);
        free(items);
        return ENOMEM;
    }
    for (size_t i = 0; i < p->q_len; i++) {
        size_t from = (p->q_head + i) % p->q_cap;
        q[i] = p->q[from];
        memcpy(items + i * p->batch, p->q_items + from * p->batch, p->batch * sizeof(uint64_t));
    }
    free(p->q);
    free(p->q_items);
    p->q = q;
    p->q_items = items;
    p->q_cap = cap;
    p->q_head = 0;
    return 0;
}

int pool_init(pool_t *p, const conn_env_t *env, const reqfmt_t *fmt, unsigned t, unsigned nthreads,
              unsigned batch, size_t max_slots, size_t prealloc)
{
    p->env = env;
    p->fmt = fmt;
    p->t = t;
    p->nthreads = nthreads;
    p->batch = batch;
    p->max_slots = max_slots;
    if (queue_grow(p) != 0)
        return ENOMEM;
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
        free(p->slots[i]);
    }
    free(p->slots);
    free(p->q);
    free(p->q_items);
}

int pool_submit_slow(pool_t *p, uint64_t req_seq, uint64_t first_seq, uint64_t intended, unsigned n,
                     const uint64_t *item_ns)
{
    slot_t *s = p->q_len ? NULL : slot_get(p);
    if (s) {
        pool_start(p, s, req_seq, first_seq, intended, n, item_ns);
        return 0;
    }
    if (p->q_len == p->q_cap && queue_grow(p) != 0)
        return ENOMEM;
    size_t at = (p->q_head + p->q_len++) % p->q_cap;
    p->q[at] = (qreq_t){req_seq, first_seq, intended, n};
    memcpy(p->q_items + at * p->batch, item_ns, n * sizeof(uint64_t));
    return 0;
}

bool pool_pop_waiting(pool_t *p, qreq_t *r, const uint64_t **item_ns)
{
    if (p->q_len == 0)
        return false;
    size_t at = p->q_head;
    p->q_head = (p->q_head + 1) % p->q_cap;
    p->q_len--;
    *r = p->q[at];
    *item_ns = p->q_items + at * p->batch;
    return true;
}

void pool_start_waiting(pool_t *p, slot_t *s)
{
    qreq_t r;
    const uint64_t *item_ns;
    if (pool_pop_waiting(p, &r, &item_ns))
        pool_start(p, s, r.req_seq, r.first_seq, r.intended_ns, r.n, item_ns);
}

/* The request never left, so it is not an outcome: it goes back to the head
 * of the FIFO, the slot is retired, and the run continues with the
 * connections it has. Only when it has none at all is the request counted
 * (by the caller, as a connect error). */
bool pool_out_of_fds(pool_t *p, slot_t *s)
{
    size_t live = p->nslots - p->retired - 1;
    if (live == 0)
        return false;
    p->retired++;
    s->retired = true;
    p->max_slots = p->nslots; /* no new slots: existing ones may reconnect */
    if (p->fd_limited_at == 0 || live < p->fd_limited_at)
        p->fd_limited_at = live;
    if (p->q_len == p->q_cap && queue_grow(p) != 0)
        return false;
    p->q_head = (p->q_head + p->q_cap - 1) % p->q_cap;
    p->q_len++;
    p->q[p->q_head] = (qreq_t){s->req_seq, s->first_seq, s->intended_ns, s->n};
    memcpy(p->q_items + p->q_head * p->batch, s->item_ns, s->n * sizeof(uint64_t));
    /* The FIFO is drained only when a connection frees up: if one is idle
     * right now (a reconnect ran out of sockets), nothing else would. */
    if (p->free_list && !p->aborting) {
        conn_t *c = p->free_list;
        p->free_list = c->next;
        pool_start_waiting(p, c->user);
    }
    return true;
}

void pool_abort(pool_t *p, conn_outcome_t err)
{
    p->aborting = true;
    for (size_t i = 0; i < p->nslots; i++)
        conn_abort(&p->slots[i]->conn, err);
}
