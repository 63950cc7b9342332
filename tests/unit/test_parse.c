/* Tests for core/parse: golden tables of accepted and rejected values, the
 * error text for each rejection, and every input (and every prefix of it)
 * placed right before a PROT_NONE guard page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/jtok.h"
#include "core/parse.h"

#define MS CLOCK_NS_PER_MS
#define S CLOCK_NS_PER_S

struct dur_case {
    const char *text;
    uint64_t bare;
    int rc;
    uint64_t ns;
    const char *err; /* substring of the message */
};

static const struct dur_case dur_cases[] = {
    {"800ms", MS, 0, 800 * MS, NULL},
    {"5s", MS, 0, 5 * S, NULL},
    {"1m", S, 0, 60 * S, NULL},
    {"2h", S, 0, 7200 * S, NULL},
    {"250us", MS, 0, 250000, NULL},
    {"17ns", MS, 0, 17, NULL},
    {"1.5s", MS, 0, 1500 * MS, NULL},
    {"0.25ms", MS, 0, 250000, NULL},
    {"1.0000000001s", MS, 0, S, NULL},
    {"0", MS, 0, 0, NULL},
    {"0", 0, 0, 0, NULL},
    {"0s", MS, 0, 0, NULL},
    {"000", S, 0, 0, NULL},
    {"250", MS, 0, 250 * MS, NULL},
    {"30", S, 0, 30 * S, NULL},
    {"1.5", S, 0, 1500 * MS, NULL},
    {"18446744073709551615ns", MS, 0, UINT64_MAX, NULL},
    {"18446744073s", MS, 0, 18446744073 * S, NULL},
    {"1h30m", S, 0, 5400 * S, NULL},
    {"1m30.5s", MS, 0, 90500 * MS, NULL},
    {"2s250ms", 0, 0, 2250 * MS, NULL},
    {"1h0m0s", S, 0, 3600 * S, NULL},
    {"30m1h", S, -1, 0, "largest first"},
    {"1s1s", S, -1, 0, "largest first"},
    {"1h30", S, -1, 0, "not a duration"},
    {"1h 30m", S, -1, 0, "not a duration"},
    {"1h-5m", S, -1, 0, "not a duration"},
    {"5124095576030430h60m", MS, -1, 0, "too large"},
    {"", MS, -1, 0, "empty duration (use e.g. 800ms, 5s, 1m)"},
    {"5x", MS, -1, 0, "'5x' is not a duration (use e.g. 800ms, 5s, 1m)"},
    {"-5s", MS, -1, 0, "negative"},
    {"-0", MS, -1, 0, "negative"},
    {"+5s", MS, -1, 0, "not a duration"},
    {" 5s", MS, -1, 0, "not a duration"},
    {"5s ", MS, -1, 0, "not a duration"},
    {"5 s", MS, -1, 0, "not a duration"},
    {"5S", MS, -1, 0, "not a duration"},
    {"5sec", MS, -1, 0, "units: ns, us, ms, s, m, h"},
    {"s", MS, -1, 0, "not a duration"},
    {".5s", MS, -1, 0, "not a duration"},
    {"1.s", MS, -1, 0, "not a duration"},
    {"1..5s", MS, -1, 0, "not a duration"},
    {"1e3ms", MS, -1, 0, "not a duration"},
    {"0x10s", MS, -1, 0, "not a duration"},
    {"inf", MS, -1, 0, "not a duration"},
    {"nan", MS, -1, 0, "not a duration"},
    {"5", 0, -1, 0, "'5' needs a unit"},
    {"18446744073709551616ns", MS, -1, 0, "too large"},
    {"18446744074s", MS, -1, 0, "too large"},
    {"99999999999999999999999999h", MS, -1, 0, "too large"},
    {"5124095576030431h", MS, -1, 0, "too large"},
};

static void test_duration_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
        const struct dur_case *c = &dur_cases[i];
        size_t len = strlen(c->text);
        for (size_t k = 0; k <= len; k++) { /* every prefix at the guard page */
            guard_t g;
            guard_place_str(&g, c->text, k);
            char err[128] = "";
            uint64_t ns = 12345;
            int rc = parse_duration_ns(g.str, c->bare, &ns, err, sizeof(err));
            if (k == len) {
                if (rc != c->rc)
                    fail_msg("'%s': rc %d (%s)", c->text, rc, err);
                if (rc == 0 && ns != c->ns)
                    fail_msg("'%s': %llu ns, want %llu", c->text, (unsigned long long)ns,
                             (unsigned long long)c->ns);
                if (rc != 0 && !strstr(err, c->err))
                    fail_msg("'%s': message '%s' lacks '%s'", c->text, err, c->err);
                if (rc != 0)
                    assert_true(ns == 12345); /* out untouched on failure */
            } else if (rc != 0) {
                assert_true(err[0] != '\0');
            }
            guard_free(&g);
        }
    }
    /* NULL err buffers are allowed */
    uint64_t ns;
    assert_int_equal(parse_duration_ns("bad", MS, &ns, NULL, 0), -1);
    /* a tiny buffer is truncated, never overrun */
    char small[8];
    assert_int_equal(parse_duration_ns("bad", MS, &ns, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), 7);
}

struct size_case {
    const char *text;
    int rc;
    uint64_t bytes;
    const char *err;
};

static const struct size_case size_cases[] = {
    {"100", 0, 100, NULL},
    {"0", 0, 0, NULL},
    {"100B", 0, 100, NULL},
    {"512k", 0, 512 * 1024, NULL},
    {"512K", 0, 512 * 1024, NULL},
    {"4KiB", 0, 4096, NULL},
    {"1M", 0, 1 << 20, NULL},
    {"8MiB", 0, 8 << 20, NULL},
    {"2m", 0, 2 << 20, NULL},
    {"1G", 0, 1ull << 30, NULL},
    {"3GiB", 0, 3ull << 30, NULL},
    {"1T", 0, 1ull << 40, NULL},
    {"1.5k", 0, 1536, NULL},
    {"0.5MiB", 0, 512 * 1024, NULL},
    {"18446744073709551615", 0, UINT64_MAX, NULL},
    {"16777215T", 0, 16777215ull << 40, NULL},
    {"", -1, 0, "empty size"},
    {"8MB", -1, 0, "ambiguous (1000 or 1024?): write 8M or 8MiB"},
    {"1kB", -1, 0, "write 1k or 1KiB"},
    {"8x", -1, 0, "'8x' is not a size (use e.g. 512k, 8MiB, 1G, or bytes)"},
    {"M", -1, 0, "not a size"},
    {"-1", -1, 0, "negative"},
    {"1.5", -1, 0, "whole number of bytes"},
    {"1 k", -1, 0, "not a size"},
    {"1kib", -1, 0, "not a size"},
    {"18446744073709551616", -1, 0, "too large"},
    {"16777216T", -1, 0, "too large"},
    {"0x100", -1, 0, "not a size"},
};

static void test_size_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
        const struct size_case *c = &size_cases[i];
        size_t len = strlen(c->text);
        for (size_t k = 0; k <= len; k++) {
            guard_t g;
            guard_place_str(&g, c->text, k);
            char err[128] = "";
            uint64_t v = 0;
            int rc = parse_size(g.str, &v, err, sizeof(err));
            if (k == len) {
                if (rc != c->rc)
                    fail_msg("'%s': rc %d (%s)", c->text, rc, err);
                if (rc == 0 && v != c->bytes)
                    fail_msg("'%s': %llu", c->text, (unsigned long long)v);
                if (rc != 0 && !strstr(err, c->err))
                    fail_msg("'%s': message '%s' lacks '%s'", c->text, err, c->err);
            }
            guard_free(&g);
        }
    }
}

static void test_u64(void **state)
{
    (void)state;
    uint64_t v;
    char err[128];
    assert_int_equal(parse_u64("42", 0, 100, &v, err, sizeof(err)), 0);
    assert_true(v == 42);
    assert_int_equal(parse_u64("0", 0, 100, &v, err, sizeof(err)), 0);
    assert_true(v == 0);
    assert_int_equal(parse_u64("007", 0, 100, &v, err, sizeof(err)), 0);
    assert_true(v == 7);
    assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too large"));
    assert_int_equal(parse_u64("101", 0, 100, &v, err, sizeof(err)), -1);
    assert_string_equal(err, "'101' is out of range (expected 0..100)");
    assert_int_equal(parse_u64("0", 1, 100, &v, err, sizeof(err)), -1);
    assert_int_equal(parse_u64("", 1, 100, &v, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "empty"));
    const char *bad[] = {"-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "ten", "1_000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse_u64(bad[i], 0, 100, &v, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "is not a whole number (expected 0..100)"));
    }
    guard_t g;
    guard_place_str(&g, "12345", 5);
    assert_int_equal(parse_u64(g.str, 0, UINT64_MAX, &v, err, sizeof(err)), 0);
    assert_true(v == 12345);
    guard_free(&g);
}

static void test_double(void **state)
{
    (void)state;
    double v;
    char err[128];
    struct {
        const char *text;
        double want;
    } good[] = {{"0", 0},      {"1", 1},         {"0.5", 0.5},  {".5", 0.5},       {"5.", 5},
                {"1e3", 1000}, {"2.5E-1", 0.25}, {"1e-400", 0}, {"100000", 100000}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (parse_double(good[i].text, 0, 1e6, &v, err, sizeof(err)) != 0)
            fail_msg("'%s': %s", good[i].text, err);
        assert_true(fabs(v - good[i].want) < 1e-12);
    }
    const char *bad[] = {"",   "-1",  "+1", " 1",    "1 ", "nan", "inf", "infinity", "0x1",
                         "1e", "1e+", ".",  "1.2.3", "e5", "1,5", "NaN", "1e400"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse_double(bad[i], 0, 1e6, &v, err, sizeof(err)) != -1)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(parse_double("abc", 0, 1, &v, err, sizeof(err)), -1);
    assert_string_equal(err, "'abc' is not a number (expected 0..1, e.g. 0.5 or 100)");
    assert_int_equal(parse_double("1.5", 0, 1, &v, err, sizeof(err)), -1);
    assert_string_equal(err, "'1.5' is out of range (expected 0..1)");
    assert_int_equal(parse_double("0.1", 0.5, 1, &v, err, sizeof(err)), -1);
    assert_int_equal(parse_double("1e400", 0, INFINITY, &v, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too large"));
}

/* What people read: the shortest spelling that says the duration. */
static void test_format_duration(void **state)
{
    (void)state;
    char b[32];
    static const struct {
        uint64_t ns;
        const char *text;
    } d[] = {{0, "0"},
             {1500 * MS, "1.5s"},
             {30 * S, "30s"},
             {120 * S, "2m"},
             {90 * S, "90s"},
             {250000, "250us"},
             {1, "1ns"},
             /* a computed duration: 3 significant digits, never raw nanoseconds */
             {6411133603ull, "6.41s"},
             {2797297297ull, "2.8s"},
             {12345678, "12.3ms"},
             {1001, "1us"},
             {999600 * 1000ull, "1s"}, /* 999.6ms rounds up a unit, not to "1e+03ms" */
             {59999 * MS, "60s"},
             {3600 * S, "1h"},
             {5400 * S, "1h30m"},
             {1234567 * MS, "20m35s"}, /* past 1000 s: whole seconds, largest units first */
             {100000 * 3600 * S + 1, "100000h"}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        parse_format_duration(d[i].ns, b, sizeof b);
        assert_string_equal(b, d[i].text);
    }
}

/* Text cut for a message never ends inside a UTF-8 character. */
static void test_utf8_cut(void **state)
{
    (void)state;
    const char *s = "ab\xc3\xa9z\xe2\x82\xac!"; /* a b é z € ! : 9 bytes */
    assert_int_equal(jtok_utf8_cut(s, 9, 40), 9);
    assert_int_equal(jtok_utf8_cut(s, 9, 9), 9);
    assert_int_equal(jtok_utf8_cut(s, 9, 2), 2);
    assert_int_equal(jtok_utf8_cut(s, 9, 3), 2); /* not after the first byte of é */
    assert_int_equal(jtok_utf8_cut(s, 9, 4), 4);
    assert_int_equal(jtok_utf8_cut(s, 9, 6), 5); /* € is bytes 5..7 */
    assert_int_equal(jtok_utf8_cut(s, 9, 7), 5);
    assert_int_equal(jtok_utf8_cut(s, 9, 8), 8);
    assert_int_equal(jtok_utf8_cut(s, 9, 0), 0);
    /* stray continuation bytes are not a character: cut where asked, at most 3 back */
    assert_int_equal(jtok_utf8_cut("\x80\x80\x80\x80\x80\x80", 6, 5), 2);
}

/* Loads read as people write them: 4 significant digits, no exponent. */
static void test_load_is_written_without_exponent(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {{412, "412"},       {81.25, "81.25"},      {0.5, "0.5"},
                 {9999, "9999"},     {76700, "76700"},      {153443.6, "153400"},
                 {99995, "100000"},  {9999.7, "10000"},     {0.00001234, "0.000012"},
                 {1.5e6, "1500000"}, {12345678, "12350000"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        parse_format_number(cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_is_written_without_exponent),
        cmocka_unit_test(test_duration_golden),
        cmocka_unit_test(test_size_golden),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_utf8_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
