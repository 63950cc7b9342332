"""Options as a user meets them: durations need a unit, ab's shared client
options reach both runs, secrets never reach a file, `tailgate help CMD`,
a plain GET without a body file, and the error_rate unit warning."""
import http.server
import json
import os
import threading

import tg


def test_duration_needs_a_unit(ctx):
    r = ctx.run("run", "http://127.0.0.1:9/x", "--timeout", "5")
    assert r.rc == 2, r
    assert "--timeout 5: give a unit, e.g. 5s or 5ms" in r.err, r.err
    for cmd, opt in (("run", "--duration"), ("run", "--warmup"), ("run", "--linger"),
                     ("stub", "--delay"), ("stub", "--per-item"), ("stub", "--header-timeout"),
                     ("stub", "--stall-every"), ("stub", "--jitter-scale")):
        args = [cmd] + (["http://127.0.0.1:9/x"] if cmd == "run" else []) + [opt, "250"]
        r = ctx.run(*args, timeout=10)
        assert r.rc == 2 and f"{opt} 250: give a unit, e.g. 250s or 250ms" in r.err, (args, r)
    r = ctx.run("ab", "http://127.0.0.1:9/x", "--optimized", "--linger 5")
    assert r.rc == 2 and "--linger 5: give a unit" in r.err and "--optimized" in r.err, r
    # 0 is 0 in every unit; 5ms is 5 ms
    stub = ctx.stub()
    out = ctx.path("o.json")
    r = ctx.run("run", stub.url, "--timeout", "5ms", "--warmup", "0", "--linger", "0",
                "--requests", "20", "--concurrency", "1", "--out", out)
    assert r.rc == 0, r
    res = tg.read_json(out)
    assert res["config"]["timeout_ms"] == 5 and res["config"]["linger_ms"] == 0, res["config"]
    assert res["requests"]["total"] == 20, res["requests"]


def ab_configs(ctx, stub, name, *args):
    d = ctx.path(name)
    r = ctx.run("ab", stub.url, "--rate", "200", "--requests", "100", "--out-dir", d, "-q", *args)
    assert r.rc == 0, (args, r)
    return [tg.read_json(os.path.join(d, f"{s}.json"))["config"]
            for s in ("baseline", "optimized")]


def test_ab_shared_client_options_apply_to_both_sides(ctx):
    stub = ctx.stub("--delay", "2ms")
    base, opt = ab_configs(ctx, stub, "a", "--connections", "7", "--linger", "5ms")
    for c in (base, opt):
        assert c["connections"] == 7 and c["linger_ms"] == 5, c
    assert base["batch"] == 1 and opt["batch"] == 10, (base, opt)
    base, opt = ab_configs(ctx, stub, "b", "--batch", "4")
    assert base["batch"] == 4 and opt["batch"] == 4, (base, opt)
    # a side's own value wins over the shared one; -H adds to a side's headers
    base, opt = ab_configs(ctx, stub, "c", "--batch", "4", "-H", "X-A: 1",
                           "--optimized", "--batch 8 -H 'X-B: 2'")
    assert base["batch"] == 4 and opt["batch"] == 8, (base, opt)
    assert base["headers"] == ["X-A: 1"] and opt["headers"] == ["X-A: 1", "X-B: 2"], (base, opt)
    assert opt["connections"] == 0 or opt["load"] == "open", opt


SECRETS = ("sk-SECRET-ONE", "SECRET-TWO", "SECRET-THREE", "SECRET-FOUR", "SECRET-FIVE")


def secret_headers():
    return ["-H", f"Authorization: Bearer {SECRETS[0]}", "-H", f"X-Api-Key: {SECRETS[1]}",
            "-H", f"Cookie: session={SECRETS[2]}", "-H", f"X-Auth-Token: {SECRETS[3]}",
            "-H", "X-Trace: visible-value"]


def files_under(d):
    for root, _, names in os.walk(d):
        for n in names:
            yield os.path.join(root, n)


def test_secrets_are_redacted_in_every_output(ctx):
    stub = ctx.stub()
    d = ctx.path("run")
    os.mkdir(d)
    out, log, html = (os.path.join(d, n) for n in ("o.json", "l.csv", "r.html"))
    r = ctx.run("run", stub.url + "?api_key=SECRET-FIVE&n=1", "--requests", "20", "--out", out,
                "--log", log, *secret_headers())
    assert r.rc == 0, r
    rep = ctx.run("report", out, "-o", html)
    assert rep.rc == 0, rep
    ab_dir = os.path.join(d, "ab")
    a = ctx.run("ab", stub.url, "--rate", "200", "--requests", "50", "--out-dir", ab_dir,
                *secret_headers())
    assert a.rc == 0, a
    written = list(files_under(d))
    assert len(written) == 9, written  # 3 from run/report, 6 from ab
    for p in written:
        text = open(p, encoding="utf-8", errors="replace").read()
        for s in SECRETS:
            assert s not in text, (p, s)
    for text in (r.out, r.err, rep.out, rep.err, a.out, a.err):
        for s in SECRETS:
            assert s not in text, s
    assert tg.read_json(out)["requests"]["ok"] == 20, r
    headers = tg.read_json(out)["config"]["headers"]
    assert headers == ["Authorization: <redacted>", "X-Api-Key: <redacted>",
                       "Cookie: <redacted>", "X-Auth-Token: <redacted>",
                       "X-Trace: visible-value"], headers
    assert tg.read_json(out)["config"]["url"].endswith("?api_key=<redacted>&n=1")
    assert "&lt;redacted&gt;" in open(html).read()
    # --show-secrets writes them as given
    out2 = ctx.path("shown.json")
    r = ctx.run("run", stub.url + "?api_key=SECRET-FIVE", "--requests", "5", "--out", out2,
                "--show-secrets", *secret_headers())
    assert r.rc == 0, r
    text = open(out2).read()
    assert all(s in text for s in SECRETS), text


def test_help_command(ctx):
    for cmd in ("run", "ab", "stub", "diff", "report"):
        h = ctx.run("help", cmd)
        direct = ctx.run(cmd, "--help")
        assert h.rc == 0 and h.out == direct.out and f"usage: tailgate {cmd}" in h.out, (cmd, h)
    r = ctx.run("help")
    assert r.rc == 0 and "commands:" in r.out, r
    # exit 1 is also a failed --max-regression gate, or a run where every request failed
    assert "--max-regression" in r.out and "every request failed" in r.out, r.out
    r = ctx.run("help", "bogus")
    assert r.rc == 2 and "unknown command 'bogus'" in r.err, r


class PlainHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def do_GET(self):
        PlainHandler.seen.append((self.command, self.headers.get("Content-Length")))
        body = b"<html>hello</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_get_alone_against_a_plain_server(ctx):
    PlainHandler.seen = []
    srv = tg.HTTPServer(("127.0.0.1", 0), PlainHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/index.html"
        out = ctx.path("o.json")
        r = ctx.run("run", url, "-m", "GET", "--requests", "30", "--concurrency", "2",
                    "--out", out)
        assert r.rc == 0, r
        res = tg.read_json(out)
        assert res["requests"]["ok"] == 30 and res["requests"]["errors"] == 0, res["requests"]
        assert res["config"]["method"] == "GET" and res["config"]["validate"] == "status"
        assert res["config"]["inputs"] == "none", res["config"]
        assert len(PlainHandler.seen) >= 30, len(PlainHandler.seen)
        assert all(m == "GET" and cl is None for m, cl in PlainHandler.seen), PlainHandler.seen
        # ab too: a plain GET has nothing to batch, so the optimized side pools connections
        d = ctx.path("ab")
        r = ctx.run("ab", url, "-m", "GET", "--rate", "100", "--requests", "50", "--out-dir", d,
                    "-q")
        assert r.rc == 0, r
        for side in ("baseline", "optimized"):
            res = tg.read_json(os.path.join(d, f"{side}.json"))
            assert res["requests"]["ok"] == 50 and res["config"]["batch"] == 1, res
        r = ctx.run("run", url, "-m", "GET", "--inputs", ctx.write("i.jsonl", "1\n"))
        assert r.rc == 2 and "--inputs" in r.err and "GET" in r.err, r
    finally:
        srv.shutdown()
        srv.server_close()


def test_error_rate_without_percent_warns(ctx):
    stub = ctx.stub()
    r = ctx.run("run", stub.url, "--requests", "10", "--sla", "error_rate<0.01")
    assert r.rc == 0, r
    assert "warning" in r.err and "error_rate<0.01" in r.err and "0.01%" in r.err, r.err
    assert "1 error in 10000 requests" in r.err, r.err
    for ok in ("error_rate<0.01%", "error_rate<1", "error_rate<=0"):
        r = ctx.run("run", stub.url, "--requests", "10", "--sla", ok)
        assert r.rc == 0 and "warning" not in r.err, (ok, r)
    d = ctx.path("x.json")
    assert ctx.run("run", stub.url, "--requests", "10", "--out", d).rc == 0
    r = ctx.run("diff", d, d, "--sla", "error_rate<0.5")
    assert "warning" in r.err and "0.5%" in r.err, r


def test_long_bad_sla_message_is_whole(ctx):
    """A long bad --sla expression: run, diff and report print the whole
    message -- the expression as typed, the problem, and the list of valid
    metrics to its end -- never a message cut mid-word by a buffer."""
    expr = ("p95 <= 800ms and also keep the error rate under one percent and the "
            "throughput over 500 items per second")
    stub = ctx.stub()
    res = ctx.path("r.json")
    assert ctx.run("run", stub.url, "--requests", "5", "--out", res).rc == 0
    for args in (("run", stub.url), ("diff", res, res), ("report", res, "-o", ctx.path("r.html"))):
        for bad in (expr, "request.p99.9 < 800 milliseconds please, or at most one second"):
            r = ctx.run(*args, "--sla", bad)
            assert r.rc == 2, (args, r)
            assert f'SLA "{bad}": ' in r.err, (args, r.err)
            line = r.err.splitlines()[0]
            assert line.endswith('"error_rate<1%", "ips>=500")'), line
            assert 'the same prefixed with "request."' in line, line
    r = ctx.run("run", stub.url, "--sla", expr)
    assert "longer than 95 characters" in r.err, r.err
