//! `update`: the only place state changes. It takes one message, changes the state, and
//! returns the effects (requests, clipboard, browser) for the app to carry out. No I/O here.

use super::composer::{ComposerOutcome, ComposerState, PluginChoice, method_candidates};
use super::context_edit::{ContextEditor, EditOutcome, RecentVisitor, remember};
use super::diagnostics;
use super::inspector::InspectorOutcome;
use super::launches;
use super::msg::{CapKey, Effect, LaunchOp, Msg, Purpose};
use super::plugins;
use super::state::*;
use super::tools;
use super::uiview::{self, Press, UiOutcome};
use super::view::{self, ScreenLayout};
use crate::host::context::{
    capability_render_params, event_method, render_method, renders_json_ui, sample_params,
};
use crate::host::{HostEvent, MessageLog, Outcome, UiEvent};
use crate::jsonui::{self, Action, ToastKind as PluginToast};
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Default toast time when a plugin gives none.
const TOAST: Duration = Duration::from_secs(3);

/// How long the selection must rest on a capability before it is rendered (j/k through the
/// plugins pane would otherwise render every capability passed).
pub const RENDER_DEBOUNCE: Duration = Duration::from_millis(150);

pub fn update(state: &mut State, msg: Msg, log: &MessageLog, now: Instant) -> Vec<Effect> {
    let mut effects = apply(state, msg, log, now);
    effects.extend(due_render(state));
    let sends = |e: &Effect| {
        matches!(
            e,
            Effect::Request { .. } | Effect::Launch { .. } | Effect::AddPlugins(_)
        )
    };
    launches::mark_removing(state, &effects);
    if state.read_only && effects.iter().any(sends) {
        effects.retain(|e| !sends(e));
        toast(
            state,
            ToastKind::Info,
            "this is a replay: nothing is sent".into(),
            TOAST,
        );
    }
    effects
}

fn apply(state: &mut State, msg: Msg, log: &MessageLog, now: Instant) -> Vec<Effect> {
    state.now = now;
    state.toasts.retain(|t| t.until > now);
    if state.last_error.as_ref().is_some_and(|e| e.until <= now) {
        state.last_error = None;
    }
    // Long composer params are checked once the typing pauses (see `next_wakeup`).
    if let Some(Modal::Composer(c)) = &mut state.modal {
        c.settle(now);
    }
    match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key, log),
        Msg::Key(_) => Vec::new(),
        Msg::Mouse(m) => on_mouse(state, m, log),
        Msg::Paste(text) => {
            super::paste::paste(state, &text);
            Vec::new()
        }
        Msg::Resize(w, h) => {
            state.size = (w, h);
            Vec::new()
        }
        Msg::Host(ev) => on_host(state, ev),
        Msg::LogGrew => {
            state.inspector.sync(log);
            Vec::new()
        }
        Msg::Sent {
            purpose,
            plugin_id,
            method,
            conn,
            id,
        } => {
            if let Purpose::Event { event, .. } = &purpose {
                state.last_event = Some(EventRecord {
                    plugin_id: plugin_id.clone(),
                    method: method.clone(),
                    sent: event_summary(event),
                    since: now,
                    outcome: EventOutcome::Pending,
                });
            }
            state.pending.push(PendingView {
                conn,
                id,
                plugin_id,
                method,
                since: now,
                purpose,
            });
            Vec::new()
        }
        Msg::SendFailed { purpose, error } => {
            fail(state, &purpose, FailKind::NotConnected, error.to_string());
            Vec::new()
        }
        Msg::Reply { purpose, reply, ui } => {
            state
                .pending
                .retain(|p| !(p.id == reply.id && p.plugin_id == reply.plugin_id));
            on_reply(
                state,
                purpose,
                reply.outcome,
                reply.latency,
                &reply.method,
                ui,
            )
        }
        Msg::Notice { text, error } => {
            let kind = if error {
                ToastKind::Error
            } else {
                ToastKind::Success
            };
            if error {
                state.set_error(text.clone());
            }
            toast(state, kind, text, TOAST * 2);
            Vec::new()
        }
        Msg::Launcher(events) => {
            launches::on_events(state, events, now);
            Vec::new()
        }
        Msg::Added { views, errors } => {
            launches::on_added(state, views, errors, now);
            Vec::new()
        }
        Msg::ConnOwner { conn, launch } => match launches::on_conn_owner(state, conn, launch) {
            // Linked late: a folded entry's capability was on screen; show it anew.
            Some(key) => render(state, &key),
            None => Vec::new(),
        },
        Msg::Signal(name) => {
            tracing::info!("{name}: quitting");
            quit(state)
        }
        Msg::Tick => Vec::new(),
    }
}

// ------------------------------------------------------------------------------------ host

fn on_host(state: &mut State, ev: HostEvent) -> Vec<Effect> {
    match ev {
        HostEvent::Registered {
            conn,
            plugin_id,
            info,
            replaced,
        } => {
            launches::on_registered(state, conn, &plugin_id);
            // A crash or refusal in the status bar is over once a plugin is back.
            state.last_error = None;
            let lacking = view::register_warning(&info.notes);
            plugins::upsert(state, conn, &plugin_id, info, replaced.is_some());
            plugins::fold_idless(state, &plugin_id);
            match lacking.first() {
                // An empty or lenient register is accepted, as the real host does: say so.
                Some(first) => toast(
                    state,
                    ToastKind::Warning,
                    format!("{plugin_id} registered, but its {first}"),
                    TOAST * 2,
                ),
                None => registered_toast(state, &plugin_id),
            }
            // A plugin (re)connecting: show its first panel when nothing is shown yet, and
            // refresh what is shown when it is this plugin's (the author just restarted it).
            let shown_here =
                matches!(&state.shown, Some(Shown::Cap(k)) if k.plugin_id == plugin_id);
            if shown_here {
                if let Some(Shown::Cap(key)) = state.shown.clone() {
                    return render(state, &key);
                }
            } else if state.shown.is_none() {
                let first = state.plugin(&plugin_id).and_then(|p| {
                    p.by_priority()
                        .into_iter()
                        .find(|&i| p.capabilities[i].kind == "visitor_panel")
                });
                if let Some(index) = first {
                    let key = CapKey { plugin_id, index };
                    state.selected = Some(Row::Capability(key.clone()));
                    return select_cap(state, &key, false);
                }
            }
            if state.selected.is_none() {
                state.selected = Some(Row::Plugin(plugin_id));
            }
            Vec::new()
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
                toast(
                    state,
                    ToastKind::Warning,
                    format!("{id} disconnected: {reason}"),
                    TOAST,
                );
                plugins::bound_gone(state);
            }
            Vec::new()
        }
        HostEvent::Rejected { reason, .. } => {
            let text = format!("registration refused: {reason}");
            state.set_error(text.clone());
            toast(state, ToastKind::Error, text, TOAST * 2);
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
                toast(
                    state,
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
        HostEvent::Connected { .. } => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------- render

pub(super) fn toast(state: &mut State, kind: ToastKind, text: String, dur: Duration) {
    state.toasts.push(Toast {
        text,
        kind,
        until: state.now + dur,
        registered: Vec::new(),
    });
    if state.toasts.len() > 4 {
        state.toasts.remove(0);
    }
}

/// "X registered", or one toast for several plugins registering together (at startup they
/// all do, and a stack of toasts would hide the panes).
fn registered_toast(state: &mut State, plugin_id: &str) {
    let until = state.now + TOAST;
    if let Some(t) = state.toasts.iter_mut().find(|t| !t.registered.is_empty()) {
        t.registered.push(plugin_id.to_string());
        t.text = format!(
            "{} plugins registered: {}",
            t.registered.len(),
            t.registered.join(", ")
        );
        t.until = until;
        return;
    }
    toast(
        state,
        ToastKind::Success,
        format!("{plugin_id} registered"),
        TOAST,
    );
    if let Some(t) = state.toasts.last_mut() {
        t.registered.push(plugin_id.to_string());
    }
}

/// Params for rendering `key` (see `capability_render_params`).
fn render_params(state: &State, key: &CapKey) -> Value {
    match state.plugin(&key.plugin_id) {
        Some(p) => capability_render_params(&state.ctx, &p.capabilities, key.index),
        None => state.ctx.render_params(""),
    }
}

/// Removes `key`'s slot, keeping the last good render (shown under a spinner or an error).
fn take_previous(state: &mut State, key: &CapKey) -> Option<Box<Rendered>> {
    match state.renders.remove(key) {
        Some(RenderSlot::Ready(r)) => Some(r),
        Some(RenderSlot::Pending { previous, .. } | RenderSlot::Failed { previous, .. }) => {
            previous
        }
        None => None,
    }
}

/// Sends the render of `key` (mcp_tools builds its tool forms locally instead).
fn render(state: &mut State, key: &CapKey) -> Vec<Effect> {
    let Some(cap) = state.capability(key).cloned() else {
        return Vec::new();
    };
    state.shown = Some(Shown::Cap(key.clone()));
    if cap.kind == "mcp_tools" {
        let node = tools::tools_node(&cap, state.tool_runs.get(key));
        state.renders.insert(
            key.clone(),
            RenderSlot::Ready(Box::new(Rendered::new(
                node,
                Vec::new(),
                // Drawn here from the registration: no request, so no latency to show.
                format!(
                    "mcp_tools · {} tool{}",
                    cap.tools.len(),
                    if cap.tools.len() == 1 { "" } else { "s" }
                ),
                Duration::ZERO,
            ))),
        );
        return Vec::new();
    }
    let Some(method) = render_method(&cap.kind) else {
        return Vec::new();
    };
    let previous = take_previous(state, key);
    state.renders.insert(
        key.clone(),
        RenderSlot::Pending {
            since: state.now,
            method: method.clone(),
            previous,
        },
    );
    let params = render_params(state, key);
    vec![Effect::Request {
        plugin_id: key.plugin_id.clone(),
        method,
        params,
        purpose: Purpose::Render(key.clone()),
    }]
}

/// Shows a capability: cached render if any, else renders it. `open` = Enter (toolbars open).
fn select_cap(state: &mut State, key: &CapKey, open: bool) -> Vec<Effect> {
    let Some(cap) = state.capability(key).cloned() else {
        return Vec::new();
    };
    if cap.kind == "chat_toolbar" {
        return if open {
            open_toolbar(state, key)
        } else {
            Vec::new()
        };
    }
    if open || !state.renders.contains_key(key) || cap.kind == "mcp_tools" {
        return render(state, key);
    }
    state.shown = Some(Shown::Cap(key.clone()));
    Vec::new()
}

fn open_toolbar(state: &mut State, key: &CapKey) -> Vec<Effect> {
    let params = render_params(state, key);
    toast(
        state,
        ToastKind::Info,
        "opening the toolbar…".into(),
        Duration::from_secs(1),
    );
    vec![Effect::Request {
        plugin_id: key.plugin_id.clone(),
        method: "chat_toolbar/render".into(),
        params,
        purpose: Purpose::ToolbarRender(key.clone()),
    }]
}

fn fail_kind(outcome: &Outcome) -> FailKind {
    match outcome {
        Outcome::Timeout { .. } => FailKind::Timeout,
        Outcome::PluginError(_) => FailKind::PluginError,
        Outcome::Disconnected { .. } => FailKind::Disconnected,
        Outcome::InvalidAnswer { .. } => FailKind::InvalidAnswer,
        Outcome::Cancelled => FailKind::Cancelled,
        Outcome::Result { .. } => FailKind::InvalidAnswer,
    }
}

fn fail(state: &mut State, purpose: &Purpose, kind: FailKind, message: String) {
    if let Purpose::Event { cap, event, .. } = purpose {
        // The Action pane keeps why there is no action (a send that failed had no record).
        let rec = state.last_event.get_or_insert_with(|| EventRecord {
            plugin_id: cap.plugin_id.clone(),
            method: String::new(),
            sent: event_summary(event),
            since: state.now,
            outcome: EventOutcome::Pending,
        });
        rec.outcome = EventOutcome::Failed {
            kind,
            message: message.clone(),
        };
    }
    match purpose {
        Purpose::Render(key) => {
            let previous = take_previous(state, key);
            state.renders.insert(
                key.clone(),
                RenderSlot::Failed {
                    message,
                    kind,
                    previous,
                },
            );
        }
        _ => {
            let text = format!("{}: {message}", kind.title());
            state.set_error(text.clone());
            toast(state, ToastKind::Error, text, TOAST * 2);
        }
    }
}

/// A non-JSON-UI answer (sidebar config, channel manifest…) drawn as a key/value list.
fn config_node(value: &Value) -> jsonui::Node {
    let items: Vec<Value> = match value {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| json!({"label": k, "value": v.as_str().map_or_else(|| v.to_string(), String::from)}))
            .collect(),
        other => vec![json!({"label": "answer", "value": other.to_string()})],
    };
    jsonui::parse_ui(&json!({"template": "key_value", "data": {"items": items}})).value
}

fn on_reply(
    state: &mut State,
    purpose: Purpose,
    outcome: Outcome,
    latency: Duration,
    method: &str,
    ui: Option<Box<jsonui::Parsed<jsonui::Node>>>,
) -> Vec<Effect> {
    let value = match outcome {
        Outcome::Result { value } => value,
        other => {
            let kind = fail_kind(&other);
            fail(state, &purpose, kind, other.summary());
            return Vec::new();
        }
    };
    // Something worked: an older error in the status bar is no longer the news.
    state.last_error = None;
    match purpose {
        Purpose::Render(key) => {
            let kind = state
                .capability(&key)
                .map(|c| c.kind.clone())
                .unwrap_or_default();
            let mut rendered = if renders_json_ui(&kind) {
                let parsed = ui.map_or_else(|| jsonui::parse_ui(&value), |b| *b);
                Rendered::new(
                    parsed.value,
                    parsed.diagnostics,
                    method.to_string(),
                    latency,
                )
            } else {
                // Checked as `check` checks it (required fields of the config answer).
                let diagnostics = crate::check::validate::validate(method, &value)
                    .map(|v| v.diagnostics().to_vec())
                    .unwrap_or_default();
                Rendered::new(
                    config_node(&value),
                    diagnostics,
                    method.to_string(),
                    latency,
                )
            };
            // A re-render keeps the user's place: focus and scroll (uiview drops stale ids).
            if let Some(old) = take_previous(state, &key) {
                rendered.ui.set_focus(old.ui.focus().map(String::from));
                rendered.ui.set_scroll(old.ui.scroll());
            }
            state
                .renders
                .insert(key, RenderSlot::Ready(Box::new(rendered)));
            Vec::new()
        }
        Purpose::ToolbarRender(key) => {
            let parsed = ui.map_or_else(|| jsonui::parse_ui(&value), |b| *b);
            let title = state
                .capability(&key)
                .map_or_else(|| "Toolbar".into(), |c| c.title.clone());
            let rendered = Rendered::new(
                parsed.value,
                parsed.diagnostics,
                method.to_string(),
                latency,
            );
            open_ui_modal(state, title, rendered, key);
            Vec::new()
        }
        Purpose::Event {
            cap,
            in_modal,
            event,
        } => {
            let parsed = jsonui::parse_action(&value);
            let rec = state.last_event.get_or_insert_with(|| EventRecord {
                plugin_id: cap.plugin_id.clone(),
                method: method.to_string(),
                sent: event_summary(&event),
                since: state.now,
                outcome: EventOutcome::Pending,
            });
            rec.outcome = EventOutcome::Action {
                action: parsed.value.clone(),
                diagnostics: parsed.diagnostics,
                latency,
            };
            // A form submitted in a modal (a chat_toolbar form) is done with it: the modal
            // closes, unless the answer opens another or says something went wrong.
            let submitted = in_modal && event.event_type == "form_submit";
            let effects = carry_out(state, &parsed.value, &cap, in_modal, submitted);
            if submitted
                && !keeps_modal(&parsed.value)
                && matches!(state.modal, Some(Modal::Ui { .. }))
            {
                state.modal = None;
            }
            effects
        }
        Purpose::Tool { cap, tool } => {
            let ok = value
                .get("success")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let text = match (ok, value.get("content"), value.get("error")) {
                (true, Some(c), _) => c.as_str().map_or_else(|| c.to_string(), String::from),
                (false, _, Some(e)) => e.as_str().map_or_else(|| e.to_string(), String::from),
                _ => value.to_string(),
            };
            let data = value
                .get("data")
                .map(|d| format!("\n{d}"))
                .unwrap_or_default();
            toast(
                state,
                if ok {
                    ToastKind::Success
                } else {
                    ToastKind::Error
                },
                format!("{tool}: {}", crate::text::truncate_chars(&text, 60)),
                TOAST,
            );
            state.tool_runs.insert(
                cap.clone(),
                ToolRun {
                    tool,
                    ok,
                    text: format!("{text}{data}"),
                },
            );
            if state.shown == Some(Shown::Cap(cap.clone())) {
                return render(state, &cap);
            }
            Vec::new()
        }
        Purpose::Raw => {
            if value.get("template").is_some() {
                let parsed = ui.map_or_else(|| jsonui::parse_ui(&value), |b| *b);
                state.raw = Some(RenderSlot::Ready(Box::new(Rendered::new(
                    parsed.value,
                    parsed.diagnostics,
                    method.to_string(),
                    latency,
                ))));
                state.shown = Some(Shown::Raw);
                state.focus = Pane::Render;
            } else {
                toast(
                    state,
                    ToastKind::Info,
                    format!(
                        "{method}: answered in {:.1} ms (see the inspector)",
                        latency.as_secs_f64() * 1000.0
                    ),
                    TOAST,
                );
            }
            Vec::new()
        }
    }
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
            toast(
                state,
                ToastKind::Info,
                format!("open_url {url}  (o open · y copy)"),
                TOAST * 2,
            );
            Vec::new()
        }
        Action::CopyText { text } => {
            toast(
                state,
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
            toast(state, kind, message.clone(), dur);
            Vec::new()
        }
        Action::Refresh => {
            let toolbar = state
                .capability(cap)
                .is_some_and(|c| c.kind == "chat_toolbar");
            if in_modal && toolbar && !submitted && matches!(state.modal, Some(Modal::Ui { .. })) {
                return open_toolbar(state, cap);
            }
            // The panel on screen, when it is this plugin's; a toolbar has no panel of its own.
            match shown_cap(state).filter(|k| k.plugin_id == cap.plugin_id) {
                Some(shown) => render(state, &shown),
                None if !toolbar => render(state, cap),
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
            open_ui_modal(
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
            state.chat.push(ChatLine {
                kind: kind.into(),
                text: text.clone(),
            });
            toast(
                state,
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
            state.chat.push(ChatLine {
                kind: format!("send_message [{}]", content_type.as_str()),
                text: content.clone(),
            });
            toast(
                state,
                ToastKind::Info,
                "message sent (see Chat)".into(),
                TOAST,
            );
            Vec::new()
        }
        Action::Noop => {
            toast(
                state,
                ToastKind::Info,
                "noop".into(),
                Duration::from_secs(1),
            );
            Vec::new()
        }
        Action::Unknown { name, .. } => {
            toast(
                state,
                ToastKind::Error,
                format!("unknown action \"{name}\""),
                TOAST,
            );
            Vec::new()
        }
        Action::Invalid { .. } => {
            toast(
                state,
                ToastKind::Error,
                "the event answer is not a JSON-ACTION".into(),
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
            toast(
                state,
                ToastKind::Success,
                format!("copied {} characters", text.chars().count()),
                TOAST,
            );
            vec![Effect::Copy(text)]
        }
        Press::OpenUrl(url) => {
            toast(state, ToastKind::Info, format!("opening {url}"), TOAST);
            vec![Effect::OpenUrl(url)]
        }
        Press::Event { event, confirm } => {
            let Some(capability) = state.capability(cap).cloned() else {
                toast(state, ToastKind::Error, "that plugin is gone".into(), TOAST);
                return Vec::new();
            };
            let effect = if capability.kind == "mcp_tools" && !in_modal {
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

fn event_effect(
    state: &State,
    cap: &CapKey,
    kind: &str,
    event: &UiEvent,
    in_modal: bool,
) -> Effect {
    Effect::Request {
        plugin_id: cap.plugin_id.clone(),
        method: event_method(kind),
        params: state.ctx.event_params(event),
        purpose: Purpose::Event {
            cap: cap.clone(),
            in_modal,
            event: event.clone(),
        },
    }
}

// ------------------------------------------------------------------------------------ keys

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

fn layout(state: &State) -> ScreenLayout {
    view::screen_layout(Rect::new(0, 0, state.size.0, state.size.1), state)
}

fn on_key(state: &mut State, key: KeyEvent, log: &MessageLog) -> Vec<Effect> {
    if ctrl(&key, 'c') {
        return quit(state);
    }
    if state.modal.is_some() {
        return modal_key(state, key, log);
    }
    // A pane that is taking text gets every key.
    let typing = match state.focus {
        Pane::Render => shown_rendered(state).is_some_and(|r| uiview::is_editing(&r.ui)),
        Pane::Inspector => state.inspector.is_typing(),
        Pane::Plugins | Pane::Output => false,
    };
    if !typing {
        match key.code {
            KeyCode::Tab => return cycle(state, 1),
            KeyCode::BackTab => return cycle(state, Pane::ALL.len() - 1),
            KeyCode::Char('?') => {
                state.modal = Some(Modal::Help { scroll: 0 });
                return Vec::new();
            }
            _ => {}
        }
    }
    let handled = match state.focus {
        Pane::Plugins => plugins_key(state, key),
        Pane::Render => (!typing)
            .then(|| diagnostics::on_key(state, key, layout))
            .flatten()
            .or_else(|| render_key(state, key)),
        Pane::Inspector => inspector_key(state, key, log),
        Pane::Output => output_key(state, key),
    };
    if let Some(effects) = handled {
        return effects;
    }
    if typing {
        return Vec::new();
    }
    global_key(state, key)
}

fn cycle(state: &mut State, by: usize) -> Vec<Effect> {
    let i = Pane::ALL
        .iter()
        .position(|p| *p == state.focus)
        .unwrap_or(0);
    enter_pane(state, Pane::ALL[(i + by) % Pane::ALL.len()]);
    Vec::new()
}

/// Focuses a pane; entering the render pane focuses its first button/row/field if none is,
/// so the very next key acts on something visible.
fn enter_pane(state: &mut State, pane: Pane) {
    state.focus = pane;
    match pane {
        Pane::Output => state.output_shown = true,
        Pane::Inspector => state.output_shown = false,
        _ => {}
    }
    if pane != Pane::Render {
        return;
    }
    let width = layout(state).render_body.width;
    if let Some(RenderSlot::Ready(r)) = state.shown_slot_mut() {
        focus_first(r, width);
    }
}

/// Focuses the first pressable thing of a UI that has no focus yet.
fn focus_first(r: &mut Rendered, width: u16) {
    if r.ui.focus().is_none() {
        let first = uiview::layout(&r.node, &r.ui, width)
            .targets
            .first()
            .map(|t| t.id.clone());
        r.ui.set_focus(first);
    }
}

/// Opens a modal with a nested JSON-UI, its first target focused.
fn open_ui_modal(state: &mut State, title: String, mut rendered: Rendered, cap: CapKey) {
    focus_first(&mut rendered, view::modal_body(layout(state).modal).width);
    state.modal = Some(Modal::Ui {
        title,
        rendered: Box::new(rendered),
        cap,
    });
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

fn global_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Char('q') => return quit(state),
        KeyCode::Char('1') => enter_pane(state, Pane::Plugins),
        KeyCode::Char('2') => enter_pane(state, Pane::Render),
        KeyCode::Char('3') => enter_pane(state, Pane::Inspector),
        KeyCode::Char('4') => enter_pane(state, Pane::Output),
        KeyCode::Char('a') => launches::open_add(state),
        KeyCode::Char('z') => state.zoom = !state.zoom,
        KeyCode::Char('d') => state.show_diagnostics = !state.show_diagnostics,
        KeyCode::Char('v') | KeyCode::Char('e') => open_context_editor(state),
        KeyCode::Char('r') => return rerender(state),
        KeyCode::Char('c') | KeyCode::Char(':') => open_composer(state, None),
        KeyCode::Char('P') => state.modal = Some(Modal::Pending { selected: 0 }),
        KeyCode::Char('t') => return toolbar_of_selected(state),
        KeyCode::Char('o') => match last_url(state) {
            Some(url) => {
                toast(state, ToastKind::Info, format!("opening {url}"), TOAST);
                return vec![Effect::OpenUrl(url)];
            }
            None => toast(
                state,
                ToastKind::Info,
                "no open_url to open yet".into(),
                TOAST,
            ),
        },
        KeyCode::Char('y') => match last_copyable(state) {
            Some(text) => {
                toast(
                    state,
                    ToastKind::Success,
                    format!("copied {}", crate::text::truncate_chars(&text, 50)),
                    TOAST,
                );
                return vec![Effect::Copy(text)];
            }
            None => toast(state, ToastKind::Info, "nothing to copy yet".into(), TOAST),
        },
        _ => {}
    }
    Vec::new()
}

fn open_context_editor(state: &mut State) {
    if state.replay.is_some() {
        toast(
            state,
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

fn last_url(state: &State) -> Option<String> {
    fn find(a: &Action) -> Option<String> {
        match a {
            Action::OpenUrl { url, .. } => Some(url.clone()),
            Action::Batch(all) => all.iter().find_map(find),
            _ => None,
        }
    }
    find(state.last_event.as_ref()?.action()?)
}

fn last_copyable(state: &State) -> Option<String> {
    fn find(a: &Action) -> Option<String> {
        match a {
            Action::OpenUrl { url, .. } => Some(url.clone()),
            Action::CopyText { text } => Some(text.clone()),
            Action::Batch(all) => all.iter().find_map(find),
            _ => None,
        }
    }
    find(state.last_event.as_ref()?.action()?)
}

fn rerender(state: &mut State) -> Vec<Effect> {
    let key = match (&state.selected, &state.shown) {
        (Some(Row::Capability(k)), _) => k.clone(),
        (_, Some(Shown::Cap(k))) => k.clone(),
        _ => {
            toast(
                state,
                ToastKind::Info,
                "select a capability to render".into(),
                TOAST,
            );
            return Vec::new();
        }
    };
    select_cap(state, &key, true)
}

fn toolbar_of_selected(state: &mut State) -> Vec<Effect> {
    let plugin = match &state.selected {
        Some(Row::Plugin(id)) => id.clone(),
        Some(Row::Capability(k)) => k.plugin_id.clone(),
        Some(Row::Launch(_)) | None => return Vec::new(),
    };
    let index = state
        .plugin(&plugin)
        .and_then(|p| p.capabilities.iter().position(|c| c.kind == "chat_toolbar"));
    match index {
        Some(index) => open_toolbar(
            state,
            &CapKey {
                plugin_id: plugin,
                index,
            },
        ),
        None => {
            toast(
                state,
                ToastKind::Info,
                format!("{plugin} has no chat_toolbar"),
                TOAST,
            );
            Vec::new()
        }
    }
}

/// Opens the composer: on `preset` (edit and resend), else on the selected plugin (or the
/// last one sent to), with the last method sent to it and that method's realistic params.
fn open_composer(state: &mut State, preset: Option<(String, String, Value)>) {
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
        toast(
            state,
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

fn plugins_key(state: &mut State, key: KeyEvent) -> Option<Vec<Effect>> {
    let rows = state.rows();
    let pos = state
        .selected
        .as_ref()
        .and_then(|s| rows.iter().position(|r| r == s));
    let to = match key.code {
        KeyCode::Down | KeyCode::Char('j') => {
            pos.map_or(0, |p| (p + 1).min(rows.len().saturating_sub(1)))
        }
        KeyCode::Up | KeyCode::Char('k') => pos.map_or(0, |p| p.saturating_sub(1)),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => rows.len().saturating_sub(1),
        KeyCode::Enter => {
            return Some(match &state.selected {
                Some(Row::Capability(k)) => {
                    let k = k.clone();
                    select_cap(state, &k, true)
                }
                // A launched plugin's row: what it printed is what there is to see.
                Some(Row::Launch(_)) => {
                    enter_pane(state, Pane::Output);
                    Vec::new()
                }
                _ => Vec::new(),
            });
        }
        _ => return launch_key(state, key),
    };
    Some(select_row(state, rows.get(to).cloned(), true))
}

/// `s` `R` `x`: start/stop, restart, remove the selected launched plugin. `x` on a plugin that
/// dialled in by itself removes its entry once it is gone.
fn launch_key(state: &mut State, key: KeyEvent) -> Option<Vec<Effect>> {
    let op = match key.code {
        KeyCode::Char('s') => LaunchOp::Start,
        KeyCode::Char('R') => LaunchOp::Restart,
        KeyCode::Char('x') | KeyCode::Delete => LaunchOp::Remove,
        _ => return None,
    };
    let launched = if state.focus == Pane::Output {
        state.output_launch().is_some()
    } else {
        state.selected_launch().is_some()
    };
    if op == LaunchOp::Remove && !launched {
        let said = plugins::remove_selected(state);
        toast(state, ToastKind::Info, said, TOAST);
        return Some(Vec::new());
    }
    Some(launches::op_on_selected(state, op))
}

/// The output pane: scroll (it follows the newest line unless scrolled up) and launch keys.
fn output_key(state: &mut State, key: KeyEvent) -> Option<Vec<Effect>> {
    let len = state.output_launch().map_or(0, |l| l.output.len());
    let page = (layout(state).output.height as usize)
        .saturating_sub(3)
        .max(1);
    let up = &mut state.output_scroll.up;
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => *up = (*up + 1).min(len.saturating_sub(1)),
        KeyCode::Down | KeyCode::Char('j') => *up = up.saturating_sub(1),
        KeyCode::PageUp => *up = (*up + page).min(len.saturating_sub(1)),
        KeyCode::PageDown => *up = up.saturating_sub(page),
        KeyCode::Home | KeyCode::Char('g') => *up = len.saturating_sub(1),
        KeyCode::End | KeyCode::Char('G') | KeyCode::Char('f') => *up = 0,
        _ => return launch_key(state, key),
    }
    Some(Vec::new())
}

/// Selects a row of the plugins pane. `passing`: moved onto by a key, maybe on the way to
/// another row, so a capability that needs a request is rendered only once the selection
/// rests ([`RENDER_DEBOUNCE`]).
fn select_row(state: &mut State, row: Option<Row>, passing: bool) -> Vec<Effect> {
    let Some(row) = row else { return Vec::new() };
    if state.selected.as_ref() == Some(&row) {
        return Vec::new();
    }
    state.selected = Some(row.clone());
    state.output_scroll = OutputScroll::default();
    match row {
        Row::Capability(k) if passing && needs_request(state, &k) => {
            state.shown = Some(Shown::Cap(k.clone()));
            state.render_due = Some((k, state.now + RENDER_DEBOUNCE));
            Vec::new()
        }
        Row::Capability(k) => select_cap(state, &k, false),
        Row::Plugin(_) | Row::Launch(_) => Vec::new(),
    }
}

/// Whether showing `key` means asking its plugin (not cached, not drawn locally).
fn needs_request(state: &State, key: &CapKey) -> bool {
    let local = state
        .capability(key)
        .is_none_or(|c| matches!(c.kind.as_str(), "chat_toolbar" | "mcp_tools"));
    !local && !state.renders.contains_key(key)
}

/// The debounced render, once it is due and still wanted.
fn due_render(state: &mut State) -> Vec<Effect> {
    let Some((key, at)) = state.render_due.clone() else {
        return Vec::new();
    };
    if state.now < at {
        return Vec::new();
    }
    state.render_due = None;
    if state.shown == Some(Shown::Cap(key.clone())) && needs_request(state, &key) {
        return render(state, &key);
    }
    Vec::new()
}

fn shown_rendered(state: &State) -> Option<&Rendered> {
    match state.shown_slot()? {
        RenderSlot::Ready(r) => Some(r),
        RenderSlot::Pending { previous, .. } | RenderSlot::Failed { previous, .. } => {
            previous.as_deref()
        }
    }
}

fn shown_cap(state: &State) -> Option<CapKey> {
    match state.shown.as_ref()? {
        Shown::Cap(k) => Some(k.clone()),
        // Raw answers: events go to the plugin it came from, as a visitor panel.
        Shown::Raw => None,
    }
}

fn render_key(state: &mut State, key: KeyEvent) -> Option<Vec<Effect>> {
    let viewport = layout(state).render_body;
    let cap = shown_cap(state);
    let slot = state.shown_slot_mut()?;
    let RenderSlot::Ready(r) = slot else {
        return None;
    };
    match uiview::handle_key(&r.node, &mut r.ui, key, viewport) {
        UiOutcome::Ignored => None,
        UiOutcome::Handled => Some(Vec::new()),
        UiOutcome::Press(press) => match cap {
            Some(cap) => Some(on_press(state, press, &cap, false)),
            None => {
                toast(
                    state,
                    ToastKind::Info,
                    "a raw answer has no capability to send events to".into(),
                    TOAST,
                );
                Some(Vec::new())
            }
        },
    }
}

fn inspector_key(state: &mut State, key: KeyEvent, log: &MessageLog) -> Option<Vec<Effect>> {
    let height = layout(state).inspector_list.height.saturating_sub(1);
    match state.inspector.handle_key(key, log, height) {
        InspectorOutcome::Ignored => None,
        InspectorOutcome::Handled => Some(Vec::new()),
        InspectorOutcome::Copy(json) => {
            toast(
                state,
                ToastKind::Success,
                format!("copied the message ({} bytes)", json.len()),
                TOAST,
            );
            Some(vec![Effect::Copy(json)])
        }
        InspectorOutcome::Export(seqs) => Some(vec![Effect::Export(seqs)]),
        InspectorOutcome::Resend(seq) => Some(match request_of(log, seq) {
            Some((plugin_id, method, params)) => request_effects(state, plugin_id, method, params),
            None => {
                toast(
                    state,
                    ToastKind::Warning,
                    "that message is not a request we can resend".into(),
                    TOAST,
                );
                Vec::new()
            }
        }),
        InspectorOutcome::EditResend(seq) => {
            match request_of(log, seq) {
                Some(preset) => open_composer(state, Some(preset)),
                None => toast(
                    state,
                    ToastKind::Warning,
                    "that message is not a request we can resend".into(),
                    TOAST,
                ),
            }
            Some(Vec::new())
        }
    }
}

/// A request typed in the composer or resent from the inspector, sent so its answer lands
/// where the same request from a click would: a capability's render in its slot (title and
/// marker as usual), an event's action carried out and validated, a tool's result in its
/// tools panel. Anything else is a raw request.
pub(super) fn request_effects(
    state: &mut State,
    plugin_id: String,
    method: String,
    params: Value,
) -> Vec<Effect> {
    let purpose = purpose_of(state, &plugin_id, &method, &params);
    if let Purpose::Render(key) = &purpose {
        let previous = take_previous(state, key);
        state.renders.insert(
            key.clone(),
            RenderSlot::Pending {
                since: state.now,
                method: method.clone(),
                previous,
            },
        );
        state.shown = Some(Shown::Cap(key.clone()));
        state.selected = Some(Row::Capability(key.clone()));
    }
    vec![Effect::Request {
        plugin_id,
        method,
        params,
        purpose,
    }]
}

/// Which capability of `plugin_id` a request is for, judged by its method (and
/// `capability_index` when the plugin has several capabilities of the type).
fn purpose_of(state: &State, plugin_id: &str, method: &str, params: &Value) -> Purpose {
    let Some(plugin) = state.plugin(plugin_id) else {
        return Purpose::Raw;
    };
    let nth = params
        .get("capability_index")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let find = |matches: &dyn Fn(&str) -> bool| {
        plugin
            .capabilities
            .iter()
            .enumerate()
            .filter(|(_, c)| matches(&c.kind))
            .nth(nth)
            .map(|(index, c)| {
                (
                    CapKey {
                        plugin_id: plugin_id.to_string(),
                        index,
                    },
                    c.kind.clone(),
                )
            })
    };
    let field = |k: &str| params.get(k).and_then(Value::as_str).map(String::from);
    if method == "tool/execute" {
        let Some((cap, _)) = find(&|k| k == "mcp_tools") else {
            return Purpose::Raw;
        };
        return Purpose::Tool {
            cap,
            tool: field("tool_name").unwrap_or_default(),
        };
    }
    if let Some((cap, kind)) = find(&|k| render_method(k).as_deref() == Some(method)) {
        return if kind == "chat_toolbar" {
            Purpose::ToolbarRender(cap)
        } else {
            Purpose::Render(cap)
        };
    }
    if let Some((cap, _)) = find(&|k| event_method(k) == method) {
        let event = UiEvent {
            event_type: field("event_type").unwrap_or_default(),
            action_id: field("action_id").unwrap_or_default(),
            selected_id: field("selected_id"),
            form_data: params
                .get("form_data")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        };
        return Purpose::Event {
            cap,
            in_modal: false,
            event,
        };
    }
    Purpose::Raw
}

/// (plugin, method, params) of a logged outgoing request.
fn request_of(log: &MessageLog, seq: u64) -> Option<(String, String, Value)> {
    let e = log.get(seq)?;
    let plugin = e.plugin.clone()?;
    let v: Value = serde_json::from_slice(&e.raw).ok()?;
    let method = v.get("method")?.as_str()?.to_string();
    Some((
        plugin,
        method,
        v.get("params").cloned().unwrap_or_else(|| json!({})),
    ))
}

fn modal_key(state: &mut State, key: KeyEvent, _log: &MessageLog) -> Vec<Effect> {
    let Some(modal) = state.modal.take() else {
        return Vec::new();
    };
    let area = layout(state).modal;
    match modal {
        Modal::Help { scroll } => match key.code {
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter => {}
            KeyCode::Down | KeyCode::Char('j') => {
                state.modal = Some(Modal::Help {
                    scroll: scroll
                        .saturating_add(1)
                        .min(view::help_max_scroll(state, area)),
                })
            }
            KeyCode::Up | KeyCode::Char('k') => {
                state.modal = Some(Modal::Help {
                    scroll: scroll.saturating_sub(1),
                })
            }
            _ => state.modal = Some(Modal::Help { scroll }),
        },
        Modal::Confirm { text, then } => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => return then,
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                toast(
                    state,
                    ToastKind::Info,
                    "cancelled".into(),
                    Duration::from_secs(1),
                );
            }
            _ => state.modal = Some(Modal::Confirm { text, then }),
        },
        Modal::Ui {
            title,
            mut rendered,
            cap,
        } => {
            if key.code == KeyCode::Esc && !uiview::is_editing(&rendered.ui) {
                return Vec::new();
            }
            let body = view::modal_body(area);
            let outcome = uiview::handle_key(&rendered.node, &mut rendered.ui, key, body);
            state.modal = Some(Modal::Ui {
                title,
                rendered,
                cap: cap.clone(),
            });
            if let UiOutcome::Press(press) = outcome {
                return on_press(state, press, &cap, true);
            }
        }
        Modal::Composer(mut c) => match c.handle_key(key, state.now) {
            ComposerOutcome::Cancel => {}
            ComposerOutcome::Send {
                plugin_id,
                method,
                params,
            } => {
                state.composer_last = Some((plugin_id.clone(), method.clone()));
                return request_effects(state, plugin_id, method, params);
            }
            ComposerOutcome::Ignored | ComposerOutcome::Handled => {
                state.modal = Some(Modal::Composer(c))
            }
        },
        Modal::Context(mut ed) => match ed.handle_key(key, &state.ctx) {
            EditOutcome::Cancel => {}
            EditOutcome::Handled => state.modal = Some(Modal::Context(ed)),
            EditOutcome::Apply(ctx) => {
                remember(&mut state.recent_visitors, RecentVisitor::of(&ctx));
                state.ctx = *ctx;
                // New visitor: every cached render is stale.
                state
                    .renders
                    .retain(|_, s| matches!(s, RenderSlot::Pending { .. }));
                let mut effects = vec![Effect::SaveVisitors(state.recent_visitors.clone())];
                if let Some(Shown::Cap(k)) = state.shown.clone() {
                    effects.extend(render(state, &k));
                }
                return effects;
            }
        },
        Modal::AddPlugin(mut area) => match key.code {
            KeyCode::Esc => {}
            KeyCode::Enter => match launches::add_path(&area.lines().join("")) {
                Some(path) => return vec![Effect::AddPlugins(path)],
                None => state.modal = Some(Modal::AddPlugin(area)),
            },
            _ => {
                area.input(key);
                state.modal = Some(Modal::AddPlugin(area));
            }
        },
        Modal::Pending { selected } => match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('P') => {}
            KeyCode::Down | KeyCode::Char('j') => {
                let n = state.pending.len();
                state.modal = Some(Modal::Pending {
                    selected: (selected + 1).min(n.saturating_sub(1)),
                });
            }
            KeyCode::Up | KeyCode::Char('k') => {
                state.modal = Some(Modal::Pending {
                    selected: selected.saturating_sub(1),
                })
            }
            KeyCode::Char('x') | KeyCode::Delete => {
                state.modal = Some(Modal::Pending { selected });
                if let Some(p) = state.pending.get(selected) {
                    return vec![Effect::Cancel {
                        conn: p.conn,
                        id: p.id,
                    }];
                }
            }
            _ => state.modal = Some(Modal::Pending { selected }),
        },
    }
    Vec::new()
}

// ----------------------------------------------------------------------------------- mouse

fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.right() && y >= r.y && y < r.bottom()
}

/// Mouse over a modal: its UI takes clicks, Confirm has Yes/No, a click outside closes it
/// (answering "no" to a confirmation); the wheel scrolls help.
fn modal_mouse(state: &mut State, m: MouseEvent, l: &ScreenLayout) -> Vec<Effect> {
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
        (Some(Modal::Ui { rendered, cap, .. }), MouseEventKind::Down(MouseButton::Left)) => {
            let body = view::modal_body(l.modal);
            if contains(body, x, y) {
                let cap = cap.clone();
                if let UiOutcome::Press(p) =
                    uiview::handle_click(&rendered.node, &mut rendered.ui, x, y, body)
                {
                    return on_press(state, p, &cap, true);
                }
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
            uiview::handle_scroll(&mut rendered.ui, down, body, &rendered.node);
        }
        (Some(_), MouseEventKind::Down(MouseButton::Left)) if !contains(l.modal, x, y) => {
            state.modal = None;
        }
        _ => {}
    }
    Vec::new()
}

fn on_mouse(state: &mut State, m: MouseEvent, log: &MessageLog) -> Vec<Effect> {
    let l = layout(state);
    let (x, y) = (m.column, m.row);
    if state.modal.is_some() {
        return modal_mouse(state, m, &l);
    }
    let down = matches!(m.kind, MouseEventKind::ScrollDown);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if contains(l.plugins, x, y) {
                state.focus = Pane::Plugins;
                let rows = state.rows();
                let index = view::plugins_row_at(state, l.plugins, y);
                if let Some(row) = index.and_then(|i| rows.get(i).cloned()) {
                    let again = state.selected.as_ref() == Some(&row);
                    let mut effects = select_row(state, Some(row.clone()), false);
                    if let (true, Row::Capability(k)) = (again, row) {
                        effects.extend(select_cap(state, &k, true));
                    }
                    return effects;
                }
            } else if contains(l.diagnostics, x, y) {
                diagnostics::on_click(state);
            } else if contains(l.render, x, y) {
                state.focus = Pane::Render;
                if let Some(i) = view::toolbar_button_at(state, l.render, x, y) {
                    return open_toolbar(state, &i);
                }
                let cap = shown_cap(state);
                let body = l.render_body;
                if let Some(RenderSlot::Ready(r)) = state.shown_slot_mut()
                    && let (UiOutcome::Press(p), Some(cap)) =
                        (uiview::handle_click(&r.node, &mut r.ui, x, y, body), cap)
                {
                    return on_press(state, p, &cap, false);
                }
            } else if contains(l.inspector_list, x, y) {
                state.focus = Pane::Inspector;
                state
                    .inspector
                    .handle_click(y.saturating_sub(l.inspector_list.y + 1));
                state.inspector.sync(log);
            } else if contains(l.inspector_detail, x, y) {
                state.focus = Pane::Inspector;
            } else if contains(l.output, x, y) {
                state.focus = Pane::Output;
            } else if let Some((i, _)) = view::bar_buttons(l.context_bar, state)
                .into_iter()
                .find(|(_, r)| contains(*r, x, y))
            {
                return match view::BAR_BUTTONS[i] {
                    "[q quit]" => quit(state),
                    "[? help]" => {
                        state.modal = Some(Modal::Help { scroll: 0 });
                        Vec::new()
                    }
                    _ => {
                        open_composer(state, None);
                        Vec::new()
                    }
                };
            } else if contains(l.context_bar, x, y) {
                open_context_editor(state);
            }
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            if contains(l.diagnostics, x, y) {
                diagnostics::on_wheel(state, &l, down);
            } else if contains(l.render, x, y) {
                let body = l.render_body;
                if let Some(RenderSlot::Ready(r)) = state.shown_slot_mut() {
                    uiview::handle_scroll(&mut r.ui, down, body, &r.node);
                }
            } else if contains(l.inspector_list, x, y) || contains(l.inspector_detail, x, y) {
                state.inspector.scroll(down, log);
            } else if contains(l.output, x, y) {
                let code = if down { KeyCode::Down } else { KeyCode::Up };
                return output_key(state, KeyEvent::from(code)).unwrap_or_default();
            } else if contains(l.plugins, x, y) {
                return plugins_key(
                    state,
                    KeyEvent::from(if down { KeyCode::Down } else { KeyCode::Up }),
                )
                .unwrap_or_default();
            }
        }
        _ => {}
    }
    Vec::new()
}
