"""`tailgate run` end to end: real stub, real sockets, real files."""
import json
import os
import signal
import socket
import time

import tg

# The README's columns first, in its order; connect_ms last.
CSV_COLUMNS = ["request_id", "timestamp_ms", "latency_ms", "status_code", "service_ms",
               "batch_size", "bytes_in", "error", "connect_ms"]


def lat(res, scope, key):
    return res["latency_ms"][scope][key]


def test_closed_loop_logs_every_request(ctx):
    stub = ctx.stub("--delay", "1ms")
    log, out = ctx.path("log.csv"), ctx.path("out.json")
    r = ctx.run("run", stub.url, "--requests", "1000", "--concurrency", "8", "--log", log,
                "--out", out)
    assert r.rc == 0, r
    rows = tg.read_csv(log)
    assert len(rows) == 1000, len(rows)
    assert list(rows[0].keys()) == CSV_COLUMNS
    assert all(row["status_code"] == "200" and row["error"] == "" for row in rows)
    assert len({row["request_id"] for row in rows}) == 1000
    # Keep-alive: only the request that opened each of the 8 connections has a connect time.
    assert sum(1 for row in rows if row["connect_ms"] != "") == 8
    res = tg.read_json(out)
    assert res["requests"]["total"] == 1000 and res["requests"]["ok"] == 1000, res["requests"]
    assert res["items"]["total"] == 1000
    for scope in ("item", "request", "service"):
        keys = ["min", "p50", "p75", "p90", "p95", "p99", "p99_9", "p99_99", "max"]
        vals = [lat(res, scope, k) for k in keys]
        assert all(v is not None for v in vals), (scope, vals)
        assert vals == sorted(vals), (scope, vals)
    assert lat(res, "request", "p50") >= 1.0  # the stub's delay is in every request
    for key in ("tool", "version", "config", "started_at", "duration_s", "throughput",
                "inputs_digest", "timeline", "histogram", "sla", "sla_pass"):
        assert key in res, key
    assert "item" in r.out and "p99.9" in r.out  # the human summary
    assert "closed loop, 8 users:" in r.out, r.out
    r = ctx.run("run", stub.url, "--requests", "3", "--concurrency", "1")
    assert r.rc == 0 and "closed loop, 1 user:" in r.out, r.out


def test_open_loop_rate_is_kept(ctx):
    stub = ctx.stub("--delay", "2ms")
    out = ctx.path("out.json")
    r = ctx.run("run", stub.url, "--rate", "1000", "--duration", "5s", "--out", out)
    assert r.rc == 0, r
    res = tg.read_json(out)
    ips = res["throughput"]["items_per_s"]
    assert abs(ips - 1000) <= 10, ips
    assert res["requests"]["errors"] == 0, res["requests"]


def test_coordinated_omission_is_measured(ctx):
    stub = ctx.stub("--delay", "1ms", "--stall-every", "2s", "--stall-for", "500ms")
    out = ctx.path("out.json")
    r = ctx.run("run", stub.url, "--rate", "200", "--duration", "6s", "--out", out)
    assert r.rc == 0, r
    res = tg.read_json(out)
    assert lat(res, "item", "p99") >= 300, res["latency_ms"]["item"]
    assert lat(res, "service", "p50") < 10, res["latency_ms"]["service"]


def test_timeout_counts_every_request(ctx):
    stub = ctx.stub("--delay", "2s")
    out, log = ctx.path("out.json"), ctx.path("log.csv")
    r = ctx.run("run", stub.url, "--concurrency", "4", "--duration", "1s", "--timeout", "300ms",
                "--out", out, "--log", log, "--sla", "error_rate<1%")
    assert r.rc == 1, r  # ran, SLA failed
    assert r.seconds < 4, r.seconds
    res = tg.read_json(out)
    total = res["requests"]["total"]
    assert total > 0 and res["requests"]["by_error"] == {"timeout": total}, res["requests"]
    assert len(tg.read_csv(log)) == total
    assert res["sla_pass"] is False and res["sla"][0]["pass"] is False


def test_target_not_listening_exits_3(ctx):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = ctx.run("run", f"http://127.0.0.1:{port}/v1/infer", "--requests", "10")
    assert r.rc == 3, r
    assert "refused" in r.err.lower() or "connect" in r.err.lower(), r.err


def test_stub_killed_mid_run_is_counted(ctx):
    stub = ctx.stub("--delay", "5ms")
    out, log = ctx.path("out.json"), ctx.path("log.csv")
    p = ctx.popen("run", stub.url, "--rate", "200", "--duration", "3s", "--timeout", "1s",
                  "--out", out, "--log", log)
    time.sleep(1.0)
    stub.proc.kill()
    o, e = p.communicate(timeout=20)
    ctx.check_sanitizer(e, "tailgate run")
    assert p.returncode in (0, 1), (p.returncode, e)
    res = tg.read_json(out)
    req = res["requests"]
    assert req["ok"] > 50 and req["errors"] > 50, req
    assert req["ok"] + req["errors"] == req["total"]
    assert sum(req["by_error"].values()) == req["errors"], req
    assert len(tg.read_csv(log)) == req["total"]


def test_closed_loop_rests_while_target_refuses(ctx):
    """Closed loop: after a refused connection a user rests (10 ms doubling to
    1 s) instead of retrying at once, and resumes when the target is back. Each
    refusal is still counted once."""
    stub = ctx.stub("--delay", "2ms")
    port = stub.port
    out, log = ctx.path("out.json"), ctx.path("log.csv")
    p = ctx.popen("run", stub.url, "--concurrency", "8", "--duration", "4s", "--out", out,
                  "--log", log)
    time.sleep(1.0)
    stub.proc.kill()
    stub.proc.wait()
    time.sleep(1.5)
    back = ctx.stub("--delay", "2ms", "--listen", f"127.0.0.1:{port}")
    o, e = p.communicate(timeout=30)
    ctx.check_sanitizer(e, "tailgate run")
    assert p.returncode == 0, (p.returncode, e)
    req = tg.read_json(out)["requests"]
    refused = req["by_error"].get("connect_refused", 0)
    # 1.5 s down: the first refusal, then rounds after 10+20+...+640 ms < 1.5 s,
    # so at most ~8 refusals per user; retrying at once gives tens of thousands.
    assert 8 <= refused <= 8 * 9, req
    assert req["ok"] + req["errors"] == req["total"]
    # The summary counts requests without an answer as such, not as "status 0".
    assert f"no response {req['by_status']['0']}" in o and "status: 0 " not in o, o
    rows = tg.read_csv(log)
    assert len(rows) == req["total"]
    restart_ms = max(float(r["timestamp_ms"]) for r in rows if r["error"] == "connect_refused")
    served_after = [r for r in rows if r["error"] == "" and float(r["timestamp_ms"]) > restart_ms]
    assert len(served_after) > 100, "users did not resume after the target came back"
    back.stop()


def test_latency_sla_counts_failed_requests_as_slowest(ctx):
    """Most requests fail fast with 500: the few answers are quick, but
    p95<=100ms cannot pass on them -- failures rank slowest in a latency SLA."""
    stub = ctx.stub("--delay", "2ms", "--error-rate", "0.6", "--seed", "3")
    out = ctx.path("out.json")
    r = ctx.run("run", stub.url, "--requests", "200", "--concurrency", "4", "--out", out,
                "--sla", "p95<=100ms", "--sla", "p30<=100ms")
    assert r.rc == 1, r
    res = tg.read_json(out)
    assert res["requests"]["by_error"]["http_5xx"] > 100, res["requests"]
    assert res["latency_ms"]["item"]["p95"] < 100  # the answered ones alone look fine
    p95, p30 = res["sla"]
    assert p95["pass"] is False and p95["value"] is None, p95
    assert "failed items" in p95["note"], p95
    assert p30["pass"] is True and p30["value"] < 100 and "counted as slowest" in p30["note"], p30
    assert "falls among the" in r.out, r.out
    # throughput counts what was served; what was issued is beside it
    tp = res["throughput"]
    assert tp["requests_per_s"] < tp["issued_requests_per_s"], tp


def test_out_to_a_named_pipe(ctx):
    """--out may be a pipe: checking it before the run must not consume it."""
    import threading
    stub = ctx.stub()
    fifo = ctx.path("result.fifo")
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()), daemon=True)
    reader.start()
    r = ctx.run("run", stub.url, "--requests", "10", "--out", fifo, timeout=20)
    reader.join(10)
    assert r.rc == 0, r
    assert got and json.loads(got[0])["requests"]["ok"] == 10, got


def test_out_dash_writes_the_result_to_stdout(ctx):
    stub = ctx.stub()
    r = ctx.run("run", stub.url, "--requests", "20", "--out", "-")
    assert r.rc == 0, r
    res = json.loads(r.out)  # stdout is exactly the JSON
    assert res["requests"]["ok"] == 20
    assert "items/s" in r.err  # the summary went beside it
    assert not os.path.exists("-")
    out = ctx.path("a.json")
    assert ctx.run("run", stub.url, "--requests", "20", "--out", out).rc == 0
    d = ctx.run("diff", out, out, "-o", "-")
    assert d.rc == 0 and json.loads(d.out)["inputs_identical"] is True, d
    assert "verdict" in d.err


def test_same_inputs_same_digest(ctx):
    stub = ctx.stub()
    inputs = ctx.write("in.jsonl", "".join(json.dumps({"text": f"q{i}"}) + "\n" for i in range(37)))
    digests = []
    for extra in (["--batch", "1"], ["--batch", "10", "--linger", "5ms"]):
        out = ctx.path("o.json")
        r = ctx.run("run", stub.url, "--inputs", inputs, "--requests", "100", "--concurrency",
                    "4", "--out", out, *extra)
        assert r.rc == 0, r
        res = tg.read_json(out)
        assert res["items"]["total"] == 100
        digests.append(res["inputs_digest"])
    assert digests[0] and digests[0] == digests[1], digests
    other = ctx.write("other.jsonl", '{"text": "different"}\n')
    out = ctx.path("o2.json")
    r = ctx.run("run", stub.url, "--inputs", other, "--requests", "100", "--out", out)
    assert r.rc == 0, r
    assert tg.read_json(out)["inputs_digest"] != digests[0]


def test_ipv6_target(ctx):
    stub = ctx.stub("--listen", "[::1]:0")
    out = ctx.path("out.json")
    r = ctx.run("run", stub.url, "--requests", "50", "--concurrency", "2", "--out", out)
    assert r.rc == 0, r
    req = tg.read_json(out)["requests"]
    assert req["total"] == 50 and req["ok"] == 50 and req["by_status"] == {"200": 50}, req


def test_bad_options_exit_2_naming_the_option(ctx):
    cases = [
        (["--rate", "abc"], "--rate"),
        (["--duration", "5x"], "--duration"),
        (["--concurrency", "0"], "--concurrency"),
        (["--sla", "p95<=fast"], "--sla"),
        (["--validate", "maybe"], "--validate"),
        (["--arrival", "bursty"], "--arrival"),
        (["--rate", "10", "--concurrency", "2"], "--concurrency"),
        (["--frobnicate"], "frobnicate"),
        (["--warmup"], "'--warmup' needs a value"),
        (["--quiet=1"], "'--quiet' takes no value"),
        (["--out"], "'--out' needs a value"),
        (["-c"], "'-c' needs a value"),
        (["-z"], "unknown option '-z'"),
        (["-H", "Content-Length: 5"], "--header"),
        (["-H", "transfer-encoding : chunked"], "--header"),
    ]
    for args, name in cases:
        r = ctx.run("run", "http://127.0.0.1:9/x", *args)
        assert r.rc == 2, (args, r)
        assert name in r.err, (args, r.err)
        assert r.err.isprintable() or r.err.replace("\n", "").isprintable(), r.err
    r = ctx.run("run", "ftp://example/x", "--requests", "1")
    assert r.rc == 2 and "URL" in r.err, r
    r = ctx.run("run")
    assert r.rc == 2 and "URL" in r.err, r


def test_unreadable_files_exit_3_before_running(ctx):
    stub = ctx.stub()
    for bad_out in (ctx.tmp, "/proc/tailgate-result.json"):  # a directory; nowhere to create
        r = ctx.run("run", stub.url, "--duration", "3s", "--out", bad_out)
        assert r.rc == 3 and "--out" in r.err and r.seconds < 2, r
    r = ctx.run("run", stub.url, "--requests", "5", "--log", "/nonexistent/dir/log.csv")
    assert r.rc == 3 and "--log" in r.err, r
    r = ctx.run("run", stub.url, "--requests", "5", "--inputs", "/nonexistent.jsonl")
    assert r.rc == 3 and "--inputs" in r.err, r
    bad = ctx.write("bad.jsonl", '{"ok": 1}\n{not json\n')
    r = ctx.run("run", stub.url, "--requests", "5", "--inputs", bad)
    assert r.rc == 2 and ("line 2" in r.err or "bad.jsonl:2:" in r.err), r


def test_plain_http_body_mode(ctx):
    stub = ctx.stub(path="/healthz")
    body = ctx.write("b.json", "{}")
    out = ctx.path("o.json")
    r = ctx.run("run", stub.base + "/healthz", "--body", body, "--method", "GET",
                "--requests", "100", "--concurrency", "4", "--out", out)
    assert r.rc == 0, r
    res = tg.read_json(out)
    assert res["requests"]["ok"] == 100, res["requests"]
    # a --body run's digest covers the body and the request count: the same
    # body and count give the same digest, so diff/ab can call them identical
    digest = res["inputs_digest"]
    assert digest and digest.startswith("sum-sha256:") and len(digest) == 75, res
    out2 = ctx.path("o2.json")
    r = ctx.run("run", stub.base + "/healthz", "--body", body, "--method", "GET",
                "--requests", "100", "--concurrency", "2", "--out", out2)
    assert r.rc == 0 and tg.read_json(out2)["inputs_digest"] == digest, r
    other = ctx.write("c.json", "{ }")
    r = ctx.run("run", stub.base + "/healthz", "--body", other, "--method", "GET",
                "--requests", "100", "--out", out2)
    assert r.rc == 0 and tg.read_json(out2)["inputs_digest"] != digest, r


def test_sigint_writes_everything_and_exits_130(ctx):
    stub = ctx.stub("--delay", "5ms")
    out, log = ctx.path("out.json"), ctx.path("log.csv")
    p = ctx.popen("run", stub.url, "--rate", "100", "--duration", "30s", "--out", out,
                  "--log", log)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    o, e = p.communicate(timeout=15)
    assert p.returncode == 130, (p.returncode, e)
    res = tg.read_json(out)
    assert res["interrupted"] is True
    assert res["requests"]["total"] >= 100
    assert len(tg.read_csv(log)) == res["requests"]["total"]
    assert "requests" in o


def test_sigint_stops_issuing_requests_waiting_for_a_connection(ctx):
    """After SIGINT only requests already on the wire get the grace period;
    those still waiting for a connection are never sent and count as
    timeouts at once."""
    stub = ctx.stub("--delay", "300ms")
    out, log = ctx.path("out.json"), ctx.path("log.csv")
    p = ctx.popen("run", stub.url, "--rate", "50", "--connections", "2", "--duration", "30s",
                  "--out", out, "--log", log)
    time.sleep(1.5)
    before = json.loads(tg.http(stub.port, b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")[2])
    p.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    o, e = p.communicate(timeout=15)
    took = time.monotonic() - t0
    ctx.check_sanitizer(e, "tailgate run")
    assert p.returncode == 130, (p.returncode, e)
    after = json.loads(tg.http(stub.port, b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")[2])
    # at most one more per connection: a response that landed between /stats and the signal
    assert after["requests"] - before["requests"] <= 3, (before, after)
    assert took < 1.5, took
    res = tg.read_json(out)
    rows = tg.read_csv(log)
    assert len(rows) == res["requests"]["total"]
    never_sent = [r for r in rows if r["error"] == "timeout" and float(r["service_ms"]) == 0]
    assert len(never_sent) > 20, res["requests"]
    assert res["requests"]["by_error"]["timeout"] == len(never_sent), res["requests"]


def test_full_disk_while_logging_is_reported(ctx):
    import resource
    stub = ctx.stub()
    log = ctx.path("log.csv")

    def small_files():  # the log hits the file-size limit after a few hundred rows
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))

    import subprocess
    # (the limit applies to every file, so the result goes to stdout only)
    p = subprocess.run([ctx.binary, "run", stub.url, "--requests", "5000", "--concurrency", "8",
                        "--log", log], capture_output=True, text=True,
                       timeout=60, preexec_fn=small_files)
    ctx.check_sanitizer(p.stderr, "tailgate run")
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "log" in p.stderr and "File too large" in p.stderr, p.stderr
    assert "5000 total" in p.stdout, p.stdout  # the summary is still printed
    assert 0 < os.path.getsize(log) <= 20000


def test_throughput_sla_counts_only_successes(ctx):
    stub = ctx.stub("--error-rate", "1")
    out = ctx.path("o.json")
    r = ctx.run("run", stub.url, "--rate", "100", "--duration", "1s", "--out", out,
                "--sla", "ips>=50", "--sla", "rps>=50")
    assert r.rc == 1, r  # every request failed: no throughput worth the name
    res = tg.read_json(out)
    assert res["requests"]["by_error"] == {"http_5xx": res["requests"]["total"]}
    assert [s["pass"] for s in res["sla"]] == [False, False], res["sla"]
    assert [s["value"] for s in res["sla"]] == [0, 0], res["sla"]


def test_failed_run_leaves_no_result_file(ctx):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    out = ctx.path("never.json")
    r = ctx.run("run", f"http://127.0.0.1:{port}/x", "--requests", "5", "--out", out)
    assert r.rc == 3, r
    assert not os.path.exists(out)
    r = ctx.run("run", f"http://127.0.0.1:{port}/x", "--requests", "5",
                "--out", "/nonexistent/dir/o.json")
    assert r.rc == 3 and "--out" in r.err, r


def test_head_requests_have_no_body(ctx):
    stub = ctx.stub()
    body = ctx.write("empty", "")
    out = ctx.path("o.json")
    r = ctx.run("run", stub.base + "/healthz", "--body", body, "--method", "HEAD",
                "--requests", "50", "--concurrency", "2", "--out", out)
    assert r.rc == 0, r
    assert tg.read_json(out)["requests"]["ok"] == 50


def test_warmup_is_sent_but_not_counted_against_requests(ctx):
    stub = ctx.stub("--delay", "5ms")
    for args in (["--rate", "100", "--warmup", "500ms"],
                 ["--concurrency", "4", "--warmup", "300ms"],
                 ["--rate", "100", "--warmup", "500ms", "--batch", "7", "--linger", "30ms"]):
        out, log = ctx.path("w.json"), ctx.path("w.csv")
        r = ctx.run("run", stub.url, "--requests", "60", "--out", out, "--log", log, *args)
        assert r.rc == 0, (args, r)
        res = tg.read_json(out)
        assert res["items"]["total"] == 60, (args, res["items"])  # measured items, warmup apart
        assert len(tg.read_csv(log)) == res["requests"]["total"], args
        # the stub saw the warmup too: more requests than were measured
        stats = json.loads(tg.http(stub.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")[2])
        assert stats["requests"] > res["requests"]["total"], (args, stats)


def test_throughput_is_what_was_served_not_what_was_offered(ctx):
    stub = ctx.stub("--delay", "50ms")  # one connection serves at most 20 requests/s
    out = ctx.path("o.json")
    r = ctx.run("run", stub.url, "--rate", "100", "--duration", "1s", "--connections", "1",
                "--out", out, "--sla", "ips>=90")
    assert r.rc == 1, r
    res = tg.read_json(out)
    assert res["throughput"]["items_per_s"] < 25, res["throughput"]
    # What still waited for the one connection at the end was never sent (it
    # used to go out late, for 4 s more): offered, counted, not served.
    assert res["requests"]["total"] == 100 and res["requests"]["unsent"] >= 70, res["requests"]
    assert res["duration_s"] < 2, res["duration_s"]
