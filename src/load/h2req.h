/* h2req — the request's HTTP/2 header fields, derived once from the
 * HTTP/1.1 request that load/reqfmt builds (RFC 9113 §8.3.1, §8.2.2), so
 * every header rule (Host, Content-Type, the user's -H, presets) lives in
 * one place and HTTP/2 only translates it:
 *
 *   request line         -> :method, :scheme, :path
 *   Host                 -> :authority (the URL's authority when absent)
 *   other fields         -> the same, names lower-cased, in order
 *   Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade,
 *   and TE other than "trailers"  -> dropped (connection-specific, §8.2.2)
 *   Content-Length       -> dropped here: h2req_fields appends the length of
 *                           each request's own body
 *
 * Pure: no I/O, no nghttp2 session. The fields point into h->store, which
 * lives until h2req_close. */
#ifndef TAILGATE_LOAD_H2REQ_H
#define TAILGATE_LOAD_H2REQ_H

#include <stdbool.h>
#include <stddef.h>

#include <nghttp2/nghttp2.h>

#define H2REQ_MAX_FIELDS 72 /* pseudo-headers + reqfmt's headers + -H's 64 + content-length */

typedef struct {
    nghttp2_nv nv[H2REQ_MAX_FIELDS]; /* the fields; nv[n] is content-length's slot */
    size_t n;                        /* fields without content-length */
    bool body;                       /* the method sends a body: content-length goes out */
    char *store;                     /* names (lower-cased) and values */
} h2req_t;

/* Translates the HTTP/1.1 request head in req[0..len) (the body, if any,
 * follows it and is not read). scheme: "http" or "https". Returns 0, EINVAL
 * with err filled (not a request head tailgate builds: a bug, or too many
 * header fields) or ENOMEM. */
int h2req_init(h2req_t *h, const char *req, size_t len, const char *scheme, char *err,
               size_t errlen);
void h2req_close(h2req_t *h); /* zeroed is fine */

/* Where the body starts in an HTTP/1.1 request reqfmt built: after the blank
 * line that ends its head (len when there is none). */
size_t h2req_body_offset(const char *req, size_t len);

/* The fields of one request into nv (room for H2REQ_MAX_FIELDS): h's, then
 * content-length = body_len written into cl (24 bytes, the caller's; it
 * must live as long as nv) when the method sends a body. Returns the count.
 * Names and values are marked no-copy: they must outlive the HEADERS frame. */
size_t h2req_fields(const h2req_t *h, size_t body_len, char *cl, nghttp2_nv *nv);

#endif
