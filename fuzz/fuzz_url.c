/* libFuzzer target: url_parse on a NUL-terminated copy of the input. An
 * accepted URL must satisfy what callers rely on; a rejected one must say why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/url.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    url_t u;
    char err[128] = "";
    if (url_parse(text, &u, err, sizeof(err)) == 0) {
        CHECK(memchr(u.host, '\0', sizeof(u.host)) && u.host[0]);
        CHECK(memchr(u.path, '\0', sizeof(u.path)) && u.path[0] == '/');
        CHECK(memchr(u.authority, '\0', sizeof(u.authority)) && u.authority[0]);
        CHECK(memchr(u.port, '\0', sizeof(u.port)));
        long port = strtol(u.port, NULL, 10);
        CHECK(port >= 1 && port <= 65535);
        for (const char *p = u.path; *p; p++)
            CHECK((unsigned char)*p > ' ' && *p != 0x7f && *p != '#');
        CHECK(strstr(u.authority, u.host) != NULL);
    } else {
        CHECK(err[0] != '\0');
    }
    free(text);
    return 0;
}
