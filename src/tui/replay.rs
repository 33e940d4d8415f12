//! `tgo-console replay FILE.jsonl`: a recording opened read-only. The plugins it registered,
//! the inspector over every recorded frame, and the JSON-UI of every recorded render drawn as
//! it was (the last render of each capability; the first visitor panel shown).

use super::msg::CapKey;
use super::state::{
    EventOutcome, EventRecord, Liveness, PluginView, RenderSlot, Rendered, Replay, Row, Shown,
    State, ToastKind,
};
use super::theme::Theme;
use crate::host::register::parse_register;
use crate::host::{Direction, EntryKind, LogEntry, RenderContext};
use crate::jsonui;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

fn json(e: &LogEntry) -> Option<Value> {
    serde_json::from_slice(&e.raw).ok()
}

/// The console's state as the recording left it.
pub fn replay_state(theme: Theme, entries: &[LogEntry], source: &str, log_path: String) -> State {
    let mut state = State::new(
        theme,
        RenderContext::default(),
        vec![format!("replay of {source}")],
        log_path,
    );
    state.session.read_only = true;
    // A proxy's recording: each frame says which leg it crossed, as it did live.
    state.inspector.parties = entries
        .iter()
        .any(|e| e.party == crate::host::Party::Upstream);
    let mut replay = Replay {
        source: source.to_string(),
        messages: entries.len(),
        ..Replay::default()
    };
    let by_seq: HashMap<u64, &LogEntry> = entries.iter().map(|e| (e.seq, e)).collect();
    // A request is often recorded before its answer arrived: the answer carries the pair.
    let answered_by: HashMap<u64, u64> = entries
        .iter()
        .filter_map(|e| Some((e.pair?, e.seq)))
        .collect();
    // Registrations: the plugin's `register` and the host's answer naming the plugin id.
    let mut pending_register: HashMap<u64, Value> = HashMap::new();
    for e in entries {
        match (&e.kind, e.dir) {
            (EntryKind::Request { method, .. }, Direction::In) if method == "register" => {
                if let Some(params) = json(e).and_then(|v| v.get("params").cloned()) {
                    pending_register.insert(e.conn, params);
                }
            }
            (EntryKind::Result { .. }, Direction::Out)
                if pending_register.contains_key(&e.conn) =>
            {
                let params = pending_register.remove(&e.conn);
                let id = json(e).and_then(|v| v["result"]["plugin_id"].as_str().map(String::from));
                if let (Some(params), Some(plugin_id)) = (params, id)
                    && let Ok(info) = parse_register(Some(&params))
                {
                    state.plugins.retain(|p| p.plugin_id != plugin_id);
                    state.plugins.push(PluginView {
                        plugin_id,
                        name: info.name,
                        version: info.version,
                        description: info.description,
                        author: info.author,
                        generated_id: info.requested_id.is_none(),
                        conn: e.conn,
                        liveness: Liveness::Disconnected("recorded".into()),
                        capabilities: info.capabilities,
                        replaced: 0,
                        register_notes: info.notes,
                        upstream_lost: false,
                    });
                }
            }
            _ => {}
        }
    }
    // Renders and events: each recorded request with its paired answer.
    let mut recorded_ctx = None;
    for e in entries {
        let (EntryKind::Request { method, .. }, Direction::Out, Some(plugin_id)) =
            (&e.kind, e.dir, &e.plugin)
        else {
            continue;
        };
        let partner = e.pair.or_else(|| answered_by.get(&e.seq).copied());
        let Some(answer) = partner.and_then(|p| by_seq.get(&p)).and_then(|a| json(a)) else {
            continue;
        };
        let Some(result) = answer.get("result") else {
            continue;
        };
        let latency = e.latency.unwrap_or(Duration::ZERO);
        let Some(plugin) = state.plugin(plugin_id) else {
            continue;
        };
        let params = json(e)
            .and_then(|v| v.get("params").cloned())
            .unwrap_or(Value::Null);
        if method.ends_with("/render") {
            // The top bar shows the context of the last recorded render.
            if let Some(ctx) = RenderContext::from_render_params(&params) {
                recorded_ctx = Some(ctx);
            }
            let wanted = params
                .get("capability_index")
                .and_then(Value::as_u64)
                .unwrap_or(0) as usize;
            let index = plugin
                .capabilities
                .iter()
                .enumerate()
                .filter(|(_, c)| c.kind.render_method().as_deref() == Some(method.as_str()))
                .nth(wanted)
                .map(|(i, _)| i);
            if let Some(index) = index {
                let key = CapKey {
                    plugin_id: plugin_id.clone(),
                    index,
                };
                let parsed = jsonui::parse_ui(result);
                let rendered =
                    Rendered::new(parsed.value, parsed.diagnostics, method.clone(), latency);
                state
                    .render
                    .slots
                    .insert(key, RenderSlot::Ready(Box::new(rendered)));
            }
        } else if method.ends_with("/event") {
            let parsed = jsonui::parse_action(result);
            let field = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("?");
            let sent = format!("{} · {}", field("event_type"), field("action_id"));
            state.activity.last_event = Some(EventRecord {
                plugin_id: plugin_id.clone(),
                method: method.clone(),
                sent,
                since: std::time::Instant::now(),
                outcome: EventOutcome::Action {
                    action: parsed.value,
                    diagnostics: parsed.diagnostics,
                    latency,
                },
            });
        }
    }
    if let Some(key) = state.render.slots.keys().next().cloned() {
        state.selected = Some(Row::Capability(key.clone()));
        state.render.shown = Some(Shown::Cap(key));
    }
    if let Some(ctx) = recorded_ctx {
        state.ctx = ctx;
        replay.recorded_context = true;
    }
    state.recent_visitors = vec![super::context_edit::RecentVisitor::of(&state.ctx)];
    state.session.replay = Some(replay);
    state
}

/// Says which lines of the recording could not be read: in the status bar, and in a toast
/// that names them (each is also an `invalid` entry of the inspector).
pub fn note_bad_lines(state: &mut State, bad: &[crate::record::BadLine]) {
    let Some(replay) = state.session.replay.as_mut() else {
        return;
    };
    replay.bad_lines = bad.iter().map(|b| b.line).collect();
    let Some(first) = bad.first() else { return };
    let n = bad.len();
    let lines: Vec<String> = bad.iter().take(8).map(|b| b.line.to_string()).collect();
    let more = if n > 8 { ", …" } else { "" };
    state.set_error(format!("{n} unreadable line(s): see the inspector"));
    let text = format!(
        "{n} unreadable line(s), line {}{more}; the first: {} (all are in the inspector)",
        lines.join(", "),
        first.why
    );
    state.toast(ToastKind::Error, text, Duration::from_secs(10));
}
