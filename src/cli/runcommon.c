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
#include "cli/gates.h"
#include "cli/fdbudget.h"
#include "core/clock.h"
#include "output/console.h"
#include "output/termchart.h"
#include "load/template.h"

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
        errno = 0;
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
    int e = ferror(f) ? (errno ? errno : EIO) : 0; /* EISDIR says more than EIO */
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

bool runcommon_can_write(const char *path)
{
    return writable(path);
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
    e->max_connections = o->max_connections;
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
    e->http2 = (engine_h2_t)o->http2;
    e->streams = (unsigned)o->streams;
    e->stream = o->stream;
    e->stream_cap = (size_t)o->stream_max_event;
    e->idle_timeout_ns = o->idle_timeout_ns;
    e->goodput = o->goodput_text ? &o->goodput : NULL;
    e->token_log_every = o->log_events_path ? o->log_events_every : 0;
    e->segment = o->segment_index;
    e->segments = o->segment_count;
    e->start_at_wall_ns = o->start_at_ns;
}

int runcommon_load_inputs(const runopts_t *o, inputs_t **out, char *err, size_t errlen)
{
    /* The reason goes right after "--inputs: " (it names the file, whose path
     * may be long): no buffer between them to cut it. */
    int n = snprintf(err, errlen, "--inputs: ");
    size_t off = n > 0 && (size_t)n < errlen ? (size_t)n : 0;
    int e = o->inputs_path ? inputs_load(o->inputs_path, (datafile_format_t)o->inputs_format, out,
                                         err + off, errlen - off)
                           : inputs_generated(out);
    if (e) {
        if (!o->inputs_path)
            snprintf(err + off, errlen - off, "%s", strerror(e));
        return exit_for_errno(e);
    }
    return EXIT_OK;
}

const preset_t *runcommon_preset(const runopts_t *o)
{
    const preset_t *p = o->api ? preset_find(o->api) : NULL;
    return p ? p : preset_at(0);
}

int runcommon_template(const runopts_t *o, char **text, const char **tmpl, size_t *len, char *err,
                       size_t errlen)
{
    *text = NULL;
    *tmpl = o->template_json;
    *len = o->template_json ? strlen(o->template_json) : 0;
    if (!o->template_path)
        return EXIT_OK;
    int e = runcommon_read_file(o->template_path, text, len);
    if (e) {
        snprintf(err, errlen, "--template: cannot read '%s': %s", o->template_path, strerror(e));
        return EXIT_CANNOT_RUN;
    }
    *tmpl = *text;
    return EXIT_OK;
}

/* The plan: how this run's items become requests. Errors name the option
 * at fault, and the template position or the data file's line. */
static int prepare_plan(runjob_t *job, const runopts_t *o, char *err, size_t errlen)
{
    const preset_t *p = runcommon_preset(o);
    const char *tmpl;
    size_t tlen;
    int rc = runcommon_template(o, &job->template_text, &tmpl, &tlen, err, errlen);
    if (rc != EXIT_OK)
        return rc;
    /* --api on a URL without a path: the API's own path (the query kept). */
    const url_t *u = &job->eng.url;
    char path[URL_PATH_MAX + 256];
    const char *use = u->path;
    if (o->api && (u->path[1] == '\0' || u->path[1] == '?')) {
        snprintf(path, sizeof path, "%s%s", preset_path(p, o->stream), u->path + 1);
        use = path;
    }
    preset_args_t a = {
        .model = o->model,
        .path = use,
        .template_text = tmpl,
        .template_len = tlen,
        .outputs = o->outputs,
        .batch = (unsigned)o->batch,
        .inputs = job->inputs,
        .stream = o->stream,
    };
    preset_part_t part;
    char why[1024];
    int e = preset_plan(p, &a, &job->plan, &part, why, sizeof why);
    if (e == ENOMEM) {
        snprintf(err, errlen, "out of memory");
        return EXIT_CANNOT_RUN;
    }
    if (!e) {
        job->have_plan = true;
        return EXIT_OK;
    }
    switch (part) {
    case PRESET_PART_BATCH:
        snprintf(err, errlen, "--batch %llu: %s", (unsigned long long)o->batch, why);
        break;
    case PRESET_PART_INPUTS:
        snprintf(err, errlen, "--inputs: %s", why);
        break;
    case PRESET_PART_TEMPLATE:
        if (o->template_path)
            snprintf(err, errlen, "--template: %s:%s", o->template_path, why);
        else if (o->template_json)
            snprintf(err, errlen, "--template-json: %s", why);
        else
            snprintf(err, errlen, "--model '%s': %s", o->model, why);
        break;
    case PRESET_PART_PATH:
        snprintf(err, errlen, "the URL path %s: %s", use, why);
        break;
    case PRESET_PART_OUTPUTS:
        snprintf(err, errlen, "--outputs '%s': %s", a.outputs ? a.outputs : p->outputs, why);
        break;
    }
    return EXIT_USAGE;
}

/* The path (without a plan) and the headers are templates too: their errors
 * are usage errors, found before the run. */
static int check_head(const runjob_t *job, const runopts_t *o, char *err, size_t errlen)
{
    char why[300];
    template_t *t = NULL;
    const char *path = job->eng.url.path;
    if (!job->have_plan &&
        template_compile(path, strlen(path), TEMPLATE_PATH, o->model, &t, why, sizeof why)) {
        snprintf(err, errlen, "the URL path %s: %s", path, why);
        return EXIT_USAGE;
    }
    template_free(t);
    for (size_t i = 0; i < o->headers.n; i++) {
        const char *h = o->headers.v[i];
        if (template_compile(h, strlen(h), TEMPLATE_HEADER, o->model, &t, why, sizeof why)) {
            snprintf(err, errlen, "-H '%s': %s", h, why);
            return EXIT_USAGE;
        }
        template_free(t);
    }
    return EXIT_OK;
}

int runjob_prepare(runjob_t *job, const runopts_t *o, const char *log_path, const char *out_path,
                   char *err, size_t errlen)
{
    return runjob_prepare_inputs(job, o, NULL, log_path, out_path, err, errlen);
}

int runjob_prepare_inputs(runjob_t *job, const runopts_t *o, inputs_t *inputs, const char *log_path,
                          const char *out_path, char *err, size_t errlen)
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
        int rc;
        if (inputs) {
            job->inputs = inputs;
            job->inputs_borrowed = true;
        } else if ((rc = runcommon_load_inputs(o, &job->inputs, err, errlen)) != EXIT_OK) {
            return rc;
        }
        job->eng.inputs = job->inputs;
        if ((rc = prepare_plan(job, o, err, errlen)) != EXIT_OK)
            return rc;
        job->eng.plan = &job->plan;
    }
    int rc = check_head(job, o, err, errlen);
    if (rc != EXIT_OK)
        return rc;
    /* Output files are opened (or probed) before the run: a path we cannot
     * write must not cost a whole run. */
    if (out_path && !writable(out_path)) {
        snprintf(err, errlen, "--out: cannot write '%s': %s", out_path, strerror(errno));
        return EXIT_CANNOT_RUN;
    }
    if (log_path) {
        int n = snprintf(err, errlen, "--log: ");
        size_t off = n > 0 && (size_t)n < errlen ? (size_t)n : 0;
        int e = csvlog_open_kind(log_path, o->stream ? CSVLOG_STREAMED : CSVLOG_REQUESTS, &job->log,
                                 err + off, errlen - off);
        if (e)
            return EXIT_CANNOT_RUN;
    }
    if (o->log_events_path && o->stream) {
        int e = csvlog_open_kind(o->log_events_path, CSVLOG_TOKEN_EVENTS, &job->events, why,
                                 sizeof why);
        if (e) {
            snprintf(err, errlen, "--log-events: %s", why);
            return EXIT_CANNOT_RUN;
        }
    }
    if (!o->no_progress && isatty(STDERR_FILENO)) {
        job->eng.on_progress = show_progress;
        job->eng.progress_arg = job;
    }
    return EXIT_OK;
}

/* The CSV logs observe the engine: one block buffer per log and worker
 * thread. */
typedef struct {
    csvlog_buf_t *requests, *events;
} logs_ctx_t;

static void csv_thread_close(void *arg)
{
    logs_ctx_t *c = arg;
    csvlog_buf_free(c->requests);
    csvlog_buf_free(c->events);
    free(c);
}

static int csv_thread_open(void *arg, unsigned thread, void **ctx)
{
    (void)thread;
    runjob_t *job = arg;
    logs_ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return ENOMEM;
    int e = job->log ? csvlog_buf_new(job->log, &c->requests) : 0;
    if (!e && job->events)
        e = csvlog_buf_new(job->events, &c->events);
    if (e) {
        csv_thread_close(c);
        return e;
    }
    *ctx = c;
    return 0;
}

static void csv_on_request(void *arg, const req_record_t *r)
{
    logs_ctx_t *c = arg;
    if (c->requests)
        csvlog_row(c->requests, r);
}

static void csv_on_token(void *arg, const token_record_t *t)
{
    logs_ctx_t *c = arg;
    if (c->events)
        csvlog_token_row(c->events, t);
}

/* Prepare, start, collect; a signal stops the run in between. Before the
 * start, the connections asked for are checked against the open-files limit
 * (cli/fdbudget.h): a run that cannot have them is bad usage, said at once. */
static int run_engine(runjob_t *job, const char *who)
{
    engine_config_t cfg = job->eng;
    if (job->log || job->events)
        cfg.observer = (engine_observer_t){.thread_open = csv_thread_open,
                                           .on_request = csv_on_request,
                                           .thread_close = csv_thread_close,
                                           .arg = job,
                                           .on_token = csv_on_token};
    engine_result_t *res = &job->result;
    engine_t *eng;
    memset(res, 0, sizeof *res);
    int e = engine_prepare(&cfg, &eng, res->fatal_msg, sizeof res->fatal_msg);
    fdbudget_t budget;
    if (!e && fdbudget_read(&budget) == 0) {
        char why[1024];
        if (fdbudget_apply(&budget, job->opts, &cfg, eng, why, sizeof why)) {
            fprintf(stderr, "%s: %s\n", who, why);
            job->usage_error = true;
            engine_free(eng);
            return res->fatal_errno = EMFILE;
        }
    }
    if (!e && res->fatal_msg[0]) /* a note (--http2=auto fell back): said before the run */
        fprintf(stderr, "%s: note: %s\n", who, res->fatal_msg);
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
    int e = run_engine(job, who);
    job->ran = true;
    if (job->progress_shown)
        fputs("\r\033[K", stderr);
    char err[512];
    csvlog_t **logs[] = {&job->log, &job->events};
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        if (!*logs[i])
            continue;
        int le = csvlog_close(*logs[i], err, sizeof err);
        *logs[i] = NULL;
        if (le) {
            fprintf(stderr, "%s: %s\n", who, err);
            job->log_failed = true;
        }
    }
    /* A run that could not run writes no result, and leaves no log behind
     * either: a header (or a few rows) would pass for the run's record. */
    if (job->usage_error || e) {
        const char *paths[] = {job->log_path, o->stream ? o->log_events_path : NULL};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
            runopts_remove_output(paths[i]);
    }
    if (job->usage_error)
        return EXIT_USAGE; /* said already */
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
    /* The digest of what was sent (a sum of SHA-256s, load/inputs.h) and of
     * the sequence it was drawn from. */
    char digest[RESULT_DIGEST_TEXT_LEN], source[RESULT_DIGEST_TEXT_LEN];
    result_digest_text("sum-sha256:", job->result.inputs_digest, digest, sizeof digest);
    result_digest_text("sha256:", job->result.inputs_source, source, sizeof source);
    json_t *config = runopts_config_json(o);
    /* What the connections spoke (--http2=auto may have fallen back), and
     * HTTP/2's streams per connection as the server allowed them. */
    if (config &&
        (json_object_set_new(config, "protocol", json_string(req_proto_name(job->result.proto))) ||
         (job->result.streams &&
          json_object_set_new(config, "streams_per_connection",
                              json_integer((json_int_t)job->result.streams))))) {
        json_decref(config);
        config = NULL;
    }
    result_meta_t meta = {
        .config = config,
        /* as the configuration shows it: secrets in the URL redacted */
        .target = json_string_value(json_object_get(config, "url")),
        .started_wall_ns = job->result.started_wall_ns,
        .duration_ns = job->result.duration_ns,
        .inputs_digest = job->result.inputs_digest_valid ? digest : NULL,
        .inputs_source = job->result.inputs_source_valid ? source : NULL,
        .interrupted = job->result.interrupted,
        /* a segment offers its share of the schedule (arrivals I, I+N, ...), and
         * a merge adds the shares back up to the whole rate */
        .offered_per_s = job->eng.concurrency   ? 0
                         : o->segment_count > 1 ? job->eng.rate / o->segment_count
                                                : job->eng.rate,
        /* the pool the run had: fewer when sockets ran out; with --connections 0,
         * the bound the pool grew to (its rule, --max-connections, open files) */
        .connections = job->result.fd_limited_connections ? job->result.fd_limited_connections
                       : job->eng.connections             ? job->eng.connections
                                                          : job->result.stats.connections_limit,
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
    return job->res.sla_pass && !gates_all_failed(&job->res) ? EXIT_OK : EXIT_SLA_FAILED;
}

void runjob_print_summary(const runjob_t *job, FILE *f)
{
    if (!job->have_res)
        return;
    bool color = termchart_want_color(isatty(fileno(f)), job->opts->no_color);
    bool utf8 = !job->opts->no_color && termchart_locale_utf8();
    console_print_summary(f, &job->res, color, utf8);
}

unsigned runcommon_notes(const runopts_t *o)
{
    unsigned n = 0;
    url_t u;
    char why[200];
    if ((o->cacert || o->insecure || o->no_tls_resume) && o->url_text &&
        url_parse(o->url_text, &u, why, sizeof why) == 0 && !u.tls)
        n |= RUNCOMMON_NOTE_TLS;
    if (o->concurrency && (RUNOPTS_GIVEN(o, arrival) || RUNOPTS_GIVEN(o, seed)))
        n |= RUNCOMMON_NOTE_ARRIVAL;
    if (!o->concurrency && RUNOPTS_GIVEN(o, seed) && o->arrival != ARRIVAL_POISSON)
        n |= RUNCOMMON_NOTE_SEED;
    if (RUNOPTS_GIVEN(o, linger_ns) && o->batch == 1)
        n |= RUNCOMMON_NOTE_LINGER;
    /* A fixed body names no model; a path or header may ({{model}}). */
    bool model_used = o->url_text && strstr(o->url_text, "{{model}}");
    for (size_t i = 0; i < o->headers.n; i++)
        model_used |= strstr(o->headers.v[i], "{{model}}") != NULL;
    if (o->body_mode && RUNOPTS_GIVEN(o, model) && !model_used)
        n |= RUNCOMMON_NOTE_MODEL;
    if (o->outputs && (o->stream || o->validate != VALIDATE_OUTPUTS))
        n |= RUNCOMMON_NOTE_OUTPUTS;
    if (o->idle_timeout_ns && o->timeout_ns && o->idle_timeout_ns >= o->timeout_ns)
        n |= RUNCOMMON_NOTE_IDLE;
    /* --no-stream changes a streaming preset's own bodies; a template's body
     * says itself whether it asks for a stream. */
    const preset_t *p = o->api ? preset_find(o->api) : NULL;
    if (o->no_stream && !(p && preset_streams(p) && !o->template_path && !o->template_json))
        n |= RUNCOMMON_NOTE_NO_STREAM;
    return n;
}

void runcommon_print_notes(const runopts_t *o, unsigned notes, FILE *f, const char *who)
{
    if (notes & RUNCOMMON_NOTE_TLS)
        fprintf(f, "%s: note: %s has no effect on an http:// URL\n", who,
                o->cacert     ? "--cacert"
                : o->insecure ? "--insecure"
                              : "--no-tls-resume");
    if (notes & RUNCOMMON_NOTE_ARRIVAL)
        fprintf(f,
                "%s: note: %s shapes an open loop's arrivals (--rate R); a closed loop "
                "(--concurrency) sends each request when one completes\n",
                who, RUNOPTS_GIVEN(o, arrival) ? "--arrival" : "--seed");
    if (notes & RUNCOMMON_NOTE_SEED)
        fprintf(f,
                "%s: note: --seed draws poisson arrivals, and constant ones draw nothing: it "
                "changes nothing (give --arrival poisson)\n",
                who);
    if (notes & RUNCOMMON_NOTE_LINGER)
        fprintf(f,
                "%s: note: --linger is how long an item waits for its batch to fill, and "
                "with --batch 1 none waits: it changes nothing (%s)\n",
                who,
                o->body_mode ? "a fixed body has no items to batch" : "give --batch N to batch");
    if (notes & RUNCOMMON_NOTE_MODEL)
        fprintf(f,
                "%s: note: --model names the model in a body made from items, and %s sends "
                "%s: it changes nothing (a {{model}} in the URL path or a header would take "
                "it)\n",
                who, o->body_path ? "--body" : o->method,
                o->body_path ? "its file as it is" : "no body");
    if ((notes & RUNCOMMON_NOTE_OUTPUTS) && o->stream)
        fprintf(f,
                "%s: note: --outputs has no effect on a streamed run: each answer is checked "
                "as an event stream (--no-stream reads whole answers and checks --outputs)\n",
                who);
    else if (notes & RUNCOMMON_NOTE_OUTPUTS)
        fprintf(f,
                "%s: note: --outputs is where --validate outputs looks, and --validate %s does "
                "not: it changes nothing\n",
                who,
                o->validate == VALIDATE_NONE   ? "none"
                : o->validate == VALIDATE_JSON ? "json"
                                               : "status");
    if (notes & RUNCOMMON_NOTE_IDLE)
        fprintf(f,
                "%s: note: --idle-timeout is not shorter than --timeout, which ends a request "
                "first: it changes nothing (give a shorter --idle-timeout)\n",
                who);
    if (notes & RUNCOMMON_NOTE_NO_STREAM)
        fprintf(f,
                "%s: note: --no-stream changes the bodies of --api openai-completions, "
                "openai-chat and tgi, and nothing here asks for a stream: it changes nothing\n",
                who);
}

void runcommon_api_help(FILE *f)
{
    fputs("--api NAME: the request and answer shapes of the inference APIs people run.\n"
          "Each is a URL path (used when the URL has none), a body template, and where\n"
          "each item's output is in the answer; --template and --outputs replace them.\n"
          "Placeholders: {{item}} the item (JSON), {{items}} the batch as an array,\n"
          "{{item.F}} / {{items.F}} a field of object items (?? DEFAULT when absent),\n"
          "{{model}}, {{request_id}} (the CSV's), {{seq}} (the first item's index),\n"
          "{{batch}} (items in the request).\n",
          f);
    for (size_t i = 0; preset_at(i); i++) {
        const preset_t *p = preset_at(i);
        fprintf(f, "\n%-20s %s %s   %s\n", p->name, p->method, p->path,
                p->batch ? "(--batch N: several inputs per request)" : "(one input per request)");
        fprintf(f, "  items    %s\n", p->items_help);
        fprintf(f, "  body     %s\n", p->body);
        if (p->body_object)
            fprintf(f, "  body     for an object item: %s\n", p->body_object);
        fprintf(f, "  outputs  %s\n", p->outputs);
        if (preset_streams(p)) {
            fprintf(f, "  streamed (the default; --no-stream: the body above)%s%s\n",
                    p->stream_path ? " at " : "", p->stream_path ? p->stream_path : "");
            fprintf(f, "  body     %s\n", p->stream_body);
            if (p->stream_body_object)
                fprintf(f, "  body     for an object item: %s\n", p->stream_body_object);
        }
    }
}

void runjob_close(runjob_t *job)
{
    char err[256];
    if (job->log)
        csvlog_close(job->log, err, sizeof err);
    if (job->events)
        csvlog_close(job->events, err, sizeof err);
    if (job->ran)
        engine_result_close(&job->result);
    result_close(&job->res);
    if (job->have_plan)
        preset_plan_close(&job->plan);
    if (!job->inputs_borrowed)
        inputs_free(job->inputs);
    free(job->template_text);
    free(job->body);
    memset(job, 0, sizeof *job);
}
