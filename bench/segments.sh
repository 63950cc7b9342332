#!/usr/bin/env bash
# bench/segments.sh — one run split over two processes (--segment, one per core,
# merged with `tailgate merge`) vs the same run in one process with --threads 2,
# against nginx `return 200`. Numbers, not pass/fail.
#
#   bench/segments.sh                            # defaults below
#   SEG_SECONDS=3 SEG_RUNS=1 bench/segments.sh   # quick smoke
#
# Two loads, each run both ways, interleaved, SEG_RUNS times (median quoted):
#   closed  --concurrency SEG_CONNS: the most the client and nginx reach together
#   open    --rate SEG_RATE --arrival poisson: the same offered load both ways, so
#           client CPU per request compares like for like
# The client processes are pinned with taskset: segment i on core i (two
# processes), or both threads on cores 0,1 (one process). nginx runs 2 workers
# unpinned: on a two-core machine the server shares the cores with the client in
# both configurations alike.
#
# Environment (all optional):
#   SEG_SECONDS=10 SEG_RUNS=3 SEG_CONNS=50 SEG_RATE=10000
#   SEG_OUT=- (or a file for the Markdown table)  SEG_KEEP=1 keeps the temp dir
#   TAILGATE=./tailgate
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${SEG_SECONDS:-10}
RUNS=${SEG_RUNS:-3}
CONNS=${SEG_CONNS:-50}
RATE=${SEG_RATE:-10000}
OUT=${SEG_OUT:--}
TG=${TAILGATE:-./tailgate}
[[ $TG == */* ]] || TG=./$TG
export LC_ALL=C

BENCH_TAG=segments-bench
# shellcheck source=bench/lib.sh
. bench/lib.sh
require_cmds nginx python3 taskset /usr/bin/time curl
require_tailgate
"$TG" run --help | grep -- '--segment' >/dev/null || { log "error: $TG has no --segment"; exit 3; }

bench_tmp seg-bench "${SEG_KEEP:-0}"

# ---------------------------------------------------------------- nginx
PORT=$(free_port)
mkdir -p "$TMP/ngx"
cat >"$TMP/ngx/nginx.conf" <<EOF
worker_processes 2;
worker_rlimit_nofile 65536;
daemon off;
pid $TMP/ngx/nginx.pid;
error_log $TMP/ngx/error.log warn;
events { worker_connections 20000; use epoll; }
http {
  access_log off;
  client_body_temp_path $TMP/ngx/body;
  proxy_temp_path $TMP/ngx/proxy;
  fastcgi_temp_path $TMP/ngx/fastcgi;
  uwsgi_temp_path $TMP/ngx/uwsgi;
  scgi_temp_path $TMP/ngx/scgi;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server { listen 127.0.0.1:$PORT backlog=65535; location / { return 200; } }
}
EOF
nginx -p "$TMP/ngx" -c "$TMP/ngx/nginx.conf" -e "$TMP/ngx/error.log" &
NGX_PID=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT/
printf '{"model":"m","inputs":["x"]}' >"$TMP/body.json"
COMMON=(--body "$TMP/body.json" --header 'Content-Type: application/json' --validate status
    --duration "${SECS}s" --quiet --no-progress)
load_opts() { # closed | open
    if [[ $1 == closed ]]; then echo "--concurrency $CONNS"; else echo "--rate $RATE --arrival poisson --seed 1"; fi
}

# ---------------------------------------------------------------- one measurement
# seg LOAD RUN: two processes, segment i on core i, merged. Prints "rps cpu_us p50 p99 total".
seg() {
    local load=$1 r=$2 t i
    t=$(date -d +1sec +%s.%N)
    for i in 0 1; do
        # shellcheck disable=SC2046
        taskset -c "$i" /usr/bin/time -f '%U %S' -o "$TMP/$load-seg$i-$r.time" \
            "$TG" run "$URL" $(load_opts "$load") "${COMMON[@]}" --segment "$i/2" --start-at "$t" \
            --out "$TMP/$load-seg$i-$r.json" 2>>"$TMP/stderr.log" &
    done
    wait
    "$TG" merge "$TMP/$load-seg0-$r.json" "$TMP/$load-seg1-$r.json" -o "$TMP/$load-seg-$r.json" \
        --quiet 2>>"$TMP/stderr.log" || true
    summarize "$TMP/$load-seg-$r.json" "$TMP/$load-seg0-$r.time" "$TMP/$load-seg1-$r.time"
}
# thr LOAD RUN: one process, --threads 2 on cores 0,1.
thr() {
    local load=$1 r=$2
    # shellcheck disable=SC2046
    taskset -c 0,1 /usr/bin/time -f '%U %S' -o "$TMP/$load-thr-$r.time" \
        "$TG" run "$URL" $(load_opts "$load") "${COMMON[@]}" --threads 2 \
        --out "$TMP/$load-thr-$r.json" 2>>"$TMP/stderr.log"
    summarize "$TMP/$load-thr-$r.json" "$TMP/$load-thr-$r.time"
}
summarize() { # RESULT.json TIMEFILE...
    python3 - "$@" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
cpu = 0.0
for t in sys.argv[2:]:
    u, s = open(t).read().split()[-2:]
    cpu += float(u) + float(s)
n = r["requests"]["total"]
lat = r["latency_ms"]["request"]
print(f'{r["throughput"]["requests_per_s"]:.0f} {cpu * 1e6 / max(n, 1):.2f} {lat["p50"]:.3f} '
      f'{lat["p99"]:.3f} {n} {r["requests"]["errors"]}')
EOF
}

# ---------------------------------------------------------------- runs
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A ROWS
for load in closed open; do
    for ((r = 1; r <= RUNS; r++)); do
        log "$load run $r: 2 segments"
        ROWS[$load-seg]+="$(seg "$load" "$r")"$'\n'
        log "$load run $r: --threads 2"
        ROWS[$load-thr]+="$(thr "$load" "$r")"$'\n'
    done
done

median_row() { # lines of "rps cpu p50 p99 total errors" -> the medians of each column
    python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
cols = list(zip(*rows))
med = [statistics.median(c) for c in cols]
print(" ".join(str(int(m)) if m == int(m) and m > 999 else f"{m:.4g}" for m in med))'
}
{
    # shellcheck disable=SC2016 # the backticks are Markdown
    printf '### Segments vs threads: two processes (`--segment i/2`, one per core, merged) vs one process `--threads 2`\n\n'
    # shellcheck disable=SC2016 # the backticks are Markdown
    printf 'nginx `return 200` (2 workers, unpinned), POST with a 29-byte JSON body, %s s x %s runs, median.\n' "$SECS" "$RUNS"
    printf 'Client CPU = user + sys of every tailgate process of the run (both segments, or the one process) / requests.\n'
    printf 'Load average %s before, %s after (other work on the machine shows here).\n\n' "$LOAD_BEFORE" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '| load | client | req/s | client CPU us/req | request p50 ms | p99 ms | requests | errors |\n'
    printf '|---|---|---:|---:|---:|---:|---:|---:|\n'
    for load in closed open; do
        for kind in seg thr; do
            read -r rps cpu p50 p99 n e < <(printf '%s' "${ROWS[$load-$kind]}" | median_row)
            name="2 processes, --segment (merged)"
            [[ $kind == thr ]] && name="1 process, --threads 2"
            what="closed, --concurrency $CONNS"
            [[ $load == open ]] && what="open, --rate $RATE poisson"
            printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$what" "$name" "$rps" "$cpu" "$p50" "$p99" "$n" "$e"
        done
    done
    # shellcheck disable=SC2016 # the backticks are Markdown
    printf '\nCommands (URL = nginx; `T` = now + 1 s):\n\n```sh\n'
    printf 'taskset -c 0 tailgate run URL LOAD --body body.json -H "Content-Type: application/json" --validate status -d %ss --segment 0/2 --start-at T --out s0.json &\n' "$SECS"
    printf 'taskset -c 1 tailgate run URL LOAD --body body.json -H "Content-Type: application/json" --validate status -d %ss --segment 1/2 --start-at T --out s1.json &\n' "$SECS"
    printf 'wait; tailgate merge s0.json s1.json -o merged.json\n'
    printf 'taskset -c 0,1 tailgate run URL LOAD --body body.json -H "Content-Type: application/json" --validate status -d %ss --threads 2 --out one.json\n' "$SECS"
    printf '# LOAD: --concurrency %s  |  --rate %s --arrival poisson --seed 1\n```\n' "$CONNS" "$RATE"
} >"$TMP/table.md"
if [[ $OUT == - ]]; then cat "$TMP/table.md"; else cp "$TMP/table.md" "$OUT"; cat "$TMP/table.md"; fi
