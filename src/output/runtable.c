/* runtable — the summary and configuration tables of the HTML report. */
#include "output/runtable.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output/loadview.h"
#include "output/svg.h"

static char *fmt_count(char *buf, size_t len, double v)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.0f", v);
    return buf;
}

static void run_header_cells(FILE *f, const report_run_t *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "<th><span class=\"swatch\" style=\"background:%s\"></span>", runs[i].color);
        svg_escape(f, runs[i].label);
        fputs("</th>", f);
    }
}

static void group_row(FILE *f, const char *name, size_t ncols)
{
    fprintf(f, "<tr class=\"group\"><th colspan=\"%zu\">", ncols + 1);
    svg_escape(f, name);
    fputs("</th></tr>\n", f);
}

enum { V_COUNT, V_MS, V_RATE, V_SECONDS };

static void value_row(FILE *f, const char *name, const double *v, size_t n, int kind)
{
    char buf[64];
    fputs("<tr><td>", f);
    svg_escape(f, name);
    fputs("</td>", f);
    for (size_t i = 0; i < n; i++) {
        const char *s = kind == V_COUNT     ? fmt_count(buf, sizeof buf, v[i])
                        : kind == V_RATE    ? svg_fmt_fixed(buf, sizeof buf, v[i], 1)
                        : kind == V_SECONDS ? svg_fmt_fixed(buf, sizeof buf, v[i], 2)
                        : isfinite(v[i])    ? svg_fmt_num(buf, sizeof buf, v[i])
                                            : "-";
        fputs("<td>", f);
        svg_escape(f, s);
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

static void text_row(FILE *f, const char *name, const char *const *cells, size_t n)
{
    fputs("<tr><td>", f);
    svg_escape(f, name);
    fputs("</td>", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<td class=\"text\">", f);
        svg_escape(f, cells[i] && *cells[i] ? cells[i] : "-");
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

void runtable_describe_errors(const result_t *r, char *buf, size_t len)
{
    const runstats_t *rs = &r->stats;
    uint64_t errors = rs->requests - rs->requests_ok;
    size_t kinds = 0, off = 0;
    buf[0] = '\0';
    for (int k = 1; k < ERR_KIND_COUNT; k++)
        kinds += rs->by_error[k] > 0;
    for (int k = 1; k < ERR_KIND_COUNT && off < len; k++) {
        uint64_t c = rs->by_error[k];
        const char *name = err_kind_name((err_kind_t)k);
        if (!c)
            continue;
        if (kinds == 1 && c == errors)
            off += (size_t)snprintf(buf + off, len - off, "%s", name);
        else
            off += (size_t)snprintf(buf + off, len - off, "%s%s %llu", off ? ", " : "", name,
                                    (unsigned long long)c);
    }
}

/* "200: 990, 503: 10", "no response: 5"; "-" when there are none. */
static void describe_status(const result_t *r, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int c = 0; c < RUNSTATS_STATUS_MAX && off < len; c++)
        if (r->stats.by_status[c] && c == 0) /* requests that got no answer */
            off += (size_t)snprintf(buf + off, len - off, "%sno response: %llu", off ? ", " : "",
                                    (unsigned long long)r->stats.by_status[c]);
        else if (r->stats.by_status[c])
            off += (size_t)snprintf(buf + off, len - off, "%s%d: %llu", off ? ", " : "", c,
                                    (unsigned long long)r->stats.by_status[c]);
    if (!off)
        snprintf(buf, len, "-");
}

#define MAX_RUNS 16 /* columns beyond this are not drawn */

static void count_rows(FILE *f, const report_run_t *runs, size_t n)
{
    static const char *const names[] = {"total", "ok", "errors", "items total", "items ok"};
    double v[5][MAX_RUNS];
    for (size_t i = 0; i < n; i++) {
        const runstats_t *rs = &runs[i].r->stats;
        v[0][i] = (double)rs->requests;
        v[1][i] = (double)rs->requests_ok;
        v[2][i] = (double)(rs->requests - rs->requests_ok);
        v[3][i] = (double)rs->items;
        v[4][i] = (double)rs->items_ok;
    }
    group_row(f, "Requests", n);
    for (size_t k = 0; k < 5; k++)
        value_row(f, names[k], v[k], n, V_COUNT);
    /* zeroed: gcc cannot tell that n <= MAX_RUNS */
    double d[MAX_RUNS] = {0}, rps[MAX_RUNS] = {0}, ips[MAX_RUNS] = {0}, offered[MAX_RUNS] = {0},
           sent[MAX_RUNS] = {0};
    loadview_t lv[MAX_RUNS];
    for (size_t i = 0; i < n; i++) {
        const result_t *r = runs[i].r;
        d[i] = result_duration_s(r);
        rps[i] = d[i] > 0 ? (double)r->stats.requests_ok / d[i] : 0;
        ips[i] = d[i] > 0 ? (double)r->stats.items_ok / d[i] : 0;
        loadview_read(r, &lv[i]);
        offered[i] = lv[i].offered_ips;
        sent[i] = lv[i].sent_ips;
    }
    value_row(f, "measured for (s)", d, n, V_SECONDS);
    /* Offered, sent and served side by side: a shortfall and whose it is. */
    group_row(f, "Load and throughput", n);
    const char *cells[MAX_RUNS] = {0};
    char bufs[MAX_RUNS][96];
    for (size_t i = 0; i < n; i++) {
        if (lv[i].open)
            snprintf(bufs[i], sizeof bufs[i], "open loop");
        else if (lv[i].users)
            snprintf(bufs[i], sizeof bufs[i], "closed loop, %llu user%s",
                     (unsigned long long)lv[i].users, lv[i].users == 1 ? "" : "s");
        else
            bufs[i][0] = '\0';
        cells[i] = bufs[i];
    }
    text_row(f, "load", cells, n);
    value_row(f, "offered items/s", offered, n, V_RATE);
    value_row(f, "sent items/s", sent, n, V_RATE);
    value_row(f, "served items/s", ips, n, V_RATE);
    value_row(f, "served requests/s", rps, n, V_RATE);
    for (size_t i = 0; i < n; i++) {
        bufs[i][0] = '\0';
        if (isfinite(lv[i].mean_batch))
            snprintf(bufs[i], sizeof bufs[i], "%.1f items (--batch %lld at most)", lv[i].mean_batch,
                     (long long)(lv[i].max_batch ? lv[i].max_batch : 1));
        cells[i] = bufs[i];
    }
    text_row(f, "mean batch", cells, n);
    for (size_t i = 0; i < n; i++) {
        const runstats_t *rs = &runs[i].r->stats;
        const char *by = connlimit_name(rs->connections_limit_by);
        bufs[i][0] = '\0';
        if (by)
            snprintf(bufs[i], sizeof bufs[i], "%llu (%s), %llu opened",
                     (unsigned long long)rs->connections_limit, by,
                     (unsigned long long)rs->connections_opened);
        cells[i] = bufs[i];
    }
    text_row(f, "connection limit", cells, n);
}

/* A streamed run's tokens as the console summary states them: how many, how
 * fast over the measured span and in the busiest second, and with --goodput
 * the good requests. Drawn when any run streamed; "-" for one that did not. */
static void token_rows(FILE *f, const report_run_t *runs, size_t n)
{
    bool any = false, goodput = false;
    for (size_t i = 0; i < n; i++) {
        any = any || runstats_streamed(&runs[i].r->stats);
        goodput = goodput || result_config_str(runs[i].r, "goodput");
    }
    if (!any)
        return;
    double v[5][MAX_RUNS];
    for (size_t i = 0; i < n; i++) {
        const result_t *r = runs[i].r;
        const runstats_t *rs = &r->stats;
        bool on = runstats_streamed(rs), good = on && result_config_str(r, "goodput");
        runstats_stream_rates_t rate = runstats_stream_rates(rs, result_duration_s(r));
        v[0][i] = on ? (double)rs->tokens_out : NAN;
        v[1][i] = rate.output_tokens_per_s;
        v[2][i] = on ? (double)runstats_peak_tokens_second(rs) : NAN;
        v[3][i] = good ? rate.goodput_per_s : NAN;
        v[4][i] = good ? rate.slo_attainment_pct : NAN;
    }
    group_row(f, "Tokens", n);
    value_row(f, "output tokens", v[0], n, V_COUNT);
    value_row(f, "output tokens/s", v[1], n, V_RATE);
    value_row(f, "busiest second (tokens)", v[2], n, V_COUNT);
    if (goodput) {
        value_row(f, "goodput (good requests/s)", v[3], n, V_RATE);
        value_row(f, "slo attainment (%)", v[4], n, V_RATE);
    }
}

/* Every latency metric any run measured (per-connection ones aside): its
 * percentiles, max, mean and stdev. */
static void latency_rows(FILE *f, const report_run_t *runs, size_t n)
{
    for (int m = 0; m < METRIC_COUNT; m++) {
        if (metric_table[m].per == METRIC_PER_CONNECTION)
            continue;
        result_summary_t s[MAX_RUNS];
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            result_summary(runs[i].r, (metric_id_t)m, &s[i]);
            any = any || s[i].present;
        }
        if (!any)
            continue;
        char title[200];
        snprintf(title, sizeof title, "%s (%s)", metric_table[m].help, metric_table[m].unit);
        group_row(f, title, n);
        double v[MAX_RUNS];
        for (int k = 0; k < METRIC_NUM_PCTS; k++) {
            for (size_t i = 0; i < n; i++)
                v[i] = s[i].present ? s[i].pct_ms[k] : NAN;
            value_row(f, metric_pcts[k].label, v, n, V_MS);
        }
        static const char *const more[] = {"max", "mean", "stdev"};
        for (size_t k = 0; k < 3; k++) {
            for (size_t i = 0; i < n; i++)
                v[i] = !s[i].present ? NAN
                       : k == 0      ? s[i].max_ms
                       : k == 1      ? s[i].mean_ms
                                     : s[i].stdev_ms;
            value_row(f, more[k], v, n, V_MS);
        }
    }
}

void runtable_summary(FILE *f, const report_run_t *runs, size_t n)
{
    if (n > MAX_RUNS)
        n = MAX_RUNS;
    fputs("<table id=\"summary\"><thead><tr><th></th>", f);
    run_header_cells(f, runs, n);
    fputs("</tr></thead><tbody>\n", f);
    count_rows(f, runs, n);
    token_rows(f, runs, n);
    latency_rows(f, runs, n);
    group_row(f, "Outcomes", n);
    const char *cells[MAX_RUNS] = {0}; /* all set before use; gcc cannot tell */
    char bufs[MAX_RUNS][512];
    for (size_t i = 0; i < n; i++) {
        const runstats_t *rs = &runs[i].r->stats;
        if (rs->requests > 0)
            snprintf(bufs[i], sizeof bufs[i], "%.2f%%",
                     (double)(rs->requests - rs->requests_ok) / (double)rs->requests * 100);
        else
            snprintf(bufs[i], sizeof bufs[i], "-");
        cells[i] = bufs[i];
    }
    text_row(f, "error rate", cells, n);
    for (size_t i = 0; i < n; i++)
        runtable_describe_errors(runs[i].r, bufs[i], sizeof bufs[i]), cells[i] = bufs[i];
    text_row(f, "errors by kind", cells, n);
    for (size_t i = 0; i < n; i++)
        describe_status(runs[i].r, bufs[i], sizeof bufs[i]), cells[i] = bufs[i];
    text_row(f, "HTTP status", cells, n);
    for (size_t i = 0; i < n; i++) {
        bufs[i][0] = '\0';
        if (runs[i].r->started_wall_ns)
            result_started_at(runs[i].r, bufs[i], sizeof bufs[i]);
        cells[i] = bufs[i];
    }
    text_row(f, "started at", cells, n);
    for (size_t i = 0; i < n; i++)
        cells[i] = runs[i].r->interrupted ? "yes" : "no";
    text_row(f, "interrupted", cells, n);
    for (size_t i = 0; i < n; i++)
        cells[i] = runs[i].r->inputs_digest;
    text_row(f, "inputs digest", cells, n);
    fputs("</tbody></table>\n", f);
}

void runtable_config(FILE *f, const report_run_t *runs, size_t n)
{
    const char *keys[64];
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key;
        json_t *v;
        json_object_foreach(runs[i].r->config, key, v)
        {
            size_t k = 0;
            while (k < nk && strcmp(keys[k], key))
                k++;
            if (k == nk && nk < 64)
                keys[nk++] = key;
        }
    }
    if (!nk) {
        fputs("<p>The result files hold no configuration.</p>\n", f);
        return;
    }
    fputs("<table id=\"config\"><thead><tr><th>option</th>", f);
    run_header_cells(f, runs, n);
    fputs("</tr></thead><tbody>\n", f);
    for (size_t k = 0; k < nk; k++) {
        fputs("<tr><td>", f);
        svg_escape(f, keys[k]);
        fputs("</td>", f);
        for (size_t i = 0; i < n; i++) {
            const json_t *v = json_object_get(runs[i].r->config, keys[k]);
            fputs("<td class=\"text\">", f);
            if (!v || json_is_null(v)) {
                fputs("-", f);
            } else if (json_is_string(v)) {
                svg_escape(f, json_string_value(v));
            } else {
                char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                if (s && strlen(s) > 300)
                    strcpy(s + 296, "...");
                svg_escape(f, s ? s : "?");
                free(s);
            }
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}
