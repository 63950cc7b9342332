"""Every option of every command, given a value it cannot take, exits 2 with
a message that starts with the option and says what to give; options that
would do nothing where they were given are refused the same way. Usage
errors are found before anything is sent, so the URL here has no server."""
import concurrent.futures
import re

import tg

URL = "http://127.0.0.1:9/v1/infer"
# The words each command needs besides the option tried (never read: the
# option's error comes first).
CONTEXT = {
    "run": [URL],
    "ab": [URL],
    "sweep": [URL, "--sla", "p95<=1s"],
    "stub": ["--listen", "127.0.0.1:0"],
    "diff": ["a.json", "b.json"],
    "report": ["a.json", "-o", "r.html"],
    "merge": ["a.json", "b.json"],
}
# Options whose empty value means something: the whole answer (--outputs),
# a side with no client options of its own (--baseline, --optimized).
EMPTY_OK = {"outputs", "baseline", "optimized"}


def help_options(ctx, cmd):
    """[(short or None, long, value)] as --help lists them; value: "" for a
    flag, "=" for a value only after '=' (--http2[=auto]), else " "."""
    out = ctx.run(cmd, "--help").out
    rows = re.findall(r"^  (?:-(\w), |    )--([a-z0-9-]+)(\[=\w+\]| \S+)?", out, re.M)
    return [(s or None, name, arg[:1] if arg[:1] != "[" else "=") for s, name, arg in rows
            if name != "help"]


def run_all(ctx, cases):
    """Runs each case's words at once, a few at a time (they only parse)."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda words: ctx.run(*words, timeout=30), cases))


def test_every_option_refuses_an_empty_value(ctx):
    """An empty value is never taken silently: a number, a duration, a
    name, a path ('' used to be a file that could not be written, exit 3,
    or an ignored --cacert, or a model named ""). The short form of each
    option names its long one, so -x is the option --help pairs it with;
    every flag --help lists is one the command knows."""
    cases, labels, flags = [], [], []
    for cmd, context in CONTEXT.items():
        for short, name, value in help_options(ctx, cmd):
            # a flag --help lists is known: it takes no value (merge's --logs
            # takes the words after it, and --logs=a.csv as the first)
            if not value and name != "logs":
                flags.append((cmd, name, ctx.run(cmd, *context, f"--{name}=1", timeout=30)))
            if not value or name in EMPTY_OK:
                continue
            words = [[f"--{name}="]] if value == "=" else [[f"--{name}", ""]]
            if short:
                words.append([f"-{short}", ""])
            for w in words:
                cases.append([cmd, *context, *w])
                labels.append((cmd, w[0], name))
    assert len(cases) > 150, len(cases)
    for (cmd, flag, name), r in zip(labels, run_all(ctx, cases)):
        first = r.err.splitlines()[0] if r.err else ""
        assert r.rc == 2, (cmd, flag, r)
        assert first.startswith(f"tailgate {cmd}: --{name} ") or \
            first.startswith(f"tailgate {cmd}: --{name}: "), (cmd, flag, first)
        assert any(w in first for w in ("e.g.", "give", "use ", "one of", "write")), \
            (cmd, flag, first)
    assert len(flags) >= 15, flags
    for cmd, name, r in flags:
        assert r.rc == 2 and f"option '--{name}' takes no value" in r.err, (cmd, name, r)


# (words, what the message must hold): options that would do nothing where
# they were given, or contradict another, and values whose message lacked
# what to do instead.
REFUSED = [
    (["run", URL, "--http2", "on"], "write --http2=on"),
    (["run", URL, "--cacert", "ca.pem", "--insecure"], "--cacert and --insecure exclude"),
    (["run", URL, "--max-event", "1MiB"], "--max-event needs --stream"),
    (["run", URL, "-m", "HEAD", "--validate", "json"], "use --validate status"),
    (["run", URL, "-m", "HEAD", "--stream"], "drop --stream"),
    (["run", URL, "--start-at", "99999999999999"], "e.g. the output of date -d +60sec"),
    (["ab", URL, "--no-verify", "--verify-tolerance", "abs=0.01"], "drop one of the two"),
    (["ab", URL, "--log-events-every", "5"], "--log-events-every samples"),
    (["ab", URL, "--baseline", "-H 'X: 1"], "a quote is not closed"),
    (["ab", URL, "--optimized", "--help"], "give client options, e.g. --batch 4"),
    (["sweep", URL, "--sla", "p95<=1s", "--log-events-every", "5"],
     "--log-events-every samples"),
    (["sweep", URL, "--sla", "p95<=1s", "--max-concurrency", "8"],
     "add --concurrency-sweep"),
    (["sweep", URL, "--sla", "p95<=1s", "--start-rate", "10", "--concurrency", "4"],
     "--start-rate skips the probe"),
    (["sweep", URL, "--sla", "p95<=1s", "--concurrency-sweep", "--require-rate", "10"],
     "drop --require-rate"),
    (["sweep", URL, "--sla", "p95<=1s", "--segment", "0/2"], "use them with 'tailgate run'"),
    (["sweep", URL, "--sla", "p95<=1s", "--start-at", "2099-01-01T00:00:00Z"],
     "use them with 'tailgate run'"),
    (["stub", "--api", "openai-chat", "--delay", "5ms"], "--api openai-chat is served by the LLM"),
    (["stub", "--api", "tgi", "--workers", "4"], "drop --workers"),
    (["stub", "--api", "kserve-v2", "--max-seqs", "8"], "--api kserve-v2 answers whole"),
    (["stub", "--api", "tailgate", "--script", "s.txt"], "drop --script"),
    (["stub", "--api", "openai-embeddings", "--shuffle-outputs"], "answers in order"),
    (["stub", "--api", "tailgate", "--queue", "8"], "give --workers W too"),
    (["stub", "--script", "llama="], "give MODEL=FILE, e.g. --script llama=chat.txt"),
    (["stub", "--jitter", "exp"], "e.g. --jitter-scale 5ms"),
    (["stub", "--stall-every", "1s"], "e.g. --stall-every 10s --stall-for 1s"),
    (["stub", "--stall-every", "1s", "--stall-for", "2s"], "e.g. --stall-every 10s"),
    (["stub", "--tls-key", "k.pem"], "give both (--tls-cert cert.pem --tls-key key.pem)"),
    (["stub", "--threads", "4", "--workers", "2"], "give --workers 4 or more"),
]


def test_options_that_would_do_nothing_are_refused(ctx):
    """Each exits 2 at once, saying which option and what to do -- before,
    each was taken and dropped (ab's tolerance without checks, a sweep's
    --max-concurrency on a rate sweep, --start-at failing the second step
    of a sweep, the stub's --delay on the LLM engine...), or its message
    left the user to guess the fix."""
    cases = [[w[0], *(["--listen", "127.0.0.1:0"] if w[0] == "stub" else []), *w[1:]]
             for w, _ in REFUSED]
    for (words, want), r in zip(REFUSED, run_all(ctx, cases)):
        assert r.rc == 2 and want in r.err, (words, r)
    # sweep's --help no longer offers what it refuses
    out = ctx.run("sweep", "--help").out
    assert "--segment" not in out and "--start-at" not in out, out


def test_a_directory_option_given_a_file_says_so(ctx):
    """sweep --log-dir said "File exists"; ab --out-dir blamed an --out it
    has no such option as, after checking the target."""
    f = ctx.write("steps", "")
    r = ctx.run("sweep", URL, "--sla", "p95<=1s", "--log-dir", f, timeout=30)
    assert r.rc == 3 and "--log-dir: cannot use" in r.err and "Not a directory" in r.err, r
    r = ctx.run("ab", URL, "--out-dir", f, timeout=30)
    assert r.rc == 3 and "--out-dir: cannot use" in r.err and "Not a directory" in r.err, r


# A value each run option takes (for the options ab and sweep accept, being
# run's, but leave out of their --help).
GOOD = {"log": "l.csv", "out": "o.json", "log-events": "e.csv", "log-events-every": "2",
        "segment": "0/2", "segments": "2", "start-at": "2099-01-01T00:00:00Z", "rate": "5",
        "requests": "5", "duration": "1s"}


def test_options_left_out_of_help_are_refused(ctx):
    """ab and sweep parse every run option; those their --help leaves out
    (ab names its files, a sweep sets the rate and the bounds) exit 2 naming
    the option, even with a good value -- never taken and dropped."""
    run_opts = {name for _, name, _ in help_options(ctx, "run")}
    cases, names = [], []
    for cmd in ("ab", "sweep"):
        listed = {name for _, name, _ in help_options(ctx, cmd)}
        for name in sorted(run_opts - listed):
            cases.append([cmd, *CONTEXT[cmd], f"--{name}", GOOD[name]])
            names.append((cmd, name))
    assert len(names) >= 14, names
    for (cmd, name), r in zip(names, run_all(ctx, cases)):
        assert r.rc == 2 and f"--{name}" in r.err.splitlines()[0], (cmd, name, r)


def test_stub_threads_need_llm_slots_only_where_llm_presets_are_served(ctx):
    """--threads above --max-seqs (256) is refused where the LLM engine
    splits its slots per thread, and not for a preset timed by --delay,
    whose --max-seqs may not even be given."""
    r = ctx.run("stub", "--listen", "127.0.0.1:0", "--threads", "257", timeout=30)
    assert r.rc == 2 and "give --max-seqs 257 or more" in r.err, r
    stub = ctx.stub("--api", "kserve-v2", "--threads", "257")
    assert tg.http(stub.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 200


def test_api_help_in_every_command_that_takes_api(ctx):
    """--api help shows the presets and exits 0 wherever --api is taken (a
    sweep read it as no --api and swept the embedded stub for a minute)."""
    for cmd in ("run", "ab", "sweep"):
        r = ctx.run(cmd, "--api", "help", timeout=10)
        assert r.rc == 0 and r.out.startswith("--api NAME:"), (cmd, r)
