/* loop — one epoll event loop per thread, with a timer min-heap.
 *
 * File descriptors are registered once (edge-triggered by default) and stay
 * registered for their whole life, so a request costs no epoll_ctl. Timers are
 * embedded in the caller's structs (no allocation per timer); add, move and
 * cancel are O(log n). The loop caches "now" once per iteration: callbacks read
 * loop_now() instead of calling the clock again.
 *
 * Threading: a loop is used by one thread only, except loop_wake_stop(), which
 * any thread (or a signal handler) may call. */
#ifndef TAILGATE_CORE_LOOP_H
#define TAILGATE_CORE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct loop loop_t;
typedef struct loop_io loop_io_t;
typedef struct loop_timer loop_timer_t;

/* Event bits passed to loop_add/loop_mod and to callbacks. */
enum {
    LOOP_IN = 1u << 0,    /* readable (or peer closed / error: read to find out) */
    LOOP_OUT = 1u << 1,   /* writable */
    LOOP_ERR = 1u << 2,   /* EPOLLERR or EPOLLHUP seen (callback only) */
    LOOP_LEVEL = 1u << 3, /* level-triggered instead of edge-triggered (add/mod only) */
    LOOP_HUP = 1u << 4,   /* the peer closed its side: reads reach end of stream (callback only) */
};

typedef void (*loop_io_fn)(loop_t *loop, loop_io_t *io, unsigned events);
typedef void (*loop_timer_fn)(loop_t *loop, loop_timer_t *timer);

/* Embed in the owner's struct; recover the owner with container_of-style math. */
struct loop_io {
    int fd;
    loop_io_fn fn;
};

struct loop_timer {
    uint64_t when_ns; /* monotonic deadline */
    size_t slot;      /* heap index + 1; 0 = not pending (private to loop.c) */
    loop_timer_fn fn;
};

/* Creates a loop. Returns 0 or an errno value. */
int loop_new(loop_t **out);
/* Frees the loop; NULL is fine. Does not close registered fds. */
void loop_free(loop_t *loop);

/* Registers io->fd for `events` (LOOP_IN/LOOP_OUT, optionally LOOP_LEVEL).
 * io must stay valid until loop_del. Returns 0 or an errno value. */
int loop_add(loop_t *loop, loop_io_t *io, unsigned events);
int loop_mod(loop_t *loop, loop_io_t *io, unsigned events);
/* Unregisters; call before close(io->fd). Returns 0 or an errno value. */
int loop_del(loop_t *loop, loop_io_t *io);

void loop_timer_init(loop_timer_t *timer, loop_timer_fn fn);
/* Arms (or re-arms) the timer for monotonic time when_ns. Returns 0 or ENOMEM. */
int loop_timer_set(loop_t *loop, loop_timer_t *timer, uint64_t when_ns);
/* Disarms; harmless when not pending. */
void loop_timer_cancel(loop_t *loop, loop_timer_t *timer);
bool loop_timer_pending(const loop_timer_t *timer);
/* Number of pending timers. */
size_t loop_timer_count(const loop_t *loop);

/* Monotonic ns cached at the last wake-up (cheap; refresh with loop_update_now). */
uint64_t loop_now(const loop_t *loop);
uint64_t loop_update_now(loop_t *loop);

/* Runs until loop_stop or loop_wake_stop. Returns 0 or an errno value. */
int loop_run(loop_t *loop);
/* Ends loop_run after the current iteration (from a callback). */
void loop_stop(loop_t *loop);
/* Thread- and async-signal-safe: wakes the loop and makes loop_run return. */
void loop_wake_stop(loop_t *loop);
/* True once a stop was requested (by either call). */
bool loop_stopping(const loop_t *loop);

#endif
