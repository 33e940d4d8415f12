#!/usr/bin/env python3
"""visitor-orders: a minimal TGO visitor-panel plugin (Python 3.8+, standard library only).

It dials the host, registers one `visitor_panel` capability, then answers the host's
requests until told to `shutdown`:
  visitor_panel/render -> a table of the visitor's orders and a "View all orders" button
  visitor_panel/event  -> view_all opens the CRM's order list; anything else does nothing

Environment: TGO_SOCKET_PATH (default /var/run/tgo/tgo.sock), or TGO_TCP=host:port.
Wire format: each message is a 4-byte big-endian length followed by UTF-8 JSON-RPC 2.0.
"""
import json
import os
import signal
import socket
import struct
import sys

PLUGIN_ID = "com.example.orders"
CRM_ORDERS_URL = "https://crm.example.com/orders?visitor={}"


def log(*parts):
    print("[orders]", *parts, file=sys.stderr, flush=True)


def connect():
    tcp = os.environ.get("TGO_TCP")
    if tcp:
        host, _, port = tcp.rpartition(":")
        return socket.create_connection((host or "127.0.0.1", int(port)))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.environ.get("TGO_SOCKET_PATH") or "/var/run/tgo/tgo.sock")
    return sock


def send(sock, message):
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    sock.sendall(struct.pack(">I", len(body)) + body)


def read_exact(sock, n):
    """Exactly n bytes, or None if the host hung up first."""
    chunks = []
    while n:
        chunk = sock.recv(min(n, 65536))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv(sock):
    header = read_exact(sock, 4)
    if header is None:
        return None
    body = read_exact(sock, struct.unpack(">I", header)[0])
    if body is None:
        return None
    try:
        message = json.loads(body.decode("utf-8"))
    except ValueError:  # bad JSON or UTF-8 from the host: skipped, not a reason to stop
        return {}
    return message if isinstance(message, dict) else {}


def render(params):
    # A real plugin would ask its order system about params["visitor_id"] here.
    orders = [
        {"order_id": "ORD-1001", "amount": "$29.90", "status": "Delivered"},
        {"order_id": "ORD-1002", "amount": "$59.90", "status": "Awaiting shipment"},
    ]
    return {"template": "group", "data": {"items": [
        {"template": "table", "data": {
            "columns": [
                {"key": "order_id", "label": "Order"},
                {"key": "amount", "label": "Amount", "align": "right"},
                {"key": "status", "label": "Status"},
            ],
            "rows": orders,
        }},
        {"template": "button", "data": {
            "label": "View all orders", "action_id": "view_all", "type": "primary"}},
    ]}}


def event(params):
    if params.get("action_id") == "view_all":
        url = CRM_ORDERS_URL.format(params.get("visitor_id", ""))
        return {"action": "open_url", "data": {"url": url, "target": "_blank"}}
    return {"action": "noop", "data": {}}


HANDLERS = {
    "visitor_panel/render": render,
    "visitor_panel/event": event,
    "ping": lambda params: {"pong": True},
    "shutdown": lambda params: {"success": True},
}


def main():
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    sock = connect()
    send(sock, {"jsonrpc": "2.0", "id": 1, "method": "register", "params": {
        "id": PLUGIN_ID, "name": "visitor-orders", "version": "1.0.0",
        "description": "Shows the visitor's recent orders",
        "capabilities": [{"type": "visitor_panel", "title": "Orders", "icon": "shopping-cart"}],
    }})
    answer = recv(sock)
    if not answer or "error" in answer:
        log("registration failed:", answer)
        return 1
    log("registered as", answer.get("result", {}).get("plugin_id", PLUGIN_ID))

    while True:
        request = recv(sock)
        if request is None:
            log("host closed the connection")
            return 0
        method, req_id = request.get("method"), request.get("id")
        if method is None or req_id is None:
            continue  # a response or a notification: nothing to answer
        log("request", req_id, method)
        handler = HANDLERS.get(method)
        if handler is None:
            error = {"code": -32601, "message": "Method not found: {}".format(method)}
            send(sock, {"jsonrpc": "2.0", "id": req_id, "error": error})
            continue
        params = request.get("params")
        result = handler(params if isinstance(params, dict) else {})
        send(sock, {"jsonrpc": "2.0", "id": req_id, "result": result})
        if method == "shutdown":
            log("shutting down")
            return 0


if __name__ == "__main__":
    sys.exit(main())
