/* compare — two result files (DESIGN.md "Files": result JSON of `run --out`)
 * side by side: the comparison JSON of `tailgate diff` and `tailgate ab`.
 *
 * Comparison JSON:
 *   {"tool","version","baseline":HEADLINE,"optimized":HEADLINE,
 *    "delta":{"p50_ms","p95_ms","p99_ms","max_ms","p50_pct","p95_pct","p99_pct",
 *             "items_per_s","items_per_s_pct","requests_per_s_pct","error_rate_pct_points"},
 *    "inputs_identical":bool,"sla":[{"expr","metric","value","threshold","unit","pass"}],
 *    "sla_pass":bool}
 *   HEADLINE = {"file","requests","ok","errors","error_rate_pct","items","items_per_s",
 *               "requests_per_s","p50_ms","p90_ms","p95_ms","p99_ms","max_ms","mean_ms",
 *               "request_p95_ms","inputs_digest","batch","connections"}
 * delta = optimized - baseline; *_pct relative to the baseline, null when the
 * baseline is 0 or either side is null (an empty histogram has null latencies).
 * inputs_identical: both digests non-null and equal. SLAs are judged on the
 * optimized run, re-evaluated from its serialized histograms so any percentile
 * works; a value that cannot be measured is null and fails. */
#ifndef TAILGATE_STATS_COMPARE_H
#define TAILGATE_STATS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#include "stats/sla.h"

/* The SLA used when none is given: p95<=800ms. */
#define COMPARE_DEFAULT_SLA "p95<=800ms"

/* Reads and parses a JSON file. Returns 0, an errno value when the file cannot
 * be read, or EINVAL when it is not JSON; err names the file and the problem.
 * *out is a new reference on 0. */
int compare_load_file(const char *path, json_t **out, char *err, size_t errlen);

/* Builds the comparison of two parsed result objects (borrowed). base_file and
 * opt_file are the names recorded as "file" (NULL gives null). slas/n: the SLAs
 * to judge on the optimized run (n = 0 means none: "sla" is [] and "sla_pass"
 * true; callers wanting the default parse COMPARE_DEFAULT_SLA).
 * Returns 0 with *out a new reference, EINVAL when a result is malformed (err
 * names the file and the field), or ENOMEM. */
int compare_build(const json_t *base, const char *base_file, const json_t *opt,
                  const char *opt_file, const sla_t *slas, size_t n, json_t **out, char *err,
                  size_t errlen);

/* A loud warning on f when the comparison's inputs were not identical;
 * nothing otherwise. */
void compare_warn_inputs(FILE *f, const json_t *c);
/* Prints the comparison as a table (metric | baseline | optimized | delta |
 * delta %) followed by the SLA verdicts, to f. */
void compare_print_table(FILE *f, const json_t *comparison);

#endif
