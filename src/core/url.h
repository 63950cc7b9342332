/* url — parses the target URLs tailgate accepts: http://HOST[:PORT][/PATH]
 * and https://..., HOST a name, an IPv4 address or [IPv6]. */
#ifndef TAILGATE_CORE_URL_H
#define TAILGATE_CORE_URL_H

#include <stdbool.h>
#include <stddef.h>

#define URL_HOST_MAX 256
#define URL_PATH_MAX 2048

typedef struct {
    bool tls;                          /* https */
    char host[URL_HOST_MAX];           /* without brackets for IPv6 */
    char port[8];                      /* decimal; defaults 80/443 */
    char path[URL_PATH_MAX];           /* starts with '/', includes the query; "/" when absent */
    char authority[URL_HOST_MAX + 10]; /* Host header value: host[:port] as written */
    bool ipv6_literal;
} url_t;

/* Returns 0, or -1 with a reason in err (e.g. "scheme must be http or https"). */
int url_parse(const char *text, url_t *out, char *err, size_t errlen);

#endif
