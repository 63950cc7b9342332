/* runopts — the options of a load run, shared by `run` and `ab` (whose
 * --baseline/--optimized strings are parsed by the same code on top of the
 * shared options). Checks every value before anything runs. */
#ifndef TAILGATE_CLI_RUNOPTS_H
#define TAILGATE_CLI_RUNOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "load/engine.h"
#include "stats/sla.h"

#define RUNOPTS_MAX_HEADERS 64
#define RUNOPTS_MAX_SLAS 32

typedef struct {
    engine_config_t eng;
    bool concurrency_set, rate_set, requests_set, duration_set, validate_set, linger_set;
    const char *url_text;
    const char *inputs_path;
    const char *body_path;
    const char *log_path;
    const char *out_path;
    const char *headers[RUNOPTS_MAX_HEADERS];
    sla_t slas[RUNOPTS_MAX_SLAS];
    size_t num_slas;
    bool quiet, no_color, no_progress;
} runopts_t;

void runopts_defaults(runopts_t *o);

/* The help text of the shared options (printed by run and ab). */
extern const char runopts_help[];
/* --log and --out (run only: ab names its files itself), then the rest of
 * the "Outputs and gate" section that runopts_help ends by opening. */
extern const char runopts_help_files[];
extern const char runopts_help_gate[];

/* Parses argv[first..argc) as load options into o (later options override).
 * extra_long / extra_handler let a command add its own options: the handler
 * gets the option's val and optarg and returns 0, or -1 after filling err.
 * Positional arguments are returned in positional[] (up to max_pos).
 * Returns 0, 1 for --help, or -1 with err naming the option and the problem. */
typedef int (*runopts_extra_fn)(void *ctx, int val, const char *arg, char *err, size_t errlen);
int runopts_parse(runopts_t *o, int argc, char **argv, const void *extra_long, size_t num_extra,
                  runopts_extra_fn extra, void *ctx, const char **positional, size_t max_pos,
                  size_t *num_pos, char *err, size_t errlen);

/* After parsing: the cross-option checks and defaults that depend on the
 * whole set (closed vs open loop, bounds, --body vs --validate). */
int runopts_finish(runopts_t *o, char *err, size_t errlen);

/* The configuration as recorded in the result JSON. */
json_t *runopts_config_json(const runopts_t *o);

/* Splits a string of options ("--batch 10 --linger 50ms") into argv words
 * (single and double quotes group). Returns a malloc'd NULL-terminated array
 * whose strings live in the same allocation, or NULL on ENOMEM. */
char **runopts_split(const char *text, int *argc_out);

#endif
