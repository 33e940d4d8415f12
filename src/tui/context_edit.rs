//! The render-context editor: visitor id, session id, language and channel, each a
//! ratatui-textarea line. Enter applies (and re-renders), Esc cancels, ↑/↓ in the visitor
//! field recall recent visitor ids.

use super::theme::Theme;
use crate::host::RenderContext;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};
use ratatui_textarea::TextArea;

const LABELS: [&str; 4] = ["Visitor id", "Session id", "Language", "Channel type"];

pub struct ContextEditor {
    fields: Vec<TextArea<'static>>,
    pub focus: usize,
    recent: Vec<String>,
    recall: Option<usize>,
}

impl std::fmt::Debug for ContextEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextEditor")
            .field("focus", &self.focus)
            .field("values", &self.values())
            .finish()
    }
}

pub enum EditOutcome {
    Handled,
    Cancel,
    Apply(Box<RenderContext>),
}

fn line(text: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

impl ContextEditor {
    pub fn new(ctx: &RenderContext, recent: &[String]) -> Self {
        let values = [
            &ctx.visitor_id,
            &ctx.session_id,
            &ctx.language,
            &ctx.channel_type,
        ];
        Self {
            fields: values.iter().map(|v| line(v)).collect(),
            focus: 0,
            recent: recent.to_vec(),
            recall: None,
        }
    }

    pub fn values(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| f.lines().join("").trim().to_string())
            .collect()
    }

    /// The context these values make, starting from `base` (visitor details follow the id).
    pub fn apply_to(&self, base: &RenderContext) -> RenderContext {
        let v = self.values();
        let mut ctx = base.clone();
        if ctx.visitor_id != v[0] {
            ctx.visitor_id = v[0].clone();
        }
        ctx.session_id = v[1].clone();
        ctx.language = v[2].clone();
        ctx.channel_type = v[3].clone();
        ctx
    }

    pub fn handle_key(&mut self, key: KeyEvent, base: &RenderContext) -> EditOutcome {
        match key.code {
            KeyCode::Esc => return EditOutcome::Cancel,
            KeyCode::Enter => {
                if self.values()[0].is_empty() {
                    return EditOutcome::Handled;
                }
                return EditOutcome::Apply(Box::new(self.apply_to(base)));
            }
            KeyCode::Tab | KeyCode::Down if self.focus > 0 || key.code == KeyCode::Tab => {
                self.focus = (self.focus + 1) % self.fields.len();
            }
            KeyCode::BackTab => {
                self.focus = (self.focus + self.fields.len() - 1) % self.fields.len()
            }
            KeyCode::Up | KeyCode::Down if self.focus == 0 && !self.recent.is_empty() => {
                let n = self.recent.len();
                let i = match (self.recall, key.code) {
                    (None, KeyCode::Up) => n - 1,
                    (None, _) => 0,
                    (Some(i), KeyCode::Up) => (i + n - 1) % n,
                    (Some(i), _) => (i + 1) % n,
                };
                self.recall = Some(i);
                self.fields[0] = line(&self.recent[i]);
            }
            KeyCode::Up => self.focus = self.focus.saturating_sub(1),
            _ if key.modifiers.contains(KeyModifiers::CONTROL)
                && key.code == KeyCode::Char('u') =>
            {
                self.fields[self.focus] = line("");
            }
            _ => {
                self.fields[self.focus].input(key);
            }
        }
        EditOutcome::Handled
    }

    pub fn paste(&mut self, text: &str) {
        self.fields[self.focus].insert_str(crate::text::paste_line(text));
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        Clear.render(area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Span::styled(" Render context ", theme.fg(theme.title)));
        let inner = block.inner(area);
        block.render(area, buf);
        for (i, (label, field)) in LABELS.iter().zip(&self.fields).enumerate() {
            let y = inner.y + i as u16 * 2;
            if y >= inner.bottom() {
                break;
            }
            let focused = i == self.focus;
            let style = if focused {
                theme.fg(theme.accent)
            } else {
                theme.muted()
            };
            Paragraph::new(Span::styled(format!("{label:>12} "), style)).render(
                Rect {
                    x: inner.x,
                    y,
                    width: 13.min(inner.width),
                    height: 1,
                },
                buf,
            );
            let fx = inner.x + 13;
            if fx < inner.right() {
                let mut ta = field.clone();
                ta.set_cursor_line_style(ratatui::style::Style::default());
                if !focused {
                    ta.set_cursor_style(ratatui::style::Style::default());
                }
                ta.render(
                    Rect {
                        x: fx,
                        y,
                        width: inner.right() - fx,
                        height: 1,
                    },
                    buf,
                );
            }
        }
        let hint = Line::from(Span::styled(
            "Enter apply + re-render · Tab next field · ↑/↓ recent visitors · Esc cancel",
            theme.muted(),
        ));
        if inner.height > 0 {
            Paragraph::new(hint).render(
                Rect {
                    x: inner.x,
                    y: inner.bottom() - 1,
                    width: inner.width,
                    height: 1,
                },
                buf,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn typing_and_recall_and_apply() {
        let ctx = RenderContext::default();
        let mut ed = ContextEditor::new(&ctx, &["v_1".to_string(), "v_2".to_string()]);
        ed.handle_key(key(KeyCode::Up), &ctx);
        assert_eq!(ed.values()[0], "v_2");
        ed.handle_key(key(KeyCode::Char('9')), &ctx);
        match ed.handle_key(key(KeyCode::Enter), &ctx) {
            EditOutcome::Apply(c) => assert_eq!(c.visitor_id, "v_29"),
            _ => panic!("expected apply"),
        }
    }
}
