/* libFuzzer target: the value syntaxes of core/parse. The first byte chooses
 * the function (and the bare unit for durations); the rest, NUL-terminated,
 * is the text. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const uint64_t bare_units[] = {0, 1000000ull, 1000000000ull, 1};
    unsigned mode = data[0] & 3;
    uint64_t bare = bare_units[(data[0] >> 2) & 3];
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char err[96] = "";
    int rc;
    switch (mode) {
    case 0: {
        uint64_t ns = 0;
        rc = parse_duration_ns(text, bare, &ns, err, sizeof(err));
        if (rc == 0 && strcmp(text, "0") == 0)
            CHECK(ns == 0);
        break;
    }
    case 1: {
        uint64_t v = 0;
        rc = parse_size(text, &v, err, sizeof(err));
        break;
    }
    case 2: {
        uint64_t v = 0;
        rc = parse_u64(text, 1, 1000000, &v, err, sizeof(err));
        if (rc == 0)
            CHECK(v >= 1 && v <= 1000000);
        break;
    }
    default: {
        double v = -1;
        rc = parse_double(text, 0, 1e9, &v, err, sizeof(err));
        if (rc == 0)
            CHECK(isfinite(v) && v >= 0 && v <= 1e9);
        break;
    }
    }
    CHECK(rc == 0 || rc == -1);
    if (rc != 0)
        CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
    free(text);
    return 0;
}
