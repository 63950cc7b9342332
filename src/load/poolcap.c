/* poolcap — the rule in poolcap.h, as arithmetic. */
#include "load/poolcap.h"

#include <math.h>
#include <string.h>

void poolcap_init(poolcap_t *c, double items_per_s, uint64_t ceiling)
{
    memset(c, 0, sizeof *c);
    c->items_per_ns = items_per_s > 0 ? items_per_s / 1e9 : 0;
    c->floor = POOLCAP_FLOOR;
    c->ceiling = ceiling;
    c->window = POOLCAP_FIRST_WINDOW;
    c->limit = ceiling; /* no estimate yet: the ceiling alone */
}

/* The limit for the current W. */
static uint64_t rule(poolcap_t *c, uint64_t items, uint64_t requests)
{
    double batch = requests && items > requests ? (double)items / (double)requests : 1.0;
    double need = ceil(POOLCAP_HEADROOM * c->items_per_ns / batch * (double)c->w_ns);
    uint64_t limit = need > 1e15 ? UINT64_MAX : (uint64_t)need;
    if (limit < c->floor)
        limit = c->floor;
    c->ceiling_binds = c->ceiling && limit >= c->ceiling;
    return c->ceiling_binds ? c->ceiling : limit;
}

bool poolcap_sample(poolcap_t *c, uint64_t service_ns, uint64_t items, uint64_t requests)
{
    c->sum_ns += service_ns;
    if (++c->n < c->window)
        return false;
    /* A window closed: its mean is a candidate for W. The first window
     * grows (8, 16, 32, 64 responses, all from the start) so that a
     * slow-to-answer rate has an estimate early; later ones start afresh. */
    uint64_t mean = c->sum_ns / c->n;
    if (mean == 0)
        mean = 1;
    if (c->window < POOLCAP_WINDOW) {
        c->window *= 2;
    } else {
        c->sum_ns = 0;
        c->n = 0;
    }
    if (!c->w_ns || mean < c->w_ns)
        c->w_ns = mean;
    uint64_t before = c->limit;
    c->limit = rule(c, items, requests);
    return c->limit != before;
}
