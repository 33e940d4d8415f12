//! Diagnostics: what is wrong with a plugin's JSON-UI / JSON-ACTION, and where.
//!
//! Paths are JSONPath-like (`$.data.items[1].data.columns[0].key`) so a plugin author can find
//! the spot in their own output. Every piece of plugin text that ends up in a path or a message
//! is escaped here, so a diagnostic is always safe to print on a terminal.

use std::fmt;

use serde::Serialize;

use crate::text::sanitize_line;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The value breaks the contract: the real host would fail or draw nothing useful.
    Error,
    /// The value is accepted, but something in it is likely a mistake or will not show.
    Warning,
}

/// One finding about a plugin value, located by a JSON path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where in the value, e.g. `$.data.items[0].data.columns[1].key`.
    pub path: String,
    /// What is wrong, in one line (plugin text inside it is escaped).
    pub message: String,
}

impl Diagnostic {
    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The path of `key` inside the object at `parent`: `.key` for identifiers, `["key"]` otherwise.
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    if is_identifier(key) {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", quote(key))
    }
}

/// The path of element `index` of the array at `parent`.
pub(crate) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// Plugin text in double quotes, with quotes, backslashes and control characters escaped, so it
/// can sit inside a message or path without being mistaken for its surroundings or reaching a
/// terminal raw.
pub(crate) fn quote(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{}\"", sanitize_line(&escaped))
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_use_dots_for_identifiers_and_brackets_otherwise() {
        let p = key_path("$", "data");
        let p = key_path(&p, "items");
        let p = index_path(&p, 1);
        assert_eq!(
            key_path(&p, "row_click_action"),
            "$.data.items[1].row_click_action"
        );
        assert_eq!(key_path("$", "order id"), "$[\"order id\"]");
        assert_eq!(key_path("$", "1st"), "$[\"1st\"]");
        assert_eq!(key_path("$", ""), "$[\"\"]");
        assert_eq!(key_path("$", "a\"b\\"), "$[\"a\\\"b\\\\\"]");
    }

    #[test]
    fn hostile_keys_are_escaped_in_paths() {
        let p = key_path("$", "x\x1b[2J");
        assert_eq!(p, "$[\"x\\x1b[2J\"]");
        assert!(!crate::text::has_control_chars(&p));
    }

    #[test]
    fn display_and_serialize() {
        let d = Diagnostic {
            severity: Severity::Warning,
            path: "$.data.foo".into(),
            message: "unknown field \"foo\"".into(),
        };
        assert_eq!(d.to_string(), "$.data.foo: unknown field \"foo\"");
        assert!(!d.is_error());
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["severity"], "warning");
        assert_eq!(json["path"], "$.data.foo");
    }
}
