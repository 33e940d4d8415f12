//! The overlays' reducer: opening them, and what keys and the mouse do in each (help, a
//! confirmation, a nested UI, the composer, the context editor, the add-plugin prompt, the
//! pending requests). The command palette is the router's: what it picks can be anything.

use super::action::{Action, KeyInput};
use super::composer::{ComposerOutcome, ComposerState, PluginChoice, method_candidates};
use super::context_edit::{ContextEditor, EditOutcome, RecentVisitor, remember};
use super::events;
use super::launches;
use super::msg::{Effect, External};
use super::render;
use super::state::*;
use super::view::{self, ScreenLayout};
use crate::host::context::sample_params;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use serde_json::Value;
use std::time::Duration;

/// Opens the composer: on `preset` (edit and resend), else on the selected plugin (or the
/// last one sent to), with the last method sent to it and that method's realistic params.
pub fn open_composer(state: &mut State, preset: Option<(String, String, Value)>) {
    let plugins: Vec<PluginChoice> = state
        .plugins
        .iter()
        .filter(|p| p.liveness == Liveness::Connected)
        .map(|p| PluginChoice {
            plugin_id: p.plugin_id.clone(),
            methods: method_candidates(&p.capabilities),
            samples: sample_params(&state.ctx, &p.capabilities),
        })
        .collect();
    if plugins.is_empty() && preset.is_none() {
        state.toast(
            ToastKind::Info,
            "no connected plugin to send to".into(),
            TOAST,
        );
        return;
    }
    let fresh = preset.is_none();
    let mut composer = ComposerState::new(plugins, preset).with_context(state.ctx.clone());
    if fresh {
        let selected = match &state.selected {
            Some(Row::Plugin(id)) => Some(id.clone()),
            Some(Row::Capability(k)) => Some(k.plugin_id.clone()),
            Some(Row::Story(k)) => Some(k.plugin_id.clone()),
            _ => None,
        };
        let last = state.composer_last.clone();
        let plugin = selected.or_else(|| last.as_ref().map(|(p, _)| p.clone()));
        if let Some(plugin) = plugin {
            let method = last.filter(|(p, _)| *p == plugin).map(|(_, m)| m);
            composer = composer.starting_at(&plugin, method.as_deref());
        }
    }
    state.modal = Some(Modal::Composer(Box::new(composer)));
}

/// Opens the render-context editor (not in a replay: its context is the recorded one).
pub fn open_context_editor(state: &mut State) {
    if state.session.replay.is_some() {
        state.toast(
            ToastKind::Info,
            "a replay shows the context it was recorded with".into(),
            TOAST,
        );
        return;
    }
    state.modal = Some(Modal::Context(Box::new(ContextEditor::new(
        &state.ctx,
        &state.recent_visitors,
    ))));
}

/// A key while an overlay has the keyboard (the palette's is the router's).
pub fn on_key(state: &mut State, input: KeyInput, log: &crate::host::MessageLog) -> Vec<Effect> {
    let Some(modal) = state.modal.take() else {
        return Vec::new();
    };
    let area = view::layout_of(state).modal;
    let action = input.action;
    match modal {
        Modal::Help { scroll } => {
            let page = area.height.saturating_sub(3).max(1);
            let Some(scroll) = scrolled(action, scroll, page) else {
                return Vec::new();
            };
            state.modal = Some(Modal::Help {
                scroll: scroll.min(view::help_max_scroll(state, area)),
            });
        }
        Modal::Confirm { text, then } => match action {
            Some(Action::Yes) => return then,
            Some(Action::No) => {
                state.toast(ToastKind::Info, "cancelled".into(), Duration::from_secs(1));
            }
            _ => state.modal = Some(Modal::Confirm { text, then }),
        },
        Modal::Ui {
            title,
            rendered,
            cap,
        } => {
            let editing = super::uiview::is_editing(&rendered.ui);
            state.modal = Some(Modal::Ui {
                title,
                rendered,
                cap,
            });
            if action == Some(Action::Close) && !editing {
                state.modal = None;
                return Vec::new();
            }
            return events::modal_key(state, input);
        }
        Modal::Composer(mut c) => match c.handle_key(input, state.now) {
            ComposerOutcome::Cancel => {}
            ComposerOutcome::Send {
                plugin_id,
                method,
                params,
            } => {
                state.composer_last = Some((plugin_id.clone(), method.clone()));
                return render::request_effects(state, plugin_id, method, params);
            }
            ComposerOutcome::Save {
                plugin_id,
                method,
                params,
            } => super::saving::open_request(state, c, (plugin_id, method, params)),
            ComposerOutcome::EditParams(text) => {
                state.modal = Some(Modal::Composer(c));
                return vec![Effect::External {
                    program: External::Editor,
                    text,
                }];
            }
            ComposerOutcome::Ignored | ComposerOutcome::Handled => {
                state.modal = Some(Modal::Composer(c))
            }
        },
        Modal::Context(mut ed) => match ed.handle_key(input, &state.ctx) {
            EditOutcome::Cancel => {}
            EditOutcome::Handled => state.modal = Some(Modal::Context(ed)),
            EditOutcome::Apply(ctx) => {
                remember(&mut state.recent_visitors, RecentVisitor::of(&ctx));
                state.ctx = *ctx;
                // New visitor: every cached render is stale.
                state
                    .render
                    .slots
                    .retain(|_, s| matches!(s, RenderSlot::Pending { .. }));
                let mut effects = vec![Effect::SaveVisitors(state.recent_visitors.clone())];
                if let Some(Shown::Cap(k)) = state.render.shown.clone() {
                    effects.extend(render::render(state, &k));
                }
                return effects;
            }
        },
        Modal::AddPlugin(mut area) => match action {
            Some(Action::Cancel) => {}
            Some(Action::Confirm) => match launches::add_path(&area.lines().join("")) {
                Some(path) => return vec![Effect::AddPlugins(path)],
                None => state.modal = Some(Modal::AddPlugin(area)),
            },
            _ => {
                area.input(input.key);
                state.modal = Some(Modal::AddPlugin(area));
            }
        },
        Modal::Pending { selected } => match action {
            Some(Action::Close) => {}
            Some(Action::MoveDown) => {
                let n = state.pending.len();
                state.modal = Some(Modal::Pending {
                    selected: (selected + 1).min(n.saturating_sub(1)),
                });
            }
            Some(Action::MoveUp) => {
                state.modal = Some(Modal::Pending {
                    selected: selected.saturating_sub(1),
                })
            }
            Some(Action::CancelRequest) => {
                state.modal = Some(Modal::Pending { selected });
                if let Some(p) = state.pending.get(selected) {
                    return vec![Effect::Cancel {
                        conn: p.conn,
                        id: p.id,
                    }];
                }
            }
            Some(Action::Retry) => {
                state.modal = Some(Modal::Pending { selected });
                return retry(state, selected, log);
            }
            _ => state.modal = Some(Modal::Pending { selected }),
        },
        Modal::Output {
            title,
            text,
            scroll,
        } => {
            let Some(scroll) = scrolled(action, scroll, area.height / 2) else {
                return Vec::new();
            };
            let most = text.lines().count().saturating_sub(1) as u16;
            state.modal = Some(Modal::Output {
                title,
                text,
                scroll: scroll.min(most),
            });
        }
        Modal::Diff(mut d) => {
            let Some(scroll) = scrolled(action, d.scroll, area.height / 2) else {
                return Vec::new();
            };
            let most = view::diff_lines(&d, area.width.saturating_sub(2), state).len();
            d.scroll = scroll.min(u16::try_from(most.saturating_sub(1)).unwrap_or(u16::MAX));
            state.modal = Some(Modal::Diff(d));
        }
        Modal::Chaos { scroll } => {
            let Some(scroll) = scrolled(action, scroll, area.height / 2) else {
                return Vec::new();
            };
            // The box's border and footer take two lines and two columns.
            let most = state.chaos.as_ref().map_or(0, |r| {
                let lines = super::chaos::lines(r, &state.theme, area.width.saturating_sub(2));
                (lines.len() as u16).saturating_sub(area.height.saturating_sub(3))
            });
            state.modal = Some(Modal::Chaos {
                scroll: scroll.min(most),
            });
        }
        palette @ Modal::Palette(_) => state.modal = Some(palette),
        Modal::SaveStory(form) => return super::saving::on_key(state, form, input),
    }
    Vec::new()
}

/// Where a scrolling overlay's key moves it (`page` lines for a page), or `None` to close it.
fn scrolled(action: Option<Action>, scroll: u16, page: u16) -> Option<u16> {
    Some(match action {
        Some(Action::Close) => return None,
        Some(Action::MoveDown) => scroll.saturating_add(1),
        Some(Action::MoveUp) => scroll.saturating_sub(1),
        Some(Action::PageDown) => scroll.saturating_add(page),
        Some(Action::PageUp) => scroll.saturating_sub(page),
        _ => scroll,
    })
}

/// The selected pending request sent again, as it was (method, params), its answer going
/// where the first one's would; the first keeps waiting (cancel it with its own key).
fn retry(state: &mut State, selected: usize, log: &crate::host::MessageLog) -> Vec<Effect> {
    let Some(p) = state.pending.get(selected) else {
        return Vec::new();
    };
    let sent = log
        .find_request(p.conn, p.id)
        .and_then(|(seq, _)| super::render::request_of(log, seq));
    match sent {
        Some((plugin_id, method, params)) => {
            let purpose = p.purpose.clone();
            state.toast(
                ToastKind::Info,
                format!("sent {} again", crate::text::sanitize_line(&method)),
                std::time::Duration::from_secs(3),
            );
            vec![Effect::Request {
                plugin_id,
                method,
                params,
                purpose,
            }]
        }
        None => {
            state.toast(
                ToastKind::Error,
                "cannot retry: the request is no longer in the message log".into(),
                std::time::Duration::from_secs(3),
            );
            Vec::new()
        }
    }
}

fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.right() && y >= r.y && y < r.bottom()
}

/// Mouse over an overlay: its UI takes clicks, Confirm has Yes/No, a click outside closes it
/// (answering "no" to a confirmation); the wheel scrolls help and a nested UI.
pub fn on_mouse(state: &mut State, m: MouseEvent, l: &ScreenLayout) -> Vec<Effect> {
    let (x, y) = (m.column, m.row);
    let help_max = match state.modal {
        Some(Modal::Help { .. }) => view::help_max_scroll(state, l.modal),
        _ => 0,
    };
    match (&mut state.modal, m.kind) {
        (Some(Modal::Help { scroll }), MouseEventKind::ScrollDown) => {
            *scroll = scroll.saturating_add(1).min(help_max);
        }
        (Some(Modal::Help { scroll }), MouseEventKind::ScrollUp) => {
            *scroll = scroll.saturating_sub(1)
        }
        (Some(Modal::Confirm { .. }), MouseEventKind::Down(MouseButton::Left)) => {
            let (boxed, yes, no) = view::confirm_layout(l.modal);
            if contains(yes, x, y) {
                if let Some(Modal::Confirm { then, .. }) = state.modal.take() {
                    return then;
                }
            } else if contains(no, x, y) || !contains(boxed, x, y) {
                state.modal = None;
            }
        }
        (Some(Modal::Ui { .. }), MouseEventKind::Down(MouseButton::Left)) => {
            let body = view::modal_body(l.modal);
            if contains(body, x, y) {
                return events::modal_click(state, x, y);
            } else if !contains(l.modal, x, y) {
                state.modal = None;
            }
        }
        (
            Some(Modal::Ui { rendered, .. }),
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp,
        ) => {
            let body = view::modal_body(l.modal);
            let down = matches!(m.kind, MouseEventKind::ScrollDown);
            super::uiview::handle_scroll(&mut rendered.ui, down, body, &rendered.node);
        }
        (Some(_), MouseEventKind::Down(MouseButton::Left)) if !contains(l.modal, x, y) => {
            state.modal = None;
        }
        _ => {}
    }
    Vec::new()
}

/// The user's editor ended: its text replaces the composer's params (the composer stayed open
/// while the editor had the terminal).
pub fn edited(state: &mut State, result: Result<String, String>) {
    match (result, &mut state.modal) {
        (Ok(text), Some(Modal::Composer(c))) => {
            c.edited(&text);
            state.toast(ToastKind::Info, "params from the editor".into(), TOAST);
        }
        (Ok(_), _) => {}
        (Err(e), _) => state.set_error(format!("editor: {e}")),
    }
}
