/* jscan — a JSON scanner for the stub's request bodies: validates without
 * allocating, finds members of the root object, and hashes values in a
 * canonical form. Nothing is copied; spans point into the caller's buffer.
 *
 * Accepts exactly what jansson's json_loadb(buf, len, 0) accepts (RFC 8259
 * plus jansson's limits), so a body is 400 under the same conditions as
 * before: strict UTF-8 in strings, no \u0000, integers within int64, reals
 * that do not overflow a double, nesting at most JSCAN_MAX_DEPTH values deep,
 * one value with only whitespace around it. Unlike json_loadb it also
 * accepts a scalar at the root; callers check the root's first byte.
 *
 * Canonical hash (FNV-1a 64 over a canonical byte stream): whitespace is
 * ignored; strings count by their decoded bytes ("\u0041" == "A"); numbers
 * by their text as written (1.0 != 1.00); object members are hashed one by
 * one and summed, so key order does not matter (a repeated key counts each
 * time). The same value gives the same hash wherever it appears. */
#ifndef TAILGATE_STUB_JSCAN_H
#define TAILGATE_STUB_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JSCAN_MAX_DEPTH 2048 /* the root value is depth 1 (jansson's limit) */
#define JSCAN_INVALID (-1)
#define JSCAN_INCOMPLETE (-2) /* the input ends inside a value that could go on */

typedef struct {
    const char *what; /* static text: "invalid escape", ... */
    size_t offset;    /* byte of buf where it went wrong */
} jscan_error_t;

/* A member value inside buf: buf[off .. off + len). len 0 = absent. */
typedef struct {
    size_t off, len;
} jscan_span_t;

/* Validates buf[0..len) as one JSON document. If its root is an object,
 * spans[i] is set to the value of its last member named keys[i] (compared
 * after decoding escapes) or to len 0. Returns len, JSCAN_INCOMPLETE (a
 * strict prefix of a document) or JSCAN_INVALID; on failure *err (may be
 * NULL) says what and where. */
ssize_t jscan_document(const char *buf, size_t len, const char *const keys[], jscan_span_t spans[],
                       size_t nkeys, jscan_error_t *err);

/* Scans the one value that starts at buf (after optional whitespace),
 * depth counting from 1, and stores its canonical hash in *hash (may be
 * NULL). Returns the bytes consumed (through the value's last byte),
 * JSCAN_INCOMPLETE or JSCAN_INVALID. */
ssize_t jscan_value(const char *buf, size_t len, uint64_t *hash, jscan_error_t *err);

/* Steps through the elements of an array that jscan_document accepted
 * (array[0] is its '['). Set *pos = 0 before the first call. Returns 1 and
 * the element's canonical hash, 0 after the last element, or JSCAN_INVALID
 * when the array is not valid after all. */
int jscan_next_element(const char *array, size_t len, size_t *pos, uint64_t *hash);

/* jscan_next_element that also gives the element's span, relative to
 * array. */
int jscan_element(const char *array, size_t len, size_t *pos, jscan_span_t *span, uint64_t *hash);

/* Members of an object inside a document that jscan_document accepted:
 * spans[i] is the value of the last member named keys[i] (relative to buf,
 * like obj) or len 0. Returns 0, or -1 when obj is not an object. */
int jscan_members(const char *buf, jscan_span_t obj, const char *const keys[], jscan_span_t spans[],
                  size_t nkeys);

/* The value buf[v] as a count: a JSON integer in [0, max]. Returns 0, or -1
 * (absent, negative, a fraction, an exponent, a string, over max). */
int jscan_u64(const char *buf, jscan_span_t v, uint64_t max, uint64_t *out);

/* The value buf[v] as true or false. Returns 0, or -1 for any other value. */
int jscan_bool(const char *buf, jscan_span_t v, bool *out);

/* Bytes of JSON whitespace at the start of buf[0..len). */
size_t jscan_skip_ws(const char *buf, size_t len);

#endif
