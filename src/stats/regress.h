/* regress — `--max-regression METRIC=+P%`: how much worse than the baseline
 * the optimized run may be on one metric (README.md "Commands").
 *
 *   METRIC  any metric an SLA names (stats/sla.h): p95, request.p99, max,
 *           mean, error_rate, rps, ips
 *   +P%/-P% the change allowed, relative to the baseline's value: for a
 *           metric where lower is better (latencies, error_rate) the
 *           optimized value may be at most base * (1 + P/100): p95=+5%
 *           allows 5% slower, p95=-10% demands 10% faster; where higher is
 *           better (rps, ips) it must be at least base * (1 + P/100):
 *           ips=-5% allows 5% fewer items/s. The sign is required (0% alone
 *           is fine): which way a number may move is what the gate says.
 *
 * Both values are measured the way the SLA judge measures them (result.h:
 * result_verdicts), so a latency percentile counts failed items as slowest. */
#ifndef TAILGATE_STATS_REGRESS_H
#define TAILGATE_STATS_REGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "stats/sla.h"

typedef struct {
    char text[96];    /* as given, surrounding whitespace trimmed: "p95=+5%" */
    sla_t metric;     /* the metric, named and measured as an SLA (its threshold unused) */
    double limit_pct; /* the change allowed: +5 = up to 5% higher (lower is better) */
} regress_t;

/* Parses one gate. Returns 0, or EINVAL with err saying what is wrong and
 * how to write it (the caller names the gate; the whole message fits in
 * SLA_ERR_MAX). */
int regress_parse(const char *text, regress_t *out, char *err, size_t errlen);

/* Whether a smaller value of the metric is better (latencies, error_rate). */
bool regress_lower_is_better(const sla_t *metric);

/* The gate "not worse than the baseline" on metric m: limit 0, text "p95=+0%"
 * (or "ips=-0%"). */
void regress_watch(const sla_t *m, regress_t *out);

/* One gate judged. */
typedef struct {
    regress_t gate;
    double base, opt;  /* measured, in the metric's unit; NaN none, +inf among the failed */
    double change_pct; /* (opt - base) / base * 100; NaN when not a finite number */
    bool gating;       /* given (--max-regression); else a watch that is shown, never fails */
    bool pass;         /* opt within the limit; false when either value is NaN */
    char note[160];    /* "" or why there is no change figure */
} regress_verdict_t;

/* Judges g on the two measured values: pass when opt is within the limit
 * of base (an infinite base -- a percentile among the failed -- allows
 * anything finite; both infinite measure no change, and fail a gate), with
 * a note when a value is missing or infinite. */
void regress_judge(const regress_t *g, bool gating, double base, double opt, regress_verdict_t *v);

/* {"expr","metric","unit","baseline","optimized","change_pct","limit_pct",
 *  "gating","pass"[,"note"]}: numbers that are not finite are null. NULL on
 * ENOMEM. */
json_t *regress_verdict_to_json(const regress_verdict_t *v);
/* Reads such an entry as recorded: expr must parse, the numbers be numbers
 * or null, gating and pass booleans. Returns 0, or EINVAL with err naming
 * the member. */
int regress_verdict_from_json(const json_t *j, regress_verdict_t *v, char *err, size_t errlen);

#endif
