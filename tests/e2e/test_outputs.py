"""Where a run's outputs go: --out, --log and --log-events each need their own
file, '-' is stdout for any one of them, and a run that could not run leaves
no file behind."""
import csv
import io
import os
import time

import tg


def test_outputs_that_share_a_file_are_refused(ctx):
    stub = ctx.stub()
    same = ctx.path("same.json")
    for args, words in (
            (["--out", same, "--log", same], "--out and --log both write"),
            (["--log", ctx.path("a.csv"), "--log-events", ctx.path("x/../a.csv"),
              "--api", "openai-chat"], "--log and --log-events both write"),
            (["--out", "-", "--log", "-"], "both write to stdout"),
            (["--out", "-", "--log", "/dev/stdout"], "both write to stdout"),
            (["--out", "/dev/fd/1", "--log-events", "/dev/stdout", "--api", "openai-chat"],
             "both write to stdout"),
            (["--log-events-every", "5"], "give --log-events too")):
        os.makedirs(ctx.path("x"), exist_ok=True)
        r = ctx.run("run", stub.base, "--requests", "5", *args, timeout=20)
        assert r.rc == 2 and words in r.err, (args, r)
        assert not os.path.exists(same) and not os.path.exists(ctx.path("a.csv")), args


def test_log_dash_is_stdout(ctx):
    """'-' and /dev/stdout both put the log alone on stdout: the summary
    moves to stderr instead of landing between the CSV rows."""
    stub = ctx.stub()
    for where in ("-", "/dev/stdout"):
        p = ctx.popen("run", stub.url, "--requests", "40", "--concurrency", "4", "--log", where,
                      "--no-progress", cwd=ctx.tmp)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, (where, out, err)
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) == 40 and all(r["status_code"] == "200" for r in rows), out[:500]
        assert "40 total" in err, err  # the summary moved to stderr
        assert not os.path.exists(os.path.join(ctx.tmp, "-"))


def test_run_that_could_not_run_leaves_no_files(ctx):
    port = tg.free_port()  # nothing listens there
    log, out = ctx.path("l.csv"), ctx.path("l.json")
    r = ctx.run("run", f"http://127.0.0.1:{port}/v1/infer", "--requests", "5", "--log", log,
                "--out", out, timeout=20)
    assert r.rc == 3 and "cannot connect" in r.err, r
    assert not os.path.exists(log) and not os.path.exists(out), os.listdir(ctx.tmp)


def test_outputs_to_devices_are_not_files(ctx):
    """/dev/null takes any number of outputs, and a run that could not run
    removes only the regular files it wrote: a log that is a link to a device
    stays (as root, unlinking /dev/null itself would remove the device)."""
    stub = ctx.stub()
    r = ctx.run("run", stub.url, "--requests", "5", "--out", "/dev/null", "--log", "/dev/null",
                "-q", timeout=20)
    assert r.rc == 0, r
    link = ctx.path("null.csv")
    os.symlink("/dev/null", link)
    port = tg.free_port()  # nothing listens there
    r = ctx.run("run", f"http://127.0.0.1:{port}/v1/infer", "--requests", "5", "--log", link,
                timeout=20)
    assert r.rc == 3 and os.path.islink(link), r


def test_sweep_refuses_one_events_log_for_many_steps(ctx):
    ev = ctx.path("ev.csv")
    r = ctx.run("sweep", "http://127.0.0.1:9", "--api", "openai-chat", "--sla", "p95<=500ms",
                "--log-events", ev, timeout=20)
    assert r.rc == 2 and "--log-events: a sweep runs many steps" in r.err, r
    assert not os.path.exists(ev)


def test_merge_never_writes_over_its_inputs(ctx):
    stub = ctx.stub()
    res = [ctx.path(f"s{i}.json") for i in range(2)]
    logs = [ctx.path(f"s{i}.csv") for i in range(2)]
    t = f"{time.time() + 1:.3f}"  # one run's segments start together
    procs = [ctx.popen("run", stub.url, "--requests", "40", "--concurrency", "2", "--segment",
                       f"{i}/2", "--start-at", t, "--out", res[i], "--log", logs[i], "-q")
             for i in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
    before = open(logs[0]).read()
    for log_out, words in ((logs[0], "is also one of the --logs"),
                           (res[1], "is also one of the result files"),
                           ("-", "only one output can go there")):
        r = ctx.run("merge", *res, "--out", "-", "--log-out", log_out, "--logs", *logs, "-q")
        assert r.rc == 2 and words in r.err, (log_out, r)
    assert open(logs[0]).read() == before
    r = ctx.run("merge", *res, "--log-out", "-", "--logs", *logs)
    assert r.rc == 0 and len(r.out.splitlines()) == 41 and "40 total" in r.err, r
    bad = ctx.path("m.csv")  # a result where a log goes: refused, no partial log left
    r = ctx.run("merge", *res, "--log-out", bad, "--logs", logs[0], res[1], "-q")
    assert r.rc == 3 and not os.path.exists(bad), r
    link = ctx.path("null.csv")  # not a regular file: left where it is
    os.symlink("/dev/null", link)
    r = ctx.run("merge", *res, "--log-out", link, "--logs", logs[0], res[1], "-q")
    assert r.rc == 3 and os.path.islink(link), r


def test_no_command_writes_over_what_it_reads(ctx):
    stub = ctx.stub()
    res = ctx.path("r.json")
    r = ctx.run("run", stub.url, "--requests", "20", "--out", res, "-q", timeout=30)
    assert r.rc == 0, r
    before = open(res).read()
    for args in (["report", res, "-o", res], ["report", res, "-o", ctx.path("x/../r.json")],
                 ["diff", res, res, "-o", res], ["merge", res, "-o", res, "-q"]):
        os.makedirs(ctx.path("x"), exist_ok=True)
        r = ctx.run(*args)
        assert r.rc == 2 and "give" in r.err and "of its own" in r.err, (args, r)
        assert open(res).read() == before, args
