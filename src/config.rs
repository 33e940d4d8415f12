//! The config file (`$XDG_CONFIG_HOME/tgo-console/config.toml`, or `--config PATH`): defaults
//! for theme, socket, TCP, timeout and the render context. Command-line flags win over it.

use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest wait any option takes (a week): longer is a typo, and would overflow timers.
pub const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;
/// The shortest (a millisecond): 0 or less would mean "fail at once".
pub const MIN_SECONDS: f64 = 0.001;

/// Why a number of seconds is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecondsError {
    #[error("not a number of seconds: give one from {MIN_SECONDS} to {MAX_SECONDS} (a week)")]
    NotANumber,
    #[error("too short: give at least {MIN_SECONDS} seconds")]
    TooShort,
    #[error("too long: give at most {MAX_SECONDS} seconds (a week)")]
    TooLong,
}

/// A number of seconds as every option takes it (`--timeout`, `--wait`, `--duration`, the
/// config's `timeout`): finite, from [`MIN_SECONDS`] to [`MAX_SECONDS`]; else why not.
pub fn seconds(value: f64) -> Result<Duration, SecondsError> {
    if !value.is_finite() {
        return Err(SecondsError::NotANumber);
    }
    if value < MIN_SECONDS {
        return Err(SecondsError::TooShort);
    }
    if value > MAX_SECONDS {
        return Err(SecondsError::TooLong);
    }
    Ok(Duration::from_secs_f64(value))
}

/// Why the config file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {}: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
}

fn timeout_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let value = f64::deserialize(d)?;
    seconds(value).map(Some).map_err(serde::de::Error::custom)
}

/// `[keys.<scope>] action = ["key", …]`, with where each name and key was written.
pub type KeyTables = std::collections::BTreeMap<
    toml::Spanned<String>,
    std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<Vec<toml::Spanned<String>>>>,
>;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub theme: Option<String>,
    pub socket: Option<PathBuf>,
    pub tcp: Option<String>,
    /// Seconds to wait for each answer.
    #[serde(deserialize_with = "timeout_seconds")]
    pub timeout: Option<Duration>,
    pub context: ContextConfig,
    /// `[keys.<scope>] action = ["key", …]`: replaces the default keys of that action there.
    #[serde(default)]
    pub keys: KeyTables,
    /// `[[command]]`: commands of the user's, run against the selection (see `tui::commands`).
    #[serde(default, rename = "command")]
    pub commands: Vec<CommandConfig>,
    /// `[[filter]]`: named inspector filters.
    #[serde(default, rename = "filter")]
    pub filters: Vec<FilterConfig>,
    /// `[restore]`: what the console sends again when it walks a restarted plugin back to
    /// what was on screen.
    pub restore: RestoreConfig,
    /// Columns `W` cycles the render pane through (default 40, 56, 80: the web UI's side
    /// panel is narrow).
    pub render_widths: Option<Vec<u16>>,
    /// The file this came from and its text, to name lines in errors (none: defaults).
    #[serde(skip)]
    pub source: Option<(PathBuf, String)>,
}

/// A command of the user's: `run` is a program and its arguments, `{{…}}` filled in from the
/// selection (each value one argument: never re-read by a shell unless `run` starts with
/// `sh -c` and names it).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    pub name: String,
    pub run: String,
    #[serde(default)]
    pub key: Option<toml::Spanned<String>>,
    /// Where its output goes: `pane` (the output pane), `toast`, or `none`.
    #[serde(default)]
    pub output: Option<String>,
    /// Give it the terminal (an editor, a pager): the console steps aside until it ends.
    #[serde(default)]
    pub foreground: bool,
}

/// A named inspector filter (`[[filter]] name = "slow renders" query = "…"`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    pub name: String,
    pub query: String,
}

impl Config {
    /// `file:line` of a byte offset of the config file (for errors about what it says).
    pub fn place(&self, offset: usize) -> String {
        match &self.source {
            Some((path, text)) => {
                let line = text[..offset.min(text.len())].matches('\n').count() + 1;
                format!("{}:{line}", path.display())
            }
            None => "the default keymap".into(),
        }
    }
}

/// What walking a restarted plugin back to what was on screen may send again besides clicks
/// and selections (both change what the plugin holds, so neither is sent unless asked).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RestoreConfig {
    /// Form submits on the path.
    pub form_submit: bool,
    /// Buttons that ask for a confirmation first.
    pub confirmed: bool,
}

/// Default render context.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ContextConfig {
    pub visitor_id: Option<String>,
    pub session_id: Option<String>,
    pub language: Option<String>,
    pub channel_type: Option<String>,
}

/// Where the console keeps its state: `$XDG_STATE_HOME/tgo-console`, else
/// `~/.local/state/tgo-console`, else under the temp dir.
pub fn state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("tgo-console")
}

/// `$XDG_CONFIG_HOME/tgo-console/config.toml` (or `~/.config/…`).
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("tgo-console").join("config.toml"))
}

/// Reads `explicit` (which must exist), else the default path if it exists, else defaults.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match default_path() {
            Some(p) if p.exists() => p,
            _ => return Ok(Config::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    Config::from_text(text, &path)
}

impl Config {
    /// The config written in `text`, read from `path` (kept so errors can name its lines).
    pub fn from_text(text: String, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = match toml::from_str(&text) {
            Ok(config) => config,
            Err(source) => {
                return Err(ConfigError::Parse {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        config.source = Some((path.to_path_buf(), text));
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_bad_keys() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "theme = \"light\"\ntimeout = 5\n[context]\nvisitor_id = \"v_9\"\n",
        )
        .unwrap();
        let c = load(Some(&p)).unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.context.visitor_id.as_deref(), Some("v_9"));
        std::fs::write(&p, "colour = \"red\"\n").unwrap();
        let err = load(Some(&p)).unwrap_err().to_string();
        assert!(err.contains("colour") && err.contains("c.toml"), "{err}");
        assert!(
            load(Some(&dir.path().join("missing.toml")))
                .unwrap_err()
                .to_string()
                .contains("missing.toml")
        );
        assert_eq!(
            seconds(f64::NAN).unwrap_err().to_string(),
            "not a number of seconds: give one from 0.001 to 604800 (a week)"
        );
    }
}
