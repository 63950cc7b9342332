#include "output/result.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/version.h"

static json_t *ms_or_null(const hist_t *h, double v_ns)
{
    return hist_count(h) ? json_real(v_ns / 1e6) : json_null();
}

const result_pct_t result_pcts[RESULT_NUM_PCTS] = {{"p50", 50},      {"p75", 75}, {"p90", 90},
                                                   {"p95", 95},      {"p99", 99}, {"p99_9", 99.9},
                                                   {"p99_99", 99.99}};

json_t *result_latency_summary(const hist_t *h)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < RESULT_NUM_PCTS; i++)
        json_object_set_new(o, result_pcts[i].key,
                            ms_or_null(h, (double)hist_percentile(h, result_pcts[i].p)));
    json_object_set_new(o, "min", ms_or_null(h, (double)hist_min(h)));
    json_object_set_new(o, "max", ms_or_null(h, (double)hist_max(h)));
    json_object_set_new(o, "mean", ms_or_null(h, hist_mean(h)));
    json_object_set_new(o, "stdev", ms_or_null(h, hist_stdev(h)));
    json_object_set_new(o, "count", json_integer((json_int_t)hist_count(h)));
    return o;
}

json_t *result_sla_array(const sla_t *slas, size_t n, const runstats_t *rs, double duration_s,
                         bool *all_pass)
{
    json_t *arr = json_array();
    *all_pass = true;
    for (size_t i = 0; i < n; i++) {
        bool ok;
        json_array_append_new(arr, sla_judge_json(&slas[i], rs, duration_s, &ok));
        *all_pass = *all_pass && ok;
    }
    return arr;
}

static void iso8601(uint64_t wall_ns, char *buf, size_t len)
{
    time_t secs = (time_t)(wall_ns / CLOCK_NS_PER_S);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03uZ", (unsigned)(wall_ns % CLOCK_NS_PER_S / CLOCK_NS_PER_MS));
}

static json_t *by_status(const runstats_t *rs)
{
    json_t *o = json_object();
    char key[8];
    for (int s = 0; s < RUNSTATS_STATUS_MAX; s++) {
        if (!rs->by_status[s])
            continue;
        snprintf(key, sizeof key, "%d", s);
        json_object_set_new(o, key, json_integer((json_int_t)rs->by_status[s]));
    }
    return o;
}

static json_t *by_error(const runstats_t *rs)
{
    json_t *o = json_object();
    for (int k = 1; k < ERR_KIND_COUNT; k++)
        if (rs->by_error[k])
            json_object_set_new(o, err_kind_name((err_kind_t)k),
                                json_integer((json_int_t)rs->by_error[k]));
    return o;
}

static json_t *timeline(const runstats_t *rs)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < rs->nseconds; i++) {
        const runstats_second_t *s = &rs->seconds[i];
        json_t *o = json_pack("{s:I,s:I,s:I,s:I}", "second", (json_int_t)i, "requests",
                              (json_int_t)s->requests, "errors", (json_int_t)s->errors, "items",
                              (json_int_t)s->items);
        static const char *const keys[] = {"p50", "p95", "p99"};
        static const double pcts[] = {50, 95, 99};
        uint64_t v[3];
        bool have = runstats_second_percentiles(rs, i, pcts, v, 3);
        for (size_t k = 0; k < 3; k++)
            json_object_set_new(o, keys[k], have ? json_real((double)v[k] / 1e6) : json_null());
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *connections(const runstats_t *rs)
{
    json_t *o = json_object();
    json_object_set_new(o, "opened", json_integer((json_int_t)rs->connections_opened));
    const struct {
        const char *key;
        const hist_t *h;
    } hs[] = {{"connect_ms", rs->connect}, {"tls_handshake_ms", rs->tls}};
    for (size_t i = 0; i < 2; i++) {
        const hist_t *h = hs[i].h;
        if (!h)
            continue;
        json_object_set_new(o, hs[i].key,
                            json_pack("{s:I,s:o,s:o}", "count", (json_int_t)hist_count(h), "p50",
                                      ms_or_null(h, (double)hist_percentile(h, 50)), "p99",
                                      ms_or_null(h, (double)hist_percentile(h, 99))));
    }
    json_object_set_new(o, "tls_resumed", json_integer((json_int_t)rs->tls_resumed));
    json_object_set_new(o, "retried", json_integer((json_int_t)rs->retried));
    return o;
}

static double per_s(uint64_t n, double dur_s)
{
    return dur_s > 0 ? (double)n / dur_s : 0.0;
}

json_t *result_build(const result_input_t *in)
{
    const runstats_t *rs = in->stats;
    double dur_s = (double)in->duration_ns / 1e9;
    char started[40];
    iso8601(in->started_wall_ns, started, sizeof started);
    uint64_t errors = rs->requests - rs->requests_ok;
    bool pass = true;
    json_t *sla = result_sla_array(in->slas, in->num_slas, rs, dur_s, &pass);

    json_t *latency = json_pack("{s:o,s:o,s:o}", "item", result_latency_summary(rs->item),
                                "request", result_latency_summary(rs->request), "service",
                                result_latency_summary(rs->service));
    json_t *hists = json_pack("{s:o,s:o,s:o}", "item", hist_to_json(rs->item), "request",
                              hist_to_json(rs->request), "service", hist_to_json(rs->service));
    json_t *o = json_pack(
        "{s:s,s:s,s:O,s:s,s:f,"
        "s:{s:I,s:I,s:I,s:o,s:o},s:{s:I,s:I},s:{s:f,s:f,s:f,s:f},s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b}",
        "tool", "tailgate", "version", TAILGATE_VERSION, "config", in->config, "started_at",
        started, "duration_s", dur_s, /* */
        "requests", "total", (json_int_t)rs->requests, "ok", (json_int_t)rs->requests_ok, "errors",
        (json_int_t)errors, "by_status", by_status(rs), "by_error", by_error(rs), /* */
        "items", "total", (json_int_t)rs->items, "ok", (json_int_t)rs->items_ok,  /* */
        /* What was served (as the rps/ips SLAs judge it), and what was issued. */
        "throughput", "requests_per_s", per_s(rs->requests_ok, dur_s), "items_per_s",
        per_s(rs->items_ok, dur_s), "issued_requests_per_s", per_s(rs->requests, dur_s),
        "issued_items_per_s", per_s(rs->items, dur_s), /* */
        "latency_ms", latency, "connections", connections(rs), "inputs_digest",
        in->inputs_digest ? json_string(in->inputs_digest) : json_null(), "timeline", timeline(rs),
        "histogram", hists, "sla", sla, "sla_pass", pass, "interrupted", in->interrupted);
    return o;
}

int result_write_file(const json_t *j, const char *path, char *err, size_t errlen)
{
    if (!strcmp(path, "-")) {
        int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (rc == 0 && (fputc('\n', stdout) == EOF || fflush(stdout) == EOF))
            rc = -1;
        if (rc) {
            snprintf(err, errlen, "writing to standard output failed: %s", strerror(errno));
            return errno ? errno : EIO;
        }
        return 0;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
        return e;
    }
    int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    if (rc == 0)
        rc = fputc('\n', f) == EOF ? -1 : 0;
    if (fclose(f) != 0 || rc != 0) {
        int e = errno ? errno : EIO;
        snprintf(err, errlen, "writing '%s' failed: %s", path, strerror(e));
        return e;
    }
    return 0;
}
