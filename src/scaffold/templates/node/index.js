#!/usr/bin/env node
// {{name}}: a TGO plugin (Node.js 16+, no npm dependencies).
//
// It dials the host's Unix socket (TGO_SOCKET_PATH, default /var/run/tgo/tgo.sock), registers,
// then answers the host's requests until `shutdown`. Each message is a 4-byte big-endian length
// followed by UTF-8 JSON-RPC 2.0. Logs go to stderr: the host shows them.
//
//   visitor_panel/render  the visitor's id and language, and a "Say hello" button
//   visitor_panel/event   the button: a toast
//   chat_toolbar/render   a form to write a note
//   chat_toolbar/event    the form's submit: the note goes into the agent's message box
//
// The TGO web UI draws only text, key_value, table, button, group, tabs and form, and does not
// carry out `batch`: answer each event with one action.
'use strict';

const net = require('net');

const PLUGIN_ID = 'com.example.{{name}}';

const log = (...parts) => console.error('[{{name}}]', ...parts);
const ui = (template, data) => ({ template, data });
const action = (name, data = {}) => ({ action: name, data });

const handlers = {
  'visitor_panel/render': (params) =>
    ui('group', {
      items: [
        ui('key_value', {
          title: 'Visitor',
          items: [
            { label: 'Visitor id', value: params.visitor_id || '' },
            { label: 'Language', value: params.language || '' },
          ],
        }),
        ui('button', { label: 'Say hello', action_id: 'greet', type: 'primary' }),
      ],
    }),
  'visitor_panel/event': (params) =>
    params.action_id === 'greet'
      ? action('show_toast', { message: `Hello, ${params.visitor_id || 'visitor'}!`, type: 'success' })
      : action('noop'),
  'chat_toolbar/render': () =>
    ui('form', {
      title: 'Add a note',
      action_id: 'add_note',
      submit_text: 'Insert',
      fields: [
        {
          name: 'text',
          label: 'Note',
          type: 'textarea',
          required: true,
          placeholder: 'Thanks for your patience!',
        },
      ],
    }),
  'chat_toolbar/event': (params) => {
    if (params.event_type === 'form_submit' && params.action_id === 'add_note') {
      const form = params.form_data || {};
      return action('insert_text', { text: String(form.text ?? ''), replace: false });
    }
    return action('noop');
  },
  ping: () => ({ pong: true }),
  shutdown: () => ({ success: true }),
};

let sock;

function send(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  sock.write(Buffer.concat([header, body]));
}

function onMessage(message) {
  if (message.id === 1 && !message.method) {
    if (message.error) {
      log('registration refused:', JSON.stringify(message.error));
      process.exit(1);
    }
    log('registered as', message.result.plugin_id);
    return;
  }
  const { id, method } = message;
  if (method === undefined || id === undefined) return; // not a request: nothing to answer
  const handler = handlers[method];
  if (!handler) {
    send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
    return;
  }
  const params = message.params && typeof message.params === 'object' ? message.params : {};
  let result;
  try {
    result = handler(params);
  } catch (err) {
    // A bug in a handler answers an error instead of killing the plugin.
    send({ jsonrpc: '2.0', id, error: { code: -32603, message: `Internal error: ${err.message}` } });
    return;
  }
  send({ jsonrpc: '2.0', id, result });
  if (method === 'shutdown') {
    shuttingDown = true;
    sock.end();
  }
}

let shuttingDown = false;
let attempts = 0;

// Dials the host and registers. A host that hangs up between frames is gone (or told us to
// stop); one that breaks off in the middle of a frame may be back at once: dial again.
function dial() {
  let pending = Buffer.alloc(0);
  sock = net.createConnection(process.env.TGO_SOCKET_PATH || '/var/run/tgo/tgo.sock');
  sock.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (pending.length < 4 + length) break;
      const body = pending.subarray(4, 4 + length).toString('utf8');
      pending = pending.subarray(4 + length);
      let message;
      try {
        message = JSON.parse(body);
      } catch (err) {
        log('ignored a frame that is not JSON:', err.message); // a host bug: keep serving
        continue;
      }
      if (message && typeof message === 'object') onMessage(message);
    }
  });
  sock.on('connect', () =>
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'register',
      params: {
        id: PLUGIN_ID,
        name: '{{name}}',
        version: '0.1.0',
        capabilities: [
          { type: 'visitor_panel', title: 'Visitor', icon: 'user' },
          { type: 'chat_toolbar', title: 'Add a note', icon: 'sticky-note' },
        ],
      },
    }),
  );
  sock.on('close', () => {
    if (shuttingDown || pending.length === 0 || attempts >= 5) process.exit(0);
    attempts += 1;
    log('the host broke off in the middle of a frame: dialling again');
    setTimeout(dial, 200 * attempts);
  });
  sock.on('error', (err) => {
    // The host closing first (at shutdown, or when it quits) is a normal end: 'close' follows.
    if (shuttingDown || err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
    log(err.message);
    process.exit(1);
  });
}

dial();
process.on('SIGTERM', () => process.exit(0));
