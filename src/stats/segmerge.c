/* segmerge — checking that results are the segments of one run, and joining
 * them. */
#include "stats/segmerge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/errmsg.h"
#include "core/walltime.h"

#define DIGEST_PREFIX "sum-sha256:"
#define DIGEST_HEX 64
#define LIST_MAX 10 /* indexes named in one message; more are counted */

static void note(const segmerge_opts_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(const segmerge_opts_t *o, const char *fmt, ...)
{
    if (!o->note)
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    o->note(o->arg, text);
}

/* ---- the inputs digest: a sum mod 2^256 ---------------------------------- */

static bool digest_parse(const char *s, uint8_t v[32])
{
    size_t pl = strlen(DIGEST_PREFIX);
    if (!s || strncmp(s, DIGEST_PREFIX, pl) || strlen(s + pl) != DIGEST_HEX)
        return false;
    for (int i = 0; i < 32; i++) {
        unsigned byte;
        if (sscanf(s + pl + 2 * i, "%2x", &byte) != 1 ||
            !strchr("0123456789abcdef", s[pl + 2 * i]) ||
            !strchr("0123456789abcdef", s[pl + 2 * i + 1]))
            return false;
        v[i] = (uint8_t)byte;
    }
    return true;
}

bool segmerge_digest_add(const char *a, const char *b, char *out)
{
    uint8_t x[32], y[32];
    if (!digest_parse(a, x) || !digest_parse(b, y))
        return false;
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned t = (unsigned)x[i] + y[i] + carry;
        x[i] = (uint8_t)t;
        carry = t >> 8;
    }
    result_digest_text(DIGEST_PREFIX, x, out, SEGMERGE_DIGEST_LEN);
    return true;
}

/* ---- one run? ------------------------------------------------------------ */

/* The first configuration member in which a and b differ, as words. */
static void config_difference(const json_t *a, const json_t *b, char *buf, size_t len)
{
    const char *key;
    json_t *va;
    snprintf(buf, len, "their configurations differ");
    for (int pass = 0; pass < 2; pass++) {
        json_object_foreach((json_t *)(pass ? b : a), key, va)
        {
            const json_t *vb = json_object_get(pass ? a : b, key);
            if (vb && json_equal(va, (json_t *)vb))
                continue;
            char *ta = json_dumps(pass ? vb : va, JSON_ENCODE_ANY | JSON_COMPACT);
            char *tb = json_dumps(pass ? va : vb, JSON_ENCODE_ANY | JSON_COMPACT);
            snprintf(buf, len, "\"%s\" is %.60s in one and %.60s in the other", key,
                     ta ? ta : "absent", tb ? tb : "absent");
            free(ta);
            free(tb);
            return;
        }
    }
}

/* Every part a segment of the same run: same count, configuration and
 * --start-at. */
static int check_one_run(const result_t *p, const char *const *names, size_t n, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < n && n > 1; i++)
        if (p[i].segment_count == 1)
            return errmsg_set(
                EINVAL, err, errlen,
                "%s is a whole run (%s), not a segment: merge joins the segments of one "
                "run (run --segment I/N)",
                names[i], p[i].segment.merged ? "a merge already" : "no --segment");
    for (size_t i = 1; i < n; i++) {
        if (p[i].segment_count != p[0].segment_count)
            return errmsg_set(EINVAL, err, errlen,
                              "%s is segment %u of %u and %s is segment %u of %u: not segments of "
                              "one run",
                              names[0], p[0].segment_index, p[0].segment_count, names[i],
                              p[i].segment_index, p[i].segment_count);
        if (!p[0].config != !p[i].config ||
            (p[0].config && !json_equal(p[0].config, p[i].config))) {
            char why[256];
            if (p[0].config && p[i].config)
                config_difference(p[0].config, p[i].config, why, sizeof why);
            else
                snprintf(why, sizeof why, "only one records its configuration");
            return errmsg_set(EINVAL, err, errlen, "%s and %s are not segments of one run: %s",
                              names[0], names[i], why);
        }
        uint64_t a = p[0].segment.start_at_ns, b = p[i].segment.start_at_ns;
        if (a != b) {
            char ta[40] = "no --start-at", tb[40] = "no --start-at";
            if (a)
                walltime_format(a, ta, sizeof ta);
            if (b)
                walltime_format(b, tb, sizeof tb);
            return errmsg_set(
                EINVAL, err, errlen,
                "%s and %s are not segments of one run: told to start at %s and at %s "
                "(--start-at)",
                names[0], names[i], ta, tb);
        }
    }
    return 0;
}

/* "1, 3, 7" (at most LIST_MAX, then "and N more") of the indexes i < n with
 * flag[i] set. */
static void list_indexes(const bool *flag, size_t n, char *buf, size_t len)
{
    size_t shown = 0, more = 0, k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!flag[i])
            continue;
        if (shown == LIST_MAX) {
            more++;
            continue;
        }
        k += (size_t)snprintf(buf + k, k < len ? len - k : 0, "%s%zu", shown ? ", " : "", i);
        shown++;
    }
    if (more && k < len)
        snprintf(buf + k, len - k, " and %zu more", more);
}

/* chosen[index] = the part that stands for segment index, after settling
 * duplicates; SIZE_MAX = missing. */
static int pick_segments(const result_t *p, const char *const *names, size_t n, unsigned count,
                         size_t *chosen, const segmerge_opts_t *o, char *err, size_t errlen)
{
    for (unsigned k = 0; k < count; k++)
        chosen[k] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned k = p[i].segment_index;
        size_t j = chosen[k];
        if (j == SIZE_MAX) {
            chosen[k] = i;
            continue;
        }
        /* A duplicate: a retried pod's interrupted first attempt gives way to
         * the attempt that ran to its end; nothing else can be told apart. */
        if (p[i].interrupted != p[j].interrupted) {
            size_t keep = p[i].interrupted ? j : i, drop = p[i].interrupted ? i : j;
            note(o,
                 "segment %u is given twice: %s ran to its end and is kept; %s was "
                 "interrupted and is left out",
                 k, names[keep], names[drop]);
            chosen[k] = keep;
            continue;
        }
        return errmsg_set(
            EINVAL, err, errlen,
            "segment %u of %u is given twice, %s and %s, and both %s: give the one to "
            "merge",
            k, count, names[j], names[i],
            p[i].interrupted ? "were interrupted" : "ran to their end");
    }
    bool *missing = calloc(count, sizeof *missing);
    if (!missing)
        return errmsg_set(ENOMEM, err, errlen, "out of memory");
    size_t nmissing = 0;
    for (unsigned k = 0; k < count; k++)
        if (chosen[k] == SIZE_MAX)
            missing[k] = true, nmissing++;
    if (nmissing) {
        char list[160];
        list_indexes(missing, count, list, sizeof list);
        free(missing);
        return errmsg_set(ENOENT, err, errlen,
                          "%s %s of %u %s missing: the merge of a run needs every segment's result",
                          nmissing == 1 ? "segment" : "segments", list, count,
                          nmissing == 1 ? "is" : "are");
    }
    free(missing);
    return 0;
}

/* When segment k's schedule began, as far as the files tell. */
static uint64_t began(const result_t *r)
{
    return r->segment.start_at_ns ? r->segment.start_at_ns + r->segment.late_ns
                                  : r->started_wall_ns;
}

static int by_start(const void *a, const void *b, void *arg)
{
    const result_t *p = arg;
    uint64_t x = p[*(const size_t *)a].started_wall_ns, y = p[*(const size_t *)b].started_wall_ns;
    return x < y ? -1 : x > y;
}

/* No segment began after all that began before it had ended (a result of
 * another run with the same options), and the late ones flagged. */
static int check_times(const result_t *p, const char *const *names, const size_t *chosen,
                       unsigned count, const segmerge_opts_t *o, result_segment_t *merged,
                       char *err, size_t errlen)
{
    size_t *order = malloc(count * sizeof *order);
    if (!order)
        return errmsg_set(ENOMEM, err, errlen, "out of memory");
    memcpy(order, chosen, count * sizeof *order);
    qsort_r(order, count, sizeof *order, by_start, (void *)p);
    const result_t *first = &p[order[0]];
    uint64_t end = first->started_wall_ns + first->duration_ns;
    for (unsigned i = 1; i < count; i++) {
        const result_t *r = &p[order[i]];
        if (r->started_wall_ns > end + o->late_ns) {
            errmsg_set(EINVAL, err, errlen,
                       "%s began %.1f s after the segments before it had ended (%s first): not "
                       "segments of one run",
                       names[order[i]], (double)(r->started_wall_ns - end) / 1e9, names[order[0]]);
            free(order);
            return EINVAL;
        }
        if (r->started_wall_ns + r->duration_ns > end)
            end = r->started_wall_ns + r->duration_ns;
    }
    free(order);
    uint64_t origin = first->segment.start_at_ns ? first->segment.start_at_ns : began(first);
    for (unsigned k = 0; k < count; k++) {
        const result_t *r = &p[chosen[k]];
        uint64_t late = began(r) > origin ? began(r) - origin : 0;
        if (late > merged->late_ns)
            merged->late_ns = late;
        if (late <= o->late_ns)
            continue;
        merged->late[merged->nlate++] = k;
        note(o,
             "segment %u (%s) began %.3f s after %s: late, its share of the load was not "
             "offered when the schedule meant it to be%s",
             k, names[chosen[k]], (double)late / 1e9,
             r->segment.start_at_ns ? "--start-at" : "the earliest segment",
             r->segment.start_at_ns ? "" : " (give every segment the same --start-at)");
    }
    return 0;
}

int segmerge(result_t *parts, const char *const *names, size_t n, const segmerge_opts_t *opts,
             result_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return errmsg_set(EINVAL, err, errlen, "no results to merge");
    int rc = check_one_run(parts, names, n, err, errlen);
    if (rc)
        return rc;
    unsigned count = parts[0].segment_count;
    if (count == 1 && n == 1) { /* a whole run (or a merge already): itself */
        *out = parts[0];
        memset(&parts[0], 0, sizeof parts[0]);
        return 0;
    }
    size_t *chosen = calloc(count, sizeof *chosen);
    result_segment_t seg = {.start_at_ns = parts[0].segment.start_at_ns, .merged = count};
    seg.late = calloc(count, sizeof *seg.late);
    if (!chosen || !seg.late) {
        rc = errmsg_set(ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    if ((rc = pick_segments(parts, names, n, count, chosen, opts, err, errlen)) ||
        (rc = check_times(parts, names, chosen, count, opts, &seg, err, errlen)))
        goto done;
    /* Segment 0 carries the sum; the digests and shares are added beside it. */
    char digest[SEGMERGE_DIGEST_LEN] = "";
    bool digest_ok = parts[chosen[0]].inputs_digest != NULL;
    if (digest_ok)
        snprintf(digest, sizeof digest, "%s", parts[chosen[0]].inputs_digest);
    bool shares = true;
    for (unsigned k = 0; k < count; k++) {
        const result_t *r = &parts[chosen[k]];
        shares = shares && (r->segment.concurrency || r->segment.connections || count == 1);
        seg.concurrency += r->segment.concurrency;
        seg.connections += r->segment.connections;
        if (k && digest_ok)
            digest_ok = segmerge_digest_add(digest, r->inputs_digest, digest);
    }
    *out = parts[chosen[0]];
    memset(&parts[chosen[0]], 0, sizeof parts[chosen[0]]);
    for (unsigned k = 1; k < count; k++) {
        char why[256];
        if ((rc = result_merge(out, &parts[chosen[k]], why, sizeof why))) {
            rc = errmsg_set(rc, err, errlen, "%s cannot be merged with %s: %s", names[chosen[k]],
                            names[chosen[0]], why);
            goto done;
        }
    }
    free(out->inputs_digest);
    out->inputs_digest = digest_ok ? strdup(digest) : NULL;
    if (digest_ok && !out->inputs_digest) {
        rc = errmsg_set(ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    if (!shares)
        seg.concurrency = seg.connections = 0;
    free(out->segment.late);
    out->segment = seg;
    seg.late = NULL;
    out->segment_index = 0;
    out->segment_count = 1;
done:
    free(chosen);
    free(seg.late);
    if (rc) {
        result_close(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}
