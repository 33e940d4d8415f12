//! Plugin manifests: the old `plugin.json` and the current `plugin.yml` / `plugin.yaml`, read
//! into one [`Manifest`] that says how to start the plugin.
//!
//! Both formats go through the same checks (a `plugin.json` may use the YAML fields and the other
//! way round), so every form a real plugin ships is accepted. Every problem is reported as
//! `file: field: problem`.

use super::LaunchSpec;
use serde_json::{Map, Value};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Manifest file names, most preferred first.
pub const MANIFEST_NAMES: [&str; 3] = ["plugin.yml", "plugin.yaml", "plugin.json"];
/// `runtime.restart_delay` when the manifest gives none.
pub const DEFAULT_RESTART_DELAY: Duration = Duration::from_secs(5);

/// A plugin as its manifest describes it, ready to launch.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The manifest file (absolute).
    pub path: PathBuf,
    pub id: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    /// Program, arguments, working directory and `runtime.env`. The caller adds
    /// `TGO_SOCKET_PATH` / `TGO_TCP_PORT`.
    pub spec: LaunchSpec,
    pub auto_restart: bool,
    pub restart_delay: Duration,
    /// Whether `--watch` applies: false for a plugin with no directory of its own (the
    /// built-in demo, whose "directory" is the console's).
    pub watchable: bool,
}

impl Manifest {
    /// The plugin's directory: the one holding the manifest.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("/"))
    }
}

/// What is wrong with a manifest, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub file: PathBuf,
    /// Dotted path of the field at fault (`runtime.restart_delay`), if one is.
    pub field: Option<String>,
    pub problem: String,
}

impl ManifestError {
    fn new(file: &Path, field: Option<&str>, problem: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            field: field.map(str::to_string),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.problem)
    }
}

impl std::error::Error for ManifestError {}

/// Finds the manifests `arg` stands for: a manifest file, a directory holding one (`plugin.yml`,
/// `plugin.yaml`, `plugin.json`, in that preference), or a directory of such directories (one
/// level, in name order). Each manifest gives one result, so a bad one never hides the others.
pub fn discover(arg: &Path) -> Vec<Result<Manifest, ManifestError>> {
    let arg = absolute(arg);
    if arg.is_file() {
        return vec![load(&arg)];
    }
    if !arg.exists() {
        return vec![Err(ManifestError::new(
            &arg,
            None,
            "no such file or directory",
        ))];
    }
    if !arg.is_dir() {
        return vec![Err(ManifestError::new(
            &arg,
            None,
            "neither a manifest file nor a directory",
        ))];
    }
    if let Some(found) = manifest_in(&arg) {
        return vec![load(&found)];
    }
    let entries = match std::fs::read_dir(&arg) {
        Ok(entries) => entries,
        Err(e) => {
            return vec![Err(ManifestError::new(
                &arg,
                None,
                format!("cannot list: {e}"),
            ))];
        }
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let found: Vec<_> = dirs
        .iter()
        .filter_map(|d| manifest_in(d))
        .map(|m| load(&m))
        .collect();
    if found.is_empty() {
        return vec![Err(ManifestError::new(
            &arg,
            None,
            "no plugin.yml, plugin.yaml or plugin.json in this directory or its subdirectories",
        ))];
    }
    found
}

/// The preferred manifest file directly in `dir`.
fn manifest_in(dir: &Path) -> Option<PathBuf> {
    MANIFEST_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Reads one manifest file; its format is told by its extension (`.json`, else YAML).
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    let path = absolute(path);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ManifestError::new(&path, None, format!("cannot read: {e}")))?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    let value: Value = if is_json {
        serde_json::from_str(&text).map_err(|e| {
            ManifestError::new(
                &path,
                None,
                format!(
                    "invalid JSON at line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?
    } else {
        serde_yaml_ng::from_str(&text).map_err(|e| {
            let shown = e.to_string();
            let at = match e.location() {
                Some(l) if !shown.contains(" at line ") => {
                    format!(" at line {} column {}", l.line(), l.column())
                }
                _ => String::new(),
            };
            ManifestError::new(&path, None, format!("invalid YAML: {shown}{at}"))
        })?
    };
    parse(&path, &value)
}

/// Builds a manifest from its parsed content. `path` is the (absolute) manifest file.
fn parse(path: &Path, value: &Value) -> Result<Manifest, ManifestError> {
    let top = match value {
        Value::Object(map) => Fields::new(path, map, ""),
        Value::Null => return Err(ManifestError::new(path, None, "the manifest is empty")),
        other => {
            return Err(ManifestError::new(
                path,
                None,
                format!("the manifest must be a mapping, not {}", kind(other)),
            ));
        }
    };
    let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();

    let name = top.scalar("name")?.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(top.err("name", "missing (every plugin needs a name)"));
    }

    let cwd = match top.scalar("working_directory")? {
        Some(wd) => {
            let wd = join_clean(&dir, Path::new(&wd));
            if !wd.is_dir() {
                return Err(top.err(
                    "working_directory",
                    format!("{} is not a directory", wd.display()),
                ));
            }
            wd
        }
        None => dir.clone(),
    };

    let runtime = top.object("runtime")?;
    let build = top.object("build")?;
    let mut runtime_args = match &runtime {
        Some(r) => r.string_list("args")?.unwrap_or_default(),
        None => Vec::new(),
    };
    let mut env = Vec::new();
    if let Some(r) = &runtime {
        env = r.string_map("env")?.unwrap_or_default();
    }

    // An explicit command wins over the language.
    let mut explicit = None;
    for at in std::iter::once(&top).chain(runtime.as_ref()) {
        if let Some(c) = at.scalar("command")? {
            if c.trim().is_empty() {
                return Err(at.err("command", "is empty"));
            }
            // `runtime.command`'s own arguments are `runtime.args`: not added twice.
            let own_args = at.string_list("args")?;
            if !at.prefix.is_empty() && own_args.is_some() {
                runtime_args.clear();
            }
            explicit = Some((c.trim().to_string(), own_args));
            break;
        }
    }
    let (program, args) = if let Some((command, args)) = explicit {
        let (program, mut head) = match args {
            Some(args) => (command, args),
            // `"command": "python3 main.py"` with no `args`: split it on whitespace unless the
            // whole of it names a file.
            None if command.contains(char::is_whitespace) && !cwd.join(&command).exists() => {
                let mut words = command.split_whitespace().map(str::to_string);
                let program = words.next().unwrap_or_default();
                (program, words.collect())
            }
            None => (command, Vec::new()),
        };
        head.extend(runtime_args);
        (resolve_program(&cwd, &program), head)
    } else if let Some(build) = &build {
        let (program, mut head) = language_command(&dir, &cwd, build)?;
        if program == "python3" || program.ends_with("/python3") {
            // Python buffers a pipe: without this a plugin's prints show up late or never.
            if !env.iter().any(|(k, _)| k == "PYTHONUNBUFFERED") {
                env.insert(0, ("PYTHONUNBUFFERED".into(), "1".into()));
            }
        }
        head.extend(runtime_args);
        (program, head)
    } else {
        return Err(ManifestError::new(
            path,
            Some("command"),
            "no command to run: give `command` (and `args`), or `build.language` (go, python or nodejs)",
        ));
    };

    let auto_restart = match &runtime {
        Some(r) => r.bool("auto_restart")?.unwrap_or(true),
        None => true,
    };
    let restart_delay = match &runtime {
        Some(r) => r
            .duration("restart_delay")?
            .unwrap_or(DEFAULT_RESTART_DELAY),
        None => DEFAULT_RESTART_DELAY,
    };

    Ok(Manifest {
        path: path.to_path_buf(),
        id: top.scalar("id")?.filter(|s| !s.is_empty()),
        name,
        version: top.scalar("version")?,
        description: top.scalar("description")?,
        spec: LaunchSpec {
            program,
            args,
            cwd: Some(cwd),
            env,
        },
        auto_restart,
        restart_delay,
        watchable: true,
    })
}

/// The program and leading arguments `build.language` implies.
fn language_command(
    dir: &Path,
    cwd: &Path,
    build: &Fields<'_>,
) -> Result<(String, Vec<String>), ManifestError> {
    let Some(language) = build.scalar("language")? else {
        return Err(build.err(
            "language",
            "missing: give go, python or nodejs (or a top-level `command`)",
        ));
    };
    match language.to_ascii_lowercase().as_str() {
        "go" | "golang" => {
            let output = match build.object("go")? {
                Some(go) => go.scalar("output")?,
                None => None,
            }
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "plugin".into());
            // Built separately: a missing binary shows when the start fails.
            Ok((join_clean(cwd, Path::new(&output)).display().to_string(), Vec::new()))
        }
        "python" | "python3" | "py" => {
            let section = build.object("python")?;
            let entry = match &section {
                Some(py) => py.scalar("entrypoint")?,
                None => None,
            }
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "main.py".into());
            check_entrypoint(build, section.as_ref(), "python", cwd, &entry)?;
            let venv = dir.join(".venv/bin/python3");
            let program = if venv.exists() {
                venv.display().to_string()
            } else {
                "python3".into()
            };
            Ok((program, vec![entry]))
        }
        "nodejs" | "node" | "javascript" | "js" => {
            let section = build.object("nodejs")?;
            let entry = match &section {
                Some(js) => js.scalar("entrypoint")?,
                None => None,
            }
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "index.js".into());
            check_entrypoint(build, section.as_ref(), "nodejs", cwd, &entry)?;
            Ok(("node".into(), vec![entry]))
        }
        _ => Err(build.err(
            "language",
            format!(
                "unknown language {language:?} (expected go, python or nodejs, or give a top-level `command`)"
            ),
        )),
    }
}

fn check_entrypoint(
    build: &Fields<'_>,
    section: Option<&Fields<'_>>,
    lang: &str,
    cwd: &Path,
    entry: &str,
) -> Result<(), ManifestError> {
    let file = join_clean(cwd, Path::new(entry));
    if file.is_file() {
        return Ok(());
    }
    let problem = format!("file {} does not exist", file.display());
    Err(match section {
        Some(s) => s.err("entrypoint", problem),
        None => ManifestError::new(
            build.file,
            Some(&format!("{}{lang}.entrypoint", build.prefix)),
            format!("{problem} (the default entrypoint)"),
        ),
    })
}

/// A program named with a relative path holding a slash is taken from the working directory
/// (made absolute, since `Command` resolves relative programs inconsistently); a bare name is
/// looked up on `PATH` when started.
fn resolve_program(cwd: &Path, program: &str) -> String {
    let p = Path::new(program);
    if p.is_relative() && program.contains('/') {
        join_clean(cwd, p).display().to_string()
    } else {
        program.to_string()
    }
}

/// `base.join(rel)` without `.` components (`rel` absolute: itself).
fn join_clean(base: &Path, rel: &Path) -> PathBuf {
    let mut out = base.to_path_buf();
    for c in rel.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => out = PathBuf::from("/"),
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Parses a delay: a number of seconds (`5`, `0.5`, `"5"`) or a Go-style duration string
/// (`"5s"`, `"500ms"`, `"1m30s"`; units ns, us, µs, ms, s, m, h).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match rest[..unit_len].trim() {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// One mapping of the manifest, with the dotted path that leads to it (for errors).
struct Fields<'a> {
    file: &'a Path,
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Fields<'a> {
    fn new(file: &'a Path, map: &'a Map<String, Value>, prefix: &str) -> Self {
        Self {
            file,
            map,
            prefix: prefix.to_string(),
        }
    }

    fn err(&self, key: &str, problem: impl Into<String>) -> ManifestError {
        ManifestError::new(self.file, Some(&format!("{}{key}", self.prefix)), problem)
    }

    /// The value at `key`; null counts as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A string (numbers and booleans are taken as written).
    fn scalar(&self, key: &str) -> Result<Option<String>, ManifestError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => scalar_text(v)
                .map(Some)
                .ok_or_else(|| self.err(key, format!("must be a string, not {}", kind(v)))),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Fields<'a>>, ManifestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields::new(
                self.file,
                map,
                &format!("{}{key}.", self.prefix),
            ))),
            Some(v) => Err(self.err(key, format!("must be a mapping, not {}", kind(v)))),
        }
    }

    fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, ManifestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    scalar_text(v).ok_or_else(|| {
                        self.err(
                            &format!("{key}[{i}]"),
                            format!("must be a string, not {}", kind(v)),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(self.err(key, format!("must be a list of strings, not {}", kind(v)))),
        }
    }

    fn string_map(&self, key: &str) -> Result<Option<Vec<(String, String)>>, ManifestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    scalar_text(v).map(|s| (k.clone(), s)).ok_or_else(|| {
                        self.err(
                            &format!("{key}.{k}"),
                            format!("must be a string, not {}", kind(v)),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(self.err(
                key,
                format!("must be a mapping of names to values, not {}", kind(v)),
            )),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, ManifestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(self.err(key, format!("must be true or false, not {}", kind(v)))),
        }
    }

    fn duration(&self, key: &str) -> Result<Option<Duration>, ManifestError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match v {
            Value::Number(n) => n.as_f64().and_then(|f| Duration::try_from_secs_f64(f).ok()),
            Value::String(s) => parse_duration(s),
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| {
            let shown = scalar_text(v).unwrap_or_else(|| kind(v).to_string());
            self.err(
                key,
                format!(
                    "cannot read {shown:?} as a delay (give seconds, or a duration like \"5s\" or \"500ms\")"
                ),
            )
        })
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary plugin directory.
    struct Dir(tempfile::TempDir);

    impl Dir {
        fn new() -> Self {
            Self(tempfile::tempdir().unwrap())
        }
        fn path(&self) -> &Path {
            self.0.path()
        }
        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            p
        }
    }

    fn err_of(r: Result<Manifest, ManifestError>) -> ManifestError {
        r.expect_err("should fail")
    }

    #[test]
    fn old_json_format() {
        let d = Dir::new();
        d.write("bin/run.sh", "");
        let p = d.write(
            "plugin.json",
            r#"{"name":"orders","version":"1.0.0","description":"d","command":"./run.sh",
                "args":["--x","1"],"working_directory":"bin"}"#,
        );
        let m = load(&p).unwrap();
        assert_eq!(m.name, "orders");
        assert_eq!(m.version.as_deref(), Some("1.0.0"));
        assert_eq!(m.description.as_deref(), Some("d"));
        assert_eq!(m.id, None);
        let bin = d.path().join("bin");
        assert_eq!(m.spec.program, bin.join("run.sh").display().to_string());
        assert_eq!(m.spec.args, ["--x", "1"]);
        assert_eq!(m.spec.cwd.as_deref(), Some(bin.as_path()));
        assert!(m.auto_restart);
        assert_eq!(m.restart_delay, DEFAULT_RESTART_DELAY);
    }

    #[test]
    fn json_command_line_without_args_is_split() {
        let d = Dir::new();
        let p = d.write(
            "plugin.json",
            r#"{"name":"a","command":"python3 main.py -v"}"#,
        );
        let m = load(&p).unwrap();
        assert_eq!(m.spec.program, "python3");
        assert_eq!(m.spec.args, ["main.py", "-v"]);
    }

    #[test]
    fn yaml_python_without_venv() {
        let d = Dir::new();
        d.write("app.py", "");
        let p = d.write(
            "plugin.yml",
            "id: com.x.y\nname: y\nversion: 1.0\nauthor: me\nbuild:\n  language: python\n  python:\n    entrypoint: app.py\n    requirements: requirements.txt\nruntime:\n  args: [--port, 1]\n  env:\n    A: b\n    N: 3\n  auto_restart: false\n  restart_delay: 500ms\n",
        );
        let m = load(&p).unwrap();
        assert_eq!(m.id.as_deref(), Some("com.x.y"));
        assert_eq!(m.version.as_deref(), Some("1.0"));
        assert_eq!(m.spec.program, "python3");
        assert_eq!(m.spec.args, ["app.py", "--port", "1"]);
        assert_eq!(m.spec.cwd.as_deref(), Some(d.path()));
        assert!(m.spec.env.contains(&("A".into(), "b".into())));
        assert!(m.spec.env.contains(&("N".into(), "3".into())));
        assert!(
            m.spec
                .env
                .contains(&("PYTHONUNBUFFERED".into(), "1".into()))
        );
        assert!(!m.auto_restart);
        assert_eq!(m.restart_delay, Duration::from_millis(500));
    }

    #[test]
    fn yaml_python_prefers_venv_and_defaults_entrypoint() {
        let d = Dir::new();
        d.write("main.py", "");
        d.write(".venv/bin/python3", "");
        let p = d.write("plugin.yaml", "name: y\nbuild:\n  language: python\n");
        let m = load(&p).unwrap();
        let venv = d.path().join(".venv/bin/python3");
        assert_eq!(m.spec.program, venv.display().to_string());
        assert_eq!(m.spec.args, ["main.py"]);
    }

    #[test]
    fn go_output_and_default() {
        let d = Dir::new();
        let p = d.write(
            "plugin.yml",
            "name: g\nbuild:\n  language: go\n  go:\n    main: ./main.go\n    output: ./bin/g\n",
        );
        let m = load(&p).unwrap();
        assert_eq!(m.spec.program, d.path().join("bin/g").display().to_string());
        assert!(m.spec.args.is_empty());
        let p = d.write("plugin.yml", "name: g\nbuild: {language: go}\n");
        let m = load(&p).unwrap();
        assert_eq!(
            m.spec.program,
            d.path().join("plugin").display().to_string()
        );
    }

    #[test]
    fn nodejs_entrypoint() {
        let d = Dir::new();
        d.write("server.js", "");
        let p = d.write(
            "plugin.yml",
            "name: n\nbuild:\n  language: nodejs\n  nodejs: {entrypoint: server.js}\nruntime: {args: [a]}\n",
        );
        let m = load(&p).unwrap();
        assert_eq!(m.spec.program, "node");
        assert_eq!(m.spec.args, ["server.js", "a"]);
    }

    #[test]
    fn explicit_command_wins_over_language() {
        let d = Dir::new();
        let p = d.write(
            "plugin.yml",
            "name: c\ncommand: sh\nargs: [-c, 'echo hi']\nbuild: {language: rust}\nruntime: {args: [x]}\n",
        );
        let m = load(&p).unwrap();
        assert_eq!(m.spec.program, "sh");
        assert_eq!(m.spec.args, ["-c", "echo hi", "x"]);
    }

    #[test]
    fn runtime_command_takes_runtime_args_once() {
        let d = Dir::new();
        let p = d.write(
            "plugin.yml",
            "name: r\nruntime:\n  command: sh\n  args: [-c, 'echo hi']\n",
        );
        let m = load(&p).unwrap();
        assert_eq!(m.spec.program, "sh");
        assert_eq!(m.spec.args, ["-c", "echo hi"]);
    }

    #[test]
    fn restart_delay_forms() {
        for (text, want) in [
            ("5", Duration::from_secs(5)),
            ("0.25", Duration::from_millis(250)),
            ("\"5s\"", Duration::from_secs(5)),
            ("500ms", Duration::from_millis(500)),
            ("1m30s", Duration::from_secs(90)),
            ("'2'", Duration::from_secs(2)),
        ] {
            let d = Dir::new();
            let p = d.write(
                "plugin.yml",
                &format!("name: a\ncommand: x\nruntime:\n  restart_delay: {text}\n"),
            );
            assert_eq!(load(&p).unwrap().restart_delay, want, "{text}");
        }
        assert_eq!(parse_duration("abc"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(parse_duration("-1"), None);
    }

    #[test]
    fn errors_name_file_field_and_problem() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("version: 1\ncommand: x\n", Some("name"), "missing"),
            (
                "name: a\nbuild: {language: rust}\n",
                Some("build.language"),
                "unknown language \"rust\"",
            ),
            (
                "name: a\ncommand: x\nruntime: {args: '--x'}\n",
                Some("runtime.args"),
                "must be a list",
            ),
            (
                "name: a\ncommand: x\nruntime: {args: [a, [b]]}\n",
                Some("runtime.args[1]"),
                "must be a string",
            ),
            (
                "name: a\ncommand: x\nruntime: {restart_delay: soon}\n",
                Some("runtime.restart_delay"),
                "cannot read \"soon\"",
            ),
            (
                "name: a\ncommand: x\nruntime: {env: [a]}\n",
                Some("runtime.env"),
                "must be a mapping",
            ),
            (
                "name: a\ncommand: x\nruntime: {auto_restart: 3}\n",
                Some("runtime.auto_restart"),
                "true or false",
            ),
            (
                "name: a\nbuild: {language: python}\n",
                Some("build.python.entrypoint"),
                "does not exist",
            ),
            (
                "name: a\nbuild: {language: nodejs, nodejs: {entrypoint: x.js}}\n",
                Some("build.nodejs.entrypoint"),
                "x.js does not exist",
            ),
            ("name: a\n", Some("command"), "no command to run"),
            ("name: a\nbuild: {}\n", Some("build.language"), "missing"),
            (
                "name: a\ncommand: x\nworking_directory: nope\n",
                Some("working_directory"),
                "not a directory",
            ),
            (
                "name: [a\n",
                None,
                "invalid YAML: did not find expected ',' or ']' at line 2",
            ),
            ("- a\n- b\n", None, "must be a mapping"),
            ("", None, "empty"),
        ];
        for (text, field, problem) in cases {
            let d = Dir::new();
            let p = d.write("plugin.yml", text);
            let e = err_of(load(&p));
            assert_eq!(e.file, p, "{text}");
            assert_eq!(e.field.as_deref(), *field, "{text}: {e}");
            assert!(e.problem.contains(problem), "{text}: {e}");
            let shown = e.to_string();
            assert!(shown.starts_with(&format!("{}: ", p.display())), "{shown}");
        }
    }

    #[test]
    fn bad_json_names_line() {
        let d = Dir::new();
        let p = d.write("plugin.json", "{\n \"name\": \"a\",\n}\n");
        let e = err_of(load(&p));
        assert!(e.problem.contains("invalid JSON at line 3"), "{e}");
        let p = d.write("plugin.json", r#"{"name":"a","command":"x","args":"y"}"#);
        let e = err_of(load(&p));
        assert_eq!(
            e.to_string(),
            format!(
                "{}: args: must be a list of strings, not a string",
                p.display()
            )
        );
    }

    #[test]
    fn discover_forms() {
        let d = Dir::new();
        // A directory holding several manifests: the preferred one wins.
        d.write("one/plugin.json", r#"{"name":"json","command":"x"}"#);
        d.write("one/plugin.yml", "name: yml\ncommand: x\n");
        d.write("two/plugin.yaml", "name: two\ncommand: x\n");
        d.write("bad/plugin.yml", "name: bad\nbuild: {language: rust}\n");
        d.write("empty/readme", "");
        let all = discover(d.path());
        assert_eq!(all.len(), 3);
        let names: Vec<_> = all
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(names, ["yml", "two"]);
        let bad = all.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert_eq!(bad.file, d.path().join("bad/plugin.yml"));

        let one = discover(&d.path().join("one"));
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].as_ref().unwrap().name, "yml");
        let file = discover(&d.path().join("one/plugin.json"));
        assert_eq!(file[0].as_ref().unwrap().name, "json");

        let none = discover(&d.path().join("empty"));
        assert!(
            none[0]
                .as_ref()
                .unwrap_err()
                .problem
                .contains("no plugin.yml")
        );
        let missing = discover(&d.path().join("nope"));
        assert!(
            missing[0]
                .as_ref()
                .unwrap_err()
                .problem
                .contains("no such file")
        );
    }
}
