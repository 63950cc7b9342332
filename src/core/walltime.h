/* walltime — wall-clock instants as a person writes them, and whether this
 * machine's clock can be trusted to agree with another machine's.
 *
 * Several processes (--segment) meet at one instant (--start-at) without a
 * network between them: the instant is written once, the same text on every
 * machine, so it must mean the same everywhere — a time without a zone is
 * refused rather than read in each machine's own zone. */
#ifndef TAILGATE_CORE_WALLTIME_H
#define TAILGATE_CORE_WALLTIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses an instant into ns since the Unix epoch:
 *   epoch seconds, with up to 9 decimals   1767225600, 1767225600.250
 *   ISO 8601 / RFC 3339 with a zone        2026-01-01T00:00:00Z,
 *                                          2026-01-01T01:00:00.25+01:00,
 *                                          2026-01-01 00:00:00+0000 (T or space; Z or z)
 * Returns 0, or -1 with why (words to follow "--start-at VALUE: "). No year
 * before 1970; a 61st second (leap) is refused. */
int walltime_parse(const char *text, uint64_t *ns, char *why, size_t whylen);

/* "2026-01-01T00:00:00.250Z": UTC, milliseconds (truncated). */
void walltime_format(uint64_t ns, char *buf, size_t len);

/* Whether the kernel holds the clock synchronized (adjtimex(2), read only:
 * no privilege needed): 1 yes, 0 no (STA_UNSYNC set, or TIME_ERROR),
 * -1 unknown (the call failed). */
int walltime_synced(void);

#endif
