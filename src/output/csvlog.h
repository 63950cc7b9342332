/* csvlog — the per-request CSV log, streamed.
 *
 * Each thread formats rows into its own block buffer and appends a whole block
 * under a lock only when it is full, so logging costs no system call and no
 * lock per request. Columns (DESIGN.md):
 * request_id,timestamp_ms,latency_ms,status_code,service_ms,batch_size,bytes_in,error
 * and last connect_ms: the TCP connect time when the request opened a
 * connection, empty when it was sent on one already open. */
#ifndef TAILGATE_OUTPUT_CSVLOG_H
#define TAILGATE_OUTPUT_CSVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "stats/runstats.h"

typedef struct csvlog csvlog_t;

#define CSVLOG_BLOCK 65536
#define CSVLOG_NO_CONNECT UINT64_MAX /* connect_ns of a request that opened no connection */

typedef struct {
    csvlog_t *log;
    size_t len;
    uint64_t rows; /* rows in buf, not yet appended */
    char buf[CSVLOG_BLOCK];
} csvlog_buf_t;

/* Creates (truncates) path and writes the header row. Returns 0 or an errno
 * value with a reason in err. */
int csvlog_open(const char *path, csvlog_t **out, char *err, size_t errlen);
/* Flushes, closes and frees. Returns 0, or the first write error seen during
 * the run (ENOSPC...) with a reason in err. NULL is fine. */
int csvlog_close(csvlog_t *log, char *err, size_t errlen);
/* Rows appended to the file so far (whole blocks flushed by every thread). */
uint64_t csvlog_rows(const csvlog_t *log);

void csvlog_buf_init(csvlog_buf_t *b, csvlog_t *log);
/* Appends one row. timestamp_wall_ns: wall-clock of the intended send.
 * status 0 = no response. connect_ns: CSVLOG_NO_CONNECT or the connect time. */
void csvlog_row(csvlog_buf_t *b, uint64_t request_id, uint64_t timestamp_wall_ns,
                uint64_t latency_ns, int status, uint64_t service_ns, unsigned batch_size,
                uint64_t bytes_in, err_kind_t err, uint64_t connect_ns);
/* Writes out what the buffer holds (end of thread). */
void csvlog_buf_flush(csvlog_buf_t *b);

#endif
