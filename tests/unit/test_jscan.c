/* Tests for stub/jscan: golden valid and invalid documents, each checked
 * against jansson (the parser it replaced must agree on accept/reject), fed
 * whole and as every strict prefix right before a PROT_NONE guard page; the
 * depth and number limits at their edges; member spans; the canonical hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stub/jscan.h"

static ssize_t doc(const char *s, size_t len)
{
    guard_t g;
    guard_place(&g, s, len);
    jscan_error_t err = {0};
    ssize_t r = jscan_document(g.data, len, NULL, NULL, 0, &err);
    if (r < 0) {
        assert_non_null(err.what);
        assert_true(err.offset <= len);
    }
    guard_free(&g);
    return r;
}

static bool jansson_accepts(const char *s, size_t len)
{
    json_error_t e;
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY, &e);
    json_decref(j);
    return j != NULL;
}

/* ---- golden documents ---- */

static const char *const valid[] = {
    "{}",
    "[]",
    " \t\r\n{ } \n",
    "{\"model\":\"m\",\"inputs\":[\"hello\"]}",
    "[1,-1,0,-0,0.5,-0.5e-3,1E+2,1e2,123456789,9223372036854775807,-9223372036854775808]",
    "[true,false,null,\"\",\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"]",
    "[\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"]",
    "[\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf\"]",
    "{\"a\":{\"b\":[{\"c\":[]}]},\"a\":1}",
    "[1.7976931348623157e308,1.7976931348623158e308,-1.7976931348623157e308]",
    "[179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977"
    "587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845"
    "817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559"
    "699508093042880177904174497791.999]",
    "[0e999999999999999999999,1e-999999999,0.0000000000000001e300,0.1e309]",
    "\"a bare string\"",
    "42",
};

static const char *const invalid[] = {
    "",
    "   ",
    "{",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\":1,}",
    "[1,]",
    "[,1]",
    "{1:2}",
    "{'a':1}",
    "[1 2]",
    "[01]",
    "[-]",
    "[1.]",
    "[.5]",
    "[1e]",
    "[+1]",
    "[NaN]",
    "[tru]",
    "[truex]",
    "[nul]",
    "[\"\\x\"]",
    "[\"\\u12G4\"]",
    "[\"\\u0000\"]",
    "{\"\\u0000\":1}",
    "[\"\\ud800\"]",
    "[\"\\ud800x\"]",
    "[\"\\ud800\\u0041\"]",
    "[\"\\udc00\"]",
    "[\"a\nb\"]",
    "[\"a\tb\"]",
    "[\"\x80\"]",
    "[\"\xc0\xaf\"]",
    "[\"\xe0\x80\xaf\"]",
    "[\"\xed\xa0\x80\"]",
    "[\"\xf4\x90\x80\x80\"]",
    "[\"\xf5\x80\x80\x80\"]",
    "[\"\xc3\"]",
    "[9223372036854775808]",
    "[-9223372036854775809]",
    "[12345678901234567890]",
    "[1e309]",
    "[-1e309]",
    "[1.797693134862315808e308]",
    "[179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977"
    "587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845"
    "817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559"
    "699508093042880177904174497792.0]",
    "{} {}",
    "[] x",
    "{}\x00",
    "\xef\xbb\xbf{}",
};

static void test_golden_valid_and_invalid_agree_with_jansson(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        size_t len = strlen(valid[i]);
        assert_int_equal(doc(valid[i], len), (ssize_t)len);
        assert_true(jansson_accepts(valid[i], len));
    }
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        size_t len = strlen(invalid[i]) + (strcmp(invalid[i], "{}") == 0); /* "{}\0" */
        ssize_t r = doc(invalid[i], len);
        if (r >= 0)
            fail_msg("accepted invalid[%zu]: %s", i, invalid[i]);
        assert_false(jansson_accepts(invalid[i], len));
    }
}

/* Every strict prefix of a document whose root is an object or an array
 * could still become valid: INCOMPLETE, never INVALID, never a read past
 * its end (the guard page). */
static void test_every_prefix_is_incomplete(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        const char *s = valid[i];
        size_t len = strlen(s);
        size_t ws = jscan_skip_ws(s, len);
        if (s[ws] != '{' && s[ws] != '[')
            continue;
        size_t end = len;
        while (end > 0 && strchr(" \t\r\n", s[end - 1]))
            end--;
        for (size_t k = 0; k < end; k++) {
            ssize_t r = doc(s, k);
            if (r != JSCAN_INCOMPLETE)
                fail_msg("valid[%zu] cut at %zu: %zd", i, k, r);
        }
    }
}

/* ---- limits ---- */

static char *nested(size_t depth, const char *open, const char *inner, const char *close)
{
    size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + li + 1), *o = s;
    for (size_t i = 0; i < depth; i++, o += lo)
        memcpy(o, open, lo);
    memcpy(o, inner, li);
    o += li;
    for (size_t i = 0; i < depth; i++, o += lc)
        memcpy(o, close, lc);
    *o = '\0';
    return s;
}

static void expect_depth(size_t depth, const char *open, const char *inner, const char *close,
                         bool ok)
{
    char *s = nested(depth, open, inner, close);
    size_t len = strlen(s);
    ssize_t r = doc(s, len);
    if ((r == (ssize_t)len) != ok)
        fail_msg("depth %zu of %s%s%s: %zd", depth, open, inner, close, r);
    assert_true(jansson_accepts(s, len) == ok);
    free(s);
}

static void test_depth_limit(void **state)
{
    (void)state;
    /* Every value counts, scalars too: the root is depth 1. */
    expect_depth(JSCAN_MAX_DEPTH, "[", "", "]", true);
    expect_depth(JSCAN_MAX_DEPTH + 1, "[", "", "]", false);
    expect_depth(JSCAN_MAX_DEPTH - 1, "[", "1", "]", true);
    expect_depth(JSCAN_MAX_DEPTH, "[", "1", "]", false);
    expect_depth(JSCAN_MAX_DEPTH - 1, "{\"a\":", "1", "}", true);
    expect_depth(JSCAN_MAX_DEPTH, "{\"a\":", "1", "}", false);
    expect_depth(100000, "[", "", "]", false);
    expect_depth(100000, "{\"a\":", "1", "}", false);
    char *open = nested(100000, "[", "", "");
    assert_int_equal(doc(open, strlen(open)), JSCAN_INVALID); /* past the limit before the end */
    free(open);
}

/* ---- member spans ---- */

static void test_member_spans(void **state)
{
    (void)state;
    static const char *const keys[] = {"model", "inputs"};
    jscan_span_t sp[2];
    const char *s = "{ \"model\" : [1, {\"inputs\":0}] , \"x\":{\"model\":2},"
                    "\"inputs\":[1],\"\\u0069nputs\" :\t[\"a\", 2] }";
    assert_int_equal(jscan_document(s, strlen(s), keys, sp, 2, NULL), (ssize_t)strlen(s));
    assert_int_equal(sp[0].len, strlen("[1, {\"inputs\":0}]"));
    assert_memory_equal(s + sp[0].off, "[1, {\"inputs\":0}]", sp[0].len);
    /* The last of two "inputs" wins, as in jansson; its key was escaped. */
    assert_memory_equal(s + sp[1].off, "[\"a\", 2]", sp[1].len);

    s = "{\"inputs\":\"x\"}";
    assert_true(jscan_document(s, strlen(s), keys, sp, 2, NULL) > 0);
    assert_int_equal(sp[0].len, 0);
    assert_memory_equal(s + sp[1].off, "\"x\"", 3);

    s = "[{\"model\":1}]"; /* not a root object: nothing found */
    assert_true(jscan_document(s, strlen(s), keys, sp, 2, NULL) > 0);
    assert_int_equal(sp[0].len, 0);
    assert_int_equal(sp[1].len, 0);
}

/* ---- canonical hash ---- */

static uint64_t hash_of(const char *s)
{
    uint64_t h = 0;
    assert_int_equal(jscan_value(s, strlen(s), &h, NULL), (ssize_t)strlen(s));
    return h;
}

static void test_hash_canonical(void **state)
{
    (void)state;
    /* The same value written differently. */
    assert_true(hash_of("{\"a\":1,\"b\":[2,3]}") == hash_of(" { \"b\" : [ 2 , 3 ] , \"a\" : 1 }"));
    assert_true(hash_of("\"A\\u00e9/\"") == hash_of("\"\\u0041\xc3\xa9\\/\""));
    assert_true(hash_of("{\"k\":{\"y\":1,\"x\":2}}") == hash_of("{\"k\":{\"x\":2,\"y\":1}}"));
    /* Different values. */
    static const char *const distinct[] = {
        "\"hello\"",
        "\"hello \"",
        "[\"a\",\"b\"]",
        "[\"a\\\",\\\"b\"]",
        "[\"ab\"]",
        "{}",
        "[]",
        "[[]]",
        "{\"a\":{}}",
        "{\"a\":1}",
        "{\"a\":2}",
        "{\"b\":1}",
        "{\"a\":1,\"b\":2}",
        "{\"a\":2,\"b\":1}",
        "[1,2]",
        "[2,1]",
        "1",
        "1.0",
        "\"1\"",
        "null",
        "true",
        "false",
        "[{\"a\":1},{\"b\":2}]",
        "[{\"a\":1,\"b\":2}]",
        "{\"a\":[1,2]}",
        "{\"a\":[2,1]}",
    };
    size_t n = sizeof distinct / sizeof *distinct;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (hash_of(distinct[i]) == hash_of(distinct[j]))
                fail_msg("same hash: %s and %s", distinct[i], distinct[j]);
}

/* An element hashes the same inside any array as alone. */
static void test_elements_hash_as_alone(void **state)
{
    (void)state;
    static const char *const elems[] = {"\"x\"", "{\"b\":[1,{\"c\":null}],\"a\":\"\\n\"}", "-1.5e3",
                                        "[[],{}]", "true"};
    char arr[256] = "[ ";
    for (size_t i = 0; i < 5; i++) {
        strcat(arr, elems[i]);
        strcat(arr, i < 4 ? " ,\n" : " ]");
    }
    size_t len = strlen(arr), pos = 0;
    assert_int_equal(jscan_document(arr, len, NULL, NULL, 0, NULL), (ssize_t)len);
    uint64_t h;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(jscan_next_element(arr, len, &pos, &h), 1);
        assert_true(h == hash_of(elems[i]));
    }
    assert_int_equal(jscan_next_element(arr, len, &pos, &h), 0);
    pos = 0;
    assert_int_equal(jscan_next_element("[ ]", 3, &pos, &h), 0);
    pos = 0;
    assert_int_equal(jscan_next_element("{}", 2, &pos, &h), JSCAN_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_valid_and_invalid_agree_with_jansson),
        cmocka_unit_test(test_every_prefix_is_incomplete),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_member_spans),
        cmocka_unit_test(test_hash_canonical),
        cmocka_unit_test(test_elements_hash_as_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
