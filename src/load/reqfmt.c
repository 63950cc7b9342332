#include "load/reqfmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#define CL_RESERVE 48 /* "Content-Length: " + 20 digits + CRLF CRLF, rounded up */

static bool header_named(const char *h, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(h, name, n) == 0 && h[n] == ':';
}

static bool user_has(const char *const *headers, size_t num, const char *name)
{
    for (size_t i = 0; i < num; i++)
        if (header_named(headers[i], name))
            return true;
    return false;
}

/* Appends to a growing string; returns false on ENOMEM. */
static bool append(char **s, size_t *len, size_t *cap, const char *add, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 256;
        while (ncap < *len + n + 1)
            ncap *= 2;
        char *ns = realloc(*s, ncap);
        if (!ns)
            return false;
        *s = ns;
        *cap = ncap;
    }
    memcpy(*s + *len, add, n);
    *len += n;
    (*s)[*len] = 0;
    return true;
}

#define APPEND(str) append(&head, &len, &cap, (str), strlen(str))

int reqfmt_init(reqfmt_t *r, const url_t *url, const char *method, const char *model,
                const inputs_t *inputs, unsigned batch, const char *raw_body, size_t raw_len,
                const char *const *headers, size_t num_headers)
{
    char *head = NULL;
    size_t len = 0, cap = 0;
    int rc = ENOMEM;

    memset(r, 0, sizeof(*r));
    if (!method)
        method = "POST";
    if (!model)
        model = "example-model";
    if (batch == 0)
        return EINVAL;
    bool no_body = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    r->head_request = strcmp(method, "HEAD") == 0;
    r->batch = batch;

    if (!APPEND(method) || !APPEND(" ") || !APPEND(url->path) || !APPEND(" HTTP/1.1\r\n"))
        goto fail;
    if (!user_has(headers, num_headers, "host"))
        if (!APPEND("Host: ") || !APPEND(url->authority) || !APPEND("\r\n"))
            goto fail;
    if (!no_body && !user_has(headers, num_headers, "content-type"))
        if (!APPEND("Content-Type: application/json\r\n"))
            goto fail;
    for (size_t i = 0; i < num_headers; i++)
        if (!APPEND(headers[i]) || !APPEND("\r\n"))
            goto fail;

    if (no_body || !inputs) {
        /* The same bytes every time: prepare the whole request once. */
        char cl[64];
        size_t body_len = no_body ? 0 : raw_len;
        if (no_body)
            snprintf(cl, sizeof(cl), "\r\n");
        else
            snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", body_len);
        if (!APPEND(cl) || (body_len && !append(&head, &len, &cap, raw_body, body_len)))
            goto fail;
        r->fixed = head;
        r->fixed_len = len;
        r->buf_size = 0;
        return 0;
    }

    json_t *m = json_string(model);
    char *mtext = m ? json_dumps(m, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(m);
    if (!mtext)
        goto fail;
    size_t blen = 0, bcap = 0;
    char *body_open = NULL;
    bool ok = append(&body_open, &blen, &bcap, "{\"model\":", 9) &&
              append(&body_open, &blen, &bcap, mtext, strlen(mtext)) &&
              append(&body_open, &blen, &bcap, ",\"inputs\":[", 11);
    free(mtext);
    if (!ok) {
        free(body_open);
        goto fail;
    }
    r->head = head;
    r->head_len = len;
    r->body_open = body_open;
    r->body_open_len = blen;
    r->inputs = inputs;
    r->gap = len + CL_RESERVE;
    r->buf_size = r->gap + blen + (size_t)batch * (inputs_max_len(inputs) + 1) + 2;
    return 0;
fail:
    free(head);
    memset(r, 0, sizeof(*r));
    return rc;
}

void reqfmt_close(reqfmt_t *r)
{
    if (r->fixed)
        free(r->fixed);
    else
        free(r->head);
    free(r->body_open);
    memset(r, 0, sizeof(*r));
}

bool reqfmt_is_fixed(const reqfmt_t *r)
{
    return r->fixed != NULL;
}

size_t reqfmt_build(const reqfmt_t *r, char *buf, uint64_t first, uint64_t stride, unsigned n,
                    const char **start)
{
    if (r->fixed) {
        *start = r->fixed;
        return r->fixed_len;
    }
    char *body = buf + r->gap;
    char *p = body;
    memcpy(p, r->body_open, r->body_open_len);
    p += r->body_open_len;
    for (unsigned i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        p += inputs_item(r->inputs, first + (uint64_t)i * stride, p);
    }
    *p++ = ']';
    *p++ = '}';
    size_t body_len = (size_t)(p - body);

    /* "Content-Length: N\r\n\r\n", written backwards from the body. */
    char *q = body;
    memcpy(q -= 4, "\r\n\r\n", 4);
    size_t v = body_len;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(q -= 16, "Content-Length: ", 16);
    memcpy(q -= r->head_len, r->head, r->head_len);
    *start = q;
    return (size_t)(p - q);
}
