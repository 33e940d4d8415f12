//! Test harness: a real host on a temporary socket, and real plugin processes dialling it.
#![allow(dead_code)]

pub mod console;
pub mod hooked;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tgo_console::host::{self, HostConfig, HostEvent, HostHandle, Outcome, PluginInfo};
use tgo_console::launcher::{ChildPlugin, LaunchSpec};
use tokio::sync::mpsc::UnboundedReceiver;

pub const BIN: &str = env!("CARGO_BIN_EXE_tgo-console");

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub struct TestHost {
    pub handle: HostHandle,
    pub events: UnboundedReceiver<HostEvent>,
    /// Every event `next_event` has received, matching or not, for `event` to look back on.
    pub seen: Vec<HostEvent>,
    pub socket: PathBuf,
    pub dir: tempfile::TempDir,
}

/// A host on a fresh temporary socket, with test-sized timeouts.
pub async fn start_host(tweak: impl FnOnce(&mut HostConfig)) -> TestHost {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let mut config = HostConfig {
        socket: Some(socket.clone()),
        request_timeout: Duration::from_secs(5),
        register_timeout: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(2),
        ..HostConfig::default()
    };
    tweak(&mut config);
    let (handle, events) = host::start(config).await.expect("host starts");
    TestHost {
        handle,
        events,
        seen: Vec::new(),
        socket,
        dir,
    }
}

/// Starts `program args` as a plugin dialling `socket` (for tests where the host's event
/// receiver is lent to the console loop, so `TestHost` itself cannot be borrowed).
pub fn spawn_plugin(socket: &Path, program: &str, args: Vec<String>) -> ChildPlugin {
    ChildPlugin::spawn(&LaunchSpec {
        program: program.into(),
        args,
        cwd: None,
        env: vec![
            ("TGO_SOCKET_PATH".into(), socket.display().to_string()),
            ("TGO_LOG".into(), "debug".into()),
        ],
    })
    .expect("plugin process starts")
}

/// `python3 tests/plugins/rogue.py MODE [ARG]` dialling `socket`.
pub fn spawn_rogue(socket: &Path, mode: &str, arg: Option<&str>) -> ChildPlugin {
    let mut args = vec![
        repo_path("tests/plugins/rogue.py").display().to_string(),
        mode.to_string(),
    ];
    args.extend(arg.map(String::from));
    spawn_plugin(socket, "python3", args)
}

/// The built-in Rust demo plugin dialling `socket` as `id`.
pub fn spawn_demo(socket: &Path, id: &str) -> ChildPlugin {
    spawn_plugin(
        socket,
        BIN,
        vec!["demo-plugin".into(), "--id".into(), id.into()],
    )
}

impl TestHost {
    /// Starts `python3 tests/plugins/rogue.py MODE [ARG]` against this host.
    pub fn rogue(&self, mode: &str, arg: Option<&str>) -> ChildPlugin {
        spawn_rogue(&self.socket, mode, arg)
    }

    /// Starts the built-in Rust demo plugin against this host.
    pub fn demo(&self, id: &str) -> ChildPlugin {
        spawn_demo(&self.socket, id)
    }

    pub fn spawn(&self, program: &str, args: Vec<String>) -> ChildPlugin {
        spawn_plugin(&self.socket, program, args)
    }

    /// Next event matching `pred`, within 10 s.
    pub async fn next_event(&mut self, mut pred: impl FnMut(&HostEvent) -> bool) -> HostEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .expect("event within 10 s")
                .expect("host alive");
            self.seen.push(ev.clone());
            if pred(&ev) {
                return ev;
            }
        }
    }

    /// An event matching `pred`, already received or arriving within 10 s: unlike
    /// `next_event`, waiting for one plugin never loses another plugin's events.
    pub async fn event(&mut self, mut pred: impl FnMut(&HostEvent) -> bool) -> HostEvent {
        match self.seen.iter().find(|e| pred(e)) {
            Some(ev) => ev.clone(),
            None => self.next_event(pred).await,
        }
    }

    /// Waits for `plugin_id` to register (whatever else registers meanwhile); returns its info.
    pub async fn registered_as(&mut self, plugin_id: &str) -> PluginInfo {
        let ev = self
            .event(|e| matches!(e, HostEvent::Registered { plugin_id: id, .. } if id == plugin_id))
            .await;
        match ev {
            HostEvent::Registered { info, .. } => info,
            _ => unreachable!(),
        }
    }

    /// Waits for a registration; returns (plugin_id, info).
    pub async fn registered(&mut self) -> (String, PluginInfo) {
        match self
            .next_event(|e| matches!(e, HostEvent::Registered { .. }))
            .await
        {
            HostEvent::Registered {
                plugin_id, info, ..
            } => (plugin_id, info),
            _ => unreachable!(),
        }
    }

    pub async fn render(&self, plugin_id: &str) -> Outcome {
        let params =
            host::RenderContext::default().render_params(&host::CapabilityKind::VisitorPanel);
        self.handle
            .request(plugin_id, "visitor_panel/render", params)
            .await
            .expect("plugin connected")
            .outcome
    }

    /// True when some log entry's text (kind label, notes, event text) contains `needle`.
    pub fn log_mentions(&self, needle: &str) -> bool {
        let log = self.handle.log();
        log.entries().iter().any(|e| {
            let event = match &e.kind {
                host::EntryKind::Event { text } => text.clone(),
                host::EntryKind::Invalid { reason } => reason.clone(),
                host::EntryKind::Error { message, .. } => message.clone(),
                other => other.label(),
            };
            event.contains(needle) || e.notes.iter().any(|n| n.contains(needle))
        })
    }
}

/// Waits until `cond` holds, polling it every 20 ms; after `patience`, panics with `failure()`.
pub async fn eventually(
    patience: Duration,
    mut cond: impl FnMut() -> bool,
    failure: impl FnOnce() -> String,
) {
    let deadline = tokio::time::Instant::now() + patience;
    while !cond() {
        if tokio::time::Instant::now() > deadline {
            panic!("{}", failure());
        }
        // The poll interval: nothing tells when these conditions change.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`eventually`] for tests without a runtime: waits until `path` exists.
pub fn until_exists(path: &Path, patience: Duration, what: &str) {
    let deadline = std::time::Instant::now() + patience;
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: {} not there after {patience:?}",
            path.display()
        );
        // The poll interval: nothing tells when another process creates a file.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Everything a finished process printed to stderr/stdout, joined.
pub async fn output_of(p: &mut ChildPlugin) -> String {
    let _ = p.wait_for(Duration::from_secs(10)).await;
    p.drained(Duration::from_secs(10)).await;
    let out = p.output();
    let out = out.lock();
    out.lines()
        .iter()
        .map(|l| l.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn result(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Result { value } => value,
        other => panic!("expected a result, got {other:?}"),
    }
}

/// Resident memory of this process in MiB.
pub fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// `python3 tests/plugins/scripted.py` dialling `socket`, saying what `script` says (see the
/// plugin's doc). The returned directory holds the script: keep it alive with the plugin.
pub fn spawn_scripted(socket: &Path, script: &Value) -> (ChildPlugin, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script.json");
    std::fs::write(&file, serde_json::to_vec(script).unwrap()).unwrap();
    let args = vec![
        repo_path("tests/plugins/scripted.py").display().to_string(),
        file.display().to_string(),
    ];
    (spawn_plugin(socket, "python3", args), dir)
}
