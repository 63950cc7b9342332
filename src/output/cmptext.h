/* cmptext — a comparison (stats/compare.h) as terminal text: the table of
 * `tailgate diff` and `tailgate ab`, and the warning printed when the two
 * runs did not send the same inputs. Write errors are left on f. */
#ifndef TAILGATE_OUTPUT_CMPTEXT_H
#define TAILGATE_OUTPUT_CMPTEXT_H

#include <stdio.h>

#include "stats/compare.h"

/* A loud warning when the inputs were not identical; a note saying why when
 * both came from the same inputs in the same order (different counts, or
 * --warmup); nothing otherwise. */
void cmptext_warn_inputs(FILE *f, const compare_t *c);
/* metric | baseline | optimized | delta | delta %, then which SLAs were
 * judged, each verdict, the --max-regression gates and the watches that found
 * the optimized run worse, and the overall verdict. */
void cmptext_print(FILE *f, const compare_t *c);
/* The verdict in words, without "verdict: " or a newline: "PASS (SLA met),
 * but optimized p95 is 94.3% slower than baseline", "FAIL (SLA met;
 * regression: p95=+5% measured +94.3%)". */
void cmptext_verdict(FILE *f, const compare_t *c);

#endif
