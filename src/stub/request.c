/* request — read buffer and request parsing (see request.h). */
#include "stub/request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RBUF_KEEP_MAX 16384 /* a larger heap buffer goes back to inline when possible */

static void request_reset(request_t *rq)
{
    rq->route = ROUTE_NOT_FOUND;
    rq->captured = (api_capture_t){0};
    rq->keep_alive = true;
    rq->http10 = false;
    rq->version10 = false;
    rq->chunked = false;
    rq->head_only = false;
    rq->wants_continue = false;
    rq->hlen = rq->end = rq->raw = rq->dlen = 0;
}

void request_init(request_t *rq)
{
    rq->buf = rq->inline_buf;
    rq->cap = sizeof rq->inline_buf;
    rq->len = 0;
    request_reset(rq);
}

void request_free(request_t *rq)
{
    if (rq->buf != rq->inline_buf)
        free(rq->buf);
    rq->buf = NULL;
}

int request_grow(request_t *rq, size_t need)
{
    if (need <= rq->cap)
        return 0;
    size_t cap = rq->cap;
    while (cap < need)
        cap *= 2;
    char *b;
    if (rq->buf == rq->inline_buf) {
        b = malloc(cap);
        if (b)
            memcpy(b, rq->buf, rq->len);
    } else {
        b = realloc(rq->buf, cap);
    }
    if (!b)
        return ENOMEM;
    rq->buf = b;
    rq->cap = cap;
    return 0;
}

static request_result_t refuse(request_t *rq, int status, const char *why)
{
    rq->error_status = status;
    rq->error = why;
    return REQUEST_REFUSE;
}

/* The origin-form part of an absolute-form target ("http://host:port/v1/x"
 * -> "/v1/x"), which a server must accept (RFC 9112 §3.2.2); any other
 * target as it is. */
static void origin_form(const char **t, size_t *len)
{
    const char *s = *t;
    size_t n = *len, k;
    if (n > 7 && !strncasecmp(s, "http://", 7))
        k = 7;
    else if (n > 8 && !strncasecmp(s, "https://", 8))
        k = 8;
    else
        return;
    const char *slash = memchr(s + k, '/', n - k);
    if (slash) { /* (no path at all: left as it is, to be refused as a path) */
        *t = slash;
        *len = n - (size_t)(slash - s);
    }
}

static bool method_is(const http_request_t *r, const char *m)
{
    return strlen(m) == r->method_len && !memcmp(r->method, m, r->method_len);
}

request_result_t request_parse_head(request_t *rq, const stub_config_t *cfg)
{
    http_header_t headers[STUB_MAX_HEADERS];
    http_request_t req;
    int n = http_parse_request(rq->buf, rq->len, &req, headers, STUB_MAX_HEADERS,
                               STUB_MAX_HEADER_BYTES);
    if (n == HTTP_INCOMPLETE)
        return REQUEST_MORE;
    if (n == HTTP_INVALID)
        return refuse(rq, 400, "malformed request (bad request line, header or framing)");
    if (n == HTTP_TOO_LARGE)
        return refuse(rq, 431, "request header section too large (over 16 KiB or 100 headers)");
    rq->hlen = (size_t)n;
    bool get = method_is(&req, "GET") || method_is(&req, "HEAD");
    const char *target = req.target;
    size_t target_len = req.target_len;
    origin_form(&target, &target_len);
    rq->route = api_route(cfg, target, target_len, method_is(&req, "POST"), get, &rq->captured);
    size_t toff = (size_t)(target - rq->buf); /* captures: offsets into buf */
    if (rq->captured.model_len)
        rq->captured.model_off += toff;
    if (rq->captured.version_len)
        rq->captured.version_off += toff;
    rq->head_only = method_is(&req, "HEAD");
    rq->keep_alive = req.keep_alive;
    rq->http10 = req.minor_version == 0 && req.keep_alive;
    rq->version10 = req.minor_version == 0;
    switch (req.body) {
    case HTTP_BODY_LENGTH:
        if (req.content_length > cfg->max_body)
            return refuse(rq, 413, "request body larger than --max-body");
        rq->end = rq->hlen + (size_t)req.content_length;
        /* Room for the whole request at once only while it is small: a large
         * body gets memory as its bytes arrive (sconn_fill grows the buffer),
         * so a header line alone cannot reserve --max-body per connection. */
        if (rq->end <= RBUF_KEEP_MAX && request_grow(rq, rq->end))
            return refuse(rq, 500, "out of memory");
        break;
    case HTTP_BODY_CHUNKED:
        rq->chunked = true;
        http_chunked_init(&rq->dec);
        rq->raw = rq->hlen;
        rq->dlen = 0;
        break;
    case HTTP_BODY_NONE:
    case HTTP_BODY_CLOSE: /* not a request framing: no body */
        rq->end = rq->hlen;
        break;
    }
    rq->wants_continue = req.expect_continue && (rq->chunked || rq->len < rq->end);
    return REQUEST_DONE;
}

request_result_t request_decode_chunked(request_t *rq, const stub_config_t *cfg)
{
    if (rq->len == rq->raw)
        return REQUEST_MORE;
    size_t n = rq->len - rq->raw;
    ssize_t rest = http_chunked_decode(&rq->dec, rq->buf + rq->raw, &n);
    /* Decoded bytes are at buf + raw; move them to follow the body so far. */
    size_t dst = rq->hlen + rq->dlen;
    memmove(rq->buf + dst, rq->buf + rq->raw, n);
    rq->dlen += n;
    if (rest == HTTP_INVALID)
        return refuse(rq, 400, "malformed chunked body");
    /* A chunk announced past the limit is refused now, as a Content-Length
     * would be, instead of after its bytes have streamed in. */
    if (rq->dlen > cfg->max_body || rq->dec.chunk_left > cfg->max_body - rq->dlen)
        return refuse(rq, 413, "request body larger than --max-body");
    if (rest == HTTP_INCOMPLETE) {
        rq->raw = rq->len = dst + n;
        return REQUEST_MORE;
    }
    /* Complete: the next message's bytes follow the decoded data. */
    memmove(rq->buf + dst + n, rq->buf + rq->raw + n, (size_t)rest);
    rq->end = dst + n;
    rq->len = rq->end + (size_t)rest;
    return REQUEST_DONE;
}

void request_next(request_t *rq)
{
    size_t rest = rq->len - rq->end;
    memmove(rq->buf, rq->buf + rq->end, rest);
    rq->len = rest;
    if (rq->buf != rq->inline_buf && rq->cap > RBUF_KEEP_MAX && rest <= STUB_INLINE_RBUF) {
        memcpy(rq->inline_buf, rq->buf, rest);
        free(rq->buf);
        rq->buf = rq->inline_buf;
        rq->cap = STUB_INLINE_RBUF;
    }
    request_reset(rq);
}
