"""Gates that must not pass when they should fail, and failures that say why:
answers that are not what --validate wants (nginx's static page, a
{"predictions": ...} endpoint, too few outputs), a run in which every request
failed, --quiet with a failing gate."""
import http.server
import json
import os
import threading

import tg
from tg import NGINX, free_port

PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body><h1>Welcome to nginx!</h1><p>If you see this page, the nginx web server is
successfully installed and working. Further configuration is required.</p></body>
</html>
"""


class Nginx(tg.Nginx):
    """nginx serving a static HTML page, 200 to POST too (as a site whose
    every path answers with its front page does)."""

    def __init__(self, ctx):
        self.port = free_port()
        os.chmod(ctx.tmp, 0o755)  # nginx's workers may run as another user: let them in
        d = tg.nginx_dir(ctx)
        os.makedirs(os.path.join(d, "html"), exist_ok=True)
        with open(os.path.join(d, "html", "index.html"), "w") as f:
            f.write(PAGE)
        super().__init__(ctx, f"""    server {{
        listen 127.0.0.1:{self.port};
        root {d}/html;
        location / {{ error_page 405 =200 $uri; }}
    }}""", [self.port])


def test_nginx_page_is_invalid_with_a_reason(ctx):
    """Against nginx's front page every request is invalid_response: the
    summary shows the first answer (status, the start of its body) and why it
    failed, suggests --validate status, and the run exits 1 without any
    --sla; the result file carries the sample and reads back exactly."""
    if not os.path.exists(NGINX):
        raise AssertionError("nginx is not installed (Debian nginx-light)")
    ng = Nginx(ctx)
    url = f"http://127.0.0.1:{ng.port}/index.html"
    out = ctx.path("out.json")
    r = ctx.run("run", url, "--requests", "40", "--concurrency", "2", "--out", out)
    assert r.rc == 1, r
    assert "first invalid_response: request " in r.out, r.out
    assert ", status 200: the answer is not JSON (byte 0)" in r.out, r.out
    shown = PAGE[:200].replace("\n", "\\n")  # the first 200 bytes, printable
    assert f"    body ({len(PAGE)} bytes): {shown}...\n" in r.out, r.out
    assert "--validate status counts every 2xx answer as ok" in r.out, r.out
    assert "every request failed (40 invalid_response)" in r.err, r.err
    first = tg.read_json(out)["requests"]["first_errors"]
    assert list(first) == ["invalid_response"], first
    s = first["invalid_response"]
    assert s["status"] == 200 and s["body_bytes"] == len(PAGE), s
    assert s["reason"] == "the answer is not JSON (byte 0)", s
    assert s["body"] == shown, s
    assert 1 <= s["request_id"] <= 40, s
    # As suggested: the status alone passes, and nothing is sampled.
    r = ctx.run("run", url, "--requests", "40", "--concurrency", "2", "--validate", "status",
                "--out", out)
    assert r.rc == 0 and "first " not in r.out and "every request" not in r.err, r
    assert "first_errors" not in tg.read_json(out)["requests"]


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers a JSON body of the server's own shape: ("predictions", k)
    {"predictions": [...k]}; ("short", k) {"outputs": [...k-2]}."""
    protocol_version = "HTTP/1.1"
    shape = "predictions"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        k = len(json.loads(self.rfile.read(n))["inputs"])
        if self.shape == "predictions":
            doc = {"predictions": [[0.25, 0.75]] * k}
        else:
            doc = {"outputs": [1] * max(k - 2, 0)}
        body = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(shape):
    handler = type("H", (Handler,), {"shape": shape})
    srv = tg.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/predict"


def test_foreign_json_shapes_say_why(ctx):
    srv, url = serve("predictions")
    try:
        out = ctx.path("p.json")
        r = ctx.run("run", url, "--requests", "20", "--concurrency", "2", "--out", out)
        assert r.rc == 1, r
        assert ', status 200: no "outputs" array' in r.out, r.out
        doc = json.dumps({"predictions": [[0.25, 0.75]]})
        assert f"    body ({len(doc)} bytes): {doc}\n" in r.out, r.out
        assert "--validate status" in r.out and "every request failed" in r.err, r
        assert tg.read_json(out)["requests"]["first_errors"]["invalid_response"]["reason"] == \
            'no "outputs" array'
    finally:
        srv.shutdown()
        srv.server_close()
    srv, url = serve("short")
    try:
        r = ctx.run("run", url, "--requests", "20", "--concurrency", "2", "--batch", "5")
        assert r.rc == 1, r
        assert ", status 200: 3 outputs for 5 inputs" in r.out, r.out
        doc = json.dumps({"outputs": [1, 1, 1]})
        assert f"    body ({len(doc)} bytes): {doc}\n" in r.out, r.out
    finally:
        srv.shutdown()
        srv.server_close()


def test_some_errors_keep_exit_0_and_show_the_first(ctx):
    """A run with some errors and no gate exits 0 (only a gate, or a run
    with no success at all, fails it); the first 5xx answer is shown."""
    stub = ctx.stub("--delay", "1ms", "--error-rate", "0.3", "--seed", "5")
    out = ctx.path("o.json")
    r = ctx.run("run", stub.url, "--requests", "100", "--concurrency", "4", "--out", out)
    assert r.rc == 0, r
    req = tg.read_json(out)["requests"]
    assert 0 < req["errors"] < 100, req
    s = req["first_errors"]["http_5xx"]
    assert s["status"] == 500 and s["body"] and s["body_bytes"] > 0, s
    assert f"first http_5xx: request {s['request_id']}, status 500" in r.out, r.out
    assert "every request failed" not in r.err, r.err
    r = ctx.run("run", stub.url, "--requests", "100", "--concurrency", "4", "--sla",
                "error_rate<1%")
    assert r.rc == 1, r


def test_quiet_still_prints_each_failed_gate(ctx):
    """-q prints no summary, but a failing gate still says so on stderr, one
    line per failed gate; passing gates stay silent."""
    stub = ctx.stub("--delay", "5ms")
    r = ctx.run("run", stub.url, "--requests", "20", "--concurrency", "2", "-q",
                "--sla", "p95<=1ms", "--sla", "p99<=10s", "--sla", "ips>=1000000")
    assert r.rc == 1, r
    assert r.out == "", r.out
    lines = [ln for ln in r.err.splitlines() if ln]
    assert len(lines) == 2, r.err
    assert lines[0].startswith("tailgate run: FAIL SLA p95<=1ms: measured "), lines
    assert lines[0].endswith(" ms"), lines
    assert lines[1].startswith("tailgate run: FAIL SLA ips>=1000000: measured "), lines
    r = ctx.run("run", stub.url, "--requests", "20", "--concurrency", "2", "-q",
                "--sla", "p99<=10s")
    assert r.rc == 0 and r.out == "" and r.err == "", r
    # every request failed, quietly: still one line
    r = ctx.run("run", stub.url.replace("/v1/infer", "/nowhere"), "--requests", "5", "-q")
    assert r.rc == 1 and r.out == "", r
    assert r.err.startswith("tailgate run: FAIL every request failed (5 http_4xx)"), r.err


def test_closed_loop_ab_explains_different_counts(ctx):
    """ab in a closed loop bounded by --duration: the two runs send different
    numbers of items from the same inputs. That is said as such (a note with
    both counts and why), not as the warning that the inputs differ, and the
    comparison records that both drew from the same sequence."""
    stub = ctx.stub("--delay", "5ms")
    inputs = ctx.write("in.jsonl", "".join(f'{{"x": {i}}}\n' for i in range(7)))
    d = ctx.path("out")
    r = ctx.run("ab", stub.url, "--concurrency", "4", "--duration", "1s", "--inputs", inputs,
                "--out-dir", d, "--no-verify")
    assert r.rc == 0, r
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    nb, no = cmp["baseline"]["items"], cmp["optimized"]["items"]
    assert nb != no, cmp  # batch 1 vs batch 10 in the same second
    assert cmp["inputs_identical"] is False and cmp["inputs_same_source"] is True, cmp
    base, opt = (tg.read_json(os.path.join(d, f)) for f in ("baseline.json", "optimized.json"))
    assert base["inputs_source"] == opt["inputs_source"] and base["inputs_source"], base
    assert base["inputs_digest"] != opt["inputs_digest"]
    assert "WARNING" not in r.err, r.err
    assert f"different numbers of items (baseline {nb}, optimized {no})" in r.err, r.err
    assert "--requests N sends the same N" in r.err, r.err
    assert "inputs: the same sequence, not the same items (see the note)" in r.out, r.out
    # --requests: identical, nothing said
    r = ctx.run("ab", stub.url, "--concurrency", "4", "--requests", "200", "--inputs", inputs,
                "--out-dir", d, "--no-verify", "-q")
    assert r.rc == 0 and "note" not in r.err and "WARNING" not in r.err, r
    assert tg.read_json(os.path.join(d, "comparison.json"))["inputs_identical"] is True
    # other inputs: the loud warning stays
    other = ctx.write("other.jsonl", '{"x": 99}\n')
    o2 = ctx.path("o2.json")
    assert ctx.run("run", stub.url, "-c", "4", "-n", "50", "--inputs", other, "--out", o2).rc == 0
    r = ctx.run("diff", os.path.join(d, "baseline.json"), o2)
    assert "WARNING: the two runs did NOT send identical inputs" in r.err, r.err


def test_a_run_that_made_no_request_fails(ctx):
    """A window in which no arrival fell (rate 0.5/s: one arrival in the
    warmup, the next after the end) measured nothing: it fails like a run
    whose every request failed, --sla or not, and so does its saved result
    given to diff (it had exited 0 and printed a table of dashes)."""
    stub = ctx.stub("--delay", "1ms")
    out = ctx.path("none.json")
    r = ctx.run("run", stub.url, "--rate", "0.5", "-d", "1s", "--warmup", "1s", "-q",
                "--out", out)
    assert tg.read_json(out)["requests"]["total"] == 0
    assert r.rc == 1 and r.out == "", r
    assert r.err == ("tailgate run: FAIL no request was made: a run with no successful "
                     "request fails, --sla or not\n"), r.err
    r = ctx.run("diff", out, out)
    assert r.rc == 1, r
    assert "FAIL (" in r.out and "the optimized run made no request" in r.out, r.out


def test_validate_none_still_counts_failed_statuses(ctx):
    """--validate none skips the checks on the answer, not the server's own
    word that a request failed: half the answers 500 fail error_rate<1%
    (it passed, every 500 counted ok), and a server that sheds load with
    fast errors cannot pass a latency gate on them."""
    stub = ctx.stub("--delay", "1ms", "--error-rate", "0.5", "--seed", "3")
    out = ctx.path("none.json")
    r = ctx.run("run", stub.url, "--requests", "100", "--concurrency", "4", "--validate",
                "none", "--sla", "error_rate<1%", "-q", "--out", out)
    assert r.rc == 1, r
    assert "FAIL SLA error_rate<1%" in r.err, r.err
    req = tg.read_json(out)["requests"]
    assert req["by_error"].get("http_5xx", 0) == req["by_status"]["500"] > 0, req
    # a 2xx that is not JSON is still fine under none
    r = ctx.run("run", stub.base + "/healthz", "-m", "GET", "--requests", "20", "--validate",
                "none", "--sla", "error_rate<=0", "-q")
    assert r.rc == 0, r


def test_diff_of_an_interrupted_run_is_no_pass(ctx):
    """A run stopped by SIGINT wrote what it did and exited 130; diff of that
    file passed (exit 0) on the part that ran, and explained its fewer items
    as a closed loop's. It fails, saying which run was interrupted."""
    stub = ctx.stub("--delay", "1ms")
    full = ctx.path("full.json")
    assert ctx.run("run", stub.url, "--rate", "100", "-n", "50", "-q", "--out", full).rc == 0
    doc = tg.read_json(full)
    doc["interrupted"] = True
    cut = ctx.write("cut.json", json.dumps(doc))
    cmp = ctx.path("cmp.json")
    r = ctx.run("diff", full, full, "-o", cmp)
    assert r.rc == 0, r
    assert tg.read_json(cmp)["optimized"]["interrupted"] is False
    r = ctx.run("diff", full, cut, "-o", cmp)
    assert r.rc == 1, r
    assert "verdict: FAIL (SLA met; the optimized run was interrupted)" in r.out, r.out
    c = tg.read_json(cmp)
    assert c["pass"] is False and c["sla_pass"] is True, c
    assert c["optimized"]["interrupted"] is True and c["baseline"]["interrupted"] is False, c
    r = ctx.run("diff", cut, full)
    assert r.rc == 1 and "the baseline was interrupted" in r.out, r
