#include "cli/verify.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/runcommon.h"
#include "core/clock.h"
#include "load/probe.h"

/* Builds {"model": M, "inputs": [items first..first+n)} from the prepared item texts. */
static char *batch_body(const engine_config_t *cfg, uint64_t first, unsigned n, size_t *len)
{
    size_t max = inputs_max_len(cfg->inputs);
    json_t *model = json_string(cfg->model);
    char *model_text = json_dumps(model, JSON_ENCODE_ANY);
    json_decref(model);
    if (!model_text)
        return NULL;
    size_t cap = strlen(model_text) + 32 + (size_t)n * (max + 1);
    char *body = malloc(cap);
    if (!body) {
        free(model_text);
        return NULL;
    }
    size_t k = (size_t)snprintf(body, cap, "{\"model\":%s,\"inputs\":[", model_text);
    free(model_text);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            body[k++] = ',';
        k += inputs_item(cfg->inputs, first + i, body + k);
    }
    body[k++] = ']';
    body[k++] = '}';
    body[k] = '\0';
    *len = k;
    return body;
}

/* Sends items [first, first+n) as one request; returns the outputs array
 * (new reference) or NULL after printing why. */
static json_t *infer(const engine_config_t *cfg, uint64_t first, unsigned n, FILE *f, int *rc)
{
    size_t len;
    char *body = batch_body(cfg, first, n, &len);
    if (!body) {
        *rc = EXIT_CANNOT_RUN;
        return NULL;
    }
    probe_response_t res;
    char err[300];
    uint64_t timeout = cfg->timeout_ns ? cfg->timeout_ns : 30 * CLOCK_NS_PER_S;
    int e = probe_request(&cfg->url, &cfg->tls, "POST", body, len, cfg->headers, cfg->num_headers,
                          timeout, &res, err, sizeof err);
    free(body);
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
    if (!cfg->inputs)
        return 0; /* --body runs carry no items to compare */
    size_t count = inputs_count(cfg->inputs);
    if (count && samples > count)
        samples = (unsigned)count;
    if (samples < 2)
        samples = 2;
    json_t *batch = infer(cfg, 0, samples, f, &rc);
    if (!batch)
        return rc;
    /* An interrupt stops between samples: the caller exits 130/143. */
    for (unsigned i = 0; i < samples && rc == 0 && !runcommon_signal_seen(); i++) {
        json_t *single = infer(cfg, i, 1, f, &rc);
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
    return rc;
}
