/* compare — headline metrics of two result files, their deltas, and the SLA
 * verdict on the optimized run. Result files come from users' disks: every
 * field read is checked and a problem is reported as "FILE: field X: why". */
#include "stats/compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/version.h"

enum { LAT_P50, LAT_P90, LAT_P95, LAT_P99, LAT_MAX, LAT_MEAN, LAT_COUNT };
static const char *const lat_src[LAT_COUNT] = {"p50", "p90", "p95", "p99", "max", "mean"};
static const char *const lat_key[LAT_COUNT] = {"p50_ms", "p90_ms", "p95_ms",
                                               "p99_ms", "max_ms", "mean_ms"};

typedef struct {
    const char *file;
    uint64_t requests, ok, errors, items, items_ok;
    double duration_s, requests_per_s, items_per_s;
    double lat[LAT_COUNT]; /* ms; NaN = null (no items measured) */
    double request_p95;
    const char *digest; /* NULL = null */
    json_int_t batch, connections;
    hist_t *item, *request;
} headline_t;

typedef struct {
    const char *file;
    char *err;
    size_t errlen;
} reader_t;

static int bad(reader_t *r, const char *path, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%s: field \"%s\" %s", r->file, path, why);
    return EINVAL;
}

/* Member at a dotted path ("latency_ms.item.p95"), NULL when absent. */
static json_t *field(const json_t *root, const char *path)
{
    char key[64];
    json_t *j = (json_t *)root;
    while (j && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        j = json_is_object(j) ? json_object_get(j, key) : NULL;
        path += n + (path[n] == '.');
    }
    return j;
}

static int get_uint(reader_t *r, const json_t *root, const char *path, uint64_t *v)
{
    json_t *j = field(root, path);
    if (!j)
        return bad(r, path, "is missing");
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return bad(r, path, "must be a non-negative integer");
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

static int get_int(reader_t *r, const json_t *root, const char *path, json_int_t *v)
{
    json_t *j = field(root, path);
    if (!j)
        return bad(r, path, "is missing");
    if (!json_is_integer(j))
        return bad(r, path, "must be an integer");
    *v = json_integer_value(j);
    return 0;
}

/* A finite non-negative number; null gives NaN when allow_null. */
static int get_num(reader_t *r, const json_t *root, const char *path, bool allow_null, double *v)
{
    json_t *j = field(root, path);
    if (!j)
        return bad(r, path, "is missing");
    if (allow_null && json_is_null(j)) {
        *v = NAN;
        return 0;
    }
    if (!json_is_number(j) || !(json_number_value(j) >= 0) || isinf(json_number_value(j)))
        return bad(r, path, "must be a non-negative number%s", allow_null ? " or null" : "");
    *v = json_number_value(j);
    return 0;
}

static int get_hist(reader_t *r, const json_t *root, const char *path, hist_t **h)
{
    json_t *j = field(root, path);
    if (!j)
        return bad(r, path, "is missing");
    char why[200];
    if (hist_from_json(j, h, why, sizeof why))
        return bad(r, path, "is not a valid histogram: %s", why);
    return 0;
}

static void headline_free(headline_t *h)
{
    hist_free(h->item);
    hist_free(h->request);
    h->item = h->request = NULL;
}

static int headline_read(const json_t *root, const char *file, headline_t *h, char *err,
                         size_t errlen)
{
    reader_t r = {file ? file : "result", err, errlen};
    memset(h, 0, sizeof *h);
    h->file = file;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: not a JSON object (expected a tailgate result file)", r.file);
        return EINVAL;
    }
    json_t *tool = json_object_get(root, "tool");
    if (!json_is_string(tool) || strcmp(json_string_value(tool), "tailgate"))
        return bad(&r, "tool", "must be \"tailgate\" (is this a `tailgate run --out` file?)");
    int rc;
    char path[64];
    if ((rc = get_uint(&r, root, "requests.total", &h->requests)) ||
        (rc = get_uint(&r, root, "requests.ok", &h->ok)) ||
        (rc = get_uint(&r, root, "requests.errors", &h->errors)) ||
        (rc = get_uint(&r, root, "items.total", &h->items)) ||
        (rc = get_uint(&r, root, "items.ok", &h->items_ok)) ||
        (rc = get_num(&r, root, "duration_s", false, &h->duration_s)) ||
        (rc = get_num(&r, root, "throughput.requests_per_s", false, &h->requests_per_s)) ||
        (rc = get_num(&r, root, "throughput.items_per_s", false, &h->items_per_s)) ||
        (rc = get_num(&r, root, "latency_ms.request.p95", true, &h->request_p95)) ||
        (rc = get_int(&r, root, "config.batch", &h->batch)) ||
        (rc = get_int(&r, root, "config.connections", &h->connections)))
        goto fail;
    for (int k = 0; k < LAT_COUNT; k++) {
        snprintf(path, sizeof path, "latency_ms.item.%s", lat_src[k]);
        if ((rc = get_num(&r, root, path, true, &h->lat[k])))
            goto fail;
    }
    if (h->ok > h->requests || h->errors != h->requests - h->ok) {
        rc = bad(&r, "requests", "is inconsistent: ok + errors != total");
        goto fail;
    }
    if (h->items_ok > h->items) {
        rc = bad(&r, "items", "is inconsistent: ok > total");
        goto fail;
    }
    json_t *digest = json_object_get(root, "inputs_digest");
    if (!digest || !(json_is_null(digest) || json_is_string(digest))) {
        rc = bad(&r, "inputs_digest", digest ? "must be a string or null" : "is missing");
        goto fail;
    }
    h->digest = json_is_string(digest) ? json_string_value(digest) : NULL;
    if ((rc = get_hist(&r, root, "histogram.item", &h->item)) ||
        (rc = get_hist(&r, root, "histogram.request", &h->request)))
        goto fail;
    return 0;
fail:
    headline_free(h);
    return rc;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static double error_rate(const headline_t *h)
{
    return h->requests ? (double)h->errors * 100.0 / (double)h->requests : NAN;
}

static json_t *headline_json(const headline_t *h)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    const struct {
        const char *key;
        json_t *v;
    } kv[] = {
        {"file", h->file ? json_string(h->file) : json_null()},
        {"requests", json_integer((json_int_t)h->requests)},
        {"ok", json_integer((json_int_t)h->ok)},
        {"errors", json_integer((json_int_t)h->errors)},
        {"error_rate_pct", num_or_null(error_rate(h))},
        {"items", json_integer((json_int_t)h->items)},
        {"items_per_s", json_real(h->items_per_s)},
        {"requests_per_s", json_real(h->requests_per_s)},
        {lat_key[LAT_P50], num_or_null(h->lat[LAT_P50])},
        {lat_key[LAT_P90], num_or_null(h->lat[LAT_P90])},
        {lat_key[LAT_P95], num_or_null(h->lat[LAT_P95])},
        {lat_key[LAT_P99], num_or_null(h->lat[LAT_P99])},
        {lat_key[LAT_MAX], num_or_null(h->lat[LAT_MAX])},
        {lat_key[LAT_MEAN], num_or_null(h->lat[LAT_MEAN])},
        {"request_p95_ms", num_or_null(h->request_p95)},
        {"inputs_digest", h->digest ? json_string(h->digest) : json_null()},
        {"batch", json_integer(h->batch)},
        {"connections", json_integer(h->connections)},
    };
    bool ok = true;
    for (size_t k = 0; k < sizeof kv / sizeof kv[0]; k++) /* set_new frees v on failure */
        ok = !json_object_set_new(o, kv[k].key, kv[k].v) && ok;
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static double pct(double base, double opt)
{
    return base != 0 ? (opt - base) / base * 100.0 : NAN; /* NaN in -> NaN out */
}

static json_t *delta_json(const headline_t *b, const headline_t *o)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "p50_ms",
                     num_or_null(o->lat[LAT_P50] - b->lat[LAT_P50]), "p95_ms",
                     num_or_null(o->lat[LAT_P95] - b->lat[LAT_P95]), "p99_ms",
                     num_or_null(o->lat[LAT_P99] - b->lat[LAT_P99]), "max_ms",
                     num_or_null(o->lat[LAT_MAX] - b->lat[LAT_MAX]), "p50_pct",
                     num_or_null(pct(b->lat[LAT_P50], o->lat[LAT_P50])), "p95_pct",
                     num_or_null(pct(b->lat[LAT_P95], o->lat[LAT_P95])), "p99_pct",
                     num_or_null(pct(b->lat[LAT_P99], o->lat[LAT_P99])), "items_per_s",
                     num_or_null(o->items_per_s - b->items_per_s), "items_per_s_pct",
                     num_or_null(pct(b->items_per_s, o->items_per_s)), "requests_per_s_pct",
                     num_or_null(pct(b->requests_per_s, o->requests_per_s)),
                     "error_rate_pct_points", num_or_null(error_rate(o) - error_rate(b)));
}

static json_t *sla_json(const headline_t *h, const sla_t *slas, size_t n, bool *all_pass)
{
    /* A runstats view of the file: the fields sla_measure reads. */
    runstats_t view = {.requests = h->requests,
                       .requests_ok = h->ok,
                       .items = h->items,
                       .items_ok = h->items_ok,
                       .item = h->item,
                       .request = h->request};
    json_t *arr = json_array();
    *all_pass = true;
    for (size_t i = 0; arr && i < n; i++) {
        bool pass;
        json_t *one = sla_judge_json(&slas[i], &view, h->duration_s, &pass);
        *all_pass = *all_pass && pass;
        if (!one || json_array_append_new(arr, one)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

int compare_build(const json_t *base, const char *base_file, const json_t *opt,
                  const char *opt_file, const sla_t *slas, size_t n, json_t **out, char *err,
                  size_t errlen)
{
    headline_t b, o;
    int rc = headline_read(base, base_file, &b, err, errlen);
    if (rc)
        return rc;
    if ((rc = headline_read(opt, opt_file, &o, err, errlen))) {
        headline_free(&b);
        return rc;
    }
    bool pass;
    bool same = b.digest && o.digest && !strcmp(b.digest, o.digest);
    json_t *c = json_pack("{s:s,s:s,s:o,s:o,s:o,s:b,s:o}", "tool", "tailgate", "version",
                          TAILGATE_VERSION, "baseline", headline_json(&b), "optimized",
                          headline_json(&o), "delta", delta_json(&b, &o), "inputs_identical", same,
                          "sla", sla_json(&o, slas, n, &pass));
    if (c && json_object_set_new(c, "sla_pass", json_boolean(pass))) {
        json_decref(c);
        c = NULL;
    }
    headline_free(&b);
    headline_free(&o);
    if (!c) {
        snprintf(err, errlen, "out of memory building the comparison");
        return ENOMEM;
    }
    *out = c;
    return 0;
}

int compare_load_file(const char *path, json_t **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return e;
    }
    json_error_t jerr;
    json_t *j = json_loadf(f, 0, &jerr);
    int e = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!j) {
        if (e)
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        else
            snprintf(err, errlen, "%s: not valid JSON (line %d, column %d): %s", path, jerr.line,
                     jerr.column, jerr.text);
        return e ? e : EINVAL;
    }
    *out = j;
    return 0;
}

/* --- the table ------------------------------------------------------------ */

static double num(const json_t *o, const char *key)
{
    json_t *j = json_object_get(o, key);
    return json_is_number(j) ? json_number_value(j) : NAN;
}

static void cell(char *buf, size_t len, double v, int decimals, bool sign)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else if (fabs(v) >= 1e12) /* a damaged or hand-edited file: keep the column readable */
        snprintf(buf, len, sign ? "%+.3g" : "%.3g", v);
    else
        snprintf(buf, len, sign ? "%+.*f" : "%.*f", decimals, v);
}

void compare_warn_inputs(FILE *f, const json_t *c)
{
    if (json_is_true(json_object_get(c, "inputs_identical")))
        return;
    const char *db =
        json_string_value(json_object_get(json_object_get(c, "baseline"), "inputs_digest"));
    const char *dopt =
        json_string_value(json_object_get(json_object_get(c, "optimized"), "inputs_digest"));
    fprintf(f,
            "\n"
            "!!! WARNING: the two runs did NOT send identical inputs !!!\n"
            "!!!   baseline  inputs_digest: %s\n"
            "!!!   optimized inputs_digest: %s\n"
            "!!! Latency and throughput differences may come from the inputs,\n"
            "!!! not from the client change. Compare runs made with the same --inputs.\n\n",
            db ? db : "(none recorded)", dopt ? dopt : "(none recorded)");
}

void compare_print_table(FILE *f, const json_t *c)
{
    static const struct {
        const char *label, *key;
        int decimals;
        bool pct; /* show delta % (else the delta is in the metric's own unit only) */
    } rows[] = {
        {"requests", "requests", 0, true},
        {"errors", "errors", 0, false},
        {"error rate (%)", "error_rate_pct", 2, false},
        {"items", "items", 0, true},
        {"items/s", "items_per_s", 1, true},
        {"requests/s", "requests_per_s", 1, true},
        {"item p50 (ms)", "p50_ms", 2, true},
        {"item p90 (ms)", "p90_ms", 2, true},
        {"item p95 (ms)", "p95_ms", 2, true},
        {"item p99 (ms)", "p99_ms", 2, true},
        {"item max (ms)", "max_ms", 2, true},
        {"item mean (ms)", "mean_ms", 2, true},
        {"request p95 (ms)", "request_p95_ms", 2, true},
        {"batch", "batch", 0, false},
        {"connections", "connections", 0, false},
    };
    const json_t *b = json_object_get(c, "baseline"), *o = json_object_get(c, "optimized");
    const char *bf = json_string_value(json_object_get(b, "file"));
    const char *of = json_string_value(json_object_get(o, "file"));
    fprintf(f, "baseline:  %s\noptimized: %s\n\n", bf ? bf : "-", of ? of : "-");
    fprintf(f, "%-18s %14s %14s %14s %9s\n", "metric", "baseline", "optimized", "delta", "delta %");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double vb = num(b, rows[i].key), vo = num(o, rows[i].key);
        char cb[32], co[32], cd[32], cp[32];
        cell(cb, sizeof cb, vb, rows[i].decimals, false);
        cell(co, sizeof co, vo, rows[i].decimals, false);
        cell(cd, sizeof cd, vo - vb, rows[i].decimals, true);
        cell(cp, sizeof cp, rows[i].pct ? pct(vb, vo) : NAN, 1, true);
        size_t used = strlen(cp);
        if (strcmp(cp, "-") && used + 1 < sizeof cp)
            snprintf(cp + used, sizeof cp - used, "%%");
        fprintf(f, "%-18s %14s %14s %14s %9s\n", rows[i].label, cb, co, cd, cp);
    }
    bool same = json_is_true(json_object_get(c, "inputs_identical"));
    fprintf(f, "\ninputs: %s\n", same ? "identical" : "NOT identical (see warning)");
    json_t *slas = json_object_get(c, "sla");
    size_t i;
    json_t *s;
    if (json_array_size(slas))
        fprintf(f, "SLA (judged on the optimized run):\n");
    json_array_foreach(slas, i, s)
    {
        double v = num(s, "value");
        const char *note = json_string_value(json_object_get(s, "note"));
        char cv[32];
        cell(cv, sizeof cv, v, 3, false);
        fprintf(f, "  %s  %-24s measured %s %s%s%s%s\n",
                json_is_true(json_object_get(s, "pass")) ? "PASS" : "FAIL",
                json_string_value(json_object_get(s, "expr")), cv,
                isnan(v) ? "" : json_string_value(json_object_get(s, "unit")), note ? " (" : "",
                note ? note : "", note ? ")" : "");
    }
    fprintf(f, "verdict: %s\n", json_is_true(json_object_get(c, "sla_pass")) ? "PASS" : "FAIL");
}
