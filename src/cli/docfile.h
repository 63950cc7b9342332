/* docfile — the JSON files tailgate writes, told apart, so that a command
 * given one of them in place of another says which it got and which it
 * takes, instead of naming the first member the other kind lacks.
 *
 * What tells them apart (each writer's shape, README "Files"):
 *   run result   "tool": "tailgate" and a "requests" object (run --out,
 *                merge --out, ab's baseline.json and optimized.json)
 *   sweep        "kind": "sweep" (sweep --out; stats/sweep.h)
 *   comparison   "baseline" and "optimized", no "requests" (diff -o, ab's
 *                comparison.json)
 *   stub /stats  no "tool"; "requests" a number beside "uptime_s"
 * A file with "tool": "tailgate" that is none of the others is taken for a
 * run result, so a damaged one is told what it lacks. */
#ifndef TAILGATE_CLI_DOCFILE_H
#define TAILGATE_CLI_DOCFILE_H

#include <stddef.h>
#include <jansson.h>

#include "stats/result.h"

typedef enum {
    DOCFILE_RUN,
    DOCFILE_SWEEP,
    DOCFILE_COMPARISON,
    DOCFILE_STUB_STATS,
    DOCFILE_OTHER, /* not a file tailgate writes */
} docfile_kind_t;

docfile_kind_t docfile_kind(const json_t *j);

/* Loads path and checks it is of kind `want`. takes: what the command takes,
 * in words, ending its message ("diff compares two run results (tailgate run
 * --out, or ab's baseline.json/optimized.json)"). Returns 0 with *out a new
 * reference; an errno value when path cannot be read; EINVAL with err
 * "PATH is a sweep result (tailgate sweep --out), not a run result: TAKES"
 * when it is another kind, "PATH is not a file tailgate writes (...): TAKES"
 * when it is none, "PATH: not valid JSON (...): TAKES" when it is not JSON. */
int docfile_load(const char *path, docfile_kind_t want, const char *takes, json_t **out, char *err,
                 size_t errlen);

/* docfile_load(DOCFILE_RUN) + result_from_json: a run result that does not
 * read is "PATH is not a valid run result: \"requests.total\" is missing;
 * TAKES". Returns 0, an errno value, EINVAL or ENOMEM; *out zeroed on error. */
int docfile_read_run(const char *path, const char *takes, result_t *out, char *err, size_t errlen);

#endif
