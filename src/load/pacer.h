/* pacer — the schedule of intended times, pure math (no clock, no sockets).
 *
 * Open loop: item k is intended at start + k/rate (constant) or after
 * exponential gaps of mean 1/rate drawn from a seeded PRNG (poisson): the same
 * seed gives the same schedule on every machine. Closed loop has no schedule:
 * the next request is intended when the previous one completed, which the
 * caller knows; pacer_next then returns the time the caller passes in.
 *
 * One schedule, several senders: pacer_subset makes a pacer hand out only the
 * arrivals offset, offset + stride, ... of that schedule, at the times the
 * whole schedule gives them. The senders of offsets 0..stride-1 together send
 * the whole schedule, arrival for arrival: that is how threads and segments
 * (separate processes, even machines) share one run. A Poisson subset still
 * draws every arrival's gap (a draw costs ~10 ns) and keeps the ones that are
 * its own; a constant one computes its arrivals directly. */
#ifndef TAILGATE_LOAD_PACER_H
#define TAILGATE_LOAD_PACER_H

#include <stdint.h>

typedef enum { PACER_CLOSED, PACER_CONSTANT, PACER_POISSON } pacer_mode_t;

typedef struct {
    pacer_mode_t mode;
    uint64_t start_ns;  /* intended time of item 0 */
    double gap_ns;      /* mean gap: 1e9 / rate */
    uint64_t k;         /* items handed out so far */
    uint64_t index;     /* the schedule's number of the next item handed out */
    uint64_t stride;    /* then index + stride, ... (1: every arrival) */
    double next_off_ns; /* poisson: offset of arrival `index` from start_ns */
    uint64_t rng[4];    /* xoshiro256** state (poisson) */
} pacer_t;

/* rate: items per second (> 0 for open loop; ignored for PACER_CLOSED).
 * seed: poisson only; any value (0 included) is fine. */
void pacer_init(pacer_t *p, pacer_mode_t mode, uint64_t start_ns, double rate, uint64_t seed);

/* From now on p hands out only the arrivals offset, offset + stride, ... of
 * its schedule (stride >= 1), each at the time the whole schedule has it.
 * Call once, right after pacer_init. */
void pacer_subset(pacer_t *p, uint64_t offset, uint64_t stride);

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
