/* pacer — the schedule of intended times, pure math (no clock, no sockets).
 *
 * Open loop: item k is intended at start + k/rate (constant) or after
 * exponential gaps of mean 1/rate drawn from a seeded PRNG (poisson): the same
 * seed gives the same schedule on every machine. Closed loop has no schedule:
 * the next request is intended when the previous one completed, which the
 * caller knows; pacer_next then returns the time the caller passes in. */
#ifndef TAILGATE_LOAD_PACER_H
#define TAILGATE_LOAD_PACER_H

#include <stdint.h>

typedef enum { PACER_CLOSED, PACER_CONSTANT, PACER_POISSON } pacer_mode_t;

typedef struct {
    pacer_mode_t mode;
    uint64_t start_ns;  /* intended time of item 0 */
    double gap_ns;      /* mean gap: 1e9 / rate */
    uint64_t k;         /* items handed out so far */
    double next_off_ns; /* poisson: offset of item k from start_ns */
    uint64_t rng[4];    /* xoshiro256** state (poisson) */
} pacer_t;

/* rate: items per second (> 0 for open loop; ignored for PACER_CLOSED).
 * seed: poisson only; any value (0 included) is fine. */
void pacer_init(pacer_t *p, pacer_mode_t mode, uint64_t start_ns, double rate, uint64_t seed);

/* Intended time of the next item, without consuming it. For PACER_CLOSED:
 * closed_ready_ns (when the caller's previous request completed). */
uint64_t pacer_peek(const pacer_t *p, uint64_t closed_ready_ns);
/* Same, and consumes it. */
uint64_t pacer_next(pacer_t *p, uint64_t closed_ready_ns);
/* Items handed out so far. */
uint64_t pacer_count(const pacer_t *p);

/* The PRNG, exposed for tests and for per-thread seeding. */
uint64_t pacer_splitmix64(uint64_t *state);
/* Uniform double in (0, 1]. */
double pacer_uniform(pacer_t *p);

#endif
