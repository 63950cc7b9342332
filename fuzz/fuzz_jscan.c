/* libFuzzer target: stub/jscan, differential against jansson. The input is
 * a request body. jscan must accept exactly what json_loadb accepts (but for
 * a jansson quirk with NUL bytes), report
 * INCOMPLETE only for input jansson rejects too, and hash the same value the
 * same with whitespace added between its tokens; an accepted root array must
 * step through its elements to the end. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stub/jscan.h"
#include "fuzz.h"

/* A copy of the valid JSON in[0..n) with " \n" after every '{', '[', ','
 * and ':' outside strings. */
static char *spaced(const char *in, size_t n, size_t *out_len)
{
    char *o = malloc(3 * n + 1);
    size_t k = 0;
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        o[k++] = c;
        if (in_string) {
            if (c == '\\')
                o[k++] = in[++i];
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[' || c == ',' || c == ':') {
            o[k++] = ' ';
            o[k++] = '\n';
        }
    }
    *out_len = k;
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    static const char *const keys[] = {"model", "inputs"};
    jscan_span_t spans[2];
    jscan_error_t err = {0};
    ssize_t r = jscan_document(buf, size, keys, spans, 2, &err);
    CHECK(r == (ssize_t)size || r == JSCAN_INVALID || r == JSCAN_INCOMPLETE);
    if (r < 0)
        CHECK(err.what != NULL && err.offset <= size);

    json_error_t jerr;
    json_t *j = json_loadb(buf, size, JSON_DECODE_ANY, &jerr);
    if (memchr(buf, 0, size))
        CHECK(r < 0); /* jansson skips a NUL right after a number ("[1\0]"): we do not */
    else
        CHECK((j != NULL) == (r >= 0));
    json_decref(j);
    if (r < 0)
        return 0;

    for (int i = 0; i < 2; i++)
        CHECK(spans[i].off + spans[i].len <= size);
    uint64_t h1, h2;
    ssize_t n = jscan_value(buf, size, &h1, NULL);
    CHECK(n > 0 && (size_t)n <= size);
    size_t len2;
    char *copy = spaced(buf, (size_t)n, &len2);
    CHECK(jscan_value(copy, len2, &h2, NULL) == (ssize_t)len2);
    CHECK(h1 == h2);
    free(copy);

    size_t at = jscan_skip_ws(buf, size), pos = 0;
    if (buf[at] == '[') {
        int step;
        while ((step = jscan_next_element(buf + at, size - at, &pos, &h1)) == 1)
            CHECK(pos <= size - at);
        CHECK(step == 0);
    }
    return 0;
}
