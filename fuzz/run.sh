#!/bin/sh
# run.sh SECONDS OUTDIR TARGET... — runs each fuzz target for SECONDS on a
# scratch copy of corpus/TARGET (the committed seeds stay untouched), prints
# its executions, keeps any crash input in OUTDIR/artifacts/, and exits 1 if
# any target crashed. Called by `make -C fuzz run`.
set -u
seconds=$1
out=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/tailgate-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$out/artifacts"
failed=0
for t in "$@"; do
    mkdir -p "$work/$t"
    if [ -d "corpus/$t" ]; then cp -R "corpus/$t/." "$work/$t/"; fi
    dict=
    if [ -f "dict/$t.dict" ]; then dict="-dict=dict/$t.dict"; fi
    log="$out/fuzz_$t.log"
    "$out/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/$t-" $dict "$work/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "fuzz_$t: ok, ${execs:-?} executions in ${seconds}s"
    else
        failed=1
        echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; log: $log"
        # The failed check and the input itself: a CI log is all there is to
        # reproduce from (printf '%s' B64 | base64 -d > crash; build/fuzz/fuzz_T crash).
        { grep -E 'CHECK failed|ERROR|SUMMARY|artifact|^Base64' "$log" || tail -n 3 "$log"; } |
            head -n 8 | cut -c 1-8000 | sed 's/^/    /'
    fi
done
exit $failed
