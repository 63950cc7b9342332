/* csvlog — the per-request CSV log, streamed.
 *
 * Each thread formats rows into its own block buffer and appends a whole block
 * under a lock only when it is full, so logging costs no system call and no
 * lock per request. Columns (README "Files"):
 * request_id,timestamp_ms,latency_ms,status_code,service_ms,batch_size,bytes_in,error
 * and last connect_ms: the TCP connect time when the request opened a
 * connection, empty when it was sent on one already open. */
#ifndef TAILGATE_OUTPUT_CSVLOG_H
#define TAILGATE_OUTPUT_CSVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "load/record.h"

typedef struct csvlog csvlog_t;

#define CSVLOG_BLOCK 65536

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

/* One thread's block buffer for log (allocate it before the clock starts).
 * Returns 0 or ENOMEM. */
int csvlog_buf_new(csvlog_t *log, csvlog_buf_t **out);
/* Writes out what the buffer holds and frees it; NULL is fine. */
void csvlog_buf_free(csvlog_buf_t *b);
/* Appends the row of one finished request (columns above). */
void csvlog_row(csvlog_buf_t *b, const req_record_t *r);
/* Writes out what the buffer holds (end of thread). */
void csvlog_buf_flush(csvlog_buf_t *b);

#endif
