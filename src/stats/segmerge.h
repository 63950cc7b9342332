/* segmerge — the results of a run's segments (tailgate run --segment I/N)
 * joined into the result of the whole run, once they are proven to be
 * exactly that.
 *
 * The join is result_merge's: histograms summed bucket-wise, counts added,
 * timelines aligned on the wall clock, the span the union of the parts'.
 * Besides, the inputs digests (sums, inputs.h) are added, so the merge has the
 * digest a one-process run of the same options has; the segments' shares of
 * concurrency and connections are added back.
 *
 * What is checked, each with the names of the files at fault:
 * - one run: every part is a segment of the same count N, with the same
 *   configuration and --start-at, and none began after the others had ended
 *   (EINVAL);
 * - each index once. A duplicate is settled only when exactly one of the
 *   two ran to its end (a retried pod's interrupted first attempt is
 *   dropped, with a note); any other duplicate is refused (EINVAL);
 * - every index present (ENOENT, naming the missing ones);
 * - on time: a segment that began its schedule more than late_ns after
 *   --start-at (or, without it, after the earliest segment) is flagged late:
 *   a note, and its index in the merge's segment.late. Its share of the load
 *   was not offered when the schedule meant it to be.
 *
 * Library code: nothing prints; notes go to a callback. */
#ifndef TAILGATE_STATS_SEGMERGE_H
#define TAILGATE_STATS_SEGMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/result.h"

typedef struct {
    uint64_t late_ns; /* how late a segment may begin before it is flagged */
    /* Called with each note for a person (a duplicate dropped, a segment
     * late); NULL = none. */
    void (*note)(void *arg, const char *text);
    void *arg;
} segmerge_opts_t;

/* Joins parts[0..n) (names[i]: parts[i]'s file, for messages) into *out
 * (zeroed first). Parts are consumed: one of them may be moved into *out and
 * left zeroed; the caller closes all of them afterwards, either way. out's
 * SLAs are the first segment's, judged on the sum. Returns 0; EINVAL (not
 * segments of one run, an unsettled duplicate) or ENOENT (a segment missing)
 * with err saying what is wrong and in which files; ENOMEM. */
int segmerge(result_t *parts, const char *const *names, size_t n, const segmerge_opts_t *opts,
             result_t *out, char *err, size_t errlen);

/* a + b of two inputs digests written "sum-sha256:HEX" into out (at least
 * SEGMERGE_DIGEST_LEN bytes). False when either is not such a digest. */
#define SEGMERGE_DIGEST_LEN RESULT_DIGEST_TEXT_LEN
bool segmerge_digest_add(const char *a, const char *b, char *out);

#endif
