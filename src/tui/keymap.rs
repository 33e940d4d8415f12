//! Every key binding, in one table: the help overlay and the status bar's hints are generated
//! from it, so they cannot drift from what the keys do.

use super::state::Pane;

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    Pane(Pane),
    Modal,
}

pub struct Binding {
    pub keys: &'static str,
    pub what: &'static str,
    pub scope: Scope,
    /// Shown in the status bar's short hints.
    pub hint: bool,
}

const fn b(keys: &'static str, what: &'static str, scope: Scope, hint: bool) -> Binding {
    Binding {
        keys,
        what,
        scope,
        hint,
    }
}

use Scope::{Global, Modal, Pane as P};

pub const BINDINGS: &[Binding] = &[
    b(
        "q / Ctrl-C",
        "quit (shutdown to every plugin, terminal restored)",
        Global,
        true,
    ),
    b("?", "help (this list of keys)", Global, true),
    b("Tab / Shift-Tab", "next / previous pane", Global, true),
    b(
        "1 2 3 4",
        "focus plugins / render / inspector / plugin output",
        Global,
        false,
    ),
    b(
        "a",
        "launch a plugin from its manifest (plugin.yml, plugin.json, a directory)",
        Global,
        false,
    ),
    b(
        "v",
        "edit the render context (visitor id, session, language, channel)",
        Global,
        true,
    ),
    b("r", "re-render the selected capability", Global, true),
    b(
        "c / :",
        "request composer (any method, params as JSON)",
        Global,
        true,
    ),
    b("P", "pending requests (cancel with x)", Global, false),
    b(
        "t",
        "open the first chat_toolbar of the selected plugin",
        Global,
        false,
    ),
    b("z", "zoom the focused pane", Global, false),
    b("d", "show / hide validation diagnostics", Global, false),
    b("o", "open the last open_url in the browser", Global, false),
    b(
        "y",
        "copy the last open_url / copy_text (inspector: the selected message)",
        Global,
        false,
    ),
    b("j k / ↓ ↑", "move", P(Pane::Plugins), true),
    b(
        "Enter",
        "render (chat_toolbar: open in a modal)",
        P(Pane::Plugins),
        true,
    ),
    b(
        "s",
        "start / stop the selected launched plugin (shutdown, SIGTERM, SIGKILL)",
        P(Pane::Plugins),
        false,
    ),
    b(
        "R",
        "restart the selected launched plugin",
        P(Pane::Plugins),
        false,
    ),
    b(
        "x / Del",
        "remove the selected launched plugin (stops it)",
        P(Pane::Plugins),
        false,
    ),
    b(
        "j k / ↓ ↑",
        "move between buttons, rows, fields",
        P(Pane::Render),
        true,
    ),
    b(
        "Enter / click",
        "press · select · edit field",
        P(Pane::Render),
        true,
    ),
    b("Space", "toggle checkbox / switch", P(Pane::Render), false),
    b(
        "← → / h l",
        "switch tab · change option",
        P(Pane::Render),
        true,
    ),
    b("PgUp PgDn Home End", "scroll", P(Pane::Render), false),
    b(
        "D",
        "diagnostics list: focus it to scroll (Esc leaves)",
        P(Pane::Render),
        false,
    ),
    b("j k / ↓ ↑", "select message", P(Pane::Inspector), true),
    b(
        "/",
        "filter: text plugin:ID method:M kind:output dir:in|out errors (Esc clears)",
        P(Pane::Inspector),
        true,
    ),
    b("f / G", "follow (tail) / bottom", P(Pane::Inspector), true),
    b("y", "copy the message's JSON", P(Pane::Inspector), true),
    b(
        "R / E",
        "resend the request / edit, then resend",
        P(Pane::Inspector),
        true,
    ),
    b(
        "e",
        "export the shown (filtered) messages to a .jsonl file",
        P(Pane::Inspector),
        false,
    ),
    b(
        "p",
        "jump to the paired request/response",
        P(Pane::Inspector),
        false,
    ),
    b("J K", "scroll the detail", P(Pane::Inspector), false),
    b("j k / ↓ ↑", "scroll", P(Pane::Output), true),
    b(
        "PgUp PgDn g G",
        "page / oldest / newest",
        P(Pane::Output),
        false,
    ),
    b("f", "follow the newest line", P(Pane::Output), true),
    b(
        "s R x",
        "start/stop · restart · remove the plugin shown",
        P(Pane::Output),
        false,
    ),
    b("Esc", "close the modal / stop editing", Modal, false),
    b("y / n", "answer a confirmation", Modal, false),
];

/// Short hints for the status bar, most useful first: help, then the focused pane's, then
/// the other global ones. The status bar shows as many whole hints as fit.
pub fn hints(pane: Pane) -> Vec<String> {
    let short = |b: &Binding| {
        format!(
            "{} {}",
            b.keys,
            b.what.split(['(', ',']).next().unwrap_or(b.what).trim()
        )
    };
    let help = BINDINGS.iter().filter(|b| b.keys == "?");
    let of_pane = BINDINGS
        .iter()
        .filter(|b| b.hint && b.scope == Scope::Pane(pane));
    let global = BINDINGS
        .iter()
        .filter(|b| b.hint && b.scope == Scope::Global && b.keys != "?");
    help.chain(of_pane).chain(global).map(short).collect()
}
