"""Batching, `tailgate ab` and the embedded demo, end to end."""
import os

import tg

AB_FILES = ["latency_baseline.csv", "latency_optimized.csv", "baseline.json", "optimized.json",
            "comparison.json", "report.html"]


def test_batch_item_latency_counts_the_wait(ctx):
    stub = ctx.stub("--delay", "100ms")
    out, log = ctx.path("o.json"), ctx.path("l.csv")
    r = ctx.run("run", stub.url, "--rate", "100", "--requests", "100", "--batch", "10",
                "--linger", "1s", "--out", out, "--log", log)
    assert r.rc == 0, r
    res = tg.read_json(out)
    item, req = res["latency_ms"]["item"], res["latency_ms"]["request"]
    assert res["items"]["total"] == 100 and res["requests"]["total"] == 10, res["requests"]
    # no item finishes before the request that carried it
    assert item["min"] >= 100, item
    # the first item of each batch waited for nine more at 10 ms apart
    assert 80 <= item["max"] - req["max"] <= 110, (item, req)
    # ... and the fastest item is the last of its batch, which waited for none:
    # the spread is that wait plus the requests' own (a busy machine widens theirs)
    spread = item["max"] - item["min"] - (req["max"] - req["min"])
    assert 80 <= spread <= 100, (item, req)
    rows = tg.read_csv(log)
    assert len(rows) == 10 and all(row["batch_size"] == "10" for row in rows), rows


def test_ab_against_external_stub_passes(ctx):
    stub = ctx.stub("--delay", "5ms")
    d = ctx.path("out")
    r = ctx.run("ab", stub.url, "--rate", "200", "--requests", "400", "--out-dir", d)
    assert r.rc == 0, r
    for f in AB_FILES:
        assert os.path.getsize(os.path.join(d, f)) > 0, f
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    assert cmp["inputs_identical"] is True
    assert cmp["sla_pass"] is True
    # no --sla was given: the verdict is on the default the runs recorded, not "the --sla given"
    assert cmp["sla_source"] == "recorded" and "with the --sla given" not in r.out, r.out
    assert [s["expr"] for s in cmp["sla"]] == ["p95<=800ms"], cmp["sla"]
    assert len(tg.read_csv(os.path.join(d, "latency_baseline.csv"))) == 400
    opt = tg.read_json(os.path.join(d, "optimized.json"))
    assert opt["items"]["total"] == 400 and opt["config"]["batch"] == 10
    assert "baseline" in r.out and "optimized" in r.out


def test_ab_fails_when_sla_cannot_hold(ctx):
    stub = ctx.stub("--delay", "1s")
    d = ctx.path("out")
    r = ctx.run("ab", stub.url, "--rate", "20", "--requests", "20", "--out-dir", d,
                "--sla", "p95<=800ms")
    assert r.rc == 1, r
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    assert cmp["sla_pass"] is False and cmp["optimized"]["p95_ms"] > 800, cmp


def test_ab_verification_catches_reordered_batches(ctx):
    stub = ctx.stub("--shuffle-outputs")
    r = ctx.run("ab", stub.url, "--rate", "50", "--requests", "50", "--out-dir", ctx.path("o"))
    assert r.rc == 4, r
    assert "input 0" in r.err and "different output" in r.err, r.err
    r = ctx.run("ab", stub.url, "--rate", "50", "--requests", "50", "--out-dir", ctx.path("o"),
                "--no-verify", "--validate", "status")
    assert r.rc in (0, 1), r


def test_ab_bad_side_options_exit_2(ctx):
    r = ctx.run("ab", "http://127.0.0.1:9/x", "--optimized", "--batch zero")
    assert r.rc == 2 and "--optimized" in r.err and "--batch" in r.err, r
    # load, bounds and inputs are shared: a side may not change them
    for side, opts in (("--baseline", "--rate 5"), ("--optimized", "-n5"),
                       ("--optimized", "--req 40 --dur 1s"), ("--baseline", "--rate=5"),
                       ("--baseline", "--batch 1 --inputs other.jsonl"),
                       ("--optimized", "--sla p95<=1ms"), ("--optimized", "--out x.json")):
        r = ctx.run("ab", "http://127.0.0.1:9/x", side, opts)
        assert r.rc == 2 and "not a client option" in r.err, (side, opts, r)
    # and the files ab names itself are not options of ab
    r = ctx.run("ab", "--help")
    assert r.rc == 0 and "--out FILE" not in r.out and "--log FILE" not in r.out, r.out


def test_ab_body_mode_and_quiet(ctx):
    """--body has no items to batch: the default optimized run pools
    connections instead; identical bodies count as identical inputs; --quiet
    prints the comparison only."""
    stub = ctx.stub(path="/healthz")
    body = ctx.write("b.json", "{}")
    d = ctx.path("out")
    r = ctx.run("ab", stub.base + "/healthz", "--body", body, "--method", "GET", "--rate", "100",
                "--requests", "100", "--out-dir", d, "--quiet", "--no-verify")
    assert r.rc == 0, r
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    assert cmp["inputs_identical"] is True, cmp
    assert "WARNING" not in r.err
    assert "== baseline" not in r.out and "verdict: PASS" in r.out, r.out
    assert r.out.lstrip().startswith("baseline:"), r.out  # the comparison and nothing before it


def test_embedded_demo_baseline_fails_optimized_passes(ctx):
    d = ctx.path("demo")
    r = ctx.run("ab", "--out-dir", d, timeout=90)
    assert r.rc == 0, r
    assert r.seconds < 60, r.seconds
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    assert cmp["baseline"]["p95_ms"] > 800, cmp["baseline"]
    assert cmp["optimized"]["p95_ms"] <= 800, cmp["optimized"]
    assert cmp["inputs_identical"] is True
    base = tg.read_json(os.path.join(d, "baseline.json"))
    opt = tg.read_json(os.path.join(d, "optimized.json"))
    # honest per-item latency: no item can finish before its request's service time
    assert opt["latency_ms"]["item"]["min"] >= opt["latency_ms"]["service"]["min"]
    assert base["requests"]["errors"] == 0 and opt["requests"]["errors"] == 0
    # what pooling did, as opened: the baseline's 100-connection pool against
    # the optimized run's unbounded one (--connections 0, never "0 connections")
    b, o = cmp["baseline"], cmp["optimized"]
    assert b["connections_opened"] == base["connections"]["opened"] > o["connections_opened"] >= 1
    assert (b["connections"], o["connections"]) == (100, 0), (b, o)
    assert any(ln.split()[2:] == ["100", "no", "bound", "-", "-"]
               for ln in r.out.splitlines() if ln.startswith("connection pool")), r.out


def test_ab_interrupted_during_verification_measures_nothing(ctx):
    import signal
    import time
    stub = ctx.stub("--delay", "500ms")
    d = ctx.path("out")
    t0 = time.monotonic()
    p = ctx.popen("ab", stub.url, "--rate", "20", "--duration", "6s", "--out-dir", d)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    o, e = p.communicate(timeout=20)
    ctx.check_sanitizer(e, "tailgate ab")
    assert p.returncode == 130, (p.returncode, e)
    # the sample in flight at the signal finishes (0.5 s), nothing after it
    assert time.monotonic() - t0 < 2.5, "ab went on after the interrupt"
    assert not os.path.exists(os.path.join(d, "baseline.json"))
    assert "verified" not in o, o


def test_ab_interrupted_writes_what_was_done(ctx):
    import signal
    import time
    stub = ctx.stub("--delay", "20ms")
    d = ctx.path("out")
    p = ctx.popen("ab", stub.url, "--rate", "100", "--duration", "30s", "--out-dir", d)
    time.sleep(3)
    p.send_signal(signal.SIGTERM)
    o, e = p.communicate(timeout=20)
    ctx.check_sanitizer(e, "tailgate ab")
    assert p.returncode == 143, (p.returncode, e)
    base = tg.read_json(os.path.join(d, "baseline.json"))
    assert base["interrupted"] is True and base["requests"]["total"] > 100, base["requests"]
    rows = tg.read_csv(os.path.join(d, "latency_baseline.csv"))
    assert len(rows) == base["requests"]["total"]
    assert not os.path.exists(os.path.join(d, "optimized.json"))


# A server that gains nothing from batching: one worker, 10 ms per request
# plus 5 ms per item. One item at a time at 40 items/s it is 60% busy and
# answers in ~15 ms; batched, items wait for their batch (up to --linger) and
# ride longer requests, so the "optimized" client is slower.
NO_GAIN = ("--delay", "10ms", "--per-item", "5ms", "--workers", "1")
NO_GAIN_LOAD = ("--rate", "40", "--requests", "80")


def test_ab_says_when_optimized_is_slower(ctx):
    """The SLA passes, so the exit code is 0 (no gate was named), but the
    verdict line says plainly that the optimized run is slower, and the
    report shows it in red."""
    stub = ctx.stub(*NO_GAIN)
    d = ctx.path("out")
    r = ctx.run("ab", stub.url, *NO_GAIN_LOAD, "--out-dir", d)
    assert r.rc == 0, r
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    assert cmp["sla_pass"] is True and cmp["pass"] is True, cmp
    watch = cmp["regression"][0]
    assert watch["metric"] == "p95" and watch["gating"] is False and watch["pass"] is False, watch
    change = watch["change_pct"]
    assert change > 50, watch  # ~15 ms -> ~70 ms
    assert abs(change - cmp["delta"]["p95_pct"]) < 0.1, (watch, cmp["delta"])
    verdict = [ln for ln in r.out.splitlines() if ln.startswith("verdict:")]
    assert verdict == [f"verdict: PASS (SLA met), but optimized p95 is {change:.1f}% slower "
                       "than baseline"], r.out
    assert "--max-regression p95=+5% would fail on it" in r.out, r.out
    with open(os.path.join(d, "report.html")) as f:
        html = f.read()
    assert f'<div class="verdict fail" id="regression">PASS (SLA met), but optimized p95 is ' \
           f'{change:.1f}% slower than baseline' in html, html[:3000]
    assert "SLA met, but slower</text>" in html  # the chart's verdict, in red
    assert 'fill="#d62728">SLA met, but slower' in html


def test_ab_and_diff_max_regression_gate(ctx):
    """--max-regression p95=+5% fails ab (exit 1) on the same server, is
    recorded in comparison.json and printed per gate; diff applies the same
    gates to the two result files; -q still prints each failed gate."""
    stub = ctx.stub(*NO_GAIN)
    d = ctx.path("out")
    r = ctx.run("ab", stub.url, *NO_GAIN_LOAD, "--out-dir", d, "--max-regression", "p95=+5%",
                "--max-regression", "ips=-50%", "-q")
    assert r.rc == 1, r
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    assert cmp["sla_pass"] is True and cmp["regression_pass"] is False and cmp["pass"] is False
    p95, ips = cmp["regression"][0], cmp["regression"][1]
    assert (p95["expr"], p95["gating"], p95["pass"], p95["limit_pct"]) == ("p95=+5%", True,
                                                                          False, 5), p95
    assert (ips["expr"], ips["gating"], ips["pass"]) == ("ips=-50%", True, True), ips
    assert "FAIL  p95=+5%" in r.out and "PASS  ips=-50%" in r.out, r.out
    assert f"verdict: FAIL (SLA met; regression: p95=+5% measured +{p95['change_pct']:.1f}%)" \
        in r.out, r.out
    # quiet: each failed gate, one line, on stderr
    failed = [ln for ln in r.err.splitlines() if "FAIL" in ln]
    assert len(failed) == 1, r.err
    assert failed[0].startswith("tailgate ab: FAIL --max-regression p95=+5%: baseline "), r.err

    base, opt = os.path.join(d, "baseline.json"), os.path.join(d, "optimized.json")
    r = ctx.run("diff", base, opt)
    assert r.rc == 0 and "but optimized p95 is" in r.out, r
    out = ctx.path("cmp.json")
    r = ctx.run("diff", base, opt, "--max-regression", "p95=+5%", "-o", out)
    assert r.rc == 1 and "FAIL  p95=+5%" in r.out and "verdict: FAIL" in r.out, r
    again = tg.read_json(out)
    assert again["regression"][0]["pass"] is False and again["pass"] is False, again
    assert again["regression"][0]["change_pct"] == p95["change_pct"]
    # A generous gate passes; the other way round, the baseline is the faster.
    assert ctx.run("diff", base, opt, "--max-regression", "p95=+10000%").rc == 0
    r = ctx.run("diff", opt, base, "--max-regression", "p95=-20%", "--max-regression", "p99=+0%")
    assert r.rc == 0 and "no regression beyond --max-regression" in r.out, r
    # bad gates exit 2 naming the option and how to write one
    for bad, why in (("p95=5%", "give a sign"), ("p9x=+5%", "unknown metric"),
                     ("p95=+5ms", "in percent")):
        r = ctx.run("diff", base, opt, "--max-regression", bad)
        assert r.rc == 2 and f"--max-regression {bad}: " in r.err and why in r.err, r
        r = ctx.run("ab", stub.url, "--max-regression", bad)
        assert r.rc == 2 and why in r.err, r


def test_ab_unreachable_target_leaves_no_empty_out_dir(ctx):
    """Nothing measured, nothing left behind: an --out-dir ab made is taken
    away again; one that was there before stays."""
    url = f"http://127.0.0.1:{tg.free_port()}/v1/infer"
    made = ctx.path("made")
    r = ctx.run("ab", url, "--out-dir", made, "-q")
    assert r.rc == 3 and "cannot connect" in r.err, r
    assert not os.path.exists(made)
    there = ctx.path("there")
    os.mkdir(there)
    r = ctx.run("ab", url, "--out-dir", there, "-q")
    assert r.rc == 3 and os.path.isdir(there), r
