/* runtable — the per-run tables of the HTML report (out/report.h): the
 * summary (id="summary": requests, throughput, latency percentiles, service
 * time, outcomes) and the configuration (id="config": every option any run's
 * document records). One column per run, headed by its label and colour;
 * a value a document lacks is "-". Writes XHTML fragments into f; write
 * errors are left on f. */
#ifndef TAILGATE_OUTPUT_RUNTABLE_H
#define TAILGATE_OUTPUT_RUNTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "output/reportrun.h"

void runtable_summary(FILE *f, const run_t *runs, size_t n);
/* Says so in a paragraph when no document holds a configuration. */
void runtable_config(FILE *f, const run_t *runs, size_t n);

#endif
