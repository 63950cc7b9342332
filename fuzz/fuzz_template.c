/* libFuzzer target: the template compiler. The first byte chooses the mode
 * (JSON body, URL path, header value); the rest is the template. Checked:
 * an error reads "LINE:COL: ..."; an accepted template binds to a data file
 * of objects or fails naming FILE:LINE; renders stay inside
 * template_max_len and, for bodies, jansson reads them. Differential: a
 * body template with no "{{" is accepted exactly when jansson accepts the
 * text (nesting at most 128 deep, no NUL byte: a jansson quirk). */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "load/inputs.h"
#include "load/template.h"
#include "fuzz.h"

static const char rows[] = "{\"prompt\":\"p\",\"max_tokens\":3,\"a\":{\"b\":[1,{\"c\":\"d\"}]},"
                           "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n"
                           "{\"prompt\":\"\\u00e9\\n\",\"max_tokens\":300000,\"a\":{\"b\":[2,{"
                           "\"c\":null}]},\"messages\":[],\"text\":\"t\"}\n";

/* A fresh data file for each input: binding adds columns to it. */
static inputs_t *data_file(void)
{
    int fd = memfd_create("rows", 0);
    if (fd < 0)
        return NULL;
    inputs_t *in = NULL;
    char path[64], err[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (write(fd, rows, sizeof rows - 1) == (ssize_t)(sizeof rows - 1))
        inputs_load(path, DATAFILE_JSONL, &in, err, sizeof err);
    close(fd);
    return in;
}

/* Deepest bracket nesting outside strings of valid JSON text. */
static int nesting(const char *s, size_t n)
{
    int depth = 0, max = 0;
    bool str = false;
    for (size_t i = 0; i < n; i++) {
        if (str) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                str = false;
        } else if (s[i] == '"') {
            str = true;
        } else if (s[i] == '[' || s[i] == '{') {
            if (++depth > max)
                max = depth;
        } else if (s[i] == ']' || s[i] == '}') {
            depth--;
        }
    }
    return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    template_mode_t mode = data[0] % 3 == 0   ? TEMPLATE_JSON
                           : data[0] % 3 == 1 ? TEMPLATE_PATH
                                              : TEMPLATE_HEADER;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    template_t *t = NULL;
    char err[512] = "";
    int rc = template_compile(text, len, mode, "org/m\"odel é", &t, err, sizeof err);
    /* jansson reads a NUL byte as the end of some tokens: not compared. */
    if (mode == TEMPLATE_JSON && !memmem(text, len, "{{", 2) && !memchr(text, '\0', len)) {
        /* A leading byte order mark is skipped by the template (editors
         * write one), not by jansson: compare what follows it. */
        size_t bom = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
        json_t *j = json_loadb(text + bom, len - bom, JSON_DECODE_ANY, NULL);
        if (j && nesting(text + bom, len - bom) <= 127)
            CHECK(rc == 0);
        if (rc == 0)
            CHECK(j != NULL);
        json_decref(j);
    }
    if (rc) {
        unsigned long line, col;
        CHECK(sscanf(err, "%lu:%lu: ", &line, &col) == 2 && line >= 1 && col >= 1);
        return 0;
    }
    inputs_t *in = data_file();
    if (!in) {
        template_free(t);
        return 0;
    }
    if (template_bind(t, in, 0, err, sizeof err) != 0) {
        CHECK(strncmp(err, "/proc/self/fd/", 14) == 0);
    } else {
        bool one = template_flags(t) & TEMPLATE_READS_ITEM;
        for (unsigned n = 1; n <= (one ? 1u : 3u); n++) {
            template_req_t req = {
                .first = (uint64_t)n * 7, .stride = 2, .n = n, .request_id = UINT64_MAX - n};
            size_t max = template_max_len(t, n);
            char *buf = malloc(max ? max : 1);
            size_t got = template_render(t, &req, buf);
            CHECK(got <= max);
            if (mode == TEMPLATE_JSON) {
                json_t *j = json_loadb(buf, got, JSON_DECODE_ANY, NULL);
                CHECK(j != NULL);
                json_decref(j);
            } else {
                for (size_t i = 0; i < got; i++)
                    CHECK((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f);
            }
            free(buf);
        }
    }
    template_free(t);
    inputs_free(in);
    return 0;
}
