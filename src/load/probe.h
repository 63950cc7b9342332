/* probe — one blocking request outside the engine, for checks made before a
 * measurement starts (ab's verification). Not for load: it opens a connection
 * per call and allocates. */
#ifndef TAILGATE_LOAD_PROBE_H
#define TAILGATE_LOAD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls.h"
#include "core/url.h"

typedef struct {
    int status; /* HTTP status; 0 when no response */
    char *body; /* decoded body (NUL-terminated), caller frees with probe_free */
    size_t body_len;
} probe_response_t;

/* Sends req[0..req_len), a whole request (load/reqfmt builds it, so a probe
 * sends exactly the bytes a measured request does), and reads its response,
 * framed as the load connections frame theirs (core/h1resp); head_request: it
 * was a HEAD request. Waits at most timeout_ns in all. https URLs go over TLS
 * with tls's verification options (NULL = verify against the system store).
 * Returns 0, or an errno value with a reason in err (connect refused,
 * timeout, TLS verification -- EPROTO --, bad response). */
int probe_request(const url_t *url, const tls_client_opts_t *tls, const char *req, size_t req_len,
                  bool head_request, uint64_t timeout_ns, probe_response_t *out, char *err,
                  size_t errlen);
void probe_free(probe_response_t *r);

#endif
