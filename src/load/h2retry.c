/* h2retry — resending requests an HTTP/2 server never processed (see
 * h2retry.h). */
#include "load/h2retry.h"

void h2retry_begin(h2retry_t *r, uint64_t now_ns, uint64_t timeout_ns, uint64_t answered)
{
    r->deadline_ns = timeout_ns ? now_ns + timeout_ns : 0;
    r->answered_at = answered;
    r->refusals = 0;
    r->forgiven = false;
}

h2retry_verdict_t h2retry_refused(h2retry_t *r, bool goaway_progress, uint64_t answered,
                                  uint64_t now_ns)
{
    r->refusals++;
    if (r->deadline_ns && now_ns >= r->deadline_ns)
        return H2RETRY_TIMEOUT;
    /* One answer per refusal: a server that answers others while it refuses
     * this one is working, and a resend costs it no more than the answers
     * it gave; one that stops answering stops earning resends. */
    if (goaway_progress || answered - r->answered_at >= r->refusals)
        return H2RETRY_SEND;
    if (!r->forgiven) {
        r->forgiven = true;
        return H2RETRY_SEND;
    }
    return H2RETRY_RESET;
}
