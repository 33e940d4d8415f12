//! The output pane: what a launched plugin printed (stdout and stderr, timestamped), newest at
//! the bottom, following the tail unless scrolled up.

use super::super::state::{Pane, State};
use crate::launcher::StreamKind;
use crate::text::{clock, sanitize_line, truncate_width};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

pub fn output_pane(area: Rect, buf: &mut Buffer, state: &State) {
    let t = &state.theme;
    let focused = state.focus == Pane::Output;
    let launch = state.output_launch();
    let title = match launch {
        Some(l) => format!(
            " Output · {} · {} ",
            sanitize_line(&l.name),
            l.status_text(state.now)
        ),
        None => " Output ".to_string(),
    };
    let title_style = if focused {
        t.fg(t.accent).add_modifier(Modifier::BOLD)
    } else {
        t.fg(t.title)
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(focused))
        .title(Line::from(Span::styled(
            truncate_width(&title, area.width.saturating_sub(2) as usize),
            title_style,
        )))
        .style(t.text());
    let body = block.inner(area);
    block.render(area, buf);
    if body.height == 0 || body.width == 0 {
        return;
    }
    let Some(l) = launch else {
        let lines = vec![
            Line::from(Span::styled(
                "No plugin launched by the console.",
                t.muted(),
            )),
            Line::from(""),
            Line::from(Span::styled(
                "Run `tgo-console path/to/plugin` or press a to add one: what it prints shows here.",
                t.muted(),
            )),
        ];
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(body, buf);
        return;
    };
    // Header: where it comes from, and how much was dropped.
    let mut head = vec![Span::styled(sanitize_line(&l.command), t.fg(t.info))];
    if l.dropped > 0 {
        head.push(Span::styled(
            format!(" · {} lines not kept (the oldest, or a flood's)", l.dropped),
            t.fg(t.warning),
        ));
    }
    let scroll = state
        .launches
        .output_scroll
        .up
        .min(l.output.len().saturating_sub(1));
    head.push(Span::styled(
        if scroll == 0 {
            " · FOLLOW".to_string()
        } else {
            format!(" · {scroll} lines up (f follow)")
        },
        t.fg(t.accent),
    ));
    Line::from(head).render(Rect::new(body.x, body.y, body.width, 1), buf);
    let rows = body.height.saturating_sub(1) as usize;
    if l.output.is_empty() {
        Line::from(Span::styled("nothing printed yet", t.muted())).render(
            Rect::new(body.x, body.y + 1, body.width, 1.min(body.height - 1)),
            buf,
        );
        return;
    }
    let end = l.output.len() - scroll;
    let start = end.saturating_sub(rows);
    let w = body.width as usize;
    for (i, o) in l.output.range(start..end).enumerate() {
        let colour = match o.stream {
            StreamKind::Stderr => t.warning,
            StreamKind::Stdout => t.fg,
            StreamKind::Console => t.accent,
        };
        let text = truncate_width(&sanitize_line(&o.text), w.saturating_sub(13));
        // The console's own lines (the marker between runs) are not something printed at a
        // moment: no timestamp.
        let at = match o.stream {
            StreamKind::Console => " ".repeat(13),
            _ => format!("{} ", clock(o.at)),
        };
        Line::from(vec![
            Span::styled(at, t.muted()),
            Span::styled(text, t.fg(colour)),
        ])
        .render(Rect::new(body.x, body.y + 1 + i as u16, body.width, 1), buf);
    }
}
