/* console — the human summary of a run, printed from its result
 * (stats/result.h), so a live run's summary and a saved file's look the
 * same. Write errors are left on f. */
#ifndef TAILGATE_OUTPUT_CONSOLE_H
#define TAILGATE_OUTPUT_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

#include "stats/result.h"

/* Prints counts, throughput, the percentile table (every latency metric the
 * run measured), a histogram of item latency, errors by kind, status codes,
 * connections and SLA verdicts. color: ANSI colours; utf8: Unicode block
 * characters (else ASCII). */
void console_print_summary(FILE *f, const result_t *r, bool color, bool utf8);

/* Just the item-latency histogram of a result, under a title. */
void console_print_item_chart(FILE *f, const result_t *r, const char *title, bool color, bool utf8);

#endif
