//! Judges one step's answer against its expectations, the way `check` judges answers: the
//! answer is validated for its kind (JSON-UI, JSON-ACTION, tool result), drawn as the console
//! draws it, and each expectation says what it wanted and what it got.

use super::format::{Expect, JsonType, PathCheck};
use super::player::{AnswerKind, Prepared};
use super::report::{ExpectReport, StepReport};
use super::snapshot::{self, SnapshotOutcome, Snapshots};
use crate::check::{Status, action_outline, ui_outline};
use crate::drawn;
use crate::host::Outcome;
use crate::jsonui::{self, Diagnostic, Severity};
use crate::text::truncate_chars;
use serde_json::Value;
use similar::TextDiff;

/// An answer read for judging.
struct Answer {
    /// The result, or the error object for a plugin error.
    value: Value,
    is_error: bool,
    diagnostics: Vec<Diagnostic>,
    outline: Vec<String>,
    /// JSON-UI and JSON-ACTION as the console draws them (plain, escaped).
    drawn: Option<String>,
    /// The answer as pretty JSON, what `{text}` searches when nothing is drawn.
    json: String,
}

fn pretty(v: &Value) -> String {
    crate::text::escape_json_controls(
        &serde_json::to_string_pretty(&snapshot::canonical(v)).unwrap_or_default(),
    )
}

/// `{success, content, data?, error?}` problems of a tool answer.
fn tool_diagnostics(v: &Value) -> Vec<Diagnostic> {
    if v.get("success").and_then(Value::as_bool).is_some() {
        return Vec::new();
    }
    vec![Diagnostic {
        severity: Severity::Error,
        path: "$.success".into(),
        message: "missing: a tool answers {success, content, data?, error?}".into(),
    }]
}

fn read(kind: &AnswerKind, outcome: &Outcome, drawing: drawn::Drawing) -> Option<Answer> {
    let (value, is_error) = match outcome {
        Outcome::Result { value } => (value.clone(), false),
        Outcome::PluginError(e) => (serde_json::to_value(e).unwrap_or_default(), true),
        _ => return None,
    };
    if is_error {
        return Some(Answer {
            outline: vec![format!("error {}", value)],
            drawn: None,
            json: pretty(&value),
            value,
            is_error,
            diagnostics: Vec::new(),
        });
    }
    // A `call` of an unknown method may still answer JSON-UI or JSON-ACTION: read it as such.
    let kind = kind.clone().or_by_shape(&value);
    let (diagnostics, outline, drawn) = match kind {
        AnswerKind::Ui { .. } => {
            let p = jsonui::parse_ui(&value);
            let drawn = drawn::ui_text_as(&p.value, drawing);
            (p.diagnostics, ui_outline(&p.value), Some(drawn))
        }
        AnswerKind::Action { .. } => {
            let p = jsonui::parse_action(&value);
            let drawn = drawn::action_text_as(&p.value, drawing);
            (p.diagnostics, action_outline(&p.value), Some(drawn))
        }
        AnswerKind::Tool => (
            tool_diagnostics(&value),
            vec![truncate_chars(&value.to_string(), 200)],
            None,
        ),
        AnswerKind::Config | AnswerKind::Other => (
            Vec::new(),
            vec![truncate_chars(&value.to_string(), 200)],
            None,
        ),
    };
    Some(Answer {
        json: pretty(&value),
        value,
        is_error,
        diagnostics,
        outline,
        drawn,
    })
}

/// Numbers compare by value (`1` equals `1.0`); everything else structurally.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// A string holding the text, an array holding the element, an object holding every key of
/// `want` with the same value.
fn holds(node: &Value, want: &Value) -> bool {
    match (node, want) {
        (Value::String(s), Value::String(w)) => s.contains(w.as_str()),
        (Value::Array(items), w) => items.iter().any(|i| same(i, w)),
        (Value::Object(map), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| map.get(k).is_some_and(|have| same(have, v))),
        _ => false,
    }
}

fn compact(v: &Value) -> String {
    truncate_chars(&v.to_string(), 300)
}

/// A diff of two values when either is more than a line pretty-printed.
fn value_diff(expected: &Value, actual: &Value) -> Option<String> {
    let (a, b) = (pretty(expected), pretty(actual));
    if !a.contains('\n') && !b.contains('\n') {
        return None;
    }
    Some(
        TextDiff::from_lines(format!("{a}\n").as_str(), format!("{b}\n").as_str())
            .unified_diff()
            .context_radius(3)
            .header("expected", "actual")
            .to_string(),
    )
}

fn path_found(nodes: &[&Value], path: &str) -> String {
    match nodes {
        [] => format!("nothing at {path}"),
        [one] => compact(one),
        many => format!(
            "{} values: {}",
            many.len(),
            compact(&Value::Array(many.iter().map(|v| (*v).clone()).collect()))
        ),
    }
}

fn judge_path(e: &Expect, answer: &Answer) -> ExpectReport {
    let Expect::Path { path, text, check } = e else {
        unreachable!("judge_path is called for path expectations")
    };
    let name = e.to_string();
    let nodes: Vec<&Value> = path.query(&answer.value).all();
    let found = path_found(&nodes, text);
    match check {
        PathCheck::Equals(want) => {
            let got = match nodes.as_slice() {
                [] => None,
                [one] => Some((*one).clone()),
                many => Some(Value::Array(many.iter().map(|v| (*v).clone()).collect())),
            };
            match got {
                Some(g) if same(&g, want) => ExpectReport::pass(name),
                Some(g) => {
                    let mut r =
                        ExpectReport::fail(name, "a different value").values(compact(want), found);
                    r.diff = value_diff(want, &g);
                    r
                }
                None => ExpectReport::fail(name, format!("nothing at {text}"))
                    .values(compact(want), found),
            }
        }
        PathCheck::Contains(want) => {
            if nodes.iter().any(|n| holds(n, want)) {
                ExpectReport::pass(name)
            } else {
                ExpectReport::fail(name, "not contained")
                    .values(format!("a value containing {}", compact(want)), found)
            }
        }
        PathCheck::Matches(re) => {
            let hit = nodes.iter().any(|n| match n {
                Value::String(s) => re.is_match(s),
                other => re.is_match(&other.to_string()),
            });
            if hit {
                ExpectReport::pass(name)
            } else {
                ExpectReport::fail(name, "no match")
                    .values(format!("a match of /{}/", re.as_str()), found)
            }
        }
        PathCheck::Exists(want) => {
            if nodes.is_empty() != *want {
                ExpectReport::pass(name)
            } else if *want {
                ExpectReport::fail(name, format!("nothing at {text}"))
                    .values(format!("a value at {text}"), found)
            } else {
                ExpectReport::fail(name, format!("something is at {text}"))
                    .values(format!("nothing at {text}"), found)
            }
        }
        PathCheck::Type(t) => {
            if !nodes.is_empty() && nodes.iter().all(|n| t.holds(n)) {
                ExpectReport::pass(name)
            } else {
                let types: Vec<&str> = nodes.iter().map(|n| JsonType::of(n)).collect();
                ExpectReport::fail(name, "a different type").values(
                    t.name(),
                    if types.is_empty() {
                        format!("nothing at {text}")
                    } else {
                        format!("{} ({found})", types.join(", "))
                    },
                )
            }
        }
        PathCheck::Count(n) => {
            if nodes.len() == *n {
                ExpectReport::pass(name)
            } else {
                ExpectReport::fail(name, format!("{} found", nodes.len()))
                    .values(n.to_string(), nodes.len().to_string())
            }
        }
    }
}

/// Whether `needle` is in the drawn text on one line, or across wrapped lines.
fn drawn_contains(drawn: &str, needle: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    drawn.lines().any(|l| l.contains(needle)) || squash(drawn).contains(&squash(needle))
}

fn diags_text(diags: &[Diagnostic]) -> String {
    if diags.is_empty() {
        return "none".into();
    }
    diags
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}",
                if d.is_error() { "error" } else { "warning" },
                d.path,
                d.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Judges `outcome` (the answer to `prepared`) against `expect`, filling `step`.
pub fn judge(
    step: &mut StepReport,
    prepared: &Prepared,
    outcome: &Outcome,
    latency_ms: f64,
    expect: &[Expect],
    snapshots: &Snapshots,
) {
    step.latency_ms = Some(latency_ms);
    let Some(answer) = read(&prepared.answer, outcome, snapshots.drawing) else {
        step.status = Status::Fail;
        step.message = Some(outcome.summary());
        step.expectations = expect
            .iter()
            .map(|e| ExpectReport::fail(e.to_string(), "not checked: no answer"))
            .collect();
        return;
    };
    step.outline = answer.outline.clone();
    step.diagnostics = answer.diagnostics.clone();
    let mut reports = Vec::new();
    for e in expect {
        let name = e.to_string();
        let r = match e {
            Expect::Path { .. } => judge_path(e, &answer),
            Expect::Text(t) => {
                let shown = answer.drawn.as_ref().unwrap_or(&answer.json);
                if drawn_contains(shown, t) {
                    ExpectReport::pass(name)
                } else {
                    ExpectReport::fail(name, "not in the answer as the console draws it")
                        .values(t.clone(), shown.clone())
                }
            }
            Expect::NoDiagnostics => {
                if answer.diagnostics.is_empty() {
                    ExpectReport::pass(name)
                } else {
                    ExpectReport::fail(name, format!("{} diagnostics", answer.diagnostics.len()))
                        .values("none", diags_text(&answer.diagnostics))
                }
            }
            Expect::Diagnostics(n) => {
                if answer.diagnostics.len() == *n {
                    ExpectReport::pass(name)
                } else {
                    ExpectReport::fail(name, format!("{} diagnostics", answer.diagnostics.len()))
                        .values(n.to_string(), diags_text(&answer.diagnostics))
                }
            }
            Expect::MaxMs(max) => {
                if latency_ms <= *max {
                    ExpectReport::pass(name)
                } else {
                    ExpectReport::fail(name, "too slow")
                        .values(format!("≤ {max} ms"), format!("{latency_ms:.1} ms"))
                }
            }
            Expect::Action(want) => {
                let got = answer.value.get("action").and_then(Value::as_str);
                match got {
                    Some(g) if g == want && !answer.is_error => ExpectReport::pass(name),
                    Some(g) => {
                        ExpectReport::fail(name, "a different action").values(want.clone(), g)
                    }
                    None => ExpectReport::fail(name, "not a JSON-ACTION")
                        .values(want.clone(), compact(&answer.value)),
                }
            }
            Expect::NoError => {
                if answer.is_error {
                    ExpectReport::fail(name, "the plugin answered an error")
                        .values("a result", compact(&answer.value))
                } else {
                    ExpectReport::pass(name)
                }
            }
            Expect::ErrorCode(code) => {
                let got = answer.value.get("code").and_then(Value::as_i64);
                match (answer.is_error, got) {
                    (true, Some(c)) if c == *code => ExpectReport::pass(name),
                    (true, _) => ExpectReport::fail(name, "a different error")
                        .values(format!("error {code}"), compact(&answer.value)),
                    (false, _) => ExpectReport::fail(name, "the plugin answered a result")
                        .values(format!("error {code}"), compact(&answer.value)),
                }
            }
            Expect::Snapshot(snap) => {
                let json = if answer.is_error {
                    serde_json::json!({"error": answer.value})
                } else {
                    answer.value.clone()
                };
                let text = snapshot::content_as(&json, answer.drawn.as_deref(), snapshots.drawing);
                let outcome = snapshots.check(snap, &text);
                let mut r = match &outcome {
                    SnapshotOutcome::Matched => ExpectReport::pass(name),
                    SnapshotOutcome::New { written } => {
                        ExpectReport::fail(name, format!("new snapshot, written to {written}"))
                    }
                    SnapshotOutcome::Changed { written, diff } => {
                        let mut r = ExpectReport::fail(
                            name,
                            format!("the answer changed; the new one is in {written}"),
                        );
                        r.diff = Some(diff.clone());
                        r
                    }
                    SnapshotOutcome::Created { written } => {
                        let mut r = ExpectReport::pass(name);
                        r.message = Some(format!("written to {written}"));
                        r
                    }
                    SnapshotOutcome::Updated { written, diff } => {
                        let mut r = ExpectReport::pass(name);
                        r.message = Some(format!("updated {written}"));
                        r.diff = Some(diff.clone());
                        r
                    }
                    SnapshotOutcome::Failed { error } => ExpectReport::fail(name, error.clone()),
                };
                r.snapshot = Some(outcome);
                r
            }
        };
        reports.push(r);
    }
    step.expectations = reports;

    let mut failures: Vec<String> = step
        .expectations
        .iter()
        .filter(|e| !e.passed)
        .map(|e| e.expectation.clone())
        .collect();
    let states_error = expect
        .iter()
        .any(|e| matches!(e, Expect::NoError | Expect::ErrorCode(_)));
    if answer.is_error && !states_error {
        failures.insert(0, outcome.summary());
    }
    let states_diagnostics = expect
        .iter()
        .any(|e| matches!(e, Expect::NoDiagnostics | Expect::Diagnostics(_)));
    let errors = answer.diagnostics.iter().filter(|d| d.is_error()).count();
    if !states_diagnostics && errors > 0 {
        failures.insert(0, format!("{errors} error(s) in the answer"));
    }
    if !failures.is_empty() {
        step.status = Status::Fail;
        step.message = Some(format!("failed: {}", failures.join("; ")));
    } else if !states_diagnostics && !answer.diagnostics.is_empty() {
        step.status = Status::Warn;
        step.message = Some(format!(
            "{} warning(s) in the answer",
            answer.diagnostics.len()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::format::parse;
    use serde_json::json;
    use std::path::Path;

    fn expects(yaml: &str) -> Vec<Expect> {
        let text = format!(
            "name: t\nplugin: {{command: [x]}}\nsteps:\n  - call: {{method: m}}\n    expect:\n{yaml}"
        );
        parse(&text, Path::new("t.scenario.yml"))
            .unwrap()
            .steps
            .remove(0)
            .expect
    }

    fn run(yaml: &str, kind: AnswerKind, outcome: Outcome) -> StepReport {
        let tmp = tempfile::tempdir().unwrap();
        let snaps = Snapshots::new(tmp.path(), "t", false);
        let prepared = Prepared {
            method: "m".into(),
            params: json!({}),
            answer: kind,
        };
        let mut step = StepReport::new(1, "s".into());
        judge(&mut step, &prepared, &outcome, 12.0, &expects(yaml), &snaps);
        step
    }

    fn ui() -> Outcome {
        Outcome::Result {
            value: json!({"template": "group", "data": {"items": [
                {"template": "table", "data": {"columns": [{"key": "order_id", "label": "Order"}],
                    "rows": [{"order_id": "ORD-001"}, {"order_id": "ORD-002"}]}},
                {"template": "button", "data": {"label": "View all orders", "action_id": "view_all"}}
            ]}}),
        }
    }

    fn panel() -> AnswerKind {
        AnswerKind::Ui {
            capability: crate::host::CapabilityKind::VisitorPanel,
        }
    }

    #[test]
    fn passing_expectations() {
        let step = run(
            r#"      - {path: "$.template", equals: group}
      - {path: "$..rows[0].order_id", equals: ORD-001}
      - {path: "$..rows[*].order_id", equals: [ORD-001, ORD-002]}
      - {path: "$..action_id", count: 1}
      - {path: "$..rows", type: array}
      - {path: "$..rows[1].order_id", contains: "002"}
      - {path: "$.data.items[1].data", contains: {action_id: view_all}}
      - {path: "$..label", matches: "^View .* orders$"}
      - {path: "$.nope", exists: false}
      - {text: ORD-002}
      - {text: View all orders}
      - no_diagnostics
      - {max_ms: 500}
      - no_error
"#,
            panel(),
            ui(),
        );
        assert_eq!(step.status, Status::Pass, "{step:#?}");
        assert_eq!(step.expectations.len(), 14);
    }

    #[test]
    fn a_failure_says_expected_and_actual() {
        let step = run(
            r#"      - {path: "$..rows[0].order_id", equals: ORD-999}
      - {path: "$..action_id", count: 2}
      - {text: ORD-404}
      - {max_ms: 5}
      - {action: open_url}
"#,
            panel(),
            ui(),
        );
        assert_eq!(step.status, Status::Fail);
        let e = &step.expectations;
        assert_eq!(e[0].expected.as_deref(), Some("\"ORD-999\""));
        assert_eq!(e[0].actual.as_deref(), Some("\"ORD-001\""));
        assert_eq!(e[1].actual.as_deref(), Some("1"));
        assert!(e[2].actual.as_deref().unwrap().contains("ORD-001"));
        assert_eq!(e[3].actual.as_deref(), Some("12.0 ms"));
        assert_eq!(e[4].message.as_deref(), Some("not a JSON-ACTION"));
        assert!(
            step.message
                .as_deref()
                .unwrap()
                .starts_with("failed: $..rows[0].order_id equals"),
            "{:?}",
            step.message
        );
    }

    #[test]
    fn an_object_mismatch_comes_with_a_diff() {
        let step = run(
            "      - {path: \"$.data.items[1].data\", equals: {label: View all, action_id: view_all}}\n",
            panel(),
            ui(),
        );
        let diff = step.expectations[0].diff.as_deref().unwrap();
        assert!(
            diff.contains("-  \"label\": \"View all\"")
                && diff.contains("+  \"label\": \"View all orders\""),
            "{diff}"
        );
    }

    #[test]
    fn errors_fail_unless_expected() {
        let err = Outcome::PluginError(crate::protocol::RpcError {
            code: -32601,
            message: "Method not found".into(),
            data: None,
        });
        let step = run(
            "      - {path: $.code, equals: -32601}\n",
            AnswerKind::Other,
            err.clone(),
        );
        assert_eq!(step.status, Status::Fail);
        assert!(
            step.message
                .as_deref()
                .unwrap()
                .contains("plugin error -32601")
        );
        let step = run(
            "      - {error_code: -32601}\n      - {path: $.message, contains: not found}\n",
            AnswerKind::Other,
            err.clone(),
        );
        assert_eq!(step.status, Status::Pass, "{step:#?}");
        let step = run("      - no_error\n", AnswerKind::Other, err);
        assert_eq!(step.status, Status::Fail);
        let step = run("      - {error_code: 1}\n", AnswerKind::Other, ui());
        assert_eq!(
            step.expectations[0].message.as_deref(),
            Some("the plugin answered a result")
        );
    }

    #[test]
    fn invalid_answers_fail_unless_diagnostics_are_expected() {
        let bad = Outcome::Result {
            value: json!({"action": "open_url", "data": {}}),
        };
        let kind = AnswerKind::Action {
            capability: crate::host::CapabilityKind::VisitorPanel,
        };
        let step = run("      - {action: open_url}\n", kind.clone(), bad.clone());
        assert_eq!(step.status, Status::Fail);
        assert!(
            step.message
                .as_deref()
                .unwrap()
                .contains("error(s) in the answer"),
            "{:?}",
            step.message
        );
        let step = run("      - {diagnostics: 1}\n", kind, bad);
        assert_eq!(step.status, Status::Pass, "{step:#?}");
    }

    #[test]
    fn timeouts_fail_every_expectation() {
        let step = run(
            "      - no_error\n",
            AnswerKind::Other,
            Outcome::Timeout {
                after: std::time::Duration::from_secs(1),
                meanwhile: None,
            },
        );
        assert_eq!(step.status, Status::Fail);
        assert_eq!(step.message.as_deref(), Some("timed out after 1.0 s"));
        assert!(!step.expectations[0].passed);
    }
}
