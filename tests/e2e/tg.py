"""Helpers for tailgate's end-to-end tests: start the built binary as a user
would (real processes, real sockets on 127.0.0.1, real files) and read what it
wrote. Every process a test starts is killed when the test ends."""
import csv
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time


class Child:
    """A process a test started, its stderr kept in a file; registered with the
    test's context, which stops it at the end."""

    def __init__(self, ctx, errpath):
        self.errpath = errpath
        self.err = open(errpath, "w+")
        ctx.procs.append(self)

    def stderr(self):
        self.err.flush()
        with open(self.errpath) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if not hasattr(self, "proc"):  # it failed to start
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Stub(Child):
    """A running `tailgate stub`; .port, .url (the inference URL), .proc."""

    def __init__(self, ctx, args, path="/v1/infer", tls=False):
        self.ctx = ctx
        Child.__init__(self, ctx, os.path.join(ctx.tmp, f"stub-{len(ctx.procs)}.stderr"))
        listen = [] if any(a == "--listen" for a in args) else ["--listen", "127.0.0.1:0"]
        self.proc = subprocess.Popen([*ctx.launcher, ctx.binary, "stub", *listen, *args],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (https?)://([^/\s]+):(\d+)", line)
        if not m:
            self.proc.kill()
            self.err.seek(0)
            raise AssertionError(f"stub did not start: {line!r} {self.err.read()}")
        self.port = int(m.group(3))
        self.host = m.group(2)
        self.scheme = m.group(1)
        self.url = f"{self.scheme}://{self.host}:{self.port}{path}"
        self.base = f"{self.scheme}://{self.host}:{self.port}"


class Result:
    def __init__(self, rc, out, err, seconds):
        self.rc, self.out, self.err, self.seconds = rc, out, err, seconds

    def __repr__(self):
        return f"<rc={self.rc} {self.seconds:.2f}s\nstdout:\n{self.out[-3000:]}\nstderr:\n{self.err[-3000:]}>"


class Context:
    def __init__(self, binary, variant, name):
        self.binary = binary
        self.variant = variant
        self.sanitized = "asan" in variant
        self.tmp = tempfile.mkdtemp(prefix=f"tg-{name}-")
        self.procs = []
        self.written = set()  # files the test wrote itself (ctx.write)
        self.launcher = []  # runs the binary (run, popen, stub): e.g. ["chrt", "-f", "1"]

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        self.written.add(p)
        return p

    def stub(self, *args, path="/v1/infer"):
        return Stub(self, list(args), path)

    def run(self, *args, timeout=120, env=None, stdin=None):
        t0 = time.monotonic()
        p = subprocess.run([*self.launcher, self.binary, *args], capture_output=True, text=True,
                           timeout=timeout, env=env, stdin=stdin)
        r = Result(p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
        self.check_sanitizer(p.stderr, "tailgate " + " ".join(args[:1]))
        return r

    def popen(self, *args, **kw):
        p = subprocess.Popen([*self.launcher, self.binary, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, **kw)
        return p

    def check_sanitizer(self, text, who):
        if "Sanitizer" in text or "runtime error:" in text:
            raise AssertionError(f"sanitizer report from {who}:\n{text[-4000:]}")

    def close(self):
        problems = ""
        for s in self.procs:
            s.stop()
            text = s.stderr()
            if "Sanitizer" in text or "runtime error:" in text:
                problems += f"sanitizer report from stub:\n{text[-4000:]}\n"
        problems += self.check_round_trip()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return problems

    def check_round_trip(self):
        """Every result file the test left behind goes result_from_json ->
        result_to_json unchanged: exactly the bytes tailgate wrote, or (files
        the test wrote itself) the same bytes on a second writing. The check
        is the unit test binary test_result in file mode."""
        exact, stable = [], []
        for root, _, files in os.walk(self.tmp):
            for name in files:
                p = os.path.join(root, name)
                if not name.endswith(".json"):
                    continue
                try:
                    with open(p) as f:
                        doc = json.load(f)
                except (ValueError, OSError, UnicodeDecodeError):
                    continue
                if isinstance(doc, dict) and doc.get("tool") == "tailgate" and "requests" in doc:
                    (stable if p in self.written else exact).append(p)
        if not exact and not stable:
            return ""
        checker = os.path.join(os.path.dirname(self.binary), "tests", "test_result")
        if not os.path.exists(checker):
            return f"{checker} is missing: build the unit tests to check result round trips\n"
        out = ""
        for mode, paths in (("--exact", exact), ("--stable", stable)):
            if paths:
                p = subprocess.run([checker, mode, *paths], capture_output=True, text=True,
                                   timeout=300)
                if p.returncode != 0:
                    out += f"result round trip ({mode}) failed:\n{p.stdout}{p.stderr}\n"
        return out


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def slack(ctx, ms):
    """A timing test's upper tolerance in ms. Tests share two busy cores: an
    event is read late, never early, so lower bounds stay exact and upper
    ones stretch (three times under the sanitizers, which are slower)."""
    return ms * (3 if ctx.sanitized else 1.5)


def realtime(ctx):
    """The client gets the CPU first when the machine allows it: a run at an
    easy rate must not be called limited because other tests hold both cores
    (the self-check would be right to: the client waited for a CPU)."""
    if shutil.which("chrt") and subprocess.run(["chrt", "-f", "1", "true"]).returncode == 0:
        ctx.launcher = ["chrt", "-f", "1"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(ctx, *args):
    p = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=ctx.tmp)
    assert p.returncode == 0, (args, p.stderr)


def make_ca(ctx):
    """A CA valid for a day: returns the path of its PEM certificate."""
    openssl(ctx, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj",
            "/CN=tailgate-test-ca")
    return ctx.path("ca.pem")


def make_cert(ctx, name, san="IP:127.0.0.1,DNS:localhost", days="1"):
    """A server certificate signed by the CA: returns (cert, key) paths.
    days "-1" makes one that has already expired."""
    ext = ctx.write(f"{name}.ext", f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
    openssl(ctx, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
    openssl(ctx, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", days, "-extfile", ext)
    return ctx.path(f"{name}.pem"), ctx.path(f"{name}.key")


def nginx_dir(ctx):
    """The prefix of a test's nginx, with its logs folder made."""
    d = ctx.path("nginx")
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    return d


class Nginx(Child):
    """A running nginx with its own config and prefix (nginx_dir) in the test's
    temp dir. `http` is the inside of the http block after the settings every
    test shares (no access log, temp files in the prefix); the constructor
    returns once every port in `ports` accepts connections."""

    def __init__(self, ctx, http, ports, conf="nginx.conf"):
        if not os.path.exists(NGINX):
            raise AssertionError("nginx is not installed (Debian nginx-light)")
        d = nginx_dir(ctx)
        text = f"""
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
{http}
}}
"""
        path = ctx.write(conf, text)
        Child.__init__(self, ctx, ctx.path(os.path.splitext(conf)[0] + ".stderr"))
        self.proc = subprocess.Popen([NGINX, "-p", d, "-c", path, "-e", f"{d}/logs/error.log"],
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 10
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


class HTTPServer(http.server.ThreadingHTTPServer):
    """A threaded Python test server whose listen backlog holds a burst of
    connects: the default (5) drops SYNs, and a dropped SYN costs a second
    that no latency figure of the test is about."""
    request_queue_size = 1024
    daemon_threads = True


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def http(port, raw, timeout=5.0, host="127.0.0.1", read_all=False):
    """Sends raw bytes, returns (status, headers dict lowercased, body bytes) of
    the first response; status 0 when the server closed without answering."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        if raw:
            s.sendall(raw if isinstance(raw, bytes) else raw.encode())
        return read_response(s, read_all)


def read_response(s, read_all=False):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return (0, {}, data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status, headers = parse_head(head)
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        body = rest[:n]
    else:
        while read_all:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        body = rest
    return (status, headers, body)


def parse_head(head):
    """Status line and header block (bytes, without the blank line) ->
    (status, headers dict with lowercased names)."""
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers


class Reader:
    """Reads consecutive HTTP/1.1 responses (Content-Length framed) from one
    socket, keeping bytes that belong to the next response."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk

    def response(self):
        """-> (status, headers, body) of the next response."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status, headers = parse_head(head)
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body


def post(port, path, body, timeout=5.0, extra=""):
    b = body if isinstance(body, bytes) else body.encode()
    raw = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(b)}\r\n{extra}\r\n").encode() + b
    return http(port, raw, timeout)


def infer(port, inputs, model="example-model", path="/v1/infer", timeout=5.0):
    status, headers, body = post(port, path, json.dumps({"model": model, "inputs": inputs}),
                                 timeout)
    return status, (json.loads(body) if body else None)
