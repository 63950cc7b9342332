"""An OpenAI-compatible LLM server on FastAPI + uvicorn -- the stack vLLM's
own OpenAI server runs on -- streaming in vLLM's wire format with known
times, for tailgate's end-to-end tests against a server it did not write.

    python3 llmserver.py [--ttft-ms 50] [--gap-ms 10] [--mode ok] [--after 3]
                         [--usage auto] [--per-chunk 1]

POST /v1/chat/completions and /v1/completions, "stream": true or false.
A streamed answer is what vLLM sends: (chat) a first chunk with the role and
empty content, then one chunk per --per-chunk tokens, the last one
carrying finish_reason "length"; a usage chunk ("choices": []) when the
request asks for it (stream_options.include_usage); then data: [DONE]. The
answer has max_tokens tokens (default 16).

Times: the first token is written --ttft-ms after the request reached the
handler, and token chunk k --gap-ms after chunk k-1, on one schedule from
that instant (so the sleeps' lateness does not add up over a stream).

Modes:
  ok        the whole answer
  error     after --after token chunks, vLLM's mid-stream error event
            data: {"error": {...}}, then data: [DONE]
  stall     after --after token chunks, silence until the client leaves
  drop      after --after token chunks, the connection closes without the
            chunked body's end (an exception in the generator: uvicorn closes
            the transport once the response has started)
--usage never ignores stream_options (a server that sends no usage chunk).
Every option is also a query parameter of the same name with '_' for '-'
(?mode=error&after=2&ttft_ms=50), for one request.

Prints "listening on http://127.0.0.1:PORT" on stdout once it serves (port
0 unless --port: the kernel picks). GET /stats: what the server itself
timed, per answered stream: {"ttft_ms": [...], "gap_ms": [...]} from the
handler's start to each token chunk handed to uvicorn.
"""
import argparse
import asyncio
import json
import logging
import socket
import sys
import time

try:
    import uvicorn
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, StreamingResponse
except ImportError as e:  # pragma: no cover - the message is the point
    sys.exit(f"llmserver.py needs FastAPI and uvicorn: {e}. On Debian: "
             "apt-get install python3-fastapi python3-uvicorn (scripts/deps.sh --test)")

MODES = ("ok", "error", "stall", "drop")
DEFAULTS = {}
STATS = {"ttft_ms": [], "gap_ms": [], "requests": 0}

app = FastAPI()


class Dropped(Exception):
    """Raised inside a started stream: uvicorn closes the connection."""


def option(request, name, kind):
    v = request.query_params.get(name)
    return kind(v) if v is not None else DEFAULTS[name]


def chunk(kind, rid, model, choices, usage=None):
    c = {"id": rid, "object": "chat.completion.chunk" if kind == "chat" else "text_completion",
         "created": int(time.time()), "model": model, "choices": choices}
    if usage is not None:
        c["usage"] = usage
    return "data: " + json.dumps(c, separators=(",", ":")) + "\n\n"


def choice(kind, text=None, role=None, finish=None):
    if kind == "chat":
        delta = {}
        if role is not None:
            delta["role"] = role
        if text is not None:
            delta["content"] = text
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish,
            "stop_reason": None}


async def until(t_ns):
    d = t_ns - time.monotonic_ns()
    if d > 0:
        await asyncio.sleep(d / 1e9)


async def answer(request, kind):
    t0 = time.monotonic_ns()
    STATS["requests"] += 1
    body = await request.json()
    model = body.get("model", "m")
    n = int(body.get("max_tokens") or 16)
    prompt = body.get("prompt") if kind == "completions" else json.dumps(body.get("messages"))
    prompt_tokens = max(1, len(str(prompt)) // 4)
    ttft = int(option(request, "ttft_ms", float) * 1e6)
    gap = int(option(request, "gap_ms", float) * 1e6)
    mode = option(request, "mode", str)
    after = option(request, "after", int)
    per = max(1, option(request, "per_chunk", int))
    usage_mode = option(request, "usage", str)
    rid = ("chatcmpl-" if kind == "chat" else "cmpl-") + str(STATS["requests"])
    tokens = [f" tok{i}" for i in range(n)]
    pieces = ["".join(tokens[i:i + per]) for i in range(0, n, per)]
    usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + n,
             "completion_tokens": n}

    if not body.get("stream"):
        await until(t0 + ttft + gap * (len(pieces) - 1))
        if kind == "chat":
            c = {"index": 0, "message": {"role": "assistant", "content": "".join(tokens)},
                 "logprobs": None, "finish_reason": "length"}
        else:
            c = {"index": 0, "text": "".join(tokens), "logprobs": None,
                 "finish_reason": "length"}
        return JSONResponse({"id": rid, "object": "chat.completion" if kind == "chat"
                             else "text_completion", "created": int(time.time()),
                             "model": model, "choices": [c], "usage": usage})

    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    if usage_mode == "never":
        include_usage = False

    async def events():
        sent = []
        try:
            for k, piece in enumerate(pieces):
                if mode != "ok" and k == after:
                    if mode == "error":
                        err = {"error": {"message": "the engine failed mid-stream",
                                         "type": "InternalServerError", "param": None,
                                         "code": 500}}
                        yield "data: " + json.dumps(err) + "\n\n"
                        yield "data: [DONE]\n\n"
                        return
                    if mode == "stall":
                        await asyncio.sleep(3600)
                    raise Dropped(f"dropped after {k} token chunks")
                await until(t0 + ttft + gap * k)
                if k == 0 and kind == "chat":
                    # vLLM sends the role once the first output is ready, in
                    # a write of its own just before the first token's.
                    yield chunk(kind, rid, model, [choice(kind, "", role="assistant")])
                last = k == len(pieces) - 1
                sent.append(time.monotonic_ns())
                yield chunk(kind, rid, model,
                            [choice(kind, piece, finish="length" if last else None)])
            if include_usage:
                yield chunk(kind, rid, model, [], usage)
            yield "data: [DONE]\n\n"
        finally:
            if sent and mode == "ok":
                STATS["ttft_ms"].append((sent[0] - t0) / 1e6)
                STATS["gap_ms"].extend((b - a) / 1e6 for a, b in zip(sent, sent[1:]))

    return StreamingResponse(events(), media_type="text/event-stream")


@app.post("/v1/chat/completions")
async def chat(request: Request):
    return await answer(request, "chat")


@app.post("/v1/completions")
async def completions(request: Request):
    return await answer(request, "completions")


@app.get("/stats")
async def stats():
    return STATS


@app.get("/health")
async def health():
    return {}


class Server(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        port = sockets[0].getsockname()[1]
        print(f"listening on http://127.0.0.1:{port}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ttft-ms", type=float, default=50.0)
    ap.add_argument("--gap-ms", type=float, default=10.0)
    ap.add_argument("--mode", choices=MODES, default="ok")
    ap.add_argument("--after", type=int, default=3)
    ap.add_argument("--per-chunk", type=int, default=1)
    ap.add_argument("--usage", choices=("auto", "never"), default="auto")
    ap.add_argument("--keep-alive", type=float, default=5.0,
                    help="seconds an idle connection stays open (uvicorn's default 5)")
    a = ap.parse_args()
    DEFAULTS.update(ttft_ms=a.ttft_ms, gap_ms=a.gap_ms, mode=a.mode, after=a.after,
                    per_chunk=a.per_chunk, usage=a.usage)
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets whose
    # proto says TCP, and an accepted socket inherits socket()'s proto 0.
    # Without it, a kept-alive connection's answer body waits for the ACK of
    # its headers: 40 ms of delayed ACK on every reused connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", a.port))
    sock.listen(1024)
    config = uvicorn.Config(app, log_level="warning", access_log=False, backlog=1024,
                            lifespan="off", timeout_keep_alive=a.keep_alive)
    # The "drop" mode's exception is the point, not news: keep stderr quiet
    # (after Config, which sets uvicorn's log levels).
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
