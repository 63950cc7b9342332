#include "load/batcher.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int batcher_init(batcher_t *b, unsigned batch, uint64_t linger_ns)
{
    memset(b, 0, sizeof(*b));
    if (batch == 0)
        return EINVAL;
    b->intended_ns = calloc(batch, sizeof(*b->intended_ns));
    if (!b->intended_ns)
        return ENOMEM;
    b->cap = batch;
    b->linger_ns = linger_ns;
    return 0;
}

void batcher_close(batcher_t *b)
{
    free(b->intended_ns);
    memset(b, 0, sizeof(*b));
}

bool batcher_add(batcher_t *b, uint64_t seq, uint64_t intended_ns)
{
    assert(b->n < b->cap);
    if (b->n == 0)
        b->first_seq = seq;
    b->intended_ns[b->n++] = intended_ns;
    return b->n == b->cap;
}

uint64_t batcher_deadline(const batcher_t *b)
{
    if (b->n == 0)
        return BATCHER_NEVER;
    uint64_t oldest = b->intended_ns[0];
    if (b->linger_ns > BATCHER_NEVER - 1 - oldest)
        return BATCHER_NEVER - 1;
    return oldest + b->linger_ns;
}

bool batcher_full(const batcher_t *b)
{
    return b->n == b->cap;
}

unsigned batcher_size(const batcher_t *b)
{
    return b->n;
}

unsigned batcher_take(batcher_t *b, uint64_t *first_seq, uint64_t *intended_out)
{
    unsigned n = b->n;
    if (n) {
        memcpy(intended_out, b->intended_ns, n * sizeof(*intended_out));
        *first_seq = b->first_seq;
    }
    b->n = 0;
    return n;
}
