/* libFuzzer target: http_parse_response and http_chunked_decode. As in
 * llhttp's harness, the first byte chooses the mode:
 *   mode 0  response, GET          mode 1  response, HEAD request
 *   mode 2  chunked body: decoded whole vs split at the points given by byte 1
 *   mode 3  chunked body: decoded whole vs byte by byte
 * A response with a chunked body decodes what follows its header section. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "fuzz.h"

#define MAX_HEADERS 32
#define MAX_BYTES 4096

struct decoded {
    ssize_t result; /* INVALID, INCOMPLETE, or total leftover bytes */
    char *body;
    size_t body_len;
};

/* Decodes data[0..len) fed in pieces that end at the cut positions (sorted,
 * each <= len), stopping at the first result that is not INCOMPLETE. */
static void decode(const char *data, size_t len, const size_t *cuts, size_t ncuts,
                   struct decoded *d)
{
    http_chunked_t dec;
    http_chunked_init(&dec);
    d->body = malloc(len + 1);
    d->body_len = 0;
    d->result = HTTP_INCOMPLETE;
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        size_t n = to - from;
        char *piece = malloc(n + 1); /* exact size: ASan sees any over-read */
        memcpy(piece, data + from, n);
        ssize_t r = http_chunked_decode(&dec, piece, &n);
        CHECK(n <= to - from);
        memcpy(d->body + d->body_len, piece, n);
        d->body_len += n;
        CHECK(dec.body_len == d->body_len);
        if (r >= 0) {
            CHECK(n + (size_t)r <= to - from);
            CHECK(memcmp(piece + n, data + to - (size_t)r, (size_t)r) == 0);
            d->result = r + (ssize_t)(len - to);
        } else if (r == HTTP_INVALID) {
            d->result = HTTP_INVALID;
        } else {
            CHECK(r == HTTP_INCOMPLETE);
        }
        free(piece);
        if (r != HTTP_INCOMPLETE)
            return;
        from = to;
    }
}

static void differential(const char *data, size_t len, const size_t *cuts, size_t ncuts)
{
    struct decoded whole, split;
    decode(data, len, NULL, 0, &whole);
    decode(data, len, cuts, ncuts, &split);
    CHECK(whole.result == split.result);
    if (whole.result != HTTP_INVALID) {
        CHECK(whole.body_len == split.body_len);
        CHECK(memcmp(whole.body, split.body, whole.body_len) == 0);
    }
    free(whole.body);
    free(split.body);
}

static void response(const char *buf, size_t size, bool head)
{
    http_header_t headers[MAX_HEADERS];
    http_response_t res, again;
    int r = http_parse_response(buf, size, &res, headers, MAX_HEADERS, MAX_BYTES, head);
    CHECK(r == HTTP_INVALID || r == HTTP_INCOMPLETE || r == HTTP_TOO_LARGE || r > 0);
    if (r <= 0)
        return;
    size_t n = (size_t)r;
    CHECK(n <= size && res.num_headers <= MAX_HEADERS);
    CHECK(res.status >= 100 && res.status <= 999);
    CHECK(res.reason >= buf && res.reason + res.reason_len <= buf + n);
    for (size_t i = 0; i < res.num_headers; i++) {
        CHECK(headers[i].name >= buf && headers[i].name + headers[i].name_len <= buf + n);
        CHECK(headers[i].value >= buf && headers[i].value + headers[i].value_len <= buf + n);
    }
    if (head)
        CHECK(res.body == HTTP_BODY_NONE);
    if (res.body == HTTP_BODY_CLOSE)
        CHECK(!res.keep_alive);
    CHECK(http_parse_response(buf, n, &again, headers, MAX_HEADERS, MAX_BYTES, head) == r);
    CHECK(again.status == res.status && again.body == res.body &&
          again.keep_alive == res.keep_alive && again.content_length == res.content_length);
    CHECK(http_parse_response(buf, n - 1, &again, headers, MAX_HEADERS, MAX_BYTES, head) ==
          HTTP_INCOMPLETE);
    if (res.body == HTTP_BODY_CHUNKED) {
        size_t cut = (size - n) / 2;
        differential(buf + n, size - n, &cut, 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0] & 3;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    switch (mode) {
    case 0:
    case 1:
        response(buf, len, mode == 1);
        break;
    case 2: {
        /* byte 1 is a stride: cut every (stride+1) bytes of the rest */
        if (len < 1)
            return 0;
        size_t stride = (size_t)(unsigned char)buf[0] + 1;
        buf++;
        len--;
        size_t ncuts = len / stride;
        size_t *cuts = malloc((ncuts + 1) * sizeof(*cuts));
        for (size_t i = 0; i < ncuts; i++)
            cuts[i] = (i + 1) * stride;
        differential(buf, len, cuts, ncuts);
        free(cuts);
        break;
    }
    case 3: {
        size_t *cuts = malloc((len + 1) * sizeof(*cuts));
        for (size_t i = 0; i < len; i++)
            cuts[i] = i + 1;
        differential(buf, len, cuts, len);
        free(cuts);
        break;
    }
    default:
        __builtin_trap();
    }
    return 0;
}
