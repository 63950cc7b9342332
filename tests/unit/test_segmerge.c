/* segmerge: segments of one run join into exactly the whole run (every
 * count, histogram and digest), and what is not one run is refused with the
 * files and the reason named. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stats/segmerge.h"

#define T0 1767225600000000000ull
#define S 1000000000ull

/* Requests k of a run of 3 s, as segment `index` of `count` records them:
 * k % count == index (the open-loop rule), latency a function of k. */
static void record_segment(runstats_t *rs, unsigned index, unsigned count)
{
    for (uint64_t k = index; k < 600; k += count) {
        size_t sec = (size_t)(k / 200);
        uint64_t lat = 1000000 + k * 7919 % 5000000;
        err_kind_t e = k % 37 == 0 ? ERR_HTTP_5XX : ERR_NONE;
        runstats_record_request(rs, sec, e, e ? 500 : 200, 1, lat, lat - 1000, 64);
        if (!e)
            runstats_record_item(rs, sec, lat);
    }
}

/* digest: the sum of one term per segment, here just the index + 1 */
static void digest_of(unsigned index, char *out)
{
    snprintf(out, SEGMERGE_DIGEST_LEN, "sum-sha256:%064x", index + 1);
}

static void make(result_t *r, unsigned index, unsigned count, const char *rate)
{
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 0), 0);
    record_segment(&rs, index, count);
    json_t *config = json_pack("{s:s,s:s}", "url", "http://x/", "rate", rate);
    char digest[SEGMERGE_DIGEST_LEN];
    digest_of(index, digest);
    result_meta_t meta = {
        .config = config,
        .target = "http://x/",
        .started_wall_ns = T0,
        .duration_ns = 3 * S,
        .inputs_digest = digest,
        .segment_index = index,
        .segment_count = count,
        .segment = {.concurrency = 10 / count + (index < 10 % count), .start_at_ns = T0},
    };
    assert_int_equal(result_from_run(r, &meta, &rs, NULL, 0), 0);
    json_decref(config);
}

static char *dump(const result_t *r)
{
    json_t *j = result_to_json(r);
    json_t *o = json_object_get(j, "requests");
    char *text = json_dumps(o, JSON_SORT_KEYS);
    json_decref(j);
    return text;
}

static const char *const names[] = {"a.json", "b.json", "c.json", "d.json", "e.json"};

static void test_segments_join_into_the_whole_run(void **state)
{
    (void)state;
    result_t whole, parts[3], m;
    make(&whole, 0, 1, "10");
    for (unsigned i = 0; i < 3; i++)
        make(&parts[2 - i], i, 3, "10"); /* any order */
    char err[512];
    segmerge_opts_t o = {.late_ns = 100000000};
    assert_int_equal(segmerge(parts, names, 3, &o, &m, err, sizeof err), 0);
    assert_int_equal(m.stats.requests, whole.stats.requests);
    assert_int_equal(m.stats.items_ok, whole.stats.items_ok);
    assert_int_equal(m.stats.by_status[500], whole.stats.by_status[500]);
    for (int k = 0; k < METRIC_COUNT; k++)
        if (whole.stats.hist[k])
            assert_int_equal(hist_count(m.stats.hist[k]), hist_count(whole.stats.hist[k]));
    assert_int_equal(hist_percentile(m.stats.hist[METRIC_ITEM], 99.0),
                     hist_percentile(whole.stats.hist[METRIC_ITEM], 99.0));
    char *a = dump(&m), *b = dump(&whole);
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* 1 + 2 + 3 */
    assert_string_equal(m.inputs_digest,
                        "sum-sha256:"
                        "0000000000000000000000000000000000000000000000000000000000"
                        "000006");
    assert_int_equal(m.segment_index, 0);
    assert_int_equal(m.segment_count, 1);
    assert_int_equal(m.segment.merged, 3);
    assert_int_equal(m.segment.concurrency, 10);
    assert_int_equal(m.segment.nlate, 0);
    assert_int_equal(m.duration_ns, 3 * S);
    result_close(&m);
    for (unsigned i = 0; i < 3; i++)
        result_close(&parts[i]);
    result_close(&whole);
}

static int expect(result_t *parts, size_t n, int rc, const char *needle)
{
    char err[512] = "";
    result_t m;
    segmerge_opts_t o = {.late_ns = 100000000};
    int got = segmerge(parts, names, n, &o, &m, err, sizeof err);
    if (got != rc)
        fail_msg("rc %d, want %d (%s)", got, rc, err);
    if (rc && !strstr(err, needle))
        fail_msg("'%s' does not say '%s'", err, needle);
    result_close(&m);
    for (size_t i = 0; i < n; i++)
        result_close(&parts[i]);
    return got;
}

static void test_refusals(void **state)
{
    (void)state;
    result_t p[5];
    /* missing */
    make(&p[0], 0, 4, "10"), make(&p[1], 2, 4, "10");
    expect(p, 2, ENOENT, "segments 1, 3 of 4 are missing");
    /* another run's options */
    make(&p[0], 0, 2, "10"), make(&p[1], 1, 2, "11");
    expect(p, 2, EINVAL,
           "a.json and b.json are not segments of one run: \"rate\" is \"10\" in one "
           "and \"11\" in the other");
    /* another N */
    make(&p[0], 0, 2, "10"), make(&p[1], 1, 3, "10");
    expect(p, 2, EINVAL, "b.json is segment 1 of 3");
    /* another --start-at */
    make(&p[0], 0, 2, "10"), make(&p[1], 1, 2, "10");
    p[1].segment.start_at_ns += S;
    expect(p, 2, EINVAL, "told to start at");
    /* began after the other had ended */
    make(&p[0], 0, 2, "10"), make(&p[1], 1, 2, "10");
    p[0].segment.start_at_ns = p[1].segment.start_at_ns = 0;
    p[1].started_wall_ns += 10 * S;
    expect(p, 2, EINVAL, "b.json began 7.0 s after the segments before it had ended");
    /* twice, both complete: refused; one interrupted: the complete one is kept */
    make(&p[0], 0, 2, "10"), make(&p[1], 1, 2, "10"), make(&p[2], 1, 2, "10");
    expect(p, 3, EINVAL, "segment 1 of 2 is given twice, b.json and c.json, and both ran");
    make(&p[0], 0, 2, "10"), make(&p[1], 1, 2, "10"), make(&p[2], 1, 2, "10");
    p[1].interrupted = true;
    p[2].stats.requests_ok--; /* to tell which was kept */
    p[2].stats.requests--;
    char err[512];
    result_t m;
    segmerge_opts_t o = {.late_ns = 100000000};
    assert_int_equal(segmerge(p, names, 3, &o, &m, err, sizeof err), 0);
    assert_false(m.interrupted);
    assert_int_equal(m.stats.requests, 599);
    result_close(&m);
    for (int i = 0; i < 3; i++)
        result_close(&p[i]);
    /* a whole run among segments */
    make(&p[0], 0, 2, "10"), make(&p[1], 0, 1, "10");
    expect(p, 2, EINVAL, "b.json is a whole run (no --segment), not a segment");
    /* a digest that is not a sum: the merge has none */
    make(&p[0], 0, 2, "10"), make(&p[1], 1, 2, "10");
    free(p[1].inputs_digest);
    p[1].inputs_digest = strdup("sha256:ab");
    assert_int_equal(segmerge(p, names, 2, &o, &m, err, sizeof err), 0);
    assert_null(m.inputs_digest);
    result_close(&m);
    result_close(&p[0]);
    result_close(&p[1]);
}

static void collect(void *arg, const char *text)
{
    snprintf(arg, 512, "%s", text);
}

static void test_late_is_flagged(void **state)
{
    (void)state;
    result_t p[3], m;
    for (unsigned i = 0; i < 3; i++)
        make(&p[i], i, 3, "10");
    p[2].segment.late_ns = 250000000;
    p[1].segment.late_ns = 50000000; /* within the tolerance */
    char err[512], seen[512] = "";
    segmerge_opts_t o = {.late_ns = 100000000, .note = collect, .arg = seen};
    assert_int_equal(segmerge(p, names, 3, &o, &m, err, sizeof err), 0);
    assert_int_equal(m.segment.nlate, 1);
    assert_int_equal(m.segment.late[0], 2);
    assert_int_equal(m.segment.late_ns, 250000000);
    assert_non_null(strstr(seen, "segment 2 (c.json) began 0.250 s after --start-at: late"));
    result_close(&m);
    for (unsigned i = 0; i < 3; i++)
        result_close(&p[i]);
    /* without --start-at: late after the earliest segment */
    for (unsigned i = 0; i < 3; i++) {
        make(&p[i], i, 3, "10");
        p[i].segment.start_at_ns = 0;
    }
    p[0].started_wall_ns += 2 * S;
    assert_int_equal(segmerge(p, names, 3, &o, &m, err, sizeof err), 0);
    assert_int_equal(m.segment.nlate, 1);
    assert_int_equal(m.segment.late[0], 0);
    assert_int_equal(m.duration_ns, 5 * S); /* the union of the spans */
    result_close(&m);
    for (unsigned i = 0; i < 3; i++)
        result_close(&p[i]);
}

static void test_digest_add(void **state)
{
    (void)state;
    char out[SEGMERGE_DIGEST_LEN];
    char ones[SEGMERGE_DIGEST_LEN] = "sum-sha256:", one[SEGMERGE_DIGEST_LEN];
    for (int i = 0; i < 64; i++)
        strcat(ones, "f");
    digest_of(0, one);
    assert_true(segmerge_digest_add(ones, one, out)); /* 2^256 - 1 + 1 wraps to 0 */
    assert_string_equal(out + 11,
                        "0000000000000000000000000000000000000000000000000000000000000000");
    assert_false(segmerge_digest_add("sha256:00", one, out));
    assert_false(segmerge_digest_add(one, NULL, out));
    one[20] = 'G';
    assert_false(segmerge_digest_add(one, one, out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments_join_into_the_whole_run),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_late_is_flagged),
        cmocka_unit_test(test_digest_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
