//! The mouse: a click or a wheel notch goes to the area under it, hit-tested against the same
//! layout the view draws with.

use super::action::Action;
use super::diagnostics;
use super::events;
use super::modals;
use super::msg::Effect;
use super::output;
use super::plugins;
use super::render;
use super::state::*;
use super::view;
use crate::host::MessageLog;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.right() && y >= r.y && y < r.bottom()
}

/// What a bar button stands for.
pub enum BarClick {
    Quit,
    Help,
    Compose,
}

/// A mouse event (a bar button's click is handed back: the router does what its key does).
pub fn on_mouse(
    state: &mut State,
    m: MouseEvent,
    log: &MessageLog,
) -> Result<Vec<Effect>, BarClick> {
    let l = view::layout_of(state);
    let (x, y) = (m.column, m.row);
    if state.modal.is_some() {
        return Ok(modals::on_mouse(state, m, &l));
    }
    let down = matches!(m.kind, MouseEventKind::ScrollDown);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if contains(l.plugins, x, y) {
                state.enter_pane(Pane::Plugins);
                let rows = state.rows();
                let index = view::plugins_row_at(state, l.plugins, y);
                if let Some(row) = index.and_then(|i| rows.get(i).cloned()) {
                    let again = state.selected.as_ref() == Some(&row);
                    let mut effects = plugins::select_row(state, Some(row.clone()), false);
                    match (again, row) {
                        (true, Row::Capability(k)) => {
                            effects.extend(render::select_cap(state, &k, true))
                        }
                        // A second click on a story plays it, as Enter does.
                        (true, Row::Story(k)) => effects.extend(super::playing::open(&k)),
                        _ => {}
                    }
                    return Ok(effects);
                }
            } else if contains(l.diagnostics, x, y) {
                diagnostics::on_click(state);
            } else if contains(l.render, x, y) {
                state.enter_pane(Pane::Render);
                if let Some(i) = view::toolbar_button_at(state, l.render, x, y) {
                    return Ok(render::open_toolbar(state, &i));
                }
                return Ok(events::render_pane_click(state, x, y));
            } else if contains(l.inspector_list, x, y) {
                state.enter_pane(Pane::Inspector);
                state
                    .inspector
                    .handle_click(y.saturating_sub(l.inspector_list.y + 1));
                state.inspector.sync(log);
            } else if contains(l.inspector_detail, x, y) {
                state.enter_pane(Pane::Inspector);
            } else if contains(l.output, x, y) {
                state.enter_pane(Pane::Output);
            } else if let Some((i, _)) = view::bar_buttons(l.context_bar, state)
                .into_iter()
                .find(|(_, r)| contains(*r, x, y))
            {
                return Err(match view::BAR_BUTTONS[i] {
                    "[q quit]" => BarClick::Quit,
                    "[? help]" => BarClick::Help,
                    _ => BarClick::Compose,
                });
            } else if contains(l.context_bar, x, y) {
                modals::open_context_editor(state);
            }
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let step = if down {
                Action::MoveDown
            } else {
                Action::MoveUp
            };
            if contains(l.diagnostics, x, y) {
                diagnostics::on_wheel(state, l.diagnostics, down);
            } else if contains(l.render, x, y) {
                let body = l.render_body;
                if let Some(r) = state.shown_rendered_mut() {
                    super::uiview::handle_scroll(&mut r.ui, down, body, &r.node);
                }
            } else if contains(l.inspector_list, x, y) || contains(l.inspector_detail, x, y) {
                state.inspector.scroll(down, log);
            } else if contains(l.output, x, y) {
                return Ok(output::on_action(state, step).unwrap_or_default());
            } else if contains(l.plugins, x, y) {
                return Ok(plugins::on_action(state, step).unwrap_or_default());
            }
        }
        _ => {}
    }
    Ok(Vec::new())
}
