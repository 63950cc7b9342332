/* url — http(s)://HOST[:PORT][/PATH][?QUERY][#FRAGMENT] for target URLs.
 *
 * Deliberately narrow: what a load tester needs to open a connection and
 * write a request line and a Host header. The scheme is case-insensitive; the
 * fragment is dropped (it is never sent); the path is kept as written (no
 * percent-decoding or dot-segment removal) but must not hold spaces or control
 * characters, which would break the request line. */
#include "core/url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/errmsg.h"

#define SHOW "'%.64s'"

static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

/* 1..65535, digits only; written back without leading zeros. */
static int parse_port(const char *p, size_t n, char port[8], char *err, size_t errlen)
{
    unsigned long v = 0;
    if (n == 0)
        return errmsg_set(-1, err, errlen, "empty port after ':' (expected 1..65535)");
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return errmsg_set(-1, err, errlen, "bad port '%.*s' (expected a number 1..65535)",
                              (int)(n > 16 ? 16 : n), p);
        v = v * 10 + (unsigned long)(p[i] - '0');
        if (v > 65535)
            return errmsg_set(-1, err, errlen, "bad port '%.*s' (expected 1..65535)",
                              (int)(n > 16 ? 16 : n), p);
    }
    if (v == 0)
        return errmsg_set(-1, err, errlen, "bad port 0 (expected 1..65535)");
    snprintf(port, 8, "%lu", v);
    return 0;
}

int url_parse(const char *text, url_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!text || !*text)
        return errmsg_set(-1, err, errlen, "empty URL (expected http://HOST[:PORT][/PATH])");

    const char *p;
    const char *sep = strstr(text, "://");
    if (!sep)
        return errmsg_set(-1, err, errlen,
                          SHOW " has no scheme (expected http://HOST[:PORT][/PATH])", text);
    size_t scheme_len = (size_t)(sep - text);
    if (scheme_len == 4 && strncasecmp(text, "http", 4) == 0) {
        out->tls = false;
    } else if (scheme_len == 5 && strncasecmp(text, "https", 5) == 0) {
        out->tls = true;
    } else {
        return errmsg_set(-1, err, errlen, "unsupported scheme '%.*s' (use http:// or https://)",
                          (int)(scheme_len > 16 ? 16 : scheme_len), text);
    }
    p = sep + 3;

    /* authority: up to the path, query or fragment */
    size_t auth_len = strcspn(p, "/?#");
    const char *auth = p, *auth_end = p + auth_len;
    if (memchr(auth, '@', auth_len))
        return errmsg_set(-1, err, errlen, "user info (user@host) in URLs is not supported");
    if (auth_len == 0)
        return errmsg_set(-1, err, errlen, SHOW " has an empty host", text);
    if (auth_len >= sizeof(out->authority))
        return errmsg_set(-1, err, errlen, "host too long (max %d bytes)", URL_HOST_MAX - 1);

    const char *host, *host_end, *port = NULL;
    if (*auth == '[') {
        host = auth + 1;
        host_end = memchr(host, ']', (size_t)(auth_end - host));
        if (!host_end)
            return errmsg_set(-1, err, errlen, "missing ']' after IPv6 address in " SHOW, text);
        if (host_end + 1 < auth_end) {
            if (host_end[1] != ':')
                return errmsg_set(-1, err, errlen,
                                  "unexpected text after ']' in " SHOW " (expected :PORT or /PATH)",
                                  text);
            port = host_end + 2;
        }
        size_t n = (size_t)(host_end - host);
        char tmp[64];
        struct in6_addr addr;
        if (n == 0 || n >= sizeof(tmp))
            return errmsg_set(-1, err, errlen, "'[%.*s]' is not an IPv6 address",
                              (int)(n > 64 ? 64 : n), host);
        memcpy(tmp, host, n);
        tmp[n] = '\0';
        if (inet_pton(AF_INET6, tmp, &addr) != 1)
            return errmsg_set(-1, err, errlen, "'[%s]' is not an IPv6 address", tmp);
        out->ipv6_literal = true;
    } else {
        host = auth;
        host_end = memchr(auth, ':', auth_len);
        if (host_end) {
            port = host_end + 1;
            if (memchr(port, ':', (size_t)(auth_end - port)))
                return errmsg_set(-1, err, errlen,
                                  "an IPv6 address needs brackets, e.g. http://[::1]:8080/");
        } else {
            host_end = auth_end;
        }
        if (host == host_end)
            return errmsg_set(-1, err, errlen, SHOW " has an empty host", text);
        for (const char *c = host; c < host_end; c++)
            if (!is_host_char(*c))
                return errmsg_set(-1, err, errlen, "invalid character '%c' in host (in " SHOW ")",
                                  *c, text);
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len >= sizeof(out->host))
        return errmsg_set(-1, err, errlen, "host too long (max %d bytes)", URL_HOST_MAX - 1);
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';

    if (port) {
        if (parse_port(port, (size_t)(auth_end - port), out->port, err, errlen) != 0)
            return -1;
    } else {
        strcpy(out->port, out->tls ? "443" : "80");
    }
    memcpy(out->authority, auth, auth_len);
    out->authority[auth_len] = '\0';

    /* path and query, without the fragment */
    p = auth_end;
    size_t path_len = strcspn(p, "#");
    size_t lead = (*p == '/') ? 0 : 1; /* "" -> "/", "?q" -> "/?q" */
    if (lead + path_len >= sizeof(out->path))
        return errmsg_set(-1, err, errlen, "path too long (max %d bytes)", URL_PATH_MAX - 1);
    for (size_t i = 0; i < path_len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= ' ' || c == 0x7f)
            return errmsg_set(-1, err, errlen,
                              "the path holds a space or control character "
                              "(percent-encode it, e.g. %%20)");
    }
    out->path[0] = '/';
    memcpy(out->path + lead, p, path_len);
    out->path[lead + path_len] = '\0';
    return 0;
}
