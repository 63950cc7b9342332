/* libFuzzer target: load/h2conn, the glue between our loop and nghttp2's
 * client session. A real connection (a Unix socket, so no port is taken) to
 * a "server" that sends the fuzzer's bytes, then closes. Byte 0 chooses:
 *   bits 0-2  streams submitted at once (1..8)
 *   bit 3     keep bodies (validation)
 *   bit 4     a body hook that consumes whole lines only
 *   bit 5     requests carry a body (POST) or none (GET)
 *   bit 6     the fields are translated from each request's own head (a head
 *             that varies per request)
 * Whatever arrives -- frames right or wrong, resets, GOAWAYs, a close -- every
 * stream must end exactly once, the hook must end at most once per stream and
 * only for a stream that ended whole, and a kept body is never longer than
 * what the server sent. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "fuzz.h"
#include "load/h2conn.h"
#include "load/h2req.h"

#define STREAMS 8

struct run {
    loop_t *loop;
    unsigned submitted, done;
    int reported[STREAMS];
    int hook_ends[STREAMS];
    size_t input_len;
    bool lines;
};

static struct run R;

static size_t hook(void *arg, int status, const char *data, size_t len, bool end)
{
    int i = (int)(intptr_t)arg;
    CHECK(status >= 0 && status <= 999); /* the stream's :status, 0 before one came */
    CHECK(R.hook_ends[i] == 0);
    R.hook_ends[i] += end;
    size_t use = len;
    if (R.lines && !end)
        while (use > 0 && data[use - 1] != '\n')
            use--;
    return use;
}

static void on_done(h2conn_t *c, void *user, const conn_result_t *res)
{
    (void)c;
    int i = (int)(intptr_t)user;
    CHECK(i >= 0 && i < STREAMS && R.reported[i] == 0);
    R.reported[i] = 1;
    CHECK(res->body_len <= R.input_len);
    if (res->err != CONN_OK)
        CHECK(R.hook_ends[i] == 0); /* a stream that failed is never ended to the hook */
    if (++R.done == R.submitted)
        loop_stop(R.loop);
}

static void on_connect(h2conn_t *c, void *opener, uint64_t ns)
{
    (void)c, (void)opener, (void)ns;
}

static void on_tls(h2conn_t *c, uint64_t ns, bool resumed)
{
    (void)c, (void)ns, (void)resumed;
}

static void on_room(h2conn_t *c)
{
    (void)c;
}

static void on_guard(loop_t *loop, loop_timer_t *t)
{
    (void)t;
    loop_stop(loop); /* a hang: the CHECK below keeps the input */
}

static int listener(struct sockaddr_storage *ss, socklen_t *len)
{
    static int fd = -1;
    static struct sockaddr_un un;
    if (fd < 0) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        memset(&un, 0, sizeof un);
        un.sun_family = AF_UNIX;
        /* abstract namespace: nothing on disk */
        snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "tailgate-fuzz-h2conn-%d", getpid());
        if (bind(fd, (struct sockaddr *)&un, sizeof un) || listen(fd, 16))
            abort();
    }
    memcpy(ss, &un, sizeof un);
    *len = sizeof un;
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    static const char post[] = "POST /v1/infer HTTP/1.1\r\nHost: h\r\n"
                               "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    static const char get[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    bool body = mode & 0x20, varies = mode & 0x40;
    const char *req = body ? post : get;
    size_t req_len = body ? sizeof post - 1 : sizeof get - 1;
    char err[128];
    h2req_t fields;
    CHECK(h2req_init(&fields, req, req_len, "http", varies, err, sizeof err) == 0);
    static char heads[STREAMS][sizeof post]; /* each stream's own head */
    size_t head_len = h2req_body_offset(req, req_len);

    memset(&R, 0, sizeof R);
    R.input_len = size;
    R.lines = mode & 0x10;
    CHECK(loop_new(&R.loop) == 0);
    h2conn_env_t env = {
        .loop = R.loop,
        .timeout_ns = 5 * CLOCK_NS_PER_MS,
        .keep_body = mode & 0x08,
        .on_body = (mode & 0x10) ? hook : NULL,
        .on_done = on_done,
        .on_connect = on_connect,
        .on_tls = on_tls,
        .on_room = on_room,
        .fields = &fields,
        .max_streams = STREAMS,
        .server_streams = 100,
    };
    int lfd = listener(&env.addr, &env.addrlen);
    h2conn_t c;
    CHECK(h2conn_init(&c, &env) == 0);
    unsigned n = (mode & 7) + 1;
    for (unsigned i = 0; i < n; i++) {
        memcpy(heads[i], req, head_len);
        CHECK(h2conn_submit(&c, (void *)(intptr_t)i, varies ? heads[i] : NULL, head_len, "{}",
                            body ? 2 : 0, 0));
        R.submitted++;
    }
    /* The server: whatever the fuzzer says, then its end of the socket. */
    int sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (sfd >= 0) {
        ssize_t w = send(sfd, data, size, MSG_NOSIGNAL);
        (void)w;
        shutdown(sfd, SHUT_WR);
    }
    loop_timer_t guard;
    loop_timer_init(&guard, on_guard);
    loop_update_now(R.loop);
    loop_timer_set(R.loop, &guard, loop_now(R.loop) + 2 * CLOCK_NS_PER_S);
    loop_run(R.loop);
    CHECK(R.done == R.submitted);
    loop_timer_cancel(R.loop, &guard);
    h2conn_close(&c);
    if (sfd >= 0)
        close(sfd);
    loop_free(R.loop);
    h2req_close(&fields);
    return 0;
}
