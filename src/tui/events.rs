//! Pressing things in a JSON-UI (the render pane's, a modal's): the key, click or wheel goes to
//! the UI, a press becomes an event (or a tool call), and the JSON-ACTION answer is recorded
//! for the Action pane and carried out where a terminal can.

use super::action::KeyInput;
use super::msg::{CapKey, Effect, Purpose};
use super::render;
use super::state::*;
use super::tools;
use super::uiview::{self, Press, UiOutcome};
use super::view;
use crate::host::{CapabilityKind, UiEvent};
use crate::jsonui::{self, Action, ToastKind as PluginToast};
use serde_json::Value;
use std::time::Duration;

/// A key for the UI shown in the render pane (`None`: not the UI's).
pub fn render_pane_key(state: &mut State, input: KeyInput) -> Option<Vec<Effect>> {
    let viewport = view::layout_of(state).render_body;
    let cap = state.shown_cap();
    let r = state.shown_rendered_mut()?;
    match uiview::handle_key(&r.node, &mut r.ui, input, viewport) {
        UiOutcome::Ignored => None,
        UiOutcome::Handled => Some(Vec::new()),
        UiOutcome::Press(press) => Some(pressed(state, press, cap, false)),
    }
}

/// A click in the render pane's UI.
pub fn render_pane_click(state: &mut State, x: u16, y: u16) -> Vec<Effect> {
    let body = view::layout_of(state).render_body;
    let cap = state.shown_cap();
    if let Some(r) = state.shown_rendered_mut()
        && let UiOutcome::Press(p) = uiview::handle_click(&r.node, &mut r.ui, x, y, body)
    {
        return pressed(state, p, cap, false);
    }
    Vec::new()
}

/// A key for the UI of the open modal.
pub fn modal_key(state: &mut State, input: KeyInput) -> Vec<Effect> {
    let body = view::modal_body(view::layout_of(state).modal);
    let Some(Modal::Ui { rendered, cap, .. }) = &mut state.modal else {
        return Vec::new();
    };
    let cap = cap.clone();
    match uiview::handle_key(&rendered.node, &mut rendered.ui, input, body) {
        UiOutcome::Press(press) => on_press(state, press, &cap, true),
        _ => Vec::new(),
    }
}

/// A click in the open modal's UI.
pub fn modal_click(state: &mut State, x: u16, y: u16) -> Vec<Effect> {
    let body = view::modal_body(view::layout_of(state).modal);
    let Some(Modal::Ui { rendered, cap, .. }) = &mut state.modal else {
        return Vec::new();
    };
    let cap = cap.clone();
    match uiview::handle_click(&rendered.node, &mut rendered.ui, x, y, body) {
        UiOutcome::Press(p) => on_press(state, p, &cap, true),
        _ => Vec::new(),
    }
}

fn pressed(state: &mut State, press: Press, cap: Option<CapKey>, in_modal: bool) -> Vec<Effect> {
    // A live modal over a past render (an answer that came meanwhile) still works.
    if let Some(p) = &state.render.past
        && !in_modal
        && !matches!(press, Press::Copy(_))
    {
        let text = format!(
            "a past render (as of #{}): Esc goes back to the live one",
            p.seq
        );
        state.toast(ToastKind::Info, text, TOAST);
        return Vec::new();
    }
    match cap {
        Some(cap) => on_press(state, press, &cap, in_modal),
        None => {
            state.toast(
                ToastKind::Info,
                "a raw answer has no capability to send events to".into(),
                TOAST,
            );
            Vec::new()
        }
    }
}

/// What pressing something in a JSON-UI does.
fn on_press(state: &mut State, press: Press, cap: &CapKey, in_modal: bool) -> Vec<Effect> {
    match press {
        Press::Copy(text) => {
            state.toast(
                ToastKind::Success,
                format!("copied {} characters", text.chars().count()),
                TOAST,
            );
            vec![Effect::Copy(text)]
        }
        Press::OpenUrl(url) => {
            state.toast(ToastKind::Info, format!("opening {url}"), TOAST);
            vec![Effect::OpenUrl(url)]
        }
        Press::Event { event, confirm } => {
            let Some(capability) = state.capability(cap).cloned() else {
                state.toast(ToastKind::Error, "that plugin is gone".into(), TOAST);
                return Vec::new();
            };
            let effect = if capability.kind == CapabilityKind::McpTools && !in_modal {
                let tool = event.action_id.clone();
                let params = state.ctx.tool_params(
                    &tool,
                    Value::Object(tools::arguments(&capability, &tool, &event)),
                );
                Effect::Request {
                    plugin_id: cap.plugin_id.clone(),
                    method: "tool/execute".into(),
                    params,
                    purpose: Purpose::Tool {
                        cap: cap.clone(),
                        tool,
                    },
                }
            } else {
                event_effect(state, cap, &capability.kind, &event, in_modal)
            };
            match confirm {
                Some(text) => {
                    state.modal = Some(Modal::Confirm {
                        text,
                        then: vec![effect],
                    });
                    Vec::new()
                }
                None => vec![effect],
            }
        }
    }
}

pub(super) fn event_effect(
    state: &State,
    cap: &CapKey,
    kind: &CapabilityKind,
    event: &UiEvent,
    in_modal: bool,
) -> Effect {
    Effect::Request {
        plugin_id: cap.plugin_id.clone(),
        method: kind.event_method(),
        params: state.ctx.event_params(event),
        purpose: Purpose::Event {
            cap: cap.clone(),
            in_modal,
            event: event.clone(),
        },
    }
}

/// An event was sent: the Action pane shows it waiting.
pub fn on_sent(state: &mut State, plugin_id: &str, method: &str, event: &UiEvent) {
    state.activity.last_event = Some(EventRecord {
        plugin_id: plugin_id.to_string(),
        method: method.to_string(),
        sent: event_summary(event),
        since: state.now,
        outcome: EventOutcome::Pending,
    });
}

/// The record of the event in flight, made now when its sending was never seen.
fn record<'s>(
    state: &'s mut State,
    cap: &CapKey,
    method: &str,
    event: &UiEvent,
) -> &'s mut EventRecord {
    let now = state.now;
    state
        .activity
        .last_event
        .get_or_insert_with(|| EventRecord {
            plugin_id: cap.plugin_id.clone(),
            method: method.to_string(),
            sent: event_summary(event),
            since: now,
            outcome: EventOutcome::Pending,
        })
}

/// An event got no action: the Action pane says why.
pub fn on_failed(state: &mut State, cap: &CapKey, event: &UiEvent, kind: FailKind, message: &str) {
    record(state, cap, "", event).outcome = EventOutcome::Failed {
        kind,
        message: message.to_string(),
    };
}

/// An event's JSON-ACTION: recorded and carried out. A form submitted in a modal (a
/// chat_toolbar form) is done with it: the modal closes, unless the answer opens another or
/// says something went wrong.
pub fn on_reply(
    state: &mut State,
    (cap, in_modal, event): (CapKey, bool, UiEvent),
    value: Value,
    latency: Duration,
    method: &str,
) -> Vec<Effect> {
    let parsed = jsonui::parse_action(&value);
    record(state, &cap, method, &event).outcome = EventOutcome::Action {
        action: parsed.value.clone(),
        diagnostics: parsed.diagnostics,
        latency,
    };
    let submitted = in_modal && event.event_type == "form_submit";
    let effects = match &parsed.value {
        // The web UI ignores a batch: the preview shows it (Action pane) and does nothing.
        Action::Batch(all) if state.render.web => {
            let text = format!(
                "batch ({} actions) not carried out: the TGO web UI ignores batch (w: preview off)",
                all.len()
            );
            state.toast(ToastKind::Warning, text, TOAST * 2);
            Vec::new()
        }
        action => carry_out(state, action, &cap, in_modal, submitted),
    };
    if submitted && !keeps_modal(&parsed.value) && matches!(state.modal, Some(Modal::Ui { .. })) {
        state.modal = None;
    }
    effects
}

/// Whether an answer to a form submitted in a modal leaves the modal open: it shows another
/// one, or reports an error the user may fix in the form.
fn keeps_modal(action: &Action) -> bool {
    match action {
        Action::ShowModal { .. } => true,
        Action::ShowToast { kind, .. } => {
            matches!(kind, PluginToast::Error | PluginToast::Warning)
        }
        Action::Batch(all) => all.iter().any(keeps_modal),
        _ => false,
    }
}

/// Carries out a JSON-ACTION where a terminal can. `submitted`: the answer to a form submitted
/// in a modal, whose `refresh` is for the panel behind it.
fn carry_out(
    state: &mut State,
    action: &Action,
    cap: &CapKey,
    in_modal: bool,
    submitted: bool,
) -> Vec<Effect> {
    match action {
        Action::OpenUrl { url, .. } => {
            state.toast(
                ToastKind::Info,
                format!("open_url {url}  (o open · y copy)"),
                TOAST * 2,
            );
            Vec::new()
        }
        Action::CopyText { text } => {
            state.toast(
                ToastKind::Success,
                format!("copied {} characters", text.chars().count()),
                TOAST,
            );
            vec![Effect::Copy(text.clone())]
        }
        Action::ShowToast {
            message,
            kind,
            duration_ms,
        } => {
            let kind = match kind {
                PluginToast::Success => ToastKind::Success,
                PluginToast::Error => ToastKind::Error,
                PluginToast::Warning => ToastKind::Warning,
                _ => ToastKind::Info,
            };
            let dur = duration_ms.map_or(TOAST, |ms| Duration::from_millis(ms.clamp(500, 60_000)));
            state.toast(kind, message.clone(), dur);
            Vec::new()
        }
        Action::Refresh => {
            let toolbar = state
                .capability(cap)
                .is_some_and(|c| c.kind == CapabilityKind::ChatToolbar);
            if in_modal && toolbar && !submitted && matches!(state.modal, Some(Modal::Ui { .. })) {
                return render::open_toolbar(state, cap);
            }
            // The panel on screen, when it is this plugin's; a toolbar has no panel of its own.
            match state.shown_cap().filter(|k| k.plugin_id == cap.plugin_id) {
                Some(shown) => render::render(state, &shown),
                None if !toolbar => render::render(state, cap),
                None => Vec::new(),
            }
        }
        Action::CloseModal => {
            if matches!(state.modal, Some(Modal::Ui { .. })) {
                state.modal = None;
            }
            Vec::new()
        }
        Action::ShowModal { title, content } => {
            let rendered = Rendered::new(
                (**content).clone(),
                Vec::new(),
                "show_modal".into(),
                Duration::ZERO,
            );
            render::open_ui_modal(
                state,
                title.clone().unwrap_or_default(),
                rendered,
                cap.clone(),
            );
            Vec::new()
        }
        Action::Batch(actions) => actions
            .iter()
            .flat_map(|a| carry_out(state, a, cap, in_modal, submitted))
            .collect(),
        Action::InsertText { text, replace } => {
            let kind = if *replace {
                "insert_text (replace)"
            } else {
                "insert_text"
            };
            state.activity.chat.push(ChatLine {
                kind: kind.into(),
                text: text.clone(),
            });
            state.toast(
                ToastKind::Info,
                "text inserted into the composer (see Chat)".into(),
                TOAST,
            );
            Vec::new()
        }
        Action::SendMessage {
            content,
            content_type,
        } => {
            state.activity.chat.push(ChatLine {
                kind: format!("send_message [{}]", content_type.as_str()),
                text: content.clone(),
            });
            state.toast(ToastKind::Info, "message sent (see Chat)".into(), TOAST);
            Vec::new()
        }
        Action::Noop => {
            state.toast(ToastKind::Info, "noop".into(), Duration::from_secs(1));
            Vec::new()
        }
        Action::Unknown { name, .. } => {
            state.toast(
                ToastKind::Error,
                format!("unknown action \"{name}\""),
                TOAST,
            );
            Vec::new()
        }
        Action::Invalid { .. } => {
            state.toast(
                ToastKind::Error,
                "the event answer is not a JSON-ACTION".into(),
                TOAST,
            );
            Vec::new()
        }
    }
}

/// `open_url`: the last event's URL in the browser.
pub fn open_last_url(state: &mut State) -> Vec<Effect> {
    fn find(a: &Action) -> Option<String> {
        match a {
            Action::OpenUrl { url, .. } => Some(url.clone()),
            Action::Batch(all) => all.iter().find_map(find),
            _ => None,
        }
    }
    match state
        .activity
        .last_event
        .as_ref()
        .and_then(|e| e.action())
        .and_then(find)
    {
        Some(url) => {
            state.toast(ToastKind::Info, format!("opening {url}"), TOAST);
            vec![Effect::OpenUrl(url)]
        }
        None => {
            state.toast(ToastKind::Info, "no open_url to open yet".into(), TOAST);
            Vec::new()
        }
    }
}

/// `copy`: the last event's URL or text to the clipboard.
pub fn copy_last(state: &mut State) -> Vec<Effect> {
    fn find(a: &Action) -> Option<String> {
        match a {
            Action::OpenUrl { url, .. } => Some(url.clone()),
            Action::CopyText { text } => Some(text.clone()),
            Action::Batch(all) => all.iter().find_map(find),
            _ => None,
        }
    }
    match state
        .activity
        .last_event
        .as_ref()
        .and_then(|e| e.action())
        .and_then(find)
    {
        Some(text) => {
            state.toast(
                ToastKind::Success,
                format!("copied {}", crate::text::truncate_chars(&text, 50)),
                TOAST,
            );
            vec![Effect::Copy(text)]
        }
        None => {
            state.toast(ToastKind::Info, "nothing to copy yet".into(), TOAST);
            Vec::new()
        }
    }
}
