/* Tests for stub/infer: each output's score is printf's "%.4f" of its hash
 * (infer formats it with integers), labels follow the score, answers are the
 * same alone and batched, the TEST-ONLY shuffle reverses, the model is echoed
 * without whitespace, and bad bodies are 400 with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub/infer.h"

static json_t *answer(const char *body, bool shuffle, int want_status)
{
    sbuf_t out = {0};
    size_t items;
    int status = infer_answer(body, strlen(body), shuffle, &out, &items);
    assert_int_equal(status, want_status);
    json_error_t e;
    json_t *j = json_loadb(out.data, out.len, 0, &e);
    assert_non_null(j);
    sbuf_free(&out);
    return j;
}

static void test_score_is_printf_of_hash(void **state)
{
    (void)state;
    enum { N = 20000 };
    sbuf_t body = {0};
    assert_int_equal(sbuf_puts(&body, "{\"model\":\"m\",\"inputs\":["), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(sbuf_printf(&body, "%s\"i%d\"", i ? "," : "", i), 0);
    assert_int_equal(sbuf_append(&body, "]}", 3), 0); /* with the NUL */
    json_t *j = answer(body.data, false, 200);
    json_t *outs = json_object_get(j, "outputs");
    assert_int_equal(json_array_size(outs), N);
    int positive = 0;
    for (size_t i = 0; i < N; i++) {
        json_t *o = json_array_get(outs, i);
        unsigned long long h =
            strtoull(json_string_value(json_object_get(o, "input_hash")), NULL, 16);
        /* The documented mapping: a murmur3-style finalizer, then 53 bits. */
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
        double score = (double)(h >> 11) / 9007199254740992.0;
        positive += score >= 0.5;
        char want[16];
        snprintf(want, sizeof want, "%.4f", score);
        char got[16];
        snprintf(got, sizeof got, "%.4f", json_real_value(json_object_get(o, "score")));
        assert_string_equal(got, want);
        assert_string_equal(json_string_value(json_object_get(o, "label")),
                            score >= 0.5 ? "positive" : "negative");
    }
    /* Inputs one character apart ("i1", "i2") still get labels like a coin's. */
    assert_in_range(positive, N * 45 / 100, N * 55 / 100);
    json_decref(j);
    sbuf_free(&body);
}

static void test_batch_alone_shuffle_model(void **state)
{
    (void)state;
    json_t *batch = answer("{\"inputs\":[\"a\",{\"x\":1,\"y\":[2]},3],\"model\" : [ 1 , \"a b\" ]}",
                           false, 200);
    json_t *alone = answer("{\"inputs\":[{ \"y\" : [2], \"x\" : 1 }],\"model\":null}", false, 200);
    json_t *shuffled = answer("{\"inputs\":[\"a\",{\"x\":1,\"y\":[2]},3]}", true, 200);
    json_t *outs = json_object_get(batch, "outputs"), *rev = json_object_get(shuffled, "outputs");
    assert_true(
        json_equal(json_array_get(outs, 1), json_array_get(json_object_get(alone, "outputs"), 0)));
    for (size_t i = 0; i < 3; i++)
        assert_true(json_equal(json_array_get(outs, i), json_array_get(rev, 2 - i)));
    char *model = json_dumps(json_object_get(batch, "model"), JSON_COMPACT);
    assert_string_equal(model, "[1,\"a b\"]");
    free(model);
    assert_true(json_is_null(json_object_get(shuffled, "model")));
    json_decref(batch);
    json_decref(alone);
    json_decref(shuffled);
}

static void test_bad_bodies_are_400(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "{not json",
                                      "{\"model\":\"m\"}",
                                      "[1]",
                                      "{\"inputs\":{\"a\":1}}",
                                      "{\"inputs\":[1]} x",
                                      "{\"inputs\":[1e999]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *j = answer(bad[i], false, 400);
        assert_non_null(json_string_value(json_object_get(j, "error")));
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_is_printf_of_hash),
        cmocka_unit_test(test_batch_alone_shuffle_model),
        cmocka_unit_test(test_bad_bodies_are_400),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
