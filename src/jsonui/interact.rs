//! Everything a user can press in a JSON-UI, and the event each press sends to the plugin.
//!
//! Both the headless `check` (which presses things to exercise a plugin's event handler) and
//! the UI (for keyboard navigation) need the same list, so it is derived here, once.

use serde_json::{Map, Value};

use super::model::*;

/// What pressing an interaction sends to the plugin's `*/event` method.
#[derive(Debug, Clone, PartialEq)]
pub enum InteractionKind {
    /// `event_type: "button_click"`.
    ButtonClick {
        /// Sent as `action_id`.
        action_id: String,
    },
    /// `event_type: "item_select"` (list item, cards item, table row).
    ItemSelect {
        /// The container's click action, sent as `action_id` when it has one.
        action_id: Option<String>,
        /// Sent as `selected_id`.
        selected_id: String,
    },
    /// `event_type: "form_submit"`.
    FormSubmit {
        /// The form's `action_id`, or `"submit"`.
        action_id: String,
        /// The fields' default values (fields without a default are left out).
        form_data: Map<String, Value>,
    },
}

/// One pressable thing.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// The event it sends.
    pub kind: InteractionKind,
    /// What the user sees on it.
    pub label: String,
    /// Not pressable (disabled, or a button still loading).
    pub disabled: bool,
    /// Confirmation text to ask before sending.
    pub confirm: Option<String>,
}

/// Every interaction in `node`, depth-first in display order (all tabs, not just the open one).
pub fn interactions(node: &Node) -> Vec<Interaction> {
    let mut out = Vec::new();
    collect(node, &mut out);
    out
}

/// Every form in `node`, in display order (all tabs, not just the open one).
pub fn forms(node: &Node) -> Vec<&Form> {
    let mut out = Vec::new();
    collect_forms(node, &mut out);
    out
}

fn collect_forms<'a>(node: &'a Node, out: &mut Vec<&'a Form>) {
    match node {
        Node::Form(f) => out.push(f),
        Node::Group(g) => g.items.iter().for_each(|n| collect_forms(n, out)),
        Node::Tabs(t) => t
            .items
            .iter()
            .for_each(|tab| collect_forms(&tab.content, out)),
        _ => {}
    }
}

/// Just the button clicks of [`interactions`].
pub fn buttons(node: &Node) -> Vec<Interaction> {
    interactions(node)
        .into_iter()
        .filter(|i| matches!(i.kind, InteractionKind::ButtonClick { .. }))
        .collect()
}

fn click(action_id: &str, label: &str, disabled: bool, confirm: Option<&String>) -> Interaction {
    Interaction {
        kind: InteractionKind::ButtonClick {
            action_id: action_id.to_string(),
        },
        label: label.to_string(),
        disabled,
        confirm: confirm.cloned(),
    }
}

/// An item selection; an item with no caption is labelled by its id, so it can still be told
/// apart from its neighbours.
fn select(action_id: &Option<String>, selected_id: &str, label: &str) -> Interaction {
    let label = if label.is_empty() { selected_id } else { label };
    Interaction {
        kind: InteractionKind::ItemSelect {
            action_id: action_id.clone(),
            selected_id: selected_id.to_string(),
        },
        label: label.to_string(),
        disabled: false,
        confirm: None,
    }
}

fn action_button(b: &ActionButton) -> Interaction {
    click(&b.id, &b.label, b.disabled || b.loading, b.confirm.as_ref())
}

// Recursion follows the node tree, whose depth the parser already bounded.
fn collect(node: &Node, out: &mut Vec<Interaction>) {
    match node {
        Node::Button(b) => out.push(click(&b.action_id, &b.label, b.disabled, None)),
        Node::Action(bar) => out.extend(bar.buttons.iter().map(action_button)),
        Node::Group(g) => g.items.iter().for_each(|n| collect(n, out)),
        Node::Tabs(t) => t.items.iter().for_each(|tab| collect(&tab.content, out)),
        Node::Card(c) => out.extend(c.actions.iter().map(action_button)),
        Node::Empty(e) => {
            if let Some(a) = &e.action {
                out.push(click(&a.id, &a.label, false, None));
            }
        }
        Node::Table(t) => {
            for row in &t.rows {
                if let Some(id) = &row.row_id {
                    let label = row
                        .cells
                        .iter()
                        .map(|c| c.text.as_str())
                        .find(|t| !t.is_empty());
                    out.push(select(&t.row_click_action, id, label.unwrap_or("")));
                }
            }
        }
        Node::Cards(c) => {
            for item in &c.items {
                if let Some(id) = &item.id {
                    out.push(select(&c.item_click_action, id, &item.title));
                }
            }
        }
        Node::List(l) => {
            for item in &l.items {
                if let Some(id) = &item.id {
                    out.push(select(&None, id, item.caption()));
                }
            }
            if l.show_more
                && let Some(more) = &l.more_action
            {
                out.push(click(more, "More", false, None));
            }
        }
        Node::Form(f) => {
            let mut form_data = Map::new();
            for field in &f.fields {
                if let Some(default) = &field.default {
                    // First field wins on a duplicate name, as the parser already reported.
                    form_data
                        .entry(field.name.clone())
                        .or_insert_with(|| default.clone());
                }
            }
            out.push(Interaction {
                kind: InteractionKind::FormSubmit {
                    action_id: f.action_id.clone().unwrap_or_else(|| "submit".to_string()),
                    form_data,
                },
                label: f
                    .submit_text
                    .clone()
                    .unwrap_or_else(|| "Submit".to_string()),
                disabled: false,
                confirm: None,
            });
        }
        Node::Text(_)
        | Node::KeyValue(_)
        | Node::Link(_)
        | Node::Links(_)
        | Node::Markdown(_)
        | Node::Timeline(_)
        | Node::Stats(_)
        | Node::Loading(_)
        | Node::Unknown { .. }
        | Node::Invalid { .. } => {}
    }
}

/// What a form sends when nothing was typed into it: every field at its `default`, read as its
/// type needs (numbers as numbers, switches and checkboxes as booleans, choices as the option's
/// value), the way the console's form sends it: empty text as `""`, an empty number as `null`,
/// no choice as `""`, an unset switch as `false`. Duplicate names: the first field wins.
pub fn default_form_data(form: &Form) -> Map<String, Value> {
    form_data_with(form, |_| None)
}

/// Values a conformance run fills a form with: each field's `default` when it has one, else a
/// plausible value of its type (`"test"`, `1`, the first option, `true`, an ISO date), so that
/// required fields are filled and the plugin's submit handler really runs.
pub fn sample_form_data(form: &Form) -> Map<String, Value> {
    form_data_with(form, |field| {
        Some(match field.kind {
            FieldType::Number => Value::from(1),
            FieldType::Select | FieldType::Radio => {
                Value::String(field.options.first().map(|o| o.value.clone())?)
            }
            FieldType::Checkbox | FieldType::Switch => Value::Bool(true),
            FieldType::Date => Value::String("2025-01-15".into()),
            FieldType::Datetime => Value::String("2025-01-15T10:30:00".into()),
            FieldType::Hidden => return None,
            _ => Value::String("test".into()),
        })
    })
}

/// A field's value when nothing was chosen: `sample` gives one for fields without a default.
fn form_data_with(form: &Form, sample: impl Fn(&FormField) -> Option<Value>) -> Map<String, Value> {
    let mut data = Map::new();
    for field in &form.fields {
        if data.contains_key(&field.name) {
            continue;
        }
        let value = match field.default.as_ref().filter(|d| !d.is_null()) {
            Some(d) => typed_default(field, d),
            None => sample(field).unwrap_or_else(|| empty_value(&field.kind)),
        };
        data.insert(field.name.clone(), value);
    }
    data
}

/// What an untouched field of this type submits.
fn empty_value(kind: &FieldType) -> Value {
    match kind {
        FieldType::Number | FieldType::Hidden => Value::Null,
        FieldType::Checkbox | FieldType::Switch => Value::Bool(false),
        _ => Value::String(String::new()),
    }
}

/// A field's `default` as its type submits it.
fn typed_default(field: &FormField, d: &Value) -> Value {
    let text = || match d {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match field.kind {
        FieldType::Hidden => d.clone(),
        FieldType::Checkbox | FieldType::Switch => Value::Bool(match d {
            Value::Bool(b) => *b,
            Value::String(s) => matches!(s.as_str(), "true" | "1" | "on" | "yes"),
            Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
            _ => false,
        }),
        FieldType::Number => match d {
            Value::Number(_) => d.clone(),
            _ => text()
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text().trim().parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::String(text())),
        },
        FieldType::Select | FieldType::Radio => {
            // The console can only hold one of the options; a default outside them is no choice.
            let want = text();
            let known = field.options.iter().any(|o| o.value == want);
            Value::String(if known { want } else { String::new() })
        }
        _ => Value::String(text()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jsonui::parse_ui;

    fn click_id(i: &Interaction) -> &str {
        match &i.kind {
            InteractionKind::ButtonClick { action_id } => action_id,
            other => panic!("not a click: {other:?}"),
        }
    }

    #[test]
    fn every_pressable_thing_in_display_order() {
        let p = parse_ui(&json!({"template": "group", "data": {"items": [
            {"template": "button", "data": {"label": "One", "action_id": "one"}},
            {"template": "tabs", "data": {"default_tab": "b", "items": [
                {"key": "a", "label": "A", "content":
                    {"template": "button", "data": {"label": "In A", "action_id": "in_a",
                                                     "disabled": true}}},
                {"key": "b", "label": "B", "content":
                    {"template": "card", "data": {"actions": [
                        {"id": "buy", "label": "Buy", "confirm": "Sure?"},
                        {"id": "wait", "label": "Wait", "loading": true}
                    ]}}}
            ]}},
            {"template": "table", "data": {
                "columns": [{"key": "name", "label": "Name"}],
                "rows": [{"id": "r1", "name": "Row one"}, {"name": "no id"}, {"key": "r3"}],
                "row_click_action": "open_row"
            }},
            {"template": "cards", "data": {"items": [{"id": "c1", "title": "Card one"},
                                                      {"title": "no id"}]}},
            {"template": "list", "data": {"items": [{"id": "l1", "text": "Item"},
                                                     {"title": "no id"}],
                                          "show_more": true, "more_action": "more"}},
            {"template": "form", "data": {"fields": [
                {"name": "q", "label": "Q", "default": "x"},
                {"name": "n", "label": "N", "type": "number"},
                {"name": "f", "label": "F", "type": "switch", "default": false}
            ]}},
            {"template": "empty", "data": {"title": "Nothing",
                                           "action": {"id": "create", "label": "Create"}}},
            {"template": "action", "data": {"buttons": [{"id": "last", "label": "Last"}]}}
        ]}}));
        assert!(!p.has_errors(), "{:?}", p.diagnostics);
        let all = interactions(&p.value);
        let summary: Vec<(String, &str, bool)> = all
            .iter()
            .map(|i| {
                let what = match &i.kind {
                    InteractionKind::ButtonClick { action_id } => format!("click {action_id}"),
                    InteractionKind::ItemSelect {
                        action_id,
                        selected_id,
                    } => format!("select {selected_id} via {action_id:?}"),
                    InteractionKind::FormSubmit { action_id, .. } => format!("submit {action_id}"),
                };
                (what, i.label.as_str(), i.disabled)
            })
            .collect();
        let expected: Vec<(String, &str, bool)> = vec![
            ("click one".into(), "One", false),
            ("click in_a".into(), "In A", true),
            ("click buy".into(), "Buy", false),
            ("click wait".into(), "Wait", true),
            ("select r1 via Some(\"open_row\")".into(), "Row one", false),
            ("select r3 via Some(\"open_row\")".into(), "r3", false),
            ("select c1 via None".into(), "Card one", false),
            ("select l1 via None".into(), "Item", false),
            ("click more".into(), "More", false),
            ("submit submit".into(), "Submit", false),
            ("click create".into(), "Create", false),
            ("click last".into(), "Last", false),
        ];
        assert_eq!(summary, expected);
        assert_eq!(all[2].confirm.as_deref(), Some("Sure?"));
        let InteractionKind::FormSubmit { form_data, .. } = &all[9].kind else {
            panic!()
        };
        assert_eq!(
            serde_json::Value::Object(form_data.clone()),
            json!({"q": "x", "f": false})
        );

        let clicks = buttons(&p.value);
        let ids: Vec<&str> = clicks.iter().map(click_id).collect();
        assert_eq!(
            ids,
            ["one", "in_a", "buy", "wait", "more", "create", "last"]
        );
    }

    #[test]
    fn form_uses_its_action_id_and_submit_text() {
        let p = parse_ui(&json!({"template": "form", "data": {
            "action_id": "save", "submit_text": "Save",
            "fields": [{"name": "a", "label": "A", "default": 1}]
        }}));
        let all = interactions(&p.value);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].label, "Save");
        assert_eq!(
            all[0].kind,
            InteractionKind::FormSubmit {
                action_id: "save".into(),
                form_data: json!({"a": 1}).as_object().unwrap().clone(),
            }
        );
        assert!(buttons(&p.value).is_empty());
    }

    fn form_of(v: serde_json::Value) -> Form {
        match parse_ui(&v).value {
            Node::Form(f) => f,
            other => panic!("not a form: {other:?}"),
        }
    }

    #[test]
    fn form_data_untouched_and_sampled() {
        let form = form_of(json!({"template": "form", "data": {"fields": [
            {"name": "title", "label": "Title", "required": true},
            {"name": "n", "label": "N", "type": "number"},
            {"name": "n2", "label": "N2", "type": "number", "default": "42"},
            {"name": "p", "label": "P", "type": "select", "options": [
                {"value": "low", "label": "Low"}, {"value": "high", "label": "High"}]},
            {"name": "p2", "label": "P2", "type": "radio", "default": "high", "options": [
                {"value": "low", "label": "Low"}, {"value": "high", "label": "High"}]},
            {"name": "agree", "label": "Agree", "type": "checkbox"},
            {"name": "on", "label": "On", "type": "switch", "default": "yes"},
            {"name": "d", "label": "D", "type": "date"},
            {"name": "h", "type": "hidden", "default": {"k": 1}},
            {"name": "title", "label": "Again", "default": "second"}
        ]}}));
        assert_eq!(
            Value::Object(default_form_data(&form)),
            json!({"title": "", "n": null, "n2": 42, "p": "", "p2": "high", "agree": false,
                   "on": true, "d": "", "h": {"k": 1}})
        );
        assert_eq!(
            Value::Object(sample_form_data(&form)),
            json!({"title": "test", "n": 1, "n2": 42, "p": "low", "p2": "high", "agree": true,
                   "on": true, "d": "2025-01-15", "h": {"k": 1}})
        );
    }

    #[test]
    fn nothing_to_press_in_passive_templates() {
        for v in [
            json!({"template": "text", "data": {"text": "t"}}),
            json!({"template": "link", "data": {"text": "t", "url": "https://x"}}),
            json!({"template": "list", "data": {"items": [{"title": "t"}], "more_action": "m"}}),
            json!({"template": "chart", "data": {}}),
        ] {
            assert!(interactions(&parse_ui(&v).value).is_empty(), "{v}");
        }
    }
}
