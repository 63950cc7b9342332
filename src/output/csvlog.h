/* csvlog — the per-request CSV log, streamed.
 *
 * Each thread formats rows into its own block buffer and appends a whole block
 * under a lock only when it is full, so logging costs no system call and no
 * lock per request. Columns (README "Files"):
 * request_id,timestamp_ms,latency_ms,status_code,service_ms,batch_size,bytes_in,error
 * and connect_ms: the TCP connect time when the request opened a
 * connection, empty when it was sent on one already open. A streamed run's
 * log (CSVLOG_STREAMED) appends ttft_ms,tpot_ms,tokens_out,tokens_estimated,
 * chunks (stats/tokens.h; ttft_ms and tpot_ms empty where undefined,
 * tokens_estimated 1 when tokens_out is the chunk count).
 *
 * The same machinery writes the token event log (CSVLOG_TOKEN_EVENTS,
 * --log-events): request_id,event,timestamp_ms,since_intended_ms,
 * since_send_ms, one row per token-bearing event. */
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

typedef enum {
    CSVLOG_REQUESTS,     /* one row per request */
    CSVLOG_STREAMED,     /* the same with the token columns */
    CSVLOG_TOKEN_EVENTS, /* one row per token-bearing event */
} csvlog_kind_t;

/* Creates (truncates) path and writes the header row of the requests log;
 * path "-" is standard output (a duplicate of it, so closing the log leaves
 * stdout open). Returns 0 or an errno value with a reason in err. */
int csvlog_open(const char *path, csvlog_t **out, char *err, size_t errlen);
/* The same for a log of that kind. */
int csvlog_open_kind(const char *path, csvlog_kind_t kind, csvlog_t **out, char *err,
                     size_t errlen);
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
/* Appends the row of one finished request (columns above; the token columns
 * when r->streamed). */
void csvlog_row(csvlog_buf_t *b, const req_record_t *r);
/* Appends the row of one token-bearing event (CSVLOG_TOKEN_EVENTS). */
void csvlog_token_row(csvlog_buf_t *b, const token_record_t *t);
/* Writes out what the buffer holds (end of thread). */
void csvlog_buf_flush(csvlog_buf_t *b);

#endif
