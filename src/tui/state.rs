//! Everything the console shows, in one place. `update` is the only writer; `view::draw`
//! reads it (plus the host's message log) and nothing else.

use super::action::Scope;
use super::composer::ComposerState;
use super::context_edit::ContextEditor;
use super::history::HistoryEntry;
use super::inspector::InspectorState;
use super::msg::{CapKey, Effect, Purpose};
use super::plays::Stories;
use super::setup::Personal;
use super::story::{SaveForm, StoryFile, StoryKey};
use super::theme::Theme;
use super::trail::Trail;
use super::uiview::UiState;
use crate::host::context::RecentVisitor;
use crate::host::{Capability, ConnId, HealthLevel, RenderContext};
use crate::jsonui::{Action, Diagnostic, Node};
use crate::launcher::{LaunchId, LaunchedView, OutputLine, ProcState};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// How long a toast stays when nothing says otherwise.
pub const TOAST: Duration = Duration::from_secs(3);

/// A launched plugin running this long without registering is flagged.
pub const REGISTER_DEADLINE: Duration = Duration::from_secs(30);

/// The panes Tab cycles through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Plugins,
    Render,
    Inspector,
    /// What launched plugins print; it takes the inspector's place on screen.
    Output,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Plugins, Pane::Render, Pane::Inspector, Pane::Output];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Plugins => "Plugins",
            Pane::Render => "Render",
            Pane::Inspector => "Inspector",
            Pane::Output => "Output",
        }
    }
}

/// Where a plugin's connection stands, as the plugins pane shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Liveness {
    Connected,
    /// Its id was registered again by a newer connection (which is shown instead).
    Replaced,
    Disconnected(String),
}

/// What `tgo-console replay` opened, for the screens that would otherwise say how to
/// connect a plugin.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replay {
    /// The recording's path.
    pub source: String,
    /// Entries read from it.
    pub messages: usize,
    /// The lines that could not be read (1-based).
    pub bad_lines: Vec<usize>,
    /// Whether `State::ctx` is the context of a recorded render (else none was recorded).
    pub recorded_context: bool,
}

/// Lines of output kept per launched plugin (the launcher keeps its own bounded copy too).
pub const OUTPUT_LINES: usize = 5_000;

/// A plugin the console launched from its manifest: its process, and what it printed.
#[derive(Clone, Debug)]
pub struct Launch {
    pub id: LaunchId,
    pub name: String,
    pub manifest: PathBuf,
    pub command: String,
    /// The id its manifest declares, if any (to link it before its process is known).
    pub manifest_plugin_id: Option<String>,
    pub state: ProcState,
    pub pid: Option<u32>,
    pub restarts: u32,
    /// When its current process started: the never-registered flag counts from here.
    pub started: Option<Instant>,
    /// The plugin id it registered with (kept across restarts).
    pub plugin_id: Option<String>,
    /// Whether its current process has registered.
    pub registered: bool,
    pub output: VecDeque<OutputLine>,
    /// Lines dropped from the front of `output` to stay within [`OUTPUT_LINES`].
    pub dropped: u64,
    /// Asked to be removed: it leaves the list once its process is gone.
    pub removing: bool,
}

impl Launch {
    pub fn new(view: LaunchedView, now: Instant) -> Self {
        let started = view.state.is_live().then_some(now);
        Self {
            id: view.id,
            name: view.name,
            manifest: view.manifest,
            command: view.command,
            manifest_plugin_id: view.plugin_id,
            state: view.state,
            pid: view.pid,
            restarts: view.restarts,
            started,
            plugin_id: None,
            registered: false,
            output: view.last_lines.into(),
            dropped: 0,
            removing: false,
        }
    }

    /// Whether its process ended badly and it is not running again yet: the plugins pane
    /// then shows its last lines.
    pub fn has_crashed(&self) -> bool {
        match &self.state {
            ProcState::Exited { code } => *code != 0,
            ProcState::Killed { .. }
            | ProcState::FailedToStart(_)
            | ProcState::BuildFailed(_)
            | ProcState::Restarting { .. }
            | ProcState::CrashLoop { .. } => true,
            _ => false,
        }
    }

    /// What its process is doing, in words (countdowns from `now`).
    pub fn status_text(&self, now: Instant) -> String {
        let l = self;
        let secs = |at: &Instant| at.saturating_duration_since(now).as_secs_f64().ceil() as u64;
        if l.removing {
            return "removing…".into();
        }
        match &l.state {
            ProcState::Building => "building…".into(),
            ProcState::Starting => "starting".into(),
            ProcState::Running => match l.pid {
                Some(pid) => format!("running · pid {pid}"),
                None => "running".into(),
            },
            ProcState::Exited { code } => format!("exited ({code})"),
            ProcState::Killed { signal } => format!("killed by {}", signal_name(*signal)),
            ProcState::FailedToStart(why) => format!("failed to start: {why}"),
            ProcState::BuildFailed(why) => format!("build failed: {why}"),
            ProcState::Restarting { at, attempt } => {
                format!("restarting in {} s · attempt {attempt}", secs(at))
            }
            ProcState::CrashLoop { restarts, next } => format!(
                "crash loop ({restarts} crashes) · next try in {} s",
                secs(next)
            ),
            ProcState::Stopping => "stopping…".into(),
            ProcState::Stopped => "stopped (s to start)".into(),
        }
    }

    /// Running for `deadline` without registering: worth a warning.
    pub fn never_registered(&self, now: Instant, deadline: Duration) -> bool {
        self.state == ProcState::Running
            && !self.registered
            && self.started.is_some_and(|s| now >= s + deadline)
    }
}

/// Where the render pane's diagnostics list stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiagList {
    /// The keyboard is in the list (`focus_diagnostics`).
    pub focused: bool,
    /// The first entry shown.
    pub scroll: usize,
}

/// The output pane's scroll: lines up from the newest, or following the tail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputScroll {
    pub up: usize,
}

/// One plugin in the plugins pane (the newest registration of its id).
#[derive(Clone, Debug)]
pub struct PluginView {
    pub plugin_id: String,
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub author: Option<String>,
    /// It registered without an id: the host made one up (a new one at each registration).
    pub generated_id: bool,
    pub conn: ConnId,
    pub liveness: Liveness,
    pub capabilities: Vec<Capability>,
    /// Earlier connections of this id replaced by a newer one.
    pub replaced: usize,
    /// What its registration lacked or had in a lenient form (`no "name"`…), shown under it.
    pub register_notes: Vec<String>,
    /// Proxy mode: its connection to the real host is lost (being redialled).
    pub upstream_lost: bool,
}

impl PluginView {
    /// Its capabilities in the order the real host lists them: by `priority` (lower first),
    /// registration order among equals. Indices into `capabilities`.
    pub fn by_priority(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.capabilities.len()).collect();
        order.sort_by_key(|&i| self.capabilities[i].priority);
        order
    }
}

/// A connection that ended before it registered, and why (shown in the plugins pane).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unregistered {
    pub conn: ConnId,
    pub reason: String,
}

/// Connections that never registered kept on screen (the newest).
pub const UNREGISTERED_SHOWN: usize = 3;

/// One block of the plugins pane.
#[derive(Clone, Copy, Debug)]
pub enum Entry<'a> {
    /// A registered plugin, and the launch it came from when the console started it.
    Plugin(&'a PluginView, Option<&'a Launch>),
    /// A launched plugin with no registered plugin to show.
    Launch(&'a Launch),
}

/// A row of the plugins pane: a plugin, one of its capabilities, a story (a scenario file
/// beside it), or a launched plugin that has not registered (yet, or any more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Plugin(String),
    Capability(CapKey),
    Story(StoryKey),
    Launch(LaunchId),
}

impl Row {
    /// The plugin the row belongs to (none for a launch that has not registered).
    pub fn plugin_id(&self) -> Option<&str> {
        match self {
            Row::Plugin(p) => Some(p),
            Row::Capability(k) => Some(&k.plugin_id),
            Row::Story(k) => Some(&k.plugin_id),
            Row::Launch(_) => None,
        }
    }
}

/// A capability's render: in flight, drawn, or failed (saying which failure it was).
#[derive(Debug)]
pub enum RenderSlot {
    Pending {
        since: Instant,
        method: String,
        previous: Option<Box<Rendered>>,
    },
    Ready(Box<Rendered>),
    Failed {
        message: String,
        kind: FailKind,
        previous: Option<Box<Rendered>>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailKind {
    Timeout,
    PluginError,
    Disconnected,
    InvalidAnswer,
    Cancelled,
    NotConnected,
}

impl FailKind {
    pub fn title(self) -> &'static str {
        match self {
            FailKind::Timeout => "Timed out",
            FailKind::PluginError => "Plugin error",
            FailKind::Disconnected => "Disconnected",
            FailKind::InvalidAnswer => "Invalid answer",
            FailKind::Cancelled => "Cancelled",
            FailKind::NotConnected => "Not connected",
        }
    }
}

/// A JSON-UI ready to draw, with its diagnostics and its view state (focus, tabs, form values).
#[derive(Debug)]
pub struct Rendered {
    pub node: Node,
    pub diagnostics: Vec<Diagnostic>,
    pub ui: UiState,
    pub method: String,
    pub latency: Duration,
    pub at: SystemTime,
    /// The first render after its plugin was rebuilt (`--watch`): whether it is the same
    /// JSON as the last render before.
    pub since_build: Option<bool>,
}

impl Rendered {
    pub fn new(
        node: Node,
        diagnostics: Vec<Diagnostic>,
        method: String,
        latency: Duration,
    ) -> Self {
        let ui = UiState::new(&node);
        Self {
            node,
            diagnostics,
            ui,
            method,
            latency,
            at: SystemTime::now(),
            since_build: None,
        }
    }
}

/// A logged answer drawn as it was when it came (time travel).
#[derive(Debug)]
pub struct Past {
    /// The answer's seq in the log.
    pub seq: u64,
    /// The message it was asked for from (an event answer draws the render before it).
    pub from: u64,
    pub at: SystemTime,
    /// What the pane's title says: the capability, or the method when it is not known.
    pub title: String,
    /// For an event answer: what it answered, drawn over the panel it was pressed on.
    pub note: Option<String>,
    pub slot: RenderSlot,
}

/// Two logged renders side by side: `=` in the render pane or the inspector.
#[derive(Debug)]
pub struct Diff {
    pub title: String,
    pub old: Side,
    pub new: Side,
    /// `+ path: value` / `- …` / `~ path: old → new`.
    pub changes: Vec<String>,
    /// Changes not listed (over `past::MAX_CHANGES`).
    pub more: usize,
    pub scroll: u16,
    /// Its lines as last drawn, by width: two drawings and a line diff are not redone per
    /// frame or per scroll key.
    pub lines: std::cell::RefCell<Option<(u16, Vec<ratatui::text::Line<'static>>)>>,
}

#[derive(Debug)]
pub struct Side {
    pub seq: u64,
    pub at: SystemTime,
    pub node: crate::jsonui::Node,
}

/// What the render pane shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    Cap(CapKey),
    /// A JSON-UI answer to a raw request from the composer.
    Raw,
}

/// Overlays, one at a time, on top of the screen; they take the keyboard.
pub enum Modal {
    Help {
        scroll: u16,
    },
    /// `y` runs `then`; anything else cancels.
    Confirm {
        text: String,
        then: Vec<Effect>,
    },
    /// Nested JSON-UI: `show_modal`, or a `chat_toolbar` render.
    Ui {
        title: String,
        rendered: Box<Rendered>,
        cap: CapKey,
    },
    Composer(Box<ComposerState>),
    Context(Box<ContextEditor>),
    Pending {
        selected: usize,
    },
    /// `a`: the path of a manifest (or a directory of plugins) to launch.
    AddPlugin(Box<ratatui_textarea::TextArea<'static>>),
    /// `ctrl-p`: every action, plugin, capability, filter, command and recent request.
    Palette(Box<super::palette::PaletteState>),
    /// What a user's command printed (`output = "pane"`).
    Output {
        title: String,
        text: String,
        scroll: u16,
    },
    /// `S` (or the composer's save): the name of the story to save.
    SaveStory(Box<SaveForm>),
    /// `=`: two renders of a capability, what changed between them.
    Diff(Box<Diff>),
    /// `C`: the chaos run on a plugin (drawn from `State::chaos`).
    Chaos {
        scroll: u16,
    },
}

/// One chaos run (the latest), as the modal draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosRun {
    pub plugin_id: String,
    /// Every fault to run, in order.
    pub faults: Vec<crate::check::chaos::Fault>,
    /// The faults judged so far.
    pub judged: Vec<crate::check::chaos::FaultReport>,
    pub running: Option<crate::check::chaos::Fault>,
    /// The whole report, once the run ended.
    pub report: Option<crate::check::chaos::ChaosReport>,
}

impl ChaosRun {
    pub fn finished(&self) -> bool {
        self.report.is_some()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Info,
    Warning,
    Error,
}

#[derive(Clone, Debug)]
pub struct Toast {
    pub text: String,
    pub kind: ToastKind,
    pub until: Instant,
    /// The plugins a "registered" toast names (further ones join it).
    pub registered: Vec<String>,
}

/// The last event sent (a button, a row, a form) and how it ended, for the Action pane.
#[derive(Clone, Debug)]
pub struct EventRecord {
    pub plugin_id: String,
    pub method: String,
    /// `event_type · action_id` (and the selected id), as sent.
    pub sent: String,
    pub since: Instant,
    pub outcome: EventOutcome,
}

#[derive(Clone, Debug)]
pub enum EventOutcome {
    /// Sent, no answer yet.
    Pending,
    /// The JSON-ACTION answer, as carried out.
    Action {
        action: Action,
        diagnostics: Vec<Diagnostic>,
        latency: Duration,
    },
    /// No action: why (timeout, plugin error, disconnect, invalid answer, not sent).
    Failed { kind: FailKind, message: String },
}

impl EventRecord {
    /// The action the plugin answered with, if it did.
    pub fn action(&self) -> Option<&Action> {
        match &self.outcome {
            EventOutcome::Action { action, .. } => Some(action),
            _ => None,
        }
    }
}

/// `button_click · view_all`, `item_select · row ORD-1`: what an event says, in a line.
pub fn event_summary(event: &crate::host::UiEvent) -> String {
    let mut s = event.event_type.clone();
    if !event.action_id.is_empty() {
        s.push_str(&format!(" · {}", event.action_id));
    }
    if let Some(id) = &event.selected_id {
        s.push_str(&format!(" · {id}"));
    }
    s
}

/// A line of the chat transcript: what the agent's composer would have received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatLine {
    pub kind: String,
    pub text: String,
}

/// How long an error stays in the status bar when nothing succeeds meanwhile.
pub const STATUS_ERROR_TTL: Duration = Duration::from_secs(10);

/// An error the status bar shows, until `until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusError {
    pub text: String,
    pub until: Instant,
}

/// A request in flight.
#[derive(Clone, Debug)]
pub struct PendingView {
    pub conn: ConnId,
    pub id: u64,
    pub plugin_id: String,
    pub method: String,
    pub since: Instant,
    pub purpose: Purpose,
}

/// The last `mcp_tools` run of a capability, shown above its tool forms.
#[derive(Clone, Debug)]
pub struct ToolRun {
    pub tool: String,
    pub ok: bool,
    pub text: String,
}

/// What the console listens on and whether it is live.
#[derive(Debug, Default)]
pub struct Session {
    pub listening: Vec<String>,
    pub log_path: String,
    /// A replayed recording: nothing is sent anywhere.
    pub read_only: bool,
    /// What the replay opened (`None` in a live console).
    pub replay: Option<Replay>,
    /// Proxy mode: the real host's address (`--upstream`).
    pub upstream: Option<String>,
}

/// Plugins launched from manifests (`launches.rs` and `output.rs` change it).
#[derive(Debug)]
pub struct Launches {
    /// In the order they were added.
    pub list: Vec<Launch>,
    /// Which launched plugin each connection came from (by the peer's process).
    pub by_conn: HashMap<ConnId, LaunchId>,
    /// Manifests that could not be read, as `file: field: problem`.
    pub manifest_errors: Vec<String>,
    /// How long a launched plugin may run without registering before it is flagged.
    pub register_deadline: Duration,
    pub output_scroll: OutputScroll,
}

impl Default for Launches {
    fn default() -> Self {
        Self {
            list: Vec::new(),
            by_conn: HashMap::new(),
            manifest_errors: Vec::new(),
            register_deadline: REGISTER_DEADLINE,
            output_scroll: OutputScroll::default(),
        }
    }
}

/// What the render pane shows and what it has (`render.rs` changes it).
#[derive(Debug, Default)]
pub struct Renders {
    /// Each capability's last render.
    pub slots: BTreeMap<CapKey, RenderSlot>,
    /// An answer to a request from the composer that looks like JSON-UI.
    pub raw: Option<RenderSlot>,
    pub shown: Option<Shown>,
    /// A capability to render once the selection has rested on it until then.
    pub due: Option<(CapKey, Instant)>,
    pub tool_runs: BTreeMap<CapKey, ToolRun>,
    /// Proxy mode (`host_view.rs`): the real host's last render of each capability, drawn.
    pub host: BTreeMap<CapKey, RenderSlot>,
    /// The capability whose render pane shows the real host's render instead of ours.
    pub as_host: Option<CapKey>,
    /// Seq of the plugin's last answer to a request of the real host, by (plugin, method).
    pub host_answers: HashMap<(String, String), u64>,
    /// Where the log was last read up to for `host_answers`.
    pub host_cursor: u64,
    /// A logged answer drawn as it was then (time travel), over whatever is shown.
    pub past: Option<Past>,
    /// Each capability's last render answers, by seq in the log (for `=`).
    pub history: BTreeMap<CapKey, VecDeque<u64>>,
    /// Plugins changed on disk (`--watch`) whose new process has not registered yet.
    pub rebuilding: std::collections::BTreeSet<String>,
    /// Panels whose next render is compared with the last one (their plugin was rebuilt).
    pub since_build: std::collections::BTreeSet<CapKey>,
    /// Drawn as the TGO web UI would (`w`).
    pub web: bool,
    /// Columns the UI is drawn in (`W`; none: the pane's width).
    pub width: Option<u16>,
}

/// The Action pane: the last event and what landed in the chat (`events.rs` changes it).
#[derive(Debug, Default)]
pub struct Activity {
    pub last_event: Option<EventRecord>,
    pub chat: Vec<ChatLine>,
}

/// Toasts and the status bar's error.
#[derive(Debug, Default)]
pub struct Status {
    pub toasts: Vec<Toast>,
    /// Cleared by the next success, or once it is this old.
    pub error: Option<StatusError>,
}

pub struct State {
    pub theme: Theme,
    /// Which key does what where, the user's commands and saved filters.
    pub personal: Personal,
    pub size: (u16, u16),
    pub now: Instant,
    pub focus: Pane,
    pub zoom: bool,
    pub session: Session,
    pub plugins: Vec<PluginView>,
    pub selected: Option<Row>,
    pub ctx: RenderContext,
    /// Visitors used before, newest last (saved across runs by the app).
    pub recent_visitors: Vec<RecentVisitor>,
    pub render: Renders,
    pub modal: Option<Modal>,
    pub status: Status,
    pub activity: Activity,
    pub inspector: InspectorState,
    pub pending: Vec<PendingView>,
    pub show_diagnostics: bool,
    /// The diagnostics list under the render pane's UI (focus, scroll).
    pub diag: DiagList,
    pub quit: bool,
    pub launches: Launches,
    /// The last connections that ended without registering (first frame not `register`, an
    /// oversized frame, a refused registration…), oldest first.
    pub unregistered: VecDeque<Unregistered>,
    /// Whether the inspector's place shows the output pane (the last of the two focused).
    pub output_shown: bool,
    /// Gone plugins dropped from the list to keep it short (`plugins::MAX_GONE`).
    pub forgotten: usize,
    /// The plugin and method last sent from the composer (it opens on them again).
    pub composer_last: Option<(String, String)>,
    /// Scenario files found beside launched plugins, and the story played.
    pub stories: Stories,
    /// The path to what the render pane shows (walked again after a restart).
    pub trail: Trail,
    /// Requests sent, newest last (kept across runs by the app).
    pub history: VecDeque<HistoryEntry>,
    /// The latest chaos run (`C` on a plugin) and how runs are made.
    pub chaos: Option<ChaosRun>,
    pub chaos_options: crate::check::chaos::ChaosOptions,
    pub health: HealthState,
}

/// How each plugin is doing (sampled by the app once a second while the console is seen).
#[derive(Debug)]
pub struct HealthState {
    /// The host's numbers, by plugin id.
    pub plugins: std::collections::HashMap<String, crate::host::HealthSnapshot>,
    /// Memory and CPU of launched plugins' processes.
    pub usage: std::collections::HashMap<LaunchId, crate::launcher::tree::ProcUsage>,
    /// The terminal has the focus (or cannot say): sampling runs only then.
    pub focused: bool,
}

impl Default for HealthState {
    fn default() -> Self {
        Self {
            plugins: Default::default(),
            usage: Default::default(),
            focused: true,
        }
    }
}

impl State {
    pub fn new(theme: Theme, ctx: RenderContext, listening: Vec<String>, log_path: String) -> Self {
        Self {
            theme,
            personal: Personal::default(),
            size: (100, 30),
            now: Instant::now(),
            focus: Pane::Plugins,
            zoom: false,
            session: Session {
                listening,
                log_path,
                ..Session::default()
            },
            plugins: Vec::new(),
            selected: None,
            recent_visitors: vec![RecentVisitor::of(&ctx)],
            ctx,
            render: Renders::default(),
            modal: None,
            status: Status::default(),
            activity: Activity::default(),
            inspector: InspectorState::new(),
            pending: Vec::new(),
            show_diagnostics: true,
            diag: DiagList::default(),
            quit: false,
            launches: Launches::default(),
            unregistered: VecDeque::new(),
            output_shown: false,
            forgotten: 0,
            composer_last: None,
            stories: Stories::default(),
            trail: Trail::default(),
            history: VecDeque::new(),
            health: HealthState::default(),
            chaos: None,
            chaos_options: Default::default(),
        }
    }

    /// The entries of the plugins pane in display order: launched plugins first (as their
    /// registered plugin once they have one), then plugins that dialled in by themselves.
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let mut out = Vec::new();
        for l in &self.launches.list {
            match l.plugin_id.as_deref().and_then(|id| self.plugin(id)) {
                Some(p) => out.push(Entry::Plugin(p, Some(l))),
                None => out.push(Entry::Launch(l)),
            }
        }
        for p in &self.plugins {
            if self.launch_of(&p.plugin_id).is_none() {
                out.push(Entry::Plugin(p, None));
            }
        }
        out
    }

    /// Rows of the plugins pane in display order.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for e in self.entries() {
            match e {
                Entry::Launch(l) => rows.push(Row::Launch(l.id)),
                Entry::Plugin(p, _) => {
                    rows.push(Row::Plugin(p.plugin_id.clone()));
                    let stories = self.stories_of(p);
                    let story = |f: &StoryFile| {
                        Row::Story(StoryKey {
                            plugin_id: p.plugin_id.clone(),
                            path: f.path.clone(),
                        })
                    };
                    for index in p.by_priority() {
                        rows.push(Row::Capability(CapKey {
                            plugin_id: p.plugin_id.clone(),
                            index,
                        }));
                        rows.extend(
                            stories
                                .iter()
                                .filter(|(at, _)| *at == Some(index))
                                .map(|(_, f)| story(f)),
                        );
                    }
                    rows.extend(
                        stories
                            .iter()
                            .filter(|(at, _)| at.is_none())
                            .map(|(_, f)| story(f)),
                    );
                }
            }
        }
        rows
    }

    /// A toast at the bottom right for `dur` (the oldest goes beyond four).
    pub fn toast(&mut self, kind: ToastKind, text: String, dur: Duration) {
        self.status.toasts.push(Toast {
            text,
            kind,
            until: self.now + dur,
            registered: Vec::new(),
        });
        if self.status.toasts.len() > 4 {
            self.status.toasts.remove(0);
        }
    }

    /// Where the keyboard is, most specific first: the keymap scopes a key is looked up in.
    /// A scope where text is typed ends the list (global keys would be typing).
    pub fn active_scopes(&self) -> Vec<Scope> {
        match &self.modal {
            Some(Modal::Help { .. }) => return vec![Scope::Help],
            Some(Modal::Confirm { .. }) => return vec![Scope::Confirm],
            Some(Modal::Pending { .. }) => return vec![Scope::Pending],
            Some(Modal::Composer(_)) => return vec![Scope::Composer],
            Some(Modal::Context(_)) => return vec![Scope::Context],
            Some(Modal::AddPlugin(_)) => return vec![Scope::Editing],
            Some(Modal::Palette(_)) => return vec![Scope::Palette],
            Some(Modal::SaveStory(_)) => return vec![Scope::Editing],
            Some(Modal::Output { .. } | Modal::Diff(_) | Modal::Chaos { .. }) => {
                return vec![Scope::Help];
            }
            Some(Modal::Ui { rendered, .. }) => {
                return if super::uiview::is_editing(&rendered.ui) {
                    vec![Scope::Editing]
                } else {
                    vec![Scope::Modal, Scope::Render]
                };
            }
            None => {}
        }
        match self.focus {
            Pane::Plugins => vec![Scope::Plugins, Scope::Global],
            Pane::Output => vec![Scope::Output, Scope::Global],
            Pane::Inspector if self.inspector.is_typing() => vec![Scope::Editing],
            Pane::Inspector => vec![Scope::Inspector, Scope::Global],
            Pane::Render => {
                if self
                    .shown_rendered()
                    .is_some_and(|r| super::uiview::is_editing(&r.ui))
                {
                    vec![Scope::Editing]
                } else if self.diag.focused && self.show_diagnostics {
                    vec![Scope::Diagnostics, Scope::Global]
                } else {
                    vec![Scope::Render, Scope::Global]
                }
            }
        }
    }

    /// Gives `pane` the keyboard; the output pane and the inspector share a place on screen,
    /// so focusing one shows it there.
    pub fn enter_pane(&mut self, pane: Pane) {
        self.focus = pane;
        match pane {
            Pane::Output => self.output_shown = true,
            Pane::Inspector => self.output_shown = false,
            _ => {}
        }
    }

    /// The render shown (or the last good one under a spinner or an error).
    pub fn shown_rendered(&self) -> Option<&Rendered> {
        match self.shown_slot()? {
            RenderSlot::Ready(r) => Some(r),
            RenderSlot::Pending { previous, .. } | RenderSlot::Failed { previous, .. } => {
                previous.as_deref()
            }
        }
    }

    /// The render drawn in the pane, to act on: the ready one, or the last good one under a
    /// spinner or an error (keys pressed meanwhile move through it, and a re-render keeps
    /// where they left the focus).
    pub fn shown_rendered_mut(&mut self) -> Option<&mut Rendered> {
        match self.shown_slot_mut()? {
            RenderSlot::Ready(r) => Some(r),
            RenderSlot::Pending { previous, .. } | RenderSlot::Failed { previous, .. } => {
                previous.as_deref_mut()
            }
        }
    }

    /// The capability the render pane shows (none for a raw answer).
    pub fn shown_cap(&self) -> Option<CapKey> {
        match self.render.shown.as_ref()? {
            Shown::Cap(k) => Some(k.clone()),
            Shown::Raw => None,
        }
    }

    /// Shows `text` in the status bar (until a success, or [`STATUS_ERROR_TTL`]).
    pub fn set_error(&mut self, text: String) {
        self.status.error = Some(StatusError {
            text,
            until: self.now + STATUS_ERROR_TTL,
        });
    }

    /// The status bar's error text, if one is up.
    pub fn error_text(&self) -> Option<&str> {
        self.status.error.as_ref().map(|e| e.text.as_str())
    }

    /// The launched plugin that registered as `plugin_id`.
    pub fn launch_of(&self, plugin_id: &str) -> Option<&Launch> {
        self.launches
            .list
            .iter()
            .find(|l| l.plugin_id.as_deref() == Some(plugin_id))
    }

    pub fn launch(&self, id: LaunchId) -> Option<&Launch> {
        self.launches.list.iter().find(|l| l.id == id)
    }

    pub fn launch_mut(&mut self, id: LaunchId) -> Option<&mut Launch> {
        self.launches.list.iter_mut().find(|l| l.id == id)
    }

    /// The launched plugin the selection belongs to (its row, its plugin or a capability).
    pub fn selected_launch(&self) -> Option<&Launch> {
        match self.selected.as_ref()? {
            Row::Launch(id) => self.launch(*id),
            Row::Plugin(p) => self.launch_of(p),
            Row::Capability(k) => self.launch_of(&k.plugin_id),
            Row::Story(k) => self.launch_of(&k.plugin_id),
        }
    }

    /// The directory of the manifest `plugin_id` was launched from: where its stories are
    /// (none for a plugin that dialled in by itself, or the built-in demo, which has no
    /// manifest file).
    pub fn plugin_dir(&self, plugin_id: &str) -> Option<PathBuf> {
        let manifest = &self.launch_of(plugin_id)?.manifest;
        let is_manifest = manifest
            .extension()
            .is_some_and(|e| e == "yml" || e == "yaml" || e == "json");
        is_manifest.then(|| manifest.parent().map(PathBuf::from))?
    }

    /// The stories found beside `p`, each with the capability it starts with (by index).
    pub fn stories_of(&self, p: &PluginView) -> Vec<(Option<usize>, &StoryFile)> {
        let Some(files) = self
            .plugin_dir(&p.plugin_id)
            .and_then(|d| self.stories.found.get(&d))
        else {
            return Vec::new();
        };
        files
            .iter()
            .map(|f| (f.capability(&p.capabilities), f))
            .collect()
    }

    /// The story file a story row stands for.
    pub fn story(&self, key: &StoryKey) -> Option<&StoryFile> {
        let dir = self.plugin_dir(&key.plugin_id)?;
        self.stories
            .found
            .get(&dir)?
            .iter()
            .find(|f| f.path == key.path)
    }

    /// The launched plugin the output pane shows: the selected one, else the first.
    pub fn output_launch(&self) -> Option<&Launch> {
        self.selected_launch().or(self.launches.list.first())
    }

    pub fn plugin(&self, id: &str) -> Option<&PluginView> {
        self.plugins.iter().find(|p| p.plugin_id == id)
    }

    pub fn capability(&self, key: &CapKey) -> Option<&Capability> {
        self.plugin(&key.plugin_id)?.capabilities.get(key.index)
    }

    /// Whether the render pane shows the real host's render of the shown capability.
    pub fn showing_host(&self) -> bool {
        match (&self.render.shown, &self.render.as_host) {
            (Some(Shown::Cap(shown)), Some(key)) => {
                shown == key && self.render.host.contains_key(key)
            }
            _ => false,
        }
    }

    /// The slot the render pane shows.
    pub fn shown_slot(&self) -> Option<&RenderSlot> {
        if let Some(p) = &self.render.past {
            return Some(&p.slot);
        }
        match self.render.shown.as_ref()? {
            Shown::Cap(key) if self.showing_host() => self.render.host.get(key),
            Shown::Cap(key) => self.render.slots.get(key),
            Shown::Raw => self.render.raw.as_ref(),
        }
    }

    pub fn shown_slot_mut(&mut self) -> Option<&mut RenderSlot> {
        let host = self.showing_host();
        if let Some(p) = &mut self.render.past {
            return Some(&mut p.slot);
        }
        match self.render.shown.as_ref()? {
            Shown::Cap(key) if host => self.render.host.get_mut(key),
            Shown::Cap(key) => self.render.slots.get_mut(key),
            Shown::Raw => self.render.raw.as_mut(),
        }
    }

    /// Whether anything on screen moves by itself (spinner, toast expiry): only then does the
    /// app schedule ticks, so an idle console sleeps.
    /// The next moment the screen changes by itself without a tick: a restart countdown's
    /// next second, or a launched plugin reaching its register deadline.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let now = self.now;
        let second = |at: Instant| {
            let left = at.saturating_duration_since(now);
            let frac = left.as_nanos() % 1_000_000_000;
            if left.is_zero() {
                None
            } else if frac == 0 {
                Some(now + Duration::from_secs(1))
            } else {
                Some(now + Duration::from_nanos(frac as u64))
            }
        };
        self.launches
            .list
            .iter()
            .filter_map(|l| match &l.state {
                ProcState::Restarting { at, .. } => second(*at),
                ProcState::CrashLoop { next, .. } => second(*next),
                ProcState::Running if !l.registered => l
                    .started
                    .map(|s| s + self.launches.register_deadline)
                    .filter(|d| *d > now),
                _ => None,
            })
            .chain(self.status.error.as_ref().map(|e| e.until))
            .chain(self.render.due.as_ref().map(|(_, at)| *at))
            .chain(match &self.modal {
                Some(Modal::Composer(c)) => c.check_due(),
                _ => None,
            })
            .min()
    }

    /// The colour of a plugin's health dot: red for a crash loop, no connection, or more than
    /// 10 % errors in its last 100 requests; amber for a timeout there or a p99 over 1 s; green
    /// otherwise (see [`crate::host::health`]).
    pub fn health_level(&self, p: &PluginView, launch: Option<&Launch>) -> HealthLevel {
        let looping = launch.is_some_and(|l| matches!(l.state, ProcState::CrashLoop { .. }));
        if looping || matches!(p.liveness, Liveness::Disconnected(_)) {
            return HealthLevel::Red;
        }
        self.health
            .plugins
            .get(&p.plugin_id)
            .map_or(HealthLevel::Unknown, |h| h.level())
    }

    /// Whether the app is to sample health now and then: someone may be looking, and there is
    /// a plugin to look at.
    pub fn wants_health(&self) -> bool {
        self.health.focused && (!self.plugins.is_empty() || !self.launches.list.is_empty())
    }

    pub fn needs_tick(&self) -> bool {
        !self.status.toasts.is_empty()
            || !self.pending.is_empty()
            || self
                .render
                .slots
                .values()
                .any(|s| matches!(s, RenderSlot::Pending { .. }))
    }
}

fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    format!("{name} ({signal})")
}
