/* charts — the report's four charts, drawn as inline SVG from plain arrays
 * (report.c extracts them from the JSON documents). Each chart's <svg> has
 * an id and class naming it: chart-percentiles, chart-latency-time,
 * chart-throughput, chart-comparison. Latency is in ms throughout; a NaN
 * value is "not measured" and leaves a gap. */
#ifndef TAILGATE_OUTPUT_CHARTS_H
#define TAILGATE_OUTPUT_CHARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "stats/metric.h"

/* One run's series. Arrays are borrowed for the call. */
typedef struct {
    const char *label;
    const char *color;
    /* Percentile distribution: x = log10(1 / (1 - p)), p in 0..1. */
    const double *pct_x;
    const double *pct_item_ms;
    const double *pct_request_ms; /* NULL = not drawn (batch 1: same as item) */
    size_t npct;
    /* Timeline, one entry per second: t_pct[k] the item latency of
     * metric_pcts[k] (stats/metric.h) for the METRIC_PCT_BRIEF ones, drawn as
     * lines; NULL for the others. */
    const double *t_sec, *t_pct[METRIC_NUM_PCTS];
    /* Throughput, by completion time: requests served, errors, items served
     * per second (t_ips NULL = not drawn). by_intended: a result without
     * completion counts, whose requests/s and errors/s count by intended
     * time instead (all requests, not only the served ones). */
    const double *t_rps, *t_eps;
    const double *t_ips;
    bool by_intended;
    /* Open loop: the schedule's items/s, drawn from 0 to offered_s; NaN = none. */
    double offered_ips, offered_s;
    size_t nt;
} chart_run_t;

/* A latency SLA drawn as a dashed line at ms; pct (0..100) also marks where
 * on the percentile axis it applies, NaN for mean. */
typedef struct {
    char label[112];
    double ms;
    double pct;
    bool pass_known, pass;
} chart_sla_t;

/* xmax: the percentile axis runs to 1 - 10^-xmax (4 = 99.99%). */
void chart_percentiles(FILE *f, const chart_run_t *runs, size_t n, const chart_sla_t *slas,
                       size_t nsla, int xmax, const char *empty_note);
void chart_latency_time(FILE *f, const chart_run_t *runs, size_t n, const chart_sla_t *slas,
                        size_t nsla, const char *empty_note);
void chart_throughput(FILE *f, const chart_run_t *runs, size_t n);

/* One group of the comparison bars: a metric of both runs and its change. */
typedef struct {
    const char *name; /* "p95" */
    double base_ms, opt_ms;
    double delta_pct; /* NaN = not known */
} chart_bar_group_t;

/* verdict: big text ("SLA p95<=800ms: PASS") or NULL; pass colours it. */
void chart_comparison(FILE *f, const char *base_label, const char *opt_label,
                      const chart_bar_group_t *g, size_t ng, const chart_sla_t *slas, size_t nsla,
                      const char *verdict, bool pass);

#endif
