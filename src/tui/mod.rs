//! The interactive console: a ratatui front end over the host library. It consumes host events
//! and the message log, and sends commands through the host handle; it never touches a socket.
//!
//! `msg` (messages, effects) → `update` (the only state writer) → `view` (pure drawing);
//! `app` runs the loop; `uiview` draws JSON-UI; `inspector` and `composer` are components.

pub mod app;
pub mod composer;
pub mod context_edit;
pub mod inspector;
pub mod keymap;
pub mod msg;
pub mod replay;
pub mod screenshots;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod tools;
pub mod uiview;
pub mod update;
pub mod view;

#[cfg(test)]
mod tests;

use crate::host::{self, HostConfig, RenderContext};
use crate::launcher::{ChildPlugin, LaunchSpec};
use app::{Desktop, Watched, event_loop};
use state::State;
use std::path::PathBuf;
use std::time::Duration;
use theme::Theme;

/// Everything the console needs to start.
pub struct TuiOptions {
    pub host: HostConfig,
    pub theme: Theme,
    pub ctx: RenderContext,
    /// Also start the built-in demo plugin.
    pub demo: bool,
    pub log_path: PathBuf,
    /// Append every log entry to this JSON-lines file (`--record`).
    pub record: Option<PathBuf>,
}

/// Runs the console until the user quits. The host starts before the terminal is taken, so a
/// socket error is printed plainly; the terminal is restored before this returns.
pub async fn run(opts: TuiOptions) -> anyhow::Result<()> {
    let (host, mut host_events) = host::start(opts.host.clone()).await?;
    let mut watched = None;
    if opts.demo {
        let exe = std::env::current_exe()?;
        let mut env = Vec::new();
        if let Some(sock) = &opts.host.socket {
            env.push(("TGO_SOCKET_PATH".to_string(), sock.display().to_string()));
        }
        let spec = LaunchSpec {
            program: exe.display().to_string(),
            args: vec!["demo-plugin".into()],
            cwd: None,
            env,
        };
        watched = Some(Watched {
            plugin_id: "com.tgo.demo".into(),
            child: ChildPlugin::spawn(&spec)?,
        });
    }
    let recorder = match &opts.record {
        Some(path) => Some(
            crate::record::Recorder::start(host.clone(), path)
                .map_err(|e| anyhow::anyhow!("cannot record to {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let mut guard = terminal::TerminalGuard::enter(opts.log_path.clone())?;
    let size = guard.terminal.size()?;
    let mut state = State::new(
        opts.theme,
        opts.ctx,
        host.addresses().to_vec(),
        opts.log_path.display().to_string(),
    );
    state.size = (size.width, size.height);
    let mut input = crossterm::event::EventStream::new();
    let result = event_loop(
        &mut guard.terminal,
        &mut input,
        &mut state,
        &host,
        &mut host_events,
        &mut Desktop,
        watched.as_mut(),
    )
    .await;
    // Say goodbye while the plugins are asked to shut down (up to the grace period).
    let _ = guard.terminal.draw(|f| {
        let area = f.area();
        let msg = ratatui::text::Span::raw(" shutting down: sending shutdown to every plugin… ");
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
    host.shutdown().await;
    if let Some(w) = watched.as_mut() {
        w.child.stop(Duration::from_secs(1)).await;
    }
    drop(guard);
    if let Some(r) = recorder {
        r.finish().await?;
    }
    result?;
    Ok(())
}

/// Opens a recording read-only in the console. Bad lines are reported (and skipped).
pub async fn run_replay(
    path: &std::path::Path,
    theme: Theme,
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
    host.import(loaded.entries);
    state.inspector.sync(&host.log());
    if !loaded.errors.is_empty() {
        state.last_error = Some(format!(
            "{} unreadable line(s); first: {}",
            loaded.errors.len(),
            loaded.errors[0]
        ));
    }
    let mut guard = terminal::TerminalGuard::enter(log_path)?;
    let size = guard.terminal.size()?;
    state.size = (size.width, size.height);
    let mut input = crossterm::event::EventStream::new();
    let result = event_loop(
        &mut guard.terminal,
        &mut input,
        &mut state,
        &host,
        &mut host_events,
        &mut Desktop,
        None,
    )
    .await;
    drop(guard);
    result?;
    Ok(loaded.errors)
}
