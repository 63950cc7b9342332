/* loadview — offered, sent, served, and who fell behind. */
#include "output/loadview.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Below this share of what was sent, the server fell behind. */
#define SERVED_SHARE_BEHIND 0.95

/* Served items per second between the first and the last second that saw
 * answers, both left out: the first holds the first answers' wait, the last
 * the tail of the run, and a server that keeps up with a long latency would
 * otherwise look slow (its span is the schedule plus that latency). */
static double steady_rate(const runstats_t *rs)
{
    size_t first = SIZE_MAX, last = 0;
    for (size_t i = 0; i < rs->nseconds; i++) {
        if (!rs->seconds[i].completed)
            continue;
        if (first == SIZE_MAX)
            first = i;
        last = i;
    }
    if (first == SIZE_MAX || last < first + 2)
        return NAN;
    uint64_t served = 0;
    for (size_t i = first + 1; i < last; i++)
        served += rs->seconds[i].served_items;
    return (double)served / (double)(last - first - 1);
}

void loadview_read(const result_t *r, loadview_t *v)
{
    const runstats_t *rs = &r->stats;
    double dur = result_duration_s(r);
    const json_t *rate = json_object_get(r->config, "rate");
    const char *load = result_config_str(r, "load");
    int64_t users = 0;
    memset(v, 0, sizeof *v);
    v->offered_ips = v->sent_ips = v->sent_share = NAN;
    v->open =
        json_is_number(rate) && json_number_value(rate) > 0 && !(load && !strcmp(load, "closed"));
    if (v->open) {
        /* the schedule this result offered: a segment's share, a merge's sum
         * (the configured --rate is the whole run's); files without it: --rate */
        v->offered_ips = r->offered_per_s > 0 ? r->offered_per_s : json_number_value(rate);
        uint64_t sent = rs->items - rs->items_unsent;
        v->sent_share = rs->items ? (double)sent / (double)rs->items : NAN;
        /* Per second of the schedule: what left, at the rate it was offered. */
        v->sent_ips = rs->items ? v->offered_ips * v->sent_share : NAN;
    } else if (result_config_int(r, "concurrency", &users) && users > 0) {
        v->users = (uint64_t)users;
    }
    v->served_ips = dur > 0 ? (double)rs->items_ok / dur : 0;
    v->steady_served_ips = steady_rate(rs);
    v->mean_batch = rs->requests ? (double)rs->items / (double)rs->requests : NAN;
    if (!result_config_int(r, "batch", &v->max_batch))
        v->max_batch = 0;
}

bool loadview_server_behind(const loadview_t *v)
{
    return v->open && v->sent_ips > 0 && isfinite(v->steady_served_ips) &&
           v->steady_served_ips < SERVED_SHARE_BEHIND * v->sent_ips;
}

/* What bounded the pool, as the end of a sentence. */
static const char *limit_words(connlimit_t by)
{
    switch (by) {
    case CONNLIMIT_FIXED:
        return "as --connections fixed it";
    case CONNLIMIT_RULE:
        return "set by --connections 0's rule (4 x what the rate needs at the service time "
               "seen before the server fell behind; --max-connections N sets another)";
    case CONNLIMIT_MAX:
        return "as --max-connections set it";
    case CONNLIMIT_OPEN_FILES:
        return "set by the open-files limit (ulimit -n)";
    case CONNLIMIT_SOCKETS:
        return "since sockets ran out during the run (ulimit -n, or no local port left)";
    case CONNLIMIT_NONE:
    case CONNLIMIT_COUNT:
        break;
    }
    return NULL;
}

/* How many requests never left the client and what bounded its pool, as
 * sentences appended at buf + n. */
static size_t unsent_words(const result_t *r, char *buf, size_t n, size_t len)
{
    const runstats_t *rs = &r->stats;
    if (!rs->requests_unsent || n >= len)
        return n;
    if (r->interrupted)
        return n + (size_t)snprintf(buf + n, len - n,
                                    "%s%llu requests (%llu items) were still waiting for a "
                                    "connection when the run was interrupted: they count as "
                                    "timeouts, never sent.",
                                    n ? " " : "", (unsigned long long)rs->requests_unsent,
                                    (unsigned long long)rs->items_unsent);
    n += (size_t)snprintf(buf + n, len - n,
                          "%s%llu of %llu requests (%.0f%% of the items offered) never left it: "
                          "they waited for a connection until the run ended, and count as "
                          "timeouts.",
                          n ? " " : "", (unsigned long long)rs->requests_unsent,
                          (unsigned long long)rs->requests,
                          rs->items ? 100.0 * (double)rs->items_unsent / (double)rs->items : 0.0);
    const char *why = limit_words(rs->connections_limit_by);
    if (why && rs->connections_limit && n < len)
        n += (size_t)snprintf(buf + n, len - n,
                              " Every connection was busy: the pool was at its limit of %llu, %s.",
                              (unsigned long long)rs->connections_limit, why);
    return n;
}

void loadview_client_note(const result_t *r, const selfcheck_t *c, char *buf, size_t len)
{
    const runstats_t *rs = &r->stats;
    buf[0] = '\0';
    size_t n = 0;
    if (c->client_limited) {
        char why[600];
        selfcheck_describe(c, why, sizeof why);
        n = (size_t)snprintf(buf, len, "The client fell behind the schedule: %s.", why);
    } else if (rs->requests_unsent && !r->interrupted) {
        n = (size_t)snprintf(buf, len, "The client fell behind the schedule:");
    }
    unsent_words(r, buf, n, len);
}

void loadview_server_note(const result_t *r, const loadview_t *v, char *buf, size_t len)
{
    const runstats_t *rs = &r->stats;
    buf[0] = '\0';
    if (!loadview_server_behind(v))
        return;
    uint64_t failed = rs->requests - rs->requests_ok - rs->requests_unsent;
    if (failed)
        snprintf(buf, len,
                 "The server served %.1f items/s while it answered, of the %.1f/s sent to it, "
                 "and %llu requests failed (see the errors).",
                 v->steady_served_ips, v->sent_ips, (unsigned long long)failed);
    else
        snprintf(buf, len,
                 "The server fell behind: it served %.1f items/s while it answered, of the "
                 "%.1f/s sent to it.",
                 v->steady_served_ips, v->sent_ips);
}
