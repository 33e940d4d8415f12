//! `tgo-console test --from-recording SESSION.jsonl`: a recorded session (`--record`) turned
//! into a scenario that sends the plugin every request the host sent it, in order, each with a
//! `{snapshot}` expectation. The steps are written the way a person would (`render`, `click`,
//! `select`, `submit`, `tool`) whenever the [`Player`] would send exactly the recorded request
//! for them; anything else is a `call` with the recorded params, so the replay is faithful.

use super::format::{ContextSpec, PluginLaunch, SelectTarget, StepAction};
use super::player::{Player, Prepared};
use super::write::{q, snapshot_name, step_yaml, y};
use crate::host::register::parse_register;
use crate::host::{Capability, ConnId, Direction, EntryKind, LogEntry, RenderContext};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;

/// What to generate.
#[derive(Clone, Debug)]
pub struct FromRecording {
    /// The plugin whose requests to replay (needed when the session has several).
    pub plugin: Option<String>,
    /// How the scenario starts the plugin.
    pub launch: PluginLaunch,
    /// Named in the scenario's name and header.
    pub source: String,
}

/// One host→plugin request of the session, with what came back.
struct Recorded {
    conn: ConnId,
    method: String,
    params: Value,
    /// The result, or `None` for an error or no answer.
    result: Option<Value>,
    error_code: Option<i64>,
}

fn frame(e: &LogEntry) -> Option<Value> {
    serde_json::from_slice(&e.raw).ok()
}

/// Methods that are the host's own business, not the plugin's behaviour.
const NOT_REPLAYED: [&str; 2] = ["register", "shutdown"];

/// Why a session gives no scenario.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("the session holds no request to any plugin")]
    NoRequests,
    #[error("the session has no request to plugin {plugin:?}; it has requests to: {known}", known = if .plugins.is_empty() { "none".to_string() } else { .plugins.join(", ") })]
    NoSuchPlugin {
        plugin: String,
        plugins: Vec<String>,
    },
    #[error("the session has requests to several plugins; pick one with --plugin: {}", .0.join(", "))]
    SeveralPlugins(Vec<String>),
}

/// The scenario text, or why there is none.
pub fn generate(entries: &[LogEntry], opts: &FromRecording) -> Result<String, GenerateError> {
    let answers: HashMap<u64, &LogEntry> = entries
        .iter()
        .filter(|e| e.dir == Direction::In)
        .filter_map(|e| e.pair.map(|p| (p, e)))
        .collect();
    let requests: Vec<&LogEntry> = entries
        .iter()
        .filter(|e| e.dir == Direction::Out)
        .filter(|e| matches!(&e.kind, EntryKind::Request { method, .. } if !NOT_REPLAYED.contains(&method.as_str())))
        .collect();
    let mut plugins: Vec<&str> = requests
        .iter()
        .filter_map(|e| e.plugin.as_deref())
        .collect();
    plugins.sort();
    plugins.dedup();
    let plugin = match (&opts.plugin, plugins.as_slice()) {
        (Some(p), _) if plugins.contains(&p.as_str()) => p.clone(),
        (Some(p), _) => {
            return Err(GenerateError::NoSuchPlugin {
                plugin: p.clone(),
                plugins: plugins.iter().map(|p| p.to_string()).collect(),
            });
        }
        (None, [one]) => one.to_string(),
        (None, []) => return Err(GenerateError::NoRequests),
        (None, many) => {
            return Err(GenerateError::SeveralPlugins(
                many.iter().map(|p| p.to_string()).collect(),
            ));
        }
    };
    let recorded: Vec<Recorded> = requests
        .iter()
        .filter(|e| e.plugin.as_deref() == Some(plugin.as_str()))
        .filter_map(|e| {
            let EntryKind::Request { method, .. } = &e.kind else {
                return None;
            };
            let params = frame(e)?.get("params").cloned().unwrap_or(json!({}));
            let answer = answers.get(&e.seq);
            let (result, error_code) = match answer.map(|a| &a.kind) {
                Some(EntryKind::Result { .. }) => (
                    answer
                        .and_then(|a| frame(a))
                        .and_then(|f| f.get("result").cloned()),
                    None,
                ),
                Some(EntryKind::Error { code, .. }) => (None, Some(*code)),
                _ => (None, None),
            };
            Some(Recorded {
                conn: e.conn,
                method: method.clone(),
                params,
                result,
                error_code,
            })
        })
        .collect();
    let registrations = registrations(entries);
    let context = context_of(&recorded);
    let mut player: Option<(ConnId, Player)> = None;
    let mut steps = String::new();
    for (i, r) in recorded.iter().enumerate() {
        // A reconnection (a restart) registers again: capabilities may have changed.
        if player.as_ref().is_none_or(|(c, _)| *c != r.conn) {
            let caps = registrations.get(&r.conn).cloned().unwrap_or_default();
            player = Some((r.conn, Player::new(&context, caps)));
        }
        let (_, p) = player.as_mut().expect("set above");
        let action = step_for(p, r);
        let prepared = p
            .prepare(&action)
            .expect("step_for only returns steps that prepare");
        p.observe(&prepared, r.result.as_ref());
        let _ = writeln!(steps, "  - {}", step_yaml(&action));
        let _ = writeln!(steps, "    expect:");
        match r.error_code {
            Some(code) => {
                let _ = writeln!(steps, "      - {{error_code: {code}}}");
            }
            None if r.result.is_some() => {
                let _ = writeln!(steps, "      - no_error");
            }
            None => {}
        }
        let _ = writeln!(
            steps,
            "      - {{snapshot: {}}}",
            snapshot_name(i + 1, &action)
        );
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated by `tgo-console test --from-recording {}`: every request the host sent {plugin}.",
        opts.source
    );
    let _ = writeln!(
        out,
        "# Run `tgo-console test --update` once to write the snapshots from the current build;"
    );
    let _ = writeln!(
        out,
        "# later runs compare every answer with them. Paths are relative to this file."
    );
    let _ = writeln!(
        out,
        "name: {}",
        q(&format!("{} replay of {plugin}", opts.source))
    );
    let _ = writeln!(out, "plugin:");
    match &opts.launch {
        PluginLaunch::Command(cmd) => {
            let _ = writeln!(out, "  command: {}", y(&Value::from(cmd.clone())));
        }
        PluginLaunch::Manifest(m) => {
            let _ = writeln!(out, "  manifest: {}", q(&m.display().to_string()));
        }
    }
    let ctx = serde_json::to_value(&context).unwrap_or_default();
    if let Some(map) = ctx.as_object().filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "context:");
        for (k, v) in map {
            let _ = writeln!(out, "  {k}: {}", y(v));
        }
    }
    let _ = writeln!(out, "steps:");
    out.push_str(&steps);
    Ok(out)
}

/// The capabilities registered on each connection.
fn registrations(entries: &[LogEntry]) -> HashMap<ConnId, Vec<Capability>> {
    entries
        .iter()
        .filter(|e| e.dir == Direction::In)
        .filter(|e| matches!(&e.kind, EntryKind::Request { method, .. } if method == "register"))
        .filter_map(|e| {
            let params = frame(e)?.get("params").cloned();
            let info = parse_register(params.as_ref()).ok()?;
            Some((e.conn, info.capabilities))
        })
        .collect()
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(String::from)
}

/// The context of the first request that carries one, as overrides of the defaults (only
/// what differs from what the defaults would send).
fn context_of(recorded: &[Recorded]) -> ContextSpec {
    let Some(p) = recorded
        .iter()
        .map(|r| &r.params)
        .find(|p| p.get("visitor_id").is_some())
    else {
        return ContextSpec::default();
    };
    let visitor_id = text(p, "visitor_id");
    let base = match &visitor_id {
        Some(v) => RenderContext::for_visitor(v),
        None => RenderContext::default(),
    };
    let differs = |got: Option<String>, default: &str| got.filter(|g| g != default);
    let ctx = p.get("context").cloned().unwrap_or(Value::Null);
    let agent = recorded.iter().find_map(|r| text(&r.params, "agent_id"));
    let mut spec = ContextSpec {
        visitor_id: differs(visitor_id, "v_12345"),
        session_id: differs(text(p, "session_id"), &base.session_id),
        language: differs(text(p, "language"), &base.language),
        channel_id: differs(text(&ctx, "channel_id"), &base.channel_id),
        channel_type: differs(text(&ctx, "channel_type"), &base.channel_type),
        platform_type: differs(text(&ctx, "platform_type"), &base.platform_type),
        agent_id: differs(agent, &base.agent_id),
        visitor: None,
    };
    // The visitor object: only the keys whose values the defaults would not send.
    if let Some(Value::Object(got)) = recorded
        .iter()
        .find_map(|r| r.params.get("visitor").cloned())
    {
        let defaults = spec.render_context().visitor();
        let changed: Map<String, Value> = got
            .into_iter()
            .filter(|(k, v)| defaults.get(k) != Some(v))
            .collect();
        if !changed.is_empty() {
            spec.visitor = Some(changed);
        }
    }
    spec
}

/// The most readable step that sends exactly the recorded request; else a `call`.
fn step_for(player: &Player, r: &Recorded) -> StepAction {
    let sends_it = |a: &StepAction| {
        player
            .prepare(a)
            .is_ok_and(|Prepared { method, params, .. }| method == r.method && params == r.params)
    };
    let p = &r.params;
    let mut candidates = Vec::new();
    if r.method.ends_with("/render")
        || matches!(
            r.method.as_str(),
            "sidebar_iframe/config" | "channel_integration/manifest"
        )
    {
        // By title first (readable), the type when titles repeat.
        if let Some(kind) = r.method.split('/').next() {
            candidates.push(StepAction::Render(kind.to_string()));
        }
        let index = p
            .get("capability_index")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if let Some(cap) = player_caps_title(player, &r.method, index as usize) {
            candidates.insert(0, StepAction::Render(cap));
        }
    } else if r.method.ends_with("/event") {
        let action_id = text(p, "action_id").unwrap_or_default();
        match p.get("event_type").and_then(Value::as_str) {
            Some("button_click") => candidates.push(StepAction::Click(action_id)),
            Some("item_select") => {
                if let Some(id) = text(p, "selected_id") {
                    candidates.push(StepAction::Select(SelectTarget::Id(id)));
                }
            }
            Some("form_submit") => candidates.push(StepAction::Submit {
                form: Some(action_id),
                data: p
                    .get("form_data")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            }),
            _ => {}
        }
    } else if r.method == "tool/execute"
        && let Some(name) = text(p, "tool_name")
    {
        candidates.push(StepAction::Tool {
            name,
            arguments: p.get("arguments").cloned().unwrap_or(json!({})),
        });
    }
    candidates
        .into_iter()
        .find(|a| sends_it(a))
        .unwrap_or_else(|| StepAction::Call {
            method: r.method.clone(),
            params: r.params.clone(),
        })
}

/// The title of the `index`-th capability rendered by `method`, when no other has it.
fn player_caps_title(player: &Player, method: &str, index: usize) -> Option<String> {
    let caps = player.capabilities();
    let title = caps
        .iter()
        .filter(|c| c.kind.render_method().as_deref() == Some(method))
        .nth(index)?
        .title
        .clone();
    (caps.iter().filter(|c| c.title == title).count() == 1).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::format::parse;
    use bytes::Bytes;
    use std::path::Path;

    fn entry(
        seq: u64,
        dir: Direction,
        conn: ConnId,
        plugin: Option<&str>,
        raw: Value,
        kind: EntryKind,
    ) -> LogEntry {
        let mut e = LogEntry::new(
            dir,
            conn,
            plugin.map(String::from),
            Bytes::from(raw.to_string()),
            kind,
        );
        e.seq = seq;
        e
    }

    fn session() -> Vec<LogEntry> {
        use crate::protocol::Id;
        let ctx = RenderContext::for_visitor("v_42");
        let register = json!({"jsonrpc": "2.0", "id": 1, "method": "register", "params": {
            "id": "p", "name": "p", "version": "1", "capabilities": [
                {"type": "visitor_panel", "title": "Orders"},
                {"type": "mcp_tools", "title": "T", "tools": [{"name": "lookup", "title": "L"}]}]}});
        let ui = json!({"template": "button", "data": {"label": "View", "action_id": "view_all"}});
        let mut out = vec![entry(
            1,
            Direction::In,
            7,
            None,
            register,
            EntryKind::Request {
                id: Id::Num(1),
                method: "register".into(),
            },
        )];
        let mut seq = 2;
        let mut exchange = |out: &mut Vec<LogEntry>, method: &str, params: Value, answer: Value| {
            let req = json!({"jsonrpc": "2.0", "id": seq, "method": method, "params": params});
            out.push(entry(
                seq,
                Direction::Out,
                7,
                Some("p"),
                req,
                EntryKind::Request {
                    id: Id::Num(seq as i64),
                    method: method.into(),
                },
            ));
            let mut resp = entry(
                seq + 1,
                Direction::In,
                7,
                Some("p"),
                answer.clone(),
                if answer.get("error").is_some() {
                    EntryKind::Error {
                        id: Some(Id::Num(seq as i64)),
                        code: answer["error"]["code"].as_i64().unwrap(),
                        message: "x".into(),
                    }
                } else {
                    EntryKind::Result {
                        id: Some(Id::Num(seq as i64)),
                    }
                },
            );
            resp.pair = Some(seq);
            out.push(resp);
            seq += 2;
        };
        exchange(
            &mut out,
            "visitor_panel/render",
            ctx.render_params(&crate::host::CapabilityKind::VisitorPanel),
            json!({"jsonrpc": "2.0", "id": 2, "result": ui}),
        );
        exchange(
            &mut out,
            "visitor_panel/event",
            ctx.event_params(&crate::host::UiEvent::button_click("view_all")),
            json!({"jsonrpc": "2.0", "id": 4, "result": {"action": "noop", "data": {}}}),
        );
        // A click on a button that is not on screen: replayed as the exact call.
        exchange(
            &mut out,
            "visitor_panel/event",
            ctx.event_params(&crate::host::UiEvent::button_click("ghost")),
            json!({"jsonrpc": "2.0", "id": 6, "result": {"action": "noop", "data": {}}}),
        );
        exchange(
            &mut out,
            "tool/execute",
            ctx.tool_params("lookup", json!({"q": 1})),
            json!({"jsonrpc": "2.0", "id": 8, "result": {"success": true, "content": "ok"}}),
        );
        exchange(
            &mut out,
            "ping",
            json!({}),
            json!({"jsonrpc": "2.0", "id": 10, "error": {"code": -32601, "message": "no"}}),
        );
        out
    }

    #[test]
    fn a_session_becomes_readable_steps_that_parse() {
        let opts = FromRecording {
            plugin: None,
            launch: PluginLaunch::Command(vec!["python3".into(), "main.py".into()]),
            source: "s.jsonl".into(),
        };
        let text = generate(&session(), &opts).unwrap();
        for line in [
            "name: \"s.jsonl replay of p\"",
            "  command: [\"python3\",\"main.py\"]",
            "context:\n  visitor_id: \"v_42\"\nsteps:",
            "  - render: \"Orders\"\n    expect:\n      - no_error\n      - {snapshot: 01-render-orders}",
            "  - click: \"view_all\"",
            "  - call: {method: \"visitor_panel/event\", params: {",
            "  - tool: {name: \"lookup\", arguments: {\"q\":1}}",
            "  - call: {method: \"ping\", params: {}}\n    expect:\n      - {error_code: -32601}\n      - {snapshot: 05-call-ping}",
        ] {
            assert!(text.contains(line), "no {line:?} in\n{text}");
        }
        let s = parse(&text, Path::new("s.scenario.yml")).unwrap();
        assert_eq!(s.steps.len(), 5);
        assert_eq!(s.context.visitor_id.as_deref(), Some("v_42"));
    }

    #[test]
    fn several_plugins_need_a_choice() {
        let mut entries = session();
        let mut other = entries[1].clone();
        other.plugin = Some("q".into());
        other.seq = 100;
        entries.push(other);
        let opts = FromRecording {
            plugin: None,
            launch: PluginLaunch::Manifest("plugin.yml".into()),
            source: "s.jsonl".into(),
        };
        let e = generate(&entries, &opts).unwrap_err().to_string();
        assert!(e.contains("pick one with --plugin: p, q"), "{e}");
        let chosen = FromRecording {
            plugin: Some("nope".into()),
            ..opts
        };
        assert_eq!(
            generate(&entries, &chosen).unwrap_err().to_string(),
            "the session has no request to plugin \"nope\"; it has requests to: p, q"
        );
        assert_eq!(
            generate(&[], &chosen).unwrap_err().to_string(),
            "the session has no request to plugin \"nope\"; it has requests to: none"
        );
    }
}
