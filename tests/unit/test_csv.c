/* csv: RFC 4180 records: golden cases, fed whole, byte by byte (need more
 * until the record is complete) and right before an unmapped page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/csv.h"
#include "guard.h"

/* Parses text at eof; returns the fields unquoted and joined by '|'. */
static ssize_t parse(const char *text, size_t len, bool eof, char *out, size_t outlen)
{
    csv_field_t f[8];
    size_t n = 0;
    csv_error_t e;
    ssize_t rc = csv_record(text, len, eof, f, 8, &n, &e);
    if (rc < 0)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        char v[256];
        size_t vl = csv_unquote(&f[i], v);
        k += (size_t)snprintf(out + k, outlen - k, "%s%.*s", i ? "|" : "", (int)vl, v);
    }
    return rc;
}

static void record_is(const char *text, size_t consumed, const char *want)
{
    size_t len = strlen(text);
    char out[512] = "";
    guard_t g;
    guard_place(&g, text, len);
    ssize_t rc = parse(g.data, len, true, out, sizeof out);
    guard_free(&g);
    if (rc != (ssize_t)consumed || strcmp(out, want) != 0)
        fail_msg("%s: consumed %zd (wanted %zu), fields %s (wanted %s)", text, rc, consumed, out,
                 want);
    /* Fed byte by byte without eof: need more until the record and its line
     * end are there; then the same record. */
    for (size_t i = 0; i < len; i++) {
        guard_place(&g, text, i);
        rc = parse(g.data, i, false, out, sizeof out);
        guard_free(&g);
        if (i < consumed)
            assert_int_equal(rc, CSV_INCOMPLETE);
        else
            assert_int_equal(rc, (ssize_t)consumed);
    }
}

static void invalid(const char *text, size_t offset, const char *what)
{
    csv_field_t f[8];
    size_t n;
    csv_error_t e;
    guard_t g;
    guard_place(&g, text, strlen(text));
    assert_int_equal(csv_record(g.data, strlen(text), true, f, 8, &n, &e), CSV_INVALID);
    guard_free(&g);
    assert_int_equal(e.offset, offset);
    assert_non_null(strstr(e.what, what));
}

static void test_records(void **state)
{
    (void)state;
    record_is("a,b,c\r\nnext", 7, "a|b|c");
    record_is("a,b,c\nnext", 6, "a|b|c");
    record_is("a,b,c", 5, "a|b|c");
    record_is(",,\n", 3, "||");
    record_is("\n", 1, "");
    record_is("\"a,b\",\"say \"\"hi\"\"\",plain\n", 25, "a,b|say \"hi\"|plain");
    record_is("\"two\nlines\",x\r\n", 15, "two\nlines|x");
    record_is("\"\",\"\"\"\"\n", 8, "|\"");
    record_is("\"crlf\r\ninside\"\r\n", 16, "crlf\r\ninside");
    record_is(" spaces kept , é\n", 18, " spaces kept | é");
}

static void test_invalid(void **state)
{
    (void)state;
    invalid("a\"b,c\n", 1, "a quote inside an unquoted field");
    invalid("\"a\"b,c\n", 3, "text after a closing quote");
    invalid("x,\"open\n", 2, "a quoted field is not closed");
    invalid("a\rb\n", 1, "a CR that does not end a line");
    /* Spaces around a quoted field (a, "b"): said as such, not as a stray quote. */
    invalid("a, \t\"b\"\n", 4, "a space before a field's opening quote");
    invalid("x\"\n", 1, "a quote inside an unquoted field");
    invalid("\"a\" ,b\n", 3, "a space after a field's closing quote");
}

static void test_more_fields_than_room(void **state)
{
    (void)state;
    csv_field_t f[2];
    size_t n = 0;
    assert_int_equal(csv_record("a,b,c,d\n", 8, true, f, 2, &n, NULL), 8);
    assert_int_equal(n, 4);
    assert_int_equal(f[1].len, 1);
    assert_int_equal(csv_record("", 0, true, f, 2, &n, NULL), CSV_INCOMPLETE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_more_fields_than_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
