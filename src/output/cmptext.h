/* cmptext — a comparison (stats/compare.h) as terminal text: the table of
 * `tailgate diff` and `tailgate ab`, and the warning printed when the two
 * runs did not send the same inputs. Write errors are left on f. */
#ifndef TAILGATE_OUTPUT_CMPTEXT_H
#define TAILGATE_OUTPUT_CMPTEXT_H

#include <stdio.h>

#include "stats/compare.h"

/* A loud warning when the inputs were not identical; nothing otherwise. */
void cmptext_warn_inputs(FILE *f, const compare_t *c);
/* metric | baseline | optimized | delta | delta %, then which SLAs were
 * judged, each verdict, and the overall one. */
void cmptext_print(FILE *f, const compare_t *c);

#endif
