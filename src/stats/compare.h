/* compare — two results side by side: the comparison of `tailgate diff` and
 * `tailgate ab` (README.md "Files": comparison JSON).
 *
 *   {"tool","version","baseline":HEADLINE,"optimized":HEADLINE,
 *    "delta":{"p50_ms","p95_ms","p99_ms","max_ms","p50_pct","p95_pct","p99_pct",
 *             "items_per_s","items_per_s_pct","requests_per_s_pct","error_rate_pct_points"},
 *    "inputs_identical":bool,"inputs_same_source":bool,
 *    "sla_source":"option"|"recorded"|"default",
 *    "sla":[{"expr","metric","value","threshold","unit","pass"[,"note"]}],"sla_pass":bool,
 *    "regression":[{"expr","metric","unit","baseline","optimized","change_pct","limit_pct",
 *                   "gating","pass"[,"note"]}],"regression_pass":bool,"pass":bool}
 *   HEADLINE = {"file","requests","ok","errors","error_rate_pct","items","items_per_s",
 *               "requests_per_s","p50_ms","p90_ms","p95_ms","p99_ms","max_ms","mean_ms",
 *               "request_p95_ms","inputs_digest","batch","connections" (--connections:
 *               0 = no bound),"connections_opened" (null when not recorded),
 *               "client_limited" (true, false, null: not checked),"interrupted"}
 * The latency keys are item latency (pN_ms for the METRIC_PCT_HEADLINE
 * percentiles, deltas for the METRIC_PCT_BRIEF ones). delta = optimized -
 * baseline; *_pct relative to the baseline, null when the baseline is 0 or
 * either side is null (an empty histogram has null latencies).
 * inputs_identical: both digests known and equal. inputs_same_source: both
 * drew their items from the same sequence (result_t.inputs_source known and
 * equal), so item i is the same in both even when they sent different
 * numbers of items (a closed loop bounded by --duration; --warmup). The SLAs
 * are judged on the
 * optimized run by result_judge. regression: the --max-regression gates
 * (stats/regress.h) judged on both runs, then a watch ("not worse than the
 * baseline", never failing) on each latency metric the SLAs judge that no
 * gate names (item p95 when they judge none), so the verdict can say when
 * the optimized run is slower even though its SLA passed. pass: the
 * verdict -- the SLAs and the gates passed and the optimized run answered
 * at least one request, and neither run was interrupted (its figures
 * cover only what ran before it stopped). Nothing here prints (output/cmptext.h and
 * output/cmpview.h show a comparison). */
#ifndef TAILGATE_STATS_COMPARE_H
#define TAILGATE_STATS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "stats/metric.h"
#include "stats/regress.h"
#include "stats/result.h"
#include "stats/sla.h"

/* The SLA judged when none is given and the optimized run records none. */
#define COMPARE_DEFAULT_SLA "p95<=800ms"

/* Which SLAs a comparison judged. */
typedef enum {
    COMPARE_SLA_OPTION,   /* given on the command line */
    COMPARE_SLA_RECORDED, /* those recorded in the optimized run */
    COMPARE_SLA_DEFAULT,  /* COMPARE_DEFAULT_SLA: none given, none recorded */
    COMPARE_SLA_UNKNOWN,  /* a comparison of version 0.1, which did not say */
} compare_sla_source_t;

/* One run's headline. Numbers are NaN where null or (in a comparison read
 * back) absent. */
typedef struct {
    char *file; /* NULL = null */
    double requests, ok, errors, items;
    double error_rate_pct, items_per_s, requests_per_s;
    double item_ms[METRIC_NUM_PCTS]; /* by metric_pcts; only the headline ones are written */
    double max_ms, mean_ms, request_p95_ms;
    char *inputs_digest;       /* NULL = null */
    double batch, connections; /* from the run's configuration (connections 0: no bound) */
    double connections_opened; /* what the run opened (NAN: not recorded) */
    int client_limited;        /* the run's self-check: 1, 0, -1 not checked (closed loop) */
    bool interrupted;          /* stopped by a signal: it covers part of the run */
} compare_side_t;

typedef struct {
    double item_ms[METRIC_NUM_PCTS], item_pct[METRIC_NUM_PCTS]; /* brief ones written */
    double max_ms, items_per_s, items_per_s_pct, requests_per_s_pct, error_rate_pct_points;
} compare_delta_t;

typedef struct {
    compare_side_t base, opt;
    compare_delta_t delta;
    bool inputs_identical;
    bool inputs_same_source;
    compare_sla_source_t sla_source;
    sla_verdict_t *verdicts;
    size_t nverdicts;
    bool sla_pass;              /* every verdict passed (true when there are none) */
    regress_verdict_t *regress; /* gates (gating), then watches */
    size_t nregress;
    bool regress_pass; /* every gating one passed (true when there are none) */
    bool pass;         /* the verdict (see above) */
} compare_t;

/* The comparison of base and opt (borrowed; files are the names recorded as
 * "file", NULL = null). SLAs judged on opt: slas[0..n) with source
 * COMPARE_SLA_OPTION, else the ones opt records, else COMPARE_DEFAULT_SLA.
 * Returns 0 or ENOMEM. */
int compare_build(const result_t *base, const char *base_file, const result_t *opt,
                  const char *opt_file, const sla_t *slas, size_t n, compare_t *out);
void compare_close(compare_t *c); /* zeroed is fine */

/* Judges the gates g[0..n) on base and opt (those compare_build compared)
 * and puts them first in c->regress, in place of the watches on the same
 * metrics; updates regress_pass and pass. Returns 0 or ENOMEM (c unchanged). */
int compare_gate(compare_t *c, const result_t *base, const result_t *opt, const regress_t *g,
                 size_t n);

/* Whether no request of the optimized run succeeded: every one failed, or
 * it made none (it measured nothing, and fails as a run does). */
bool compare_opt_all_failed(const compare_t *c);
/* "the baseline was", "the optimized run was", "both runs were" (interrupted),
 * or NULL when neither run was interrupted. */
const char *compare_interrupted_words(const compare_t *c);

/* "option", "recorded", "default" (NULL for unknown): as the JSON writes
 * sla_source. */
const char *compare_sla_source_name(compare_sla_source_t s);

/* The comparison JSON; NULL on ENOMEM. */
json_t *compare_to_json(const compare_t *c);
/* Reads a comparison JSON (report --comparison): shape checked, missing
 * numbers NaN, SLA verdicts as recorded. Returns 0, or EINVAL with err
 * naming the member, or ENOMEM. On error *out is zeroed. */
int compare_from_json(const json_t *j, compare_t *out, char *err, size_t errlen);

#endif
