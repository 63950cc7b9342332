/* sweepview — the HTML report of a sweep (`tailgate report sweep.json`): one
 * self-contained XHTML file like output/report.h's, with
 *   svg#chart-sweep-latency     p50/p95/p99 of the gated latency against the
 *                               offered load, each step a dot coloured by its
 *                               verdict, the latency SLAs as dashed lines and
 *                               the capacity found as a vertical line;
 *   svg#chart-sweep-throughput  items/s served against offered, beside the
 *                               line where they are equal: the knee shows
 *                               where the server stops keeping up;
 * the answer of each sweep, notes (a client that was the limit, steps left
 * undecided) and a table of every step (table#sweep-steps). Several sweeps
 * (the embedded demo's batch 1 and batch 10, or several files) are overlaid,
 * one colour each. */
#ifndef TAILGATE_OUTPUT_SWEEPVIEW_H
#define TAILGATE_OUTPUT_SWEEPVIEW_H

#include <stddef.h>
#include <stdio.h>

#include "stats/sweep.h"

/* Writes the report of sweeps[0..n) (n >= 1) to f; title NULL = "tailgate
 * sweep". Returns 0, EINVAL (nothing to report), ENOMEM or a write error's
 * errno, with a reason in err. */
int sweepview_render(FILE *f, const sweep_t *const *sweeps, size_t n, const char *title, char *err,
                     size_t errlen);
/* The same into out_path ("-" = stdout), through a temporary file renamed
 * into place (output/report.h: report_write_with). */
int sweepview_write(const char *out_path, const sweep_t *const *sweeps, size_t n, const char *title,
                    char *err, size_t errlen);

#endif
