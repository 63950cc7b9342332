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

/* The search would end on pass_rate: run it once more. */
static void confirm(ratesearch_t *s)
{
    s->phase = RATESEARCH_CONFIRM;
    s->next = s->pass_rate;
}

static void push_pass(ratesearch_t *s, double rate)
{
    if (s->npassed == RATESEARCH_MAX_PASSES) { /* the lowest is the least likely needed */
        for (unsigned i = 1; i < s->npassed; i++)
            s->passed[i - 1] = s->passed[i];
        s->npassed--;
    }
    s->passed[s->npassed++] = rate;
}

/* Nothing passed below `rate`, which failed: half of it, unless that is
 * the floor already (it fails even there). */
static void down(ratesearch_t *s, double rate)
{
    if (rate <= s->min_rate || !(rate / 2 > 0) || clamp(s, rate / 2) >= rate) {
        s->phase = RATESEARCH_DONE;
        return;
    }
    s->phase = RATESEARCH_DOWN;
    s->next = clamp(s, rate / 2);
}

/* Between pass_rate and fail_rate: the next midpoint, or the confirmation. */
static void bisect(ratesearch_t *s)
{
    s->phase = RATESEARCH_BISECT;
    if (close_enough(s))
        confirm(s);
    else
        s->next = midpoint(s);
}

void ratesearch_report(ratesearch_t *s, double rate, bool passed)
{
    if (s->phase == RATESEARCH_DONE)
        return;
    s->steps++;
    if (passed) {
        if (rate > s->pass_rate) {
            s->pass_rate = rate;
            push_pass(s, rate);
        }
    } else if (s->fail_rate == 0 || rate < s->fail_rate) {
        s->fail_rate = rate;
    }
    switch (s->phase) {
    case RATESEARCH_UP:
        if (!passed) {
            if (s->pass_rate > 0)
                bisect(s);
            else
                down(s, rate);
            return;
        }
        if (s->max_rate > 0 && rate >= s->max_rate) {
            confirm(s); /* passes at the ceiling: capacity >= max */
            return;
        }
        s->next = clamp(s, rate * 2);
        return;
    case RATESEARCH_DOWN:
        if (passed)
            bisect(s);
        else
            down(s, rate);
        return;
    case RATESEARCH_BISECT:
        bisect(s);
        return;
    case RATESEARCH_CONFIRM:
        if (passed) {
            s->phase = RATESEARCH_DONE;
            return;
        }
        /* The answer did not hold: below it, from the pass before it. */
        if (s->npassed > 0 && s->passed[s->npassed - 1] == rate)
            s->npassed--;
        s->pass_rate = s->npassed > 0 ? s->passed[s->npassed - 1] : 0;
        if (s->pass_rate > 0)
            bisect(s);
        else
            down(s, rate);
        return;
    case RATESEARCH_DONE:
    default:
        return;
    }
}
