//! Plugins the console launched from manifests, on the `update` side: launcher events into
//! state, linking a process to the plugin it registers as, and the launch keys
//! (`s` start/stop, `R` restart, `x` remove, `a` add). Only `update` calls in here.

use super::msg::{CapKey, Effect, LaunchOp};
use super::state::*;
use crate::host::ConnId;
use crate::launcher::{LaunchId, LaunchedView, LauncherEvent, OutputLine, ProcState, StreamKind};
use ratatui_textarea::TextArea;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TOAST: Duration = Duration::from_secs(3);

pub(super) fn on_events(state: &mut State, events: Vec<LauncherEvent>, now: Instant) {
    for ev in events {
        match ev {
            LauncherEvent::State {
                id,
                state: st,
                pid,
                restarts,
            } => on_state(state, id, st, pid, restarts, now),
            LauncherEvent::Output { id, line } => on_output(state, id, line),
            LauncherEvent::Dropped { id, lines } => {
                if let Some(l) = state.launch_mut(id) {
                    l.dropped += lines;
                }
            }
            LauncherEvent::Changed { id, path } => {
                // Compared once the rebuilt process registers: the old one keeps answering
                // while the build runs (and after a failed one).
                if let Some(pid) = state.launch(id).and_then(|l| l.plugin_id.clone()) {
                    state.render.rebuilding.insert(pid);
                }
                if let Some(l) = state.launch(id) {
                    let text = format!(
                        "{} changed: restarting {}",
                        crate::text::sanitize_line(&short_path(&path, &l.manifest)),
                        l.name
                    );
                    state.toast(ToastKind::Info, text, TOAST);
                }
            }
            LauncherEvent::BuildFailed { id, message, kept } => {
                if let Some(l) = state.launch(id) {
                    let text = if kept {
                        format!("{}: build failed, still running the previous build", l.name)
                    } else {
                        format!("{}: build failed", l.name)
                    };
                    let message = crate::text::sanitize_line(&message);
                    state.set_error(format!("{text}: {message}"));
                    state.toast(ToastKind::Error, text, TOAST * 2);
                }
            }
            LauncherEvent::Removed { id } => forget(state, id),
        }
    }
}

fn on_state(
    state: &mut State,
    id: LaunchId,
    st: ProcState,
    pid: Option<u32>,
    restarts: u32,
    now: Instant,
) {
    let Some(l) = state.launch_mut(id) else {
        return;
    };
    l.restarts = restarts;
    // `registered` is not reset here: host events may be handled before the launcher's, so
    // the new process may already have registered. Its connection closing resets it.
    // A new run (or build) of a plugin that printed before: mark where it starts.
    let new_run = (st == ProcState::Starting && l.state != ProcState::Building)
        || (st == ProcState::Building && !l.state.is_live());
    if st == ProcState::Starting {
        l.started = Some(now);
    }
    if new_run && !l.output.is_empty() && !l.state.is_live() {
        let text = format!("── {} · restarted ──", l.status_text(now));
        l.output.push_back(OutputLine {
            at: std::time::SystemTime::now(),
            stream: StreamKind::Console,
            text,
        });
        trim_output(l);
    }
    l.pid = pid;
    l.state = st;
    if matches!(l.state, ProcState::Running) && l.started.is_none() {
        l.started = Some(now);
    }
    let crashed = l.has_crashed() && !matches!(l.state, ProcState::Restarting { .. });
    let text = format!("{}: {}", l.name, l.status_text(now));
    if crashed {
        state.set_error(text.clone());
        state.toast(ToastKind::Error, text, TOAST * 2);
    }
}

fn on_output(state: &mut State, id: LaunchId, line: OutputLine) {
    let Some(l) = state.launch_mut(id) else {
        return;
    };
    l.output.push_back(line);
    trim_output(l);
}

fn trim_output(l: &mut Launch) {
    while l.output.len() > OUTPUT_LINES {
        l.output.pop_front();
        l.dropped += 1;
    }
}

/// The launcher forgot it: drop its row, and its plugin's row if that is not connected.
fn forget(state: &mut State, id: LaunchId) {
    let Some(pos) = state.launches.list.iter().position(|l| l.id == id) else {
        return;
    };
    let rows_before = state.rows();
    let l = state.launches.list.remove(pos);
    state.launches.by_conn.retain(|_, launch| *launch != id);
    if let Some(pid) = &l.plugin_id
        && state
            .plugin(pid)
            .is_some_and(|p| p.liveness != Liveness::Connected)
    {
        // Its plugin goes too, with what it drew.
        super::entries::forget(state, pid);
    }
    super::entries::keep_selection(state, &rows_before);
    state.toast(ToastKind::Info, format!("removed {}", l.name), TOAST);
}

/// Plugins launched at runtime join the list (and get selected); unreadable manifests say why
/// (in a toast and the status bar).
pub(super) fn on_added(
    state: &mut State,
    views: Vec<LaunchedView>,
    errors: Vec<String>,
    now: Instant,
) {
    let first = views.first().map(|v| v.id);
    for v in views {
        if state.launch(v.id).is_none() {
            state.launches.list.push(Launch::new(v, now));
        }
    }
    if let Some(id) = first {
        state.selected = Some(Row::Launch(id));
        let name = state.launch(id).map(|l| l.name.clone()).unwrap_or_default();
        state.toast(ToastKind::Success, format!("launched {name}"), TOAST);
    }
    // Said, not kept in the list: a mistyped path is fixed by typing it again (`a`).
    if !errors.is_empty() {
        let text = errors.join("; ");
        state.set_error(text.clone());
        state.toast(ToastKind::Error, text, TOAST * 3);
    }
}

/// A connection came from a launched plugin's process. It may have registered already (the
/// process was found late): then link it now.
pub(super) fn on_conn_owner(state: &mut State, conn: ConnId, launch: LaunchId) -> Option<CapKey> {
    state.launches.by_conn.insert(conn, launch);
    let registered = state
        .plugins
        .iter()
        .find(|p| p.conn == conn && p.liveness == Liveness::Connected)
        .map(|p| p.plugin_id.clone())?;
    link(state, conn, launch, &registered)
}

/// A connection closed: the launch it came from has no registered process any more (unless
/// a newer connection of its plugin registered meanwhile).
pub(super) fn on_disconnected(state: &mut State, conn: ConnId) {
    let Some(id) = state.launches.by_conn.remove(&conn) else {
        return;
    };
    let current = state
        .launch(id)
        .and_then(|l| l.plugin_id.as_deref())
        .and_then(|p| state.plugin(p))
        .is_some_and(|p| p.conn == conn);
    if current && let Some(l) = state.launch_mut(id) {
        l.registered = false;
    }
}

/// A plugin registered: link it to the launch it came from (by its process, else by the id
/// its manifest declares), so its row shows the process state too.
pub(super) fn on_registered(state: &mut State, conn: ConnId, plugin_id: &str) {
    let by_process = state.launches.by_conn.get(&conn).copied();
    // Not by process state: the launcher's news of the process may come after this.
    let by_manifest = || {
        state
            .launches
            .list
            .iter()
            .find(|l| !l.removing && l.manifest_plugin_id.as_deref() == Some(plugin_id))
            .map(|l| l.id)
    };
    let Some(id) = by_process.or_else(by_manifest) else {
        return;
    };
    // What was shown of a folded entry is re-rendered by the registration itself.
    let _ = link(state, conn, id, plugin_id);
}

/// The launch `id` is the process behind `plugin_id`'s connection `conn`.
fn link(state: &mut State, conn: ConnId, id: LaunchId, plugin_id: &str) -> Option<CapKey> {
    state.launches.by_conn.insert(conn, id);
    // A relaunch that registers under another id (an id-less plugin gets a new one each time)
    // takes the place of its gone entry.
    let previous = state.launch(id).and_then(|l| l.plugin_id.clone());
    let again = previous.and_then(|old| super::entries::fold(state, &old, plugin_id));
    // Only one launch shows a given plugin id: the newest registration wins.
    for l in &mut state.launches.list {
        if l.id != id && l.plugin_id.as_deref() == Some(plugin_id) {
            l.plugin_id = None;
        }
    }
    if let Some(l) = state.launch_mut(id) {
        l.plugin_id = Some(plugin_id.to_string());
        l.registered = true;
    }
    if state.selected == Some(Row::Launch(id)) {
        state.selected = Some(Row::Plugin(plugin_id.to_string()));
    }
    again
}

/// `s`, `R`, `x` on the selected plugin (in the output pane: the one shown).
pub(super) fn op_on_selected(state: &mut State, op: LaunchOp) -> Vec<Effect> {
    let target = if state.focus == Pane::Output {
        state.output_launch()
    } else {
        state.selected_launch()
    };
    let Some(l) = target else {
        let text = if state.launches.list.is_empty() {
            "no launched plugin: run tgo-console PLUGIN… or press a to add one"
        } else {
            "this plugin dialled in by itself: the console can only start or stop plugins it launched"
        };
        state.toast(ToastKind::Info, text.into(), TOAST);
        return Vec::new();
    };
    let (id, name) = (l.id, l.name.clone());
    let op = match op {
        LaunchOp::Stop | LaunchOp::Start if l.state.is_live() => LaunchOp::Stop,
        LaunchOp::Stop | LaunchOp::Start => LaunchOp::Start,
        other => other,
    };
    // Ask it to shut down over JSON-RPC first when it is connected.
    let shutdown = l.plugin_id.clone().filter(|p| {
        state
            .plugin(p)
            .is_some_and(|p| p.liveness == Liveness::Connected)
    });
    let effect = Effect::Launch {
        id,
        op,
        // A build stops the old process only once the new one is built.
        shutdown: if matches!(op, LaunchOp::Start | LaunchOp::Build) {
            None
        } else {
            shutdown
        },
    };
    match op {
        LaunchOp::Remove => {
            state.modal = Some(Modal::Confirm {
                text: format!("Stop {name} and remove it from the list?"),
                then: vec![effect],
            });
            return Vec::new();
        }
        LaunchOp::Start => state.toast(ToastKind::Info, format!("starting {name}"), TOAST),
        LaunchOp::Stop => state.toast(ToastKind::Info, format!("stopping {name}"), TOAST),
        LaunchOp::Restart => state.toast(ToastKind::Info, format!("restarting {name}"), TOAST),
        LaunchOp::Build => state.toast(ToastKind::Info, format!("building {name}"), TOAST),
    }
    vec![effect]
}

/// Marks a launch as being removed (its row says so until the launcher forgets it).
pub(super) fn mark_removing(state: &mut State, effects: &[Effect]) {
    for e in effects {
        if let Effect::Launch {
            id,
            op: LaunchOp::Remove,
            ..
        } = e
            && let Some(l) = state.launch_mut(*id)
        {
            l.removing = true;
        }
    }
}

/// `a`: the prompt for a manifest path.
pub(super) fn open_add(state: &mut State) {
    let mut area = TextArea::new(vec![String::new()]);
    area.set_placeholder_text(
        "path/to/plugin.yml, a plugin directory, a directory of them, or an installed id",
    );
    state.modal = Some(Modal::AddPlugin(Box::new(area)));
}

/// Enter in the add prompt: the path to launch (`~/` expanded), or `None` when empty.
pub(super) fn add_path(text: &str) -> Option<PathBuf> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match (text.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Some(PathBuf::from(home).join(rest)),
        _ => Some(PathBuf::from(text)),
    }
}

/// `path` relative to the manifest's directory when it is inside it.
fn short_path(path: &std::path::Path, manifest: &std::path::Path) -> String {
    manifest
        .parent()
        .and_then(|dir| path.strip_prefix(dir).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}
