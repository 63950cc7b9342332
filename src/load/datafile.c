/* datafile — JSON Lines, one JSON array and CSV, read into JSON values; every
 * error pointed at by line and column. */
#include "load/datafile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jtok.h"
#include "load/csv.h"

/* A line longer than this gets an excerpt around the error's column: a
 * shorter one is seen whole at a glance in an editor. */
#define EXCERPT_LINE 72
#define EXCERPT_BEFORE 32
#define EXCERPT_AFTER 16

/* Parse flags for every JSON item: a key given twice would be sent once
 * (jansson keeps the last), which is not what the file says; a string may
 * hold \u0000 (scraped text does), sent as written. */
#define JSON_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

#define HINT_UTF8                                                                                  \
    "the file must be UTF-8: iconv -f cp1252 -t utf-8 converts a Windows (Excel) export"

typedef struct {
    const char *text; /* after a byte order mark */
    size_t len;
    const char *name;
    datafile_item_fn fn;
    void *arg;
    size_t items;
    char *err;
    size_t errlen;
} df_t;

static bool is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Writes line[from..to) with invalid UTF-8 and control bytes escaped. */
static size_t put_escaped(const char *line, size_t from, size_t to, char *out, size_t size)
{
    size_t k = 0;
    for (size_t i = from; i < to && k + 5 < size;) {
        const unsigned char *u = (const unsigned char *)line + i;
        size_t c = jtok_utf8(u, to - i);
        if (c == 1 && u[0] == '\t') {
            memcpy(out + k, "\\t", 2);
            k += 2;
        } else if (c == 3 && !memcmp(u, "\xEF\xBB\xBF", 3)) { /* invisible: a byte order mark */
            if (k + 7 >= size)
                break;
            memcpy(out + k, "\\uFEFF", 6);
            k += 6;
        } else if (c == 0 || u[0] < 0x20 || u[0] == 0x7f) {
            k += (size_t)snprintf(out + k, size - k, "\\x%02X", u[0]);
            c = 1;
        } else {
            if (k + c + 1 >= size)
                break;
            memcpy(out + k, u, c);
            k += c;
        }
        i += c;
    }
    out[k] = '\0';
    return k;
}

/* A name from the file, for a message: escaped, at most 60 bytes of it. */
static const char *shown(const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    put_escaped(name, 0, jtok_utf8_cut(name, n, 60), out, size);
    return out;
}

/* An excerpt of line[0..n) around byte at: "...before at after...". */
static void excerpt(const char *line, size_t n, size_t at, char *out, size_t size)
{
    size_t from = at > EXCERPT_BEFORE ? at - EXCERPT_BEFORE : 0;
    for (int k = 0; k < 3 && from > 0 && is_cont((unsigned char)line[from]); k++)
        from--; /* to the start of the character */
    size_t to = at + EXCERPT_AFTER < n ? at + EXCERPT_AFTER : n;
    to = from + jtok_utf8_cut(line + from, n - from, to - from);
    size_t k = 0;
    if (from > 0)
        k += (size_t)snprintf(out, size, "...");
    k += put_escaped(line, from, to, out + k, size - k);
    if (to < n && k + 4 < size)
        memcpy(out + k, "...", 4);
}

/* err = "NAME:LINE:COLUMN: WHAT[, at: EXCERPT][ (HINT)]" for byte `at` of the
 * text. Returns EINVAL. */
__attribute__((format(printf, 4, 5))) static int fail_at(df_t *d, size_t at, const char *hint,
                                                         const char *fmt, ...)
{
    if (at > d->len)
        at = d->len;
    unsigned long line = 1, col = 1;
    size_t start = 0;
    for (size_t i = 0; i < at; i++) {
        if (d->text[i] == '\n') {
            line++;
            start = i + 1;
        }
    }
    for (size_t i = start; i < at; i++)
        col += !is_cont((unsigned char)d->text[i]);
    const char *eol = memchr(d->text + start, '\n', d->len - start);
    size_t n = eol ? (size_t)(eol - (d->text + start)) : d->len - start;
    if (n && d->text[start + n - 1] == '\r')
        n--;
    size_t k = 0;
    int w = snprintf(d->err, d->errlen, "%s:%lu:%lu: ", d->name, line, col);
    k = w > 0 && (size_t)w < d->errlen ? (size_t)w : d->errlen - 1;
    va_list ap;
    va_start(ap, fmt);
    w = vsnprintf(d->err + k, d->errlen - k, fmt, ap);
    va_end(ap);
    k = w > 0 && (size_t)w < d->errlen - k ? k + (size_t)w : d->errlen - 1;
    if (n > EXCERPT_LINE) {
        char ex[3 * (EXCERPT_BEFORE + EXCERPT_AFTER) + 16];
        excerpt(d->text + start, n, at - start, ex, sizeof ex);
        w = snprintf(d->err + k, d->errlen - k, ", at: %s", ex);
        k = w > 0 && (size_t)w < d->errlen - k ? k + (size_t)w : d->errlen - 1;
    }
    if (hint)
        snprintf(d->err + k, d->errlen - k, " (%s)", hint);
    return EINVAL;
}

static int emit(df_t *d, json_t *item, unsigned long line)
{
    int rc = d->fn(d->arg, item, line);
    json_decref(item);
    if (rc)
        snprintf(d->err, d->errlen, "%s:%lu: out of memory", d->name, line);
    d->items++;
    return rc;
}

static bool blank_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_blank(const df_t *d, size_t i)
{
    while (i < d->len && blank_byte(d->text[i]))
        i++;
    return i;
}

static unsigned long count_lines(const char *s, size_t n)
{
    unsigned long k = 0;
    for (const char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s))) != NULL; p++)
        k++;
    return k;
}

/* Where in s[0..n) a JSON error is: the byte jansson refused (a control
 * character or invalid UTF-8), else the start of the token it names, else
 * the last character it read; n when the text ended inside a value. */
static size_t error_point(const char *s, size_t n, const json_error_t *je)
{
    size_t p = je->position > 0 ? (size_t)je->position : 0;
    if (p < n &&
        (!strncmp(je->text, "control character", 17) || !strncmp(je->text, "unable to decode", 16)))
        return p;
    const char *near = strstr(je->text, " near '");
    if (near && p <= n) {
        near += 7;
        size_t k = strlen(near);
        if (k > 1 && near[k - 1] == '\'' && k - 1 <= p && !memcmp(s + p - (k - 1), near, k - 1))
            return p - (k - 1);
    }
    if (p >= n)
        return n;
    size_t at = p ? p - 1 : 0;
    while (at > 0 && is_cont((unsigned char)s[at]))
        at--;
    return at;
}

static bool at_word(const char *s, size_t n, size_t at, const char *word)
{
    size_t k = strlen(word);
    return at + k <= n && !memcmp(s + at, word, k);
}

/* A JSON error in the value at `start` (n bytes to the line's or text's end). */
static int json_fail(df_t *d, size_t start, size_t n, const json_error_t *je, bool lines)
{
    const char *s = d->text + start;
    size_t at = error_point(s, n, je);
    /* The text ended inside the value (jansson's words for it). */
    bool ended = strstr(je->text, "near end of file") || strstr(je->text, "premature end");
    const char *near = strstr(je->text, " near '");
    const char *token = near ? near + 7 : ""; /* "TOKEN'" */
    size_t first = 0;
    while (first < n && blank_byte(s[first]))
        first++;
    char what[3 * JSON_ERROR_TEXT_LENGTH]; /* the token it quotes may hold any byte */
    const char *hint = NULL;
    put_escaped(je->text, 0, strlen(je->text), what, sizeof what);
    if (!strncmp(je->text, "end of file expected", 20)) {
        snprintf(what, sizeof what, "text after the value");
        hint = "JSON Lines: one JSON value per line, nothing after it";
    } else if (!strncmp(je->text, "unable to decode", 16)) {
        hint = HINT_UTF8;
    } else if (!strncmp(je->text, "too big integer", 15)) {
        hint = "integers are read into 64 bits: write a larger one as a string";
    } else if (token[0] == '\'') {
        hint = "JSON strings take double quotes: Python's print(dict) or str(dict) is not JSON, "
               "json.dumps(dict) is";
    } else if (at_word(s, n, at, "True") || at_word(s, n, at, "False") ||
               at_word(s, n, at, "None")) {
        hint = "JSON writes true, false and null: Python's str(dict) is not JSON, json.dumps(dict) "
               "is";
    } else if (at_word(s, n, at, "NaN") || at_word(s, n, at, "Infinity") ||
               at_word(s, n, at, "-Infinity")) {
        hint = "JSON has no NaN or Infinity (Python's json.dumps writes them unless "
               "allow_nan=False): write null or a number";
    } else if (lines && first < n && s[first] != '{' && s[first] != '[' && s[first] != '"') {
        /* Plain text or CSV, most likely: what a line must be, and how. */
        hint = "JSON Lines: one JSON value per line, text quoted (jq -R . quotes plain lines); "
               "CSV needs a file name ending in .csv or --inputs-format csv";
    } else if (lines && ended) {
        hint = "the line ends inside the value: JSON Lines holds each value whole on one line "
               "(jq -c . rewrites pretty-printed JSON so)";
    }
    return fail_at(d, start + at, hint, "%s: %s", lines ? "not a JSON value" : "not valid JSON",
                   what);
}

static int read_jsonl(df_t *d)
{
    unsigned long lineno = 0;
    for (size_t pos = 0; pos < d->len;) {
        const char *s = d->text + pos;
        const char *nl = memchr(s, '\n', d->len - pos);
        size_t n = nl ? (size_t)(nl - s) : d->len - pos, start = pos;
        pos += n + (nl != NULL);
        lineno++;
        if (n && s[n - 1] == '\r')
            n--; /* CRLF: the CR ends the line, inside a string too */
        size_t first = 0;
        while (first < n && blank_byte(s[first]))
            first++;
        if (first == n)
            continue;
        /* A byte order mark that starts a later line: files joined with cat. */
        size_t bom = n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3) ? 3 : 0;
        json_error_t je;
        json_t *j = json_loadb(s + bom, n - bom, JSON_FLAGS, &je);
        if (!j)
            return json_fail(d, start + bom, n - bom, &je, true);
        int rc = emit(d, j, lineno);
        if (rc)
            return rc;
    }
    return 0;
}

/* One JSON array, its elements the items: each parsed on its own, so only
 * one element's tree is held at a time however large the file. */
static int read_array(df_t *d)
{
    size_t i = skip_blank(d, 0) + 1, counted = 0; /* past the '[' */
    unsigned long line = 1;                       /* the line of byte `counted` */
    i = skip_blank(d, i);
    if (i < d->len && d->text[i] == ']')
        i = skip_blank(d, i + 1);
    else
        for (;;) {
            if (i >= d->len)
                return fail_at(d, i, NULL, "the array is not closed: ']' expected");
            json_error_t je;
            json_t *j =
                json_loadb(d->text + i, d->len - i, JSON_FLAGS | JSON_DISABLE_EOF_CHECK, &je);
            if (!j)
                return json_fail(d, i, d->len - i, &je, false);
            line += count_lines(d->text + counted, i - counted);
            counted = i;
            int rc = emit(d, j, line);
            if (rc)
                return rc;
            i = skip_blank(d, i + (size_t)je.position);
            if (i < d->len && d->text[i] == ',') {
                i = skip_blank(d, i + 1);
                if (i < d->len && d->text[i] == ']')
                    return fail_at(d, i, NULL, "a comma before ']' (JSON has no trailing comma)");
                continue;
            }
            if (i < d->len && d->text[i] == ']') {
                i = skip_blank(d, i + 1);
                break;
            }
            if (i >= d->len)
                return fail_at(d, i, NULL, "the array is not closed: ']' expected");
            return fail_at(d, i, NULL, "',' or ']' expected after the array's item");
        }
    if (i < d->len)
        return fail_at(d, i,
                       "a .json file is one JSON array of items; JSON Lines are named .jsonl "
                       "or given with --inputs-format jsonl",
                       "text after the array's closing ']'");
    return 0;
}

/* The first byte of s[0..n) that is not UTF-8 text (a NUL included), or n. */
static size_t not_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t c = jtok_utf8((const unsigned char *)s + i, n - i);
        if (c == 0 || s[i] == '\0')
            return i;
        i += c;
    }
    return n;
}

/* A field that is not UTF-8 text: which column, and the byte. */
static int csv_not_text(df_t *d, const csv_field_t *f, size_t bad, const char *column, size_t i)
{
    unsigned char b = (unsigned char)f->text[bad];
    char who[256], name[200];
    if (column)
        snprintf(who, sizeof who, "column \"%s\"", shown(column, name, sizeof name));
    else
        snprintf(who, sizeof who, "column %zu of the header", i + 1);
    if (b == 0)
        return fail_at(d, (size_t)(f->text + bad - d->text),
                       "a UTF-16 file has one in every ASCII character: iconv -f utf-16 -t utf-8",
                       "%s has a NUL byte", who);
    return fail_at(d, (size_t)(f->text + bad - d->text), HINT_UTF8,
                   "%s is not UTF-8 text (byte 0x%02X)", who, b);
}

/* One record at text[pos..): *nf fields into *fields (grown to fit).
 * Returns bytes consumed, 0 at the end, or -1 with err set. */
static ssize_t csv_next(df_t *d, size_t pos, csv_field_t **fields, size_t *cap, size_t *nf)
{
    if (pos >= d->len)
        return 0;
    csv_error_t ce;
    for (;;) {
        ssize_t n = csv_record(d->text + pos, d->len - pos, true, *fields, *cap, nf, &ce);
        if (n < 0) {
            /* A file whose lines all end in CR alone ("CSV (Macintosh)"). */
            bool cr_lines = d->text[pos + ce.offset] == '\r' && !memchr(d->text, '\n', d->len);
            fail_at(d, pos + ce.offset,
                    cr_lines ? "its lines end with CR alone, as old Mac files do: tr '\\r' '\\n' "
                               "converts it"
                             : NULL,
                    "%s", cr_lines ? "a CR that does not end a line" : ce.what);
            return -1;
        }
        if (*nf <= *cap)
            return n;
        csv_field_t *nfl = realloc(*fields, *nf * sizeof(**fields));
        if (!nfl) {
            snprintf(d->err, d->errlen, "%s: out of memory", d->name);
            return -1;
        }
        *fields = nfl;
        *cap = *nf;
    }
}

static size_t field_end(const df_t *d, const csv_field_t *f)
{
    return (size_t)(f->text - d->text) + f->len + f->quoted;
}

/* Reads the header row's names into *names (ncols of them). */
static int csv_header(df_t *d, const csv_field_t *f, size_t ncols, char **names)
{
    if (ncols == 1 && f[0].len == 0 && !f[0].quoted)
        return fail_at(d, 0, NULL,
                       "the first line is blank: the header row, naming the columns, comes first");
    for (size_t i = 0; i < ncols; i++) {
        size_t bad = not_utf8(f[i].text, f[i].len);
        if (bad < f[i].len)
            return csv_not_text(d, &f[i], bad, NULL, i);
        names[i] = malloc(f[i].len + 1);
        if (!names[i])
            return ENOMEM;
        size_t nl = csv_unquote(&f[i], names[i]);
        /* A name is how a template finds its column ({{item.lang}}), and
         * "text, lang" is how people type a header: the spaces around a
         * name are not part of it. */
        size_t a = 0;
        while (a < nl && (names[i][a] == ' ' || names[i][a] == '\t'))
            a++;
        while (nl > a && (names[i][nl - 1] == ' ' || names[i][nl - 1] == '\t'))
            nl--;
        memmove(names[i], names[i] + a, nl - a);
        nl -= a;
        names[i][nl] = '\0';
        size_t at = (size_t)(f[i].text - d->text);
        if (nl == 0)
            return fail_at(d, at, NULL, "column %zu of the header has no name%s", i + 1,
                           i + 1 == ncols && i > 0 ? " (a comma ends the header line)" : "");
        char name[200];
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0)
                return fail_at(d, at, NULL, "two columns are named \"%s\" (columns %zu and %zu)",
                               shown(names[i], name, sizeof name), k + 1, i + 1);
    }
    return 0;
}

static int read_csv(df_t *d)
{
    int rc = EINVAL;
    size_t cap = 16, nf = 0, ncols = 0;
    csv_field_t *f = malloc(cap * sizeof(*f));
    char **names = NULL;
    char *value = NULL;
    unsigned long line = 1;
    size_t pos = 0;
    if (!f)
        goto nomem;
    ssize_t n = csv_next(d, 0, &f, &cap, &nf);
    if (n < 0)
        goto out;
    if (n == 0) {
        snprintf(d->err, d->errlen, "%s: no header row (the file is empty)", d->name);
        goto out;
    }
    ncols = nf;
    names = calloc(ncols, sizeof(*names));
    if (!names)
        goto nomem;
    rc = csv_header(d, f, ncols, names);
    if (rc == ENOMEM)
        goto nomem;
    if (rc)
        goto out;
    rc = EINVAL;
    pos = (size_t)n;
    line += count_lines(d->text, (size_t)n);
    for (;;) {
        n = csv_next(d, pos, &f, &cap, &nf);
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        unsigned long row_line = line;
        line += count_lines(d->text + pos, (size_t)n);
        pos += (size_t)n;
        if (nf == 1 && f[0].len == 0 && !f[0].quoted)
            continue; /* a blank line */
        if (nf != ncols) {
            /* One more field, empty: a comma ending the line. */
            bool trailing = nf == ncols + 1 && f[ncols].len == 0 && !f[ncols].quoted;
            fail_at(d,
                    nf > ncols ? (size_t)(f[ncols].text - d->text) - f[ncols].quoted
                               : field_end(d, &f[nf - 1]),
                    trailing     ? "a comma at the end of the line starts one more, empty field"
                    : nf > ncols ? "a field with a comma in it is quoted: \"a, b\""
                                 : "every column takes a value, an empty one too: a,,c",
                    "%zu field%s, but the header names %zu", nf, nf == 1 ? "" : "s", ncols);
            goto out;
        }
        json_t *obj = json_object();
        if (!obj)
            goto nomem;
        for (size_t i = 0; i < ncols; i++) {
            size_t bad = not_utf8(f[i].text, f[i].len);
            if (bad < f[i].len) {
                json_decref(obj);
                csv_not_text(d, &f[i], bad, names[i], i);
                goto out;
            }
            char *nv = realloc(value, f[i].len + 1);
            if (!nv) {
                json_decref(obj);
                goto nomem;
            }
            value = nv;
            size_t vlen = csv_unquote(&f[i], value);
            json_t *s = json_stringn(value, vlen);
            if (!s || json_object_set_new(obj, names[i], s) != 0) {
                json_decref(obj);
                goto nomem;
            }
        }
        if (emit(d, obj, row_line)) {
            rc = ENOMEM;
            goto out;
        }
    }
    rc = 0;
    goto out;
nomem:
    rc = ENOMEM;
    snprintf(d->err, d->errlen, "%s: out of memory", d->name);
out:
    if (names)
        for (size_t i = 0; i < ncols; i++)
            free(names[i]);
    free(names);
    free(value);
    free(f);
    return rc;
}

static bool ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && strcasecmp(name + n - k, suffix) == 0;
}

/* DATAFILE_AUTO's choice (see datafile.h). */
static datafile_format_t sniff(const df_t *d)
{
    if (ends_with(d->name, ".csv"))
        return DATAFILE_CSV;
    size_t i = skip_blank(d, 0);
    if (i >= d->len || d->text[i] != '[')
        return DATAFILE_JSONL;
    if (ends_with(d->name, ".json"))
        return DATAFILE_JSON;
    const char *nl = memchr(d->text + i, '\n', d->len - i);
    size_t n = nl ? (size_t)(nl - (d->text + i)) : d->len - i;
    json_error_t je;
    json_t *j = json_loadb(d->text + i, n, JSON_DECODE_ANY, &je);
    json_decref(j);
    return !j && je.position >= 0 && (size_t)je.position >= n ? DATAFILE_JSON : DATAFILE_JSONL;
}

/* Files people hand over as data that are not text, by their first bytes:
 * what they are, and the command that reads them into --inputs - (pipe) or
 * what to do instead. */
static const struct {
    const char *magic;
    size_t len;
    const char *what, *pipe, *todo;
} not_text[] = {
    {"\xFF\xFE", 2, "UTF-16 (it starts with a UTF-16 byte order mark)", NULL,
     "iconv -f utf-16 -t utf-8 converts it"},
    {"\xFE\xFF", 2, "UTF-16 (it starts with a UTF-16 byte order mark)", NULL,
     "iconv -f utf-16 -t utf-8 converts it"},
    {"\x1F\x8B", 2, "gzip-compressed", "gunzip -c", NULL},
    {"\x28\xB5\x2F\xFD", 4, "zstd-compressed", "zstd -dc", NULL},
    {"PAR1", 4, "Parquet", NULL,
     "write it as JSON Lines (pandas: read_parquet(path).to_json(out, orient=\"records\", "
     "lines=True))"},
    {"PK\x03\x04", 4, "a zip archive (an Excel workbook?)", NULL,
     "save the sheet as \"CSV UTF-8\", or unzip it"},
};

int datafile_read(const char *text, size_t len, datafile_format_t format, const char *name,
                  datafile_item_fn fn, void *arg, datafile_format_t *format_read, char *err,
                  size_t errlen)
{
    for (size_t i = 0; i < sizeof not_text / sizeof not_text[0]; i++) {
        if (len < not_text[i].len || memcmp(text, not_text[i].magic, not_text[i].len))
            continue;
        if (not_text[i].pipe)
            snprintf(err, errlen,
                     "%s: the file is %s; tailgate reads UTF-8 text: %s %s | tailgate run ... "
                     "--inputs - (with --inputs-format csv for CSV)",
                     name, not_text[i].what, not_text[i].pipe, name);
        else
            snprintf(err, errlen, "%s: the file is %s; tailgate reads UTF-8 text: %s", name,
                     not_text[i].what, not_text[i].todo);
        return EINVAL;
    }
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        text += 3;
        len -= 3;
    }
    df_t d = {text, len, name, fn, arg, 0, err, errlen};
    if (format == DATAFILE_AUTO)
        format = sniff(&d);
    if (format_read)
        *format_read = format;
    int rc;
    size_t first = skip_blank(&d, 0);
    if (format == DATAFILE_CSV)
        rc = read_csv(&d);
    else if (format == DATAFILE_JSONL)
        rc = read_jsonl(&d);
    else if (first < len && text[first] == '[')
        rc = read_array(&d);
    else if (first < len)
        rc = fail_at(&d, first, "--inputs-format json takes one JSON array of items",
                     "'[' expected");
    else
        rc = 0; /* empty */
    if (rc == 0 && d.items == 0) {
        snprintf(err, errlen, "%s: no inputs (%s)", name,
                 format == DATAFILE_CSV                   ? "the file has a header but no rows"
                 : format == DATAFILE_JSON && first < len ? "the array is empty"
                                                          : "the file is empty");
        rc = EINVAL;
    }
    return rc;
}
