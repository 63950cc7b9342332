/* tls — OpenSSL behind the small surface the client connection, the probe and
 * the stub need: a context per role (client: system store or --cacert, peer
 * and host name verification unless insecure; server: certificate + key), a
 * connection bound to a non-blocking socket, and handshake / read / write
 * steps that never block.
 *
 * Return convention of the steps (tls_status_t): TLS_OK, TLS_WANT_READ or
 * TLS_WANT_WRITE (retry the same call once the socket is readable / writable;
 * both are RETRY to an edge-triggered caller registered for in and out), or
 * TLS_ERROR. TLS 1.2 and 1.3 only.
 *
 * Threading: a context is shared read-only by threads; a tls_conn_t and a
 * tls_resume_t belong to one thread. */
#ifndef TAILGATE_CORE_TLS_H
#define TAILGATE_CORE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum { TLS_OK = 0, TLS_WANT_READ, TLS_WANT_WRITE, TLS_ERROR } tls_status_t;

typedef struct {
    const char *cacert; /* PEM file of trusted CAs; NULL = the system store */
    bool insecure;      /* no certificate or host name verification */
    bool no_resume;     /* no session resumption across reconnects */
    bool alpn_h2;       /* offer "h2" then "http/1.1" by ALPN (RFC 7301); tls_alpn_h2 says */
} tls_client_opts_t;

typedef struct tls_ctx tls_ctx_t;
typedef struct tls_conn tls_conn_t;

/* One thread's session for resumption: the last one the server gave it.
 * Zero-initialise; tls_resume_clear releases it. */
typedef struct {
    void *session; /* SSL_SESSION * */
} tls_resume_t;

/* Client context. Returns 0, or an errno value with the reason in err (an
 * unreadable or invalid --cacert, no system store). */
int tls_client_ctx_new(const tls_client_opts_t *opts, tls_ctx_t **out, char *err, size_t errlen);
/* Server context with a PEM certificate chain and its private key; it
 * answers ALPN with "h2" when the client offers it, else "http/1.1" when
 * offered (a client that offers neither gets no ALPN). Returns 0,
 * or an errno value with the reason in err (unreadable file, key does not
 * match the certificate). */
int tls_server_ctx_new(const char *cert_file, const char *key_file, tls_ctx_t **out, char *err,
                       size_t errlen);
void tls_ctx_free(tls_ctx_t *ctx); /* NULL is fine */

/* A client connection on the connected socket fd for host (the URL's host:
 * sent as SNI unless it is an IP literal, and verified against the
 * certificate). resume: the thread's session store, or NULL for a full
 * handshake every time; new sessions the server issues are stored there
 * (resume must outlive the connection). Returns 0 or ENOMEM. */
int tls_conn_client(tls_ctx_t *ctx, int fd, const char *host, tls_resume_t *resume,
                    tls_conn_t **out);
/* A server connection on an accepted socket. Returns 0 or ENOMEM. */
int tls_conn_server(tls_ctx_t *ctx, int fd, tls_conn_t **out);
/* Frees the connection (the socket stays open: the caller closes it).
 * notify: send close_notify first, without waiting (best effort). NULL fine. */
void tls_conn_free(tls_conn_t *t, bool notify);

/* One handshake step. On TLS_ERROR err holds the reason, for a person (for a
 * failed verification the verifier's words, e.g. "certificate has expired"). */
tls_status_t tls_handshake(tls_conn_t *t, char *err, size_t errlen);
/* The whole handshake for a blocking caller (pre-flight checks, the probe):
 * polls fd until done or timeout_ms passed. Returns TLS_OK or TLS_ERROR with
 * the reason in err. */
tls_status_t tls_handshake_wait(tls_conn_t *t, int fd, int timeout_ms, char *err, size_t errlen);
/* After the handshake: true when the certificate check failed (the error was
 * the peer's identity, not the transport); true when the session was resumed. */
bool tls_verify_failed(const tls_conn_t *t);
bool tls_resumed(const tls_conn_t *t);
/* After the handshake: true when ALPN chose "h2" (HTTP/2 over TLS). */
bool tls_alpn_h2(const tls_conn_t *t);

/* Reads up to len bytes. TLS_OK with *n > 0 bytes, or *n == 0 when the peer
 * closed (close_notify or plain EOF). TLS_ERROR on a reset or a bad record. */
tls_status_t tls_read(tls_conn_t *t, void *buf, size_t len, size_t *n);
/* After a read said the peer closed: true when it sent close_notify first,
 * false when the connection just ended (anyone on the path can do that: a
 * message framed only by the close was maybe cut short, RFC 8446 section 6.1). */
bool tls_closed_cleanly(const tls_conn_t *t);
/* Writes up to len bytes (partial writes happen). After a WANT_* retry with
 * the same buf and len. */
tls_status_t tls_write(tls_conn_t *t, const void *buf, size_t len, size_t *n);

/* tls_write and tls_read behind the conventions of send() and recv(), so one
 * I/O loop serves plain and TLS sockets: > 0 bytes, 0 end of stream (recv),
 * -1 with errno EAGAIN (retry on the next event) or ECONNRESET. */
ssize_t tls_send_like(tls_conn_t *t, const void *buf, size_t len);
ssize_t tls_recv_like(tls_conn_t *t, void *buf, size_t len);

/* Releases the stored session; the struct is empty afterwards. */
void tls_resume_clear(tls_resume_t *r);

#endif
