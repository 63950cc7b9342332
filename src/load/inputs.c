/* inputs — items kept as compact JSON text in one contiguous buffer. */
#include "load/inputs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

/* "input-" + up to 20 digits, quoted. */
#define GENERATED_MAX_LEN (2 + 6 + 20)

struct inputs {
    bool generated;
    size_t count;   /* items in the file */
    size_t max_len; /* longest item text */
    char *text;     /* all items back to back, no separators */
    size_t *offset; /* count + 1 offsets into text */
};

static bool line_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

int inputs_load_file(const char *path, inputs_t **out, char *err, size_t errlen)
{
    int rc = 0;
    char *line = NULL;
    size_t linecap = 0;
    size_t text_cap = 0, off_cap = 0;
    unsigned long lineno = 0;
    inputs_t *in = calloc(1, sizeof(*in));
    FILE *f = fopen(path, "r");

    if (!in) {
        rc = ENOMEM;
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    if (!f) {
        rc = errno;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(rc));
        goto fail;
    }
    for (;;) {
        errno = 0;
        ssize_t n = getline(&line, &linecap, f);
        if (n < 0) {
            if (errno) {
                rc = errno;
                snprintf(err, errlen, "cannot read %s: %s", path, strerror(rc));
                goto fail;
            }
            break;
        }
        lineno++;
        if (line_blank(line, (size_t)n))
            continue;
        json_error_t jerr;
        json_t *j = json_loadb(line, (size_t)n, JSON_DECODE_ANY, &jerr);
        if (!j) {
            rc = EINVAL;
            snprintf(err, errlen, "%s:%lu: not a JSON value: %s", path, lineno, jerr.text);
            goto fail;
        }
        char *compact = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(j);
        if (!compact) {
            rc = ENOMEM;
            snprintf(err, errlen, "%s:%lu: out of memory", path, lineno);
            goto fail;
        }
        size_t len = strlen(compact);
        size_t used = in->count ? in->offset[in->count] : 0;
        if (used + len > text_cap || in->count + 2 > off_cap) {
            size_t ncap = text_cap ? text_cap : 4096;
            while (ncap < used + len)
                ncap *= 2;
            size_t nocap = off_cap ? off_cap * 2 : 256;
            char *nt = realloc(in->text, ncap);
            if (nt)
                in->text = nt;
            size_t *no = realloc(in->offset, nocap * sizeof(*no));
            if (no)
                in->offset = no;
            if (!nt || !no) {
                free(compact);
                rc = ENOMEM;
                snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            text_cap = ncap;
            off_cap = nocap;
        }
        if (in->count == 0)
            in->offset[0] = 0;
        memcpy(in->text + used, compact, len);
        free(compact);
        in->offset[in->count + 1] = used + len;
        in->count++;
        if (len > in->max_len)
            in->max_len = len;
    }
    if (in->count == 0) {
        rc = EINVAL;
        snprintf(err, errlen, "%s: no inputs (the file is empty)", path);
        goto fail;
    }
    free(line);
    fclose(f);
    *out = in;
    return 0;
fail:
    free(line);
    if (f)
        fclose(f);
    inputs_free(in);
    return rc;
}

int inputs_generated(inputs_t **out)
{
    inputs_t *in = calloc(1, sizeof(*in));
    if (!in)
        return ENOMEM;
    in->generated = true;
    in->max_len = GENERATED_MAX_LEN;
    *out = in;
    return 0;
}

void inputs_free(inputs_t *in)
{
    if (!in)
        return;
    free(in->text);
    free(in->offset);
    free(in);
}

size_t inputs_count(const inputs_t *in)
{
    return in->generated ? 0 : in->count;
}

size_t inputs_max_len(const inputs_t *in)
{
    return in->max_len;
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
    size_t k = (size_t)(index % in->count);
    size_t len = in->offset[k + 1] - in->offset[k];
    memcpy(buf, in->text + in->offset[k], len);
    return len;
}

int inputs_digest(const inputs_t *in, const uint64_t *sent, unsigned nthreads, uint8_t digest[32])
{
    int rc = ENOMEM;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    char *buf = malloc(inputs_max_len(in) + 1);
    if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    uint64_t total = 0;
    for (unsigned t = 0; t < nthreads; t++)
        if (sent[t] && (sent[t] - 1) * nthreads + t + 1 > total)
            total = (sent[t] - 1) * nthreads + t + 1;
    for (uint64_t i = 0; i < total; i++) {
        if (i / nthreads >= sent[i % nthreads])
            continue;
        size_t len = inputs_item(in, i, buf);
        buf[len++] = '\n';
        EVP_DigestUpdate(ctx, buf, len);
    }
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(ctx, digest, &mdlen) == 1 && mdlen == 32)
        rc = 0;
out:
    free(buf);
    EVP_MD_CTX_free(ctx);
    return rc;
}

int inputs_digest_body(const char *body, size_t len, uint64_t sent, uint8_t digest[32])
{
    char tail[32];
    int n = snprintf(tail, sizeof tail, "\n%" PRIu64 "\n", sent);
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, "body\n", 5) == 1 && EVP_DigestUpdate(ctx, body, len) == 1 &&
             EVP_DigestUpdate(ctx, tail, (size_t)n) == 1 &&
             EVP_DigestFinal_ex(ctx, digest, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : ENOMEM;
}
