/* rpath — where the per-item outputs are in an answer (--outputs PATH), and
 * the check --validate outputs makes: the path exists and holds one output
 * per item. One scanner over the answer's text serves the hot path (count
 * and check, no allocation) and verification (each output's text as
 * received, or parsed with jansson).
 *
 * Grammar:
 *   outputs  = [ "=" ] path [ "@" modifier ]
 *   path     = *( "/" step )           ""  is the whole answer
 *   step     = "*" / name
 *   name     = JSON Pointer reference token (RFC 6901: "~0" is "~", "~1" is
 *              "/"), and here "~2" is "*" and "~3" is "@"
 *   modifier = 1*DIGIT / name
 * On an object a step is a member name (of equal names the last counts, as
 * jansson reads them); on an array a step of digits is an index.
 *
 * Meaning (the default is /outputs):
 *   /outputs            the array there; each element is one item's output
 *                       (tailgate, {"predictions": [...]})
 *   /data/ * /embedding     (no spaces) each element of the array at "*" holds
 *                       one output at the rest of the path (OpenAI embeddings);
 *                       at most one "*"
 *   /outputs/0/data@4   the array there holds the outputs back to back, 4
 *                       elements each
 *   /outputs/0/data@shape   a tensor (KServe v2 / Open Inference Protocol):
 *                       the member "shape" beside the array is [n, d1, ...];
 *                       n is the batch, and each item's output is d1*...
 *                       elements of flat (row-major) data, or one element
 *                       of nested data (length n)
 *   =/generated_text    the value there is the one output of a one-item
 *                       request (TGI); no "*" or "@" with "="
 * An output of more than one element (the "@" forms) is those elements as a
 * JSON array.
 *
 * The scanner accepts RFC 8259 JSON with strict UTF-8, no \u0000 and paired
 * surrogates, nesting at most 64 deep (as validate.c); numbers are checked
 * for syntax, not range (jansson also refuses integers past int64). */
#ifndef TAILGATE_LOAD_RPATH_H
#define TAILGATE_LOAD_RPATH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct rpath rpath_t;

typedef enum {
    RPATH_OK,
    RPATH_NOT_JSON,  /* the answer is not one JSON document */
    RPATH_MISSING,   /* a step of the path is not there */
    RPATH_NOT_ARRAY, /* where the outputs array (or "*") must be, something else is */
    RPATH_STRIDE,    /* @N: the array's length is not a multiple of N */
    RPATH_SHAPE,     /* @KEY: the shape is absent, not dimensions, or does not fit */
    RPATH_COUNT,     /* rpath_check: not one output per item */
} rpath_status_t;

/* An output's text: body[off .. off + len). */
typedef struct {
    size_t off, len;
} rpath_span_t;

typedef struct {
    rpath_status_t status;
    size_t count;    /* outputs found */
    size_t elements; /* "@" forms: elements of the array; else count */
    size_t stride;   /* elements per output: >1 only for flat "@" forms */
    size_t items;    /* rpath_check: items sent */
    size_t at;       /* NOT_JSON: the byte where it went wrong */
    unsigned step;   /* MISSING: the step (0-based) that failed; NOT_ARRAY: how many
                      * steps led to the value that is not an array */
    size_t element;  /* ... under "*": the element being walked */
    char found;      /* NOT_ARRAY: the first byte of what stood there */
    const char *why; /* SHAPE: static text */
} rpath_result_t;

/* Compiles --outputs text. Returns 0, EINVAL (err says why) or ENOMEM. */
int rpath_compile(const char *text, rpath_t **out, char *err, size_t errlen);
void rpath_free(rpath_t *p);
/* The text it was compiled from. */
const char *rpath_text(const rpath_t *p);
/* True for the "=" form: at most one item per request. */
bool rpath_single(const rpath_t *p);

/* Scans body[0..len) and finds the outputs. spans (may be NULL with max 0)
 * receives the first max outputs' texts; for a flat "@" form the spans are
 * filled only when max >= res->elements, and a span is the run of elements
 * without its brackets ("1,2,3"): res->stride > 1 says so. Returns
 * res->status. No allocation. */
rpath_status_t rpath_scan(const rpath_t *p, const char *body, size_t len, rpath_span_t *spans,
                          size_t max, rpath_result_t *res);
/* rpath_scan, then RPATH_COUNT unless there is one output per item. */
rpath_status_t rpath_check(const rpath_t *p, const char *body, size_t len, size_t items,
                           rpath_result_t *res);
/* The reason for a person, e.g. no "outputs" array; 3 outputs for 5 inputs;
 * "/data/2" has no "embedding". Returns what snprintf returns. */
int rpath_explain(const rpath_t *p, const rpath_result_t *res, char *buf, size_t len);

/* For verification (allocates): checks one output per item and returns a new
 * JSON array of the outputs, or NULL with res->status set (RPATH_NOT_JSON
 * also when jansson refuses an output, ENOMEM aside). */
json_t *rpath_outputs(const rpath_t *p, const char *body, size_t len, size_t items,
                      rpath_result_t *res);

#endif
