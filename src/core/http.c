/* http — incremental, zero-copy HTTP/1.1 parsing (RFC 9112).
 *
 * Modelled on picohttpparser: every call parses the whole buffer from the
 * start, one pass, no allocation, no hidden state; names and values point into
 * the caller's buffer. Each byte is read only after checking it lies before
 * `end`, so a message placed right before an unmapped page is safe.
 *
 * Leniency (deliberate, documented here so nobody has to guess):
 *   - a bare LF ends a line as well as CRLF (like picohttpparser and most
 *     servers); a CR must always be followed by LF;
 *   - empty lines before a request line are skipped (RFC 9112 §2.2);
 *   - a status line may omit the SP before an empty reason ("HTTP/1.1 200\r\n");
 *   - the request-target may hold obs-text bytes (>= 0x80), never CTLs or SP.
 * Strict: one SP between request-line parts, only HTTP/1.0 and HTTP/1.1,
 * header names are tokens immediately followed by ':', obs-fold is rejected,
 * CTLs (other than HTAB) and DEL in values are rejected. */
#include "core/http.h"

#include <assert.h>
#include <string.h>

/* Character classes, one table lookup per byte on the hot path. */
enum {
    CT_TOKEN = 1,  /* tchar (RFC 9110 §5.6.2) */
    CT_FIELD = 2,  /* field-vchar, SP, HTAB: allowed inside a field value or reason */
    CT_TARGET = 4, /* allowed in a request-target */
};
#define TOK (CT_TOKEN | CT_FIELD | CT_TARGET)
#define VCH (CT_FIELD | CT_TARGET)

static const unsigned char ctype[256] = {
    ['\t'] = CT_FIELD,   [' '] = CT_FIELD, ['!'] = TOK,           ['"'] = VCH,  ['#'] = TOK,
    ['$'] = TOK,         ['%'] = TOK,      ['&'] = TOK,           ['\''] = TOK, ['('] = VCH,
    [')'] = VCH,         ['*'] = TOK,      ['+'] = TOK,           [','] = VCH,  ['-'] = TOK,
    ['.'] = TOK,         ['/'] = VCH,      ['0' ... '9'] = TOK,   [':'] = VCH,  [';'] = VCH,
    ['<'] = VCH,         ['='] = VCH,      ['>'] = VCH,           ['?'] = VCH,  ['@'] = VCH,
    ['A' ... 'Z'] = TOK, ['['] = VCH,      ['\\'] = VCH,          [']'] = VCH,  ['^'] = TOK,
    ['_'] = TOK,         ['`'] = TOK,      ['a' ... 'z'] = TOK,   ['{'] = VCH,  ['|'] = TOK,
    ['}'] = VCH,         ['~'] = TOK,      [0x80 ... 0xff] = VCH,
};
#undef TOK
#undef VCH

static inline int ctype_of(const char *p)
{
    return ctype[(unsigned char)*p];
}

static inline int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* s[0..n) equals the lowercase literal lit, ignoring case. */
static bool eq_ci(const char *s, size_t n, const char *lit, size_t lit_len)
{
    if (n != lit_len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != lit[i])
            return false;
    return true;
}
#define EQ_LIT(s, n, lit) eq_ci((s), (n), lit, sizeof(lit) - 1)

/* Consumes CRLF or a bare LF. */
static int parse_eol(const char **pp, const char *end)
{
    const char *p = *pp;
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p == '\r') {
        if (++p == end)
            return HTTP_INCOMPLETE;
        if (*p != '\n')
            return HTTP_INVALID;
    } else if (*p != '\n') {
        return HTTP_INVALID;
    }
    *pp = p + 1;
    return 0;
}

/* Consumes "HTTP/1.0" or "HTTP/1.1". A mismatch is reported as soon as it is
 * seen, so "HTTP/2" fails before the buffer is complete. */
static int parse_version(const char **pp, const char *end, int *minor)
{
    static const char proto[] = "HTTP/1.";
    const char *p = *pp;
    for (size_t i = 0; i < sizeof(proto) - 1; i++, p++) {
        if (p == end)
            return HTTP_INCOMPLETE;
        if (*p != proto[i])
            return HTTP_INVALID;
    }
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p != '0' && *p != '1')
        return HTTP_INVALID;
    *minor = *p - '0';
    *pp = p + 1;
    return 0;
}

/* Header lines up to and including the empty line that ends the section. */
static int parse_headers(const char **pp, const char *end, http_header_t *headers,
                         size_t max_headers, size_t *num_headers)
{
    const char *p = *pp;
    size_t n = 0;
    int r;
    for (;;) {
        if (p == end)
            return HTTP_INCOMPLETE;
        if (*p == '\r' || *p == '\n') {
            if ((r = parse_eol(&p, end)) != 0)
                return r;
            break;
        }
        /* A line starting with SP/HTAB is obs-fold (or whitespace after the
         * start line): both rejected, RFC 9112 §5.2 and §2.2. */
        if (!(ctype_of(p) & CT_TOKEN))
            return HTTP_INVALID;
        if (n == max_headers)
            return HTTP_TOO_LARGE;
        const char *name = p;
        while (p < end && (ctype_of(p) & CT_TOKEN))
            p++;
        if (p == end)
            return HTTP_INCOMPLETE;
        if (*p != ':') /* includes whitespace before the colon, §5.1 */
            return HTTP_INVALID;
        size_t name_len = (size_t)(p - name);
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *value = p;
        while (p < end && (ctype_of(p) & CT_FIELD))
            p++;
        const char *value_end = p;
        if ((r = parse_eol(&p, end)) != 0) /* a CTL or DEL inside the value fails here */
            return r;
        while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
            value_end--;
        headers[n].name = name;
        headers[n].name_len = name_len;
        headers[n].value = value;
        headers[n].value_len = (size_t)(value_end - value);
        n++;
    }
    *num_headers = n;
    *pp = p;
    return 0;
}

/* Next element of a comma-separated list (RFC 9110 §5.6.1), OWS trimmed,
 * empty elements skipped. False when the list is exhausted. */
static bool list_next(const char **pp, const char *end, const char **elem, size_t *elem_len)
{
    const char *p = *pp;
    while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
        p++;
    if (p == end)
        return false;
    const char *start = p;
    while (p < end && *p != ',')
        p++;
    const char *stop = p;
    while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
        stop--;
    *elem = start;
    *elem_len = (size_t)(stop - start);
    *pp = p;
    return true;
}

/* What the framing-related headers said, gathered in one pass. */
struct framing {
    bool cl_seen;
    uint64_t cl;
    bool te_seen;
    bool te_last_chunked; /* the final transfer coding is chunked */
    unsigned te_chunked;  /* times chunked was listed */
    bool te_other;        /* a coding other than chunked was listed */
    bool conn_close;
    bool conn_keep_alive;
    bool expect_continue;
};

/* Content-Length: 1*DIGIT, or a list of identical values (§6.3 item 5 lets a
 * recipient accept "42, 42"). Different values, also across several lines,
 * are invalid. */
static int read_content_length(struct framing *f, const http_header_t *h)
{
    const char *p = h->value, *end = h->value + h->value_len, *e;
    size_t elen;
    bool any = false;
    while (list_next(&p, end, &e, &elen)) {
        uint64_t v = 0;
        if (elen == 0)
            return HTTP_INVALID;
        for (size_t i = 0; i < elen; i++) {
            unsigned d = (unsigned char)e[i] - '0';
            if (d > 9)
                return HTTP_INVALID;
            if (v > (UINT64_MAX - d) / 10)
                return HTTP_INVALID;
            v = v * 10 + d;
        }
        if (f->cl_seen && f->cl != v)
            return HTTP_INVALID;
        f->cl_seen = true;
        f->cl = v;
        any = true;
    }
    return any ? 0 : HTTP_INVALID;
}

static void read_transfer_encoding(struct framing *f, const http_header_t *h)
{
    const char *p = h->value, *end = h->value + h->value_len, *e;
    size_t elen;
    f->te_seen = true;
    while (list_next(&p, end, &e, &elen)) {
        bool chunked = EQ_LIT(e, elen, "chunked");
        f->te_chunked += chunked;
        f->te_other |= !chunked;
        f->te_last_chunked = chunked;
    }
}

static void read_connection(struct framing *f, const http_header_t *h)
{
    const char *p = h->value, *end = h->value + h->value_len, *e;
    size_t elen;
    while (list_next(&p, end, &e, &elen)) {
        if (EQ_LIT(e, elen, "close"))
            f->conn_close = true;
        else if (EQ_LIT(e, elen, "keep-alive"))
            f->conn_keep_alive = true;
    }
}

static int read_framing(struct framing *f, const http_header_t *headers, size_t n)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < n; i++) {
        const http_header_t *h = &headers[i];
        switch (h->name_len) {
        case 6:
            if (EQ_LIT(h->name, 6, "expect") && EQ_LIT(h->value, h->value_len, "100-continue"))
                f->expect_continue = true;
            break;
        case 10:
            if (EQ_LIT(h->name, 10, "connection"))
                read_connection(f, h);
            break;
        case 14:
            if (EQ_LIT(h->name, 14, "content-length") && read_content_length(f, h) != 0)
                return HTTP_INVALID;
            break;
        case 17:
            if (EQ_LIT(h->name, 17, "transfer-encoding"))
                read_transfer_encoding(f, h);
            break;
        default:
            break;
        }
    }
    if (f->te_chunked > 1) /* chunked must not be applied twice, RFC 9112 §6.1 */
        return HTTP_INVALID;
    return 0;
}

static bool keep_alive_of(const struct framing *f, int minor_version)
{
    /* RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty
     * framing; process it but close the connection afterwards. */
    if (f->conn_close || (minor_version == 0 && f->te_seen))
        return false;
    return minor_version >= 1 || f->conn_keep_alive;
}

static int parse_request(const char *buf, const char *end, http_request_t *req,
                         http_header_t *headers, size_t max_headers)
{
    const char *p = buf;
    int r;

    /* RFC 9112 §2.2: a server SHOULD ignore empty lines before the request line. */
    while (p < end && (*p == '\r' || *p == '\n'))
        if ((r = parse_eol(&p, end)) != 0)
            return r;

    req->method = p;
    while (p < end && (ctype_of(p) & CT_TOKEN))
        p++;
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p != ' ' || p == req->method)
        return HTTP_INVALID;
    req->method_len = (size_t)(p - req->method);
    req->target = ++p;
    while (p < end && (ctype_of(p) & CT_TARGET))
        p++;
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p != ' ' || p == req->target)
        return HTTP_INVALID;
    req->target_len = (size_t)(p - req->target);
    p++;
    if ((r = parse_version(&p, end, &req->minor_version)) != 0)
        return r;
    if ((r = parse_eol(&p, end)) != 0)
        return r;
    req->headers = headers;
    if ((r = parse_headers(&p, end, headers, max_headers, &req->num_headers)) != 0)
        return r;

    struct framing f;
    if (read_framing(&f, headers, req->num_headers) != 0)
        return HTTP_INVALID;
    /* RFC 9112 §6.3: a request with both is a smuggling attempt; a coding
     * other than chunked ("gzip, chunked") is one we cannot undo, and chunked
     * not last leaves no way to find the end. */
    if (f.te_seen) {
        if (f.cl_seen || f.te_other || !f.te_last_chunked)
            return HTTP_INVALID;
        req->body = HTTP_BODY_CHUNKED;
        req->content_length = 0;
    } else if (f.cl_seen) {
        req->body = HTTP_BODY_LENGTH;
        req->content_length = f.cl;
    } else {
        req->body = HTTP_BODY_NONE;
        req->content_length = 0;
    }
    req->keep_alive = keep_alive_of(&f, req->minor_version);
    /* RFC 9110 §10.1.1: ignore 100-continue from an HTTP/1.0 client. */
    req->expect_continue = f.expect_continue && req->minor_version >= 1;
    return (int)(p - buf);
}

/* Runs a parser on at most max_bytes; an unfinished header section that
 * already fills max_bytes is too large, whatever follows. */
static int clamp_len(size_t len, size_t max_bytes, const char **end, const char *buf)
{
    size_t n = len < max_bytes ? len : max_bytes;
    *end = buf + n;
    return len >= max_bytes;
}

int http_parse_request(const char *buf, size_t len, http_request_t *req, http_header_t *headers,
                       size_t max_headers, size_t max_bytes)
{
    const char *end;
    bool full = clamp_len(len, max_bytes, &end, buf);
    int r = parse_request(buf, end, req, headers, max_headers);
    if (r == HTTP_INCOMPLETE && full)
        return HTTP_TOO_LARGE;
    return r;
}

static int parse_response(const char *buf, const char *end, http_response_t *res,
                          http_header_t *headers, size_t max_headers, bool head_request)
{
    const char *p = buf;
    int r;
    if ((r = parse_version(&p, end, &res->minor_version)) != 0)
        return r;
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p++ != ' ')
        return HTTP_INVALID;
    int status = 0;
    for (int i = 0; i < 3; i++, p++) {
        if (p == end)
            return HTTP_INCOMPLETE;
        unsigned d = (unsigned char)*p - '0';
        if (d > 9 || (i == 0 && d == 0))
            return HTTP_INVALID;
        status = status * 10 + (int)d;
    }
    res->status = status;
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p == ' ') {
        p++;
        res->reason = p;
        while (p < end && (ctype_of(p) & CT_FIELD))
            p++;
        res->reason_len = (size_t)(p - res->reason);
    } else {
        res->reason = p;
        res->reason_len = 0;
    }
    if ((r = parse_eol(&p, end)) != 0)
        return r;
    res->headers = headers;
    if ((r = parse_headers(&p, end, headers, max_headers, &res->num_headers)) != 0)
        return r;

    struct framing f;
    if (read_framing(&f, headers, res->num_headers) != 0)
        return HTTP_INVALID;
    res->content_length = 0;
    if (head_request || (status >= 100 && status < 200) || status == 204 || status == 304) {
        res->body = HTTP_BODY_NONE;
    } else if (f.te_seen) {
        /* §6.3 items 3 and 4: chunked last wins over Content-Length; any
         * other final coding means "read until close". */
        res->body = f.te_last_chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_CLOSE;
    } else if (f.cl_seen) {
        res->body = HTTP_BODY_LENGTH;
        res->content_length = f.cl;
    } else {
        res->body = HTTP_BODY_CLOSE;
    }
    /* Both framings at once hints at response splitting (§6.3 item 3): the
     * message is read by Transfer-Encoding, the connection not trusted again. */
    res->keep_alive = res->body != HTTP_BODY_CLOSE && !(f.te_seen && f.cl_seen) &&
                      keep_alive_of(&f, res->minor_version);
    return (int)(p - buf);
}

int http_parse_response(const char *buf, size_t len, http_response_t *res, http_header_t *headers,
                        size_t max_headers, size_t max_bytes, bool head_request)
{
    const char *end;
    bool full = clamp_len(len, max_bytes, &end, buf);
    int r = parse_response(buf, end, res, headers, max_headers, head_request);
    if (r == HTTP_INCOMPLETE && full)
        return HTTP_TOO_LARGE;
    return r;
}

/* ---- chunked transfer coding (RFC 9112 §7.1) ---- */

enum {
    CH_SIZE,         /* hex digits of chunk-size */
    CH_EXT,          /* chunk extensions: ignored up to the end of the line */
    CH_SIZE_LF,      /* LF after the CR of a size line */
    CH_DATA,         /* chunk_left bytes of data */
    CH_DATA_CR,      /* CRLF after chunk data */
    CH_DATA_LF,      /* LF after that CR */
    CH_TRAILER,      /* start of a trailer line (or the final empty line) */
    CH_TRAILER_SKIP, /* inside a trailer line: skipped */
    CH_END_LF,       /* LF of the final empty line */
    CH_DONE,
};

void http_chunked_init(http_chunked_t *dec)
{
    memset(dec, 0, sizeof(*dec));
    dec->state = CH_SIZE;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* After the size line: a zero size is the last chunk, trailers follow. */
static void chunk_size_done(http_chunked_t *dec)
{
    dec->state = dec->chunk_left == 0 ? CH_TRAILER : CH_DATA;
}

ssize_t http_chunked_decode(http_chunked_t *dec, char *buf, size_t *len)
{
    size_t src = 0, dst = 0, n = *len;
    while (dec->state != CH_DONE) {
        if (src == n) {
            *len = dst;
            return HTTP_INCOMPLETE;
        }
        char c = buf[src];
        switch (dec->state) {
        case CH_SIZE: {
            int v = hex_value(c);
            if (v >= 0) {
                if (dec->chunk_left > (UINT64_MAX >> 4))
                    goto invalid;
                dec->chunk_left = (dec->chunk_left << 4) | (uint64_t)v;
                dec->hex_digits++;
                src++;
                break;
            }
            if (dec->hex_digits == 0)
                goto invalid;
            if (c == ';' || c == ' ' || c == '\t')
                dec->state = CH_EXT;
            else if (c == '\r')
                dec->state = CH_SIZE_LF;
            else if (c == '\n')
                chunk_size_done(dec);
            else
                goto invalid;
            src++;
            break;
        }
        case CH_EXT:
            if (c == '\r')
                dec->state = CH_SIZE_LF;
            else if (c == '\n')
                chunk_size_done(dec);
            src++;
            break;
        case CH_SIZE_LF:
            if (c != '\n')
                goto invalid;
            chunk_size_done(dec);
            src++;
            break;
        case CH_DATA: {
            size_t take = n - src;
            if (take > dec->chunk_left)
                take = (size_t)dec->chunk_left;
            memmove(buf + dst, buf + src, take);
            src += take;
            dst += take;
            dec->chunk_left -= take;
            dec->body_len += take;
            if (dec->chunk_left == 0)
                dec->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (c == '\r')
                dec->state = CH_DATA_LF;
            else if (c == '\n')
                goto next_chunk;
            else
                goto invalid;
            src++;
            break;
        case CH_DATA_LF:
            if (c != '\n')
                goto invalid;
        next_chunk:
            dec->state = CH_SIZE;
            dec->hex_digits = 0;
            dec->chunk_left = 0;
            src++;
            break;
        case CH_TRAILER:
            if (c == '\r')
                dec->state = CH_END_LF;
            else if (c == '\n')
                dec->state = CH_DONE;
            else
                dec->state = CH_TRAILER_SKIP;
            src++;
            break;
        case CH_TRAILER_SKIP:
            if (c == '\n')
                dec->state = CH_TRAILER;
            src++;
            break;
        case CH_END_LF:
            if (c != '\n')
                goto invalid;
            dec->state = CH_DONE;
            src++;
            break;
        default:
            assert(!"http_chunked_decode: bad state");
            goto invalid;
        }
    }
    /* Complete: move what follows the message right after the decoded data. */
    memmove(buf + dst, buf + src, n - src);
    *len = dst;
    return (ssize_t)(n - src);
invalid:
    *len = dst;
    return HTTP_INVALID;
}

const http_header_t *http_find_header(const http_header_t *headers, size_t n, const char *name)
{
    size_t name_len = strlen(name);
    for (size_t i = 0; i < n; i++) {
        if (headers[i].name_len != name_len)
            continue;
        size_t j = 0;
        while (j < name_len &&
               lower((unsigned char)headers[i].name[j]) == lower((unsigned char)name[j]))
            j++;
        if (j == name_len)
            return &headers[i];
    }
    return NULL;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 203:
        return "Non-Authoritative Information";
    case 204:
        return "No Content";
    case 205:
        return "Reset Content";
    case 206:
        return "Partial Content";
    case 300:
        return "Multiple Choices";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 421:
        return "Misdirected Request";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
