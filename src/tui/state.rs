//! Everything the console shows, in one place. `update` is the only writer; `view::draw`
//! reads it (plus the host's message log) and nothing else.

use super::composer::ComposerState;
use super::context_edit::ContextEditor;
use super::inspector::InspectorState;
use super::msg::{CapKey, Effect, Purpose};
use super::theme::Theme;
use super::uiview::UiState;
use crate::host::{Capability, ConnId, RenderContext};
use crate::jsonui::{Action, Diagnostic, Node};
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

/// The panes Tab cycles through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Plugins,
    Render,
    Inspector,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Plugins, Pane::Render, Pane::Inspector];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Plugins => "Plugins",
            Pane::Render => "Render",
            Pane::Inspector => "Inspector",
        }
    }
}

/// Where a plugin stands, as the plugins pane shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Liveness {
    Connected,
    /// Its id was registered again by a newer connection (which is shown instead).
    Replaced,
    Disconnected(String),
    /// Launched by us and exited abnormally.
    Crashed(String),
}

/// One plugin in the plugins pane (the newest registration of its id).
#[derive(Clone, Debug)]
pub struct PluginView {
    pub plugin_id: String,
    pub name: String,
    pub version: String,
    pub conn: ConnId,
    pub liveness: Liveness,
    pub capabilities: Vec<Capability>,
    /// Earlier connections of this id replaced by a newer one.
    pub replaced: usize,
}

/// A row of the plugins pane: a plugin, or one of its capabilities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Plugin(String),
    Capability(CapKey),
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
        }
    }
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
}

/// The JSON-ACTION answer to the last event, as carried out.
#[derive(Clone, Debug)]
pub struct ActionRecord {
    pub plugin_id: String,
    pub action: Action,
    pub diagnostics: Vec<Diagnostic>,
    pub latency: Duration,
}

/// A line of the chat transcript: what the agent's composer would have received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatLine {
    pub kind: String,
    pub text: String,
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

pub struct State {
    pub theme: Theme,
    pub size: (u16, u16),
    pub now: Instant,
    pub focus: Pane,
    pub zoom: bool,
    pub listening: Vec<String>,
    pub log_path: String,
    pub plugins: Vec<PluginView>,
    pub selected: Option<Row>,
    pub ctx: RenderContext,
    pub recent_visitors: Vec<String>,
    pub renders: BTreeMap<CapKey, RenderSlot>,
    pub raw: Option<RenderSlot>,
    pub shown: Option<Shown>,
    pub tool_runs: BTreeMap<CapKey, ToolRun>,
    pub modal: Option<Modal>,
    pub toasts: Vec<Toast>,
    pub last_action: Option<ActionRecord>,
    pub chat: Vec<ChatLine>,
    pub inspector: InspectorState,
    pub pending: Vec<PendingView>,
    pub last_error: Option<String>,
    pub show_diagnostics: bool,
    pub quit: bool,
    /// A replayed recording: nothing is sent anywhere.
    pub read_only: bool,
}

impl State {
    pub fn new(theme: Theme, ctx: RenderContext, listening: Vec<String>, log_path: String) -> Self {
        Self {
            theme,
            size: (100, 30),
            now: Instant::now(),
            focus: Pane::Plugins,
            zoom: false,
            listening,
            log_path,
            plugins: Vec::new(),
            selected: None,
            recent_visitors: vec![ctx.visitor_id.clone()],
            ctx,
            renders: BTreeMap::new(),
            raw: None,
            shown: None,
            tool_runs: BTreeMap::new(),
            modal: None,
            toasts: Vec::new(),
            last_action: None,
            chat: Vec::new(),
            inspector: InspectorState::new(),
            pending: Vec::new(),
            last_error: None,
            show_diagnostics: true,
            quit: false,
            read_only: false,
        }
    }

    /// Rows of the plugins pane in display order.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for p in &self.plugins {
            rows.push(Row::Plugin(p.plugin_id.clone()));
            for (index, _) in p.capabilities.iter().enumerate() {
                rows.push(Row::Capability(CapKey {
                    plugin_id: p.plugin_id.clone(),
                    index,
                }));
            }
        }
        rows
    }

    pub fn plugin(&self, id: &str) -> Option<&PluginView> {
        self.plugins.iter().find(|p| p.plugin_id == id)
    }

    pub fn capability(&self, key: &CapKey) -> Option<&Capability> {
        self.plugin(&key.plugin_id)?.capabilities.get(key.index)
    }

    /// The slot the render pane shows.
    pub fn shown_slot(&self) -> Option<&RenderSlot> {
        match self.shown.as_ref()? {
            Shown::Cap(key) => self.renders.get(key),
            Shown::Raw => self.raw.as_ref(),
        }
    }

    pub fn shown_slot_mut(&mut self) -> Option<&mut RenderSlot> {
        match self.shown.as_ref()? {
            Shown::Cap(key) => self.renders.get_mut(key),
            Shown::Raw => self.raw.as_mut(),
        }
    }

    /// Whether anything on screen moves by itself (spinner, toast expiry): only then does the
    /// app schedule ticks, so an idle console sleeps.
    pub fn needs_tick(&self) -> bool {
        !self.toasts.is_empty()
            || !self.pending.is_empty()
            || self
                .renders
                .values()
                .any(|s| matches!(s, RenderSlot::Pending { .. }))
    }
}
