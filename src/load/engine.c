/* engine — threads, and the bookkeeping of every request.
 *
 * Each worker thread owns a loop, a connection pool (pool.c), a schedule
 * (sched.c: what is sent when, and the FIFO of requests waiting for a
 * connection), runstats and its observer's context; nothing mutable is shared
 * while running. Latency counts from the intended time (wrk2), so a request
 * waiting in the FIFO still ages. Before the clock, target_preflight
 * (target.c) proves the server answers. */
#include "load/engine.h"
#include "core/container.h"

#include <assert.h>
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
#include "core/errmsg.h"
#include "core/loop.h"
#include "load/conn.h"
#include "load/h2conn.h"
#include "load/h2req.h"
#include "load/h2retry.h"
#include "load/outcome.h"
#include "load/pacer.h"
#include "load/pool.h"
#include "load/poolcap.h"
#include "load/reqfmt.h"
#include "load/rpath.h"
#include "load/sched.h"
#include "load/stream.h"
#include "load/target.h"

#define DRAIN_DEFAULT_NS (10 * CLOCK_NS_PER_S)
#define START_DELAY_NS (20 * CLOCK_NS_PER_MS)

typedef struct worker worker_t;

struct worker {
    engine_t *e;
    const engine_config_t *cfg;
    unsigned t, nthreads;
    /* This thread's items, arrivals and request ids in the whole run: item_offset,
     * item_offset + item_stride, ... (segment + segments * t, of segments * T). */
    uint64_t item_offset, item_stride;
    loop_t *loop;
    conn_env_t env;
    h2conn_env_t h2env; /* HTTP/2 runs */
    bool items_mode;    /* requests carry items (else: fixed body, 1 "item" each) */
    unsigned batch;
    sched_t sched;
    loop_timer_t timer; /* sched_wake */
    uint64_t timer_at;  /* when it is armed for; SCHED_NEVER = not armed */
    runstats_t stats;
    /* the observer, with this thread's context */
    void (*on_request)(void *ctx, const req_record_t *r);
    void (*on_token)(void *ctx, const token_record_t *t); /* NULL: no event log */
    void *obs_ctx;
    bool obs_open;           /* obs_ctx came from thread_open: thread_close it */
    tls_resume_t tls_resume; /* the thread's session for resumption */
    char tls_error[160];     /* the first handshake failure's reason */
    bool tls_verify_failed;
    uint64_t started_wall_ns; /* wall clock at the measurement start */
    pool_t pool;              /* connections */
    bool auto_cap;            /* an open loop's unlimited pool: poolcap bounds it */
    poolcap_t cap;
    connlimit_t bound_by; /* what bounds the pool when auto_cap does not */
    loop_io_t stop_io;    /* eventfd written by engine_stop */
    bool finished;
    uint64_t last_done_ns;
    /* progress, read by the main thread (relaxed atomics) */
    uint64_t done_count, err_count;
    int exited;
    pthread_t th;
    int rc;
};

struct engine {
    const engine_config_t *cfg;
    reqfmt_t fmt;
    rpath_t *json; /* --validate json: "=", the whole answer as one JSON value */
    conn_env_t env;
    req_proto_t proto;       /* what the run speaks */
    unsigned streams;        /* HTTP/2: per connection, ours (the array each connection has) */
    uint32_t server_streams; /* HTTP/2: the server's limit, as the pre-flight saw it */
    h2req_t h2fields;        /* HTTP/2: the request's header fields */
    worker_t *ws;
    unsigned nthreads, started;
    unsigned segment, segments; /* this process's part of the run: cfg's, 0 of 1 when unsplit */
    uint64_t users, connections, requests; /* its share of cfg's (requests: items k < cfg's) */
    uint64_t start_late_ns;
    uint64_t start_ns, started_wall_ns;
    volatile sig_atomic_t stop; /* engine_stop ran (a signal handler may call it) */
};

/* ---- recording ---- */

/* Every request issued ends here once: answered, failed, or never sent.
 * tok: its token timing in a streamed run (NULL otherwise, or never sent). */
static void record(worker_t *w, const sched_req_t *r, err_kind_t err, int status,
                   uint64_t service_ns, uint64_t bytes_in, uint64_t done, uint64_t connect_ns,
                   const tokens_result_t *tok)
{
    __atomic_store_n(&w->done_count, w->done_count + 1, __ATOMIC_RELAXED);
    if (err != ERR_NONE)
        __atomic_store_n(&w->err_count, w->err_count + 1, __ATOMIC_RELAXED);
    if (done > w->last_done_ns)
        w->last_done_ns = done;
    if (sched_is_warmup(&w->sched, r->intended_ns))
        return; /* warmup: sent, not recorded */
    uint64_t measure_ns = sched_measure_ns(&w->sched);
    size_t second = (size_t)((r->intended_ns - measure_ns) / CLOCK_NS_PER_S);
    uint64_t latency = done > r->intended_ns ? done - r->intended_ns : 0;
    if (w->cfg->concurrency == 0)
        runstats_record_intended(&w->stats, r->intended_ns - measure_ns);
    runstats_record_request(&w->stats, second, err, status, r->n, latency, service_ns, bytes_in);
    if (err == ERR_NONE)
        for (unsigned i = 0; i < r->n; i++)
            runstats_record_item(&w->stats, second,
                                 done > r->item_ns[i] ? done - r->item_ns[i] : 0);
    runstats_record_done(&w->stats, (size_t)((done - measure_ns) / CLOCK_NS_PER_S), err == ERR_NONE,
                         r->n);
    if (tok && err == ERR_NONE) {
        /* t_1 and t_K back from their definitions: ttft = t_1 - t_int,
         * e2el = t_K - t_int; on the measurement's clock for the timeline. */
        uint64_t at = r->intended_ns - measure_ns;
        bool good = !w->cfg->goodput || goodput_good(w->cfg->goodput, true, tok);
        runstats_record_stream(&w->stats, tok, good, at + tok->ttft_ns, at + tok->e2el_ns);
    }
    if (w->on_request) {
        req_record_t rec = {
            .id = req_record_id(r->seq, (unsigned)w->item_offset, (unsigned)w->item_stride),
            .intended_wall_ns = w->started_wall_ns + (r->intended_ns - measure_ns),
            .intended_ns = r->intended_ns,
            .latency_ns = latency,
            .service_ns = service_ns,
            .connect_ns = connect_ns,
            .bytes_in = bytes_in,
            .status = status,
            .batch = r->n,
            .err = err,
            .proto = w->e->proto,
            .streamed = w->cfg->stream,
        };
        if (tok)
            rec.tokens = *tok; /* (a request never sent saw no token: zeros) */
        w->on_request(w->obs_ctx, &rec);
    }
}

static invalid_reason_t invalid_reason(rpath_status_t st)
{
    switch (st) {
    case RPATH_NOT_JSON:
        return INVALID_NOT_JSON;
    case RPATH_MISSING:
        return INVALID_MISSING;
    case RPATH_NOT_ARRAY:
        return INVALID_NOT_ARRAY;
    case RPATH_STRIDE:
        return INVALID_STRIDE;
    case RPATH_SHAPE:
        return INVALID_SHAPE;
    case RPATH_OK:
    case RPATH_COUNT:
        break;
    }
    return INVALID_COUNT;
}

static err_kind_t judge(worker_t *w, const conn_result_t *res, unsigned n, invalid_reason_t *why)
{
    if (res->err != CONN_OK)
        return outcome_err_kind(res->err);
    /* A 4xx or 5xx is the server's own word that the request failed:
     * --validate none skips the checks on the answer, not that (counting
     * 500s as ok passed error_rate<1% at half errors, and fast 503s of a
     * server shedding load helped every latency percentile). */
    if (res->status >= 500)
        return ERR_HTTP_5XX;
    if (res->status >= 400)
        return ERR_HTTP_4XX;
    validate_t v = w->cfg->validate;
    if (v == VALIDATE_NONE)
        return ERR_NONE;
    if (res->status < 200 || res->status >= 300) {
        *why = INVALID_STATUS;
        return ERR_INVALID_RESPONSE;
    }
    /* A streamed answer is checked by its stream (judge_stream), not as a
     * whole body (none is kept). */
    const rpath_t *p = w->cfg->stream                           ? NULL
                       : v == VALIDATE_JSON                     ? w->e->json
                       : v == VALIDATE_OUTPUTS && w->items_mode ? w->cfg->plan->outputs
                                                                : NULL;
    rpath_result_t rr;
    if (p && rpath_check(p, res->body, res->body_len, p == w->e->json ? 1 : n, &rr) != RPATH_OK) {
        *why = invalid_reason(rr.status);
        return ERR_INVALID_RESPONSE;
    }
    return ERR_NONE;
}

_Static_assert(STREAM_ERROR_KEEP >= RUNSTATS_SAMPLE_BODY, "an error event's sample is whole");

/* The first failure of a kind with an answer (runstats_sample_kind), kept
 * once per kind per thread with why it failed: off the hot path, which pays
 * one test of a flag. st: the request's stream (NULL: not streamed); a
 * stream_error's sample is the error event the server sent, not a body. */
__attribute__((noinline, cold)) static void keep_sample(worker_t *w, const sched_req_t *r,
                                                        err_kind_t err, const conn_result_t *res,
                                                        const stream_t *st)
{
    char why[160] = "";
    const char *body = res->body;
    size_t body_len = res->body_len;
    if (err == ERR_TLS) { /* no answer: the handshake's own words */
        const char *t = res->tls_error ? res->tls_error : "handshake failed";
        if (res->tls_verify_failed)
            snprintf(why, sizeof why, "%.90s (%s)", t, target_tls_advice(t));
        else
            snprintf(why, sizeof why, "%s", t);
        body = NULL;
        body_len = 0;
    } else if (err == ERR_STREAM && st && st->status == STREAM_ERROR_EVENT) {
        snprintf(why, sizeof why, "an error event after %llu token events",
                 (unsigned long long)stream_chunks(st));
        body = st->error;
        body_len = st->error_bytes;
    } else if (err == ERR_STREAM) {
        snprintf(why, sizeof why,
                 "an event longer than --max-event (%zu bytes): raise it to read one",
                 st ? st->cap : (size_t)0);
        body = NULL;
        body_len = 0;
    } else if (err == ERR_INVALID_RESPONSE && (res->status < 200 || res->status > 299)) {
        snprintf(why, sizeof why, "status %d is not 2xx", res->status);
    } else if (err == ERR_INVALID_RESPONSE && st && st->status == STREAM_NO_EVENT) {
        snprintf(why, sizeof why, "%s",
                 st->error_bytes ? "the answer holds no server-sent event: not an event stream"
                                 : "an empty answer: no server-sent event");
        body = st->error;
        body_len = st->error_bytes;
    } else if (err == ERR_INVALID_RESPONSE && st && st->status == STREAM_OK) {
        /* (judge_stream's one invalid of a stream that read well: cut short) */
        bool tgi = w->cfg->plan && !strcmp(w->cfg->plan->preset->name, "tgi");
        snprintf(why, sizeof why, "the stream ended without %s after %llu token events%s",
                 tgi ? "its last event (generated_text, details.finish_reason)"
                     : "[DONE] or a finish_reason",
                 (unsigned long long)stream_chunks(st), st->unfinished ? ", inside an event" : "");
    } else if (err == ERR_INVALID_RESPONSE && w->cfg->stream) {
        snprintf(why, sizeof why, "an event of the stream is not valid JSON");
    } else if (err == ERR_INVALID_RESPONSE) {
        /* The check that failed, run again to say why (judge keeps no words). */
        const rpath_t *p = w->cfg->validate == VALIDATE_JSON ? w->e->json
                           : w->items_mode                   ? w->cfg->plan->outputs
                                                             : NULL;
        rpath_result_t rr;
        if (p &&
            rpath_check(p, res->body, res->body_len, p == w->e->json ? 1 : r->n, &rr) != RPATH_OK)
            rpath_explain(p, &rr, why, sizeof why);
        else
            snprintf(why, sizeof why, "not one output per input");
    }
    runstats_keep_sample(&w->stats, err,
                         req_record_id(r->seq, (unsigned)w->item_offset, (unsigned)w->item_stride),
                         res->status, body, body_len, why);
}
static void drop_retries(worker_t *w, uint64_t now);
/* The run names an API whose streams end in a known way (load/stream.h,
 * stream_cut_short): --api openai-completions, openai-chat or tgi, with their
 * bodies or a template. */
static bool llm_api(const worker_t *w)
{
    return w->cfg->plan && preset_streams(w->cfg->plan->preset);
}

/* A streamed answer that came whole as far as HTTP goes: what its stream
 * said. A close-delimited body that ended inside an event was cut off: the
 * server dropped the connection mid-stream. *why: an invalid_response's. */
static err_kind_t judge_stream(const worker_t *w, const slot_t *s, const stream_t *st,
                               invalid_reason_t *why)
{
    switch (st->status) {
    case STREAM_ERROR_EVENT:
    case STREAM_TOO_LARGE:
        return ERR_STREAM;
    case STREAM_INVALID:
    case STREAM_NO_EVENT:
        *why = INVALID_NOT_JSON;
        if (w->cfg->validate != VALIDATE_NONE)
            return ERR_INVALID_RESPONSE;
        break;
    case STREAM_OK:
        break;
    }
    /* (An HTTP/2 stream ends by END_STREAM, as a chunked body by its last
     * chunk: on purpose; a reset stream is reset already.) */
    if (st->unfinished && !s->h2 && s->conn.resp.body_kind == HTTP_BODY_CLOSE)
        return ERR_RESET;
    /* Ended cleanly, but short of its end: its tokens are not an answer's
     * (two of sixteen would pass an e2el gate as a fast one). */
    if (w->cfg->validate != VALIDATE_NONE && stream_cut_short(st, llm_api(w))) {
        *why = INVALID_UNFINISHED;
        return ERR_INVALID_RESPONSE;
    }
    return ERR_NONE;
}

/* ---- the schedule's side ---- */

static bool submit(void *arg, const sched_req_t *r)
{
    worker_t *w = arg;
    if (!pool_send(&w->pool, r->seq, r->first_item, r->intended_ns, r->n, r->item_ns))
        return false;
    /* The self-check (open loop): how late the client handed the request
     * over. A fresh clock (vDSO, no system call), not loop_now: work done
     * earlier in this iteration, the sends before this one included, is
     * lateness too. Connect and TLS time are not in it: they are the
     * network's, timed apart. */
    if (w->cfg->concurrency == 0 && !sched_is_warmup(&w->sched, r->intended_ns)) {
        uint64_t now = clock_now_ns(), measure_ns = sched_measure_ns(&w->sched);
        runstats_record_send(&w->stats, r->n, r->waited,
                             now > r->intended_ns ? now - r->intended_ns : 0,
                             now > measure_ns ? now - measure_ns : 0);
    }
    return true;
}

/* The self-check (open loop): a request begins to wait for a connection,
 * and the client was late_ns late to offer it. That is send lag all the
 * same: a client that stalled while requests queued for its pool was late,
 * and must not read as a slow server. The wait that follows is the pool's
 * (waited_requests). */
static void queued(void *arg, const sched_req_t *r, uint64_t late_ns)
{
    worker_t *w = arg;
    if (w->cfg->concurrency == 0 && !sched_is_warmup(&w->sched, r->intended_ns))
        runstats_record_value(&w->stats, METRIC_SEND_LAG, 0, late_ns);
}

/* Stopped, aborted, the duration over or out of memory while waiting: no
 * answer, a timeout, counted as never sent too. */
static void unsent(void *arg, const sched_req_t *r, uint64_t now)
{
    worker_t *w = arg;
    record(w, r, ERR_TIMEOUT, 0, 0, 0, now, REQ_NO_CONNECT, NULL);
    if (!sched_is_warmup(&w->sched, r->intended_ns))
        runstats_record_unsent(&w->stats, r->n);
}

/* After every call into the schedule: its timer follows sched_wake, and the
 * loop ends once the schedule has nothing left. */
static void settle(worker_t *w)
{
    uint64_t wake = sched_wake(&w->sched);
    if (wake != w->timer_at) {
        if (wake == SCHED_NEVER)
            loop_timer_cancel(w->loop, &w->timer);
        else if (loop_timer_set(w->loop, &w->timer, wake) != 0)
            wake = SCHED_NEVER; /* no memory for the heap: tried again next time */
        w->timer_at = wake;
    }
    if (!w->finished && sched_finished(&w->sched)) {
        w->finished = true;
        loop_stop(w->loop);
    }
}

static void on_timer(loop_t *loop, loop_timer_t *timer)
{
    worker_t *w = container_of(timer, worker_t, timer);
    w->timer_at = SCHED_NEVER; /* the loop disarmed it */
    if (sched_advance(&w->sched, loop_now(loop)) == SCHED_ABORT) {
        drop_retries(w, loop_now(loop));        /* first: no stream ending below sends one */
        pool_abort(&w->pool, CONN_ERR_TIMEOUT); /* time is up: in flight is a timeout */
    }
    settle(w);
}

/* ---- connection callbacks ---- */

/* s's request ended (HTTP/1.1 or HTTP/2): record it, free its connection
 * or stream, and let the schedule go on. */
static void slot_done(worker_t *w, slot_t *s, const conn_result_t *res)
{
    sched_req_t r = {s->req_seq, s->first_seq, s->intended_ns, s->item_ns, s->n, false};
    invalid_reason_t why = INVALID_COUNT;
    err_kind_t err = judge(w, res, s->n, &why);
    tokens_result_t tok, *tokp = NULL;
    if (s->stream) {
        stream_end(s->stream, res->first_write_ns, res->done_ns, &tok);
        tokp = &tok;
        if (err == ERR_NONE)
            err = judge_stream(w, s, s->stream, &why);
    }
    uint64_t service = res->first_write_ns ? res->done_ns - res->first_write_ns : 0;
    if (res->err == CONN_ERR_TLS && !w->tls_error[0]) {
        snprintf(w->tls_error, sizeof w->tls_error, "%s", res->tls_error);
        w->tls_verify_failed = res->tls_verify_failed;
    }
    if (res->retried && !sched_is_warmup(&w->sched, s->intended_ns))
        w->stats.retried++;
    if (runstats_sample_kind(err) && !w->stats.sample[err].set &&
        !sched_is_warmup(&w->sched, s->intended_ns))
        keep_sample(w, &r, err, res, s->stream);
    if (err == ERR_INVALID_RESPONSE && !sched_is_warmup(&w->sched, s->intended_ns))
        runstats_record_invalid(&w->stats, why);
    record(w, &r, err, res->status, service, res->bytes_in, res->done_ns, s->connect_ns, tokp);
    /* An unlimited pool learns the service time (sockets that ran out froze it). */
    if (w->auto_cap && err == ERR_NONE && service && !w->pool.fd_limited_at &&
        poolcap_sample(&w->cap, service, sched_items_issued(&w->sched),
                       sched_requests_issued(&w->sched)))
        w->pool.max_slots = poolcap_limit(&w->cap);
    if (!s->retired)
        pool_freed(&w->pool, s);
    sched_done(&w->sched, res->done_ns, err == ERR_CONNECT_REFUSED);
    settle(w);
}

/* A request submit counted as sent did not leave. */
static void uncount_send(worker_t *w, const sched_req_t *r)
{
    if (w->cfg->concurrency == 0 && !sched_is_warmup(&w->sched, r->intended_ns))
        runstats_unsend(&w->stats, r->n);
}

/* A request submit counted as sent goes back to the FIFO: its next submit
 * counts it (once: the self-check's send share must not grow by resends). */
static int requeue(worker_t *w, const sched_req_t *r, uint64_t now)
{
    int rc = sched_requeue(&w->sched, r, now);
    if (rc == 0)
        uncount_send(w, r);
    return rc;
}

static void on_done(conn_t *c, const conn_result_t *res)
{
    slot_t *s = c->user;
    worker_t *w = container_of(s->pool, worker_t, pool);
    /* (waited matters only in submit, where the send lag is taken) */
    sched_req_t r = {s->req_seq, s->first_seq, s->intended_ns, s->item_ns, s->n, false};
    /* No socket: the request never left, and goes out again on the
     * connections that remain; counted only when none do. */
    if (res->no_fd && !sched_stopping(&w->sched) && pool_retire(&w->pool, s) &&
        requeue(w, &r, res->done_ns) == 0) {
        settle(w);
        return;
    }
    slot_done(w, s, res);
}

/* HTTP/2. A stream the server never processed (above a GOAWAY's last
 * stream id, REFUSED_STREAM, or one that never left a connection that
 * ended) goes out again, on another connection, while the server makes
 * progress (load/h2retry.h), each resend counted as retried; otherwise the
 * refusal is its outcome (reset), or a timeout once its deadline passed. */
static void on_stream_done(h2conn_t *c, void *user, const conn_result_t *res)
{
    (void)c;
    slot_t *s = user;
    worker_t *w = container_of(s->pool, worker_t, pool);
    if (res->requeue) {
        /* It never left: its connection's server allows fewer streams than
         * the connection held (h2conn.h). It waits in the FIFO, ahead of
         * newer requests, as one that found the pool full (waited). s is
         * free first: nothing takes it before the FIFO has copied r. */
        sched_req_t r = {s->req_seq, s->first_seq, s->intended_ns, s->item_ns, s->n, false};
        pool_freed(&w->pool, s);
        if (requeue(w, &r, res->done_ns) != 0) {
            uncount_send(w, &r);
            unsent(w, &r, res->done_ns); /* stopping, or the duration is over */
            sched_done(&w->sched, res->done_ns, false);
        }
        settle(w);
        return;
    }
    if (res->status)
        w->pool.h2_answered++;
    if (res->refused && !sched_stopping(&w->sched)) {
        switch (h2retry_refused(&s->h2_retry, res->progress, w->pool.h2_answered, res->done_ns)) {
        case H2RETRY_SEND:
            if (!sched_is_warmup(&w->sched, s->intended_ns))
                w->stats.retried++;
            pool_retry(&w->pool, s);
            settle(w);
            return;
        case H2RETRY_TIMEOUT: {
            conn_result_t late = *res;
            late.err = CONN_ERR_TIMEOUT;
            slot_done(w, s, &late);
            return;
        }
        case H2RETRY_RESET:
            break;
        default:
            assert(!"bad h2retry verdict");
        }
    }
    slot_done(w, s, res);
}

/* Stopping: requests waiting to go out again are never sent (as the
 * schedule's waiting requests: a timeout at `now`). */
static void drop_retries(worker_t *w, uint64_t now)
{
    slot_t *s;
    while ((s = pool_retry_pop(&w->pool)) != NULL) {
        sched_req_t r = {s->req_seq, s->first_seq, s->intended_ns, s->item_ns, s->n, false};
        record(w, &r, ERR_TIMEOUT, 0, 0, 0, now, s->connect_ns, NULL);
        pool_freed(&w->pool, s);
        sched_done(&w->sched, now, false);
    }
}

static void on_h2_connect(h2conn_t *c, void *opener, uint64_t connect_ns)
{
    worker_t *w = container_of(c->user, worker_t, pool);
    if (opener)
        ((slot_t *)opener)->connect_ns = connect_ns;
    sched_connected(&w->sched);
    runstats_record_connect(&w->stats, connect_ns);
}

static void on_h2_tls(h2conn_t *c, uint64_t handshake_ns, bool resumed)
{
    worker_t *w = container_of(c->user, worker_t, pool);
    runstats_record_tls(&w->stats, handshake_ns, resumed);
}

/* A connection can take several requests at once again (it closed, or its
 * server raised the limit): retries first, then the schedule's waiting
 * requests. */
static void on_h2_room(h2conn_t *c)
{
    worker_t *w = container_of(c->user, worker_t, pool);
    if (sched_stopping(&w->sched))
        return;
    pool_h2_room(&w->pool, c);
    sched_offer(&w->sched, loop_now(w->loop));
    settle(w);
}

/* The request's id as observers see it (req_record_t.id). */
static uint64_t request_id(const worker_t *w, const slot_t *s)
{
    return s->req_seq * w->nthreads + w->t + 1;
}

/* Events k0+1 .. K of s's request arrived at now: one record each. */
static void log_tokens(worker_t *w, const slot_t *s, uint64_t k0, uint64_t now)
{
    uint64_t measure_ns = sched_measure_ns(&w->sched), sent = s->conn.first_write_ns;
    token_record_t t = {
        .id = request_id(w, s),
        .wall_ns = w->started_wall_ns + (now - measure_ns),
        .since_intended_ns = now > s->intended_ns ? now - s->intended_ns : 0,
        .since_send_ns = sent && now > sent ? now - sent : 0,
    };
    for (uint64_t k = k0 + 1; k <= stream_chunks(s->stream); k++) {
        t.k = k;
        w->on_token(w->obs_ctx, &t);
    }
}

/* The body hook of a streamed run (h1resp.h): the stream reads the answer as
 * it arrives; its gaps go into the run's itl histogram, its events to the
 * event log for the requests that one samples. */
static size_t slot_body(slot_t *s, int status, const char *data, size_t len, bool end)
{
    worker_t *w = container_of(s->pool, worker_t, pool);
    bool measured = !sched_is_warmup(&w->sched, s->intended_ns);
    uint64_t now = loop_now(w->loop), k0 = stream_chunks(s->stream);
    size_t used = stream_feed(s->stream, status, data, len, end, now,
                              measured ? w->stats.hist[METRIC_ITL] : NULL);
    if (w->on_token && measured && stream_chunks(s->stream) > k0 &&
        (request_id(w, s) - 1) % w->cfg->token_log_every == 0)
        log_tokens(w, s, k0, now);
    return used;
}

static size_t on_body(void *arg, const char *data, size_t len, bool end)
{
    conn_t *c = arg;
    return slot_body(c->user, c->resp.status, data, len, end);
}

static void on_connect(conn_t *c, uint64_t connect_ns)
{
    slot_t *s = c->user;
    worker_t *w = container_of(s->pool, worker_t, pool);
    s->connect_ns = connect_ns;
    sched_connected(&w->sched); /* the target accepts again */
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
    sched_stop(&w->sched, loop_now(loop), w->cfg->grace_ns);
    drop_retries(w, loop_now(loop));
    settle(w);
}

/* ---- threads ---- */

static void observer_close(worker_t *w)
{
    if (w->obs_open && w->e->cfg->observer.thread_close)
        w->e->cfg->observer.thread_close(w->obs_ctx);
    w->obs_open = false;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    loop_update_now(w->loop);
    settle(w); /* the first wake: the start */
    if (w->e->stop)
        on_stop(w->loop, &w->stop_io, LOOP_IN);
    w->rc = loop_run(w->loop);
    observer_close(w);
    __atomic_store_n(&w->exited, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void worker_close(worker_t *w)
{
    observer_close(w);
    pool_close(&w->pool);
    tls_resume_clear(&w->tls_resume);
    sched_close(&w->sched);
    runstats_close(&w->stats);
    if (w->stop_io.fd >= 0)
        close(w->stop_io.fd);
    loop_free(w->loop);
}

/* The schedule of a thread whose items are offset, offset + stride, ...
 * (users: its closed-loop users). Times are relative to the start. */
static void sched_config(const engine_config_t *cfg, unsigned batch, uint64_t users,
                         uint64_t offset, uint64_t stride, sched_config_t *sc)
{
    memset(sc, 0, sizeof(*sc));
    if (cfg->concurrency > 0) {
        sc->users = users;
        pacer_init(&sc->pacer, PACER_CLOSED, 0, 0, 0);
    } else {
        /* Every thread of every segment draws the run's one schedule and
         * takes its own arrivals of it: together they send it arrival for
         * arrival, whatever the threads and segments. */
        uint64_t seed = cfg->seed;
        pacer_splitmix64(&seed);
        bool poisson = cfg->arrival == ARRIVAL_POISSON;
        pacer_init(&sc->pacer, poisson ? PACER_POISSON : PACER_CONSTANT, 0, cfg->rate, seed);
        pacer_subset(&sc->pacer, offset, stride);
    }
    sc->batch = batch;
    sc->linger_ns = cfg->linger_ns;
    sc->warmup_ns = cfg->warmup_ns;
    sc->duration_ns = cfg->duration_ns;
    sc->items = SCHED_NEVER;
    if (cfg->requests)
        sc->items = cfg->requests > offset ? (cfg->requests - offset - 1) / stride + 1 : 0;
    sc->drain_ns = cfg->timeout_ns ? cfg->timeout_ns : DRAIN_DEFAULT_NS;
}

/* HTTP/2 streams feed the slot's stream as HTTP/1.1 connections do; the
 * status comes with the data (an HTTP/2 slot's conn reads no response). */
static size_t h2_on_body(void *arg, int status, const char *data, size_t len, bool end)
{
    return slot_body(arg, status, data, len, end);
}

/* HTTP/2: at most max_conns connections (0 = unlimited), each with up to
 * e->streams streams; connections and request slots for the closed loop's
 * users are allocated before the clock starts. */
static int worker_setup_h2(worker_t *w, engine_t *e, size_t max_conns, uint64_t users)
{
    const engine_config_t *cfg = e->cfg;
    h2conn_env_t *h = &w->h2env;
    h->loop = w->loop;
    h->addr = e->env.addr;
    h->addrlen = e->env.addrlen;
    h->timeout_ns = cfg->timeout_ns;
    h->idle_timeout_ns = cfg->idle_timeout_ns;
    h->head_request = e->fmt.head_request;
    h->keep_body = w->env.keep_body;
    h->on_body = w->env.on_body ? h2_on_body : NULL;
    h->on_done = on_stream_done;
    h->on_connect = on_h2_connect;
    h->on_tls = on_h2_tls;
    h->on_room = on_h2_room;
    h->tls = e->env.tls;
    h->tls_host = e->env.tls_host;
    h->tls_resume = w->env.tls_resume;
    h->fields = &e->h2fields;
    h->max_streams = e->streams;
    h->server_streams = e->server_streams;
    size_t stream_cap = cfg->stream_cap ? cfg->stream_cap : STREAM_DEFAULT_CAP;
    int rc = pool_init(&w->pool, &w->env, &e->fmt, (unsigned)w->item_offset,
                       (unsigned)w->item_stride, w->batch, 0, 0, cfg->stream ? stream_cap : 0);
    if (rc)
        return rc;
    size_t need = cfg->concurrency ? (users + e->streams - 1) / e->streams : 0;
    size_t conns = max_conns && max_conns < need ? max_conns : need;
    return pool_init_h2(&w->pool, h, max_conns, conns, cfg->concurrency ? users : 0);
}

static int worker_setup(worker_t *w, engine_t *e, unsigned t)
{
    const engine_config_t *cfg = e->cfg;
    int rc;
    w->e = e;
    w->cfg = cfg;
    w->t = t;
    w->nthreads = e->nthreads;
    w->item_offset = e->segment + (uint64_t)e->segments * t;
    w->item_stride = (uint64_t)e->segments * e->nthreads;
    w->items_mode = cfg->plan != NULL;
    w->batch = w->items_mode ? cfg->batch : 1;
    if ((rc = loop_new(&w->loop)) != 0)
        return rc;
    w->env = e->env;
    w->env.loop = w->loop;
    w->env.keep_body = !cfg->stream && (cfg->validate == VALIDATE_JSON ||
                                        (cfg->validate == VALIDATE_OUTPUTS && w->items_mode));
    w->env.on_body = cfg->stream ? on_body : NULL;
    w->env.on_done = on_done;
    w->env.on_connect = on_connect;
    w->env.on_tls = on_tls;
    w->env.tls_resume = e->env.tls && !cfg->tls.no_resume ? &w->tls_resume : NULL;
    w->stop_io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->stop_io.fd < 0)
        return errno;
    w->stop_io.fn = on_stop;
    if ((rc = loop_add(w->loop, &w->stop_io, LOOP_IN)) != 0)
        return rc;
    loop_timer_init(&w->timer, on_timer);
    w->timer_at = SCHED_NEVER;

    size_t seconds = (size_t)((cfg->duration_ns + cfg->warmup_ns) / CLOCK_NS_PER_S) + 2;
    if ((rc = runstats_init(&w->stats, seconds)) != 0 ||
        (cfg->stream && (rc = runstats_init_stream(&w->stats)) != 0))
        return rc;
    sched_config_t sc;
    sched_config(cfg, w->batch, engine_share(e->users, e->nthreads, t), w->item_offset,
                 w->item_stride, &sc);
    sched_ops_t ops = {submit, unsent, w, queued};
    if ((rc = sched_init(&w->sched, &sc, &ops)) != 0)
        return rc;
    const engine_observer_t *obs = &cfg->observer;
    if (obs->on_request) {
        w->obs_ctx = obs->arg;
        if (obs->thread_open) {
            if ((rc = obs->thread_open(obs->arg, t, &w->obs_ctx)) != 0)
                return rc;
            w->obs_open = true;
        }
        w->on_request = obs->on_request;
        w->on_token = cfg->stream && cfg->token_log_every ? obs->on_token : NULL;
    }
    size_t max_slots = e->connections         ? engine_share(e->connections, e->nthreads, t)
                       : cfg->max_connections ? engine_share(cfg->max_connections, e->nthreads, t)
                                              : 0;
    w->bound_by = e->connections || !cfg->max_connections ? CONNLIMIT_FIXED : CONNLIMIT_MAX;
    w->auto_cap = !e->connections && !cfg->max_connections && cfg->rate > 0;
    if (w->auto_cap)
        poolcap_init(&w->cap, cfg->rate / ((double)e->nthreads * e->segments), 0);
    if (e->proto != REQ_PROTO_HTTP1)
        return worker_setup_h2(w, e, max_slots, sc.users);
    /* Connections (buffers, not sockets) are allocated before the clock starts. */
    size_t prealloc = max_slots ? max_slots : (cfg->concurrency ? sc.users : 0);
    size_t stream_cap = cfg->stream_cap ? cfg->stream_cap : STREAM_DEFAULT_CAP;
    /* The pool's "thread t of n" picks the items: the run's, by offset and stride. */
    return pool_init(&w->pool, &w->env, &e->fmt, (unsigned)w->item_offset, (unsigned)w->item_stride,
                     w->batch, max_slots, prealloc, cfg->stream ? stream_cap : 0);
}

/* ---- after the run ---- */

/* What bounded the thread's pool, into its stats (before the merge). */
static void record_pool_bound(worker_t *w)
{
    const pool_t *p = &w->pool;
    runstats_t *rs = &w->stats;
    /* (HTTP/2: connections, not the request slots that share them) */
    uint64_t live = p->h2env ? p->nh2 : p->nslots - p->retired;
    uint64_t fixed = p->h2env ? p->max_h2 : p->max_slots;
    if (p->fd_limited_at) {
        rs->connections_limit = p->fd_limited_at;
        rs->connections_limit_by = CONNLIMIT_SOCKETS;
    } else if (w->auto_cap && p->h2env) {
        /* HTTP/2 opens a connection when its streams are full, up to the
         * open-files ceiling: the rule's estimate counts requests, and bounds
         * HTTP/1.1 sockets only. */
        rs->connections_limit = p->max_h2 > live ? p->max_h2 : live;
        rs->connections_limit_by = p->max_h2 ? CONNLIMIT_OPEN_FILES : CONNLIMIT_RULE;
    } else if (w->auto_cap) {
        uint64_t cap = poolcap_limit(&w->cap); /* 0: no estimate and no ceiling */
        rs->connections_limit = cap > live ? cap : live;
        rs->connections_limit_by =
            poolcap_ceiling_binds(&w->cap) ? CONNLIMIT_OPEN_FILES : CONNLIMIT_RULE;
    } else {
        rs->connections_limit = fixed ? fixed : live; /* closed loop: its users */
        rs->connections_limit_by = w->bound_by;
    }
}

/* Each thread's items are a prefix of its own: item_offset, + item_stride, ...
 * The digest is a sum, so this process's part adds up with the others'. */
static void digest_items(const engine_config_t *cfg, const worker_t *ws, unsigned nthreads,
                         engine_result_t *res)
{
    res->inputs_digest_valid = false;
    res->inputs_source_valid =
        (cfg->raw_body || cfg->inputs) &&
        inputs_source_digest(cfg->raw_body ? NULL : cfg->inputs, cfg->raw_body, cfg->raw_body_len,
                             res->inputs_source) == 0;
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
    memset(res->inputs_digest, 0, sizeof res->inputs_digest);
    for (unsigned t = 0; t < nthreads; t++)
        if (inputs_digest_add(cfg->inputs, ws[t].item_offset, ws[t].item_stride,
                              sched_items_issued(&ws[t].sched), res->inputs_digest) != 0)
            return;
    res->inputs_digest_valid = true;
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

/* This process's share of the run: all of it, or its segment's. */
static void segment_share(engine_t *e, const engine_config_t *cfg)
{
    e->segments = cfg->segments > 1 ? cfg->segments : 1;
    e->segment = cfg->segment < e->segments ? cfg->segment : 0;
    e->users = engine_share(cfg->concurrency, e->segments, e->segment);
    e->connections = engine_share(cfg->connections, e->segments, e->segment);
    e->requests = engine_share(cfg->requests, e->segments, e->segment);
}

static unsigned effective_threads(const engine_t *e, const engine_config_t *cfg)
{
    unsigned t = cfg->threads ? cfg->threads : 1;
    /* A thread with no user or no connection would have nothing to do. */
    if (e->users && e->users < t)
        t = (unsigned)e->users;
    if (e->connections && e->connections < t)
        t = (unsigned)e->connections;
    if (!e->connections && cfg->max_connections && cfg->max_connections < t)
        t = (unsigned)cfg->max_connections;
    if (e->requests && e->requests < t)
        t = (unsigned)e->requests;
    return t ? t : 1;
}

/* --http2: the pre-flight learns whether the server speaks HTTP/2 there
 * and how many streams it allows; the request's fields are translated once
 * (per request too when its head varies: h2req.h).
 * --http2=auto on a server that does not: HTTP/1.1, with err saying why. */
static int prepare_h2(engine_t *e, char *err, size_t errlen)
{
    const engine_config_t *cfg = e->cfg;
    bool h2;
    uint32_t server = UINT32_MAX;
    int rc = target_preflight_h2(&cfg->url, cfg->timeout_ns, e->env.tls, &e->env.addr,
                                 &e->env.addrlen, &h2, &server, err, errlen);
    if (rc)
        return rc;
    if (!h2) {
        size_t n = strlen(err);
        char *more = err + n;
        size_t room = errlen > n ? errlen - n : 0;
        if (cfg->http2 == ENGINE_H2_ON) {
            snprintf(more, room, "; %s", target_h2_advice(&cfg->url));
            return EPROTO;
        }
        snprintf(more, room, "; running over HTTP/1.1 (--http2=auto)");
        e->proto = REQ_PROTO_HTTP1;
        return 0;
    }
    e->proto = cfg->url.tls ? REQ_PROTO_H2 : REQ_PROTO_H2C;
    e->server_streams = server;
    e->streams = cfg->streams                          ? cfg->streams
                 : server < ENGINE_STREAMS_DEFAULT_MAX ? server
                                                       : ENGINE_STREAMS_DEFAULT_MAX;
    const char *start;
    size_t len;
    char *tmp = malloc(e->fmt.buf_size ? e->fmt.buf_size : 1);
    if (!tmp)
        return ENOMEM;
    len = reqfmt_build(&e->fmt, tmp, 0, 1, 1, 1, &start);
    rc = h2req_init(&e->h2fields, start, len, cfg->url.tls ? "https" : "http",
                    reqfmt_head_varies(&e->fmt), err, errlen);
    free(tmp);
    return rc;
}

req_proto_t engine_proto(const engine_t *e, unsigned *streams)
{
    if (streams) {
        *streams = 0;
        if (e->proto != REQ_PROTO_HTTP1)
            *streams = e->streams < e->server_streams ? e->streams : e->server_streams;
    }
    return e->proto;
}

int engine_prepare(const engine_config_t *cfg, engine_t **out, char *err, size_t errlen)
{
    int rc = 0;
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    engine_t *e = calloc(1, sizeof(*e));
    if (!e)
        return ENOMEM;
    e->cfg = cfg;
    segment_share(e, cfg);
    e->nthreads = effective_threads(e, cfg);
    if ((cfg->concurrency == 0) == !(cfg->rate > 0)) {
        errmsg_set(0, err, errlen, "exactly one of --concurrency and --rate is needed");
        rc = EINVAL;
        goto fail;
    }
    /* A segment with no user, connection or item would have nothing to do. */
    const char *empty = NULL;
    uint64_t total = 0;
    if (cfg->concurrency && !e->users)
        empty = "--concurrency", total = cfg->concurrency;
    else if (cfg->connections && !e->connections)
        empty = "--connections", total = cfg->connections;
    else if (cfg->requests && !e->requests)
        empty = "--requests", total = cfg->requests;
    if (empty) {
        errmsg_set(0, err, errlen, "%s %llu cannot be split over %u segments: give at least %u",
                   empty, (unsigned long long)total, e->segments, e->segments);
        rc = EINVAL;
        goto fail;
    }
    if (cfg->url.tls) {
        tls_client_opts_t topts = cfg->tls;
        topts.alpn_h2 = cfg->http2 != ENGINE_H2_OFF;
        rc = tls_client_ctx_new(&topts, &e->env.tls, err, errlen);
        if (rc)
            goto fail;
        e->env.tls_host = cfg->url.host;
    }
    bool no_body = cfg->method && (!strcmp(cfg->method, "GET") || !strcmp(cfg->method, "HEAD"));
    if ((!cfg->plan && !cfg->raw_body && !no_body) || (cfg->plan && (cfg->raw_body || no_body))) {
        errmsg_set(0, err, errlen, "give either items (a plan) or a body to send");
        rc = EINVAL;
        goto fail;
    }
    reqfmt_args_t ra = {
        .url = &cfg->url,
        .method = cfg->method,
        .plan = cfg->plan,
        .model = cfg->model,
        .batch = cfg->batch ? cfg->batch : 1,
        .raw_body = cfg->raw_body,
        .raw_len = cfg->raw_body_len,
        .headers = cfg->headers,
        .num_headers = cfg->num_headers,
    };
    char why[300];
    rc = reqfmt_init(&e->fmt, &ra, why, sizeof why);
    if (!rc && cfg->validate == VALIDATE_JSON)
        rc = rpath_compile("=", &e->json, why, sizeof why);
    if (rc) {
        errmsg_set(0, err, errlen, "cannot prepare the request: %s", why);
        goto fail;
    }
    if (cfg->http2 == ENGINE_H2_OFF)
        rc = target_preflight(&cfg->url, cfg->timeout_ns, e->env.tls, &e->env.addr, &e->env.addrlen,
                              err, errlen);
    else
        rc = prepare_h2(e, err, errlen);
    if (rc)
        goto fail;
    e->env.timeout_ns = cfg->timeout_ns;
    e->env.idle_timeout_ns = cfg->idle_timeout_ns;
    e->env.head_request = e->fmt.head_request;

    e->ws = calloc(e->nthreads, sizeof(*e->ws));
    if (!e->ws) {
        rc = ENOMEM;
        goto fail;
    }
    for (unsigned t = 0; t < e->nthreads; t++)
        e->ws[t].stop_io.fd = -1;
    for (unsigned t = 0; t < e->nthreads; t++) {
        if ((rc = worker_setup(&e->ws[t], e, t)) != 0) {
            errmsg_set(0, err, errlen, "cannot set up thread %u: %s", t, strerror(rc));
            goto fail;
        }
    }
    *out = e;
    return 0;
fail:
    engine_free(e);
    return rc;
}

int engine_start(engine_t *e, char *err, size_t errlen)
{
    int rc = 0;
    uint64_t at = e->cfg->start_at_wall_ns;
    if (at) {
        /* The monotonic instant of the wall-clock start: every segment's
         * schedule begins at the same instant, and its times (CSV
         * timestamps) count from the same origin, to the nanosecond. A start
         * just missed still runs, from the instant agreed: what was due
         * meanwhile leaves at once and its latency shows the delay. */
        uint64_t mono = clock_now_ns(), wall = clock_wall_ns();
        if (wall > at + ENGINE_START_LATE_MAX_NS) {
            errmsg_set(0, err, errlen,
                       "the start time (--start-at) was %.3f s ago when the run was ready: the "
                       "segments of a run start together; give a time further ahead",
                       (double)(wall - at) / 1e9);
            return ETIME;
        }
        e->start_late_ns = wall > at ? wall - at : 0;
        e->start_ns = wall > at ? mono - (wall - at) : mono + (at - wall);
        e->started_wall_ns = at + e->cfg->warmup_ns;
        for (unsigned t = 0; t < e->nthreads; t++)
            sched_start(&e->ws[t].sched, e->start_ns);
    } else {
        e->start_ns = clock_now_ns() + START_DELAY_NS;
        for (unsigned t = 0; t < e->nthreads; t++)
            sched_start(&e->ws[t].sched, e->start_ns);
        /* The wall clock of the measurement start, for timestamps a person reads. */
        uint64_t wall = clock_wall_ns(), mono = clock_now_ns();
        e->started_wall_ns = wall + (e->start_ns + e->cfg->warmup_ns) - mono;
    }
    for (unsigned t = 0; t < e->nthreads; t++)
        e->ws[t].started_wall_ns = e->started_wall_ns;
    for (; e->started < e->nthreads; e->started++) {
        if ((rc = pthread_create(&e->ws[e->started].th, NULL, worker_main, &e->ws[e->started])) !=
            0) {
            errmsg_set(0, err, errlen, "cannot start a thread: %s", strerror(rc));
            engine_stop(e);
            for (unsigned t = 0; t < e->started; t++)
                pthread_join(e->ws[t].th, NULL);
            e->started = 0;
            return rc;
        }
    }
    return 0;
}

int engine_collect(engine_t *e, engine_result_t *res)
{
    int rc = 0;
    const engine_config_t *cfg = e->cfg;
    worker_t *ws = e->ws;
    unsigned nthreads = e->nthreads;

    memset(res, 0, sizeof(*res));
    if (e->started != nthreads) { /* not started, or collected already */
        snprintf(res->fatal_msg, sizeof(res->fatal_msg), "the engine is not running");
        res->fatal_errno = EINVAL;
        return EINVAL;
    }
    watch(cfg, ws, nthreads, e->start_ns);
    for (unsigned t = 0; t < e->started; t++)
        pthread_join(ws[t].th, NULL);
    e->started = 0;

    res->started_wall_ns = e->started_wall_ns;
    res->start_late_ns = e->start_late_ns;
    res->interrupted = e->stop != 0;
    res->proto = engine_proto(e, &res->streams);
    for (unsigned t = 0; t < nthreads; t++) {
        res->fd_limited_connections += ws[t].pool.fd_limited_at;
        record_pool_bound(&ws[t]);
    }
    if ((rc = runstats_init(&res->stats, ws[0].stats.cap_seconds)) != 0 ||
        (cfg->stream && (rc = runstats_init_stream(&res->stats)) != 0))
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
    if (cfg->concurrency) { /* a closed loop has no schedule to lag behind */
        hist_free(res->stats.hist[METRIC_SEND_LAG]);
        res->stats.hist[METRIC_SEND_LAG] = NULL;
    }
    uint64_t measure_ns = e->start_ns + cfg->warmup_ns;
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
            target_tls_failure(name, ws[t].tls_error, ws[t].tls_verify_failed, res->fatal_msg,
                               sizeof(res->fatal_msg));
            break;
        }
        rc = EPROTO;
        goto fail;
    }
    digest_items(cfg, ws, nthreads, res);
    return 0;
fail:
    runstats_close(&res->stats);
    res->fatal_errno = rc;
    return rc;
}

void engine_free(engine_t *e)
{
    if (!e)
        return;
    if (e->ws) {
        for (unsigned t = 0; t < e->nthreads; t++)
            worker_close(&e->ws[t]);
        free(e->ws);
    }
    reqfmt_close(&e->fmt);
    rpath_free(e->json);
    h2req_close(&e->h2fields);
    tls_ctx_free(e->env.tls);
    free(e);
}

void engine_limit_connections(engine_t *e, uint64_t ceiling)
{
    if (!ceiling)
        return;
    for (unsigned t = 0; t < e->nthreads; t++) {
        worker_t *w = &e->ws[t];
        uint64_t c = engine_share(ceiling, e->nthreads, t);
        if (c == 0)
            c = 1;
        /* HTTP/2 counts its connections apart from its request slots, and
         * opens them as its streams fill (or a resend wants a fresh one),
         * within a fixed pool too: a socket past the limit would fail. */
        bool h2 = e->proto != REQ_PROTO_HTTP1;
        if (h2 && (!w->pool.max_h2 || c < w->pool.max_h2)) {
            w->pool.max_h2 = c;
            if (!e->connections && !w->auto_cap)
                w->bound_by = CONNLIMIT_OPEN_FILES; /* below --max-connections */
        }
        if (e->connections)
            continue;
        if (w->auto_cap) {
            poolcap_init(&w->cap, e->cfg->rate / ((double)e->nthreads * e->segments), c);
            w->pool.max_slots = c;
        } else if (!h2 && (!w->pool.max_slots || c < w->pool.max_slots)) {
            w->pool.max_slots = c;
            w->bound_by = CONNLIMIT_OPEN_FILES;
        }
    }
}

/* No global: a signal handler that wants to stop a run keeps the engine's
 * address itself (cli/runcommon.c). Only async-signal-safe calls here. */
void engine_stop(engine_t *e)
{
    if (!e)
        return;
    e->stop = 1;
    int saved = errno;
    for (unsigned t = 0; e->ws && t < e->nthreads; t++) {
        uint64_t one = 1;
        if (e->ws[t].stop_io.fd >= 0) {
            ssize_t r = write(e->ws[t].stop_io.fd, &one, sizeof one);
            (void)r;
        }
    }
    errno = saved;
}

void engine_result_close(engine_result_t *res)
{
    if (res)
        runstats_close(&res->stats);
}
