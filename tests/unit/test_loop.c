/* Unit tests for core/loop: timer heap order, cancel/re-arm, fd readiness,
 * loop_wake_stop from another thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* ---- heap order ---- */

typedef struct {
    loop_timer_t timer;
    int fired;
} heap_timer_t;

static uint64_t xs_state = 88172645463325252ull;
static uint64_t xs_next(void)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 7;
    xs_state ^= xs_state << 17;
    return xs_state;
}

typedef struct {
    loop_t *loop;
    uint64_t last_when;
    size_t fired;
    int out_of_order;
} order_ctx_t;

static order_ctx_t *order_ctx_of; /* set per test; loop callbacks have no user pointer */

static void order_fn(loop_t *loop, loop_timer_t *t)
{
    (void)loop;
    heap_timer_t *ht = container_of(t, heap_timer_t, timer);
    ht->fired++;
    if (t->when_ns < order_ctx_of->last_when)
        order_ctx_of->out_of_order++;
    order_ctx_of->last_when = t->when_ns;
    order_ctx_of->fired++;
}

static void stop_timer_fn(loop_t *loop, loop_timer_t *t)
{
    (void)t;
    loop_stop(loop);
}

static void test_heap_order_random(void **state)
{
    (void)state;
    enum { N = 5000 };
    loop_t *loop;
    assert_int_equal(loop_new(&loop), 0);
    heap_timer_t *timers = calloc(N, sizeof *timers);
    assert_non_null(timers);
    order_ctx_t ctx = {.loop = loop};
    order_ctx_of = &ctx;
    /* All deadlines already in the past (relative to the loop's cached now)
     * but distinct: they must fire in deadline order in one iteration. */
    uint64_t base = loop_now(loop) > 10000000 ? loop_now(loop) - 10000000 : 0;
    for (size_t i = 0; i < N; i++) {
        loop_timer_init(&timers[i].timer, order_fn);
        assert_int_equal(loop_timer_set(loop, &timers[i].timer, base + xs_next() % 9000000), 0);
    }
    assert_int_equal(loop_timer_count(loop), N);
    /* Re-arm a third and cancel a tenth to exercise moves in both directions. */
    size_t cancelled = 0;
    for (size_t i = 0; i < N; i += 3)
        assert_int_equal(loop_timer_set(loop, &timers[i].timer, base + xs_next() % 9000000), 0);
    for (size_t i = 0; i < N; i += 10) {
        loop_timer_cancel(loop, &timers[i].timer);
        assert_false(loop_timer_pending(&timers[i].timer));
        cancelled++;
    }
    loop_timer_cancel(loop, &timers[0].timer); /* harmless twice */
    assert_int_equal(loop_timer_count(loop), N - cancelled);
    loop_timer_t stopper;
    loop_timer_init(&stopper, stop_timer_fn);
    assert_int_equal(loop_timer_set(loop, &stopper, loop_now(loop) + 5 * CLOCK_NS_PER_MS), 0);
    assert_int_equal(loop_run(loop), 0);
    assert_int_equal(ctx.out_of_order, 0);
    assert_int_equal(ctx.fired, N - cancelled);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(timers[i].fired, (i % 10 == 0) ? 0 : 1);
        assert_false(loop_timer_pending(&timers[i].timer));
    }
    assert_int_equal(loop_timer_count(loop), 0);
    free(timers);
    loop_free(loop);
}

/* ---- real-time timers ---- */

typedef struct {
    loop_timer_t timer;
    int count;
    uint64_t fired_ns;
} tick_t;

static void tick_fn(loop_t *loop, loop_timer_t *t)
{
    tick_t *tk = container_of(t, tick_t, timer);
    tk->count++;
    tk->fired_ns = loop_now(loop);
    if (tk->count < 3)
        loop_timer_set(loop, t, loop_now(loop) + 10 * CLOCK_NS_PER_MS);
    else
        loop_stop(loop);
}

static void never_fn(loop_t *loop, loop_timer_t *t)
{
    (void)loop;
    (void)t;
    fail_msg("cancelled timer fired");
}

static void test_timer_rearm_and_cancel(void **state)
{
    (void)state;
    loop_t *loop;
    assert_int_equal(loop_new(&loop), 0);
    tick_t tk = {0};
    loop_timer_t never;
    loop_timer_init(&tk.timer, tick_fn);
    loop_timer_init(&never, never_fn);
    uint64_t t0 = loop_update_now(loop);
    assert_int_equal(loop_timer_set(loop, &never, t0 + 15 * CLOCK_NS_PER_MS), 0);
    assert_int_equal(loop_timer_set(loop, &tk.timer, t0 + 1000 * CLOCK_NS_PER_MS), 0);
    /* Re-arm earlier: must move up the heap. */
    assert_int_equal(loop_timer_set(loop, &tk.timer, t0 + 10 * CLOCK_NS_PER_MS), 0);
    loop_timer_cancel(loop, &never);
    assert_int_equal(loop_run(loop), 0);
    assert_int_equal(tk.count, 3);
    uint64_t elapsed = tk.fired_ns - t0;
    assert_true(elapsed >= 30 * CLOCK_NS_PER_MS);
    assert_true(elapsed < 1000 * CLOCK_NS_PER_MS);
    assert_true(loop_stopping(loop));
    loop_free(loop);
}

/* ---- fd readiness ---- */

typedef struct {
    loop_io_t io;
    char got[64];
    size_t len;
    int writable;
} sock_end_t;

static void reader_fn(loop_t *loop, loop_io_t *io, unsigned events)
{
    sock_end_t *s = container_of(io, sock_end_t, io);
    if (events & LOOP_OUT)
        s->writable++;
    if (events & LOOP_IN) {
        ssize_t r;
        while ((r = read(io->fd, s->got + s->len, sizeof s->got - 1 - s->len)) > 0)
            s->len += (size_t)r;
        if (s->len >= 5)
            loop_stop(loop);
    }
}

static void test_fd_readiness(void **state)
{
    (void)state;
    loop_t *loop;
    assert_int_equal(loop_new(&loop), 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    sock_end_t s = {.io = {.fd = sv[0], .fn = reader_fn}};
    assert_int_equal(loop_add(loop, &s.io, LOOP_IN | LOOP_OUT), 0);
    assert_int_equal(write(sv[1], "hello", 5), 5);
    loop_timer_t guard;
    loop_timer_init(&guard, stop_timer_fn);
    assert_int_equal(loop_timer_set(loop, &guard, loop_now(loop) + 2 * CLOCK_NS_PER_S), 0);
    assert_int_equal(loop_run(loop), 0);
    assert_int_equal(s.len, 5);
    assert_memory_equal(s.got, "hello", 5);
    assert_true(s.writable >= 1);
    loop_timer_cancel(loop, &guard);
    assert_int_equal(loop_del(loop, &s.io), 0);
    assert_int_equal(loop_del(loop, &s.io), ENOENT);
    close(sv[0]);
    close(sv[1]);
    loop_free(loop);
}

/* Edge-triggered: an unread readable fd is reported once, not every
 * iteration; level-triggered reports it again. */
typedef struct {
    loop_io_t io;
    int calls;
} counter_io_t;

static void count_fn(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)loop;
    (void)events;
    container_of(io, counter_io_t, io)->calls++;
}

static void test_edge_vs_level(void **state)
{
    (void)state;
    loop_t *loop;
    assert_int_equal(loop_new(&loop), 0);
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    counter_io_t edge = {.io = {.fd = a[0], .fn = count_fn}};
    counter_io_t level = {.io = {.fd = b[0], .fn = count_fn}};
    assert_int_equal(loop_add(loop, &edge.io, LOOP_IN), 0);
    assert_int_equal(loop_add(loop, &level.io, LOOP_IN | LOOP_LEVEL), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "x", 1), 1);
    loop_timer_t stopper;
    loop_timer_init(&stopper, stop_timer_fn);
    assert_int_equal(loop_timer_set(loop, &stopper, loop_update_now(loop) + 30 * CLOCK_NS_PER_MS),
                     0);
    assert_int_equal(loop_run(loop), 0);
    assert_int_equal(edge.calls, 1);
    assert_true(level.calls > 3);
    loop_del(loop, &edge.io);
    loop_del(loop, &level.io);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    loop_free(loop);
}

/* ---- wake_stop from another thread ---- */

static void *stopper_thread(void *arg)
{
    usleep(50 * 1000);
    loop_wake_stop(arg);
    return NULL;
}

static void test_wake_stop_thread(void **state)
{
    (void)state;
    loop_t *loop;
    assert_int_equal(loop_new(&loop), 0);
    assert_false(loop_stopping(loop));
    pthread_t th;
    uint64_t t0 = clock_now_ns();
    assert_int_equal(pthread_create(&th, NULL, stopper_thread, loop), 0);
    /* No fds, no timers: only the wake-up can end this. */
    assert_int_equal(loop_run(loop), 0);
    uint64_t dt = clock_now_ns() - t0;
    pthread_join(th, NULL);
    assert_true(loop_stopping(loop));
    assert_true(dt >= 40 * CLOCK_NS_PER_MS);
    assert_true(dt < 2 * CLOCK_NS_PER_S);
    loop_free(loop);
}

static void test_free_null(void **state)
{
    (void)state;
    loop_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_order_random), cmocka_unit_test(test_timer_rearm_and_cancel),
        cmocka_unit_test(test_fd_readiness),      cmocka_unit_test(test_edge_vs_level),
        cmocka_unit_test(test_wake_stop_thread),  cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
