/* tailgate report RESULT.json... -o report.html — the self-contained HTML report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/docfile.h"
#include "cli/runopts.h"
#include "output/report.h"
#include "output/sweepview.h"
#include "stats/compare.h"
#include "stats/result.h"
#include "stats/sla.h"
#include "stats/sweep.h"

#define REPORT_MAX_SLAS 16

typedef struct {
    const char *out;
    const char *comparison;
    opt_list_t sla_texts;
    const char *title;
} report_cli_t;

static int check_title(const char *v, char *why, size_t len)
{
    if (!*v) {
        snprintf(why, len,
                 "an empty title; give one, e.g. -t 'nightly run', or drop -t for "
                 "\"tailgate report\"");
        return -1;
    }
    return 0;
}

#define F(field) offsetof(report_cli_t, field)
static const opt_t report_table[] = {
    {.kind = OPT_HEADING, .help = "options:"},
    {"out", 'o', OPT_STRING, OPT_SCOPE_OUTPUT, F(out), .arg = "FILE", .path = "report.html",
     .help = "where to write the report (required; '-' = stdout)"},
    {"comparison", 'c', OPT_STRING, OPT_SCOPE_LOAD, F(comparison), .arg = "FILE",
     .path = "comparison.json",
     .help = "a comparison from 'tailgate diff' or 'tailgate ab':\n"
             "adds baseline vs optimized bars, deltas and the verdict"},
    {"sla", 0, OPT_LIST, OPT_SCOPE_GATE, F(sla_texts), 0, REPORT_MAX_SLAS,
     .check = runopts_check_sla, .arg = "EXPR",
     .help = "judge every run against EXPR instead of the SLAs it\n"
             "records, and draw it (repeatable); e.g. p95<=800ms,\n"
             "request.p99<2s, error_rate<1%, ips>=500, ttft.p99<=500ms\n"
             "(streamed runs); a bare latency number is milliseconds"},
    {"title", 't', OPT_STRING, OPT_SCOPE_OUTPUT, F(title), .check = check_title, .arg = "TEXT",
     .help = "the report's title (default \"tailgate report\")"},
};
#define REPORT_TABLE_LEN (sizeof report_table / sizeof report_table[0])

static void report_usage(FILE *f)
{
    fputs("usage: tailgate report RESULT.json [RESULT2.json ...] -o report.html [options]\n"
          "\n"
          "Writes one self-contained HTML file (inline SVG charts and CSS, no scripts, no\n"
          "external resources) from result files written by 'tailgate run --out':\n"
          "latency by percentile (every run overlaid), p50/p95/p99 and throughput over\n"
          "time, a summary table, errors by kind, SLA results and each run's configuration.\n"
          "From sweep files ('tailgate sweep --out'): latency percentiles and throughput\n"
          "served against the offered load, the SLA and the capacity marked, every step.\n"
          "\n",
          f);
    opt_help(f, report_table, REPORT_TABLE_LEN, 0, true);
    fputs("\n"
          "Runs are named after their files (baseline.json -> baseline). Each run is judged\n"
          "against the SLAs it records unless --sla is given; the report says which.\n"
          "Exit codes: 0 report written (SLA verdicts are in the report, not the exit code),\n"
          "2 bad usage, 3 a file could not be read or is not a tailgate result, or the\n"
          "report could not be written.\n",
          f);
}

/* What report takes, ending the message about a file it cannot take. */
#define TAKES                                                                                      \
    "report takes run results (tailgate run --out, or ab's baseline.json/optimized.json) or "      \
    "sweep results (tailgate sweep --out), one kind at a time, and a comparison with "             \
    "--comparison FILE"

/* "runs/baseline.json" -> "baseline". */
static void label_of(const char *path, char *buf, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".json"))
        n -= 5;
    snprintf(buf, len, "%.*s", (int)n, base);
}

/* Whether path holds a sweep document (tailgate sweep --out); false when it
 * cannot be read (the result path says why). */
static bool is_sweep_file(const char *path)
{
    json_t *j = NULL;
    char err[512];
    if (result_load_json(path, &j, err, sizeof err))
        return false;
    bool yes = sweep_doc_is(j);
    json_decref(j);
    return yes;
}

/* The report of sweep documents: their steps' latency and throughput against
 * the offered load (output/sweepview.h). */
static int report_sweeps(const char **files, size_t n, const report_cli_t *r, size_t nslas)
{
    char err[1024];
    int rc = EXIT_CANNOT_RUN;
    sweep_t *all[16] = {0};
    size_t counts[16] = {0}, nall = 0;
    const sweep_t *view[16];
    if (r->comparison || nslas) {
        fprintf(stderr,
                "tailgate report: %s does not apply to a sweep: each step was judged by "
                "the SLAs the sweep ran with\n",
                r->comparison ? "--comparison" : "--sla");
        free(files);
        return EXIT_USAGE;
    }
    if (n > 16) {
        fprintf(stderr, "tailgate report: at most 16 sweep files at once\n");
        free(files);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *j = NULL;
        char why[1024];
        int e = docfile_load(files[i], DOCFILE_SWEEP, TAKES, &j, err, sizeof err);
        if (e) {
            fprintf(stderr, "tailgate report: %s\n", err);
            goto done;
        }
        e = sweep_doc_from_json(j, &all[i], &counts[i], why, sizeof why);
        json_decref(j);
        if (e) {
            fprintf(stderr, "tailgate report: %s is not a tailgate sweep: %s\n", files[i], why);
            goto done;
        }
        for (size_t k = 0; k < counts[i] && nall < 16; k++)
            view[nall++] = &all[i][k];
    }
    if (sweepview_write(r->out, view, nall, r->title, err, sizeof err)) {
        fprintf(stderr, "tailgate report: %s\n", err);
        goto done;
    }
    if (strcmp(r->out, "-"))
        fprintf(stderr, "tailgate report: wrote %s\n", r->out);
    rc = EXIT_OK;
done:
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < counts[i]; k++)
            sweep_close(&all[i][k]);
        free(all[i]);
    }
    free(files);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    report_cli_t r = {0};
    sla_t slas[REPORT_MAX_SLAS];
    report_opts_t opts = {.slas = slas};
    char err[1024];
    size_t n = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) {
        fprintf(stderr, "tailgate report: out of memory\n");
        return EXIT_CANNOT_RUN;
    }
    opt_group_t g = {report_table, REPORT_TABLE_LEN, &r, NULL};
    int prc = opt_parse(&g, 1, argc - 1, argv + 1, files, (size_t)argc, &n, err, sizeof err);
    if (prc != 0) {
        free(files);
        if (prc == 1) {
            report_usage(stdout);
            return EXIT_OK;
        }
        fprintf(stderr, "tailgate report: %s\n(see 'tailgate report --help')\n", err);
        return EXIT_USAGE;
    }
    const char *out = r.out, *comparison_path = r.comparison;
    opts.title = r.title;
    opts.nslas = runopts_parse_slas(&r.sla_texts, slas, REPORT_MAX_SLAS);
    runopts_warn_slas(slas, opts.nslas, stderr, "tailgate report");
    if (!out) {
        fprintf(stderr, "tailgate report: missing -o FILE (where to write the report, e.g. "
                        "-o report.html)\n");
        free(files);
        return EXIT_USAGE;
    }
    if (n == 0 && !comparison_path) {
        fprintf(stderr, "tailgate report: no result files given (usage: tailgate report "
                        "RESULT.json... -o report.html)\n");
        free(files);
        return EXIT_USAGE;
    }
    files[n] = comparison_path; /* files has room for one more */
    const char *lost = runopts_output_overwrites(out, files, n + 1);
    if (lost) {
        fprintf(stderr,
                "tailgate report: -o %s would write the report over %s, which it reads; "
                "give the report a file of its own, e.g. -o report.html\n",
                out, lost);
        free(files);
        return EXIT_USAGE;
    }

    if (n && is_sweep_file(files[0]))
        return report_sweeps(files, n, &r, opts.nslas);

    int rc = EXIT_CANNOT_RUN;
    result_t *results = calloc(n ? n : 1, sizeof *results);
    const result_t **result_ptrs = calloc(n ? n : 1, sizeof *result_ptrs);
    char(*labels)[128] = calloc(n ? n : 1, sizeof *labels);
    const char **label_ptrs = calloc(n ? n : 1, sizeof *label_ptrs);
    json_t *cj = NULL;
    compare_t comparison = {0};
    bool have_comparison = false;
    if (!results || !result_ptrs || !labels || !label_ptrs) {
        fprintf(stderr, "tailgate report: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const char *path = files[i];
        if (docfile_read_run(path, TAKES, &results[i], err, sizeof err)) {
            fprintf(stderr, "tailgate report: %s\n", err);
            goto done;
        }
        result_ptrs[i] = &results[i];
        label_of(path, labels[i], sizeof labels[i]);
        /* Two files with the same name from different folders stay apart. */
        for (size_t k = 0; k < i; k++)
            if (!strcmp(labels[k], labels[i])) {
                char base[100];
                snprintf(base, sizeof base, "%s", labels[i]);
                snprintf(labels[i], sizeof labels[i], "%s (%zu)", base, i + 1);
                break;
            }
        label_ptrs[i] = labels[i];
    }
    if (comparison_path) {
        char why[1024];
        if (docfile_load(comparison_path, DOCFILE_COMPARISON,
                         "--comparison takes a comparison (tailgate diff -o, or ab's "
                         "comparison.json)",
                         &cj, err, sizeof err)) {
            fprintf(stderr, "tailgate report: %s\n", err);
            goto done;
        }
        if (compare_from_json(cj, &comparison, why, sizeof why)) {
            fprintf(stderr, "tailgate report: %s is not a tailgate comparison: %s\n",
                    comparison_path, why);
            goto done;
        }
        have_comparison = true;
    }
    if (report_write(out, result_ptrs, label_ptrs, n, have_comparison ? &comparison : NULL, &opts,
                     err, sizeof err)) {
        fprintf(stderr, "tailgate report: %s\n", err);
        goto done;
    }
    if (strcmp(out, "-"))
        fprintf(stderr, "tailgate report: wrote %s\n", out);
    if (n)
        fprintf(stderr, "tailgate report: SLAs judged: %s\n",
                opts.nslas ? "the --sla given, on every run" : "those each run records");
    rc = EXIT_OK;
done:
    json_decref(cj);
    for (size_t i = 0; results && i < n; i++)
        result_close(&results[i]);
    compare_close(&comparison);
    free(results);
    free(result_ptrs);
    free(labels);
    free(label_ptrs);
    free(files);
    return rc;
}
