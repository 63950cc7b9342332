#!/usr/bin/env bash
# bench/tls.sh — HTTPS: tailgate vs wrk over TLS against nginx, and the handshake rate
# with and without session resumption (how much a full handshake costs). Numbers, not pass/fail.
#
#   bench/tls.sh                          # defaults below
#   TLS_SECONDS=3 TLS_RUNS=1 bench/tls.sh # quick smoke
#
# Sections:
#   T1  keep-alive HTTPS: requests/s and client CPU per request, tailgate run vs wrk,
#       same connections, same nginx, runs interleaved (median of TLS_RUNS)
#   T2  a new connection per request ("Connection: close"): handshakes/s and handshake
#       p50/p99, tailgate with resumption, tailgate --no-tls-resume, and wrk for reference
#
# nginx runs on core TLS_SERVER_CPU (0), the client on core TLS_CLIENT_CPU (1); each
# client gets one thread. A throw-away CA and server certificate (P-256) are made with
# the openssl command; tailgate verifies against them with --cacert.
#
# Environment (all optional):
#   TLS_SECONDS=10  TLS_RUNS=3  TLS_CONNS=50  TLS_OUT=- (or a file for the Markdown table)
#   TLS_KEEP=1 keeps the temp dir;  TAILGATE=./tailgate
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${TLS_SECONDS:-10}
RUNS=${TLS_RUNS:-3}
CONNS=${TLS_CONNS:-50}
OUT=${TLS_OUT:--}
SCPU=${TLS_SERVER_CPU:-0}
CCPU=${TLS_CLIENT_CPU:-1}
TG=${TAILGATE:-./tailgate}
[[ $TG == */* ]] || TG=./$TG
export LC_ALL=C

BENCH_TAG=tls-bench
# shellcheck source=bench/lib.sh
. bench/lib.sh
require_cmds nginx wrk openssl python3 taskset /usr/bin/time
require_tailgate

bench_tmp tls-bench "${TLS_KEEP:-0}"

# ---------------------------------------------------------------- certificates
make_certs

# ---------------------------------------------------------------- nginx
PORT=$(free_port)
start_nginx "$PORT" <<EOF
    server {
        listen 127.0.0.1:$PORT ssl;
        ssl_certificate $TMP/srv.pem;
        ssl_certificate_key $TMP/srv.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        keepalive_requests 1000000;
        location / { return 200 '{"outputs":["a"]}'; }
    }
EOF
URL=https://127.0.0.1:$PORT/
: >"$TMP/empty"
nproc_n=$(nproc)
log "nginx (TLS 1.2+1.3) on $URL, core $SCPU; clients on core $CCPU; ${SECS}s x $RUNS runs"
((nproc_n >= 2)) || log "warning: one core only: client and server share it"

# ---------------------------------------------------------------- helpers
RES=$TMP/res.tsv
: >"$RES"

tg_run() { # tg_run NAME RUN ARGS... -> res.tsv: NAME RUN rps cpu_us_per_req handshakes/s hs_p50 hs_p99 resumed
    local name=$1 run=$2
    shift 2
    local out=$TMP/$name.$run.json tf=$TMP/$name.$run.time
    /usr/bin/time -f '%U %S' -o "$tf" taskset -c "$CCPU" "$TG" run "$URL" --cacert "$TMP/ca.pem" \
        --method GET --body "$TMP/empty" --validate status --threads 1 --duration "${SECS}s" \
        --no-progress -q --out "$out" "$@" || { log "$name: tailgate failed"; return 0; }
    local reqs dur cpu opened
    reqs=$(jget "$out" requests.ok)
    dur=$(jget "$out" duration_s)
    cpu=$(cpu_of "$tf")
    opened=$(jget "$out" connections.opened)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" \
        "$(awk -v r="$reqs" -v d="$dur" 'BEGIN{printf "%.0f", r/d}')" \
        "$(awk -v c="$cpu" -v r="$reqs" 'BEGIN{printf "%.2f", c*1e6/r}')" \
        "$(awk -v o="$opened" -v d="$dur" 'BEGIN{printf "%.0f", o/d}')" \
        "$(jget "$out" connections.tls_handshake_ms.p50)" "$(jget "$out" connections.tls_handshake_ms.p99)" \
        "$(jget "$out" connections.tls_resumed)" >>"$RES"
}

wrk_run() { # wrk_run NAME RUN ARGS...
    local name=$1 run=$2
    shift 2
    local out=$TMP/$name.$run.wrk tf=$TMP/$name.$run.time
    /usr/bin/time -f '%U %S' -o "$tf" taskset -c "$CCPU" wrk -t1 -d "${SECS}s" "$@" "$URL" \
        >"$out" 2>&1 || { log "$name: wrk failed"; return 0; }
    local reqs cpu
    reqs=$(awk '/requests in/{print $1}' "$out")
    cpu=$(cpu_of "$tf")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" \
        "$(awk -v r="$reqs" -v d="$SECS" 'BEGIN{printf "%.0f", r/d}')" \
        "$(awk -v c="$cpu" -v r="$reqs" 'BEGIN{printf "%.2f", c*1e6/r}')" \
        "-" "-" "-" "-" >>"$RES"
}

for ((run = 1; run <= RUNS; run++)); do
    log "run $run/$RUNS: T1 keep-alive"
    tg_run "T1 tailgate" "$run" --concurrency "$CONNS"
    wrk_run "T1 wrk" "$run" -c "$CONNS"
    log "run $run/$RUNS: T2 new connection per request"
    tg_run "T2 tailgate (resume)" "$run" --concurrency "$CONNS" --header "Connection: close"
    tg_run "T2 tailgate --no-tls-resume" "$run" --concurrency "$CONNS" \
        --header "Connection: close" --no-tls-resume
    wrk_run "T2 wrk" "$run" -c "$CONNS" -H "Connection: close"
done

# ---------------------------------------------------------------- report: medians
report() {
    python3 - "$RES" "$SECS" "$RUNS" "$CONNS" "$(openssl version)" "$(nginx -v 2>&1)" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
secs, runs, conns, ossl, ngx = sys.argv[2:7]
names = []
for r in rows:
    if r[0] not in names:
        names.append(r[0])
def med(name, i):
    vals = []
    for r in rows:
        if r[0] == name and r[i] not in ("-", "nan"):
            vals.append(float(r[i]))
    return statistics.median(vals) if vals else None
def fmt(v, d=0):
    return "-" if v is None else f"{v:.{d}f}"
print(f"### HTTPS (bench/tls.sh): {conns} connections, 1 client thread, {secs} s x {runs} runs, median")
print(f"\n{ossl}; {ngx}; nginx `return 200`, ECDSA P-256, TLS 1.3 negotiated.\n")
print("| run | req/s | client CPU us/req | handshakes/s | handshake p50 ms | p99 ms | resumed (last run) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for n in names:
    last = [r for r in rows if r[0] == n][-1]
    print(f"| {n} | {fmt(med(n, 2))} | {fmt(med(n, 3), 2)} | {fmt(med(n, 4))} | "
          f"{fmt(med(n, 5), 2)} | {fmt(med(n, 6), 2)} | {last[7]} |")
EOF
}
if [[ $OUT == - ]]; then report; else report | tee "$OUT"; fi
