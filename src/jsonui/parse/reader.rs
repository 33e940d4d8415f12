//! The generic half of the reader: a diagnostics sink ([`Reader`]) and a JSON object being read
//! ([`Obj`]) whose typed getters (`opt_str`, `req_str`, `opt_bool`, `opt_u64`, `opt_enum`,
//! `array`, `object`…) accept what a plugin plausibly meant, and record an error or a warning
//! at the field's JSON path for the rest. Nothing here knows a template or an action.

use serde_json::{Map, Value};

use super::MAX_DEPTH;
use crate::jsonui::diag::{Diagnostic, Severity, index_path, key_path, quote};
use crate::jsonui::model::ProtocolEnum;
use crate::text::has_control_chars;

/// What a JSON value is, for messages.
pub(super) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Schemes a link may use; anything else (javascript:, file:, relative paths) is suspicious.
fn url_is_safe(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    ["http://", "https://", "mailto:", "tel:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// The diagnostics sink; all checks that do not depend on where a value sits live here.
#[derive(Default)]
pub(super) struct Reader {
    pub(super) diags: Vec<Diagnostic>,
}

/// An array found under some key, with where it is.
pub(super) struct Arr<'a> {
    items: &'a [Value],
    path: String,
    depth: usize,
}

impl<'a> Arr<'a> {
    /// Elements with their paths and depths.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&'a Value, String, usize)> + '_ {
        let items: &'a [Value] = self.items;
        items
            .iter()
            .enumerate()
            .map(move |(i, v)| (v, index_path(&self.path, i), self.depth + 1))
    }
}

/// A JSON object being read: remembers the keys asked for, so leftovers can be reported as
/// unknown fields without a separate list that could drift from the reading code.
pub(super) struct Obj<'a> {
    pub(super) map: &'a Map<String, Value>,
    pub(super) path: String,
    pub(super) depth: usize,
    seen: Vec<&'static str>,
}

impl Reader {
    pub(super) fn push(&mut self, severity: Severity, path: &str, message: String) {
        self.diags.push(Diagnostic {
            severity,
            path: path.to_string(),
            message,
        });
    }

    pub(super) fn error(&mut self, path: &str, message: impl Into<String>) {
        self.push(Severity::Error, path, message.into());
    }

    pub(super) fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.push(Severity::Warning, path, message.into());
    }

    pub(super) fn check_text(&mut self, path: &str, s: &str) {
        if has_control_chars(s) {
            self.warn(path, "contains control characters (shown escaped)");
        }
    }

    pub(super) fn check_url(&mut self, path: &str, url: &str) {
        if !url_is_safe(url) {
            self.warn(
                path,
                format!("URL {} is not http(s), mailto or tel", quote(url)),
            );
        }
    }

    /// Reports (once) that `path` is past [`MAX_DEPTH`]; the caller must not descend.
    pub(super) fn too_deep(&mut self, path: &str, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            self.error(path, format!("nesting deeper than {MAX_DEPTH} levels"));
            true
        } else {
            false
        }
    }

    /// A string where one is expected; other scalars are converted with a warning.
    pub(super) fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => {
                self.check_text(path, s);
                Some(s.clone())
            }
            Value::Number(_) | Value::Bool(_) => {
                self.warn(
                    path,
                    format!("expected a string, found {} (converted)", kind_of(v)),
                );
                Some(v.to_string())
            }
            Value::Null => None,
            Value::Array(_) | Value::Object(_) => {
                self.error(path, format!("expected a string, found {}", kind_of(v)));
                None
            }
        }
    }

    /// A value that is shown as text, where numbers and booleans are natural (amounts, ids,
    /// times), so any scalar is accepted silently.
    pub(super) fn display(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::Array(_) | Value::Object(_) => {
                self.error(
                    path,
                    format!("expected a string or number, found {}", kind_of(v)),
                );
                None
            }
            _ => Some(self.scalar_text(v, path)),
        }
    }

    /// Display text of any scalar: strings as-is, numbers/booleans as written, null empty.
    pub(super) fn scalar_text(&mut self, v: &Value, path: &str) -> String {
        match v {
            Value::String(s) => {
                self.check_text(path, s);
                s.clone()
            }
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// An object where a structure is needed, or an error.
    pub(super) fn object_at<'a>(
        &mut self,
        v: &'a Value,
        path: String,
        depth: usize,
    ) -> Option<Obj<'a>> {
        match v {
            Value::Object(map) => Some(Obj::new(map, path, depth)),
            other => {
                self.error(
                    &path,
                    format!("expected an object, found {}", kind_of(other)),
                );
                None
            }
        }
    }
}

pub(super) fn unknown_value_message(value: &str, known: &[&str]) -> String {
    format!(
        "unknown value {} (expected one of: {})",
        quote(value),
        known.join(", ")
    )
}

impl<'a> Obj<'a> {
    pub(super) fn new(map: &'a Map<String, Value>, path: String, depth: usize) -> Self {
        Obj {
            map,
            path,
            depth,
            seen: Vec::new(),
        }
    }

    /// The path of one of this object's fields.
    pub(super) fn at(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    /// Marks `key` as known and returns its value; `null` counts as absent.
    pub(super) fn take(&mut self, key: &'static str) -> Option<&'a Value> {
        self.seen.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn opt_str(&mut self, r: &mut Reader, key: &'static str) -> Option<String> {
        let v = self.take(key)?;
        r.string(v, &self.at(key))
    }

    pub(super) fn req_str(&mut self, r: &mut Reader, key: &'static str) -> String {
        match self.take(key) {
            Some(v) => r.string(v, &self.at(key)).unwrap_or_default(),
            None => {
                r.error(&self.at(key), missing(key));
                String::new()
            }
        }
    }

    pub(super) fn display_at(&self, r: &mut Reader, v: &Value, key: &str) -> Option<String> {
        r.display(v, &self.at(key))
    }

    pub(super) fn opt_display(&mut self, r: &mut Reader, key: &'static str) -> Option<String> {
        let v = self.take(key)?;
        self.display_at(r, v, key)
    }

    pub(super) fn req_display(&mut self, r: &mut Reader, key: &'static str) -> String {
        match self.take(key) {
            Some(v) => self.display_at(r, v, key).unwrap_or_default(),
            None => {
                r.error(&self.at(key), missing(key));
                String::new()
            }
        }
    }

    /// A flag; absent means false. `"true"`/`"false"` strings are accepted with a warning.
    pub(super) fn opt_bool(&mut self, r: &mut Reader, key: &'static str) -> bool {
        match self.take(key) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s == "true" || s == "false" => {
                r.warn(
                    &self.at(key),
                    "expected a boolean, found a string (converted)",
                );
                s == "true"
            }
            Some(other) => {
                r.warn(
                    &self.at(key),
                    format!("expected a boolean, found {} (ignored)", kind_of(other)),
                );
                false
            }
        }
    }

    /// A non-negative integer; numeric strings are converted with a warning.
    pub(super) fn opt_u64(&mut self, r: &mut Reader, key: &'static str) -> Option<u64> {
        let v = self.take(key)?;
        let path = self.at(key);
        match v {
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    return Some(u);
                }
                match n.as_f64() {
                    Some(f) if f.is_finite() && f >= 0.0 && f < u64::MAX as f64 => {
                        r.warn(&path, "expected an integer, found a fraction (truncated)");
                        Some(f as u64)
                    }
                    _ => {
                        r.warn(&path, "expected a non-negative integer (ignored)");
                        None
                    }
                }
            }
            Value::String(s) => match s.trim().parse::<u64>() {
                Ok(u) => {
                    r.warn(&path, "expected a number, found a string (converted)");
                    Some(u)
                }
                Err(_) => {
                    r.warn(&path, "expected a number, found a string (ignored)");
                    None
                }
            },
            other => {
                r.warn(
                    &path,
                    format!("expected a number, found {} (ignored)", kind_of(other)),
                );
                None
            }
        }
    }

    /// A protocol enumeration; unknown strings are kept as `Other` with a warning.
    pub(super) fn opt_enum<E: ProtocolEnum>(
        &mut self,
        r: &mut Reader,
        key: &'static str,
    ) -> Option<E> {
        let s = self.opt_str(r, key)?;
        let value = E::from_protocol(&s);
        if value.is_other() {
            r.warn(&self.at(key), unknown_value_message(&s, E::KNOWN));
        }
        Some(value)
    }

    /// An array; absent is an error only when `required`, a non-array always is.
    pub(super) fn array(
        &mut self,
        r: &mut Reader,
        key: &'static str,
        required: bool,
    ) -> Option<Arr<'a>> {
        let path = self.at(key);
        match self.take(key) {
            None => {
                if required {
                    r.error(&path, missing(key));
                }
                None
            }
            Some(Value::Array(items)) => Some(Arr {
                items,
                path,
                depth: self.depth + 1,
            }),
            Some(other) => {
                r.error(
                    &path,
                    format!("expected an array, found {}", kind_of(other)),
                );
                None
            }
        }
    }

    /// An optional nested object; a non-object is an error.
    pub(super) fn object(&mut self, r: &mut Reader, key: &'static str) -> Option<Obj<'a>> {
        let v = self.take(key)?;
        r.object_at(v, self.at(key), self.depth + 1)
    }

    /// Reports every field that was never asked for as unknown, suggesting the known field
    /// it most likely stands for among those absent (`msg` next to a missing `message`).
    pub(super) fn finish(self, r: &mut Reader) {
        for key in self.map.keys() {
            if self.seen.contains(&key.as_str()) {
                continue;
            }
            let absent = self
                .seen
                .iter()
                .copied()
                .filter(|k| !self.map.contains_key(*k));
            let message = match did_you_mean(key, absent) {
                Some(known) => format!(
                    "unknown field {} — did you mean {}?",
                    quote(key),
                    quote(known)
                ),
                None => format!("unknown field {}", quote(key)),
            };
            r.warn(&self.at(key), message);
        }
    }
}

fn missing(key: &str) -> String {
    format!("missing required field {}", quote(key))
}

/// How alike a name someone wrote is to a known one, as a rank (lower is closer), or `None`
/// when it is not a plausible slip for it: a near spelling (edit distance within a third of
/// the longer name, at least 1), an abbreviation (its letters in order, same first letter:
/// `msg` for `message`), or one name starting the other (`reason` for `reason_text`).
pub(super) fn similarity(written: &str, known: &str) -> Option<usize> {
    let (w, k) = (written.to_lowercase(), known.to_lowercase());
    let distance = strsim::osa_distance(&w, &k);
    let longest = w.chars().count().max(k.chars().count());
    let near = distance <= (longest / 3).max(1);
    let starts = |a: &str, b: &str| b.chars().count() >= 3 && a.starts_with(b);
    let prefix = starts(&k, &w) || starts(&w, &k);
    (near || prefix || is_abbreviation(&w, &k)).then_some(distance)
}

/// `short` is `long` with letters left out (same first letter, at least two letters).
fn is_abbreviation(short: &str, long: &str) -> bool {
    let mut long_chars = long.chars();
    short.chars().count() >= 2
        && short.chars().next() == long.chars().next()
        && short.chars().all(|c| long_chars.any(|l| l == c))
}

/// The absent known field an unknown one most likely stands for.
fn did_you_mean<'k>(unknown: &str, absent: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    absent
        .filter_map(|k| similarity(unknown, k).map(|rank| (rank, k)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jsonui::model::*;
    use crate::jsonui::parse::test_support::*;
    use crate::jsonui::parse::{parse_action, parse_ui};

    #[test]
    fn an_unknown_field_next_to_a_missing_one_suggests_it() {
        let p = parse_action(&json!({"action": "show_toast", "data": {"msg": "saved"}}));
        assert_eq!(
            lines(&p),
            [
                "error $.data.message: missing required field \"message\"",
                "warning $.data.msg: unknown field \"msg\" — did you mean \"message\"?",
            ]
        );
        let p = parse_ui(&json!({"template": "button", "data": {
            "label": "Go", "actionId": "go", "lable": "x", "colour": "red"}}));
        assert_eq!(
            lines(&p),
            [
                "error $.data.action_id: missing required field \"action_id\"",
                "warning $.data.actionId: unknown field \"actionId\" — did you mean \
                 \"action_id\"?",
                "warning $.data.colour: unknown field \"colour\"",
                // `label` is there: a misspelt copy of a present field is only unknown.
                "warning $.data.lable: unknown field \"lable\"",
            ]
        );
        // Unlike names get no guess.
        let p = parse_action(&json!({"action": "copy_text", "data": {"id": 1}}));
        assert_eq!(
            lines(&p),
            [
                "error $.data.text: missing required field \"text\"",
                "warning $.data.id: unknown field \"id\"",
            ]
        );
    }

    #[test]
    fn slips_and_abbreviations_are_recognised() {
        assert!(similarity("msg", "message").is_some());
        assert!(similarity("desc", "description").is_some());
        assert!(similarity("Label", "label").is_some());
        assert!(similarity("titel", "title").is_some());
        assert!(similarity("reason", "reason_text").is_some());
        assert!(similarity("id", "width").is_none());
        assert!(similarity("x", "text").is_none());
        assert!(similarity("type", "message").is_none());
        assert_eq!(
            did_you_mean("lable", ["url", "label"].into_iter()),
            Some("label")
        );
    }

    #[test]
    fn wrong_structure_types_are_errors() {
        let p = parse_ui(&json!({"template": "group", "data": {"items": {"a": 1}}}));
        assert_eq!(
            lines(&p),
            ["error $.data.items: expected an array, found an object"]
        );
        let p = parse_ui(&json!({"template": "text", "data": ["x"]}));
        assert_eq!(
            lines(&p),
            ["error $.data: expected an object, found an array"]
        );
        assert!(matches!(p.value, Node::Invalid { .. }));
        let p = parse_ui(&json!("just text"));
        assert_eq!(
            lines(&p),
            ["error $: expected a JSON-UI object {\"template\", \"data\"}, found a string"]
        );
        assert_eq!(
            p.value,
            Node::Invalid {
                raw: json!("just text")
            }
        );
        let p = parse_ui(&json!({"template": 3, "data": {}}));
        assert_eq!(
            lines(&p),
            ["error $.template: expected a template name (string), found a number"]
        );
        let p = parse_ui(&json!({"template": "group", "data": {"items": [1, {"x": 2}]}}));
        let Node::Group(g) = &p.value else { panic!() };
        assert_eq!(g.items.len(), 2, "invalid children are kept for display");
        assert_eq!(
            lines(&p),
            [
                "error $.data.items[0]: expected a JSON-UI object {\"template\", \"data\"}, \
                 found a number",
                "error $.data.items[1].template: missing required field \"template\"",
                "warning $.data.items[1].x: unknown field \"x\"",
            ]
        );
    }

    #[test]
    fn scalars_are_converted_and_unknown_enums_kept_with_warnings() {
        let p = parse_ui(&json!({"template": "text", "data": {
            "text": 42, "type": "fancy", "bold": "true", "copyable": 1
        }}));
        assert_eq!(
            lines(&p),
            [
                "warning $.data.text: expected a string, found a number (converted)",
                "warning $.data.type: unknown value \"fancy\" (expected one of: default, info, \
                 success, warning, error)",
                "warning $.data.copyable: expected a boolean, found a number (ignored)",
                "warning $.data.bold: expected a boolean, found a string (converted)",
            ]
        );
        let Node::Text(t) = p.value else { panic!() };
        assert_eq!(t.text, "42");
        assert_eq!(t.kind, TextType::Other("fancy".into()));
        assert!(t.bold);
        assert!(!t.copyable);
    }

    #[test]
    fn control_characters_warn_and_are_kept() {
        let p = parse_ui(&json!({"template": "group", "data": {"items": [
            {"template": "text", "data": {"text": "\u{1b}[31mred\u{1b}[0m"}},
            {"template": "markdown", "data": {"content": "line\nnext\ttab"}},
            {"template": "table", "data": {"columns": [{"key": "a", "label": "A"}],
                                           "rows": [{"a": "bell\u{7}"}]}}
        ]}}));
        assert_eq!(
            lines(&p),
            [
                "warning $.data.items[0].data.text: contains control characters (shown escaped)",
                "warning $.data.items[2].data.rows[0].a: contains control characters (shown \
                 escaped)",
            ]
        );
        let Node::Group(g) = p.value else { panic!() };
        let Node::Text(t) = &g.items[0] else { panic!() };
        assert_eq!(
            t.text, "\u{1b}[31mred\u{1b}[0m",
            "the model keeps the text as sent"
        );
    }

    #[test]
    fn hostile_names_are_escaped_in_diagnostics() {
        let p = parse_ui(&json!({"template": "te\u{1b}]0;x\u{7}", "data": {"\u{9b}k": 1}}));
        for d in &p.diagnostics {
            assert!(!crate::text::has_control_chars(&d.to_string()), "{d}");
        }
        assert_eq!(p.diagnostics.len(), 1);
        assert!(matches!(p.value, Node::Unknown { .. }));
    }

    #[test]
    fn deep_values_inside_fields_are_handled_without_descending() {
        // Arrays 120 deep where a cell, a default and an unknown template's data go: the
        // parser only copies or prints them, never walks them by hand.
        let deep = format!("{}1{}", "[".repeat(120), "]".repeat(120));
        let text = format!(
            r#"{{"template":"group","data":{{"items":[
                {{"template":"table","data":{{"columns":[{{"key":"a","label":"A"}}],
                  "rows":[{{"a":{deep}}}]}}}},
                {{"template":"form","data":{{"fields":[{{"name":"f","default":{deep}}}]}}}},
                {{"template":"mystery","data":{deep}}}
            ]}}}}"#
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let p = parse_ui(&v);
        assert_eq!(p.errors().count(), 1, "{:?}", lines(&p));
        let Node::Group(g) = &p.value else { panic!() };
        let Node::Table(t) = &g.items[0] else {
            panic!()
        };
        assert_eq!(t.rows[0].cells[0].text.len(), 241);
        assert!(matches!(g.items[2], Node::Unknown { .. }));
    }
}
