#include "stub/model.h"

#include <math.h>

void model_rng_seed(model_rng_t *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t model_rng_next(model_rng_t *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double model_rng_unit(model_rng_t *rng)
{
    return (double)(model_rng_next(rng) >> 11) / 9007199254740992.0;
}

static double jitter_ns(const stub_config_t *cfg, model_rng_t *rng)
{
    double scale = (double)cfg->jitter_scale_ns;
    switch (cfg->jitter) {
    case STUB_JITTER_NONE:
        return 0;
    case STUB_JITTER_UNIFORM:
        return scale * model_rng_unit(rng);
    case STUB_JITTER_EXP:
        return -scale * log(1.0 - model_rng_unit(rng));
    case STUB_JITTER_LOGNORMAL: {
        /* Box-Muller: one standard normal from two uniforms. */
        double u1 = 1.0 - model_rng_unit(rng), u2 = model_rng_unit(rng);
        double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
        return scale * exp(z);
    }
    }
    return 0;
}

uint64_t model_service_ns(const stub_config_t *cfg, model_rng_t *rng, size_t items)
{
    double j = jitter_ns(cfg, rng);
    /* Cap the tail at an hour so the sum cannot overflow. */
    if (j > 3600e9)
        j = 3600e9;
    return cfg->delay_ns + cfg->per_item_ns * (uint64_t)items + (uint64_t)j;
}

bool model_inject_error(const stub_config_t *cfg, model_rng_t *rng)
{
    if (cfg->error_rate <= 0)
        return false;
    if (cfg->error_rate >= 1)
        return true;
    return model_rng_unit(rng) < cfg->error_rate;
}

uint64_t model_release_ns(const stub_config_t *cfg, uint64_t origin_ns, uint64_t due_ns)
{
    if (!cfg->stall_every_ns || !cfg->stall_for_ns || due_ns < origin_ns + cfg->stall_every_ns)
        return due_ns;
    uint64_t since = due_ns - origin_ns;
    uint64_t k = since / cfg->stall_every_ns;
    uint64_t start = origin_ns + k * cfg->stall_every_ns;
    if (due_ns < start + cfg->stall_for_ns)
        return start + cfg->stall_for_ns;
    return due_ns;
}
