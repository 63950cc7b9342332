/* inputs — items (and the field columns templates read) kept as compact JSON
 * text, back to back in one buffer per table, found by offset. */
#include "load/inputs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/jtok.h"

/* "input-" + up to 20 digits, quoted. */
#define GENERATED_MAX_LEN (2 + 6 + 20)

/* Texts back to back: entry i is text[offset[i] .. offset[i + 1]). */
typedef struct {
    char *text;
    size_t len, cap;
    size_t *offset; /* n + 1 entries once n > 0 */
    size_t n, ocap;
    size_t max_len;
} strtab_t;

typedef struct {
    char *path, *dflt;
    unsigned flags;
    strtab_t values;
} column_t;

struct inputs {
    bool generated;
    char *name;
    datafile_format_t format; /* the format read */
    strtab_t items;
    unsigned long *line; /* the line each item starts on */
    column_t *cols;
    size_t ncols;
};

static int strtab_add(strtab_t *t, const char *s, size_t n)
{
    if (!t->text || t->len + n > t->cap) {
        size_t ncap = t->cap ? t->cap : 4096;
        while (ncap < t->len + n)
            ncap *= 2;
        char *nt = realloc(t->text, ncap);
        if (!nt)
            return ENOMEM;
        t->text = nt;
        t->cap = ncap;
    }
    if (t->n + 2 > t->ocap) {
        size_t nocap = t->ocap ? t->ocap * 2 : 256;
        size_t *no = realloc(t->offset, nocap * sizeof(*no));
        if (!no)
            return ENOMEM;
        t->offset = no;
        t->ocap = nocap;
    }
    if (t->n == 0)
        t->offset[0] = 0;
    memcpy(t->text + t->len, s, n);
    t->len += n;
    t->offset[++t->n] = t->len;
    if (n > t->max_len)
        t->max_len = n;
    return 0;
}

static void strtab_free(strtab_t *t)
{
    free(t->text);
    free(t->offset);
}

static size_t strtab_copy(const strtab_t *t, size_t k, char *buf)
{
    size_t len = t->offset[k + 1] - t->offset[k];
    memcpy(buf, t->text + t->offset[k], len);
    return len;
}

/* Appends item text (already compact JSON) found on `line`. */
static int add_item(inputs_t *in, const char *s, size_t n, unsigned long line)
{
    if ((in->items.n & (in->items.n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
        unsigned long *nl = realloc(in->line, (in->items.n ? in->items.n * 2 : 1) * sizeof(*nl));
        if (!nl)
            return ENOMEM;
        in->line = nl;
    }
    in->line[in->items.n] = line;
    return strtab_add(&in->items, s, n);
}

/* Compact JSON text, built at load time only. */
typedef struct {
    char *b;
    size_t len, cap;
} dbuf_t;

static int dbuf_put(const char *s, size_t n, void *arg)
{
    dbuf_t *d = arg;
    if (d->len + n + 1 > d->cap) {
        size_t cap = (d->len + n + 1) * 2;
        char *nb = realloc(d->b, cap);
        if (!nb)
            return -1;
        d->b = nb;
        d->cap = cap;
    }
    memcpy(d->b + d->len, s, n);
    d->len += n;
    d->b[d->len] = '\0';
    return 0;
}

/* Like json_dumps(JSON_COMPACT), but a real is written in the fewest of 15,
 * 16 or 17 significant digits that read back the same double (0.1, not
 * jansson's 0.10000000000000001): the body carries the numbers as the data
 * file wrote them, not twice as many bytes of them. Any double of at most 15
 * digits comes out as written; a subnormal, whose last digits carry no bits,
 * may take more digits than it needs (still exact). */
static int dump_value(const json_t *j, dbuf_t *d)
{
    int rc = 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        bool first = true;
        rc = dbuf_put("{", 1, d);
        json_object_foreach((json_t *)j, k, v)
        {
            json_t *key = json_string(k);
            rc = rc || !key || (!first && dbuf_put(",", 1, d)) ||
                 json_dump_callback(key, dbuf_put, d, JSON_ENCODE_ANY) || dbuf_put(":", 1, d) ||
                 dump_value(v, d);
            json_decref(key);
            first = false;
        }
        return rc || dbuf_put("}", 1, d);
    }
    if (json_is_array(j)) {
        rc = dbuf_put("[", 1, d);
        for (size_t i = 0; i < json_array_size(j); i++)
            rc = rc || (i && dbuf_put(",", 1, d)) || dump_value(json_array_get(j, i), d);
        return rc || dbuf_put("]", 1, d);
    }
    if (json_is_real(j)) {
        double x = json_real_value(j);
        char num[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(num, sizeof num - 2, "%.*g", prec, x);
            if (strtod(num, NULL) == x)
                break;
        }
        if (!strpbrk(num, ".eE"))
            strcat(num, ".0"); /* still a real, as jansson writes one */
        return dbuf_put(num, strlen(num), d);
    }
    return json_dump_callback(j, dbuf_put, d, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Compact text of j (malloc'd), or NULL when out of memory. */
static char *dump(const json_t *j)
{
    dbuf_t d = {0};
    if (dump_value(j, &d) || !d.b) {
        free(d.b);
        return NULL;
    }
    return d.b;
}

/* A datafile_item_fn. */
static int add_json(void *arg, json_t *j, unsigned long line)
{
    inputs_t *in = arg;
    char *compact = dump(j);
    if (!compact)
        return ENOMEM;
    int rc = add_item(in, compact, strlen(compact), line);
    free(compact);
    return rc;
}

/* The whole file (or standard input) in one allocation. */
static int read_all(const char *path, char **out, size_t *outlen)
{
    bool std = strcmp(path, "-") == 0;
    int fd = std ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    size_t len = 0, cap = 0;
    char *buf = NULL;
    int rc = 0;
    for (;;) {
        if (len + 4096 > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (!std)
        close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

int inputs_load(const char *path, datafile_format_t format, inputs_t **out, char *err,
                size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;
    if (!path[0]) {
        snprintf(err, errlen, "an empty file name: give a path, or - for standard input");
        return EINVAL;
    }
    inputs_t *in = calloc(1, sizeof(*in));
    if (!in || !(in->name = strdup(strcmp(path, "-") == 0 ? "stdin" : path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        inputs_free(in);
        return ENOMEM;
    }
    rc = read_all(path, &buf, &len);
    if (rc) {
        snprintf(err, errlen, "cannot read %s: %s", in->name, strerror(rc));
        goto fail;
    }
    rc = datafile_read(buf, len, format, in->name, add_json, in, &in->format, err, errlen);
    if (rc)
        goto fail;
    free(buf);
    *out = in;
    return 0;
fail:
    free(buf);
    inputs_free(in);
    return rc;
}

int inputs_load_file(const char *path, inputs_t **out, char *err, size_t errlen)
{
    return inputs_load(path, DATAFILE_AUTO, out, err, errlen);
}

int inputs_generated(inputs_t **out)
{
    inputs_t *in = calloc(1, sizeof(*in));
    if (!in)
        return ENOMEM;
    in->generated = true;
    in->items.max_len = GENERATED_MAX_LEN;
    *out = in;
    return 0;
}

void inputs_free(inputs_t *in)
{
    if (!in)
        return;
    for (size_t c = 0; c < in->ncols; c++) {
        free(in->cols[c].path);
        free(in->cols[c].dflt);
        strtab_free(&in->cols[c].values);
    }
    free(in->cols);
    strtab_free(&in->items);
    free(in->line);
    free(in->name);
    free(in);
}

size_t inputs_count(const inputs_t *in)
{
    return in->generated ? 0 : in->items.n;
}

size_t inputs_max_len(const inputs_t *in)
{
    return in->items.max_len;
}

datafile_format_t inputs_format(const inputs_t *in)
{
    return in->generated ? DATAFILE_AUTO : in->format;
}

const char *inputs_name(const inputs_t *in)
{
    return in->generated ? "generated" : in->name;
}

size_t inputs_item(const inputs_t *in, uint64_t index, char *buf)
{
    if (in->generated) {
        /* Formatted by hand: snprintf costs more than the rest of a request. */
        char digits[20];
        size_t nd = 0;
        do {
            digits[nd++] = (char)('0' + index % 10);
            index /= 10;
        } while (index);
        memcpy(buf, "\"input-", 7);
        for (size_t i = 0; i < nd; i++)
            buf[7 + i] = digits[nd - 1 - i];
        buf[7 + nd] = '"';
        return 8 + nd;
    }
    return strtab_copy(&in->items, (size_t)(index % in->items.n), buf);
}

static unsigned kind_of(char c)
{
    switch (c) {
    case '"':
        return INPUTS_STRING;
    case '{':
        return INPUTS_OBJECT;
    case '[':
        return INPUTS_ARRAY;
    case 't':
    case 'f':
    case 'n':
        return INPUTS_LITERAL;
    default:
        return INPUTS_NUMBER;
    }
}

unsigned inputs_item_kind(const inputs_t *in, uint64_t index)
{
    if (in->generated)
        return INPUTS_STRING;
    return kind_of(in->items.text[in->items.offset[index % in->items.n]]);
}

static const char *kind_name(unsigned kind)
{
    switch (kind) {
    case INPUTS_STRING:
        return "a string";
    case INPUTS_NUMBER:
        return "a number";
    case INPUTS_OBJECT:
        return "an object";
    case INPUTS_ARRAY:
        return "an array";
    default:
        return "true, false or null";
    }
}

static const char *kind_plural(unsigned kind)
{
    switch (kind) {
    case INPUTS_STRING:
        return "strings";
    case INPUTS_NUMBER:
        return "numbers";
    case INPUTS_OBJECT:
        return "objects";
    case INPUTS_ARRAY:
        return "arrays";
    case INPUTS_COUNT:
        return "whole numbers of 1 or more";
    default:
        return "true/false/null";
    }
}

/* A JSON number written as a whole number of 1 or more: digits only, no
 * leading zero (1.0, 1e3 and -3 are not counts to an API that takes one). */
static bool is_count(const char *v, size_t n)
{
    if (n == 0 || v[0] < '1' || v[0] > '9')
        return false;
    for (size_t i = 1; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

/* "strings, arrays or objects": the kinds in `kinds`, for a message. */
static void kinds_list(unsigned kinds, char *list, size_t size)
{
    size_t len = 0, shown = 0, total = (size_t)__builtin_popcount(kinds);
    list[0] = '\0';
    for (unsigned b = 1; b <= INPUTS_COUNT; b <<= 1) {
        if (!(kinds & b))
            continue;
        shown++;
        len += (size_t)snprintf(list + len, size - len, "%s%s",
                                shown == 1 ? "" : (shown == total ? " or " : ", "), kind_plural(b));
    }
}

int inputs_check_kinds(const inputs_t *in, unsigned kinds, const char *who, char *err,
                       size_t errlen)
{
    size_t n = in->generated ? 1 : in->items.n;
    for (size_t k = 0; k < n; k++) {
        unsigned kind = inputs_item_kind(in, k);
        if (kind & kinds)
            continue;
        char list[128];
        kinds_list(kinds, list, sizeof list);
        if (in->generated)
            snprintf(err, errlen, "generated items are strings; %s takes %s", who, list);
        else
            snprintf(err, errlen, "%s:%lu: the item is %s; %s takes %s", in->name, in->line[k],
                     kind_name(kind), who, list);
        return EINVAL;
    }
    return 0;
}

int inputs_check_token_ids(const inputs_t *in, bool one_kind, const char *who, char *err,
                           size_t errlen)
{
    size_t first[2] = {SIZE_MAX, SIZE_MAX}; /* the first string, the first array */
    for (size_t k = 0; !in->generated && k < in->items.n; k++) {
        const char *s = in->items.text + in->items.offset[k];
        size_t n = in->items.offset[k + 1] - in->items.offset[k];
        unsigned kind = kind_of(s[0]);
        if (kind == INPUTS_STRING && first[0] == SIZE_MAX)
            first[0] = k;
        if (kind != INPUTS_ARRAY)
            continue;
        if (first[1] == SIZE_MAX)
            first[1] = k;
        json_t *a = json_loadb(s, n, JSON_ALLOW_NUL, NULL);
        if (!a) {
            snprintf(err, errlen, "%s: out of memory", in->name); /* it parsed at load */
            return ENOMEM;
        }
        bool ok = json_array_size(a) > 0;
        for (size_t i = 0; ok && i < json_array_size(a); i++)
            ok = json_is_integer(json_array_get(a, i)) &&
                 json_integer_value(json_array_get(a, i)) >= 0;
        json_decref(a);
        if (!ok) {
            snprintf(err, errlen,
                     "%s:%lu: the item is an array, but not of token ids (a non-empty array of "
                     "integers >= 0): %.*s%s; %s takes a text (string) or token ids",
                     in->name, in->line[k], (int)jtok_utf8_cut(s, n, 40), s, n > 40 ? "..." : "",
                     who);
            return EINVAL;
        }
    }
    if (one_kind && first[0] != SIZE_MAX && first[1] != SIZE_MAX) {
        size_t later = first[0] > first[1] ? first[0] : first[1];
        snprintf(err, errlen,
                 "%s:%lu: the item is %s, but line %lu's is %s: %s takes a batch of texts or a "
                 "batch of token ids, not both (one kind per file, or --batch 1)",
                 in->name, in->line[later], later == first[0] ? "a text" : "token ids",
                 in->line[later == first[0] ? first[1] : first[0]],
                 later == first[0] ? "token ids" : "a text", who);
        return EINVAL;
    }
    return 0;
}

/* Follows a dotted path; NULL when some step is absent. A member named by
 * the whole rest of the path is taken first: a CSV column "user.name" (as
 * pandas' json_normalize names one) is read by {{item.user.name}}. */
static json_t *walk(json_t *v, const char *path)
{
    const char *p = path;
    while (v) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        json_t *whole = dot && json_is_object(v) ? json_object_get(v, p) : NULL;
        if (whole)
            return whole;
        if (json_is_object(v)) {
            char key[256];
            if (n >= sizeof key)
                return NULL;
            memcpy(key, p, n);
            key[n] = '\0';
            v = json_object_get(v, key);
        } else if (json_is_array(v) && n > 0 && n < 10 && strspn(p, "0123456789") >= n) {
            v = json_array_get(v, (size_t)strtoul(p, NULL, 10));
        } else {
            return NULL;
        }
        if (!dot)
            break;
        p = dot + 1;
    }
    return v;
}

static bool same_type(const json_t *a, const json_t *b)
{
    return json_typeof(a) == json_typeof(b) || (json_is_number(a) && json_is_number(b)) ||
           (json_is_boolean(a) && json_is_boolean(b));
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* "\"a\", \"b\"": the object's member names, for a message; "none" for none. */
static void field_names(json_t *obj, char *out, size_t size)
{
    const char *key;
    json_t *v;
    size_t len = 0;
    out[0] = '\0';
    json_object_foreach(obj, key, v)
    {
        (void)v;
        json_t *name = json_string(key); /* quoted and escaped: a tab shows as \t */
        char *q = name ? json_dumps(name, JSON_ENCODE_ANY) : NULL;
        json_decref(name);
        size_t n = q ? strlen(q) : 0;
        int w = q ? snprintf(out + len, size - len, "%s%.*s%s", len ? ", " : "",
                             (int)jtok_utf8_cut(q, n, 40), q, n > 40 ? "...\"" : "")
                  : -1;
        free(q);
        if (w < 0 || (size_t)w >= size - len) {
            /* no room for another name: end with "..." where the last one fitted */
            out[len] = '\0';
            if (len + 5 < size)
                strcat(out, ", ...");
            return;
        }
        len += (size_t)w;
    }
    if (!len)
        snprintf(out, size, "none");
}

static bool key_with_space(json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        (void)v;
        if (strchr(key, ' '))
            return true;
    }
    return false;
}

/* Extracts the column of item k. Returns 0, or EINVAL/ENOMEM with err set. */
static int extract(inputs_t *in, column_t *col, const json_t *dflt, size_t k, char *err,
                   size_t errlen)
{
    const char *s = in->items.text + in->items.offset[k];
    size_t n = in->items.offset[k + 1] - in->items.offset[k];
    unsigned kind = kind_of(s[0]);
    if (kind != INPUTS_OBJECT) {
        if (col->flags & INPUTS_OBJECTS_ONLY)
            return strtab_add(&col->values, "", 0) ? ENOMEM : 0;
        snprintf(err, errlen,
                 "%s:%lu: the item is %s, not an object with a field \"%s\" ({{item}} sends the "
                 "item itself)",
                 in->name, in->line[k], kind_name(kind), col->path);
        return EINVAL;
    }
    json_t *item = json_loadb(s, n, JSON_ALLOW_NUL, NULL);
    if (!item)
        return ENOMEM; /* it parsed at load: only memory can fail */
    json_t *v = walk(item, col->path);
    int rc = 0;
    if (!v && !col->dflt) {
        char names[256];
        field_names(item, names, sizeof names);
        const char *one =
            json_object_size(item) == 1 ? json_object_iter_key(json_object_iter(item)) : NULL;
        bool csv = in->format == DATAFILE_CSV;
        const char *why = "";
        if (csv && one && strchr(one, ';'))
            why = "; CSV columns are separated by commas, not ';'";
        else if (csv && one && strchr(one, '\t'))
            why = "; CSV columns are separated by commas, not tabs";
        else if (key_with_space(item)) /* "a b": a template cannot name it */
            why = "; a name with a space cannot be read by a template: rename it, as a_b";
        snprintf(err, errlen, "%s:%lu: the item has no field \"%s\" (%s: %s%s)", in->name,
                 in->line[k], col->path, csv ? "the header's columns" : "its fields", names, why);
        rc = EINVAL;
    } else if (!v) {
        rc = strtab_add(&col->values, col->dflt, strlen(col->dflt));
    } else {
        char *text = dump(v);
        if (!text) {
            rc = ENOMEM;
        } else if (dflt && !json_is_null(dflt) && !same_type(v, dflt)) {
            size_t tn = strlen(text);
            int w = snprintf(err, errlen,
                             "%s:%lu: field \"%s\" is %.*s%s (%s), but its default %.40s is %s",
                             in->name, in->line[k], col->path, (int)jtok_utf8_cut(text, tn, 40),
                             text, tn > 40 ? "..." : "", kind_name(kind_of(text[0])), col->dflt,
                             kind_name(kind_of(col->dflt[0])));
            if (in->format == DATAFILE_CSV && json_is_string(v) && w > 0 && (size_t)w < errlen)
                snprintf(err + w, errlen - (size_t)w,
                         " (a CSV field is always a string: give the values in JSON Lines, "
                         "{\"%s\": %.40s}, or drop the column)",
                         col->path, col->dflt);
            rc = EINVAL;
        } else {
            rc = strtab_add(&col->values, text, strlen(text));
        }
        free(text);
    }
    json_decref(item);
    return rc;
}

int inputs_add_field(inputs_t *in, const char *path, const char *dflt, unsigned flags,
                     size_t *column, char *err, size_t errlen)
{
    if (in->generated) {
        snprintf(err, errlen,
                 "generated items are strings and have no field \"%s\"; give a data file of "
                 "JSON objects",
                 path);
        return EINVAL;
    }
    for (size_t c = 0; c < in->ncols; c++)
        if (strcmp(in->cols[c].path, path) == 0 && str_eq(in->cols[c].dflt, dflt) &&
            in->cols[c].flags == flags) {
            *column = c;
            return 0;
        }
    json_t *dj = NULL;
    if (dflt && !(dj = json_loadb(dflt, strlen(dflt), JSON_DECODE_ANY, NULL))) {
        snprintf(err, errlen, "the default of field \"%s\" is not JSON: %.60s", path, dflt);
        return EINVAL;
    }
    column_t *nc = realloc(in->cols, (in->ncols + 1) * sizeof(*nc));
    if (!nc) {
        json_decref(dj);
        snprintf(err, errlen, "%s: out of memory", in->name);
        return ENOMEM;
    }
    in->cols = nc;
    column_t *col = &in->cols[in->ncols];
    memset(col, 0, sizeof(*col));
    col->flags = flags;
    col->path = strdup(path);
    col->dflt = dflt ? strdup(dflt) : NULL;
    int rc = (!col->path || (dflt && !col->dflt)) ? ENOMEM : 0;
    for (size_t k = 0; k < in->items.n && rc == 0; k++)
        rc = extract(in, col, dj, k, err, errlen);
    json_decref(dj);
    if (rc) {
        if (rc == ENOMEM)
            snprintf(err, errlen, "%s: out of memory", in->name);
        free(col->path);
        free(col->dflt);
        strtab_free(&col->values);
        return rc;
    }
    *column = in->ncols++;
    return 0;
}

int inputs_check_field_kinds(const inputs_t *in, size_t column, unsigned kinds, const char *who,
                             char *err, size_t errlen)
{
    const column_t *col = &in->cols[column];
    for (size_t k = 0; k < in->items.n; k++) {
        const char *v = col->values.text + col->values.offset[k];
        size_t n = col->values.offset[k + 1] - col->values.offset[k];
        if (n == 0 || (kind_of(v[0]) & kinds)) /* n == 0: not an object (INPUTS_OBJECTS_ONLY) */
            continue;
        if ((kinds & INPUTS_COUNT) && is_count(v, n))
            continue;
        char list[128];
        kinds_list(kinds, list, sizeof list);
        snprintf(err, errlen, "%s:%lu: field \"%s\" is %.*s%s (%s); %s takes %s there", in->name,
                 in->line[k], col->path, (int)jtok_utf8_cut(v, n, 40), v, n > 40 ? "..." : "",
                 kind_name(kind_of(v[0])), who, list);
        return EINVAL;
    }
    return 0;
}

size_t inputs_field_max_len(const inputs_t *in, size_t column)
{
    return in->cols[column].values.max_len;
}

size_t inputs_field(const inputs_t *in, size_t column, uint64_t index, char *buf)
{
    return strtab_copy(&in->cols[column].values, (size_t)(index % in->items.n), buf);
}

/* sum += v mod 2^256, both big-endian. */
static void add256(uint8_t sum[32], const uint8_t v[32])
{
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned t = (unsigned)sum[i] + v[i] + carry;
        sum[i] = (uint8_t)t;
        carry = t >> 8;
    }
}

int inputs_digest_add(const inputs_t *in, uint64_t first, uint64_t stride, uint64_t count,
                      uint8_t sum[32])
{
    int rc = ENOMEM;
    /* Fetched once: EVP_sha256() in the loop would look the algorithm up
     * again for every item (3x slower). */
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = malloc(8 + inputs_max_len(in) + 1);
    if (!md || !ctx || !buf)
        goto out;
    for (uint64_t j = 0; j < count; j++) {
        uint64_t k = first + j * stride;
        for (int b = 0; b < 8; b++)
            buf[b] = (unsigned char)(k >> (8 * b));
        size_t len = 8 + inputs_item(in, k, (char *)buf + 8);
        buf[len++] = '\n';
        uint8_t h[32];
        unsigned int mdlen = 0;
        if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, buf, len) != 1 ||
            EVP_DigestFinal_ex(ctx, h, &mdlen) != 1 || mdlen != 32)
            goto out;
        add256(sum, h);
    }
    rc = 0;
out:
    free(buf);
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return rc;
}

int inputs_digest(const inputs_t *in, const uint64_t *sent, unsigned nthreads, uint8_t digest[32])
{
    memset(digest, 0, 32);
    for (unsigned t = 0; t < nthreads; t++) {
        int rc = inputs_digest_add(in, t, nthreads, sent[t], digest);
        if (rc)
            return rc;
    }
    return 0;
}

int inputs_digest_body(const char *body, size_t len, uint64_t sent, uint8_t digest[32])
{
    uint8_t h[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, "body\n", 5) == 1 && EVP_DigestUpdate(ctx, body, len) == 1 &&
             EVP_DigestFinal_ex(ctx, h, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return ENOMEM;
    /* sent x h mod 2^256: the sum of one term per request, as for items. */
    unsigned __int128 carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned __int128 t = (unsigned __int128)h[i] * sent + carry;
        digest[i] = (uint8_t)t;
        carry = t >> 8;
    }
    return 0;
}

int inputs_source_digest(const inputs_t *in, const char *body, size_t body_len, uint8_t digest[32])
{
    int rc = ENOMEM;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    char *buf = in && !body ? malloc(inputs_max_len(in) + 1) : NULL;
    if (!ctx || (in && !body && !buf) || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    if (body) {
        EVP_DigestUpdate(ctx, "body\n", 5);
        EVP_DigestUpdate(ctx, body, body_len);
    } else if (!in || in->generated) {
        EVP_DigestUpdate(ctx, "generated\n", 10);
    } else {
        EVP_DigestUpdate(ctx, "items\n", 6);
        for (size_t i = 0; i < in->items.n; i++) {
            size_t len = inputs_item(in, i, buf);
            buf[len++] = '\n';
            EVP_DigestUpdate(ctx, buf, len);
        }
    }
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(ctx, digest, &mdlen) == 1 && mdlen == 32)
        rc = 0;
out:
    free(buf);
    EVP_MD_CTX_free(ctx);
    return rc;
}
