//! Proxy mode (`--upstream ADDR`): the host stands between its plugins and a real TGO host.
//!
//! Each plugin that registers gets its own connection to the upstream, opened then: the
//! `register` is forwarded (with `--dev-token` put in, if given) and the upstream's answer,
//! an error included, is what the plugin hears. Afterwards every frame is relayed unchanged
//! both ways (host requests keep their ids), but for the console's own requests, which use
//! ids from [`CONSOLE_ID_BASE`] up and whose answers stay here. Every frame is logged once
//! per leg it crosses ([`Party`]), the copy naming its original (`via`), so the inspector can
//! line a host request, its copy and the answer up with their latencies.

use super::conn::{self, Conn};
use super::log::{Direction, EntryKind, LogEntry};
use super::register::{PluginInfo, RegisterError};
use super::{HostEvent, Shared};
use crate::protocol::jsonrpc::{self, UNAVAILABLE};
use crate::protocol::{FrameCodec, Id, Incoming, Message, ResponseBody};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncRead;
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

/// First id of the console's own requests to a proxied plugin. The real host numbers its
/// requests per connection from 1, so it would need a billion of them on one connection to
/// reach this; the console's answers are told from the host's by id.
pub const CONSOLE_ID_BASE: u64 = 1_000_000_000;

/// Frames queued for the upstream's writer before senders wait.
const WRITE_QUEUE: usize = 1024;

/// Where the real host listens: `unix:/path/to/tgo.sock` or `tcp:HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamAddr {
    Unix(PathBuf),
    Tcp(String),
}

/// Why an `ADDR` is not one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddrError {
    #[error("{0:?} names no transport: write unix:/path/to/tgo.sock or tcp:HOST:PORT")]
    NoScheme(String),
    #[error("{0:?}: unix: needs a socket path after it (unix:/var/run/tgo/tgo.sock)")]
    NoPath(String),
    #[error("{0:?}: tcp: needs HOST:PORT after it (tcp:127.0.0.1:8005)")]
    NoPort(String),
}

impl std::str::FromStr for UpstreamAddr {
    type Err = AddrError;

    fn from_str(text: &str) -> Result<Self, AddrError> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(AddrError::NoPath(text.into()));
            }
            return Ok(UpstreamAddr::Unix(PathBuf::from(path)));
        }
        if let Some(addr) = text.strip_prefix("tcp:") {
            // HOST:PORT, HOST may be [v6]; the port must be a number.
            let port_ok = addr
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(AddrError::NoPort(text.into()));
            }
            return Ok(UpstreamAddr::Tcp(addr.to_string()));
        }
        Err(AddrError::NoScheme(text.into()))
    }
}

impl std::fmt::Display for UpstreamAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamAddr::Unix(p) => write!(f, "unix:{}", p.display()),
            UpstreamAddr::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

/// Proxy settings.
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    pub addr: UpstreamAddr,
    /// Put into every forwarded `register` as `params.dev_token` (over the plugin's own).
    pub dev_token: Option<String>,
    /// First wait before redialling a lost upstream; doubled after each failed try.
    pub redial_min: Duration,
    pub redial_max: Duration,
}

impl UpstreamConfig {
    pub fn new(addr: UpstreamAddr) -> Self {
        Self {
            addr,
            dev_token: None,
            redial_min: Duration::from_millis(200),
            redial_max: Duration::from_secs(10),
        }
    }
}

type BoxRead = Pin<Box<dyn AsyncRead + Send>>;
type Reader = FramedRead<BoxRead, FrameCodec>;

/// One open connection to the upstream: its writer's queue and what closes it.
pub(crate) struct Link {
    tx: mpsc::Sender<Bytes>,
    close: CancellationToken,
}

impl Link {
    pub(crate) fn is_closed(&self) -> bool {
        self.close.is_cancelled()
    }

    /// Queues a frame for the upstream; `false` when the link is gone.
    pub(crate) async fn send(&self, frame: Bytes) -> bool {
        self.tx.send(frame).await.is_ok()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.close.cancel();
    }
}

/// A host request sent on to the plugin, waiting for its answer.
pub(crate) struct Forwarded {
    pub link: Arc<Link>,
    /// The host's request as logged on the upstream leg, and its copy to the plugin.
    pub host_seq: u64,
    pub copy_seq: u64,
    pub received: Instant,
    pub sent: Instant,
}

/// Connects to the upstream (within the register timeout: an unreachable TCP host would
/// otherwise hold the plugin for the system's minutes); its writer runs on the host's tracker.
async fn dial(shared: &Shared, addr: &UpstreamAddr) -> std::io::Result<(Arc<Link>, Reader)> {
    let wait = shared.config.register_timeout;
    tokio::time::timeout(wait, connect(shared, addr))
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no connection within {} s", wait.as_secs_f64()),
            ))
        })
}

async fn connect(shared: &Shared, addr: &UpstreamAddr) -> std::io::Result<(Arc<Link>, Reader)> {
    let max = shared.config.max_frame_bytes;
    let (read, write): (BoxRead, Pin<Box<dyn tokio::io::AsyncWrite + Send>>) = match addr {
        UpstreamAddr::Unix(path) => {
            let (r, w) = tokio::net::UnixStream::connect(path).await?.into_split();
            (Box::pin(r), Box::pin(w))
        }
        UpstreamAddr::Tcp(a) => {
            let stream = tokio::net::TcpStream::connect(a.as_str()).await?;
            let _ = stream.set_nodelay(true);
            let (r, w) = stream.into_split();
            (Box::pin(r), Box::pin(w))
        }
    };
    let (tx, rx) = mpsc::channel(WRITE_QUEUE);
    let close = CancellationToken::new();
    let writer = FramedWrite::new(write, FrameCodec::new(max));
    // No unframed bytes toward the real host (chaos is for plugins): a closed channel.
    let (_, raw) = mpsc::channel(1);
    shared
        .tracker
        .spawn(conn::write_loop(writer, rx, raw, close.clone()));
    Ok((
        Arc::new(Link { tx, close }),
        FramedRead::new(read, FrameCodec::new(max)),
    ))
}

/// `register`'s frame with `params.dev_token` set to `token`, or as it came without one.
fn with_dev_token(frame: &Bytes, token: Option<&str>) -> Bytes {
    let Some(token) = token else {
        return frame.clone();
    };
    match serde_json::from_slice::<Value>(frame) {
        Ok(mut v) => match v.get_mut("params").and_then(Value::as_object_mut) {
            Some(params) => {
                params.insert("dev_token".into(), Value::String(token.into()));
                Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
            }
            None => frame.clone(),
        },
        Err(_) => frame.clone(),
    }
}

/// What the upstream said to a `register`.
enum Verdict {
    Accepted { plugin_id: Option<String> },
    Refused { reason: String },
}

/// Reads the upstream's answer: a result (unless `success: false`) accepts.
fn verdict(answer: &Result<Incoming, jsonrpc::Invalid>) -> Verdict {
    match answer {
        Ok(Incoming {
            message:
                Message::Response {
                    body: ResponseBody::Result(v),
                    ..
                },
            ..
        }) => {
            if v.get("success").and_then(Value::as_bool) == Some(false) {
                let why = v
                    .get("error")
                    .or_else(|| v.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("success: false");
                return Verdict::Refused {
                    reason: why.to_string(),
                };
            }
            Verdict::Accepted {
                plugin_id: v.get("plugin_id").and_then(Value::as_str).map(String::from),
            }
        }
        Ok(Incoming {
            message:
                Message::Response {
                    body: ResponseBody::Error(e),
                    ..
                },
            ..
        }) => Verdict::Refused {
            reason: format!("error {}: {}", e.code, e.message),
        },
        Ok(_) => Verdict::Refused {
            reason: "its first frame was not an answer".into(),
        },
        Err(invalid) => Verdict::Refused {
            reason: format!("invalid answer: {}", invalid.reason),
        },
    }
}

/// Sends `register` on a fresh link and reads the answer (both logged on the upstream leg;
/// the request names `via`, the plugin's own register, the first time). `Err`: no answer.
async fn exchange(
    shared: &Shared,
    conn: &Conn,
    link: &Link,
    reader: &mut Reader,
    frame: &Bytes,
    via: Option<u64>,
    plugin: Option<String>,
) -> Result<(Bytes, u64, Verdict), String> {
    let mut out = LogEntry::new(
        Direction::Out,
        conn.id,
        plugin.clone(),
        conn::redact_dev_token(frame),
        EntryKind::Request {
            id: jsonrpc::parse(frame)
                .ok()
                .and_then(|i| match i.message {
                    Message::Request { id, .. } => Some(id),
                    _ => None,
                })
                .unwrap_or(Id::Num(0)),
            method: "register".into(),
        },
    )
    .upstream();
    out.via = via;
    let sent_seq = shared.log_frame(out);
    let sent = Instant::now();
    if !link.send(frame.clone()).await {
        return Err("the connection closed at once".into());
    }
    let wait = shared.config.register_timeout;
    let answer = match tokio::time::timeout(wait, reader.next()).await {
        Err(_) => {
            return Err(format!(
                "no answer to register within {} s",
                wait.as_secs_f64()
            ));
        }
        Ok(None) => return Err("it closed the connection without answering register".into()),
        Ok(Some(Err(e))) => return Err(format!("frame error: {e}")),
        Ok(Some(Ok(bytes))) => bytes,
    };
    let parsed = jsonrpc::parse(&answer);
    let verdict = verdict(&parsed);
    let (kind, notes) = conn::entry_kind(&parsed);
    let mut entry = LogEntry::new(Direction::In, conn.id, plugin, answer.clone(), kind).upstream();
    entry.notes = notes;
    let seq = {
        let mut log = shared.log.lock();
        let seq = log.push(entry);
        log.pair(sent_seq, seq, sent.elapsed());
        seq
    };
    shared.log_changed(seq);
    Ok((answer, seq, verdict))
}

/// The proxy's side of a plugin's `register` (read and logged by the caller as
/// `plugin_seq`): forwarded upstream, the answer handed back. `Err` is why the plugin's
/// connection ends (the upstream refused or could not be reached; the plugin was told).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn register(
    shared: &Arc<Shared>,
    conn: &Arc<Conn>,
    up: &UpstreamConfig,
    frame: Bytes,
    plugin_seq: u64,
    received: Instant,
    id: Id,
    info: Result<PluginInfo, RegisterError>,
    asked_id: Option<String>,
) -> Result<(), String> {
    let frame = with_dev_token(&frame, up.dev_token.as_deref());
    let fail = async |why: String| {
        let message = format!("tgo-console proxy: the upstream host {}: {why}", up.addr);
        conn::reply_error(shared, conn, Some(&id), UNAVAILABLE, &message, None).await;
        shared.emit(HostEvent::Rejected {
            conn: conn.id,
            reason: message.clone(),
        });
        Err(message)
    };
    let (link, mut reader) = match dial(shared, &up.addr).await {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot be reached: {e}")).await,
    };
    shared.log_event(
        conn.id,
        asked_id.clone(),
        format!("upstream connection opened to {}", up.addr),
        false,
    );
    let (answer, answer_seq, verdict) = match exchange(
        shared,
        conn,
        &link,
        &mut reader,
        &frame,
        Some(plugin_seq),
        asked_id.clone(),
    )
    .await
    {
        Ok(x) => x,
        Err(why) => return fail(why).await,
    };
    match verdict {
        Verdict::Refused { reason } => {
            // The upstream's own answer, as it is, is what the plugin hears.
            let mut entry = LogEntry::new(
                Direction::Out,
                conn.id,
                asked_id.clone(),
                answer.clone(),
                conn::entry_kind(&jsonrpc::parse(&answer)).0,
            );
            entry.via = Some(answer_seq);
            {
                let mut log = shared.log.lock();
                let seq = log.push(entry);
                log.pair(plugin_seq, seq, received.elapsed());
                drop(log);
                shared.log_changed(seq);
            }
            conn.send(answer).await;
            let reason = format!("the upstream host refused register: {reason}");
            shared.log_event(conn.id, asked_id, reason.clone(), true);
            shared.emit(HostEvent::Rejected {
                conn: conn.id,
                reason: reason.clone(),
            });
            Err(reason)
        }
        Verdict::Accepted { plugin_id } => {
            let plugin_id = plugin_id
                .or(asked_id)
                .unwrap_or_else(|| conn::generated_id(conn.id));
            let info = info.unwrap_or_else(|reason| lenient_info(&reason));
            conn.set_upstream(Some(link.clone()));
            conn::accept_registration(
                shared,
                conn,
                plugin_id,
                info,
                answer,
                plugin_seq,
                received,
                Some(answer_seq),
                &format!(" through the upstream {}", up.addr),
            )
            .await;
            shared.tracker.spawn(session(
                shared.clone(),
                conn.clone(),
                up.clone(),
                frame,
                reader,
                link,
            ));
            Ok(())
        }
    }
}

/// What a register this host would refuse, but the upstream accepted, is taken as.
fn lenient_info(reason: &RegisterError) -> PluginInfo {
    PluginInfo {
        requested_id: None,
        name: "unknown".into(),
        version: "0.0.0".into(),
        description: None,
        author: None,
        capabilities: Vec::new(),
        notes: vec![format!(
            "tgo-console would refuse this register ({reason}); the upstream host accepted it"
        )],
    }
}

/// Relays the upstream's frames to the plugin while the link lasts, then redials (with
/// backoff) and registers again, until the plugin's connection ends.
async fn session(
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    up: UpstreamConfig,
    frame: Bytes,
    mut reader: Reader,
    mut link: Arc<Link>,
) {
    let closed = conn.closed();
    loop {
        let why = tokio::select! {
            _ = closed.cancelled() => {
                conn.set_upstream(None);
                link.close.cancel();
                shared.log_event(conn.id, conn.plugin_id(), "upstream connection closed: the plugin's connection ended".into(), false);
                return;
            }
            why = relay(&shared, &conn, &link, &mut reader) => why,
        };
        conn.set_upstream(None);
        link.close.cancel();
        let text = format!("upstream connection lost: {why}; the plugin is kept, redialling");
        shared.log_event(conn.id, conn.plugin_id(), text.clone(), true);
        upstream_event(&shared, &conn, false, text);
        let mut delay = up.redial_min;
        let mut failures = 0u32;
        (link, reader) = loop {
            tokio::select! {
                _ = closed.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(up.redial_max);
            let attempt = match dial(&shared, &up.addr).await {
                Err(e) => Err(format!("cannot reach {}: {e}", up.addr)),
                Ok((link, mut reader)) => {
                    match exchange(
                        &shared,
                        &conn,
                        &link,
                        &mut reader,
                        &frame,
                        None,
                        conn.plugin_id(),
                    )
                    .await
                    {
                        Ok((_, _, Verdict::Accepted { plugin_id })) => {
                            Ok((link, reader, plugin_id))
                        }
                        Ok((_, _, Verdict::Refused { reason })) => {
                            Err(format!("it refused register again: {reason}"))
                        }
                        Err(why) => Err(why),
                    }
                }
            };
            match attempt {
                Ok((link, reader, plugin_id)) => {
                    let mut text = format!("upstream {} reconnected and registered again", up.addr);
                    if let (Some(new), Some(old)) = (plugin_id, conn.plugin_id())
                        && new != old
                    {
                        text.push_str(&format!(
                            " (it calls the plugin {new} now; the console keeps {old})"
                        ));
                    }
                    shared.log_event(conn.id, conn.plugin_id(), text.clone(), false);
                    upstream_event(&shared, &conn, true, text);
                    conn.set_upstream(Some(link.clone()));
                    break (link, reader);
                }
                Err(why) => {
                    failures += 1;
                    // The first failures are worth seeing; then only every tenth, so a host
                    // down for an hour does not fill the log.
                    if failures <= 3 || failures.is_multiple_of(10) {
                        let text = format!(
                            "upstream redial {failures} failed: {why}; next try in {:.1} s",
                            delay.as_secs_f64()
                        );
                        shared.log_event(conn.id, conn.plugin_id(), text, true);
                    }
                }
            }
        };
    }
}

fn upstream_event(shared: &Shared, conn: &Conn, connected: bool, text: String) {
    shared.emit(HostEvent::Upstream {
        conn: conn.id,
        plugin_id: conn.plugin_id(),
        connected,
        text,
    });
}

/// Forwards what the upstream sends to the plugin until the link ends; returns why it did.
async fn relay(shared: &Shared, conn: &Conn, link: &Arc<Link>, reader: &mut Reader) -> String {
    loop {
        let next = tokio::select! {
            _ = link.close.cancelled() => return "closed".into(),
            next = reader.next() => next,
        };
        let bytes = match next {
            None => return "the host closed the connection".into(),
            Some(Err(e)) => return format!("frame error: {e}"),
            Some(Ok(bytes)) => bytes,
        };
        to_plugin(shared, conn, link, bytes).await;
    }
}

/// One upstream frame: logged on both legs and sent to the plugin unchanged. A request is
/// remembered by id, so the plugin's answer goes back to the host that asked.
async fn to_plugin(shared: &Shared, conn: &Conn, link: &Arc<Link>, bytes: Bytes) {
    let received = Instant::now();
    let parsed = jsonrpc::parse_raw(&bytes);
    let request_id = match &parsed {
        Ok(Incoming {
            message: Message::Request { id, .. },
            ..
        }) => Some(id.clone()),
        _ => None,
    };
    let (kind, notes) = conn::entry_kind(&parsed);
    let plugin = conn.plugin_id();
    let mut from_host = LogEntry::new(
        Direction::In,
        conn.id,
        plugin.clone(),
        bytes.clone(),
        kind.clone(),
    )
    .upstream();
    from_host.notes = notes;
    let mut copy = LogEntry::new(Direction::Out, conn.id, plugin, bytes.clone(), kind);
    let copy_seq = {
        let mut log = shared.log.lock();
        let host_seq = log.push(from_host);
        copy.via = Some(host_seq);
        let copy_seq = log.push(copy);
        if let Some(id) = request_id {
            // Before the frame goes out: the answer may come back at once.
            conn.forward(
                id,
                Forwarded {
                    link: link.clone(),
                    host_seq,
                    copy_seq,
                    received,
                    sent: Instant::now(),
                },
            );
        }
        copy_seq
    };
    shared.log_changed(copy_seq);
    conn.send(bytes).await;
}

/// What the plugin's connection tells the upstream side about one of its frames.
pub(crate) enum FromPlugin {
    /// The answer to a host request: goes back on the link it came from.
    Answer(Forwarded),
    /// Anything else that is not the console's: goes to the upstream as it is.
    Other,
}

/// Logs the upstream copy of a plugin frame (`plugin_seq` is the plugin leg's entry) and
/// returns the link to send it on, if one is up.
pub(crate) fn logged_copy(
    shared: &Shared,
    conn: &Conn,
    plugin: &Option<String>,
    bytes: &Bytes,
    kind: EntryKind,
    plugin_seq: u64,
    what: FromPlugin,
) -> Option<Arc<Link>> {
    let (link, pair) = match what {
        FromPlugin::Answer(f) => (Some(f.link), Some((f.host_seq, f.received.elapsed()))),
        FromPlugin::Other => (conn.upstream_link(), None),
    };
    let Some(link) = link.filter(|l| !l.is_closed()) else {
        let note = "not forwarded: the upstream connection is down".to_string();
        let mut log = shared.log.lock();
        let amended = log.mark_problem(plugin_seq, note);
        let last = log.last_seq();
        drop(log);
        if amended {
            shared.log_changed(last);
        }
        return None;
    };
    let mut copy =
        LogEntry::new(Direction::Out, conn.id, plugin.clone(), bytes.clone(), kind).upstream();
    copy.via = Some(plugin_seq);
    copy.problem = false;
    let seq = {
        let mut log = shared.log.lock();
        let seq = log.push(copy);
        if let Some((host_seq, total)) = pair {
            log.pair(host_seq, seq, total);
        }
        seq
    };
    shared.log_changed(seq);
    Some(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_say_what_is_wrong() {
        assert_eq!(
            "unix:/var/run/tgo/tgo.sock".parse(),
            Ok(UpstreamAddr::Unix("/var/run/tgo/tgo.sock".into()))
        );
        assert_eq!(
            "tcp:127.0.0.1:8005".parse(),
            Ok(UpstreamAddr::Tcp("127.0.0.1:8005".into()))
        );
        assert_eq!(
            "tcp:[::1]:8005".parse(),
            Ok(UpstreamAddr::Tcp("[::1]:8005".into()))
        );
        assert_eq!(
            "tcp:tgo.example:8005"
                .parse::<UpstreamAddr>()
                .unwrap()
                .to_string(),
            "tcp:tgo.example:8005"
        );
        for (bad, says) in [
            ("/var/run/tgo.sock", "names no transport"),
            ("unix:", "needs a socket path"),
            ("tcp:localhost", "needs HOST:PORT"),
            ("tcp::8005", "needs HOST:PORT"),
            ("tcp:host:http", "needs HOST:PORT"),
        ] {
            let e = bad.parse::<UpstreamAddr>().unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn the_dev_token_is_put_in_or_replaced() {
        let frame = Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":1,"method":"register","params":{"id":"p","dev_token":"old"}}"#,
        );
        assert_eq!(with_dev_token(&frame, None), frame);
        let v: Value = serde_json::from_slice(&with_dev_token(&frame, Some("new"))).unwrap();
        assert_eq!(v["params"]["dev_token"], "new");
        assert_eq!(v["params"]["id"], "p");
        let bare =
            Bytes::from_static(br#"{"jsonrpc":"2.0","id":1,"method":"register","params":{}}"#);
        let v: Value = serde_json::from_slice(&with_dev_token(&bare, Some("t"))).unwrap();
        assert_eq!(v["params"]["dev_token"], "t");
    }
}
