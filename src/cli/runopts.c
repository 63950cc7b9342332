#include "cli/runopts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/parse.h"

const char runopts_help[] =
    "Load model (one of):\n"
    "  -c, --concurrency C     closed loop: C requests in flight (default 10); a user\n"
    "                          whose connection is refused rests 10ms..1s before retrying\n"
    "  -r, --rate R            open loop: R items/s, latency from each item's intended time\n"
    "      --arrival KIND      constant (default) or poisson (open loop)\n"
    "      --seed S            seed for poisson arrivals (default 1)\n"
    "Bounds (default --duration 10s when neither is given):\n"
    "  -n, --requests N        items to send in all\n"
    "  -d, --duration D        run length (bare number = seconds; 500ms, 30s, 2m)\n"
    "      --warmup D          run this long first, excluded from every figure (bare\n"
    "                          number = seconds); --requests counts after it\n"
    "Connections and threads:\n"
    "      --connections N     pool size; 0 = unlimited, a new connection whenever\n"
    "                          none is idle (default: C in closed loop, 0 in open loop)\n"
    "  -t, --threads T         event-loop threads (default 1)\n"
    "      --timeout D         per request, from when it is written, connect included\n"
    "                          (bare = ms; default 30s). Time spent waiting for a free\n"
    "                          connection counts in latency, not against the timeout\n"
    "HTTPS (https:// URLs; TLS 1.2 and 1.3, certificate and host name verified):\n"
    "      --cacert FILE       trust the CA certificates in FILE (PEM) instead of the\n"
    "                          system store\n"
    "      --insecure          do not verify the server's certificate (the summary says so)\n"
    "      --no-tls-resume     a full handshake on every new connection (default: resume\n"
    "                          the thread's last session)\n"
    "Batching:\n"
    "      --batch N           items per request (default 1)\n"
    "      --linger D          longest an item waits for its batch to fill (bare = ms;\n"
    "                          default 50ms)\n"
    "What to send:\n"
    "      --inputs FILE       JSON Lines, one item per line, used in order, cycling\n"
    "                          (default: generated distinct items \"input-N\")\n"
    "      --model NAME        model name in the body (default example-model)\n"
    "  -H, --header 'K: V'     extra request header (repeatable)\n"
    "      --body FILE         send this raw body instead (plain HTTP load; no items)\n"
    "  -m, --method M          with --body: POST (default), PUT, GET, HEAD...\n"
    "      --validate MODE     none | status (2xx) | outputs (2xx + an outputs array as long\n"
    "                          as the batch; default, or status with --body)\n"
    "Outputs and gate:\n";

const char runopts_help_files[] =
    "      --log FILE.csv      one row per request, streamed\n"
    "  -o, --out FILE.json     result JSON (mergeable histograms included); - = stdout,\n"
    "                          and the summary goes to stderr\n";

const char runopts_help_gate[] =
    "      --sla EXPR          METRIC OP VALUE, repeatable; exit 1 when one fails.\n"
    "                          METRIC: p50 p90 p95 p99 p99.9 max mean (item latency;\n"
    "                          request.p95 etc. for request latency), error_rate (%),\n"
    "                          rps, ips (successful requests/items per second); OP: <= <\n"
    "                          >= >; e.g. 'p95<=800ms', 'error_rate<1%', 'ips>=500'\n"
    "  -q, --quiet             no summary on stdout\n"
    "      --no-progress       no live progress line on stderr\n"
    "      --no-color          no colours or Unicode in the summary\n";

enum {
    OPT_ARRIVAL = 1000,
    OPT_SEED,
    OPT_WARMUP,
    OPT_CONNECTIONS,
    OPT_TIMEOUT,
    OPT_BATCH,
    OPT_LINGER,
    OPT_INPUTS,
    OPT_MODEL,
    OPT_BODY,
    OPT_VALIDATE,
    OPT_LOG,
    OPT_SLA,
    OPT_NO_PROGRESS,
    OPT_NO_COLOR,
    OPT_CACERT,
    OPT_INSECURE,
    OPT_NO_TLS_RESUME,
};

static const struct option base_long[] = {
    {"concurrency", required_argument, NULL, 'c'},
    {"rate", required_argument, NULL, 'r'},
    {"arrival", required_argument, NULL, OPT_ARRIVAL},
    {"seed", required_argument, NULL, OPT_SEED},
    {"requests", required_argument, NULL, 'n'},
    {"duration", required_argument, NULL, 'd'},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"threads", required_argument, NULL, 't'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"linger", required_argument, NULL, OPT_LINGER},
    {"inputs", required_argument, NULL, OPT_INPUTS},
    {"model", required_argument, NULL, OPT_MODEL},
    {"header", required_argument, NULL, 'H'},
    {"body", required_argument, NULL, OPT_BODY},
    {"method", required_argument, NULL, 'm'},
    {"validate", required_argument, NULL, OPT_VALIDATE},
    {"log", required_argument, NULL, OPT_LOG},
    {"out", required_argument, NULL, 'o'},
    {"sla", required_argument, NULL, OPT_SLA},
    {"quiet", no_argument, NULL, 'q'},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"no-tls-resume", no_argument, NULL, OPT_NO_TLS_RESUME},
    {"help", no_argument, NULL, 'h'},
};
#define NUM_BASE (sizeof base_long / sizeof base_long[0])

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

void runopts_defaults(runopts_t *o)
{
    memset(o, 0, sizeof *o);
    o->eng.concurrency = 10;
    o->eng.arrival = ARRIVAL_CONSTANT;
    o->eng.seed = 1;
    o->eng.duration_ns = 10 * CLOCK_NS_PER_S;
    o->eng.threads = 1;
    o->eng.timeout_ns = 30 * CLOCK_NS_PER_S;
    o->eng.batch = 1;
    o->eng.linger_ns = 50 * CLOCK_NS_PER_MS;
    o->eng.method = "POST";
    o->eng.model = "example-model";
    o->eng.validate = VALIDATE_OUTPUTS;
    o->eng.grace_ns = 2 * CLOCK_NS_PER_S;
    o->eng.headers = o->headers;
}

static const char *opt_name(const struct option *longs, size_t n, int val)
{
    for (size_t i = 0; i < n; i++)
        if (longs[i].val == val)
            return longs[i].name;
    return "?";
}

/* Wraps a value parser so every message names the option it came from. */
#define CHECK(call)                                                                                \
    do {                                                                                           \
        char why_[200];                                                                            \
        if ((call) != 0) {                                                                         \
            snprintf(err, errlen, "--%s: %s", opt_name(longs, nlong, c), why_);                    \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)
#define WHY why_, sizeof why_

int runopts_parse(runopts_t *o, int argc, char **argv, const void *extra_long, size_t num_extra,
                  runopts_extra_fn extra, void *ctx, const char **positional, size_t max_pos,
                  size_t *num_pos, char *err, size_t errlen)
{
    struct option longs[NUM_BASE + 32];
    size_t nlong = 0;
    memcpy(longs, base_long, sizeof base_long);
    nlong = NUM_BASE;
    if (num_extra > 32)
        num_extra = 32;
    if (num_extra)
        memcpy(longs + nlong, extra_long, num_extra * sizeof(struct option));
    nlong += num_extra;
    memset(&longs[nlong], 0, sizeof longs[0]);

    int rc = 0;
    uint64_t u;
    *num_pos = 0;
    optind = 0; /* full re-initialisation: ab parses several argument lists */
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "+:c:r:n:d:t:H:m:o:qh", longs, NULL);
        if (c == -1) {
            if (optind < argc) {
                if (*num_pos >= max_pos) {
                    snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
                    goto fail;
                }
                positional[(*num_pos)++] = argv[optind++];
                continue;
            }
            break;
        }
        switch (c) {
        case 'c':
            CHECK(parse_u64(optarg, 1, 1000000, &u, WHY));
            o->eng.concurrency = u;
            o->concurrency_set = true;
            break;
        case 'r':
            CHECK(parse_double(optarg, 1e-3, 1e8, &o->eng.rate, WHY));
            o->rate_set = true;
            break;
        case OPT_ARRIVAL:
            if (!strcmp(optarg, "constant"))
                o->eng.arrival = ARRIVAL_CONSTANT;
            else if (!strcmp(optarg, "poisson"))
                o->eng.arrival = ARRIVAL_POISSON;
            else {
                snprintf(err, errlen,
                         "--arrival: '%s' is not an arrival model (use constant or "
                         "poisson)",
                         optarg);
                goto fail;
            }
            break;
        case OPT_SEED:
            CHECK(parse_u64(optarg, 0, UINT64_MAX, &o->eng.seed, WHY));
            break;
        case 'n':
            CHECK(parse_u64(optarg, 1, UINT64_MAX / 4, &o->eng.requests, WHY));
            o->requests_set = true;
            break;
        case 'd':
            CHECK(parse_duration_ns(optarg, CLOCK_NS_PER_S, &o->eng.duration_ns, WHY));
            if (o->eng.duration_ns == 0) {
                snprintf(err, errlen, "--duration: must be more than 0");
                goto fail;
            }
            o->duration_set = true;
            break;
        case OPT_WARMUP:
            CHECK(parse_duration_ns(optarg, CLOCK_NS_PER_S, &o->eng.warmup_ns, WHY));
            break;
        case OPT_CONNECTIONS:
            CHECK(parse_u64(optarg, 0, 1000000, &o->eng.connections, WHY));
            break;
        case 't':
            CHECK(parse_u64(optarg, 1, 256, &u, WHY));
            o->eng.threads = (unsigned)u;
            break;
        case OPT_TIMEOUT:
            CHECK(parse_duration_ns(optarg, CLOCK_NS_PER_MS, &o->eng.timeout_ns, WHY));
            if (o->eng.timeout_ns == 0) {
                snprintf(err, errlen, "--timeout: must be more than 0");
                goto fail;
            }
            break;
        case OPT_BATCH:
            CHECK(parse_u64(optarg, 1, 100000, &u, WHY));
            o->eng.batch = (unsigned)u;
            break;
        case OPT_LINGER:
            CHECK(parse_duration_ns(optarg, CLOCK_NS_PER_MS, &o->eng.linger_ns, WHY));
            o->linger_set = true;
            break;
        case OPT_INPUTS:
            o->inputs_path = optarg;
            break;
        case OPT_MODEL:
            o->eng.model = optarg;
            break;
        case 'H':
            if (!strchr(optarg, ':') || optarg[0] == ':' || strpbrk(optarg, "\r\n")) {
                snprintf(err, errlen, "--header: '%s' is not 'Name: value'", optarg);
                goto fail;
            }
            if (framing_header(optarg)) {
                snprintf(err, errlen,
                         "--header: '%s': tailgate frames the body itself (Content-Length); "
                         "drop this header",
                         optarg);
                goto fail;
            }
            if (o->eng.num_headers >= RUNOPTS_MAX_HEADERS) {
                snprintf(err, errlen, "--header: at most %d headers", RUNOPTS_MAX_HEADERS);
                goto fail;
            }
            o->headers[o->eng.num_headers++] = optarg;
            break;
        case OPT_BODY:
            o->body_path = optarg;
            break;
        case 'm': {
            size_t n = strlen(optarg);
            if (n == 0 || n > 16 || strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n) {
                snprintf(err, errlen, "--method: '%s' is not an HTTP method (e.g. POST, GET)",
                         optarg);
                goto fail;
            }
            o->eng.method = optarg;
            break;
        }
        case OPT_VALIDATE:
            if (!strcmp(optarg, "none"))
                o->eng.validate = VALIDATE_NONE;
            else if (!strcmp(optarg, "status"))
                o->eng.validate = VALIDATE_STATUS;
            else if (!strcmp(optarg, "outputs"))
                o->eng.validate = VALIDATE_OUTPUTS;
            else {
                snprintf(err, errlen,
                         "--validate: '%s' is not a mode (use none, status or "
                         "outputs)",
                         optarg);
                goto fail;
            }
            o->validate_set = true;
            break;
        case OPT_LOG:
            o->log_path = optarg;
            break;
        case 'o':
            o->out_path = optarg;
            break;
        case OPT_SLA:
            if (o->num_slas >= RUNOPTS_MAX_SLAS) {
                snprintf(err, errlen, "--sla: at most %d expressions", RUNOPTS_MAX_SLAS);
                goto fail;
            }
            CHECK(sla_parse(optarg, &o->slas[o->num_slas], WHY));
            o->num_slas++;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_NO_PROGRESS:
            o->no_progress = true;
            break;
        case OPT_NO_COLOR:
            o->no_color = true;
            break;
        case OPT_CACERT:
            o->eng.tls.cacert = optarg;
            break;
        case OPT_INSECURE:
            o->eng.tls.insecure = true;
            break;
        case OPT_NO_TLS_RESUME:
            o->eng.tls.no_resume = true;
            break;
        case 'h':
            rc = 1;
            break;
        case '?':
            if (!strncmp(argv[optind - 1], "--", 2) && strchr(argv[optind - 1], '='))
                snprintf(err, errlen, "option '%.*s' takes no value",
                         (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
            else if (!strncmp(argv[optind - 1], "--", 2))
                snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
            else if (optopt > 0 && optopt < 128)
                snprintf(err, errlen, "unknown option '-%c'", optopt);
            else
                snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
            goto fail;
        case ':':
            snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
            goto fail;
        default:
            if (extra && extra(ctx, c, optarg, err, errlen) == 0)
                break;
            goto fail;
        }
    }
    return rc;
fail:
    return -1;
}

int runopts_finish(runopts_t *o, char *err, size_t errlen)
{
    if (o->concurrency_set && o->rate_set) {
        snprintf(err, errlen,
                 "--concurrency and --rate exclude each other: choose a closed loop "
                 "(--concurrency) or an open loop (--rate)");
        return -1;
    }
    if (o->rate_set)
        o->eng.concurrency = 0;
    if (o->requests_set && !o->duration_set)
        o->eng.duration_ns = 0;
    if (o->body_path) {
        if (o->inputs_path) {
            snprintf(err, errlen,
                     "--body and --inputs exclude each other: --body sends a fixed "
                     "raw body, --inputs sends items");
            return -1;
        }
        if (o->eng.batch > 1) {
            snprintf(err, errlen, "--batch needs items: it cannot be used with --body");
            return -1;
        }
        if (o->validate_set && o->eng.validate == VALIDATE_OUTPUTS) {
            snprintf(err, errlen,
                     "--validate outputs needs items: use status or none with "
                     "--body");
            return -1;
        }
        if (!o->validate_set)
            o->eng.validate = VALIDATE_STATUS;
    } else if (strcmp(o->eng.method, "POST") && strcmp(o->eng.method, "PUT")) {
        snprintf(err, errlen, "--method %s sends no items: use it with --body (or POST/PUT)",
                 o->eng.method);
        return -1;
    }
    if (o->eng.concurrency && o->eng.connections && o->eng.connections < o->eng.threads) {
        snprintf(err, errlen,
                 "--connections %llu is fewer than --threads %u: each thread needs "
                 "a connection",
                 (unsigned long long)o->eng.connections, o->eng.threads);
        return -1;
    }
    if (o->eng.concurrency && o->eng.concurrency < o->eng.threads) {
        snprintf(err, errlen, "--concurrency %llu is less than --threads %u",
                 (unsigned long long)o->eng.concurrency, o->eng.threads);
        return -1;
    }
    if (o->eng.concurrency && !o->eng.connections)
        o->eng.connections = o->eng.concurrency;
    return 0;
}

json_t *runopts_config_json(const runopts_t *o)
{
    const engine_config_t *e = &o->eng;
    static const char *validate_names[] = {"none", "status", "outputs"};
    json_t *headers = json_array();
    for (size_t i = 0; i < e->num_headers; i++)
        json_array_append_new(headers, json_string(e->headers[i]));
    json_t *slas = json_array();
    for (size_t i = 0; i < o->num_slas; i++)
        json_array_append_new(slas, json_string(o->slas[i].text));
    return json_pack(
        "{s:s,s:s,s:s,s:I,s:f,s:s,s:I,s:I,s:f,s:f,s:I,s:I,s:f,s:I,s:f,s:s,s:s,s:s,s:o,s:o,s:b,s:o,"
        "s:b}",
        "url", o->url_text ? o->url_text : "", "method", e->method, "load",
        e->concurrency ? "closed" : "open", "concurrency", (json_int_t)e->concurrency, "rate",
        e->rate, "arrival", e->arrival == ARRIVAL_POISSON ? "poisson" : "constant", "seed",
        (json_int_t)e->seed, "requests", (json_int_t)e->requests, "duration_s",
        (double)e->duration_ns / 1e9, "warmup_s", (double)e->warmup_ns / 1e9, "connections",
        (json_int_t)e->connections, "threads", (json_int_t)e->threads, "timeout_ms",
        (double)e->timeout_ns / 1e6, "batch", (json_int_t)e->batch, "linger_ms",
        (double)e->linger_ns / 1e6, "model", e->model, "inputs",
        o->body_path ? "body" : (o->inputs_path ? o->inputs_path : "generated"), "validate",
        validate_names[e->validate], "headers", headers, "sla", slas, "insecure", e->tls.insecure,
        "cacert", e->tls.cacert ? json_string(e->tls.cacert) : json_null(), "tls_resume",
        !e->tls.no_resume);
}

char **runopts_split(const char *text, int *argc_out)
{
    size_t len = strlen(text);
    size_t max_words = len / 2 + 2;
    char **argv = malloc((max_words + 1) * sizeof(char *) + len + 1);
    if (!argv)
        return NULL;
    char *out = (char *)(argv + max_words + 1);
    int argc = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        argv[argc++] = out;
        char quote = 0;
        while (*p && (quote || (*p != ' ' && *p != '\t'))) {
            if (!quote && (*p == '\'' || *p == '"'))
                quote = *p;
            else if (quote && *p == quote)
                quote = 0;
            else
                *out++ = *p;
            p++;
        }
        *out++ = '\0';
    }
    argv[argc] = NULL;
    *argc_out = argc;
    return argv;
}
