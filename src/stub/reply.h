/* reply — the bytes of a stub response, built in the connection's reusable
 * response buffer: the body is appended first, after REPLY_HEAD_ROOM bytes
 * left free at the front, and the status line and headers are then written
 * into that room right before it, so a response is one contiguous run of
 * bytes (one send) and is never copied. Private to src/stub/. */
#ifndef TAILGATE_STUB_REPLY_H
#define TAILGATE_STUB_REPLY_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "stub/sbuf.h"

/* Room reserved in front of the body for the status line and headers. */
#define REPLY_HEAD_ROOM 192

/* Empties out and leaves the header room in front; append the body next.
 * Returns 0 or ENOMEM. Inline: once per request. */
static inline int reply_begin(sbuf_t *out)
{
    sbuf_reset(out);
    if (sbuf_reserve(out, REPLY_HEAD_ROOM + 256))
        return ENOMEM;
    out->len = REPLY_HEAD_ROOM;
    return 0;
}

/* Replaces whatever body out holds with {"error": msg}. Out of memory, the
 * body is left empty (the status still goes out). Never fails. */
void reply_error(sbuf_t *out, const char *msg);

/* Writes the status line and headers (Content-Type: application/json, the
 * Content-Length of the body, "Connection: close" when close, else
 * "Connection: keep-alive" for an HTTP/1.0 keep-alive client, "Allow: allow"
 * when allow is not NULL) into the room in front of the body. out must have
 * been started with reply_begin. With head_only the body is dropped (HEAD:
 * its length is still announced). Returns the offset in out->data of the
 * response's first byte (it runs to out->len), or -1 when the headers do
 * not fit the room (a reason or allow too long: a bug, not an input). */
long reply_head(sbuf_t *out, int status, bool close, bool http10, const char *allow,
                bool head_only);

#endif
