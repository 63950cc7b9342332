/* tailgate ab [URL] — baseline vs optimized on identical inputs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/gates.h"
#include "cli/runcommon.h"
#include "cli/runopts.h"
#include "cli/verify.h"
#include "core/clock.h"
#include "load/preset.h"
#include "load/rpath.h"
#include "output/cmptext.h"
#include "output/report.h"
#include "stats/compare.h"
#include "stats/result.h"
#include "stub/stub.h"

#define AB_DEFAULT_BASELINE "--batch 1 --connections 100"
#define AB_DEFAULT_OPTIMIZED "--batch 10 --linger 50ms --connections 0"
/* --body sends no items to batch: pooling is the client change left. */
#define AB_DEFAULT_OPTIMIZED_BODY "--connections 0"
/* An API that carries one input per request has no batching either. */
#define AB_DEFAULT_OPTIMIZED_ONE AB_DEFAULT_OPTIMIZED_BODY
#define AB_DEFAULT_SLA "p95<=800ms"
#define AB_VERIFY_SAMPLES 5

/* The embedded target: a batching inference server. Four workers, 50 ms per
 * request plus 2 ms per item: one input at a time it serves about 77 items/s,
 * in batches of ten about 570. The default load (100 items/s) is between the
 * two, so only batching keeps up. */
#define AB_STUB_WORKERS 4
#define AB_STUB_DELAY_MS 50
#define AB_STUB_PER_ITEM_MS 2
#define AB_DEFAULT_RATE 100.0
#define AB_DEFAULT_REQUESTS 1500

typedef struct {
    const char *baseline;
    const char *optimized;
    const char *out_dir;
    bool no_verify;
    const char *verify_tolerance;
    uint64_t given;
    opt_list_t regress_texts; /* --max-regression */
} ab_opts_t;

static int check_tolerance(const char *v, char *why, size_t len)
{
    verify_tolerance_t t;
    return verify_parse_tolerance(v, &t, why, len);
}

#define A(field) offsetof(ab_opts_t, field)
static const opt_t ab_table[] = {
    {.kind = OPT_HEADING, .help = "ab options:"},
    {"baseline", 0, OPT_STRING, OPT_SCOPE_CLIENT, A(baseline), .arg = "\"OPTS\"",
     .help = "client options of the baseline run\n(default \"" AB_DEFAULT_BASELINE "\")"},
    {"optimized", 0, OPT_STRING, OPT_SCOPE_CLIENT, A(optimized), .arg = "\"OPTS\"",
     .help = "client options of the optimized run\n(default \"" AB_DEFAULT_OPTIMIZED "\";\n"
             "with --body or -m GET, or an --api that sends one input\n"
             "per request, \"" AB_DEFAULT_OPTIMIZED_BODY "\")"},
    {"out-dir", 0, OPT_STRING, OPT_SCOPE_OUTPUT, A(out_dir), .arg = "DIR", .path = "results",
     .help = "where the files go (default tailgate-out/):\n"
             "latency_baseline.csv latency_optimized.csv baseline.json\n"
             "optimized.json comparison.json report.html"},
    {"max-regression", 0, OPT_LIST, OPT_SCOPE_GATE, A(regress_texts), 0, GATES_MAX_REGRESS,
     .check = gates_check_regress, .arg = "M=+P%",
     .help = "fail (exit 1) when the optimized run is worse than the\n"
             "baseline by more than P% on metric M, repeatable: p95=+5%\n"
             "(at most 5% slower), request.p99=+10%, ips=-5% (at most 5%\n"
             "fewer items/s), p99=-10% (at least 10% faster). Without it\n"
             "a slower optimized run is reported in the verdict, not failed"},
    {"no-verify", 0, OPT_FLAG, OPT_SCOPE_GATE, A(no_verify),
     .help = "skip the checks made before measuring (a sample request\n"
             "answers 2xx with one output per input; a few inputs get the\n"
             "same outputs alone and as one batch; HTTP/2 with --http2)"},
    {"verify-tolerance", 0, OPT_STRING, OPT_SCOPE_GATE, A(verify_tolerance),
     .check = check_tolerance, .arg = "abs=X[,rel=Y]",
     .help = "outputs' numbers agree alone and in a batch when\n"
             "|a-b| <= max(X, Y*max(|a|,|b|)) (default: exactly; fp16 and\n"
             "bf16 models rarely are batch-invariant); text exactly"},
};
#define AB_TABLE_LEN (sizeof ab_table / sizeof ab_table[0])

static void ab_usage(FILE *f)
{
    fprintf(f,
            "usage: tailgate ab [URL] [options]\n"
            "\n"
            "Runs the same load twice against the same target with the same inputs, differing\n"
            "only in client options, and gates on the optimized run's SLA.\n"
            "With no URL it starts the stub in-process as a batching inference server\n"
            "(%d workers, %d ms per request + %d ms per item) and offers it %.0f items/s,\n"
            "more than it serves one input at a time: `make demo` runs exactly this.\n"
            "\n",
            AB_STUB_WORKERS, AB_STUB_DELAY_MS, AB_STUB_PER_ITEM_MS, AB_DEFAULT_RATE);
    opt_help(f, ab_table, AB_TABLE_LEN, 0, false);
    fprintf(f,
            "\n"
            "Shared options (both runs; default --rate %.0f --requests %d --sla '%s'; the\n"
            "SLA is judged on the optimized run; --quiet prints only the comparison).\n"
            "Load, bounds, inputs, --validate and --sla go here, once, never in --baseline or\n"
            "--optimized, so that both runs offer the same load with the same inputs.\n"
            "A client option given here applies to both runs: a value in --baseline or\n"
            "--optimized wins over it, and it wins over the sides' defaults\n"
            "(ab URL --batch 4 runs batch 4 on both; -H adds to a side's headers).\n",
            AB_DEFAULT_RATE, AB_DEFAULT_REQUESTS, AB_DEFAULT_SLA);
    opt_help(f, runopts_table, runopts_table_len, RUNOPTS_VIEW_AB, true);
    fputs("\nThe verdict is the optimized run's: its SLAs, and each --max-regression gate on\n"
          "baseline vs optimized. Being slower than the baseline is not a gate by default (a\n"
          "build fails on the thresholds its command names, as in k6): the verdict line says\n"
          "it plainly (\"PASS (SLA met), but optimized p95 is 94.3% slower than baseline\")\n"
          "and the report shows it in red; add --max-regression p95=+5% to fail on it.\n"
          "\nExit codes: 0 the optimized run meets every SLA and --max-regression gate, 1 it\n"
          "does not (or none of its requests succeeded), 2 bad usage, 3 could not run,\n"
          "4 the target failed verification, 130/143 interrupted. With --quiet, each failed\n"
          "gate is still printed, one line each, on stderr.\n",
          f);
}

/* One side's options: the shared ones, then the side's client options on
 * top. A side's string that the user gave wins over the shared options; a
 * default side string gives way to them, so "ab URL --batch 4" runs batch 4
 * on both sides (lists, i.e. --header, add up). Only client options may be
 * given in a side: the rest is the same for both runs by construction. */
static int ab_side(const runopts_t *shared, const char *label, const char *text, bool user_given,
                   runopts_t *out, char ***words_out)
{
    char err[1024];
    int wc = 0;
    char **words = opt_split(text, &wc);
    if (!words)
        return EXIT_CANNOT_RUN;
    if (wc < 0) {
        fprintf(stderr,
                "tailgate ab: --%s \"%s\": a quote is not closed; close it, e.g. --%s \"-H "
                "'X-Mode: fast'\"\n",
                label, text, label);
        free(words);
        return EXIT_USAGE;
    }
    runopts_t side;
    runopts_defaults(&side);
    opt_group_t g = runopts_group(&side);
    size_t npos = 0;
    int rc = opt_parse(&g, 1, wc, words, NULL, 0, &npos, err, sizeof err);
    const opt_t *bad =
        rc == 0 ? opt_outside_scope(runopts_table, runopts_table_len, side.given, OPT_SCOPE_CLIENT)
                : NULL;
    if (bad) {
        snprintf(err, sizeof err,
                 "--%s is not a client option: give it once, before --baseline/--optimized, so "
                 "both runs offer the same load with the same inputs%s",
                 bad->name,
                 bad->offset == offsetof(runopts_t, out_path) ||
                         bad->offset == offsetof(runopts_t, log_path)
                     ? " (ab names its files itself, see --out-dir)"
                     : "");
        rc = -1;
    }
    if (rc == 0) {
        *out = *shared;
        uint64_t mask = user_given ? side.given : side.given & ~shared->given;
        rc = opt_merge(runopts_table, runopts_table_len, out, &out->given, &side, mask, err,
                       sizeof err);
    }
    if (rc == 0)
        rc = runopts_finish(out, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "tailgate ab: --%s \"%s\": %s\n", label, text,
                rc == 1 ? "--help is not a client option; give client options, e.g. --batch 4 "
                          "(tailgate ab --help lists them)"
                        : err);
        free(words);
        return EXIT_USAGE;
    }
    *words_out = words;
    return EXIT_OK;
}

/* *made: this call created it (so a run that writes nothing into it can
 * take it away again). */
static int ab_mkdir(const char *dir, bool *made)
{
    *made = mkdir(dir, 0755) == 0;
    if (*made)
        return 0;
    struct stat st;
    if (errno != EEXIST)
        return errno;
    /* a file of that name: said now, not as an --out ab has no such option as */
    return stat(dir, &st) == 0 && !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Runs one side; its result is moved into *result (which the caller closes). */
static int ab_run_side(const char *label, const runopts_t *o, inputs_t *inputs, const char *dir,
                       result_t *result)
{
    char csv_name[64], json_name[64], err[512];
    snprintf(csv_name, sizeof csv_name, "latency_%s.csv", label);
    snprintf(json_name, sizeof json_name, "%s.json", label);
    char *csv = join(dir, csv_name), *out = join(dir, json_name);
    runjob_t job;
    int rc = runjob_prepare_inputs(&job, o, inputs, csv, out, err, sizeof err);
    if (rc != EXIT_OK) {
        fprintf(stderr, "tailgate ab (%s): %s\n", label, err);
    } else {
        if (!o->quiet) {
            printf("\n== %s: running\n", label);
            fflush(stdout);
        }
        rc = runjob_execute(&job, "tailgate ab");
        if (job.have_res && !o->quiet) {
            printf("== %s\n", label);
            runjob_print_summary(&job, stdout);
        }
        if (rc == EXIT_OK || rc == EXIT_SLA_FAILED) {
            *result = job.res;
            memset(&job.res, 0, sizeof job.res);
            job.have_res = false;
            rc = EXIT_OK;
        }
    }
    runjob_close(&job);
    free(csv);
    free(out);
    return rc;
}

int cmd_ab(int argc, char **argv)
{
    runopts_t shared, base, opt;
    ab_opts_t ab = {
        AB_DEFAULT_BASELINE, AB_DEFAULT_OPTIMIZED, "tailgate-out", false, NULL, 0, {{0}, 0}};
    char err[1024];
    const char *pos[1];
    size_t npos = 0;
    bool made_dir = false; /* --out-dir created by this run */
    runopts_defaults(&shared);
    opt_group_t groups[2] = {runopts_group(&shared), {ab_table, AB_TABLE_LEN, &ab, &ab.given}};
    int rc = opt_parse(groups, 2, argc - 1, argv + 1, pos, 1, &npos, err, sizeof err);
    if (rc == 1) {
        ab_usage(stdout);
        return EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "tailgate ab: %s\n(see 'tailgate ab --help')\n", err);
        return EXIT_USAGE;
    }
    if (shared.api && !strcmp(shared.api, "help")) {
        runcommon_api_help(stdout);
        return EXIT_OK;
    }
    if (shared.out_path || shared.log_path || shared.log_events_path) {
        fprintf(stderr, "tailgate ab: --out, --log and --log-events are chosen by ab: every file "
                        "goes into --out-dir (default tailgate-out/)\n");
        return EXIT_USAGE;
    }
    if (RUNOPTS_GIVEN(&shared, log_events_every)) {
        fprintf(stderr, "tailgate ab: --log-events-every samples the events log of 'tailgate run "
                        "--log-events', which ab does not write: drop it\n");
        return EXIT_USAGE;
    }
    if (ab.no_verify && ab.verify_tolerance) {
        fprintf(stderr, "tailgate ab: --verify-tolerance is how the checks compare outputs, and "
                        "--no-verify skips them: drop one of the two\n");
        return EXIT_USAGE;
    }
    if (shared.segment_text || RUNOPTS_GIVEN(&shared, segments) || shared.start_at_text) {
        fprintf(stderr, "tailgate ab: --segment, --segments and --start-at split one run over "
                        "processes; ab runs two runs in one: use them with 'tailgate run'\n");
        return EXIT_USAGE;
    }
    if (!RUNOPTS_GIVEN(&shared, concurrency) && !RUNOPTS_GIVEN(&shared, rate)) {
        shared.rate = AB_DEFAULT_RATE;
        RUNOPTS_SET_GIVEN(&shared, rate);
    }
    if (!RUNOPTS_GIVEN(&shared, requests) && !RUNOPTS_GIVEN(&shared, duration_ns)) {
        shared.requests = AB_DEFAULT_REQUESTS;
        RUNOPTS_SET_GIVEN(&shared, requests);
    }
    bool sla_default = shared.sla_texts.n == 0;
    if (sla_default)
        shared.sla_texts.v[shared.sla_texts.n++] = AB_DEFAULT_SLA;

    /* The embedded target, started before the options are finished so the
     * URL can point at it. */
    stub_t *stub = NULL;
    char url[600];
    if (npos == 1) {
        shared.url_text = pos[0];
    } else {
        stub_config_t sc;
        stub_config_defaults(&sc);
        snprintf(sc.host, sizeof sc.host, "127.0.0.1");
        sc.port = 0;
        sc.workers = AB_STUB_WORKERS;
        sc.delay_ns = AB_STUB_DELAY_MS * CLOCK_NS_PER_MS;
        sc.per_item_ns = AB_STUB_PER_ITEM_MS * CLOCK_NS_PER_MS;
        int e = stub_start(&sc, &stub, err, sizeof err);
        if (e) {
            fprintf(stderr, "tailgate ab: cannot start the embedded stub: %s\n", err);
            return EXIT_CANNOT_RUN;
        }
        /* --api: no path, so the API's own is used (the stub serves every one). */
        snprintf(url, sizeof url, "http://%s:%d%s", stub_host(stub), stub_port(stub),
                 shared.api ? "" : sc.path);
        shared.url_text = url;
        shared.target_in_process = true; /* connections cost two descriptors each */
        if (!shared.quiet)
            printf("embedded stub: %s (%d workers, %d ms per request + %d ms per item)\n", url,
                   AB_STUB_WORKERS, AB_STUB_DELAY_MS, AB_STUB_PER_ITEM_MS);
    }

    char **bw = NULL, **ow = NULL;
    inputs_t *inputs = NULL;
    char *template_text = NULL;
    verify_tolerance_t tol = {0, 0};
    result_t bres = {0}, ores = {0};
    compare_t cmp = {0};
    json_t *cmp_json = NULL;
    bool baseline_given = opt_given(ab_table, AB_TABLE_LEN, ab.given, A(baseline));
    bool optimized_given = opt_given(ab_table, AB_TABLE_LEN, ab.given, A(optimized));
    if (runopts_body_mode(&shared) && !optimized_given)
        ab.optimized = AB_DEFAULT_OPTIMIZED_BODY;
    if (ab.verify_tolerance)
        verify_parse_tolerance(ab.verify_tolerance, &tol, err, sizeof err); /* checked: parses */
    if (!runopts_body_mode(&shared)) {
        /* An API (or template, or response path) that carries one input per
         * request leaves the optimized run only its connection policy. */
        const char *tmpl;
        size_t tlen;
        rc = runcommon_template(&shared, &template_text, &tmpl, &tlen, err, sizeof err);
        if (rc != EXIT_OK) {
            fprintf(stderr, "tailgate ab: %s\n", err);
            goto done;
        }
        const preset_t *p = runcommon_preset(&shared);
        preset_args_t pa = {.model = shared.model,
                            .template_text = tmpl,
                            .template_len = tlen,
                            .outputs = shared.outputs,
                            .batch = 1};
        if (preset_one_item(p, &pa) && !optimized_given) {
            ab.optimized = AB_DEFAULT_OPTIMIZED_ONE;
            fprintf(stderr,
                    "tailgate ab: note: %s sends one input per request, so the optimized run "
                    "differs only in connection policy (--optimized \"%s\")\n",
                    tmpl ? "the template" : p->name, AB_DEFAULT_OPTIMIZED_ONE);
        }
    }
    rc = ab_side(&shared, "baseline", ab.baseline, baseline_given, &base, &bw);
    if (rc == EXIT_OK)
        rc = ab_side(&shared, "optimized", ab.optimized, optimized_given, &opt, &ow);
    if (rc != EXIT_OK)
        goto done;
    runopts_warn_slas(opt.slas, opt.num_slas, stderr, "tailgate ab");
    /* What changes nothing in either run; verification reads --outputs even
     * where the runs stream. */
    unsigned notes = runcommon_notes(&base) & runcommon_notes(&opt);
    if (!ab.no_verify)
        notes &= ~RUNCOMMON_NOTE_OUTPUTS;
    runcommon_print_notes(&base, notes, stderr, "tailgate ab");
    int e = ab_mkdir(ab.out_dir, &made_dir);
    if (e) {
        fprintf(stderr, "tailgate ab: --out-dir: cannot use '%s': %s\n", ab.out_dir, strerror(e));
        rc = EXIT_CANNOT_RUN;
        goto done;
    }
    if (!base.body_mode && (rc = runcommon_load_inputs(&base, &inputs, err, sizeof err))) {
        fprintf(stderr, "tailgate ab: %s\n", err); /* read once: the same items for every run */
        goto done;
    }
    /* Both sides' requests are planned before anything is sent: a side that
     * cannot run (--batch 8 on an API that takes one input per request, say)
     * must not cost a whole run of the other first. */
    const runopts_t *sides[2] = {&base, &opt};
    for (int i = 0; i < 2 && rc == EXIT_OK; i++) {
        runjob_t plan;
        rc = runjob_prepare_inputs(&plan, sides[i], inputs, NULL, NULL, err, sizeof err);
        if (rc != EXIT_OK)
            fprintf(stderr, "tailgate ab (%s): %s\n", i ? "optimized" : "baseline", err);
        runjob_close(&plan);
    }
    if (rc != EXIT_OK)
        goto done;
    runcommon_install_signals();
    if (!ab.no_verify) {
        /* Verification compares whole answers at the response path: a
         * streaming API's preset asks for them (--no-stream's bodies). */
        runopts_t whole = base;
        whole.stream = false;
        runjob_t probe;
        rc = runjob_prepare_inputs(&probe, &whole, inputs, NULL, NULL, err, sizeof err);
        if (rc == EXIT_OK) {
            /* The batch compared is one the runs send: no larger than the
             * larger side's --batch. */
            uint64_t most = base.batch > opt.batch ? base.batch : opt.batch;
            unsigned checked = 0;
            bool batched = false;
            rc = verify_target(&probe.eng, AB_VERIFY_SAMPLES,
                               most < AB_VERIFY_SAMPLES ? (unsigned)most : AB_VERIFY_SAMPLES, &tol,
                               &checked, &batched, stderr);
            if (rc == EXIT_OK && !runcommon_signal_seen() && !shared.quiet && probe.have_plan) {
                if (!batched)
                    printf("verified: %u inputs each answered with its output at %s (%s: no batch "
                           "to compare)\n",
                           checked, rpath_text(probe.plan.outputs),
                           probe.plan.single ? "one input per request" : "neither run batches");
                else if (ab.verify_tolerance)
                    printf("verified: %u inputs give the same outputs alone and in one batch "
                           "(numbers within abs=%g, rel=%g)\n",
                           checked, tol.abs, tol.rel);
                else
                    printf("verified: %u inputs give the same outputs alone and in one batch\n",
                           checked);
            }
        } else {
            fprintf(stderr, "tailgate ab: %s\n", err);
        }
        runjob_close(&probe);
        if (rc != EXIT_OK)
            goto done;
    }
    if (runcommon_signal_seen())
        goto done; /* interrupted before measuring: nothing to write */
    rc = ab_run_side("baseline", &base, inputs, ab.out_dir, &bres);
    bool both = false; /* interrupted after the baseline: no comparison */
    if (rc == EXIT_OK && !runcommon_signal_seen()) {
        rc = ab_run_side("optimized", &opt, inputs, ab.out_dir, &ores);
        both = rc == EXIT_OK;
    }
    if (!both)
        goto done;

    /* The verdict: the shared SLAs judged on the optimized run, the
     * regression gates on both. */
    regress_t gates[GATES_MAX_REGRESS];
    size_t ngates = gates_parse_regress(&ab.regress_texts, gates, GATES_MAX_REGRESS);
    /* Without --sla the default is what the runs recorded: say so, not "the --sla given". */
    if (compare_build(&bres, "baseline.json", &ores, "optimized.json",
                      sla_default ? NULL : opt.slas, sla_default ? 0 : opt.num_slas, &cmp) ||
        compare_gate(&cmp, &bres, &ores, gates, ngates) || !(cmp_json = compare_to_json(&cmp))) {
        fprintf(stderr, "tailgate ab: out of memory\n");
        rc = EXIT_CANNOT_RUN;
        goto done;
    }
    char *path = join(ab.out_dir, "comparison.json");
    if (result_write_file(cmp_json, path, err, sizeof err))
        fprintf(stderr, "tailgate ab: %s\n", err);
    free(path);
    printf("\n");
    fflush(stdout);
    cmptext_warn_inputs(stderr, &cmp);
    cmptext_print(stdout, &cmp);
    const result_t *runs[2] = {&bres, &ores};
    const char *labels[2] = {"baseline", "optimized"};
    path = join(ab.out_dir, "report.html");
    if (report_write(path, runs, labels, 2, &cmp, NULL, err, sizeof err))
        fprintf(stderr, "tailgate ab: report: %s\n", err);
    free(path);
    printf("files: %s/{latency_baseline.csv,latency_optimized.csv,baseline.json,optimized.json,"
           "comparison.json,report.html}\n",
           ab.out_dir);
    if (shared.quiet) /* the failed gates, one line each, whatever else is left out */
        gates_print_failed_compare(stderr, "tailgate ab", &cmp);
    rc = cmp.pass ? EXIT_OK : EXIT_SLA_FAILED;
done:
    /* A directory this call made and nothing was written into (an
     * unreachable target, a failed verification): rmdir removes only an
     * empty one. */
    if (made_dir)
        rmdir(ab.out_dir);
    result_close(&bres);
    result_close(&ores);
    compare_close(&cmp);
    json_decref(cmp_json);
    free(bw);
    free(ow);
    inputs_free(inputs);
    free(template_text);
    stub_stop(stub);
    int sig = runcommon_signal_seen();
    if (sig)
        return sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
    return rc;
}
