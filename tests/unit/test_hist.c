/* test_hist — the histogram against exact order statistics computed here by
 * sorting, merge exactness, JSON round trip, and rejection of malformed JSON. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/hist.h"

static const double pcts[] = {0, 50, 75, 90, 95, 99, 99.9, 99.99, 100};
/* The same percentiles in hundredths, for the exact rank computed in integers. */
static const uint64_t pcts_x100[] = {0, 5000, 7500, 9000, 9500, 9900, 9990, 9999, 10000};

typedef struct {
    uint64_t *v;
    size_t n;
} data_t;

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Smallest value v with at least p% of values <= v. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, uint64_t p_x100)
{
    uint64_t rank = (p_x100 * n + 9999) / 10000;
    return sorted[rank ? rank - 1 : 0];
}

static hist_t *build(const data_t *d, int sig)
{
    hist_t *h = NULL;
    assert_int_equal(hist_new(&h, HIST_LOWEST_NS, HIST_HIGHEST_NS, sig), 0);
    for (size_t i = 0; i < d->n; i++)
        hist_record(h, d->v[i]);
    return h;
}

static void check_against_exact(const data_t *d, int sig)
{
    hist_t *h = build(d, sig);
    uint64_t *s = malloc(d->n * sizeof *s);
    memcpy(s, d->v, d->n * sizeof *s);
    qsort(s, d->n, sizeof *s, cmp_u64);
    double tol = pow(10, -sig);
    for (size_t k = 0; k < sizeof pcts / sizeof pcts[0]; k++) {
        uint64_t exact = exact_percentile(s, d->n, pcts_x100[k]);
        uint64_t got = hist_percentile(h, pcts[k]);
        if (fabs((double)got - (double)exact) > (double)exact * tol)
            fail_msg("p%g: got %llu exact %llu (sig %d, n %zu)", pcts[k], (unsigned long long)got,
                     (unsigned long long)exact, sig, d->n);
        /* Reported values never understate the order statistic. */
        assert_true(got >= exact);
    }
    assert_int_equal(hist_count(h), d->n);
    assert_int_equal(hist_min(h), s[0]);
    assert_int_equal(hist_max(h), s[d->n - 1]);
    long double sum = 0, sq = 0;
    for (size_t i = 0; i < d->n; i++)
        sum += s[i];
    long double mean = sum / d->n;
    for (size_t i = 0; i < d->n; i++)
        sq += (s[i] - mean) * (s[i] - mean);
    assert_true(fabsl(hist_mean(h) - mean) <= mean * 1e-12);
    assert_true(fabsl(hist_stdev(h) - sqrtl(sq / d->n)) <= mean * 1e-9);
    free(s);
    hist_free(h);
}

static data_t make_uniform(void)
{
    data_t d = {malloc(1000000 * sizeof(uint64_t)), 1000000};
    for (size_t i = 0; i < d.n; i++)
        d.v[i] = 1000 + rng() % 1000000000;
    return d;
}

static data_t make_sequence(void)
{
    data_t d = {malloc(1000000 * sizeof(uint64_t)), 1000000};
    for (size_t i = 0; i < d.n; i++)
        d.v[i] = (uint64_t)(i + 1) * 1000; /* 1 us .. 1 s, i.e. 1..1e6 us */
    return d;
}

static data_t make_exponential(void)
{
    data_t d = {malloc(200000 * sizeof(uint64_t)), 200000};
    for (size_t i = 0; i < d.n; i++) {
        double u = ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
        d.v[i] = 1000 + (uint64_t)(-log(u) * 50e6);
    }
    return d;
}

static data_t make_spikes(void)
{
    data_t d = {malloc(10000 * sizeof(uint64_t)), 10000};
    for (size_t i = 0; i < d.n; i++)
        d.v[i] = i % 100 == 7 ? 2000000000ull : i % 10 == 3 ? 40000000ull : 5000000ull;
    return d;
}

static void test_uniform(void **state)
{
    (void)state;
    data_t d = make_uniform();
    check_against_exact(&d, 3);
    check_against_exact(&d, 2);
    free(d.v);
}

static void test_sequence(void **state)
{
    (void)state;
    data_t d = make_sequence();
    check_against_exact(&d, 3);
    free(d.v);
}

static void test_exponential(void **state)
{
    (void)state;
    data_t d = make_exponential();
    for (int sig = 1; sig <= 4; sig++)
        check_against_exact(&d, sig);
    free(d.v);
}

static void test_spikes(void **state)
{
    (void)state;
    data_t d = make_spikes();
    check_against_exact(&d, 3);
    hist_t *h = build(&d, 3);
    /* Exact values at spikes: clamped to min/max, the bucket's top otherwise. */
    assert_int_equal(hist_percentile(h, 100), 2000000000ull);
    assert_int_equal(hist_percentile(h, 0), 5000000ull);
    /* The top of 5 ms's bucket (4096 ns wide there), within 0.1% of 5 ms. */
    assert_int_equal(hist_percentile(h, 50), 5000000ull - 5000000ull % 4096 + 4095);
    hist_free(h);
    free(d.v);
}

static void test_tiny(void **state)
{
    (void)state;
    uint64_t one[] = {123456789};
    data_t d1 = {one, 1};
    check_against_exact(&d1, 3);
    hist_t *h = build(&d1, 3);
    for (size_t k = 0; k < sizeof pcts / sizeof pcts[0]; k++)
        assert_int_equal(hist_percentile(h, pcts[k]), 123456789);
    assert_true(hist_stdev(h) == 0);
    hist_free(h);

    uint64_t two[] = {2000000, 1000000};
    data_t d2 = {two, 2};
    check_against_exact(&d2, 3);
    h = build(&d2, 3);
    /* The top of 1 ms's bucket, 512 ns wide there. */
    assert_int_equal(hist_percentile(h, 50), 1000000 - 1000000 % 512 + 511);
    assert_int_equal(hist_percentile(h, 50.1), 2000000);
    assert_true(hist_mean(h) == 1500000.0);
    assert_true(hist_stdev(h) == 500000.0);
    hist_free(h);
}

static void test_empty(void **state)
{
    (void)state;
    hist_t *h = NULL;
    assert_int_equal(hist_new_latency(&h), 0);
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_max(h), 0);
    assert_int_equal(hist_percentile(h, 50), 0);
    assert_true(hist_mean(h) == 0 && hist_stdev(h) == 0);
    hist_record_n(h, 5000, 0); /* no-op */
    assert_int_equal(hist_count(h), 0);
    hist_record(h, 5000);
    hist_reset(h);
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_percentile(h, 99), 0);
    hist_free(h);
    hist_free(NULL);
}

static void test_params(void **state)
{
    (void)state;
    hist_t *h = NULL;
    assert_int_equal(hist_new(&h, 0, 100, 3), EINVAL);
    assert_int_equal(hist_new(&h, 10, 19, 3), EINVAL);
    assert_int_equal(hist_new(&h, 1, 100, 0), EINVAL);
    assert_int_equal(hist_new(&h, 1, 100, 6), EINVAL);
    assert_null(h);
    assert_int_equal(hist_new(&h, 1, 2, 5), 0);
    hist_record(h, 1);
    hist_record(h, 2);
    assert_int_equal(hist_percentile(h, 50), 1);
    hist_free(h);
    assert_int_equal(hist_new(&h, 1, 1ull << 40, 1), 0);
    assert_int_equal(hist_sig_digits(h), 1);
    hist_free(h);
}

static void test_clamp(void **state)
{
    (void)state;
    hist_t *h = NULL;
    assert_int_equal(hist_new_latency(&h), 0);
    hist_record(h, 0);
    hist_record(h, 5);
    hist_record(h, 10000000000000ull); /* above 1 h */
    hist_record_n(h, 3, 2);
    assert_int_equal(hist_count(h), 5);
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_max(h), 10000000000000ull);
    assert_int_equal(hist_percentile(h, 0), 0);
    assert_int_equal(hist_percentile(h, 50), 1000); /* the lowest bucket, 1 us wide */
    assert_int_equal(hist_percentile(h, 100), 10000000000000ull);
    /* Above highest counts in the highest bucket: reported within precision of 1 h. */
    uint64_t p99 = hist_percentile(h, 99);
    assert_true(p99 >= HIST_HIGHEST_NS && p99 <= HIST_HIGHEST_NS + HIST_HIGHEST_NS / 1000);
    json_t *j = hist_to_json(h);
    hist_t *back = NULL;
    char err[256];
    assert_int_equal(hist_from_json(j, &back, err, sizeof err), 0);
    assert_int_equal(hist_percentile(back, 99), p99);
    json_decref(j);
    hist_free(back);
    hist_free(h);
}

static void assert_same(const hist_t *a, const hist_t *b)
{
    assert_int_equal(hist_count(a), hist_count(b));
    assert_int_equal(hist_min(a), hist_min(b));
    assert_int_equal(hist_max(a), hist_max(b));
    assert_true(hist_mean(a) == hist_mean(b));
    assert_true(hist_stdev(a) == hist_stdev(b));
    for (int i = 0; i <= 1000; i++)
        assert_int_equal(hist_percentile(a, i / 10.0), hist_percentile(b, i / 10.0));
    for (size_t k = 0; k < sizeof pcts / sizeof pcts[0]; k++)
        assert_int_equal(hist_percentile(a, pcts[k]), hist_percentile(b, pcts[k]));
    json_t *ja = hist_to_json(a), *jb = hist_to_json(b);
    assert_true(json_equal(ja, jb));
    json_decref(ja);
    json_decref(jb);
}

/* A frozen copy thawed into an empty histogram gives back the original, and
 * thawed into a partial one equals a merge. */
static void test_freeze_thaw(void **state)
{
    (void)state;
    data_t sets[] = {make_exponential(), make_spikes(), make_uniform()};
    for (size_t s = 0; s < 3; s++) {
        hist_t *a, *b, *all = build(&sets[s], 3), *back;
        hist_frozen_t *fa, *fall;
        assert_int_equal(hist_new_latency(&a), 0);
        assert_int_equal(hist_new_latency(&b), 0);
        assert_int_equal(hist_new_latency(&back), 0);
        for (size_t i = 0; i < sets[s].n; i++)
            hist_record(i % 2 ? a : b, sets[s].v[i]);
        assert_int_equal(hist_freeze(all, &fall), 0);
        assert_int_equal(hist_thaw_into(back, fall), 0);
        assert_same(back, all);
        assert_int_equal(hist_freeze(a, &fa), 0);
        assert_int_equal(hist_thaw_into(b, fa), 0);
        assert_same(b, all);
        hist_frozen_free(fa);
        hist_frozen_free(fall);
        hist_free(a);
        hist_free(b);
        hist_free(back);
        hist_free(all);
        free(sets[s].v);
    }
    hist_t *e, *other;
    hist_frozen_t *fe;
    assert_int_equal(hist_new_latency(&e), 0);
    assert_int_equal(hist_freeze(e, &fe), 0); /* empty freezes to nothing */
    assert_int_equal(hist_new(&other, HIST_LOWEST_NS, HIST_HIGHEST_NS, 2), 0);
    assert_int_equal(hist_thaw_into(other, fe), EINVAL);
    assert_int_equal(hist_thaw_into(e, fe), 0);
    assert_int_equal(hist_count(e), 0);
    hist_frozen_free(fe);
    hist_frozen_free(NULL);
    hist_free(other);
    hist_free(e);
}

static void test_merge(void **state)
{
    (void)state;
    data_t sets[] = {make_exponential(), make_spikes(), make_uniform()};
    for (size_t s = 0; s < 3; s++) {
        hist_t *a, *b, *all = build(&sets[s], 3);
        assert_int_equal(hist_new_latency(&a), 0);
        assert_int_equal(hist_new_latency(&b), 0);
        for (size_t i = 0; i < sets[s].n; i++)
            hist_record(i % 3 ? a : b, sets[s].v[i]);
        assert_int_equal(hist_merge(a, b), 0);
        assert_same(a, all);
        hist_free(a);
        hist_free(b);
        hist_free(all);
        free(sets[s].v);
    }
    /* Empty into empty, empty into full, full into empty. */
    hist_t *e, *f;
    assert_int_equal(hist_new_latency(&e), 0);
    assert_int_equal(hist_new_latency(&f), 0);
    hist_record(f, 7777777);
    assert_int_equal(hist_merge(f, e), 0);
    assert_int_equal(hist_count(f), 1);
    assert_int_equal(hist_merge(e, f), 0);
    assert_same(e, f);
    hist_t *other;
    assert_int_equal(hist_new(&other, HIST_LOWEST_NS, HIST_HIGHEST_NS, 2), 0);
    assert_int_equal(hist_merge(e, other), EINVAL);
    hist_free(other);
    hist_free(e);
    hist_free(f);
}

static void test_json_roundtrip(void **state)
{
    (void)state;
    data_t d = make_exponential();
    hist_t *h = build(&d, 3);
    hist_record(h, 3000000000000ull); /* sum_sq beyond int64: written as digits */
    json_t *j = hist_to_json(h);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "unit")), "ns");
    char *text = json_dumps(j, JSON_COMPACT);
    json_error_t jerr;
    json_t *parsed = json_loads(text, 0, &jerr);
    assert_non_null(parsed);
    hist_t *back = NULL;
    char err[256] = "";
    assert_int_equal(hist_from_json(parsed, &back, err, sizeof err), 0);
    assert_int_equal(hist_count(back), hist_count(h));
    assert_int_equal(hist_min(back), hist_min(h));
    assert_int_equal(hist_max(back), hist_max(h));
    for (int i = 0; i <= 1000; i++)
        assert_int_equal(hist_percentile(back, i / 10.0), hist_percentile(h, i / 10.0));
    assert_true(fabs(hist_mean(back) - hist_mean(h)) <= hist_mean(h) * 1e-15);
    assert_true(fabs(hist_stdev(back) - hist_stdev(h)) <= hist_stdev(h) * 1e-9);
    json_t *again = hist_to_json(back);
    assert_true(json_equal(json_object_get(again, "buckets"), json_object_get(j, "buckets")));
    /* ... exactly: sum_sq is a string of digits, and the second dump is the first. */
    assert_true(json_is_string(json_object_get(j, "sum_sq")));
    assert_true(hist_stdev(back) == hist_stdev(h));
    assert_true(json_equal(again, j));
    json_decref(again);
    hist_free(back);

    /* Small values: sums are integers and the round trip is exact. */
    hist_t *s;
    assert_int_equal(hist_new_latency(&s), 0);
    hist_record(s, 1500);
    hist_record(s, 2500000);
    json_t *js = hist_to_json(s);
    assert_int_equal(hist_from_json(js, &back, err, sizeof err), 0);
    assert_same(s, back);
    json_decref(js);
    hist_free(back);
    hist_free(s);

    free(text);
    json_decref(parsed);
    json_decref(j);
    hist_free(h);
    free(d.v);
}

static void test_json_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "42",
        "{}",
        /* each field missing or of the wrong type */
        "{\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\",\"count\":0,\"min\":0,"
        "\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":\"1000\",\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3.0,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ms\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,"
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":-1,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":\"0\",\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":-1.5,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":{}}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0}",
        /* invalid parameters */
        "{\"lowest\":0,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":1999,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":0,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":6,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        "{\"lowest\":1000,\"highest\":9223372036854775807,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
        /* buckets */
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[1000]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[1000,1,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[1000,1]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[\"1000\",1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[-1,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[99999999,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[1000,0],[1000,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":2,\"min\":1000,\"max\":1000,\"sum\":2000,\"sum_sq\":2000000,"
        "\"buckets\":[[1000,1],[1000,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":2,\"min\":1000,\"max\":1001,\"sum\":2001,\"sum_sq\":2002001,"
        "\"buckets\":[[1001,1],[1000,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":2,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[1000,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[1000,2]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":1000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[1000,-5]]}",
        /* min/max inconsistent */
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":5000,\"max\":1000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[1000,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":1,\"min\":7000000,\"max\":7000000,\"sum\":1000,\"sum_sq\":1000000,"
        "\"buckets\":[[1000,1]]}",
        "{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
        "\"count\":0,\"min\":5,\"max\":0,\"sum\":0,\"sum_sq\":0,\"buckets\":[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t jerr;
        json_t *j = json_loads(bad[i], JSON_DECODE_ANY, &jerr);
        if (!j)
            fail_msg("test case %zu is not JSON: %s", i, jerr.text);
        hist_t *h = NULL;
        char err[256] = "";
        int rc = hist_from_json(j, &h, err, sizeof err);
        if (rc != EINVAL)
            fail_msg("case %zu accepted (rc %d): %s", i, rc, bad[i]);
        assert_null(h);
        assert_true(strlen(err) > 0);
        json_decref(j);
    }
    hist_t *h = NULL;
    char err[8];
    assert_int_equal(hist_from_json(NULL, &h, err, sizeof err), EINVAL); /* short buffer ok */

    /* And the well-formed neighbours of those cases are accepted. */
    json_t *ok =
        json_loads("{\"lowest\":1000,\"highest\":3600000000000,\"sig_digits\":3,\"unit\":\"ns\","
                   "\"count\":2,\"min\":1000,\"max\":1001,\"sum\":2001,\"sum_sq\":2002001,"
                   "\"buckets\":[[1000,1],[1001,1]],\"extra\":true}",
                   0, NULL);
    char err2[256];
    assert_int_equal(hist_from_json(ok, &h, err2, sizeof err2), 0);
    assert_int_equal(hist_percentile(h, 50), 1000);
    assert_int_equal(hist_percentile(h, 100), 1001);
    hist_free(h);
    json_decref(ok);
}

/* Counting values at most v agrees with the ranks: the rank-th value has at
 * least rank values at or below it, and one ns less has fewer. */
static void test_count_at_most(void **state)
{
    (void)state;
    hist_t *h;
    assert_int_equal(hist_new_latency(&h), 0);
    assert_int_equal(hist_count_at_most(h, 1000000), 0); /* empty */
    for (uint64_t i = 1; i <= 1000; i++)
        hist_record(h, i * i * 997);
    assert_int_equal(hist_count_at_most(h, 0), 0);
    assert_int_equal(hist_count_at_most(h, UINT64_MAX), 1000);
    assert_int_equal(hist_count_at_most(h, hist_max(h)), 1000);
    for (uint64_t r = 1; r <= 1000; r += 37) {
        uint64_t v = hist_at_rank(h, r);
        assert_true(hist_count_at_most(h, v) >= r);
        assert_true(hist_count_at_most(h, v - 1) < r);
    }
    hist_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform),        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_exponential),    cmocka_unit_test(test_spikes),
        cmocka_unit_test(test_tiny),           cmocka_unit_test(test_empty),
        cmocka_unit_test(test_params),         cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_merge),          cmocka_unit_test(test_freeze_thaw),
        cmocka_unit_test(test_json_roundtrip), cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_count_at_most),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
