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
#include "cli/gates.h"
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
    fputs("\nStreamed metrics (--stream), per request: t_int the intended send time; t_send the\n"
          "first byte written; t_k the arrival of the k-th token-bearing event -- an SSE data:\n"
          "event whose choices[0].text (completions), choices[0].delta.content (chat) or\n"
          "token.text (TGI) is present and non-empty (role-only chunks, empty-content chunks,\n"
          "':' comment lines, usage-only chunks with \"choices\": [] and data: [DONE] are\n"
          "not); K the number of token-bearing events; t_end the end of the response.\n"
          "n_out = usage.completion_tokens from the final usage chunk, otherwise K, flagged\n"
          "estimated. The client never tokenizes.\n"
          "  ttft  = t_1 - t_int (and ttft_service = t_1 - t_send beside it)\n"
          "  e2el  = t_K - t_int (the usage chunk and [DONE] do not move it)\n"
          "  tpot  = (t_K - t_1) / (n_out - 1) when n_out >= 2 (and K >= 2), else undefined\n"
          "          (left out of tpot percentiles)\n"
          "  itl   = every gap t_{k+1} - t_k, pooled over all requests (inter-chunk;\n"
          "          tokens_per_chunk = n_out / K shows multi-token chunks)\n"
          "  output_tokens_per_s = sum of n_out / (max t_end - min t_int), the measured span,\n"
          "          and its peak 1-second bucket\n"
          "  goodput = requests per second that completed OK and met every --goodput bound\n"
          "          (failed requests are not good; an undefined tpot passes the tpot bound);\n"
          "          slo_attainment = good / attempted\n"
          "The figures are over successful requests (itl's gaps are recorded as they come,\n"
          "so a request that fails later keeps them); a gate ranks failed requests slowest.\n"
          "A failed request keeps the tokens it saw in its CSV row: an error event\n"
          "mid-stream is stream_error, a connection dropped mid-stream is reset, a stream\n"
          "silent for --idle-timeout is a timeout, and one whose body ends without\n"
          "[DONE] or a finish marker (a finish_reason; TGI: generated_text or\n"
          "details.finish_reason) was cut short: invalid_response (unfinished).\n",
          f);
    fputs("\nExit codes: 0 ran and every SLA passed, 1 an SLA failed or every request\n"
          "failed (that fails a run without --sla too; some errors alone do not: gate them\n"
          "with --sla 'error_rate<1%'), 2 bad usage, 3 could not run (unreachable target,\n"
          "unreadable file), 130/143 interrupted. With --quiet, each failed gate is still\n"
          "printed, one line each, on stderr.\n",
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
    if (o.api && !strcmp(o.api, "help")) {
        runcommon_api_help(stdout);
        return EXIT_OK;
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
    runcommon_print_notes(&o, runcommon_notes(&o), stderr, "tailgate run");
    if (o.start_at_ns && walltime_synced() == 0)
        fprintf(stderr,
                "tailgate run: warning: --start-at: this machine's clock is not synchronized "
                "(adjtimex: STA_UNSYNC): segments on other machines may start at other "
                "instants, skewing the merged timeline; run an NTP client (chrony, "
                "systemd-timesyncd)\n");
    runjob_t job;
    rc = runjob_prepare(&job, &o, o.log_path, o.out_path, err, sizeof err);
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
        /* with --out - (or --log -), stdout carries the data: the summary goes beside it */
        bool data_on_stdout = (o.out_path && !strcmp(o.out_path, "-")) ||
                              (o.log_path && !strcmp(o.log_path, "-")) ||
                              (o.log_events_path && !strcmp(o.log_events_path, "-"));
        if (!o.quiet)
            runjob_print_summary(&job, data_on_stdout ? stderr : stdout);
        else /* quiet: the summary's SLA lines are not printed; a failure still says why */
            gates_print_failed_slas(stderr, "tailgate run", job.res.verdicts, job.res.nverdicts);
        gates_print_all_failed(stderr, "tailgate run", NULL, &job.res);
        gates_print_tls_hint(stderr, "tailgate run", &job.eng.url, &job.res);
    }
    int sig = runcommon_signal_seen();
    runjob_close(&job);
    if (sig == SIGINT)
        return EXIT_SIGINT;
    if (sig == SIGTERM)
        return EXIT_SIGTERM;
    return rc;
}
