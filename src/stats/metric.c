/* metric — the metric table and the one list of reported percentiles. */
#include "stats/metric.h"

#include <math.h>
#include <string.h>

const metric_t metric_table[METRIC_COUNT] = {
    [METRIC_ITEM] = {METRIC_ITEM, "item", "item", "ms", METRIC_PER_ITEM, true, true,
                     "item latency: from the moment an item should have been sent to the end "
                     "of the response that carried it",
                     .streamed = false},
    [METRIC_REQUEST] = {METRIC_REQUEST, "request", "request", "ms", METRIC_PER_REQUEST, false, true,
                        "request latency: from the moment a request should have been sent to the "
                        "end of its response",
                        .streamed = false},
    [METRIC_SERVICE] = {METRIC_SERVICE, "service", "service", "ms", METRIC_PER_REQUEST, false,
                        false,
                        "service time: from the first byte written to the end of the response",
                        .streamed = false},
    [METRIC_CONNECT] = {METRIC_CONNECT, "connect", "connect", "ms", METRIC_PER_CONNECTION, false,
                        false, "TCP connect time of each new connection", .streamed = false},
    [METRIC_TLS] = {METRIC_TLS, "tls", "TLS handshake", "ms", METRIC_PER_CONNECTION, false, false,
                    "TLS handshake time of each new connection", .streamed = false},
    /* The streaming metrics, as vLLM names them. Failed requests are not
     * recorded (a gate ranks them slowest), but for itl: its gaps are
     * recorded as they arrive, so a request that fails later keeps them. */
    [METRIC_TTFT] = {METRIC_TTFT, "ttft", "ttft", "ms", METRIC_PER_REQUEST, false, true,
                     "time to first token: from the moment a request should have been sent to "
                     "its first token-bearing event",
                     .streamed = true, .first_token = true},
    [METRIC_TTFT_SERVICE] = {METRIC_TTFT_SERVICE, "ttft_service", "ttft svc", "ms",
                             METRIC_PER_REQUEST, false, false,
                             "time to first token from the first byte written", .streamed = true,
                             .first_token = true},
    [METRIC_TPOT] = {METRIC_TPOT, "tpot", "tpot", "ms", METRIC_PER_REQUEST, false, true,
                     "time per output token after the first: (last - first token event) / "
                     "(output tokens - 1), for 2 or more tokens in 2 or more events",
                     .streamed = true},
    [METRIC_ITL] = {METRIC_ITL, "itl", "itl", "ms", METRIC_PER_REQUEST, false, true,
                    "inter-token latency: every gap between two token-bearing events, over "
                    "all requests",
                    .streamed = true},
    [METRIC_E2EL] = {METRIC_E2EL, "e2el", "e2el", "ms", METRIC_PER_REQUEST, false, true,
                     "end-to-end latency: from the moment a request should have been sent to "
                     "its last token-bearing event",
                     .streamed = true, .first_token = true},
    [METRIC_SEND_LAG] = {METRIC_SEND_LAG, "send_lag", "send lag", "ms", METRIC_PER_REQUEST, false,
                         false,
                         "send lag: how late the client sent each request that had a free "
                         "connection, after its intended time (open loop; the self-check)",
                         .streamed = false},
};

const metric_pct_t metric_pcts[METRIC_NUM_PCTS] = {
    {"p50", "p50", 50, METRIC_PCT_BRIEF | METRIC_PCT_HEADLINE},
    {"p75", "p75", 75, 0},
    {"p90", "p90", 90, METRIC_PCT_HEADLINE},
    {"p95", "p95", 95, METRIC_PCT_BRIEF | METRIC_PCT_HEADLINE},
    {"p99", "p99", 99, METRIC_PCT_BRIEF | METRIC_PCT_HEADLINE},
    {"p99_9", "p99.9", 99.9, 0},
    {"p99_99", "p99.99", 99.99, 0},
};

const char *metric_per_noun(metric_per_t per)
{
    switch (per) {
    case METRIC_PER_ITEM:
        return "items";
    case METRIC_PER_REQUEST:
        return "requests";
    case METRIC_PER_CONNECTION:
        return "connections";
    }
    return "values";
}

const metric_t *metric_by_key(const char *key, size_t len)
{
    for (int m = 0; m < METRIC_COUNT; m++)
        if (strlen(metric_table[m].key) == len && !memcmp(metric_table[m].key, key, len))
            return &metric_table[m];
    return NULL;
}

int metric_pct_index(double p)
{
    for (int i = 0; i < METRIC_NUM_PCTS; i++)
        if (fabs(metric_pcts[i].p - p) < 1e-9)
            return i;
    return -1;
}
