"""One HTTP/1 client path: ab's verification requests are built and framed by
the code the measured runs use, so a server sees the same bytes from both."""
import json

import misbehave


def host_lines(head):
    return [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"host:")]


def test_user_host_header_is_the_only_one_in_ab_verification_and_runs(ctx):
    """With -H 'Host: ...' every request carries that Host header and no other
    (RFC 9112 §3.2: a server must answer two with 400), and the verification's
    single-item request is byte for byte the measured run's request for the
    same item."""
    srv = misbehave.Server("echo")
    try:
        r = ctx.run("ab", srv.url, "-H", "Host: api.internal", "--rate", "50", "--requests", "10",
                    "--out-dir", ctx.path("out"))
        assert r.rc == 0, r
        reqs = list(srv.requests)
    finally:
        srv.close()
    for head, _ in reqs:
        assert host_lines(head) == [b"Host: api.internal"], head
    # Verification first: 5 sample inputs as one batch, then each alone.
    batch, singles, measured = reqs[0], reqs[1:6], reqs[6:]
    items = json.loads(batch[1])["inputs"]
    assert len(items) == 5, batch
    assert [json.loads(b)["inputs"] for _, b in singles] == [[x] for x in items]
    # The baseline run (batch 1) sends item 0 first: the same bytes exactly.
    assert singles[0] == measured[0], (singles[0], measured[0])
    assert len(measured) >= 11, len(measured)  # 10 baseline + the optimized run's


def test_user_host_header_is_the_only_one_in_run(ctx):
    srv = misbehave.Server("echo")
    try:
        r = ctx.run("run", srv.url, "-H", "host: api.internal", "--requests", "4",
                    "--concurrency", "2")
        assert r.rc == 0, r
        reqs = list(srv.requests)
    finally:
        srv.close()
    assert len(reqs) == 4
    for head, _ in reqs:
        assert host_lines(head) == [b"host: api.internal"], head
