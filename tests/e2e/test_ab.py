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
    assert 80 <= item["max"] - item["min"] <= 120, item
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
