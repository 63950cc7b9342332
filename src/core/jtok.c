/* jtok — byte loops over one token. */
#include "core/jtok.h"

#include <stdbool.h>
#include <string.h>

static ssize_t fail(jtok_error_t *err, const char *what, size_t offset)
{
    if (err) {
        err->what = what;
        err->offset = offset;
    }
    return JTOK_INVALID;
}

size_t jtok_utf8(const unsigned char *s, size_t len)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

size_t jtok_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    /* s[k] is the first byte left out: a continuation byte there means the
     * character began before the cut. A character is at most 4 bytes. */
    while (k > 0 && max - k < 3 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

int jtok_hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char h = s[i];
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= h - '0';
        else if (h >= 'a' && h <= 'f')
            v |= h - 'a' + 10;
        else if (h >= 'A' && h <= 'F')
            v |= h - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* At "\u" (i is the backslash): consumes the escape, or a surrogate pair. */
static ssize_t unicode_escape(const char *s, size_t len, size_t i, jtok_error_t *err)
{
    int u = len - i >= 6 ? jtok_hex4(s + i + 2) : -1;
    if (u < 0)
        return fail(err, "\\u must be followed by four hex digits", i);
    if (u == 0)
        return fail(err, "\\u0000 is not allowed in a string", i);
    if (u >= 0xDC00 && u <= 0xDFFF)
        return fail(err, "a UTF-16 low surrogate without its high half", i);
    if (u < 0xD800 || u > 0xDBFF)
        return 6;
    int lo = len - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u' ? jtok_hex4(s + i + 8) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return fail(err, "a UTF-16 high surrogate without its low half", i);
    return 12;
}

ssize_t jtok_string(const char *s, size_t len, jtok_error_t *err)
{
    size_t i = 1;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            return (ssize_t)(i + 1);
        if (c < 0x20)
            return fail(err, "a control character in a string (write it as \\n, \\t or \\u00XX)",
                        i);
        if (c == '\\') {
            if (i + 1 >= len)
                break;
            char e = s[i + 1];
            if (e == 'u') {
                ssize_t n = unicode_escape(s, len, i, err);
                if (n < 0)
                    return n;
                i += (size_t)n;
            } else if (e != '\0' && strchr("\"\\/bfnrt", e)) {
                i += 2;
            } else {
                return fail(err, "an invalid escape in a string", i);
            }
            continue;
        }
        size_t n = jtok_utf8((const unsigned char *)s + i, len - i);
        if (n == 0)
            return fail(err, "a string is not valid UTF-8", i);
        i += n;
    }
    return fail(err, "a string is not closed", 0);
}

static size_t digits(const char *s, size_t len, size_t i)
{
    size_t b = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i - b;
}

ssize_t jtok_number(const char *s, size_t len, jtok_error_t *err)
{
    size_t i = 0, n;
    if (s[i] == '-')
        i++;
    if (i < len && s[i] == '0')
        i++;
    else if ((n = digits(s, len, i)) > 0)
        i += n;
    else
        return fail(err, "a number needs digits", i);
    if (i < len && s[i] == '.') {
        if ((n = digits(s, len, ++i)) == 0)
            return fail(err, "a number needs digits after '.'", i);
        i += n;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((n = digits(s, len, i)) == 0)
            return fail(err, "a number needs digits in its exponent", i);
        i += n;
    }
    return (ssize_t)i;
}
