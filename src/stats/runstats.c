/* runstats — per-thread run measurements, merged after the join.
 *
 * Which requests feed which histogram: request and service latency are
 * recorded for successful requests only (err == ERR_NONE), the same population
 * as item latency, so the three are comparable; failures are counted in
 * by_error / by_status and judged through error_rate. by_error[ERR_NONE] stays
 * 0: requests_ok counts the successes. */
#include "stats/runstats.h"

#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jtok.h"

/* A second settles once a record arrives this many seconds after it. Records
 * that come later still count: they reopen it and it settles again. */
#define SETTLE_AFTER_S 3

const char *err_kind_name(err_kind_t kind)
{
    static const char *const names[ERR_KIND_COUNT] = {
        [ERR_NONE] = "",
        [ERR_CONNECT_REFUSED] = "connect_refused",
        [ERR_CONNECT_TIMEOUT] = "connect_timeout",
        [ERR_TIMEOUT] = "timeout",
        [ERR_RESET] = "reset",
        [ERR_PROTOCOL] = "protocol",
        [ERR_HTTP_4XX] = "http_4xx",
        [ERR_HTTP_5XX] = "http_5xx",
        [ERR_INVALID_RESPONSE] = "invalid_response",
        [ERR_TLS] = "tls",
        [ERR_STREAM] = "stream_error",
    };
    return (unsigned)kind < ERR_KIND_COUNT ? names[kind] : "";
}

const char *connlimit_name(connlimit_t by)
{
    static const char *const names[CONNLIMIT_COUNT] = {
        [CONNLIMIT_NONE] = NULL,
        [CONNLIMIT_FIXED] = "connections",
        [CONNLIMIT_RULE] = "rule",
        [CONNLIMIT_MAX] = "max_connections",
        [CONNLIMIT_OPEN_FILES] = "open_files",
        [CONNLIMIT_SOCKETS] = "sockets",
    };
    return (unsigned)by < CONNLIMIT_COUNT ? names[by] : NULL;
}

const char *invalid_reason_name(invalid_reason_t why)
{
    static const char *const names[INVALID_REASON_COUNT] = {
        [INVALID_STATUS] = "status",   [INVALID_NOT_JSON] = "not_json",
        [INVALID_MISSING] = "missing", [INVALID_NOT_ARRAY] = "not_array",
        [INVALID_STRIDE] = "stride",   [INVALID_SHAPE] = "shape",
        [INVALID_COUNT] = "count",     [INVALID_UNFINISHED] = "unfinished",
    };
    return (unsigned)why < INVALID_REASON_COUNT ? names[why] : "";
}

void runstats_record_invalid(runstats_t *rs, invalid_reason_t why)
{
    if ((unsigned)why < INVALID_REASON_COUNT)
        rs->invalid_by_reason[why]++;
}

int runstats_init(runstats_t *rs, size_t expected_seconds)
{
    memset(rs, 0, sizeof *rs);
    int rc = 0;
    for (int m = 0; m < METRIC_COUNT && !rc; m++)
        if (!metric_table[m].streamed)
            rc = hist_new_latency(&rs->hist[m]);
    if (rc)
        goto fail;
    if (expected_seconds) {
        rs->seconds = calloc(expected_seconds, sizeof *rs->seconds);
        if (!rs->seconds) {
            rc = ENOMEM;
            goto fail;
        }
        rs->cap_seconds = expected_seconds;
    }
    return 0;
fail:
    runstats_close(rs);
    return rc;
}

void runstats_close(runstats_t *rs)
{
    for (int m = 0; m < METRIC_COUNT; m++)
        hist_free(rs->hist[m]);
    for (size_t i = 0; i < rs->nseconds; i++) {
        for (int m = 0; m < METRIC_COUNT; m++) {
            hist_free(rs->seconds[i].hist[m]);
            hist_frozen_free(rs->seconds[i].settled[m]);
        }
    }
    free(rs->seconds);
    memset(rs, 0, sizeof *rs);
}

int runstats_init_stream(runstats_t *rs)
{
    for (int m = 0; m < METRIC_COUNT; m++) {
        int rc;
        if (metric_table[m].streamed && !rs->hist[m] && (rc = hist_new_latency(&rs->hist[m])))
            return rc;
    }
    return 0;
}

bool runstats_streamed(const runstats_t *rs)
{
    return rs->hist[METRIC_TTFT] != NULL;
}

/* Makes seconds[second] addressable. Growth doubles, so it happens a handful of
 * times per run at most. Returns the entry or NULL on ENOMEM. */
runstats_second_t *runstats_second(runstats_t *rs, size_t second)
{
    if (second >= rs->cap_seconds) {
        size_t cap = rs->cap_seconds ? rs->cap_seconds * 2 : 64;
        if (cap <= second)
            cap = second + 1;
        runstats_second_t *s = realloc(rs->seconds, cap * sizeof *s);
        if (!s)
            return NULL;
        memset(s + rs->cap_seconds, 0, (cap - rs->cap_seconds) * sizeof *s);
        rs->seconds = s;
        rs->cap_seconds = cap;
    }
    if (second >= rs->nseconds)
        rs->nseconds = second + 1;
    return &rs->seconds[second];
}

static int new_second_hist(hist_t **h)
{
    return hist_new(h, HIST_LOWEST_NS, HIST_HIGHEST_NS, RUNSTATS_SECOND_SIG_DIGITS);
}

static int second_hist(runstats_second_t *s, metric_id_t m)
{
    return s->hist[m] ? 0 : new_second_hist(&s->hist[m]);
}

/* Folds each of a second's dense histograms (and what settled before) into
 * one frozen copy. Out of memory: it stays dense, nothing is lost. */
static void settle(runstats_second_t *s)
{
    for (int m = 0; m < METRIC_COUNT; m++) {
        if (!s->hist[m])
            continue;
        if (s->settled[m]) {
            hist_thaw_into(s->hist[m], s->settled[m]); /* same parameters by construction */
            hist_frozen_free(s->settled[m]);
            s->settled[m] = NULL;
        }
        if (hist_freeze(s->hist[m], &s->settled[m]) == 0) {
            hist_free(s->hist[m]);
            s->hist[m] = NULL;
        }
    }
}

void runstats_record_request(runstats_t *rs, size_t second, err_kind_t err, int status,
                             unsigned items, uint64_t request_latency_ns, uint64_t service_ns,
                             uint64_t bytes_in)
{
    bool ok = err == ERR_NONE;
    rs->requests++;
    rs->items += items;
    rs->bytes_in += bytes_in;
    if (ok) {
        rs->requests_ok++;
        rs->items_ok += items;
        runstats_record_value(rs, METRIC_REQUEST, second, request_latency_ns);
        if (service_ns)
            runstats_record_value(rs, METRIC_SERVICE, second, service_ns);
    } else if ((unsigned)err < ERR_KIND_COUNT) {
        rs->by_error[err]++;
    }
    rs->by_status[status >= 0 && status < RUNSTATS_STATUS_MAX ? status : 0]++;
    /* On ENOMEM the timeline loses this entry; the totals above still count it. */
    runstats_second_t *s = runstats_second(rs, second);
    if (s) {
        s->requests++;
        s->errors += !ok;
        s->items += items;
    }
}

void runstats_record_done(runstats_t *rs, size_t second, bool ok, unsigned items)
{
    runstats_second_t *s = runstats_second(rs, second);
    if (!s)
        return; /* ENOMEM: the timeline loses it, the totals do not */
    s->completed++;
    if (ok)
        s->served_items += items;
    else
        s->completed_errors++;
}

void runstats_record_unsent(runstats_t *rs, unsigned items)
{
    rs->requests_unsent++;
    rs->items_unsent += items;
}

void runstats_record_item(runstats_t *rs, size_t second, uint64_t item_latency_ns)
{
    runstats_record_value(rs, METRIC_ITEM, second, item_latency_ns);
}

void runstats_record_value(runstats_t *rs, metric_id_t m, size_t second, uint64_t ns)
{
    if (rs->hist[m])
        hist_record(rs->hist[m], ns);
    if (!metric_table[m].per_second)
        return;
    runstats_second_t *s = runstats_second(rs, second);
    if (!s || second_hist(s, m))
        return;
    hist_record(s->hist[m], ns);
    if (second < rs->dense_from)
        rs->dense_from = second; /* a late record reopened a settled second */
    if (second > rs->newest_second) {
        rs->newest_second = second;
        size_t below = second > SETTLE_AFTER_S ? second - SETTLE_AFTER_S : 0;
        for (size_t i = rs->dense_from; i < below; i++)
            settle(&rs->seconds[i]);
        if (below > rs->dense_from)
            rs->dense_from = below;
    }
}

/* Tokens i = 0..n-1 of a request sit at first + i * span / (n - 1): how many
 * come before time x. */
static uint64_t tokens_before(uint64_t x, uint64_t first, uint64_t span, uint64_t n)
{
    if (x <= first)
        return 0;
    if (span == 0 || n < 2)
        return n;
    unsigned __int128 a = (unsigned __int128)(x - first) * (n - 1);
    unsigned __int128 k = (a + span - 1) / span; /* i with i * span < a */
    return k > n ? n : (uint64_t)k;
}

void runstats_record_stream(runstats_t *rs, const tokens_result_t *t, bool good, uint64_t first_ns,
                            uint64_t last_ns)
{
    rs->tokens_out += t->n_out;
    rs->tokens_estimated += t->estimated;
    rs->chunks += t->chunks;
    rs->requests_good += good;
    if (t->has_first) {
        size_t second = (size_t)(first_ns / CLOCK_NS_PER_S);
        runstats_record_value(rs, METRIC_TTFT, second, t->ttft_ns);
        runstats_record_value(rs, METRIC_TTFT_SERVICE, second, t->ttft_service_ns);
        runstats_record_value(rs, METRIC_E2EL, second, t->e2el_ns);
    }
    if (t->has_tpot)
        runstats_record_value(rs, METRIC_TPOT, 0, t->tpot_ns);
    if (!t->n_out)
        return;
    if (last_ns < first_ns || t->chunks < 2)
        last_ns = first_ns;
    uint64_t span = last_ns - first_ns, done = 0;
    for (size_t i = (size_t)(first_ns / CLOCK_NS_PER_S); done < t->n_out; i++) {
        uint64_t upto = tokens_before((uint64_t)(i + 1) * CLOCK_NS_PER_S, first_ns, span, t->n_out);
        runstats_second_t *s = runstats_second(rs, i);
        if (s) /* ENOMEM: the timeline loses them; the total above still counts them */
            s->tokens_out += upto - done;
        done = upto;
    }
}

uint64_t runstats_peak_tokens_second(const runstats_t *rs)
{
    uint64_t peak = 0;
    for (size_t i = 0; i < rs->nseconds; i++)
        if (rs->seconds[i].tokens_out > peak)
            peak = rs->seconds[i].tokens_out;
    return peak;
}

runstats_stream_rates_t runstats_stream_rates(const runstats_t *rs, double dur_s)
{
    runstats_stream_rates_t r = {NAN, NAN, NAN};
    if (!runstats_streamed(rs))
        return r;
    if (dur_s > 0) {
        r.output_tokens_per_s = (double)rs->tokens_out / dur_s;
        r.goodput_per_s = (double)rs->requests_good / dur_s;
    }
    if (rs->requests)
        r.slo_attainment_pct = (double)rs->requests_good * 100.0 / (double)rs->requests;
    return r;
}

void runstats_record_connect(runstats_t *rs, uint64_t connect_ns)
{
    rs->connections_opened++;
    runstats_record_value(rs, METRIC_CONNECT, 0, connect_ns);
}

void runstats_record_tls(runstats_t *rs, uint64_t handshake_ns, bool resumed)
{
    rs->tls_resumed += resumed;
    runstats_record_value(rs, METRIC_TLS, 0, handshake_ns);
}

void runstats_record_send(runstats_t *rs, unsigned items, bool waited, uint64_t lag_ns,
                          uint64_t sent_ns)
{
    rs->sent_requests++;
    rs->sent_items += items;
    if (waited)
        rs->waited_requests++;
    else
        runstats_record_value(rs, METRIC_SEND_LAG, 0, lag_ns);
    if (sent_ns > rs->last_sent_ns)
        rs->last_sent_ns = sent_ns;
}

void runstats_unsend(runstats_t *rs, unsigned items)
{
    if (rs->sent_requests)
        rs->sent_requests--;
    rs->sent_items = rs->sent_items >= items ? rs->sent_items - items : 0;
}

void runstats_record_intended(runstats_t *rs, uint64_t ns)
{
    if (ns > rs->last_intended_ns)
        rs->last_intended_ns = ns;
}

int runstats_second_hist(const runstats_t *rs, size_t i, metric_id_t m, hist_t **out)
{
    *out = NULL;
    if (i >= rs->nseconds)
        return 0;
    const runstats_second_t *s = &rs->seconds[i];
    if (!s->hist[m] && !s->settled[m])
        return 0;
    hist_t *h = NULL;
    int rc = new_second_hist(&h);
    if (!rc && s->settled[m])
        rc = hist_thaw_into(h, s->settled[m]);
    if (!rc && s->hist[m])
        rc = hist_merge(h, s->hist[m]);
    if (rc) {
        hist_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

bool runstats_second_percentiles(const runstats_t *rs, size_t i, metric_id_t m, const double *p,
                                 uint64_t *v, size_t n)
{
    hist_t *h = NULL;
    if (runstats_second_hist(rs, i, m, &h) || !h)
        return false;
    bool have = hist_count(h) > 0;
    for (size_t k = 0; have && k < n; k++)
        v[k] = hist_percentile(h, p[k]);
    hist_free(h);
    return have;
}

/* Adds one second's metric (dense and settled parts) into d, then settles d. */
static int add_second(runstats_second_t *d, metric_id_t m, const hist_t *dense,
                      const hist_frozen_t *frozen)
{
    int rc;
    if ((rc = second_hist(d, m)) || (dense && (rc = hist_merge(d->hist[m], dense))) ||
        (frozen && (rc = hist_thaw_into(d->hist[m], frozen))))
        return rc;
    settle(d);
    return 0;
}

int runstats_second_add(runstats_t *rs, size_t i, metric_id_t m, const hist_t *h)
{
    if (!metric_table[m].per_second)
        return EINVAL;
    runstats_second_t *d = runstats_second(rs, i);
    return d ? add_second(d, m, h, NULL) : ENOMEM;
}

void runstats_keep_sample(runstats_t *rs, err_kind_t kind, uint64_t request_id, int status,
                          const char *body, size_t body_len, const char *reason)
{
    if ((unsigned)kind >= ERR_KIND_COUNT || rs->sample[kind].set)
        return;
    runstats_sample_t *s = &rs->sample[kind];
    s->set = true;
    s->request_id = request_id;
    s->status = status;
    s->body_kept = body != NULL;
    s->body_bytes = body ? body_len : 0;
    size_t k = 0;
    for (size_t i = 0; body && i < body_len && i < RUNSTATS_SAMPLE_BODY; i++) {
        unsigned char c = (unsigned char)body[i];
        const char *esc = c == '\n'   ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                          : c == '\\' ? "\\\\"
                                      : NULL;
        if (esc) {
            memcpy(s->body + k, esc, 2);
            k += 2;
        } else if (c >= 0x20 && c < 0x7f) {
            s->body[k++] = (char)c;
        } else {
            static const char hex[] = "0123456789abcdef";
            s->body[k++] = '\\';
            s->body[k++] = 'x';
            s->body[k++] = hex[c >> 4];
            s->body[k++] = hex[c & 15];
        }
    }
    s->body[k] = '\0';
    /* Cut, if it must be, between characters: the reason may quote the
     * user's own words (a response path's names), and goes into JSON. */
    size_t rlen = reason ? strlen(reason) : 0;
    snprintf(s->reason, sizeof s->reason, "%.*s",
             (int)jtok_utf8_cut(reason ? reason : "", rlen, sizeof s->reason - 1),
             reason ? reason : "");
}

int runstats_merge(runstats_t *dst, const runstats_t *src)
{
    return runstats_merge_shifted(dst, src, 0);
}

int runstats_merge_shifted(runstats_t *dst, const runstats_t *src, size_t shift)
{
    int rc;
    dst->requests += src->requests;
    dst->requests_ok += src->requests_ok;
    dst->items += src->items;
    dst->items_ok += src->items_ok;
    dst->bytes_in += src->bytes_in;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        dst->by_error[k] += src->by_error[k];
    for (int c = 0; c < RUNSTATS_STATUS_MAX; c++)
        dst->by_status[c] += src->by_status[c];
    for (int k = 0; k < INVALID_REASON_COUNT; k++)
        dst->invalid_by_reason[k] += src->invalid_by_reason[k];
    dst->connections_opened += src->connections_opened;
    dst->tls_resumed += src->tls_resumed;
    dst->retried += src->retried;
    for (int k = 0; k < ERR_KIND_COUNT; k++) /* the first: the lowest request id */
        if (src->sample[k].set &&
            (!dst->sample[k].set || src->sample[k].request_id < dst->sample[k].request_id))
            dst->sample[k] = src->sample[k];
    dst->requests_unsent += src->requests_unsent;
    dst->items_unsent += src->items_unsent;
    dst->connections_limit += src->connections_limit;
    if (src->connections_limit_by > dst->connections_limit_by)
        dst->connections_limit_by = src->connections_limit_by;
    dst->tokens_out += src->tokens_out;
    dst->tokens_estimated += src->tokens_estimated;
    dst->chunks += src->chunks;
    dst->requests_good += src->requests_good;
    dst->sent_requests += src->sent_requests;
    dst->sent_items += src->sent_items;
    dst->waited_requests += src->waited_requests;
    /* The latest times, on dst's clock: src's started `shift` seconds later. */
    uint64_t shift_ns = (uint64_t)shift * 1000000000ull;
    if (src->last_intended_ns && src->last_intended_ns + shift_ns > dst->last_intended_ns)
        dst->last_intended_ns = src->last_intended_ns + shift_ns;
    if (src->last_sent_ns && src->last_sent_ns + shift_ns > dst->last_sent_ns)
        dst->last_sent_ns = src->last_sent_ns + shift_ns;
    for (int m = 0; m < METRIC_COUNT; m++) {
        if (!src->hist[m])
            continue;
        if (!dst->hist[m])
            return EINVAL; /* src measured what dst did not: no whole to add it to */
        if ((rc = hist_merge(dst->hist[m], src->hist[m])))
            return rc;
    }
    for (size_t i = src->nseconds; i-- > 0;) { /* last first: one growth */
        const runstats_second_t *s = &src->seconds[i];
        runstats_second_t *d = runstats_second(dst, i + shift);
        if (!d)
            return ENOMEM;
        d->requests += s->requests;
        d->errors += s->errors;
        d->items += s->items;
        d->completed += s->completed;
        d->completed_errors += s->completed_errors;
        d->served_items += s->served_items;
        d->tokens_out += s->tokens_out;
        for (int m = 0; m < METRIC_COUNT; m++)
            if ((s->hist[m] || s->settled[m]) &&
                (rc = add_second(d, (metric_id_t)m, s->hist[m], s->settled[m])))
                return rc;
    }
    return 0;
}
