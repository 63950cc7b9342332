"""Any inference API end to end: --api presets against the stub and against a
capture server that records the exact bytes sent, --template and data files
(JSON Lines, CSV, stdin), --outputs response paths, --validate json, invalid
responses with their reasons, and ab's verification through the response
path (with --verify-tolerance)."""
import json
import os

import tg
from capture import Capture, preset_answer, respond  # noqa: F401

PRESETS = ["tailgate", "openai-completions", "openai-chat", "openai-embeddings", "kserve-v2",
           "tgi"]
BATCHING = {"tailgate", "openai-embeddings", "kserve-v2"}
PATHS = {"tailgate": "/v1/infer", "openai-completions": "/v1/completions",
         "openai-chat": "/v1/chat/completions", "openai-embeddings": "/v1/embeddings",
         "kserve-v2": "/v2/models/m1/infer", "tgi": "/generate"}


def test_every_preset_against_the_stub(ctx):
    """Each preset against the stub speaking only that preset, and against
    the default stub (every preset at once, at its own path)."""
    everything = ctx.stub()
    for api in PRESETS:
        stub = ctx.stub("--api", api)
        for base in (stub.base, everything.base):
            out, log = ctx.path(f"{api}.json"), ctx.path(f"{api}.csv")
            batch = "4" if api in BATCHING else "1"
            r = ctx.run("run", base, "--api", api, "--model", "m1", "-n", "40", "-c", "4",
                        "--batch", batch, "--out", out, "--log", log)
            assert r.rc == 0, (api, r)
            res = tg.read_json(out)
            want_requests = 10 if api in BATCHING else 40
            assert res["requests"]["ok"] == want_requests, (api, res["requests"])
            assert res["items"]["ok"] == 40 and res["requests"]["errors"] == 0, (api, res)
            assert res["config"]["api"] == api and res["config"]["validate"] == "outputs"
            assert len(tg.read_csv(log)) == want_requests


# The documented bodies (README "Your API", --api help), for these items.
ITEMS = ['"hello"', '"a \\"quoted\\" text"', '"third"']


STREAMING = {"openai-completions", "openai-chat", "tgi"}
USAGE = ',"stream":true,"stream_options":{"include_usage":true}}'


def documented(api, items, rid, stream=False):
    """The body the preset documents for items (JSON texts) and request id:
    the streamed one (the default of the APIs that stream) or the whole-answer
    one (--no-stream)."""
    one = items[0]
    arr = "[" + ",".join(items) + "]"
    if stream:
        return {
            "openai-completions": '{"model":"m1","prompt":%s,"max_tokens":16' % one + USAGE,
            "openai-chat": ('{"model":"m1","messages":[{"role":"user","content":%s}],'
                            '"max_tokens":16' % one + USAGE),
            "tgi": '{"inputs":%s,"parameters":{"max_new_tokens":16,"details":true}}' % one,
        }[api]
    return {
        "tailgate": '{"model":"m1","inputs":%s}' % arr,
        "openai-completions": '{"model":"m1","prompt":%s,"max_tokens":16,"stream":false}' % one,
        "openai-chat": ('{"model":"m1","messages":[{"role":"user","content":%s}],'
                        '"max_tokens":16,"stream":false}' % one),
        "openai-embeddings": '{"model":"m1","input":%s}' % arr,
        "kserve-v2": ('{"id":"%d","inputs":[{"name":"input","shape":[%d],"datatype":"BYTES",'
                      '"data":%s}]}' % (rid, len(items), arr)),
        "tgi": '{"inputs":%s,"parameters":{"max_new_tokens":16}}' % one,
    }[api]


def check_bytes(ctx, api, batch, stream=False):
    data = ctx.write("items.jsonl", "\n".join(ITEMS) + "\n")
    with Capture(preset_answer(api)) as cap:
        out = ctx.path("o.json")
        opts = [] if stream or api not in STREAMING else ["--no-stream"]
        r = ctx.run("run", cap.base, "--api", api, "--model", "m1", "--inputs", data, "-n", "6",
                    "-c", "1", "--batch", str(batch), "--out", out, *opts)
        assert r.rc == 0, (api, batch, r)
        res = tg.read_json(out)
        assert res["requests"]["ok"] == 6 // batch, (api, res["requests"])
        reqs = cap.requests
    assert len(reqs) == 6 // batch, (api, len(reqs))
    for k, req in enumerate(reqs):
        items = [ITEMS[(k * batch + i) % len(ITEMS)] for i in range(batch)]
        want = documented(api, items, k + 1, stream)
        path = "/generate_stream" if stream and api == "tgi" else PATHS[api]
        assert req.method == "POST" and req.path == path, (api, req.head)
        assert req.body == want.encode(), (api, batch, req.body, want)
        assert int(req.headers["content-length"]) == len(req.body), req.head
        assert req.headers["content-type"] == "application/json"
        json.loads(req.body)  # valid JSON
        assert b"{{" not in req.raw  # every placeholder filled


def test_bytes_sent_tailgate(ctx):
    check_bytes(ctx, "tailgate", 1)
    check_bytes(ctx, "tailgate", 3)


def test_bytes_sent_openai_completions(ctx):
    check_bytes(ctx, "openai-completions", 1)
    check_bytes(ctx, "openai-completions", 1, stream=True)


def test_bytes_sent_openai_chat(ctx):
    check_bytes(ctx, "openai-chat", 1)
    check_bytes(ctx, "openai-chat", 1, stream=True)


def test_bytes_sent_openai_embeddings(ctx):
    check_bytes(ctx, "openai-embeddings", 1)
    check_bytes(ctx, "openai-embeddings", 3)


def test_bytes_sent_kserve_v2(ctx):
    check_bytes(ctx, "kserve-v2", 1)
    check_bytes(ctx, "kserve-v2", 3)


def test_bytes_sent_tgi(ctx):
    check_bytes(ctx, "tgi", 1)
    check_bytes(ctx, "tgi", 1, stream=True)


def test_object_items_and_one_per_request(ctx):
    """Object items take the presets' object bodies; presets that carry one
    input per request refuse --batch, naming it, before sending anything."""
    good = ctx.write("good.jsonl", '{"prompt": "p", "max_tokens": 3}\n"s"\n')
    data = ctx.write("o.jsonl", '{"prompt": "p", "max_tokens": 3}\n'
                                '{"messages": [{"role": "system", "content": "x"}]}\n')
    with Capture(preset_answer("openai-completions")) as cap:
        r = ctx.run("run", cap.base, "--api", "openai-completions", "--model", "m1", "--inputs",
                    good, "-n", "1", "-c", "1", "--no-stream")
        assert r.rc == 0, r
        assert cap.requests[0].body == (b'{"model":"m1","prompt":"p","max_tokens":3,'
                                        b'"stream":false}'), cap.requests[0].body
        r = ctx.run("run", cap.base, "--api", "openai-completions", "--model", "m1", "--inputs",
                    good, "-n", "1", "-c", "1")
        assert r.rc == 0, r
        assert cap.requests[1].body == (b'{"model":"m1","prompt":"p","max_tokens":3,'
                                        b'"stream":true,"stream_options":{"include_usage":true}}'
                                        ), cap.requests[1].body
        # the second item has no prompt: FILE:LINE and the field, nothing sent
        r = ctx.run("run", cap.base, "--api", "openai-completions", "--inputs", data, "-n", "1")
        assert r.rc == 2 and "o.jsonl:2: the item has no field \"prompt\"" in r.err, r
        for api in ("openai-chat", "openai-completions", "tgi"):
            r = ctx.run("run", cap.base, "--api", api, "--batch", "4", "-n", "4")
            assert r.rc == 2, r
            assert f"--batch 4: {api} sends one input per request: give --batch 1" in r.err, r
        assert len(cap.requests) == 2


def test_template_errors_exit_2_with_position(ctx):
    data = ctx.write("d.jsonl", '{"text": "a"}\n{"text": "b"}\n{"txt": "c"}\n')
    with Capture(preset_answer("tailgate")) as cap:
        cases = [
            ('{"inputs": {{itemz}}}', "t.json:1:12: unknown placeholder {{itemz}}"),
            ('{\n  "inputs": "{{items}}"\n}', "t.json:2:14: a placeholder inside a string"),
            ('{"inputs": [{{items}}}', "t.json:1:22: expected ',' or ']'"),
            ('{"inputs": {{items}},}', "t.json:1:22:"),
            ('{"inputs": {{items.text}}}', "d.jsonl:3: the item has no field \"text\""),
            ('{"n": {{batch}}}', "--inputs: " + data + ": the template sends none of its items"),
            ('\ufeff{"inputs": {{itemz}}}', "t.json:1:12: unknown placeholder {{itemz}}"),
        ]
        for text, want in cases:
            t = ctx.write("t.json", text)
            r = ctx.run("run", cap.base, "--template", t, "--inputs", data, "-n", "3")
            assert r.rc == 2 and want in r.err, (text, r)
        r = ctx.run("run", cap.base, "--template-json", '{"x": "{{seq}}"}', "-n", "1")
        assert r.rc == 2 and "--template-json" in r.err and "1:8: a placeholder inside" in r.err, r
        r = ctx.run("run", cap.base, "--template", ctx.path("missing.json"), "-n", "1")
        assert r.rc == 3 and "--template: cannot read" in r.err, r
        r = ctx.run("run", cap.base, "--template", ctx.path(""), "-n", "1")
        assert r.rc == 3 and "cannot read" in r.err and "Is a directory" in r.err, r
        r = ctx.run("run", cap.base, "-H", "x-id: {{item}}", "-n", "1")
        assert r.rc == 2 and "--header 'x-id: {{item}}': 1:7: {{item}} cannot go into a URL path" \
            in r.err, r
        r = ctx.run("run", cap.base, "--template-json", "{}", "--body", data)
        assert r.rc == 2 and "--template-json" in r.err and "--body" in r.err, r
        assert cap.requests == []  # nothing was sent


def test_template_data_files_csv_jsonl_stdin(ctx):
    """One custom template, fed from JSON Lines, CSV and stdin; {{request_id}}
    in a header and the path is the CSV log's request_id."""
    tmpl = ctx.write("t.json", '{\n  "model": {{model}},\n  "prompt": {{item.text}},\n'
                               '  "n": {{item.n ?? 8}},\n  "seq": {{seq}}\n}\n')
    jsonl = ctx.write("d.jsonl", '{"text": "a", "n": 3}\n{"text": "b"}\n')
    csvf = ctx.write("d.csv", 'text,lang\n"hello, world",en\nbonjour,fr\n')

    def answer(req):
        b = req.json()
        return 200, {"outputs": b["inputs"]} if "inputs" in b else {"completion": "x"}

    with Capture(answer) as cap:
        log = ctx.path("l.csv")
        r = ctx.run("run", cap.base + "/score/{{model}}?rid={{request_id}}", "--template", tmpl,
                    "--inputs", jsonl, "--model", "m 1", "-n", "4", "-c", "1", "--outputs", "=",
                    "-H", "x-request-id: {{request_id}}", "--log", log)
        assert r.rc == 0, r
        bodies = [q.body for q in cap.requests]
        assert bodies == [b'{"model":"m 1","prompt":"a","n":3,"seq":0}',
                          b'{"model":"m 1","prompt":"b","n":8,"seq":1}',
                          b'{"model":"m 1","prompt":"a","n":3,"seq":2}',
                          b'{"model":"m 1","prompt":"b","n":8,"seq":3}'], bodies
        ids = [row["request_id"] for row in tg.read_csv(log)]
        assert [q.headers["x-request-id"] for q in cap.requests] == ids == ["1", "2", "3", "4"]
        assert [q.path for q in cap.requests] == [f"/score/m%201?rid={i}" for i in ids]
        # CSV: objects of string fields; a number default does not fit a string field
        cap.requests.clear()
        t2 = ctx.write("t2.json", '{"inputs": {{items.text}}, "lang": {{items.lang}}}')
        r = ctx.run("run", cap.base, "--template", t2, "--inputs", csvf, "-n", "2", "-c", "1",
                    "--batch", "2")
        assert r.rc == 0, r
        assert cap.requests[0].body == b'{"inputs":["hello, world","bonjour"],"lang":["en","fr"]}'
        csv2 = ctx.write("n.csv", "text,n\nhi,3\n")
        r = ctx.run("run", cap.base, "--template", tmpl, "--inputs", csv2, "-n", "2")
        assert r.rc == 2 and 'n.csv:2: field "n" is "3" (a string)' in r.err, r
        # stdin
        cap.requests.clear()
        with open(jsonl) as f:
            r = ctx.run("run", cap.base, "--template", tmpl, "--inputs", "-", "-n", "2", "-c", "1",
                        "--outputs", "=", "--model", "m 1", stdin=f)
        assert r.rc == 0, r
        assert [q.body for q in cap.requests] == bodies[:2], [q.body for q in cap.requests]
        with open(ctx.write("bad.jsonl", '{"text": "a"}\n{"text": \n')) as f:
            r = ctx.run("run", cap.base, "--template", tmpl, "--inputs", "-", "-n", "2", stdin=f)
        assert r.rc == 2 and "stdin:2:" in r.err, r


def test_fastapi_predictions_with_outputs_path(ctx):
    """A FastAPI-like app answering {"predictions": [...]}: --outputs
    /predictions validates it; without it every answer is an invalid_response
    whose reason is counted and shown once, with the body."""
    def answer(req):
        inputs = req.json()["inputs"]
        return 200, {"predictions": [{"label": "pos", "score": 0.5} for _ in inputs]}

    with Capture(answer) as cap:
        out = ctx.path("o.json")
        r = ctx.run("run", cap.base + "/predict", "--outputs", "/predictions", "-n", "20",
                    "--batch", "4", "-c", "2", "--out", out)
        assert r.rc == 0, r
        res = tg.read_json(out)
        assert res["requests"]["ok"] == 5 and res["config"]["outputs"] == "/predictions", res
        assert "invalid_by_reason" not in res["requests"]
        r = ctx.run("run", cap.base + "/predict", "-n", "20", "--batch", "4", "--out", out,
                    "--sla", "error_rate<1%")
        assert r.rc == 1, r
        res = tg.read_json(out)
        assert res["requests"]["by_error"] == {"invalid_response": 5}, res["requests"]
        assert res["requests"]["invalid_by_reason"] == {"missing": 5}, res["requests"]
        assert "invalid_response 5 (missing 5)" in r.out, r.out
        assert r.out.count("first invalid_response") == 1, r.out
        assert 'no "outputs" array' in r.out and '{"predictions":' in r.out, r.out
        # one output short: "count"
        r = ctx.run("run", cap.base + "/predict", "-n", "4", "--batch", "4", "--out", out,
                    "--outputs", "/predictions/0")
        res = tg.read_json(out)
        assert res["requests"]["invalid_by_reason"] == {"not_array": 1}, res["requests"]


def test_validate_json_and_reasons(ctx):
    def answer(req):
        if req.path == "/text":
            return 200, "not json"
        return 200, {"anything": True}

    with Capture(answer) as cap:
        out = ctx.path("o.json")
        r = ctx.run("run", cap.base + "/json", "--validate", "json", "-n", "5", "--out", out)
        assert r.rc == 0 and tg.read_json(out)["requests"]["ok"] == 5, r
        r = ctx.run("run", cap.base + "/text", "--validate", "json", "-n", "5", "--out", out)
        res = tg.read_json(out)
        assert res["requests"]["invalid_by_reason"] == {"not_json": 5}, res["requests"]
        assert "not JSON" in r.out or "not json" in r.out, r.out
        # a fixed body can be checked for JSON too
        body = ctx.write("b.json", "{}")
        r = ctx.run("run", cap.base + "/json", "--body", body, "--validate", "json", "-n", "3",
                    "--out", out)
        assert r.rc == 0 and tg.read_json(out)["requests"]["ok"] == 3, r


def test_invalid_reason_and_hint_follow_the_api(ctx):
    """A streamed answer whose event is not JSON counts as not_json, with a
    hint about events; a chat answer without its output names --api's path,
    not the tailgate API's "outputs" array."""
    def answer(req):
        if req.json().get("stream"):
            return 200, "data: {not json\n\ndata: [DONE]\n\n"
        return 200, {"choices": []}

    with Capture(answer) as cap:
        out = ctx.path("o.json")
        r = ctx.run("run", cap.base, "--api", "openai-completions", "-n", "3", "--out", out)
        assert r.rc == 1, r
        assert tg.read_json(out)["requests"]["invalid_by_reason"] == {"not_json": 3}, r
        assert "hint: every data: event of a stream must be JSON" in r.out, r.out
        r = ctx.run("run", cap.base, "--api", "openai-chat", "--no-stream", "-n", "3", "--out", out)
        assert tg.read_json(out)["requests"]["invalid_by_reason"] == {"count": 3}, r
        assert "one output per input where --api openai-chat" in r.out, r.out
        assert '"outputs"' not in r.out, r.out


def test_404_on_a_url_without_path_says_to_give_one(ctx):
    """Items sent to a URL with no path go to /; a 404 there says to give
    the API's path or --api (which supplies it)."""
    stub = ctx.stub()
    r = ctx.run("run", stub.base, "-n", "2")
    assert r.rc == 1, r
    assert "hint: the URL has no path, so requests went to /" in r.out, r.out
    r = ctx.run("run", stub.base + "/nope", "-n", "2")
    assert r.rc == 1 and "the URL has no path" not in r.out, r


def test_api_help_and_unknown(ctx):
    r = ctx.run("run", "--api", "help")
    assert r.rc == 0, r
    for api in PRESETS:
        assert api in r.out
    assert '{"model":{{model}},"messages":[{"role":"user","content":{{item}}}]' in r.out, r.out
    assert "=/generated_text" in r.out and "/outputs/0/data@shape" in r.out
    r = ctx.run("ab", "--api", "help")
    assert r.rc == 0 and "openai-embeddings" in r.out, r
    r = ctx.run("run", "http://127.0.0.1:9/", "--api", "openai")
    assert r.rc == 2 and "--api openai: unknown API" in r.err and "openai-chat" in r.err, r
    r = ctx.run("run", "http://127.0.0.1:9/", "--outputs", "/a/*/b/*")
    assert r.rc == 2 and "--outputs" in r.err, r


def test_ab_verifies_through_the_response_path(ctx):
    """kserve-v2 (a tensor split by its shape) and openai-embeddings
    (/data/*/embedding) against the stub: batched == single, and ab passes."""
    stub = ctx.stub()
    for api in ("kserve-v2", "openai-embeddings"):
        d = ctx.path(api)
        r = ctx.run("ab", stub.base, "--api", api, "--rate", "200", "--requests", "200",
                    "--out-dir", d)
        assert r.rc == 0, (api, r)
        assert "verified: 5 inputs give the same outputs alone and in one batch" in r.out, r.out
        opt = tg.read_json(os.path.join(d, "optimized.json"))
        assert opt["config"]["api"] == api and opt["config"]["batch"] == 10, opt["config"]
        assert opt["requests"]["ok"] == 20 and opt["items"]["ok"] == 200, opt["requests"]

    # A server whose batched tensor comes back in reverse: caught through the path.
    def reversed_kserve(req):
        st, body = preset_answer("kserve-v2", )(req)
        n = body["outputs"][0]["shape"][0]
        data = body["outputs"][0]["data"]
        rows = [data[2 * i:2 * i + 2] for i in range(n)][::-1]
        body["outputs"][0]["data"] = [v for row in rows for v in row]
        return st, body

    items = ctx.write("i.jsonl", '"a"\n"bb"\n"ccc"\n"dddd"\n"eeeee"\n')
    with Capture(reversed_kserve) as cap:
        r = ctx.run("ab", cap.base, "--api", "kserve-v2", "--inputs", items, "--rate", "50",
                    "--requests", "20", "--out-dir", ctx.path("x"))
        assert r.rc == 4, r
        assert "input 0" in r.err and "alone:    [1, 0.25]" in r.err, r.err
        assert "in batch: [5, 0.25]" in r.err and "at /0 of the output" in r.err, r.err


def test_ab_one_input_per_request_changes_only_connections(ctx):
    stub = ctx.stub()
    d = ctx.path("o")
    r = ctx.run("ab", stub.base, "--api", "openai-chat", "--rate", "100", "--requests", "50",
                "--out-dir", d)
    assert r.rc == 0, r
    assert "openai-chat sends one input per request" in r.err, r.err
    assert "verified: 5 inputs each answered with its output at /choices/*/message/content" \
        in r.out, r.out
    opt = tg.read_json(os.path.join(d, "optimized.json"))
    assert opt["config"]["batch"] == 1 and opt["config"]["connections"] == 0, opt["config"]
    # an explicit batched side is refused with the reason
    d2 = ctx.path("o2")
    r = ctx.run("ab", stub.base, "--api", "tgi", "--optimized", "--batch 8", "--requests", "10",
                "--out-dir", d2)
    assert r.rc == 2 and "tgi sends one input per request" in r.err, r
    assert not os.path.exists(os.path.join(d2, "baseline.json"))  # refused before either run


def test_verify_tolerance(ctx):
    """A half-precision model: the same input scores 0.76 alone and 0.77 in a
    batch. Exact verification fails, naming the field and printing numbers as
    received; --verify-tolerance accepts it; labels still compare exactly."""
    flip = {"label": False}

    def answer(req):
        inputs = req.json()["inputs"]
        score = 0.76 if len(inputs) == 1 else 0.77
        label = "neg" if flip["label"] and len(inputs) > 1 else "pos"
        return 200, {"predictions": [{"label": label, "score": score} for _ in inputs]}

    with Capture(answer) as cap:
        common = ["ab", cap.base + "/predict", "--outputs", "/predictions", "--rate", "100",
                  "--requests", "20", "--out-dir", ctx.path("o")]
        r = ctx.run(*common)
        assert r.rc == 4, r
        assert "at /score of the output: 0.76 alone, 0.77 in the batch" in r.err, r.err
        assert '{"label": "pos", "score": 0.76}' in r.err, r.err  # as received
        assert "0.7600000" not in r.err and "--verify-tolerance" in r.err, r.err
        r = ctx.run(*common, "--verify-tolerance", "abs=0.02")
        assert r.rc == 0, r
        assert "(numbers within abs=0.02, rel=0)" in r.out, r.out
        r = ctx.run(*common, "--verify-tolerance", "rel=0.01")  # 0.01 / 0.77 > 1%
        assert r.rc == 4, r
        r = ctx.run(*common, "--verify-tolerance", "abs=0.001,rel=0.02")
        assert r.rc == 0, r
        flip["label"] = True
        r = ctx.run(*common, "--verify-tolerance", "abs=0.02")
        assert r.rc == 4 and 'at /label of the output: "pos" alone, "neg" in the batch' in r.err, r
    r = ctx.run("ab", "http://127.0.0.1:9/", "--verify-tolerance", "abs=-1")
    assert r.rc == 2 and "--verify-tolerance" in r.err, r


def test_ab_verifies_no_larger_batch_than_the_runs_send(ctx):
    """A server that caps its batch at 3 (as Triton's max_batch_size does):
    with --optimized "--batch 3" verification compares a batch of 3, not 5,
    and with neither side batching it sends every sample alone."""
    seen = []

    def answer(req):
        inputs = req.json()["inputs"]
        seen.append(len(inputs))
        if len(inputs) > 3:
            return 400, {"error": "batch-size must be <= 3"}
        return 200, {"outputs": inputs}

    with Capture(answer) as cap:
        common = ["ab", cap.base + "/v1/infer", "--rate", "100", "--requests", "12"]
        r = ctx.run(*common, "--optimized", "--batch 3 --linger 20ms", "--out-dir", ctx.path("a"))
        assert r.rc == 0, r
        assert "verified: 3 inputs give the same outputs alone and in one batch" in r.out, r.out
        assert max(seen) == 3, seen
        del seen[:]
        r = ctx.run(*common, "--optimized", "--connections 0", "--out-dir", ctx.path("b"))
        assert r.rc == 0, r
        assert "verified: 5 inputs each answered with its output at /outputs (neither run " \
            "batches" in r.out, r.out
        assert max(seen) == 1, seen


def test_ab_reads_stdin_inputs_once(ctx):
    """--inputs - in ab: read once, the same items for verification and both runs."""
    stub = ctx.stub()
    data = ctx.write("t.jsonl", "".join(f'"text {i}"\n' for i in range(30)))
    d = ctx.path("o")
    with open(data) as f:
        r = ctx.run("ab", stub.base, "--api", "openai-embeddings", "--inputs", "-", "--rate", "200",
                    "--requests", "60", "--out-dir", d, stdin=f)
    assert r.rc == 0, r
    assert "verified: 5 inputs give the same outputs" in r.out, r.out
    cmp = tg.read_json(os.path.join(d, "comparison.json"))
    assert cmp["inputs_identical"] is True, cmp
    for side in ("baseline", "optimized"):
        res = tg.read_json(os.path.join(d, f"{side}.json"))
        assert res["items"]["ok"] == 60 and res["config"]["inputs"] == "-", res["config"]
