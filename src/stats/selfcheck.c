/* selfcheck — the rules in selfcheck.h, and their words. */
#include "stats/selfcheck.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"
#include "stats/hist.h"

void selfcheck_judge(const runstats_t *rs, double offered_per_s, uint64_t connections,
                     unsigned streams, selfcheck_t *out)
{
    memset(out, 0, sizeof *out);
    out->offered_per_s = offered_per_s;
    out->connections = connections;
    out->streams = streams ? streams : 1;
    out->send_per_s = out->lag_p99_ms = out->service_min_ms = out->pool_per_s =
        out->needed_connections = out->interval_ms = out->lag_limit_ms = NAN;
    if (!(offered_per_s > 0) || rs->requests == 0 || rs->items == 0)
        return;
    out->checked = true;
    /* The schedule's requests: items/s over the items a request carried. */
    double req_per_s = offered_per_s * (double)rs->requests / (double)rs->items;
    double interval_s = 1 / req_per_s;
    out->interval_ms = interval_s * 1e3;
    out->lag_limit_ms = fmax(SELFCHECK_LAG_FLOOR_MS, SELFCHECK_LAG_SHARE * out->interval_ms);
    const hist_t *lag = rs->hist[METRIC_SEND_LAG];
    if (lag && hist_count(lag) > 0) {
        out->lag_p99_ms = (double)hist_percentile(lag, 99) / 1e6;
        if (out->lag_p99_ms > out->lag_limit_ms && hist_count(lag) >= SELFCHECK_LAG_MIN_COUNT)
            out->why |= SELFCHECK_SEND_LAG;
    }
    /* Each request owns one interval of the schedule: a run of N requests
     * spans last_intended + interval, and was sent over last_sent + interval
     * (a one-request run is not "infinitely late" by a few microseconds). */
    double share = fmin(1, (double)rs->sent_items / (double)rs->items);
    double planned = (double)rs->last_intended_ns / 1e9 + interval_s,
           took = (double)rs->last_sent_ns / 1e9 + interval_s;
    out->send_per_s = offered_per_s * share * fmin(1, planned / took);
    out->waited_pct = rs->sent_requests
                          ? 100 * fmin(1, (double)rs->waited_requests / (double)rs->sent_requests)
                          : 0;
    const hist_t *svc = rs->hist[METRIC_SERVICE];
    if (svc && hist_count(svc) > 0) {
        double min_s = (double)hist_min(svc) / 1e9;
        out->service_min_ms = min_s * 1e3;
        out->needed_connections = req_per_s * min_s / out->streams;
        if (connections && min_s > 0)
            out->pool_per_s = (double)connections * out->streams / min_s;
    }
    if (out->send_per_s < SELFCHECK_RATE_SHARE * offered_per_s) {
        if (rs->waited_requests == 0)
            out->why |= SELFCHECK_SEND_RATE;
        else if (connections == 0 || out->pool_per_s < req_per_s)
            out->why |= SELFCHECK_CONNECTIONS; /* sockets ran out, or too few asked for */
        /* else: the pool was large enough at the server's best speed: the
         * server held the connections (its shortfall, not the client's). */
    }
    out->client_limited = out->why != 0;
}

void selfcheck_describe(const selfcheck_t *c, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    if (!c->client_limited)
        return;
    if (c->why & SELFCHECK_SEND_LAG)
        n += (size_t)snprintf(buf + n, len - n,
                              "send lag p99 %.2f ms > %.2f ms (max of 1 ms and 10%% of the "
                              "%.2f ms interval)",
                              c->lag_p99_ms, c->lag_limit_ms, c->interval_ms);
    char sent[32], offered[32];
    parse_format_number(c->send_per_s, sent, sizeof sent);
    parse_format_number(c->offered_per_s, offered, sizeof offered);
    if (n < len && (c->why & (SELFCHECK_SEND_RATE | SELFCHECK_CONNECTIONS)))
        n += (size_t)snprintf(buf + n, len - n, "%ssent %s of %s items/s offered (%.1f%%)",
                              n ? "; " : "", sent, offered, 100 * c->send_per_s / c->offered_per_s);
    if (n < len && (c->why & SELFCHECK_CONNECTIONS)) {
        if (c->connections && isfinite(c->pool_per_s)) {
            char of[48] = "";
            if (c->streams > 1)
                snprintf(of, sizeof of, " of %u streams", c->streams);
            char most[32];
            parse_format_number(c->pool_per_s, most, sizeof most);
            snprintf(buf + n, len - n,
                     "; %.0f%% of requests waited for a connection: %llu connection%s%s "
                     "carr%s at most %s requests/s at the fastest service time seen (%.2f ms)",
                     c->waited_pct, (unsigned long long)c->connections,
                     c->connections == 1 ? "" : "s", of, c->connections == 1 ? "ies" : "y", most,
                     c->service_min_ms);
        } else
            snprintf(buf + n, len - n,
                     "; %.0f%% of requests waited for a connection (sockets ran out)",
                     c->waited_pct);
    }
}

void selfcheck_advice(const selfcheck_t *c, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    if (!c->client_limited)
        return;
    if (c->why & (SELFCHECK_SEND_LAG | SELFCHECK_SEND_RATE))
        n += (size_t)snprintf(buf + n, len - n,
                              "give the client more --threads (or a machine of its own)");
    if (n < len && (c->why & SELFCHECK_CONNECTIONS)) {
        if (c->connections && isfinite(c->needed_connections))
            snprintf(buf + n, len - n,
                     "%sraise --connections to %.0f or more (the offered requests/s times the "
                     "fastest service time, and a quarter more), or 0 for unlimited",
                     n ? "; " : "", ceil(c->needed_connections * 1.25));
        else
            snprintf(buf + n, len - n, "%sraise 'ulimit -n' (sockets ran out)", n ? "; " : "");
    }
}
