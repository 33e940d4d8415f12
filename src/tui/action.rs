//! Everything a key can ask of the console, by name. The keymap (`keymap.rs`, a TOML table per
//! scope) binds keys to these names; reducers act on them and never on key codes, except text
//! inputs, which take the keys no action is bound to as typing.

use crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};

/// A key as a reducer gets it: the action the keymap binds it to where the keyboard is, and the
/// key itself, which a text input types when it is bound to nothing there.
#[derive(Clone, Copy, Debug)]
pub struct KeyInput {
    pub action: Option<Action>,
    pub key: KeyEvent,
}

/// Where a set of bindings applies: the focused pane, or the overlay that has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Anywhere no pane or overlay binds the key (and nothing is being typed).
    Global,
    Plugins,
    Render,
    /// The render pane's diagnostics list, once focused.
    Diagnostics,
    Inspector,
    Output,
    /// Text being typed inline: a form field, the inspector's filter, the add-plugin path.
    Editing,
    Composer,
    Context,
    Help,
    Confirm,
    /// A nested JSON-UI in a modal (`show_modal`, a chat_toolbar); its UI takes the render keys.
    Modal,
    Pending,
    Palette,
}

impl Scope {
    pub const ALL: [Scope; 14] = [
        Scope::Global,
        Scope::Plugins,
        Scope::Render,
        Scope::Diagnostics,
        Scope::Inspector,
        Scope::Output,
        Scope::Editing,
        Scope::Composer,
        Scope::Context,
        Scope::Help,
        Scope::Confirm,
        Scope::Modal,
        Scope::Pending,
        Scope::Palette,
    ];

    /// The name used in the config file (`[keys.<name>]`).
    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Plugins => "plugins",
            Scope::Render => "render",
            Scope::Diagnostics => "diagnostics",
            Scope::Inspector => "inspector",
            Scope::Output => "output",
            Scope::Editing => "editing",
            Scope::Composer => "composer",
            Scope::Context => "context",
            Scope::Help => "help",
            Scope::Confirm => "confirm",
            Scope::Modal => "modal",
            Scope::Pending => "pending",
            Scope::Palette => "palette",
        }
    }

    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The heading of its part of the help.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Plugins => "Plugins pane",
            Scope::Render => "Render pane",
            Scope::Diagnostics => "Diagnostics list (D)",
            Scope::Inspector => "Inspector",
            Scope::Output => "Output pane",
            Scope::Editing => "Typing in a field, the filter, a path",
            Scope::Composer => "Composer",
            Scope::Context => "Context editor",
            Scope::Help => "Help",
            Scope::Confirm => "Confirmation",
            Scope::Modal => "Modal (nested UI)",
            Scope::Pending => "Pending requests",
            Scope::Palette => "Command palette",
        }
    }
}

/// A thing a key does. Names are the config file's (`quit = ["ctrl-q"]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Anywhere.
    Quit,
    Help,
    Palette,
    NextPane,
    PrevPane,
    FocusPlugins,
    FocusRender,
    FocusInspector,
    FocusOutput,
    AddPlugin,
    Zoom,
    ToggleDiagnostics,
    EditContext,
    Rerender,
    Compose,
    Pending,
    Toolbar,
    OpenUrl,
    Copy,
    /// What is on screen as a scenario file in the plugin's `stories/`.
    SaveStory,
    /// Proxy mode: the real host's last render of the shown capability, or back to ours.
    HostView,
    /// The render pane as the TGO web UI would draw it (on / off).
    WebPreview,
    /// The next render width from the config's `render_widths`.
    RenderWidth,
    // Moving, in whatever has the keyboard.
    MoveDown,
    MoveUp,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Left,
    Right,
    // Plugins and output panes.
    Open,
    StartStop,
    Restart,
    Remove,
    /// Build the launched plugin from its manifest's `build` section, then start it again.
    Build,
    /// The chaos faults against the selected plugin, verdicts in a modal.
    Chaos,
    // Render pane.
    Press,
    Toggle,
    FocusDiagnostics,
    // Inspector.
    Filter,
    ClearFilter,
    Follow,
    CopyMessage,
    Resend,
    EditResend,
    /// The selected request as a `tgo-console call` command line, on the clipboard.
    CopyAsCall,
    Export,
    Pair,
    /// The selected message in `$PAGER`, the composer's params in `$EDITOR`.
    OpenExternally,
    DetailDown,
    DetailUp,
    /// The selected render or event answer drawn as it was then.
    TimeTravel,
    /// Marks the selected answer to compare with `diff`.
    Mark,
    /// Two renders compared: JSON paths and drawings side by side.
    Diff,
    /// The selected frame's bytes in hex, its length prefix annotated.
    FrameView,
    /// Back from time travel to the live render.
    Live,
    // Overlays and text.
    Confirm,
    Cancel,
    Close,
    NextField,
    PrevField,
    Send,
    /// The composer's request as a scenario file (a `call` step).
    SaveRequest,
    Complete,
    ApplyContext,
    NextPlugin,
    PrevPlugin,
    ClearField,
    Yes,
    No,
    CancelRequest,
    Retry,
}

impl Action {
    /// The config file's name of the action.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }

    pub fn from_name(name: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// What it does, in the help and the palette. Moving actions depend on where they are.
    pub fn describe(self, scope: Scope) -> &'static str {
        use Action::*;
        match (self, scope) {
            (Quit, _) => "quit (shutdown to every plugin, terminal restored)",
            (Help, _) => "help: this list of keys",
            (Palette, _) => "command palette: every action, plugin, capability, filter, request",
            (NextPane, _) => "next pane",
            (PrevPane, _) => "previous pane",
            (FocusPlugins, _) => "focus the plugins pane",
            (FocusRender, _) => "focus the render pane",
            (FocusInspector, _) => "focus the inspector",
            (FocusOutput, _) => "focus the plugin output (in the inspector's place)",
            (AddPlugin, _) => {
                "launch a plugin from its manifest (plugin.yml, plugin.json, a directory, an installed id)"
            }
            (Zoom, _) => "zoom the focused pane",
            (ToggleDiagnostics, _) => "show / hide validation diagnostics",
            (EditContext, _) => {
                "edit the render context (visitor id, session, language, channel, visitor)"
            }
            (Rerender, _) => "re-render the selected capability",
            (Compose, _) => "request composer (any method, params as JSON)",
            (Pending, _) => "pending requests",
            (Toolbar, _) => "open the first chat_toolbar of the selected plugin",
            (OpenUrl, _) => "open the last open_url in the browser",
            (Copy, _) => "copy the last open_url / copy_text",
            (SaveStory, _) => {
                "save what is on screen as a story: stories/NAME.scenario.yml beside the plugin"
            }
            (HostView, _) => {
                "proxy: the real host's last render of this capability / back to yours"
            }
            (WebPreview, _) => "render as the TGO web UI draws it (unknown templates, no batch)",
            (RenderWidth, _) => "next render width (render_widths in the config; full width)",
            (TimeTravel, _) => "draw this render / event answer as it was then (Esc: live)",
            (Mark, _) => "mark this render answer to compare (then = on another)",
            (Diff, Scope::Inspector) => {
                "diff: the marked render against this one (unmarked: the one before it)"
            }
            (Diff, _) => "diff: this render against the one before it",
            (FrameView, _) => "the frame's bytes in hex, length prefix annotated (again: JSON)",
            (Live, _) => "back to the live render (from time travel)",
            (MoveDown, Scope::Plugins) | (MoveUp, Scope::Plugins) => "move",
            (MoveDown, Scope::Render)
            | (MoveUp, Scope::Render)
            | (MoveDown, Scope::Modal)
            | (MoveUp, Scope::Modal) => "move between buttons, rows, fields",
            (MoveDown, Scope::Inspector) | (MoveUp, Scope::Inspector) => "select message",
            (MoveDown, Scope::Context) | (MoveUp, Scope::Context) => {
                "next / previous field (in the visitor id: recent visitors)"
            }
            (MoveDown, _) | (MoveUp, _) => "move / scroll",
            (PageDown, _) | (PageUp, _) => "page down / up",
            (Top, Scope::Output) => "oldest line",
            (Bottom, Scope::Output) => "newest line (follow)",
            (Top, _) => "top",
            (Bottom, Scope::Inspector) => "bottom (and follow)",
            (Bottom, _) => "bottom",
            (Left, _) | (Right, _) => "switch tab · change option",
            (Open, _) => "render (chat_toolbar: open in a modal; a launched plugin: its output)",
            (StartStop, _) => "start / stop the launched plugin (shutdown, SIGTERM, SIGKILL)",
            (Restart, _) => "restart the launched plugin",
            (Build, _) => {
                "build the launched plugin (manifest's build section), then restart it; a failed build keeps it running"
            }
            (Remove, _) => "remove the plugin from the list (a launched one is stopped)",
            (Chaos, _) => {
                "chaos: bad JSON, bursts, a host that stops reading… then a healthy render each"
            }
            (Press, _) => "press · select · edit field",
            (Toggle, _) => "toggle checkbox / switch, press",
            (FocusDiagnostics, _) => "read the diagnostics list",
            (Filter, _) => {
                "filter: text plugin:ID method:M kind:output dir:in|out party:host|plugin errors"
            }
            (ClearFilter, _) => "clear the filter",
            (Follow, _) => "follow the newest",
            (CopyMessage, _) => "copy the message's JSON",
            (Resend, _) => "resend the request",
            (EditResend, _) => "edit the request in the composer, then send",
            (CopyAsCall, _) => "copy the request as a `tgo-console call` command",
            (Export, _) => "export the shown (filtered) messages to a .jsonl file",
            (Pair, _) => "jump to the paired request / response",
            (OpenExternally, Scope::Composer) => "edit the params in $VISUAL / $EDITOR",
            (OpenExternally, _) => "read the message in $PAGER",
            (DetailDown, _) => "scroll the detail down",
            (DetailUp, _) => "scroll the detail up",
            (Confirm, Scope::Context) => "apply and re-render (in the visitor JSON: a new line)",
            (Confirm, Scope::Editing) => "done (a multi-line field: a new line)",
            (Confirm, _) => "choose",
            (Cancel, Scope::Editing) => "done editing (the filter: cancel)",
            (Cancel, _) => "cancel",
            (Close, Scope::Diagnostics) => "back to the UI",
            (Close, _) => "close",
            (NextField, _) => "next field",
            (PrevField, _) => "previous field",
            (Send, Scope::Context) => "apply and re-render",
            (Send, _) => "send",
            (SaveRequest, _) => {
                "save the request as a story (a call step) in the plugin's stories/"
            }
            (Complete, _) => "complete the method",
            (ApplyContext, _) => "apply the current context to the params",
            (NextPlugin, _) => "next plugin",
            (PrevPlugin, _) => "previous plugin",
            (ClearField, _) => "clear the field",
            (Yes, _) => "yes",
            (No, _) => "no",
            (CancelRequest, _) => "stop waiting for the request",
            (Retry, _) => "send the request again",
        }
    }

    /// A few words for the status bar's hints.
    pub fn short(self) -> &'static str {
        use Action::*;
        match self {
            Quit => "quit",
            Help => "help",
            Palette => "palette",
            NextPane => "pane",
            EditContext => "context",
            Rerender => "render",
            Compose => "compose",
            MoveDown | MoveUp => "move",
            Open => "render",
            Press => "press",
            Left | Right => "tab/option",
            Filter => "filter",
            Follow => "follow",
            CopyMessage => "copy",
            Resend => "resend",
            StartStop => "start/stop",
            Build => "build",
            Close => "close",
            Send => "send",
            SaveStory => "save story",
            HostView => "host's render",
            TimeTravel => "as of then",
            Diff => "diff",
            Live => "live",
            SaveRequest => "save",
            Complete => "complete",
            ApplyContext => "context",
            Confirm => "ok",
            Cancel => "cancel",
            Yes => "yes",
            No => "no",
            CancelRequest => "stop waiting",
            Retry => "retry",
            NextField => "field",
            _ => "",
        }
    }
}
