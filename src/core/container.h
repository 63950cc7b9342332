/* container_of — the owner of an embedded member (loop_io_t, loop_timer_t, list
 * links): callbacks get the member, the owner is found by subtracting its offset. */
#ifndef TAILGATE_CORE_CONTAINER_H
#define TAILGATE_CORE_CONTAINER_H

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#endif
