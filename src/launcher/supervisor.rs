//! Runs many plugins from their manifests: starts, stops, restarts (by hand, after a crash with
//! backoff, or on a file change with `--watch`), and keeps a cheap view of each for the UI.
//!
//! Each launched plugin is a small actor: one tokio task owns its child process (and its file
//! watcher) and takes commands from a channel. The cloneable [`Launcher`] handle sends those
//! commands and reads a shared table of views. Dropping every handle stops every plugin (its
//! process group is SIGKILLed); [`Launcher::shutdown`] stops them gracefully.

use super::build::{self, BuildError};
use super::manifest::Manifest;
use super::outbox::Outbox;
use super::process::{ChildPlugin, OutputBuffer, OutputLine, SpawnOptions, become_subreaper};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, oneshot};

/// A run shorter than this that ends by itself counts as a crash for the backoff.
const QUICK_CRASH: Duration = Duration::from_secs(10);
/// A run longer than this resets the backoff.
const HEALTHY_RUN: Duration = Duration::from_secs(30);
/// Longest backoff between automatic restarts (unless `restart_delay` itself is longer).
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Quick crashes in a row that make a crash loop.
const CRASH_LOOP_AFTER: u32 = 3;
/// File changes closer together than this make one restart.
const WATCH_DEBOUNCE: Duration = Duration::from_millis(300);
/// Output lines kept in a [`LaunchedView`].
const VIEW_LINES: usize = 3;
/// Directories a watch never looks into (`stories` and `__snapshots__` hold the console's
/// scenario files: saving one, or a played story's `.snap.new`, is no change to the plugin).
const IGNORED_DIRS: [&str; 7] = [
    ".git",
    "target",
    "node_modules",
    "__pycache__",
    ".venv",
    "stories",
    "__snapshots__",
];

/// What every launched plugin shares.
#[derive(Clone, Debug)]
pub struct LaunchEnv {
    /// Passed to plugins as `TGO_SOCKET_PATH`.
    pub socket: Option<PathBuf>,
    /// Passed to plugins as `TGO_TCP_PORT`.
    pub tcp_port: Option<u16>,
    /// Restart a plugin when a file in its directory changes.
    pub watch: bool,
    /// How long [`Launcher::stop`] waits for an exit before SIGTERM, and again before SIGKILL.
    pub grace: Duration,
}

impl Default for LaunchEnv {
    fn default() -> Self {
        Self {
            socket: None,
            tcp_port: None,
            watch: false,
            grace: Duration::from_secs(5),
        }
    }
}

/// Names one launched plugin for as long as the launcher runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LaunchId(pub u64);

impl fmt::Display for LaunchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a launched plugin's process is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcState {
    /// Being built from its manifest's `build` section (a process of the previous build may
    /// still run beside it).
    Building,
    Starting,
    Running,
    /// Ended by itself with this exit code.
    Exited {
        code: i32,
    },
    /// Ended by a signal we did not send.
    Killed {
        signal: i32,
    },
    /// Could not be started (program missing, not executable...). Not retried automatically: a
    /// manual start, or a file change under `--watch`, tries again.
    FailedToStart(String),
    /// Its build failed (the errors are in its output). Not retried automatically: a build by
    /// hand, or a file change under `--watch`, tries again.
    BuildFailed(String),
    /// Ended by itself; starting again at `at`. `attempt` counts the restarts in a row without a
    /// healthy run between them (1 for the first).
    Restarting {
        at: Instant,
        attempt: u32,
    },
    /// Crashed quickly `restarts` times in a row; still retried, at `next`, with the longest
    /// backoff.
    CrashLoop {
        restarts: u32,
        next: Instant,
    },
    /// Being stopped by us (waiting for it to exit, then SIGTERM, then SIGKILL).
    Stopping,
    /// Stopped by us.
    Stopped,
}

impl ProcState {
    /// Whether a process is (or is about to be) there.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            Self::Building | Self::Starting | Self::Running | Self::Stopping
        )
    }
}

impl fmt::Display for ProcState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let now = Instant::now();
        match self {
            Self::Building => f.write_str("building"),
            Self::Starting => f.write_str("starting"),
            Self::Running => f.write_str("running"),
            Self::Exited { code } => write!(f, "exited ({code})"),
            Self::Killed { signal } => write!(f, "killed by signal {signal}"),
            Self::FailedToStart(why) => write!(f, "failed to start: {why}"),
            Self::BuildFailed(why) => write!(f, "build failed: {why}"),
            Self::Restarting { at, attempt } => write!(
                f,
                "restarting in {:.1}s (attempt {attempt})",
                at.saturating_duration_since(now).as_secs_f64()
            ),
            Self::CrashLoop { restarts, next } => write!(
                f,
                "crash loop ({restarts} quick crashes), next try in {:.1}s",
                next.saturating_duration_since(now).as_secs_f64()
            ),
            Self::Stopping => f.write_str("stopping"),
            Self::Stopped => f.write_str("stopped"),
        }
    }
}

/// What the launcher tells the UI.
#[derive(Clone, Debug)]
pub enum LauncherEvent {
    State {
        id: LaunchId,
        state: ProcState,
        /// The process, while one runs.
        pid: Option<u32>,
        /// Starts after the first one so far.
        restarts: u32,
    },
    Output {
        id: LaunchId,
        line: OutputLine,
    },
    /// Lines it printed that were dropped, unseen, before the next `Output`: it printed
    /// faster than the console takes them (see `outbox`).
    Dropped {
        id: LaunchId,
        lines: u64,
    },
    /// `--watch`: `path` changed, so the plugin is being restarted.
    Changed {
        id: LaunchId,
        path: PathBuf,
    },
    /// Its build failed; `kept`: the process of the previous build still runs.
    BuildFailed {
        id: LaunchId,
        message: String,
        kept: bool,
    },
    /// It was removed and its process is gone: the launcher forgot it.
    Removed {
        id: LaunchId,
    },
}

/// One launched plugin, as the UI shows it.
#[derive(Clone, Debug)]
pub struct LaunchedView {
    pub id: LaunchId,
    pub name: String,
    /// The manifest's `id`, if it gives one.
    pub plugin_id: Option<String>,
    pub manifest: PathBuf,
    /// The command line.
    pub command: String,
    pub state: ProcState,
    /// The current process (`None` when none runs).
    pub pid: Option<u32>,
    /// Its process group (the same number as `pid`: each plugin leads its group).
    pub pgid: Option<i32>,
    /// When the current (or last) process started.
    pub started_at: Option<SystemTime>,
    /// How many times it was started again after the first start.
    pub restarts: u32,
    /// The last few lines it printed.
    pub last_lines: Vec<OutputLine>,
}

impl LaunchedView {
    /// A plugin about to start, no process yet.
    pub fn starting(id: LaunchId, name: String, manifest: PathBuf, command: String) -> Self {
        Self {
            id,
            name,
            plugin_id: None,
            manifest,
            command,
            state: ProcState::Starting,
            pid: None,
            pgid: None,
            started_at: None,
            restarts: 0,
            last_lines: Vec::new(),
        }
    }
}

/// The shared part of one entry: what a snapshot shows.
struct Entry {
    view: LaunchedView,
    output: Arc<Mutex<OutputBuffer>>,
}

type Table = Arc<Mutex<BTreeMap<LaunchId, Entry>>>;

/// What to do to a launched plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchOp {
    Start,
    Stop,
    Restart,
    Remove,
    /// Build it from its manifest, then start it again (a failed build leaves the running
    /// process alone).
    Build,
}

/// `asked`: whether the plugin was asked to exit (JSON-RPC `shutdown`), and so gets the grace
/// to do it before SIGTERM. One that was not asked gets SIGTERM at once (then SIGKILL after the
/// grace): waiting for an exit nobody requested only delays the user.
enum Cmd {
    Start,
    Stop {
        asked: bool,
    },
    Restart {
        asked: bool,
    },
    Remove {
        asked: bool,
    },
    Shutdown(Duration, oneshot::Sender<()>),
    /// From the watcher, debounced.
    Changed(PathBuf),
    Build,
}

struct Inner {
    env: Arc<LaunchEnv>,
    runtime: tokio::runtime::Handle,
    events: Arc<Outbox>,
    table: Table,
    /// The only strong senders: when the last handle goes, every plugin task sees its channel
    /// close and kills its process.
    commands: Mutex<HashMap<LaunchId, mpsc::UnboundedSender<Cmd>>>,
    next_id: AtomicU64,
}

/// The handle that drives the launcher. Cheap to clone.
#[derive(Clone)]
pub struct Launcher {
    inner: Arc<Inner>,
}

/// Starts a launcher. Call it within a tokio runtime; plugins run on that runtime.
///
/// It makes the console a child subreaper (see [`become_subreaper`]).
pub fn spawn_supervisor(env: LaunchEnv) -> (Launcher, mpsc::Receiver<LauncherEvent>) {
    become_subreaper();
    let (events, rx) = Outbox::start();
    let launcher = Launcher {
        inner: Arc::new(Inner {
            env: Arc::new(env),
            runtime: tokio::runtime::Handle::current(),
            events,
            table: Arc::default(),
            commands: Mutex::default(),
            next_id: AtomicU64::new(1),
        }),
    };
    (launcher, rx)
}

impl Launcher {
    /// Adds a plugin and starts it.
    pub fn add(&self, manifest: Manifest) -> LaunchId {
        let inner = &self.inner;
        let id = LaunchId(inner.next_id.fetch_add(1, Ordering::Relaxed));
        let output = Arc::new(Mutex::new(OutputBuffer::default()));
        let mut view = LaunchedView::starting(
            id,
            manifest.name.clone(),
            manifest.path.clone(),
            manifest.spec.display(),
        );
        view.plugin_id = manifest.id.clone();
        inner.table.lock().insert(
            id,
            Entry {
                view,
                output: output.clone(),
            },
        );
        let (tx, rx) = mpsc::unbounded_channel();
        let task = PluginTask {
            id,
            manifest,
            env: inner.env.clone(),
            events: inner.events.clone(),
            table: inner.table.clone(),
            output,
            commands: rx,
            weak_self: tx.downgrade(),
            watcher: None,
            quick_crashes: 0,
            starts: 0,
            held_by_user: false,
            force_build: false,
        };
        inner.commands.lock().insert(id, tx);
        inner.runtime.spawn(task.run());
        id
    }

    fn send(&self, id: LaunchId, cmd: Cmd) {
        if let Some(tx) = self.inner.commands.lock().get(&id) {
            let _ = tx.send(cmd);
        }
    }

    /// Starts it if it is not running (also cuts short a restart delay).
    pub fn start(&self, id: LaunchId) {
        self.send(id, Cmd::Start);
    }

    /// Stops it (waits the grace for an exit, SIGTERM, the grace again, SIGKILL) and keeps it
    /// stopped. The host sends the JSON-RPC `shutdown` first, if it wants to.
    pub fn stop(&self, id: LaunchId) {
        self.apply(id, LaunchOp::Stop, true);
    }

    /// Stops it if it runs, then starts it.
    pub fn restart(&self, id: LaunchId) {
        self.apply(id, LaunchOp::Restart, true);
    }

    /// Builds it, then starts it again (see [`LaunchOp::Build`]).
    pub fn build(&self, id: LaunchId) {
        self.send(id, Cmd::Build);
    }

    /// Stops it, then forgets it (it leaves the snapshot once stopped).
    pub fn remove(&self, id: LaunchId) {
        self.apply(id, LaunchOp::Remove, true);
    }

    /// Does `op`. `asked`: the plugin was sent `shutdown`, so stopping waits the grace for it
    /// to exit before SIGTERM; otherwise SIGTERM comes at once.
    pub fn apply(&self, id: LaunchId, op: LaunchOp, asked: bool) {
        match op {
            LaunchOp::Start => self.send(id, Cmd::Start),
            LaunchOp::Build => self.send(id, Cmd::Build),
            LaunchOp::Stop => self.send(id, Cmd::Stop { asked }),
            LaunchOp::Restart => self.send(id, Cmd::Restart { asked }),
            LaunchOp::Remove => {
                if let Some(tx) = self.inner.commands.lock().remove(&id) {
                    let _ = tx.send(Cmd::Remove { asked });
                }
            }
        }
    }

    /// Every launched plugin, in the order they were added.
    pub fn snapshot(&self) -> Vec<LaunchedView> {
        let table = self.inner.table.lock();
        table
            .values()
            .map(|e| {
                let mut view = e.view.clone();
                view.last_lines = e.output.lock().tail(VIEW_LINES);
                view
            })
            .collect()
    }

    /// Everything it printed (kept across restarts, bounded).
    pub fn output(&self, id: LaunchId) -> Option<Arc<Mutex<OutputBuffer>>> {
        self.inner.table.lock().get(&id).map(|e| e.output.clone())
    }

    /// Stops every plugin at once (each: `grace` for an exit, SIGTERM, `grace`, SIGKILL) and
    /// waits until all are stopped. They stay stopped.
    pub async fn shutdown(&self, grace: Duration) {
        let acks: Vec<_> = {
            let commands = self.inner.commands.lock();
            commands
                .values()
                .filter_map(|tx| {
                    let (ack, done) = oneshot::channel();
                    tx.send(Cmd::Shutdown(grace, ack)).ok().map(|_| done)
                })
                .collect()
        };
        futures::future::join_all(acks).await;
        // Plugins being removed were not asked: wait for them too (they stop on their own,
        // within twice their grace).
        let deadline =
            Instant::now() + self.inner.env.grace.max(grace) * 2 + Duration::from_secs(1);
        while Instant::now() < deadline
            && self
                .inner
                .table
                .lock()
                .values()
                .any(|e| e.view.state.is_live())
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Which launched plugin the process `pid` belongs to: the plugin's own process, any process
    /// in its process group, or (for one that left the group) a descendant of its process.
    pub fn owner_of(&self, pid: u32) -> Option<LaunchId> {
        let live: Vec<(LaunchId, u32, i32)> = self
            .inner
            .table
            .lock()
            .values()
            .filter_map(|e| Some((e.view.id, e.view.pid?, e.view.pgid?)))
            .collect();
        if live.is_empty() {
            return None;
        }
        if let Some(&(id, ..)) = live.iter().find(|(_, p, _)| *p == pid) {
            return Some(id);
        }
        let (_, pgid) = proc_stat(pid)?;
        if let Some(&(id, ..)) = live.iter().find(|(_, _, g)| *g == pgid) {
            return Some(id);
        }
        // Walk up the parents (bounded: a cycle cannot happen, but be safe).
        let mut at = pid;
        for _ in 0..64 {
            let (ppid, _) = proc_stat(at)?;
            if ppid <= 1 {
                return None;
            }
            let ppid = u32::try_from(ppid).ok()?;
            if let Some(&(id, ..)) = live.iter().find(|(_, p, _)| *p == ppid) {
                return Some(id);
            }
            at = ppid;
        }
        None
    }
}

/// `(ppid, pgrp)` of a process.
fn proc_stat(pid: u32) -> Option<(i32, i32)> {
    super::tree::proc_stat(pid).map(|s| (s.ppid, s.pgrp))
}

/// What a plugin task does next.
enum Next {
    Launch,
    /// Nothing runs; wait for a command.
    Idle,
    /// Ended by itself; start again at this instant.
    RestartAt(Instant),
    Exit,
}

/// The actor that owns one plugin's process.
struct PluginTask {
    id: LaunchId,
    manifest: Manifest,
    env: Arc<LaunchEnv>,
    events: Arc<Outbox>,
    table: Table,
    output: Arc<Mutex<OutputBuffer>>,
    commands: mpsc::UnboundedReceiver<Cmd>,
    /// For the watcher: must not keep the channel open.
    weak_self: mpsc::WeakUnboundedSender<Cmd>,
    watcher: Option<notify::RecommendedWatcher>,
    /// Quick crashes in a row.
    quick_crashes: u32,
    starts: u32,
    /// Stopped (or shut down) by hand: neither crash restarts nor file changes start it.
    held_by_user: bool,
    /// Build before the next start even if [`build::needed`] says no (asked by hand, or a
    /// change to what the build reads).
    force_build: bool,
}

/// How a build the task ran ended.
enum Built {
    Ok,
    Failed(BuildError),
    /// A command came that a build must not hold up (stop, remove, shutdown, restart; `None`:
    /// the channel closed): the build was abandoned (its process group killed).
    Interrupted(Option<Cmd>),
}

impl PluginTask {
    async fn run(mut self) {
        if self.env.watch && self.manifest.watchable {
            self.start_watching();
        }
        let mut next = Next::Launch;
        loop {
            next = match next {
                Next::Launch => self.launch_and_supervise().await,
                Next::Idle => self.idle().await,
                Next::RestartAt(at) => self.wait_to_restart(at).await,
                Next::Exit => break,
            };
        }
        self.watcher = None;
        self.table.lock().remove(&self.id);
        self.events.event(LauncherEvent::Removed { id: self.id });
    }

    fn set_state(&self, state: ProcState) {
        let (mut pid, mut restarts) = (None, 0);
        if let Some(e) = self.table.lock().get_mut(&self.id) {
            e.view.state = state.clone();
            if !state.is_live() {
                e.view.pid = None;
                e.view.pgid = None;
            }
            pid = e.view.pid;
            restarts = e.view.restarts;
        }
        self.events.event(LauncherEvent::State {
            id: self.id,
            state,
            pid,
            restarts,
        });
    }

    fn spawn(&mut self) -> std::io::Result<ChildPlugin> {
        let mut spec = self.manifest.spec.clone();
        if let Some(socket) = &self.env.socket {
            set_env(
                &mut spec.env,
                "TGO_SOCKET_PATH",
                socket.display().to_string(),
            );
        }
        if let Some(port) = self.env.tcp_port {
            set_env(&mut spec.env, "TGO_TCP_PORT", port.to_string());
        }
        let events = self.events.clone();
        let id = self.id;
        let opts = SpawnOptions {
            output: Some(self.output.clone()),
            on_line: Some(Arc::new(move |line: &OutputLine| {
                events.line(id, line.clone());
            })),
            ..Default::default()
        };
        ChildPlugin::spawn_with(&spec, opts)
    }

    /// Where build lines go: the plugin's output, as its own lines do.
    fn build_sink(&self) -> super::LineSink {
        let (events, output, id) = (self.events.clone(), self.output.clone(), self.id);
        Arc::new(move |line: &OutputLine| {
            events.line(id, line.clone());
            output.lock().push(line.clone());
        })
    }

    /// A line of the console's own in the plugin's output.
    fn say(&self, text: String) {
        (self.build_sink())(&build::console_line(text));
    }

    /// Builds the plugin (state [`ProcState::Building`]), reloading the manifest after a
    /// success (a new `.venv` changes the program). Commands that cannot wait abandon it.
    async fn build(&mut self) -> Built {
        self.force_build = false;
        self.set_state(ProcState::Building);
        let manifest = self.manifest.clone();
        let run = build::run(&manifest, self.build_sink());
        tokio::pin!(run);
        loop {
            tokio::select! {
                result = &mut run => {
                    return match result {
                        Ok(()) => {
                            self.reload_manifest();
                            Built::Ok
                        }
                        Err(e) => Built::Failed(e),
                    };
                }
                cmd = self.commands.recv() => match cmd {
                    // Already building; a change during the build is in what it reads, or
                    // calls for the next one.
                    Some(Cmd::Start | Cmd::Build) => {}
                    Some(Cmd::Changed(path)) => {
                        self.watch_new_dirs(&path);
                        self.force_build |= build::change_needs_build(&self.manifest, &path);
                    }
                    other => return Built::Interrupted(other),
                },
            }
        }
    }

    /// Reads the manifest again after a build (keeping the old one if it no longer reads).
    fn reload_manifest(&mut self) {
        match super::manifest::load(&self.manifest.path) {
            Ok(mut m) => {
                m.watchable = self.manifest.watchable;
                self.manifest = m;
            }
            Err(e) => tracing::warn!(plugin = %self.manifest.name, "manifest after the build: {e}"),
        }
    }

    /// Says a build failed (in the output, and to the UI); `kept`: the previous process runs on.
    fn build_failed(&self, e: &BuildError, kept: bool) {
        let message = e.to_string();
        let text = if kept {
            format!("build failed, still running the previous build: {message}")
        } else {
            format!("build failed: {message}")
        };
        tracing::warn!(plugin = %self.manifest.name, "{text}");
        self.say(text);
        self.events.event(LauncherEvent::BuildFailed {
            id: self.id,
            message,
            kept,
        });
    }

    /// What a command that abandoned a build with no process running leads to.
    fn after_interrupted(&mut self, cmd: Option<Cmd>) -> Next {
        match cmd {
            None | Some(Cmd::Remove { .. }) => {
                self.set_state(ProcState::Stopped);
                Next::Exit
            }
            Some(Cmd::Restart { .. }) => Next::Launch,
            Some(Cmd::Shutdown(_, ack)) => {
                self.held_by_user = true;
                self.set_state(ProcState::Stopped);
                let _ = ack.send(());
                Next::Idle
            }
            Some(_) => {
                self.held_by_user = true;
                self.set_state(ProcState::Stopped);
                Next::Idle
            }
        }
    }

    async fn launch_and_supervise(&mut self) -> Next {
        if self.manifest.build.is_some() && (self.force_build || build::needed(&self.manifest)) {
            match self.build().await {
                Built::Ok => {}
                Built::Failed(e) => {
                    self.build_failed(&e, false);
                    self.set_state(ProcState::BuildFailed(e.headline()));
                    return Next::Idle;
                }
                Built::Interrupted(cmd) => return self.after_interrupted(cmd),
            }
        }
        self.set_state(ProcState::Starting);
        let mut child = match self.spawn() {
            Ok(child) => child,
            Err(e) => {
                let why = format!("{}: {e}", self.manifest.spec.program);
                tracing::warn!(plugin = %self.manifest.name, "cannot start: {why}");
                self.set_state(ProcState::FailedToStart(why));
                return Next::Idle;
            }
        };
        let started = Instant::now();
        self.starts += 1;
        if let Some(e) = self.table.lock().get_mut(&self.id) {
            e.view.pid = child.pid().and_then(|p| u32::try_from(p).ok());
            e.view.pgid = child.pgid();
            e.view.started_at = Some(SystemTime::now());
            e.view.restarts = self.starts.saturating_sub(1);
        }
        self.set_state(ProcState::Running);
        // A command that abandoned a rebuild, to handle as if it had just come.
        let mut interrupted: Option<Option<Cmd>> = None;
        loop {
            let cmd = if let Some(cmd) = interrupted.take() {
                cmd
            } else {
                tokio::select! {
                    status = child.wait() => {
                        child.kill_leftovers().await; // whatever it left in its group
                        drop(child);
                        let state = match status {
                            Ok(s) => match (s.code(), std::os::unix::process::ExitStatusExt::signal(&s)) {
                                (Some(code), _) => ProcState::Exited { code },
                                (None, Some(signal)) => ProcState::Killed { signal },
                                (None, None) => ProcState::Exited { code: -1 },
                            },
                            Err(e) => ProcState::FailedToStart(format!("lost the process: {e}")),
                        };
                        self.set_state(state);
                        return self.after_exit(started.elapsed());
                    }
                    cmd = self.commands.recv() => cmd,
                }
            };
            match cmd {
                None => return Next::Exit, // dropping the child SIGKILLs its group
                Some(Cmd::Start) => {}
                Some(Cmd::Stop { asked }) => {
                    self.stop_child(child, self.env.grace, asked).await;
                    self.held_by_user = true;
                    return Next::Idle;
                }
                Some(Cmd::Restart { asked }) => {
                    self.stop_child(child, self.env.grace, asked).await;
                    self.quick_crashes = 0;
                    return Next::Launch;
                }
                Some(Cmd::Remove { asked }) => {
                    self.stop_child(child, self.env.grace, asked).await;
                    return Next::Exit;
                }
                Some(Cmd::Shutdown(grace, ack)) => {
                    self.stop_child(child, grace, true).await;
                    self.held_by_user = true;
                    let _ = ack.send(());
                    return Next::Idle;
                }
                Some(Cmd::Build) => {
                    match self.build().await {
                        Built::Ok => {}
                        Built::Failed(e) => {
                            self.build_failed(&e, true);
                            self.set_state(ProcState::Running);
                            continue;
                        }
                        Built::Interrupted(cmd) => {
                            self.set_state(ProcState::Running);
                            interrupted = Some(cmd);
                            continue;
                        }
                    }
                    self.set_state(ProcState::Stopping);
                    let how = child.terminate(self.env.grace).await;
                    tracing::info!(plugin = %self.manifest.name, "stopped for a new build: {how:?}");
                    drop(child);
                    self.set_state(ProcState::Stopped);
                    self.quick_crashes = 0;
                    return Next::Launch;
                }
                Some(Cmd::Changed(path)) if build::change_needs_build(&self.manifest, &path) => {
                    // Built while the old process runs: a failed build keeps it.
                    self.watch_new_dirs(&path);
                    self.events
                        .event(LauncherEvent::Changed { id: self.id, path });
                    interrupted = Some(Some(Cmd::Build));
                }
                Some(Cmd::Changed(path)) => {
                    // Nobody asked it to shut down: no point waiting before SIGTERM.
                    let next = self.changed(path);
                    self.set_state(ProcState::Stopping);
                    let how = child.terminate(self.env.grace).await;
                    tracing::info!(plugin = %self.manifest.name, "stopped for a change: {how:?}");
                    drop(child);
                    self.set_state(ProcState::Stopped);
                    return next;
                }
            }
        }
    }

    async fn stop_child(&self, mut child: ChildPlugin, grace: Duration, asked: bool) {
        self.set_state(ProcState::Stopping);
        let how = if asked {
            child.stop(grace).await
        } else {
            child.terminate(grace).await
        };
        tracing::info!(plugin = %self.manifest.name, "stopped: {how:?}");
        drop(child);
        self.set_state(ProcState::Stopped);
    }

    /// The process ended by itself after running `ran`: schedule a restart, or not.
    fn after_exit(&mut self, ran: Duration) -> Next {
        if !self.manifest.auto_restart {
            return Next::Idle;
        }
        if ran >= HEALTHY_RUN {
            self.quick_crashes = 0;
        }
        if ran < QUICK_CRASH {
            self.quick_crashes += 1;
        }
        let delay = backoff(self.manifest.restart_delay, self.quick_crashes);
        let at = Instant::now() + delay;
        if self.quick_crashes >= CRASH_LOOP_AFTER {
            self.set_state(ProcState::CrashLoop {
                restarts: self.quick_crashes,
                next: at,
            });
        } else {
            self.set_state(ProcState::Restarting {
                at,
                attempt: self.quick_crashes.max(1),
            });
        }
        Next::RestartAt(at)
    }

    /// A (debounced) file change: say so; the plugin is to start again.
    fn changed(&mut self, path: PathBuf) -> Next {
        self.watch_new_dirs(&path);
        self.force_build |= build::change_needs_build(&self.manifest, &path);
        self.events
            .event(LauncherEvent::Changed { id: self.id, path });
        self.quick_crashes = 0;
        Next::Launch
    }

    async fn idle(&mut self) -> Next {
        loop {
            match self.commands.recv().await {
                None | Some(Cmd::Remove { .. }) => {
                    self.set_state(ProcState::Stopped);
                    return Next::Exit;
                }
                Some(Cmd::Start | Cmd::Restart { .. }) => {
                    self.held_by_user = false;
                    self.quick_crashes = 0;
                    return Next::Launch;
                }
                Some(Cmd::Build) => {
                    self.held_by_user = false;
                    self.quick_crashes = 0;
                    self.force_build = true;
                    return Next::Launch;
                }
                Some(Cmd::Stop { .. }) => self.held_by_user = true,
                Some(Cmd::Shutdown(_, ack)) => {
                    self.held_by_user = true;
                    let _ = ack.send(());
                }
                Some(Cmd::Changed(path)) => {
                    if self.held_by_user {
                        self.watch_new_dirs(&path);
                    } else {
                        // It had exited (or failed to start): the change may be the fix.
                        return self.changed(path);
                    }
                }
            }
        }
    }

    async fn wait_to_restart(&mut self, at: Instant) -> Next {
        tokio::select! {
            () = tokio::time::sleep_until(at.into()) => Next::Launch,
            cmd = self.commands.recv() => match cmd {
                None | Some(Cmd::Remove { .. }) => {
                    self.set_state(ProcState::Stopped);
                    Next::Exit
                }
                Some(Cmd::Start | Cmd::Restart { .. }) => {
                    self.quick_crashes = 0;
                    Next::Launch
                }
                Some(Cmd::Build) => {
                    self.quick_crashes = 0;
                    self.force_build = true;
                    Next::Launch
                }
                Some(Cmd::Stop { .. }) => {
                    self.held_by_user = true;
                    self.set_state(ProcState::Stopped);
                    Next::Idle
                }
                Some(Cmd::Shutdown(_, ack)) => {
                    self.held_by_user = true;
                    self.set_state(ProcState::Stopped);
                    let _ = ack.send(());
                    Next::Idle
                }
                Some(Cmd::Changed(path)) => self.changed(path),
            },
        }
    }

    /// Watches the plugin's directory (each directory on its own, skipping the ignored ones, so
    /// a big `node_modules` or `.venv` costs no inotify watches). Changes arrive as
    /// [`Cmd::Changed`] after a quiet [`WATCH_DEBOUNCE`].
    fn start_watching(&mut self) {
        let root = self.manifest.dir().to_path_buf();
        let (raw_tx, raw_rx) = mpsc::unbounded_channel::<PathBuf>();
        let filter_root = root.clone();
        // What a build writes is no edit (else each build would call for the next).
        let outputs = build::outputs(&self.manifest);
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            if !counts_as_change(&event.kind) {
                return;
            }
            for path in event.paths {
                if !is_ignored(&filter_root, &path) && !outputs.contains(&path) {
                    let _ = raw_tx.send(path);
                }
            }
        });
        let mut watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(plugin = %self.manifest.name, "cannot watch {}: {e}", root.display());
                return;
            }
        };
        watch_tree(&mut watcher, &root, &root);
        self.watcher = Some(watcher);
        tokio::spawn(debounce(raw_rx, self.weak_self.clone()));
    }

    /// After a change: watch directories that appeared under the plugin's directory.
    fn watch_new_dirs(&mut self, path: &Path) {
        let root = self.manifest.dir().to_path_buf();
        if let Some(w) = &mut self.watcher
            && path.is_dir()
        {
            watch_tree(w, &root, path);
        }
    }
}

fn set_env(env: &mut Vec<(String, String)>, key: &str, value: String) {
    env.retain(|(k, _)| k != key);
    env.push((key.to_string(), value));
}

/// The delay before the next automatic restart after `quick_crashes` quick crashes in a row:
/// `delay`, doubled for each quick crash after the first, at most [`MAX_BACKOFF`] (or `delay`
/// if that is longer).
fn backoff(delay: Duration, quick_crashes: u32) -> Duration {
    let doublings = quick_crashes.saturating_sub(1).min(16);
    let cap = MAX_BACKOFF.max(delay);
    delay.saturating_mul(1 << doublings).min(cap)
}

fn counts_as_change(kind: &notify::EventKind) -> bool {
    use notify::EventKind;
    use notify::event::{MetadataKind, ModifyKind};
    match kind {
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any => true,
        EventKind::Access(_) | EventKind::Other => false,
    }
}

/// Whether a change at `path` is to be ignored: inside an ignored directory, or an editor's
/// temporary file.
pub(crate) fn is_ignored(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut names = rel.components().filter_map(|c| match c {
        std::path::Component::Normal(n) => n.to_str(),
        _ => None,
    });
    let Some(file) = rel.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if names.any(|n| IGNORED_DIRS.contains(&n)) {
        return true;
    }
    file.ends_with(".swp")
        || file.ends_with(".swx")
        || file.ends_with('~')
        || file.starts_with(".#")
        || file == "4913" // vim's check that it can write in the directory
        || file.ends_with(".scenario.yml")
        || file.ends_with(".scenario.yaml")
}

fn watch_tree(watcher: &mut notify::RecommendedWatcher, root: &Path, dir: &Path) {
    use notify::Watcher;
    if dir != root && is_ignored(root, dir) {
        return;
    }
    if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
        tracing::warn!("cannot watch {}: {e}", dir.display());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            watch_tree(watcher, root, &entry.path());
        }
    }
}

/// Forwards one change per burst of changes, once the burst has been quiet for
/// [`WATCH_DEBOUNCE`]. Ends with the watcher (its sender) or the plugin task.
async fn debounce(mut raw: mpsc::UnboundedReceiver<PathBuf>, to: mpsc::WeakUnboundedSender<Cmd>) {
    while let Some(first) = raw.recv().await {
        let mut burst = vec![first];
        loop {
            match tokio::time::timeout(WATCH_DEBOUNCE, raw.recv()).await {
                Ok(Some(path)) => burst.push(path),
                Ok(None) => return,
                Err(_quiet) => break,
            }
        }
        let Some(tx) = to.upgrade() else { return };
        if tx.send(Cmd::Changed(changed_file(burst))).is_err() {
            return;
        }
    }
}

/// The path that names a burst of changes: the last one that is still a file. Editors and
/// `sed -i` write a temporary file and rename it over the original, so the first path seen
/// is often a name that no longer exists.
fn changed_file(mut burst: Vec<PathBuf>) -> PathBuf {
    match burst.iter().rposition(|p| p.is_file()) {
        Some(i) => burst.swap_remove(i),
        None => burst.pop().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let d = Duration::from_millis(100);
        assert_eq!(backoff(d, 0), d);
        assert_eq!(backoff(d, 1), d);
        assert_eq!(backoff(d, 2), d * 2);
        assert_eq!(backoff(d, 3), d * 4);
        assert_eq!(backoff(Duration::from_secs(5), 10), MAX_BACKOFF);
        assert_eq!(backoff(Duration::from_secs(90), 3), Duration::from_secs(90));
        assert_eq!(backoff(d, u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn ignored_paths() {
        let root = Path::new("/p");
        for p in [
            "/p/.git/index",
            "/p/target/debug/x",
            "/p/node_modules/a/b.js",
            "/p/__pycache__/m.cpython-312.pyc",
            "/p/sub/__pycache__/m.pyc",
            "/p/.venv/bin/python3",
            "/p/.main.py.swp",
            "/p/main.py~",
            "/p/.#main.py",
            "/p/4913",
            "/p/stories",
            "/p/stories/orders.scenario.yml",
            "/p/orders.scenario.yml",
            "/p/tests/a.scenario.yaml",
            "/p/__snapshots__/orders.panel.snap.new",
        ] {
            assert!(is_ignored(root, Path::new(p)), "{p}");
        }
        for p in [
            "/p/main.py",
            "/p/sub/x.go",
            "/p/plugin.yml",
            "/p/targets.txt",
        ] {
            assert!(!is_ignored(root, Path::new(p)), "{p}");
        }
    }

    #[test]
    fn reads_proc_stat() {
        let me = std::process::id();
        let (ppid, pgrp) = proc_stat(me).unwrap();
        assert_eq!(ppid, unsafe { libc::getppid() });
        assert_eq!(pgrp, unsafe { libc::getpgrp() });
    }
}
