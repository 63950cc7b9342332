"""A misbehaving-client harness for `tailgate stub`: slow
senders, thousands of idle connections, pipelined floods, truncated requests,
invalid framing, huge and deeply nested JSON, clients that vanish mid-response
or never read. For each the stub must not crash, must answer the status
the README names (or close cleanly), and must keep answering a valid client
promptly while the abuse goes on. Raw sockets and selectors only; every test
is bounded (well under 20 s, also under ASan)."""
import json
import os
import resource
import selectors
import socket
import struct
import threading
import time

import tg

PROBE_MS = 200  # a valid request during abuse answers within this (+ its delay)


def infer_req(inputs, model="m", extra=""):
    body = json.dumps({"model": model, "inputs": inputs}).encode()
    return (f"POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
            ).encode() + body


def probe(ctx, port, delay_ms=0, what="probe"):
    """One valid inference request on a fresh connection: 200, one output, and
    answered within PROBE_MS + delay (sanitizer slack applied)."""
    t0 = time.monotonic()
    status, out = tg.infer(port, [what], timeout=10)
    ms = (time.monotonic() - t0) * 1000
    assert status == 200, (what, status, out)
    assert len(out["outputs"]) == 1, out
    limit = tg.slack(ctx, PROBE_MS) + delay_ms
    assert ms <= limit, f"{what}: valid request took {ms:.0f} ms (limit {limit} ms)"
    return ms


def stats(port):
    status, _, body = tg.http(port, "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200, status
    return json.loads(body)


def wait_for(pred, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def alive(s, ctx):
    """The stub process is still running and has printed no sanitizer report."""
    assert s.proc.poll() is None, f"stub exited with {s.proc.returncode}:\n{s.stderr()[-3000:]}"
    ctx.check_sanitizer(s.stderr(), "stub")


def read_until_close(sock, timeout=5.0, limit=1 << 20):
    """All bytes until EOF (or a reset). Returns (data, closed)."""
    sock.settimeout(timeout)
    data = b""
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end and len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return data, True
    except socket.timeout:
        return data, False
    return data, False


def status_of(data):
    if not data.startswith(b"HTTP/1.1 "):
        return 0
    return int(data[9:12])


def rst_close(sock):
    """Close with a reset instead of a FIN (SO_LINGER 0)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, want), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Prober:
    """Sends valid requests from a background thread while the test abuses the
    stub; records each latency and any failure."""

    def __init__(self, ctx, port, delay_ms=0, every=0.1):
        self.ctx, self.port, self.delay_ms, self.every = ctx, port, delay_ms, every
        self.lat = []
        self.errors = []
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        i = 0
        while not self.stop_ev.is_set():
            i += 1
            t0 = time.monotonic()
            try:
                status, out = tg.infer(self.port, [f"probe-{i}"], timeout=10)
                ms = (time.monotonic() - t0) * 1000
                if status != 200 or len(out["outputs"]) != 1:
                    self.errors.append(f"probe {i}: status {status} {out}")
                self.lat.append(ms)
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                self.errors.append(f"probe {i}: {e!r}")
            self.stop_ev.wait(self.every)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        self.t.join(15)

    def check(self, min_probes=3):
        assert not self.errors, self.errors[:5]
        assert len(self.lat) >= min_probes, f"only {len(self.lat)} probes ran"
        limit = tg.slack(self.ctx, PROBE_MS) + self.delay_ms
        worst = max(self.lat)
        assert worst <= limit, f"valid request took {worst:.0f} ms during abuse (limit {limit})"


# ---- slow senders ----

def test_slowloris_does_not_starve_valid_clients(ctx):
    """200 connections dribble one byte every 100 ms (half in the header
    section, half in the body). Valid clients stay prompt; every slow one gets
    408 once --header-timeout has passed since its first byte, and closes."""
    s = ctx.stub("--header-timeout", "1500ms", "--delay", "20ms")
    n = 200
    head = b"POST /v1/infer HTTP/1.1\r\nHost: x\r\n"
    scripts = []
    for i in range(n):
        if i % 2:
            scripts.append(head + b"Content-Length: 4000\r\n\r\n" + b"x" * 4000)
        else:
            scripts.append(head + b"".join(b"X-Slow-%d: %s\r\n" % (k, b"y" * 20)
                                           for k in range(200)))
    socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(n)]
    for so in socks:
        so.setblocking(False)
    pos = [0] * n
    got = [b""] * n
    closed = [False] * n
    t_start = time.monotonic()
    with Prober(ctx, s.port, delay_ms=20) as p:
        deadline = t_start + 1.5 + tg.slack(ctx, 2.0)
        while time.monotonic() < deadline and not all(closed):
            for i, so in enumerate(socks):
                if closed[i]:
                    continue
                try:
                    chunk = so.recv(4096)
                    if chunk:
                        got[i] += chunk
                    else:
                        closed[i] = True
                        continue
                except BlockingIOError:
                    pass
                except ConnectionResetError:
                    closed[i] = True
                    continue
                if pos[i] < len(scripts[i]) and not got[i]:
                    try:
                        so.send(scripts[i][pos[i]:pos[i] + 1])
                        pos[i] += 1
                    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                        pass
            time.sleep(0.1)
    elapsed = time.monotonic() - t_start
    p.check()
    statuses = [status_of(g) for g in got]
    assert statuses.count(408) == n, f"expected {n} x 408, got {sorted(set(statuses))}"
    assert all(closed), f"{closed.count(False)} slow connections still open after 408"
    assert elapsed >= 1.4, f"408 came too early ({elapsed:.2f} s < --header-timeout)"
    for so in socks:
        so.close()
    st = stats(s.port)
    assert st["by_status"].get("408") == n, st
    probe(ctx, s.port, 20, "after slowloris")
    alive(s, ctx)


# ---- idle connections ----

def test_five_thousand_idle_connections(ctx):
    """5,000 connections open and silent: /stats counts them, valid requests
    stay prompt, and when they go the count goes back down."""
    n = 5000
    have = raise_nofile(n + 500)
    assert have >= n + 100, f"RLIMIT_NOFILE too low for this test: {have}"
    s = ctx.stub("--header-timeout", "30s", "--threads", "2")
    socks = []
    try:
        for i in range(n):
            socks.append(socket.create_connection(("127.0.0.1", s.port), timeout=5))
            if i % 1000 == 999:
                probe(ctx, s.port, 0, f"while connecting {i + 1}")
        st = wait_for(lambda: (lambda x: x if x["connections"] >= n + 1 else None)(stats(s.port)),
                      tg.slack(ctx, 5))
        assert st and st["connections"] >= n + 1, stats(s.port)
        lat = [probe(ctx, s.port, 0, f"with {n} idle #{k}") for k in range(20)]
        assert max(lat) <= tg.slack(ctx, PROBE_MS)
        # Some of the idle ones now send a request: they are served too.
        for so in socks[::500]:
            so.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for so in socks[::500]:
            assert tg.read_response(so)[0] == 200
    finally:
        for so in socks:
            so.close()
    st = wait_for(lambda: (lambda x: x if x["connections"] <= 2 else None)(stats(s.port)),
                  tg.slack(ctx, 5))
    assert st, f"connections not released: {stats(s.port)}"
    probe(ctx, s.port, 0, "after idle")
    alive(s, ctx)


def test_idle_connections_time_out_with_408(ctx):
    """Silent connections are slow clients: each gets 408 (or a clean close)
    after --header-timeout, and the server counts none of them afterwards."""
    n = 1000
    raise_nofile(n + 500)
    s = ctx.stub("--header-timeout", "1s")
    socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(n)]
    probe(ctx, s.port, 0, "with idle")
    sel = selectors.DefaultSelector()
    for so in socks:
        so.setblocking(False)
        sel.register(so, selectors.EVENT_READ)
    got = {}
    end = time.monotonic() + 1 + tg.slack(ctx, 4)
    while len(got) < n and time.monotonic() < end:
        for key, _ in sel.select(0.2):
            so = key.fileobj
            data, _ = b"", False
            try:
                while True:
                    chunk = so.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except BlockingIOError:
                pass
            except ConnectionResetError:
                pass
            got[so] = got.get(so, b"") + data
            sel.unregister(so)
    sel.close()
    assert len(got) == n, f"{n - len(got)} idle connections never timed out"
    bad = [d[:40] for d in got.values() if d and status_of(d) != 408]
    assert not bad, bad[:3]
    for so in socks:
        so.close()
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, tg.slack(ctx, 3))
    alive(s, ctx)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_more_connections_than_descriptors(ctx):
    """The stub runs out of file descriptors (RLIMIT_NOFILE 128) with 400
    silent clients connecting: it must neither crash nor spin on accept; the
    ones it holds time out (408), the backlog drains, and a valid client that
    queued behind them is served."""
    s = ctx.stub("--header-timeout", "1s")
    resource.prlimit(s.proc.pid, resource.RLIMIT_NOFILE, (128, 128))
    n = 400
    raise_nofile(n + 500)
    socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(n)]
    c0, t0 = cpu_seconds(s.proc.pid), time.monotonic()
    sel = selectors.DefaultSelector()
    for so in socks:
        so.setblocking(False)
        sel.register(so, selectors.EVENT_READ)
    # A valid client, queued behind the silent ones, from a thread.
    result = {}

    def valid():
        t = time.monotonic()
        try:
            result["status"] = tg.infer(s.port, ["queued"], timeout=15)[0]
        except Exception as e:  # noqa: BLE001
            result["status"] = repr(e)
        result["s"] = time.monotonic() - t

    th = threading.Thread(target=valid)
    th.start()
    closed = 0
    cpu_checked = False
    end = time.monotonic() + 6 + tg.slack(ctx, 4)
    while closed < n and time.monotonic() < end:
        for key, _ in sel.select(0.1):
            so = key.fileobj
            try:
                data = so.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:  # the silent client leaves once the stub has closed on it
                sel.unregister(so)
                so.close()
                closed += 1
        if not cpu_checked and time.monotonic() - t0 >= 0.8:
            cpu_checked = True
            busy = (cpu_seconds(s.proc.pid) - c0) / (time.monotonic() - t0)
            assert busy < 0.5, f"stub used {busy:.0%} CPU while out of descriptors (spinning?)"
    sel.close()
    th.join(15)
    assert closed == n, f"{n - closed} silent connections never timed out"
    assert result.get("status") == 200, result
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, tg.slack(ctx, 3))
    probe(ctx, s.port, 0, "after descriptor exhaustion")
    alive(s, ctx)


# ---- pipelining ----

def test_pipelined_flood_in_one_send_answered_in_order(ctx):
    """2,000 requests written in one send on one connection: 2,000 answers,
    in order, and the connection stays usable."""
    s = ctx.stub()
    n = 2000
    reqs = []
    for i in range(n):
        if i % 3 == 2:
            reqs.append(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        else:
            reqs.append(infer_req([f"in-{i}"], model=f"m{i}"))
    blob = b"".join(reqs)
    so = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    # Send from a thread: a client that only writes while the server's answers
    # fill both socket buffers would deadlock itself, not the server.
    sender = threading.Thread(target=so.sendall, args=(blob,))
    sender.start()
    buf = tg.Reader(so)
    with Prober(ctx, s.port) as p:
        for i in range(n):
            status, _, body = buf.response()
            assert status == 200, (i, status, body)
            if i % 3 == 2:
                assert json.loads(body) == {"status": "ok"}, (i, body)
            else:
                assert json.loads(body)["model"] == f"m{i}", (i, body)
    sender.join(10)
    p.check(min_probes=1)
    so.sendall(infer_req(["last"], model="last"))
    status, _, body = buf.response()
    assert status == 200 and json.loads(body)["model"] == "last"
    so.close()
    assert stats(s.port)["requests"] >= n + 1
    alive(s, ctx)


def test_pipelined_flood_with_slow_reader_is_bounded(ctx):
    """A client writes pipelined requests as fast as the socket takes them,
    each answer large, and reads the answers slowly. The server must apply
    back-pressure (stop reading while it cannot write) instead of buffering
    without bound: the client's writes stall at what the socket buffers hold,
    the stub's memory stays flat, and everyone else is still served."""
    s = ctx.stub("--header-timeout", "5s")
    one = infer_req([f"item-{k}" for k in range(50)])  # ~0.6 KB in, ~4 KB out
    chunk = one * 2000                                  # ~1.2 MB, whole requests
    cap = 256 << 20                                     # what an unbounded server would take
    base = rss_kib(s.proc.pid)
    so = socket.create_connection(("127.0.0.1", s.port))
    so.setblocking(False)
    sent = 0
    received = 0
    peak = base
    t_end = time.monotonic() + 3
    with Prober(ctx, s.port) as p:
        while time.monotonic() < t_end:
            try:
                while sent < cap:
                    off = sent % len(chunk)
                    sent += so.send(chunk[off:off + 262144])
            except BlockingIOError:
                pass
            try:
                received += len(so.recv(16384))  # slow: 16 KB per 20 ms
            except BlockingIOError:
                pass
            peak = max(peak, rss_kib(s.proc.pid))
            time.sleep(0.02)
    p.check()
    assert received > 0, "no answers at all"
    # Socket buffers (tcp_wmem + tcp_rmem maxima) hold at most a few tens of MB.
    assert sent < 64 << 20, f"the stub took {sent >> 20} MiB while its answers went unread"
    growth_mib = (peak - base) / 1024
    assert growth_mib < 64, f"stub RSS grew by {growth_mib:.0f} MiB under a slow-reading flood"
    so.close()
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, tg.slack(ctx, 3))
    probe(ctx, s.port, 0, "after slow-reader flood")
    alive(s, ctx)


# ---- truncated requests ----

TRUNCATED = [
    b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Le",
    b"GET /healthz HTTP/1.1\r\n",
    b"GET /heal",
    b"P",
    b"POST /v1/infer HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"inputs\": [1, 2",
    b"POST /v1/infer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"inputs\"",
    b"POST /v1/infer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"inp\r\n",
    b"POST /v1/infer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
    b"POST /v1/infer HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n" + b"x" * 100000,
]


def test_truncated_requests(ctx):
    """Requests cut off (headers cut, body shorter than Content-Length, chunked
    body cut) and then closed with a FIN, a reset, or a half-close: the stub
    answers nothing or closes, frees the connection and keeps serving."""
    s = ctx.stub("--header-timeout", "2s")
    for how in ("close", "rst", "half"):
        for raw in TRUNCATED:
            so = socket.create_connection(("127.0.0.1", s.port))
            so.sendall(raw)
            if how == "close":
                so.close()
            elif how == "rst":
                rst_close(so)
            else:
                so.shutdown(socket.SHUT_WR)
                data, closed = read_until_close(so, timeout=tg.slack(ctx, 3))
                assert closed, (raw[:60], "server kept a half-closed truncated request open")
                assert status_of(data) in (0, 400), (raw[:60], data[:80])
                so.close()
        probe(ctx, s.port, 0, f"after truncated/{how}")
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, tg.slack(ctx, 3)), stats(s.port)
    st = stats(s.port)
    assert st["client_disconnects"] >= 2 * len(TRUNCATED) - 1, st
    alive(s, ctx)


# ---- invalid framing ----

H = b"Host: x\r\n"
INVALID = [
    ("CL + TE", b"POST /v1/infer HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400}),
    ("TE + CL", b"POST /v1/infer HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n"
     b"Content-Length: 5\r\n\r\n0\r\n\r\n", {400}),
    ("TE gzip,chunked", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", {400, 501}),
    ("TE chunked twice", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", {400}),
    ("TE not last", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", {400, 501}),
    ("bad chunk size", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", {400}),
    ("negative chunk size", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", {400}),
    ("overflowing chunk size", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\n1" + b"0" * 20 + b"\r\nhello\r\n0\r\n\r\n", {400, 413}),
    ("huge chunk size", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhello", {400, 413}),
    ("chunk data too long", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", {400}),
    ("negative CL", b"POST /v1/infer HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", {400}),
    ("overflowing CL", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Content-Length: 99999999999999999999999\r\n\r\n", {400, 413}),
    ("max uint64 CL", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Content-Length: 18446744073709551615\r\n\r\n", {413}),
    ("CL with sign", b"POST /v1/infer HTTP/1.1\r\n" + H + b"Content-Length: +5\r\n\r\nhello",
     {400}),
    ("CL hex", b"POST /v1/infer HTTP/1.1\r\n" + H + b"Content-Length: 0x5\r\n\r\nhello", {400}),
    ("CL empty", b"POST /v1/infer HTTP/1.1\r\n" + H + b"Content-Length: \r\n\r\n", {400}),
    ("two different CLs", b"POST /v1/infer HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n"
     b"Content-Length: 6\r\n\r\nhello!", {400}),
    ("CL list differs", b"POST /v1/infer HTTP/1.1\r\n" + H + b"Content-Length: 5, 6\r\n\r\nhello!",
     {400}),
    ("obs-fold", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: one\r\n two\r\n\r\n", {400}),
    ("space before colon", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A : one\r\n\r\n", {400}),
    ("space before colon CL", b"POST /v1/infer HTTP/1.1\r\n" + H +
     b"Content-Length : 5\r\n\r\nhello", {400}),
    ("header without colon", b"GET /healthz HTTP/1.1\r\n" + H + b"NoColon\r\n\r\n", {400}),
    ("empty header name", b"GET /healthz HTTP/1.1\r\n" + H + b": v\r\n\r\n", {400}),
    ("bare CR in value", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", {400}),
    ("bare CR line end", b"GET /healthz HTTP/1.1\r" + H + b"\r\n", {400}),
    ("bare CR in request line", b"GET /heal\rthz HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("NUL in value", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", {400}),
    ("NUL in name", b"GET /healthz HTTP/1.1\r\n" + H + b"X-\x00A: b\r\n\r\n", {400}),
    ("NUL in target", b"GET /heal\x00thz HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("NUL in method", b"G\x00ET /healthz HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("NUL first", b"\x00" * 64, {400}),
    ("DEL in value", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\x7fb\r\n\r\n", {400}),
    # (The HTTP/2 preface first on a connection starts h2c: test_http2.py.)
    ("TLS ClientHello", bytes.fromhex(
        "16030100c4010000c00303") + os.urandom(32) + bytes.fromhex(
        "000020c02bc02fc02cc030cca9cca8c013c014009c009d002f0035000a0100007700000010000e00000b"
        "6578616d706c652e636f6d"), {400}),
    ("HTTP/0.9", b"GET /healthz\r\n\r\n", {400}),
    ("HTTP/1.2", b"GET /healthz HTTP/1.2\r\n" + H + b"\r\n", {400, 505}),
    ("HTTP/2.0 line", b"GET /healthz HTTP/2.0\r\n" + H + b"\r\n", {400, 505}),
    ("lowercase version", b"GET /healthz http/1.1\r\n" + H + b"\r\n", {400}),
    ("two spaces", b"GET  /healthz HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("tab separator", b"GET\t/healthz HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("no target", b"GET HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("space in target", b"GET /hea lthz HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("leading space", b" GET /healthz HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("whitespace after start line", b"GET /healthz HTTP/1.1\r\n X: y\r\n" + H + b"\r\n", {400}),
    ("very long request line", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n" + H + b"\r\n",
     {414, 431}),
    ("very long method", b"G" * 70000 + b" / HTTP/1.1\r\n\r\n", {400, 414, 431, 501}),
    ("no newline ever", b"GET /" + b"a" * 40000, {414, 431}),
    ("huge header", b"GET /healthz HTTP/1.1\r\n" + H + b"X-Big: " + b"v" * 40000 + b"\r\n\r\n",
     {431}),
    ("many headers", b"GET /healthz HTTP/1.1\r\n" + H +
     b"".join(b"X-%d: v\r\n" % k for k in range(500)) + b"\r\n", {431}),
    ("endless empty lines", b"\r\n" * 20000, {400, 431}),
    ("binary garbage", bytes(range(256)) * 8, {400}),
]


def test_invalid_framing_then_valid_request(ctx):
    """Each malformed request gets its status (400/413/431/...) and the
    connection closes; a valid request on a new connection right after is
    served promptly."""
    s = ctx.stub("--max-body", "1MiB", "--header-timeout", "2s")
    failures = []
    for name, raw, want in INVALID:
        so = socket.create_connection(("127.0.0.1", s.port))
        try:
            so.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, closed = read_until_close(so, timeout=tg.slack(ctx, 3))
        so.close()
        st = status_of(data)
        if st not in want:
            failures.append(f"{name}: got {st} {data[:100]!r}, want {sorted(want)}")
        elif not closed:
            failures.append(f"{name}: answered {st} but the connection stayed open")
        elif b'{"error":' not in data:
            failures.append(f"{name}: {st} without a JSON error body: {data[:200]!r}")
        probe(ctx, s.port, 0, f"after {name}")
    assert not failures, "\n".join(failures)
    # The same inputs after a valid request on a kept-alive connection.
    for name, raw, want in INVALID[:10]:
        so = socket.create_connection(("127.0.0.1", s.port))
        so.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + raw)
        data, closed = read_until_close(so, timeout=tg.slack(ctx, 3))
        so.close()
        assert data.startswith(b"HTTP/1.1 200"), (name, data[:80])
        rest = data[data.index(b"\r\n\r\n") + 4 + len(b'{"status":"ok"}'):]
        assert status_of(rest) in want and closed, (name, rest[:100])
    st = stats(s.port)
    assert st["by_status"].get("400", 0) >= 30, st
    alive(s, ctx)


def test_refused_client_that_keeps_sending_is_cut_off(ctx):
    """After a closing error (413 for a 1 GB Content-Length) the stub reads
    and discards for a bounded while so the client sees its answer; a client
    that keeps streaming anyway is cut off within a few seconds."""
    s = ctx.stub("--max-body", "1MiB")
    so = socket.create_connection(("127.0.0.1", s.port))
    so.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
    so.settimeout(5)
    assert status_of(so.recv(4096)) == 413
    junk = b"x" * 65536
    t0 = time.monotonic()
    cut = False
    with Prober(ctx, s.port) as p:
        while time.monotonic() - t0 < 8:
            try:
                so.sendall(junk)
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            except socket.timeout:
                pass
    p.check()
    assert cut, "the stub kept reading a refused client's body for 8 s"
    so.close()
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, tg.slack(ctx, 3))
    alive(s, ctx)


# ---- huge and deeply nested JSON ----

def json_body_of_size(size):
    """{"model":"m","inputs":["xxx...x"]} of exactly `size` bytes."""
    pre, post = b'{"model":"m","inputs":["', b'"]}'
    return pre + b"x" * (size - len(pre) - len(post)) + post


def test_body_at_and_over_max_body(ctx):
    """--max-body 1MiB: a body of max-body minus 1 and of exactly max-body is
    served, one byte more is 413 (with Content-Length and with chunked)."""
    limit = 1 << 20
    s = ctx.stub("--max-body", "1MiB")
    for size in (limit - 1, limit):
        status, _, body = tg.post(s.port, "/v1/infer", json_body_of_size(size), timeout=10)
        assert status == 200, (size, status, body[:200])
        assert len(json.loads(body)["outputs"]) == 1
    status, _, body = tg.post(s.port, "/v1/infer", json_body_of_size(limit + 1), timeout=10)
    assert status == 413, (status, body[:200])
    assert b"error" in body
    # Same sizes, but not JSON: 400 at the limit, 413 past it.
    status, _, _ = tg.post(s.port, "/v1/infer", b"[" * (limit - 1), timeout=10)
    assert status == 400, status
    big = json_body_of_size(limit + 1)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(big[k:k + 65536]), big[k:k + 65536])
                       for k in range(0, len(big), 65536)) + b"0\r\n\r\n"
    raw = (b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    status, _, _ = tg.http(s.port, raw, timeout=10)
    assert status == 413, status
    # A Content-Length far past the limit is refused before any body arrives.
    t0 = time.monotonic()
    status, _, _ = tg.http(s.port, b"POST /v1/infer HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 1000000000\r\n\r\n")
    assert status == 413 and time.monotonic() - t0 < 1
    probe(ctx, s.port, 0, "after huge bodies")
    alive(s, ctx)


def test_absolute_form_target_is_served(ctx):
    """A request line with a whole URL as its target (as a proxy-minded client
    sends it) names the same resource: a server must accept it (RFC 9112
    §3.2.2), model and version captures included."""
    s = ctx.stub("--api", "kserve-v2")
    body = b'{"inputs":[{"name":"input","shape":[1],"datatype":"BYTES","data":["a"]}]}'
    for target in (f"http://127.0.0.1:{s.port}/v2/models/m1/versions/3/infer",
                   "HTTP://Example.COM/v2/models/m1/versions/3/infer"):
        raw = (f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        status, _, out = tg.http(s.port, raw)
        assert status == 200, (target, status, out)
        answer = json.loads(out)
        assert (answer["model_name"], answer["model_version"]) == ("m1", "3"), answer
    status, _, _ = tg.http(s.port, "GET http://x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 404, status
    alive(s, ctx)


def vm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1])
    return 0


def test_announced_bodies_cost_nothing_until_sent(ctx):
    """1,000 slow clients each announce an 8 MiB body (the default --max-body)
    and send one byte of it: the stub must not reserve 8 MiB per header line
    (that would be ~16 GiB of address space, refused outright where memory is
    not overcommitted). The bodies that do arrive are served."""
    n = 1000
    raise_nofile(n + 500)
    s = ctx.stub("--header-timeout", "10s")
    base = vm_kib(s.proc.pid)
    socks = []
    try:
        for _ in range(n):
            so = socket.create_connection(("127.0.0.1", s.port))
            so.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n{")
            socks.append(so)
        assert wait_for(lambda: stats(s.port)["connections"] >= n + 1, tg.slack(ctx, 5))
        growth_mib = (vm_kib(s.proc.pid) - base) / 1024
        assert growth_mib < 1024, f"address space grew by {growth_mib:.0f} MiB for {n} headers"
        probe(ctx, s.port, 0, "with announced bodies")
        # Two of them do send their 8 MiB: a JSON string input.
        for so in socks[:2]:
            body = b'"inputs":["' + b"x" * (8388608 - 1 - 11 - 3) + b'"]}'
            so.sendall(body)
        for so in socks[:2]:
            so.settimeout(15)
            status, _, rb = tg.read_response(so)
            assert status == 200 and rb.count(b"input_hash") == 1, (status, rb[:200])
    finally:
        for so in socks:
            so.close()
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, tg.slack(ctx, 3))
    alive(s, ctx)


def test_deeply_nested_json(ctx):
    """100,000-deep arrays and objects, alone and inside "inputs": 400 (past
    the JSON depth limit) or 200, never a blown stack; nesting within the
    limit is answered 200 with one output."""
    s = ctx.stub("--max-body", "4MiB")
    d = 100000
    cases = [
        ("arrays", b"[" * d + b"]" * d, {400}),
        ("arrays unclosed", b"[" * d, {400}),
        ("objects", b'{"a":' * d + b"1" + b"}" * d, {400}),
        ("inputs arrays", b'{"inputs":[' + b"[" * d + b"]" * d + b"]}", {400, 200}),
        ("inputs objects", b'{"inputs":[' + b'{"a":' * d + b"1" + b"}" * d + b"]}", {400, 200}),
        ("model nested", b'{"inputs":[1],"model":' + b"[" * d + b"]" * d + b"}", {400, 200}),
    ]
    for name, body, want in cases:
        status, _, rb = tg.post(s.port, "/v1/infer", body, timeout=15)
        assert status in want, (name, status, rb[:200])
        alive(s, ctx)
        probe(ctx, s.port, 0, f"after {name}")
    # Within jansson's depth limit (2048): served, and the output is stable.
    for depth in (100, 1000, 2000):
        body = b'{"model":' + b"[" * depth + b"]" * depth + b',"inputs":[' + \
            b"[" * depth + b"]" * depth + b',{"k":"v"}]}'
        status, _, rb = tg.post(s.port, "/v1/infer", body, timeout=15)
        assert status == 200, (depth, status, rb[:200])
        # The model is echoed as sent (too deep for Python's json): count outputs.
        assert rb.startswith(b'{"model":' + b"[" * depth + b"]" * depth + b',"outputs":['), rb[:80]
        assert rb.count(b'"input_hash"') == 2, rb[-300:]
    alive(s, ctx)


def test_hundred_thousand_inputs(ctx):
    """One request with 100,000 inputs: 200 with 100,000 outputs; the same
    with a --max-body too small for it: 413."""
    s = ctx.stub()
    n = 100000
    inputs = [f"i{k}" for k in range(n)]
    body = json.dumps({"model": "m", "inputs": inputs}).encode()
    t0 = time.monotonic()
    status, _, rb = tg.post(s.port, "/v1/infer", body, timeout=15)
    assert status == 200, (status, rb[:200])
    out = json.loads(rb)["outputs"]
    assert len(out) == n
    assert len({o["input_hash"] for o in out[:1000]}) == 1000
    assert tg.infer(s.port, ["i77777"])[1]["outputs"][0] == out[77777]  # same as alone
    assert time.monotonic() - t0 < tg.slack(ctx, 5)
    s2 = ctx.stub("--max-body", "256KiB")
    status, _, _ = tg.post(s2.port, "/v1/infer", body, timeout=15)
    assert status == 413, status
    probe(ctx, s.port, 0, "after 100k inputs")
    alive(s, ctx)
    alive(s2, ctx)


# ---- clients that vanish or never read ----

def test_client_closes_mid_response(ctx):
    """Clients ask for a large answer (20,000 outputs, ~1.4 MB) and close at
    once, with a FIN or a reset, or after reading a little: the stub drops
    them without harm."""
    s = ctx.stub()
    raw = infer_req([f"x{k}" for k in range(20000)])
    for k in range(30):
        so = socket.create_connection(("127.0.0.1", s.port))
        so.sendall(raw)
        if k % 3 == 0:
            so.close()
        elif k % 3 == 1:
            rst_close(so)
        else:
            so.recv(1000)
            rst_close(so)
    probe(ctx, s.port, 0, "after mid-response closes")
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, tg.slack(ctx, 3)), stats(s.port)
    alive(s, ctx)


def test_client_that_never_reads_does_not_block_others(ctx):
    """Clients pipeline requests with large answers and never read: their
    socket buffers fill, the stub stops writing to them but keeps serving
    everyone else promptly, and drops them after --header-timeout of no
    progress."""
    s = ctx.stub("--header-timeout", "3s")
    raw = infer_req([f"x{k}" for k in range(2000)]) * 60  # ~8 MB of answers each
    hogs = []
    for _ in range(10):
        so = socket.create_connection(("127.0.0.1", s.port))
        so.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        so.setblocking(False)
        try:
            so.send(raw)
        except BlockingIOError:
            pass
        hogs.append(so)
    # Once every hog's buffers are full the stub has nothing left to do for
    # them: it must not wait on them.
    last = [-1]

    def settled():
        now = stats(s.port)["items"]
        done, last[0] = now == last[0], now
        return done

    assert wait_for(settled, tg.slack(ctx, 5), step=0.3), "the stub kept answering non-readers"
    assert stats(s.port)["connections"] >= len(hogs) + 1
    with Prober(ctx, s.port) as p:
        time.sleep(1.0)
    p.check()
    # Stalled past --header-timeout: the stub closes them.
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, 3 + tg.slack(ctx, 3)), stats(s.port)
    for so in hogs:
        so.close()
    probe(ctx, s.port, 0, "after non-readers")
    alive(s, ctx)


# ---- HTTP/2 clients (h2c by prior knowledge, raw frames) ----

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_DATA, H2_HEADERS, H2_RST, H2_SETTINGS, H2_GOAWAY = 0, 1, 3, 4, 7
H2_END_STREAM, H2_END_HEADERS = 0x1, 0x4


def h2_frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(
        ">I", sid) + payload


def h2_fields(fields):
    """HPACK literals without indexing, new names, no Huffman (each string
    under 127 bytes)."""
    out = b""
    for k, v in fields:
        k, v = k.encode(), v.encode()
        out += b"\x00" + bytes([len(k)]) + k + bytes([len(v)]) + v
    return out


def h2_request(method, path):
    return h2_fields([(":method", method), (":scheme", "http"), (":path", path),
                      (":authority", "x")])


def h2_connect(port, settings=b""):
    so = socket.create_connection(("127.0.0.1", port))
    so.sendall(H2_PREFACE + h2_frame(H2_SETTINGS, 0, 0, settings))
    return so


def h2_frames(so, timeout, until):
    """Frames (type, flags, stream, payload) until until(frames) holds, the
    connection ends ("EOF") or timeout. Acknowledges the server's SETTINGS."""
    so.settimeout(0.2)
    buf, frames = b"", []
    end = time.monotonic() + timeout
    while time.monotonic() < end and not until(frames):
        try:
            chunk = so.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            frames.append(("EOF", 0, 0, b""))
            break
        buf += chunk
        while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            n = int.from_bytes(buf[:3], "big")
            f = (buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + n])
            buf = buf[9 + n:]
            frames.append(f)
            if f[0] == H2_SETTINGS and not f[1] & 1:
                so.sendall(h2_frame(H2_SETTINGS, 1, 0))
    return frames


def h2_body(frames, sid):
    return b"".join(f[3] for f in frames if f[0] == H2_DATA and f[2] == sid)


def h2_ended(sid):
    return lambda fr: any(f[2] == sid and f[0] in (H2_DATA, H2_HEADERS, H2_RST) and
                          (f[0] == H2_RST or f[1] & H2_END_STREAM) for f in fr)


def test_h2_request_with_no_fields_and_no_body(ctx):
    """An HTTP/2 request of pseudo-header fields alone (no regular field, no
    body, nothing but :method/:scheme/:path/:authority) is answered: its
    empty field and body buffers are copied as zero bytes (undefined
    behaviour from a NULL buffer once; the sanitizer build aborted)."""
    s = ctx.stub()
    so = h2_connect(s.port)
    so.sendall(h2_frame(H2_HEADERS, H2_END_HEADERS | H2_END_STREAM, 1,
                        h2_request("GET", "/healthz")))
    fr = h2_frames(so, tg.slack(ctx, 3), h2_ended(1))
    assert h2_body(fr, 1) == b'{"status":"ok"}', fr
    so.close()
    probe(ctx, s.port, 0, "after a bare h2 request")
    alive(s, ctx)


def test_h2_unfinished_request_408_and_unread_answer_reset(ctx):
    """HTTP/2 streams keep HTTP/1.1's --header-timeout: a request whose body
    never ends gets 408 on its stream (in its API's error shape) and the
    connection goes on; answers a client takes nothing of (a flow-control
    window of 0) are reset; a client that reads nothing at all loses its
    connection. Before, such streams were held for as long as the client
    kept the connection, with their answers in memory."""
    s = ctx.stub("--header-timeout", "1s")
    so = h2_connect(s.port)
    chat = h2_request("POST", "/v1/chat/completions") + h2_fields([("content-type",
                                                                     "application/json")])
    t0 = time.monotonic()
    so.sendall(h2_frame(H2_HEADERS, H2_END_HEADERS, 1, chat) + h2_frame(H2_DATA, 0, 1, b'{"mo'))
    fr = h2_frames(so, tg.slack(ctx, 4), h2_ended(1))
    ms = (time.monotonic() - t0) * 1000
    err = json.loads(h2_body(fr, 1))["error"]
    assert err["code"] == 408 and "--header-timeout" in err["message"], err
    # the stub checks its streams once per timeout: a stream can wait up to twice it
    assert 1000 <= ms <= tg.slack(ctx, 3000), f"408 after {ms:.0f} ms (timeout 1 s)"
    # The connection still serves.
    so.sendall(h2_frame(H2_HEADERS, H2_END_HEADERS | H2_END_STREAM, 3,
                        h2_request("GET", "/healthz")))
    fr = h2_frames(so, tg.slack(ctx, 3), h2_ended(3))
    assert h2_body(fr, 3) == b'{"status":"ok"}', fr
    so.close()

    # Window 0 (SETTINGS_INITIAL_WINDOW_SIZE): no answer's body can leave.
    so = h2_connect(s.port, struct.pack(">HI", 4, 0))
    body = json.dumps({"model": "m", "inputs": ["x"] * 200}).encode()
    for sid in (1, 3, 5):
        so.sendall(h2_frame(H2_HEADERS, H2_END_HEADERS, sid, h2_request("POST", "/v1/infer")) +
                   h2_frame(H2_DATA, H2_END_STREAM, sid, body))
    fr = h2_frames(so, tg.slack(ctx, 4),
                   lambda fr: {f[2] for f in fr if f[0] == H2_RST} == {1, 3, 5})
    resets = {f[2]: f[3] for f in fr if f[0] == H2_RST}
    assert resets == {sid: struct.pack(">I", 2) for sid in (1, 3, 5)}, fr  # INTERNAL_ERROR
    so.close()

    # A client that opens every window and then reads nothing: the socket
    # fills, even the resets cannot leave, and its connection is closed.
    so = h2_connect(s.port, struct.pack(">HI", 4, 0x7FFFFFFF))
    so.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    so.sendall(h2_frame(8, 0, 0, struct.pack(">I", 0x7FFFFFFF - 65535)))  # WINDOW_UPDATE
    big = json.dumps({"model": "m", "inputs": ["x"] * 5000}).encode()  # ~0.5 MB answers
    sent = 0
    for sid in range(1, 21, 2):
        try:
            so.sendall(h2_frame(H2_HEADERS, H2_END_HEADERS, sid, h2_request("POST", "/v1/infer"))
                       + h2_frame(H2_DATA, H2_END_STREAM, sid, big))
        except (BrokenPipeError, ConnectionResetError):
            break  # the stub already closed it: what this part checks (a slow host sees it early)
        sent += 1
    assert wait_for(lambda: stats(s.port)["connections"] <= 1, tg.slack(ctx, 6)), \
        (sent, stats(s.port))
    so.close()
    probe(ctx, s.port, 0, "after h2 clients that stall")
    alive(s, ctx)
