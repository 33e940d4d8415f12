//! The built-in demo plugin (`tgo-console demo-plugin`): a well-behaved TGO plugin that
//! exercises every JSON-UI template and every JSON-ACTION the protocol defines.
//!
//! It is a *client*: it dials the host, registers four capabilities, then answers the host's
//! requests: quick ones at once, slow ones and big tables in their own task, so answers may go
//! out in any order. One writer task owns the socket's write half and is fed by a channel; it
//! writes everything queued, then flushes once. It logs one line per request to stderr (in
//! one write per batch), which the host captures when it launched the plugin.
//!
//! Everything that builds JSON is a pure function (`dispatch` and friends), unit-tested below.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::protocol::codec::{FrameCodec, FrameError};
use crate::protocol::jsonrpc::{
    self, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, Id, METHOD_NOT_FOUND, Message,
    ResponseBody, RpcError,
};

/// Where plugins dial when nothing else is said.
pub const DEFAULT_SOCKET_PATH: &str = "/var/run/tgo/tgo.sock";

/// Every JSON-UI template of the protocol; the "Every template" panel uses each of them.
pub const ALL_TEMPLATES: &[&str] = crate::jsonui::KNOWN_TEMPLATES;

/// Every JSON-ACTION of the protocol; some event of the demo answers with each of them.
pub const ALL_ACTIONS: &[&str] = crate::jsonui::KNOWN_ACTIONS;

/// How to run the demo plugin.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Unix socket to dial; when `None`, `TGO_SOCKET_PATH`, then [`DEFAULT_SOCKET_PATH`].
    pub socket: Option<PathBuf>,
    /// `host:port` to dial over TCP instead of a Unix socket.
    pub tcp: Option<String>,
    /// Plugin id sent in `register`.
    pub id: String,
    /// Plugin name sent in `register`.
    pub name: String,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            socket: None,
            tcp: None,
            id: "com.tgo.demo".to_string(),
            name: "tgo-demo".to_string(),
        }
    }
}

impl DemoOptions {
    /// The Unix socket path this run dials (ignored when `tcp` is set).
    pub fn socket_path(&self) -> PathBuf {
        self.socket
            .clone()
            .or_else(|| {
                std::env::var_os("TGO_SOCKET_PATH")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET_PATH))
    }
}

/// Connects, registers, and serves the host until it says `shutdown` or hangs up.
pub async fn run(opts: DemoOptions) -> anyhow::Result<()> {
    // On a worker thread: the worker that sees the socket readable runs it at once, where a
    // future in `block_on` must be woken on its own thread for every frame.
    tokio::spawn(connect_and_serve(opts))
        .await
        .context("the demo plugin's task failed")?
}

async fn connect_and_serve(opts: DemoOptions) -> anyhow::Result<()> {
    let mut redials = 0;
    loop {
        let dialled = if let Some(addr) = &opts.tcp {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(stream) => {
                    stream.set_nodelay(true).ok();
                    eprintln!("[demo] connected to tcp {addr}");
                    Ok(serve(stream, &opts).await?)
                }
                Err(e) => Err(anyhow::Error::new(e)
                    .context(format!("cannot connect to the host at tcp {addr}"))),
            }
        } else {
            let path = opts.socket_path();
            match tokio::net::UnixStream::connect(&path).await {
                Ok(stream) => {
                    eprintln!("[demo] connected to {}", path.display());
                    Ok(serve(stream, &opts).await?)
                }
                Err(e) => Err(anyhow::Error::new(e)
                    .context(format!("cannot connect to the host at {}", path.display()))),
            }
        };
        match dialled {
            Ok(Ended::Done) => return Ok(()),
            Ok(Ended::Broken) if redials < MAX_REDIALS => {
                redials += 1;
                tokio::time::sleep(REDIAL_DELAY * redials).await;
                eprintln!("[demo] dialling the host again ({redials}/{MAX_REDIALS})");
            }
            Ok(Ended::Broken) => {
                eprintln!("[demo] the connection broke {MAX_REDIALS} times; exiting");
                return Ok(());
            }
            // The host that broke the connection is gone for good: nothing to serve.
            Err(e) if redials > 0 => {
                eprintln!("[demo] {e:#}; exiting");
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Times the demo dials again after a broken connection (then it exits).
const MAX_REDIALS: u32 = 5;
/// Wait before the first redial (doubled, tripled… after it).
const REDIAL_DELAY: Duration = Duration::from_millis(50);

/// How a connection ended.
enum Ended {
    /// `shutdown`, or the host hung up between frames: it meant it.
    Done,
    /// The host vanished mid-frame or reset the connection, as a host that crashed does; it
    /// may be back (restarted), so the demo dials again, as a robust plugin should.
    Broken,
}

/// What the writer task is asked to do.
enum Out {
    /// A frame, and the stderr line that reports it.
    Frame(Bytes, Option<String>),
    /// Flush everything queued before this, then acknowledge.
    Flush(oneshot::Sender<()>),
}

async fn write_loop<W: AsyncWrite + Unpin>(
    wr: W,
    mut rx: mpsc::Receiver<Out>,
) -> Result<(), FrameError> {
    // Our own answers may be large (a 200 000-row table): the size limit is the host's call.
    let mut sink = FramedWrite::new(wr, FrameCodec::new(u32::MAX as usize));
    let mut lines = String::new();
    while let Some(first) = rx.recv().await {
        // Queue whatever is waiting, then flush once; the report lines go out in one write
        // too (a line per answer, each its own write, cost more than the answers themselves).
        let mut next = Some(first);
        while let Some(out) = next {
            match out {
                Out::Frame(bytes, line) => {
                    sink.feed(bytes).await?;
                    if let Some(line) = line {
                        lines.push_str(&line);
                        lines.push('\n');
                    }
                }
                Out::Flush(ack) => {
                    sink.flush().await?;
                    report(&mut lines);
                    let _ = ack.send(());
                }
            }
            next = rx.try_recv().ok();
        }
        sink.flush().await?;
        report(&mut lines);
    }
    Ok(())
}

/// Writes the collected report lines to stderr at once.
fn report(lines: &mut String) {
    use std::io::Write as _;
    if !lines.is_empty() {
        let _ = std::io::stderr().lock().write_all(lines.as_bytes());
        lines.clear();
    }
}

async fn send(tx: &mpsc::Sender<Out>, bytes: Bytes) {
    // A closed channel means the writer failed; the reader will see the socket close too.
    let _ = tx.send(Out::Frame(bytes, None)).await;
}

async fn flush(tx: &mpsc::Sender<Out>) {
    let (ack, done) = oneshot::channel();
    if tx.send(Out::Flush(ack)).await.is_ok() {
        let _ = done.await;
    }
}

async fn serve<S>(stream: S, opts: &DemoOptions) -> anyhow::Result<Ended>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (rd, wr) = tokio::io::split(stream);
    let mut frames = FramedRead::new(rd, FrameCodec::default());
    let (tx, rx) = mpsc::channel(1024);
    // The writer runs beside the reader in this task, not as a task of its own: handing every
    // answer to another thread cost a wakeup (a futex and a context switch) per request.
    let writer = async move {
        if let Err(e) = write_loop(wr, rx).await {
            eprintln!("[demo] writing to the host failed: {e}");
        }
        std::future::pending::<anyhow::Result<Ended>>().await
    };
    tokio::select! {
        outcome = session(&mut frames, &tx, opts) => outcome,
        never = writer => never,
    }
}

async fn session<R>(
    frames: &mut FramedRead<R, FrameCodec>,
    tx: &mpsc::Sender<Out>,
    opts: &DemoOptions,
) -> anyhow::Result<Ended>
where
    R: AsyncRead + Unpin,
{
    send(
        tx,
        jsonrpc::request_bytes(1, "register", &register_params(opts)),
    )
    .await;
    let answer = match frames.next().await {
        None => bail!("the host closed the connection before answering register"),
        Some(frame) => frame.context("reading the answer to register")?,
    };
    match jsonrpc::parse(&answer) {
        Ok(incoming) => match incoming.message {
            Message::Response {
                body: ResponseBody::Result(result),
                ..
            } => {
                if result.get("success") == Some(&Value::Bool(false)) {
                    bail!("the host refused registration: {result}");
                }
                let plugin_id = result
                    .get("plugin_id")
                    .and_then(Value::as_str)
                    .unwrap_or(&opts.id);
                eprintln!("[demo] registered as {plugin_id}");
            }
            Message::Response {
                body: ResponseBody::Error(e),
                ..
            } => bail!("the host refused registration: error {e}"),
            Message::Response {
                body: ResponseBody::Invalid(reason),
                ..
            } => bail!("unusable answer to register: {reason}"),
            other => bail!("expected the answer to register, got {other:?}"),
        },
        Err(invalid) => bail!("unreadable answer to register: {invalid}"),
    }

    let mut tasks = JoinSet::new();
    let mut cache = AnswerCache::default();
    loop {
        while tasks.try_join_next().is_some() {}
        let frame = match frames.next().await {
            None => {
                eprintln!("[demo] the host closed the connection; exiting");
                return Ok(Ended::Done);
            }
            Some(Err(FrameError::Io(e))) if is_hangup(&e) => {
                eprintln!("[demo] the host dropped the connection ({e})");
                return Ok(Ended::Broken);
            }
            Some(Err(e @ FrameError::Truncated { .. })) => {
                eprintln!("[demo] {e}");
                return Ok(Ended::Broken);
            }
            Some(frame) => frame.context("reading from the host")?,
        };
        let message = match jsonrpc::parse(&frame) {
            Ok(incoming) => incoming.message,
            Err(invalid) => {
                eprintln!("[demo] unreadable frame from the host: {invalid}");
                if let Some(id) = invalid.id {
                    let err = rpc_error(INVALID_REQUEST, invalid.reason);
                    send(tx, jsonrpc::error_bytes(Some(&id), &err)).await;
                }
                continue;
            }
        };
        match message {
            Message::Request { id, method, .. } if method == "shutdown" => {
                send(tx, jsonrpc::result_bytes(&id, &json!({"success": true}))).await;
                flush(tx).await;
                eprintln!("[demo] #{id} shutdown -> ok; exiting");
                return Ok(Ended::Done);
            }
            Message::Request { id, method, params } => {
                let params = params.unwrap_or(Value::Null);
                if is_heavy(&method, &params) {
                    tasks.spawn(answer_request(tx.clone(), id, method, params));
                } else {
                    // Quick answers are built right here: a task (and a blocking thread)
                    // per ping cost more than the answer.
                    let started = Instant::now();
                    let (bytes, outcome) = cache.answer(&id, &method, &params);
                    let line = report_line(&id, &method, &outcome, bytes.len(), started);
                    let _ = tx.send(Out::Frame(bytes, Some(line))).await;
                }
            }
            Message::Notification { method, .. } => {
                eprintln!("[demo] notification {method} from the host (ignored)");
            }
            Message::Response { id, .. } => {
                let id = id.map_or_else(|| "null".to_string(), |id| id.to_string());
                eprintln!("[demo] unexpected response #{id} from the host (ignored)");
            }
        }
    }
}

fn is_hangup(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionReset | ConnectionAborted | BrokenPipe)
}

/// Rows above which a render is built on a blocking thread.
const HEAVY_ROWS: u64 = 1000;

/// Requests answered in their own task, so quicker ones overtake them: `slow`, and renders
/// of big tables.
fn is_heavy(method: &str, params: &Value) -> bool {
    method == "slow" || params.get("rows").and_then(Value::as_u64) > Some(HEAVY_ROWS)
}

/// `[demo] #7 visitor_panel/render -> ok (812 bytes, 1 ms)`.
fn report_line(id: &Id, method: &str, outcome: &str, bytes: usize, started: Instant) -> String {
    format!(
        "[demo] #{id} {method} -> {outcome} ({bytes} bytes, {} ms)",
        started.elapsed().as_millis()
    )
}

/// Answers one heavy request and logs it.
async fn answer_request(tx: mpsc::Sender<Out>, id: Id, method: String, params: Value) {
    let started = Instant::now();
    let (bytes, outcome) = if method == "slow" {
        let ms = params.get("ms").and_then(Value::as_u64).unwrap_or(1000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        let bytes = jsonrpc::result_bytes(&id, &json!({"slept_ms": ms}));
        (bytes, "ok".to_string())
    } else {
        // Building a 200 000-row table takes a while: keep it off the async workers.
        let id2 = id.clone();
        let method2 = method.clone();
        let built = tokio::task::spawn_blocking(move || encode_answer(&id2, &method2, &params));
        match built.await {
            Ok(done) => done,
            Err(e) => {
                let err = rpc_error(INTERNAL_ERROR, format!("handler failed: {e}"));
                (
                    jsonrpc::error_bytes(Some(&id), &err),
                    format!("error {err}"),
                )
            }
        }
    };
    let line = report_line(&id, &method, &outcome, bytes.len(), started);
    let _ = tx.send(Out::Frame(bytes, Some(line))).await;
}

/// Serialised results of repeated requests, by method and params. A render whose params
/// carry the visitor object, and `ping`, are pure functions of their params: asked again (a
/// bench, a refresh), they are answered by splicing the id into the cached text instead of
/// building and serialising the JSON again, which made the demo the bottleneck of
/// `bench --demo`.
#[derive(Default)]
struct AnswerCache {
    results: std::collections::HashMap<(String, String), Bytes>,
}

impl AnswerCache {
    /// Entries kept (then it starts again); answers larger than this are not kept.
    const MAX_ENTRIES: usize = 256;
    const MAX_ANSWER_BYTES: usize = 64 * 1024;

    fn cacheable(method: &str, params: &Value) -> bool {
        match method {
            "ping" => true,
            "visitor_panel/render" | "chat_toolbar/render" => {
                params.get("visitor").is_some_and(Value::is_object)
            }
            _ => false,
        }
    }

    fn answer(&mut self, id: &Id, method: &str, params: &Value) -> (Bytes, String) {
        if !Self::cacheable(method, params) {
            return encode_answer(id, method, params);
        }
        let key = (method.to_string(), params.to_string());
        if let Some(result) = self.results.get(&key) {
            // What a render remembers about its visitor (events look it up) still happens.
            Visitor::from_params(params);
            return (spliced_result(id, result), "ok".to_string());
        }
        let result = match dispatch(method, params) {
            Ok(result) => Bytes::from(serde_json::to_vec(&result).unwrap_or_default()),
            Err(err) => {
                let outcome = format!("error {err}");
                return (jsonrpc::error_bytes(Some(id), &err), outcome);
            }
        };
        let bytes = spliced_result(id, &result);
        if result.len() <= Self::MAX_ANSWER_BYTES {
            if self.results.len() >= Self::MAX_ENTRIES {
                self.results.clear();
            }
            self.results.insert(key, result);
        }
        (bytes, "ok".to_string())
    }
}

/// `{"jsonrpc":"2.0","id":ID,"result":RESULT}`, as [`jsonrpc::result_bytes`] writes it.
fn spliced_result(id: &Id, result: &[u8]) -> Bytes {
    let id = serde_json::to_vec(id).unwrap_or_else(|_| b"null".to_vec());
    let mut out = Vec::with_capacity(result.len() + id.len() + 32);
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.extend_from_slice(&id);
    out.extend_from_slice(br#","result":"#);
    out.extend_from_slice(result);
    out.push(b'}');
    Bytes::from(out)
}

fn encode_answer(id: &Id, method: &str, params: &Value) -> (Bytes, String) {
    match dispatch(method, params) {
        Ok(result) => (jsonrpc::result_bytes(id, &result), "ok".to_string()),
        Err(err) => {
            let outcome = format!("error {err}");
            (jsonrpc::error_bytes(Some(id), &err), outcome)
        }
    }
}

fn rpc_error(code: i64, message: impl Into<String>) -> RpcError {
    RpcError {
        code,
        message: message.into(),
        data: None,
    }
}

/// The `register` params: two visitor panels, a chat toolbar and an MCP tool set.
pub fn register_params(opts: &DemoOptions) -> Value {
    json!({
        "id": opts.id,
        "name": opts.name,
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Built-in demo plugin of tgo-console: every template, every action",
        "author": "tgo-console",
        "capabilities": [
            {"type": "visitor_panel", "title": "Customer 360", "icon": "user", "priority": 1,
             "tooltip": "Profile, orders and notes for this visitor",
             "refresh_on": ["session_change", "manual"]},
            {"type": "visitor_panel", "title": "Every template", "icon": "layout-grid", "priority": 5},
            {"type": "chat_toolbar", "title": "Quick replies", "icon": "message-square",
             "shortcut": "ctrl+q"},
            {"type": "mcp_tools", "title": "Order tools", "tools": order_tools()},
        ]
    })
}

fn order_tools() -> Value {
    json!([
        {"name": "lookup_order", "title": "Look up an order",
         "description": "Status, total and (optionally) the items of an order",
         "parameters": [
            {"name": "order_id", "type": "string", "description": "e.g. ORD-10001", "required": true},
            {"name": "include_items", "type": "boolean", "description": "list the items too",
             "required": false}
         ]},
        {"name": "refund", "title": "Refund an order",
         "description": "Refunds up to 1000 without a supervisor",
         "parameters": [
            {"name": "order_id", "type": "string", "required": true},
            {"name": "amount", "type": "number", "required": true},
            {"name": "reason", "type": "enum", "required": false,
             "enum_values": ["damaged", "late", "other"]}
         ]}
    ])
}

/// The answer to every method but `slow` and `shutdown`'s exit, as a pure function.
pub fn dispatch(method: &str, params: &Value) -> Result<Value, RpcError> {
    match method {
        "visitor_panel/render" => match params.get("capability_index").and_then(Value::as_u64) {
            Some(1) => Ok(every_template()),
            _ => Ok(customer_360(params)),
        },
        "visitor_panel/event" | "chat_toolbar/event" => Ok(event(params)),
        "chat_toolbar/render" => Ok(quick_replies(params)),
        "tool/execute" => execute_tool(params),
        "ping" => Ok(json!({"pong": true})),
        "shutdown" => Ok(json!({"success": true})),
        _ => Err(rpc_error(
            METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )),
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The visitor a request is about, filled in with a stable made-up persona where the host
/// sent nothing (the console's default context has only an id).
struct Visitor {
    id: String,
    name: String,
    email: String,
    tier: (&'static str, &'static str),
    seed: u64,
}

/// What renders said about each visitor (name, email). Events carry only the visitor id, as
/// from the real host, so the demo looks the rest up here, as a real plugin would in its CRM.
static SEEN: std::sync::Mutex<Option<std::collections::HashMap<String, Value>>> =
    std::sync::Mutex::new(None);
/// Visitors remembered at most (then the memory starts again).
const SEEN_MAX: usize = 1000;

impl Visitor {
    fn from_params(params: &Value) -> Self {
        let sent = params.get("visitor").filter(|v| v.is_object());
        let id_sent = str_at(params, "visitor_id").map(str::to_string);
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        let seen = seen.get_or_insert_with(Default::default);
        let remembered;
        let visitor = match (sent, &id_sent) {
            (Some(v), Some(id)) => {
                if seen.len() >= SEEN_MAX {
                    seen.clear();
                }
                seen.insert(id.clone(), v.clone());
                v
            }
            (Some(v), None) => v,
            (None, Some(id)) => {
                remembered = seen.get(id).cloned().unwrap_or(Value::Null);
                &remembered
            }
            (None, None) => &Value::Null,
        };
        let id = str_at(params, "visitor_id")
            .or_else(|| str_at(visitor, "id"))
            .unwrap_or("visitor-demo")
            .to_string();
        // FNV-1a: a stable seed per visitor id, so re-renders agree with each other.
        let seed = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        const NAMES: &[&str] = &[
            "Mia Chen",
            "Lucas Moreau",
            "Amara Okafor",
            "Kenji Watanabe",
            "Sofia Rossi",
            "Noah Fischer",
        ];
        const TIERS: &[(&str, &str)] = &[
            ("Gold", "#d4a017"),
            ("Silver", "#8a9199"),
            ("Bronze", "#b06a2b"),
            ("Platinum", "#5b6ee1"),
        ];
        let name = str_at(visitor, "name")
            .map(str::to_string)
            .unwrap_or_else(|| NAMES[(seed % NAMES.len() as u64) as usize].to_string());
        let email = str_at(visitor, "email")
            .or_else(|| str_at(params.get("payload").unwrap_or(&Value::Null), "email"))
            .map(str::to_string)
            .unwrap_or_else(|| {
                let local: String = name
                    .to_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
                    .collect();
                format!("{local}@example.com")
            });
        let tier = TIERS[((seed >> 8) % TIERS.len() as u64) as usize];
        Self {
            id,
            name,
            email,
            tier,
            seed,
        }
    }
}

const STATUSES: &[(&str, &str)] = &[
    ("Delivered", "green"),
    ("Shipped", "blue"),
    ("Pending", "orange"),
    ("Cancelled", "red"),
    ("Refunded", "gray"),
];

/// `n` orders of a visitor as table rows: `id` is both the row id and the Order column,
/// the status a coloured cell. Built by hand, not with `json!`, which would copy every string:
/// 200 000 rows must stay quick.
fn order_rows(v: &Visitor, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let k = v.seed.wrapping_add(i as u64 * 7919);
            let cents = 1_000 + k % 90_000;
            let (status, color) = STATUSES[(k % STATUSES.len() as u64) as usize];
            let mut cell = Map::new();
            cell.insert("text".into(), status.into());
            cell.insert("color".into(), color.into());
            let mut row = Map::new();
            row.insert("id".into(), format!("ORD-{}", 10_001 + i).into());
            let placed = format!("2025-{:02}-{:02}", 1 + i % 12, 1 + (k % 28));
            row.insert("placed".into(), placed.into());
            row.insert("items".into(), (1 + k % 5).into());
            let total = format!("${}.{:02}", cents / 100, cents % 100);
            row.insert("total".into(), total.into());
            row.insert("status".into(), Value::Object(cell));
            Value::Object(row)
        })
        .collect()
}

fn orders_table(v: &Visitor, n: usize) -> Value {
    let mut table = json!({"template": "table", "data": {
        "title": format!("Orders ({n})"),
        "columns": [
            {"key": "id", "label": "Order", "width": 110, "type": "text"},
            {"key": "placed", "label": "Placed", "type": "date"},
            {"key": "items", "label": "Items", "align": "right"},
            {"key": "total", "label": "Total", "align": "right"},
            {"key": "status", "label": "Status", "align": "center", "type": "badge"},
        ],
        "rows": [],
        "pagination": {"total": n, "page": 1, "page_size": n.max(1)},
        "row_click_action": "select_order",
    }});
    // Moved in after: `json!` would deep-copy a Vec<Value> passed to it.
    table["data"]["rows"] = Value::Array(order_rows(v, n));
    table
}

fn note_form(v: &Visitor) -> Value {
    json!({"template": "form", "data": {
        "title": "Add a note",
        "action_id": "save_note",
        "submit_text": "Save note",
        "cancel_text": "Cancel",
        "fields": [
            {"name": "subject", "label": "Subject", "type": "text", "required": true,
             "placeholder": "What happened?"},
            {"name": "priority", "label": "Priority", "type": "select", "default": "normal",
             "options": [{"value": "low", "label": "Low"}, {"value": "normal", "label": "Normal"},
                         {"value": "high", "label": "High"}]},
            {"name": "body", "label": "Note", "type": "textarea", "rows": 4,
             "placeholder": "Details for the next agent"},
            {"name": "notify", "label": "Notify the account manager", "type": "switch",
             "default": false},
            {"name": "visitor_id", "label": "Visitor", "type": "hidden", "default": v.id},
        ]
    }})
}

/// "Customer 360": profile, actions, and tabs with orders, a note form and activity.
pub fn customer_360(params: &Value) -> Value {
    let v = Visitor::from_params(params);
    let rows = params
        .get("rows")
        .and_then(Value::as_u64)
        .map_or(4, |n| n as usize);
    let profile = json!({"template": "key_value", "data": {
        "title": "Profile",
        "items": [
            {"label": "Name", "value": v.name, "icon": "user"},
            {"label": "Email", "value": v.email, "icon": "mail", "copyable": true},
            {"label": "Tier", "value": v.tier.0, "type": "badge", "color": v.tier.1},
            {"label": "CRM", "value": "Open record", "type": "link",
             "link": format!("https://crm.example.com/visitors/{}", v.id)},
            {"label": "Customer since", "value": "2021-03-14", "type": "date"},
        ]
    }});
    let buttons = json!({"template": "group", "data": {"layout": "horizontal", "items": [
        {"template": "button", "data": {"label": "Refresh", "action_id": "refresh",
                                        "type": "primary", "icon": "refresh-cw"}},
        {"template": "button", "data": {"label": "Copy email", "action_id": "copy_email",
                                        "type": "secondary", "icon": "copy"}},
        {"template": "button", "data": {"label": "Open in CRM", "action_id": "open_crm",
                                        "type": "link", "icon": "external-link"}},
    ]}});
    // `button` has no confirm; the dangerous one lives in an `action` template.
    let danger = json!({"template": "action", "data": {"buttons": [
        {"id": "details", "label": "Last order details", "type": "default", "icon": "receipt"},
        {"id": "batch", "label": "Mark VIP", "type": "ghost", "icon": "star"},
        {"id": "block", "label": "Block visitor", "type": "danger", "icon": "ban",
         "confirm": format!("Block {}? They will not be able to chat.", v.name)},
    ]}});
    let activity = json!({"template": "timeline", "data": {"items": [
        {"time": "2025-06-02 10:12", "title": "Opened chat", "status": "info",
         "description": "From the pricing page"},
        {"time": "2025-05-28 16:40", "title": "Order delivered", "status": "success"},
        {"time": "2025-05-20 09:03", "title": "Payment retried", "status": "warning"},
    ]}});
    let mut tabs = json!({"template": "tabs", "data": {"default_tab": "orders", "items": [
        {"key": "orders", "label": "Orders", "icon": "shopping-cart", "content": null},
        {"key": "note", "label": "Note", "icon": "sticky-note", "content": note_form(&v)},
        {"key": "activity", "label": "Activity", "icon": "clock", "content": activity},
    ]}});
    tabs["data"]["items"][0]["content"] = orders_table(&v, rows);
    group("vertical", vec![profile, buttons, danger, tabs])
}

/// "Every template": tabs that together use every template with all its fields.
pub fn every_template() -> Value {
    let tab = |key: &str, label: &str, icon: &str, content: Value| json!({"key": key, "label": label, "icon": icon, "content": content});
    json!({"template": "tabs", "data": {"default_tab": "text", "items": [
        tab("text", "Text", "type", text_tab()),
        tab("data", "Data", "table", data_tab()),
        tab("buttons", "Buttons", "mouse-pointer-click", buttons_tab()),
        tab("form", "Form", "square-pen", form_tab()),
        tab("cards", "Cards", "id-card", cards_tab()),
        tab("links", "Links", "link", links_tab()),
        tab("lists", "Lists", "list", lists_tab()),
        tab("states", "States", "hourglass", states_tab()),
    ]}})
}

/// A `group` that takes ownership of its items (`json!` would copy them).
fn group(layout: &str, items: Vec<Value>) -> Value {
    let mut data = Map::new();
    data.insert("layout".into(), layout.into());
    data.insert("items".into(), Value::Array(items));
    let mut group = Map::new();
    group.insert("template".into(), "group".into());
    group.insert("data".into(), Value::Object(data));
    Value::Object(group)
}

fn text_tab() -> Value {
    let mut items = Vec::new();
    for (kind, size) in [
        ("default", "base"),
        ("info", "sm"),
        ("success", "lg"),
        ("warning", "xl"),
        ("error", "base"),
    ] {
        items.push(json!({"template": "text", "data": {
            "text": format!("A {kind} text, size {size}"),
            "type": kind, "size": size, "bold": kind == "error", "copyable": kind == "info",
        }}));
    }
    items.push(json!({"template": "text", "data": {
        "text": "Custom colour #7c3aed, bold and copyable", "type": "default",
        "color": "#7c3aed", "bold": true, "copyable": true, "size": "sm",
    }}));
    group("vertical", items)
}

fn data_tab() -> Value {
    let kv = json!({"template": "key_value", "data": {"title": "Every item type", "items": [
        {"label": "Plain", "value": "Just text", "type": "text", "icon": "file-text"},
        {"label": "Signed up", "value": "2024-11-05", "type": "date", "icon": "calendar"},
        {"label": "Last seen", "value": "2025-06-02T10:12:00Z", "type": "datetime"},
        {"label": "Lifetime value", "value": "1234.50", "type": "currency", "color": "#15803d"},
        {"label": "Plan", "value": "Enterprise", "type": "badge", "color": "#5b6ee1"},
        {"label": "Docs", "value": "protocol", "type": "link",
         "link": "https://docs.example.com/tgo/protocol", "copyable": true},
    ]}});
    let table = json!({"template": "table", "data": {
        "title": "Shipments",
        "columns": [
            {"key": "id", "label": "ID", "width": 80, "align": "left", "type": "text"},
            {"key": "carrier", "label": "Carrier", "align": "center", "type": "badge"},
            {"key": "track", "label": "Tracking", "type": "link"},
            {"key": "sent", "label": "Sent", "type": "date"},
            {"key": "eta", "label": "ETA", "align": "right", "type": "datetime"},
        ],
        "rows": [
            {"id": "SH-1", "carrier": {"text": "DHL", "color": "orange"},
             "track": "https://track.example.com/SH-1", "sent": "2025-05-30",
             "eta": "2025-06-03T12:00:00Z"},
            {"id": "SH-2", "carrier": {"text": "UPS", "color": "blue"},
             "track": "https://track.example.com/SH-2", "sent": "2025-05-31",
             "eta": "2025-06-04T18:00:00Z"},
            {"id": "SH-3", "carrier": {"text": "Lost", "color": "red"},
             "track": "https://track.example.com/SH-3", "sent": "2025-05-01", "eta": ""},
        ],
        "pagination": {"total": 27, "page": 1, "page_size": 3},
        "row_click_action": "select_shipment",
    }});
    let stats = json!({"template": "stats", "data": {"items": [
        {"label": "Orders", "value": "42", "icon": "shopping-cart", "trend": "+12%",
         "trend_type": "up", "color": "#15803d"},
        {"label": "Refunds", "value": "3", "icon": "undo-2", "trend": "-1",
         "trend_type": "down", "color": "#b91c1c"},
        {"label": "CSAT", "value": "4.8", "icon": "smile"},
    ]}});
    group("vertical", vec![stats, kv, table])
}

fn buttons_tab() -> Value {
    let mut row = Vec::new();
    for (label, action_id, kind, size, icon, disabled) in [
        ("Refresh", "refresh", "primary", "md", "refresh-cw", false),
        ("Copy email", "copy_email", "secondary", "sm", "copy", false),
        ("Block", "block", "danger", "lg", "ban", false),
        ("Open CRM", "open_crm", "link", "sm", "external-link", false),
        ("Archived", "noop", "secondary", "sm", "archive", true),
    ] {
        row.push(json!({"template": "button", "data": {
            "label": label, "action_id": action_id, "type": kind, "size": size,
            "icon": icon, "disabled": disabled,
        }}));
    }
    let action = json!({"template": "action", "data": {"buttons": [
        {"id": "details", "label": "Show details", "type": "primary", "icon": "eye", "size": "md"},
        {"id": "batch", "label": "Toast, then refresh", "type": "default", "size": "sm"},
        {"id": "block", "label": "Block (asks first)", "type": "danger", "icon": "ban",
         "confirm": "Really block this visitor?"},
        {"id": "send", "label": "Send summary", "type": "ghost", "icon": "send"},
        {"id": "insert", "label": "Saving…", "type": "default", "loading": true},
        {"id": "close", "label": "Unavailable", "type": "default", "disabled": true},
    ]}});
    group(
        "vertical",
        vec![
            json!({"template": "text", "data": {"text": "button (horizontal group)", "bold": true}}),
            group("horizontal", row),
            json!({"template": "text", "data": {"text": "action (confirm, loading, disabled)", "bold": true}}),
            action,
        ],
    )
}

fn form_tab() -> Value {
    json!({"template": "form", "data": {
        "title": "Every field type",
        "action_id": "submit",
        "submit_text": "Submit",
        "cancel_text": "Reset",
        "fields": [
            {"name": "name", "label": "Name", "type": "text", "required": true,
             "placeholder": "Full name"},
            {"name": "bio", "label": "Bio", "type": "textarea", "rows": 3,
             "placeholder": "A few words"},
            {"name": "age", "label": "Age", "type": "number", "default": 30},
            {"name": "country", "label": "Country", "type": "select", "default": "fr",
             "options": [{"value": "fr", "label": "France"}, {"value": "jp", "label": "Japan"},
                         {"value": "br", "label": "Brazil"}]},
            {"name": "contact", "label": "Contact by", "type": "radio", "default": "email",
             "options": [{"value": "email", "label": "Email"}, {"value": "phone", "label": "Phone"}]},
            {"name": "topics", "label": "Topics", "type": "checkbox",
             "options": [{"value": "billing", "label": "Billing"},
                         {"value": "shipping", "label": "Shipping"}]},
            {"name": "birthday", "label": "Birthday", "type": "date"},
            {"name": "callback", "label": "Call back at", "type": "datetime"},
            {"name": "vip", "label": "VIP", "type": "switch", "default": true},
            {"name": "source", "label": "Source", "type": "hidden", "default": "every-template"},
        ]
    }})
}

fn cards_tab() -> Value {
    let card = json!({"template": "card", "data": {
        "title": "Trail Runner 3", "subtitle": "Last viewed 5 minutes ago",
        "image": "https://picsum.photos/seed/shoe/320/200",
        "fields": [
            {"label": "Price", "value": "$129.00", "highlight": true},
            {"label": "Size", "value": "EU 42"},
        ],
        "tags": [{"text": "In stock", "color": "green"}, {"text": "Sale", "color": "red"}],
        "actions": [
            {"label": "Send to chat", "action_id": "send", "type": "primary"},
            {"label": "Details", "action_id": "details", "type": "default"},
        ],
        "footer": "SKU TR3-42-BLK",
    }});
    let cards = json!({"template": "cards", "data": {
        "title": "Recommended", "layout": "grid", "item_click_action": "select_product",
        "items": [
            {"id": "p-1", "title": "Rain jacket", "image": "https://picsum.photos/seed/j/160/120",
             "description": "Light, packable", "price": "$89.00"},
            {"id": "p-2", "title": "Wool socks", "image": "https://picsum.photos/seed/s/160/120",
             "description": "Pack of 3", "price": "$19.00"},
        ]
    }});
    let list_cards = json!({"template": "cards", "data": {"layout": "list", "items": [
        {"id": "p-3", "title": "Headlamp", "image": "https://picsum.photos/seed/h/160/120",
         "description": "400 lumens", "price": "$35.00"},
    ]}});
    group("vertical", vec![card, cards, list_cards])
}

fn links_tab() -> Value {
    let link = json!({"template": "link", "data": {
        "text": "Open the visitor in the CRM", "url": "https://crm.example.com/visitors",
        "icon": "external-link", "target": "_blank", "description": "Opens in a new tab",
    }});
    let links = json!({"template": "links", "data": {"title": "Help centre", "items": [
        {"text": "Returns policy", "url": "https://help.example.com/returns", "icon": "undo-2"},
        {"text": "Shipping times", "url": "https://help.example.com/shipping", "icon": "truck"},
    ]}});
    let markdown = json!({"template": "markdown", "data": {"max_height": 200, "content":
        "## Markdown\n\n**Bold**, *italic*, `code` and a [link](https://example.com).\n\n\
         - one\n- two\n\n```\nlet x = 1;\n```\n"}});
    group("vertical", vec![link, links, markdown])
}

fn lists_tab() -> Value {
    let rich = json!({"template": "list", "data": {
        "title": "Recent conversations", "searchable": true, "show_more": true,
        "more_action": "refresh",
        "items": [
            {"title": "Where is my order?", "description": "Resolved by Ana",
             "time": "2025-06-01 14:20", "icon": "message-circle"},
            {"title": "Change address", "description": "Waiting for the visitor",
             "time": "2025-05-27 09:05", "icon": "map-pin"},
        ]
    }});
    let simple = json!({"template": "list", "data": {"items": [
        {"id": "tag-1", "text": "Prefers email"},
        {"id": "tag-2", "text": "Speaks French"},
    ]}});
    let timeline = json!({"template": "timeline", "data": {"title": "Order ORD-10001", "items": [
        {"time": "06-01 09:00", "title": "Placed", "description": "Paid by card", "status": "success"},
        {"time": "06-01 12:00", "title": "Packed", "description": "Warehouse B", "status": "info"},
        {"time": "06-02 08:00", "title": "Delayed", "description": "Storm", "status": "warning"},
        {"time": "06-02 18:00", "title": "Lost scan", "description": "Carrier", "status": "error"},
        {"time": "06-03", "title": "Expected", "description": "Estimate", "status": "default"},
    ]}});
    group("vertical", vec![rich, simple, timeline])
}

fn states_tab() -> Value {
    group(
        "horizontal",
        vec![
            json!({"template": "empty", "data": {"icon": "inbox", "title": "No tickets",
                   "description": "This visitor never opened a ticket",
                   "action": {"id": "refresh", "label": "Check again"}}}),
            json!({"template": "loading", "data": {"text": "Loading recommendations…"}}),
        ],
    )
}

/// The chat toolbar's modal: quick replies to insert or send.
pub fn quick_replies(params: &Value) -> Value {
    let v = Visitor::from_params(params);
    let first = v.name.split(' ').next().unwrap_or("there").to_string();
    json!({"template": "group", "data": {"items": [
        {"template": "list", "data": {"title": "Quick replies", "items": [
            {"title": "Greeting", "description": format!("Hi {first}, how can I help?"),
             "icon": "hand"},
            {"title": "Order status", "description": "Here is the status of your order:",
             "icon": "package"},
            {"title": "Goodbye", "description": "Thanks for chatting with us!", "icon": "smile"},
        ]}},
        group("horizontal", vec![
            json!({"template": "button", "data": {"label": "Insert greeting",
                   "action_id": "insert", "type": "secondary", "icon": "text-cursor-input"}}),
            json!({"template": "button", "data": {"label": "Send order summary",
                   "action_id": "send", "type": "primary", "icon": "send"}}),
        ]),
    ]}})
}

fn action(name: &str, data: Value) -> Value {
    json!({"action": name, "data": data})
}

fn toast(message: impl Into<String>, kind: &str, duration: u64) -> Value {
    action(
        "show_toast",
        json!({"message": message.into(), "type": kind, "duration": duration}),
    )
}

/// The JSON-ACTION answering a `*/event`.
pub fn event(params: &Value) -> Value {
    let v = Visitor::from_params(params);
    let event_type = str_at(params, "event_type").unwrap_or("button_click");
    let action_id = str_at(params, "action_id").unwrap_or("");
    match event_type {
        "form_submit" => {
            let data = params.get("form_data").cloned().unwrap_or(Value::Null);
            toast(format!("Saved ({action_id}): {data}"), "success", 3000)
        }
        "item_select" => {
            let selected = params
                .get("selected_id")
                .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_string))
                .unwrap_or_else(|| "nothing".to_string());
            toast(format!("Selected {selected} ({action_id})"), "info", 2000)
        }
        _ => match action_id {
            "refresh" => action("refresh", json!({})),
            "copy_email" => action("copy_text", json!({"text": v.email})),
            "block" => toast(format!("Visitor {} blocked", v.id), "warning", 3000),
            "open_crm" => action(
                "open_url",
                json!({"url": format!("https://crm.example.com/visitors/{}", v.id),
                       "target": "_blank"}),
            ),
            "details" => action("show_modal", details_modal(&v)),
            "close" => action("close_modal", json!({})),
            "batch" => action(
                "batch",
                json!({"actions": [
                    toast(format!("{} marked VIP", v.name), "success", 2000),
                    action("refresh", json!({})),
                ]}),
            ),
            "insert" => {
                let text = params
                    .get("payload")
                    .and_then(|p| str_at(p, "text"))
                    .map_or_else(
                        || format!("Hi {}, how can I help you today?", v.name),
                        str::to_string,
                    );
                action("insert_text", json!({"text": text, "replace": false}))
            }
            "send" => {
                let rows = order_rows(&v, 2);
                let mut content = String::from("**Your recent orders**\n\n");
                for row in &rows {
                    let _ = writeln!(
                        content,
                        "- `{}`: {} ({})",
                        row["id"].as_str().unwrap_or_default(),
                        row["total"].as_str().unwrap_or_default(),
                        row["status"]["text"].as_str().unwrap_or_default(),
                    );
                }
                action(
                    "send_message",
                    json!({"content": content, "content_type": "markdown"}),
                )
            }
            _ => action("noop", json!({})),
        },
    }
}

/// `show_modal` data: a nested JSON-UI with a button that closes the modal.
fn details_modal(v: &Visitor) -> Value {
    let order = order_rows(v, 1).remove(0);
    json!({
        "title": format!("Order {}", order["id"].as_str().unwrap_or_default()),
        "template": "group",
        "data": {"items": [
            {"template": "key_value", "data": {"items": [
                {"label": "Placed", "value": order["placed"], "type": "date"},
                {"label": "Items", "value": order["items"]},
                {"label": "Total", "value": order["total"]},
                {"label": "Status", "value": order["status"]["text"], "type": "badge"},
            ]}},
            {"template": "button", "data": {"label": "Close", "action_id": "close",
                                            "type": "secondary"}},
        ]}
    })
}

fn invalid_params(message: impl Into<String>) -> RpcError {
    rpc_error(INVALID_PARAMS, message)
}

/// `tool/execute` for the two order tools.
pub fn execute_tool(params: &Value) -> Result<Value, RpcError> {
    let tool = str_at(params, "tool_name").unwrap_or("");
    let empty = Value::Object(Map::new());
    let args = params.get("arguments").unwrap_or(&empty);
    let order_id = || {
        str_at(args, "order_id")
            .ok_or_else(|| invalid_params(format!("{tool}: order_id (string) is required")))
    };
    match tool {
        "lookup_order" => {
            let order_id = order_id()?;
            let include_items = args
                .get("include_items")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let n = order_id.bytes().map(u64::from).sum::<u64>();
            let (status, _) = STATUSES[(n % STATUSES.len() as u64) as usize];
            let cents = 1_000 + n * 37 % 90_000;
            let total = format!("{}.{:02}", cents / 100, cents % 100);
            let mut data = json!({"order_id": order_id, "status": status, "total": total,
                                  "currency": "USD"});
            let mut content = format!("Order {order_id}: {status}, total ${total}");
            if include_items {
                data["items"] = json!([
                    {"sku": "TR3-42-BLK", "name": "Trail Runner 3", "qty": 1},
                    {"sku": "SOCK-3P", "name": "Wool socks", "qty": 2},
                ]);
                content.push_str("; items: Trail Runner 3 ×1, Wool socks ×2");
            }
            Ok(json!({"success": true, "content": content, "data": data}))
        }
        "refund" => {
            let order_id = order_id()?;
            let amount = args
                .get("amount")
                .and_then(Value::as_f64)
                .ok_or_else(|| invalid_params("refund: amount (number) is required"))?;
            if amount <= 0.0 {
                return Err(invalid_params("refund: amount must be positive"));
            }
            let reason = match args.get("reason") {
                None | Some(Value::Null) => "other",
                Some(r) => match r.as_str() {
                    Some(r @ ("damaged" | "late" | "other")) => r,
                    _ => {
                        return Err(invalid_params(format!(
                            "refund: reason must be damaged, late or other, got {r}"
                        )));
                    }
                },
            };
            if amount > 1000.0 {
                return Ok(json!({"success": false, "error": format!(
                    "Refunds over 1000 need a supervisor; {order_id} asked for {amount:.2}"
                )}));
            }
            Ok(json!({
                "success": true,
                "content": format!("Refunded {amount:.2} on {order_id} ({reason})"),
                "data": {"order_id": order_id, "amount": amount, "reason": reason,
                         "refund_id": format!("RF-{order_id}")},
            }))
        }
        other => Err(invalid_params(format!("Unknown tool: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use tokio_util::codec::Framed;

    /// Every `"template"` value in a JSON-UI tree (modal data included).
    fn templates_in(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(t)) = map.get("template") {
                    out.insert(t.clone());
                }
                map.values().for_each(|x| templates_in(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| templates_in(x, out)),
            _ => {}
        }
    }

    /// Every event a UI can send, as (event_type, action_id).
    fn events_in(v: &Value, out: &mut BTreeSet<(String, String)>) {
        let mut add = |t: &str, a: &str| out.insert((t.to_string(), a.to_string()));
        match v {
            Value::Object(map) => {
                let data = map.get("data").unwrap_or(&Value::Null);
                match map.get("template").and_then(Value::as_str) {
                    Some("button") => {
                        add("button_click", data["action_id"].as_str().unwrap());
                    }
                    Some("action") => {
                        for b in data["buttons"].as_array().unwrap() {
                            add("button_click", b["id"].as_str().unwrap());
                        }
                    }
                    Some("form") => {
                        add(
                            "form_submit",
                            data["action_id"].as_str().unwrap_or("submit"),
                        );
                    }
                    Some("card") => {
                        for b in data["actions"].as_array().unwrap() {
                            add("button_click", b["action_id"].as_str().unwrap());
                        }
                    }
                    Some("empty") => {
                        add("button_click", data["action"]["id"].as_str().unwrap());
                    }
                    Some("table") => {
                        if let Some(a) = data["row_click_action"].as_str() {
                            add("item_select", a);
                        }
                    }
                    Some("cards") => {
                        if let Some(a) = data["item_click_action"].as_str() {
                            add("item_select", a);
                        }
                    }
                    Some("list") => {
                        if let Some(a) = data["more_action"].as_str() {
                            add("button_click", a);
                        }
                        if data["items"][0].get("id").is_some() {
                            add("item_select", "");
                        }
                    }
                    _ => {}
                }
                map.values().for_each(|x| events_in(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| events_in(x, out)),
            _ => {}
        }
    }

    fn actions_in(v: &Value, out: &mut BTreeSet<String>) {
        out.insert(v["action"].as_str().unwrap().to_string());
        if let Some(inner) = v["data"]["actions"].as_array() {
            inner.iter().for_each(|a| actions_in(a, out));
        }
    }

    fn render(index: u64) -> Value {
        let params = json!({"visitor_id": "v-42", "capability_index": index});
        dispatch("visitor_panel/render", &params).unwrap()
    }

    #[test]
    fn every_template_uses_every_template() {
        let mut seen = BTreeSet::new();
        templates_in(&every_template(), &mut seen);
        for t in ALL_TEMPLATES {
            assert!(seen.contains(*t), "template {t} missing");
        }
        assert_eq!(
            seen.len(),
            ALL_TEMPLATES.len(),
            "unexpected templates: {seen:?}"
        );
        let text = every_template().to_string();
        for needle in [
            "\"layout\":\"horizontal\"",
            "\"layout\":\"vertical\"",
            "\"confirm\"",
            "\"loading\":true",
            "\"disabled\":true",
        ] {
            assert!(text.contains(needle), "{needle} missing");
        }
        for kind in ["default", "info", "success", "warning", "error"] {
            assert!(
                text.contains(&format!("\"type\":\"{kind}\"")),
                "text type {kind}"
            );
        }
        for field in [
            "text", "textarea", "number", "select", "radio", "checkbox", "date", "datetime",
            "switch", "hidden",
        ] {
            assert!(
                text.contains(&format!("\"type\":\"{field}\"")),
                "field type {field}"
            );
        }
    }

    #[test]
    fn every_action_is_reachable_from_the_rendered_uis() {
        let mut uis = vec![
            render(0),
            render(1),
            dispatch("chat_toolbar/render", &json!({"visitor_id": "v-42"})).unwrap(),
        ];
        let mut events = BTreeSet::new();
        let mut actions = BTreeSet::new();
        while let Some(ui) = uis.pop() {
            let mut found = BTreeSet::new();
            events_in(&ui, &mut found);
            for (event_type, action_id) in found {
                if !events.insert((event_type.clone(), action_id.clone())) {
                    continue;
                }
                let params = json!({"event_type": event_type, "action_id": action_id,
                                    "visitor_id": "v-42", "selected_id": "x",
                                    "form_data": {"subject": "hi"}});
                let answer = dispatch("visitor_panel/event", &params).unwrap();
                actions_in(&answer, &mut actions);
                if answer["action"] == "show_modal" {
                    // The modal is itself a JSON-UI whose buttons count too.
                    uis.push(answer["data"].clone());
                }
            }
        }
        let unknown = json!({"event_type": "button_click", "action_id": "what"});
        actions_in(&event(&unknown), &mut actions);
        for a in ALL_ACTIONS {
            assert!(
                actions.contains(*a),
                "action {a} unreachable; got {actions:?}"
            );
        }
        assert!(events.contains(&("button_click".into(), "close".into())));
    }

    #[test]
    fn events_answer_as_documented() {
        let ev = |id: &str| {
            event(&json!({"event_type": "button_click", "action_id": id, "visitor_id": "v"}))
        };
        assert_eq!(ev("block")["data"]["type"], "warning");
        assert_eq!(ev("block")["data"]["duration"], 3000);
        assert_eq!(ev("send")["data"]["content_type"], "markdown");
        assert_eq!(ev("batch")["data"]["actions"][0]["data"]["type"], "success");
        assert_eq!(ev("batch")["data"]["actions"][1]["action"], "refresh");
        assert_eq!(ev("nope"), json!({"action": "noop", "data": {}}));
        let modal = ev("details");
        assert!(modal["data"]["title"].is_string());
        assert_eq!(modal["data"]["template"], "group");
        let form = event(
            &json!({"event_type": "form_submit", "action_id": "save_note",
                                 "form_data": {"subject": "late parcel"}}),
        );
        assert!(
            form["data"]["message"]
                .as_str()
                .unwrap()
                .contains("late parcel")
        );
        let select = event(&json!({"event_type": "item_select", "selected_id": "ORD-10002"}));
        assert!(
            select["data"]["message"]
                .as_str()
                .unwrap()
                .contains("ORD-10002")
        );
    }

    #[test]
    fn an_event_uses_what_the_render_said_about_its_visitor() {
        // The console (and the real host) send the visitor object with renders only.
        let params = json!({"visitor_id": "v-mail", "visitor": {"name": "李四",
                            "email": "lisi@example.com"}});
        assert!(
            customer_360(&params)
                .to_string()
                .contains("lisi@example.com")
        );
        let copy = event(
            &json!({"event_type": "button_click", "action_id": "copy_email",
                                 "visitor_id": "v-mail"}),
        );
        assert_eq!(copy["data"]["text"], "lisi@example.com");
    }

    #[test]
    fn customer_360_sizes_its_table_and_is_stable() {
        let params = json!({"visitor_id": "v-7", "rows": 1000,
                            "visitor": {"name": "Zoë Park", "email": "zoe@example.org"}});
        let ui = customer_360(&params);
        assert_eq!(ui, customer_360(&params));
        let table = &ui["data"]["items"][3]["data"]["items"][0]["content"];
        assert_eq!(table["template"], "table");
        let rows = table["data"]["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1000);
        assert_eq!(rows[0]["id"], "ORD-10001");
        assert!(rows[0]["status"]["color"].is_string());
        let text = ui.to_string();
        assert!(text.contains("zoe@example.org") && text.contains("Zoë Park"));
        assert_eq!(
            render(7)["template"],
            "group",
            "unknown index: Customer 360"
        );
    }

    #[test]
    fn tools_and_unknown_methods() {
        let call =
            |tool: &str, args: Value| execute_tool(&json!({"tool_name": tool, "arguments": args}));
        let found = call(
            "lookup_order",
            json!({"order_id": "ORD-1", "include_items": true}),
        );
        let found = found.unwrap();
        assert_eq!(found["success"], true);
        assert!(found["data"]["items"].is_array());
        let big = call("refund", json!({"order_id": "ORD-1", "amount": 1500})).unwrap();
        assert_eq!(big["success"], false);
        assert!(big["error"].is_string());
        let small = call(
            "refund",
            json!({"order_id": "ORD-1", "amount": 20, "reason": "late"}),
        );
        assert_eq!(small.unwrap()["success"], true);
        assert_eq!(
            call("refund", json!({"order_id": "X"})).unwrap_err().code,
            INVALID_PARAMS
        );
        assert_eq!(
            call("teleport", json!({})).unwrap_err().code,
            INVALID_PARAMS
        );
        let missing = dispatch("sidebar_iframe/config", &json!({})).unwrap_err();
        assert_eq!(missing.code, METHOD_NOT_FOUND);
        assert_eq!(missing.message, "Method not found: sidebar_iframe/config");
        assert_eq!(
            dispatch("ping", &Value::Null).unwrap(),
            json!({"pong": true})
        );
    }

    #[test]
    fn cached_answers_are_the_answers_built_afresh() {
        let mut cache = AnswerCache::default();
        let with_visitor = json!({"visitor_id": "v-c", "visitor": {"name": "Ada Byron"}});
        for (method, params) in [
            ("visitor_panel/render", with_visitor.clone()),
            ("chat_toolbar/render", with_visitor.clone()),
            ("ping", json!({})),
            ("visitor_panel/render", json!({"visitor_id": "v-c"})),
            (
                "visitor_panel/event",
                json!({"visitor_id": "v-c", "action_id": "copy_email"}),
            ),
            ("nope", json!({})),
        ] {
            for (i, id) in [Id::Num(7), Id::Str("x8".into()), Id::Num(9)]
                .iter()
                .enumerate()
            {
                let (cached, outcome) = cache.answer(id, method, &params);
                let (fresh, fresh_outcome) = encode_answer(id, method, &params);
                assert_eq!(outcome, fresh_outcome, "{method}");
                let parsed: Value = serde_json::from_slice(&cached).unwrap();
                let expected: Value = serde_json::from_slice(&fresh).unwrap();
                assert_eq!(parsed, expected, "{method} #{i}");
            }
        }
        assert_eq!(cache.results.len(), 3, "renders with the visitor, and ping");
    }

    #[test]
    fn only_slow_requests_and_big_tables_get_their_own_task() {
        assert!(is_heavy("slow", &json!({"ms": 1})));
        assert!(is_heavy("visitor_panel/render", &json!({"rows": 5000})));
        assert!(!is_heavy("visitor_panel/render", &json!({"rows": 10})));
        assert!(!is_heavy("visitor_panel/render", &Value::Null));
        assert!(!is_heavy("ping", &json!({})));
    }

    #[test]
    fn register_declares_four_capabilities() {
        let p = register_params(&DemoOptions::default());
        assert_eq!(p["id"], "com.tgo.demo");
        let caps = p["capabilities"].as_array().unwrap();
        let kinds: Vec<_> = caps.iter().map(|c| c["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "visitor_panel",
                "visitor_panel",
                "chat_toolbar",
                "mcp_tools"
            ]
        );
        assert!(caps.iter().all(|c| c["title"].is_string()));
        assert_eq!(
            caps[3]["tools"][1]["parameters"][2]["enum_values"][0],
            "damaged"
        );
    }

    // ---- a real socket: a test host drives `run` ----

    type HostConn = Framed<tokio::net::UnixStream, FrameCodec>;

    async fn recv_json(conn: &mut HostConn) -> Value {
        let frame = tokio::time::timeout(Duration::from_secs(10), conn.next())
            .await
            .expect("plugin answered in time")
            .expect("connection open")
            .expect("well-formed frame");
        serde_json::from_slice(&frame).unwrap()
    }

    async fn request(conn: &mut HostConn, id: u64, method: &str, params: Value) {
        conn.send(jsonrpc::request_bytes(id, method, &params))
            .await
            .unwrap();
    }

    /// Binds a socket, starts the plugin, accepts it and reads its `register`.
    async fn start() -> (
        tempfile::TempDir,
        HostConn,
        Value,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tgo.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let opts = DemoOptions {
            socket: Some(path),
            ..DemoOptions::default()
        };
        let plugin = tokio::spawn(run(opts));
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = Framed::new(stream, FrameCodec::new(u32::MAX as usize));
        let register = recv_json(&mut conn).await;
        (dir, conn, register, plugin)
    }

    #[tokio::test]
    async fn serves_a_host_over_a_real_socket() {
        let (_dir, mut conn, register, plugin) = start().await;
        assert_eq!(register["method"], "register");
        assert_eq!(register["id"], 1);
        let ok = json!({"success": true, "plugin_id": "com.tgo.demo", "host_version": "test"});
        conn.send(jsonrpc::result_bytes(&Id::Num(1), &ok))
            .await
            .unwrap();

        // A slow request first: the quick ones must overtake it.
        request(&mut conn, 1, "slow", json!({"ms": 300})).await;
        request(&mut conn, 2, "ping", json!({})).await;
        request(
            &mut conn,
            3,
            "visitor_panel/render",
            json!({"visitor_id": "v-1", "capability_index": 1}),
        )
        .await;
        request(
            &mut conn,
            4,
            "visitor_panel/render",
            json!({"visitor_id": "v-1", "rows": 5000}),
        )
        .await;
        request(
            &mut conn,
            5,
            "visitor_panel/event",
            json!({"event_type": "button_click", "action_id": "details"}),
        )
        .await;
        request(
            &mut conn,
            6,
            "tool/execute",
            json!({"tool_name": "refund", "arguments": {"order_id": "A", "amount": 5000}}),
        )
        .await;
        request(
            &mut conn,
            7,
            "tool/execute",
            json!({"tool_name": "nope", "arguments": {}}),
        )
        .await;
        request(&mut conn, 8, "host/whatever", json!({})).await;

        let mut answers = std::collections::HashMap::new();
        let mut order = Vec::new();
        while answers.len() < 8 {
            let answer = recv_json(&mut conn).await;
            let id = answer["id"].as_u64().unwrap();
            order.push(id);
            answers.insert(id, answer);
        }
        assert_eq!(*order.last().unwrap(), 1, "slow answered last: {order:?}");
        assert_eq!(answers[&1]["result"]["slept_ms"], 300);
        assert_eq!(answers[&2]["result"]["pong"], true);
        assert_eq!(answers[&3]["result"]["template"], "tabs");
        let table = &answers[&4]["result"]["data"]["items"][3]["data"]["items"][0]["content"];
        assert_eq!(table["data"]["rows"].as_array().unwrap().len(), 5000);
        assert_eq!(answers[&5]["result"]["action"], "show_modal");
        assert_eq!(answers[&6]["result"]["success"], false);
        assert_eq!(answers[&7]["error"]["code"], INVALID_PARAMS);
        assert_eq!(answers[&8]["error"]["code"], METHOD_NOT_FOUND);

        request(&mut conn, 9, "shutdown", json!({})).await;
        assert_eq!(recv_json(&mut conn).await["result"]["success"], true);
        plugin.await.unwrap().expect("clean exit after shutdown");
    }

    #[tokio::test]
    async fn host_hanging_up_is_a_clean_exit() {
        let (_dir, mut conn, _register, plugin) = start().await;
        let ok = json!({"success": true, "plugin_id": "com.tgo.demo"});
        conn.send(jsonrpc::result_bytes(&Id::Num(1), &ok))
            .await
            .unwrap();
        drop(conn);
        plugin
            .await
            .unwrap()
            .expect("clean exit when the host hangs up");
    }

    #[tokio::test]
    async fn refused_registration_is_an_error() {
        let (_dir, mut conn, _register, plugin) = start().await;
        let err = rpc_error(-32000, "capability 0: missing title");
        conn.send(jsonrpc::error_bytes(Some(&Id::Num(1)), &err))
            .await
            .unwrap();
        let failure = plugin.await.unwrap().unwrap_err().to_string();
        assert!(failure.contains("refused registration"), "{failure}");
        assert!(failure.contains("missing title"), "{failure}");
    }
}
