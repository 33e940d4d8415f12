//! The plugins pane's reducer: moving the selection (a capability passed on the way is
//! rendered only once the selection rests on it), opening what is selected, and removing.

use super::action::Action;
use super::entries;
use super::launches;
use super::msg::{Effect, LaunchOp};
use super::render;
use super::state::*;

/// An action while the plugins pane has the keyboard (`None`: not the pane's).
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let rows = state.rows();
    let pos = state
        .selected
        .as_ref()
        .and_then(|s| rows.iter().position(|r| r == s));
    let last = rows.len().saturating_sub(1);
    let to = match action {
        Action::MoveDown => pos.map_or(0, |p| (p + 1).min(last)),
        Action::MoveUp => pos.map_or(0, |p| p.saturating_sub(1)),
        Action::Top => 0,
        Action::Bottom => last,
        Action::Open => {
            return Some(match state.selected.clone() {
                Some(Row::Capability(k)) => render::select_cap(state, &k, true),
                Some(Row::Story(k)) => super::playing::open(&k),
                // A launched plugin's row: what it printed is what there is to see.
                Some(Row::Launch(_)) => {
                    state.enter_pane(Pane::Output);
                    Vec::new()
                }
                _ => Vec::new(),
            });
        }
        Action::Chaos => return Some(super::chaos::start(state)),
        _ => return launch_action(state, action),
    };
    Some(select_row(state, rows.get(to).cloned(), true))
}

/// `start_stop`, `restart`, `build`, `remove` on the selected launched plugin (in the output pane:
/// the one shown). `remove` on a plugin that dialled in by itself drops its entry once it is
/// gone.
pub fn launch_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let op = match action {
        Action::StartStop => LaunchOp::Start,
        Action::Restart => LaunchOp::Restart,
        Action::Remove => LaunchOp::Remove,
        Action::Build => LaunchOp::Build,
        _ => return None,
    };
    let launched = if state.focus == Pane::Output {
        state.output_launch().is_some()
    } else {
        state.selected_launch().is_some()
    };
    if op == LaunchOp::Remove && !launched {
        let said = entries::remove_selected(state);
        state.toast(ToastKind::Info, said, TOAST);
        return Some(Vec::new());
    }
    Some(launches::op_on_selected(state, op))
}

/// Selects a row of the plugins pane. `passing`: moved onto by a key, maybe on the way to
/// another row, so a capability that needs a request is rendered only once the selection
/// rests ([`render::RENDER_DEBOUNCE`]).
pub fn select_row(state: &mut State, row: Option<Row>, passing: bool) -> Vec<Effect> {
    let Some(row) = row else { return Vec::new() };
    if state.selected.as_ref() == Some(&row) {
        return Vec::new();
    }
    state.selected = Some(row.clone());
    state.launches.output_scroll = OutputScroll::default();
    match row {
        Row::Capability(k) if passing && render::needs_request(state, &k) => {
            render::render_later(state, k);
            Vec::new()
        }
        Row::Capability(k) => render::select_cap(state, &k, false),
        Row::Plugin(_) | Row::Launch(_) | Row::Story(_) => Vec::new(),
    }
}
