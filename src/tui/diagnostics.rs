//! The diagnostics list under the render pane's UI: what validation found in the shown
//! JSON-UI and in the JSON-ACTION of the last event, in one list. Lines wrap instead of
//! being cut; `D` focuses the list (then `j`/`k`, `PgUp`/`PgDn`, `g`/`G` scroll it and `Esc`
//! leaves), the mouse wheel scrolls it, and when focused or zoomed it takes the room it needs.
//!
//! Its lines are a pure function of the state (so `update` and `view` agree on how many there
//! are); only the first [`MAX_LISTED`] diagnostics are drawn, so a table with a fault in each
//! of 200 000 rows costs a bounded draw.

use super::msg::Effect;
use super::state::{Pane, RenderSlot, Rendered, Shown, State};
use super::theme::Theme;
use super::view::ScreenLayout;
use crate::jsonui::{Diagnostic, Severity};
use crate::text::sanitize_line;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthChar;

/// Diagnostics drawn at most (the rest are counted).
pub const MAX_LISTED: usize = 200;
/// Lines the list shows while neither focused nor zoomed.
const COMPACT_LINES: u16 = 3;
/// Rows always left to the UI above the list.
const MIN_BODY: u16 = 4;

/// Where the diagnostics list stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiagList {
    /// `D` moved the keyboard into the list.
    pub focused: bool,
    /// First wrapped line shown.
    pub scroll: usize,
}

/// Whether the list has the keyboard (it keeps its flag while another pane is focused).
pub fn is_focused(state: &State) -> bool {
    state.diag.focused && state.focus == Pane::Render && state.show_diagnostics
}

/// The render shown (or the one kept under a spinner or an error).
fn shown_rendered(state: &State) -> Option<&Rendered> {
    match state.shown_slot()? {
        RenderSlot::Ready(r) => Some(r),
        RenderSlot::Pending { previous, .. } | RenderSlot::Failed { previous, .. } => {
            previous.as_deref()
        }
    }
}

/// The diagnostics of the shown UI, and those of the last event's answer when it came from
/// the plugin shown.
pub fn sources(state: &State) -> (&[Diagnostic], &[Diagnostic]) {
    let render = shown_rendered(state).map_or(&[][..], |r| &r.diagnostics[..]);
    let shown_plugin = match &state.shown {
        Some(Shown::Cap(k)) => Some(k.plugin_id.as_str()),
        _ => None,
    };
    let action = match &state.last_action {
        Some(a) if shown_plugin.is_none_or(|p| p == a.plugin_id) => &a.diagnostics[..],
        _ => &[][..],
    };
    (render, action)
}

/// How many diagnostics the list holds.
pub fn count(state: &State) -> usize {
    let (r, a) = sources(state);
    r.len() + a.len()
}

/// Breaks styled text into lines of at most `width` columns, at spaces where it can (inside
/// a word only when the word alone is wider); lines after the first are indented by `indent`.
pub fn wrap_spans(spans: &[Span<'_>], width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(indent + 2);
    let chars: Vec<(char, Style)> = spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    // Words: a run of non-spaces with the spaces that follow it.
    let mut words: Vec<&[(char, Style)]> = Vec::new();
    let mut start = 0;
    for i in 1..=chars.len() {
        let boundary = i == chars.len() || (chars[i - 1].0 == ' ' && chars[i].0 != ' ');
        if boundary {
            words.push(&chars[start..i]);
            start = i;
        }
    }
    let w = |cs: &[(char, Style)]| {
        cs.iter()
            .map(|(c, _)| c.width().unwrap_or(0))
            .sum::<usize>()
    };
    let mut lines: Vec<Vec<(char, Style)>> = vec![Vec::new()];
    let mut used = 0;
    // Whether the current line holds text yet (beyond its indent).
    let mut fresh = true;
    let next_line = |lines: &mut Vec<Vec<(char, Style)>>, used: &mut usize| {
        if let Some(last) = lines.last_mut() {
            while last.last().is_some_and(|(c, _)| *c == ' ') {
                last.pop();
            }
        }
        lines.push(vec![(' ', Style::default()); indent]);
        *used = indent;
    };
    for word in words {
        let trimmed = word
            .iter()
            .rposition(|(c, _)| *c != ' ')
            .map_or(0, |p| p + 1);
        if !fresh && used + w(&word[..trimmed]) > width {
            next_line(&mut lines, &mut used);
            fresh = true;
        }
        for &(c, style) in word {
            let cw = c.width().unwrap_or(0);
            if used + cw > width {
                if c == ' ' {
                    continue;
                }
                next_line(&mut lines, &mut used);
            }
            lines
                .last_mut()
                .expect("one line at least")
                .push((c, style));
            used += cw;
            fresh = false;
        }
    }
    lines
        .into_iter()
        .map(|cs| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for (c, style) in cs {
                match spans.last_mut() {
                    Some(s) if s.style == style => s.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            Line::from(spans)
        })
        .collect()
}

/// One diagnostic as wrapped lines: mark, path, message.
pub fn diagnostic_lines(d: &Diagnostic, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let (mark, colour) = match d.severity {
        Severity::Error => ("✖ ", theme.error),
        Severity::Warning => ("⚠ ", theme.warning),
    };
    let spans = [
        Span::styled(mark, theme.fg(colour)),
        Span::styled(sanitize_line(&d.path), theme.fg(theme.accent)),
        Span::styled(format!(": {}", sanitize_line(&d.message)), theme.text()),
    ];
    wrap_spans(&spans, width, 2)
}

/// The list's content (without its header line), wrapped at `width`.
pub fn lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let t = &state.theme;
    let width = width as usize;
    let (render, action) = sources(state);
    let mut out = Vec::new();
    let mut budget = MAX_LISTED;
    let mut section =
        |label: Option<String>, diags: &[Diagnostic], out: &mut Vec<Line<'static>>| {
            if let Some(label) = label {
                out.push(Line::from(Span::styled(
                    label,
                    t.fg(t.title).add_modifier(Modifier::BOLD),
                )));
            }
            for d in diags.iter().take(budget) {
                out.extend(diagnostic_lines(d, t, width));
            }
            let left = diags.len().saturating_sub(budget);
            budget = budget.saturating_sub(diags.len());
            if left > 0 {
                out.push(Line::from(Span::styled(
                    format!("… {left} more not listed (tgo-console check lists every one)"),
                    t.muted(),
                )));
            }
        };
    let labelled = !action.is_empty();
    if !render.is_empty() {
        let method = shown_rendered(state).map_or("render", |r| r.method.as_str());
        let label = labelled.then(|| format!("JSON-UI · {}", sanitize_line(method)));
        section(label, render, &mut out);
    }
    if labelled {
        let label = format!(
            "JSON-ACTION · last event · {}",
            sanitize_line(state.last_action.as_ref().map_or("", |a| a.action.name()))
        );
        section(Some(label), action, &mut out);
    }
    out
}

/// Rows the list takes at the bottom of the render pane's `inner` area (0 when there is
/// nothing to list or the list is hidden): three lines and its header normally, what it needs
/// (up to half the pane) when focused, and all but a few rows of the UI when zoomed.
pub fn height(state: &State, inner: Rect) -> u16 {
    if !state.show_diagnostics || count(state) == 0 || inner.height < 3 {
        return 0;
    }
    let wanted = lines(state, inner.width).len() as u16 + 1;
    let zoomed = state.zoom && state.focus == Pane::Render;
    let room = if zoomed {
        inner.height.saturating_sub(1 + MIN_BODY)
    } else if is_focused(state) {
        inner.height / 2
    } else {
        (COMPACT_LINES + 1).min(inner.height / 3)
    };
    wanted.min(room.max(2))
}

/// The first line shown, clamped so the list never scrolls into blank space.
fn first_line(state: &State, total: usize, visible: usize) -> usize {
    state.diag.scroll.min(total.saturating_sub(visible))
}

/// Draws the list into `area` (its header on the first row).
pub fn draw(area: Rect, buf: &mut Buffer, state: &State) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let t = &state.theme;
    let content = lines(state, area.width);
    let visible = area.height as usize - 1;
    let first = first_line(state, content.len(), visible);
    let focused = is_focused(state);
    let (render, action) = sources(state);
    let errors = render.iter().chain(action).filter(|d| d.is_error()).count();
    let warnings = render.len() + action.len() - errors;
    // The counts first, then what to press, then where the view is: as much as fits, the
    // counts said briefly when that lets the position fit too.
    let mut rest = vec![if focused { "Esc back" } else { "D read" }.to_string()];
    if content.len() > visible {
        rest.push(format!(
            "{}–{}/{}",
            first + 1,
            (first + visible).min(content.len()),
            content.len()
        ));
    }
    rest.push(if focused { "j k PgUp PgDn" } else { "d hide" }.to_string());
    let counted = |n: usize, word: &str| match n {
        0 => None,
        1 => Some(format!("1 {word}")),
        n => Some(format!("{n} {word}s")),
    };
    let short = [counted(errors, "error"), counted(warnings, "warning")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let long = format!("diagnostics: {short}");
    let fits = |first: &str, n: usize| {
        let w: usize = rest[..n].iter().map(|p| 3 + crate::text::width(p)).sum();
        crate::text::width(first) + w <= area.width as usize
    };
    let wanted = rest.len().min(2);
    let counts = if fits(&long, wanted) || !fits(&short, wanted) {
        long
    } else {
        short
    };
    let mut head = counts;
    for part in rest {
        if crate::text::width(&head) + 3 + crate::text::width(&part) > area.width as usize {
            break;
        }
        head.push_str(" · ");
        head.push_str(&part);
    }
    let head_style = if focused {
        t.fg(t.accent)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    } else {
        t.muted().add_modifier(Modifier::UNDERLINED)
    };
    let mut shown: Vec<Line<'static>> = vec![Line::from(Span::styled(head, head_style))];
    shown.extend(content.into_iter().skip(first).take(visible));
    Paragraph::new(shown).render(area, buf);
}

/// Scrolls by `delta` lines (clamped to the content).
fn scroll_by(state: &mut State, layout: &ScreenLayout, delta: isize) {
    let area = layout.diagnostics;
    let visible = (area.height as usize).saturating_sub(1);
    let total = lines(state, area.width).len();
    let current = first_line(state, total, visible);
    state.diag.scroll = current
        .saturating_add_signed(delta)
        .min(total.saturating_sub(visible));
}

/// A key in the render pane: `D` enters (or leaves) the list; while it is focused, the
/// moving keys scroll it and `Esc` leaves. `None` for keys it leaves to the UI and the rest.
pub fn on_key(
    state: &mut State,
    key: KeyEvent,
    layout: impl Fn(&State) -> ScreenLayout,
) -> Option<Vec<Effect>> {
    if key.code == KeyCode::Char('D') {
        if state.diag.focused && state.show_diagnostics {
            state.diag.focused = false;
        } else if count(state) == 0 {
            super::update::toast(
                state,
                super::state::ToastKind::Info,
                "no diagnostics here".into(),
                std::time::Duration::from_secs(2),
            );
        } else {
            state.show_diagnostics = true;
            state.diag.focused = true;
        }
        return Some(Vec::new());
    }
    if !is_focused(state) {
        return None;
    }
    let l = layout(state);
    let page = (l.diagnostics.height as isize - 2).max(1);
    match key.code {
        KeyCode::Esc => state.diag.focused = false,
        KeyCode::Down | KeyCode::Char('j') => scroll_by(state, &l, 1),
        KeyCode::Up | KeyCode::Char('k') => scroll_by(state, &l, -1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll_by(state, &l, page),
        KeyCode::PageUp => scroll_by(state, &l, -page),
        KeyCode::Home | KeyCode::Char('g') => state.diag.scroll = 0,
        KeyCode::End | KeyCode::Char('G') => scroll_by(state, &l, isize::MAX / 2),
        // The UI's own moving keys do nothing while the list has the keyboard.
        KeyCode::Enter
        | KeyCode::Left
        | KeyCode::Right
        | KeyCode::Char('h')
        | KeyCode::Char('l') => {}
        _ => return None,
    }
    Some(Vec::new())
}

/// The mouse wheel over the list.
pub fn on_wheel(state: &mut State, layout: &ScreenLayout, down: bool) {
    scroll_by(state, layout, if down { 3 } else { -3 });
}

/// A click on the list focuses it.
pub fn on_click(state: &mut State) {
    state.focus = Pane::Render;
    state.diag.focused = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn long_lines_wrap_at_spaces_with_a_hanging_indent() {
        let spans = [
            Span::raw("✖ "),
            Span::raw("$.data.items[0].data.columns[1].key"),
            Span::raw(": column \"reason_text\" is empty in every row; rows have \"reason\""),
        ];
        let lines = wrap_spans(&spans, 40, 2);
        assert_eq!(
            text(&lines),
            [
                "✖ $.data.items[0].data.columns[1].key:",
                "  column \"reason_text\" is empty in every",
                "  row; rows have \"reason\"",
            ]
        );
        assert!(lines.iter().all(|l| l.width() <= 40));
        // A word wider than the line is broken inside.
        let long = wrap_spans(&[Span::raw("x".repeat(25))], 10, 2);
        assert_eq!(text(&long), ["xxxxxxxxxx", "  xxxxxxxx", "  xxxxxxx"]);
        // Wide characters never straddle the edge.
        let cjk = wrap_spans(&[Span::raw("客户档案客户档案")], 7, 0);
        assert!(cjk.iter().all(|l| l.width() <= 7), "{:?}", text(&cjk));
    }
}
