/* result_json — the result JSON (README.md "Files") written from and read
 * into a result_t, and the file I/O around it.
 *
 * What makes the round trip exact: the model keeps only what was measured
 * (integer counts, integer nanoseconds, histograms whose sums are written as
 * exact integers); every real in the file is computed from those when
 * written, by the same code on both sides of a round trip, so it prints the
 * same digits. duration_ns is written beside duration_s for that reason, and
 * every histogram is written, per-second ones included. */
#include "stats/result.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/walltime.h"
#include "stats/result_legacy.h"

/* The connection summaries version 0.1 wrote under "connections", still
 * written there (beside latency_ms) for its readers. */
static const struct {
    metric_id_t m;
    const char *key;
} conn_alias[] = {{METRIC_CONNECT, "connect_ms"}, {METRIC_TLS, "tls_handshake_ms"}};

/* ---- writing ------------------------------------------------------------- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Sets key to v (a new reference, NULL = out of memory); false on failure. */
static bool put(json_t *o, const char *key, json_t *v)
{
    return v && !json_object_set_new(o, key, v);
}

/* {p50..p99_99,min,max,mean,stdev,count} in ms; nulls when empty. */
static json_t *summary_json(const result_t *r, metric_id_t m)
{
    const json_t *stored = r->stats.hist[m] ? NULL : result_legacy_summary(r->legacy, m);
    if (stored)
        return json_deep_copy(stored);
    result_summary_t s;
    result_summary(r, m, &s);
    json_t *o = json_object();
    bool ok = o != NULL;
    for (int k = 0; ok && k < METRIC_NUM_PCTS; k++)
        ok = put(o, metric_pcts[k].key, num_or_null(s.pct_ms[k]));
    ok = ok && put(o, "min", num_or_null(s.min_ms)) && put(o, "max", num_or_null(s.max_ms)) &&
         put(o, "mean", num_or_null(s.mean_ms)) && put(o, "stdev", num_or_null(s.stdev_ms)) &&
         put(o, "count", json_integer((json_int_t)s.count));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *by_status_json(const runstats_t *rs)
{
    json_t *o = json_object();
    char key[8];
    for (int s = 0; o && s < RUNSTATS_STATUS_MAX; s++) {
        if (!rs->by_status[s])
            continue;
        snprintf(key, sizeof key, "%d", s);
        if (!put(o, key, json_integer((json_int_t)rs->by_status[s]))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *by_error_json(const runstats_t *rs)
{
    json_t *o = json_object();
    for (int k = 1; o && k < ERR_KIND_COUNT; k++) {
        if (rs->by_error[k] &&
            !put(o, err_kind_name((err_kind_t)k), json_integer((json_int_t)rs->by_error[k]))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* {"invalid_response": {"request_id","status","body_bytes","body","reason"}, ...}:
 * the kinds that kept a sample; NULL (and no error) when none did. */
static int samples_json(const runstats_t *rs, json_t **out)
{
    *out = NULL;
    for (int k = 1; k < ERR_KIND_COUNT; k++) {
        const runstats_sample_t *s = &rs->sample[k];
        if (!s->set)
            continue;
        json_t *e =
            json_pack("{s:I,s:i,s:I,s:o,s:s}", "request_id", (json_int_t)s->request_id, "status",
                      s->status, "body_bytes", (json_int_t)s->body_bytes, "body",
                      s->body_kept ? json_string(s->body) : json_null(), "reason", s->reason);
        if (!e || (!*out && !(*out = json_object())) ||
            json_object_set_new(*out, err_kind_name((err_kind_t)k), e)) {
            json_decref(*out);
            *out = NULL;
            return ENOMEM;
        }
    }
    return 0;
}

/* invalid_by_reason and first_errors only when some response failed so:
 * results without one keep their bytes. */
static json_t *requests_json(const runstats_t *rs)
{
    json_t *samples, *o = json_pack("{s:I,s:I,s:I,s:o,s:o,s:I}", "total", (json_int_t)rs->requests,
                                    "ok", (json_int_t)rs->requests_ok, "errors",
                                    (json_int_t)(rs->requests - rs->requests_ok), "by_status",
                                    by_status_json(rs), "by_error", by_error_json(rs), "bytes_in",
                                    (json_int_t)rs->bytes_in);
    json_t *why = NULL;
    for (int k = 0; o && k < INVALID_REASON_COUNT; k++) {
        if (!rs->invalid_by_reason[k])
            continue;
        if ((!why && (!(why = json_object()) || !put(o, "invalid_by_reason", why))) ||
            !put(why, invalid_reason_name((invalid_reason_t)k),
                 json_integer((json_int_t)rs->invalid_by_reason[k]))) {
            json_decref(o);
            return NULL;
        }
    }
    if (!o || samples_json(rs, &samples) ||
        (samples && json_object_set_new(o, "first_errors", samples))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *second_json(const result_t *r, size_t i)
{
    const runstats_second_t *s = &r->stats.seconds[i];
    json_t *o =
        json_pack("{s:I,s:I,s:I,s:I}", "second", (json_int_t)i, "requests", (json_int_t)s->requests,
                  "errors", (json_int_t)s->errors, "items", (json_int_t)s->items);
    double p[METRIC_NUM_PCTS], v[METRIC_NUM_PCTS];
    size_t n = 0;
    for (int k = 0; k < METRIC_NUM_PCTS; k++)
        if (metric_pcts[k].shown & METRIC_PCT_BRIEF)
            p[n++] = metric_pcts[k].p;
    bool have = result_second_ms(r, i, METRIC_ITEM, p, v, n);
    bool ok = o != NULL;
    /* The same second by completion time (what was served when). */
    ok = ok && put(o, "completed", json_integer((json_int_t)s->completed)) &&
         put(o, "completed_errors", json_integer((json_int_t)s->completed_errors)) &&
         put(o, "served_items", json_integer((json_int_t)s->served_items));
    if (ok && runstats_streamed(&r->stats))
        ok = put(o, "tokens_out", json_integer((json_int_t)s->tokens_out));
    for (size_t k = 0, j = 0; ok && k < METRIC_NUM_PCTS; k++)
        if (metric_pcts[k].shown & METRIC_PCT_BRIEF)
            ok = put(o, metric_pcts[k].key, have ? num_or_null(v[j++]) : json_null());
    json_t *hists = NULL;
    for (int m = 0; ok && m < METRIC_COUNT; m++) {
        hist_t *h = NULL;
        if (!metric_table[m].per_second)
            continue;
        ok = runstats_second_hist(&r->stats, i, (metric_id_t)m, &h) == 0;
        if (ok && h) {
            ok = (hists || (hists = json_object())) &&
                 put(hists, metric_table[m].key, hist_to_json(h));
            hist_free(h);
        }
    }
    if (ok && hists) {
        ok = put(o, "histogram", hists);
        hists = NULL;
    }
    json_decref(hists);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *timeline_json(const result_t *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < r->stats.nseconds; i++) {
        json_t *o = second_json(r, i);
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *connections_json(const result_t *r)
{
    const runstats_t *rs = &r->stats;
    json_t *o = json_object();
    bool ok = o && put(o, "opened", json_integer((json_int_t)rs->connections_opened));
    for (size_t i = 0; ok && i < sizeof conn_alias / sizeof conn_alias[0]; i++) {
        result_summary_t s;
        result_summary(r, conn_alias[i].m, &s);
        if (s.present)
            ok = put(o, conn_alias[i].key, summary_json(r, conn_alias[i].m));
    }
    ok = ok && put(o, "tls_resumed", json_integer((json_int_t)rs->tls_resumed)) &&
         put(o, "retried", json_integer((json_int_t)rs->retried));
    const char *by = connlimit_name(rs->connections_limit_by);
    ok = ok && put(o, "limit", json_integer((json_int_t)rs->connections_limit)) &&
         put(o, "limit_by", by ? json_string(by) : json_null());
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The self-check: its terms (read back) and its verdict (derived). null for
 * a closed loop, which has no schedule to check. */
static json_t *selfcheck_json(const result_t *r, const selfcheck_t *c)
{
    if (!(r->offered_per_s > 0))
        return json_null();
    const runstats_t *rs = &r->stats;
    char text[600];
    json_t *o = json_object(), *why = json_array();
    bool ok = o && why;
    static const struct {
        unsigned bit;
        const char *name;
    } reasons[] = {{SELFCHECK_SEND_LAG, "send_lag"},
                   {SELFCHECK_SEND_RATE, "send_rate"},
                   {SELFCHECK_CONNECTIONS, "connections"}};
    for (size_t i = 0; ok && i < sizeof reasons / sizeof reasons[0]; i++)
        if (c->why & reasons[i].bit)
            ok = !json_array_append_new(why, json_string(reasons[i].name));
    ok = ok && put(o, "offered_per_s", json_real(r->offered_per_s)) &&
         put(o, "connections", json_integer((json_int_t)r->connections)) &&
         put(o, "sent_requests", json_integer((json_int_t)rs->sent_requests)) &&
         put(o, "sent_items", json_integer((json_int_t)rs->sent_items)) &&
         put(o, "waited_requests", json_integer((json_int_t)rs->waited_requests)) &&
         put(o, "last_intended_ns", json_integer((json_int_t)rs->last_intended_ns)) &&
         put(o, "last_sent_ns", json_integer((json_int_t)rs->last_sent_ns)) &&
         put(o, "send_per_s", num_or_null(c->send_per_s)) &&
         put(o, "interval_ms", num_or_null(c->interval_ms)) &&
         put(o, "send_lag_p99_ms", num_or_null(c->lag_p99_ms)) &&
         put(o, "send_lag_limit_ms", num_or_null(c->lag_limit_ms)) &&
         put(o, "waited_pct", json_real(c->waited_pct)) &&
         put(o, "service_min_ms", num_or_null(c->service_min_ms)) &&
         put(o, "client_limited", json_boolean(c->client_limited)) && put(o, "reasons", why);
    why = NULL;
    if (ok && c->client_limited) {
        selfcheck_describe(c, text, sizeof text);
        ok = put(o, "why", json_string(text));
        selfcheck_advice(c, text, sizeof text);
        ok = ok && put(o, "advice", json_string(text));
    }
    json_decref(why);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* {"index", "count"}, and how the run was split when it was. */
static json_t *segment_json(const result_t *r)
{
    const result_segment_t *g = &r->segment;
    json_t *o = json_pack("{s:I,s:I}", "index", (json_int_t)r->segment_index, "count",
                          (json_int_t)r->segment_count);
    bool ok = o != NULL;
    if (ok && g->concurrency)
        ok = put(o, "concurrency", json_integer((json_int_t)g->concurrency));
    if (ok && g->connections)
        ok = put(o, "connections", json_integer((json_int_t)g->connections));
    if (ok && g->start_at_ns) {
        char at[40];
        walltime_format(g->start_at_ns, at, sizeof at);
        ok = put(o, "start_at", json_string(at)) &&
             put(o, "late_ns", json_integer((json_int_t)g->late_ns));
    }
    if (ok && g->merged) {
        json_t *late = json_array();
        ok = put(o, "merged", json_integer((json_int_t)g->merged)) && put(o, "late", late);
        for (size_t i = 0; ok && i < g->nlate; i++)
            ok = !json_array_append_new(late, json_integer((json_int_t)g->late[i]));
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static double per_s(uint64_t n, double dur_s)
{
    return dur_s > 0 ? (double)n / dur_s : 0.0;
}

/* A streamed run's token counts and what follows from them (README "Files"). */
static json_t *stream_json(const result_t *r)
{
    const runstats_t *rs = &r->stats;
    runstats_stream_rates_t v = runstats_stream_rates(rs, result_duration_s(r));
    return json_pack(
        "{s:I,s:I,s:I,s:I,s:o,s:f,s:I,s:f,s:o}", "tokens_out", (json_int_t)rs->tokens_out,
        "tokens_estimated", (json_int_t)rs->tokens_estimated, "chunks", (json_int_t)rs->chunks,
        "requests_good", (json_int_t)rs->requests_good, "tokens_per_chunk",
        rs->chunks ? json_real((double)rs->tokens_out / (double)rs->chunks) : json_null(),
        "output_tokens_per_s", isnan(v.output_tokens_per_s) ? 0.0 : v.output_tokens_per_s,
        "peak_output_tokens_in_1s", (json_int_t)runstats_peak_tokens_second(rs), "goodput_per_s",
        isnan(v.goodput_per_s) ? 0.0 : v.goodput_per_s, "slo_attainment_pct",
        isnan(v.slo_attainment_pct) ? json_null() : json_real(v.slo_attainment_pct));
}

json_t *result_to_json(const result_t *r)
{
    const runstats_t *rs = &r->stats;
    double dur_s = result_duration_s(r);
    json_t *o = json_object(), *latency = json_object(), *hists = json_object(),
           *sla = json_array();
    bool ok = o && latency && hists && sla;
    selfcheck_t check;
    result_selfcheck(r, &check);
    for (int m = 0; ok && m < METRIC_COUNT; m++) {
        result_summary_t s;
        result_summary(r, (metric_id_t)m, &s);
        if (s.present)
            ok = put(latency, metric_table[m].key, summary_json(r, (metric_id_t)m));
        if (ok && rs->hist[m])
            ok = put(hists, metric_table[m].key, hist_to_json(rs->hist[m]));
    }
    for (size_t i = 0; ok && i < r->nverdicts; i++) {
        json_t *v = sla_verdict_to_json(&r->verdicts[i]);
        /* Still judged, but on figures the client shaped: say so beside each. */
        if (v && check.client_limited && json_object_set_new(v, "client_limited", json_true())) {
            json_decref(v);
            v = NULL;
        }
        ok = v && !json_array_append_new(sla, v);
    }
    char started[40];
    result_started_at(r, started, sizeof started);
    ok =
        ok && put(o, "tool", json_string("tailgate")) &&
        (!r->version || put(o, "version", json_string(r->version))) &&
        (!r->config || put(o, "config", json_deep_copy(r->config))) &&
        (!r->target || put(o, "target", json_string(r->target))) &&
        put(o, "segment", segment_json(r)) &&
        (!r->started_wall_ns || put(o, "started_at", json_string(started))) &&
        put(o, "duration_s", json_real(dur_s)) &&
        put(o, "duration_ns", json_integer((json_int_t)r->duration_ns)) &&
        put(o, "requests", requests_json(rs)) &&
        put(o, "items",
            json_pack("{s:I,s:I}", "total", (json_int_t)rs->items, "ok",
                      (json_int_t)rs->items_ok)) &&
        /* What was served (as the rps/ips SLAs judge it), and what was issued. */
        put(o, "throughput",
            json_pack("{s:f,s:f,s:f,s:f}", "requests_per_s", per_s(rs->requests_ok, dur_s),
                      "items_per_s", per_s(rs->items_ok, dur_s), "issued_requests_per_s",
                      per_s(rs->requests, dur_s), "issued_items_per_s", per_s(rs->items, dur_s))) &&
        /* Requests and items that never left the client (in by_error.timeout). */
        put(json_object_get(o, "requests"), "unsent",
            json_integer((json_int_t)rs->requests_unsent)) &&
        put(json_object_get(o, "items"), "unsent", json_integer((json_int_t)rs->items_unsent)) &&
        put(o, "latency_ms", json_incref(latency)) &&
        (!runstats_streamed(rs) || put(o, "stream", stream_json(r))) &&
        put(o, "connections", connections_json(r)) &&
        put(o, "inputs_digest", r->inputs_digest ? json_string(r->inputs_digest) : json_null()) &&
        (!r->inputs_source || put(o, "inputs_source", json_string(r->inputs_source))) &&
        put(o, "timeline", timeline_json(r)) && put(o, "histogram", json_incref(hists)) &&
        put(o, "sla", json_incref(sla)) && put(o, "sla_pass", json_boolean(r->sla_pass)) &&
        put(o, "interrupted", json_boolean(r->interrupted)) &&
        put(o, "self_check", selfcheck_json(r, &check)) &&
        put(o, "client_limited", check.checked ? json_boolean(check.client_limited) : json_null());
    json_decref(latency);
    json_decref(hists);
    json_decref(sla);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- reading ------------------------------------------------------------- */

/* One reading: the document's root and where the first problem goes. */
typedef struct {
    const json_t *root;
    char *err;
    size_t errlen;
} reader_t;

static int bad(reader_t *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(reader_t *rd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->err, rd->errlen, fmt, ap);
    va_end(ap);
    return EINVAL;
}

/* A non-negative integer member (path names it in messages). */
static int get_count(reader_t *rd, const json_t *o, const char *key, const char *path,
                     bool required, uint64_t *v)
{
    const json_t *j = json_object_get(o, key);
    if (!j) {
        if (required)
            return bad(rd, "\"%s\" is missing", path);
        return 0;
    }
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return bad(rd, "\"%s\" must be a non-negative integer", path);
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

/* A member the model derives: when present, a finite non-negative number, or
 * null where null_ok. Not read. */
static int check_derived(reader_t *rd, const json_t *o, const char *key, const char *path,
                         bool null_ok)
{
    const json_t *j = json_object_get(o, key);
    if (!j || (null_ok && json_is_null(j)))
        return 0;
    if (!json_is_number(j) || !(json_number_value(j) >= 0) || isinf(json_number_value(j)))
        return bad(rd, "\"%s\" must be a non-negative number%s", path, null_ok ? " or null" : "");
    return 0;
}

/* A member that must be an object (or array) when present; *out NULL when absent. */
static int get_typed(reader_t *rd, const json_t *o, const char *key, const char *path,
                     json_type type, const json_t **out)
{
    const json_t *j = json_object_get(o, key);
    *out = j;
    if (j && json_typeof(j) != type)
        return bad(rd, "\"%s\" must be %s", path, type == JSON_OBJECT ? "an object" : "an array");
    return 0;
}

/* requests.first_errors: a sample per kind, as runstats keeps them. */
static int read_samples(reader_t *rd, const json_t *req, runstats_t *rs)
{
    const json_t *all, *e;
    const char *key;
    int rc;
    if ((rc = get_typed(rd, req, "first_errors", "requests.first_errors", JSON_OBJECT, &all)))
        return rc;
    json_object_foreach((json_t *)all, key, e)
    {
        int k = 1;
        while (k < ERR_KIND_COUNT && strcmp(err_kind_name((err_kind_t)k), key))
            k++;
        if (k == ERR_KIND_COUNT || !runstats_sample_kind((err_kind_t)k))
            return bad(rd,
                       "\"requests.first_errors\": \"%.40s\" is not a kind with an answer "
                       "(http_4xx, http_5xx, invalid_response, stream_error, tls)",
                       key);
        runstats_sample_t *s = &rs->sample[k];
        char path[96];
        uint64_t status = 0;
        snprintf(path, sizeof path, "requests.first_errors.%s", key);
        if (!json_is_object(e))
            return bad(rd, "\"%s\" must be an object", path);
        const json_t *body = json_object_get(e, "body"), *reason = json_object_get(e, "reason");
#define MEMBER(m) (snprintf(path, sizeof path, "requests.first_errors.%s.%s", key, m), path)
        if ((rc = get_count(rd, e, "request_id", MEMBER("request_id"), true, &s->request_id)) ||
            (rc = get_count(rd, e, "status", MEMBER("status"), true, &status)) ||
            (rc = get_count(rd, e, "body_bytes", MEMBER("body_bytes"), true, &s->body_bytes)))
            return rc;
        if (status >= RUNSTATS_STATUS_MAX)
            return bad(rd, "\"%s\" is not a status code 0..999", MEMBER("status"));
        if (!(json_is_null(body) ||
              (json_is_string(body) && json_string_length(body) < sizeof s->body)))
            return bad(rd, "\"%s\" must be null or a string of at most %zu characters",
                       MEMBER("body"), sizeof s->body - 1);
        if (!json_is_string(reason) || json_string_length(reason) >= sizeof s->reason)
            return bad(rd, "\"%s\" must be a string of at most %zu characters", MEMBER("reason"),
                       sizeof s->reason - 1);
#undef MEMBER
        s->set = true;
        s->status = (int)status;
        s->body_kept = json_is_string(body);
        snprintf(s->body, sizeof s->body, "%s", s->body_kept ? json_string_value(body) : "");
        snprintf(s->reason, sizeof s->reason, "%s", json_string_value(reason));
    }
    return 0;
}

static int read_requests(reader_t *rd, runstats_t *rs)
{
    const json_t *req;
    uint64_t errors = 0;
    int rc;
    if ((rc = get_typed(rd, rd->root, "requests", "requests", JSON_OBJECT, &req)))
        return rc;
    if ((rc = get_count(rd, req, "total", "requests.total", true, &rs->requests)) ||
        (rc = get_count(rd, req, "ok", "requests.ok", true, &rs->requests_ok)) ||
        (rc = get_count(rd, req, "errors", "requests.errors", false, &errors)) ||
        (rc = get_count(rd, req, "bytes_in", "requests.bytes_in", false, &rs->bytes_in)))
        return rc;
    if (rs->requests_ok > rs->requests ||
        (json_object_get(req, "errors") && errors != rs->requests - rs->requests_ok))
        return bad(rd, "\"requests\" is inconsistent: ok + errors != total");
    if ((rc = get_count(rd, req, "unsent", "requests.unsent", false, &rs->requests_unsent)))
        return rc;
    if (rs->requests_unsent > rs->requests - rs->requests_ok)
        return bad(rd, "\"requests\" is inconsistent: more unsent than errors");
    const json_t *by;
    const char *key;
    json_t *v;
    if ((rc = get_typed(rd, req, "by_status", "requests.by_status", JSON_OBJECT, &by)))
        return rc;
    json_object_foreach((json_t *)by, key, v)
    {
        char *end;
        long code = strtol(key, &end, 10);
        if (!*key || *end || code < 0 || code >= RUNSTATS_STATUS_MAX)
            return bad(rd, "\"requests.by_status\": \"%.20s\" is not a status code 0..999", key);
        char path[48];
        snprintf(path, sizeof path, "requests.by_status.%ld", code);
        if ((rc = get_count(rd, by, key, path, true, &rs->by_status[code])))
            return rc;
    }
    if ((rc = get_typed(rd, req, "by_error", "requests.by_error", JSON_OBJECT, &by)))
        return rc;
    json_object_foreach((json_t *)by, key, v)
    {
        int k = 1;
        while (k < ERR_KIND_COUNT && strcmp(err_kind_name((err_kind_t)k), key))
            k++;
        if (k == ERR_KIND_COUNT)
            return bad(rd, "\"requests.by_error\": unknown kind \"%.40s\"", key);
        char path[64];
        snprintf(path, sizeof path, "requests.by_error.%s", key);
        if ((rc = get_count(rd, by, key, path, true, &rs->by_error[k])))
            return rc;
    }
    if ((rc = get_typed(rd, req, "invalid_by_reason", "requests.invalid_by_reason", JSON_OBJECT,
                        &by)))
        return rc;
    uint64_t reasons = 0;
    json_object_foreach((json_t *)by, key, v)
    {
        int k = 0;
        while (k < INVALID_REASON_COUNT && strcmp(invalid_reason_name((invalid_reason_t)k), key))
            k++;
        if (k == INVALID_REASON_COUNT)
            return bad(rd, "\"requests.invalid_by_reason\": unknown reason \"%.40s\"", key);
        char path[64];
        snprintf(path, sizeof path, "requests.invalid_by_reason.%s", key);
        if ((rc = get_count(rd, by, key, path, true, &rs->invalid_by_reason[k])))
            return rc;
        reasons += rs->invalid_by_reason[k];
    }
    if (reasons > rs->by_error[ERR_INVALID_RESPONSE])
        return bad(rd, "\"requests.invalid_by_reason\" counts more than "
                       "\"requests.by_error.invalid_response\"");
    return read_samples(rd, req, rs);
}

static int read_items(reader_t *rd, runstats_t *rs)
{
    const json_t *items;
    int rc;
    if ((rc = get_typed(rd, rd->root, "items", "items", JSON_OBJECT, &items)) ||
        (rc = get_count(rd, items, "total", "items.total", true, &rs->items)) ||
        (rc = get_count(rd, items, "ok", "items.ok", true, &rs->items_ok)))
        return rc;
    if (rs->items_ok > rs->items)
        return bad(rd, "\"items\" is inconsistent: ok > total");
    if ((rc = get_count(rd, items, "unsent", "items.unsent", false, &rs->items_unsent)))
        return rc;
    if (rs->items_unsent > rs->items - rs->items_ok)
        return bad(rd, "\"items\" is inconsistent: more unsent than failed");
    return 0;
}

/* "2026-01-01T00:00:00.000Z" (any number of fraction digits, up to ns). */
static bool parse_time(const char *s, uint64_t *ns)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        n != 19)
        return false;
    uint64_t frac = 0, scale = CLOCK_NS_PER_S;
    const char *p = s + n;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9' && scale > 1; p++) {
            scale /= 10;
            frac += (uint64_t)(*p - '0') * scale;
        }
    }
    if (strcmp(p, "Z") || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t < 0)
        return false;
    *ns = (uint64_t)t * CLOCK_NS_PER_S + frac;
    return true;
}

/* The segment object's members beside index and count. */
static int read_segment(reader_t *rd, const json_t *j, result_segment_t *g)
{
    uint64_t merged = 0;
    const json_t *at = json_object_get(j, "start_at"), *late;
    int rc;
    if ((rc = get_count(rd, j, "concurrency", "segment.concurrency", false, &g->concurrency)) ||
        (rc = get_count(rd, j, "connections", "segment.connections", false, &g->connections)) ||
        (rc = get_count(rd, j, "late_ns", "segment.late_ns", false, &g->late_ns)) ||
        (rc = get_count(rd, j, "merged", "segment.merged", false, &merged)) ||
        (rc = get_typed(rd, j, "late", "segment.late", JSON_ARRAY, &late)))
        return rc;
    if (at && (!json_is_string(at) || !parse_time(json_string_value(at), &g->start_at_ns) ||
               !g->start_at_ns))
        return bad(rd, "\"segment.start_at\" must be a UTC time such as "
                       "\"2026-01-01T00:00:00.000Z\"");
    if (merged > 1000000)
        return bad(rd, "\"segment.merged\": %llu segments is not a run",
                   (unsigned long long)merged);
    g->merged = (unsigned)merged;
    size_t n = json_array_size(late);
    if (n && !(g->late = calloc(n, sizeof *g->late)))
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(late, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            (uint64_t)json_integer_value(v) >= merged)
            return bad(rd, "\"segment.late\" must list segment indexes below \"merged\"");
        g->late[g->nlate++] = (unsigned)json_integer_value(v);
    }
    return 0;
}

static int dup_str(reader_t *rd, const json_t *j, const char *path, bool null_ok, char **out)
{
    if (!j || (null_ok && json_is_null(j)))
        return 0;
    if (!json_is_string(j))
        return bad(rd, "\"%s\" must be a string%s", path, null_ok ? " or null" : "");
    *out = strdup(json_string_value(j));
    return *out ? 0 : ENOMEM;
}

static int read_meta(reader_t *rd, result_t *r)
{
    const json_t *root = rd->root, *j;
    int rc;
    if ((rc = dup_str(rd, json_object_get(root, "version"), "version", false, &r->version)) ||
        (rc = get_typed(rd, root, "config", "config", JSON_OBJECT, &j)))
        return rc;
    if (j && !(r->config = json_deep_copy(j)))
        return ENOMEM;
    j = json_object_get(root, "target");
    if (!j) /* version 0.1 kept it in the configuration only */
        j = json_object_get(r->config, "url");
    if ((rc = dup_str(rd, j, "target", false, &r->target)))
        return rc;
    r->segment_count = 1;
    if ((rc = get_typed(rd, root, "segment", "segment", JSON_OBJECT, &j)))
        return rc;
    if (j) {
        uint64_t index, count;
        if ((rc = get_count(rd, j, "index", "segment.index", true, &index)) ||
            (rc = get_count(rd, j, "count", "segment.count", true, &count)))
            return rc;
        if (count < 1 || index >= count || count > 1000000)
            return bad(rd, "\"segment\": index %llu of %llu is not a segment",
                       (unsigned long long)index, (unsigned long long)count);
        r->segment_index = (unsigned)index;
        r->segment_count = (unsigned)count;
        if ((rc = read_segment(rd, j, &r->segment)))
            return rc;
    }
    j = json_object_get(root, "started_at");
    if (j && (!json_is_string(j) || !parse_time(json_string_value(j), &r->started_wall_ns)))
        return bad(rd, "\"started_at\" must be a UTC time such as \"2026-01-01T00:00:00.000Z\"");
    if ((rc = check_derived(rd, root, "duration_s", "duration_s", false)))
        return rc;
    j = json_object_get(root, "duration_ns");
    if (j) {
        if ((rc = get_count(rd, root, "duration_ns", "duration_ns", true, &r->duration_ns)))
            return rc;
    } else if ((j = json_object_get(root, "duration_s"))) {
        double d = json_number_value(j) * 1e9;
        r->duration_ns = d < 1.8e19 ? (uint64_t)llround(d) : 0;
    }
    j = json_object_get(root, "interrupted");
    if (j && !json_is_boolean(j))
        return bad(rd, "\"interrupted\" must be true or false");
    r->interrupted = json_is_true(j);
    j = json_object_get(root, "sla_pass");
    if (j && !json_is_boolean(j))
        return bad(rd, "\"sla_pass\" must be true or false");
    if ((rc = dup_str(rd, json_object_get(root, "inputs_digest"), "inputs_digest", true,
                      &r->inputs_digest)) ||
        (rc = dup_str(rd, json_object_get(root, "inputs_source"), "inputs_source", false,
                      &r->inputs_source)))
        return rc;
    const json_t *tp;
    if ((rc = get_typed(rd, root, "throughput", "throughput", JSON_OBJECT, &tp)))
        return rc;
    static const char *const tkeys[] = {"requests_per_s", "items_per_s", "issued_requests_per_s",
                                        "issued_items_per_s"};
    for (size_t i = 0; i < sizeof tkeys / sizeof tkeys[0]; i++) {
        char path[48];
        snprintf(path, sizeof path, "throughput.%s", tkeys[i]);
        if ((rc = check_derived(rd, tp, tkeys[i], path, false)))
            return rc;
    }
    return 0;
}

/* A latency summary as written: an object of non-negative numbers or nulls. */
static int check_summary(reader_t *rd, const json_t *s, const char *path)
{
    if (!json_is_object(s))
        return bad(rd, "\"%s\" must be an object", path);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)s, key, v)
    {
        char p[96];
        snprintf(p, sizeof p, "%s.%s", path, key);
        int rc = check_derived(rd, s, key, p, true);
        if (rc)
            return rc;
    }
    return 0;
}

/* The histogram of each metric, or else its summary as written (version
 * 0.1), or neither. */
static int read_metrics(reader_t *rd, result_t *r)
{
    const json_t *lat, *hists, *conns;
    int rc;
    if ((rc = get_typed(rd, rd->root, "latency_ms", "latency_ms", JSON_OBJECT, &lat)) ||
        (rc = get_typed(rd, rd->root, "histogram", "histogram", JSON_OBJECT, &hists)) ||
        (rc = get_typed(rd, rd->root, "connections", "connections", JSON_OBJECT, &conns)))
        return rc;
    for (int m = 0; m < METRIC_COUNT; m++) {
        const char *key = metric_table[m].key;
        char path[64];
        json_t *summary = json_object_get(lat, key);
        snprintf(path, sizeof path, "latency_ms.%s", key);
        if (summary && (rc = check_summary(rd, summary, path)))
            return rc;
        for (size_t i = 0; i < sizeof conn_alias / sizeof conn_alias[0]; i++) {
            if (conn_alias[i].m != (metric_id_t)m)
                continue;
            json_t *alias = json_object_get(conns, conn_alias[i].key);
            snprintf(path, sizeof path, "connections.%s", conn_alias[i].key);
            if (alias && (rc = check_summary(rd, alias, path)))
                return rc;
            if (!summary)
                summary = alias;
        }
        hist_free(r->stats.hist[m]);
        r->stats.hist[m] = NULL;
        const json_t *hj = json_object_get(hists, key);
        if (hj) {
            char why[256];
            if (hist_from_json(hj, &r->stats.hist[m], why, sizeof why))
                return bad(rd, "\"histogram.%s\" is not a valid histogram: %s", key, why);
        } else if (summary &&
                   (rc = result_legacy_set_summary(&r->legacy, (metric_id_t)m, summary))) {
            return rc;
        }
    }
    return 0;
}

static int read_connections(reader_t *rd, runstats_t *rs)
{
    const json_t *c = json_object_get(rd->root, "connections");
    int rc;
    if ((rc = get_count(rd, c, "opened", "connections.opened", false, &rs->connections_opened)) ||
        (rc =
             get_count(rd, c, "tls_resumed", "connections.tls_resumed", false, &rs->tls_resumed)) ||
        (rc = get_count(rd, c, "retried", "connections.retried", false, &rs->retried)) ||
        (rc = get_count(rd, c, "limit", "connections.limit", false, &rs->connections_limit)))
        return rc;
    const json_t *by = json_object_get(c, "limit_by");
    if (by && !json_is_null(by)) {
        int k = 1;
        while (k < CONNLIMIT_COUNT && (!json_is_string(by) || strcmp(connlimit_name((connlimit_t)k),
                                                                     json_string_value(by))))
            k++;
        if (k == CONNLIMIT_COUNT)
            return bad(rd, "\"connections.limit_by\" must be null or one of connections, rule, "
                           "max_connections, open_files, sockets");
        rs->connections_limit_by = (connlimit_t)k;
    }
    return 0;
}

/* A streamed run's counts: present exactly when the streamed histograms are. */
static int read_stream(reader_t *rd, runstats_t *rs)
{
    const json_t *st;
    int rc;
    if ((rc = get_typed(rd, rd->root, "stream", "stream", JSON_OBJECT, &st)))
        return rc;
    bool streamed = false;
    for (int m = 0; m < METRIC_COUNT; m++) {
        if (!metric_table[m].streamed)
            continue;
        if (m != METRIC_TTFT && !rs->hist[m] != !rs->hist[METRIC_TTFT])
            return bad(rd, "\"histogram\" has some of the streamed metrics but not all (%s)",
                       metric_table[m].key);
        streamed = rs->hist[m] != NULL;
    }
    if (!st != !streamed)
        return bad(rd, st ? "\"stream\" is there but \"histogram.ttft\" is not"
                          : "\"histogram.ttft\" is there but \"stream\" is not");
    if (!st)
        return 0;
    static const char *const counts[] = {"tokens_out", "tokens_estimated", "chunks",
                                         "requests_good"};
    uint64_t *dst[] = {&rs->tokens_out, &rs->tokens_estimated, &rs->chunks, &rs->requests_good};
    char path[48];
    for (size_t k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "stream.%s", counts[k]);
        if ((rc = get_count(rd, st, counts[k], path, true, dst[k])))
            return rc;
    }
    if (rs->tokens_estimated > rs->requests_ok || rs->requests_good > rs->requests_ok)
        return bad(rd, "\"stream\" is inconsistent: more estimated or good requests than ok ones");
    static const char *const derived[] = {"tokens_per_chunk", "output_tokens_per_s",
                                          "peak_output_tokens_in_1s", "goodput_per_s",
                                          "slo_attainment_pct"};
    for (size_t k = 0; k < sizeof derived / sizeof derived[0]; k++) {
        snprintf(path, sizeof path, "stream.%s", derived[k]);
        if ((rc = check_derived(rd, st, derived[k], path, true)))
            return rc;
    }
    return 0;
}

/* The self-check's terms; what it derives is type-checked, not read. */
static int read_selfcheck(reader_t *rd, result_t *r)
{
    const json_t *root = rd->root, *c, *j;
    runstats_t *rs = &r->stats;
    int rc;
    j = json_object_get(root, "client_limited");
    if (j && !json_is_boolean(j) && !json_is_null(j))
        return bad(rd, "\"client_limited\" must be true, false or null");
    c = json_object_get(root, "self_check");
    if (!c || json_is_null(c))
        return 0;
    if (!json_is_object(c))
        return bad(rd, "\"self_check\" must be an object or null");
    j = json_object_get(c, "offered_per_s");
    if (!json_is_number(j) || !(json_number_value(j) > 0) || isinf(json_number_value(j)))
        return bad(rd, "\"self_check.offered_per_s\" must be a positive number");
    r->offered_per_s = result_file_real(json_number_value(j));
    if ((rc = get_count(rd, c, "connections", "self_check.connections", true, &r->connections)) ||
        (rc = get_count(rd, c, "sent_requests", "self_check.sent_requests", true,
                        &rs->sent_requests)) ||
        (rc = get_count(rd, c, "sent_items", "self_check.sent_items", true, &rs->sent_items)) ||
        (rc = get_count(rd, c, "waited_requests", "self_check.waited_requests", true,
                        &rs->waited_requests)) ||
        (rc = get_count(rd, c, "last_intended_ns", "self_check.last_intended_ns", true,
                        &rs->last_intended_ns)) ||
        (rc = get_count(rd, c, "last_sent_ns", "self_check.last_sent_ns", true, &rs->last_sent_ns)))
        return rc;
    static const char *const derived[] = {"send_per_s",        "interval_ms", "send_lag_p99_ms",
                                          "send_lag_limit_ms", "waited_pct",  "service_min_ms"};
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "self_check.%s", derived[i]);
        if ((rc = check_derived(rd, c, derived[i], path, true)))
            return rc;
    }
    j = json_object_get(c, "client_limited");
    if (j && !json_is_boolean(j))
        return bad(rd, "\"self_check.client_limited\" must be true or false");
    j = json_object_get(c, "reasons");
    if (j && !json_is_array(j))
        return bad(rd, "\"self_check.reasons\" must be an array");
    return 0;
}

static int read_second(reader_t *rd, result_t *r, size_t i, const json_t *e)
{
    char path[96];
    int rc;
    if (!json_is_object(e))
        return bad(rd, "\"timeline[%zu]\" is not an object", i);
    uint64_t second = i;
    snprintf(path, sizeof path, "timeline[%zu].second", i);
    if ((rc = get_count(rd, e, "second", path, false, &second)))
        return rc;
    if (second != i)
        return bad(rd, "\"%s\" is %llu, not its place in the timeline", path,
                   (unsigned long long)second);
    runstats_second_t *s = runstats_second(&r->stats, i);
    if (!s)
        return ENOMEM;
    static const char *const counts[] = {"requests", "errors", "items", "tokens_out"};
    uint64_t *dst[] = {&s->requests, &s->errors, &s->items, &s->tokens_out};
    for (size_t k = 0; k < (runstats_streamed(&r->stats) ? 4u : 3u); k++) {
        snprintf(path, sizeof path, "timeline[%zu].%s", i, counts[k]);
        if ((rc = get_count(rd, e, counts[k], path, true, dst[k])))
            return rc;
    }
    static const char *const done[] = {"completed", "completed_errors", "served_items"};
    uint64_t *done_dst[] = {&s->completed, &s->completed_errors, &s->served_items};
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "timeline[%zu].%s", i, done[k]);
        if ((rc = get_count(rd, e, done[k], path, false, done_dst[k])))
            return rc;
    }
    if (s->completed_errors > s->completed)
        return bad(rd, "\"timeline[%zu]\" is inconsistent: completed_errors > completed", i);
    double ms[METRIC_NUM_PCTS];
    bool any = false;
    for (int k = 0; k < METRIC_NUM_PCTS; k++) {
        snprintf(path, sizeof path, "timeline[%zu].%s", i, metric_pcts[k].key);
        if ((rc = check_derived(rd, e, metric_pcts[k].key, path, true)))
            return rc;
        const json_t *v = json_object_get(e, metric_pcts[k].key);
        ms[k] = json_is_number(v) && (metric_pcts[k].shown & METRIC_PCT_BRIEF)
                    ? json_number_value(v)
                    : NAN;
        any = any || !isnan(ms[k]);
    }
    const json_t *hists;
    snprintf(path, sizeof path, "timeline[%zu].histogram", i);
    if ((rc = get_typed(rd, e, "histogram", path, JSON_OBJECT, &hists)))
        return rc;
    for (int m = 0; hists && m < METRIC_COUNT; m++) {
        const json_t *hj = json_object_get(hists, metric_table[m].key);
        if (!hj || !metric_table[m].per_second)
            continue;
        hist_t *h = NULL;
        char why[256];
        if (hist_from_json(hj, &h, why, sizeof why))
            return bad(rd, "\"%s.%s\" is not a valid histogram: %s", path, metric_table[m].key,
                       why);
        rc = runstats_second_add(&r->stats, i, (metric_id_t)m, h);
        hist_free(h);
        if (rc == EINVAL)
            return bad(rd,
                       "\"%s.%s\" does not have the per-second parameters (1 us .. 1 h, %d "
                       "significant digits)",
                       path, metric_table[m].key, RUNSTATS_SECOND_SIG_DIGITS);
        if (rc)
            return rc;
    }
    /* Version 0.1: the percentiles without the histogram they came from. */
    if (!json_object_get(hists, metric_table[METRIC_ITEM].key) && any)
        return result_legacy_set_second(&r->legacy, i, ms);
    return 0;
}

static int read_timeline(reader_t *rd, result_t *r)
{
    const json_t *tl;
    int rc = get_typed(rd, rd->root, "timeline", "timeline", JSON_ARRAY, &tl);
    for (size_t i = 0; !rc && i < json_array_size(tl); i++)
        rc = read_second(rd, r, i, json_array_get(tl, i));
    return rc;
}

/* The recorded SLAs, judged again on what was read. */
static int read_slas(reader_t *rd, result_t *r)
{
    const json_t *arr;
    int rc = get_typed(rd, rd->root, "sla", "sla", JSON_ARRAY, &arr);
    size_t n = json_array_size(arr);
    sla_t *slas = n ? calloc(n, sizeof *slas) : NULL;
    if (rc || (n && !slas)) {
        free(slas);
        return rc ? rc : ENOMEM;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        sla_verdict_t v;
        char why[SLA_ERR_MAX];
        if (sla_verdict_from_json(json_array_get(arr, i), &v, why, sizeof why))
            rc = bad(rd, "\"sla[%zu]\": %s", i, why);
        slas[i] = v.sla;
    }
    if (!rc)
        rc = result_judge(r, slas, n);
    free(slas);
    return rc;
}

int result_from_json(const json_t *j, result_t *out, char *err, size_t errlen)
{
    reader_t rd = {j, err, errlen};
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return bad(&rd, "not a JSON object (a tailgate result, from 'run --out')");
    if (json_object_get(j, "baseline") && json_object_get(j, "optimized") &&
        !json_object_get(j, "requests"))
        return bad(&rd, "this is a comparison (from 'diff' or 'ab'), not a run result (report "
                        "takes it with --comparison)");
    const json_t *tool = json_object_get(j, "tool");
    if (!tool)
        return bad(&rd, "\"tool\" is missing: not a tailgate result (from 'run --out')");
    if (!json_is_string(tool) || strcmp(json_string_value(tool), "tailgate"))
        return bad(&rd, "\"tool\" is not \"tailgate\": not a tailgate result (from 'run --out')");
    const json_t *tl = json_object_get(j, "timeline");
    int rc = runstats_init(&out->stats, json_array_size(tl));
    if (!rc)
        rc = read_requests(&rd, &out->stats);
    if (!rc)
        rc = read_items(&rd, &out->stats);
    if (!rc)
        rc = read_meta(&rd, out);
    if (!rc)
        rc = read_metrics(&rd, out);
    if (!rc)
        rc = read_stream(&rd, &out->stats);
    if (!rc)
        rc = read_connections(&rd, &out->stats);
    if (!rc)
        rc = read_selfcheck(&rd, out);
    if (!rc)
        rc = read_timeline(&rd, out);
    if (!rc)
        rc = read_slas(&rd, out);
    if (rc == ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc)
        result_close(out);
    return rc;
}

/* ---- files --------------------------------------------------------------- */

char *result_dumps(const json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *withnl = realloc(text, n + 2);
    if (!withnl) {
        free(text);
        return NULL;
    }
    withnl[n] = '\n';
    withnl[n + 1] = '\0';
    return withnl;
}

int result_write_file(const json_t *j, const char *path, char *err, size_t errlen)
{
    char *text = result_dumps(j);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return ENOMEM;
    }
    size_t len = strlen(text);
    bool to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
        free(text);
        return e;
    }
    errno = 0;
    bool ok = fwrite(text, 1, len, f) == len;
    ok = (to_stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
    free(text);
    if (!ok) {
        int e = errno ? errno : EIO;
        if (to_stdout)
            snprintf(err, errlen, "writing to standard output failed: %s", strerror(e));
        else
            snprintf(err, errlen, "writing '%s' failed: %s", path, strerror(e));
        return e;
    }
    return 0;
}

int result_load_json(const char *path, json_t **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return e;
    }
    json_error_t jerr;
    json_t *j = json_loadf(f, 0, &jerr);
    int e = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!j) {
        if (e)
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        else
            snprintf(err, errlen, "%s: not valid JSON (line %d, column %d): %s", path, jerr.line,
                     jerr.column, jerr.text);
        return e ? e : EINVAL;
    }
    *out = j;
    return 0;
}
