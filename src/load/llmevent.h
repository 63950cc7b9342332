/* llmevent — what one streamed event of an LLM API says, for token timing.
 * Pure: no I/O, no allocation, nothing kept.
 *
 * An event is token-bearing when, in its JSON data, one of
 *     choices[0].text           (OpenAI / vLLM completions)
 *     choices[0].delta.content  (OpenAI / vLLM chat)
 *     token.text                (TGI generate_stream)
 * is a string of at least one character; so is a whole, non-streamed answer
 * (choices[0].message.content, or TGI's root generated_text), which a
 * streaming request may get instead and is then measured as one event.
 * Role-only chunks, "content": "" or null, finish chunks with empty content,
 * usage-only chunks ("choices": []) and [DONE] are not. Escapes count as the
 * character they stand for, so "\n", " " and "\u0000" are one-character
 * tokens; "" is none.
 *
 * How: a small single-pass scanner, not a JSON parser. It validates the whole
 * text as RFC 8259 JSON (structure, string escapes, number syntax, nesting at
 * most LLMEVENT_MAX_DEPTH values deep, counted as jansson counts) but does
 * not check UTF-8 or number ranges, and it builds nothing: only the members
 * on the paths above are looked at, everything else is skipped in place.
 * Duplicate keys: the last one wins, as with jansson; keys are compared after
 * decoding escapes. Why not jansson: json_loadb allocates every object,
 * string and number of the chunk (a chat chunk is ~15 values), and this runs
 * once per token event on the client's hot path; test_llmevent measures
 * both on vLLM chat chunks: ~0.26 us against ~3.6 us per chunk (14x), and
 * fuzz_llmevent checks that wherever jansson accepts a document, this
 * scanner reads the same answer from it.
 *
 * The end of an answer (llmevent_t.finish): a string in
 *     choices[i].finish_reason      (OpenAI / vLLM: any choice; null until the
 *                                    last chunk of that choice)
 *     generated_text                (TGI: null until the last event)
 *     details.finish_reason         (TGI's last event)
 * ("" too: what matters is that the server set it). [DONE] is its own kind.
 *
 * The token count: usage.completion_tokens (OpenAI, vLLM; sent in the last
 * chunk with stream_options.include_usage), else details.generated_tokens
 * (TGI's last event), each only when a non-negative integer.
 *
 * Errors: an SSE event named "error" whatever its data; "error" at the root
 * with a value other than null ({"error": {...}} as vLLM and OpenAI send
 * mid-stream, {"error": "...", "error_type": ...} as TGI does); or
 * "object": "error" at the root (vLLM's older error body). */
#ifndef TAILGATE_LOAD_LLMEVENT_H
#define TAILGATE_LOAD_LLMEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LLMEVENT_MAX_DEPTH 2048 /* the root is depth 1; every value counts (jansson's rule) */

typedef enum {
    LLMEVENT_OTHER,   /* JSON without a token: role, empty content, finish, usage */
    LLMEVENT_TOKEN,   /* token-bearing: t_k is its arrival */
    LLMEVENT_DONE,    /* "[DONE]" (surrounding whitespace allowed) */
    LLMEVENT_ERROR,   /* the server reports a failure mid-stream: stream_error */
    LLMEVENT_INVALID, /* neither JSON nor [DONE] */
} llmevent_kind_t;

typedef struct {
    llmevent_kind_t kind;
    /* usage.completion_tokens, else details.generated_tokens, else -1. Read
     * from OTHER, TOKEN and ERROR events. */
    int64_t completion_tokens;
    /* The event carries a finish marker (above): the answer is complete.
     * Read from OTHER, TOKEN and ERROR events; false for the others. */
    bool finish;
} llmevent_t;

/* Classifies one event: name[0..name_len) is its SSE event type (NULL or
 * "message" when it has none), data[0..data_len) its data. Neither needs a
 * terminating NUL; nothing is read outside them. Precedence when several
 * apply: error > token > other. */
void llmevent_classify(const char *name, size_t name_len, const char *data, size_t data_len,
                       llmevent_t *out);

/* "other", "token", "done", "error", "invalid". */
const char *llmevent_kind_name(llmevent_kind_t kind);

#endif
