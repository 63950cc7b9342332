/* reportrun — one result document as the HTML report sees it. Internal to
 * src/output: shared by report.c, which fills it, and runtable.c. */
#ifndef TAILGATE_OUTPUT_REPORTRUN_H
#define TAILGATE_OUTPUT_REPORTRUN_H

#include <jansson.h>

#include "output/charts.h"
#include "stats/hist.h"

typedef struct {
    const json_t *j;
    char label[128];
    const char *color;
    hist_t *item, *request; /* decoded histograms; NULL when the file has none */
    double *buf;            /* every series below points into this */
    chart_run_t chart;
    double total, ok, errors;
} run_t;

#endif
