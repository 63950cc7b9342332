/* runopts — the options of a load run, shared by `run` and `ab`: one option
 * table (cli/opt.h) and plain parsed values. The engine's configuration is
 * derived from them by runjob_prepare (cli/runcommon.h); nothing here points
 * at anything a job owns, so a runopts_t may be copied freely. */
#ifndef TAILGATE_CLI_RUNOPTS_H
#define TAILGATE_CLI_RUNOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "cli/opt.h"
#include "stats/goodput.h"
#include "stats/sla.h"

#define RUNOPTS_MAX_HEADERS OPT_LIST_MAX
#define RUNOPTS_MAX_SLAS 32

/* opt_help views: ab's --help leaves out --out and --log (ab names its files)
 * and the segment options (one run over processes; ab and sweep run many). */
#define RUNOPTS_VIEW_RUN 1u
#define RUNOPTS_VIEW_AB 2u
#define RUNOPTS_VIEW_SWEEP 4u /* sweep sets the rate and the bounds itself, logs per step */

typedef struct {
    /* load */
    uint64_t concurrency; /* closed loop; 0 after runopts_finish in an open loop */
    double rate;          /* open loop, items per second */
    int arrival;          /* arrival_t */
    uint64_t seed;
    uint64_t requests; /* items; 0 = no bound */
    uint64_t duration_ns;
    uint64_t warmup_ns;
    const char *segment_text;  /* --segment I/N or k8s; NULL = the whole run */
    uint64_t segments;         /* --segments N (with --segment k8s) */
    const char *start_at_text; /* --start-at T; NULL = now */
    const char *inputs_path;   /* NULL = generated items */
    int inputs_format;         /* datafile_format_t */
    const char *model;
    const char *body_path;
    const char *method;
    const char *api;           /* --api NAME; NULL = tailgate */
    const char *template_path; /* --template FILE */
    const char *template_json; /* --template-json TEXT */
    const char *outputs;       /* --outputs PATH; NULL = the API's */
    /* client */
    uint64_t connections;     /* 0 = unlimited */
    uint64_t max_connections; /* connections 0: the most at once; 0 = the rule */
    uint64_t threads;
    uint64_t timeout_ns;
    const char *cacert;
    bool insecure, no_tls_resume;
    uint64_t batch;
    uint64_t linger_ns;
    int http2;          /* engine_h2_t */
    uint64_t streams;   /* per HTTP/2 connection; 0 = the server's limit, at most 100 */
    opt_list_t headers; /* "Name: value" */
    /* gate */
    int validate; /* validate_t */
    opt_list_t sla_texts;
    /* streaming */
    bool stream;                 /* also set by runopts_finish for --api of an API that streams */
    bool no_stream;              /* --no-stream: that API's whole-answer bodies */
    uint64_t idle_timeout_ns;    /* 0 = none */
    uint64_t stream_max_event;   /* bytes: the longest SSE event read */
    const char *goodput_text;    /* --goodput as given; NULL = none */
    const char *log_events_path; /* --log-events; NULL = none */
    uint64_t log_events_every;   /* one request in N */
    /* output */
    const char *log_path;
    const char *out_path;
    bool quiet, no_progress, no_color, show_secrets;

    const char *url_text;   /* the positional URL */
    bool target_in_process; /* ab's embedded stub: each connection's other end is ours too */
    uint64_t given;         /* bit i: runopts_table[i] was given */
    /* set by runopts_finish */
    bool body_mode; /* a fixed raw body: --body, or a method that sends none (GET...) */
    unsigned segment_index, segment_count; /* --segment (0 of 1 without) */
    uint64_t start_at_ns;                  /* --start-at, wall clock; 0 = not given */
    sla_t slas[RUNOPTS_MAX_SLAS];
    size_t num_slas;
    goodput_t goodput; /* --goodput parsed (no bound set when not given) */
} runopts_t;

extern const opt_t runopts_table[];
extern const size_t runopts_table_len;

/* Whether the option whose value is `field` was given. */
#define RUNOPTS_GIVEN(o, field)                                                                    \
    opt_given(runopts_table, runopts_table_len, (o)->given, offsetof(runopts_t, field))
#define RUNOPTS_SET_GIVEN(o, field)                                                                \
    opt_set_given(runopts_table, runopts_table_len, &(o)->given, offsetof(runopts_t, field))

void runopts_defaults(runopts_t *o);
/* The group that parses into o (for opt_parse beside a command's own table). */
opt_group_t runopts_group(runopts_t *o);

/* After parsing: the cross-option checks and the values that depend on the
 * whole set (closed vs open loop, bounds, body mode, --validate, the SLAs).
 * Returns 0, or -1 with err naming the options and what to do. */
int runopts_finish(runopts_t *o, char *err, size_t errlen);

/* The most segments one run can be split into (an Indexed Job's limit). */
#define RUNOPTS_MAX_SEGMENTS 100000

/* Whether the options send a fixed body rather than items: --body, or a
 * method other than POST and PUT (GET, HEAD, DELETE... alone send none). */
bool runopts_body_mode(const runopts_t *o);

/* The configuration as recorded in the result JSON (url, load, then every
 * table row with a config key; secret header values redacted unless
 * --show-secrets). NULL on ENOMEM. */
json_t *runopts_config_json(const runopts_t *o);

/* The --sla row's check, for any command's table: the expression parses,
 * and a slo_attainment bound is not a fraction without '%' (0 < v <= 1:
 * read as a percentage it passes far too easily). */
int runopts_check_sla(const char *value, char *why, size_t whylen);
/* Whether output paths a and b name one file: the same text ("-" is stdout),
 * the same place once their directories are resolved, or one inode. A path
 * that exists and is not a regular file (/dev/null, a terminal, a pipe) is
 * never the same as another: writing there overwrites nothing. */
bool runopts_same_output(const char *a, const char *b);
/* "-" for a path that names stdout itself (/dev/stdout, /dev/fd/1,
 * /proc/self/fd/1): it then counts as stdout, so the summary moves to
 * stderr and a second output there is refused. Any other path as given. */
const char *runopts_stdout_alias(const char *path);
/* Removes an output a failed command wrote, when path ("-" and NULL
 * skipped) is itself a regular file: never a device such as /dev/null, a
 * pipe, or a symbolic link (the file it points to is not ours to remove). */
void runopts_remove_output(const char *path);
/* The first of inputs[0..n) (NULLs skipped) that writing out would destroy,
 * or NULL: none, or out is "-". */
const char *runopts_output_overwrites(const char *out, const char *const *inputs, size_t n);
/* Parses --sla texts that passed runopts_check_sla into out (at most max). */
size_t runopts_parse_slas(const opt_list_t *texts, sla_t *out, size_t max);
/* Warns on f, prefixed by who, about each error_rate value below 1 written
 * without '%': sla.c reads it as a percentage (error_rate<0.01 is 0.01%, one
 * error in 10,000 requests) where k6 reads a fraction (1%). */
void runopts_warn_slas(const sla_t *slas, size_t n, FILE *f, const char *who);

/* Whether a "Name: value" header holds a secret: Authorization,
 * Proxy-Authorization, Cookie, Set-Cookie, or a name containing key, token or
 * secret (case-insensitive). */
bool runopts_header_is_secret(const char *header);
/* A malloc'd copy of url whose query parameters named like key, token or
 * secret have the value <redacted> (?api_key=<redacted>&n=1); NULL on ENOMEM. */
char *runopts_redact_url(const char *url);

#endif
