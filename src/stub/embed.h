/* embed — the openai-embeddings preset: POST /v1/embeddings as vLLM and the
 * OpenAI API answer it. Pure: body in, answer out.
 *
 * "input" is a string (one item), an array of strings or of token-id arrays
 * (one item each), or one token-id array (one item). Each item's embedding
 * is a deterministic function of that item alone (its canonical JSON hash,
 * jscan.h), so an input's vector is the same alone and in any batch:
 * "dimensions" values (default EMBED_DEFAULT_DIM) of unit L2 norm, as JSON
 * numbers or, with "encoding_format": "base64", as base64 little-endian
 * float32 (what the OpenAI Python client asks for). */
#ifndef TAILGATE_STUB_EMBED_H
#define TAILGATE_STUB_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "stub/sbuf.h"

#define EMBED_DEFAULT_DIM 16
#define EMBED_MAX_DIM 8192

/* Parses body[0..len) and appends the answer to out:
 *   {"id":ID,"object":"list","created":T,"model":M,"data":[{"index":0,
 *    "object":"embedding","embedding":[...]},...],"usage":{...}}
 * Returns 200 (*items = number of inputs), 400 (nothing appended, what is
 * wrong in why) or -1 (out of memory). */
int embed_answer(const char *body, size_t len, const char *id, uint64_t created, sbuf_t *out,
                 size_t *items, char *why, size_t whylen);

#endif
