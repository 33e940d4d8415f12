//! The user's commands (`[[command]]` in the config) and what the command palette lists.
//!
//! A command's `run` is split like a shell would split it (quotes, no expansion), then each
//! `{{plugin.pid}}`, `{{plugin.dir}}`, `{{plugin.id}}`, `{{socket}}`, `{{message.json}}` is
//! filled in from the selection, and `$NAME` from the console's own environment (`$EDITOR`).
//! No shell reads the result, so what a plugin says (its id, a message) is always one
//! argument. A command that runs `sh -c SCRIPT` gets the values as arguments after the script
//! (`$1`…): a `{{…}}` inside the script itself is refused when the config is read.

use super::action::Scope;
use super::keymap::Key;
use super::msg::{CommandOutput, Effect};
use super::palette::{Entry, Pick};
use super::state::*;
use crate::config::Config;
use crate::host::MessageLog;
use crossterm::event::KeyEvent;

/// What a command's `{{…}}` may name.
const PLACEHOLDERS: [&str; 5] = [
    "plugin.pid",
    "plugin.dir",
    "plugin.id",
    "socket",
    "message.json",
];

/// A command of the user's, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct UserCommand {
    pub name: String,
    /// Program and arguments, placeholders still in them.
    pub argv: Vec<String>,
    pub key: Option<Key>,
    pub output: CommandOutput,
    pub foreground: bool,
}

/// Named inspector filters: (name, query).
pub type Filters = Vec<(String, String)>;

/// The config's commands and filters, checked; errors name the file and line.
pub fn from_config(config: &Config) -> Result<(Vec<UserCommand>, Filters), Vec<String>> {
    let mut errors = Vec::new();
    let mut commands = Vec::new();
    let at = |name: &str| match &config.source {
        Some((path, text)) => {
            let line = text
                .find(&format!("\"{name}\""))
                .map(|o| text[..o].matches('\n').count() + 1);
            match line {
                Some(l) => format!("{}:{l}", path.display()),
                None => path.display().to_string(),
            }
        }
        None => "config".into(),
    };
    for c in &config.commands {
        let where_ = at(&c.name);
        let Some(argv) = shlex::split(&c.run).filter(|a| !a.is_empty()) else {
            errors.push(format!(
                "{where_}: command \"{}\": run = {:?} is not a command line",
                c.name, c.run
            ));
            continue;
        };
        for arg in &argv {
            for p in placeholders(arg) {
                if !PLACEHOLDERS.contains(&p.as_str()) {
                    errors.push(format!(
                        "{where_}: command \"{}\": {{{{{p}}}}} is not known (use {})",
                        c.name,
                        PLACEHOLDERS.map(|p| format!("{{{{{p}}}}}")).join(", ")
                    ));
                }
            }
        }
        if let [shell, flag, script, ..] = argv.as_slice()
            && matches!(
                shell.as_str(),
                "sh" | "bash" | "zsh" | "/bin/sh" | "/bin/bash"
            )
            && flag == "-c"
            && !placeholders(script).is_empty()
        {
            errors.push(format!(
                "{where_}: command \"{}\": a {{{{…}}}} inside a shell script would be read by the shell: pass it as an argument after the script and use \"$1\"",
                c.name
            ));
        }
        let key = match &c.key {
            Some(k) => match Key::parse(k.get_ref()) {
                Ok(key) => Some(key),
                Err(e) => {
                    errors.push(format!(
                        "{}: command \"{}\": {e}",
                        config.place(k.span().start),
                        c.name
                    ));
                    None
                }
            },
            None => None,
        };
        let output = match c.output.as_deref() {
            None | Some("toast") => CommandOutput::Toast,
            Some("pane") => CommandOutput::Pane,
            Some("none") => CommandOutput::None,
            Some(other) => {
                errors.push(format!(
                    "{where_}: command \"{}\": output = \"{other}\": use pane, toast or none",
                    c.name
                ));
                CommandOutput::None
            }
        };
        commands.push(UserCommand {
            name: c.name.clone(),
            argv,
            key,
            output,
            foreground: c.foreground,
        });
    }
    let filters = config
        .filters
        .iter()
        .map(|f| (f.name.clone(), f.query.clone()))
        .collect();
    if errors.is_empty() {
        Ok((commands, filters))
    } else {
        Err(errors)
    }
}

/// The `{{name}}`s in `text`.
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        out.push(after[..j].trim().to_string());
        rest = &after[j + 2..];
    }
    out
}

/// The user's command bound to `key`, if any.
pub fn bound_to(state: &State, key: &KeyEvent) -> Option<usize> {
    let key = Key::of(key);
    state.commands.iter().position(|c| c.key == Some(key))
}

/// What the selection says: the values a command's placeholders take.
fn values(state: &State, log: &MessageLog) -> Vec<(&'static str, Option<String>)> {
    let launch = state.selected_launch().or(state.output_launch());
    let plugin_id = match &state.selected {
        Some(Row::Plugin(p)) => Some(p.clone()),
        Some(Row::Capability(k)) => Some(k.plugin_id.clone()),
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
        ("socket", state.listening.first().cloned()),
        ("message.json", message),
    ]
}

/// `$NAME` and `${NAME}` from the console's own environment; a name that is not set is an
/// error (an empty `$EDITOR` would run nothing).
fn expand_env(arg: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(j) => (&braced[..j], &braced[j + 1..]),
                None => ("", after),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => out.push_str(&v),
            _ => return Err(format!("${name} is not set")),
        }
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// Runs the user's command `i` against the selection.
pub fn run(state: &mut State, i: usize, log: &MessageLog) -> Vec<Effect> {
    let Some(cmd) = state.commands.get(i).cloned() else {
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

/// Everything the palette lists: the actions that can be done from anywhere (and a few a pane
/// would do), the plugins and their capabilities, the saved filters, the user's commands, and
/// the requests sent lately.
pub fn palette_entries(state: &State, log: &MessageLog) -> Vec<Entry> {
    let mut out = Vec::new();
    let keys = &state.keymap;
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
                    FocusPlugins,
                    FocusRender,
                    FocusInspector,
                    FocusOutput,
                    Help,
                    Quit,
                ],
            ),
            (Scope::Inspector, &[Filter, ClearFilter, Follow, Export]),
            (Scope::Plugins, &[StartStop, Restart, Remove]),
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
    for (i, c) in state.commands.iter().enumerate() {
        out.push(Entry {
            kind: "command",
            label: c.name.clone(),
            detail: c.key.map(|k| k.pretty()).unwrap_or_default(),
            pick: Pick::Command(i),
        });
    }
    for (name, query) in &state.filters {
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
    let mut seen = std::collections::HashSet::new();
    for e in log.entries().iter().rev() {
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::from_text(text.into(), "config.toml".as_ref()).unwrap()
    }

    #[test]
    fn commands_are_checked_when_read() {
        let c = config(
            r#"
[[command]]
name = "stack dump"
key = "ctrl-d"
run = "py-spy dump --pid {{plugin.pid}}"
output = "pane"

[[command]]
name = "bad"
run = "sh -c 'echo {{plugin.id}}'"

[[command]]
name = "typo"
run = "echo {{plugin.pdi}}"
"#,
        );
        let errors = from_config(&c).unwrap_err().join("\n");
        assert!(
            errors.contains("config.toml:9: command \"bad\": a {{…}} inside a shell script"),
            "{errors}"
        );
        assert!(
            errors.contains("config.toml:13: command \"typo\": {{plugin.pdi}} is not known"),
            "{errors}"
        );
        let good = config(
            "[[command]]\nname = \"x\"\nrun = \"sh -c 'echo \\\"$1\\\"' tgo {{plugin.id}}\"\n",
        );
        let (cmds, _) = from_config(&good).unwrap();
        assert_eq!(
            cmds[0].argv,
            ["sh", "-c", "echo \"$1\"", "tgo", "{{plugin.id}}"]
        );
    }

    #[test]
    fn values_from_plugins_stay_one_argument() {
        let mut state = State::new(
            crate::tui::theme::Theme::default(),
            crate::host::RenderContext::default(),
            vec!["/tmp/tgo.sock".into()],
            "log".into(),
        );
        state.commands = vec![UserCommand {
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

    #[test]
    fn environment_names_are_expanded_from_the_console_not_the_plugin() {
        // SAFETY: this test's own variable, read right after.
        unsafe { std::env::set_var("TGO_TEST_EDITOR", "vi -n") };
        assert_eq!(expand_env("$TGO_TEST_EDITOR").unwrap(), "vi -n");
        assert_eq!(expand_env("${TGO_TEST_EDITOR}x").unwrap(), "vi -nx");
        assert!(expand_env("$TGO_SURELY_UNSET_9").is_err());
        assert_eq!(expand_env("costs $ 5").unwrap(), "costs $ 5");
    }
}
