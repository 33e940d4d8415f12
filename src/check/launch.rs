//! One plugin on a fresh host: start the host, launch the plugin (or wait for one), wait for
//! its `register`, and later stop both. Shared by `check`, `test` and `call`, so they launch,
//! report a failed registration and clean up the same way.

use super::CheckError;
use super::report::{Status, Step};
use crate::host::{self, EntryKind, HostConfig, HostEvent, HostHandle, Outcome, PluginInfo, Reply};
use crate::launcher::{ChildPlugin, LaunchSpec};
use crate::text::has_control_chars;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// A socket in a directory of our own (mode 0700), removed with it: used when a command
/// launches its plugin itself and no socket was asked for, so it needs neither `/var/run/tgo`
/// nor a free default socket.
#[derive(Debug)]
pub struct PrivateSocket {
    dir: tempfile::TempDir,
}

impl PrivateSocket {
    pub fn new() -> std::io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("tgo-console-").tempdir()?;
        Ok(Self { dir })
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("tgo.sock")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A running host and, when we launched it, the plugin process.
pub struct Launched {
    pub host: HostHandle,
    pub events: UnboundedReceiver<HostEvent>,
    pub child: Option<ChildPlugin>,
}

impl Launched {
    /// Starts the host and, when given, the plugin (with `TGO_SOCKET_PATH`, and the TCP
    /// address when the host listens on one).
    pub async fn start(
        config: HostConfig,
        command: Option<&LaunchSpec>,
    ) -> Result<Self, CheckError> {
        let (host, events) = host::start(config.clone()).await?;
        let child = match command {
            Some(spec) => {
                let mut spec = spec.clone();
                if let Some(sock) = &config.socket {
                    spec.env
                        .push(("TGO_SOCKET_PATH".into(), sock.display().to_string()));
                }
                if let Some(addr) = host.addresses().iter().find(|a| !a.starts_with('/')) {
                    spec.env.push(("TGO_TCP_ADDR".into(), addr.clone()));
                    if let Ok(a) = addr.parse::<std::net::SocketAddr>() {
                        spec.env.push(("TGO_TCP_PORT".into(), a.port().to_string()));
                    }
                }
                match ChildPlugin::spawn(&spec) {
                    Ok(c) => Some(c),
                    Err(source) => {
                        host.shutdown().await;
                        return Err(CheckError::Spawn {
                            command: spec.display(),
                            source,
                        });
                    }
                }
            }
            None => None,
        };
        Ok(Self {
            host,
            events,
            child,
        })
    }

    /// Waits up to `wait` for a registration. The step says what happened (refused, exited,
    /// nothing in time); the plugin's id and info come back when it registered.
    pub async fn wait_for_register(
        &mut self,
        wait: Duration,
    ) -> (Step, Option<(String, PluginInfo)>) {
        let mut step = Step::new("register", Some("register"));
        let deadline = tokio::time::Instant::now() + wait;
        let started = Instant::now();
        let host = self.host.clone();
        loop {
            let child = self.child.as_mut();
            let exited = async {
                match child {
                    Some(c) => c.wait().await.ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ev = self.events.recv() => match ev {
                    Some(HostEvent::Registered { conn, plugin_id, info, .. }) => {
                        step.latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
                        step.detail.push(format!("{} {} as {plugin_id}", info.name, info.version));
                        for c in &info.capabilities {
                            step.detail.push(format!("capability {} \"{}\" (icon {}, priority {})", c.kind, c.title, c.icon.as_deref().unwrap_or("-"), c.priority));
                        }
                        // Every note, not only the first: what an empty register lacks is a list.
                        for note in &info.notes {
                            step.detail.push(format!("note: {note}"));
                            step.mark(Status::Warn, note.clone());
                        }
                        if info.capabilities.is_empty() {
                            step.mark(Status::Fail, "the plugin registered no capabilities: TGO will never call it");
                        }
                        let texts = [&info.name, &info.version].into_iter().chain(info.description.iter()).chain(info.capabilities.iter().map(|c| &c.title));
                        if texts.into_iter().any(|t| has_control_chars(t)) {
                            step.mark(Status::Warn, "control characters in the registration's strings (shown escaped)");
                        }
                        (step.request, step.answer) = register_frames(&host, conn);
                        return (step, Some((plugin_id, info)));
                    }
                    Some(HostEvent::Rejected { reason, .. }) => {
                        step.mark(Status::Fail, format!("registration refused: {reason}"));
                        return (step, None);
                    }
                    Some(HostEvent::Disconnected { reason, plugin_id: None, .. }) if reason != "closed before registering" => {
                        step.mark(Status::Fail, format!("connection ended before registering: {reason}"));
                        return (step, None);
                    }
                    Some(_) => {}
                    None => return (step, None),
                },
                status = exited => {
                    let status = status.map_or("an unknown status".to_string(), |s| s.to_string());
                    step.mark(Status::Fail, format!("the plugin exited ({status}) without registering"));
                    return (step, None);
                }
                _ = tokio::time::sleep_until(deadline) => {
                    step.mark(Status::Fail, format!("no plugin registered within {:.0} s on {}", wait.as_secs_f64(), host.addresses().join(", ")));
                    return (step, None);
                }
            }
        }
    }

    /// Asks the plugin to shut down (when it is still connected), stops the host and the
    /// process, and returns the last `tail` lines the process printed.
    pub async fn close(mut self, plugin_id: Option<&str>, tail: usize) -> Vec<String> {
        let grace = self.host.config().shutdown_grace;
        if let Some(id) = plugin_id.filter(|id| self.host.plugin(id).is_some())
            && let Ok(ticket) = self.host.send(id, "shutdown", json!({}), Some(grace)).await
        {
            ticket.wait().await;
        }
        self.host.shutdown().await;
        self.stop_child(grace).await;
        self.output_tail(tail)
    }

    /// Stops the plugin process (when there is one still running) within `grace` of a
    /// `shutdown`, then SIGTERM, then SIGKILL, and reads the last of its output.
    pub async fn stop_child(&mut self, grace: Duration) {
        if let Some(c) = self.child.as_mut() {
            if c.try_status().is_none() {
                c.stop(grace).await;
            }
            c.drained(Duration::from_secs(1)).await;
        }
    }

    /// The last `n` lines the launched process printed.
    pub fn output_tail(&self, n: usize) -> Vec<String> {
        self.child.as_ref().map_or_else(Vec::new, |c| {
            c.output()
                .lock()
                .tail(n)
                .into_iter()
                .map(|l| l.text)
                .collect()
        })
    }
}

/// A frame of the log as JSON: parsed when it is JSON, else its text.
fn frame_json(host: &HostHandle, seq: Option<u64>) -> Option<Value> {
    let log = host.log();
    let entry = log.get(seq?)?;
    Some(
        serde_json::from_slice(&entry.raw)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&entry.raw).into_owned())),
    )
}

/// The request and the answer frames of a finished request, as they crossed the wire.
pub fn frames(host: &HostHandle, reply: &Reply) -> (Option<Value>, Option<Value>) {
    (
        frame_json(host, Some(reply.request_seq)),
        frame_json(host, reply.response_seq),
    )
}

/// The plugin's `register` frame on `conn` and the host's answer to it (the first frame out on
/// that connection).
fn register_frames(host: &HostHandle, conn: host::ConnId) -> (Option<Value>, Option<Value>) {
    let (request, answer) = {
        let log = host.log();
        let on_conn = || log.entries().iter().filter(|e| e.conn == conn);
        let request = on_conn().find(|e| {
            e.dir == host::Direction::In
                && matches!(&e.kind, EntryKind::Request { method, .. } if method == "register")
        });
        let answer = on_conn().find(|e| {
            e.dir == host::Direction::Out
                && matches!(e.kind, EntryKind::Result { .. } | EntryKind::Error { .. })
        });
        (request.map(|e| e.seq), answer.map(|e| e.seq))
    };
    (frame_json(host, request), frame_json(host, answer))
}

/// The answer of a reply as a JSON value: the result, or the error object.
pub fn answer_value(outcome: &Outcome) -> Option<Value> {
    match outcome {
        Outcome::Result { value } => Some(value.clone()),
        Outcome::PluginError(e) => serde_json::to_value(e).ok(),
        _ => None,
    }
}
