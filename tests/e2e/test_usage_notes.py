"""Options that do nothing where they were given say so (a note, or exit 2)."""
import signal


def test_arrival_in_a_closed_loop_is_noted(ctx):
    stub = ctx.stub()
    for args, noted in ((["--concurrency", "2", "--arrival", "poisson"], "--arrival"),
                        (["--seed", "7"], "--seed"),
                        (["--rate", "200", "--arrival", "poisson", "--seed", "7"], None)):
        r = ctx.run("run", stub.url, "--requests", "10", "-q", *args, timeout=30)
        assert r.rc == 0, (args, r)
        if noted:
            assert f"note: {noted} shapes an open loop's arrivals" in r.err, (args, r)
        else:
            assert "note:" not in r.err, (args, r)


def test_stub_jitter_scale_needs_a_kind(ctx):
    r = ctx.run("stub", "--listen", "127.0.0.1:0", "--jitter-scale", "2ms", timeout=5)
    assert r.rc == 2 and "--jitter-scale needs --jitter" in r.err, r


def test_options_that_change_nothing_are_noted(ctx):
    """--linger without a batch, --seed with constant arrivals, --no-stream
    where nothing streams, --outputs on a streamed run or one that does not
    validate outputs, --idle-timeout no shorter than --timeout, --model with
    a body that names none: each is taken
    and changes nothing, and says so, once; where they act, nothing is said."""
    stub = ctx.stub()
    cases = ((["--linger", "5ms"], "note: --linger is how long an item waits"),
             (["--rate", "400", "--seed", "7"], "note: --seed draws poisson arrivals"),
             (["--linger", "5ms", "--batch", "2"], None),
             (["--no-stream"], "note: --no-stream changes the bodies of --api"),
             (["--api", "openai-chat", "--no-stream"], None),
             (["--api", "openai-chat", "--outputs", "/choices"], "note: --outputs has no effect"),
             (["--api", "openai-chat", "--outputs", "/choices", "--no-stream"], None),
             (["--outputs", "/outputs", "--validate", "status"], "--validate status does not"),
             (["--idle-timeout", "5s", "--timeout", "5s"], "note: --idle-timeout is not shorter"),
             (["--idle-timeout", "4s", "--timeout", "5s"], None),
             (["-m", "GET", "--model", "m1"], "note: --model names the model in a body"),
             (["-m", "GET", "--model", "m1", "-H", "X-Model: {{model}}"], None),
             (["-m", "GET", "--linger", "5ms"], "a fixed body has no items to batch"))
    for args, noted in cases:
        url = (stub.base + "/" if "--api" in args else
               stub.base + "/healthz" if "GET" in args else stub.url)
        r = ctx.run("run", url, "--requests", "4", "-q", *args, timeout=30)
        assert r.rc == 0, (args, r)
        if noted:
            assert r.err.count(noted) == 1, (args, r)
        else:
            assert "note:" not in r.err, (args, r)


def test_notes_are_said_once_per_command(ctx):
    """ab prepares its runs several times (the plans, the check, each side)
    and a sweep one run per step: a note is said once, before them, and only
    when it holds for every run -- a rate sweep's probe is a closed loop, but
    --arrival shapes its steps."""
    stub = ctx.stub()
    r = ctx.run("ab", stub.url, "--insecure", "--rate", "400", "--requests", "20", "--out-dir",
                ctx.path("ab"), "-q", timeout=60)
    assert r.rc == 0 and r.err.count("note: --insecure has no effect") == 1, r
    p = ctx.popen("sweep", stub.url, "--sla", "p95<=1s", "--arrival", "poisson", "--max-rate",
                  "100")
    try:
        line = p.stdout.readline()  # after the probe, the steps' runs start
        assert line.startswith("probe:"), line
    finally:
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
    assert "note:" not in err, err
