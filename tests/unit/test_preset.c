/* preset: the exact bytes each preset sends, batched and one by one, from
 * strings, objects and generated items; what each refuses. */
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

#include "load/preset.h"

static inputs_t *load(const char *text, const char *suffix)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/tg_preset_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    inputs_t *in = NULL;
    char err[256] = "";
    if (inputs_load(path, DATAFILE_AUTO, &in, err, sizeof err))
        fail_msg("%s", err);
    unlink(path);
    return in;
}

static void plan(const char *api, inputs_t *in, unsigned batch, preset_plan_t *pl)
{
    const preset_t *p = preset_find(api);
    assert_non_null(p);
    preset_args_t a = {.model = "m", .batch = batch, .inputs = in};
    preset_part_t part;
    char err[256] = "";
    if (preset_plan(p, &a, pl, &part, err, sizeof err))
        fail_msg("%s: %s", api, err);
}

/* The body of the request carrying items first .. first + n - 1. */
static void body_is(const preset_plan_t *pl, uint64_t first, unsigned n, const char *want)
{
    const template_t *t = preset_plan_body(pl, first);
    size_t max = preset_plan_max_body(pl, n);
    char *buf = malloc(max);
    template_req_t req = {.first = first, .stride = 1, .n = n, .request_id = 7};
    size_t len = template_render(t, &req, buf);
    assert_true(len <= max);
    if (len != strlen(want) || memcmp(buf, want, len) != 0)
        fail_msg("%s sent %.*s\n    wanted %s", pl->preset->name, (int)len, buf, want);
    json_t *j = json_loadb(buf, len, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    free(buf);
}

static void path_is(const preset_plan_t *pl, const char *want)
{
    char buf[256];
    template_req_t req = {.n = 1};
    assert_true(template_max_len(pl->path, 1) < sizeof buf);
    size_t len = template_render(pl->path, &req, buf);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
}

static void test_tailgate(void **state)
{
    (void)state;
    inputs_t *in = load("\"a\"\n{\"x\": 1}\n3\n", ".jsonl");
    preset_plan_t pl;
    plan("tailgate", in, 8, &pl);
    path_is(&pl, "/v1/infer");
    assert_string_equal(rpath_text(pl.outputs), "/outputs");
    body_is(&pl, 0, 1, "{\"model\":\"m\",\"inputs\":[\"a\"]}");
    body_is(&pl, 0, 3, "{\"model\":\"m\",\"inputs\":[\"a\",{\"x\":1},3]}");
    preset_plan_close(&pl);
    inputs_free(in);
}

static void test_openai_completions(void **state)
{
    (void)state;
    inputs_t *in =
        load("\"hi\"\n{\"prompt\": \"p\", \"max_tokens\": 64}\n{\"prompt\": [1, 2]}\n", ".jsonl");
    preset_plan_t pl;
    plan("openai-completions", in, 1, &pl);
    path_is(&pl, "/v1/completions");
    body_is(&pl, 0, 1, "{\"model\":\"m\",\"prompt\":\"hi\",\"max_tokens\":16,\"stream\":false}");
    body_is(&pl, 1, 1, "{\"model\":\"m\",\"prompt\":\"p\",\"max_tokens\":64,\"stream\":false}");
    body_is(&pl, 2, 1, "{\"model\":\"m\",\"prompt\":[1,2],\"max_tokens\":16,\"stream\":false}");
    preset_plan_close(&pl);
    inputs_free(in);
}

static void test_openai_chat(void **state)
{
    (void)state;
    inputs_t *in = load("\"hi\"\n"
                        "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, "
                        "{\"role\": \"user\", \"content\": \"why\"}], \"max_tokens\": 5}\n",
                        ".jsonl");
    preset_plan_t pl;
    plan("openai-chat", in, 1, &pl);
    path_is(&pl, "/v1/chat/completions");
    assert_string_equal(rpath_text(pl.outputs), "/choices/*/message/content");
    body_is(&pl, 0, 1,
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            "\"max_tokens\":16,\"stream\":false}");
    body_is(&pl, 1, 1,
            "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
            "{\"role\":\"user\",\"content\":\"why\"}],\"max_tokens\":5,\"stream\":false}");
    preset_plan_close(&pl);
    inputs_free(in);

    /* Generated items are strings: the string body, and no fields needed. */
    assert_int_equal(inputs_generated(&in), 0);
    plan("openai-chat", in, 1, &pl);
    assert_null(pl.body_object);
    body_is(&pl, 3, 1,
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"input-3\"}],"
            "\"max_tokens\":16,\"stream\":false}");
    preset_plan_close(&pl);
    inputs_free(in);
}

static void plan_fails(const char *api, preset_args_t *a, preset_part_t want_part,
                       const char *want);

static void test_openai_embeddings(void **state)
{
    (void)state;
    inputs_t *in = load("\"a\"\n\"c\"\n", ".jsonl");
    preset_plan_t pl;
    plan("openai-embeddings", in, 16, &pl);
    path_is(&pl, "/v1/embeddings");
    body_is(&pl, 0, 1, "{\"model\":\"m\",\"input\":[\"a\"]}");
    body_is(&pl, 0, 3, "{\"model\":\"m\",\"input\":[\"a\",\"c\",\"a\"]}");
    preset_plan_close(&pl);
    inputs_free(in);
    in = load("[101, 102]\n[7]\n", ".jsonl");
    plan("openai-embeddings", in, 16, &pl);
    body_is(&pl, 0, 2, "{\"model\":\"m\",\"input\":[[101,102],[7]]}");
    preset_plan_close(&pl);
    inputs_free(in);
    /* The API takes texts or token id lists, not a mix: one at a time, any. */
    in = load("\"a\"\n[101, 102]\n\"c\"\n", ".jsonl");
    plan("openai-embeddings", in, 1, &pl);
    body_is(&pl, 1, 1, "{\"model\":\"m\",\"input\":[[101,102]]}");
    preset_plan_close(&pl);
    preset_args_t a = {.model = "m", .batch = 2, .inputs = in};
    plan_fails("openai-embeddings", &a, PRESET_PART_INPUTS,
               ".jsonl:2: the item is token ids, but line 1's is a text: openai-embeddings takes a "
               "batch of texts or a batch of token ids, not both");
    inputs_free(in);
    const char *bad[] = {"[\"a\", \"b\"]\n", "[]\n", "[1, 2.5]\n", "[-1]\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        in = load(bad[i], ".jsonl");
        a.inputs = in;
        a.batch = 1;
        plan_fails("openai-embeddings", &a, PRESET_PART_INPUTS,
                   ".jsonl:1: the item is an array, but not of token ids");
        inputs_free(in);
    }
}

static void test_kserve_v2(void **state)
{
    (void)state;
    inputs_t *in = load("text\nfirst\n\"quoted, text\"\n", ".csv");
    preset_plan_t pl;
    const preset_t *p = preset_find("kserve-v2");
    preset_args_t a = {.model = "bert base", .batch = 4, .inputs = in};
    preset_part_t part;
    char err[256] = "";
    /* CSV rows are objects: kserve-v2 takes strings. */
    assert_int_equal(preset_plan(p, &a, &pl, &part, err, sizeof err), EINVAL);
    assert_int_equal(part, PRESET_PART_INPUTS);
    assert_non_null(strstr(err, ".csv:2: the item is an object; kserve-v2 takes strings"));
    inputs_free(in);

    in = load("\"first\"\n\"second\"\n\"third\"\n", ".jsonl");
    a.inputs = in;
    assert_int_equal(preset_plan(p, &a, &pl, &part, err, sizeof err), 0);
    path_is(&pl, "/v2/models/bert%20base/infer");
    body_is(&pl, 0, 1,
            "{\"id\":\"7\",\"inputs\":[{\"name\":\"input\",\"shape\":[1],\"datatype\":\"BYTES\","
            "\"data\":[\"first\"]}]}");
    body_is(&pl, 0, 3,
            "{\"id\":\"7\",\"inputs\":[{\"name\":\"input\",\"shape\":[3],\"datatype\":\"BYTES\","
            "\"data\":[\"first\",\"second\",\"third\"]}]}");
    preset_plan_close(&pl);
    inputs_free(in);
}

static void test_tgi(void **state)
{
    (void)state;
    inputs_t *in = load("prompt,max_tokens\nhi,3\n", ".csv");
    preset_plan_t pl;
    const preset_t *p = preset_find("tgi");
    preset_args_t a = {.model = "m", .batch = 1, .inputs = in};
    preset_part_t part;
    char err[256] = "";
    /* CSV fields are strings; max_new_tokens must be a number. */
    assert_int_equal(preset_plan(p, &a, &pl, &part, err, sizeof err), EINVAL);
    assert_int_equal(part, PRESET_PART_INPUTS);
    assert_non_null(strstr(err, ".csv:2: field \"max_tokens\" is \"3\" (a string)"));
    inputs_free(in);

    in = load("\"hi\"\n{\"prompt\":\"p\",\"max_tokens\":3}\n", ".jsonl");
    plan("tgi", in, 1, &pl);
    path_is(&pl, "/generate");
    assert_true(rpath_single(pl.outputs));
    body_is(&pl, 0, 1, "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":16}}");
    body_is(&pl, 1, 1, "{\"inputs\":\"p\",\"parameters\":{\"max_new_tokens\":3}}");
    preset_plan_close(&pl);
    inputs_free(in);
}

/* The streamed bodies: "stream": true and the usage that counts the tokens
 * (OpenAI), TGI's streaming route with the details that count them; the
 * APIs without streamed answers keep their bodies. */
static void streamed_plan(const char *api, inputs_t *in, preset_plan_t *pl)
{
    preset_args_t a = {.model = "m", .batch = 1, .inputs = in, .stream = true};
    preset_part_t part;
    char err[256] = "";
    if (preset_plan(preset_find(api), &a, pl, &part, err, sizeof err))
        fail_msg("%s: %s", api, err);
}

static void test_streamed(void **state)
{
    (void)state;
    inputs_t *in = load("\"hi\"\n{\"prompt\":\"p\",\"max_tokens\":3}\n", ".jsonl");
    preset_plan_t pl;
    streamed_plan("openai-completions", in, &pl);
    path_is(&pl, "/v1/completions");
    body_is(&pl, 0, 1,
            "{\"model\":\"m\",\"prompt\":\"hi\",\"max_tokens\":16,\"stream\":true,"
            "\"stream_options\":{\"include_usage\":true}}");
    body_is(&pl, 1, 1,
            "{\"model\":\"m\",\"prompt\":\"p\",\"max_tokens\":3,\"stream\":true,"
            "\"stream_options\":{\"include_usage\":true}}");
    preset_plan_close(&pl);
    streamed_plan("tgi", in, &pl);
    path_is(&pl, "/generate_stream");
    body_is(&pl, 0, 1,
            "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":16,\"details\":true}}");
    body_is(&pl, 1, 1, "{\"inputs\":\"p\",\"parameters\":{\"max_new_tokens\":3,\"details\":true}}");
    preset_plan_close(&pl);
    inputs_free(in);

    in = load("\"hi\"\n{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}\n", ".jsonl");
    streamed_plan("openai-chat", in, &pl);
    path_is(&pl, "/v1/chat/completions");
    body_is(&pl, 0, 1,
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            "\"max_tokens\":16,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    body_is(&pl, 1, 1,
            "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"x\"}],"
            "\"max_tokens\":16,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    preset_plan_close(&pl);
    inputs_free(in);

    assert_true(preset_streams(preset_find("openai-chat")));
    assert_false(preset_streams(preset_find("tailgate")));
    assert_false(preset_streams(preset_find("openai-embeddings")));
    assert_false(preset_streams(preset_find("kserve-v2")));
    assert_string_equal(preset_path(preset_find("tgi"), false), "/generate");
    /* A preset without streamed bodies ignores the choice. */
    in = load("\"a\"\n", ".jsonl");
    streamed_plan("openai-embeddings", in, &pl);
    body_is(&pl, 0, 1, "{\"model\":\"m\",\"input\":[\"a\"]}");
    preset_plan_close(&pl);
    inputs_free(in);
}

static void plan_fails(const char *api, preset_args_t *a, preset_part_t want_part, const char *want)
{
    preset_plan_t pl;
    preset_part_t part;
    char err[256] = "";
    assert_int_equal(preset_plan(preset_find(api), a, &pl, &part, err, sizeof err), EINVAL);
    assert_int_equal(part, want_part);
    if (!strstr(err, want))
        fail_msg("%s: %s\n    wanted %s", api, err, want);
}

static void test_refusals(void **state)
{
    (void)state;
    inputs_t *in = load("\"a\"\n{\"text\":\"b\"}\n4\n", ".jsonl");
    preset_args_t a = {.model = "m", .batch = 2, .inputs = in};
    plan_fails("openai-chat", &a, PRESET_PART_BATCH,
               "openai-chat sends one input per request: give --batch 1");
    plan_fails("tgi", &a, PRESET_PART_BATCH, "tgi sends one input per request");
    a.batch = 1;
    plan_fails("openai-chat", &a, PRESET_PART_INPUTS,
               ".jsonl:3: the item is a number; openai-chat takes strings or objects");
    a.template_text = "{\"q\":{{item}}}";
    a.template_len = strlen(a.template_text);
    a.batch = 4;
    plan_fails("tailgate", &a, PRESET_PART_BATCH, "the template reads {{item}}");
    a.template_text = "{\"q\":{{items.text}}}";
    a.template_len = strlen(a.template_text);
    plan_fails("tailgate", &a, PRESET_PART_INPUTS,
               ".jsonl:1: the item is a string, not an object with a field \"text\"");
    /* A template that reads no item would leave the data file unsent. */
    a.template_text = "{\"q\":{{request_id}},\"n\":{{batch}}}";
    a.template_len = strlen(a.template_text);
    plan_fails("tailgate", &a, PRESET_PART_INPUTS, ".jsonl: the template sends none of its items");
    a.template_text = "{\"q\":\"{{items}}\"}";
    a.template_len = strlen(a.template_text);
    plan_fails("tailgate", &a, PRESET_PART_TEMPLATE, "1:7: a placeholder inside a string");
    a.template_text = NULL;
    a.outputs = "=/x";
    plan_fails("tailgate", &a, PRESET_PART_BATCH, "--outputs =/x reads one output per request");
    a.outputs = "outputs";
    plan_fails("tailgate", &a, PRESET_PART_OUTPUTS, "a path starts with '/'");
    a.outputs = NULL;
    a.path = "/v1/{{items}}";
    plan_fails("tailgate", &a, PRESET_PART_PATH, "1:5: {{items}} cannot go into a URL path");
    inputs_free(in);
}

/* An object item's field of a kind the API rejects exits before the run,
 * naming the line; the kinds the API takes pass, and a template of the
 * user's is not held to the preset's fields. */
static void test_field_kinds(void **state)
{
    (void)state;
    inputs_t *in = load("{\"prompt\":\"a\",\"messages\":[]}\n\"s\"\n"
                        "{\"prompt\":5,\"messages\":\"hi\"}\n",
                        ".jsonl");
    preset_args_t a = {.model = "m", .batch = 1, .inputs = in};
    plan_fails("openai-completions", &a, PRESET_PART_INPUTS,
               ".jsonl:3: field \"prompt\" is 5 (a number); openai-completions takes strings or "
               "arrays there");
    plan_fails("tgi", &a, PRESET_PART_INPUTS, ".jsonl:3: field \"prompt\" is 5 (a number)");
    plan_fails("openai-chat", &a, PRESET_PART_INPUTS,
               ".jsonl:3: field \"messages\" is \"hi\" (a string); openai-chat takes arrays there");
    inputs_free(in);

    in = load("{\"prompt\":[\"a\",\"b\"]}\n{\"prompt\":[1,2],\"max_tokens\":4}\n\"s\"\n", ".jsonl");
    a.inputs = in;
    preset_plan_t pl;
    plan("openai-completions", in, 1, &pl);
    body_is(&pl, 1, 1, "{\"model\":\"m\",\"prompt\":[1,2],\"max_tokens\":4,\"stream\":false}");
    preset_plan_close(&pl);
    plan_fails("tgi", &a, PRESET_PART_INPUTS,
               ".jsonl:1: field \"prompt\" is [\"a\",\"b\"] (an array); tgi takes strings there");
    inputs_free(in);

    in = load("{\"prompt\":[\"a\",\"b\"]}\n", ".jsonl");
    a.inputs = in;
    a.template_text = "{\"inputs\":{{item.prompt}}}";
    a.template_len = strlen(a.template_text);
    preset_part_t part;
    char err[256] = "";
    assert_int_equal(preset_plan(preset_find("tgi"), &a, &pl, &part, err, sizeof err), 0);
    preset_plan_close(&pl);
    inputs_free(in);
    a.template_text = NULL;
    a.template_len = 0;

    /* max_tokens, where given, is a whole number of 1 or more; absent, the
     * body's default stands */
    /* as written, and as the message shows the value (read, then written) */
    static const char *const bad[][2] = {
        {"1.5", "1.5"}, {"-3", "-3"}, {"0", "0"}, {"16.0", "16.0"}, {"1e3", "1000.0"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128], want[128];
        snprintf(text, sizeof text, "{\"prompt\":\"a\"}\n{\"prompt\":\"b\",\"max_tokens\":%s}\n",
                 bad[i][0]);
        in = load(text, ".jsonl");
        a.inputs = in;
        snprintf(want, sizeof want,
                 ".jsonl:2: field \"max_tokens\" is %s (a number); tgi takes whole numbers of 1 "
                 "or more there",
                 bad[i][1]);
        plan_fails("tgi", &a, PRESET_PART_INPUTS, want);
        plan_fails("openai-completions", &a, PRESET_PART_INPUTS, "whole numbers of 1 or more");
        inputs_free(in);
    }
    in = load("{\"messages\":[],\"max_tokens\":7}\n{\"messages\":[]}\n", ".jsonl");
    plan("openai-chat", in, 1, &pl);
    body_is(&pl, 0, 1, "{\"model\":\"m\",\"messages\":[],\"max_tokens\":7,\"stream\":false}");
    body_is(&pl, 1, 1, "{\"model\":\"m\",\"messages\":[],\"max_tokens\":16,\"stream\":false}");
    preset_plan_close(&pl);
    inputs_free(in);
}

/* CSV rows (objects of strings) against presets that take strings or chat
 * messages: the error gives the template that sends the first column, and
 * that template works. */
static void csv_fails(const char *api, inputs_t *in, bool stream, const char *want)
{
    preset_args_t a = {.model = "m", .batch = 1, .inputs = in, .stream = stream};
    preset_plan_t pl;
    preset_part_t part;
    char err[1024] = "";
    assert_int_equal(preset_plan(preset_find(api), &a, &pl, &part, err, sizeof err), EINVAL);
    assert_int_equal(part, PRESET_PART_INPUTS);
    const char *at = strstr(err, ".csv:");
    if (!at || strcmp(at, want) != 0)
        fail_msg("%s: %s\n    wanted ...%s", api, err, want);
    /* The advice, taken: the template it gives plans and sends the column. */
    const char *t = strstr(err, "--template-json '");
    if (!t)
        return;
    t += 17;
    a.template_text = t;
    a.template_len = (size_t)(strchr(t, '\'') - t);
    assert_int_equal(preset_plan(preset_find(api), &a, &pl, &part, err, sizeof err), 0);
    char *buf = malloc(preset_plan_max_body(&pl, 1));
    template_req_t r = {.first = 0, .stride = 1, .n = 1, .request_id = 1};
    size_t n = template_render(preset_plan_body(&pl, 0), &r, buf);
    assert_non_null(memmem(buf, n, "\"hi\"", 4));
    free(buf);
    preset_plan_close(&pl);
}

static void test_csv_rows(void **state)
{
    (void)state;
    inputs_t *in = load("prompt,lang\nhi,en\n", ".csv");
    csv_fails("openai-chat", in, false,
              ".csv:2: the item has no field \"messages\" (the header's columns: \"prompt\", "
              "\"lang\") (a CSV row is an object of its columns: to send column \"prompt\" as the "
              "item, give --template-json '{\"model\":{{model}},\"messages\":[{\"role\":\"user\","
              "\"content\":{{item.prompt}}}],\"max_tokens\":16,\"stream\":false}')");
    csv_fails("openai-chat", in, true,
              ".csv:2: the item has no field \"messages\" (the header's columns: \"prompt\", "
              "\"lang\") (a CSV row is an object of its columns: to send column \"prompt\" as the "
              "item, give --template-json '{\"model\":{{model}},\"messages\":[{\"role\":\"user\","
              "\"content\":{{item.prompt}}}],\"max_tokens\":16,\"stream\":true,\"stream_options\":"
              "{\"include_usage\":true}}' --stream)");
    csv_fails("openai-embeddings", in, false,
              ".csv:2: the item is an object; openai-embeddings takes strings or arrays (a CSV row "
              "is an object of its columns: to send column \"prompt\" as the item, give "
              "--template-json '{\"model\":{{model}},\"input\":{{items.prompt}}}')");
    inputs_free(in);
    in = load("text\nhi\n", ".csv");
    csv_fails(
        "tgi", in, false,
        ".csv:2: the item has no field \"prompt\" (the header's columns: \"text\") (a CSV "
        "row is an object of its columns: to send column \"text\" as the item, give "
        "--template-json '{\"inputs\":{{item.text}},\"parameters\":{\"max_new_tokens\":16}}')");
    inputs_free(in);
    /* A column a template cannot name: no template offered. */
    in = load("my prompt\nhi\n", ".csv");
    csv_fails("kserve-v2", in, false, ".csv:2: the item is an object; kserve-v2 takes strings");
    inputs_free(in);
    /* A count from CSV is a string: what to do instead. */
    in = load("prompt,max_tokens\nhi,16\n", ".csv");
    csv_fails("openai-completions", in, false,
              ".csv:2: field \"max_tokens\" is \"16\" (a string), but its default 16 is a number "
              "(a CSV field is always a string: give the values in JSON Lines, {\"max_tokens\": "
              "16}, or drop the column)");
    inputs_free(in);
}

/* A user's template over a preset keeps the preset's path and outputs. */
static void test_custom_template(void **state)
{
    (void)state;
    inputs_t *in = load("{\"text\":\"a\",\"n\":1}\n{\"text\":\"b\",\"n\":2}\n", ".jsonl");
    const char *tmpl = "{\"instances\": {{items.text}}, \"k\": {{items.n}}, \"rid\": "
                       "{{request_id}}}";
    preset_args_t a = {.model = "m",
                       .batch = 2,
                       .inputs = in,
                       .template_text = tmpl,
                       .template_len = strlen(tmpl),
                       .outputs = "/predictions",
                       .path = "/predict/{{model}}"};
    preset_plan_t pl;
    preset_part_t part;
    char err[256] = "";
    assert_int_equal(preset_plan(preset_find("openai-chat"), &a, &pl, &part, err, sizeof err), 0);
    path_is(&pl, "/predict/m");
    assert_string_equal(rpath_text(pl.outputs), "/predictions");
    body_is(&pl, 0, 2, "{\"instances\":[\"a\",\"b\"],\"k\":[1,2],\"rid\":\"7\"}");
    preset_plan_close(&pl);
    inputs_free(in);
}

static void test_table(void **state)
{
    (void)state;
    const char *names[] = {"tailgate",          "openai-completions", "openai-chat",
                           "openai-embeddings", "kserve-v2",          "tgi"};
    size_t i = 0;
    for (const preset_t *p; (p = preset_at(i)) != NULL; i++) {
        assert_string_equal(p->name, names[i]);
        assert_ptr_equal(preset_find(p->name), p);
        assert_string_equal(p->method, "POST");
        assert_non_null(p->items_help);
    }
    assert_int_equal(i, 6);
    assert_null(preset_find("openai"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tailgate),    cmocka_unit_test(test_openai_completions),
        cmocka_unit_test(test_openai_chat), cmocka_unit_test(test_openai_embeddings),
        cmocka_unit_test(test_kserve_v2),   cmocka_unit_test(test_tgi),
        cmocka_unit_test(test_refusals),    cmocka_unit_test(test_custom_template),
        cmocka_unit_test(test_table),       cmocka_unit_test(test_streamed),
        cmocka_unit_test(test_field_kinds), cmocka_unit_test(test_csv_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
