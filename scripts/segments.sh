#!/bin/sh
# scripts/segments.sh — one run split over N local processes, merged: the path a
# cluster takes (deploy/kubernetes/), on one machine and without one.
#
#   scripts/segments.sh N URL [tailgate run options...]
#   scripts/segments.sh 4 http://127.0.0.1:8000/v1/infer --rate 2000 --arrival poisson -d 30s
#
# Process i runs `tailgate run URL OPTIONS --segment i/N --start-at T` with one T,
# two seconds ahead (SEGMENTS_START_IN), and writes segment-i.json and
# segment-i.csv into SEGMENTS_OUT (default segments-out/); then `tailgate merge`
# writes merged.json and merged.csv there, prints the summary and this script
# exits with its code: 0 every SLA passed, 1 one failed, 2 not one run (or bad
# options), 3 a segment is missing (its process failed: see segment-i.err).
# SEGMENTS_CPUS=1 pins process i to core i mod nproc (taskset). TAILGATE: the
# binary (default: ./tailgate beside this script's repository, else PATH).
set -eu
if [ $# -lt 2 ]; then
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
N=$1
URL=$2
shift 2
case $N in '' | *[!0-9]*) echo "segments.sh: N must be a whole number, not '$N'" >&2; exit 2 ;; esac
[ "$N" -ge 1 ] || { echo "segments.sh: N must be at least 1" >&2; exit 2; }
for a in "$@"; do
    case $a in
        --segment | --segment=* | --segments | --segments=* | --start-at | --start-at=* | \
            --out | --out=* | -o* | --log | --log=*)
            echo "segments.sh sets ${a%%=*} for each process itself: leave it out" >&2
            exit 2
            ;;
    esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TG=${TAILGATE:-}
if [ -z "$TG" ]; then
    if [ -x "$ROOT/tailgate" ]; then TG=$ROOT/tailgate; else TG=tailgate; fi
fi
OUT=${SEGMENTS_OUT:-segments-out}
mkdir -p "$OUT"
rm -f "$OUT"/segment-*.json "$OUT"/segment-*.csv "$OUT"/segment-*.err
START_AT=$(date -u -d "+${SEGMENTS_START_IN:-2} seconds" +%s.%N)
NCPU=$(nproc 2>/dev/null || echo 1)

pids=""
i=0
while [ "$i" -lt "$N" ]; do
    pin=""
    if [ "${SEGMENTS_CPUS:-0}" = 1 ]; then pin="taskset -c $((i % NCPU))"; fi
    # shellcheck disable=SC2086 # $pin is a command prefix or nothing
    $pin "$TG" run "$URL" "$@" --segment "$i/$N" --start-at "$START_AT" \
        --out "$OUT/segment-$i.json" --log "$OUT/segment-$i.csv" --quiet --no-progress \
        2>"$OUT/segment-$i.err" &
    pids="$pids $!"
    i=$((i + 1))
done
failed=0
i=0
for p in $pids; do
    rc=0
    wait "$p" || rc=$?
    # 0 and 1 (the segment's own SLA verdict) mean it ran: the gate is the merge's.
    if [ "$rc" -gt 1 ]; then
        echo "segments.sh: segment $i/$N exited $rc: $(tail -n 3 "$OUT/segment-$i.err")" >&2
        [ "$rc" -eq 2 ] && failed=2
    fi
    i=$((i + 1))
done
[ "$failed" -eq 2 ] && exit 2 # bad options: every segment says the same
set -- "$OUT"/segment-*.json
[ -e "$1" ] || { echo "segments.sh: no segment wrote a result" >&2; exit 3; }
rc=0
"$TG" merge "$OUT"/segment-*.json -o "$OUT/merged.json" \
    --log-out "$OUT/merged.csv" --logs "$OUT"/segment-*.csv || rc=$?
exit "$rc"
