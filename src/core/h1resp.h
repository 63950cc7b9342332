/* h1resp — frames one HTTP/1.1 response as its bytes arrive (RFC 9112 §6.3):
 * the head (1xx interim responses skipped; a 101 is invalid), then a body delimited by
 * Content-Length, by the chunked coding, or by the server closing. The one
 * framer of every client path (load/conn, load/probe).
 *
 * The caller owns the buffer and appends what it receives; h1resp_feed frames
 * it in place and may shorten it: interim heads are removed, chunked bodies
 * are decoded, and a body that is not kept is dropped as it is counted, so the
 * buffer never holds more than the head and what the body hook still wants.
 *
 *   buf:  [ head (head_len) ][ body: kept, or held for the hook ][ appended ]
 *
 * Return convention (as core/http):
 *   0                 the response is complete (the caller stops reading)
 *   HTTP_INCOMPLETE   need more bytes: append and call again
 *   HTTP_INVALID      broken framing (a protocol error)
 *   HTTP_TOO_LARGE    head over max_head bytes or H1RESP_MAX_HEADERS fields, or
 *                     a body over max_body that had to be held
 *
 * Body hook (for streaming: SSE over chunked or close-delimited bodies). When
 * on_body is set, every decoded body byte is offered to it in order, as soon
 * as it is framed: on_body(arg, data, len, end) gets the body bytes it has not
 * consumed yet (data[0..len), pointing into the caller's buffer, valid only
 * during the call) and returns how many of them, from the front, it consumed
 * (0..len). The rest stay in the buffer and are offered again, followed by
 * what arrives next -- so a parser may leave a partial line or event for the
 * next call and never copy it. end is true exactly once, on the call made when
 * the body is complete (the response is then done; len may be 0); the hook is
 * not called for a response that fails. It must not call back into h1resp or
 * touch the buffer. Without keep_body, consumed bytes are dropped; with it,
 * everything is kept and the hook only advances. Unset, it costs one branch
 * per feed. */
#ifndef TAILGATE_CORE_H1RESP_H
#define TAILGATE_CORE_H1RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/http.h"

#define H1RESP_MAX_HEADERS 64

typedef size_t (*h1resp_body_fn)(void *arg, const char *data, size_t len, bool end);

typedef struct {
    /* set by h1resp_init; the same for every response */
    bool head_request;      /* the request was HEAD: no body whatever the head says */
    bool keep_body;         /* keep the decoded body in the buffer (validation) */
    size_t max_head;        /* longest head section */
    uint64_t max_body;      /* most body bytes ever held (kept, or waiting for the hook) */
    h1resp_body_fn on_body; /* NULL: no hook */
    void *body_arg;         /* passed to on_body */

    /* the response, valid once have_head (h1resp_reset clears it) */
    bool have_head;
    int status;
    http_body_t body_kind;
    uint64_t content_length; /* body_kind == HTTP_BODY_LENGTH */
    bool keep_alive;         /* the connection may carry another request: the server did not ask to
                                close, the body was not close-delimited, and nothing came after it */
    size_t head_len;         /* buf[0..head_len) holds the head until the next reset */
    uint64_t body_len;       /* decoded body bytes framed so far */

    /* private */
    size_t raw_off;  /* first buffer byte not yet framed */
    size_t hook_off; /* first body byte the hook has not consumed */
    http_chunked_t chunked;
} h1resp_t;

/* Sets the options and readies r for a first response. */
void h1resp_init(h1resp_t *r, bool head_request, bool keep_body, size_t max_head, uint64_t max_body,
                 h1resp_body_fn on_body, void *body_arg);
/* Readies r for the next response (options kept). */
void h1resp_reset(h1resp_t *r);

/* Frames buf[0..*len): what earlier calls left (*len as they set it) followed
 * by newly received bytes. Sets *len to what the buffer holds now (append
 * after it). On 0 (complete): with keep_body the body is
 * buf[head_len .. head_len + body_len); bytes that came after the response are
 * dropped and clear keep_alive. Do not call again after a result other than
 * HTTP_INCOMPLETE without h1resp_reset. */
int h1resp_feed(h1resp_t *r, char *buf, size_t *len);

/* The server closed the connection (end of stream) after everything it sent
 * was fed. Returns 0 when that completes the response (a close-delimited body:
 * the hook gets its end call), HTTP_INCOMPLETE when the response was cut short. */
int h1resp_eof(h1resp_t *r, char *buf, size_t *len);

#endif
