/* validate — the checks --validate applies to a response body, without
 * allocating: a strict, non-building JSON scanner (depth-limited) that also
 * counts the elements of the top-level "outputs" array. */
#ifndef TAILGATE_LOAD_VALIDATE_H
#define TAILGATE_LOAD_VALIDATE_H

#include <stddef.h>

/* body[0..len) must be one JSON object (surrounding whitespace allowed).
 * Returns the number of elements of its "outputs" member when that is an
 * array; -1 when the body is not valid JSON, not an object, nests deeper
 * than 64, or has no "outputs" array. */
long validate_outputs_count(const char *body, size_t len);

#endif
