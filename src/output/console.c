#include "output/console.h"

#include <math.h>
#include <string.h>

#include "output/termchart.h"
#include "stats/hist.h"

double console_get_number(const json_t *root, const char *path)
{
    char key[64];
    const json_t *cur = root;
    while (cur && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key)
            return NAN;
        memcpy(key, path, n);
        key[n] = '\0';
        cur = json_object_get(cur, key);
        path += n + (dot ? 1 : 0);
    }
    return cur && json_is_number(cur) ? json_number_value(cur) : NAN;
}

static void print_ms(FILE *f, double v)
{
    if (isnan(v))
        fprintf(f, " %9s", "-");
    else if (v >= 100000)
        fprintf(f, " %9.0f", v);
    else
        fprintf(f, " %9.2f", v);
}

static void latency_row(FILE *f, const json_t *lat, const char *label, const char *key)
{
    static const char *cols[] = {"p50", "p75", "p90", "p95", "p99", "p99_9", "p99_99", "max"};
    const json_t *o = json_object_get(lat, key);
    fprintf(f, "  %-8s", label);
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        print_ms(f, console_get_number(o, cols[i]));
    fputc('\n', f);
}

static void counts_line(FILE *f, const json_t *obj, const char *title)
{
    const char *k;
    json_t *v;
    bool any = false;
    json_object_foreach((json_t *)obj, k, v)
    {
        fprintf(f, "%s%s %lld", any ? ", " : title, k, (long long)json_integer_value(v));
        any = true;
    }
    if (any)
        fputc('\n', f);
}

/* Connection figures: how many were opened and what opening them cost. */
static void connections_line(FILE *f, const json_t *r)
{
    const json_t *c = json_object_get(r, "connections");
    double opened = console_get_number(c, "opened");
    if (isnan(opened) || opened <= 0)
        return;
    fprintf(f, "  connections %.0f opened, connect p50 %.2f ms p99 %.2f ms", opened,
            console_get_number(c, "connect_ms.p50"), console_get_number(c, "connect_ms.p99"));
    double hs = console_get_number(c, "tls_handshake_ms.count");
    if (!isnan(hs) && hs > 0)
        fprintf(f, "; TLS %.0f handshakes p50 %.2f ms p99 %.2f ms, %.0f resumed", hs,
                console_get_number(c, "tls_handshake_ms.p50"),
                console_get_number(c, "tls_handshake_ms.p99"),
                console_get_number(c, "tls_resumed"));
    double retried = console_get_number(c, "retried");
    if (!isnan(retried) && retried > 0)
        fprintf(f, "; %.0f requests retried after a stale keep-alive connection closed", retried);
    fputc('\n', f);
}

/* The item-latency histogram, decoded from the result's own serialization so
 * a saved file draws the same picture as the live run. */
void console_print_item_chart(FILE *f, const json_t *r, const char *title, bool color, bool utf8)
{
    const json_t *hj = json_object_get(json_object_get(r, "histogram"), "item");
    hist_t *h = NULL;
    char err[128];
    if (!hj || hist_from_json(hj, &h, err, sizeof err) != 0)
        return;
    if (hist_count(h) > 1) {
        termchart_opts_t o = {
            .utf8 = utf8, .color = color, .rows = 10, .width = 40, .title = title, .unit = "items"};
        termchart_hist(f, h, &o);
        fputc('\n', f);
    }
    hist_free(h);
}

void console_print_summary(FILE *f, const json_t *r, bool color, bool utf8)
{
    const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "",
               *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
    const json_t *cfg = json_object_get(r, "config");
    const char *url = json_string_value(json_object_get(cfg, "url"));
    double dur = console_get_number(r, "duration_s");
    fprintf(f, "%stailgate%s %s  (%.2f s measured%s)\n", bold, off, url ? url : "",
            isnan(dur) ? 0.0 : dur,
            json_is_true(json_object_get(r, "interrupted")) ? ", interrupted" : "");
    if (json_is_true(json_object_get(cfg, "insecure")) && url && !strncmp(url, "https:", 6))
        fprintf(f, "  %s%sTLS verification DISABLED (--insecure)%s\n", bold, red, off);
    double errors = console_get_number(r, "requests.errors");
    fprintf(f, "  requests %10.0f total %10.0f ok %8.0f errors   %10.1f req/s ok",
            console_get_number(r, "requests.total"), console_get_number(r, "requests.ok"), errors,
            console_get_number(r, "throughput.requests_per_s"));
    if (errors > 0)
        fprintf(f, " (%.1f issued)", console_get_number(r, "throughput.issued_requests_per_s"));
    fprintf(f, "\n  items    %10.0f total %10.0f ok %17s %10.1f items/s ok\n",
            console_get_number(r, "items.total"), console_get_number(r, "items.ok"), "",
            console_get_number(r, "throughput.items_per_s"));
    const json_t *lat = json_object_get(r, "latency_ms");
    fprintf(f, "\n  %-8s %9s %9s %9s %9s %9s %9s %9s %9s\n", "ms", "p50", "p75", "p90", "p95",
            "p99", "p99.9", "p99.99", "max");
    latency_row(f, lat, "item", "item");
    latency_row(f, lat, "request", "request");
    latency_row(f, lat, "service", "service");
    fputc('\n', f);
    console_print_item_chart(f, r, "  item latency", color, utf8);
    counts_line(f, json_object_get(json_object_get(r, "requests"), "by_status"), "  status: ");
    counts_line(f, json_object_get(json_object_get(r, "requests"), "by_error"), "  errors: ");
    connections_line(f, r);

    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r, "sla"), i, s)
    {
        bool pass = json_is_true(json_object_get(s, "pass"));
        const json_t *v = json_object_get(s, "value");
        const char *note = json_string_value(json_object_get(s, "note"));
        char measured[32] = "-";
        if (json_is_number(v))
            snprintf(measured, sizeof measured, "%.3f %s", json_number_value(v),
                     json_string_value(json_object_get(s, "unit")));
        fprintf(f, "  SLA %-22s measured %-18s %s%s%s%s%s%s\n",
                json_string_value(json_object_get(s, "expr")), measured, pass ? green : red,
                pass ? "PASS" : "FAIL", off, note ? " (" : "", note ? note : "", note ? ")" : "");
    }
}
