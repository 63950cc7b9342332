/* h1resp — response framing over core/http. See h1resp.h for the contract.
 *
 * Every byte is framed once: raw_off marks how far framing got, so a feed
 * costs time in proportion to the new bytes (plus one head parse per feed
 * until the head is complete, as picohttpparser's callers do). */
#include "core/h1resp.h"

#include <assert.h>
#include <string.h>

void h1resp_init(h1resp_t *r, bool head_request, bool keep_body, size_t max_head, uint64_t max_body,
                 h1resp_body_fn on_body, void *body_arg)
{
    memset(r, 0, sizeof(*r));
    r->head_request = head_request;
    r->keep_body = keep_body;
    r->max_head = max_head;
    r->max_body = max_body;
    r->on_body = on_body;
    r->body_arg = body_arg;
}

void h1resp_reset(h1resp_t *r)
{
    r->have_head = false;
    r->status = 0;
    r->body_kind = HTTP_BODY_NONE;
    r->content_length = 0;
    r->keep_alive = false;
    r->head_len = r->raw_off = r->hook_off = 0;
    r->body_len = 0;
}

/* Parses the head; drops interim (1xx) responses in front of it. */
static int parse_head(h1resp_t *r, char *buf, size_t *len)
{
    for (;;) {
        http_header_t hdrs[H1RESP_MAX_HEADERS];
        http_response_t res;
        int n = http_parse_response(buf, *len, &res, hdrs, H1RESP_MAX_HEADERS, r->max_head,
                                    r->head_request);
        if (n < 0)
            return n;
        /* 101 switches the connection to another protocol (RFC 9110 §15.2.2),
         * which we never ask for: what follows is not a response to frame, and
         * waiting for one would only wait out the timeout. */
        if (res.status == 101)
            return HTTP_INVALID;
        if (res.status < 200) {
            /* 1xx interim response (RFC 9110 §15.2): the real one follows. */
            memmove(buf, buf + n, *len - (size_t)n);
            *len -= (size_t)n;
            continue;
        }
        r->have_head = true;
        r->status = res.status;
        r->body_kind = res.body;
        r->content_length = res.content_length;
        r->keep_alive = res.keep_alive;
        r->head_len = r->raw_off = r->hook_off = (size_t)n;
        if (res.body == HTTP_BODY_CHUNKED)
            http_chunked_init(&r->chunked);
        /* A kept body is held whole: refuse a declared one over the limit now. */
        if (r->keep_body && res.body == HTTP_BODY_LENGTH && res.content_length > r->max_body)
            return HTTP_TOO_LARGE;
        return 0;
    }
}

/* Frames the body bytes in buf[raw_off..*len): afterwards buf[head_len..raw_off)
 * is the decoded body held and *len == raw_off. Returns 0 when the body is
 * complete, else HTTP_INCOMPLETE or HTTP_INVALID. */
static int frame_body(h1resp_t *r, char *buf, size_t *len)
{
    size_t avail = *len - r->raw_off;
    switch (r->body_kind) {
    case HTTP_BODY_NONE:
        /* Bytes after a complete response answer nothing we sent (a client
         * does not pipeline here): the connection is out of step. */
        if (avail)
            r->keep_alive = false;
        *len = r->raw_off;
        return 0;
    case HTTP_BODY_LENGTH: {
        uint64_t left = r->content_length - r->body_len;
        if (avail > left) {
            r->keep_alive = false;
            avail = (size_t)left;
        }
        r->body_len += avail;
        r->raw_off += avail;
        *len = r->raw_off;
        return r->body_len == r->content_length ? 0 : HTTP_INCOMPLETE;
    }
    case HTTP_BODY_CHUNKED: {
        size_t dlen = avail;
        ssize_t rest = http_chunked_decode(&r->chunked, buf + r->raw_off, &dlen);
        if (rest == HTTP_INVALID)
            return HTTP_INVALID;
        if (rest > 0)
            r->keep_alive = false;
        r->body_len += dlen;
        r->raw_off += dlen;
        *len = r->raw_off;
        return rest >= 0 ? 0 : HTTP_INCOMPLETE;
    }
    case HTTP_BODY_CLOSE:
        r->body_len += avail;
        r->raw_off += avail;
        return HTTP_INCOMPLETE; /* only the end of the stream ends it: h1resp_eof */
    default:
        assert(!"h1resp: bad body kind");
        return HTTP_INVALID;
    }
}

/* Offers the new body bytes to the hook, then drops what nobody holds. */
static int deliver(h1resp_t *r, char *buf, size_t *len, bool end)
{
    /* A kept body over the limit fails before the hook hears of its end. */
    if (r->keep_body && r->body_len > r->max_body)
        return HTTP_TOO_LARGE;
    if (r->on_body) {
        size_t pending = r->raw_off - r->hook_off;
        if (pending || end) {
            size_t used = r->on_body(r->body_arg, buf + r->hook_off, pending, end);
            assert(used <= pending);
            r->hook_off += used <= pending ? used : pending;
        }
    } else {
        r->hook_off = r->raw_off;
    }
    if (!r->keep_body && r->hook_off > r->head_len) {
        size_t drop = r->hook_off - r->head_len;
        if (*len > r->hook_off) /* bytes held for the hook (or after the body) */
            memmove(buf + r->head_len, buf + r->hook_off, *len - r->hook_off);
        r->raw_off -= drop;
        r->hook_off = r->head_len;
        *len -= drop;
    }
    /* What the hook holds back is bounded too (a done body holds nothing). */
    if (!end && r->raw_off - r->head_len > r->max_body)
        return HTTP_TOO_LARGE;
    return end ? 0 : HTTP_INCOMPLETE;
}

int h1resp_feed(h1resp_t *r, char *buf, size_t *len)
{
    if (!r->have_head) {
        int h = parse_head(r, buf, len);
        if (h != 0)
            return h;
    }
    int f = frame_body(r, buf, len);
    if (f == HTTP_INVALID)
        return f;
    return deliver(r, buf, len, f == 0);
}

int h1resp_eof(h1resp_t *r, char *buf, size_t *len)
{
    if (!r->have_head || r->body_kind != HTTP_BODY_CLOSE)
        return HTTP_INCOMPLETE;
    r->keep_alive = false;
    return deliver(r, buf, len, true);
}
