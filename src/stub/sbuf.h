/* sbuf — a growable byte buffer for building responses. Grows by doubling;
 * the owner reuses it across requests (sbuf_reset keeps the memory). */
#ifndef TAILGATE_STUB_SBUF_H
#define TAILGATE_STUB_SBUF_H

#include <stddef.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} sbuf_t;

/* Makes room for `extra` more bytes. Returns 0 or ENOMEM. */
int sbuf_reserve(sbuf_t *b, size_t extra);
int sbuf_append(sbuf_t *b, const void *data, size_t n);
int sbuf_puts(sbuf_t *b, const char *s);
int sbuf_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) as a quoted, escaped JSON string; a byte that is not part
 * of valid UTF-8 is written as \ufffd. */
int sbuf_json_string(sbuf_t *b, const char *s, size_t n);
void sbuf_reset(sbuf_t *b);
/* Frees the memory; the buffer is empty and reusable. */
void sbuf_free(sbuf_t *b);

#endif
