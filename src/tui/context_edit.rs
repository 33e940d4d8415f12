//! The render-context editor: visitor id, session id, language and channel (one line each),
//! and the `visitor` object sent with renders, as JSON. Enter applies (and re-renders) from a
//! one-line field, Ctrl-S from anywhere; Esc cancels; ↑/↓ in the visitor id recall recent
//! visitors, each with its own visitor object.

use super::action::{Action, KeyInput};
use super::cells::claim;
use super::theme::Theme;
use crate::host::RenderContext;
use crate::text::json_error;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use ratatui_textarea::TextArea;

use serde_json::{Map, Value};

const LABELS: [&str; 4] = ["Visitor id", "Session id", "Language", "Channel type"];
/// The field index of the visitor JSON.
const VISITOR: usize = LABELS.len();
pub use crate::host::context::{RECENT_VISITORS, RecentVisitor, remember};

pub struct ContextEditor {
    fields: Vec<TextArea<'static>>,
    visitor: TextArea<'static>,
    pub focus: usize,
    recent: Vec<RecentVisitor>,
    recall: Option<usize>,
    /// The visitor JSON's check: Ok, or where it is wrong.
    status: Result<(), String>,
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

fn visitor_area(visitor: &Map<String, Value>) -> TextArea<'static> {
    let text = serde_json::to_string_pretty(visitor).unwrap_or_default();
    let mut t = TextArea::new(
        crate::text::escape_json_controls(&text)
            .lines()
            .map(String::from)
            .collect(),
    );
    t.set_tab_length(2);
    t
}

impl ContextEditor {
    pub fn new(ctx: &RenderContext, recent: &[RecentVisitor]) -> Self {
        let values = [
            &ctx.visitor_id,
            &ctx.session_id,
            &ctx.language,
            &ctx.channel_type,
        ];
        Self {
            fields: values.iter().map(|v| line(v)).collect(),
            visitor: visitor_area(&ctx.visitor),
            focus: 0,
            recent: recent.to_vec(),
            recall: None,
            status: Ok(()),
        }
    }

    pub fn values(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| f.lines().join("").trim().to_string())
            .collect()
    }

    /// The visitor object as typed, or why it is not one.
    fn visitor(&self) -> Result<Map<String, Value>, String> {
        match serde_json::from_str::<Value>(&self.visitor.lines().join("\n")) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err("the visitor must be a JSON object".into()),
            Err(e) => Err(json_error(&e)),
        }
    }

    fn recheck(&mut self) {
        self.status = self.visitor().map(|_| ());
    }

    /// The context these values make, starting from `base`; why not, when the visitor JSON is
    /// not an object.
    pub fn apply_to(&self, base: &RenderContext) -> Result<RenderContext, String> {
        let v = self.values();
        let mut ctx = base.clone();
        ctx.visitor_id = v[0].clone();
        ctx.session_id = v[1].clone();
        ctx.language = v[2].clone();
        ctx.channel_type = v[3].clone();
        ctx.visitor = self.visitor()?;
        Ok(ctx)
    }

    fn apply(&mut self, base: &RenderContext) -> EditOutcome {
        if self.values()[0].is_empty() {
            self.focus = 0;
            return EditOutcome::Handled;
        }
        match self.apply_to(base) {
            Ok(ctx) => EditOutcome::Apply(Box::new(ctx)),
            Err(why) => {
                self.status = Err(why);
                self.focus = VISITOR;
                EditOutcome::Handled
            }
        }
    }

    /// A key in the editor: the context scope's action, else typed into the focused field.
    /// `confirm` applies from a one-line field and is a new line in the visitor JSON; the
    /// moving actions recall recent visitors in the visitor id, change field elsewhere, and
    /// move the cursor in the JSON.
    pub fn handle_key(&mut self, input: KeyInput, base: &RenderContext) -> EditOutcome {
        let fields = VISITOR + 1;
        let in_json = self.focus == VISITOR;
        match input.action {
            Some(Action::Cancel) => return EditOutcome::Cancel,
            Some(Action::Send) => return self.apply(base),
            Some(Action::Confirm) if !in_json => return self.apply(base),
            Some(Action::NextField) => self.focus = (self.focus + 1) % fields,
            Some(Action::PrevField) => self.focus = (self.focus + fields - 1) % fields,
            Some(dir @ (Action::MoveUp | Action::MoveDown))
                if self.focus == 0 && !self.recent.is_empty() =>
            {
                let n = self.recent.len();
                let i = match (self.recall, dir) {
                    (None, Action::MoveUp) => n - 1,
                    (None, _) => 0,
                    (Some(i), Action::MoveUp) => (i + n - 1) % n,
                    (Some(i), _) => (i + 1) % n,
                };
                self.recall = Some(i);
                self.fields[0] = line(&self.recent[i].visitor_id);
                self.visitor = visitor_area(&self.recent[i].visitor);
                self.recheck();
            }
            Some(Action::MoveDown) if !in_json => self.focus += 1,
            Some(Action::MoveUp) if !in_json => self.focus = self.focus.saturating_sub(1),
            Some(Action::MoveUp) if self.visitor.cursor().0 == 0 => self.focus -= 1,
            Some(Action::ClearField) if !in_json => self.fields[self.focus] = line(""),
            _ if in_json => {
                if self.visitor.input(input.key) {
                    self.recheck();
                }
            }
            _ => {
                self.fields[self.focus].input(input.key);
            }
        }
        EditOutcome::Handled
    }

    pub fn paste(&mut self, text: &str) {
        if self.focus == VISITOR {
            self.visitor
                .insert_str(crate::text::paste_multiline(text, "  "));
            self.recheck();
        } else {
            self.fields[self.focus].insert_str(crate::text::paste_line(text));
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        claim(area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Span::styled(" Render context ", theme.fg(theme.title)));
        let inner = block.inner(area);
        block.render(area, buf);
        let label_style = |focused: bool| {
            if focused {
                theme.fg(theme.accent)
            } else {
                theme.muted()
            }
        };
        let cursor = |ta: &mut TextArea<'static>, focused: bool| {
            ta.set_cursor_line_style(Style::default());
            if !focused {
                ta.set_cursor_style(Style::default());
            }
        };
        for (i, (label, field)) in LABELS.iter().zip(&self.fields).enumerate() {
            let y = inner.y + i as u16;
            if y >= inner.bottom() {
                return;
            }
            let focused = i == self.focus;
            Paragraph::new(Span::styled(format!("{label:>12} "), label_style(focused)))
                .render(Rect::new(inner.x, y, 13.min(inner.width), 1), buf);
            let fx = inner.x + 13;
            if fx < inner.right() {
                let mut ta = field.clone();
                cursor(&mut ta, focused);
                ta.render(Rect::new(fx, y, inner.right() - fx, 1), buf);
            }
        }
        // The visitor object: between the one-line fields and the two last lines.
        let top = inner.y + VISITOR as u16;
        let bottom = inner.bottom().saturating_sub(2);
        if top >= bottom {
            return;
        }
        let focused = self.focus == VISITOR;
        Paragraph::new(Span::styled(
            format!("{:>12} ", "Visitor"),
            label_style(focused),
        ))
        .render(Rect::new(inner.x, top, 13.min(inner.width), 1), buf);
        let fx = inner.x + 13;
        if fx < inner.right() {
            let mut ta = self.visitor.clone();
            cursor(&mut ta, focused);
            ta.set_block(
                Block::default()
                    .borders(Borders::LEFT)
                    .border_style(theme.border(focused)),
            );
            ta.render(Rect::new(fx, top, inner.right() - fx, bottom - top), buf);
        }
        let (text, style) = match &self.status {
            Ok(()) => (
                "✓ visitor is a JSON object (its id follows the visitor id)".to_string(),
                theme.fg(theme.success),
            ),
            Err(e) => (format!("✖ {e}"), theme.fg(theme.error)),
        };
        Paragraph::new(Span::styled(text, style)).render(
            Rect::new(inner.x, bottom, inner.width, 1.min(inner.height)),
            buf,
        );
        let hint = if focused {
            "Ctrl-S apply + re-render · Tab next field · Esc cancel"
        } else {
            "Enter apply + re-render · Tab field · ↑/↓ recent visitors · Esc cancel"
        };
        Paragraph::new(Line::from(Span::styled(
            hint,
            theme.muted().add_modifier(Modifier::DIM),
        )))
        .render(
            Rect::new(inner.x, inner.bottom().saturating_sub(1), inner.width, 1),
            buf,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    /// A key as the console routes it here (the default context keymap).
    fn key(code: KeyCode) -> KeyInput {
        chord(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn chord(key: KeyEvent) -> KeyInput {
        let keymap = crate::tui::keymap::Keymap::default();
        KeyInput {
            action: keymap.action(&[crate::tui::action::Scope::Context], &key),
            key,
        }
    }

    fn recent(id: &str, name: &str) -> RecentVisitor {
        let mut visitor = Map::new();
        visitor.insert("name".into(), Value::from(name));
        RecentVisitor {
            visitor_id: id.into(),
            visitor,
        }
    }

    #[test]
    fn typing_and_recall_and_apply() {
        let ctx = RenderContext::default();
        let mut ed = ContextEditor::new(&ctx, &[recent("v_1", "One"), recent("v_2", "Two")]);
        ed.handle_key(key(KeyCode::Up), &ctx);
        assert_eq!(ed.values()[0], "v_2");
        ed.handle_key(key(KeyCode::Char('9')), &ctx);
        match ed.handle_key(key(KeyCode::Enter), &ctx) {
            EditOutcome::Apply(c) => {
                assert_eq!(c.visitor_id, "v_29");
                assert_eq!(c.visitor["name"], "Two", "the recalled visitor comes along");
            }
            _ => panic!("expected apply"),
        }
    }

    #[test]
    fn the_visitor_object_is_edited_as_json_and_checked() {
        let ctx = RenderContext::default();
        let mut ed = ContextEditor::new(&ctx, &[]);
        for _ in 0..VISITOR {
            ed.handle_key(key(KeyCode::Tab), &ctx);
        }
        assert_eq!(ed.focus, VISITOR);
        // Break it: a stray character after the object.
        ed.handle_key(
            chord(KeyEvent::new(KeyCode::End, KeyModifiers::CONTROL)),
            &ctx,
        );
        ed.handle_key(key(KeyCode::Char('x')), &ctx);
        assert!(ed.status.is_err());
        // Enter is a new line here; Ctrl-S applies, and is refused while it is not JSON.
        let ctrl_s = chord(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
        assert!(matches!(ed.handle_key(ctrl_s, &ctx), EditOutcome::Handled));
        ed.handle_key(key(KeyCode::Backspace), &ctx);
        assert_eq!(ed.status, Ok(()));
        ed.visitor = visitor_area(&recent("v", "李四").visitor);
        match ed.handle_key(ctrl_s, &ctx) {
            EditOutcome::Apply(c) => {
                assert_eq!(c.visitor["name"], "李四");
                assert_eq!(c.visitor().get("id"), Some(&Value::from("v_12345")));
            }
            _ => panic!("expected apply"),
        }
    }

    #[test]
    fn recent_visitors_are_bounded_and_newest_last() {
        let mut list = Vec::new();
        for n in 0..30 {
            remember(&mut list, recent(&format!("v_{n}"), "x"));
        }
        remember(&mut list, recent("v_15", "again"));
        assert_eq!(list.len(), RECENT_VISITORS);
        assert_eq!(list.last().unwrap().visitor["name"], "again");
        assert_eq!(list.iter().filter(|r| r.visitor_id == "v_15").count(), 1);
    }
}
