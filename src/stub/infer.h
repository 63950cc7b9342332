/* infer — the stub's "model": JSON request body -> JSON response body.
 *
 * Each output is a deterministic function of its input alone: the input's
 * canonical hash (jscan.h: whitespace and key order do not count) gives
 *   {"label": "positive"|"negative", "score": 0.xxxx, "input_hash": "16 hex"}
 * so an input answers the same alone or in any batch. The model is echoed
 * as sent, minus whitespace. */
#ifndef TAILGATE_STUB_INFER_H
#define TAILGATE_STUB_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/sbuf.h"

/* Parses body[0..len) and appends the response body to out. Returns the HTTP
 * status: 200 (out holds {"model","outputs"}, *items = number of inputs) or
 * 400 (out holds {"error": "..."} naming what is wrong, *items = 0); or -1
 * when out of memory. shuffle (TEST-ONLY) reorders the outputs of a batch of
 * more than one so batched answers differ from single ones. */
int infer_answer(const char *body, size_t len, bool shuffle, sbuf_t *out, size_t *items);

/* Appends {"error": msg} to out. Returns 0 or ENOMEM. */
int infer_error_body(sbuf_t *out, const char *msg);

#endif
