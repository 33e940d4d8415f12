#!/usr/bin/env python3
"""{{name}}: a TGO plugin (Python 3.8+, standard library only).

It dials the host's Unix socket (TGO_SOCKET_PATH, default /var/run/tgo/tgo.sock), registers,
then answers the host's requests until `shutdown`. Each message is a 4-byte big-endian length
followed by UTF-8 JSON-RPC 2.0. Logs go to stderr: the host shows them.

  visitor_panel/render  the visitor's id and language, and a "Say hello" button
  visitor_panel/event   the button: a toast
  chat_toolbar/render   a form to write a note
  chat_toolbar/event    the form's submit: the note goes into the agent's message box

The TGO web UI draws only text, key_value, table, button, group, tabs and form, and does not
carry out `batch`: answer each event with one action.
"""
import json
import os
import signal
import socket
import struct
import sys
import time

PLUGIN_ID = "com.example.{{name}}"


def log(*parts):
    print("[{{name}}]", *parts, file=sys.stderr, flush=True)


def send(sock, message):
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    sock.sendall(struct.pack(">I", len(body)) + body)


class HostBrokeOff(Exception):
    """The host closed the connection in the middle of a frame: dial again."""


def read_exact(sock, n, in_frame):
    """Exactly n bytes, or None when the host hung up between frames."""
    data = b""
    while len(data) < n:
        try:
            chunk = sock.recv(min(n - len(data), 65536))
        except ConnectionResetError:
            raise HostBrokeOff()
        if not chunk:
            if data or in_frame:
                raise HostBrokeOff()
            return None
        data += chunk
    return data


def recv(sock):
    header = read_exact(sock, 4, False)
    if header is None:
        return None
    body = read_exact(sock, struct.unpack(">I", header)[0], True)
    try:
        message = json.loads(body.decode("utf-8"))
    except ValueError as e:  # bad JSON or bad UTF-8: a host bug, not a reason to stop
        log("ignored a frame that is not JSON:", e)
        return {}
    return message if isinstance(message, dict) else {}


def ui(template, **data):
    return {"template": template, "data": data}


def action(name, **data):
    return {"action": name, "data": data}


def visitor_panel_render(params):
    return ui("group", items=[
        ui("key_value", title="Visitor", items=[
            {"label": "Visitor id", "value": params.get("visitor_id", "")},
            {"label": "Language", "value": params.get("language", "")},
        ]),
        ui("button", label="Say hello", action_id="greet", type="primary"),
    ])


def visitor_panel_event(params):
    if params.get("action_id") == "greet":
        return action("show_toast", message="Hello, {}!".format(params.get("visitor_id", "visitor")),
                      type="success")
    return action("noop")


def chat_toolbar_render(params):
    return ui("form", title="Add a note", action_id="add_note", submit_text="Insert", fields=[
        {"name": "text", "label": "Note", "type": "textarea", "required": True,
         "placeholder": "Thanks for your patience!"},
    ])


def chat_toolbar_event(params):
    if params.get("event_type") == "form_submit" and params.get("action_id") == "add_note":
        form = params.get("form_data") or {}
        return action("insert_text", text=str(form.get("text", "")), replace=False)
    return action("noop")


HANDLERS = {
    "visitor_panel/render": visitor_panel_render,
    "visitor_panel/event": visitor_panel_event,
    "chat_toolbar/render": chat_toolbar_render,
    "chat_toolbar/event": chat_toolbar_event,
    "ping": lambda params: {"pong": True},
    "shutdown": lambda params: {"success": True},
}


def main():
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # A host that hangs up between frames is gone (or told us to stop); one that breaks off in
    # the middle of a frame may be back at once: dial again, a few times.
    for attempt in range(5):
        try:
            return serve()
        except HostBrokeOff:
            log("the host broke off in the middle of a frame: dialling again")
            time.sleep(0.2 * (attempt + 1))
    return 1


def serve():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.environ.get("TGO_SOCKET_PATH") or "/var/run/tgo/tgo.sock")
    send(sock, {"jsonrpc": "2.0", "id": 1, "method": "register", "params": {
        "id": PLUGIN_ID, "name": "{{name}}", "version": "0.1.0",
        "capabilities": [
            {"type": "visitor_panel", "title": "Visitor", "icon": "user"},
            {"type": "chat_toolbar", "title": "Add a note", "icon": "sticky-note"},
        ],
    }})
    answer = recv(sock)
    if not answer or "error" in answer:
        log("registration refused:", answer)
        return 1
    log("registered as", answer["result"]["plugin_id"])

    while True:
        request = recv(sock)
        if request is None:
            log("the host closed the connection")
            return 0
        method, req_id = request.get("method"), request.get("id")
        if method is None or req_id is None:
            continue  # not a request: nothing to answer
        handler = HANDLERS.get(method)
        if handler is None:
            error = {"code": -32601, "message": "Method not found: {}".format(method)}
            send(sock, {"jsonrpc": "2.0", "id": req_id, "error": error})
            continue
        params = request.get("params")
        try:
            result = handler(params if isinstance(params, dict) else {})
        except Exception as e:  # a bug in a handler answers an error instead of killing the plugin
            error = {"code": -32603, "message": "Internal error: {}".format(e)}
            send(sock, {"jsonrpc": "2.0", "id": req_id, "error": error})
            continue
        send(sock, {"jsonrpc": "2.0", "id": req_id, "result": result})
        if method == "shutdown":
            return 0


if __name__ == "__main__":
    sys.exit(main())
