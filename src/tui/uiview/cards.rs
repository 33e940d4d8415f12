//! Boxed templates: `card`, `cards` (grid or list of selectable items), `stats`.

use ratatui::style::Modifier;

use super::canvas::{At, Ctx};
use super::controls;
use super::fit;
use super::path::node_id;
use super::text::opt_heading;
use super::{Items, Target, TargetKind};
use crate::jsonui::{Card, Cards, CardsLayout, StatItem, Stats};
use crate::text::sanitize_line;

/// Narrowest card in a `cards` grid.
const MIN_CARD: u16 = 24;
/// Lines of a grid card: border, title, description, price, border.
const CARD_H: u32 = 5;
/// Narrowest `stats` box.
const MIN_STAT: u16 = 14;
/// Lines of a `stats` box: border, label, value, trend, border.
const STAT_H: u32 = 5;

/// The box inside a border with one column of padding, or the block itself when too narrow
/// for a border.
fn inside(at: At) -> (At, bool) {
    if at.w >= 6 {
        (
            At {
                x: at.x + 2,
                y: at.y + 1,
                w: at.w - 4,
            },
            true,
        )
    } else {
        (at, false)
    }
}

/// `card`: a bordered box with title, subtitle, fields, tags, action buttons and footer.
pub(crate) fn card(cx: &mut Ctx, c: &Card, path: &str, at: At) -> u32 {
    let (inner, boxed) = inside(at);
    let mut y = inner.y;
    y += opt_heading(cx, c.title.as_ref(), inner);
    if let Some(sub) = &c.subtitle {
        cx.put(inner.x, y, sub, inner.w, cx.theme.muted());
        y += 1;
    }
    let labels: Vec<String> = c.fields.iter().map(|f| sanitize_line(&f.label)).collect();
    let label_w = labels
        .iter()
        .map(|l| fit::width(l))
        .max()
        .unwrap_or(0)
        .min(usize::from(inner.w / 2)) as u16;
    for (f, label) in c.fields.iter().zip(&labels) {
        cx.put(inner.x, y, label, label_w, cx.theme.muted());
        let v = inner.indent(label_w + 2);
        let st = if f.highlight {
            cx.theme.fg(cx.theme.accent).add_modifier(Modifier::BOLD)
        } else {
            cx.theme.fg(cx.theme.fg)
        };
        cx.put(v.x, y, &f.value, v.w, st);
        y += 1;
    }
    if !c.tags.is_empty() {
        let widths: Vec<usize> = c
            .tags
            .iter()
            .map(|t| fit::width(&sanitize_line(&t.text)) + 2)
            .collect();
        let (pos, lines) = fit::flow(&widths, inner.cols(), 1);
        for (t, &(line, x)) in c.tags.iter().zip(&pos) {
            let room = inner.w.saturating_sub(x);
            controls::pill(cx, inner.x + x, y + line, room, &t.text, t.color.as_deref());
        }
        y += lines;
    }
    if !c.actions.is_empty() {
        y += controls::action_bar(cx, &c.actions, path, "a", inner.down(y - inner.y));
    }
    if let Some(footer) = &c.footer {
        cx.put(inner.x, y, footer, inner.w, cx.theme.muted());
        y += 1;
    }
    if boxed {
        let h = y - at.y + 1;
        cx.frame(at, h, None, cx.theme.border(false), false);
        h
    } else {
        y - at.y
    }
}

/// `cards`: a grid of boxes when wide enough (unless `layout: list`), else a list; the
/// selected item has a heavy border (grid) or a marker (list) while focused.
pub(crate) fn cards(cx: &mut Ctx, c: &Cards, path: &str, at: At) -> u32 {
    let top = at.y + opt_heading(cx, c.title.as_ref(), at);
    let n = c.items.len();
    if n == 0 {
        cx.put(at.x, top, "(no items)", at.w, cx.theme.muted());
        return top - at.y + 1;
    }
    let id = node_id(path);
    let focused = cx.is_focused(&id);
    let sel = cx.state.selected(path, n);
    let gap = 2u16;
    let grid = c.layout != Some(CardsLayout::List) && at.w >= MIN_CARD * 2 + gap;
    let items = if grid {
        let cols = (at.w.saturating_add(gap) / (MIN_CARD + gap))
            .clamp(1, n.min(usize::from(u16::MAX)) as u16);
        let w = (at.w - gap * (cols - 1)) / cols;
        Items::Grid {
            y: top,
            x: at.x,
            count: n,
            cols,
            w,
            h: CARD_H,
            gap,
            vgap: 0,
        }
    } else {
        let h = if c.items.iter().any(|i| i.description.is_some()) {
            2
        } else {
            1
        };
        Items::Grid {
            y: top,
            x: at.x,
            count: n,
            cols: 1,
            w: at.w,
            h,
            gap: 0,
            vgap: 0,
        }
    };
    let mut bottom = top;
    for (i, item) in c.items.iter().enumerate() {
        let Some((x, y, w, h)) = items.rect(i) else {
            break;
        };
        bottom = y + h;
        if !cx.shows_any(y, h) {
            continue;
        }
        let chosen = focused && i == sel;
        let title_st = cx.theme.fg(cx.theme.title).add_modifier(Modifier::BOLD);
        let price_st = cx.theme.fg(cx.theme.accent);
        if grid {
            let border = if chosen {
                cx.theme.border(true)
            } else {
                cx.theme.border(false)
            };
            cx.frame(At { x, y, w }, h, None, border, chosen);
            let inner = At {
                x: x + 2,
                y: y + 1,
                w: w.saturating_sub(4),
            };
            cx.put(inner.x, inner.y, &item.title, inner.w, title_st);
            if let Some(d) = &item.description {
                cx.put(inner.x, inner.y + 1, d, inner.w, cx.theme.muted());
            }
            if let Some(p) = &item.price {
                cx.put(inner.x, inner.y + 2, p, inner.w, price_st);
            }
        } else {
            if chosen {
                cx.paint(x, y, w, h, cx.theme.selected());
            }
            let marker = if chosen { "›" } else { "•" };
            cx.put(x, y, marker, 1, cx.theme.muted());
            let body = At { x, y, w }.indent(2);
            let pw = item
                .price
                .as_deref()
                .map_or(0, |p| fit::width(&sanitize_line(p)) as u16);
            let tw = cx.put(
                body.x,
                y,
                &item.title,
                body.w.saturating_sub(pw + 2),
                title_st,
            );
            if let Some(p) = &item.price
                && tw + 2 < body.w
            {
                cx.put(body.x + tw + 2, y, p, body.w - tw - 2, price_st);
            }
            if let Some(d) = &item.description
                && h > 1
            {
                cx.put(body.x, y + 1, d, body.w, cx.theme.muted());
            }
        }
    }
    let label = format!("item {}/{}: {}", sel + 1, n, c.items[sel].title);
    let place = At { y: top, ..at };
    cx.target(
        Target::new(
            id,
            TargetKind::CardsItems,
            place,
            bottom - top,
            &label,
            path,
        )
        .items(items),
    );
    bottom - at.y
}

/// `stats`: boxes side by side (wrapping onto more rows when narrow).
pub(crate) fn stats(cx: &mut Ctx, s: &Stats, at: At) -> u32 {
    let n = s.items.len();
    if n == 0 {
        return 0;
    }
    let per_row = usize::from((at.w + 1) / (MIN_STAT + 1)).clamp(1, n);
    // Each box and the gap after it share the width evenly, so lines end flush.
    let slot = |col: usize| (col * (usize::from(at.w) + 1) / per_row) as u16;
    for (i, item) in s.items.iter().enumerate() {
        let (row, col) = ((i / per_row) as u32, i % per_row);
        let place = At {
            x: at.x + slot(col),
            y: at.y + row * STAT_H,
            w: (slot(col + 1) - slot(col)).saturating_sub(1),
        };
        if cx.shows_any(place.y, STAT_H) {
            stat(cx, item, place);
        }
    }
    n.div_ceil(per_row) as u32 * STAT_H
}

fn stat(cx: &mut Ctx, item: &StatItem, at: At) {
    cx.frame(at, STAT_H, None, cx.theme.border(false), false);
    let inner = At {
        x: at.x + 1,
        y: at.y + 1,
        w: at.w.saturating_sub(2),
    };
    cx.put(inner.x, inner.y, &item.label, inner.w, cx.theme.muted());
    let mut st = cx.theme.fg(cx.theme.title).add_modifier(Modifier::BOLD);
    if let Some(c) = &item.color {
        st = st.fg(cx.theme.named(c));
    }
    cx.put(inner.x, inner.y + 1, &item.value, inner.w, st);
    if let Some(trend) = &item.trend {
        let kind = item.trend_type.as_deref().unwrap_or("");
        let up = match kind {
            "up" | "increase" | "positive" => Some(true),
            "down" | "decrease" | "negative" => Some(false),
            _ if trend.starts_with('+') => Some(true),
            _ if trend.starts_with('-') => Some(false),
            _ => None,
        };
        let (arrow, color) = match up {
            Some(true) => ("↑ ", cx.theme.success),
            Some(false) => ("↓ ", cx.theme.error),
            None => ("", cx.theme.muted),
        };
        let text = format!("{arrow}{}", sanitize_line(trend));
        cx.put(inner.x, inner.y + 2, &text, inner.w, cx.theme.fg(color));
    }
}
