# shellcheck shell=bash
# bench/lib.sh — helpers shared by bench/run.sh, h2.sh, tls.sh, segments.sh
# (sourced, not run). Before sourcing set BENCH_TAG (the log prefix) and TG.
#
#   log MSG...                 timestamped line on stderr
#   require_cmds CMD...        exit 3 naming the first missing command
#                              (REQUIRE_HINT, if set, is appended to the message)
#   require_tailgate           exit 3 unless $TG is executable
#   bench_tmp NAME KEEP        make $TMP (/tmp/tailgate-NAME.XXXXXX), empty NGX_PID, and
#                              on exit stop nginx and remove $TMP unless KEEP is 1
#   make_certs                 a throw-away CA (ca.pem) and a server certificate for
#                              127.0.0.1 (srv.pem, srv.key) in $TMP
#   start_nginx PORT <<EOF     nginx (one worker, on core $SCPU) in $TMP/ngx; stdin is the
#                              inside of its http block after the shared settings; sets
#                              NGX_PID and waits for PORT
#   free_port                  a free TCP port on 127.0.0.1
#   wait_port PORT             wait up to 5 s for something to accept on PORT
#   cpu_of FILE                user+sys seconds from /usr/bin/time -f '%U %S'
#   jget FILE KEY.PATH         a value from a JSON file ("nan" for null)

log() { printf '[%s %s] %s\n' "$BENCH_TAG" "$(date +%H:%M:%S)" "$*" >&2; }

require_cmds() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || { log "error: $c is required${REQUIRE_HINT:-}"; exit 3; }
    done
}

require_tailgate() { [[ -x $TG ]] || { log "error: $TG not built (make)"; exit 3; }; }

bench_tmp() { # bench_tmp NAME KEEP
    TMP=$(mktemp -d "/tmp/tailgate-$1.XXXXXX")
    BENCH_KEEP_TMP=$2
    NGX_PID=
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
bench_cleanup() {
    local rc=$?
    [[ -n $NGX_PID ]] && kill -TERM "$NGX_PID" 2>/dev/null && wait "$NGX_PID" 2>/dev/null
    if [[ $BENCH_KEEP_TMP == 1 ]]; then log "raw outputs kept in $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}

make_certs() {
    (
        cd "$TMP"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
            -out ca.pem -days 2 -subj /CN=tailgate-bench-ca
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
            -out srv.csr -subj /CN=127.0.0.1
        printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext
        openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
            -days 2 -extfile ext
    ) >/dev/null 2>&1 || { log "error: openssl could not make certificates"; exit 3; }
}

start_nginx() { # start_nginx PORT <<EOF ... EOF
    mkdir -p "$TMP/ngx/logs"
    {
        cat <<EOF
worker_processes 1;
daemon off;
pid $TMP/ngx/nginx.pid;
error_log $TMP/ngx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/ngx/body;
    proxy_temp_path $TMP/ngx/proxy;
    fastcgi_temp_path $TMP/ngx/fastcgi;
    uwsgi_temp_path $TMP/ngx/uwsgi;
    scgi_temp_path $TMP/ngx/scgi;
EOF
        cat
        echo "}"
    } >"$TMP/ngx/nginx.conf"
    taskset -c "$SCPU" nginx -p "$TMP/ngx" -c "$TMP/ngx/nginx.conf" -e "$TMP/ngx/logs/error.log" &
    NGX_PID=$!
    wait_port "$1"
}

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

wait_port() {
    local _
    for _ in $(seq 100); do
        python3 -c "import socket;socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0
        sleep 0.05
    done
}

cpu_of() { tail -n 1 "$1" | awk '{print $1+$2}'; }

jget() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));
v=d
for k in sys.argv[2].split('.'): v=v[k]
print(v if v is not None else 'nan')" "$1" "$2"; }
