/* libFuzzer target: sse_feed against a reference interpreter written straight
 * from the WHATWG steps (whole input, line by line), and against itself fed
 * in pieces. Byte 0 chooses the buffer size (0..62, or SSE_DEFAULT_CAP for
 * 63), byte 1 the piece size (1..256, each piece its own exact-size copy so
 * ASan sees any over-read); the rest is the stream. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sse.h"
#include "fuzz.h"

/* Events recorded as [name_len][name][data_len][data]. */
struct log {
    unsigned char *p;
    size_t len, cap;
    size_t events;
};

static void put(struct log *l, const void *s, size_t n)
{
    if (l->len + n > l->cap) {
        l->cap = (l->len + n) * 2;
        l->p = realloc(l->p, l->cap);
        CHECK(l->p);
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void put_event(struct log *l, const char *name, size_t name_len, const char *data,
                      size_t data_len)
{
    put(l, &name_len, sizeof(name_len));
    put(l, name, name_len);
    put(l, &data_len, sizeof(data_len));
    put(l, data, data_len);
    l->events++;
}

static int on_event(void *ctx, const sse_event_t *ev)
{
    CHECK(ev->name_len > 0 && ev->name_len <= SSE_NAME_MAX);
    put_event(ctx, ev->name, ev->name_len, ev->data, ev->data_len);
    return 0;
}

/* ---- the reference: the spec's steps over the whole input ---- */

struct ref {
    char *data; /* with the spec's trailing "\n" per line */
    size_t data_len;
    bool has_data;
    char name[SSE_NAME_MAX + 1];
    size_t name_len;
};

/* Field and value of a line (value after the optional space); false for a
 * comment. */
static bool split_line(const char *s, size_t n, const char **f, size_t *flen, const char **v,
                       size_t *vlen)
{
    if (n > 0 && s[0] == ':')
        return false;
    const char *colon = memchr(s, ':', n);
    *f = s;
    *flen = colon ? (size_t)(colon - s) : n;
    *v = colon ? colon + 1 : s + n;
    *vlen = colon ? n - *flen - 1 : 0;
    if (*vlen > 0 && **v == ' ')
        (*v)++, (*vlen)--;
    return true;
}

static bool field_is(const char *f, size_t flen, const char *name)
{
    return flen == strlen(name) && memcmp(f, name, flen) == 0;
}

/* Returns 0, or SSE_TOO_LARGE when the pending data (joined, without the
 * trailing "\n") or name would be over the limits. */
static int reference(const char *s, size_t len, size_t cap, struct log *out, bool *finish)
{
    struct ref r = {.data = malloc(len + 1)};
    int rc = 0;
    size_t pos = 0;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    for (;;) {
        size_t eol = pos;
        while (eol < len && s[eol] != '\r' && s[eol] != '\n')
            eol++;
        const char *f, *v;
        size_t flen, vlen;
        if (eol == len) {
            /* An unfinished last line: only the limits can see it. */
            if (memchr(s + pos, ':', len - pos) &&
                split_line(s + pos, len - pos, &f, &flen, &v, &vlen)) {
                if (field_is(f, flen, "data") && r.data_len + vlen > cap)
                    rc = SSE_TOO_LARGE;
                if (field_is(f, flen, "data"))
                    r.has_data = true; /* sse_finish counts a data line begun */
                if (field_is(f, flen, "event") && vlen > SSE_NAME_MAX)
                    rc = SSE_TOO_LARGE;
            }
            break;
        }
        if (eol == pos) { /* dispatch */
            if (r.has_data)
                put_event(out, r.name_len ? r.name : "message", r.name_len ? r.name_len : 7, r.data,
                          r.data_len - 1);
            r.has_data = false;
            r.data_len = 0;
            r.name_len = 0;
        } else if (split_line(s + pos, eol - pos, &f, &flen, &v, &vlen)) {
            if (field_is(f, flen, "data")) {
                /* the logical data (no trailing "\n") must fit */
                if (r.data_len + vlen > cap) {
                    rc = SSE_TOO_LARGE;
                    break;
                }
                memcpy(r.data + r.data_len, v, vlen);
                r.data_len += vlen;
                r.data[r.data_len++] = '\n';
                r.has_data = true;
            } else if (field_is(f, flen, "event")) {
                if (vlen > SSE_NAME_MAX) {
                    rc = SSE_TOO_LARGE;
                    break;
                }
                memcpy(r.name, v, vlen);
                r.name_len = vlen;
            }
        }
        pos = eol + 1;
        if (s[eol] == '\r' && pos < len && s[pos] == '\n')
            pos++;
    }
    *finish = r.has_data;
    free(r.data);
    return rc;
}

/* ---- the parser, in pieces ---- */

static int run(const char *s, size_t len, size_t cap, size_t piece, struct log *out, bool *finish)
{
    char *buf = malloc(cap ? cap : 1);
    sse_parser_t p;
    sse_init(&p, buf, cap);
    int rc = 0;
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        char *copy = malloc(n);
        memcpy(copy, s + off, n);
        ssize_t r = sse_feed(&p, copy, n, on_event, out);
        free(copy);
        if (r == SSE_TOO_LARGE) {
            rc = SSE_TOO_LARGE;
            CHECK(sse_feed(&p, "data: x\n\n", 9, on_event, out) == SSE_TOO_LARGE);
            break;
        }
        CHECK(r == (ssize_t)n);
    }
    *finish = sse_finish(&p);
    free(buf);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t cap = (data[0] & 63) == 63 ? SSE_DEFAULT_CAP : (size_t)(data[0] & 63);
    size_t piece = (size_t)data[1] + 1;
    const char *s = (const char *)data + 2;
    size_t len = size - 2;

    struct log want = {0}, whole = {0}, pieces = {0};
    bool fin_want, fin_whole, fin_pieces;
    int rc_want = reference(s, len, cap, &want, &fin_want);
    int rc_whole = run(s, len, cap, len ? len : 1, &whole, &fin_whole);
    int rc_pieces = run(s, len, cap, piece, &pieces, &fin_pieces);

    CHECK(rc_whole == rc_want && rc_pieces == rc_want);
    CHECK(whole.len == want.len && (want.len == 0 || memcmp(whole.p, want.p, want.len) == 0));
    CHECK(pieces.len == want.len && (want.len == 0 || memcmp(pieces.p, want.p, want.len) == 0));
    if (rc_want == 0)
        CHECK(fin_whole == fin_want && fin_pieces == fin_want);
    free(want.p);
    free(whole.p);
    free(pieces.p);
    return 0;
}
