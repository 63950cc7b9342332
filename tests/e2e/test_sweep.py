"""tailgate sweep: the highest load that meets the SLA, against a stub whose
capacity is known by construction; a client that is the limit; the report.

The client and the stub run with SCHED_FIFO priority when the machine allows
it (root, chrt): these tests share two cores with other tests, and the
self-check rightly calls a client that waits for a CPU the limit. What they
test is the search, as on a load generator with a machine of its own."""
import json
import math
import os
import re
import subprocess

import tg
from test_report import CHROMIUM, png_colours, self_contained, well_formed

ANSWER = re.compile(r"capacity: ([0-9.]+) items/s at p95<=200ms \(99% confidence; next step "
                    r"([0-9.]+)/s (failed|undecided): (.+)\)")


def binom_cdf(t, n, q):
    return sum(math.comb(n, k) * q ** k * (1 - q) ** (n - k) for k in range(t + 1))


def test_sweep_finds_the_capacity_of_a_known_server(ctx):
    # Four workers, 50 ms each: 80 requests/s and no more.
    tg.realtime(ctx)
    stub = ctx.stub("--workers", "4", "--delay", "50ms")
    out, logs = ctx.path("sweep.json"), ctx.path("logs")
    r = ctx.run("sweep", stub.url, "--sla", "p95<=200ms", "--start-rate", "50",
                "--step-duration", "2s", "--cooldown", "200ms", "--precision", "10%",
                "--out", out, "--log-dir", logs, timeout=90)
    assert r.rc == 0, r
    m = ANSWER.search(r.out)
    assert m, r
    capacity = float(m.group(1))
    assert 72 <= capacity <= 88, r
    assert float(m.group(2)) > capacity
    assert r.seconds < 45, r
    doc = tg.read_json(out)
    assert doc["kind"] == "sweep" and doc["client_limited"] is False and doc["pass"] is True
    (sw,) = doc["sweeps"]
    assert sw["capacity"]["value"] == capacity and sw["capacity"]["found"] is True
    assert sw["sla"] == ["p95<=200ms"] and sw["confidence"] == 0.99
    steps = sw["steps"]
    assert steps[0]["offered"] == 50
    for st in steps:
        res = st["result"]  # each step's whole result, as run --out writes it
        assert res["tool"] == "tailgate" and res["self_check"]["offered_per_s"] == st["offered"]
        assert res["config"]["rate"] == st["offered"]
        (g,) = st["gates"]
        # The early-stopping rule, checked here with the exact binomial sum.
        holds = binom_cdf(g["over"], g["items"], 0.05) <= 0.01
        assert g["accepted"] == holds, g
        if st["verdict"] == "pass":
            assert holds and g["items"] >= 90 and res["sla_pass"] is True, st
        assert st["client_limited"] is False, st
    # Beyond the capacity the server could not keep up: served stays near 80.
    over = [st for st in steps if st["offered"] >= 100]
    assert over and all(st["served_per_s"] < 86 for st in over), over
    # One CSV per step, one row per request.
    files = sorted(os.listdir(logs))
    assert len(files) == len(steps), files
    rows = tg.read_csv(os.path.join(logs, files[0]))
    assert len(rows) == steps[0]["result"]["requests"]["total"]


def test_sweep_starved_client_is_the_limit(ctx):
    # One connection at 20 ms per request carries 50 requests/s: 200/s
    # waits for the client's pool, not for the server.
    stub = ctx.stub("--delay", "20ms")
    out = ctx.path("sweep.json")
    r = ctx.run("sweep", stub.url, "--sla", "p95<=500ms", "--connections", "1",
                "--start-rate", "200", "--step-duration", "2s", "--timeout", "1s",
                "--cooldown", "100ms", "--out", out, timeout=60)
    assert r.rc == 3, r
    assert "capacity: not measured: the client, not the server, is the limit at 200 items/s" \
        in r.out, r
    assert "--connections to" in r.out and "1 connection carries at most" in r.out, r
    doc = tg.read_json(out)
    assert doc["client_limited"] is True and doc["pass"] is False
    (sw,) = doc["sweeps"]
    assert sw["capacity"]["found"] is False and sw["capacity"]["limited_at"] == 200
    st = sw["steps"][-1]
    assert st["verdict"] == "invalid" and st["valid"] is False and st["client_limited"] is True
    assert st["result"]["client_limited"] is True
    assert "connections" in st["result"]["self_check"]["reasons"]
    # A pool too small stays too small: not run again.
    assert len(sw["steps"]) == 1


def test_sweep_report_renders_with_both_charts(ctx):
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing (Debian: apt-get install -y chromium)"
    tg.realtime(ctx)
    stub = ctx.stub("--workers", "2", "--delay", "20ms")  # 100 requests/s
    out = ctx.path("sweep.json")
    r = ctx.run("sweep", stub.url, "--sla", "p95<=100ms", "--start-rate", "60",
                "--step-duration", "2s", "--cooldown", "100ms", "--precision", "20%",
                "--out", out, timeout=90)
    assert r.rc in (0, 1), r
    html_path = ctx.path("sweep.html")
    rep = ctx.run("report", out, "-o", html_path, "--title", "capacity <of> stub")
    assert rep.rc == 0, rep
    well_formed(html_path)
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    self_contained(html)
    for chart in ("chart-sweep-latency", "chart-sweep-throughput"):
        svg = re.search(rf'<svg[^>]*id="{chart}".*?</svg>', html, re.S)
        assert svg, chart
        assert svg.group(0).count("<circle") >= 3, chart  # one dot per step
        if r.rc == 0:
            assert 'class="marker"' in svg.group(0), chart  # the capacity
    lat = re.search(r'<svg[^>]*id="chart-sweep-latency".*?</svg>', html, re.S).group(0)
    assert re.search(r'<line class="sla"[^>]*stroke-dasharray', lat)
    assert 'id="sweep-steps"' in html and "<title>capacity &lt;of&gt; stub</title>" in html
    doc = tg.read_json(out)
    assert doc["sweeps"][0]["capacity"]["text"] in html.replace("&lt;", "<").replace("&gt;", ">")
    png = ctx.path("sweep.png")
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={ctx.path('chromium-profile')}", f"--screenshot={png}",
                        "--window-size=1200,1600", "file://" + html_path],
                       capture_output=True, text=True, timeout=120)
    assert os.path.exists(png), f"chromium wrote no screenshot (exit {p.returncode}):\n{p.stderr[-2000:]}"
    assert len(png_colours(png)) > 8, "the screenshot looks blank"


def test_concurrency_sweep(ctx):
    # 4 workers of 50 ms: c users wait ceil(c/4) * 50 ms, so p95<=200ms
    # holds up to 16 users.
    tg.realtime(ctx)
    stub = ctx.stub("--workers", "4", "--delay", "50ms")
    out = ctx.path("sweep.json")
    r = ctx.run("sweep", stub.url, "--concurrency-sweep", "--concurrency", "4",
                "--max-concurrency", "64", "--sla", "p95<=200ms", "--step-duration", "2s",
                "--cooldown", "100ms", "--out", out, timeout=90)
    assert r.rc == 0, r
    m = re.search(r"capacity: (\d+) concurrent requests at p95<=200ms \(99% confidence; "
                  r"([0-9.]+) items/s served", r.out)
    assert m, r
    assert 12 <= int(m.group(1)) <= 16, r
    doc = tg.read_json(out)
    (sw,) = doc["sweeps"]
    assert sw["mode"] == "concurrency" and sw["unit"] == "concurrent requests"
    for st in sw["steps"]:
        assert st["offered"] == int(st["offered"])
        assert st["result"]["config"]["concurrency"] == st["offered"]
        assert st["client_limited"] is None  # a closed loop has no schedule to check


def test_sweep_usage_errors(ctx):
    stub = ctx.stub()
    cases = [
        ((stub.url,), "--sla is needed"),
        ((stub.url, "--sla", "p95<=1s", "--rate", "10"), "--rate: the sweep chooses"),
        ((stub.url, "--sla", "p95<=1s", "--duration", "5s"), "--step-duration"),
        ((stub.url, "--sla", "p95<=1s", "--log", "x.csv"), "--log-dir"),
        ((stub.url, "--sla", "p95<=1s", "--concurrency-sweep", "--start-rate", "5"),
         "--max-concurrency"),
        ((stub.url, "--sla", "p95<=1s", "--step-duration", "10s", "--max-step-duration", "5s"),
         "--max-step-duration is shorter"),
        ((stub.url, "--sla", "p95<=1s", "--start-rate", "50", "--max-rate", "10"),
         "above --max-rate"),
        ((stub.url, "--sla", "p95<=1s", "--confidence", "150%"), "--confidence"),
        (("--batch", "4"), "batch 1 and batch 10"),
    ]
    for args, words in cases:
        r = ctx.run("sweep", *args)
        assert r.rc == 2 and words in r.err, (args, r)
    r = ctx.run("sweep", "--help")
    assert r.rc == 0 and "--concurrency-sweep" in r.out and "--require-rate" in r.out
    assert "--duration D" not in r.out and "--log FILE" not in r.out  # the sweep sets them
    # An unreachable target: could not run.
    r = ctx.run("sweep", "http://127.0.0.1:1/v1/infer", "--sla", "p95<=1s", "--start-rate", "5")
    assert r.rc == 3 and "127.0.0.1:1" in r.err, r
    # report takes sweeps or runs, not both.
    res = ctx.path("run.json")
    assert ctx.run("run", stub.url, "--rate", "20", "--duration", "500ms", "--out", res).rc == 0
    sweep = ctx.write("sweep.json", '{"tool": "tailgate", "kind": "sweep", "sweeps": []}')
    r = ctx.run("report", sweep, res, "-o", ctx.path("x.html"))
    assert r.rc == 3 and "sweeps" in r.err, r


def test_sweep_out_to_stdout(ctx):
    # --out -: the document on stdout, the table and the answer on stderr.
    tg.realtime(ctx)
    stub = ctx.stub("--delay", "5ms")
    r = ctx.run("sweep", stub.url, "--sla", "p95<=200ms", "--start-rate", "100", "--max-rate",
                "100", "--step-duration", "1s", "--cooldown", "0", "--out", "-")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["kind"] == "sweep" and doc["sweeps"][0]["capacity"]["value"] == 100
    assert "capacity: 100 items/s at p95<=200ms" in r.err and "the highest load tried" in r.err


def test_sweep_says_how_much_longer_in_units_people_read(ctx):
    # 62 items in a 2 s step, 90 needed for p95 at 99%: the step runs again
    # for 2 s * 90/62 * 1.15 = 3.338709677 s, a length no unit states whole.
    tg.realtime(ctx)
    stub = ctx.stub("--delay", "5ms")
    r = ctx.run("sweep", stub.url, "--sla", "p95<=200ms", "--start-rate", "31", "--max-rate",
                "31", "--step-duration", "2s", "--max-step-duration", "5s", "--cooldown", "0")
    assert r.rc == 0, r
    m = re.search(r"running it again for (\S+)\n", r.out)
    assert m and re.fullmatch(r"[0-9]\.[0-9]{1,2}s", m.group(1)), r


def test_concurrency_sweep_too_few_items_names_its_own_knobs(ctx):
    # One request in flight at 200 ms: 5 items in a 1 s step, 459 needed for
    # p99 at 99%. The start of a concurrency sweep is --concurrency, not a rate.
    stub = ctx.stub("--delay", "200ms")
    r = ctx.run("sweep", stub.url, "--concurrency-sweep", "--sla", "p99<=1s", "--step-duration",
                "1s", "--max-step-duration", "1s", "--cooldown", "0")
    assert r.rc == 1, r
    assert ("too few items for the claim at 1 request in flight: start with more in flight "
            "(--concurrency C) or give a longer --max-step-duration") in r.out, r
    assert "--start-rate" not in r.out + r.err, r


def test_sweep_confirms_its_answer_and_numbers_logs_as_steps(ctx):
    # The answer runs twice (a lucky step is not a capacity); the probe's log
    # is not a step: step-01 is the table's and the document's step 1.
    tg.realtime(ctx)
    stub = ctx.stub("--delay", "5ms")
    out, logs = ctx.path("sweep.json"), ctx.path("logs")
    r = ctx.run("sweep", stub.url, "--sla", "p95<=200ms", "--concurrency", "2", "--max-rate",
                "100", "--step-duration", "2s", "--cooldown", "0", "--out", out,
                "--log-dir", logs)
    assert r.rc == 0, r
    assert "the answer, confirmed on a second run" in r.out, r
    (sw,) = tg.read_json(out)["sweeps"]
    steps = sw["steps"]
    assert [st["offered"] for st in steps] == [100, 100], steps
    assert [st["final"] for st in steps] == [False, True] and steps[1]["attempt"] == 2
    assert sorted(os.listdir(logs)) == ["probe-concurrency-2.csv", "step-01-rate-100.csv",
                                        "step-02-rate-100.csv"]
    for i, st in enumerate(steps):
        rows = tg.read_csv(os.path.join(logs, f"step-{i + 1:02d}-rate-100.csv"))
        assert len(rows) == st["result"]["requests"]["total"]
