/* validate (outputs counting JSON scanner). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "load/inputs.h"
#include "load/validate.h"

static long count(const char *s)
{
    return validate_outputs_count(s, strlen(s));
}

static void test_outputs_counted(void **state)
{
    (void)state;
    assert_int_equal(count("{\"model\":\"m\",\"outputs\":[\"a\",\"b\",\"c\"]}"), 3);
    assert_int_equal(count(" {\"outputs\" : [] } \n"), 0);
    assert_int_equal(count("{\"outputs\":[{\"x\":[1,2,{\"outputs\":[1]}]},[],null,true,-1.5e3]}"),
                     5);
    assert_int_equal(count("{\"a\":{\"outputs\":[1,2]},\"outputs\":[\"\\\"]\\u00e9\"]}"), 1);
    /* a key is compared once its escapes are decoded, as any JSON reader does */
    assert_int_equal(count("{\"\\u006futputs\":[1,2]}"), 2);
    assert_int_equal(count("{\"outp\\u0075ts\":[1,2,3]}"), 3);
    assert_int_equal(count("{\"outputs\\u0000\":[1],\"output\":[1]}"), -1);
    assert_int_equal(count("{\"outputs\\/\":[1]}"), -1);
}

static void test_outputs_rejected(void **state)
{
    (void)state;
    assert_int_equal(count(""), -1);
    assert_int_equal(count("[1,2]"), -1);
    assert_int_equal(count("{\"outputs\":\"x\"}"), -1);
    assert_int_equal(count("{\"other\":[1]}"), -1);
    assert_int_equal(count("{\"outputs\":[1,2]"), -1);
    assert_int_equal(count("{\"outputs\":[1,2,]}"), -1);
    assert_int_equal(count("{\"outputs\":[01]}"), -1);
    assert_int_equal(count("{\"outputs\":[1]} x"), -1);
    assert_int_equal(count("{\"outputs\":[\"\\q\"]}"), -1);
    assert_int_equal(count("{\"outputs\":[tru]}"), -1);
    char deep[300];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 99);
    deep[299] = 0;
    char body[400];
    snprintf(body, sizeof(body), "{\"outputs\":[%s]}", deep);
    assert_int_equal(count(body), -1);
}

static void test_outputs_matches_jansson_on_prefixes(void **state)
{
    (void)state;
    /* Every truncation of a valid body is invalid, never a crash or a count. */
    const char *s = "{\"model\":\"m\",\"outputs\":[\"o-1\",{\"k\":[1,2.5,null]},false]}";
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        char *copy = malloc(i ? i : 1);
        memcpy(copy, s, i);
        assert_int_equal(validate_outputs_count(copy, i), -1);
        free(copy);
    }
    assert_int_equal(validate_outputs_count(s, n), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs_counted),
        cmocka_unit_test(test_outputs_rejected),
        cmocka_unit_test(test_outputs_matches_jansson_on_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
