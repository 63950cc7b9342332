/* pacer — schedule math. Times are offsets in double ns from start so that a
 * long run accumulates no rounding per item (2^53 ns is 104 days). */
#include "load/pacer.h"

#include <math.h>

uint64_t pacer_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman & Vigna): small state, passes BigCrush. */
static uint64_t xoshiro_next(uint64_t *s)
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double pacer_uniform(pacer_t *p)
{
    /* 53 random bits -> (0, 1]: never 0, so log() below is finite. */
    return (double)((xoshiro_next(p->rng) >> 11) + 1) * 0x1.0p-53;
}

static double poisson_gap(pacer_t *p)
{
    return -log(pacer_uniform(p)) * p->gap_ns;
}

void pacer_init(pacer_t *p, pacer_mode_t mode, uint64_t start_ns, double rate, uint64_t seed)
{
    p->mode = mode;
    p->start_ns = start_ns;
    p->gap_ns = rate > 0 ? 1e9 / rate : 0;
    p->k = 0;
    p->index = 0;
    p->stride = 1;
    p->next_off_ns = 0;
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        p->rng[i] = pacer_splitmix64(&sm);
    /* The first arrival of a Poisson process also comes after a gap. */
    if (mode == PACER_POISSON)
        p->next_off_ns = poisson_gap(p);
}

void pacer_subset(pacer_t *p, uint64_t offset, uint64_t stride)
{
    p->stride = stride ? stride : 1;
    /* Arrival 0's gap is drawn already; skipping is drawing the gaps of the
     * arrivals before ours, in the same order as the whole schedule does. */
    if (p->mode == PACER_POISSON)
        for (uint64_t i = 0; i < offset; i++)
            p->next_off_ns += poisson_gap(p);
    p->index = offset;
}

uint64_t pacer_peek(const pacer_t *p, uint64_t closed_ready_ns)
{
    switch (p->mode) {
    case PACER_CLOSED:
        return closed_ready_ns;
    case PACER_CONSTANT:
        /* Rounded, not truncated: k x (1e9 / R) lands a hair below a whole
         * second for many R, and truncating it would put one item too many
         * inside a run of whole seconds. */
        return p->start_ns + (uint64_t)llround((double)p->index * p->gap_ns);
    case PACER_POISSON:
        return p->start_ns + (uint64_t)p->next_off_ns;
    }
    return closed_ready_ns;
}

uint64_t pacer_next(pacer_t *p, uint64_t closed_ready_ns)
{
    uint64_t t = pacer_peek(p, closed_ready_ns);
    p->k++;
    p->index += p->stride;
    if (p->mode == PACER_POISSON)
        for (uint64_t i = 0; i < p->stride; i++)
            p->next_off_ns += poisson_gap(p);
    return t;
}

uint64_t pacer_count(const pacer_t *p)
{
    return p->k;
}
