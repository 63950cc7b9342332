/* h2live — HTTP/2 connection liveness (see h2live.h). */
#include "load/h2live.h"

#include "core/clock.h"

#define QUIET_MAX_NS (1 * CLOCK_NS_PER_S)
#define WAIT_MIN_NS (1 * CLOCK_NS_PER_S)
#define WAIT_UNBOUNDED_NS (10 * CLOCK_NS_PER_S) /* no --timeout */

void h2live_init(h2live_t *l, uint64_t timeout_ns)
{
    uint64_t quarter = timeout_ns / 4;
    l->quiet_ns = timeout_ns && quarter < QUIET_MAX_NS ? quarter : QUIET_MAX_NS;
    if (l->quiet_ns == 0)
        l->quiet_ns = 1; /* (a timeout under 4 ns) */
    l->wait_ns = !timeout_ns ? WAIT_UNBOUNDED_NS : quarter > WAIT_MIN_NS ? quarter : WAIT_MIN_NS;
    h2live_start(l, 0);
}

void h2live_start(h2live_t *l, uint64_t now)
{
    l->gap_ns = l->quiet_ns;
    l->heard_ns = now;
    l->busy_ns = now;
    l->ping_ns = 0;
}

bool h2live_ack(h2live_t *l)
{
    if (!l->ping_ns)
        return false;
    l->ping_ns = 0;
    if (l->gap_ns < H2LIVE_GAP_MAX * l->quiet_ns / 2)
        l->gap_ns *= 2;
    else
        l->gap_ns = H2LIVE_GAP_MAX * l->quiet_ns;
    return true;
}

uint64_t h2live_due(const h2live_t *l)
{
    uint64_t since = l->heard_ns > l->busy_ns ? l->heard_ns : l->busy_ns;
    return since + l->gap_ns;
}

h2live_action_t h2live_check(h2live_t *l, uint64_t now, bool streams, uint64_t *next_ns)
{
    if (l->ping_ns) {
        if (l->heard_ns < l->ping_ns) {
            if (now - l->ping_ns >= l->wait_ns)
                return H2LIVE_DEAD;
            *next_ns = l->ping_ns + l->wait_ns;
            return H2LIVE_WAIT;
        }
        l->ping_ns = 0; /* bytes came, if not the ACK yet: the peer is there */
    }
    if (!streams)
        return H2LIVE_IDLE;
    uint64_t due = h2live_due(l);
    if (now < due) {
        *next_ns = due;
        return H2LIVE_WAIT;
    }
    l->ping_ns = now ? now : 1;
    *next_ns = now + l->wait_ns;
    return H2LIVE_PING;
}
