/* libFuzzer target: the option table parser on run's table. The input is
 * the argument words, separated by NUL bytes. Whatever parses must finish or
 * fail with a message, and its config must serialize. */
#include <stdlib.h>
#include <string.h>

#include "cli/runopts.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char **argv = calloc(size + 2, sizeof *argv);
    memcpy(text, data, size);
    text[size] = '\0';
    int argc = 0;
    for (size_t i = 0; i <= size; i += strlen(text + i) + 1)
        argv[argc++] = text + i;
    runopts_t o;
    runopts_defaults(&o);
    opt_group_t g = runopts_group(&o);
    const char *pos[2];
    size_t npos = 0;
    char err[1024] = "";
    int rc = opt_parse(&g, 1, argc, argv, pos, 2, &npos, err, sizeof err);
    CHECK(rc >= -1 && rc <= 1);
    CHECK(rc != -1 || err[0]);
    CHECK(npos <= 2);
    if (rc == 0) {
        err[0] = '\0';
        if (runopts_finish(&o, err, sizeof err) == 0) {
            CHECK(o.concurrency || o.rate > 0);
            json_t *c = runopts_config_json(&o);
            CHECK(c != NULL);
            char *s = json_dumps(c, JSON_COMPACT);
            CHECK(s != NULL);
            free(s);
            json_decref(c);
        } else {
            CHECK(err[0]);
        }
    }
    free(argv);
    free(text);
    return 0;
}
