/* reply — status line, headers and error bodies (see reply.h). */
#include "stub/reply.h"

#include <stdint.h>
#include <string.h>

#include "core/http.h"
#include "stub/infer.h"

void reply_error(sbuf_t *out, const char *msg)
{
    if (reply_begin(out) || infer_error_body(out, msg))
        out->len = REPLY_HEAD_ROOM; /* out of memory: send the status with an empty body */
}

static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

static char *put_uint(char *o, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *o++ = d[--n];
    return o;
}

/* Copies of fixed text and two numbers: no printf on every response. */
long reply_head(sbuf_t *out, int status, bool close, bool http10, const char *allow, bool head_only)
{
    static const char mid[] = "\r\nContent-Type: application/json\r\nContent-Length: ";
    char head[REPLY_HEAD_ROOM];
    size_t body = out->len - REPLY_HEAD_ROOM;
    const char *conn_hdr = close    ? "Connection: close\r\n"
                           : http10 ? "Connection: keep-alive\r\n"
                                    : "";
    const char *reason = http_reason(status);
    size_t rlen = strlen(reason), clen = strlen(conn_hdr);
    size_t alen = allow ? strlen(allow) : 0;
    /* "HTTP/1.1 " status ' ' reason mid length "\r\n" conn [Allow] "\r\n" */
    if (9 + 20 + 1 + rlen + sizeof mid + 20 + 2 + clen + 9 + alen + 2 > sizeof head)
        return -1;
    char *o = put(head, "HTTP/1.1 ", 9);
    o = put_uint(o, (uint64_t)status);
    *o++ = ' ';
    o = put(o, reason, rlen);
    o = put(o, mid, sizeof mid - 1);
    o = put_uint(o, body);
    o = put(o, "\r\n", 2);
    o = put(o, conn_hdr, clen);
    if (allow) {
        o = put(o, "Allow: ", 7);
        o = put(o, allow, alen);
        o = put(o, "\r\n", 2);
    }
    o = put(o, "\r\n", 2);
    size_t n = (size_t)(o - head);
    size_t start = REPLY_HEAD_ROOM - n;
    memcpy(out->data + start, head, n);
    if (head_only)
        out->len = REPLY_HEAD_ROOM;
    return (long)start;
}
