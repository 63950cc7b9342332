/* template — request bodies, URL paths and header values with placeholders,
 * compiled once into literal text and slots; a request is rendered by copying
 * pre-serialized JSON into the caller's buffer: no parse, no allocation.
 *
 * Placeholders ({{ name }}; spaces inside the braces are optional):
 *   {{item}}         the request's item, as JSON (one item per request)
 *   {{items}}        the request's items, as a JSON array (any batch)
 *   {{item.F}}       field F of the item, an object ("a.b" nested; a step of
 *                    digits indexes an array); F is letters, digits, _ and -
 *   {{items.F}}      field F of every item, as a JSON array
 *   {{item.F ?? V}}, {{items.F ?? V}}   V (a JSON value) for an item without
 *                    F; an item that has F must then hold V's JSON type
 *   {{model}}        the model name (a JSON string; as text in paths/headers)
 *   {{request_id}}   the request's id as the CSV log's request_id column
 *                    gives it: a JSON string of digits ("17"); digits as text
 *   {{seq}}          the index of the request's first item in the run's item
 *                    sequence (0, 1, 2, ... over all threads, still counting
 *                    when a data file cycles): a JSON number
 *   {{batch}}        how many items the request carries: a JSON number (the
 *                    first dimension of a tensor shape, say)
 *
 * TEMPLATE_JSON: the text is one JSON document in which a placeholder stands
 * where a value stands; never inside a string (an error: it would have to be
 * escaped, and a string item brings its own quotes) and never as an object
 * key. A leading UTF-8 byte order mark is skipped (columns count from after
 * it). Rendering gives valid JSON always. Literal parts are kept compact:
 * whitespace outside strings is dropped, strings and numbers stay as written.
 * TEMPLATE_PATH, TEMPLATE_HEADER: plain text with {{model}}, {{request_id}},
 * {{seq}}, {{batch}} only; the model name is percent-encoded in a path
 * (RFC 3986 pchar kept) and copied as is into a header (a model name with a
 * control character is refused).
 *
 * Errors read "LINE:COLUMN: what" (1-based; the column counts characters) so
 * the caller prefixes the file name or option. Return convention: 0 or an
 * errno value (EINVAL for the template's fault, ENOMEM). */
#ifndef TAILGATE_LOAD_TEMPLATE_H
#define TAILGATE_LOAD_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "load/inputs.h"

typedef enum { TEMPLATE_JSON, TEMPLATE_PATH, TEMPLATE_HEADER } template_mode_t;

typedef struct tmpl template_t;

/* What one request puts into the slots. */
typedef struct {
    uint64_t first;      /* item index of the request's first item; also {{seq}} */
    uint64_t stride;     /* its next items are first + stride, first + 2 * stride, ... */
    unsigned n;          /* items in the request, >= 1 */
    uint64_t request_id; /* {{request_id}} */
} template_req_t;

/* Compiles text[0..len). model: the run's model name, folded into the
 * literal text now (NULL only if the template has no {{model}}). */
int template_compile(const char *text, size_t len, template_mode_t mode, const char *model,
                     template_t **out, char *err, size_t errlen);
void template_free(template_t *t);

#define TEMPLATE_READS_ITEM 1u   /* {{item}} or {{item.F}}: one item per request */
#define TEMPLATE_READS_ITEMS 2u  /* {{items}} or {{items.F}} */
#define TEMPLATE_READS_FIELDS 4u /* some {{item.F}} / {{items.F}}: needs template_bind */
#define TEMPLATE_VARIES 8u       /* some slot at all: requests differ (else render once) */
unsigned template_flags(const template_t *t);

/* The items the slots read from; field placeholders are extracted now and
 * every item checked (inputs_add_field: errors name FILE:LINE and the
 * field). flags: INPUTS_OBJECTS_ONLY when this template is only ever used for
 * object items (a preset's object body). A template that reads items must be
 * bound before template_max_len or template_render; in must outlive t. */
int template_bind(template_t *t, inputs_t *in, unsigned flags, char *err, size_t errlen);

/* Most bytes a request of at most `batch` items renders to. */
size_t template_max_len(const template_t *t, unsigned batch);
/* Renders one request into buf (template_max_len(t, req->n) bytes) and
 * returns its length. No allocation, no parse. {{item}}/{{item.F}} read the
 * first item of req. */
size_t template_render(const template_t *t, const template_req_t *req, char *buf);

#endif
