/* tailgate sweep [URL] — the highest load that meets the SLA.
 *
 * Open-loop steps (or closed-loop concurrency, --concurrency-sweep) chosen by
 * load/ratesearch: double from the start until a step fails, then bisect to
 * --precision. Each step is one run (cli/runcommon: one engine per step),
 * judged by stats/sweep: every SLA, the early-stopping count of each
 * percentile gate at --confidence, and the self-check. A step too short to
 * decide runs again longer (up to --max-step-duration); a step whose client
 * fell behind runs again (INVALID_REPEATS) and, behind every time, stops the
 * sweep: the client is the limit. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/runcommon.h"
#include "cli/gates.h"
#include "cli/runopts.h"
#include "core/clock.h"
#include "core/parse.h"
#include "load/ratesearch.h"
#include "stats/result.h"
#include "stats/sweep.h"
#include "stub/stub.h"

#define WHO "tailgate sweep"
#define PROBE_CONCURRENCY 16
#define PROBE_NS (2 * CLOCK_NS_PER_S)
#define SWEEP_DEFAULT_SLA "p95<=800ms"
/* Extending an undecided step: at least this much longer, and a margin over
 * the items the estimate says it needs. */
/* A step whose client fell behind its pace runs again this many times
 * before the sweep says the client is the limit: a moment's contention for
 * the CPU on a shared machine is not a verdict; a client that cannot keep up
 * stays behind every time. */
#define INVALID_REPEATS 2
#define EXTEND_MIN 1.5
#define EXTEND_MARGIN 1.15

/* The embedded target: ab's batching inference server (four workers, 50 ms
 * per request plus 2 ms per item), swept at batch 1 and batch 10. */
#define EMBED_WORKERS 4
#define EMBED_DELAY_MS 50
#define EMBED_PER_ITEM_MS 2

typedef struct {
    double start, max;
    uint64_t step_ns, max_step_ns, cooldown_ns;
    double precision, confidence, require;
    bool concurrency_sweep;
    uint64_t max_concurrency;
    const char *log_dir;
    uint64_t given;
} sweep_opts_t;

#define W(field) offsetof(sweep_opts_t, field)
static const opt_t sweep_table[] = {
    {.kind = OPT_HEADING, .help = "sweep options:"},
    {"start-rate", 0, OPT_RATE, OPT_SCOPE_LOAD, W(start), 1e-3, 1e8, .arg = "R",
     .config = "start_rate",
     .help = "the first step's rate, items/s (default: half what a 2 s\n"
             "closed-loop probe of --concurrency users, 16 by default, served)"},
    {"max-rate", 0, OPT_RATE, OPT_SCOPE_LOAD, W(max), 1e-3, 1e8, .arg = "R", .config = "max_rate",
     .help = "never offer more than this (default: no ceiling)"},
    {"step-duration", 0, OPT_DURATION, OPT_SCOPE_LOAD, W(step_ns), 1, 0, .arg = "D",
     .config = "step_duration_s", .help = "each step's length (default 10s; no URL: 3s)"},
    {"max-step-duration", 0, OPT_DURATION, OPT_SCOPE_LOAD, W(max_step_ns), 1, 0, .arg = "D",
     .config = "max_step_duration_s",
     .help = "a step too short to back its percentile claims runs again\n"
             "longer, up to this (default 60s; no URL: 12s)"},
    {"cooldown", 0, OPT_DURATION, OPT_SCOPE_LOAD, W(cooldown_ns), 0, 0, .arg = "D",
     .config = "cooldown_s",
     .help = "pause between steps, for the server's queues to drain\n(default 2s; no URL: 500ms)"},
    {"precision", 0, OPT_PERCENT, OPT_SCOPE_GATE, W(precision), 0.001, 1, .arg = "P%",
     .config = "precision",
     .help = "bisect until the failing rate is within P% of the passing\none (default 5%; no URL: "
             "10%)"},
    {"confidence", 0, OPT_PERCENT, OPT_SCOPE_GATE, W(confidence), 0.5, 0.999999, .arg = "C%",
     .config = "confidence",
     .help = "a step passes a percentile gate only with enough items to\n"
             "claim it at this confidence (binomial rule; default 99%:\n"
             "90 items for p95, 459 for p99 when none is over the bound;\n"
             "an error_rate<E gate the same in requests, failed ones over)"},
    {"require-rate", 0, OPT_RATE, OPT_SCOPE_GATE, W(require), 1e-3, 1e8, .arg = "R",
     .config = "require_rate", .help = "exit 1 unless the capacity is at least R"},
    {"concurrency-sweep", 0, OPT_FLAG, OPT_SCOPE_LOAD, W(concurrency_sweep),
     .config = "concurrency_sweep",
     .help = "sweep closed-loop concurrency instead of the rate, from\n"
             "--concurrency C (default 1), for servers sized by users"},
    {"max-concurrency", 0, OPT_COUNT, OPT_SCOPE_LOAD, W(max_concurrency), 1, 1e6, .arg = "N",
     .config = "max_concurrency", .help = "--concurrency-sweep: never more than N (default 1024)"},
    {"log-dir", 0, OPT_STRING, OPT_SCOPE_OUTPUT, W(log_dir), .arg = "DIR", .path = "steps",
     .help = "keep each step's per-request CSV in DIR (step-01-rate-40.csv)"},
};
#define SWEEP_TABLE_LEN (sizeof sweep_table / sizeof sweep_table[0])
#define GIVEN(s, field) opt_given(sweep_table, SWEEP_TABLE_LEN, (s)->given, W(field))

static void sweep_usage(FILE *f)
{
    fprintf(f,
            "usage: tailgate sweep [URL] --sla EXPR [options]\n"
            "\n"
            "Finds the highest load URL takes while every --sla holds: open-loop steps from\n"
            "--start-rate, doubling until one fails, then bisecting to --precision (MLPerf's\n"
            "server search); the answer runs once more and must pass again. A step passes\n"
            "only when every SLA passes and it holds enough items for each percentile gate\n"
            "(and requests for an error_rate gate) at --confidence; one too short to decide\n"
            "runs again longer. Every step checks the client too: one that fell behind its\n"
            "own schedule (send lag, send rate, --connections) is invalid, and the sweep\n"
            "stops and says what to change.\n"
            "Prints a line per step and the answer:\n"
            "  capacity: 412 items/s at p95<=800ms (99%% confidence; next step 430/s failed:\n"
            "  p95 912 ms)\n"
            "With no URL it starts the stub in-process (%d workers, %d ms per request + %d ms\n"
            "per item) and sweeps it at batch 1 and at batch 10 (--linger 50ms), SLA '%s'\n"
            "unless given: batching moves the knee. `make sweep-demo` runs exactly this.\n"
            "\n",
            EMBED_WORKERS, EMBED_DELAY_MS, EMBED_PER_ITEM_MS, SWEEP_DEFAULT_SLA);
    opt_help(f, sweep_table, SWEEP_TABLE_LEN, 0, false);
    fputs("\nRun options (every step; --out FILE.json writes the sweep: each step's whole\n"
          "result and the capacity, for 'tailgate report'; --warmup runs before each step):\n",
          f);
    opt_help(f, runopts_table, runopts_table_len, RUNOPTS_VIEW_SWEEP, true);
    fputs("\nExit codes: 0 a capacity was found (at least --require-rate), 1 none was (or\n"
          "below --require-rate), 2 bad usage, 3 the client was the limit, or the target\n"
          "could not be reached, 130/143 interrupted.\n",
          f);
}

/* Everything one sweep needs while it runs. */
typedef struct {
    const runopts_t *base; /* parsed, not finished: each step finishes its own copy */
    const sweep_opts_t *so;
    const char *label;    /* "batch 1", or "" */
    const char *file_tag; /* "batch1-", or "" */
    bool quiet;
    FILE *out;       /* the table and the answer: stdout, or stderr when --out - has it */
    unsigned runs;   /* engine runs so far, this sweep (for the cooldown and file names) */
    bool confirming; /* the step runs the answer again: a fresh sample */
    bool probing;    /* the run is the probe, not a step: not numbered */
    unsigned steps;  /* steps run so far (the table's and the log files' numbers) */
} sweep_run_t;

static void clear_given(runopts_t *o, size_t offset)
{
    uint64_t bit = 0;
    opt_set_given(runopts_table, runopts_table_len, &bit, offset);
    o->given &= ~bit;
}

/* The options of one run at `load`: the user's, with the load model and the
 * bounds the sweep sets. */
static int step_options(const sweep_run_t *sr, bool closed, double load, uint64_t duration_ns,
                        runopts_t *o, char *err, size_t errlen)
{
    *o = *sr->base;
    clear_given(o, offsetof(runopts_t, requests));
    clear_given(o, offsetof(runopts_t, rate));
    clear_given(o, offsetof(runopts_t, concurrency));
    o->requests = 0;
    o->duration_ns = duration_ns;
    RUNOPTS_SET_GIVEN(o, duration_ns);
    if (closed) {
        o->concurrency = (uint64_t)load;
        RUNOPTS_SET_GIVEN(o, concurrency);
    } else {
        o->rate = load;
        RUNOPTS_SET_GIVEN(o, rate);
    }
    /* The same seed would replay the same poisson arrivals, scaled: the
     * confirmation would repeat the sample it is meant to check. */
    if (sr->confirming && !closed && o->arrival == ARRIVAL_POISSON)
        o->seed++;
    o->out_path = NULL;
    o->log_path = NULL;
    o->quiet = true;
    return runopts_finish(o, err, errlen);
}

/* The cool-down: the server's queues drain before the next step. A signal
 * ends it early. */
static void pause_for(uint64_t ns)
{
    uint64_t end = clock_now_ns() + ns;
    for (uint64_t now; !runcommon_signal_seen() && (now = clock_now_ns()) < end;) {
        uint64_t left = end - now;
        struct timespec ts = {(time_t)(left / CLOCK_NS_PER_S), (long)(left % CLOCK_NS_PER_S)};
        nanosleep(&ts, NULL);
    }
}

/* One engine run; its result moved into *out. EXIT_OK, or the run's exit
 * code after it said why (could not run, an output could not be written). */
static int run_once(sweep_run_t *sr, bool closed, double load, uint64_t duration_ns, result_t *out)
{
    runopts_t o;
    char err[1024], path[4096], num[32];
    if (sr->runs++ && sr->so->cooldown_ns)
        pause_for(sr->so->cooldown_ns);
    if (runcommon_signal_seen())
        return EXIT_SIGINT;
    if (step_options(sr, closed, load, duration_ns, &o, err, sizeof err)) {
        fprintf(stderr, WHO ": %s\n", err);
        return EXIT_USAGE;
    }
    const char *log = NULL;
    if (!sr->probing)
        sr->steps++;
    if (sr->so->log_dir) {
        /* Numbered as the table and the document number the steps. */
        char step[16];
        snprintf(step, sizeof step, "step-%02u", sr->steps);
        parse_format_number(load, num, sizeof num);
        snprintf(path, sizeof path, "%s/%s%s-%s-%s.csv", sr->so->log_dir, sr->file_tag,
                 sr->probing ? "probe" : step, closed ? "concurrency" : "rate", num);
        log = path;
    }
    runjob_t job;
    int rc = runjob_prepare(&job, &o, log, NULL, err, sizeof err);
    if (rc != EXIT_OK) {
        fprintf(stderr, WHO ": %s\n", err);
    } else {
        rc = runjob_execute(&job, WHO);
        if (job.have_res && (rc == EXIT_OK || rc == EXIT_SLA_FAILED)) {
            *out = job.res;
            memset(&job.res, 0, sizeof job.res);
            job.have_res = false;
            rc = EXIT_OK;
        }
    }
    runjob_close(&job);
    return rc;
}

/* ---- the live table --------------------------------------------------------- */

static void table_head(const sweep_run_t *sr, const sweep_t *s)
{
    if (sr->quiet)
        return;
    const char *m = "item";
    for (size_t i = 0; i < s->nslas; i++)
        if (s->slas[i].metric == SLA_LATENCY_PCT || s->slas[i].metric == SLA_LATENCY_MEAN) {
            m = metric_table[s->slas[i].latency].label;
            break;
        }
    fprintf(sr->out, "%s%s%s  %-9s %10s %10s  %9s %9s %9s %7s %10s  %-9s %-5s\n",
            *sr->label ? "== " : "", sr->label, *sr->label ? "\n" : "", "step",
            s->concurrency ? "users" : "offered/s", "served/s", "p50 ms", "p95 ms", "p99 ms",
            "errors", "goodput/s", "verdict", "valid");
    fprintf(sr->out, "  (%s latency; goodput: items answered within every latency bound)\n", m);
    fflush(sr->out);
}

/* The gated metric: the first latency SLA's, else item latency. */
static metric_id_t gated_metric(const sweep_t *s)
{
    for (size_t i = 0; i < s->nslas; i++)
        if (s->slas[i].metric == SLA_LATENCY_PCT || s->slas[i].metric == SLA_LATENCY_MEAN)
            return s->slas[i].latency;
    return METRIC_ITEM;
}

/* Items per second answered within every item-latency gate's bound (the
 * tightest one decides); every answered item when there is none. */
static double goodput(const sweep_step_t *st)
{
    const runstats_t *rs = &st->result.stats;
    double d = result_duration_s(&st->result);
    uint64_t good = rs->items_ok;
    for (size_t i = 0; i < st->ngates; i++) {
        const sweep_gate_t *g = &st->gates[i];
        if (g->sla.metric == SLA_LATENCY_PCT &&
            metric_table[g->sla.latency].per == METRIC_PER_ITEM && g->items >= g->over &&
            g->items - g->over < good)
            good = g->items - g->over;
    }
    return d > 0 ? (double)good / d : 0;
}

static void table_row(const sweep_run_t *sr, const sweep_t *s, const sweep_step_t *st,
                      const char *then)
{
    if (sr->quiet)
        return;
    result_summary_t sum;
    result_summary(&st->result, gated_metric(s), &sum);
    const runstats_t *rs = &st->result.stats;
    double d = result_duration_s(&st->result);
    char step[16], load[32];
    snprintf(step, sizeof step, "%zu%s", (size_t)(st - s->steps) + 1,
             st->attempt > 1 ? (st->attempt == 2 ? " (2nd)" : " (again)") : "");
    parse_format_number(st->offered, load, sizeof load);
    fprintf(sr->out, "  %-9s %10s %10.1f ", step, load, d > 0 ? (double)rs->items_ok / d : 0.0);
    static const double shown[] = {50, 95, 99};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        int k = metric_pct_index(shown[i]);
        if (isfinite(sum.pct_ms[k]))
            fprintf(sr->out, " %9.1f", sum.pct_ms[k]);
        else
            fprintf(sr->out, " %9s", "-");
    }
    fprintf(sr->out, " %6.1f%% %10.1f  %-9s %-5s",
            rs->requests ? 100.0 * (double)(rs->requests - rs->requests_ok) / (double)rs->requests
                         : 0.0,
            goodput(st), sweep_verdict_name(st->verdict),
            st->verdict == SWEEP_INVALID ? "no" : "yes");
    bool why = st->verdict != SWEEP_PASS && st->why[0];
    if (why)
        fprintf(sr->out, "  %s", st->why);
    if (then)
        fprintf(sr->out, "%s%s", why ? "; " : "  ", then);
    fputc('\n', sr->out);
    fflush(sr->out);
}

/* ---- one sweep -------------------------------------------------------------- */

/* The start: half what a short closed-loop probe served. 0 after saying why
 * when it served nothing. */
static double probe_start(sweep_run_t *sr, int *rc)
{
    uint64_t users =
        RUNOPTS_GIVEN(sr->base, concurrency) ? sr->base->concurrency : PROBE_CONCURRENCY;
    result_t r;
    memset(&r, 0, sizeof r);
    sr->probing = true;
    *rc = run_once(sr, true, (double)users, PROBE_NS, &r);
    sr->probing = false;
    if (*rc != EXIT_OK)
        return 0;
    double d = result_duration_s(&r), served = d > 0 ? (double)r.stats.items_ok / d : 0;
    uint64_t errors = r.stats.requests - r.stats.requests_ok;
    url_t u;
    char uerr[200];
    bool tls = !(served > 0) && url_parse(sr->base->url_text, &u, uerr, sizeof uerr) == 0 &&
               gates_print_tls_hint(stderr, WHO, &u, &r);
    result_close(&r);
    if (tls) {
        *rc = EXIT_CANNOT_RUN;
        return 0;
    }
    if (!(served > 0)) {
        fprintf(stderr,
                WHO ": the probe (%llu requests in flight for 2 s) got no successful answer "
                    "(%llu errors): check the URL and --validate, or give --start-rate R\n",
                (unsigned long long)users, (unsigned long long)errors);
        *rc = EXIT_CANNOT_RUN;
        return 0;
    }
    /* Three significant digits: every later rate is this times a power of two. */
    double half = served / 2, mag = pow(10, floor(log10(half)) - 2);
    double start = fmax(round(half / mag) * mag, 1e-3);
    if (!sr->quiet) {
        char at[32];
        parse_format_number(start, at, sizeof at);
        fprintf(sr->out,
                "probe: %llu requests in flight for 2 s served %.1f items/s: starting at %s/s\n",
                (unsigned long long)users, served, at);
    }
    return start;
}

/* How much longer an undecided step must run for its gates, or 0 when even
 * the longest step would not do. */
static uint64_t extended(const sweep_run_t *sr, const sweep_step_t *st, uint64_t dur)
{
    double factor = EXTEND_MIN;
    for (size_t i = 0; i < st->ngates; i++) {
        const sweep_gate_t *g = &st->gates[i];
        if (g->accepted)
            continue;
        if (g->needed == UINT64_MAX || g->items == 0)
            return 0;
        double f = (double)g->needed / (double)g->items * EXTEND_MARGIN;
        if (f > factor)
            factor = f;
    }
    uint64_t max = sr->so->max_step_ns;
    if (dur >= max)
        return 0;
    double want = (double)dur * factor;
    /* More than the longest step gives by the estimate (with its margin
     * taken off): undecided now rather than after a long run. */
    if (want / EXTEND_MARGIN > (double)max)
        return 0;
    /* Too short to show the server kept up (two full seconds of arrivals,
     * stats/sweep.h): three, so that a last partial second leaves it short
     * no more. */
    if (!sr->so->concurrency_sweep && !isfinite(st->growth) && want < 3e9)
        want = 3e9;
    return want > (double)max ? max : (uint64_t)want;
}

/* How often an invalid step runs again: a pool too small for the rate
 * stays too small (no repeat); lateness may be a moment's contention. */
static unsigned repeats_for(const sweep_step_t *st)
{
    return st->check.why & (SELFCHECK_SEND_LAG | SELFCHECK_SEND_RATE) ? INVALID_REPEATS : 0;
}

/* Runs one sweep into s. Returns EXIT_OK when it ran to its end (whatever
 * the answer), else the code to exit with (3 client or target, 130/143). */
static int sweep_run(sweep_run_t *sr, sweep_t *s)
{
    const sweep_opts_t *so = sr->so;
    bool closed = so->concurrency_sweep;
    int rc = EXIT_OK;
    double start, min, max;
    if (closed) {
        start = RUNOPTS_GIVEN(sr->base, concurrency) ? (double)sr->base->concurrency : 1;
        min = 1;
        max = (double)so->max_concurrency;
    } else {
        start = GIVEN(so, start) ? so->start : probe_start(sr, &rc);
        if (rc != EXIT_OK)
            return rc;
        min = start / 64;
        max = GIVEN(so, max) ? so->max : 0;
    }
    table_head(sr, s);
    ratesearch_t search;
    ratesearch_init(&search, start, min, max, so->precision);
    if (closed)
        ratesearch_set_granularity(&search, 1);
    uint64_t pass_dur = 0; /* the length of the last passing step, at pass_load */
    double pass_load = 0;
    for (double load; (load = ratesearch_next(&search)) > 0;) {
        sr->confirming = search.phase == RATESEARCH_CONFIRM;
        /* A confirmation runs as long as the step it confirms: shorter, it
         * would be undecided at first again. */
        uint64_t dur = sr->confirming && load == pass_load ? pass_dur : so->step_ns;
        unsigned repeats = 0;
        const sweep_step_t *st;
        for (;;) {
            result_t r;
            memset(&r, 0, sizeof r);
            rc = run_once(sr, closed, load, dur, &r);
            if (rc != EXIT_OK)
                return rc == EXIT_USAGE || rc == EXIT_SIGINT ? rc : EXIT_CANNOT_RUN;
            sweep_step_t *cur = sweep_add_step(s, load, &r, false);
            if (!cur) {
                fprintf(stderr, WHO ": out of memory\n");
                return EXIT_CANNOT_RUN;
            }
            st = cur;
            char then[96] = "";
            uint64_t longer = 0;
            if (cur->verdict == SWEEP_UNDECIDED) {
                longer = extended(sr, cur, dur);
                if (!longer) { /* it cannot be decided: it does not pass */
                    cur->timed_out = true;
                    sweep_judge_step(s, cur);
                } else {
                    char d[32];
                    parse_format_duration(longer, d, sizeof d);
                    snprintf(then, sizeof then, "running it again for %s", d);
                }
            } else if (cur->verdict == SWEEP_INVALID && repeats < repeats_for(cur)) {
                snprintf(then, sizeof then, "running it again (%u of %u)", repeats + 1,
                         repeats_for(cur));
            } else if (sr->confirming && cur->verdict == SWEEP_PASS) {
                snprintf(then, sizeof then, "the answer, confirmed on a second run");
            } else if (sr->confirming && cur->verdict == SWEEP_FAIL) {
                snprintf(then, sizeof then,
                         "it passed before but not on a second run: searching below it");
            }
            table_row(sr, s, cur, then[0] ? then : NULL);
            if (runcommon_signal_seen())
                return EXIT_SIGINT;
            if (cur->verdict == SWEEP_UNDECIDED) {
                dur = longer;
                continue;
            }
            if (cur->verdict == SWEEP_INVALID && repeats < repeats_for(cur)) {
                repeats++;
                continue;
            }
            break;
        }
        if (st->verdict == SWEEP_INVALID)
            return EXIT_OK; /* the answer says the client is the limit */
        /* Too few items even at the longest step, and nothing passed yet:
         * lower loads would hold fewer still. The answer says what it lacked. */
        if (st->timed_out && search.pass_rate == 0)
            return EXIT_OK;
        if (st->verdict == SWEEP_PASS)
            pass_dur = dur, pass_load = load;
        ratesearch_report(&search, load, st->verdict == SWEEP_PASS);
    }
    return EXIT_OK;
}

/* Prints the answer, and for a client limit what to change. */
static void print_answer(FILE *f, const sweep_t *s)
{
    sweep_answer_t a;
    char text[1200];
    sweep_answer(s, &a);
    sweep_answer_text(s, &a, text, sizeof text);
    fprintf(f, "%s%s%s\n", s->label[0] ? s->label : "", s->label[0] ? ": " : "", text);
    if (a.limited_step >= 0) {
        const sweep_step_t *st = &s->steps[a.limited_step];
        char why[600], advice[400];
        selfcheck_describe(&st->check, why, sizeof why);
        selfcheck_advice(&st->check, advice, sizeof advice);
        fprintf(f,
                "  the client fell behind its own schedule (%u times at this load): %s.\n  To "
                "measure the server: %s.\n",
                st->attempt, why, advice);
    } else if (a.capacity_step < 0 && a.next_step >= 0 && s->steps[a.next_step].timed_out) {
        /* The load that starts the search is the knob: a rate, or the
         * requests a closed loop keeps in flight (more items each second). */
        if (s->concurrency)
            fprintf(f,
                    "  too few items for the claim at %.0f request%s in flight: start with more "
                    "in flight (--concurrency C) or give a longer --max-step-duration\n",
                    s->steps[a.next_step].offered, s->steps[a.next_step].offered == 1 ? "" : "s");
        else
            fprintf(f, "  too few items for the claim at that load: give a higher --start-rate or "
                       "a longer --max-step-duration\n");
    } else if (s->require > 0 && !a.meets_require) {
        char req[32];
        parse_format_number(s->require, req, sizeof req);
        fprintf(f, "  below --require-rate %s\n", req);
    }
    fflush(f);
}

/* ---- the command ------------------------------------------------------------ */

/* The sweep options and the run options that make sense together. */
static int check_options(const runopts_t *o, const sweep_opts_t *so, bool embedded, char *err,
                         size_t errlen)
{
    if (RUNOPTS_GIVEN(o, rate))
        return snprintf(err, errlen,
                        "--rate: the sweep chooses each step's rate; give --start-rate and "
                        "--max-rate to bound it"),
               -1;
    if (RUNOPTS_GIVEN(o, duration_ns) || RUNOPTS_GIVEN(o, requests))
        return snprintf(err, errlen,
                        "--%s: the sweep sets each step's length; give --step-duration and "
                        "--max-step-duration",
                        RUNOPTS_GIVEN(o, duration_ns) ? "duration" : "requests"),
               -1;
    if (o->log_path)
        return snprintf(err, errlen,
                        "--log: a sweep runs many steps; give --log-dir DIR for "
                        "one CSV per step"),
               -1;
    if (o->log_events_path) /* each step would write it over the last one's */
        return snprintf(err, errlen,
                        "--log-events: a sweep runs many steps and the file would keep only "
                        "the last one's; sweep with --log-dir DIR, then log the events of "
                        "one load with 'tailgate run --rate R --log-events FILE.csv'"),
               -1;
    if (RUNOPTS_GIVEN(o, log_events_every))
        return snprintf(err, errlen,
                        "--log-events-every samples the events log of 'tailgate run "
                        "--log-events', which a sweep does not write: drop it"),
               -1;
    if (o->segment_text || RUNOPTS_GIVEN(o, segments) || o->start_at_text)
        return snprintf(err, errlen,
                        "--segment, --segments and --start-at split one run over processes; a "
                        "sweep runs many, one after another: use them with 'tailgate run'"),
               -1;
    if (!so->concurrency_sweep && GIVEN(so, max_concurrency))
        return snprintf(err, errlen,
                        "--max-concurrency bounds a --concurrency-sweep; this sweep steps the "
                        "rate: bound it with --max-rate R, or add --concurrency-sweep"),
               -1;
    if (!so->concurrency_sweep && GIVEN(so, start) && RUNOPTS_GIVEN(o, concurrency))
        return snprintf(err, errlen,
                        "--concurrency sizes the probe that picks the first rate, and "
                        "--start-rate skips the probe: drop one (or sweep users with "
                        "--concurrency-sweep)"),
               -1;
    if (so->concurrency_sweep && GIVEN(so, require))
        return snprintf(err, errlen,
                        "--require-rate gates a rate, and a --concurrency-sweep's capacity is "
                        "requests in flight: drop --require-rate (or sweep the rate)"),
               -1;
    if (so->concurrency_sweep && (GIVEN(so, start) || GIVEN(so, max)))
        return snprintf(err, errlen,
                        "--%s: with --concurrency-sweep the load is concurrency: start it with "
                        "--concurrency C and bound it with --max-concurrency N",
                        GIVEN(so, start) ? "start-rate" : "max-rate"),
               -1;
    if (GIVEN(so, start) && GIVEN(so, max) && so->start > so->max)
        return snprintf(err, errlen, "--start-rate %g is above --max-rate %g: lower the start",
                        so->start, so->max),
               -1;
    if (so->max_step_ns < so->step_ns)
        return snprintf(err, errlen,
                        "--max-step-duration is shorter than --step-duration: an undecided step "
                        "could not run longer; give a longer --max-step-duration"),
               -1;
    if (!embedded && o->sla_texts.n == 0)
        return snprintf(err, errlen,
                        "--sla is needed: the sweep looks for the highest load that meets it, "
                        "e.g. --sla 'p95<=800ms'"),
               -1;
    if (embedded && (RUNOPTS_GIVEN(o, batch) || RUNOPTS_GIVEN(o, linger_ns)))
        return snprintf(err, errlen,
                        "--%s: with no URL the sweep runs batch 1 and batch 10 against the "
                        "embedded stub itself; give a URL to sweep one batch size",
                        RUNOPTS_GIVEN(o, batch) ? "batch" : "linger"),
               -1;
    return 0;
}

static int make_log_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) != 0)
            return errno;
        if (!S_ISDIR(st.st_mode))
            return ENOTDIR; /* (errno still says EEXIST: "File exists" told nothing) */
        return access(dir, W_OK) == 0 ? 0 : errno;
    }
    return errno;
}

int cmd_sweep(int argc, char **argv)
{
    runopts_t base;
    sweep_opts_t so = {.step_ns = 10 * CLOCK_NS_PER_S,
                       .max_step_ns = 60 * CLOCK_NS_PER_S,
                       .cooldown_ns = 2 * CLOCK_NS_PER_S,
                       .precision = 0.05,
                       .confidence = 0.99,
                       .max_concurrency = 1024};
    char err[1024];
    const char *pos[1];
    size_t npos = 0;
    runopts_defaults(&base);
    opt_group_t groups[2] = {runopts_group(&base), {sweep_table, SWEEP_TABLE_LEN, &so, &so.given}};
    int rc = opt_parse(groups, 2, argc - 1, argv + 1, pos, 1, &npos, err, sizeof err);
    if (rc == 1) {
        sweep_usage(stdout);
        return EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, WHO ": %s\n(see 'tailgate sweep --help')\n", err);
        return EXIT_USAGE;
    }
    if (base.api && !strcmp(base.api, "help")) { /* (else read as no --api: a whole sweep) */
        runcommon_api_help(stdout);
        return EXIT_OK;
    }
    bool embedded = npos == 0;
    if (embedded) { /* the demo's pace: about a minute per sweep */
        if (!GIVEN(&so, step_ns))
            so.step_ns = 3 * CLOCK_NS_PER_S;
        if (!GIVEN(&so, max_step_ns))
            so.max_step_ns = 12 * CLOCK_NS_PER_S;
        if (!GIVEN(&so, cooldown_ns))
            so.cooldown_ns = 500 * CLOCK_NS_PER_MS;
        if (!GIVEN(&so, precision))
            so.precision = 0.10;
    }
    if (check_options(&base, &so, embedded, err, sizeof err)) {
        fprintf(stderr, WHO ": %s\n", err);
        return EXIT_USAGE;
    }
    if (base.sla_texts.n == 0)
        base.sla_texts.v[base.sla_texts.n++] = SWEEP_DEFAULT_SLA;
    /* A check of the whole option set as one step would see it (with no
     * URL yet: any will do for the check). */
    runopts_t probe = base;
    probe.url_text = embedded ? "http://127.0.0.1:1/" : pos[0];
    sweep_run_t check_sr = {.base = &probe, .so = &so, .label = "", .file_tag = ""};
    runopts_t checked;
    if (step_options(&check_sr, so.concurrency_sweep, 1, so.step_ns, &checked, err, sizeof err)) {
        fprintf(stderr, WHO ": %s\n", err);
        return EXIT_USAGE;
    }
    runopts_warn_slas(checked.slas, checked.num_slas, stderr, WHO);
    runcommon_print_notes(&checked, runcommon_notes(&checked), stderr, WHO);
    if (base.out_path && !runcommon_can_write(base.out_path)) {
        fprintf(stderr, WHO ": --out: cannot write '%s': %s\n", base.out_path, strerror(errno));
        return EXIT_CANNOT_RUN;
    }
    if (so.log_dir && (rc = make_log_dir(so.log_dir))) {
        fprintf(stderr, WHO ": --log-dir: cannot use '%s': %s\n", so.log_dir, strerror(rc));
        return EXIT_CANNOT_RUN;
    }

    /* With --out -, stdout carries the document: the rest goes beside it. */
    FILE *human = base.out_path && !strcmp(base.out_path, "-") ? stderr : stdout;
    stub_t *stub = NULL;
    char url[600];
    if (embedded) {
        stub_config_t sc;
        stub_config_defaults(&sc);
        snprintf(sc.host, sizeof sc.host, "127.0.0.1");
        sc.port = 0;
        sc.workers = EMBED_WORKERS;
        sc.delay_ns = EMBED_DELAY_MS * CLOCK_NS_PER_MS;
        sc.per_item_ns = EMBED_PER_ITEM_MS * CLOCK_NS_PER_MS;
        if ((rc = stub_start(&sc, &stub, err, sizeof err))) {
            fprintf(stderr, WHO ": cannot start the embedded stub: %s\n", err);
            return EXIT_CANNOT_RUN;
        }
        snprintf(url, sizeof url, "http://%s:%d%s", stub_host(stub), stub_port(stub), sc.path);
        base.url_text = url;
        if (!base.quiet)
            fprintf(human, "embedded stub: %s (%d workers, %d ms per request + %d ms per item)\n",
                    url, EMBED_WORKERS, EMBED_DELAY_MS, EMBED_PER_ITEM_MS);
    } else {
        base.url_text = pos[0];
    }

    /* The sweeps: one, or (embedded) batch 1 then batch 10. */
    runopts_t sides[2] = {base, base};
    const char *labels[2] = {"", ""}, *tags[2] = {"", ""};
    size_t nsweeps = 1;
    if (embedded) {
        nsweeps = 2;
        labels[0] = "batch 1", tags[0] = "batch1-";
        labels[1] = "batch 10", tags[1] = "batch10-";
        sides[0].batch = 1;
        sides[1].batch = 10;
        sides[1].linger_ns = 50 * CLOCK_NS_PER_MS;
        RUNOPTS_SET_GIVEN(&sides[0], batch);
        RUNOPTS_SET_GIVEN(&sides[1], batch);
        RUNOPTS_SET_GIVEN(&sides[1], linger_ns);
    }
    sweep_t sweeps[2];
    memset(sweeps, 0, sizeof sweeps);
    runcommon_install_signals();
    rc = EXIT_OK;
    size_t ran = 0;
    for (size_t i = 0; i < nsweeps && rc == EXIT_OK; i++) {
        sweep_t *s = &sweeps[i];
        snprintf(s->label, sizeof s->label, "%s", labels[i]);
        s->concurrency = so.concurrency_sweep;
        s->confidence = so.confidence;
        s->precision = so.precision;
        s->require = so.require;
        s->nslas = runopts_parse_slas(&base.sla_texts, s->slas, sizeof s->slas / sizeof s->slas[0]);
        sweep_run_t sr = {.base = &sides[i],
                          .so = &so,
                          .label = labels[i],
                          .file_tag = tags[i],
                          .quiet = base.quiet,
                          .out = human};
        if (!base.quiet && i)
            fputc('\n', human);
        rc = sweep_run(&sr, s);
        ran = i + 1;
        if (rc == EXIT_OK || rc == EXIT_SIGINT)
            print_answer(human, s);
    }
    if (embedded && ran == 2 && rc == EXIT_OK && !base.quiet) {
        sweep_answer_t a1, a10;
        sweep_answer(&sweeps[0], &a1);
        sweep_answer(&sweeps[1], &a10);
        if (a1.capacity_step >= 0 && a10.capacity_step >= 0)
            fprintf(human,
                    "\nbatching moved the knee from %.4g to %.4g items/s: a request costs %d ms "
                    "plus %d ms per item, so ten items in one request cost %d ms where ten "
                    "requests of one cost %d ms of the %d workers' time.\n",
                    a1.capacity, a10.capacity, EMBED_DELAY_MS, EMBED_PER_ITEM_MS,
                    EMBED_DELAY_MS + 10 * EMBED_PER_ITEM_MS,
                    10 * (EMBED_DELAY_MS + EMBED_PER_ITEM_MS), EMBED_WORKERS);
    }
    stub_stop(stub);

    /* The document: whatever ran, even when interrupted. */
    int out_rc = EXIT_OK;
    if (base.out_path && ran) {
        json_t *config = json_object();
        if (config)
            opt_config_json(sweep_table, SWEEP_TABLE_LEN, &so, config, base.show_secrets);
        json_t *doc = config ? sweep_doc_to_json(sweeps, ran, config) : NULL;
        json_decref(config);
        if (!doc || result_write_file(doc, base.out_path, err, sizeof err)) {
            fprintf(stderr, WHO ": --out: %s\n", doc ? err : "out of memory");
            out_rc = EXIT_CANNOT_RUN;
        }
        json_decref(doc);
    }
    bool limited = false, all_meet = ran == nsweeps;
    for (size_t i = 0; i < ran; i++) {
        sweep_answer_t a;
        sweep_answer(&sweeps[i], &a);
        limited = limited || a.limited_step >= 0;
        all_meet = all_meet && a.meets_require;
    }
    for (size_t i = 0; i < nsweeps; i++)
        sweep_close(&sweeps[i]);
    int sig = runcommon_signal_seen();
    if (sig)
        return sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
    if (rc != EXIT_OK)
        return rc;
    if (limited || out_rc != EXIT_OK)
        return EXIT_CANNOT_RUN;
    return all_meet ? EXIT_OK : EXIT_SLA_FAILED;
}
