//! The one message type every state change goes through, and the effects `update` asks the
//! app to carry out (it does no I/O itself).

use crate::host::{ConnId, HostEvent, Reply, RequestError, UiEvent};
use crate::jsonui::{Node, Parsed};
pub use crate::launcher::LaunchOp;
use crate::launcher::{LaunchId, LaunchedView, LauncherEvent};
use crossterm::event::{KeyEvent, MouseEvent};
use serde_json::Value;
use std::path::PathBuf;

/// A capability of a plugin, by position in its registration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CapKey {
    pub plugin_id: String,
    pub index: usize,
}

/// Why a request was sent, so its reply lands in the right place.
#[derive(Clone, Debug, PartialEq)]
pub enum Purpose {
    /// Render of a capability into the render pane.
    Render(CapKey),
    /// A `chat_toolbar` render, shown in a modal.
    ToolbarRender(CapKey),
    /// A UI event (button, row, form); `in_modal` when pressed inside a modal.
    Event {
        cap: CapKey,
        in_modal: bool,
        event: UiEvent,
    },
    /// `tool/execute` from the tools form.
    Tool { cap: CapKey, tool: String },
    /// Sent from the composer or resent from the inspector.
    Raw,
}

pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    Host(HostEvent),
    /// The message log grew (throttled).
    LogGrew,
    /// A request is on its way (for the pending list).
    Sent {
        purpose: Purpose,
        plugin_id: String,
        method: String,
        conn: ConnId,
        id: u64,
    },
    /// A request could not be sent at all.
    SendFailed {
        purpose: Purpose,
        error: RequestError,
    },
    /// A request ended. `ui` is the answer already parsed as JSON-UI when it looked like one:
    /// the app parses off the UI loop, so a 200 000-row table never stalls the keyboard.
    Reply {
        purpose: Purpose,
        reply: Reply,
        ui: Option<Box<Parsed<Node>>>,
    },
    /// Something the app did by itself (an export) wants to be told.
    Notice {
        text: String,
        error: bool,
    },
    /// What the launcher reported, in arrival order (batched: a chatty plugin costs one
    /// redraw per batch, not one per line).
    Launcher(Vec<LauncherEvent>),
    /// Plugins launched at runtime (`a`), and the manifests found there that could not be read.
    Added {
        views: Vec<LaunchedView>,
        errors: Vec<String>,
    },
    /// The connection `conn` comes from the launched plugin `launch` (matched by its process).
    ConnOwner {
        conn: ConnId,
        launch: LaunchId,
    },
    /// Health sampled by the app (once a second while the console is seen): the host's
    /// numbers per plugin id, the processes' memory and CPU per launched plugin.
    Health {
        plugins: Vec<(String, crate::host::HealthSnapshot)>,
        usage: Vec<(LaunchId, crate::launcher::tree::ProcUsage)>,
    },
    /// The terminal gained (true) or lost the focus.
    Focus(bool),
    /// The console was told to stop (SIGTERM, SIGHUP, SIGINT): quit as `q` would.
    Signal(&'static str),
    /// A user's command ended: how, and what it printed (background commands).
    CommandDone {
        name: String,
        output: CommandOutput,
        ok: bool,
        status: String,
        text: String,
    },
    /// The user's editor ended: the file's text, or why there is none.
    Edited(Result<String, String>),
    /// The scenario files beside a plugin whose manifest is in `dir`.
    StoriesFound {
        dir: PathBuf,
        files: Vec<crate::tui::story::StoryFile>,
    },
    /// A story file was read to be played (or why it could not be).
    StoryLoaded {
        key: crate::tui::story::StoryKey,
        scenario: Result<Box<crate::scenario::Scenario>, String>,
    },
    /// A played story's step was judged.
    StepJudged {
        play: u64,
        index: usize,
        report: Box<crate::scenario::StepReport>,
    },
    /// What became of a story sent to be saved at `path`.
    StorySaved {
        path: PathBuf,
        saved: crate::tui::story::Saved,
    },
    /// What a chaos run learnt (see `tui::chaos`).
    Chaos(ChaosNews),
    /// Time passed: spinner frame, toast expiry, restart countdown.
    Tick,
}

/// What the app learns while the faults run.
#[derive(Clone, Debug, PartialEq)]
pub enum ChaosNews {
    Starting(crate::check::chaos::Fault),
    Judged(Box<crate::check::chaos::FaultReport>),
    Done(Box<crate::check::chaos::ChaosReport>),
}

/// A program of the user's that gets a file and the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum External {
    /// `$VISUAL`, else `$EDITOR`, else `vi`: the file is read back when it ends.
    Editor,
    /// `$PAGER`, else `less`.
    Pager,
}

/// Something for the app to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Request {
        plugin_id: String,
        method: String,
        params: Value,
        purpose: Purpose,
    },
    Cancel {
        conn: ConnId,
        id: u64,
    },
    /// OSC 52 clipboard copy.
    Copy(String),
    /// Open in the desktop's browser.
    OpenUrl(String),
    /// Write these log entries to a new JSON-lines file in the export directory.
    Export(Vec<u64>),
    /// Start / stop / restart / remove a launched plugin. `shutdown`: the connected plugin to
    /// send the JSON-RPC `shutdown` first, so it can exit cleanly before any signal.
    Launch {
        id: LaunchId,
        op: LaunchOp,
        shutdown: Option<String>,
    },
    /// Run a user's command (`[[command]]`): `argv` filled in already, never read by a shell
    /// the user did not write; `stdin` gets the selected message when there is one.
    RunCommand {
        name: String,
        argv: Vec<String>,
        stdin: Option<String>,
        output: CommandOutput,
        foreground: bool,
    },
    /// Show `text` in the user's pager, or edit it in the user's editor (the result comes
    /// back as [`Msg::Edited`]). The console steps aside while they run.
    External {
        program: External,
        text: String,
    },
    /// Keep these recent visitors for the next run (the app knows where).
    SaveVisitors(Vec<crate::host::context::RecentVisitor>),
    /// Keep the web preview and render width for the next run.
    SaveView(ViewPrefs),
    /// Read the manifest(s) at this path (a file, a plugin directory or a directory of them)
    /// and launch each.
    AddPlugins(PathBuf),
    /// Look for scenario files beside the manifest in this directory.
    FindStories(PathBuf),
    /// Read a story file, to play it.
    LoadStory(crate::tui::story::StoryKey),
    /// Judge a played step's answer (snapshots are files).
    Judge(Box<crate::tui::story::JudgeJob>),
    /// Write a story file (a new file unless `overwrite`), then look for stories again.
    SaveStory {
        path: PathBuf,
        text: String,
        overwrite: bool,
    },
    /// Keep a request in the history file.
    History(crate::tui::history::HistoryEntry),
    /// Note this in the message log under the plugin (the inspector shows it, a recording
    /// keeps it).
    Note {
        plugin: String,
        text: String,
    },
    /// Run the chaos faults against this plugin, news coming back as [`Msg::Chaos`].
    Chaos {
        plugin_id: String,
        options: Box<crate::check::chaos::ChaosOptions>,
    },
    Quit,
}

/// Where a user's command's output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandOutput {
    /// A window over the screen, to read.
    Pane,
    /// The first lines in a toast.
    Toast,
    /// Nowhere (only a failure is said).
    None,
}

/// The web preview and render width, kept across runs (`view.json`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ViewPrefs {
    pub web: bool,
    /// Columns the UI is drawn in (none: the pane's width).
    pub width: Option<u16>,
}
