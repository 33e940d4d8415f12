//! The render pane's reducer: asking plugins to render capabilities (at once, or once the
//! selection rests), what their answers become (a panel, a toolbar modal, a tool run, a raw
//! answer), and sending any request so that its answer lands where a click's would.

use super::msg::{CapKey, Effect, Purpose};
use super::state::*;
use super::tools;
use super::uiview;
use super::view;
use crate::host::context::capability_render_params;
use crate::host::{CapabilityKind, MessageLog, Outcome, UiEvent};
use crate::jsonui;
use serde_json::{Value, json};
use std::time::Duration;

/// How long the selection must rest on a capability before it is rendered (j/k through the
/// plugins pane would otherwise render every capability passed).
pub const RENDER_DEBOUNCE: Duration = Duration::from_millis(150);

/// Params for rendering `key` (see `capability_render_params`).
fn render_params(state: &State, key: &CapKey) -> Value {
    match state.plugin(&key.plugin_id) {
        Some(p) => capability_render_params(&state.ctx, &p.capabilities, key.index),
        None => state
            .ctx
            .render_params(&CapabilityKind::Other(String::new())),
    }
}

/// Removes `key`'s slot, keeping the last good render (shown under a spinner or an error).
fn take_previous(state: &mut State, key: &CapKey) -> Option<Box<Rendered>> {
    match state.render.slots.remove(key) {
        Some(RenderSlot::Ready(r)) => Some(r),
        Some(RenderSlot::Pending { previous, .. } | RenderSlot::Failed { previous, .. }) => {
            previous
        }
        None => None,
    }
}

/// The path to what is on screen starts again at `key` unless it is already there with the
/// same context (a `refresh`, a restarted plugin's render: the path goes on).
fn on_path(state: &mut State, key: &CapKey) {
    if state.trail.cap.as_ref() != Some(key) || state.trail.ctx != state.ctx {
        state.trail.start(key.clone(), state.ctx.clone());
    }
}

/// Sends the render of `key` (mcp_tools builds its tool forms locally instead).
pub fn render(state: &mut State, key: &CapKey) -> Vec<Effect> {
    let Some(cap) = state.capability(key).cloned() else {
        return Vec::new();
    };
    on_path(state, key);
    state.render.shown = Some(Shown::Cap(key.clone()));
    if cap.kind == CapabilityKind::McpTools {
        let node = tools::tools_node(&cap, state.render.tool_runs.get(key));
        state.render.slots.insert(
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
    let Some(method) = cap.kind.render_method() else {
        return Vec::new();
    };
    let previous = take_previous(state, key);
    state.render.slots.insert(
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
pub fn select_cap(state: &mut State, key: &CapKey, open: bool) -> Vec<Effect> {
    let Some(cap) = state.capability(key).cloned() else {
        return Vec::new();
    };
    // Another panel picked: back from time travel to now.
    state.render.past = None;
    if cap.kind == CapabilityKind::ChatToolbar {
        return if open {
            open_toolbar(state, key)
        } else {
            Vec::new()
        };
    }
    if open {
        // Rendered on purpose: a fresh path.
        state.trail.start(key.clone(), state.ctx.clone());
    }
    if open || !state.render.slots.contains_key(key) || cap.kind == CapabilityKind::McpTools {
        return render(state, key);
    }
    // An earlier render shown again: its path is not known, it starts here.
    on_path(state, key);
    state.render.shown = Some(Shown::Cap(key.clone()));
    Vec::new()
}

/// Asks a chat_toolbar for its UI (shown in a modal when it comes).
pub fn open_toolbar(state: &mut State, key: &CapKey) -> Vec<Effect> {
    let params = render_params(state, key);
    state.toast(
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

/// `rerender`: the selected capability (or the one shown) again.
pub fn rerender(state: &mut State) -> Vec<Effect> {
    state.render.past = None;
    let key = match (&state.selected, &state.render.shown) {
        (Some(Row::Capability(k)), _) => k.clone(),
        (_, Some(Shown::Cap(k))) => k.clone(),
        _ => {
            state.toast(
                ToastKind::Info,
                "select a capability to render".into(),
                TOAST,
            );
            return Vec::new();
        }
    };
    select_cap(state, &key, true)
}

/// `toolbar`: the first chat_toolbar of the selected plugin.
pub fn toolbar_of_selected(state: &mut State) -> Vec<Effect> {
    let plugin = match &state.selected {
        Some(Row::Plugin(id)) => id.clone(),
        Some(Row::Capability(k)) => k.plugin_id.clone(),
        Some(Row::Story(k)) => k.plugin_id.clone(),
        Some(Row::Launch(_)) | None => return Vec::new(),
    };
    let index = state.plugin(&plugin).and_then(|p| {
        p.capabilities
            .iter()
            .position(|c| c.kind == CapabilityKind::ChatToolbar)
    });
    match index {
        Some(index) => open_toolbar(
            state,
            &CapKey {
                plugin_id: plugin,
                index,
            },
        ),
        None => {
            state.toast(
                ToastKind::Info,
                format!("{plugin} has no chat_toolbar"),
                TOAST,
            );
            Vec::new()
        }
    }
}

/// Whether showing `key` means asking its plugin (not cached, not drawn locally).
pub fn needs_request(state: &State, key: &CapKey) -> bool {
    let local = state.capability(key).is_none_or(|c| {
        matches!(
            c.kind,
            CapabilityKind::ChatToolbar | CapabilityKind::McpTools
        )
    });
    !local && !state.render.slots.contains_key(key)
}

/// Shows `key` without asking yet: it is rendered once the selection has rested on it.
pub fn render_later(state: &mut State, key: CapKey) {
    state.render.shown = Some(Shown::Cap(key.clone()));
    state.render.due = Some((key, state.now + RENDER_DEBOUNCE));
}

/// The debounced render, once it is due and still wanted.
pub fn due_render(state: &mut State) -> Vec<Effect> {
    let Some((key, at)) = state.render.due.clone() else {
        return Vec::new();
    };
    if state.now < at {
        return Vec::new();
    }
    state.render.due = None;
    if state.render.shown == Some(Shown::Cap(key.clone())) && needs_request(state, &key) {
        return render(state, &key);
    }
    Vec::new()
}

/// Focuses the first pressable thing of a UI that has no focus yet.
pub fn focus_first(r: &mut Rendered, width: u16) {
    if r.ui.focus().is_none() {
        let first = uiview::layout(&r.node, &r.ui, width)
            .targets
            .first()
            .map(|t| t.id.clone());
        r.ui.set_focus(first);
    }
}

/// Opens a modal with a nested JSON-UI, its first target focused.
pub fn open_ui_modal(state: &mut State, title: String, mut rendered: Rendered, cap: CapKey) {
    focus_first(
        &mut rendered,
        view::modal_body(view::layout_of(state).modal).width,
    );
    state.modal = Some(Modal::Ui {
        title,
        rendered: Box::new(rendered),
        cap,
    });
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

/// A request that got no usable answer: a render's slot says why; anything else says so in a
/// toast and the status bar (an event's Action pane record is `events`').
pub fn fail(state: &mut State, purpose: &Purpose, kind: FailKind, message: String) {
    match purpose {
        Purpose::Render(key) => {
            let previous = take_previous(state, key);
            state.render.slots.insert(
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
            state.toast(ToastKind::Error, text, TOAST * 2);
        }
    }
}

/// The outcome's failure kind and message, or the value it answered with.
pub fn answered(outcome: Outcome) -> Result<Value, (FailKind, String)> {
    match outcome {
        Outcome::Result { value } => Ok(value),
        other => Err((fail_kind(&other), other.summary())),
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

/// The answer to a render, a toolbar render, a tool run or a raw request (events are
/// `events::on_reply`'s).
pub fn on_reply(
    state: &mut State,
    purpose: Purpose,
    value: Value,
    latency: Duration,
    method: &str,
    ui: Option<Box<jsonui::Parsed<jsonui::Node>>>,
) -> Vec<Effect> {
    match purpose {
        Purpose::Render(key) => {
            let mut rendered = rendered_answer(state, &key, &value, method, latency, ui);
            // A re-render keeps the user's place, moved by keys pressed while it was on its way.
            if let Some(old) = take_previous(state, &key) {
                rendered.ui.keep_place(&old.ui);
            }
            state
                .render
                .slots
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
            state.toast(
                if ok {
                    ToastKind::Success
                } else {
                    ToastKind::Error
                },
                format!("{tool}: {}", crate::text::truncate_chars(&text, 60)),
                TOAST,
            );
            state.render.tool_runs.insert(
                cap.clone(),
                ToolRun {
                    tool,
                    ok,
                    text: format!("{text}{data}"),
                },
            );
            if state.render.shown == Some(Shown::Cap(cap.clone())) {
                return render(state, &cap);
            }
            Vec::new()
        }
        Purpose::Raw | Purpose::Event { .. } => {
            if value.get("template").is_some() {
                let parsed = ui.map_or_else(|| jsonui::parse_ui(&value), |b| *b);
                state.render.raw = Some(RenderSlot::Ready(Box::new(Rendered::new(
                    parsed.value,
                    parsed.diagnostics,
                    method.to_string(),
                    latency,
                ))));
                state.render.shown = Some(Shown::Raw);
                state.focus = Pane::Render;
            } else {
                state.toast(
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

/// A capability's render answer made ready to draw: JSON-UI parsed (or taken as parsed off
/// the loop, `ui`), a config answer drawn as its fields; either with its diagnostics.
pub fn rendered_answer(
    state: &State,
    key: &CapKey,
    value: &Value,
    method: &str,
    latency: Duration,
    ui: Option<Box<jsonui::Parsed<jsonui::Node>>>,
) -> Rendered {
    let json_ui = state
        .capability(key)
        .is_none_or(|c| c.kind.renders_json_ui());
    if json_ui {
        let parsed = ui.map_or_else(|| jsonui::parse_ui(value), |b| *b);
        Rendered::new(
            parsed.value,
            parsed.diagnostics,
            method.to_string(),
            latency,
        )
    } else {
        // Checked as `check` checks it (required fields of the config answer).
        let diagnostics = crate::check::validate::validate(method, value)
            .map(|v| v.diagnostics().to_vec())
            .unwrap_or_default();
        Rendered::new(config_node(value), diagnostics, method.to_string(), latency)
    }
}

/// A request typed in the composer or resent from the inspector, sent so its answer lands
/// where the same request from a click would: a capability's render in its slot (title and
/// marker as usual), an event's action carried out and validated, a tool's result in its
/// tools panel. Anything else is a raw request.
pub fn request_effects(
    state: &mut State,
    plugin_id: String,
    method: String,
    params: Value,
) -> Vec<Effect> {
    let purpose = purpose_of(state, &plugin_id, &method, &params);
    if let Purpose::Render(key) = &purpose {
        on_path(state, key);
        let previous = take_previous(state, key);
        state.render.slots.insert(
            key.clone(),
            RenderSlot::Pending {
                since: state.now,
                method: method.clone(),
                previous,
            },
        );
        state.render.shown = Some(Shown::Cap(key.clone()));
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
pub(crate) fn purpose_of(state: &State, plugin_id: &str, method: &str, params: &Value) -> Purpose {
    let Some(plugin) = state.plugin(plugin_id) else {
        return Purpose::Raw;
    };
    let nth = params
        .get("capability_index")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let find = |matches: &dyn Fn(&CapabilityKind) -> bool| {
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
        let Some((cap, _)) = find(&|k| *k == CapabilityKind::McpTools) else {
            return Purpose::Raw;
        };
        return Purpose::Tool {
            cap,
            tool: field("tool_name").unwrap_or_default(),
        };
    }
    if let Some((cap, kind)) = find(&|k| k.render_method().as_deref() == Some(method)) {
        return if kind == CapabilityKind::ChatToolbar {
            Purpose::ToolbarRender(cap)
        } else {
            Purpose::Render(cap)
        };
    }
    if let Some((cap, _)) = find(&|k| k.event_method() == method) {
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
pub fn request_of(log: &MessageLog, seq: u64) -> Option<(String, String, Value)> {
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
