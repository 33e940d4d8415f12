//! Runs scenarios: each on a fresh host with its plugin launched, steps in order, every step's
//! answer judged; finding scenario files in directories.

use super::format::{self, PluginLaunch, Scenario};
use super::judge::judge;
use super::player::Player;
use super::report::{ScenarioReport, StepReport};
use super::snapshot::Snapshots;
use crate::check::report::PluginSummary;
use crate::check::{Launched, Status, launch};
use crate::host::HostConfig;
use crate::launcher::{LaunchSpec, manifest};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How scenarios run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The host each scenario gets (one at a time, so one socket serves them all).
    pub host: HostConfig,
    /// How long a plugin has to register.
    pub wait: Duration,
    /// Accept new and changed snapshots.
    pub update: bool,
}

/// Lines of plugin output kept in a report.
const OUTPUT_TAIL: usize = 20;

/// Directories never searched for scenarios.
const SKIPPED_DIRS: [&str; 6] = [
    "target",
    "node_modules",
    "__snapshots__",
    "__pycache__",
    ".venv",
    ".git",
];

fn is_scenario(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".scenario.yml") || n.ends_with(".scenario.yaml"))
}

/// Why the paths given to `test` name no scenario file.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("{}: no such file or directory", .0.display())]
    Missing(PathBuf),
    #[error("{}: {source}", path.display())]
    Walk {
        path: PathBuf,
        source: walkdir::Error,
    },
    #[error("{}: no *.scenario.yml or *.scenario.yaml file in it", .0.display())]
    NoScenario(PathBuf),
}

/// Why a scenario's plugin cannot be started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    #[error("plugin.manifest {} holds {count} plugins: name one manifest", manifest.display())]
    SeveralPlugins { manifest: PathBuf, count: usize },
}

/// The scenario files `paths` stand for: files as given, directories searched (recursively,
/// sorted, hidden and build directories skipped) for `*.scenario.yml` / `*.scenario.yaml`.
pub fn find_scenarios(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FindError> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_file() {
            found.push(path.clone());
            continue;
        }
        if !path.is_dir() {
            return Err(FindError::Missing(path.clone()));
        }
        let before = found.len();
        let walk = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                e.depth() == 0
                    || !(e.file_type().is_dir()
                        && (name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref())))
            });
        for entry in walk {
            let entry = entry.map_err(|source| FindError::Walk {
                path: path.clone(),
                source,
            })?;
            if entry.file_type().is_file() && is_scenario(entry.path()) {
                let path = entry.into_path();
                // `.` walks as `./x`: show it as `x`.
                found.push(
                    path.strip_prefix(".")
                        .map_or(path.clone(), Path::to_path_buf),
                );
            }
        }
        if found.len() == before {
            return Err(FindError::NoScenario(path.clone()));
        }
    }
    Ok(found)
}

/// The scenario files that go with a plugin whose manifest is in `dir`: those in `dir`
/// itself, and those anywhere under its `stories/` and `tests/` (sorted, build and hidden
/// directories skipped). What cannot be listed is left out.
pub fn stories_beside(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && is_scenario(p))
        .collect();
    found.sort();
    for sub in ["stories", "tests"] {
        let sub = dir.join(sub);
        if sub.is_dir() {
            found.extend(find_scenarios(&[sub]).unwrap_or_default());
        }
    }
    found
}

/// How to start the scenario's plugin: its command (a relative program path taken from the
/// working directory) or its manifest's, run in `cwd` (default: the scenario's directory,
/// or the manifest's own for a manifest).
pub fn launch_spec(s: &Scenario) -> Result<LaunchSpec, LaunchError> {
    let cwd = s.plugin.cwd.as_ref().map(|c| s.dir().join(c));
    match &s.plugin.launch {
        PluginLaunch::Command(cmd) => {
            let cwd = cwd.unwrap_or_else(|| s.dir().to_path_buf());
            let mut program = cmd[0].clone();
            if program.contains('/') && Path::new(&program).is_relative() {
                program = cwd.join(&program).display().to_string();
            }
            Ok(LaunchSpec {
                program,
                args: cmd[1..].to_vec(),
                cwd: Some(cwd),
                env: Vec::new(),
            })
        }
        PluginLaunch::Manifest(m) => {
            let found = manifest::discover(&s.dir().join(m));
            let mut spec = match <[_; 1]>::try_from(found) {
                Ok([Ok(m)]) => m.spec,
                Ok([Err(e)]) => return Err(e.into()),
                Err(all) => {
                    return Err(LaunchError::SeveralPlugins {
                        manifest: m.clone(),
                        count: all.len(),
                    });
                }
            };
            if cwd.is_some() {
                spec.cwd = cwd;
            }
            Ok(spec)
        }
    }
}

use super::snapshot::shown as shown_path;

/// Reads and runs one scenario file; a file that cannot be read is a report with an error.
pub async fn run_file(path: &Path, opts: &RunOptions) -> ScenarioReport {
    match format::load(path) {
        Ok(s) => run(&s, opts).await,
        Err(e) => {
            let mut r = ScenarioReport::new(
                path.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                shown_path(path),
            );
            r.error = Some(e.to_string());
            r.finish();
            r
        }
    }
}

/// Why a registration is no use, in one line.
pub fn register_failure(register: &crate::check::Step) -> String {
    let why = register.message.as_deref().unwrap_or("no registration");
    if register.latency_ms.is_some() {
        format!("the registration failed: {why}")
    } else {
        format!("the plugin did not register: {why}")
    }
}

/// Builds the scenario's plugin first when its manifest says how and it needs it (as `check`
/// does); a failure comes with the build's last lines.
async fn build_if_needed(
    s: &Scenario,
) -> Result<(), (crate::launcher::build::BuildError, Vec<String>)> {
    use crate::launcher::build;
    let PluginLaunch::Manifest(m) = &s.plugin.launch else {
        return Ok(());
    };
    let Ok([Ok(m)]) = <[_; 1]>::try_from(manifest::discover(&s.dir().join(m))) else {
        return Ok(()); // launch_spec says what is wrong
    };
    if !build::needed(&m) {
        return Ok(());
    }
    let lines = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let kept = lines.clone();
    let sink: crate::launcher::LineSink = std::sync::Arc::new(move |l| {
        kept.lock().push(l.text.clone());
    });
    build::run(&m, sink).await.map_err(|e| {
        let all = std::mem::take(&mut *lines.lock());
        let tail = all[all.len().saturating_sub(OUTPUT_TAIL)..].to_vec();
        (e, tail)
    })
}

/// Runs one scenario: a fresh host, its plugin, its steps; then stops both.
pub async fn run(scenario: &Scenario, opts: &RunOptions) -> ScenarioReport {
    let started = Instant::now();
    let mut report = ScenarioReport::new(scenario.name.clone(), shown_path(&scenario.file));
    let done = |mut r: ScenarioReport| {
        r.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        r.finish();
        r
    };
    if let Err((e, lines)) = build_if_needed(scenario).await {
        report.error = Some(format!("plugin: build failed: {e}"));
        report.plugin_output = lines;
        return done(report);
    }
    let spec = match launch_spec(scenario) {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(format!("plugin: {e}"));
            return done(report);
        }
    };
    let mut launched = match Launched::start(opts.host.clone(), Some(&spec)).await {
        Ok(l) => l,
        Err(e) => {
            report.error = Some(e.to_string());
            return done(report);
        }
    };
    let (register, registered) = launched.wait_for_register(opts.wait).await;
    let Some((plugin_id, info)) = registered.filter(|_| register.status != Status::Fail) else {
        report.error = Some(register_failure(&register));
        report.plugin_output = launched.close(None, OUTPUT_TAIL).await;
        return done(report);
    };
    report.plugin = Some(PluginSummary::new(&plugin_id, &info));
    let host = launched.host.clone();
    let mut player = Player::new(&scenario.context, info.capabilities.clone());
    let snapshots =
        Snapshots::new(scenario.dir(), &scenario.stem(), opts.update).drawn_as(scenario.drawing);
    let mut gone_at: Option<usize> = None;
    for (i, spec) in scenario.steps.iter().enumerate() {
        let mut step = StepReport::new(i + 1, spec.action.label());
        if let Some(at) = gone_at {
            step.status = Status::Skip;
            step.message = Some(format!("not run: the plugin disconnected at step {at}"));
            report.steps.push(step);
            continue;
        }
        let prepared = match player.prepare(&spec.action) {
            Ok(p) => p,
            Err(why) => {
                step.status = Status::Fail;
                step.message = Some(format!("not sent: {why}"));
                report.steps.push(step);
                continue;
            }
        };
        step.method = Some(prepared.method.clone());
        step.sent = Some(prepared.params.clone());
        match host
            .request(&plugin_id, &prepared.method, prepared.params.clone())
            .await
        {
            Ok(reply) => {
                (step.request, step.answer) = launch::frames(&host, &reply);
                let latency = reply.latency.as_secs_f64() * 1000.0;
                judge(
                    &mut step,
                    &prepared,
                    &reply.outcome,
                    latency,
                    &spec.expect,
                    &snapshots,
                );
                let result = match &reply.outcome {
                    crate::host::Outcome::Result { value } => Some(value),
                    _ => None,
                };
                player.observe(&prepared, result);
            }
            Err(e) => {
                step.status = Status::Fail;
                step.message = Some(e.to_string());
            }
        }
        if host.plugin(&plugin_id).is_none() {
            gone_at = Some(i + 1);
        }
        report.steps.push(step);
    }
    report.plugin_output = launched.close(Some(&plugin_id), OUTPUT_TAIL).await;
    done(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_found_sorted_skipping_build_and_hidden_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for f in [
            "b.scenario.yml",
            "a/z.scenario.yaml",
            "a/notes.yml",
            "target/x.scenario.yml",
            ".hidden/y.scenario.yml",
            "node_modules/m.scenario.yml",
            "__snapshots__/s.scenario.yml",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let found = find_scenarios(&[root.to_path_buf()]).unwrap();
        let rel: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(rel, ["a/z.scenario.yaml", "b.scenario.yml"]);
        let e = find_scenarios(&[root.join("a/nope")])
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("no such file or directory"), "{e}");
        // Named on the command line, a skipped directory is searched after all.
        assert_eq!(find_scenarios(&[root.join("target")]).unwrap().len(), 1);
        std::fs::remove_file(root.join("a/z.scenario.yaml")).unwrap();
        let e = find_scenarios(&[root.join("a")]).unwrap_err().to_string();
        assert!(
            e.ends_with("no *.scenario.yml or *.scenario.yaml file in it"),
            "{e}"
        );
    }

    #[test]
    fn stories_beside_a_plugin_are_its_own_directory_stories_and_tests() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for f in [
            "plugin.yml",
            "orders.scenario.yml",
            "stories/a.scenario.yml",
            "stories/deep/b.scenario.yaml",
            "tests/c.scenario.yml",
            "other/d.scenario.yml",
            "stories/__snapshots__/e.scenario.yml",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let rel: Vec<String> = stories_beside(root)
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(
            rel,
            [
                "orders.scenario.yml",
                "stories/a.scenario.yml",
                "stories/deep/b.scenario.yaml",
                "tests/c.scenario.yml"
            ]
        );
        assert!(stories_beside(&root.join("nope")).is_empty());
    }
}
