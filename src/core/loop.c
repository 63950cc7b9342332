/* loop — epoll + timer min-heap. See loop.h for the contract.
 *
 * The heap holds pointers to the callers' loop_timer_t; each timer remembers
 * its heap index (slot - 1) so cancel and re-arm are O(log n) without a
 * search. A stop request is an atomic flag plus one write to an eventfd, both
 * async-signal-safe, so a signal handler or another thread can end loop_run. */
#include "core/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

#define LOOP_MAX_EVENTS 256

struct loop {
    int epfd;
    loop_io_t wake; /* eventfd written by loop_wake_stop */
    uint64_t now_ns;
    int stop; /* accessed with __atomic builtins: written from other threads */
    loop_timer_t **heap;
    size_t heap_len;
    size_t heap_cap;
    /* The batch being dispatched, so loop_del can drop events still pending
     * for an io freed by an earlier callback of the same batch. */
    struct epoll_event events[LOOP_MAX_EVENTS];
    int ev_next;
    int ev_count;
    bool no_pwait2; /* the kernel has no epoll_pwait2 */
};

static void wake_fn(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)loop;
    (void)events;
    uint64_t v;
    while (read(io->fd, &v, sizeof v) == (ssize_t)sizeof v) {
    }
}

int loop_new(loop_t **out)
{
    *out = NULL;
    loop_t *loop = calloc(1, sizeof *loop);
    if (!loop)
        return ENOMEM;
    loop->wake.fd = -1;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0)
        goto fail;
    loop->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->wake.fd < 0)
        goto fail;
    loop->wake.fn = wake_fn;
    if (loop_add(loop, &loop->wake, LOOP_IN) != 0)
        goto fail;
    loop->now_ns = clock_now_ns();
    *out = loop;
    return 0;
fail:;
    int err = errno ? errno : ENOMEM;
    loop_free(loop);
    return err;
}

void loop_free(loop_t *loop)
{
    if (!loop)
        return;
    if (loop->wake.fd >= 0)
        close(loop->wake.fd);
    if (loop->epfd >= 0)
        close(loop->epfd);
    free(loop->heap);
    free(loop);
}

static uint32_t epoll_bits(unsigned events)
{
    uint32_t e = 0;
    if (events & LOOP_IN)
        e |= EPOLLIN | EPOLLRDHUP;
    if (events & LOOP_OUT)
        e |= EPOLLOUT;
    if (!(events & LOOP_LEVEL))
        e |= EPOLLET;
    return e;
}

static int loop_ctl(loop_t *loop, int op, loop_io_t *io, unsigned events)
{
    struct epoll_event ev = {.events = epoll_bits(events), .data.ptr = io};
    return epoll_ctl(loop->epfd, op, io->fd, &ev) == 0 ? 0 : errno;
}

int loop_add(loop_t *loop, loop_io_t *io, unsigned events)
{
    return loop_ctl(loop, EPOLL_CTL_ADD, io, events);
}

int loop_mod(loop_t *loop, loop_io_t *io, unsigned events)
{
    return loop_ctl(loop, EPOLL_CTL_MOD, io, events);
}

int loop_del(loop_t *loop, loop_io_t *io)
{
    /* The owner may free io right after this: forget its undelivered events. */
    for (int i = loop->ev_next; i < loop->ev_count; i++)
        if (loop->events[i].data.ptr == io)
            loop->events[i].data.ptr = NULL;
    struct epoll_event ev = {0};
    return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, &ev) == 0 ? 0 : errno;
}

/* ---- timer heap ---- */

static void heap_place(loop_t *loop, size_t i, loop_timer_t *t)
{
    loop->heap[i] = t;
    t->slot = i + 1;
}

static void heap_up(loop_t *loop, size_t i)
{
    loop_timer_t *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (loop->heap[parent]->when_ns <= t->when_ns)
            break;
        heap_place(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_place(loop, i, t);
}

static void heap_down(loop_t *loop, size_t i)
{
    loop_timer_t *t = loop->heap[i];
    size_t n = loop->heap_len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && loop->heap[child + 1]->when_ns < loop->heap[child]->when_ns)
            child++;
        if (loop->heap[child]->when_ns >= t->when_ns)
            break;
        heap_place(loop, i, loop->heap[child]);
        i = child;
    }
    heap_place(loop, i, t);
}

void loop_timer_init(loop_timer_t *timer, loop_timer_fn fn)
{
    timer->when_ns = 0;
    timer->slot = 0;
    timer->fn = fn;
}

int loop_timer_set(loop_t *loop, loop_timer_t *timer, uint64_t when_ns)
{
    if (timer->slot) {
        uint64_t old = timer->when_ns;
        timer->when_ns = when_ns;
        if (when_ns < old)
            heap_up(loop, timer->slot - 1);
        else
            heap_down(loop, timer->slot - 1);
        return 0;
    }
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        loop_timer_t **h = realloc(loop->heap, cap * sizeof *h);
        if (!h)
            return ENOMEM;
        loop->heap = h;
        loop->heap_cap = cap;
    }
    timer->when_ns = when_ns;
    loop->heap[loop->heap_len] = timer;
    timer->slot = ++loop->heap_len;
    heap_up(loop, loop->heap_len - 1);
    return 0;
}

void loop_timer_cancel(loop_t *loop, loop_timer_t *timer)
{
    if (!timer->slot)
        return;
    size_t i = timer->slot - 1;
    timer->slot = 0;
    loop_timer_t *last = loop->heap[--loop->heap_len];
    if (last == timer)
        return;
    heap_place(loop, i, last);
    /* The moved timer may belong above or below its new place. */
    heap_up(loop, i);
    heap_down(loop, last->slot - 1);
}

bool loop_timer_pending(const loop_timer_t *timer)
{
    return timer->slot != 0;
}

size_t loop_timer_count(const loop_t *loop)
{
    return loop->heap_len;
}

/* ---- time, run, stop ---- */

uint64_t loop_now(const loop_t *loop)
{
    return loop->now_ns;
}

uint64_t loop_update_now(loop_t *loop)
{
    loop->now_ns = clock_now_ns();
    return loop->now_ns;
}

/* Waits for events until the next timer is due. epoll_pwait2 takes a
 * nanosecond timeout: an open-loop schedule fires on time instead of up to a
 * millisecond late, which would show up in every latency. Kernels before 5.11
 * lack it; there we fall back to epoll_wait's milliseconds, rounded up (waking
 * early would only spin until the deadline). */
static int wait_events(loop_t *loop)
{
    struct timespec ts, *tsp = NULL;
    uint64_t wait_ns = 0;
    if (loop->heap_len) {
        /* A fresh clock (vDSO, no system call): the cached one is behind by
         * however long this iteration's work took, and a wait measured from
         * it would make every timer that late. */
        uint64_t when = loop->heap[0]->when_ns, now = clock_now_ns();
        wait_ns = when > now ? when - now : 0;
        if (wait_ns > 1000 * CLOCK_NS_PER_S)
            wait_ns = 1000 * CLOCK_NS_PER_S;
        ts.tv_sec = (time_t)(wait_ns / CLOCK_NS_PER_S);
        ts.tv_nsec = (long)(wait_ns % CLOCK_NS_PER_S);
        tsp = &ts;
    }
    if (!loop->no_pwait2) {
        int n = epoll_pwait2(loop->epfd, loop->events, LOOP_MAX_EVENTS, tsp, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        loop->no_pwait2 = true;
    }
    int ms = tsp ? (int)((wait_ns + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS) : -1;
    return epoll_wait(loop->epfd, loop->events, LOOP_MAX_EVENTS, ms);
}

static void run_timers(loop_t *loop)
{
    /* Bounded by the count at entry so a timer that re-arms itself for "now"
     * cannot keep this iteration from returning to epoll. */
    size_t budget = loop->heap_len;
    while (budget-- > 0 && loop->heap_len > 0 && loop->heap[0]->when_ns <= loop->now_ns) {
        loop_timer_t *t = loop->heap[0];
        loop_timer_cancel(loop, t);
        t->fn(loop, t);
        if (loop_stopping(loop))
            return;
    }
}

int loop_run(loop_t *loop)
{
    /* This thread's timer slack (50 us by default) would delay every timed
     * wake-up by up to that much: an open-loop send or a stub's reply time. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    while (!loop_stopping(loop)) {
        int n = wait_events(loop);
        if (n < 0) {
            if (errno == EINTR)
                n = 0;
            else
                return errno;
        }
        loop_update_now(loop);
        loop->ev_count = n;
        for (loop->ev_next = 0; loop->ev_next < loop->ev_count;) {
            struct epoll_event *ev = &loop->events[loop->ev_next++];
            loop_io_t *io = ev->data.ptr;
            if (!io)
                continue;
            unsigned bits = 0;
            if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLPRI))
                bits |= LOOP_IN;
            if (ev->events & EPOLLOUT)
                bits |= LOOP_OUT;
            if (ev->events & (EPOLLERR | EPOLLHUP))
                bits |= LOOP_ERR | LOOP_IN;
            if (ev->events & (EPOLLRDHUP | EPOLLHUP))
                bits |= LOOP_HUP;
            io->fn(loop, io, bits);
        }
        loop->ev_count = 0;
        loop->ev_next = 0;
        if (!loop_stopping(loop))
            run_timers(loop);
    }
    return 0;
}

void loop_stop(loop_t *loop)
{
    __atomic_store_n(&loop->stop, 1, __ATOMIC_RELEASE);
}

void loop_wake_stop(loop_t *loop)
{
    int saved = errno; /* async-signal-safe: do not disturb the interrupted code */
    __atomic_store_n(&loop->stop, 1, __ATOMIC_RELEASE);
    uint64_t one = 1;
    ssize_t r = write(loop->wake.fd, &one, sizeof one);
    (void)r; /* EAGAIN means a wake-up is already pending */
    errno = saved;
}

bool loop_stopping(const loop_t *loop)
{
    return __atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE) != 0;
}
