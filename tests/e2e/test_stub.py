"""End-to-end tests of `tailgate stub`: drive the binary over
real sockets on 127.0.0.1 as a client would."""
import json
import resource
import selectors
import signal
import socket
import subprocess
import threading
import time

import tg


def req(inputs, model="m", path="/v1/infer", extra=""):
    body = json.dumps({"model": model, "inputs": inputs}).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def assert_ok(port, inputs=("after",)):
    status, out = tg.infer(port, list(inputs))
    assert status == 200, status
    assert len(out["outputs"]) == len(inputs), out


# ---- answers ----

def test_three_inputs_three_outputs(ctx):
    s = ctx.stub()
    status, out = tg.infer(s.port, ["a", {"x": 1}, [1, 2]], model="my-model")
    assert status == 200
    assert out["model"] == "my-model"
    assert len(out["outputs"]) == 3
    for o in out["outputs"]:
        assert o["label"] in ("positive", "negative")
        assert 0 <= o["score"] < 1
        assert len(o["input_hash"]) == 16


def test_same_input_same_output_alone_and_batched(ctx):
    s = ctx.stub()
    inputs = ["alpha", {"b": 2, "a": 1}, 3.5, None, ["x", {"k": "v"}]]
    singles = [tg.infer(s.port, [i])[1]["outputs"][0] for i in inputs]
    status, batch = tg.infer(s.port, inputs)
    assert status == 200
    assert batch["outputs"] == singles
    # Key order in the input does not matter (the hash is over sorted keys).
    assert tg.infer(s.port, [{"a": 1, "b": 2}])[1]["outputs"][0] == singles[1]
    # Different inputs give different hashes.
    assert len({o["input_hash"] for o in singles}) == len(singles)


def test_shuffle_outputs_makes_batches_differ(ctx):
    s = ctx.stub("--shuffle-outputs")
    inputs = ["one", "two", "three"]
    singles = [tg.infer(s.port, [i])[1]["outputs"][0] for i in inputs]
    batch = tg.infer(s.port, inputs)[1]["outputs"]
    assert len(batch) == 3
    assert batch != singles
    assert sorted(json.dumps(o) for o in batch) == sorted(json.dumps(o) for o in singles)


def test_healthz_and_stats(ctx):
    s = ctx.stub()
    status, _, body = tg.http(s.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert_ok(s.port, ["a", "b"])
    tg.post(s.port, "/v1/infer", "{bad")
    status, _, body = tg.http(s.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
    st = json.loads(body)
    assert status == 200
    for k in ("requests", "ok", "errors", "by_status", "in_flight", "queued", "max_queued",
              "connections", "items"):
        assert k in st, k
    assert st["by_status"]["200"] >= 2 and st["by_status"]["400"] == 1
    assert st["items"] == 2


# ---- latency model ----

def test_delay_200ms(ctx):
    s = ctx.stub("--delay", "200ms")
    assert_ok(s.port)  # warm up
    for _ in range(3):
        t0 = time.monotonic()
        assert_ok(s.port)
        ms = (time.monotonic() - t0) * 1000
        assert 200 <= ms < 200 + tg.slack(ctx, 60), ms


def test_per_item_delay(ctx):
    s = ctx.stub("--delay", "50ms", "--per-item", "20ms")
    t0 = time.monotonic()
    assert_ok(s.port, list(range(10)))
    ms = (time.monotonic() - t0) * 1000
    assert 250 <= ms < 250 + tg.slack(ctx, 80), ms


def test_thousand_concurrent_requests(ctx):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    s = ctx.stub("--delay", "500ms")
    n = 1000
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(n):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", s.port))
        socks.append(c)
    t0 = time.monotonic()
    for i, c in enumerate(socks):
        sel.register(c, selectors.EVENT_WRITE, [req([i]), b""])
    done = 0
    deadline = t0 + 10
    while done < n and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=1):
            c, st = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE:
                try:
                    sent = c.send(st[0])
                except BlockingIOError:
                    continue
                st[0] = st[0][sent:]
                if not st[0]:
                    sel.modify(c, selectors.EVENT_READ, st)
            elif ev & selectors.EVENT_READ:
                chunk = c.recv(65536)
                st[1] += chunk
                head, sep, body = st[1].partition(b"\r\n\r\n")
                if sep:
                    cl = int([ln.split(b":")[1] for ln in head.split(b"\r\n")
                              if ln.lower().startswith(b"content-length")][0])
                    if len(body) >= cl:
                        assert head.startswith(b"HTTP/1.1 200"), head
                        sel.unregister(c)
                        done += 1
                if not chunk and c in sel.get_map():
                    raise AssertionError("closed early")
    elapsed = time.monotonic() - t0
    for c in socks:
        c.close()
    assert done == n, done
    assert elapsed < (1.5 if not ctx.sanitized else 3.0), elapsed


def test_workers_fifo_queue(ctx):
    s = ctx.stub("--workers", "2", "--delay", "100ms")
    assert_ok(s.port)
    results = [None] * 4
    barrier = threading.Barrier(4)

    def one(i):
        c = socket.create_connection(("127.0.0.1", s.port))
        barrier.wait()
        t0 = time.monotonic()
        c.sendall(req([i]))
        st, _, _ = tg.Reader(c).response()
        results[i] = (st, (time.monotonic() - t0) * 1000)
        c.close()

    ts = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(r[0] == 200 for r in results), results
    ms = sorted(r[1] for r in results)
    tol = tg.slack(ctx, 40)
    assert abs(ms[0] - 100) < tol and abs(ms[1] - 100) < tol, ms
    assert abs(ms[2] - 200) < tol and abs(ms[3] - 200) < tol, ms


def test_queue_full_gets_503(ctx):
    s = ctx.stub("--workers", "1", "--queue", "1", "--delay", "300ms")
    conns = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(3)]
    for i, c in enumerate(conns):
        c.sendall(req([i]))
        time.sleep(0.02)
    statuses = sorted(tg.Reader(c).response()[0] for c in conns)
    for c in conns:
        c.close()
    assert statuses == [200, 200, 503], statuses
    st = json.loads(tg.http(s.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")[2])
    assert st["max_queued"] == 1, st


def test_error_rate(ctx):
    s = ctx.stub("--error-rate", "1", "--delay", "20ms")
    t0 = time.monotonic()
    status, body = tg.infer(s.port, ["x"])
    assert status == 500 and "error" in body
    assert time.monotonic() - t0 >= 0.02  # after the delay
    s0 = ctx.stub("--error-rate", "0")
    c = socket.create_connection(("127.0.0.1", s0.port))
    r = tg.Reader(c)
    for i in range(50):
        c.sendall(req([i]))
        assert r.response()[0] == 200
    c.close()


def test_stall_holds_responses(ctx):
    s = ctx.stub("--stall-every", "400ms", "--stall-for", "300ms")
    # Over ~1 s at least one request must land in a stall and wait for its end.
    worst = 0
    t_end = time.monotonic() + 1.0
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        assert_ok(s.port)
        worst = max(worst, time.monotonic() - t0)
    assert worst >= 0.1, worst


# ---- HTTP ----

def test_keep_alive_and_pipelining_in_order(ctx):
    s = ctx.stub("--delay", "10ms")
    c = socket.create_connection(("127.0.0.1", s.port))
    r = tg.Reader(c)
    singles = {}
    for i in range(3):
        c.sendall(req([f"in{i}"]))
        st, _, body = r.response()
        assert st == 200
        singles[i] = json.loads(body)["outputs"][0]
    # Five requests in one write, answered in order.
    c.sendall(b"".join(req([f"in{i % 3}"]) for i in range(5)) +
              b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    for i in range(5):
        st, _, body = r.response()
        assert st == 200
        assert json.loads(body)["outputs"][0] == singles[i % 3], i
    st, _, body = r.response()
    assert st == 200 and b"ok" in body
    c.close()


def test_chunked_request_body(ctx):
    s = ctx.stub()
    body = json.dumps({"model": "m", "inputs": ["a", "b"]}).encode()
    chunks = [body[:7], body[7:20], body[20:]]
    raw = b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    for ch in chunks:
        raw += b"%x\r\n" % len(ch) + ch + b"\r\n"
    raw += b"0\r\n\r\n"
    c = socket.create_connection(("127.0.0.1", s.port))
    c.sendall(raw + req(["a"]))  # a pipelined request after the chunked one
    r = tg.Reader(c)
    st, _, b1 = r.response()
    assert st == 200, b1
    out = json.loads(b1)["outputs"]
    assert len(out) == 2
    st, _, b2 = r.response()
    assert st == 200 and json.loads(b2)["outputs"][0] == out[0]
    c.close()


def test_expect_100_continue(ctx):
    s = ctx.stub()
    body = json.dumps({"model": "m", "inputs": [1]}).encode()
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body))
    r = tg.Reader(c)
    st, _, _ = r.response()
    assert st == 100
    c.sendall(body)
    st, _, b = r.response()
    assert st == 200 and len(json.loads(b)["outputs"]) == 1
    c.close()


def test_bad_requests_then_good(ctx):
    s = ctx.stub("--max-body", "1KiB", "--header-timeout", "300ms")
    p = s.port
    cases = [
        (tg.post(p, "/v1/infer", "{not json"), 400),
        (tg.post(p, "/v1/infer", '{"model": "m"}'), 400),
        (tg.post(p, "/v1/infer", '{"model": "m", "inputs": {"a": 1}}'), 400),
        (tg.post(p, "/v1/infer", '[1, 2]'), 400),
        (tg.post(p, "/nowhere", '{"inputs": []}'), 404),
        (tg.http(p, "GET /v1/infer HTTP/1.1\r\nHost: x\r\n\r\n"), 405),
        (tg.http(p, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"), 405),
        (tg.http(p, "BROKEN\r\n\r\n"), 400),
        (tg.http(p, "POST /v1/infer HTTP/1.1\r\nContent-Length: 5\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"), 400),
        (tg.post(p, "/v1/infer", json.dumps({"model": "m", "inputs": ["x" * 4000]})), 413),
        (tg.http(p, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * 20000 + "\r\n\r\n"),
         431),
        (tg.http(p, "GET /healthz HTTP/1.1\r\n" +
                 "".join(f"X-H{i}: v\r\n" for i in range(150)) + "\r\n"), 431),
    ]
    for i, ((status, headers, body), want) in enumerate(cases):
        assert status == want, (i, status, body)
        assert "error" in json.loads(body), (i, body)
        if want == 405:
            assert "allow" in headers
        assert_ok(p)


def test_oversize_chunked_body_413(ctx):
    s = ctx.stub("--max-body", "1KiB")
    raw = b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw += (b"400\r\n" + b"x" * 1024 + b"\r\n") * 2 + b"0\r\n\r\n"
    status, _, _ = tg.http(s.port, raw)
    assert status == 413
    assert_ok(s.port)


def test_slow_client_408_and_others_still_served(ctx):
    s = ctx.stub("--header-timeout", "300ms")
    slow = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(20)]
    for c in slow:
        c.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Le")
    t0 = time.monotonic()
    assert_ok(s.port)  # slowloris clients do not starve others
    assert time.monotonic() - t0 < 0.2
    for c in slow:
        c.settimeout(5)
        st, _, body = tg.Reader(c).response()
        assert st == 408, st
        c.close()
    # A connection that sends nothing at all is timed out as well.
    idle = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    st, _, _ = tg.Reader(idle).response()
    assert st == 408
    idle.close()
    assert_ok(s.port)


def test_client_disconnect_mid_request(ctx):
    s = ctx.stub("--delay", "100ms")
    for partial in (b"POST /v1/infer HTTP/1.1\r\nHost: x\r\n",
                    b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mo"):
        c = socket.create_connection(("127.0.0.1", s.port))
        c.sendall(partial)
        time.sleep(0.05)
        c.close()
    # Disconnect while the request is being served.
    c = socket.create_connection(("127.0.0.1", s.port))
    c.sendall(req(["x"]))
    time.sleep(0.02)
    c.close()
    time.sleep(0.2)
    assert_ok(s.port)
    st = json.loads(tg.http(s.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")[2])
    assert st["client_disconnects"] >= 2, st
    assert st["connections"] == 1, st  # only the /stats connection is left
    assert st["in_flight"] == 0, st


def test_threads_and_ipv6(ctx):
    s = ctx.stub("--threads", "3", "--workers", "6")
    for i in range(10):
        assert_ok(s.port, [i])
    st = json.loads(tg.http(s.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")[2])
    assert st["threads"] == 3
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        return  # no IPv6 loopback here
    s6 = ctx.stub("--listen", "[::1]:0")
    assert s6.host == "[::1]"
    st, _, body = tg.http(s6.port, req(["v6"]), host="::1")
    assert st == 200


# ---- process ----

def test_sigterm_finishes_in_flight(ctx):
    s = ctx.stub("--delay", "500ms")
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(req(["x"]))
    time.sleep(0.1)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    st, _, body = tg.Reader(c).response()
    assert st == 200 and len(json.loads(body)["outputs"]) == 1
    c.close()
    assert s.proc.wait(5) == 0
    assert time.monotonic() - t0 < 3


def test_bad_option_exit_2(ctx):
    for args, word in [(["--delay", "abc"], "--delay"),
                       (["--error-rate", "2"], "--error-rate"),
                       (["--jitter", "gauss"], "--jitter"),
                       (["--listen", "nope"], "--listen"),
                       (["--max-body", "-5"], "--max-body"),
                       (["--threads", "4", "--workers", "2"], "--threads"),
                       (["--bogus"], "--bogus")]:
        r = ctx.run("stub", *args, timeout=10)
        assert r.rc == 2, (args, r)
        assert word in r.err, (args, r)
    r = ctx.run("stub", "--help")
    assert r.rc == 0
    for opt in ("--listen", "--path", "--threads", "--delay", "--per-item", "--jitter",
                "--jitter-scale", "--seed", "--workers", "--queue", "--error-rate",
                "--stall-every", "--stall-for", "--max-body", "--shuffle-outputs",
                "--header-timeout", "for testing tailgate's verification"):
        assert opt in r.out, opt


def test_port_taken_exit_3(ctx):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    r = ctx.run("stub", "--listen", f"127.0.0.1:{port}", timeout=10)
    holder.close()
    assert r.rc == 3, r
    assert "in use" in r.err, r
    # Another stub holding the port counts as taken too (despite SO_REUSEPORT).
    s = ctx.stub()
    r = ctx.run("stub", "--listen", f"127.0.0.1:{s.port}", "--threads", "2", timeout=10)
    assert r.rc == 3, r


def test_head_request_gets_no_body(ctx):
    s = ctx.stub()
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while data.count(b"HTTP/1.1") < 2 or not data.endswith(b'{"status":"ok"}'):
        chunk = c.recv(65536)
        assert chunk, data
        data += chunk
    # HEAD is answered wherever GET is (RFC 9110 §9.3.2): GET's head, no body.
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200") and b"Content-Length: 15" in first, data
    assert rest.startswith(b"HTTP/1.1 200"), data  # the next response follows at once
    assert data.count(b'{"status":"ok"}') == 1, data
    c.close()
