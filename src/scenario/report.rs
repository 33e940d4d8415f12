//! What `tgo-console test` found: per scenario, per step, per expectation; printed as text
//! (sanitised, coloured only on a terminal) or JSON.

use super::snapshot::{SnapshotOutcome, colour_diff};
use crate::check::Status;
use crate::check::report::PluginSummary;
use crate::jsonui::{Diagnostic, Severity};
use crate::text::{sanitize_line, truncate_chars};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// One expectation, judged.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectReport {
    /// The expectation as written, e.g. `$.template equals "group"`.
    pub expectation: String,
    pub passed: bool,
    /// Why it failed (or what was done, for snapshots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// A unified diff of expected against actual, when both are more than a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotOutcome>,
}

impl ExpectReport {
    pub fn pass(expectation: String) -> Self {
        Self {
            expectation,
            passed: true,
            message: None,
            expected: None,
            actual: None,
            diff: None,
            snapshot: None,
        }
    }

    pub fn fail(expectation: String, message: impl Into<String>) -> Self {
        Self {
            passed: false,
            message: Some(message.into()),
            ..Self::pass(expectation)
        }
    }

    pub fn values(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }
}

/// One step, run.
#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    /// 1-based.
    pub index: usize,
    /// `render visitor_panel`, `click view_all`, …
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Why it failed, in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The params sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<Value>,
    /// The request frame as it crossed the wire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    /// The answer frame as it crossed the wire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<Value>,
    /// What came back, outlined.
    pub outline: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    pub expectations: Vec<ExpectReport>,
}

impl StepReport {
    pub fn new(index: usize, name: String) -> Self {
        Self {
            index,
            name,
            method: None,
            status: Status::Pass,
            latency_ms: None,
            message: None,
            sent: None,
            request: None,
            answer: None,
            outline: Vec::new(),
            diagnostics: Vec::new(),
            expectations: Vec::new(),
        }
    }

    /// The failed expectations with expected, actual and diff: the JUnit `<failure>` body.
    pub fn failure_text(&self) -> String {
        let mut out = String::new();
        if let Some(m) = &self.message {
            let _ = writeln!(out, "{m}");
        }
        if let Some(method) = &self.method {
            let sent = self.sent.as_ref().map(Value::to_string).unwrap_or_default();
            let _ = writeln!(out, "sent {method} {sent}");
        }
        for e in self.expectations.iter().filter(|e| !e.passed) {
            let _ = writeln!(
                out,
                "✖ {}: {}",
                e.expectation,
                e.message.as_deref().unwrap_or("")
            );
            if let Some(x) = &e.expected {
                let _ = writeln!(out, "  expected: {x}");
            }
            if let Some(x) = &e.actual {
                let _ = writeln!(out, "  actual:   {x}");
            }
            if let Some(d) = &e.diff {
                let _ = writeln!(out, "{d}");
            }
        }
        out
    }
}

/// One scenario, run (or not: `error` says why it could not run).
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub file: String,
    pub passed: bool,
    /// Why the scenario could not run (bad file, the plugin never registered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<PluginSummary>,
    pub steps: Vec<StepReport>,
    pub duration_ms: f64,
    /// The last lines the plugin printed.
    pub plugin_output: Vec<String>,
}

impl ScenarioReport {
    pub fn new(name: String, file: String) -> Self {
        Self {
            name,
            file,
            passed: false,
            error: None,
            plugin: None,
            steps: Vec::new(),
            duration_ms: 0.0,
            plugin_output: Vec::new(),
        }
    }

    pub fn finish(&mut self) {
        self.passed = self.error.is_none() && self.steps.iter().all(|s| s.status != Status::Fail);
    }

    fn snapshots(&self) -> impl Iterator<Item = &SnapshotOutcome> {
        self.steps
            .iter()
            .flat_map(|s| &s.expectations)
            .filter_map(|e| e.snapshot.as_ref())
    }
}

/// Everything one `tgo-console test` run found.
#[derive(Clone, Debug, Serialize)]
pub struct TestReport {
    pub passed: bool,
    pub scenarios: Vec<ScenarioReport>,
    pub counts: TestCounts,
    pub duration_ms: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TestCounts {
    pub scenarios: usize,
    pub scenarios_failed: usize,
    /// Scenarios that could not run.
    pub scenarios_errored: usize,
    pub steps_passed: usize,
    pub steps_failed: usize,
    pub steps_skipped: usize,
    pub snapshots_new: usize,
    pub snapshots_changed: usize,
    pub snapshots_written: usize,
}

impl TestReport {
    pub fn new(scenarios: Vec<ScenarioReport>, duration_ms: f64) -> Self {
        let mut c = TestCounts {
            scenarios: scenarios.len(),
            ..Default::default()
        };
        for s in &scenarios {
            if s.error.is_some() {
                c.scenarios_errored += 1;
            } else if !s.passed {
                c.scenarios_failed += 1;
            }
            for step in &s.steps {
                match step.status {
                    Status::Fail => c.steps_failed += 1,
                    Status::Skip => c.steps_skipped += 1,
                    Status::Pass | Status::Warn => c.steps_passed += 1,
                }
            }
            for snap in s.snapshots() {
                match snap {
                    SnapshotOutcome::New { .. } => c.snapshots_new += 1,
                    SnapshotOutcome::Changed { .. } => c.snapshots_changed += 1,
                    SnapshotOutcome::Created { .. } | SnapshotOutcome::Updated { .. } => {
                        c.snapshots_written += 1
                    }
                    SnapshotOutcome::Matched | SnapshotOutcome::Failed { .. } => {}
                }
            }
        }
        Self {
            passed: c.scenarios_errored == 0 && c.scenarios_failed == 0,
            scenarios,
            counts: c,
            duration_ms,
        }
    }

    /// 0 every scenario passed, 1 a step failed, 2 a scenario could not run.
    pub fn exit_code(&self) -> u8 {
        if self.counts.scenarios_errored > 0 {
            2
        } else if self.counts.scenarios_failed > 0 {
            1
        } else {
            0
        }
    }

    /// JSON form (control characters in plugin strings come out escaped).
    pub fn to_json(&self) -> String {
        match serde_json::to_string_pretty(self) {
            Ok(json) => crate::text::escape_json_controls(&json),
            Err(e) => format!("{{\"error\":\"{e}\"}}"),
        }
    }

    /// Human form: every line sanitised before our own colour codes (when `colour`) are added.
    pub fn to_text(&self, colour: bool) -> String {
        let paint = |code: &str, s: &str| {
            if colour {
                format!("{code}{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let status = |s: Status| match s {
            Status::Pass => paint("\x1b[32m", "PASS"),
            Status::Warn => paint("\x1b[33m", "WARN"),
            Status::Fail => paint("\x1b[31;1m", "FAIL"),
            Status::Skip => paint("\x1b[90m", "SKIP"),
        };
        let mut out = String::new();
        for s in &self.scenarios {
            let _ = writeln!(
                out,
                "{}  {}",
                paint("\x1b[1m", &sanitize_line(&s.name)),
                paint("\x1b[2m", &format!("({})", sanitize_line(&s.file)))
            );
            if let Some(p) = &s.plugin {
                let _ = writeln!(
                    out,
                    "  plugin {} {} ({})",
                    sanitize_line(&p.name),
                    sanitize_line(&p.version),
                    sanitize_line(&p.plugin_id)
                );
            }
            if let Some(e) = &s.error {
                let _ = writeln!(
                    out,
                    "  {}  could not run: {}",
                    paint("\x1b[31;1m", "ERROR"),
                    sanitize_line(e)
                );
            }
            for step in &s.steps {
                write_step(&mut out, step, &status, &paint, colour);
            }
            if !s.passed && !s.plugin_output.is_empty() {
                let _ = writeln!(out, "  last lines the plugin printed:");
                for l in &s.plugin_output {
                    let _ = writeln!(out, "    | {}", sanitize_line(l));
                }
            }
            out.push('\n');
        }
        let c = &self.counts;
        if c.snapshots_new + c.snapshots_changed > 0 {
            let _ = writeln!(
                out,
                "snapshots: {} new, {} changed: written as .snap.new; review them, then accept with `tgo-console test --update`",
                c.snapshots_new, c.snapshots_changed
            );
        }
        if c.snapshots_written > 0 {
            let _ = writeln!(out, "snapshots: {} written", c.snapshots_written);
        }
        let verdict = if self.passed {
            paint("\x1b[32;1m", "PASS")
        } else {
            paint("\x1b[31;1m", "FAIL")
        };
        let _ = writeln!(
            out,
            "{verdict}: {} scenarios ({} failed{}); steps: {} passed, {} failed{} ({:.2} s)",
            c.scenarios,
            c.scenarios_failed,
            if c.scenarios_errored > 0 {
                format!(", {} could not run", c.scenarios_errored)
            } else {
                String::new()
            },
            c.steps_passed,
            c.steps_failed,
            if c.steps_skipped > 0 {
                format!(", {} skipped", c.steps_skipped)
            } else {
                String::new()
            },
            self.duration_ms / 1000.0
        );
        out
    }
}

/// Lines of a drawn answer or a long value shown under a failed expectation.
const SHOWN_LINES: usize = 40;

fn write_step(
    out: &mut String,
    step: &StepReport,
    status: &dyn Fn(Status) -> String,
    paint: &dyn Fn(&str, &str) -> String,
    colour: bool,
) {
    let mut head = format!(
        "  {}  {} {}",
        status(step.status),
        step.index,
        sanitize_line(&step.name)
    );
    if let Some(m) = &step.method {
        let _ = write!(head, "  [{}]", sanitize_line(m));
    }
    if let Some(ms) = step.latency_ms {
        let _ = write!(head, "  {ms:.1} ms");
    }
    let passed = step.expectations.iter().filter(|e| e.passed).count();
    if !step.expectations.is_empty() {
        let _ = write!(
            head,
            "  ({passed}/{} expectations)",
            step.expectations.len()
        );
    }
    let _ = writeln!(out, "{head}");
    let ind = "          ";
    if let Some(m) = &step.message {
        let _ = writeln!(out, "{ind}{}", sanitize_line(m));
    }
    let failed = step.status == Status::Fail;
    if failed {
        if let (Some(method), Some(sent)) = (&step.method, &step.sent) {
            let _ = writeln!(
                out,
                "{ind}sent {} {}",
                sanitize_line(method),
                sanitize_line(&truncate_chars(&sent.to_string(), 300))
            );
        }
        for (i, l) in step.outline.iter().enumerate() {
            let lead = if i == 0 { "got  " } else { "     " };
            let _ = writeln!(out, "{ind}{lead}{}", paint("\x1b[2m", &sanitize_line(l)));
        }
    }
    if failed || step.status == Status::Warn {
        for d in &step.diagnostics {
            let (label, code) = match d.severity {
                Severity::Error => ("error", "\x1b[31m"),
                Severity::Warning => ("warning", "\x1b[33m"),
            };
            let _ = writeln!(
                out,
                "{ind}{} {}: {}",
                paint(code, label),
                sanitize_line(&d.path),
                sanitize_line(&d.message)
            );
        }
    }
    for e in &step.expectations {
        let snapshot_note = matches!(
            e.snapshot,
            Some(SnapshotOutcome::Created { .. } | SnapshotOutcome::Updated { .. })
        );
        if e.passed && !snapshot_note {
            continue;
        }
        let mark = if e.passed {
            paint("\x1b[32m", "✔")
        } else {
            paint("\x1b[31m", "✖")
        };
        let _ = writeln!(
            out,
            "{ind}{mark} {}{}",
            sanitize_line(&e.expectation),
            e.message
                .as_ref()
                .map(|m| format!(": {}", sanitize_line(m)))
                .unwrap_or_default()
        );
        let block = |label: &str, text: &str, out: &mut String| {
            let lines: Vec<&str> = text.lines().collect();
            if lines.len() <= 1 {
                let _ = writeln!(out, "{ind}    {label} {}", sanitize_line(text));
                return;
            }
            let _ = writeln!(out, "{ind}    {}", label.trim_end());
            for l in lines.iter().take(SHOWN_LINES) {
                let _ = writeln!(out, "{ind}      {}", sanitize_line(l));
            }
            if lines.len() > SHOWN_LINES {
                let _ = writeln!(out, "{ind}      … {} more lines", lines.len() - SHOWN_LINES);
            }
        };
        if !e.passed {
            if let Some(x) = &e.expected {
                block("expected:", x, out);
            }
            if let Some(x) = &e.actual {
                block("actual:  ", x, out);
            }
        }
        if let Some(d) = &e.diff {
            let text: String = d.lines().map(sanitize_line).collect::<Vec<_>>().join("\n");
            let text = if colour { colour_diff(&text) } else { text };
            for l in text.lines() {
                let _ = writeln!(out, "{ind}    {l}");
            }
        }
    }
}
