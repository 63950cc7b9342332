/* cmpview — the comparison part of the HTML report, from a comparison
 * (stats/compare.h): the verdict in big text, the deltas and
 * svg#chart-comparison (cmpview_head), and every headline number of both runs
 * with its change (cmpview_table). Writes XHTML fragments into f; write
 * errors are left on f. */
#ifndef TAILGATE_OUTPUT_CMPVIEW_H
#define TAILGATE_OUTPUT_CMPVIEW_H

#include <stddef.h>
#include <stdio.h>

#include "output/charts.h"
#include "stats/compare.h"

/* lines: the latency SLAs to draw on the bars (may be empty). */
void cmpview_head(FILE *f, const compare_t *c, const chart_sla_t *lines, size_t nlines);
void cmpview_table(FILE *f, const compare_t *c);

#endif
