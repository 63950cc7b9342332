/* api — which paths the stub serves for which preset, and the error body each
 * API's clients expect. Private to src/stub/.
 *
 * With STUB_API_ALL every preset is served at its default path (the tailgate
 * preset at cfg->path); with one preset, only that preset, at cfg->path.
 * A path may hold "{model}" and "{version}" segments, each matching one
 * non-empty segment whose place in the target is captured (KServe's model
 * name comes from the URL). The TGI preset also serves PATH_stream. */
#ifndef TAILGATE_STUB_API_H
#define TAILGATE_STUB_API_H

#include <stdbool.h>
#include <stddef.h>

#include "stub/sbuf.h"
#include "stub/stub.h"

typedef enum {
    ROUTE_INFER,       /* tailgate preset */
    ROUTE_COMPLETIONS, /* openai-completions */
    ROUTE_CHAT,        /* openai-chat */
    ROUTE_EMBEDDINGS,  /* openai-embeddings */
    ROUTE_KSERVE,      /* kserve-v2 */
    ROUTE_TGI,         /* tgi, /generate */
    ROUTE_TGI_STREAM,  /* tgi, /generate_stream */
    ROUTE_HEALTHZ,
    ROUTE_STATS,
    ROUTE_NOT_FOUND,
    ROUTE_POST_ONLY, /* 405, Allow: POST */
    ROUTE_GET_ONLY,  /* 405, Allow: GET */
} route_t;

/* Where {model} and {version} matched in the target (len 0: not in the
 * path). */
typedef struct {
    size_t model_off, model_len;
    size_t version_off, version_len;
} api_capture_t;

/* Routes target[0..n) (a query string is ignored) for a request whose method
 * is POST (post) or GET/HEAD (get). */
route_t api_route(const stub_config_t *cfg, const char *target, size_t n, bool post, bool get,
                  api_capture_t *cap);

/* The preset a route belongs to (STUB_API_ALL for the others). */
stub_api_t api_of_route(route_t route);

/* Appends the error body the API's clients parse, naming msg:
 *   OpenAI (vLLM):  {"error":{"message":M,"type":T,"param":null,"code":S}}
 *   TGI:            {"error":M,"error_type":"validation"|"generation"|...}
 *   KServe v2, tailgate, everything else: {"error":M}
 * Returns 0 or ENOMEM. */
int api_error_body(sbuf_t *out, stub_api_t api, int status, const char *msg);

#endif
