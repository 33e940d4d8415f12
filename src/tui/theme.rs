//! Named colour slots, loaded from TOML themes (`themes/*.toml`, or any file by path).
//! Widgets ask for a slot ("button_danger"), never for a raw colour, so themes stay complete.

use ratatui::style::{Color, Modifier, Style};
use serde::{Deserialize, Deserializer};
use std::path::Path;
use std::str::FromStr;

/// A colour as a theme file writes it: a name (`red`, `darkgray`, `reset`) or `#rrggbb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThemeColor(pub Color);

impl<'de> Deserialize<'de> for ThemeColor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Color::from_str(&s)
            .map(ThemeColor)
            .map_err(|_| serde::de::Error::custom(format!("unknown colour {s:?}")))
    }
}

macro_rules! theme_slots {
    ($($(#[$doc:meta])* $slot:ident = $default:expr),+ $(,)?) => {
        /// Every colour slot the UI uses. A theme file may set any subset; the rest keep the
        /// dark defaults.
        #[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Theme {
            pub name: String,
            $($(#[$doc])* pub $slot: ThemeColor,)+
        }

        impl Default for Theme {
            fn default() -> Self {
                Self { name: "dark".into(), $($slot: ThemeColor($default),)+ }
            }
        }
    };
}

theme_slots! {
    /// Background of everything.
    bg = Color::Reset,
    /// Ordinary text.
    fg = Color::Gray,
    /// Secondary text: hints, timestamps, disconnected plugins.
    muted = Color::DarkGray,
    border = Color::DarkGray,
    border_focused = Color::Cyan,
    title = Color::White,
    accent = Color::Cyan,
    selection_bg = Color::Rgb(40, 60, 90),
    selection_fg = Color::White,
    info = Color::Blue,
    success = Color::Green,
    warning = Color::Yellow,
    error = Color::Red,
    button_primary = Color::Rgb(40, 110, 220),
    button_secondary = Color::Rgb(90, 90, 100),
    button_danger = Color::Rgb(200, 50, 50),
    button_link = Color::Cyan,
    button_fg = Color::White,
    disabled = Color::DarkGray,
    badge_green = Color::Green,
    badge_orange = Color::Rgb(230, 140, 30),
    badge_red = Color::Red,
    badge_blue = Color::Blue,
    badge_gray = Color::Gray,
    link = Color::Cyan,
    json_key = Color::Cyan,
    json_string = Color::Green,
    json_number = Color::Magenta,
    json_bool = Color::Yellow,
    json_null = Color::DarkGray,
    json_punct = Color::Gray,
    dir_in = Color::Green,
    dir_out = Color::Blue,
    dir_local = Color::Yellow,
}

/// Themes shipped in `themes/`, compiled in so the binary works from anywhere.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Why a theme could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("built-in theme {name}: {source}")]
    Builtin {
        name: String,
        source: Box<toml::de::Error>,
    },
    #[error(
        "theme {name:?}: not a built-in theme ({}) and not a readable file: {source}",
        builtin_names()
    )]
    Missing {
        name: String,
        source: std::io::Error,
    },
    #[error("theme file {}: {source}", path.display())]
    File {
        path: std::path::PathBuf,
        source: Box<toml::de::Error>,
    },
}

fn builtin_names() -> String {
    BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Theme {
    /// Parses a theme file's text.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Self, ThemeError> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::from_toml(text).map_err(|e| ThemeError::Builtin {
                name: name_or_path.into(),
                source: Box::new(e),
            });
        }
        let path = Path::new(name_or_path);
        let text = std::fs::read_to_string(path).map_err(|source| ThemeError::Missing {
            name: name_or_path.into(),
            source,
        })?;
        Self::from_toml(&text).map_err(|e| ThemeError::File {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    pub fn text(&self) -> Style {
        Style::new().fg(self.fg.0).bg(self.bg.0)
    }

    pub fn muted(&self) -> Style {
        Style::new().fg(self.muted.0)
    }

    pub fn fg(&self, slot: ThemeColor) -> Style {
        Style::new().fg(slot.0)
    }

    pub fn selected(&self) -> Style {
        Style::new()
            .fg(self.selection_fg.0)
            .bg(self.selection_bg.0)
            .add_modifier(Modifier::BOLD)
    }

    pub fn border(&self, focused: bool) -> Style {
        Style::new().fg(if focused {
            self.border_focused.0
        } else {
            self.border.0
        })
    }

    /// Colour of a protocol colour word (`green`, `orange`, … or `#hex`), for badges and cells.
    pub fn named(&self, word: &str) -> Color {
        match word {
            "green" | "success" => self.badge_green.0,
            "orange" | "warning" => self.badge_orange.0,
            "red" | "error" | "danger" => self.badge_red.0,
            "blue" | "info" => self.badge_blue.0,
            "gray" | "grey" | "default" => self.badge_gray.0,
            other => Color::from_str(other).unwrap_or(self.fg.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse_and_differ() {
        let themes: Vec<Theme> = BUILTIN
            .iter()
            .map(|(n, _)| Theme::load(n).unwrap())
            .collect();
        assert_eq!(themes.len(), 3);
        assert_ne!(themes[0], themes[1]);
        assert_eq!(themes[1].name, "light");
    }

    #[test]
    fn partial_theme_keeps_defaults_and_bad_colours_are_named() {
        let t = Theme::from_toml("name = \"mine\"\naccent = \"#ff8800\"").unwrap();
        assert_eq!(t.accent, ThemeColor(Color::Rgb(255, 136, 0)));
        assert_eq!(t.fg, Theme::default().fg);
        let err = Theme::from_toml("accent = \"sparkly\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sparkly"), "{err}");
        let err = Theme::from_toml("nonsense = \"red\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nonsense"), "{err}");
        let err = Theme::load("no-such-theme").unwrap_err().to_string();
        assert!(
            err.starts_with("theme \"no-such-theme\": not a built-in theme (dark, light, high-contrast) and not a readable file: "),
            "{err}"
        );
    }
}
