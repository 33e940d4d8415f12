//! The lines under the render pane's header: the path to what is shown (a breadcrumb, and how
//! walking it again after a restart went), and the story being played (each step's
//! expectations as ✔ / ✖, then why the first steps failed).

use super::super::state::State;
use super::super::wrap::wrap_spans;
use crate::text::{sanitize_line, truncate_width};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

/// Failed steps whose reasons are shown under the marks.
const FAILURES_SHOWN: usize = 2;

/// The lines, at `width` columns; none when there is no path and no story to show.
pub fn header_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let t = &state.theme;
    let w = width as usize;
    let mut lines = Vec::new();
    if w == 0 {
        return lines;
    }
    let shown = state.shown_cap();
    let trail = &state.trail;
    if trail.cap.is_some() && trail.cap == shown {
        if !trail.steps.is_empty() {
            let title = shown
                .as_ref()
                .and_then(|k| state.capability(k))
                .map_or_else(String::new, |c| c.title.clone());
            let mut spans = vec![
                Span::styled("path ", t.muted()),
                Span::styled(sanitize_line(&title), t.fg(t.title)),
            ];
            for crumb in trail.crumbs() {
                spans.push(Span::styled(" › ", t.muted()));
                spans.push(Span::styled(sanitize_line(&crumb), t.fg(t.accent)));
            }
            let mut wrapped = wrap_spans(&spans, w, 5);
            if wrapped.len() > 2 {
                wrapped.truncate(2);
                if let Some(last) = wrapped.last_mut() {
                    last.spans.push(Span::styled(" …", t.muted()));
                }
            }
            lines.extend(wrapped);
        }
        if let Some(r) = &trail.restoring {
            if !trail.steps.is_empty() {
                lines.push(Line::from(Span::styled(
                    truncate_width(
                        &format!(
                            "↻ the plugin restarted: walking the path again ({} of {} sent)",
                            r.next.min(trail.steps.len()),
                            trail.steps.len()
                        ),
                        w,
                    ),
                    t.fg(t.warning),
                )));
            }
        } else if let Some(note) = &trail.note {
            let (mark, colour) = if note.stopped {
                ("⚠ ", t.warning)
            } else {
                ("↻ ", t.success)
            };
            let spans = [Span::styled(
                format!("{mark}{}", sanitize_line(&note.text)),
                t.fg(colour),
            )];
            lines.extend(wrap_spans(&spans, w, 2).into_iter().take(2));
        }
    }
    if let Some(play) = &state.stories.play
        && (!play.done || play.cap.is_none() || play.cap == shown)
    {
        let total = play.marks.len();
        let (mark, colour, said) = if !play.done {
            (
                "▶",
                t.warning,
                format!("step {} of {total}", (play.step + 1).min(total)),
            )
        } else if play.failed() == 0 {
            ("✔", t.success, format!("{total} of {total} steps passed"))
        } else {
            (
                "✖",
                t.error,
                format!("{} of {total} steps failed", play.failed()),
            )
        };
        let mut spans = vec![
            Span::styled(
                format!("{mark} story "),
                t.fg(colour).add_modifier(Modifier::BOLD),
            ),
            Span::styled(sanitize_line(&play.name), t.fg(t.title)),
            Span::styled(format!(" · {said} · "), t.muted()),
        ];
        for (i, m) in play.marks.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", t.muted()));
            }
            spans.push(Span::styled(
                format!("{} ", sanitize_line(&m.label)),
                t.text(),
            ));
            match m.passed {
                None if i == play.step && !play.done => {
                    spans.push(Span::styled("…", t.fg(t.warning)));
                }
                None => spans.push(Span::styled("·", t.muted())),
                Some(_) if m.expectations.is_empty() => {
                    let (text, c) = match m.passed {
                        Some(true) => ("✔", t.success),
                        _ => ("✖", t.error),
                    };
                    spans.push(Span::styled(text, t.fg(c)));
                }
                Some(_) => {
                    for ok in &m.expectations {
                        let (text, c) = if *ok {
                            ("✔", t.success)
                        } else {
                            ("✖", t.error)
                        };
                        spans.push(Span::styled(text, t.fg(c)));
                    }
                    // A step that failed with every expectation met (a plugin error, an
                    // invalid answer) still says so.
                    if m.passed == Some(false) && m.expectations.iter().all(|ok| *ok) {
                        spans.push(Span::styled("✖", t.fg(t.error)));
                    }
                }
            }
        }
        lines.extend(wrap_spans(&spans, w, 2));
        for m in play
            .marks
            .iter()
            .filter(|m| m.passed == Some(false))
            .take(FAILURES_SHOWN)
        {
            let why = m.failures.first().map_or("", String::as_str);
            lines.push(Line::from(Span::styled(
                truncate_width(&sanitize_line(&format!("✖ {}: {why}", m.label)), w),
                t.fg(t.error),
            )));
        }
    }
    lines
}
