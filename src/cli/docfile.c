/* docfile — telling tailgate's JSON files apart (docfile.h). */
#include "cli/docfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "stats/sweep.h"

static const struct {
    const char *name;   /* "a sweep result" */
    const char *origin; /* "tailgate sweep --out" */
} kinds[] = {
    [DOCFILE_RUN] = {"a run result", "tailgate run --out"},
    [DOCFILE_SWEEP] = {"a sweep result", "tailgate sweep --out"},
    [DOCFILE_COMPARISON] = {"a comparison", "tailgate diff -o, or ab's comparison.json"},
    [DOCFILE_STUB_STATS] = {"the stub's counters", "GET /stats of tailgate stub"},
    [DOCFILE_OTHER] = {"not a file tailgate writes", "no \"tool\": \"tailgate\""},
};

docfile_kind_t docfile_kind(const json_t *j)
{
    if (!json_is_object(j))
        return DOCFILE_OTHER;
    if (sweep_doc_is(j))
        return DOCFILE_SWEEP;
    const json_t *requests = json_object_get(j, "requests");
    if (json_is_object(json_object_get(j, "baseline")) &&
        json_is_object(json_object_get(j, "optimized")) && !requests)
        return DOCFILE_COMPARISON;
    const char *tool = json_string_value(json_object_get(j, "tool"));
    if (tool && !strcmp(tool, "tailgate"))
        return DOCFILE_RUN;
    if (json_is_integer(requests) && json_is_number(json_object_get(j, "uptime_s")))
        return DOCFILE_STUB_STATS;
    return DOCFILE_OTHER;
}

int docfile_load(const char *path, docfile_kind_t want, const char *takes, json_t **out, char *err,
                 size_t errlen)
{
    json_t *j = NULL;
    int rc = result_load_json(path, &j, err, errlen);
    if (rc == EINVAL) { /* not JSON: what was wanted instead */
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, ": %s", takes);
    }
    if (rc)
        return rc;
    docfile_kind_t k = docfile_kind(j);
    if (k == want) {
        *out = j;
        return 0;
    }
    bool object = json_is_object(j);
    json_decref(j);
    if (k == DOCFILE_OTHER)
        snprintf(err, errlen, "%s is %s (%s): %s", path, kinds[k].name,
                 object ? kinds[k].origin : "not a JSON object", takes);
    else
        snprintf(err, errlen, "%s is %s (%s), not %s: %s", path, kinds[k].name, kinds[k].origin,
                 kinds[want].name, takes);
    return EINVAL;
}

int docfile_read_run(const char *path, const char *takes, result_t *out, char *err, size_t errlen)
{
    json_t *j = NULL;
    memset(out, 0, sizeof *out);
    int rc = docfile_load(path, DOCFILE_RUN, takes, &j, err, errlen);
    if (rc)
        return rc;
    char why[512];
    rc = result_from_json(j, out, why, sizeof why);
    json_decref(j);
    if (rc == EINVAL)
        snprintf(err, errlen, "%s is not a valid run result: %s; %s", path, why, takes);
    else if (rc)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}
