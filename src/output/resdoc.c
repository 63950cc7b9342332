/* resdoc — reading result and comparison documents. */
#include "output/resdoc.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "stats/hist.h"

/* j["a"]["b"]... for the dotted path "a.b"; NULL when any step is missing. */
const json_t *resdoc_get(const json_t *j, const char *path)
{
    char key[64];
    const char *p = path;
    while (j && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof key)
            return NULL;
        memcpy(key, p, len);
        key[len] = '\0';
        j = json_is_object(j) ? json_object_get(j, key) : NULL;
        p += len + (dot ? 1 : 0);
    }
    return j;
}

double resdoc_num(const json_t *j, const char *path)
{
    const json_t *v = resdoc_get(j, path);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *resdoc_str(const json_t *j, const char *path)
{
    const json_t *v = resdoc_get(j, path);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int expect(const json_t *j, const char *path, int type, bool required, char *err,
                  size_t errlen)
{
    const json_t *v = resdoc_get(j, path);
    static const char *const names[] = {
        [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
        [JSON_INTEGER] = "a number", [JSON_REAL] = "a number",  [JSON_TRUE] = "a boolean",
        [JSON_FALSE] = "a boolean",  [JSON_NULL] = "null"};
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(err, errlen, "\"%s\" is missing", path);
        return EINVAL;
    }
    int t = json_typeof(v);
    bool ok = t == type || (type == JSON_REAL && t == JSON_INTEGER) ||
              (type == JSON_TRUE && t == JSON_FALSE);
    if (!ok) {
        snprintf(err, errlen, "\"%s\" is %s, expected %s", path, names[t], names[type]);
        return EINVAL;
    }
    return 0;
}

int resdoc_check_result(const json_t *j, char *err, size_t errlen)
{
    if (!json_is_object(j)) {
        snprintf(err, errlen, "not a JSON object (a tailgate result, from 'run --out')");
        return EINVAL;
    }
    if (resdoc_get(j, "baseline") && resdoc_get(j, "optimized") && !resdoc_get(j, "requests")) {
        snprintf(err, errlen, "this is a comparison, not a result: pass it with --comparison");
        return EINVAL;
    }
    const char *tool = resdoc_str(j, "tool");
    if (tool && strcmp(tool, "tailgate")) {
        snprintf(err, errlen, "\"tool\" is \"%.40s\", not a tailgate result", tool);
        return EINVAL;
    }
    static const struct {
        const char *path;
        int type;
        bool required;
    } fields[] = {
        {"requests", JSON_OBJECT, true},
        {"requests.total", JSON_REAL, true},
        {"requests.ok", JSON_REAL, true},
        {"requests.errors", JSON_REAL, false},
        {"requests.by_status", JSON_OBJECT, false},
        {"requests.by_error", JSON_OBJECT, false},
        {"latency_ms", JSON_OBJECT, true},
        {"latency_ms.item", JSON_OBJECT, false},
        {"latency_ms.request", JSON_OBJECT, false},
        {"latency_ms.service", JSON_OBJECT, false},
        {"items", JSON_OBJECT, false},
        {"throughput", JSON_OBJECT, false},
        {"config", JSON_OBJECT, false},
        {"timeline", JSON_ARRAY, false},
        {"histogram", JSON_OBJECT, false},
        {"sla", JSON_ARRAY, false},
        {"duration_s", JSON_REAL, false},
        {"started_at", JSON_STRING, false},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (expect(j, fields[i].path, fields[i].type, fields[i].required, err, errlen))
            return EINVAL;
    const json_t *tl = resdoc_get(j, "timeline");
    for (size_t i = 0; i < json_array_size(tl); i++)
        if (!json_is_object(json_array_get(tl, i))) {
            snprintf(err, errlen, "\"timeline[%zu]\" is not an object", i);
            return EINVAL;
        }
    const json_t *sla = resdoc_get(j, "sla");
    for (size_t i = 0; i < json_array_size(sla); i++)
        if (!json_is_object(json_array_get(sla, i))) {
            snprintf(err, errlen, "\"sla[%zu]\" is not an object", i);
            return EINVAL;
        }
    static const char *const hists[] = {"histogram.item", "histogram.request"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *h = resdoc_get(j, hists[i]);
        if (!h)
            continue;
        hist_t *tmp = NULL;
        char why[200];
        if (hist_from_json(h, &tmp, why, sizeof why)) {
            snprintf(err, errlen, "\"%s\": %s", hists[i], why);
            return EINVAL;
        }
        hist_free(tmp);
    }
    return 0;
}

int resdoc_check_comparison(const json_t *j, char *err, size_t errlen)
{
    if (!json_is_object(j)) {
        snprintf(err, errlen, "not a JSON object (a comparison, from 'diff' or 'ab')");
        return EINVAL;
    }
    if (resdoc_get(j, "requests") && !resdoc_get(j, "baseline")) {
        snprintf(err, errlen, "this is a result, not a comparison: pass it as RESULT.json");
        return EINVAL;
    }
    if (expect(j, "baseline", JSON_OBJECT, true, err, errlen) ||
        expect(j, "optimized", JSON_OBJECT, true, err, errlen) ||
        expect(j, "delta", JSON_OBJECT, false, err, errlen) ||
        expect(j, "sla", JSON_ARRAY, false, err, errlen))
        return EINVAL;
    return 0;
}

/* "connect_refused" when one kind explains every error, else
 * "connect_refused 30, timeout 20". */
void resdoc_describe_errors(const json_t *r, char *buf, size_t len)
{
    const json_t *by = resdoc_get(r, "requests.by_error");
    double errors = resdoc_num(r, "requests.errors");
    size_t kinds = 0, off = 0;
    const char *key;
    json_t *v;
    buf[0] = '\0';
    json_object_foreach((json_t *)by, key, v) if (json_number_value(v) > 0) kinds++;
    json_object_foreach((json_t *)by, key, v)
    {
        if (!(json_number_value(v) > 0) || off >= len)
            continue;
        if (kinds == 1 && json_number_value(v) == errors)
            off += (size_t)snprintf(buf + off, len - off, "%s", key);
        else
            off += (size_t)snprintf(buf + off, len - off, "%s%s %.0f", off ? ", " : "", key,
                                    json_number_value(v));
    }
}

/* "200: 990, 503: 10" from an object of counts. */
void resdoc_describe_counts(const json_t *obj, char *buf, size_t len)
{
    size_t off = 0;
    const char *key;
    json_t *v;
    buf[0] = '\0';
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!json_is_number(v) || off >= len)
            continue;
        off += (size_t)snprintf(buf + off, len - off, "%s%s: %.0f", off ? ", " : "", key,
                                json_number_value(v));
    }
    if (!off)
        snprintf(buf, len, "-");
}
