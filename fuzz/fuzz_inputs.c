/* libFuzzer target: the --inputs JSON Lines reader, on a memfd holding the
 * input. An accepted file must give items that are each valid compact JSON. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "load/inputs.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("inputs", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    inputs_t *in = NULL;
    char err[512] = "";
    if (inputs_load_file(path, &in, err, sizeof err) == 0) {
        size_t n = inputs_count(in), max = inputs_max_len(in);
        CHECK(n > 0);
        char *buf = malloc(max + 1);
        for (size_t i = 0; i < n + 1 && i < 64; i++) {
            size_t len = inputs_item(in, i, buf);
            CHECK(len <= max);
            json_error_t je;
            json_t *j = json_loadb(buf, len, JSON_DECODE_ANY, &je);
            CHECK(j != NULL);
            json_decref(j);
        }
        free(buf);
        inputs_free(in);
    } else {
        CHECK(err[0] != '\0');
    }
    close(fd);
    return 0;
}
