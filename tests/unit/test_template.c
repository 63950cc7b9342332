/* template: every placeholder kind, compaction, error positions, text modes,
 * binding to data files, and that renders stay inside template_max_len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "load/inputs.h"
#include "load/template.h"
#include "guard.h"

static char *write_tmp(const char *text, const char *suffix)
{
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/tg_tmpl_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static inputs_t *load(const char *text, const char *suffix)
{
    char *path = write_tmp(text, suffix);
    inputs_t *in = NULL;
    char err[256] = "";
    int rc = inputs_load(path, DATAFILE_AUTO, &in, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    unlink(path);
    free(path);
    return in;
}

static template_t *compile_mode(const char *text, template_mode_t mode, const char *model)
{
    template_t *t = NULL;
    char err[256] = "";
    int rc = template_compile(text, strlen(text), mode, model, &t, err, sizeof err);
    if (rc)
        fail_msg("%s: %s", text, err);
    return t;
}

static template_t *compile(const char *text)
{
    return compile_mode(text, TEMPLATE_JSON, "m");
}

/* Renders into a buffer of exactly template_max_len bytes that ends at an
 * unmapped page, compares with `want`, and (JSON) parses it back. */
static void renders(const template_t *t, template_mode_t mode, uint64_t first, uint64_t stride,
                    unsigned n, uint64_t id, const char *want)
{
    template_req_t req = {.first = first, .stride = stride, .n = n, .request_id = id};
    size_t max = template_max_len(t, n);
    guard_t g;
    guard_map(&g, max);
    char *buf = g.data - max;
    size_t len = template_render(t, &req, buf);
    assert_true(len <= max);
    if (len != strlen(want) || memcmp(buf, want, len) != 0)
        fail_msg("rendered %.*s\n    wanted %s", (int)len, buf, want);
    if (mode == TEMPLATE_JSON) {
        json_error_t je;
        json_t *j = json_loadb(buf, len, JSON_DECODE_ANY, &je);
        if (!j)
            fail_msg("not JSON (%s): %.*s", je.text, (int)len, buf);
        json_decref(j);
    }
    guard_free(&g);
}

static void compile_fails(const char *text, template_mode_t mode, const char *want)
{
    template_t *t = NULL;
    char err[256] = "";
    assert_int_equal(template_compile(text, strlen(text), mode, "m", &t, err, sizeof err), EINVAL);
    assert_null(t);
    if (strncmp(err, want, strlen(want)) != 0 && !strstr(err, want))
        fail_msg("template %s\n    error  %s\n    wanted %s", text, err, want);
}

static void test_literal_compacted(void **state)
{
    (void)state;
    template_t *t =
        compile(" {\n \"a\" : [1, -2.5e3 , true,null, \"x y\\n\\u00e9\"],\r\n\t\"b\": {} ,"
                "\"c\":[ ] }  \n");
    assert_int_equal(template_flags(t), 0);
    renders(t, TEMPLATE_JSON, 0, 1, 1, 0,
            "{\"a\":[1,-2.5e3,true,null,\"x y\\n\\u00e9\"],\"b\":{},\"c\":[]}");
    template_free(t);
    t = compile("\"just a string\"");
    renders(t, TEMPLATE_JSON, 0, 1, 1, 0, "\"just a string\"");
    template_free(t);
    /* Braces inside a string that are not a placeholder are text. */
    t = compile("{\"a\":\"use {{braces}} and {{ or }}\"}");
    renders(t, TEMPLATE_JSON, 0, 1, 1, 0, "{\"a\":\"use {{braces}} and {{ or }}\"}");
    template_free(t);
    /* A file saved with a byte order mark: the mark is not sent, and error
     * columns count from after it. */
    t = compile("\xEF\xBB\xBF{\"n\": {{batch}}}\r\n");
    renders(t, TEMPLATE_JSON, 0, 1, 3, 0, "{\"n\":3}");
    template_free(t);
    compile_fails("\xEF\xBB\xBF{\"a\": {{nope}}}", TEMPLATE_JSON, "1:7: unknown placeholder");
}

static void test_item_and_items(void **state)
{
    (void)state;
    inputs_t *in = load("\"a\"\n{\"p\": \"x\", \"n\": 1}\n[1, 2]\n7\n", ".jsonl");
    char err[256];
    template_t *t = compile("{\"one\": {{item}}, \"seq\": {{ seq }}}");
    assert_int_equal(template_flags(t), TEMPLATE_READS_ITEM | TEMPLATE_VARIES);
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), 0);
    renders(t, TEMPLATE_JSON, 0, 1, 1, 0, "{\"one\":\"a\",\"seq\":0}");
    renders(t, TEMPLATE_JSON, 1, 1, 1, 0, "{\"one\":{\"p\":\"x\",\"n\":1},\"seq\":1}");
    renders(t, TEMPLATE_JSON, 6, 1, 1, 0, "{\"one\":[1,2],\"seq\":6}"); /* cycles */
    template_free(t);

    t = compile("{{items}}");
    assert_int_equal(template_flags(t), TEMPLATE_READS_ITEMS | TEMPLATE_VARIES);
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), 0);
    renders(t, TEMPLATE_JSON, 0, 1, 1, 0, "[\"a\"]");
    renders(t, TEMPLATE_JSON, 0, 1, 4, 0, "[\"a\",{\"p\":\"x\",\"n\":1},[1,2],7]");
    /* A thread's items: first, first + stride, ... */
    renders(t, TEMPLATE_JSON, 1, 2, 3, 0, "[{\"p\":\"x\",\"n\":1},7,{\"p\":\"x\",\"n\":1}]");
    template_free(t);
    inputs_free(in);
}

static void test_fields(void **state)
{
    (void)state;
    inputs_t *in = load("{\"p\":\"x\",\"a\":{\"b\":[10,{\"c\":true}]},\"max\":8}\n"
                        "{\"p\":\"y\",\"a\":{\"b\":[20,{\"c\":false}]}}\n",
                        ".jsonl");
    char err[256] = "";
    template_t *t = compile("{\"p\":{{item.p}},\"b0\":{{item.a.b.0}},\"c\":{{ item.a.b.1.c }},"
                            "\"max\":{{item.max ?? 16}},\"obj\":{{item.a ?? {\"d\": [1]}}}}");
    assert_int_equal(template_flags(t),
                     TEMPLATE_READS_ITEM | TEMPLATE_READS_FIELDS | TEMPLATE_VARIES);
    if (template_bind(t, in, 0, err, sizeof err))
        fail_msg("%s", err);
    renders(t, TEMPLATE_JSON, 0, 1, 1, 0,
            "{\"p\":\"x\",\"b0\":10,\"c\":true,\"max\":8,\"obj\":{\"b\":[10,{\"c\":true}]}}");
    renders(t, TEMPLATE_JSON, 1, 1, 1, 0,
            "{\"p\":\"y\",\"b0\":20,\"c\":false,\"max\":16,\"obj\":{\"b\":[20,{\"c\":false}]}}");
    template_free(t);

    t = compile("{\"ps\":{{items.p}},\"ms\":{{items.max??null}},\"again\":{{items.p}}}");
    assert_int_equal(template_flags(t),
                     TEMPLATE_READS_ITEMS | TEMPLATE_READS_FIELDS | TEMPLATE_VARIES);
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), 0);
    renders(t, TEMPLATE_JSON, 0, 1, 3, 0,
            "{\"ps\":[\"x\",\"y\",\"x\"],\"ms\":[8,null,8],\"again\":[\"x\",\"y\",\"x\"]}");
    template_free(t);
    inputs_free(in);
}

static void test_model_request_id_seq_batch(void **state)
{
    (void)state;
    inputs_t *in = NULL;
    char err[256];
    assert_int_equal(inputs_generated(&in), 0);
    template_t *t = NULL;
    const char *text = "{\"model\":{{model}},\"id\":{{request_id}},\"seq\":{{seq}},"
                       "\"n\":{{batch}},\"in\":{{items}},\"m2\":{{model}}}";
    assert_int_equal(
        template_compile(text, strlen(text), TEMPLATE_JSON, "org/\"q\" é", &t, err, sizeof err), 0);
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), 0);
    renders(t, TEMPLATE_JSON, 5, 1, 2, 17,
            "{\"model\":\"org/\\\"q\\\" é\",\"id\":\"17\",\"seq\":5,\"n\":2,"
            "\"in\":[\"input-5\",\"input-6\"],\"m2\":\"org/\\\"q\\\" é\"}");
    /* {{seq}} is a JSON number: jansson (and most readers) stop at INT64_MAX. */
    renders(t, TEMPLATE_JSON, INT64_MAX, 1, 1, UINT64_MAX,
            "{\"model\":\"org/\\\"q\\\" é\",\"id\":\"18446744073709551615\","
            "\"seq\":9223372036854775807,\"n\":1,\"in\":[\"input-9223372036854775807\"],"
            "\"m2\":\"org/\\\"q\\\" é\"}");
    template_free(t);
    /* {{model}} alone is folded: nothing varies. */
    t = compile("{\"model\":{{model}}}");
    assert_int_equal(template_flags(t), 0);
    renders(t, TEMPLATE_JSON, 0, 1, 1, 0, "{\"model\":\"m\"}");
    template_free(t);
    inputs_free(in);
}

static void test_text_modes(void **state)
{
    (void)state;
    template_t *t = compile_mode("/v2/models/{{model}}/infer", TEMPLATE_PATH, "org/My Model~1");
    assert_int_equal(template_flags(t), 0);
    renders(t, TEMPLATE_PATH, 0, 1, 1, 0, "/v2/models/org%2FMy%20Model~1/infer");
    template_free(t);
    t = compile_mode("/x?id={{request_id}}&seq={{seq}}&n={{batch}}", TEMPLATE_PATH, NULL);
    renders(t, TEMPLATE_PATH, 3, 1, 2, 99, "/x?id=99&seq=3&n=2");
    template_free(t);
    t = compile_mode("tg-{{request_id}} for {{model}}", TEMPLATE_HEADER, "org/My Model");
    assert_int_equal(template_flags(t), TEMPLATE_VARIES);
    renders(t, TEMPLATE_HEADER, 0, 1, 1, 42, "tg-42 for org/My Model");
    template_free(t);
    t = compile_mode("", TEMPLATE_HEADER, NULL);
    renders(t, TEMPLATE_HEADER, 0, 1, 1, 42, "");
    template_free(t);

    compile_fails("/v1/{{item}}", TEMPLATE_PATH, "1:5: {{item}} cannot go into a URL path");
    compile_fails("a\tb", TEMPLATE_HEADER, "1:2: a control character");
    compile_fails("x {{nope}}", TEMPLATE_HEADER, "1:3: unknown placeholder {{nope}}");
    template_t *bad = NULL;
    char err[256];
    assert_int_equal(
        template_compile("{{model}}", 9, TEMPLATE_HEADER, "a\r\nb", &bad, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "control character"));
    assert_int_equal(template_compile("{{model}}", 9, TEMPLATE_JSON, "\xff", &bad, err, sizeof err),
                     EINVAL);
    assert_non_null(strstr(err, "UTF-8"));
}

static void test_error_positions(void **state)
{
    (void)state;
    compile_fails("{\"a\": {{nope}}}", TEMPLATE_JSON, "1:7: unknown placeholder {{nope}}");
    compile_fails("{\"a\": \"{{item}}\"}", TEMPLATE_JSON, "1:8: a placeholder inside a string");
    compile_fails("{\"a\": \"x {{ item.prompt }} y\"}", TEMPLATE_JSON,
                  "1:10: a placeholder inside a string");
    compile_fails("{\n  \"a\": {{item}} \"b\": 1}", TEMPLATE_JSON,
                  "2:17: expected ',' or '}' after an object member, found '\"'");
    compile_fails("{ {{item}}: 1}", TEMPLATE_JSON, "1:3: a placeholder cannot be an object key");
    compile_fails("{\"a\": {{item", TEMPLATE_JSON,
                  "1:13: expected '}}' to close the placeholder, found the end");
    compile_fails("{\"a\": {{item}x}", TEMPLATE_JSON,
                  "1:13: expected '}}' to close the placeholder, found '}'");
    compile_fails("{\"a\": {{items.user prompt}}}", TEMPLATE_JSON,
                  "1:20: a field name has no spaces: 'user prompt' cannot be named here; rename "
                  "the field (the CSV column) in the data file, as user_prompt");
    compile_fails("{\"a\": {{item.}}}", TEMPLATE_JSON, "1:7: the field path");
    compile_fails("{\"a\": {{item.a..b}}}", TEMPLATE_JSON, "1:7: the field path");
    compile_fails("{\"a\": {{}}}", TEMPLATE_JSON, "1:7: a placeholder name must follow");
    compile_fails("[1, 2,]", TEMPLATE_JSON, "1:7: expected a JSON value, found ']'");
    compile_fails("[1 2]", TEMPLATE_JSON, "1:4: expected ',' or ']' after an array element");
    compile_fails("{\"a\": 01}", TEMPLATE_JSON, "1:7: a number runs into '1'");
    compile_fails("{\"a\": 1.}", TEMPLATE_JSON, "1:9: a number needs digits after '.'");
    compile_fails("{\"a\": 1e999}", TEMPLATE_JSON, "1:7: the number 1e999 is out of range");
    compile_fails("{\"a\": 99999999999999999999}", TEMPLATE_JSON, "1:7: the number");
    compile_fails("{\"a\": \"x\x01\"}", TEMPLATE_JSON, "1:9: a control character in a string");
    compile_fails("{\"a\": \"\\u0000\"}", TEMPLATE_JSON, "1:8: \\u0000 is not allowed");
    compile_fails("{\"a\": \"\\ud800\"}", TEMPLATE_JSON, "1:8: a UTF-16 high surrogate");
    compile_fails("{\"a\": \"\\q\"}", TEMPLATE_JSON, "1:8: an invalid escape");
    compile_fails("{\"a\": \"\xc3\"}", TEMPLATE_JSON, "1:8: a string is not valid UTF-8");
    compile_fails("{\"a\": \"open}", TEMPLATE_JSON, "1:7: a string is not closed");
    compile_fails("{\"a\": tru}", TEMPLATE_JSON, "1:7: expected a JSON value");
    compile_fails("{\"a\": nullx}", TEMPLATE_JSON, "1:7: expected a JSON value");
    compile_fails("{\"a\": {{model ?? 1}}}", TEMPLATE_JSON, "1:15: only an item field");
    compile_fails("{\"a\": {{item.x ?? {{item}}}}}", TEMPLATE_JSON,
                  "1:19: a default cannot hold a placeholder");
    compile_fails("{\"a\": {{item.x ?? [1,}}}", TEMPLATE_JSON, "1:22: expected a JSON value");
    compile_fails("", TEMPLATE_JSON, "1:1: expected a JSON value, found the end of the template");
    compile_fails("{} x", TEMPLATE_JSON, "1:4: unexpected text after the JSON document");
    compile_fails("{\"a\" 1}", TEMPLATE_JSON, "1:6: expected ':' after an object key, found '1'");
    compile_fails("{1: 1}", TEMPLATE_JSON, "1:2: expected a string key, found '1'");
    compile_fails("{\"a\": @}", TEMPLATE_JSON, "1:7: expected a JSON value, found '@'");
    /* Columns count characters, not bytes. */
    compile_fails("{\"é\": {{bad}}}", TEMPLATE_JSON, "1:7: unknown placeholder");
    compile_fails("{\"a\":\r\n\r\n  [\n  {{x}}]}", TEMPLATE_JSON, "4:3: unknown placeholder");
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    template_t *t = NULL;
    char err[256];
    assert_int_equal(template_compile(deep, sizeof deep, TEMPLATE_JSON, "m", &t, err, sizeof err),
                     EINVAL);
    assert_non_null(strstr(err, "nested deeper"));
}

static void test_bind_errors(void **state)
{
    (void)state;
    char err[256] = "";
    inputs_t *in = load("{\"prompt\":\"a\"}\n\n{\"text\":\"b\"}\n", ".jsonl");
    template_t *t = compile("{\"p\":{{item.prompt}}}");
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, ".jsonl:3: the item has no field \"prompt\""));
    template_free(t);
    inputs_free(in);

    in = load("prompt,max_tokens\nhello,16\n\"a, b\",many\n", ".csv");
    t = compile("{\"p\":{{item.prompt}},\"m\":{{item.max_tokens ?? 16}}}");
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, ".csv:2: field \"max_tokens\" is \"16\" (a string), but its "
                                "default 16 is a number"));
    template_free(t);
    t = compile("{\"p\":{{item.prompt}},\"m\":{{item.max_tokens ?? \"16\"}}}");
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), 0);
    renders(t, TEMPLATE_JSON, 1, 1, 1, 0, "{\"p\":\"a, b\",\"m\":\"many\"}");
    template_free(t);
    inputs_free(in);

    assert_int_equal(inputs_generated(&in), 0);
    t = compile("{\"p\":{{item.prompt}}}");
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "generated items are strings"));
    template_free(t);
    t = compile("{\"p\":{{item}}}");
    assert_int_equal(template_bind(t, NULL, 0, err, sizeof err), EINVAL);
    template_free(t);
    /* A template without items needs none. */
    t = compile("{\"p\":{{seq}}}");
    assert_int_equal(template_bind(t, NULL, 0, err, sizeof err), 0);
    renders(t, TEMPLATE_JSON, 3, 1, 1, 0, "{\"p\":3}");
    template_free(t);
    inputs_free(in);
}

/* The longest items, the most of them: still inside template_max_len. */
static void test_max_len_is_a_bound(void **state)
{
    (void)state;
    inputs_t *in =
        load("{\"p\":\"a\",\"q\":[1,2,3]}\n{\"p\":\"a much longer prompt\",\"q\":1}\n", ".jsonl");
    char err[256];
    template_t *t =
        compile("{\"a\":{{items}},\"b\":{{items.p}},\"c\":{{items.q}},\"d\":{{item}},"
                "\"e\":{{item.p}},\"id\":{{request_id}},\"s\":{{seq}},\"n\":{{batch}}}");
    assert_int_equal(template_bind(t, in, 0, err, sizeof err), 0);
    for (unsigned n = 1; n <= 5; n++) {
        template_req_t req = {
            .first = INT64_MAX - 9, .stride = 1, .n = n, .request_id = UINT64_MAX};
        size_t max = template_max_len(t, n);
        guard_t g;
        guard_map(&g, max);
        size_t len = template_render(t, &req, g.data - max);
        assert_true(len <= max);
        json_t *j = json_loadb(g.data - max, len, 0, NULL);
        assert_non_null(j);
        assert_int_equal(json_array_size(json_object_get(j, "a")), n);
        json_decref(j);
        guard_free(&g);
    }
    template_free(t);
    inputs_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_compacted),
        cmocka_unit_test(test_item_and_items),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_model_request_id_seq_batch),
        cmocka_unit_test(test_text_modes),
        cmocka_unit_test(test_error_positions),
        cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_max_len_is_a_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
