#include "stub/infer.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static int fnv_feed(const char *buf, size_t size, void *data)
{
    uint64_t h = *(uint64_t *)data;
    for (size_t i = 0; i < size; i++) {
        h ^= (unsigned char)buf[i];
        h *= FNV_PRIME;
    }
    *(uint64_t *)data = h;
    return 0;
}

/* Hashes the canonical text as jansson streams it: no copy of the text. */
static uint64_t input_hash(const json_t *input)
{
    uint64_t h = FNV_OFFSET;
    json_dump_callback(input, fnv_feed, &h, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    return h;
}

static int append_output(sbuf_t *out, uint64_t h)
{
    /* 53 high-quality bits -> [0,1); 4 decimals keep the body short. */
    double score = (double)(h >> 11) / 9007199254740992.0;
    return sbuf_printf(out, "{\"label\":\"%s\",\"score\":%.4f,\"input_hash\":\"%016llx\"}",
                       score >= 0.5 ? "positive" : "negative", score, (unsigned long long)h);
}

int infer_error_body(sbuf_t *out, const char *msg)
{
    if (sbuf_puts(out, "{\"error\":") || sbuf_json_string(out, msg, strlen(msg)) ||
        sbuf_puts(out, "}"))
        return ENOMEM;
    return 0;
}

static int fail400(sbuf_t *out, const char *msg)
{
    return infer_error_body(out, msg) ? -1 : 400;
}

int infer_answer(const char *body, size_t len, bool shuffle, sbuf_t *out, size_t *items)
{
    *items = 0;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        char msg[256];
        snprintf(msg, sizeof msg, "malformed JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                 jerr.column);
        return fail400(out, msg);
    }
    int status = -1;
    if (!json_is_object(root)) {
        status = fail400(out, "request body must be a JSON object");
        goto done;
    }
    json_t *inputs = json_object_get(root, "inputs");
    if (!inputs) {
        status = fail400(out, "\"inputs\" is missing");
        goto done;
    }
    if (!json_is_array(inputs)) {
        status = fail400(out, "\"inputs\" must be an array");
        goto done;
    }
    json_t *model = json_object_get(root, "model");
    size_t n = json_array_size(inputs);
    if (sbuf_puts(out, "{\"model\":"))
        goto done;
    if (model) {
        size_t need = json_dumpb(model, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
        if (sbuf_reserve(out, need))
            goto done;
        out->len += json_dumpb(model, out->data + out->len, need, JSON_COMPACT | JSON_ENCODE_ANY);
    } else if (sbuf_puts(out, "null")) {
        goto done;
    }
    if (sbuf_puts(out, ",\"outputs\":["))
        goto done;
    for (size_t i = 0; i < n; i++) {
        /* TEST-ONLY shuffle: reversed order, which differs for any batch of
         * two or more distinct inputs. */
        size_t k = (shuffle && n > 1) ? n - 1 - i : i;
        if ((i && sbuf_puts(out, ",")) || append_output(out, input_hash(json_array_get(inputs, k))))
            goto done;
    }
    if (sbuf_puts(out, "]}"))
        goto done;
    *items = n;
    status = 200;
done:
    json_decref(root);
    return status;
}
