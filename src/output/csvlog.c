#include "output/csvlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const csv_header[] = {
    [CSVLOG_REQUESTS] = "request_id,timestamp_ms,latency_ms,status_code,service_ms,batch_size,"
                        "bytes_in,error,connect_ms\n",
    [CSVLOG_STREAMED] = "request_id,timestamp_ms,latency_ms,status_code,service_ms,batch_size,"
                        "bytes_in,error,connect_ms,ttft_ms,tpot_ms,tokens_out,tokens_estimated,"
                        "chunks\n",
    [CSVLOG_TOKEN_EVENTS] = "request_id,event,timestamp_ms,since_intended_ms,since_send_ms\n",
};

/* A row is at most: 20 + 1 + 24 + 1 + 24 + 1 + 3 + 1 + 24 + 1 + 10 + 1 + 20 + 1 + 20 + 1 +
 * 24, then the token columns 1 + 24 + 1 + 24 + 1 + 20 + 1 + 1 + 1 + 20, and 1. */
#define CSV_ROW_MAX 320

struct csvlog {
    int fd;
    pthread_mutex_t lock;
    int write_errno; /* first failure; later blocks are dropped, counted below */
    _Atomic uint64_t rows;
    char path[512];
};

/* Writes a whole block, retrying short writes; remembers the first error so
 * a full disk is reported at the end rather than silently losing rows. */
static void csvlog_append(csvlog_t *log, const char *buf, size_t len)
{
    pthread_mutex_lock(&log->lock);
    while (len > 0 && log->write_errno == 0) {
        ssize_t n = write(log->fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log->write_errno = errno;
            break;
        }
        buf += n;
        len -= (size_t)n;
    }
    pthread_mutex_unlock(&log->lock);
}

int csvlog_open(const char *path, csvlog_t **out, char *err, size_t errlen)
{
    return csvlog_open_kind(path, CSVLOG_REQUESTS, out, err, errlen);
}

int csvlog_open_kind(const char *path, csvlog_kind_t kind, csvlog_t **out, char *err, size_t errlen)
{
    csvlog_t *log = calloc(1, sizeof *log);
    if (!log)
        return ENOMEM;
    log->fd = !strcmp(path, "-") ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0)
                                 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log->fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot write log '%s': %s", path, strerror(e));
        free(log);
        return e;
    }
    pthread_mutex_init(&log->lock, NULL);
    snprintf(log->path, sizeof log->path, "%s", path);
    csvlog_append(log, csv_header[kind], strlen(csv_header[kind]));
    if (log->write_errno) {
        int e = log->write_errno;
        snprintf(err, errlen, "cannot write log '%s': %s", path, strerror(e));
        close(log->fd);
        pthread_mutex_destroy(&log->lock);
        free(log);
        return e;
    }
    *out = log;
    return 0;
}

int csvlog_close(csvlog_t *log, char *err, size_t errlen)
{
    if (!log)
        return 0;
    int e = log->write_errno;
    if (close(log->fd) < 0 && e == 0)
        e = errno;
    if (e)
        snprintf(err, errlen, "writing log '%s' failed: %s (rows after the failure are missing)",
                 log->path, strerror(e));
    pthread_mutex_destroy(&log->lock);
    free(log);
    return e;
}

uint64_t csvlog_rows(const csvlog_t *log)
{
    return log ? atomic_load_explicit(&log->rows, memory_order_relaxed) : 0;
}

static void csvlog_buf_init(csvlog_buf_t *b, csvlog_t *log)
{
    b->log = log;
    b->len = 0;
    b->rows = 0;
}

int csvlog_buf_new(csvlog_t *log, csvlog_buf_t **out)
{
    csvlog_buf_t *b = malloc(sizeof *b);
    if (!b)
        return ENOMEM;
    csvlog_buf_init(b, log);
    *out = b;
    return 0;
}

void csvlog_buf_free(csvlog_buf_t *b)
{
    if (!b)
        return;
    csvlog_buf_flush(b);
    free(b);
}

void csvlog_buf_flush(csvlog_buf_t *b)
{
    if (b->log && b->len) {
        csvlog_append(b->log, b->buf, b->len);
        atomic_fetch_add_explicit(&b->log->rows, b->rows, memory_order_relaxed);
    }
    b->len = 0;
    b->rows = 0;
}

/* Decimal formatting by hand: snprintf per field costs more than the rest of a
 * request's client-side work. */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* ns -> milliseconds with three decimals (microsecond resolution). */
static char *put_ms(char *p, uint64_t ns)
{
    uint64_t us = (ns + 500) / 1000;
    p = put_u64(p, us / 1000);
    unsigned frac = (unsigned)(us % 1000);
    *p++ = '.';
    *p++ = (char)('0' + frac / 100);
    *p++ = (char)('0' + frac / 10 % 10);
    *p++ = (char)('0' + frac % 10);
    return p;
}

void csvlog_row(csvlog_buf_t *b, const req_record_t *r)
{
    if (!b->log)
        return;
    if (b->len + CSV_ROW_MAX > sizeof b->buf)
        csvlog_buf_flush(b);
    char *p = b->buf + b->len;
    p = put_u64(p, r->id);
    *p++ = ',';
    p = put_ms(p, r->intended_wall_ns);
    *p++ = ',';
    p = put_ms(p, r->latency_ns);
    *p++ = ',';
    p = put_u64(p, r->status > 0 ? (uint64_t)r->status : 0);
    *p++ = ',';
    p = put_ms(p, r->service_ns);
    *p++ = ',';
    p = put_u64(p, r->batch);
    *p++ = ',';
    p = put_u64(p, r->bytes_in);
    *p++ = ',';
    const char *name = err_kind_name(r->err);
    size_t n = strlen(name);
    memcpy(p, name, n);
    p += n;
    *p++ = ',';
    if (r->connect_ns != REQ_NO_CONNECT)
        p = put_ms(p, r->connect_ns);
    if (r->streamed) {
        const tokens_result_t *t = &r->tokens;
        *p++ = ',';
        if (t->has_first)
            p = put_ms(p, t->ttft_ns);
        *p++ = ',';
        if (t->has_tpot)
            p = put_ms(p, t->tpot_ns);
        *p++ = ',';
        p = put_u64(p, t->n_out);
        *p++ = ',';
        *p++ = t->estimated ? '1' : '0';
        *p++ = ',';
        p = put_u64(p, t->chunks);
    }
    *p++ = '\n';
    b->len = (size_t)(p - b->buf);
    b->rows++;
}

void csvlog_token_row(csvlog_buf_t *b, const token_record_t *t)
{
    if (!b->log)
        return;
    if (b->len + CSV_ROW_MAX > sizeof b->buf)
        csvlog_buf_flush(b);
    char *p = b->buf + b->len;
    p = put_u64(p, t->id);
    *p++ = ',';
    p = put_u64(p, t->k);
    *p++ = ',';
    p = put_ms(p, t->wall_ns);
    *p++ = ',';
    p = put_ms(p, t->since_intended_ns);
    *p++ = ',';
    p = put_ms(p, t->since_send_ns);
    *p++ = '\n';
    b->len = (size_t)(p - b->buf);
    b->rows++;
}
