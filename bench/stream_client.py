#!/usr/bin/env python3
"""A streaming benchmark client written the way vLLM's `benchmark_serving` client is:
asyncio + aiohttp, one task per request started on a request-rate schedule, the answer
read line by line (`async for line in response.content`), "data: " stripped, each chunk
parsed with json.loads, a token timed when choices[0].delta.content is non-empty (TTFT
for the first, an ITL gap for each later one), the usage chunk's completion_tokens kept.

bench/run.sh runs it beside `tailgate run --stream` on the same stub at the same rate, to
compare client CPU per token event and per request.

    stream_client.py URL BODY.json RATE SECONDS   -> one JSON line of totals on stdout
"""
import asyncio
import json
import sys
import time

import aiohttp


async def one(session, url, payload, stats):
    st = time.perf_counter()
    ttft, last, itl, tokens, events = 0.0, st, [], None, 0
    try:
        async with session.post(url, json=payload) as response:
            if response.status != 200:
                stats["errors"] += 1
                return
            async for chunk_bytes in response.content:
                chunk_bytes = chunk_bytes.strip()
                if not chunk_bytes:
                    continue
                chunk = chunk_bytes.decode("utf-8")
                if chunk.startswith(":"):
                    continue
                chunk = chunk[len("data: "):] if chunk.startswith("data: ") else chunk
                if chunk == "[DONE]":
                    continue
                data = json.loads(chunk)
                now = time.perf_counter()
                if choices := data.get("choices"):
                    content = choices[0]["delta"].get("content")
                    if content:
                        if ttft == 0.0:
                            ttft = now - st
                        else:
                            itl.append(now - last)
                        last = now
                        events += 1
                elif usage := data.get("usage"):
                    tokens = usage.get("completion_tokens")
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        stats["errors"] += 1
        return
    stats["ok"] += 1
    stats["events"] += events
    stats["tokens"] += tokens if tokens is not None else events
    stats["ttft"].append(ttft)


async def main():
    url, body_path, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    payload = json.load(open(body_path))
    stats = {"ok": 0, "errors": 0, "events": 0, "tokens": 0, "ttft": [], "sent": 0, "late_ms": []}
    timeout = aiohttp.ClientTimeout(total=6 * 60 * 60)
    connector = aiohttp.TCPConnector(limit=0)  # as many connections as requests in flight
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        tasks = []
        t0 = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            stats["late_ms"].append(max(0.0, time.perf_counter() - due) * 1000)
            tasks.append(asyncio.create_task(one(session, url, payload, stats)))
            stats["sent"] += 1
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    late = sorted(stats["late_ms"])
    ttft = sorted(stats["ttft"])
    print(json.dumps({
        "requests": stats["sent"], "ok": stats["ok"], "errors": stats["errors"],
        "events": stats["events"], "tokens": stats["tokens"], "elapsed_s": elapsed,
        "ttft_p50_ms": ttft[len(ttft) // 2] * 1000 if ttft else None,
        "send_lag_p99_ms": late[int(len(late) * 0.99)] if late else None,
    }))


asyncio.run(main())
