/* gates — what the commands say about their gates beyond the summary: each
 * failed gate in one line on stderr (also under --quiet, where nothing else
 * is printed), a run in which every request failed (it fails without any
 * --sla), and the --max-regression option of ab and diff. */
#ifndef TAILGATE_CLI_GATES_H
#define TAILGATE_CLI_GATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/opt.h"
#include "core/url.h"
#include "stats/compare.h"
#include "stats/regress.h"
#include "stats/result.h"

#define GATES_MAX_REGRESS 32

/* The --max-regression row's check: the gate parses (regress_parse). */
int gates_check_regress(const char *value, char *why, size_t whylen);
/* Parses --max-regression texts that passed the check into out (at most max). */
size_t gates_parse_regress(const opt_list_t *texts, regress_t *out, size_t max);

/* No request of the run succeeded -- every one failed, or none was made
 * (a window with no arrival in it): it measured nothing about the server
 * and fails (exit 1) even without --sla. */
bool gates_all_failed(const result_t *r);

/* "WHO: every request failed (156 invalid_response); ..." when r's did,
 * "WHO: no request was made; ..." when r made none. */
void gates_print_all_failed(FILE *f, const char *who, const char *run, const result_t *r);
/* After a run over http:// in which every request failed with nothing read
 * (reset): when the server speaks TLS there (target_speaks_tls), "WHO: the
 * server at HOST:PORT speaks TLS: use https://...". Returns whether it said so. */
bool gates_print_tls_hint(FILE *f, const char *who, const url_t *u, const result_t *r);
/* One line per failed SLA of r: "WHO: FAIL p95<=10ms: measured 12.3 ms". */
void gates_print_failed_slas(FILE *f, const char *who, const sla_verdict_t *v, size_t n);
/* One line per failed gate of a comparison: its SLAs, its --max-regression
 * gates, a optimized run whose every request failed. */
void gates_print_failed_compare(FILE *f, const char *who, const compare_t *c);

#endif
