/* inputs — the items a run sends: the items of a data file (used in order,
 * cycling), or generated distinct items when no file is given. Each item is
 * kept as compact JSON text, ready to be copied into a request body; the
 * fields a template reads are extracted once, at load, the same way.
 *
 * Data files (FILE "-" is standard input, named "stdin" in messages) are
 * JSON Lines, one JSON array or CSV, read by load/datafile.h, whose errors
 * name FILE:LINE:COLUMN. The errors here name FILE:LINE (the line an item
 * starts on) and what was wrong. */
#ifndef TAILGATE_LOAD_INPUTS_H
#define TAILGATE_LOAD_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/datafile.h"

typedef struct inputs inputs_t;

/* Item kinds, by JSON type: masks for inputs_check_kinds. */
#define INPUTS_STRING 1u
#define INPUTS_NUMBER 2u
#define INPUTS_OBJECT 4u
#define INPUTS_ARRAY 8u
#define INPUTS_LITERAL 16u /* true, false, null */
#define INPUTS_ANY 31u
/* Not a JSON type: a whole number of 1 or more (a count such as max_tokens),
 * for inputs_check_field_kinds. */
#define INPUTS_COUNT 32u

/* Reads and checks a data file in `format` (DATAFILE_AUTO: by its name and
 * text, see datafile.h). Returns 0, or an errno value with a reason naming
 * the file (and line) in err: ENOENT & co. when it cannot be read, EINVAL for
 * bad data or a file with no items, ENOMEM. */
int inputs_load(const char *path, datafile_format_t format, inputs_t **out, char *err,
                size_t errlen);
/* inputs_load(path, DATAFILE_AUTO, ...): the wave-1 call, kept for its callers. */
int inputs_load_file(const char *path, inputs_t **out, char *err, size_t errlen);
/* Generated items: item i is the JSON string "input-<i>" (distinct for every i). */
int inputs_generated(inputs_t **out);
void inputs_free(inputs_t *in);

/* Number of distinct items in the file; 0 for generated inputs. */
size_t inputs_count(const inputs_t *in);
/* Longest item text in bytes (generated: the longest an index can produce). */
size_t inputs_max_len(const inputs_t *in);
/* Writes the text of item `index` (cycling over the file) into buf, which has
 * room for inputs_max_len bytes. Returns its length. No allocation. */
size_t inputs_item(const inputs_t *in, uint64_t index, char *buf);
/* The kind (INPUTS_STRING, ...) of item `index`. No allocation. */
unsigned inputs_item_kind(const inputs_t *in, uint64_t index);
/* The file's name as messages show it ("stdin" for -); "generated" for
 * generated items. */
const char *inputs_name(const inputs_t *in);

/* The format the data file was read in; DATAFILE_AUTO for generated items. */
datafile_format_t inputs_format(const inputs_t *in);

/* Checks that every item's kind is in `kinds`. On failure returns EINVAL and
 * err says "FILE:LINE: the item is a number; WHO takes strings or objects". */
int inputs_check_kinds(const inputs_t *in, unsigned kinds, const char *who, char *err,
                       size_t errlen);

/* Token ids (openai-embeddings): checks that every array item is a
 * non-empty array of integers >= 0, and, when one_kind (a batch of more
 * than one), that the items are not both strings and arrays (the API takes
 * a list of texts or a list of token id lists, never a mix). Generated items
 * pass. Returns 0, or EINVAL (ENOMEM) with err "FILE:LINE: ...". */
int inputs_check_token_ids(const inputs_t *in, bool one_kind, const char *who, char *err,
                           size_t errlen);

/* Field columns: the value of one field of every item, extracted now as
 * compact JSON text so a request costs a copy, not a parse.
 *   path   "prompt", "a.b" (nested): on an object a step is a member name,
 *          on an array a step of digits is an index; a member named by the
 *          whole rest of the path ("a.b") comes first.
 *   dflt   compact JSON text used for an item without the field; NULL when
 *          the field is required. When dflt is not null, the value of every
 *          item that has the field must be of the default's JSON type (a
 *          CSV "16" where 16 is expected is an error, not a 400 later).
 *   flags  INPUTS_OBJECTS_ONLY: items that are not objects get no value (and
 *          no error); the caller must not read them. Otherwise such an item
 *          is an error.
 * On success *column is the column's number (the same column again for the
 * same path, default and flags). Errors (EINVAL) name FILE:LINE and the field;
 * generated items have no fields (EINVAL). */
#define INPUTS_OBJECTS_ONLY 1u
int inputs_add_field(inputs_t *in, const char *path, const char *dflt, unsigned flags,
                     size_t *column, char *err, size_t errlen);
/* Checks that every object item's value in `column` is of a kind in `kinds`
 * (items that are not objects, in an INPUTS_OBJECTS_ONLY column, are
 * skipped). On failure returns EINVAL and err says "FILE:LINE: field
 * "prompt" is 5 (a number); WHO takes strings or arrays there". */
int inputs_check_field_kinds(const inputs_t *in, size_t column, unsigned kinds, const char *who,
                             char *err, size_t errlen);
/* Longest value text of a column. */
size_t inputs_field_max_len(const inputs_t *in, size_t column);
/* Writes the column's value for item `index` (cycling) into buf, which has
 * room for inputs_field_max_len bytes. Returns its length. No allocation. */
size_t inputs_field(const inputs_t *in, size_t column, uint64_t index, char *buf);

/* The inputs digest of a run: the sum, mod 2^256, of SHA-256(k as 8 bytes
 * little-endian, item k's text, '\n') over every item k sent (k: the item's
 * number in the run's one sequence of items). A sum depends neither on the
 * order nor on who sent what, so the digests of a run's parts (threads,
 * segments in other processes) add up to the digest of the whole run, and the
 * same --inputs and --requests give the same digest whatever batch,
 * connections, threads or segments carried them.
 *
 * inputs_digest_add adds the items first, first + stride, ... (count of them)
 * to sum. inputs_digest: thread t of nthreads sent items t, t + nthreads, ...,
 * sent[t] of them; digest is set (not added to). Both return 0 or ENOMEM
 * (then sum is partly added). One SHA-256 per item: ~0.1 s per million. */
int inputs_digest_add(const inputs_t *in, uint64_t first, uint64_t stride, uint64_t count,
                      uint8_t sum[32]);
int inputs_digest(const inputs_t *in, const uint64_t *sent, unsigned nthreads, uint8_t digest[32]);
/* The same for a --body run, where every request carries the same bytes: sent
 * times SHA-256("body\n", body), mod 2^256 (so it adds up over parts too).
 * 0 or ENOMEM. */
int inputs_digest_body(const char *body, size_t len, uint64_t sent, uint8_t digest[32]);
/* SHA-256 over the sequence items are drawn from, whatever was sent: the
 * file's distinct items in order ("generated" for generated items, the body
 * for a --body run, body NULL otherwise). Two runs with the same source
 * digest sent item i the same in both, however many each sent, so their
 * digests differ only by how many items they sent (and from where).
 * Returns 0 or ENOMEM. */
int inputs_source_digest(const inputs_t *in, const char *body, size_t body_len, uint8_t digest[32]);

#endif
