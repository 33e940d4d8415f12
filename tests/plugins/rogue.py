#!/usr/bin/env python3
"""rogue.py: misbehaving TGO plugins for the host's integration tests, one per MODE.

Usage:  TGO_SOCKET_PATH=/path/to.sock python3 rogue.py MODE [ARG]

Each phase is announced on stderr as "[rogue MODE] ...". Unless the table says otherwise, a mode
registers as id "rogue.MODE" with one visitor_panel "Rogue", and after its misbehaviour keeps
serving: `shutdown` is answered {"success":true} and the process exits 0; `ping` gets {"pong":true}
(in the "every request" modes, ping is misbehaved on too; shutdown never is, but for never_answer).

MODE                      behaviour                                             ARG
good                      render -> text "ok from <id>", event -> noop          id (rogue.good)
duplicate                 same as good (tests start two with one id)            id (rogue.duplicate)
echo_ids                  every request -> result {"echo": method, "id": id}
reverse                   collects ARG requests, answers them last-first        count (3)
stringify_ids             good answers, but the id is sent as a string "5"
slow                      sleeps ARG seconds before each answer                 seconds (1)
never_answer              registers, reads forever, answers nothing
error_reply               every request -> error -32003 "Order not found"
both                      every request -> both "result" and "error"
wrong_ids                 answers with id+1000, then an unsolicited id 424242
oversized                 registers, then announces a 0xFFFFFFFF-byte frame
oversized_first           announces a 0xFFFFFFFF-byte frame instead of registering
garbage                   every request -> frame `this is not json{`
invalid_utf8              every request -> frame starting \\xff\\xfe
non_jsonrpc               every request -> frames [1,2,3], 42, {"hello":"world"}
half_frame                first request -> announces 100 bytes, sends 10, closes
crash                     first request -> traceback on stderr, exit code 3
no_register               connects and sends nothing                            seconds (60)
not_register_first        sends ping as its first frame, prints REPLY, exits
register_missing_title    faulty register, prints REPLY <json> or REPLY EOF, exits 0
register_missing_type       "
register_null_params        "
register_no_capabilities    "   (capabilities [])
register_bad_capabilities   "   (capabilities is a string)
register_empty            registers with params {} (no id, name, version, capabilities), then
                          serves like good under the id the host gave it
deep                      render -> a result nested ARG groups deep             levels (100000)
deep_ui                   render -> valid JSON-UI nested 25 groups (75 levels)
big_table                 render -> a table of ARG rows x 4 columns             rows (200000)
flood                     sends ARG "log" notifications, prints FLOOD DONE      count (200000)
escapes                   ESC/CSI/OSC/DCS/BEL/C1/bidi in every string it sends: register
                          (id, name, every capability field, tool defs, an unknown capability
                          type), every template, every action, tool results, error messages
                          (ping and unknown methods), a notification, a frame with raw controls
answer_twice              answers every request twice with the same id (second one differs)
unknown_template          render -> template "hologram", event -> action "teleport"
plugin_request            sends a request (host/whoami) and a notification, then good
bad_ui                    render -> tables missing columns / a column key, an unknown field
bad_toast                 render -> text + button "Save"; event -> show_toast with data.msg
                          (not message): an empty toast, a missing and an unknown field
file_text                 render -> text: the content of file ARG, read once at start  path
file_title                as file_text, and its panel's title is that content too  path
"""
import json
import os
import socket
import struct
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else ""
ARG = sys.argv[2] if len(sys.argv) > 2 else None
# CSI clear, OSC title (BEL-terminated), 8-bit CSI and OSC (C1), DCS (ST-terminated), DEL, RLO.
ESC = "\x1b[2J\x1b]0;pwned\x07\x9b31m\x9d8;;x\x9c\x1bP+q\x1b\\\x7f\u202e"


def say(*parts):
    print("[rogue %s]" % MODE, *parts, file=sys.stderr, flush=True)


# ---- wire helpers ----

def connect():
    path = os.environ.get("TGO_SOCKET_PATH")
    if not path:
        say("TGO_SOCKET_PATH is required")
        sys.exit(2)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    say("connected to", path)
    return sock


def send_frame(sock, payload):
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def send(sock, obj):
    send_frame(sock, json.dumps(obj).encode("utf-8"))


def recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(min(n - len(data), 1 << 16))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def recv(sock):
    """The next message (parsed JSON), or None on EOF."""
    header = recv_exact(sock, 4)
    if header is None:
        return None
    body = recv_exact(sock, struct.unpack(">I", header)[0])
    return None if body is None else json.loads(body.decode("utf-8"))


def register(sock, plugin_id=None, capabilities=None, **params):
    params.setdefault("name", "rogue-" + MODE)
    params["id"] = plugin_id or "rogue." + MODE
    params["capabilities"] = capabilities or [{"type": "visitor_panel", "title": "Rogue"}]
    send(sock, {"jsonrpc": "2.0", "id": 1, "method": "register", "params": params})
    say("register sent")
    answer = recv(sock)
    say("REGISTERED", json.dumps(answer))
    return answer


def reply(sock, req, result, req_id=None):
    send(sock, {"jsonrpc": "2.0", "id": req["id"] if req_id is None else req_id,
                "result": result})


def text(s):
    return {"template": "text", "data": {"text": s}}


def good_result(req, plugin_id):
    """What a well-behaved plugin returns, or None for an unknown method."""
    method = req["method"]
    if method == "ping":
        return {"pong": True}
    if method.endswith("/render"):
        return text("ok from " + plugin_id)
    if method.endswith("/event"):
        return {"action": "noop", "data": {}}
    return None


def answer_good(sock, req, plugin_id, render=None, event=None):
    method = req["method"]
    if render is not None and method.endswith("/render"):
        return reply(sock, req, render)
    if event is not None and method.endswith("/event"):
        return reply(sock, req, event)
    result = good_result(req, plugin_id)
    if result is None:
        error = {"code": -32601, "message": "Method not found: " + method}
        return send(sock, {"jsonrpc": "2.0", "id": req["id"], "error": error})
    reply(sock, req, result)


def serve(sock, respond):
    """Reads until EOF; answers shutdown itself and hands every other request to respond."""
    while True:
        msg = recv(sock)
        if msg is None:
            say("EOF, exiting")
            sys.exit(0)
        if "method" not in msg:
            say("got a non-request:", json.dumps(msg)[:200])
            continue
        if msg.get("id") is None:
            say("got a notification:", msg["method"])
            continue
        say("request", msg["id"], msg["method"])
        if msg["method"] == "shutdown":
            reply(sock, msg, {"success": True})
            say("SHUTDOWN, exiting")
            sys.exit(0)
        respond(sock, msg)


def good_server(plugin_id, **ui):
    return lambda sock, req: answer_good(sock, req, plugin_id, **ui)


# ---- modes ----

def mode_good(sock, default_id="rogue.good"):
    plugin_id = ARG or default_id
    register(sock, plugin_id)
    serve(sock, good_server(plugin_id))


def mode_reverse(sock):
    count, held = int(ARG or 3), []
    register(sock)

    def respond(sock, req):
        held.append(req)
        if len(held) < count:
            return
        say("answering", [r["id"] for r in held], "in reverse")
        while held:
            r = held.pop()
            render = text("answer to request %s" % r["id"])
            answer_good(sock, r, "rogue.reverse", render=render)
    serve(sock, respond)


def mode_slow(sock):
    delay = float(ARG or 1)
    register(sock)

    def respond(sock, req):
        time.sleep(delay)  # the scenario: slow on purpose
        answer_good(sock, req, "rogue.slow")
    serve(sock, respond)


def mode_never_answer(sock):
    register(sock)
    while recv(sock) is not None:
        say("ignoring a message")
    say("EOF, exiting")


def mode_wrong_ids(sock):
    register(sock)
    sent_unsolicited = []

    def respond(sock, req):
        reply(sock, req, good_result(req, "rogue.wrong_ids") or {}, req_id=req["id"] + 1000)
        if not sent_unsolicited:
            send(sock, {"jsonrpc": "2.0", "id": 424242, "result": {}})
            sent_unsolicited.append(True)
            say("sent unsolicited id 424242")
    serve(sock, respond)


def mode_oversized(sock, register_first=True):
    if register_first:
        register(sock)
    sock.sendall(b"\xff\xff\xff\xff" + b'{"jsonrpc"')
    say("sent a 0xFFFFFFFF length header")
    time.sleep(5)  # the scenario: stay connected, so only the host can end the connection


def mode_half_frame(sock):
    register(sock)
    req = recv(sock)
    say("first request:", req and req.get("method"))
    sock.sendall(struct.pack(">I", 100) + b'{"jsonrpc"')
    say("sent 10 of 100 bytes, closing")
    sock.close()


def mode_crash(sock):
    register(sock)
    req = recv(sock)
    print("Traceback (most recent call last):\n  File \"rogue.py\", in handle\n"
          "RuntimeError: rogue crash on request %s" % (req and req.get("id")),
          file=sys.stderr, flush=True)
    sys.exit(3)


def mode_no_register(sock):
    say("sending nothing")
    time.sleep(float(ARG or 60))  # the scenario: connected and silent for ARG seconds


def send_and_print_reply(sock, message):
    send(sock, message)
    say("sent", json.dumps(message))
    try:
        answer = recv(sock)
    except (OSError, ValueError) as e:
        say("recv failed:", e)
        answer = None
    print("REPLY", "EOF" if answer is None else json.dumps(answer), file=sys.stderr, flush=True)


def mode_register_empty(sock):
    send(sock, {"jsonrpc": "2.0", "id": 1, "method": "register", "params": {}})
    answer = recv(sock)
    say("REGISTERED", json.dumps(answer))
    serve(sock, good_server(answer["result"]["plugin_id"]))


def faulty_register(params):
    return lambda sock: send_and_print_reply(
        sock, {"jsonrpc": "2.0", "id": 1, "method": "register", "params": params})


def deep_render(sock, req):
    if not req["method"].endswith("/render"):
        return answer_good(sock, req, "rogue.deep")
    n = int(ARG or 100000)
    body = (b'{"jsonrpc":"2.0","id":' + json.dumps(req["id"]).encode() + b',"result":'
            + b'{"template":"group","data":{"items":[' * n
            + b'{"template":"text","data":{"text":"bottom"}}'
            + b']}}' * n + b'}')
    send_frame(sock, body)
    say("sent a render nested %d groups deep (%d bytes)" % (n, len(body)))


def deep_ui():
    # 25 groups = 75 JSON levels: past the JSON-UI limit (64), within the frame limit (100).
    ui = text("25 groups down")
    for _ in range(25):
        ui = {"template": "group", "data": {"items": [ui]}}
    return ui


def big_table():
    n = int(ARG or 200000)
    columns = [{"key": k, "label": k.title()} for k in ("id", "name", "amount", "status")]
    rows = [{"id": "R%d" % i, "name": "row %d" % i, "amount": i * 3 % 1000,
             "status": ("paid", "late", "void")[i % 3]} for i in range(n)]
    return {"template": "table", "data": {"columns": columns, "rows": rows}}


def mode_flood(sock):
    register(sock)
    n, batch = int(ARG or 200000), bytearray()
    for i in range(n):
        body = b'{"jsonrpc":"2.0","method":"log","params":{"n":%d}}' % i
        batch += struct.pack(">I", len(body)) + body
        if len(batch) > 1 << 20:
            sock.sendall(batch)
            batch = bytearray()
    sock.sendall(batch)
    say("FLOOD DONE")
    serve(sock, good_server("rogue.flood"))


def escaped_ui():
    """Every template, with an escape sequence in every string it can hold."""
    e = lambda s: s + ESC
    btn = {"id": e("act"), "label": e("action"), "confirm": e("sure?")}
    return {"template": "group", "data": {"items": [
        {"template": "text", "data": {"text": e("text"), "color": e("red")}},
        {"template": "key_value", "data": {"title": e("kv"), "items": [
            {"label": e("label"), "value": e("value"), "link": e("https://x/")}]}},
        {"template": "table", "data": {"title": e("table"),
                                       "columns": [{"key": "k", "label": e("col")},
                                                   {"key": "c", "label": "colored"}],
                                       "rows": [{"k": e("cell"), "c": {"text": e("tag"),
                                                                       "color": "red"}}]}},
        {"template": "button", "data": {"label": e("press"), "action_id": e("go")}},
        {"template": "action", "data": {"buttons": [btn]}},
        {"template": "list", "data": {"title": e("list"), "items": [
            {"id": e("i1"), "title": e("item"), "description": e("desc"), "time": e("now")}]}},
        {"template": "form", "data": {"title": e("form"), "submit_text": e("submit"),
                                      "fields": [
            {"name": "f", "label": e("field"), "type": "text", "placeholder": e("ph"),
             "default": e("dflt")},
            {"name": "s", "label": e("pick"), "type": "select",
             "options": [{"value": "a", "label": e("opt")}]}]}},
        {"template": "card", "data": {"title": e("card"), "subtitle": e("sub"),
                                      "fields": [{"label": e("cf"), "value": e("cv")}],
                                      "tags": [{"text": e("tagt")}], "footer": e("foot")}},
        {"template": "cards", "data": {"title": e("cards"), "items": [
            {"id": "c1", "title": e("ct"), "description": e("cd"), "price": e("9")}]}},
        {"template": "links", "data": {"title": e("links"), "items": [
            {"text": e("link"), "url": e("https://x/")}]}},
        {"template": "markdown", "data": {"content": e("# md") + "\n" + e("**b**")}},
        {"template": "timeline", "data": {"title": e("tl"), "items": [
            {"time": e("t"), "title": e("step"), "description": e("td")}]}},
        {"template": "stats", "data": {"items": [{"label": e("stat"), "value": e("42"),
                                                  "trend": e("up")}]}},
        {"template": "empty", "data": {"title": e("empty"), "description": e("ed")}},
        {"template": "loading", "data": {"text": e("loading")}},
        {"template": "tabs", "data": {"items": [
            {"key": "t1", "label": e("tab"), "content": {"template": "text",
                                                        "data": {"text": e("in tab")}}}]}},
    ]}}


def escaped_actions():
    e = lambda s: s + ESC
    return {"action": "batch", "data": {"actions": [
        {"action": "show_toast", "data": {"message": e("toast"), "type": "info"}},
        {"action": "insert_text", "data": {"text": e("insert")}},
        {"action": "send_message", "data": {"content": e("message")}},
        {"action": "copy_text", "data": {"text": e("copy")}},
        {"action": "open_url", "data": {"url": e("https://x/")}},
        {"action": "show_modal", "data": {"title": e("modal"), "template": "text",
                                          "data": {"text": e("in modal")}}},
    ]}}


def mode_escapes(sock):
    e = lambda s: s + ESC
    tool = {"name": e("tool"), "title": e("Tool"), "description": e("does"),
            "parameters": [{"name": e("param"), "type": "enum", "description": e("pd"),
                            "required": True, "enum_values": [e("v1")]}]}
    register(sock, plugin_id=e("rogue.escapes"), name=e("rogue"), version=e("1"),
             description=e("evil"), author=e("me"), capabilities=[
                 {"type": "visitor_panel", "title": e("Rogue"), "icon": e("user"),
                  "tooltip": e("tip"), "shortcut": e("k")},
                 {"type": "chat_toolbar", "title": e("Toolbar")},
                 {"type": "mcp_tools", "title": e("Tools"), "tools": [tool]},
                 {"type": e("hologram"), "title": e("Holo")}])
    send(sock, {"jsonrpc": "2.0", "method": e("log"), "params": {"msg": e("note")}})
    # Raw control bytes inside a JSON string: invalid JSON, shown by the host as raw bytes.
    send_frame(sock, b'{"jsonrpc":"2.0","method":"raw\x1b[2J\x07\xc2\x9b"}')
    say(e("escapes sent"))

    def respond(sock, req):
        method = req["method"]
        if method.endswith("/render"):
            toolbar = {"template": "list", "data": {"title": e("quick"),
                                                    "items": [{"id": "q", "text": e("reply")}]}}
            return reply(sock, req, toolbar if method.startswith("chat_toolbar") else escaped_ui())
        if method.endswith("/event"):
            return reply(sock, req, escaped_actions())
        if method == "tool/execute":
            return reply(sock, req, {"success": False, "content": e("content"),
                                     "error": e("tool failed"), "data": {"d": e("data")}})
        error = {"code": -32601, "message": e("no such method " + method), "data": e("why")}
        send(sock, {"jsonrpc": "2.0", "id": req["id"], "error": error})
    serve(sock, respond)


def mode_answer_twice(sock):
    register(sock)

    def respond(sock, req):
        answer_good(sock, req, "rogue.answer_twice")
        reply(sock, req, text("second answer to request %s" % req["id"]))
        say("answered", req["id"], "twice")
    serve(sock, respond)


def mode_plugin_request(sock):
    register(sock)
    send(sock, {"jsonrpc": "2.0", "id": 77, "method": "host/whoami", "params": {}})
    send(sock, {"jsonrpc": "2.0", "method": "log", "params": {"msg": "hello from the plugin"}})
    say("sent request 77 and a notification")
    serve(sock, good_server("rogue.plugin_request"))


BAD_UI = {"template": "group", "data": {"items": [
    {"template": "table", "data": {"rows": [{"a": 1}]}},
    {"template": "table", "data": {"columns": [{"key": "a", "label": "A"}, {"label": "no key"}],
                                   "rows": [{"a": 1}], "sparkle": True}},
]}}


BAD_TOAST_UI = {"template": "group", "data": {"items": [
    text("Press Save: the answer is a show_toast with data.msg instead of data.message"),
    {"template": "button", "data": {"label": "Save", "action_id": "save"}},
]}}


def serving(respond):
    """A mode that registers, then answers every request with respond."""
    def mode(sock):
        register(sock)
        serve(sock, respond)
    return mode


def file_title(sock):
    content = open(ARG, encoding="utf-8").read().strip()
    register(sock, capabilities=[{"type": "visitor_panel", "title": content}])
    serve(sock, good_server("rogue." + MODE, render=text(content)))


def ui_mode(render, event=None):
    """A mode that registers, then serves like good but with its own render (and event)."""
    def mode(sock):
        register(sock)
        serve(sock, good_server("rogue." + MODE, render=render(), event=event))
    return mode


def stringified(sock, req):
    result = good_result(req, "rogue.stringify_ids")
    if result is None:
        error = {"code": -32601, "message": "Method not found: " + req["method"]}
        return send(sock, {"jsonrpc": "2.0", "id": str(req["id"]), "error": error})
    reply(sock, req, result, req_id=str(req["id"]))


MODES = {
    "good": mode_good,
    "duplicate": lambda sock: mode_good(sock, "rogue.duplicate"),
    "echo_ids": serving(lambda s, r: reply(s, r, {"echo": r["method"], "id": r["id"]})),
    "reverse": mode_reverse,
    "stringify_ids": serving(stringified),
    "slow": mode_slow,
    "never_answer": mode_never_answer,
    "error_reply": serving(lambda s, r: send(s, {"jsonrpc": "2.0", "id": r["id"], "error": {
        "code": -32003, "message": "Order not found", "data": {"order": "X"}}})),
    "both": serving(lambda s, r: send(s, {"jsonrpc": "2.0", "id": r["id"],
                                          "result": good_result(r, "rogue.both") or {},
                                          "error": {"code": -32000, "message": "and a result"}})),
    "wrong_ids": mode_wrong_ids,
    "oversized": mode_oversized,
    "oversized_first": lambda sock: mode_oversized(sock, register_first=False),
    "garbage": serving(lambda s, r: send_frame(s, b"this is not json{")),
    "invalid_utf8": serving(lambda s, r: send_frame(
        s, b'\xff\xfe{"jsonrpc":"2.0","id":%d,"result":{}}' % r["id"])),
    "non_jsonrpc": serving(lambda s, r: [send_frame(s, f) for f in
                                         (b"[1,2,3]", b"42", b'{"hello":"world"}')]),
    "half_frame": mode_half_frame,
    "crash": mode_crash,
    "no_register": mode_no_register,
    "not_register_first": lambda sock: send_and_print_reply(
        sock, {"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    "register_missing_title": faulty_register(
        {"id": "rogue.bad", "name": "bad", "capabilities": [{"type": "visitor_panel"}]}),
    "register_missing_type": faulty_register(
        {"id": "rogue.bad", "name": "bad", "capabilities": [{"title": "Rogue"}]}),
    "register_null_params": faulty_register(None),
    "register_no_capabilities": faulty_register(
        {"id": "rogue.bad", "name": "bad", "capabilities": []}),
    "register_bad_capabilities": faulty_register(
        {"id": "rogue.bad", "name": "bad", "capabilities": "visitor_panel"}),
    "register_empty": mode_register_empty,
    "deep": serving(deep_render),
    "deep_ui": ui_mode(deep_ui),
    "big_table": ui_mode(big_table),
    "flood": mode_flood,
    "escapes": mode_escapes,
    "answer_twice": mode_answer_twice,
    "unknown_template": ui_mode(lambda: {"template": "hologram", "data": {"x": 1}},
                                event={"action": "teleport", "data": {}}),
    "plugin_request": mode_plugin_request,
    "bad_ui": ui_mode(lambda: BAD_UI),
    "bad_toast": ui_mode(lambda: BAD_TOAST_UI,
                         event={"action": "show_toast", "data": {"msg": "saved"}}),
    "file_text": ui_mode(lambda: text(open(ARG, encoding="utf-8").read().strip())),
    "file_title": lambda sock: file_title(sock),
}


def main():
    if MODE not in MODES:
        print(__doc__, file=sys.stderr)
        print("unknown MODE %r" % MODE, file=sys.stderr)
        return 2
    sock = connect()
    try:
        MODES[MODE](sock)
    except OSError as e:
        say("connection error:", e)
        return 1
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
