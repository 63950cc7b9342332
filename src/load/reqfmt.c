#include "load/reqfmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CL_RESERVE 48 /* "Content-Length: " + 20 digits + CRLF CRLF, rounded up */

/* Literal text, then a template (or none): the head is a list of these. */
struct reqfmt_seg {
    char *lit;
    size_t lit_len;
    const template_t *t;
};

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

/* The segment being built: its literal text grows until a template ends it. */
typedef struct {
    char *lit;
    size_t len, cap;
} lit_t;

#define LIT(l, str) append(&(l)->lit, &(l)->len, &(l)->cap, (str), strlen(str))

static bool seg_end(reqfmt_t *r, lit_t *l, const template_t *t)
{
    if (!l->lit && !append(&l->lit, &l->len, &l->cap, "", 0))
        return false;
    r->segs[r->nsegs++] = (reqfmt_seg_t){l->lit, l->len, t};
    memset(l, 0, sizeof *l);
    return true;
}

static size_t render_head(const reqfmt_t *r, const template_req_t *req, char *buf)
{
    char *p = buf;
    for (size_t i = 0; i < r->nsegs; i++) {
        memcpy(p, r->segs[i].lit, r->segs[i].lit_len);
        p += r->segs[i].lit_len;
        if (r->segs[i].t)
            p += template_render(r->segs[i].t, req, p);
    }
    return (size_t)(p - buf);
}

/* The head's segments: "METHOD " path " HTTP/1.1\r\n" Host Content-Type,
 * then each header and its CRLF. */
static int build_head(reqfmt_t *r, const reqfmt_args_t *a, const char *method,
                      const template_t *path)
{
    lit_t l = {0};
    r->segs = calloc(a->num_headers + 2, sizeof(*r->segs));
    if (!r->segs)
        return ENOMEM;
    bool ok = LIT(&l, method) && LIT(&l, " ") && seg_end(r, &l, path) && LIT(&l, " HTTP/1.1\r\n");
    if (ok && !user_has(a->headers, a->num_headers, "host"))
        ok = LIT(&l, "Host: ") && LIT(&l, a->url->authority) && LIT(&l, "\r\n");
    if (ok && !r->no_body && !user_has(a->headers, a->num_headers, "content-type"))
        ok = LIT(&l, "Content-Type: application/json\r\n");
    for (size_t i = 0; ok && i < a->num_headers; i++)
        ok = seg_end(r, &l, r->hdrs[i]) && LIT(&l, "\r\n");
    ok = ok && seg_end(r, &l, NULL);
    if (!ok) {
        free(l.lit);
        return ENOMEM;
    }
    bool varies = false;
    r->head_max = 0;
    for (size_t i = 0; i < r->nsegs; i++) {
        r->head_max += r->segs[i].lit_len;
        if (r->segs[i].t) {
            r->head_max += template_max_len(r->segs[i].t, a->batch);
            varies |= (template_flags(r->segs[i].t) & TEMPLATE_VARIES) != 0;
        }
    }
    if (!varies) {
        template_req_t req = {.n = 1};
        r->head = malloc(r->head_max + 1);
        if (!r->head)
            return ENOMEM;
        r->head_len = render_head(r, &req, r->head);
    }
    return 0;
}

int reqfmt_init(reqfmt_t *r, const reqfmt_args_t *a, char *err, size_t errlen)
{
    int rc;
    memset(r, 0, sizeof(*r));
    const char *method = a->method ? a->method : "POST";
    if (a->batch == 0)
        return EINVAL;
    r->no_body = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    r->head_request = strcmp(method, "HEAD") == 0;
    r->plan = r->no_body ? NULL : a->plan;
    r->raw = a->raw_body;
    r->raw_len = r->no_body || r->plan ? 0 : a->raw_len;

    const template_t *path = r->plan ? r->plan->path : NULL;
    if (!path) {
        const char *p = a->url->path;
        if ((rc = template_compile(p, strlen(p), TEMPLATE_PATH, a->model, &r->path, err, errlen))) {
            char why[256];
            snprintf(why, sizeof why, "%s", err);
            snprintf(err, errlen, "URL path '%.100s': %s", p, why);
            goto fail;
        }
        path = r->path;
    }
    r->hdrs = calloc(a->num_headers ? a->num_headers : 1, sizeof(*r->hdrs));
    if (!r->hdrs) {
        rc = ENOMEM;
        goto fail;
    }
    r->nhdrs = a->num_headers;
    for (size_t i = 0; i < a->num_headers; i++) {
        const char *h = a->headers[i];
        if ((rc = template_compile(h, strlen(h), TEMPLATE_HEADER, a->model, &r->hdrs[i], err,
                                   errlen))) {
            char why[256];
            snprintf(why, sizeof why, "%s", err);
            snprintf(err, errlen, "-H '%.100s': %s", h, why);
            goto fail;
        }
    }
    if ((rc = build_head(r, a, method, path)))
        goto fail;

    if (!r->plan && r->head) {
        /* The same bytes every time: prepare the whole request once. */
        char cl[64];
        size_t len = r->head_len, cap = r->head_max + 1;
        if (r->no_body)
            snprintf(cl, sizeof(cl), "\r\n");
        else
            snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", r->raw_len);
        if (!append(&r->head, &len, &cap, cl, strlen(cl)) ||
            (r->raw_len && !append(&r->head, &len, &cap, r->raw, r->raw_len))) {
            rc = ENOMEM;
            goto fail;
        }
        r->fixed = r->head;
        r->fixed_len = len;
        r->head = NULL;
        r->buf_size = 0;
        return 0;
    }
    r->gap = r->head_max + CL_RESERVE;
    r->buf_size = r->gap + (r->plan ? preset_plan_max_body(r->plan, a->batch) : r->raw_len);
    return 0;
fail:
    if (rc == ENOMEM)
        snprintf(err, errlen, "out of memory");
    reqfmt_close(r);
    return rc;
}

void reqfmt_close(reqfmt_t *r)
{
    free(r->fixed);
    free(r->head);
    for (size_t i = 0; i < r->nsegs; i++)
        free(r->segs[i].lit);
    free(r->segs);
    template_free(r->path);
    for (size_t i = 0; i < r->nhdrs; i++)
        template_free(r->hdrs[i]);
    free(r->hdrs);
    memset(r, 0, sizeof(*r));
}

bool reqfmt_is_fixed(const reqfmt_t *r)
{
    return r->fixed != NULL;
}

bool reqfmt_head_varies(const reqfmt_t *r)
{
    return !r->fixed && !r->head;
}

size_t reqfmt_build(const reqfmt_t *r, char *buf, uint64_t first, uint64_t stride, unsigned n,
                    uint64_t request_id, const char **start)
{
    if (r->fixed) {
        *start = r->fixed;
        return r->fixed_len;
    }
    template_req_t req = {first, stride, n, request_id};
    char *body = buf + r->gap;
    size_t body_len;
    if (r->plan) {
        body_len = template_render(preset_plan_body(r->plan, first), &req, body);
    } else {
        body_len = r->raw_len; /* GET, HEAD: none */
        if (body_len)
            memcpy(body, r->raw, body_len);
    }

    /* "Content-Length: N\r\n\r\n", written backwards from the body. */
    char *q = body;
    if (r->no_body) {
        memcpy(q -= 2, "\r\n", 2);
    } else {
        memcpy(q -= 4, "\r\n\r\n", 4);
        size_t v = body_len;
        do {
            *--q = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        memcpy(q -= 16, "Content-Length: ", 16);
    }
    if (r->head) {
        memcpy(q -= r->head_len, r->head, r->head_len);
    } else {
        /* Rendered at the buffer's start, then moved up against the rest:
         * the gap leaves room for the longest head (the ranges may overlap). */
        size_t len = render_head(r, &req, buf);
        memmove(q -= len, buf, len);
    }
    *start = q;
    return (size_t)(body + body_len - q);
}
