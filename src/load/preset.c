/* preset — the table, and the plan that compiles it.
 *
 * Shapes copied from the public API references:
 *   OpenAI     https://platform.openai.com/docs/api-reference/completions/create
 *              https://platform.openai.com/docs/api-reference/chat/create
 *              https://platform.openai.com/docs/api-reference/embeddings/create
 *              (answers: choices[].text, choices[].message.content,
 *              data[].embedding); vLLM, SGLang, llama.cpp and TGI's Messages
 *              API serve the same shapes:
 *              https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html
 *   KServe v2  the Open Inference Protocol, HTTP/REST: POST
 *              /v2/models/<name>/infer, {"id","inputs":[{"name","shape",
 *              "datatype","data"}]} -> {"model_name","id","outputs":[{"name",
 *              "shape","datatype","data"}]}, data row-major (flat) or nested:
 *              https://kserve.github.io/website/docs/concepts/architecture/data-plane/v2-protocol
 *              https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md
 *   TGI        POST /generate {"inputs","parameters":{"max_new_tokens"}} ->
 *              {"generated_text"}:
 *              https://huggingface.github.io/text-generation-inference/
 *              (docs/source/basic_tutorials/request_parameters.md)
 * The kserve-v2 input is named "input": a real model names its own (see its
 * metadata, GET /v2/models/<name>); write a --template for it. */
#include "load/preset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const preset_t presets[] = {
    {
        .name = "tailgate",
        .method = "POST",
        .path = "/v1/infer",
        .body = "{\"model\":{{model}},\"inputs\":{{items}}}",
        .outputs = "/outputs",
        .batch = true,
        .items = INPUTS_ANY,
        .items_help = "any JSON value",
    },
    {
        .name = "openai-completions",
        .method = "POST",
        .path = "/v1/completions",
        .body = "{\"model\":{{model}},\"prompt\":{{item}},\"max_tokens\":16,\"stream\":false}",
        .body_object = "{\"model\":{{model}},\"prompt\":{{item.prompt}},"
                       "\"max_tokens\":{{item.max_tokens ?? 16}},\"stream\":false}",
        .outputs = "/choices/*/text",
        .stream_body = "{\"model\":{{model}},\"prompt\":{{item}},\"max_tokens\":16,\"stream\":true,"
                       "\"stream_options\":{\"include_usage\":true}}",
        .stream_body_object = "{\"model\":{{model}},\"prompt\":{{item.prompt}},"
                              "\"max_tokens\":{{item.max_tokens ?? 16}},\"stream\":true,"
                              "\"stream_options\":{\"include_usage\":true}}",
        .items = INPUTS_STRING | INPUTS_OBJECT,
        /* A prompt is a string, or an array of strings or of token ids. */
        .fields = {{"prompt", INPUTS_STRING | INPUTS_ARRAY, NULL},
                   {"max_tokens", INPUTS_COUNT, "16"}},
        .items_help = "a prompt (string), or an object with \"prompt\" and optional "
                      "\"max_tokens\"",
    },
    {
        .name = "openai-chat",
        .method = "POST",
        .path = "/v1/chat/completions",
        .body = "{\"model\":{{model}},\"messages\":[{\"role\":\"user\",\"content\":{{item}}}],"
                "\"max_tokens\":16,\"stream\":false}",
        .body_object = "{\"model\":{{model}},\"messages\":{{item.messages}},"
                       "\"max_tokens\":{{item.max_tokens ?? 16}},\"stream\":false}",
        .outputs = "/choices/*/message/content",
        .stream_body =
            "{\"model\":{{model}},\"messages\":[{\"role\":\"user\",\"content\":{{item}}}],"
            "\"max_tokens\":16,\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
        .stream_body_object = "{\"model\":{{model}},\"messages\":{{item.messages}},"
                              "\"max_tokens\":{{item.max_tokens ?? 16}},\"stream\":true,"
                              "\"stream_options\":{\"include_usage\":true}}",
        .items = INPUTS_STRING | INPUTS_OBJECT,
        .fields = {{"messages", INPUTS_ARRAY, NULL}, {"max_tokens", INPUTS_COUNT, "16"}},
        .items_help = "a user message (string), or an object with \"messages\" and optional "
                      "\"max_tokens\"",
    },
    {
        .name = "openai-embeddings",
        .method = "POST",
        .path = "/v1/embeddings",
        .body = "{\"model\":{{model}},\"input\":{{items}}}",
        .outputs = "/data/*/embedding",
        .batch = true,
        .items = INPUTS_STRING | INPUTS_ARRAY,
        .token_ids = true,
        .items_help = "a text (string), or an array of token ids",
    },
    {
        .name = "kserve-v2",
        .method = "POST",
        .path = "/v2/models/{{model}}/infer",
        .body = "{\"id\":{{request_id}},\"inputs\":[{\"name\":\"input\",\"shape\":[{{batch}}],"
                "\"datatype\":\"BYTES\",\"data\":{{items}}}]}",
        .outputs = "/outputs/0/data@shape",
        .batch = true,
        .items = INPUTS_STRING,
        .items_help = "a string (one element of a BYTES tensor)",
    },
    {
        .name = "tgi",
        .method = "POST",
        .path = "/generate",
        .body = "{\"inputs\":{{item}},\"parameters\":{\"max_new_tokens\":16}}",
        .body_object = "{\"inputs\":{{item.prompt}},"
                       "\"parameters\":{\"max_new_tokens\":{{item.max_tokens ?? 16}}}}",
        .outputs = "=/generated_text",
        .stream_body =
            "{\"inputs\":{{item}},\"parameters\":{\"max_new_tokens\":16,\"details\":true}}",
        .stream_body_object = "{\"inputs\":{{item.prompt}},\"parameters\":{\"max_new_tokens\":"
                              "{{item.max_tokens ?? 16}},\"details\":true}}",
        .stream_path = "/generate_stream",
        .items = INPUTS_STRING | INPUTS_OBJECT,
        .fields = {{"prompt", INPUTS_STRING, NULL}, {"max_tokens", INPUTS_COUNT, "16"}},
        .items_help = "a prompt (string), or an object with \"prompt\" and optional "
                      "\"max_tokens\"",
    },
};

#define NUM_PRESETS (sizeof presets / sizeof presets[0])

const preset_t *preset_find(const char *name)
{
    for (size_t i = 0; i < NUM_PRESETS; i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

const preset_t *preset_at(size_t i)
{
    return i < NUM_PRESETS ? &presets[i] : NULL;
}

/* Why a plan carries one item per request. */
typedef enum { MANY, ONE_PRESET, ONE_TEMPLATE, ONE_OUTPUTS } one_t;

static int one_item(one_t why, const preset_plan_t *pl, char *err, size_t errlen)
{
    switch (why) {
    case ONE_PRESET:
        return snprintf(err, errlen, "%s sends one input per request: give --batch 1",
                        pl->preset->name);
    case ONE_TEMPLATE:
        return snprintf(err, errlen,
                        "the template reads {{item}}, one item per request: give --batch 1, or "
                        "read {{items}}");
    case ONE_OUTPUTS:
        return snprintf(err, errlen, "--outputs %s reads one output per request: give --batch 1",
                        rpath_text(pl->outputs));
    case MANY:
        break;
    }
    return 0;
}

static one_t why_one(const preset_t *p, bool ours, const template_t *body, const rpath_t *outputs)
{
    return ours && !p->batch                            ? ONE_PRESET
           : template_flags(body) & TEMPLATE_READS_ITEM ? ONE_TEMPLATE
           : rpath_single(outputs)                      ? ONE_OUTPUTS
                                                        : MANY;
}

bool preset_one_item(const preset_t *p, const preset_args_t *a)
{
    bool ours = !a->template_text;
    if (ours && !p->batch)
        return true;
    template_t *body = NULL;
    rpath_t *outputs = NULL;
    char err[256];
    bool one = false;
    if (template_compile(ours ? p->body : a->template_text,
                         ours ? strlen(p->body) : a->template_len, TEMPLATE_JSON,
                         a->model ? a->model : "", &body, err, sizeof err) == 0 &&
        rpath_compile(a->outputs ? a->outputs : p->outputs, &outputs, err, sizeof err) == 0)
        one = why_one(p, ours, body, outputs) != MANY;
    template_free(body);
    rpath_free(outputs);
    return one;
}

/* The first column of a CSV file (the first member of its first item), when
 * a template can name it: "" otherwise. */
static void first_column(const inputs_t *in, char *out, size_t size)
{
    out[0] = '\0';
    char *buf = malloc(inputs_max_len(in) + 1);
    json_t *row = buf ? json_loadb(buf, inputs_item(in, 0, buf), 0, NULL) : NULL;
    const char *key = json_object_iter_key(json_object_iter(row));
    bool ok = key && key[0] && strlen(key) < size;
    for (const char *k = key; ok && *k; k++)
        ok = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
             *k == '_' || *k == '-' || *k == '.' || (unsigned char)*k >= 0x80;
    if (ok)
        strcpy(out, key);
    json_decref(row);
    free(buf);
}

/* A CSV row is an object of string columns, which an API's own item shapes
 * (a string; chat's "messages" array) do not fit: err gets the template that
 * sends the first column where the preset's body sends the item (and
 * --stream for a streamed body: a template's body is not streamed without). */
static void csv_advice(const char *body, bool stream, const inputs_t *in, char *err, size_t errlen)
{
    char col[128];
    if (inputs_format(in) != DATAFILE_CSV)
        return;
    first_column(in, col, sizeof col);
    size_t len = strlen(err);
    if (!col[0] || len + 1 >= errlen)
        return;
    int w = snprintf(err + len, errlen - len,
                     " (a CSV row is an object of its columns: to send column \"%s\" as the "
                     "item, give --template-json '",
                     col);
    for (const char *b = body; w > 0 && (len += (size_t)w) < errlen && *b;) {
        const char *slot = strstr(b, "{{item");
        size_t lit = slot ? (size_t)(slot - b) : strlen(b);
        w = snprintf(err + len, errlen - len, "%.*s", (int)lit, b);
        b += lit;
        if (slot && (len += (size_t)w) < errlen) {
            bool many = !strncmp(slot, "{{items}}", 9);
            w = snprintf(err + len, errlen - len, "{{%s.%s}}", many ? "items" : "item", col);
            b += many ? 9 : 8;
        }
    }
    if (len < errlen)
        snprintf(err + len, errlen - len, "'%s)", stream ? " --stream" : "");
}

int preset_plan(const preset_t *p, const preset_args_t *a, preset_plan_t *pl, preset_part_t *part,
                char *err, size_t errlen)
{
    memset(pl, 0, sizeof(*pl));
    pl->preset = p;
    pl->inputs = a->inputs;
    bool ours = !a->template_text; /* the preset's bodies */
    bool streamed = ours && a->stream && preset_streams(p);
    const char *path = a->path ? a->path : preset_path(p, streamed);
    const char *body = streamed ? p->stream_body : p->body;
    const char *body_object = streamed ? p->stream_body_object : p->body_object;
    const char *text = ours ? body : a->template_text;
    size_t len = ours ? strlen(body) : a->template_len;
    int rc;

    *part = PRESET_PART_PATH;
    rc = template_compile(path, strlen(path), TEMPLATE_PATH, a->model, &pl->path, err, errlen);
    if (rc)
        goto fail;
    *part = PRESET_PART_OUTPUTS;
    rc = rpath_compile(a->outputs ? a->outputs : p->outputs, &pl->outputs, err, errlen);
    if (rc)
        goto fail;
    *part = PRESET_PART_TEMPLATE;
    rc = template_compile(text, len, TEMPLATE_JSON, a->model, &pl->body, err, errlen);
    /* Generated items are strings: an object body would never be used. */
    if (!rc && ours && body_object && a->inputs && inputs_count(a->inputs))
        rc = template_compile(body_object, strlen(body_object), TEMPLATE_JSON, a->model,
                              &pl->body_object, err, errlen);
    if (rc)
        goto fail;

    one_t one = why_one(p, ours, pl->body, pl->outputs);
    pl->single = one != MANY;
    *part = PRESET_PART_BATCH;
    if (one != MANY && a->batch > 1) {
        one_item(one, pl, err, errlen);
        rc = EINVAL;
        goto fail;
    }
    *part = PRESET_PART_INPUTS;
    /* A data file the body never reads would be counted as sent, and its
     * digest reported, while every request carried the same literal. */
    if (!ours && a->inputs && inputs_count(a->inputs) &&
        !(template_flags(pl->body) & (TEMPLATE_READS_ITEM | TEMPLATE_READS_ITEMS))) {
        snprintf(err, errlen,
                 "%s: the template sends none of its items (it has no {{item}}, {{items}}, "
                 "{{item.F}} or {{items.F}}): put one where the items go, or drop --inputs",
                 inputs_name(a->inputs));
        rc = EINVAL;
        goto fail;
    }
    if (ours && a->inputs && (rc = inputs_check_kinds(a->inputs, p->items, p->name, err, errlen))) {
        csv_advice(body, streamed, a->inputs, err, errlen);
        goto fail;
    }
    if (ours && a->inputs && p->token_ids &&
        (rc = inputs_check_token_ids(a->inputs, a->batch > 1, p->name, err, errlen)))
        goto fail;
    /* The fields the object body reads, by the kinds the API takes, so that
     * {"prompt": 5} exits 2 here instead of drawing a 400 on every request.
     * The column is the one the body binds next (same path and flags). */
    for (size_t f = 0; pl->body_object && f < 2 && p->fields[f].path; f++) {
        size_t col;
        rc = inputs_add_field(a->inputs, p->fields[f].path, p->fields[f].dflt, INPUTS_OBJECTS_ONLY,
                              &col, err, errlen);
        if (!rc)
            rc = inputs_check_field_kinds(a->inputs, col, p->fields[f].kinds, p->name, err, errlen);
        if (rc == EINVAL && !p->fields[f].dflt) /* a field the API requires */
            csv_advice(body, streamed, a->inputs, err, errlen);
        if (rc)
            goto fail;
    }
    rc = template_bind(pl->body, a->inputs, 0, err, errlen);
    if (!rc && pl->body_object)
        rc = template_bind(pl->body_object, a->inputs, INPUTS_OBJECTS_ONLY, err, errlen);
    if (rc)
        goto fail;
    return 0;
fail:
    preset_plan_close(pl);
    return rc;
}

void preset_plan_close(preset_plan_t *pl)
{
    template_free(pl->path);
    template_free(pl->body);
    template_free(pl->body_object);
    rpath_free(pl->outputs);
    memset(pl, 0, sizeof(*pl));
}

const template_t *preset_plan_body(const preset_plan_t *pl, uint64_t first)
{
    if (pl->body_object && inputs_item_kind(pl->inputs, first) == INPUTS_OBJECT)
        return pl->body_object;
    return pl->body;
}

size_t preset_plan_max_body(const preset_plan_t *pl, unsigned batch)
{
    size_t n = template_max_len(pl->body, batch);
    if (pl->body_object) {
        size_t m = template_max_len(pl->body_object, batch);
        if (m > n)
            n = m;
    }
    return n;
}
