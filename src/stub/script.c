/* script — scripted stream files (see script.h). */
#include "stub/script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"

#define SCRIPT_MAX_BYTES (1u << 20)

static const struct {
    const char *name;
    script_op_t op;
} ops[] = {
    {"wait", SCRIPT_WAIT},   {"role", SCRIPT_ROLE},       {"token", SCRIPT_TOKEN},
    {"empty", SCRIPT_EMPTY}, {"finish", SCRIPT_FINISH},   {"usage", SCRIPT_USAGE},
    {"done", SCRIPT_DONE},   {"comment", SCRIPT_COMMENT}, {"error", SCRIPT_ERROR},
    {"raw", SCRIPT_RAW},     {"eol", SCRIPT_EOL},         {"split", SCRIPT_SPLIT},
    {"drop", SCRIPT_DROP},   {"reset", SCRIPT_RESET},     {"stall", SCRIPT_STALL},
};

typedef struct {
    const char *p, *end; /* the rest of the line */
    char *store;         /* where unescaped text goes */
    char *err;
    size_t errlen;
    unsigned line;
} lexer_t;

static int fail(lexer_t *lx, const char *what)
{
    snprintf(lx->err, lx->errlen, "line %u: %s", lx->line, what);
    return EINVAL;
}

static void skip_blanks(lexer_t *lx)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
        lx->p++;
}

/* The next blank-separated word, NUL-terminated in w. Returns its length
 * (0 at the end of the line; longer words are cut to fit). */
static size_t word(lexer_t *lx, char *w, size_t cap)
{
    skip_blanks(lx);
    size_t n = 0;
    while (lx->p < lx->end && *lx->p != ' ' && *lx->p != '\t') {
        if (n + 1 < cap)
            w[n++] = *lx->p;
        lx->p++;
    }
    w[n] = '\0';
    return n;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A "quoted" text with C escapes (\n \r \t \\ \" \0 \xHH) into the store.
 * Returns 0, or EINVAL. */
static int quoted(lexer_t *lx, script_step_t *st)
{
    skip_blanks(lx);
    if (lx->p == lx->end || *lx->p != '"')
        return fail(lx, "expected a \"quoted\" text");
    lx->p++;
    st->text = lx->store;
    char *o = lx->store;
    for (;;) {
        if (lx->p == lx->end)
            return fail(lx, "unterminated \"quoted\" text");
        char c = *lx->p++;
        if (c == '"')
            break;
        if (c == '\\') {
            if (lx->p == lx->end)
                return fail(lx, "unterminated escape");
            c = *lx->p++;
            switch (c) {
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case '0':
                c = '\0';
                break;
            case '\\':
            case '"':
                break;
            case 'x': {
                int a = lx->p + 1 < lx->end ? hexval(lx->p[0]) : -1;
                int b = a >= 0 ? hexval(lx->p[1]) : -1;
                if (b < 0)
                    return fail(lx, "\\x needs two hex digits");
                c = (char)(a * 16 + b);
                lx->p += 2;
                break;
            }
            default:
                return fail(lx, "unknown escape (use \\n \\r \\t \\\\ \\\" \\0 \\xHH)");
            }
        }
        *o++ = c;
    }
    st->len = (size_t)(o - lx->store);
    lx->store = o;
    return 0;
}

/* The rest of the line, trimmed, as text (comment, error). */
static void rest(lexer_t *lx, script_step_t *st)
{
    skip_blanks(lx);
    const char *e = lx->end;
    while (e > lx->p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (e > lx->p && *lx->p == '"' && e[-1] == '"' && e - lx->p >= 2) {
        lexer_t copy = *lx;
        if (quoted(&copy, st) == 0) {
            lx->store = copy.store;
            lx->p = lx->end;
            return;
        }
    }
    st->text = lx->store;
    st->len = (size_t)(e - lx->p);
    memcpy(lx->store, lx->p, st->len);
    lx->store += st->len;
    lx->p = lx->end;
}

static int count(lexer_t *lx, const char *w, uint64_t max, uint32_t *out)
{
    uint64_t v;
    char why[160];
    if (parse_u64(w, 0, max, &v, why, sizeof why)) {
        char msg[220];
        snprintf(msg, sizeof msg, "'%s': %s", w, why);
        return fail(lx, msg);
    }
    *out = (uint32_t)v;
    return 0;
}

static int duration(lexer_t *lx, const char *w, uint64_t *out)
{
    char why[160];
    if (parse_duration_ns(w, CLOCK_NS_PER_MS, out, why, sizeof why)) {
        char msg[220];
        snprintf(msg, sizeof msg, "'%s': %s", w, why);
        return fail(lx, msg);
    }
    return 0;
}

/* One directive (the op word is read). Returns 0 or EINVAL. */
static int directive(lexer_t *lx, script_step_t *st)
{
    char w[64];
    int rc = 0;
    switch (st->op) {
    case SCRIPT_WAIT:
        if (!word(lx, w, sizeof w))
            return fail(lx, "wait needs a duration (e.g. wait 120ms)");
        rc = duration(lx, w, &st->ns);
        break;
    case SCRIPT_TOKEN:
        st->n = 1;
        skip_blanks(lx);
        if (lx->p < lx->end && *lx->p != '"') {
            word(lx, w, sizeof w);
            if ((rc = count(lx, w, 1000000, &st->n)))
                return rc;
        }
        skip_blanks(lx);
        if (lx->p < lx->end)
            rc = quoted(lx, st);
        break;
    case SCRIPT_FINISH:
        if (word(lx, w, sizeof w)) {
            for (const char *c = w; *c; c++)
                if (*c == '"' || *c == '\\')
                    return fail(lx, "a finish reason is a plain word (stop, length ...)");
            st->text = lx->store;
            st->len = strlen(w);
            memcpy(lx->store, w, st->len + 1);
            lx->store += st->len + 1;
        }
        break;
    case SCRIPT_USAGE:
        st->n = SCRIPT_COUNT_SENT;
        if (word(lx, w, sizeof w))
            rc = count(lx, w, 1000000000, &st->n);
        break;
    case SCRIPT_COMMENT:
    case SCRIPT_ERROR:
        rest(lx, st);
        if (st->op == SCRIPT_ERROR && st->len == 0) {
            st->text = "scripted error";
            st->len = strlen(st->text);
        }
        break;
    case SCRIPT_RAW:
        rc = quoted(lx, st);
        break;
    case SCRIPT_EOL:
        word(lx, w, sizeof w);
        if (!strcmp(w, "lf"))
            st->n = 0;
        else if (!strcmp(w, "crlf"))
            st->n = 1;
        else if (!strcmp(w, "cr"))
            st->n = 2;
        else
            return fail(lx, "eol takes lf, crlf or cr");
        break;
    case SCRIPT_SPLIT:
        if (!word(lx, w, sizeof w))
            return fail(lx, "split needs a byte count (e.g. split 5 2ms)");
        if ((rc = count(lx, w, 1u << 20, &st->n)))
            return rc;
        st->ns = CLOCK_NS_PER_MS;
        if (word(lx, w, sizeof w))
            rc = duration(lx, w, &st->ns);
        break;
    default: /* no arguments */
        break;
    }
    if (rc)
        return rc;
    skip_blanks(lx);
    if (lx->p != lx->end)
        return fail(lx, "unexpected text after the directive");
    return 0;
}

int script_parse(const char *text, size_t len, script_t **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    script_t *s = calloc(1, sizeof *s);
    if (!s)
        return ENOMEM;
    s->steps = calloc(lines, sizeof *s->steps);
    s->strings = malloc(len + lines + 1);
    if (!s->steps || !s->strings) {
        script_free(s);
        return ENOMEM;
    }
    lexer_t lx = {.store = s->strings, .err = err, .errlen = errlen};
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lx.line++;
        lx.p = p;
        lx.end = le;
        if (lx.end > lx.p && lx.end[-1] == '\r')
            lx.end--;
        p = nl ? nl + 1 : end;
        /* A '#' comment, unless inside a quoted text (scanned properly). */
        skip_blanks(&lx);
        if (lx.p == lx.end || *lx.p == '#')
            continue;
        bool in_quote = false;
        for (const char *q = lx.p; q < lx.end; q++) {
            if (*q == '\\' && in_quote)
                q++;
            else if (*q == '"')
                in_quote = !in_quote;
            else if (*q == '#' && !in_quote) {
                lx.end = q;
                break;
            }
        }
        char w[32];
        word(&lx, w, sizeof w);
        script_step_t *st = &s->steps[s->nsteps];
        size_t k = 0;
        for (; k < sizeof ops / sizeof ops[0]; k++)
            if (!strcmp(w, ops[k].name))
                break;
        if (k == sizeof ops / sizeof ops[0]) {
            char msg[120];
            snprintf(msg, sizeof msg, "unknown directive '%s'", w);
            int rc = fail(&lx, msg);
            script_free(s);
            return rc;
        }
        st->op = ops[k].op;
        int rc = directive(&lx, st);
        if (rc) {
            script_free(s);
            return rc;
        }
        s->nsteps++;
    }
    /* TGI folds a finish into the token event right before it. */
    for (size_t i = 0; i < s->nsteps; i++) {
        if (s->steps[i].op != SCRIPT_TOKEN)
            continue;
        size_t j = i + 1;
        while (j < s->nsteps && (s->steps[j].op == SCRIPT_EOL || s->steps[j].op == SCRIPT_SPLIT))
            j++;
        s->steps[i].last = j < s->nsteps && s->steps[j].op == SCRIPT_FINISH;
    }
    *out = s;
    return 0;
}

int script_load(const char *spec, script_t **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *file = spec;
    const char *eq = strchr(spec, '=');
    char model[256] = "";
    if (eq && !memchr(spec, '/', (size_t)(eq - spec))) {
        if ((size_t)(eq - spec) >= sizeof model || eq == spec) {
            snprintf(err, errlen, "--script %s: MODEL=FILE needs a model name (under 256 bytes)",
                     spec);
            return EINVAL;
        }
        memcpy(model, spec, (size_t)(eq - spec));
        model[eq - spec] = '\0';
        file = eq + 1;
    }
    FILE *f = fopen(file, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "--script %s: cannot read: %s", file, strerror(e));
        return e;
    }
    char *text = malloc(SCRIPT_MAX_BYTES + 1);
    size_t n = text ? fread(text, 1, SCRIPT_MAX_BYTES + 1, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    if (!text)
        return ENOMEM;
    if (rerr || n > SCRIPT_MAX_BYTES) {
        free(text);
        snprintf(err, errlen, "--script %s: %s", file, rerr ? "read error" : "larger than 1 MiB");
        return rerr ? EIO : EINVAL;
    }
    char why[300];
    int rc = script_parse(text, n, out, why, sizeof why);
    free(text);
    if (rc) {
        if (rc == EINVAL)
            snprintf(err, errlen, "--script %s: %s", file, why);
        return rc;
    }
    if (model[0] && !((*out)->model = strdup(model))) {
        script_free(*out);
        *out = NULL;
        return ENOMEM;
    }
    return 0;
}

void script_free(script_t *s)
{
    if (!s)
        return;
    free(s->model);
    free(s->steps);
    free(s->strings);
    free(s);
}
