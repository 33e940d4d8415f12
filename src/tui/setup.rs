//! What the user's config adds to the console: key bindings, commands, saved filters, and the
//! filter the inspector starts with (`--filter`). Read once at startup; every error is
//! collected, so a config with three mistakes is fixed in one go.

use super::commands::{self, Filters, UserCommand};
use super::keymap::Keymap;
use super::state::{Pane, State};
use crate::config::Config;
use crate::host::MessageLog;
use std::sync::Arc;

/// The user's bindings, checked.
#[derive(Clone, Debug, Default)]
pub struct Personal {
    pub keymap: Arc<Keymap>,
    pub commands: Vec<UserCommand>,
    pub filters: Filters,
    /// `--filter NAME|QUERY`: a saved filter's name, or a query.
    pub start_filter: Option<String>,
}

impl Personal {
    /// The config's `[keys.*]`, `[[command]]` and `[[filter]]`; errors name file and line.
    pub fn from_config(config: &Config, start_filter: Option<String>) -> Result<Self, Vec<String>> {
        let keymap = Keymap::build(config);
        let rest = commands::from_config(config);
        match (keymap, rest) {
            (Ok(keymap), Ok((commands, filters))) => Ok(Personal {
                keymap: Arc::new(keymap),
                commands,
                filters,
                start_filter,
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

    /// Hands the bindings to the state; with `--filter`, the inspector starts filtered and
    /// has the keyboard.
    pub fn install(self, state: &mut State, log: &MessageLog) {
        if let Some(query) = self.start_query() {
            state.inspector.set_filter(query, log);
            state.enter_pane(Pane::Inspector);
        }
        state.keymap = self.keymap;
        state.commands = self.commands;
        state.filters = self.filters;
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
}
