//! The TGO plugin host as a library: listeners, connections, registry, pending requests and
//! the message log. It knows nothing about terminals: consumers read [`HostEvent`]s from a
//! channel and the [`MessageLog`], and send commands through a [`HostHandle`].

pub mod capability;
pub mod changes;
mod conn;
pub mod context;
pub mod health;
pub mod listener;
pub mod log;
pub mod register;
mod registry;
pub mod upstream;

pub use capability::CapabilityKind;
pub use conn::Conn;
pub use context::{RenderContext, UiEvent};
pub use health::{Health, HealthLevel, HealthSnapshot};
pub use listener::ListenError;
pub use log::{ConnId, Direction, EntryKind, LogEntry, MessageLog, Party};
pub use register::{Capability, PluginInfo, ToolDef, ToolParam};
pub use registry::{PluginRecord, PluginState};
pub use upstream::{UpstreamAddr, UpstreamConfig};

use crate::protocol::jsonrpc::RawJson;
use crate::protocol::{DEFAULT_MAX_FRAME_BYTES, RpcError, jsonrpc};
use bytes::Bytes;
use parking_lot::{Mutex, MutexGuard};
use registry::Registry;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Where plugins dial by default.
pub const DEFAULT_SOCKET_PATH: &str = "/var/run/tgo/tgo.sock";

/// Everything the host needs to know to start.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// Unix socket to listen on; `None` for TCP only.
    pub socket: Option<PathBuf>,
    pub socket_mode: u32,
    pub tcp: Option<String>,
    pub max_frame_bytes: usize,
    pub request_timeout: Duration,
    pub register_timeout: Duration,
    pub shutdown_grace: Duration,
    pub log_budget_bytes: usize,
    /// Proxy mode: every plugin that registers is registered with this real TGO host too,
    /// and the frames both ways are relayed.
    pub upstream: Option<UpstreamConfig>,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            socket: Some(PathBuf::from(DEFAULT_SOCKET_PATH)),
            socket_mode: 0o600,
            tcp: None,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            request_timeout: Duration::from_secs(30),
            register_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            log_budget_bytes: log::DEFAULT_LOG_BUDGET_BYTES,
            upstream: None,
        }
    }
}

/// Lifecycle news for consumers (frames themselves are in the message log).
#[derive(Clone, Debug)]
pub enum HostEvent {
    Connected {
        conn: ConnId,
        peer: String,
        /// The peer process (Unix sockets only).
        pid: Option<u32>,
    },
    Registered {
        conn: ConnId,
        plugin_id: String,
        info: PluginInfo,
        replaced: Option<ConnId>,
    },
    /// `register` was refused (the reason was sent to the plugin as a -32000 error).
    Rejected { conn: ConnId, reason: String },
    Disconnected {
        conn: ConnId,
        plugin_id: Option<String>,
        reason: String,
    },
    /// Proxy mode: a plugin's connection to the upstream was lost (`connected: false`, the
    /// plugin is kept and the upstream redialled) or is back and registered again.
    Upstream {
        conn: ConnId,
        plugin_id: Option<String>,
        connected: bool,
        text: String,
    },
}

/// How one host→plugin request ended: exactly one of these, always. `R` is how a result is
/// held: a [`Value`] ([`Ticket::wait`]) or its raw JSON text ([`Ticket::wait_raw`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome<R = Value> {
    Result {
        value: R,
    },
    PluginError(RpcError),
    /// No answer in time. `meanwhile`: the invalid frames the plugin sent instead, if any (a
    /// timeout with garbage on the wire is a broken plugin, not a slow one).
    Timeout {
        after: Duration,
        meanwhile: Option<String>,
    },
    Disconnected {
        reason: String,
    },
    InvalidAnswer {
        reason: String,
    },
    Cancelled,
}

impl<R> Outcome<R> {
    /// The same outcome with its result turned by `f` (which may find it unusable).
    pub fn try_map<S>(self, f: impl FnOnce(R) -> Result<S, String>) -> Outcome<S> {
        match self {
            Outcome::Result { value } => match f(value) {
                Ok(value) => Outcome::Result { value },
                Err(reason) => Outcome::InvalidAnswer { reason },
            },
            Outcome::PluginError(e) => Outcome::PluginError(e),
            Outcome::Timeout { after, meanwhile } => Outcome::Timeout { after, meanwhile },
            Outcome::Disconnected { reason } => Outcome::Disconnected { reason },
            Outcome::InvalidAnswer { reason } => Outcome::InvalidAnswer { reason },
            Outcome::Cancelled => Outcome::Cancelled,
        }
    }

    /// One line for reports and status bars.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Result { .. } => "ok".into(),
            Outcome::PluginError(e) => format!("plugin error {}: {}", e.code, e.message),
            Outcome::Timeout { after, meanwhile } => {
                let mut text = format!("timed out after {:.1} s", after.as_secs_f64());
                if let Some(m) = meanwhile {
                    text.push_str(&format!("; meanwhile the plugin sent {m}"));
                }
                text
            }
            Outcome::Disconnected { reason } => format!("disconnected before answering ({reason})"),
            Outcome::InvalidAnswer { reason } => format!("invalid answer: {reason}"),
            Outcome::Cancelled => "cancelled by user".into(),
        }
    }
}

/// A finished request.
#[derive(Clone, Debug)]
pub struct Reply<R = Value> {
    pub plugin_id: String,
    pub method: String,
    pub id: u64,
    pub outcome: Outcome<R>,
    pub latency: Duration,
    pub request_seq: u64,
    pub response_seq: Option<u64>,
}

impl Reply<RawJson> {
    /// The reply with its result parsed into a [`Value`] (the raw text is dropped: a big
    /// answer is held once, as a tree, not twice).
    pub fn parsed(self) -> Reply {
        Reply {
            outcome: self.outcome.try_map(|raw| raw.parse()),
            plugin_id: self.plugin_id,
            method: self.method,
            id: self.id,
            latency: self.latency,
            request_seq: self.request_seq,
            response_seq: self.response_seq,
        }
    }
}

/// Why a request could not even be sent.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RequestError {
    #[error("no connected plugin with id {0:?}")]
    NoSuchPlugin(String),
}

/// A request on its way: await [`Ticket::wait`] for its outcome; `id`/`conn` allow cancelling.
pub struct Ticket {
    pub plugin_id: String,
    pub method: String,
    pub conn: ConnId,
    pub id: u64,
    pub request_seq: u64,
    sent: Instant,
    timeout: Duration,
    rx: oneshot::Receiver<(Outcome<RawJson>, Option<u64>)>,
    conn_ref: Arc<Conn>,
    shared: Arc<Shared>,
}

impl Ticket {
    /// Waits for the answer, the timeout, or the connection's end; a result is parsed into a
    /// [`Value`] here, in the caller's task (the connection's reader only checked it).
    pub async fn wait(self) -> Reply {
        self.wait_raw().await.parsed()
    }

    /// [`wait`](Self::wait), the result left as the raw JSON it arrived in (checked to be JSON
    /// within the depth limit): for callers that do not look inside answers, such as `bench`.
    pub async fn wait_raw(self) -> Reply<RawJson> {
        // From when the request was queued, so a wait for room in the queue counts.
        let deadline = tokio::time::Instant::from_std(self.sent + self.timeout);
        let (outcome, response_seq) = match tokio::time::timeout_at(deadline, self.rx).await {
            Ok(Ok(done)) => done,
            Ok(Err(_)) => (
                Outcome::Disconnected {
                    reason: "connection closed".into(),
                },
                None,
            ),
            Err(_) => {
                self.conn_ref.expire(self.id, "timed out");
                let outcome = Outcome::Timeout {
                    after: self.timeout,
                    meanwhile: self.shared.invalid_since(self.conn, self.request_seq),
                };
                let text = format!(
                    "request {} ({}) {}",
                    self.id,
                    self.method,
                    outcome.summary()
                );
                self.shared
                    .log_event(self.conn, Some(self.plugin_id.clone()), text, true);
                (outcome, None)
            }
        };
        let latency = self.sent.elapsed();
        health::record_in(
            &mut self.shared.health.lock(),
            &self.plugin_id,
            &outcome,
            latency,
            Instant::now(),
        );
        Reply {
            plugin_id: self.plugin_id,
            method: self.method,
            id: self.id,
            outcome,
            latency,
            request_seq: self.request_seq,
            response_seq,
        }
    }
}

pub(crate) struct Shared {
    config: HostConfig,
    log: Mutex<MessageLog>,
    log_seq: watch::Sender<u64>,
    registry: Mutex<Registry>,
    /// Per plugin id, across its connections.
    health: Mutex<std::collections::HashMap<String, Health>>,
    events: mpsc::UnboundedSender<HostEvent>,
    next_conn: AtomicU64,
    stop: CancellationToken,
    tracker: TaskTracker,
    socket_file: Mutex<Option<listener::SocketFile>>,
    addrs: Vec<String>,
}

impl Shared {
    fn emit(&self, event: HostEvent) {
        let _ = self.events.send(event);
    }

    /// Tells watchers the log grew to `seq` (pushed by the caller, outside this call's lock).
    fn log_changed(&self, seq: u64) {
        self.log_seq.send_replace(seq);
    }

    /// The invalid frames `conn` sent after log entry `seq` ("2 invalid frames (first: …)"),
    /// looking at the newest entries only, so a flood costs a bounded scan.
    fn invalid_since(&self, conn: ConnId, seq: u64) -> Option<String> {
        const LOOK_BACK: usize = 10_000;
        let log = self.log.lock();
        let mut count = 0;
        let mut first = None;
        for e in log.entries().iter().rev().take(LOOK_BACK) {
            if e.seq <= seq {
                break;
            }
            if let (true, EntryKind::Invalid { reason }) = (e.conn == conn, &e.kind) {
                count += 1;
                first = Some(reason.clone());
            }
        }
        let first = first?;
        Some(if count == 1 {
            format!("1 invalid frame ({first})")
        } else {
            format!("{count} invalid frames (first: {first})")
        })
    }

    fn log_frame(&self, entry: LogEntry) -> u64 {
        let seq = self.log.lock().push(entry);
        self.log_changed(seq);
        seq
    }

    /// A frame error, with what came of the broken frame (its prefix and first bytes) as the
    /// entry's raw bytes, for the inspector's frame view.
    fn log_frame_error(
        &self,
        conn: ConnId,
        plugin: Option<String>,
        e: &crate::protocol::FrameError,
    ) -> u64 {
        let text = format!("frame error: {e}; closing");
        tracing::info!(conn, plugin = plugin.as_deref().unwrap_or("-"), "{text}");
        let mut entry = LogEntry::new(
            Direction::Local,
            conn,
            plugin,
            e.frame_bytes().unwrap_or_default(),
            EntryKind::Event { text },
        );
        entry.problem = true;
        self.log_frame(entry)
    }

    fn log_event(&self, conn: ConnId, plugin: Option<String>, text: String, problem: bool) -> u64 {
        tracing::info!(conn, plugin = plugin.as_deref().unwrap_or("-"), "{text}");
        let mut entry = LogEntry::new(
            Direction::Local,
            conn,
            plugin,
            bytes::Bytes::new(),
            EntryKind::Event { text },
        );
        entry.problem = problem;
        self.log_frame(entry)
    }
}

/// How a payload the host did not build itself is logged: as what it parses as.
fn crafted_kind(payload: &[u8]) -> EntryKind {
    match jsonrpc::parse(payload) {
        Ok(incoming) => match incoming.message {
            jsonrpc::Message::Request { id, method, .. } => EntryKind::Request { id, method },
            jsonrpc::Message::Notification { method, .. } => EntryKind::Notification { method },
            jsonrpc::Message::Response { id, .. } => EntryKind::Result { id },
        },
        Err(invalid) => EntryKind::Invalid {
            reason: invalid.reason,
        },
    }
}

/// Commands into a running host. Cheap to clone.
#[derive(Clone)]
pub struct HostHandle(Arc<Shared>);

/// Starts listening. Must be called inside a tokio runtime.
pub async fn start(
    config: HostConfig,
) -> Result<(HostHandle, mpsc::UnboundedReceiver<HostEvent>), ListenError> {
    let mut addrs = Vec::new();
    let unix = match &config.socket {
        Some(path) => {
            let (l, file) = listener::bind_unix(path, config.socket_mode)?;
            addrs.push(path.display().to_string());
            Some((l, file))
        }
        None => None,
    };
    let tcp = match &config.tcp {
        Some(addr) => {
            let l = listener::bind_tcp(addr).await?;
            addrs.push(
                l.local_addr()
                    .map_or_else(|_| addr.clone(), |a| a.to_string()),
            );
            Some(l)
        }
        None => None,
    };
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (unix, socket_file) = match unix {
        Some((l, f)) => (Some(l), Some(f)),
        None => (None, None),
    };
    let shared = Arc::new(Shared {
        log: Mutex::new(MessageLog::new(config.log_budget_bytes)),
        config,
        log_seq: watch::channel(0).0,
        registry: Mutex::new(Registry::default()),
        health: Mutex::default(),
        events: events_tx,
        next_conn: AtomicU64::new(1),
        stop: CancellationToken::new(),
        tracker: TaskTracker::new(),
        socket_file: Mutex::new(socket_file),
        addrs,
    });
    if let Some(l) = unix {
        let l = Arc::new(l);
        tokio::spawn(accept_loop(shared.clone(), "unix socket", move || {
            let l = l.clone();
            async move {
                let (stream, _) = l.accept().await?;
                // The dialling process, so a launcher can tell which child this is.
                let pid = stream
                    .peer_cred()
                    .ok()
                    .and_then(|c| c.pid())
                    .and_then(|p| u32::try_from(p).ok());
                Ok((stream, "unix".to_string(), pid))
            }
        }));
    }
    if let Some(l) = tcp {
        let l = Arc::new(l);
        tokio::spawn(accept_loop(shared.clone(), "tcp", move || {
            let l = l.clone();
            async move {
                let (stream, peer) = l.accept().await?;
                let _ = stream.set_nodelay(true);
                Ok((stream, format!("tcp {peer}"), None))
            }
        }));
    }
    Ok((HostHandle(shared), events_rx))
}

/// Accepts connections until the host stops; each is served by its own task.
async fn accept_loop<S, F, Fut>(shared: Arc<Shared>, what: &'static str, mut accept: F)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<(S, String, Option<u32>)>>,
{
    loop {
        let accepted = tokio::select! {
            _ = shared.stop.cancelled() => break,
            a = accept() => a,
        };
        match accepted {
            Ok((stream, peer, pid)) => {
                shared
                    .tracker
                    .spawn(conn::serve(shared.clone(), stream, peer, pid));
            }
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!("accept on {what} failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

impl HostHandle {
    pub fn config(&self) -> &HostConfig {
        &self.0.config
    }

    /// What the host listens on: socket path and/or `ip:port`.
    pub fn addresses(&self) -> &[String] {
        &self.0.addrs
    }

    /// Every registration seen, connected or not, oldest first.
    pub fn plugins(&self) -> Vec<PluginRecord> {
        self.0.registry.lock().records()
    }

    /// How the requests to `plugin_id` went (any of its connections), if it was sent any.
    pub fn health(&self, plugin_id: &str) -> Option<HealthSnapshot> {
        let now = Instant::now();
        self.0.health.lock().get(plugin_id).map(|h| h.snapshot(now))
    }

    /// [`health`](Self::health) of every plugin sent a request, by id.
    pub fn health_all(&self) -> Vec<(String, HealthSnapshot)> {
        let now = Instant::now();
        let mut all: Vec<_> = self
            .0
            .health
            .lock()
            .iter()
            .map(|(id, h)| (id.clone(), h.snapshot(now)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// The registration currently connected under `plugin_id`.
    pub fn plugin(&self, plugin_id: &str) -> Option<PluginRecord> {
        self.0.registry.lock().active(plugin_id).map(|(r, _)| r)
    }

    /// Read access to the message log. Hold it briefly: the connections append to it.
    pub fn log(&self) -> MutexGuard<'_, MessageLog> {
        self.0.log.lock()
    }

    /// Loads recorded entries into the log (for replay), keeping their times, notes and
    /// request/response pairs (seqs are renumbered).
    pub fn import(&self, entries: Vec<LogEntry>) {
        let mut log = self.0.log.lock();
        let mut renumbered = std::collections::HashMap::new();
        let mut pairs = Vec::new();
        for mut e in entries {
            let old = e.seq;
            let pair = e.pair.take();
            let latency = e.latency;
            // A proxy's copy names an entry logged before it: already renumbered.
            e.via = e.via.and_then(|v| renumbered.get(&v).copied());
            let new = log.push(e);
            renumbered.insert(old, new);
            if let Some(p) = pair {
                pairs.push((new, p, latency.unwrap_or_default()));
            }
        }
        for (new, old_pair, latency) in pairs {
            if let Some(&p) = renumbered.get(&old_pair) {
                log.pair(p, new, latency);
            }
        }
        let last = log.last_seq();
        drop(log);
        self.0.log_seq.send_replace(last);
    }

    /// Logs a line a launched plugin printed (`stream`: `stdout` or `stderr`), so the
    /// inspector and a recording show it among the frames. `plugin` is its id, or its name
    /// until it registers.
    pub fn log_output(&self, plugin: &str, stream: &str, text: &str) -> u64 {
        let kind = EntryKind::Output {
            stream: stream.to_string(),
            text: text.to_string(),
        };
        let entry = LogEntry::new(
            Direction::Local,
            0,
            Some(plugin.to_string()),
            bytes::Bytes::new(),
            kind,
        );
        self.0.log_frame(entry)
    }

    /// Logs something that happened outside the host (a launched plugin's process exiting, a
    /// watched file changing) among the frames, so the inspector and a recording keep it.
    pub fn log_note(&self, plugin: &str, text: String, problem: bool) -> u64 {
        self.0.log_event(0, Some(plugin.to_string()), text, problem)
    }

    /// Marks a logged answer as a problem once its validation (done by the consumer, off
    /// the connection's hot path) found diagnostics; `note` says what (`JSON-ACTION: 1 error
    /// …`). Watchers of [`HostHandle::log_updates`] are woken, so the inspector and a
    /// recording pick the change up. `false` when the entry was evicted meanwhile.
    pub fn mark_problem(&self, seq: u64, note: String) -> bool {
        let (marked, last) = {
            let mut log = self.0.log.lock();
            (log.mark_problem(seq, note), log.last_seq())
        };
        if marked {
            self.0.log_changed(last);
        }
        marked
    }

    /// Changes whenever the log grows or an entry is marked (carries the newest seq).
    pub fn log_updates(&self) -> watch::Receiver<u64> {
        self.0.log_seq.subscribe()
    }

    /// Sends a request to a plugin; the returned ticket resolves to its outcome.
    pub async fn send(
        &self,
        plugin_id: &str,
        method: &str,
        params: Value,
        timeout: Option<Duration>,
    ) -> Result<Ticket, RequestError> {
        self.dispatch(plugin_id, method, timeout, None, |id| {
            let frame = jsonrpc::request_bytes(id, method, &params);
            let kind = EntryKind::Request {
                id: crate::protocol::Id::Num(id as i64),
                method: method.to_string(),
            };
            (frame, kind)
        })
        .await
    }

    /// Sends a payload the caller wrote (framed as usual, whatever it holds: for `chaos`,
    /// bytes a well-behaved host never sends), waiting for an answer under the id the host
    /// allocates and hands to `payload`. It is logged as what it parses as, with `note`.
    pub async fn send_crafted(
        &self,
        plugin_id: &str,
        note: &str,
        timeout: Option<Duration>,
        payload: impl FnOnce(u64) -> Bytes,
    ) -> Result<Ticket, RequestError> {
        self.dispatch(plugin_id, note, timeout, Some(note), |id| {
            let frame = payload(id);
            let kind = crafted_kind(&frame);
            (frame, kind)
        })
        .await
    }

    /// Sends a payload the caller wrote without waiting for any answer (a notification, a
    /// second request under an id already in flight); `false` when the plugin is gone.
    pub async fn send_unanswered(&self, plugin_id: &str, note: &str, payload: Bytes) -> bool {
        let Some(conn) = self.0.registry.lock().active_conn(plugin_id) else {
            return false;
        };
        let entry = LogEntry::new(
            Direction::Out,
            conn.id,
            Some(plugin_id.to_string()),
            payload.clone(),
            crafted_kind(&payload),
        )
        .with_note(note);
        self.0.log_frame(entry);
        conn.send(payload).await
    }

    /// Writes `bytes` to the plugin's connection as they are, without the length prefix
    /// (for `chaos`: half a frame), after the frames already queued; `false` when the plugin
    /// is gone or the write failed.
    pub async fn write_raw(&self, plugin_id: &str, note: &str, bytes: Bytes) -> bool {
        let Some(conn) = self.0.registry.lock().active_conn(plugin_id) else {
            return false;
        };
        let text = format!("{note}: wrote {} raw bytes (no length prefix)", bytes.len());
        self.0
            .log_event(conn.id, Some(plugin_id.to_string()), text, false);
        conn.write_raw(bytes).await
    }

    /// Stops reading the plugin's connection for `pause` (for `chaos`: a host that reads
    /// slowly, so the plugin's answers pile up); `false` when the plugin is gone.
    pub fn pause_reading(&self, plugin_id: &str, pause: Duration) -> bool {
        let Some(conn) = self.0.registry.lock().active_conn(plugin_id) else {
            return false;
        };
        let text = format!("reading paused for {:.1} s", pause.as_secs_f64());
        self.0
            .log_event(conn.id, Some(plugin_id.to_string()), text, false);
        conn.pause_reading(pause);
        true
    }

    /// Queues one frame built by `build` under a fresh id and tracks its answer.
    async fn dispatch(
        &self,
        plugin_id: &str,
        method: &str,
        timeout: Option<Duration>,
        note: Option<&str>,
        build: impl FnOnce(u64) -> (Bytes, EntryKind),
    ) -> Result<Ticket, RequestError> {
        // Only the connection: cloning the whole registration per request showed in profiles.
        let conn = self
            .0
            .registry
            .lock()
            .active_conn(plugin_id)
            .ok_or_else(|| RequestError::NoSuchPlugin(plugin_id.to_string()))?;
        let plugin_id = plugin_id.to_string();
        let id = conn.next_request_id();
        let (frame, kind) = build(id);
        let mut entry = LogEntry::new(
            Direction::Out,
            conn.id,
            Some(plugin_id.clone()),
            frame.clone(),
            kind,
        );
        entry.notes.extend(note.map(String::from));
        let (tx, rx) = oneshot::channel();
        let request_seq = self.0.log_frame(entry);
        let sent = Instant::now();
        let timeout = timeout.unwrap_or(self.0.config.request_timeout);
        let pending = conn::Pending {
            tx,
            sent,
            request_seq,
        };
        // The timeout covers the wait for room in the connection's write queue too: a plugin
        // that stopped reading must not hold its requesters forever.
        let refused = match conn.add_pending(id, pending) {
            Err(p) => Some((p, None)),
            Ok(()) => match tokio::time::timeout(timeout, conn.send(frame)).await {
                Ok(true) => None,
                Ok(false) => conn.expire(id, "was never delivered").map(|p| (p, None)),
                Err(_) => conn
                    .expire(id, "timed out before it could be sent")
                    .map(|p| (p, Some(timeout))),
            },
        };
        match refused {
            Some((p, None)) => {
                let reason = "connection closed".to_string();
                let _ = p.tx.send((Outcome::Disconnected { reason }, None));
            }
            Some((p, Some(after))) => {
                let note = format!(
                    "never sent: the write queue stayed full for {:.1} s (the plugin is not reading)",
                    after.as_secs_f64()
                );
                self.mark_problem(request_seq, note.clone());
                let text = format!("request {id} ({method}) timed out: {note}");
                self.0
                    .log_event(conn.id, Some(plugin_id.clone()), text, true);
                let outcome = Outcome::Timeout {
                    after,
                    meanwhile: None,
                };
                let _ = p.tx.send((outcome, None));
            }
            None => {}
        }
        Ok(Ticket {
            plugin_id,
            method: method.to_string(),
            conn: conn.id,
            id,
            request_seq,
            sent,
            timeout,
            rx,
            conn_ref: conn,
            shared: self.0.clone(),
        })
    }

    /// Sends a request and waits for its outcome.
    pub async fn request(
        &self,
        plugin_id: &str,
        method: &str,
        params: Value,
    ) -> Result<Reply, RequestError> {
        Ok(self
            .send(plugin_id, method, params, None)
            .await?
            .wait()
            .await)
    }

    /// Stops waiting for a request: the inspector notes "cancelled by user", its ticket
    /// resolves to `Cancelled`, a late answer is logged.
    pub fn cancel(&self, conn: ConnId, id: u64) -> bool {
        let conn = self
            .0
            .registry
            .lock()
            .conns()
            .into_iter()
            .find(|c| c.id == conn);
        let Some(conn) = conn else { return false };
        match conn.expire(id, "was cancelled by user") {
            Some(p) => {
                let method = self
                    .request_of(conn.id, id)
                    .map(|(_, m)| format!(" ({m})"))
                    .unwrap_or_default();
                let text = format!("request {id}{method} cancelled by user");
                self.0.log_event(conn.id, conn.plugin_id(), text, false);
                let _ = p.tx.send((Outcome::Cancelled, None));
                true
            }
            None => false,
        }
    }

    /// The log entry (`seq`) and method of request `id` sent on `conn`, while the log keeps it.
    pub fn request_of(&self, conn: ConnId, id: u64) -> Option<(u64, String)> {
        self.0.log.lock().find_request(conn, id)
    }

    /// Requests still in flight, as (connection, id) pairs.
    pub fn pending(&self) -> Vec<(ConnId, u64)> {
        let conns = self.0.registry.lock().conns();
        conns
            .iter()
            .flat_map(|c| c.pending_ids().into_iter().map(move |id| (c.id, id)))
            .collect()
    }

    /// Closes one plugin's connection (as if it had gone away).
    pub fn disconnect(&self, plugin_id: &str, reason: &str) -> bool {
        match self.0.registry.lock().active(plugin_id) {
            Some((_, conn)) => {
                conn.close(reason);
                true
            }
            None => false,
        }
    }

    /// Abrupt stop, as a proxy ends: no new connections, every connection closed (its
    /// plugin sees the socket close; nothing is sent first), the socket file removed.
    pub fn close(&self, reason: &str) {
        let s = &self.0;
        s.stop.cancel();
        for c in s.registry.lock().conns() {
            c.close(reason);
        }
        s.socket_file.lock().take();
    }

    /// Graceful stop: no new connections, `shutdown` to every plugin (waiting up to the
    /// configured grace), then every connection closed and the socket file removed.
    pub async fn shutdown(&self) {
        let s = &self.0;
        s.stop.cancel();
        let grace = s.config.shutdown_grace;
        let ids: Vec<String> = self
            .plugins()
            .into_iter()
            .filter(|p| p.state == PluginState::Connected)
            .map(|p| p.plugin_id)
            .collect();
        let asks = ids.iter().map(|id| async move {
            if let Ok(t) = self
                .send(id, "shutdown", serde_json::json!({}), Some(grace))
                .await
            {
                t.wait().await;
            }
        });
        futures::future::join_all(asks).await;
        for c in s.registry.lock().conns() {
            c.close("host shut down");
        }
        s.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(2), s.tracker.wait()).await;
        s.socket_file.lock().take();
    }
}
