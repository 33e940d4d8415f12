//! The plugins pane's entries (below the reducers that change them): a registration folds the entries it
//! supersedes (a relaunched plugin that registers without an id gets a new one each time),
//! gone entries can be removed, and only the newest gone ones are kept.

use super::msg::CapKey;
use super::state::*;
use crate::host::{ConnId, PluginInfo};

/// Gone plugins (disconnected or replaced, not launched) kept in the list; older ones are
/// forgotten, so 1 000 reconnecting plugins do not leave 1 000 rows.
pub const MAX_GONE: usize = 20;

/// Adds or updates the entry of a plugin that registered.
pub(super) fn upsert(
    state: &mut State,
    conn: ConnId,
    plugin_id: &str,
    info: PluginInfo,
    replaced: bool,
) {
    let view = PluginView {
        plugin_id: plugin_id.to_string(),
        name: info.name,
        version: info.version,
        description: info.description,
        author: info.author,
        generated_id: info.requested_id.is_none(),
        conn,
        liveness: Liveness::Connected,
        capabilities: info.capabilities,
        replaced: 0,
        register_notes: info.notes,
        upstream_lost: false,
    };
    match state.plugins.iter_mut().find(|p| p.plugin_id == plugin_id) {
        Some(p) => {
            let replaced_count = p.replaced + usize::from(replaced);
            *p = view;
            p.replaced = replaced_count;
        }
        None => state.plugins.push(view),
    }
}

/// Gone entries an id-less plugin's new registration stands for: the same plugin, restarted by
/// hand, registering under a new generated id.
pub(super) fn fold_idless(state: &mut State, plugin_id: &str) -> Option<CapKey> {
    let new = state.plugin(plugin_id)?;
    if !new.generated_id {
        return None;
    }
    let (name, version) = (new.name.clone(), new.version.clone());
    let old: Vec<String> = state
        .plugins
        .iter()
        .filter(|p| {
            p.generated_id
                && p.plugin_id != plugin_id
                && p.liveness != Liveness::Connected
                && p.name == name
                && p.version == version
                && state.launch_of(&p.plugin_id).is_none()
        })
        .map(|p| p.plugin_id.clone())
        .collect();
    let mut shown = None;
    for id in old {
        shown = fold(state, &id, plugin_id).or(shown);
    }
    shown
}

/// Replaces the gone entry `old` by `new` (the same plugin, registered again under another
/// id): the entry goes, and what was shown or selected of it now points at `new`. Returns the
/// capability to render again when one of `old`'s was shown.
pub(super) fn fold(state: &mut State, old: &str, new: &str) -> Option<CapKey> {
    if old == new
        || state
            .plugin(old)
            .is_none_or(|p| p.liveness == Liveness::Connected)
    {
        return None;
    }
    let moved = |k: &CapKey| CapKey {
        plugin_id: new.to_string(),
        index: k.index,
    };
    state.selected = match state.selected.take() {
        Some(Row::Plugin(p)) if p == old => Some(Row::Plugin(new.to_string())),
        Some(Row::Capability(k)) if k.plugin_id == old => Some(Row::Capability(moved(&k))),
        other => other,
    };
    let mut again = None;
    if let Some(Shown::Cap(k)) = &state.render.shown
        && k.plugin_id == old
    {
        let k = moved(k);
        state.render.shown = Some(Shown::Cap(k.clone()));
        again = Some(k);
    }
    // The last picture stays on screen until the new registration's render replaces it.
    let slots: Vec<CapKey> = state
        .render
        .slots
        .keys()
        .filter(|k| k.plugin_id == old)
        .cloned()
        .collect();
    for k in slots {
        if let Some(slot) = state.render.slots.remove(&k) {
            state.render.slots.entry(moved(&k)).or_insert(slot);
        }
    }
    forget(state, old);
    again
}

/// Drops a plugin's entry and everything drawn for it.
pub(super) fn forget(state: &mut State, plugin_id: &str) {
    forget_all(state, &std::collections::HashSet::from([plugin_id]));
}

/// Drops these plugins' entries and everything drawn for them, in one pass over each list.
fn forget_all(state: &mut State, ids: &std::collections::HashSet<&str>) {
    let gone = |id: &str| ids.contains(id);
    state.plugins.retain(|p| !gone(&p.plugin_id));
    state.render.slots.retain(|k, _| !gone(&k.plugin_id));
    state.render.tool_runs.retain(|k, _| !gone(&k.plugin_id));
    if matches!(&state.render.shown, Some(Shown::Cap(k)) if gone(&k.plugin_id)) {
        state.render.shown = None;
    }
    if state
        .render
        .due
        .as_ref()
        .is_some_and(|(k, _)| gone(&k.plugin_id))
    {
        state.render.due = None;
    }
}

/// Keeps at most [`MAX_GONE`] gone entries (of plugins the console did not launch), dropping
/// the oldest; counts what it dropped. Linear in the plugins listed, whatever it drops: a
/// storm of disconnects must not cost the square of the list.
pub(super) fn bound_gone(state: &mut State) {
    let gone: Vec<String> = state
        .plugins
        .iter()
        .filter(|p| p.liveness != Liveness::Connected && state.launch_of(&p.plugin_id).is_none())
        .map(|p| p.plugin_id.clone())
        .collect();
    let excess = gone.len().saturating_sub(MAX_GONE);
    if excess == 0 {
        return;
    }
    let dropped: std::collections::HashSet<&str> =
        gone[..excess].iter().map(String::as_str).collect();
    // A selection on a dropped plugin moves to the next plugin that stays, else the one before.
    let selected_plugin = match &state.selected {
        Some(Row::Plugin(p)) => Some(p.clone()),
        Some(Row::Capability(k)) => Some(k.plugin_id.clone()),
        _ => None,
    };
    if let Some(sel) = selected_plugin.filter(|p| dropped.contains(p.as_str())) {
        let from = state
            .plugins
            .iter()
            .position(|p| p.plugin_id == sel)
            .unwrap_or(0);
        let next = state.plugins[from..]
            .iter()
            .chain(state.plugins[..from].iter().rev())
            .find(|p| !dropped.contains(p.plugin_id.as_str()))
            .map(|p| Row::Plugin(p.plugin_id.clone()));
        state.selected = next.or_else(|| state.launches.list.last().map(|l| Row::Launch(l.id)));
    }
    forget_all(state, &dropped);
    state.forgotten += excess;
}

/// Keeps a valid selection after rows went away: the next surviving row, else the last.
pub(super) fn keep_selection(state: &mut State, before: &[Row]) {
    let rows = state.rows();
    let Some(sel) = state.selected.clone() else {
        return;
    };
    if rows.contains(&sel) {
        return;
    }
    let from = before.iter().position(|r| *r == sel).unwrap_or(0);
    state.selected = before[from..]
        .iter()
        .find(|r| rows.contains(r))
        .or(rows.last())
        .cloned();
}

/// `x` on a plugin that dialled in by itself: removed when it is gone. Returns what to say.
pub(super) fn remove_selected(state: &mut State) -> String {
    let id = match &state.selected {
        Some(Row::Plugin(p)) => p.clone(),
        Some(Row::Capability(k)) => k.plugin_id.clone(),
        Some(Row::Story(k)) => k.plugin_id.clone(),
        _ => return "select a plugin to remove".into(),
    };
    let Some(p) = state.plugin(&id) else {
        return "select a plugin to remove".into();
    };
    if p.liveness == Liveness::Connected {
        return format!("{id} is connected: only gone plugins and launched ones can be removed");
    }
    let before = state.rows();
    forget(state, &id);
    keep_selection(state, &before);
    format!("removed {id}")
}
