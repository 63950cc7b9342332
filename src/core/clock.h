/* clock — time in integer nanoseconds.
 *
 * Every duration in tailgate is measured on CLOCK_MONOTONIC; the wall clock is
 * used only for the timestamps a person reads (CSV timestamp_ms, started_at). */
#ifndef TAILGATE_CORE_CLOCK_H
#define TAILGATE_CORE_CLOCK_H

#include <stdint.h>

#define CLOCK_NS_PER_US 1000ull
#define CLOCK_NS_PER_MS 1000000ull
#define CLOCK_NS_PER_S 1000000000ull

/* Monotonic time in ns since an arbitrary origin. Never goes backwards. */
uint64_t clock_now_ns(void);

/* Wall-clock time in ns since the Unix epoch. */
uint64_t clock_wall_ns(void);

#endif
