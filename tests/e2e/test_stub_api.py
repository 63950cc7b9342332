"""End-to-end tests of the stub's API presets, its LLM engine
and streams and scripted streams: real sockets on 127.0.0.1,
answers parsed field by field, streams read event by event with the time each
event arrived."""
import base64
import json
import re
import socket
import struct
import threading
import time

import tg


def post_json(port, path, body, timeout=10):
    status, headers, raw = tg.post(port, path, body if isinstance(body, (str, bytes))
                                   else json.dumps(body), timeout)
    return status, headers, (json.loads(raw) if raw else None)


def words(text):
    """The stub's tokens are ' word' each."""
    assert text.startswith(" "), text
    return text[1:].split(" ")


# ---- a streaming client that keeps the time of every byte ----

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


class Stream:
    """One request on its own connection; reads the answer to its end (or to a
    close, a reset, or `timeout` of silence) and records when each decoded
    body byte arrived. .events are the SSE events: dicts with 'data' (the
    joined data lines), 'comments', 'raw' and 't' (ms after the send).

    Arrival times are the kernel's receive timestamps (SO_TIMESTAMPNS), so a
    test process that the busy machine schedules late still sees when the
    bytes came, not when it got round to reading them."""

    def __init__(self, port, path, body, timeout=10.0, http10=False, extra="", sock=None):
        b = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.sock = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        ver = "1.0" if http10 else "1.1"
        req = (f"POST {path} HTTP/{ver}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(b)}\r\n{extra}\r\n").encode() + b
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.t0 = time.monotonic()
        self.w0 = time.time()
        self.sock.sendall(req)
        self.status, self.headers = 0, {}
        self.body = bytearray()  # decoded body
        self.marks = []          # (decoded length, ms after send) per recv
        self.reads = 0           # recv calls that completed body bytes
        self.recvs = 0           # recv calls that returned bytes
        self.chunks = []         # sizes of the HTTP chunks
        self.complete = False    # the body ended properly (last chunk / close-delimited EOF)
        self.closed = self.reset = self.stalled = False
        self.rest = b""          # bytes after this response (keep-alive)
        self._read()
        self.events = self._events()

    def _read(self):
        raw, head_done, chunked, pos = b"", False, False, 0
        while True:
            try:
                data, anc, _, _ = self.sock.recvmsg(65536, 256)
            except socket.timeout:
                self.stalled = True
                return
            except ConnectionResetError:
                self.reset = True
                return
            t = (time.monotonic() - self.t0) * 1000
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, ns = struct.unpack("qq", cdata[:16])
                    t = (sec + ns / 1e9 - self.w0) * 1000
            if not data:
                self.closed = True
                if head_done and not chunked:
                    self.complete = True
                return
            raw += data
            self.recvs += 1
            if not head_done:
                if b"\r\n\r\n" not in raw:
                    continue
                head, _, raw = raw.partition(b"\r\n\r\n")
                self.status, self.headers = tg.parse_head(head)
                head_done = True
                chunked = self.headers.get("transfer-encoding") == "chunked"
                if not chunked and "content-length" in self.headers:
                    n = int(self.headers["content-length"])
                    while len(raw) < n:
                        raw += self.sock.recv(65536)
                    self.body, self.rest = bytearray(raw[:n]), raw[n:]
                    self.marks.append((n, (time.monotonic() - self.t0) * 1000))
                    self.complete = True
                    return
            before = len(self.body)
            if not chunked:
                self.body += raw
                raw = b""
            else:
                while True:
                    nl = raw.find(b"\r\n", pos)
                    if nl < 0:
                        break
                    size = int(raw[pos:nl], 16)
                    if size == 0:
                        if raw.find(b"\r\n", nl + 2) == nl + 2:
                            self.complete = True
                            self.rest = bytes(raw[nl + 4:])
                            self.marks.append((len(self.body), t))
                            return
                        break
                    if len(raw) < nl + 2 + size + 2:
                        break
                    assert raw[nl + 2 + size:nl + 4 + size] == b"\r\n", raw
                    self.body += raw[nl + 2:nl + 2 + size]
                    self.chunks.append(size)
                    pos = nl + 4 + size
                raw = raw[pos:]  # what is decoded goes (no quadratic copying)
                pos = 0
            if len(self.body) > before:
                self.reads += 1
                self.marks.append((len(self.body), t))

    def _events(self):
        body = bytes(self.body)
        out, start, mi = [], 0, 0
        for m in re.finditer(rb"(\r\n|\r(?!\n)|\n)(\r\n|\r(?!\n)|\n)", body):
            raw = body[start:m.end()].decode()
            lines = re.split(r"\r\n|\r|\n", body[start:m.start()].decode())
            data = [ln[5:][1:] if ln[5:6] == " " else ln[5:] for ln in lines
                    if ln.startswith("data:")]
            comments = [ln[1:].strip() for ln in lines if ln.startswith(":")]
            while mi < len(self.marks) and self.marks[mi][0] < m.end():
                mi += 1  # events come in order: the marks are walked once
            t = self.marks[mi][1] if mi < len(self.marks) else None
            out.append({"data": "\n".join(data) if data else None, "comments": comments,
                        "raw": raw, "t": t})
            start = m.end()
        self.tail = body[start:].decode()
        return out

    def json_events(self):
        return [json.loads(e["data"]) for e in self.events
                if e["data"] is not None and e["data"] != "[DONE]"]

    def close(self):
        self.sock.close()


def chat_body(content="hello stub", max_tokens=5, stream=True, usage=False, model="m"):
    b = {"model": model, "messages": [{"role": "user", "content": content}],
         "max_tokens": max_tokens, "stream": stream}
    if usage:
        b["stream_options"] = {"include_usage": True}
    return b


# ---- every preset's answer ----

def test_completions_answer_shape(ctx):
    s = ctx.stub()
    st, h, a = post_json(s.port, "/v1/completions",
                         {"model": "llama", "prompt": "Once upon a time", "max_tokens": 7})
    assert st == 200 and h["content-type"] == "application/json", (st, h)
    assert a["id"].startswith("cmpl-") and a["object"] == "text_completion", a
    assert isinstance(a["created"], int) and a["model"] == "llama", a
    c = a["choices"][0]
    assert c["index"] == 0 and c["finish_reason"] == "length" and c["logprobs"] is None, c
    assert len(words(c["text"])) == 7, c
    u = a["usage"]
    assert u["completion_tokens"] == 7 and u["prompt_tokens"] == len("Once upon a time") // 4, u
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"], u
    # Deterministic per prompt; another prompt, another text.
    again = post_json(s.port, "/v1/completions",
                      {"prompt": "Once upon a time", "max_tokens": 7, "model": "other"})[2]
    assert again["choices"][0]["text"] == c["text"]
    other = post_json(s.port, "/v1/completions", {"prompt": "Twice", "max_tokens": 7})[2]
    assert other["choices"][0]["text"] != c["text"]
    assert other["model"] == "tailgate-stub"  # no model sent
    assert len(words(post_json(s.port, "/v1/completions", {"prompt": "x"})[2]
                     ["choices"][0]["text"])) == 16  # OpenAI's default max_tokens


def test_chat_answer_shape(ctx):
    s = ctx.stub()
    st, _, a = post_json(s.port, "/v1/chat/completions", chat_body(stream=False, max_tokens=4))
    assert st == 200, a
    assert a["id"].startswith("chatcmpl-") and a["object"] == "chat.completion", a
    c = a["choices"][0]
    assert c["message"]["role"] == "assistant" and len(words(c["message"]["content"])) == 4, c
    assert c["finish_reason"] == "length", c
    assert a["usage"]["completion_tokens"] == 4, a
    # max_completion_tokens wins over the deprecated max_tokens.
    b = chat_body(stream=False, max_tokens=9)
    b["max_completion_tokens"] = 2
    assert post_json(s.port, "/v1/chat/completions", b)[2]["usage"]["completion_tokens"] == 2


def test_embeddings_shape_and_batched_equals_single(ctx):
    s = ctx.stub()
    inputs = ["alpha", "beta", "gamma delta"]
    st, _, a = post_json(s.port, "/v1/embeddings", {"model": "e5", "input": inputs})
    assert st == 200, a
    assert a["object"] == "list" and a["model"] == "e5" and a["id"].startswith("embd-"), a
    assert [d["index"] for d in a["data"]] == [0, 1, 2]
    for i, x in enumerate(inputs):
        d = a["data"][i]
        assert d["object"] == "embedding" and len(d["embedding"]) == 16, d
        assert abs(sum(v * v for v in d["embedding"]) - 1) < 1e-4
        single = post_json(s.port, "/v1/embeddings", {"model": "e5", "input": x})[2]
        assert single["data"][0]["embedding"] == d["embedding"], x
    assert a["usage"]["prompt_tokens"] >= 1 and a["usage"]["total_tokens"] >= 1
    # dimensions and base64 (little-endian float32), as the OpenAI client asks.
    f = post_json(s.port, "/v1/embeddings", {"input": "alpha", "dimensions": 5})[2]
    b = post_json(s.port, "/v1/embeddings",
                  {"input": "alpha", "dimensions": 5, "encoding_format": "base64"})[2]
    vec = struct.unpack("<5f", base64.b64decode(b["data"][0]["embedding"]))
    assert all(abs(x - y) < 1e-6 for x, y in zip(vec, f["data"][0]["embedding"]))


def test_kserve_shape_and_batched_equals_single(ctx):
    s = ctx.stub()
    rows = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 2, 3]]
    body = {"id": "req-7", "inputs": [{"name": "input_ids", "shape": [4, 3], "datatype": "INT64",
                                       "data": [v for r in rows for v in r]}]}
    st, _, a = post_json(s.port, "/v2/models/bert/infer", body)
    assert st == 200, a
    assert a["model_name"] == "bert" and a["id"] == "req-7" and "model_version" not in a, a
    o = a["outputs"][0]
    assert o["name"] == "output0" and o["datatype"] == "FP32" and o["shape"] == [4, 2], o
    assert len(o["data"]) == 8
    for i, r in enumerate(rows):
        one = post_json(s.port, "/v2/models/bert/versions/2/infer",
                        {"inputs": [{"name": "input_ids", "shape": [1, 3], "datatype": "INT64",
                                     "data": [r]}]})[2]
        assert one["model_version"] == "2" and one["outputs"][0]["shape"] == [1, 2], one
        assert one["outputs"][0]["data"] == o["data"][2 * i:2 * i + 2], (i, one)
        assert abs(sum(one["outputs"][0]["data"]) - 1) < 1e-3
    assert o["data"][0:2] == o["data"][6:8]  # same row, same answer


def test_tgi_generate_shape(ctx):
    s = ctx.stub()
    st, _, a = post_json(s.port, "/generate",
                         {"inputs": "What is Deep Learning?", "parameters": {"max_new_tokens": 6}})
    assert st == 200 and list(a) == ["generated_text"] and len(words(a["generated_text"])) == 6, a
    d = post_json(s.port, "/generate", {"inputs": "What is Deep Learning?",
                                        "parameters": {"max_new_tokens": 6, "details": True}})[2]
    assert d["generated_text"] == a["generated_text"]
    assert d["details"]["finish_reason"] == "length" and d["details"]["generated_tokens"] == 6, d
    dflt = post_json(s.port, "/generate", {"inputs": "x"})[2]
    assert len(words(dflt["generated_text"])) == 100  # TGI's default max_new_tokens


def test_api_option_serves_one_preset(ctx):
    s = ctx.stub("--api", "openai-chat", path="/v1/chat/completions")
    assert s.url.endswith("/v1/chat/completions")
    assert post_json(s.port, "/v1/chat/completions", chat_body(stream=False))[0] == 200
    assert tg.infer(s.port, ["a"])[0] == 404
    assert post_json(s.port, "/v1/completions", {"prompt": "x"})[0] == 404
    t = ctx.stub("--api", "tgi", "--path", "/gen")
    assert post_json(t.port, "/gen", {"inputs": "x"})[0] == 200
    st = Stream(t.port, "/gen_stream", {"inputs": "x", "parameters": {"max_new_tokens": 2}})
    assert st.status == 200 and len(st.json_events()) == 2
    k = ctx.stub("--api", "kserve-v2")
    assert post_json(k.port, "/v2/models/x/infer", {"inputs": [
        {"name": "a", "shape": [1], "datatype": "FP32", "data": [1.5]}]})[0] == 200
    assert tg.infer(k.port, ["a"])[0] == 404
    # The first line names the preset's path.
    p = ctx.popen("stub", "--listen", "127.0.0.1:0", "--api", "kserve-v2")
    try:
        line = p.stdout.readline()
    finally:
        p.kill()
        p.wait()
    assert line.rstrip().endswith("/v2/models/{model}/infer"), line
    r = ctx.run("stub", "--api", "openai", timeout=10)
    assert r.rc == 2 and "--api" in r.err, r


def test_bad_requests_get_400_json_naming_the_problem(ctx):
    s = ctx.stub()
    cases = [
        ("/v1/completions", "{\"prompt\":", "malformed JSON"),
        ("/v1/completions", {"model": "m"}, "\"prompt\" is missing"),
        ("/v1/completions", {"prompt": "x", "max_tokens": 0}, "\"max_tokens\""),
        ("/v1/completions", {"prompt": ["a", "b"]}, "one prompt per request"),
        ("/v1/completions", {"prompt": "x", "stream_options": {"include_usage": True}},
         "\"stream_options\""),
        ("/v1/chat/completions", {"model": "m", "messages": "hi"}, "\"messages\" must be an array"),
        ("/v1/chat/completions", {"messages": [{"content": "hi"}]}, "\"role\""),
        ("/v1/embeddings", {"model": "m"}, "\"input\" is missing"),
        ("/v1/embeddings", {"input": [1.5, {}], "model": "m"}, "\"input\""),
        ("/v2/models/m/infer", {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32",
                                            "data": [1, 2, 3]}]}, "data has 3"),
        ("/v2/models/m/infer", {"inputs": [{"name": "x", "shape": [1], "datatype": "FLOAT",
                                            "data": [1]}]}, "datatype"),
        ("/generate", {"parameters": {}}, "\"inputs\" is missing"),
        ("/generate_stream", {"inputs": "x", "parameters": {"max_new_tokens": "5"}},
         "max_new_tokens"),
    ]
    for path, body, want in cases:
        st, h, a = post_json(s.port, path, body)
        assert st == 400 and h["content-type"] == "application/json", (path, body, st, a)
        err = a["error"]
        msg = err["message"] if isinstance(err, dict) else err
        assert want in msg, (path, body, a)
        if path.startswith("/v1/"):  # OpenAI's shape, as vLLM sends it
            assert err["type"] == "BadRequestError" and err["code"] == 400, a
        if path.startswith("/generate"):
            assert a["error_type"] == "validation", a
    # The connection is fine after a 400: a good request follows.
    assert post_json(s.port, "/v1/completions", {"prompt": "ok"})[0] == 200


# ---- streams, event by event ----

def check_chat_chunk(c, model="m"):
    assert c["object"] == "chat.completion.chunk" and c["model"] == model, c
    assert c["id"].startswith("chatcmpl-") and isinstance(c["created"], int), c


def test_chat_stream_without_usage(ctx):
    s = ctx.stub()
    st = Stream(s.port, "/v1/chat/completions", chat_body(max_tokens=5))
    assert st.status == 200 and st.complete, st.__dict__
    assert st.headers["content-type"].startswith("text/event-stream"), st.headers
    assert st.headers["transfer-encoding"] == "chunked"
    ev = st.events
    assert [e["data"] for e in ev][-1] == "[DONE]"
    chunks = st.json_events()
    assert len(chunks) == 1 + 5, chunks  # role, five content chunks
    ids = {c["id"] for c in chunks}
    assert len(ids) == 1
    for c in chunks:
        check_chat_chunk(c)
    first = chunks[0]["choices"][0]
    assert first["delta"] == {"role": "assistant", "content": ""} and first["finish_reason"] is None
    for c in chunks[1:-1]:
        ch = c["choices"][0]
        assert ch["finish_reason"] is None and len(words(ch["delta"]["content"])) == 1, c
        assert "role" not in ch["delta"]
    last = chunks[-1]["choices"][0]
    assert last["finish_reason"] == "length" and len(words(last["delta"]["content"])) == 1, last
    assert all("usage" not in c for c in chunks)
    text = "".join(c["choices"][0]["delta"]["content"] for c in chunks)
    whole = post_json(s.port, "/v1/chat/completions", chat_body(max_tokens=5, stream=False))[2]
    assert text == whole["choices"][0]["message"]["content"]  # streamed == whole
    assert all(e["raw"].startswith("data: ") and e["raw"].endswith("\n\n") for e in ev)


def test_chat_stream_with_include_usage(ctx):
    s = ctx.stub()
    st = Stream(s.port, "/v1/chat/completions", chat_body(max_tokens=3, usage=True))
    chunks = st.json_events()
    assert st.events[-1]["data"] == "[DONE]"
    usage = chunks[-1]
    check_chat_chunk(usage)
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 3, usage
    assert usage["usage"]["total_tokens"] == usage["usage"]["prompt_tokens"] + 3
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert sum(1 for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")) == 3


def test_completions_stream(ctx):
    s = ctx.stub()
    body = {"model": "m", "prompt": "abc", "max_tokens": 4, "stream": True,
            "stream_options": {"include_usage": True}}
    st = Stream(s.port, "/v1/completions", body)
    chunks = st.json_events()
    assert len(chunks) == 5 and st.events[-1]["data"] == "[DONE]", chunks
    for c in chunks[:4]:
        assert c["object"] == "text_completion" and len(words(c["choices"][0]["text"])) == 1, c
    assert [c["choices"][0]["finish_reason"] for c in chunks[:4]] == [None] * 3 + ["length"]
    assert chunks[4]["choices"] == [] and chunks[4]["usage"]["completion_tokens"] == 4
    body["stream"], body["stream_options"] = False, None
    whole = post_json(s.port, "/v1/completions", body)[2]
    assert "".join(c["choices"][0]["text"] for c in chunks[:4]) == whole["choices"][0]["text"]


def test_tgi_stream(ctx):
    s = ctx.stub()
    st = Stream(s.port, "/generate_stream", {"inputs": "hi", "parameters": {"max_new_tokens": 4}})
    assert st.status == 200 and st.complete
    assert all(e["raw"].startswith("data:{") for e in st.events)  # TGI: no space
    ev = st.json_events()
    assert len(ev) == 4 and all(e["data"] != "[DONE]" for e in st.events)
    assert [e["index"] for e in ev] == [1, 2, 3, 4]
    for e in ev[:3]:
        assert e["generated_text"] is None and e["details"] is None, e
        assert e["token"]["special"] is False and len(words(e["token"]["text"])) == 1
    last = ev[3]
    assert last["generated_text"] == "".join(e["token"]["text"] for e in ev), last
    assert last["details"]["finish_reason"] == "length"
    assert last["details"]["generated_tokens"] == 4, last
    whole = post_json(s.port, "/generate", {"inputs": "hi", "parameters": {"max_new_tokens": 4}})
    assert whole[2]["generated_text"] == last["generated_text"]


def test_tokens_per_chunk_and_output_tokens(ctx):
    s = ctx.stub("--tokens-per-chunk", "3", "--output-tokens", "7")
    st = Stream(s.port, "/v1/chat/completions", chat_body(max_tokens=100, usage=True))
    chunks = st.json_events()
    content = [c["choices"][0]["delta"]["content"] for c in chunks if c["choices"]][1:]
    assert [len(words(t)) for t in content] == [3, 3, 1], content
    assert chunks[-1]["usage"]["completion_tokens"] == 7


def test_stream_keep_alive_then_http10(ctx):
    s = ctx.stub()
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    a = Stream(s.port, "/v1/chat/completions", chat_body(max_tokens=2), sock=c)
    assert a.complete and "connection" not in a.headers and a.rest == b""
    b = Stream(s.port, "/v1/completions", {"prompt": "x", "max_tokens": 2, "stream": True},
               sock=c)
    assert b.complete and len(b.json_events()) == 2
    c.close()
    # HTTP/1.0 has no chunked encoding: the body runs to the close.
    h = Stream(s.port, "/v1/completions", {"prompt": "x", "max_tokens": 3, "stream": True},
               http10=True)
    assert h.status == 200 and "transfer-encoding" not in h.headers
    assert h.headers["connection"] == "close" and h.closed and h.complete
    assert len(h.json_events()) == 3 and h.events[-1]["data"] == "[DONE]"


def test_long_stream_at_zero_step_time(ctx):
    # 20,000 tokens, one event each, as fast as the loop goes: all arrive, in
    # order, and the stub's memory is reused (out is compacted as it goes).
    s = ctx.stub()
    st = Stream(s.port, "/v1/completions",
                {"prompt": "long", "max_tokens": 20000, "stream": True,
                 "stream_options": {"include_usage": True}}, timeout=60)
    assert st.complete
    chunks = st.json_events()
    assert len(chunks) == 20001 and chunks[-1]["usage"]["completion_tokens"] == 20000
    whole = post_json(s.port, "/v1/completions", {"prompt": "long", "max_tokens": 20000},
                      timeout=60)[2]
    assert "".join(c["choices"][0]["text"] for c in chunks[:-1]) == whole["choices"][0]["text"]


# ---- the engine's timing ----

def test_ttft_and_tpot_of_one_request(ctx):
    # prompt 400 bytes = 100 tokens: first token after 20 + 1 + 100 * 0.5 = 71 ms,
    # then one token every 21 ms.
    s = ctx.stub("--step-time", "20ms", "--step-per-seq", "1ms", "--prefill-per-token", "500us")
    st = Stream(s.port, "/v1/chat/completions", chat_body(content="x" * 400, max_tokens=6))
    t = [e["t"] for e in st.events if '"content":" ' in e["raw"]]
    assert len(t) == 6
    assert 71 - 3 <= t[0] <= 71 + tg.slack(ctx, 25), t
    # A busy test machine can read one event late (a short gap, then a long
    # one), never early: the last token bounds the decode from below, and the
    # median gap is the step.
    assert 71 + 5 * 21 - 3 <= t[-1] <= 71 + 5 * 21 + tg.slack(ctx, 35), t
    gaps = sorted(b - a for a, b in zip(t, t[1:]))
    assert 21 - 3 <= gaps[len(gaps) // 2] <= 21 + tg.slack(ctx, 10), gaps
    # Not streamed: the whole answer after the same modelled time.
    t0 = time.monotonic()
    st2, _, a = post_json(s.port, "/v1/chat/completions",
                          chat_body(content="x" * 400, max_tokens=6, stream=False))
    ms = (time.monotonic() - t0) * 1000
    assert st2 == 200 and 71 + 5 * 21 - 3 <= ms <= 71 + 5 * 21 + tg.slack(ctx, 40), ms


def test_second_request_waits_for_a_slot_at_max_seqs_1(ctx):
    s = ctx.stub("--max-seqs", "1", "--step-time", "20ms")
    out = {}

    def one(name, delay_s):
        time.sleep(delay_s)
        st = Stream(s.port, "/v1/completions",
                    {"prompt": name, "max_tokens": 10, "stream": True})
        # wall-clock ms of each token (kernel receive times, from the send)
        out[name] = [st.w0 * 1000 + e["t"] for e in st.events if '"text":" ' in e["raw"]]
        out[name + ".sent"] = st.w0 * 1000

    ts = [threading.Thread(target=one, args=("first", 0)),
          threading.Thread(target=one, args=("second", 0.05))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    first, second = out["first"], out["second"]
    assert len(first) == 10 and len(second) == 10
    assert first[0] - out["first.sent"] <= 20 + tg.slack(ctx, 15), first
    # The second, sent while the first decodes, waits for its slot: its first
    # token comes after the first's last, about a step later (on a clock both share, so
    # a late start of the second thread changes nothing).
    assert out["second.sent"] < first[-1], (out, first)
    assert first[-1] < second[0] <= first[-1] + 20 + tg.slack(ctx, 60), (first, second)


def test_tpot_grows_with_active_sequences(ctx):
    s = ctx.stub("--step-time", "10ms", "--step-per-seq", "10ms")

    def gaps_of(n):
        res = [None] * n
        barrier = threading.Barrier(n)

        def one(i):
            barrier.wait()
            st = Stream(s.port, "/v1/completions",
                        {"prompt": f"p{i}", "max_tokens": 8, "stream": True})
            t = [e["t"] for e in st.events if '"text":" ' in e["raw"]]
            res[i] = (t[-1] - t[0]) / 7
        ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return sum(res) / n

    alone = gaps_of(1)
    four = gaps_of(4)
    assert 20 - 3 <= alone <= 20 + tg.slack(ctx, 10), alone  # 10 + 10 x 1
    # 10 + 10 x 4 = 50 while all four decode together (a little less at the
    # ends, where one may start or finish a step apart from the others).
    assert four >= alone + 12, (alone, four)
    assert four <= 50 + tg.slack(ctx, 15), four


def test_engine_queue_full_503_and_error_rate(ctx):
    s = ctx.stub("--max-seqs", "1", "--queue", "0", "--step-time", "100ms")
    holder = threading.Thread(target=lambda: post_json(s.port, "/v1/completions",
                                                       {"prompt": "a", "max_tokens": 3}))
    holder.start()
    time.sleep(0.1)
    st, _, a = post_json(s.port, "/v1/completions", {"prompt": "b", "max_tokens": 1})
    holder.join()
    assert st == 503 and "slot" in a["error"]["message"], a
    e = ctx.stub("--error-rate", "1")
    st, _, a = post_json(e.port, "/v1/chat/completions", chat_body())
    assert st == 500 and "injected" in a["error"]["message"], a
    stats = json.loads(tg.http(s.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")[2])
    assert stats["engine"]["tokens"] >= 3 and stats["engine"]["running"] == 0, stats


def test_client_gone_mid_stream_frees_its_slot(ctx):
    s = ctx.stub("--max-seqs", "1", "--step-time", "10ms")
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    b = json.dumps({"prompt": "long", "max_tokens": 100000, "stream": True}).encode()
    c.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(b)
              + b)
    assert c.recv(4096).startswith(b"HTTP/1.1 200")
    c.close()
    # The slot comes back: the next request is answered at once, not after 1000 s.
    t0 = time.monotonic()
    st, _, a = post_json(s.port, "/v1/completions", {"prompt": "next", "max_tokens": 2}, timeout=5)
    assert st == 200 and time.monotonic() - t0 < 2, a


# ---- scripted streams ----

def script_stub(ctx, text, *args, name="s.txt"):
    return ctx.stub("--script", ctx.write(name, text), *args)


def test_script_times_within_a_few_ms(ctx):
    s = script_stub(ctx, """
        # known TTFT 100 ms, gaps 30 ms, 5 tokens in 4 events, usage from the count
        wait 100ms
        role
        token
        wait 30ms
        token 2
        wait 30ms
        token
        wait 30ms
        token
        finish
        usage
        done
        """)
    st = Stream(s.port, "/v1/chat/completions", chat_body(max_tokens=99))
    ev = st.events
    content = [e for e in ev if '"content":" ' in e["raw"]]
    assert len(content) == 4
    assert ev[0]["t"] is not None and abs(ev[0]["t"] - content[0]["t"]) < 1  # one write
    # Never early; late only by what a busy machine adds (the script's clock
    # is absolute: one late event does not delay the next).
    t = [e["t"] for e in content]
    for got, want in zip(t, [100, 130, 160, 190]):
        assert want - 2 <= got <= want + tg.slack(ctx, 20), t
    chunks = st.json_events()
    assert words(chunks[2]["choices"][0]["delta"]["content"]).__len__() == 2
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-2]["choices"][0]["delta"]["content"] == ""
    assert chunks[-1]["usage"]["completion_tokens"] == 5
    assert ev[-1]["data"] == "[DONE]" and st.complete


def test_script_wire_details(ctx):
    s = script_stub(ctx, r"""
        comment keep-alive
        eol crlf
        role
        empty
        token "Hi \"there\""
        eol cr
        token 3
        eol lf
        raw "data: {\"custom\": true}\n\n"
        usage 42
        """)
    st = Stream(s.port, "/v1/chat/completions", chat_body())
    raw = st.body.decode()
    assert raw.startswith(": keep-alive\n\n"), raw
    ev = st.events
    assert ev[0]["comments"] == ["keep-alive"] and ev[0]["data"] is None
    assert ev[1]["raw"].endswith("\r\n\r\n") and ev[2]["raw"].endswith("\r\n\r\n")
    assert ev[4]["raw"].endswith("\r\r"), ev[4]
    chunks = st.json_events()
    assert chunks[1]["choices"][0]["delta"]["content"] == ""
    assert chunks[2]["choices"][0]["delta"]["content"] == 'Hi "there"'
    assert len(words(chunks[3]["choices"][0]["delta"]["content"])) == 3
    assert chunks[4] == {"custom": True}
    assert chunks[5]["usage"]["completion_tokens"] == 42
    assert "[DONE]" not in raw  # only when the script says so
    # Everything without a wait went out in one write, as one HTTP chunk.
    assert len(st.chunks) == 1 and st.recvs == 1, (st.chunks, st.recvs)


def test_script_split_event_across_writes(ctx):
    s = script_stub(ctx, """
        split 9 3ms
        token
        split 0
        token
        done
        """)
    st = Stream(s.port, "/v1/completions", {"prompt": "p", "stream": True})
    assert st.complete
    chunks = st.json_events()
    assert len(chunks) == 2 and st.events[-1]["data"] == "[DONE]"
    # The first event (with the chunk framing) came 9 bytes a write, 3 ms
    # apart: many reads (a busy client may take two pieces in one), and no
    # sooner than the pacing allows.
    pieces = len(st.events[0]["raw"]) // 9
    assert st.recvs >= pieces // 3, (st.recvs, pieces)
    assert st.events[0]["t"] >= (pieces - 1) * 3 - 2, (st.events[0], pieces)


def test_script_split_leaves_earlier_events_whole(ctx):
    # Events before a split (and no wait since) go out whole, at once; only the
    # events after it are paced (the open write used to be split with them).
    s = script_stub(ctx, """
        token
        token
        split 40 100ms
        token
        done
        """)
    st = Stream(s.port, "/v1/completions", {"prompt": "p", "stream": True})
    assert st.complete and len(st.json_events()) == 3
    assert st.events[1]["t"] < 150, st.events[:2]  # paced: 6+ pieces 100 ms apart
    assert st.events[2]["t"] >= 200, st.events[2]


def test_script_tgi_folds_finish_into_last_token(ctx):
    s = script_stub(ctx, "token\ntoken 2\nfinish stop\n")
    st = Stream(s.port, "/generate_stream", {"inputs": "q"})
    ev = st.json_events()
    assert len(ev) == 2, ev
    assert ev[0]["generated_text"] is None
    assert ev[1]["details"]["finish_reason"] == "stop" and ev[1]["details"]["generated_tokens"] == 3
    assert ev[1]["generated_text"] == ev[0]["token"]["text"] + ev[1]["token"]["text"]


def test_script_error_event(ctx):
    s = script_stub(ctx, "role\ntoken\nerror model crashed\ndone\n")
    st = Stream(s.port, "/v1/chat/completions", chat_body())
    chunks = st.json_events()
    assert chunks[2] == {"error": {"message": "model crashed", "type": "InternalServerError",
                                   "param": None, "code": 500}}, chunks
    assert st.events[-1]["data"] == "[DONE]" and st.complete


def test_script_drop_reset_and_stall(ctx):
    d = script_stub(ctx, "role\ntoken\nwait 20ms\ntoken\ndrop\ntoken\n", name="d.txt")
    st = Stream(d.port, "/v1/chat/completions", chat_body())
    assert st.closed and not st.complete and len(st.json_events()) == 3, st.__dict__
    r = script_stub(ctx, "token\nwait 20ms\nreset\n", name="r.txt")
    st = Stream(r.port, "/v1/completions", {"prompt": "p", "stream": True})
    assert not st.complete and (st.reset or st.closed), st.__dict__
    assert len(st.json_events()) == 1
    z = script_stub(ctx, "token\nstall\ntoken\n", name="z.txt")
    st = Stream(z.port, "/v1/completions", {"prompt": "p", "stream": True}, timeout=0.4)
    assert st.stalled and not st.closed and not st.complete and len(st.json_events()) == 1
    st.close()
    # The stub still answers others.
    assert post_json(z.port, "/v1/completions", {"prompt": "x"})[0] == 200


def test_script_per_model_and_non_streaming(ctx):
    fast = ctx.write("fast.txt", "token 1\n")
    slow = ctx.write("slow.txt", "token 9\n")
    s = ctx.stub("--script", f"fast={fast}", "--script", slow)
    f = Stream(s.port, "/v1/completions", {"model": "fast", "prompt": "p", "stream": True})
    o = Stream(s.port, "/v1/completions", {"model": "other", "prompt": "p", "stream": True})
    assert len(words(f.json_events()[0]["choices"][0]["text"])) == 1
    assert len(words(o.json_events()[0]["choices"][0]["text"])) == 9
    # A request that does not stream gets the engine's answer.
    a = post_json(s.port, "/v1/completions", {"model": "fast", "prompt": "p", "max_tokens": 2})
    assert len(words(a[2]["choices"][0]["text"])) == 2


def test_bad_script_exit_2_missing_script_exit_3(ctx):
    # port 0: the test must not depend on 8000 being free
    r = ctx.run("stub", "--listen", "127.0.0.1:0", "--script",
                ctx.write("bad.txt", "token\nwiat 5ms\n"), timeout=10)
    assert r.rc == 2 and "line 2: unknown directive 'wiat'" in r.err, r
    # the script is read before the port: on a taken port, the script's error still
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        r = ctx.run("stub", "--listen", f"127.0.0.1:{held.getsockname()[1]}", "--script",
                    ctx.path("bad.txt"), timeout=10)
        assert r.rc == 2 and "unknown directive" in r.err, r
    r = ctx.run("stub", "--listen", "127.0.0.1:0", "--script", ctx.path("nope.txt"), timeout=10)
    assert r.rc == 3 and "cannot read" in r.err, r
    r = ctx.run("stub", "--help")
    for opt in ("--api", "--max-seqs", "--step-time", "--step-per-seq", "--prefill-per-token",
                "--output-tokens", "--tokens-per-chunk", "--script"):
        assert opt in r.out, opt
