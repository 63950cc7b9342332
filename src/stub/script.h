/* script — scripted streams: a file that says exactly what a streaming answer
 * sends and when, so the client's streaming measurements can be checked
 * against known times (`tailgate stub --script FILE`, README "Scripted
 * streams"). Parsed once at start, shared read-only by every thread.
 *
 * One directive per line; '#' starts a comment; blank lines are ignored.
 * Durations take a unit (120ms, 1.5s, 250us). Events are written in the
 * wire format of the endpoint asked (chat, completions or TGI).
 *
 *   wait D            pause D before what follows (the first bytes of the
 *                     response, status line included, go out with the first
 *                     event; D counts from the request's arrival)
 *   role              chat's first chunk: role "assistant", empty content
 *   token [N] [TEXT]  one token-bearing event carrying N tokens (default 1):
 *                     the answer's next N tokens, or TEXT ("quoted", C escapes)
 *   empty             an event with empty content
 *   finish [REASON]   an empty-content event with finish_reason REASON
 *                     (default "length"); TGI: the last token event carries
 *                     generated_text and details instead
 *   usage [N]         the usage chunk ("choices": []) with completion_tokens
 *                     N (default: the tokens sent so far)
 *   done              data: [DONE]
 *   comment [TEXT]    a ": TEXT" comment line
 *   error [MESSAGE]   a mid-stream error event (data: {"error": ...})
 *   raw TEXT          TEXT ("quoted", C escapes) as it is, e.g. "data: x\n\n"
 *   eol lf|crlf|cr    line ending of the events that follow (default lf)
 *   split N [GAP]     write each following event N bytes at a time, GAP
 *                     (default 1ms) apart; split 0 ends it
 *   drop              close the connection here (FIN) without ending the body
 *   reset             close the connection here with a TCP RST
 *   stall             send nothing more and keep the connection open
 * Events with no wait between them go out in one write. After the last
 * directive the body ends (HTTP/1.1: the last chunk) and the connection
 * stays open for the next request. */
#ifndef TAILGATE_STUB_SCRIPT_H
#define TAILGATE_STUB_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SCRIPT_WAIT,
    SCRIPT_ROLE,
    SCRIPT_TOKEN,
    SCRIPT_EMPTY,
    SCRIPT_FINISH,
    SCRIPT_USAGE,
    SCRIPT_DONE,
    SCRIPT_COMMENT,
    SCRIPT_ERROR,
    SCRIPT_RAW,
    SCRIPT_EOL,
    SCRIPT_SPLIT,
    SCRIPT_DROP,
    SCRIPT_RESET,
    SCRIPT_STALL,
} script_op_t;

#define SCRIPT_COUNT_SENT UINT32_MAX /* usage: the tokens sent so far */

typedef struct {
    script_op_t op;
    uint32_t n;  /* token: tokens; usage: completion_tokens; split: bytes; eol: 0 lf 1 crlf 2 cr */
    uint64_t ns; /* wait: pause; split: gap */
    bool last;   /* token: the next event is finish (TGI folds finish into it) */
    const char *text; /* token/comment/error/raw/finish text, or NULL */
    size_t len;
} script_step_t;

typedef struct {
    char *model; /* requests for this model only; NULL = every request */
    script_step_t *steps;
    size_t nsteps;
    char *strings; /* storage for the steps' texts */
} script_t;

/* Parses text[0..len). Returns 0 with *out (release with script_free), or
 * EINVAL with "line N: what" in err, or ENOMEM. */
int script_parse(const char *text, size_t len, script_t **out, char *err, size_t errlen);

/* Reads and parses "FILE" or "MODEL=FILE" (MODEL holds no '/'). Returns 0,
 * EINVAL (a bad line: "--script FILE: line N: what" in err) or the errno of
 * reading the file (ENOENT, EACCES ... with the file named in err). */
int script_load(const char *spec, script_t **out, char *err, size_t errlen);

void script_free(script_t *s);

#endif
