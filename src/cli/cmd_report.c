/* PLACEHOLDER until the owning issue lands: replaced by the real command. */
#include <stdio.h>
#include "cli/cli.h"
int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("tailgate report: not built yet\n", stderr);
    return EXIT_USAGE;
}
