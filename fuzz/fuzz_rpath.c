/* libFuzzer target: the response-path reader. The input is PATH, a newline,
 * then the answer. Checked: a path that does not compile says why; a scan
 * with and without spans agrees; spans lie inside the answer; every result
 * can be explained. Differentials: an answer jansson reads (nested at most
 * 60 deep, no NUL byte: a jansson quirk) is never "not JSON" to rpath, and one rpath reads is read
 * by jansson too unless it holds numbers past jansson's range; when both read it, rpath_outputs
 * gives exactly the outputs counted; /outputs counts what validate_outputs_count counts. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load/rpath.h"
#include "load/validate.h"
#include "fuzz.h"

#define MAX_SPANS 64

/* Deepest bracket nesting outside strings; numbers jansson may refuse
 * (an exponent, or 18 digits and more) make *risky true. */
static int nesting(const char *s, size_t n, bool *risky)
{
    int depth = 0, max = 0, digits = 0;
    bool str = false;
    *risky = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = false;
            continue;
        }
        digits = c >= '0' && c <= '9' ? digits + 1 : 0;
        if (digits >= 18 || c == 'e' || c == 'E')
            *risky = true;
        if (c == '"')
            str = true;
        else if ((c == '[' || c == '{') && ++depth > max)
            max = depth;
        else if (c == ']' || c == '}')
            depth--;
    }
    return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size);
    if (!nl)
        return 0;
    char *path = strndup(in, (size_t)(nl - in));
    const char *body = nl + 1;
    size_t len = size - (size_t)(body - in);
    rpath_t *p = NULL;
    char err[256] = "";
    if (rpath_compile(path, &p, err, sizeof err) != 0) {
        CHECK(err[0] != '\0');
        free(path);
        return 0;
    }
    rpath_span_t spans[MAX_SPANS];
    rpath_result_t a, b;
    rpath_status_t st = rpath_scan(p, body, len, spans, MAX_SPANS, &a);
    CHECK(rpath_scan(p, body, len, NULL, 0, &b) == st);
    CHECK(a.count == b.count && a.elements == b.elements && a.stride == b.stride);
    char why[512];
    CHECK(rpath_explain(p, &a, why, sizeof why) > 0);
    if (st == RPATH_OK && (a.stride == 1 || a.elements <= MAX_SPANS))
        for (size_t i = 0; i < a.count && i < MAX_SPANS; i++)
            CHECK(spans[i].off < len && spans[i].len > 0 && spans[i].off + spans[i].len <= len);
    if (st == RPATH_NOT_JSON)
        CHECK(a.at <= len);

    bool risky;
    int depth = nesting(body, len, &risky);
    json_t *doc = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    /* jansson reads a NUL byte as the end of some tokens: not compared. */
    bool nul = memchr(body, '\0', len) != NULL;
    if (doc && depth <= 60 && !nul)
        CHECK(st != RPATH_NOT_JSON);
    if (st != RPATH_NOT_JSON && !risky)
        CHECK(doc != NULL);
    if (st == RPATH_OK && doc) {
        rpath_result_t c;
        json_t *outs = rpath_outputs(p, body, len, a.count, &c);
        CHECK(outs != NULL && json_array_size(outs) == a.count);
        json_decref(outs);
        CHECK(rpath_check(p, body, len, a.count + 1, &c) == RPATH_COUNT);
    }
    json_decref(doc);
    if (st == RPATH_OK && strcmp(path, "/outputs") == 0 && depth <= 60)
        CHECK(validate_outputs_count(body, len) == (long)a.count);
    rpath_free(p);
    free(path);
    return 0;
}
