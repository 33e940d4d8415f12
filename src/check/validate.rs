//! What is wrong with one answer, judged by the method it answers: JSON-UI for renders,
//! JSON-ACTION for events, the config object for `sidebar_iframe` / `channel_integration`.
//! One place for `check`, the console (which validates off its UI loop and marks the answer
//! in the message log) and the inspector (for the selected message), so they never disagree.

use crate::jsonui::{self, Action, Diagnostic, Node, Parsed, Severity};
use serde_json::Value;

/// What kind of answer a method gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    /// JSON-UI (`…/render`).
    Ui,
    /// JSON-ACTION (`…/event`).
    Action,
    /// A config object with these required string fields.
    Config(&'static [&'static str]),
}

/// The kind of answer `method` expects, or `None` when there is nothing to validate
/// (`ping`, `tool/execute`, a plugin's own methods…).
pub fn answer_kind(method: &str) -> Option<AnswerKind> {
    match method {
        "sidebar_iframe/config" => Some(AnswerKind::Config(&["url"])),
        "channel_integration/manifest" => Some(AnswerKind::Config(&["channel_type", "name"])),
        m if m.ends_with("/render") => Some(AnswerKind::Ui),
        m if m.ends_with("/event") => Some(AnswerKind::Action),
        _ => None,
    }
}

/// An answer, read and judged.
#[derive(Debug)]
pub enum Validated {
    Ui(Parsed<Node>),
    Action(Parsed<Action>),
    Config(Vec<Diagnostic>),
}

impl Validated {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Validated::Ui(p) => &p.diagnostics,
            Validated::Action(p) => &p.diagnostics,
            Validated::Config(d) => d,
        }
    }

    /// What the answer was read as, for labels: `JSON-UI`, `JSON-ACTION`, `config`.
    pub fn what(&self) -> &'static str {
        match self {
            Validated::Ui(_) => "JSON-UI",
            Validated::Action(_) => "JSON-ACTION",
            Validated::Config(_) => "config",
        }
    }

    /// One line for the message log's note on a problem answer, `None` when it is clean:
    /// `JSON-ACTION: 1 error, 1 warning (first: $.data.message: missing required field …)`.
    pub fn summary(&self) -> Option<String> {
        summary(self.what(), self.diagnostics())
    }
}

/// Validates `value`, the result of a `method` request (see [`answer_kind`]).
pub fn validate(method: &str, value: &Value) -> Option<Validated> {
    Some(match answer_kind(method)? {
        AnswerKind::Ui => Validated::Ui(jsonui::parse_ui(value)),
        AnswerKind::Action => Validated::Action(jsonui::parse_action(value)),
        AnswerKind::Config(required) => Validated::Config(config_diagnostics(required, value)),
    })
}

/// A config answer: a JSON object with each of `required` as a non-empty string.
pub fn config_diagnostics(required: &[&str], value: &Value) -> Vec<Diagnostic> {
    let error = |path: String, message: String| Diagnostic {
        severity: Severity::Error,
        path,
        message,
    };
    let Value::Object(map) = value else {
        return vec![error("$".into(), "the answer is not a JSON object".into())];
    };
    required
        .iter()
        .filter_map(|k| match map.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => None,
            Some(Value::String(_)) => Some(error(format!("$.{k}"), format!("\"{k}\" is empty"))),
            None | Some(Value::Null) => Some(error(
                format!("$.{k}"),
                format!("missing required field \"{k}\""),
            )),
            Some(_) => Some(error(format!("$.{k}"), format!("\"{k}\" must be a string"))),
        })
        .collect()
}

/// `WHAT: N errors, M warnings (first: PATH: MESSAGE)`, or `None` for no diagnostics.
pub fn summary(what: &str, diagnostics: &[Diagnostic]) -> Option<String> {
    let first = diagnostics
        .iter()
        .find(|d| d.is_error())
        .or(diagnostics.first())?;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let count = |n: usize, word: &str| match n {
        0 => None,
        1 => Some(format!("1 {word}")),
        n => Some(format!("{n} {word}s")),
    };
    let counts: Vec<String> = [count(errors, "error"), count(warnings, "warning")]
        .into_iter()
        .flatten()
        .collect();
    Some(format!("{what}: {} (first: {first})", counts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn methods_pick_the_validator() {
        assert_eq!(answer_kind("visitor_panel/render"), Some(AnswerKind::Ui));
        assert_eq!(answer_kind("chat_toolbar/event"), Some(AnswerKind::Action));
        assert_eq!(
            answer_kind("channel_integration/manifest"),
            Some(AnswerKind::Config(&["channel_type", "name"]))
        );
        assert_eq!(answer_kind("ping"), None);
        assert_eq!(answer_kind("tool/execute"), None);
    }

    #[test]
    fn a_bad_toast_is_summarised_with_its_first_error() {
        let v = validate(
            "visitor_panel/event",
            &json!({"action": "show_toast", "data": {"msg": "hi"}}),
        )
        .unwrap();
        assert_eq!(
            v.summary().unwrap(),
            "JSON-ACTION: 1 error, 1 warning (first: $.data.message: missing required field \
             \"message\")"
        );
        let clean = validate("x/event", &json!({"action": "noop", "data": {}})).unwrap();
        assert_eq!(clean.summary(), None);
    }

    #[test]
    fn config_answers_name_what_is_missing() {
        let v = validate(
            "channel_integration/manifest",
            &json!({"name": "", "icon": 1}),
        );
        let lines: Vec<String> = v
            .unwrap()
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "$.channel_type: missing required field \"channel_type\"",
                "$.name: \"name\" is empty"
            ]
        );
        let not_object = validate("sidebar_iframe/config", &json!([1])).unwrap();
        assert_eq!(
            not_object.summary().unwrap(),
            "config: 1 error (first: $: the answer is not a JSON object)"
        );
    }
}
