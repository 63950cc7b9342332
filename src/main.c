/* tailgate — subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "tailgate " TAILGATE_VERSION " - load tester and tail-latency gate for inference APIs\n"
    "\n"
    "usage: tailgate COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  run URL                   one load test; summary on stdout, --out JSON, --log CSV\n"
    "  stub                      the stub inference server\n"
    "  ab [URL]                  baseline vs optimized on identical inputs (no URL: embedded "
    "stub)\n"
    "  diff BASE.json OPT.json   compare two result files -> comparison JSON\n"
    "  report RESULT.json...     self-contained HTML report with charts (-o report.html)\n"
    "  sweep [URL] --sla EXPR    the highest load that meets the SLA (no URL: embedded stub)\n"
    "  merge R1.json R2.json...  the results of a run's segments (--segment) as one, gated\n"
    "\n"
    "Run 'tailgate COMMAND --help' (or 'tailgate help COMMAND') for a command's options.\n"
    "Exit codes: 0 ran and every SLA passed, 1 an SLA or --max-regression gate\n"
    "failed (or every request failed), 2 bad usage, 3 could not run, 4 target failed\n"
    "verification, 130/143 interrupted.\n";

static const struct {
    const char *name;
    int (*fn)(int, char **);
} cmds[] = {{"run", cmd_run},       {"stub", cmd_stub},   {"ab", cmd_ab},      {"diff", cmd_diff},
            {"report", cmd_report}, {"sweep", cmd_sweep}, {"merge", cmd_merge}};

static int (*find_cmd(const char *name))(int, char **)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(name, cmds[i].name))
            return cmds[i].fn;
    return NULL;
}

static int unknown_cmd(const char *name)
{
    fprintf(stderr,
            "tailgate: unknown command '%s' (try: run, stub, ab, diff, report, sweep, merge; "
            "'tailgate --help' lists them)\n",
            name);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") && argc > 2) { /* tailgate help run = tailgate run --help */
        int (*fn)(int, char **) = find_cmd(argv[2]);
        if (!fn)
            return unknown_cmd(argv[2]);
        char *help_argv[] = {argv[2], "--help", NULL};
        return fn(2, help_argv);
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        puts("tailgate " TAILGATE_VERSION);
        return EXIT_OK;
    }
    int (*fn)(int, char **) = find_cmd(cmd);
    return fn ? fn(argc - 1, argv + 1) : unknown_cmd(cmd);
}
