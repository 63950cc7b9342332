/* test_result — the result model: to_json -> from_json -> to_json is
 * byte-identical (synthetic runs, the sample files of tests/e2e/data), merge
 * of a run split in two by time equals the whole run exactly, the SLA judge,
 * and strict reading.
 *
 * Run with arguments it checks files instead (the end-to-end tests call it on
 * every result file a test produced, tests/e2e/tg.py):
 *   test_result --exact FILE...   each file is exactly what writing its own
 *                                 reading gives (files tailgate wrote)
 *   test_result --stable FILE...  each file that reads as a result writes the
 *                                 same bytes twice over (hand-made files)
 * Exit 0 when all hold, 1 otherwise, with the reason on stderr. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <cmocka.h>

#include "stats/result.h"

static sla_t sla(const char *text)
{
    sla_t s;
    char err[512];
    if (sla_parse(text, &s, err, sizeof err))
        fail_msg("%s", err);
    return s;
}

/* A run of `seconds` seconds starting at second `from` of a longer run:
 * what a process measuring that part would record, with the whole run's
 * second numbers shifted to its own. Deterministic, with failures, several
 * statuses, connections and TLS handshakes, a batch of 3. */
static void record_part(runstats_t *rs, size_t from, size_t seconds)
{
    for (size_t sec = from; sec < from + seconds; sec++) {
        for (uint64_t k = 0; k < 40; k++) {
            uint64_t x = sec * 40 + k;
            uint64_t lat = 2000000 + (x * 7919 % 300) * 1000000 + x * 13;
            err_kind_t e = x % 23 == 0 ? ERR_TIMEOUT : x % 31 == 0 ? ERR_HTTP_5XX : ERR_NONE;
            int status = e == ERR_TIMEOUT ? 0 : e ? 503 : 200;
            runstats_record_request(rs, sec - from, e, status, 3, lat, lat - 500000, 120 + x % 7);
            if (e == ERR_HTTP_5XX) /* kept once: the first (in a merge, the lowest id) */
                runstats_keep_sample(rs, e, x + 1, status, "{\"error\": \"busy\"}\r\n\x01\\", 21,
                                     x % 2 ? "odd" : "");
            if (!e)
                for (uint64_t i = 0; i < 3; i++)
                    runstats_record_item(rs, sec - from, lat + i * 100000);
            if (x % 17 == 0) {
                runstats_record_connect(rs, 90000 + x);
                runstats_record_tls(rs, 1500000 + x * 11, x % 2 == 0);
            }
            if (x % 97 == 0)
                rs->retried++;
            /* completion time: a second later for the slow ones */
            runstats_record_done(rs, sec - from + (lat > 150000000), !e, 3);
            if (e == ERR_TIMEOUT && x % 2 == 0)
                runstats_record_unsent(rs, 3);
            /* Streamed figures: tokens spread over the next second or two,
             * some without usage, some good. */
            if (!e) {
                uint64_t n = 1 + x % 9, first = (sec - from) * 1000000000ull + x % 1000 * 999983;
                tokens_result_t t = {.chunks = n,
                                     .n_out = x % 5 ? n : 2 * n,
                                     .estimated = x % 5 != 0,
                                     .has_first = true,
                                     .ttft_ns = lat / 3,
                                     .ttft_service_ns = lat / 4,
                                     .e2el_ns = lat,
                                     .has_tpot = n >= 2,
                                     .tpot_ns = 1000000 + x * 101};
                runstats_record_stream(rs, &t, x % 3 != 0, first, first + n * 130000000);
                for (uint64_t g = 1; g < n; g++)
                    runstats_record_value(rs, METRIC_ITL, 0, 130000000 + g * x);
            }
        }
    }
    /* the pool's bound, additive over parts as over threads */
    rs->connections_limit += 4 * seconds;
    rs->connections_limit_by = CONNLIMIT_RULE;
}

static const sla_t *some_slas(size_t *n)
{
    static sla_t s[8];
    s[0] = sla("p95<=200ms");
    s[1] = sla("request.p99 < 1s");
    s[2] = sla("error_rate<5%");
    s[3] = sla("ips>=100");
    s[4] = sla("mean<=150ms");
    s[5] = sla("ttft.p99<=100ms");
    s[6] = sla("output_tokens_per_s>=100");
    s[7] = sla("slo_attainment>=60%");
    *n = 8;
    return s;
}

/* A result of `seconds` seconds starting `from` seconds into a run that
 * started at wall time t0. */
static void make_part(result_t *r, size_t from, size_t seconds, uint64_t t0)
{
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    assert_int_equal(runstats_init_stream(&rs), 0);
    record_part(&rs, from, seconds);
    json_t *config = json_pack("{s:s,s:i,s:i,s:f}", "url", "http://127.0.0.1:8000/v1/infer",
                               "batch", 3, "connections", 8, "rate", 123.456789012345);
    result_meta_t meta = {
        .config = config,
        .target = "http://127.0.0.1:8000/v1/infer",
        .started_wall_ns = t0 + from * 1000000000ull,
        /* not representable in 10 significant digits of seconds */
        .duration_ns = seconds * 1000000000ull,
        .inputs_digest = "sha256:00ff",
        .inputs_source = "sha256:5e9",
    };
    size_t n;
    const sla_t *slas = some_slas(&n);
    assert_int_equal(result_from_run(r, &meta, &rs, slas, n), 0);
    json_decref(config);
}

static char *dump(const result_t *r)
{
    json_t *j = result_to_json(r);
    assert_non_null(j);
    char *text = result_dumps(j);
    json_decref(j);
    assert_non_null(text);
    return text;
}

/* text -> from_json -> to_json -> dumps. */
static char *reread(const char *text, char *err, size_t errlen, int *rc)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) {
        snprintf(err, errlen, "not JSON: %s", je.text);
        *rc = EINVAL;
        return NULL;
    }
    result_t r;
    *rc = result_from_json(j, &r, err, errlen);
    json_decref(j);
    if (*rc)
        return NULL;
    char *out = dump(&r);
    result_close(&r);
    return out;
}

static void assert_round_trip(const result_t *r)
{
    char *a = dump(r), err[512];
    int rc;
    char *b = reread(a, err, sizeof err, &rc);
    if (rc)
        fail_msg("re-read failed: %s", err);
    if (strcmp(a, b)) {
        size_t i = 0, line = 1;
        for (; a[i] == b[i]; i++)
            line += a[i] == '\n';
        size_t from = i > 300 ? i - 300 : 0;
        fail_msg("round trip differs at line %zu:\n%.400s\n---\n%.400s", line, a + from, b + from);
    }
    free(a);
    free(b);
}

/* The verdicts follow the statistics through the judge: after changing a
 * result by hand, judge it again. */
static void rejudge(result_t *r)
{
    sla_t s[8];
    size_t n = r->nverdicts;
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++)
        s[i] = r->verdicts[i].sla;
    assert_int_equal(result_judge(r, s, n), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    result_t r;
    make_part(&r, 0, 7, 1767225600123456789ull);
    r.duration_ns += 123456789; /* 7.123456789 s: more digits than duration_s keeps */
    r.interrupted = true;
    rejudge(&r);
    assert_round_trip(&r);
    /* Sums beyond int64: a one-hour outlier squared. */
    runstats_record_request(&r.stats, 2, ERR_NONE, 200, 1, 3599000000000ull, 3599000000000ull, 1);
    runstats_record_item(&r.stats, 2, 3599000000000ull);
    rejudge(&r);
    assert_round_trip(&r);
    /* Every per-second histogram, every metric's histogram is in the file. */
    json_t *j = result_to_json(&r);
    const json_t *tl = json_object_get(j, "timeline");
    assert_int_equal(json_array_size(tl), 8); /* the last by completion time only */
    for (size_t i = 0; i < 7; i++)
        assert_non_null(
            json_object_get(json_object_get(json_array_get(tl, i), "histogram"), "item"));
    for (int m = 0; m < METRIC_COUNT; m++)
        assert_non_null(json_object_get(json_object_get(j, "histogram"), metric_table[m].key));
    assert_int_equal(json_integer_value(json_object_get(j, "duration_ns")), 7123456789);
    /* The first 5xx answer, printable, and nothing for kinds without one. */
    const json_t *first = json_object_get(json_object_get(j, "requests"), "first_errors");
    assert_int_equal(json_object_size(first), 1);
    const json_t *s5 = json_object_get(first, "http_5xx");
    assert_int_equal(json_integer_value(json_object_get(s5, "request_id")), 32);
    assert_int_equal(json_integer_value(json_object_get(s5, "status")), 503);
    assert_int_equal(json_integer_value(json_object_get(s5, "body_bytes")), 21);
    assert_string_equal(json_string_value(json_object_get(s5, "body")),
                        "{\"error\": \"busy\"}\\r\\n\\x01\\\\");
    assert_string_equal(json_string_value(json_object_get(s5, "reason")), "odd");
    assert_string_equal(json_string_value(json_object_get(j, "inputs_source")), "sha256:5e9");
    /* Invalid responses by reason: written only when there are some, read back. */
    assert_null(json_object_get(json_object_get(j, "requests"), "invalid_by_reason"));
    json_decref(j);
    for (int i = 0; i < 3; i++) {
        runstats_record_request(&r.stats, 1, ERR_INVALID_RESPONSE, 200, 1, 1000, 1000, 10);
        runstats_record_invalid(&r.stats, i ? INVALID_COUNT : INVALID_NOT_JSON);
    }
    rejudge(&r);
    assert_round_trip(&r);
    j = result_to_json(&r);
    const json_t *why = json_object_get(json_object_get(j, "requests"), "invalid_by_reason");
    assert_int_equal(json_integer_value(json_object_get(why, "count")), 2);
    assert_int_equal(json_integer_value(json_object_get(why, "not_json")), 1);
    assert_int_equal(json_object_size(why), 2);
    json_decref(j);
    result_close(&r);

    /* A segment of a split run, and a merge of segments. */
    make_part(&r, 0, 2, 1767225600000000000ull);
    r.segment_index = 2;
    r.segment_count = 3;
    r.segment = (result_segment_t){.concurrency = 3,
                                   .connections = 5,
                                   .start_at_ns = 1767225600123000000ull,
                                   .late_ns = 999999999};
    assert_round_trip(&r);
    j = result_to_json(&r);
    const json_t *seg = json_object_get(j, "segment");
    assert_int_equal(json_integer_value(json_object_get(seg, "concurrency")), 3);
    assert_string_equal(json_string_value(json_object_get(seg, "start_at")),
                        "2026-01-01T00:00:00.123Z");
    assert_int_equal(json_integer_value(json_object_get(seg, "late_ns")), 999999999);
    assert_null(json_object_get(seg, "merged"));
    json_decref(j);
    r.segment_index = 0;
    r.segment_count = 1;
    r.segment.merged = 3;
    r.segment.late = calloc(2, sizeof *r.segment.late);
    r.segment.late[0] = 0;
    r.segment.late[1] = 2;
    r.segment.nlate = 2;
    assert_round_trip(&r);
    result_close(&r);

    /* Nothing at all. */
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    result_meta_t meta = {0};
    assert_int_equal(result_from_run(&r, &meta, &rs, NULL, 0), 0);
    assert_true(r.sla_pass);
    assert_round_trip(&r);
    result_close(&r);
}

/* The self-check's terms go to the file and come back; what it derives
 * (client_limited, the figures, the mark on each SLA) is written from them. */
static void test_self_check_round_trip(void **state)
{
    (void)state;
    result_t r;
    make_part(&r, 0, 3, 1767225600123456789ull);
    for (uint64_t i = 0; i < 120; i++) {
        runstats_record_intended(&r.stats, i * 25000000);
        runstats_record_send(&r.stats, 3, i % 4 == 0, 100000 + i * 1000, i * 25000000 + 100000);
    }
    r.offered_per_s = 120.5;
    r.connections = 8;
    rejudge(&r);
    assert_round_trip(&r);
    json_t *j = result_to_json(&r);
    const json_t *c = json_object_get(j, "self_check");
    assert_true(json_is_object(c));
    assert_true(json_number_value(json_object_get(c, "offered_per_s")) == 120.5);
    assert_int_equal(json_integer_value(json_object_get(c, "waited_requests")), 30);
    assert_true(json_is_false(json_object_get(j, "client_limited")));
    assert_null(json_object_get(json_array_get(json_object_get(j, "sla"), 0), "client_limited"));
    assert_non_null(json_object_get(json_object_get(j, "latency_ms"), "send_lag"));
    json_decref(j);
    /* 20 of 110 handed over a second late: limited, and every verdict says so. */
    for (int i = 0; i < 20; i++)
        runstats_record_send(&r.stats, 3, false, 1000000000, 4000000000ull);
    assert_round_trip(&r);
    j = result_to_json(&r);
    assert_true(json_is_true(json_object_get(j, "client_limited")));
    c = json_object_get(j, "self_check");
    assert_non_null(strstr(json_string_value(json_object_get(c, "why")), "send lag p99"));
    assert_non_null(strstr(json_string_value(json_object_get(c, "advice")), "--threads"));
    assert_true(json_is_true(
        json_object_get(json_array_get(json_object_get(j, "sla"), 0), "client_limited")));
    json_decref(j);
    result_close(&r);
    /* A closed loop (no schedule): null, and so it stays. */
    make_part(&r, 0, 2, 1767225600123456789ull);
    assert_round_trip(&r);
    j = result_to_json(&r);
    assert_true(json_is_null(json_object_get(j, "self_check")));
    assert_true(json_is_null(json_object_get(j, "client_limited")));
    json_decref(j);
    result_close(&r);
}

/* A run split into two halves by time, each measured as its own run, merges
 * into exactly the whole run: every histogram bucket, every count, every
 * second of the timeline; so its JSON is the whole run's. */
static void test_merge_halves(void **state)
{
    (void)state;
    uint64_t t0 = 1767225600000000000ull;
    result_t whole, first, second;
    make_part(&whole, 0, 10, t0);
    make_part(&first, 0, 4, t0);
    make_part(&second, 4, 6, t0);
    char err[256];
    /* the later half into the earlier, and the other way round */
    result_t other;
    make_part(&other, 4, 6, t0);
    assert_int_equal(result_merge(&first, &second, err, sizeof err), 0);
    result_t first2;
    make_part(&first2, 0, 4, t0);
    assert_int_equal(result_merge(&other, &first2, err, sizeof err), 0);
    result_close(&first2);
    char *w = dump(&whole), *m = dump(&first), *o = dump(&other);
    assert_string_equal(w, m);
    assert_string_equal(w, o);
    for (int k = 0; k < METRIC_COUNT; k++)
        assert_int_equal(hist_count(first.stats.hist[k]), hist_count(whole.stats.hist[k]));
    assert_int_equal(first.stats.requests, whole.stats.requests);
    assert_int_equal(first.stats.by_status[503], whole.stats.by_status[503]);
    assert_int_equal(first.stats.by_error[ERR_TIMEOUT], whole.stats.by_error[ERR_TIMEOUT]);
    assert_int_equal(first.stats.retried, whole.stats.retried);
    assert_int_equal(first.stats.requests_unsent, whole.stats.requests_unsent);
    assert_true(whole.stats.requests_unsent > 0);
    uint64_t completed = 0, late = 0;
    for (size_t i = 0; i < whole.stats.nseconds; i++) {
        completed += whole.stats.seconds[i].completed;
        late += whole.stats.seconds[i].completed != whole.stats.seconds[i].requests;
    }
    assert_int_equal(completed, whole.stats.requests);
    assert_true(late > 0); /* completion time differs from intended time */
    assert_int_equal(first.duration_ns, whole.duration_ns);
    assert_int_equal(first.sla_pass, whole.sla_pass);
    free(w);
    free(m);
    free(o);

    /* What cannot be merged says why and leaves dst alone. */
    hist_free(second.stats.hist[METRIC_TLS]);
    second.stats.hist[METRIC_TLS] = NULL;
    uint64_t before = first.stats.requests;
    assert_int_equal(result_merge(&first, &second, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "tls"));
    assert_int_equal(first.stats.requests, before);
    result_close(&whole);
    result_close(&first);
    result_close(&second);
    result_close(&other);
}

/* The one judge: the verdicts and the pass every exit code comes from. */
static void test_judge(void **state)
{
    (void)state;
    result_t r;
    make_part(&r, 0, 5, 1767225600000000000ull);
    assert_int_equal(r.nverdicts, 8);
    /* p95 of item latency over everything issued: more than 5% of the items
     * failed, they rank slowest, so p95 falls among them */
    uint64_t failed = r.stats.items - r.stats.items_ok;
    assert_true(failed * 20 > r.stats.items);
    char want[64];
    snprintf(want, sizeof want, "falls among the %llu failed items", (unsigned long long)failed);
    assert_true(isinf(r.verdicts[0].value) && !r.verdicts[0].pass);
    assert_non_null(strstr(r.verdicts[0].note, want));
    assert_false(r.sla_pass);
    double er = (double)(r.stats.requests - r.stats.requests_ok) * 100 / (double)r.stats.requests;
    assert_true(r.verdicts[2].value == er && (er < 5) == r.verdicts[2].pass);
    assert_true(fabs(r.verdicts[3].value - (double)r.stats.items_ok / 5.0) < 1e-9);
    /* The token gates: run totals over the measured span. */
    assert_true(r.verdicts[6].value == (double)r.stats.tokens_out / 5.0);
    assert_true(r.verdicts[7].value ==
                (double)r.stats.requests_good * 100.0 / (double)r.stats.requests);
    assert_true(r.verdicts[7].pass == (r.verdicts[7].value >= 60));
    /* ttft ranks the failed requests slowest, as every latency gate does */
    uint64_t failed_req = r.stats.requests - r.stats.requests_ok;
    snprintf(want, sizeof want, "falls among the %llu failed requests",
             (unsigned long long)failed_req);
    assert_true(isinf(r.verdicts[5].value));
    assert_non_null(strstr(r.verdicts[5].note, want));
    /* A run that did not stream has no token figures, and the gates say so. */
    runstats_t plain;
    assert_int_equal(runstats_init(&plain, 0), 0);
    runstats_record_request(&plain, 0, ERR_NONE, 200, 1, 1000000, 1000000, 10);
    for (size_t i = 5; i < 8; i++) {
        sla_verdict_t v;
        sla_judge(&some_slas(&(size_t){0})[i], &plain, 1.0, &v);
        assert_true(isnan(v.value) && !v.pass);
        assert_string_equal(v.note, "the run did not stream (--stream)");
    }
    runstats_close(&plain);
    /* A run that records it had no --goodput bounds counted every success
     * good: goodput and slo_attainment gates on it measure nothing. */
    sla_t good[] = {sla("goodput>=0"), sla("slo_attainment>=0%")};
    json_object_set_new(r.config, "goodput", json_null());
    assert_int_equal(result_judge(&r, good, 2), 0);
    for (size_t i = 0; i < 2; i++) {
        assert_true(isnan(r.verdicts[i].value) && !r.verdicts[i].pass);
        assert_non_null(strstr(r.verdicts[i].note, "no --goodput bounds"));
    }
    json_object_set_new(r.config, "goodput", json_string("ttft<=1s"));
    assert_int_equal(result_judge(&r, good, 2), 0);
    assert_true(r.sla_pass);
    sla_t pass[] = {sla("p50<=3600s"), sla("error_rate<=100")};
    assert_int_equal(result_judge(&r, pass, 2), 0);
    assert_true(r.sla_pass && r.nverdicts == 2);
    /* from_json judges the recorded SLAs again: a file's own "pass" is not believed */
    json_t *j = result_to_json(&r);
    json_t *entry = json_array_get(json_object_get(j, "sla"), 0);
    json_object_set_new(entry, "expr", json_string("p50<=1ms"));
    json_object_set_new(entry, "pass", json_true());
    result_t back;
    char err[256];
    assert_int_equal(result_from_json(j, &back, err, sizeof err), 0);
    assert_false(back.verdicts[0].pass);
    assert_false(back.sla_pass);
    json_decref(j);
    result_close(&back);
    result_close(&r);
}

/* A version 0.1 file without histograms: its summary is kept as written, the
 * judge falls back to it and says so, and it is not merged. */
static void test_legacy_summary(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:s,s:{s:i,s:i,s:i},s:{s:i,s:i},s:{s:{s:f,s:f,s:n}},s:[{s:i,s:i,s:i,"
                          "s:i,s:f,s:f,s:f}]}",
                          "tool", "tailgate", "requests", "total", 10, "ok", 8, "errors", 2,
                          "items", "total", 10, "ok", 8, "latency_ms", "item", "p50", 12.5, "p95",
                          40.0, "p99", "timeline", "second", 0, "requests", 10, "errors", 2,
                          "items", 10, "p50", 12.0, "p95", 41.0, "p99", 44.5);
    result_t r;
    char err[256];
    assert_int_equal(result_from_json(j, &r, err, sizeof err), 0);
    result_summary_t s;
    result_summary(&r, METRIC_ITEM, &s);
    assert_true(s.present && s.pct_ms[metric_pct_index(95)] == 40.0);
    assert_true(isnan(s.pct_ms[metric_pct_index(99)]) && isnan(s.max_ms));
    result_summary(&r, METRIC_REQUEST, &s);
    assert_false(s.present);
    double ms[3];
    assert_true(result_second_ms(&r, 0, METRIC_ITEM, (double[]){50, 95, 99}, ms, 3));
    assert_true(ms[0] == 12.0 && ms[2] == 44.5);
    sla_t p95 = sla("p95<=800ms"), mean = sla("mean<=1s"), p75 = sla("p75<=1s");
    sla_t all[] = {p95, mean, p75};
    assert_int_equal(result_judge(&r, all, 3), 0);
    assert_true(isnan(r.verdicts[0].value) && !r.verdicts[0].pass);
    assert_non_null(strstr(r.verdicts[0].note, "no histogram to rank its 2 failed items"));
    assert_non_null(strstr(r.verdicts[1].note, "no such percentile")); /* no mean stored */
    result_t other;
    assert_int_equal(result_from_json(j, &other, err, sizeof err), 0);
    assert_int_equal(result_merge(&r, &other, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "version 0.1"));
    /* written back as it was read, and stable from there */
    json_t *out = result_to_json(&r);
    assert_true(json_equal(json_object_get(out, "latency_ms"), json_object_get(j, "latency_ms")));
    const json_t *e = json_array_get(json_object_get(out, "timeline"), 0);
    assert_true(json_real_value(json_object_get(e, "p99")) == 44.5);
    json_decref(out);
    assert_round_trip(&r);
    result_close(&r);
    result_close(&other);
    json_decref(j);
}

/* Removes or replaces the member at a dotted path of a copy of r. */
static json_t *mutate(const json_t *r, const char *path, json_t *value)
{
    json_t *copy = json_deep_copy(r), *parent = copy;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *key = buf, *dot;
    while ((dot = strchr(key, '.'))) {
        *dot = '\0';
        parent = json_object_get(parent, key);
        key = dot + 1;
    }
    if (value)
        json_object_set_new(parent, key, value);
    else
        json_object_del(parent, key);
    return copy;
}

/* Strict about shape: each problem refused, the member named. */
static void test_malformed(void **state)
{
    (void)state;
    result_t r;
    make_part(&r, 0, 2, 1767225600000000000ull);
    json_t *good = result_to_json(&r);
    result_close(&r);
    static const struct {
        const char *path;
        const char *value; /* JSON text; NULL = remove */
        const char *needle;
    } cases[] = {
        {"tool", NULL, "\"tool\""},
        {"tool", "\"wrk\"", "\"tool\""},
        {"requests.total", NULL, "\"requests.total\" is missing"},
        {"requests.total", "\"10\"", "\"requests.total\" must be"},
        {"requests.ok", "-1", "\"requests.ok\""},
        {"requests.errors", "3", "\"requests\" is inconsistent"},
        {"requests", "[]", "\"requests\""},
        {"requests.by_status.200", "1.5", "\"requests.by_status.200\""},
        {"requests.by_status.1000", "1", "\"requests.by_status\""},
        {"requests.by_error.bogus", "1", "unknown kind \"bogus\""},
        {"requests.invalid_by_reason", "{\"bogus\": 1}", "unknown reason \"bogus\""},
        {"requests.invalid_by_reason", "{\"count\": 1000}", "counts more than"},
        {"requests.invalid_by_reason", "[]", "\"requests.invalid_by_reason\" must be"},
        {"items.ok", "1000000", "\"items\" is inconsistent"},
        {"items", NULL, "\"items.total\""},
        {"duration_s", "null", "\"duration_s\""},
        {"duration_ns", "-1", "\"duration_ns\""},
        {"started_at", "\"yesterday\"", "\"started_at\""},
        {"segment.count", "0", "\"segment\""},
        {"segment.concurrency", "-1", "\"segment.concurrency\""},
        {"segment.start_at", "\"noon\"", "\"segment.start_at\""},
        {"segment.late", "[0]", "\"segment.late\""},
        {"segment.late", "{}", "\"segment.late\""},
        {"throughput.items_per_s", "\"fast\"", "\"throughput.items_per_s\""},
        {"latency_ms.item.p95", "\"1\"", "\"latency_ms.item.p95\""},
        {"latency_ms.item.mean", "-3", "\"latency_ms.item.mean\""},
        {"latency_ms.request", "[]", "\"latency_ms.request\""},
        {"config", "[]", "\"config\""},
        {"inputs_digest", "42", "\"inputs_digest\" must be"},
        {"histogram.item.buckets", "[[999999999,1]]", "\"histogram.item\" is not a valid"},
        {"histogram.request.count", "\"x\"", "\"histogram.request\" is not a valid"},
        {"histogram", "[]", "\"histogram\""},
        {"connections.opened", "-2", "\"connections.opened\""},
        {"connections.limit", "1.5", "\"connections.limit\""},
        {"connections.limit_by", "\"luck\"", "\"connections.limit_by\""},
        {"connections.limit_by", "3", "\"connections.limit_by\""},
        {"requests.unsent", "1000000", "more unsent than errors"},
        {"items.unsent", "1000000", "more unsent than failed"},
        {"timeline",
         "[{\"requests\": 1, \"errors\": 0, \"items\": 1, \"tokens_out\": 0, \"completed\": 1, "
         "\"completed_errors\": 2}]",
         "completed_errors > completed"},
        {"timeline",
         "[{\"requests\": 1, \"errors\": 0, \"items\": 1, \"tokens_out\": 0, \"served_items\": "
         "-1}]",
         "\"timeline[0].served_items\""},
        {"timeline", "{}", "\"timeline\""},
        {"timeline", "[1]", "\"timeline[0]\""},
        {"timeline", "[{\"second\": 3, \"requests\": 1, \"errors\": 0, \"items\": 1}]",
         "\"timeline[0].second\""},
        {"timeline", "[{\"requests\": 1, \"errors\": 0}]", "\"timeline[0].items\""},
        {"timeline",
         "[{\"requests\": 1, \"errors\": 0, \"items\": 1, \"tokens_out\": 0, \"histogram\": "
         "{\"item\": {\"lowest\":"
         "1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\",\"count\":0,\"min\":0,"
         "\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}}}]",
         "per-second parameters"},
        {"sla", "[{\"expr\": \"p95<=fast\", \"value\": 1, \"pass\": true}]", "\"sla[0]\""},
        {"sla", "{}", "\"sla\""},
        {"interrupted", "1", "\"interrupted\""},
        {"requests.first_errors", "[]", "\"requests.first_errors\" must be an object"},
        {"requests.first_errors.timeout", "{}", "\"timeout\" is not a kind with an answer"},
        {"requests.first_errors.http_5xx.status", "1000",
         "\"requests.first_errors.http_5xx.status\""},
        {"requests.first_errors.http_5xx.request_id", NULL,
         "\"requests.first_errors.http_5xx.request_id\" is missing"},
        {"requests.first_errors.http_5xx.body", "7",
         "\"requests.first_errors.http_5xx.body\" must"},
        {"requests.first_errors.http_5xx.reason", "null",
         "\"requests.first_errors.http_5xx.reason\" must"},
        {"requests.first_errors.http_5xx.reason",
         "\"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234"
         "5678901234567890123456789012345678901234567890123456789012345678901234567890\"",
         "at most 159 characters"},
        {"stream.tokens_out", NULL, "\"stream.tokens_out\" is missing"},
        {"stream.chunks", "-1", "\"stream.chunks\""},
        {"stream.requests_good", "1000000", "\"stream\" is inconsistent"},
        {"stream.output_tokens_per_s", "\"x\"", "\"stream.output_tokens_per_s\""},
        {"stream", NULL, "\"histogram.ttft\" is there but \"stream\" is not"},
        {"stream", "[]", "\"stream\" must be an object"},
        {"histogram.itl", NULL, "some of the streamed metrics but not all (itl)"},
        {"timeline", "[{\"requests\": 1, \"errors\": 0, \"items\": 1}]",
         "\"timeline[0].tokens_out\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = cases[i].value ? json_loads(cases[i].value, JSON_DECODE_ANY, NULL) : NULL;
        if (cases[i].value && !v)
            fail_msg("case %zu: bad test JSON", i);
        json_t *bad = mutate(good, cases[i].path, v);
        char err[512] = "";
        int rc = result_from_json(bad, &r, err, sizeof err);
        if (rc != EINVAL)
            fail_msg("case %zu (%s) accepted", i, cases[i].path);
        if (!strstr(err, cases[i].needle))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, cases[i].needle);
        assert_null(r.verdicts); /* zeroed */
        json_decref(bad);
    }
    char err[512];
    json_t *arr = json_array();
    assert_int_equal(result_from_json(arr, &r, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "not a JSON object"));
    json_decref(arr);
    json_t *cmp = json_pack("{s:{},s:{}}", "baseline", "optimized");
    assert_int_equal(result_from_json(cmp, &r, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "comparison"));
    json_decref(cmp);
    json_decref(good);
}

/* Every sample result in tests/e2e/data reads, keeps what it holds, and
 * writes the same bytes again after a second reading. Most are version 0.1
 * files (no connect, TLS or per-second histograms; nohist.json none at all). */
static void test_data_files(void **state)
{
    (void)state;
    char dir[512];
    const char *slash = strrchr(__FILE__, '/');
    snprintf(dir, sizeof dir, "%.*s/../e2e/data", slash ? (int)(slash - __FILE__) : 1,
             slash ? __FILE__ : ".");
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s (run from the repository root)", dir);
    struct dirent *e;
    size_t seen = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json"))
            continue;
        char path[1024], err[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_t *j = NULL;
        assert_int_equal(result_load_json(path, &j, err, sizeof err), 0);
        if (json_object_get(j, "baseline")) { /* a comparison */
            json_decref(j);
            continue;
        }
        result_t r;
        if (result_from_json(j, &r, err, sizeof err))
            fail_msg("%s: %s", path, err);
        json_t *out = result_to_json(&r);
        /* what the file measured is all still there */
        static const char *const kept[] = {"requests", "items",      "inputs_digest",
                                           "config",   "started_at", "histogram"};
        /* version 0.1 wrote a sum of squares beyond int64 as a real: now its digits */
        const char *key;
        json_t *h;
        json_object_foreach(json_object_get(j, "histogram"), key, h)
        {
            json_t *sq = json_object_get(h, "sum_sq");
            if (json_is_real(sq)) {
                char digits[64];
                snprintf(digits, sizeof digits, "%.0f", json_real_value(sq));
                json_object_set_new(h, "sum_sq", json_string(digits));
            }
        }
        for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++) {
            const json_t *a = json_object_get(j, kept[k]), *b = json_object_get(out, kept[k]);
            json_t *bc = json_deep_copy(b);
            if (json_is_object(bc) && !strcmp(kept[k], "requests"))
                json_object_del(bc, "bytes_in"); /* new: 0 when not recorded */
            if (json_is_object(bc) && json_is_object(a) && !json_object_get(a, "unsent"))
                json_object_del(bc, "unsent"); /* new in requests and items: 0 */
            if (a && !json_equal(a, bc))
                fail_msg("%s: \"%s\" changed", path, kept[k]);
            json_decref(bc);
        }
        size_t nt = json_array_size(json_object_get(j, "timeline"));
        for (size_t i = 0; i < nt; i++) {
            const json_t *a = json_array_get(json_object_get(j, "timeline"), i),
                         *b = json_array_get(json_object_get(out, "timeline"), i);
            static const char *const keys[] = {"requests", "errors", "items", "p50", "p95", "p99"};
            for (size_t k = 0; k < 6; k++)
                if (!json_equal(json_object_get(a, keys[k]), json_object_get(b, keys[k])))
                    fail_msg("%s: timeline[%zu].%s changed", path, i, keys[k]);
        }
        assert_int_equal(json_array_size(json_object_get(out, "sla")),
                         json_array_size(json_object_get(j, "sla")));
        char *a = result_dumps(out);
        int rc;
        char *b = reread(a, err, sizeof err, &rc);
        if (rc || strcmp(a, b))
            fail_msg("%s: not stable: %s", path, rc ? err : "second writing differs");
        free(a);
        free(b);
        json_decref(out);
        json_decref(j);
        result_close(&r);
        seen++;
    }
    closedir(d);
    assert_true(seen >= 6);
}

/* ---- file mode, for the end-to-end tests ---------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, (cap *= 2) + 1);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static int check_files(bool exact, int argc, char **argv)
{
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        char err[1024];
        int rc;
        char *text = slurp(argv[i]);
        char *once = text ? reread(text, err, sizeof err, &rc) : NULL;
        if (!text) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            bad = 1;
        } else if (!once) {
            if (exact) {
                fprintf(stderr, "%s: does not read back: %s\n", argv[i], err);
                bad = 1;
            }
        } else if (exact && strcmp(text, once)) {
            fprintf(stderr, "%s: writing what was read gives different bytes\n", argv[i]);
            bad = 1;
        } else if (!exact) {
            char *twice = reread(once, err, sizeof err, &rc);
            if (!twice || strcmp(once, twice)) {
                fprintf(stderr, "%s: the second writing differs from the first\n", argv[i]);
                bad = 1;
            }
            free(twice);
        }
        free(once);
        free(text);
    }
    return bad;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--exact") || !strcmp(argv[1], "--stable")))
        return check_files(!strcmp(argv[1], "--exact"), argc - 2, argv + 2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_merge_halves),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_legacy_summary),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_data_files),
        cmocka_unit_test(test_self_check_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
