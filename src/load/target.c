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
        if (tls_verify_failed(t))
            snprintf(err, errlen,
                     "TLS verification failed for %.60s: %.150s (use --cacert FILE or --insecure)",
                     name, why);
        else
            snprintf(err, errlen, "TLS handshake with %.60s failed: %.150s", name, why);
        rc = EPROTO;
    }
    tls_conn_free(t, rc == 0);
    return rc;
}

int target_preflight(const url_t *u, uint64_t timeout_ns, tls_ctx_t *tls,
                     struct sockaddr_storage *addr, socklen_t *addrlen, char *err, size_t errlen)
{
    int timeout_ms = PREFLIGHT_TIMEOUT_MS;
    if (timeout_ns && timeout_ns / CLOCK_NS_PER_MS < (uint64_t)timeout_ms)
        timeout_ms = (int)(timeout_ns / CLOCK_NS_PER_MS) + 1;
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
