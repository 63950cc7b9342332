/* console — the run summary for the terminal. */
#include "output/console.h"

#include <math.h>
#include <string.h>

#include "core/parse.h"
#include "output/loadview.h"
#include "output/termchart.h"
#include "stats/hist.h"

static void print_ms(FILE *f, double v)
{
    if (!isfinite(v))
        fprintf(f, " %9s", "-");
    else if (v >= 100000)
        fprintf(f, " %9.0f", v);
    else
        fprintf(f, " %9.2f", v);
}

/* One row per latency metric the run has, connection metrics only when a
 * connection was timed (they have their own line below). */
static void latency_table(FILE *f, const result_t *r)
{
    fprintf(f, "\n  %-8s", "ms");
    for (int k = 0; k < METRIC_NUM_PCTS; k++)
        fprintf(f, " %9s", metric_pcts[k].label);
    fprintf(f, " %9s\n", "max");
    for (int m = 0; m < METRIC_COUNT; m++) {
        result_summary_t s;
        result_summary(r, (metric_id_t)m, &s);
        if (!s.present || (metric_table[m].per == METRIC_PER_CONNECTION))
            continue;
        fprintf(f, "  %-8s", metric_table[m].label);
        for (int k = 0; k < METRIC_NUM_PCTS; k++)
            print_ms(f, s.pct_ms[k]);
        print_ms(f, s.max_ms);
        fputc('\n', f);
    }
    fputc('\n', f);
}

/* A streamed run's tokens (how many, how fast) and, with --goodput, how
 * many requests were good. */
static void stream_lines(FILE *f, const result_t *r)
{
    const runstats_t *rs = &r->stats;
    if (!runstats_streamed(rs))
        return;
    runstats_stream_rates_t v = runstats_stream_rates(rs, result_duration_s(r));
    fprintf(f,
            "  tokens   %10llu out %10llu events %6.2f per event %10.1f tokens/s, busiest second "
            "%llu\n",
            (unsigned long long)rs->tokens_out, (unsigned long long)rs->chunks,
            rs->chunks ? (double)rs->tokens_out / (double)rs->chunks : 0.0,
            isnan(v.output_tokens_per_s) ? 0.0 : v.output_tokens_per_s,
            (unsigned long long)runstats_peak_tokens_second(rs));
    if (rs->requests_ok && !rs->chunks)
        fprintf(f,
                "           no answer carried a token: is the URL an LLM API (completions, chat, "
                "TGI) and does the body ask for a stream (\"stream\": true)?\n");
    else if (rs->requests_ok > hist_count(rs->hist[METRIC_TTFT]))
        fprintf(f,
                "           %llu of %llu answers carried no token: they have no ttft, and a "
                "ttft or e2el gate ranks them slowest\n",
                (unsigned long long)(rs->requests_ok - hist_count(rs->hist[METRIC_TTFT])),
                (unsigned long long)rs->requests_ok);
    if (rs->chunks && rs->tokens_estimated)
        fprintf(f,
                "           %llu of %llu answers carried no token count (usage): their tokens "
                "are their events\n",
                (unsigned long long)rs->tokens_estimated, (unsigned long long)rs->requests_ok);
    const char *spec = result_config_str(r, "goodput");
    if (spec && rs->requests)
        fprintf(f, "  goodput  %10.1f req/s met %s: %llu of %llu requests (%.1f%%)\n",
                isnan(v.goodput_per_s) ? 0.0 : v.goodput_per_s, spec,
                (unsigned long long)rs->requests_good, (unsigned long long)rs->requests,
                v.slo_attainment_pct);
}

static void status_line(FILE *f, const runstats_t *rs)
{
    bool any = false;
    for (int c = 0; c < RUNSTATS_STATUS_MAX; c++) {
        if (!rs->by_status[c])
            continue;
        fprintf(f, "%s", any ? ", " : "  status: ");
        /* 0 is where requests that got no answer are counted (refused, timed out) */
        if (c == 0)
            fprintf(f, "no response %llu", (unsigned long long)rs->by_status[c]);
        else
            fprintf(f, "%d %llu", c, (unsigned long long)rs->by_status[c]);
        any = true;
    }
    if (any)
        fputc('\n', f);
}

static void errors_line(FILE *f, const runstats_t *rs)
{
    bool any = false;
    for (int k = 1; k < ERR_KIND_COUNT; k++) {
        if (!rs->by_error[k])
            continue;
        fprintf(f, "%s%s %llu", any ? ", " : "  errors: ", err_kind_name((err_kind_t)k),
                (unsigned long long)rs->by_error[k]);
        any = true;
        /* ... and why: "invalid_response 12 (count 10, not_json 2)" */
        int n = 0;
        for (int w = 0; k == ERR_INVALID_RESPONSE && w < INVALID_REASON_COUNT; w++)
            if (rs->invalid_by_reason[w])
                fprintf(f, "%s%s %llu", n++ ? ", " : " (", invalid_reason_name((invalid_reason_t)w),
                        (unsigned long long)rs->invalid_by_reason[w]);
        if (n)
            fputc(')', f);
    }
    if (any)
        fputc('\n', f);
}

/* Whether items went to "/" because the URL had no path and no --api gave
 * one (a 404 there is the usual first run against a real server). */
static bool no_path(const result_t *r)
{
    const char *url = result_config_str(r, "url"), *api = result_config_str(r, "api");
    const char *host = url ? strstr(url, "://") : NULL;
    if (api || !host)
        return false;
    const char *path = strchr(host + 3, '/');
    return !path || path[1] == '\0' || path[1] == '?';
}

/* For each kind of failed answer, the first one: what the server sent and
 * why it did not count, and what to do when the shape was the problem. */
static void samples_lines(FILE *f, const result_t *r)
{
    const runstats_t *rs = &r->stats;
    bool shape = false;
    for (int k = 1; k < ERR_KIND_COUNT; k++) {
        const runstats_sample_t *s = &rs->sample[k];
        if (!s->set)
            continue;
        if (s->status) /* a tls failure has no status: no answer came */
            fprintf(f, "  first %s: request %llu, status %d%s%s\n", err_kind_name((err_kind_t)k),
                    (unsigned long long)s->request_id, s->status, s->reason[0] ? ": " : "",
                    s->reason);
        else
            fprintf(f, "  first %s: request %llu%s%s\n", err_kind_name((err_kind_t)k),
                    (unsigned long long)s->request_id, s->reason[0] ? ": " : "", s->reason);
        if (s->body_kept)
            fprintf(f, "    %s (%llu bytes): %s%s\n", k == ERR_STREAM ? "event" : "body",
                    (unsigned long long)s->body_bytes, s->body,
                    s->body_bytes > RUNSTATS_SAMPLE_BODY ? "..." : "");
        shape = shape || (k == ERR_INVALID_RESPONSE && s->status >= 200 && s->status <= 299);
        if (k == ERR_HTTP_4XX && s->status == 404 && no_path(r))
            fputs("  hint: the URL has no path, so requests went to /: give the API's path\n"
                  "  (http://host:port/v1/infer) or --api NAME, which supplies it\n",
                  f);
    }
    if (!shape)
        return;
    /* Name where this run looked, not the tailgate API's "outputs": a
     * streamed answer is judged by its events, the others at --outputs or
     * their --api's path. */
    const char *outputs = result_config_str(r, "outputs"), *api = result_config_str(r, "api");
    if (json_is_true(json_object_get(r->config, "stream")))
        fputs("  hint: every data: event of a stream must be JSON or [DONE]; --validate status\n"
              "  counts every 2xx answer as ok\n",
              f);
    else if (outputs)
        fprintf(f,
                "  hint: --validate outputs (the default) wants one output per input at --outputs\n"
                "  %s; --validate status counts every 2xx answer as ok\n",
                outputs);
    else if (api && strcmp(api, "tailgate") != 0)
        fprintf(
            f,
            "  hint: --validate outputs (the default) wants one output per input where --api %s\n"
            "  puts them (tailgate run --api help; --outputs PATH to look elsewhere); --validate\n"
            "  status counts every 2xx answer as ok\n",
            api);
    else
        fputs("  hint: --validate outputs (the default) wants a JSON object with an \"outputs\"\n"
              "  array, one output per input; --validate status counts every 2xx answer as ok\n",
              f);
}

/* Connection figures: how many were opened and what opening them cost. */
static void connections_line(FILE *f, const result_t *r)
{
    const runstats_t *rs = &r->stats;
    if (!rs->connections_opened)
        return;
    int p50 = metric_pct_index(50), p99 = metric_pct_index(99);
    result_summary_t c, t;
    result_summary(r, METRIC_CONNECT, &c);
    result_summary(r, METRIC_TLS, &t);
    const char *proto = result_config_str(r, "protocol");
    bool h2 = proto && (!strcmp(proto, "h2") || !strcmp(proto, "h2c"));
    int64_t streams = 0;
    fprintf(f, "  connections %llu opened", (unsigned long long)rs->connections_opened);
    if (h2 && result_config_int(r, "streams_per_connection", &streams))
        fprintf(f, " (HTTP/2, %s, up to %lld streams each)", proto, (long long)streams);
    fprintf(f, ", connect p50 %.2f ms p99 %.2f ms", c.pct_ms[p50], c.pct_ms[p99]);
    if (t.present && t.count > 0)
        fprintf(f, "; TLS %.0f handshakes p50 %.2f ms p99 %.2f ms, %llu resumed", t.count,
                t.pct_ms[p50], t.pct_ms[p99], (unsigned long long)rs->tls_resumed);
    if (rs->retried)
        fprintf(f,
                h2 ? "; %llu times a request the server never processed (GOAWAY, "
                     "REFUSED_STREAM) was sent again"
                   : "; %llu requests retried after a stale keep-alive connection closed",
                (unsigned long long)rs->retried);
    fputc('\n', f);
}

/* text after `indent` spaces, wrapped at word boundaries to `width` columns. */
static void print_wrapped(FILE *f, int indent, const char *text, int width, const char *on,
                          const char *off)
{
    fputs(on, f);
    while (*text) {
        int room = width - indent, n = (int)strlen(text);
        if (n > room) {
            n = room;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0)
                n = (int)strcspn(text, " ");
        }
        fprintf(f, "%*s%.*s\n", indent, "", n, text);
        text += n;
        while (*text == ' ')
            text++;
    }
    fputs(off, f);
}

/* Offered, sent and served side by side, the batch requests carried beside
 * the most they could; in an open loop the schedule against what the client
 * managed (stats/selfcheck.h); then which side fell behind, if one did, the
 * client's in one note with every figure that says so. */
static void load_lines(FILE *f, const result_t *r, const selfcheck_t *c, bool color)
{
    const char *yellow = color ? "\033[33m" : "", *red = color ? "\033[31m" : "",
               *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
    loadview_t v;
    loadview_read(r, &v);
    if (v.open)
        fprintf(f, "  load     offered %.1f items/s, sent %.1f/s (%.0f%%), served %.1f/s",
                v.offered_ips, isfinite(v.sent_ips) ? v.sent_ips : 0.0,
                isfinite(v.sent_share) ? 100 * v.sent_share : 0.0, v.served_ips);
    else if (v.users)
        fprintf(f, "  load     closed loop, %llu user%s: served %.1f items/s",
                (unsigned long long)v.users, v.users == 1 ? "" : "s", v.served_ips);
    else
        fprintf(f, "  load     served %.1f items/s", v.served_ips);
    if (v.max_batch > 1 && isfinite(v.mean_batch))
        fprintf(f, "; batches of %.1f items on average (--batch %lld at most)", v.mean_batch,
                (long long)v.max_batch);
    fputc('\n', f);
    if (c->checked) {
        char offered[32], sent[32];
        parse_format_number(c->offered_per_s, offered, sizeof offered);
        parse_format_number(c->send_per_s, sent, sizeof sent);
        fprintf(f, "  schedule %s items/s offered, send rate %s/s", offered, sent);
        if (isfinite(c->lag_p99_ms))
            fprintf(f, "; send lag p99 %.2f ms (limit %.2f ms)", c->lag_p99_ms, c->lag_limit_ms);
        if (c->waited_pct > 0)
            fprintf(f, "; %.1f%% waited for a connection", c->waited_pct);
        fputc('\n', f);
    }
    char note[1400];
    loadview_client_note(r, c, note, sizeof note);
    if (c->client_limited) {
        char advice[300];
        selfcheck_advice(c, advice, sizeof advice);
        fprintf(f,
                "  %s%sWARNING: client limited%s: these figures are the client's, not the "
                "server's.\n",
                bold, red, off);
        print_wrapped(f, 4, note, 100, "", "");
        fprintf(f, "    To measure the server: %s.\n", advice);
    } else if (note[0]) {
        print_wrapped(f, 2, note, 100, yellow, off);
    }
    loadview_server_note(r, &v, note, sizeof note);
    if (note[0])
        print_wrapped(f, 2, note, 100, yellow, off);
}

void console_print_item_chart(FILE *f, const result_t *r, const char *title, bool color, bool utf8)
{
    const hist_t *h = r->stats.hist[METRIC_ITEM];
    if (!h || hist_count(h) <= 1)
        return;
    termchart_opts_t o = {
        .utf8 = utf8, .color = color, .rows = 10, .width = 40, .title = title, .unit = "items"};
    termchart_hist(f, h, &o);
    fputc('\n', f);
}

static void sla_lines(FILE *f, const result_t *r, const selfcheck_t *c, bool color)
{
    const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "",
               *off = color ? "\033[0m" : "";
    for (size_t i = 0; i < r->nverdicts; i++) {
        const sla_verdict_t *v = &r->verdicts[i];
        char measured[32] = "-";
        if (isfinite(v->value))
            snprintf(measured, sizeof measured, "%.3f %s", v->value, sla_unit(&v->sla));
        fprintf(f, "  SLA %-22s measured %-18s %s%s%s%s%s%s%s\n", v->sla.text, measured,
                v->pass ? green : red, v->pass ? "PASS" : "FAIL", off, v->note[0] ? " (" : "",
                v->note, v->note[0] ? ")" : "",
                c->client_limited ? " [measured under a limited client]" : "");
    }
}

/* A part of a split run, or the merge of the parts. */
static void segment_line(FILE *f, const result_t *r)
{
    const result_segment_t *g = &r->segment;
    if (r->segment_count > 1) {
        fprintf(f, "  segment %u of %u", r->segment_index, r->segment_count);
        if (g->concurrency)
            fprintf(f, ": %llu of the users", (unsigned long long)g->concurrency);
        else
            fprintf(f, ": arrivals %u, %u, ... of the schedule", r->segment_index,
                    r->segment_index + r->segment_count);
    } else if (g->merged) {
        fprintf(f, "  merged from %u segments", g->merged);
        for (size_t i = 0; i < g->nlate; i++)
            fprintf(f, "%s%u", i ? ", " : "; late: ", g->late[i]);
    } else {
        return;
    }
    if (g->start_at_ns && g->late_ns)
        fprintf(f, "; began %.3f s after --start-at", (double)g->late_ns / 1e9);
    fputc('\n', f);
}

void console_print_summary(FILE *f, const result_t *r, bool color, bool utf8)
{
    const char *red = color ? "\033[31m" : "", *bold = color ? "\033[1m" : "",
               *off = color ? "\033[0m" : "";
    const runstats_t *rs = &r->stats;
    const char *url = r->target;
    double dur = result_duration_s(r);
    fprintf(f, "%stailgate%s %s  (%.2f s measured%s)\n", bold, off, url ? url : "", dur,
            r->interrupted ? ", interrupted" : "");
    if (json_is_true(json_object_get(r->config, "insecure")) && url && !strncmp(url, "https:", 6))
        fprintf(f, "  %s%sTLS verification DISABLED (--insecure)%s\n", bold, red, off);
    segment_line(f, r);
    uint64_t errors = rs->requests - rs->requests_ok;
    fprintf(f, "  requests %10llu total %10llu ok %8llu errors   %10.1f req/s ok",
            (unsigned long long)rs->requests, (unsigned long long)rs->requests_ok,
            (unsigned long long)errors, dur > 0 ? (double)rs->requests_ok / dur : 0.0);
    if (errors > 0)
        fprintf(f, " (%.1f issued)", dur > 0 ? (double)rs->requests / dur : 0.0);
    fprintf(f, "\n  items    %10llu total %10llu ok %17s %10.1f items/s ok\n",
            (unsigned long long)rs->items, (unsigned long long)rs->items_ok, "",
            dur > 0 ? (double)rs->items_ok / dur : 0.0);
    selfcheck_t check;
    result_selfcheck(r, &check);
    load_lines(f, r, &check, color);
    stream_lines(f, r);
    latency_table(f, r);
    console_print_item_chart(f, r, "  item latency", color, utf8);
    status_line(f, rs);
    errors_line(f, rs);
    samples_lines(f, r);
    connections_line(f, r);
    sla_lines(f, r, &check, color);
}
