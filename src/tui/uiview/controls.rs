//! Buttons: the `button` template, `action` bars (also a card's actions), and the shared
//! button look used by forms, lists and empty states. A focused button swaps its brackets
//! for `» «`, so focus shows even without colour.

use ratatui::style::{Modifier, Style};

use super::canvas::{At, Ctx};
use super::fit;
use super::path::{child, node_id};
use super::{Part, Target, TargetKind};
use crate::jsonui::{ActionButton, ActionButtonType, Button, ButtonType};
use crate::text::sanitize_line;

/// How a button is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    Primary,
    Secondary,
    Danger,
    /// Underlined, link-coloured, no background.
    Link,
    /// Accent-coloured, no background.
    Ghost,
    Disabled,
}

impl Look {
    pub(crate) fn of_button(kind: Option<&ButtonType>, disabled: bool) -> Look {
        match kind {
            _ if disabled => Look::Disabled,
            Some(ButtonType::Secondary) => Look::Secondary,
            Some(ButtonType::Danger) => Look::Danger,
            Some(ButtonType::Link) => Look::Link,
            _ => Look::Primary,
        }
    }

    pub(crate) fn of_action(b: &ActionButton) -> Look {
        match &b.kind {
            _ if b.disabled || b.loading => Look::Disabled,
            Some(ActionButtonType::Primary) => Look::Primary,
            Some(ActionButtonType::Danger) => Look::Danger,
            Some(ActionButtonType::Ghost) => Look::Ghost,
            _ => Look::Secondary,
        }
    }
}

/// The style of a button with this look.
pub(crate) fn style(cx: &Ctx, look: Look, focused: bool) -> Style {
    let t = cx.theme;
    let base = match look {
        Look::Primary => Style::new()
            .fg(t.button_fg.0)
            .bg(t.button_primary.0)
            .add_modifier(Modifier::BOLD),
        Look::Secondary => Style::new().fg(t.button_fg.0).bg(t.button_secondary.0),
        Look::Danger => Style::new().fg(t.button_fg.0).bg(t.button_danger.0),
        Look::Link => Style::new()
            .fg(t.button_link.0)
            .add_modifier(Modifier::UNDERLINED),
        Look::Ghost => Style::new().fg(t.accent.0),
        Look::Disabled => Style::new().fg(t.disabled.0),
    };
    if focused {
        base.add_modifier(Modifier::REVERSED | Modifier::BOLD)
    } else {
        base
    }
}

/// `[ label ]` (or `» label «` when focused) in at most `max` columns; `label` is escaped.
pub(crate) fn caption(label: &str, max: usize, focused: bool, loading: bool) -> String {
    let mut label = sanitize_line(label);
    if loading {
        label.insert_str(0, "⠋ ");
    }
    let (open, close) = if focused { ("»", "«") } else { ("[", "]") };
    if max < 5 {
        return fit::fit(&format!("{open}{label}{close}"), max).into_owned();
    }
    format!("{open} {} {close}", fit::fit(&label, max - 4))
}

/// Draws one button at column `x`, line `y` within `w` columns; returns its width.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw(
    cx: &mut Ctx,
    x: u16,
    y: u32,
    w: u16,
    label: &str,
    look: Look,
    focused: bool,
    loading: bool,
) -> u16 {
    let text = caption(label, usize::from(w), focused, loading);
    let st = style(cx, look, focused);
    cx.put(x, y, &text, w, st)
}

/// The `button` template: one line.
pub(crate) fn button(cx: &mut Ctx, b: &Button, path: &str, at: At) -> u32 {
    let id = node_id(path);
    let focused = cx.is_focused(&id);
    let look = Look::of_button(b.kind.as_ref(), b.disabled);
    let w = draw(cx, at.x, at.y, at.w, &b.label, look, focused, false);
    cx.target(
        Target::new(id, TargetKind::Button, At { w, ..at }, 1, &b.label, path).disabled(b.disabled),
    );
    1
}

/// A row of buttons that wraps; target ids are `<path>.<prefix><i>`. Returns its lines.
pub(crate) fn action_bar(
    cx: &mut Ctx,
    buttons: &[ActionButton],
    path: &str,
    prefix: &str,
    at: At,
) -> u32 {
    let widths: Vec<usize> = buttons
        .iter()
        .map(|b| fit::width(&caption(&b.label, at.cols(), false, b.loading)))
        .collect();
    let (pos, lines) = fit::flow(&widths, at.cols(), 1);
    for (i, (b, &(line, x))) in buttons.iter().zip(&pos).enumerate() {
        let id = child(path, &format!("{prefix}{i}"));
        let focused = cx.is_focused(&id);
        let (bx, y) = (at.x + x, at.y + line);
        let room = at.w.saturating_sub(x);
        let w = draw(
            cx,
            bx,
            y,
            room,
            &b.label,
            Look::of_action(b),
            focused,
            b.loading,
        );
        let place = At { x: bx, y, w };
        cx.target(
            Target::new(id, TargetKind::Button, place, 1, &b.label, path)
                .part(Part::Button(i))
                .disabled(b.disabled || b.loading),
        );
    }
    lines
}

/// A coloured pill ` text ` (badges, tags); returns its width.
pub(crate) fn pill(cx: &mut Ctx, x: u16, y: u32, w: u16, text: &str, color: Option<&str>) -> u16 {
    let bg = cx.theme.named(color.unwrap_or("blue"));
    let st = Style::new().fg(cx.theme.button_fg.0).bg(bg);
    let text = format!(
        " {} ",
        fit::fit(&sanitize_line(text), usize::from(w).saturating_sub(2))
    );
    cx.put(x, y, &text, w, st)
}
