/* embed — /v1/embeddings (see embed.h). Shape from the OpenAI API reference
 * ("Create embeddings") and vLLM's EmbeddingResponse (protocol.py: id,
 * object "list", created, model, data[{index, object "embedding",
 * embedding}], usage). */
#include "stub/embed.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stub/jscan.h"

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int bad(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return 400;
}

/* Writes x (|x| <= 1) with six decimals, as printf's "%.6f" would round it
 * (to nearest; the values are never exact ties). */
static char *put_fixed6(char *o, double x)
{
    long long q = llround(x * 1e6);
    if (q < 0) {
        *o++ = '-';
        q = -q;
    }
    *o++ = (char)('0' + q / 1000000);
    *o++ = '.';
    for (int i = 5; i >= 0; i--, q /= 10)
        o[i] = (char)('0' + q % 10);
    return o + 6;
}

static int put_base64(sbuf_t *out, const unsigned char *p, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (sbuf_reserve(out, (n + 2) / 3 * 4))
        return -1;
    char *o = out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = b64[v >> 18];
        *o++ = b64[(v >> 12) & 63];
        *o++ = b64[(v >> 6) & 63];
        *o++ = b64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = b64[v >> 18];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    out->len = (size_t)(o - out->data);
    return 0;
}

/* Component j of the vector of hash h, before scaling: in [-1, 1). */
static double component(uint64_t h, size_t j)
{
    return 2 * ((double)(mix(h + 0x9e3779b97f4a7c15ull * (j + 1)) >> 11) / 9007199254740992.0) - 1;
}

/* One item's vector: dim values from its hash, scaled to unit length. */
static int put_embedding(sbuf_t *out, uint64_t h, size_t dim, int base64)
{
    double sum = 0;
    for (size_t j = 0; j < dim; j++)
        sum += component(h, j) * component(h, j);
    double scale = sum > 0 ? 1 / sqrt(sum) : 0;
    if (base64) {
        /* 48 floats are 192 bytes, a multiple of 3: blocks encode apart. */
        unsigned char bytes[4 * 48];
        if (sbuf_puts(out, "\""))
            return -1;
        for (size_t j = 0; j < dim;) {
            size_t k = 0;
            for (; k < 48 && j < dim; k++, j++) {
                float f = (float)(component(h, j) * scale);
                uint32_t u;
                memcpy(&u, &f, 4);
                for (int b = 0; b < 4; b++)
                    bytes[4 * k + (size_t)b] = (unsigned char)(u >> (8 * b));
            }
            if (put_base64(out, bytes, 4 * k))
                return -1;
        }
        return sbuf_puts(out, "\"") ? -1 : 0;
    }
    if (sbuf_reserve(out, dim * 10 + 2))
        return -1;
    char *o = out->data + out->len;
    *o++ = '[';
    for (size_t j = 0; j < dim; j++) {
        if (j)
            *o++ = ',';
        o = put_fixed6(o, component(h, j) * scale);
    }
    *o++ = ']';
    out->len = (size_t)(o - out->data);
    return 0;
}

int embed_answer(const char *body, size_t len, const char *id, uint64_t created, sbuf_t *out,
                 size_t *items, char *why, size_t whylen)
{
    static const char *const keys[] = {"model", "input", "encoding_format", "dimensions"};
    jscan_span_t k[4];
    jscan_error_t err;
    size_t base = out->len;
    *items = 0;
    if (jscan_document(body, len, keys, k, 4, &err) < 0) {
        snprintf(why, whylen, "malformed JSON: %s at byte %zu", err.what, err.offset);
        return 400;
    }
    if (body[jscan_skip_ws(body, len)] != '{')
        return bad(why, whylen, "request body must be a JSON object");
    jscan_span_t model = k[0], input = k[1], fmt = k[2], dims = k[3];
    if (model.len && body[model.off] != '"')
        return bad(why, whylen, "\"model\" must be a string");
    if (!input.len)
        return bad(why, whylen, "\"input\" is missing");
    int base64 = 0;
    if (fmt.len) {
        if (fmt.len == 8 && !memcmp(body + fmt.off, "\"base64\"", 8))
            base64 = 1;
        else if (!(fmt.len == 7 && !memcmp(body + fmt.off, "\"float\"", 7)))
            return bad(why, whylen, "\"encoding_format\" must be \"float\" or \"base64\"");
    }
    uint64_t dim = EMBED_DEFAULT_DIM;
    if (dims.len && jscan_u64(body, dims, EMBED_MAX_DIM, &dim)) {
        snprintf(why, whylen, "\"dimensions\" must be an integer from 1 to %d", EMBED_MAX_DIM);
        return 400;
    }
    if (dim == 0)
        return bad(why, whylen, "\"dimensions\" must be at least 1");

    /* What the items are: the string, the one token array, or the elements. */
    const char *in = body + input.off;
    int single = 0;
    if (*in == '"') {
        single = 1;
    } else if (*in == '[') {
        size_t p = 1 + jscan_skip_ws(in + 1, input.len - 1);
        if (in[p] == ']')
            return bad(why, whylen, "\"input\" must not be empty");
        if (in[p] == '-' || (in[p] >= '0' && in[p] <= '9')) {
            single = 1; /* [1, 2, 3]: one input given as token ids */
            size_t pos = 0;
            jscan_span_t e;
            uint64_t h, tok;
            while (jscan_element(in, input.len, &pos, &e, &h) == 1)
                if (jscan_u64(in, e, UINT32_MAX, &tok))
                    return bad(why, whylen,
                               "\"input\" given as token ids must hold only "
                               "non-negative integers");
        }
    } else {
        return bad(why, whylen, "\"input\" must be a string or an array");
    }

    if (sbuf_printf(out, "{\"id\":\"%s\",\"object\":\"list\",\"created\":%llu,\"model\":", id,
                    (unsigned long long)created) ||
        sbuf_append(out, model.len ? body + model.off : "\"tailgate-stub\"",
                    model.len ? model.len : 15) ||
        sbuf_puts(out, ",\"data\":["))
        return -1;
    size_t n = 0, bytes = 0;
    if (single) {
        uint64_t h;
        jscan_value(in, input.len, &h, NULL);
        bytes = *in == '"' ? input.len - 2 : input.len;
        if (sbuf_puts(out, "{\"index\":0,\"object\":\"embedding\",\"embedding\":") ||
            put_embedding(out, h, dim, base64) || sbuf_puts(out, "}"))
            return -1;
        n = 1;
    } else {
        size_t pos = 0;
        jscan_span_t e;
        uint64_t h;
        while (jscan_element(in, input.len, &pos, &e, &h) == 1) {
            char c = in[e.off];
            if (c != '"' && c != '[') {
                out->len = base;
                snprintf(why, whylen, "\"input\"[%zu] must be a string or an array of token ids",
                         n);
                return 400;
            }
            bytes += c == '"' ? e.len - 2 : e.len;
            if (sbuf_printf(out, "%s{\"index\":%zu,\"object\":\"embedding\",\"embedding\":",
                            n ? "," : "", n) ||
                put_embedding(out, h, dim, base64) || sbuf_puts(out, "}"))
                return -1;
            n++;
        }
    }
    size_t tokens = bytes / 4 ? bytes / 4 : 1;
    if (sbuf_printf(out,
                    "],\"usage\":{\"prompt_tokens\":%zu,\"total_tokens\":%zu,"
                    "\"completion_tokens\":0,\"prompt_tokens_details\":null}}",
                    tokens, tokens))
        return -1;
    *items = n;
    return 200;
}
