/* reportrun — one run as the HTML report shows it: its result, its label and
 * colour, the SLA verdicts shown for it, and the chart series drawn from it.
 * Internal to src/output: filled by report.c, read by runtable.c. */
#ifndef TAILGATE_OUTPUT_REPORTRUN_H
#define TAILGATE_OUTPUT_REPORTRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "output/charts.h"
#include "stats/result.h"

typedef struct {
    const result_t *r;
    char label[128];
    const char *color;
    /* The verdicts shown: the ones the result records, or (report --sla)
     * those judged here into owned. */
    const sla_verdict_t *verdicts;
    size_t nverdicts;
    bool sla_pass;
    bool from_option;     /* verdicts of report --sla */
    sla_verdict_t *owned; /* freed with the run */
    double *buf;          /* every chart series points into this */
    chart_run_t chart;
} report_run_t;

#endif
