//! What the user's config adds to the console: key bindings, commands, saved filters, and the
//! filter the inspector starts with (`--filter`). Read once at startup; every error is
//! collected, so a config with three mistakes is fixed in one go.
//!
//! A command's `run` is split like a shell would split it (quotes, no expansion), then each
//! `{{plugin.pid}}`, `{{plugin.dir}}`, `{{plugin.id}}`, `{{socket}}`, `{{message.json}}` is
//! filled in from the selection, and `$NAME` from the console's own environment (`$EDITOR`).
//! No shell reads the result, so what a plugin says (its id, a message) is always one
//! argument. A command that runs `sh -c SCRIPT` gets the values as arguments after the script
//! (`$1`…): a `{{…}}` inside the script itself is refused when the config is read.

use super::keymap::{Key, Keymap};
use super::msg::CommandOutput;
use crate::config::Config;
use std::sync::Arc;

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
pub fn commands(config: &Config) -> Result<(Vec<UserCommand>, Filters), Vec<String>> {
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

/// `$NAME` and `${NAME}` from the console's own environment; a name that is not set is an
/// error (an empty `$EDITOR` would run nothing).
pub fn expand_env(arg: &str) -> Result<String, String> {
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

/// The config's `render_widths`, ascending, each within [`crate::drawn::WIDTHS`].
fn render_widths(config: &Config) -> Result<Vec<u16>, Vec<String>> {
    let Some(list) = &config.render_widths else {
        return Ok(Vec::new());
    };
    let file = config
        .source
        .as_ref()
        .map_or_else(|| "config".into(), |(p, _)| p.display().to_string());
    let narrow: Vec<String> = list
        .iter()
        .filter(|w| !crate::drawn::WIDTHS.contains(w))
        .map(|w| {
            format!("{file}: render_widths: {w} is not a width to draw at (20 to 500 columns)")
        })
        .collect();
    if !narrow.is_empty() {
        return Err(narrow);
    }
    let mut widths = list.clone();
    widths.sort_unstable();
    widths.dedup();
    Ok(widths)
}

/// The user's bindings, checked.
#[derive(Clone, Debug, Default)]
pub struct Personal {
    pub keymap: Arc<Keymap>,
    pub commands: Vec<UserCommand>,
    pub filters: Filters,
    /// `--filter NAME|QUERY`: a saved filter's name, or a query.
    pub start_filter: Option<String>,
    /// `[restore]`: what a restarted plugin's path may send again.
    pub restore: crate::config::RestoreConfig,
    /// `render_widths`: what `W` cycles through, ascending (empty: the defaults).
    pub render_widths: Vec<u16>,
}

impl Personal {
    /// The config's `[keys.*]`, `[[command]]` and `[[filter]]`; errors name file and line.
    pub fn from_config(config: &Config, start_filter: Option<String>) -> Result<Self, Vec<String>> {
        let keymap = Keymap::build(config);
        let rest = commands(config).and_then(|c| Ok((c, render_widths(config)?)));
        match (keymap, rest) {
            (Ok(keymap), Ok(((commands, filters), render_widths))) => Ok(Personal {
                keymap: Arc::new(keymap),
                commands,
                filters,
                start_filter,
                restore: config.restore,
                render_widths,
            }),
            (keymap, rest) => Err(keymap
                .err()
                .into_iter()
                .chain(rest.err())
                .flatten()
                .collect()),
        }
    }

    /// The query `--filter` stands for: a saved filter by name, else the text itself.
    pub fn start_query(&self) -> Option<&str> {
        let wanted = self.start_filter.as_deref()?;
        Some(
            self.filters
                .iter()
                .find(|(name, _)| name == wanted)
                .map_or(wanted, |(_, query)| query.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::from_text(text.into(), "/home/me/tgo.toml".as_ref()).unwrap()
    }

    #[test]
    fn a_saved_filter_is_found_by_name_and_anything_else_is_a_query() {
        let c = config(
            "[[filter]]\nname = \"slow renders\"\nquery = \"method:visitor_panel/render latency:>200ms\"\n",
        );
        let by_name = Personal::from_config(&c, Some("slow renders".into())).unwrap();
        assert_eq!(
            by_name.start_query(),
            Some("method:visitor_panel/render latency:>200ms")
        );
        let query = Personal::from_config(&c, Some("errors plugin:demo".into())).unwrap();
        assert_eq!(query.start_query(), Some("errors plugin:demo"));
        assert_eq!(Personal::from_config(&c, None).unwrap().start_query(), None);
    }

    #[test]
    fn restore_settings_are_read_and_mistakes_named() {
        let c = config("[restore]\nform_submit = true\n");
        let p = Personal::from_config(&c, None).unwrap();
        assert!(p.restore.form_submit && !p.restore.confirmed);
        let e = Config::from_text(
            "[restore]\nconfirm = true\n".into(),
            "/home/me/tgo.toml".as_ref(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("tgo.toml") && e.contains("confirm"), "{e}");
    }

    #[test]
    fn key_and_command_errors_come_together_with_their_lines() {
        let c = config(
            "[keys.global]\nquti = [\"ctrl-q\"]\n\n[[command]]\nname = \"dump\"\nrun = \"py-spy dump --pid {{plugin.pdi}}\"\n",
        );
        let errors = Personal::from_config(&c, None).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("/home/me/tgo.toml:2:"), "{errors:?}");
        assert!(errors[0].contains("did you mean \"quit\""), "{errors:?}");
        assert!(errors[1].starts_with("/home/me/tgo.toml:5:"), "{errors:?}");
        assert!(
            errors[1].contains("{{plugin.pdi}} is not known"),
            "{errors:?}"
        );
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
        let errors = commands(&c).unwrap_err().join("\n");
        assert!(
            errors.contains("tgo.toml:9: command \"bad\": a {{…}} inside a shell script"),
            "{errors}"
        );
        assert!(
            errors.contains("tgo.toml:13: command \"typo\": {{plugin.pdi}} is not known"),
            "{errors}"
        );
        let good = config(
            "[[command]]\nname = \"x\"\nrun = \"sh -c 'echo \\\"$1\\\"' tgo {{plugin.id}}\"\n",
        );
        let (cmds, _) = commands(&good).unwrap();
        assert_eq!(
            cmds[0].argv,
            ["sh", "-c", "echo \"$1\"", "tgo", "{{plugin.id}}"]
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
