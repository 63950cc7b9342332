/* result_legacy — version 0.1 summaries without histograms. */
#include "stats/result_legacy.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct result_legacy {
    json_t *summary[METRIC_COUNT];
    double *second_ms; /* METRIC_NUM_PCTS per second, NaN = null */
    bool *second_set;
    size_t nseconds;
};

void result_legacy_free(result_legacy_t *l)
{
    if (!l)
        return;
    for (int m = 0; m < METRIC_COUNT; m++)
        json_decref(l->summary[m]);
    free(l->second_ms);
    free(l->second_set);
    free(l);
}

static result_legacy_t *get(result_legacy_t **l)
{
    if (!*l)
        *l = calloc(1, sizeof **l);
    return *l;
}

int result_legacy_set_summary(result_legacy_t **l, metric_id_t m, json_t *summary)
{
    if (!get(l))
        return ENOMEM;
    json_decref((*l)->summary[m]);
    (*l)->summary[m] = json_incref(summary);
    return 0;
}

const json_t *result_legacy_summary(const result_legacy_t *l, metric_id_t m)
{
    return l ? l->summary[m] : NULL;
}

int result_legacy_set_second(result_legacy_t **l, size_t i, const double *ms)
{
    result_legacy_t *g = get(l);
    if (!g)
        return ENOMEM;
    if (i >= g->nseconds) {
        size_t n = i + 1;
        double *v = realloc(g->second_ms, n * METRIC_NUM_PCTS * sizeof *v);
        if (!v)
            return ENOMEM;
        g->second_ms = v;
        bool *set = realloc(g->second_set, n * sizeof *set);
        if (!set)
            return ENOMEM;
        g->second_set = set;
        memset(set + g->nseconds, 0, (n - g->nseconds) * sizeof *set);
        g->nseconds = n;
    }
    memcpy(g->second_ms + i * METRIC_NUM_PCTS, ms, METRIC_NUM_PCTS * sizeof *ms);
    g->second_set[i] = true;
    return 0;
}

bool result_legacy_second_ms(const result_legacy_t *l, size_t i, const double *p, double *out,
                             size_t n)
{
    if (!l || i >= l->nseconds || !l->second_set[i])
        return false;
    for (size_t k = 0; k < n; k++) {
        int idx = metric_pct_index(p[k]);
        if (idx < 0 || !(metric_pcts[idx].shown & METRIC_PCT_BRIEF))
            return false;
        out[k] = l->second_ms[i * METRIC_NUM_PCTS + (size_t)idx];
    }
    return true;
}
