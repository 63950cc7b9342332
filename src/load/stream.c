/* stream — SSE -> events -> token timing for one request at a time. */
#include "load/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "load/llmevent.h"

enum {
    MODE_UNKNOWN, /* no body byte but white space yet */
    MODE_SSE,     /* an event stream */
    MODE_WHOLE,   /* a whole JSON answer: held until the body is complete */
    MODE_SKIP,    /* not read: a failed status, or past an event over the limit */
};

int stream_new(size_t cap, stream_t **out)
{
    stream_t *s = malloc(sizeof(*s) + cap);
    if (!s)
        return ENOMEM;
    s->cap = cap;
    sse_init(&s->sse, s->buf, cap);
    stream_begin(s, 0);
    *out = s;
    return 0;
}

void stream_free(stream_t *s)
{
    free(s);
}

void stream_begin(stream_t *s, uint64_t intended_ns)
{
    sse_reset(&s->sse);
    tokens_start(&s->tok, intended_ns, 0);
    s->status = STREAM_OK;
    s->mode = MODE_UNKNOWN;
    s->over = false;
    s->unfinished = false;
    s->ended = false;
    s->events = 0;
    s->itl = NULL;
    s->error_bytes = 0;
}

/* One event (or a whole answer): what it says, timed at s->now_ns. */
static void take(stream_t *s, const char *name, size_t name_len, const char *data, size_t len)
{
    s->events++;
    if (s->over)
        return;
    llmevent_t ev;
    llmevent_classify(name, name_len, data, len, &ev);
    if (ev.finish || s->mode == MODE_WHOLE) /* (a whole answer is complete by being whole) */
        s->ended = true;
    switch (ev.kind) {
    case LLMEVENT_TOKEN: {
        uint64_t gap;
        if (tokens_event(&s->tok, s->now_ns, &gap) && s->itl)
            hist_record(s->itl, gap);
        break;
    }
    case LLMEVENT_ERROR:
        s->status = STREAM_ERROR_EVENT;
        s->over = true;
        s->error_bytes = len;
        memcpy(s->error, data, len < sizeof s->error ? len : sizeof s->error);
        break;
    case LLMEVENT_DONE:
        s->over = true;
        s->ended = true;
        break;
    case LLMEVENT_INVALID:
        if (s->status == STREAM_OK)
            s->status = STREAM_INVALID;
        break;
    case LLMEVENT_OTHER:
        break;
    }
    tokens_usage(&s->tok, ev.completion_tokens);
}

static int on_event(void *ctx, const sse_event_t *ev)
{
    take(ctx, ev->name, ev->name_len, ev->data, ev->data_len);
    return 0;
}

/* The first byte that is not white space says what the body is. */
static int sniff(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (data[i]) {
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            continue;
        case '{':
        case '[':
            return MODE_WHOLE;
        default:
            return MODE_SSE;
        }
    }
    return MODE_UNKNOWN;
}

/* Until the first event, the body's start is kept: if none ever comes, it is
 * what the user needs to see (a proxy's HTML page, a plain-text error). */
static void keep_start(stream_t *s, const char *data, size_t len)
{
    if (len && s->error_bytes < sizeof s->error) { /* (HTTP/2 ends with data NULL) */
        size_t room = sizeof s->error - s->error_bytes;
        memcpy(s->error + s->error_bytes, data, len < room ? len : room);
    }
    s->error_bytes += len;
}

/* The body is complete: one without any event was no event stream (one that
 * ended inside its first event was cut off: the caller judges that). */
static void no_event(stream_t *s)
{
    if (s->events == 0 && !s->unfinished && s->status == STREAM_OK)
        s->status = STREAM_NO_EVENT;
}

size_t stream_feed(stream_t *s, int status, const char *data, size_t len, bool end, uint64_t now_ns,
                   hist_t *itl)
{
    s->now_ns = now_ns;
    s->itl = itl;
    if (s->mode == MODE_UNKNOWN)
        s->mode = status < 200 || status >= 300 ? MODE_SKIP : sniff(data, len);
    switch (s->mode) {
    case MODE_UNKNOWN:
        if (!end)
            return 0; /* white space only: hold it until something says what comes */
        keep_start(s, data, len);
        no_event(s);
        return len;
    case MODE_WHOLE:
        /* Held in the connection's buffer (the hook consumes nothing) until
         * the body is complete: then it is one event. */
        if (!end)
            return 0;
        take(s, NULL, 0, data, len);
        return len;
    case MODE_SSE: {
        if (s->events == 0)
            keep_start(s, data, len);
        ssize_t n = sse_feed(&s->sse, data, len, on_event, s);
        if (n == SSE_TOO_LARGE) {
            s->status = STREAM_TOO_LARGE;
            s->mode = MODE_SKIP;
        } else if (end) {
            s->unfinished = sse_finish(&s->sse);
            no_event(s);
        }
        return len;
    }
    case MODE_SKIP:
        return len;
    }
    return len;
}

bool stream_cut_short(const stream_t *s, bool llm_api)
{
    return s->mode == MODE_SSE && s->status == STREAM_OK && !s->ended &&
           (llm_api || s->tok.chunks > 0);
}

void stream_end(stream_t *s, uint64_t send_ns, uint64_t end_ns, tokens_result_t *out)
{
    s->tok.send_ns = send_ns;
    tokens_end(&s->tok, end_ns);
    tokens_result(&s->tok, out);
}
