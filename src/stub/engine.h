/* engine — the stub's model of a continuous-batching LLM engine (vLLM's
 * scheduler, reduced to its timing). Pure logic: no clock, no loop, no I/O;
 * the caller runs the steps on a timer (stub/gen.c) and a test can run them
 * by hand.
 *
 * At most max_seqs sequences decode together. Work happens in steps: a step
 * begins by admitting waiting sequences (first come, first served) into free
 * slots, lasts
 *     step + step_per_seq * running + prefill_per_token * (prompt tokens of
 *     the sequences admitted in it)
 * and ends with one new token for every sequence that ran in it, so a
 * sequence's first token comes at the end of the step that prefilled it and
 * each later token one step after the previous. Arrivals during a step wait
 * for the next step boundary; a sequence leaves when it has all its tokens
 * (or is cancelled), freeing its slot for the next step. So TTFT grows with
 * the queue for slots and with other prompts' prefill, and TPOT with the
 * number of sequences decoding: what a real server does under load.
 *
 * Sequences are embedded in their owner (no allocation); the engine only
 * links them. */
#ifndef TAILGATE_STUB_ENGINE_H
#define TAILGATE_STUB_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    ENGINE_SEQ_IDLE,    /* not in the engine (new, finished or cancelled) */
    ENGINE_SEQ_WAITING, /* waiting for a slot */
    ENGINE_SEQ_RUNNING, /* holds a slot */
} engine_seq_state_t;

typedef struct engine_seq engine_seq_t;
struct engine_seq {
    engine_seq_t *prev, *next;
    uint32_t prompt_tokens; /* set by the owner before engine_submit */
    uint32_t output_tokens; /* tokens to generate (>= 1) */
    uint32_t generated;     /* tokens generated so far */
    engine_seq_state_t state;
};

typedef struct {
    uint64_t step_ns;              /* fixed cost of a step */
    uint64_t step_per_seq_ns;      /* added per running sequence */
    uint64_t prefill_per_token_ns; /* added per prompt token admitted in the step */
    uint32_t max_seqs;             /* slots (>= 1) */
} engine_params_t;

typedef struct {
    engine_params_t p;
    engine_seq_t *waiting, *waiting_tail; /* FIFO */
    engine_seq_t *running;                /* unordered */
    size_t nwaiting, nrunning;
    bool in_step; /* between engine_step_begin and engine_step_end */
} engine_t;

void engine_init(engine_t *e, const engine_params_t *p);

/* Queues seq (state IDLE, generated 0, output_tokens >= 1) for a slot.
 * Returns true when no step is running: the caller must begin one. */
bool engine_submit(engine_t *e, engine_seq_t *seq);

/* Takes seq out wherever it is (harmless when IDLE). A running sequence's
 * slot is free from the next step on; the current step keeps its length. */
void engine_cancel(engine_t *e, engine_seq_t *seq);

/* Begins a step: admits waiting sequences into free slots. Returns false
 * (nothing to do: the engine is idle) or true with the step's length. */
bool engine_step_begin(engine_t *e, uint64_t *duration_ns);

/* Ends the step: every running sequence gets one more token; those that have
 * all their tokens leave (state IDLE) before fn sees them. fn(seq, arg) runs
 * once per sequence of the step, in no particular order; it may cancel seq
 * (only seq) and submit new sequences (they wait for the next step). Then
 * begin the next step. */
void engine_step_end(engine_t *e, void (*fn)(engine_seq_t *seq, void *arg), void *arg);

#endif
