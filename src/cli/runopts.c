#include "cli/runopts.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/walltime.h"
#include "load/engine.h"
#include "load/preset.h"
#include "load/rpath.h"
#include "load/template.h"

static const char *const arrival_names[] = {
    [ARRIVAL_CONSTANT] = "constant", [ARRIVAL_POISSON] = "poisson", [ARRIVAL_POISSON + 1] = NULL};
static const char *const http2_names[] = {[ENGINE_H2_OFF] = "off",
                                          [ENGINE_H2_ON] = "on",
                                          [ENGINE_H2_AUTO] = "auto",
                                          [ENGINE_H2_AUTO + 1] = NULL};
static const char *const inputs_format_names[] = {[DATAFILE_AUTO] = "auto",
                                                  [DATAFILE_JSONL] = "jsonl",
                                                  [DATAFILE_CSV] = "csv",
                                                  [DATAFILE_JSON] = "json",
                                                  [DATAFILE_JSON + 1] = NULL};
static const char *const validate_names[] = {[VALIDATE_NONE] = "none",
                                             [VALIDATE_STATUS] = "status",
                                             [VALIDATE_JSON] = "json",
                                             [VALIDATE_OUTPUTS] = "outputs",
                                             [VALIDATE_OUTPUTS + 1] = NULL};

/* Content-Length and Transfer-Encoding are ours to send: a second one would
 * make the request malformed (RFC 9112 §6.3). */
static bool framing_header(const char *h)
{
    size_t n = strcspn(h, ":");
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    return (n == 14 && !strncasecmp(h, "content-length", n)) ||
           (n == 17 && !strncasecmp(h, "transfer-encoding", n));
}

static int check_header(const char *v, char *why, size_t len)
{
    if (!strchr(v, ':') || v[0] == ':' || strpbrk(v, "\r\n")) {
        snprintf(why, len, "not 'Name: value'; write e.g. -H 'Authorization: Bearer TOKEN'");
        return -1;
    }
    if (framing_header(v)) {
        snprintf(why, len, "tailgate frames the body itself (Content-Length); drop this header");
        return -1;
    }
    /* A header value is a template ({{request_id}}...): its errors show now,
     * with any model name (the real one is checked when the run starts). */
    template_t *t;
    if (template_compile(v, strlen(v), TEMPLATE_HEADER, "m", &t, why, len))
        return -1;
    template_free(t);
    return 0;
}

static int check_api(const char *v, char *why, size_t len)
{
    if (!strcmp(v, "help") || preset_find(v))
        return 0;
    size_t n = (size_t)snprintf(why, len, "unknown API; one of");
    for (size_t i = 0; preset_at(i) && n < len; i++)
        n += (size_t)snprintf(why + n, len - n, "%s %s", i ? "," : "", preset_at(i)->name);
    if (n < len)
        snprintf(why + n, len - n, " (--api help shows what each sends)");
    return -1;
}

static int check_template_json(const char *v, char *why, size_t len)
{
    if (!*v) {
        snprintf(why, len,
                 "an empty template; give the body as JSON with placeholders, e.g. "
                 "--template-json '{\"prompt\": {{item}}}'");
        return -1;
    }
    template_t *t;
    if (template_compile(v, strlen(v), TEMPLATE_JSON, "m", &t, why, len))
        return -1;
    template_free(t);
    return 0;
}

static int check_outputs(const char *v, char *why, size_t len)
{
    rpath_t *p;
    if (rpath_compile(v, &p, why, len))
        return -1;
    rpath_free(p);
    return 0;
}

/* A name one of whose words, in any case, names a credential: words split at
 * anything but a letter and where a lower-case letter meets an upper-case one
 * (api_key, X-Api-Key, apiKey, accessToken). Whole words, so max_tokens,
 * keyword and X-Monkey are shown as they are. */
static bool name_looks_secret(const char *name, size_t n)
{
    static const char *const words[] = {"key",        "apikey",      "token", "secret",
                                        "password",   "passwd",      "auth",  "signature",
                                        "credential", "credentials", "sig",   "pwd"};
    size_t i = 0;
    while (i < n) {
        while (i < n && !isalpha((unsigned char)name[i]))
            i++;
        size_t start = i;
        while (
            i < n && isalpha((unsigned char)name[i]) &&
            !(i > start && isupper((unsigned char)name[i]) && islower((unsigned char)name[i - 1])))
            i++;
        for (size_t w = 0; i > start && w < sizeof words / sizeof words[0]; w++)
            if (strlen(words[w]) == i - start && !strncasecmp(name + start, words[w], i - start))
                return true;
    }
    return false;
}

bool runopts_header_is_secret(const char *h)
{
    static const char *const exact[] = {"authorization", "proxy-authorization", "cookie",
                                        "set-cookie"};
    size_t n = strcspn(h, ":");
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strlen(exact[i]) == n && !strncasecmp(h, exact[i], n))
            return true;
    return name_looks_secret(h, n);
}

char *runopts_redact_url(const char *url)
{
    static const char mark[] = "<redacted>";
    size_t len = strlen(url);
    char *out = malloc(len * (sizeof mark) + 1); /* each byte could start a redacted value */
    if (!out)
        return NULL;
    const char *q = strchr(url, '?');
    size_t k = q ? (size_t)(q - url) + 1 : len;
    memcpy(out, url, k);
    for (const char *p = q ? q + 1 : url + len; *p && *p != '#';) {
        size_t plen = strcspn(p, "&#"), nlen = strcspn(p, "=&#");
        if (nlen < plen && name_looks_secret(p, nlen)) {
            memcpy(out + k, p, nlen + 1);
            k += nlen + 1;
            memcpy(out + k, mark, sizeof mark - 1);
            k += sizeof mark - 1;
        } else {
            memcpy(out + k, p, plen);
            k += plen;
        }
        p += plen;
        if (*p == '&')
            out[k++] = *p++;
    }
    const char *frag = q ? strchr(q, '#') : NULL;
    if (frag) {
        memcpy(out + k, frag, strlen(frag));
        k += strlen(frag);
    }
    out[k] = '\0';
    return out;
}

/* "Authorization: Bearer x" -> "Authorization: <redacted>". */
static const char *redact_header(const char *h, char *buf, size_t len)
{
    if (!runopts_header_is_secret(h))
        return h;
    size_t n = strcspn(h, ":");
    snprintf(buf, len, "%.*s: <redacted>", (int)n, h);
    return buf;
}

/* A model the body names: an empty one is no model (and no kserve-v2 path). */
static int check_model(const char *v, char *why, size_t len)
{
    if (!*v) {
        snprintf(why, len,
                 "an empty name; give the model the server serves, e.g. --model "
                 "llama-3-8b (default example-model)");
        return -1;
    }
    return 0;
}

static int check_method(const char *v, char *why, size_t len)
{
    size_t n = strlen(v);
    if (n == 0 || n > 16 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n) {
        snprintf(why, len, "not an HTTP method; use one in capitals, e.g. POST, GET or PUT");
        return -1;
    }
    return 0;
}

/* "I/N" -> index and count; false when it is not one. */
static bool parse_segment(const char *v, unsigned *index, unsigned *count)
{
    unsigned long long i, n;
    int end = 0;
    if (sscanf(v, "%llu/%llu%n", &i, &n, &end) != 2 || v[end] || !strchr("0123456789", v[0]) ||
        i >= n || n > RUNOPTS_MAX_SEGMENTS)
        return false;
    *index = (unsigned)i;
    *count = (unsigned)n;
    return true;
}

static int check_segment(const char *v, char *why, size_t len)
{
    unsigned i, n;
    if (!strcmp(v, "k8s") || parse_segment(v, &i, &n))
        return 0;
    snprintf(why, len,
             "give I/N with 0 <= I < N <= %d (0/4 is the first of four), or k8s to read I "
             "from JOB_COMPLETION_INDEX",
             RUNOPTS_MAX_SEGMENTS);
    return -1;
}

static int check_start_at(const char *v, char *why, size_t len)
{
    uint64_t ns;
    return walltime_parse(v, &ns, why, len);
}

int runopts_check_sla(const char *v, char *why, size_t len)
{
    sla_t s;
    if (sla_parse(v, &s, why, len))
        return -1;
    /* slo_attainment is in percent, and a fraction read so is a gate far
     * easier to pass than meant: "slo_attainment>=0.99" passed with 1
     * request in 100 good, under a warning a CI log buries. Refused. (A
     * fraction given to error_rate errs the strict way: a warning.) */
    if (s.metric == SLA_SLO_ATTAINMENT && s.threshold > 0 && s.threshold <= 1 &&
        !strchr(s.text, '%')) {
        snprintf(why, len,
                 "slo_attainment is in percent: '%s' would pass with %g%% of the requests good; "
                 "write 'slo_attainment%s%g%%' for the fraction %g, or '%s%%' if %g%% is meant",
                 s.text, s.threshold, sla_op_name(&s), s.threshold * 100, s.threshold, s.text,
                 s.threshold);
        return -1;
    }
    return 0;
}

static int check_goodput(const char *v, char *why, size_t len)
{
    goodput_t g;
    return goodput_parse(v, &g, why, len) ? -1 : 0;
}

#define F(field) offsetof(runopts_t, field)

const opt_t runopts_table[] = {
    {.kind = OPT_HEADING, .help = "Load model (one of):"},
    {"concurrency", 'c', OPT_COUNT, OPT_SCOPE_LOAD, F(concurrency), 1, 1e6, .arg = "C",
     .config = "concurrency",
     .help = "closed loop: C requests in flight (default 10); a user\n"
             "whose connection is refused rests 10ms..1s before retrying"},
    {"rate", 'r', OPT_RATE, OPT_SCOPE_LOAD, F(rate), 1e-3, 1e8, .arg = "R", .config = "rate",
     .hidden = RUNOPTS_VIEW_SWEEP,
     .help = "open loop: R items/s, latency from each item's intended time"},
    {"arrival", 0, OPT_ENUM, OPT_SCOPE_LOAD, F(arrival), .choices = arrival_names, .arg = "KIND",
     .config = "arrival", .help = "constant (default) or poisson (open loop)"},
    {"seed", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(seed), 0, 18446744073709551615.0, .arg = "S",
     .config = "seed", .help = "seed for poisson arrivals (default 1)"},
    {.kind = OPT_HEADING, .help = "Bounds (default --duration 10s when neither is given):"},
    {"requests", 'n', OPT_COUNT, OPT_SCOPE_LOAD, F(requests), 1, (double)(UINT64_MAX / 4),
     .arg = "N", .config = "requests", .hidden = RUNOPTS_VIEW_SWEEP,
     .help = "items to send in all"},
    {"duration", 'd', OPT_DURATION, OPT_SCOPE_LOAD, F(duration_ns), 1, 0, .arg = "D",
     .config = "duration_s", .hidden = RUNOPTS_VIEW_SWEEP,
     .help = "run length: 500ms, 30s, 2m. Then requests in flight get\n"
             "--timeout to finish and nothing more is sent: in an open\n"
             "loop, requests still waiting for a connection end as\n"
             "timeouts (counted as never sent)"},
    {"warmup", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(warmup_ns), 0, 0, .arg = "D",
     .config = "warmup_s",
     .help = "run this long first, excluded from every figure;\n--requests counts after it"},
    {.kind = OPT_HEADING,
     .help = "One run over several processes or machines:",
     .hidden = RUNOPTS_VIEW_AB | RUNOPTS_VIEW_SWEEP},
    {"segment", 0, OPT_STRING, OPT_SCOPE_LOAD, F(segment_text), .check = check_segment,
     .arg = "I/N", .hidden = RUNOPTS_VIEW_AB | RUNOPTS_VIEW_SWEEP,
     .help = "run part I of N of the run (0 <= I < N); 'tailgate merge'\n"
             "joins the parts' results. Open loop: arrivals I, I+N, ...\n"
             "of the run's one schedule; closed loop: a share of\n"
             "--concurrency and --connections. Items, request ids and\n"
             "--requests are the whole run's. k8s: I from\n"
             "JOB_COMPLETION_INDEX (an Indexed Job), N from --segments"},
    {"segments", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(segments), 1, RUNOPTS_MAX_SEGMENTS, .arg = "N",
     .hidden = RUNOPTS_VIEW_AB | RUNOPTS_VIEW_SWEEP,
     .help = "with --segment k8s: N, the Job's completions"},
    {"start-at", 0, OPT_STRING, OPT_SCOPE_LOAD, F(start_at_text), .check = check_start_at,
     .arg = "T", .hidden = RUNOPTS_VIEW_AB | RUNOPTS_VIEW_SWEEP,
     .help = "start at wall-clock time T, the same text in every segment:\n"
             "epoch seconds (1767225600.5) or ISO 8601 with a zone\n"
             "(2026-01-01T12:00:00Z); refused when over 1s past"},
    {.kind = OPT_HEADING, .help = "Connections and threads:"},
    {"connections", 0, OPT_COUNT, OPT_SCOPE_CLIENT, F(connections), 0, 1e6, .arg = "N",
     .config = "connections",
     .help = "pool size; 0 = a new connection whenever none is idle,\n"
             "up to --max-connections (default: C in closed loop, 0 in\n"
             "open loop). Each is a file descriptor: more than ulimit -n\n"
             "allows is refused before the run (exit 2)"},
    {"max-connections", 0, OPT_COUNT, OPT_SCOPE_CLIENT, F(max_connections), 1, 1e6, .arg = "N",
     .config = "max_connections",
     .help = "with --connections 0: at most N at once. Default: 4 x\n"
             "what the rate needs by Little's law (requests/s x mean\n"
             "service time, from the fastest window of responses so far,\n"
             "so a server falling behind does not raise it), at least 16\n"
             "per thread; as many as needed until 8 responses came; and\n"
             "never more than ulimit -n allows"},
    {"threads", 't', OPT_COUNT, OPT_SCOPE_CLIENT, F(threads), 1, 256, .arg = "T",
     .config = "threads", .help = "event-loop threads (default 1)"},
    {"timeout", 0, OPT_DURATION, OPT_SCOPE_CLIENT, F(timeout_ns), 1, 0, .arg = "D",
     .config = "timeout_ms",
     .help = "per request, from when it is written, connect included\n"
             "(default 30s). Time spent waiting for a free connection\n"
             "counts in latency, not against the timeout"},
    {.kind = OPT_HEADING,
     .help = "HTTPS (https:// URLs; TLS 1.2 and 1.3, certificate and host name verified):"},
    {"cacert", 0, OPT_STRING, OPT_SCOPE_CLIENT, F(cacert), .arg = "FILE", .config = "cacert",
     .path = "ca.pem",
     .help = "trust the CA certificates in FILE (PEM) instead of the\nsystem store"},
    {"insecure", 0, OPT_FLAG, OPT_SCOPE_CLIENT, F(insecure), .config = "insecure",
     .help = "do not verify the server's certificate (the summary says so)"},
    {"no-tls-resume", 0, OPT_FLAG, OPT_SCOPE_CLIENT, F(no_tls_resume), .config = "tls_resume",
     .config_negate = true,
     .help = "a full handshake on every new connection (default: resume\n"
             "the thread's last session)"},
    {.kind = OPT_HEADING, .help = "HTTP/2:"},
    {"http2", 0, OPT_ENUM, OPT_SCOPE_CLIENT, F(http2), .choices = http2_names, .bare = "on",
     .arg = "[=auto]", .config = "http2",
     .help = "HTTP/2: h2 by ALPN on https, prior-knowledge h2c on http;\n"
             "a server that does not speak it stops the run (exit 3).\n"
             "--http2=auto falls back to HTTP/1.1 instead"},
    {"streams", 0, OPT_COUNT, OPT_SCOPE_CLIENT, F(streams), 1, 1000, .arg = "M",
     .config = "streams",
     .help = "HTTP/2 streams in flight per connection (default: the\n"
             "server's SETTINGS_MAX_CONCURRENT_STREAMS, at most 100); a\n"
             "connection takes M before --connections allows another"},
    {.kind = OPT_HEADING, .help = "Batching:"},
    {"batch", 0, OPT_COUNT, OPT_SCOPE_CLIENT, F(batch), 1, 100000, .arg = "N", .config = "batch",
     .help = "items per request (default 1)"},
    {"linger", 0, OPT_DURATION, OPT_SCOPE_CLIENT, F(linger_ns), 0, 0, .arg = "D",
     .config = "linger_ms", .help = "longest an item waits for its batch to fill (default 50ms)"},
    {.kind = OPT_HEADING, .help = "What to send:"},
    {"inputs", 0, OPT_STRING, OPT_SCOPE_LOAD, F(inputs_path), .arg = "FILE",
     .help = "the items: JSON Lines (one JSON value per line), a\n"
             "JSON array, or CSV with a header row (FILE.csv:\n"
             "objects of string fields); used in order, cycling;\n"
             "- reads stdin (default: generated items \"input-N\")"},
    {"inputs-format", 0, OPT_ENUM, OPT_SCOPE_LOAD, F(inputs_format), .choices = inputs_format_names,
     .arg = "FMT", .config = "inputs_format",
     .help = "how to read --inputs: jsonl, json (one JSON array of\n"
             "items), csv, or auto (default): FILE.csv is CSV;\n"
             "FILE.json, or a file whose first line opens an array\n"
             "it does not close, is a JSON array; else JSON Lines.\n"
             "Stdin has no name: --inputs - --inputs-format csv"},
    {"model", 0, OPT_STRING, OPT_SCOPE_LOAD, F(model), .check = check_model, .arg = "NAME",
     .config = "model", .help = "model name in the body (default example-model)"},
    {"header", 'H', OPT_LIST, OPT_SCOPE_CLIENT, F(headers), 0, RUNOPTS_MAX_HEADERS,
     .check = check_header, .redact = redact_header, .arg = "'K: V'", .config = "headers",
     .help = "extra request header (repeatable); secret values are\n"
             "written as <redacted> in every output (see --show-secrets)"},
    {"body", 0, OPT_STRING, OPT_SCOPE_LOAD, F(body_path), .arg = "FILE", .path = "body.json",
     .help = "send this raw body instead (plain HTTP load; no items)"},
    {"method", 'm', OPT_STRING, OPT_SCOPE_LOAD, F(method), .check = check_method, .arg = "M",
     .config = "method",
     .help = "POST (default) or PUT send items; GET, HEAD, DELETE... send\n"
             "no body (plain HTTP load), or --body's"},
    {"api", 0, OPT_STRING, OPT_SCOPE_LOAD, F(api), .check = check_api, .arg = "NAME",
     .config = "api",
     .help = "the API's request and answer shapes: tailgate (default),\n"
             "openai-completions, openai-chat, openai-embeddings,\n"
             "kserve-v2, tgi; when given, also its path if the URL has\n"
             "none (without --api the URL is used as it is).\n"
             "--api help shows the body each sends"},
    {"template", 0, OPT_STRING, OPT_SCOPE_LOAD, F(template_path), .arg = "FILE",
     .path = "template.json", .config = "template",
     .help = "the body: a JSON document with placeholders where values\n"
             "go: {{item}} {{items}} {{item.F}} {{items.F}} (?? DEFAULT)\n"
             "{{model}} {{request_id}} {{seq}} {{batch}}"},
    {"template-json", 0, OPT_STRING, OPT_SCOPE_LOAD, F(template_json), .check = check_template_json,
     .arg = "TEXT", .config = "template_json", .help = "the same, given inline"},
    {"outputs", 0, OPT_STRING, OPT_SCOPE_GATE, F(outputs), .check = check_outputs, .arg = "PATH",
     .config = "outputs",
     .help = "where each item's output is in the answer (default: the\n"
             "API's): /outputs, /predictions, /data/*/embedding,\n"
             "/outputs/0/data@shape (a tensor), =/generated_text (one)"},
    {"validate", 0, OPT_ENUM, OPT_SCOPE_GATE, F(validate), .choices = validate_names, .arg = "MODE",
     .config = "validate",
     .help = "none | status (2xx) | json (2xx + a JSON body) | outputs\n"
             "(2xx + one output per item at --outputs; default, or\n"
             "status with a plain body). A 4xx or 5xx fails with any"},
    {.kind = OPT_HEADING, .help = "Outputs and gate:"},
    {"log", 0, OPT_STRING, OPT_SCOPE_OUTPUT, F(log_path), .arg = "FILE.csv", .path = "requests.csv",
     .hidden = RUNOPTS_VIEW_AB | RUNOPTS_VIEW_SWEEP,
     .help = "one row per request, streamed; - = stdout, and the\n"
             "summary goes to stderr"},
    {"out", 'o', OPT_STRING, OPT_SCOPE_OUTPUT, F(out_path), .arg = "FILE.json",
     .path = "result.json", .hidden = RUNOPTS_VIEW_AB,
     .help = "result JSON (mergeable histograms included); - = stdout,\n"
             "and the summary goes to stderr"},
    {"sla", 0, OPT_LIST, OPT_SCOPE_GATE, F(sla_texts), 0, RUNOPTS_MAX_SLAS,
     .check = runopts_check_sla, .arg = "EXPR", .config = "sla",
     .help = "METRIC OP VALUE, repeatable; exit 1 when one fails.\n"
             "METRIC: p50 p90 p95 p99 p99.9 max mean (item latency;\n"
             "request.p95 etc. for request latency), error_rate (%),\n"
             "rps, ips (successful requests/items per second); streamed\n"
             "runs also ttft. tpot. itl. e2el. (e.g. 'ttft.p99<=500ms'),\n"
             "output_tokens_per_s, goodput (good requests per second,\n"
             "see --goodput), slo_attainment (% of requests good); OP: <=\n"
             "< >= >; e.g. 'p95<=800ms', 'error_rate<1%', 'ips>=500'"},
    {"quiet", 'q', OPT_FLAG, OPT_SCOPE_OUTPUT, F(quiet),
     .help = "no summary on stdout; each failed gate is still one line\non stderr"},
    {"no-progress", 0, OPT_FLAG, OPT_SCOPE_OUTPUT, F(no_progress),
     .help = "no live progress line on stderr"},
    {"no-color", 0, OPT_FLAG, OPT_SCOPE_OUTPUT, F(no_color),
     .help = "no colours or Unicode in the summary"},
    {"show-secrets", 0, OPT_FLAG, OPT_SCOPE_OUTPUT, F(show_secrets),
     .help = "write the values of Authorization, Proxy-Authorization,\n"
             "Cookie, Set-Cookie, and of headers and URL query parameters\n"
             "with a word key, token, secret, password, auth, signature\n"
             "(and a few more, see README) in their name as given\n"
             "(default: <redacted> in every output)"},
    {.kind = OPT_HEADING, .help = "Streaming (LLM APIs; the metrics are defined below):"},
    {"stream", 0, OPT_FLAG, OPT_SCOPE_LOAD, F(stream), .config = "stream",
     .help = "read each answer as a token stream (SSE: OpenAI/vLLM\n"
             "completions and chat, TGI) and time its tokens: ttft,\n"
             "ttft_service, tpot, itl, e2el, output tokens/s; a\n"
             "non-streamed answer counts as one event. On by default with\n"
             "--api openai-completions, openai-chat and tgi, whose bodies\n"
             "then ask for a stream; any other body must ask for one itself\n"
             "(\"stream\": true)"},
    {"no-stream", 0, OPT_FLAG, OPT_SCOPE_LOAD, F(no_stream),
     .help = "--api openai-completions, openai-chat, tgi: ask for whole\n"
             "answers (\"stream\": false; tgi: /generate) and time them whole"},
    {"idle-timeout", 0, OPT_DURATION, OPT_SCOPE_CLIENT, F(idle_timeout_ns), 1, 0, .arg = "D",
     .config = "idle_timeout_ms",
     .help = "longest silence within a request: no byte written or read\n"
             "for D (a stalled stream) ends it as a timeout (default: none;\n"
             "--timeout still bounds the whole request)"},
    {"max-event", 0, OPT_SIZE, OPT_SCOPE_CLIENT, F(stream_max_event), 256, 64.0 * 1024 * 1024,
     .arg = "SIZE",
     .help = "longest SSE event read, per connection (default 64KiB);\n"
             "a longer one fails its request as stream_error"},
    {"goodput", 0, OPT_STRING, OPT_SCOPE_GATE, F(goodput_text), .check = check_goodput,
     .arg = "BOUNDS", .config = "goodput",
     .help = "what a good request meets, e.g. ttft<=500ms,tpot<=50ms,\n"
             "e2el<=10s: goodput = good requests per second,\n"
             "slo_attainment = good / requests (needs --stream)"},
    {"log-events", 0, OPT_STRING, OPT_SCOPE_OUTPUT, F(log_events_path), .arg = "FILE.csv",
     .path = "events.csv", .hidden = RUNOPTS_VIEW_AB | RUNOPTS_VIEW_SWEEP,
     .help = "one row per token-bearing event (its arrival time) of the\n"
             "requests --log-events-every picks (needs --stream);\n"
             "- = stdout"},
    {"log-events-every", 0, OPT_COUNT, OPT_SCOPE_OUTPUT, F(log_events_every), 1, 1e12, .arg = "N",
     .hidden = RUNOPTS_VIEW_AB | RUNOPTS_VIEW_SWEEP,
     .help = "log the events of one request in N: ids 1, N+1, 2N+1...\n"
             "(default 1: every request; needs --log-events)"},
};
const size_t runopts_table_len = sizeof runopts_table / sizeof runopts_table[0];
_Static_assert(sizeof runopts_table / sizeof runopts_table[0] <= 64, "given is a 64-bit mask");

void runopts_defaults(runopts_t *o)
{
    memset(o, 0, sizeof *o);
    o->concurrency = 10;
    o->arrival = ARRIVAL_CONSTANT;
    o->seed = 1;
    o->duration_ns = 10 * CLOCK_NS_PER_S;
    o->threads = 1;
    o->timeout_ns = 30 * CLOCK_NS_PER_S;
    o->batch = 1;
    o->linger_ns = 50 * CLOCK_NS_PER_MS;
    o->method = "POST";
    o->model = "example-model";
    o->validate = VALIDATE_OUTPUTS;
    o->stream_max_event = 64 * 1024;
    o->log_events_every = 1;
}

opt_group_t runopts_group(runopts_t *o)
{
    return (opt_group_t){runopts_table, runopts_table_len, o, &o->given};
}

bool runopts_body_mode(const runopts_t *o)
{
    return o->body_path || (strcmp(o->method, "POST") && strcmp(o->method, "PUT"));
}

/* What only a streamed run measures needs --stream; goodput gates need the
 * bounds that say what good is. */
static int finish_stream(runopts_t *o, char *err, size_t errlen)
{
    char why[256];
    memset(&o->goodput, 0, sizeof o->goodput);
    if (o->goodput_text && goodput_parse(o->goodput_text, &o->goodput, why, sizeof why))
        return snprintf(err, errlen, "--goodput '%s': %s", o->goodput_text, why), -1;
    const char *needs = o->goodput_text                      ? "--goodput"
                        : o->log_events_path                 ? "--log-events"
                        : RUNOPTS_GIVEN(o, stream_max_event) ? "--max-event"
                                                             : NULL;
    for (size_t i = 0; !needs && i < o->num_slas; i++)
        if (sla_needs_stream(&o->slas[i]))
            needs = o->slas[i].text;
    if (needs && !o->stream && o->no_stream) {
        snprintf(err, errlen, "%s%s%s needs a streamed run: drop --no-stream",
                 needs[0] == '-' ? "" : "--sla '", needs, needs[0] == '-' ? "" : "'");
        return -1;
    }
    if (needs && !o->stream) {
        snprintf(err, errlen,
                 "%s%s%s needs --stream: only a streamed answer has tokens to time (and the "
                 "request body must ask for a stream, \"stream\": true)",
                 needs[0] == '-' ? "" : "--sla '", needs, needs[0] == '-' ? "" : "'");
        return -1;
    }
    for (size_t i = 0; i < o->num_slas; i++) {
        const sla_t *s = &o->slas[i];
        if ((s->metric == SLA_GOODPUT || s->metric == SLA_SLO_ATTAINMENT) && !o->goodput_text) {
            snprintf(err, errlen,
                     "--sla '%s' needs --goodput BOUNDS, what a good request meets, e.g. "
                     "--goodput ttft<=500ms,tpot<=50ms",
                     s->text);
            return -1;
        }
    }
    return 0;
}

/* --api of an API that streams (its own bodies, not a template) streams
 * unless --no-stream; --stream on one that does not is a mistake to say. */
static int finish_api_stream(runopts_t *o, char *err, size_t errlen)
{
    if (o->stream && o->no_stream) {
        snprintf(err, errlen, "--stream and --no-stream exclude each other: give the one you mean");
        return -1;
    }
    const preset_t *p = o->api ? preset_find(o->api) : NULL;
    if (!p || o->template_path || o->template_json)
        return 0; /* a template's body says itself whether it asks for a stream */
    if (o->stream && !preset_streams(p)) {
        snprintf(err, errlen,
                 "--stream: --api %s answers whole, its API has no streamed answers; drop "
                 "--stream (streaming presets: openai-completions, openai-chat, tgi)",
                 p->name);
        return -1;
    }
    if (preset_streams(p) && !o->no_stream)
        o->stream = true;
    return 0;
}

/* path with its directory resolved (the file itself need not exist yet):
 * "./a.csv" and "a.csv" come out the same. Empty when the directory cannot
 * be resolved; writing there fails later with its own message. */
static void output_where(const char *path, char *buf, size_t len)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    buf[0] = '\0';
    if (realpath(dir, real))
        snprintf(buf, len, "%s/%s", real, base);
}

/* An existing path that is not a regular file: a device (/dev/null, a
 * terminal, /dev/stdout) or a pipe, which writing truncates nothing of. */
static bool not_a_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

const char *runopts_stdout_alias(const char *path)
{
    static const char *const names[] = {"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"};
    for (size_t i = 0; path && i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(path, names[i]))
            return "-";
    return path;
}

bool runopts_same_output(const char *a, const char *b)
{
    char wa[2 * PATH_MAX], wb[2 * PATH_MAX];
    struct stat sa, sb;
    if (!strcmp(a, "-") || !strcmp(b, "-"))
        return !strcmp(a, b);
    /* --out /dev/null --log /dev/null discards both: nothing is overwritten */
    if (not_a_file(a) || not_a_file(b))
        return false;
    if (!strcmp(a, b))
        return true;
    output_where(a, wa, sizeof wa);
    output_where(b, wb, sizeof wb);
    if (wa[0] && !strcmp(wa, wb))
        return true;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void runopts_remove_output(const char *path)
{
    struct stat st;
    if (path && strcmp(path, "-") && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
        unlink(path);
}

const char *runopts_output_overwrites(const char *out, const char *const *inputs, size_t n)
{
    for (size_t i = 0; out && strcmp(out, "-") && i < n; i++)
        if (inputs[i] && runopts_same_output(out, inputs[i]))
            return inputs[i];
    return NULL;
}

/* Two outputs in one file would overwrite or interleave each other, and a
 * sampling rate for an events log that is not written would do nothing. */
static int finish_outputs(runopts_t *o, char *err, size_t errlen)
{
    o->out_path = runopts_stdout_alias(o->out_path);
    o->log_path = runopts_stdout_alias(o->log_path);
    o->log_events_path = runopts_stdout_alias(o->log_events_path);
    const struct {
        const char *name, *path;
    } out[] = {
        {"--out", o->out_path}, {"--log", o->log_path}, {"--log-events", o->log_events_path}};
    const size_t n = sizeof out / sizeof out[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (out[i].path && out[j].path && runopts_same_output(out[i].path, out[j].path)) {
                if (!strcmp(out[i].path, "-"))
                    snprintf(err, errlen,
                             "%s - and %s - both write to stdout: only one output can go "
                             "there; give the other a file",
                             out[i].name, out[j].name);
                else
                    snprintf(err, errlen,
                             "%s and %s both write '%s': one would overwrite the other; "
                             "give each its own file",
                             out[i].name, out[j].name, out[j].path);
                return -1;
            }
    if (RUNOPTS_GIVEN(o, log_events_every) && !o->log_events_path) {
        snprintf(err, errlen,
                 "--log-events-every picks the requests whose events --log-events FILE.csv "
                 "writes: give --log-events too, or drop --log-events-every");
        return -1;
    }
    return 0;
}

/* --segment, --segments, --start-at: which part of the run, and when. */
static int finish_segments(runopts_t *o, char *err, size_t errlen)
{
    o->segment_index = 0;
    o->segment_count = 1;
    if (o->segment_text && !strcmp(o->segment_text, "k8s")) {
        const char *env = getenv("JOB_COMPLETION_INDEX");
        unsigned long long i;
        int end = 0;
        if (!RUNOPTS_GIVEN(o, segments)) {
            snprintf(err, errlen, "--segment k8s needs --segments N: the Job's completions");
            return -1;
        }
        if (!env || !*env) {
            snprintf(err, errlen,
                     "--segment k8s: JOB_COMPLETION_INDEX is not set (Kubernetes sets it in "
                     "the pods of an Indexed Job); elsewhere give --segment I/N");
            return -1;
        }
        if (sscanf(env, "%llu%n", &i, &end) != 1 || env[end] || !strchr("0123456789", env[0]) ||
            i >= o->segments) {
            snprintf(err, errlen,
                     "--segment k8s: JOB_COMPLETION_INDEX=%.40s is not an index below "
                     "--segments %llu; give --segments the Job's completions",
                     env, (unsigned long long)o->segments);
            return -1;
        }
        o->segment_index = (unsigned)i;
        o->segment_count = (unsigned)o->segments;
    } else if (o->segment_text) {
        parse_segment(o->segment_text, &o->segment_index, &o->segment_count);
        if (RUNOPTS_GIVEN(o, segments) && o->segments != o->segment_count) {
            snprintf(err, errlen, "--segments %llu contradicts --segment %s: drop --segments",
                     (unsigned long long)o->segments, o->segment_text);
            return -1;
        }
    } else if (RUNOPTS_GIVEN(o, segments)) {
        snprintf(err, errlen, "--segments goes with --segment k8s; give --segment I/N otherwise");
        return -1;
    }
    unsigned n = o->segment_count, i = o->segment_index;
    const char *what = o->concurrency && o->concurrency < n   ? "--concurrency"
                       : o->connections && o->connections < n ? "--connections"
                       : o->requests && o->requests < n       ? "--requests"
                                                              : NULL;
    if (what) {
        snprintf(err, errlen, "%s is less than the %u segments: each needs at least one", what, n);
        return -1;
    }
    uint64_t users = engine_share(o->concurrency, n, i);
    if (n > 1 && o->concurrency && users < o->threads) {
        snprintf(err, errlen,
                 "segment %u gets %llu of --concurrency %llu, fewer than --threads %llu: give "
                 "fewer threads or more concurrency",
                 i, (unsigned long long)users, (unsigned long long)o->concurrency,
                 (unsigned long long)o->threads);
        return -1;
    }
    if (o->start_at_text) {
        walltime_parse(o->start_at_text, &o->start_at_ns, err, errlen); /* checked already */
        uint64_t now = clock_wall_ns();
        if (now > o->start_at_ns + ENGINE_START_LATE_MAX_NS) {
            snprintf(err, errlen,
                     "--start-at %s was %.1f s ago: give a time ahead of every segment's start "
                     "(e.g. date -d +60sec +%%s)",
                     o->start_at_text, (double)(now - o->start_at_ns) / 1e9);
            return -1;
        }
    }
    return 0;
}

int runopts_finish(runopts_t *o, char *err, size_t errlen)
{
    if (RUNOPTS_GIVEN(o, concurrency) && RUNOPTS_GIVEN(o, rate)) {
        snprintf(err, errlen,
                 "--concurrency and --rate exclude each other: choose a closed loop "
                 "(--concurrency) or an open loop (--rate)");
        return -1;
    }
    if (RUNOPTS_GIVEN(o, inputs_format) && !o->inputs_path) {
        snprintf(err, errlen,
                 "--inputs-format says how to read --inputs FILE: give --inputs too, or drop "
                 "--inputs-format");
        return -1;
    }
    if (RUNOPTS_GIVEN(o, rate))
        o->concurrency = 0;
    if (RUNOPTS_GIVEN(o, requests) && !RUNOPTS_GIVEN(o, duration_ns))
        o->duration_ns = 0;
    o->body_mode = runopts_body_mode(o);
    if (o->body_mode) {
        const char *why = o->body_path ? "--body" : "--method";
        char what[64];
        snprintf(what, sizeof what, "%s%s%s", why, o->body_path ? "" : " ",
                 o->body_path ? "" : o->method);
        if (o->inputs_path) {
            snprintf(err, errlen,
                     o->body_path ? "--body and --inputs exclude each other: --body sends a "
                                    "fixed raw body, --inputs sends items"
                                  : "--inputs needs a method that sends items: %s sends no "
                                    "body; use POST or PUT",
                     what);
            return -1;
        }
        if (o->batch > 1) {
            snprintf(err, errlen, "--batch needs items: it cannot be used with %s", what);
            return -1;
        }
        const char *shape = o->api             ? "--api"
                            : o->template_path ? "--template"
                            : o->template_json ? "--template-json"
                            : o->outputs       ? "--outputs"
                                               : NULL;
        if (shape) {
            snprintf(err, errlen,
                     "%s shapes requests from items, and %s sends %s; drop one of them", shape,
                     what, o->body_path ? "a fixed raw body" : "no body");
            return -1;
        }
        if (RUNOPTS_GIVEN(o, validate) && o->validate == VALIDATE_OUTPUTS) {
            snprintf(err, errlen, "--validate outputs needs items: use status or none with %s",
                     what);
            return -1;
        }
        if ((o->validate == VALIDATE_JSON || o->stream) && !strcmp(o->method, "HEAD")) {
            snprintf(err, errlen,
                     "%s an answer's body, and an answer to HEAD has none: %s (or -m GET)",
                     o->stream ? "--stream reads the events of" : "--validate json checks",
                     o->stream ? "drop --stream" : "use --validate status");
            return -1;
        }
        if (!RUNOPTS_GIVEN(o, validate))
            o->validate = VALIDATE_STATUS;
    }
    if (o->cacert && o->insecure) {
        snprintf(err, errlen,
                 "--cacert and --insecure exclude each other: --cacert FILE verifies the server "
                 "against FILE's CAs, --insecure verifies nothing; give the one you mean");
        return -1;
    }
    if (o->template_path && o->template_json) {
        snprintf(err, errlen,
                 "--template and --template-json exclude each other: give the body template once");
        return -1;
    }
    if (o->concurrency && o->connections && o->connections < o->threads) {
        snprintf(err, errlen,
                 "--connections %llu is fewer than --threads %llu: each thread needs "
                 "a connection; give more connections or fewer threads",
                 (unsigned long long)o->connections, (unsigned long long)o->threads);
        return -1;
    }
    if (o->concurrency && o->concurrency < o->threads) {
        snprintf(err, errlen,
                 "--concurrency %llu is less than --threads %llu: give at least one request "
                 "in flight per thread",
                 (unsigned long long)o->concurrency, (unsigned long long)o->threads);
        return -1;
    }
    if (RUNOPTS_GIVEN(o, max_connections) && (o->connections || o->concurrency)) {
        snprintf(err, errlen,
                 "--max-connections bounds a pool that grows (--rate with --connections 0); "
                 "%s",
                 o->concurrency ? "with --concurrency C the pool is one connection per request "
                                  "in flight: drop --max-connections (--connections N shares "
                                  "fewer connections among the C requests)"
                                : "with --connections N the pool is N connections: drop one "
                                  "of the two, or give --connections 0");
        return -1;
    }
    if (RUNOPTS_GIVEN(o, streams) && o->http2 == ENGINE_H2_OFF) {
        snprintf(err, errlen,
                 "--streams needs --http2: streams are HTTP/2's; give --http2 (or "
                 "--http2=auto), or drop --streams");
        return -1;
    }
    if (o->concurrency && !o->connections)
        o->connections = o->concurrency;
    if (finish_outputs(o, err, errlen) < 0)
        return -1;
    if (finish_segments(o, err, errlen) < 0)
        return -1;
    o->num_slas = runopts_parse_slas(&o->sla_texts, o->slas, RUNOPTS_MAX_SLAS);
    if (finish_api_stream(o, err, errlen) < 0)
        return -1;
    return finish_stream(o, err, errlen);
}

size_t runopts_parse_slas(const opt_list_t *texts, sla_t *out, size_t max)
{
    size_t n = 0;
    char why[1024];
    for (size_t i = 0; i < texts->n && n < max; i++)
        if (sla_parse(texts->v[i], &out[n], why, sizeof why) == 0)
            n++; /* (a failure is not reached: the --sla row's check parsed it) */
    return n;
}

void runopts_warn_slas(const sla_t *slas, size_t n, FILE *f, const char *who)
{
    for (size_t i = 0; i < n; i++) {
        const sla_t *s = &slas[i];
        /* sla.c reads error_rate's value as a percentage with or without
         * '%': "error_rate<0.01" is 0.01%, one error in 10,000 requests. k6
         * and others read a rate as a fraction (0.01 = 1%), so say which. */
        if (s->metric == SLA_ERROR_RATE && s->threshold > 0 && s->threshold < 1 &&
            !strchr(s->text, '%'))
            fprintf(f,
                    "%s: warning: --sla '%s': error_rate is in percent, so this means %g%% "
                    "(1 error in %.0f requests), where k6 would read %g%%; write '%s%%' to "
                    "keep it, or 'error_rate%s%g%%' for %g%%\n",
                    who, s->text, s->threshold, 100 / s->threshold, s->threshold * 100, s->text,
                    sla_op_name(s), s->threshold * 100, s->threshold * 100);
    }
}

json_t *runopts_config_json(const runopts_t *o)
{
    json_t *c = json_object();
    if (!c)
        return NULL;
    const char *inputs = o->body_path     ? "body"
                         : o->body_mode   ? "none"
                         : o->inputs_path ? o->inputs_path
                                          : "generated";
    char *url = o->show_secrets ? NULL : runopts_redact_url(o->url_text ? o->url_text : "");
    json_t *url_json = opt_json_text(url ? url : o->url_text ? o->url_text : "");
    free(url);
    if (json_object_set_new(c, "url", url_json) ||
        json_object_set_new(c, "load", json_string(o->concurrency ? "closed" : "open")) ||
        opt_config_json(runopts_table, runopts_table_len, o, c, o->show_secrets) ||
        json_object_set_new(c, "inputs", opt_json_text(inputs))) {
        json_decref(c);
        return NULL;
    }
    return c;
}
