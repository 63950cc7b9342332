/* request — the read side of a stub connection: its read buffer and the parse
 * of the request at the front of it (header section, route, framing, body).
 *
 * No I/O and no timers: conn.c reads bytes into buf[len..cap) and calls the
 * parsers again with everything received so far; they say whether the
 * request is whole and, when it must be refused, with which status. The
 * buffer lives inside the struct (STUB_INLINE_RBUF) and moves to the heap
 * only while a request needs more. Pipelined requests wait after the current
 * one and become current in turn (request_next). Private to src/stub/. */
#ifndef TAILGATE_STUB_REQUEST_H
#define TAILGATE_STUB_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/http.h"
#include "stub/api.h"
#include "stub/server.h"
#include "stub/stub.h"

typedef enum {
    REQUEST_MORE,   /* needs more bytes in buf */
    REQUEST_DONE,   /* parse_head: the header section is parsed, the body is next;
                       parse_body: the request is whole, its body is buf[hlen..end) */
    REQUEST_REFUSE, /* answer error_status with error (framing is lost: then close) */
} request_result_t;

typedef struct {
    char *buf; /* inline_buf, or the heap while a request needs more */
    size_t len, cap;
    size_t hlen; /* header section bytes of the current request */
    size_t end;  /* offset of the byte after the request (known once whole) */
    size_t raw;  /* chunked: first undecoded byte */
    size_t dlen; /* chunked: decoded body bytes, stored at buf + hlen */
    http_chunked_t dec;
    route_t route;
    api_capture_t captured; /* {model} and {version} in the target, offsets into buf */
    bool keep_alive;        /* the request allows another after it */
    bool http10;            /* HTTP/1.0 keep-alive: say so in the response */
    bool version10;         /* an HTTP/1.0 request (no chunked responses) */
    bool chunked;
    bool head_only;                    /* HEAD request: headers without the body */
    bool wants_continue;               /* Expect: 100-continue and the body is still to come */
    int error_status;                  /* REQUEST_REFUSE: 400, 413, 431 or 500 ... */
    const char *error;                 /* ... and why, for the error body (static text) */
    char inline_buf[STUB_INLINE_RBUF]; /* last: the owner need not clear it */
} request_t;

/* Starts with an empty inline buffer and no request. */
void request_init(request_t *rq);

/* Frees a heap buffer; buf is NULL after (request_init to use rq again). */
void request_free(request_t *rq);

/* Grows the buffer to at least `need` bytes, keeping its contents. Returns 0
 * or ENOMEM (the buffer is unchanged). */
int request_grow(request_t *rq, size_t need);

/* Parses the header section in buf[0..len): sets route, keep_alive, http10,
 * head_only, the framing and wants_continue. REQUEST_REFUSE for a malformed
 * (400) or too large (431) header section, a Content-Length over
 * cfg->max_body (413), or no memory for the body (500). */
request_result_t request_parse_head(request_t *rq, const stub_config_t *cfg);

/* Chunked body: decodes what arrived, in place after the header section.
 * Use request_parse_body. */
request_result_t request_decode_chunked(request_t *rq, const stub_config_t *cfg);

/* After request_parse_head: is the body whole? REQUEST_REFUSE for broken
 * chunked framing (400) or a body over cfg->max_body (413). Inline: a
 * Content-Length body, the common case, costs one comparison. */
static inline request_result_t request_parse_body(request_t *rq, const stub_config_t *cfg)
{
    if (rq->chunked)
        return request_decode_chunked(rq, cfg);
    return rq->len < rq->end ? REQUEST_MORE : REQUEST_DONE;
}

/* The current request was answered: drops it, keeping the bytes after it
 * (the next, pipelined request), and returns a large heap buffer to the
 * inline one when what is kept fits. */
void request_next(request_t *rq);

#endif
