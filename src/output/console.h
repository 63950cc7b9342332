/* console — the human summary of a run, printed from its result JSON so a
 * run's summary and a saved file's look the same. */
#ifndef TAILGATE_OUTPUT_CONSOLE_H
#define TAILGATE_OUTPUT_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

/* Prints counts, throughput, the percentile table (items, requests, service),
 * a histogram of item latency, errors by kind, status codes and SLA
 * verdicts. color: ANSI colours; utf8: Unicode block characters (else ASCII). */
void console_print_summary(FILE *f, const json_t *result, bool color, bool utf8);

/* Just the item-latency histogram of a result, under a title. */
void console_print_item_chart(FILE *f, const json_t *result, const char *title, bool color,
                              bool utf8);

/* Reads a number from a result object by path ("latency_ms.item.p95");
 * NaN when absent or null. */
double console_get_number(const json_t *root, const char *path);

#endif
