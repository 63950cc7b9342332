#!/usr/bin/env bash
# bench/run.sh — tailgate against its peers, in one run; writes docs/PERFORMANCE.md.
#
#   make bench                                  # defaults: BENCH_SECONDS=10 BENCH_RUNS=3
#   BENCH_SECONDS=3 BENCH_RUNS=1 make bench     # quick smoke
#
# Sections (each tolerates a tailgate feature that is not built yet: its cells say
# "n/a (not built)", the peers' numbers are always measured):
#   A  client: tailgate run vs wrk, hey, ab, h2load against nginx `return 200`
#      (req/s, client CPU per request) + strace syscalls per request, tailgate vs wrk
#   B  client at 10,000 connections: peak RSS, tailgate vs wrk
#   C  server: tailgate stub --delay 0 vs nginx, both driven by the same wrk POST
#   D  server: tailgate stub --delay 1s holding 10,000 concurrent requests
#   E  HTTPS: tailgate vs wrk over TLS, handshake rate with and without resumption (bench/tls.sh)
#   F  templated requests: --api openai-chat over a 1,000-line data file vs a fixed body vs wrk,
#      against nginx answering a chat completion
#   G  HTTP/2: tailgate run --http2 vs h2load against nginx, h2c and h2 (bench/h2.sh); then
#      BENCH_SSE_STREAMS concurrent SSE streams from the stub over BENCH_SSE_H2_CONNS h2c
#      connections vs one HTTP/1.1 connection each (ttft, tpot)
#   H  streaming: the stub streaming 64-token chat answers with zero delay, driven at the same
#      rate by tailgate run --stream and by a Python aiohttp client written like vLLM's
#      benchmark client (bench/stream_client.py): client CPU (user, sys) per token event and
#      per request, at two rates; then tailgate holding BENCH_STREAMS concurrent streams on
#      one core; then tailgate's open-loop send lag at BENCH_LAG_RATE streams/s
#   J  segments: two processes with --segment (merged) vs one with --threads 2 (bench/segments.sh)
#
# Numbers, not pass/fail: the script exits 0 whenever it could measure something.
# Servers run on core BENCH_SERVER_CPU (0), clients on core BENCH_CLIENT_CPU (1).
#
# Environment (all optional):
#   BENCH_SECONDS=10        length of each A/C measurement
#   BENCH_RUNS=3            repetitions; tables quote the median, runs are interleaved
#   BENCH_CONNS=50          connections / concurrency for A and C
#   BENCH_C10K=10000        connections for B and D
#   BENCH_C10K_SECONDS=5    length of B's runs
#   BENCH_STUB_DELAY=1s     D's per-request delay
#   BENCH_STRACE_SECONDS=2  length of the strace'd runs in A
#   BENCH_OUT=docs/PERFORMANCE.md   where the report goes ("-" = stdout only)
#   BENCH_SECTIONS=ABCDEFGHIJ which sections (H streaming with I, its held streams; J segments)
#   BENCH_STREAM_RATE=200   H: requests per second (each a 64-token stream)
#   BENCH_STREAM_RATE2=1000 H: the second load point, requests per second (0 = none)
#   BENCH_STREAMS=10000     H: concurrent streams held by tailgate
#   BENCH_LAG_RATE=2000     H: streams per second of the open-loop send-lag runs
#   BENCH_LAG_SECONDS=5     H: length of each send-lag run
#   BENCH_SSE_STREAMS=1000  G: concurrent SSE streams, over HTTP/2 and over HTTP/1.1
#   BENCH_SSE_H2_CONNS=10   G: HTTP/2 connections they share (one per stream on HTTP/1.1)
#   BENCH_SSE_SECONDS=5     G: length of each SSE run
#   BENCH_IDLE_WAIT=120     at start, wait up to this long for an idle machine
#   BENCH_QUIET_WAIT=20     before each measurement, wait up to this long for a quiet second
#   BENCH_MAX_OTHER=25      a run during which other work used more than this % of a core ...
#   BENCH_RETRIES=2         ... is repeated up to this many times
#   BENCH_KEEP=1            keep the temp dir (raw outputs) for inspection
#   TAILGATE=./tailgate     binary under test
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CONNS=${BENCH_CONNS:-50}
BENCH_C10K=${BENCH_C10K:-10000}
BENCH_C10K_SECONDS=${BENCH_C10K_SECONDS:-5}
BENCH_STUB_DELAY=${BENCH_STUB_DELAY:-1s}
BENCH_STRACE_SECONDS=${BENCH_STRACE_SECONDS:-2}
BENCH_OUT=${BENCH_OUT:-docs/PERFORMANCE.md}
BENCH_SECTIONS=${BENCH_SECTIONS:-ABCDEFGHIJ}
BENCH_STREAM_RATE=${BENCH_STREAM_RATE:-200}
BENCH_STREAMS=${BENCH_STREAMS:-10000}
BENCH_STREAM_RATE2=${BENCH_STREAM_RATE2:-1000}
BENCH_SSE_STREAMS=${BENCH_SSE_STREAMS:-1000}
BENCH_SSE_H2_CONNS=${BENCH_SSE_H2_CONNS:-10}
BENCH_SSE_SECONDS=${BENCH_SSE_SECONDS:-5}
BENCH_LAG_RATE=${BENCH_LAG_RATE:-2000}
BENCH_LAG_SECONDS=${BENCH_LAG_SECONDS:-5}
BENCH_MAX_OTHER=${BENCH_MAX_OTHER:-25}
BENCH_RETRIES=${BENCH_RETRIES:-2}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
TG=${TAILGATE:-./tailgate}
[[ $TG == */* ]] || TG=./$TG
export LC_ALL=C

# the exact invocation: every BENCH_* variable the caller set, then make bench
COMMAND_LINE="$({ env | grep -E '^(BENCH_[A-Z_]+|TAILGATE)=' || true; } | sort | tr '\n' ' ')"
if [[ -n ${MAKELEVEL:-} ]]; then COMMAND_LINE+="make bench"; else COMMAND_LINE+="bench/run.sh"; fi

BENCH_TAG=bench
# shellcheck source=bench/lib.sh
. bench/lib.sh
die() { log "error: $*"; exit 3; }

# ---------------------------------------------------------------- packages
# Install what is missing, non-interactively; never fails the script (a missing
# peer just shows up as "n/a (tool missing)").
APT_UPDATED=0
need() { # need COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    log "installing $2 (for $1)"
    local apt=(apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$2")
    if ! DEBIAN_FRONTEND=noninteractive timeout 600 "${apt[@]}" >/dev/null 2>&1; then
        if [[ $APT_UPDATED == 0 ]]; then
            APT_UPDATED=1
            DEBIAN_FRONTEND=noninteractive timeout 600 apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive timeout 600 "${apt[@]}" >/dev/null 2>&1 || true
        fi
    fi
    command -v "$1" >/dev/null 2>&1 || log "warning: $1 unavailable ($2 did not install)"
}
[[ -x /usr/bin/time ]] || need /usr/bin/time time
need taskset util-linux
need python3 python3-minimal
need curl curl
need nginx nginx-light
need wrk wrk
need hey hey
need ab apache2-utils
need h2load nghttp2-client
need strace strace
for c in /usr/bin/time taskset python3 nginx wrk; do
    command -v "$c" >/dev/null 2>&1 || die "$c is required and could not be installed"
done
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- temp dir, cleanup
TMP=$(mktemp -d /tmp/tailgate-bench.XXXXXX)
RES=$TMP/results.tsv # section  name  run  key  value
: >"$RES"
PIDS=()
SYSCTL_RESTORE=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for p in "${SYSCTL_RESTORE[@]}"; do sysctl -q -w "$p" >/dev/null 2>&1 || true; done
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then log "raw outputs kept in $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "failed: line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- limits
# 10,000 connections: each side needs >10k descriptors, the listen queue must hold a
# burst of 10k SYNs.
ulimit -Hn 1048576 2>/dev/null || true
ulimit -Sn 1048576 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" || true
raise_sysctl() { # raise_sysctl KEY MIN  (restored on exit)
    local cur
    cur=$(sysctl -n "$1" 2>/dev/null) || return 0
    if ((cur < $2)) && sysctl -q -w "$1=$2" >/dev/null 2>&1; then SYSCTL_RESTORE+=("$1=$cur"); fi
}
raise_sysctl net.core.somaxconn 65535
raise_sysctl net.ipv4.tcp_max_syn_backlog 65535
CLK_TCK=$(getconf CLK_TCK)
NOFILE=$(ulimit -Sn)
((NOFILE > 65536)) && NOFILE=65536
((NOFILE >= BENCH_C10K + 100)) || log "warning: open-file limit $NOFILE is below $BENCH_C10K connections"

wait_http() { # wait_http URL SECONDS
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        curl -s -o /dev/null -m 1 "$1" && return 0
        sleep 0.05
    done
    return 1
}

# utime+stime of a whole process (all threads), in clock ticks
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# user+nice+system ticks of the whole machine: what we did not account to the measured
# client and server is other work on the machine ("other load", a noise indicator)
machine_ticks() { awk '/^cpu /{print $2+$3+$4; exit}' /proc/stat; }
other_pct() { # other_pct M0 M1 OWN_TICKS W0 W1
    awk -v a="$1" -v b="$2" -v own="$3" -v w0="$4" -v w1="$5" -v hz="$CLK_TCK" \
        'BEGIN{x=(b-a-own)/hz/(w1-w0)*100; if(x<0)x=0; printf "%.0f", x}'
}
# Before each measurement: wait (at most BENCH_QUIET_WAIT s) for a 1-second window in which
# the machine is nearly idle, so that runs land between other people's builds and tests.
wait_quiet() {
    local end=$((SECONDS + ${BENCH_QUIET_WAIT:-20})) q0 q1 busy
    while ((SECONDS < end)); do
        q0=$(machine_ticks)
        sleep 1
        q1=$(machine_ticks)
        busy=$(((q1 - q0) * 100 / CLK_TCK))
        ((busy < 15)) && return 0
    done
    return 0
}
proc_hwm_kib() { awk '/^VmHWM:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

rec() { # rec SECTION NAME RUN KEY VALUE
    printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RES"
}
rec_na() { # rec_na SECTION NAME RUN REASON
    rec "$1" "$2" "$3" na "$4"
}

# ---------------------------------------------------------------- fixtures
BODY=$TMP/body.json
printf '%s' '{"model":"m","inputs":["hello"]}' >"$BODY"
cat >"$TMP/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"model":"m","inputs":["hello"]}'
wrk.headers["Content-Type"] = "application/json"
EOF

# F: a chat completion as vLLM answers one (nginx returns it), 1,000 prompts of 20..200
# bytes, and the body the openai-chat preset sends for the first of them (the fixed body)
CHAT_ANSWER='{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}'
python3 - "$TMP/chats.jsonl" <<'EOF'
import json, random, sys
rnd = random.Random(1)
words = "latency tail p99 batch queue token prefill decode cache server model request".split()
with open(sys.argv[1], "w") as f:
    for i in range(1000):
        text = f"prompt {i}:"
        target = rnd.randint(20, 200)
        while len(text) < target:
            text += " " + rnd.choice(words)
        f.write(json.dumps(text) + "\n")
EOF
CHAT_FIRST=$(head -1 "$TMP/chats.jsonl")
CHAT_BODY=$TMP/chat.json
printf '{"model":"m","messages":[{"role":"user","content":%s}],"max_tokens":16,"stream":false}' \
    "$CHAT_FIRST" >"$CHAT_BODY"
cat >"$TMP/chat.lua" <<EOF
wrk.method = "POST"
wrk.body = [[$(cat "$CHAT_BODY")]]
wrk.headers["Content-Type"] = "application/json"
EOF

# ---------------------------------------------------------------- tailgate feature probes
tg_has() { # tg_has CMD OPTION...: the subcommand is built and its --help names every OPTION
    local help o
    [[ -x $TG ]] || return 1
    help=$(timeout 5 "$TG" "$1" --help 2>&1) || return 1
    shift
    for o in "$@"; do grep -q -- "$o" <<<"$help" || return 1; done
    return 0
}
tg_threads_opt() { if tg_has "$1" --threads; then echo "--threads 1"; fi; }

# ---------------------------------------------------------------- nginx
NGX_DIR=$TMP/nginx
NGX_PORT=$(free_port)
NGX_MASTER=
NGX_WORKER=
start_nginx() {
    mkdir -p "$NGX_DIR"
    cat >"$NGX_DIR/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $NGX_DIR/nginx.pid;
error_log $NGX_DIR/error.log warn;
events { worker_connections 20000; use epoll; multi_accept on; }
http {
  access_log off;
  client_body_temp_path $NGX_DIR/body;
  proxy_temp_path $NGX_DIR/proxy;
  fastcgi_temp_path $NGX_DIR/fastcgi;
  uwsgi_temp_path $NGX_DIR/uwsgi;
  scgi_temp_path $NGX_DIR/scgi;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$NGX_PORT backlog=65535;
    location / { return 200; }
    location = /json { default_type application/json; return 200 '{"model":"m","outputs":["x"]}'; }
    location = /v1/chat/completions { default_type application/json; return 200 '$CHAT_ANSWER'; }
  }
}
EOF
    taskset -c "$SCPU" nginx -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf" -e "$NGX_DIR/error.log" &
    NGX_MASTER=$!
    PIDS+=("$NGX_MASTER")
    wait_http "http://127.0.0.1:$NGX_PORT/" 10 || die "nginx did not start: $(cat "$NGX_DIR/error.log" 2>/dev/null)"
    NGX_WORKER=$(pgrep -P "$NGX_MASTER" | head -1)
    [[ -n $NGX_WORKER ]] || die "nginx worker not found"
    log "nginx on 127.0.0.1:$NGX_PORT (master $NGX_MASTER, worker $NGX_WORKER, core $SCPU)"
}

# ---------------------------------------------------------------- one client run
# client SECTION NAME RUN KIND TIMEOUT CMD...
# Runs CMD on the client core under /usr/bin/time; parses requests, errors, req/s
# according to KIND (wrk|hey|ab|h2load|tailgate); records cpu_us (client user+sys
# per request), rss_kib, and the nginx worker's CPU share while it ran.
# A run disturbed by other work (other load above BENCH_MAX_OTHER % of a core) is thrown
# away and repeated, at most BENCH_RETRIES times; the last attempt stands, its other load shown.
LAST_OTHER=0
unrecord() { # unrecord SECTION NAME RUN
    awk -F'\t' -v a="$1" -v b="$2" -v c="$3" '!($1==a && $2==b && $3==c)' "$RES" >"$RES.tmp"
    mv "$RES.tmp" "$RES"
}
retrying() { # retrying FUNC SECTION NAME RUN ARGS...
    local f=$1 sec=$2 name=$3 run=$4 i
    shift
    for ((i = 0; ; i++)); do
        LAST_OTHER=0
        "$f" "$@"
        ((LAST_OTHER <= BENCH_MAX_OTHER || i >= BENCH_RETRIES)) && return 0
        log "  $name run $run disturbed (other load ${LAST_OTHER}%): repeating"
        unrecord "$sec" "$name" "$run"
    done
}
client() { retrying client_once "$@"; }
client_once() {
    local sec=$1 name=$2 run=$3 kind=$4 tmo=$5
    shift 5
    local out=$TMP/$sec-$name-$run.out tf=$TMP/$sec-$name-$run.time rc=0
    local t0=0 t1=0 w0 w1 m0 m1
    wait_quiet
    [[ -n $NGX_WORKER ]] && t0=$(proc_ticks "$NGX_WORKER")
    m0=$(machine_ticks)
    w0=$(date +%s.%N)
    taskset -c "$CCPU" /usr/bin/time -f '%e %U %S %M' -o "$tf" \
        timeout -k 5 "$tmo" "$@" >"$out" 2>&1 </dev/null || rc=$?
    w1=$(date +%s.%N)
    m1=$(machine_ticks)
    [[ -n $NGX_WORKER ]] && t1=$(proc_ticks "$NGX_WORKER")
    local req="" err="" rps=""
    case $kind in
    wrk)
        req=$(awk '/requests in/{print $1}' "$out")
        rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
        err=$(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(",","");n+=$4+$6+$8+$10} END{print n+0}' "$out")
        ;;
    hey)
        req=$(awk '/responses$/{n+=$2} END{print n+0}' "$out")
        rps=$(awk '/Requests\/sec:/{print $2}' "$out")
        err=$(awk '/^\s*\[[0-9]+\]/{if($1!="[200]")n+=$2} /^Error distribution/{e=1;next} e&&/\[[0-9]+\]/{n+=substr($1,2)+0} END{print n+0}' "$out")
        ;;
    ab)
        req=$(awk '/^Complete requests:/{print $3}' "$out")
        rps=$(awk '/^Requests per second:/{print $4}' "$out")
        err=$(awk '/^Failed requests:/{n+=$3} /^Non-2xx responses:/{n+=$3} END{print n+0}' "$out")
        ;;
    h2load)
        req=$(awk '/^requests:/{print $8}' "$out")
        rps=$(awk '/^finished in/{print $4}' "$out")
        err=$(awk '/^requests:/{print $12+$14+$16}' "$out")
        ;;
    tailgate)
        read -r req err rps < <(python3 - "$TMP/$sec-$name-$run.json" <<'EOF' || true
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    r = d["requests"]
    print(r["total"], r["errors"], d["throughput"]["requests_per_s"])
except Exception:
    print("", "", "")
EOF
        )
        ;;
    esac
    if [[ -z $req || -z $rps || $req == 0 ]]; then
        log "  $name run $run: no result (rc=$rc); tail of output:"
        tail -5 "$out" | sed 's/^/      /' >&2
        rec_na "$sec" "$name" "$run" "failed (rc=$rc)"
        return 0
    fi
    local u="" s="" m=""
    read -r _ u s m < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$tf" | tail -1) || true
    u=${u:-0} s=${s:-0} m=${m:-0}
    local cpu_us srv_pct
    cpu_us=$(awk -v u="$u" -v s="$s" -v n="$req" 'BEGIN{printf "%.3f", (u+s)*1e6/n}')
    srv_pct=$(awk -v a="$t0" -v b="$t1" -v w0="$w0" -v w1="$w1" -v hz="$CLK_TCK" 'BEGIN{printf "%.0f", (b-a)/hz/(w1-w0)*100}')
    rec "$sec" "$name" "$run" rps "$rps"
    rec "$sec" "$name" "$run" requests "$req"
    rec "$sec" "$name" "$run" errors "${err:-0}"
    rec "$sec" "$name" "$run" cpu_us "$cpu_us"
    rec "$sec" "$name" "$run" cpu_s "$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')"
    rec "$sec" "$name" "$run" rss_kib "$m"
    rec "$sec" "$name" "$run" server_pct "$srv_pct"
    local other
    other=$(other_pct "$m0" "$m1" "$(awk -v u="$u" -v s="$s" -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" 'BEGIN{print (u+s)*hz+b-a}')" "$w0" "$w1")
    rec "$sec" "$name" "$run" other_pct "$other"
    LAST_OTHER=$other
    log "  $name run $run: $rps req/s, $req requests, ${err:-0} errors, $cpu_us µs CPU/req, RSS $((m / 1024)) MiB, nginx core ${srv_pct}%, other load ${other}%"
}

# ---------------------------------------------------------------- A: client
section_a() {
    local url=http://127.0.0.1:$NGX_PORT/ S=$BENCH_SECONDS C=$BENCH_CONNS tmo=$((BENCH_SECONDS + 30)) r
    log "A: clients vs nginx return 200 — $C connections, ${S}s, $BENCH_RUNS runs"
    local tg_ok=0 tg_log=0 th=""
    tg_has run --concurrency --connections --duration --validate --body --out && tg_ok=1
    tg_has run --log && tg_log=1
    th=$(tg_threads_opt run)
    for ((r = 1; r <= BENCH_RUNS; r++)); do
        if ((tg_ok)); then
            # shellcheck disable=SC2086
            client A tailgate "$r" tailgate "$tmo" "$TG" run "$url" --concurrency "$C" --connections "$C" \
                --duration "${S}s" --validate status --body "$BODY" --header 'Content-Type:application/json' \
                $th --out "$TMP/A-tailgate-$r.json" --quiet
        else rec_na A tailgate "$r" "n/a (not built)"; fi
        if ((tg_ok && tg_log)); then
            # shellcheck disable=SC2086
            client A tailgate_log "$r" tailgate "$tmo" "$TG" run "$url" --concurrency "$C" --connections "$C" \
                --duration "${S}s" --validate status --body "$BODY" --header 'Content-Type:application/json' \
                $th --out "$TMP/A-tailgate_log-$r.json" --log "$TMP/A-log-$r.csv" --quiet
            rm -f "$TMP/A-log-$r.csv"
        else rec_na A tailgate_log "$r" "n/a (not built)"; fi
        client A wrk "$r" wrk "$tmo" wrk -t1 -c"$C" -d"${S}s" -s "$TMP/post.lua" "$url"
        if have hey; then
            client A hey "$r" hey "$tmo" hey -c "$C" -z "${S}s" -m POST -D "$BODY" -T application/json "$url"
        else rec_na A hey "$r" "n/a (tool missing)"; fi
        if have ab; then
            client A ab "$r" ab "$tmo" ab -k -q -c "$C" -t "$S" -n 10000000 -p "$BODY" -T application/json "$url"
        else rec_na A ab "$r" "n/a (tool missing)"; fi
        if have h2load; then
            client A h2load "$r" h2load "$tmo" h2load --h1 -t1 -c"$C" -D "$S" -d "$BODY" \
                -H 'Content-Type: application/json' "$url"
        else rec_na A h2load "$r" "n/a (tool missing)"; fi
    done

    # syscalls per request: strace -c -f of a short run, tailgate vs wrk
    local T=$BENCH_STRACE_SECONDS
    log "A: strace -c -f, ${T}s each"
    if have strace; then
        strace_run wrk "$tmo" wrk -t1 -c"$C" -d"${T}s" -s "$TMP/post.lua" "$url"
        if ((tg_ok)); then
            # shellcheck disable=SC2086
            strace_run tailgate "$tmo" "$TG" run "$url" --concurrency "$C" --connections "$C" \
                --duration "${T}s" --validate status --body "$BODY" --header 'Content-Type:application/json' \
                $th --out "$TMP/strace-tailgate.json" --quiet
        else rec_na S tailgate 1 "n/a (not built)"; fi
    else
        rec_na S wrk 1 "n/a (strace missing)"
    fi
}

strace_run() { # strace_run NAME TIMEOUT CMD...
    local name=$1 tmo=$2
    shift 2
    local out=$TMP/strace-$name.out sf=$TMP/strace-$name.txt rc=0
    taskset -c "$CCPU" timeout -k 5 "$tmo" strace -c -f -o "$sf" "$@" >"$out" 2>&1 </dev/null || rc=$?
    local req=""
    if [[ $name == wrk ]]; then
        req=$(awk '/requests in/{print $1}' "$out")
    else
        req=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["requests"]["total"])' \
            "$TMP/strace-$name.json" 2>/dev/null || true)
    fi
    if [[ -z $req || $req == 0 || ! -s $sf ]]; then
        rec_na S "$name" 1 "failed (rc=$rc)"
        return 0
    fi
    rec S "$name" 1 requests "$req"
    # strace -c table: % time, seconds, usecs/call, calls, [errors], syscall
    awk '/^-/{t=1;next} t && NF>=5 && $NF!="total"{print $NF"\t"$4}' "$sf" |
        while IFS=$'\t' read -r sc calls; do rec S "$name" 1 "sc:$sc" "$calls"; done
    log "  strace $name: $req requests"
}

# ---------------------------------------------------------------- B: 10k client connections
section_b() {
    local url=http://127.0.0.1:$NGX_PORT/ N=$BENCH_C10K S=$BENCH_C10K_SECONDS tmo=$((BENCH_C10K_SECONDS + 60)) th
    log "B: $N connections for ${S}s — peak RSS"
    if tg_has run --concurrency --connections --duration --body --out; then
        th=$(tg_threads_opt run)
        # shellcheck disable=SC2086
        client B tailgate 1 tailgate "$tmo" "$TG" run "$url" --concurrency "$N" --connections "$N" \
            --duration "${S}s" --validate status --body "$BODY" --header 'Content-Type:application/json' \
            $th --out "$TMP/B-tailgate-1.json" --quiet
    else rec_na B tailgate 1 "n/a (not built)"; fi
    client B wrk 1 wrk "$tmo" wrk -t1 -c"$N" -d"${S}s" -s "$TMP/post.lua" "$url"
}

# ---------------------------------------------------------------- stub helpers
STUB_PID=
start_stub() { # start_stub PORT ARGS...
    local port=$1
    shift
    taskset -c "$SCPU" "$TG" stub --listen "127.0.0.1:$port" "$@" >"$TMP/stub-$port.log" 2>&1 </dev/null &
    STUB_PID=$!
    PIDS+=("$STUB_PID")
    if ! wait_http "http://127.0.0.1:$port/healthz" 10; then
        log "  stub did not answer /healthz: $(tail -3 "$TMP/stub-$port.log")"
        stop_stub
        return 1
    fi
}
stop_stub() {
    [[ -n $STUB_PID ]] || return 0
    kill -TERM "$STUB_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$STUB_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$STUB_PID" 2>/dev/null || true
    wait "$STUB_PID" 2>/dev/null || true
    STUB_PID=
}

# server run: wrk POST from the client core, server CPU from /proc/PID/stat
server_run() { retrying server_run_once C "$@"; }
server_run_once() { # server_run_once C NAME RUN PID URL
    local name=$2 run=$3 pid=$4 url=$5 rc=0
    local out=$TMP/C-$name-$run.out
    local a b w0 w1 m0 m1 tf=$TMP/C-$name-$run.time
    wait_quiet
    a=$(proc_ticks "$pid")
    m0=$(machine_ticks)
    w0=$(date +%s.%N)
    taskset -c "$CCPU" /usr/bin/time -f '%U %S' -o "$tf" timeout -k 5 $((BENCH_SECONDS + 30)) \
        wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" -s "$TMP/post.lua" "$url" >"$out" 2>&1 </dev/null || rc=$?
    w1=$(date +%s.%N)
    m1=$(machine_ticks)
    b=$(proc_ticks "$pid")
    local req rps err
    req=$(awk '/requests in/{print $1}' "$out")
    rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
    err=$(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(",","");n+=$4+$6+$8+$10} END{print n+0}' "$out")
    if [[ -z $req || -z $rps || $req == 0 ]]; then
        rec_na C "$name" "$run" "failed (rc=$rc)"
        return 0
    fi
    local us pct
    us=$(awk -v a="$a" -v b="$b" -v hz="$CLK_TCK" -v n="$req" 'BEGIN{printf "%.3f", (b-a)/hz*1e6/n}')
    pct=$(awk -v a="$a" -v b="$b" -v hz="$CLK_TCK" -v w0="$w0" -v w1="$w1" 'BEGIN{printf "%.0f", (b-a)/hz/(w1-w0)*100}')
    rec C "$name" "$run" rps "$rps"
    rec C "$name" "$run" requests "$req"
    rec C "$name" "$run" errors "$err"
    rec C "$name" "$run" cpu_us "$us"
    rec C "$name" "$run" server_pct "$pct"
    local own other
    own=$(awk -v a="$a" -v b="$b" -v hz="$CLK_TCK" '/^[0-9.]+ [0-9.]+$/{c=($1+$2)*hz} END{print c+b-a}' "$tf")
    other=$(other_pct "$m0" "$m1" "$own" "$w0" "$w1")
    rec C "$name" "$run" other_pct "$other"
    LAST_OTHER=$other
    rec C "$name" "$run" rss_kib "$(proc_hwm_kib "$pid")"
    log "  $name run $run: $rps req/s, $err errors, server $us µs CPU/req, server core ${pct}%, other load ${other}%"
}

# ---------------------------------------------------------------- C: stub vs nginx
section_c() {
    log "C: servers under wrk -t1 -c$BENCH_CONNS POST, ${BENCH_SECONDS}s, $BENCH_RUNS runs"
    local port stub_ok=0 th="" r
    port=$(free_port)
    if tg_has stub --listen --delay; then
        th=$(tg_threads_opt stub)
        # shellcheck disable=SC2086
        if start_stub "$port" --delay 0 $th; then
            stub_ok=1
            curl -s -m 2 -X POST -H 'Content-Type: application/json' --data-binary "@$BODY" \
                "http://127.0.0.1:$port/v1/infer" >"$TMP/C-stub-sample.txt" 2>/dev/null || true
        fi
    fi
    for ((r = 1; r <= BENCH_RUNS; r++)); do
        if ((stub_ok)); then
            server_run stub "$r" "$STUB_PID" "http://127.0.0.1:$port/v1/infer"
        else rec_na C stub "$r" "n/a (not built)"; fi
        server_run nginx "$r" "$NGX_WORKER" "http://127.0.0.1:$NGX_PORT/"
        server_run nginx_json "$r" "$NGX_WORKER" "http://127.0.0.1:$NGX_PORT/json"
    done
    # server syscalls per request: strace -c attached to the server for a short wrk run
    if have strace; then
        log "C: strace -c -f -p SERVER, ${BENCH_STRACE_SECONDS}s each"
        if ((stub_ok)); then
            server_strace stub "$STUB_PID" "http://127.0.0.1:$port/v1/infer"
        else rec_na T stub 1 "n/a (not built)"; fi
        server_strace nginx "$NGX_WORKER" "http://127.0.0.1:$NGX_PORT/"
    fi
    stop_stub
}

server_strace() { # server_strace NAME PID URL
    local name=$1 pid=$2 url=$3 T=$BENCH_STRACE_SECONDS
    local sf=$TMP/strace-srv-$name.txt out=$TMP/strace-srv-$name.out spid req
    strace -c -f -p "$pid" -o "$sf" 2>/dev/null &
    spid=$!
    sleep 0.5
    taskset -c "$CCPU" timeout -k 5 $((T + 30)) \
        wrk -t1 -c"$BENCH_CONNS" -d"${T}s" -s "$TMP/post.lua" "$url" >"$out" 2>&1 </dev/null || true
    kill -INT "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    req=$(awk '/requests in/{print $1}' "$out")
    if [[ -z $req || $req == 0 || ! -s $sf ]]; then
        rec_na T "$name" 1 "failed"
        return 0
    fi
    rec T "$name" 1 requests "$req"
    awk '/^-/{t=1;next} t && NF>=5 && $NF!="total"{print $NF"\t"$4}' "$sf" |
        while IFS=$'\t' read -r sc calls; do rec T "$name" 1 "sc:$sc" "$calls"; done
    log "  strace $name: $req requests"
}

# ---------------------------------------------------------------- D: 10k held requests
# Python asyncio driver: open N connections, then put one request on each at once, and
# wait for every answer. Independent of tailgate run, so section D works with the stub alone.
c10k_py() {
    cat >"$TMP/c10k.py" <<'EOF'
import asyncio, json, sys, time
host, port, n, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
body = b'{"model":"m","inputs":["hello"]}'
req = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
       b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

async def conn():
    for attempt in range(5):
        try:
            return await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.2 * (attempt + 1))
    return None

async def one(rw):
    r, w = rw
    t0 = time.monotonic()
    w.write(req)
    try:
        head = await r.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        cl = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                cl = int(v)
        await r.readexactly(cl)
        return status, time.monotonic() - t0, time.monotonic()
    except Exception:
        return 0, time.monotonic() - t0, time.monotonic()

async def main():
    tc = time.monotonic()
    conns = []
    for i in range(0, n, 1000):
        conns += await asyncio.gather(*[conn() for _ in range(min(1000, n - i))])
    ok_conns = [c for c in conns if c]
    connect_s = time.monotonic() - tc
    t0 = time.monotonic()
    res = await asyncio.wait_for(asyncio.gather(*[one(c) for c in ok_conns]), 120)
    wall = max((x[2] for x in res), default=t0) - t0
    lat = sorted(x[1] for x in res)
    ok = sum(1 for x in res if 200 <= x[0] < 300)
    print(json.dumps({"connected": len(ok_conns), "answered_2xx": ok, "wall_s": wall,
                      "connect_s": connect_s, "min_s": lat[0] if lat else 0,
                      "p50_s": lat[len(lat)//2] if lat else 0, "max_s": lat[-1] if lat else 0}))
    for c in ok_conns:
        c[1].close()

asyncio.run(main())
EOF
}

section_d() {
    local N=$BENCH_C10K port out rc
    log "D: stub --delay $BENCH_STUB_DELAY holding $N concurrent requests"
    if ! tg_has stub --listen --delay; then
        rec_na D stub_py 1 "n/a (not built)"
        rec_na D stub_tg 1 "n/a (not built)"
        return 0
    fi
    c10k_py
    local th
    th=$(tg_threads_opt stub)
    # driver 1: python asyncio
    port=$(free_port)
    # shellcheck disable=SC2086
    if start_stub "$port" --delay "$BENCH_STUB_DELAY" $th; then
        out=$TMP/D-py.out rc=0
        taskset -c "$CCPU" timeout -k 5 180 python3 "$TMP/c10k.py" 127.0.0.1 "$port" "$N" /v1/infer >"$out" 2>&1 </dev/null || rc=$?
        rec D stub_py 1 rss_kib "$(proc_hwm_kib "$STUB_PID")"
        stop_stub
        if python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])' "$out" 2>/dev/null; then
            python3 - "$out" <<'EOF' >>"$RES"
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
for k, v in d.items():
    print("D\tstub_py\t1\t%s\t%s" % (k, v))
EOF
            log "  python driver: $(tail -1 "$out")"
        else
            rec_na D stub_py 1 "driver failed (rc=$rc)"
            log "  python driver failed: $(tail -3 "$out")"
        fi
    else rec_na D stub_py 1 "stub failed to start"; fi

    # driver 2: tailgate run itself (closed loop, N in flight, N requests in total)
    port=$(free_port)
    if tg_has run --concurrency --connections --requests --out; then
        # shellcheck disable=SC2086
        if start_stub "$port" --delay "$BENCH_STUB_DELAY" $th; then
            out=$TMP/D-tg.out rc=0
            local t0 t1
            t0=$(date +%s.%N)
            # shellcheck disable=SC2046
            taskset -c "$CCPU" timeout -k 5 180 "$TG" run "http://127.0.0.1:$port/v1/infer" --concurrency "$N" \
                --connections "$N" --requests "$N" --timeout 60s $(tg_threads_opt run) \
                --out "$TMP/D-tg.json" --quiet >"$out" 2>&1 </dev/null || rc=$?
            t1=$(date +%s.%N)
            rec D stub_tg 1 rss_kib "$(proc_hwm_kib "$STUB_PID")"
            stop_stub
            if ! python3 - "$TMP/D-tg.json" "$t0" "$t1" <<'EOF' >>"$RES"; then
import json, sys
d = json.load(open(sys.argv[1]))
r = d["requests"]
print("D\tstub_tg\t1\tconnected\t%s" % d["config"].get("connections", ""))
print("D\tstub_tg\t1\tanswered_2xx\t%s" % r["ok"])
print("D\tstub_tg\t1\terrors\t%s" % r["errors"])
print("D\tstub_tg\t1\twall_s\t%.3f" % (float(sys.argv[3]) - float(sys.argv[2])))
lat = d["latency_ms"]["request"]
print("D\tstub_tg\t1\tmin_s\t%.3f" % (lat["min"] / 1000))
print("D\tstub_tg\t1\tp50_s\t%.3f" % (lat["p50"] / 1000))
print("D\tstub_tg\t1\tmax_s\t%.3f" % (lat["max"] / 1000))
EOF
                rec_na D stub_tg 1 "failed (rc=$rc)"
                log "  tailgate driver failed (rc=$rc): $(tail -3 "$out")"
            else
                log "  tailgate driver: rc=$rc"
            fi
        else rec_na D stub_tg 1 "stub failed to start"; fi
    else rec_na D stub_tg 1 "n/a (not built)"; fi
}

# ---------------------------------------------------------------- E: HTTPS
# Sections E, G and J run a script of their own (each its own nginx) and
# append its Markdown table: SCRIPT takes PREFIX_SECONDS, PREFIX_RUNS and
# PREFIX_OUT. A failed script puts its log's tail in the report instead.
subscript_section() { # LETTER NAME SCRIPT PREFIX BASE TITLE
    local l=$1 name=$2 script=$3 pre=$4 base=$5 title=$6
    log "$l: $name (bench/$script)"
    if ! env TAILGATE="$TG" "${pre}_SECONDS=$BENCH_SECONDS" "${pre}_RUNS=$BENCH_RUNS" \
        "${pre}_OUT=$TMP/$base-table.md" "$ROOT/bench/$script" >"$TMP/$base.log" 2>&1; then
        log "$l: bench/$script failed (see $TMP/$base.log)"
        # shellcheck disable=SC2016 # the backticks are Markdown
        printf '## %s. %s\n\nbench/%s failed in this run; its log:\n\n```\n%s\n```\n' \
            "$l" "$name" "$script" "$(tail -20 "$TMP/$base.log")" >"$TMP/$base.md"
        return
    fi
    { printf '## %s. %s\n\n' "$l" "$title"; cat "$TMP/$base-table.md"; } >"$TMP/$base.md"
}

section_e() { subscript_section E HTTPS tls.sh TLS tls "HTTPS: tailgate vs wrk over TLS"; }

# ---------------------------------------------------------------- F: templated requests
section_f() {
    local url=http://127.0.0.1:$NGX_PORT S=$BENCH_SECONDS C=$BENCH_CONNS tmo=$((BENCH_SECONDS + 30)) r th ok=0
    log "F: --api openai-chat over 1,000 prompts vs a fixed body vs wrk, ${S}s, $BENCH_RUNS runs"
    tg_has run --api --inputs --body --validate && ok=1
    th=$(tg_threads_opt run)
    for ((r = 1; r <= BENCH_RUNS; r++)); do
        if ((ok)); then
            # shellcheck disable=SC2086
            client F tailgate_fixed "$r" tailgate "$tmo" "$TG" run "$url/v1/chat/completions" \
                --concurrency "$C" --connections "$C" --duration "${S}s" --validate status \
                --body "$CHAT_BODY" $th --out "$TMP/F-tailgate_fixed-$r.json" --quiet
            # shellcheck disable=SC2086
            client F tailgate_chat "$r" tailgate "$tmo" "$TG" run "$url" --api openai-chat --model m \
                --inputs "$TMP/chats.jsonl" --concurrency "$C" --connections "$C" --duration "${S}s" \
                $th --out "$TMP/F-tailgate_chat-$r.json" --quiet
            # shellcheck disable=SC2086
            client F tailgate_chat_status "$r" tailgate "$tmo" "$TG" run "$url" --api openai-chat \
                --model m --inputs "$TMP/chats.jsonl" --concurrency "$C" --connections "$C" \
                --duration "${S}s" --validate status $th --out "$TMP/F-tailgate_chat_status-$r.json" --quiet
        else
            rec_na F tailgate_fixed "$r" "n/a (not built)"
            rec_na F tailgate_chat "$r" "n/a (not built)"
            rec_na F tailgate_chat_status "$r" "n/a (not built)"
        fi
        client F wrk "$r" wrk "$tmo" wrk -t1 -c"$C" -d"${S}s" -s "$TMP/chat.lua" "$url/v1/chat/completions"
    done
}

# ---------------------------------------------------------------- G: HTTP/2
# HTTP/2 lives in its own script too (its nginx serves h2c and h2); then the same number of
# SSE streams against the streaming stub, multiplexed over a few HTTP/2 connections and one
# per HTTP/1.1 connection.
section_g() {
    subscript_section G HTTP/2 h2.sh H2 h2 "HTTP/2: tailgate --http2 vs h2load"
    sse_h2_h1
}

sse_h2_h1() {
    local N=$BENCH_SSE_STREAMS C=$BENCH_SSE_H2_CONNS S=$BENCH_SSE_SECONDS port r url
    local M=$(((BENCH_SSE_STREAMS + BENCH_SSE_H2_CONNS - 1) / BENCH_SSE_H2_CONNS))
    log "G: $N concurrent SSE streams over $C HTTP/2 connections vs $N HTTP/1.1 connections, ${S}s, $BENCH_RUNS runs"
    if ! tg_has run --api --http2 --streams || ! tg_has stub --api --h2-max-streams --step-time; then
        rec_na GS h2 1 "n/a (not built)"
        rec_na GS h1 1 "n/a (not built)"
        return 0
    fi
    port=$(free_port)
    # a 20 ms decode step and 16 tokens: every stream stays open ~340 ms, so the closed loop
    # holds N streams open throughout
    if ! start_stub "$port" --api openai-chat --max-seqs $((2 * N)) --step-time 20ms --output-tokens 16 \
        --h2-max-streams $((M > 128 ? M : 128)); then
        rec_na GS h2 1 "stub failed"
        rec_na GS h1 1 "stub failed"
        return 0
    fi
    url=http://127.0.0.1:$port/v1/chat/completions
    for ((r = 1; r <= BENCH_RUNS; r++)); do
        stream_client GS h2 "$r" tailgate "$TG" run "$url" --api openai-chat --http2 --connections "$C" \
            --streams "$M" --concurrency "$N" --duration "${S}s" --out "$TMP/GS-h2-$r.json" --quiet
        stream_client GS h1 "$r" tailgate "$TG" run "$url" --api openai-chat --connections "$N" \
            --concurrency "$N" --duration "${S}s" --out "$TMP/GS-h1-$r.json" --quiet
    done
    stop_stub
}

# ---------------------------------------------------------------- H: streaming
# The Python peer needs aiohttp: Debian's python3-aiohttp, for Debian's python3 (a python3
# earlier on PATH may be another installation without it).
PY_AIO=
find_py_aio() {
    local py
    for py in python3 /usr/bin/python3; do
        if "$py" -c 'import aiohttp' 2>/dev/null; then PY_AIO=$py; return 0; fi
    done
    need_pkg python3-aiohttp
    /usr/bin/python3 -c 'import aiohttp' 2>/dev/null && PY_AIO=/usr/bin/python3
    [[ -n $PY_AIO ]]
}
need_pkg() { # need_pkg PACKAGE: install a package that provides no command
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" && return 0
    log "installing $1"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get -o DPkg::Lock::Timeout=300 install -y -q \
        --no-install-recommends "$1" >/dev/null 2>&1 || true
}

# stream_once SECTION NAME RUN KIND CMD...: one streaming client run on the client core; KIND
# tailgate (every figure from its --out JSON, $TMP/SECTION-NAME-RUN.json) or python (one JSON
# line on stdout). Records what both report (requests, ok, errors, token events, ttft p50,
# send lag p99) and, for tailgate, ttft p99, tpot p50, send lag p50/max, client_limited.
stream_client() { retrying stream_once "$@"; }
stream_once() {
    local sec=$1 name=$2 run=$3 kind=$4
    shift 4
    local out=$TMP/$sec-$name-$run.out tf=$TMP/$sec-$name-$run.time kv=$TMP/$sec-$name-$run.kv
    local rc=0 w0 w1 m0 m1 t0 t1
    local json=$out
    [[ $kind == tailgate ]] && json=$TMP/$sec-$name-$run.json
    # a repeated run must not read the result of the attempt before it
    rm -f "$json" "$kv"
    wait_quiet
    t0=$(proc_ticks "$STUB_PID")
    m0=$(machine_ticks)
    w0=$(date +%s.%N)
    taskset -c "$CCPU" /usr/bin/time -f '%e %U %S %M' -o "$tf" \
        timeout -k 5 $((BENCH_SECONDS + 120)) "$@" >"$out" 2>&1 </dev/null || rc=$?
    w1=$(date +%s.%N)
    m1=$(machine_ticks)
    t1=$(proc_ticks "$STUB_PID")
    python3 - "$kind" "$json" >"$kv" <<'EOF' || true
import json, sys
def num(v):
    if isinstance(v, bool):
        return int(v)
    return v if isinstance(v, (int, float)) else None
try:
    if sys.argv[1] == "tailgate":
        d = json.load(open(sys.argv[2]))
        lat = d["latency_ms"]
        sl = lat.get("send_lag") or {}
        kv = {"requests": d["requests"]["total"], "ok": d["requests"]["ok"],
              "errors": d["requests"]["errors"], "events": d["stream"]["chunks"],
              "tokens": d["stream"]["tokens_out"], "ttft_ms": lat["ttft"]["p50"],
              "ttft_p99_ms": lat["ttft"]["p99"], "tpot_ms": lat["tpot"]["p50"],
              "send_lag_p50_ms": sl.get("p50"), "send_lag_p99_ms": sl.get("p99"),
              "send_lag_max_ms": sl.get("max"), "client_limited": d.get("client_limited"),
              "send_lag_limit_ms": (d.get("self_check") or {}).get("send_lag_limit_ms")}
    elif sys.argv[1] == "wrk":
        # wrk sees answers, not events: the stub sends each answer as 64 token events
        import re
        txt = open(sys.argv[2]).read()
        req = int(re.search(r"(\d+) requests in", txt).group(1))
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", txt)
        bad = int(m.group(1)) if m else 0
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", txt)
        sock = sum(int(x) for x in m.groups()) if m else 0
        kv = {"requests": req, "ok": req - bad, "errors": bad + sock, "events": (req - bad) * 64}
    else:
        d = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
        kv = {"requests": d["requests"], "ok": d["ok"], "errors": d["errors"],
              "events": d["events"], "tokens": d["tokens"], "ttft_ms": d["ttft_p50_ms"],
              "send_lag_p99_ms": d.get("send_lag_p99_ms")}
except (OSError, ValueError, KeyError, TypeError, IndexError):
    sys.exit(0)
for k, v in kv.items():
    if num(v) is not None:
        print(k, num(v))
EOF
    local req events
    req=$(awk '$1=="requests"{print $2}' "$kv")
    events=$(awk '$1=="events"{print $2}' "$kv")
    if [[ -z $events || $events == 0 || -z $req || $req == 0 ]]; then
        log "  $name run $run: no result (rc=$rc); tail of output:"
        tail -5 "$out" | sed 's/^/      /' >&2
        rec_na "$sec" "$name" "$run" "failed (rc=$rc)"
        return 0
    fi
    local k v
    while read -r k v; do rec "$sec" "$name" "$run" "$k" "$v"; done <"$kv"
    local u="" s="" m=""
    read -r _ u s m < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$tf" | tail -1) || true
    u=${u:-0} s=${s:-0} m=${m:-0}
    rec "$sec" "$name" "$run" cpu_s "$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')"
    rec "$sec" "$name" "$run" user_s "$u"
    rec "$sec" "$name" "$run" sys_s "$s"
    rec "$sec" "$name" "$run" us_event "$(awk -v u="$u" -v s="$s" -v n="$events" 'BEGIN{printf "%.3f", (u+s)*1e6/n}')"
    rec "$sec" "$name" "$run" user_us_event "$(awk -v u="$u" -v n="$events" 'BEGIN{printf "%.3f", u*1e6/n}')"
    rec "$sec" "$name" "$run" sys_us_event "$(awk -v s="$s" -v n="$events" 'BEGIN{printf "%.3f", s*1e6/n}')"
    rec "$sec" "$name" "$run" us_req "$(awk -v u="$u" -v s="$s" -v n="$req" 'BEGIN{printf "%.3f", (u+s)*1e6/n}')"
    rec "$sec" "$name" "$run" client_pct "$(awk -v u="$u" -v s="$s" -v w0="$w0" -v w1="$w1" 'BEGIN{printf "%.0f", (u+s)/(w1-w0)*100}')"
    rec "$sec" "$name" "$run" rss_kib "$m"
    rec "$sec" "$name" "$run" server_pct "$(awk -v a="$t0" -v b="$t1" -v w0="$w0" -v w1="$w1" -v hz="$CLK_TCK" 'BEGIN{printf "%.0f", (b-a)/hz/(w1-w0)*100}')"
    local other
    other=$(other_pct "$m0" "$m1" "$(awk -v u="$u" -v s="$s" -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" 'BEGIN{print (u+s)*hz+b-a}')" "$w0" "$w1")
    rec "$sec" "$name" "$run" other_pct "$other"
    LAST_OTHER=$other
    log "  $name run $run: $req requests ($(awk '$1=="ok"{print $2}' "$kv") ok), $events token events, $(awk -v u="$u" -v s="$s" -v n="$events" 'BEGIN{printf "%.2f", (u+s)*1e6/n}') µs CPU/event (user $u s, sys $s s), other load ${other}%"
}

section_h() {
    local S=$BENCH_SECONDS port r i R name body=$TMP/chat-stream.json
    # two load points (names without and with the _r2 suffix); BENCH_STREAM_RATE2=0 drops the second
    local rates=("$BENCH_STREAM_RATE") sfx=("")
    ((BENCH_STREAM_RATE2 > 0)) && rates+=("$BENCH_STREAM_RATE2") && sfx+=(_r2)
    log "H: streaming — stub 64-token answers, zero delay; ${rates[*]} req/s for ${S}s, $BENCH_RUNS runs"
    printf '%s' '{"model":"m","messages":[{"role":"user","content":"hello"}],"max_tokens":64,"stream":true,"stream_options":{"include_usage":true}}' >"$body"
    {
        echo 'wrk.method = "POST"'
        echo 'wrk.headers["Content-Type"] = "application/json"'
        echo "wrk.body = '$(cat "$body")'"
    } >"$TMP/post-stream.lua"
    local tg_ok=0 py_ok=0
    tg_has run --stream && tg_has stub --api --output-tokens && tg_ok=1
    find_py_aio && py_ok=1
    if ! tg_has stub --api --output-tokens; then
        rec_na H tailgate 1 "n/a (not built)"
        rec_na H python 1 "n/a (not built)"
        rec_na I held 1 "n/a (not built)"
        rec_na HL lag 1 "n/a (not built)"
        return 0
    fi
    port=$(free_port)
    start_stub "$port" --api openai-chat --output-tokens 64 || { rec_na H tailgate 1 "stub failed"; return 0; }
    local url=http://127.0.0.1:$port/v1/chat/completions
    for ((r = 1; r <= BENCH_RUNS; r++)); do
        for i in "${!rates[@]}"; do
            R=${rates[i]}
            name=tailgate${sfx[i]}
            if ((tg_ok)); then
                stream_client H "$name" "$r" tailgate "$TG" run "$url" --stream --body "$body" --rate "$R" \
                    --duration "${S}s" --out "$TMP/H-$name-$r.json" --quiet
            else rec_na H "$name" "$r" "n/a (not built)"; fi
            name=python${sfx[i]}
            if ((py_ok)); then
                stream_client H "$name" "$r" python "$PY_AIO" "$ROOT/bench/stream_client.py" "$url" "$body" "$R" "$S"
            else rec_na H "$name" "$r" "n/a (python3-aiohttp missing)"; fi
        done
        # References at the last rate: the same requests multiplexed over one h2c
        # connection (the stub writes many streams' events per write, so the client
        # reads many per read); and wrk, which parses no event at all, in a closed loop
        # over 2 connections, for what reading these answers costs any HTTP/1.1 client.
        if ((tg_ok)); then
            stream_client H "tailgate_h2" "$r" tailgate "$TG" run "$url" --stream --http2 --body "$body" \
                --rate "$R" --duration "${S}s" --out "$TMP/H-tailgate_h2-$r.json" --quiet
        else rec_na H tailgate_h2 "$r" "n/a (not built)"; fi
        if command -v wrk >/dev/null; then
            stream_client H wrk "$r" wrk wrk -t1 -c2 -d"${S}s" -s "$TMP/post-stream.lua" "$url"
        else rec_na H wrk "$r" "n/a (wrk missing)"; fi
    done
    stop_stub
    # Concurrent streams held on one client core: a stub stepping every 200 ms (so every
    # stream stays open ~13 s), tailgate keeping BENCH_STREAMS of them in flight.
    local N=$BENCH_STREAMS
    log "H: tailgate holding $N concurrent streams"
    port=$(free_port)
    if ((tg_ok)) && start_stub "$port" --api openai-chat --output-tokens 64 --step-time 200ms --max-seqs $((N + 100)); then
        stream_client I held 1 tailgate "$TG" run "http://127.0.0.1:$port/v1/chat/completions" --stream \
            --body "$body" --concurrency "$N" --connections "$N" --duration "${S}s" --timeout 120s \
            --out "$TMP/I-held-1.json" --quiet
        python3 - "$TMP/I-held-1.json" <<'EOF' >>"$RES" || rec_na I held 1 "no result"
import json, sys
d = json.load(open(sys.argv[1]))
lat = d["latency_ms"]
for k in ("ttft", "itl", "tpot"):
    print("I\theld\t1\t%s_p50\t%s" % (k, lat[k]["p50"]))
    print("I\theld\t1\t%s_p99\t%s" % (k, lat[k]["p99"]))
EOF
        stop_stub
    else rec_na I held 1 "n/a (not built)"; fi
    # Open-loop send lag: tailgate alone at BENCH_LAG_RATE streams/s (the openai-chat preset's
    # own requests) against the zero-delay stub; the lag between each request's intended and
    # actual send is tailgate's self-check, so its p99 says whether the schedule held.
    local L=$BENCH_LAG_RATE LS=$BENCH_LAG_SECONDS
    log "H: open-loop send lag at $L streams/s, ${LS}s, $BENCH_RUNS runs"
    port=$(free_port)
    if ((tg_ok)) && tg_has run --api --rate && start_stub "$port" --api openai-chat --output-tokens 64 \
        --max-seqs $((2 * L > 4096 ? 2 * L : 4096)); then
        for ((r = 1; r <= BENCH_RUNS; r++)); do
            stream_client HL lag "$r" tailgate "$TG" run "http://127.0.0.1:$port/v1/chat/completions" \
                --api openai-chat --rate "$L" --duration "${LS}s" --out "$TMP/HL-lag-$r.json" --quiet
        done
        stop_stub
    else rec_na HL lag 1 "n/a (not built)"; fi
}

# ---------------------------------------------------------------- J: segments
# Its own script (its own nginx, both cores for the client); its table is appended.
section_j() { subscript_section J Segments segments.sh SEG seg "One run over two processes: segments vs threads"; }

# ---------------------------------------------------------------- main
# Wait (bounded) for a quiet machine: other work on these two cores is the main noise.
BENCH_IDLE_WAIT=${BENCH_IDLE_WAIT:-120}
QUIET_AT_START=no
idle_deadline=$((SECONDS + BENCH_IDLE_WAIT))
while :; do
    q0=$(machine_ticks)
    sleep 2
    q1=$(machine_ticks)
    busy=$(awk -v a="$q0" -v b="$q1" -v hz="$CLK_TCK" 'BEGIN{printf "%.0f", (b-a)/hz/2*100}')
    if ((busy < 10)); then QUIET_AT_START=yes; break; fi
    if ((SECONDS >= idle_deadline)); then
        log "warning: machine still busy (${busy}% of a core used by other work); measuring anyway"
        QUIET_AT_START="no (${busy}% of a core busy with other work after waiting ${BENCH_IDLE_WAIT}s)"
        break
    fi
    log "machine busy (${busy}% of a core); waiting up to ${BENCH_IDLE_WAIT}s for it to quieten"
done
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "tailgate bench: BENCH_SECONDS=$BENCH_SECONDS BENCH_RUNS=$BENCH_RUNS (temp $TMP)"
# shellcheck disable=SC2119 # this start_nginx (not lib.sh's) takes no port
start_nginx
[[ $BENCH_SECTIONS == *A* ]] && section_a
[[ $BENCH_SECTIONS == *B* ]] && section_b
[[ $BENCH_SECTIONS == *C* ]] && section_c
[[ $BENCH_SECTIONS == *D* ]] && section_d
[[ $BENCH_SECTIONS == *E* ]] && section_e
[[ $BENCH_SECTIONS == *F* ]] && section_f
[[ $BENCH_SECTIONS == *G* ]] && section_g
[[ $BENCH_SECTIONS == *H* ]] && section_h
[[ $BENCH_SECTIONS == *J* ]] && section_j

# ---------------------------------------------------------------- report
TG_VERSION=$(timeout 5 "$TG" --version 2>/dev/null | head -1 || true)
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || true)
if ! git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null; then GIT_REV="$GIT_REV+dirty"; fi
export BENCH_SECONDS BENCH_RUNS BENCH_CONNS BENCH_C10K BENCH_C10K_SECONDS BENCH_STUB_DELAY \
    BENCH_STRACE_SECONDS COMMAND_LINE TG_VERSION GIT_REV SCPU CCPU BENCH_STREAM_RATE BENCH_STREAMS \
    BENCH_STREAM_RATE2 BENCH_SSE_STREAMS BENCH_SSE_H2_CONNS BENCH_SSE_SECONDS BENCH_LAG_RATE BENCH_LAG_SECONDS
BENCH_LOAD="$LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after"
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
BENCH_NPROC=$(nproc)
BENCH_CPU=$(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo)
BENCH_KERNEL=$(uname -r)
BENCH_MEM=$(awk '/^MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
BENCH_VERSIONS="wrk $(ver wrk), hey $(ver hey), ab $(ver apache2-utils), h2load $(ver nghttp2-client), nginx $(ver nginx-light)"
BENCH_CHAT_SAMPLE=$(head -c 300 "$CHAT_BODY")
export BENCH_CHAT_SAMPLE
BENCH_STUB_SAMPLE=
if [[ -s $TMP/C-stub-sample.txt ]]; then BENCH_STUB_SAMPLE=$(head -c 300 "$TMP/C-stub-sample.txt"); fi
export BENCH_MAX_OTHER BENCH_RETRIES QUIET_AT_START BENCH_LOAD BENCH_DATE BENCH_NPROC BENCH_CPU BENCH_KERNEL BENCH_MEM BENCH_VERSIONS BENCH_STUB_SAMPLE
# The sections measured by their own scripts (E tls.sh, G h2.sh, J segments.sh) go
# where report.py left their markers; a section not run leaves no trace.
place_sections() {
    python3 -c '
import sys
files = {"E": sys.argv[1], "G": sys.argv[2], "J": sys.argv[3]}
for line in sys.stdin:
    if line.startswith("@@SECTION ") and line.rstrip().endswith("@@"):
        try:
            text = open(files[line.split()[1].rstrip("@")]).read()
        except OSError:
            text = ""
        sys.stdout.write(text.strip("\n") + "\n" if text.strip() else "")
    else:
        sys.stdout.write(line)
' "$TMP/tls.md" "$TMP/h2.md" "$TMP/seg.md"
}
if [[ $BENCH_OUT == - ]]; then
    python3 "$ROOT/bench/report.py" "$RES" | place_sections
else
    python3 "$ROOT/bench/report.py" "$RES" | place_sections >"$TMP/report.md"
    mkdir -p "$(dirname "$BENCH_OUT")"
    cp "$TMP/report.md" "$BENCH_OUT"
    cat "$TMP/report.md"
    log "wrote $BENCH_OUT"
fi
