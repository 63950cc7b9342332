/* runstats — per-thread run measurements, merged after the join.
 *
 * Which requests feed which histogram: request and service latency are
 * recorded for successful requests only (err == ERR_NONE), the same population
 * as item latency, so the three are comparable; failures are counted in
 * by_error / by_status and judged through error_rate. by_error[ERR_NONE] stays
 * 0: requests_ok counts the successes. */
#include "stats/runstats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Per-second item histograms: 2 significant digits keep each one ~33 KiB. */
#define SECOND_SIG_DIGITS 2
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
    };
    return (unsigned)kind < ERR_KIND_COUNT ? names[kind] : "";
}

int runstats_init(runstats_t *rs, size_t expected_seconds)
{
    memset(rs, 0, sizeof *rs);
    int rc;
    if ((rc = hist_new_latency(&rs->item)) || (rc = hist_new_latency(&rs->request)) ||
        (rc = hist_new_latency(&rs->service)) || (rc = hist_new_latency(&rs->connect)) ||
        (rc = hist_new_latency(&rs->tls)))
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
    hist_free(rs->item);
    hist_free(rs->request);
    hist_free(rs->service);
    hist_free(rs->connect);
    hist_free(rs->tls);
    for (size_t i = 0; i < rs->nseconds; i++) {
        hist_free(rs->seconds[i].item);
        hist_frozen_free(rs->seconds[i].settled);
    }
    free(rs->seconds);
    memset(rs, 0, sizeof *rs);
}

/* Makes seconds[second] addressable. Growth doubles, so it happens a handful of
 * times per run at most. Returns the entry or NULL on ENOMEM. */
static runstats_second_t *second_at(runstats_t *rs, size_t second)
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

static int second_hist(runstats_second_t *s)
{
    return s->item ? 0 : hist_new(&s->item, HIST_LOWEST_NS, HIST_HIGHEST_NS, SECOND_SIG_DIGITS);
}

/* Folds a second's dense histogram (and what settled before) into one frozen
 * copy. Out of memory: it stays dense, nothing is lost. */
static void settle(runstats_second_t *s)
{
    if (!s->item)
        return;
    if (s->settled) {
        hist_thaw_into(s->item, s->settled); /* same parameters by construction */
        hist_frozen_free(s->settled);
        s->settled = NULL;
    }
    if (hist_freeze(s->item, &s->settled) == 0) {
        hist_free(s->item);
        s->item = NULL;
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
        hist_record(rs->request, request_latency_ns);
        if (service_ns)
            hist_record(rs->service, service_ns);
    } else if ((unsigned)err < ERR_KIND_COUNT) {
        rs->by_error[err]++;
    }
    rs->by_status[status >= 0 && status < RUNSTATS_STATUS_MAX ? status : 0]++;
    /* On ENOMEM the timeline loses this entry; the totals above still count it. */
    runstats_second_t *s = second_at(rs, second);
    if (s) {
        s->requests++;
        s->errors += !ok;
        s->items += items;
    }
}

void runstats_record_item(runstats_t *rs, size_t second, uint64_t item_latency_ns)
{
    hist_record(rs->item, item_latency_ns);
    runstats_second_t *s = second_at(rs, second);
    if (!s || second_hist(s))
        return;
    hist_record(s->item, item_latency_ns);
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

bool runstats_second_percentiles(const runstats_t *rs, size_t i, const double *p, uint64_t *v,
                                 size_t n)
{
    const runstats_second_t *s = &rs->seconds[i];
    hist_t *scratch = NULL;
    const hist_t *h = s->item;
    if (s->settled) {
        if (hist_new(&scratch, HIST_LOWEST_NS, HIST_HIGHEST_NS, SECOND_SIG_DIGITS) ||
            hist_thaw_into(scratch, s->settled) || (s->item && hist_merge(scratch, s->item))) {
            hist_free(scratch);
            return false;
        }
        h = scratch;
    }
    bool have = h && hist_count(h);
    for (size_t k = 0; have && k < n; k++)
        v[k] = hist_percentile(h, p[k]);
    hist_free(scratch);
    return have;
}

static int merge_hist(hist_t *dst, const hist_t *src)
{
    return src && dst ? hist_merge(dst, src) : 0;
}

int runstats_merge(runstats_t *dst, const runstats_t *src)
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
    dst->connections_opened += src->connections_opened;
    dst->tls_resumed += src->tls_resumed;
    dst->retried += src->retried;
    if (src->first_ns && (!dst->first_ns || src->first_ns < dst->first_ns))
        dst->first_ns = src->first_ns;
    if (src->last_ns > dst->last_ns)
        dst->last_ns = src->last_ns;
    if ((rc = merge_hist(dst->item, src->item)) || (rc = merge_hist(dst->request, src->request)) ||
        (rc = merge_hist(dst->service, src->service)) ||
        (rc = merge_hist(dst->connect, src->connect)) || (rc = merge_hist(dst->tls, src->tls)))
        return rc;
    for (size_t i = src->nseconds; i-- > 0;) { /* last first: one growth */
        const runstats_second_t *s = &src->seconds[i];
        runstats_second_t *d = second_at(dst, i);
        if (!d)
            return ENOMEM;
        d->requests += s->requests;
        d->errors += s->errors;
        d->items += s->items;
        if (s->item || s->settled) {
            if ((rc = second_hist(d)) || (s->item && (rc = hist_merge(d->item, s->item))) ||
                (s->settled && (rc = hist_thaw_into(d->item, s->settled))))
                return rc;
            settle(d);
        }
    }
    return 0;
}
