/* walltime: the instants --start-at accepts, to the nanosecond, and the ones
 * it refuses with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/walltime.h"

#define S 1000000000ull
/* 2026-01-01T00:00:00Z */
#define NEWYEAR 1767225600ull

static void ok(const char *text, uint64_t want)
{
    uint64_t ns = 0;
    char why[200] = "";
    if (walltime_parse(text, &ns, why, sizeof why) != 0)
        fail_msg("%s: %s", text, why);
    if (ns != want)
        fail_msg("%s: %llu, want %llu", text, (unsigned long long)ns, (unsigned long long)want);
}

static void bad(const char *text, const char *reason)
{
    uint64_t ns = 0;
    char why[200] = "";
    assert_int_equal(walltime_parse(text, &ns, why, sizeof why), -1);
    if (!strstr(why, reason))
        fail_msg("%s: '%s' does not say '%s'", text, why, reason);
}

static void test_epoch_seconds(void **state)
{
    (void)state;
    ok("1767225600", NEWYEAR * S);
    ok("1767225600.25", NEWYEAR * S + 250000000);
    ok("1767225600.123456789", NEWYEAR * S + 123456789);
    ok("1767225600.1234567899", NEWYEAR * S + 123456789); /* past ns: dropped */
    ok("0", 0);
    bad("1767225600.", "not a time");
    bad("1767225600x", "not a time");
    bad("99999999999999999999", "too far");
    bad("10000000000", "too far");
    ok("9999999999.999999999", 9999999999999999999ull);
}

static void test_iso8601(void **state)
{
    (void)state;
    ok("2026-01-01T00:00:00Z", NEWYEAR * S);
    ok("2026-01-01t00:00:00z", NEWYEAR * S);
    ok("2026-01-01 00:00:00.5Z", NEWYEAR * S + 500000000);
    ok("2026-01-01T01:00:00+01:00", NEWYEAR * S);
    ok("2025-12-31T19:00:00.000000001-0500", NEWYEAR * S + 1);
    ok("2024-02-29T12:00:00Z", 1709208000ull * S);
    bad("2026-01-01T00:00:00", "no zone");
    bad("2026-01-01T00:00:00+1", "+HH:MM");
    bad("2026-02-29T00:00:00Z", "no such date");
    bad("2026-01-01T24:00:00Z", "no such date");
    bad("2026-01-01T23:59:60Z", "no such date");
    bad("1969-12-31T23:59:59Z", "no such date");
    bad("2026-01-01", "not a time");
    bad("now+2s", "not a time");
    bad("2026-01-01T00:00:00Z trailing", "unexpected");
    bad("6036-01-01 01:00:04+0100", "too far"); /* ns since 1970 would overflow */
}

static void test_format(void **state)
{
    (void)state;
    char buf[40];
    walltime_format(NEWYEAR * S + 250999999, buf, sizeof buf);
    assert_string_equal(buf, "2026-01-01T00:00:00.250Z");
}

static void test_synced_answers(void **state)
{
    (void)state;
    int s = walltime_synced();
    assert_true(s == -1 || s == 0 || s == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoch_seconds),
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_synced_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
