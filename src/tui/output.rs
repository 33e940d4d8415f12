//! The output pane's reducer: scrolling what a launched plugin printed (it follows the newest
//! line unless scrolled up), and the launch actions on the plugin shown.

use super::action::Action;
use super::msg::Effect;
use super::plugins;
use super::state::State;
use super::view;

/// An action while the output pane has the keyboard (`None`: not the pane's).
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let len = state.output_launch().map_or(0, |l| l.output.len());
    let page = (view::layout_of(state).output.height as usize)
        .saturating_sub(3)
        .max(1);
    let oldest = len.saturating_sub(1);
    let up = &mut state.launches.output_scroll.up;
    match action {
        Action::MoveUp => *up = (*up + 1).min(oldest),
        Action::MoveDown => *up = up.saturating_sub(1),
        Action::PageUp => *up = (*up + page).min(oldest),
        Action::PageDown => *up = up.saturating_sub(page),
        Action::Top => *up = oldest,
        Action::Bottom | Action::Follow => *up = 0,
        _ => return plugins::launch_action(state, action),
    }
    Some(Vec::new())
}
