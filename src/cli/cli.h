/* cli — one entry point per command; each parses its own options, runs, and
 * returns the process exit code (README "Commands"). Only cli/ talks to
 * the user. */
#ifndef TAILGATE_CLI_CLI_H
#define TAILGATE_CLI_CLI_H

#include "core/version.h"

enum {
    EXIT_OK = 0,         /* ran; every SLA passed */
    EXIT_SLA_FAILED = 1, /* ran; an SLA failed */
    EXIT_USAGE = 2,      /* bad usage or configuration */
    EXIT_CANNOT_RUN = 3, /* target unreachable, port taken, file unreadable */
    EXIT_VERIFY = 4,     /* target answered wrongly in verification */
    EXIT_SIGINT = 130,
    EXIT_SIGTERM = 143,
};

int cmd_run(int argc, char **argv);
int cmd_stub(int argc, char **argv);
int cmd_ab(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);

#endif
