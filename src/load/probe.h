/* probe — one blocking request outside the engine, for checks made before a
 * measurement starts (ab's verification). Not for load: it opens a connection
 * per call and allocates. Over HTTP/2 it is the engine's pre-flight
 * (target_preflight_h2), then one stream of load/h2conn on a loop of its own
 * with the fields load/h2req translates: the same framing, fields and checks
 * as the measured streams. */
#ifndef TAILGATE_LOAD_PROBE_H
#define TAILGATE_LOAD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls.h"
#include "core/url.h"

/* Which protocol, as the engine's --http2 says. */
typedef enum {
    PROBE_HTTP1,
    PROBE_HTTP2,      /* h2 by ALPN on https, prior-knowledge h2c on http */
    PROBE_HTTP2_AUTO, /* HTTP/2, or HTTP/1.1 when the server does not speak it */
} probe_http_t;

typedef struct {
    bool http2; /* the request went over HTTP/2 */
    int status; /* HTTP status; 0 when no response */
    char *body; /* decoded body (NUL-terminated), caller frees with probe_free */
    size_t body_len;
} probe_response_t;

/* Sends req[0..req_len), a whole HTTP/1.1 request (load/reqfmt builds it,
 * so a probe sends exactly the bytes a measured request does -- over HTTP/2,
 * the fields and body load/h2req makes of them), and reads its response,
 * framed as the load connections frame theirs (core/h1resp, load/h2conn);
 * head_request: it was a HEAD request. http: the protocol (PROBE_HTTP2 to a
 * server that does not speak HTTP/2 is EPROTO, err saying why; with
 * PROBE_HTTP2_AUTO it goes over HTTP/1.1). Waits at most timeout_ns for the
 * request (over HTTP/2, after the pre-flight's own bound of timeout_ns or 3 s,
 * and again over HTTP/1.1 when it falls back).
 * https URLs go over TLS with tls's verification options (NULL = verify
 * against the system store). Returns 0, or an errno value with a reason in
 * err (connect refused, timeout, TLS verification -- EPROTO --, bad
 * response, a reset stream). */
int probe_request(const url_t *url, const tls_client_opts_t *tls, probe_http_t http,
                  const char *req, size_t req_len, bool head_request, uint64_t timeout_ns,
                  probe_response_t *out, char *err, size_t errlen);
void probe_free(probe_response_t *r);

#endif
