/* h2req — HTTP/1.1 request head -> HTTP/2 fields (see h2req.h). */
#include "load/h2req.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/http.h"

#define NO_COPY (NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE)
#define HEAD_MAX (64 * 1024)
#define MAX_HEADERS (H2REQ_MAX_FIELDS - 5) /* room left by 4 pseudo-headers, content-length */

static bool named(const http_header_t *h, const char *name)
{
    return h->name_len == strlen(name) && !strncasecmp(h->name, name, h->name_len);
}

/* Connection-specific fields: an HTTP/2 message carrying one is malformed
 * (RFC 9113 §8.2.2). Content-Length is per request (h2req_fields); Host
 * becomes :authority. */
static bool dropped(const http_header_t *h)
{
    if (named(h, "te"))
        return !(h->value_len == 8 && !strncasecmp(h->value, "trailers", 8));
    return named(h, "connection") || named(h, "keep-alive") || named(h, "proxy-connection") ||
           named(h, "transfer-encoding") || named(h, "upgrade") || named(h, "content-length") ||
           named(h, "host");
}

static nghttp2_nv field(const char *name, size_t nlen, const char *value, size_t vlen)
{
    return (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, nlen, vlen, NO_COPY};
}

/* The fields of the request head in head[0..len) into nv (*n of them, without
 * content-length); names and values point into head, whose field names are
 * lower-cased in place. *body: the request has a Content-Length (a method that
 * sends a body). Returns the head's length, or http_parse_request's error. */
static int translate(char *head, size_t len, size_t max_bytes, const char *scheme, nghttp2_nv *nv,
                     size_t *n, bool *body)
{
    http_header_t headers[MAX_HEADERS];
    http_request_t r;
    int hl = http_parse_request(head, len, &r, headers, MAX_HEADERS, max_bytes);
    if (hl <= 0)
        return hl ? hl : HTTP_INVALID;
    size_t k = 0;
    const http_header_t *host = http_find_header(headers, r.num_headers, "host");
    nv[k++] = field(":method", 7, r.method, r.method_len);
    nv[k++] = field(":scheme", 7, scheme, strlen(scheme));
    if (host)
        nv[k++] = field(":authority", 10, host->value, host->value_len);
    nv[k++] = field(":path", 5, r.target, r.target_len);
    for (size_t i = 0; i < r.num_headers; i++) {
        const http_header_t *f = &headers[i];
        if (dropped(f))
            continue;
        char *name = head + (f->name - head); /* the caller's: writable */
        for (size_t j = 0; j < f->name_len; j++)
            name[j] = (char)tolower((unsigned char)name[j]);
        nv[k++] = field(name, f->name_len, f->value, f->value_len);
    }
    *n = k;
    *body = r.body == HTTP_BODY_LENGTH;
    return hl;
}

int h2req_init(h2req_t *h, const char *req, size_t len, const char *scheme, bool varies, char *err,
               size_t errlen)
{
    memset(h, 0, sizeof *h);
    size_t head_len = h2req_body_offset(req, len), slen = strlen(scheme);
    h->store = malloc(head_len + slen + 1);
    if (!h->store)
        return ENOMEM;
    memcpy(h->store, req, head_len);
    memcpy(h->store + head_len, scheme, slen + 1);
    h->scheme = h->store + head_len;
    int hl = translate(h->store, head_len, HEAD_MAX, h->scheme, h->nv, &h->n, &h->body);
    if (hl <= 0) {
        snprintf(err, errlen, "cannot translate the request to HTTP/2: %s",
                 hl == HTTP_TOO_LARGE ? "too many header fields" : "not a whole request head");
        h2req_close(h);
        return EINVAL;
    }
    h->varies = varies;
    return 0;
}

void h2req_close(h2req_t *h)
{
    free(h->store);
    memset(h, 0, sizeof *h);
}

size_t h2req_body_offset(const char *req, size_t len)
{
    const char *e = memmem(req, len, "\r\n\r\n", 4);
    return e ? (size_t)(e - req) + 4 : len;
}

size_t h2req_fields(const h2req_t *h, char *head, size_t head_len, size_t body_len, char *cl,
                    nghttp2_nv *nv)
{
    size_t n = h->n;
    if (!h->varies) {
        memcpy(nv, h->nv, n * sizeof *nv);
    } else {
        /* The same shape as the head h2req_init saw (reqfmt renders the same
         * fields every time, only their values differ), so it fits. */
        bool body;
        if (!head || translate(head, head_len, head_len, h->scheme, nv, &n, &body) <= 0)
            return 0;
        /* A value that changes per request (a request id, a path with {{seq}})
         * would take a new HPACK table entry each time and push out the ones
         * that repeat: it goes out never-indexed instead. */
        for (size_t i = 0; i < n && i < h->n; i++)
            if (nv[i].valuelen != h->nv[i].valuelen ||
                memcmp(nv[i].value, h->nv[i].value, nv[i].valuelen))
                nv[i].flags |= NGHTTP2_NV_FLAG_NO_INDEX;
    }
    if (!h->body)
        return n;
    int k = snprintf(cl, 24, "%zu", body_len);
    nv[n] = field("content-length", 14, cl, (size_t)k);
    return n + 1;
}
