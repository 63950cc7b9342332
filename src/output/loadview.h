/* loadview — a run's load as its summary and its report say it: what the
 * schedule offered, what left the client, what the server served, the batch
 * requests really carried beside the most they could, and which side fell
 * behind. One reading of a result (stats/result.h) for console.c and the
 * report, so both say the same thing in the same words. */
#ifndef TAILGATE_OUTPUT_LOADVIEW_H
#define TAILGATE_OUTPUT_LOADVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/result.h"
#include "stats/selfcheck.h"

typedef struct {
    bool open;          /* an open loop: the configuration records a rate */
    double offered_ips; /* open: the schedule's items/s; NaN otherwise */
    uint64_t users;     /* closed loop: --concurrency; 0 = not recorded */
    /* Open: items that left the client per second of the schedule (items
     * issued / rate), and their share of the items issued; NaN otherwise.
     * An item leaves unless it waited for a connection until the run ended
     * (items.unsent). */
    double sent_ips, sent_share;
    double served_ips; /* items answered successfully per second measured */
    /* The same while the server answered steadily: over the whole seconds of
     * the completion timeline between its first and its last (partial) ones,
     * so neither the first answers' wait nor the last ones' tail dilutes
     * it. NaN: fewer than three seconds of answers, or no completion counts. */
    double steady_served_ips;
    double mean_batch; /* items per request; NaN without requests */
    int64_t max_batch; /* --batch; 0 = not recorded */
} loadview_t;

void loadview_read(const result_t *r, loadview_t *v);

/* Whether the server fell behind: while it answered steadily, it served
 * under 95% of what was sent (open loop). */
bool loadview_server_behind(const loadview_t *v);

/* The one note on the client falling behind: when the self-check (c, from
 * result_selfcheck) calls the client the limit, its figures (send rate, send
 * lag, the pool's reach); then how many requests never left the client and
 * what bounded its connections. "" when the client kept up and every request
 * left. What to change is selfcheck_advice's. */
void loadview_client_note(const result_t *r, const selfcheck_t *c, char *buf, size_t len);
/* The sentence that says the server fell behind (loadview_server_behind),
 * or failed; "" when it did neither. */
void loadview_server_note(const result_t *r, const loadview_t *v, char *buf, size_t len);

#endif
