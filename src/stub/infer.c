/* infer — see infer.h. The body is scanned in place by jscan (no parse tree,
 * no allocation) and the answer is written straight into the response
 * buffer; this runs once per request, so printf and malloc stay out of it. */
#include "stub/infer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stub/jscan.h"

/* Every output has exactly this shape and length: both labels have eight
 * letters and the score always six characters ("0.xxxx" or "1.0000"). The
 * fixed length lets --shuffle-outputs swap outputs in place. */
#define OUTPUT_SHAPE "{\"label\":\"positive\",\"score\":0.0000,\"input_hash\":\"0000000000000000\"}"
#define OUTPUT_LEN (sizeof OUTPUT_SHAPE - 1)

static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

/* Writes the output for input hash h (OUTPUT_LEN bytes) at o. */
static void format_output(char *o, uint64_t h)
{
    /* 53 high bits -> score k / 2^53 in [0,1), shown with 4 decimals. The
     * rounding is printf's "%.4f" (the exact binary value, ties to even),
     * done in integers: q = round(k * 10000 / 2^53). */
    /* FNV's last steps barely move its high bits for inputs that differ in
     * one late character ("input-1", "input-2"); a finalizer spreads them so
     * labels and scores vary like a model's would. */
    uint64_t m = h;
    m ^= m >> 33;
    m *= 0xff51afd7ed558ccdull;
    m ^= m >> 33;
    m *= 0xc4ceb9fe1a85ec53ull;
    m ^= m >> 33;
    uint64_t k = m >> 11;
    unsigned __int128 x = (unsigned __int128)k * 10000;
    uint64_t q = (uint64_t)(x >> 53), rest = (uint64_t)x & ((1ull << 53) - 1);
    if (rest > (1ull << 52) || (rest == (1ull << 52) && (q & 1)))
        q++;
    o = put(o, "{\"label\":\"", 10);
    o = put(o, k >= (1ull << 52) ? "positive" : "negative", 8);
    o = put(o, "\",\"score\":", 10);
    *o++ = (char)('0' + q / 10000);
    *o++ = '.';
    for (int i = 3; i >= 0; i--, q /= 10)
        o[i] = (char)('0' + q % 10);
    o += 4;
    o = put(o, ",\"input_hash\":\"", 15);
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, h >>= 4)
        o[i] = hex[h & 15];
    o += 16;
    put(o, "\"}", 2);
}

/* TEST-ONLY shuffle: reverses the n outputs (each OUTPUT_LEN bytes, one
 * comma apart) at p, which differs from the sent order for any batch of two
 * or more distinct inputs. */
static void reverse_outputs(char *p, size_t n)
{
    char tmp[OUTPUT_LEN];
    for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
        char *a = p + i * (OUTPUT_LEN + 1), *b = p + j * (OUTPUT_LEN + 1);
        memcpy(tmp, a, OUTPUT_LEN);
        memcpy(a, b, OUTPUT_LEN);
        memcpy(b, tmp, OUTPUT_LEN);
    }
}

/* Appends the (valid) JSON value p[0..n) as sent, minus the whitespace
 * between its tokens. */
static int append_compact(sbuf_t *out, const char *p, size_t n)
{
    if (sbuf_reserve(out, n))
        return ENOMEM;
    char *o = out->data + out->len;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_string) {
            if (c == '\\')
                *o++ = p[i++]; /* the escaped byte follows unexamined */
            else if (c == '"')
                in_string = false;
            c = p[i];
        } else if (c == '"') {
            in_string = true;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        *o++ = c;
    }
    out->len = (size_t)(o - out->data);
    return 0;
}

int infer_error_body(sbuf_t *out, const char *msg)
{
    if (sbuf_puts(out, "{\"error\":") || sbuf_json_string(out, msg, strlen(msg)) ||
        sbuf_puts(out, "}"))
        return ENOMEM;
    return 0;
}

static int fail400(sbuf_t *out, size_t base, const char *msg)
{
    out->len = base;
    return infer_error_body(out, msg) ? -1 : 400;
}

int infer_answer(const char *body, size_t len, bool shuffle, sbuf_t *out, size_t *items)
{
    static const char *const keys[] = {"model", "inputs"};
    jscan_span_t span[2];
    jscan_error_t err;
    size_t base = out->len;
    *items = 0;
    if (jscan_document(body, len, keys, span, 2, &err) < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "malformed JSON: %s at byte %zu", err.what, err.offset);
        return fail400(out, base, msg);
    }
    if (body[jscan_skip_ws(body, len)] != '{')
        return fail400(out, base, "request body must be a JSON object");
    const jscan_span_t *model = &span[0], *inputs = &span[1];
    if (!inputs->len)
        return fail400(out, base, "\"inputs\" is missing");
    if (body[inputs->off] != '[')
        return fail400(out, base, "\"inputs\" must be an array");

    if (sbuf_puts(out, "{\"model\":") ||
        (model->len ? append_compact(out, body + model->off, model->len)
                    : sbuf_puts(out, "null")) ||
        sbuf_puts(out, ",\"outputs\":["))
        return -1;
    size_t first = out->len, n = 0, pos = 0;
    uint64_t h;
    int r;
    while ((r = jscan_next_element(body + inputs->off, inputs->len, &pos, &h)) == 1) {
        if (sbuf_reserve(out, OUTPUT_LEN + 1))
            return -1;
        if (n)
            out->data[out->len++] = ',';
        format_output(out->data + out->len, h);
        out->len += OUTPUT_LEN;
        n++;
    }
    if (r < 0) /* cannot happen: jscan_document accepted the array */
        return fail400(out, base, "malformed JSON: \"inputs\"");
    if (shuffle)
        reverse_outputs(out->data + first, n);
    if (sbuf_puts(out, "]}"))
        return -1;
    *items = n;
    return 200;
}
