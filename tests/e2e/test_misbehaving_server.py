"""The client against servers that misbehave in each of RFC 9112's ways: one
outcome per request, exactly; never past --timeout; never a crash."""
import misbehave
import tg

N = 12

# mode -> expected by_error (None = all ok)
CASES = {
    "ok": None,
    "len_short": "reset",
    "len_short_hang": "timeout",
    "len_long": None,
    "chunked_ok": None,
    "chunked_bad_hex": "protocol",
    "chunked_bad_crlf": "protocol",
    "close_delimited": None,
    "interim": None,
    "tiny_writes": None,
    "huge_header": "protocol",
    "many_headers": "protocol",
    "bad_status": "protocol",
    "not_http": "protocol",
    "close_before": "reset",
    "rst_before": "reset",
    "close_in_status": "reset",
    "close_in_headers": "reset",
    "close_in_body": "reset",
    "rst_in_body": "reset",
    "never_answer": "timeout",
    "slow_body": None,
    "te_and_cl": None,
    "two_lengths": "protocol",
    "500": "http_5xx",
    "404": "http_4xx",
    "204": None,
    "status_799": "http_5xx",
    "trailing_garbage": None,
    "switch_protocols": "protocol",
}


def run_against(ctx, mode, *extra):
    srv = misbehave.Server(mode)
    try:
        out, log = ctx.path(f"{mode}.json"), ctx.path(f"{mode}.csv")
        body = ctx.write("body.json", '{"inputs":["a"]}')
        r = ctx.run("run", srv.url, "--body", body, "--requests", str(N), "--concurrency", "3",
                    "--timeout", "600ms", "--validate", "status", "--out", out, "--log", log,
                    *extra, timeout=30)
        return r, out, log
    finally:
        srv.close()


def check_case(ctx, mode, expect):
    r, out, log = run_against(ctx, mode)
    # a run in which every request failed exits 1, --sla or not
    assert r.rc == (0 if expect is None else 1), (mode, r)
    assert r.seconds < 10, (mode, r.seconds)
    res = tg.read_json(out)
    req = res["requests"]
    assert req["total"] == N, (mode, req)
    assert len(tg.read_csv(log)) == N, mode
    if expect is None:
        assert req["ok"] == N and req["by_error"] == {}, (mode, req)
    else:
        assert req["by_error"] == {expect: N}, (mode, req)
        assert req["ok"] == 0, (mode, req)


def test_every_failure_mode_is_counted_exactly(ctx):
    failures = []
    for mode, expect in CASES.items():
        try:
            check_case(ctx, mode, expect)
        except AssertionError as e:
            failures.append(str(e)[:600])
    assert not failures, "\n".join(failures)


def run_mode(ctx, mode, *args):
    """Runs against a fresh misbehaving server; -> (result JSON, CSV rows,
    requests the server read)."""
    srv = misbehave.Server(mode)
    try:
        out, log = ctx.path(f"{mode}.json"), ctx.path(f"{mode}.csv")
        body = ctx.write("body.json", '{"inputs":["a"]}')
        r = ctx.run("run", srv.url, "--body", body, "--timeout", "600ms", "--validate", "status",
                    "--out", out, "--log", log, *args, timeout=30)
        res = tg.read_json(out)
        # a run in which every request failed exits 1, --sla or not
        assert r.rc == (1 if res["requests"]["ok"] == 0 else 0), (mode, r)
        return res, tg.read_csv(log), srv.received
    finally:
        srv.close()


def test_invalid_status_counts_as_itself(ctx):
    res, rows, _ = run_mode(ctx, "status_799", "--requests", "5", "--concurrency", "1")
    assert res["requests"]["by_status"] == {"799": 5}, res["requests"]
    assert res["requests"]["by_error"] == {"http_5xx": 5}
    assert [r["status_code"] for r in rows] == ["799"] * 5


def test_bytes_after_a_response_end_the_connection(ctx):
    res, _, _ = run_mode(ctx, "trailing_garbage", "--requests", "6", "--concurrency", "1")
    assert res["requests"]["ok"] == 6, res["requests"]
    assert res["connections"]["opened"] == 6, res["connections"]


def test_request_dropped_on_a_busy_connection_is_a_reset_not_a_resend(ctx):
    """The server read the request and closed without answering, right after
    the previous response: the client must not send it again behind the
    user's back. Every request the server read is one the client counted."""
    res, rows, received = run_mode(ctx, "drop_second", "--requests", "12", "--concurrency", "3")
    req = res["requests"]
    assert req["total"] == 12 and len(rows) == 12, req
    assert received == 12, (received, req)
    assert req["ok"] + req["by_error"].get("reset", 0) == 12, req
    assert req["by_error"].get("reset", 0) >= 4, req
    assert res["connections"]["retried"] == 0, res["connections"]


def test_stale_keep_alive_connection_is_retried_and_counted(ctx):
    """A connection idle for a while that the server closes as the request
    leaves (its keep-alive timeout) is the one case sent again, on a fresh
    connection; the result says how many."""
    # 333 ms apart: idle well past the 100 ms that makes a connection stale,
    # even when a busy machine answers late
    res, rows, received = run_mode(ctx, "drop_second", "--requests", "6", "--rate", "3",
                                   "--connections", "1")
    req = res["requests"]
    assert req["ok"] == 6 and len(rows) == 6, req
    assert res["connections"]["retried"] == 5, res["connections"]
    assert received == 11, received


def run_halfclose(ctx, mode, concurrency, n=20):
    srv = misbehave.Server(mode)
    try:
        out = ctx.path(f"{mode}-{concurrency}.json")
        body = ctx.write("body.json", '{"inputs":["a"]}')
        r = ctx.run("run", srv.url, "--body", body, "--requests", str(n), "--concurrency",
                    str(concurrency), "--timeout", "2s", "--validate", "status", "--out", out,
                    timeout=60)
        assert r.rc == 0, (mode, concurrency, r)
        return r, tg.read_json(out), srv.received, srv.lingered
    finally:
        srv.close()


def test_half_closed_connection_is_never_reused(ctx):
    """A server answers "Connection: keep-alive", then half-closes (its FIN in
    the same segment) and reads on, as nginx's lingering close does. The event
    that brought the answer also brought the hang-up: the connection must not
    get another request (which would wait its whole --timeout)."""
    for c in (1, 2, 8):
        r, res, received, lingered = run_halfclose(ctx, "halfclose", c)
        req = res["requests"]
        assert req["ok"] == 20 and req["by_error"] == {}, (c, req)
        assert res["connections"]["opened"] == 20, (c, res["connections"])
        assert received == 20 and lingered == 0, (c, received, lingered)
        assert r.seconds < 10, (c, r.seconds)


def test_fin_racing_a_request_is_seen_at_once(ctx):
    """The FIN comes in a segment of its own right after the answer: a request
    may already be on its way when it lands. That request ends at once (as
    `reset`: the server may have read it, conn.h's retry rule), never after
    --timeout."""
    for c in (1, 2, 8):
        r, res, received, lingered = run_halfclose(ctx, "halfclose_after", c)
        req = res["requests"]
        assert req["total"] == 20, (c, req)
        assert req["ok"] + req["by_error"].get("reset", 0) == 20, (c, req)
        assert req["ok"] >= 10, (c, req)
        assert r.seconds < 10, (c, r.seconds)


def test_answer_sent_before_the_body_was_read_is_the_outcome(ctx):
    """The server answers 413 from the head alone and closes with the body
    unread (an RST, mid-write): its answer, not the failed write, is what
    each request got."""
    srv = misbehave.Server("early_413")
    try:
        out, log = ctx.path("e.json"), ctx.path("e.csv")
        body = ctx.write("big.bin", "a" * (8 << 20))
        r = ctx.run("run", srv.url, "--body", body, "-n", "6", "-c", "2", "--timeout", "5s",
                    "--validate", "status", "--out", out, "--log", log, timeout=60)
    finally:
        srv.close()
    assert r.rc == 1, r
    req = tg.read_json(out)["requests"]
    assert req["by_error"] == {"http_4xx": 6} and req["by_status"] == {"413": 6}, req
    assert [row["status_code"] for row in tg.read_csv(log)] == ["413"] * 6
    assert r.seconds < 10, r.seconds


def test_streamed_request_answered_by_a_page_is_invalid(ctx):
    """A 200 text/html page (a proxy's) where an event stream was asked for
    holds no event: an invalid answer that shows its start, not a success
    with no token."""
    srv = misbehave.Server("html_page")
    try:
        out, log = ctx.path("h.json"), ctx.path("h.csv")
        r = ctx.run("run", srv.url, "--stream", "--api", "openai-chat", "-n", "6", "-c", "2",
                    "--timeout", "2s", "--out", out, "--log", log, timeout=30)
    finally:
        srv.close()
    assert r.rc == 1, r
    req = tg.read_json(out)["requests"]
    assert req["by_error"] == {"invalid_response": 6}, req
    assert req["invalid_by_reason"] == {"not_json": 6}, req
    first = req["first_errors"]["invalid_response"]
    assert first["body"].startswith("<html><body><h1>502"), first
    assert "no server-sent event" in first["reason"], first
    assert "no server-sent event" in r.out, r.out
    assert len(tg.read_csv(log)) == 6
