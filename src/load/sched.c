/* sched — issuing, limits, warmup, batches and the FIFO, as pure logic. The
 * engine turns sched_wake into a loop timer and ops.submit into a connection;
 * the tests turn both into plain variables. */
#include "load/sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NEVER SCHED_NEVER
#define QUEUE_INITIAL 1024
#define REST_MIN_NS 10000000ull   /* 10 ms */
#define REST_MAX_NS 1000000000ull /* 1 s */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* ---- the FIFO of requests waiting for a connection ---- */

static int fifo_grow(sched_t *s)
{
    size_t cap = s->q_cap ? s->q_cap * 2 : QUEUE_INITIAL;
    sched_wait_t *q = malloc(cap * sizeof(*q));
    uint64_t *items = malloc(cap * s->batch * sizeof(uint64_t));
    if (!q || !items) {
        free(q);
        free(items);
        return ENOMEM;
    }
    for (size_t i = 0; i < s->q_len; i++) {
        size_t from = (s->q_head + i) % s->q_cap;
        q[i] = s->q[from];
        memcpy(items + i * s->batch, s->q_items + from * s->batch, s->batch * sizeof(uint64_t));
    }
    free(s->q);
    free(s->q_items);
    s->q = q;
    s->q_items = items;
    s->q_cap = cap;
    s->q_head = 0;
    return 0;
}

static void fifo_put(sched_t *s, size_t at, const sched_req_t *r)
{
    s->q[at] = (sched_wait_t){r->seq, r->first_item, r->intended_ns, r->n};
    memcpy(s->q_items + at * s->batch, r->item_ns, r->n * sizeof(uint64_t));
}

static int fifo_push_back(sched_t *s, const sched_req_t *r)
{
    if (s->q_len == s->q_cap && fifo_grow(s) != 0)
        return ENOMEM;
    if (s->q_len == 0)
        s->q_since = s->now;
    fifo_put(s, (s->q_head + s->q_len++) % s->q_cap, r);
    return 0;
}

static int fifo_push_front(sched_t *s, const sched_req_t *r)
{
    if (s->q_len == s->q_cap && fifo_grow(s) != 0)
        return ENOMEM;
    if (s->q_len == 0)
        s->q_since = s->now;
    s->q_head = (s->q_head + s->q_cap - 1) % s->q_cap;
    s->q_len++;
    fifo_put(s, s->q_head, r);
    return 0;
}

/* The head as a request; item_ns points into the ring (valid until it changes). */
static sched_req_t fifo_head(const sched_t *s)
{
    const sched_wait_t *w = &s->q[s->q_head];
    return (sched_req_t){.seq = w->seq,
                         .first_item = w->first_item,
                         .intended_ns = w->intended_ns,
                         .item_ns = s->q_items + s->q_head * s->batch,
                         .n = w->n,
                         .waited = true};
}

static void fifo_pop(sched_t *s)
{
    s->q_head = (s->q_head + 1) % s->q_cap;
    s->q_len--;
}

/* A connection is free: the oldest waiting request takes it. Popped only once
 * submitted, so a refusal leaves the FIFO as it was. */
static void offer_waiting(sched_t *s)
{
    if (s->q_len == 0)
        return;
    sched_req_t r = fifo_head(s);
    if (s->ops.submit(s->ops.arg, &r)) {
        s->inflight++;
        fifo_pop(s);
    }
}

/* Every waiting request ends unsent (stop, abort). */
static void fifo_fail_all(sched_t *s)
{
    while (s->q_len) {
        sched_req_t r = fifo_head(s);
        fifo_pop(s);
        s->ops.unsent(s->ops.arg, &r, s->now);
    }
}

/* Every waiting request is dropped: never sent, so never issued (closed loop,
 * the duration's end). The FIFO holds the newest requests, so the items that
 * remain issued are still the first ones, in order. */
static void fifo_drop_all(sched_t *s)
{
    while (s->q_len) {
        s->items_issued -= s->q[s->q_head].n;
        fifo_pop(s);
    }
}

/* The duration is over: nothing waits for a connection any longer, so nothing
 * is sent late. Open loop: the schedule offered what waits, so each request
 * ends unsent (recorded: the shortfall shows). Closed loop: a user waiting
 * for a connection is the client's own configuration (--connections below
 * --concurrency), not offered load; its request is dropped, not counted as a
 * failure. What is in flight keeps its drain. Idempotent. */
static void end_duration(sched_t *s)
{
    if (s->ended)
        return;
    s->ended = true;
    if (s->closed)
        fifo_drop_all(s);
    else
        fifo_fail_all(s);
}

/* ---- issuing ---- */

/* A request is ready: out now when nothing older waits and a connection is
 * free, else it waits (its times unchanged: the wait ages it). */
static void issue(sched_t *s, uint64_t first_item, uint64_t intended, unsigned n,
                  const uint64_t *item_ns)
{
    sched_req_t r = {s->req_seq++, first_item, intended, item_ns, n, false};
    s->items_issued += n;
    if (s->q_len == 0 && s->ops.submit(s->ops.arg, &r)) {
        s->inflight++;
        return;
    }
    /* Until older requests were waiting, a connection might have been free
     * at its time: how late the client came to it is the client's. A stall
     * of the client itself queues every request it overslept, and must not
     * read as the pool's (as the server's). */
    uint64_t until = s->q_len == 0 ? s->now : min_u64(s->now, s->q_since);
    bool clients = s->q_len == 0 || intended <= s->q_since;
    /* After the duration (the last batch, at its linger deadline) a request
     * leaves at once or not at all. */
    if (s->ended || fifo_push_back(s, &r) != 0) {
        s->ops.unsent(s->ops.arg, &r, s->now); /* counted rather than lost */
        return;
    }
    if (s->ops.queued && clients) /* (only once it waits: an unsent one has no send) */
        s->ops.queued(s->ops.arg, &r, until > intended ? until - intended : 0);
}

static uint64_t items_left(const sched_t *s)
{
    return s->items_limit == NEVER ? NEVER : s->items_limit - s->items_taken;
}

/* sched_wake's answer, kept current by every change that moves it: the
 * arrivals and batch deadlines (open_advance), the start, a rest, a drain. */
static void update_wake(sched_t *s)
{
    uint64_t w = s->killed ? NEVER : s->drain_at;
    if (!s->killed && !s->ended)
        w = min_u64(w, s->end_ns); /* what waits then ends, even after the items bound */
    if (!s->gen_done) {
        if (!s->closed) {
            w = min_u64(w, s->open_wake);
        } else {
            if (!s->started)
                w = min_u64(w, s->start_ns);
            w = min_u64(w, s->rest_until);
            w = min_u64(w, s->end_ns);
        }
    }
    s->wake = w;
}

/* Nothing will be issued any more; what is in flight gets until `deadline`
 * (NEVER: each request has its own timeout). The earliest deadline wins. */
static void begin_drain(sched_t *s, uint64_t deadline)
{
    s->gen_done = true;
    if (deadline < s->drain_at)
        s->drain_at = deadline;
    update_wake(s);
}

static uint64_t natural_drain(const sched_t *s, uint64_t now)
{
    return s->drain_ns > NEVER - 1 - now ? NEVER - 1 : now + s->drain_ns;
}

/* Closed loop: one user is ready to send again at `ready`. */
static void closed_issue(sched_t *s, uint64_t ready)
{
    if (s->gen_done)
        return;
    if (ready >= s->end_ns) {
        end_duration(s);
        begin_drain(s, natural_drain(s, ready));
        return;
    }
    bool warm = ready < s->measure_ns;
    uint64_t left = warm ? NEVER : items_left(s);
    unsigned n = left < s->batch ? (unsigned)left : s->batch;
    if (n == 0) {
        begin_drain(s, NEVER);
        return;
    }
    uint64_t first = s->items_taken;
    s->items_taken += n;
    if (warm && s->items_limit != NEVER)
        s->items_limit += n; /* warmup items do not count against the bound */
    for (unsigned i = 0; i < n; i++)
        s->release_ns[i] = ready;
    issue(s, first, ready, n, s->release_ns);
    if (items_left(s) == 0)
        begin_drain(s, NEVER);
}

/* Closed loop, the target refused the connection: the user rests before its
 * next request instead of retrying at once, so a dead target is probed rather
 * than flooded with refusals (and the log with rows). The rest doubles each
 * round the target keeps refusing and ends with the first connection that
 * succeeds. The next request is intended at the end of the rest: resting is
 * the user's think time, not latency. */
static void closed_rest(sched_t *s, uint64_t now)
{
    s->resting++;
    if (s->rest_until != NEVER)
        return;
    s->rest_ns = s->rest_ns ? min_u64(s->rest_ns * 2, REST_MAX_NS) : REST_MIN_NS;
    s->rest_until = now + s->rest_ns;
    update_wake(s);
}

static void release_batch(sched_t *s, uint64_t at)
{
    uint64_t first;
    unsigned n = batcher_take(&s->batcher, &first, s->release_ns);
    /* A batch of warmup items stays warmup even when it leaves after the
     * measurement began: it is timed from its last item, so it is not recorded. */
    if (n && s->release_ns[n - 1] < s->measure_ns && at >= s->measure_ns)
        at = s->release_ns[n - 1];
    if (n)
        issue(s, first, at, n, s->release_ns);
}

/* Open loop: hand out every arrival and batch deadline due by `now`, in time
 * order; open_wake is the next one. */
static void open_advance(sched_t *s, uint64_t now)
{
    bool more = !s->gen_done;
    for (;;) {
        uint64_t next = NEVER;
        if (more) {
            next = pacer_peek(&s->pacer, now);
            if ((next >= s->measure_ns && items_left(s) == 0) || next >= s->end_ns) {
                more = false;
                next = NEVER;
            }
        }
        uint64_t dl = batcher_deadline(&s->batcher);
        if (dl != BATCHER_NEVER && dl <= next && dl <= now) {
            release_batch(s, dl);
            continue;
        }
        if (next <= now) {
            uint64_t t = pacer_next(&s->pacer, now);
            /* Warmup items never share a request with measured ones, and do
             * not count against the items bound. */
            if (t >= s->measure_ns && batcher_size(&s->batcher) &&
                batcher_deadline(&s->batcher) - s->batcher.linger_ns < s->measure_ns)
                release_batch(s, t);
            if (t < s->measure_ns && s->items_limit != NEVER)
                s->items_limit++;
            if (batcher_add(&s->batcher, s->items_taken++, t))
                release_batch(s, t);
            continue;
        }
        if (!more && batcher_size(&s->batcher) == 0) {
            bool by_duration = s->items_limit == NEVER || items_left(s) > 0;
            begin_drain(s, by_duration ? natural_drain(s, now) : NEVER);
            return;
        }
        s->open_wake = min_u64(next, dl);
        return;
    }
}

/* ---- the interface ---- */

int sched_init(sched_t *s, const sched_config_t *cfg, const sched_ops_t *ops)
{
    int rc;
    memset(s, 0, sizeof(*s));
    if (cfg->batch == 0)
        return EINVAL;
    s->ops = *ops;
    s->pacer = cfg->pacer;
    s->closed = cfg->pacer.mode == PACER_CLOSED;
    s->batch = cfg->batch;
    s->users = cfg->users;
    s->warmup_ns = cfg->warmup_ns;
    s->duration_ns = cfg->duration_ns;
    s->drain_ns = cfg->drain_ns;
    s->items_limit = cfg->items;
    s->drain_at = s->rest_until = s->wake = s->open_wake = NEVER;
    s->start_ns = s->measure_ns = s->end_ns = NEVER;
    if ((rc = batcher_init(&s->batcher, cfg->batch, cfg->linger_ns)) != 0)
        return rc;
    s->release_ns = calloc(cfg->batch, sizeof(uint64_t));
    if (!s->release_ns)
        return ENOMEM;
    return fifo_grow(s);
}

void sched_close(sched_t *s)
{
    batcher_close(&s->batcher);
    free(s->release_ns);
    free(s->q);
    free(s->q_items);
    memset(s, 0, sizeof(*s));
}

void sched_start(sched_t *s, uint64_t start_ns)
{
    s->start_ns = start_ns;
    s->measure_ns = start_ns + s->warmup_ns;
    s->end_ns = s->duration_ns ? s->measure_ns + s->duration_ns : NEVER;
    s->pacer.start_ns += start_ns;
    s->open_wake = start_ns;
    s->now = start_ns;
    update_wake(s);
}

sched_action_t sched_advance(sched_t *s, uint64_t now)
{
    s->now = now;
    if (s->killed)
        return SCHED_CONTINUE;
    if (now >= s->drain_at) {
        /* Time is up: what waits is never sent, a pending batch is dropped
         * (never issued: not recorded, not digested), in-flight ends. */
        s->killed = true;
        s->gen_done = true;
        fifo_fail_all(s);
        uint64_t first;
        batcher_take(&s->batcher, &first, s->release_ns);
        update_wake(s);
        return SCHED_ABORT;
    }
    if (!s->gen_done && s->closed) {
        if (!s->started && now >= s->start_ns) {
            /* The start: every user sends its first request. */
            s->started = true;
            for (uint64_t u = 0; u < s->users && !s->gen_done; u++)
                closed_issue(s, s->start_ns);
        }
        if (now >= s->rest_until) {
            s->rest_until = NEVER;
            for (; s->resting && !s->gen_done; s->resting--)
                closed_issue(s, now);
        }
        if (!s->gen_done && now >= s->end_ns)
            begin_drain(s, natural_drain(s, now));
    } else if (!s->gen_done && now >= s->start_ns) {
        open_advance(s, now);
    }
    if (!s->ended && now >= s->end_ns) {
        /* The duration ended: what waits ends now. When the items bound had
         * ended issuing before, what is in flight gets the duration's drain
         * too; otherwise open_advance begins it once the last batch left. */
        end_duration(s);
        if (s->gen_done)
            begin_drain(s, natural_drain(s, now));
    }
    update_wake(s);
    return SCHED_CONTINUE;
}

void sched_done(sched_t *s, uint64_t now, bool refused)
{
    s->now = now;
    s->inflight--;
    if (s->killed)
        return;
    offer_waiting(s);
    if (s->closed && !s->gen_done) {
        if (refused)
            closed_rest(s, now);
        else
            closed_issue(s, now);
    }
}

void sched_offer(sched_t *s, uint64_t now)
{
    s->now = now;
    if (s->killed)
        return;
    while (s->q_len) {
        size_t before = s->q_len;
        offer_waiting(s);
        if (s->q_len == before)
            return; /* not taken: no room left */
    }
}

void sched_connected(sched_t *s)
{
    s->rest_ns = 0;
}

int sched_requeue(sched_t *s, const sched_req_t *r, uint64_t now)
{
    s->now = now;
    if (sched_stopping(s) || s->ended)
        return ECANCELED; /* never sent late */
    if (fifo_push_front(s, r) != 0)
        return ENOMEM;
    s->inflight--;
    /* The FIFO is drained only when a connection frees up: if one is idle
     * right now (a reconnect ran out of sockets), nothing else would. */
    offer_waiting(s);
    return 0;
}

void sched_stop(sched_t *s, uint64_t now, uint64_t grace_ns)
{
    s->now = now;
    if (s->stopped || s->killed)
        return;
    s->stopped = true;
    uint64_t first;
    batcher_take(&s->batcher, &first, s->release_ns); /* never issued */
    fifo_fail_all(s);                                 /* the grace is for requests in flight */
    begin_drain(s, grace_ns > NEVER - 1 - now ? NEVER - 1 : now + grace_ns);
    update_wake(s);
}

bool sched_stopping(const sched_t *s)
{
    return s->stopped || s->killed;
}

uint64_t sched_items_issued(const sched_t *s)
{
    return s->items_issued;
}
