//! The user's commands as the console runs them (from the palette or their key, against the
//! selection; `setup` reads and checks them), what they print, and what the command palette
//! lists.

use super::action::Scope;
use super::keymap::Key;
use super::msg::{CommandOutput, Effect};
use super::palette::{Entry, Pick};
use super::setup::{Personal, expand_env};
use super::state::*;
use crate::host::MessageLog;
use crossterm::event::KeyEvent;

/// Hands the bindings to the state; with `--filter`, the inspector starts filtered and
/// has the keyboard.
pub fn install(personal: Personal, state: &mut State, log: &MessageLog) {
    if let Some(query) = personal.start_query() {
        state.inspector.set_filter(query, log);
        state.enter_pane(Pane::Inspector);
    }
    state.personal = personal;
}

/// The user's command bound to `key`, if any.
pub fn bound_to(state: &State, key: &KeyEvent) -> Option<usize> {
    let key = Key::of(key);
    state
        .personal
        .commands
        .iter()
        .position(|c| c.key == Some(key))
}

/// What the selection says: the values a command's placeholders take.
fn values(state: &State, log: &MessageLog) -> Vec<(&'static str, Option<String>)> {
    let launch = state.selected_launch().or(state.output_launch());
    let plugin_id = match &state.selected {
        Some(Row::Plugin(p)) => Some(p.clone()),
        Some(Row::Capability(k)) => Some(k.plugin_id.clone()),
        Some(Row::Story(k)) => Some(k.plugin_id.clone()),
        _ => launch.and_then(|l| l.plugin_id.clone()),
    };
    let message = state
        .inspector
        .selected()
        .and_then(|s| log.get(s))
        .map(|e| String::from_utf8_lossy(&e.raw).into_owned());
    vec![
        (
            "plugin.pid",
            launch.and_then(|l| l.pid).map(|p| p.to_string()),
        ),
        (
            "plugin.dir",
            launch.and_then(|l| l.manifest.parent().map(|d| d.display().to_string())),
        ),
        ("plugin.id", plugin_id),
        ("socket", state.session.listening.first().cloned()),
        ("message.json", message),
    ]
}

/// Runs the user's command `i` against the selection.
pub fn run(state: &mut State, i: usize, log: &MessageLog) -> Vec<Effect> {
    let Some(cmd) = state.personal.commands.get(i).cloned() else {
        return Vec::new();
    };
    let values = values(state, log);
    let mut argv = Vec::new();
    for arg in &cmd.argv {
        let mut filled = match expand_env(arg) {
            Ok(a) => a,
            Err(e) => {
                state.toast(ToastKind::Error, format!("{}: {e}", cmd.name), TOAST * 2);
                return Vec::new();
            }
        };
        for (name, value) in &values {
            let token = format!("{{{{{name}}}}}");
            if filled.contains(&token) {
                match value {
                    Some(v) => filled = filled.replace(&token, v),
                    None => {
                        state.toast(
                            ToastKind::Warning,
                            format!("{}: nothing selected gives {{{{{name}}}}}", cmd.name),
                            TOAST * 2,
                        );
                        return Vec::new();
                    }
                }
            }
        }
        argv.push(filled);
    }
    let stdin = values
        .into_iter()
        .find(|(n, _)| *n == "message.json")
        .and_then(|(_, v)| v);
    state.toast(ToastKind::Info, format!("running {}", cmd.name), TOAST);
    vec![Effect::RunCommand {
        name: cmd.name,
        argv,
        stdin,
        output: cmd.output,
        foreground: cmd.foreground,
    }]
}

/// A command ended: a failure is said; what it printed goes where its `output` says.
pub fn done(
    state: &mut State,
    name: &str,
    output: CommandOutput,
    ok: bool,
    status: &str,
    text: String,
) {
    if !ok {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let said = format!("{name}: {status} {first}");
        state.set_error(said.clone());
        state.toast(ToastKind::Error, said, TOAST * 2);
        if output != CommandOutput::Pane || text.is_empty() {
            return;
        }
    }
    match output {
        CommandOutput::Pane => {
            state.modal = Some(Modal::Output {
                title: format!("{name} · {status}"),
                text,
                scroll: 0,
            })
        }
        CommandOutput::Toast => {
            let head: Vec<&str> = text.lines().take(3).collect();
            let said = if head.is_empty() {
                format!("{name}: done")
            } else {
                format!("{name}: {}", head.join(" · "))
            };
            state.toast(ToastKind::Success, said, TOAST * 2);
        }
        CommandOutput::None => {}
    }
}

/// How many of the newest log entries the palette looks through for recent requests.
const RECENT_SCAN: usize = 5_000;

/// Everything the palette lists: the actions that can be done from anywhere (and a few a pane
/// would do), the plugins and their capabilities, the saved filters, the user's commands, and
/// the requests sent lately.
pub fn palette_entries(state: &State, log: &MessageLog) -> Vec<Entry> {
    let mut out = Vec::new();
    let keys = &state.personal.keymap;
    let listed: [(Scope, &[super::action::Action]); 4] = {
        use super::action::Action::*;
        [
            (
                Scope::Global,
                &[
                    Compose,
                    EditContext,
                    Rerender,
                    Toolbar,
                    Pending,
                    AddPlugin,
                    Zoom,
                    ToggleDiagnostics,
                    OpenUrl,
                    Copy,
                    SaveStory,
                    HostView,
                    FocusPlugins,
                    FocusRender,
                    FocusInspector,
                    FocusOutput,
                    Help,
                    Quit,
                ],
            ),
            (Scope::Inspector, &[Filter, ClearFilter, Follow, Export]),
            (Scope::Plugins, &[StartStop, Restart, Build, Remove, Chaos]),
            (Scope::Render, &[FocusDiagnostics]),
        ]
    };
    for (scope, actions) in listed {
        for a in actions {
            out.push(Entry {
                kind: "action",
                label: format!("{} ({})", a.describe(scope), a.name()),
                detail: keys.shown(scope, *a),
                pick: Pick::Action(scope, *a),
            });
        }
    }
    for (i, c) in state.personal.commands.iter().enumerate() {
        out.push(Entry {
            kind: "command",
            label: c.name.clone(),
            detail: c.key.map(|k| k.pretty()).unwrap_or_default(),
            pick: Pick::Command(i),
        });
    }
    for (name, query) in &state.personal.filters {
        out.push(Entry {
            kind: "filter",
            label: name.clone(),
            detail: query.clone(),
            pick: Pick::Filter(query.clone()),
        });
    }
    for p in &state.plugins {
        out.push(Entry {
            kind: "plugin",
            label: format!("{} {}", p.name, p.version),
            detail: p.plugin_id.clone(),
            pick: Pick::Plugin(p.plugin_id.clone()),
        });
        for index in p.by_priority() {
            let c = &p.capabilities[index];
            out.push(Entry {
                kind: "panel",
                label: c.title.clone(),
                detail: format!("{} · {}", c.kind, p.plugin_id),
                pick: Pick::Capability(super::msg::CapKey {
                    plugin_id: p.plugin_id.clone(),
                    index,
                }),
            });
        }
    }
    // The newest requests the console sent, one per method and plugin.
    // Only the newest frames are looked at: the palette opens at once over a huge log.
    let mut seen = std::collections::HashSet::new();
    for e in log.entries().iter().rev().take(RECENT_SCAN) {
        if seen.len() >= 20 {
            break;
        }
        let (crate::host::EntryKind::Request { method, .. }, crate::host::Direction::Out) =
            (&e.kind, e.dir)
        else {
            continue;
        };
        let Some(plugin) = &e.plugin else { continue };
        if !seen.insert((plugin.clone(), method.clone())) {
            continue;
        }
        let params = serde_json::from_slice::<serde_json::Value>(&e.raw)
            .ok()
            .and_then(|v| v.get("params").cloned())
            .unwrap_or_default();
        out.push(Entry {
            kind: "request",
            label: method.clone(),
            detail: plugin.clone(),
            pick: Pick::Request {
                plugin_id: plugin.clone(),
                method: method.clone(),
                params,
            },
        });
    }
    // Then every request kept in the history (earlier runs too), newest first, each once;
    // its params are searched as well.
    let mut listed = std::collections::HashSet::new();
    for h in state.history.iter().rev() {
        let params = h.params.to_string();
        if !listed.insert((h.plugin.as_str(), h.method.as_str(), params.clone())) {
            continue;
        }
        let shown = if h.cut {
            "(params too long to keep)".to_string()
        } else {
            crate::text::truncate_chars(&params, 120)
        };
        out.push(Entry {
            kind: "history",
            label: format!("{} {shown}", h.method),
            detail: h.plugin.clone(),
            pick: Pick::Request {
                plugin_id: h.plugin.clone(),
                method: h.method.clone(),
                params: if h.cut {
                    serde_json::json!({})
                } else {
                    h.params.clone()
                },
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::setup::UserCommand;

    #[test]
    fn values_from_plugins_stay_one_argument() {
        let mut state = State::new(
            crate::tui::theme::Theme::default(),
            crate::host::RenderContext::default(),
            vec!["/tmp/tgo.sock".into()],
            "log".into(),
        );
        state.personal.commands = vec![UserCommand {
            name: "echo".into(),
            argv: vec![
                "echo".into(),
                "id={{plugin.id}}".into(),
                "{{socket}}".into(),
            ],
            key: None,
            output: CommandOutput::Toast,
            foreground: false,
        }];
        state.selected = Some(Row::Plugin("evil; rm -rf ~ $(reboot)".into()));
        let log = MessageLog::new(1 << 16);
        let effects = run(&mut state, 0, &log);
        let Some(Effect::RunCommand { argv, .. }) = effects.first() else {
            panic!("{effects:?}")
        };
        assert_eq!(
            argv,
            &["echo", "id=evil; rm -rf ~ $(reboot)", "/tmp/tgo.sock"]
        );
    }
}
