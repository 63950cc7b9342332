/* h2serve — the stub's HTTP/2 connections (RFC 9113): h2c with prior
 * knowledge and h2 over TLS (ALPN), framed by libnghttp2's server session
 * under the thread's loop. Private to src/stub/.
 *
 * sconn.c hands a connection over when its first bytes are the client
 * preface or its handshake chose h2. Each stream's request is then served
 * by the same state machine as an HTTP/1.1 request (sconn.c), on a
 * connection object without a socket: the stream's fields and body are
 * written to it as the equivalent HTTP/1.1 request, and the HTTP/1.1
 * response it produces is framed (core/h1resp) into the stream's HEADERS
 * and DATA frames as it comes -- a streamed answer as its events are made,
 * at the same modelled times. Every route, preset, the latency model, the
 * engine and scripts thus serve HTTP/2 without a line of their own.
 *
 * Errors stay per stream: a request the stub refuses (400, 404, 413 ...)
 * gets its error response on its stream; a malformed HTTP/2 request is
 * reset by nghttp2 (RST_STREAM PROTOCOL_ERROR); an answer cut short (a
 * script's drop or reset, a write that stalled) resets its stream
 * (RST_STREAM INTERNAL_ERROR). The connection goes on. Streams keep the
 * header timeout of HTTP/1.1: a request unfinished after it gets 408, an
 * answer not taken for as long is reset. It ends at the client's GOAWAY
 * or close, a connection error, STUB_IDLE_NS without a stream, resets that
 * cannot leave within the header timeout, or a drain (a GOAWAY first;
 * streams in progress finish). */
#ifndef TAILGATE_STUB_H2SERVE_H
#define TAILGATE_STUB_H2SERVE_H

#include <stddef.h>

#include "core/tls.h"
#include "stub/server.h"

typedef struct sconn sconn_t;

/* Whether buf[0..len) begins with the client preface: 1 it does, -1 it is
 * a proper prefix of it (need more bytes), 0 it is not HTTP/2. */
int h2serve_preface(const char *buf, size_t len);

/* Takes over an accepted connection (fd, and its TLS session or NULL) whose
 * client speaks HTTP/2, with the bytes already read from it. Returns 0 or an
 * errno value (the socket is closed then). */
int h2serve_accept(server_t *srv, int fd, tls_conn_t *tls, const char *pre, size_t len);

/* sconn.c: the next bytes of c's HTTP/1.1 response, for its stream. Returns
 * 0 (all taken), 1 (none taken: the stream's frames wait for the client's
 * flow-control window; c is driven again when they leave) or -1 (c was
 * freed). */
int h2serve_write(sconn_t *c, const char *data, size_t len);
/* sconn.c: c (a stream's) is being freed; an answer not yet whole resets its
 * stream. */
void h2serve_sconn_closed(sconn_t *c);

/* Drain: a GOAWAY on every connection; each closes once its streams ended. */
void h2serve_drain_all(server_t *srv);
/* Closes and frees every HTTP/2 connection (after the loop ended). */
void h2serve_free_all(server_t *srv);

#endif
