/* sse — see sse.h for the contract.
 *
 * An explicit state machine over lines, kept across feeds (unlike the HTTP
 * parser, an event stream never ends, so it cannot be re-parsed from the
 * start). Runs inside a line are found with memchr, so a typical
 * "data: {...}\n\n" costs a few state steps and two memchr calls.
 *
 * Zero copy where it is free: the first data line of an event that lies whole
 * in the piece being fed is remembered as a pointer into it (p->ref). It is
 * copied into the buffer only when a second data line must be joined to it,
 * or when the piece ends before the event's empty line (the caller's piece is
 * gone by the next feed). Partial values are always copied. */
#include "core/sse.h"

#include <assert.h>
#include <string.h>

enum {
    S_BOM,    /* stream start: matching EF BB BF */
    S_LINE,   /* at the start of a line */
    S_CR,     /* the last line ended in CR: an LF now belongs to it */
    S_FIELD,  /* reading a field name */
    S_SPACE,  /* after "data:" or "event:": one space is dropped */
    S_VALUE,  /* reading a data or event value */
    S_SKIP,   /* a comment or an ignored field, up to the line end */
    S_FAILED, /* over a limit: stays so until sse_reset */
};

enum { F_DATA, F_EVENT, F_OTHER };

static const char bom[] = "\xEF\xBB\xBF";

void sse_init(sse_parser_t *p, char *buf, size_t cap)
{
    p->buf = buf;
    p->cap = cap;
    sse_reset(p);
}

void sse_reset(sse_parser_t *p)
{
    p->state = S_BOM;
    p->field = F_OTHER;
    p->bom = 0;
    p->field_len = 0;
    p->has_data = false;
    p->ref = NULL;
    p->data_len = 0;
    p->name_len = 0;
}

/* The first CR or LF in [s, end), or end. */
static const char *find_eol(const char *s, const char *end)
{
    size_t n = (size_t)(end - s);
    const char *lf = memchr(s, '\n', n);
    if (lf)
        n = (size_t)(lf - s);
    const char *cr = memchr(s, '\r', n);
    return cr ? cr : lf ? lf : end;
}

static int field_of(const sse_parser_t *p)
{
    if (p->field_len == 4 && memcmp(p->field_name, "data", 4) == 0)
        return F_DATA;
    if (p->field_len == 5 && memcmp(p->field_name, "event", 5) == 0)
        return F_EVENT;
    return F_OTHER; /* "id", "retry" and unknown fields alike: ignored */
}

/* The data lies in the caller's piece: move it into the buffer. */
static void materialize(sse_parser_t *p)
{
    if (p->ref) {
        memcpy(p->buf, p->ref, p->data_len); /* data_len <= cap was checked */
        p->ref = NULL;
    }
}

static bool data_append(sse_parser_t *p, const char *s, size_t n)
{
    if (n > p->cap - p->data_len)
        return false;
    materialize(p);
    memcpy(p->buf + p->data_len, s, n);
    p->data_len += n;
    return true;
}

/* A data line starts: joined to the ones before by "\n". */
static bool data_line_begin(sse_parser_t *p)
{
    if (!p->has_data) {
        p->has_data = true;
        return true;
    }
    return data_append(p, "\n", 1);
}

/* A run of a data value: the whole value, when it is the event's first
 * bytes and its line end is in this piece, is kept by reference. */
static bool data_value(sse_parser_t *p, const char *s, size_t n, bool line_complete)
{
    if (line_complete && p->data_len == 0 && !p->ref) {
        if (n > p->cap)
            return false;
        p->ref = s;
        p->data_len = n;
        return true;
    }
    return data_append(p, s, n);
}

static bool name_append(sse_parser_t *p, const char *s, size_t n)
{
    if (n > SSE_NAME_MAX - p->name_len)
        return false;
    memcpy(p->name + p->name_len, s, n);
    p->name_len += n;
    return true;
}

/* The empty line: the pending event goes out if it had data. Returns what
 * the callback returned (0: go on). */
static int dispatch(sse_parser_t *p, sse_event_fn on_event, void *ctx)
{
    if (!p->has_data) {
        p->name_len = 0;
        return 0;
    }
    sse_event_t ev = {
        .name = p->name_len ? p->name : "message",
        .name_len = p->name_len ? p->name_len : 7,
        .data = p->ref ? p->ref : p->buf,
        .data_len = p->data_len,
    };
    p->has_data = false;
    p->ref = NULL;
    p->data_len = 0;
    p->name_len = 0;
    return on_event ? on_event(ctx, &ev) : 0;
}

ssize_t sse_feed(sse_parser_t *p, const char *buf, size_t len, sse_event_fn on_event, void *ctx)
{
    const char *s = buf, *end = buf + len;
    if (p->state == S_FAILED)
        return SSE_TOO_LARGE;
    while (s < end) {
        char c = *s;
        switch (p->state) {
        case S_BOM:
            if (c == bom[p->bom]) {
                s++;
                if (++p->bom == 3)
                    p->state = S_LINE;
                break;
            }
            /* Not a BOM after all: the bytes matched so far start a field
             * name no field has, so the line is ignored, as it would be had
             * they been read as a field name in the first place. */
            memcpy(p->field_name, bom, p->bom);
            p->field_len = p->bom;
            p->state = p->bom ? S_FIELD : S_LINE;
            break;
        case S_CR:
            p->state = S_LINE;
            if (c == '\n')
                s++;
            break;
        case S_LINE:
            if (c == '\n' || c == '\r') {
                s++;
                p->state = c == '\r' ? S_CR : S_LINE;
                if (dispatch(p, on_event, ctx) != 0)
                    return s - buf;
            } else if (c == ':') {
                s++;
                p->state = S_SKIP;
            } else {
                p->field_len = 0;
                p->state = S_FIELD;
            }
            break;
        case S_FIELD:
            while (s < end && *s != ':' && *s != '\r' && *s != '\n') {
                if (p->field_len < sizeof(p->field_name)) /* longer: no known field */
                    p->field_name[p->field_len++] = *s;
                s++;
            }
            if (s == end)
                break;
            p->field = field_of(p);
            if (p->field == F_DATA && !data_line_begin(p))
                goto too_large;
            if (p->field == F_EVENT)
                p->name_len = 0; /* the last "event" line wins */
            if (*s == ':') {
                s++;
                p->state = p->field == F_OTHER ? S_SKIP : S_SPACE;
            } else {
                /* A line without a colon: the field with an empty value. */
                p->state = *s == '\r' ? S_CR : S_LINE;
                s++;
            }
            break;
        case S_SPACE:
            if (c == ' ')
                s++;
            p->state = S_VALUE;
            break;
        case S_VALUE: {
            const char *eol = find_eol(s, end);
            bool complete = eol < end;
            size_t n = (size_t)(eol - s);
            bool fits = p->field == F_DATA ? data_value(p, s, n, complete) : name_append(p, s, n);
            if (!fits)
                goto too_large;
            s = eol;
            if (complete) {
                p->state = *s == '\r' ? S_CR : S_LINE;
                s++;
            }
            break;
        }
        case S_SKIP: {
            const char *eol = find_eol(s, end);
            s = eol;
            if (eol < end) {
                p->state = *s == '\r' ? S_CR : S_LINE;
                s++;
            }
            break;
        }
        case S_FAILED:
            return SSE_TOO_LARGE;
        default:
            assert(!"sse_feed: bad state");
            goto too_large;
        }
    }
    materialize(p); /* the piece is the caller's: it is gone by the next feed */
    return (ssize_t)len;
too_large:
    p->state = S_FAILED;
    p->ref = NULL;
    return SSE_TOO_LARGE;
}

bool sse_finish(const sse_parser_t *p)
{
    return p->has_data;
}
