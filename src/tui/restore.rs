//! What is on screen survives a restart of its plugin (`--watch`, `R`, a crash): the path to
//! it ([`Trail`]: the capability, the context, the events sent since its render) is walked
//! again once the plugin registers anew. The panel is rendered, the path's clicks and
//! selections are sent again one at a time through the console's own event path (each only
//! once the last one's answer, and any re-render it asked for, came back), then the fields
//! the user had typed into, the tab, the scroll and an open toolbar modal come back. Form
//! submits and buttons that ask first are not sent again unless the config's `[restore]`
//! says so. When a step's target is gone the walk stops and says where.

use super::events;
use super::msg::{CapKey, Effect, Purpose};
use super::plays::Awaited;
use super::render;
use super::state::*;
use super::trail::{Restoring, SavedModal, TrailNote, TrailStep};
use crate::host::{CapabilityKind, Reply, UiEvent};
use crate::jsonui::{self, InteractionKind};

/// Events kept on a path; a longer one is not walked again (said so).
pub const MAX_STEPS: usize = 100;

/// A request went out: an event for the capability on the path joins it (the walk's own
/// requests are already on it).
pub fn on_sent(
    state: &mut State,
    purpose: &Purpose,
    plugin_id: &str,
    method: &str,
    conn: crate::host::ConnId,
    id: u64,
) {
    if let Some(awaited) = state
        .trail
        .restoring
        .as_mut()
        .and_then(|r| r.awaiting.as_mut())
        && awaited.sent(plugin_id, method, purpose, conn, id)
    {
        return;
    }
    let Purpose::Event {
        cap,
        in_modal,
        event,
    } = purpose
    else {
        return;
    };
    let Some(on_path) = &state.trail.cap else {
        return;
    };
    // A toolbar's events belong to its own modal, not to the panel's path.
    let toolbar = state
        .capability(cap)
        .is_some_and(|c| c.kind == CapabilityKind::ChatToolbar);
    if cap != on_path || toolbar {
        return;
    }
    state.trail.steps.push(TrailStep {
        event: event.clone(),
        in_modal: *in_modal,
    });
    state.trail.note = None;
}

/// The plugin showing `key` registered again: remember what was on screen (the panel's and an
/// open modal's fields, tabs, scroll), render it anew, and walk the path once it is back.
pub fn again(state: &mut State, key: &CapKey) -> Vec<Effect> {
    let ui = match state.render.slots.get(key) {
        Some(RenderSlot::Ready(r)) => Some(r.ui.settled(&r.node)),
        Some(RenderSlot::Pending { previous, .. } | RenderSlot::Failed { previous, .. }) => {
            previous.as_ref().map(|r| r.ui.settled(&r.node))
        }
        None => None,
    };
    let modal = match &state.modal {
        Some(Modal::Ui { cap, rendered, .. }) if cap.plugin_id == key.plugin_id => {
            // `show_modal` answers are opened again by the event on the path; a toolbar's
            // own modal is rendered again.
            let toolbar = (rendered.method != "show_modal").then(|| cap.clone());
            Some(SavedModal {
                toolbar,
                ui: rendered.ui.settled(&rendered.node),
            })
        }
        _ => None,
    };
    if modal.is_some() {
        // Its buttons are the old plugin's: nothing is pressed in it until it is back.
        state.modal = None;
    }
    if state.trail.cap.as_ref() != Some(key) {
        state.trail.start(key.clone(), state.ctx.clone());
    }
    state.trail.note = None;
    state.trail.restoring = Some(Restoring {
        next: 0,
        awaiting: None,
        ui,
        modal,
        skipped: Vec::new(),
        reopening: false,
    });
    render::render(state, key)
}

/// The answer to the walk's request (its normal handling is `update`'s): a failure stops it.
pub fn answered(state: &mut State, reply: &Reply) {
    let Some(r) = state.trail.restoring.as_mut() else {
        return;
    };
    if !r.awaiting.as_ref().is_some_and(|a| a.answered_by(reply)) {
        return;
    }
    r.awaiting = None;
    if !matches!(reply.outcome, crate::host::Outcome::Result { .. }) {
        let n = r.next;
        let why = reply.outcome.summary();
        stop(state, format!("path stopped at step {n}: {why}"));
    }
}

/// The walk's request could not be sent.
pub fn refused(state: &mut State, purpose: &Purpose, why: &str) {
    let Some(r) = state.trail.restoring.as_ref() else {
        return;
    };
    if r.awaiting.as_ref().is_some_and(|a| a.refused(purpose)) {
        let n = r.next;
        stop(state, format!("path stopped at step {n}: not sent: {why}"));
    }
}

/// Whether anything of `plugin` is still on its way.
fn busy(state: &State, plugin: &str) -> bool {
    state.pending.iter().any(|p| p.plugin_id == plugin)
        || state
            .render
            .slots
            .iter()
            .any(|(k, s)| k.plugin_id == plugin && matches!(s, RenderSlot::Pending { .. }))
}

/// Takes the walk one step further when nothing is on its way (called after every message).
pub fn pump(state: &mut State) -> Vec<Effect> {
    let Some(r) = state.trail.restoring.as_ref() else {
        return Vec::new();
    };
    let Some(key) = state.trail.cap.clone() else {
        state.trail.restoring = None;
        return Vec::new();
    };
    if r.awaiting.is_some() || busy(state, &key.plugin_id) {
        return Vec::new();
    }
    if r.reopening {
        return done(state);
    }
    // Looking at something else now: the walk is over, unsaid.
    if state.shown_cap().as_ref() != Some(&key) {
        state.trail.restoring = None;
        return Vec::new();
    }
    match state.render.slots.get(&key) {
        Some(RenderSlot::Ready(_)) => {}
        Some(RenderSlot::Failed { kind, .. }) => {
            let text = format!("path stopped: the render failed ({})", kind.title());
            stop(state, text);
            return Vec::new();
        }
        _ => return Vec::new(),
    }
    if state.trail.steps.len() > MAX_STEPS {
        stop(
            state,
            format!(
                "path not walked again: over {MAX_STEPS} events since the render (r renders afresh)"
            ),
        );
        return Vec::new();
    }
    loop {
        let next = state.trail.restoring.as_ref().map_or(0, |r| r.next);
        let Some(step) = state.trail.steps.get(next).cloned() else {
            return done(state);
        };
        let n = next + 1;
        let (cap, node) = if step.in_modal {
            match &state.modal {
                Some(Modal::Ui { cap, rendered, .. }) if cap.plugin_id == key.plugin_id => {
                    (cap.clone(), rendered.node.clone())
                }
                _ => {
                    stop(
                        state,
                        format!(
                            "path stopped at step {n}: {} is not in the new answer (no modal is open)",
                            step.target()
                        ),
                    );
                    return Vec::new();
                }
            }
        } else {
            match state.shown_rendered() {
                Some(r) => (key.clone(), r.node.clone()),
                None => return Vec::new(),
            }
        };
        let config = state.personal.restore;
        match check(&node, &step.event) {
            Target::Gone => {
                let text = format!(
                    "path stopped at step {n}: {} is not in the new answer",
                    step.target()
                );
                stop(state, text);
                return Vec::new();
            }
            Target::Disabled => {
                let text = format!(
                    "path stopped at step {n}: {} is disabled in the new answer",
                    step.target()
                );
                stop(state, text);
                return Vec::new();
            }
            Target::Submit if !config.form_submit => {
                skip(state, format!("{} (a form submit)", step.crumb()));
                continue;
            }
            Target::Confirmed if !config.confirmed => {
                skip(state, format!("{} (it asks first)", step.crumb()));
                continue;
            }
            _ => {}
        }
        let Some(kind) = state.capability(&cap).map(|c| c.kind.clone()) else {
            return Vec::new();
        };
        let effect = events::event_effect(state, &cap, &kind, &step.event, step.in_modal);
        if let (
            Effect::Request {
                plugin_id,
                method,
                purpose,
                ..
            },
            Some(r),
        ) = (&effect, state.trail.restoring.as_mut())
        {
            r.awaiting = Some(Awaited::new(plugin_id, method, purpose.clone()));
            r.next += 1;
        }
        return vec![effect];
    }
}

/// What a step's target is in the new answer.
#[derive(Debug, PartialEq)]
enum Target {
    Gone,
    Disabled,
    /// A button that asks for a confirmation first.
    Confirmed,
    Submit,
    Here,
}

fn check(node: &crate::jsonui::Node, event: &UiEvent) -> Target {
    let all = jsonui::interactions(node);
    let found = all
        .iter()
        .find(|i| match (&i.kind, event.event_type.as_str()) {
            (InteractionKind::ButtonClick { action_id }, "button_click") => {
                *action_id == event.action_id
            }
            (InteractionKind::ItemSelect { selected_id, .. }, "item_select") => {
                Some(selected_id) == event.selected_id.as_ref()
            }
            (InteractionKind::FormSubmit { action_id, .. }, "form_submit") => {
                *action_id == event.action_id
            }
            _ => false,
        });
    match found {
        None => Target::Gone,
        Some(i) if i.disabled => Target::Disabled,
        Some(_) if event.event_type == "form_submit" => Target::Submit,
        Some(i) if i.confirm.is_some() => Target::Confirmed,
        Some(_) => Target::Here,
    }
}

fn skip(state: &mut State, what: String) {
    if let Some(r) = state.trail.restoring.as_mut() {
        r.skipped.push(what);
        r.next += 1;
    }
}

/// The path was walked: the fields, tabs and scroll come back, then the toolbar modal that was
/// open (once it is rendered again, its fields too).
fn done(state: &mut State) -> Vec<Effect> {
    let reopening = match state.trail.restoring.as_ref() {
        Some(r) => r.reopening,
        None => return Vec::new(),
    };
    if !reopening {
        let ui = state.trail.restoring.as_mut().and_then(|r| r.ui.take());
        if let (Some(ui), Some(shown)) = (ui, state.shown_rendered_mut()) {
            shown.ui.keep_all(&ui);
        }
        let toolbar = state
            .trail
            .restoring
            .as_ref()
            .and_then(|r| r.modal.as_ref())
            .and_then(|m| m.toolbar.clone());
        if let Some(cap) = toolbar {
            let effects = render::open_toolbar(state, &cap);
            if let (
                Some(Effect::Request {
                    plugin_id,
                    method,
                    purpose,
                    ..
                }),
                Some(r),
            ) = (effects.first(), state.trail.restoring.as_mut())
            {
                r.reopening = true;
                r.awaiting = Some(Awaited::new(plugin_id, method, purpose.clone()));
            }
            return effects;
        }
    }
    let Some(r) = state.trail.restoring.take() else {
        return Vec::new();
    };
    let plugin = state.trail.cap.as_ref().map(|k| k.plugin_id.clone());
    if let (Some(saved), Some(Modal::Ui { rendered, cap, .. })) = (&r.modal, &mut state.modal)
        && Some(&cap.plugin_id) == plugin.as_ref()
    {
        rendered.ui.keep_all(&saved.ui);
    }
    // A panel with no path and no modal was simply rendered again: nothing to say.
    if state.trail.steps.is_empty() && r.modal.is_none() {
        return Vec::new();
    }
    let sent = state.trail.steps.len().saturating_sub(r.skipped.len());
    let mut text = match sent {
        0 => "restored what was on screen".to_string(),
        1 => "path restored: 1 step sent again".to_string(),
        n => format!("path restored: {n} steps sent again"),
    };
    if !r.skipped.is_empty() {
        text.push_str(&format!("; not sent again: {}", r.skipped.join(", ")));
    }
    state.toast(ToastKind::Success, text.clone(), TOAST);
    state.trail.note = Some(TrailNote {
        text,
        stopped: false,
    });
    Vec::new()
}

/// The walk ends short: said in the header and a toast; the fields still come back.
fn stop(state: &mut State, text: String) {
    if let Some(r) = state.trail.restoring.take()
        && let Some(ui) = r.ui
        && let Some(shown) = state.shown_rendered_mut()
    {
        shown.ui.keep_all(&ui);
    }
    state.toast(ToastKind::Warning, text.clone(), TOAST * 2);
    state.trail.note = Some(TrailNote {
        text,
        stopped: true,
    });
}
