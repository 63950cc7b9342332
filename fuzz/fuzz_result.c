/* libFuzzer target: the result-JSON reader behind `diff`, `ab`, `report` and
 * (later) `merge` -- files users hand us -- and its promise: whatever it
 * accepts, it writes back, reads again and writes the same bytes
 * (to_json -> from_json -> to_json is the identity). The first byte splits
 * the input into two documents; each is round-tripped, and two that read are
 * merged (which succeeds or says why) and compared (the comparison survives
 * its own JSON and its table survives any numbers). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/cmptext.h"
#include "stats/compare.h"
#include "stats/result.h"
#include "fuzz.h"

static char *dump(const result_t *r)
{
    json_t *j = result_to_json(r);
    CHECK(j != NULL);
    char *text = result_dumps(j);
    CHECK(text != NULL);
    json_decref(j);
    return text;
}

/* Writes r, reads it back, writes again: the same bytes. */
static void round_trip(const result_t *r)
{
    char *a = dump(r), err[1024] = "";
    json_error_t je;
    json_t *j = json_loads(a, 0, &je);
    CHECK(j != NULL);
    result_t back;
    CHECK(result_from_json(j, &back, err, sizeof err) == 0);
    char *b = dump(&back);
    CHECK(strcmp(a, b) == 0);
    free(a);
    free(b);
    json_decref(j);
    result_close(&back);
}

static bool read_doc(const uint8_t *data, size_t size, result_t *r)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, 0, &je);
    if (!j)
        return false;
    char err[1024] = "";
    int rc = result_from_json(j, r, err, sizeof err);
    CHECK(rc == 0 || err[0] != '\0');
    if (!rc)
        round_trip(r);
    /* a comparison reader on the same document: refuses with a reason or reads */
    compare_t c;
    char cerr[1024] = "";
    if (compare_from_json(j, &c, cerr, sizeof cerr) == 0) {
        json_t *again = compare_to_json(&c);
        CHECK(again != NULL);
        json_decref(again);
        compare_close(&c);
    } else {
        CHECK(cerr[0] != '\0');
    }
    json_decref(j);
    return rc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = 1 + (size_t)data[0] * (size - 1) / 255;
    result_t a, b;
    bool have_a = read_doc(data + 1, split - 1, &a);
    bool have_b = read_doc(data + split, size - split, &b);
    if (have_a && have_b) {
        compare_t c;
        CHECK(compare_build(&a, "a.json", &b, "b.json", NULL, 0, &c) == 0);
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull) {
            cmptext_warn_inputs(devnull, &c);
            cmptext_print(devnull, &c);
            fclose(devnull);
        }
        json_t *cj = compare_to_json(&c);
        CHECK(cj != NULL);
        json_decref(cj);
        compare_close(&c);
        char err[256] = "";
        if (result_merge(&a, &b, err, sizeof err) == 0)
            round_trip(&a);
        else
            CHECK(err[0] != '\0');
    }
    if (have_a)
        result_close(&a);
    if (have_b)
        result_close(&b);
    return 0;
}
