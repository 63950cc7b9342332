/* batcher — groups items into requests, pure logic (no clock, no sockets).
 *
 * Items arrive with their intended times. A batch is released when it holds
 * `batch` items, or when its oldest item has waited `linger_ns`: the caller
 * asks batcher_deadline() when that is and calls batcher_take() then. */
#ifndef TAILGATE_LOAD_BATCHER_H
#define TAILGATE_LOAD_BATCHER_H

#include <stdbool.h>
#include <stdint.h>

#define BATCHER_NEVER UINT64_MAX

typedef struct {
    unsigned cap; /* batch size, >= 1 */
    uint64_t linger_ns;
    unsigned n;            /* items held */
    uint64_t first_seq;    /* caller's sequence number of the oldest item held */
    uint64_t *intended_ns; /* cap entries, intended time of each item held */
} batcher_t;

/* Returns 0, EINVAL (batch 0) or ENOMEM. */
int batcher_init(batcher_t *b, unsigned batch, uint64_t linger_ns);
void batcher_close(batcher_t *b); /* zeroed or closed is fine */

/* Adds item number `seq` (the caller's running count) intended at
 * intended_ns. The batcher must not be full. Returns true when it is now
 * full: release it with batcher_take. */
bool batcher_add(batcher_t *b, uint64_t seq, uint64_t intended_ns);
/* When the held items must be released: oldest + linger; BATCHER_NEVER when empty. */
uint64_t batcher_deadline(const batcher_t *b);
bool batcher_full(const batcher_t *b);
unsigned batcher_size(const batcher_t *b);

/* Copies the held items' intended times into intended_out (room for cap),
 * their first sequence number into *first_seq, empties the batcher and
 * returns how many items it held (0 when empty). */
unsigned batcher_take(batcher_t *b, uint64_t *first_seq, uint64_t *intended_out);

#endif
