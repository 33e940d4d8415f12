//! `--junit FILE`: `check` and `test` results as JUnit XML for CI (one testsuite per check or
//! scenario, one testcase per step, `<failure>` with the message and, for expectations, the
//! expected and actual values). Plugin text goes in as is; quick-junit escapes it for XML.

use crate::check::{Report, Status, Step};
use crate::scenario::{ScenarioReport, StepReport};
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use std::path::Path;
use std::time::Duration;

/// Plugin text made visible: escape sequences shown as `\x1b` text rather than stripped by the
/// XML writer, so the report says what the plugin really sent.
fn x(s: &str) -> String {
    crate::text::sanitize_multiline(s)
}

fn duration(ms: f64) -> Duration {
    Duration::from_secs_f64((ms / 1000.0).max(0.0))
}

/// Writes `report` to `path`.
pub fn write(path: &Path, report: &quick_junit::Report) -> std::io::Result<()> {
    let xml = report.to_string().map_err(std::io::Error::other)?;
    std::fs::write(path, xml)
}

fn check_case(step: &Step, strict: bool, classname: &str) -> TestCase {
    let failing = step.status == Status::Fail || (strict && step.status == Status::Warn);
    let status = if failing {
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
        st.set_message(x(step.message.as_deref().unwrap_or_default()));
        let mut text: Vec<String> = step.detail.clone();
        text.extend(step.diagnostics.iter().map(|d| {
            format!(
                "{} {}: {}",
                if d.is_error() { "error" } else { "warning" },
                d.path,
                d.message
            )
        }));
        st.set_description(x(&text.join("\n")));
        st
    } else if step.status == Status::Skip {
        let mut st = TestCaseStatus::skipped();
        st.set_message(x(step.message.as_deref().unwrap_or_default()));
        st
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(x(&step.name), status);
    case.set_classname(classname.to_string());
    if let Some(ms) = step.latency_ms {
        case.set_time(duration(ms));
    }
    if step.status == Status::Warn && !failing {
        case.set_system_out(x(&format!(
            "warning: {}",
            step.message.as_deref().unwrap_or_default()
        )));
    }
    case
}

/// A chaos fault: failed when it crashed or hung the plugin, skipped when not run; the
/// verdict and what the plugin did in the output either way.
fn chaos_case(fault: &crate::check::chaos::FaultReport, classname: &str) -> TestCase {
    use crate::check::chaos::Verdict;
    let said = format!("{}: {}", fault.verdict.label(), fault.detail);
    let status = if fault.verdict.fails() {
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
        st.set_message(x(&said));
        st.set_description(x(fault.healthy.as_deref().unwrap_or_default()));
        st
    } else if fault.verdict == Verdict::NotRun {
        let mut st = TestCaseStatus::skipped();
        st.set_message(x(&fault.detail));
        st
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(format!("chaos {}", fault.fault), status);
    case.set_classname(classname.to_string());
    case.set_time(duration(fault.duration_ms));
    if !fault.verdict.fails() && fault.verdict != Verdict::NotRun {
        case.set_system_out(x(&said));
    }
    case
}

/// A `check` report: one testsuite, a testcase per step (warnings fail under `--strict`).
pub fn from_check(report: &Report) -> quick_junit::Report {
    let name = match &report.plugin {
        Some(p) => format!("check {}", p.plugin_id),
        None => "check".to_string(),
    };
    let mut suite = TestSuite::new(x(&name));
    suite.set_time(duration(report.duration_ms));
    for step in &report.steps {
        suite.add_test_case(check_case(step, report.strict, &name));
    }
    for fault in report.chaos.iter().flat_map(|c| &c.faults) {
        suite.add_test_case(chaos_case(fault, &name));
    }
    if !report.passed && !report.plugin_output.is_empty() {
        suite.set_system_err(x(&report.plugin_output.join("\n")));
    }
    let mut out = quick_junit::Report::new("tgo-console check");
    out.add_test_suite(suite);
    out
}

fn scenario_case(step: &StepReport, classname: &str) -> TestCase {
    let status = match step.status {
        Status::Fail => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(x(step.message.as_deref().unwrap_or_default()));
            st.set_description(x(&step.failure_text()));
            st
        }
        Status::Skip => {
            let mut st = TestCaseStatus::skipped();
            st.set_message(x(step.message.as_deref().unwrap_or_default()));
            st
        }
        Status::Pass | Status::Warn => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(x(&step.name), status);
    case.set_classname(classname.to_string());
    if let Some(ms) = step.latency_ms {
        case.set_time(duration(ms));
    }
    case
}

/// `test` results: a testsuite per scenario, a testcase per step; a scenario that could not
/// run is one testcase with an `<error>`.
pub fn from_scenarios(reports: &[ScenarioReport]) -> quick_junit::Report {
    let mut out = quick_junit::Report::new("tgo-console test");
    for r in reports {
        let mut suite = TestSuite::new(x(&r.name));
        suite.set_time(duration(r.duration_ms));
        suite.add_property(("file", r.file.as_str()));
        let classname = r.file.clone();
        if let Some(error) = &r.error {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(x(error));
            let mut case = TestCase::new("could not run", st);
            case.set_classname(classname.clone());
            suite.add_test_case(case);
        }
        for step in &r.steps {
            suite.add_test_case(scenario_case(step, &classname));
        }
        if !r.passed && !r.plugin_output.is_empty() {
            suite.set_system_err(x(&r.plugin_output.join("\n")));
        }
        out.add_test_suite(suite);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_shown_escaped_and_warnings_fail_only_when_strict() {
        let mut step = Step::new("render \x1b]0;pwned\x07", Some("visitor_panel/render"));
        step.mark(Status::Warn, "odd \x1b[2J text");
        let mut report = Report {
            passed: true,
            steps: vec![step],
            duration_ms: 3.0,
            ..Report::default()
        };
        let xml = from_check(&report).to_string().unwrap();
        assert!(!xml.contains('\x1b'), "{xml}");
        assert!(xml.contains("render \\x1b]0;pwned\\x07"), "{xml}");
        assert!(xml.contains("warning: odd \\x1b[2J text"), "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
        report.strict = true;
        let xml = from_check(&report).to_string().unwrap();
        assert!(
            xml.contains("<failure message=\"odd \\x1b[2J text\""),
            "{xml}"
        );
    }
}
