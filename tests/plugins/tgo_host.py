#!/usr/bin/env python3
"""tgo_host.py: a stand-in for the real TGO host's dev-token check, for proxy tests.

Usage:  python3 tgo_host.py SOCKET TOKEN

Listens on SOCKET. Each connection's first frame must be `register`: its params are printed
on stderr ("REGISTER {...}") and, as the real host does on its TCP port, a `dev_token` other
than TOKEN is refused with -32000 "Invalid dev_token: signature is invalid" and the connection
closed; with TOKEN the plugin is registered ({"success": true, "plugin_id": ...}) and what it
sends afterwards is read until it leaves. Runs until killed.
"""
import json
import os
import socket
import struct
import sys
import threading


def say(*parts):
    print("[tgo_host]", *parts, file=sys.stderr, flush=True)


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
    payload = json.dumps(obj).encode("utf-8")
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def serve(conn, token):
    with conn:
        first = recv(conn)
        if first is None:
            return
        params = first.get("params") or {}
        say("REGISTER", json.dumps(params))
        if params.get("dev_token") != token:
            error = {"code": -32000, "message": "Invalid dev_token: signature is invalid"}
            send(conn, {"jsonrpc": "2.0", "id": first.get("id"), "error": error})
            return
        plugin_id = params.get("id") or "plugin_0000beef"
        send(conn, {"jsonrpc": "2.0", "id": first.get("id"),
                    "result": {"success": True, "plugin_id": plugin_id, "host_version": "fake"}})
        while recv(conn) is not None:
            pass


def main():
    path, token = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    say("listening on", path)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, token), daemon=True).start()


if __name__ == "__main__":
    main()
