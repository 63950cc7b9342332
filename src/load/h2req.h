/* h2req — a request's HTTP/2 header fields, translated from the HTTP/1.1
 * request that load/reqfmt builds (RFC 9113 §8.3.1, §8.2.2), so every header
 * rule (Host, Content-Type, the user's -H, presets) lives in one place and
 * HTTP/2 only translates it:
 *
 *   request line         -> :method, :scheme, :path
 *   Host                 -> :authority (the URL's authority when absent)
 *   other fields         -> the same, names lower-cased, in order
 *   Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade,
 *   and TE other than "trailers"  -> dropped (connection-specific, §8.2.2)
 *   Content-Length       -> dropped here: h2req_fields appends the length of
 *                           each request's own body
 *
 * A head that never varies is translated once (h2req_init). One that does --
 * a path or header naming {{request_id}}, {{seq}} or {{batch}} -- is
 * translated per request from that request's own head (h2req_fields), so
 * each stream carries exactly the fields its HTTP/1.1 twin would: a parse of
 * the head and pointers into it, no copy and no allocation. A field whose
 * value differs from the first request's is marked never-indexed, so per-
 * request values do not churn the HPACK dynamic table.
 *
 * Pure: no I/O, no nghttp2 session. The fixed fields point into h->store,
 * which lives until h2req_close. */
#ifndef TAILGATE_LOAD_H2REQ_H
#define TAILGATE_LOAD_H2REQ_H

#include <stdbool.h>
#include <stddef.h>

#include <nghttp2/nghttp2.h>

#define H2REQ_MAX_FIELDS 72 /* pseudo-headers + reqfmt's headers + -H's 64 + content-length */

typedef struct {
    nghttp2_nv nv[H2REQ_MAX_FIELDS]; /* the fields (the first request's when varies) */
    size_t n;                        /* fields without content-length */
    bool body;                       /* the method sends a body: content-length goes out */
    bool varies;                     /* each request's head is translated (h2req_fields) */
    const char *scheme;              /* ":scheme", in store */
    char *store;                     /* the head (names lower-cased) and the scheme */
} h2req_t;

/* Translates the HTTP/1.1 request head in req[0..len) (the body, if any,
 * follows it and is not read). scheme: "http" or "https". varies: the head
 * differs from request to request (reqfmt_head_varies), so h2req_fields
 * translates each request's own. Returns 0, EINVAL with err filled (not a
 * request head tailgate builds: a bug, or too many header fields) or ENOMEM. */
int h2req_init(h2req_t *h, const char *req, size_t len, const char *scheme, bool varies, char *err,
               size_t errlen);
void h2req_close(h2req_t *h); /* zeroed is fine */

/* Where the body starts in an HTTP/1.1 request reqfmt built: after the blank
 * line that ends its head (len when there is none). */
size_t h2req_body_offset(const char *req, size_t len);

/* The fields of one request into nv (room for H2REQ_MAX_FIELDS), then
 * content-length = body_len written into cl (24 bytes, the caller's; it must
 * live as long as nv) when the method sends a body. When h->varies they are
 * those of head[0..head_len) -- the request's own head as reqfmt built it --
 * whose field names are lower-cased in place; otherwise h's (head is not
 * read; NULL is fine). Returns the count, or 0 when head is not a request
 * head reqfmt builds (a bug). Names and values are marked no-copy: they, and
 * head, must outlive the HEADERS frame. No allocation. */
size_t h2req_fields(const h2req_t *h, char *head, size_t head_len, size_t body_len, char *cl,
                    nghttp2_nv *nv);

#endif
