/* reqfmt — the bytes of a request, prepared before the clock starts.
 *
 * The header block (method, path, Host, Content-Type, user headers) is
 * formatted once. Per request, reqfmt_build copies the items' texts into the
 * connection's write buffer right after a reserved gap, then writes
 * Content-Length and the header block right-aligned into that gap, so the
 * whole request is one contiguous span for one write(). No allocation. */
#ifndef TAILGATE_LOAD_REQFMT_H
#define TAILGATE_LOAD_REQFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/url.h"
#include "load/inputs.h"

typedef struct {
    char *head; /* header block without Content-Length and final CRLF */
    size_t head_len;
    char *body_open; /* {"model":NAME,"inputs":[ */
    size_t body_open_len;
    const inputs_t *inputs; /* NULL: fixed request */
    unsigned batch;
    bool head_request; /* HEAD: the response has no body */
    char *fixed;       /* whole request when it never changes (--body, GET) */
    size_t fixed_len;
    size_t gap;      /* bytes reserved before the body */
    size_t buf_size; /* write buffer size a connection needs */
} reqfmt_t;

/* method: "POST" when NULL. model: JSON-encoded here. inputs NULL with
 * raw_body (or for GET/HEAD: no body at all). headers: "K: V" strings; a user
 * Host or Content-Type replaces ours. Returns 0, EINVAL or ENOMEM. */
int reqfmt_init(reqfmt_t *r, const url_t *url, const char *method, const char *model,
                const inputs_t *inputs, unsigned batch, const char *raw_body, size_t raw_len,
                const char *const *headers, size_t num_headers);
void reqfmt_close(reqfmt_t *r);

/* True when every request is the same bytes (r->fixed): nothing to build. */
bool reqfmt_is_fixed(const reqfmt_t *r);

/* Builds a request carrying n items (n <= batch): item indices first,
 * first + stride, ... into buf (r->buf_size bytes). Returns its length and
 * sets *start to its first byte inside buf. */
size_t reqfmt_build(const reqfmt_t *r, char *buf, uint64_t first, uint64_t stride, unsigned n,
                    const char **start);

#endif
