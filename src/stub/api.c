/* api — presets, routes and error bodies (see api.h).
 *
 * The shapes come from the public references, not from their code:
 *   OpenAI API reference (platform.openai.com/docs/api-reference), and vLLM's
 *     OpenAI-compatible server (vllm/entrypoints/openai/protocol.py,
 *     serving_chat.py, serving_completion.py) for the exact fields;
 *   the Open Inference Protocol / KServe v2 REST spec
 *     (kserve/open-inference-protocol, specification/protocol/inference_rest.md);
 *   Hugging Face text-generation-inference's router (router/src/lib.rs,
 *     server.rs: GenerateRequest, GenerateResponse, StreamResponse,
 *     ErrorResponse). */
#include "stub/api.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *name;
    const char *path;
} presets[] = {
    [STUB_API_ALL] = {"all", "/v1/infer"},
    [STUB_API_TAILGATE] = {"tailgate", "/v1/infer"},
    [STUB_API_OPENAI_COMPLETIONS] = {"openai-completions", "/v1/completions"},
    [STUB_API_OPENAI_CHAT] = {"openai-chat", "/v1/chat/completions"},
    [STUB_API_OPENAI_EMBEDDINGS] = {"openai-embeddings", "/v1/embeddings"},
    [STUB_API_KSERVE_V2] = {"kserve-v2", "/v2/models/{model}/infer"},
    [STUB_API_TGI] = {"tgi", "/generate"},
};
#define NPRESETS (sizeof presets / sizeof presets[0])

/* KServe's optional version segment, served beside the default path. */
static const char kserve_versioned[] = "/v2/models/{model}/versions/{version}/infer";

const char *stub_api_name(stub_api_t api)
{
    return (size_t)api < NPRESETS ? presets[api].name : "?";
}

int stub_api_parse(const char *name, stub_api_t *out)
{
    for (size_t i = 0; i < NPRESETS; i++)
        if (!strcmp(name, presets[i].name)) {
            *out = (stub_api_t)i;
            return 0;
        }
    return -1;
}

const char *stub_api_path(stub_api_t api)
{
    return (size_t)api < NPRESETS ? presets[api].path : presets[STUB_API_ALL].path;
}

stub_api_t api_of_route(route_t route)
{
    switch (route) {
    case ROUTE_INFER:
        return STUB_API_TAILGATE;
    case ROUTE_COMPLETIONS:
        return STUB_API_OPENAI_COMPLETIONS;
    case ROUTE_CHAT:
        return STUB_API_OPENAI_CHAT;
    case ROUTE_EMBEDDINGS:
        return STUB_API_OPENAI_EMBEDDINGS;
    case ROUTE_KSERVE:
        return STUB_API_KSERVE_V2;
    case ROUTE_TGI:
    case ROUTE_TGI_STREAM:
        return STUB_API_TGI;
    default:
        return STUB_API_ALL;
    }
}

/* Does t[0..n) match pattern (with suffix appended)? Captures {model} and
 * {version}. */
static bool match(const char *pattern, const char *suffix, const char *t, size_t n,
                  api_capture_t *cap)
{
    api_capture_t c = {0};
    size_t i = 0;
    const char *p = pattern;
    for (;;) {
        if (*p == '\0' && suffix) {
            p = suffix;
            suffix = NULL;
        }
        if (*p == '\0')
            break;
        bool is_model = !strncmp(p, "{model}", 7), is_version = !strncmp(p, "{version}", 9);
        if (is_model || is_version) {
            size_t start = i;
            while (i < n && t[i] != '/')
                i++;
            if (i == start)
                return false;
            if (is_model) {
                c.model_off = start;
                c.model_len = i - start;
            } else {
                c.version_off = start;
                c.version_len = i - start;
            }
            p += is_model ? 7 : 9;
            continue;
        }
        if (i == n || t[i] != *p)
            return false;
        i++;
        p++;
    }
    if (i != n)
        return false;
    *cap = c;
    return true;
}

route_t api_route(const stub_config_t *cfg, const char *target, size_t n, bool post, bool get,
                  api_capture_t *cap)
{
    const char *q = memchr(target, '?', n); /* a query string does not change the route */
    if (q)
        n = (size_t)(q - target);
    memset(cap, 0, sizeof *cap);
    route_t r = ROUTE_NOT_FOUND;
    stub_api_t api = cfg->api;
    /* The preset's own path: cfg->path. */
    const char *own = cfg->path;
    static const route_t route_of_api[] = {
        [STUB_API_ALL] = ROUTE_INFER,
        [STUB_API_TAILGATE] = ROUTE_INFER,
        [STUB_API_OPENAI_COMPLETIONS] = ROUTE_COMPLETIONS,
        [STUB_API_OPENAI_CHAT] = ROUTE_CHAT,
        [STUB_API_OPENAI_EMBEDDINGS] = ROUTE_EMBEDDINGS,
        [STUB_API_KSERVE_V2] = ROUTE_KSERVE,
        [STUB_API_TGI] = ROUTE_TGI,
    };
    if (match(own, NULL, target, n, cap))
        r = route_of_api[api];
    else if (api == STUB_API_TGI && match(own, "_stream", target, n, cap))
        r = ROUTE_TGI_STREAM;
    else if (api == STUB_API_KSERVE_V2 && !strcmp(own, presets[STUB_API_KSERVE_V2].path) &&
             match(kserve_versioned, NULL, target, n, cap))
        r = ROUTE_KSERVE;
    else if (api == STUB_API_ALL) {
        for (stub_api_t a = STUB_API_OPENAI_COMPLETIONS; a < (stub_api_t)NPRESETS; a++)
            if (match(presets[a].path, NULL, target, n, cap)) {
                r = route_of_api[a];
                break;
            }
        if (r == ROUTE_NOT_FOUND && match(presets[STUB_API_TGI].path, "_stream", target, n, cap))
            r = ROUTE_TGI_STREAM;
        if (r == ROUTE_NOT_FOUND && match(kserve_versioned, NULL, target, n, cap))
            r = ROUTE_KSERVE;
    }
    if (r != ROUTE_NOT_FOUND)
        return post ? r : ROUTE_POST_ONLY;
    /* HEAD wherever GET works (RFC 9110 §9.3.2): the same head, no body. */
    if (match("/healthz", NULL, target, n, cap))
        return get ? ROUTE_HEALTHZ : ROUTE_GET_ONLY;
    if (match("/stats", NULL, target, n, cap))
        return get ? ROUTE_STATS : ROUTE_GET_ONLY;
    return ROUTE_NOT_FOUND;
}

int api_error_body(sbuf_t *out, stub_api_t api, int status, const char *msg)
{
    size_t n = strlen(msg);
    switch (api) {
    case STUB_API_OPENAI_COMPLETIONS:
    case STUB_API_OPENAI_CHAT:
    case STUB_API_OPENAI_EMBEDDINGS: {
        /* vLLM's ErrorResponse(error=ErrorInfo(...)) and its type names: a
         * client's error (408, 413, 431 too) is a bad request, not the server's. */
        const char *type = status == 404   ? "NotFoundError"
                           : status < 500  ? "BadRequestError"
                           : status == 503 ? "ServiceUnavailableError"
                                           : "InternalServerError";
        if (sbuf_puts(out, "{\"error\":{\"message\":") || sbuf_json_string(out, msg, n) ||
            sbuf_printf(out, ",\"type\":\"%s\",\"param\":null,\"code\":%d}}", type, status))
            return ENOMEM;
        return 0;
    }
    case STUB_API_TGI: {
        /* TGI's ErrorResponse {error, error_type}. */
        const char *type = status < 500    ? "validation"
                           : status == 503 ? "overloaded"
                                           : "generation";
        if (sbuf_puts(out, "{\"error\":") || sbuf_json_string(out, msg, n) ||
            sbuf_printf(out, ",\"error_type\":\"%s\"}", type))
            return ENOMEM;
        return 0;
    }
    default:
        if (sbuf_puts(out, "{\"error\":") || sbuf_json_string(out, msg, n) || sbuf_puts(out, "}"))
            return ENOMEM;
        return 0;
    }
}
