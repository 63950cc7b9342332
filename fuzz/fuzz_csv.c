/* libFuzzer target: CSV data files (inputs_load with DATAFILE_CSV, through
 * csv_record) on a memfd holding the input. An accepted file gives items
 * that are JSON objects of strings, one member per header column; a refused
 * one names the file. */
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
    int fd = memfd_create("csv", 0);
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
    if (inputs_load(path, DATAFILE_CSV, &in, err, sizeof err) == 0) {
        size_t n = inputs_count(in), max = inputs_max_len(in), columns = 0;
        CHECK(n > 0);
        char *buf = malloc(max + 1);
        for (size_t i = 0; i < n && i < 64; i++) {
            size_t len = inputs_item(in, i, buf);
            CHECK(len <= max);
            json_t *j = json_loadb(buf, len, 0, NULL);
            CHECK(json_is_object(j));
            if (i == 0)
                columns = json_object_size(j);
            CHECK(json_object_size(j) == columns);
            const char *key;
            json_t *v;
            json_object_foreach(j, key, v) CHECK(json_is_string(v));
            json_decref(j);
        }
        free(buf);
        inputs_free(in);
    } else {
        CHECK(strncmp(err, path, strlen(path)) == 0);
    }
    close(fd);
    return 0;
}
