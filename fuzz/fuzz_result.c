/* libFuzzer target: the result-JSON reader behind `diff`, `ab` and `report`
 * (files users hand us). The first byte splits the input into two documents
 * compared as baseline and optimized; each histogram is also decoded alone. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/compare.h"
#include "stats/hist.h"
#include "fuzz.h"

static void try_hists(const json_t *doc)
{
    const json_t *hs = json_object_get(doc, "histogram");
    const char *key;
    json_t *h;
    json_object_foreach((json_t *)hs, key, h)
    {
        hist_t *out = NULL;
        char err[256] = "";
        if (hist_from_json(h, &out, err, sizeof err) == 0) {
            CHECK(hist_percentile(out, 50) <= hist_percentile(out, 99) || hist_count(out) == 0);
            json_t *again = hist_to_json(out);
            CHECK(again != NULL);
            json_decref(again);
            hist_free(out);
        } else {
            CHECK(err[0] != '\0');
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = 1 + (size_t)data[0] * (size - 1) / 255;
    json_error_t je;
    json_t *a = json_loadb((const char *)data + 1, split - 1, 0, &je);
    json_t *b = json_loadb((const char *)data + split, size - split, 0, &je);
    if (a)
        try_hists(a);
    if (b)
        try_hists(b);
    if (a && b) {
        sla_t s;
        char err[512] = "";
        sla_parse("p95<=800ms", &s, err, sizeof err);
        json_t *cmp = NULL;
        if (compare_build(a, "a.json", b, "b.json", &s, 1, &cmp, err, sizeof err) == 0) {
            CHECK(json_is_object(cmp));
            /* The table a person reads must survive any numbers a file holds. */
            FILE *devnull = fopen("/dev/null", "w");
            if (devnull) {
                compare_print_table(devnull, cmp);
                fclose(devnull);
            }
            json_decref(cmp);
        } else {
            CHECK(err[0] != '\0');
        }
    }
    json_decref(a);
    json_decref(b);
    return 0;
}
