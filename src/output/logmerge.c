/* logmerge — CSV logs joined by streaming: no file is held in memory. */
#include "output/logmerge.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER_START "request_id,"

/* Copies the rest of in to out, counting lines; a last line without its
 * newline gets one. Returns 0 or an errno value (*read_failed: reading). */
static int copy_rows(FILE *in, FILE *out, uint64_t *rows, bool *read_failed)
{
    char buf[65536];
    size_t got;
    char last = '\n';
    while ((got = fread(buf, 1, sizeof buf, in)) > 0) {
        for (size_t i = 0; i < got; i++)
            *rows += buf[i] == '\n';
        last = buf[got - 1];
        if (fwrite(buf, 1, got, out) != got)
            return errno ? errno : EIO;
    }
    if (ferror(in)) {
        *read_failed = true;
        return EIO;
    }
    if (last != '\n') {
        (*rows)++;
        if (fputc('\n', out) == EOF)
            return errno ? errno : EIO;
    }
    return 0;
}

int logmerge(const char *const *paths, size_t n, const char *out_path, uint64_t *rows, char *err,
             size_t errlen)
{
    *rows = 0;
    int fd = -1;
    if (!strcmp(out_path, "-")) /* a duplicate: closing the log leaves stdout open */
        fflush(stdout), fd = dup(STDOUT_FILENO);
    FILE *out = !strcmp(out_path, "-") ? (fd < 0 ? NULL : fdopen(fd, "w")) : fopen(out_path, "w");
    if (!out && fd >= 0)
        close(fd);
    if (!out) {
        int e = errno;
        snprintf(err, errlen, "cannot write '%s': %s", out_path, strerror(e));
        return e;
    }
    char *first = NULL, *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        FILE *in = fopen(paths[i], "r");
        if (!in) {
            rc = errno;
            snprintf(err, errlen, "cannot read '%s': %s", paths[i], strerror(rc));
            break;
        }
        ssize_t len = getline(&line, &cap, in);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len <= 0 || strncmp(line, HEADER_START, strlen(HEADER_START))) {
            snprintf(err, errlen,
                     "'%s' is not a tailgate CSV log (its first line is not the "
                     "header request_id,...)",
                     paths[i]);
            rc = EINVAL;
        } else if (!first) {
            if (!(first = strdup(line)))
                rc = ENOMEM;
            else if (fprintf(out, "%s\n", line) < 0)
                rc = errno ? errno : EIO;
        } else if (strcmp(first, line)) {
            snprintf(err, errlen, "'%s' has other columns than '%s': logs of different versions",
                     paths[i], paths[0]);
            rc = EINVAL;
        }
        bool read_failed = false;
        if (!rc && (rc = copy_rows(in, out, rows, &read_failed)))
            snprintf(err, errlen, "cannot %s '%s': %s", read_failed ? "read" : "write",
                     read_failed ? paths[i] : out_path, strerror(rc));
        fclose(in);
    }
    free(line);
    free(first);
    if (fclose(out) != 0 && !rc) {
        rc = errno;
        snprintf(err, errlen, "cannot write '%s': %s", out_path, strerror(rc));
    }
    return rc;
}
