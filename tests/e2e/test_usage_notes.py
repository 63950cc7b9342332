"""Options that do nothing in the run they were given to say so."""


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
