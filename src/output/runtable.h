/* runtable — the per-run tables of the HTML report (output/report.h): the
 * summary (id="summary": requests, throughput, every latency metric's
 * percentiles, outcomes) and the configuration (id="config": every option any
 * run records). One column per run, headed by its label and colour; a value a
 * run lacks is "-". Writes XHTML fragments into f; write errors are left on
 * f. */
#ifndef TAILGATE_OUTPUT_RUNTABLE_H
#define TAILGATE_OUTPUT_RUNTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "output/reportrun.h"

void runtable_summary(FILE *f, const report_run_t *runs, size_t n);
/* Says so in a paragraph when no run holds a configuration. */
void runtable_config(FILE *f, const report_run_t *runs, size_t n);

/* A run's errors in words: "connect_refused" when one kind explains every
 * error, else "connect_refused 30, timeout 20"; "" when there are none. */
void runtable_describe_errors(const result_t *r, char *buf, size_t len);

#endif
