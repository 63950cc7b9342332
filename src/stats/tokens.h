/* tokens — the token timing of one streamed request:
 * integer nanoseconds on CLOCK_MONOTONIC, no allocation, no I/O.
 *
 * Words: t_int the intended send time; t_send the first byte written; t_k
 * the arrival of the k-th token-bearing event (llmevent.h says which those
 * are); K how many there were; t_end the end of the response.
 *   n_out         usage.completion_tokens when the server sent it, else K
 *                 (estimated = true). Never tokenized in the client.
 *   ttft          t_1 - t_int         (undefined when K = 0)
 *   ttft_service  t_1 - t_send        (undefined when K = 0)
 *   e2el          t_K - t_int         (undefined when K = 0; a usage chunk
 *                                     or [DONE] after t_K does not move it)
 *   tpot          (t_K - t_1) / (n_out - 1), rounded to the nearest ns;
 *                 undefined when n_out < 2 (vLLM's rule) and also when K < 2:
 *                 one event measures no decoding time, so a non-streamed
 *                 answer (one event carrying every token) would otherwise
 *                 report tpot 0 and pass every tpot gate.
 *   itl           every gap t_{k+1} - t_k, handed back by tokens_event as
 *                 it happens so the caller records it into a histogram at
 *                 once (K - 1 gaps per request; inter-chunk: with several
 *                 tokens per chunk, n_out / K says so).
 * A time before its origin (t_1 < t_int) counts as 0: it cannot happen with
 * one monotonic clock and a client that never sends early.
 *
 * Use, per request (tokens_t lives in the request; nothing to free):
 *   tokens_start(&t, intended_ns, send_ns);
 *   on a token-bearing event:  if (tokens_event(&t, now, &gap)) record itl gap;
 *   on any event:              tokens_usage(&t, ev.completion_tokens);
 *   at the end:                tokens_end(&t, now); tokens_result(&t, &r); */
#ifndef TAILGATE_STATS_TOKENS_H
#define TAILGATE_STATS_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t intended_ns; /* t_int */
    uint64_t send_ns;     /* t_send */
    uint64_t first_ns;    /* t_1, valid when chunks > 0 */
    uint64_t last_ns;     /* t_K, valid when chunks > 0 */
    uint64_t end_ns;      /* t_end, 0 until tokens_end */
    uint64_t chunks;      /* K */
    int64_t usage;        /* the server's count, -1 until one came */
} tokens_t;

typedef struct {
    uint64_t chunks; /* K */
    uint64_t n_out;  /* output tokens */
    bool estimated;  /* n_out is K: the server sent no count */
    bool has_first;  /* K >= 1: ttft, ttft_service and e2el are defined */
    uint64_t ttft_ns;
    uint64_t ttft_service_ns;
    uint64_t e2el_ns;
    bool has_tpot; /* n_out >= 2 and K >= 2 */
    uint64_t tpot_ns;
    uint64_t end_ns; /* t_end as given to tokens_end (for tokens/s over the run) */
} tokens_result_t;

/* A new request, once its first byte is written: t_int and t_send. */
void tokens_start(tokens_t *t, uint64_t intended_ns, uint64_t send_ns);

/* A token-bearing event arrived at now_ns. Returns true, with *gap_ns =
 * t_k - t_{k-1}, from the second one on: one ITL sample for the caller to
 * record. */
bool tokens_event(tokens_t *t, uint64_t now_ns, uint64_t *gap_ns);

/* The server's completion token count, as llmevent_t.completion_tokens gives
 * it: negative means "none in this event" and is ignored; the last count
 * given wins (vLLM's continuous usage stats grow with every chunk). */
void tokens_usage(tokens_t *t, int64_t completion_tokens);

/* The response ended (complete, failed or cut off: the tokens seen count). */
void tokens_end(tokens_t *t, uint64_t end_ns);

/* The metrics above. */
void tokens_result(const tokens_t *t, tokens_result_t *r);

#endif
