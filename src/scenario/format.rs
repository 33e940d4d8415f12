//! The scenario file: `*.scenario.yml`, read into typed steps and expectations. Every mistake
//! is reported as `FILE:LINE:COLUMN: FIELD: problem` (serde_yaml_ng gives the place,
//! serde_path_to_error the field), and checks that need more than one field (one step kind per
//! step, a valid JSONPath, a valid regex, one snapshot name per scenario) run while the node is
//! read, so they point at it too.

use crate::host::RenderContext;
use regex::Regex;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_json_path::JsonPath;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A scenario: a plugin, a context and steps to run against it.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    /// The file it was read from (absolute when read with [`load`]).
    pub file: PathBuf,
    pub plugin: PluginSpec,
    pub context: ContextSpec,
    pub steps: Vec<StepSpec>,
    /// How its answers are drawn (`renderer: web`, `width: 56`).
    pub drawing: crate::drawn::Drawing,
}

/// `renderer:` how a scenario's answers are drawn for `{text}` and snapshots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Renderer {
    /// As the console draws them (every template).
    #[default]
    Console,
    /// As the TGO web UI draws them (the templates it lacks as "Unknown template").
    Web,
}

impl Scenario {
    /// The directory relative paths are taken from.
    pub fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }

    /// The file's name without `.scenario.yml` / `.scenario.yaml` (snapshot files start with it).
    pub fn stem(&self) -> String {
        let name = self
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for suffix in [".scenario.yml", ".scenario.yaml", ".yml", ".yaml"] {
            if let Some(stem) = name.strip_suffix(suffix) {
                return stem.to_string();
            }
        }
        name
    }
}

/// How to start the plugin.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginSpec {
    pub launch: PluginLaunch,
    /// Working directory, relative to the scenario file (default: its directory).
    pub cwd: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PluginLaunch {
    /// Program and arguments.
    Command(Vec<String>),
    /// A manifest (or its directory): its command, environment and directory are used.
    Manifest(PathBuf),
}

/// Overrides of the render context; what is left out keeps the console's defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Merged into the `visitor` object of render params (name, email, phone, metadata, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<Map<String, Value>>,
}

impl ContextSpec {
    /// The render context: the defaults for the visitor (session derived from it), then the
    /// overrides.
    pub fn render_context(&self) -> RenderContext {
        let mut ctx = match &self.visitor_id {
            Some(v) => RenderContext::for_visitor(v),
            None => RenderContext::default(),
        };
        let set = |field: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                *field = v.clone();
            }
        };
        set(&mut ctx.session_id, &self.session_id);
        set(&mut ctx.language, &self.language);
        set(&mut ctx.channel_id, &self.channel_id);
        set(&mut ctx.channel_type, &self.channel_type);
        set(&mut ctx.platform_type, &self.platform_type);
        set(&mut ctx.agent_id, &self.agent_id);
        if let Some(visitor) = &self.visitor {
            // The whole object rides with renders; its `id` stays the visitor id.
            for (k, v) in visitor.iter().filter(|(k, _)| k.as_str() != "id") {
                ctx.visitor.insert(k.clone(), v.clone());
            }
        }
        ctx
    }

    /// Merges the `visitor` override into render params that carry a visitor object.
    pub fn apply_visitor(&self, params: &mut Value) {
        if let (Some(over), Some(Value::Object(visitor))) =
            (&self.visitor, params.get_mut("visitor"))
        {
            for (k, v) in over {
                visitor.insert(k.clone(), v.clone());
            }
        }
    }
}

/// One step: what to send, and what the answer must be.
#[derive(Clone, Debug)]
pub struct StepSpec {
    pub action: StepAction,
    pub expect: Vec<Expect>,
}

/// What a step sends.
#[derive(Clone, Debug, PartialEq)]
pub enum StepAction {
    /// Render a capability, by title or by type.
    Render(String),
    /// Press a button of what is shown, by action id or label.
    Click(String),
    /// Select a table row / list / cards item of what is shown.
    Select(SelectTarget),
    /// Submit a form of what is shown (by action id or title; the only one when `None`).
    Submit {
        form: Option<String>,
        data: Map<String, Value>,
    },
    /// `tool/execute`.
    Tool { name: String, arguments: Value },
    /// Any request, params as given.
    Call { method: String, params: Value },
}

#[derive(Clone, Debug, PartialEq)]
pub enum SelectTarget {
    /// The n-th selectable row or item, counting from 0 in display order.
    Row(usize),
    /// The one whose id (sent as `selected_id`) is this.
    Id(String),
    /// The one whose caption is this.
    Label(String),
}

impl StepAction {
    /// A short name: `render visitor_panel`, `click view_all`, …
    pub fn label(&self) -> String {
        match self {
            StepAction::Render(c) => format!("render {c}"),
            StepAction::Click(b) => format!("click {b}"),
            StepAction::Select(SelectTarget::Row(n)) => format!("select row {n}"),
            StepAction::Select(SelectTarget::Id(id)) => format!("select {id}"),
            StepAction::Select(SelectTarget::Label(l)) => format!("select \"{l}\""),
            StepAction::Submit { form, .. } => {
                format!("submit {}", form.as_deref().unwrap_or("form"))
            }
            StepAction::Tool { name, .. } => format!("tool {name}"),
            StepAction::Call { method, .. } => format!("call {method}"),
        }
    }
}

/// One expectation about a step's answer.
#[derive(Clone, Debug)]
pub enum Expect {
    /// A JSONPath (RFC 9535) into the answer, and what the values found there must be.
    Path {
        path: JsonPath,
        text: String,
        check: PathCheck,
    },
    /// Appears in the answer as the console draws it.
    Text(String),
    /// No diagnostic (error or warning) about the answer.
    NoDiagnostics,
    /// Exactly this many diagnostics.
    Diagnostics(usize),
    /// Answered within this many milliseconds.
    MaxMs(f64),
    /// The answer equals the golden snapshot of this name.
    Snapshot(String),
    /// The answer is this JSON-ACTION.
    Action(String),
    /// The answer is a result, not an error.
    NoError,
    /// The answer is an error with this code.
    ErrorCode(i64),
}

#[derive(Clone, Debug)]
pub enum PathCheck {
    Equals(Value),
    Contains(Value),
    Matches(Regex),
    Exists(bool),
    Type(JsonType),
    Count(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    const NAMES: [(&'static str, JsonType); 7] = [
        ("string", JsonType::String),
        ("number", JsonType::Number),
        ("integer", JsonType::Integer),
        ("boolean", JsonType::Boolean),
        ("array", JsonType::Array),
        ("object", JsonType::Object),
        ("null", JsonType::Null),
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("", |(n, _)| n)
    }

    /// The type of `v` (integers are numbers too).
    pub fn holds(self, v: &Value) -> bool {
        match self {
            JsonType::String => v.is_string(),
            JsonType::Number => v.is_number(),
            JsonType::Integer => v.is_i64() || v.is_u64(),
            JsonType::Boolean => v.is_boolean(),
            JsonType::Array => v.is_array(),
            JsonType::Object => v.is_object(),
            JsonType::Null => v.is_null(),
        }
    }

    pub fn of(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Path { text, check, .. } => match check {
                PathCheck::Equals(v) => write!(f, "{text} equals {v}"),
                PathCheck::Contains(v) => write!(f, "{text} contains {v}"),
                PathCheck::Matches(r) => write!(f, "{text} matches /{}/", r.as_str()),
                PathCheck::Exists(true) => write!(f, "{text} exists"),
                PathCheck::Exists(false) => write!(f, "{text} does not exist"),
                PathCheck::Type(t) => write!(f, "{text} is of type {}", t.name()),
                PathCheck::Count(n) => write!(f, "{text} count {n}"),
            },
            Expect::Text(t) => write!(f, "text {:?}", t),
            Expect::NoDiagnostics => f.write_str("no_diagnostics"),
            Expect::Diagnostics(n) => write!(f, "diagnostics: {n}"),
            Expect::MaxMs(ms) => write!(f, "max_ms: {ms}"),
            Expect::Snapshot(n) => write!(f, "snapshot: {n}"),
            Expect::Action(a) => write!(f, "action: {a}"),
            Expect::NoError => f.write_str("no_error"),
            Expect::ErrorCode(c) => write!(f, "error_code: {c}"),
        }
    }
}

/// A mistake in a scenario file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The field at fault, e.g. `steps[1].expect[0]` (empty for the whole file).
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let safe = crate::text::sanitize_line;
        write!(f, "{}", safe(&self.file.display().to_string()))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if !self.field.is_empty() && self.field != "." {
            write!(f, ": {}", safe(&self.field))?;
        }
        write!(f, ": {}", safe(&self.message))
    }
}

impl std::error::Error for ScenarioError {}

/// Reads a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let text = std::fs::read_to_string(&file).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        line: None,
        column: None,
        field: String::new(),
        message: format!("cannot read: {e}"),
    })?;
    let mut scenario = parse(&text, path)?;
    scenario.file = file;
    Ok(scenario)
}

/// Parses a scenario's text; `file` names it in errors.
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let raw: ScenarioRaw = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let location = inner.location();
        let mut message = inner.to_string();
        if let Some(loc) = &location {
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            if let Some(m) = message.strip_suffix(&suffix) {
                message = m.to_string();
            }
        }
        // serde_yaml_ng starts its message with the path of the node it was reading.
        if let Some((head, rest)) = message.split_once(": ")
            && !head.contains(' ')
            && (field.starts_with(head) || head == ".")
        {
            message = rest.to_string();
        }
        ScenarioError {
            file: file.to_path_buf(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            field,
            message,
        }
    })?;
    Ok(Scenario {
        name: raw.name,
        file: file.to_path_buf(),
        plugin: raw.plugin,
        context: raw.context.unwrap_or_default(),
        steps: raw.steps,
        drawing: raw.drawing,
    })
}

// ------------------------------------------------------------------------------------------
// Reading. Checks run inside each node's visitor, so a problem is reported at that node.

/// What a check of a node finds wrong (`parse` adds the file, the place and the field).
#[derive(Debug, thiserror::Error)]
enum Fault {
    #[error("a scenario needs at least one step")]
    NoSteps,
    #[error("width {0} is not a width to draw a UI at: 20 to 500 columns")]
    BadWidth(u16),
    #[error("snapshot \"{name}\" is used by steps {first} and {second}: each needs its own name")]
    SnapshotReused {
        name: String,
        first: usize,
        second: usize,
    },
    #[error("command is empty: give the program and its arguments, e.g. [python3, main.py]")]
    EmptyCommand,
    #[error("give either command or manifest, not both")]
    CommandAndManifest,
    #[error(
        "say how to start the plugin: command: [program, args…] or manifest: path/to/plugin.yml"
    )]
    NoLaunch,
    #[error("a step needs one of {STEP_KINDS}")]
    NoAction,
    /// The kinds of action the step has.
    #[error("a step does one thing, this one has {}: split it into steps", .0.join(" and "))]
    SeveralActions(Vec<String>),
    #[error("select takes one of {{row: N}}, {{id: ID}} or {{label: TEXT}}")]
    SelectTarget,
    #[error("path {path:?} is not a JSONPath: {source}")]
    JsonPath {
        path: String,
        source: serde_json_path::ParseError,
    },
    #[error("matches: not a regular expression: {0}")]
    Regex(#[from] regex::Error),
    #[error("type {0:?} is not one of {names}", names = JsonType::NAMES.map(|(n, _)| n).join(", "))]
    JsonType(String),
    #[error(
        "a path expectation takes only path and one of equals, contains, matches, exists, type, count"
    )]
    PathAndOthers,
    #[error("path {0:?} needs one of equals, contains, matches, exists, type, count")]
    PathWithoutCheck(String),
    #[error("one check per path expectation: write one expectation per check on the same path")]
    SeveralChecks,
    #[error("snapshot name {0:?}: use letters, digits, '_', '-' and '.' (it names a file)")]
    SnapshotName(String),
    #[error("equals, contains, matches, exists, type and count need a path: {{path: \"$.…\", …}}")]
    CheckWithoutPath,
    #[error("max_ms: {0} is not a duration in milliseconds")]
    MaxMs(f64),
    #[error("an empty expectation: expected {EXPECTATIONS}")]
    EmptyExpectation,
    #[error("one expectation per list item: split it into several")]
    SeveralExpectations,
}

/// A map node read into `T` (a plain derived struct), then checked by `check`.
struct Checked<T, F>(F, std::marker::PhantomData<T>);

impl<'de, T, F, R> Visitor<'de> for Checked<T, F>
where
    T: Deserialize<'de>,
    F: FnOnce(T) -> Result<R, Fault>,
{
    type Value = R;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<R, A::Error> {
        let raw = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
        (self.0)(raw).map_err(de::Error::custom)
    }
}

fn checked_map<'de, D, T, R>(d: D, check: impl FnOnce(T) -> Result<R, Fault>) -> Result<R, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_map(Checked(check, std::marker::PhantomData))
}

/// `Some(value)` for any value present, `null` included (plain `Option` reads `null` as absent).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

struct ScenarioRaw {
    name: String,
    plugin: PluginSpec,
    context: Option<ContextSpec>,
    steps: Vec<StepSpec>,
    drawing: crate::drawn::Drawing,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFields {
    name: String,
    plugin: PluginSpec,
    #[serde(default)]
    context: Option<ContextSpec>,
    #[serde(default)]
    renderer: Renderer,
    #[serde(default)]
    width: Option<u16>,
    steps: Vec<StepSpec>,
}

impl<'de> Deserialize<'de> for ScenarioRaw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map(d, |f: ScenarioFields| {
            if f.steps.is_empty() {
                return Err(Fault::NoSteps);
            }
            if let Some(w) = f.width.filter(|w| !crate::drawn::WIDTHS.contains(w)) {
                return Err(Fault::BadWidth(w));
            }
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (i, step) in f.steps.iter().enumerate() {
                for e in &step.expect {
                    if let Expect::Snapshot(name) = e
                        && let Some(first) = seen.insert(name, i + 1)
                    {
                        return Err(Fault::SnapshotReused {
                            name: name.clone(),
                            first,
                            second: i + 1,
                        });
                    }
                }
            }
            Ok(ScenarioRaw {
                name: f.name,
                plugin: f.plugin,
                context: f.context,
                steps: f.steps,
                drawing: crate::drawn::Drawing {
                    width: f.width.unwrap_or(crate::drawn::Drawing::default().width),
                    web: f.renderer == Renderer::Web,
                },
            })
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginFields {
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    manifest: Option<PathBuf>,
    #[serde(default)]
    cwd: Option<PathBuf>,
}

impl<'de> Deserialize<'de> for PluginSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map(d, |f: PluginFields| {
            let launch = match (f.command, f.manifest) {
                (Some(c), None) if c.is_empty() || c[0].is_empty() => {
                    return Err(Fault::EmptyCommand);
                }
                (Some(c), None) => PluginLaunch::Command(c),
                (None, Some(m)) => PluginLaunch::Manifest(m),
                (Some(_), Some(_)) => {
                    return Err(Fault::CommandAndManifest);
                }
                (None, None) => {
                    return Err(Fault::NoLaunch);
                }
            };
            Ok(PluginSpec { launch, cwd: f.cwd })
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFields {
    #[serde(default)]
    render: Option<String>,
    #[serde(default)]
    click: Option<String>,
    #[serde(default)]
    select: Option<SelectTarget>,
    #[serde(default)]
    submit: Option<SubmitFields>,
    #[serde(default)]
    tool: Option<ToolFields>,
    #[serde(default)]
    call: Option<CallFields>,
    #[serde(default)]
    expect: Vec<Expect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitFields {
    #[serde(default)]
    form: Option<String>,
    #[serde(default)]
    data: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolFields {
    name: String,
    #[serde(default = "empty_object")]
    arguments: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallFields {
    method: String,
    #[serde(default = "empty_object")]
    params: Value,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

const STEP_KINDS: &str = "render, click, select, submit, tool or call";

impl<'de> Deserialize<'de> for StepSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map(d, |f: StepFields| {
            let mut actions = Vec::new();
            if let Some(c) = f.render {
                actions.push(StepAction::Render(c));
            }
            if let Some(b) = f.click {
                actions.push(StepAction::Click(b));
            }
            if let Some(s) = f.select {
                actions.push(StepAction::Select(s));
            }
            if let Some(s) = f.submit {
                actions.push(StepAction::Submit {
                    form: s.form,
                    data: s.data,
                });
            }
            if let Some(t) = f.tool {
                actions.push(StepAction::Tool {
                    name: t.name,
                    arguments: t.arguments,
                });
            }
            if let Some(c) = f.call {
                actions.push(StepAction::Call {
                    method: c.method,
                    params: c.params,
                });
            }
            match <[_; 1]>::try_from(actions) {
                Ok([action]) => Ok(StepSpec {
                    action,
                    expect: f.expect,
                }),
                Err(v) if v.is_empty() => Err(Fault::NoAction),
                Err(v) => Err(Fault::SeveralActions(
                    v.iter()
                        .map(|a| a.label().split(' ').next().unwrap_or("").to_string())
                        .collect(),
                )),
            }
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectFields {
    #[serde(default)]
    row: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

impl<'de> Deserialize<'de> for SelectTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map(d, |f: SelectFields| match (f.row, f.id, f.label) {
            (Some(n), None, None) => Ok(SelectTarget::Row(n)),
            (None, Some(id), None) => Ok(SelectTarget::Id(id)),
            (None, None, Some(l)) => Ok(SelectTarget::Label(l)),
            _ => Err(Fault::SelectTarget),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFields {
    #[serde(default)]
    path: Option<String>,
    #[serde(default, deserialize_with = "present")]
    equals: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    contains: Option<Value>,
    #[serde(default)]
    matches: Option<String>,
    #[serde(default)]
    exists: Option<bool>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    diagnostics: Option<usize>,
    #[serde(default)]
    max_ms: Option<f64>,
    #[serde(default)]
    snapshot: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    error_code: Option<i64>,
}

const EXPECTATIONS: &str = "no_diagnostics, no_error, {path, equals|contains|matches|exists|type|count}, {text}, {diagnostics}, {max_ms}, {snapshot}, {action} or {error_code}";

fn path_expect(path: String, f: ExpectFields) -> Result<Expect, Fault> {
    let compiled = JsonPath::parse(&path).map_err(|source| Fault::JsonPath {
        path: path.clone(),
        source,
    })?;
    let mut checks = Vec::new();
    if let Some(v) = f.equals {
        checks.push(PathCheck::Equals(v));
    }
    if let Some(v) = f.contains {
        checks.push(PathCheck::Contains(v));
    }
    if let Some(r) = f.matches {
        let re = Regex::new(&r)?;
        checks.push(PathCheck::Matches(re));
    }
    if let Some(b) = f.exists {
        checks.push(PathCheck::Exists(b));
    }
    if let Some(t) = f.kind {
        let kind = JsonType::NAMES
            .iter()
            .find(|(n, _)| *n == t)
            .map(|(_, k)| *k)
            .ok_or(Fault::JsonType(t))?;
        checks.push(PathCheck::Type(kind));
    }
    if let Some(n) = f.count {
        checks.push(PathCheck::Count(n));
    }
    let others = [
        f.text.is_some(),
        f.diagnostics.is_some(),
        f.max_ms.is_some(),
        f.snapshot.is_some(),
        f.action.is_some(),
        f.error_code.is_some(),
    ];
    if others.into_iter().any(|o| o) {
        return Err(Fault::PathAndOthers);
    }
    match <[_; 1]>::try_from(checks) {
        Ok([check]) => Ok(Expect::Path {
            path: compiled,
            text: path,
            check,
        }),
        Err(c) if c.is_empty() => Err(Fault::PathWithoutCheck(path)),
        Err(_) => Err(Fault::SeveralChecks),
    }
}

fn snapshot_name(name: String) -> Result<String, Fault> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(name)
    } else {
        Err(Fault::SnapshotName(name))
    }
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Expect;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "an expectation: {EXPECTATIONS}")
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Expect, E> {
                match s {
                    "no_diagnostics" => Ok(Expect::NoDiagnostics),
                    "no_error" => Ok(Expect::NoError),
                    other => Err(E::custom(format!(
                        "unknown expectation {other:?}: expected {EXPECTATIONS}"
                    ))),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Expect, A::Error> {
                let f = ExpectFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                expect_from(f).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

fn expect_from(mut f: ExpectFields) -> Result<Expect, Fault> {
    if let Some(path) = f.path.take() {
        return path_expect(path, f);
    }
    if f.equals.is_some()
        || f.contains.is_some()
        || f.matches.is_some()
        || f.exists.is_some()
        || f.kind.is_some()
        || f.count.is_some()
    {
        return Err(Fault::CheckWithoutPath);
    }
    let mut found = Vec::new();
    if let Some(t) = f.text {
        found.push(Expect::Text(t));
    }
    if let Some(n) = f.diagnostics {
        found.push(Expect::Diagnostics(n));
    }
    if let Some(ms) = f.max_ms {
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(Fault::MaxMs(ms));
        }
        found.push(Expect::MaxMs(ms));
    }
    if let Some(s) = f.snapshot {
        found.push(Expect::Snapshot(snapshot_name(s)?));
    }
    if let Some(a) = f.action {
        found.push(Expect::Action(a));
    }
    if let Some(c) = f.error_code {
        found.push(Expect::ErrorCode(c));
    }
    match <[_; 1]>::try_from(found) {
        Ok([e]) => Ok(e),
        Err(v) if v.is_empty() => Err(Fault::EmptyExpectation),
        Err(_) => Err(Fault::SeveralExpectations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, Path::new("x.scenario.yml"))
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string())
    }

    const HEAD: &str = "name: t\nplugin: {command: [python3, main.py]}\n";

    #[test]
    fn the_issue_example_parses() {
        let text = r#"
name: orders panel
plugin:
  command: [python3, main.py]
  cwd: .
context:
  visitor_id: v_42
steps:
  - render: visitor_panel
    expect:
      - {path: "$.template", equals: group}
      - {path: "$..rows[0].order_id", equals: ORD-001}
      - {path: "$..buttons", count: 1}
      - {text: ORD-001}
      - no_diagnostics
      - {max_ms: 500}
      - {snapshot: orders}
  - click: view_all
    expect:
      - {action: open_url}
      - {path: "$.data.url", matches: "visitor=v_42"}
  - select: {row: 0}
  - submit: {form: create, data: {title: hello, priority: high}}
  - tool: {name: create_ticket, arguments: {title: hello}}
  - call: {method: ping, params: {}}
    expect:
      - no_error
      - {error_code: -32601}
      - {diagnostics: 2}
      - {path: "$.x", exists: false}
      - {path: "$.x", type: string}
      - {path: "$.x", equals: null}
"#;
        let s = parse(text, Path::new("orders.scenario.yml")).unwrap();
        assert_eq!(s.name, "orders panel");
        assert_eq!(s.stem(), "orders");
        assert_eq!(
            s.plugin.launch,
            PluginLaunch::Command(vec!["python3".into(), "main.py".into()])
        );
        assert_eq!(s.context.visitor_id.as_deref(), Some("v_42"));
        assert_eq!(s.context.render_context().session_id, "s_42");
        let labels: Vec<String> = s.steps.iter().map(|st| st.action.label()).collect();
        assert_eq!(
            labels,
            [
                "render visitor_panel",
                "click view_all",
                "select row 0",
                "submit create",
                "tool create_ticket",
                "call ping"
            ]
        );
        let first: Vec<String> = s.steps[0].expect.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            first,
            [
                "$.template equals \"group\"",
                "$..rows[0].order_id equals \"ORD-001\"",
                "$..buttons count 1",
                "text \"ORD-001\"",
                "no_diagnostics",
                "max_ms: 500",
                "snapshot: orders"
            ]
        );
        let last = &s.steps[5].expect;
        assert!(matches!(
            &last[5],
            Expect::Path {
                check: PathCheck::Equals(Value::Null),
                ..
            }
        ));
        assert!(matches!(&last[1], Expect::ErrorCode(-32601)));
    }

    #[test]
    fn a_scenario_pins_the_web_renderer_and_a_width() {
        let s = parse(
            &format!("{HEAD}renderer: web\nwidth: 56\nsteps:\n  - render: a\n"),
            Path::new("x.scenario.yml"),
        )
        .unwrap();
        assert_eq!(
            s.drawing,
            crate::drawn::Drawing {
                width: 56,
                web: true
            }
        );
        let plain = parse(
            &format!("{HEAD}steps:\n  - render: a\n"),
            Path::new("x.scenario.yml"),
        );
        assert_eq!(plain.unwrap().drawing, crate::drawn::Drawing::default());
        assert_eq!(
            err(&format!("{HEAD}width: 8\nsteps:\n  - render: a\n")),
            "x.scenario.yml:1:1: width 8 is not a width to draw a UI at: 20 to 500 columns"
        );
        assert!(
            err(&format!("{HEAD}renderer: html\nsteps:\n  - render: a\n"))
                .contains("unknown variant `html`, expected `console` or `web`")
        );
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        assert_eq!(
            err(&format!("{HEAD}steps:\n  - render: a\n  - rendr: b\n")),
            "x.scenario.yml:5:5: steps[1].rendr: unknown field `rendr`, expected one of `render`, `click`, `select`, `submit`, `tool`, `call`, `expect`"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}steps:\n  - render: a\n  - render: b\n    click: c\n"
            )),
            "x.scenario.yml:5:5: steps[1]: a step does one thing, this one has render and click: split it into steps"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}steps:\n  - render: a\n    expect:\n      - no_diagnostic\n"
            )),
            format!(
                "x.scenario.yml:6:9: steps[0].expect[0]: unknown expectation \"no_diagnostic\": expected {EXPECTATIONS}"
            )
        );
        assert_eq!(
            err(&format!("{HEAD}steps:\n  - render: a\n    expect:\n      - ok\n      - {{path: \"$.[\", equals: 1}}\n")).split(": ").take(3).collect::<Vec<_>>().join(": "),
            "x.scenario.yml:6:9: steps[0].expect[0]: unknown expectation \"ok\""
        );
        let bad_path = err(&format!(
            "{HEAD}steps:\n  - render: a\n    expect:\n      - {{path: \"$.[\", equals: 1}}\n"
        ));
        assert!(
            bad_path.starts_with(
                "x.scenario.yml:6:9: steps[0].expect[0]: path \"$.[\" is not a JSONPath"
            ),
            "{bad_path}"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}steps:\n  - render: a\n    expect:\n      - {{path: $.a, equals: 1, count: 2}}\n"
            )),
            "x.scenario.yml:6:9: steps[0].expect[0]: one check per path expectation: write one expectation per check on the same path"
        );
        assert_eq!(
            err(&format!("{HEAD}steps:\n  - render: [a]\n")),
            "x.scenario.yml:4:13: steps[0].render: invalid type: sequence, expected a string"
        );
        assert_eq!(
            err("name: t\nplugin: {}\nsteps: [{render: a}]\n"),
            "x.scenario.yml:2:9: plugin: say how to start the plugin: command: [program, args…] or manifest: path/to/plugin.yml"
        );
        assert_eq!(
            err("name: t\nplugin: {command: [x]}\n"),
            "x.scenario.yml:1:1: missing field `steps`"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}steps:\n  - render: a\n    expect: [{{snapshot: s}}]\n  - render: b\n    expect: [{{snapshot: s}}]\n"
            )),
            "x.scenario.yml:1:1: snapshot \"s\" is used by steps 1 and 2: each needs its own name"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}steps:\n  - render: a\n    expect: [{{snapshot: ../x}}]\n"
            )),
            "x.scenario.yml:5:14: steps[0].expect[0]: snapshot name \"../x\": use letters, digits, '_', '-' and '.' (it names a file)"
        );
        assert!(
            err("name: [\n").starts_with("x.scenario.yml:"),
            "{}",
            err("name: [\n")
        );
        assert_eq!(
            err(&format!("{HEAD}steps:\n  - select: {{row: 1, id: x}}\n")),
            "x.scenario.yml:4:13: steps[0].select: select takes one of {row: N}, {id: ID} or {label: TEXT}"
        );
    }

    #[test]
    fn hostile_text_in_errors_is_escaped() {
        let e = err(&format!("{HEAD}steps:\n  - \"\\e[2J\": x\n"));
        assert!(!crate::text::has_control_chars(&e), "{e:?}");
    }

    #[test]
    fn context_overrides_the_defaults() {
        let c = ContextSpec {
            visitor_id: Some("v_7".into()),
            language: Some("en-US".into()),
            visitor: Some(
                serde_json::json!({"name": "Ann", "metadata": {"vip": true}})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
            ..Default::default()
        };
        let ctx = c.render_context();
        let mut p = ctx.render_params(&crate::host::CapabilityKind::VisitorPanel);
        c.apply_visitor(&mut p);
        assert_eq!(p["visitor_id"], "v_7");
        assert_eq!(p["session_id"], "s_7");
        assert_eq!(p["language"], "en-US");
        assert_eq!(p["visitor"]["name"], "Ann");
        assert_eq!(p["visitor"]["metadata"]["vip"], true);
        assert_eq!(p["visitor"]["id"], "v_7");
    }

    #[test]
    fn every_check_says_what_is_wrong() {
        let step = |expect: &str| format!("{HEAD}steps:\n  - render: a\n    expect: [{expect}]\n");
        let got: Vec<String> = [
            "name: t\nplugin: {command: [x]}\nsteps: []\n".to_string(),
            "name: t\nplugin: {command: []}\nsteps: [{render: a}]\n".into(),
            "name: t\nplugin: {command: [x], manifest: p.yml}\nsteps: [{render: a}]\n".into(),
            format!("{HEAD}steps: [{{expect: []}}]\n"),
            format!("{HEAD}steps: [{{select: {{row: 1, id: a}}}}]\n"),
            step("{path: $.a, matches: '('}"),
            step("{path: $.a, type: text}"),
            step("{path: $.a, equals: 1, text: x}"),
            step("{path: $.a}"),
            step("{snapshot: ../x}"),
            step("{equals: 1}"),
            step("{max_ms: -1}"),
            step("{}"),
            step("{text: a, diagnostics: 1}"),
        ]
        .iter()
        .map(|t| err(t))
        .collect();
        assert_eq!(
            got,
            [
                "x.scenario.yml:1:1: a scenario needs at least one step",
                "x.scenario.yml:2:9: plugin: command is empty: give the program and its arguments, e.g. [python3, main.py]",
                "x.scenario.yml:2:9: plugin: give either command or manifest, not both",
                "x.scenario.yml:3:9: steps[0]: a step needs one of render, click, select, submit, tool or call",
                "x.scenario.yml:3:18: steps[0].select: select takes one of {row: N}, {id: ID} or {label: TEXT}",
                "x.scenario.yml:5:14: steps[0].expect[0]: matches: not a regular expression: regex parse error:\\n    (\\n    ^\\nerror: unclosed group",
                "x.scenario.yml:5:14: steps[0].expect[0]: type \"text\" is not one of string, number, integer, boolean, array, object, null",
                "x.scenario.yml:5:14: steps[0].expect[0]: a path expectation takes only path and one of equals, contains, matches, exists, type, count",
                "x.scenario.yml:5:14: steps[0].expect[0]: path \"$.a\" needs one of equals, contains, matches, exists, type, count",
                "x.scenario.yml:5:14: steps[0].expect[0]: snapshot name \"../x\": use letters, digits, '_', '-' and '.' (it names a file)",
                "x.scenario.yml:5:14: steps[0].expect[0]: equals, contains, matches, exists, type and count need a path: {path: \"$.…\", …}",
                "x.scenario.yml:5:14: steps[0].expect[0]: max_ms: -1 is not a duration in milliseconds",
                &format!(
                    "x.scenario.yml:5:14: steps[0].expect[0]: an empty expectation: expected {EXPECTATIONS}"
                ),
                "x.scenario.yml:5:14: steps[0].expect[0]: one expectation per list item: split it into several",
            ]
        );
    }
}
