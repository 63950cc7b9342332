/* tailgate stub — run the stub inference server until SIGINT/SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "core/clock.h"
#include "core/parse.h"
#include "stub/stub.h"

/* The stub's options: most values land in the server's configuration as
 * they are; the rest are turned into it by stub_options_apply. */
typedef struct {
    stub_config_t cfg;
    const char *listen; /* HOST:PORT -> cfg.host, cfg.port */
    const char *path;   /* -> cfg.path */
    uint64_t threads;   /* -> cfg.threads */
    int jitter;         /* stub_jitter_t */
    int api;            /* stub_api_t */
    opt_list_t scripts; /* -> cfg.scripts */
    uint64_t given;     /* bit i: stub_table[i] was given */
} stub_opts_t;

/* "HOST:PORT", "[V6]:PORT", ":PORT" (all interfaces). Returns 0 or -1. */
static int parse_listen(const char *text, stub_config_t *cfg, char *err, size_t errlen)
{
    const char *colon;
    const char *host = text;
    size_t host_len;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "not [IPV6]:PORT; write e.g. [::1]:8000");
            return -1;
        }
        host = text + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon) {
            snprintf(err, errlen, "not HOST:PORT; write e.g. 127.0.0.1:8000");
            return -1;
        }
        host_len = (size_t)(colon - text);
    }
    if (host_len >= sizeof cfg->host) {
        snprintf(err, errlen, "the host is too long");
        return -1;
    }
    uint64_t port;
    if (parse_u64(colon + 1, 0, 65535, &port, NULL, 0)) {
        snprintf(err, errlen, "bad port; give 0..65535 (0 = any free port)");
        return -1;
    }
    memcpy(cfg->host, host, host_len);
    cfg->host[host_len] = '\0';
    if (host_len == 0 || !strcmp(cfg->host, "*"))
        snprintf(cfg->host, sizeof cfg->host, "0.0.0.0");
    cfg->port = (uint16_t)port;
    return 0;
}

static int check_listen(const char *v, char *why, size_t len)
{
    stub_config_t scratch;
    return parse_listen(v, &scratch, why, len);
}

static int check_path(const char *v, char *why, size_t len)
{
    if (v[0] != '/' || strlen(v) >= sizeof(((stub_config_t *)0)->path) || strpbrk(v, " ?#")) {
        snprintf(why, len, "start it with '/', with no space, '?' or '#'; e.g. /v1/infer");
        return -1;
    }
    return 0;
}

/* "[MODEL=]FILE": a file after MODEL= (the model itself is checked when
 * the script is read, as is the file). */
static int check_script(const char *v, char *why, size_t len)
{
    const char *eq = strchr(v, '=');
    if (eq && !memchr(v, '/', (size_t)(eq - v)) && eq[1] == '\0') {
        snprintf(why, len, "no file after '='; give MODEL=FILE, e.g. --script %.*s=chat.txt",
                 (int)(eq - v < 40 ? eq - v : 40), v);
        return -1;
    }
    return 0;
}

static const char *const jitter_names[] = {[STUB_JITTER_NONE] = "none",
                                           [STUB_JITTER_UNIFORM] = "uniform",
                                           [STUB_JITTER_EXP] = "exp",
                                           [STUB_JITTER_LOGNORMAL] = "lognormal",
                                           [STUB_JITTER_LOGNORMAL + 1] = NULL};

static const char *const api_names[] = {[STUB_API_ALL] = "all",
                                        [STUB_API_TAILGATE] = "tailgate",
                                        [STUB_API_OPENAI_COMPLETIONS] = "openai-completions",
                                        [STUB_API_OPENAI_CHAT] = "openai-chat",
                                        [STUB_API_OPENAI_EMBEDDINGS] = "openai-embeddings",
                                        [STUB_API_KSERVE_V2] = "kserve-v2",
                                        [STUB_API_TGI] = "tgi",
                                        [STUB_API_TGI + 1] = NULL};

#define F(field) offsetof(stub_opts_t, field)
static const opt_t stub_table[] = {
    {.kind = OPT_HEADING, .help = "Listening:"},
    {"listen", 0, OPT_STRING, OPT_SCOPE_LOAD, F(listen), .check = check_listen, .arg = "HOST:PORT",
     .help = "address (default 127.0.0.1:8000; port 0 = any free port;\n"
             "IPv6 as [::1]:8000)"},
    {"api", 0, OPT_ENUM, OPT_SCOPE_LOAD, F(api), .choices = api_names, .arg = "NAME",
     .help = "serve only this preset: tailgate, openai-completions,\n"
             "openai-chat, openai-embeddings, kserve-v2, tgi (default all)"},
    {"path", 0, OPT_STRING, OPT_SCOPE_LOAD, F(path), .check = check_path, .arg = "PATH",
     .help = "the served preset's path (with --api; else the tailgate\n"
             "preset's, default /v1/infer). {model} matches one segment"},
    {"threads", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(threads), 1, 1024, .arg = "T",
     .help = "server threads, each with its own SO_REUSEPORT listener and\n"
             "event loop (default 1)"},
    {"tls-cert", 0, OPT_STRING, OPT_SCOPE_LOAD, F(cfg.tls_cert), .arg = "FILE", .path = "cert.pem",
     .help = "serve HTTPS (TLS 1.2 and 1.3) with this PEM certificate\nchain ..."},
    {"tls-key", 0, OPT_STRING, OPT_SCOPE_LOAD, F(cfg.tls_key), .arg = "FILE", .path = "key.pem",
     .help = "... and its PEM private key"},
    {"h2-max-streams", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(cfg.h2_max_streams), 1, 4294967295.0,
     .arg = "N",
     .help = "HTTP/2 (h2c by prior knowledge, h2 by ALPN with TLS):\n"
             "streams a client may open at once (default 128)"},
    {.kind = OPT_HEADING, .help = "Latency model of tailgate, openai-embeddings and kserve-v2:"},
    {"delay", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.delay_ns), .arg = "D",
     .help = "service time per request (default 0)"},
    {"per-item", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.per_item_ns), .arg = "D",
     .help = "added service time per input (embeddings: per input;\n"
             "kserve-v2: per batch row) (default 0)"},
    {"jitter", 0, OPT_ENUM, OPT_SCOPE_LOAD, F(jitter), .choices = jitter_names, .arg = "KIND",
     .help = "none|uniform|exp|lognormal added to each service time\n"
             "(uniform in [0,scale), exponential with mean scale,\n"
             "lognormal with median scale and sigma 1; default none)"},
    {"jitter-scale", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.jitter_scale_ns), .arg = "D",
     .help = "scale of the jitter"},
    {"seed", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(cfg.seed), 0, 18446744073709551615.0, .arg = "S",
     .help = "seed of the jitter and error PRNG (default 1)"},
    {"workers", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(cfg.workers), 0, 1e9, .arg = "W",
     .help = "requests served at once (0 = unlimited, the default);\n"
             "the rest wait first-in first-out in the queue"},
    {"queue", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(cfg.queue), 0, 1e9, .arg = "Q",
     .help = "requests that may wait for a worker (or, for the LLM\n"
             "engine, for a sequence slot); beyond it: 503 (default\n"
             "65536). With --threads T > 1, workers, sequence slots and\n"
             "queue are split evenly between the threads (W >= T)."},
    {"error-rate", 0, OPT_PERCENT, OPT_SCOPE_LOAD, F(cfg.error_rate), 0, 1, .arg = "F",
     .help = "fraction of requests answered 500, after their service time\n"
             "(LLM: when the first token would have come) (0..1 or\n"
             "0%..100%, default 0)"},
    {"stall-every", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.stall_every_ns), .arg = "D",
     .help = "every D the whole server pauses ..."},
    {"stall-for", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.stall_for_ns), .arg = "D",
     .help = "... for D: responses (and engine steps) due in a stall are\n"
             "held until it ends"},
    {.kind = OPT_HEADING,
     .help = "LLM engine of openai-completions, openai-chat and tgi (see above):"},
    {"max-seqs", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(cfg.max_seqs), 1, 1000000, .arg = "N",
     .help = "sequences decoding at once (default 256)"},
    {"step-time", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.step_ns), .arg = "D",
     .help = "fixed cost of a step (default 0)"},
    {"step-per-seq", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.step_per_seq_ns), .arg = "D",
     .help = "added per running sequence (default 0)"},
    {"prefill-per-token", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.prefill_per_token_ns), .arg = "D",
     .help = "added per prompt token admitted in the step (default 0)"},
    {"output-tokens", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(cfg.output_tokens), 0, 100000, .arg = "N",
     .help = "tokens per answer, overriding the request's max_tokens /\n"
             "max_new_tokens (default 0: the request's, or when it has\n"
             "none 16, TGI 100)"},
    {"tokens-per-chunk", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(cfg.tokens_per_chunk), 1, 100000,
     .arg = "K",
     .help = "tokens per streamed event (default 1; the last may have\n"
             "fewer)"},
    {.kind = OPT_HEADING, .help = "Scripted streams (for testing streaming clients):"},
    {"script", 0, OPT_LIST, OPT_SCOPE_LOAD, F(scripts), 0, STUB_MAX_SCRIPTS, .arg = "[MODEL=]FILE",
     .path = "chat.txt", .check = check_script,
     .help = "play FILE as the answer to every streaming request (with\n"
             "MODEL=, to requests for that model only; repeatable, the\n"
             "first match wins); directives below"},
    {.kind = OPT_HEADING, .help = "Limits:"},
    {"max-body", 0, OPT_SIZE, OPT_SCOPE_LOAD, F(cfg.max_body), 1, 0, .arg = "SIZE",
     .help = "largest request body (default 8MiB; larger: 413)"},
    {"header-timeout", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.header_timeout_ns), 1, 0, .arg = "D",
     .help = "a request must arrive whole within D of its first byte\n"
             "(default 10s; slower: 408). Header section limit: 16 KiB\n"
             "and 100 headers (431)."},
    {.kind = OPT_HEADING, .help = "Testing:"},
    {"shuffle-outputs", 0, OPT_FLAG, OPT_SCOPE_LOAD, F(cfg.shuffle_outputs),
     .help = "TEST-ONLY, for testing tailgate's verification: reorders the\n"
             "outputs of a batch of more than one, so batched answers differ\n"
             "from single ones"},
};
#define STUB_TABLE_LEN (sizeof stub_table / sizeof stub_table[0])
_Static_assert(STUB_TABLE_LEN <= 64, "given is a 64-bit mask");

/* Which presets an option shapes. Served alone (--api), a preset another
 * option does not shape would take it and change nothing: refused. */
typedef enum {
    FOR_TIMED,    /* tailgate, openai-embeddings, kserve-v2: --delay's latency model */
    FOR_LLM,      /* openai-completions, openai-chat, tgi: the LLM engine */
    FOR_TAILGATE, /* the tailgate preset's answers */
} stub_for_t;

static const struct {
    size_t offset;
    stub_for_t only;
} stub_only[] = {
    {F(cfg.delay_ns), FOR_TIMED},
    {F(cfg.per_item_ns), FOR_TIMED},
    {F(jitter), FOR_TIMED},
    {F(cfg.jitter_scale_ns), FOR_TIMED},
    {F(cfg.workers), FOR_TIMED},
    {F(cfg.max_seqs), FOR_LLM},
    {F(cfg.step_ns), FOR_LLM},
    {F(cfg.step_per_seq_ns), FOR_LLM},
    {F(cfg.prefill_per_token_ns), FOR_LLM},
    {F(cfg.output_tokens), FOR_LLM},
    {F(cfg.tokens_per_chunk), FOR_LLM},
    {F(scripts), FOR_LLM},
    {F(cfg.shuffle_outputs), FOR_TAILGATE},
};

static bool api_shaped(stub_api_t a, stub_for_t only)
{
    switch (only) {
    case FOR_TIMED:
        return !stub_api_llm(a);
    case FOR_LLM:
        return stub_api_llm(a);
    case FOR_TAILGATE:
        return a == STUB_API_TAILGATE;
    }
    return true;
}

/* 0, or -1 with err saying which option --api makes do nothing, and why. */
static int check_api_options(const stub_opts_t *o, char *err, size_t errlen)
{
    stub_api_t a = (stub_api_t)o->api;
    if (a == STUB_API_ALL)
        return 0; /* every option shapes some preset served */
    for (size_t i = 0; i < sizeof stub_only / sizeof stub_only[0]; i++) {
        size_t off = stub_only[i].offset;
        if (!opt_given(stub_table, STUB_TABLE_LEN, o->given, off) ||
            api_shaped(a, stub_only[i].only))
            continue;
        const char *name = NULL;
        for (size_t k = 0; k < STUB_TABLE_LEN; k++)
            if (stub_table[k].name && stub_table[k].offset == off)
                name = stub_table[k].name;
        static const char *const why[] = {
            [FOR_TIMED] = "times the answers of tailgate, openai-embeddings and kserve-v2; "
                          "--api %s is served by the LLM engine (--step-time, --step-per-seq, "
                          "--prefill-per-token, --max-seqs)",
            [FOR_LLM] = "shapes the LLM engine of openai-completions, openai-chat and tgi; "
                        "--api %s answers whole, after --delay and --per-item",
            [FOR_TAILGATE] = "reorders the tailgate preset's batched outputs; --api %s answers "
                             "in order",
        };
        int n = snprintf(err, errlen, "--%s ", name);
        size_t k = n > 0 && (size_t)n < errlen ? (size_t)n : 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        n = snprintf(err + k, errlen - k, why[stub_only[i].only], stub_api_name(a));
#pragma GCC diagnostic pop
        k += n > 0 && (size_t)n < errlen - k ? (size_t)n : 0;
        snprintf(err + k, errlen - k, ": drop --%s, or serve every preset (no --api)", name);
        return -1;
    }
    /* Without workers nothing waits, so nothing is queued (the LLM engine
     * queues for its sequence slots instead). */
    if (!stub_api_llm(a) && opt_given(stub_table, STUB_TABLE_LEN, o->given, F(cfg.queue)) &&
        o->cfg.workers == 0) {
        snprintf(err, errlen,
                 "--queue holds the requests waiting for a worker, and without --workers none "
                 "waits: give --workers W too (e.g. --workers 4 --queue %llu), or drop --queue",
                 (unsigned long long)o->cfg.queue);
        return -1;
    }
    return 0;
}

static const char stub_intro[] =
    "usage: tailgate stub [options]\n"
    "\n"
    "The stub inference server. By default it speaks every API preset at once:\n"
    "  tailgate            POST /v1/infer {\"model\": M, \"inputs\": [...]} -> {\"model\": M,\n"
    "                      \"outputs\": [...]}, one output per input\n"
    "  openai-completions  POST /v1/completions {\"model\", \"prompt\", \"max_tokens\"}\n"
    "  openai-chat         POST /v1/chat/completions {\"model\", \"messages\", \"max_tokens\"}\n"
    "  openai-embeddings   POST /v1/embeddings {\"model\", \"input\": str or [...]}\n"
    "                      -> data[i].embedding (\"dimensions\", default 16;\n"
    "                      \"encoding_format\": \"float\" or \"base64\")\n"
    "  kserve-v2           POST /v2/models/{model}[/versions/{v}]/infer (Open Inference\n"
    "                      Protocol: input tensors {name, shape, datatype, data}, the\n"
    "                      first dimension the batch) -> outputs[0], shape [batch, 2]\n"
    "  tgi                 POST /generate {\"inputs\", \"parameters\": {\"max_new_tokens\"}}\n"
    "                      -> {\"generated_text\"}; POST /generate_stream streams SSE\n"
    "Answers are shaped like the real servers' (OpenAI/vLLM, KServe v2, TGI) and are\n"
    "a deterministic function of each input alone (the same alone or in any batch).\n"
    "Bad requests get 400 with a JSON error, in the API's error shape, naming what\n"
    "was wrong. GET /healthz answers {\"status\":\"ok\"}; GET /stats answers JSON counters.\n"
    "The first line on stdout is 'tailgate stub listening on http://HOST:PORT/PATH'\n"
    "(https:// with --tls-cert), PATH the tailgate preset's (or --api's) path; the\n"
    "second names every preset and path served.\n"
    "\n";

static const char stub_engine_help[] =
    "\n"
    "LLM engine of openai-completions, openai-chat and tgi (a continuous-batching\n"
    "server, like vLLM's): at most --max-seqs sequences decode together. Work goes in\n"
    "steps; a step admits waiting requests into free slots (first come, first\n"
    "served), lasts step-time + step-per-seq x running sequences + prefill-per-token\n"
    "x prompt tokens admitted in it, and gives every running sequence one token: a\n"
    "request's first token ends the step that prefilled it, each later token one step\n"
    "after. Prompt tokens = prompt bytes / 4. So TTFT grows with the wait for a slot and\n"
    "with other prompts' prefill, and TPOT with the number of sequences decoding.\n"
    "With \"stream\": true (and always on /generate_stream) the answer is SSE, chunked,\n"
    "in vLLM's wire format: chat sends a first chunk with the role and empty content,\n"
    "content chunks, the last with finish_reason \"length\", a usage chunk (\"choices\":\n"
    "[], usage.completion_tokens) when \"stream_options\": {\"include_usage\": true}, then\n"
    "data: [DONE]; completions the same with choices[0].text; TGI sends\n"
    "data:{\"token\":{\"text\":...}} events, the last with generated_text and details.\n"
    "Otherwise the whole answer comes after the same modelled time.\n"
    "\n"
    "Script directives (--script), one per line, # comments:\n"
    "  wait D            pause D (from the request's arrival)\n"
    "  role              chat's role chunk\n"
    "  token [N] [\"TEXT\"] an event with N tokens (default 1)\n"
    "  empty             an event with empty content\n"
    "  finish [REASON]   the finish_reason event (default length)\n"
    "  usage [N]         the usage chunk (default N: tokens sent)\n"
    "  done              data: [DONE]\n"
    "  comment [TEXT]    a ': TEXT' comment line\n"
    "  error [MESSAGE]   data: {\"error\": {...}} mid-stream\n"
    "  raw \"TEXT\"        bytes as they are (C escapes)\n"
    "  eol lf|crlf|cr    line endings from here on\n"
    "  split N [GAP]     each event N bytes per write, GAP apart\n"
    "                    (default 1ms); split 0 = whole writes\n"
    "  drop | reset      close the connection here (FIN | RST)\n"
    "  stall             send nothing more, keep it open\n"
    "Events with no wait between them go out in one write; the\n"
    "status line goes out with the first event; after the last\n"
    "directive the body ends and the connection stays open. A\n"
    "script plays as written: no engine, error rate or stalls;\n"
    "requests that do not stream get the engine's answer.\n";

static void stub_usage(FILE *f)
{
    fputs(stub_intro, f);
    opt_help(f, stub_table, STUB_TABLE_LEN, 0, true);
    fputs(stub_engine_help, f);
    fputs("\nSIGINT/SIGTERM: stop accepting, let in-flight requests finish (at most delay + 1s,\n"
          "capped at 5s), exit 0. Exit codes: 0 stopped cleanly, 2 bad option or script,\n"
          "3 cannot listen (port taken) or cannot read a script.\n",
          f);
}

/* More descriptors let more connections wait; say so when few are allowed. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 4096)
        fprintf(stderr,
                "tailgate stub: note: only %llu file descriptors allowed (ulimit -n); "
                "at most about that many connections can be served at once\n",
                (unsigned long long)rl.rlim_cur);
}

int cmd_stub(int argc, char **argv)
{
    stub_opts_t o = {0};
    stub_config_defaults(&o.cfg);
    o.threads = o.cfg.threads;
    o.jitter = (int)o.cfg.jitter;
    o.api = (int)o.cfg.api;
    char err[1024];
    size_t npos = 0;
    const char *pos[1];
    opt_group_t g = {stub_table, STUB_TABLE_LEN, &o, &o.given};
    int rc = opt_parse(&g, 1, argc - 1, argv + 1, pos, 1, &npos, err, sizeof err);
    if (rc == 1) {
        stub_usage(stdout);
        return EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "tailgate stub: %s\n(see 'tailgate stub --help')\n", err);
        return EXIT_USAGE;
    }
    if (npos) {
        fprintf(stderr, "tailgate stub: unexpected argument '%s' (the stub takes only options)\n",
                pos[0]);
        return EXIT_USAGE;
    }
    if (check_api_options(&o, err, sizeof err)) {
        fprintf(stderr, "tailgate stub: %s\n", err);
        return EXIT_USAGE;
    }
    if (opt_given(stub_table, STUB_TABLE_LEN, o.given, F(cfg.seed)) &&
        o.jitter == STUB_JITTER_NONE && o.cfg.error_rate == 0)
        fprintf(stderr, "tailgate stub: note: --seed draws the --jitter and --error-rate "
                        "figures, and neither is given: it changes nothing\n");
    stub_config_t cfg = o.cfg;
    if (o.listen)
        parse_listen(o.listen, &cfg, err, sizeof err); /* checked while parsing */
    if (o.path)
        snprintf(cfg.path, sizeof cfg.path, "%s", o.path);
    cfg.threads = (unsigned)o.threads;
    cfg.jitter = (stub_jitter_t)o.jitter;
    cfg.api = (stub_api_t)o.api;
    /* One preset: it is served at its own path unless --path moves it. */
    if (!o.path && cfg.api != STUB_API_ALL)
        snprintf(cfg.path, sizeof cfg.path, "%s", stub_api_path(cfg.api));
    for (size_t i = 0; i < o.scripts.n; i++)
        cfg.scripts[i] = o.scripts.v[i];
    cfg.nscripts = (unsigned)o.scripts.n;
    if (stub_config_check(&cfg, err, sizeof err)) {
        fprintf(stderr, "tailgate stub: %s\n", err);
        return EXIT_USAGE;
    }
    raise_nofile();

    /* Signals are taken synchronously with sigwait: block them before the
     * server threads exist so none of them ever receives one. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-write is an error code, not a death */

    stub_t *stub;
    rc = stub_start(&cfg, &stub, err, sizeof err);
    if (rc) {
        fprintf(stderr, "tailgate stub: %s\n", err);
        return rc == EINVAL ? EXIT_USAGE : EXIT_CANNOT_RUN;
    }
    printf("tailgate stub listening on %s://%s:%d%s\n", cfg.tls_cert ? "https" : "http",
           stub_host(stub), stub_port(stub), cfg.path);
    if (cfg.api == STUB_API_ALL) {
        printf("serving every preset: tailgate POST %s", cfg.path);
        for (stub_api_t a = STUB_API_OPENAI_COMPLETIONS; a <= STUB_API_TGI; a++)
            printf(", %s POST %s%s", stub_api_name(a), stub_api_path(a),
                   a == STUB_API_TGI ? " and /generate_stream" : "");
        printf("\n");
    } else {
        printf("serving %s POST %s", stub_api_name(cfg.api), cfg.path);
        if (cfg.api == STUB_API_TGI)
            printf(" and %s_stream", cfg.path);
        printf("\n");
    }
    fflush(stdout);
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
    }
    fprintf(stderr, "tailgate stub: %s received, finishing in-flight requests\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    stub_stop(stub);
    return EXIT_OK;
}
