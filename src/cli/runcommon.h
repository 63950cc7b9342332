/* runcommon — one prepared and executed load run, shared by `run` and `ab`:
 * files opened and inputs read before the clock starts, the engine run, the
 * result JSON written, the summary printed, signals turned into a clean stop. */
#ifndef TAILGATE_CLI_RUNCOMMON_H
#define TAILGATE_CLI_RUNCOMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include "cli/runopts.h"
#include "load/engine.h"
#include "load/preset.h"
#include "output/csvlog.h"
#include "stats/result.h"

typedef struct {
    const runopts_t *opts;
    engine_config_t eng; /* derived from opts by runjob_prepare; points into the job */
    inputs_t *inputs;
    bool inputs_borrowed; /* inputs are the caller's (runjob_prepare_inputs) */
    char *template_text;  /* --template's file, read */
    preset_plan_t plan;   /* items mode: how items become requests (eng.plan) */
    bool have_plan;
    char *body;
    csvlog_t *log;
    csvlog_t *events; /* --log-events */
    const char *log_path;
    const char *out_path;
    engine_result_t result;
    result_t res;  /* the run's result after execute (its statistics moved out of .result) */
    bool have_res; /* res is set */
    bool ran;
    bool progress_shown;
    bool log_failed;  /* the CSV log is incomplete (disk full...) */
    bool usage_error; /* the run was refused before it started (said already): exit 2 */
} runjob_t;

/* Builds job->eng from the finished options o (which must outlive the job;
 * they are not changed): parses the URL, reads --inputs/--body, opens the CSV
 * log. The job must not move afterwards (eng points into it). Returns
 * EXIT_OK, or EXIT_USAGE / EXIT_CANNOT_RUN with err filled; runjob_close is
 * needed either way. */
int runjob_prepare(runjob_t *job, const runopts_t *o, const char *log_path, const char *out_path,
                   char *err, size_t errlen);
/* The same with the items read already (NULL: read them as runjob_prepare
 * does), borrowed: a data file on stdin can be read only once, and ab's
 * jobs send the same items. */
int runjob_prepare_inputs(runjob_t *job, const runopts_t *o, inputs_t *inputs, const char *log_path,
                          const char *out_path, char *err, size_t errlen);
/* Reads o's items (--inputs, or generated) into *out. Returns EXIT_OK, or
 * EXIT_USAGE / EXIT_CANNOT_RUN with err filled. */
int runcommon_load_inputs(const runopts_t *o, inputs_t **out, char *err, size_t errlen);
/* The preset o names (--api; tailgate when none). */
const preset_t *runcommon_preset(const runopts_t *o);
/* The body template o gives (--template's file read into *text, which the
 * caller frees; or --template-json) into *tmpl and *len; NULL when none.
 * Returns EXIT_OK or EXIT_CANNOT_RUN with err filled. */
int runcommon_template(const runopts_t *o, char **text, const char **tmpl, size_t *len, char *err,
                       size_t errlen);
/* --api help: every preset's path, items, body templates and outputs. */
void runcommon_api_help(FILE *f);
/* Runs the engine, builds the result (judging the SLAs), writes the CSV and
 * --out JSON. Returns EXIT_OK or EXIT_SLA_FAILED (by the result's verdict, or
 * when every request failed: cli/gates.h), or
 * EXIT_CANNOT_RUN after printing why: the run could not start, or an output
 * could not be written in full (the result JSON is still written and the
 * summary can still be printed). */
int runjob_execute(runjob_t *job, const char *who);
void runjob_print_summary(const runjob_t *job, FILE *f);
void runjob_close(runjob_t *job);

/* Options given that change nothing in a run with the finished options o:
 * each is a note, not an error (the run measures what was asked). A bit
 * each; a command with several runs (ab's sides, sweep's steps) says the
 * notes that hold for all of them, once, before the first. */
#define RUNCOMMON_NOTE_ARRIVAL 1u /* --arrival or --seed in a closed loop */
#define RUNCOMMON_NOTE_TLS 2u     /* --cacert, --insecure, --no-tls-resume on http:// */
#define RUNCOMMON_NOTE_LINGER 4u  /* --linger with --batch 1: no batch to fill */
#define RUNCOMMON_NOTE_OUTPUTS                                                                     \
    8u /* --outputs unread: a streamed run, or --validate not outputs                              \
        */
#define RUNCOMMON_NOTE_NO_STREAM 16u /* --no-stream where nothing asks for a stream */
#define RUNCOMMON_NOTE_SEED 32u      /* --seed with constant arrivals: nothing drawn */
#define RUNCOMMON_NOTE_IDLE 64u      /* --idle-timeout not shorter than --timeout */
#define RUNCOMMON_NOTE_MODEL 128u    /* --model with a fixed body (or none) that names none */
unsigned runcommon_notes(const runopts_t *o);
void runcommon_print_notes(const runopts_t *o, unsigned notes, FILE *f, const char *who);

/* SIGINT/SIGTERM -> engine_stop; the signal is remembered for the exit code. */
void runcommon_install_signals(void);
int runcommon_signal_seen(void);

/* Whether an output file can be written at path ("-" = stdout), without
 * leaving a file behind; errno says why not. For outputs written after a
 * long run (sweep --out): checked before it starts. */
bool runcommon_can_write(const char *path);

/* Reads a whole file (for --body). Returns 0 or an errno value. */
int runcommon_read_file(const char *path, char **data, size_t *len);

#endif
