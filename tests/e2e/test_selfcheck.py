"""The self-check of every open-loop run: offered rate, achieved send rate and
send lag in the result, client_limited when the client fell behind its own
schedule, a warning in the summary, SLA verdicts marked."""
import tg


def test_run_at_a_rate_the_client_cannot_hold_is_client_limited(ctx):
    # One connection to a 20 ms server carries 50 requests/s; 200/s is asked.
    stub = ctx.stub("--delay", "20ms")
    out = ctx.path("r.json")
    r = ctx.run("run", stub.url, "--rate", "200", "--duration", "2s", "--connections", "1",
                "--timeout", "1s", "--sla", "p95<=5s", "--out", out)
    assert r.rc in (0, 1), r
    assert "WARNING: client limited" in r.out, r
    assert "raise --connections to" in r.out, r
    assert "[measured under a limited client]" in r.out, r
    j = tg.read_json(out)
    assert j["client_limited"] is True
    c = j["self_check"]
    assert c["offered_per_s"] == 200 and c["client_limited"] is True
    assert "connections" in c["reasons"], c
    assert c["send_per_s"] < 60, c
    assert c["waited_requests"] > 0.9 * c["sent_requests"], c
    assert c["connections"] == 1 and 19 < c["service_min_ms"] < 30, c
    assert all(v["client_limited"] is True for v in j["sla"])


def test_run_at_an_easy_rate_is_not_client_limited(ctx):
    tg.realtime(ctx)
    stub = ctx.stub("--delay", "5ms")
    out = ctx.path("r.json")
    r = ctx.run("run", stub.url, "--rate", "20", "--duration", "2s", "--sla", "p95<=1s",
                "--out", out)
    assert r.rc == 0, r
    assert "client limited" not in r.out and "measured under" not in r.out, r
    assert "schedule 20 items/s offered" in r.out, r
    j = tg.read_json(out)
    assert j["client_limited"] is False
    c = j["self_check"]
    assert c["client_limited"] is False and c["reasons"] == []
    assert c["offered_per_s"] == 20 and 19.8 <= c["send_per_s"] <= 20, c
    assert c["sent_requests"] == 40 and c["waited_requests"] == 0
    lag = j["latency_ms"]["send_lag"]
    assert lag["count"] == 40 and lag["p99"] <= c["send_lag_limit_ms"] == 5.0, lag
    assert "send_lag" in j["histogram"]
    assert all("client_limited" not in v for v in j["sla"])


def test_closed_loop_has_no_self_check(ctx):
    stub = ctx.stub()
    out = ctx.path("r.json")
    r = ctx.run("run", stub.url, "--concurrency", "4", "--duration", "500ms", "--out", out)
    assert r.rc == 0, r
    j = tg.read_json(out)
    assert j["client_limited"] is None and j["self_check"] is None
    assert "send_lag" not in j["latency_ms"] and "send_lag" not in j["histogram"]
    assert "schedule" not in r.out


def test_report_and_diff_show_the_self_check(ctx):
    tg.realtime(ctx)
    stub = ctx.stub("--delay", "20ms")
    bad, good = ctx.path("bad.json"), ctx.path("good.json")
    assert ctx.run("run", stub.url, "--rate", "200", "--duration", "1s", "--connections", "1",
                   "--timeout", "1s", "--out", bad).rc in (0, 1)
    assert ctx.run("run", stub.url, "--rate", "10", "--duration", "1s", "--out", good).rc == 0
    html = ctx.path("r.html")
    r = ctx.run("report", bad, good, "-o", html)
    assert r.rc == 0, r
    with open(html, encoding="utf-8") as f:
        text = f.read()
    assert "bad: the client was the limit" in text, text[:3000]
    assert "send lag" in text  # the metric's row in the summary table
    cmp_path = ctx.path("cmp.json")
    r = ctx.run("diff", good, bad, "-o", cmp_path)
    assert r.rc in (0, 1), r
    cmp = tg.read_json(cmp_path)
    assert cmp["optimized"]["client_limited"] is True
    assert cmp["baseline"]["client_limited"] is False
    assert "client limited" in r.err or "client limited" in r.out, r


def test_a_client_stall_behind_a_small_pool_is_the_clients(ctx):
    # The client itself stops for 0.6 s (as a GC pause or a descheduled
    # process would) with one connection to a fast server: the requests it
    # overslept queue for that connection when it resumes. Their latency is
    # the stall's, and the self-check must blame the client, not the pool.
    import os
    import signal
    import time
    stub = ctx.stub()
    out = ctx.path("r.json")
    p = ctx.popen("run", stub.url, "--rate", "200", "--duration", "2s", "--connections", "1",
                  "--out", out)
    time.sleep(0.7)
    os.kill(p.pid, signal.SIGSTOP)
    time.sleep(0.6)
    os.kill(p.pid, signal.SIGCONT)
    o, e = p.communicate(timeout=30)
    assert p.returncode == 0, (o, e)
    c = tg.read_json(out)["self_check"]
    assert c["client_limited"] is True and "send_lag" in c["reasons"], c
    assert c["send_lag_p99_ms"] > 300, c
    assert c["waited_requests"] > 50, c
