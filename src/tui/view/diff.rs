//! The render diff overlay: what changed in the JSON (by path), then the two drawings side by
//! side, lines aligned by a line diff and the changed ones marked.

use super::super::state::{Diff, Side, State};

use crate::text::{clock, sanitize_line, truncate_width};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use similar::{DiffOp, TextDiff};
use unicode_width::UnicodeWidthStr;

/// Every line of the diff at `width` columns (the overlay scrolls through them), built once
/// per width.
pub fn lines(d: &Diff, width: u16, state: &State) -> Vec<Line<'static>> {
    if let Some((w, lines)) = &*d.lines.borrow()
        && *w == width
    {
        return lines.clone();
    }
    let built = build(d, width, state);
    *d.lines.borrow_mut() = Some((width, built.clone()));
    built
}

fn build(d: &Diff, width: u16, state: &State) -> Vec<Line<'static>> {
    let t = &state.theme;
    let mut out = Vec::new();
    let stamp = |s: &Side| format!("#{} {}", s.seq, clock(s.at));
    let changes = d.changes.len() + d.more;
    out.push(Line::from(vec![
        Span::styled(
            format!("{} → {}", stamp(&d.old), stamp(&d.new)),
            t.fg(t.title).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            match changes {
                0 => " · same JSON".to_string(),
                1 => " · 1 change".to_string(),
                n => format!(" · {n} changes"),
            },
            t.muted(),
        ),
    ]));
    for c in &d.changes {
        let colour = match c.chars().next() {
            Some('+') => t.success,
            Some('-') => t.error,
            _ => t.warning,
        };
        out.push(Line::from(Span::styled(
            truncate_width(&sanitize_line(c), width as usize),
            t.fg(colour),
        )));
    }
    if d.more > 0 {
        out.push(Line::from(Span::styled(
            format!("… {} more changes", d.more),
            t.muted(),
        )));
    }
    out.push(Line::default());
    // Two columns, the marker before them and ` │ ` between.
    let half = width.saturating_sub(4) / 2;
    let left = crate::drawn::ui_text(&d.old.node, half);
    let right = crate::drawn::ui_text(&d.new.node, half);
    out.push(Line::from(Span::styled(
        format!(
            " {} │ {}",
            pad(&stamp(&d.old), half as usize),
            stamp(&d.new)
        ),
        t.muted(),
    )));
    let old = Style::default().fg(t.error.0);
    let new = Style::default().fg(t.success.0);
    let plain = t.text();
    let diff = TextDiff::from_lines(&left, &right);
    let (l, r): (Vec<&str>, Vec<&str>) = (left.lines().collect(), right.lines().collect());
    for op in diff.ops() {
        let (old_range, new_range, mark) = match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => (old_index..old_index + len, new_index..new_index + len, ' '),
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => (old_index..old_index + old_len, new_index..new_index, '-'),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (old_index..old_index, new_index..new_index + new_len, '+'),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (
                old_index..old_index + old_len,
                new_index..new_index + new_len,
                '~',
            ),
        };
        for i in 0..old_range.len().max(new_range.len()) {
            let a = old_range.clone().nth(i).and_then(|k| l.get(k)).copied();
            let b = new_range.clone().nth(i).and_then(|k| r.get(k)).copied();
            let (sa, sb) = if mark == ' ' {
                (plain, plain)
            } else {
                (old, new)
            };
            out.push(Line::from(vec![
                Span::styled(
                    mark.to_string(),
                    t.fg(t.warning).add_modifier(Modifier::BOLD),
                ),
                Span::styled(pad(a.unwrap_or(""), half as usize), sa),
                Span::styled(" │ ", t.muted()),
                Span::styled(b.unwrap_or("").to_string(), sb),
            ]));
        }
    }
    out
}

/// `s` cut or padded to exactly `w` columns (drawn text is already safe to print).
fn pad(s: &str, w: usize) -> String {
    let s = truncate_width(s, w);
    let fill = w.saturating_sub(s.width());
    format!("{s}{}", " ".repeat(fill))
}
