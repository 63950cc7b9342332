/* libFuzzer target: http_parse_request. Beyond "no crash, no over-read" it
 * checks the incremental contract: a message that parses to N bytes parses to
 * the same N from buf[0..N), is incomplete at N-1, and every pointer lies
 * inside the input. A chunked body that follows is run through the decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "fuzz.h"

#define MAX_HEADERS 32
#define MAX_BYTES 4096

static void check_span(const uint8_t *data, size_t n, const char *p, size_t len)
{
    CHECK(len <= n);
    CHECK((const uint8_t *)p >= data && (const uint8_t *)p + len <= data + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    http_header_t headers[MAX_HEADERS], again_headers[MAX_HEADERS];
    http_request_t req, again;
    int r = http_parse_request(buf, size, &req, headers, MAX_HEADERS, MAX_BYTES);
    CHECK(r == HTTP_INVALID || r == HTTP_INCOMPLETE || r == HTTP_TOO_LARGE || r > 0);
    if (r == HTTP_INCOMPLETE)
        CHECK(size < MAX_BYTES);
    if (r <= 0)
        return 0;
    size_t n = (size_t)r;
    CHECK(n <= size && n <= MAX_BYTES);
    CHECK(req.num_headers <= MAX_HEADERS);
    CHECK(req.minor_version == 0 || req.minor_version == 1);
    CHECK(req.method_len > 0 && req.target_len > 0);
    check_span(data, n, req.method, req.method_len);
    check_span(data, n, req.target, req.target_len);
    for (size_t i = 0; i < req.num_headers; i++) {
        CHECK(headers[i].name_len > 0);
        check_span(data, n, headers[i].name, headers[i].name_len);
        check_span(data, n, headers[i].value, headers[i].value_len);
    }
    if (req.body != HTTP_BODY_LENGTH)
        CHECK(req.content_length == 0);
    CHECK(req.body != HTTP_BODY_CLOSE);

    /* Same answer from exactly the header section; incomplete one byte short. */
    CHECK(http_parse_request(buf, n, &again, again_headers, MAX_HEADERS, MAX_BYTES) == r);
    CHECK(again.num_headers == req.num_headers && again.body == req.body &&
          again.keep_alive == req.keep_alive && again.content_length == req.content_length &&
          again.expect_continue == req.expect_continue);
    CHECK(http_parse_request(buf, n - 1, &again, again_headers, MAX_HEADERS, MAX_BYTES) ==
          HTTP_INCOMPLETE);

    if (req.body == HTTP_BODY_CHUNKED && size > n) {
        size_t len = size - n;
        char *copy = malloc(len);
        memcpy(copy, buf + n, len);
        http_chunked_t dec;
        http_chunked_init(&dec);
        size_t out = len;
        ssize_t rest = http_chunked_decode(&dec, copy, &out);
        CHECK(out <= len && dec.body_len == out);
        if (rest >= 0)
            CHECK(out + (size_t)rest <= len);
        free(copy);
    }
    return 0;
}
