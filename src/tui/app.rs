//! The event loop: terminal input first (biased, so a flooding plugin never delays a key),
//! then replies, host events and a throttled "log grew"; `update`; draw only if something
//! changed. No timer runs unless something on screen moves, so an idle console sleeps.

use super::msg::{Effect, Msg};
use super::state::State;
use super::update::{mark_crashed, update};
use super::view;
use crate::host::{HostEvent, HostHandle};
use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Most often the inspector follows a growing log (a flood is drawn ~30 times a second).
const LOG_REDRAW: Duration = Duration::from_millis(33);
/// Animation step while a spinner or toast is on screen.
const TICK: Duration = Duration::from_millis(100);

/// Where clipboard and browser effects go (a terminal in real life, a recorder in tests).
pub trait Platform {
    fn copy(&mut self, text: &str);
    fn open_url(&mut self, url: &str);
}

/// The real terminal: OSC 52 for the clipboard, the desktop's opener for URLs.
pub struct Desktop;

impl Platform for Desktop {
    fn copy(&mut self, text: &str) {
        if let Err(e) = super::terminal::osc52_copy(text) {
            tracing::warn!("clipboard copy failed: {e}");
        }
    }

    fn open_url(&mut self, url: &str) {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        let spawned = std::process::Command::new(opener)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if let Err(e) = spawned {
            tracing::warn!("cannot run {opener} for {url}: {e}");
        }
    }
}

/// A launched plugin whose exit the console watches (the demo plugin, for now).
pub struct Watched {
    pub plugin_id: String,
    pub child: crate::launcher::ChildPlugin,
}

fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::FocusGained | Event::FocusLost => None,
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
    mut watched: Option<&mut Watched>,
) -> std::io::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    I: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut log_updates = host.log_updates();
    let mut log_changed = false;
    let mut log_ready_at = tokio::time::Instant::now();
    let mut dirty = true;
    let mut frames: u64 = 0;
    loop {
        if dirty {
            let log = host.log();
            terminal
                .draw(|f| view::draw(f, state, &log))
                .map_err(std::io::Error::other)?;
            frames += 1;
            dirty = false;
        }
        if state.quit {
            break;
        }
        let exited = async {
            match watched.as_mut() {
                Some(w) => {
                    if w.child.try_status().is_some() {
                        // Already reported: never fires again.
                        std::future::pending::<()>().await;
                    }
                    w.child.wait().await.ok()
                }
                None => std::future::pending().await,
            }
        };
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
            Some(ev) = host_events.recv() => Msg::Host(ev),
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
            _ = tokio::time::sleep(TICK), if state.needs_tick() => Msg::Tick,
            status = exited => {
                if let (Some(w), Some(status)) = (watched.as_ref(), status)
                    && !status.success()
                {
                    mark_crashed(state, &w.plugin_id, status.to_string());
                    dirty = true;
                }
                continue;
            }
        };
        let effects = {
            let log = host.log();
            update(state, msg, &log, Instant::now())
        };
        dirty = true;
        for effect in effects {
            run_effect(effect, host, &tx, platform);
        }
    }
    tracing::info!(frames, "event loop ended");
    Ok(())
}

/// Parses an answer that looks like JSON-UI on a blocking thread, not on the UI loop.
async fn parse_off_loop(
    reply: &crate::host::Reply,
) -> Option<Box<crate::jsonui::Parsed<crate::jsonui::Node>>> {
    let crate::host::Outcome::Result { value } = &reply.outcome else {
        return None;
    };
    value.get("template")?;
    let value = value.clone();
    tokio::task::spawn_blocking(move || Box::new(crate::jsonui::parse_ui(&value)))
        .await
        .ok()
}

fn run_effect(
    effect: Effect,
    host: &HostHandle,
    tx: &mpsc::UnboundedSender<Msg>,
    platform: &mut dyn Platform,
) {
    match effect {
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
                        let reply = ticket.wait().await;
                        let ui = parse_off_loop(&reply).await;
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
        Effect::OpenUrl(url) => platform.open_url(&url),
        Effect::Export(seqs) => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let path = std::path::PathBuf::from(format!("tgo-console-export-{stamp}.jsonl"));
            let written = {
                let log = host.log();
                crate::record::write_entries(&path, seqs.iter().filter_map(|s| log.get(*s)))
            };
            let msg = match written {
                Ok(n) => Msg::Notice {
                    text: format!("exported {n} messages to {}", path.display()),
                    error: false,
                },
                Err(e) => Msg::Notice {
                    text: format!("export to {} failed: {e}", path.display()),
                    error: true,
                },
            };
            let _ = tx.send(msg);
        }
        Effect::Quit => {}
    }
}
