"""The HTML report states the figures the console summary and the result JSON
state, for a streamed run too."""
import html
import re

import tg


def cells(page, name):
    m = re.search(r"<tr><td>" + re.escape(name) + r"</td>(.*?)</tr>", page)
    assert m, name
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(1))]


def test_report_states_a_streamed_runs_tokens(ctx):
    stub = ctx.stub()
    res, plain, page = ctx.path("chat.json"), ctx.path("plain.json"), ctx.path("r.html")
    r = ctx.run("run", stub.base, "--api", "openai-chat", "--requests", "50", "--goodput",
                "ttft<=10s", "--out", res, timeout=30)
    assert r.rc == 0 and "tokens/s" in r.out, r
    r = ctx.run("run", stub.url, "--requests", "20", "--out", plain, "-q", timeout=30)
    assert r.rc == 0, r
    r = ctx.run("report", res, plain, "-o", page)
    assert r.rc == 0, r
    s = tg.read_json(res)["stream"]
    text = open(page).read()
    assert cells(text, "output tokens") == [str(s["tokens_out"]), "-"]
    assert cells(text, "output tokens/s") == [f"{s['output_tokens_per_s']:.1f}", "-"]
    assert cells(text, "busiest second (tokens)") == [str(s["peak_output_tokens_in_1s"]), "-"]
    assert cells(text, "goodput (good requests/s)") == [f"{s['goodput_per_s']:.1f}", "-"]
    assert cells(text, "slo attainment (%)") == [f"{s['slo_attainment_pct']:.1f}", "-"]
