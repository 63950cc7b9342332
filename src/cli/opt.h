/* opt — one option table and one parsing loop for every command.
 *
 * A command describes its options as rows of opt_t: the long and short name,
 * the kind of value, where the value goes (an offset into the command's
 * options struct), its bounds, its scope and its help. The same rows give the
 * parser, --help, the result's "config" object and ab's rule that a side may
 * change only client options. Values are plain: numbers, durations in ns,
 * strings that point into argv (which outlives the options).
 *
 * Syntax (GNU getopt_long's, which users know): --name VALUE, --name=VALUE,
 * a unique prefix of a long name (--req for --requests), -x VALUE, -xVALUE,
 * clustered short flags (-qh), "--" ends the options, "-" is an argument.
 * Options and arguments may be mixed. -h and --help are always known.
 *
 * Every error message starts with the option (as "--name VALUE:" when a value
 * was wrong) and says what to give instead. An option with a bare value
 * (--http2 alone) takes another only after '=': "--http2 on" is refused
 * rather than read as --http2 and an argument "on". */
#ifndef TAILGATE_CLI_OPT_H
#define TAILGATE_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

typedef enum {
    OPT_HEADING,  /* not an option: a section title in --help (help = the title) */
    OPT_COUNT,    /* uint64_t: a whole number in [min, max] */
    OPT_DURATION, /* uint64_t ns: NUMBER UNIT (ns us ms s m h); bare only "0"; [min, max] ns */
    OPT_RATE,     /* double, per second: a plain decimal in [min, max] */
    OPT_SIZE,     /* uint64_t bytes: 100, 512k, 8MiB, 1G (1024-based); [min, max] */
    OPT_PERCENT,  /* double fraction: "0.05" or "5%"; [min, max] as fractions */
    OPT_ENUM,     /* int: the index of the value in choices */
    OPT_STRING,   /* const char *: the value itself, pointing into argv */
    OPT_FLAG,     /* bool: set true; takes no value */
    OPT_LIST,     /* opt_list_t: repeatable, each value appended; max = most values */
} opt_kind_t;

/* What an option changes; ab lets --baseline/--optimized give client ones only. */
typedef enum {
    OPT_SCOPE_LOAD,   /* what is offered: load model, bounds, what is sent */
    OPT_SCOPE_CLIENT, /* how the client sends it: batching, connections, TLS, headers */
    OPT_SCOPE_OUTPUT, /* what is written or printed */
    OPT_SCOPE_GATE,   /* what passes: SLAs, validation */
} opt_scope_t;

#define OPT_LIST_MAX 64
typedef struct {
    const char *v[OPT_LIST_MAX];
    size_t n;
} opt_list_t;

/* A further rule for a string or list value: 0, or -1 with why filled
 * (words to follow "--name VALUE: "). */
typedef int (*opt_check_fn)(const char *value, char *why, size_t whylen);
/* The text to record in the config for a value that may hold a secret:
 * value itself, or a copy in buf with the secret replaced. */
typedef const char *(*opt_redact_fn)(const char *value, char *buf, size_t len);

typedef struct {
    const char *name; /* long name without "--"; NULL for a heading */
    char short_name;  /* 0 = none */
    opt_kind_t kind;
    opt_scope_t scope;
    size_t offset;              /* of the value in the options struct */
    double min, max;            /* count, duration (ns), size, rate, percent; list: most values */
    const char *const *choices; /* OPT_ENUM: the names, NULL-terminated */
    opt_check_fn check;         /* OPT_STRING, OPT_LIST: or NULL */
    const char *arg;            /* the value's name in --help: "N", "D", "FILE" */
    const char *help;           /* '\n' starts a continuation line */
    /* The key in the result's config JSON, NULL = not recorded. A duration is
     * recorded in the unit its key ends with (_s or _ms), otherwise in ns. */
    const char *config;
    bool config_negate;   /* OPT_FLAG: recorded as its negation (--no-x -> "x": false) */
    opt_redact_fn redact; /* OPT_STRING, OPT_LIST: applied unless secrets are shown */
    unsigned hidden;      /* views (see opt_help) whose --help does not list it */
    /* OPT_ENUM: given as plain --name (no "=VALUE"), the option takes this
     * value and no separate argument (--http2 alone means --http2=on); a
     * value then needs '=': --name=VALUE. NULL = a value is always needed. */
    const char *bare;
    /* OPT_STRING, OPT_LIST: the value names a file or directory, so an empty
     * one is refused; this is an example name for that message
     * ("result.json"). NULL = any text. */
    const char *path;
} opt_t;

/* Where one table's values go. given: bit i is set when opts[i] was given
 * (tables have at most 64 rows); NULL when nobody asks. */
typedef struct {
    const opt_t *opts;
    size_t n;
    void *dst;
    uint64_t *given;
} opt_group_t;

/* Parses argv[0..argc) (the words after the command's name) into the groups'
 * structs, which hold their defaults; later values override earlier ones,
 * list values append. Arguments that are not options go to pos[] (at most
 * max_pos; more is an error). Returns 0, 1 when -h/--help was given (the
 * rest is still checked up to it), or -1 with err filled. */
int opt_parse(const opt_group_t *groups, size_t ngroups, int argc, char *const *argv,
              const char **pos, size_t max_pos, size_t *npos, char *err, size_t errlen);

/* Whether the row whose value lives at offset (unique in a table) is in the
 * given mask; mark it there. */
bool opt_given(const opt_t *opts, size_t n, uint64_t given, size_t offset);
void opt_set_given(const opt_t *opts, size_t n, uint64_t *given, size_t offset);
/* Rows in mask whose scope is not `scope`: the first one, or NULL. */
const opt_t *opt_outside_scope(const opt_t *opts, size_t n, uint64_t mask, opt_scope_t scope);

/* Copies into dst the values of src whose bit is in mask (lists append) and
 * marks them in *dst_given (may be NULL). Returns 0, or -1 with err filled
 * when a list would hold more than its max. */
int opt_merge(const opt_t *opts, size_t n, void *dst, uint64_t *dst_given, const void *src,
              uint64_t mask, char *err, size_t errlen);

/* Writes the rows as --help text: headings, "  -c, --concurrency C   help",
 * rows whose hidden has a bit of view left out; then "-h, --help" when
 * with_help, and the duration rule when a listed row is a duration. */
void opt_help(FILE *f, const opt_t *opts, size_t n, unsigned view, bool with_help);

/* Adds every row with a config key to obj, in table order, with its value
 * in src (redact applied unless show_secrets). Returns 0 or ENOMEM. */
int opt_config_json(const opt_t *opts, size_t n, const void *src, json_t *obj, bool show_secrets);

/* A JSON string of s; bytes that are not UTF-8 become '?' (an argument may
 * hold any bytes, a JSON document may not). NULL on ENOMEM. */
json_t *opt_json_text(const char *s);

/* Splits "--batch 10 --linger 50ms" into words (single and double quotes
 * group). Returns a malloc'd NULL-terminated array whose strings live in the
 * same allocation (one free), or NULL on ENOMEM. *argc_out is the number of
 * words, or -1 when a quote is left open (the words are returned still). */
char **opt_split(const char *text, int *argc_out);

#endif
