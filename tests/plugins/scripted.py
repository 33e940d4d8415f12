#!/usr/bin/env python3
"""scripted.py: a TGO plugin whose registration and answers come from a JSON file, so a test
states exactly what the plugin says.

Usage:  TGO_SOCKET_PATH=/path/to.sock python3 scripted.py SCRIPT.json

SCRIPT.json:
  {"register": {...register params...},
   "answers": {"METHOD#ACTION_ID": result, "METHOD": result, ...},
   "errors":  {"METHOD#ACTION_ID": {"code": -32003, "message": "..."}, ...},
   "sequences": {"METHOD#ACTION_ID": [first, second, ...], ...},
   "silent": ["METHOD", ...]}

A key of `sequences` answers its results in turn, the last one again once they run out (for
a plugin whose answer changes, e.g. after a refresh); it is looked up before `answers`.

A request is looked up as "METHOD#ACTION_ID" (events and toolbar renders carry an action_id),
then as "METHOD"; `errors` are looked up the same way, before `answers`. ping and shutdown are
answered by default. Anything else gets -32601. A method in `silent` is never answered (the
host times it out). Each request is printed on stderr.
"""
import json
import os
import socket
import struct
import sys


def say(*parts):
    print("[scripted]", *parts, file=sys.stderr, flush=True)


def recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def recv(sock):
    header = recv_exact(sock, 4)
    if header is None:
        return None
    body = recv_exact(sock, struct.unpack(">I", header)[0])
    return None if body is None else json.loads(body.decode("utf-8"))


def send(sock, obj):
    payload = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def lookup(table, method, params):
    action_id = params.get("action_id") if isinstance(params, dict) else None
    for key in ("%s#%s" % (method, action_id), method):
        if key in table:
            return table[key]
    return None


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        script = json.load(f)
    answers = script.get("answers", {})
    answers.setdefault("ping", {"pong": True})
    errors = script.get("errors", {})
    sequences = script.get("sequences", {})
    silent = set(script.get("silent", []))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.environ["TGO_SOCKET_PATH"])
    send(sock, {"jsonrpc": "2.0", "id": 1, "method": "register", "params": script["register"]})
    say("REGISTERED", json.dumps(recv(sock)))
    while True:
        msg = recv(sock)
        if msg is None:
            say("EOF, exiting")
            return
        if msg.get("id") is None or "method" not in msg:
            continue
        method, params = msg["method"], msg.get("params")
        say("request", msg["id"], method, json.dumps(params, ensure_ascii=False))
        if method == "shutdown":
            send(sock, {"jsonrpc": "2.0", "id": msg["id"], "result": {"success": True}})
            return
        if method in silent:
            continue
        error = lookup(errors, method, params)
        turns = lookup(sequences, method, params)
        result = (turns.pop(0) if len(turns) > 1 else turns[0]) if turns else lookup(answers, method, params)
        if error is None and result is None:
            error = {"code": -32601, "message": "Method not found: " + method}
        reply = {"error": error} if error is not None else {"result": result}
        send(sock, dict(jsonrpc="2.0", id=msg["id"], **reply))


if __name__ == "__main__":
    main()
