/* logmerge — the CSV logs (--log) of a run's segments as one log: the header
 * once, then the rows of each file in turn. Request ids are the run's own
 * (--segment), so rows from different segments never collide. The files must
 * have the same header (logs written by one version of tailgate). */
#ifndef TAILGATE_OUTPUT_LOGMERGE_H
#define TAILGATE_OUTPUT_LOGMERGE_H

#include <stddef.h>
#include <stdint.h>

/* Writes paths[0..n) as one log to out ("-": standard output, left open) and
 * sets *rows to the number of rows
 * (requests) written. Returns 0, EINVAL (a file that is not a tailgate log, or
 * whose header differs from the first's) or an errno value of the I/O, with
 * err naming the file. out is left incomplete on error. */
int logmerge(const char *const *paths, size_t n, const char *out, uint64_t *rows, char *err,
             size_t errlen);

#endif
