//! The diagnostics list under the render pane's UI: what validation found in the shown
//! JSON-UI and in the JSON-ACTION of the last event, in one list. Lines wrap instead of
//! being cut; `D` focuses the list (then `j`/`k`, `PgUp`/`PgDn`, `g`/`G` scroll it and `Esc`
//! leaves), the mouse wheel scrolls it, and when focused or zoomed it takes the room it needs.
//!
//! The list scrolls by entry (a diagnostic, or a section's label), and only the entries on
//! screen are wrapped, so a UI with thousands of faults costs a draw of what fits; at most
//! [`MAX_LISTED`] are listed (the rest are counted).

use super::action::Action;
use super::msg::Effect;
use super::state::{EventOutcome, EventRecord, Pane, RenderSlot, Rendered, Shown, State};
use super::theme::Theme;
use super::wrap::{diagnostic_lines, wrap_spans};
use crate::jsonui::Diagnostic;
use crate::text::sanitize_line;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Diagnostics listed at most (the rest are counted).
pub const MAX_LISTED: usize = 200;
/// Lines the list shows while neither focused nor zoomed.
const COMPACT_LINES: u16 = 3;
/// Rows always left to the UI above the list.
const MIN_BODY: u16 = 4;

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
    let shown_plugin = match &state.render.shown {
        Some(Shown::Cap(k)) => Some(k.plugin_id.as_str()),
        _ => None,
    };
    let action = match &state.activity.last_event {
        Some(EventRecord {
            plugin_id,
            outcome: EventOutcome::Action { diagnostics, .. },
            ..
        }) if shown_plugin.is_none_or(|p| p == plugin_id) => &diagnostics[..],
        _ => &[][..],
    };
    (render, action)
}

/// How many diagnostics the list holds.
pub fn count(state: &State) -> usize {
    let (r, a) = sources(state);
    r.len() + a.len()
}

/// One entry of the list.
enum Entry<'a> {
    /// A section's heading (when the render's and the event's diagnostics are both listed).
    Label(String),
    /// A diagnostic, with its number among all listed.
    Diag(&'a Diagnostic, usize),
    /// The diagnostics of a section left out.
    More(usize),
}

/// The list's entries, in order (cheap: nothing is formatted yet).
fn entries(state: &State) -> Vec<Entry<'_>> {
    let (render, action) = sources(state);
    let mut out = Vec::new();
    let mut budget = MAX_LISTED;
    let mut number = 0;
    let labelled = !action.is_empty();
    if !render.is_empty() {
        let method = shown_rendered(state).map_or("render", |r| r.method.as_str());
        let label = labelled.then(|| format!("JSON-UI · {}", sanitize_line(method)));
        section(label, render, &mut out, &mut budget, &mut number);
    }
    if labelled {
        let name = state
            .activity
            .last_event
            .as_ref()
            .and_then(|e| e.action())
            .map_or("", |a| a.name());
        let label = format!("JSON-ACTION · last event · {}", sanitize_line(name));
        section(Some(label), action, &mut out, &mut budget, &mut number);
    }
    out
}

/// Adds a section: its label, its diagnostics within `budget`, a count of the rest.
fn section<'a>(
    label: Option<String>,
    diags: &'a [Diagnostic],
    out: &mut Vec<Entry<'a>>,
    budget: &mut usize,
    number: &mut usize,
) {
    out.extend(label.map(Entry::Label));
    for d in diags.iter().take(*budget) {
        out.push(Entry::Diag(d, *number));
        *number += 1;
    }
    if diags.len() > *budget {
        out.push(Entry::More(diags.len() - *budget));
        *number += diags.len() - *budget;
    }
    *budget = budget.saturating_sub(diags.len());
}

fn entry_lines(e: &Entry<'_>, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    match e {
        Entry::Label(label) => wrap_spans(
            &[Span::styled(
                label.clone(),
                theme.fg(theme.title).add_modifier(Modifier::BOLD),
            )],
            width,
            2,
        ),
        Entry::Diag(d, _) => diagnostic_lines(d, theme, width),
        Entry::More(n) => vec![Line::from(Span::styled(
            format!("… {n} more not listed (tgo-console check lists every one)"),
            theme.muted(),
        ))],
    }
}

/// Lines of the entries from `first` on, until `max` lines (wrapped at `width`), and how
/// many entries they come from.
fn lines_from(
    state: &State,
    list: &[Entry<'_>],
    first: usize,
    width: u16,
    max: usize,
) -> (Vec<Line<'static>>, usize) {
    let mut out = Vec::new();
    let mut used = 0;
    for e in list.iter().skip(first) {
        if out.len() >= max {
            break;
        }
        out.extend(entry_lines(e, &state.theme, width as usize));
        used += 1;
    }
    (out, used)
}

/// The last first entry that still fills `visible` lines: scrolling stops there, so the
/// list never scrolls into blank space. Wraps only the entries at the end.
fn last_first(state: &State, list: &[Entry<'_>], width: u16, visible: usize) -> usize {
    let mut lines = 0;
    for (i, e) in list.iter().enumerate().rev() {
        lines += entry_lines(e, &state.theme, width as usize).len();
        if lines > visible {
            // An entry taller than the list is shown from its top.
            return (i + 1).min(list.len() - 1);
        }
    }
    0
}

/// Rows the list takes at the bottom of the render pane's `inner` area (0 when there is
/// nothing to list or the list is hidden): three lines and its header normally, what it needs
/// (up to half the pane) when focused, and all but a few rows of the UI when zoomed.
pub fn height(state: &State, inner: Rect) -> u16 {
    if !state.show_diagnostics || count(state) == 0 || inner.height < 3 {
        return 0;
    }
    let zoomed = state.zoom && state.focus == Pane::Render;
    let room = if zoomed {
        inner.height.saturating_sub(1 + MIN_BODY)
    } else if is_focused(state) {
        inner.height / 2
    } else {
        (COMPACT_LINES + 1).min(inner.height / 3)
    }
    .max(2);
    let list = entries(state);
    let wanted = lines_from(state, &list, 0, inner.width, room as usize)
        .0
        .len() as u16
        + 1;
    wanted.min(room)
}

/// Draws the list into `area` (its header on the first row).
pub fn draw(area: Rect, buf: &mut Buffer, state: &State) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let t = &state.theme;
    let list = entries(state);
    let visible = area.height as usize - 1;
    // Clamped so the list never scrolls into blank space (nothing to clamp at the top).
    let first = match state.diag.scroll {
        0 => 0,
        s => s.min(last_first(state, &list, area.width, visible)),
    };
    let (content, used) = lines_from(state, &list, first, area.width, visible);
    let focused = is_focused(state);
    let (render, action) = sources(state);
    let total = render.len() + action.len();
    let errors = render.iter().chain(action).filter(|d| d.is_error()).count();
    let warnings = total - errors;
    // Which diagnostics are (at least partly) on screen, for "3–7 of 12".
    let numbers: Vec<usize> = list[first..first + used]
        .iter()
        .filter_map(|e| match e {
            Entry::Diag(_, n) => Some(*n),
            _ => None,
        })
        .collect();
    let all_shown =
        first == 0 && used == list.len() && content.len() <= visible && total <= MAX_LISTED;
    // The counts first, then what to press, then where the view is: as much as fits, the
    // counts said briefly when that lets the position fit too.
    let mut rest = vec![if focused { "Esc back" } else { "D read" }.to_string()];
    if let (true, false, Some(a), Some(b)) = (focused, all_shown, numbers.first(), numbers.last()) {
        rest.push(format!("{}–{} of {total}", a + 1, b + 1));
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
    let mut head = if fits(&long, wanted) || !fits(&short, wanted) {
        long
    } else {
        short
    };
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
    shown.extend(content.into_iter().take(visible));
    Paragraph::new(shown).render(area, buf);
}

/// Scrolls by `delta` entries (clamped to the content).
fn scroll_by(state: &mut State, area: Rect, delta: isize) {
    let visible = (area.height as usize).saturating_sub(1);
    let last = {
        let list = entries(state);
        last_first(state, &list, area.width, visible)
    };
    state.diag.scroll = state
        .diag
        .scroll
        .min(last)
        .saturating_add_signed(delta)
        .min(last);
}

/// An action in the render pane about the list: `focus_diagnostics` enters it; while it is
/// focused (the `diagnostics` scope), moving scrolls it and `close` leaves. `None` for what it
/// leaves to the UI and the rest.
pub fn on_action(state: &mut State, action: Action, list: Rect) -> Option<Vec<Effect>> {
    if action == Action::FocusDiagnostics {
        if count(state) == 0 {
            state.toast(
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
    // A page of entries: most take a line or two.
    let page = (list.height as isize / 2).max(1);
    match action {
        Action::Close => state.diag.focused = false,
        Action::MoveDown => scroll_by(state, list, 1),
        Action::MoveUp => scroll_by(state, list, -1),
        Action::PageDown => scroll_by(state, list, page),
        Action::PageUp => scroll_by(state, list, -page),
        Action::Top => state.diag.scroll = 0,
        Action::Bottom => scroll_by(state, list, isize::MAX / 2),
        _ => return None,
    }
    Some(Vec::new())
}

/// The mouse wheel over the list.
pub fn on_wheel(state: &mut State, list: Rect, down: bool) {
    scroll_by(state, list, if down { 3 } else { -3 });
}

/// A click on the list focuses it.
pub fn on_click(state: &mut State) {
    state.focus = Pane::Render;
    state.diag.focused = true;
}
