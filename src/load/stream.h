/* stream — the answer side of one streamed request (--stream): the body as
 * the connection frames it (core/h1resp's body hook) parsed as Server-Sent
 * Events (core/sse), each event classified (load/llmevent), the
 * token-bearing ones timed (stats/tokens).
 *
 * One stream_t per connection, allocated once with its SSE buffer (the
 * largest event it can gather; STREAM_DEFAULT_CAP), reset per request;
 * nothing is allocated per event. Pure: no I/O; the caller gives the time
 * every piece arrived.
 *
 * What the body is, from its first byte that is not white space: '{' or '['
 * is a whole JSON answer (a server that ignored "stream": true), measured as
 * one event when the body is complete; anything else is an event stream.
 * The body of a status other than 2xx is not read (the request fails by its
 * status). After an error event or [DONE], later events are not timed. A 2xx
 * body that ends without a single event (an HTML page, a plain-text error, an
 * empty body) is not an answer to a streaming request.
 *
 * An event stream says when its answer is complete: [DONE] (OpenAI, vLLM) or
 * a finish marker (load/llmevent: a finish_reason; TGI's last event). A body
 * that ends cleanly without either was cut short (stream_cut_short): a server
 * or proxy that stopped early without failing the stream, whose few tokens
 * must not pass as a fast, complete answer. */
#ifndef TAILGATE_LOAD_STREAM_H
#define TAILGATE_LOAD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sse.h"
#include "stats/hist.h"
#include "stats/tokens.h"

#define STREAM_DEFAULT_CAP SSE_DEFAULT_CAP
#define STREAM_ERROR_KEEP 200 /* bytes of an error event's data kept (stream_t.error) */

/* How the answer went, as far as the stream can tell (the transport's own
 * failures are the connection's). */
typedef enum {
    STREAM_OK,
    STREAM_ERROR_EVENT, /* the server reported a failure mid-stream: stream_error */
    STREAM_TOO_LARGE,   /* an event longer than the buffer: stream_error */
    STREAM_INVALID,     /* an event (or whole answer) that is neither JSON nor [DONE] */
    STREAM_NO_EVENT,    /* a 2xx body that ended holding no event at all */
} stream_status_t;

typedef struct {
    sse_parser_t sse;
    tokens_t tok;
    stream_status_t status;
    int mode;        /* what the body is (stream.c) */
    bool over;       /* an error event or [DONE] came: later events are not timed */
    bool unfinished; /* the body ended inside an event (sse_finish) */
    bool ended;      /* [DONE], a finish marker or a whole answer came: the answer is complete */
    uint64_t events; /* events (or whole answers) taken, timed or not */
    uint64_t now_ns; /* the arrival time of the piece being fed */
    hist_t *itl;     /* where the piece's gaps go (NULL: nowhere) */
    /* What the server said (STREAM_ERROR_EVENT): the error event's data, its
     * first STREAM_ERROR_KEEP bytes in error, its whole length in
     * error_bytes; copied once, when it comes (the SSE buffer moves on).
     * STREAM_NO_EVENT: the body's first bytes and its length, gathered as
     * they come until the first event. */
    size_t error_bytes;
    char error[STREAM_ERROR_KEEP];
    size_t cap;
    char buf[]; /* the SSE parser's buffer */
} stream_t;

/* A stream whose events may be up to cap bytes. Returns 0 or ENOMEM. */
int stream_new(size_t cap, stream_t **out);
void stream_free(stream_t *s); /* NULL is fine */

/* A new request, intended at intended_ns. */
void stream_begin(stream_t *s, uint64_t intended_ns);

/* The body hook's work (h1resp.h): data[0..len) are body bytes not yet
 * consumed, arrived by now_ns; end says the body is complete; status is the
 * response's. Each gap between token-bearing events goes into itl (NULL: not
 * recorded). Returns the bytes consumed. */
size_t stream_feed(stream_t *s, int status, const char *data, size_t len, bool end, uint64_t now_ns,
                   hist_t *itl);

/* Token-bearing events so far (K). */
static inline uint64_t stream_chunks(const stream_t *s)
{
    return s->tok.chunks;
}

/* The body ended (stream_feed's end) as an event stream that never said its
 * answer was complete (no [DONE], no finish marker), and nothing else was
 * wrong with it (status STREAM_OK). Judged only where the events' shape is
 * known: llm_api (the run names an API that streams so: OpenAI completions or
 * chat, TGI), or the stream carried a token-bearing event (one of those
 * shapes, whatever the run was told). A custom stream with neither is not
 * judged: nothing says how it ends. */
bool stream_cut_short(const stream_t *s, bool llm_api);

/* The request is over (answered, failed or cut off: the tokens seen count):
 * its first byte was written at send_ns (0: never), it ended at end_ns. */
void stream_end(stream_t *s, uint64_t send_ns, uint64_t end_ns, tokens_result_t *out);

#endif
