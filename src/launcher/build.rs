//! Building a plugin from its manifest's `build` section, as the TGO runtime does:
//!
//! - `go`: `go build -o <go.output> <go.main>` (defaults `plugin`, `./cmd/plugin`);
//! - `python`: `python3 -m venv .venv`, then `.venv/bin/pip install -r <python.requirements>`
//!   (default `requirements.txt`) when that file exists;
//! - `nodejs`: `npm install` when `<nodejs.package>` (default `package.json`) exists.
//!
//! Every step runs in the plugin's directory (the manifest's), as a [`ChildPlugin`] (its own
//! process group, dies with the console), its lines handed to a [`LineSink`] as they come.

use super::manifest::{BuildSpec, Manifest};
use super::process::{ChildPlugin, LaunchSpec, LineSink, OutputLine, SpawnOptions, StreamKind};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Lines of a failed step kept in its [`BuildError::Failed`].
const ERROR_LINES: usize = 40;

/// One command of a build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildStep {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// What the program is, for "'go' compiler not found".
    pub tool: &'static str,
}

impl BuildStep {
    fn new(program: impl Into<String>, args: &[&str], cwd: &Path, tool: &'static str) -> Self {
        Self {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            cwd: cwd.to_path_buf(),
            tool,
        }
    }

    /// The command line, for messages.
    pub fn display(&self) -> String {
        self.spec().display()
    }

    fn spec(&self) -> LaunchSpec {
        LaunchSpec {
            program: self.program.clone(),
            args: self.args.clone(),
            cwd: Some(self.cwd.clone()),
            env: Vec::new(),
        }
    }
}

/// Why a build did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "{plugin}: nothing to build (the manifest has no build.language: go, python or nodejs)"
    )]
    NothingToBuild { plugin: String },
    /// The step's program is not installed (e.g. "'go' compiler not found").
    #[error("'{program}' {tool}not found (needed for `{command}`)")]
    ToolMissing {
        program: String,
        /// "compiler " or "".
        tool: &'static str,
        command: String,
    },
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    /// The step ran and failed; `errors` are its last lines (the tool's own messages).
    #[error("`{command}` failed ({status})")]
    Failed {
        command: String,
        status: String,
        errors: Vec<String>,
    },
}

impl BuildError {
    /// The failed step's own lines (the compiler's errors), if it ran.
    pub fn errors(&self) -> &[String] {
        match self {
            Self::Failed { errors, .. } => errors,
            _ => &[],
        }
    }

    /// One line that says what went wrong: the tool's first line that is not a heading (Go
    /// prints `# package` before its errors), else this error itself.
    pub fn headline(&self) -> String {
        self.errors()
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .map_or_else(|| self.to_string(), str::to_string)
    }
}

/// The commands building `m` runs, in order (none for a Python plugin's pip when it has no
/// requirements file, or a Node plugin with no package file).
pub fn steps(m: &Manifest) -> Result<Vec<BuildStep>, BuildError> {
    let dir = m.dir();
    let Some(spec) = &m.build else {
        return Err(BuildError::NothingToBuild {
            plugin: m.name.clone(),
        });
    };
    Ok(match spec {
        BuildSpec::Go { main, output } => vec![BuildStep::new(
            "go",
            &["build", "-o", output, main],
            dir,
            "compiler ",
        )],
        BuildSpec::Python { requirements } => {
            let mut steps = vec![BuildStep::new("python3", &["-m", "venv", ".venv"], dir, "")];
            if dir.join(requirements).is_file() {
                let pip = dir.join(".venv/bin/pip").display().to_string();
                steps.push(BuildStep::new(
                    pip,
                    &["install", "-r", requirements],
                    dir,
                    "",
                ));
            }
            steps
        }
        BuildSpec::Nodejs { package } => {
            if dir.join(package).is_file() {
                vec![BuildStep::new("npm", &["install"], dir, "")]
            } else {
                Vec::new()
            }
        }
    })
}

/// Whether `m` must be built before it can start: a Go plugin whose output is missing or
/// older than a `.go`, `go.mod` or `go.sum` file of its directory; a Python plugin with a
/// requirements file and no `.venv`; a Node plugin with a package file and no `node_modules`.
pub fn needed(m: &Manifest) -> bool {
    let dir = m.dir();
    match &m.build {
        None => false,
        Some(BuildSpec::Go { output, .. }) => {
            let Ok(built) = std::fs::metadata(dir.join(output)).and_then(|md| md.modified()) else {
                return true;
            };
            newest_go_source(dir).is_some_and(|t| t > built)
        }
        Some(BuildSpec::Python { requirements }) => {
            dir.join(requirements).is_file() && !dir.join(".venv/bin/python3").exists()
        }
        Some(BuildSpec::Nodejs { package }) => {
            dir.join(package).is_file() && !dir.join("node_modules").is_dir()
        }
    }
}

/// Whether a change at `path` calls for a build before the restart under `--watch`: a Go
/// plugin's source, a Python plugin's requirements, a Node plugin's package file.
pub fn change_needs_build(m: &Manifest, path: &Path) -> bool {
    let dir = m.dir();
    match &m.build {
        None => false,
        Some(BuildSpec::Go { output, .. }) => path != dir.join(output) && is_go_source(path),
        Some(BuildSpec::Python { requirements }) => path == dir.join(requirements),
        Some(BuildSpec::Nodejs { package }) => path == dir.join(package),
    }
}

/// Files a build writes that a watch must not take for an edit: the Go binary, npm's lock file
/// (`.venv` and `node_modules` are not watched at all).
pub fn outputs(m: &Manifest) -> Vec<PathBuf> {
    match &m.build {
        Some(BuildSpec::Go { output, .. }) => vec![m.dir().join(output)],
        Some(BuildSpec::Nodejs { .. }) => vec![m.dir().join("package-lock.json")],
        _ => Vec::new(),
    }
}

fn is_go_source(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "go")
        || path
            .file_name()
            .is_some_and(|n| n == "go.mod" || n == "go.sum")
}

fn newest_go_source(dir: &Path) -> Option<SystemTime> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| !super::supervisor::is_ignored(dir, e.path()) || e.path() == dir)
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && is_go_source(e.path()))
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .max()
}

/// A line the console adds to a build's output (the command about to run).
pub fn console_line(text: impl Into<String>) -> OutputLine {
    OutputLine {
        at: SystemTime::now(),
        stream: StreamKind::Console,
        text: text.into(),
    }
}

/// Builds `m`: runs [`steps`] one after the other, stopping at the first that fails. Each
/// command is announced to `sink` as a console line (`$ go build …`), then its output follows.
pub async fn run(m: &Manifest, sink: LineSink) -> Result<(), BuildError> {
    for step in steps(m)? {
        let command = step.display();
        sink(&console_line(format!("$ {command}")));
        let opts = SpawnOptions {
            on_line: Some(sink.clone()),
            ..Default::default()
        };
        let mut child = match ChildPlugin::spawn_with(&step.spec(), opts) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BuildError::ToolMissing {
                    program: step.program,
                    tool: step.tool,
                    command,
                });
            }
            Err(source) => return Err(BuildError::Spawn { command, source }),
        };
        let status = child.wait().await;
        child.kill_leftovers().await;
        child.drained(std::time::Duration::from_secs(5)).await;
        let status = match status {
            Ok(s) if s.success() => continue,
            Ok(s) => match s.code() {
                Some(code) => format!("exit code {code}"),
                None => format!("{s}"),
            },
            Err(e) => format!("lost the process: {e}"),
        };
        let errors = child
            .output()
            .lock()
            .tail(ERROR_LINES)
            .into_iter()
            .map(|l| l.text)
            .collect();
        return Err(BuildError::Failed {
            command,
            status,
            errors,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(dir: &Path, yaml: &str) -> Manifest {
        std::fs::write(dir.join("plugin.yml"), yaml).unwrap();
        super::super::manifest::load(&dir.join("plugin.yml")).unwrap()
    }

    #[test]
    fn steps_follow_the_runtime_defaults() {
        let d = tempfile::tempdir().unwrap();
        let m = manifest(d.path(), "name: g\nbuild: {language: go}\n");
        let s = steps(&m).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].display(), "go build -o plugin ./cmd/plugin");
        assert_eq!(s[0].cwd, d.path());
        let m = manifest(
            d.path(),
            "name: g\nbuild: {language: go, go: {main: ./x, output: bin/p}}\n",
        );
        assert_eq!(steps(&m).unwrap()[0].display(), "go build -o bin/p ./x");
        assert_eq!(outputs(&m), [d.path().join("bin/p")]);

        std::fs::write(d.path().join("main.py"), "").unwrap();
        let m = manifest(d.path(), "name: p\nbuild: {language: python}\n");
        let s: Vec<_> = steps(&m).unwrap().iter().map(BuildStep::display).collect();
        assert_eq!(s, ["python3 -m venv .venv"]);
        assert!(!needed(&m), "nothing to install");
        std::fs::write(d.path().join("deps.txt"), "").unwrap();
        let m = manifest(
            d.path(),
            "name: p\nbuild: {language: python, python: {requirements: deps.txt}}\n",
        );
        let s: Vec<_> = steps(&m).unwrap().iter().map(BuildStep::display).collect();
        let pip = d.path().join(".venv/bin/pip");
        assert_eq!(
            s,
            [
                "python3 -m venv .venv".to_string(),
                format!("{} install -r deps.txt", pip.display())
            ]
        );
        assert!(needed(&m), "requirements and no .venv");

        std::fs::write(d.path().join("index.js"), "").unwrap();
        let m = manifest(d.path(), "name: n\nbuild: {language: nodejs}\n");
        assert!(steps(&m).unwrap().is_empty());
        std::fs::write(d.path().join("package.json"), "{}").unwrap();
        assert_eq!(steps(&m).unwrap()[0].display(), "npm install");
        assert!(needed(&m));
        assert_eq!(outputs(&m), [d.path().join("package-lock.json")]);

        let m = manifest(d.path(), "name: c\ncommand: sh\n");
        assert!(matches!(steps(&m), Err(BuildError::NothingToBuild { .. })));
        assert!(!needed(&m));
    }

    #[test]
    fn the_headline_skips_gos_package_heading() {
        let e = BuildError::Failed {
            command: "go build".into(),
            status: "exit code 1".into(),
            errors: vec![
                "# example.com/p/cmd/plugin".into(),
                "cmd/plugin/main.go:3:15: undefined: x".into(),
            ],
        };
        assert_eq!(e.headline(), "cmd/plugin/main.go:3:15: undefined: x");
        let missing = BuildError::ToolMissing {
            program: "go".into(),
            tool: "compiler ",
            command: "go build".into(),
        };
        assert_eq!(
            missing.headline(),
            "'go' compiler not found (needed for `go build`)"
        );
    }

    #[test]
    fn a_go_plugin_needs_a_build_when_its_output_is_missing_or_older_than_a_source() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("cmd/plugin")).unwrap();
        let src = d.path().join("cmd/plugin/main.go");
        std::fs::write(&src, "package main").unwrap();
        let m = manifest(d.path(), "name: g\nbuild: {language: go}\n");
        assert!(needed(&m), "no output");
        let out = d.path().join("plugin");
        std::fs::write(&out, "").unwrap();
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&src)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(!needed(&m), "output newer than the source");
        std::fs::File::options()
            .write(true)
            .open(&out)
            .unwrap()
            .set_modified(old - std::time::Duration::from_secs(60))
            .unwrap();
        assert!(needed(&m), "source newer than the output");
        assert!(change_needs_build(&m, &src));
        assert!(!change_needs_build(&m, &out));
        assert!(!change_needs_build(&m, &d.path().join("README.md")));
    }
}
