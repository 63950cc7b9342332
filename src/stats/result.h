/* result — one run's result: the model every command reads and writes.
 *
 * A result_t owns the meta of a run (configuration, target, start, duration,
 * segment, whether it was interrupted, inputs digest), its statistics (a
 * runstats_t: counts and one histogram per metric, per-second timeline) and
 * its SLA verdicts. The result JSON (README.md "Files") is its serialization:
 * result_to_json writes it, result_from_json reads it back, and
 * to_json -> from_json -> to_json is byte-identical when dumped with
 * result_dumps. Every figure the file shows beside the histograms
 * (percentiles, means, throughput, the SLA values) is derived from the model
 * when written, never stored in it, so the round trip is exact.
 *
 * Results of version 0.1 are read too: they carry no connect, TLS
 * or per-second histograms, and may carry a latency summary without its
 * histogram. Such a summary is kept as written (result_summary reads it; the
 * judge falls back to it and says so) and written back; such a result
 * cannot be merged.
 *
 * Everything here returns 0 or an errno value and, where a person needs
 * words, fills err; nothing prints. result_t may be zeroed, then closed. */
#ifndef TAILGATE_STATS_RESULT_H
#define TAILGATE_STATS_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "stats/metric.h"
#include "stats/runstats.h"
#include "stats/selfcheck.h"
#include "stats/sla.h"

typedef struct result_legacy result_legacy_t;

/* How one run was split over processes (README "Segments"); all zero for a
 * run that was not. */
typedef struct {
    uint64_t concurrency; /* closed loop: this segment's users; a merge: their sum */
    uint64_t connections; /* this segment's connection limit (0 = unlimited); a merge: sum */
    uint64_t start_at_ns; /* --start-at (wall clock, the file keeps ms); 0 = not given */
    uint64_t late_ns;     /* with start_at_ns: the schedule began this long after it */
    unsigned merged;      /* a merge of this many segment results; 0 = one process's */
    unsigned *late;       /* a merge: the segments flagged late (malloc'd, nlate) */
    size_t nlate;
} result_segment_t;

typedef struct {
    /* meta */
    char *version;            /* of the tailgate that measured the run */
    json_t *config;           /* the run's configuration as the CLI saw it; NULL = none */
    char *target;             /* the URL measured; NULL = not recorded */
    unsigned segment_index;   /* this is segment index of segment_count */
    unsigned segment_count;   /* (0 of 1: the whole run, or a merge of its segments) */
    result_segment_t segment; /* how, when split */
    uint64_t started_wall_ns; /* wall clock at measurement start; the file keeps ms */
    uint64_t duration_ns;     /* measured span */
    bool interrupted;
    char *inputs_digest; /* "sum-sha256:HEX" (load/inputs.h); NULL = not known */
    char *inputs_source; /* "sha256:HEX" of the sequence items came from; NULL = not known */
    /* the self-check's terms (stats/selfcheck.h) */
    double offered_per_s; /* open loop: the schedule, items/s; 0 = closed loop (no check) */
    uint64_t connections; /* the pool's size; 0 = unlimited */
    /* statistics */
    runstats_t stats;
    /* SLA verdicts, always those of the current statistics (result_judge) */
    sla_verdict_t *verdicts;
    size_t nverdicts;
    bool sla_pass;           /* every verdict passed (true when there are none) */
    result_legacy_t *legacy; /* version 0.1 summaries without histograms; NULL */
} result_t;

/* The text of a 32-byte digest as results keep it: prefix then 64 lower-case
 * hex digits ("sum-sha256:" for inputs_digest, "sha256:" for inputs_source);
 * cut short when len is too small. */
#define RESULT_DIGEST_TEXT_LEN 80
void result_digest_text(const char *prefix, const uint8_t d[32], char *out, size_t len);

/* What a run is made of (borrowed; copied by result_from_run). */
typedef struct {
    const json_t *config;
    const char *target;
    uint64_t started_wall_ns;
    uint64_t duration_ns;
    const char *inputs_digest;
    const char *inputs_source;
    bool interrupted;
    double offered_per_s;                  /* open loop: items/s; 0 = closed loop */
    uint64_t connections;                  /* 0 = unlimited */
    unsigned segment_index, segment_count; /* 0 of 0 or 1: not split */
    result_segment_t segment;              /* copied but for late (a merge's) */
} result_meta_t;

/* A result from a finished run: meta copied, *stats moved in (left zeroed),
 * slas judged. Returns 0 or ENOMEM (then *stats is closed and out zeroed). */
int result_from_run(result_t *out, const result_meta_t *meta, runstats_t *stats, const sla_t *slas,
                    size_t nslas);
void result_close(result_t *r);

/* The one SLA judge: slas[0..n) judged on r into *out (a new array of n,
 * NULL when n is 0; free() it) and *all_pass. Latency gates on a metric
 * without a histogram use its version 0.1 summary when it holds the
 * percentile and no failure needs ranking, and say so in the note. Returns 0
 * or ENOMEM. */
int result_verdicts(const result_t *r, const sla_t *slas, size_t n, sla_verdict_t **out,
                    bool *all_pass);
/* Judges slas (copied) on r and keeps the verdicts in r, replacing any.
 * Returns 0 or ENOMEM (r unchanged). */
int result_judge(result_t *r, const sla_t *slas, size_t nslas);

/* v as a result file keeps a real: 10 significant digits. A rate stored
 * this way reads back as itself, so what is derived from it writes the same
 * bytes again. */
double result_file_real(double v);

/* The self-check of r (stats/selfcheck.h): whether its client kept the
 * schedule. out->checked is false for a closed loop or a file without it. */
void result_selfcheck(const result_t *r, selfcheck_t *out);

/* r's duration in seconds. */
double result_duration_s(const result_t *r);

/* A metric's summary in ms, as the result JSON's latency_ms shows it. */
typedef struct {
    bool present; /* the run has this metric (a histogram, or a version 0.1 summary) */
    double count; /* NaN when not recorded */
    double pct_ms[METRIC_NUM_PCTS];
    double min_ms, max_ms, mean_ms, stdev_ms; /* NaN: nothing measured or not recorded */
} result_summary_t;
void result_summary(const result_t *r, metric_id_t m, result_summary_t *out);
/* Percentiles p[0..n) of metric m in timeline second i, in ms. Returns false
 * (ms untouched) when the second holds no value of m. A version 0.1 second
 * holds the METRIC_PCT_BRIEF ones of item latency only. */
bool result_second_ms(const result_t *r, size_t i, metric_id_t m, const double *p, double *ms,
                      size_t n);

/* An integer option of the run's configuration ("batch"); false when not
 * recorded or not an integer. */
bool result_config_int(const result_t *r, const char *key, int64_t *v);
/* A string option ("url"); NULL when not recorded. */
const char *result_config_str(const result_t *r, const char *key);
/* started_at as the file writes it: "2026-01-01T00:00:00.000Z". */
void result_started_at(const result_t *r, char *buf, size_t len);

/* dst += src, exactly: histograms summed bucket-wise, counts added, the
 * timelines aligned on the wall clock (each shifted by the whole seconds,
 * rounded, from the earlier start to its own), the span the union of both,
 * interrupted if either was, the digest kept when both agree (else NULL; the
 * inputs source likewise);
 * dst's meta and SLAs otherwise, judged again on the sum. Returns 0, ENOMEM,
 * or EINVAL with the reason in err (a version 0.1 result, histograms of
 * different parameters, a metric only one of them recorded, starts more than
 * RESULT_MERGE_MAX_APART_S apart). The offered rates and pools add up (the
 * parts of one run each took a share). dst is unchanged unless 0 is returned
 * (but for its verdicts, on ENOMEM while judging the sum). */
#define RESULT_MERGE_MAX_APART_S 86400ull
int result_merge(result_t *dst, const result_t *src, char *err, size_t errlen);

/* The result JSON of r; NULL on ENOMEM. */
json_t *result_to_json(const result_t *r);
/* Reads a result JSON into *out (zeroed first). Strict about shape: a
 * member of the wrong type, a count that contradicts another, a histogram
 * that does not decode, an SLA that does not parse is refused; figures the
 * model derives (percentiles, throughput, SLA values) are type-checked and
 * otherwise not read. Returns 0, or EINVAL with err naming the member by its
 * path ("\"requests.total\" is missing"), or ENOMEM. On error *out is zeroed. */
int result_from_json(const json_t *j, result_t *out, char *err, size_t errlen);

/* JSON text as every tailgate file has it: 2-space indent, reals to 10
 * significant digits, a final newline. NULL on ENOMEM; free() it. */
char *result_dumps(const json_t *j);
/* Writes result_dumps(j) to path ("-" = stdout). Returns 0 or an errno value
 * with a reason in err. */
int result_write_file(const json_t *j, const char *path, char *err, size_t errlen);
/* Reads and parses a JSON file. Returns 0, an errno value when the file
 * cannot be read, or EINVAL when it is not JSON; err names the file and the
 * problem. *out is a new reference on 0. */
int result_load_json(const char *path, json_t **out, char *err, size_t errlen);

#endif
