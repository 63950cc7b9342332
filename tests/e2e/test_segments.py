"""One run split over processes: `run --segment I/N --start-at T`, `tailgate merge`,
scripts/segments.sh, and the Kubernetes manifests and Dockerfile that carry them."""
import json
import os
import re
import shutil
import subprocess
import time

import tg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K8S = os.path.join(ROOT, "deploy", "kubernetes")


def start_in(seconds):
    """--start-at `seconds` from now, as epoch seconds with decimals."""
    return f"{time.time() + seconds:.6f}"


def run_all(ctx, argvs, timeout=120):
    """Runs every argv at once (real processes), returns [(rc, stdout, stderr)]."""
    procs = [ctx.popen(*a) for a in argvs]
    out = []
    for p in procs:
        o, e = p.communicate(timeout=timeout)
        ctx.check_sanitizer(e, "tailgate " + " ".join(argvs[0][:1]))
        out.append((p.returncode, o, e))
    return out


def ids_and_times(path):
    return {int(r["request_id"]): r["timestamp_ms"] for r in tg.read_csv(path)}


def test_open_loop_segments_merge_into_the_one_process_run(ctx):
    """Four segments of a seeded Poisson run, beside the same run in one process,
    all told to start at one instant: the merge is the one-process run, arrival
    for arrival."""
    stub = ctx.stub("--delay", "5ms")
    t = start_in(4)  # five processes (sanitized, on a busy machine) must be ready by then
    opts = ["--rate", "120", "--arrival", "poisson", "--seed", "11", "--duration", "2s",
            "--start-at", t, "--no-progress"]
    argvs = [["run", stub.url, *opts, "--segment", f"{i}/4", "--out", ctx.path(f"s{i}.json"),
              "--log", ctx.path(f"s{i}.csv")] for i in range(4)]
    argvs.append(["run", stub.url, *opts, "--out", ctx.path("one.json"),
                  "--log", ctx.path("one.csv")])
    for rc, _, err in run_all(ctx, argvs):
        assert rc == 0, err
    segs = [tg.read_json(ctx.path(f"s{i}.json")) for i in range(4)]
    for i, s in enumerate(segs):
        assert s["segment"]["index"] == i and s["segment"]["count"] == 4, s["segment"]
        assert s["segment"]["late_ns"] < 500_000_000, s["segment"]  # on time, give or take
    one = tg.read_json(ctx.path("one.json"))
    # each segment sends about a quarter of the arrivals, none sends them all
    assert all(0 < s["requests"]["total"] < one["requests"]["total"] for s in segs)

    merged = ctx.path("merged.json")
    r = ctx.run("merge", *[ctx.path(f"s{i}.json") for i in range(4)], "-o", merged,
                "--log-out", ctx.path("merged.csv"),
                "--logs", *[ctx.path(f"s{i}.csv") for i in range(4)])
    assert r.rc == 0, r
    assert "merged from 4 segments" in r.out
    m = tg.read_json(merged)
    assert m["requests"]["total"] == one["requests"]["total"] > 150, (m["requests"], one["requests"])
    assert m["requests"]["by_status"] == one["requests"]["by_status"]
    assert m["items"] == one["items"]
    assert m["inputs_digest"] and m["inputs_digest"] == one["inputs_digest"]
    assert len({s["inputs_digest"] for s in segs}) == 4  # each segment's part differs
    assert m["segment"] == {"index": 0, "count": 1, "start_at": one["segment"]["start_at"],
                            "late_ns": m["segment"]["late_ns"], "merged": 4, "late": []}
    assert m["started_at"] == one["started_at"]
    # each segment offered its share of the schedule, and the merge the whole of it
    # (a segment recorded the whole run's rate, so the merge's self-check said 480/s)
    for s in segs:
        assert s["self_check"]["offered_per_s"] == 30, s["self_check"]
    assert m["self_check"]["offered_per_s"] == one["self_check"]["offered_per_s"] == 120
    assert "offered 120.0 items/s" in r.out and "schedule 120 items/s" in r.out, r.out
    # per second of intended time (trailing seconds that only saw completions,
    # which depend on how fast each process was answered, left out)
    def sent(tl):
        counts = [x["requests"] for x in tl]
        while counts and counts[-1] == 0:
            counts.pop()
        return counts
    assert sent(m["timeline"]) == sent(one["timeline"]), (m["timeline"], one["timeline"])
    # the union of the CSVs: the same request ids, each at the same intended instant (us)
    single = ids_and_times(ctx.path("one.csv"))
    union = {}
    for i in range(4):
        part = ids_and_times(ctx.path(f"s{i}.csv"))
        assert not set(part) & set(union), "request ids collide across segments"
        union.update(part)
    assert union == single
    assert ids_and_times(ctx.path("merged.csv")) == single
    # one log given twice in place of another can hold as many rows as the results
    # count: refused, not merged into a log with duplicate request ids
    r = ctx.run("merge", *[ctx.path(f"s{i}.json") for i in range(4)], "-q",
                "--log-out", ctx.path("dup.csv"),
                "--logs", *[ctx.path(f"s{i}.csv") for i in (0, 1, 2, 2)])
    assert r.rc == 2 and "s2.csv is given twice" in r.err, r
    assert not os.path.exists(ctx.path("dup.csv"))
    # the same requests against the same server: percentiles agree within the
    # histogram's resolution (0.1%) plus what loopback on a busy machine adds
    for key in ("p50", "p90"):
        a, b = m["latency_ms"]["item"][key], one["latency_ms"]["item"][key]
        assert abs(a - b) <= 0.25 * b + 2.0, (key, a, b)


def test_closed_loop_segments_split_concurrency(ctx):
    """N = 3 with C = 10: 4, 3 and 3 users (and connections), with --threads too."""
    stub = ctx.stub("--delay", "20ms")
    t = start_in(2)
    argvs = [["run", stub.url, "--concurrency", "10", "--threads", "2", "--duration", "1s",
              "--start-at", t, "--segment", f"{i}/3", "--out", ctx.path(f"c{i}.json"),
              "--log", ctx.path(f"c{i}.csv"), "--no-progress"] for i in range(3)]
    for rc, _, err in run_all(ctx, argvs):
        assert rc == 0, err
    segs = [tg.read_json(ctx.path(f"c{i}.json")) for i in range(3)]
    assert [s["segment"]["concurrency"] for s in segs] == [4, 3, 3]
    assert [s["segment"]["connections"] for s in segs] == [4, 3, 3]
    # what was recorded is what ran: one keep-alive connection per user
    assert [s["connections"]["opened"] for s in segs] == [4, 3, 3]
    ids = [set(ids_and_times(ctx.path(f"c{i}.csv"))) for i in range(3)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    merged = ctx.path("merged.json")
    r = ctx.run("merge", *[ctx.path(f"c{i}.json") for i in range(3)], "-o", merged)
    assert r.rc == 0, r
    m = tg.read_json(merged)
    assert m["segment"]["concurrency"] == 10 and m["segment"]["merged"] == 3
    assert m["requests"]["total"] == sum(s["requests"]["total"] for s in segs)
    assert m["connections"]["opened"] == 10


def two_segments(ctx, stub, prefix, *extra, start=2):
    t = start_in(start)
    argvs = [["run", stub.url, "--rate", "40", "--requests", "20", "--start-at", t,
              "--segment", f"{i}/2", "--out", ctx.path(f"{prefix}{i}.json"), "--no-progress",
              *extra] for i in range(2)]
    for rc, _, err in run_all(ctx, argvs):
        assert rc in (0, 1), err
    return [ctx.path(f"{prefix}{i}.json") for i in range(2)]


def test_merge_refuses_what_is_not_one_run(ctx):
    stub = ctx.stub("--delay", "2ms")
    a0, a1 = two_segments(ctx, stub, "a")
    r = ctx.run("merge", a0, a1, "-q")
    assert r.rc == 0, r
    # a missing segment: exit 3, naming it
    r = ctx.run("merge", a0, "-q")
    assert r.rc == 3, r
    assert "segment 1 of 2 is missing" in r.err, r.err
    # the same segment twice, both complete: nothing tells them apart, refused
    r = ctx.run("merge", a0, a1, a1, "-q")
    assert r.rc == 2, r
    assert "segment 1 of 2 is given twice" in r.err, r.err
    # a retried pod: the interrupted first attempt gives way to the complete one
    doc = tg.read_json(a1)
    doc["interrupted"] = True
    retry = ctx.write("a1-first-attempt.json", json.dumps(doc))
    out = ctx.path("m.json")
    r = ctx.run("merge", a0, retry, a1, "-q", "-o", out)
    assert r.rc == 0, r
    assert "a1-first-attempt.json was interrupted and is left out" in r.err, r.err
    assert tg.read_json(out)["interrupted"] is False
    # the interrupted attempt alone: its share was not all offered, so the
    # merge is written but is no verdict (it passed, exit 0, with a warning)
    r = ctx.run("merge", a0, retry, "-q", "-o", out)
    assert r.rc == 3, r
    assert ("segment 1 of 2 (" in r.err and "a1-first-attempt.json) was interrupted" in r.err
            and "run it again" in r.err), r.err
    assert tg.read_json(out)["interrupted"] is True
    # another run's segment (another rate): exit 2, naming the difference
    b0, b1 = two_segments(ctx, stub, "b", "--rate", "50")
    r = ctx.run("merge", a0, b1, "-q")
    assert r.rc == 2, r
    assert '"rate" is 40.0 in one and 50.0 in the other' in r.err, r.err
    # the same options started at another time: not one run either
    c0, c1 = two_segments(ctx, stub, "c")
    r = ctx.run("merge", a0, c1, "-q")
    assert r.rc == 2, r
    assert "--start-at" in r.err, r.err
    # a whole run (here a merge) among segments
    r = ctx.run("merge", a0, a1, ctx.path("m.json"), "-q")
    assert r.rc == 2, r
    assert "m.json is a whole run (a merge already), not a segment" in r.err, r.err
    # a segment of a run split another way
    d0, _ = two_segments(ctx, stub, "d")
    doc = tg.read_json(d0)
    doc["segment"]["count"] = 3
    r = ctx.run("merge", a0, ctx.write("d-of-3.json", json.dumps(doc)), "-q")
    assert r.rc == 2, r
    assert "is segment 0 of 3: not segments of one run" in r.err, r.err


def test_a_late_segment_runs_its_schedule_and_is_flagged(ctx):
    """--start-at just missed (under a second) still runs the schedule from the
    agreed instant: what was due leaves at once, its latency shows the delay,
    the result records how late, and the merge flags it."""
    stub = ctx.stub("--delay", "2ms")
    t = f"{time.time() - 0.3:.6f}"
    paths = [ctx.path(f"l{i}.json") for i in range(2)]
    # both at once, as segments run: one after the other, the second began
    # more than the 1 s allowed after --start-at on a loaded machine
    procs = [ctx.popen("run", stub.url, "--rate", "20", "--duration", "1s", "--start-at", t,
                       "--segment", f"{i}/2", "--out", paths[i], "--no-progress")
             for i in range(2)]
    for i, p in enumerate(procs):
        o, e = p.communicate(timeout=60)
        ctx.check_sanitizer(e, "tailgate run")
        assert p.returncode == 0, (p.returncode, o, e)
        assert "ago: what was due meanwhile leaves at once" in e, e
        res = tg.read_json(paths[i])
        assert res["segment"]["late_ns"] >= 300_000_000, res["segment"]
        assert res["requests"]["total"] == 10, res["requests"]  # the whole share, late or not
        # the first arrival was due 0.3 s before the process was ready
        assert res["latency_ms"]["item"]["max"] >= 250, res["latency_ms"]["item"]
    out = ctx.path("m.json")
    r = ctx.run("merge", *paths, "-o", out, "--no-color")
    assert r.rc == 0, r
    assert "segment 0 (" in r.err and "late, its share of the load" in r.err, r.err
    m = tg.read_json(out)
    assert m["segment"]["late"] == [0, 1], m["segment"]
    assert "late: 0, 1" in r.out
    r = ctx.run("merge", *paths, "-q", "--late", "5s", "-o", out)
    assert r.rc == 0 and "late" not in r.err, r
    assert tg.read_json(out)["segment"]["late"] == []


def test_merge_judges_slas_like_run(ctx):
    stub = ctx.stub("--delay", "2ms")
    s0, s1 = two_segments(ctx, stub, "s", "--sla", "p50<=1us")
    # the SLAs the segments record, judged on the merge
    out = ctx.path("m.json")
    r = ctx.run("merge", s0, s1, "-o", out)
    assert r.rc == 1, r
    m = tg.read_json(out)
    assert m["sla_pass"] is False and m["sla"][0]["expr"] == "p50<=1us"
    assert m["requests"]["total"] == 20
    # --sla instead of them
    r = ctx.run("merge", s0, s1, "--sla", "p99<=10s", "--sla", "error_rate<1%", "-o", out)
    assert r.rc == 0, r
    assert "PASS" in r.out
    assert [v["expr"] for v in tg.read_json(out)["sla"]] == ["p99<=10s", "error_rate<1%"]
    r = ctx.run("merge", s0, s1, "--sla", "p50<=1us", "-q")
    assert r.rc == 1, r
    # quiet, as run's: nothing but the failed gate, on stderr
    assert r.out == "" and "tailgate merge: FAIL SLA p50<=1us: measured" in r.err, r
    # and the merge is a result like any other
    html = ctx.path("r.html")
    r = ctx.run("report", out, "-o", html)
    assert r.rc == 0, r
    assert os.path.getsize(html) > 1000


def test_merge_of_segments_that_all_failed_fails(ctx):
    # Every request of every segment failed: the merge fails as such a run
    # does, --sla or not, and says why (quiet too).
    stub = ctx.stub("--error-rate", "1")
    s0, s1 = two_segments(ctx, stub, "f")
    for extra in ([], ["-q"]):
        r = ctx.run("merge", s0, s1, *extra)
        assert r.rc == 1, r
        assert "FAIL every request failed (20 http_5xx)" in r.err, r


def test_segment_option_errors(ctx):
    stub = ctx.stub("--delay", "1ms")
    u = stub.url
    cases = [
        (["--segment", "4/4"], "0 <= I < N"),
        (["--segment", "1-4"], "give I/N"),
        (["--segment", "k8s"], "--segment k8s needs --segments N"),
        (["--segments", "3"], "--segments goes with --segment k8s"),
        (["--segment", "0/3", "--concurrency", "2"], "--concurrency is less than the 3 segments"),
        (["--segment", "0/3", "--rate", "10", "--requests", "2"], "--requests is less"),
        (["--segment", "1/3", "--concurrency", "4", "--threads", "2"],
         "segment 1 gets 1 of --concurrency 4"),
        (["--start-at", "2026-01-01T00:00:00"], "no zone"),
        (["--start-at", "soon"], "not a time"),
        (["--start-at", f"{time.time() - 5:.3f}"], "s ago"),
    ]
    for extra, needle in cases:
        r = ctx.run("run", u, "--requests", "10", *extra)
        assert r.rc == 2, (extra, r)
        assert needle in r.err, (extra, r.err)
    env = dict(os.environ, JOB_COMPLETION_INDEX="3")
    r = ctx.run("run", u, "--requests", "10", "--segment", "k8s", "--segments", "3", env=env)
    assert r.rc == 2 and "JOB_COMPLETION_INDEX=3 is not an index below --segments 3" in r.err, r
    env = dict(os.environ)
    env.pop("JOB_COMPLETION_INDEX", None)
    r = ctx.run("run", u, "--requests", "10", "--segment", "k8s", "--segments", "3", env=env)
    assert r.rc == 2 and "JOB_COMPLETION_INDEX is not set" in r.err, r
    # in an Indexed Job's pod
    out = ctx.path("k.json")
    env["JOB_COMPLETION_INDEX"] = "2"
    r = ctx.run("run", u, "--rate", "100", "--requests", "10", "--segment", "k8s", "--segments",
                "3", "--out", out, "-q", env=env)
    assert r.rc == 0, r
    res = tg.read_json(out)
    assert res["segment"]["index"] == 2 and res["segment"]["count"] == 3
    assert res["requests"]["total"] == 3  # items 2, 5, 8 of 0..9
    r = ctx.run("ab", u, "--segment", "0/2")
    assert r.rc == 2 and "use them with 'tailgate run'" in r.err, r
    r = ctx.run("merge", "-q")
    assert r.rc == 2, r
    r = ctx.run("merge", ctx.path("missing.json"))
    assert r.rc == 3 and "missing.json" in r.err, r
    r = ctx.run("merge", out, "--logs")
    assert r.rc == 2 and "give the CSV logs after it" in r.err, r
    r = ctx.run("merge", out, "--log-out", ctx.path("x.csv"))
    assert r.rc == 2 and "--log-out needs --logs" in r.err, r
    r = ctx.run("merge", "--help")
    assert r.rc == 0 and "--logs" in r.out and "Exit codes" in r.out, r
    r = ctx.run("run", "--help")
    assert "--segment I/N" in r.out and "--start-at T" in r.out
    r = ctx.run("ab", "--help")
    assert "--segment" not in r.out and "--start-at" not in r.out and "One run" not in r.out


def test_segments_script_runs_and_merges(ctx):
    stub = ctx.stub("--delay", "2ms")
    out = ctx.path("seg-out")
    env = dict(os.environ, TAILGATE=ctx.binary, SEGMENTS_OUT=out)
    script = os.path.join(ROOT, "scripts", "segments.sh")
    p = subprocess.run([script, "3", stub.url, "--rate", "60", "--duration", "1s",
                        "--sla", "p99<=10s"], capture_output=True, text=True, env=env,
                       timeout=120)
    ctx.check_sanitizer(p.stderr, "segments.sh")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "merged from 3 segments" in p.stdout
    m = tg.read_json(os.path.join(out, "merged.json"))
    assert m["requests"]["total"] == 60 and m["segment"]["merged"] == 3, m["requests"]
    assert len(tg.read_csv(os.path.join(out, "merged.csv"))) == 60
    # the script gives each process its segment, start and files itself
    for extra in (["--segment", "0/2"], ["--start-at=1"], ["-o", "x.json"], ["--log", "x.csv"]):
        p = subprocess.run([script, "2", stub.url, "--rate", "10", *extra],
                           capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode == 2 and "segments.sh sets" in p.stderr, (extra, p.stdout, p.stderr)
    p = subprocess.run([script, "two", stub.url], capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "N must be a whole number" in p.stderr, p.stderr


def load_yaml(name):
    import yaml  # python3-yaml (scripts/deps.sh --test)
    with open(os.path.join(K8S, name)) as f:
        return list(yaml.safe_load_all(f))


def test_kubernetes_manifests(ctx):
    (job,) = load_yaml("job.yaml")
    (merge,) = load_yaml("merge-job.yaml")
    (cm,) = load_yaml("configmap.yaml")
    (pvc,) = load_yaml("pvc.yaml")
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == int(cm["data"]["SEGMENTS"]) > 1
    assert spec["backoffLimitPerIndex"] >= 0
    assert spec["template"]["spec"]["restartPolicy"] == "Never"  # podFailurePolicy needs it
    (c,) = spec["template"]["spec"]["containers"]
    script = " ".join(c["command"] + c["args"])
    # the segment from the Job's index, the count and start from the ConfigMap
    assert "--segment k8s" in script and '--segments "$SEGMENTS"' in script
    assert '--start-at "$START_AT"' in script
    assert "$JOB_COMPLETION_INDEX" in script  # one result file per index
    assert c["envFrom"][0]["configMapRef"]["name"] == cm["metadata"]["name"]
    assert cm["kind"] == "ConfigMap" and {"TARGET_URL", "TAILGATE_ARGS", "START_AT"} <= set(
        cm["data"])
    assert c["image"] and c["image"] == merge["spec"]["template"]["spec"]["containers"][0]["image"]
    # results on a shared volume, read by the merge, which exits with the gate's code
    claim = pvc["metadata"]["name"]
    for j in (job, merge):
        vols = j["spec"]["template"]["spec"]["volumes"]
        assert vols[0]["persistentVolumeClaim"]["claimName"] == claim
    mc = merge["spec"]["template"]["spec"]["containers"][0]
    assert 'tailgate merge "$dir"/segment-*.json' in " ".join(mc["args"])
    assert mc["envFrom"][0]["configMapRef"]["name"] == cm["metadata"]["name"]
    assert merge["spec"]["backoffLimit"] == 0
    # the script that creates the Job sets START_AT to now + 60 s
    with open(os.path.join(K8S, "run.sh")) as f:
        run_sh = f.read()
    assert "START_IN:-60" in run_sh and "START_AT" in run_sh
    p = subprocess.run(["sh", "-n", os.path.join(K8S, "run.sh")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_dockerfile_builds_in_a_first_stage(ctx):
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")  # continuation lines joined
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    froms = [i for i, ln in enumerate(lines) if ln.upper().startswith("FROM ")]
    assert len(froms) == 2, froms
    first, second = lines[froms[0]].split(), lines[froms[1]].split()
    assert first[1].startswith("debian:") and first[2].upper() == "AS" and first[3] == "build"
    assert second[1].startswith("debian:") and "slim" in second[1] and len(second) == 2
    build, final = lines[froms[0]:froms[1]], lines[froms[1]:]
    assert any("make" in ln and "tailgate" in ln for ln in build if ln.startswith("RUN"))
    assert any(ln.startswith("COPY --from=build") and "tailgate" in ln for ln in final)
    runtime = " ".join(ln for ln in final if ln.startswith("RUN"))
    assert "libjansson4" in runtime and "libssl3" in runtime
    # every library the Makefile links is installed to build and to run (Debian 12 names)
    with open(os.path.join(ROOT, "Makefile")) as f:
        libs = re.search(r"^LDLIBS\s*=(.*)$", f.read(), re.M).group(1).split()
    dev = {"-ljansson": ("libjansson-dev", "libjansson4"),
           "-lnghttp2": ("libnghttp2-dev", "libnghttp2-14"),
           "-lssl": ("libssl-dev", "libssl3"), "-lcrypto": ("libssl-dev", "libssl3"),
           "-lm": ("libc6-dev", ""), "-pthread": ("libc6-dev", "")}
    buildrun = " ".join(ln for ln in build if ln.startswith("RUN"))
    for lib in libs:
        assert lib in dev, f"Makefile links {lib}: say which Debian packages provide it"
        assert dev[lib][0] in buildrun and dev[lib][1] in runtime, (lib, buildrun, runtime)
    assert "gcc" not in runtime and "-dev" not in runtime  # no toolchain in the image
    assert any(ln.startswith("ENTRYPOINT") and "tailgate" in ln for ln in final)


def test_kubernetes_pods_commands_run_and_merge(ctx):
    """The Job's and the merge Job's shell commands, run here as their pods would
    (the ConfigMap's variables, JOB_COMPLETION_INDEX, /results a directory), on a
    volume that still holds an earlier run's files: the merge is this run's."""
    stub = ctx.stub("--delay", "1ms")
    (job,) = load_yaml("job.yaml")
    (merge,) = load_yaml("merge-job.yaml")
    results = ctx.path("results")
    os.makedirs(results)

    def script(j):
        c = j["spec"]["template"]["spec"]["containers"][0]
        assert c["command"] == ["/bin/sh", "-c"]
        return c["args"][0].replace("/results", results)

    def iso(t):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

    env = dict(os.environ, TARGET_URL=stub.url, TAILGATE_ARGS="--rate 40 --duration 1s",
               PATH=os.path.dirname(ctx.binary) + os.pathsep + os.environ["PATH"])
    # an earlier run, of 3 segments, left its last one on the volume
    p = subprocess.run(["sh", "-c", script(job)], capture_output=True, text=True, timeout=60,
                       env=dict(env, SEGMENTS="3", JOB_COMPLETION_INDEX="2",
                                START_AT=iso(int(time.time()) + 1)))
    assert p.returncode == 0, p.stderr
    env.update(SEGMENTS="2", START_AT=iso(int(time.time()) + 3))
    pods = [subprocess.Popen(["sh", "-c", script(job)], env=dict(env, JOB_COMPLETION_INDEX=str(i)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(2)]
    for p in pods:
        _, err = p.communicate(timeout=60)
        ctx.check_sanitizer(err, "job pod")
        assert p.returncode == 0, err
    p = subprocess.run(["sh", "-c", script(merge)], env=env, capture_output=True, text=True,
                       timeout=60)
    ctx.check_sanitizer(p.stderr, "merge pod")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "merged from 2 segments" in p.stdout, p.stdout
