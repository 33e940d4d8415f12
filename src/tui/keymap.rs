//! Keys as data: which key does which [`Action`] in which [`Scope`]. The defaults are a TOML
//! file compiled in (`keymap.toml`); a user's `[keys.<scope>]` tables replace the keys of the
//! actions they name. The help, the status bar's hints, `tgo-console keys` and the README's
//! table are all printed from the same map, so they cannot drift from what the keys do.

use super::action::{Action, Scope};
use crate::config::{Config, KeyTables};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// The default bindings.
pub const DEFAULTS: &str = include_str!("keymap.toml");

/// A key with its modifiers, as written in a keymap (`ctrl-s`, `G`, `alt-left`, `f1`, `?`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// A key event as the keymap sees it: a character's case is its shift (`G` is `G`, not
    /// `shift-g`), and shift-tab is `backtab` whatever the terminal sends with it.
    pub fn of(ev: &KeyEvent) -> Key {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let mut code = ev.code;
        match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                // Ctrl-letter arrives as the lower-case letter whatever the shift.
                if mods.contains(KeyModifiers::CONTROL) {
                    code = KeyCode::Char(c.to_ascii_lowercase());
                }
            }
            KeyCode::BackTab => mods.remove(KeyModifiers::SHIFT),
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                mods.remove(KeyModifiers::SHIFT);
            }
            _ => {}
        }
        Key { code, mods }
    }

    /// Reads `ctrl-s`, `alt-left`, `shift-f2`, `G`, `?`, `enter`, `pagedown`, `space`…
    pub fn parse(text: &str) -> Result<Key, NotAKey> {
        let bad = || NotAKey(text.to_string());
        if text.is_empty() {
            return Err(bad());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        // A lone "-" is the key; "ctrl--" is ctrl and "-".
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") && rest.len() > 5 {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") && rest.len() > 4 {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            mods |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyCode::F(n),
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            },
        };
        // Written the way `of` sees events: `shift-g` is `G`, `shift-tab` is `backtab`.
        let ev = KeyEvent::new(code, mods);
        let key = Key::of(&ev);
        Ok(match key.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() => {
                Key {
                    code: KeyCode::Char(c.to_ascii_uppercase()),
                    mods: key.mods,
                }
            }
            _ => key,
        })
    }

    /// As the help shows it: `Ctrl-S`, `↑`, `PgDn`, `G`.
    pub fn pretty(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("Alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            s.push_str("Shift-");
        }
        let name = match self.code {
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Insert => "Ins".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        s.push_str(&name);
        s
    }
}

impl fmt::Display for Key {
    /// As a keymap writes it: `ctrl-s`, `alt-left`, `G`, `pagedown`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A key name that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("\"{0}\" is not a key (e.g. \"q\", \"ctrl-s\", \"alt-left\", \"f1\", \"pagedown\")")]
pub struct NotAKey(pub String);

/// The effective bindings.
#[derive(Clone, Debug)]
pub struct Keymap {
    /// Per scope, each action's keys, in the action's order.
    bindings: BTreeMap<Scope, BTreeMap<Action, Vec<Key>>>,
    lookup: HashMap<(Scope, Key), Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::build(&Config::default()).expect("the default keymap is valid")
    }
}

/// A binding as written, each key with where (for errors).
struct Written {
    scope: Scope,
    action: Action,
    keys: Vec<(Key, String)>,
}

fn read_table(
    place: &dyn Fn(usize) -> String,
    table: &KeyTables,
    errors: &mut Vec<String>,
) -> Vec<Written> {
    let mut out = Vec::new();
    for (scope_name, actions) in table {
        let Some(scope) = Scope::from_name(scope_name.get_ref()) else {
            errors.push(format!(
                "{}: [keys.{}]: no such scope (scopes: {})",
                place(scope_name.span().start),
                scope_name.get_ref(),
                Scope::ALL.map(Scope::name).join(", ")
            ));
            continue;
        };
        for (action_name, keys) in actions {
            let Some(action) = Action::from_name(action_name.get_ref()) else {
                errors.push(format!(
                    "{}: [keys.{}] \"{}\": no such action{}",
                    place(action_name.span().start),
                    scope.name(),
                    action_name.get_ref(),
                    suggestion(action_name.get_ref())
                ));
                continue;
            };
            let mut parsed = Vec::new();
            for k in keys.get_ref() {
                match Key::parse(k.get_ref()) {
                    Ok(key) => parsed.push((key, place(k.span().start))),
                    Err(e) => errors.push(format!(
                        "{}: [keys.{}] {e}",
                        place(k.span().start),
                        scope.name()
                    )),
                }
            }
            out.push(Written {
                scope,
                action,
                keys: parsed,
            });
        }
    }
    out
}

/// ` (did you mean "quit"?)` when an action's name is close to the one typed.
fn suggestion(typed: &str) -> String {
    let all = every_action();
    let best = all
        .iter()
        .map(|a| (strsim::levenshtein(typed, &a.name()), a.name()))
        .min();
    match best {
        Some((d, name)) if d <= 3 => format!(" (did you mean \"{name}\"?)"),
        _ => String::new(),
    }
}

fn every_action() -> Vec<Action> {
    let defaults = default_table();
    let mut all: Vec<Action> = defaults
        .values()
        .flat_map(|a| a.keys().filter_map(|n| Action::from_name(n.get_ref())))
        .collect();
    all.sort();
    all.dedup();
    all
}

fn default_table() -> KeyTables {
    toml::from_str(DEFAULTS).expect("keymap.toml is valid TOML")
}

impl Keymap {
    /// The defaults with the config's `[keys.*]` over them. Errors name the file, the line
    /// and the key: an unknown scope or action, a key that cannot be read, or one key bound to
    /// two actions in one scope.
    pub fn build(config: &Config) -> Result<Keymap, Vec<String>> {
        let mut errors = Vec::new();
        let default_place = |offset: usize| {
            let line = DEFAULTS[..offset].matches('\n').count() + 1;
            format!("keymap.toml:{line}")
        };
        let defaults = read_table(&default_place, &default_table(), &mut errors);
        let user_place = |offset: usize| config.place(offset);
        let user = read_table(&user_place, &config.keys, &mut errors);
        let mut bindings: BTreeMap<Scope, BTreeMap<Action, Vec<(Key, String)>>> = BTreeMap::new();
        for w in defaults.into_iter().chain(user) {
            bindings
                .entry(w.scope)
                .or_default()
                .insert(w.action, w.keys);
        }
        let mut lookup = HashMap::new();
        let mut seen: HashMap<(Scope, Key), (Action, String)> = HashMap::new();
        for (scope, actions) in &bindings {
            for (action, keys) in actions {
                for (key, at) in keys {
                    match seen.get(&(*scope, *key)) {
                        Some((other, _)) if other != action => errors.push(format!(
                            "{at}: [keys.{}] \"{key}\" is bound to both {} and {}",
                            scope.name(),
                            other.name(),
                            action.name()
                        )),
                        _ => {
                            seen.insert((*scope, *key), (*action, at.clone()));
                            lookup.insert((*scope, *key), *action);
                        }
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let bindings = bindings
            .into_iter()
            .map(|(s, a)| {
                let a = a
                    .into_iter()
                    .map(|(action, keys)| (action, keys.into_iter().map(|(k, _)| k).collect()))
                    .collect();
                (s, a)
            })
            .collect();
        Ok(Keymap { bindings, lookup })
    }

    /// The action `ev` does in the first of `scopes` that binds it.
    pub fn action(&self, scopes: &[Scope], ev: &KeyEvent) -> Option<Action> {
        let key = Key::of(ev);
        scopes
            .iter()
            .find_map(|s| self.lookup.get(&(*s, key)).copied())
    }

    /// The keys of `action` in `scope` (none when unbound).
    pub fn keys(&self, scope: Scope, action: Action) -> &[Key] {
        self.bindings
            .get(&scope)
            .and_then(|a| a.get(&action))
            .map_or(&[], Vec::as_slice)
    }

    /// `j / ↓`: an action's keys as the help and hints show them.
    pub fn shown(&self, scope: Scope, action: Action) -> String {
        self.keys(scope, action)
            .iter()
            .map(Key::pretty)
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// Every scope's bindings, in order.
    pub fn scopes(&self) -> impl Iterator<Item = (Scope, &BTreeMap<Action, Vec<Key>>)> {
        self.bindings.iter().map(|(s, a)| (*s, a))
    }

    /// The status bar's hints for `scopes` (most specific first): help first where it can be
    /// had, then the scopes' hinted actions that have keys.
    pub fn hints(&self, scopes: &[Scope]) -> Vec<String> {
        let mut out = Vec::new();
        let mut push = |scope: Scope, action: Action| {
            let keys = self.keys(scope, action);
            if let Some(first) = keys.first() {
                let line = format!("{} {}", first.pretty(), action.short());
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        };
        if scopes.contains(&Scope::Global) {
            push(Scope::Global, Action::Help);
        }
        for scope in scopes {
            for action in hinted(*scope) {
                push(*scope, *action);
            }
        }
        out
    }

    /// The map as a Markdown table per scope (the README's key table).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for (scope, actions) in self.scopes() {
            out.push_str(&format!(
                "\n**{}** (`[keys.{}]`)\n\n",
                scope.title(),
                scope.name()
            ));
            out.push_str("| keys | action | what it does |\n|---|---|---|\n");
            for (action, keys) in actions {
                let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
                out.push_str(&format!(
                    "| {} | `{}` | {} |\n",
                    keys.join(" "),
                    action.name(),
                    action.describe(scope).replace('|', "\\|")
                ));
            }
        }
        out
    }

    /// The map as plain text (`tgo-console keys`).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (scope, actions) in self.scopes() {
            out.push_str(&format!("[{}]  {}\n", scope.name(), scope.title()));
            for (action, keys) in actions {
                let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                out.push_str(&format!(
                    "  {:<22} {:<28} {}\n",
                    action.name(),
                    keys.join(" "),
                    action.describe(scope)
                ));
            }
        }
        out
    }
}

/// The actions a scope's status-bar hints name, most useful first.
fn hinted(scope: Scope) -> &'static [Action] {
    use Action::*;
    match scope {
        Scope::Global => &[Quit, NextPane, EditContext, Rerender, Compose, Palette],
        Scope::Plugins => &[MoveDown, Open, StartStop],
        Scope::Render => &[MoveDown, Press, Left],
        Scope::Diagnostics => &[MoveDown, Close],
        Scope::Inspector => &[MoveDown, Filter, Follow, CopyMessage, Resend],
        Scope::Output => &[MoveDown, StartStop],
        Scope::Editing => &[Confirm, Cancel, NextField],
        Scope::Composer => &[Send, Complete, ApplyContext, Cancel],
        Scope::Context => &[Confirm, Send, NextField, Cancel],
        Scope::Help => &[MoveDown, Close],
        Scope::Confirm => &[Yes, No],
        Scope::Modal => &[Close],
        Scope::Pending => &[CancelRequest, Retry, Close],
        Scope::Palette => &[Confirm, Cancel],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::from_text(
            text.into(),
            "/home/me/.config/tgo-console/config.toml".as_ref(),
        )
        .unwrap()
    }

    #[test]
    fn keys_read_and_print_back() {
        for text in [
            "q", "G", "?", "ctrl-s", "alt-left", "f1", "pagedown", "space", "backtab", "ctrl--",
            "-",
        ] {
            let key = Key::parse(text).unwrap();
            assert_eq!(Key::parse(&key.to_string()).unwrap(), key, "{text}");
        }
        assert_eq!(Key::parse("shift-g").unwrap(), Key::parse("G").unwrap());
        assert_eq!(
            Key::parse("shift-tab").unwrap(),
            Key::parse("backtab").unwrap()
        );
        assert_eq!(Key::parse("Ctrl-Q").unwrap().to_string(), "ctrl-q");
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("f99").is_err());
    }

    #[test]
    fn events_match_what_terminals_send() {
        let km = Keymap::default();
        let g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.action(&[Scope::Plugins], &g), Some(Action::Bottom));
        let shift_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            km.action(&[Scope::Global], &shift_tab),
            Some(Action::PrevPane)
        );
        let ctrl_p = KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL);
        assert_eq!(km.action(&[Scope::Global], &ctrl_p), Some(Action::Palette));
        // The first scope that binds a key wins.
        let e = KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE);
        assert_eq!(
            km.action(&[Scope::Inspector, Scope::Global], &e),
            Some(Action::Export)
        );
        assert_eq!(
            km.action(&[Scope::Plugins, Scope::Global], &e),
            Some(Action::EditContext)
        );
    }

    #[test]
    fn a_users_keys_replace_the_defaults_of_that_action() {
        let c = config(
            "[keys.global]\nquit = [\"ctrl-q\"]\nhelp = [\"?\", \"f1\"]\n[keys.inspector]\nfilter = [\"/\", \"ctrl-f\"]\n",
        );
        let km = Keymap::build(&c).unwrap();
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.action(&[Scope::Global], &q), None, "q no longer quits");
        let ctrl_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL);
        assert_eq!(km.action(&[Scope::Global], &ctrl_q), Some(Action::Quit));
        let ctrl_f = KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL);
        assert_eq!(
            km.action(&[Scope::Inspector], &ctrl_f),
            Some(Action::Filter)
        );
        assert_eq!(km.shown(Scope::Global, Action::Quit), "Ctrl-Q");
    }

    #[test]
    fn mistakes_are_named_with_file_line_and_key() {
        let c = config(
            "[keys.global]\nqiut = [\"ctrl-q\"]\nhelp = [\"ctrl-\"]\nzoom = [\"1\"]\n[keys.nowhere]\nquit = [\"x\"]\n",
        );
        let errors = Keymap::build(&c).unwrap_err();
        let all = errors.join("\n");
        assert!(
            all.contains(
                "config.toml:2: [keys.global] \"qiut\": no such action (did you mean \"quit\"?)"
            ),
            "{all}"
        );
        assert!(
            all.contains("config.toml:3: [keys.global] \"ctrl-\" is not a key"),
            "{all}"
        );
        assert!(
            all.contains(
                "config.toml:4: [keys.global] \"1\" is bound to both focus_plugins and zoom"
            ),
            "{all}"
        );
        assert!(
            all.contains("config.toml:5: [keys.nowhere]: no such scope"),
            "{all}"
        );
    }

    #[test]
    fn the_defaults_bind_every_hinted_action() {
        let km = Keymap::default();
        for scope in Scope::ALL {
            for action in hinted(scope) {
                assert!(!km.keys(scope, *action).is_empty(), "{scope:?} {action:?}");
            }
        }
    }
}
