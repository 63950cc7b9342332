/* libFuzzer target: the sweep-document reader behind `report sweep.json` --
 * a file users hand us -- and its promise: whatever it accepts (every step's
 * result included) it writes back, reads again and writes the same bytes;
 * the report of what it read renders whatever the numbers. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/sweepview.h"
#include "stats/sweep.h"
#include "fuzz.h"

static char *dump(const sweep_t *s, size_t n)
{
    json_t *j = sweep_doc_to_json(s, n, NULL);
    CHECK(j != NULL);
    char *text = result_dumps(j);
    CHECK(text != NULL);
    json_decref(j);
    return text;
}

static void close_all(sweep_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sweep_close(&s[i]);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, 0, &je);
    if (!j)
        return 0;
    sweep_t *s;
    size_t n;
    char err[1024] = "";
    int rc = sweep_doc_from_json(j, &s, &n, err, sizeof err);
    json_decref(j);
    if (rc) {
        CHECK(err[0] != '\0');
        return 0;
    }
    char *a = dump(s, n);
    j = json_loads(a, 0, &je);
    CHECK(j != NULL);
    sweep_t *back;
    size_t nb;
    CHECK(sweep_doc_from_json(j, &back, &nb, err, sizeof err) == 0);
    json_decref(j);
    char *b = dump(back, nb);
    CHECK(strcmp(a, b) == 0);
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull) {
        const sweep_t *view[8];
        size_t nv = n < 8 ? n : 8;
        for (size_t i = 0; i < nv; i++)
            view[i] = &s[i];
        CHECK(sweepview_render(devnull, view, nv, NULL, err, sizeof err) == 0);
        fclose(devnull);
    }
    free(a);
    free(b);
    close_all(s, n);
    close_all(back, nb);
    return 0;
}
