#include "cli/verify.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/runcommon.h"
#include "core/clock.h"
#include "core/jtok.h"
#include "load/probe.h"
#include "load/reqfmt.h"
#include "load/rpath.h"
#include "load/target.h"

/* Each value needs one number: "abs=X", "rel=Y", or both, comma-separated. */
int verify_parse_tolerance(const char *text, verify_tolerance_t *out, char *why, size_t whylen)
{
    verify_tolerance_t t = {0, 0};
    bool seen_abs = false, seen_rel = false;
    const char *p = text;
    while (*p) {
        bool is_abs = !strncmp(p, "abs=", 4), is_rel = !strncmp(p, "rel=", 4);
        if ((!is_abs && !is_rel) || (is_abs && seen_abs) || (is_rel && seen_rel)) {
            snprintf(why, whylen,
                     "write abs=X, rel=Y or abs=X,rel=Y, e.g. abs=0.002 or "
                     "abs=1e-3,rel=0.01");
            return -1;
        }
        char *end;
        errno = 0;
        double v = strtod(p + 4, &end);
        if (end == p + 4 || errno || !isfinite(v) || v < 0 || (*end && *end != ',') ||
            (*end == ',' && !end[1])) {
            snprintf(why, whylen, "%s needs a number >= 0, e.g. %s=0.002", is_abs ? "abs" : "rel",
                     is_abs ? "abs" : "rel");
            return -1;
        }
        if (is_abs) {
            t.abs = v;
            seen_abs = true;
        } else {
            t.rel = v;
            seen_rel = true;
        }
        p = *end ? end + 1 : end;
    }
    if (!seen_abs && !seen_rel) {
        snprintf(why, whylen, "give abs=X and/or rel=Y, e.g. abs=0.002");
        return -1;
    }
    *out = t;
    return 0;
}

/* What verification sends, built as the measured runs build theirs. */
typedef struct {
    reqfmt_t fmt;
    char *buf; /* fmt.buf_size bytes */
} verify_req_t;

/* One answer: the body as received, its outputs parsed, and each output's
 * text in the body (so messages show numbers as the server wrote them). */
typedef struct {
    probe_response_t res;
    json_t *outputs; /* array, one per item */
    rpath_span_t *spans;
    size_t nspans; /* spans filled: one per output, or 0 */
    size_t stride; /* > 1: a span is a run of elements without brackets */
} answer_t;

static void answer_free(answer_t *a)
{
    probe_free(&a->res);
    json_decref(a->outputs);
    free(a->spans);
    memset(a, 0, sizeof *a);
}

/* Output i as received, at most ~300 bytes. */
static const char *output_text(const answer_t *a, size_t i, char *buf, size_t len)
{
    if (i >= a->nspans) {
        char *s = json_dumps(json_array_get(a->outputs, i), JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, len, "%.300s", s ? s : "?");
        free(s);
        return buf;
    }
    const rpath_span_t *sp = &a->spans[i];
    int n = (int)jtok_utf8_cut(a->res.body + sp->off, sp->len, 300);
    const char *dots = sp->len > 300 ? "..." : "";
    if (a->stride > 1)
        snprintf(buf, len, "[%.*s%s]", n, a->res.body + sp->off, dots);
    else
        snprintf(buf, len, "%.*s%s", n, a->res.body + sp->off, dots);
    return buf;
}

/* Sends items [first, first+n) as one request and reads their outputs at
 * the plan's response path; 0, or prints why and returns the exit code. */
static int infer(const engine_config_t *cfg, const verify_req_t *vr, uint64_t first, unsigned n,
                 answer_t *a, FILE *f)
{
    const char *req;
    memset(a, 0, sizeof *a);
    size_t len = reqfmt_build(&vr->fmt, vr->buf, first, 1, n, first + 1, &req);
    char err[300];
    uint64_t timeout = cfg->timeout_ns ? cfg->timeout_ns : 30 * CLOCK_NS_PER_S;
    probe_http_t http = cfg->http2 == ENGINE_H2_ON     ? PROBE_HTTP2
                        : cfg->http2 == ENGINE_H2_AUTO ? PROBE_HTTP2_AUTO
                                                       : PROBE_HTTP1;
    int e = probe_request(&cfg->url, &cfg->tls, http, req, len, vr->fmt.head_request, timeout,
                          &a->res, err, sizeof err);
    if (e) {
        fprintf(f, "verification: %s\n", err);
        char hint[600];
        if ((e == ECONNRESET || e == EPIPE || e == EPROTO) &&
            target_speaks_tls(&cfg->url, 2000, hint, sizeof hint))
            fprintf(f, "verification: %s\n", hint);
        return EXIT_CANNOT_RUN;
    }
    const rpath_t *p = cfg->plan->outputs;
    rpath_result_t rr;
    if (a->res.status < 200 || a->res.status > 299) {
        fprintf(f, "verification: a request with %u input(s) was answered %d: %.200s\n", n,
                a->res.status, a->res.body);
        goto fail;
    }
    a->outputs = rpath_outputs(p, a->res.body, a->res.body_len, n, &rr);
    if (!a->outputs) {
        char why[300];
        rpath_explain(p, &rr, why, sizeof why);
        fprintf(f,
                "verification: a request with %u input(s) got an answer without its outputs "
                "at %s: %s (see --outputs): %.200s\n",
                n, rpath_text(p), why, a->res.body);
        goto fail;
    }
    size_t max = rr.elements > n ? rr.elements : n;
    a->spans = calloc(max ? max : 1, sizeof *a->spans);
    if (a->spans && rpath_scan(p, a->res.body, a->res.body_len, a->spans, max, &rr) == RPATH_OK &&
        (rr.stride <= 1 || max >= rr.elements)) {
        a->nspans = rr.count < n ? rr.count : n;
        a->stride = rr.stride;
    }
    return 0;
fail:
    answer_free(a);
    return EXIT_VERIFY;
}

/* A number the shortest way that reads back the same: 0.76, not
 * 0.76000000000000001. */
static void fmt_num(const json_t *v, char *buf, size_t len)
{
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return;
    }
    double d = json_real_value(v);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true/false";
    case JSON_NULL:
        break;
    }
    return "null";
}

/* Whether a (alone) and b (in the batch) agree within tol. When not, where
 * gets the JSON Pointer of the first difference inside the output ("" for
 * the output itself) and why says what differed. */
static bool agree(const json_t *a, const json_t *b, const verify_tolerance_t *tol, char *where,
                  size_t wlen, char *why, size_t ylen)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b) &&
            json_integer_value(a) == json_integer_value(b))
            return true;
        double x = json_number_value(a), y = json_number_value(b), d = fabs(x - y);
        double scale = fmax(fabs(x), fabs(y));
        if (d <= fmax(tol->abs, tol->rel * scale))
            return true;
        char sx[40], sy[40];
        fmt_num(a, sx, sizeof sx);
        fmt_num(b, sy, sizeof sy);
        snprintf(why, ylen,
                 "%s alone, %s in the batch: |difference| %.3g (tolerance abs=%g, rel=%g)", sx, sy,
                 d, tol->abs, tol->rel);
        return false;
    }
    if (json_typeof(a) != json_typeof(b) &&
        !(json_is_boolean(a) && json_is_boolean(b) && json_equal(a, b))) {
        if (json_is_boolean(a) && json_is_boolean(b))
            snprintf(why, ylen, "%s alone, %s in the batch", json_is_true(a) ? "true" : "false",
                     json_is_true(b) ? "true" : "false");
        else
            snprintf(why, ylen, "%s alone, %s in the batch", type_name(a), type_name(b));
        return false;
    }
    size_t wl = strlen(where);
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) {
            snprintf(why, ylen, "%zu elements alone, %zu in the batch", json_array_size(a),
                     json_array_size(b));
            return false;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(where + wl, wlen - wl, "/%zu", i);
            if (!agree(json_array_get(a, i), json_array_get(b, i), tol, where, wlen, why, ylen))
                return false;
        }
        where[wl] = '\0';
        return true;
    }
    if (json_is_object(a)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)b, key, v)
        {
            if (!json_object_get(a, key)) {
                snprintf(why, ylen, "member \"%.60s\" only in the batch's answer", key);
                return false;
            }
        }
        json_object_foreach((json_t *)a, key, v)
        {
            snprintf(where + wl, wlen - wl, "/%.60s", key);
            json_t *w = json_object_get(b, key);
            if (!w) {
                where[wl] = '\0';
                snprintf(why, ylen, "member \"%.60s\" only in the answer alone", key);
                return false;
            }
            if (!agree(v, w, tol, where, wlen, why, ylen))
                return false;
        }
        where[wl] = '\0';
        return true;
    }
    if (json_equal(a, b))
        return true;
    if (json_is_string(a)) {
        snprintf(why, ylen, "\"%.60s\" alone, \"%.60s\" in the batch (text compares exactly)",
                 json_string_value(a), json_string_value(b));
        return false;
    }
    snprintf(why, ylen, "%s alone, %s in the batch", type_name(a), type_name(b));
    return false;
}

int verify_target(const engine_config_t *cfg, unsigned samples, unsigned max_batch,
                  const verify_tolerance_t *tol, unsigned *checked, bool *batched, FILE *f)
{
    static const verify_tolerance_t exact = {0, 0};
    int rc = 0;
    if (!cfg->plan)
        return 0; /* --body, GET: the requests carry no items to compare */
    if (!tol)
        tol = &exact;
    size_t count = inputs_count(cfg->inputs);
    if (count && samples > count)
        samples = (unsigned)count;
    bool single = cfg->plan->single || max_batch < 2; /* no batch to compare */
    if (!single && samples > max_batch)
        samples = max_batch;
    if (samples < 2)
        samples = 2;
    if (checked)
        *checked = samples;
    if (batched)
        *batched = !single;
    /* The measured runs' request, byte for byte: the engine prepares its
     * reqfmt from the same fields of cfg. */
    verify_req_t vr = {0};
    reqfmt_args_t ra = {
        .url = &cfg->url,
        .method = cfg->method,
        .plan = cfg->plan,
        .model = cfg->model,
        .batch = single ? 1 : samples,
        .headers = cfg->headers,
        .num_headers = cfg->num_headers,
    };
    char why[300];
    int e = reqfmt_init(&vr.fmt, &ra, why, sizeof why);
    if (e) {
        fprintf(f, "verification: cannot prepare the request: %s\n", why);
        return EXIT_CANNOT_RUN;
    }
    vr.buf = malloc(vr.fmt.buf_size ? vr.fmt.buf_size : 1);
    if (!vr.buf) {
        reqfmt_close(&vr.fmt);
        fprintf(f, "verification: out of memory\n");
        return EXIT_CANNOT_RUN;
    }
    answer_t batch = {0};
    if (!single && (rc = infer(cfg, &vr, 0, samples, &batch, f)) != 0)
        goto out;
    /* An interrupt stops between samples: the caller exits 130/143. */
    for (unsigned i = 0; i < samples && rc == 0 && !runcommon_signal_seen(); i++) {
        answer_t one;
        if ((rc = infer(cfg, &vr, i, 1, &one, f)) != 0)
            break;
        char where[256] = "", what[400];
        if (!single && !agree(json_array_get(one.outputs, 0), json_array_get(batch.outputs, i), tol,
                              where, sizeof where, what, sizeof what)) {
            char item[4096], sa[320], sb[320];
            size_t n =
                inputs_max_len(cfg->inputs) < sizeof item ? inputs_item(cfg->inputs, i, item) : 0;
            item[n] = '\0';
            fprintf(f,
                    "verification failed: input %u %.300s gets a different output in a batch "
                    "of %u than alone:\n  alone:    %s\n  in batch: %s\n  %s%s%s: %s\n"
                    "Batching changes this API's answers. A half-precision model is rarely "
                    "batch-invariant: --verify-tolerance abs=X[,rel=Y] accepts small numeric "
                    "differences; --no-verify skips the check.\n",
                    i, n ? item : "(too long to show)", samples,
                    output_text(&one, 0, sa, sizeof sa), output_text(&batch, i, sb, sizeof sb),
                    where[0] ? "at " : "the output", where, where[0] ? " of the output" : "", what);
            rc = EXIT_VERIFY;
        }
        answer_free(&one);
    }
out:
    answer_free(&batch);
    free(vr.buf);
    reqfmt_close(&vr.fmt);
    return rc;
}
