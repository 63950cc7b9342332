/* csv — one record of RFC 4180 CSV at a time, zero-copy.
 *
 * A record is fields separated by ',' and ended by CRLF, a bare LF (lenient,
 * as most files written on Unix end lines), or the end of the input. A field
 * is either unquoted (any bytes but ',', CR, LF and '"') or quoted: '"' ...
 * '"', where '""' stands for one '"' and CR, LF and ',' are plain text.
 * Refused (CSV_INVALID, with what and where): a '"' inside an unquoted field
 * (spaces before an opening quote, too: `a, "b"`), anything but ',' or a line
 * end after a closing quote, a quoted field the input ends inside. Nothing
 * else is interpreted: no trimming of spaces, no other separators, no
 * comment lines.
 *
 * Return convention, as for the HTTP parsers: bytes consumed (through the
 * line end), CSV_INCOMPLETE when the record may go on past len (only when
 * !eof), CSV_INVALID. The parser keeps no state between calls. */
#ifndef TAILGATE_LOAD_CSV_H
#define TAILGATE_LOAD_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CSV_INVALID (-1)
#define CSV_INCOMPLETE (-2)

/* One field: text[0..len) inside the caller's buffer, without the quotes of
 * a quoted field (whose doubled quotes are still doubled: csv_unquote). */
typedef struct {
    const char *text;
    size_t len;
    bool quoted;
} csv_field_t;

typedef struct {
    const char *what; /* static text */
    size_t offset;    /* byte of buf where it went wrong */
} csv_error_t;

/* Parses the record at buf[0..len). eof: nothing follows buf[len-1], so the
 * input's end ends the record. Fills fields[0..max) and sets *nfields to the
 * record's field count, which may be more than max (the rest are not
 * stored). An empty input at eof is CSV_INCOMPLETE (no record at all). */
ssize_t csv_record(const char *buf, size_t len, bool eof, csv_field_t *fields, size_t max,
                   size_t *nfields, csv_error_t *err);

/* Writes the field's value (doubled quotes made single) to out, which has
 * room for f->len bytes. Returns its length. */
size_t csv_unquote(const csv_field_t *f, char *out);

#endif
