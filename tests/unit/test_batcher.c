/* batcher: release when full or when the oldest item has lingered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "load/batcher.h"

#define MS 1000000ull

static void test_init_rejects_zero(void **state)
{
    (void)state;
    batcher_t b;
    assert_int_equal(batcher_init(&b, 0, 0), EINVAL);
    batcher_close(&b);
}

static void test_release_when_full(void **state)
{
    (void)state;
    batcher_t b;
    uint64_t out[4], first = 99;
    assert_int_equal(batcher_init(&b, 4, 50 * MS), 0);
    assert_int_equal(batcher_deadline(&b), BATCHER_NEVER);
    assert_false(batcher_add(&b, 10, 100 * MS));
    assert_false(batcher_add(&b, 11, 101 * MS));
    assert_false(batcher_add(&b, 12, 102 * MS));
    assert_int_equal(batcher_deadline(&b), 150 * MS);
    assert_true(batcher_add(&b, 13, 103 * MS));
    assert_true(batcher_full(&b));
    assert_int_equal(batcher_take(&b, &first, out), 4);
    assert_int_equal(first, 10);
    assert_int_equal(out[0], 100 * MS);
    assert_int_equal(out[3], 103 * MS);
    assert_int_equal(batcher_size(&b), 0);
    assert_int_equal(batcher_deadline(&b), BATCHER_NEVER);
    assert_int_equal(batcher_take(&b, &first, out), 0);
    batcher_close(&b);
}

static void test_linger_deadline_is_oldest_plus_linger(void **state)
{
    (void)state;
    batcher_t b;
    uint64_t out[10], first;
    assert_int_equal(batcher_init(&b, 10, 50 * MS), 0);
    batcher_add(&b, 0, 1000 * MS);
    batcher_add(&b, 1, 1030 * MS);
    /* The second item does not move the deadline: the oldest decides. */
    assert_int_equal(batcher_deadline(&b), 1050 * MS);
    assert_int_equal(batcher_take(&b, &first, out), 2);
    assert_int_equal(first, 0);
    batcher_add(&b, 2, 2000 * MS);
    assert_int_equal(batcher_deadline(&b), 2050 * MS);
    batcher_close(&b);
}

static void test_batch_one_releases_every_item(void **state)
{
    (void)state;
    batcher_t b;
    uint64_t out[1], first;
    assert_int_equal(batcher_init(&b, 1, 0), 0);
    for (uint64_t i = 0; i < 100; i++) {
        assert_true(batcher_add(&b, i, i * MS));
        assert_int_equal(batcher_take(&b, &first, out), 1);
        assert_int_equal(first, i);
        assert_int_equal(out[0], i * MS);
    }
    batcher_close(&b);
}

static void test_zero_linger(void **state)
{
    (void)state;
    batcher_t b;
    assert_int_equal(batcher_init(&b, 8, 0), 0);
    batcher_add(&b, 0, 5 * MS);
    assert_int_equal(batcher_deadline(&b), 5 * MS);
    batcher_close(&b);
}

static void test_huge_linger_saturates(void **state)
{
    (void)state;
    batcher_t b;
    assert_int_equal(batcher_init(&b, 2, UINT64_MAX), 0);
    batcher_add(&b, 0, 5 * MS);
    assert_true(batcher_deadline(&b) > 5 * MS);
    assert_true(batcher_deadline(&b) != BATCHER_NEVER);
    batcher_close(&b);
}

/* A simulated open-loop stream: items every 10 ms, batch 5, linger 25 ms.
 * Each batch must hold consecutive items and be released by the earlier of
 * "full" and "oldest + linger". */
static void test_stream_simulation(void **state)
{
    (void)state;
    batcher_t b;
    uint64_t out[5], first, next_seq = 0;
    unsigned total = 0, batches = 0;
    assert_int_equal(batcher_init(&b, 5, 25 * MS), 0);
    for (uint64_t k = 0; k < 100; k++) {
        uint64_t t = k * 10 * MS;
        if (batcher_deadline(&b) <= t) {
            unsigned n = batcher_take(&b, &first, out);
            assert_int_equal(first, next_seq);
            assert_true(n == 3); /* items at +0, +10, +20 ms; +30 is past the linger */
            next_seq += n;
            total += n;
            batches++;
        }
        if (batcher_add(&b, k, t)) {
            total += batcher_take(&b, &first, out);
            batches++;
        }
    }
    total += batcher_take(&b, &first, out);
    assert_int_equal(total, 100);
    assert_true(batches >= 33);
    batcher_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_zero),
        cmocka_unit_test(test_release_when_full),
        cmocka_unit_test(test_linger_deadline_is_oldest_plus_linger),
        cmocka_unit_test(test_batch_one_releases_every_item),
        cmocka_unit_test(test_zero_linger),
        cmocka_unit_test(test_huge_linger_saturates),
        cmocka_unit_test(test_stream_simulation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
