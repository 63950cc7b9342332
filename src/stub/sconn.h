/* sconn — a stub connection, shared by sconn.c (the connection's state
 * machine: socket, timers, routing, workers) and sgen.c (generating
 * requests: the LLM engine, streamed answers, scripted streams). Private to
 * src/stub/. The state diagram is at the top of sconn.c. */
#ifndef TAILGATE_STUB_SCONN_H
#define TAILGATE_STUB_SCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/engine.h"
#include "stub/gen.h"
#include "stub/request.h"
#include "stub/script.h"
#include "stub/server.h"

typedef enum {
    SCONN_TLS,
    SCONN_HEAD,
    SCONN_BODY,
    SCONN_WAIT,
    SCONN_WRITE,
    SCONN_LINGER,
    SCONN_GEN, /* a generating request: in the engine, streaming, or playing a script */
} sconn_state_t;

typedef enum { SGEN_KEEP, SGEN_DROP, SGEN_RESET } sgen_close_t;

/* A generating request in progress (sgen.c). Reset per request except pre. */
typedef struct {
    gen_req_t req;
    engine_seq_t seq;       /* the request in the engine */
    const script_t *script; /* or playing this */
    size_t pc;              /* next script step */
    uint64_t at_ns;         /* script clock: when the last wait ended */
    uint64_t due_ns;        /* next script step or split piece; 0 = none */
    uint64_t write_due_ns;  /* a blocked write gives up then; 0 = none */
    size_t pace_end;        /* split: out bytes before this go out in pieces; 0 = none */
    size_t send_limit;      /* flush no further than this offset of out */
    uint64_t split_gap_ns;
    uint32_t split; /* bytes per piece; 0 = whole writes */
    uint32_t sent_tokens;
    uint8_t eol; /* script line ending: 0 lf, 1 crlf, 2 cr */
    sgen_close_t close_how;
    bool active; /* in the engine, or a script not yet at its end */
    bool head_sent;
    bool chunked;  /* HTTP/1.1: chunked; HTTP/1.0: close-delimited */
    bool finished; /* every byte of the answer is in out */
    bool stalled;  /* a script's stall: nothing more will be sent */
    bool folded;   /* TGI: the last token event carried the finish */
    bool error_injected;
    char id[48];
    uint64_t created;
    sbuf_t pre; /* what every chunk of the stream starts with; memory kept */
} sgen_t;

typedef struct sconn sconn_t;
typedef struct h2sstream h2sstream_t;
struct sconn {
    loop_io_t io;
    tls_conn_t *tls;    /* https: the session on io.fd */
    loop_timer_t timer; /* header/idle timeout, service time, write timeout, linger, script */
    server_t *srv;
    sconn_t *prev, *next; /* srv->conns */
    sconn_t *qnext;       /* srv queue */
    sconn_state_t state;
    bool in_queue;
    bool has_worker;
    bool request_started; /* a byte of the current request arrived */
    bool close_after;     /* close once this response is written */
    bool peer_closed;     /* read returned 0 */
    bool served;          /* at least one response on this connection */
    bool can_read;        /* plain TCP: a recv may find bytes (see sconn_fill) */
    bool hup;             /* the peer's FIN was signalled: read on until end of stream */
    const char *allow;    /* the response's Allow header, or NULL */
    int status;
    uint64_t service_ns;
    uint64_t deadline_ns; /* when the timer must act; 0 = nothing due (sconn_deadline) */
    sbuf_t out;
    size_t out_off; /* next byte of out to send */
    sgen_t gen;
    /* HTTP/2: the stream this request came on (stub/h2serve.h); the bytes of
     * the response go to it instead of a socket. NULL on a socket. */
    h2sstream_t *h2;
    request_t rq; /* last: its inline buffer is not cleared on reuse */
};

/* sconn.c, for h2serve.c */
/* A connection object for one HTTP/2 stream's request: no socket, not
 * counted as a connection. The caller puts the request's bytes (as
 * HTTP/1.1) into c->rq and runs sconn_drive. NULL on ENOMEM. */
sconn_t *sconn_stream_new(server_t *srv, h2sstream_t *st);

/* sconn.c, for sgen.c */
/* The timer fires no later than when_ns (lazily). Returns 0 or ENOMEM. */
int sconn_deadline(sconn_t *c, uint64_t when_ns);
/* Frees the connection. Callers return right after. */
void sconn_close(sconn_t *c);
/* Status plus an error body shaped for the request's API. */
void sconn_set_error(sconn_t *c, int status, const char *msg);
/* A Content-Length response is ready in out (reply_begin'd): send it now /
 * once due_ns is past (and any stall). 0, or -1 when c was freed. */
int sconn_send(sconn_t *c);
int sconn_send_at(sconn_t *c, uint64_t due_ns);
/* Runs the state machine until it waits. May free c. */
void sconn_drive(sconn_t *c);
/* Sends out[out_off .. min(limit, len)). Returns 1 would block, 0 all
 * sent, -1 freed. */
int sconn_flush(sconn_t *c, size_t limit);

/* sgen.c */
/* A request id: prefix + 16 hex digits, unique per server (thread index
 * and a counter). */
void sgen_id(server_t *srv, const char *prefix, char *buf, size_t n);
/* The thread's engine and its step timer (srv->loop must exist). Returns 0
 * or ENOMEM. */
int sgen_server_init(server_t *srv);
/* A whole request for a generating route: parse, then queue it in the
 * engine or start its script (state SCONN_GEN). 0, or -1 when c was freed. */
int sgen_start(sconn_t *c);
/* SCONN_GEN in sconn_drive: writes what is due. Returns 1 (wait for the
 * socket or a timer), 0 (the answer is complete: next request) or -1
 * (freed). */
int sgen_drive(sconn_t *c);
/* c->timer fired in SCONN_GEN. May free c. */
void sgen_on_timer(sconn_t *c);
/* c is closing: leave the engine. */
void sgen_abort(sconn_t *c);

#endif
