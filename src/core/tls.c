/* tls — OpenSSL contexts, connections and non-blocking steps.
 *
 * OpenSSL reports the outcome of an I/O call through a per-thread error queue
 * that must be empty before the next call is judged: every path that sees an
 * error drains it (ERR_clear_error), so the success path never pays for it. */
#include "core/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_ctx {
    SSL_CTX *ssl;
    bool verify;
};

#define SSL_OF(t) ((SSL *)(t))

/* The newest error on the queue in words, then an empty queue. */
static void openssl_reason(char *err, size_t errlen, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(err, errlen, "%s", r ? r : fallback);
    ERR_clear_error();
}

static int readable(const char *what, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot read '%s': %s", what, path, strerror(e));
        return e;
    }
    fclose(f);
    return 0;
}

/* Keeps the newest resumable session the server issued on this thread. With
 * TLS 1.3 it arrives after the handshake, inside a later read. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    tls_resume_t *r = SSL_get_app_data(ssl);
    if (!r || !SSL_SESSION_is_resumable(sess))
        return 0;
    if (r->session)
        SSL_SESSION_free(r->session);
    r->session = sess;
    return 1; /* we keep the reference */
}

static tls_ctx_t *ctx_alloc(const SSL_METHOD *method)
{
    tls_ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ssl = SSL_CTX_new(method);
    if (!c->ssl) {
        free(c);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION);
    /* A peer that closes without close_notify ends the stream (HTTP frames
     * its own messages); the partial-write mode lets a large request go out
     * record by record like send(). */
    SSL_CTX_set_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return c;
}

int tls_client_ctx_new(const tls_client_opts_t *opts, tls_ctx_t **out, char *err, size_t errlen)
{
    *out = NULL;
    tls_ctx_t *c = ctx_alloc(TLS_client_method());
    if (!c) {
        openssl_reason(err, errlen, "out of memory");
        return ENOMEM;
    }
    c->verify = !opts->insecure;
    if (c->verify) {
        if (opts->cacert) {
            int e = readable("--cacert", opts->cacert, err, errlen);
            if (e) {
                tls_ctx_free(c);
                return e;
            }
            if (SSL_CTX_load_verify_locations(c->ssl, opts->cacert, NULL) != 1) {
                char why[160];
                openssl_reason(why, sizeof why, "no certificate in it");
                snprintf(err, errlen, "--cacert: '%s' holds no usable PEM certificate (%s)",
                         opts->cacert, why);
                tls_ctx_free(c);
                return EINVAL;
            }
        } else if (SSL_CTX_set_default_verify_paths(c->ssl) != 1) {
            char why[160];
            openssl_reason(why, sizeof why, "unknown error");
            snprintf(err, errlen, "cannot load the system certificate store (%s)", why);
            tls_ctx_free(c);
            return EIO;
        }
        SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
    }
    /* RFC 7301 wire format: length-prefixed names, most preferred first. */
    static const unsigned char alpn[] = "\x02h2\x08http/1.1";
    if (opts->alpn_h2 && SSL_CTX_set_alpn_protos(c->ssl, alpn, sizeof alpn - 1) != 0) {
        snprintf(err, errlen, "out of memory for the ALPN list");
        tls_ctx_free(c);
        return ENOMEM;
    }
    if (opts->no_resume) {
        SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(c->ssl, SSL_OP_NO_TICKET);
    } else {
        /* Sessions live in each thread's tls_resume_t, not in a shared cache
         * that every thread would lock. */
        SSL_CTX_set_session_cache_mode(c->ssl,
                                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(c->ssl, on_new_session);
    }
    *out = c;
    return 0;
}

/* The server's ALPN choice: h2 when offered, else http/1.1 when offered;
 * a client offering only other protocols continues without ALPN. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    static const unsigned char ours[] = "\x02h2\x08http/1.1";
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof ours - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

int tls_server_ctx_new(const char *cert_file, const char *key_file, tls_ctx_t **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    int e = readable("--tls-cert", cert_file, err, errlen);
    if (!e)
        e = readable("--tls-key", key_file, err, errlen);
    if (e)
        return e;
    tls_ctx_t *c = ctx_alloc(TLS_server_method());
    if (!c) {
        openssl_reason(err, errlen, "out of memory");
        return ENOMEM;
    }
    char why[160];
    if (SSL_CTX_use_certificate_chain_file(c->ssl, cert_file) != 1) {
        openssl_reason(why, sizeof why, "no certificate in it");
        snprintf(err, errlen, "--tls-cert: '%s' holds no usable PEM certificate (%s)", cert_file,
                 why);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(c->ssl, key_file, SSL_FILETYPE_PEM) != 1) {
        openssl_reason(why, sizeof why, "no key in it");
        snprintf(err, errlen, "--tls-key: '%s' holds no usable PEM private key (%s)", key_file,
                 why);
        goto fail;
    }
    if (SSL_CTX_check_private_key(c->ssl) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "--tls-key: '%s' does not match the certificate in '%s'", key_file,
                 cert_file);
        goto fail;
    }
    SSL_CTX_set_alpn_select_cb(c->ssl, select_alpn, NULL);
    static const unsigned char sid_ctx[] = "tailgate-stub";
    SSL_CTX_set_session_id_context(c->ssl, sid_ctx, sizeof sid_ctx - 1);
    *out = c;
    return 0;
fail:
    tls_ctx_free(c);
    return EINVAL;
}

void tls_ctx_free(tls_ctx_t *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

static bool is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int tls_conn_client(tls_ctx_t *ctx, int fd, const char *host, tls_resume_t *resume,
                    tls_conn_t **out)
{
    SSL *ssl = SSL_new(ctx->ssl);
    if (!ssl || SSL_set_fd(ssl, fd) != 1)
        goto fail;
    SSL_set_connect_state(ssl);
    bool ip = is_ip_literal(host);
    /* RFC 6066: SNI carries names, never addresses. */
    if (!ip && SSL_set_tlsext_host_name(ssl, host) != 1)
        goto fail;
    if (ctx->verify) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if ((ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host) : SSL_set1_host(ssl, host)) != 1)
            goto fail;
    }
    if (resume) {
        SSL_set_app_data(ssl, resume);
        if (resume->session)
            SSL_set_session(ssl, resume->session);
    }
    *out = (tls_conn_t *)ssl;
    return 0;
fail:
    ERR_clear_error();
    SSL_free(ssl);
    return ENOMEM;
}

int tls_conn_server(tls_ctx_t *ctx, int fd, tls_conn_t **out)
{
    SSL *ssl = SSL_new(ctx->ssl);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        ERR_clear_error();
        SSL_free(ssl);
        return ENOMEM;
    }
    SSL_set_accept_state(ssl);
    *out = (tls_conn_t *)ssl;
    return 0;
}

void tls_conn_free(tls_conn_t *t, bool notify)
{
    if (!t)
        return;
    SSL *ssl = SSL_OF(t);
    if (notify && SSL_is_init_finished(ssl))
        SSL_shutdown(ssl); /* one record out; the answer is not awaited */
    /* Without this OpenSSL takes an unannounced close for a broken session
     * and marks it not resumable -- the very session the thread keeps. */
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    ERR_clear_error();
    SSL_free(ssl);
}

/* Verification failures in the words a person acts on. */
static void describe_verify(SSL *ssl, long v, char *err, size_t errlen)
{
    const char *why = X509_verify_cert_error_string(v);
    if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        const char *host = X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0);
        char *ip = host ? NULL : X509_VERIFY_PARAM_get1_ip_asc(SSL_get0_param(ssl));
        snprintf(err, errlen, "Hostname mismatch: the certificate is not valid for %s (%s)",
                 host ? host
                 : ip ? ip
                      : "the host",
                 why);
        OPENSSL_free(ip);
        return;
    }
    snprintf(err, errlen, "%s", why);
}

static tls_status_t io_status(SSL *ssl, int rc)
{
    switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        return TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_WANT_WRITE;
    default:
        return TLS_ERROR;
    }
}

/* What the library's words mean for the person running the test. */
static const char *handshake_hint(int reason)
{
    switch (reason) {
    case SSL_R_WRONG_VERSION_NUMBER: /* the first bytes back were no TLS record */
    case SSL_R_PACKET_LENGTH_TOO_LONG:
        return ": the server did not answer in TLS (plain HTTP on this port? use http://)";
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
        return ": no TLS version in common (tailgate speaks TLS 1.2 and 1.3)";
    default:
        return "";
    }
}

tls_status_t tls_handshake(tls_conn_t *t, char *err, size_t errlen)
{
    SSL *ssl = SSL_OF(t);
    int rc = SSL_do_handshake(ssl);
    if (rc == 1)
        return TLS_OK;
    int saved = errno;
    int kind = SSL_get_error(ssl, rc);
    tls_status_t s = io_status(ssl, rc);
    if (s != TLS_ERROR)
        return s;
    if (tls_verify_failed(t)) {
        describe_verify(ssl, SSL_get_verify_result(ssl), err, errlen);
        ERR_clear_error();
    } else if (kind == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0) {
        snprintf(err, errlen, "%s",
                 saved && saved != EAGAIN ? strerror(saved)
                                          : "the server closed the connection in the handshake");
    } else if (kind == SSL_ERROR_ZERO_RETURN) {
        snprintf(err, errlen, "the server closed the connection in the handshake");
        ERR_clear_error();
    } else {
        int reason = ERR_GET_REASON(ERR_peek_last_error());
        char why[120];
        openssl_reason(why, sizeof why, "handshake failed");
        snprintf(err, errlen, "%s%s", why, handshake_hint(reason));
    }
    return TLS_ERROR;
}

tls_status_t tls_handshake_wait(tls_conn_t *t, int fd, int timeout_ms, char *err, size_t errlen)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        tls_status_t s = tls_handshake(t, err, errlen);
        if (s == TLS_OK || s == TLS_ERROR)
            return s;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        struct pollfd p = {.fd = fd, .events = s == TLS_WANT_READ ? POLLIN : POLLOUT};
        int n = spent < timeout_ms ? poll(&p, 1, (int)(timeout_ms - spent)) : 0;
        if (n == 0) {
            snprintf(err, errlen, "no TLS handshake within %d ms", timeout_ms);
            return TLS_ERROR;
        }
        if (n < 0 && errno != EINTR) {
            snprintf(err, errlen, "%s", strerror(errno));
            return TLS_ERROR;
        }
    }
}

bool tls_verify_failed(const tls_conn_t *t)
{
    SSL *ssl = SSL_OF(t);
    return (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) && SSL_get_verify_result(ssl) != X509_V_OK;
}

bool tls_resumed(const tls_conn_t *t)
{
    return SSL_session_reused(SSL_OF(t)) == 1;
}

bool tls_alpn_h2(const tls_conn_t *t)
{
    const unsigned char *p = NULL;
    unsigned int n = 0;
    SSL_get0_alpn_selected(SSL_OF(t), &p, &n);
    return n == 2 && p[0] == 'h' && p[1] == '2';
}

tls_status_t tls_read(tls_conn_t *t, void *buf, size_t len, size_t *n)
{
    SSL *ssl = SSL_OF(t);
    int rc = SSL_read_ex(ssl, buf, len, n);
    if (rc == 1)
        return TLS_OK;
    *n = 0;
    int kind = SSL_get_error(ssl, rc);
    switch (kind) {
    case SSL_ERROR_WANT_READ:
        return TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return TLS_OK; /* *n == 0: the peer closed */
    default:
        ERR_clear_error();
        return TLS_ERROR;
    }
}

/* With SSL_OP_IGNORE_UNEXPECTED_EOF both ends look alike to SSL_read; only an
 * unannounced end makes the library read the socket's EOF (a close_notify is
 * the last record it reads). */
bool tls_closed_cleanly(const tls_conn_t *t)
{
    return BIO_eof(SSL_get_rbio(SSL_OF(t))) == 0;
}

tls_status_t tls_write(tls_conn_t *t, const void *buf, size_t len, size_t *n)
{
    SSL *ssl = SSL_OF(t);
    int rc = SSL_write_ex(ssl, buf, len, n);
    if (rc == 1)
        return TLS_OK;
    *n = 0;
    tls_status_t s = io_status(ssl, rc);
    if (s == TLS_ERROR)
        ERR_clear_error();
    return s;
}

void tls_resume_clear(tls_resume_t *r)
{
    if (r && r->session) {
        SSL_SESSION_free(r->session);
        r->session = NULL;
    }
}

ssize_t tls_send_like(tls_conn_t *t, const void *buf, size_t len)
{
    size_t n;
    tls_status_t s = tls_write(t, buf, len, &n);
    if (s == TLS_OK)
        return (ssize_t)n;
    errno = s == TLS_ERROR ? ECONNRESET : EAGAIN;
    return -1;
}

ssize_t tls_recv_like(tls_conn_t *t, void *buf, size_t len)
{
    size_t n;
    tls_status_t s = tls_read(t, buf, len, &n);
    if (s == TLS_OK)
        return (ssize_t)n;
    errno = s == TLS_ERROR ? ECONNRESET : EAGAIN;
    return -1;
}
