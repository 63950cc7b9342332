/* target — reaching the server named by a URL outside the event loop: one
 * blocking (bounded) connect used before the clock starts (the engine's
 * pre-flight check, target_preflight) and by one-off requests (ab's
 * verification probe). */
#ifndef TAILGATE_LOAD_TARGET_H
#define TAILGATE_LOAD_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/tls.h"
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

/* What to do about a certificate that failed verification for `why`: a name
 * mismatch is not cured by --cacert, an unknown issuer is. */
const char *target_tls_advice(const char *why);
/* The sentence for a failed handshake with `name` (host:port): "TLS
 * verification failed for NAME: WHY (ADVICE)" when verify, else "TLS
 * handshake with NAME failed: WHY". */
void target_tls_failure(const char *name, const char *why, bool verify, char *err, size_t errlen);

/* For an http:// URL whose requests all failed with nothing read (reset):
 * connects once more and tries a TLS handshake (no verification, at most
 * timeout_ms). When the server completes it -- it speaks TLS, so no plain
 * request could ever be answered there -- writes "the server at HOST:PORT
 * speaks TLS: use https://HOST:PORT/PATH" to hint and returns true; else
 * false and hint is untouched. */
bool target_speaks_tls(const url_t *u, int timeout_ms, char *hint, size_t hintlen);

/* The engine's pre-flight check: resolves u once and proves something listens
 * there -- and, with tls (https), that it completes a handshake, verification
 * included -- so a run against nothing fails at once with a reason instead of
 * counting errors. Waits at most 3 s, or timeout_ns when shorter (0 = none).
 * Fills *addr and *addrlen with the address reached. Returns 0, an errno from
 * target_connect, ENOMEM, or EPROTO when the handshake failed ("TLS
 * verification failed for HOST:PORT: <reason> (use --cacert FILE or
 * --insecure)"), with a sentence for a person in err. */
int target_preflight(const url_t *u, uint64_t timeout_ns, tls_ctx_t *tls,
                     struct sockaddr_storage *addr, socklen_t *addrlen, char *err, size_t errlen);

/* The pre-flight of an HTTP/2 run: as target_preflight, then (https) the
 * ALPN outcome, then the HTTP/2 connection preface both ways (RFC 9113
 * §3.4): ours (prior knowledge on http), and the server's SETTINGS frame,
 * whose SETTINGS_MAX_CONCURRENT_STREAMS goes to *max_streams (UINT32_MAX
 * when the server sets no limit). Returns 0 with *h2 true; 0 with *h2 false
 * and err saying why when the server does not speak HTTP/2 there (ALPN
 * chose http/1.1 or nothing; an HTTP/1 answer to the preface; a close or
 * silence instead of SETTINGS) -- the caller decides between falling back
 * and stopping; or target_preflight's errors, and EPROTO for a server that
 * speaks HTTP/2 wrongly (a first frame that is not SETTINGS, a limit of 0
 * streams). */
int target_preflight_h2(const url_t *u, uint64_t timeout_ns, tls_ctx_t *tls,
                        struct sockaddr_storage *addr, socklen_t *addrlen, bool *h2,
                        uint32_t *max_streams, char *err, size_t errlen);

/* What a person can do when --http2 found no HTTP/2 at u (target_preflight_h2
 * gave *h2 false): the run's and ab's probe's advice. */
const char *target_h2_advice(const url_t *u);

#endif
