/* report — the self-contained HTML report: one XHTML file (well-formed XML,
 * served as .html) with inline CSS and inline SVG charts drawn here, no
 * JavaScript and no external references, so it can be mailed or attached to
 * a CI run and opened anywhere.
 *
 * Contents: SLA verdict; for a comparison, baseline vs optimized bars with the
 * deltas (svg#chart-comparison); the percentile distribution of every run
 * overlaid (svg#chart-percentiles, x = 1/(1-p) on a log scale); p50/p95/p99
 * per second (svg#chart-latency-time); requests/s and errors/s per second
 * (svg#chart-throughput); a summary table, errors by kind, SLA results and
 * each run's configuration. Latency SLAs are drawn as dashed lines.
 *
 * Inputs are results (stats/result.h) and a comparison (stats/compare.h),
 * read by their from_json functions. What a result lacks is shown as "-";
 * runs without successful requests render and say what happened. */
#ifndef TAILGATE_OUTPUT_REPORT_H
#define TAILGATE_OUTPUT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "stats/compare.h"
#include "stats/result.h"
#include "stats/sla.h"

typedef struct {
    const char *title; /* NULL = "tailgate report" */
    /* report --sla: judged on every run instead of the SLAs each records;
     * may be NULL */
    const sla_t *slas;
    size_t nslas;
} report_opts_t;

/* Writes the report for n >= 1 results (borrowed; labels[i] names results[i]
 * in legends and tables, e.g. "baseline"; labels may be NULL = "run 1"...).
 * comparison may be NULL (then n >= 1). opts may be NULL (defaults).
 * report_render writes to f; report_write creates out_path ("-" = stdout)
 * through a temporary file renamed into place, so a reader never sees half
 * a report. Both return 0, EINVAL (nothing to report), ENOMEM, or an errno
 * value from the file system, with a reason in err. */
int report_render(FILE *f, const result_t *const *results, const char *const *labels, size_t n,
                  const compare_t *comparison, const report_opts_t *opts, char *err, size_t errlen);
int report_write(const char *out_path, const result_t *const *results, const char *const *labels,
                 size_t n, const compare_t *comparison, const report_opts_t *opts, char *err,
                 size_t errlen);

/* A report of another kind (output/sweepview.h) written the same way:
 * render(f, arg, err, errlen) writes it and returns 0 or an errno value. */
typedef int (*report_render_fn)(FILE *f, const void *arg, char *err, size_t errlen);
int report_write_with(const char *out_path, report_render_fn render, const void *arg, char *err,
                      size_t errlen);

/* Every kind of report's page: the XHTML head with the shared style sheet
 * and the title, up to the open <h1> holding the title (the caller closes
 * it, and may add to it); and the footer, flushed. report_page_end returns 0
 * or the errno of a failed write (err says so). */
void report_page_begin(FILE *f, const char *title);
int report_page_end(FILE *f, char *err, size_t errlen);

#endif
