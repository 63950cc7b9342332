"""HTTP/2 end to end: `tailgate run --http2` against nginx (h2c with prior
knowledge, and h2 over TLS with ALPN), against the stub (h2c and h2, every
preset, streaming), and against a raw-frame HTTP/2 server written here
(h2server.py) that misbehaves on purpose: GOAWAY, RST_STREAM, a stalled
flow-control window, one stream at a time, a connection gone silent, a
stream limit of its own per connection, and HTTP/1.1 to a client that
speaks HTTP/2."""
import json
import os
import socket
import time

import tg
from h2server import H2Server
from tg import free_port, make_ca, make_cert


class Nginx(tg.Nginx):
    """nginx with HTTP/2: an h2c port (prior knowledge) and, with a
    certificate, an h2 port (TLS, ALPN). nginx closes a connection after
    `max_requests` requests with a GOAWAY."""

    def __init__(self, ctx, cert=None, key=None, max_requests=1000):
        self.h2c = free_port()
        self.h2 = free_port() if cert else None
        loc = "location / { return 200 '{\"outputs\":[\"a\"]}'; }"
        servers = f"""
    server {{
        listen 127.0.0.1:{self.h2c} http2;
        keepalive_requests {max_requests};
        {loc}
    }}"""
        if cert:
            servers += f"""
    server {{
        listen 127.0.0.1:{self.h2} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        keepalive_requests {max_requests};
        {loc}
    }}"""
        super().__init__(ctx, "    default_type application/json;" + servers,
                         [p for p in (self.h2c, self.h2) if p], conf="nginx-h2.conf")


def run_json(ctx, *args, rc=0):
    out = ctx.path(f"out-{len(os.listdir(ctx.tmp))}.json")
    log = out[:-5] + ".csv"
    r = ctx.run("run", *args, "--out", out, "--log", log)
    assert r.rc == rc, r
    return tg.read_json(out), tg.read_csv(log), r


def test_nginx_h2c_closed_loop_counts_and_goaway_retries(ctx):
    ng = Nginx(ctx, max_requests=500)
    res, rows, r = run_json(ctx, f"http://127.0.0.1:{ng.h2c}/", "--http2", "--requests", "3000",
                            "--concurrency", "50", "--validate", "status")
    req = res["requests"]
    assert req["total"] == 3000 and req["ok"] == 3000 and req["errors"] == 0, req
    assert len(rows) == 3000
    assert res["config"]["protocol"] == "h2c", res["config"]
    assert res["config"]["http2"] == "on" and res["config"]["streams_per_connection"] == 100
    c = res["connections"]
    # nginx ends each connection after 500 requests with a GOAWAY: the streams
    # above its last stream id were never processed and went out again.
    assert c["opened"] >= 6, c
    assert c["retried"] > 0, c
    assert sum(1 for row in rows if row["connect_ms"] != "") == c["opened"], c


def test_nginx_goaway_every_7_requests_every_request_ok(ctx):
    """nginx ends each connection with a GOAWAY after 7 requests; with 20
    in flight, 13 streams of each connection are above its last stream id,
    and most are refused on more than one connection in turn. The server
    processes every request it takes and fails none: while it makes progress,
    a stream it never processed goes out again, so no request may end as an
    error, and the resends are counted and reported."""
    ng = Nginx(ctx, max_requests=7)
    res, rows, r = run_json(ctx, f"http://127.0.0.1:{ng.h2c}/", "--http2", "--requests", "300",
                            "--concurrency", "20", "--validate", "status")
    req = res["requests"]
    assert req["total"] == 300 and req["ok"] == 300 and req["errors"] == 0, req
    assert len(rows) == 300 and all(row["error"] == "" for row in rows)
    c = res["connections"]
    # 7 requests per connection: 300 need at least 43 connections
    assert c["opened"] >= 43 and c["retried"] > 0, c
    assert f"{c['retried']} times a request the server never processed" in r.out, r.out


def test_nginx_h2_tls_alpn_open_loop(ctx):
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    ng = Nginx(ctx, cert, key)
    res, rows, r = run_json(ctx, f"https://127.0.0.1:{ng.h2}/", "--http2", "--cacert", ca,
                            "--rate", "400", "--duration", "2s", "--validate", "status")
    req = res["requests"]
    assert req["errors"] == 0 and req["total"] == len(rows) and req["total"] >= 700, req
    assert res["config"]["protocol"] == "h2", res["config"]
    assert res["connections"]["tls_handshake_ms"]["count"] == res["connections"]["opened"]


class RecordingNginx(tg.Nginx):
    """nginx that writes every request it gets -- its x-request-id header,
    path and body -- to a log of JSON lines, one log per front: `h2c`
    (HTTP/2 only, prior knowledge) and `h1` (HTTP/1.1), each closing a
    connection after `max_requests` (over HTTP/2 with a GOAWAY). Both fronts
    pass each request over HTTP/1.1 to `back` (a port), by default a back end
    of its own that answers {"outputs":["a"]}: nginx reads a body only when
    it passes it on, and logs it then."""

    def __init__(self, ctx, back=None, max_requests=1000):
        self.h2c, self.h1 = free_port(), free_port()
        own = back is None
        back = free_port() if own else back
        self.logs = {"h2c": ctx.path("h2c.log"), "h1": ctx.path("h1.log")}
        fmt = ('\'{"id":"$http_x_request_id","fixed":"$http_x_fixed","uri":"$request_uri",'
               '"body":"$request_body","proto":"$server_protocol"}\'')
        front = """
    server {{
        listen 127.0.0.1:{port}{h2};
        keepalive_requests {max_requests};
        location / {{
            access_log {log} rec;
            proxy_pass http://127.0.0.1:{back};
        }}
    }}"""
        http = f"""
    log_format rec escape=json {fmt};"""
        if own:
            http += f"""
    server {{
        listen 127.0.0.1:{back};
        default_type application/json;
        location / {{ return 200 '{{"outputs":["a"]}}'; }}
    }}"""
        for port, h2, log in ((self.h2c, " http2", "h2c"), (self.h1, "", "h1")):
            http += front.format(port=port, h2=h2, log=self.logs[log], back=back,
                                 max_requests=max_requests)
        super().__init__(ctx, http, [self.h2c, self.h1] + ([back] if own else []),
                         conf="nginx-rec.conf")
        self.seen = {k: 0 for k in self.logs}

    def take(self, front, n):
        """The next n requests logged at `front` (nginx logs after it
        answers: wait a moment for the last lines)."""
        deadline = time.monotonic() + 10
        while True:
            with open(self.logs[front]) as f:
                lines = f.read().splitlines()[self.seen[front]:]
            if len(lines) >= n or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.seen[front] += len(lines)
        return [json.loads(line) for line in lines]


def test_h2_each_request_carries_its_own_header_path_and_body(ctx):
    """{{request_id}} in a header, {{seq}} and {{request_id}} in the path,
    both in the body: over HTTP/2 each request carries its own values, exactly
    as over HTTP/1.1 (the same header, path and body, request by request).
    nginx ends each connection after 50 requests, so most runs also send a
    few streams again after a GOAWAY (retried: not asserted, it is a race);
    they must carry their own values too."""
    ng = RecordingNginx(ctx, max_requests=50)
    n = 300
    args = ["--requests", str(n), "--concurrency", "20", "--validate", "status",
            "-H", "X-Request-Id: {{request_id}}", "-H", "X-Fixed: same",
            "--template-json", '{"rid": {{request_id}}, "seq": {{seq}}, "x": {{item}}}']
    path = "/v1/{{seq}}?rid={{request_id}}"
    runs = {}
    for name, front, extra in (("http/1.1", "h1", []), ("h2", "h2c", ["--http2"]),
                               ("h2 streams", "h2c", ["--http2", "--streams", "4"])):
        res, rows, r = run_json(ctx, f"http://127.0.0.1:{getattr(ng, front)}{path}", *args,
                                *extra)
        assert res["requests"]["ok"] == n, (name, res["requests"])
        got = ng.take(front, n)
        assert len(got) == n, (name, len(got))
        ids = [g["id"] for g in got]
        assert len(set(ids)) == n, (name, "distinct request ids", len(set(ids)), ids[:5])
        # the request ids the CSV log gave its requests, each sent once
        assert sorted(ids, key=int) == sorted((row["request_id"] for row in rows), key=int), name
        for g in got:
            assert g["proto"] == ("HTTP/1.1" if front == "h1" else "HTTP/2.0"), (name, g)
            assert g["fixed"] == "same", (name, g)
            body = json.loads(g["body"])
            # header, path and body are of one and the same request
            assert body["rid"] == g["id"], (name, g)
            assert g["uri"] == f"/v1/{body['seq']}?rid={g['id']}", (name, g)
        if extra[1:]:
            assert res["config"]["streams_per_connection"] == 4, (name, res["config"])
        runs[name] = sorted((g["id"], g["uri"], g["body"]) for g in got)
    assert runs["h2"] == runs["http/1.1"] and runs["h2 streams"] == runs["http/1.1"]


def test_ab_verifies_over_h2_on_a_server_that_speaks_only_h2(ctx):
    """`ab --http2`: the verification requests go over HTTP/2 too, so a
    server that speaks only HTTP/2 (an h2c port of nginx, in front of the
    stub) passes verification instead of failing it as malformed."""
    stub = ctx.stub("--delay", "2ms")
    ng = RecordingNginx(ctx, back=stub.port)
    d = ctx.path("out")
    r = ctx.run("ab", f"http://127.0.0.1:{ng.h2c}/v1/infer", "--http2", "--rate", "200",
                "--requests", "40", "--out-dir", d)
    assert r.rc == 0, r
    assert "verified: 5 inputs give the same outputs alone and in one batch" in r.out, r.out
    got = ng.take("h2c", 6 + 40 + 4)
    # one batch of 5 samples, then each alone: every one over HTTP/2
    probes = [json.loads(g["body"])["inputs"] for g in got[:6]]
    assert [len(p) for p in probes] == [5, 1, 1, 1, 1, 1], probes
    assert all(g["proto"] == "HTTP/2.0" for g in got), {g["proto"] for g in got}
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    assert cmp["sla_pass"] is True and cmp["inputs_identical"] is True, cmp


# ---- the stub over HTTP/2 ----

def stub_pcts(res):
    return res["latency_ms"]["request"], res["latency_ms"]["service"]


def test_stub_h2c_closed_and_open_loop_batched(ctx):
    stub = ctx.stub("--delay", "20ms", "--per-item", "1ms")
    # closed loop, batches of 4: 400 items in 100 requests over one connection
    res, rows, r = run_json(ctx, stub.url, "--http2", "--requests", "400", "--batch", "4",
                            "--concurrency", "10")
    req = res["requests"]
    assert req["total"] == 100 and req["ok"] == 100, req
    assert res["items"]["total"] == 400 and res["items"]["ok"] == 400, res["items"]
    assert len(rows) == 100 and all(row["batch_size"] == "4" for row in rows)
    assert res["config"]["protocol"] == "h2c"
    assert res["connections"]["opened"] == 1, res["connections"]
    lat, svc = stub_pcts(res)
    # the stub answers after 20 ms + 4 x 1 ms: service is that, not much more
    assert 23 <= svc["p50"] <= 60, svc
    assert lat["p50"] >= svc["p50"] - 0.5, (lat, svc)
    # open loop: 100 items/s for 2 s, each request timed from its intended time
    res, rows, r = run_json(ctx, stub.url, "--http2", "--rate", "100", "--duration", "2s")
    req = res["requests"]
    assert req["errors"] == 0 and 190 <= req["total"] <= 202 and len(rows) == req["total"], req
    lat, svc = stub_pcts(res)
    # (a generous tail: tests share two busy cores, sanitizers slow them)
    assert 20 <= lat["p50"] <= 80 and lat["p99"] < 1000, lat


def test_stub_h2_tls_alpn(ctx):
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    stub = ctx.stub("--tls-cert", cert, "--tls-key", key, "--delay", "10ms")
    res, rows, r = run_json(ctx, stub.url, "--http2", "--cacert", ca, "--requests", "300",
                            "--concurrency", "30")
    assert res["requests"]["ok"] == 300 and len(rows) == 300, res["requests"]
    assert res["config"]["protocol"] == "h2"
    c = res["connections"]
    assert c["opened"] == 1 and c["tls_handshake_ms"]["count"] == 1, c
    assert 10 <= res["latency_ms"]["service"]["p50"] <= 50, res["latency_ms"]["service"]
    # the same stub still speaks HTTP/1.1 to a client that does not offer h2
    res, rows, r = run_json(ctx, stub.url, "--cacert", ca, "--requests", "20")
    assert res["requests"]["ok"] == 20 and res["config"]["protocol"] == "http/1.1"


PRESET_BODIES = [
    ("/v1/infer", '{"model":"m","inputs":["a","b"]}'),
    ("/v1/completions", '{"model":"m","prompt":"hi","max_tokens":3}'),
    ("/v1/chat/completions",
     '{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":3}'),
    ("/v1/embeddings", '{"model":"m","input":["a","b"]}'),
    ("/v2/models/m/infer",
     '{"inputs":[{"name":"x","shape":[2,1],"datatype":"FP32","data":[1,2]}]}'),
    ("/generate", '{"inputs":"hi","parameters":{"max_new_tokens":3}}'),
    ("/generate_stream", '{"inputs":"hi","parameters":{"max_new_tokens":3}}'),
    ("/v1/chat/completions",
     '{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5,"stream":true}'),
]


def test_stub_h2c_every_preset_streaming_included(ctx):
    stub = ctx.stub("--step-time", "1ms")
    base = stub.base
    for i, (path, body) in enumerate(PRESET_BODIES):
        f = ctx.write(f"body{i}.json", body)
        h1, _, _ = run_json(ctx, base + path, "--body", f, "--requests", "6",
                            "--concurrency", "3", "--validate", "status")
        h2, _, _ = run_json(ctx, base + path, "--body", f, "--requests", "6",
                            "--concurrency", "3", "--validate", "status", "--http2")
        assert h2["requests"]["ok"] == 6, (path, h2["requests"])
        assert h2["config"]["protocol"] == "h2c"
        # the same answer body: bytes in per request differ only by framing,
        # HTTP/2's binary frames being smaller than HTTP/1.1's text head
        b1 = h1["requests"]["bytes_in"] / 6
        b2 = h2["requests"]["bytes_in"] / 6
        assert 0.3 * b1 <= b2 <= b1, (path, b1, b2)
    # a stream's SSE events arrive as they are made: 20 tokens, 20 ms apart
    f = ctx.write("slow.json", '{"model":"m","messages":[{"role":"user","content":"x"}],'
                  '"max_tokens":20,"stream":true}')
    slow = ctx.stub("--step-time", "20ms")
    res, _, _ = run_json(ctx, slow.base + "/v1/chat/completions", "--body", f, "--requests", "2",
                         "--concurrency", "2", "--validate", "status", "--http2")
    assert res["requests"]["ok"] == 2
    assert res["latency_ms"]["service"]["p50"] >= 380, res["latency_ms"]["service"]


def test_stub_h2_bad_requests_are_per_stream(ctx):
    stub = ctx.stub()
    bad = ctx.write("bad.json", "{not json")
    res, rows, _ = run_json(ctx, stub.url, "--http2", "--body", bad, "--requests", "50",
                            "--concurrency", "10", "--validate", "status",
                            rc=1)  # every request failed
    req = res["requests"]
    # every request got its 400 on its own stream; one connection carried them all
    assert req["by_status"] == {"400": 50} and req["by_error"] == {"http_4xx": 50}, req
    assert res["connections"]["opened"] == 1, res["connections"]
    big = ctx.write("big.json", '{"model":"m","inputs":["' + "x" * 3000 + '"]}')
    small = ctx.stub("--max-body", "1KiB")
    res, _, _ = run_json(ctx, small.url, "--http2", "--body", big, "--requests", "5",
                         "--validate", "status", "--concurrency", "1",
                            rc=1)  # every request failed
    assert res["requests"]["by_status"] == {"413": 5}, res["requests"]
    assert res["connections"]["opened"] == 1, res["connections"]


def test_stub_h2_script_reset_ends_that_stream_only(ctx):
    script = ctx.write("reset.txt", "role\ntoken\nwait 5ms\ntoken\nreset\n")
    stub = ctx.stub("--script", "bad=" + script)
    good = ctx.write("good.json", '{"model":"m","messages":[{"role":"user","content":"x"}],'
                     '"max_tokens":3,"stream":true}')
    bad = ctx.write("bad.json", '{"model":"bad","messages":[{"role":"user","content":"x"}],'
                    '"max_tokens":3,"stream":true}')
    url = stub.base + "/v1/chat/completions"
    res, rows, _ = run_json(ctx, url, "--http2", "--body", bad, "--requests", "10",
                            "--concurrency", "5", "--validate", "status",
                            rc=1)  # every request failed
    # RST_STREAM for each stream: reset, the connection goes on
    assert res["requests"]["by_error"] == {"reset": 10}, res["requests"]
    assert res["connections"]["opened"] == 1, res["connections"]
    assert len(rows) == 10 and all(row["error"] == "reset" for row in rows)
    res, _, _ = run_json(ctx, url, "--http2", "--body", good, "--requests", "10",
                         "--concurrency", "5", "--validate", "status")
    assert res["requests"]["ok"] == 10, res["requests"]


def test_stub_h2_max_streams_one(ctx):
    stub = ctx.stub("--h2-max-streams", "1", "--delay", "20ms")
    res, rows, _ = run_json(ctx, stub.url, "--http2", "--requests", "20", "--concurrency", "4",
                            "--connections", "2")
    assert res["requests"]["ok"] == 20 and len(rows) == 20, res["requests"]
    assert res["config"]["streams_per_connection"] == 1, res["config"]
    assert res["connections"]["opened"] == 2, res["connections"]
    lat, svc = stub_pcts(res)
    # two connections, one stream each: four users queue for two streams,
    # so latency is about twice the service time
    assert 20 <= svc["p50"] <= 60, svc
    assert lat["p50"] >= 1.5 * svc["p50"], (lat, svc)
    # --streams above the server's limit: the server's limit wins
    res, rows, _ = run_json(ctx, stub.url, "--http2", "--requests", "10", "--concurrency", "5",
                            "--connections", "1", "--streams", "10")
    assert res["requests"]["ok"] == 10 and len(rows) == 10, res["requests"]
    assert res["config"]["streams"] == 10 and res["config"]["streams_per_connection"] == 1


# ---- failures, against a raw-frame server (h2server.py) ----

def h2srv(ctx, mode, delay=0.0, pause=None):
    s = H2Server(mode, delay, pause=pause)
    ctx.procs.append(_Stopper(s))
    return s, f"http://127.0.0.1:{s.port}/v1/infer"


class _Stopper:
    """Lets ctx.close() stop an in-process server like a process."""

    def __init__(self, s):
        self.s = s

    def stop(self):
        self.s.stop()

    def stderr(self):
        return ""


def test_goaway_streams_above_last_id_sent_again(ctx):
    srv, url = h2srv(ctx, "goaway:20")
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "60", "--concurrency", "10",
                            "--connections", "1", "--validate", "status")
    req = res["requests"]
    assert req["total"] == 60 and req["ok"] == 60 and len(rows) == 60, req
    c = res["connections"]
    # a GOAWAY after every 20th request: the streams above its last id went
    # out again on the next connection, and the server processed every
    # request exactly once
    assert c["retried"] >= 1 and c["opened"] >= 3, c
    assert srv.requests == 60, srv.requests


def test_goaway_unanswered_below_last_id_are_reset(ctx):
    srv, url = h2srv(ctx, "goaway-drop:5")
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "10", "--concurrency", "10",
                            "--connections", "1", "--validate", "status",
                            rc=1)  # every request failed
    req = res["requests"]
    # 5 processed and never answered: reset; 5 above the last id: retried
    # once, held and dropped again by the next connection: reset too
    assert req["total"] == 10 and req["by_error"] == {"reset": 10}, req
    assert res["connections"]["retried"] == 5, res["connections"]
    assert len(rows) == 10


def test_refused_streams_sent_again_while_the_server_answers_others(ctx):
    """REFUSED_STREAM on every other request, the others answered: the
    server makes progress, so each refused request goes out again -- as often
    as it takes -- and every request ends ok, each processed exactly once."""
    srv, url = h2srv(ctx, "refuse:2")
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "100", "--concurrency", "10",
                            "--connections", "1", "--validate", "status")
    req = res["requests"]
    assert req["total"] == 100 and req["ok"] == 100 and len(rows) == 100, req
    assert srv.requests == 100 and srv.refused >= 90, (srv.requests, srv.refused)
    # every refusal was followed by a resend
    assert res["connections"]["retried"] == srv.refused, (res["connections"], srv.refused)


def test_server_that_processes_nothing_ends_quickly_as_reset(ctx):
    """A server that refuses every stream -- a GOAWAY with last stream id 0
    on every connection, or REFUSED_STREAM on every stream -- makes no
    progress: each request is sent twice (one refusal is forgiven: a restart
    can race a request) and is then `reset`, long before its --timeout."""
    for mode in ("goaway0", "refuse:1"):
        srv, url = h2srv(ctx, mode)
        t0 = time.monotonic()
        res, rows, _ = run_json(ctx, url, "--http2", "--requests", "20", "--concurrency", "5",
                                "--timeout", "20s", "--validate", "status",
                                rc=1)  # every request failed
        req = res["requests"]
        assert req["total"] == 20 and req["by_error"] == {"reset": 20}, (mode, req)
        assert len(rows) == 20, mode
        assert res["connections"]["retried"] == 20, (mode, res["connections"])
        assert srv.requests == 0, (mode, srv.requests)
        if mode == "refuse:1":
            assert srv.refused == 40, srv.refused
        assert time.monotonic() - t0 < 8, mode


def test_rst_stream_resets_that_stream_only(ctx):
    srv, url = h2srv(ctx, "rst:3")
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "30", "--concurrency", "5",
                            "--validate", "status")
    req = res["requests"]
    assert req["ok"] == 20 and req["by_error"] == {"reset": 10}, req
    assert srv.resets == 10 and srv.requests == 30
    assert res["connections"]["opened"] == 1 and res["connections"]["retried"] == 0


def test_malformed_response_is_protocol_for_that_stream_only(ctx):
    # A connection-specific field in a response is malformed HTTP/2: nghttp2
    # resets that stream itself, and the outcome is the answer's fault
    # (`protocol`), not a reset by the server; the connection goes on.
    srv, url = h2srv(ctx, "malformed:3")
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "30", "--concurrency", "5",
                            "--validate", "status")
    req = res["requests"]
    assert req["ok"] == 20 and req["by_error"] == {"protocol": 10}, req
    assert sorted(r["error"] for r in rows) == [""] * 20 + ["protocol"] * 10
    assert srv.requests == 30 and res["connections"]["opened"] == 1, res["connections"]


def test_flow_control_stall_bounded_by_timeout(ctx):
    srv, url = h2srv(ctx, "window0")
    # a body larger than the connection's first window (65,535 bytes): the
    # rest waits for a WINDOW_UPDATE that never comes
    body = ctx.write("big.json", '{"model":"m","inputs":["' + "x" * 100000 + '"]}')
    t0 = time.monotonic()
    res, rows, r = run_json(ctx, url, "--http2", "--requests", "4", "--concurrency", "4",
                            "--timeout", "500ms", "--validate", "status", "--body", body,
                            rc=1)  # every request failed
    assert res["requests"]["by_error"] == {"timeout": 4}, res["requests"]
    assert time.monotonic() - t0 < 10
    # the window was the cause: a GET, with no body to send, is answered
    res, _, _ = run_json(ctx, url, "--http2", "--requests", "4", "--method", "GET",
                         "--validate", "status", "--timeout", "2s")
    assert res["requests"]["ok"] == 4, res["requests"]


def test_response_body_stall_bounded_by_timeout(ctx):
    srv, url = h2srv(ctx, "stall")
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "3", "--concurrency", "3",
                            "--timeout", "300ms", "--validate", "status",
                            rc=1)  # every request failed
    assert res["requests"]["by_error"] == {"timeout": 3}, res["requests"]
    # the head came (its status is recorded), the body never did
    assert all(row["status_code"] == "200" and row["error"] == "timeout" for row in rows)


def test_connection_gone_silent_takes_no_new_streams(ctx):
    """Each connection answers 5 requests, then goes dead without a FIN. The
    request that times out there (a whole --timeout without a byte) retires
    the connection: the next requests go out on a new one, instead of every
    later request timing out on the dead one."""
    srv, url = h2srv(ctx, "silent:5")
    t0 = time.monotonic()
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "12", "--concurrency", "1",
                            "--timeout", "500ms", "--validate", "status")
    # each connection: 5 ok, then 1 timeout (the one that finds it dead)
    assert res["requests"]["ok"] == 10, res["requests"]
    assert res["requests"]["by_error"] == {"timeout": 2}, res["requests"]
    assert len(rows) == 12 and sum(r["error"] == "timeout" for r in rows) == 2
    assert time.monotonic() - t0 < 8


def test_silent_connection_found_dead_by_ping(ctx):
    """One connection answers 5 requests, then says nothing more: no frame,
    no PING ACK, no FIN (a NAT that forgot it, a stopped server). After
    --timeout/4 of silence with streams open the client PINGs it and puts no
    new stream on it; no ACK: it is presumed dead, the run goes on on a new
    connection, and the streams sent on it keep their own --timeout (the
    server may yet answer them). The old client put every request on it
    until the first timed out -- all 100 streams it takes."""
    srv, url = h2srv(ctx, "silent-one:5")
    res, rows, _ = run_json(ctx, url, "--http2", "--rate", "50", "--duration", "3s",
                            "--timeout", "3s", "--validate", "status")
    req = res["requests"]
    assert req["total"] == 150 and len(rows) == 150, req
    # the requests sent in its 0.75 s of silence before the PING, no more
    lost = [float(r["latency_ms"]) for r in rows if r["error"] == "timeout"]
    assert set(req["by_error"]) == {"timeout"} and 15 <= len(lost) <= 60, req
    assert req["ok"] == 150 - len(lost) and srv.requests == req["ok"], (req, srv.requests)
    # each waited its whole --timeout: a silence is not a failure until then
    assert min(lost) >= 3000, min(lost)
    assert res["connections"]["opened"] >= 2, res["connections"]


def test_paused_server_is_not_failed_before_the_timeout(ctx):
    """A server paused whole for 3.5 s (no ACK, no answer), --timeout 6s:
    PINGed after 1 s of silence, the connection is presumed dead 1.5 s later
    and takes no new stream; the streams on it keep their --timeout and are
    answered when the server wakes: every request ok. Before, they ended as
    timeouts when the PING went unanswered: a pause read as failures."""
    srv, url = h2srv(ctx, "ok", pause=(0.5, 3.5))
    res, rows, _ = run_json(ctx, url, "--http2", "--rate", "40", "--duration", "2s",
                            "--timeout", "6s", "--validate", "status")
    assert res["requests"]["ok"] == 80 and len(rows) == 80, res["requests"]
    slow = [float(r["latency_ms"]) for r in rows if float(r["latency_ms"]) > 1000]
    assert slow, "no request waited for the pause"


def test_slow_server_that_answers_pings_is_alive_busy_one_never_pinged(ctx):
    """A server that answers each request after 2 s, and PINGs at once: the
    silent connection is PINGed after 1 s, the ACK comes, and the answers are
    waited for -- every request ok on the one connection. The next PING
    would wait for twice the silence, after the answers came. A server that
    answers at once is never PINGed."""
    srv, url = h2srv(ctx, "ok", delay=2.0)
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "4", "--concurrency", "4",
                            "--timeout", "8s", "--validate", "status")
    assert res["requests"]["ok"] == 4 and len(rows) == 4, res["requests"]
    assert res["connections"]["opened"] == 1, res["connections"]
    assert 1 <= srv.pings <= 2, srv.pings
    srv, url = h2srv(ctx, "ok")
    res, _, _ = run_json(ctx, url, "--http2", "--requests", "300", "--concurrency", "10",
                         "--validate", "status")
    assert res["requests"]["ok"] == 300 and srv.pings == 0, (res["requests"], srv.pings)


def test_each_connection_keeps_to_its_own_stream_limit(ctx):
    """The pre-flight's connection sets no stream limit; the run's allows 2,
    in SETTINGS that come 300 ms after it opened. The client sends one
    stream before them, then never more than 2 at once: the requests due
    meanwhile wait in the client (waited_requests) and none is refused. The
    old client sent them all at once (the pre-flight's limit) and the
    server refused all but 2. A limit lowered later, by a new SETTINGS,
    binds as well (that one the old client kept too)."""
    srv, url = h2srv(ctx, "maxstreams-2nd:2", delay=0.02)
    res, rows, _ = run_json(ctx, url, "--http2", "--rate", "50", "--requests", "50",
                            "--connections", "1", "--timeout", "5s", "--validate", "status")
    req = res["requests"]
    assert req["ok"] == 50 and len(rows) == 50, req
    assert srv.refused == 0 and srv.max_open <= 2, (srv.refused, srv.max_open)
    assert res["connections"]["retried"] == 0, res["connections"]
    assert res["self_check"]["waited_requests"] >= 10, res["self_check"]
    # a stream handed back went out once: sent once (it was counted at each offer)
    assert res["self_check"]["sent_requests"] == 50, res["self_check"]
    srv, url = h2srv(ctx, "lower:3", delay=0.05)
    res, _, _ = run_json(ctx, url, "--http2", "--requests", "30", "--concurrency", "6",
                         "--connections", "1", "--validate", "status")
    assert res["requests"]["ok"] == 30 and srv.refused == 0, (res["requests"], srv.refused)
    assert res["connections"]["retried"] == 0, res["connections"]


def test_request_timed_out_while_connecting_never_leaves(ctx):
    # The run's connection waits 2.7 s for its TLS handshake; requests go
    # out every 0.5 s with --timeout 2s, so the first ones time out while it
    # connects and the last ones do not. One that timed out is never sent
    # when the connection comes up (its fields may by then be another
    # request's): the server sees exactly the requests the run counts ok.
    import ssl
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    sc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sc.load_cert_chain(cert, key)
    sc.set_alpn_protocols(["h2"])
    srv = H2Server("ok", tls=sc, hold=2.7)
    ctx.procs.append(_Stopper(srv))
    url = f"https://127.0.0.1:{srv.port}/v1/infer"
    res, rows, _ = run_json(ctx, url, "--http2", "--cacert", ca, "--rate", "2", "--duration",
                            "2s", "--connections", "1", "--timeout", "2s", "--validate",
                            "status", "-H", "x-request-id: {{request_id}}")
    req = res["requests"]
    assert req["ok"] >= 1 and req["total"] - req["ok"] >= 1, req
    assert srv.requests == req["ok"], (srv.requests, req)


def test_connection_closed_mid_body_is_reset_at_once(ctx):
    # The server sends the start of an answer and closes, the FIN in the
    # same read as the last bytes: every stream on that connection is a
    # reset when the FIN comes, not a timeout --timeout later.
    srv, url = h2srv(ctx, "cut")
    t0 = time.monotonic()
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "2", "--concurrency", "1",
                            "--timeout", "8s", "--validate", "status",
                            rc=1)  # every request failed
    assert res["requests"]["by_error"] == {"reset": 2}, res["requests"]
    assert len(rows) == 2 and all(float(row["latency_ms"]) < 4000 for row in rows), rows
    assert time.monotonic() - t0 < 8


def test_settings_one_stream_at_a_time(ctx):
    srv, url = h2srv(ctx, "maxstreams:1", delay=0.01)
    res, rows, _ = run_json(ctx, url, "--http2", "--requests", "20", "--concurrency", "4",
                            "--connections", "1", "--validate", "status")
    assert res["requests"]["ok"] == 20, res["requests"]
    assert res["config"]["streams_per_connection"] == 1
    assert res["connections"]["opened"] == 1 and res["connections"]["retried"] == 0


def test_open_files_limit_counts_h2_connections_not_requests(ctx):
    """Under an open-files limit of 64: -c 500 over HTTP/2 needs 5
    connections of 100 streams, not 500 (it exited 2 asking for 500); and a
    growing pool of one-stream connections against a server that holds every
    request stops below the limit, the rest waiting in the client (timeout,
    unsent), where sockets used to run out as 500 `connect_refused`."""
    import resource
    import subprocess

    def run(*args):
        out = ctx.path(f"fd-{len(os.listdir(ctx.tmp))}.json")
        p = subprocess.run([ctx.binary, "run", *args, "--out", out, "--no-progress"],
                           capture_output=True, text=True, timeout=60,
                           preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))
        ctx.check_sanitizer(p.stderr, "tailgate run")
        return p, out

    stub = ctx.stub()
    p, out = run(stub.url, "--http2", "--concurrency", "500", "--requests", "1000")
    assert p.returncode == 0, p.stderr
    res = tg.read_json(out)
    assert res["requests"]["ok"] == 1000 and res["connections"]["opened"] <= 5, res["connections"]

    slow = ctx.stub("--delay", "5s")
    p, out = run(slow.url, "--http2", "--streams", "1", "--rate", "200", "-d", "1s",
                 "--timeout", "500ms")
    assert p.returncode == 1, p.stderr  # every request failed
    res = tg.read_json(out)
    req, conns = res["requests"], res["connections"]
    assert req["total"] == 200 and req["by_error"] == {"timeout": 200}, req
    # "opened" counts over the run: a connection silent for a whole --timeout
    # is retired and another opened, so the bound is on the pool, not on it.
    assert req["unsent"] > 0 and conns["opened"] > 0 and 0 < conns["limit"] < 64, (req, conns)
    assert conns["limit_by"] == "open_files", conns


def test_self_check_counts_streams_a_slow_server_is_not_the_client(ctx):
    """One connection of 10 streams carries 500 requests/s at the stub's
    fastest 20 ms; the stub, one worker, serves 50/s, so the streams fill and
    requests wait in the client. That shortfall is the server's: the
    self-check counted one request per connection (50/s < 200/s offered)
    and called the client the limit, with a pool 'at its limit of 10'."""
    stub = ctx.stub("--workers", "1", "--queue", "10000", "--delay", "20ms")
    tg.realtime(ctx)
    res, rows, r = run_json(ctx, stub.url, "--http2", "--connections", "1", "--streams", "10",
                            "--rate", "200", "-d", "1s", "--timeout", "2s", "--validate", "status")
    assert res["client_limited"] is False, (res["self_check"], r.out)
    assert "client limited" not in r.out, r.out
    assert res["connections"]["limit"] == 1, res["connections"]
    assert len(rows) == res["requests"]["total"] == 200, res["requests"]


def http1_server(ctx, tls_ctx=None):
    import http.server
    import threading

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b'{"outputs":["a"]}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    s = tg.HTTPServer(("127.0.0.1", 0), H)
    if tls_ctx:
        s.socket = tls_ctx.wrap_socket(s.socket, server_side=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()

    class Stop:
        def stop(self):
            s.shutdown()

        def stderr(self):
            return ""

    ctx.procs.append(Stop())
    return s.server_address[1]


def test_http1_server_to_prior_knowledge_client(ctx):
    port = http1_server(ctx)
    url = f"http://127.0.0.1:{port}/"
    r = ctx.run("run", url, "--http2", "--requests", "5")
    assert r.rc == 3, r
    assert "does not speak h2c" in r.err, r.err
    assert "drop --http2, or use https with ALPN" in r.err, r.err
    res, rows, r = run_json(ctx, url, "--http2=auto", "--requests", "5")
    assert res["requests"]["ok"] == 5 and res["config"]["protocol"] == "http/1.1", res
    assert "note:" in r.err and "running over HTTP/1.1 (--http2=auto)" in r.err, r.err


def test_https_server_without_h2_alpn(ctx):
    import ssl
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    sc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sc.load_cert_chain(cert, key)
    port = http1_server(ctx, sc)
    url = f"https://127.0.0.1:{port}/"
    r = ctx.run("run", url, "--http2", "--cacert", ca, "--requests", "5")
    assert r.rc == 3 and "did not agree to HTTP/2 by ALPN" in r.err, r
    assert "give --http2=auto to fall back to HTTP/1.1" in r.err, r.err
    res, rows, r = run_json(ctx, url, "--http2=auto", "--cacert", ca, "--requests", "5")
    assert res["requests"]["ok"] == 5 and res["config"]["protocol"] == "http/1.1", res


def test_http2_options_errors(ctx):
    r = ctx.run("run", "http://127.0.0.1:9/", "--streams", "10")
    assert r.rc == 2 and "--streams needs --http2" in r.err, r
    r = ctx.run("run", "http://127.0.0.1:9/", "--http2=maybe")
    assert r.rc == 2 and "off, on or auto" in r.err, r
    r = ctx.run("run", "http://127.0.0.1:9/", "--streams", "0", "--http2")
    assert r.rc == 2 and "--streams" in r.err, r
    r = ctx.run("run", "--help")
    assert "--http2[=auto]" in r.out and "--streams M" in r.out


def test_stub_preface_first_starts_h2c_later_is_a_bad_request(ctx):
    stub = ctx.stub()
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    with socket.create_connection(("127.0.0.1", stub.port), timeout=5) as so:
        so.sendall(preface)
        head = b""
        while len(head) < 9:
            chunk = so.recv(9 - len(head))
            assert chunk, head
            head += chunk
        assert head[3] == 0x4 and head[5:9] == b"\0\0\0\0", head  # SETTINGS on stream 0
    # after an HTTP/1.1 request the connection speaks HTTP/1.1: the same bytes
    # are a request it cannot serve
    with socket.create_connection(("127.0.0.1", stub.port), timeout=5) as so:
        so.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + preface)
        data = b""
        while True:
            chunk = so.recv(65536)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"HTTP/1.1 200"), data[:80]
        rest = data[data.index(b'{"status":"ok"}') + 15:]
        assert rest.startswith(b"HTTP/1.1 400") or rest.startswith(b"HTTP/1.1 505"), rest[:80]


def test_h2_max_connections_is_the_bound_it_records(ctx):
    # --max-connections bounds an HTTP/2 pool as it does an HTTP/1.1 one: the
    # result says so, not 'open_files' (the open-files limit is far above 3).
    stub = ctx.stub("--delay", "20ms")
    out = ctx.path("r.json")
    r = ctx.run("run", stub.url, "--http2", "--rate", "100", "--max-connections", "3", "-d",
                "500ms", "--out", out)
    assert r.rc == 0, r
    conns = tg.read_json(out)["connections"]
    assert conns["opened"] <= 3 and conns["limit"] == 3, conns
    assert conns["limit_by"] == "max_connections", conns
    # Without it, the pool opens a connection when its streams are full, up
    # to the open-files limit: that is its bound, not the HTTP/1.1 rule's
    # estimate of requests in flight (about 8 here, with 1 connection open).
    tg.realtime(ctx)
    r = ctx.run("run", stub.url, "--http2", "--rate", "100", "-d", "500ms", "--out", out)
    assert r.rc == 0, r
    res = tg.read_json(out)
    conns = res["connections"]
    assert conns["opened"] == 1 and conns["limit_by"] == "open_files", conns
    assert conns["limit"] > 100, conns
    assert res["self_check"]["client_limited"] is False, res["self_check"]
