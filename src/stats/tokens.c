/* tokens — see tokens.h for the definitions; this file only does the
 * arithmetic, in integers so that a test can state every result exactly. */
#include "stats/tokens.h"

#include <string.h>

/* later - earlier, or 0 when later is not later. */
static uint64_t since(uint64_t later, uint64_t earlier)
{
    return later > earlier ? later - earlier : 0;
}

void tokens_start(tokens_t *t, uint64_t intended_ns, uint64_t send_ns)
{
    memset(t, 0, sizeof(*t));
    t->intended_ns = intended_ns;
    t->send_ns = send_ns;
    t->usage = -1;
}

bool tokens_event(tokens_t *t, uint64_t now_ns, uint64_t *gap_ns)
{
    t->chunks++;
    if (t->chunks == 1) {
        t->first_ns = t->last_ns = now_ns;
        return false;
    }
    *gap_ns = since(now_ns, t->last_ns);
    t->last_ns = now_ns;
    return true;
}

void tokens_usage(tokens_t *t, int64_t completion_tokens)
{
    if (completion_tokens >= 0)
        t->usage = completion_tokens;
}

void tokens_end(tokens_t *t, uint64_t end_ns)
{
    t->end_ns = end_ns;
}

void tokens_result(const tokens_t *t, tokens_result_t *r)
{
    memset(r, 0, sizeof(*r));
    r->chunks = t->chunks;
    r->estimated = t->usage < 0;
    r->n_out = r->estimated ? t->chunks : (uint64_t)t->usage;
    r->end_ns = t->end_ns;
    if (t->chunks == 0)
        return;
    r->has_first = true;
    r->ttft_ns = since(t->first_ns, t->intended_ns);
    r->ttft_service_ns = since(t->first_ns, t->send_ns);
    r->e2el_ns = since(t->last_ns, t->intended_ns);
    if (t->chunks >= 2 && r->n_out >= 2) {
        uint64_t span = since(t->last_ns, t->first_ns), steps = r->n_out - 1;
        r->tpot_ns = span / steps + (span % steps >= steps - span % steps); /* half up */
        r->has_tpot = true;
    }
}
