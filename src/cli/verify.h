/* verify — ab's checks before measuring: the target answers 2xx with one
 * output per input where the run's response path (--outputs) says, and K
 * sample inputs sent one by one and as one batch get the same outputs
 * (batching must not change answers). An API that carries one input per
 * request has no batch to compare: each sample must answer with its output. */
#ifndef TAILGATE_CLI_VERIFY_H
#define TAILGATE_CLI_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "load/engine.h"

/* --verify-tolerance abs=X[,rel=Y]: two numbers agree when
 * |a - b| <= max(abs, rel * max(|a|, |b|)) (Python's math.isclose); strings,
 * labels, true/false/null and the outputs' shapes must be equal. Zero: exact. */
typedef struct {
    double abs, rel;
} verify_tolerance_t;

/* Parses "abs=0.002", "rel=1e-3", "abs=0.002,rel=0.01". Returns 0, or -1
 * with why filled (words to follow "--verify-tolerance VALUE: "). */
int verify_parse_tolerance(const char *text, verify_tolerance_t *out, char *why, size_t whylen);

/* Returns 0 when the target passed; otherwise writes what differed to `f`
 * and returns EXIT_VERIFY (wrong answers) or EXIT_CANNOT_RUN (no answer).
 * cfg->plan says what is sent and where the outputs are (no plan: nothing
 * to verify). The batch compared is never larger than max_batch, the most
 * items the measured runs put in one request (a server that caps its batch
 * refuses a larger one); max_batch 1: no batch to compare, each sample is
 * sent alone. At most `samples` inputs, at least 2 (fewer when the file has
 * fewer, or the batch is smaller); *checked (when not NULL) is set to how
 * many were, *batched to whether they were also sent as one batch. tol
 * NULL: exact. */
int verify_target(const engine_config_t *cfg, unsigned samples, unsigned max_batch,
                  const verify_tolerance_t *tol, unsigned *checked, bool *batched, FILE *f);

#endif
