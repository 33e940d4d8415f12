//! One plugin connection: a reader task (handshake, then answers and stray messages) and a
//! writer task fed by a channel, so any number of requests can be in flight.

use super::log::{ConnId, Direction, EntryKind, LogEntry};
use super::register::PluginInfo;
use super::register::parse_register;
use super::registry::{PluginRecord, PluginState};
use super::upstream::{self, Forwarded, FromPlugin, Link};
use super::{HostEvent, Outcome, Shared};
use crate::protocol::jsonrpc::{self, INVALID_REQUEST, RawJson, UNAVAILABLE};
use crate::protocol::{FrameCodec, Id, Incoming, Message, ResponseBody, RpcError};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

/// Ids that timed out or were cancelled, remembered so a late answer is named as such.
const EXPIRED_MEMORY: usize = 4096;
/// Frames queued for one connection's writer before senders wait.
const WRITE_QUEUE: usize = 1024;

pub(crate) struct Pending {
    pub tx: oneshot::Sender<(Outcome<RawJson>, Option<u64>)>,
    pub sent: Instant,
    pub request_seq: u64,
}

/// Requests awaiting an answer. `closed` is set, under the same lock, when the connection
/// ends, so a request added concurrently with the close is refused instead of left waiting.
#[derive(Default)]
pub(crate) struct PendingMap {
    map: HashMap<u64, Pending>,
    closed: bool,
}

/// The shared half of a connection: what requesters and the registry hold.
pub struct Conn {
    pub id: ConnId,
    pub peer: String,
    pub pid: Option<u32>,
    tx: mpsc::Sender<Bytes>,
    next_id: AtomicU64,
    pending: Mutex<PendingMap>,
    expired: Mutex<VecDeque<(u64, &'static str)>>,
    close: CancellationToken,
    close_reason: Mutex<Option<String>>,
    plugin_id: Mutex<Option<String>>,
    /// The first id this connection's own requests use (proxy mode starts high, so they
    /// never clash with the real host's).
    first_id: u64,
    /// Proxy mode: the link to the real host while it is up.
    upstream: Mutex<Option<Arc<Link>>>,
    /// Proxy mode: host requests sent on to the plugin and not answered yet, by id.
    forwarded: Mutex<HashMap<Id, Forwarded>>,
    /// Bytes written as they are, no length prefix (for `chaos`), acknowledged once written.
    raw: mpsc::Sender<RawWrite>,
    /// The reader stops reading until `opened` + this many nanoseconds, 0 for never (for
    /// `chaos`: a host that reads slowly). An atomic, not a channel: the reader looks at it
    /// once per frame, on the hot path.
    read_pause: AtomicU64,
    opened: Instant,
}

/// Bytes for the writer to put on the wire unframed, after every frame queued before them.
pub(crate) struct RawWrite {
    bytes: Bytes,
    done: oneshot::Sender<bool>,
}

impl Conn {
    pub fn plugin_id(&self) -> Option<String> {
        self.plugin_id.lock().clone()
    }

    /// Asks the connection to close; the first reason given is the one reported.
    pub fn close(&self, reason: &str) {
        self.close_reason
            .lock()
            .get_or_insert_with(|| reason.to_string());
        self.close.cancel();
    }

    /// A token cancelled when the connection ends.
    pub(crate) fn closed(&self) -> CancellationToken {
        self.close.clone()
    }

    /// Proxy mode: the link to the real host, while it is up.
    pub(crate) fn upstream_link(&self) -> Option<Arc<Link>> {
        self.upstream.lock().clone()
    }

    pub(crate) fn set_upstream(&self, link: Option<Arc<Link>>) {
        *self.upstream.lock() = link;
    }

    /// Remembers a host request sent on to the plugin, for its answer to go back.
    pub(crate) fn forward(&self, id: Id, f: Forwarded) {
        self.forwarded.lock().insert(id, f);
    }

    /// The forwarded host request `id` answers (`"7"` answers 7, as for our own).
    fn answered_forward(&self, id: &Id) -> Option<Forwarded> {
        let mut map = self.forwarded.lock();
        if map.is_empty() {
            return None;
        }
        map.remove(id).or_else(|| {
            let n = i64::try_from(id.as_u64()?).ok()?;
            map.remove(&Id::Num(n))
        })
    }

    pub(crate) fn next_request_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Records a request in flight; gives it back when the connection has already ended.
    pub(crate) fn add_pending(&self, id: u64, pending: Pending) -> Result<(), Pending> {
        let mut p = self.pending.lock();
        if p.closed {
            return Err(pending);
        }
        p.map.insert(id, pending);
        Ok(())
    }

    /// Marks the connection ended and hands back every request still waiting.
    fn close_pending(&self) -> Vec<Pending> {
        let mut p = self.pending.lock();
        p.closed = true;
        p.map.drain().map(|(_, v)| v).collect()
    }

    /// Stops waiting for `id` (timeout or cancel); a later answer is logged as late.
    pub(crate) fn expire(&self, id: u64, why: &'static str) -> Option<Pending> {
        let p = self.pending.lock().map.remove(&id)?;
        let mut expired = self.expired.lock();
        if expired.len() == EXPIRED_MEMORY {
            expired.pop_front();
        }
        expired.push_back((id, why));
        Some(p)
    }

    fn expired_reason(&self, id: u64) -> Option<&'static str> {
        self.expired
            .lock()
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, why)| *why)
    }

    /// Ids of requests still waiting for an answer.
    pub fn pending_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.pending.lock().map.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Queues a frame for the writer; `false` when the connection is gone.
    pub(crate) async fn send(&self, frame: Bytes) -> bool {
        self.tx.send(frame).await.is_ok()
    }

    /// Writes `bytes` without a length prefix once the frames already queued are out; `true`
    /// when they reached the socket.
    pub(crate) async fn write_raw(&self, bytes: Bytes) -> bool {
        let (done, written) = oneshot::channel();
        if self.raw.send(RawWrite { bytes, done }).await.is_err() {
            return false;
        }
        written.await.unwrap_or(false)
    }

    /// Stops reading from the plugin for `pause` (what it writes piles up in the socket),
    /// from the next frame on.
    pub(crate) fn pause_reading(&self, pause: Duration) {
        let until = (self.opened.elapsed() + pause).as_nanos();
        let until = u64::try_from(until).unwrap_or(u64::MAX).max(1);
        self.read_pause.store(until, Ordering::Relaxed);
    }

    /// When a pause asked for is still on, its end.
    fn paused_until(&self) -> Option<Instant> {
        let nanos = self.read_pause.load(Ordering::Relaxed);
        if nanos == 0 {
            return None;
        }
        let until = self.opened + Duration::from_nanos(nanos);
        if until > Instant::now() {
            return Some(until);
        }
        // Over: no clock reading per frame from now on.
        let _ = self
            .read_pause
            .compare_exchange(nanos, 0, Ordering::Relaxed, Ordering::Relaxed);
        None
    }
}

/// Serves one accepted stream until it closes.
pub(crate) async fn serve<S>(shared: Arc<Shared>, stream: S, peer: String, pid: Option<u32>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let conn_id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let (read_half, write_half) = tokio::io::split(stream);
    let max = shared.config.max_frame_bytes;
    let mut reader = FramedRead::new(read_half, FrameCodec::new(max));
    let writer = FramedWrite::new(write_half, FrameCodec::new(max));
    let (tx, rx) = mpsc::channel(WRITE_QUEUE);
    let first_id = if shared.config.upstream.is_some() {
        upstream::CONSOLE_ID_BASE
    } else {
        1
    };
    let (raw, raw_rx) = mpsc::channel(1);
    let conn = Arc::new(Conn {
        id: conn_id,
        peer: peer.clone(),
        pid,
        tx,
        next_id: AtomicU64::new(first_id),
        first_id,
        upstream: Mutex::new(None),
        forwarded: Mutex::new(HashMap::new()),
        pending: Mutex::new(PendingMap::default()),
        expired: Mutex::new(VecDeque::new()),
        close: CancellationToken::new(),
        close_reason: Mutex::new(None),
        plugin_id: Mutex::new(None),
        raw,
        read_pause: AtomicU64::new(0),
        opened: Instant::now(),
    });
    shared
        .tracker
        .spawn(write_loop(writer, rx, raw_rx, conn.close.clone()));
    shared.registry.lock().add_conn(conn.clone());
    let from = pid.map(|p| format!(", pid {p}")).unwrap_or_default();
    shared.log_event(
        conn_id,
        None,
        format!("connection opened ({peer}{from})"),
        false,
    );
    shared.emit(HostEvent::Connected {
        conn: conn_id,
        peer,
        pid,
    });

    let reason = match handshake(&shared, &conn, &mut reader).await {
        Ok(()) => read_loop(&shared, &conn, &mut reader).await,
        Err(reason) => reason,
    };

    conn.close(&reason);
    let reason = conn.close_reason.lock().clone().unwrap_or(reason);
    // Unregister first, then fail what is pending: a requester that still found the plugin
    // registered is refused by `add_pending`, never left waiting for its timeout.
    let plugin_id = {
        let mut reg = shared.registry.lock();
        reg.remove_conn(conn_id);
        reg.disconnected(conn_id, &reason)
    };
    for p in conn.close_pending() {
        let reason = reason.clone();
        let _ = p.tx.send((Outcome::Disconnected { reason }, None));
    }
    shared.log_event(
        conn_id,
        plugin_id.clone(),
        format!("connection closed: {reason}"),
        false,
    );
    shared.emit(HostEvent::Disconnected {
        conn: conn_id,
        plugin_id,
        reason,
    });
}

/// Most frames fed into the sink between two flushes: a busy connection's frames go out in
/// few `write`s, and its buffer stays bounded (a frame over 8 KiB is written as it is fed).
const WRITE_BATCH: usize = 256;

/// Writes queued frames in order. Everything already queued is fed into the sink and flushed
/// once, so a burst of N frames costs a few syscalls instead of N.
pub(crate) async fn write_loop<W>(
    mut sink: FramedWrite<W, FrameCodec>,
    mut rx: mpsc::Receiver<Bytes>,
    mut raw: mpsc::Receiver<RawWrite>,
    close: CancellationToken,
) where
    W: AsyncWrite + Unpin + Send + 'static,
{
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    loop {
        let received = tokio::select! {
            biased;
            n = rx.recv_many(&mut batch, WRITE_BATCH) => n,
            _ = close.cancelled() => break,
            // After the frames (biased): raw bytes follow what was queued before them.
            Some(w) = raw.recv() => {
                let written = async {
                    use tokio::io::AsyncWriteExt;
                    sink.flush().await.ok()?;
                    sink.get_mut().write_all(&w.bytes).await.ok()?;
                    sink.get_mut().flush().await.ok()
                };
                let ok = tokio::select! {
                    biased;
                    r = written => r.is_some(),
                    _ = close.cancelled() => false,
                };
                let _ = w.done.send(ok);
                continue;
            }
        };
        if received == 0 {
            // Every sender is gone.
            break;
        }
        let written = write_all(&mut sink, &mut batch);
        tokio::select! {
            biased;
            r = written => if r.is_err() { return },
            // The peer stopped reading and we are closing: give up on these frames.
            _ = close.cancelled() => return,
        }
    }
    // Closing: flush what was queued (e.g. a handshake error reply), briefly.
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            while batch.len() < WRITE_BATCH {
                match rx.try_recv() {
                    Ok(frame) => batch.push(frame),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            if write_all(&mut sink, &mut batch).await.is_err() {
                return;
            }
        }
        let _ = sink.close().await;
    })
    .await;
}

/// Feeds every frame of `batch` (emptying it), then flushes once.
async fn write_all<W: AsyncWrite + Unpin>(
    sink: &mut FramedWrite<W, FrameCodec>,
    batch: &mut Vec<Bytes>,
) -> Result<(), crate::protocol::codec::FrameError> {
    for frame in batch.drain(..) {
        sink.feed(frame).await?;
    }
    sink.flush().await
}

type Reader<R> = FramedRead<R, FrameCodec>;

/// Reads the first frame, which must be `register`. `Err` is why the connection ends.
async fn handshake<R>(
    shared: &Arc<Shared>,
    conn: &Arc<Conn>,
    reader: &mut Reader<R>,
) -> Result<(), String>
where
    R: AsyncRead + Unpin,
{
    let wait = shared.config.register_timeout;
    let first = tokio::select! {
        _ = conn.close.cancelled() => return Err("closed before registering".into()),
        first = tokio::time::timeout(wait, reader.next()) => first,
    };
    let bytes = match first {
        Err(_) => {
            let why = format!(
                "First message must be 'register' (nothing received within {} s)",
                wait.as_secs_f64()
            );
            reply_error(shared, conn, None, INVALID_REQUEST, &why, None).await;
            return Err(format!("no register within {} s", wait.as_secs_f64()));
        }
        Ok(None) => return Err("closed before registering".into()),
        Ok(Some(Err(e))) => {
            shared.log_frame_error(conn.id, None, &e);
            return Err(format!("frame error: {e}"));
        }
        Ok(Some(Ok(bytes))) => bytes,
    };
    let parsed = jsonrpc::parse(&bytes);
    // Read the registration before logging its frame, so the frame is logged under the id
    // the plugin gets (its own, or the one generated now), with what it lacks noted: a
    // `plugin:ID` filter then keeps the plugin's own register request.
    let register = match &parsed {
        Ok(Incoming {
            message: Message::Request { method, params, .. },
            ..
        }) if method == "register" => Some((
            parse_register(params.as_ref()),
            params
                .as_ref()
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
                .map(String::from),
        )),
        _ => None,
    };
    let plugin_id = match &register {
        Some((Ok(info), _)) => Some(
            info.requested_id
                .clone()
                .unwrap_or_else(|| generated_id(conn.id)),
        ),
        Some((Err(_), asked)) => asked.clone(),
        None => None,
    };
    let mut entry = incoming_entry(conn, None, redact_dev_token(&bytes), &parsed);
    entry.plugin = plugin_id.clone();
    if let Some((Ok(info), _)) = &register
        && !info.notes.is_empty()
    {
        entry.notes.extend(info.notes.iter().cloned());
        entry.problem = true;
    }
    let request_seq = shared.log_frame(entry);
    let received = Instant::now();
    let id = match parsed {
        Ok(Incoming {
            message: Message::Request { id, method, .. },
            ..
        }) if method == "register" => id,
        Ok(Incoming {
            message: Message::Request { id, .. },
            ..
        }) => {
            reply_error(
                shared,
                conn,
                Some(&id),
                INVALID_REQUEST,
                "First message must be 'register'",
                None,
            )
            .await;
            return Err("first message was not 'register'".into());
        }
        Ok(_) => {
            reply_error(
                shared,
                conn,
                None,
                INVALID_REQUEST,
                "First message must be 'register'",
                None,
            )
            .await;
            return Err("first message was not a 'register' request".into());
        }
        Err(invalid) => {
            let data = json!({ "reason": invalid.reason });
            reply_error(
                shared,
                conn,
                invalid.id.as_ref(),
                INVALID_REQUEST,
                "First message must be 'register'",
                Some(data),
            )
            .await;
            return Err(format!("first frame unusable: {}", invalid.reason));
        }
    };
    if let Some(up) = &shared.config.upstream {
        let Some((info, asked)) = register else {
            unreachable!("a register request was read above")
        };
        // The upstream decides, even on a register this host would refuse.
        return upstream::register(
            shared,
            conn,
            up,
            bytes,
            request_seq,
            received,
            id,
            info,
            plugin_id.or(asked),
        )
        .await;
    }
    let info = match register.map(|(r, _)| r) {
        Some(Ok(info)) => info,
        None => unreachable!("a register request was read above"),
        Some(Err(reason)) => {
            reply_error(
                shared,
                conn,
                Some(&id),
                UNAVAILABLE,
                &format!("Invalid register: {reason}"),
                None,
            )
            .await;
            shared.emit(HostEvent::Rejected {
                conn: conn.id,
                reason: reason.to_string(),
            });
            return Err(format!("register refused: {reason}"));
        }
    };
    let plugin_id = plugin_id.expect("an accepted register has an id");
    let result = json!({ "success": true, "plugin_id": plugin_id, "host_version": env!("CARGO_PKG_VERSION") });
    let answer = jsonrpc::result_bytes(&id, &result);
    accept_registration(
        shared,
        conn,
        plugin_id,
        info,
        answer,
        request_seq,
        received,
        None,
        "",
    )
    .await;
    Ok(())
}

/// A registration accepted (by this host, or by the upstream in proxy mode): the plugin is
/// registered, `answer` sent to it (paired with its register, `via` the upstream's answer it
/// copies), and consumers told. `how` is added to the log line (" through the upstream …").
#[allow(clippy::too_many_arguments)]
pub(crate) async fn accept_registration(
    shared: &Arc<Shared>,
    conn: &Arc<Conn>,
    plugin_id: String,
    info: PluginInfo,
    answer: Bytes,
    request_seq: u64,
    received: Instant,
    via: Option<u64>,
    how: &str,
) {
    *conn.plugin_id.lock() = Some(plugin_id.clone());
    let id = match jsonrpc::parse(&answer) {
        Ok(Incoming {
            message: Message::Response { id, .. },
            ..
        }) => id,
        _ => None,
    };
    // Registry first, reply second: a plugin may send requests' answers the moment it hears back.
    let replaced = shared.registry.lock().register(PluginRecord {
        plugin_id: plugin_id.clone(),
        conn: conn.id,
        peer: conn.peer.clone(),
        pid: conn.pid,
        info: info.clone(),
        state: PluginState::Connected,
        registered_at: SystemTime::now(),
    });
    {
        let mut log = shared.log.lock();
        let mut entry = LogEntry::new(
            Direction::Out,
            conn.id,
            Some(plugin_id.clone()),
            answer.clone(),
            EntryKind::Result { id },
        );
        entry.via = via;
        let seq = log.push(entry);
        log.pair(request_seq, seq, received.elapsed());
        drop(log);
        shared.log_changed(seq);
    }
    conn.send(answer).await;
    let mut text = format!(
        "registered {plugin_id} ({} {}, {} capabilities){how}",
        info.name,
        info.version,
        info.capabilities.len()
    );
    for note in &info.notes {
        text.push_str("; ");
        text.push_str(note);
    }
    shared.log_event(conn.id, Some(plugin_id.clone()), text, false);
    shared.emit(HostEvent::Registered {
        conn: conn.id,
        plugin_id: plugin_id.clone(),
        info,
        replaced: replaced.as_ref().map(|c| c.id),
    });
    // Close the replaced connection only now, so its Disconnected event follows this Registered.
    if let Some(old) = replaced {
        let why = format!(
            "replaced by connection #{} registering the same id",
            conn.id
        );
        old.close(&why);
        shared.log_event(old.id, Some(plugin_id), why, true);
    }
}

/// After registration: answers to our requests, and anything else the plugin sends.
async fn read_loop<R>(shared: &Arc<Shared>, conn: &Arc<Conn>, reader: &mut Reader<R>) -> String
where
    R: AsyncRead + Unpin,
{
    let plugin = conn.plugin_id();
    loop {
        if let Some(until) = conn.paused_until() {
            tokio::select! {
                _ = conn.close.cancelled() => return "closed by the host".into(),
                _ = tokio::time::sleep_until(until.into()) => {}
            }
            continue;
        }
        let next = tokio::select! {
            _ = conn.close.cancelled() => return "closed by the host".into(),
            next = reader.next() => next,
        };
        match next {
            None => return "plugin closed the connection".into(),
            Some(Err(e)) => {
                shared.log_frame_error(conn.id, plugin.clone(), &e);
                return format!("frame error: {e}");
            }
            Some(Ok(bytes)) => {
                let parsed = jsonrpc::parse_raw(&bytes);
                if let Some((link, frame)) = on_frame(shared, conn, &plugin, bytes, parsed) {
                    link.send(frame).await;
                }
            }
        }
    }
}

/// Logs one frame from the plugin and settles the request it answers. In proxy mode, a frame
/// that is not the answer to one of our own requests goes on to the upstream: returned with
/// the link to send it on.
fn on_frame(
    shared: &Shared,
    conn: &Conn,
    plugin: &Option<String>,
    bytes: Bytes,
    parsed: Result<Incoming<RawJson>, jsonrpc::Invalid>,
) -> Option<(Arc<Link>, Bytes)> {
    if shared.config.upstream.is_some() {
        let id = match &parsed {
            Ok(Incoming {
                message: Message::Response { id, .. },
                ..
            }) => id.as_ref(),
            Err(invalid) => invalid.id.as_ref(),
            Ok(_) => None,
        };
        if let Some(f) = id.and_then(|id| conn.answered_forward(id)) {
            return to_upstream(shared, conn, plugin, bytes, &parsed, FromPlugin::Answer(f));
        }
        // Our ids (asked, timed out or never asked) stay here: the host never used them.
        let ours = id.and_then(Id::as_u64).is_some_and(|k| k >= conn.first_id);
        if !ours {
            return to_upstream(shared, conn, plugin, bytes, &parsed, FromPlugin::Other);
        }
    }
    let mut entry = incoming_entry(conn, plugin.clone(), bytes, &parsed);
    // An answer (or an unusable frame that still names an id) resolves its pending request.
    // The answer's value is moved into the outcome, never cloned (a render can be megabytes).
    let (answer_id, outcome) = match parsed {
        Ok(Incoming {
            message: Message::Response { id, body },
            ..
        }) => (
            id,
            match body {
                ResponseBody::Result(value) => Outcome::Result { value },
                ResponseBody::Error(e) => Outcome::PluginError(e),
                ResponseBody::Invalid(reason) => Outcome::InvalidAnswer { reason },
            },
        ),
        Err(invalid) => (
            invalid.id,
            Outcome::InvalidAnswer {
                reason: invalid.reason,
            },
        ),
        Ok(_) => {
            shared.log_frame(entry);
            return None;
        }
    };
    let key = answer_id.as_ref().and_then(Id::as_u64);
    let pending = key.and_then(|k| conn.pending.lock().map.remove(&k));
    match pending {
        Some(p) => {
            let latency = p.sent.elapsed();
            let seq = {
                let mut log = shared.log.lock();
                let seq = log.push(entry);
                log.pair(p.request_seq, seq, latency);
                seq
            };
            shared.log_changed(seq);
            let _ = p.tx.send((outcome, Some(seq)));
        }
        None => {
            let asked = conn.next_id.load(Ordering::Relaxed);
            let expired = key.and_then(|k| conn.expired_reason(k));
            // An id below the first we use was never ours.
            let key_ours = key.filter(|k| *k >= conn.first_id);
            let note = match (key, key_ours) {
                (Some(_), None) => stray_answer_note(None, answer_id.as_ref(), None, asked),
                _ => stray_answer_note(key, answer_id.as_ref(), expired, asked),
            };
            entry.notes.push(note);
            entry.problem = true;
            shared.log_frame(entry);
        }
    }
    None
}

/// Proxy mode: a plugin frame for the upstream (the answer to a host request, or anything
/// else the console did not ask for), logged on both legs.
fn to_upstream(
    shared: &Shared,
    conn: &Conn,
    plugin: &Option<String>,
    bytes: Bytes,
    parsed: &Result<Incoming<RawJson>, jsonrpc::Invalid>,
    what: FromPlugin,
) -> Option<(Arc<Link>, Bytes)> {
    let (kind, notes) = entry_kind(parsed);
    let mut entry = LogEntry::new(
        Direction::In,
        conn.id,
        plugin.clone(),
        bytes.clone(),
        kind.clone(),
    );
    entry.notes = notes;
    let seq = {
        let mut log = shared.log.lock();
        let seq = log.push(entry);
        if let FromPlugin::Answer(f) = &what {
            log.pair(f.copy_seq, seq, f.sent.elapsed());
        }
        seq
    };
    shared.log_changed(seq);
    let link = upstream::logged_copy(shared, conn, plugin, &bytes, kind, seq, what)?;
    Some((link, bytes))
}

/// Why an answer matched no pending request. `next_id` is the next id this connection would
/// use: every id below it was asked, so an unexpired one there has been answered already.
fn stray_answer_note(
    key: Option<u64>,
    id: Option<&Id>,
    expired: Option<&str>,
    next_id: u64,
) -> String {
    match (key, id, expired) {
        (Some(k), _, Some(why)) => format!("late answer to request {k} (it {why})"),
        (Some(k), _, None) if (1..next_id).contains(&k) => {
            format!("duplicate answer to request {k}, which was already answered")
        }
        (_, Some(id), _) => format!("answer to id {id}, which was never asked"),
        (_, None, _) => "answer without an id".to_string(),
    }
}

fn incoming_entry<R>(
    conn: &Conn,
    plugin: Option<String>,
    bytes: Bytes,
    parsed: &Result<Incoming<R>, jsonrpc::Invalid>,
) -> LogEntry {
    let registered = plugin.is_some();
    let (kind, notes) = entry_kind(parsed);
    let mut entry = LogEntry::new(Direction::In, conn.id, plugin, bytes, kind);
    entry.notes = notes;
    if registered {
        match &entry.kind {
            EntryKind::Request { .. } => {
                entry.notes.push(
                    "unexpected request from the plugin: the TGO host never answers these".into(),
                );
                entry.problem = true;
            }
            EntryKind::Notification { .. } => {
                entry
                    .notes
                    .push("notification from the plugin: the TGO host ignores these".into());
            }
            _ => {}
        }
    }
    entry
}

/// What a parsed frame is, as a log entry's kind, and the parser's notes on it.
pub(crate) fn entry_kind<R>(
    parsed: &Result<Incoming<R>, jsonrpc::Invalid>,
) -> (EntryKind, Vec<String>) {
    match parsed {
        Ok(inc) => {
            let kind = match &inc.message {
                Message::Request { id, method, .. } => EntryKind::Request {
                    id: id.clone(),
                    method: method.clone(),
                },
                Message::Notification { method, .. } => EntryKind::Notification {
                    method: method.clone(),
                },
                Message::Response {
                    id,
                    body: ResponseBody::Result(_),
                } => EntryKind::Result { id: id.clone() },
                Message::Response {
                    id,
                    body: ResponseBody::Error(e),
                } => EntryKind::Error {
                    id: id.clone(),
                    code: e.code,
                    message: e.message.clone(),
                },
                Message::Response {
                    body: ResponseBody::Invalid(reason),
                    ..
                } => EntryKind::Invalid {
                    reason: reason.clone(),
                },
            };
            (kind, inc.notes.clone())
        }
        Err(invalid) => (
            EntryKind::Invalid {
                reason: invalid.reason.clone(),
            },
            Vec::new(),
        ),
    }
}

/// The frame as the log keeps it: a `register`'s `dev_token` cut to its first characters
/// (it is the real host's secret; the wire still carries it whole).
pub(crate) fn redact_dev_token(frame: &Bytes) -> Bytes {
    // Cheap test first: almost no frame has one.
    if !frame.windows(11).any(|w| w == b"\"dev_token\"") {
        return frame.clone();
    }
    let Ok(mut v) = serde_json::from_slice::<Value>(frame) else {
        return frame.clone();
    };
    let Some(token) = v.pointer_mut("/params/dev_token") else {
        return frame.clone();
    };
    if let Value::String(t) = token {
        let head: String = t.chars().take(8).collect();
        *t = format!("{head}…(redacted, {} chars)", t.chars().count());
    } else {
        *token = Value::String("(redacted)".into());
    }
    serde_json::to_vec(&v).map_or_else(|_| frame.clone(), Bytes::from)
}

pub(crate) async fn reply_error(
    shared: &Shared,
    conn: &Conn,
    id: Option<&Id>,
    code: i64,
    message: &str,
    data: Option<Value>,
) {
    let err = RpcError {
        code,
        message: message.to_string(),
        data,
    };
    let frame = jsonrpc::error_bytes(id, &err);
    shared.log_frame(LogEntry::new(
        Direction::Out,
        conn.id,
        None,
        frame.clone(),
        EntryKind::Error {
            id: id.cloned(),
            code,
            message: message.to_string(),
        },
    ));
    conn.send(frame).await;
}

/// `plugin_` + 8 hex digits, as the real host invents ids.
pub(crate) fn generated_id(conn: ConnId) -> String {
    use std::hash::BuildHasher;
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let h = std::hash::RandomState::new().hash_one((nanos, conn));
    format!("plugin_{:08x}", h as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stray_answers_say_why_they_match_nothing() {
        let note =
            |k: u64, expired| stray_answer_note(Some(k), Some(&Id::Num(k as i64)), expired, 4);
        assert_eq!(
            note(2, Some("timed out")),
            "late answer to request 2 (it timed out)"
        );
        assert_eq!(
            note(3, None),
            "duplicate answer to request 3, which was already answered"
        );
        assert_eq!(note(4, None), "answer to id 4, which was never asked");
        assert_eq!(note(0, None), "answer to id 0, which was never asked");
        let text_id = Id::Str("x".into());
        assert_eq!(
            stray_answer_note(None, Some(&text_id), None, 4),
            "answer to id \"x\", which was never asked"
        );
        assert_eq!(
            stray_answer_note(None, None, None, 4),
            "answer without an id"
        );
    }

    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Counts the writes that reach the stream.
    struct Counting<W> {
        inner: W,
        writes: Arc<AtomicU64>,
    }

    impl<W: AsyncWrite + Unpin> AsyncWrite for Counting<W> {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
            if let Poll::Ready(Ok(_)) = polled {
                self.writes.fetch_add(1, Ordering::Relaxed);
            }
            polled
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    fn frames(n: usize) -> Vec<Bytes> {
        (0..n)
            .map(|i| Bytes::from(format!("{{\"n\":{i}}}")))
            .collect()
    }

    /// Every frame the other end receives until EOF.
    async fn read_all(rd: tokio::io::DuplexStream) -> Vec<Bytes> {
        FramedRead::new(rd, FrameCodec::default())
            .map(|f| f.expect("well-formed frame"))
            .collect()
            .await
    }

    fn no_raw() -> mpsc::Receiver<RawWrite> {
        mpsc::channel(1).1
    }

    fn sink<W: AsyncWrite>(w: W) -> FramedWrite<W, FrameCodec> {
        FramedWrite::new(w, FrameCodec::default())
    }

    #[tokio::test]
    async fn queued_frames_go_out_in_order_in_few_writes() {
        let (ours, theirs) = tokio::io::duplex(1 << 20);
        let writes = Arc::new(AtomicU64::new(0));
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let sent = frames(500);
        for f in &sent {
            tx.send(f.clone()).await.unwrap();
        }
        drop(tx);
        let counting = Counting {
            inner: ours,
            writes: writes.clone(),
        };
        write_loop(sink(counting), rx, no_raw(), CancellationToken::new()).await;
        assert_eq!(
            read_all(theirs).await,
            sent,
            "all frames, in order, then EOF"
        );
        let writes = writes.load(Ordering::Relaxed);
        // Two batches of small frames: one write each (one per frame before batching).
        assert!((1..=4).contains(&writes), "{writes} writes for 500 frames");
    }

    #[tokio::test]
    async fn order_holds_while_the_peer_reads_slowly() {
        // A 100-byte pipe: the writer blocks mid-batch while new frames keep arriving.
        let (ours, theirs) = tokio::io::duplex(100);
        let (tx, rx) = mpsc::channel(16);
        let writer = tokio::spawn(write_loop(
            sink(ours),
            rx,
            no_raw(),
            CancellationToken::new(),
        ));
        let sent = frames(3000);
        let feeder = {
            let sent = sent.clone();
            tokio::spawn(async move {
                for f in sent {
                    tx.send(f).await.unwrap();
                }
            })
        };
        let got = read_all(theirs).await;
        feeder.await.unwrap();
        writer.await.unwrap();
        assert_eq!(got, sent);
    }

    #[tokio::test]
    async fn raw_bytes_follow_the_frames_queued_before_them_unframed() {
        use tokio::io::AsyncReadExt;
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let (raw_tx, raw_rx) = mpsc::channel(1);
        let sent = frames(3);
        for f in &sent {
            tx.send(f.clone()).await.unwrap();
        }
        let close = CancellationToken::new();
        let writer = tokio::spawn(write_loop(sink(ours), rx, raw_rx, close.clone()));
        let (done, written) = oneshot::channel();
        let half = Bytes::from_static(b"\0\0\0\x10{\"id\"");
        raw_tx
            .send(RawWrite {
                bytes: half.clone(),
                done,
            })
            .await
            .unwrap();
        assert!(written.await.unwrap(), "acknowledged once written");
        close.cancel();
        writer.await.unwrap();
        let mut got = Vec::new();
        theirs.read_to_end(&mut got).await.unwrap();
        let mut expected: Vec<u8> = sent
            .iter()
            .flat_map(|f| crate::protocol::codec::frame(f))
            .collect();
        expected.extend_from_slice(&half);
        assert_eq!(got, expected);
    }

    #[tokio::test]
    async fn closing_flushes_what_was_queued_then_shuts_down() {
        let (ours, theirs) = tokio::io::duplex(1 << 16);
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let sent = frames(3);
        for f in &sent {
            tx.send(f.clone()).await.unwrap();
        }
        let close = CancellationToken::new();
        close.cancel();
        // The sender is still alive: only the close ends the loop.
        write_loop(sink(ours), rx, no_raw(), close).await;
        assert_eq!(read_all(theirs).await, sent);
        drop(tx);
    }

    #[tokio::test]
    async fn closing_gives_up_on_a_peer_that_stopped_reading() {
        let (ours, _theirs) = tokio::io::duplex(64);
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        tx.send(Bytes::from(vec![b'x'; 100_000])).await.unwrap();
        let close = CancellationToken::new();
        let writer = tokio::spawn(write_loop(sink(ours), rx, no_raw(), close.clone()));
        tokio::task::yield_now().await;
        close.cancel();
        // A hang guard, not a performance check: without the close this never ends.
        tokio::time::timeout(Duration::from_secs(10), writer)
            .await
            .expect("the writer stopped")
            .unwrap();
    }
}
