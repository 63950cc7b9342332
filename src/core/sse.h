/* sse — incremental Server-Sent Events parsing (WHATWG HTML, "Interpreting an
 * event stream"), for streamed LLM answers.
 *
 * Push parser: feed the response body (after chunked decoding) in whatever
 * pieces it arrives; a callback runs once per dispatched event. No allocation:
 * the state is the sse_parser_t plus one buffer the caller hands in. An event
 * is passed without copying when its one data line lies whole in the piece
 * being fed (the usual case: one event per TCP read); an event with several
 * data lines, or one split across feeds, is gathered in the buffer.
 *
 * Interpretation, as the spec says it:
 *   - lines end in CRLF, LF or CR (a CR at the end of one feed and the LF at
 *     the start of the next are one line end);
 *   - one U+FEFF (EF BB BF) at the very start of the stream is skipped;
 *   - a line starting with ':' is a comment; "name:value" drops one space
 *     after the colon; a line without a colon is a field with an empty value;
 *   - "data" appends its value to the event's data, joined by "\n";
 *     "event" sets the event's name (the last one wins); "id", "retry" and
 *     unknown fields are ignored;
 *   - an empty line dispatches the event if it had at least one data line
 *     ("data:" alone gives an event with empty data); its name is "message"
 *     when no "event" field (or an empty one) was given;
 *   - at the end of the stream an event without its empty line is discarded
 *     (sse_finish says whether that happened).
 * Any byte sequence is a valid stream: there is no "invalid". Bytes are
 * passed through as they came (no UTF-8 check, NUL allowed).
 *
 * Limits (the only error): an event's data, lines joined, is at most the
 * buffer's capacity; an event name at most SSE_NAME_MAX bytes. Comment and
 * ignored lines may be any length. Past a limit the feed returns
 * SSE_TOO_LARGE and so does every later feed (count it as a stream error).
 * The limit is checked on the logical data, so where the stream was split
 * never changes the outcome. */
#ifndef TAILGATE_CORE_SSE_H
#define TAILGATE_CORE_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SSE_TOO_LARGE (-3) /* same value as HTTP_TOO_LARGE */
#define SSE_NAME_MAX 64
/* A sensible buffer size: OpenAI-style chunks are a few hundred bytes, a
 * chunk with top-20 logprobs a few KiB. Only events that need gathering
 * touch the buffer, so with 10,000 streams most of its pages are never
 * written; a client that must bound memory harder passes a smaller cap. */
#define SSE_DEFAULT_CAP (64 * 1024)

/* One dispatched event. name and data are valid only during the callback
 * (they point into the fed piece or into the parser's buffer). */
typedef struct {
    const char *name; /* "message" unless the event named itself; not NUL-terminated */
    size_t name_len;
    const char *data; /* the data lines joined by "\n", no trailing "\n" */
    size_t data_len;
} sse_event_t;

/* Returns 0 to go on, anything else to stop sse_feed right after this event.
 * It must not feed the same parser. */
typedef int (*sse_event_fn)(void *ctx, const sse_event_t *ev);

typedef struct {
    /* all private */
    int state;
    int field;          /* the field being read (enum in sse.c) */
    unsigned bom;       /* BOM bytes matched so far at the stream start */
    char field_name[6]; /* the start of the field name, to recognize it */
    unsigned field_len; /* bytes of the field name read so far */
    bool has_data;      /* a data line was read for the pending event */
    const char *ref;    /* the data lies in the fed piece: ref[0..data_len) */
    size_t data_len;    /* logical length of the pending data */
    char *buf;          /* the caller's buffer: gathered data */
    size_t cap;
    size_t name_len;
    char name[SSE_NAME_MAX];
} sse_parser_t;

/* Prepares p for a new stream. buf[0..cap) is the caller's buffer for
 * gathered data; it must outlive p (one per connection, reused per response:
 * SSE_DEFAULT_CAP is a good size). */
void sse_init(sse_parser_t *p, char *buf, size_t cap);
/* Starts a new stream (the next response) with the same buffer. */
void sse_reset(sse_parser_t *p);

/* Parses buf[0..len), calling on_event(ctx, ev) for every event dispatched.
 * Returns
 *   >= 0           bytes consumed: len, or fewer when on_event returned
 *                  non-zero (the bytes after that event's line end were not
 *                  looked at; feed them again to go on)
 *   SSE_TOO_LARGE  an event is over a limit (see above); events before it
 *                  were dispatched */
ssize_t sse_feed(sse_parser_t *p, const char *buf, size_t len, sse_event_fn on_event, void *ctx);

/* The stream has ended. True when it ended inside an event that has data
 * (a "data:" line, finished or not, since the last empty line): the spec
 * discards that event, and so does this parser. A server that ends with
 * "data: [DONE]\n" and no blank line loses that event: count it. */
bool sse_finish(const sse_parser_t *p);

#endif
