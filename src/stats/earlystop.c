#include "stats/earlystop.h"

#include <math.h>

static double log_pmf(uint64_t k, uint64_t n, double lq, double lp)
{
    double dn = (double)n, dk = (double)k;
    return lgamma(dn + 1) - lgamma(dk + 1) - lgamma(dn - dk + 1) + dk * lq + (dn - dk) * lp;
}

double earlystop_binom_cdf(uint64_t t, uint64_t n, double q)
{
    if (t >= n || q <= 0)
        return 1.0;
    if (q >= 1)
        return 0.0;
    double lq = log(q), lp = log1p(-q);
    /* log-sum-exp from the largest term down: the terms of a binomial tail
     * rise to the mode, so the biggest of k <= t is at min(t, mode). */
    uint64_t mode = (uint64_t)floor((double)(n + 1) * q);
    uint64_t top = t < mode ? t : mode;
    double lmax = log_pmf(top, n, lq, lp);
    double sum = 0;
    for (uint64_t k = top + 1; k-- > 0;) {
        double d = log_pmf(k, n, lq, lp) - lmax;
        if (d < -745) /* below the smallest double: the rest add nothing */
            break;
        sum += exp(d);
    }
    for (uint64_t k = top + 1; k <= t; k++) {
        double d = log_pmf(k, n, lq, lp) - lmax;
        if (d < -745)
            break;
        sum += exp(d);
    }
    double r = exp(lmax + log(sum));
    return r > 1 ? 1 : r;
}

bool earlystop_accept(uint64_t n, uint64_t t, double p, double c)
{
    if (n == 0 || !(p > 0 && p < 1) || !(c > 0 && c < 1))
        return false;
    return earlystop_binom_cdf(t, n, 1 - p) <= 1 - c;
}

uint64_t earlystop_min_items(uint64_t t, double p, double c)
{
    if (!(p > 0 && p < 1) || !(c > 0 && c < 1))
        return UINT64_MAX;
    /* The tail shrinks as n grows (t fixed): double, then bisect. */
    uint64_t hi = t + 1;
    while (!earlystop_accept(hi, t, p, c)) {
        if (hi > (1ull << 40))
            return UINT64_MAX;
        hi *= 2;
    }
    uint64_t lo = hi / 2; /* lo fails (or is <= t) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (earlystop_accept(mid, t, p, c))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* t over among m, the share t/n kept: ceil(m * t / n), in 128 bits. */
static uint64_t scaled_over(uint64_t m, uint64_t t, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)m * t + n - 1) / n);
}

uint64_t earlystop_items_needed(uint64_t n, uint64_t t, double p, double c)
{
    if (n == 0 || !(p > 0 && p < 1) || !(c > 0 && c < 1))
        return UINT64_MAX;
    if (earlystop_accept(n, t, p, c))
        return n;
    if ((double)t / (double)n >= 1 - p)
        return UINT64_MAX;
    /* The tail shrinks as m grows with the share fixed (up to rounding of
     * the count over): double, then bisect. */
    uint64_t lo = n, hi = n;
    do {
        if (hi > (1ull << 40))
            return UINT64_MAX;
        lo = hi;
        hi *= 2;
    } while (!earlystop_accept(hi, scaled_over(hi, t, n), p, c));
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (earlystop_accept(mid, scaled_over(mid, t, n), p, c))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}
