"""Offered, sent, served: a run says which side fell behind, its unlimited pool
stays bounded, its connections fit the open-files limit, and a --duration run
sends nothing after its end. Real stub, real sockets, lowered RLIMIT_NOFILE
for the child where a test needs it."""
import datetime
import json
import os
import re
import resource
import subprocess

import tg


def limited(ctx, nofile, *args, timeout=60):
    """Runs tailgate with RLIMIT_NOFILE lowered to nofile (soft and hard)."""
    def lower():
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    p = subprocess.run([ctx.binary, *args], capture_output=True, text=True, timeout=timeout,
                       preexec_fn=lower)
    ctx.check_sanitizer(p.stderr, "tailgate " + args[0])
    return p


def test_more_connections_than_open_files_exits_2_before_the_run(ctx):
    stub = ctx.stub()
    out = ctx.path("out.json")
    p = limited(ctx, 64, "run", stub.url, "--rate", "100", "--connections", "500", "-d", "2s",
                "--out", out)
    assert p.returncode == 2, (p.returncode, p.stderr)
    err = p.stderr
    # Both numbers, the option, and what to change.
    assert "--connections 500" in err and "needs 5" in err, err
    assert "open-files limit is 64" in err and "ulimit -n" in err, err
    m = re.search(r"give --connections (\d+) or fewer", err)
    assert m and 40 < int(m.group(1)) < 64, err
    assert not p.stdout and not os.path.exists(out)  # nothing ran
    # The stub answered nothing (its /stats counts the one asking).
    status, _, body = tg.http(stub.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200 and json.loads(body)["ok"] == 0, body


def test_closed_loop_beyond_open_files_names_concurrency(ctx):
    """One connection per request in flight: -c 200 under a limit of 64
    exits 2 before the run (it used to run on with what it could open)."""
    stub = ctx.stub("--delay", "20ms")
    p = limited(ctx, 64, "run", stub.url, "--concurrency", "200", "--duration", "2s")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "--concurrency 200" in p.stderr and "open-files limit is 64" in p.stderr, p.stderr
    assert "--connections" in p.stderr  # the other way out: share fewer connections


def test_ab_embedded_stub_counts_each_connection_twice(ctx):
    p = limited(ctx, 150, "ab", "--requests", "50", "--out-dir", ctx.path("ab"), timeout=120)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "--connections 100" in p.stderr and "counts twice" in p.stderr, p.stderr
    assert "open-files limit is 150" in p.stderr, p.stderr


def test_unlimited_pool_stays_within_open_files_and_says_so(ctx):
    """--connections 0 under a limit of 64: the pool stops below it (no socket
    ever fails to open) and the result says the limit was the bound."""
    stub = ctx.stub("--workers", "1", "--delay", "10ms")
    out = ctx.path("out.json")
    p = limited(ctx, 64, "run", stub.url, "--rate", "1000", "--connections", "0", "-d", "1s",
                "--out", out, "--no-progress")
    assert p.returncode in (0, 1), (p.returncode, p.stderr)
    assert "out of file descriptors" not in p.stderr, p.stderr
    res = tg.read_json(out)
    conns = res["connections"]
    assert 0 < conns["opened"] <= conns["limit"] < 64, conns
    assert conns["limit_by"] == "open_files", conns
    assert "open-files limit (ulimit -n)" in p.stdout, p.stdout


def test_duration_end_sends_nothing_late_and_accounts_every_request(ctx):
    """Every connection stuck (the stub answers after 30 s): the requests in
    flight at the end get their --timeout, the ones still waiting for a
    connection end then and there, unsent; none is written after the end, and
    every offered request is in the log and the result."""
    stub = ctx.stub("--delay", "30s")
    log, out = ctx.path("log.csv"), ctx.path("out.json")
    r = ctx.run("run", stub.url, "--rate", "50", "-d", "2s", "--connections", "4", "--timeout",
                "700ms", "--log", log, "--out", out, "--no-progress")
    assert r.rc in (0, 1), r
    assert r.seconds < 2 + 0.7 + 3, r  # duration + the in-flight timeout, generously
    res = tg.read_json(out)
    rows = tg.read_csv(log)
    req = res["requests"]
    assert req["total"] == 100 and len(rows) == 100, (req, len(rows))
    assert req["by_error"] == {"timeout": 100}, req
    never_sent = [row for row in rows if float(row["service_ms"]) == 0]
    assert req["unsent"] == len(never_sent) > 50, (req, len(never_sent))
    assert res["items"]["unsent"] == req["unsent"]
    # Sent at intended + latency - service; the measurement began at started_at.
    start = datetime.datetime.strptime(res["started_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000
    late = [row for row in rows if float(row["service_ms"]) > 0 and
            float(row["timestamp_ms"]) + float(row["latency_ms"]) - float(row["service_ms"])
            > start + 2000 + 20]
    assert not late, late[:3]
    assert "never left it" in r.out and "timeouts" in r.out, r.out


def test_unlimited_pool_is_capped_and_the_summary_names_the_shortfall(ctx):
    """A stub that serves about 100/s offered 1000/s with --connections 0:
    the pool stops at what the rule allows (it used to open a connection per
    waiting request, about 1800 in 2 s), and the summary says the client sent
    a fraction of the offered load and why."""
    stub = ctx.stub("--workers", "1", "--delay", "10ms")
    out = ctx.path("out.json")
    r = ctx.run("run", stub.url, "--rate", "1000", "--connections", "0", "-d", "2s", "--out", out,
                "--no-progress")
    assert r.rc in (0, 1), r
    res = tg.read_json(out)
    conns = res["connections"]
    assert conns["limit_by"] == "rule", conns
    # The rule: 4 x 1000/s x the service time before the stub fell behind
    # (tens of ms here), at least 16.
    assert 16 <= conns["limit"] <= 500, conns
    assert conns["opened"] <= conns["limit"], conns
    req = res["requests"]
    assert req["total"] == 2000 and req["unsent"] > 1000, req
    assert r.seconds < 15, r  # what was in flight drained; nothing waited for 30 s
    m = re.search(r"offered 1000\.0 items/s, sent ([\d.]+)/s \((\d+)%\), served ([\d.]+)/s", r.out)
    assert m, r.out
    sent, share, served = float(m.group(1)), int(m.group(2)), float(m.group(3))
    assert sent < 600 and share < 60 and served < 200, m.group(0)
    assert "The client fell behind the schedule" in r.out, r.out
    assert f"limit of {conns['limit']}" in r.out and "--max-connections" in r.out, r.out


def test_max_connections_bounds_the_pool(ctx):
    stub = ctx.stub("--workers", "1", "--delay", "10ms")
    out = ctx.path("out.json")
    r = ctx.run("run", stub.url, "--rate", "500", "--max-connections", "5", "-d", "1s", "--out",
                out, "--no-progress")
    assert r.rc in (0, 1), r
    conns = tg.read_json(out)["connections"]
    assert conns["opened"] <= 5 and conns["limit"] == 5 and conns["limit_by"] == "max_connections"
    assert tg.read_json(out)["config"]["max_connections"] == 5
    bad = ctx.run("run", stub.url, "--rate", "10", "--connections", "4", "--max-connections", "5")
    assert bad.rc == 2 and "--max-connections" in bad.err and "--connections 0" in bad.err, bad


def test_offered_vs_served_side_by_side(ctx):
    """The server falls behind (100/s served of 150/s offered): the summary
    and the report say both rates, and the timeline counts completions when
    they happened, under the offered rate, not per intended second."""
    stub = ctx.stub("--workers", "1", "--delay", "10ms")
    out, html = ctx.path("out.json"), ctx.path("report.html")
    r = ctx.run("run", stub.url, "--rate", "150", "--requests", "300", "--out", out,
                "--no-progress")
    assert r.rc == 0, r
    m = re.search(r"offered 150\.0 items/s, sent 150\.0/s \(100%\), served ([\d.]+)/s", r.out)
    assert m and float(m.group(1)) < 125, r.out
    assert "The server fell behind: it served" in r.out, r.out
    res = tg.read_json(out)
    tl = res["timeline"]
    assert tl[0]["requests"] == 150  # by intended time: the schedule
    full = [t["served_items"] for t in tl[:-1]]  # whole seconds of completions
    assert full and max(full) <= 125, full
    assert sum(t["completed"] for t in tl) == 300
    rep = ctx.run("report", out, "-o", html)
    assert rep.rc == 0, rep
    text = open(html).read()
    assert "offered items/s" in text and "served items/s" in text and "sent items/s" in text
    assert "as completed" in text  # the chart's title: by completion time
    assert "The server fell behind" in text


def test_mean_batch_beside_the_configured_one(ctx):
    """--batch 10 with a 50 ms linger at 100 items/s leaves with about 5."""
    stub = ctx.stub()
    out, html = ctx.path("out.json"), ctx.path("report.html")
    r = ctx.run("run", stub.url, "--rate", "100", "--batch", "10", "--linger", "50ms", "-d", "2s",
                "--out", out, "--no-progress")
    assert r.rc == 0, r
    m = re.search(r"batches of ([\d.]+) items on average \(--batch 10 at most\)", r.out)
    assert m and 4 <= float(m.group(1)) <= 6.5, r.out
    assert ctx.run("report", out, "-o", html).rc == 0
    assert re.search(r"[\d.]+ items \(--batch 10 at most\)", open(html).read())
