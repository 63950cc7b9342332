/* inputs — the items a run sends: lines of a JSON Lines file (used in order,
 * cycling), or generated distinct items when no file is given. Each item is
 * kept as compact JSON text, ready to be copied into a request body. */
#ifndef TAILGATE_LOAD_INPUTS_H
#define TAILGATE_LOAD_INPUTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct inputs inputs_t;

/* Reads and validates FILE (every non-empty line one JSON value). Returns 0,
 * or an errno value with a reason naming the file and line in err. An empty
 * file is EINVAL. */
int inputs_load_file(const char *path, inputs_t **out, char *err, size_t errlen);
/* Generated items: item i is the JSON string "input-<i>" (distinct for every i). */
int inputs_generated(inputs_t **out);
void inputs_free(inputs_t *in);

/* Number of distinct lines in the file; 0 for generated inputs. */
size_t inputs_count(const inputs_t *in);
/* Longest item text in bytes (generated: the longest an index can produce). */
size_t inputs_max_len(const inputs_t *in);
/* Writes the text of item `index` (cycling over the file) into buf, which has
 * room for inputs_max_len bytes. Returns its length. No allocation. */
size_t inputs_item(const inputs_t *in, uint64_t index, char *buf);

/* SHA-256 over the items sent, in item-index order, each followed by '\n'.
 * Thread t of nthreads sent items t, t + nthreads, ... : sent[t] of them.
 * The same --inputs and --requests give the same digest whatever batch,
 * connections or threads carried them. Returns 0 or ENOMEM. */
int inputs_digest(const inputs_t *in, const uint64_t *sent, unsigned nthreads, uint8_t digest[32]);
/* The same for a --body run, where every request carries the same bytes:
 * SHA-256 over the body and how many requests carried it. 0 or ENOMEM. */
int inputs_digest_body(const char *body, size_t len, uint64_t sent, uint8_t digest[32]);

#endif
