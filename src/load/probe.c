#include "load/probe.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/http.h"

#define PROBE_MAX_RESPONSE (64u << 20)

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

static int connect_to(const url_t *url, uint64_t deadline, int *fd_out, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(url->host, url->port, &hints, &ai);
    if (g) {
        snprintf(err, errlen, "cannot resolve '%s': %s", url->host, gai_strerror(g));
        return ENOENT;
    }
    int e = ECONNREFUSED;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
            e = errno;
            close(fd);
            continue;
        }
        e = wait_fd(fd, POLLOUT, deadline);
        int so = 0;
        socklen_t sl = sizeof so;
        if (!e && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so)
            e = so;
        if (!e) {
            *fd_out = fd;
            freeaddrinfo(ai);
            return 0;
        }
        close(fd);
    }
    freeaddrinfo(ai);
    snprintf(err, errlen, "cannot connect to %s:%s: %s", url->host, url->port, strerror(e));
    return e;
}

static int send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                return errno;
            int e = wait_fd(fd, POLLOUT, deadline);
            if (e)
                return e;
            continue;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads until the response is complete; decodes a chunked body in place. */
static int read_response(int fd, uint64_t deadline, bool head, probe_response_t *out, char *err,
                         size_t errlen)
{
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return ENOMEM;
    http_header_t headers[100];
    http_response_t res;
    int hlen = HTTP_INCOMPLETE;
    bool eof = false;
    int e = 0;
    for (;;) {
        if (hlen == HTTP_INCOMPLETE || hlen <= 0) {
            hlen = len ? http_parse_response(buf, len, &res, headers, 100, 65536, head)
                       : HTTP_INCOMPLETE;
            if (hlen > 0 && res.status >= 100 && res.status < 200) {
                memmove(buf, buf + hlen, len - (size_t)hlen);
                len -= (size_t)hlen;
                hlen = HTTP_INCOMPLETE;
                continue;
            }
            if (hlen == HTTP_INVALID || hlen == HTTP_TOO_LARGE) {
                snprintf(err, errlen, "the server sent a malformed response");
                e = EPROTO;
                break;
            }
        }
        if (hlen > 0) {
            size_t have = len - (size_t)hlen;
            if (res.body == HTTP_BODY_NONE) {
                out->body_len = 0;
                break;
            }
            if (res.body == HTTP_BODY_LENGTH && have >= res.content_length) {
                out->body_len = (size_t)res.content_length;
                break;
            }
            if (res.body == HTTP_BODY_CHUNKED) {
                http_chunked_t dec;
                http_chunked_init(&dec);
                char *copy = malloc(have + 1);
                if (!copy) {
                    e = ENOMEM;
                    break;
                }
                memcpy(copy, buf + hlen, have);
                size_t dlen = have;
                ssize_t r = http_chunked_decode(&dec, copy, &dlen);
                if (r >= 0) {
                    memcpy(buf + hlen, copy, dlen);
                    out->body_len = dlen;
                    free(copy);
                    break;
                }
                free(copy);
                if (r == HTTP_INVALID) {
                    snprintf(err, errlen, "the server sent a malformed chunked body");
                    e = EPROTO;
                    break;
                }
            }
            if (res.body == HTTP_BODY_CLOSE && eof) {
                out->body_len = have;
                break;
            }
        }
        if (eof) {
            snprintf(err, errlen, "the server closed the connection before the response was "
                                  "complete");
            e = ECONNRESET;
            break;
        }
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
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n > 0) {
            len += (size_t)n;
        } else if (n == 0) {
            eof = true;
        } else if (errno == EAGAIN) {
            e = wait_fd(fd, POLLIN, deadline);
            if (e) {
                snprintf(err, errlen, "no complete response in time");
                break;
            }
        } else if (errno != EINTR) {
            e = errno;
            snprintf(err, errlen, "reading the response failed: %s", strerror(e));
            break;
        }
    }
    if (e) {
        free(buf);
        return e;
    }
    out->status = res.status;
    memmove(buf, buf + hlen, out->body_len);
    buf[out->body_len] = '\0';
    out->body = buf;
    return 0;
}

int probe_request(const url_t *url, const char *method, const char *body, size_t body_len,
                  const char *const *headers, size_t num_headers, uint64_t timeout_ns,
                  probe_response_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    uint64_t deadline = clock_now_ns() + timeout_ns;
    int fd = -1;
    int e = connect_to(url, deadline, &fd, err, errlen);
    if (e)
        return e;
    size_t cap = 1024 + strlen(url->path) + strlen(url->authority);
    for (size_t i = 0; i < num_headers; i++)
        cap += strlen(headers[i]) + 2;
    char *head = malloc(cap);
    if (!head) {
        close(fd);
        return ENOMEM;
    }
    size_t n = (size_t)snprintf(head, cap,
                                "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tailgate\r\n"
                                "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                                "Connection: close\r\n",
                                method, url->path, url->authority, body_len);
    for (size_t i = 0; i < num_headers; i++)
        n += (size_t)snprintf(head + n, cap - n, "%s\r\n", headers[i]);
    n += (size_t)snprintf(head + n, cap - n, "\r\n");
    e = send_all(fd, head, n, deadline);
    if (!e && body_len)
        e = send_all(fd, body, body_len, deadline);
    free(head);
    if (e) {
        snprintf(err, errlen, "sending the request failed: %s", strerror(e));
    } else {
        e = read_response(fd, deadline, !strcmp(method, "HEAD"), out, err, errlen);
    }
    close(fd);
    return e;
}

void probe_free(probe_response_t *r)
{
    if (r) {
        free(r->body);
        r->body = NULL;
    }
}
