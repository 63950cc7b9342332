/* fdbudget — the open-files limit against the connections asked for. */
#include "cli/fdbudget.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static uint64_t rlim(rlim_t v)
{
    return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

/* Descriptors open now, from /proc/self/fd (the one reading it aside). */
static int count_open(uint64_t *n)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return errno;
    uint64_t k = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            k++;
    closedir(d);
    *n = k ? k - 1 : 0;
    return 0;
}

int fdbudget_read(fdbudget_t *b)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return errno;
    if (rl.rlim_cur != rl.rlim_max) {
        struct rlimit up = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl = up;
    }
    b->limit = rlim(rl.rlim_cur);
    b->hard = rlim(rl.rlim_max);
    return count_open(&b->open);
}

int fdbudget_apply(const fdbudget_t *b, const runopts_t *o, const engine_config_t *cfg,
                   engine_t *eng, char *err, size_t errlen)
{
    if (b->limit == UINT64_MAX)
        return 0;
    uint64_t per = o->target_in_process ? 2 : 1;
    uint64_t room = b->limit > b->open ? (b->limit - b->open) / per : 0;
    const char *twice = o->target_in_process
                            ? "; each connection counts twice: the embedded stub holds its other "
                              "end in this process"
                            : "";
    /* The soft limit is at the hard one already: only the hard one can move. */
    const char *raise = b->hard == b->limit
                            ? "raise the hard limit (as root: ulimit -Hn N; systemd: "
                              "LimitNOFILE=N; docker: --ulimit nofile=N:N)"
                            : "raise the limit (ulimit -n N)";
    uint64_t want = cfg->connections ? cfg->connections : cfg->max_connections;
    /* HTTP/2's closed loop: --connections defaults to --concurrency, a limit
     * it never reaches: each thread's users share connections of `streams`
     * streams (ceil(users / streams) per thread). */
    unsigned streams = 0;
    bool h2 = engine_proto(eng, &streams) != REQ_PROTO_HTTP1 && streams > 0;
    bool users = cfg->connections && !RUNOPTS_GIVEN(o, connections) && o->concurrency;
    unsigned threads = cfg->threads ? cfg->threads : 1;
    if (h2 && users && (o->concurrency + streams - 1) / streams + threads - 1 < want)
        want = (o->concurrency + streams - 1) / streams + threads - 1;
    if (!want) {
        if (room == 0) {
            snprintf(err, errlen,
                     "no file descriptor is left for connections: this process holds %llu and "
                     "the open-files limit is %llu (ulimit -n); %s",
                     (unsigned long long)b->open, (unsigned long long)b->limit, raise);
            return EMFILE;
        }
        engine_limit_connections(eng, room);
        return 0;
    }
    uint64_t need = b->open + want * per;
    if (need <= b->limit) {
        if (h2)
            engine_limit_connections(eng, room); /* resends may want fresh connections */
        return 0;
    }
    char what[96], fix[160];
    if (room == 0) {
        snprintf(fix, sizeof fix, "no descriptor is left for connections");
        snprintf(what, sizeof what, "%s %llu",
                 cfg->connections ? "--connections" : "--max-connections",
                 (unsigned long long)want);
    } else if (h2 && users) {
        snprintf(what, sizeof what, "--concurrency %llu over HTTP/2 (%u stream%s per connection)",
                 (unsigned long long)o->concurrency, streams, streams == 1 ? "" : "s");
        snprintf(fix, sizeof fix, "give --concurrency %llu or fewer",
                 (unsigned long long)(room >= threads ? (room - threads + 1) * streams : streams));
    } else if (users) {
        snprintf(what, sizeof what, "--concurrency %llu (one connection per request in flight)",
                 (unsigned long long)o->concurrency);
        snprintf(fix, sizeof fix,
                 "give --concurrency %llu or fewer (or --connections %llu to share "
                 "fewer connections)",
                 (unsigned long long)room, (unsigned long long)room);
    } else {
        const char *name = cfg->connections ? "--connections" : "--max-connections";
        snprintf(what, sizeof what, "%s %llu", name, (unsigned long long)want);
        snprintf(fix, sizeof fix, "give %s %llu or fewer", name, (unsigned long long)room);
    }
    snprintf(err, errlen,
             "%s needs %llu file descriptors (%llu for connections, %llu this process holds "
             "already%s), but the open-files limit is %llu (ulimit -n%s): %s, or %s",
             what, (unsigned long long)need, (unsigned long long)(want * per),
             (unsigned long long)b->open, twice, (unsigned long long)b->limit,
             b->hard == b->limit ? ", at its hard limit" : "", fix, raise);
    return EMFILE;
}
