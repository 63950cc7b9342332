"""The streaming APIs' presets stream by default: `run --api openai-chat`
(completions, TGI) asks for a stream and times its tokens, `--no-stream`
asks for and times whole answers, `--stream` where the API cannot stream is
a usage error; and streamed answers over HTTP/2 (h2c), timed per stream."""
import tg

STREAM_COLUMNS = ["ttft_ms", "tpot_ms", "tokens_out", "tokens_estimated", "chunks"]


def run(ctx, base, *args, name="r"):
    out, log = ctx.path(f"{name}.json"), ctx.path(f"{name}.csv")
    r = ctx.run("run", base, "--out", out, "--log", log, "--no-progress", *args)
    assert r.rc == 0, r
    return r, tg.read_json(out), tg.read_csv(log)


def check_streamed(api, res, rows, n, tokens, step_ms):
    assert res["config"]["stream"] is True, (api, res["config"])
    assert res["requests"]["ok"] == n and len(rows) == n, (api, res["requests"])
    assert list(rows[0].keys())[-5:] == STREAM_COLUMNS, (api, rows[0])
    for row in rows:
        # Every token its own event; the count from the server's usage
        # (OpenAI's include_usage, TGI's details), not estimated.
        assert row["error"] == "", (api, row)
        assert (row["tokens_out"], row["chunks"], row["tokens_estimated"]) == \
            (str(tokens), str(tokens), "0"), (api, row)
        # Decoding time measured: the tokens came one step apart (a late
        # first token on a busy machine shortens what is left for tpot).
        assert float(row["tpot_ms"]) >= step_ms / 4, (api, row)
        assert float(row["ttft_ms"]) < float(row["latency_ms"]), (api, row)
    lat = res["latency_ms"]
    assert lat["ttft"]["count"] == n and lat["tpot"]["count"] == n, (api, lat["ttft"])
    assert lat["itl"]["count"] == n * (tokens - 1), (api, lat["itl"])
    assert res["stream"]["tokens_out"] == n * tokens, (api, res["stream"])


def test_streaming_presets_stream_by_default(ctx):
    stub = ctx.stub("--step-time", "2ms")
    for api in ("openai-chat", "openai-completions", "tgi"):
        _, res, rows = run(ctx, stub.base, "--api", api, "-n", "12", "-c", "3", name=api)
        check_streamed(api, res, rows, 12, 16, 2)


def test_no_stream_times_whole_answers(ctx):
    stub = ctx.stub("--step-time", "2ms")
    for api in ("openai-chat", "tgi"):
        _, res, rows = run(ctx, stub.base, "--api", api, "--no-stream", "-n", "12", "-c", "3",
                           name=api)
        assert res["config"]["stream"] is False, res["config"]
        assert res["requests"]["ok"] == 12 and len(rows) == 12, res["requests"]
        assert "ttft_ms" not in rows[0] and "ttft" not in res["latency_ms"], rows[0]
        # Whole answers: 16 steps of 2 ms before the first byte.
        assert all(float(row["latency_ms"]) >= 16 * 2 * 0.9 for row in rows), rows


def test_stream_choices_refused(ctx):
    stub = ctx.stub()
    cases = [
        (["--api", "kserve-v2", "--stream"], "--api kserve-v2 answers whole"),
        (["--api", "openai-embeddings", "--stream"], "--api openai-embeddings answers whole"),
        (["--api", "openai-chat", "--stream", "--no-stream"],
         "--stream and --no-stream exclude each other"),
        (["--api", "openai-chat", "--no-stream", "--sla", "ttft.p99<=1s"],
         "needs a streamed run: drop --no-stream"),
    ]
    for args, want in cases:
        r = ctx.run("run", stub.base, "-n", "1", *args)
        assert r.rc == 2 and want in r.err, (args, r)
    # A streamed gate needs no --stream with a streaming preset.
    r = ctx.run("run", stub.base, "--api", "openai-chat", "-n", "4", "-q",
                "--sla", "ttft.p99<=10s", "--sla", "tpot.p99<=10s")
    assert r.rc == 0, r


def test_ab_verifies_a_streaming_preset_on_whole_answers(ctx):
    stub = ctx.stub()
    d = ctx.path("ab")
    r = ctx.run("ab", stub.base, "--api", "tgi", "--rate", "100", "--requests", "30",
                "--out-dir", d)
    assert r.rc == 0, r
    assert "verified: 5 inputs each answered with its output at =/generated_text" in r.out, r.out
    for side in ("baseline", "optimized"):
        res = tg.read_json(f"{d}/{side}.json")
        assert res["config"]["stream"] is True and res["stream"]["tokens_out"] == 30 * 16, side


def test_http2_streams_each_timed(ctx):
    """h2c: many streamed answers on one connection, each stream's events
    timed on their own."""
    stub = ctx.stub("--step-time", "2ms")
    r, res, rows = run(ctx, stub.base, "--api", "openai-chat", "--http2", "-n", "40", "-c", "8",
                       name="h2")
    assert res["config"]["protocol"] == "h2c", res["config"]
    assert res["connections"]["opened"] == 1, res["connections"]
    check_streamed("openai-chat over h2c", res, rows, 40, 16, 2)
    assert "ttft" in r.out and "HTTP/2" in r.out, r.out


def test_http2_scripted_stream_times(ctx):
    """Known times over h2c: ttft 60 ms, then a token event every 20 ms."""
    s = ctx.stub("--script", ctx.write("s.txt", "wait 60ms\nrole\ntoken\n" +
                                       "wait 20ms\ntoken\n" * 5 + "finish\nusage\ndone\n"))
    _, res, rows = run(ctx, f"{s.base}/v1/chat/completions", "--api", "openai-chat", "--http2",
                       "-n", "8", "-c", "4", name="h2s")
    for row in rows:
        assert (row["tokens_out"], row["chunks"]) == ("6", "6"), row
        # from the intended send: the first four also wait for the connection
        # and its SETTINGS exchange, which a busy test machine can stretch
        ttft, tpot = float(row["ttft_ms"]), float(row["tpot_ms"])
        assert 60 - 0.05 <= ttft <= 60 + tg.slack(ctx, 50), row
        # a first token read late (never early) shortens tpot by a fifth of that
        assert 20 - (ttft - 60) / 5 - 0.05 <= tpot <= 20 + tg.slack(ctx, 5), row
    svc = res["latency_ms"]["ttft_service"]
    assert 60 - 0.05 <= svc["min"] and svc["p50"] <= 60 + tg.slack(ctx, 10), svc
    assert res["latency_ms"]["itl"]["count"] == 8 * 5


def test_http2_stream_reset_mid_stream(ctx):
    """A stream the server resets after two tokens: reset, its tokens kept;
    the connection's other streams go on."""
    s = ctx.stub("--script", ctx.write("s.txt", "role\ntoken\ntoken\nwait 10ms\nreset\n"))
    out, log = ctx.path("x.json"), ctx.path("x.csv")
    r = ctx.run("run", f"{s.base}/v1/chat/completions", "--api", "openai-chat", "--http2",
                "-n", "6", "-c", "3", "--out", out, "--log", log, "--no-progress")
    assert r.rc == 1, r
    res, rows = tg.read_json(out), tg.read_csv(log)
    assert len(rows) == 6 and res["requests"]["errors"] == 6, res["requests"]
    for row in rows:
        assert row["error"] == "reset" and row["chunks"] == "2", row
