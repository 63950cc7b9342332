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
    assert r.rc == 0, (mode, r)
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
