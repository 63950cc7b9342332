/* csvlog: a req_record_t becomes one row, in the README's column order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "output/csvlog.h"

#define MS 1000000ull

static void test_rows_from_records(void **state)
{
    (void)state;
    char path[] = "/tmp/test_csvlog_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    csvlog_t *log;
    assert_int_equal(csvlog_open(path, &log, err, sizeof err), 0);
    csvlog_buf_t *b;
    assert_int_equal(csvlog_buf_new(log, &b), 0);
    req_record_t ok = {.id = 7,
                       .intended_wall_ns = 1700000000123456789ull,
                       .latency_ns = 12 * MS + 345678,
                       .service_ns = 2 * MS + 500,
                       .connect_ns = 150000,
                       .bytes_in = 321,
                       .status = 200,
                       .batch = 10,
                       .err = ERR_NONE};
    req_record_t failed = {.id = 8,
                           .intended_wall_ns = 1700000000000000000ull,
                           .latency_ns = 5000 * MS,
                           .connect_ns = REQ_NO_CONNECT,
                           .batch = 1,
                           .err = ERR_TIMEOUT};
    csvlog_row(b, &ok);
    csvlog_row(b, &failed);
    assert_int_equal(csvlog_rows(log), 0); /* still in the thread's block */
    csvlog_buf_free(b);
    assert_int_equal(csvlog_rows(log), 2);
    assert_int_equal(csvlog_close(log, err, sizeof err), 0);

    char text[1024] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    unlink(path);
    text[n] = '\0';
    assert_string_equal(text, "request_id,timestamp_ms,latency_ms,status_code,service_ms,"
                              "batch_size,bytes_in,error,connect_ms\n"
                              "7,1700000000123.457,12.346,200,2.001,10,321,,0.150\n"
                              "8,1700000000000.000,5000.000,0,0.000,1,0,timeout,\n");
}

static void read_back(char *path, char *text, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, len - 1, f);
    fclose(f);
    unlink(path);
    text[n] = '\0';
}

/* A streamed run's log: the token columns appended (empty where undefined),
 * a request that failed mid-stream keeps its tokens; the token event log. */
static void test_streamed_rows_and_events(void **state)
{
    (void)state;
    char path[] = "/tmp/test_csvlog_XXXXXX", err[256], text[2048];
    close(mkstemp(path));
    csvlog_t *log;
    csvlog_buf_t *b;
    assert_int_equal(csvlog_open_kind(path, CSVLOG_STREAMED, &log, err, sizeof err), 0);
    assert_int_equal(csvlog_buf_new(log, &b), 0);
    req_record_t ok = {.id = 1,
                       .latency_ns = 900 * MS,
                       .connect_ns = REQ_NO_CONNECT,
                       .status = 200,
                       .batch = 1,
                       .streamed = true,
                       .tokens = {.chunks = 16,
                                  .n_out = 64,
                                  .has_first = true,
                                  .ttft_ns = 120 * MS + 4321,
                                  .has_tpot = true,
                                  .tpot_ns = 12 * MS}};
    req_record_t cut = {
        .id = 2,
        .connect_ns = REQ_NO_CONNECT,
        .status = 200,
        .batch = 1,
        .err = ERR_STREAM,
        .streamed = true,
        .tokens = {
            .chunks = 1, .n_out = 1, .estimated = true, .has_first = true, .ttft_ns = 5 * MS}};
    req_record_t none = {.id = 3,
                         .connect_ns = REQ_NO_CONNECT,
                         .err = ERR_TIMEOUT,
                         .streamed = true,
                         .tokens = {.estimated = true}};
    csvlog_row(b, &ok);
    csvlog_row(b, &cut);
    csvlog_row(b, &none);
    csvlog_buf_free(b);
    assert_int_equal(csvlog_close(log, err, sizeof err), 0);
    read_back(path, text, sizeof text);
    assert_string_equal(text,
                        "request_id,timestamp_ms,latency_ms,status_code,service_ms,batch_size,"
                        "bytes_in,error,connect_ms,ttft_ms,tpot_ms,tokens_out,tokens_estimated,"
                        "chunks\n"
                        "1,0.000,900.000,200,0.000,1,0,,,120.004,12.000,64,0,16\n"
                        "2,0.000,0.000,200,0.000,1,0,stream_error,,5.000,,1,1,1\n"
                        "3,0.000,0.000,0,0.000,0,0,timeout,,,,0,1,0\n");

    char epath[] = "/tmp/test_csvlog_XXXXXX";
    close(mkstemp(epath));
    assert_int_equal(csvlog_open_kind(epath, CSVLOG_TOKEN_EVENTS, &log, err, sizeof err), 0);
    assert_int_equal(csvlog_buf_new(log, &b), 0);
    token_record_t t = {.id = 11,
                        .k = 2,
                        .wall_ns = 1700000000000000000ull + 1500,
                        .since_intended_ns = 250 * MS,
                        .since_send_ns = 249 * MS + 999};
    csvlog_token_row(b, &t);
    csvlog_buf_free(b);
    assert_int_equal(csvlog_close(log, err, sizeof err), 0);
    read_back(epath, text, sizeof text);
    assert_string_equal(text, "request_id,event,timestamp_ms,since_intended_ms,since_send_ms\n"
                              "11,2,1700000000000.002,250.000,249.001\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_from_records),
        cmocka_unit_test(test_streamed_rows_and_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
