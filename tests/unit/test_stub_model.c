/* Unit tests for the stub's pure parts: outputs (infer) and latency model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "stub/infer.h"
#include "stub/model.h"

static char *answer(const char *body, bool shuffle, int *status, size_t *items)
{
    sbuf_t out = {0};
    *status = infer_answer(body, strlen(body), shuffle, &out, items);
    sbuf_append(&out, "", 1);
    return out.data;
}

static void test_outputs_are_per_input(void **state)
{
    (void)state;
    int st;
    size_t n;
    char *one = answer("{\"model\":\"m\",\"inputs\":[{\"b\":2,\"a\":1}]}", false, &st, &n);
    assert_int_equal(st, 200);
    assert_int_equal(n, 1);
    char *two = answer("{\"inputs\":[\"x\",{\"a\":1,\"b\":2}],\"model\":\"m\"}", false, &st, &n);
    assert_int_equal(st, 200);
    assert_int_equal(n, 2);
    /* The output of {"a":1,"b":2} is the same alone and second in a batch. */
    const char *o1 = strstr(one, "[{") + 1;
    const char *o2 = strstr(two, "},{") + 2;
    assert_memory_equal(o1, o2, strlen(o1) - 2);
    free(one);
    free(two);
}

static void test_shuffle_reverses(void **state)
{
    (void)state;
    int st;
    size_t n;
    char *plain = answer("{\"model\":\"m\",\"inputs\":[1,2]}", false, &st, &n);
    char *shuf = answer("{\"model\":\"m\",\"inputs\":[1,2]}", true, &st, &n);
    assert_string_not_equal(plain, shuf);
    char *single = answer("{\"model\":\"m\",\"inputs\":[1]}", true, &st, &n);
    char *single2 = answer("{\"model\":\"m\",\"inputs\":[1]}", false, &st, &n);
    assert_string_equal(single, single2);
    free(plain);
    free(shuf);
    free(single);
    free(single2);
}

static void test_bad_bodies(void **state)
{
    (void)state;
    const char *bad[] = {"{", "[]", "{\"model\":\"m\"}", "{\"inputs\":3}", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st;
        size_t n;
        char *b = answer(bad[i], false, &st, &n);
        assert_int_equal(st, 400);
        assert_non_null(strstr(b, "{\"error\":"));
        free(b);
    }
}

static void test_service_time_and_stalls(void **state)
{
    (void)state;
    stub_config_t cfg;
    stub_config_defaults(&cfg);
    model_rng_t rng;
    model_rng_seed(&rng, 7);
    cfg.delay_ns = 100;
    cfg.per_item_ns = 10;
    assert_int_equal(model_service_ns(&cfg, &rng, 5), 150);
    cfg.jitter = STUB_JITTER_UNIFORM;
    cfg.jitter_scale_ns = 1000;
    for (int i = 0; i < 1000; i++) {
        uint64_t s = model_service_ns(&cfg, &rng, 0);
        assert_true(s >= 100 && s < 1100);
    }
    cfg.error_rate = 0;
    assert_false(model_inject_error(&cfg, &rng));
    cfg.error_rate = 1;
    assert_true(model_inject_error(&cfg, &rng));
    /* Stalls: every 1000 for 300, from origin 5000. */
    cfg.stall_every_ns = 1000;
    cfg.stall_for_ns = 300;
    assert_int_equal(model_release_ns(&cfg, 5000, 5500), 5500); /* before the first */
    assert_int_equal(model_release_ns(&cfg, 5000, 6000), 6300);
    assert_int_equal(model_release_ns(&cfg, 5000, 6299), 6300);
    assert_int_equal(model_release_ns(&cfg, 5000, 6300), 6300);
    assert_int_equal(model_release_ns(&cfg, 5000, 6700), 6700);
    assert_int_equal(model_release_ns(&cfg, 5000, 9100), 9300);
}

static void test_rng_is_seeded(void **state)
{
    (void)state;
    model_rng_t a, b;
    model_rng_seed(&a, 42);
    model_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_int_equal(model_rng_next(&a), model_rng_next(&b));
    for (int i = 0; i < 1000; i++) {
        double u = model_rng_unit(&a);
        assert_true(u >= 0 && u < 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs_are_per_input),
        cmocka_unit_test(test_shuffle_reverses),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_service_time_and_stalls),
        cmocka_unit_test(test_rng_is_seeded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
