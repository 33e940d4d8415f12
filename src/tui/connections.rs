//! What the host says about connections: a plugin registered (its entry, its launch, its first
//! panel), disconnected, was refused, or a connection ended before registering.

use super::entries;
use super::launches;
use super::msg::{CapKey, Effect};
use super::render;
use super::restore;
use super::state::*;
use super::view;
use crate::host::changes::capability_changes;
use crate::host::{CapabilityKind, HostEvent, PluginInfo};

pub fn on_host(state: &mut State, ev: HostEvent) -> Vec<Effect> {
    let registered = match &ev {
        HostEvent::Registered { plugin_id, .. } => Some(plugin_id.clone()),
        _ => None,
    };
    let mut effects = on_event(state, ev);
    // A launched plugin's stories are looked for (again: they may have changed) each time
    // it registers.
    if let Some(dir) = registered.and_then(|p| state.plugin_dir(&p)) {
        effects.push(Effect::FindStories(dir));
    }
    effects
}

fn on_event(state: &mut State, ev: HostEvent) -> Vec<Effect> {
    match ev {
        HostEvent::Registered {
            conn,
            plugin_id,
            info,
            replaced,
        } => {
            launches::on_registered(state, conn, &plugin_id);
            if state.render.rebuilding.remove(&plugin_id) {
                super::past::rebuilt(state, &plugin_id);
            }
            // A crash or refusal in the status bar is over once a plugin is back.
            state.status.error = None;
            let lacking = view::register_warning(&info.notes);
            let changed = capabilities_changed(state, &plugin_id, &info);
            entries::upsert(state, conn, &plugin_id, info, replaced.is_some());
            entries::fold_idless(state, &plugin_id);
            match lacking.first() {
                // An empty or lenient register is accepted, as the real host does: say so.
                Some(first) => state.toast(
                    ToastKind::Warning,
                    format!("{plugin_id} registered, but its {first}"),
                    TOAST * 2,
                ),
                None => registered_toast(state, &plugin_id),
            }
            let mut effects = Vec::new();
            if !changed.is_empty() {
                let more = match changed.len() {
                    1 => String::new(),
                    n => format!(" (+{} more in the inspector)", n - 1),
                };
                state.toast(
                    ToastKind::Info,
                    format!("{plugin_id}: {}{more}", changed[0]),
                    TOAST * 2,
                );
                effects.push(Effect::Note {
                    plugin: plugin_id.clone(),
                    text: format!("capabilities changed: {}", changed.join("; ")),
                });
            }
            effects.extend(registered_effects(state, plugin_id));
            effects
        }
        HostEvent::Disconnected {
            conn,
            plugin_id: Some(id),
            reason,
        } => {
            launches::on_disconnected(state, conn);
            if let Some(p) = state
                .plugins
                .iter_mut()
                .find(|p| p.plugin_id == id && p.conn == conn)
            {
                p.liveness = Liveness::Disconnected(reason.clone());
                state.toast(
                    ToastKind::Warning,
                    format!("{id} disconnected: {reason}"),
                    TOAST,
                );
                entries::bound_gone(state);
            }
            Vec::new()
        }
        HostEvent::Rejected { reason, .. } => {
            let text = format!("registration refused: {reason}");
            state.set_error(text.clone());
            state.toast(ToastKind::Error, text, TOAST * 2);
            Vec::new()
        }
        HostEvent::Disconnected {
            conn,
            plugin_id: None,
            reason,
        } => {
            launches::on_disconnected(state, conn);
            // A connection that closed without a word is no plugin's fault (a probe); the
            // others broke the handshake, and say how on screen, not only in the inspector.
            if reason != "closed before registering" {
                state.toast(
                    ToastKind::Error,
                    format!("connection #{conn} never registered: {reason}"),
                    TOAST * 2,
                );
                if state.unregistered.len() == UNREGISTERED_SHOWN {
                    state.unregistered.pop_front();
                }
                state.unregistered.push_back(Unregistered { conn, reason });
            }
            Vec::new()
        }
        HostEvent::Upstream {
            conn,
            connected,
            text,
            ..
        } => {
            if let Some(p) = state.plugins.iter_mut().find(|p| p.conn == conn) {
                p.upstream_lost = !connected;
            }
            let kind = if connected {
                ToastKind::Info
            } else {
                ToastKind::Warning
            };
            state.toast(kind, text, TOAST * 2);
            Vec::new()
        }
        HostEvent::Connected { .. } => Vec::new(),
    }
}

/// "X registered", or one toast for several plugins registering together (at startup they
/// all do, and a stack of toasts would hide the panes).
fn registered_toast(state: &mut State, plugin_id: &str) {
    let until = state.now + TOAST;
    if let Some(t) = state
        .status
        .toasts
        .iter_mut()
        .find(|t| !t.registered.is_empty())
    {
        // The same plugin registering again (a restart) is said once.
        if !t.registered.iter().any(|r| r == plugin_id) {
            t.registered.push(plugin_id.to_string());
        }
        t.text = match t.registered.as_slice() {
            [one] => format!("{one} registered again"),
            all => format!("{} plugins registered: {}", all.len(), all.join(", ")),
        };
        t.until = until;
        return;
    }
    state.toast(ToastKind::Success, format!("{plugin_id} registered"), TOAST);
    if let Some(t) = state.status.toasts.last_mut() {
        t.registered.push(plugin_id.to_string());
    }
}

/// What follows a registration on screen: the plugin's first panel when nothing is shown
/// yet, its shown panel again when it is this plugin's (the author just restarted it).
fn registered_effects(state: &mut State, plugin_id: String) -> Vec<Effect> {
    let shown_here = matches!(&state.render.shown, Some(Shown::Cap(k)) if k.plugin_id == plugin_id);
    if shown_here {
        if let Some(Shown::Cap(key)) = state.render.shown.clone() {
            // Back to what was on screen: the path to it is walked again.
            return restore::again(state, &key);
        }
    } else if state.render.shown.is_none() {
        let first = state.plugin(&plugin_id).and_then(|p| {
            p.by_priority()
                .into_iter()
                .find(|&i| p.capabilities[i].kind == CapabilityKind::VisitorPanel)
        });
        if let Some(index) = first {
            let key = CapKey { plugin_id, index };
            state.selected = Some(Row::Capability(key.clone()));
            return render::select_cap(state, &key, false);
        }
    }
    if state.selected.is_none() {
        state.selected = Some(Row::Plugin(plugin_id));
    }
    Vec::new()
}

/// How this registration's capabilities differ from the plugin's previous one (the same id,
/// or the gone entry an id-less plugin's new registration stands for).
fn capabilities_changed(state: &State, plugin_id: &str, info: &PluginInfo) -> Vec<String> {
    let previous = state.plugin(plugin_id).or_else(|| {
        info.requested_id.is_none().then(|| {
            state.plugins.iter().rev().find(|p| {
                p.generated_id
                    && p.liveness != Liveness::Connected
                    && p.name == info.name
                    && p.version == info.version
            })
        })?
    });
    previous.map_or_else(Vec::new, |p| {
        capability_changes(&p.capabilities, &info.capabilities)
    })
}
