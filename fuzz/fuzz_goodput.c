/* libFuzzer target: --goodput specs. An accepted spec must round-trip through
 * its canonical form, and judge a request at each bound as its op says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "stats/goodput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    goodput_t g;
    char err[512] = "";
    if (goodput_parse(text, &g, err, sizeof err) == 0) {
        char canon[256], again_text[256];
        int n = goodput_format(&g, canon, sizeof canon);
        CHECK(n > 0 && (size_t)n < sizeof canon);
        goodput_t again;
        CHECK(goodput_parse(canon, &again, err, sizeof err) == 0);
        CHECK(memcmp(&again, &g, sizeof g) == 0);
        CHECK(goodput_format(&again, again_text, sizeof again_text) == n);
        CHECK(strcmp(canon, again_text) == 0);
        for (int m = 0; m < GOODPUT_METRICS; m++) {
            if (!g.set[m])
                continue;
            tokens_result_t r;
            memset(&r, 0, sizeof r);
            r.has_first = r.has_tpot = true;
            uint64_t *v = m == GOODPUT_TTFT   ? &r.ttft_ns
                          : m == GOODPUT_TPOT ? &r.tpot_ns
                                              : &r.e2el_ns;
            *v = g.limit_ns[m];
            goodput_t one;
            memset(&one, 0, sizeof one);
            one.set[m] = true;
            one.strict[m] = g.strict[m];
            one.limit_ns[m] = g.limit_ns[m];
            CHECK(goodput_good(&one, true, &r) == !g.strict[m]);
            CHECK(!goodput_good(&one, false, &r));
        }
    } else {
        CHECK(strncmp(err, "goodput \"", 9) == 0);
    }
    free(text);
    return 0;
}
