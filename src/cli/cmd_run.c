/* tailgate run URL — one load test. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/runcommon.h"
#include "cli/runopts.h"
#include "core/clock.h"
#include "core/walltime.h"

static void run_usage(FILE *f)
{
    fputs("usage: tailgate run URL [options]\n"
          "\n"
          "One load test against URL (http://HOST:PORT/PATH, https://..., [::1] for IPv6).\n"
          "Each item's latency runs from its intended send time to the end of the response\n"
          "that carried it (coordinated-omission correct); request and service time are\n"
          "reported beside it.\n"
          "\n",
          f);
    opt_help(f, runopts_table, runopts_table_len, RUNOPTS_VIEW_RUN, true);
    fputs("\nExit codes: 0 ran and every SLA passed, 1 an SLA failed, 2 bad usage,\n"
          "3 could not run (unreachable target, unreadable file), 130/143 interrupted.\n",
          f);
}

int cmd_run(int argc, char **argv)
{
    runopts_t o;
    char err[1024];
    const char *pos[1];
    size_t npos = 0;
    runopts_defaults(&o);
    opt_group_t g = runopts_group(&o);
    int rc = opt_parse(&g, 1, argc - 1, argv + 1, pos, 1, &npos, err, sizeof err);
    if (rc == 1) {
        run_usage(stdout);
        return EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "tailgate run: %s\n(see 'tailgate run --help')\n", err);
        return EXIT_USAGE;
    }
    if (npos != 1) {
        fprintf(stderr, "tailgate run: a target URL is needed, e.g. tailgate run "
                        "http://127.0.0.1:8000/v1/infer\n");
        return EXIT_USAGE;
    }
    o.url_text = pos[0];
    if (runopts_finish(&o, err, sizeof err) < 0) {
        fprintf(stderr, "tailgate run: %s\n", err);
        return EXIT_USAGE;
    }
    runopts_warn_slas(o.slas, o.num_slas, stderr, "tailgate run");
    if (o.start_at_ns && walltime_synced() == 0)
        fprintf(stderr,
                "tailgate run: warning: --start-at: this machine's clock is not synchronized "
                "(adjtimex: STA_UNSYNC): segments on other machines may start at other "
                "instants, skewing the merged timeline; run an NTP client (chrony, "
                "systemd-timesyncd)\n");
    runjob_t job;
    rc = runjob_prepare(&job, &o, o.log_path, o.out_path, "tailgate run", err, sizeof err);
    if (rc != EXIT_OK) {
        fprintf(stderr, "tailgate run: %s\n", err);
        runjob_close(&job);
        return rc;
    }
    if (o.start_at_ns && !o.quiet) {
        char at[40], who[48] = "the run";
        walltime_format(o.start_at_ns, at, sizeof at);
        if (o.segment_count > 1)
            snprintf(who, sizeof who, "segment %u of %u", o.segment_index, o.segment_count);
        uint64_t now = clock_wall_ns();
        bool ahead = now < o.start_at_ns;
        double s = (double)(ahead ? o.start_at_ns - now : now - o.start_at_ns) / 1e9;
        fprintf(stderr, "tailgate run: %s starts at %s (%s%.1f s%s)\n", who, at, ahead ? "in " : "",
                s, ahead ? "" : " ago: what was due meanwhile leaves at once");
    }
    runcommon_install_signals();
    rc = runjob_execute(&job, "tailgate run");
    if (job.have_res) {
        if (!o.quiet) /* with --out -, stdout carries the JSON: the summary goes beside it */
            runjob_print_summary(&job, o.out_path && !strcmp(o.out_path, "-") ? stderr : stdout);
    }
    int sig = runcommon_signal_seen();
    runjob_close(&job);
    if (sig == SIGINT)
        return EXIT_SIGINT;
    if (sig == SIGTERM)
        return EXIT_SIGTERM;
    return rc;
}
