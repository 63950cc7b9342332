/* target — reaching the server named by a URL outside the event loop: one
 * blocking (bounded) connect used before the clock starts (the engine's
 * pre-flight check) and by one-off requests (ab's verification probe). */
#ifndef TAILGATE_LOAD_TARGET_H
#define TAILGATE_LOAD_TARGET_H

#include <stddef.h>
#include <sys/socket.h>

#include "core/url.h"

/* "host:port", with brackets for an IPv6 literal: how messages name the target. */
void target_name(const url_t *u, char *buf, size_t len);

/* Resolves u and connects to the first address that accepts within
 * timeout_ms. On success *fd_out is the connected, non-blocking socket and,
 * when addr is not NULL, *addr and *addrlen the address it reached. Returns 0,
 * ENOENT (the name does not resolve) or the connect errno, with a sentence
 * for a person in err ("cannot connect to 127.0.0.1:8000: Connection refused
 * (is the server running?)"). */
int target_connect(const url_t *u, int timeout_ms, int *fd_out, struct sockaddr_storage *addr,
                   socklen_t *addrlen, char *err, size_t errlen);

#endif
