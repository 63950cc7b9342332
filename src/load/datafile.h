/* datafile — the items of a data file's text, each handed over as a JSON
 * value with the line it starts on. Pure: the caller reads the file.
 *
 * Formats:
 *   JSON Lines  one JSON value per line (blank lines skipped); any value.
 *   JSON        one JSON array whose elements are the items.
 *   CSV         RFC 4180 (load/csv.h) with a header row naming the columns
 *               (unique, not empty; spaces and tabs around a name are not
 *               part of it); each row becomes an object of string fields in
 *               column order, values exactly as written, spaces included.
 * DATAFILE_AUTO: CSV when the name ends in ".csv" (any case); one JSON array
 * when the text starts with '[' and either the name ends in ".json" or the
 * first line does not close the value it opens (a pretty-printed array);
 * else JSON Lines. A leading UTF-8 byte order mark is skipped; a UTF-16 one
 * is refused (with the conversion to make).
 *
 * Errors read "NAME:LINE:COLUMN: what", LINE and COLUMN 1-based, the column
 * counting characters (as template errors do), then a short excerpt of the
 * line around the column when the line is long, and what to do. */
#ifndef TAILGATE_LOAD_DATAFILE_H
#define TAILGATE_LOAD_DATAFILE_H

#include <stddef.h>

#include <jansson.h>

typedef enum {
    DATAFILE_AUTO,  /* by name and text, above */
    DATAFILE_JSONL, /* JSON Lines */
    DATAFILE_CSV,   /* CSV with a header row */
    DATAFILE_JSON,  /* one JSON array */
} datafile_format_t;

/* Takes item (borrowed: decref'd after the call) found on `line`. Returns 0,
 * or ENOMEM, which stops the read. */
typedef int (*datafile_item_fn)(void *arg, json_t *item, unsigned long line);

/* Reads text[0..len): calls fn for each item in file order. name: the file
 * as messages show it ("stdin" for standard input). On success *format_read
 * (may be NULL) is the format read, never DATAFILE_AUTO. Returns 0, EINVAL
 * with err set (bad data, or no items at all), or ENOMEM. */
int datafile_read(const char *text, size_t len, datafile_format_t format, const char *name,
                  datafile_item_fn fn, void *arg, datafile_format_t *format_read, char *err,
                  size_t errlen);

#endif
