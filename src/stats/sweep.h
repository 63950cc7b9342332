/* sweep — the model of a capacity search (`tailgate sweep`, README.md): each
 * step's verdict and the answer, and the sweep document (--out) written from
 * them and read back by `tailgate report`.
 *
 * A step passes only when every SLA passes and each percentile gate holds
 * enough items for its claim at the sweep's confidence (stats/earlystop.h):
 * with t of the gate's n items over its bound (failed ones counted over, as
 * the SLA judge ranks them), "p-th percentile <= bound" is accepted when
 * P[X <= t | n, 1 - p] <= 1 - confidence. A step whose SLAs pass without
 * that evidence is undecided (too short: the caller extends it); a step
 * whose client fell behind (stats/selfcheck.h) is invalid: it neither passes
 * nor fails -- unless the client was only late (not short of connections) by
 * at most a tenth of a latency gate's bound and that gate failed by more
 * than the lateness: then the server failed it, whatever the client's pace,
 * and the step fails. Gates: latency percentiles below 100 with <= or <, and
 * error_rate under a bound above 0 (its requests, the failed ones over: a
 * claim that 100 - E percent succeed); max, mean, error_rate<=0 and
 * throughput gates are judged by their SLA alone.
 *
 * An open-loop step also fails when the server fell behind the schedule: a
 * step of D seconds can meet a latency bound B while its queue grows, as long
 * as the queue has not grown by B yet (up to B/D above what the server
 * sustains), so latency's growth is measured too. The items intended in each
 * full second of the step finish, on average, at that second plus their mean
 * latency; when the mean grows by g seconds per second, the server answers
 * offered/(1+g) of the offered items/s. Below (1 - precision) of the offered
 * rate, the server did not keep up: the step fails. Needs two full seconds:
 * an open-loop step with fewer is undecided (nothing shows it kept up).
 *
 * The answer: capacity is the highest load that passed; the next step is
 * the lowest load above it that failed or stayed undecided. Everything here
 * is derived from the steps (offered load, verdict inputs, results), so a
 * document read back gives the same answer. Nothing here prints. */
#ifndef TAILGATE_STATS_SWEEP_H
#define TAILGATE_STATS_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "stats/hist.h"
#include "stats/result.h"
#include "stats/selfcheck.h"
#include "stats/sla.h"

typedef enum {
    SWEEP_PASS,      /* every SLA passed with enough items for each gate */
    SWEEP_FAIL,      /* an SLA failed (or the step stayed undecided at its longest) */
    SWEEP_UNDECIDED, /* the SLAs passed, a gate lacks the items to claim it */
    SWEEP_INVALID,   /* the client fell behind: the figures are not the server's */
} sweep_verdict_t;

/* "pass", "fail", "undecided", "invalid". */
const char *sweep_verdict_name(sweep_verdict_t v);

/* One percentile (or error rate) gate's evidence. */
typedef struct {
    sla_t sla;
    uint64_t items;  /* n: the gate's population issued (items, or requests) */
    uint64_t over;   /* t: of them over the bound, failed ones included */
    uint64_t needed; /* what the same share would need; UINT64_MAX: no count would */
    bool accepted;
} sweep_gate_t;

/* One for each SLA a sweep judges (sweep_t.slas; --sla takes 32): a gate
 * left out would pass without the items its claim needs. */
#define SWEEP_MAX_GATES 32

typedef struct {
    double offered;   /* items/s, or (concurrency mode) requests in flight */
    unsigned attempt; /* 1, then 2... for the runs repeated or extended at this load */
    bool final;       /* the run whose verdict counts at this load (the last one) */
    bool timed_out;   /* undecided at the longest step allowed: it counts as a fail */
    result_t result;  /* owned */
    /* derived by sweep_judge_step */
    sweep_verdict_t verdict;
    selfcheck_t check;
    sweep_gate_t gates[SWEEP_MAX_GATES];
    size_t ngates;
    double growth;         /* mean item latency's growth over the step, s per s; NaN: unknown */
    double keeps_up_per_s; /* offered/(1+growth): items/s the server answered; NaN: unknown */
    char why[480];         /* a failure in brief ("p95 912 ms"), or what an undecided gate lacks */
} sweep_step_t;

/* The items over `bound_ns` in h, as the SLA judge reports values (each
 * value as its bucket's reported value; strict: at or over, for "<"). */
uint64_t sweep_count_over(const hist_t *h, uint64_t bound_ns, bool strict);

typedef struct {
    char label[64];    /* "batch 1"; "" for a single sweep */
    bool concurrency;  /* over closed-loop concurrency, not open-loop rate */
    double confidence; /* 0.99 */
    double precision;  /* 0.05 */
    double require;    /* --require-rate; 0 = none */
    sla_t slas[SWEEP_MAX_GATES];
    size_t nslas;
    sweep_step_t *steps; /* in the order they ran */
    size_t nsteps, cap;
} sweep_t;

/* The answer, derived from the final steps. */
typedef struct {
    int capacity_step;   /* the highest passing load's step; -1: none passed */
    int next_step;       /* the lowest failing or undecided load above it; -1: none */
    int limited_step;    /* the first invalid step (the search stopped there); -1 */
    double capacity;     /* its load; 0 when none passed */
    double served_per_s; /* items/s served at the capacity step */
    bool meets_require;  /* capacity >= require (or no requirement and one was found) */
} sweep_answer_t;

void sweep_answer(const sweep_t *s, sweep_answer_t *a);

/* Judges st, a step of s, from st->result (whose SLA verdicts are current),
 * at s's confidence and precision: gates, self-check, whether the server kept
 * up (open loop), verdict, why. timed_out makes an undecided step fail. */
void sweep_judge_step(const sweep_t *s, sweep_step_t *st);

/* Appends a step (its result moved in, *result left zeroed) and judges it.
 * Earlier runs at the same load stop being final. Returns the step, or NULL
 * on ENOMEM (result closed). */
sweep_step_t *sweep_add_step(sweep_t *s, double offered, result_t *result, bool timed_out);
void sweep_close(sweep_t *s); /* zeroed is fine */

/* The answer line: "capacity: 412 items/s at p95<=800ms (99% confidence;
 * next step 430/s failed: p95 912 ms)". */
void sweep_answer_text(const sweep_t *s, const sweep_answer_t *a, char *buf, size_t len);

/* The sweep document: {"tool","version","kind":"sweep","config",
 * "sweeps":[{"label","mode","unit","sla","confidence","precision",
 * "require_rate","steps":[{"offered","attempt","final","timed_out","verdict",
 * "valid","served_per_s","why","gates","client_limited","result"}],
 * "capacity":{...}}],"client_limited","pass"}. config is recorded as given
 * (may be NULL). NULL on ENOMEM. */
json_t *sweep_doc_to_json(const sweep_t *sweeps, size_t n, const json_t *config);
/* Whether j is a sweep document ("kind": "sweep"). */
bool sweep_doc_is(const json_t *j);
/* Reads a sweep document into *out (n sweeps, calloc'd; sweep_close each,
 * then free). Returns 0, or EINVAL with err naming the member, or ENOMEM. */
int sweep_doc_from_json(const json_t *j, sweep_t **out, size_t *n, char *err, size_t errlen);

#endif
