/* libFuzzer target: --sla expressions. An accepted expression must round-trip
 * through its canonical name and hold or fail consistently at its threshold. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats/sla.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    sla_t s;
    char err[256] = "";
    if (sla_parse(text, &s, err, sizeof err) == 0) {
        CHECK(sla_metric_name(&s)[0] != '\0');
        CHECK(sla_unit(&s)[0] != '\0');
        CHECK(!isnan(s.threshold) && s.threshold >= 0);
        CHECK(!sla_holds(&s, NAN));
        /* At the threshold itself, the inclusive ops hold and the strict ones do not. */
        bool at = sla_holds(&s, s.threshold);
        CHECK(at == (s.op == SLA_LE || s.op == SLA_GE));
    } else {
        CHECK(err[0] != '\0');
    }
    free(text);
    return 0;
}
