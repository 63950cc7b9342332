/* PLACEHOLDER until the owning issue lands: replaced by the real command. */
#include <stdio.h>
#include "cli/cli.h"
int cmd_stub(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("tailgate stub: not built yet\n", stderr);
    return EXIT_USAGE;
}
