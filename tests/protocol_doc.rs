//! docs/protocol.md and docs/cheatsheet.md cannot drift: every ```json block in them is checked
//! with the console's own readers, by the kind its info string gives:
//!
//! - `json ui` / `json action`: a JSON-UI / JSON-ACTION with no diagnostic at all;
//! - `json ui console-only` / `json action console-only`: only "the TGO web UI does not draw /
//!   carry out this" warnings (at least one);
//! - `json ui wrong` / `json action wrong`: a deliberate mistake, followed by a ```text block
//!   holding exactly its diagnostics as `check` prints them;
//! - `json rpc`: a JSON-RPC message read with no lenient form (a `register` must be accepted
//!   with no note);
//! - `json capability`: one capability, accepted by `register` with no note;
//! - `json params METHOD`: exactly the params the console sends for METHOD;
//! - `json`: any other JSON (answers of tools and configs).
//!
//! And every template, action, capability field and event type has an example.

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use tgo_console::host::UiEvent;
use tgo_console::host::register::parse_register;
use tgo_console::host::{CapabilityKind, RenderContext};
use tgo_console::jsonui::{
    Diagnostic, FieldType, Form, KNOWN_ACTIONS, KNOWN_TEMPLATES, Node, Severity,
    WEB_UI_UNSUPPORTED_ACTIONS, parse_action, parse_ui,
};
use tgo_console::protocol::jsonrpc::{self, Message};

const PROTOCOL: &str = include_str!("../docs/protocol.md");
const CHEATSHEET: &str = include_str!("../docs/cheatsheet.md");

/// A fenced block: its info string, its text, and the line it starts on.
struct Block {
    info: String,
    text: String,
    line: usize,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in doc.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                open = Some(Block {
                    info: line.trim_start()[3..].trim().to_string(),
                    text: String::new(),
                    line: i + 1,
                })
            }
            (Some(_), true) => out.extend(open.take()),
            (Some(b), false) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            (None, false) => {}
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    out
}

fn is_web_ui_note(d: &Diagnostic) -> bool {
    d.severity == Severity::Warning && d.message.contains("by the TGO web UI")
}

fn printed(diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            let sev = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            format!("{sev} {d}")
        })
        .collect()
}

/// What the examples of one document covered.
#[derive(Default)]
struct Seen {
    templates: BTreeSet<String>,
    actions: BTreeSet<String>,
    capability_fields: BTreeSet<String>,
    event_types: BTreeSet<String>,
    methods: BTreeSet<String>,
    /// Forms of the JSON-UI examples, by the `action_id` they submit with.
    forms: Vec<(String, Form)>,
    /// `form_data` of the `form_submit` examples, with the `action_id` and where they are.
    submits: Vec<(String, Map<String, Value>, String)>,
}

/// Every template and action name in a JSON-UI / JSON-ACTION value.
fn names(v: &Value, seen: &mut Seen) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(t)) = map.get("template") {
                seen.templates.insert(t.clone());
            }
            if let Some(Value::String(a)) = map.get("action") {
                seen.actions.insert(a.clone());
            }
            map.values().for_each(|c| names(c, seen));
        }
        Value::Array(items) => items.iter().for_each(|c| names(c, seen)),
        _ => {}
    }
}

/// The params the console sends for `method`, built the way the console builds them, from the
/// example's own interaction (event) or tool call.
fn console_params(method: &str, example: &Value) -> Value {
    let ctx = RenderContext::default();
    match method {
        "visitor_panel/render" => ctx.render_params(&CapabilityKind::VisitorPanel),
        "chat_toolbar/render" => ctx.render_params(&CapabilityKind::ChatToolbar),
        "visitor_panel/event" | "chat_toolbar/event" => {
            let text = |k: &str| example[k].as_str().unwrap_or_default().to_string();
            ctx.event_params(&UiEvent {
                event_type: text("event_type"),
                action_id: text("action_id"),
                selected_id: example["selected_id"].as_str().map(str::to_string),
                form_data: example["form_data"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            })
        }
        "tool/execute" => ctx.tool_params(
            example["tool_name"].as_str().unwrap_or_default(),
            example["arguments"].clone(),
        ),
        other => panic!("no params known for {other}"),
    }
}

fn check_doc(name: &str, doc: &str) -> Seen {
    let all = blocks(doc);
    let mut seen = Seen::default();
    let mut json_blocks = 0;
    for (i, b) in all.iter().enumerate() {
        let mut words = b.info.split_whitespace();
        if words.next() != Some("json") {
            continue;
        }
        json_blocks += 1;
        let at = format!("{name}:{}", b.line);
        let value: Value = serde_json::from_str(&b.text)
            .unwrap_or_else(|e| panic!("{at}: not JSON: {e}\n{}", b.text));
        let kind: Vec<&str> = words.collect();
        match kind.as_slice() {
            [] => {}
            [what @ ("ui" | "action"), rest @ ..] => {
                let diags = if *what == "ui" {
                    parse_ui(&value).diagnostics
                } else {
                    parse_action(&value).diagnostics
                };
                match rest {
                    [] => assert!(diags.is_empty(), "{at}: {:#?}", printed(&diags)),
                    ["console-only"] => assert!(
                        !diags.is_empty() && diags.iter().all(is_web_ui_note),
                        "{at}: expected only web-UI notes, got {:#?}",
                        printed(&diags)
                    ),
                    ["wrong"] => {
                        assert!(!diags.is_empty(), "{at}: marked wrong but is clean");
                        let next = all.get(i + 1).filter(|n| n.info == "text");
                        let shown = next.unwrap_or_else(|| {
                            panic!("{at}: a wrong example is followed by a ```text block of its diagnostics")
                        });
                        let lines: Vec<&str> = shown.text.lines().collect();
                        assert_eq!(lines, printed(&diags), "{at}: the diagnostics shown");
                    }
                    other => panic!("{at}: unknown marker {other:?}"),
                }
                if rest != ["wrong"] {
                    names(&value, &mut seen);
                    if *what == "ui" {
                        forms(&parse_ui(&value).value, &mut seen.forms);
                    }
                }
            }
            ["rpc"] => {
                let incoming = jsonrpc::parse(b.text.trim().as_bytes())
                    .unwrap_or_else(|e| panic!("{at}: not a JSON-RPC message: {e}"));
                assert!(incoming.notes.is_empty(), "{at}: {:?}", incoming.notes);
                if let Message::Request { method, params, .. } = incoming.message {
                    seen.methods.insert(method.clone());
                    if method == "register" {
                        let info = parse_register(params.as_ref())
                            .unwrap_or_else(|e| panic!("{at}: register refused: {e}"));
                        assert!(info.notes.is_empty(), "{at}: {:?}", info.notes);
                    }
                }
            }
            ["capability"] => {
                let params =
                    json!({"id": "x", "name": "x", "version": "1", "capabilities": [value]});
                let info = parse_register(Some(&params))
                    .unwrap_or_else(|e| panic!("{at}: register refused: {e}"));
                assert!(info.notes.is_empty(), "{at}: {:?}", info.notes);
                if let Value::Object(map) = &value {
                    seen.capability_fields.extend(map.keys().cloned());
                }
            }
            ["params", method] => {
                assert_eq!(
                    value,
                    console_params(method, &value),
                    "{at}: not what the console sends for {method}"
                );
                seen.methods.insert(method.to_string());
                if let Some(t) = value["event_type"].as_str() {
                    seen.event_types.insert(t.to_string());
                }
                if value["event_type"] == "form_submit" {
                    let data = value["form_data"].as_object().cloned().unwrap_or_default();
                    let action_id = value["action_id"].as_str().unwrap_or_default();
                    seen.submits.push((action_id.to_string(), data, at.clone()));
                }
            }
            other => panic!("{at}: unknown json block kind {other:?}"),
        }
    }
    assert!(json_blocks > 0, "{name}: no json block found");
    for (action_id, data, at) in &seen.submits {
        let form = seen.forms.iter().find(|(id, _)| id == action_id);
        let (_, form) = form.unwrap_or_else(|| panic!("{at}: no form example submits {action_id}"));
        check_form_data(form, data, at);
    }
    seen
}

fn forms(node: &Node, out: &mut Vec<(String, Form)>) {
    match node {
        Node::Form(f) => {
            let id = f.action_id.clone().unwrap_or_else(|| "submit".into());
            out.push((id, f.clone()));
        }
        Node::Group(g) => g.items.iter().for_each(|n| forms(n, out)),
        Node::Tabs(t) => t.items.iter().for_each(|tab| forms(&tab.content, out)),
        _ => {}
    }
}

/// A `form_submit` example holds every field of its form, typed as the console sends it.
fn check_form_data(form: &Form, data: &Map<String, Value>, at: &str) {
    let names: BTreeSet<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    let keys: BTreeSet<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(
        keys, names,
        "{at}: form_data keys are the form's field names"
    );
    for f in &form.fields {
        let v = &data[&f.name];
        let ok = match f.kind {
            FieldType::Number => v.is_number() || v.is_null(),
            FieldType::Checkbox | FieldType::Switch => v.is_boolean(),
            FieldType::Select | FieldType::Radio => v
                .as_str()
                .is_some_and(|s| s.is_empty() || f.options.iter().any(|o| o.value == s)),
            FieldType::Hidden => Some(v) == f.default.as_ref(),
            _ => v.is_string(),
        };
        assert!(
            ok,
            "{at}: form_data.{} = {v} does not fit a {} field",
            f.name,
            f.kind.as_str()
        );
    }
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_protocol_md_example_is_valid_and_everything_has_one() {
    let seen = check_doc("docs/protocol.md", PROTOCOL);
    assert_eq!(
        seen.templates,
        set(KNOWN_TEMPLATES),
        "templates with an example"
    );
    assert_eq!(seen.actions, set(KNOWN_ACTIONS), "actions with an example");
    let fields = set(&[
        "type",
        "title",
        "icon",
        "priority",
        "tooltip",
        "shortcut",
        "url",
        "width",
        "tools",
        "refresh_on",
    ]);
    assert_eq!(seen.capability_fields, fields, "capability fields");
    assert_eq!(
        seen.event_types,
        set(&["button_click", "item_select", "form_submit"])
    );
    for method in [
        "register",
        "ping",
        "visitor_panel/render",
        "chat_toolbar/render",
        "visitor_panel/event",
        "chat_toolbar/event",
        "tool/execute",
    ] {
        assert!(seen.methods.contains(method), "no example of {method}");
    }
}

#[test]
fn every_cheatsheet_example_is_valid() {
    let seen = check_doc("docs/cheatsheet.md", CHEATSHEET);
    assert!(!seen.templates.is_empty());
}

/// Each template heading's "(web UI: yes|no)" agrees with how its examples validate.
#[test]
fn web_ui_labels_match_the_examples() {
    let mut label: Option<bool> = None;
    let mut checked = 0;
    for (i, line) in PROTOCOL.lines().enumerate() {
        if line.starts_with('#') {
            label = if line.contains("(web UI: yes") {
                Some(true)
            } else if line.contains("(web UI: no") {
                Some(false)
            } else {
                None
            };
        } else if let (Some(yes), Some(info)) = (label, line.strip_prefix("```json ui")) {
            if info.trim() == "wrong" {
                continue;
            }
            assert_eq!(
                info.trim() != "console-only",
                yes,
                "docs/protocol.md:{}: the heading's web-UI label and the example disagree",
                i + 1
            );
            checked += 1;
        }
    }
    assert_eq!(checked, KNOWN_TEMPLATES.len());
    // And the action table's web-UI column names the one action the web UI skips.
    for a in WEB_UI_UNSUPPORTED_ACTIONS {
        let row = PROTOCOL
            .lines()
            .find(|l| l.starts_with(&format!("| `{a}` |")))
            .unwrap_or_else(|| panic!("no table row for {a}"));
        assert!(row.contains("ignores it"), "{row}");
    }
}
