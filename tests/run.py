#!/usr/bin/env python3
"""tailgate's test runner: cmocka unit tests and end-to-end tests, per build variant.

    python3 tests/run.py --variant build/release [--variant build/asan] [-k PATTERN]

Unit tests are the binaries VARIANT/tests/test_* (each cmocka test counts once,
read from TAP output). End-to-end tests are the functions test_* in
tests/e2e/test_*.py; they drive VARIANT/tailgate over 127.0.0.1. The last line
printed is the summary: "N passed, N failed".
"""
import argparse
import importlib.util
import inspect
import os
import re
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "e2e"))
import tg  # noqa: E402

passed = 0
failed = 0
failures = []


def report(name, ok, seconds, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name} ({seconds:.1f}s)", flush=True)
    else:
        failed += 1
        failures.append(name)
        print(f"FAIL {name} ({seconds:.1f}s)", flush=True)
        if detail:
            print("    " + detail.rstrip().replace("\n", "\n    "), flush=True)


def run_units(variant, pattern):
    tdir = os.path.join(variant, "tests")
    if not os.path.isdir(tdir):
        report(f"{variant}: unit tests built", False, 0, f"{tdir} missing: run make first")
        return
    for exe in sorted(os.listdir(tdir)):
        if not exe.startswith("test_"):
            continue
        path = os.path.join(tdir, exe)
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
        t0 = time.monotonic()
        try:
            p = subprocess.run([path], capture_output=True, text=True, timeout=300, env=env)
        except subprocess.TimeoutExpired:
            report(f"{variant}: {exe}", False, time.monotonic() - t0, "timed out after 300 s")
            continue
        dt = time.monotonic() - t0
        seen = 0
        for line in p.stdout.splitlines():
            m = re.match(r"^(not ok|ok) \d+ - (.*)$", line)
            if not m:
                continue
            seen += 1
            name = f"{variant}: {exe}.{m.group(2)}"
            if pattern and pattern not in name:
                continue
            report(name, m.group(1) == "ok", 0, p.stdout + p.stderr if m.group(1) != "ok" else "")
        # A crash, a sanitizer report or a non-zero exit fails the program as a whole.
        if p.returncode != 0 or seen == 0 or "Sanitizer" in p.stderr:
            if not pattern or pattern in exe:
                report(f"{variant}: {exe} (exit {p.returncode})", False, dt,
                       (p.stdout + p.stderr)[-4000:])


def run_e2e(variant, pattern):
    edir = os.path.join(HERE, "e2e")
    binary = os.path.abspath(os.path.join(variant, "tailgate"))
    for fname in sorted(os.listdir(edir)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(edir, fname))
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            report(f"{variant}: {fname} (import)", False, 0, traceback.format_exc())
            continue
        tests = [(n, f) for n, f in inspect.getmembers(mod, inspect.isfunction)
                 if n.startswith("test_") and f.__module__ == mod.__name__]
        tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        for name, fn in tests:
            full = f"{variant}: {fname[:-3]}.{name}"
            if pattern and pattern not in full:
                continue
            ctx = tg.Context(binary, variant, name)
            t0 = time.monotonic()
            try:
                fn(ctx)
                ok, detail = True, ""
            except Exception:
                ok, detail = False, traceback.format_exc()
            finally:
                leaks = ctx.close()
            if ok and leaks:
                ok, detail = False, leaks
            report(full, ok, time.monotonic() - t0, detail)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", action="append", required=True)
    ap.add_argument("-k", dest="pattern", default="")
    ap.add_argument("--unit-only", action="store_true")
    ap.add_argument("--e2e-only", action="store_true")
    a = ap.parse_args()
    for v in a.variant:
        if not a.e2e_only:
            run_units(v, a.pattern)
        if not a.unit_only:
            run_e2e(v, a.pattern)
    if failures:
        print("\nfailed:\n  " + "\n  ".join(failures))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
