/* runtable — the summary and configuration tables of the HTML report. */
#include "output/runtable.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/resdoc.h"
#include "output/svg.h"

static char *fmt_count(char *buf, size_t len, double v)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.0f", v);
    return buf;
}

static void run_header_cells(FILE *f, const run_t *runs, size_t n)
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

static void value_row(FILE *f, const char *name, const run_t *runs, size_t n, const char *path,
                      int kind)
{
    char buf[64];
    fputs("<tr><td>", f);
    svg_escape(f, name);
    fputs("</td>", f);
    for (size_t i = 0; i < n; i++) {
        double v = resdoc_num(runs[i].j, path);
        const char *s = kind == V_COUNT     ? fmt_count(buf, sizeof buf, v)
                        : kind == V_RATE    ? svg_fmt_fixed(buf, sizeof buf, v, 1)
                        : kind == V_SECONDS ? svg_fmt_fixed(buf, sizeof buf, v, 2)
                        : isfinite(v)       ? svg_fmt_num(buf, sizeof buf, v)
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

void runtable_summary(FILE *f, const run_t *runs, size_t n)
{
    static const struct {
        const char *group; /* starts a group when set */
        const char *name, *path;
        int kind;
    } rows[] = {
        {"Requests", "total", "requests.total", V_COUNT},
        {NULL, "ok", "requests.ok", V_COUNT},
        {NULL, "errors", "requests.errors", V_COUNT},
        {NULL, "items total", "items.total", V_COUNT},
        {NULL, "items ok", "items.ok", V_COUNT},
        {NULL, "measured for (s)", "duration_s", V_SECONDS},
        {"Throughput", "requests/s", "throughput.requests_per_s", V_RATE},
        {NULL, "items/s", "throughput.items_per_s", V_RATE},
        {"Item latency (ms)", "p50", "latency_ms.item.p50", V_MS},
        {NULL, "p90", "latency_ms.item.p90", V_MS},
        {NULL, "p95", "latency_ms.item.p95", V_MS},
        {NULL, "p99", "latency_ms.item.p99", V_MS},
        {NULL, "p99.9", "latency_ms.item.p99_9", V_MS},
        {NULL, "max", "latency_ms.item.max", V_MS},
        {NULL, "mean", "latency_ms.item.mean", V_MS},
        {NULL, "stdev", "latency_ms.item.stdev", V_MS},
        {"Request latency (ms)", "p50", "latency_ms.request.p50", V_MS},
        {NULL, "p95", "latency_ms.request.p95", V_MS},
        {NULL, "p99", "latency_ms.request.p99", V_MS},
        {NULL, "max", "latency_ms.request.max", V_MS},
        {"Service time (ms, first byte written to response complete)", "p50",
         "latency_ms.service.p50", V_MS},
        {NULL, "p95", "latency_ms.service.p95", V_MS},
        {NULL, "p99", "latency_ms.service.p99", V_MS},
    };
    fputs("<table id=\"summary\"><thead><tr><th></th>", f);
    run_header_cells(f, runs, n);
    fputs("</tr></thead><tbody>\n", f);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].group)
            group_row(f, rows[i].group, n);
        value_row(f, rows[i].name, runs, n, rows[i].path, rows[i].kind);
    }
    group_row(f, "Outcomes", n);
    const char *cells[16] = {0}; /* all set before use; gcc cannot tell */
    char bufs[16][512];
    size_t m = n < 16 ? n : 16;
    for (size_t i = 0; i < m; i++) {
        char rate[32] = "";
        if (runs[i].total > 0)
            snprintf(rate, sizeof rate, "%.2f%%", runs[i].errors / runs[i].total * 100);
        snprintf(bufs[i], sizeof bufs[i], "%s", runs[i].total > 0 ? rate : "-");
        cells[i] = bufs[i];
    }
    text_row(f, "error rate", cells, m);
    for (size_t i = 0; i < m; i++)
        resdoc_describe_errors(runs[i].j, bufs[i], sizeof bufs[i]), cells[i] = bufs[i];
    text_row(f, "errors by kind", cells, m);
    for (size_t i = 0; i < m; i++)
        resdoc_describe_counts(resdoc_get(runs[i].j, "requests.by_status"), bufs[i],
                               sizeof bufs[i]),
            cells[i] = bufs[i];
    text_row(f, "HTTP status", cells, m);
    for (size_t i = 0; i < m; i++)
        cells[i] = resdoc_str(runs[i].j, "started_at");
    text_row(f, "started at", cells, m);
    for (size_t i = 0; i < m; i++)
        cells[i] = json_is_true(resdoc_get(runs[i].j, "interrupted")) ? "yes" : "no";
    text_row(f, "interrupted", cells, m);
    for (size_t i = 0; i < m; i++)
        cells[i] = resdoc_str(runs[i].j, "inputs_digest");
    text_row(f, "inputs digest", cells, m);
    fputs("</tbody></table>\n", f);
}

void runtable_config(FILE *f, const run_t *runs, size_t n)
{
    const char *keys[64];
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)resdoc_get(runs[i].j, "config"), key, v)
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
            const json_t *v = json_object_get(resdoc_get(runs[i].j, "config"), keys[k]);
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
