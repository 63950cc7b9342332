/* parse — the small value syntaxes of the command line: durations, sizes,
 * counts, rates. All return 0, or -1 with a reason in err. A duration is
 * written back for people by parse_format_duration, a rate by
 * parse_format_number. */
#ifndef TAILGATE_CORE_PARSE_H
#define TAILGATE_CORE_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* "800ms", "5s", "1m", "250us", "1.5s", "1h30m", "0" (parts largest unit first). A bare number
 * takes bare_unit_ns (CLOCK_NS_PER_MS for latencies, CLOCK_NS_PER_S for run lengths). Negative,
 * empty, trailing garbage, overflow -> -1. */
int parse_duration_ns(const char *text, uint64_t bare_unit_ns, uint64_t *out, char *err,
                      size_t errlen);

/* "8MiB", "512k", "1M", "100" (bytes); k/K/KiB = 1024, M/MiB = 1024^2, G/GiB. */
int parse_size(const char *text, uint64_t *out, char *err, size_t errlen);

/* Unsigned decimal integer in [min, max]. */
int parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *err,
              size_t errlen);

/* Finite non-negative decimal (rates, fractions) in [min, max]. */
int parse_double(const char *text, double min, double max, double *out, char *err, size_t errlen);

/* A duration as people read it, in the syntax parse_duration_ns reads:
 * "0", "250us", "1.5s", "6.41s" (3 significant digits below 1000 s), "2m",
 * "20m35s", "1h30m" (whole seconds from 1000 s, or whole minutes). Every
 * duration shown to a person goes through here, never raw nanoseconds. */
void parse_format_duration(uint64_t ns, char *buf, size_t len);

/* A rate or count as people read it: "412", "81.25", "153400" (4
 * significant digits, never an exponent). */
void parse_format_number(double v, char *buf, size_t len);

#endif
