/* tailgate stub — run the stub inference server until SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/parse.h"
#include "stub/stub.h"

static const char stub_help[] =
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
    "\n"
    "Listening:\n"
    "  --listen HOST:PORT     address (default 127.0.0.1:8000; port 0 = any free port;\n"
    "                         IPv6 as [::1]:8000)\n"
    "  --api NAME             serve only this preset: tailgate, openai-completions,\n"
    "                         openai-chat, openai-embeddings, kserve-v2, tgi (default all)\n"
    "  --path PATH            the served preset's path (with --api; else the tailgate\n"
    "                         preset's, default /v1/infer). {model} matches one segment\n"
    "  --threads T            server threads, each with its own SO_REUSEPORT listener and\n"
    "                         event loop (default 1)\n"
    "  --tls-cert FILE        serve HTTPS (TLS 1.2 and 1.3) with this PEM certificate\n"
    "                         chain ...\n"
    "  --tls-key FILE         ... and its PEM private key\n"
    "\n"
    "Latency model of tailgate, openai-embeddings and kserve-v2 (durations: 800ms,\n"
    "1.5s, 1m, 250us; a bare number is milliseconds):\n"
    "  --delay D              service time per request (default 0)\n"
    "  --per-item D           added service time per input (embeddings: per input;\n"
    "                         kserve-v2: per batch row) (default 0)\n"
    "  --jitter KIND          none|uniform|exp|lognormal added to each service time\n"
    "                         (uniform in [0,scale), exponential with mean scale,\n"
    "                         lognormal with median scale and sigma 1; default none)\n"
    "  --jitter-scale D       scale of the jitter\n"
    "  --seed S               seed of the jitter and error PRNG (default 1)\n"
    "  --workers W            requests served at once (0 = unlimited, the default);\n"
    "                         the rest wait first-in first-out in the queue\n"
    "  --queue Q              requests that may wait for a worker (or, for the LLM\n"
    "                         engine, for a sequence slot); beyond it: 503 (default\n"
    "                         65536). With --threads T > 1, workers, sequence slots and\n"
    "                         queue are split evenly between the threads (W >= T).\n"
    "  --error-rate F         fraction of requests answered 500, after their service time\n"
    "                         (LLM: when the first token would have come) (0..1, default 0)\n"
    "  --stall-every D        every D the whole server pauses ...\n"
    "  --stall-for D          ... for D: responses (and engine steps) due in a stall are\n"
    "                         held until it ends\n"
    "\n"
    "LLM engine of openai-completions, openai-chat and tgi (a continuous-batching\n"
    "server, like vLLM's): at most --max-seqs sequences decode together. Work goes in\n"
    "steps; a step admits waiting requests into free slots (first come, first\n"
    "served), lasts step-time + step-per-seq x running sequences + prefill-per-token\n"
    "x prompt tokens admitted in it, and gives every running sequence one token: a\n"
    "request's first token ends the step that prefilled it, each later token one step\n"
    "after. Prompt tokens = prompt bytes / 4. So TTFT grows with the wait for a slot and\n"
    "with other prompts' prefill, and TPOT with the number of sequences decoding.\n"
    "  --max-seqs N           sequences decoding at once (default 256)\n"
    "  --step-time D          fixed cost of a step (default 0)\n"
    "  --step-per-seq D       added per running sequence (default 0)\n"
    "  --prefill-per-token D  added per prompt token admitted in the step (default 0)\n"
    "  --output-tokens N      tokens per answer, overriding the request's max_tokens /\n"
    "                         max_new_tokens (default 0: the request's, or when it has\n"
    "                         none 16, TGI 100)\n"
    "  --tokens-per-chunk K   tokens per streamed event (default 1; the last may have\n"
    "                         fewer)\n"
    "With \"stream\": true (and always on /generate_stream) the answer is SSE, chunked,\n"
    "in vLLM's wire format: chat sends a first chunk with the role and empty content,\n"
    "content chunks, the last with finish_reason \"length\", a usage chunk (\"choices\":\n"
    "[], usage.completion_tokens) when \"stream_options\": {\"include_usage\": true}, then\n"
    "data: [DONE]; completions the same with choices[0].text; TGI sends\n"
    "data:{\"token\":{\"text\":...}} events, the last with generated_text and details.\n"
    "Otherwise the whole answer comes after the same modelled time.\n"
    "\n"
    "Scripted streams (for testing streaming clients):\n"
    "  --script [MODEL=]FILE  play FILE as the answer to every streaming request (with\n"
    "                         MODEL=, to requests for that model only; repeatable, the\n"
    "                         first match wins). One directive per line, # comments:\n"
    "                           wait D            pause D (from the request's arrival)\n"
    "                           role              chat's role chunk\n"
    "                           token [N] [\"TEXT\"] an event with N tokens (default 1)\n"
    "                           empty             an event with empty content\n"
    "                           finish [REASON]   the finish_reason event (default length)\n"
    "                           usage [N]         the usage chunk (default N: tokens sent)\n"
    "                           done              data: [DONE]\n"
    "                           comment [TEXT]    a ': TEXT' comment line\n"
    "                           error [MESSAGE]   data: {\"error\": {...}} mid-stream\n"
    "                           raw \"TEXT\"        bytes as they are (C escapes)\n"
    "                           eol lf|crlf|cr    line endings from here on\n"
    "                           split N [GAP]     each event N bytes per write, GAP apart\n"
    "                                             (default 1ms); split 0 = whole writes\n"
    "                           drop | reset      close the connection here (FIN | RST)\n"
    "                           stall             send nothing more, keep it open\n"
    "                         Events with no wait between them go out in one write; the\n"
    "                         status line goes out with the first event; after the last\n"
    "                         directive the body ends and the connection stays open. A\n"
    "                         script plays as written: no engine, error rate or stalls;\n"
    "                         requests that do not stream get the engine's answer.\n"
    "\n"
    "Limits:\n"
    "  --max-body SIZE        largest request body (default 8MiB; larger: 413)\n"
    "  --header-timeout D     a request must arrive whole within D of its first byte\n"
    "                         (default 10s; slower: 408). Header section limit: 16 KiB\n"
    "                         and 100 headers (431). A client that reads nothing of an\n"
    "                         answer for D is dropped.\n"
    "\n"
    "Testing:\n"
    "  --shuffle-outputs      TEST-ONLY, for testing tailgate's verification: reorders the\n"
    "                         outputs of a batch of more than one, so batched answers differ\n"
    "                         from single ones\n"
    "\n"
    "  -h, --help             this help\n"
    "\n"
    "SIGINT/SIGTERM: stop accepting, let in-flight requests finish (at most delay + 1s,\n"
    "capped at 5s), exit 0. Exit codes: 0 stopped cleanly, 2 bad option or script,\n"
    "3 cannot listen (port taken) or cannot read a script.\n";

enum {
    OPT_LISTEN = 256,
    OPT_PATH,
    OPT_THREADS,
    OPT_DELAY,
    OPT_PER_ITEM,
    OPT_JITTER,
    OPT_JITTER_SCALE,
    OPT_SEED,
    OPT_WORKERS,
    OPT_QUEUE,
    OPT_ERROR_RATE,
    OPT_STALL_EVERY,
    OPT_STALL_FOR,
    OPT_MAX_BODY,
    OPT_HEADER_TIMEOUT,
    OPT_SHUFFLE,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    /* ---- APIs and the LLM engine (issues 13 and 14) ---- */
    OPT_API,
    OPT_MAX_SEQS,
    OPT_STEP_TIME,
    OPT_STEP_PER_SEQ,
    OPT_PREFILL_PER_TOKEN,
    OPT_OUTPUT_TOKENS,
    OPT_TOKENS_PER_CHUNK,
    OPT_SCRIPT,
    /* ---- end of the API and engine options ---- */
};

static const struct option stub_options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"path", required_argument, NULL, OPT_PATH},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"per-item", required_argument, NULL, OPT_PER_ITEM},
    {"jitter", required_argument, NULL, OPT_JITTER},
    {"jitter-scale", required_argument, NULL, OPT_JITTER_SCALE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"error-rate", required_argument, NULL, OPT_ERROR_RATE},
    {"stall-every", required_argument, NULL, OPT_STALL_EVERY},
    {"stall-for", required_argument, NULL, OPT_STALL_FOR},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
    {"shuffle-outputs", no_argument, NULL, OPT_SHUFFLE},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    /* ---- APIs and the LLM engine (issues 13 and 14) ---- */
    {"api", required_argument, NULL, OPT_API},
    {"max-seqs", required_argument, NULL, OPT_MAX_SEQS},
    {"step-time", required_argument, NULL, OPT_STEP_TIME},
    {"step-per-seq", required_argument, NULL, OPT_STEP_PER_SEQ},
    {"prefill-per-token", required_argument, NULL, OPT_PREFILL_PER_TOKEN},
    {"output-tokens", required_argument, NULL, OPT_OUTPUT_TOKENS},
    {"tokens-per-chunk", required_argument, NULL, OPT_TOKENS_PER_CHUNK},
    {"script", required_argument, NULL, OPT_SCRIPT},
    /* ---- end of the API and engine options ---- */
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* "HOST:PORT", "[V6]:PORT", ":PORT" (all interfaces). Returns 0 or -1. */
static int parse_listen(const char *text, stub_config_t *cfg, char *err, size_t errlen)
{
    const char *colon;
    const char *host = text;
    size_t host_len;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "'%s' is not [IPV6]:PORT", text);
            return -1;
        }
        host = text + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon) {
            snprintf(err, errlen, "'%s' is not HOST:PORT (e.g. 127.0.0.1:8000)", text);
            return -1;
        }
        host_len = (size_t)(colon - text);
    }
    if (host_len >= sizeof cfg->host) {
        snprintf(err, errlen, "host in '%s' is too long", text);
        return -1;
    }
    uint64_t port;
    char perr[200];
    if (parse_u64(colon + 1, 0, 65535, &port, perr, sizeof perr)) {
        snprintf(err, errlen, "bad port in '%s': %s", text, perr);
        return -1;
    }
    memcpy(cfg->host, host, host_len);
    cfg->host[host_len] = '\0';
    if (host_len == 0 || !strcmp(cfg->host, "*"))
        snprintf(cfg->host, sizeof cfg->host, "0.0.0.0");
    cfg->port = (uint16_t)port;
    return 0;
}

static int parse_jitter(const char *text, stub_jitter_t *out)
{
    static const char *names[] = {"none", "uniform", "exp", "lognormal"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(text, names[i])) {
            *out = (stub_jitter_t)i;
            return 0;
        }
    return -1;
}

/* Returns 0, or -1 with the option and problem in err. */
static int parse_option(int opt, const char *arg, stub_config_t *cfg, char *err, size_t errlen)
{
    char why[300] = "";
    uint64_t u = 0;
    int bad = 0;
    switch (opt) {
    case OPT_LISTEN:
        bad = parse_listen(arg, cfg, why, sizeof why);
        break;
    case OPT_PATH:
        if (arg[0] != '/' || strlen(arg) >= sizeof cfg->path || strpbrk(arg, " ?#")) {
            snprintf(why, sizeof why, "'%s' must start with '/', hold no space, '?' or '#'", arg);
            bad = -1;
        } else {
            snprintf(cfg->path, sizeof cfg->path, "%s", arg);
        }
        break;
    case OPT_THREADS:
        bad = parse_u64(arg, 1, 1024, &u, why, sizeof why);
        cfg->threads = (unsigned)u;
        break;
    case OPT_DELAY:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->delay_ns, why, sizeof why);
        break;
    case OPT_PER_ITEM:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->per_item_ns, why, sizeof why);
        break;
    case OPT_JITTER:
        bad = parse_jitter(arg, &cfg->jitter);
        if (bad)
            snprintf(why, sizeof why, "'%s' is not one of none, uniform, exp, lognormal", arg);
        break;
    case OPT_JITTER_SCALE:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->jitter_scale_ns, why, sizeof why);
        break;
    case OPT_SEED:
        bad = parse_u64(arg, 0, UINT64_MAX, &cfg->seed, why, sizeof why);
        break;
    case OPT_WORKERS:
        bad = parse_u64(arg, 0, 1000000000, &cfg->workers, why, sizeof why);
        break;
    case OPT_QUEUE:
        bad = parse_u64(arg, 0, 1000000000, &cfg->queue, why, sizeof why);
        break;
    case OPT_ERROR_RATE:
        bad = parse_double(arg, 0, 1, &cfg->error_rate, why, sizeof why);
        break;
    case OPT_STALL_EVERY:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->stall_every_ns, why, sizeof why);
        break;
    case OPT_STALL_FOR:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->stall_for_ns, why, sizeof why);
        break;
    case OPT_MAX_BODY:
        bad = parse_size(arg, &cfg->max_body, why, sizeof why);
        if (!bad && cfg->max_body == 0) {
            bad = 1;
            snprintf(why, sizeof why,
                     "must be at least 1 byte (every inference request has a body)");
        }
        break;
    case OPT_HEADER_TIMEOUT:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->header_timeout_ns, why, sizeof why);
        break;
    case OPT_SHUFFLE:
        cfg->shuffle_outputs = true;
        break;
    case OPT_TLS_CERT:
        cfg->tls_cert = arg;
        break;
    case OPT_TLS_KEY:
        cfg->tls_key = arg;
        break;
    /* ---- APIs and the LLM engine (issues 13 and 14) ---- */
    case OPT_API:
        bad = stub_api_parse(arg, &cfg->api);
        if (bad)
            snprintf(why, sizeof why,
                     "'%s' is not one of all, tailgate, openai-completions, openai-chat, "
                     "openai-embeddings, kserve-v2, tgi",
                     arg);
        break;
    case OPT_MAX_SEQS:
        bad = parse_u64(arg, 1, 1000000, &cfg->max_seqs, why, sizeof why);
        break;
    case OPT_STEP_TIME:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->step_ns, why, sizeof why);
        break;
    case OPT_STEP_PER_SEQ:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->step_per_seq_ns, why, sizeof why);
        break;
    case OPT_PREFILL_PER_TOKEN:
        bad = parse_duration_ns(arg, CLOCK_NS_PER_MS, &cfg->prefill_per_token_ns, why, sizeof why);
        break;
    case OPT_OUTPUT_TOKENS:
        bad = parse_u64(arg, 0, 100000, &cfg->output_tokens, why, sizeof why);
        break;
    case OPT_TOKENS_PER_CHUNK:
        bad = parse_u64(arg, 1, 100000, &cfg->tokens_per_chunk, why, sizeof why);
        break;
    case OPT_SCRIPT:
        if (cfg->nscripts == STUB_MAX_SCRIPTS) {
            snprintf(why, sizeof why, "at most %d scripts", STUB_MAX_SCRIPTS);
            bad = -1;
        } else {
            cfg->scripts[cfg->nscripts++] = arg;
        }
        break;
    /* ---- end of the API and engine options ---- */
    default:
        return 0;
    }
    if (bad) {
        const char *name = "?";
        for (const struct option *o = stub_options; o->name; o++)
            if (o->val == opt)
                name = o->name;
        snprintf(err, errlen, "--%s: %s", name, why);
        return -1;
    }
    return 0;
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
    stub_config_t cfg;
    stub_config_defaults(&cfg);
    bool path_set = false;
    char err[512];
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", stub_options, NULL)) != -1) {
        if (opt == 'h') {
            fputs(stub_help, stdout);
            return EXIT_OK;
        }
        if (opt == '?' || opt == ':') {
            const char *what = argv[optind - 1];
            fprintf(stderr, "tailgate stub: %s '%s'\n(see 'tailgate stub --help')\n",
                    opt == ':' ? "missing value for option" : "unknown option", what);
            return EXIT_USAGE;
        }
        if (parse_option(opt, optarg, &cfg, err, sizeof err)) {
            fprintf(stderr, "tailgate stub: %s\n", err);
            return EXIT_USAGE;
        }
        path_set |= opt == OPT_PATH;
    }
    /* One preset: it is served at its own path unless --path moves it. */
    if (!path_set && cfg.api != STUB_API_ALL)
        snprintf(cfg.path, sizeof cfg.path, "%s", stub_api_path(cfg.api));
    if (optind < argc) {
        fprintf(stderr, "tailgate stub: unexpected argument '%s' (the stub takes only options)\n",
                argv[optind]);
        return EXIT_USAGE;
    }
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
    int rc = stub_start(&cfg, &stub, err, sizeof err);
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
