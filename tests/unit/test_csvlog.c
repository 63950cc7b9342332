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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_from_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
