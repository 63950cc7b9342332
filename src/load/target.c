#include "load/target.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

#define PREFLIGHT_TIMEOUT_MS 3000

void target_name(const url_t *u, char *buf, size_t len)
{
    snprintf(buf, len, u->ipv6_literal ? "[%s]:%s" : "%s:%s", u->host, u->port);
}

/* Waits for a non-blocking connect; returns 0 or its errno. */
static int connect_wait(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int pr;
    do
        pr = poll(&p, 1, timeout_ms);
    while (pr < 0 && errno == EINTR);
    if (pr == 0)
        return ETIMEDOUT;
    if (pr < 0)
        return errno;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        return errno;
    return soerr;
}

int target_connect(const url_t *u, int timeout_ms, int *fd_out, struct sockaddr_storage *addr,
                   socklen_t *addrlen, char *err, size_t errlen)
{
    char name[URL_HOST_MAX + 16];
    target_name(u, name, sizeof name);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(u->host, u->port, &hints, &ai);
    if (g != 0) {
        snprintf(err, errlen, "cannot resolve %.200s: %s", u->host, gai_strerror(g));
        return ENOENT;
    }
    int e = ECONNREFUSED;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
            continue;
        }
        e = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
        if (e == EINPROGRESS)
            e = connect_wait(fd, timeout_ms);
        if (e == 0) {
            if (addr) {
                memcpy(addr, a->ai_addr, a->ai_addrlen);
                *addrlen = a->ai_addrlen;
            }
            *fd_out = fd;
            freeaddrinfo(ai);
            return 0;
        }
        close(fd);
    }
    freeaddrinfo(ai);
    snprintf(err, errlen, "cannot connect to %.180s: %s%s", name, strerror(e),
             e == ECONNREFUSED ? " (is the server running?)" : "");
    return e;
}

/* https: the pre-flight connection also shakes hands, so a certificate that
 * fails verification stops the run before the clock with the reason. */
static int preflight_tls(const url_t *u, tls_ctx_t *ctx, int fd, int timeout_ms, const char *name,
                         char *err, size_t errlen)
{
    tls_conn_t *t = NULL;
    char why[200];
    if (tls_conn_client(ctx, fd, u->host, NULL, &t) != 0) {
        snprintf(err, errlen, "out of memory for a TLS session");
        return ENOMEM;
    }
    int rc = 0;
    if (tls_handshake_wait(t, fd, timeout_ms, why, sizeof why) != TLS_OK) {
        target_tls_failure(name, why, tls_verify_failed(t), err, errlen);
        rc = EPROTO;
    }
    tls_conn_free(t, rc == 0);
    return rc;
}

static int preflight_ms(uint64_t timeout_ns)
{
    int timeout_ms = PREFLIGHT_TIMEOUT_MS;
    if (timeout_ns && timeout_ns / CLOCK_NS_PER_MS < (uint64_t)timeout_ms)
        timeout_ms = (int)(timeout_ns / CLOCK_NS_PER_MS) + 1;
    return timeout_ms;
}

const char *target_tls_advice(const char *why)
{
    if (strstr(why, "mismatch"))
        return "use a name the certificate holds in the URL, or --insecure";
    return "use --cacert FILE or --insecure";
}

void target_tls_failure(const char *name, const char *why, bool verify, char *err, size_t errlen)
{
    if (verify)
        snprintf(err, errlen, "TLS verification failed for %.60s: %.150s (%s)", name, why,
                 target_tls_advice(why));
    else
        snprintf(err, errlen, "TLS handshake with %.60s failed: %.150s", name, why);
}

bool target_speaks_tls(const url_t *u, int timeout_ms, char *hint, size_t hintlen)
{
    if (u->tls)
        return false;
    char err[256];
    tls_ctx_t *ctx = NULL;
    tls_client_opts_t opts = {.insecure = true, .no_resume = true};
    if (tls_client_ctx_new(&opts, &ctx, err, sizeof err) != 0)
        return false;
    int fd = -1;
    tls_conn_t *t = NULL;
    bool tls = false;
    if (target_connect(u, timeout_ms, &fd, NULL, NULL, err, sizeof err) == 0 &&
        tls_conn_client(ctx, fd, u->host, NULL, &t) == 0)
        tls = tls_handshake_wait(t, fd, timeout_ms, err, sizeof err) == TLS_OK;
    tls_conn_free(t, tls);
    if (fd >= 0)
        close(fd);
    tls_ctx_free(ctx);
    if (tls) {
        char name[URL_HOST_MAX + 16];
        target_name(u, name, sizeof name);
        snprintf(hint, hintlen, "the server at %s speaks TLS: use https://%s%.200s", name, name,
                 u->path);
    }
    return tls;
}

int target_preflight(const url_t *u, uint64_t timeout_ns, tls_ctx_t *tls,
                     struct sockaddr_storage *addr, socklen_t *addrlen, char *err, size_t errlen)
{
    int timeout_ms = preflight_ms(timeout_ns);
    int fd = -1;
    int rc = target_connect(u, timeout_ms, &fd, addr, addrlen, err, errlen);
    if (rc != 0)
        return rc;
    if (tls) {
        char name[URL_HOST_MAX + 16];
        target_name(u, name, sizeof(name));
        rc = preflight_tls(u, tls, fd, timeout_ms, name, err, errlen);
    }
    close(fd);
    return rc;
}

/* ---- HTTP/2 ---- */

/* Blocking steps on the non-blocking socket, until deadline (monotonic ns). */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    uint64_t now = clock_now_ns();
    if (now >= deadline)
        return ETIMEDOUT;
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, (int)((deadline - now) / CLOCK_NS_PER_MS) + 1);
    if (n < 0)
        return errno == EINTR ? 0 : errno;
    return n == 0 ? ETIMEDOUT : 0;
}

static int send_all(int fd, tls_conn_t *t, const void *buf, size_t len, uint64_t deadline)
{
    const char *p = buf;
    while (len) {
        ssize_t n = t ? tls_send_like(t, p, len) : send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return errno;
        int e = wait_fd(fd, POLLOUT | POLLIN, deadline);
        if (e)
            return e;
    }
    return 0;
}

/* Reads up to len bytes, at least one. Returns the count, 0 at the end of
 * the stream, or -errno (-ETIMEDOUT). */
static ssize_t recv_some(int fd, tls_conn_t *t, void *buf, size_t len, uint64_t deadline)
{
    for (;;) {
        ssize_t n = t ? tls_recv_like(t, buf, len) : recv(fd, buf, len, 0);
        if (n >= 0)
            return n;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        int e = wait_fd(fd, POLLIN, deadline);
        if (e)
            return -e;
    }
}

/* Exactly len bytes (after the `have` already in buf). Returns 0, or as
 * recv_some: 0 bytes at the end of the stream comes back as -EPIPE. */
static int recv_all(int fd, tls_conn_t *t, uint8_t *buf, size_t have, size_t len, uint64_t deadline)
{
    while (have < len) {
        ssize_t n = recv_some(fd, t, buf + have, len - have, deadline);
        if (n <= 0)
            return n == 0 ? EPIPE : (int)-n;
        have += (size_t)n;
    }
    return 0;
}

/* The first line of an HTTP/1 answer, for the message. */
static void first_line(const uint8_t *b, size_t n, char *out, size_t outlen)
{
    size_t k = 0;
    while (k < n && k + 1 < outlen && b[k] != '\r' && b[k] != '\n' && b[k] >= 0x20 && b[k] < 0x7f)
        k++;
    memcpy(out, b, k);
    out[k] = '\0';
}

/* Our preface and an empty SETTINGS; the server's SETTINGS read back. */
static int h2_exchange(int fd, tls_conn_t *t, const url_t *u, const char *name, int timeout_ms,
                       bool *h2, uint32_t *max_streams, char *err, size_t errlen)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"      /* RFC 9113 §3.4 */
                                  "\x00\x00\x00\x04\x00\x00\x00\x00\x00"; /* SETTINGS, empty */
    uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * CLOCK_NS_PER_MS;
    *h2 = false;
    int e = send_all(fd, t, preface, sizeof preface - 1, deadline);
    if (e) {
        snprintf(err, errlen, "cannot send the HTTP/2 preface to %.60s: %s", name, strerror(e));
        return e;
    }
    uint8_t hd[64];
    ssize_t n = recv_some(fd, t, hd, sizeof hd, deadline);
    char hint[600];
    if (n <= 0 && n != -ETIMEDOUT && !t && target_speaks_tls(u, timeout_ms, hint, sizeof hint)) {
        snprintf(err, errlen, "%s", hint);
        return 0;
    }
    if (n <= 0) {
        snprintf(err, errlen, "%.60s does not speak %s: %s instead of HTTP/2 SETTINGS", name,
                 t ? "HTTP/2" : "h2c",
                 n == 0            ? "it closed the connection"
                 : n == -ETIMEDOUT ? "no answer"
                                   : strerror((int)-n));
        return 0;
    }
    /* Anything but a SETTINGS frame first, on a connection that did not
     * agree to HTTP/2 by ALPN, is another protocol: HTTP/1's status line,
     * or (an HTTP/0.9-style error) a bare page. */
    if ((n >= 5 && !memcmp(hd, "HTTP/", 5)) || (!t && (n < 4 || hd[3] != 0x4))) {
        char line[80];
        first_line(hd, (size_t)n, line, sizeof line);
        snprintf(err, errlen, "%.60s does not speak %s: it answered %s'%s'", name,
                 t ? "HTTP/2" : "h2c", memcmp(hd, "HTTP/", 5) ? "" : "HTTP/1 ", line);
        return 0;
    }
    size_t got = (size_t)n < 9 ? 9 : (size_t)n;
    if ((e = recv_all(fd, t, hd, (size_t)n, 9, deadline)) != 0) {
        snprintf(err, errlen, "%.60s: no whole HTTP/2 frame header (%s)", name, strerror(e));
        return EPROTO;
    }
    uint32_t len = (uint32_t)hd[0] << 16 | (uint32_t)hd[1] << 8 | hd[2];
    if (hd[3] != 0x4 || (hd[4] & 0x1) || len % 6 || len > 6 * 64) {
        snprintf(err, errlen,
                 "%.60s speaks HTTP/2 wrongly: its first frame is not SETTINGS (type %u, %u "
                 "bytes)",
                 name, hd[3], len);
        return EPROTO;
    }
    uint8_t pl[6 * 64 + 64];
    size_t have = got - 9 < len ? got - 9 : len;
    memcpy(pl, hd + 9, have);
    if ((e = recv_all(fd, t, pl, have, len, deadline)) != 0) {
        snprintf(err, errlen, "%.60s: no whole SETTINGS frame (%s)", name, strerror(e));
        return EPROTO;
    }
    *max_streams = UINT32_MAX;
    for (uint32_t i = 0; i < len; i += 6) {
        unsigned id = (unsigned)pl[i] << 8 | pl[i + 1];
        uint32_t v = (uint32_t)pl[i + 2] << 24 | (uint32_t)pl[i + 3] << 16 |
                     (uint32_t)pl[i + 4] << 8 | pl[i + 5];
        if (id == 0x3)
            *max_streams = v;
    }
    if (*max_streams == 0) {
        snprintf(err, errlen, "%.60s allows no HTTP/2 streams (SETTINGS_MAX_CONCURRENT_STREAMS 0)",
                 name);
        return EPROTO;
    }
    /* A polite end: our SETTINGS ACK and a GOAWAY (NO_ERROR), best effort. */
    static const char bye[] = "\x00\x00\x00\x04\x01\x00\x00\x00\x00"
                              "\x00\x00\x08\x07\x00\x00\x00\x00\x00"
                              "\x00\x00\x00\x00\x00\x00\x00\x00";
    send_all(fd, t, bye, sizeof bye - 1, deadline);
    *h2 = true;
    return 0;
}

int target_preflight_h2(const url_t *u, uint64_t timeout_ns, tls_ctx_t *tls,
                        struct sockaddr_storage *addr, socklen_t *addrlen, bool *h2,
                        uint32_t *max_streams, char *err, size_t errlen)
{
    int timeout_ms = preflight_ms(timeout_ns);
    int fd = -1;
    *h2 = false;
    int rc = target_connect(u, timeout_ms, &fd, addr, addrlen, err, errlen);
    if (rc != 0)
        return rc;
    char name[URL_HOST_MAX + 16];
    target_name(u, name, sizeof(name));
    tls_conn_t *t = NULL;
    if (tls) {
        char why[200];
        if (tls_conn_client(tls, fd, u->host, NULL, &t) != 0) {
            snprintf(err, errlen, "out of memory for a TLS session");
            close(fd);
            return ENOMEM;
        }
        if (tls_handshake_wait(t, fd, timeout_ms, why, sizeof why) != TLS_OK) {
            target_tls_failure(name, why, tls_verify_failed(t), err, errlen);
            rc = EPROTO;
        } else if (!tls_alpn_h2(t)) {
            snprintf(err, errlen,
                     "%.60s did not agree to HTTP/2 by ALPN (it speaks HTTP/1.1 "
                     "there)",
                     name);
        } else {
            rc = h2_exchange(fd, t, u, name, timeout_ms, h2, max_streams, err, errlen);
        }
        tls_conn_free(t, rc == 0);
    } else {
        rc = h2_exchange(fd, NULL, u, name, timeout_ms, h2, max_streams, err, errlen);
    }
    close(fd);
    return rc;
}

const char *target_h2_advice(const url_t *u)
{
    return u->tls ? "drop --http2, or give --http2=auto to fall back to HTTP/1.1"
                  : "drop --http2, or use https with ALPN";
}
