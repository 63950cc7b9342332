/* libFuzzer target: core/h1resp, the response framer. Byte 0 chooses the
 * options, byte 1 a stride; the rest is what the server sent. The response is
 * framed three ways -- whole, in pieces of `stride` bytes, byte by byte -- and
 * every way must agree on the outcome, status and body. Each feed works on a
 * buffer of exactly the bytes held (ASan sees any read past it).
 *   bit 0     HEAD request
 *   bits 1-2  body: kept / dropped / hook consumes all / hook consumes whole lines
 *   bit 3     keep the body and hook it too: the hook must see the kept body */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/h1resp.h"
#include "fuzz.h"

#define MAX_HEAD 2048
#define MAX_BODY (1u << 20) /* above any input: the body limit must not depend on the split */

enum { TAKE_KEEP, TAKE_DROP, TAKE_ALL, TAKE_LINES };

struct hook_state {
    char *seen; /* consumed bytes, in order */
    size_t seen_len;
    int end_calls;
    bool lines;
};

static size_t hook(void *arg, const char *data, size_t len, bool end)
{
    struct hook_state *h = arg;
    CHECK(h->end_calls == 0);
    size_t use = len;
    if (h->lines && !end)
        while (use > 0 && data[use - 1] != '\n')
            use--;
    memcpy(h->seen + h->seen_len, data, use);
    h->seen_len += use;
    h->end_calls += end;
    return use;
}

struct outcome {
    int result; /* 0, HTTP_INVALID, HTTP_TOO_LARGE, or 1/2 (done/short at EOF) */
    int status;
    uint64_t body_len;
    char *body; /* kept, or what the hook consumed */
    size_t body_got;
    bool keep_alive, fed_all;
};

static void frame(const char *data, size_t len, size_t stride, unsigned opts, struct outcome *o)
{
    unsigned take = (opts >> 1) & 3;
    bool both = opts & 8;
    bool keep = take == TAKE_KEEP || both;
    bool hooked = take == TAKE_ALL || take == TAKE_LINES || both;
    struct hook_state h = {.seen = malloc(len + 1), .lines = take == TAKE_LINES};
    h1resp_t r;
    h1resp_init(&r, opts & 1, keep, MAX_HEAD, MAX_BODY, hooked ? hook : NULL, &h);
    char *acc = malloc(len + 1);
    size_t acc_len = 0, from = 0;
    int res = HTTP_INCOMPLETE;
    memset(o, 0, sizeof(*o));
    while (res == HTTP_INCOMPLETE && (from < len || from == 0)) {
        size_t to = from + stride < len ? from + stride : len;
        size_t n = acc_len + (to - from);
        char *piece = malloc(n + 1); /* exact size */
        memcpy(piece, acc, acc_len);
        memcpy(piece + acc_len, data + from, to - from);
        res = h1resp_feed(&r, piece, &n);
        CHECK(n <= acc_len + (to - from));
        CHECK(res == 0 || res == HTTP_INCOMPLETE || res == HTTP_INVALID || res == HTTP_TOO_LARGE);
        memcpy(acc, piece, n);
        acc_len = n;
        free(piece);
        from = to;
        o->fed_all = to == len;
        if (r.have_head && (res == 0 || res == HTTP_INCOMPLETE)) {
            CHECK(r.head_len <= acc_len);
            if (keep)
                CHECK(acc_len == r.head_len + r.body_len);
            else if (!hooked)
                CHECK(acc_len == r.head_len);
        }
        if (len == 0)
            break;
    }
    if (res == HTTP_INCOMPLETE) {
        int e = h1resp_eof(&r, acc, &acc_len);
        CHECK(e == 0 || e == HTTP_INCOMPLETE);
        res = e == 0 ? 1 : 2;
        if (e == 0)
            CHECK(r.body_kind == HTTP_BODY_CLOSE && !r.keep_alive);
    }
    bool done = res == 0 || res == 1;
    o->result = res;
    if (done) {
        CHECK(r.status >= 200 && r.status <= 999);
        if (r.body_kind == HTTP_BODY_CLOSE)
            CHECK(!r.keep_alive);
        if (r.head_request)
            CHECK(r.body_len == 0);
        o->status = r.status;
        o->body_len = r.body_len;
        o->keep_alive = r.keep_alive;
        if (keep) {
            o->body = malloc(r.body_len + 1);
            memcpy(o->body, acc + r.head_len, (size_t)r.body_len);
            o->body_got = (size_t)r.body_len;
        }
        if (hooked) {
            CHECK(h.end_calls == 1);
            CHECK(h.seen_len == r.body_len);
            if (keep)
                CHECK(memcmp(h.seen, o->body, h.seen_len) == 0);
        }
        if (hooked && !keep) {
            o->body = h.seen;
            o->body_got = h.seen_len;
            h.seen = NULL;
        }
    } else {
        CHECK(h.end_calls == 0);
    }
    free(h.seen);
    free(acc);
}

static void same(const struct outcome *a, const struct outcome *b)
{
    CHECK(a->result == b->result);
    if (a->result != 0 && a->result != 1)
        return;
    CHECK(a->status == b->status && a->body_len == b->body_len && a->body_got == b->body_got);
    CHECK(a->body_got == 0 || memcmp(a->body, b->body, a->body_got) == 0);
    if (a->fed_all && b->fed_all)
        CHECK(a->keep_alive == b->keep_alive);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned opts = data[0];
    size_t stride = (size_t)data[1] + 1;
    const char *buf = (const char *)data + 2;
    size_t len = size - 2;
    struct outcome whole, split, bytewise;
    frame(buf, len, len ? len : 1, opts, &whole);
    frame(buf, len, stride, opts, &split);
    frame(buf, len, 1, opts, &bytewise);
    same(&whole, &split);
    same(&whole, &bytewise);
    free(whole.body);
    free(split.body);
    free(bytewise.body);
    return 0;
}
