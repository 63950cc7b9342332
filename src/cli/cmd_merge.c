/* tailgate merge R1.json R2.json ... — the results of a run's segments
 * (run --segment I/N) joined into the result of the whole run, exactly, and
 * judged like a run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/docfile.h"
#include "cli/gates.h"
#include "cli/runopts.h"
#include "core/clock.h"
#include "output/console.h"
#include "output/logmerge.h"
#include "output/termchart.h"
#include "stats/result.h"
#include "stats/segmerge.h"

#define MERGE_MAX_SLAS 32

typedef struct {
    const char *out;
    opt_list_t sla_texts;
    uint64_t late_ns;
    const char *log_out;
    bool logs; /* --logs was given (its files are taken out of argv first) */
    bool quiet, no_color;
} merge_opts_t;

#define F(field) offsetof(merge_opts_t, field)
static const opt_t merge_table[] = {
    {.kind = OPT_HEADING, .help = "options:"},
    {"out", 'o', OPT_STRING, OPT_SCOPE_OUTPUT, F(out), .arg = "FILE.json", .path = "merged.json",
     .help = "write the merged result JSON; - = stdout, and the summary\n"
             "goes to stderr"},
    {"sla", 0, OPT_LIST, OPT_SCOPE_GATE, F(sla_texts), 0, MERGE_MAX_SLAS,
     .check = runopts_check_sla, .arg = "EXPR",
     .help = "judge the merge against EXPR instead of the SLAs the\n"
             "segments record (repeatable); e.g. 'p95<=800ms'"},
    {"late", 0, OPT_DURATION, OPT_SCOPE_GATE, F(late_ns), 0, 0, .arg = "D",
     .help = "flag a segment that began more than D after --start-at\n"
             "(or after the earliest segment) as late (default 100ms)"},
    {"log-out", 0, OPT_STRING, OPT_SCOPE_OUTPUT, F(log_out), .arg = "FILE.csv",
     .path = "merged.csv",
     .help = "write the segments' CSV logs (--logs) as one log; - =\n"
             "stdout, and the summary goes to stderr"},
    {"logs", 0, OPT_FLAG, OPT_SCOPE_OUTPUT, F(logs), .arg = NULL,
     .help = "the words after it, up to the next option, are the\n"
             "segments' CSV logs: --logs a.csv b.csv ... (with --log-out)"},
    {"quiet", 'q', OPT_FLAG, OPT_SCOPE_OUTPUT, F(quiet),
     .help = "no summary; each failed gate is still one line on stderr"},
    {"no-color", 0, OPT_FLAG, OPT_SCOPE_OUTPUT, F(no_color),
     .help = "no colours or Unicode in the summary"},
};
#define MERGE_TABLE_LEN (sizeof merge_table / sizeof merge_table[0])

static void merge_usage(FILE *f)
{
    fputs("usage: tailgate merge R1.json R2.json ... [-o merged.json] [--sla EXPR ...]\n"
          "                      [--log-out merged.csv --logs a.csv b.csv ...]\n"
          "\n"
          "Joins the results of the segments of one run ('tailgate run --segment I/N', in\n"
          "other processes or on other machines) into the result of the whole run, exactly:\n"
          "histograms summed bucket-wise, counts added, per-second timelines aligned on the\n"
          "wall clock, throughput over the union of the spans, the inputs digest of the\n"
          "whole run. Then judges the SLAs on it (--sla, else those the segments record)\n"
          "and prints the summary, as 'tailgate run' does. 'tailgate report merged.json'\n"
          "draws it.\n"
          "\n"
          "It checks that the files are the segments of one run: the same configuration\n"
          "and --start-at, the same N, every index exactly once. A segment given twice is\n"
          "settled only when one of the two was interrupted and the other ran to its end\n"
          "(a retried pod: the complete one is kept); otherwise it is refused. A segment\n"
          "that began late is flagged (stderr, and segment.late in the result).\n"
          "\n",
          f);
    opt_help(f, merge_table, MERGE_TABLE_LEN, 0, true);
    fputs("\nExit codes: 0 merged and every SLA passed, 1 an SLA failed or every request\n"
          "failed (as in 'tailgate run', --sla or not), 2 bad usage or the files are not\n"
          "the segments of one run (a duplicate, another run's file), 3 a file is\n"
          "unreadable, a segment is missing or was interrupted (the merge is written, but\n"
          "is no verdict), or an output cannot be written.\n",
          f);
}

static void print_note(void *arg, const char *text)
{
    (void)arg;
    fprintf(stderr, "tailgate merge: warning: %s\n", text);
}

/* Whether segment p[i] was also run to its end (a retried pod: segmerge
 * kept that one). */
static bool retried(const result_t *p, size_t n, size_t i)
{
    for (size_t j = 0; j < n; j++)
        if (j != i && !p[j].interrupted && p[j].segment_index == p[i].segment_index)
            return true;
    return false;
}

/* "--logs a.csv b.csv --x" -> the logs out of argv: argv keeps "--logs"
 * alone (so the table sees it) and the rest. Returns the number of words
 * left in argv. */
static int take_logs(int argc, char **argv, const char **logs, size_t *nlogs)
{
    int w = 0;
    bool in_logs = false, past_dashdash = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!past_dashdash && !strcmp(a, "--"))
            past_dashdash = true;
        if (in_logs && (a[0] != '-' || !strcmp(a, "-"))) {
            logs[(*nlogs)++] = a;
            continue;
        }
        in_logs = !past_dashdash && (!strcmp(a, "--logs") || !strncmp(a, "--logs=", 7));
        if (in_logs && a[6] == '=') {
            logs[(*nlogs)++] = a + 7;
            argv[w++] = "--logs";
            continue;
        }
        argv[w++] = argv[i];
    }
    return w;
}

int cmd_merge(int argc, char **argv)
{
    merge_opts_t m = {.late_ns = 100 * CLOCK_NS_PER_MS};
    sla_t slas[MERGE_MAX_SLAS];
    char err[1024];
    int rc = EXIT_USAGE;
    const char **pos = calloc((size_t)argc + 1, sizeof *pos);
    const char **logs = calloc((size_t)argc + 1, sizeof *logs);
    result_t *parts = NULL, merged = {0};
    size_t npos = 0, nlogs = 0, nparts = 0;
    if (!pos || !logs) {
        fprintf(stderr, "tailgate merge: out of memory\n");
        rc = EXIT_CANNOT_RUN;
        goto done;
    }
    int words = take_logs(argc - 1, argv + 1, logs, &nlogs);
    opt_group_t g = {merge_table, MERGE_TABLE_LEN, &m, NULL};
    int prc = opt_parse(&g, 1, words, argv + 1, pos, (size_t)argc, &npos, err, sizeof err);
    if (prc == 1) {
        merge_usage(stdout);
        rc = EXIT_OK;
        goto done;
    }
    if (prc < 0) {
        fprintf(stderr, "tailgate merge: %s\n(see 'tailgate merge --help')\n", err);
        goto done;
    }
    if (npos == 0) {
        fprintf(stderr, "tailgate merge: give the segments' result files, e.g. tailgate merge "
                        "results/*.json -o merged.json\n");
        goto done;
    }
    if (m.logs && nlogs == 0) {
        fprintf(stderr, "tailgate merge: --logs: give the CSV logs after it: --logs a.csv "
                        "b.csv ...\n");
        goto done;
    }
    m.out = runopts_stdout_alias(m.out);
    m.log_out = runopts_stdout_alias(m.log_out);
    if (!nlogs != !m.log_out) {
        fprintf(stderr, "tailgate merge: %s\n",
                nlogs ? "--logs needs --log-out FILE.csv: where the merged log goes"
                      : "--log-out needs --logs a.csv b.csv ...: the segments' logs");
        goto done;
    }
    const char *lost = runopts_output_overwrites(m.out, pos, npos);
    if (lost) {
        fprintf(stderr,
                "tailgate merge: -o %s would write the merged result over the segment %s; "
                "give it a file of its own, e.g. -o merged.json\n",
                m.out, lost);
        goto done;
    }
    /* The merged log is written before the inputs are all read: naming one of
     * them (or the result) would destroy it. */
    for (size_t i = 0; m.log_out && i < nlogs + npos + 1; i++) {
        const char *other = i < nlogs ? logs[i] : i < nlogs + npos ? pos[i - nlogs] : m.out;
        if (other && runopts_same_output(m.log_out, other)) {
            fprintf(stderr,
                    "tailgate merge: --log-out %s is also %s: it would be written over; give "
                    "the merged log a file of its own\n",
                    m.log_out,
                    i < nlogs             ? "one of the --logs"
                    : i < nlogs + npos    ? "one of the result files"
                    : !strcmp(m.out, "-") ? "--out's stdout (only one output can go there)"
                                          : "--out");
            goto done;
        }
    }
    /* A log given twice doubles its rows and can stand in for a missing one
     * with the row count still matching: nothing later would notice. */
    for (size_t i = 0; i < nlogs; i++)
        for (size_t j = 0; j < i; j++)
            if (runopts_same_output(logs[i], logs[j])) {
                fprintf(stderr,
                        "tailgate merge: --logs: %s is given twice (as %s too); give each "
                        "segment's log once\n",
                        logs[i], logs[j]);
                goto done;
            }
    size_t nslas = runopts_parse_slas(&m.sla_texts, slas, MERGE_MAX_SLAS);
    runopts_warn_slas(slas, nslas, stderr, "tailgate merge");

    rc = EXIT_CANNOT_RUN;
    if (!(parts = calloc(npos, sizeof *parts)))
        goto done;
    for (; nparts < npos; nparts++) {
        static const char takes[] = "merge joins the run results of one run's segments "
                                    "(tailgate run --segment I/N --out)";
        if (docfile_read_run(pos[nparts], takes, &parts[nparts], err, sizeof err)) {
            fprintf(stderr, "tailgate merge: %s\n", err);
            goto done;
        }
    }
    segmerge_opts_t so = {.late_ns = m.late_ns, .note = print_note};
    int e = segmerge(parts, pos, nparts, &so, &merged, err, sizeof err);
    if (e) {
        fprintf(stderr, "tailgate merge: %s\n", err);
        rc = e == EINVAL ? EXIT_USAGE : EXIT_CANNOT_RUN;
        goto done;
    }
    if (nslas && result_judge(&merged, slas, nslas)) {
        fprintf(stderr, "tailgate merge: out of memory\n");
        goto done;
    }
    if (nlogs) {
        uint64_t rows;
        if (logmerge(logs, nlogs, m.log_out, &rows, err, sizeof err)) {
            fprintf(stderr, "tailgate merge: --log-out: %s\n", err);
            runopts_remove_output(m.log_out); /* no partial log left behind */
            goto done;
        }
        if (rows != merged.stats.requests)
            fprintf(stderr,
                    "tailgate merge: warning: the logs hold %llu requests, the results %llu: "
                    "is a segment's log missing or from another run?\n",
                    (unsigned long long)rows, (unsigned long long)merged.stats.requests);
    }
    json_t *json = result_to_json(&merged);
    if (!json) {
        fprintf(stderr, "tailgate merge: out of memory\n");
        goto done;
    }
    e = m.out ? result_write_file(json, m.out, err, sizeof err) : 0;
    json_decref(json);
    if (e) {
        fprintf(stderr, "tailgate merge: --out: %s\n", err);
        goto done;
    }
    if (!m.quiet) {
        bool data_on_stdout =
            (m.out && !strcmp(m.out, "-")) || (m.log_out && !strcmp(m.log_out, "-"));
        FILE *f = data_on_stdout ? stderr : stdout;
        bool color = termchart_want_color(isatty(fileno(f)), m.no_color);
        bool utf8 = !m.no_color && termchart_locale_utf8();
        console_print_summary(f, &merged, color, utf8);
    } else { /* quiet: a failed gate still says why, as run's does */
        gates_print_failed_slas(stderr, "tailgate merge", merged.verdicts, merged.nverdicts);
    }
    gates_print_all_failed(stderr, "tailgate merge", NULL, &merged);
    rc = merged.sla_pass && !gates_all_failed(&merged) ? EXIT_OK : EXIT_SLA_FAILED;
    /* A segment interrupted (and not run again to its end) did not offer
     * its share of the load: the merge holds what was done, but judges a
     * lighter run than the one asked for, as a run interrupted is no
     * verdict either (it exits 130/143). */
    for (size_t i = 0; merged.interrupted && i < nparts; i++)
        if (parts[i].interrupted && !retried(parts, nparts, i)) {
            fprintf(stderr,
                    "tailgate merge: segment %u of %u (%s) was interrupted: its share of the run "
                    "was not all offered, so the merge is no verdict on the run; run it again\n",
                    parts[i].segment_index, parts[i].segment_count, pos[i]);
            rc = EXIT_CANNOT_RUN;
        }
done:
    for (size_t i = 0; i < nparts; i++)
        result_close(&parts[i]);
    free(parts);
    result_close(&merged);
    free(pos);
    free(logs);
    return rc;
}
