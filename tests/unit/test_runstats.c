/* test_runstats — recording, timeline growth, per-second histograms, merge. */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats/runstats.h"

static void test_err_kind_names(void **state)
{
    (void)state;
    static const char *const want[ERR_KIND_COUNT] = {
        "",         "connect_refused", "connect_timeout",  "timeout", "reset",       "protocol",
        "http_4xx", "http_5xx",        "invalid_response", "tls",     "stream_error"};
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        assert_string_equal(err_kind_name((err_kind_t)k), want[k]);
    assert_string_equal(err_kind_name(ERR_KIND_COUNT), "");
}

static void test_init_close(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    for (int m = 0; m < METRIC_COUNT; m++)
        assert_true(metric_table[m].streamed ? rs.hist[m] == NULL : rs.hist[m] != NULL);
    assert_false(runstats_streamed(&rs));
    assert_int_equal(rs.nseconds, 0);
    /* A streamed run has every histogram. */
    assert_int_equal(runstats_init_stream(&rs), 0);
    assert_int_equal(runstats_init_stream(&rs), 0); /* twice is fine */
    for (int m = 0; m < METRIC_COUNT; m++)
        assert_non_null(rs.hist[m]);
    assert_true(runstats_streamed(&rs));
    runstats_close(&rs);
    runstats_close(&rs); /* closed twice */
    runstats_t zero = {0};
    runstats_close(&zero);
    assert_int_equal(runstats_init(&rs, 10), 0);
    assert_int_equal(rs.cap_seconds, 10);
    runstats_close(&rs);
}

static void test_record(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 2), 0);
    runstats_record_request(&rs, 0, ERR_NONE, 200, 10, 5000000, 4000000, 300);
    for (int i = 0; i < 10; i++)
        runstats_record_item(&rs, 0, 5000000 + (uint64_t)i * 1000000);
    runstats_record_request(&rs, 1, ERR_HTTP_5XX, 503, 10, 1000000, 900000, 50);
    runstats_record_request(&rs, 1, ERR_TIMEOUT, 0, 10, 9000000, 0, 0);
    runstats_record_request(&rs, 1, ERR_NONE, 200, 1, 2000000, 0, 10);
    runstats_record_item(&rs, 1, 2000000);

    assert_int_equal(rs.requests, 4);
    assert_int_equal(rs.requests_ok, 2);
    assert_int_equal(rs.items, 31);
    assert_int_equal(rs.items_ok, 11);
    assert_int_equal(rs.bytes_in, 360);
    assert_int_equal(rs.by_error[ERR_HTTP_5XX], 1);
    assert_int_equal(rs.by_error[ERR_TIMEOUT], 1);
    assert_int_equal(rs.by_error[ERR_NONE], 0);
    assert_int_equal(rs.by_status[200], 2);
    assert_int_equal(rs.by_status[503], 1);
    assert_int_equal(rs.by_status[0], 1);
    /* Latency histograms hold successful requests; service only when sent. */
    assert_int_equal(hist_count(rs.hist[METRIC_REQUEST]), 2);
    assert_int_equal(hist_max(rs.hist[METRIC_REQUEST]), 5000000);
    assert_int_equal(hist_count(rs.hist[METRIC_SERVICE]), 1);
    assert_int_equal(hist_count(rs.hist[METRIC_ITEM]), 11);
    assert_int_equal(hist_min(rs.hist[METRIC_ITEM]), 2000000);
    assert_int_equal(hist_max(rs.hist[METRIC_ITEM]), 14000000);

    assert_int_equal(rs.nseconds, 2);
    assert_int_equal(rs.seconds[0].requests, 1);
    assert_int_equal(rs.seconds[0].errors, 0);
    assert_int_equal(rs.seconds[0].items, 10);
    assert_int_equal(rs.seconds[1].requests, 3);
    assert_int_equal(rs.seconds[1].errors, 2);
    assert_int_equal(rs.seconds[1].items, 21);
    assert_int_equal(hist_count(rs.seconds[0].hist[METRIC_ITEM]), 10);
    assert_int_equal(hist_sig_digits(rs.seconds[0].hist[METRIC_ITEM]), 2);
    assert_int_equal(hist_count(rs.seconds[1].hist[METRIC_ITEM]), 1);

    /* Out-of-range status codes count as "no status" rather than overflow. */
    runstats_record_request(&rs, 1, ERR_PROTOCOL, 1000, 1, 1000, 0, 0);
    runstats_record_request(&rs, 1, ERR_HTTP_5XX, 799, 1, 1000, 0, 0); /* invalid, kept as is */
    assert_int_equal(rs.by_status[799], 1);
    runstats_record_request(&rs, 1, ERR_PROTOCOL, -3, 1, 1000, 0, 0);
    assert_int_equal(rs.by_status[0], 3);
    runstats_close(&rs);
}

static void test_timeline_growth(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    runstats_record_item(&rs, 5, 1000000); /* item before its request: lazily created */
    assert_int_equal(rs.nseconds, 6);
    assert_null(rs.seconds[4].hist[METRIC_ITEM]);
    assert_int_equal(hist_count(rs.seconds[5].hist[METRIC_ITEM]), 1);
    for (size_t s = 0; s < 5000; s += 7)
        runstats_record_request(&rs, s, ERR_NONE, 200, 1, 1000000, 500000, 1);
    assert_int_equal(rs.nseconds, 4999);
    assert_true(rs.cap_seconds >= 4999);
    assert_int_equal(rs.seconds[4998].requests, 1);
    assert_int_equal(rs.seconds[4997].requests, 0);
    assert_null(rs.seconds[4998].hist[METRIC_ITEM]);
    runstats_close(&rs);
}

/* Second s of x and y report the same item latency (count via p0..p100). */
static void assert_same_second(const runstats_t *x, const runstats_t *y, size_t s)
{
    static const double p[] = {0, 50, 95, 99, 100};
    uint64_t vx[5] = {0}, vy[5] = {0};
    bool hx = runstats_second_percentiles(x, s, METRIC_ITEM, p, vx, 5);
    bool hy = runstats_second_percentiles(y, s, METRIC_ITEM, p, vy, 5);
    assert_int_equal(hx, hy);
    assert_memory_equal(vx, vy, sizeof vx);
}

/* Seconds settle into frozen copies a few seconds behind the newest record;
 * a late record reopens its second and is not lost. */
static void test_timeline_settles(void **state)
{
    (void)state;
    runstats_t rs, ref;
    assert_int_equal(runstats_init(&rs, 0), 0);
    assert_int_equal(runstats_init(&ref, 0), 0);
    for (size_t sec = 0; sec <= 20; sec++) {
        for (uint64_t k = 1; k <= 50; k++) {
            uint64_t lat = (sec + 1) * 1000000 + k * k * 3001;
            runstats_record_item(&rs, sec, lat);
            runstats_record_item(&ref, sec, lat);
        }
    }
    for (size_t sec = 0; sec <= 20; sec++) {
        bool old = sec < 20 - 3;
        assert_int_equal(rs.seconds[sec].hist[METRIC_ITEM] == NULL, old);
        assert_int_equal(rs.seconds[sec].settled[METRIC_ITEM] != NULL, old);
    }
    runstats_t *both[] = {&rs, &ref};
    for (size_t k = 0; k < 2; k++) /* a late, slow one for second 2 */
        runstats_record_item(both[k], 2, 900000000);
    assert_non_null(rs.seconds[2].hist[METRIC_ITEM]);
    assert_non_null(rs.seconds[2].settled[METRIC_ITEM]);
    for (size_t k = 0; k < 2; k++) /* the next new second settles it again */
        runstats_record_item(both[k], 21, 1000000);
    assert_null(rs.seconds[2].hist[METRIC_ITEM]);
    assert_null(rs.seconds[17].hist[METRIC_ITEM]);
    assert_non_null(rs.seconds[18].hist[METRIC_ITEM]);
    for (size_t sec = 0; sec <= 21; sec++)
        assert_same_second(&rs, &ref, sec);
    uint64_t mx;
    assert_true(runstats_second_percentiles(&rs, 2, METRIC_ITEM, (double[]){100}, &mx, 1));
    assert_int_equal(mx, 900000000);
    runstats_close(&rs);
    runstats_close(&ref);
}

static void test_merge(void **state)
{
    (void)state;
    runstats_t a, b, all;
    assert_int_equal(runstats_init(&a, 3), 0);
    assert_int_equal(runstats_init(&b, 0), 0);
    assert_int_equal(runstats_init(&all, 0), 0);
    for (int i = 0; i < 1000; i++) {
        runstats_t *t = i % 2 ? &a : &b;
        size_t sec = (size_t)(i % 2 ? i / 100 : i / 50); /* b reaches further */
        err_kind_t e = i % 17 == 0 ? ERR_RESET : ERR_NONE;
        uint64_t lat = 1000000 + (uint64_t)i * 7919;
        runstats_record_request(t, sec, e, e ? 0 : 200, 2, lat, lat / 2, 100);
        runstats_record_request(&all, sec, e, e ? 0 : 200, 2, lat, lat / 2, 100);
        if (!e) {
            runstats_record_item(t, sec, lat);
            runstats_record_item(t, sec, lat + 5);
            runstats_record_item(&all, sec, lat);
            runstats_record_item(&all, sec, lat + 5);
        }
    }
    a.connections_opened = 3;
    b.connections_opened = 4;
    assert_int_equal(runstats_merge(&a, &b), 0);
    assert_int_equal(a.requests, all.requests);
    assert_int_equal(a.requests_ok, all.requests_ok);
    assert_int_equal(a.items, all.items);
    assert_int_equal(a.items_ok, all.items_ok);
    assert_int_equal(a.bytes_in, all.bytes_in);
    assert_memory_equal(a.by_error, all.by_error, sizeof a.by_error);
    assert_memory_equal(a.by_status, all.by_status, sizeof a.by_status);
    assert_int_equal(a.connections_opened, 7);
    const hist_t *pairs[][2] = {{a.hist[METRIC_ITEM], all.hist[METRIC_ITEM]},
                                {a.hist[METRIC_REQUEST], all.hist[METRIC_REQUEST]},
                                {a.hist[METRIC_SERVICE], all.hist[METRIC_SERVICE]}};
    for (size_t k = 0; k < 3; k++) {
        json_t *x = hist_to_json(pairs[k][0]), *y = hist_to_json(pairs[k][1]);
        assert_true(json_equal(x, y));
        json_decref(x);
        json_decref(y);
    }
    assert_int_equal(a.nseconds, all.nseconds);
    for (size_t s = 0; s < all.nseconds; s++) {
        assert_int_equal(a.seconds[s].requests, all.seconds[s].requests);
        assert_int_equal(a.seconds[s].errors, all.seconds[s].errors);
        assert_int_equal(a.seconds[s].items, all.seconds[s].items);
        assert_same_second(&a, &all, s);
        assert_null(a.seconds[s].hist[METRIC_ITEM]); /* a merged timeline is settled */
    }
    /* Merging an empty one changes nothing. */
    runstats_t empty;
    assert_int_equal(runstats_init(&empty, 0), 0);
    assert_int_equal(runstats_merge(&a, &empty), 0);
    assert_int_equal(a.requests, all.requests);
    runstats_close(&empty);
    runstats_close(&a);
    runstats_close(&b);
    runstats_close(&all);
}

/* Connections: counted, timed, resumptions counted. */
static void test_connect_tls(void **state)
{
    (void)state;
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    runstats_record_connect(&rs, 150000);
    runstats_record_connect(&rs, 250000);
    runstats_record_tls(&rs, 2000000, false);
    runstats_record_tls(&rs, 500000, true);
    assert_int_equal(rs.connections_opened, 2);
    assert_int_equal(rs.tls_resumed, 1);
    assert_int_equal(hist_count(rs.hist[METRIC_CONNECT]), 2);
    assert_int_equal(hist_max(rs.hist[METRIC_CONNECT]), 250000);
    assert_int_equal(hist_count(rs.hist[METRIC_TLS]), 2);
    assert_int_equal(rs.nseconds, 0); /* not per-second metrics */
    runstats_close(&rs);
}

/* A timeline added at an offset lands at that offset; a second's histogram
 * comes out whole and goes back in through runstats_second_add. */
static void test_merge_shifted_and_second_hist(void **state)
{
    (void)state;
    runstats_t a, b, all;
    assert_int_equal(runstats_init(&a, 0), 0);
    assert_int_equal(runstats_init(&b, 0), 0);
    assert_int_equal(runstats_init(&all, 0), 0);
    for (size_t sec = 0; sec < 10; sec++) {
        runstats_t *half = sec < 4 ? &a : &b;
        size_t local = sec < 4 ? sec : sec - 4;
        for (uint64_t k = 1; k <= 20; k++) {
            uint64_t lat = (sec + 1) * 1000000 + k * 7777;
            runstats_record_request(half, local, ERR_NONE, 200, 1, lat, lat / 2, 10);
            runstats_record_item(half, local, lat);
            runstats_record_request(&all, sec, ERR_NONE, 200, 1, lat, lat / 2, 10);
            runstats_record_item(&all, sec, lat);
        }
    }
    runstats_t sum;
    assert_int_equal(runstats_init(&sum, 0), 0);
    assert_int_equal(runstats_merge_shifted(&sum, &a, 0), 0);
    assert_int_equal(runstats_merge_shifted(&sum, &b, 4), 0);
    assert_int_equal(sum.nseconds, all.nseconds);
    for (size_t s = 0; s < all.nseconds; s++) {
        assert_int_equal(sum.seconds[s].requests, all.seconds[s].requests);
        assert_same_second(&sum, &all, s);
        hist_t *hs = NULL, *ha = NULL;
        assert_int_equal(runstats_second_hist(&sum, s, METRIC_ITEM, &hs), 0);
        assert_int_equal(runstats_second_hist(&all, s, METRIC_ITEM, &ha), 0);
        json_t *x = hist_to_json(hs), *y = hist_to_json(ha);
        assert_true(json_equal(x, y));
        json_decref(x);
        json_decref(y);
        /* ... and it goes back into an empty timeline unchanged. */
        runstats_t copy;
        assert_int_equal(runstats_init(&copy, 0), 0);
        assert_int_equal(runstats_second_add(&copy, s, METRIC_ITEM, hs), 0);
        assert_same_second(&copy, &all, s);
        assert_int_equal(runstats_second_add(&copy, s, METRIC_REQUEST, hs), EINVAL);
        runstats_close(&copy);
        hist_free(hs);
        hist_free(ha);
    }
    hist_t *none = NULL;
    assert_int_equal(runstats_second_hist(&sum, 99, METRIC_ITEM, &none), 0);
    assert_null(none);
    /* Wrong parameters for a second, and a metric dst does not have. */
    hist_t *dense;
    assert_int_equal(hist_new_latency(&dense), 0);
    assert_int_equal(runstats_second_add(&sum, 0, METRIC_ITEM, dense), EINVAL);
    hist_free(dense);
    hist_free(sum.hist[METRIC_TLS]);
    sum.hist[METRIC_TLS] = NULL;
    assert_int_equal(runstats_merge(&sum, &a), EINVAL);
    runstats_close(&sum);
    runstats_close(&a);
    runstats_close(&b);
    runstats_close(&all);
}

/* A streamed request's figures: histograms where defined, counts, and its
 * tokens placed on the timeline as tpot describes them. */
static void test_record_stream(void **state)
{
    (void)state;
    runstats_t rs, b, sum;
    assert_int_equal(runstats_init(&rs, 0), 0);
    assert_int_equal(runstats_init_stream(&rs), 0);
    /* 11 tokens, the first at 0.5 s, the last at 2.5 s: one every 200 ms,
     * so 3 in second 0 (0.5, 0.7, 0.9), 5 in second 1, 3 in second 2. */
    tokens_result_t t = {.chunks = 11,
                         .n_out = 11,
                         .estimated = true,
                         .has_first = true,
                         .ttft_ns = 500000000,
                         .ttft_service_ns = 499000000,
                         .e2el_ns = 2500000000,
                         .has_tpot = true,
                         .tpot_ns = 200000000};
    runstats_record_stream(&rs, &t, true, 500000000, 2500000000);
    assert_int_equal(rs.tokens_out, 11);
    assert_int_equal(rs.tokens_estimated, 1);
    assert_int_equal(rs.chunks, 11);
    assert_int_equal(rs.requests_good, 1);
    assert_int_equal(rs.nseconds, 3);
    assert_int_equal(rs.seconds[0].tokens_out, 3);
    assert_int_equal(rs.seconds[1].tokens_out, 5);
    assert_int_equal(rs.seconds[2].tokens_out, 3);
    assert_int_equal(hist_count(rs.hist[METRIC_TTFT]), 1);
    assert_int_equal(hist_max(rs.hist[METRIC_TTFT]), 500000000);
    assert_int_equal(hist_max(rs.hist[METRIC_TTFT_SERVICE]), 499000000);
    assert_int_equal(hist_max(rs.hist[METRIC_E2EL]), 2500000000);
    assert_int_equal(hist_max(rs.hist[METRIC_TPOT]), 200000000);
    assert_int_equal(hist_count(rs.hist[METRIC_ITL]), 0); /* the caller's, gap by gap */
    assert_int_equal(runstats_peak_tokens_second(&rs), 5);

    /* A token landing exactly on a second's start belongs to that second:
     * 3 tokens at 1.0, 1.5, 2.0 s. Usage 40 tokens in 2 events (multi-token
     * chunks): spread the same way, not estimated, tpot undefined here. */
    assert_int_equal(runstats_init(&b, 0), 0);
    assert_int_equal(runstats_init_stream(&b), 0);
    tokens_result_t u = {.chunks = 3, .n_out = 3, .has_first = true, .ttft_ns = 1};
    runstats_record_stream(&b, &u, false, 1000000000, 2000000000);
    assert_int_equal(b.seconds[0].tokens_out, 0);
    assert_int_equal(b.seconds[1].tokens_out, 2);
    assert_int_equal(b.seconds[2].tokens_out, 1);
    tokens_result_t one = {.chunks = 1, .n_out = 40, .has_first = true};
    runstats_record_stream(&b, &one, true, 3100000000, 3100000000);
    assert_int_equal(b.seconds[3].tokens_out, 40);
    assert_int_equal(hist_count(b.hist[METRIC_TPOT]), 0);
    /* No token at all: counted, nothing recorded. */
    tokens_result_t none = {.n_out = 0, .estimated = true};
    runstats_record_stream(&b, &none, true, 0, 0);
    assert_int_equal(b.tokens_out, 43);
    assert_int_equal(b.tokens_estimated, 1);
    assert_int_equal(b.requests_good, 2);
    assert_int_equal(hist_count(b.hist[METRIC_TTFT]), 2);

    /* Merged: counts and the timeline's tokens add up. */
    assert_int_equal(runstats_init(&sum, 0), 0);
    assert_int_equal(runstats_init_stream(&sum), 0);
    assert_int_equal(runstats_merge(&sum, &rs), 0);
    assert_int_equal(runstats_merge(&sum, &b), 0);
    assert_int_equal(sum.tokens_out, 54);
    assert_int_equal(sum.chunks, 15);
    assert_int_equal(sum.requests_good, 3);
    assert_int_equal(sum.tokens_estimated, 2);
    assert_int_equal(sum.seconds[1].tokens_out, 7);
    assert_int_equal(sum.seconds[3].tokens_out, 40);
    assert_int_equal(hist_count(sum.hist[METRIC_TTFT]), 3);
    /* A streamed run does not merge into one that did not stream. */
    runstats_t plain;
    assert_int_equal(runstats_init(&plain, 0), 0);
    assert_int_equal(runstats_merge(&plain, &rs), EINVAL);
    runstats_close(&plain);
    runstats_close(&rs);
    runstats_close(&b);
    runstats_close(&sum);
}

/* The first failed answer of a kind: kept once, at most 200 body bytes,
 * printable; merged to the lowest request id. */
static void test_samples(void **state)
{
    (void)state;
    runstats_t a, b;
    assert_int_equal(runstats_init(&a, 0), 0);
    assert_int_equal(runstats_init(&b, 0), 0);
    assert_true(runstats_sample_kind(ERR_INVALID_RESPONSE));
    assert_true(runstats_sample_kind(ERR_HTTP_4XX) && runstats_sample_kind(ERR_HTTP_5XX));
    assert_true(runstats_sample_kind(ERR_STREAM)); /* the server's error event */
    assert_false(runstats_sample_kind(ERR_TIMEOUT) || runstats_sample_kind(ERR_NONE));
    char body[300];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (char)('a' + i % 26);
    memcpy(body, "<p>\t\"\\\xff\r\n", 9);
    runstats_keep_sample(&a, ERR_INVALID_RESPONSE, 7, 200, body, sizeof body, "why");
    runstats_keep_sample(&a, ERR_INVALID_RESPONSE, 3, 201, "other", 5, "later");
    const runstats_sample_t *s = &a.sample[ERR_INVALID_RESPONSE];
    assert_true(s->set && s->body_kept);
    assert_int_equal(s->request_id, 7); /* the first one stays */
    assert_int_equal(s->status, 200);
    assert_int_equal(s->body_bytes, 300);
    assert_string_equal(s->reason, "why");
    assert_memory_equal(s->body, "<p>\\t\"\\\\\\xff\\r\\n", 16);
    assert_int_equal(strlen(s->body), 16 + (200 - 9)); /* 200 bytes kept */
    assert_false(a.sample[ERR_HTTP_5XX].set);
    /* no body kept (--validate status): null, and no reason */
    runstats_keep_sample(&b, ERR_HTTP_4XX, 2, 404, NULL, 0, NULL);
    runstats_keep_sample(&b, ERR_INVALID_RESPONSE, 5, 200, "{}", 2, "no \"outputs\" array");
    assert_false(b.sample[ERR_HTTP_4XX].body_kept);
    assert_string_equal(b.sample[ERR_HTTP_4XX].body, "");
    assert_string_equal(b.sample[ERR_HTTP_4XX].reason, "");
    assert_int_equal(runstats_merge(&a, &b), 0);
    assert_int_equal(a.sample[ERR_INVALID_RESPONSE].request_id, 5); /* lower id wins */
    assert_string_equal(a.sample[ERR_INVALID_RESPONSE].body, "{}");
    assert_int_equal(a.sample[ERR_HTTP_4XX].status, 404);
    /* a reason too long for its field is cut between characters: 'é' is 2 bytes */
    char reason[400];
    size_t n = 0;
    while (n + 2 < sizeof reason) {
        memcpy(reason + n, n ? "\xc3\xa9" : "xy", 2);
        n += 2;
    }
    reason[n] = '\0';
    runstats_keep_sample(&b, ERR_TLS, 9, 0, NULL, 0, reason);
    const char *kept = b.sample[ERR_TLS].reason;
    assert_true(strlen(kept) < sizeof b.sample[ERR_TLS].reason);
    assert_int_equal(strlen(kept) % 2, 0); /* "xy" + whole "é"s */
    assert_int_equal(memcmp(kept, reason, strlen(kept)), 0);
    assert_true(runstats_sample_kind(ERR_TLS)); /* a handshake's reason */
    runstats_close(&a);
    runstats_close(&b);
}

/* Completions count by completion time, apart from the intended-time
 * counts; unsent requests and the pool's bound merge like the rest (the most
 * telling reason for the bound wins). */
static void test_done_unsent_and_pool_bound(void **state)
{
    (void)state;
    runstats_t a, b;
    assert_int_equal(runstats_init(&a, 0), 0);
    assert_int_equal(runstats_init(&b, 0), 0);
    runstats_record_request(&a, 0, ERR_NONE, 200, 3, 1000, 1000, 10);
    runstats_record_done(&a, 2, true, 3);
    runstats_record_request(&a, 0, ERR_TIMEOUT, 0, 2, 1000, 0, 0);
    runstats_record_done(&a, 1, false, 2);
    runstats_record_unsent(&a, 2);
    assert_int_equal(a.nseconds, 3);
    assert_int_equal(a.seconds[0].requests, 2);
    assert_int_equal(a.seconds[0].completed, 0);
    assert_int_equal(a.seconds[1].completed, 1);
    assert_int_equal(a.seconds[1].completed_errors, 1);
    assert_int_equal(a.seconds[1].served_items, 0);
    assert_int_equal(a.seconds[2].completed, 1);
    assert_int_equal(a.seconds[2].served_items, 3);
    assert_int_equal(a.requests_unsent, 1);
    assert_int_equal(a.items_unsent, 2);
    a.connections_limit = 40;
    a.connections_limit_by = CONNLIMIT_RULE;
    b.connections_limit = 30;
    b.connections_limit_by = CONNLIMIT_OPEN_FILES;
    runstats_record_unsent(&b, 1);
    runstats_record_done(&b, 2, true, 1);
    assert_int_equal(runstats_merge(&a, &b), 0);
    assert_int_equal(a.connections_limit, 70);
    assert_int_equal(a.connections_limit_by, CONNLIMIT_OPEN_FILES);
    assert_int_equal(a.requests_unsent, 2);
    assert_int_equal(a.items_unsent, 3);
    assert_int_equal(a.seconds[2].completed, 2);
    assert_int_equal(a.seconds[2].served_items, 4);
    assert_string_equal(connlimit_name(CONNLIMIT_MAX), "max_connections");
    assert_null(connlimit_name(CONNLIMIT_NONE));
    runstats_close(&a);
    runstats_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_kind_names),
        cmocka_unit_test(test_init_close),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_timeline_growth),
        cmocka_unit_test(test_timeline_settles),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_connect_tls),
        cmocka_unit_test(test_merge_shifted_and_second_hist),
        cmocka_unit_test(test_record_stream),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_done_unsent_and_pool_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
