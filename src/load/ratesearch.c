#include "load/ratesearch.h"

#include <math.h>

/* Down to a multiple of the granularity (none: as is); at least one. */
static double snap(const ratesearch_t *s, double r)
{
    double g = s->granularity;
    if (!(g > 0))
        return r;
    r = floor(r / g + 1e-9) * g;
    return r < g ? g : r;
}

static double clamp(const ratesearch_t *s, double r)
{
    if (s->max_rate > 0 && r > s->max_rate)
        r = s->max_rate;
    return snap(s, r < s->min_rate ? s->min_rate : r);
}

void ratesearch_init(ratesearch_t *s, double start, double min_rate, double max_rate,
                     double precision)
{
    *s = (ratesearch_t){.min_rate = min_rate > 0 ? min_rate : 0,
                        .max_rate = max_rate > 0 ? max_rate : 0,
                        .precision = precision > 0 ? precision : 0.05,
                        .phase = RATESEARCH_UP};
    s->next = clamp(s, start);
    if (s->next <= 0)
        s->phase = RATESEARCH_DONE;
}

void ratesearch_set_granularity(ratesearch_t *s, double g)
{
    s->granularity = g > 0 ? g : 0;
    if (s->phase != RATESEARCH_DONE)
        s->next = clamp(s, s->next);
}

double ratesearch_next(const ratesearch_t *s)
{
    return s->phase == RATESEARCH_DONE ? 0 : s->next;
}

/* Narrow enough, or nothing representable left between the two. */
static double midpoint(const ratesearch_t *s)
{
    return snap(s, s->pass_rate + (s->fail_rate - s->pass_rate) / 2);
}

static bool close_enough(const ratesearch_t *s)
{
    double mid = midpoint(s);
    return s->fail_rate <= s->pass_rate * (1 + s->precision) || mid <= s->pass_rate ||
           mid >= s->fail_rate;
}

void ratesearch_report(ratesearch_t *s, double rate, bool passed)
{
    if (s->phase == RATESEARCH_DONE)
        return;
    s->steps++;
    if (passed) {
        if (rate > s->pass_rate)
            s->pass_rate = rate;
    } else if (s->fail_rate == 0 || rate < s->fail_rate) {
        s->fail_rate = rate;
    }
    switch (s->phase) {
    case RATESEARCH_UP:
        if (!passed) {
            s->phase = s->pass_rate > 0 ? RATESEARCH_BISECT : RATESEARCH_DOWN;
            break;
        }
        if (s->max_rate > 0 && rate >= s->max_rate) {
            s->phase = RATESEARCH_DONE; /* passes at the ceiling: capacity >= max */
            return;
        }
        s->next = clamp(s, rate * 2);
        return;
    case RATESEARCH_DOWN:
        if (passed) {
            s->phase = RATESEARCH_BISECT;
            break;
        }
        if (rate <= s->min_rate || rate / 2 <= 0 || clamp(s, rate / 2) >= rate) {
            s->phase = RATESEARCH_DONE; /* fails even at the floor */
            return;
        }
        s->next = clamp(s, rate / 2);
        return;
    case RATESEARCH_BISECT:
        break;
    case RATESEARCH_DONE:
    default:
        return;
    }
    /* Bisecting (or just started to). */
    if (close_enough(s)) {
        s->phase = RATESEARCH_DONE;
        return;
    }
    s->next = midpoint(s);
}
