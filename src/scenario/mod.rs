//! Scenarios: a plugin's states as files (`*.scenario.yml`), run by `tgo-console test`.
//!
//! A library in three parts so the console can play the same files: [`format`] reads a file
//! into typed steps, [`Player`] turns each step into a request against what is shown and judges
//! the answer against the step's expectations (no I/O but snapshot files), and [`run`] drives a
//! whole scenario against a freshly launched plugin. [`snapshot`] keeps the golden files,
//! [`from_recording`] turns a `--record`ed session into a scenario, [`write`] writes files.

pub mod cli;
pub mod format;
pub mod from_recording;
pub mod judge;
mod player;
pub mod report;
mod run;
pub mod snapshot;
pub mod write;

pub use format::{
    ContextSpec, Expect, PluginLaunch, PluginSpec, Scenario, ScenarioError, SelectTarget,
    StepAction, StepSpec, load, parse,
};
pub use judge::judge;
pub use player::{AnswerKind, Player, Prepared};
pub use report::{ExpectReport, ScenarioReport, StepReport, TestReport};
pub use run::{RunOptions, find_scenarios, register_failure, run, run_file, stories_beside};
