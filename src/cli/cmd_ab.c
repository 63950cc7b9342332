/* tailgate ab [URL] — baseline vs optimized on identical inputs. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/runcommon.h"
#include "cli/runopts.h"
#include "cli/verify.h"
#include "core/clock.h"
#include "output/cmptext.h"
#include "output/report.h"
#include "stats/compare.h"
#include "stats/result.h"
#include "stub/stub.h"

#define AB_DEFAULT_BASELINE "--batch 1 --connections 100"
#define AB_DEFAULT_OPTIMIZED "--batch 10 --linger 50ms --connections 0"
/* --body sends no items to batch: pooling is the client change left. */
#define AB_DEFAULT_OPTIMIZED_BODY "--connections 0"
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

enum { OPT_BASELINE = 2000, OPT_OPTIMIZED, OPT_OUT_DIR, OPT_NO_VERIFY };

static const struct option ab_long[] = {
    {"baseline", required_argument, NULL, OPT_BASELINE},
    {"optimized", required_argument, NULL, OPT_OPTIMIZED},
    {"out-dir", required_argument, NULL, OPT_OUT_DIR},
    {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
};

typedef struct {
    const char *baseline;
    const char *optimized;
    const char *out_dir;
    bool no_verify;
    bool optimized_set;
} ab_opts_t;

static int ab_extra(void *ctx, int val, const char *arg, char *err, size_t errlen)
{
    ab_opts_t *a = ctx;
    switch (val) {
    case OPT_BASELINE:
        a->baseline = arg;
        return 0;
    case OPT_OPTIMIZED:
        a->optimized = arg;
        a->optimized_set = true;
        return 0;
    case OPT_OUT_DIR:
        a->out_dir = arg;
        return 0;
    case OPT_NO_VERIFY:
        a->no_verify = true;
        return 0;
    }
    snprintf(err, errlen, "unknown option");
    return -1;
}

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
            "\n"
            "ab options:\n"
            "      --baseline \"OPTS\"   client options of the baseline run\n"
            "                          (default \"" AB_DEFAULT_BASELINE "\")\n"
            "      --optimized \"OPTS\"  client options of the optimized run\n"
            "                          (default \"" AB_DEFAULT_OPTIMIZED "\";\n"
            "                          with --body \"" AB_DEFAULT_OPTIMIZED_BODY "\")\n"
            "      --out-dir DIR       where the files go (default tailgate-out/):\n"
            "                          latency_baseline.csv latency_optimized.csv baseline.json\n"
            "                          optimized.json comparison.json report.html\n"
            "      --no-verify         skip the checks made before measuring (a sample request\n"
            "                          answers 2xx with one output per input; %d inputs get the\n"
            "                          same outputs alone and as one batch)\n"
            "\n"
            "Shared options (both runs; default --rate %.0f --requests %d --sla '%s'; the\n"
            "SLA is judged on the optimized run; --quiet prints only the comparison).\n"
            "Load, bounds, inputs, --validate and --sla go here, once, never in --baseline or\n"
            "--optimized, so that both runs offer the same load with the same inputs:\n%s%s\n"
            "Exit codes: 0 the optimized run meets every SLA, 1 it does not, 2 bad usage,\n"
            "3 could not run, 4 the target failed verification, 130/143 interrupted.\n",
            AB_STUB_WORKERS, AB_STUB_DELAY_MS, AB_STUB_PER_ITEM_MS, AB_DEFAULT_RATE,
            AB_VERIFY_SAMPLES, AB_DEFAULT_RATE, AB_DEFAULT_REQUESTS, AB_DEFAULT_SLA, runopts_help,
            runopts_help_gate);
}

static bool str_differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/* The option a side changed that must be the same in both runs (load, bounds,
 * inputs, validation, gate, output), or NULL. Judged on the parsed result, so
 * every spelling getopt accepts (--req, -n5, --rate=5) is caught. */
static const char *side_changed_shared(const runopts_t *sh, const runopts_t *o)
{
    const engine_config_t *a = &sh->eng, *b = &o->eng;
    if (a->concurrency != b->concurrency || sh->concurrency_set != o->concurrency_set)
        return "--concurrency";
    if (a->rate != b->rate || sh->rate_set != o->rate_set)
        return "--rate";
    if (a->arrival != b->arrival)
        return "--arrival";
    if (a->seed != b->seed)
        return "--seed";
    if (a->requests != b->requests || sh->requests_set != o->requests_set)
        return "--requests";
    if (a->duration_ns != b->duration_ns || sh->duration_set != o->duration_set)
        return "--duration";
    if (a->warmup_ns != b->warmup_ns)
        return "--warmup";
    if (str_differs(sh->inputs_path, o->inputs_path))
        return "--inputs";
    if (str_differs(a->model, b->model))
        return "--model";
    if (str_differs(sh->body_path, o->body_path))
        return "--body";
    if (str_differs(a->method, b->method))
        return "--method";
    if (a->validate != b->validate || sh->validate_set != o->validate_set)
        return "--validate";
    if (sh->num_slas != o->num_slas)
        return "--sla";
    if (sh->quiet != o->quiet)
        return "--quiet";
    if (o->out_path || o->log_path)
        return o->out_path ? "--out" : "--log";
    return NULL;
}

/* Parses one side's option string on top of the shared options. */
static int ab_side(const runopts_t *shared, const char *label, const char *text, runopts_t *out,
                   char ***words_out)
{
    char err[512];
    *out = *shared;
    out->eng.headers = out->headers;
    int wc = 0;
    char **words = runopts_split(text, &wc);
    if (!words)
        return EXIT_CANNOT_RUN;
    /* getopt skips argv[0]: give it one. */
    char **argv = calloc((size_t)wc + 2, sizeof *argv);
    if (!argv) {
        free(words);
        return EXIT_CANNOT_RUN;
    }
    argv[0] = (char *)label;
    memcpy(argv + 1, words, (size_t)wc * sizeof *argv);
    const char *pos[1];
    size_t npos = 0;
    int rc = runopts_parse(out, wc + 1, argv, NULL, 0, NULL, NULL, pos, 0, &npos, err, sizeof err);
    free(argv);
    const char *bad = rc == 0 ? side_changed_shared(shared, out) : NULL;
    if (bad) {
        snprintf(err, sizeof err,
                 "%s is not a client option: give it once, before --baseline/--optimized, so "
                 "both runs offer the same load with the same inputs%s",
                 bad,
                 !strcmp(bad, "--out") || !strcmp(bad, "--log")
                     ? " (ab names its files itself, see --out-dir)"
                     : "");
        fprintf(stderr, "tailgate ab: --%s \"%s\": %s\n", label, text, err);
        free(words);
        return EXIT_USAGE;
    }
    if (rc == 0)
        rc = runopts_finish(out, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "tailgate ab: --%s \"%s\": %s\n", label, text,
                rc == 1 ? "--help is not an option of a run" : err);
        free(words);
        return EXIT_USAGE;
    }
    *words_out = words;
    return EXIT_OK;
}

static int ab_mkdir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    return errno;
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
static int ab_run_side(const char *label, runopts_t *o, const char *dir, result_t *result)
{
    char csv_name[64], json_name[64], err[512];
    snprintf(csv_name, sizeof csv_name, "latency_%s.csv", label);
    snprintf(json_name, sizeof json_name, "%s.json", label);
    char *csv = join(dir, csv_name), *out = join(dir, json_name);
    runjob_t job;
    int rc = runjob_prepare(&job, o, csv, out, "tailgate ab", err, sizeof err);
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
    ab_opts_t ab = {AB_DEFAULT_BASELINE, AB_DEFAULT_OPTIMIZED, "tailgate-out", false, false};
    char err[512];
    const char *pos[1];
    size_t npos = 0;
    runopts_defaults(&shared);
    int rc = runopts_parse(&shared, argc, argv, ab_long, sizeof ab_long / sizeof ab_long[0],
                           ab_extra, &ab, pos, 1, &npos, err, sizeof err);
    if (rc == 1) {
        ab_usage(stdout);
        return EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "tailgate ab: %s\n(see 'tailgate ab --help')\n", err);
        return EXIT_USAGE;
    }
    if (shared.out_path || shared.log_path) {
        fprintf(stderr, "tailgate ab: --out and --log are chosen by ab: every file goes into "
                        "--out-dir (default tailgate-out/)\n");
        return EXIT_USAGE;
    }
    if (!shared.concurrency_set && !shared.rate_set) {
        shared.eng.rate = AB_DEFAULT_RATE;
        shared.rate_set = true;
    }
    if (!shared.requests_set && !shared.duration_set) {
        shared.eng.requests = AB_DEFAULT_REQUESTS;
        shared.requests_set = true;
    }
    if (shared.num_slas == 0) {
        sla_parse(AB_DEFAULT_SLA, &shared.slas[0], err, sizeof err);
        shared.num_slas = 1;
    }

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
        snprintf(url, sizeof url, "http://%s:%d%s", stub_host(stub), stub_port(stub), sc.path);
        shared.url_text = url;
        if (!shared.quiet)
            printf("embedded stub: %s (%d workers, %d ms per request + %d ms per item)\n", url,
                   AB_STUB_WORKERS, AB_STUB_DELAY_MS, AB_STUB_PER_ITEM_MS);
    }

    char **bw = NULL, **ow = NULL;
    result_t bres = {0}, ores = {0};
    compare_t cmp = {0};
    json_t *cmp_json = NULL;
    if (shared.body_path && !ab.optimized_set)
        ab.optimized = AB_DEFAULT_OPTIMIZED_BODY;
    rc = ab_side(&shared, "baseline", ab.baseline, &base, &bw);
    if (rc == EXIT_OK)
        rc = ab_side(&shared, "optimized", ab.optimized, &opt, &ow);
    if (rc != EXIT_OK)
        goto done;
    int e = ab_mkdir(ab.out_dir);
    if (e) {
        fprintf(stderr, "tailgate ab: --out-dir: cannot create '%s': %s\n", ab.out_dir,
                strerror(e));
        rc = EXIT_CANNOT_RUN;
        goto done;
    }
    runcommon_install_signals();
    if (!ab.no_verify) {
        runjob_t probe;
        rc = runjob_prepare(&probe, &base, NULL, NULL, "tailgate ab", err, sizeof err);
        if (rc == EXIT_OK) {
            rc = verify_target(&base.eng, AB_VERIFY_SAMPLES, stderr);
            if (rc == EXIT_OK && !runcommon_signal_seen() && !shared.quiet)
                printf("verified: %u inputs give the same outputs alone and in one batch\n",
                       AB_VERIFY_SAMPLES);
        } else {
            fprintf(stderr, "tailgate ab: %s\n", err);
        }
        runjob_close(&probe);
        if (rc != EXIT_OK)
            goto done;
    }
    if (runcommon_signal_seen())
        goto done; /* interrupted before measuring: nothing to write */
    rc = ab_run_side("baseline", &base, ab.out_dir, &bres);
    bool both = false; /* interrupted after the baseline: no comparison */
    if (rc == EXIT_OK && !runcommon_signal_seen()) {
        rc = ab_run_side("optimized", &opt, ab.out_dir, &ores);
        both = rc == EXIT_OK;
    }
    if (!both)
        goto done;

    /* The verdict: the shared SLAs judged on the optimized run. */
    if (compare_build(&bres, "baseline.json", &ores, "optimized.json", shared.slas, shared.num_slas,
                      &cmp) ||
        !(cmp_json = compare_to_json(&cmp))) {
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
    rc = cmp.sla_pass ? EXIT_OK : EXIT_SLA_FAILED;
done:
    result_close(&bres);
    result_close(&ores);
    compare_close(&cmp);
    json_decref(cmp_json);
    free(bw);
    free(ow);
    stub_stop(stub);
    int sig = runcommon_signal_seen();
    if (sig)
        return sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
    return rc;
}
