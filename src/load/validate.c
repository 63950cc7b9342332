/* validate — recursive descent over JSON text; builds nothing. */
#include "load/validate.h"

#include <stdbool.h>
#include <string.h>

#include "core/jtok.h"

#define MAX_DEPTH 64

typedef struct {
    const char *p, *end;
} scan_t;

static bool scan_value(scan_t *s, int depth, long *count);

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At '"'. On success *start and *len give the raw (still escaped) contents. */
static bool scan_string(scan_t *s, const char **start, size_t *len)
{
    s->p++;
    const char *b = s->p;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            *start = b;
            *len = (size_t)(s->p - b);
            s->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++s->p >= s->end)
                return false;
            char e = *s->p;
            if (e == 'u') {
                if (s->end - s->p < 5)
                    return false;
                for (int i = 1; i <= 4; i++)
                    if (!is_hex(s->p[i]))
                        return false;
                s->p += 4;
            } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
                return false;
            }
        }
        s->p++;
    }
    return false;
}

static bool scan_digits(scan_t *s)
{
    const char *b = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > b;
}

static bool scan_number(scan_t *s)
{
    if (*s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (!scan_digits(s))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!scan_digits(s))
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!scan_digits(s))
            return false;
    }
    return true;
}

static bool scan_literal(scan_t *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

/* Whether the raw (still escaped) key k[0..n) is "outputs" once decoded:
 * "\u006futputs" names the same member (the scan checked the escapes). */
static bool key_is_outputs(const char *k, size_t n)
{
    static const char want[] = "outputs";
    size_t w = 0;
    for (size_t i = 0; i < n; w++) {
        int c = (unsigned char)k[i];
        if (c == '\\') {
            char e = k[i + 1];
            c = e == 'u' ? jtok_hex4(k + i + 2) : (e == '"' || e == '\\' || e == '/') ? e : 0;
            i += e == 'u' ? 6 : 2;
        } else {
            i++;
        }
        if (w >= sizeof want - 1 || c != want[w])
            return false;
    }
    return w == sizeof want - 1;
}

/* At '['. *count (if not NULL) receives the element count. */
static bool scan_array(scan_t *s, int depth, long *count)
{
    long n = 0;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        goto done;
    }
    for (;;) {
        if (!scan_value(s, depth + 1, NULL))
            return false;
        n++;
        skip_ws(s);
        if (s->p >= s->end)
            return false;
        if (*s->p == ']') {
            s->p++;
            break;
        }
        if (*s->p != ',')
            return false;
        s->p++;
    }
done:
    if (count)
        *count = n;
    return true;
}

/* At '{'. When count is not NULL (top level), the "outputs" array is counted. */
static bool scan_object(scan_t *s, int depth, long *count)
{
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        const char *key;
        size_t klen;
        skip_ws(s);
        if (s->p >= s->end || *s->p != '"' || !scan_string(s, &key, &klen))
            return false;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return false;
        s->p++;
        skip_ws(s);
        bool outputs = count && key_is_outputs(key, klen);
        if (outputs && s->p < s->end && *s->p == '[') {
            if (depth + 1 > MAX_DEPTH || !scan_array(s, depth + 1, count))
                return false;
        } else if (!scan_value(s, depth + 1, NULL)) {
            return false;
        }
        skip_ws(s);
        if (s->p >= s->end)
            return false;
        if (*s->p == '}') {
            s->p++;
            return true;
        }
        if (*s->p != ',')
            return false;
        s->p++;
    }
}

static bool scan_value(scan_t *s, int depth, long *count)
{
    const char *str;
    size_t len;
    if (depth > MAX_DEPTH)
        return false;
    skip_ws(s);
    if (s->p >= s->end)
        return false;
    switch (*s->p) {
    case '{':
        return scan_object(s, depth, count);
    case '[':
        return scan_array(s, depth, NULL);
    case '"':
        return scan_string(s, &str, &len);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return scan_number(s);
        return false;
    }
}

long validate_outputs_count(const char *body, size_t len)
{
    scan_t s = {body, body + len};
    long count = -1;
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return -1;
    if (!scan_value(&s, 0, &count))
        return -1;
    skip_ws(&s);
    if (s.p != s.end)
        return -1;
    return count;
}
