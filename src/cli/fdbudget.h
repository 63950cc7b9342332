/* fdbudget — do the connections a run asks for fit in the open-files limit?
 *
 * Every connection is a file descriptor (two when ab's embedded stub serves
 * the other end in this process). A run that asks for more than the limit
 * allows does not fail: connects fail one by one, each thread carries on
 * with fewer connections, and a 3-second run can take the whole --timeout
 * to drain. So before the clock starts: the soft limit is raised to the
 * hard one (the most an unprivileged process may have), the descriptors the
 * process holds then are counted (standard streams, the event loops, the
 * CSV log, an embedded stub's: all open by then), and a fixed pool that does
 * not fit is refused, naming both numbers; a pool that grows
 * (--connections 0) is bounded by what is left. */
#ifndef TAILGATE_CLI_FDBUDGET_H
#define TAILGATE_CLI_FDBUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "cli/runopts.h"
#include "load/engine.h"

typedef struct {
    uint64_t limit; /* the soft limit after raising it; UINT64_MAX = none */
    uint64_t hard;  /* the hard limit; UINT64_MAX = none */
    uint64_t open;  /* descriptors open now */
} fdbudget_t;

/* Raises RLIMIT_NOFILE's soft limit to the hard one and reads both, then
 * counts the descriptors open now. Returns 0 or an errno value. */
int fdbudget_read(fdbudget_t *b);

/* After engine_prepare (cfg the engine's, o the options it came from):
 * checks a fixed pool against b, or bounds a growing one with
 * engine_limit_connections. Returns 0, or EMFILE with err saying which
 * option asks for how many descriptors, the limit, and what to do. */
int fdbudget_apply(const fdbudget_t *b, const runopts_t *o, const engine_config_t *cfg,
                   engine_t *eng, char *err, size_t errlen);

#endif
