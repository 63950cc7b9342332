/* preset — the request and answer shapes of the inference APIs people run
 * (--api NAME), each a path, body templates and a response path that a user
 * could have written with --template and --outputs; and the plan that
 * compiles a preset, or a user's template over it, for one run.
 *
 * What the items are, per preset (the body each sends is in preset.c):
 *   tailgate            any JSON value; a batch is {"model","inputs":[...]}
 *   openai-completions  a string is the prompt; an object gives "prompt"
 *                       and optionally "max_tokens" (else 16). One per request.
 *   openai-chat         a string becomes one user message; an object gives
 *                       "messages" (used as is) and optionally "max_tokens".
 *   openai-embeddings   a string, or an array of token ids; batches natively
 *                       ("input": [...]), all strings or all token ids.
 *   kserve-v2           a string: a batch is one BYTES tensor of shape [n].
 *                       Numeric tensors: --template with "shape":[{{batch}},K].
 *   tgi                 as openai-completions; max_tokens becomes
 *                       "parameters.max_new_tokens". One per request.
 * Every generating preset asks for 16 tokens unless the item says otherwise.
 * Completions, chat and TGI also have streamed bodies (preset_args_t.stream):
 * the OpenAI ones send "stream": true with "stream_options":
 * {"include_usage": true}, so the last event counts the tokens; TGI goes to
 * /generate_stream with "details": true, whose last event counts them. The
 * whole-answer bodies send "stream": false where the API has it. */
#ifndef TAILGATE_LOAD_PRESET_H
#define TAILGATE_LOAD_PRESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/inputs.h"
#include "load/rpath.h"
#include "load/template.h"

typedef struct {
    const char *name;        /* --api NAME */
    const char *method;      /* "POST" */
    const char *path;        /* default URL path (a TEMPLATE_PATH template) */
    const char *body;        /* body template: every item, or the non-object items when
                              * body_object is set */
    const char *body_object; /* body template for object items, or NULL */
    const char *outputs;     /* where the outputs are (rpath grammar) */
    /* Streamed (SSE) requests: the bodies, NULL when the API does not stream,
     * and the default URL path (NULL: path). */
    const char *stream_body;
    const char *stream_body_object;
    const char *stream_path;
    bool batch;             /* more than one item per request is allowed */
    unsigned items;         /* the item kinds it takes (INPUTS_* mask) */
    bool token_ids;         /* array items are token ids (inputs_check_token_ids) */
    const char *items_help; /* what an item may be, one line for --api help */
    /* Fields of object items whose kind the API constrains (the rest of an
     * item is the server's to judge); path NULL ends the list. */
    struct {
        const char *path;
        unsigned kinds;   /* INPUTS_* mask */
        const char *dflt; /* the body's default when the item has no such field, or NULL */
    } fields[2];
} preset_t;

/* The preset named `name`, or NULL. */
const preset_t *preset_find(const char *name);
/* Presets in listing order: preset_at(0) is tailgate; NULL past the last. */
const preset_t *preset_at(size_t i);
/* Whether p's API streams its answers (it has streamed bodies). */
static inline bool preset_streams(const preset_t *p)
{
    return p->stream_body != NULL;
}
/* p's default URL path for streamed (stream) or whole answers. */
static inline const char *preset_path(const preset_t *p, bool stream)
{
    return stream && p->stream_path ? p->stream_path : p->path;
}

/* One run's choices; NULL fields take the preset's. */
typedef struct {
    const char *model;         /* the model name ({{model}}) */
    const char *path;          /* URL path instead of the preset's */
    const char *template_text; /* body template instead of the preset's */
    size_t template_len;
    const char *outputs; /* response path instead of the preset's */
    unsigned batch;      /* most items per request (>= 1) */
    inputs_t *inputs;    /* the run's items; fields are extracted into it */
    bool stream;         /* the preset's streamed bodies (when it has them) */
} preset_args_t;

/* Which choice an error is about, so the caller can name its option. */
typedef enum {
    PRESET_PART_BATCH,
    PRESET_PART_INPUTS,
    PRESET_PART_TEMPLATE,
    PRESET_PART_PATH,
    PRESET_PART_OUTPUTS,
} preset_part_t;

typedef struct {
    const preset_t *preset;
    template_t *path;
    template_t *body;
    template_t *body_object; /* NULL: body serves every item */
    rpath_t *outputs;
    const inputs_t *inputs;
    bool single; /* one item per request (the preset's rule, {{item}}, an "=" path) */
} preset_plan_t;

/* Compiles and checks everything before the run: templates (errors
 * "LINE:COL: ..."), the item kinds and every field of every item (errors
 * "FILE:LINE: ..."), the response path, and that the batch fits (a preset
 * or template that carries one item per request, or an "=" response path,
 * refuses batch > 1). Returns 0, EINVAL (err says why, *part which choice)
 * or ENOMEM. */
int preset_plan(const preset_t *p, const preset_args_t *a, preset_plan_t *plan, preset_part_t *part,
                char *err, size_t errlen);
void preset_plan_close(preset_plan_t *plan);
/* Whether a plan with these choices would carry one item per request,
 * known before any item is read (ab chooses its optimized side by it): the
 * template and response path are compiled and dropped. A choice that does
 * not compile gives false; preset_plan reports it. a->inputs is not read. */
bool preset_one_item(const preset_t *p, const preset_args_t *a);
/* The body template of the request whose first item is `first`. */
const template_t *preset_plan_body(const preset_plan_t *plan, uint64_t first);
/* Most bytes a body of at most `batch` items renders to. */
size_t preset_plan_max_body(const preset_plan_t *plan, unsigned batch);

#endif
