"""Options that do nothing where they were given say so (a note, or exit 2)."""


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
