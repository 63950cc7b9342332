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

static const char *const jitter_names[] = {[STUB_JITTER_NONE] = "none",
                                           [STUB_JITTER_UNIFORM] = "uniform",
                                           [STUB_JITTER_EXP] = "exp",
                                           [STUB_JITTER_LOGNORMAL] = "lognormal",
                                           [STUB_JITTER_LOGNORMAL + 1] = NULL};

#define F(field) offsetof(stub_opts_t, field)
static const opt_t stub_table[] = {
    {.kind = OPT_HEADING, .help = "Listening:"},
    {"listen", 0, OPT_STRING, OPT_SCOPE_LOAD, F(listen), .check = check_listen, .arg = "HOST:PORT",
     .help = "address (default 127.0.0.1:8000; port 0 = any free port;\n"
             "IPv6 as [::1]:8000)"},
    {"path", 0, OPT_STRING, OPT_SCOPE_LOAD, F(path), .check = check_path, .arg = "PATH",
     .help = "inference path (default /v1/infer)"},
    {"threads", 0, OPT_COUNT, OPT_SCOPE_LOAD, F(threads), 1, 1024, .arg = "T",
     .help = "server threads, each with its own SO_REUSEPORT listener and\n"
             "event loop (default 1)"},
    {"tls-cert", 0, OPT_STRING, OPT_SCOPE_LOAD, F(cfg.tls_cert), .arg = "FILE",
     .help = "serve HTTPS (TLS 1.2 and 1.3) with this PEM certificate\nchain ..."},
    {"tls-key", 0, OPT_STRING, OPT_SCOPE_LOAD, F(cfg.tls_key), .arg = "FILE",
     .help = "... and its PEM private key"},
    {.kind = OPT_HEADING, .help = "Latency model:"},
    {"delay", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.delay_ns), .arg = "D",
     .help = "service time per request (default 0)"},
    {"per-item", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.per_item_ns), .arg = "D",
     .help = "added service time per input (default 0)"},
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
     .help = "requests that may wait for a worker; beyond it: 503\n"
             "(default 65536). With --threads T > 1, workers and queue\n"
             "are split evenly between the threads (W must be >= T)."},
    {"error-rate", 0, OPT_PERCENT, OPT_SCOPE_LOAD, F(cfg.error_rate), 0, 1, .arg = "F",
     .help = "fraction of requests answered 500, after their service time\n"
             "(0..1 or 0%..100%, default 0)"},
    {"stall-every", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.stall_every_ns), .arg = "D",
     .help = "every D the whole server pauses ..."},
    {"stall-for", 0, OPT_DURATION, OPT_SCOPE_LOAD, F(cfg.stall_for_ns), .arg = "D",
     .help = "... for D: responses due in a stall are held until it ends"},
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

static void stub_usage(FILE *f)
{
    fputs("usage: tailgate stub [options]\n"
          "\n"
          "The stub inference server. POST PATH {\"model\": M, \"inputs\": [...]} answers\n"
          "{\"model\": M, \"outputs\": [...]}, one output per input, each a deterministic\n"
          "function of its input alone (the same alone or in any batch).\n"
          "GET /healthz answers {\"status\":\"ok\"}; GET /stats answers JSON counters.\n"
          "The first line on stdout is 'tailgate stub listening on http://HOST:PORT/PATH'\n"
          "(https:// with --tls-cert).\n"
          "\n",
          f);
    opt_help(f, stub_table, STUB_TABLE_LEN, 0, true);
    fputs("\nSIGINT/SIGTERM: stop accepting, let in-flight requests finish (at most delay + 1s,\n"
          "capped at 5s), exit 0. Exit codes: 0 stopped cleanly, 2 bad option, 3 cannot listen\n"
          "(port taken).\n",
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
    char err[1024];
    size_t npos = 0;
    const char *pos[1];
    opt_group_t g = {stub_table, STUB_TABLE_LEN, &o, NULL};
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
    stub_config_t cfg = o.cfg;
    if (o.listen)
        parse_listen(o.listen, &cfg, err, sizeof err); /* checked while parsing */
    if (o.path)
        snprintf(cfg.path, sizeof cfg.path, "%s", o.path);
    cfg.threads = (unsigned)o.threads;
    cfg.jitter = (stub_jitter_t)o.jitter;
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
    fflush(stdout);
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
    }
    fprintf(stderr, "tailgate stub: %s received, finishing in-flight requests\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    stub_stop(stub);
    return EXIT_OK;
}
