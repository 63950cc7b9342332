/* model — the stub's latency model: service time, injected errors, stalls.
 * Pure functions of the configuration and a caller-held PRNG (no global
 * state), so each server thread owns its own seeded generator. */
#ifndef TAILGATE_STUB_MODEL_H
#define TAILGATE_STUB_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/stub.h"

/* splitmix64: tiny, fast, and good enough for jitter and error injection. */
typedef struct {
    uint64_t state;
} model_rng_t;

void model_rng_seed(model_rng_t *rng, uint64_t seed);
uint64_t model_rng_next(model_rng_t *rng);
/* Uniform in [0, 1). */
double model_rng_unit(model_rng_t *rng);

/* Service time of a request carrying `items` inputs:
 * delay + per_item * items + jitter(scale). */
uint64_t model_service_ns(const stub_config_t *cfg, model_rng_t *rng, size_t items);

/* True when this request should be answered 500 (probability error_rate). */
bool model_inject_error(const stub_config_t *cfg, model_rng_t *rng);

/* Stalls are windows [origin + k*every, origin + k*every + for), k >= 1,
 * shared by every thread because they derive from the same origin. Returns
 * when a response due at due_ns may actually go out: due_ns itself, or the
 * end of the stall window it falls in. */
uint64_t model_release_ns(const stub_config_t *cfg, uint64_t origin_ns, uint64_t due_ns);

#endif
