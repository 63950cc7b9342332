/* hist — HDR-style log-linear histogram.
 *
 * Layout (the HdrHistogram scheme): values are first scaled by a unit of
 * 2^unit_magnitude, chosen as the largest power of two <= lowest * 10^-sig_digits
 * so that even the lowest trackable value is resolved to the declared precision.
 * Bucket 0 covers [0, sub_count) units one unit apart; bucket b >= 1 covers
 * [half_count << b, sub_count << b) units in steps of 2^b units, i.e. every
 * power-of-two range is split into half_count equal sub-buckets. half_count is the
 * smallest power of two >= 10^sig_digits, so a sub-bucket's width is at most
 * value / half_count <= value * 10^-sig_digits. The lower half of every bucket
 * but the first duplicates the previous bucket, so the counts array stores only
 * upper halves: index = ((b + 1) << half_magnitude) + (sub - half_count).
 *
 * Reported value: a percentile is the highest value equivalent to the bucket
 * holding the exact order statistic (HdrHistogram's choice), clamped to
 * [min, max]. It is never below the exact value and exceeds it by less than one
 * bucket width, so the relative error is < 10^-sig_digits, and an SLA such as
 * "p95 <= 800ms" that holds on the reported value holds on the exact one.
 *
 * Memory: the default latency histogram (1 us .. 1 h, 3 digits) has 33,4xx
 * counters of 8 bytes, about 261 KiB, in one allocation. A frozen copy keeps
 * only the non-empty buckets (12 bytes each), for collections that grow with
 * the run such as the per-second timeline. */
#include "stats/hist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

struct hist {
    uint64_t lowest, highest;
    int sig_digits;
    int unit_magnitude; /* unit = 2^unit_magnitude */
    int half_magnitude; /* half_count = 2^half_magnitude */
    uint64_t half_count;
    uint64_t sub_mask; /* (sub_count - 1) << unit_magnitude */
    size_t counts_len;
    uint64_t count, min, max;
    u128 sum, sum_sq; /* exact: 2^128 > 1e12 values of (3.6e12 ns)^2 */
    uint64_t counts[];
};

static int floor_log2(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

static int bucket_of(const hist_t *h, uint64_t v)
{
    int pow2ceil = 64 - __builtin_clzll(v | h->sub_mask);
    return pow2ceil - h->unit_magnitude - (h->half_magnitude + 1);
}

static size_t index_of(const hist_t *h, uint64_t v)
{
    int b = bucket_of(h, v);
    uint64_t sub = v >> (b + h->unit_magnitude);
    return ((size_t)(b + 1) << h->half_magnitude) + (size_t)(sub - h->half_count);
}

/* Lowest value of the bucket at index i, and the bucket's width. */
static uint64_t index_low(const hist_t *h, size_t i, uint64_t *width)
{
    int b = (int)(i >> h->half_magnitude) - 1;
    uint64_t sub = (i & (h->half_count - 1)) + h->half_count;
    if (b < 0) {
        sub -= h->half_count;
        b = 0;
    }
    *width = 1ull << (b + h->unit_magnitude);
    return sub << (b + h->unit_magnitude);
}

static uint64_t clamp_value(const hist_t *h, uint64_t v)
{
    return v < h->lowest ? h->lowest : v > h->highest ? h->highest : v;
}

static bool params_valid(uint64_t lowest, uint64_t highest, int sig)
{
    /* highest < 2^62 keeps every shift and the bucket arithmetic in range. */
    return lowest >= 1 && highest / 2 >= lowest && highest < (1ull << 62) && sig >= 1 && sig <= 5;
}

int hist_new(hist_t **out, uint64_t lowest, uint64_t highest, int sig_digits)
{
    if (!params_valid(lowest, highest, sig_digits))
        return EINVAL;
    uint64_t pow10 = 1;
    for (int i = 0; i < sig_digits; i++)
        pow10 *= 10;
    hist_t proto = {.lowest = lowest, .highest = highest, .sig_digits = sig_digits};
    proto.unit_magnitude = lowest / pow10 ? floor_log2(lowest / pow10) : 0;
    proto.half_magnitude = floor_log2(pow10 - 1) + 1; /* 2^m >= pow10 */
    proto.half_count = 1ull << proto.half_magnitude;
    proto.sub_mask = ((proto.half_count << 1) - 1) << proto.unit_magnitude;
    proto.counts_len = index_of(&proto, highest) + 1;

    hist_t *h = calloc(1, sizeof *h + proto.counts_len * sizeof(uint64_t));
    if (!h)
        return ENOMEM;
    *h = proto;
    *out = h;
    return 0;
}

int hist_new_latency(hist_t **out)
{
    return hist_new(out, HIST_LOWEST_NS, HIST_HIGHEST_NS, HIST_SIG_DIGITS);
}

int hist_new_like(hist_t **out, const hist_t *h)
{
    return hist_new(out, h->lowest, h->highest, h->sig_digits);
}

void hist_free(hist_t *h)
{
    free(h);
}

void hist_reset(hist_t *h)
{
    memset(h->counts, 0, h->counts_len * sizeof(uint64_t));
    h->count = h->min = h->max = 0;
    h->sum = h->sum_sq = 0;
}

void hist_record_n(hist_t *h, uint64_t value, uint64_t n)
{
    if (!n)
        return;
    h->counts[index_of(h, clamp_value(h, value))] += n;
    if (!h->count || value < h->min)
        h->min = value;
    if (!h->count || value > h->max)
        h->max = value;
    h->count += n;
    h->sum += (u128)value * n;
    h->sum_sq += (u128)value * value * n;
}

void hist_record(hist_t *h, uint64_t value)
{
    hist_record_n(h, value, 1);
}

static bool same_params(const hist_t *a, uint64_t lowest, uint64_t highest, int sig_digits)
{
    return a->lowest == lowest && a->highest == highest && a->sig_digits == sig_digits;
}

/* The totals half of a merge: dst's count, min, max and sums take in another
 * histogram's (its buckets are added by the caller). */
static void add_totals(hist_t *dst, uint64_t count, uint64_t min, uint64_t max, u128 sum,
                       u128 sum_sq)
{
    if (!count)
        return;
    if (!dst->count || min < dst->min)
        dst->min = min;
    if (!dst->count || max > dst->max)
        dst->max = max;
    dst->count += count;
    dst->sum += sum;
    dst->sum_sq += sum_sq;
}

int hist_merge(hist_t *dst, const hist_t *src)
{
    if (!same_params(dst, src->lowest, src->highest, src->sig_digits))
        return EINVAL;
    if (!src->count)
        return 0;
    for (size_t i = 0; i < src->counts_len; i++)
        dst->counts[i] += src->counts[i];
    add_totals(dst, src->count, src->min, src->max, src->sum, src->sum_sq);
    return 0;
}

/* Non-empty buckets only: counts[k] belongs at index idx[k] (idx follows counts
 * in the same allocation). */
struct hist_frozen {
    uint64_t lowest, highest;
    int sig_digits;
    size_t n;
    uint64_t count, min, max;
    u128 sum, sum_sq;
    uint32_t *idx;
    uint64_t counts[];
};

int hist_freeze(const hist_t *h, hist_frozen_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < h->counts_len; i++)
        n += h->counts[i] != 0;
    hist_frozen_t *f = malloc(sizeof *f + n * (sizeof(uint64_t) + sizeof(uint32_t)));
    if (!f)
        return ENOMEM;
    *f = (hist_frozen_t){.lowest = h->lowest,
                         .highest = h->highest,
                         .sig_digits = h->sig_digits,
                         .n = n,
                         .count = h->count,
                         .min = h->min,
                         .max = h->max,
                         .sum = h->sum,
                         .sum_sq = h->sum_sq};
    f->idx = (uint32_t *)(f->counts + n);
    size_t k = 0;
    for (size_t i = 0; i < h->counts_len; i++) {
        if (h->counts[i]) {
            f->counts[k] = h->counts[i];
            f->idx[k++] = (uint32_t)i;
        }
    }
    *out = f;
    return 0;
}

int hist_thaw_into(hist_t *dst, const hist_frozen_t *f)
{
    if (!same_params(dst, f->lowest, f->highest, f->sig_digits))
        return EINVAL;
    for (size_t k = 0; k < f->n; k++)
        dst->counts[f->idx[k]] += f->counts[k];
    add_totals(dst, f->count, f->min, f->max, f->sum, f->sum_sq);
    return 0;
}

void hist_frozen_free(hist_frozen_t *f)
{
    free(f);
}

uint64_t hist_count(const hist_t *h)
{
    return h->count;
}

uint64_t hist_min(const hist_t *h)
{
    return h->min;
}

uint64_t hist_max(const hist_t *h)
{
    return h->max;
}

int hist_sig_digits(const hist_t *h)
{
    return h->sig_digits;
}

double hist_mean(const hist_t *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}

/* Population standard deviation: sqrt(n*sum_sq - sum^2) / n, in exact integer
 * arithmetic when it fits (no cancellation), in long double otherwise. */
double hist_stdev(const hist_t *h)
{
    if (h->count < 2)
        return 0.0;
    u128 a, b;
    long double n = (long double)h->count, var;
    if (!__builtin_mul_overflow((u128)h->count, h->sum_sq, &a) &&
        !__builtin_mul_overflow(h->sum, h->sum, &b))
        var = a > b ? (long double)(a - b) / (n * n) : 0; /* a < b only from bad JSON */
    else
        var = ((long double)h->sum_sq - (long double)h->sum * (long double)h->sum / n) / n;
    return var > 0 ? (double)sqrtl(var) : 0.0;
}

/* Rank of the order statistic for percentile p: ceil(p/100 * count), at least
 * 1. p is taken to a resolution of 10^-6 percentile points and the product is
 * computed in integers, so p = 99.9 on 1000 values gives rank 999 exactly
 * (double arithmetic would give 999.0000000000001 and round up). */
uint64_t hist_rank(uint64_t count, double p)
{
    u128 scaled = (u128)llround(p * 1e6); /* p in [0, 100] -> <= 1e8 */
    u128 rank = (scaled * count + 99999999) / 100000000;
    return rank ? (uint64_t)rank : 1;
}

uint64_t hist_percentile(const hist_t *h, double p)
{
    if (!h->count)
        return 0;
    if (!(p > 0)) /* also NaN */
        return h->min;
    if (p >= 100)
        return h->max;
    return hist_at_rank(h, hist_rank(h->count, p));
}

uint64_t hist_at_rank(const hist_t *h, uint64_t rank)
{
    if (!h->count)
        return 0;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->counts_len; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t width, v = index_low(h, i, &width) + width - 1;
            return v < h->min ? h->min : v > h->max ? h->max : v;
        }
    }
    return h->max; /* rank beyond count */
}

uint64_t hist_count_at_most(const hist_t *h, uint64_t v)
{
    uint64_t n = 0;
    for (size_t i = 0; h->count && i < h->counts_len; i++) {
        if (!h->counts[i])
            continue;
        uint64_t width, hi = index_low(h, i, &width) + width - 1;
        hi = hi < h->min ? h->min : hi > h->max ? h->max : hi;
        if (hi > v)
            break;
        n += h->counts[i];
    }
    return n;
}

/* u128 -> JSON, exactly: an integer when it fits in JSON's int64, else its
 * decimal digits as a string (a real would keep 10 significant digits of a
 * sum of squares, and a round trip through the file would change stdev). */
static json_t *u128_json(u128 v)
{
    if (v <= (u128)INT64_MAX)
        return json_integer((json_int_t)v);
    char buf[48];
    size_t n = sizeof buf;
    buf[--n] = '\0';
    do {
        buf[--n] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    return json_string(buf + n);
}

json_t *hist_to_json(const hist_t *h)
{
    json_t *buckets = json_array();
    if (!buckets)
        return NULL;
    for (size_t i = 0; i < h->counts_len; i++) {
        if (!h->counts[i])
            continue;
        if (json_array_append_new(buckets,
                                  json_pack("[I,I]", (json_int_t)i, (json_int_t)h->counts[i]))) {
            json_decref(buckets);
            return NULL;
        }
    }
    return json_pack("{s:I,s:I,s:i,s:s,s:I,s:I,s:I,s:o,s:o,s:o}", "lowest", (json_int_t)h->lowest,
                     "highest", (json_int_t)h->highest, "sig_digits", h->sig_digits, "unit", "ns",
                     "count", (json_int_t)h->count, "min", (json_int_t)h->min, "max",
                     (json_int_t)h->max, "sum", u128_json(h->sum), "sum_sq", u128_json(h->sum_sq),
                     "buckets", buckets);
}

/* Reads a non-negative integer member. */
static bool get_uint(const json_t *j, const char *key, uint64_t *v, char *err, size_t errlen)
{
    json_t *m = json_object_get(j, key);
    if (!json_is_integer(m) || json_integer_value(m) < 0) {
        snprintf(err, errlen, "histogram: \"%s\" must be a non-negative integer", key);
        return false;
    }
    *v = (uint64_t)json_integer_value(m);
    return true;
}

/* Reads sum/sum_sq: a non-negative integer, a string of decimal digits above
 * int64 (what hist_to_json writes there), or a finite non-negative real
 * (what version 0.1 wrote there). */
static bool get_u128(const json_t *j, const char *key, u128 *v, char *err, size_t errlen)
{
    json_t *m = json_object_get(j, key);
    if (json_is_integer(m) && json_integer_value(m) >= 0) {
        *v = (u128)json_integer_value(m);
        return true;
    }
    if (json_is_string(m)) {
        const char *p = json_string_value(m);
        u128 acc = 0;
        size_t n = 0;
        for (; p[n] >= '0' && p[n] <= '9'; n++) {
            u128 next = acc * 10 + (u128)(p[n] - '0');
            if (next / 10 != acc) /* overflow: more than 2^128 */
                break;
            acc = next;
        }
        /* Canonical only: a string holds a value an integer cannot. */
        if (n && !p[n] && acc > (u128)INT64_MAX) {
            *v = acc;
            return true;
        }
    }
    if (json_is_real(m)) {
        double d = json_real_value(m);
        if (d >= 0 && d < 1.7e38) { /* < 2^127 */
            *v = (u128)d;
            return true;
        }
    }
    snprintf(err, errlen, "histogram: \"%s\" must be a non-negative integer", key);
    return false;
}

int hist_from_json(const json_t *j, hist_t **out, char *err, size_t errlen)
{
    uint64_t lowest, highest, sig, count, min, max;
    u128 sum, sum_sq;
    hist_t *h = NULL;
    if (!json_is_object(j)) {
        snprintf(err, errlen, "histogram: not a JSON object");
        return EINVAL;
    }
    if (!get_uint(j, "lowest", &lowest, err, errlen) ||
        !get_uint(j, "highest", &highest, err, errlen) ||
        !get_uint(j, "sig_digits", &sig, err, errlen) ||
        !get_uint(j, "count", &count, err, errlen) || !get_uint(j, "min", &min, err, errlen) ||
        !get_uint(j, "max", &max, err, errlen) || !get_u128(j, "sum", &sum, err, errlen) ||
        !get_u128(j, "sum_sq", &sum_sq, err, errlen))
        return EINVAL;
    json_t *unit = json_object_get(j, "unit");
    if (!json_is_string(unit) || strcmp(json_string_value(unit), "ns")) {
        snprintf(err, errlen, "histogram: \"unit\" must be \"ns\"");
        return EINVAL;
    }
    if (sig > 5 || !params_valid(lowest, highest, (int)sig)) {
        snprintf(err, errlen,
                 "histogram: invalid parameters lowest=%llu highest=%llu sig_digits=%llu "
                 "(need lowest >= 1, highest >= 2*lowest, highest < 2^62, sig_digits 1..5)",
                 (unsigned long long)lowest, (unsigned long long)highest, (unsigned long long)sig);
        return EINVAL;
    }
    if (count ? min > max : (min || max || sum || sum_sq)) {
        snprintf(err, errlen, "histogram: min/max/sum inconsistent with count %llu",
                 (unsigned long long)count);
        return EINVAL;
    }
    json_t *buckets = json_object_get(j, "buckets");
    if (!json_is_array(buckets)) {
        snprintf(err, errlen, "histogram: \"buckets\" must be an array");
        return EINVAL;
    }
    int rc = hist_new(&h, lowest, highest, (int)sig);
    if (rc) {
        snprintf(err, errlen, "histogram: %s", strerror(rc));
        return rc;
    }
    uint64_t total = 0;
    size_t first = 0, last = 0;
    for (size_t k = 0; k < json_array_size(buckets); k++) {
        json_t *b = json_array_get(buckets, k);
        json_t *ji = json_array_get(b, 0), *jc = json_array_get(b, 1);
        if (!json_is_array(b) || json_array_size(b) != 2 || !json_is_integer(ji) ||
            !json_is_integer(jc)) {
            snprintf(err, errlen, "histogram: bucket %zu is not a pair [index, count]", k);
            goto fail;
        }
        json_int_t i = json_integer_value(ji), c = json_integer_value(jc);
        if (i < 0 || (uint64_t)i >= h->counts_len || (k && (size_t)i <= last)) {
            snprintf(err, errlen,
                     "histogram: bucket %zu index %lld out of range or order (0..%zu, "
                     "increasing)",
                     k, (long long)i, h->counts_len - 1);
            goto fail;
        }
        if (c <= 0 || (uint64_t)c > count - total) {
            snprintf(err, errlen, "histogram: bucket %zu count %lld invalid or above total", k,
                     (long long)c);
            goto fail;
        }
        if (!k)
            first = (size_t)i;
        last = (size_t)i;
        h->counts[i] = (uint64_t)c;
        total += (uint64_t)c;
    }
    if (total != count) {
        snprintf(err, errlen, "histogram: bucket counts sum to %llu, \"count\" is %llu",
                 (unsigned long long)total, (unsigned long long)count);
        goto fail;
    }
    /* The exact min and max were recorded in the first and last buckets. */
    if (count &&
        (index_of(h, clamp_value(h, min)) != first || index_of(h, clamp_value(h, max)) != last)) {
        snprintf(err, errlen, "histogram: min/max do not fall in the first/last bucket");
        goto fail;
    }
    h->count = count;
    h->min = min;
    h->max = max;
    h->sum = sum;
    h->sum_sq = sum_sq;
    *out = h;
    return 0;
fail:
    hist_free(h);
    return EINVAL;
}
