/* engine — continuous-batching step model (see engine.h). */
#include "stub/engine.h"

#include <assert.h>
#include <string.h>

void engine_init(engine_t *e, const engine_params_t *p)
{
    memset(e, 0, sizeof *e);
    e->p = *p;
    if (e->p.max_seqs == 0)
        e->p.max_seqs = 1;
}

static void running_add(engine_t *e, engine_seq_t *s)
{
    s->prev = NULL;
    s->next = e->running;
    if (e->running)
        e->running->prev = s;
    e->running = s;
    e->nrunning++;
    s->state = ENGINE_SEQ_RUNNING;
}

static void running_remove(engine_t *e, engine_seq_t *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        e->running = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    e->nrunning--;
    s->state = ENGINE_SEQ_IDLE;
}

bool engine_submit(engine_t *e, engine_seq_t *seq)
{
    assert(seq->state == ENGINE_SEQ_IDLE && seq->output_tokens >= 1);
    seq->generated = 0;
    seq->state = ENGINE_SEQ_WAITING;
    seq->next = NULL;
    seq->prev = e->waiting_tail;
    if (e->waiting_tail)
        e->waiting_tail->next = seq;
    else
        e->waiting = seq;
    e->waiting_tail = seq;
    e->nwaiting++;
    return !e->in_step;
}

void engine_cancel(engine_t *e, engine_seq_t *seq)
{
    switch (seq->state) {
    case ENGINE_SEQ_IDLE:
        return;
    case ENGINE_SEQ_RUNNING:
        running_remove(e, seq);
        return;
    case ENGINE_SEQ_WAITING:
        if (seq->prev)
            seq->prev->next = seq->next;
        else
            e->waiting = seq->next;
        if (seq->next)
            seq->next->prev = seq->prev;
        else
            e->waiting_tail = seq->prev;
        seq->prev = seq->next = NULL;
        e->nwaiting--;
        seq->state = ENGINE_SEQ_IDLE;
        return;
    }
    assert(!"engine_cancel: bad state");
}

bool engine_step_begin(engine_t *e, uint64_t *duration_ns)
{
    uint64_t prefill_tokens = 0;
    while (e->waiting && e->nrunning < e->p.max_seqs) {
        engine_seq_t *s = e->waiting;
        e->waiting = s->next;
        if (e->waiting)
            e->waiting->prev = NULL;
        else
            e->waiting_tail = NULL;
        e->nwaiting--;
        prefill_tokens += s->prompt_tokens;
        running_add(e, s);
    }
    if (e->nrunning == 0) {
        e->in_step = false;
        return false;
    }
    e->in_step = true;
    *duration_ns = e->p.step_ns + e->p.step_per_seq_ns * e->nrunning +
                   e->p.prefill_per_token_ns * prefill_tokens;
    return true;
}

void engine_step_end(engine_t *e, void (*fn)(engine_seq_t *seq, void *arg), void *arg)
{
    engine_seq_t *next;
    for (engine_seq_t *s = e->running; s; s = next) {
        next = s->next; /* fn may cancel s, never another */
        s->generated++;
        if (s->generated >= s->output_tokens)
            running_remove(e, s);
        fn(s, arg);
    }
    /* Only now: a sequence submitted from fn (a pipelined request) waits for
     * the step the caller begins next, not one of its own. */
    e->in_step = false;
}
