/* rpath: every path form (KServe stride included), the reasons a check
 * gives, spans as received, compile errors, and the scanner's strictness:
 * every truncation invalid, guard page, agreement with validate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "load/rpath.h"
#include "load/validate.h"
#include "guard.h"

static rpath_t *compile(const char *text)
{
    rpath_t *p = NULL;
    char err[256] = "";
    if (rpath_compile(text, &p, err, sizeof err))
        fail_msg("%s: %s", text, err);
    assert_string_equal(rpath_text(p), text);
    return p;
}

/* The outputs' texts as received, joined by " | ". */
static void outputs_are(const char *path, const char *body, const char *want)
{
    rpath_t *p = compile(path);
    rpath_span_t spans[16];
    rpath_result_t r;
    if (rpath_scan(p, body, strlen(body), spans, 16, &r) != RPATH_OK) {
        char why[256];
        rpath_explain(p, &r, why, sizeof why);
        fail_msg("%s on %s: %s", path, body, why);
    }
    char got[1024] = "";
    size_t k = 0;
    for (size_t i = 0; i < r.count && i < 16; i++)
        k += (size_t)snprintf(got + k, sizeof got - k, "%s%.*s", i ? " | " : "", (int)spans[i].len,
                              body + spans[i].off);
    if (strcmp(got, want) != 0)
        fail_msg("%s on %s\n    found  %s\n    wanted %s", path, body, got, want);
    /* The hot-path check agrees, and counts without spans. */
    assert_int_equal(rpath_check(p, body, strlen(body), r.count, &r), RPATH_OK);
    rpath_free(p);
}

/* rpath_check(items) fails with `status` and the explanation `want`. */
static void check_fails(const char *path, const char *body, size_t items, rpath_status_t status,
                        const char *want)
{
    rpath_t *p = compile(path);
    rpath_result_t r;
    char why[256];
    rpath_status_t got = rpath_check(p, body, strlen(body), items, &r);
    rpath_explain(p, &r, why, sizeof why);
    if (got != status || strcmp(why, want) != 0)
        fail_msg("%s on %s\n    got    %d %s\n    wanted %d %s", path, body, got, why, status,
                 want);
    assert_null(rpath_outputs(p, body, strlen(body), items, &r));
    assert_int_equal(r.status, status);
    rpath_free(p);
}

static void test_plain_array(void **state)
{
    (void)state;
    outputs_are("/outputs", "{\"model\":\"m\",\"outputs\":[\"a\", \"b\" ,{\"c\": [1]}]}",
                "\"a\" | \"b\" | {\"c\": [1]}");
    /* Numbers are as received: nothing is reformatted. */
    outputs_are("/predictions", " {\"predictions\" : [0.76000000000000001, 1e2, -0]} ",
                "0.76000000000000001 | 1e2 | -0");
    outputs_are("/outputs", "{\"outputs\":[]}", "");
    outputs_are("", "[1,[2],{}]", "1 | [2] | {}");
    outputs_are("/a/1/b", "{\"a\":[0,{\"b\":[true,null]}]}", "true | null");
    /* JSON Pointer escapes; escaped keys in the answer. */
    outputs_are("/a~1b/c~0d/~2/x~3y", "{\"a/b\":{\"c~d\":{\"*\":{\"x@y\":[1]}}}}", "1");
    outputs_are("/outputs", "{\"\\u006futputs\":[\"\\u00e9\"]}", "\"\\u00e9\"");
    outputs_are("/é", "{\"\\u00e9\":[1]}", "1");
    outputs_are("/\xf0\x9f\x98\x80", "{\"\\ud83d\\ude00\":[2]}", "2");
    /* Digits name a member of an object. */
    outputs_are("/0", "{\"0\":[3]}", "3");
}

static void test_repeated_names(void **state)
{
    (void)state;
    /* The last of equal names counts, as jansson reads them. */
    outputs_are("/outputs", "{\"outputs\":[1],\"x\":0,\"outputs\":[1,2]}", "1 | 2");
    outputs_are("/outputs", "{\"outputs\":{\"x\":1},\"outputs\":[1]}", "1");
    check_fails("/outputs", "{\"outputs\":[1],\"outputs\":{}}", 1, RPATH_NOT_ARRAY,
                "\"outputs\" is an object, not an array");
    outputs_are("/d/*/e", "{\"d\":[{\"e\":1,\"e\":2},{\"e\":3}]}", "2 | 3");
}

static void test_wildcard(void **state)
{
    (void)state;
    const char *emb = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                      "\"embedding\":[0.1,0.2]},{\"object\":\"embedding\",\"index\":1,"
                      "\"embedding\":[0.3,0.4]}],\"model\":\"m\",\"usage\":{\"prompt_tokens\":2,"
                      "\"total_tokens\":2}}";
    outputs_are("/data/*/embedding", emb, "[0.1,0.2] | [0.3,0.4]");
    outputs_are("/choices/*/message/content",
                "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":"
                "\"stop\"}]}",
                "\"hi\"");
    outputs_are("/*", "[{\"a\":1},2]", "{\"a\":1} | 2");
    outputs_are("/d/*", "{\"d\":[]}", "");
    check_fails("/data/*/embedding", "{\"data\":[{\"embedding\":[1]},{\"embedding\":[2]},{}]}", 3,
                RPATH_MISSING, "\"/data/2\" has no \"embedding\"");
    check_fails("/data/*/embedding", "{\"data\":{\"embedding\":[1]}}", 1, RPATH_NOT_ARRAY,
                "\"data\" is an object, not an array");
    check_fails("/data/*/embedding", "{\"data\":[{\"embedding\":[1]}]}", 2, RPATH_COUNT,
                "1 output for 2 inputs");
}

static void test_kserve_stride(void **state)
{
    (void)state;
    /* Flat, row-major: the shape's first dimension is the batch. */
    const char *flat = "{\"model_name\":\"m\",\"id\":\"7\",\"outputs\":[{\"name\":\"logits\","
                       "\"shape\":[3,2],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6]}]}";
    outputs_are("/outputs/0/data@shape", flat, "1,2 | 3,4 | 5,6");
    /* The shape may come after the data. */
    outputs_are("/outputs/0/data@shape",
                "{\"outputs\":[{\"data\":[1,2,3,4,5,6],\"datatype\":\"FP32\",\"shape\":[2,3]}]}",
                "1,2,3 | 4,5,6");
    /* Nested data: one element per item. */
    outputs_are("/outputs/0/data@shape", "{\"outputs\":[{\"shape\":[2,2],\"data\":[[1,2],[3,4]]}]}",
                "[1,2] | [3,4]");
    /* One value per item. */
    outputs_are(
        "/outputs/0/data@shape",
        "{\"outputs\":[{\"shape\":[3],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\",\"c\"]}]}",
        "\"a\" | \"b\" | \"c\"");
    outputs_are("/outputs/0/data@shape", "{\"outputs\":[{\"shape\":[2,1,2],\"data\":[1, 2 ,3,4]}]}",
                "1, 2 | 3,4");
    outputs_are("/out@2", "{\"out\":[1,2,3,4]}", "1,2 | 3,4");
    outputs_are("/out@1", "{\"out\":[1,2]}", "1 | 2");

    rpath_t *p = compile("/outputs/0/data@shape");
    rpath_result_t r;
    json_t *got = rpath_outputs(p, flat, strlen(flat), 3, &r);
    json_t *want = json_loads("[[1,2],[3,4],[5,6]]", 0, NULL);
    assert_non_null(got);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    /* The spans of a flat tensor need room for every element. */
    rpath_span_t few[3];
    assert_int_equal(rpath_scan(p, flat, strlen(flat), few, 3, &r), RPATH_OK);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.elements, 6);
    assert_int_equal(r.stride, 2);
    assert_int_equal(rpath_check(p, flat, strlen(flat), 2, &r), RPATH_COUNT);
    rpath_free(p);

    check_fails("/outputs/0/data@shape", "{\"outputs\":[{\"shape\":[4,2],\"data\":[1,2,3,4,5,6]}]}",
                4, RPATH_SHAPE, "\"/outputs/0/shape\" does not fit the data (6 data elements)");
    check_fails("/outputs/0/data@shape", "{\"outputs\":[{\"data\":[1,2]}]}", 2, RPATH_SHAPE,
                "\"/outputs/0/shape\" is missing (2 data elements)");
    check_fails("/outputs/0/data@shape", "{\"outputs\":[{\"shape\":\"2\",\"data\":[1,2]}]}", 2,
                RPATH_SHAPE, "\"/outputs/0/shape\" is not a list of dimensions (2 data elements)");
    check_fails("/outputs/0/data@shape", "{\"outputs\":[{\"shape\":[2.0],\"data\":[1,2]}]}", 2,
                RPATH_SHAPE, "\"/outputs/0/shape\" is not a list of dimensions (2 data elements)");
    check_fails("/outputs/0/data@shape", "{\"outputs\":[{\"shape\":[-1],\"data\":[1,2]}]}", 2,
                RPATH_SHAPE, "\"/outputs/0/shape\" is not a list of dimensions (2 data elements)");
    check_fails("/outputs/0/data@shape", "{\"outputs\":[]}", 1, RPATH_MISSING,
                "\"outputs\" has no element 0");
    check_fails("/outputs/0/data@shape", "{\"outputs\":[{\"shape\":[1]}]}", 1, RPATH_MISSING,
                "\"/outputs/0\" has no \"data\" array");
    check_fails("/data@shape", "{\"shape\":[1],\"data\":[[1,2]]}", 2, RPATH_COUNT,
                "1 output for 2 inputs");
    check_fails("/out@3", "{\"out\":[1,2,3,4]}", 1, RPATH_STRIDE,
                "\"out\" has 4 elements, not a multiple of 3");
}

static void test_single(void **state)
{
    (void)state;
    outputs_are("=/generated_text", "{\"generated_text\":\"hello\"}", "\"hello\"");
    outputs_are("=/embedding", "{\"embedding\":[1,2,3]}", "[1,2,3]");
    outputs_are("=", "{\"label\":\"POS\",\"score\":0.9}", "{\"label\":\"POS\",\"score\":0.9}");
    check_fails("=/generated_text", "{\"error\":\"overloaded\"}", 1, RPATH_MISSING,
                "no \"generated_text\"");
    check_fails("=/generated_text", "{\"generated_text\":\"a\"}", 2, RPATH_COUNT,
                "1 output for 2 inputs");
}

static void test_reasons(void **state)
{
    (void)state;
    check_fails("/outputs", "{\"detail\":\"Not Found\"}", 1, RPATH_MISSING, "no \"outputs\" array");
    check_fails("/outputs", "{\"outputs\":[1,2,3]}", 5, RPATH_COUNT, "3 outputs for 5 inputs");
    check_fails("/outputs", "{\"outputs\":\"x\"}", 1, RPATH_NOT_ARRAY,
                "\"outputs\" is a string, not an array");
    check_fails("/outputs", "{\"outputs\":null}", 1, RPATH_NOT_ARRAY,
                "\"outputs\" is null, not an array");
    check_fails("/outputs", "[1]", 1, RPATH_MISSING,
                "the answer is an array, so it has no \"outputs\"");
    check_fails("/a/b", "{\"a\":5}", 1, RPATH_MISSING, "\"a\" is a number, so it has no \"b\"");
    check_fails("/a/b/c", "{\"a\":{\"b\":true}}", 1, RPATH_MISSING,
                "\"/a/b\" is a boolean, so it has no \"c\"");
    check_fails("", "{}", 1, RPATH_NOT_ARRAY, "the answer is an object, not an array");
    check_fails("/outputs", "", 1, RPATH_NOT_JSON, "the answer is not JSON (byte 0)");
    check_fails("/outputs", "{\"outputs\":[1,2]} x", 2, RPATH_NOT_JSON,
                "the answer is not JSON (byte 18)");
    check_fails("/outputs", "{\"outputs\":[1,2,]}", 2, RPATH_NOT_JSON,
                "the answer is not JSON (byte 16)");
    /* Not JSON wins over a path error found earlier. */
    check_fails("/outputs", "{\"x\":1,\"y\":[}", 1, RPATH_NOT_JSON,
                "the answer is not JSON (byte 12)");
    check_fails("/outputs", "{\"outputs\":[\"\xc3\"]}", 1, RPATH_NOT_JSON,
                "the answer is not JSON (byte 13)");
    check_fails("/outputs", "{\"outputs\":[\"\\u0000\"]}", 1, RPATH_NOT_JSON,
                "the answer is not JSON (byte 13)");
    check_fails("/outputs", "{\"outputs\":[01]}", 1, RPATH_NOT_JSON,
                "the answer is not JSON (byte 13)");
    char deep[200];
    int n = snprintf(deep, sizeof deep, "{\"outputs\":[");
    for (int i = 0; i < 70; i++)
        deep[n++] = '[';
    for (int i = 0; i < 70; i++)
        deep[n++] = ']';
    snprintf(deep + n, sizeof deep - (size_t)n, "]}");
    rpath_t *p = compile("/outputs");
    rpath_result_t r;
    assert_int_equal(rpath_check(p, deep, strlen(deep), 1, &r), RPATH_NOT_JSON);
    /* jansson refusing an output (past int64) is not JSON to verification. */
    const char *big = "{\"outputs\":[99999999999999999999]}";
    assert_int_equal(rpath_check(p, big, strlen(big), 1, &r), RPATH_OK);
    assert_null(rpath_outputs(p, big, strlen(big), 1, &r));
    assert_int_equal(r.status, RPATH_NOT_JSON);
    assert_int_equal(r.at, 12);
    rpath_free(p);
}

static void compile_fails(const char *text, const char *want)
{
    rpath_t *p = NULL;
    char err[256] = "";
    assert_int_equal(rpath_compile(text, &p, err, sizeof err), EINVAL);
    assert_null(p);
    if (!strstr(err, want))
        fail_msg("%s: %s\n    wanted %s", text, err, want);
}

static void test_compile_errors(void **state)
{
    (void)state;
    compile_fails("outputs", "a path starts with '/'");
    compile_fails("/a/*/b/*", "only one '*'");
    compile_fails("/a/*@2", "'@' cannot be used with '*'");
    compile_fails("=/a@2", "'@' cannot be used with '='");
    compile_fails("=/a/*", "'=' cannot be used with '*'");
    compile_fails("/a~4", "'~' must be followed by 0, 1, 2 or 3");
    compile_fails("/a~", "'~' must be followed by");
    compile_fails("/a@", "'@' must be followed by a stride");
    compile_fails("/a@0", "'@' must be followed by a stride");
    compile_fails("@shape", "@shape needs the path of the data array");
    rpath_t *p = compile("=/generated_text");
    assert_true(rpath_single(p));
    rpath_free(p);
    p = compile("/outputs");
    assert_false(rpath_single(p));
    rpath_free(p);
}

static void test_outputs_json(void **state)
{
    (void)state;
    rpath_t *p = compile("/data/*/embedding");
    const char *body = "{\"data\":[{\"embedding\":[1,2.5]},{\"embedding\":\"x\"}]}";
    rpath_result_t r;
    json_t *got = rpath_outputs(p, body, strlen(body), 2, &r);
    json_t *want = json_loads("[[1,2.5],\"x\"]", 0, NULL);
    assert_non_null(got);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    rpath_free(p);
}

/* Every truncation of valid answers is not JSON (never a crash or a count);
 * each is scanned right before an unmapped page. */
static void test_truncations_before_guard_page(void **state)
{
    (void)state;
    const char *paths[] = {"/outputs", "/data/*/embedding", "/outputs/0/data@shape", "=/t"};
    const char *bodies[] = {
        "{\"model\":\"m\",\"outputs\":[\"o-1\",{\"k\":[1,2.5e-3,null]},false,\"\\u00e9\\n\"]}",
        "{\"data\":[{\"embedding\":[0.1,-2]},{\"embedding\":[3,4]}],\"usage\":{\"a\":1}}",
        "{\"outputs\":[{\"name\":\"x\",\"shape\":[2,2],\"data\":[1,2,3,4]}]}",
        "{\"t\":\"\\ud83d\\ude00 true\"}",
    };
    for (size_t k = 0; k < 4; k++) {
        rpath_t *p = compile(paths[k]);
        size_t n = strlen(bodies[k]);
        rpath_result_t r;
        rpath_span_t spans[8];
        for (size_t i = 0; i <= n; i++) {
            guard_t g;
            guard_place(&g, bodies[k], i);
            rpath_status_t st = rpath_scan(p, g.data, i, spans, 8, &r);
            if (i < n)
                assert_int_equal(st, RPATH_NOT_JSON);
            else
                assert_int_equal(st, RPATH_OK);
            guard_free(&g);
        }
        rpath_free(p);
    }
}

/* /outputs counts exactly what validate_outputs_count counts. */
static void test_agrees_with_validate(void **state)
{
    (void)state;
    const char *bodies[] = {
        "{\"model\":\"m\",\"outputs\":[\"a\",\"b\",\"c\"]}",
        " {\"outputs\" : [] } \n",
        "{\"outputs\":[{\"x\":[1,2,{\"outputs\":[1]}]},[],null,true,-1.5e3]}",
        "{\"a\":{\"outputs\":[1,2]},\"outputs\":[\"\\\"]\\u00e9\"]}",
        "",
        "[1,2]",
        "{\"outputs\":\"x\"}",
        "{\"other\":[1]}",
        "{\"outputs\":[1,2]",
        "{\"outputs\":[1,2,]}",
        "{\"outputs\":[01]}",
        "{\"outputs\":[1]} x",
        "{\"outputs\":[\"\\q\"]}",
        "{\"outputs\":[tru]}",
        "{\"outputs\":[1],\"outputs\":[2,3]}",
        "{}",
        "\"outputs\"",
    };
    rpath_t *p = compile("/outputs");
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        rpath_result_t r;
        long want = validate_outputs_count(bodies[i], strlen(bodies[i]));
        long got = rpath_scan(p, bodies[i], strlen(bodies[i]), NULL, 0, &r) == RPATH_OK
                       ? (long)r.count
                       : -1;
        if (got != want)
            fail_msg("%s: rpath %ld, validate %ld", bodies[i], got, want);
    }
    rpath_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_array),
        cmocka_unit_test(test_repeated_names),
        cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_kserve_stride),
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_outputs_json),
        cmocka_unit_test(test_truncations_before_guard_page),
        cmocka_unit_test(test_agrees_with_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
