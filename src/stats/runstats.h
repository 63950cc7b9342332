/* runstats — everything one run measured, kept per thread while running and
 * merged after the join: counts, one histogram per metric (stats/metric.h), a
 * per-second timeline, connection figures. A result (stats/result.h) owns one. */
#ifndef TAILGATE_STATS_RUNSTATS_H
#define TAILGATE_STATS_RUNSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include "stats/hist.h"
#include "stats/metric.h"
#include "stats/tokens.h"

/* One outcome per request issued: ok or exactly one of these. */
typedef enum {
    ERR_NONE = 0,
    ERR_CONNECT_REFUSED,
    ERR_CONNECT_TIMEOUT,
    ERR_TIMEOUT,
    ERR_RESET,
    ERR_PROTOCOL,
    ERR_HTTP_4XX,
    ERR_HTTP_5XX,
    ERR_INVALID_RESPONSE,
    ERR_TLS,
    ERR_STREAM, /* a streamed answer failed mid-stream: an error event, an event over the limit */
    ERR_KIND_COUNT
} err_kind_t;

/* "connect_refused", ... ; "" for ERR_NONE. */
const char *err_kind_name(err_kind_t kind);

/* Why a response was an invalid_response (--validate). */
typedef enum {
    INVALID_STATUS,     /* answered 1xx or 3xx: not 2xx, and not an error status */
    INVALID_NOT_JSON,   /* the body is not one JSON document */
    INVALID_MISSING,    /* a step of the --outputs path is not there */
    INVALID_NOT_ARRAY,  /* where the outputs array must be, something else is */
    INVALID_STRIDE,     /* @N: the outputs do not split into N elements each */
    INVALID_SHAPE,      /* @shape: the tensor's shape is absent or does not fit */
    INVALID_COUNT,      /* not one output per item */
    INVALID_UNFINISHED, /* streamed: the body ended without [DONE] or a finish marker */
    INVALID_REASON_COUNT
} invalid_reason_t;

/* "status", "not_json", "missing", "not_array", "stride", "shape", "count",
 * "unfinished". */
const char *invalid_reason_name(invalid_reason_t why);

/* Every three-digit code: 600..999 are invalid (RFC 9110 §15) but servers send
 * them, and they count as themselves (judged as 5xx). */
#define RUNSTATS_STATUS_MAX 1000

/* A timeline second keeps the histograms of the per-second metrics (item
 * latency; metric_table's per_second rows) dense (hist_t, ~33 KiB each) only
 * while it can still receive records; a few seconds later it settles into a
 * frozen copy of its non-empty buckets, so a long run does not grow by
 * 33 KiB/s. Both are indexed by metric id; rows that are not per-second stay
 * NULL. */
typedef struct {
    uint64_t requests; /* second's requests (by intended time) */
    uint64_t errors;
    uint64_t items;
    /* By completion time instead: requests that ended in this second, those
     * of them that failed, and the items the successful ones carried (what
     * the server served, as it happened; runstats_record_done). */
    uint64_t completed, completed_errors, served_items;
    uint64_t tokens_out; /* streamed runs: output tokens of successful requests, placed in time
                            as runstats_record_stream says */
    hist_t *hist[METRIC_COUNT];           /* 2 significant digits */
    hist_frozen_t *settled[METRIC_COUNT]; /* what it had when it settled; hist holds later ones */
} runstats_second_t;

/* What bounded a run's connection pool (README "Files": connections.limit_by).
 * The order is the order of precedence when threads or runs disagree: the
 * most telling reason wins. */
typedef enum {
    CONNLIMIT_NONE = 0,   /* not recorded */
    CONNLIMIT_FIXED,      /* --connections N (closed loop: one per user) */
    CONNLIMIT_RULE,       /* --connections 0: the rule from the service time (load/poolcap.h) */
    CONNLIMIT_MAX,        /* --connections 0 --max-connections N */
    CONNLIMIT_OPEN_FILES, /* the open-files limit (ulimit -n), known before the run */
    CONNLIMIT_SOCKETS,    /* no socket could be opened during the run (ulimit -n, local ports) */
    CONNLIMIT_COUNT
} connlimit_t;

/* "connections", "rule", "max_connections", "open_files", "sockets"; NULL for
 * CONNLIMIT_NONE. */
const char *connlimit_name(connlimit_t by);

/* Per-second histograms: 2 significant digits keep each one ~33 KiB. */
#define RUNSTATS_SECOND_SIG_DIGITS 2

/* The first answer of a kind that failed for what it said (http_4xx,
 * http_5xx, invalid_response, stream_error: there the body is the error
 * event's data), so a person can see what the server sent and why it did not
 * count. Kept once per kind per thread, merged to the one of
 * the lowest request id. */
#define RUNSTATS_SAMPLE_BODY 200 /* bytes of the body kept */
typedef struct {
    bool set;
    bool body_kept;      /* false: the run did not keep bodies (--validate status) */
    int status;          /* HTTP status */
    uint64_t request_id; /* as the CSV log numbers it */
    uint64_t body_bytes; /* the whole body's length */
    /* Its first RUNSTATS_SAMPLE_BODY bytes, printable: bytes outside ' '..'~'
     * as \n \r \t or \xNN, a backslash as \\. */
    char body[4 * RUNSTATS_SAMPLE_BODY + 1];
    char reason[160]; /* "" or why it failed: no "outputs" array; 3 outputs for 5 inputs */
} runstats_sample_t;

typedef struct {
    uint64_t requests, requests_ok;
    uint64_t items, items_ok;
    uint64_t bytes_in;
    uint64_t by_error[ERR_KIND_COUNT];
    uint64_t by_status[RUNSTATS_STATUS_MAX]; /* index = status code; 0 = no response */
    /* by_error[ERR_INVALID_RESPONSE] again, by why */
    uint64_t invalid_by_reason[INVALID_REASON_COUNT];
    /* One histogram per metric_table row (stats/metric.h). runstats_init
     * creates them all; a result read from a file may lack some (NULL: the
     * file holds no histogram for that metric). */
    hist_t *hist[METRIC_COUNT];
    uint64_t connections_opened, tls_resumed;
    uint64_t retried; /* requests sent again after a stale keep-alive connection closed;
                       * HTTP/2: every resend of one the server never processed */
    /* Of requests and items: those that never left the client, still waiting
     * for a connection when the run ended or stopped (their outcome is a
     * timeout with no response; runstats_record_unsent). */
    uint64_t requests_unsent, items_unsent;
    /* The pool's bound: at most connections_limit connections at once (summed
     * over threads; 0 = not recorded), and what set it. */
    uint64_t connections_limit;
    connlimit_t connections_limit_by;
    /* Streamed runs (runstats_init_stream), over successful requests: */
    uint64_t tokens_out;       /* output tokens, sum of n_out (stats/tokens.h) */
    uint64_t tokens_estimated; /* requests whose n_out is their event count (no usage count came) */
    uint64_t chunks;           /* token-bearing events, sum of K */
    uint64_t requests_good;    /* met every --goodput bound (stats/goodput.h; none: all of them) */
    runstats_second_t *seconds; /* timeline, index = second since measurement start */
    size_t nseconds, cap_seconds;
    size_t newest_second, dense_from; /* settling: seconds < dense_from hold no dense hist */
    runstats_sample_t sample[ERR_KIND_COUNT]; /* by kind; see runstats_sample_t */
    /* The client's own pace, open loop only (stats/selfcheck.h judges it):
     * measured requests handed to a connection and their items, how many of
     * them first waited for a free one, and the latest intended time and
     * hand-over among them, in ns after the measurement start. */
    uint64_t sent_requests, sent_items, waited_requests;
    uint64_t last_intended_ns, last_sent_ns;
} runstats_t;

/* expected_seconds preallocates the timeline (it still grows if needed).
 * Returns 0 or ENOMEM. */
int runstats_init(runstats_t *rs, size_t expected_seconds);
void runstats_close(runstats_t *rs); /* zeroed or closed struct is fine */
/* Makes rs a streamed run's: creates the histograms of the streamed metrics
 * (metric_t.streamed). Returns 0 or ENOMEM. */
int runstats_init_stream(runstats_t *rs);
/* Whether rs is a streamed run's (it has the streamed metrics). */
bool runstats_streamed(const runstats_t *rs);

/* Records one finished request: its outcome, status (0 = none), items carried,
 * and times. second = which timeline second it belongs to (from its intended
 * time). Latencies in ns. service_ns 0 when nothing was written. */
void runstats_record_request(runstats_t *rs, size_t second, err_kind_t err, int status,
                             unsigned items, uint64_t request_latency_ns, uint64_t service_ns,
                             uint64_t bytes_in);
/* Counts why a request recorded as invalid_response was invalid. */
void runstats_record_invalid(runstats_t *rs, invalid_reason_t why);
/* Records one item's latency (only for items of successful requests). */
void runstats_record_item(runstats_t *rs, size_t second, uint64_t item_latency_ns);
/* Records a value (ns) of metric m: into the run's histogram and, for a
 * per-second metric, into timeline second `second` (ignored otherwise). */
void runstats_record_value(runstats_t *rs, metric_id_t m, size_t second, uint64_t ns);
/* When a request ended, on the timeline by its completion time: second =
 * (done - measurement start) / 1 s. ok: it succeeded, and its items count as
 * served. Every recorded request is recorded here once too. */
void runstats_record_done(runstats_t *rs, size_t second, bool ok, unsigned items);
/* A request (of `items` items) that never left the client, recorded with
 * its outcome as well. */
void runstats_record_unsent(runstats_t *rs, unsigned items);
/* One successful streamed request (rs streamed): ttft, ttft_service, e2el
 * and tpot recorded where t defines them (itl is the caller's, gap by gap),
 * n_out, K and the estimate flag counted, good counted. Its n_out tokens go
 * on the timeline as tpot describes them: the first at first_ns, then one
 * every (last_ns - first_ns) / (n_out - 1) up to last_ns (times since the
 * measurement start); all at first_ns when there is one token or one event. */
void runstats_record_stream(runstats_t *rs, const tokens_result_t *t, bool good, uint64_t first_ns,
                            uint64_t last_ns);
/* The timeline's busiest second for output tokens (0 when none). */
uint64_t runstats_peak_tokens_second(const runstats_t *rs);
/* What a streamed run's counts give over its measured span of dur_s seconds,
 * defined once for the summary, the report, the result JSON and the gates;
 * NAN where a figure is undefined (no stream, no span, no request). */
typedef struct {
    double output_tokens_per_s;
    double goodput_per_s;      /* requests good (--goodput bounds met) per second */
    double slo_attainment_pct; /* good / requests, in % */
} runstats_stream_rates_t;
runstats_stream_rates_t runstats_stream_rates(const runstats_t *rs, double dur_s);
/* A new connection: counted, and its connect time recorded. */
void runstats_record_connect(runstats_t *rs, uint64_t connect_ns);
/* A TLS handshake, resumed or full. */
void runstats_record_tls(runstats_t *rs, uint64_t handshake_ns, bool resumed);

/* Open loop: a measured request was handed to a connection lag_ns after its
 * intended time, sent_ns after the measurement start. waited: it first
 * waited for a free connection, so its lag is the pool's and is not recorded
 * as send lag (METRIC_SEND_LAG). */
void runstats_record_send(runstats_t *rs, unsigned items, bool waited, uint64_t lag_ns,
                          uint64_t sent_ns);
/* A request counted sent never left (its socket could not open, its HTTP/2
 * stream was handed back) and goes out again: counted when it does. */
void runstats_unsend(runstats_t *rs, unsigned items);
/* Open loop: a measured request (sent or not) was intended ns after the
 * measurement start. */
void runstats_record_intended(runstats_t *rs, uint64_t ns);

/* Percentiles of metric m in timeline second i: v[k] (ns) for p[k]. Returns
 * false when that second has no value of m (or memory ran out). */
bool runstats_second_percentiles(const runstats_t *rs, size_t i, metric_id_t m, const double *p,
                                 uint64_t *v, size_t n);
/* Metric m of timeline second i as one dense histogram: *out is a new
 * histogram (the caller frees it), or NULL when the second holds none.
 * Returns 0 or ENOMEM. */
int runstats_second_hist(const runstats_t *rs, size_t i, metric_id_t m, hist_t **out);
/* Adds h into metric m of timeline second i (created when missing; m must be
 * a per-second metric). The second settles. Returns 0, ENOMEM, or EINVAL when
 * h's parameters are not the per-second ones (HIST_LOWEST_NS, HIST_HIGHEST_NS,
 * RUNSTATS_SECOND_SIG_DIGITS). */
int runstats_second_add(runstats_t *rs, size_t i, metric_id_t m, const hist_t *h);
/* Makes timeline second i exist (zero counts). Returns it, or NULL on ENOMEM. */
runstats_second_t *runstats_second(runstats_t *rs, size_t i);

/* Whether a failure of this kind has an answer (or, for tls, a reason from
 * the handshake) worth keeping a sample of (inline: asked once per request). */
static inline bool runstats_sample_kind(err_kind_t kind)
{
    return kind == ERR_HTTP_4XX || kind == ERR_HTTP_5XX || kind == ERR_INVALID_RESPONSE ||
           kind == ERR_STREAM || kind == ERR_TLS;
}
/* Keeps the sample of kind (a runstats_sample_kind) unless one is kept:
 * body[0..body_len) may be NULL (not kept); reason may be NULL. Copies at
 * most RUNSTATS_SAMPLE_BODY bytes of the body, no allocation. */
void runstats_keep_sample(runstats_t *rs, err_kind_t kind, uint64_t request_id, int status,
                          const char *body, size_t body_len, const char *reason);

/* dst += src. dst's timeline comes out settled. Returns 0 or ENOMEM/EINVAL
 * (histograms with different parameters). */
int runstats_merge(runstats_t *dst, const runstats_t *src);
/* The same with src's second i added into dst's second i + shift. */
int runstats_merge_shifted(runstats_t *dst, const runstats_t *src, size_t shift);

#endif
