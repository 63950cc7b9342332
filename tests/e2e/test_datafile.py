"""Data files as a new user brings them: a messy CSV (BOM, CRLF, quoted fields
with commas, quotes and line breaks, a header typed with spaces, a blank last
line) on stdin and a pretty-printed JSON array are sent exactly as the file
says; a bad file exits 2 naming FILE:LINE:COLUMN and what to do, before any
request is sent."""
import csv
import io
import json

from capture import Capture


def echo(req):
    return 200, {"outputs": [1]}


def write_bytes(ctx, name, data):
    p = ctx.path(name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def test_csv_on_stdin_and_a_json_array_send_exactly_the_file(ctx):
    rows = [{"text": t, "lang": lang} for t, lang in [
        ("plain", "en"), ("with, comma", "fr"), ('say "hi"', ""), ("two\nlines", "de"),
        ("crlf\r\ninside", "en"), ("  spaced  ", " x "), ("ünïcödé 日本 🚀", "ja")]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["text", " lang"])  # typed with a space: the column is "lang"
    w.writerows([[r["text"], r["lang"]] for r in rows])
    data = b"\xef\xbb\xbf" + buf.getvalue().encode() + b"\r\n"
    path = write_bytes(ctx, "messy.data", data)
    tmpl = '{"t": {{item.text}}, "l": {{item.lang}}, "row": {{item}}}'
    with Capture(echo) as cap:
        with open(path, "rb") as f:
            r = ctx.run("run", cap.base, "--inputs", "-", "--inputs-format", "csv",
                        "--template-json", tmpl, "-n", str(len(rows)), "-c", "1", stdin=f)
        assert r.rc == 0, r
        got = [q.json() for q in cap.requests]
        assert got == [{"t": x["text"], "l": x["lang"], "row": x} for x in rows], got
        # Without the format, stdin is JSON Lines, and the message says what to give.
        with open(path, "rb") as f:
            r = ctx.run("run", cap.base, "--inputs", "-", "--template-json", tmpl, "-n", "1",
                        stdin=f)
        assert r.rc == 2 and "stdin:1:1: not a JSON value" in r.err, r
        assert "--inputs-format csv" in r.err, r

        # A pretty-printed JSON array (as json.dump(indent=2) writes it): its elements.
        cap.requests.clear()
        items = [{"prompt": "a", "n": 1}, {"prompt": "b\nc", "n": 2.5}, "plain", [1, 2]]
        arr = ctx.write("items.jsonl", json.dumps(items, indent=2, ensure_ascii=False))
        r = ctx.run("run", cap.base, "--inputs", arr, "--template-json", '{"x": {{item}}}',
                    "-n", "4", "-c", "1")
        assert r.rc == 0, r
        assert [q.json()["x"] for q in cap.requests] == items


def test_bad_files_name_line_and_column_and_send_nothing(ctx):
    long_bad = ('{"m": "ok"}\n{"messages": [{"role": "user", "content": "' + "x" * 3000 + '"'
                + "yyyy" + '"}]}\n')
    ragged = ctx.write("ragged.csv", 'text,lang\r\nhi,en\r\n"a, b",fr,extra\r\n')
    cases = [
        (ctx.write("long.jsonl", long_bad), ["--api", "openai-chat"],
         "long.jsonl:2:3045: not a JSON value: '}' expected near 'yyyy', at: "
         "...xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"yyyy\"}]}"),
        (write_bytes(ctx, "latin1.csv", "text\nok\ncaf\u00e9\n".encode("latin-1")),
         ["--template-json", "{{item.text}}"],
         "latin1.csv:3:4: column \"text\" is not UTF-8 text (byte 0xE9) (the file must be "
         "UTF-8: iconv -f cp1252 -t utf-8 converts a Windows (Excel) export)"),
        (ragged, ["--template-json", "{{item.text}}"],
         "ragged.csv:3:11: 3 fields, but the header names 2 (a field with a comma in it is "
         "quoted: \"a, b\")"),
        (ctx.write("semi.csv", "text;lang\nhi;en\n"), ["--template-json", "{{item.text}}"],
         "semi.csv:2: the item has no field \"text\" (the header's columns: \"text;lang\"; CSV "
         "columns are separated by commas, not ';')"),
        (ctx.write("p.csv", "prompt\nhi\n"), ["--api", "openai-embeddings"],
         "p.csv:2: the item is an object; openai-embeddings takes strings or arrays (a CSV row "
         "is an object of its columns: to send column \"prompt\" as the item, give "
         "--template-json '{\"model\":{{model}},\"input\":{{items.prompt}}}')"),
    ]
    with Capture(echo) as cap:
        for path, opts, want in cases:
            r = ctx.run("run", cap.base, "--inputs", path, *opts, "-n", "2")
            assert r.rc == 2 and r.err == f"tailgate run: --inputs: {ctx.path('')}{want}\n", r
        assert cap.requests == []
        # the template the last message gives works as given
        r = ctx.run("run", cap.base, "--inputs", ctx.path("p.csv"), "--api", "openai-embeddings",
                    "--template-json", '{"model":{{model}},"input":{{items.prompt}}}', "-n", "1",
                    "--validate", "status")
        assert r.rc == 0 and cap.requests[0].json()["input"] == ["hi"], r


def test_inputs_format_option(ctx):
    """--inputs-format needs --inputs and one of its names; json refuses a
    file that is not one array, saying what it takes; the config records it."""
    r = ctx.run("run", "http://127.0.0.1:9/", "--inputs-format", "csv", "-n", "1")
    assert r.rc == 2 and "--inputs-format says how to read --inputs FILE: give --inputs too" \
        in r.err, r
    r = ctx.run("run", "http://127.0.0.1:9/", "--inputs", "-", "--inputs-format", "tsv")
    assert r.rc == 2 and "--inputs-format tsv: not a known value; use auto, jsonl, csv or json" \
        in r.err, r
    lines = ctx.write("l.txt", '{"a": 1}\n')
    r = ctx.run("run", "http://127.0.0.1:9/", "--inputs", lines, "--inputs-format", "json")
    assert r.rc == 2 and r.err.startswith(
        f"tailgate run: --inputs: {lines}:1:1: '[' expected (--inputs-format json takes one JSON "
        "array of items)"), r
    with Capture(echo) as cap:
        out = ctx.path("r.json")
        arr = ctx.write("a.txt", '["x", "y"]')
        r = ctx.run("run", cap.base, "--inputs", arr, "--inputs-format", "json", "-n", "2",
                    "-c", "1", "--out", out)
        assert r.rc == 0 and [q.json()["inputs"] for q in cap.requests] == [["x"], ["y"]], r
        with open(out) as f:
            assert json.load(f)["config"]["inputs_format"] == "json"
