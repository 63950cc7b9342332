#include "stub/sbuf.h"

#include "core/jtok.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sbuf_reserve(sbuf_t *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int sbuf_append(sbuf_t *b, const void *data, size_t n)
{
    if (sbuf_reserve(b, n))
        return ENOMEM;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return 0;
}

int sbuf_puts(sbuf_t *b, const char *s)
{
    return sbuf_append(b, s, strlen(s));
}

int sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return EINVAL;
    if ((size_t)n < sizeof small)
        return sbuf_append(b, small, (size_t)n);
    if (sbuf_reserve(b, (size_t)n + 1))
        return ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int sbuf_json_string(sbuf_t *b, const char *s, size_t n)
{
    /* Worst case every byte becomes \u00XX. */
    if (sbuf_reserve(b, n * 6 + 2))
        return ENOMEM;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            o += sprintf(o, "\\u%04x", c);
        } else if (c < 0x80) {
            *o++ = (char)c;
        } else {
            /* A script's text or a cut prompt may hold bytes that are not
             * UTF-8; JSON may not, so each such byte becomes U+FFFD. */
            size_t k = jtok_utf8((const unsigned char *)s + i, n - i);
            if (k == 0) {
                memcpy(o, "\\ufffd", 6);
                o += 6;
                continue;
            }
            memcpy(o, s + i, k);
            o += k;
            i += k - 1;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

void sbuf_reset(sbuf_t *b)
{
    b->len = 0;
}

void sbuf_free(sbuf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
