#include "cli/verify.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/runcommon.h"
#include "core/clock.h"
#include "load/probe.h"
#include "load/reqfmt.h"

/* What verification sends, built as the measured runs build theirs. */
typedef struct {
    reqfmt_t fmt;
    char *buf; /* fmt.buf_size bytes */
} verify_req_t;

/* Sends items [first, first+n) as one request; returns the outputs array
 * (new reference) or NULL after printing why. */
static json_t *infer(const engine_config_t *cfg, const verify_req_t *vr, uint64_t first, unsigned n,
                     FILE *f, int *rc)
{
    const char *req;
    size_t len = reqfmt_build(&vr->fmt, vr->buf, first, 1, n, &req);
    probe_response_t res;
    char err[300];
    uint64_t timeout = cfg->timeout_ns ? cfg->timeout_ns : 30 * CLOCK_NS_PER_S;
    int e = probe_request(&cfg->url, &cfg->tls, req, len, vr->fmt.head_request, timeout, &res, err,
                          sizeof err);
    if (e) {
        fprintf(f, "verification: %s\n", err);
        *rc = EXIT_CANNOT_RUN;
        return NULL;
    }
    json_t *outputs = NULL;
    *rc = EXIT_VERIFY;
    if (res.status < 200 || res.status > 299) {
        fprintf(f, "verification: a request with %u input(s) was answered %d: %.200s\n", n,
                res.status, res.body);
    } else {
        json_error_t je;
        json_t *doc = json_loadb(res.body, res.body_len, 0, &je);
        json_t *arr = json_object_get(doc, "outputs");
        if (!doc)
            fprintf(f, "verification: the answer is not JSON (%s): %.200s\n", je.text, res.body);
        else if (!json_is_array(arr))
            fprintf(f, "verification: the answer has no \"outputs\" array: %.200s\n", res.body);
        else if (json_array_size(arr) != n)
            fprintf(f, "verification: %u input(s) sent, %zu output(s) answered\n", n,
                    json_array_size(arr));
        else
            outputs = json_incref(arr);
        json_decref(doc);
    }
    probe_free(&res);
    if (outputs)
        *rc = 0;
    return outputs;
}

int verify_target(const engine_config_t *cfg, unsigned samples, FILE *f)
{
    int rc = 0;
    if (!cfg->inputs || cfg->raw_body)
        return 0; /* --body runs carry no items to compare */
    size_t count = inputs_count(cfg->inputs);
    if (count && samples > count)
        samples = (unsigned)count;
    if (samples < 2)
        samples = 2;
    /* The measured runs' request, byte for byte: engine_run prepares its
     * reqfmt from the same fields of cfg. */
    verify_req_t vr = {0};
    int e = reqfmt_init(&vr.fmt, &cfg->url, cfg->method, cfg->model, cfg->inputs, samples, NULL, 0,
                        cfg->headers, cfg->num_headers);
    if (e) {
        fprintf(f, "verification: cannot prepare the request: %s\n", strerror(e));
        return EXIT_CANNOT_RUN;
    }
    if (reqfmt_is_fixed(&vr.fmt)) { /* GET or HEAD: the requests carry no items */
        reqfmt_close(&vr.fmt);
        return 0;
    }
    vr.buf = malloc(vr.fmt.buf_size);
    if (!vr.buf) {
        reqfmt_close(&vr.fmt);
        fprintf(f, "verification: out of memory\n");
        return EXIT_CANNOT_RUN;
    }
    json_t *batch = infer(cfg, &vr, 0, samples, f, &rc);
    if (!batch)
        goto out;
    /* An interrupt stops between samples: the caller exits 130/143. */
    for (unsigned i = 0; i < samples && rc == 0 && !runcommon_signal_seen(); i++) {
        json_t *single = infer(cfg, &vr, i, 1, f, &rc);
        if (!single)
            break;
        json_t *a = json_array_get(single, 0), *b = json_array_get(batch, i);
        if (!json_equal(a, b)) {
            char item[4096];
            size_t n =
                inputs_max_len(cfg->inputs) < sizeof item ? inputs_item(cfg->inputs, i, item) : 0;
            item[n] = '\0';
            char *sa = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
            char *sb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
            fprintf(f,
                    "verification failed: input %u %.300s gets a different output in a batch "
                    "of %u than alone:\n  alone:    %.300s\n  in batch: %.300s\n"
                    "Batching changes this API's answers; use --no-verify only if that is "
                    "expected.\n",
                    i, n ? item : "(too long to show)", samples, sa ? sa : "?", sb ? sb : "?");
            free(sa);
            free(sb);
            rc = EXIT_VERIFY;
        }
        json_decref(single);
    }
    json_decref(batch);
out:
    free(vr.buf);
    reqfmt_close(&vr.fmt);
    return rc;
}
