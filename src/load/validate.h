/* validate — a strict, non-building JSON scanner (depth-limited) that counts
 * the elements of the top-level "outputs" array, without allocating. The
 * engine checks answers with load/rpath; this independent count stays as
 * the oracle rpath's tests and fuzz target compare /outputs against. */
#ifndef TAILGATE_LOAD_VALIDATE_H
#define TAILGATE_LOAD_VALIDATE_H

#include <stddef.h>

/* body[0..len) must be one JSON object (surrounding whitespace allowed).
 * Returns the number of elements of its "outputs" member when that is an
 * array; -1 when the body is not valid JSON, not an object, nests deeper
 * than 64, or has no "outputs" array. */
long validate_outputs_count(const char *body, size_t len);

#endif
