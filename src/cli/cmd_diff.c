/* tailgate diff BASE.json OPT.json — compare two result files, judging the
 * SLAs given, else those the optimized run records. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/docfile.h"
#include "cli/gates.h"
#include "cli/runopts.h"
#include <unistd.h>

#include "output/cmptext.h"
#include "output/console.h"
#include "output/termchart.h"
#include "stats/compare.h"
#include "stats/result.h"

#define DIFF_MAX_SLAS 32

typedef struct {
    const char *out_path;
    opt_list_t sla_texts;
    bool no_color;
    opt_list_t regress_texts; /* --max-regression */
} diff_opts_t;

static const opt_t diff_table[] = {
    {.kind = OPT_HEADING, .help = "options:"},
    {"out", 'o', OPT_STRING, OPT_SCOPE_OUTPUT, offsetof(diff_opts_t, out_path), .arg = "FILE",
     .path = "comparison.json",
     .help = "also write the comparison JSON to FILE (default: print only);\n"
             "- = stdout, and the table goes to stderr"},
    {"sla", 0, OPT_LIST, OPT_SCOPE_GATE, offsetof(diff_opts_t, sla_texts), 0, DIFF_MAX_SLAS,
     .check = runopts_check_sla, .arg = "EXPR",
     .help = "SLA to judge, repeatable (default: " COMPARE_DEFAULT_SLA "); METRIC OP\n"
             "VALUE with METRIC p50 p90 p95 p99 p99.9 max mean,\n"
             "request.<same>, error_rate, rps, ips, and for streamed runs\n"
             "ttft. tpot. itl. e2el.<same>, output_tokens_per_s, goodput,\n"
             "slo_attainment; OP <= < >= >; latency\n"
             "in us, ms or s (bare number = ms), e.g. \"p95<=800ms\",\n"
             "\"error_rate<1%\""},
    {"max-regression", 0, OPT_LIST, OPT_SCOPE_GATE, offsetof(diff_opts_t, regress_texts), 0,
     GATES_MAX_REGRESS, .check = gates_check_regress, .arg = "M=+P%",
     .help = "fail (exit 1) when OPT is worse than BASE by more than P%\n"
             "on metric M, repeatable: p95=+5% (at most 5% slower),\n"
             "request.p99=+10%, ips=-5% (at most 5% fewer items/s).\n"
             "Without it a slower OPT is reported, not failed"},
    {"no-color", 0, OPT_FLAG, OPT_SCOPE_OUTPUT, offsetof(diff_opts_t, no_color),
     .help = "no colours or Unicode in the table"},
};

static void diff_usage(FILE *f)
{
    fputs("usage: tailgate diff BASE.json OPT.json [-o comparison.json] [--sla EXPR ...]\n"
          "                     [--max-regression M=+P% ...]\n"
          "\n"
          "Compares two result files written by 'tailgate run --out': prints the headline\n"
          "metrics side by side (metric | baseline | optimized | delta | delta %) and judges\n"
          "SLAs on the second (optimized) run, re-evaluated from its histograms: the --sla\n"
          "given, else the SLAs recorded in OPT.json, else " COMPARE_DEFAULT_SLA ". The table\n"
          "says which.\n"
          "Warns on stderr when the two runs did not send identical inputs (a note when\n"
          "they sent different numbers of items from the same inputs, in the same order).\n"
          "\n",
          f);
    opt_help(f, diff_table, sizeof diff_table / sizeof diff_table[0], 0, true);
    fputs("\n"
          "Being slower than BASE is not a gate by default: the verdict line says it\n"
          "plainly; --max-regression p95=+5% fails on it.\n"
          "\n"
          "Exit codes: 0 every SLA and --max-regression gate passed, 1 one failed (or no\n"
          "request of OPT succeeded, or either run was interrupted), 2 bad usage, 3 a file\n"
          "is unreadable or not a valid result.\n",
          f);
}

int cmd_diff(int argc, char **argv)
{
    diff_opts_t d = {0};
    sla_t slas[DIFF_MAX_SLAS];
    char err[1024];
    const char *pos[3];
    size_t npos = 0;
    opt_group_t g = {diff_table, sizeof diff_table / sizeof diff_table[0], &d, NULL};
    int prc = opt_parse(&g, 1, argc - 1, argv + 1, pos, 3, &npos, err, sizeof err);
    if (prc == 1) {
        diff_usage(stdout);
        return EXIT_OK;
    }
    if (prc < 0) {
        fprintf(stderr, "tailgate diff: %s\n(see 'tailgate diff --help')\n", err);
        return EXIT_USAGE;
    }
    if (npos != 2) {
        fprintf(stderr, "tailgate diff: expected two result files, BASE.json and OPT.json "
                        "(see 'tailgate diff --help')\n");
        return EXIT_USAGE;
    }
    const char *out_path = d.out_path;
    const char *lost = runopts_output_overwrites(out_path, pos, 2);
    if (lost) {
        fprintf(stderr,
                "tailgate diff: -o %s would write the comparison over the result %s it "
                "reads; give the comparison a file of its own, e.g. -o comparison.json\n",
                out_path, lost);
        return EXIT_USAGE;
    }
    bool no_color = d.no_color;
    size_t nslas = runopts_parse_slas(&d.sla_texts, slas, DIFF_MAX_SLAS);
    runopts_warn_slas(slas, nslas, stderr, "tailgate diff");
    const char *base_path = pos[0], *opt_path = pos[1];
    result_t base = {0}, opt = {0};
    compare_t cmp = {0};
    json_t *json = NULL;
    int rc = EXIT_CANNOT_RUN;
    static const char takes[] = "diff compares two run results (tailgate run --out, or ab's "
                                "baseline.json/optimized.json)";
    if (docfile_read_run(base_path, takes, &base, err, sizeof err) ||
        docfile_read_run(opt_path, takes, &opt, err, sizeof err)) {
        fprintf(stderr, "tailgate diff: %s\n", err);
        goto done;
    }
    regress_t gates[GATES_MAX_REGRESS];
    size_t ngates = gates_parse_regress(&d.regress_texts, gates, GATES_MAX_REGRESS);
    if (compare_build(&base, base_path, &opt, opt_path, slas, nslas, &cmp) ||
        compare_gate(&cmp, &base, &opt, gates, ngates) || !(json = compare_to_json(&cmp))) {
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
    rc = cmp.pass ? EXIT_OK : EXIT_SLA_FAILED;
done:
    json_decref(json);
    compare_close(&cmp);
    result_close(&base);
    result_close(&opt);
    return rc;
}
