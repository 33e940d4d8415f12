//! A plugin's answer as the console draws it, as plain text: for golden snapshots, `{text}`
//! expectations and `call --format ui`. JSON-UI goes through the console's own widget drawing
//! (`tui::uiview`) into an off-screen buffer, so what is compared is what a user would see;
//! every string is already escaped there, so the text is safe to print.

use crate::check::action_outline;
use crate::jsonui::{Action, Node};
use crate::tui::theme::Theme;
use crate::tui::uiview::{self, UiState};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

/// Lines drawn at most; a longer page ends with a "… N more lines" line.
pub const MAX_LINES: u32 = 2000;

/// Widths an answer may be drawn at: narrower draws nothing useful, wider only costs memory
/// (a drawing is a buffer of width × its lines).
pub const WIDTHS: std::ops::RangeInclusive<u16> = 20..=500;

/// How an answer is drawn: at how many columns, and whether as the TGO web UI would (the
/// templates it lacks as its "Unknown template" box). A scenario may pin both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drawing {
    pub width: u16,
    pub web: bool,
}

impl Default for Drawing {
    fn default() -> Self {
        Self {
            width: 80,
            web: false,
        }
    }
}

/// `node` drawn at `width` columns with every tab on its default and nothing focused, one line
/// per terminal row, trailing blanks trimmed.
pub fn ui_text(node: &Node, width: u16) -> String {
    ui_text_as(node, Drawing { width, web: false })
}

/// [`ui_text`] as `drawing` says (width, web UI).
pub fn ui_text_as(node: &Node, drawing: Drawing) -> String {
    let width = drawing.width.max(10);
    let mut state = UiState::new(node);
    state.web = drawing.web;
    let height = uiview::layout(node, &state, width).height;
    let shown = height.clamp(1, MAX_LINES);
    let area = Rect::new(0, 0, width, shown as u16);
    let mut buf = Buffer::empty(area);
    uiview::render(node, &state, area, &mut buf, &Theme::default(), false);
    let mut lines = buffer_lines(&buf);
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if height > MAX_LINES {
        lines.push(format!("… {} more lines", height - MAX_LINES));
    }
    lines.join("\n")
}

/// An event's answer as the console shows it: a modal's content drawn, every other action as
/// its outline (the toast, the URL, the text that lands in the chat box).
pub fn action_text(action: &Action, width: u16) -> String {
    action_text_as(action, Drawing { width, web: false })
}

/// [`action_text`] as `drawing` says.
pub fn action_text_as(action: &Action, drawing: Drawing) -> String {
    let mut out = Vec::new();
    action_lines(action, drawing, &mut out);
    out.join("\n")
}

fn action_lines(action: &Action, drawing: Drawing, out: &mut Vec<String>) {
    match action {
        Action::ShowModal { title, content } => {
            out.push(format!(
                "show_modal \"{}\"",
                crate::text::sanitize_line(title.as_deref().unwrap_or(""))
            ));
            out.extend(ui_text_as(content, drawing).lines().map(String::from));
        }
        Action::Batch(actions) => {
            // The web UI ignores a batch: said, and its actions listed as not carried out.
            if drawing.web {
                out.push(format!(
                    "batch ({} actions): not carried out by the TGO web UI",
                    actions.len()
                ));
            } else {
                out.push(format!("batch ({} actions)", actions.len()));
            }
            for a in actions {
                action_lines(a, drawing, out);
            }
        }
        other => out.extend(
            action_outline(other)
                .iter()
                .map(|l| crate::text::sanitize_line(l)),
        ),
    }
}

/// The buffer's rows as text: a wide character's hidden second cell is skipped.
fn buffer_lines(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            let mut line = String::new();
            let mut skip = 0usize;
            for x in area.left()..area.right() {
                let symbol = buf[(x, y)].symbol();
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                line.push_str(symbol);
                skip = symbol.width().saturating_sub(1);
            }
            line.trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonui::{parse_action, parse_ui};
    use serde_json::json;

    #[test]
    fn a_table_and_a_button_as_text() {
        let ui = parse_ui(&json!({"template": "group", "data": {"items": [
            {"template": "table", "data": {"columns": [{"key": "id", "label": "订单"}],
                                           "rows": [{"id": "ORD-001"}]}},
            {"template": "button", "data": {"label": "View all", "action_id": "view_all"}}
        ]}}))
        .value;
        let text = ui_text(&ui, 80);
        assert!(text.contains("订单"), "{text}");
        assert!(text.contains("ORD-001"), "{text}");
        assert!(text.contains("View all"), "{text}");
        assert!(text.lines().all(|l| l.width() <= 80), "{text}");
        assert!(!text.ends_with('\n'));
    }

    #[test]
    fn the_web_ui_drawing_boxes_what_it_lacks_and_skips_batch() {
        let ui = parse_ui(&json!({"template": "group", "data": {"items": [
            {"template": "text", "data": {"text": "hello"}},
            {"template": "markdown", "data": {"content": "**bold**"}}]}}))
        .value;
        let web = ui_text_as(
            &ui,
            Drawing {
                width: 40,
                web: true,
            },
        );
        assert!(web.contains("hello"), "{web}");
        assert!(web.contains("Unknown template"), "{web}");
        assert!(web.contains("has no \"markdown\""), "{web}");
        assert!(!ui_text(&ui, 40).contains("Unknown template"));
        let batch = crate::jsonui::parse_action(&json!({"action": "batch", "data": {"actions": [
            {"action": "refresh"}]}}))
        .value;
        let text = action_text_as(
            &batch,
            Drawing {
                width: 40,
                web: true,
            },
        );
        assert!(
            text.starts_with("batch (1 actions): not carried out by the TGO web UI"),
            "{text}"
        );
    }

    #[test]
    fn hostile_text_is_escaped() {
        let ui = parse_ui(&json!({"template": "text", "data": {"text": "a\u{1b}[2Jb"}})).value;
        let text = ui_text(&ui, 40);
        assert!(!crate::text::has_control_chars(&text), "{text:?}");
        assert!(text.contains("\\x1b"), "{text}");
    }

    #[test]
    fn modal_is_drawn_and_other_actions_outlined() {
        let a = parse_action(&json!({"action": "batch", "data": {"actions": [
            {"action": "show_toast", "data": {"message": "Saved", "type": "success"}},
            {"action": "show_modal", "data": {"title": "Details",
                "template": "text", "data": {"text": "inside the modal"}}}
        ]}}))
        .value;
        let text = action_text(&a, 60);
        assert!(text.contains("show_toast [success] \"Saved\""), "{text}");
        assert!(text.contains("show_modal \"Details\""), "{text}");
        assert!(text.contains("inside the modal"), "{text}");
    }
}
