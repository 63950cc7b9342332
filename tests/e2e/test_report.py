"""tailgate report: the HTML report from result and comparison files.

The sample results in data/ were recorded with `tailgate run` against the stub
(baseline: batch 1 into an overloaded batching server; optimized: batch 10) and
`tailgate diff`; connrefused.json and nohist.json are hand-edited variants (no
successful request at all; a result without its histogram)."""
import os
import re
import shutil
import struct
import subprocess
import zlib

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CHARTS = ["chart-percentiles", "chart-latency-time", "chart-throughput"]
CHROMIUM = "/usr/bin/chromium"


def data(name):
    return os.path.join(DATA, name)


def well_formed(path):
    p = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
    assert p.returncode == 0, f"xmllint: {path} is not well-formed XML:\n{p.stderr[-3000:]}"


def self_contained(html):
    assert "<script" not in html.lower(), "the report contains a script"
    # The namespace declarations are the only URLs allowed in the file.
    rest = re.sub(r'xmlns="http://www\.w3\.org/(1999/xhtml|2000/svg)"', "", html)
    for bad in ("http://", "https://", "src=", "href=", "url(", "@import"):
        assert bad not in rest, f"the report refers to something outside itself: {bad!r}"


def render(ctx, *args, out="report.html"):
    path = ctx.path(out)
    r = ctx.run("report", *args, "-o", path)
    assert r.rc == 0, r
    well_formed(path)
    with open(path, encoding="utf-8") as f:
        html = f.read()
    self_contained(html)
    for chart in CHARTS:
        assert f'id="{chart}"' in html, f"{chart} missing"
    return path, html


def test_report_two_runs_and_comparison(ctx):
    path, html = render(ctx, data("baseline.json"), data("optimized.json"),
                        "--comparison", data("comparison.json"), "--title", "ab <demo> & co")
    assert 'id="chart-comparison"' in html
    assert "<title>ab &lt;demo&gt; &amp; co</title>" in html
    assert "baseline: SLA FAIL" in html and "optimized: SLA PASS" in html
    assert "optimized p95&lt;=800ms: PASS" in html
    assert "-93.5%" in html  # the p95 delta of comparison.json
    # Both runs appear in every chart's legend; the SLA is drawn as a dashed line.
    for chart in CHARTS[:2]:
        svg = re.search(rf'<svg[^>]*id="{chart}".*?</svg>', html, re.S).group(0)
        assert ">baseline</text>" in svg and ">optimized</text>" in svg, chart
        assert re.search(r'<line class="sla"[^>]*stroke-dasharray', svg), chart
    # The percentile axis is labelled like HdrHistogram's plots.
    for label in ("0%", "90%", "99%", "99.9%", "99.99%"):
        assert f">{label}</text>" in html, label
    # Configuration and the summary make the report stand alone.
    assert 'id="summary"' in html and 'id="config"' in html and 'id="sla"' in html
    assert "http&#58;//127.0.0.1:18556/v1/infer" in html  # the target, shown as text


def test_report_degenerate_runs(ctx):
    _, html = render(ctx, data("connrefused.json"), out="refused.html")
    assert "no successful requests: 50 errors (connect_refused)" in html
    assert "no response: 50" in html and "0: 50" not in html  # status 0 is no answer
    assert "not measured" in html  # its SLA had no value to judge
    _, html = render(ctx, data("all500.json"), out="all500.html")
    assert "no successful requests: 40 errors (http_5xx)" in html
    _, html = render(ctx, data("single.json"), out="single.html")
    assert "a single successful request" in html
    assert "the timeline has one point" in html
    assert "<circle" in html  # one-point series are drawn as dots
    _, html = render(ctx, data("nohist.json"), out="nohist.html")
    svg = re.search(r'<svg[^>]*id="chart-percentiles".*?</svg>', html, re.S).group(0)
    assert "<polyline" in svg  # drawn from the stored percentiles
    # every degenerate kind together, with a comparison
    render(ctx, data("connrefused.json"), data("single.json"), data("baseline.json"),
           "--comparison", data("comparison.json"), out="mixed.html")


def test_report_writes_through_links_and_pipes(ctx):
    """A report is written to a temporary file and renamed into place, but
    never over something that is not a regular file: a link stays a link (its
    file gets the report) and a pipe gets the report through it. (Renamed
    over, /dev/null given as -o would itself have become a file.)"""
    import threading
    real, link = ctx.path("real.html"), ctx.path("link.html")
    with open(real, "w") as f:
        f.write("old")
    os.symlink(real, link)
    r = ctx.run("report", data("single.json"), "-o", link)
    assert r.rc == 0, r
    assert os.path.islink(link), "the link was replaced by a file"
    with open(real, encoding="utf-8") as f:
        assert "<svg" in f.read()
    fifo = ctx.path("pipe.html")
    os.mkfifo(fifo)
    got = []
    t = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    t.start()
    r = ctx.run("report", data("single.json"), "-o", fifo, timeout=20)
    t.join(10)
    assert r.rc == 0, r
    assert os.path.exists(fifo) and not os.path.isfile(fifo), "the pipe was replaced by a file"
    assert got and b"<svg" in got[0]


def test_report_sla_option(ctx):
    _, html = render(ctx, data("optimized.json"), "--sla", "p99<=100ms", "--sla", "ips>=100")
    assert "SLA p99&lt;=100ms" in html
    assert "p99&lt;=100ms (report --sla)" in html
    assert "optimized: SLA FAIL" in html  # p99 is 229 ms
    r = ctx.run("report", data("optimized.json"), "--sla", "p77<<3", "-o", ctx.path("x.html"))
    assert r.rc == 2 and "--sla" in r.err, r


def test_report_judges_recorded_slas_unless_sla_given(ctx):
    path, html = render(ctx, data("optimized.json"), out="rec.html")
    table = re.search(r'<table id="sla">.*?</table>\s*<p>(.*?)</p>', html, re.S)
    assert "p95&lt;=800ms" in table.group(0) and "error_rate&lt;2%" in table.group(0)
    assert "each run records" in table.group(1)
    r = ctx.run("report", data("optimized.json"), "-o", ctx.path("rec2.html"))
    assert r.rc == 0 and "SLAs judged: those each run records" in r.err, r
    _, html = render(ctx, data("optimized.json"), "--sla", "p99<=100ms", out="opt.html")
    table = re.search(r'<table id="sla">.*?</table>\s*<p>(.*?)</p>', html, re.S)
    assert "p99&lt;=100ms (report --sla)" in table.group(0)
    assert "p95&lt;=800ms" not in table.group(0), "--sla replaces the recorded SLAs"
    assert "instead of the SLAs the runs record" in table.group(1)
    r = ctx.run("report", data("optimized.json"), "--sla", "p99<=100ms", "-o",
                ctx.path("opt2.html"))
    assert r.rc == 0 and "SLAs judged: the --sla given" in r.err, r


def test_report_usage_and_file_errors(ctx):
    r = ctx.run("report", "--help")
    assert r.rc == 0 and "-o" in r.out, r
    r = ctx.run("report", data("optimized.json"))
    assert r.rc == 2 and "-o" in r.err, r
    r = ctx.run("report", "-o", ctx.path("x.html"))
    assert r.rc == 2 and "no result" in r.err, r
    r = ctx.run("report", data("optimized.json"), "--bogus", "-o", ctx.path("x.html"))
    assert r.rc == 2 and "--bogus" in r.err, r
    missing = ctx.path("missing.json")
    r = ctx.run("report", missing, "-o", ctx.path("x.html"))
    assert r.rc == 3 and "missing.json" in r.err and "No such file" in r.err, r
    bad = ctx.write("bad.json", '{"tool": "tailgate", "requests": {\n  "total": 3,,\n}')
    r = ctx.run("report", bad, "-o", ctx.path("x.html"))
    assert r.rc == 3 and "bad.json" in r.err and "line 2" in r.err, r
    odd = ctx.write("odd.json", '{"tool": "tailgate", "requests": {"total": "many"}}')
    r = ctx.run("report", odd, "-o", ctx.path("x.html"))
    assert r.rc == 3 and "odd.json" in r.err and "requests.total" in r.err, r
    r = ctx.run("report", data("comparison.json"), "-o", ctx.path("x.html"))
    assert r.rc == 3 and "--comparison" in r.err, r
    r = ctx.run("report", data("optimized.json"), "--comparison", data("optimized.json"),
                "-o", ctx.path("x.html"))
    assert r.rc == 3 and "optimized.json is a run result (tailgate run --out), not a " \
        "comparison: --comparison takes" in r.err, r
    r = ctx.run("report", data("optimized.json"), "-o", ctx.path("no/such/dir/r.html"))
    assert r.rc == 3 and "no/such/dir/r.html" in r.err, r
    # the output, not an input, is what failed: the message says so
    assert "cannot write" in r.err, r
    assert not os.path.exists(ctx.path("x.html"))
    # -o - writes the report to stdout
    r = ctx.run("report", data("single.json"), "-o", "-")
    assert r.rc == 0 and r.out.startswith("<!DOCTYPE html>") and r.out.endswith("</html>\n"), r


def test_report_from_a_live_run(ctx):
    stub = ctx.stub("--delay", "5ms", "--jitter", "exp", "--jitter-scale", "3ms")
    res = ctx.path("live.json")
    r = ctx.run("run", stub.url, "--rate", "100", "--duration", "1500ms", "--batch", "4",
                "--sla", "p95<=500ms", "--out", res)
    assert r.rc == 0, r
    _, html = render(ctx, res, out="live.html")
    svg = re.search(r'<svg[^>]*id="chart-percentiles".*?</svg>', html, re.S).group(0)
    assert svg.count("<polyline") >= 2  # item and (batch 4) request latency


# ---- screenshot ----------------------------------------------------------


def png_colours(path, limit=64):
    """Distinct colours of an 8-bit RGB/RGBA/grey PNG (non-interlaced), up to limit."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(raw):
        (length,) = struct.unpack(">I", raw[pos:pos + 4])
        kind, body = raw[pos + 4:pos + 8], raw[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and ctype in (0, 2, 4, 6), (depth, ctype)
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    data_ = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(height):
        start = y * (stride + 1)
        ftype = data_[start]
        line = bytearray(data_[start + 1:start + 1 + stride])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        else:
            assert ftype == 0, f"bad PNG filter {ftype}"
        if len(colours) < limit:
            for x in range(0, stride, bpp * 7):
                colours.add(bytes(line[x:x + bpp]))
        prev = line
    return colours


def test_report_screenshot_not_blank(ctx):
    assert os.path.exists(CHROMIUM), (
        f"{CHROMIUM} is missing: the report's screenshot test needs it "
        "(Debian: apt-get install -y chromium)")
    path, _ = render(ctx, data("baseline.json"), data("optimized.json"),
                     "--comparison", data("comparison.json"))
    png = ctx.path("report.png")
    profile = ctx.path("chromium-profile")
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", f"--screenshot={png}",
                        "--window-size=1280,2400", "file://" + path],
                       capture_output=True, text=True, timeout=120)
    assert os.path.exists(png), f"chromium wrote no screenshot (exit {p.returncode}):\n{p.stderr[-2000:]}"
    colours = png_colours(png)
    assert len(colours) > 8, f"the screenshot looks blank: {len(colours)} colours"
    if os.environ.get("TG_KEEP_SCREENSHOT"):
        shutil.copy(png, os.environ["TG_KEEP_SCREENSHOT"])
