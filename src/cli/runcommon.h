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
#include "output/csvlog.h"
#include "stats/result.h"

typedef struct {
    const runopts_t *opts;
    engine_config_t eng; /* derived from opts by runjob_prepare; points into the job */
    inputs_t *inputs;
    char *body;
    csvlog_t *log;
    const char *log_path;
    const char *out_path;
    engine_result_t result;
    result_t res;  /* the run's result after execute (its statistics moved out of .result) */
    bool have_res; /* res is set */
    bool ran;
    bool progress_shown;
    bool log_failed; /* the CSV log is incomplete (disk full...) */
} runjob_t;

/* Builds job->eng from the finished options o (which must outlive the job;
 * they are not changed): parses the URL, reads --inputs/--body, opens the CSV
 * log. The job must not move afterwards (eng points into it). Returns
 * EXIT_OK, or EXIT_USAGE / EXIT_CANNOT_RUN with err filled; runjob_close is
 * needed either way. */
int runjob_prepare(runjob_t *job, const runopts_t *o, const char *log_path, const char *out_path,
                   const char *who, char *err, size_t errlen);
/* Runs the engine, builds the result (judging the SLAs), writes the CSV and
 * --out JSON. Returns EXIT_OK or EXIT_SLA_FAILED (by the result's verdict), or
 * EXIT_CANNOT_RUN after printing why: the run could not start, or an output
 * could not be written in full (the result JSON is still written and the
 * summary can still be printed). */
int runjob_execute(runjob_t *job, const char *who);
void runjob_print_summary(const runjob_t *job, FILE *f);
void runjob_close(runjob_t *job);

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
