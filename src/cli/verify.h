/* verify — ab's checks before measuring: the target answers 2xx with one
 * output per input, and K sample inputs sent one by one and as one batch get
 * the same outputs (batching must not change answers). */
#ifndef TAILGATE_CLI_VERIFY_H
#define TAILGATE_CLI_VERIFY_H

#include <stddef.h>
#include <stdio.h>

#include "load/engine.h"

/* Returns 0 when the target passed; otherwise writes what differed to `f`
 * and returns EXIT_VERIFY (wrong answers) or EXIT_CANNOT_RUN (no answer). */
int verify_target(const engine_config_t *cfg, unsigned samples, FILE *f);

#endif
