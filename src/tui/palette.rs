//! The command palette (`ctrl-p`): one fuzzy list of every action with its key, every plugin
//! and capability, the saved filters, the user's commands and the recent requests. Picking an
//! entry hands it back to the console, which does it as if its key had been pressed.

use super::action::{Action, KeyInput};
use super::cells::claim;
use super::theme::Theme;
use crate::text::{sanitize_line, truncate_width};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use ratatui_textarea::TextArea;
use serde_json::Value;

/// What an entry does when picked.
#[derive(Clone, Debug, PartialEq)]
pub enum Pick {
    /// An action of a scope, as its key would do it there.
    Action(super::action::Scope, Action),
    /// Select this plugin in the plugins pane.
    Plugin(String),
    /// Show (render) this capability.
    Capability(super::msg::CapKey),
    /// Filter the inspector with this query.
    Filter(String),
    /// Open this request in the composer.
    Request {
        plugin_id: String,
        method: String,
        params: Value,
    },
    /// Run the user's command with this index.
    Command(usize),
}

/// One line of the palette.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// What it is (`action`, `plugin`, `filter`…), shown dim on the left.
    pub kind: &'static str,
    /// What is matched and shown.
    pub label: String,
    /// Shown dim on the right: the key, the plugin id, the query.
    pub detail: String,
    pub pick: Pick,
}

pub struct PaletteState {
    entries: Vec<Entry>,
    query: TextArea<'static>,
    /// Indices into `entries` of what matches, best first.
    shown: Vec<usize>,
    selected: usize,
    matcher: Matcher,
}

/// What a key in the palette asks.
#[derive(Debug, PartialEq)]
pub enum PaletteOutcome {
    Handled,
    Cancel,
    Pick(Pick),
}

impl PaletteState {
    pub fn new(entries: Vec<Entry>) -> Self {
        let mut query = TextArea::new(vec![String::new()]);
        query.set_cursor_line_style(Style::default());
        query.set_placeholder_text("type to search actions, plugins, filters, requests…");
        query.set_placeholder_style(Style::default().add_modifier(Modifier::DIM));
        let mut st = Self {
            shown: (0..entries.len()).collect(),
            entries,
            query,
            selected: 0,
            matcher: Matcher::new(Config::DEFAULT),
        };
        st.refilter();
        st
    }

    fn refilter(&mut self) {
        let q = self.query.lines().concat();
        self.selected = 0;
        if q.trim().is_empty() {
            self.shown = (0..self.entries.len()).collect();
            return;
        }
        let pattern = Pattern::parse(&q, CaseMatching::Ignore, Normalization::Smart);
        let texts: Vec<String> = self
            .entries
            .iter()
            .map(|e| format!("{} {} {}", e.kind, e.label, e.detail))
            .collect();
        let mut scored: Vec<(usize, u32)> = pattern
            .match_list(
                texts.iter().enumerate().map(|(i, t)| Indexed(i, t)),
                &mut self.matcher,
            )
            .into_iter()
            .map(|(Indexed(i, _), score)| (i, score))
            .collect();
        scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.shown = scored.into_iter().map(|(i, _)| i).collect();
    }

    /// The entries shown, best match first, and which is selected.
    pub fn shown(&self) -> (Vec<&Entry>, usize) {
        (
            self.shown.iter().map(|&i| &self.entries[i]).collect(),
            self.selected,
        )
    }

    pub fn handle_key(&mut self, input: KeyInput) -> PaletteOutcome {
        match input.action {
            Some(Action::Cancel) => return PaletteOutcome::Cancel,
            Some(Action::Confirm) => {
                return match self.shown.get(self.selected) {
                    Some(&i) => PaletteOutcome::Pick(self.entries[i].pick.clone()),
                    None => PaletteOutcome::Handled,
                };
            }
            Some(Action::MoveDown) => {
                self.selected = (self.selected + 1).min(self.shown.len().saturating_sub(1));
            }
            Some(Action::MoveUp) => self.selected = self.selected.saturating_sub(1),
            _ => {
                if self.query.input(input.key) {
                    self.refilter();
                }
            }
        }
        PaletteOutcome::Handled
    }

    pub fn paste(&mut self, text: &str) {
        self.query.insert_str(crate::text::paste_line(text));
        self.refilter();
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        claim(area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Span::styled(
                " Command palette ",
                theme.fg(theme.title).add_modifier(Modifier::BOLD),
            ))
            .style(theme.text());
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height < 3 {
            return;
        }
        buf.set_string(inner.x, inner.y, "› ", theme.fg(theme.accent));
        let mut q = self.query.clone();
        q.set_cursor_style(Style::default().add_modifier(Modifier::REVERSED));
        q.render(
            Rect::new(inner.x + 2, inner.y, inner.width.saturating_sub(2), 1),
            buf,
        );
        let rows = inner.height.saturating_sub(2) as usize;
        let (shown, selected) = self.shown();
        let first = selected.saturating_sub(rows.saturating_sub(1));
        let w = inner.width as usize;
        let mut lines = Vec::new();
        for (i, e) in shown.iter().enumerate().skip(first).take(rows) {
            let style = if i == selected {
                theme.selected()
            } else {
                theme.text()
            };
            let kind = format!("{:<9}", e.kind);
            let detail = sanitize_line(&e.detail);
            let room = w.saturating_sub(kind.len() + crate::text::width(&detail) + 2);
            let label = truncate_width(&sanitize_line(&e.label), room);
            let pad = room.saturating_sub(crate::text::width(&label));
            lines.push(Line::from(vec![
                Span::styled(kind, theme.muted()),
                Span::styled(format!("{label}{}", " ".repeat(pad)), style),
                Span::styled(format!("  {detail}"), theme.muted()),
            ]));
        }
        if shown.is_empty() {
            lines.push(Line::from(Span::styled("nothing matches", theme.muted())));
        }
        Paragraph::new(lines).render(
            Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 2),
            buf,
        );
        let count = format!("{} of {}", shown.len(), self.entries.len());
        Paragraph::new(Line::from(vec![
            Span::styled("Enter do it · ↑↓ choose · Esc close   ", theme.muted()),
            Span::styled(count, theme.muted()),
        ]))
        .render(Rect::new(inner.x, inner.bottom() - 1, inner.width, 1), buf);
    }
}

/// An entry's text with its index, for the matcher.
struct Indexed<'a>(usize, &'a String);

impl AsRef<str> for Indexed<'_> {
    fn as_ref(&self) -> &str {
        self.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Scope;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn typed(st: &mut PaletteState, text: &str) {
        for c in text.chars() {
            st.handle_key(KeyInput {
                action: None,
                key: KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
            });
        }
    }

    fn entry(kind: &'static str, label: &str, pick: Pick) -> Entry {
        Entry {
            kind,
            label: label.into(),
            detail: String::new(),
            pick,
        }
    }

    #[test]
    fn typing_narrows_to_the_best_matches_and_enter_picks() {
        let mut st = PaletteState::new(vec![
            entry("action", "quit", Pick::Action(Scope::Global, Action::Quit)),
            entry(
                "action",
                "request composer",
                Pick::Action(Scope::Global, Action::Compose),
            ),
            entry(
                "filter",
                "slow renders",
                Pick::Filter("latency:>200ms".into()),
            ),
        ]);
        assert_eq!(st.shown().0.len(), 3);
        typed(&mut st, "slow");
        let (shown, _) = st.shown();
        assert_eq!(shown[0].label, "slow renders");
        let pick = st.handle_key(KeyInput {
            action: Some(Action::Confirm),
            key: KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
        });
        assert_eq!(
            pick,
            PaletteOutcome::Pick(Pick::Filter("latency:>200ms".into()))
        );
    }
}
