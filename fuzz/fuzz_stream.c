/* libFuzzer target: the answer side of a streamed request (load/stream)
 * against itself: the body fed whole and fed in pieces, as the body hook
 * feeds it (unconsumed bytes offered again with the next piece), must say the
 * same -- token events, tokens, the estimate, the status, whether it ended
 * inside an event, whether it was cut short -- when every piece arrives at
 * the same time. Byte 0 chooses the event limit (64..64+255*16 bytes), byte
 * 1 the piece size (1..256), byte 2 the HTTP status (200, or 503 when odd);
 * the rest is the body. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "load/stream.h"

typedef struct {
    tokens_result_t r;
    stream_status_t status;
    bool unfinished;
    bool cut_short, cut_short_api;
    uint64_t gaps;
} outcome_t;

static void run(const uint8_t *body, size_t len, size_t cap, size_t piece, int status, outcome_t *o)
{
    stream_t *s;
    hist_t *itl;
    CHECK(stream_new(cap, &s) == 0);
    CHECK(hist_new_latency(&itl) == 0);
    stream_begin(s, 1000);
    char *held = malloc(len + 1);
    CHECK(held);
    size_t n = 0;
    for (size_t off = 0;;) {
        size_t k = len - off < piece ? len - off : piece;
        memcpy(held + n, body + off, k);
        n += k;
        off += k;
        bool end = off == len;
        /* an exact-size copy, so ASan sees a read past what was offered */
        char *offer = malloc(n ? n : 1);
        CHECK(offer);
        memcpy(offer, held, n);
        size_t used = stream_feed(s, status, offer, n, end, 5000, itl);
        free(offer);
        CHECK(used <= n);
        memmove(held, held + used, n - used);
        n -= used;
        if (end)
            break;
    }
    CHECK(n == 0); /* a complete body leaves nothing held */
    free(held);
    stream_end(s, 2000, 6000, &o->r);
    o->status = s->status;
    o->unfinished = s->unfinished;
    o->cut_short = stream_cut_short(s, false);
    o->cut_short_api = stream_cut_short(s, true);
    /* an API named judges more answers, never fewer; a token event makes
     * the shape known, so then it changes nothing; a failed one is not cut */
    CHECK(!o->cut_short || o->cut_short_api);
    CHECK(o->r.chunks == 0 || o->cut_short == o->cut_short_api);
    CHECK(!o->cut_short_api || s->status == STREAM_OK);
    o->gaps = hist_count(itl);
    CHECK(o->r.chunks == 0 || o->r.has_first);
    CHECK(o->gaps == (o->r.chunks ? o->r.chunks - 1 : 0));
    CHECK(o->r.estimated ? o->r.n_out == o->r.chunks : true);
    CHECK(status == 200 || o->r.chunks == 0);
    hist_free(itl);
    stream_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t cap = 64 + (size_t)data[0] * 16, piece = (size_t)data[1] + 1;
    int status = data[2] & 1 ? 503 : 200;
    outcome_t whole, pieces;
    run(data + 3, size - 3, cap, size, status, &whole);
    run(data + 3, size - 3, cap, piece, status, &pieces);
    CHECK(whole.r.chunks == pieces.r.chunks && whole.r.n_out == pieces.r.n_out);
    CHECK(whole.r.estimated == pieces.r.estimated && whole.status == pieces.status);
    CHECK(whole.unfinished == pieces.unfinished);
    CHECK(whole.cut_short == pieces.cut_short && whole.cut_short_api == pieces.cut_short_api);
    return 0;
}
