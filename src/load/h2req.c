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

static bool named(const http_header_t *h, const char *name)
{
    return h->name_len == strlen(name) && !strncasecmp(h->name, name, h->name_len);
}

/* Connection-specific fields: an HTTP/2 message carrying one is malformed
 * (RFC 9113 §8.2.2). Content-Length is per request (h2req_fields). */
static bool dropped(const http_header_t *h)
{
    if (named(h, "te"))
        return !(h->value_len == 8 && !strncasecmp(h->value, "trailers", 8));
    return named(h, "connection") || named(h, "keep-alive") || named(h, "proxy-connection") ||
           named(h, "transfer-encoding") || named(h, "upgrade") || named(h, "content-length") ||
           named(h, "host");
}

/* Appends s[0..n) to the store; returns its copy. */
static char *put(char **at, const char *s, size_t n, bool lower)
{
    char *p = *at;
    for (size_t i = 0; i < n; i++)
        p[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
    p[n] = '\0';
    *at += n + 1;
    return p;
}

static void field(h2req_t *h, char *name, size_t nlen, char *value, size_t vlen)
{
    h->nv[h->n++] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, nlen, vlen, NO_COPY};
}

int h2req_init(h2req_t *h, const char *req, size_t len, const char *scheme, char *err,
               size_t errlen)
{
    memset(h, 0, sizeof *h);
    http_header_t headers[H2REQ_MAX_FIELDS];
    http_request_t r;
    int hl = http_parse_request(req, len, &r, headers, H2REQ_MAX_FIELDS - 5, HEAD_MAX);
    if (hl <= 0) {
        snprintf(err, errlen, "cannot translate the request to HTTP/2: %s",
                 hl == HTTP_TOO_LARGE ? "too many header fields" : "not a whole request head");
        return EINVAL;
    }
    /* Everything the fields hold fits in the head's own size, plus the
     * pseudo-header names and a NUL per string. */
    h->store = malloc((size_t)hl + 64 + 2 * H2REQ_MAX_FIELDS);
    if (!h->store)
        return ENOMEM;
    char *at = h->store;
    const http_header_t *host = http_find_header(headers, r.num_headers, "host");
    field(h, put(&at, ":method", 7, false), 7, put(&at, r.method, r.method_len, false),
          r.method_len);
    field(h, put(&at, ":scheme", 7, false), 7, put(&at, scheme, strlen(scheme), false),
          strlen(scheme));
    if (host)
        field(h, put(&at, ":authority", 10, false), 10,
              put(&at, host->value, host->value_len, false), host->value_len);
    field(h, put(&at, ":path", 5, false), 5, put(&at, r.target, r.target_len, false), r.target_len);
    for (size_t i = 0; i < r.num_headers; i++) {
        const http_header_t *f = &headers[i];
        if (dropped(f))
            continue;
        field(h, put(&at, f->name, f->name_len, true), f->name_len,
              put(&at, f->value, f->value_len, false), f->value_len);
    }
    h->body = r.body == HTTP_BODY_LENGTH;
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

size_t h2req_fields(const h2req_t *h, size_t body_len, char *cl, nghttp2_nv *nv)
{
    memcpy(nv, h->nv, h->n * sizeof *nv);
    if (!h->body)
        return h->n;
    int k = snprintf(cl, 24, "%zu", body_len);
    nv[h->n] = (nghttp2_nv){(uint8_t *)"content-length", (uint8_t *)cl, 14, (size_t)k, NO_COPY};
    return h->n + 1;
}
