/* csv — a loop over the bytes of one record; the state is where we are in it. */
#include "load/csv.h"

#include <string.h>

static ssize_t fail(csv_error_t *err, const char *what, size_t offset)
{
    if (err) {
        err->what = what;
        err->offset = offset;
    }
    return CSV_INVALID;
}

/* Whether s[0..n) is all spaces and tabs (and not empty). */
static bool spaces(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return n > 0;
}

ssize_t csv_record(const char *buf, size_t len, bool eof, csv_field_t *fields, size_t max,
                   size_t *nfields, csv_error_t *err)
{
    size_t i = 0, n = 0;
    if (len == 0)
        return CSV_INCOMPLETE;
    for (;;) {
        csv_field_t f = {buf + i, 0, false};
        if (i < len && buf[i] == '"') {
            size_t open = i++;
            f.text = buf + i;
            f.quoted = true;
            for (;;) {
                if (i >= len)
                    return eof ? fail(err, "a quoted field is not closed", open) : CSV_INCOMPLETE;
                if (buf[i] != '"') {
                    i++;
                    continue;
                }
                /* A quote: doubled (one '"' of text) or the closing one. */
                if (i + 1 >= len && !eof)
                    return CSV_INCOMPLETE;
                if (i + 1 < len && buf[i + 1] == '"') {
                    i += 2;
                    continue;
                }
                f.len = (size_t)(buf + i - f.text);
                i++;
                break;
            }
            if (i < len && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r')
                return fail(err,
                            buf[i] == ' ' || buf[i] == '\t'
                                ? "a space after a field's closing quote (the comma comes right "
                                  "after it: \"a\",b)"
                                : "text after a closing quote (a quote inside a field is written "
                                  "\"\")",
                            i);
        } else {
            while (i < len && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r') {
                if (buf[i] == '"')
                    return fail(err,
                                spaces(f.text, (size_t)(buf + i - f.text))
                                    ? "a space before a field's opening quote (a quoted "
                                      "field starts right after the comma: a,\"b\")"
                                    : "a quote inside an unquoted field (quote the field "
                                      "and write the quote as \"\")",
                                i);
                i++;
            }
            f.len = (size_t)(buf + i - f.text);
        }
        if (n < max)
            fields[n] = f;
        n++;
        if (i >= len) {
            if (!eof)
                return CSV_INCOMPLETE;
            break;
        }
        if (buf[i] == ',') {
            i++;
            continue;
        }
        if (buf[i] == '\r') {
            if (i + 1 >= len && !eof)
                return CSV_INCOMPLETE;
            if (i + 1 < len && buf[i + 1] == '\n')
                i++;
            else
                return fail(err, "a CR that does not end a line (quote the field)", i);
        }
        i++; /* the LF */
        break;
    }
    *nfields = n;
    return (ssize_t)i;
}

size_t csv_unquote(const csv_field_t *f, char *out)
{
    if (!f->quoted) {
        memcpy(out, f->text, f->len);
        return f->len;
    }
    size_t k = 0;
    for (size_t i = 0; i < f->len; i++) {
        out[k++] = f->text[i];
        if (f->text[i] == '"')
            i++; /* the second of a doubled quote */
    }
    return k;
}
