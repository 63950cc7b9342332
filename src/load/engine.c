/* engine — threads, schedules and the bookkeeping of every request.
 *
 * Each worker thread owns a loop, a connection pool with its FIFO of requests
 * waiting for a connection (pool.c), a pacer, a batcher, runstats and a CSV
 * block buffer; nothing mutable is shared while running. Latency counts from
 * the intended time (wrk2), so a request waiting in the FIFO still ages.
 * Before the clock, target_preflight (target.c) proves the server answers. */
#include "load/engine.h"
#include "core/container.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "load/batcher.h"
#include "load/conn.h"
#include "load/pacer.h"
#include "load/pool.h"
#include "load/reqfmt.h"
#include "load/target.h"
#include "load/validate.h"

#define NEVER UINT64_MAX
#define DRAIN_DEFAULT_NS (10 * CLOCK_NS_PER_S)
#define START_DELAY_NS (20 * CLOCK_NS_PER_MS)
#define REST_MIN_NS (10 * CLOCK_NS_PER_MS)
#define REST_MAX_NS CLOCK_NS_PER_S

typedef struct worker worker_t;

struct worker {
    const engine_config_t *cfg;
    unsigned t, nthreads;
    loop_t *loop;
    conn_env_t env;
    const reqfmt_t *fmt;
    bool items_mode; /* requests carry items (else: fixed body, 1 "item" each) */
    unsigned batch;
    pacer_t pacer;
    batcher_t batcher;
    runstats_t stats;
    csvlog_buf_t *csv;
    tls_resume_t tls_resume; /* the thread's session for resumption */
    char tls_error[160];     /* the first handshake failure's reason */
    bool tls_verify_failed;
    uint64_t started_wall_ns; /* wall clock at measure_ns */
    pool_t pool;              /* connections, and requests waiting for one */
    /* schedule */
    bool closed;
    uint64_t users; /* closed loop: requests kept in flight by this worker */
    uint64_t start_ns, measure_ns, end_ns;
    uint64_t items_limit, items_taken, items_sent, req_seq;
    uint64_t *release_ns;   /* batch entries: item times of a released batch */
    loop_timer_t tick;      /* open loop: next arrival or batch deadline; start */
    loop_timer_t end_timer; /* end of the duration */
    loop_timer_t drain_timer;
    loop_timer_t rest_timer; /* closed loop: users resting after a refused connection */
    uint64_t resting, rest_ns;
    loop_io_t stop_io; /* eventfd written by engine_stop */
    bool gen_done, draining, killing, finished, stop_seen;
    uint64_t last_done_ns;
    /* progress, read by the main thread (relaxed atomics) */
    uint64_t done_count, err_count;
    int exited;
    pthread_t th;
    int rc;
};

/* The one global: how engine_stop (a signal handler) finds the running engine. */
static struct {
    volatile sig_atomic_t stop;
    worker_t *volatile workers;
    volatile unsigned nworkers;
} g_run;

static void worker_check_finished(worker_t *w);

/* ---- recording ---- */

static void record(worker_t *w, uint64_t req_seq, uint64_t intended, unsigned n,
                   const uint64_t *item_ns, err_kind_t err, int status, uint64_t service_ns,
                   uint64_t bytes_in, uint64_t done, uint64_t connect_ns)
{
    __atomic_store_n(&w->done_count, w->done_count + 1, __ATOMIC_RELAXED);
    if (err != ERR_NONE)
        __atomic_store_n(&w->err_count, w->err_count + 1, __ATOMIC_RELAXED);
    if (done > w->last_done_ns)
        w->last_done_ns = done;
    if (intended < w->measure_ns)
        return; /* warmup: sent, not recorded */
    size_t second = (size_t)((intended - w->measure_ns) / CLOCK_NS_PER_S);
    uint64_t latency = done > intended ? done - intended : 0;
    runstats_record_request(&w->stats, second, err, status, n, latency, service_ns, bytes_in);
    if (err == ERR_NONE)
        for (unsigned i = 0; i < n; i++)
            runstats_record_item(&w->stats, second, done > item_ns[i] ? done - item_ns[i] : 0);
    if (w->csv)
        csvlog_row(w->csv, req_seq * w->nthreads + w->t + 1,
                   w->started_wall_ns + (intended - w->measure_ns), latency, status, service_ns, n,
                   bytes_in, err, connect_ns);
}

static err_kind_t judge(const worker_t *w, const conn_result_t *res, unsigned n)
{
    if (res->err != ERR_NONE)
        return res->err;
    validate_t v = w->cfg->validate;
    if (v == VALIDATE_NONE)
        return ERR_NONE;
    if (res->status >= 500)
        return ERR_HTTP_5XX;
    if (res->status >= 400)
        return ERR_HTTP_4XX;
    if (res->status < 200 || res->status >= 300)
        return ERR_INVALID_RESPONSE;
    if (v == VALIDATE_OUTPUTS && w->items_mode &&
        validate_outputs_count(res->body, res->body_len) != (long)n)
        return ERR_INVALID_RESPONSE;
    return ERR_NONE;
}

/* ---- schedule ---- */

/* A request is ready to go: numbered, then on a connection or in the FIFO.
 * Inline, like pool_submit: the common case reaches pool_start in one call. */
static inline void submit(worker_t *w, uint64_t first_seq, uint64_t intended, unsigned n,
                          const uint64_t *item_ns)
{
    uint64_t req_seq = w->req_seq++;
    w->items_sent += n;
    if (pool_submit(&w->pool, req_seq, first_seq, intended, n, item_ns) != 0)
        /* Out of memory: count it rather than lose it. */
        record(w, req_seq, intended, n, item_ns, ERR_TIMEOUT, 0, 0, 0, loop_now(w->loop),
               CSVLOG_NO_CONNECT);
}

static uint64_t items_left(const worker_t *w)
{
    return w->items_limit == NEVER ? NEVER : w->items_limit - w->items_taken;
}

/* No request will be issued any more; what is in flight gets until `deadline`. */
static void begin_drain(worker_t *w, uint64_t deadline)
{
    w->gen_done = true;
    if (!w->draining) {
        w->draining = true;
        loop_timer_cancel(w->loop, &w->tick);
        loop_timer_cancel(w->loop, &w->end_timer);
        loop_timer_cancel(w->loop, &w->rest_timer); /* resting users send nothing more */
    }
    if (deadline != NEVER &&
        (!loop_timer_pending(&w->drain_timer) || deadline < w->drain_timer.when_ns))
        loop_timer_set(w->loop, &w->drain_timer, deadline);
    worker_check_finished(w);
}

static uint64_t natural_drain_deadline(const worker_t *w, uint64_t now)
{
    return now + (w->cfg->timeout_ns ? w->cfg->timeout_ns : DRAIN_DEFAULT_NS);
}

/* Closed loop: one of the `users` is ready to send again at `ready`. */
static void closed_issue(worker_t *w, uint64_t ready)
{
    if (w->gen_done)
        return;
    if (ready >= w->end_ns) {
        begin_drain(w, natural_drain_deadline(w, ready));
        return;
    }
    /* Warmup items are sent but do not count against --requests. */
    bool warm = ready < w->measure_ns;
    uint64_t left = warm ? NEVER : items_left(w);
    unsigned n = left < w->batch ? (unsigned)left : w->batch;
    if (n == 0) {
        begin_drain(w, NEVER); /* requests bound: each in-flight request has its timeout */
        return;
    }
    uint64_t first = w->items_taken;
    w->items_taken += n;
    if (warm && w->items_limit != NEVER)
        w->items_limit += n;
    for (unsigned i = 0; i < n; i++)
        w->release_ns[i] = ready;
    submit(w, first, ready, n, w->release_ns);
    if (items_left(w) == 0)
        begin_drain(w, NEVER);
}

/* Closed loop, the target refused the connection: the user rests before its
 * next request instead of retrying at once, so a dead target is probed rather
 * than flooded with refusals (and the log with rows). The rest doubles each
 * round the target keeps refusing, from REST_MIN_NS to REST_MAX_NS, and ends
 * with the first connection that succeeds. The next request's intended time is
 * the end of the rest: resting is the user's think time, not latency. */
static void closed_rest(worker_t *w, uint64_t now)
{
    w->resting++;
    if (loop_timer_pending(&w->rest_timer))
        return;
    w->rest_ns = w->rest_ns ? w->rest_ns * 2 : REST_MIN_NS;
    if (w->rest_ns > REST_MAX_NS)
        w->rest_ns = REST_MAX_NS;
    loop_timer_set(w->loop, &w->rest_timer, now + w->rest_ns);
}

static void on_rest_over(loop_t *loop, loop_timer_t *timer)
{
    worker_t *w = container_of(timer, worker_t, rest_timer);
    uint64_t now = loop_now(loop);
    for (; w->resting && !w->gen_done; w->resting--)
        closed_issue(w, now);
    worker_check_finished(w);
}

static void release_batch(worker_t *w, uint64_t at)
{
    uint64_t first;
    unsigned n = batcher_take(&w->batcher, &first, w->release_ns);
    /* A batch of warmup items stays warmup even when it leaves after the
     * measurement began: it is timed from its last item, so it is not recorded. */
    if (n && w->release_ns[n - 1] < w->measure_ns && at >= w->measure_ns)
        at = w->release_ns[n - 1];
    if (n)
        submit(w, first, at, n, w->release_ns);
}

/* Open loop: hand out every arrival and batch deadline due by `now`, in time
 * order, then sleep until the next one. */
static void open_advance(worker_t *w, uint64_t now)
{
    bool more = !w->gen_done;
    for (;;) {
        uint64_t next = NEVER;
        if (more) {
            next = pacer_peek(&w->pacer, now);
            if ((next >= w->measure_ns && items_left(w) == 0) || next >= w->end_ns) {
                more = false;
                next = NEVER;
            }
        }
        uint64_t dl = batcher_deadline(&w->batcher);
        if (dl != BATCHER_NEVER && dl <= next && dl <= now) {
            release_batch(w, dl);
            continue;
        }
        if (next <= now) {
            uint64_t t = pacer_next(&w->pacer, now);
            /* Warmup items never share a request with measured ones, and do
             * not count against --requests. */
            if (t >= w->measure_ns && batcher_size(&w->batcher) &&
                batcher_deadline(&w->batcher) - w->cfg->linger_ns < w->measure_ns)
                release_batch(w, t);
            if (t < w->measure_ns && w->items_limit != NEVER)
                w->items_limit++;
            if (batcher_add(&w->batcher, w->items_taken++, t))
                release_batch(w, t);
            continue;
        }
        if (!more && batcher_size(&w->batcher) == 0) {
            bool by_duration = w->items_limit == NEVER || items_left(w) > 0;
            begin_drain(w, by_duration ? natural_drain_deadline(w, now) : NEVER);
            return;
        }
        uint64_t wake = next < dl ? next : dl;
        loop_timer_set(w->loop, &w->tick, wake);
        return;
    }
}

static void on_tick(loop_t *loop, loop_timer_t *timer)
{
    worker_t *w = container_of(timer, worker_t, tick);
    uint64_t now = loop_now(loop);
    if (w->closed) {
        /* The start: every user sends its first request. */
        for (uint64_t u = 0; u < w->users && !w->gen_done; u++)
            closed_issue(w, w->start_ns);
        return;
    }
    open_advance(w, now);
}

static void on_end(loop_t *loop, loop_timer_t *timer)
{
    worker_t *w = container_of(timer, worker_t, end_timer);
    uint64_t now = loop_now(loop);
    if (!w->closed && !w->gen_done)
        open_advance(w, now); /* hands out what was due before the end */
    if (w->closed)
        begin_drain(w, natural_drain_deadline(w, now));
}

/* Requests still waiting for a connection get no answer: each is a timeout,
 * recorded now (they are never sent). */
static void fail_waiting(worker_t *w, uint64_t now)
{
    qreq_t r;
    const uint64_t *item_ns;
    while (pool_pop_waiting(&w->pool, &r, &item_ns))
        record(w, r.req_seq, r.intended_ns, r.n, item_ns, ERR_TIMEOUT, 0, 0, 0, now,
               CSVLOG_NO_CONNECT);
}

/* Time is up: whatever has not finished is a timeout. */
static void on_drain(loop_t *loop, loop_timer_t *timer)
{
    worker_t *w = container_of(timer, worker_t, drain_timer);
    uint64_t now = loop_now(loop);
    w->killing = true;
    pool_abort(&w->pool, ERR_TIMEOUT);
    fail_waiting(w, now);
    /* Unsent items of a pending batch were never issued: not recorded, not digested. */
    uint64_t first;
    batcher_take(&w->batcher, &first, w->release_ns);
    w->gen_done = true;
    worker_check_finished(w);
}

static void worker_check_finished(worker_t *w)
{
    if (w->finished || !w->gen_done || w->pool.inflight || w->pool.q_len ||
        batcher_size(&w->batcher))
        return;
    w->finished = true;
    loop_stop(w->loop);
}

/* ---- connection callbacks ---- */

static void on_done(conn_t *c, const conn_result_t *res)
{
    slot_t *s = c->user;
    worker_t *w = container_of(s->pool, worker_t, pool);
    w->pool.inflight--;
    /* No socket: the request never left, and goes out again on the
     * connections that remain (pool_out_of_fds); counted only when none do. */
    if (res->no_fd && !w->stop_seen && pool_out_of_fds(&w->pool, s))
        return;
    err_kind_t err = judge(w, res, s->n);
    uint64_t service = res->first_write_ns ? res->done_ns - res->first_write_ns : 0;
    if (res->err == ERR_TLS && !w->tls_error[0]) {
        snprintf(w->tls_error, sizeof w->tls_error, "%s", res->tls_error);
        w->tls_verify_failed = res->tls_verify_failed;
    }
    if (res->retried && s->intended_ns >= w->measure_ns)
        w->stats.retried++;
    record(w, s->req_seq, s->intended_ns, s->n, s->item_ns, err, res->status, service,
           res->bytes_in, res->done_ns, s->connect_ns);
    pool_freed(&w->pool, s);
    if (w->closed && !w->killing) {
        if (err == ERR_CONNECT_REFUSED)
            closed_rest(w, res->done_ns);
        else
            closed_issue(w, res->done_ns);
    }
    worker_check_finished(w);
}

static void on_connect(conn_t *c, uint64_t connect_ns)
{
    slot_t *s = c->user;
    worker_t *w = container_of(s->pool, worker_t, pool);
    s->connect_ns = connect_ns;
    w->rest_ns = 0; /* the target accepts again */
    runstats_record_connect(&w->stats, connect_ns);
}

static void on_tls(conn_t *c, uint64_t handshake_ns, bool resumed)
{
    slot_t *s = c->user;
    worker_t *w = container_of(s->pool, worker_t, pool);
    runstats_record_tls(&w->stats, handshake_ns, resumed);
}

/* engine_stop wrote the eventfd: stop issuing, give in-flight requests grace. */
static void on_stop(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)events;
    worker_t *w = container_of(io, worker_t, stop_io);
    uint64_t v;
    while (read(io->fd, &v, sizeof v) == (ssize_t)sizeof v) {
    }
    if (w->stop_seen)
        return;
    w->stop_seen = true;
    uint64_t now = loop_now(loop);
    uint64_t first;
    batcher_take(&w->batcher, &first, w->release_ns); /* never sent */
    fail_waiting(w, now); /* stop issuing: the grace is for requests in flight */
    begin_drain(w, now + w->cfg->grace_ns);
}

/* ---- threads ---- */

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    loop_update_now(w->loop);
    loop_timer_set(w->loop, &w->tick, w->start_ns);
    if (w->end_ns != NEVER)
        loop_timer_set(w->loop, &w->end_timer, w->end_ns);
    if (g_run.stop)
        on_stop(w->loop, &w->stop_io, LOOP_IN);
    w->rc = loop_run(w->loop);
    if (w->csv)
        csvlog_buf_flush(w->csv);
    __atomic_store_n(&w->exited, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void worker_close(worker_t *w)
{
    pool_close(&w->pool);
    free(w->release_ns);
    free(w->csv);
    tls_resume_clear(&w->tls_resume);
    batcher_close(&w->batcher);
    runstats_close(&w->stats);
    if (w->stop_io.fd > 0)
        close(w->stop_io.fd);
    loop_free(w->loop);
}

static uint64_t split(uint64_t total, unsigned parts, unsigned i)
{
    return total / parts + (i < total % parts ? 1 : 0);
}

static int worker_setup(worker_t *w, const engine_config_t *cfg, const reqfmt_t *fmt,
                        const conn_env_t *env, unsigned t, unsigned nthreads, uint64_t start_ns)
{
    int rc;
    w->cfg = cfg;
    w->t = t;
    w->nthreads = nthreads;
    w->fmt = fmt;
    w->items_mode = cfg->inputs && !reqfmt_is_fixed(fmt);
    w->batch = w->items_mode ? cfg->batch : 1;
    w->stop_io.fd = -1;
    if ((rc = loop_new(&w->loop)) != 0)
        return rc;
    w->env = *env;
    w->env.loop = w->loop;
    w->env.keep_body = cfg->validate == VALIDATE_OUTPUTS && w->items_mode;
    w->env.on_done = on_done;
    w->env.on_connect = on_connect;
    w->env.on_tls = on_tls;
    w->env.tls_resume = env->tls && !cfg->tls.no_resume ? &w->tls_resume : NULL;
    w->stop_io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->stop_io.fd < 0)
        return errno;
    w->stop_io.fn = on_stop;
    if ((rc = loop_add(w->loop, &w->stop_io, LOOP_IN)) != 0)
        return rc;
    loop_timer_init(&w->tick, on_tick);
    loop_timer_init(&w->end_timer, on_end);
    loop_timer_init(&w->drain_timer, on_drain);
    loop_timer_init(&w->rest_timer, on_rest_over);

    size_t seconds = (size_t)((cfg->duration_ns + cfg->warmup_ns) / CLOCK_NS_PER_S) + 2;
    if ((rc = runstats_init(&w->stats, seconds)) != 0)
        return rc;
    if ((rc = batcher_init(&w->batcher, w->batch, cfg->linger_ns)) != 0)
        return rc;
    w->release_ns = calloc(w->batch, sizeof(uint64_t));
    if (!w->release_ns)
        return ENOMEM;
    if (cfg->log) {
        w->csv = malloc(sizeof(*w->csv));
        if (!w->csv)
            return ENOMEM;
        csvlog_buf_init(w->csv, cfg->log);
    }

    w->closed = cfg->concurrency > 0;
    w->start_ns = start_ns;
    w->measure_ns = start_ns + cfg->warmup_ns;
    w->end_ns = cfg->duration_ns ? w->measure_ns + cfg->duration_ns : NEVER;
    w->items_limit = NEVER;
    if (cfg->requests)
        w->items_limit = cfg->requests > t ? (cfg->requests - t - 1) / nthreads + 1 : 0;
    if (w->closed) {
        w->users = split(cfg->concurrency, nthreads, t);
        pacer_init(&w->pacer, PACER_CLOSED, start_ns, 0, 0);
    } else {
        /* Thread t takes arrivals t, t+T, ...: constant arrivals interleave
         * exactly; Poisson streams of rate R/T add up to one of rate R. */
        double rate = cfg->rate / nthreads;
        uint64_t phase = (uint64_t)((double)t * 1e9 / cfg->rate);
        uint64_t seed = cfg->seed;
        for (unsigned i = 0; i <= t; i++)
            pacer_splitmix64(&seed);
        pacer_init(&w->pacer, cfg->arrival == ARRIVAL_POISSON ? PACER_POISSON : PACER_CONSTANT,
                   start_ns + (cfg->arrival == ARRIVAL_POISSON ? 0 : phase), rate, seed);
    }
    size_t max_slots = cfg->connections ? split(cfg->connections, nthreads, t) : 0;
    /* Connections (buffers, not sockets) are allocated before the clock starts. */
    size_t prealloc = max_slots ? max_slots : (w->closed ? w->users : 0);
    return pool_init(&w->pool, &w->env, fmt, t, nthreads, w->batch, max_slots, prealloc);
}

/* ---- after the run ---- */

static void digest_items(const engine_config_t *cfg, const worker_t *ws, unsigned nthreads,
                         engine_result_t *res)
{
    res->inputs_digest_valid = false;
    if (cfg->raw_body) {
        uint64_t sent = 0; /* measured requests: warmup's count depends on speed */
        for (unsigned t = 0; t < nthreads; t++)
            sent += ws[t].stats.requests;
        res->inputs_digest_valid =
            inputs_digest_body(cfg->raw_body, cfg->raw_body_len, sent, res->inputs_digest) == 0;
        return;
    }
    if (!cfg->inputs)
        return;
    uint64_t *sent = calloc(nthreads, sizeof(*sent));
    if (!sent)
        return;
    for (unsigned t = 0; t < nthreads; t++)
        sent[t] = ws[t].items_sent;
    res->inputs_digest_valid = inputs_digest(cfg->inputs, sent, nthreads, res->inputs_digest) == 0;
    free(sent);
}

/* The calling thread waits for the workers, reporting progress once a second. */
static void watch(const engine_config_t *cfg, worker_t *ws, unsigned nthreads, uint64_t start_ns)
{
    engine_progress_fn fn = cfg->on_progress;
    uint64_t last_done = 0, last_ns = start_ns, next_report = start_ns + CLOCK_NS_PER_S;
    for (;;) {
        bool all = true;
        for (unsigned t = 0; t < nthreads; t++)
            if (!__atomic_load_n(&ws[t].exited, __ATOMIC_ACQUIRE))
                all = false;
        if (all)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        uint64_t now = clock_now_ns();
        if (!fn || now < next_report)
            continue;
        engine_progress_t p = {.elapsed_ns = now - start_ns};
        for (unsigned t = 0; t < nthreads; t++) {
            p.requests_done += __atomic_load_n(&ws[t].done_count, __ATOMIC_RELAXED);
            p.errors += __atomic_load_n(&ws[t].err_count, __ATOMIC_RELAXED);
        }
        p.rps = (double)(p.requests_done - last_done) * 1e9 / (double)(now - last_ns);
        last_done = p.requests_done;
        last_ns = now;
        next_report += CLOCK_NS_PER_S;
        fn(&p, cfg->progress_arg);
    }
}

/* ---- the run ---- */

static unsigned effective_threads(const engine_config_t *cfg)
{
    unsigned t = cfg->threads ? cfg->threads : 1;
    /* A thread with no user or no connection would have nothing to do. */
    if (cfg->concurrency && cfg->concurrency < t)
        t = (unsigned)cfg->concurrency;
    if (cfg->connections && cfg->connections < t)
        t = (unsigned)cfg->connections;
    if (cfg->requests && cfg->requests < t)
        t = (unsigned)cfg->requests;
    return t ? t : 1;
}

int engine_run(const engine_config_t *cfg, engine_result_t *res)
{
    int rc = 0;
    reqfmt_t fmt;
    worker_t *ws = NULL;
    unsigned nthreads = effective_threads(cfg), started = 0;
    conn_env_t env = {0};

    memset(res, 0, sizeof(*res));
    memset(&fmt, 0, sizeof(fmt));
    /* g_run.stop is not reset: a signal that came before this run (during ab's
     * verification, say) stops it at once. */
    if ((cfg->concurrency == 0) == !(cfg->rate > 0)) {
        snprintf(res->fatal_msg, sizeof(res->fatal_msg),
                 "exactly one of --concurrency and --rate is needed");
        rc = EINVAL;
        goto fail;
    }
    if (cfg->url.tls) {
        rc = tls_client_ctx_new(&cfg->tls, &env.tls, res->fatal_msg, sizeof(res->fatal_msg));
        if (rc)
            goto fail;
        env.tls_host = cfg->url.host;
    }
    if (!cfg->inputs && !cfg->raw_body && cfg->method && strcmp(cfg->method, "GET") != 0 &&
        strcmp(cfg->method, "HEAD") != 0) {
        snprintf(res->fatal_msg, sizeof(res->fatal_msg), "no inputs and no body to send");
        rc = EINVAL;
        goto fail;
    }
    rc = reqfmt_init(&fmt, &cfg->url, cfg->method, cfg->model, cfg->raw_body ? NULL : cfg->inputs,
                     cfg->batch ? cfg->batch : 1, cfg->raw_body, cfg->raw_body_len, cfg->headers,
                     cfg->num_headers);
    if (rc) {
        snprintf(res->fatal_msg, sizeof(res->fatal_msg), "cannot prepare the request: %s",
                 strerror(rc));
        goto fail;
    }
    if ((rc = target_preflight(&cfg->url, cfg->timeout_ns, env.tls, &env.addr, &env.addrlen,
                               res->fatal_msg, sizeof(res->fatal_msg))) != 0)
        goto fail;
    res->fatal_errno = 0;
    env.timeout_ns = cfg->timeout_ns;
    env.head_request = fmt.head_request;

    ws = calloc(nthreads, sizeof(*ws));
    if (!ws) {
        rc = ENOMEM;
        goto fail;
    }
    for (unsigned t = 0; t < nthreads; t++)
        ws[t].stop_io.fd = -1;
    uint64_t start_ns = clock_now_ns() + START_DELAY_NS;
    for (unsigned t = 0; t < nthreads; t++) {
        if ((rc = worker_setup(&ws[t], cfg, &fmt, &env, t, nthreads, start_ns)) != 0) {
            snprintf(res->fatal_msg, sizeof(res->fatal_msg), "cannot set up thread %u: %s", t,
                     strerror(rc));
            goto fail;
        }
    }
    /* The wall clock of the measurement start, for timestamps a person reads. */
    uint64_t wall = clock_wall_ns(), mono = clock_now_ns();
    res->started_wall_ns = wall + (start_ns + cfg->warmup_ns) - mono;
    for (unsigned t = 0; t < nthreads; t++)
        ws[t].started_wall_ns = res->started_wall_ns;

    /* Published before the threads start: a stop that arrives meanwhile is
     * queued in the workers' eventfds. */
    g_run.workers = ws;
    g_run.nworkers = nthreads;
    for (; started < nthreads; started++) {
        if ((rc = pthread_create(&ws[started].th, NULL, worker_main, &ws[started])) != 0) {
            snprintf(res->fatal_msg, sizeof(res->fatal_msg), "cannot start a thread: %s",
                     strerror(rc));
            engine_stop();
            break;
        }
    }
    if (started == nthreads)
        watch(cfg, ws, nthreads, start_ns);
    for (unsigned t = 0; t < started; t++)
        pthread_join(ws[t].th, NULL);
    g_run.nworkers = 0;
    g_run.workers = NULL;
    if (rc)
        goto fail;

    res->interrupted = g_run.stop != 0;
    for (unsigned t = 0; t < nthreads; t++)
        res->fd_limited_connections += ws[t].pool.fd_limited_at;
    if ((rc = runstats_init(&res->stats, ws[0].stats.cap_seconds)) != 0)
        goto fail;
    uint64_t last_done = 0;
    for (unsigned t = 0; t < nthreads; t++) {
        if ((rc = runstats_merge(&res->stats, &ws[t].stats)) != 0)
            goto fail;
        if (ws[t].last_done_ns > last_done)
            last_done = ws[t].last_done_ns;
        if (ws[t].rc && !rc)
            rc = ws[t].rc;
    }
    if (rc) {
        snprintf(res->fatal_msg, sizeof(res->fatal_msg), "event loop failed: %s", strerror(rc));
        goto fail;
    }
    uint64_t measure_ns = start_ns + cfg->warmup_ns;
    /* The measured span runs to the last completion: a target that fell
     * behind the schedule takes longer than --duration to serve what was
     * offered, and its throughput must show that, not the offered rate. */
    uint64_t span = last_done > measure_ns ? last_done - measure_ns : 0;
    if (cfg->duration_ns && !res->interrupted &&
        (cfg->requests == 0 || last_done >= measure_ns + cfg->duration_ns))
        res->duration_ns = span > cfg->duration_ns ? span : cfg->duration_ns;
    else
        res->duration_ns = span;
    if (res->stats.requests && res->stats.by_error[ERR_TLS] == res->stats.requests) {
        /* Every connection failed its handshake: nothing was measured. */
        char name[URL_HOST_MAX + 16];
        target_name(&cfg->url, name, sizeof(name));
        for (unsigned t = 0; t < nthreads; t++) {
            if (!ws[t].tls_error[0])
                continue;
            if (ws[t].tls_verify_failed)
                snprintf(res->fatal_msg, sizeof(res->fatal_msg),
                         "TLS verification failed for %.60s: %.150s (use --cacert FILE or "
                         "--insecure)",
                         name, ws[t].tls_error);
            else
                snprintf(res->fatal_msg, sizeof(res->fatal_msg),
                         "TLS handshake with %.60s failed: %.150s", name, ws[t].tls_error);
            break;
        }
        rc = EPROTO;
        goto fail;
    }
    digest_items(cfg, ws, nthreads, res);
    for (unsigned t = 0; t < nthreads; t++)
        worker_close(&ws[t]);
    free(ws);
    reqfmt_close(&fmt);
    tls_ctx_free(env.tls);
    return 0;
fail:
    if (ws) {
        for (unsigned t = 0; t < nthreads; t++)
            worker_close(&ws[t]);
        free(ws);
    }
    reqfmt_close(&fmt);
    tls_ctx_free(env.tls);
    runstats_close(&res->stats);
    res->fatal_errno = rc;
    return rc;
}

void engine_stop(void)
{
    g_run.stop = 1;
    worker_t *ws = g_run.workers;
    unsigned n = g_run.nworkers;
    int saved = errno;
    for (unsigned t = 0; ws && t < n; t++) {
        uint64_t one = 1;
        ssize_t r = write(ws[t].stop_io.fd, &one, sizeof one);
        (void)r;
    }
    errno = saved;
}

void engine_result_close(engine_result_t *res)
{
    if (res)
        runstats_close(&res->stats);
}
