//! The event loop: terminal input first (biased, so a flooding plugin never delays a key),
//! then replies, host events and a throttled "log grew"; `update`; draw only if something
//! changed. No timer runs unless something on screen moves, so an idle console sleeps.

use super::context_edit::RecentVisitor;
use super::msg::ChaosNews;
use super::msg::{CommandOutput, Effect, External, Msg};
use super::state::State;
use super::story::Saved;
use super::update::update;
use super::view;
use crate::host::{HostEvent, HostHandle};
use crate::launcher::{LaunchId, LaunchedView, Launcher, LauncherEvent, ProcState, StreamKind};
use crossterm::event::Event;
use futures::{FutureExt, Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Most often the inspector follows a growing log (a flood is drawn ~30 times a second).
const LOG_REDRAW: Duration = Duration::from_millis(33);
/// Animation step while a spinner or toast is on screen.
const TICK: Duration = Duration::from_millis(100);
/// Most messages taken between two draws (a 5 KB paste is ~5 000 key events).
const INPUT_BATCH: usize = 8192;
/// Longest time spent taking waiting messages before a draw: a flood that never drains still
/// gets a frame at least this often (plus the time of one frame).
const DRAIN: Duration = Duration::from_millis(25);

/// Where clipboard and browser effects go (a terminal in real life, a recorder in tests).
pub trait Platform {
    fn copy(&mut self, text: &str);
    /// Opens `url` in a browser; `failed` is called, from any thread, with why it could not
    /// be (the console shows it).
    fn open_url(&mut self, url: &str, failed: Failed);
    /// Where the inspector's exports are written.
    fn export_dir(&self) -> std::path::PathBuf {
        crate::config::state_dir().join("exports")
    }
    /// Runs a user's command with the terminal given to it (the console steps aside until it
    /// ends); what it ended with, in words, and whether it succeeded.
    fn foreground(&mut self, argv: &[String], stdin: Option<&str>) -> (bool, String) {
        let _ = (argv, stdin);
        (false, "no terminal to give".into())
    }
}

/// A user's command to run in the foreground, once the loop has stepped aside.
pub struct Foreground {
    name: String,
    argv: Vec<String>,
    stdin: Option<String>,
    /// The file handed to an editor or a pager (removed when dropped); an editor's is read
    /// back when it ends.
    file: Option<(tempfile::TempPath, External)>,
}

impl Foreground {
    /// `text` in a new temporary `.json` file, and the user's editor or pager to open it.
    fn external(program: External, text: &str) -> Result<Foreground, String> {
        let (vars, fallback, name): (&[&str], _, _) = match program {
            External::Editor => (&["VISUAL", "EDITOR"], "vi", "editor"),
            External::Pager => (&["PAGER"], "less", "pager"),
        };
        let chosen = vars
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
            .unwrap_or_else(|| fallback.into());
        let mut argv = shlex::split(&chosen)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| format!("${} = {chosen:?} is not a command line", vars[0]))?;
        let mut file = tempfile::Builder::new()
            .prefix("tgo-console-")
            .suffix(".json")
            .tempfile()
            .map_err(|e| format!("cannot write a temporary file: {e}"))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .map_err(|e| format!("cannot write a temporary file: {e}"))?;
        let path = file.into_temp_path();
        argv.push(path.display().to_string());
        Ok(Foreground {
            name: name.into(),
            argv,
            stdin: None,
            file: Some((path, program)),
        })
    }

    /// What the console learns when it ended.
    fn ended(self, ok: bool, said: String) -> Msg {
        match self.file {
            Some((path, External::Editor)) if ok => Msg::Edited(
                std::fs::read_to_string(&path).map_err(|e| format!("cannot read it back: {e}")),
            ),
            Some((_, External::Editor)) => Msg::Edited(Err(format!("{} ({said})", self.argv[0]))),
            Some((_, External::Pager)) if ok => Msg::Tick,
            Some((_, External::Pager)) => Msg::Notice {
                text: format!("pager {}: {said}", self.argv[0]),
                error: true,
            },
            None => Msg::CommandDone {
                name: self.name,
                output: CommandOutput::None,
                ok,
                status: said,
                text: String::new(),
            },
        }
    }
}

/// Reports a platform action that failed.
pub type Failed = Box<dyn FnOnce(String) + Send>;

/// The real terminal: OSC 52 for the clipboard, the desktop's opener for URLs.
pub struct Desktop;

/// Only these reach the opener: a plugin's URL is never an option or a local program.
fn openable(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

impl Platform for Desktop {
    fn foreground(&mut self, argv: &[String], stdin: Option<&str>) -> (bool, String) {
        super::terminal::suspend();
        let mut cmd = std::process::Command::new(&argv[0]);
        cmd.args(&argv[1..]);
        // The terminal's own input is the command's; a selected message comes in a file
        // instead (`{{message.json}}` is also an argument).
        let _ = stdin;
        let status = cmd.status();
        let resumed = super::terminal::resume();
        let said = match (&status, resumed) {
            (_, Err(e)) => return (false, format!("cannot take the terminal back: {e}")),
            (Ok(s), Ok(())) => s.to_string(),
            (Err(e), Ok(())) => format!("cannot run {}: {e}", argv[0]),
        };
        (status.is_ok_and(|s| s.success()), said)
    }

    fn copy(&mut self, text: &str) {
        if let Err(e) = super::terminal::osc52_copy(text) {
            tracing::warn!("clipboard copy failed: {e}");
        }
    }

    fn open_url(&mut self, url: &str, failed: Failed) {
        if !openable(url) {
            failed("only http, https and mailto URLs are opened".into());
            return;
        }
        // The `open` crate knows the desktop's openers (xdg-open, gio, …, `open` on macOS); we
        // run them ourselves, to mark and detach them. Off the UI thread: finding them reads
        // files, and an opener's verdict comes when it exits.
        let url = url.to_string();
        std::thread::spawn(move || run_openers(open::commands(url), failed));
    }
}

/// Runs the first of `openers` that is installed, [`detached`]; `failed` hears why none opened.
/// One that ran and failed is not followed by the next: it may have opened the page already.
fn run_openers(openers: Vec<std::process::Command>, failed: Failed) {
    let mut missing = None;
    for cmd in openers {
        let mut cmd = detached(cmd);
        let name = cmd.get_program().to_string_lossy().into_owned();
        match cmd.status() {
            Ok(status) if status.success() => return,
            Ok(status) => return failed(format!("{name} failed ({status})")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.get_or_insert_with(|| format!("cannot run {name}: {e}"));
            }
            Err(e) => return failed(format!("cannot run {name}: {e}")),
        }
    }
    failed(missing.unwrap_or_else(|| "no program to open URLs with".into()));
}

/// An opener marked as the user's (the browser it may start is not a plugin's leftover),
/// with no stdio, in its own session: a text-mode browser it may pick cannot take over our
/// terminal.
fn detached(mut cmd: std::process::Command) -> std::process::Command {
    cmd.env(crate::launcher::tree::OPENER_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: setsid is async-signal-safe and touches nothing of the parent.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd
}

/// What else the loop listens to besides the terminal and the host.
#[derive(Default)]
pub struct Sources {
    /// Plugins launched from manifests, and the launcher's events.
    pub launcher: Option<(Launcher, mpsc::Receiver<LauncherEvent>)>,
    /// Signals asking the console to stop (SIGTERM, SIGHUP, SIGINT), by name.
    pub signals: Option<mpsc::UnboundedReceiver<&'static str>>,
    /// Where recent visitors are kept across runs (none: not kept).
    pub visitors_file: Option<std::path::PathBuf>,
    /// Where the request history is kept across runs (none: not kept).
    pub history_file: Option<std::path::PathBuf>,
    /// Where the web preview and render width are kept across runs (none: not kept).
    pub view_file: Option<std::path::PathBuf>,
    /// Writes it (started by the loop from `history_file`).
    pub history: Option<super::history::Writer>,
}

/// Most launcher events folded into one message (one redraw) when a plugin prints a flood.
const LAUNCHER_BATCH: usize = 1024;

async fn next_launcher_batch(
    launcher: &mut Option<(Launcher, mpsc::Receiver<LauncherEvent>)>,
) -> Vec<LauncherEvent> {
    let Some((_, rx)) = launcher.as_mut() else {
        return std::future::pending().await;
    };
    let Some(first) = rx.recv().await else {
        return std::future::pending().await;
    };
    let mut batch = vec![first];
    while batch.len() < LAUNCHER_BATCH {
        match rx.try_recv() {
            Ok(ev) => batch.push(ev),
            Err(_) => break,
        }
    }
    batch
}

async fn next_signal(signals: &mut Option<mpsc::UnboundedReceiver<&'static str>>) -> &'static str {
    match signals.as_mut() {
        Some(rx) => match rx.recv().await {
            Some(name) => name,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

/// What launched plugins print, and what happens to their processes, go into the message log
/// too (under the plugin's id once it registered): the inspector interleaves them with the
/// frames, and a recording keeps them.
fn log_launcher(host: &HostHandle, state: &State, batch: &[LauncherEvent]) {
    for ev in batch {
        let (LauncherEvent::Output { id, .. }
        | LauncherEvent::Dropped { id, .. }
        | LauncherEvent::State { id, .. }
        | LauncherEvent::Changed { id, .. }
        | LauncherEvent::BuildFailed { id, .. }
        | LauncherEvent::Removed { id }) = ev;
        let Some(l) = state.launch(*id) else { continue };
        let plugin = l.plugin_id.as_deref().unwrap_or(&l.name);
        match ev {
            LauncherEvent::Output { line, .. } => {
                let stream = match line.stream {
                    StreamKind::Stdout => "stdout",
                    StreamKind::Stderr => "stderr",
                    StreamKind::Console => continue,
                };
                host.log_output(plugin, stream, &line.text);
            }
            LauncherEvent::Dropped { lines, .. } => {
                let text = format!("{lines} lines of output dropped: printed faster than kept");
                host.log_note(plugin, text, false);
            }
            LauncherEvent::State { state: st, pid, .. } => {
                let text = match (st, pid) {
                    (ProcState::Running, Some(pid)) => format!("process started (pid {pid})"),
                    (ProcState::Starting | ProcState::Stopping | ProcState::Building, _) => {
                        continue;
                    }
                    (st, _) => format!("process {st}"),
                };
                let crashed = matches!(st, ProcState::Exited { code } if *code != 0)
                    || matches!(
                        st,
                        ProcState::Killed { .. }
                            | ProcState::FailedToStart(_)
                            | ProcState::BuildFailed(_)
                            | ProcState::CrashLoop { .. }
                    );
                host.log_note(plugin, text, crashed);
            }
            LauncherEvent::Changed { path, .. } => {
                host.log_note(
                    plugin,
                    format!("{} changed: restarting", path.display()),
                    false,
                );
            }
            LauncherEvent::BuildFailed { message, kept, .. } => {
                let text = if *kept {
                    format!("build failed, still running the previous build: {message}")
                } else {
                    format!("build failed: {message}")
                };
                host.log_note(plugin, text, true);
            }
            LauncherEvent::Removed { .. } => {
                host.log_note(plugin, "removed from the console".into(), false);
            }
        }
    }
}

/// How often health is sampled while the console is seen.
const HEALTH_EVERY: Duration = Duration::from_secs(1);

/// The host's health numbers, and `/proc` for each launched plugin's process.
fn sample_health(
    host: &HostHandle,
    state: &State,
    sampler: &mut crate::launcher::tree::UsageSampler,
) -> Msg {
    let pids: Vec<(LaunchId, u32)> = state
        .launches
        .list
        .iter()
        .filter_map(|l| Some((l.id, l.pid?)))
        .collect();
    let just_pids: Vec<u32> = pids.iter().map(|(_, p)| *p).collect();
    let found = sampler.sample(&just_pids, Instant::now());
    Msg::Health {
        plugins: host.health_all(),
        usage: pids
            .into_iter()
            .filter_map(|(id, pid)| Some((id, *found.get(&pid)?)))
            .collect(),
    }
}

fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::FocusGained => Some(Msg::Focus(true)),
        Event::FocusLost => Some(Msg::Focus(false)),
    }
}

/// Runs until the user quits or the input ends. Generic over the backend and the input
/// stream so tests drive the real loop with a `TestBackend` and scripted events.
pub async fn event_loop<B, I>(
    terminal: &mut Terminal<B>,
    input: &mut I,
    state: &mut State,
    host: &HostHandle,
    host_events: &mut mpsc::UnboundedReceiver<HostEvent>,
    platform: &mut dyn Platform,
    sources: &mut Sources,
) -> std::io::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    I: Stream<Item = std::io::Result<Event>> + Unpin + super::input::Pausable,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    if let Some(path) = sources.history_file.clone() {
        let tx = tx.clone();
        sources.history = Some(super::history::Writer::start(path, move |text| {
            let _ = tx.send(Msg::Notice { text, error: true });
        }));
    }
    let mut log_updates = host.log_updates();
    let mut log_changed = false;
    let mut log_ready_at = tokio::time::Instant::now();
    let mut dirty = true;
    let mut frames: u64 = 0;
    // Connections whose process no launched plugin owned (yet), by peer pid.
    let mut unowned: std::collections::HashMap<crate::host::ConnId, u32> = Default::default();
    let mut input_ended = false;
    let mut usage = crate::launcher::tree::UsageSampler::default();
    let mut health_at = tokio::time::Instant::now();
    loop {
        if dirty {
            // The log's lock is held while the frame is built, not while it is written out:
            // a slow terminal (ssh) must not stall plugin traffic.
            terminal
                .draw(|f| view::draw(f, state, &host.log()))
                .map_err(std::io::Error::other)?;
            frames += 1;
            dirty = false;
        }
        if state.quit || input_ended {
            break;
        }
        let wake = state.next_wakeup();
        let msg = tokio::select! {
            biased;
            ev = input.next() => match ev {
                Some(Ok(ev)) => match to_msg(ev) {
                    Some(m) => m,
                    None => continue,
                },
                Some(Err(e)) => return Err(e),
                None => break,
            },
            Some(m) = rx.recv() => m,
            name = next_signal(&mut sources.signals) => Msg::Signal(name),
            Some(ev) = host_events.recv() => match host_msg(ev, sources, &mut unowned) {
                Some(m) => m,
                None => continue,
            },
            batch = next_launcher_batch(&mut sources.launcher) => {
                log_launcher(host, state, &batch);
                let new_pid = batch
                    .iter()
                    .any(|e| matches!(e, LauncherEvent::State { pid: Some(_), .. }));
                if new_pid && let Some((launcher, _)) = sources.launcher.as_ref() {
                    unowned.retain(|&conn, &mut pid| match launcher.owner_of(pid) {
                        Some(launch) => {
                            let _ = tx.send(Msg::ConnOwner { conn, launch });
                            false
                        }
                        None => true,
                    });
                }
                Msg::Launcher(batch)
            }
            changed = log_updates.changed(), if !log_changed => {
                if changed.is_ok() {
                    log_changed = true;
                }
                continue;
            }
            _ = tokio::time::sleep_until(log_ready_at), if log_changed => {
                log_changed = false;
                log_ready_at = tokio::time::Instant::now() + LOG_REDRAW;
                Msg::LogGrew
            }
            _ = tokio::time::sleep_until(health_at), if state.wants_health() => {
                health_at = tokio::time::Instant::now() + HEALTH_EVERY;
                sample_health(host, state, &mut usage)
            }
            _ = tokio::time::sleep(TICK), if state.needs_tick() => Msg::Tick,
            _ = sleep_until_wake(wake), if wake.is_some() => Msg::Tick,
        };
        let mut foreground = handle(state, msg, host, sources, &tx, platform);
        dirty = true;
        // Everything else already waiting goes in before the next draw, keys first: a paste
        // without bracketed paste is thousands of keys, a reconnect storm thousands of host
        // events, and one draw per message would leave the screen (and `q`) behind them.
        // Bounded in time, so a flood that never drains still gets a frame now and then.
        let until = Instant::now() + DRAIN;
        let mut taken = 0;
        while !state.quit && taken < INPUT_BATCH {
            taken += 1;
            match input.next().now_or_never() {
                Some(Some(Ok(ev))) => {
                    if let Some(m) = to_msg(ev) {
                        foreground.extend(handle(state, m, host, sources, &tx, platform));
                    }
                    continue;
                }
                Some(Some(Err(e))) => return Err(e),
                Some(None) => {
                    input_ended = true;
                    break;
                }
                None => {}
            }
            if Instant::now() >= until {
                break;
            }
            let waiting = match rx.try_recv() {
                Ok(m) => Some(m),
                Err(_) => match host_events.try_recv() {
                    Ok(ev) => match host_msg(ev, sources, &mut unowned) {
                        Some(m) => Some(m),
                        None => continue,
                    },
                    Err(_) => None,
                },
            };
            let Some(m) = waiting else { break };
            foreground.extend(handle(state, m, host, sources, &tx, platform));
        }
        // A user's foreground command gets the terminal: the input reader stops so that it
        // takes no key of the command's, and the whole screen is drawn anew after.
        for fg in foreground {
            input.pause();
            let (ok, said) = platform.foreground(&fg.argv, fg.stdin.as_deref());
            input.resume();
            terminal.clear().map_err(std::io::Error::other)?;
            let _ = tx.send(fg.ended(ok, said));
        }
    }
    tracing::info!(frames, "event loop ended");
    Ok(())
}

/// A host event as the loop's message. Which launched plugin dialled in is found by its
/// process, read here (it is I/O); a process that connects before the launcher has noted its
/// pid is looked up again when the launcher reports one (`None` until then).
fn host_msg(
    ev: HostEvent,
    sources: &Sources,
    unowned: &mut std::collections::HashMap<crate::host::ConnId, u32>,
) -> Option<Msg> {
    match ev {
        HostEvent::Connected {
            conn,
            pid: Some(pid),
            ..
        } => match sources.launcher.as_ref().and_then(|(l, _)| l.owner_of(pid)) {
            Some(launch) => Some(Msg::ConnOwner { conn, launch }),
            None => {
                unowned.insert(conn, pid);
                None
            }
        },
        HostEvent::Disconnected { conn, .. } if unowned.contains_key(&conn) => {
            unowned.remove(&conn);
            Some(Msg::Host(ev))
        }
        ev => Some(Msg::Host(ev)),
    }
}

/// One message through `update`, then its effects; the foreground commands among them are
/// handed back (the loop steps aside for them).
fn handle(
    state: &mut State,
    msg: Msg,
    host: &HostHandle,
    sources: &Sources,
    tx: &mpsc::UnboundedSender<Msg>,
    platform: &mut dyn Platform,
) -> Vec<Foreground> {
    let effects = {
        let log = host.log();
        update(state, msg, &log, Instant::now())
    };
    let mut foreground = Vec::new();
    for effect in effects {
        match effect {
            Effect::RunCommand {
                name,
                argv,
                stdin,
                foreground: true,
                ..
            } => foreground.push(Foreground {
                name,
                argv,
                stdin,
                file: None,
            }),
            Effect::External { program, text } => match Foreground::external(program, &text) {
                Ok(fg) => foreground.push(fg),
                Err(text) => {
                    let _ = tx.send(Msg::Notice { text, error: true });
                }
            },
            other => run_effect(other, host, sources, tx, platform),
        }
    }
    foreground
}

/// Most of a background command's output kept (the rest is cut, and said to be).
const COMMAND_OUTPUT: usize = 64 * 1024;

/// Runs a user's command in the background: its output (stdout then stderr, bounded) and how
/// it ended come back as a message.
fn spawn_command(
    name: String,
    argv: Vec<String>,
    stdin: Option<String>,
    output: CommandOutput,
    tx: mpsc::UnboundedSender<Msg>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio::spawn(async move {
        let mut cmd = tokio::process::Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .stdin(if stdin.is_some() {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let done = match cmd.spawn() {
            Err(e) => Msg::CommandDone {
                name,
                output,
                ok: false,
                status: format!("cannot run {}: {e}", argv[0]),
                text: String::new(),
            },
            Ok(mut child) => {
                if let (Some(mut w), Some(text)) = (child.stdin.take(), stdin) {
                    tokio::spawn(async move {
                        let _ = w.write_all(text.as_bytes()).await;
                    });
                }
                let mut text = Vec::new();
                let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
                let mut buf = Vec::new();
                if let Some(o) = out.as_mut() {
                    let _ = o.read_to_end(&mut buf).await;
                }
                text.extend_from_slice(&buf);
                buf.clear();
                if let Some(e) = err.as_mut() {
                    let _ = e.read_to_end(&mut buf).await;
                }
                text.extend_from_slice(&buf);
                let status = child.wait().await;
                let cut = text.len() > COMMAND_OUTPUT;
                text.truncate(COMMAND_OUTPUT);
                let mut text = String::from_utf8_lossy(&text).into_owned();
                if cut {
                    text.push_str("\n… (the rest is cut)");
                }
                Msg::CommandDone {
                    name,
                    output,
                    ok: status.as_ref().is_ok_and(|s| s.success()),
                    status: match status {
                        Ok(s) => s.to_string(),
                        Err(e) => e.to_string(),
                    },
                    text,
                }
            }
        };
        let _ = tx.send(done);
    });
}

/// Parses an answer and validates it by its method (JSON-UI, JSON-ACTION, config; see
/// `check::validate`) on a blocking thread, not on the UI loop nor an async worker, so a
/// 200 000-row table never stalls the keyboard or the connections; the answer arrives raw and
/// is parsed once, here, without a copy. An answer with diagnostics is marked a problem in the
/// message log, so the inspector's `errors` filter and a recording say so, as the screen does.
/// Hands back the reply and the JSON-UI when the answer is one (an answer to a raw request that
/// looks like JSON-UI is read as one too).
/// Largest answer the console parses and draws (the default frame limit).
const MAX_DRAWN_BYTES: usize = 16 << 20;

async fn validate_off_loop(
    host: &HostHandle,
    reply: crate::host::Reply<crate::protocol::jsonrpc::RawJson>,
) -> (
    crate::host::Reply,
    Option<Box<crate::jsonui::Parsed<crate::jsonui::Node>>>,
) {
    use crate::check::validate::{self, Validated};
    let gone = crate::host::Reply {
        plugin_id: reply.plugin_id.clone(),
        method: reply.method.clone(),
        id: reply.id,
        outcome: crate::host::Outcome::Cancelled,
        latency: reply.latency,
        request_seq: reply.request_seq,
        response_seq: reply.response_seq,
    };
    let done = tokio::task::spawn_blocking(move || {
        // A tree costs about ten times its JSON, the drawn model four times more: a bigger
        // answer would cost gigabytes to draw. It stays whole in the inspector.
        let too_big = |raw: crate::protocol::jsonrpc::RawJson| {
            if raw.len() > MAX_DRAWN_BYTES {
                Err(format!(
                    "the answer ({}) is larger than the {} the console draws: read it in the inspector",
                    crate::text::bytes(raw.len()),
                    crate::text::bytes(MAX_DRAWN_BYTES)
                ))
            } else {
                Ok(raw)
            }
        };
        let reply = crate::host::Reply {
            outcome: reply.outcome.try_map(too_big),
            ..reply
        }
        .parsed();
        let crate::host::Outcome::Result { value } = &reply.outcome else {
            return (reply, None);
        };
        if validate::answer_kind(&reply.method).is_none() && value.get("template").is_none() {
            return (reply, None);
        }
        // A validator bug must not lose the answer.
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            validate::validate(&reply.method, value)
                .unwrap_or_else(|| Validated::Ui(crate::jsonui::parse_ui(value)))
        }))
        .ok();
        (reply, checked)
    })
    .await;
    // Only a runtime shutting down gets here without a reply.
    let Ok((reply, checked)) = done else {
        return (gone, None);
    };
    let Some(checked) = checked else {
        return (reply, None);
    };
    if let (Some(seq), Some(summary)) = (reply.response_seq, checked.summary()) {
        host.mark_problem(seq, summary);
    }
    match checked {
        Validated::Ui(parsed) => (reply, Some(Box::new(parsed))),
        _ => (reply, None),
    }
}

/// Passes a chaos run's progress to the loop.
struct ChaosSender(mpsc::UnboundedSender<Msg>);

impl crate::check::chaos::Observer for ChaosSender {
    fn starting(&mut self, fault: crate::check::chaos::Fault) {
        let _ = self.0.send(Msg::Chaos(ChaosNews::Starting(fault)));
    }

    fn judged(&mut self, report: &crate::check::chaos::FaultReport) {
        let news = ChaosNews::Judged(Box::new(report.clone()));
        let _ = self.0.send(Msg::Chaos(news));
    }
}

async fn sleep_until_wake(wake: Option<Instant>) {
    if let Some(at) = wake {
        tokio::time::sleep_until(at.into()).await;
    }
}

fn run_effect(
    effect: Effect,
    host: &HostHandle,
    sources: &Sources,
    tx: &mpsc::UnboundedSender<Msg>,
    platform: &mut dyn Platform,
) {
    let launcher = sources.launcher.as_ref().map(|(l, _)| l);
    let visitors_file = sources.visitors_file.as_deref();
    let view_file = sources.view_file.as_deref();
    match effect {
        Effect::RunCommand {
            name,
            argv,
            stdin,
            output,
            ..
        } => spawn_command(name, argv, stdin, output, tx.clone()),
        // `handle` gives these to the loop, which steps aside for them.
        Effect::External { .. } => {}
        Effect::Note { plugin, text } => {
            host.log_note(&plugin, text, false);
        }
        Effect::SaveView(prefs) => {
            let Some(path) = view_file.map(std::path::Path::to_path_buf) else {
                return;
            };
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = super::preview::save(&path, prefs) {
                    let text = format!("cannot keep the view settings in {}: {e}", path.display());
                    let _ = tx.send(Msg::Notice { text, error: true });
                }
            });
        }
        Effect::Chaos { plugin_id, options } => {
            let (host, tx) = (host.clone(), tx.clone());
            tokio::spawn(async move {
                let mut news = ChaosSender(tx.clone());
                let report = crate::check::chaos::run(&host, &plugin_id, &options, &mut news).await;
                let _ = tx.send(Msg::Chaos(ChaosNews::Done(Box::new(report))));
            });
        }
        Effect::SaveVisitors(list) => {
            let Some(path) = visitors_file.map(std::path::Path::to_path_buf) else {
                return;
            };
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = save_visitors(&path, &list) {
                    let text = format!("cannot keep recent visitors in {}: {e}", path.display());
                    let _ = tx.send(Msg::Notice { text, error: true });
                }
            });
        }
        Effect::Request {
            plugin_id,
            method,
            params,
            purpose,
        } => {
            let host = host.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match host.send(&plugin_id, &method, params, None).await {
                    Ok(ticket) => {
                        let sent = Msg::Sent {
                            purpose: purpose.clone(),
                            plugin_id,
                            method,
                            conn: ticket.conn,
                            id: ticket.id,
                        };
                        let _ = tx.send(sent);
                        let (reply, ui) = validate_off_loop(&host, ticket.wait_raw().await).await;
                        let _ = tx.send(Msg::Reply { purpose, reply, ui });
                    }
                    Err(error) => {
                        let _ = tx.send(Msg::SendFailed { purpose, error });
                    }
                }
            });
        }
        Effect::Cancel { conn, id } => {
            host.cancel(conn, id);
        }
        Effect::Copy(text) => platform.copy(&text),
        Effect::OpenUrl(url) => {
            let tx = tx.clone();
            let shown = crate::text::truncate_chars(&url, 80);
            platform.open_url(
                &url,
                Box::new(move |why| {
                    let text = format!("cannot open {shown}: {why}");
                    let _ = tx.send(Msg::Notice { text, error: true });
                }),
            );
        }
        Effect::Export(seqs) => {
            let dir = platform.export_dir();
            // A copy of the entries (their frames are shared, not copied), taken under the
            // log's lock; the file is written on a blocking thread, without the lock, so a
            // slow disk holds neither the UI nor the connections logging frames.
            let entries: Vec<crate::host::LogEntry> = {
                let log = host.log();
                seqs.iter().filter_map(|s| log.get(*s).cloned()).collect()
            };
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let msg = match crate::record::export(&dir, entries.iter()) {
                    Ok((path, n)) => Msg::Notice {
                        text: format!("exported {n} messages to {}", path.display()),
                        error: false,
                    },
                    Err(e) => Msg::Notice {
                        text: format!("export to {} failed: {e}", dir.display()),
                        error: true,
                    },
                };
                let _ = tx.send(msg);
            });
        }
        Effect::Launch { id, op, shutdown } => {
            let Some(launcher) = launcher else { return };
            let asked = shutdown.is_some();
            if let Some(plugin_id) = shutdown {
                // Polite first: the launcher's grace before SIGTERM runs meanwhile.
                let host = host.clone();
                tokio::spawn(async move {
                    let _ = host
                        .request(&plugin_id, "shutdown", serde_json::json!({}))
                        .await;
                });
            }
            launcher.apply(id, op, asked);
        }
        Effect::AddPlugins(path) => {
            let msg = match launcher {
                Some(launcher) => {
                    let (views, errors) = launch_all(launcher, &[path]);
                    Msg::Added { views, errors }
                }
                None => Msg::Notice {
                    text: "nothing can be launched here".into(),
                    error: true,
                },
            };
            let _ = tx.send(msg);
        }
        Effect::FindStories(dir) => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(find_stories(dir));
            });
        }
        Effect::LoadStory(key) => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let scenario = crate::scenario::load(&key.path)
                    .map(Box::new)
                    .map_err(|e| e.to_string());
                let _ = tx.send(Msg::StoryLoaded { key, scenario });
            });
        }
        Effect::Judge(job) => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let report = Box::new(job.run());
                let _ = tx.send(Msg::StepJudged {
                    play: job.play,
                    index: job.index,
                    report,
                });
            });
        }
        Effect::SaveStory {
            path,
            text,
            overwrite,
        } => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let saved = write_story(&path, &text, overwrite);
                let written = saved == Saved::Written;
                let plugin_dir = path
                    .parent()
                    .and_then(|d| d.parent())
                    .map(Path::to_path_buf);
                let _ = tx.send(Msg::StorySaved { path, saved });
                // The new story joins its plugin's list.
                if let (true, Some(dir)) = (written, plugin_dir) {
                    let _ = tx.send(find_stories(dir));
                }
            });
        }
        Effect::History(entry) => {
            if let Some(w) = &sources.history {
                w.append(entry);
            }
        }
        Effect::Quit => {}
    }
}

/// The scenario files beside the plugin whose manifest is in `dir`, each read.
fn find_stories(dir: std::path::PathBuf) -> Msg {
    let files = crate::scenario::stories_beside(&dir)
        .iter()
        .map(|p| super::story::StoryFile::read(p))
        .collect();
    Msg::StoriesFound { dir, files }
}

/// Writes a story file: a new file (never over one that exists) unless `overwrite`, then
/// through a temporary file renamed over it (a symbolic link is replaced, not followed).
fn write_story(path: &Path, text: &str, overwrite: bool) -> Saved {
    use std::io::Write;
    let attempt = || -> std::io::Result<bool> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if overwrite {
            let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, path)?;
            return Ok(true);
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    };
    match attempt() {
        Ok(true) => Saved::Written,
        Ok(false) => Saved::Exists,
        Err(e) => Saved::Failed(format!("{}: {e}", path.display())),
    }
}

/// The recent visitors kept at `path` (none when there is no such file). A file that cannot
/// be read is an error to show; it is not overwritten until the next visitor is applied.
pub fn load_visitors(path: &std::path::Path) -> Result<Vec<RecentVisitor>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the recent visitors to `path` (0600, through a temporary file renamed over it, so
/// a crash never leaves half a file).
fn save_visitors(path: &std::path::Path, list: &[RecentVisitor]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(list).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Reads the manifests each path stands for and launches every good one. Returns what was
/// launched and, for each manifest that could not be read, `file: field: problem`.
pub fn launch_all(
    launcher: &Launcher,
    paths: &[std::path::PathBuf],
) -> (Vec<LaunchedView>, Vec<String>) {
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        for found in crate::launcher::manifest::discover(path) {
            match found {
                Ok(m) => ids.push(launcher.add(m)),
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    let views = launcher
        .snapshot()
        .into_iter()
        .filter(|v| ids.contains(&v.id))
        .map(|mut v| {
            // Every line of a plugin just added comes as an event too (a build's first line
            // may already be in the snapshot): taken from there only, never twice.
            v.last_lines.clear();
            v
        })
        .collect();
    (views, errors)
}

#[cfg(test)]
mod tests {
    use std::process::Command;
    use std::sync::mpsc;

    /// Runs `openers` as `open_url` would; what `failed` heard, if anything.
    fn verdict(openers: Vec<Command>) -> Option<String> {
        let (tx, rx) = mpsc::channel();
        super::run_openers(openers, Box::new(move |why| tx.send(why).unwrap()));
        rx.try_recv().ok()
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script, "sh"]);
        cmd
    }

    #[test]
    fn the_opener_runs_marked_in_its_own_session_and_a_missing_one_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let seen = dir.path().join("seen");
        // Its session id and the mark, as the opener sees them.
        let script = format!(
            "echo \"$(cut -d' ' -f6 /proc/$$/stat) $TGO_CONSOLE_OPENER\" > {}",
            seen.display()
        );
        let openers = vec![Command::new("/nonexistent/xdg-open"), sh(&script)];
        assert_eq!(verdict(openers), None);
        let seen = std::fs::read_to_string(&seen).unwrap();
        let (sid, mark) = seen.trim().split_once(' ').unwrap();
        assert_eq!(mark, "1", "marked: {seen}");
        // SAFETY: getsid only reads the calling process's session id.
        let ours = unsafe { libc::getsid(0) };
        assert_ne!(sid.trim().parse::<i32>().unwrap(), ours, "its own session");
    }

    #[test]
    fn a_failing_opener_is_reported_and_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let second = dir.path().join("second");
        let openers = vec![sh("exit 3"), sh(&format!("touch {}", second.display()))];
        let why = verdict(openers).unwrap();
        assert!(why.starts_with("sh failed (exit status: 3)"), "{why}");
        assert!(
            !second.exists(),
            "the page may be open already: no second opener"
        );
        let why = verdict(vec![Command::new("/nonexistent/xdg-open")]).unwrap();
        assert!(why.starts_with("cannot run /nonexistent/xdg-open"), "{why}");
        assert_eq!(verdict(Vec::new()).unwrap(), "no program to open URLs with");
    }

    #[test]
    fn only_web_and_mail_urls_reach_the_opener() {
        for url in ["https://tgo.example/o/1", "HTTP://x", "mailto:a@b.c"] {
            assert!(super::openable(url), "{url}");
        }
        // An option, a local file or program, a script: never handed over.
        for url in [
            "--help",
            "-a Calculator",
            "file:///etc/passwd",
            "javascript:x",
            "ftp://x",
            "",
        ] {
            assert!(!super::openable(url), "{url}");
        }
    }
}
