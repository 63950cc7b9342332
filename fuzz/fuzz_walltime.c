/* libFuzzer target: --start-at's instants (core/walltime). Whatever parses
 * prints and parses back to the same instant, to the millisecond the printed
 * form keeps, and as epoch seconds to the nanosecond. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/walltime.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    uint64_t ns = 0, back = 0;
    char why[200] = "";
    if (walltime_parse(text, &ns, why, sizeof why) == 0) {
        char buf[64];
        CHECK(ns / 1000000000ull <= 9999999999ull); /* no overflow */
        if (ns / 1000000000ull < 253402300800ull) { /* before the year 10000: 4-digit years */
            walltime_format(ns, buf, sizeof buf);
            CHECK(walltime_parse(buf, &back, why, sizeof why) == 0);
            CHECK(back == ns - ns % 1000000ull);
        }
        snprintf(buf, sizeof buf, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
                 (unsigned long long)(ns % 1000000000ull));
        CHECK(walltime_parse(buf, &back, why, sizeof why) == 0 && back == ns);
    } else {
        CHECK(why[0] != '\0');
    }
    free(text);
    return 0;
}
