"""A capture server for tailgate's API tests: records the exact bytes of every
request (head and body, as they came over the wire) and answers through a
Python handler, the way a FastAPI app or an OpenAI-compatible server would.
HTTP/1.1 keep-alive, Content-Length framing, one thread per connection."""
import json
import socketserver
import threading

from misbehave import read_request, serve


def respond(status, body, ctype="application/json"):
    if not isinstance(body, bytes):
        body = body.encode()
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}.get(status, "X")
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class Request:
    def __init__(self, head, body):
        self.raw = head + body
        self.head = head
        self.body = body
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.path, self.version = lines[0].split(" ")
        self.header_lines = [ln for ln in lines[1:] if ln]
        self.headers = {}
        for ln in self.header_lines:
            k, _, v = ln.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def json(self):
        return json.loads(self.body)


class Capture:
    """answer(Request) -> (status, body text or bytes, or a dict/list to send
    as JSON)."""

    def __init__(self, answer):
        server = self
        self.requests = []
        self.lock = threading.Lock()

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                try:
                    while True:
                        got = read_request(self.rfile)
                        if got is None:
                            return
                        req = Request(*got)
                        with server.lock:
                            server.requests.append(req)
                        status, body = answer(req)
                        if isinstance(body, (dict, list)):
                            body = json.dumps(body)
                        self.connection.sendall(respond(status, body))
                except OSError:
                    return

        self.srv, self.thread = serve(Handler)
        self.port = self.srv.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Answers in each preset's shape (as the real servers write them), one
# output per input; out(x) is an input's output.
def preset_answer(api, out=lambda x: f"out:{json.dumps(x)}"):
    def answer(req):
        b = req.json()
        if api == "tailgate":
            return 200, {"model": b["model"], "outputs": [out(x) for x in b["inputs"]]}
        if api == "openai-completions":
            return 200, {"object": "text_completion", "choices": [
                {"index": 0, "text": out(b["prompt"]), "finish_reason": "length"}]}
        if api == "openai-chat":
            return 200, {"object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": out(b["messages"])},
                 "finish_reason": "length"}]}
        if api == "openai-embeddings":
            inp = b["input"] if isinstance(b["input"], list) else [b["input"]]
            return 200, {"object": "list", "data": [
                {"object": "embedding", "index": i, "embedding": [len(json.dumps(x)), 0.5]}
                for i, x in enumerate(inp)]}
        if api == "kserve-v2":
            t = b["inputs"][0]
            n = t["shape"][0]
            data = []
            for x in t["data"]:
                data += [len(x), 0.25]
            return 200, {"model_name": "m", "id": b.get("id"), "outputs": [
                {"name": "output", "shape": [n, 2], "datatype": "FP32", "data": data}]}
        if api == "tgi":
            return 200, {"generated_text": out(b["inputs"])}
        raise AssertionError(api)
    return answer
