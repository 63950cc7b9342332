/* libFuzzer target: the data-file reader (datafile_read) on the input's
 * bytes after the first, whose value picks the format and the name AUTO
 * judges by (so one corpus reaches JSON Lines, JSON arrays and CSV). An
 * accepted text gives at least one item, each on a line the text has; a
 * refused one names the file and is UTF-8 text, whatever bytes came in. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jtok.h"
#include "load/datafile.h"
#include "fuzz.h"

typedef struct {
    size_t items;
    unsigned long lines, last;
} seen_t;

static int take(void *arg, json_t *item, unsigned long line)
{
    seen_t *s = arg;
    CHECK(item != NULL);
    CHECK(line >= 1 && line <= s->lines && line >= s->last);
    s->last = line;
    s->items++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        datafile_format_t format;
        const char *name;
    } modes[] = {
        {DATAFILE_AUTO, "d.jsonl"}, {DATAFILE_AUTO, "d.json"}, {DATAFILE_AUTO, "d.csv"},
        {DATAFILE_AUTO, "stdin"},   {DATAFILE_JSONL, "stdin"}, {DATAFILE_JSON, "stdin"},
        {DATAFILE_CSV, "stdin"},
    };
    if (size < 1)
        return 0;
    size_t m = data[0] % (sizeof modes / sizeof modes[0]);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    /* An exact-size copy, so ASan catches a read past the end. */
    char *copy = malloc(len ? len : 1);
    if (len)
        memcpy(copy, text, len);
    seen_t s = {0, 1, 0};
    for (size_t i = 0; i < len; i++)
        s.lines += copy[i] == '\n';
    char err[512] = "";
    datafile_format_t read = DATAFILE_AUTO;
    int rc =
        datafile_read(copy, len, modes[m].format, modes[m].name, take, &s, &read, err, sizeof err);
    if (rc == 0) {
        CHECK(s.items > 0 && read != DATAFILE_AUTO);
    } else {
        CHECK(rc == EINVAL);
        size_t n = strlen(err);
        CHECK(strncmp(err, modes[m].name, strlen(modes[m].name)) == 0);
        for (size_t i = 0; i < n;) {
            size_t c = jtok_utf8((const unsigned char *)err + i, n - i);
            CHECK(c > 0 && (c > 1 || (unsigned char)err[i] >= 0x20));
            i += c;
        }
    }
    free(copy);
    return 0;
}
