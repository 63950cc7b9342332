"""HTTP/2 end to end: `tailgate run --http2` against nginx (h2c with prior
knowledge, and h2 over TLS with ALPN), against the stub (h2c and h2, every
preset, streaming), and against a raw-frame HTTP/2 server written here
(h2server.py) that misbehaves on purpose: GOAWAY, RST_STREAM, a stalled
flow-control window, one stream at a time, and HTTP/1.1 to a client that
speaks HTTP/2."""
import os
import socket
import subprocess
import time

import tg
from test_tls import NGINX, free_port, make_ca, make_cert


class Nginx:
    """nginx with HTTP/2: an h2c port (prior knowledge) and, with a
    certificate, an h2 port (TLS, ALPN). nginx closes a connection after
    `max_requests` requests with a GOAWAY."""

    def __init__(self, ctx, cert=None, key=None, max_requests=1000):
        if not os.path.exists(NGINX):
            raise AssertionError("nginx is not installed (Debian nginx-light)")
        self.h2c = free_port()
        self.h2 = free_port() if cert else None
        d = ctx.path("nginx")
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        loc = "location / { return 200 '{\"outputs\":[\"a\"]}'; }"
        servers = f"""
    server {{
        listen 127.0.0.1:{self.h2c} http2;
        keepalive_requests {max_requests};
        {loc}
    }}"""
        if cert:
            servers += f"""
    server {{
        listen 127.0.0.1:{self.h2} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        keepalive_requests {max_requests};
        {loc}
    }}"""
        conf = f"""
worker_processes 1;
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    default_type application/json;
{servers}
}}
"""
        path = ctx.write("nginx-h2.conf", conf)
        self.errpath = ctx.path("nginx-h2.stderr")
        self.err = open(self.errpath, "w+")
        self.proc = subprocess.Popen([NGINX, "-p", d, "-c", path, "-e", f"{d}/logs/error.log"],
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        ctx.procs.append(self)
        deadline = time.monotonic() + 10
        ports = [p for p in (self.h2c, self.h2) if p]
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited: {self.stderr()}")
            try:
                for p in ports:
                    socket.create_connection(("127.0.0.1", p), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    def stderr(self):
        self.err.flush()
        with open(self.errpath) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def run_json(ctx, *args, rc=0):
    out = ctx.path(f"out-{len(os.listdir(ctx.tmp))}.json")
    log = out[:-5] + ".csv"
    r = ctx.run("run", *args, "--out", out, "--log", log)
    assert r.rc == rc, r
    return tg.read_json(out), tg.read_csv(log), r


def test_nginx_h2c_closed_loop_counts_and_goaway_retries(ctx):
    ng = Nginx(ctx, max_requests=500)
    res, rows, r = run_json(ctx, f"http://127.0.0.1:{ng.h2c}/", "--http2", "--requests", "3000",
                            "--concurrency", "50", "--validate", "status")
    req = res["requests"]
    assert req["total"] == 3000 and req["ok"] == 3000 and req["errors"] == 0, req
    assert len(rows) == 3000
    assert res["config"]["protocol"] == "h2c", res["config"]
    assert res["config"]["http2"] == "on" and res["config"]["streams_per_connection"] == 100
    c = res["connections"]
    # nginx ends each connection after 500 requests with a GOAWAY: the streams
    # above its last stream id were never processed and went out once more.
    assert c["opened"] >= 6, c
    assert c["retried"] > 0, c
    assert sum(1 for row in rows if row["connect_ms"] != "") == c["opened"], c


def test_nginx_h2_tls_alpn_open_loop(ctx):
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    ng = Nginx(ctx, cert, key)
    res, rows, r = run_json(ctx, f"https://127.0.0.1:{ng.h2}/", "--http2", "--cacert", ca,
                            "--rate", "400", "--duration", "2s", "--validate", "status")
    req = res["requests"]
    assert req["errors"] == 0 and req["total"] == len(rows) and req["total"] >= 700, req
    assert res["config"]["protocol"] == "h2", res["config"]
    assert res["connections"]["tls_handshake_ms"]["count"] == res["connections"]["opened"]
