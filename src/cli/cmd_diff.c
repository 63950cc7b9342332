/* tailgate diff BASE.json OPT.json — compare two result files, judging the
 * SLAs given, else those the optimized run records. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include <unistd.h>

#include "output/cmptext.h"
#include "output/console.h"
#include "output/termchart.h"
#include "stats/compare.h"
#include "stats/result.h"

#define DIFF_MAX_SLAS 32

static void diff_usage(FILE *f)
{
    fprintf(f,
            "usage: tailgate diff BASE.json OPT.json [-o comparison.json] [--sla EXPR ...]\n"
            "\n"
            "Compares two result files written by 'tailgate run --out': prints the headline\n"
            "metrics side by side (metric | baseline | optimized | delta | delta %%) and judges\n"
            "SLAs on the second (optimized) run, re-evaluated from its histograms: the --sla\n"
            "given, else the SLAs recorded in OPT.json, else %s. The table says which.\n"
            "Warns on stderr when the two runs did not send identical inputs.\n"
            "\n"
            "options:\n"
            "  -o, --out FILE   also write the comparison JSON to FILE (default: print only);\n"
            "                   - = stdout, and the table goes to stderr\n"
            "  --sla EXPR       SLA to judge instead of the recorded ones, repeatable; METRIC OP\n"
            "                   VALUE with METRIC p50 p90 p95 p99 p99.9 max mean, request.<same>,\n"
            "                   error_rate, rps, ips; OP <= < >= >; latency in us, ms or s\n"
            "                   (bare number = ms), e.g. \"p95<=800ms\", \"error_rate<1%%\"\n"
            "  --no-color       no colours or Unicode block characters\n"
            "  -h, --help       this help\n"
            "\n"
            "Exit codes: 0 every SLA passed, 1 an SLA failed, 2 bad usage,\n"
            "3 a file is unreadable or not a valid result.\n",
            COMPARE_DEFAULT_SLA);
}

int cmd_diff(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"sla", required_argument, NULL, 's'},
                                             {"no-color", no_argument, NULL, 'C'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    sla_t slas[DIFF_MAX_SLAS];
    size_t nslas = 0;
    const char *out_path = NULL;
    bool no_color = false;
    char err[1024];
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            break;
        case 's':
            if (nslas == DIFF_MAX_SLAS) {
                fprintf(stderr, "tailgate diff: --sla: at most %d expressions\n", DIFF_MAX_SLAS);
                return EXIT_USAGE;
            }
            if (sla_parse(optarg, &slas[nslas], err, sizeof err)) {
                fprintf(stderr, "tailgate diff: --sla: %s\n", err);
                return EXIT_USAGE;
            }
            nslas++;
            break;
        case 'C':
            no_color = true;
            break;
        case 'h':
            diff_usage(stdout);
            return EXIT_OK;
        case ':':
            fprintf(stderr, "tailgate diff: option '%s' needs a value\n", argv[optind - 1]);
            return EXIT_USAGE;
        default:
            fprintf(stderr, "tailgate diff: unknown option '%s' (see 'tailgate diff --help')\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "tailgate diff: expected two result files, BASE.json and OPT.json "
                        "(see 'tailgate diff --help')\n");
        return EXIT_USAGE;
    }
    const char *base_path = argv[optind], *opt_path = argv[optind + 1];
    result_t base = {0}, opt = {0};
    compare_t cmp = {0};
    json_t *json = NULL;
    int rc = EXIT_CANNOT_RUN;
    if (result_read_file(base_path, &base, err, sizeof err) ||
        result_read_file(opt_path, &opt, err, sizeof err)) {
        fprintf(stderr, "tailgate diff: %s\n", err);
        goto done;
    }
    if (compare_build(&base, base_path, &opt, opt_path, slas, nslas, &cmp) ||
        !(json = compare_to_json(&cmp))) {
        fprintf(stderr, "tailgate diff: out of memory\n");
        goto done;
    }
    cmptext_warn_inputs(stderr, &cmp);
    /* with -o -, stdout carries the JSON: the table goes to stderr */
    FILE *tf = out_path && !strcmp(out_path, "-") ? stderr : stdout;
    bool color = termchart_want_color(isatty(fileno(tf)), no_color);
    bool utf8 = !no_color && termchart_locale_utf8();
    console_print_item_chart(tf, &base, "baseline: item latency", color, utf8);
    console_print_item_chart(tf, &opt, "optimized: item latency", color, utf8);
    cmptext_print(tf, &cmp);
    fflush(tf);
    if (out_path && result_write_file(json, out_path, err, sizeof err)) {
        fprintf(stderr, "tailgate diff: %s\n", err);
        goto done;
    }
    rc = cmp.sla_pass ? EXIT_OK : EXIT_SLA_FAILED;
done:
    json_decref(json);
    compare_close(&cmp);
    result_close(&base);
    result_close(&opt);
    return rc;
}
