/* http — incremental, zero-copy HTTP/1.1 message parsing (RFC 9112).
 *
 * Parsers keep no hidden state: call again with the whole buffer received so
 * far. Names and values point into the caller's buffer, which must outlive the
 * parsed struct. Return convention for every parser here:
 *   > 0  bytes consumed (the header section, up to and including CRLF CRLF)
 *   HTTP_INCOMPLETE (-2)  need more bytes
 *   HTTP_INVALID    (-1)  malformed: answer 400 / count as a protocol error
 *   HTTP_TOO_LARGE  (-3)  too many headers, or the header section is longer
 *                         than the caller's limit (answer 431)
 * Framing headers are interpreted for the caller (content_length, chunked,
 * keep_alive) so nobody scans headers twice.
 * Lenient like picohttpparser: a bare LF ends a line as CRLF does, and empty
 * lines before a request line are skipped (http.c lists every choice). */
#ifndef TAILGATE_CORE_HTTP_H
#define TAILGATE_CORE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_INVALID (-1)
#define HTTP_INCOMPLETE (-2)
#define HTTP_TOO_LARGE (-3)

typedef struct {
    const char *name;
    size_t name_len;
    const char *value; /* leading and trailing whitespace removed */
    size_t value_len;
} http_header_t;

/* How the body after the header section is delimited. */
typedef enum {
    HTTP_BODY_NONE,    /* no body (requests without framing, 1xx/204/304, HEAD) */
    HTTP_BODY_LENGTH,  /* content_length bytes */
    HTTP_BODY_CHUNKED, /* chunked transfer coding: use http_chunked_decode */
    HTTP_BODY_CLOSE,   /* response read until the server closes */
} http_body_t;

typedef struct {
    const char *method;
    size_t method_len;
    const char *target;
    size_t target_len;
    int minor_version;      /* 0 or 1 */
    http_header_t *headers; /* caller's array */
    size_t num_headers;     /* out: headers parsed */
    http_body_t body;
    uint64_t content_length; /* valid when body == HTTP_BODY_LENGTH */
    bool keep_alive;         /* HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive */
    bool expect_continue;    /* "Expect: 100-continue" */
} http_request_t;

typedef struct {
    int minor_version;
    int status; /* 100..999 */
    const char *reason;
    size_t reason_len;
    http_header_t *headers;
    size_t num_headers;
    http_body_t body;
    uint64_t content_length;
    bool keep_alive; /* false: the server will close after this response */
} http_response_t;

/* Parses a request header section from buf[0..len).
 * headers/max_headers: the caller's array; more headers -> HTTP_TOO_LARGE.
 * max_bytes: a header section longer than this -> HTTP_TOO_LARGE (even when
 * still incomplete). Conflicting framing (both Transfer-Encoding and
 * Content-Length, several different Content-Lengths, a transfer coding other
 * than chunked) -> HTTP_INVALID, as RFC 9112 §6.3 asks of a server. */
int http_parse_request(const char *buf, size_t len, http_request_t *req, http_header_t *headers,
                       size_t max_headers, size_t max_bytes);

/* Parses a response header section. head_request: the request was HEAD (no
 * body whatever the headers say). Status 1xx/204/304 have no body; a response
 * with neither Content-Length nor chunked is close-delimited. For responses,
 * Transfer-Encoding: chunked wins over Content-Length (RFC 9112 §6.3). */
int http_parse_response(const char *buf, size_t len, http_response_t *res, http_header_t *headers,
                        size_t max_headers, size_t max_bytes, bool head_request);

/* Chunked body decoder: an explicit state machine, decoding in place. */
typedef struct {
    int state;           /* private */
    uint64_t chunk_left; /* data of the current chunk still to come; while its size
                            line is read, a lower bound (callers may check it against
                            a body limit) */
    unsigned hex_digits; /* private */
    uint64_t body_len;   /* out: decoded body bytes so far */
} http_chunked_t;

void http_chunked_init(http_chunked_t *dec);
/* Decodes buf[0..*len) in place: on return buf[0..*len) holds the decoded data
 * of this call (append it to what earlier calls produced). Returns
 *   >= 0  the message is complete; the value is how many bytes after the final
 *         CRLF were not consumed (they start the next message, at buf + *len)
 *   HTTP_INCOMPLETE  all input used, more needed
 *   HTTP_INVALID     broken framing */
ssize_t http_chunked_decode(http_chunked_t *dec, char *buf, size_t *len);

/* Case-insensitive header lookup; NULL when absent. */
const http_header_t *http_find_header(const http_header_t *headers, size_t n, const char *name);

/* Standard reason phrase for a status ("OK", "Not Found"...), "Unknown" otherwise. */
const char *http_reason(int status);

#endif
