/* result — the model of one run's result: building it from a run, judging
 * its SLAs, reading its summaries, merging two. Its JSON form is in
 * result_json.c. */
#include "stats/result.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/version.h"
#include "stats/result_legacy.h"

static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : ENOMEM;
}

int result_from_run(result_t *out, const result_meta_t *meta, runstats_t *stats, const sla_t *slas,
                    size_t nslas)
{
    memset(out, 0, sizeof *out);
    out->stats = *stats;
    memset(stats, 0, sizeof *stats);
    out->segment_count = meta->segment_count > 1 ? meta->segment_count : 1;
    out->segment_index = meta->segment_index < out->segment_count ? meta->segment_index : 0;
    out->segment = meta->segment;
    out->segment.late = NULL;
    out->segment.nlate = 0;
    out->started_wall_ns = meta->started_wall_ns;
    out->duration_ns = meta->duration_ns;
    out->interrupted = meta->interrupted;
    out->offered_per_s = result_file_real(meta->offered_per_s);
    out->connections = meta->connections;
    int rc;
    if ((rc = dup_str(&out->version, TAILGATE_VERSION)) ||
        (rc = dup_str(&out->target, meta->target)) ||
        (rc = dup_str(&out->inputs_digest, meta->inputs_digest)) ||
        (rc = dup_str(&out->inputs_source, meta->inputs_source)))
        goto fail;
    if (meta->config && !(out->config = json_deep_copy(meta->config))) {
        rc = ENOMEM;
        goto fail;
    }
    if ((rc = result_judge(out, slas, nslas)))
        goto fail;
    return 0;
fail:
    result_close(out);
    return rc;
}

void result_close(result_t *r)
{
    free(r->version);
    json_decref(r->config);
    free(r->target);
    free(r->inputs_digest);
    free(r->inputs_source);
    runstats_close(&r->stats);
    free(r->verdicts);
    free(r->segment.late);
    result_legacy_free(r->legacy);
    memset(r, 0, sizeof *r);
}

double result_file_real(double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.10g", v);
    return strtod(buf, NULL);
}

void result_selfcheck(const result_t *r, selfcheck_t *out)
{
    int64_t streams = 1; /* HTTP/2: the requests one connection carried at once */
    if (!result_config_int(r, "streams_per_connection", &streams) || streams < 1 ||
        streams > UINT32_MAX)
        streams = 1;
    selfcheck_judge(&r->stats, r->offered_per_s, r->connections, (unsigned)streams, out);
}

void result_digest_text(const char *prefix, const uint8_t d[32], char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "%s", prefix);
    for (size_t i = 0; i < 32 && n + 2 < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%02x", d[i]);
}

double result_duration_s(const result_t *r)
{
    return (double)r->duration_ns / 1e9;
}

/* A latency gate on a metric whose file holds a summary but no histogram
 * (version 0.1, hand-edited): the stored value when the summary has it and
 * no failure needs ranking; a summary holds answered values only. */
static void judge_stored(const sla_t *s, const result_t *r, const json_t *summary, sla_verdict_t *v)
{
    const runstats_t *rs = &r->stats;
    bool per_item = metric_table[s->latency].per == METRIC_PER_ITEM;
    uint64_t total = per_item ? rs->items : rs->requests,
             ok = per_item ? rs->items_ok : rs->requests_ok;
    uint64_t failed =
        metric_table[s->latency].per == METRIC_PER_CONNECTION || ok >= total ? 0 : total - ok;
    const char *key = s->metric == SLA_LATENCY_MEAN ? "mean" : s->percentile >= 100 ? "max" : NULL;
    int k = key ? -1 : metric_pct_index(s->percentile);
    if (k >= 0)
        key = metric_pcts[k].key;
    const json_t *stored = key ? json_object_get(summary, key) : NULL;
    v->sla = *s;
    v->value = json_is_number(stored) ? json_number_value(stored) : NAN;
    if (s->metric == SLA_LATENCY_PCT && failed > 0) {
        snprintf(v->note, sizeof v->note,
                 "the file has no histogram to rank its %llu failed %s against",
                 (unsigned long long)failed, metric_per_noun(metric_table[s->latency].per));
        v->value = NAN;
    } else {
        snprintf(v->note, sizeof v->note, "%s",
                 stored ? "from the file's summary (no histogram)"
                        : "the file stores no such percentile");
    }
    v->pass = sla_holds(s, v->value);
}

/* A streamed run that records it had no --goodput bounds: every success
 * counted as good, so goodput and slo_attainment measured nothing a gate on
 * them means ('run' refuses such a gate; a file judged again must not pass
 * it). A file that records nothing about bounds is judged as it stands. */
static bool without_goodput_bounds(const result_t *r, const sla_t *s)
{
    return (s->metric == SLA_GOODPUT || s->metric == SLA_SLO_ATTAINMENT) &&
           runstats_streamed(&r->stats) && json_is_null(json_object_get(r->config, "goodput"));
}

int result_verdicts(const result_t *r, const sla_t *slas, size_t n, sla_verdict_t **out,
                    bool *all_pass)
{
    sla_verdict_t *v = n ? calloc(n, sizeof *v) : NULL;
    if (n && !v)
        return ENOMEM;
    bool pass = true;
    for (size_t i = 0; i < n; i++) {
        const sla_t *s = &slas[i];
        bool latency = s->metric == SLA_LATENCY_PCT || s->metric == SLA_LATENCY_MEAN;
        const json_t *stored = result_legacy_summary(r->legacy, s->latency);
        if (latency && !r->stats.hist[s->latency] && stored) {
            judge_stored(s, r, stored, &v[i]);
        } else if (without_goodput_bounds(r, s)) {
            v[i].sla = *s;
            v[i].value = NAN;
            v[i].pass = false;
            snprintf(v[i].note, sizeof v[i].note,
                     "the run had no --goodput bounds: nothing says which requests were good");
        } else {
            sla_judge(s, &r->stats, result_duration_s(r), &v[i]);
        }
        pass = pass && v[i].pass;
    }
    *out = v;
    *all_pass = pass;
    return 0;
}

int result_judge(result_t *r, const sla_t *slas, size_t nslas)
{
    sla_verdict_t *v;
    bool pass;
    int rc = result_verdicts(r, slas, nslas, &v, &pass);
    if (rc)
        return rc;
    free(r->verdicts);
    r->verdicts = v;
    r->nverdicts = nslas;
    r->sla_pass = pass;
    return 0;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* A stored summary's member: its number, NaN for null or absent. */
static double stored_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

void result_summary(const result_t *r, metric_id_t m, result_summary_t *out)
{
    const hist_t *h = r->stats.hist[m];
    const json_t *stored = h ? NULL : result_legacy_summary(r->legacy, m);
    out->present = h || stored;
    if (h) {
        bool any = hist_count(h) > 0;
        out->count = (double)hist_count(h);
        for (int k = 0; k < METRIC_NUM_PCTS; k++)
            out->pct_ms[k] = any ? ms(hist_percentile(h, metric_pcts[k].p)) : NAN;
        out->min_ms = any ? ms(hist_min(h)) : NAN;
        out->max_ms = any ? ms(hist_max(h)) : NAN;
        out->mean_ms = any ? hist_mean(h) / 1e6 : NAN;
        out->stdev_ms = any ? hist_stdev(h) / 1e6 : NAN;
        return;
    }
    out->count = stored_num(stored, "count");
    for (int k = 0; k < METRIC_NUM_PCTS; k++)
        out->pct_ms[k] = stored_num(stored, metric_pcts[k].key);
    out->min_ms = stored_num(stored, "min");
    out->max_ms = stored_num(stored, "max");
    out->mean_ms = stored_num(stored, "mean");
    out->stdev_ms = stored_num(stored, "stdev");
}

bool result_second_ms(const result_t *r, size_t i, metric_id_t m, const double *p, double *out,
                      size_t n)
{
    uint64_t v[METRIC_NUM_PCTS + 8];
    if (n <= sizeof v / sizeof v[0] && runstats_second_percentiles(&r->stats, i, m, p, v, n)) {
        for (size_t k = 0; k < n; k++)
            out[k] = ms(v[k]);
        return true;
    }
    return m == METRIC_ITEM && result_legacy_second_ms(r->legacy, i, p, out, n);
}

bool result_config_int(const result_t *r, const char *key, int64_t *v)
{
    const json_t *j = json_object_get(r->config, key);
    if (!json_is_integer(j))
        return false;
    *v = json_integer_value(j);
    return true;
}

const char *result_config_str(const result_t *r, const char *key)
{
    return json_string_value(json_object_get(r->config, key));
}

void result_started_at(const result_t *r, char *buf, size_t len)
{
    time_t secs = (time_t)(r->started_wall_ns / CLOCK_NS_PER_S);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03uZ",
             (unsigned)(r->started_wall_ns % CLOCK_NS_PER_S / CLOCK_NS_PER_MS));
}

/* Whole seconds from `from` to `to` (to >= from), rounded: the timeline shift
 * that puts a run started at `to` on the clock of one started at `from`. */
static size_t seconds_between(uint64_t from, uint64_t to)
{
    return (size_t)((to - from + CLOCK_NS_PER_S / 2) / CLOCK_NS_PER_S);
}

int result_merge(result_t *dst, const result_t *src, char *err, size_t errlen)
{
    if (dst->legacy || src->legacy) {
        snprintf(err, errlen, "a result of version 0.1 without its histograms cannot be merged");
        return EINVAL;
    }
    for (int m = 0; m < METRIC_COUNT; m++) {
        if (!dst->stats.hist[m] != !src->stats.hist[m]) {
            snprintf(err, errlen, "only one of the two results has a %s histogram",
                     metric_table[m].key);
            return EINVAL;
        }
    }
    uint64_t apart = dst->started_wall_ns > src->started_wall_ns
                         ? dst->started_wall_ns - src->started_wall_ns
                         : src->started_wall_ns - dst->started_wall_ns;
    if (apart > RESULT_MERGE_MAX_APART_S * CLOCK_NS_PER_S) {
        snprintf(err, errlen, "the two runs started %.0f s apart: not parts of one run",
                 (double)apart / 1e9);
        return EINVAL;
    }
    runstats_t sum;
    int rc = runstats_init(&sum, 0);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    for (int m = 0; m < METRIC_COUNT && !rc; m++) {
        hist_free(sum.hist[m]);
        sum.hist[m] = NULL;
        if (dst->stats.hist[m])
            rc = hist_new_like(&sum.hist[m], dst->stats.hist[m]);
    }
    uint64_t start =
        dst->started_wall_ns < src->started_wall_ns ? dst->started_wall_ns : src->started_wall_ns;
    uint64_t end_d = dst->started_wall_ns + dst->duration_ns,
             end_s = src->started_wall_ns + src->duration_ns;
    if (!rc)
        rc =
            runstats_merge_shifted(&sum, &dst->stats, seconds_between(start, dst->started_wall_ns));
    if (!rc)
        rc =
            runstats_merge_shifted(&sum, &src->stats, seconds_between(start, src->started_wall_ns));
    sla_t *slas = dst->nverdicts ? calloc(dst->nverdicts, sizeof *slas) : NULL;
    if (!rc && dst->nverdicts && !slas)
        rc = ENOMEM;
    if (rc) {
        snprintf(err, errlen, "%s",
                 rc == EINVAL ? "the histograms have different parameters" : "out of memory");
        runstats_close(&sum);
        free(slas);
        return rc;
    }
    for (size_t i = 0; i < dst->nverdicts; i++)
        slas[i] = dst->verdicts[i].sla;
    runstats_close(&dst->stats);
    dst->stats = sum;
    dst->started_wall_ns = start;
    dst->duration_ns = (end_d > end_s ? end_d : end_s) - start;
    dst->interrupted = dst->interrupted || src->interrupted;
    dst->offered_per_s = result_file_real(dst->offered_per_s + src->offered_per_s);
    dst->connections = dst->connections && src->connections ? dst->connections + src->connections
                                                            : 0; /* one unlimited: unlimited */
    if (dst->inputs_digest &&
        !(src->inputs_digest && !strcmp(dst->inputs_digest, src->inputs_digest))) {
        free(dst->inputs_digest);
        dst->inputs_digest = NULL;
    }
    if (dst->inputs_source &&
        !(src->inputs_source && !strcmp(dst->inputs_source, src->inputs_source))) {
        free(dst->inputs_source);
        dst->inputs_source = NULL;
    }
    rc = result_judge(dst, slas, dst->nverdicts);
    free(slas);
    if (rc)
        snprintf(err, errlen, "out of memory");
    return rc;
}
