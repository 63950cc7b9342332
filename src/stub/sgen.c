/* sgen — generating requests on a stub connection: completions, chat and
 * TGI, timed by the thread's LLM engine (engine.h) or played from a script
 * (script.h), answered whole or streamed as SSE.
 *
 * The engine runs on one loop timer per thread (srv->step_timer): a step
 * begins, the timer is set for its end, and at its end every sequence of the
 * step gets its token and the next step begins at once, from the planned end
 * rather than the moment the timer ran, so timer lateness does not pile up
 * over a long answer. Nothing is allocated per token: an event is formatted
 * straight into the connection's response buffer, after the bytes still
 * unsent, and the buffer's memory is kept across requests.
 *
 * A streamed answer is chunked (HTTP/1.0: close-delimited). The status line
 * and headers go out with the first event, as a server that sends its
 * headers with the first body bytes does; everything made at one instant
 * (one engine step, or script events with no wait between them) is one
 * HTTP chunk and one write. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/container.h"
#include "stub/reply.h"
#include "stub/sconn.h"

static const char *const eols[] = {"\n", "\r\n", "\r"};

void sgen_id(server_t *srv, const char *prefix, char *buf, size_t n)
{
    uint64_t v = ((uint64_t)srv->index << 48) ^ ++srv->next_id;
    snprintf(buf, n, "%s%016llx", prefix, (unsigned long long)v);
}

/* ---- the engine on the loop ---- */

static void on_tokens(engine_seq_t *seq, void *arg);

/* The step timer never leaves the heap: when the engine is idle it is
 * parked at the end of time, so arming it only moves it and can never fail
 * for want of memory, which would strand every sequence. */
#define PARKED UINT64_MAX

/* Begins the next step, if there is work, from start_ns. */
static void step_next(server_t *srv, uint64_t start_ns)
{
    uint64_t dur;
    size_t waiting = srv->engine.nwaiting;
    if (!engine_step_begin(&srv->engine, &dur)) {
        loop_timer_set(srv->loop, &srv->step_timer, PARKED);
        return;
    }
    uint64_t admitted = waiting - srv->engine.nwaiting;
    STAT_SUB(srv, seqs_waiting, admitted);
    STAT_ADD(srv, seqs_running, admitted);
    srv->step_end_ns = model_release_ns(srv->cfg, srv->stub->origin_ns, start_ns + dur);
    loop_timer_set(srv->loop, &srv->step_timer, srv->step_end_ns);
}

static void on_step(loop_t *loop, loop_timer_t *t)
{
    server_t *srv = container_of(t, server_t, step_timer);
    /* Back into the heap at once, in the slot it just left, before the
     * callbacks below can take it with timers of their own. */
    loop_timer_set(loop, t, PARKED);
    engine_step_end(&srv->engine, on_tokens, srv);
    step_next(srv, srv->step_end_ns);
}

int sgen_server_init(server_t *srv)
{
    const stub_config_t *cfg = srv->cfg;
    unsigned t = srv->stub->nservers;
    engine_params_t p = {
        .step_ns = cfg->step_ns,
        .step_per_seq_ns = cfg->step_per_seq_ns,
        .prefill_per_token_ns = cfg->prefill_per_token_ns,
        .max_seqs = (uint32_t)(cfg->max_seqs / t + (srv->index < cfg->max_seqs % t)),
    };
    engine_init(&srv->engine, &p);
    loop_timer_init(&srv->step_timer, on_step);
    return loop_timer_set(srv->loop, &srv->step_timer, PARKED);
}

void sgen_abort(sconn_t *c)
{
    sgen_t *g = &c->gen;
    server_t *srv = c->srv;
    if (g->seq.state == ENGINE_SEQ_RUNNING)
        STAT_SUB(srv, seqs_running, 1);
    else if (g->seq.state == ENGINE_SEQ_WAITING)
        STAT_SUB(srv, seqs_waiting, 1);
    engine_cancel(&srv->engine, &g->seq);
    g->active = false;
}

/* ---- the bytes of a streamed answer ---- */

static const char *body_of(const sconn_t *c)
{
    return c->rq.buf + c->rq.hlen;
}

/* The status line and headers, once, right before the first body bytes. */
static int put_head(sconn_t *c)
{
    sgen_t *g = &c->gen;
    if (g->head_sent)
        return 0;
    server_t *srv = c->srv;
    if (srv->draining || c->peer_closed || !c->rq.keep_alive || !g->chunked)
        c->close_after = true;
    g->head_sent = true;
    STAT_ADD(srv, by_status[200], 1);
    STAT_ADD(srv, streams, 1);
    if (sbuf_puts(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                           "Cache-Control: no-cache\r\n") ||
        (g->chunked && sbuf_puts(&c->out, "Transfer-Encoding: chunked\r\n")) ||
        (c->close_after && sbuf_puts(&c->out, "Connection: close\r\n")) ||
        sbuf_puts(&c->out, "\r\n"))
        return ENOMEM;
    return 0;
}

/* Drops the bytes already sent from the front of out, so a long stream
 * reuses the same memory instead of keeping its whole history: at once when
 * everything went out, else when the sent part is large enough to be worth
 * a move (a client reading slowly). */
static void compact(sconn_t *c)
{
    sgen_t *g = &c->gen;
    size_t off = c->out_off;
    if (off == 0 || (off < c->out.len && off < 65536))
        return;
    memmove(c->out.data, c->out.data + off, c->out.len - off);
    c->out.len -= off;
    c->out_off = 0;
    if (g->pace_end) {
        g->pace_end -= off;
        if (g->send_limit != SIZE_MAX)
            g->send_limit -= off;
    }
}

#define CHUNK_ROOM 10 /* "ffffffff\r\n" */

/* Opens an HTTP chunk: room for its size line, filled by chunk_close. */
static int chunk_open(sconn_t *c, size_t *at)
{
    if (sbuf_reserve(&c->out, CHUNK_ROOM))
        return ENOMEM;
    *at = c->out.len;
    c->out.len += CHUNK_ROOM;
    return 0;
}

/* Closes the chunk opened at `at`: writes its size line and moves the data
 * up to it (a few hundred bytes). An empty chunk is dropped: it would end
 * the body. HTTP/1.0: no framing at all. */
static int chunk_close(sconn_t *c, size_t at)
{
    char *d = c->out.data;
    size_t n = c->out.len - at - CHUNK_ROOM;
    size_t head = 0;
    char line[CHUNK_ROOM];
    if (n && c->gen.chunked) {
        head = (size_t)snprintf(line, sizeof line, "%zx\r\n", n);
        if (sbuf_reserve(&c->out, 2))
            return ENOMEM;
        d = c->out.data;
    }
    memmove(d + at + head, d + at + CHUNK_ROOM, n);
    memcpy(d + at, line, head);
    c->out.len = at + head + n;
    if (head) {
        d[c->out.len++] = '\r';
        d[c->out.len++] = '\n';
    }
    return 0;
}

/* The end of the body: the last chunk. */
static int put_end(sconn_t *c)
{
    sgen_t *g = &c->gen;
    g->finished = true;
    g->active = false;
    if (!g->chunked)
        return 0;
    return sbuf_puts(&c->out, "0\r\n\r\n");
}

/* ---- engine answers ---- */

static void fail_now(sconn_t *c, int status, const char *msg)
{
    c->gen.active = false;
    sconn_set_error(c, status, msg);
    if (sconn_send(c) == 0)
        sconn_drive(c);
}

/* The stream's events for the tokens made since the last event. */
static int stream_tokens(sconn_t *c, uint32_t generated, bool last)
{
    sgen_t *g = &c->gen;
    const gen_req_t *rq = &g->req;
    const char *eol = eols[0];
    size_t at;
    compact(c);
    if (put_head(c) || chunk_open(c, &at))
        return ENOMEM;
    if (g->sent_tokens == 0 && gen_event_role(&c->out, rq, &g->pre, eol))
        return ENOMEM;
    if (gen_event_text(&c->out, rq, &g->pre, g->sent_tokens, generated - g->sent_tokens, NULL, 0,
                       last ? "length" : NULL, eol))
        return ENOMEM;
    g->sent_tokens = generated;
    if (last && ((rq->include_usage && gen_event_usage(&c->out, rq, &g->pre, generated, eol)) ||
                 gen_event_done(&c->out, rq, eol)))
        return ENOMEM;
    if (chunk_close(c, at) || (last && put_end(c)))
        return ENOMEM;
    return 0;
}

/* The engine made a token for seq (engine_step_end). */
static void on_tokens(engine_seq_t *seq, void *arg)
{
    server_t *srv = arg;
    sconn_t *c = container_of(seq, sconn_t, gen.seq);
    sgen_t *g = &c->gen;
    bool last = seq->generated >= seq->output_tokens;
    STAT_ADD(srv, tokens, 1);
    if (last)
        STAT_SUB(srv, seqs_running, 1);
    if (g->error_injected) {
        /* Answered when its first token would have been: 500, no stream. */
        sgen_abort(c);
        fail_now(c, 500, "injected error (--error-rate)");
        return;
    }
    if (!g->req.stream) {
        if (!last)
            return;
        g->active = false;
        c->status = 200;
        if (reply_begin(&c->out) ||
            gen_answer(&c->out, &g->req, body_of(c), g->id, g->created, seq->generated)) {
            fail_now(c, 500, "out of memory");
            return;
        }
        if (sconn_send(c) == 0)
            sconn_drive(c);
        return;
    }
    if (!last && seq->generated - g->sent_tokens < srv->cfg->tokens_per_chunk)
        return;
    if (stream_tokens(c, seq->generated, last)) {
        sconn_close(c);
        return;
    }
    sconn_drive(c);
}

/* ---- scripts ---- */

/* The script for this request: the first whose model matches, else the
 * first without a model. */
static const script_t *script_for(const struct stub *stub, const gen_req_t *rq, const char *body)
{
    const script_t *any = NULL;
    for (unsigned i = 0; i < stub->nscripts; i++) {
        const script_t *s = stub->scripts[i];
        if (!s->model) {
            if (!any)
                any = s;
            continue;
        }
        size_t n = strlen(s->model);
        if (rq->model.len == n + 2 && !memcmp(body + rq->model.off + 1, s->model, n))
            return s;
    }
    return any;
}

/* One content step of a script into out. */
static int script_event(sconn_t *c, const script_step_t *st)
{
    sgen_t *g = &c->gen;
    const gen_req_t *rq = &g->req;
    const char *eol = eols[g->eol];
    bool tgi = rq->api == STUB_API_TGI;
    switch (st->op) {
    case SCRIPT_ROLE:
        return gen_event_role(&c->out, rq, &g->pre, eol);
    case SCRIPT_TOKEN: {
        const char *finish = NULL;
        if (tgi && st->last) {
            /* The finish that follows rides on this event. */
            const script_step_t *f = st + 1;
            while (f->op != SCRIPT_FINISH)
                f++;
            finish = f->text ? f->text : "length";
            g->folded = true;
        }
        int rc = gen_event_text(&c->out, rq, &g->pre, g->sent_tokens, st->n, st->text, st->len,
                                finish, eol);
        g->sent_tokens += st->n;
        STAT_ADD(c->srv, tokens, st->n);
        return rc;
    }
    case SCRIPT_EMPTY:
        return gen_event_text(&c->out, rq, &g->pre, g->sent_tokens, 0, NULL, 0, NULL, eol);
    case SCRIPT_FINISH:
        if (tgi && g->folded) {
            g->folded = false;
            return 0;
        }
        return gen_event_text(&c->out, rq, &g->pre, g->sent_tokens, 0, NULL, 0,
                              st->text ? st->text : "length", eol);
    case SCRIPT_USAGE:
        return gen_event_usage(&c->out, rq, &g->pre,
                               st->n == SCRIPT_COUNT_SENT ? g->sent_tokens : st->n, eol);
    case SCRIPT_DONE:
        return gen_event_done(&c->out, rq, eol);
    case SCRIPT_COMMENT:
        if (sbuf_puts(&c->out, st->len ? ": " : ":") || sbuf_append(&c->out, st->text, st->len) ||
            sbuf_puts(&c->out, eol) || sbuf_puts(&c->out, eol))
            return ENOMEM;
        return 0;
    case SCRIPT_ERROR:
        return gen_event_error(&c->out, rq, st->text, st->len, eol);
    case SCRIPT_RAW:
        return sbuf_append(&c->out, st->text, st->len);
    default:
        return 0;
    }
}

/* Plays the script from g->pc until a wait that is not over, a split
 * event, a stall, a close or its end. Appends to out; the caller flushes.
 * Returns 0 or ENOMEM. */
static int script_run(sconn_t *c)
{
    sgen_t *g = &c->gen;
    const script_t *s = g->script;
    uint64_t now = loop_now(c->srv->loop);
    size_t at = SIZE_MAX; /* the open chunk */
    compact(c);
    while (g->pc < s->nsteps) {
        const script_step_t *st = &s->steps[g->pc];
        switch (st->op) {
        case SCRIPT_WAIT:
            if (g->at_ns + st->ns > now) {
                g->due_ns = g->at_ns + st->ns;
                g->at_ns = g->due_ns;
                g->pc++;
                return at == SIZE_MAX ? 0 : chunk_close(c, at);
            }
            g->at_ns += st->ns;
            g->pc++;
            continue;
        case SCRIPT_EOL:
            g->eol = (uint8_t)st->n;
            g->pc++;
            continue;
        case SCRIPT_SPLIT:
            /* The events before it go out whole: close their write first, or
             * the first split event would pace them with it. */
            if (at != SIZE_MAX && chunk_close(c, at))
                return ENOMEM;
            at = SIZE_MAX;
            g->split = st->n;
            g->split_gap_ns = st->ns;
            g->pc++;
            continue;
        case SCRIPT_DROP:
        case SCRIPT_RESET:
            g->close_how = st->op == SCRIPT_DROP ? SGEN_DROP : SGEN_RESET;
            g->finished = true;
            g->active = false;
            g->pc = s->nsteps;
            return at == SIZE_MAX ? 0 : chunk_close(c, at);
        case SCRIPT_STALL:
            g->stalled = true;
            g->pc = s->nsteps;
            return at == SIZE_MAX ? 0 : chunk_close(c, at);
        default:
            break;
        }
        /* An event. */
        if (put_head(c))
            return ENOMEM;
        if (at == SIZE_MAX && chunk_open(c, &at))
            return ENOMEM;
        if (script_event(c, st))
            return ENOMEM;
        g->pc++;
        if (g->split) {
            /* This event alone, g->split bytes at a time (sgen_drive). */
            size_t start = at;
            if (chunk_close(c, at))
                return ENOMEM;
            if (c->out.len > start) {
                g->pace_end = c->out.len;
                g->send_limit = start + g->split;
                return 0;
            }
            at = SIZE_MAX;
        }
    }
    if (g->stalled || g->finished)
        return 0;
    if ((at != SIZE_MAX && chunk_close(c, at)) || put_head(c) || put_end(c))
        return ENOMEM;
    return 0;
}

/* ---- a request ---- */

int sgen_start(sconn_t *c)
{
    server_t *srv = c->srv;
    const stub_config_t *cfg = srv->cfg;
    sgen_t *g = &c->gen;
    const char *body = body_of(c);
    size_t len = c->rq.end - c->rq.hlen;
    uint64_t now = loop_now(srv->loop);
    sbuf_t pre = g->pre;
    memset(g, 0, offsetof(sgen_t, pre));
    g->pre = pre;
    g->send_limit = SIZE_MAX;
    char why[300];
    if (gen_parse(api_of_route(c->rq.route), c->rq.route == ROUTE_TGI_STREAM, body, len, &g->req,
                  why, sizeof why)) {
        sconn_set_error(c, 400, why);
        return sconn_send_at(c, now);
    }
    if (cfg->output_tokens)
        g->req.max_tokens = (uint32_t)cfg->output_tokens;
    sgen_id(srv, g->req.api == STUB_API_OPENAI_CHAT ? "chatcmpl-" : "cmpl-", g->id, sizeof g->id);
    g->created = clock_wall_ns() / CLOCK_NS_PER_S;
    g->chunked = !c->rq.version10;
    if (gen_prefix(&g->pre, &g->req, body, g->id, g->created)) {
        sconn_set_error(c, 500, "out of memory");
        return sconn_send_at(c, now);
    }
    sbuf_reset(&c->out);
    c->out_off = 0;
    c->status = 200;
    c->state = SCONN_GEN;
    g->active = true;
    g->script = g->req.stream ? script_for(srv->stub, &g->req, body) : NULL;
    if (g->script) {
        g->at_ns = now;
        if (script_run(c)) {
            sconn_close(c);
            return -1;
        }
        return 0; /* sconn_drive writes it */
    }
    /* Waiting for a slot: what would not fit the free slots; --queue of
     * those may wait. */
    engine_t *e = &srv->engine;
    if (e->nrunning + e->nwaiting >= e->p.max_seqs + srv->queue_cap) {
        g->active = false;
        sconn_set_error(c, 503, "server busy: every sequence slot is taken and the queue is full");
        return sconn_send_at(c, now);
    }
    g->error_injected = model_inject_error(cfg, &srv->rng);
    g->seq.prompt_tokens = g->req.prompt_tokens;
    g->seq.output_tokens = g->req.max_tokens;
    g->seq.state = ENGINE_SEQ_IDLE;
    STAT_ADD(srv, seqs_waiting, 1);
    if (engine_submit(&srv->engine, &g->seq))
        step_next(srv, now); /* the engine was idle */
    return 0;
}

/* The timer must fire at the earlier of the script's and the write's
 * deadlines. */
static void arm(sconn_t *c)
{
    sgen_t *g = &c->gen;
    uint64_t when = g->due_ns;
    if (g->write_due_ns && (!when || g->write_due_ns < when))
        when = g->write_due_ns;
    if (when)
        sconn_deadline(c, when);
    else
        c->deadline_ns = 0;
}

int sgen_drive(sconn_t *c)
{
    sgen_t *g = &c->gen;
    server_t *srv = c->srv;
    for (;;) {
        size_t before = c->out_off;
        int r = sconn_flush(c, g->send_limit);
        if (r < 0)
            return -1;
        uint64_t now = loop_now(srv->loop);
        if (r > 0) {
            /* Blocked: a client that reads nothing for the header timeout is
             * dropped; any progress restarts that clock. */
            if (c->out_off > before || !g->write_due_ns)
                g->write_due_ns = now + srv->cfg->header_timeout_ns;
            arm(c);
            return 1;
        }
        g->write_due_ns = 0;
        if (g->pace_end) {
            if (c->out_off < g->pace_end) {
                if (!g->due_ns)
                    g->due_ns = now + g->split_gap_ns; /* the next piece */
                arm(c);
                return 1;
            }
            g->pace_end = 0;
            g->send_limit = SIZE_MAX;
            if (g->at_ns < now)
                g->at_ns = now; /* the script's clock resumes after the pieces */
            if (!g->due_ns && !g->finished && !g->stalled) {
                if (script_run(c)) {
                    sconn_close(c);
                    return -1;
                }
                continue;
            }
        }
        if (g->finished && c->out_off == c->out.len) {
            if (g->close_how == SGEN_KEEP)
                return 0;
            if (g->close_how == SGEN_RESET) {
                struct linger lg = {1, 0};
                setsockopt(c->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            }
            sconn_close(c);
            return -1;
        }
        arm(c);
        return 1;
    }
}

void sgen_on_timer(sconn_t *c)
{
    sgen_t *g = &c->gen;
    uint64_t now = loop_now(c->srv->loop);
    if (g->write_due_ns && now >= g->write_due_ns) {
        sconn_close(c); /* the client stopped reading */
        return;
    }
    if (g->due_ns && now >= g->due_ns) {
        g->due_ns = 0;
        if (g->pace_end) {
            size_t next = g->send_limit + g->split;
            g->send_limit = next < g->pace_end ? next : g->pace_end;
        } else if (g->script && !g->finished && !g->stalled && script_run(c)) {
            sconn_close(c);
            return;
        }
    }
    sconn_drive(c);
}
