/* cmpview — the comparison part of the HTML report. */
#include "output/cmpview.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "output/resdoc.h"
#include "output/svg.h"

void cmpview_head(FILE *f, const json_t *c, const chart_sla_t *lines, size_t nlines)
{
    char buf[64], buf2[64], verdict[160] = "";
    const json_t *sla = resdoc_get(c, "sla");
    size_t ns = json_array_size(sla);
    bool pass = json_is_true(resdoc_get(c, "sla_pass"));
    fputs("<section id=\"comparison\">\n<h2>Baseline vs optimized</h2>\n", f);
    if (ns) {
        if (ns == 1)
            snprintf(verdict, sizeof verdict, "%s: %s",
                     resdoc_str(json_array_get(sla, 0), "expr")
                         ? resdoc_str(json_array_get(sla, 0), "expr")
                         : "SLA",
                     pass ? "PASS" : "FAIL");
        else
            snprintf(verdict, sizeof verdict, "SLA: %s", pass ? "PASS" : "FAIL");
        fprintf(f, "<div class=\"verdict %s\">", pass ? "pass" : "fail");
        svg_escapef(f, "optimized %s", verdict);
        fputs("<small>", f);
        for (size_t i = 0; i < ns; i++) {
            const json_t *s = json_array_get(sla, i);
            double v = resdoc_num(s, "value");
            svg_escapef(f, "%s%s: measured %s %s (%s)", i ? " \xc2\xb7 " : "",
                        resdoc_str(s, "expr") ? resdoc_str(s, "expr") : "?",
                        isfinite(v) ? svg_fmt_num(buf, sizeof buf, v) : "-",
                        resdoc_str(s, "unit") ? resdoc_str(s, "unit") : "",
                        json_is_true(resdoc_get(s, "pass")) ? "pass" : "fail");
        }
        fputs("</small></div>\n", f);
    }
    double d95 = resdoc_num(c, "delta.p95_pct"), dips = resdoc_num(c, "delta.items_per_s_pct");
    fputs("<div class=\"verdict none\">", f);
    svg_escapef(f, "p95 %s%s%% \xc2\xb7 items/s %s%s%%", isfinite(d95) && d95 > 0 ? "+" : "",
                isfinite(d95) ? svg_fmt_fixed(buf, sizeof buf, d95, 1) : "-",
                isfinite(dips) && dips > 0 ? "+" : "",
                isfinite(dips) ? svg_fmt_fixed(buf2, sizeof buf2, dips, 1) : "-");
    fputs("</div>\n", f);
    if (resdoc_get(c, "inputs_identical") && !json_is_true(resdoc_get(c, "inputs_identical")))
        fputs("<p class=\"note bad\">The two runs did not send the same inputs (their digests "
              "differ): this comparison is not like for like.</p>\n",
              f);

    chart_bar_group_t g[3] = {
        {"p50", resdoc_num(c, "baseline.p50_ms"), resdoc_num(c, "optimized.p50_ms"),
         resdoc_num(c, "delta.p50_pct")},
        {"p95", resdoc_num(c, "baseline.p95_ms"), resdoc_num(c, "optimized.p95_ms"),
         resdoc_num(c, "delta.p95_pct")},
        {"p99", resdoc_num(c, "baseline.p99_ms"), resdoc_num(c, "optimized.p99_ms"),
         resdoc_num(c, "delta.p99_pct")},
    };
    chart_comparison(f, "baseline", "optimized", g, 3, lines, nlines, ns ? verdict : NULL, pass);
    fputs("</section>\n", f);
}

/* Every headline number of the comparison with its change. */
void cmpview_table(FILE *f, const json_t *c)
{
    char buf[64];
    fputs("<h2>Baseline vs optimized: the numbers</h2>\n", f);

    static const struct {
        const char *name, *key, *delta, *delta_pct;
        int decimals; /* -1: latency formatting */
    } rows[] = {
        {"requests", "requests", NULL, NULL, 0},
        {"ok", "ok", NULL, NULL, 0},
        {"errors", "errors", NULL, NULL, 0},
        {"error rate (%)", "error_rate_pct", "error_rate_pct_points", NULL, 2},
        {"items", "items", NULL, NULL, 0},
        {"items/s", "items_per_s", "items_per_s", "items_per_s_pct", 1},
        {"requests/s", "requests_per_s", NULL, "requests_per_s_pct", 1},
        {"p50 (ms)", "p50_ms", "p50_ms", "p50_pct", -1},
        {"p90 (ms)", "p90_ms", NULL, NULL, -1},
        {"p95 (ms)", "p95_ms", "p95_ms", "p95_pct", -1},
        {"p99 (ms)", "p99_ms", "p99_ms", "p99_pct", -1},
        {"max (ms)", "max_ms", "max_ms", NULL, -1},
        {"mean (ms)", "mean_ms", NULL, NULL, -1},
        {"request p95 (ms)", "request_p95_ms", NULL, NULL, -1},
        {"batch", "batch", NULL, NULL, 0},
        {"connections", "connections", NULL, NULL, 0},
    };
    fputs("<table id=\"comparison-table\"><thead><tr><th></th><th>baseline</th>"
          "<th>optimized</th><th>change</th><th>change (%)</th></tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char path[96];
        fputs("<tr><td>", f);
        svg_escape(f, rows[i].name);
        fputs("</td>", f);
        static const char *const side[] = {"baseline", "optimized"};
        for (int s = 0; s < 2; s++) {
            snprintf(path, sizeof path, "%s.%s", side[s], rows[i].key);
            double v = resdoc_num(c, path);
            fputs("<td>", f);
            svg_escape(f, rows[i].decimals < 0
                              ? (isfinite(v) ? svg_fmt_num(buf, sizeof buf, v) : "-")
                              : svg_fmt_fixed(buf, sizeof buf, v, rows[i].decimals));
            fputs("</td>", f);
        }
        const char *dk[2] = {rows[i].delta, rows[i].delta_pct};
        for (int d = 0; d < 2; d++) {
            fputs("<td>", f);
            if (dk[d]) {
                snprintf(path, sizeof path, "delta.%s", dk[d]);
                double v = resdoc_num(c, path);
                int dec = d == 1 || rows[i].decimals < 0 ? 1 : rows[i].decimals;
                svg_escapef(f, "%s%s", isfinite(v) && v > 0 ? "+" : "",
                            svg_fmt_fixed(buf, sizeof buf, v, dec));
            }
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    const char *bf = resdoc_str(c, "baseline.file"), *of = resdoc_str(c, "optimized.file");
    if (bf || of) {
        fputs("<p>", f);
        svg_escapef(f, "baseline: %s; optimized: %s", bf ? bf : "-", of ? of : "-");
        fputs("</p>\n", f);
    }
}
