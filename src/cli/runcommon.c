#include "cli/runcommon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "output/console.h"
#include "output/termchart.h"

static volatile sig_atomic_t signal_seen;
/* The run in progress, for on_signal: a signal handler gets no context. */
static engine_t *volatile running;

static void on_signal(int sig)
{
    signal_seen = sig;
    engine_stop(running);
}

void runcommon_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A file-size limit hit while logging must be an error we report, not a
     * signal that kills the run and loses its summary. */
    signal(SIGXFSZ, SIG_IGN);
}

int runcommon_signal_seen(void)
{
    return signal_seen;
}

int runcommon_read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
        }
    }
    int e = ferror(f) ? EIO : 0;
    fclose(f);
    if (!buf)
        return ENOMEM;
    if (e) {
        free(buf);
        return e;
    }
    *data = buf;
    *len = n;
    return 0;
}

/* One line on stderr, rewritten in place each second. */
static void show_progress(const engine_progress_t *p, void *arg)
{
    runjob_t *job = arg;
    job->progress_shown = true;
    fprintf(stderr, "\r  %6.1f s  %10llu requests  %8llu errors  %10.0f req/s ",
            (double)p->elapsed_ns / 1e9, (unsigned long long)p->requests_done,
            (unsigned long long)p->errors, p->rps);
    fflush(stderr);
}

/* Whether path can be written, without creating it: a run that fails must
 * not leave an empty result behind (or seem to have refreshed an old one). */
/* Whether the result file can be written. A regular file or a missing path
 * is found out by trying: access() says yes to root on /proc or a read-only
 * mount. A file this creates is removed again, so a run that fails leaves no
 * empty result behind. A pipe or device is only asked (opening a pipe would
 * hand its reader an early end of file). errno says why not. */
static bool writable(const char *path)
{
    if (!strcmp(path, "-"))
        return true; /* standard output */
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            return false;
        }
        if (!S_ISREG(st.st_mode))
            return access(path, W_OK) == 0;
        int fd = open(path, O_WRONLY | O_CLOEXEC); /* not truncated yet */
        if (fd < 0)
            return false;
        close(fd);
        return true;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
        close(fd);
        unlink(path);
        return true;
    }
    return errno == EEXIST; /* a dangling symlink: writing creates its target */
}

static int exit_for_errno(int e)
{
    return (e == EINVAL) ? EXIT_USAGE : EXIT_CANNOT_RUN;
}

/* The engine's view of the options: plain values copied, job-owned buffers
 * (inputs, body, log) and callbacks added. */
static void build_engine_config(runjob_t *job, const runopts_t *o)
{
    engine_config_t *e = &job->eng;
    e->concurrency = o->concurrency;
    e->rate = o->rate;
    e->arrival = (arrival_t)o->arrival;
    e->seed = o->seed;
    e->requests = o->requests;
    e->duration_ns = o->duration_ns;
    e->warmup_ns = o->warmup_ns;
    e->connections = o->connections;
    e->threads = (unsigned)o->threads;
    e->timeout_ns = o->timeout_ns;
    e->batch = (unsigned)o->batch;
    e->linger_ns = o->linger_ns;
    e->method = o->method;
    e->model = o->model;
    e->headers = o->headers.v;
    e->num_headers = o->headers.n;
    e->validate = (validate_t)o->validate;
    e->grace_ns = 2 * CLOCK_NS_PER_S;
    e->tls.cacert = o->cacert;
    e->tls.insecure = o->insecure;
    e->tls.no_resume = o->no_tls_resume;
    e->segment = o->segment_index;
    e->segments = o->segment_count;
    e->start_at_wall_ns = o->start_at_ns;
}

int runjob_prepare(runjob_t *job, const runopts_t *o, const char *log_path, const char *out_path,
                   const char *who, char *err, size_t errlen)
{
    memset(job, 0, sizeof *job);
    job->opts = o;
    job->log_path = log_path;
    job->out_path = out_path;
    build_engine_config(job, o);
    char why[300];
    if (url_parse(o->url_text, &job->eng.url, why, sizeof why) < 0) {
        snprintf(err, errlen, "URL '%s': %s", o->url_text, why);
        return EXIT_USAGE;
    }
    if (!job->eng.url.tls && (o->cacert || o->insecure || o->no_tls_resume))
        fprintf(stderr, "%s: note: %s has no effect on an http:// URL\n", who,
                o->cacert     ? "--cacert"
                : o->insecure ? "--insecure"
                              : "--no-tls-resume");
    if (o->body_path) {
        int e = runcommon_read_file(o->body_path, &job->body, &job->eng.raw_body_len);
        if (e) {
            snprintf(err, errlen, "--body: cannot read '%s': %s", o->body_path, strerror(e));
            return EXIT_CANNOT_RUN;
        }
        job->eng.raw_body = job->body;
    } else if (o->body_mode) {
        job->eng.raw_body = ""; /* --method GET alone: a plain request, no body */
        job->eng.raw_body_len = 0;
    } else {
        int e = o->inputs_path ? inputs_load_file(o->inputs_path, &job->inputs, why, sizeof why)
                               : inputs_generated(&job->inputs);
        if (e) {
            snprintf(err, errlen, "--inputs: %s", o->inputs_path ? why : strerror(e));
            return exit_for_errno(e);
        }
        job->eng.inputs = job->inputs;
    }
    /* Output files are opened (or probed) before the run: a path we cannot
     * write must not cost a whole run. */
    if (out_path && !writable(out_path)) {
        snprintf(err, errlen, "--out: cannot write '%s': %s", out_path, strerror(errno));
        return EXIT_CANNOT_RUN;
    }
    if (log_path) {
        int e = csvlog_open(log_path, &job->log, why, sizeof why);
        if (e) {
            snprintf(err, errlen, "--log: %s", why);
            return EXIT_CANNOT_RUN;
        }
    }
    if (!o->no_progress && isatty(STDERR_FILENO)) {
        job->eng.on_progress = show_progress;
        job->eng.progress_arg = job;
    }
    return EXIT_OK;
}

/* "sum-sha256:": a sum of SHA-256s (inputs.h), not the SHA-256 of a file. */
static void hex_digest(const engine_result_t *r, char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "sum-sha256:");
    for (size_t i = 0; i < sizeof r->inputs_digest && n + 2 < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%02x", r->inputs_digest[i]);
}

/* The CSV log observes the engine: one block buffer per worker thread. */
static int csv_thread_open(void *log, unsigned thread, void **ctx)
{
    (void)thread;
    csvlog_buf_t *b;
    int e = csvlog_buf_new(log, &b);
    if (!e)
        *ctx = b;
    return e;
}

static void csv_on_request(void *buf, const req_record_t *r)
{
    csvlog_row(buf, r);
}

static void csv_thread_close(void *buf)
{
    csvlog_buf_free(buf);
}

/* Prepare, start, collect; a signal stops the run in between. */
static int run_engine(runjob_t *job)
{
    engine_config_t cfg = job->eng;
    if (job->log)
        cfg.observer =
            (engine_observer_t){csv_thread_open, csv_on_request, csv_thread_close, job->log};
    engine_result_t *res = &job->result;
    engine_t *eng;
    memset(res, 0, sizeof *res);
    int e = engine_prepare(&cfg, &eng, res->fatal_msg, sizeof res->fatal_msg);
    if (!e) {
        running = eng;
        if (signal_seen)
            engine_stop(eng); /* it came before this run (during ab's verification, say) */
        e = engine_start(eng, res->fatal_msg, sizeof res->fatal_msg);
        if (!e)
            e = engine_collect(eng, res);
        running = NULL;
        engine_free(eng);
    }
    res->fatal_errno = e;
    return e;
}

int runjob_execute(runjob_t *job, const char *who)
{
    const runopts_t *o = job->opts;
    int e = run_engine(job);
    job->ran = true;
    if (job->progress_shown)
        fputs("\r\033[K", stderr);
    char err[512];
    if (job->log) {
        int le = csvlog_close(job->log, err, sizeof err);
        job->log = NULL;
        if (le) {
            fprintf(stderr, "%s: %s\n", who, err);
            job->log_failed = true;
        }
    }
    if (e) {
        fprintf(stderr, "%s: %s\n", who,
                job->result.fatal_msg[0] ? job->result.fatal_msg : strerror(e));
        return EXIT_CANNOT_RUN;
    }
    if (job->result.fd_limited_connections) {
        struct rlimit rl = {0, 0};
        getrlimit(RLIMIT_NOFILE, &rl);
        char wanted[32] = "unlimited (--connections 0)";
        if (job->eng.connections)
            snprintf(wanted, sizeof wanted, "%llu", (unsigned long long)job->eng.connections);
        fprintf(stderr,
                "%s: warning: out of file descriptors (ulimit -n is %llu): the run went on "
                "with %llu connections instead of %s; raise 'ulimit -n' for more\n",
                who, (unsigned long long)rl.rlim_cur,
                (unsigned long long)job->result.fd_limited_connections, wanted);
    }
    char digest[80];
    hex_digest(&job->result, digest, sizeof digest);
    json_t *config = runopts_config_json(o);
    result_meta_t meta = {
        .config = config,
        /* as the configuration shows it: secrets in the URL redacted */
        .target = json_string_value(json_object_get(config, "url")),
        .started_wall_ns = job->result.started_wall_ns,
        .duration_ns = job->result.duration_ns,
        .inputs_digest = job->result.inputs_digest_valid ? digest : NULL,
        .interrupted = job->result.interrupted,
        .segment_index = o->segment_index,
        .segment_count = o->segment_count,
    };
    if (o->segment_count > 1) { /* this segment's share, as the engine split it */
        meta.segment.concurrency = engine_share(o->concurrency, o->segment_count, o->segment_index);
        meta.segment.connections = engine_share(o->connections, o->segment_count, o->segment_index);
    }
    if (o->start_at_ns) {
        meta.segment.start_at_ns = o->start_at_ns;
        meta.segment.late_ns = job->result.start_late_ns;
    }
    e = result_from_run(&job->res, &meta, &job->result.stats, o->slas, o->num_slas);
    json_decref(config);
    json_t *json = e ? NULL : result_to_json(&job->res);
    job->have_res = !e;
    if (!json) {
        fprintf(stderr, "%s: out of memory building the result\n", who);
        return EXIT_CANNOT_RUN;
    }
    e = job->out_path ? result_write_file(json, job->out_path, err, sizeof err) : 0;
    json_decref(json);
    if (e) {
        fprintf(stderr, "%s: --out: %s\n", who, err);
        return EXIT_CANNOT_RUN;
    }
    if (job->log_failed)
        return EXIT_CANNOT_RUN;
    return job->res.sla_pass ? EXIT_OK : EXIT_SLA_FAILED;
}

void runjob_print_summary(const runjob_t *job, FILE *f)
{
    if (!job->have_res)
        return;
    bool color = termchart_want_color(isatty(fileno(f)), job->opts->no_color);
    bool utf8 = !job->opts->no_color && termchart_locale_utf8();
    console_print_summary(f, &job->res, color, utf8);
}

void runjob_close(runjob_t *job)
{
    char err[256];
    if (job->log)
        csvlog_close(job->log, err, sizeof err);
    if (job->ran)
        engine_result_close(&job->result);
    result_close(&job->res);
    inputs_free(job->inputs);
    free(job->body);
    memset(job, 0, sizeof *job);
}
