#!/usr/bin/env bash
# bench/h2.sh — HTTP/2: tailgate run --http2 vs h2load against nginx, over h2c (prior
# knowledge) and h2 (TLS, ALPN). Numbers, not pass/fail.
#
#   bench/h2.sh                            # defaults below
#   H2_SECONDS=3 H2_RUNS=1 bench/h2.sh     # quick smoke
#
# Each run: the same nginx (`return 200`, one worker, keepalive_requests high enough
# that no connection ends during a run), the same POST body, the same shape of load:
# H2_CONNS connections x H2_STREAMS streams, closed loop (h2load -c C -m M; tailgate
# --connections C --streams M --concurrency C*M). Runs are interleaved; tables quote
# the median. Client CPU = user + sys of the client process from /usr/bin/time,
# divided by the requests it completed.
#
# nginx runs on core H2_SERVER_CPU (0), the client on core H2_CLIENT_CPU (1), one
# client thread each.
#
# Environment (all optional):
#   H2_SECONDS=10  H2_RUNS=3  H2_CONNS=10  H2_STREAMS=100  H2_OUT=- (or a file)
#   H2_KEEP=1 keeps the temp dir;  TAILGATE=./tailgate
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${H2_SECONDS:-10}
RUNS=${H2_RUNS:-3}
CONNS=${H2_CONNS:-10}
STREAMS=${H2_STREAMS:-100}
OUT=${H2_OUT:--}
SCPU=${H2_SERVER_CPU:-0}
CCPU=${H2_CLIENT_CPU:-1}
TG=${TAILGATE:-./tailgate}
[[ $TG == */* ]] || TG=./$TG
export LC_ALL=C

BENCH_TAG=h2-bench
REQUIRE_HINT=" (h2load: Debian nghttp2-client)"
# shellcheck source=bench/lib.sh
. bench/lib.sh
require_cmds nginx h2load openssl python3 taskset /usr/bin/time
require_tailgate

bench_tmp h2-bench "${H2_KEEP:-0}"

make_certs

P2C=$(free_port)
P2=$(free_port)
start_nginx "$P2" <<EOF
    keepalive_requests 100000000;
    http2_max_concurrent_streams $STREAMS;
    server {
        listen 127.0.0.1:$P2C http2;
        location / { return 200 '{"outputs":["a"]}'; }
    }
    server {
        listen 127.0.0.1:$P2 ssl http2;
        ssl_certificate $TMP/srv.pem;
        ssl_certificate_key $TMP/srv.key;
        location / { return 200 '{"outputs":["a"]}'; }
    }
EOF
printf '{"model":"m","inputs":["hello"]}' >"$TMP/body.json"
log "nginx h2c :$P2C, h2 :$P2 on core $SCPU; clients on core $CCPU; $CONNS x $STREAMS; ${SECS}s x $RUNS"

RES=$TMP/res.tsv
: >"$RES"
row() { # row NAME RUN REQS SECONDS CPU ERRORS
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" \
        "$(awk -v r="$3" -v d="$4" 'BEGIN{printf "%.0f", r/d}')" \
        "$(awk -v c="$5" -v r="$3" 'BEGIN{printf "%.2f", r ? c*1e6/r : 0}')" >>"$RES"
    printf '%s\t%s\terrors\t%s\n' "$1" "$2" "$6" >>"$TMP/errors.tsv"
}

TG_CMD="tailgate run URL --http2 --streams $STREAMS --connections $CONNS --concurrency $((CONNS * STREAMS)) --duration ${SECS}s --body body.json --header Content-Type:application/json --validate status --threads 1"
H2L_CMD="h2load -t1 -c$CONNS -m$STREAMS -D $SECS -d body.json -H content-type:application/json URL"

tg_run() { # tg_run NAME RUN URL [ARGS...]
    local name=$1 run=$2 url=$3
    shift 3
    local out=$TMP/${name// /_}.$run.json tf=$TMP/${name// /_}.$run.time
    /usr/bin/time -f '%U %S' -o "$tf" taskset -c "$CCPU" "$TG" run "$url" --http2 \
        --streams "$STREAMS" --connections "$CONNS" --concurrency $((CONNS * STREAMS)) \
        --duration "${SECS}s" --body "$TMP/body.json" --header "Content-Type: application/json" \
        --validate status --threads 1 --no-progress -q --out "$out" "$@" ||
        { log "$name: tailgate failed"; return 0; }
    row "$name" "$run" "$(jget "$out" requests.ok)" "$(jget "$out" duration_s)" "$(cpu_of "$tf")" \
        "$(jget "$out" requests.errors)"
}

h2load_run() { # h2load_run NAME RUN URL
    local name=$1 run=$2 url=$3
    local out=$TMP/${name// /_}.$run.h2load tf=$TMP/${name// /_}.$run.time
    /usr/bin/time -f '%U %S' -o "$tf" taskset -c "$CCPU" h2load -t1 -c"$CONNS" -m"$STREAMS" \
        -D "$SECS" -d "$TMP/body.json" -H 'content-type: application/json' "$url" >"$out" 2>&1 ||
        { log "$name: h2load failed"; return 0; }
    local ok err
    ok=$(awk '/^requests:/{for(i=1;i<=NF;i++) if($(i+1)=="succeeded,") print $i}' "$out")
    err=$(awk '/^requests:/{for(i=1;i<=NF;i++) if($(i+1)=="failed,") print $i}' "$out")
    row "$name" "$run" "${ok:-0}" "$SECS" "$(cpu_of "$tf")" "${err:-?}"
}

for ((run = 1; run <= RUNS; run++)); do
    log "run $run/$RUNS"
    tg_run "h2c tailgate" "$run" "http://127.0.0.1:$P2C/"
    h2load_run "h2c h2load" "$run" "http://127.0.0.1:$P2C/"
    tg_run "h2 tailgate" "$run" "https://127.0.0.1:$P2/" --cacert "$TMP/ca.pem"
    h2load_run "h2 h2load" "$run" "https://127.0.0.1:$P2/"
done

report() {
    python3 - "$RES" "$TMP/errors.tsv" "$SECS" "$RUNS" "$CONNS" "$STREAMS" "$(nginx -v 2>&1)" \
        "$(h2load --version 2>&1 | head -1)" "$TG_CMD" "$H2L_CMD" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
errs = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip()]
secs, runs, conns, streams, ngx, h2l, tgcmd, h2cmd = sys.argv[3:11]
def med(name, i):
    v = [float(r[i]) for r in rows if r[0] == name]
    return statistics.median(v) if v else None
print(f"### HTTP/2 (bench/h2.sh): {conns} connections x {streams} streams, 1 client thread, "
      f"{secs} s x {runs} runs, median\n")
print(f"{ngx}; {h2l}; nginx `return 200` (one worker, core 0), clients on core 1, "
      f"the same 32-byte POST body.\n")
print(f"- tailgate: `{tgcmd}`")
print(f"- h2load: `{h2cmd}`\n")
print("| protocol | client | req/s | vs h2load | client CPU us/req | vs h2load (lower = better) | errors (all runs) |")
print("|---|---|---:|---:|---:|---:|---:|")
for proto in ("h2c", "h2"):
    base_r, base_c = med(f"{proto} h2load", 2), med(f"{proto} h2load", 3)
    for client in ("tailgate", "h2load"):
        n = f"{proto} {client}"
        r, c = med(n, 2), med(n, 3)
        e = ",".join(x[3] for x in errs if x[0] == n)
        if r is None:
            print(f"| {proto} | {client} | - | - | - | - | - |")
            continue
        rr = f"{r / base_r:.2f}x" if base_r else "-"
        cc = f"{c / base_c:.2f}x" if base_c else "-"
        print(f"| {proto} | **{client}** | {r:,.0f} | {rr} | {c:.2f} | {cc} | {e} |")
EOF
}
if [[ $OUT == - ]]; then report; else report | tee "$OUT"; fi
