#!/usr/bin/env python3
"""tailgate's test runner: cmocka unit tests and end-to-end tests, per build variant.

    python3 tests/run.py --variant build/release [--variant build/asan] [-k PATTERN] [-j N]

Unit tests are the binaries VARIANT/tests/test_* (each cmocka test counts once,
read from TAP output). End-to-end tests are the functions test_* in
tests/e2e/test_*.py; they drive VARIANT/tailgate over 127.0.0.1.

Every unit binary and every end-to-end test function is one job, run in its own
process, N at a time (default: 2 per core). The tests are already isolated (own
temporary directory, servers on port 0), and most of their time is spent waiting
on a schedule, not on a core, so they overlap well. Jobs start slowest-known
first (timings of the previous run are kept in build/test-times.json) so the
long ones do not end up alone at the tail. Each job's lines are printed whole
when it ends. The last line printed is the summary: "N passed, N failed".
"""
import argparse
import concurrent.futures
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EDIR = os.path.join(HERE, "e2e")
TIMES = os.path.join(ROOT, "build", "test-times.json")
sys.path.insert(0, EDIR)


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.lock = threading.Lock()

    def add(self, lines, results):
        """lines: the job's output; results: [(name, ok)]. Printed as one block."""
        with self.lock:
            for name, ok in results:
                if ok:
                    self.passed += 1
                else:
                    self.failed += 1
                    self.failures.append(name)
            if lines:
                print("\n".join(lines), flush=True)


def line(name, ok, seconds, detail=""):
    out = [f"{'PASS' if ok else 'FAIL'} {name} ({seconds:.1f}s)"]
    if not ok and detail:
        out.append("    " + detail.rstrip().replace("\n", "\n    "))
    return out


def unit_job(variant, exe, pattern):
    """Runs one cmocka binary; every TAP line is one result."""
    path = os.path.join(variant, "tests", exe)
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    t0 = time.monotonic()
    lines, results = [], []
    try:
        p = subprocess.run([path], capture_output=True, text=True, timeout=300, env=env)
    except subprocess.TimeoutExpired:
        name = f"{variant}: {exe}"
        return line(name, False, time.monotonic() - t0, "timed out after 300 s"), [(name, False)]
    dt = time.monotonic() - t0
    seen = 0
    for ln in p.stdout.splitlines():
        m = re.match(r"^(not ok|ok) \d+ - (.*)$", ln)
        if not m:
            continue
        seen += 1
        name = f"{variant}: {exe}.{m.group(2)}"
        if pattern and pattern not in name:
            continue
        ok = m.group(1) == "ok"
        lines += line(name, ok, 0, "" if ok else p.stdout + p.stderr)
        results.append((name, ok))
    # A crash, a sanitizer report or a non-zero exit fails the program as a whole.
    if p.returncode != 0 or seen == 0 or "Sanitizer" in p.stderr:
        if not pattern or pattern in exe:
            name = f"{variant}: {exe} (exit {p.returncode})"
            lines += line(name, False, dt, (p.stdout + p.stderr)[-4000:])
            results.append((name, False))
    return lines, results


def load_module(fname):
    spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(EDIR, fname))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def e2e_tests(fname):
    """The test functions of one file, in source order."""
    mod = load_module(fname)
    tests = [(n, f) for n, f in inspect.getmembers(mod, inspect.isfunction)
             if n.startswith("test_") and f.__module__ == mod.__name__]
    tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
    return [n for n, _ in tests]


def e2e_job(variant, fname, test):
    """Runs one end-to-end test in a child process (--one), so a test that hangs
    or crashes the interpreter costs only itself."""
    name = f"{variant}: {fname[:-3]}.{test}"
    t0 = time.monotonic()
    try:
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--variant", variant,
                            "--one", f"{fname}::{test}"],
                           capture_output=True, text=True, timeout=600, cwd=ROOT)
        ok = p.returncode == 0
        detail = p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        ok, detail = False, "timed out after 600 s"
    return line(name, ok, time.monotonic() - t0, detail), [(name, ok)]


def run_one(variant, spec):
    """Child mode: one test function; exit 0 when it passed, else print why."""
    import tg
    fname, test = spec.split("::")
    fn = getattr(load_module(fname), test)
    ctx = tg.Context(os.path.abspath(os.path.join(variant, "tailgate")), variant, test)
    try:
        fn(ctx)
        ok, detail = True, ""
    except Exception:
        ok, detail = False, traceback.format_exc()
    finally:
        leaks = ctx.close()
    if ok and leaks:
        ok, detail = False, leaks
    if detail:
        print(detail)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", action="append", required=True)
    ap.add_argument("-k", dest="pattern", default="")
    ap.add_argument("-j", dest="jobs", type=int, default=2 * (os.cpu_count() or 1))
    ap.add_argument("--unit-only", action="store_true")
    ap.add_argument("--e2e-only", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        sys.exit(run_one(a.variant[0], a.one))

    tally = Tally()
    jobs = []  # (key, fn, args)
    for v in a.variant:
        if not a.e2e_only:
            tdir = os.path.join(v, "tests")
            if not os.path.isdir(tdir):
                tally.add(line(f"{v}: unit tests built", False, 0, f"{tdir} missing: run make"),
                          [(f"{v}: unit tests built", False)])
            else:
                for exe in sorted(os.listdir(tdir)):
                    if exe.startswith("test_"):
                        jobs.append((f"{v}: {exe}", unit_job, (v, exe, a.pattern)))
        if a.unit_only:
            continue
        for fname in sorted(os.listdir(EDIR)):
            if not (fname.startswith("test_") and fname.endswith(".py")):
                continue
            try:
                tests = e2e_tests(fname)
            except Exception:
                name = f"{v}: {fname} (import)"
                tally.add(line(name, False, 0, traceback.format_exc()), [(name, False)])
                continue
            for t in tests:
                key = f"{v}: {fname[:-3]}.{t}"
                if a.pattern and a.pattern not in key:
                    continue
                jobs.append((key, e2e_job, (v, fname, t)))

    try:
        with open(TIMES) as f:
            known = json.load(f)
    except (OSError, ValueError):
        known = {}
    # Unknown jobs first (they may be slow), then slowest known first.
    jobs.sort(key=lambda j: -known.get(j[0], 1e9))
    times = dict(known)
    t_all = time.monotonic()

    def run(job):
        key, fn, args = job
        t0 = time.monotonic()
        lines, results = fn(*args)
        times[key] = round(time.monotonic() - t0, 2)
        tally.add(lines, results)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        list(ex.map(run, jobs))

    try:
        os.makedirs(os.path.dirname(TIMES), exist_ok=True)
        with open(TIMES, "w") as f:
            json.dump(times, f, indent=0, sort_keys=True)
    except OSError:
        pass
    if tally.failures:
        print("\nfailed:\n  " + "\n  ".join(sorted(tally.failures)))
    print(f"({len(jobs)} jobs, {a.jobs} at a time, {time.monotonic() - t_all:.0f}s)")
    print(f"{tally.passed} passed, {tally.failed} failed")
    sys.exit(1 if tally.failed or tally.passed == 0 else 0)


if __name__ == "__main__":
    main()
