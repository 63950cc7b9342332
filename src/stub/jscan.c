/* jscan — see jscan.h for the contract.
 *
 * One loop over the bytes with an explicit container stack (a bit per level:
 * object or array), so a 100,000-deep body costs no C stack; the depth limit
 * bounds the stack. Validation and hashing share the loop: hashing only adds
 * FNV feeds, plus one frame per open object for the order-independent sum of
 * its members. Where jansson has a limit (int64 integers, finite reals,
 * depth 2048, no \u0000) the same limit applies, so the stub's 400s did not
 * change when the body parser did. */
#include "stub/jscan.h"

#include <stdbool.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define EXP_CAP 1000000000000ll /* exponents saturate here: far past any double */

typedef struct {
    uint64_t saved; /* the enclosing stream, resumed after '}' */
    uint64_t sum;   /* the members hashed so far */
} frame_t;

typedef enum {
    ST_VALUE,          /* after ':' or an array's ',' (or at the root) */
    ST_VALUE_OR_CLOSE, /* after '[' */
    ST_KEY,            /* after an object's ',' */
    ST_KEY_OR_CLOSE,   /* after '{' */
    ST_AFTER_VALUE,
} state_t;

typedef struct {
    const unsigned char *buf, *p, *end;
    jscan_error_t *err;
    bool hashing;
    uint64_t h;    /* the current stream: the value, or the innermost object member */
    unsigned open; /* containers open */
    unsigned nobj; /* objects open = frames in use (hashing only) */
    uint8_t is_object[JSCAN_MAX_DEPTH / 8];
    frame_t frames[JSCAN_MAX_DEPTH];
    /* jscan_document: members of the root object to find */
    const char *const *keys;
    jscan_span_t *spans;
    size_t nkeys;
    long key_index; /* which key the member being scanned has, or -1 */
    size_t value_off;
} scan_t;

/* ---- hashing ---- */

static inline void feed(scan_t *s, unsigned char c)
{
    s->h = (s->h ^ c) * FNV_PRIME;
}

static void feed_n(scan_t *s, const unsigned char *p, size_t n)
{
    uint64_t h = s->h;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    s->h = h;
}

static void feed_utf8(scan_t *s, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    feed_n(s, b, n);
}

/* A member's hash is mixed before it joins the sum, so members that differ
 * in one bit do not cancel or carry into each other predictably. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- errors ---- */

static ssize_t fail(scan_t *s, const unsigned char *at, const char *what)
{
    if (s->err) {
        s->err->what = what;
        s->err->offset = (size_t)(at - s->buf);
    }
    return JSCAN_INVALID;
}

static ssize_t more(scan_t *s)
{
    if (s->err) {
        s->err->what = "unexpected end of input";
        s->err->offset = (size_t)(s->end - s->buf);
    }
    return JSCAN_INCOMPLETE;
}

/* ---- tokens: each returns 0 with s->p past the token, or an error ---- */

static int hex4(scan_t *s, const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++, p++) {
        if (p == s->end)
            return (int)more(s);
        unsigned char c = *p;
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16;
        if (d == 16)
            return (int)fail(s, p, "invalid \\u escape");
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* p at a backslash: the escape's code point and length (2, 6 or 12). */
static int escape(scan_t *s, const unsigned char *p, uint32_t *cp, size_t *n)
{
    if (p + 1 == s->end)
        return (int)more(s);
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k = p[1] ? strchr(from, p[1]) : NULL;
    if (k) {
        *cp = (unsigned char)to[k - from];
        *n = 2;
        return 0;
    }
    if (p[1] != 'u')
        return (int)fail(s, p, "invalid escape");
    int r = hex4(s, p + 2, cp);
    if (r)
        return r;
    *n = 6;
    if (*cp == 0)
        return (int)fail(s, p, "\\u0000 is not allowed");
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return (int)fail(s, p, "lone UTF-16 surrogate");
    if (*cp < 0xD800 || *cp > 0xDBFF)
        return 0;
    /* A high surrogate: its low half must follow at once. */
    const unsigned char *q = p + 6;
    if (q == s->end || (q[0] == '\\' && q + 1 == s->end))
        return (int)more(s);
    if (q[0] != '\\' || q[1] != 'u')
        return (int)fail(s, p, "lone UTF-16 surrogate");
    uint32_t lo;
    if ((r = hex4(s, q + 2, &lo)))
        return r;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return (int)fail(s, p, "invalid UTF-16 surrogate pair");
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    *n = 12;
    return 0;
}

/* p at a byte >= 0x80: the length of its valid UTF-8 sequence (strict:
 * no overlong forms, surrogates or code points past U+10FFFF). */
static int utf8(scan_t *s, const unsigned char *p, size_t *n)
{
    unsigned char c = *p, lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        *n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        *n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        *n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return (int)fail(s, p, "invalid UTF-8");
    for (size_t i = 1; i < *n; i++) {
        if (p + i == s->end)
            return (int)more(s);
        if (p[i] < lo || p[i] > hi)
            return (int)fail(s, p, "invalid UTF-8");
        lo = 0x80, hi = 0xBF;
    }
    return 0;
}

/* Canonical form: '"', the decoded bytes, NUL (which a string cannot hold). */
static int scan_string(scan_t *s)
{
    const unsigned char *p = s->p + 1, *end = s->end;
    if (s->hashing)
        feed(s, '"');
    for (;;) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (s->hashing)
            feed_n(s, run, (size_t)(p - run));
        if (p == end)
            return (int)more(s);
        int r;
        size_t n;
        if (*p == '"') {
            if (s->hashing)
                feed(s, 0);
            s->p = p + 1;
            return 0;
        } else if (*p == '\\') {
            uint32_t cp;
            if ((r = escape(s, p, &cp, &n)))
                return r;
            if (s->hashing)
                feed_utf8(s, cp);
        } else if (*p < 0x20) {
            return (int)fail(s, p, "control character in string");
        } else {
            if ((r = utf8(s, p, &n)))
                return r;
            if (s->hashing)
                feed_n(s, p, n);
        }
        p += n;
    }
}

/* 2^1024 - 2^970: the smallest decimal that strtod rounds to infinity. */
static const char overflow_digits[] =
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977"
    "587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845"
    "817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559"
    "699508093042880177904174497792";

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* jansson refuses a real that overflows a double. The decimal exponent of the
 * first significant digit decides all but exponent 308, where the digits are
 * compared with the threshold's: exact, and no strtod on an unterminated
 * buffer. */
static bool real_overflows(const unsigned char *ip, const unsigned char *ie,
                           const unsigned char *fp, const unsigned char *fe, long long exp)
{
    long long m;
    const unsigned char *d = ip, *dend = ie;
    if (*ip != '0') {
        m = (long long)(ie - ip) - 1 + exp;
    } else {
        d = fp, dend = fe;
        while (d < dend && *d == '0')
            d++;
        if (d == dend)
            return false; /* zero, whatever the exponent */
        m = -(long long)(d - fp) - 1 + exp;
    }
    if (m != 308)
        return m > 308;
    for (const char *t = overflow_digits; *t; t++) {
        unsigned char c = '0';
        if (d == ie)
            d = fp, dend = fe; /* from the integer digits on to the fraction */
        if (d && d < dend)
            c = *d++;
        if (c != (unsigned char)*t)
            return c > (unsigned char)*t;
    }
    return true; /* equal to the threshold or above it: rounds to infinity */
}

static int scan_number(scan_t *s)
{
    const unsigned char *p = s->p, *end = s->end, *start = p;
    bool neg = *p == '-';
    if (neg && ++p == end)
        return (int)more(s);
    const unsigned char *ip = p;
    if (*p == '0')
        p++;
    else if (IS_DIGIT(*p))
        while (p < end && IS_DIGIT(*p))
            p++;
    else
        return (int)fail(s, p, "invalid number");
    const unsigned char *ie = p, *fp = NULL, *fe = NULL;
    bool real = false;
    long long exp = 0;
    if (p < end && *p == '.') {
        if (++p == end)
            return (int)more(s);
        if (!IS_DIGIT(*p))
            return (int)fail(s, p, "invalid number");
        fp = p;
        while (p < end && IS_DIGIT(*p))
            p++;
        fe = p;
        real = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        if (++p == end)
            return (int)more(s);
        bool eneg = *p == '-';
        if ((*p == '-' || *p == '+') && ++p == end)
            return (int)more(s);
        if (!IS_DIGIT(*p))
            return (int)fail(s, p, "invalid number");
        for (; p < end && IS_DIGIT(*p); p++)
            if (exp < EXP_CAP)
                exp = exp * 10 + (*p - '0');
        if (eneg)
            exp = -exp;
        real = true;
    }
    /* Out of range, but touching the end of the input: more digits could
     * still bring it in ("1e400" + "0e-500", or an integer + ".0"). */
    if (!real) {
        size_t n = (size_t)(ie - ip);
        if (n > 19 ||
            (n == 19 && memcmp(ip, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0))
            return p == end ? (int)more(s) : (int)fail(s, start, "integer out of range");
    } else if (real_overflows(ip, ie, fp, fe, exp)) {
        return p == end ? (int)more(s) : (int)fail(s, start, "number out of range");
    }
    if (s->hashing)
        feed_n(s, start, (size_t)(p - start));
    s->p = p;
    return 0;
}

static int scan_literal(scan_t *s, const char *word)
{
    const unsigned char *p = s->p;
    for (; *word; word++, p++) {
        if (p == s->end)
            return (int)more(s);
        if (*p != (unsigned char)*word)
            return (int)fail(s, s->p, "invalid literal");
    }
    if (s->hashing)
        feed_n(s, s->p, (size_t)(p - s->p));
    s->p = p;
    return 0;
}

/* The string token tok[0..n) (quotes included, already validated) decodes
 * to exactly `want`. */
static bool key_is(scan_t *s, const unsigned char *tok, size_t n, const char *want)
{
    const unsigned char *p = tok + 1, *end = tok + n - 1;
    size_t wlen = strlen(want);
    if (!memchr(p, '\\', (size_t)(end - p)))
        return (size_t)(end - p) == wlen && !memcmp(p, want, wlen);
    const unsigned char *w = (const unsigned char *)want;
    while (p < end) {
        if (*p != '\\') {
            if (*w++ != *p++)
                return false;
            continue;
        }
        uint32_t cp;
        size_t len;
        jscan_error_t *keep = s->err;
        s->err = NULL;
        escape(s, p, &cp, &len); /* valid: the string was scanned */
        s->err = keep;
        p += len;
        if (cp >= 0x80 || *w++ != cp) /* the keys we look for are ASCII */
            return false;
    }
    return *w == '\0';
}

/* ---- values ---- */

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static bool top_is_object(const scan_t *s)
{
    unsigned i = s->open - 1;
    return s->is_object[i / 8] >> (i % 8) & 1;
}

static void push(scan_t *s, bool object)
{
    unsigned i = s->open++;
    if (object)
        s->is_object[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        s->is_object[i / 8] &= (uint8_t) ~(1u << (i % 8));
    if (object && s->hashing) {
        s->frames[s->nobj++] = (frame_t){.saved = s->h, .sum = 0};
        s->h = FNV_OFFSET;
    }
}

/* Canonical form of an object: '{', the 8-byte sum of its members, '}'. */
static void close_object(scan_t *s, bool empty)
{
    s->open--;
    if (!s->hashing)
        return;
    frame_t *f = &s->frames[--s->nobj];
    uint64_t sum = f->sum + (empty ? 0 : mix(s->h));
    s->h = f->saved;
    feed(s, '{');
    for (int i = 0; i < 8; i++)
        feed(s, (unsigned char)(sum >> (8 * i)));
    feed(s, '}');
}

/* A value just ended: a member of the root object may be one we look for. */
static void value_done(scan_t *s)
{
    if (s->open == 1 && s->key_index >= 0) {
        s->spans[s->key_index].off = s->value_off;
        s->spans[s->key_index].len = (size_t)(s->p - s->buf) - s->value_off;
        s->key_index = -1;
    }
}

static int scan_key(scan_t *s)
{
    if (*s->p != '"')
        return (int)fail(s, s->p, "expected a string key");
    const unsigned char *tok = s->p;
    int r = scan_string(s);
    if (r)
        return r;
    if (s->open == 1)
        for (size_t i = 0; i < s->nkeys; i++)
            if (key_is(s, tok, (size_t)(s->p - tok), s->keys[i]))
                s->key_index = (long)i;
    skip_ws(s);
    if (s->p == s->end)
        return (int)more(s);
    if (*s->p != ':')
        return (int)fail(s, s->p, "expected ':'");
    if (s->hashing)
        feed(s, ':');
    s->p++;
    return 0;
}

/* Scans one value from s->p. Returns 0 or an error. */
static int scan(scan_t *s)
{
    state_t st = ST_VALUE;
    int r = 0;
    for (;;) {
        if (st == ST_AFTER_VALUE && s->open == 0)
            return 0;
        skip_ws(s);
        if (s->p == s->end)
            return (int)more(s);
        unsigned char c = *s->p;
        switch (st) {
        case ST_VALUE_OR_CLOSE:
            if (c == ']') {
                s->p++;
                s->open--;
                if (s->hashing)
                    feed(s, ']');
                value_done(s);
                st = ST_AFTER_VALUE;
                continue;
            }
            /* fallthrough */
        case ST_VALUE:
            if (s->open >= JSCAN_MAX_DEPTH)
                return (int)fail(s, s->p, "nested too deeply");
            if (s->open == 1)
                s->value_off = (size_t)(s->p - s->buf);
            st = ST_AFTER_VALUE;
            switch (c) {
            case '{':
                s->p++;
                push(s, true);
                st = ST_KEY_OR_CLOSE;
                continue;
            case '[':
                s->p++;
                push(s, false);
                if (s->hashing)
                    feed(s, '[');
                st = ST_VALUE_OR_CLOSE;
                continue;
            case '"':
                r = scan_string(s);
                break;
            case 't':
                r = scan_literal(s, "true");
                break;
            case 'f':
                r = scan_literal(s, "false");
                break;
            case 'n':
                r = scan_literal(s, "null");
                break;
            default:
                if (c != '-' && !IS_DIGIT(c))
                    return (int)fail(s, s->p, "expected a value");
                r = scan_number(s);
                break;
            }
            if (r)
                return r;
            value_done(s);
            continue;
        case ST_KEY_OR_CLOSE:
            if (c == '}') {
                s->p++;
                close_object(s, true);
                value_done(s);
                st = ST_AFTER_VALUE;
                continue;
            }
            /* fallthrough */
        case ST_KEY:
            if ((r = scan_key(s)))
                return r;
            st = ST_VALUE;
            continue;
        case ST_AFTER_VALUE:
            s->p++;
            if (top_is_object(s)) {
                if (c == '}') {
                    close_object(s, false);
                    value_done(s);
                    continue;
                }
                if (c != ',')
                    return (int)fail(s, s->p - 1, "expected ',' or '}'");
                if (s->hashing) {
                    s->frames[s->nobj - 1].sum += mix(s->h);
                    s->h = FNV_OFFSET;
                }
                st = ST_KEY;
                continue;
            }
            if (c == ']') {
                s->open--;
                if (s->hashing)
                    feed(s, ']');
                value_done(s);
                continue;
            }
            if (c != ',')
                return (int)fail(s, s->p - 1, "expected ',' or ']'");
            if (s->hashing)
                feed(s, ',');
            st = ST_VALUE;
            continue;
        }
    }
}

static void scan_init(scan_t *s, const char *buf, size_t len, bool hashing, jscan_error_t *err)
{
    s->buf = s->p = (const unsigned char *)buf;
    s->end = s->buf + len;
    s->err = err;
    s->hashing = hashing;
    s->h = FNV_OFFSET;
    s->open = s->nobj = 0;
    s->keys = NULL;
    s->spans = NULL;
    s->nkeys = 0;
    s->key_index = -1;
    s->value_off = 0;
}

ssize_t jscan_document(const char *buf, size_t len, const char *const keys[], jscan_span_t spans[],
                       size_t nkeys, jscan_error_t *err)
{
    scan_t s;
    scan_init(&s, buf, len, false, err);
    s.keys = keys;
    s.spans = spans;
    s.nkeys = nkeys;
    for (size_t i = 0; i < nkeys; i++)
        spans[i] = (jscan_span_t){0, 0};
    skip_ws(&s);
    /* Member spans are recorded for a root object only. */
    if (s.p == s.end || *s.p != '{')
        s.nkeys = 0;
    int r = scan(&s);
    if (r)
        return r;
    skip_ws(&s);
    if (s.p != s.end)
        return fail(&s, s.p, "unexpected data after the JSON value");
    return (ssize_t)len;
}

ssize_t jscan_value(const char *buf, size_t len, uint64_t *hash, jscan_error_t *err)
{
    scan_t s;
    scan_init(&s, buf, len, hash != NULL, err);
    int r = scan(&s);
    if (r)
        return r;
    if (hash)
        *hash = s.h;
    return s.p - s.buf;
}

int jscan_next_element(const char *array, size_t len, size_t *pos, uint64_t *hash)
{
    jscan_span_t span;
    return jscan_element(array, len, pos, &span, hash);
}

int jscan_element(const char *array, size_t len, size_t *pos, jscan_span_t *span, uint64_t *hash)
{
    size_t i = *pos;
    if (i == 0) {
        if (len == 0 || array[0] != '[')
            return JSCAN_INVALID;
        i = 1;
    } else {
        i += jscan_skip_ws(array + i, len - i);
        if (i < len && array[i] == ']')
            return 0;
        if (i == len || array[i] != ',')
            return JSCAN_INVALID;
        i++;
    }
    i += jscan_skip_ws(array + i, len - i);
    if (i < len && array[i] == ']' && *pos == 0)
        return 0;
    ssize_t n = jscan_value(array + i, len - i, hash, NULL);
    if (n < 0)
        return JSCAN_INVALID;
    *pos = i + (size_t)n;
    *span = (jscan_span_t){i, (size_t)n};
    return 1;
}

int jscan_members(const char *buf, jscan_span_t obj, const char *const keys[], jscan_span_t spans[],
                  size_t nkeys)
{
    for (size_t i = 0; i < nkeys; i++)
        spans[i] = (jscan_span_t){0, 0};
    if (obj.len == 0 || buf[obj.off] != '{')
        return -1;
    if (jscan_document(buf + obj.off, obj.len, keys, spans, nkeys, NULL) < 0)
        return -1;
    for (size_t i = 0; i < nkeys; i++)
        if (spans[i].len)
            spans[i].off += obj.off;
    return 0;
}

int jscan_u64(const char *buf, jscan_span_t v, uint64_t max, uint64_t *out)
{
    if (v.len == 0 || v.len > 20)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = buf[v.off + i];
        if (c < '0' || c > '9')
            return -1; /* negative, fraction or exponent: not a count */
        if (x > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
            return -1;
        x = x * 10 + (uint64_t)(c - '0');
    }
    if (x > max)
        return -1;
    *out = x;
    return 0;
}

int jscan_bool(const char *buf, jscan_span_t v, bool *out)
{
    if (v.len == 4 && !memcmp(buf + v.off, "true", 4))
        *out = true;
    else if (v.len == 5 && !memcmp(buf + v.off, "false", 5))
        *out = false;
    else
        return -1;
    return 0;
}

size_t jscan_skip_ws(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
        i++;
    return i;
}
