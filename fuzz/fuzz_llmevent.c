/* libFuzzer target: llmevent_classify against jansson. Wherever json_loadb
 * accepts the data, the scanner must read the same kind, token count and
 * finish marker from it (jansson is stricter: UTF-8, number ranges, so where it refuses, the
 * scanner may still accept). Byte 0 chooses the SSE event name (bit 0: none
 * or "error"); the data is an exact-size copy so ASan sees any over-read. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "load/llmevent.h"

static bool nonempty_string(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0;
}

static int64_t count(json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

/* Some choices[i].finish_reason, generated_text or details.finish_reason
 * is a string. */
static bool finish(json_t *root)
{
    json_t *choices = json_object_get(root, "choices"), *c;
    size_t i;
    json_array_foreach(choices, i, c)
    {
        if (json_is_string(json_object_get(c, "finish_reason")))
            return true;
    }
    return json_is_string(json_object_get(root, "generated_text")) ||
           json_is_string(json_object_get(json_object_get(root, "details"), "finish_reason"));
}

static bool is_done(const char *s, size_t n)
{
    while (n && strchr(" \t\r\n", s[0]) && s[0])
        s++, n--;
    while (n && strchr(" \t\r\n", s[n - 1]) && s[n - 1])
        n--;
    return n == 6 && memcmp(s, "[DONE]", 6) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool named_error = data[0] & 1;
    size_t len = size - 1;
    char *copy = malloc(len ? len : 1);
    memcpy(copy, data + 1, len);

    llmevent_t got;
    llmevent_classify(named_error ? "error" : NULL, named_error ? 5 : 0, copy, len, &got);
    CHECK(got.kind <= LLMEVENT_INVALID);
    CHECK(got.completion_tokens >= -1);

    if (named_error) {
        CHECK(got.kind == LLMEVENT_ERROR && got.completion_tokens == -1 && !got.finish);
    } else if (is_done(copy, len)) {
        CHECK(got.kind == LLMEVENT_DONE && got.completion_tokens == -1 && !got.finish);
    } else if (memchr(copy, '\0', len)) {
        /* JSON has no raw NUL; json_loadb takes one as the end of input. */
        CHECK(got.kind == LLMEVENT_INVALID && !got.finish);
    } else {
        json_t *root = json_loadb(copy, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (got.kind == LLMEVENT_INVALID)
            CHECK(root == NULL && !got.finish);
        if (root) {
            json_t *c0 = json_array_get(json_object_get(root, "choices"), 0);
            bool token =
                nonempty_string(json_object_get(c0, "text")) ||
                nonempty_string(json_object_get(json_object_get(c0, "delta"), "content")) ||
                nonempty_string(json_object_get(json_object_get(c0, "message"), "content")) ||
                nonempty_string(json_object_get(json_object_get(root, "token"), "text")) ||
                nonempty_string(json_object_get(root, "generated_text"));
            json_t *err = json_object_get(root, "error"), *obj = json_object_get(root, "object");
            bool error = (err && !json_is_null(err)) ||
                         (json_is_string(obj) && strcmp(json_string_value(obj), "error") == 0 &&
                          json_string_length(obj) == 5);
            int64_t usage =
                count(json_object_get(json_object_get(root, "usage"), "completion_tokens"));
            int64_t details =
                count(json_object_get(json_object_get(root, "details"), "generated_tokens"));
            llmevent_kind_t want = error ? LLMEVENT_ERROR : token ? LLMEVENT_TOKEN : LLMEVENT_OTHER;
            CHECK(got.kind == want);
            CHECK(got.completion_tokens == (usage >= 0 ? usage : details));
            CHECK(got.finish == finish(root));
            json_decref(root);
        }
    }
    free(copy);
    return 0;
}
