"""Options do what their --help says, in every mode: the defaults --help
states are the ones a run records, and --idle-timeout ends a stalled stream
over HTTP/2 as over HTTP/1.1."""
import concurrent.futures
import os
import re

import tg


def test_help_defaults_are_the_real_defaults(ctx):
    """Each default run --help states is what a run given none records (and
    ab's sides what ab --help says they are)."""
    text = " ".join(ctx.run("run", "--help").out.split())
    stub = ctx.stub()
    out = ctx.path("o.json")
    r = ctx.run("run", stub.url, "-n", "3", "-o", out, "-q")
    assert r.rc == 0, r
    config = tg.read_json(out)["config"]
    # (what --help says, the config key, the value recorded)
    stated = [
        ("in flight (default 10)", "concurrency", 10),
        ("constant (default) or poisson", "arrival", "constant"),
        ("poisson arrivals (default 1)", "seed", 1),
        ("default: C in closed loop", "connections", 10),
        ("event-loop threads (default 1)", "threads", 1),
        ("(default 30s)", "timeout_ms", 30000),
        ("items per request (default 1)", "batch", 1),
        ("for its batch to fill (default 50ms)", "linger_ms", 50),
        ("or auto (default)", "inputs_format", "auto"),
        ("in the body (default example-model)", "model", "example-model"),
        ("POST (default) or PUT", "method", "POST"),
        ("--outputs; default, or status", "validate", "outputs"),
        ("(default: none; --timeout", "idle_timeout_ms", 0),
        ("HTTP/2: h2 by ALPN", "http2", "off"),
    ]
    for said, key, value in stated:
        assert said in text, said
        assert config[key] == value, (key, config[key], value)
    # ab's sides
    text = " ".join(ctx.run("ab", "--help").out.split())
    m = re.search(r'client options of the baseline run \(default "([^"]+)"\)', text)
    assert m and m.group(1) == "--batch 1 --connections 100", text
    m = re.search(r'client options of the optimized run \(default "([^"]+)";', text)
    assert m and m.group(1) == "--batch 10 --linger 50ms --connections 0", text
    d = ctx.path("ab")
    r = ctx.run("ab", stub.url, "--rate", "400", "--requests", "20", "--out-dir", d, "-q",
                "--no-verify", timeout=60)
    assert r.rc == 0, r
    base, opt = (tg.read_json(os.path.join(d, f"{s}.json"))["config"]
                 for s in ("baseline", "optimized"))
    assert (base["batch"], base["connections"]) == (1, 100), base
    assert (opt["batch"], opt["linger_ms"], opt["connections"]) == (10, 50, 0), opt


def test_idle_timeout_ends_a_stalled_stream_over_both_protocols(ctx):
    """--idle-timeout D: a stream silent for D ends as a timeout, long before
    --timeout, over HTTP/1.1 and over HTTP/2 (where it was ignored: the
    stalled stream waited for the whole --timeout); a stream whose events
    come closer together than D runs to its end however long it takes."""
    stall = ctx.write("stall.txt", "role\ntoken\nstall\n")
    slow = ctx.write("slow.txt", "role\ntoken\n" + "wait 300ms\ntoken\n" * 4 + "finish\ndone\n")
    stub = ctx.stub("--script", f"stalls={stall}", "--script", f"slow={slow}")

    def run(proto, model, *args):
        out = ctx.path(f"{model}{len(proto)}.json")
        r = ctx.run("run", stub.base + "/", "--api", "openai-chat", "--model", model,
                    "--idle-timeout", "1s", "-n", "2", "-c", "2", "-o", out, "-q", *proto, *args,
                    timeout=60)
        return r, tg.read_json(out)

    def both(proto):
        return run(proto, "stalls", "--timeout", "20s"), run(proto, "slow")

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for proto, ((r, res), (r2, res2)) in zip(([], ["--http2"]),
                                                 pool.map(both, ([], ["--http2"]))):
            assert r.rc == 1, (proto, r)
            assert res["requests"]["by_error"] == {"timeout": 2}, (proto, res["requests"])
            assert r.seconds < tg.slack(ctx, 6000) / 1000, (proto, r.seconds)
            assert r2.rc == 0 and res2["requests"]["ok"] == 2, (proto, r2)
            assert res2["latency_ms"]["item"]["max"] >= 1200, (proto, res2["latency_ms"])
