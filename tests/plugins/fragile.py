#!/usr/bin/env python3
"""fragile.py: a TGO plugin that works until the host sends a frame that is not JSON, then
dies with a traceback (what `check --chaos` must report as crashed, naming the fault).

Usage:  TGO_SOCKET_PATH=/path/to.sock python3 fragile.py [sloppy|stall]

`sloppy` survives everything but answers wrongly: bad JSON gets a -32700 error (right), an
unknown method a result and a notification an answer (both wrong, by JSON-RPC).
`stall` stays connected after bad JSON but never answers again (hung).
"""
import json
import os
import socket
import struct
import sys


def recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def send(sock, obj):
    payload = json.dumps(obj).encode("utf-8")
    sock.sendall(struct.pack(">I", len(payload)) + payload)


SLOPPY = sys.argv[1:] == ["sloppy"]
STALL = sys.argv[1:] == ["stall"]
stalled = False
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(os.environ["TGO_SOCKET_PATH"])
send(sock, {"jsonrpc": "2.0", "id": 1, "method": "register", "params": {
    "id": "com.example.fragile", "name": "fragile", "version": "0.1.0",
    "capabilities": [{"type": "visitor_panel", "title": "Fragile"}]}})
while True:
    header = recv_exact(sock, 4)
    if header is None:
        sys.exit(0)
    body = recv_exact(sock, struct.unpack(">I", header)[0])
    if body is None:
        sys.exit(0)
    print("[fragile] got %d bytes" % len(body), file=sys.stderr, flush=True)
    if STALL:
        try:
            msg = json.loads(body)
        except ValueError:
            stalled = True
        if stalled:
            continue
    elif SLOPPY:
        try:
            msg = json.loads(body)
        except ValueError:
            send(sock, {"jsonrpc": "2.0", "id": None,
                        "error": {"code": -32700, "message": "Parse error"}})
            continue
        msg.setdefault("id", None)
    else:
        msg = json.loads(body)  # no try: bad JSON kills the plugin
    if "id" not in msg or "method" not in msg:
        continue
    method = msg["method"]
    if method == "visitor_panel/render":
        result = {"template": "text", "data": {"text": "still here"}}
    elif method == "ping":
        result = {"pong": True}
    elif method == "shutdown":
        send(sock, {"jsonrpc": "2.0", "id": msg["id"], "result": {"success": True}})
        sys.exit(0)
    elif SLOPPY:
        result = {"whatever": method}
    else:
        send(sock, {"jsonrpc": "2.0", "id": msg["id"],
                    "error": {"code": -32601, "message": "Method not found"}})
        continue
    send(sock, {"jsonrpc": "2.0", "id": msg["id"], "result": result})
