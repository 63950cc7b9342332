/* llmevent — see llmevent.h for the contract.
 *
 * Recursive descent only along the paths that matter (root, choices[i],
 * delta, message, token, usage, details: at most five levels), and one iterative
 * skipper for every other value, its open containers kept as bits, so a
 * 2048-deep document costs 256 bytes of stack and no recursion. */
#include "load/llmevent.h"

#include <stdbool.h>
#include <string.h>

typedef struct {
    const unsigned char *p, *end;
} cur_t;

/* What the paths said; each is reset when its key appears again (last wins). */
typedef struct {
    bool choice_text;     /* choices[0].text non-empty */
    bool delta_content;   /* choices[0].delta.content non-empty */
    bool message_content; /* choices[0].message.content non-empty (a whole answer) */
    bool generated_text;  /* generated_text non-empty (TGI, a whole answer) */
    bool token_text;      /* token.text non-empty */
    bool choice_finish;   /* some choices[i].finish_reason is a string */
    bool this_finish;     /* the choice being read: its finish_reason is a string */
    bool generated_end;   /* generated_text is a string (TGI's last event, or a whole answer) */
    bool details_finish;  /* details.finish_reason is a string */
    bool error_member;    /* "error": not null */
    bool object_error;    /* "object": "error" */
    int64_t usage;        /* usage.completion_tokens */
    int64_t details;      /* details.generated_tokens */
} found_t;

/* ---- tokens: each returns false on malformed input ---- */

static void ws(cur_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* The next non-whitespace byte, or -1 at the end. */
static int peek(cur_t *c)
{
    ws(c);
    return c->p < c->end ? *c->p : -1;
}

static bool eat(cur_t *c, int ch)
{
    if (peek(c) != ch)
        return false;
    c->p++;
    return true;
}

static int hex(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Bytes that end a run of plain string characters: the closing quote, an
 * escape, or a control character (invalid in JSON text). One table lookup per
 * byte keeps the loop over a chunk's strings, most of its bytes, tight. */
static const unsigned char string_stop[256] = {
    [0x00 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
};

/* c->p at '"'. The raw text between the quotes in s[0..n); *esc: it holds an
 * escape (so it must be decoded before it is compared). */
static bool string(cur_t *c, const unsigned char **s, size_t *n, bool *esc)
{
    const unsigned char *p = c->p + 1, *end = c->end;
    *s = p;
    *esc = false;
    for (;;) {
        while (p < end && !string_stop[*p])
            p++;
        if (p == end)
            return false;
        unsigned char ch = *p;
        if (ch == '"') {
            *n = (size_t)(p - *s);
            c->p = p + 1;
            return true;
        }
        if (ch < 0x20)
            return false;
        *esc = true;
        if (end - p < 2)
            return false;
        ch = p[1];
        if (ch == 'u') {
            if (end - p < 6)
                return false;
            for (int i = 2; i < 6; i++)
                if (hex(p[i]) < 0)
                    return false;
            p += 6;
        } else if (ch && strchr("\"\\/bfnrt", ch)) {
            p += 2;
        } else {
            return false;
        }
    }
}

/* A string's raw text as string() found it. */
typedef struct {
    const unsigned char *s;
    size_t n;
    bool esc;
} text_t;

/* A validated string's raw text with escapes decodes to the ASCII literal lit. */
static bool decoded_is(const unsigned char *s, size_t n, const char *lit)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const unsigned char *end = s + n;
    for (; s < end; lit++) {
        if (*lit == '\0')
            return false;
        unsigned cp = *s;
        if (cp != '\\') {
            s++;
        } else if (s[1] == 'u') {
            cp = (unsigned)(hex(s[2]) << 12 | hex(s[3]) << 8 | hex(s[4]) << 4 | hex(s[5]));
            s += 6;
        } else {
            cp = (unsigned char)to[strchr(from, s[1]) - from];
            s += 2;
        }
        if (cp != (unsigned char)*lit)
            return false;
    }
    return *lit == '\0';
}

/* t decodes to lit (lit_len bytes): without escapes, a plain comparison. */
static bool text_is(const text_t *t, const char *lit, size_t lit_len)
{
    if (!t->esc)
        return t->n == lit_len && memcmp(t->s, lit, lit_len) == 0;
    return decoded_is(t->s, t->n, lit);
}

#define TEXT_IS(t, lit) text_is(t, lit, sizeof(lit) - 1)

#define IS_DIGIT(ch) ((ch) >= '0' && (ch) <= '9')

/* RFC 8259 number syntax. *u: its value when it is an integer >= 0 that
 * fits int64 ("-0" is 0), else -1. */
static bool number(cur_t *c, int64_t *u)
{
    const unsigned char *p = c->p, *end = c->end;
    bool neg = p < end && *p == '-', integer = true;
    p += neg;
    if (p == end || !IS_DIGIT(*p))
        return false;
    const unsigned char *digits = p;
    if (*p == '0')
        p++;
    else
        while (p < end && IS_DIGIT(*p))
            p++;
    const unsigned char *digits_end = p;
    if (p < end && *p == '.') {
        integer = false;
        if (++p == end || !IS_DIGIT(*p))
            return false;
        while (p < end && IS_DIGIT(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !IS_DIGIT(*p))
            return false;
        while (p < end && IS_DIGIT(*p))
            p++;
    }
    c->p = p;
    *u = -1;
    if (!integer)
        return true;
    uint64_t v = 0;
    for (const unsigned char *d = digits; d < digits_end; d++) {
        if (v > ((uint64_t)INT64_MAX - (uint64_t)(*d - '0')) / 10)
            return true; /* too big: not a count (jansson refuses the document) */
        v = v * 10 + (uint64_t)(*d - '0');
    }
    if (!neg || v == 0)
        *u = (int64_t)v;
    return true;
}

static bool literal(cur_t *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

/* One scalar at c->p (after whitespace). */
static bool scalar(cur_t *c)
{
    text_t t;
    int64_t u;
    switch (peek(c)) {
    case '"':
        return string(c, &t.s, &t.n, &t.esc);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    default:
        return number(c, &u);
    }
}

/* A key and its colon. */
static bool key(cur_t *c, text_t *k)
{
    return peek(c) == '"' && string(c, &k->s, &k->n, &k->esc) && eat(c, ':');
}

/* Skips the value at c->p, which sits at `depth` (the root is 1). */
static bool skip_value(cur_t *c, unsigned depth)
{
    unsigned char is_object[LLMEVENT_MAX_DEPTH / 8];
    unsigned open = 0; /* containers open inside this value */
    text_t k;
    for (;;) {
        /* A value starts here, at depth + open. */
        if (depth + open > LLMEVENT_MAX_DEPTH)
            return false;
        int ch = peek(c);
        if (ch == '{' || ch == '[') {
            c->p++;
            bool obj = ch == '{';
            if (obj)
                is_object[open / 8] |= (unsigned char)(1u << open % 8);
            else
                is_object[open / 8] &= (unsigned char)~(1u << open % 8);
            open++;
            if (eat(c, obj ? '}' : ']')) {
                open--;
            } else {
                if (obj && !key(c, &k))
                    return false;
                continue;
            }
        } else if (!scalar(c)) {
            return false;
        }
        /* After a value: close containers until one goes on with ','. */
        for (;;) {
            if (open == 0)
                return true;
            bool obj = is_object[(open - 1) / 8] >> (open - 1) % 8 & 1;
            if (eat(c, ',')) {
                if (obj && !key(c, &k))
                    return false;
                break;
            }
            if (!eat(c, obj ? '}' : ']'))
                return false;
            open--;
        }
    }
}

/* ---- the paths ---- */

typedef bool (*member_fn)(cur_t *c, const text_t *k, unsigned depth, found_t *f);

/* The object at c->p (at `depth`): fn consumes each member's value. A value
 * that is not an object is skipped, and fn never runs. */
static bool members(cur_t *c, unsigned depth, member_fn fn, found_t *f)
{
    if (peek(c) != '{')
        return skip_value(c, depth);
    c->p++;
    if (eat(c, '}'))
        return true;
    do {
        text_t k;
        if (!key(c, &k) || !fn(c, &k, depth + 1, f))
            return false;
    } while (eat(c, ','));
    return eat(c, '}');
}

/* *nonempty: the value is a string of at least one character; *is_string
 * (NULL: not asked): a string at all. */
static bool string_value(cur_t *c, unsigned depth, bool *nonempty, bool *is_string)
{
    *nonempty = false;
    if (is_string)
        *is_string = false;
    if (peek(c) != '"')
        return skip_value(c, depth);
    text_t t;
    if (!string(c, &t.s, &t.n, &t.esc))
        return false;
    *nonempty = t.n > 0; /* every escape decodes to one character or more */
    if (is_string)
        *is_string = true;
    return true;
}

static bool text_value(cur_t *c, unsigned depth, bool *nonempty)
{
    return string_value(c, depth, nonempty, NULL);
}

/* *is_string: the value is a string, empty or not. */
static bool reason_value(cur_t *c, unsigned depth, bool *is_string)
{
    bool nonempty;
    return string_value(c, depth, &nonempty, is_string);
}

static bool count_value(cur_t *c, unsigned depth, int64_t *count)
{
    *count = -1;
    int ch = peek(c);
    if (ch != '-' && !IS_DIGIT(ch))
        return skip_value(c, depth);
    return number(c, count);
}

static bool in_delta(cur_t *c, const text_t *k, unsigned depth, found_t *f)
{
    if (TEXT_IS(k, "content"))
        return text_value(c, depth, &f->delta_content);
    return skip_value(c, depth);
}

static bool in_message(cur_t *c, const text_t *k, unsigned depth, found_t *f)
{
    if (TEXT_IS(k, "content"))
        return text_value(c, depth, &f->message_content);
    return skip_value(c, depth);
}

static bool in_choice(cur_t *c, const text_t *k, unsigned depth, found_t *f)
{
    if (TEXT_IS(k, "text"))
        return text_value(c, depth, &f->choice_text);
    if (TEXT_IS(k, "delta")) {
        f->delta_content = false;
        return members(c, depth, in_delta, f);
    }
    if (TEXT_IS(k, "message")) {
        f->message_content = false;
        return members(c, depth, in_message, f);
    }
    if (TEXT_IS(k, "finish_reason"))
        return reason_value(c, depth, &f->this_finish);
    return skip_value(c, depth);
}

/* A choice after the first: only its finish_reason matters. */
static bool in_later_choice(cur_t *c, const text_t *k, unsigned depth, found_t *f)
{
    if (TEXT_IS(k, "finish_reason"))
        return reason_value(c, depth, &f->this_finish);
    return skip_value(c, depth);
}

/* One element of "choices", read by fn: a finish_reason in any of them ends
 * the answer (vLLM sends each of n choices' finish in a chunk of its own). */
static bool choice(cur_t *c, unsigned depth, member_fn fn, found_t *f)
{
    f->this_finish = false;
    if (!members(c, depth, fn, f))
        return false;
    f->choice_finish |= f->this_finish;
    return true;
}

/* "choices": the tokens only from the first element. */
static bool choices(cur_t *c, unsigned depth, found_t *f)
{
    if (peek(c) != '[')
        return skip_value(c, depth);
    c->p++;
    if (eat(c, ']'))
        return true;
    if (!choice(c, depth + 1, in_choice, f))
        return false;
    while (eat(c, ','))
        if (!choice(c, depth + 1, in_later_choice, f))
            return false;
    return eat(c, ']');
}

static bool in_token(cur_t *c, const text_t *k, unsigned depth, found_t *f)
{
    if (TEXT_IS(k, "text"))
        return text_value(c, depth, &f->token_text);
    return skip_value(c, depth);
}

static bool in_usage(cur_t *c, const text_t *k, unsigned depth, found_t *f)
{
    if (TEXT_IS(k, "completion_tokens"))
        return count_value(c, depth, &f->usage);
    return skip_value(c, depth);
}

static bool in_details(cur_t *c, const text_t *k, unsigned depth, found_t *f)
{
    if (TEXT_IS(k, "generated_tokens"))
        return count_value(c, depth, &f->details);
    if (TEXT_IS(k, "finish_reason"))
        return reason_value(c, depth, &f->details_finish);
    return skip_value(c, depth);
}

static bool in_root(cur_t *c, const text_t *k, unsigned depth, found_t *f)
{
    if (TEXT_IS(k, "choices")) {
        f->choice_text = f->delta_content = f->message_content = f->choice_finish = false;
        return choices(c, depth, f);
    }
    if (TEXT_IS(k, "generated_text"))
        return string_value(c, depth, &f->generated_text, &f->generated_end);
    if (TEXT_IS(k, "token")) {
        f->token_text = false;
        return members(c, depth, in_token, f);
    }
    if (TEXT_IS(k, "usage")) {
        f->usage = -1;
        return members(c, depth, in_usage, f);
    }
    if (TEXT_IS(k, "details")) {
        f->details = -1;
        f->details_finish = false;
        return members(c, depth, in_details, f);
    }
    if (TEXT_IS(k, "error")) {
        f->error_member = peek(c) != 'n'; /* null, or anything else */
        return skip_value(c, depth);
    }
    if (TEXT_IS(k, "object")) {
        text_t t;
        f->object_error = false;
        if (peek(c) != '"')
            return skip_value(c, depth);
        if (!string(c, &t.s, &t.n, &t.esc))
            return false;
        f->object_error = TEXT_IS(&t, "error");
        return true;
    }
    return skip_value(c, depth);
}

/* The data trimmed of JSON whitespace is exactly [DONE]. */
static bool is_done(const char *data, size_t len)
{
    cur_t c = {(const unsigned char *)data, (const unsigned char *)data + len};
    ws(&c);
    if ((size_t)(c.end - c.p) < 6 || memcmp(c.p, "[DONE]", 6) != 0)
        return false;
    c.p += 6;
    ws(&c);
    return c.p == c.end;
}

void llmevent_classify(const char *name, size_t name_len, const char *data, size_t data_len,
                       llmevent_t *out)
{
    out->completion_tokens = -1;
    out->finish = false;
    if (name && name_len == 5 && memcmp(name, "error", 5) == 0) {
        out->kind = LLMEVENT_ERROR;
        return;
    }
    if (is_done(data, data_len)) {
        out->kind = LLMEVENT_DONE;
        return;
    }
    found_t f = {.usage = -1, .details = -1};
    cur_t c = {(const unsigned char *)data, (const unsigned char *)data + data_len};
    bool ok = peek(&c) == '{' ? members(&c, 1, in_root, &f) : skip_value(&c, 1);
    if (!ok || peek(&c) != -1) {
        out->kind = LLMEVENT_INVALID;
        return;
    }
    out->completion_tokens = f.usage >= 0 ? f.usage : f.details;
    out->finish = f.choice_finish || f.generated_end || f.details_finish;
    if (f.error_member || f.object_error)
        out->kind = LLMEVENT_ERROR;
    else if (f.choice_text || f.delta_content || f.token_text || f.message_content ||
             f.generated_text)
        out->kind = LLMEVENT_TOKEN;
    else
        out->kind = LLMEVENT_OTHER;
}

const char *llmevent_kind_name(llmevent_kind_t kind)
{
    switch (kind) {
    case LLMEVENT_OTHER:
        return "other";
    case LLMEVENT_TOKEN:
        return "token";
    case LLMEVENT_DONE:
        return "done";
    case LLMEVENT_ERROR:
        return "error";
    case LLMEVENT_INVALID:
        return "invalid";
    }
    return "invalid";
}
