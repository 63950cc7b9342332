/* kserve — Open Inference Protocol v2 inference (see kserve.h). Shapes from
 * the protocol's REST specification ($inference_request: id, parameters,
 * inputs[{name, shape, datatype, parameters, data}], outputs[{name}];
 * $inference_response: model_name, model_version, id, parameters,
 * outputs[{name, shape, datatype, data}]; tensor data in row-major order;
 * errors {"error": $string}). */
#include "stub/kserve.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stub/jscan.h"

typedef enum { T_BOOL, T_UINT, T_INT, T_FLOAT, T_BYTES } elem_kind_t;

static const struct {
    const char *name;
    elem_kind_t kind;
} datatypes[] = {
    {"BOOL", T_BOOL},   {"UINT8", T_UINT},  {"UINT16", T_UINT}, {"UINT32", T_UINT},
    {"UINT64", T_UINT}, {"INT8", T_INT},    {"INT16", T_INT},   {"INT32", T_INT},
    {"INT64", T_INT},   {"FP16", T_FLOAT},  {"FP32", T_FLOAT},  {"FP64", T_FLOAT},
    {"BF16", T_FLOAT},  {"BYTES", T_BYTES},
};

typedef struct {
    jscan_span_t data;
    size_t pos;     /* next byte of data to scan */
    uint64_t batch; /* shape[0] */
    uint64_t per;   /* elements per item: product of shape[1..] */
    elem_kind_t kind;
    const char *type;
} tensor_t;

static int bad(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return 400;
}

/* The next element of a flat or nested data array: skips brackets, commas
 * and whitespace. Returns 1 with its span and hash, 0 at the end. */
static int next_leaf(const char *buf, tensor_t *t, jscan_span_t *leaf, uint64_t *hash)
{
    const char *d = buf + t->data.off;
    size_t n = t->data.len;
    while (t->pos < n) {
        char c = d[t->pos];
        if (c == '[' || c == ']' || c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            t->pos++;
            continue;
        }
        ssize_t k = jscan_value(d + t->pos, n - t->pos, hash, NULL);
        if (k <= 0) /* cannot happen: the document was validated */
            return 0;
        *leaf = (jscan_span_t){t->data.off + t->pos, (size_t)k};
        t->pos += (size_t)k;
        return 1;
    }
    return 0;
}

static bool leaf_ok(const char *buf, jscan_span_t v, elem_kind_t kind)
{
    const char *p = buf + v.off;
    switch (kind) {
    case T_BOOL:
        return *p == 't' || *p == 'f';
    case T_BYTES:
        return *p == '"';
    case T_FLOAT:
        return *p == '-' || (*p >= '0' && *p <= '9');
    case T_INT:
    case T_UINT:
        if (!(*p == '-' || (*p >= '0' && *p <= '9')) || (kind == T_UINT && *p == '-'))
            return false;
        for (size_t i = 0; i < v.len; i++)
            if (p[i] == '.' || p[i] == 'e' || p[i] == 'E')
                return false;
        return true;
    }
    return false;
}

/* inputs[i] -> t. Returns 0 or 400 with why. */
static int read_tensor(const char *body, jscan_span_t in, size_t i, tensor_t *t, char *why,
                       size_t whylen)
{
    static const char *const keys[] = {"name", "shape", "datatype", "data"};
    jscan_span_t f[4];
    if (jscan_members(body, in, keys, f, 4)) {
        snprintf(why, whylen, "inputs[%zu] must be an object {name, shape, datatype, data}", i);
        return 400;
    }
    if (!f[0].len || body[f[0].off] != '"') {
        snprintf(why, whylen, "inputs[%zu].name must be a string", i);
        return 400;
    }
    if (!f[1].len || body[f[1].off] != '[') {
        snprintf(why, whylen, "inputs[%zu].shape must be an array of dimensions", i);
        return 400;
    }
    size_t pos = 0, ndim = 0;
    jscan_span_t e;
    uint64_t h, dim;
    t->per = 1;
    while (jscan_element(body + f[1].off, f[1].len, &pos, &e, &h) == 1) {
        e.off += f[1].off;
        if (jscan_u64(body, e, UINT32_MAX, &dim)) {
            snprintf(why, whylen, "inputs[%zu].shape[%zu] must be a non-negative integer", i, ndim);
            return 400;
        }
        if (ndim == 0)
            t->batch = dim;
        else if (dim && t->per > UINT32_MAX / dim) {
            snprintf(why, whylen, "inputs[%zu].shape is too large", i);
            return 400;
        } else
            t->per *= dim;
        ndim++;
    }
    if (ndim == 0) {
        snprintf(why, whylen, "inputs[%zu].shape must have a batch dimension first", i);
        return 400;
    }
    t->type = NULL;
    if (f[2].len && body[f[2].off] == '"')
        for (size_t k = 0; k < sizeof datatypes / sizeof datatypes[0]; k++)
            if (f[2].len == strlen(datatypes[k].name) + 2 &&
                !memcmp(body + f[2].off + 1, datatypes[k].name, f[2].len - 2)) {
                t->type = datatypes[k].name;
                t->kind = datatypes[k].kind;
            }
    if (!t->type) {
        snprintf(why, whylen,
                 "inputs[%zu].datatype must be one of BOOL, UINT8..UINT64, INT8..INT64, FP16, "
                 "FP32, FP64, BF16, BYTES",
                 i);
        return 400;
    }
    if (!f[3].len || body[f[3].off] != '[') {
        snprintf(why, whylen, "inputs[%zu].data must be an array", i);
        return 400;
    }
    t->data = f[3];
    t->pos = 0;
    /* Count and check every element before answering anything. */
    uint64_t count = 0;
    jscan_span_t leaf;
    while (next_leaf(body, t, &leaf, &h)) {
        if (!leaf_ok(body, leaf, t->kind)) {
            snprintf(why, whylen, "inputs[%zu].data element %llu is not a %s value", i,
                     (unsigned long long)count, t->type);
            return 400;
        }
        count++;
    }
    if (count != t->batch * t->per) {
        snprintf(why, whylen, "inputs[%zu]: shape holds %llu elements but data has %llu", i,
                 (unsigned long long)(t->batch * t->per), (unsigned long long)count);
        return 400;
    }
    t->pos = 0;
    return 0;
}

static uint64_t mix(uint64_t z)
{
    z ^= z >> 33;
    z *= 0xff51afd7ed558ccdull;
    z ^= z >> 33;
    z *= 0xc4ceb9fe1a85ec53ull;
    return z ^ (z >> 33);
}

int kserve_answer(const char *body, size_t len, const char *model, size_t model_len,
                  const char *version, size_t version_len, const char *id, sbuf_t *out,
                  size_t *items, char *why, size_t whylen)
{
    static const char *const keys[] = {"id", "inputs", "outputs"};
    jscan_span_t k[3];
    jscan_error_t err;
    *items = 0;
    if (jscan_document(body, len, keys, k, 3, &err) < 0) {
        snprintf(why, whylen, "malformed JSON: %s at byte %zu", err.what, err.offset);
        return 400;
    }
    if (body[jscan_skip_ws(body, len)] != '{')
        return bad(why, whylen, "request body must be a JSON object");
    if (k[0].len && body[k[0].off] != '"')
        return bad(why, whylen, "\"id\" must be a string");
    if (!k[1].len)
        return bad(why, whylen, "\"inputs\" is missing");
    if (body[k[1].off] != '[')
        return bad(why, whylen, "\"inputs\" must be an array of tensors");
    tensor_t t[KSERVE_MAX_INPUTS];
    size_t nt = 0, pos = 0;
    jscan_span_t e;
    uint64_t h;
    while (jscan_element(body + k[1].off, k[1].len, &pos, &e, &h) == 1) {
        if (nt == KSERVE_MAX_INPUTS) {
            snprintf(why, whylen, "more than %d input tensors", KSERVE_MAX_INPUTS);
            return 400;
        }
        e.off += k[1].off;
        if (read_tensor(body, e, nt, &t[nt], why, whylen))
            return 400;
        if (nt && t[nt].batch != t[0].batch) {
            snprintf(why, whylen, "inputs[%zu] has batch size %llu but inputs[0] has %llu", nt,
                     (unsigned long long)t[nt].batch, (unsigned long long)t[0].batch);
            return 400;
        }
        nt++;
    }
    if (nt == 0)
        return bad(why, whylen, "\"inputs\" must not be empty");
    /* The output's name: the first one asked for, else "output0". */
    jscan_span_t name = {0, 0};
    if (k[2].len && body[k[2].off] == '[') {
        static const char *const okeys[] = {"name"};
        pos = 0;
        if (jscan_element(body + k[2].off, k[2].len, &pos, &e, &h) == 1) {
            e.off += k[2].off;
            if (!jscan_members(body, e, okeys, &name, 1) && name.len && body[name.off] != '"')
                name.len = 0;
        }
    }

    if (sbuf_puts(out, "{\"model_name\":") || sbuf_json_string(out, model, model_len))
        return -1;
    if (version_len &&
        (sbuf_puts(out, ",\"model_version\":") || sbuf_json_string(out, version, version_len)))
        return -1;
    if (sbuf_puts(out, ",\"id\":") ||
        (k[0].len ? sbuf_append(out, body + k[0].off, k[0].len) : sbuf_printf(out, "\"%s\"", id)) ||
        sbuf_puts(out, ",\"parameters\":{},\"outputs\":[{\"name\":") ||
        (name.len ? sbuf_append(out, body + name.off, name.len) : sbuf_puts(out, "\"output0\"")) ||
        sbuf_printf(out, ",\"shape\":[%llu,2],\"datatype\":\"FP32\",\"data\":[",
                    (unsigned long long)t[0].batch))
        return -1;
    jscan_span_t leaf;
    for (uint64_t b = 0; b < t[0].batch; b++) {
        /* The item's hash: its elements of every input, in order. */
        uint64_t ih = 0x6a09e667f3bcc908ull;
        for (size_t i = 0; i < nt; i++)
            for (uint64_t j = 0; j < t[i].per; j++)
                if (next_leaf(body, &t[i], &leaf, &h))
                    ih = mix(ih ^ h) + j;
        uint64_t q = (mix(ih) >> 11) % 10001; /* p_positive = q / 10000 */
        if (sbuf_printf(out, "%s%llu.%04llu,%llu.%04llu", b ? "," : "",
                        (unsigned long long)((10000 - q) / 10000),
                        (unsigned long long)((10000 - q) % 10000), (unsigned long long)(q / 10000),
                        (unsigned long long)(q % 10000)))
            return -1;
    }
    if (sbuf_puts(out, "]}]}"))
        return -1;
    *items = t[0].batch;
    return 200;
}
