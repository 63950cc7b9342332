"""`tailgate diff BASE.json OPT.json` end to end, on hand-made result files
(and once on files written by real runs)."""
import copy
import json
import os

import tg


def hist_json(values_ns):
    """The default latency histogram (1 us .. 1 h, 3 digits) of values, in the
    result file's format, built independently of the C code."""
    counts = {}
    for v in values_ns:
        c = min(max(v, 1000), 3600000000000)
        b = (c | 2047).bit_length() - 11
        idx = ((b + 1) << 10) + ((c >> b) - 1024)
        counts[idx] = counts.get(idx, 0) + 1
    return {"lowest": 1000, "highest": 3600000000000, "sig_digits": 3, "unit": "ns",
            "count": len(values_ns), "min": min(values_ns, default=0),
            "max": max(values_ns, default=0), "sum": sum(values_ns),
            "sum_sq": float(sum(v * v for v in values_ns)),
            "buckets": [[i, counts[i]] for i in sorted(counts)]}


def exact(values, p):
    s = sorted(values)
    rank = max(1, -(-p * len(s) // 100))
    return s[int(rank) - 1]


def reported(values_ms, p):
    """The percentile as tailgate reports it from the histogram above: the top
    of the bucket holding the exact order statistic, clamped to [min, max]
    (within 0.1% of exact)."""
    ns = [round(v * 1e6) for v in values_ms]
    v = round(exact(values_ms, p) * 1e6)
    c = min(max(v, 1000), 3600000000000)
    b = (c | 2047).bit_length() - 11
    top = (((c >> b) + 1) << b) - 1
    return min(max(top, min(ns)), max(ns)) / 1e6


def result(lat_ms, requests, errors=0, items=None, duration_s=10.0, digest="sha256:aa",
           batch=1, connections=100):
    """A result file as `tailgate run --out` writes it; item latencies lat_ms."""
    items = len(lat_ms) if items is None else items
    ns = [round(v * 1e6) for v in lat_ms]
    summ = {k: reported(lat_ms, p) for k, p in (("p50", 50), ("p75", 75), ("p90", 90),
                                                 ("p95", 95), ("p99", 99), ("p99_9", 99.9),
                                                 ("p99_99", 99.99))}
    summ.update(min=min(lat_ms), max=max(lat_ms), mean=sum(lat_ms) / len(lat_ms), stdev=0.0,
                count=len(lat_ms))
    return {
        "tool": "tailgate", "version": "0.1.0",
        "config": {"batch": batch, "connections": connections,
                   "url": "http://127.0.0.1:8000/v1/infer"},
        "started_at": "2026-01-01T00:00:00.000Z", "duration_s": duration_s,
        "requests": {"total": requests, "ok": requests - errors, "errors": errors,
                     "by_status": {"200": requests - errors}, "by_error": {}},
        "items": {"total": items, "ok": items},
        "throughput": {"requests_per_s": (requests - errors) / duration_s,
                       "items_per_s": items / duration_s},
        "latency_ms": {"item": summ, "request": dict(summ), "service": dict(summ)},
        "inputs_digest": digest, "timeline": [],
        "histogram": {"item": hist_json(ns), "request": hist_json(ns), "service": hist_json(ns)},
        "sla": [], "sla_pass": True, "interrupted": False,
    }


def write(ctx, name, obj):
    return ctx.write(name, json.dumps(obj))


BASE_LAT = [100.0 + i for i in range(1000)]   # 100 .. 1099 ms: p95 1049 ms
OPT_LAT = [50.0 + i * 0.4 for i in range(1000)]  # 50 .. 449.6 ms: p95 429.6 ms


def test_diff_fields_table_and_file(ctx):
    base = write(ctx, "base.json", result(BASE_LAT, 1000, errors=10))
    opt = write(ctx, "opt.json", result(OPT_LAT, 100, items=1000, batch=10, connections=0))
    out = ctx.path("comparison.json")
    r = ctx.run("diff", base, opt, "-o", out)
    assert r.rc == 0, r
    assert "WARNING" not in r.err, r
    c = tg.read_json(out)
    assert c["tool"] == "tailgate" and c["version"]
    headline = {"file", "requests", "ok", "errors", "error_rate_pct", "items", "items_per_s",
                "requests_per_s", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms",
                "request_p95_ms", "inputs_digest", "batch", "connections", "connections_opened",
                "client_limited", "interrupted"}
    assert set(c["baseline"]) == headline, set(c["baseline"]) ^ headline
    assert set(c["optimized"]) == headline
    b, o, d = c["baseline"], c["optimized"], c["delta"]
    assert b["file"] == base and o["file"] == opt
    assert (b["requests"], b["ok"], b["errors"]) == (1000, 990, 10)
    assert abs(b["error_rate_pct"] - 1.0) < 1e-9 and o["error_rate_pct"] == 0
    # The headline is the file's p95 (as tailgate derives it from the histogram)...
    assert b["p95_ms"] == reported(BASE_LAT, 95) and o["p95_ms"] == reported(OPT_LAT, 95)
    # ... within the histogram's 0.1% of the exact order statistic.
    assert abs(b["p95_ms"] - exact(BASE_LAT, 95)) <= exact(BASE_LAT, 95) * 1e-3
    assert o["batch"] == 10 and o["connections"] == 0 and b["batch"] == 1
    # --connections 0 is a pool with no bound: never "100 -> 0, delta -100"
    pool = [ln.split() for ln in r.out.splitlines() if ln.startswith("connection pool")]
    assert pool == [["connection", "pool", "100", "no", "bound", "-", "-"]], r.out
    assert abs(d["p95_ms"] - (o["p95_ms"] - b["p95_ms"])) < 1e-6
    assert abs(d["p95_pct"] - (o["p95_ms"] - b["p95_ms"]) / b["p95_ms"] * 100) < 1e-6
    # requests/s counts what was served (as the rps gate does): 990 and 100 over 10 s
    assert abs(d["requests_per_s_pct"] - (10.0 - 99.0) / 99.0 * 100) < 1e-6  # 10 digits
    assert abs(d["items_per_s_pct"]) < 1e-9 and abs(d["items_per_s"]) < 1e-9
    assert abs(d["error_rate_pct_points"] - (-1.0)) < 1e-9
    for k in ("p50_ms", "p99_ms", "max_ms", "p50_pct", "p99_pct"):
        assert isinstance(d[k], float), (k, d)
    assert c["inputs_identical"] is True
    # Default SLA, judged on the optimized run from its histogram.
    assert len(c["sla"]) == 1 and c["sla_pass"] is True
    s = c["sla"][0]
    assert s["expr"] == "p95<=800ms" and s["metric"] == "p95" and s["unit"] == "ms"
    assert s["threshold"] == 800 and s["pass"] is True
    assert abs(s["value"] - exact(OPT_LAT, 95)) <= exact(OPT_LAT, 95) * 1e-3
    # The table on stdout.
    for needle in ("metric", "baseline", "optimized", "delta %", "item p95 (ms)",
                   "requests/s", "-90.0%", "verdict: PASS", "PASS  p95<=800ms"):
        assert needle in r.out, (needle, r.out)


def test_diff_without_out_writes_nothing(ctx):
    base = write(ctx, "base.json", result(BASE_LAT, 1000))
    opt = write(ctx, "opt.json", result(OPT_LAT, 1000))
    before = set(os.listdir(ctx.tmp))
    r = ctx.run("diff", base, opt)
    assert r.rc == 0, r
    assert set(os.listdir(ctx.tmp)) == before
    assert "verdict: PASS" in r.out


def test_diff_sla_verdicts_and_exit_code(ctx):
    base = write(ctx, "base.json", result(OPT_LAT, 1000))
    opt = write(ctx, "opt.json", result(BASE_LAT, 1000, errors=5))
    out = ctx.path("c.json")
    r = ctx.run("diff", base, opt, "-o", out)  # default p95<=800ms fails on the optimized run
    assert r.rc == 1, r
    assert tg.read_json(out)["sla_pass"] is False and "verdict: FAIL" in r.out
    r = ctx.run("diff", base, opt, "--out", out, "--sla", "p99.9 <= 1.1s", "--sla",
                "error_rate<1%", "--sla", "ips>=100", "--sla", "max<=1099")
    assert r.rc == 0, r
    c = tg.read_json(out)
    assert [s["pass"] for s in c["sla"]] == [True, True, True, True], c["sla"]
    assert c["sla"][1]["value"] == 0.5 and c["sla"][1]["unit"] == "%"
    assert c["sla"][2]["value"] == 100 and c["sla"][2]["unit"] == "/s"
    assert c["sla"][3]["value"] == 1099  # max is exact
    r = ctx.run("diff", base, opt, "--out", out, "--sla", "error_rate<0.5%", "--sla",
                "mean<=2s")
    assert r.rc == 1, r
    assert [s["pass"] for s in tg.read_json(out)["sla"]] == [False, True]


def test_diff_warns_when_inputs_differ(ctx):
    base = write(ctx, "base.json", result(BASE_LAT, 1000, digest="sha256:aa"))
    opt = write(ctx, "opt.json", result(OPT_LAT, 1000, digest="sha256:bb"))
    out = ctx.path("c.json")
    r = ctx.run("diff", base, opt, "-o", out)
    assert r.rc == 0, r
    assert "WARNING" in r.err and "NOT send identical inputs" in r.err, r
    assert "inputs: NOT identical" in r.out, r
    assert "sha256:aa" in r.err and "sha256:bb" in r.err
    assert tg.read_json(out)["inputs_identical"] is False
    # No digest recorded (e.g. --body runs): not known identical, so also a warning.
    opt2 = write(ctx, "opt2.json", result(OPT_LAT, 1000, digest=None))
    r = ctx.run("diff", base, opt2, "-o", out)
    assert r.rc == 0 and "WARNING" in r.err, r
    assert tg.read_json(out)["inputs_identical"] is False


def test_diff_malformed_files_exit_3(ctx):
    good = result(OPT_LAT, 1000)
    goodp = write(ctx, "good.json", good)
    cases = []
    bad = copy.deepcopy(good)
    del bad["requests"]["total"]
    cases.append((bad, "requests.total"))
    bad = copy.deepcopy(good)
    bad["latency_ms"]["item"]["p95"] = "fast"
    cases.append((bad, "latency_ms.item.p95"))
    bad = copy.deepcopy(good)
    bad["histogram"]["item"]["buckets"].append([99999999, 1])
    cases.append((bad, "histogram.item"))
    bad = copy.deepcopy(good)
    bad["histogram"]["item"]["count"] += 1
    cases.append((bad, "histogram.item"))
    bad = copy.deepcopy(good)
    bad["tool"] = "wrk"
    cases.append((bad, "tool"))
    for i, (obj, field) in enumerate(cases):
        p = write(ctx, f"bad{i}.json", obj)
        for args in ((p, goodp), (goodp, p)):
            r = ctx.run("diff", *args)
            assert r.rc == 3, (field, r)
            assert p in r.err and f'"{field}' in r.err, (field, r.err)
    p = ctx.write("notjson.json", '{"tool": "tailgate",\n oops')
    r = ctx.run("diff", goodp, p)
    assert r.rc == 3 and "notjson.json" in r.err and "not valid JSON" in r.err, r
    r = ctx.run("diff", ctx.path("missing.json"), goodp)
    assert r.rc == 3 and "missing.json" in r.err and "No such file" in r.err, r
    r = ctx.run("diff", goodp, goodp, "-o", ctx.path("no/such/dir/c.json"))
    assert r.rc == 3 and "no/such/dir/c.json" in r.err, r


def test_diff_usage_errors_exit_2(ctx):
    goodp = write(ctx, "good.json", result(OPT_LAT, 1000))
    for args in ((), (goodp,), (goodp, goodp, goodp), (goodp, goodp, "--bogus"),
                 (goodp, goodp, "-o")):
        r = ctx.run("diff", *args)
        assert r.rc == 2, (args, r)
        assert "tailgate diff" in r.err, r
    r = ctx.run("diff", goodp, goodp, "--sla", "p95<=800xs")
    assert r.rc == 2 and "p95<=800xs" in r.err and "valid metrics" in r.err, r
    r = ctx.run("diff", "--help")
    assert r.rc == 0 and "usage: tailgate diff" in r.out and "--sla" in r.out, r


def test_diff_of_real_runs(ctx):
    stub = ctx.stub("--delay", "2ms")
    a, b, out = ctx.path("a.json"), ctx.path("b.json"), ctx.path("c.json")
    r = ctx.run("run", stub.url, "--requests", "200", "--concurrency", "4", "--out", a, "-q")
    assert r.rc == 0, r
    r = ctx.run("run", stub.url, "--requests", "200", "--concurrency", "4", "--batch", "5",
                "--out", b, "-q")
    assert r.rc == 0, r
    r = ctx.run("diff", a, b, "-o", out, "--sla", "p99<=1s", "--sla", "request.p50<=1s")
    assert r.rc == 0, r
    c = tg.read_json(out)
    assert c["inputs_identical"] is True, (c["baseline"], c["optimized"])
    assert "WARNING" not in r.err
    assert c["baseline"]["requests"] == 200 and c["optimized"]["requests"] == 40
    assert c["baseline"]["items"] == c["optimized"]["items"] == 200
    assert c["optimized"]["batch"] == 5
    assert all(s["pass"] for s in c["sla"]) and c["sla_pass"] is True


def test_diff_survives_absurd_numbers(ctx):
    import json
    stub = ctx.stub()
    a = ctx.path("a.json")
    r = ctx.run("run", stub.url, "--requests", "20", "--out", a)
    assert r.rc == 0, r
    j = json.load(open(a))
    j["latency_ms"]["item"].update(p50=1e308, p99=1e308, max=1e308)
    b = ctx.write("b.json", json.dumps(j))
    r = ctx.run("diff", a, b)  # a damaged file must not overflow a table cell
    assert r.rc in (0, 1), r
    assert "item p50" in r.out


def test_diff_judges_the_slas_recorded_in_the_candidate(ctx):
    """The CI trap: two runs gated at p95<=60ms, the second failing,
    must not pass `diff` against the default p95<=800ms."""
    fast, slow = ctx.stub("--delay", "5ms"), ctx.stub("--delay", "100ms")
    a, b, out = ctx.path("a.json"), ctx.path("b.json"), ctx.path("c.json")
    r = ctx.run("run", fast.url, "-n", "20", "-c", "4", "--sla", "p95<=60ms", "--out", a, "-q")
    assert r.rc == 0, r
    r = ctx.run("run", slow.url, "-n", "20", "-c", "4", "--sla", "p95<=60ms", "--out", b, "-q")
    assert r.rc == 1, r
    r = ctx.run("diff", a, b, "-o", out)
    assert r.rc == 1, r
    c = tg.read_json(out)
    assert c["sla_source"] == "recorded" and [s["expr"] for s in c["sla"]] == ["p95<=60ms"], c
    assert c["sla"][0]["pass"] is False and c["sla_pass"] is False
    assert "with the SLAs recorded in it" in r.out and "FAIL  p95<=60ms" in r.out, r
    # --sla replaces them, and says so
    r = ctx.run("diff", a, b, "-o", out, "--sla", "p95<=800ms")
    assert r.rc == 0, r
    c = tg.read_json(out)
    assert c["sla_source"] == "option" and [s["expr"] for s in c["sla"]] == ["p95<=800ms"]
    assert "with the --sla given" in r.out, r
    # the other way round the candidate passes its own gate
    r = ctx.run("diff", b, a)
    assert r.rc == 0 and "PASS  p95<=60ms" in r.out, r
    # a candidate that records none is judged at the default, and the table says so
    r = ctx.run("run", fast.url, "-n", "20", "-c", "4", "--out", a, "-q")
    assert r.rc == 0, r
    r = ctx.run("diff", b, a, "-o", out)
    assert r.rc == 0 and "the default p95<=800ms" in r.out, r
    assert tg.read_json(out)["sla_source"] == "default"


def test_diff_refuses_a_comparison_as_a_result(ctx):
    base = write(ctx, "base.json", result(BASE_LAT, 1000))
    opt = write(ctx, "opt.json", result(OPT_LAT, 1000))
    out = ctx.path("cmp.json")
    assert ctx.run("diff", base, opt, "-o", out).rc == 0
    r = ctx.run("diff", out, opt)
    assert r.rc == 3 and "cmp.json" in r.err and "comparison" in r.err, r
    assert "requests.total" not in r.err, r


def test_diff_report_and_merge_name_the_kind_of_file_given(ctx):
    # Every JSON file tailgate writes, given where a run result belongs: the
    # message says what the file is and what the command takes, not which
    # member the other kind lacks.
    run = write(ctx, "run.json", result(OPT_LAT, 1000))
    cmp = ctx.path("cmp.json")
    assert ctx.run("diff", run, run, "-o", cmp).rc == 0
    sweep = write(ctx, "sweep.json", {"tool": "tailgate", "version": "0.1.0", "kind": "sweep",
                                      "config": None, "sweeps": [], "client_limited": False,
                                      "pass": False})
    stub = ctx.stub()
    status, _, body = tg.http(stub.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200
    stats = ctx.write("stats.json", body.decode())
    takes = ("diff compares two run results (tailgate run --out, or ab's "
             "baseline.json/optimized.json)")
    for path, what in ((sweep, "a sweep result (tailgate sweep --out)"),
                       (cmp, "a comparison (tailgate diff -o, or ab's comparison.json)"),
                       (stats, "the stub's counters (GET /stats of tailgate stub)")):
        r = ctx.run("diff", run, path)
        assert r.rc == 3, r
        assert r.err == f"tailgate diff: {path} is {what}, not a run result: {takes}\n", r
    # Anything else: the file, what is wrong, and what diff takes.
    other = write(ctx, "other.json", {"model": "m", "outputs": [1]})
    r = ctx.run("diff", other, run)
    assert r.err == (f'tailgate diff: {other} is not a file tailgate writes (no "tool": '
                     f'"tailgate"): {takes}\n'), r
    damaged = result(OPT_LAT, 1000)
    del damaged["requests"]["total"]
    damaged = write(ctx, "damaged.json", damaged)
    r = ctx.run("diff", run, damaged)
    assert r.err == (f'tailgate diff: {damaged} is not a valid run result: "requests.total" is '
                     f'missing; {takes}\n'), r
    # report: a sweep among run results, and a file as --comparison that is not one.
    r = ctx.run("report", run, sweep, "-o", ctx.path("x.html"))
    assert r.rc == 3, r
    assert f"{sweep} is a sweep result (tailgate sweep --out), not a run result: report takes " \
        "run results" in r.err, r
    r = ctx.run("report", run, "--comparison", sweep, "-o", ctx.path("x.html"))
    assert r.rc == 3, r
    assert r.err == (f"tailgate report: {sweep} is a sweep result (tailgate sweep --out), not a "
                     "comparison: --comparison takes a comparison (tailgate diff -o, or ab's "
                     "comparison.json)\n"), r
    r = ctx.run("merge", run, cmp)
    assert r.rc == 3 and f"{cmp} is a comparison" in r.err and "segments" in r.err, r
