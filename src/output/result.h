/* result — the result JSON of one run (DESIGN.md "Files"), built from the
 * merged runstats. Mergeable: it carries the serialized histograms. */
#ifndef TAILGATE_OUTPUT_RESULT_H
#define TAILGATE_OUTPUT_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "stats/runstats.h"
#include "stats/sla.h"

typedef struct {
    json_t *config;            /* borrowed: the run's configuration as the CLI saw it */
    const runstats_t *stats;   /* merged over threads */
    uint64_t started_wall_ns;  /* wall clock at measurement start */
    uint64_t duration_ns;      /* measured span */
    const char *inputs_digest; /* "sha256:HEX" or NULL */
    const sla_t *slas;
    size_t num_slas;
    bool interrupted;
} result_input_t;

/* Builds the result object; NULL on ENOMEM. */
json_t *result_build(const result_input_t *in);
/* The percentiles every latency summary stores ("p50" .. "p99_99"; min, max,
 * mean and stdev are stored beside them). */
typedef struct {
    const char *key;
    double p;
} result_pct_t;
#define RESULT_NUM_PCTS 7
extern const result_pct_t result_pcts[RESULT_NUM_PCTS];

/* Latency summary {p50..p99_99,min,max,mean,stdev,count} in ms of one
 * histogram; percentiles are null when it is empty. */
json_t *result_latency_summary(const hist_t *h);
/* Evaluates every SLA; returns the "sla" array and sets *all_pass. */
json_t *result_sla_array(const sla_t *slas, size_t n, const runstats_t *rs, double duration_s,
                         bool *all_pass);
/* Writes JSON to path (pretty, trailing newline). Returns 0 or an errno value
 * with a reason in err. */
int result_write_file(const json_t *j, const char *path, char *err, size_t errlen);

#endif
