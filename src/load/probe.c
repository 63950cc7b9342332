#include "load/probe.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/h1resp.h"
#include "core/loop.h"
#include "load/h2conn.h"
#include "load/h2req.h"
#include "load/target.h"

#define PROBE_MAX_RESPONSE (64u << 20)
#define PROBE_MAX_HEAD (64u << 10)

static int remaining_ms(uint64_t deadline)
{
    uint64_t now = clock_now_ns();
    return now >= deadline ? 0 : (int)((deadline - now) / CLOCK_NS_PER_MS + 1);
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int ms = remaining_ms(deadline);
        if (ms == 0)
            return ETIMEDOUT;
        int n = poll(&p, 1, ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return errno;
    }
}

/* The connection, plain or TLS: the helpers below behave like send/recv
 * and say which readiness to wait for after EAGAIN. */
typedef struct {
    int fd;
    tls_conn_t *tls;
    short want; /* POLLIN or POLLOUT after EAGAIN */
} probe_io_t;

static ssize_t tls_result(probe_io_t *io, tls_status_t s, size_t n)
{
    if (s == TLS_OK)
        return (ssize_t)n;
    io->want = s == TLS_WANT_WRITE ? POLLOUT : POLLIN;
    errno = s == TLS_ERROR ? ECONNRESET : EAGAIN;
    return -1;
}

static ssize_t io_send(probe_io_t *io, const char *p, size_t len)
{
    io->want = POLLOUT;
    if (!io->tls)
        return send(io->fd, p, len, MSG_NOSIGNAL);
    size_t n;
    tls_status_t s = tls_write(io->tls, p, len, &n);
    return tls_result(io, s, n);
}

static ssize_t io_recv(probe_io_t *io, char *p, size_t len)
{
    io->want = POLLIN;
    if (!io->tls)
        return recv(io->fd, p, len, 0);
    size_t n;
    tls_status_t s = tls_read(io->tls, p, len, &n);
    return tls_result(io, s, n);
}

static int send_all(probe_io_t *io, const char *p, size_t n, uint64_t deadline)
{
    while (n) {
        ssize_t w = io_send(io, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                return errno;
            int e = wait_fd(io->fd, io->want, deadline);
            if (e)
                return e;
            continue;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads until the response is complete, framed by core/h1resp as the load
 * connections frame theirs; the body is kept, decoded. */
static int read_response(probe_io_t *io, uint64_t deadline, bool head, probe_response_t *out,
                         char *err, size_t errlen)
{
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap + 1); /* + 1: room for the NUL after the body */
    if (!buf)
        return ENOMEM;
    h1resp_t r;
    h1resp_init(&r, head, true, PROBE_MAX_HEAD, PROBE_MAX_RESPONSE, NULL, NULL);
    int e = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= PROBE_MAX_RESPONSE) {
                snprintf(err, errlen, "response larger than %u bytes", PROBE_MAX_RESPONSE);
                e = EMSGSIZE;
                break;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                e = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = io_recv(io, buf + len, cap - len);
        int f;
        if (n > 0) {
            len += (size_t)n;
            f = h1resp_feed(&r, buf, &len);
        } else if (n == 0) {
            /* Over TLS a body framed by the close needs close_notify (conn.c). */
            f = h1resp_eof(&r, buf, &len);
            bool unclean = f == 0 && io->tls && !tls_closed_cleanly(io->tls);
            if (unclean)
                f = HTTP_INCOMPLETE;
            if (f == HTTP_INCOMPLETE) {
                snprintf(err, errlen,
                         "the server closed the connection before the response was complete%s",
                         unclean ? " (over TLS without close_notify: a body that ends with the "
                                   "connection may have been cut)"
                                 : "");
                e = ECONNRESET;
                break;
            }
        } else if (errno == EAGAIN) {
            e = wait_fd(io->fd, io->want, deadline);
            if (e) {
                snprintf(err, errlen, "no complete response in time");
                break;
            }
            continue;
        } else if (errno == EINTR) {
            continue;
        } else {
            e = errno;
            snprintf(err, errlen, "reading the response failed: %s", strerror(e));
            break;
        }
        if (f == 0)
            break;
        if (f == HTTP_INVALID) {
            snprintf(err, errlen, "the server sent a malformed response");
            e = EPROTO;
            break;
        }
        if (f == HTTP_TOO_LARGE) {
            snprintf(err, errlen, "the response's %s is larger than tailgate accepts",
                     r.have_head ? "body" : "header section");
            e = EMSGSIZE;
            break;
        }
    }
    if (e) {
        free(buf);
        return e;
    }
    out->status = r.status;
    out->body_len = (size_t)r.body_len;
    memmove(buf, buf + r.head_len, out->body_len);
    buf[out->body_len] = '\0';
    out->body = buf;
    return 0;
}

/* The TLS session over the connected socket, verified as the engine does. */
static int start_tls(const url_t *url, const tls_client_opts_t *opts, probe_io_t *io,
                     tls_ctx_t **ctx, uint64_t deadline, char *err, size_t errlen)
{
    static const tls_client_opts_t defaults = {0};
    char why[200];
    int e = tls_client_ctx_new(opts ? opts : &defaults, ctx, why, sizeof why);
    if (e) {
        snprintf(err, errlen, "%s", why);
        return e;
    }
    if (tls_conn_client(*ctx, io->fd, url->host, NULL, &io->tls) != 0)
        return ENOMEM;
    if (tls_handshake_wait(io->tls, io->fd, remaining_ms(deadline), why, sizeof why) != TLS_OK) {
        char name[URL_HOST_MAX + 16];
        snprintf(name, sizeof name, "%s:%s", url->host, url->port);
        target_tls_failure(name, why, tls_verify_failed(io->tls), err, errlen);
        return EPROTO;
    }
    return 0;
}

/* ---- HTTP/2: one stream of load/h2conn on a loop of its own ---- */

typedef struct {
    loop_t *loop;
    probe_response_t *out;
    conn_outcome_t err;
    char tls_error[160];
    bool done, nomem;
} h2probe_t;

static void h2_on_done(h2conn_t *c, void *user, const conn_result_t *res)
{
    (void)c;
    h2probe_t *p = user;
    p->done = true;
    p->err = res->err;
    p->out->status = res->status;
    if (res->tls_error)
        snprintf(p->tls_error, sizeof p->tls_error, "%s", res->tls_error);
    if (res->err == CONN_OK) {
        p->out->body = malloc(res->body_len + 1);
        if (p->out->body) {
            memcpy(p->out->body, res->body ? res->body : "", res->body_len);
            p->out->body[res->body_len] = '\0';
            p->out->body_len = res->body_len;
        } else {
            p->nomem = true;
        }
    }
    loop_stop(p->loop);
}

static void h2_on_connect(h2conn_t *c, void *opener, uint64_t connect_ns)
{
    (void)c, (void)opener, (void)connect_ns;
}

static void h2_on_tls(h2conn_t *c, uint64_t handshake_ns, bool resumed)
{
    (void)c, (void)handshake_ns, (void)resumed;
}

/* What a stream's outcome means, for a person. */
static int h2_outcome(const h2probe_t *p, const url_t *url, char *err, size_t errlen)
{
    switch (p->err) {
    case CONN_OK:
        return p->nomem ? ENOMEM : 0;
    case CONN_ERR_CONNECT_REFUSED:
        snprintf(err, errlen, "cannot connect to %s:%s", url->host, url->port);
        return ECONNREFUSED;
    case CONN_ERR_CONNECT_TIMEOUT:
        snprintf(err, errlen, "no connection to %s:%s in time", url->host, url->port);
        return ETIMEDOUT;
    case CONN_ERR_TIMEOUT:
        snprintf(err, errlen, "no complete response in time");
        return ETIMEDOUT;
    case CONN_ERR_RESET:
        snprintf(err, errlen,
                 "the server reset the HTTP/2 stream or closed the connection before the "
                 "response was complete");
        return ECONNRESET;
    case CONN_ERR_PROTOCOL:
        snprintf(err, errlen, "the server sent malformed HTTP/2");
        return EPROTO;
    case CONN_ERR_TLS:
        snprintf(err, errlen, "TLS handshake with %s:%s failed: %s", url->host, url->port,
                 p->tls_error);
        return EPROTO;
    }
    assert(!"a conn_outcome_t without a case");
    return EPROTO;
}

/* The request over HTTP/2, on the address and with the stream limit the
 * pre-flight found. */
static int probe_h2(const url_t *url, tls_ctx_t *tls, const struct sockaddr_storage *addr,
                    socklen_t addrlen, uint32_t server_streams, const char *req, size_t req_len,
                    bool head_request, uint64_t timeout_ns, probe_response_t *out, char *err,
                    size_t errlen)
{
    h2req_t fields;
    int e = h2req_init(&fields, req, req_len, url->tls ? "https" : "http", false, err, errlen);
    if (e)
        return e;
    h2probe_t p = {.out = out};
    h2conn_t c = {.io.fd = -1};
    if ((e = loop_new(&p.loop)) != 0)
        goto out;
    h2conn_env_t env = {
        .loop = p.loop,
        .addrlen = addrlen,
        .timeout_ns = timeout_ns,
        .head_request = head_request,
        .keep_body = true,
        .on_done = h2_on_done,
        .on_connect = h2_on_connect,
        .on_tls = h2_on_tls,
        .tls = tls,
        .tls_host = url->host,
        .fields = &fields,
        .max_streams = 1,
        .server_streams = server_streams,
    };
    memcpy(&env.addr, addr, addrlen);
    if ((e = h2conn_init(&c, &env)) != 0)
        goto out;
    loop_update_now(p.loop);
    size_t off = h2req_body_offset(req, req_len);
    h2conn_submit(&c, &p, NULL, 0, req + off, req_len - off, 0);
    /* The stream's timer (timeout_ns) ends it if nothing else does. */
    while (!p.done && e == 0)
        e = loop_run(p.loop);
    if (e == 0) {
        e = h2_outcome(&p, url, err, errlen);
        out->http2 = true;
    }
out:
    if (e == ENOMEM)
        snprintf(err, errlen, "out of memory");
    h2conn_close(&c);
    loop_free(p.loop);
    h2req_close(&fields);
    return e;
}

/* HTTP/2: the engine's pre-flight (does the server speak it there?), then
 * the request. *fallback: it does not, and PROBE_HTTP2_AUTO says to go over
 * HTTP/1.1. */
static int probe_try_h2(const url_t *url, const tls_client_opts_t *opts, probe_http_t http,
                        const char *req, size_t req_len, bool head_request, uint64_t timeout_ns,
                        probe_response_t *out, bool *fallback, char *err, size_t errlen)
{
    static const tls_client_opts_t defaults = {0};
    tls_ctx_t *ctx = NULL;
    int e = 0;
    *fallback = false;
    if (url->tls) {
        tls_client_opts_t topts = opts ? *opts : defaults;
        topts.alpn_h2 = true;
        if ((e = tls_client_ctx_new(&topts, &ctx, err, errlen)) != 0)
            return e;
    }
    struct sockaddr_storage addr;
    socklen_t addrlen;
    bool h2;
    uint32_t streams;
    e = target_preflight_h2(url, timeout_ns, ctx, &addr, &addrlen, &h2, &streams, err, errlen);
    if (e == 0 && !h2) {
        if (http == PROBE_HTTP2_AUTO) {
            *fallback = true;
        } else {
            size_t n = strlen(err);
            snprintf(err + n, errlen > n ? errlen - n : 0, "; %s", target_h2_advice(url));
            e = EPROTO;
        }
    } else if (e == 0) {
        e = probe_h2(url, ctx, &addr, addrlen, streams, req, req_len, head_request, timeout_ns, out,
                     err, errlen);
    }
    tls_ctx_free(ctx);
    return e;
}

int probe_request(const url_t *url, const tls_client_opts_t *tls, probe_http_t http,
                  const char *req, size_t req_len, bool head_request, uint64_t timeout_ns,
                  probe_response_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (http != PROBE_HTTP1) {
        bool fallback;
        int e = probe_try_h2(url, tls, http, req, req_len, head_request, timeout_ns, out, &fallback,
                             err, errlen);
        if (!fallback)
            return e;
    }
    uint64_t deadline = clock_now_ns() + timeout_ns;
    probe_io_t io = {.fd = -1};
    tls_ctx_t *ctx = NULL;
    int e = target_connect(url, remaining_ms(deadline), &io.fd, NULL, NULL, err, errlen);
    if (e)
        return e;
    if (url->tls && (e = start_tls(url, tls, &io, &ctx, deadline, err, errlen)) != 0)
        goto out;
    e = send_all(&io, req, req_len, deadline);
    if (e)
        snprintf(err, errlen, "sending the request failed: %s", strerror(e));
    else
        e = read_response(&io, deadline, head_request, out, err, errlen);
out:
    tls_conn_free(io.tls, e == 0);
    tls_ctx_free(ctx);
    close(io.fd);
    return e;
}

void probe_free(probe_response_t *r)
{
    if (r) {
        free(r->body);
        r->body = NULL;
    }
}
