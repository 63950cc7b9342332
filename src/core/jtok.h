/* jtok — the two JSON tokens that need more than a glance: strings and
 * numbers, checked as RFC 8259 writes them and as jansson reads them (strict
 * UTF-8, no \u0000, surrogates only in pairs). For scanners that build
 * nothing (template, rpath): they copy or skip the token's bytes themselves.
 *
 * Return convention: the token's length in bytes (a string's includes both
 * quotes), or JTOK_INVALID with *err (may be NULL) saying what and where.
 * The input ending inside a token is invalid: callers hold whole documents. */
#ifndef TAILGATE_CORE_JTOK_H
#define TAILGATE_CORE_JTOK_H

#include <stddef.h>
#include <sys/types.h>

#define JTOK_INVALID (-1)

typedef struct {
    const char *what; /* static text: "a string is not closed", ... */
    size_t offset;    /* byte of s where it went wrong */
} jtok_error_t;

/* The string token at s (s[0] == '"'). */
ssize_t jtok_string(const char *s, size_t len, jtok_error_t *err);
/* The number token at s (s[0] is '-' or a digit). Syntax only: the value's
 * range is not checked. A number is not followed by anything here: the
 * caller checks that what follows may end a value. */
ssize_t jtok_number(const char *s, size_t len, jtok_error_t *err);
/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if it is invalid. */
size_t jtok_utf8(const unsigned char *s, size_t len);
/* How much of s[0..n) to show when at most max bytes fit: max, backed up so
 * the cut never falls inside a UTF-8 character (n when all of it fits). */
size_t jtok_utf8_cut(const char *s, size_t n, size_t max);
/* The value of four hex digits at s, or -1. */
int jtok_hex4(const char *s);

#endif
