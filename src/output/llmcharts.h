/* llmcharts — the HTML report's charts of streamed runs (--stream): time to
 * first token and time per output token by percentile (svg#chart-ttft,
 * svg#chart-tpot), the inter-token latency histogram (svg#chart-itl) and
 * output tokens per second over time (svg#chart-tokens-time), each with the
 * runs that streamed and the SLAs on its metric. Internal to src/output:
 * report.c calls it; it writes nothing when no run streamed. */
#ifndef TAILGATE_OUTPUT_LLMCHARTS_H
#define TAILGATE_OUTPUT_LLMCHARTS_H

#include <stddef.h>
#include <stdio.h>

#include "output/reportrun.h"

/* The "Streaming" section: a heading, what the metrics mean, the four
 * charts. xmax: the percentile axis runs to 1 - 10^-xmax. Returns 0 or
 * ENOMEM (nothing written then). */
int llmcharts_section(FILE *f, const report_run_t *runs, size_t n, int xmax);

#endif
