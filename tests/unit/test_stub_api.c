/* Unit tests for the stub's API presets: routes (stub/api.h), generating
 * requests and their answers and events (stub/gen.h), embeddings
 * (stub/embed.h) and KServe v2 (stub/kserve.h). Answers are parsed back with
 * jansson and checked field by field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "stub/api.h"
#include "stub/embed.h"
#include "stub/gen.h"
#include "stub/kserve.h"
#include "stub/sbuf.h"

static json_t *load(const sbuf_t *b)
{
    json_error_t e;
    json_t *j = json_loadb(b->data, b->len, 0, &e);
    if (!j)
        fail_msg("not JSON (%s): %.*s", e.text, (int)b->len, b->data);
    return j;
}

/* ---- routes ---- */

/* JSON text carries only UTF-8: a prompt cut inside a character, or a
 * script's stray byte, becomes U+FFFD; whole characters pass unchanged. */
static void test_json_string_is_utf8(void **state)
{
    (void)state;
    sbuf_t b = {0};
    assert_int_equal(sbuf_json_string(&b, "h\xc3\xa9\"\x01\xc3", 6), 0);
    assert_int_equal(b.len, strlen("\"h\xc3\xa9\\\"\\u0001\\ufffd\""));
    assert_memory_equal(b.data, "\"h\xc3\xa9\\\"\\u0001\\ufffd\"", b.len);
    json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(j), "h\xc3\xa9\"\x01\xef\xbf\xbd");
    json_decref(j);
    sbuf_reset(&b);
    /* overlong, surrogate and past U+10FFFF: one U+FFFD per byte */
    assert_int_equal(sbuf_json_string(&b, "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 9), 0);
    j = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    assert_int_equal(json_string_length(j), 9 * 3);
    json_decref(j);
    sbuf_free(&b);
}

static void test_routes(void **state)
{
    (void)state;
    stub_config_t cfg;
    stub_config_defaults(&cfg);
    api_capture_t cap;
#define R(t, post) api_route(&cfg, t, strlen(t), post, !(post), &cap)
    assert_int_equal(R("/v1/infer", true), ROUTE_INFER);
    assert_int_equal(R("/v1/completions?x=1", true), ROUTE_COMPLETIONS);
    assert_int_equal(R("/v1/chat/completions", true), ROUTE_CHAT);
    assert_int_equal(R("/v1/embeddings", true), ROUTE_EMBEDDINGS);
    assert_int_equal(R("/generate", true), ROUTE_TGI);
    assert_int_equal(R("/generate_stream", true), ROUTE_TGI_STREAM);
    assert_int_equal(R("/v1/chat/completions", false), ROUTE_POST_ONLY);
    assert_int_equal(R("/healthz", false), ROUTE_HEALTHZ);
    assert_int_equal(R("/nope", true), ROUTE_NOT_FOUND);
    const char *t = "/v2/models/my-bert/versions/7/infer";
    assert_int_equal(R(t, true), ROUTE_KSERVE);
    assert_memory_equal(t + cap.model_off, "my-bert", cap.model_len);
    assert_memory_equal(t + cap.version_off, "7", cap.version_len);
    t = "/v2/models/bert/infer";
    assert_int_equal(R(t, true), ROUTE_KSERVE);
    assert_int_equal(cap.model_len, 4);
    assert_int_equal(cap.version_len, 0);
    assert_int_equal(R("/v2/models//infer", true), ROUTE_NOT_FOUND);
    /* One preset: only its path (moved by --path), and PATH_stream for TGI. */
    cfg.api = STUB_API_TGI;
    snprintf(cfg.path, sizeof cfg.path, "/gen");
    assert_int_equal(R("/gen", true), ROUTE_TGI);
    assert_int_equal(R("/gen_stream", true), ROUTE_TGI_STREAM);
    assert_int_equal(R("/v1/infer", true), ROUTE_NOT_FOUND);
    assert_int_equal(R("/generate", true), ROUTE_NOT_FOUND);
    cfg.api = STUB_API_OPENAI_CHAT;
    snprintf(cfg.path, sizeof cfg.path, "%s", stub_api_path(cfg.api));
    assert_int_equal(R("/v1/chat/completions", true), ROUTE_CHAT);
    assert_int_equal(R("/v1/completions", true), ROUTE_NOT_FOUND);
#undef R
    stub_api_t a;
    assert_int_equal(stub_api_parse("kserve-v2", &a), 0);
    assert_int_equal(a, STUB_API_KSERVE_V2);
    assert_int_equal(stub_api_parse("openai", &a), -1);
    assert_string_equal(stub_api_name(STUB_API_OPENAI_EMBEDDINGS), "openai-embeddings");
}

static void test_error_bodies(void **state)
{
    (void)state;
    sbuf_t b = {0};
    assert_int_equal(api_error_body(&b, STUB_API_OPENAI_CHAT, 400, "bad \"x\""), 0);
    json_t *j = load(&b);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                        "bad \"x\"");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")), 400);
    json_decref(j);
    sbuf_reset(&b);
    api_error_body(&b, STUB_API_TGI, 400, "m");
    j = load(&b);
    assert_string_equal(json_string_value(json_object_get(j, "error_type")), "validation");
    json_decref(j);
    sbuf_reset(&b);
    api_error_body(&b, STUB_API_KSERVE_V2, 400, "m");
    j = load(&b);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "m");
    json_decref(j);
    /* a client's error is typed as one whatever its code; the server's as its own */
    static const struct {
        int status;
        const char *openai, *tgi;
    } types[] = {{408, "BadRequestError", "validation"},
                 {413, "BadRequestError", "validation"},
                 {404, "NotFoundError", "validation"},
                 {500, "InternalServerError", "generation"},
                 {503, "ServiceUnavailableError", "overloaded"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        sbuf_reset(&b);
        api_error_body(&b, STUB_API_OPENAI_COMPLETIONS, types[i].status, "m");
        j = load(&b);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "type")),
                            types[i].openai);
        json_decref(j);
        sbuf_reset(&b);
        api_error_body(&b, STUB_API_TGI, types[i].status, "m");
        j = load(&b);
        assert_string_equal(json_string_value(json_object_get(j, "error_type")), types[i].tgi);
        json_decref(j);
    }
    sbuf_free(&b);
}

/* ---- generating requests ---- */

static int parse(stub_api_t api, const char *body, gen_req_t *rq, char *why)
{
    return gen_parse(api, false, body, strlen(body), rq, why, 200);
}

static void test_gen_parse(void **state)
{
    (void)state;
    gen_req_t rq, rq2;
    char why[200];
    assert_int_equal(parse(STUB_API_OPENAI_COMPLETIONS,
                           "{\"model\":\"m\",\"prompt\":\"0123456789abcdef\",\"max_tokens\":7,"
                           "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
                           &rq, why),
                     0);
    assert_int_equal(rq.prompt_tokens, 4);
    assert_int_equal(rq.max_tokens, 7);
    assert_true(rq.stream);
    assert_true(rq.include_usage);
    /* The same prompt in a one-element array: the same answer. */
    assert_int_equal(
        parse(STUB_API_OPENAI_COMPLETIONS, "{\"prompt\":[\"0123456789abcdef\"]}", &rq2, why), 0);
    assert_true(rq.prompt_hash == rq2.prompt_hash);
    assert_int_equal(rq2.max_tokens, GEN_DEFAULT_TOKENS);
    assert_int_equal(rq2.model.len, 0);
    assert_int_equal(parse(STUB_API_OPENAI_CHAT,
                           "{\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}],"
                           "\"max_completion_tokens\":3,\"max_tokens\":9}",
                           &rq, why),
                     0);
    assert_int_equal(rq.max_tokens, 3);
    assert_int_equal(rq.prompt_tokens, 2);
    assert_false(rq.stream);
    const char *tgi = "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":5}}";
    assert_int_equal(gen_parse(STUB_API_TGI, true, tgi, strlen(tgi), &rq, why, sizeof why), 0);
    assert_true(rq.stream);
    assert_int_equal(rq.max_tokens, 5);
    assert_int_equal(parse(STUB_API_TGI, "{\"inputs\":\"hi\"}", &rq, why), 0);
    assert_int_equal(rq.max_tokens, GEN_TGI_DEFAULT_TOKENS);

    const struct {
        stub_api_t api;
        const char *body, *want;
    } bad[] = {
        {STUB_API_OPENAI_CHAT, "{\"messages\":[]}", "\"messages\" must not be empty"},
        {STUB_API_OPENAI_CHAT, "{\"model\":\"m\"}", "\"messages\" is missing"},
        {STUB_API_OPENAI_CHAT, "{\"messages\":[{\"content\":\"x\"}]}", "\"messages\"[0] must be"},
        {STUB_API_OPENAI_CHAT, "{\"messages\":[{\"role\":\"u\"}],\"n\":2}", "\"n\" must be 1"},
        {STUB_API_OPENAI_COMPLETIONS, "{\"prompt\":\"x\",\"max_tokens\":0}", "\"max_tokens\""},
        {STUB_API_OPENAI_COMPLETIONS, "{\"prompt\":\"x\",\"max_tokens\":-3}", "\"max_tokens\""},
        {STUB_API_OPENAI_COMPLETIONS, "{\"prompt\":[\"a\",\"b\"]}", "\"prompt\" holds several"},
        {STUB_API_OPENAI_COMPLETIONS, "{\"prompt\":\"x\",\"stream\":\"yes\"}", "\"stream\""},
        {STUB_API_OPENAI_COMPLETIONS, "{\"prompt\":\"x\",\"stream_options\":{}}",
         "\"stream_options\" can only"},
        {STUB_API_OPENAI_COMPLETIONS, "{\"model\":3,\"prompt\":\"x\"}", "\"model\" must be"},
        {STUB_API_OPENAI_COMPLETIONS, "{\"prompt\":\"x\"", "malformed JSON"},
        {STUB_API_OPENAI_COMPLETIONS, "[1]", "request body must be a JSON object"},
        {STUB_API_TGI, "{\"inputs\":[\"x\"]}", "\"inputs\" must be a string"},
        {STUB_API_TGI, "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":1.5}}",
         "\"max_new_tokens\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_int_equal(parse(bad[i].api, bad[i].body, &rq, why), -1);
        if (strncmp(why, bad[i].want, strlen(bad[i].want)))
            fail_msg("%s: got '%s', want '%s...'", bad[i].body, why, bad[i].want);
    }
}

static void test_gen_answers(void **state)
{
    (void)state;
    const char *body =
        "{\"model\":\"llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    gen_req_t rq;
    char why[200];
    assert_int_equal(parse(STUB_API_OPENAI_CHAT, body, &rq, why), 0);
    sbuf_t b = {0};
    assert_int_equal(gen_answer(&b, &rq, body, "chatcmpl-1", 1700000000, 4), 0);
    json_t *j = load(&b);
    assert_string_equal(json_string_value(json_object_get(j, "object")), "chat.completion");
    assert_string_equal(json_string_value(json_object_get(j, "model")), "llama");
    json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
    const char *text =
        json_string_value(json_object_get(json_object_get(c0, "message"), "content"));
    assert_non_null(text);
    assert_string_equal(json_string_value(json_object_get(c0, "finish_reason")), "length");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "usage"), "completion_tokens")), 4);
    /* The text is 4 words, and the streamed tokens add up to it. */
    sbuf_t t = {0};
    gen_text(&t, rq.prompt_hash, 0, 2);
    gen_text(&t, rq.prompt_hash, 2, 2);
    assert_int_equal(t.len, strlen(text));
    assert_memory_equal(t.data, text, t.len);
    json_decref(j);

    /* A stream's events: data: JSON, blank line. */
    sbuf_t pre = {0};
    rq.include_usage = true;
    assert_int_equal(gen_prefix(&pre, &rq, body, "chatcmpl-1", 1700000000), 0);
    sbuf_reset(&b);
    gen_event_role(&b, &rq, &pre, "\n");
    assert_memory_equal(b.data, "data: {", 7);
    assert_memory_equal(b.data + b.len - 2, "\n\n", 2);
    b.data[b.len - 2] = '\0';
    json_t *e = json_loads(b.data + 6, 0, NULL);
    assert_non_null(e);
    json_t *d = json_object_get(json_array_get(json_object_get(e, "choices"), 0), "delta");
    assert_string_equal(json_string_value(json_object_get(d, "role")), "assistant");
    assert_string_equal(json_string_value(json_object_get(d, "content")), "");
    json_decref(e);
    sbuf_reset(&b);
    gen_event_text(&b, &rq, &pre, 1, 1, NULL, 0, "length", "\r\n");
    assert_memory_equal(b.data + b.len - 4, "\r\n\r\n", 4);
    b.data[b.len - 4] = '\0';
    e = json_loads(b.data + 6, 0, NULL);
    assert_non_null(e);
    c0 = json_array_get(json_object_get(e, "choices"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "finish_reason")), "length");
    json_decref(e);
    sbuf_reset(&b);
    gen_event_usage(&b, &rq, &pre, 4, "\n");
    b.data[b.len - 2] = '\0';
    e = json_loads(b.data + 6, 0, NULL);
    assert_non_null(e);
    assert_int_equal(json_array_size(json_object_get(e, "choices")), 0);
    json_decref(e);
    sbuf_reset(&b);
    gen_event_done(&b, &rq, "\n");
    assert_int_equal(b.len, strlen("data: [DONE]\n\n"));
    sbuf_reset(&b);
    gen_event_error(&b, &rq, "boom", 4, "\n");
    assert_non_null(strstr(b.data, "data: {\"error\":{\"message\":\"boom\""));

    /* TGI: "data:" and the last event carries generated_text. */
    const char *tb = "{\"inputs\":\"hello\"}";
    assert_int_equal(gen_parse(STUB_API_TGI, true, tb, strlen(tb), &rq, why, sizeof why), 0);
    sbuf_reset(&b);
    gen_event_text(&b, &rq, &pre, 2, 1, NULL, 0, "length", "\n");
    assert_memory_equal(b.data, "data:{", 6);
    b.data[b.len - 2] = '\0';
    e = json_loads(b.data + 5, 0, NULL);
    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "index")), 3);
    sbuf_reset(&t);
    gen_text(&t, rq.prompt_hash, 0, 3);
    assert_int_equal(strlen(json_string_value(json_object_get(e, "generated_text"))), t.len);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e, "details"), "finish_reason")),
        "length");
    json_decref(e);
    sbuf_reset(&b);
    gen_event_usage(&b, &rq, &pre, 3, "\n");
    gen_event_done(&b, &rq, "\n");
    assert_int_equal(b.len, 0);
    sbuf_free(&b);
    sbuf_free(&t);
    sbuf_free(&pre);
}

/* ---- embeddings ---- */

static json_t *embed(const char *body, int *status, char *why)
{
    sbuf_t b = {0};
    size_t items;
    *status = embed_answer(body, strlen(body), "embd-1", 1, &b, &items, why, 200);
    json_t *j = *status == 200 ? load(&b) : NULL;
    sbuf_free(&b);
    return j;
}

static void test_embeddings_batched_equals_single(void **state)
{
    (void)state;
    int st;
    char why[200];
    json_t *batch = embed("{\"model\":\"e\",\"input\":[\"a\",\"bb\",[1,2,3]]}", &st, why);
    assert_int_equal(st, 200);
    json_t *data = json_object_get(batch, "data");
    assert_int_equal(json_array_size(data), 3);
    const char *single[] = {"{\"input\":\"a\"}", "{\"input\":[\"bb\"]}", "{\"input\":[1,2,3]}"};
    for (size_t i = 0; i < 3; i++) {
        json_t *one = embed(single[i], &st, why);
        assert_int_equal(st, 200);
        json_t *v = json_object_get(json_array_get(json_object_get(one, "data"), 0), "embedding");
        json_t *w = json_object_get(json_array_get(data, i), "embedding");
        assert_int_equal(json_array_size(v), EMBED_DEFAULT_DIM);
        assert_true(json_equal(v, w));
        double norm = 0;
        for (size_t k = 0; k < json_array_size(v); k++)
            norm += json_real_value(json_array_get(v, k)) * json_real_value(json_array_get(v, k));
        assert_true(norm > 0.9999 && norm < 1.0001);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(data, i), "index")),
                         (json_int_t)i);
        json_decref(one);
    }
    json_decref(batch);
    json_t *b64 =
        embed("{\"input\":\"a\",\"encoding_format\":\"base64\",\"dimensions\":100}", &st, why);
    assert_int_equal(st, 200);
    const char *s = json_string_value(
        json_object_get(json_array_get(json_object_get(b64, "data"), 0), "embedding"));
    assert_int_equal(strlen(s), (400 + 2) / 3 * 4);
    json_decref(b64);
    const char *bad[] = {"{\"model\":\"e\"}",
                         "{\"input\":[]}",
                         "{\"input\":3}",
                         "{\"input\":[\"a\",{}]}",
                         "{\"input\":\"a\",\"dimensions\":0}",
                         "{\"input\":\"a\",\"encoding_format\":\"int8\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(embed(bad[i], &st, why));
        assert_int_equal(st, 400);
    }
}

/* ---- KServe v2 ---- */

static json_t *kserve(const char *body, int *status, char *why)
{
    sbuf_t b = {0};
    size_t items;
    *status = kserve_answer(body, strlen(body), "bert", 4, NULL, 0, "gen-id", &b, &items, why, 200);
    json_t *j = *status == 200 ? load(&b) : NULL;
    sbuf_free(&b);
    return j;
}

static void test_kserve_batched_equals_single(void **state)
{
    (void)state;
    int st;
    char why[200];
    json_t *batch = kserve("{\"id\":\"r1\",\"inputs\":[{\"name\":\"ids\",\"shape\":[3,2],"
                           "\"datatype\":\"INT64\",\"data\":[[1,2],[3,4],[5,6]]},"
                           "{\"name\":\"mask\",\"shape\":[3],\"datatype\":\"BOOL\","
                           "\"data\":[true,false,true]}]}",
                           &st, why);
    if (st != 200)
        fail_msg("%s", why);
    assert_string_equal(json_string_value(json_object_get(batch, "model_name")), "bert");
    assert_string_equal(json_string_value(json_object_get(batch, "id")), "r1");
    json_t *out = json_array_get(json_object_get(batch, "outputs"), 0);
    assert_string_equal(json_string_value(json_object_get(out, "datatype")), "FP32");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "shape"), 0)), 3);
    json_t *data = json_object_get(out, "data");
    assert_int_equal(json_array_size(data), 6);
    const char *single[] = {
        "{\"inputs\":[{\"name\":\"ids\",\"shape\":[1,2],\"datatype\":\"INT64\",\"data\":[1,2]},"
        "{\"name\":\"mask\",\"shape\":[1],\"datatype\":\"BOOL\",\"data\":[true]}]}",
        "{\"inputs\":[{\"name\":\"ids\",\"shape\":[1,2],\"datatype\":\"INT64\",\"data\":[[3,4]]},"
        "{\"name\":\"mask\",\"shape\":[1],\"datatype\":\"BOOL\",\"data\":[false]}]}",
        "{\"inputs\":[{\"name\":\"ids\",\"shape\":[1,2],\"datatype\":\"INT64\",\"data\":[5,6]},"
        "{\"name\":\"mask\",\"shape\":[1],\"datatype\":\"BOOL\",\"data\":[true]}]}",
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *one = kserve(single[i], &st, why);
        assert_int_equal(st, 200);
        json_t *d = json_object_get(json_array_get(json_object_get(one, "outputs"), 0), "data");
        assert_int_equal(json_array_size(d), 2);
        for (size_t k = 0; k < 2; k++)
            assert_true(json_real_value(json_array_get(d, k)) ==
                        json_real_value(json_array_get(data, 2 * i + k)));
        double sum = json_real_value(json_array_get(d, 0)) + json_real_value(json_array_get(d, 1));
        assert_true(sum > 0.9999 && sum < 1.0001);
        assert_string_equal(json_string_value(json_object_get(one, "id")), "gen-id");
        json_decref(one);
    }
    json_decref(batch);
    const struct {
        const char *body, *want;
    } bad[] = {
        {"{}", "\"inputs\" is missing"},
        {"{\"inputs\":[]}", "\"inputs\" must not be empty"},
        {"{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1]}]}",
         "inputs[0]: shape holds 2 elements but data has 1"},
        {"{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP33\",\"data\":[1]}]}",
         "inputs[0].datatype must be"},
        {"{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT8\",\"data\":[1.5]}]}",
         "inputs[0].data element 0 is not a INT8 value"},
        {"{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[1]}]}",
         "inputs[0].data element 0 is not a BYTES value"},
        {"{\"inputs\":[{\"name\":\"x\",\"shape\":[-1],\"datatype\":\"FP32\",\"data\":[1]}]}",
         "inputs[0].shape[0] must be"},
        {"{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]},"
         "{\"name\":\"y\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1,2]}]}",
         "inputs[1] has batch size 2 but inputs[0] has 1"},
        {"{\"inputs\":[{\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}",
         "inputs[0].name must be a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_null(kserve(bad[i].body, &st, why));
        assert_int_equal(st, 400);
        if (strncmp(why, bad[i].want, strlen(bad[i].want)))
            fail_msg("%s: got '%s', want '%s...'", bad[i].body, why, bad[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_string_is_utf8),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_error_bodies),
        cmocka_unit_test(test_gen_parse),
        cmocka_unit_test(test_gen_answers),
        cmocka_unit_test(test_embeddings_batched_equals_single),
        cmocka_unit_test(test_kserve_batched_equals_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
