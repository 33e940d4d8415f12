//! The check report: steps with a status, latency, details and diagnostics; printed as text
//! (sanitised, coloured on a terminal) or JSON.

use crate::jsonui::{Diagnostic, Severity};
use crate::text::sanitize_line;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            Status::Pass => "\x1b[32m",
            Status::Warn => "\x1b[33m",
            Status::Fail => "\x1b[31;1m",
            Status::Skip => "\x1b[90m",
        }
    }
}

/// One thing the check did.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Why it failed or warned, in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What came back, outlined (JSON-UI tree, action…).
    pub detail: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// The request frame as it was sent (JSON output only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    /// The answer frame as it came back (JSON output only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<serde_json::Value>,
    /// The step's request(s) counted as the console's health counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<crate::host::HealthSnapshot>,
}

impl Step {
    pub fn new(name: impl Into<String>, method: Option<&str>) -> Self {
        Self {
            name: name.into(),
            method: method.map(String::from),
            status: Status::Pass,
            latency_ms: None,
            message: None,
            detail: Vec::new(),
            diagnostics: Vec::new(),
            request: None,
            answer: None,
            health: None,
        }
    }

    /// Raises the status (pass < warn < fail) and keeps the first message of the worst level.
    pub fn mark(&mut self, status: Status, message: impl Into<String>) {
        let rank = |s: Status| match s {
            Status::Pass | Status::Skip => 0,
            Status::Warn => 1,
            Status::Fail => 2,
        };
        if rank(status) > rank(self.status) || self.message.is_none() {
            if rank(status) >= rank(self.status) {
                self.message = Some(message.into());
            }
            if rank(status) > rank(self.status) {
                self.status = status;
            }
        }
    }

    /// Adds diagnostics; errors fail the step, warnings warn it.
    pub fn add_diagnostics(&mut self, diags: Vec<Diagnostic>) {
        let errors = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let warnings = diags.len() - errors;
        if errors > 0 {
            self.mark(
                Status::Fail,
                format!("{errors} error(s), {warnings} warning(s) in the answer"),
            );
        } else if warnings > 0 {
            self.mark(Status::Warn, format!("{warnings} warning(s) in the answer"));
        }
        self.diagnostics.extend(diags);
    }
}

/// The plugin under test, as it registered.
#[derive(Clone, Debug, Serialize)]
pub struct PluginSummary {
    pub plugin_id: String,
    pub name: String,
    pub version: String,
    pub capabilities: Vec<String>,
}

impl PluginSummary {
    pub fn new(plugin_id: &str, info: &crate::host::PluginInfo) -> Self {
        Self {
            plugin_id: plugin_id.to_string(),
            name: info.name.clone(),
            version: info.version.clone(),
            capabilities: info
                .capabilities
                .iter()
                .map(|c| format!("{} \"{}\"", c.kind, c.title))
                .collect(),
        }
    }
}

/// Everything `check` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub passed: bool,
    /// Warnings fail the check too (`--strict`, `--fail-on warn`).
    pub strict: bool,
    pub listening: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<PluginSummary>,
    pub steps: Vec<Step>,
    pub counts: Counts,
    pub duration_ms: f64,
    /// The last lines the launched plugin printed.
    pub plugin_output: Vec<String>,
    /// Every request of the check, counted as the console's health counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<crate::host::HealthSnapshot>,
    /// The launched plugin's memory, and its CPU over the check (sampled before shutdown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<crate::launcher::tree::ProcUsage>,
    /// Restarts of the plugin during the check (always 0: check starts it once).
    pub restarts: u32,
    /// The chaos faults, when `--chaos` ran them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chaos: Option<super::chaos::ChaosReport>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    pub passed: usize,
    pub warned: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Report {
    pub fn finish(&mut self) {
        let mut c = Counts::default();
        for s in &self.steps {
            match s.status {
                Status::Pass => c.passed += 1,
                Status::Warn => c.warned += 1,
                Status::Fail => c.failed += 1,
                Status::Skip => c.skipped += 1,
            }
        }
        let chaos_passed = self.chaos.as_ref().is_none_or(|c| c.passed);
        self.passed = c.failed == 0
            && (!self.strict || c.warned == 0)
            && !self.steps.is_empty()
            && chaos_passed;
        self.counts = c;
    }

    /// JSON form (control characters in plugin strings, C1 and bidi ones too, come out as
    /// `\u001b`-style escapes).
    pub fn to_json(&self) -> String {
        match serde_json::to_string_pretty(self) {
            Ok(json) => crate::text::escape_json_controls(&json),
            Err(e) => format!("{{\"error\":\"{e}\"}}"),
        }
    }

    /// Human form. Every line is sanitised before colour is added, so only our own escape
    /// sequences (when `colour` is on) reach the terminal.
    pub fn to_text(&self, colour: bool) -> String {
        let paint = |code: &str, s: &str| {
            if colour {
                format!("{code}{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let mut out = String::new();
        let plugin = match &self.plugin {
            Some(p) => format!("{} {} ({})", p.name, p.version, p.plugin_id),
            None => "no plugin".into(),
        };
        let _ = writeln!(
            out,
            "tgo-console check: {} on {}",
            sanitize_line(&plugin),
            self.listening.join(", ")
        );
        if let Some(cmd) = &self.command {
            let _ = writeln!(out, "  command: {}", sanitize_line(cmd));
        }
        out.push('\n');
        for step in &self.steps {
            let mut head = format!(
                "{}  {}",
                paint(step.status.colour(), step.status.label()),
                sanitize_line(&step.name)
            );
            if let Some(m) = &step.method {
                // Built from the capability type for unknown types: plugin text.
                let _ = write!(head, "  [{}]", sanitize_line(m));
            }
            if let Some(ms) = step.latency_ms {
                let _ = write!(head, "  {ms:.1} ms");
            }
            let _ = writeln!(out, "{head}");
            if let Some(msg) = &step.message {
                let _ = writeln!(out, "        {}", sanitize_line(msg));
            }
            for line in &step.detail {
                let _ = writeln!(out, "        {}", paint("\x1b[2m", &sanitize_line(line)));
            }
            for d in &step.diagnostics {
                let (label, code) = match d.severity {
                    Severity::Error => ("error", "\x1b[31m"),
                    Severity::Warning => ("warning", "\x1b[33m"),
                };
                let _ = writeln!(
                    out,
                    "        {} {}: {}",
                    paint(code, label),
                    sanitize_line(&d.path),
                    sanitize_line(&d.message)
                );
            }
        }
        if let Some(chaos) = &self.chaos {
            out.push('\n');
            out.push_str(&chaos_table(chaos, &paint));
        }
        if !self.plugin_output.is_empty() && !self.passed {
            let _ = writeln!(out, "\nlast lines the plugin printed:");
            for l in &self.plugin_output {
                let _ = writeln!(out, "  | {}", sanitize_line(l));
            }
        }
        let c = &self.counts;
        let verdict = if self.passed {
            paint("\x1b[32;1m", "PASS")
        } else {
            paint("\x1b[31;1m", "FAIL")
        };
        // A failed chaos run fails the check with no failed step: say so on the last line.
        let chaos = self
            .chaos
            .as_ref()
            .and_then(|c| c.faults.iter().find(|f| f.verdict.fails()))
            .map_or_else(String::new, |f| {
                format!("; chaos: {} by {}", f.verdict.label(), f.fault)
            });
        let _ = writeln!(
            out,
            "\n{verdict}: {} passed, {} warnings{}, {} failed{}{chaos} ({:.2} s)",
            c.passed,
            c.warned,
            if self.strict && c.warned > 0 {
                " (--strict: they fail)"
            } else {
                ""
            },
            c.failed,
            if c.skipped > 0 {
                format!(", {} skipped", c.skipped)
            } else {
                String::new()
            },
            self.duration_ms / 1000.0
        );
        out
    }
}

/// The chaos run as a table: fault, verdict, what the plugin did; the healthy render's
/// outcome under it when it was not plainly ok.
fn chaos_table(chaos: &super::chaos::ChaosReport, paint: &dyn Fn(&str, &str) -> String) -> String {
    use super::chaos::Verdict;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "chaos ({} faults, each followed by a healthy {}):",
        chaos.faults.len(),
        sanitize_line(&chaos.healthy_method)
    );
    let width = chaos
        .faults
        .iter()
        .map(|f| f.fault.name().len())
        .max()
        .unwrap_or(0);
    for f in &chaos.faults {
        let colour = match f.verdict {
            Verdict::Ok | Verdict::ErrorAnswer => "\x1b[32m",
            Verdict::Wrong => "\x1b[33m",
            Verdict::NotRun => "\x1b[90m",
            Verdict::Hung | Verdict::Crashed => "\x1b[31;1m",
        };
        let label = format!("{:<12}", f.verdict.label());
        let _ = writeln!(
            out,
            "  {:<width$}  {}  {}",
            f.fault.name(),
            paint(colour, &label),
            sanitize_line(&f.detail)
        );
        if let Some(h) = f.healthy.as_ref().filter(|h| !h.contains(": ok in ")) {
            let _ = writeln!(
                out,
                "  {:<width$}  {:<12}  healthy render: {}",
                "",
                "",
                sanitize_line(h)
            );
        }
    }
    let headline = chaos.headline();
    let _ = writeln!(
        out,
        "  → {}",
        if chaos.passed {
            paint("\x1b[32m", &sanitize_line(&headline))
        } else {
            paint("\x1b[31;1m", &sanitize_line(&headline))
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_in_text_and_json() {
        let mut step = Step::new("render \x1b]0;pwned\x07", Some("visitor_panel/render"));
        step.detail.push("text \x1b[2Jboom".into());
        let mut r = Report {
            listening: vec!["/tmp/x.sock".into()],
            steps: vec![step],
            duration_ms: 1.0,
            plugin_output: vec!["\x1b[31mred".into()],
            ..Report::default()
        };
        r.finish();
        let text = r.to_text(false);
        assert!(!text.contains('\x1b'), "{text}");
        assert!(text.contains("\\x1b]0;pwned\\x07"));
        assert!(!r.to_json().contains('\x1b'));
        assert!(r.passed);
    }

    #[test]
    fn hostile_method_and_c1_controls_are_escaped() {
        let step = Step::new("render \u{9b}2J\u{202e}", Some("holo\x1b[2J/render"));
        let r = Report {
            passed: true,
            steps: vec![step],
            duration_ms: 1.0,
            ..Report::default()
        };
        let text = r.to_text(false);
        assert!(text.contains("[holo\\x1b[2J/render]"), "{text}");
        assert!(!crate::text::has_control_chars(&text), "{text}");
        // JSON too: serde_json leaves C1 and bidi controls raw.
        let json = r.to_json();
        assert!(!crate::text::has_control_chars(&json), "{json}");
        assert!(json.contains("render \\u009b2J\\u202e"), "{json}");
    }

    #[test]
    fn strict_fails_on_warnings() {
        let mut step = Step::new("x", None);
        step.mark(Status::Warn, "w");
        let mut r = Report {
            steps: vec![step],
            duration_ms: 1.0,
            ..Report::default()
        };
        r.finish();
        assert!(r.passed);
        r.strict = true;
        r.finish();
        assert!(!r.passed);
        assert!(
            r.to_text(false)
                .contains("1 warnings (--strict: they fail)")
        );
    }

    #[test]
    fn mark_keeps_the_worst() {
        let mut s = Step::new("x", None);
        s.mark(Status::Warn, "w");
        s.mark(Status::Fail, "f");
        s.mark(Status::Warn, "w2");
        assert_eq!(s.status, Status::Fail);
        assert_eq!(s.message.as_deref(), Some("f"));
    }
}
