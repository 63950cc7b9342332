/* reqfmt — the bytes of a request, prepared before the clock starts.
 *
 * The head (request line, Host, Content-Type, user headers) is rendered once
 * when nothing in it varies. Per request, reqfmt_build renders the body (the
 * plan's template, load/preset.h) into the connection's write buffer right
 * after a reserved gap, then writes Content-Length and the head right-aligned
 * into that gap, so the whole request is one contiguous span for one write().
 * A URL path or header that names {{request_id}}, {{seq}} or {{batch}} makes
 * the head vary: it is then rendered per request into the same buffer and
 * moved next to the body (a copy of the head, no allocation). */
#ifndef TAILGATE_LOAD_REQFMT_H
#define TAILGATE_LOAD_REQFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/url.h"
#include "load/preset.h"
#include "load/template.h"

typedef struct reqfmt_seg reqfmt_seg_t;

typedef struct {
    const url_t *url;
    const char *method; /* "POST" when NULL */
    /* The body and URL path templates (borrowed; must outlive the reqfmt).
     * NULL: raw_body is sent (or nothing, for GET and HEAD) and the URL's
     * path is compiled here. */
    const preset_plan_t *plan;
    const char *model; /* {{model}} in a path compiled here and in headers */
    unsigned batch;    /* most items per request, >= 1 */
    const char *raw_body;
    size_t raw_len;
    const char *const *headers; /* "K: V" templates; a user Host or Content-Type replaces ours */
    size_t num_headers;
} reqfmt_args_t;

typedef struct {
    char *head; /* the head without Content-Length and final CRLF, when it never varies */
    size_t head_len;
    reqfmt_seg_t *segs; /* the head's parts, when it varies (head NULL) */
    size_t nsegs;
    size_t head_max;   /* most bytes the head renders to */
    template_t *path;  /* compiled here (no plan) */
    template_t **hdrs; /* the headers, compiled */
    size_t nhdrs;
    const preset_plan_t *plan;
    const char *raw; /* raw body, when no plan */
    size_t raw_len;
    bool no_body;      /* GET, HEAD: no body and no Content-Length */
    bool head_request; /* HEAD: the response has no body */
    char *fixed;       /* whole request when it never changes (--body, GET) */
    size_t fixed_len;
    size_t gap;      /* bytes reserved before the body */
    size_t buf_size; /* write buffer size a connection needs (0 when fixed) */
} reqfmt_t;

/* Compiles the path and headers and prepares what never varies. Returns 0,
 * EINVAL (err names the header or path and the template position), or
 * ENOMEM. */
int reqfmt_init(reqfmt_t *r, const reqfmt_args_t *a, char *err, size_t errlen);
void reqfmt_close(reqfmt_t *r);

/* True when every request is the same bytes (r->fixed): nothing to build. */
bool reqfmt_is_fixed(const reqfmt_t *r);
/* True when the head (request line and header fields) differs from request
 * to request: a path or header names {{request_id}}, {{seq}} or {{batch}}. */
bool reqfmt_head_varies(const reqfmt_t *r);

/* Builds the request carrying n items (1 <= n <= batch): item indices first,
 * first + stride, ... into buf (r->buf_size bytes); request_id fills
 * {{request_id}} (the CSV log's request_id). Returns its length and sets
 * *start to its first byte inside buf (or inside r->fixed). No allocation. */
size_t reqfmt_build(const reqfmt_t *r, char *buf, uint64_t first, uint64_t stride, unsigned n,
                    uint64_t request_id, const char **start);

#endif
