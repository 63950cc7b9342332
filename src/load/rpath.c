/* rpath — a validating descent over the answer's text that follows the
 * path's steps, skips everything else, and notes each output's span. */
#include "load/rpath.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jtok.h"

#define MAX_DEPTH 64 /* as validate.c: an answer nested deeper is not JSON to us */
#define MAX_DIMS 16

typedef enum {
    MODE_ARRAY,  /* /outputs */
    MODE_WILD,   /* /data/ * /embedding */
    MODE_STRIDE, /* @N */
    MODE_SHAPE,  /* @KEY */
    MODE_SINGLE, /* =PATH */
} rp_mode_t;

typedef struct {
    char *name; /* decoded; NULL for "*" */
    size_t len;
    long index; /* the name as an array index, or -1 */
} step_t;

struct rpath {
    char *text;
    step_t *steps;
    unsigned nsteps;
    rp_mode_t mode;
    size_t stride; /* MODE_STRIDE */
    char *shape;   /* MODE_SHAPE: the member beside the data */
    size_t shape_len;
};

/* Decodes a reference token into a new string. */
static char *decode(const char *s, size_t n, size_t *outlen, char *err, size_t errlen)
{
    char *out = malloc(n + 1);
    size_t k = 0;
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '~') {
            out[k++] = s[i];
            continue;
        }
        char e = i + 1 < n ? s[i + 1] : '\0';
        if (e < '0' || e > '3') {
            snprintf(err, errlen,
                     "'~' must be followed by 0, 1, 2 or 3 (~0 is ~, ~1 is /, ~2 "
                     "is *, ~3 is @)");
            free(out);
            return NULL;
        }
        out[k++] = "~/*@"[e - '0'];
        i++;
    }
    out[k] = '\0';
    *outlen = k;
    return out;
}

static long as_index(const char *s, size_t n)
{
    if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int rpath_compile(const char *text, rpath_t **out, char *err, size_t errlen)
{
    int rc = EINVAL;
    rpath_t *p = calloc(1, sizeof(*p));
    if (!p || !(p->text = strdup(text))) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return ENOMEM;
    }
    const char *s = text;
    bool single = s[0] == '=';
    s += single;
    const char *at = strchr(s, '@');
    size_t plen = at ? (size_t)(at - s) : strlen(s);
    if (plen && s[0] != '/') {
        snprintf(err, errlen,
                 "a path starts with '/' (as in /outputs), or is empty for the whole "
                 "answer");
        goto fail;
    }
    int wild = -1;
    for (size_t i = 0; i < plen;) {
        size_t j = i + 1;
        while (j < plen && s[j] != '/')
            j++;
        step_t *ns = realloc(p->steps, (p->nsteps + 1) * sizeof(*ns));
        if (!ns)
            goto nomem;
        p->steps = ns;
        step_t *st = &p->steps[p->nsteps];
        memset(st, 0, sizeof(*st));
        st->index = -1;
        if (j - i - 1 == 1 && s[i + 1] == '*') {
            if (wild >= 0) {
                snprintf(err, errlen, "only one '*' in a path");
                goto fail;
            }
            wild = (int)p->nsteps;
        } else {
            st->name = decode(s + i + 1, j - i - 1, &st->len, err, errlen);
            if (!st->name)
                goto fail;
            st->index = as_index(st->name, st->len);
        }
        p->nsteps++;
        i = j;
    }
    p->mode = single ? MODE_SINGLE : wild >= 0 ? MODE_WILD : MODE_ARRAY;
    if (at) {
        const char *m = at + 1;
        if (single || wild >= 0) {
            snprintf(err, errlen, "'@' cannot be used with %s", single ? "'='" : "'*'");
            goto fail;
        }
        long n = as_index(m, strlen(m));
        if (n > 0) {
            p->mode = MODE_STRIDE;
            p->stride = (size_t)n;
        } else if (m[0] == '\0' || n == 0) {
            snprintf(err, errlen,
                     "'@' must be followed by a stride (a count of at least 1) or "
                     "the name of the shape member, as in @shape");
            goto fail;
        } else {
            if (p->nsteps == 0) {
                snprintf(err, errlen, "@%s needs the path of the data array beside it", m);
                goto fail;
            }
            p->mode = MODE_SHAPE;
            p->shape = decode(m, strlen(m), &p->shape_len, err, errlen);
            if (!p->shape)
                goto fail;
        }
    }
    if (single && wild >= 0) {
        snprintf(err, errlen, "'=' cannot be used with '*'");
        goto fail;
    }
    *out = p;
    return 0;
nomem:
    rc = ENOMEM;
    snprintf(err, errlen, "out of memory");
fail:
    rpath_free(p);
    return rc;
}

void rpath_free(rpath_t *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->nsteps; i++)
        free(p->steps[i].name);
    free(p->steps);
    free(p->shape);
    free(p->text);
    free(p);
}

const char *rpath_text(const rpath_t *p)
{
    return p->text;
}

bool rpath_single(const rpath_t *p)
{
    return p->mode == MODE_SINGLE;
}

/* ---- the scanner ---- */

/* What a repeated member name must be able to take back. */
typedef struct {
    rpath_result_t r; /* status: the first path error (OK while none) */
    size_t n;         /* spans noted: outputs, or elements for the "@" forms */
    int ndims;        /* MODE_SHAPE: -1 none seen, -2 not dimensions */
    uint64_t dims[MAX_DIMS];
} state_t;

typedef struct {
    const rpath_t *p;
    const char *b;
    size_t len, pos;
    rpath_span_t *spans;
    size_t max;
    state_t st;
    size_t cur_element; /* the element "*" is walking */
    bool bad;           /* not JSON: st is meaningless */
} scan_t;

static bool invalid(scan_t *s, size_t at)
{
    if (!s->bad) {
        s->bad = true;
        s->st.r.at = at;
    }
    return false;
}

static void path_error(scan_t *s, rpath_status_t status, unsigned step, char found)
{
    if (s->st.r.status != RPATH_OK)
        return;
    s->st.r.status = status;
    s->st.r.step = step;
    s->st.r.element = s->cur_element;
    s->st.r.found = found;
}

static void note(scan_t *s, size_t start)
{
    if (s->st.n < s->max)
        s->spans[s->st.n] = (rpath_span_t){start, s->pos - start};
    s->st.n++;
}

static void ws(scan_t *s)
{
    while (s->pos < s->len && (s->b[s->pos] == ' ' || s->b[s->pos] == '\t' ||
                               s->b[s->pos] == '\n' || s->b[s->pos] == '\r'))
        s->pos++;
}

static bool skip(scan_t *s, int depth);

static bool word(scan_t *s, const char *w, size_t n)
{
    if (s->len - s->pos < n || memcmp(s->b + s->pos, w, n) != 0)
        return invalid(s, s->pos);
    s->pos += n;
    return true;
}

static bool string(scan_t *s)
{
    jtok_error_t je;
    ssize_t n = jtok_string(s->b + s->pos, s->len - s->pos, &je);
    if (n < 0)
        return invalid(s, s->pos + je.offset);
    s->pos += (size_t)n;
    return true;
}

/* After a value inside a container: ',' (true, *more) or the closer. */
static bool next(scan_t *s, char close, bool *more)
{
    ws(s);
    if (s->pos < s->len && s->b[s->pos] == ',') {
        s->pos++;
        *more = true;
        return true;
    }
    if (s->pos < s->len && s->b[s->pos] == close) {
        s->pos++;
        *more = false;
        return true;
    }
    return invalid(s, s->pos);
}

/* At '[' or '{': true and past it; *empty when the closer follows at once. */
static bool open(scan_t *s, char close, bool *empty)
{
    s->pos++;
    ws(s);
    *empty = s->pos < s->len && s->b[s->pos] == close;
    if (*empty)
        s->pos++;
    return true;
}

/* At a member: its key (raw, between the quotes), then past the ':'. */
static bool member_key(scan_t *s, size_t *k, size_t *klen)
{
    ws(s);
    if (s->pos >= s->len || s->b[s->pos] != '"')
        return invalid(s, s->pos);
    size_t start = s->pos;
    if (!string(s))
        return false;
    *k = start + 1;
    *klen = s->pos - start - 2;
    ws(s);
    if (s->pos >= s->len || s->b[s->pos] != ':')
        return invalid(s, s->pos);
    s->pos++;
    return true;
}

static bool skip(scan_t *s, int depth)
{
    bool empty, more = true;
    if (depth > MAX_DEPTH)
        return invalid(s, s->pos);
    ws(s);
    if (s->pos >= s->len)
        return invalid(s, s->pos);
    switch (s->b[s->pos]) {
    case '{':
        open(s, '}', &empty);
        while (!empty && more) {
            size_t k, klen;
            if (!member_key(s, &k, &klen) || !skip(s, depth + 1) || !next(s, '}', &more))
                return false;
        }
        return true;
    case '[':
        open(s, ']', &empty);
        while (!empty && more)
            if (!skip(s, depth + 1) || !next(s, ']', &more))
                return false;
        return true;
    case '"':
        return string(s);
    case 't':
        return word(s, "true", 4);
    case 'f':
        return word(s, "false", 5);
    case 'n':
        return word(s, "null", 4);
    default: {
        jtok_error_t je;
        char c = s->b[s->pos];
        ssize_t n = c == '-' || (c >= '0' && c <= '9')
                        ? jtok_number(s->b + s->pos, s->len - s->pos, &je)
                        : JTOK_INVALID;
        if (n < 0)
            return invalid(s, s->pos);
        s->pos += (size_t)n;
        return true;
    }
    }
}

/* Does the raw (escaped) key equal the decoded name? */
static bool key_is(const char *raw, size_t rawlen, const char *name, size_t len)
{
    if (!memchr(raw, '\\', rawlen))
        return rawlen == len && memcmp(raw, name, len) == 0;
    size_t k = 0;
    for (size_t i = 0; i < rawlen; i++) {
        unsigned char out[4];
        size_t n = 1;
        out[0] = (unsigned char)raw[i];
        if (raw[i] == '\\') {
            char e = raw[++i];
            if (e != 'u') {
                out[0] = (unsigned char)(e == 'b'   ? '\b'
                                         : e == 'f' ? '\f'
                                         : e == 'n' ? '\n'
                                         : e == 'r' ? '\r'
                                         : e == 't' ? '\t'
                                                    : e);
            } else {
                /* The scanner checked it: four hex digits, surrogates paired. */
                unsigned long u = (unsigned long)jtok_hex4(raw + i + 1);
                i += 4;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    u = 0x10000 + ((u - 0xD800) << 10) +
                        ((unsigned long)jtok_hex4(raw + i + 3) - 0xDC00);
                    i += 6;
                }
                if (u < 0x80) {
                    out[0] = (unsigned char)u;
                } else if (u < 0x800) {
                    out[0] = (unsigned char)(0xC0 | (u >> 6));
                    out[1] = (unsigned char)(0x80 | (u & 0x3F));
                    n = 2;
                } else if (u < 0x10000) {
                    out[0] = (unsigned char)(0xE0 | (u >> 12));
                    out[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
                    out[2] = (unsigned char)(0x80 | (u & 0x3F));
                    n = 3;
                } else {
                    out[0] = (unsigned char)(0xF0 | (u >> 18));
                    out[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
                    out[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
                    out[3] = (unsigned char)(0x80 | (u & 0x3F));
                    n = 4;
                }
            }
        }
        if (k + n > len || memcmp(name + k, out, n) != 0)
            return false;
        k += n;
    }
    return k == len;
}

/* MODE_SHAPE: the dimensions at [start, s->pos), a valid JSON value. */
static void read_dims(scan_t *s, size_t start)
{
    const char *v = s->b + start, *end = s->b + s->pos;
    s->st.ndims = -2;
    if (*v++ != '[')
        return;
    int n = 0;
    for (;;) {
        while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
            v++;
        if (*v == ']' && n == 0)
            break;
        if (n == MAX_DIMS || *v < '0' || *v > '9')
            return;
        uint64_t d = 0;
        for (; *v >= '0' && *v <= '9'; v++) {
            if (d > UINT32_MAX)
                return;
            d = d * 10 + (uint64_t)(*v - '0');
        }
        if (*v == '.' || *v == 'e' || *v == 'E')
            return;
        s->st.dims[n++] = d;
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
            v++;
        if (*v == ']')
            break;
        v++; /* ',' */
    }
    s->st.ndims = n;
}

static bool walk(scan_t *s, unsigned step, int depth);

/* The path's end: note the output(s). */
static bool target(scan_t *s, int depth)
{
    const rpath_t *p = s->p;
    size_t start = s->pos;
    if (p->mode == MODE_WILD || p->mode == MODE_SINGLE) {
        if (!skip(s, depth))
            return false;
        note(s, start);
        return true;
    }
    if (s->b[s->pos] != '[') {
        path_error(s, RPATH_NOT_ARRAY, p->nsteps, s->b[s->pos]);
        return skip(s, depth);
    }
    bool empty, more = true;
    open(s, ']', &empty);
    while (!empty && more) {
        ws(s);
        size_t e = s->pos;
        if (!skip(s, depth + 1))
            return false;
        note(s, e);
        if (!next(s, ']', &more))
            return false;
    }
    return true;
}

/* Steps into the member or element the path names; the rest is skipped. */
static bool walk(scan_t *s, unsigned step, int depth)
{
    const rpath_t *p = s->p;
    if (depth > MAX_DEPTH)
        return invalid(s, s->pos);
    ws(s);
    if (s->pos >= s->len)
        return invalid(s, s->pos);
    if (step == p->nsteps)
        return target(s, depth);
    const step_t *st = &p->steps[step];
    char c = s->b[s->pos];
    bool empty, more = true, matched = false;
    bool parent = p->mode == MODE_SHAPE && step + 1 == p->nsteps;
    if (!st->name) { /* "*" */
        if (c != '[') {
            path_error(s, RPATH_NOT_ARRAY, step, c);
            return skip(s, depth);
        }
        open(s, ']', &empty);
        for (size_t i = 0; !empty && more; i++) {
            s->cur_element = i;
            if (!walk(s, step + 1, depth + 1) || !next(s, ']', &more))
                return false;
        }
        return true;
    }
    if (c == '{') {
        state_t snap = s->st;
        open(s, '}', &empty);
        while (!empty && more) {
            size_t k, klen;
            if (!member_key(s, &k, &klen))
                return false;
            if (key_is(s->b + k, klen, st->name, st->len)) {
                /* A repeated name: the last one counts, so forget the first (but
                 * not the shape beside it, which belongs to this object). */
                if (matched) {
                    state_t now = s->st;
                    s->st = snap;
                    if (parent) {
                        s->st.ndims = now.ndims;
                        memcpy(s->st.dims, now.dims, sizeof now.dims);
                    }
                }
                matched = true;
                if (!walk(s, step + 1, depth + 1))
                    return false;
            } else if (parent && key_is(s->b + k, klen, p->shape, p->shape_len)) {
                ws(s);
                size_t v = s->pos;
                if (!skip(s, depth + 1))
                    return false;
                read_dims(s, v);
            } else if (!skip(s, depth + 1)) {
                return false;
            }
            if (!next(s, '}', &more))
                return false;
        }
    } else if (c == '[' && st->index >= 0) {
        open(s, ']', &empty);
        for (long i = 0; !empty && more; i++) {
            bool ok = i == st->index ? walk(s, step + 1, depth + 1) : skip(s, depth + 1);
            matched |= i == st->index;
            if (!ok || !next(s, ']', &more))
                return false;
        }
    } else {
        path_error(s, RPATH_MISSING, step, c);
        return skip(s, depth);
    }
    if (!matched)
        path_error(s, RPATH_MISSING, step, c);
    return true;
}

/* The "@" forms: outputs from elements, once the whole answer is read. */
static void split(scan_t *s)
{
    const rpath_t *p = s->p;
    rpath_result_t *r = &s->st.r;
    size_t e = s->st.n, n, per = p->stride;
    if (p->mode == MODE_STRIDE) {
        if (e % per) {
            r->status = RPATH_STRIDE;
            return;
        }
        n = e / per;
    } else {
        if (s->st.ndims < 1) {
            r->status = RPATH_SHAPE;
            r->why = s->st.ndims == -1 ? "is missing" : "is not a list of dimensions";
            return;
        }
        n = (size_t)s->st.dims[0];
        per = 1;
        bool fits = true;
        for (int i = 1; i < s->st.ndims; i++) {
            if (s->st.dims[i] == 0 || per > SIZE_MAX / s->st.dims[i])
                fits = false;
            else
                per *= (size_t)s->st.dims[i];
        }
        if (fits && n && per > SIZE_MAX / n)
            fits = false;
        if (!(fits && e == n * per)) {
            if (e != n) {
                r->status = RPATH_SHAPE;
                r->why = "does not fit the data";
                return;
            }
            per = 1; /* nested data: one element per item */
        }
    }
    r->count = n;
    r->stride = per ? per : 1;
    if (per > 1 && e <= s->max)
        for (size_t i = 0; i < n; i++) {
            rpath_span_t a = s->spans[i * per], z = s->spans[i * per + per - 1];
            s->spans[i] = (rpath_span_t){a.off, z.off + z.len - a.off};
        }
}

rpath_status_t rpath_scan(const rpath_t *p, const char *body, size_t len, rpath_span_t *spans,
                          size_t max, rpath_result_t *res)
{
    scan_t s = {.p = p, .b = body, .len = len, .spans = spans, .max = max, .st.ndims = -1};
    bool ok = walk(&s, 0, 1);
    if (ok) {
        ws(&s);
        if (s.pos != len)
            invalid(&s, s.pos);
    }
    if (s.bad) {
        memset(res, 0, sizeof(*res));
        res->status = RPATH_NOT_JSON;
        res->at = s.st.r.at;
        return res->status;
    }
    s.st.r.count = s.st.r.elements = s.st.n;
    s.st.r.stride = 1;
    if (s.st.r.status == RPATH_OK && (p->mode == MODE_STRIDE || p->mode == MODE_SHAPE))
        split(&s);
    *res = s.st.r;
    return res->status;
}

rpath_status_t rpath_check(const rpath_t *p, const char *body, size_t len, size_t items,
                           rpath_result_t *res)
{
    if (rpath_scan(p, body, len, NULL, 0, res) == RPATH_OK && res->count != items)
        res->status = RPATH_COUNT;
    res->items = items;
    return res->status;
}

/* ---- for people, and for verification ---- */

static const char *type_name(char c)
{
    switch (c) {
    case '{':
        return "an object";
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return "a number";
    }
}

/* The path through step `upto` (exclusive), "*" shown as the element walked;
 * a one-step path is shown as its bare name ("outputs"). */
static void shown(const rpath_t *p, const rpath_result_t *r, unsigned upto, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    if (upto == 1 && p->steps[0].name) {
        snprintf(buf, len, "%s", p->steps[0].name);
        return;
    }
    for (unsigned i = 0; i < upto && k < len; i++) {
        int n = p->steps[i].name ? snprintf(buf + k, len - k, "/%s", p->steps[i].name)
                                 : snprintf(buf + k, len - k, "/%zu", r->element);
        if (n < 0)
            break;
        k += (size_t)n;
    }
}

/* shown() in quotes, or "the answer" for no steps at all. */
static void quoted(const rpath_t *p, const rpath_result_t *r, unsigned upto, char *buf, size_t len)
{
    char inner[240];
    if (upto == 0) {
        snprintf(buf, len, "the answer");
        return;
    }
    shown(p, r, upto, inner, sizeof inner);
    snprintf(buf, len, "\"%s\"", inner);
}

int rpath_explain(const rpath_t *p, const rpath_result_t *r, char *buf, size_t len)
{
    char where[256];
    bool array_here = p->mode != MODE_WILD && p->mode != MODE_SINGLE;
    switch (r->status) {
    case RPATH_OK:
        return snprintf(buf, len, "%zu output%s", r->count, r->count == 1 ? "" : "s");
    case RPATH_NOT_JSON:
        return snprintf(buf, len, "the answer is not JSON (byte %zu)", r->at);
    case RPATH_MISSING: {
        const step_t *st = &p->steps[r->step];
        const char *what = array_here && r->step + 1 == p->nsteps ? " array" : "";
        bool holds = r->found == '{' || (r->found == '[' && st->index >= 0);
        quoted(p, r, r->step, where, sizeof where);
        if (!holds)
            return snprintf(buf, len, "%s is %s, so it has no \"%s\"", where, type_name(r->found),
                            st->name);
        if (r->found == '[')
            return snprintf(buf, len, "%s has no element %ld", where, st->index);
        if (r->step == 0)
            return snprintf(buf, len, "no \"%s\"%s", st->name, what);
        return snprintf(buf, len, "%s has no \"%s\"%s", where, st->name, what);
    }
    case RPATH_NOT_ARRAY:
        quoted(p, r, r->step, where, sizeof where);
        return snprintf(buf, len, "%s is %s, not an array", where, type_name(r->found));
    case RPATH_STRIDE:
        shown(p, r, p->nsteps, where, sizeof where);
        return snprintf(buf, len, "\"%s\" has %zu elements, not a multiple of %zu", where,
                        r->elements, p->stride);
    case RPATH_SHAPE:
        shown(p, r, p->nsteps - 1, where, sizeof where);
        return snprintf(buf, len, "\"%s%s%s\" %s (%zu data elements)", where, *where ? "/" : "",
                        p->shape, r->why, r->elements);
    case RPATH_COUNT:
        return snprintf(buf, len, "%zu output%s for %zu input%s", r->count,
                        r->count == 1 ? "" : "s", r->items, r->items == 1 ? "" : "s");
    }
    return snprintf(buf, len, "?");
}

json_t *rpath_outputs(const rpath_t *p, const char *body, size_t len, size_t items,
                      rpath_result_t *res)
{
    if (rpath_check(p, body, len, items, res) != RPATH_OK)
        return NULL;
    size_t need = res->elements > res->count ? res->elements : res->count;
    rpath_span_t *spans = malloc((need ? need : 1) * sizeof(*spans));
    json_t *out = json_array();
    char *wrap = NULL;
    if (!spans || !out)
        goto nomem;
    rpath_scan(p, body, len, spans, need, res);
    res->items = items;
    for (size_t i = 0; i < res->count; i++) {
        const char *text = body + spans[i].off;
        size_t n = spans[i].len;
        if (res->stride > 1) {
            char *nw = realloc(wrap, n + 2);
            if (!nw)
                goto nomem;
            wrap = nw;
            wrap[0] = '[';
            memcpy(wrap + 1, text, n);
            wrap[n + 1] = ']';
            text = wrap;
            n += 2;
        }
        json_t *v = json_loadb(text, n, JSON_DECODE_ANY, NULL);
        if (!v || json_array_append_new(out, v) != 0) {
            memset(res, 0, sizeof(*res));
            res->status = RPATH_NOT_JSON;
            res->at = spans[i].off; /* the output jansson refused */
            goto fail;
        }
    }
    free(wrap);
    free(spans);
    return out;
nomem:
    memset(res, 0, sizeof(*res));
    res->status = RPATH_NOT_JSON; /* what else: the caller cannot use the answer */
fail:
    free(wrap);
    free(spans);
    json_decref(out);
    return NULL;
}
