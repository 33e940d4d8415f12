//! Plugin manifests: the old `plugin.json` and the current `plugin.yml` / `plugin.yaml`, read
//! into one [`Manifest`] that says how to start the plugin.
//!
//! Both formats go through the same checks (a `plugin.json` may use the YAML fields and the other
//! way round), so every form a real plugin ships is accepted. Every problem is reported as
//! `file: field: problem`: serde-derived types (`RawManifest`) check each field's shape, with
//! its path from `serde_path_to_error`; `parse` then checks what the fields mean together.

use super::LaunchSpec;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;
use std::marker::PhantomData;
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
    /// How to build it (the manifest's `build` section), if it says.
    pub build: Option<BuildSpec>,
}

/// The manifest's `build` section, with the runtime's defaults filled in. Paths are as written,
/// relative to the plugin's directory (see [`crate::launcher::build`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildSpec {
    /// `go build -o OUTPUT MAIN`.
    Go { main: String, output: String },
    /// `python3 -m venv .venv`, then `.venv/bin/pip install -r REQUIREMENTS` if it exists.
    Python { requirements: String },
    /// `npm install` if PACKAGE exists.
    Nodejs { package: String },
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
/// level, in name order), or the id of an installed plugin. Each manifest gives one result, so a
/// bad one never hides the others.
pub fn discover(arg: &Path) -> Vec<Result<Manifest, ManifestError>> {
    // A bare id of an installed plugin (`tgo-console install`) stands for its directory.
    let arg = super::install::installed_dir(arg).unwrap_or_else(|| absolute(arg));
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
    match value {
        // Checked here: a derived struct would also read a list, positionally.
        Value::Object(_) => {}
        Value::Null => return Err(ManifestError::new(path, None, "the manifest is empty")),
        other => {
            return Err(ManifestError::new(
                path,
                None,
                format!("the manifest must be a mapping, not {}", kind(other)),
            ));
        }
    }
    let raw: RawManifest = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let field = (field != ".").then_some(field);
        ManifestError::new(path, field.as_deref(), e.into_inner().to_string())
    })?;
    let err = |field: &str, problem: String| ManifestError::new(path, Some(field), problem);
    let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();

    let name = Scalar::text(raw.name).unwrap_or_default();
    if name.trim().is_empty() {
        return Err(err("name", "missing (every plugin needs a name)".into()));
    }

    let cwd = match Scalar::text(raw.working_directory) {
        Some(wd) => {
            let wd = join_clean(&dir, Path::new(&wd));
            if !wd.is_dir() {
                let problem = format!("{} is not a directory", wd.display());
                return Err(err("working_directory", problem));
            }
            wd
        }
        None => dir.clone(),
    };

    let build = raw.build.as_ref().and_then(|b| build_spec(&b.0));
    let runtime = raw.runtime.map(|s| s.0).unwrap_or_default();
    let mut runtime_args = runtime.args.map(|a| a.0);
    let mut env = runtime.env.map(|m| m.0).unwrap_or_default();

    // An explicit command wins over the language. `runtime.command`'s own arguments are
    // `runtime.args`, taken once.
    let explicit = match (raw.command, runtime.command) {
        (Some(c), _) => Some(("command", c.0, raw.args.map(|a| a.0))),
        (None, Some(c)) => Some(("runtime.command", c.0, runtime_args.take())),
        (None, None) => None,
    };
    let runtime_args = runtime_args.unwrap_or_default();
    let (program, args) = if let Some((field, command, args)) = explicit {
        let command = command.trim().to_string();
        if command.is_empty() {
            return Err(err(field, "is empty".into()));
        }
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
    } else if let Some(Section(build)) = raw.build.as_ref() {
        let (program, mut head) = language_command(path, &dir, &cwd, build)?;
        if program == "python3" || program.ends_with("/python3") {
            // Python buffers a pipe: without this a plugin's prints show up late or never.
            if !env.iter().any(|(k, _)| k == "PYTHONUNBUFFERED") {
                env.insert(0, ("PYTHONUNBUFFERED".into(), "1".into()));
            }
        }
        head.extend(runtime_args);
        (program, head)
    } else {
        return Err(err(
            "command",
            "no command to run: give `command` (and `args`), or `build.language` (go, python or nodejs)".into(),
        ));
    };

    Ok(Manifest {
        path: path.to_path_buf(),
        id: Scalar::text(raw.id).filter(|s| !s.is_empty()),
        name,
        version: Scalar::text(raw.version),
        description: Scalar::text(raw.description),
        spec: LaunchSpec {
            program,
            args,
            cwd: Some(cwd),
            env,
        },
        auto_restart: runtime.auto_restart.is_none_or(|f| f.0),
        restart_delay: runtime.restart_delay.map_or(DEFAULT_RESTART_DELAY, |d| d.0),
        watchable: true,
        build,
    })
}

/// The program and leading arguments `build.language` implies.
fn language_command(
    path: &Path,
    dir: &Path,
    cwd: &Path,
    build: &Build,
) -> Result<(String, Vec<String>), ManifestError> {
    let err = |field: &str, problem: String| ManifestError::new(path, Some(field), problem);
    let Some(language) = build.language.clone() else {
        return Err(err(
            "build.language",
            "missing: give go, python or nodejs (or a top-level `command`)".into(),
        ));
    };
    // The entrypoint a section names (`None`: no section), else `default`; it must exist.
    let entrypoint = |section: &Option<Section<Entry>>, lang: &str, default: &str| {
        let given = section.as_ref().map(|s| s.0.entrypoint.clone());
        let entry = given
            .clone()
            .flatten()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default.into());
        let file = join_clean(cwd, Path::new(&entry));
        if file.is_file() {
            return Ok(entry);
        }
        let problem = format!("file {} does not exist", file.display());
        let field = format!("build.{lang}.entrypoint");
        Err(match given {
            Some(_) => err(&field, problem),
            None => err(&field, format!("{problem} (the default entrypoint)")),
        })
    };
    match language.to_ascii_lowercase().as_str() {
        "go" | "golang" => {
            let output = go_output(build);
            // Built separately: a missing binary shows when the start fails.
            Ok((
                join_clean(cwd, Path::new(&output)).display().to_string(),
                Vec::new(),
            ))
        }
        "python" | "python3" | "py" => {
            let entry = entrypoint(&build.python, "python", "main.py")?;
            let venv = dir.join(".venv/bin/python3");
            let program = if venv.exists() {
                venv.display().to_string()
            } else {
                "python3".into()
            };
            Ok((program, vec![entry]))
        }
        "nodejs" | "node" | "javascript" | "js" => {
            let entry = entrypoint(&build.nodejs, "nodejs", "index.js")?;
            Ok(("node".into(), vec![entry]))
        }
        _ => Err(err(
            "build.language",
            format!(
                "unknown language {language:?} (expected go, python or nodejs, or give a top-level `command`)"
            ),
        )),
    }
}

/// `build.go.output`, default `plugin`.
fn go_output(build: &Build) -> String {
    build
        .go
        .as_ref()
        .and_then(|go| go.0.output.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "plugin".into())
}

/// The build the section asks for, with the runtime's defaults (`None`: no known language).
fn build_spec(build: &Build) -> Option<BuildSpec> {
    let or = |v: Option<String>, default: &str| {
        v.filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| default.into())
    };
    match build.language.as_deref()?.to_ascii_lowercase().as_str() {
        "go" | "golang" => Some(BuildSpec::Go {
            main: or(
                build.go.as_ref().and_then(|g| g.0.main.clone()),
                "./cmd/plugin",
            ),
            output: go_output(build),
        }),
        "python" | "python3" | "py" => Some(BuildSpec::Python {
            requirements: or(
                build.python.as_ref().and_then(|p| p.0.requirements.clone()),
                "requirements.txt",
            ),
        }),
        "nodejs" | "node" | "javascript" | "js" => Some(BuildSpec::Nodejs {
            package: or(
                build.nodejs.as_ref().and_then(|n| n.0.package.clone()),
                "package.json",
            ),
        }),
        _ => None,
    }
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

/// A manifest as written: the fields the console reads, all optional (null counts as absent),
/// unknown ones ignored. Types are checked here, with the field's path in the error; what the
/// fields mean together (a command or a language, files that exist) is checked by [`parse`].
#[derive(Deserialize)]
struct RawManifest {
    id: Option<Scalar>,
    name: Option<Scalar>,
    version: Option<Scalar>,
    description: Option<Scalar>,
    working_directory: Option<Scalar>,
    command: Option<Scalar>,
    args: Option<StringList>,
    runtime: Option<Section<Runtime>>,
    build: Option<Section<Build>>,
}

#[derive(Default, Deserialize)]
struct Runtime {
    command: Option<Scalar>,
    args: Option<StringList>,
    env: Option<StringMap>,
    auto_restart: Option<Flag>,
    restart_delay: Option<Delay>,
}

#[derive(Deserialize)]
struct Build {
    #[serde(default, deserialize_with = "text")]
    language: Option<String>,
    go: Option<Section<GoBuild>>,
    python: Option<Section<Entry>>,
    nodejs: Option<Section<Entry>>,
}

#[derive(Deserialize)]
struct GoBuild {
    #[serde(default, deserialize_with = "text")]
    main: Option<String>,
    #[serde(default, deserialize_with = "text")]
    output: Option<String>,
}

/// A `build.python` or `build.nodejs` section: the entrypoint, and the dependency file.
#[derive(Deserialize)]
struct Entry {
    #[serde(default, deserialize_with = "text")]
    entrypoint: Option<String>,
    #[serde(default, deserialize_with = "text")]
    requirements: Option<String>,
    #[serde(default, deserialize_with = "text")]
    package: Option<String>,
}

/// An optional [`Scalar`], as its text.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(|s| s.0))
}

/// A string; numbers and booleans are taken as written (`version: 1.0` is "1.0").
struct Scalar(String);

impl Scalar {
    fn text(s: Option<Scalar>) -> Option<String> {
        s.map(|s| s.0)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        scalar_text(&v)
            .map(Scalar)
            .ok_or_else(|| de::Error::custom(format!("must be a string, not {}", kind(&v))))
    }
}

/// `true` / `false`, or those words as strings in any case.
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(b) => Ok(Flag(b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Flag(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Flag(false)),
            v => Err(de::Error::custom(format!(
                "must be true or false, not {}",
                kind(&v)
            ))),
        }
    }
}

/// A delay: seconds, or a duration string (see [`parse_duration`]).
struct Delay(Duration);

impl<'de> Deserialize<'de> for Delay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let parsed = match &v {
            Value::Number(n) => n.as_f64().and_then(|f| Duration::try_from_secs_f64(f).ok()),
            Value::String(s) => parse_duration(s),
            _ => None,
        };
        parsed.map(Delay).ok_or_else(|| {
            let shown = scalar_text(&v).unwrap_or_else(|| kind(&v).to_string());
            de::Error::custom(format!(
                "cannot read {shown:?} as a delay (give seconds, or a duration like \"5s\" or \"500ms\")"
            ))
        })
    }
}

/// A list of strings (each a [`Scalar`]).
struct StringList(Vec<String>);

impl Shaped for StringList {
    const WANTED: &'static str = "a list of strings";
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut items = Vec::new();
        while let Some(Scalar(s)) = seq.next_element()? {
            items.push(s);
        }
        Ok(StringList(items))
    }
}

/// A mapping of names to strings (each a [`Scalar`]), in the manifest's order.
struct StringMap(Vec<(String, String)>);

impl Shaped for StringMap {
    const WANTED: &'static str = "a mapping of names to values";
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, Scalar(v))) = map.next_entry::<String, Scalar>()? {
            entries.push((k, v));
        }
        Ok(StringMap(entries))
    }
}

/// A mapping read as `T`.
struct Section<T>(T);

impl<T: DeserializeOwned> Shaped for Section<T> {
    const WANTED: &'static str = "a mapping";
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Section)
    }
}

/// A value read by its shape (list or mapping); any other shape is refused with "must be
/// WANTED, not a string" rather than serde's "invalid type: …, expected …".
trait Shaped: Sized {
    const WANTED: &'static str;
    fn from_seq<'de, A: SeqAccess<'de>>(_: A) -> Result<Self, A::Error> {
        Err(refusal::<Self, _>("a list"))
    }
    fn from_map<'de, A: MapAccess<'de>>(_: A) -> Result<Self, A::Error> {
        Err(refusal::<Self, _>("a mapping"))
    }
}

fn refusal<T: Shaped, E: de::Error>(found: &str) -> E {
    E::custom(format!("must be {}, not {found}", T::WANTED))
}

/// Reads a [`Shaped`] type.
fn by_shape<'de, T: Shaped, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(ShapeVisitor(PhantomData))
}

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        by_shape(d)
    }
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        by_shape(d)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Section<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        by_shape(d)
    }
}

struct ShapeVisitor<T>(PhantomData<T>);

impl<'de, T: Shaped> Visitor<'de> for ShapeVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::WANTED)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::from_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Err(refusal::<T, _>("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Err(refusal::<T, _>("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Err(refusal::<T, _>("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Err(refusal::<T, _>("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<T, E> {
        Err(refusal::<T, _>("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Err(refusal::<T, _>("null"))
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
    fn nulls_are_absent_and_scalars_are_text() {
        let d = Dir::new();
        let p = d.write(
            "plugin.yml",
            "id: ~\nname: 7\nversion: 1.0\ndescription: true\ncommand: x\nargs: [1, true]\nbuild: ~\nruntime:\n  env: {N: 3, B: false}\n  auto_restart: 'FALSE'\n  restart_delay: ~\n",
        );
        let m = load(&p).unwrap();
        assert_eq!(m.id, None);
        assert_eq!(m.name, "7");
        assert_eq!(m.version.as_deref(), Some("1.0"));
        assert_eq!(m.description.as_deref(), Some("true"));
        assert_eq!(m.spec.args, ["1", "true"]);
        let mut env = m.spec.env.clone();
        env.sort();
        assert_eq!(
            env,
            [
                ("B".to_string(), "false".to_string()),
                ("N".into(), "3".into())
            ]
        );
        assert!(!m.auto_restart);
        assert_eq!(m.restart_delay, DEFAULT_RESTART_DELAY);
    }

    #[test]
    fn a_field_of_the_wrong_shape_is_reported_even_where_unused() {
        // The explicit command makes `build` unused; its broken `go` is still a fault.
        let d = Dir::new();
        let p = d.write(
            "plugin.yml",
            "name: a\ncommand: x\nbuild: {language: go, go: [output]}\n",
        );
        let e = err_of(load(&p));
        assert_eq!(e.field.as_deref(), Some("build.go"));
        assert_eq!(e.problem, "must be a mapping, not a list");
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
            (
                "name: a\ncommand: x\nruntime: {env: {A: b, N: [1]}}\n",
                Some("runtime.env.N"),
                "must be a string, not a list",
            ),
            (
                "name: a\ncommand: x\nruntime: [x]\n",
                Some("runtime"),
                "must be a mapping, not a list",
            ),
            (
                "name: a\nbuild: {language: go, go: ./plugin}\n",
                Some("build.go"),
                "must be a mapping, not a string",
            ),
            (
                "name: {a: 1}\ncommand: x\n",
                Some("name"),
                "must be a string, not a mapping",
            ),
            (
                "name: a\nruntime: {command: ' '}\n",
                Some("runtime.command"),
                "is empty",
            ),
            (
                "name: a\ncommand: x\nargs: [a, null]\n",
                Some("args[1]"),
                "must be a string, not null",
            ),
            (
                "name: a\ncommand: x\nruntime: {restart_delay: [1]}\n",
                Some("runtime.restart_delay"),
                "cannot read \"a list\" as a delay",
            ),
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
