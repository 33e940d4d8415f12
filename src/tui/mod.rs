//! The interactive console: a ratatui front end over the host library. It consumes host events
//! and the message log, and sends commands through the host handle; it never touches a socket.
//!
//! `msg` (messages, effects) → `update` (the only state writer) → `view` (pure drawing);
//! `app` runs the loop; `uiview` draws JSON-UI; `inspector` and `composer` are components.

pub mod action;
pub mod app;
pub mod cells;
pub mod chaos;
pub mod commands;
pub mod composer;
pub mod connections;
pub mod context_edit;
pub mod diagnostics;
pub mod entries;
pub mod events;
pub mod history;
pub mod host_view;
pub mod input;
pub mod inspect;
pub mod inspector;
pub mod keymap;
pub mod launches;
pub mod modals;
pub mod mouse;
pub mod msg;
pub mod output;
pub mod palette;
pub mod past;
mod paste;
pub mod playing;
pub mod plays;
pub mod plugins;
pub mod preview;
pub mod render;
pub mod replay;
pub mod restore;
pub mod saving;
pub mod screenshots;
pub mod setup;
pub mod state;
pub mod story;
pub mod terminal;
pub mod theme;
pub mod tools;
pub mod trail;
pub mod uiview;
pub mod update;
pub mod view;
pub mod wrap;

#[cfg(test)]
mod tests;

use crate::host::{self, HostConfig, RenderContext};
use crate::launcher::{LaunchEnv, LaunchSpec, Launcher, Manifest, spawn_supervisor};
use app::{Desktop, Sources, event_loop, launch_all};
use state::{Launch, State};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use theme::Theme;

/// How long a plugin gets for each step of the stop sequence: `shutdown` → this → SIGTERM →
/// this → SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Everything the console needs to start.
pub struct TuiOptions {
    pub host: HostConfig,
    pub theme: Theme,
    pub ctx: RenderContext,
    /// Also start the built-in demo plugin.
    pub demo: bool,
    /// Manifests (or directories of plugins) to launch.
    pub plugins: Vec<PathBuf>,
    /// Restart a launched plugin when one of its files changes.
    pub watch: bool,
    pub log_path: PathBuf,
    /// Write every log entry to this JSON-lines file (`--record`).
    pub record: Option<PathBuf>,
    /// Where recent visitors (and their visitor objects) are kept across runs.
    pub visitors_file: Option<PathBuf>,
    /// Where every request sent is kept across runs (`history.jsonl`).
    pub history_file: Option<PathBuf>,
    /// Where the web preview and render width are kept across runs (`view.json`).
    pub view_file: Option<PathBuf>,
    /// Overwrite the `record` file if it exists (`--force`).
    pub force: bool,
    /// Keys, commands and filters of the user's config; `--filter`.
    pub personal: setup::Personal,
}

/// The built-in demo plugin as a launchable plugin: this executable, `demo-plugin`.
pub fn demo_manifest() -> std::io::Result<Manifest> {
    let exe = std::env::current_exe()?;
    Ok(Manifest {
        path: exe.clone(),
        id: Some("com.tgo.demo".into()),
        name: "demo (built in)".into(),
        version: None,
        description: None,
        spec: LaunchSpec {
            program: exe.display().to_string(),
            args: vec!["demo-plugin".into()],
            cwd: None,
            env: Vec::new(),
        },
        auto_restart: true,
        restart_delay: Duration::from_secs(1),
        watchable: false,
        build: None,
    })
}

/// The TCP port plugins should dial, from the host's bound addresses.
fn tcp_port(host: &host::HostHandle, config: &HostConfig) -> Option<u16> {
    config.tcp.as_ref()?;
    host.addresses()
        .iter()
        .filter_map(|a| a.parse::<std::net::SocketAddr>().ok())
        .map(|a| a.port())
        .next()
}

/// SIGTERM, SIGHUP and SIGINT become a quit message (plugins stopped, terminal restored).
fn watch_signals() -> tokio::sync::mpsc::UnboundedReceiver<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for (kind, name) in [
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::interrupt(), "SIGINT"),
    ] {
        match signal(kind) {
            Ok(mut s) => {
                let tx = tx.clone();
                tokio::spawn(async move {
                    while s.recv().await.is_some() {
                        if tx.send(name).is_err() {
                            break;
                        }
                    }
                });
            }
            Err(e) => tracing::warn!("cannot watch {name}: {e}"),
        }
    }
    rx
}

/// Stops every plugin: `shutdown` over JSON-RPC and the launcher's stop sequence at once (each
/// plugin: `STOP_GRACE` to exit, SIGTERM, `STOP_GRACE`, SIGKILL). A key pressed meanwhile
/// kills them all at once instead of waiting.
async fn stop_everything(
    host: &host::HostHandle,
    launcher: &Launcher,
    state: &State,
    input: &mut input::TerminalInput,
) {
    // Those not connected cannot be asked to shut down: SIGTERM them now, not after the grace.
    for l in &state.launches.list {
        let connected = l
            .plugin_id
            .as_deref()
            .and_then(|p| state.plugin(p))
            .is_some_and(|p| p.liveness == state::Liveness::Connected);
        if l.state.is_live() && !connected {
            launcher.apply(l.id, crate::launcher::LaunchOp::Stop, false);
        }
    }
    let graceful = async {
        tokio::join!(host.shutdown(), launcher.shutdown(STOP_GRACE));
    };
    // The same input stream: crossterm has one reader, and a second one would compete for it.
    // A terminal that is gone (SIGHUP) never counts as a key.
    let impatient = async {
        use futures::StreamExt;
        loop {
            match input.next().await {
                Some(Ok(crossterm::event::Event::Key(_))) => break,
                Some(Ok(_)) => {}
                _ => std::future::pending::<()>().await,
            }
        }
    };
    tokio::select! {
        () = graceful => {}
        () = impatient => {
            crate::launcher::kill_all_now();
            launcher.shutdown(Duration::from_millis(100)).await;
        }
    }
}

/// The recent visitors of earlier runs join the list; the visitor the console starts with
/// gets the visitor object it had then.
fn remember_visitors(state: &mut State, loaded: Result<Vec<context_edit::RecentVisitor>, String>) {
    match loaded {
        Ok(list) => {
            if let Some(known) = list.iter().find(|r| r.visitor_id == state.ctx.visitor_id) {
                state.ctx.visitor = known.visitor.clone();
            }
            let current = context_edit::RecentVisitor::of(&state.ctx);
            state.recent_visitors = list;
            context_edit::remember(&mut state.recent_visitors, current);
        }
        Err(e) => state.set_error(format!("recent visitors not loaded: {e}")),
    }
}

/// The requests of earlier runs, for the palette; a file that cannot be read is said (and
/// only appended to).
pub fn load_history(state: &mut State, path: &std::path::Path) {
    match history::load(path) {
        Ok((list, bad)) => {
            state.history = list;
            if bad > 0 {
                state.set_error(format!(
                    "{}: {bad} line(s) of the request history could not be read",
                    path.display()
                ));
            }
        }
        Err(e) => state.set_error(format!("request history not loaded: {e}")),
    }
}

/// Takes the terminal (restored when the guard drops) and its input; the state learns its size.
fn take_terminal(
    state: &mut State,
    log_path: PathBuf,
) -> std::io::Result<(terminal::TerminalGuard, input::TerminalInput)> {
    let guard = terminal::TerminalGuard::enter(log_path)?;
    let size = guard.terminal.size()?;
    state.size = (size.width, size.height);
    let input = input::TerminalInput::start()?;
    Ok((guard, input))
}

/// Runs the console until the user quits. The host starts before the terminal is taken, so a
/// socket error is printed plainly; the terminal is restored before this returns, and no
/// launched plugin outlives it.
pub async fn run(opts: TuiOptions) -> anyhow::Result<()> {
    let (host, mut host_events) = host::start(opts.host.clone()).await?;
    let (launcher, launcher_events) = spawn_supervisor(LaunchEnv {
        socket: opts.host.socket.clone(),
        tcp_port: tcp_port(&host, &opts.host),
        watch: opts.watch,
        grace: STOP_GRACE,
    });
    let recorder = match &opts.record {
        Some(path) => Some(crate::record::Recorder::start_file(
            host.clone(),
            crate::record::create_private(path, opts.force)
                .map_err(|e| anyhow::anyhow!("cannot record to {}: {e}", path.display()))?,
        )),
        None => None,
    };
    let mut state = State::new(
        opts.theme,
        opts.ctx,
        host.addresses().to_vec(),
        opts.log_path.display().to_string(),
    );
    proxying(&mut state, &opts.host);
    if let Some(path) = &opts.visitors_file {
        remember_visitors(&mut state, app::load_visitors(path));
    }
    if let Some(path) = &opts.history_file {
        load_history(&mut state, path);
    }
    if let Some(path) = &opts.view_file {
        preview::apply(&mut state, preview::load(path));
    }
    commands::install(opts.personal, &mut state, &host.log());
    if opts.demo {
        launcher.add(demo_manifest()?);
    }
    let (_, errors) = launch_all(&launcher, &opts.plugins);
    let now = Instant::now();
    state.launches.list = launcher
        .snapshot()
        .into_iter()
        .map(|v| Launch::new(v, now))
        .collect();
    if let Some(first) = errors.first() {
        state.set_error(format!(
            "{} manifest error(s); first: {first}",
            errors.len()
        ));
    }
    state.launches.manifest_errors = errors;
    state.selected = state
        .launches
        .list
        .first()
        .map(|l| state::Row::Launch(l.id));

    let (mut guard, mut input) = take_terminal(&mut state, opts.log_path.clone())?;
    let mut sources = Sources {
        launcher: Some((launcher.clone(), launcher_events)),
        signals: Some(watch_signals()),
        visitors_file: opts.visitors_file.clone(),
        history_file: opts.history_file.clone(),
        view_file: opts.view_file.clone(),
        ..Sources::default()
    };
    let result = event_loop(
        &mut guard.terminal,
        &mut input,
        &mut state,
        &host,
        &mut host_events,
        &mut Desktop,
        &mut sources,
    )
    .await;
    // Say goodbye while the plugins are asked to stop (up to twice the grace for a stubborn one).
    let _ = guard.terminal.draw(|f| {
        let area = f.area();
        let msg = ratatui::text::Span::raw(
            " stopping plugins: shutdown, then SIGTERM after 5 s, SIGKILL after 10 s (any key: kill now)… ",
        );
        f.render_widget(
            ratatui::widgets::Paragraph::new(msg),
            ratatui::layout::Rect::new(
                area.x,
                area.bottom().saturating_sub(1),
                area.width,
                1.min(area.height),
            ),
        );
    });
    stop_everything(&host, &launcher, &state, &mut input).await;
    // What plugins left outside their process groups (a setsid grandchild) came back to us,
    // the subreaper: end it too.
    let swept = tokio::task::spawn_blocking(|| {
        crate::launcher::tree::kill_descendants(std::process::id(), Duration::from_secs(1))
    })
    .await
    .unwrap_or(0);
    if swept > 0 {
        tracing::info!("killed {swept} process(es) plugins left behind");
    }
    drop(input);
    drop(guard);
    if let Some(r) = recorder {
        r.finish().await?;
    }
    result?;
    Ok(())
}

/// Proxy mode (`--upstream`): the status bar names the real host, the inspector tags each
/// frame with its leg, and `H` can show the real host's renders.
pub fn proxying(state: &mut State, host: &HostConfig) {
    if let Some(up) = &host.upstream {
        state.session.upstream = Some(up.addr.to_string());
        state.inspector.parties = true;
    }
}

/// Opens a recording read-only in the console. Bad lines are reported (and skipped).
pub async fn run_replay(
    path: &std::path::Path,
    theme: Theme,
    personal: setup::Personal,
    log_path: PathBuf,
) -> anyhow::Result<Vec<String>> {
    let loaded = crate::record::load(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    // A host with no listener: it only holds the recorded log for the inspector.
    let config = HostConfig {
        socket: None,
        tcp: None,
        ..HostConfig::default()
    };
    let (host, mut host_events) = host::start(config).await?;
    let mut state = replay::replay_state(
        theme,
        &loaded.entries,
        &path.display().to_string(),
        log_path.display().to_string(),
    );
    host.import(loaded.entries_with_bad_lines());
    commands::install(personal, &mut state, &host.log());
    let view_file = crate::config::state_dir().join("view.json");
    preview::apply(&mut state, preview::load(&view_file));
    state.inspector.sync(&host.log());
    replay::note_bad_lines(&mut state, &loaded.bad);
    let (mut guard, mut input) = take_terminal(&mut state, log_path)?;
    let result = event_loop(
        &mut guard.terminal,
        &mut input,
        &mut state,
        &host,
        &mut host_events,
        &mut Desktop,
        &mut Sources {
            view_file: Some(view_file),
            ..Sources::default()
        },
    )
    .await;
    drop(input);
    drop(guard);
    result?;
    Ok(loaded.errors)
}
