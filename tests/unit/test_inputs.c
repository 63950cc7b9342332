/* inputs: JSON Lines and CSV loading, stdin, compact text, cycling, generated
 * items, item kinds and field columns with FILE:LINE errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "load/inputs.h"

static char *write_tmp_as(const char *text, const char *suffix)
{
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/tg_inputs_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static char *write_tmp(const char *text)
{
    return write_tmp_as(text, "");
}

static void item_is(const inputs_t *in, uint64_t i, const char *want)
{
    char buf[256];
    assert_true(inputs_max_len(in) < sizeof(buf));
    size_t n = inputs_item(in, i, buf);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
}

static void test_generated(void **state)
{
    (void)state;
    inputs_t *in;
    assert_int_equal(inputs_generated(&in), 0);
    assert_int_equal(inputs_count(in), 0);
    item_is(in, 0, "\"input-0\"");
    item_is(in, 7, "\"input-7\"");
    item_is(in, 1234567, "\"input-1234567\"");
    char buf[64];
    assert_int_equal(inputs_item(in, UINT64_MAX, buf), inputs_max_len(in));
    assert_memory_equal(buf, "\"input-18446744073709551615\"", inputs_max_len(in));
    inputs_free(in);
}

static void test_file_compact_and_cycling(void **state)
{
    (void)state;
    char *path = write_tmp("{ \"text\" : \"a b\" }\n\n  [1, 2,\t3]  \r\n\"str\"\n42\n");
    inputs_t *in;
    char err[256] = "";
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), 0);
    assert_int_equal(inputs_count(in), 4);
    item_is(in, 0, "{\"text\":\"a b\"}");
    item_is(in, 1, "[1,2,3]");
    item_is(in, 2, "\"str\"");
    item_is(in, 3, "42");
    item_is(in, 4, "{\"text\":\"a b\"}"); /* cycles */
    item_is(in, 7, "42");
    assert_int_equal(inputs_max_len(in), strlen("{\"text\":\"a b\"}"));
    inputs_free(in);
    unlink(path);
    free(path);
}

/* Reals are sent the shortest way that reads back the same, as a data file
 * writes them: 0.1, not 0.10000000000000001 (a float tensor twice the
 * bytes); a field's value too. */
static void test_reals_shortest(void **state)
{
    (void)state;
    char *path = write_tmp("[0.1, 0.3, 2.675, 1e2, -0.0, 5e-324, 0.30000000000000004]\n"
                           "{\"t\": 0.7, \"k\": {\"b\": 1, \"a\": \"\\u00e9\\\"\"}}\n");
    inputs_t *in;
    char err[256] = "";
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), 0);
    item_is(in, 0, "[0.1,0.3,2.675,100.0,-0.0,4.94065645841247e-324,0.30000000000000004]");
    item_is(in, 1, "{\"t\":0.7,\"k\":{\"b\":1,\"a\":\"\xc3\xa9\\\"\"}}");
    size_t col;
    assert_int_equal(inputs_add_field(in, "t", NULL, INPUTS_OBJECTS_ONLY, &col, err, sizeof err),
                     0);
    char buf[64];
    size_t n = inputs_field(in, col, 1, buf);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "0.7", 3);
    inputs_free(in);
    unlink(path);
    free(path);
}

static void test_file_no_trailing_newline(void **state)
{
    (void)state;
    char *path = write_tmp("1\n2");
    inputs_t *in;
    char err[256];
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), 0);
    assert_int_equal(inputs_count(in), 2);
    item_is(in, 1, "2");
    inputs_free(in);
    unlink(path);
    free(path);
}

static void test_file_bad_line_names_line(void **state)
{
    (void)state;
    char *path = write_tmp("1\n{\"ok\":true}\n{broken\n");
    inputs_t *in = NULL;
    char err[256] = "";
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), EINVAL);
    assert_non_null(strstr(err, ":3:"));
    assert_non_null(strstr(err, path));
    unlink(path);
    free(path);
}

static void test_file_empty(void **state)
{
    (void)state;
    char *path = write_tmp("\n  \n");
    inputs_t *in = NULL;
    char err[256] = "";
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), EINVAL);
    assert_true(strlen(err) > 0);
    unlink(path);
    free(path);
}

static void test_file_missing(void **state)
{
    (void)state;
    inputs_t *in = NULL;
    char err[256] = "";
    assert_int_equal(inputs_load_file("/nonexistent/x.jsonl", &in, err, sizeof(err)), ENOENT);
    assert_non_null(strstr(err, "/nonexistent/x.jsonl"));
    /* --inputs "": a usage error, not a file that cannot be read */
    assert_int_equal(inputs_load_file("", &in, err, sizeof(err)), EINVAL);
    assert_string_equal(err, "an empty file name: give a path, or - for standard input");
}

static void test_many_lines(void **state)
{
    (void)state;
    size_t n = 20000;
    char *text = malloc(n * 32);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "{\"i\": %zu}\n", i);
    char *path = write_tmp(text);
    inputs_t *in;
    char err[256];
    assert_int_equal(inputs_load_file(path, &in, err, sizeof(err)), 0);
    assert_int_equal(inputs_count(in), n);
    item_is(in, 12345, "{\"i\":12345}");
    item_is(in, n + 1, "{\"i\":1}");
    inputs_free(in);
    unlink(path);
    free(path);
    free(text);
}

/* The digest depends on which items were sent, not on how threads split them. */
static void test_digest_independent_of_threads(void **state)
{
    (void)state;
    inputs_t *in = NULL;
    assert_int_equal(inputs_generated(&in), 0);
    uint8_t one[32], two[32], three[32], fewer[32];
    uint64_t sent1[] = {10};
    uint64_t sent2[] = {5, 5};
    uint64_t sent3[] = {4, 3, 3};
    uint64_t sent_fewer[] = {5, 4};
    assert_int_equal(inputs_digest(in, sent1, 1, one), 0);
    assert_int_equal(inputs_digest(in, sent2, 2, two), 0);
    assert_int_equal(inputs_digest(in, sent3, 3, three), 0);
    assert_int_equal(inputs_digest(in, sent_fewer, 2, fewer), 0);
    assert_memory_equal(one, two, 32);
    assert_memory_equal(one, three, 32);
    assert_memory_not_equal(one, fewer, 32);
    inputs_free(in);
}

/* The source digest names the sequence, not how much of it was sent: the
 * same file (whatever its layout) or generated items give the same one;
 * another file, order or body another. */
static void test_source_digest(void **state)
{
    (void)state;
    inputs_t *gen, *a, *a2, *b, *reordered;
    char *pa = write_tmp("{\"x\": 1}\n\"two\"\n3\n");
    char *pa2 = write_tmp("{ \"x\" : 1 }\r\n\n\"two\"\n3"); /* same items, other layout */
    char *pb = write_tmp("{\"x\": 1}\n\"two\"\n4\n");
    char *pr = write_tmp("\"two\"\n{\"x\": 1}\n3\n");
    char err[256];
    assert_int_equal(inputs_generated(&gen), 0);
    assert_int_equal(inputs_load_file(pa, &a, err, sizeof err), 0);
    assert_int_equal(inputs_load_file(pa2, &a2, err, sizeof err), 0);
    assert_int_equal(inputs_load_file(pb, &b, err, sizeof err), 0);
    assert_int_equal(inputs_load_file(pr, &reordered, err, sizeof err), 0);
    uint8_t dg[32], dg2[32], da[32], da2[32], db[32], dr[32], body1[32], body2[32];
    assert_int_equal(inputs_source_digest(gen, NULL, 0, dg), 0);
    assert_int_equal(inputs_source_digest(gen, NULL, 0, dg2), 0);
    assert_int_equal(inputs_source_digest(a, NULL, 0, da), 0);
    assert_int_equal(inputs_source_digest(a2, NULL, 0, da2), 0);
    assert_int_equal(inputs_source_digest(b, NULL, 0, db), 0);
    assert_int_equal(inputs_source_digest(reordered, NULL, 0, dr), 0);
    assert_int_equal(inputs_source_digest(NULL, "{}", 2, body1), 0);
    assert_int_equal(inputs_source_digest(NULL, "{ }", 3, body2), 0);
    assert_memory_equal(dg, dg2, 32);
    assert_memory_equal(da, da2, 32);
    assert_memory_not_equal(da, db, 32);
    assert_memory_not_equal(da, dr, 32);
    assert_memory_not_equal(da, dg, 32);
    assert_memory_not_equal(body1, body2, 32);
    assert_memory_not_equal(body1, dg, 32);
    /* ...while the digest of what was sent depends on how much */
    uint64_t ten[] = {10}, eleven[] = {11};
    uint8_t s10[32], s11[32];
    assert_int_equal(inputs_digest(a, ten, 1, s10), 0);
    assert_int_equal(inputs_digest(a, eleven, 1, s11), 0);
    assert_memory_not_equal(s10, s11, 32);
    char *paths[] = {pa, pa2, pb, pr};
    for (size_t i = 0; i < 4; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    inputs_free(gen);
    inputs_free(a);
    inputs_free(a2);
    inputs_free(b);
    inputs_free(reordered);
}

static void add256(uint8_t sum[32], const uint8_t v[32])
{
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned t = (unsigned)sum[i] + v[i] + carry;
        sum[i] = (uint8_t)t;
        carry = t >> 8;
    }
}

/* Segments of a run (other processes, each with its own threads) send items
 * k = I, I + N, ...: their digests add up to the one-process digest. */
static void test_digest_parts_add_up(void **state)
{
    (void)state;
    inputs_t *in = NULL;
    assert_int_equal(inputs_generated(&in), 0);
    uint8_t whole[32] = {0}, sum[32] = {0};
    assert_int_equal(inputs_digest_add(in, 0, 1, 103, whole), 0);
    for (uint64_t seg = 0; seg < 4; seg++) {
        /* segment seg runs 2 threads: items seg + 4t + 8j */
        for (uint64_t t = 0; t < 2; t++) {
            uint8_t part[32] = {0};
            uint64_t first = seg + 4 * t, count = first < 103 ? (103 - first - 1) / 8 + 1 : 0;
            assert_int_equal(inputs_digest_add(in, first, 8, count, part), 0);
            add256(sum, part);
        }
    }
    assert_memory_equal(whole, sum, 32);
    /* one item fewer, or an item at another place, is another digest */
    uint8_t fewer[32] = {0}, moved[32] = {0};
    assert_int_equal(inputs_digest_add(in, 0, 1, 102, fewer), 0);
    assert_memory_not_equal(whole, fewer, 32);
    assert_int_equal(inputs_digest_add(in, 1, 1, 103, moved), 0);
    assert_memory_not_equal(whole, moved, 32);
    inputs_free(in);
}

/* One term is SHA-256 of k (8 bytes, little-endian), the item's text, '\n'. */
static void test_digest_known_value(void **state)
{
    (void)state;
    inputs_t *in = NULL;
    assert_int_equal(inputs_generated(&in), 0);
    uint8_t d[32] = {0};
    assert_int_equal(inputs_digest_add(in, 1, 1, 1, d), 0);
    /* python3: hashlib.sha256((1).to_bytes(8, "little") + b'"input-1"\n').hexdigest() */
    static const uint8_t want[32] = {0xce, 0x8a, 0xb1, 0x01, 0xdf, 0x10, 0x38, 0xa3,
                                     0xdc, 0x45, 0xe9, 0xc4, 0xfe, 0x13, 0x1f, 0xa9,
                                     0x9f, 0x60, 0x1d, 0x77, 0x94, 0x37, 0x2a, 0xdd,
                                     0xe1, 0x2e, 0xdf, 0x14, 0x5d, 0xb2, 0xef, 0x7c};
    assert_memory_equal(d, want, 32);
    inputs_free(in);
}

static void test_digest_body_adds_up(void **state)
{
    (void)state;
    uint8_t whole[32], a[32], b[32];
    assert_int_equal(inputs_digest_body("xyz", 3, 1000003, whole), 0);
    assert_int_equal(inputs_digest_body("xyz", 3, 400000, a), 0);
    assert_int_equal(inputs_digest_body("xyz", 3, 600003, b), 0);
    add256(a, b);
    assert_memory_equal(whole, a, 32);
    assert_int_equal(inputs_digest_body("xyw", 3, 1000003, b), 0);
    assert_memory_not_equal(whole, b, 32);
}

static inputs_t *load_ok(const char *text, const char *suffix, datafile_format_t format)
{
    char *path = write_tmp_as(text, suffix);
    inputs_t *in = NULL;
    char err[256] = "";
    if (inputs_load(path, format, &in, err, sizeof err))
        fail_msg("%s", err);
    unlink(path);
    free(path);
    return in;
}

/* Loading fails with EINVAL and "FILE<want>" (want starts after the name). */
static void load_fails(const char *text, const char *suffix, const char *want)
{
    char *path = write_tmp_as(text, suffix);
    inputs_t *in = NULL;
    char err[256] = "";
    assert_int_equal(inputs_load(path, DATAFILE_AUTO, &in, err, sizeof err), EINVAL);
    assert_null(in);
    char expect[320];
    snprintf(expect, sizeof expect, "%s%s", path, want);
    if (strncmp(err, expect, strlen(expect)) != 0)
        fail_msg("error  %s\n    wanted %s", err, expect);
    unlink(path);
    free(path);
}

static void test_csv_file(void **state)
{
    (void)state;
    inputs_t *in = load_ok("\xEF\xBB\xBFprompt,max_tokens,note\r\n"
                           "hello,16,\r\n"
                           "\r\n"
                           "\"a, b\",\"8\",\"say \"\"hi\"\"\"\r\n"
                           "\"two\nlines\",1,é\n",
                           ".CSV", DATAFILE_AUTO);
    assert_int_equal(inputs_count(in), 3);
    item_is(in, 0, "{\"prompt\":\"hello\",\"max_tokens\":\"16\",\"note\":\"\"}");
    item_is(in, 1, "{\"prompt\":\"a, b\",\"max_tokens\":\"8\",\"note\":\"say \\\"hi\\\"\"}");
    item_is(in, 2, "{\"prompt\":\"two\\nlines\",\"max_tokens\":\"1\",\"note\":\"é\"}");
    assert_int_equal(inputs_item_kind(in, 1), INPUTS_OBJECT);
    inputs_free(in);
    /* The format can be forced whatever the name. */
    in = load_ok("a\nx\n", ".txt", DATAFILE_CSV);
    item_is(in, 0, "{\"a\":\"x\"}");
    inputs_free(in);
    in = load_ok("\"x\"\n", ".csv", DATAFILE_JSONL);
    item_is(in, 0, "\"x\"");
    inputs_free(in);
}

/* Data file errors (load/datafile.h, tested there) name the path given. */
static void test_csv_errors_name_the_line(void **state)
{
    (void)state;
    load_fails("a,b\n1,2\n\"multi\nline\",2\n1,2,3\n", ".csv",
               ":5:5: 3 fields, but the header "
               "names 2 (a field with a comma in it is quoted: \"a, b\")");
    load_fails("a,b\n", ".csv", ": no inputs (the file has a header but no rows)");
}

static void test_stdin(void **state)
{
    (void)state;
    char *path = write_tmp("\"from stdin\"\n{\"a\":1}\n");
    int saved = dup(0);
    int fd = open(path, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    inputs_t *in = NULL;
    char err[256] = "";
    assert_int_equal(inputs_load("-", DATAFILE_AUTO, &in, err, sizeof err), 0);
    assert_string_equal(inputs_name(in), "stdin");
    item_is(in, 1, "{\"a\":1}");
    inputs_free(in);
    unlink(path);
    free(path);

    path = write_tmp("1\nnope\n");
    fd = open(path, O_RDONLY);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    assert_int_equal(inputs_load("-", DATAFILE_AUTO, &in, err, sizeof err), EINVAL);
    assert_memory_equal(err, "stdin:2:1: not a JSON value", 27);
    /* what a line must be, and how to get there from text or CSV */
    assert_non_null(strstr(err, "one JSON value per line, text quoted (jq -R . quotes"));
    assert_non_null(strstr(err, "CSV needs a file name ending in .csv or --inputs-format csv"));
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    unlink(path);
    free(path);
}

static void test_kinds(void **state)
{
    (void)state;
    inputs_t *in = load_ok("\"s\"\n1.5\n{}\n[]\nnull\ntrue\n", ".jsonl", DATAFILE_AUTO);
    const unsigned kinds[] = {INPUTS_STRING, INPUTS_NUMBER,  INPUTS_OBJECT,
                              INPUTS_ARRAY,  INPUTS_LITERAL, INPUTS_LITERAL};
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(inputs_item_kind(in, i + 6), kinds[i]);
    char err[256] = "";
    assert_int_equal(inputs_check_kinds(in, INPUTS_ANY, "x", err, sizeof err), 0);
    assert_int_equal(inputs_check_kinds(in, INPUTS_STRING | INPUTS_NUMBER | INPUTS_OBJECT, "chat",
                                        err, sizeof err),
                     EINVAL);
    assert_non_null(strstr(err, ".jsonl:4: the item is an array; chat takes strings, numbers or "
                                "objects"));
    inputs_free(in);
    assert_int_equal(inputs_generated(&in), 0);
    assert_int_equal(inputs_item_kind(in, 5), INPUTS_STRING);
    assert_string_equal(inputs_name(in), "generated");
    assert_int_equal(inputs_check_kinds(in, INPUTS_OBJECT, "kserve", err, sizeof err), EINVAL);
    assert_string_equal(err, "generated items are strings; kserve takes objects");
    inputs_free(in);
}

static void field_is(const inputs_t *in, size_t col, uint64_t i, const char *want)
{
    char buf[256];
    assert_true(inputs_field_max_len(in, col) < sizeof buf);
    size_t n = inputs_field(in, col, i, buf);
    if (n != strlen(want) || memcmp(buf, want, n) != 0)
        fail_msg("item %lu: %.*s, wanted %s", (unsigned long)i, (int)n, buf, want);
}

static void test_fields(void **state)
{
    (void)state;
    inputs_t *in = load_ok("{\"p\": \"x\", \"a\": {\"b\": [1, {\"c\": true}]}, \"n\": 3}\n"
                           "\n"
                           "{\"p\": \"y\", \"a\": {\"b\": [2, {\"c\": false}]}}\n"
                           "\"plain\"\n",
                           ".jsonl", DATAFILE_AUTO);
    char err[256] = "";
    size_t c1, c2, c3, again;
    assert_int_equal(inputs_add_field(in, "p", NULL, INPUTS_OBJECTS_ONLY, &c1, err, sizeof err), 0);
    assert_int_equal(
        inputs_add_field(in, "a.b.1.c", NULL, INPUTS_OBJECTS_ONLY, &c2, err, sizeof err), 0);
    assert_int_equal(inputs_add_field(in, "n", "16", INPUTS_OBJECTS_ONLY, &c3, err, sizeof err), 0);
    assert_int_equal(inputs_add_field(in, "p", NULL, INPUTS_OBJECTS_ONLY, &again, err, sizeof err),
                     0);
    assert_int_equal(again, c1);
    field_is(in, c1, 0, "\"x\"");
    field_is(in, c1, 1, "\"y\"");
    field_is(in, c1, 2, ""); /* not an object: no value */
    field_is(in, c1, 3, "\"x\"");
    field_is(in, c2, 1, "false");
    field_is(in, c3, 0, "3");
    field_is(in, c3, 1, "16");
    assert_int_equal(inputs_field_max_len(in, c2), 5);

    /* Without INPUTS_OBJECTS_ONLY every item must be an object. */
    assert_int_equal(inputs_add_field(in, "p", NULL, 0, &again, err, sizeof err), EINVAL);
    assert_non_null(
        strstr(err, ".jsonl:4: the item is a string, not an object with a field \"p\" ({{item}} "
                    "sends the item itself)"));
    assert_int_equal(inputs_add_field(in, "q", NULL, INPUTS_OBJECTS_ONLY, &again, err, sizeof err),
                     EINVAL);
    assert_non_null(strstr(err, ".jsonl:1: the item has no field \"q\" (its fields: \"p\", "
                                "\"a\", \"n\")"));
    assert_int_equal(
        inputs_add_field(in, "a.b.1.c", "\"s\"", INPUTS_OBJECTS_ONLY, &again, err, sizeof err),
        EINVAL);
    assert_non_null(strstr(err, ".jsonl:1: field \"a.b.1.c\" is true (true, false or null), but "
                                "its default \"s\" is a string"));
    /* A null default takes any type. */
    assert_int_equal(
        inputs_add_field(in, "a", "null", INPUTS_OBJECTS_ONLY, &again, err, sizeof err), 0);
    field_is(in, again, 1, "{\"b\":[2,{\"c\":false}]}");
    inputs_free(in);
}

/* A field a CSV row lacks: the message lists the header's columns, as the
 * template would name them (a header "text, lang" names "lang"). */
static void missing_field(const char *text, const char *field, const char *want)
{
    inputs_t *in = load_ok(text, ".csv", DATAFILE_AUTO);
    char err[512] = "";
    size_t col;
    assert_int_equal(inputs_add_field(in, field, NULL, 0, &col, err, sizeof err), EINVAL);
    const char *after = strstr(err, ".csv:");
    if (!after || strcmp(after, want) != 0)
        fail_msg("error  %s\n    wanted ...%s", err, want);
    inputs_free(in);
}

/* A string holding \u0000 is an item, and a field, as written. */
static void test_nul_in_a_string(void **state)
{
    (void)state;
    inputs_t *in = load_ok("{\"p\": \"a\\u0000b\", \"ids\": [1]}\n", ".jsonl", DATAFILE_AUTO);
    item_is(in, 0, "{\"p\":\"a\\u0000b\",\"ids\":[1]}");
    char err[256] = "";
    size_t col;
    assert_int_equal(inputs_add_field(in, "p", NULL, 0, &col, err, sizeof err), 0);
    field_is(in, col, 0, "\"a\\u0000b\"");
    inputs_free(in);
}

static void test_csv_missing_field_names_the_columns(void **state)
{
    (void)state;
    inputs_t *in = load_ok("text, lang\nhi, en\n", ".csv", DATAFILE_AUTO);
    char err[256] = "";
    size_t col;
    assert_int_equal(inputs_add_field(in, "lang", NULL, 0, &col, err, sizeof err), 0);
    field_is(in, col, 0, "\" en\"");
    inputs_free(in);
    /* A dotted column name (pandas' json_normalize writes them) is one field. */
    in = load_ok("user.name,user\nann,bob\n", ".csv", DATAFILE_AUTO);
    assert_int_equal(inputs_add_field(in, "user.name", NULL, 0, &col, err, sizeof err), 0);
    field_is(in, col, 0, "\"ann\"");
    inputs_free(in);
    missing_field("prompt,n\nhi,1\n", "text",
                  ".csv:2: the item has no field \"text\" (the header's columns: \"prompt\", "
                  "\"n\")");
    missing_field("text;lang\nhi;en\n", "text",
                  ".csv:2: the item has no field \"text\" (the header's columns: \"text;lang\"; "
                  "CSV columns are separated by commas, not ';')");
    missing_field("text\tlang\nhi\ten\n", "lang",
                  ".csv:2: the item has no field \"lang\" (the header's columns: "
                  "\"text\\tlang\"; CSV columns are separated by commas, not tabs)");
    missing_field("user prompt,lang\nhi,en\n", "prompt",
                  ".csv:2: the item has no field \"prompt\" (the header's columns: \"user "
                  "prompt\", \"lang\"; a name with a space cannot be read by a template: rename "
                  "it, as a_b)");
    /* Many long names: as many as fit, then "...". */
    char text[1024] = "";
    for (int i = 0; i < 12; i++)
        sprintf(text + strlen(text), "%scolumn_with_a_long_name_%02d", i ? "," : "", i);
    strcat(text, "\n1,2,3,4,5,6,7,8,9,10,11,12\n");
    inputs_t *wide = load_ok(text, ".csv", DATAFILE_AUTO);
    char big[1024];
    assert_int_equal(inputs_add_field(wide, "x", NULL, 0, &col, big, sizeof big), EINVAL);
    assert_non_null(strstr(big, "(the header's columns: \"column_with_a_long_name_00\", "));
    assert_non_null(strstr(big, "\"column_with_a_long_name_07\", ...)"));
    inputs_free(wide);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_file_compact_and_cycling),
        cmocka_unit_test(test_file_no_trailing_newline),
        cmocka_unit_test(test_reals_shortest),
        cmocka_unit_test(test_file_bad_line_names_line),
        cmocka_unit_test(test_file_empty),
        cmocka_unit_test(test_file_missing),
        cmocka_unit_test(test_many_lines),
        cmocka_unit_test(test_digest_independent_of_threads),
        cmocka_unit_test(test_source_digest),
        cmocka_unit_test(test_digest_parts_add_up),
        cmocka_unit_test(test_digest_known_value),
        cmocka_unit_test(test_digest_body_adds_up),
        cmocka_unit_test(test_csv_file),
        cmocka_unit_test(test_csv_errors_name_the_line),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_csv_missing_field_names_the_columns),
        cmocka_unit_test(test_nul_in_a_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
