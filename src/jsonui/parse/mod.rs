//! The lenient, path-tracking reader that turns plugin JSON into the typed model.
//!
//! It never fails: whatever a plugin sends becomes some typed value (at worst `Invalid` or
//! `Unknown`, which keep the raw JSON for display) plus diagnostics saying what was wrong and
//! where. Errors mark broken structure; warnings mark things that are accepted but suspicious.
//! Recursion only happens at nested templates and actions, and stops at [`MAX_DEPTH`].
//!
//! `reader` is the generic part (read a field of some type, record a diagnostic at its path,
//! report fields nobody asked for); `ui` reads the JSON-UI templates and `action` the
//! JSON-ACTION actions with it.

use serde_json::Value;

use super::action::Action;
use super::diag::Diagnostic;
use super::model::Node;
use reader::Reader;

mod action;
mod reader;
mod ui;

/// Deepest JSON nesting (objects and arrays from the root) the parser descends into.
pub const MAX_DEPTH: usize = 64;

/// Templates the real TGO web UI does not draw (it shows "Unknown template" for them).
pub const WEB_UI_UNSUPPORTED_TEMPLATES: &[&str] = &[
    "action", "card", "cards", "link", "links", "markdown", "list", "timeline", "stats", "empty",
    "loading",
];

/// What the TGO web renderer (`PluginTemplateRenderer`) does draw, for the hint.
pub const WEB_UI_TEMPLATES: &[&str] = &[
    "text",
    "key_value",
    "table",
    "button",
    "group",
    "tabs",
    "form",
];

/// Actions the real TGO web UI does not carry out.
pub const WEB_UI_UNSUPPORTED_ACTIONS: &[&str] = &["batch"];

/// A parsed value with everything found wrong on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// The typed value (always present, however bad the input).
    pub value: T,
    /// Diagnostics in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Parsed<T> {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The error diagnostics.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The warning diagnostics.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// Reads a JSON-UI value (`{"template", "data"}`), e.g. a `visitor_panel/render` result.
pub fn parse_ui(v: &Value) -> Parsed<Node> {
    let mut r = Reader::default();
    let value = r.node(v, "$".to_string(), 0);
    Parsed {
        value,
        diagnostics: r.diags,
    }
}

/// Reads a JSON-ACTION value (`{"action", "data"}`), e.g. a `visitor_panel/event` result.
pub fn parse_action(v: &Value) -> Parsed<Action> {
    let mut r = Reader::default();
    let value = r.action(v, "$".to_string(), 0);
    Parsed {
        value,
        diagnostics: r.diags,
    }
}

#[cfg(test)]
mod test_support {
    use super::*;
    use crate::jsonui::Severity;

    /// True for the "the TGO web UI does not draw this" warnings, tested on their own.
    pub(super) fn web_ui_note(d: &Diagnostic) -> bool {
        d.message.contains("by the TGO web UI")
    }

    /// Diagnostics as `"error $.path: message"` lines, easy to compare exactly (web-UI
    /// compatibility warnings left out: `unsupported_lists_drive_the_web_ui_warning` covers them).
    pub(super) fn lines<T>(p: &Parsed<T>) -> Vec<String> {
        p.diagnostics
            .iter()
            .filter(|d| !web_ui_note(d))
            .map(|d| {
                let sev = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                format!("{sev} {d}")
            })
            .collect()
    }

    /// Parses a template that must come out clean, and returns the node.
    pub(super) fn clean(v: Value) -> Node {
        let p = parse_ui(&v);
        assert!(lines(&p).is_empty(), "unexpected: {:?}", lines(&p));
        p.value
    }

    pub(super) fn clean_action(v: Value) -> Action {
        let p = parse_action(&v);
        assert!(lines(&p).is_empty(), "unexpected: {:?}", lines(&p));
        p.value
    }
}
