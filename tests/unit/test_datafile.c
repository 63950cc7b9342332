/* datafile: JSON Lines, one JSON array and CSV read into items with their
 * lines; which format AUTO picks; every error's FILE:LINE:COLUMN, excerpt
 * and advice, exactly. Each text sits right before an unmapped page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/jtok.h"
#include "load/datafile.h"
#include "guard.h"

typedef struct {
    char text[4096];
    size_t len;
} got_t;

/* "LINE:ITEM|" for each item. */
static int collect(void *arg, json_t *item, unsigned long line)
{
    got_t *g = arg;
    char *s = json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    g->len += (size_t)snprintf(g->text + g->len, sizeof g->text - g->len, "%lu:%s|", line, s);
    free(s);
    return 0;
}

static int run(const char *name, const char *text, size_t len, datafile_format_t format,
               datafile_format_t *read, got_t *got, char *err, size_t errlen)
{
    guard_t g;
    guard_place(&g, text, len);
    memset(got, 0, sizeof *got);
    int rc = datafile_read(g.data, len, format, name, collect, got, read, err, errlen);
    guard_free(&g);
    return rc;
}

static void read_is(const char *name, const char *text, datafile_format_t format,
                    datafile_format_t want_format, const char *want)
{
    got_t got;
    char err[512] = "";
    datafile_format_t read = DATAFILE_AUTO;
    int rc = run(name, text, strlen(text), format, &read, &got, err, sizeof err);
    if (rc)
        fail_msg("%s: %s", name, err);
    if (strcmp(got.text, want) != 0)
        fail_msg("%s: items %s\n    wanted %s", name, got.text, want);
    assert_int_equal(read, want_format);
}

/* Every message is UTF-8 text, whatever bytes the file held. */
static void utf8_text(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t c = jtok_utf8((const unsigned char *)s + i, n - i);
        if (c == 0 || (c == 1 && (unsigned char)s[i] < 0x20))
            fail_msg("byte %zu of the message is not text: %s", i, s);
        i += c;
    }
}

static void fails_len(const char *name, const char *text, size_t len, datafile_format_t format,
                      const char *want)
{
    got_t got;
    char err[1024] = "";
    assert_int_equal(run(name, text, len, format, NULL, &got, err, sizeof err), EINVAL);
    if (strcmp(err, want) != 0)
        fail_msg("error  %s\n    wanted %s", err, want);
    utf8_text(err);
}

static void fails(const char *name, const char *text, datafile_format_t format, const char *want)
{
    fails_len(name, text, strlen(text), format, want);
}

static void test_jsonl(void **state)
{
    (void)state;
    read_is("d.jsonl", "1\n\n{\"a\": [1, 2]}\r\n  \"x\"", DATAFILE_AUTO, DATAFILE_JSONL,
            "1:1|3:{\"a\":[1,2]}|4:\"x\"|");
    read_is("d.jsonl", "\xEF\xBB\xBF\"bom\"\n", DATAFILE_AUTO, DATAFILE_JSONL, "1:\"bom\"|");
    /* Files joined with cat: each one's byte order mark starts a line. */
    read_is("d.jsonl",
            "\xEF\xBB\xBF"
            "1\n\xEF\xBB\xBF"
            "2\n",
            DATAFILE_AUTO, DATAFILE_JSONL, "1:1|2:2|");
    /* A line that is a whole array is one item, in a .jsonl file or stdin. */
    read_is("d.jsonl", "[1, 2]\n[3]\n", DATAFILE_AUTO, DATAFILE_JSONL, "1:[1,2]|2:[3]|");
    read_is("stdin", " [1, 2]\n", DATAFILE_AUTO, DATAFILE_JSONL, "1:[1,2]|");
    /* \u0000 in a string (scraped text has it) is sent as written. */
    read_is("d.jsonl", "{\"a\": \"x\\u0000y\"}\n", DATAFILE_AUTO, DATAFILE_JSONL,
            "1:{\"a\":\"x\\u0000y\"}|");
    /* A .csv name read as JSON Lines when told to. */
    read_is("d.csv", "\"x\"\n", DATAFILE_JSONL, DATAFILE_JSONL, "1:\"x\"|");
}

static void test_json_array(void **state)
{
    (void)state;
    /* Pretty-printed (the first line does not close the array): its elements. */
    read_is("d.jsonl", "[\n  {\"a\": 1, \"b\": [1,\n 2]},\n  2 ,\n\t\"s\",true\n]\n", DATAFILE_AUTO,
            DATAFILE_JSON, "2:{\"a\":1,\"b\":[1,2]}|4:2|5:\"s\"|5:true|");
    read_is("stdin", "\xEF\xBB\xBF\r\n[{\"a\": 1},\r\n{\"a\": 2}]", DATAFILE_AUTO, DATAFILE_JSON,
            "2:{\"a\":1}|3:{\"a\":2}|");
    /* A .json file that starts with '[' is one array, on one line too. */
    read_is("d.JSON", "[1,\"two\",[3],null]", DATAFILE_AUTO, DATAFILE_JSON,
            "1:1|1:\"two\"|1:[3]|1:null|");
    /* ... and a .json file of objects, one per line, is JSON Lines. */
    read_is("d.json", "{\"a\": 1}\n{\"a\": 2}\n", DATAFILE_AUTO, DATAFILE_JSONL,
            "1:{\"a\":1}|2:{\"a\":2}|");
    read_is("stdin", "[[1, 2]]", DATAFILE_JSON, DATAFILE_JSON, "1:[1,2]|");
}

static void test_csv(void **state)
{
    (void)state;
    /* Spaces around a header name are not part of it; values keep theirs. */
    read_is("d.csv", "text , lang\t,\" n \"\nhi, en,1\n", DATAFILE_AUTO, DATAFILE_CSV,
            "2:{\"text\":\"hi\",\"lang\":\" en\",\"n\":\"1\"}|");
    /* BOM, CRLF, quotes, a line break in a field, blank lines, no last line end. */
    read_is("D.CSV", "\xEF\xBB\xBFq,a\r\n\"x, \"\"y\"\"\",\"1\r\n2\"\r\n\r\nz,\n\n", DATAFILE_AUTO,
            DATAFILE_CSV,
            "2:{\"q\":\"x, \\\"y\\\"\",\"a\":\"1\\r\\n2\"}|5:{\"q\":\"z\",\"a\":\"\"}|");
    read_is("stdin", "a\nx", DATAFILE_CSV, DATAFILE_CSV, "2:{\"a\":\"x\"}|");
}

/* A line of `pad` copies of filler, then tail. */
static char *long_line(const char *head, const char *filler, int pad, const char *tail)
{
    size_t n = strlen(head) + strlen(filler) * (size_t)pad + strlen(tail) + 1;
    char *s = malloc(n);
    strcpy(s, head);
    for (int i = 0; i < pad; i++)
        strcat(s, filler);
    strcat(s, tail);
    return s;
}

static void test_json_errors(void **state)
{
    (void)state;
    /* Short lines: the column, no excerpt. */
    fails("d.jsonl", "1\n{\"a\":1,}\n", DATAFILE_AUTO,
          "d.jsonl:2:8: not a JSON value: string or '}' expected near '}'");
    fails("d.jsonl", "{\"a\": \"x\" \"y\"}", DATAFILE_AUTO,
          "d.jsonl:1:11: not a JSON value: '}' expected near '\"y\"'");
    fails("d.jsonl", "{\"a\":1,\"a\":2}", DATAFILE_AUTO,
          "d.jsonl:1:8: not a JSON value: duplicate object key near '\"a\"'");
    fails("d.jsonl", "\"\xC3\xA9\xC3\xA9\t\"", DATAFILE_AUTO,
          "d.jsonl:1:4: not a JSON value: control character 0x9 near '\"\xC3\xA9\xC3\xA9'");
    /* What to do: plain text or CSV; two values; a value cut or spread over lines. */
    fails("d.jsonl", "\"ok\"\nhello world\n", DATAFILE_AUTO,
          "d.jsonl:2:1: not a JSON value: invalid token near 'hello' (JSON Lines: one JSON value "
          "per line, text quoted (jq -R . quotes plain lines); CSV needs a file name ending in "
          ".csv or --inputs-format csv)");
    fails("stdin", "text,lang\n", DATAFILE_AUTO,
          "stdin:1:1: not a JSON value: invalid token near 'text' (JSON Lines: one JSON value per "
          "line, text quoted (jq -R . quotes plain lines); CSV needs a file name ending in .csv "
          "or --inputs-format csv)");
    fails("d.jsonl", "{\"a\": 1} {\"b\": 2}", DATAFILE_AUTO,
          "d.jsonl:1:10: not a JSON value: text after the value (JSON Lines: one JSON value per "
          "line, nothing after it)");
    fails("d.jsonl", "{\"a\": 1},\n", DATAFILE_AUTO,
          "d.jsonl:1:9: not a JSON value: text after the value (JSON Lines: one JSON value per "
          "line, nothing after it)");
    /* Python's str() of a dict, and its json.dumps of NaN */
    fails("d.jsonl", "{'a': 1}", DATAFILE_AUTO,
          "d.jsonl:1:2: not a JSON value: string or '}' expected near ''' (JSON strings take "
          "double quotes: Python's print(dict) or str(dict) is not JSON, json.dumps(dict) is)");
    fails("d.jsonl", "[1, None]", DATAFILE_AUTO,
          "d.jsonl:1:5: not a JSON value: invalid token near 'None' (JSON writes true, false and "
          "null: Python's str(dict) is not JSON, json.dumps(dict) is)");
    fails("d.jsonl", "{\"x\": -Infinity}", DATAFILE_AUTO,
          "d.jsonl:1:7: not a JSON value: invalid token near '-' (JSON has no NaN or Infinity "
          "(Python's json.dumps writes them unless allow_nan=False): write null or a number)");
    fails("d.jsonl", "[1, 123456789012345678901234]", DATAFILE_AUTO,
          "d.jsonl:1:28: not a JSON value: too big integer (integers are read into 64 bits: write "
          "a larger one as a string)");
    fails("d.jsonl", "{\n  \"a\": 1\n}\n", DATAFILE_AUTO,
          "d.jsonl:1:2: not a JSON value: string or '}' expected near end of file (the line ends "
          "inside the value: JSON Lines holds each value whole on one line (jq -c . rewrites "
          "pretty-printed JSON so))");
    fails("d.jsonl", "{\"a\": \"abc\r\n", DATAFILE_AUTO,
          "d.jsonl:1:7: not a JSON value: premature end of input near '\"abc' (the line ends "
          "inside the value: JSON Lines holds each value whole on one line (jq -c . rewrites "
          "pretty-printed JSON so))");
    /* A long line: the column of the bad token, and the line around it. */
    char *s = long_line("1\n{\"m\": [{\"c\": \"", "x", 3000, "\xC3\xA9\xC3\xA9\"yyyy\"}]}\n");
    fails("d.jsonl", s, DATAFILE_AUTO,
          "d.jsonl:2:3018: not a JSON value: '}' expected near 'yyyy', at: "
          "...xxxxxxxxxxxxxxxxxxxxxxxxxxx\xC3\xA9\xC3\xA9\"yyyy\"}]}");
    free(s);
    /* One bad byte in a long line: shown escaped, with the conversion to make. */
    s = long_line("{\"c\": \"", "ab", 100, "\xFF tail of the line that goes on and on\"}");
    fails("d.jsonl", s, DATAFILE_AUTO,
          "d.jsonl:1:208: not a JSON value: unable to decode byte 0xff, at: "
          "...abababababababababababababababab\\xFF tail of the li... (the file must be UTF-8: "
          "iconv -f cp1252 -t utf-8 converts a Windows (Excel) "
          "export)");
    free(s);
    /* The excerpt never cuts a character: 32 bytes back from the error is
     * the second byte of an e-acute here, so it starts one byte earlier. */
    s = long_line("[\"", "\xC3\xA9", 60, "\" x]");
    fails("d.jsonl", s, DATAFILE_AUTO,
          "d.jsonl:1:65: not a JSON value: ']' expected near 'x', at: ..."
          "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
          "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\" x]");
    free(s);
    /* An invisible byte order mark inside a message is shown as \uFEFF. */
    fails("d.jsonl", "[\"\xEF\xBB\xBF\t\"]", DATAFILE_AUTO,
          "d.jsonl:1:4: not a JSON value: control character 0x9 near '\"\\uFEFF'");
    fails_len("d.jsonl", "[\"\xC3\xA9\"]\n\x01\n", 9, DATAFILE_AUTO,
              "d.jsonl:2:1: not a JSON value: invalid token near '\\x01' (JSON Lines: one JSON "
              "value per line, text quoted (jq -R . quotes plain lines); CSV needs a file name "
              "ending in .csv or --inputs-format csv)");
}

static void test_json_array_errors(void **state)
{
    (void)state;
    fails("d.json", "[1,\n 2,\n]", DATAFILE_AUTO,
          "d.json:3:1: a comma before ']' (JSON has no trailing comma)");
    fails("d.json", "[1 2]", DATAFILE_AUTO,
          "d.json:1:4: ',' or ']' expected after the array's item");
    fails("d.json", "[1,\n{\"a\":}]", DATAFILE_AUTO,
          "d.json:2:6: not valid JSON: unexpected token near '}'");
    fails("d.json", "[1,", DATAFILE_AUTO, "d.json:1:4: the array is not closed: ']' expected");
    fails("d.json", "[\n1\n", DATAFILE_AUTO, "d.json:3:1: the array is not closed: ']' expected");
    fails("d.json", "[1]\n[2]\n", DATAFILE_AUTO,
          "d.json:2:1: text after the array's closing ']' (a .json file is one JSON array of "
          "items; JSON Lines are named .jsonl or given with --inputs-format jsonl)");
    fails("d.json", "[]", DATAFILE_AUTO, "d.json: no inputs (the array is empty)");
    fails("d.json", "\n", DATAFILE_JSON, "d.json: no inputs (the file is empty)");
    fails("stdin", "\n {\"a\": 1}", DATAFILE_JSON,
          "stdin:2:2: '[' expected (--inputs-format json takes one JSON array of items)");
}

static void test_csv_errors(void **state)
{
    (void)state;
    fails("d.csv", "a,b\n1,2\n\"multi\nline\",2\n1,2,3\n", DATAFILE_AUTO,
          "d.csv:5:5: 3 fields, but the header names 2 (a field with a comma in it is quoted: "
          "\"a, b\")");
    fails("d.csv", "a,b\r\n1,2,\r\n", DATAFILE_AUTO,
          "d.csv:2:5: 3 fields, but the header names 2 (a comma at the end of the line starts one "
          "more, empty field)");
    fails("d.csv", "a,b\r1,2\r", DATAFILE_AUTO,
          "d.csv:1:4: a CR that does not end a line (its lines end with CR alone, as old Mac files "
          "do: tr '\\r' '\\n' converts it)");
    fails("d.csv", "a,b\n1,2\n\"1\"\n", DATAFILE_AUTO,
          "d.csv:3:4: 1 field, but the header names 2 (every column takes a value, an empty one "
          "too: a,,c)");
    fails("d.csv", "a,b\n1,2\n\n\n3,\"open\n4,5\n", DATAFILE_AUTO,
          "d.csv:5:3: a quoted field is not closed");
    fails("d.csv", "a,b\n1,x\"y\n", DATAFILE_AUTO,
          "d.csv:2:4: a quote inside an unquoted field (quote the field and write the quote as "
          "\"\")");
    fails("d.csv", "a,b\n1, \"y\"\n", DATAFILE_AUTO,
          "d.csv:2:4: a space before a field's opening quote (a quoted field starts right after "
          "the comma: a,\"b\")");
    fails("d.csv", "a, a\n1,2\n", DATAFILE_AUTO,
          "d.csv:1:3: two columns are named \"a\" (columns 1 and 2)");
    fails("d.csv", "a,,c\n1,2,3\n", DATAFILE_AUTO, "d.csv:1:3: column 2 of the header has no name");
    fails("d.csv", "a,b,\n1,2,\n", DATAFILE_AUTO,
          "d.csv:1:5: column 3 of the header has no name (a comma ends the header line)");
    fails("d.csv", "\na,b\n", DATAFILE_AUTO,
          "d.csv:1:1: the first line is blank: the header row, naming the columns, comes first");
    fails("d.csv", "a,b\n", DATAFILE_AUTO, "d.csv: no inputs (the file has a header but no rows)");
    fails("d.csv", "", DATAFILE_AUTO, "d.csv: no header row (the file is empty)");
    fails("d.csv", "a,b\nok,caf\xE9\n", DATAFILE_AUTO,
          "d.csv:2:7: column \"b\" is not UTF-8 text (byte 0xE9) (the file must be UTF-8: iconv -f "
          "cp1252 -t utf-8 converts a Windows (Excel) export)");
    fails("d.csv", "a,\xC3\n1,2\n", DATAFILE_AUTO,
          "d.csv:1:3: column 2 of the header is not UTF-8 text (byte 0xC3) (the file must be "
          "UTF-8: iconv -f cp1252 -t utf-8 converts a Windows (Excel) export)");
    fails_len("d.csv", "a\nx\0y\n", 6, DATAFILE_AUTO,
              "d.csv:2:2: column \"a\" has a NUL byte (a UTF-16 file has one in every ASCII "
              "character: iconv -f utf-16 -t utf-8)");
    fails_len("d.csv",
              "\xFF\xFE"
              "a\0\n\0",
              6, DATAFILE_AUTO,
              "d.csv: the file is UTF-16 (it starts with a UTF-16 byte order mark); tailgate "
              "reads UTF-8 text: iconv -f utf-16 -t utf-8 converts it");
    fails_len("d.jsonl.gz", "\x1F\x8B\x08\0", 4, DATAFILE_AUTO,
              "d.jsonl.gz: the file is gzip-compressed; tailgate reads UTF-8 text: gunzip -c "
              "d.jsonl.gz | tailgate run ... --inputs - (with --inputs-format csv for CSV)");
    fails("d.xlsx", "PK\x03\x04...", DATAFILE_AUTO,
          "d.xlsx: the file is a zip archive (an Excel workbook?); tailgate reads UTF-8 text: save "
          "the sheet as \"CSV UTF-8\", or unzip it");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_json_array),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_json_array_errors),
        cmocka_unit_test(test_csv_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
