/* resdoc — reading the JSON documents tailgate writes: result files
 * (`run --out`) and comparisons (`diff`, `ab`), DESIGN.md "Files".
 *
 * Readers are lenient about what they show (a missing optional field reads as
 * absent) and strict about shape (resdoc_check_*), so that a file that is not
 * ours is refused with a reason rather than rendered as nonsense. Nothing here
 * allocates except resdoc_check_result, which decodes the histograms to check
 * them and frees them again. */
#ifndef TAILGATE_OUTPUT_RESDOC_H
#define TAILGATE_OUTPUT_RESDOC_H

#include <stddef.h>
#include <jansson.h>

/* j["a"]["b"] for the dotted path "a.b" (keys up to 63 bytes); NULL when a
 * step is missing or not an object. Borrowed reference. */
const json_t *resdoc_get(const json_t *j, const char *path);
/* The number at path, NaN when missing, null or not a number. */
double resdoc_num(const json_t *j, const char *path);
/* The string at path, NULL when missing or not a string. Borrowed. */
const char *resdoc_str(const json_t *j, const char *path);

/* Checks that j is a result document: an object with "requests" (total, ok
 * numbers) and "latency_ms", and optional fields of the right JSON types;
 * "histogram.item"/"histogram.request", when present, must decode. Returns 0,
 * or EINVAL with what is wrong in err ("\"requests.total\" is missing"). */
int resdoc_check_result(const json_t *j, char *err, size_t errlen);
/* The same for a comparison document ("baseline", "optimized", "delta"). */
int resdoc_check_comparison(const json_t *j, char *err, size_t errlen);

/* A result's errors in words: "connect_refused" when one kind explains every
 * error, else "connect_refused 30, timeout 20"; "" when there are none. */
void resdoc_describe_errors(const json_t *result, char *buf, size_t len);
/* "200: 990, 503: 10" from an object of counts; "-" when empty. */
void resdoc_describe_counts(const json_t *obj, char *buf, size_t len);

#endif
