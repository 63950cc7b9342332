"""A raw-frame HTTP/2 server (prior knowledge, RFC 9113) that misbehaves on
purpose, for tailgate's failure tests. No HPACK decoder is needed: requests
are only counted by stream id, and answers are hand-encoded (":status: 200"
is index 8 of the HPACK static table, 0x88; ":status: 500" is index 14).

Modes (one per server):
  ok            every request: HEADERS 200 + DATA {"outputs":["a"]}
  rst:N         every Nth request is reset (RST_STREAM INTERNAL_ERROR), the
                others answered
  goaway:K      after the Kth request on a connection, a GOAWAY whose last
                stream id is that request's; the streams up to it are
                answered, the ones above never are, then the connection closes
  goaway-drop:K as goaway:K, but the connection closes without answering
                the streams up to the last id either
  goaway0       at the first request on a connection, a GOAWAY with last
                stream id 0 (nothing processed), then the connection closes
  refuse:N      every Nth request (counted over all connections) is refused
                (RST_STREAM REFUSED_STREAM: not processed), the others answered
  window0       SETTINGS_INITIAL_WINDOW_SIZE 0 and never a WINDOW_UPDATE: a
                request body can never be sent
  stall         HEADERS 200, then nothing (a response body that never comes)
  maxstreams:N  SETTINGS_MAX_CONCURRENT_STREAMS N; answers after `delay`
  cut           HEADERS 200 and the start of the body, then the connection
                closes (the last bytes and the FIN in one write)
  silent:K      each connection answers its first K requests, then says
                nothing more (no frame, not even a PING ack, and no FIN): a
                connection gone dead, as behind a NAT that forgot it
  silent-one:K  as silent:K on the first connection that answers K
                requests only; every other connection answers everything
  maxstreams-2nd:N
                the second connection (the run's first: the first is the
                client's pre-flight) says SETTINGS_MAX_CONCURRENT_STREAMS N
                in its preface, 300 ms after it opened (a far server), the
                others set no limit; answers after `delay`
  lower:K       after its Kth request a connection lowers its limit to 2 (a
                new SETTINGS), binding once the client has acknowledged it
                (RFC 9113 §6.5.3); answers after `delay`
  malformed:N   every Nth request is answered with a connection-specific
                field (`connection: keep-alive`, malformed in HTTP/2, RFC
                9113 §8.2.2), the others answered
Every mode with a limit refuses (RST_STREAM REFUSED_STREAM, counted in
`refused`) a request that arrives while that many are unanswered on its
connection. PINGs are answered (counted in `pings`) unless the mode is silent.
"""
import socket
import struct
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
BODY = b'{"outputs":["a"]}'


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(
        ">I", sid & 0x7FFFFFFF) + payload


def settings(**kv):
    ids = {"max_streams": 3, "window": 4}
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", ids[k], v) for k, v in kv.items()))


class H2Server:
    """tls: an ssl.SSLContext to serve h2 over TLS (ALPN h2) instead of h2c;
    hold: seconds each connection after the first waits before its TLS
    handshake (the first is the client's pre-flight)."""

    def __init__(self, mode="ok", delay=0.0, tls=None, hold=0.0, pause=None):
        self.t0 = time.monotonic()
        self.pause = pause  # (start, length) s from now: the whole server stops
        self.mode, _, arg = mode.partition(":")
        self.arg = int(arg) if arg else 0
        self.delay = delay
        self.tls, self.hold = tls, hold
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.requests = 0  # complete requests seen, all connections
        self.connections = 0
        self.resets = 0
        self.refused = 0  # streams refused unprocessed (goaway0, refuse:N)
        self.seen = 0  # refuse:N: whole requests seen, refused or not
        self.pings = 0  # PINGs answered
        self.max_open = 0  # most requests unanswered at once on one connection
        self.went_silent = False  # silent-one: a connection has
        self.lock = threading.Lock()
        self.stopped = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def stop(self):
        self.stopped = True
        try:
            self.sock.close()
        except OSError:
            pass

    def accept_loop(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                nth = self.connections
            threading.Thread(target=self.serve, args=(c, nth), daemon=True).start()

    def paused(self):
        """Within the pause, waits for its end (as a stopped process would)."""
        if self.pause:
            start, length = self.pause
            now = time.monotonic() - self.t0
            if start <= now < start + length:
                time.sleep(start + length - now)

    def answer(self, c, wlock, sid, live=None):
        if self.delay:
            time.sleep(self.delay)
        self.paused()
        if live is not None:  # no longer unanswered before the answer can be read
            with self.lock:
                live[0] -= 1
        with wlock:
            c.sendall(frame(HEADERS, END_HEADERS, sid, b"\x88") +
                      frame(DATA, END_STREAM, sid, BODY))

    def serve(self, c, nth):
        wlock = threading.Lock()
        try:
            if self.tls:
                if nth > 1:
                    time.sleep(self.hold)
                c = self.tls.wrap_socket(c, server_side=True)
            self.serve_frames(c, wlock, nth)
        except OSError:
            pass
        finally:
            c.close()

    def read_exact(self, c, n, buf):
        while len(buf) < n:
            chunk = c.recv(65536)
            if not chunk:
                raise OSError("closed")
            buf += chunk
        return buf[:n], buf[n:]

    def serve_frames(self, c, wlock, conn_nth):
        buf = b""
        pre, buf = self.read_exact(c, len(PREFACE), buf)
        if pre != PREFACE:
            return
        kv = {}
        if self.mode == "window0":
            kv["window"] = 0
        limit = None  # requests unanswered at once, over it refused
        if self.mode == "maxstreams":
            kv["max_streams"] = self.arg
        if self.mode == "maxstreams-2nd" and conn_nth == 2:
            kv["max_streams"] = limit = self.arg
            time.sleep(0.3)  # what the client sends meanwhile waits in the socket
        self.paused()
        with wlock:
            c.sendall(settings(**kv))
        live = [0]  # requests unanswered on this connection
        acks = 0  # SETTINGS acknowledged by the client
        lowered = False  # lower: the new SETTINGS went out
        dead = False  # silent-one: this connection says nothing more
        n_here = 0
        last = None  # GOAWAY sent with this last stream id
        pending = []  # goaway: streams up to `last` still to answer
        threads = []
        while True:
            head, buf = self.read_exact(c, 9, buf)
            length = int.from_bytes(head[:3], "big")
            ftype, flags = head[3], head[4]
            sid = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
            payload, buf = self.read_exact(c, length, buf)
            self.paused()
            if (self.mode == "silent" and n_here >= self.arg) or dead:
                continue  # read and dropped: nothing comes back any more
            if ftype == SETTINGS and flags & ACK:
                acks += 1
                if lowered and acks == 2:
                    limit = 2  # the client has the new limit
                continue
            if ftype == SETTINGS:
                with wlock:
                    c.sendall(frame(SETTINGS, ACK, 0))
                continue
            if ftype == PING and not flags & ACK:
                with self.lock:
                    self.pings += 1
                with wlock:
                    c.sendall(frame(PING, ACK, 0, payload))
                continue
            if ftype == GOAWAY:
                return
            if ftype not in (HEADERS, DATA) or not flags & END_STREAM:
                continue
            # a whole request on stream sid
            if last is not None and sid > last:
                continue  # above the GOAWAY: never processed
            if self.mode == "goaway0":
                with self.lock:
                    self.refused += 1
                with wlock:
                    c.sendall(frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0)))
                time.sleep(0.05)  # the client's other streams arrive, unprocessed
                return
            if self.mode == "refuse":
                with self.lock:
                    self.seen += 1
                    refuse = self.seen % self.arg == 0
                    self.refused += refuse
                if refuse:
                    with wlock:
                        c.sendall(frame(RST, 0, sid, struct.pack(">I", 7)))  # REFUSED_STREAM
                    continue
            if limit is not None:
                with self.lock:
                    over = live[0] >= limit
                    self.refused += over
                if over:
                    with wlock:
                        c.sendall(frame(RST, 0, sid, struct.pack(">I", 7)))  # REFUSED_STREAM
                    continue
            n_here += 1
            with self.lock:
                self.requests += 1
                nth = self.requests
                live[0] += 1
                self.max_open = max(self.max_open, live[0])
            if self.mode == "lower" and n_here == self.arg:
                lowered = True
                with wlock:
                    c.sendall(settings(max_streams=2))
            if self.mode == "rst" and nth % self.arg == 0:
                with self.lock:
                    self.resets += 1
                with wlock:
                    c.sendall(frame(RST, 0, sid, struct.pack(">I", 2)))
                continue
            if self.mode == "malformed" and nth % self.arg == 0:
                field = b"\x00\x0aconnection\x0akeep-alive"  # literal, not indexed
                with wlock:
                    c.sendall(frame(HEADERS, END_HEADERS, sid, b"\x88" + field) +
                              frame(DATA, END_STREAM, sid, BODY))
                continue
            if self.mode == "cut":
                with wlock:  # corked: the bytes and the FIN leave in one segment
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                    c.sendall(frame(HEADERS, END_HEADERS, sid, b"\x88") +
                              frame(DATA, 0, sid, BODY[:5]))
                    c.shutdown(socket.SHUT_WR)
                # Read on until the client closes: a close now would send a
                # RST, a second event that would tell the client instead.
                while c.recv(65536):
                    pass
                return
            if self.mode == "stall":
                with wlock:
                    c.sendall(frame(HEADERS, END_HEADERS, sid, b"\x88"))
                continue
            if self.mode in ("goaway", "goaway-drop") and n_here == self.arg:
                last = sid
                with wlock:
                    c.sendall(frame(GOAWAY, 0, 0, struct.pack(">II", last, 0)))
                pending.append(sid)
                # Let the client's streams above `last` arrive and be refused,
                # then end this connection.
                time.sleep(0.05)
                if self.mode == "goaway":
                    for s in pending:
                        self.answer(c, wlock, s)
                # A close with the client's bytes unread would send a RST,
                # and the client's kernel would drop the answers it had not
                # read yet: end our side, read on until the client closes.
                c.shutdown(socket.SHUT_WR)
                c.settimeout(5)
                while c.recv(65536):
                    pass
                return
            if self.mode in ("goaway", "goaway-drop") and last is None:
                pending.append(sid)
                if self.mode == "goaway-drop":
                    continue  # held: never answered
                # answered at once
                pending.remove(sid)
            if self.delay:
                t = threading.Thread(target=self.answer, args=(c, wlock, sid, live), daemon=True)
                t.start()
                threads.append(t)
            else:
                self.answer(c, wlock, sid, live)
            if self.mode == "silent-one" and n_here == self.arg:
                with self.lock:
                    dead = not self.went_silent
                    self.went_silent = True


if __name__ == "__main__":
    import sys
    s = H2Server(sys.argv[1] if len(sys.argv) > 1 else "ok")
    print(s.port, flush=True)
    while True:
        time.sleep(1)
