/* verify: --verify-tolerance's grammar (what ab accepts and what it refuses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/verify.h"

static void test_tolerance(void **state)
{
    (void)state;
    verify_tolerance_t t;
    char why[256];
    assert_int_equal(verify_parse_tolerance("abs=0.002", &t, why, sizeof why), 0);
    assert_true(t.abs == 0.002 && t.rel == 0);
    assert_int_equal(verify_parse_tolerance("rel=1e-3", &t, why, sizeof why), 0);
    assert_true(t.abs == 0 && t.rel == 1e-3);
    assert_int_equal(verify_parse_tolerance("rel=0.01,abs=0", &t, why, sizeof why), 0);
    assert_true(t.abs == 0 && t.rel == 0.01);
    static const char *const bad[] = {"",        "0.1",         "abs=",        "abs=-1",
                                      "abs=x",   "abs=1,abs=2", "abs=1;rel=2", "tol=1",
                                      "abs=inf", "abs=1,",      "abs=1 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (verify_parse_tolerance(bad[i], &t, why, sizeof why) != -1)
            fail_msg("'%s' accepted", bad[i]);
        assert_true(strlen(why) > 10);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tolerance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
