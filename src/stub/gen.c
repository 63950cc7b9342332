/* gen — generating APIs' bodies (see gen.h).
 *
 * Shapes, field by field, from vLLM's OpenAI server (protocol.py;
 * serving_chat.py chat_completion_stream_generator: a first chunk with the
 * role and empty content, content chunks, the last content chunk carrying
 * finish_reason and stop_reason, a usage chunk with "choices": [] when
 * stream_options.include_usage, then "data: [DONE]"; serving_completion.py
 * likewise with choices[0].text) and TGI's router (lib.rs StreamResponse
 * {index, token{id,text,logprob,special}, generated_text, details} with
 * generated_text and details only on the last event, GenerateResponse
 * {generated_text[, details]}). Our own code; no text copied. */
#include "stub/gen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* 64 words: token i of a prompt is " " + one of them. */
static const char *const words[64] = {
    "the",  "model",  "token",  "latency", "tail",  "server", "batch", "queue", "step",   "gate",
    "load", "stream", "fast",   "slow",    "p99",   "time",   "first", "per",   "output", "input",
    "wait", "slot",   "decode", "prefill", "a",     "of",     "to",    "and",   "in",     "is",
    "it",   "that",   "for",    "on",      "with",  "as",     "we",    "by",    "at",     "from",
    "this", "be",     "or",     "an",      "are",   "was",    "but",   "not",   "cache",  "kv",
    "gpu",  "core",   "byte",   "event",   "chunk", "line",   "data",  "done",  "usage",  "reply",
    "send", "read",   "write",  "end",
};

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned word_of(uint64_t hash, uint32_t i)
{
    return (unsigned)(mix(hash + 0x9e3779b97f4a7c15ull * ((uint64_t)i + 1)) & 63);
}

int gen_text(sbuf_t *out, uint64_t hash, uint32_t first, uint32_t count)
{
    for (uint32_t i = first; i < first + count; i++) {
        const char *w = words[word_of(hash, i)];
        size_t n = strlen(w);
        if (sbuf_reserve(out, n + 1))
            return ENOMEM;
        out->data[out->len++] = ' ';
        memcpy(out->data + out->len, w, n);
        out->len += n;
    }
    return 0;
}

/* ---- parsing ---- */

static int bad(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return -1;
}

static uint32_t tokens_of_bytes(size_t bytes)
{
    size_t t = bytes / 4;
    return t < 1 ? 1 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* A count field: absent or null = keep *out; else an integer in [1, max]. */
static int read_count(const char *body, jscan_span_t v, const char *name, uint32_t *out, char *why,
                      size_t whylen)
{
    if (!v.len || (v.len == 4 && !memcmp(body + v.off, "null", 4)))
        return 0;
    uint64_t x;
    if (jscan_u64(body, v, GEN_MAX_TOKENS, &x) || x < 1) {
        snprintf(why, whylen, "\"%s\" must be an integer from 1 to %d", name, GEN_MAX_TOKENS);
        return -1;
    }
    *out = (uint32_t)x;
    return 0;
}

static int read_flag(const char *body, jscan_span_t v, const char *name, bool *out, char *why,
                     size_t whylen)
{
    if (!v.len || (v.len == 4 && !memcmp(body + v.off, "null", 4)))
        return 0;
    if (jscan_bool(body, v, out)) {
        snprintf(why, whylen, "\"%s\" must be true or false", name);
        return -1;
    }
    return 0;
}

/* completions: "prompt" is a string, an array holding one string, or an
 * array of token ids (one prompt). Several prompts in one request are
 * refused: the stub answers one sequence per request. */
static int parse_prompt(const char *body, jscan_span_t p, gen_req_t *req, char *why, size_t whylen)
{
    if (!p.len)
        return bad(why, whylen, "\"prompt\" is missing");
    const char *v = body + p.off;
    if (*v == '"') {
        jscan_value(v, p.len, &req->prompt_hash, NULL);
        req->prompt_tokens = tokens_of_bytes(p.len - 2);
        return 0;
    }
    if (*v != '[')
        return bad(why, whylen, "\"prompt\" must be a string or an array");
    size_t pos = 0, n = 0, strings = 0;
    jscan_span_t e, first = {0, 0};
    uint64_t h;
    while (jscan_element(v, p.len, &pos, &e, &h) == 1) {
        if (!n)
            first = e;
        n++;
        if (v[e.off] == '"')
            strings++;
        else if (v[e.off] != '-' && (v[e.off] < '0' || v[e.off] > '9'))
            return bad(why, whylen, "\"prompt\" array elements must be strings or token ids");
    }
    if (n == 0)
        return bad(why, whylen, "\"prompt\" must not be empty");
    if (strings && (strings != 1 || n != 1))
        return bad(why, whylen,
                   "\"prompt\" holds several prompts: the stub answers one prompt per request");
    if (strings) {
        jscan_value(v + first.off, first.len, &req->prompt_hash, NULL);
        req->prompt_tokens = tokens_of_bytes(first.len - 2);
    } else {
        jscan_value(v, p.len, &req->prompt_hash, NULL);
        req->prompt_tokens = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    }
    return 0;
}

/* chat: "messages" is a non-empty array of objects with a "role"; the
 * prompt's bytes are those of each message's "content". */
static int parse_messages(const char *body, jscan_span_t m, gen_req_t *req, char *why,
                          size_t whylen)
{
    if (!m.len)
        return bad(why, whylen, "\"messages\" is missing");
    if (body[m.off] != '[')
        return bad(why, whylen, "\"messages\" must be an array");
    static const char *const keys[] = {"role", "content"};
    size_t pos = 0, n = 0, bytes = 0;
    jscan_span_t e, f[2];
    uint64_t h;
    while (jscan_element(body + m.off, m.len, &pos, &e, &h) == 1) {
        e.off += m.off;
        if (jscan_members(body, e, keys, f, 2) || !f[0].len || body[f[0].off] != '"') {
            snprintf(why, whylen, "\"messages\"[%zu] must be an object with a string \"role\"", n);
            return -1;
        }
        if (f[1].len)
            bytes += body[f[1].off] == '"' ? f[1].len - 2 : f[1].len;
        n++;
    }
    if (n == 0)
        return bad(why, whylen, "\"messages\" must not be empty");
    jscan_value(body + m.off, m.len, &req->prompt_hash, NULL);
    req->prompt_tokens = tokens_of_bytes(bytes);
    return 0;
}

enum {
    K_MODEL,
    K_PROMPT,
    K_MESSAGES,
    K_INPUTS,
    K_MAX,
    K_MAX_COMPLETION,
    K_PARAMS,
    K_STREAM,
    K_STREAM_OPTIONS,
    K_N,
    NKEYS
};

int gen_parse(stub_api_t api, bool stream, const char *body, size_t len, gen_req_t *req, char *why,
              size_t whylen)
{
    static const char *const keys[NKEYS] = {
        [K_MODEL] = "model",
        [K_PROMPT] = "prompt",
        [K_MESSAGES] = "messages",
        [K_INPUTS] = "inputs",
        [K_MAX] = "max_tokens",
        [K_MAX_COMPLETION] = "max_completion_tokens",
        [K_PARAMS] = "parameters",
        [K_STREAM] = "stream",
        [K_STREAM_OPTIONS] = "stream_options",
        [K_N] = "n",
    };
    jscan_span_t k[NKEYS];
    jscan_error_t err;
    memset(req, 0, sizeof *req);
    req->api = api;
    if (jscan_document(body, len, keys, k, NKEYS, &err) < 0) {
        snprintf(why, whylen, "malformed JSON: %s at byte %zu", err.what, err.offset);
        return -1;
    }
    if (body[jscan_skip_ws(body, len)] != '{')
        return bad(why, whylen, "request body must be a JSON object");

    if (api == STUB_API_TGI) {
        /* {"inputs": "...", "parameters": {"max_new_tokens": N, "details": B}} */
        if (!k[K_INPUTS].len)
            return bad(why, whylen, "\"inputs\" is missing");
        if (body[k[K_INPUTS].off] != '"')
            return bad(why, whylen, "\"inputs\" must be a string");
        jscan_value(body + k[K_INPUTS].off, k[K_INPUTS].len, &req->prompt_hash, NULL);
        req->prompt_tokens = tokens_of_bytes(k[K_INPUTS].len - 2);
        req->max_tokens = GEN_TGI_DEFAULT_TOKENS;
        req->stream = stream;
        jscan_span_t p = k[K_PARAMS];
        if (p.len && !(p.len == 4 && !memcmp(body + p.off, "null", 4))) {
            static const char *const pkeys[] = {"max_new_tokens", "details"};
            jscan_span_t pk[2];
            if (jscan_members(body, p, pkeys, pk, 2))
                return bad(why, whylen, "\"parameters\" must be an object");
            if (read_count(body, pk[0], "max_new_tokens", &req->max_tokens, why, whylen) ||
                read_flag(body, pk[1], "details", &req->details, why, whylen))
                return -1;
        }
        return 0;
    }

    jscan_span_t m = k[K_MODEL];
    if (m.len && body[m.off] != '"' && !(m.len == 4 && !memcmp(body + m.off, "null", 4)))
        return bad(why, whylen, "\"model\" must be a string");
    if (m.len && body[m.off] == '"')
        req->model = m;
    if (api == STUB_API_OPENAI_CHAT ? parse_messages(body, k[K_MESSAGES], req, why, whylen)
                                    : parse_prompt(body, k[K_PROMPT], req, why, whylen))
        return -1;
    req->max_tokens = GEN_DEFAULT_TOKENS;
    if (read_count(body, k[K_MAX], "max_tokens", &req->max_tokens, why, whylen) ||
        (api == STUB_API_OPENAI_CHAT &&
         read_count(body, k[K_MAX_COMPLETION], "max_completion_tokens", &req->max_tokens, why,
                    whylen)) ||
        read_flag(body, k[K_STREAM], "stream", &req->stream, why, whylen))
        return -1;
    uint32_t n = 1;
    if (read_count(body, k[K_N], "n", &n, why, whylen))
        return -1;
    if (n != 1)
        return bad(why, whylen, "\"n\" must be 1: the stub generates one choice per request");
    jscan_span_t so = k[K_STREAM_OPTIONS];
    if (so.len && !(so.len == 4 && !memcmp(body + so.off, "null", 4))) {
        /* vLLM refuses stream_options on a request that does not stream. */
        if (!req->stream)
            return bad(why, whylen, "\"stream_options\" can only be set when \"stream\" is true");
        static const char *const skeys[] = {"include_usage"};
        jscan_span_t sk[1];
        if (jscan_members(body, so, skeys, sk, 1))
            return bad(why, whylen, "\"stream_options\" must be an object");
        if (read_flag(body, sk[0], "stream_options.include_usage", &req->include_usage, why,
                      whylen))
            return -1;
    }
    return 0;
}

/* ---- answers ---- */

static int put_model(sbuf_t *out, const gen_req_t *req, const char *body)
{
    if (req->model.len)
        return sbuf_append(out, body + req->model.off, req->model.len);
    return sbuf_puts(out, "\"tailgate-stub\"");
}

static int put_usage(sbuf_t *out, const gen_req_t *req, uint32_t completion)
{
    return sbuf_printf(out,
                       "\"usage\":{\"prompt_tokens\":%u,\"total_tokens\":%llu,"
                       "\"completion_tokens\":%u}",
                       req->prompt_tokens, (unsigned long long)req->prompt_tokens + completion,
                       completion);
}

int gen_answer(sbuf_t *out, const gen_req_t *req, const char *body, const char *id,
               uint64_t created, uint32_t tokens)
{
    if (req->api == STUB_API_TGI) {
        if (sbuf_puts(out, "{\"generated_text\":\"") || gen_text(out, req->prompt_hash, 0, tokens))
            return ENOMEM;
        if (req->details &&
            sbuf_printf(out,
                        "\",\"details\":{\"finish_reason\":\"length\",\"generated_tokens\":%u,"
                        "\"seed\":null,\"prefill\":[],\"tokens\":[]}}",
                        tokens))
            return ENOMEM;
        return req->details ? 0 : sbuf_puts(out, "\"}");
    }
    bool chat = req->api == STUB_API_OPENAI_CHAT;
    if (sbuf_printf(out, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%llu,\"model\":", id,
                    chat ? "chat.completion" : "text_completion", (unsigned long long)created) ||
        put_model(out, req, body) ||
        sbuf_puts(out, chat ? ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                              "\"content\":\""
                            : ",\"choices\":[{\"index\":0,\"text\":\"") ||
        gen_text(out, req->prompt_hash, 0, tokens) ||
        sbuf_puts(out, chat ? "\",\"tool_calls\":[]},\"logprobs\":null,\"finish_reason\":"
                              "\"length\",\"stop_reason\":null}],"
                            : "\",\"logprobs\":null,\"finish_reason\":\"length\","
                              "\"stop_reason\":null,\"prompt_logprobs\":null}],") ||
        put_usage(out, req, tokens) || sbuf_puts(out, "}"))
        return ENOMEM;
    return 0;
}

int gen_prefix(sbuf_t *pre, const gen_req_t *req, const char *body, const char *id,
               uint64_t created)
{
    sbuf_reset(pre);
    if (req->api == STUB_API_TGI)
        return 0;
    bool chat = req->api == STUB_API_OPENAI_CHAT;
    if (sbuf_printf(pre, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%llu,\"model\":", id,
                    chat ? "chat.completion.chunk" : "text_completion",
                    (unsigned long long)created) ||
        put_model(pre, req, body) || sbuf_puts(pre, ",\"choices\":["))
        return ENOMEM;
    return 0;
}

static int event_start(sbuf_t *out, const gen_req_t *req, const sbuf_t *pre)
{
    if (req->api == STUB_API_TGI)
        return sbuf_puts(out, "data:");
    if (sbuf_puts(out, "data: "))
        return ENOMEM;
    return sbuf_append(out, pre->data, pre->len);
}

static int event_end(sbuf_t *out, const char *eol)
{
    if (sbuf_puts(out, eol) || sbuf_puts(out, eol))
        return ENOMEM;
    return 0;
}

int gen_event_role(sbuf_t *out, const gen_req_t *req, const sbuf_t *pre, const char *eol)
{
    if (req->api != STUB_API_OPENAI_CHAT)
        return 0;
    if (event_start(out, req, pre) ||
        sbuf_puts(out, "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                       "\"logprobs\":null,\"finish_reason\":null}]}") ||
        event_end(out, eol))
        return ENOMEM;
    return 0;
}

static int put_content(sbuf_t *out, const gen_req_t *req, uint32_t first, uint32_t count,
                       const char *text, size_t tlen)
{
    if (!text)
        return gen_text(out, req->prompt_hash, first, count);
    /* The caller's text, escaped, without the quotes sbuf_json_string adds. */
    size_t at = out->len;
    if (sbuf_json_string(out, text, tlen))
        return ENOMEM;
    memmove(out->data + at, out->data + at + 1, out->len - at - 2);
    out->len -= 2;
    return 0;
}

int gen_event_text(sbuf_t *out, const gen_req_t *req, const sbuf_t *pre, uint32_t first,
                   uint32_t count, const char *text, size_t tlen, const char *finish,
                   const char *eol)
{
    if (event_start(out, req, pre))
        return ENOMEM;
    int rc = 0;
    switch (req->api) {
    case STUB_API_OPENAI_CHAT:
        rc = sbuf_puts(out, "{\"index\":0,\"delta\":{\"content\":\"");
        break;
    case STUB_API_TGI: {
        uint32_t last = first + count;
        unsigned id = count ? word_of(req->prompt_hash, last - 1) + 1000 : 0;
        rc =
            sbuf_printf(out, "{\"index\":%u,\"token\":{\"id\":%u,\"text\":\"", last ? last : 1, id);
        break;
    }
    default:
        rc = sbuf_puts(out, "{\"index\":0,\"text\":\"");
    }
    if (rc || put_content(out, req, first, count, text, tlen))
        return ENOMEM;
    switch (req->api) {
    case STUB_API_OPENAI_CHAT:
        rc = sbuf_puts(out, "\"},\"logprobs\":null,\"finish_reason\":");
        break;
    case STUB_API_TGI:
        rc = sbuf_puts(out, "\",\"logprob\":-0.25,\"special\":false},\"generated_text\":");
        if (rc)
            return ENOMEM;
        if (!finish)
            rc = sbuf_puts(out, "null,\"details\":null}");
        else if (sbuf_puts(out, "\"") || gen_text(out, req->prompt_hash, 0, first + count) ||
                 sbuf_printf(out,
                             "\",\"details\":{\"finish_reason\":\"%s\",\"generated_tokens\":%u,"
                             "\"seed\":null,\"input_length\":%u}}",
                             finish, first + count, req->prompt_tokens))
            rc = ENOMEM;
        return rc || event_end(out, eol) ? ENOMEM : 0;
    default:
        rc = sbuf_puts(out, "\",\"logprobs\":null,\"finish_reason\":");
    }
    if (rc)
        return ENOMEM;
    if (finish ? sbuf_printf(out, "\"%s\"", finish) : sbuf_puts(out, "null"))
        return ENOMEM;
    /* vLLM: stop_reason beside a finish_reason in chat; always in completions. */
    if ((finish || req->api == STUB_API_OPENAI_COMPLETIONS) &&
        sbuf_puts(out, ",\"stop_reason\":null"))
        return ENOMEM;
    if (sbuf_puts(out, "}]}") || event_end(out, eol))
        return ENOMEM;
    return 0;
}

int gen_event_usage(sbuf_t *out, const gen_req_t *req, const sbuf_t *pre, uint32_t completion,
                    const char *eol)
{
    if (req->api == STUB_API_TGI)
        return 0;
    if (event_start(out, req, pre) || sbuf_puts(out, "],") || put_usage(out, req, completion) ||
        sbuf_puts(out, "}") || event_end(out, eol))
        return ENOMEM;
    return 0;
}

int gen_event_error(sbuf_t *out, const gen_req_t *req, const char *msg, size_t mlen,
                    const char *eol)
{
    bool tgi = req->api == STUB_API_TGI;
    if (sbuf_puts(out, tgi ? "data:{\"error\":" : "data: {\"error\":{\"message\":") ||
        sbuf_json_string(out, msg, mlen) ||
        sbuf_puts(out, tgi ? ",\"error_type\":\"generation\"}"
                           : ",\"type\":\"InternalServerError\",\"param\":null,\"code\":500}}") ||
        event_end(out, eol))
        return ENOMEM;
    return 0;
}

int gen_event_done(sbuf_t *out, const gen_req_t *req, const char *eol)
{
    if (req->api == STUB_API_TGI)
        return 0;
    if (sbuf_puts(out, "data: [DONE]") || event_end(out, eol))
        return ENOMEM;
    return 0;
}
