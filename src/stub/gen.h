/* gen — the generating APIs' requests and answers: OpenAI completions and
 * chat (as vLLM serves them) and TGI's /generate and /generate_stream.
 * Pure functions: parse a body, write an answer or one SSE event into a
 * buffer. No I/O, no time (the caller passes "created").
 *
 * The generated text is a deterministic function of the prompt alone: token
 * i is a word chosen by a hash of the prompt (its canonical JSON hash, see
 * jscan.h) and i, with a leading space, like a BPE token. Prompt tokens are
 * counted as prompt bytes / 4 (at least 1). */
#ifndef TAILGATE_STUB_GEN_H
#define TAILGATE_STUB_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/jscan.h"
#include "stub/sbuf.h"
#include "stub/stub.h"

#define GEN_MAX_TOKENS 100000      /* a larger max_tokens is refused (400) */
#define GEN_DEFAULT_TOKENS 16      /* OpenAI completions' default max_tokens; chat too */
#define GEN_TGI_DEFAULT_TOKENS 100 /* TGI's default max_new_tokens */

typedef struct {
    stub_api_t api; /* OPENAI_COMPLETIONS, OPENAI_CHAT or TGI */
    bool stream;
    bool include_usage; /* stream_options.include_usage */
    bool details;       /* TGI parameters.details */
    jscan_span_t model; /* "model" in the body (a JSON string), len 0 = absent */
    uint64_t prompt_hash;
    uint32_t prompt_tokens;
    uint32_t max_tokens; /* from the request, or the API's default */
} gen_req_t;

/* Parses body[0..len) for api; stream forces streaming (/generate_stream).
 * Returns 0, or -1 with what is wrong in why (the caller answers 400). */
int gen_parse(stub_api_t api, bool stream, const char *body, size_t len, gen_req_t *req, char *why,
              size_t whylen);

/* Appends the text of tokens [first, first + count) of the prompt hash as
 * JSON string content (no quotes; it needs no escaping). Returns 0/ENOMEM. */
int gen_text(sbuf_t *out, uint64_t hash, uint32_t first, uint32_t count);

/* The non-streaming answer with `tokens` tokens, into out. id is the
 * request's id ("chatcmpl-..."), created its Unix time. Returns 0/ENOMEM. */
int gen_answer(sbuf_t *out, const gen_req_t *req, const char *body, const char *id,
               uint64_t created, uint32_t tokens);

/* Streaming. gen_prefix writes, once per request, what every chunk of an
 * OpenAI stream starts with: {"id":..,"object":..,"created":..,"model":..,
 * "choices":[ ; TGI needs none. Each gen_event_* appends one SSE event
 * ("data: ...", then eol twice; TGI writes "data:" as TGI does). */
int gen_prefix(sbuf_t *pre, const gen_req_t *req, const char *body, const char *id,
               uint64_t created);

/* Chat's first chunk: delta {"role":"assistant","content":""}. Other APIs:
 * nothing. */
int gen_event_role(sbuf_t *out, const gen_req_t *req, const sbuf_t *pre, const char *eol);

/* A content event: tokens [first, first + count) of the answer, or text
 * (JSON-escaped here) when text is not NULL; count 0 and no text = empty
 * content. finish (e.g. "length") marks the last event: OpenAI sets
 * finish_reason, TGI adds generated_text (tokens [0, first + count)) and
 * details. */
int gen_event_text(sbuf_t *out, const gen_req_t *req, const sbuf_t *pre, uint32_t first,
                   uint32_t count, const char *text, size_t tlen, const char *finish,
                   const char *eol);

/* OpenAI's usage chunk ("choices":[] and usage). TGI: nothing. */
int gen_event_usage(sbuf_t *out, const gen_req_t *req, const sbuf_t *pre, uint32_t completion,
                    const char *eol);

/* A mid-stream error event as vLLM (data: {"error": {...}}) or TGI
 * (data:{"error":..,"error_type":"generation"}) sends it. */
int gen_event_error(sbuf_t *out, const gen_req_t *req, const char *msg, size_t mlen,
                    const char *eol);

/* OpenAI's "data: [DONE]". TGI: nothing. */
int gen_event_done(sbuf_t *out, const gen_req_t *req, const char *eol);

#endif
