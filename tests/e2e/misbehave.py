"""A misbehaving HTTP/1.1 server for tailgate's client tests (RFC 9112 failure
modes). Each mode answers every request on a connection the same way."""
import json
import socket
import socketserver
import threading
import time

OK_BODY = b'{"outputs":["x"]}'


def read_request(f, body=True):
    """Reads one request head and (unless not body) its Content-Length body;
    (head, body), or None at EOF."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = f.readline()
        if not line:
            return None
        head += line
    length = 0
    for ln in head.split(b"\r\n"):
        if ln.lower().startswith(b"content-length:"):
            length = int(ln.split(b":", 1)[1])
    return head, (f.read(length) if length and body else b"")


def ok(body=OK_BODY, extra=b""):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


def drip(sock, data, gap):
    for i in range(len(data)):
        sock.sendall(data[i:i + 1])
        time.sleep(gap)


def rst(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()


# mode -> function(sock) called once per request; returns False to close the connection.
def m_ok(s):
    s.sendall(ok())
    return True


def m_len_short(s):  # claims more than it sends, then closes
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + OK_BODY)
    return False


def m_len_short_hang(s):  # claims more than it sends, keeps the connection open
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + OK_BODY)
    time.sleep(3)
    return False


def m_len_long(s):  # sends more than it claims, then closes
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
              + OK_BODY + b"garbage")
    return False


def m_chunked_ok(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5\r\n{\"out\r\n3;ext=1\r\nput\r\n9\r\ns\":[\"x\"]}\r\n0\r\nTrailer: t\r\n\r\n")
    return True


def m_chunked_bad_hex(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
    return False


def m_chunked_bad_crlf(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n")
    return False


def m_close_delimited(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + OK_BODY)
    return False


def m_interim(s):
    s.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
              + ok())
    return True


def m_tiny_writes(s):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    drip(s, ok(), 0.001)
    return True


def m_huge_header(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200000 + b"\r\nContent-Length: 2\r\n\r\n{}")
    return False


def m_many_headers(s):
    s.sendall(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(2000))
              + b"Content-Length: 2\r\n\r\n{}")
    return False


def m_bad_status(s):
    s.sendall(b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}")
    return False


def m_not_http(s):
    s.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    return False


def m_close_before(s):
    return False


def m_rst_before(s):
    rst(s)
    return None


def m_close_in_status(s):
    s.sendall(b"HTTP/1.1 2")
    return False


def m_close_in_headers(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Len")
    return False


def m_close_in_body(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"outp")
    return False


def m_rst_in_body(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"outp")
    time.sleep(0.05)
    rst(s)
    return None


def m_never_answer(s):
    time.sleep(3)
    return False


def m_slow_body(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(OK_BODY))
    drip(s, OK_BODY, 0.02)
    return True


def m_te_and_cl(s):  # conflicting framing: chunked wins (RFC 9112 §6.3)
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"2\r\n{}\r\n0\r\n\r\n")
    return False


def m_two_lengths(s):
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x")
    return False


def m_500(s):
    s.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}")
    return True


def m_404(s):
    s.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}")
    return True


def m_204(s):
    s.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
    return True


def m_status_799(s):  # outside 100..599: invalid, to be treated as 5xx (RFC 9110 §15)
    s.sendall(b"HTTP/1.1 799 Custom\r\nContent-Length: 0\r\n\r\n")
    return True


def m_switch_protocols(s):  # 101 unasked (we never send Upgrade), then silence
    s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
              b"Upgrade: h2c\r\n\r\n")
    time.sleep(3)
    return False


def m_html_page(s):  # a proxy's page where an event stream was asked for
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
              % len(page) + page)
    return True


def m_early_413(s):  # answers from the head alone and closes with the body unread: an RST
    s.sendall(b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n"
              b"Content-Length: 2\r\n\r\n{}")
    s.close()
    return None


m_early_413.head_only = True


def m_trailing_garbage(s):  # a stray response after the real one: not reusable
    s.sendall(ok() + b"HTTP/1.1 500 Stray\r\nContent-Length: 0\r\n\r\n")
    return True


# Lingering close (as nginx does): the answer says keep-alive, then the server
# half-closes (FIN) and reads on until the client closes. LINGER tells the
# handler to read on; what it reads after its FIN is counted in .lingered.
LINGER = "linger"


def m_halfclose(s):  # the FIN rides in the response's segment: one event brings both
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    s.sendall(ok(extra=b"Connection: keep-alive\r\n"))
    return LINGER  # shutdown(SHUT_WR) tacks the FIN onto the corked segment and sends it


def m_halfclose_after(s):  # the FIN follows in a segment of its own: it races the next request
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(ok(extra=b"Connection: keep-alive\r\n"))
    return LINGER


def m_echo(s, req):  # a well-behaved inference API: one output per input, the input itself
    try:
        inputs = json.loads(req[1])["inputs"]
    except (ValueError, KeyError, TypeError):
        s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        return True
    s.sendall(ok(json.dumps({"outputs": inputs}).encode()))
    return True


def m_drop_second(s, i):  # keep-alive, then drops the 2nd request it received
    if i % 2 == 1:
        return None
    s.sendall(ok())
    return True


class _TS(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def serve(handler):
    """A threaded TCP server on a free port of 127.0.0.1, serving from a daemon
    thread: returns (server, thread)."""
    srv = _TS(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    return srv, thread


class Server:
    def __init__(self, mode):
        fn = globals()["m_" + mode]
        second = fn.__code__.co_varnames[1] if fn.__code__.co_argcount == 2 else None
        server = self
        self.received = 0  # requests read, over all connections
        self.lingered = 0  # of those, read after the server had half-closed
        self.requests = []  # every request read before a FIN: (head, body) bytes, in order
        self.lock = threading.Lock()

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                try:
                    i = 0
                    while True:
                        req = read_request(self.rfile, not getattr(fn, "head_only", False))
                        if req is None:
                            return
                        with server.lock:
                            server.received += 1
                            server.requests.append(req)
                        arg = {"i": i, "req": req}.get(second)
                        keep = fn(self.connection) if second is None else fn(self.connection, arg)
                        i += 1
                        if keep is None:
                            return
                        if keep == LINGER:
                            self.connection.shutdown(socket.SHUT_WR)
                            while read_request(self.rfile) is not None:
                                with server.lock:
                                    server.received += 1
                                    server.lingered += 1
                            return
                        if not keep:
                            self.connection.shutdown(socket.SHUT_WR)
                            return
                except OSError:
                    return

        self.srv, self.thread = serve(Handler)
        self.port = self.srv.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/x"

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()
