/* stub — server threads, listeners, graceful stop and /stats.
 *
 * Each thread owns a loop, an SO_REUSEPORT listener on the same address (the
 * kernel spreads connections), its share of the workers and queue, a PRNG
 * seeded from --seed and its index, and its counters. Nothing mutable is
 * shared while running except the counters /stats reads (relaxed atomics). */
#include "stub/stub.h"
#include "core/container.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "stub/h2serve.h"
#include "stub/sconn.h"
#include "stub/server.h"

#define GRACE_MAX_NS (5 * CLOCK_NS_PER_S)

void stub_config_defaults(stub_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
    cfg->port = 8000;
    snprintf(cfg->path, sizeof cfg->path, "/v1/infer");
    cfg->threads = 1;
    cfg->jitter = STUB_JITTER_NONE;
    cfg->seed = 1;
    cfg->workers = 0;
    cfg->queue = 65536;
    cfg->error_rate = 0;
    cfg->max_body = 8u << 20;
    cfg->header_timeout_ns = 10 * CLOCK_NS_PER_S;
    cfg->h2_max_streams = 128;
    cfg->api = STUB_API_ALL;
    cfg->max_seqs = 256;
    cfg->tokens_per_chunk = 1;
}

int stub_config_check(const stub_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->threads < 1 || cfg->threads > 1024) {
        snprintf(err, errlen, "--threads (%u) must be between 1 and 1024", cfg->threads);
        return EINVAL;
    }
    if (cfg->workers && cfg->workers < cfg->threads) {
        snprintf(err, errlen,
                 "--threads (%u) must not exceed --workers (%llu): workers are split per "
                 "thread; give --workers %u or more, or fewer --threads",
                 cfg->threads, (unsigned long long)cfg->workers, cfg->threads);
        return EINVAL;
    }
    if (cfg->path[0] != '/') {
        snprintf(err, errlen, "--path '%s' must start with '/'", cfg->path);
        return EINVAL;
    }
    if (!(cfg->error_rate >= 0 && cfg->error_rate <= 1)) {
        snprintf(err, errlen, "--error-rate must be between 0 and 1");
        return EINVAL;
    }
    if (cfg->stall_every_ns && cfg->stall_for_ns >= cfg->stall_every_ns) {
        snprintf(err, errlen,
                 "--stall-for must be shorter than --stall-every, or the server never runs; "
                 "e.g. --stall-every 10s --stall-for 1s");
        return EINVAL;
    }
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        snprintf(err, errlen,
                 "--tls-cert and --tls-key go together: give both (--tls-cert cert.pem "
                 "--tls-key key.pem) for HTTPS, or neither");
        return EINVAL;
    }
    if ((cfg->stall_every_ns == 0) != (cfg->stall_for_ns == 0)) {
        snprintf(err, errlen,
                 "--stall-every and --stall-for go together: give both, e.g. --stall-every 10s "
                 "--stall-for 1s");
        return EINVAL;
    }
    if (cfg->header_timeout_ns == 0) {
        snprintf(err, errlen, "--header-timeout must be more than 0");
        return EINVAL;
    }
    if (cfg->h2_max_streams == 0 || cfg->h2_max_streams > UINT32_MAX) {
        snprintf(err, errlen, "--h2-max-streams must be from 1 to %u", (unsigned)UINT32_MAX);
        return EINVAL;
    }
    if (cfg->jitter != STUB_JITTER_NONE && cfg->jitter_scale_ns == 0) {
        snprintf(err, errlen,
                 "--jitter needs --jitter-scale D, the jitter's scale, e.g. "
                 "--jitter-scale 5ms");
        return EINVAL;
    }
    if (cfg->jitter == STUB_JITTER_NONE && cfg->jitter_scale_ns) {
        snprintf(err, errlen,
                 "--jitter-scale needs --jitter uniform, exp or lognormal: without a kind "
                 "it adds nothing");
        return EINVAL;
    }
    /* (Only where the LLM engine serves: a preset of --delay's has no slots.) */
    bool llm = cfg->api == STUB_API_ALL || stub_api_llm(cfg->api);
    if (llm && cfg->max_seqs < cfg->threads) {
        snprintf(err, errlen,
                 "--threads (%u) must not exceed --max-seqs (%llu): sequences are split per "
                 "thread; give --max-seqs %u or more, or fewer --threads",
                 cfg->threads, (unsigned long long)cfg->max_seqs, cfg->threads);
        return EINVAL;
    }
    if (cfg->tokens_per_chunk < 1) {
        snprintf(err, errlen, "--tokens-per-chunk must be at least 1");
        return EINVAL;
    }
    if (cfg->nscripts > STUB_MAX_SCRIPTS) {
        snprintf(err, errlen, "--script: at most %d scripts", STUB_MAX_SCRIPTS);
        return EINVAL;
    }
    if ((unsigned)cfg->api > STUB_API_TGI) {
        snprintf(err, errlen, "--api: unknown preset");
        return EINVAL;
    }
    return 0;
}

/* ---- /stats ---- */

int stub_stats_json(const struct stub *stub, sbuf_t *out)
{
    stub_stats_t sum = {0};
    for (unsigned i = 0; i < stub->nservers; i++) {
        const server_t *s = &stub->servers[i];
#define SUM(f) sum.f += STAT_GET(s, f)
        SUM(connections);
        SUM(connections_total);
        SUM(requests);
        SUM(items);
        SUM(in_flight);
        SUM(queued);
        SUM(max_queued);
        SUM(client_disconnects);
        SUM(seqs_running);
        SUM(seqs_waiting);
        SUM(tokens);
        SUM(streams);
        for (int k = 0; k < STUB_STATUS_MAX; k++)
            SUM(by_status[k]);
#undef SUM
    }
    uint64_t ok = 0, errors = 0;
    json_t *by = json_object();
    for (int k = 100; k < STUB_STATUS_MAX; k++) {
        if (!sum.by_status[k])
            continue;
        if (k >= 200 && k < 300)
            ok += sum.by_status[k];
        else
            errors += sum.by_status[k];
        char key[8];
        snprintf(key, sizeof key, "%d", k);
        json_object_set_new(by, key, json_integer((json_int_t)sum.by_status[k]));
    }
    json_t *root = json_pack(
        "{s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:i, s:{s:I, s:I, s:I, "
        "s:I}}",
        "requests", (json_int_t)sum.requests, "items", (json_int_t)sum.items, "ok", (json_int_t)ok,
        "errors", (json_int_t)errors, "by_status", by, "in_flight", (json_int_t)sum.in_flight,
        "queued", (json_int_t)sum.queued, "max_queued", (json_int_t)sum.max_queued, "connections",
        (json_int_t)sum.connections, "connections_total", (json_int_t)sum.connections_total,
        "client_disconnects", (json_int_t)sum.client_disconnects, "uptime_s",
        (double)(clock_now_ns() - stub->origin_ns) / 1e9, "threads", (int)stub->nservers, "engine",
        "running", (json_int_t)sum.seqs_running, "waiting", (json_int_t)sum.seqs_waiting, "tokens",
        (json_int_t)sum.tokens, "streams", (json_int_t)sum.streams);
    if (!root)
        return ENOMEM;
    size_t flags = JSON_COMPACT | JSON_REAL_PRECISION(6);
    size_t need = json_dumpb(root, NULL, 0, flags);
    int rc = sbuf_reserve(out, need);
    if (!rc)
        out->len += json_dumpb(root, out->data + out->len, need, flags);
    json_decref(root);
    return rc;
}

/* ---- accepting ---- */

static void accept_all(server_t *srv)
{
    for (;;) {
        int fd = accept4(srv->listen_io.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            sconn_accept(srv, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Out of descriptors: the pending connection stays in the backlog
             * and the edge-triggered listener would never fire again, so retry
             * on a timer instead of spinning. */
            loop_timer_set(srv->loop, &srv->accept_timer,
                           loop_now(srv->loop) + STUB_ACCEPT_PAUSE_NS);
        }
        return; /* EAGAIN, or a pause */
    }
}

static void on_listen(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)loop;
    (void)events;
    server_t *srv = container_of(io, server_t, listen_io);
    if (!loop_timer_pending(&srv->accept_timer))
        accept_all(srv);
}

static void on_accept_timer(loop_t *loop, loop_timer_t *t)
{
    (void)loop;
    server_t *srv = container_of(t, server_t, accept_timer);
    if (!srv->draining)
        accept_all(srv);
}

/* ---- graceful stop ---- */

void server_conn_closed(server_t *srv)
{
    if (srv->nconns == 0)
        loop_stop(srv->loop);
}

static void on_grace(loop_t *loop, loop_timer_t *t)
{
    (void)t;
    loop_stop(loop);
}

static void on_drain(loop_t *loop, loop_io_t *io, unsigned events)
{
    (void)events;
    server_t *srv = container_of(io, server_t, drain_io);
    uint64_t v;
    while (read(io->fd, &v, sizeof v) == (ssize_t)sizeof v) {
    }
    if (srv->draining)
        return;
    srv->draining = true;
    loop_timer_cancel(loop, &srv->accept_timer);
    if (srv->listen_io.fd >= 0) {
        loop_del(loop, &srv->listen_io);
        close(srv->listen_io.fd);
        srv->listen_io.fd = -1;
    }
    sconn_drain_all(srv);
    h2serve_drain_all(srv);
    if (srv->nconns == 0) {
        loop_stop(loop);
        return;
    }
    const stub_config_t *cfg = srv->cfg;
    uint64_t grace = cfg->delay_ns + cfg->stall_for_ns + CLOCK_NS_PER_S;
    if (grace > GRACE_MAX_NS)
        grace = GRACE_MAX_NS;
    loop_timer_set(loop, &srv->grace_timer, loop_update_now(loop) + grace);
}

static void *server_main(void *arg)
{
    server_t *srv = arg;
    loop_run(srv->loop);
    return NULL;
}

/* ---- start / stop ---- */

static int open_listener(const struct sockaddr *sa, socklen_t salen, bool reuseport, int *out)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one))
        goto fail;
    if (bind(fd, sa, salen) || listen(fd, 65535))
        goto fail;
    *out = fd;
    return 0;
fail:;
    int err = errno;
    close(fd);
    return err;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

static int resolve(const stub_config_t *cfg, struct sockaddr_storage *ss, socklen_t *len, char *err,
                   size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)cfg->port);
    int rc = getaddrinfo(cfg->host[0] ? cfg->host : NULL, port, &hints, &res);
    if (rc || !res) {
        snprintf(err, errlen, "--listen: cannot resolve host '%s': %s", cfg->host,
                 gai_strerror(rc));
        return EADDRNOTAVAIL; /* the machine's answer, not a malformed option: exit 3 */
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void describe_host(struct stub *stub, const struct sockaddr_storage *ss)
{
    char text[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, text, sizeof text);
        snprintf(stub->host, sizeof stub->host, "[%s]", text);
        stub->port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, text, sizeof text);
        snprintf(stub->host, sizeof stub->host, "%s", text);
        stub->port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
    }
}

static int server_init(struct stub *stub, unsigned i, int listen_fd)
{
    server_t *srv = &stub->servers[i];
    const stub_config_t *cfg = &stub->cfg;
    srv->stub = stub;
    srv->cfg = cfg;
    srv->index = i;
    srv->listen_io.fd = listen_fd;
    srv->listen_io.fn = on_listen;
    srv->drain_io.fd = -1;
    srv->drain_io.fn = on_drain;
    loop_timer_init(&srv->accept_timer, on_accept_timer);
    loop_timer_init(&srv->grace_timer, on_grace);
    model_rng_seed(&srv->rng, cfg->seed + 0x9e3779b97f4a7c15ull * i);
    /* Workers and queue are split evenly; the first threads take the rest. */
    unsigned t = stub->nservers;
    srv->workers = cfg->workers / t + (i < cfg->workers % t);
    srv->queue_cap = cfg->queue / t + (i < cfg->queue % t);
    int err = loop_new(&srv->loop);
    if (err || (err = sgen_server_init(srv)))
        return err;
    srv->drain_io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (srv->drain_io.fd < 0)
        return errno;
    if ((err = loop_add(srv->loop, &srv->drain_io, LOOP_IN)) ||
        (err = loop_add(srv->loop, &srv->listen_io, LOOP_IN)))
        return err;
    return 0;
}

static void stub_free(struct stub *stub)
{
    for (unsigned i = 0; i < stub->nservers; i++) {
        server_t *srv = &stub->servers[i];
        if (srv->loop) {
            h2serve_free_all(srv);
            sconn_free_all(srv);
        }
        if (srv->listen_io.fd >= 0)
            close(srv->listen_io.fd);
        if (srv->drain_io.fd >= 0)
            close(srv->drain_io.fd);
        loop_free(srv->loop);
    }
    free(stub->servers);
    tls_ctx_free(stub->tls);
    for (unsigned i = 0; i < stub->nscripts; i++)
        script_free(stub->scripts[i]);
    free(stub);
}

int stub_start(const stub_config_t *cfg, stub_t **out, char *err, size_t errlen)
{
    *out = NULL;
    int rc = stub_config_check(cfg, err, errlen);
    if (rc)
        return rc;
    struct sockaddr_storage ss;
    socklen_t sslen;
    if ((rc = resolve(cfg, &ss, &sslen, err, errlen)))
        return rc;
    struct stub *stub = calloc(1, sizeof *stub);
    if (!stub)
        return ENOMEM;
    stub->cfg = *cfg;
    stub->origin_ns = clock_now_ns();
    stub->servers = calloc(cfg->threads, sizeof *stub->servers);
    if (!stub->servers) {
        free(stub);
        return ENOMEM;
    }
    for (unsigned i = 0; i < cfg->threads; i++)
        stub->servers[i].listen_io.fd = stub->servers[i].drain_io.fd = -1;
    stub->nservers = cfg->threads;
    if (cfg->tls_cert &&
        (rc = tls_server_ctx_new(cfg->tls_cert, cfg->tls_key, &stub->tls, err, errlen))) {
        stub_free(stub);
        return rc;
    }
    for (unsigned i = 0; i < cfg->nscripts; i++) {
        if ((rc = script_load(cfg->scripts[i], &stub->scripts[i], err, errlen))) {
            stub_free(stub);
            return rc;
        }
        stub->nscripts++;
    }
    /* Bad scripts are bad usage whatever the port: read them first. */
    if (cfg->port) {
        /* SO_REUSEPORT would let us share a port another process of ours
         * already serves: probe with a plain bind first so "port taken" is
         * reported instead of silently splitting traffic. */
        int probe;
        if ((rc = open_listener((struct sockaddr *)&ss, sslen, false, &probe))) {
            stub_free(stub);
            goto bind_fail;
        }
        close(probe);
    }
    for (unsigned i = 0; i < cfg->threads; i++) {
        int fd;
        if ((rc = open_listener((struct sockaddr *)&ss, sslen, true, &fd))) {
            stub_free(stub);
            goto bind_fail;
        }
        if (i == 0) {
            /* Port 0: every other thread joins the port the kernel chose. */
            struct sockaddr_storage bound;
            socklen_t blen = sizeof bound;
            getsockname(fd, (struct sockaddr *)&bound, &blen);
            describe_host(stub, &bound);
            set_port(&ss, stub->port);
        }
        stub->servers[i].listen_io.fd = fd;
        if ((rc = server_init(stub, i, fd))) {
            snprintf(err, errlen, "cannot set up server thread: %s", strerror(rc));
            stub_free(stub);
            return rc;
        }
    }
    /* Server threads take no signals: the caller decides what they mean. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < cfg->threads; i++) {
        server_t *srv = &stub->servers[i];
        if ((rc = pthread_create(&srv->thread, NULL, server_main, srv))) {
            snprintf(err, errlen, "cannot start server thread: %s", strerror(rc));
            break;
        }
        srv->thread_started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        stub_stop(stub);
        return rc;
    }
    *out = stub;
    return 0;
bind_fail:
    if (rc == EADDRINUSE)
        snprintf(err, errlen, "--listen %s:%u: address already in use (port taken)", cfg->host,
                 (unsigned)cfg->port);
    else
        snprintf(err, errlen, "--listen %s:%u: cannot listen: %s", cfg->host, (unsigned)cfg->port,
                 strerror(rc));
    return rc;
}

int stub_port(const stub_t *stub)
{
    return stub->port;
}

const char *stub_host(const stub_t *stub)
{
    return stub->host;
}

void stub_stop(stub_t *stub)
{
    if (!stub)
        return;
    uint64_t one = 1;
    for (unsigned i = 0; i < stub->nservers; i++) {
        server_t *srv = &stub->servers[i];
        if (srv->thread_started) {
            ssize_t w = write(srv->drain_io.fd, &one, sizeof one);
            (void)w;
        }
    }
    for (unsigned i = 0; i < stub->nservers; i++)
        if (stub->servers[i].thread_started)
            pthread_join(stub->servers[i].thread, NULL);
    stub_free(stub);
}
