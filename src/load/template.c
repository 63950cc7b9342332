/* template — a recursive-descent JSON reader over the template text that
 * copies literal tokens (compacted) into one buffer and cuts it into a slot
 * wherever a placeholder stands; rendering walks the slots. */
#include "load/template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jtok.h"

#define MAX_DEPTH 128 /* template nesting; jansson allows 2048, no body needs 128 */

typedef enum {
    SLOT_ITEM,
    SLOT_ITEMS,
    SLOT_ITEM_FIELD,
    SLOT_ITEMS_FIELD,
    SLOT_REQUEST_ID,
    SLOT_SEQ,
    SLOT_BATCH,
} slot_kind_t;

/* The literal text lit[lit_off .. lit_off + lit_len), then the slot. */
typedef struct {
    size_t lit_off, lit_len;
    slot_kind_t kind;
    size_t field; /* *_FIELD: index into fields */
} slot_t;

typedef struct {
    char *path; /* "a.b" */
    char *dflt; /* compact JSON, or NULL: required */
    size_t column;
} field_t;

struct tmpl {
    template_mode_t mode;
    char *lit;
    size_t lit_len, tail_off; /* the text after the last slot: lit[tail_off .. lit_len) */
    slot_t *slots;
    size_t nslots;
    field_t *fields;
    size_t nfields;
    unsigned flags;
    const inputs_t *in;
};

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

typedef struct {
    const char *s;
    size_t len, pos;
    size_t origin; /* where the template starts: past a byte order mark */
    template_t *t;
    buf_t lit;  /* literal text of the template */
    buf_t *out; /* where tokens go: &lit, or a default's text */
    size_t seg_start;
    const char *model;
    char *model_json; /* {{model}} as JSON, made on first use */
    char *err;
    size_t errlen;
    int rc;
} comp_t;

static bool put(comp_t *c, const char *s, size_t n)
{
    buf_t *b = c->out;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
            c->rc = ENOMEM;
            snprintf(c->err, c->errlen, "out of memory");
            return false;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

static bool put_c(comp_t *c, char ch)
{
    return put(c, &ch, 1);
}

/* Records "LINE:COL: what" for the byte at `at`; always returns false. */
static bool __attribute__((format(printf, 3, 4))) fail(comp_t *c, size_t at, const char *fmt, ...)
{
    if (c->rc)
        return false;
    unsigned long line = 1, col = 1;
    for (size_t i = c->origin; i < at && i < c->len; i++) {
        if (c->s[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)c->s[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    int n = snprintf(c->err, c->errlen, "%lu:%lu: ", line, col);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    c->rc = EINVAL;
    return false;
}

/* "'x'", "the end of the template" or "byte 0xNN": what stands at pos. */
static const char *found(comp_t *c, char *tmp, size_t n)
{
    if (c->pos >= c->len)
        return "the end of the template";
    unsigned char ch = (unsigned char)c->s[c->pos];
    if (ch >= 0x20 && ch < 0x7f)
        snprintf(tmp, n, "'%c'", ch);
    else
        snprintf(tmp, n, "byte 0x%02x", ch);
    return tmp;
}

static void skip_ws(comp_t *c)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' ||
                               c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
        c->pos++;
}

static bool at(comp_t *c, const char *word)
{
    size_t n = strlen(word);
    return c->len - c->pos >= n && memcmp(c->s + c->pos, word, n) == 0;
}

static bool name_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.' || ch >= 0x80;
}

static size_t name_len(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && name_char((unsigned char)s[k]))
        k++;
    return k;
}

static bool name_is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(s, word, n) == 0;
}

static bool placeholder_head(const char *s, size_t n)
{
    return name_is(s, n, "item") || name_is(s, n, "items") || name_is(s, n, "model") ||
           name_is(s, n, "request_id") || name_is(s, n, "seq") || name_is(s, n, "batch") ||
           (n > 5 && memcmp(s, "item.", 5) == 0) || (n > 6 && memcmp(s, "items.", 6) == 0);
}

/* At "{{" inside a string: is it a placeholder someone put in quotes? */
static bool quoted_placeholder(comp_t *c, size_t i)
{
    size_t k = i + 2;
    while (k < c->len && c->s[k] == ' ')
        k++;
    size_t n = name_len(c->s + k, c->len - k);
    if (!placeholder_head(c->s + k, n))
        return false;
    k += n;
    while (k < c->len && c->s[k] == ' ')
        k++;
    return k < c->len && (c->s[k] == '}' || c->s[k] == '?');
}

/* A string token, copied as written. */
static bool string(comp_t *c)
{
    jtok_error_t je;
    size_t start = c->pos;
    ssize_t n = jtok_string(c->s + start, c->len - start, &je);
    if (n < 0)
        return fail(c, start + je.offset, "%s", je.what);
    for (size_t i = start + 1; i + 1 < start + (size_t)n; i++)
        if (c->s[i] == '{' && c->s[i + 1] == '{' && quoted_placeholder(c, i))
            return fail(c, i,
                        "a placeholder inside a string: a placeholder stands for a whole JSON "
                        "value, so write it without quotes (a string item brings its own)");
    c->pos += (size_t)n;
    return put(c, c->s + start, (size_t)n);
}

/* A number token, as RFC 8259 writes it and jansson can hold it. */
static bool number(comp_t *c)
{
    jtok_error_t je;
    size_t start = c->pos;
    ssize_t n = jtok_number(c->s + start, c->len - start, &je);
    if (n < 0)
        return fail(c, start + je.offset, "%s", je.what);
    c->pos += (size_t)n;
    if (c->pos < c->len && name_char((unsigned char)c->s[c->pos]) && c->s[c->pos] != '-') {
        char tmp[16];
        return fail(c, start, "a number runs into %s", found(c, tmp, sizeof tmp));
    }
    /* jansson refuses integers past int64 and reals past a double: so do we. */
    json_t *j = json_loadb(c->s + start, (size_t)n, JSON_DECODE_ANY, NULL);
    json_decref(j);
    if (!j)
        return fail(c, start, "the number %.*s is out of range", n > 40 ? 40 : (int)n,
                    c->s + start);
    return put(c, c->s + start, (size_t)n);
}

static bool value(comp_t *c, int depth, bool slots_allowed);

static bool field_path_ok(const char *p, size_t n)
{
    if (n == 0 || p[0] == '.' || p[n - 1] == '.')
        return false;
    for (size_t i = 1; i < n; i++)
        if (p[i] == '.' && p[i - 1] == '.')
            return false;
    return true;
}

static bool add_slot(comp_t *c, slot_kind_t kind, size_t field)
{
    template_t *t = c->t;
    slot_t *ns = realloc(t->slots, (t->nslots + 1) * sizeof(*ns));
    if (!ns) {
        c->rc = ENOMEM;
        snprintf(c->err, c->errlen, "out of memory");
        return false;
    }
    t->slots = ns;
    t->slots[t->nslots++] = (slot_t){c->seg_start, c->lit.len - c->seg_start, kind, field};
    c->seg_start = c->lit.len;
    t->flags |= TEMPLATE_VARIES;
    return true;
}

static bool add_field(comp_t *c, const char *path, size_t n, const char *dflt, size_t *out)
{
    template_t *t = c->t;
    for (size_t i = 0; i < t->nfields; i++)
        if (strlen(t->fields[i].path) == n && memcmp(t->fields[i].path, path, n) == 0 &&
            (t->fields[i].dflt == dflt ||
             (t->fields[i].dflt && dflt && strcmp(t->fields[i].dflt, dflt) == 0))) {
            *out = i;
            return true;
        }
    field_t *nf = realloc(t->fields, (t->nfields + 1) * sizeof(*nf));
    if (nf)
        t->fields = nf;
    char *p = nf ? strndup(path, n) : NULL;
    char *d = p && dflt ? strdup(dflt) : NULL;
    if (!p || (dflt && !d)) {
        free(p);
        c->rc = ENOMEM;
        snprintf(c->err, c->errlen, "out of memory");
        return false;
    }
    t->fields[t->nfields] = (field_t){p, d, 0};
    *out = t->nfields++;
    return true;
}

/* {{model}}: folded into the literal text. */
static bool model_text(comp_t *c, size_t open)
{
    const char *m = c->model;
    if (!m)
        return fail(c, open, "{{model}} needs a model name");
    if (c->t->mode == TEMPLATE_JSON) {
        if (!c->model_json) {
            json_t *s = json_string(m);
            c->model_json = s ? json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
            json_decref(s);
            if (!c->model_json)
                return fail(c, open, "the model name is not valid UTF-8 text");
        }
        return put(c, c->model_json, strlen(c->model_json));
    }
    for (const unsigned char *p = (const unsigned char *)m; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return fail(c, open, "the model name has a control character");
        if (c->t->mode == TEMPLATE_HEADER ||
            ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr("-._~!$&'()*+,;=:@", *p))) {
            if (!put_c(c, (char)*p))
                return false;
        } else {
            char pct[4];
            snprintf(pct, sizeof pct, "%%%02X", *p);
            if (!put(c, pct, 3))
                return false;
        }
    }
    return true;
}

/* At "{{". */
static bool placeholder(comp_t *c, int depth)
{
    size_t open = c->pos;
    c->pos += 2;
    while (c->pos < c->len && c->s[c->pos] == ' ')
        c->pos++;
    const char *name = c->s + c->pos;
    size_t n = name_len(name, c->len - c->pos);
    c->pos += n;
    if (n == 0)
        return fail(c, open,
                    "a placeholder name must follow '{{' (one of item, items, "
                    "item.FIELD, items.FIELD, model, request_id, seq, batch)");
    bool item_field = n >= 5 && memcmp(name, "item.", 5) == 0;
    bool items_field = n >= 6 && memcmp(name, "items.", 6) == 0;
    slot_kind_t kind = SLOT_BATCH;
    bool is_model = name_is(name, n, "model"); /* folded into the text, not a slot */
    if (name_is(name, n, "item"))
        kind = SLOT_ITEM;
    else if (name_is(name, n, "items"))
        kind = SLOT_ITEMS;
    else if (item_field || items_field)
        kind = item_field ? SLOT_ITEM_FIELD : SLOT_ITEMS_FIELD;
    else if (name_is(name, n, "request_id"))
        kind = SLOT_REQUEST_ID;
    else if (name_is(name, n, "seq"))
        kind = SLOT_SEQ;
    else if (!is_model && !name_is(name, n, "batch"))
        return fail(c, open,
                    "unknown placeholder {{%.*s}} (known: item, items, item.FIELD, items.FIELD, "
                    "model, request_id, seq, batch)",
                    (int)(n > 40 ? 40 : n), name);
    bool reads_items = !is_model && kind <= SLOT_ITEMS_FIELD;
    if (reads_items && c->t->mode != TEMPLATE_JSON)
        return fail(c, open,
                    "{{%.*s}} cannot go into a URL path or header: only {{model}}, "
                    "{{request_id}}, {{seq}} and {{batch}} can",
                    (int)(n > 40 ? 40 : n), name);
    const char *path = NULL;
    size_t path_len = 0;
    if (kind == SLOT_ITEM_FIELD || kind == SLOT_ITEMS_FIELD) {
        path = name + (item_field ? 5 : 6);
        path_len = n - (size_t)(path - name);
        if (!field_path_ok(path, path_len))
            return fail(c, open, "the field path '%.*s' has an empty step", (int)path_len, path);
    }
    size_t gap = c->pos;
    while (c->pos < c->len && c->s[c->pos] == ' ')
        c->pos++;
    /* {{item.user prompt}}: a CSV column named with a space, most likely. */
    size_t more = c->pos > gap ? name_len(c->s + c->pos, c->len - c->pos) : 0;
    if (path && more)
        return fail(c, c->pos,
                    "a field name has no spaces: '%.*s %.*s' cannot be named here; rename the "
                    "field (the CSV column) in the data file, as %.*s_%.*s",
                    (int)path_len, path, (int)more, c->s + c->pos, (int)path_len, path, (int)more,
                    c->s + c->pos);
    buf_t dflt = {0};
    if (at(c, "??")) {
        size_t q = c->pos;
        if (!path)
            return fail(c, q, "only an item field can have a default (?? VALUE)");
        c->pos += 2;
        buf_t *saved = c->out;
        c->out = &dflt;
        bool ok = value(c, depth, false);
        c->out = saved;
        if (!ok) {
            free(dflt.p);
            return false;
        }
        while (c->pos < c->len && c->s[c->pos] == ' ')
            c->pos++;
    }
    if (!at(c, "}}")) {
        free(dflt.p);
        char tmp[16];
        return fail(c, c->pos, "expected '}}' to close the placeholder, found %s",
                    found(c, tmp, sizeof tmp));
    }
    c->pos += 2;
    if (is_model)
        return model_text(c, open);
    size_t field = 0;
    bool ok = !path || add_field(c, path, path_len, dflt.p, &field);
    free(dflt.p);
    if (!ok)
        return false;
    if (kind == SLOT_ITEM || kind == SLOT_ITEM_FIELD)
        c->t->flags |= TEMPLATE_READS_ITEM;
    if (kind == SLOT_ITEMS || kind == SLOT_ITEMS_FIELD)
        c->t->flags |= TEMPLATE_READS_ITEMS;
    if (path)
        c->t->flags |= TEMPLATE_READS_FIELDS;
    return add_slot(c, kind, field);
}

static bool expect_after(comp_t *c, char close, const char *what)
{
    char tmp[16];
    skip_ws(c);
    if (c->pos < c->len && (c->s[c->pos] == ',' || c->s[c->pos] == close))
        return true;
    return fail(c, c->pos, "expected ',' or '%c' after %s, found %s", close, what,
                found(c, tmp, sizeof tmp));
}

static bool object(comp_t *c, int depth, bool slots)
{
    char tmp[16];
    c->pos++;
    if (!put_c(c, '{'))
        return false;
    skip_ws(c);
    if (c->pos < c->len && c->s[c->pos] == '}') {
        c->pos++;
        return put_c(c, '}');
    }
    for (;;) {
        skip_ws(c);
        if (at(c, "{{"))
            return fail(c, c->pos,
                        "a placeholder cannot be an object key (keys are literal "
                        "strings)");
        if (c->pos >= c->len || c->s[c->pos] != '"')
            return fail(c, c->pos, "expected a string key, found %s", found(c, tmp, sizeof tmp));
        if (!string(c))
            return false;
        skip_ws(c);
        if (c->pos >= c->len || c->s[c->pos] != ':')
            return fail(c, c->pos, "expected ':' after an object key, found %s",
                        found(c, tmp, sizeof tmp));
        c->pos++;
        if (!put_c(c, ':') || !value(c, depth + 1, slots) ||
            !expect_after(c, '}', "an object member"))
            return false;
        char ch = c->s[c->pos++];
        if (!put_c(c, ch))
            return false;
        if (ch == '}')
            return true;
    }
}

static bool array(comp_t *c, int depth, bool slots)
{
    c->pos++;
    if (!put_c(c, '['))
        return false;
    skip_ws(c);
    if (c->pos < c->len && c->s[c->pos] == ']') {
        c->pos++;
        return put_c(c, ']');
    }
    for (;;) {
        if (!value(c, depth + 1, slots) || !expect_after(c, ']', "an array element"))
            return false;
        char ch = c->s[c->pos++];
        if (!put_c(c, ch))
            return false;
        if (ch == ']')
            return true;
    }
}

static bool literal(comp_t *c, const char *word)
{
    if (!at(c, word) ||
        (c->pos + strlen(word) < c->len && name_char((unsigned char)c->s[c->pos + strlen(word)])))
        return fail(c, c->pos, "expected a JSON value (true, false or null?)");
    c->pos += strlen(word);
    return put(c, word, strlen(word));
}

static bool value(comp_t *c, int depth, bool slots)
{
    char tmp[16];
    if (depth > MAX_DEPTH)
        return fail(c, c->pos, "nested deeper than %d", MAX_DEPTH);
    skip_ws(c);
    if (c->pos >= c->len)
        return fail(c, c->pos, "expected a JSON value, found the end of the template");
    switch (c->s[c->pos]) {
    case '{':
        if (at(c, "{{")) {
            if (!slots)
                return fail(c, c->pos, "a default cannot hold a placeholder");
            return placeholder(c, depth);
        }
        return object(c, depth, slots);
    case '[':
        return array(c, depth, slots);
    case '"':
        return string(c);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    default:
        if (c->s[c->pos] == '-' || (c->s[c->pos] >= '0' && c->s[c->pos] <= '9'))
            return number(c);
        return fail(c, c->pos, "expected a JSON value, found %s", found(c, tmp, sizeof tmp));
    }
}

static bool text(comp_t *c)
{
    while (c->pos < c->len) {
        unsigned char ch = (unsigned char)c->s[c->pos];
        if (at(c, "{{")) {
            if (!placeholder(c, 0))
                return false;
            continue;
        }
        if (ch < 0x20 || ch == 0x7f)
            return fail(c, c->pos, "a control character (byte 0x%02x) in a URL path or header", ch);
        if (!put_c(c, (char)ch))
            return false;
        c->pos++;
    }
    return true;
}

int template_compile(const char *text_in, size_t len, template_mode_t mode, const char *model,
                     template_t **out, char *err, size_t errlen)
{
    comp_t c = {.s = text_in, .len = len, .model = model, .err = err, .errlen = errlen};
    c.t = calloc(1, sizeof(*c.t));
    if (!c.t) {
        snprintf(err, errlen, "out of memory");
        return ENOMEM;
    }
    c.t->mode = mode;
    c.out = &c.lit;
    bool ok;
    if (mode == TEMPLATE_JSON) {
        /* Editors on Windows save UTF-8 with a byte order mark; RFC 8259
         * lets a reader ignore it, as --inputs does. */
        if (len >= 3 && memcmp(text_in, "\xEF\xBB\xBF", 3) == 0)
            c.pos = c.origin = 3;
        ok = value(&c, 1, true);
        if (ok) {
            skip_ws(&c);
            if (c.pos < c.len)
                ok = fail(&c, c.pos, "unexpected text after the JSON document");
        }
    } else {
        ok = text(&c);
    }
    ok = ok && put(&c, "", 0); /* the literal buffer exists even when it is empty */
    free(c.model_json);
    if (!ok) {
        free(c.lit.p);
        template_free(c.t);
        return c.rc ? c.rc : EINVAL;
    }
    c.t->lit = c.lit.p;
    c.t->lit_len = c.lit.len;
    c.t->tail_off = c.seg_start;
    *out = c.t;
    return 0;
}

void template_free(template_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nfields; i++) {
        free(t->fields[i].path);
        free(t->fields[i].dflt);
    }
    free(t->fields);
    free(t->slots);
    free(t->lit);
    free(t);
}

unsigned template_flags(const template_t *t)
{
    return t->flags;
}

int template_bind(template_t *t, inputs_t *in, unsigned flags, char *err, size_t errlen)
{
    if (!(t->flags & (TEMPLATE_READS_ITEM | TEMPLATE_READS_ITEMS)))
        return 0;
    if (!in) {
        snprintf(err, errlen, "the template reads items, but this run has none");
        return EINVAL;
    }
    for (size_t i = 0; i < t->nfields; i++) {
        int rc = inputs_add_field(in, t->fields[i].path, t->fields[i].dflt, flags,
                                  &t->fields[i].column, err, errlen);
        if (rc)
            return rc;
    }
    t->in = in;
    return 0;
}

#define U64_DIGITS 20

size_t template_max_len(const template_t *t, unsigned batch)
{
    size_t n = t->lit_len;
    for (size_t i = 0; i < t->nslots; i++) {
        const slot_t *s = &t->slots[i];
        switch (s->kind) {
        case SLOT_ITEM:
            n += inputs_max_len(t->in);
            break;
        case SLOT_ITEMS:
            n += 2 + (size_t)batch * (inputs_max_len(t->in) + 1);
            break;
        case SLOT_ITEM_FIELD:
            n += inputs_field_max_len(t->in, t->fields[s->field].column);
            break;
        case SLOT_ITEMS_FIELD:
            n += 2 + (size_t)batch * (inputs_field_max_len(t->in, t->fields[s->field].column) + 1);
            break;
        case SLOT_REQUEST_ID:
        case SLOT_SEQ:
        case SLOT_BATCH:
            n += U64_DIGITS + 2;
            break;
        }
    }
    return n;
}

/* Decimal digits, formatted by hand (snprintf would cost more than the copy). */
static char *put_u64(char *p, uint64_t v)
{
    char d[U64_DIGITS];
    size_t n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = d[--n];
    return p;
}

size_t template_render(const template_t *t, const template_req_t *r, char *buf)
{
    char *p = buf;
    for (size_t i = 0; i < t->nslots; i++) {
        const slot_t *s = &t->slots[i];
        memcpy(p, t->lit + s->lit_off, s->lit_len);
        p += s->lit_len;
        switch (s->kind) {
        case SLOT_ITEM:
            p += inputs_item(t->in, r->first, p);
            break;
        case SLOT_ITEMS:
            *p++ = '[';
            for (unsigned k = 0; k < r->n; k++) {
                if (k)
                    *p++ = ',';
                p += inputs_item(t->in, r->first + k * r->stride, p);
            }
            *p++ = ']';
            break;
        case SLOT_ITEM_FIELD:
            p += inputs_field(t->in, t->fields[s->field].column, r->first, p);
            break;
        case SLOT_ITEMS_FIELD:
            *p++ = '[';
            for (unsigned k = 0; k < r->n; k++) {
                if (k)
                    *p++ = ',';
                p += inputs_field(t->in, t->fields[s->field].column, r->first + k * r->stride, p);
            }
            *p++ = ']';
            break;
        case SLOT_REQUEST_ID:
            if (t->mode == TEMPLATE_JSON)
                *p++ = '"';
            p = put_u64(p, r->request_id);
            if (t->mode == TEMPLATE_JSON)
                *p++ = '"';
            break;
        case SLOT_SEQ:
            p = put_u64(p, r->first);
            break;
        case SLOT_BATCH:
            p = put_u64(p, r->n);
            break;
        }
    }
    size_t tail = t->lit_len - t->tail_off;
    memcpy(p, t->lit + t->tail_off, tail);
    return (size_t)(p - buf) + tail;
}
