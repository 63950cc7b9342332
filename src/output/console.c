/* console — the run summary for the terminal. */
#include "output/console.h"

#include <math.h>
#include <string.h>

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

static void status_line(FILE *f, const runstats_t *rs)
{
    bool any = false;
    for (int c = 0; c < RUNSTATS_STATUS_MAX; c++) {
        if (!rs->by_status[c])
            continue;
        fprintf(f, "%s%d %llu", any ? ", " : "  status: ", c, (unsigned long long)rs->by_status[c]);
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
    }
    if (any)
        fputc('\n', f);
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
    fprintf(f, "  connections %llu opened, connect p50 %.2f ms p99 %.2f ms",
            (unsigned long long)rs->connections_opened, c.pct_ms[p50], c.pct_ms[p99]);
    if (t.present && t.count > 0)
        fprintf(f, "; TLS %.0f handshakes p50 %.2f ms p99 %.2f ms, %llu resumed", t.count,
                t.pct_ms[p50], t.pct_ms[p99], (unsigned long long)rs->tls_resumed);
    if (rs->retried)
        fprintf(f, "; %llu requests retried after a stale keep-alive connection closed",
                (unsigned long long)rs->retried);
    fputc('\n', f);
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

static void sla_lines(FILE *f, const result_t *r, bool color)
{
    const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "",
               *off = color ? "\033[0m" : "";
    for (size_t i = 0; i < r->nverdicts; i++) {
        const sla_verdict_t *v = &r->verdicts[i];
        char measured[32] = "-";
        if (isfinite(v->value))
            snprintf(measured, sizeof measured, "%.3f %s", v->value, sla_unit(&v->sla));
        fprintf(f, "  SLA %-22s measured %-18s %s%s%s%s%s%s\n", v->sla.text, measured,
                v->pass ? green : red, v->pass ? "PASS" : "FAIL", off, v->note[0] ? " (" : "",
                v->note, v->note[0] ? ")" : "");
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
    latency_table(f, r);
    console_print_item_chart(f, r, "  item latency", color, utf8);
    status_line(f, rs);
    errors_line(f, rs);
    connections_line(f, r);
    sla_lines(f, r, color);
}
