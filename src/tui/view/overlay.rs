//! What floats above the panes: toasts, and the one modal (help, confirm, nested UI,
//! composer, context editor, pending requests).

use super::super::action::{Action, Scope};
use super::super::cells::claim;
use super::super::composer;
use super::super::state::{Modal, State};
use super::super::uiview;
use super::modal_body;
use super::panes::toast_style;
use crate::text::{sanitize_line, truncate_width};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

/// Lines a toast may take; longer text (a file path) wraps onto them, the rest is cut.
const TOAST_LINES: usize = 4;

pub fn toasts(area: Rect, buf: &mut Buffer, state: &State) {
    // Bottom right, above the status bar, newest lowest: out of the way of pane titles. A
    // long toast wraps (up to TOAST_LINES lines) rather than losing its end.
    let width = (area.width / 2).clamp(20.min(area.width), 60);
    let inner = width.saturating_sub(2) as usize;
    let mut bottom = area.bottom().saturating_sub(1);
    for toast in state.status.toasts.iter().rev() {
        let mut lines = crate::text::wrap_width(&sanitize_line(&toast.text), inner);
        if lines.len() > TOAST_LINES {
            lines.truncate(TOAST_LINES);
            let last = lines.pop().unwrap_or_default();
            lines.push(truncate_width(&format!("{last}…"), inner));
        }
        let height = lines.len() as u16 + 2;
        if bottom < area.y + height {
            break;
        }
        let rect = Rect::new(
            area.right().saturating_sub(width + 1),
            bottom - height,
            width,
            height,
        );
        bottom -= height;
        let style = toast_style(state, toast.kind).add_modifier(Modifier::BOLD);
        let text: Vec<Line> = lines
            .into_iter()
            .map(|l| Line::from(Span::styled(l, style)))
            .collect();
        claim(rect, buf);
        Paragraph::new(text)
            .block(Block::default().borders(Borders::ALL).border_style(style))
            .render(rect, buf);
    }
}

fn frame(area: Rect, buf: &mut Buffer, state: &State, title: &str) -> Rect {
    claim(area, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(state.theme.border(true))
        .title(Span::styled(
            format!(" {} ", sanitize_line(title)),
            state
                .theme
                .fg(state.theme.title)
                .add_modifier(Modifier::BOLD),
        ))
        .style(state.theme.text());
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

fn footer(inner: Rect, buf: &mut Buffer, state: &State, text: &str) {
    if inner.height == 0 {
        return;
    }
    let r = Rect::new(inner.x, inner.bottom() - 1, inner.width, 1);
    Paragraph::new(Span::styled(text.to_string(), state.theme.muted())).render(r, buf);
}

/// Where help's lines go inside its box (the last line is the footer).
fn help_body(inner: Rect) -> Rect {
    Rect::new(
        inner.x,
        inner.y,
        inner.width,
        inner.height.saturating_sub(1),
    )
}

/// Keys column of the help overlay: a description wraps to the next line under itself.
const HELP_KEYS: usize = 24;

/// Every line of the help overlay, `width` columns wide (a long description wraps, whole
/// words, under itself rather than being cut).
fn help_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let t = &state.theme;
    let mut lines = Vec::new();
    // Printed from the keymap in effect: what is shown is what the keys do.
    for (scope, actions) in state.personal.keymap.scopes() {
        lines.push(Line::from(Span::styled(
            scope.title(),
            t.fg(t.accent).add_modifier(Modifier::BOLD),
        )));
        for action in actions.keys() {
            let spans = [
                Span::styled(
                    format!("  {:<22}", state.personal.keymap.shown(scope, *action)),
                    t.fg(t.title),
                ),
                Span::styled(action.describe(scope), t.text()),
            ];
            lines.extend(crate::tui::wrap::wrap_spans(
                &spans,
                width as usize,
                HELP_KEYS,
            ));
        }
    }
    if !state.personal.commands.is_empty() {
        lines.push(Line::from(Span::styled(
            "Your commands (config)",
            t.fg(t.accent).add_modifier(Modifier::BOLD),
        )));
        for c in &state.personal.commands {
            let key = c
                .key
                .map(|k| k.pretty())
                .unwrap_or_else(|| "palette".into());
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<22}"), t.fg(t.title)),
                Span::styled(sanitize_line(&c.name), t.text()),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!(
            "Listening on: {}",
            sanitize_line(&state.session.listening.join(" + "))
        ),
        t.muted(),
    )));
    lines.push(Line::from(Span::styled(
        format!("Log file: {}", sanitize_line(&state.session.log_path)),
        t.muted(),
    )));
    lines
}

/// How far help scrolls: until its last line is at the bottom of its box.
pub fn help_max_scroll(state: &State, area: Rect) -> u16 {
    let inner = super::inner(area);
    let shown = help_body(inner).height as usize;
    help_lines(state, inner.width).len().saturating_sub(shown) as u16
}

pub fn modal(modal: &Modal, area: Rect, buf: &mut Buffer, state: &State) {
    let t = &state.theme;
    match modal {
        Modal::Help { scroll } => {
            let inner = frame(area, buf, state, "Keys");
            let body = help_body(inner);
            Paragraph::new(help_lines(state, body.width))
                .scroll((*scroll, 0))
                .render(body, buf);
            footer(inner, buf, state, "j/k scroll · Esc close");
        }
        Modal::Output {
            title,
            text,
            scroll,
        } => {
            let inner = frame(area, buf, state, title);
            let body = help_body(inner);
            Paragraph::new(crate::text::sanitize_multiline(text))
                .scroll((*scroll, 0))
                .render(body, buf);
            footer(inner, buf, state, "j/k scroll · Esc close");
        }
        Modal::Diff(d) => {
            let inner = frame(area, buf, state, &format!("Diff · {}", d.title));
            let body = help_body(inner);
            Paragraph::new(super::diff::lines(d, body.width, state))
                .scroll((d.scroll, 0))
                .render(body, buf);
            footer(inner, buf, state, "j/k scroll · Esc close");
        }
        Modal::Chaos { scroll } => {
            let title = match &state.chaos {
                Some(run) => format!("Chaos · {}", run.plugin_id),
                None => "Chaos".to_string(),
            };
            let inner = frame(area, buf, state, &title);
            let body = help_body(inner);
            if let Some(run) = &state.chaos {
                Paragraph::new(super::super::chaos::lines(run, t, body.width))
                    .scroll((*scroll, 0))
                    .render(body, buf);
            }
            let hint = if state.chaos.as_ref().is_some_and(|r| r.finished()) {
                "j/k scroll · Esc close"
            } else {
                "j/k scroll · Esc close (the run goes on)"
            };
            footer(inner, buf, state, hint);
        }
        Modal::Palette(p) => {
            let small = super::centered(area, 90, 80);
            p.render(small, buf, &state.theme);
        }
        Modal::Confirm { text, .. } => {
            let (small, yes, no) = super::confirm_layout(area);
            let inner = frame(small, buf, state, "Confirm");
            Paragraph::new(Span::styled(
                sanitize_line(text),
                t.text().add_modifier(Modifier::BOLD),
            ))
            .wrap(Wrap { trim: false })
            .render(inner, buf);
            footer(inner, buf, state, "");
            buf.set_stringn(
                yes.x,
                yes.y,
                "[ Yes y ]",
                yes.width as usize,
                t.fg(t.button_danger).add_modifier(Modifier::BOLD),
            );
            buf.set_stringn(no.x, no.y, "[ No n ]", no.width as usize, t.fg(t.accent));
        }
        Modal::Ui {
            title, rendered, ..
        } => {
            let inner = frame(
                area,
                buf,
                state,
                if title.is_empty() { "Modal" } else { title },
            );
            uiview::render(&rendered.node, &rendered.ui, modal_body(area), buf, t, true);
            footer(inner, buf, state, "Enter press · j/k move · Esc close");
        }
        Modal::Composer(c) => composer::render(area, buf, c, t, &state.personal.keymap),
        Modal::Context(ed) => {
            // Four one-line fields, the visitor JSON, its check and the keys.
            let small = Rect::new(area.x, area.y, area.width.min(72), 20.min(area.height));
            ed.render(small, buf, t);
        }
        Modal::AddPlugin(field) => {
            let small = Rect::new(area.x, area.y, area.width.min(80), 6.min(area.height));
            let inner = frame(small, buf, state, "Launch a plugin");
            Paragraph::new(Span::styled(
                "Manifest, plugin directory (or a directory of them), or installed id:",
                t.muted(),
            ))
            .wrap(Wrap { trim: false })
            .render(
                Rect::new(inner.x, inner.y, inner.width, 2.min(inner.height)),
                buf,
            );
            if inner.height >= 3 {
                let mut ta = (**field).clone();
                ta.set_cursor_line_style(ratatui::style::Style::default());
                ta.render(Rect::new(inner.x, inner.y + 2, inner.width, 1), buf);
            }
            footer(inner, buf, state, "Enter launch · Esc cancel");
        }
        Modal::SaveStory(form) => {
            let small = Rect::new(area.x, area.y, area.width.min(80), 9.min(area.height));
            let inner = frame(small, buf, state, "Save as a story");
            let file = format!(
                "{}.scenario.yml",
                super::super::saving::slug(&form.name.lines().concat())
            );
            let to = form.dir.join(file);
            let mut lines = vec![
                Line::from(vec![
                    Span::styled("what  ", t.muted()),
                    Span::styled(sanitize_line(&form.what), t.fg(t.title)),
                ]),
                Line::from(""),
                Line::from(vec![
                    Span::styled(if form.snapshots { "[x] " } else { "[ ] " }, t.fg(t.accent)),
                    Span::styled("a {snapshot} expectation per step (Tab)", t.text()),
                ]),
                Line::from(vec![
                    Span::styled("file  ", t.muted()),
                    Span::styled(
                        sanitize_line(&crate::scenario::snapshot::shown(&to)),
                        t.muted(),
                    ),
                ]),
            ];
            if let Some(e) = &form.error {
                lines.push(Line::from(Span::styled(sanitize_line(e), t.fg(t.warning))));
            } else if form.saving {
                lines.push(Line::from(Span::styled("saving…", t.muted())));
            }
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .render(inner, buf);
            if inner.height >= 2 {
                let y = inner.y + 1;
                buf.set_stringn(inner.x, y, "name  ", 6, t.muted());
                let mut ta = form.name.clone();
                ta.set_cursor_line_style(ratatui::style::Style::default());
                ta.render(
                    Rect::new(inner.x + 6, y, inner.width.saturating_sub(6), 1),
                    buf,
                );
            }
            footer(
                inner,
                buf,
                state,
                "Enter save · Tab snapshots on/off · Esc cancel",
            );
        }
        Modal::Pending { selected } => {
            let inner = frame(area, buf, state, "Pending requests");
            let mut lines = Vec::new();
            if state.pending.is_empty() {
                lines.push(Line::from(Span::styled("Nothing in flight.", t.muted())));
            }
            for (i, p) in state.pending.iter().enumerate() {
                let elapsed = state.now.saturating_duration_since(p.since).as_secs_f64();
                let text = format!(
                    "#{:<5} {:<28} {:<24} {elapsed:>6.1} s",
                    p.id,
                    truncate_width(&sanitize_line(&p.method), 28),
                    truncate_width(&sanitize_line(&p.plugin_id), 24)
                );
                let style = if i == *selected {
                    t.selected()
                } else {
                    t.text()
                };
                lines.push(Line::from(Span::styled(text, style)));
            }
            Paragraph::new(lines).render(inner, buf);
            let keys = &state.personal.keymap;
            let hint = format!(
                "{} retry · {} cancel (stop waiting) · j/k move · Esc close",
                keys.shown(Scope::Pending, Action::Retry),
                keys.shown(Scope::Pending, Action::CancelRequest),
            );
            footer(inner, buf, state, &hint);
        }
    }
}
