/* kserve — the kserve-v2 preset: POST /v2/models/{model}[/versions/{v}]/infer
 * in the Open Inference Protocol (KServe v2 / Triton REST). Pure: body in,
 * answer out.
 *
 * The request carries 1..KSERVE_MAX_INPUTS input tensors {name, shape,
 * datatype, data}; the first dimension of every shape is the batch (all
 * equal), data holds the tensor's elements in row-major order, flat or
 * nested. Item i of the batch is the i-th slice of every input; its output
 * is a deterministic function of those elements alone, so an item answers
 * the same alone and in any batch. The answer has one output tensor, shape
 * [batch, 2], datatype FP32, data [p_negative, p_positive] per item:
 *   {"model_name":M,["model_version":V,]"id":ID,"parameters":{},
 *    "outputs":[{"name":N,"shape":[B,2],"datatype":"FP32","data":[...]}]} */
#ifndef TAILGATE_STUB_KSERVE_H
#define TAILGATE_STUB_KSERVE_H

#include <stddef.h>

#include "stub/sbuf.h"

#define KSERVE_MAX_INPUTS 16

/* model/version: from the URL (version may be NULL/0); id: used when the
 * request has none. Returns 200 (*items = the batch size), 400 (nothing
 * appended, what is wrong in why) or -1 (out of memory). */
int kserve_answer(const char *body, size_t len, const char *model, size_t model_len,
                  const char *version, size_t version_len, const char *id, sbuf_t *out,
                  size_t *items, char *why, size_t whylen);

#endif
