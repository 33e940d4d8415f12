//! Stories: the scenario files found beside a launched plugin (`*.scenario.yml` in its
//! directory, `stories/` and `tests/`), listed under the capability they start with, played
//! by hand through the console's own request path, and saved from what is on screen. The
//! files' data is here, a play's in `plays`; `playing` and `saving` are the reducers. Reading files and judging answers
//! (snapshots are files) are the app's to do, off the UI loop.

use super::composer::ComposerState;
use crate::host::{Capability, Outcome};
use crate::scenario::{ContextSpec, Prepared, Scenario, StepAction, StepReport};
use ratatui_textarea::TextArea;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A scenario file beside a plugin, as the plugins pane lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryFile {
    pub path: PathBuf,
    /// Its `name`, or its file name when it cannot be read.
    pub name: String,
    /// What its first step renders (a capability's title or type), if it renders.
    pub starts_with: Option<String>,
    pub steps: usize,
    /// Why it cannot be read (`file:line:column: field: problem`).
    pub error: Option<String>,
}

impl StoryFile {
    /// Reads the file (I/O: the app calls this, never `update`).
    pub fn read(path: &Path) -> Self {
        match crate::scenario::load(path) {
            Ok(s) => Self::of(&s, path),
            Err(e) => Self {
                path: path.to_path_buf(),
                name: file_name(path),
                starts_with: None,
                steps: 0,
                error: Some(e.to_string()),
            },
        }
    }

    /// What the pane shows of a scenario read from `path`.
    pub fn of(s: &Scenario, path: &Path) -> Self {
        let starts_with = match s.steps.first().map(|st| &st.action) {
            Some(StepAction::Render(target)) => Some(target.clone()),
            _ => None,
        };
        Self {
            path: path.to_path_buf(),
            name: s.name.clone(),
            starts_with,
            steps: s.steps.len(),
            error: None,
        }
    }

    /// The capability it starts with among `caps`, found as a scenario's `render` finds it
    /// (by title, then by type).
    pub fn capability(&self, caps: &[Capability]) -> Option<usize> {
        let target = self.starts_with.as_deref()?;
        caps.iter()
            .position(|c| c.title == target)
            .or_else(|| caps.iter().position(|c| c.kind.as_str() == target))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// A story row of the plugins pane: the plugin it is played against and its file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoryKey {
    pub plugin_id: String,
    pub path: PathBuf,
}

/// One step of a played story, as the render header shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepMark {
    /// `render Orders`, `click view_all`…
    pub label: String,
    /// Each expectation, in order: passed or not (empty until judged).
    pub expectations: Vec<bool>,
    /// `None` until the step ran.
    pub passed: Option<bool>,
    /// Why it failed: each failed expectation with what was expected and what came, one
    /// line each (or the step's message when none failed: a plugin error, an invalid answer).
    pub failures: Vec<String>,
}

impl StepMark {
    pub fn new(label: String) -> Self {
        Self {
            label,
            expectations: Vec::new(),
            passed: None,
            failures: Vec::new(),
        }
    }

    /// A step that failed before any answer (not sent, not run).
    pub fn failed(label: String, why: String) -> Self {
        Self {
            passed: Some(false),
            failures: vec![why],
            ..Self::new(label)
        }
    }

    /// What the judge said of the step.
    pub fn judged(report: &StepReport) -> Self {
        let passed = report.status != crate::check::Status::Fail;
        let mut failures = Vec::new();
        for e in report.expectations.iter().filter(|e| !e.passed) {
            let mut line = e.expectation.clone();
            match (&e.expected, &e.actual) {
                (Some(want), Some(got)) => {
                    line.push_str(&format!(": expected {want}, got {got}"));
                }
                _ => {
                    if let Some(m) = &e.message {
                        line.push_str(&format!(": {m}"));
                    }
                }
            }
            failures.push(line);
        }
        // Failed with every expectation met: a plugin error, an invalid answer.
        if !passed
            && failures.is_empty()
            && let Some(m) = &report.message
        {
            failures.push(m.clone());
        }
        Self {
            label: report.name.clone(),
            expectations: report.expectations.iter().map(|e| e.passed).collect(),
            passed: Some(passed),
            failures,
        }
    }
}

/// A step's answer to judge against its expectations, off the UI loop (a `{snapshot}` reads
/// and writes files).
#[derive(Clone, Debug)]
pub struct JudgeJob {
    pub play: u64,
    /// 0-based.
    pub index: usize,
    pub prepared: Prepared,
    pub outcome: Outcome,
    pub latency_ms: f64,
    pub scenario: Arc<Scenario>,
}

impl PartialEq for JudgeJob {
    fn eq(&self, other: &Self) -> bool {
        self.play == other.play && self.index == other.index
    }
}

impl JudgeJob {
    /// Judges the answer as `tgo-console test` would (I/O: the app runs it).
    pub fn run(&self) -> StepReport {
        let spec = &self.scenario.steps[self.index];
        let mut report = StepReport::new(self.index + 1, spec.action.label());
        report.method = Some(self.prepared.method.clone());
        let snapshots = crate::scenario::snapshot::Snapshots::new(
            self.scenario.dir(),
            &self.scenario.stem(),
            false,
        )
        .drawn_as(self.scenario.drawing);
        crate::scenario::judge(
            &mut report,
            &self.prepared,
            &self.outcome,
            self.latency_ms,
            &spec.expect,
            &snapshots,
        );
        report
    }
}

/// The small window that asks for a story's name before it is saved.
pub struct SaveForm {
    pub name: TextArea<'static>,
    /// Add a `{snapshot}` expectation to each step.
    pub snapshots: bool,
    /// The plugin's `stories/` directory.
    pub dir: PathBuf,
    /// The manifest, as the file says it (relative to `dir`).
    pub manifest: PathBuf,
    pub context: ContextSpec,
    pub steps: Vec<StepAction>,
    /// What is saved, in words (`Customer 360 · click view_all`).
    pub what: String,
    /// The composer it was opened from, given back when the window closes.
    pub back: Option<Box<ComposerState>>,
    /// Why the name was refused, or that the file exists.
    pub error: Option<String>,
    /// The file that exists under the name typed: `Enter` again overwrites it.
    pub exists: Option<PathBuf>,
    /// Sent to be written; waiting to hear how it went.
    pub saving: bool,
}

/// What became of a story sent to be saved.
#[derive(Clone, Debug, PartialEq)]
pub enum Saved {
    Written,
    /// Not written: a file has the name (and overwriting was not asked).
    Exists,
    Failed(String),
}
