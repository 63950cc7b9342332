"""HTTPS end to end: a throw-away CA and server certificates
made with the `openssl` command, the stub serving TLS with them, tailgate run
verifying (or not) against them, and nginx with TLS as an independent server."""
import http.server
import os
import socket
import ssl
import threading
import warnings

import tg
from tg import NGINX, free_port, make_ca, make_cert


def tls_stub(ctx, cert, key, *args):
    stub = ctx.stub("--tls-cert", cert, "--tls-key", key, *args)
    assert stub.scheme == "https", stub.url
    return stub


def connections(res):
    return res["connections"]


def test_stub_https_with_cacert(ctx):
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    stub = tls_stub(ctx, cert, key, "--delay", "1ms")
    out, log = ctx.path("out.json"), ctx.path("log.csv")
    r = ctx.run("run", stub.url, "--cacert", ca, "--requests", "400", "--concurrency", "4",
                "--out", out, "--log", log)
    assert r.rc == 0, r
    res = tg.read_json(out)
    assert res["requests"]["ok"] == 400, res["requests"]
    c = connections(res)
    assert c["opened"] == 4, c
    assert c["tls_handshake_ms"]["count"] == 4, c
    assert c["connect_ms"]["count"] == 4 and c["connect_ms"]["p50"] is not None, c
    assert res["config"]["insecure"] is False
    rows = tg.read_csv(log)
    assert list(rows[0].keys())[-1] == "connect_ms"
    opened = [row for row in rows if row["connect_ms"] != ""]
    assert len(opened) == 4, len(opened)
    assert "TLS 4 handshakes" in r.out, r.out


def test_stub_https_unknown_issuer_exits_3(ctx):
    make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    stub = tls_stub(ctx, cert, key)
    r = ctx.run("run", stub.url, "--requests", "10")
    assert r.rc == 3, r
    assert f"TLS verification failed for 127.0.0.1:{stub.port}" in r.err, r.err
    assert "unable to get local issuer certificate" in r.err, r.err
    assert "--cacert" in r.err and "--insecure" in r.err, r.err
    assert "Sanitizer" not in r.err


def test_stub_https_wrong_host_names_the_mismatch(ctx):
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "other", san="DNS:other.example")
    stub = tls_stub(ctx, cert, key)
    r = ctx.run("run", stub.url, "--cacert", ca, "--requests", "10")
    assert r.rc == 3, r
    assert "hostname mismatch" in r.err.lower(), r.err
    # By name too: https://localhost:PORT against a certificate for other.example.
    r = ctx.run("run", f"https://localhost:{stub.port}/v1/infer", "--cacert", ca, "--requests",
                "10")
    assert r.rc == 3, r
    assert "hostname mismatch" in r.err.lower() and "localhost" in r.err, r.err


def test_stub_https_expired_certificate(ctx):
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "old", days="-1")
    stub = tls_stub(ctx, cert, key)
    r = ctx.run("run", stub.url, "--cacert", ca, "--requests", "10")
    assert r.rc == 3, r
    assert "certificate has expired" in r.err, r.err


def test_stub_https_insecure_succeeds_and_says_so(ctx):
    make_ca(ctx)
    cert, key = make_cert(ctx, "other", san="DNS:other.example")
    stub = tls_stub(ctx, cert, key)
    out = ctx.path("out.json")
    r = ctx.run("run", stub.url, "--insecure", "--requests", "50", "--concurrency", "2",
                "--out", out)
    assert r.rc == 0, r
    assert "TLS verification DISABLED (--insecure)" in r.out, r.out
    res = tg.read_json(out)
    assert res["config"]["insecure"] is True
    assert res["requests"]["ok"] == 50, res["requests"]


def test_cacert_unreadable_is_reported(ctx):
    make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    stub = tls_stub(ctx, cert, key)
    r = ctx.run("run", stub.url, "--cacert", ctx.path("missing.pem"), "--requests", "5")
    assert r.rc == 3, r
    assert "--cacert" in r.err and "missing.pem" in r.err, r.err


def test_ab_over_https(ctx):
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    stub = tls_stub(ctx, cert, key)
    d = ctx.path("ab")
    r = ctx.run("ab", stub.url, "--cacert", ca, "--rate", "200", "--requests", "200",
                "--out-dir", d, "--sla", "p95<=5s")
    assert r.rc == 0, r
    # Verification speaks TLS too: without the CA it fails the same clear way.
    r = ctx.run("ab", stub.url, "--rate", "200", "--requests", "50", "--out-dir", d)
    assert r.rc == 3, r
    assert "unable to get local issuer certificate" in r.err, r.err


def test_stub_https_new_connection_per_request_resumes(ctx):
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    stub = tls_stub(ctx, cert, key)
    out = ctx.path("out.json")
    # An open loop with an unlimited pool reuses idle connections; force fresh ones with
    # "Connection: close" so every request shakes hands.
    r = ctx.run("run", stub.url, "--cacert", ca, "--requests", "100", "--concurrency", "1",
                "--header", "Connection: close", "--out", out)
    assert r.rc == 0, r
    c = connections(tg.read_json(out))
    assert c["opened"] == 100 and c["tls_handshake_ms"]["count"] == 100, c
    assert c["tls_resumed"] >= 98, c
    r = ctx.run("run", stub.url, "--cacert", ca, "--requests", "50", "--concurrency", "1",
                "--header", "Connection: close", "--no-tls-resume", "--out", out)
    assert r.rc == 0, r
    c = connections(tg.read_json(out))
    assert c["opened"] == 50 and c["tls_resumed"] == 0, c


def close_delimited_server(cert, key, close_notify):
    """HTTPS answers framed by the close (HTTP/1.0, no Content-Length); the
    server ends each with close_notify, or just closes the socket."""
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"outputs":["a"]}')
            self.wfile.flush()
            if close_notify:  # sent now, the client's is not awaited
                self.connection.setblocking(False)
                try:
                    self.connection.unwrap()
                except (ssl.SSLError, OSError):
                    pass

        def log_message(self, *args):
            pass

    srv = tg.HTTPServer(("127.0.0.1", 0), H)
    tctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tctx.load_cert_chain(cert, key)
    srv.socket = tctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"https://127.0.0.1:{srv.server_address[1]}/v1/infer"


def test_body_framed_by_close_needs_close_notify(ctx):
    # RFC 9112 section 9.8: without a length, only close_notify says the body
    # is whole; a bare close may be a cut, so the request is not ok.
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    for close_notify, rc, kind in ((False, 1, "reset"), (True, 0, None)):
        srv, url = close_delimited_server(cert, key, close_notify)
        try:
            out = ctx.path("out.json")
            r = ctx.run("run", url, "--cacert", ca, "--requests", "20", "--concurrency", "2",
                        "--validate", "status", "--out", out)
            assert r.rc == rc, (close_notify, r)
            req = tg.read_json(out)["requests"]
            assert req["total"] == 20, req
            assert req["ok"] == (0 if kind else 20) and req["by_error"] == (
                {kind: 20} if kind else {}), (close_notify, req)
        finally:
            srv.shutdown()
            srv.server_close()


def tls10_server(cert, key):
    """A server that speaks only TLS 1.0 (each handshake fails: tailgate asks for 1.2+)."""
    tctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tctx.load_cert_chain(cert, key)
    tctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tctx.minimum_version = tctx.maximum_version = ssl.TLSVersion.TLSv1
    ls = socket.create_server(("127.0.0.1", 0), backlog=64)

    def serve():
        while True:
            s, _ = ls.accept()
            try:
                tctx.wrap_socket(s, server_side=True).close()
            except (ssl.SSLError, OSError):
                s.close()
    threading.Thread(target=serve, daemon=True).start()
    return ls.getsockname()[1]


def test_handshake_failures_say_what_to_do(ctx):
    # Plain HTTP on the port an https:// URL names: the OpenSSL words ("wrong
    # version number") alone do not say what is wrong.
    stub = ctx.stub()
    r = ctx.run("run", f"https://127.0.0.1:{stub.port}/v1/infer", "--requests", "5")
    assert r.rc == 3, r
    assert "did not answer in TLS" in r.err and "use http://" in r.err, r.err
    # A server older than TLS 1.2.
    make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    port = tls10_server(cert, key)
    for extra in ((), ("--http2",)):
        r = ctx.run("run", f"https://127.0.0.1:{port}/v1/infer", "--insecure", "--requests", "5",
                    *extra)
        assert r.rc == 3, r
        assert "no TLS version in common (tailgate speaks TLS 1.2 and 1.3)" in r.err, r.err


def resetting_server():
    """Plain TCP that resets every connection once a request arrived: as a TLS
    server does to a plain request, but speaking no TLS."""
    ls = socket.create_server(("127.0.0.1", 0), backlog=64)

    def serve():
        while True:
            try:
                s, _ = ls.accept()
            except OSError:
                return
            try:
                s.recv(65536)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            finally:
                s.close()
    threading.Thread(target=serve, daemon=True).start()
    return ls, ls.getsockname()[1]


def test_http_url_on_a_tls_port_says_use_https(ctx):
    """http:// to an HTTPS server: every request is reset with no byte read
    (OpenSSL drops a plain request), which said nothing of the cause. run,
    ab's verification, sweep's probe and the --http2 pre-flight now shake
    hands once to learn it, and name the URL to use; a plain server that
    resets gets no such hint."""
    make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    stub = tls_stub(ctx, cert, key)
    url = f"http://127.0.0.1:{stub.port}/v1/infer"
    hint = (f"the server at 127.0.0.1:{stub.port} speaks TLS: "
            f"use https://127.0.0.1:{stub.port}/v1/infer")
    r = ctx.run("run", url, "--requests", "5", "-q")
    assert r.rc == 1 and "every request failed (5 reset)" in r.err, r
    assert f"tailgate run: {hint}\n" in r.err, r.err
    r = ctx.run("run", url, "--requests", "5", "--http2")
    assert r.rc == 3 and hint in r.err and "drop --http2" in r.err, r
    r = ctx.run("ab", url, "--requests", "8")
    assert r.rc == 3 and f"verification: {hint}\n" in r.err, r
    r = ctx.run("sweep", url, "--sla", "p95<=100ms")
    assert r.rc == 3 and f"tailgate sweep: {hint}\n" in r.err, r
    assert "got no successful answer" not in r.err, r.err

    ls, port = resetting_server()
    try:
        r = ctx.run("run", f"http://127.0.0.1:{port}/v1/infer", "--requests", "5", "-q")
        assert r.rc == 1 and "every request failed (5 reset)" in r.err, r
        assert "speaks TLS" not in r.err, r.err
    finally:
        ls.close()


def test_some_handshakes_fail_the_summary_says_why(ctx):
    """A server whose every other connection shows a certificate for another
    name: those requests are `tls`, and the summary and first_errors give the
    handshake's reason, as they give an http_5xx's answer."""
    ca = make_ca(ctx)
    good = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    good.load_cert_chain(*make_cert(ctx, "srv"))
    bad = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    bad.load_cert_chain(*make_cert(ctx, "other", san="DNS:other.invalid"))
    ls = socket.create_server(("127.0.0.1", 0), backlog=64)
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n"
              b"Connection: close\r\n\r\n{\"outputs\":[\"a\"]}")

    def serve():
        n = 0
        while True:
            try:
                s, _ = ls.accept()
            except OSError:
                return
            n += 1  # the first (the pre-flight's) shows the good certificate
            try:
                t = (good if n % 2 else bad).wrap_socket(s, server_side=True)
                t.recv(65536)
                t.sendall(answer)
                t.close()
            except (ssl.SSLError, OSError):
                s.close()
    threading.Thread(target=serve, daemon=True).start()
    out = ctx.path("out.json")
    r = ctx.run("run", f"https://127.0.0.1:{ls.getsockname()[1]}/v1/infer", "--cacert", ca,
                "--requests", "10", "--concurrency", "1", "--no-tls-resume", "--out", out)
    ls.close()
    assert r.rc == 0, r
    req = tg.read_json(out)["requests"]
    assert req["ok"] + req["by_error"].get("tls", 0) == 10 and req["by_error"]["tls"] >= 4, req
    first = req["first_errors"]["tls"]
    assert first["status"] == 0 and first["body"] is None, first
    assert "IP address mismatch" in first["reason"] and "a name the certificate holds" in first["reason"], first
    assert "first tls: request " in r.out and "IP address mismatch" in r.out, r.out


# ---- nginx ----

class Nginx(tg.Nginx):
    """nginx with TLS on 127.0.0.1: .port speaks TLS 1.2 and 1.3, .port12 TLS 1.2 only."""

    def __init__(self, ctx, cert, key, keepalive_requests=20):
        self.ctx = ctx
        self.port12 = free_port()
        self.port = free_port()
        server = """
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols {protos};
        ssl_session_cache shared:tls{port}:1m;
        keepalive_requests {kr};
        location / {{ return 200 '{{"outputs":["a"]}}'; }}
    }}"""
        http = "    default_type application/json;\n" + server.format(
            port=self.port, cert=cert, key=key, protos="TLSv1.2 TLSv1.3",
            kr=keepalive_requests) + server.format(
            port=self.port12, cert=cert, key=key, protos="TLSv1.2", kr=keepalive_requests)
        super().__init__(ctx, http, [self.port12, self.port])


def nginx_run(ctx, port, ca, *args):
    body = ctx.write("empty", "")
    out = ctx.path(f"nginx-{port}-{len(os.listdir(ctx.tmp))}.json")
    r = ctx.run("run", f"https://127.0.0.1:{port}/", "--cacert", ca, "--method", "GET",
                "--body", body, "--validate", "status", "--out", out, *args)
    assert r.rc == 0, r
    return tg.read_json(out), r


def test_nginx_https_handshakes_and_resumption(ctx):
    if not os.path.exists(NGINX):
        raise AssertionError("nginx is not installed (Debian nginx-light)")
    ca = make_ca(ctx)
    cert, key = make_cert(ctx, "srv")
    ng = Nginx(ctx, cert, key, keepalive_requests=20)
    for port in (ng.port, ng.port12):  # TLS 1.3 and TLS 1.2
        res, r = nginx_run(ctx, port, ca, "--requests", "1000", "--concurrency", "8",
                           "--connections", "0")
        assert res["requests"]["ok"] == 1000, (port, res["requests"])
        c = connections(res)
        # nginx closes after 20 requests: about 50 connections, each with its handshake.
        assert c["opened"] >= 50, c
        assert c["tls_handshake_ms"]["count"] == c["opened"], c
        assert c["tls_resumed"] > 0, c
        assert c["tls_handshake_ms"]["p50"] is not None, c
        res, r = nginx_run(ctx, port, ca, "--requests", "200", "--concurrency", "4",
                           "--no-tls-resume")
        c = connections(res)
        assert c["tls_handshake_ms"]["count"] == c["opened"] and c["tls_resumed"] == 0, c
    # Without the CA: exit 3 naming the reason.
    r = ctx.run("run", f"https://127.0.0.1:{ng.port}/", "--method", "GET", "--body",
                ctx.write("empty", ""), "--validate", "status", "--requests", "5")
    assert r.rc == 3 and "unable to get local issuer certificate" in r.err, r
