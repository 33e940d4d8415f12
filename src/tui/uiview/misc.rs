//! `list`, `timeline`, `empty`, `loading`, and the raw-JSON box shown for unknown templates
//! and values that are not JSON-UI at all.

use ratatui::style::Modifier;
use serde_json::Value;

use super::canvas::{At, Ctx};
use super::controls::{self, Look};
use super::fit;
use super::path::{child, node_id};
use super::text::opt_heading;
use super::{Items, Part, Target, TargetKind};
use crate::jsonui::{Empty, List, Loading, Timeline, TimelineStatus};
use crate::text::{sanitize_line, sanitize_multiline};

/// `list`: one or two lines per item (caption and time, then description); items with an id
/// are selectable; `show_more` adds a "More" button.
pub(crate) fn list(cx: &mut Ctx, l: &List, path: &str, at: At) -> u32 {
    let mut y = at.y + opt_heading(cx, l.title.as_ref(), at);
    let id = node_id(path);
    let n = l.items.len();
    let focused = cx.is_focused(&id);
    let sel = cx.state.selected(path, n);
    if n == 0 {
        cx.put(at.x, y, "(no items)", at.w, cx.theme.muted());
        y += 1;
    }
    let top = y;
    let mut starts = Vec::with_capacity(n);
    for (i, item) in l.items.iter().enumerate() {
        starts.push(y);
        let h = 1 + u32::from(item.description.is_some());
        if cx.shows_any(y, h) {
            let chosen = focused && i == sel;
            if chosen {
                cx.paint(at.x, y, at.w, h, cx.theme.selected());
            }
            cx.put(at.x, y, if chosen { "›" } else { "•" }, 1, cx.theme.muted());
            let body = at.indent(2).down(y - at.y);
            let time = item.time.as_deref().map(sanitize_line).unwrap_or_default();
            let tw = fit::width(&time) as u16;
            let room = if tw > 0 && tw + 2 < body.w {
                body.w - tw - 2
            } else {
                body.w
            };
            let mut st = cx.theme.fg(cx.theme.fg);
            if item.title.is_some() {
                st = st.add_modifier(Modifier::BOLD);
            }
            if chosen {
                st = st.patch(cx.theme.selected());
            }
            cx.put(body.x, y, item.caption(), room, st);
            if room < body.w {
                cx.put(body.x + body.w - tw, y, &time, tw, cx.theme.muted());
            }
            if let Some(d) = &item.description {
                cx.put(body.x, y + 1, d, body.w, cx.theme.muted());
            }
        }
        y += h;
    }
    if l.items.iter().any(|i| i.id.is_some()) {
        let item = &l.items[sel];
        let label = format!("item {}/{}: {}", sel + 1, n, item.caption());
        let items = Items::Lines {
            x: at.x,
            w: at.w,
            starts,
            end: y,
        };
        let place = At { y: top, ..at };
        cx.target(
            Target::new(id, TargetKind::ListItems, place, y - top, &label, path).items(items),
        );
    }
    if l.show_more && l.more_action.is_some() {
        let id = child(path, "more");
        let focused = cx.is_focused(&id);
        let w = controls::draw(cx, at.x, y, at.w, "More", Look::Ghost, focused, false);
        let place = At { y, w, ..at };
        cx.target(Target::new(id, TargetKind::Button, place, 1, "More", path).part(Part::More));
        y += 1;
    }
    y - at.y
}

/// `timeline`: a coloured dot, the time and title, then the description beside a connector.
pub(crate) fn timeline(cx: &mut Ctx, t: &Timeline, at: At) -> u32 {
    let mut y = at.y + opt_heading(cx, t.title.as_ref(), at);
    let body = at.indent(2);
    for (i, item) in t.items.iter().enumerate() {
        let th = cx.theme;
        let dot = match item.status {
            TimelineStatus::Success => th.success,
            TimelineStatus::Info => th.info,
            TimelineStatus::Warning => th.warning,
            TimelineStatus::Error => th.error,
            _ => th.muted,
        };
        cx.put(at.x, y, "●", 1, th.fg(dot));
        let mut x = 0;
        if let Some(time) = &item.time {
            x = cx.put(body.x, y, time, body.w, th.muted()) + 2;
        }
        let st = th.fg(th.title).add_modifier(Modifier::BOLD);
        cx.put(
            body.x + x.min(body.w),
            y,
            &item.title,
            body.w.saturating_sub(x),
            st,
        );
        y += 1;
        let last = i + 1 == t.items.len();
        if let Some(d) = &item.description {
            for para in sanitize_multiline(d).split('\n') {
                for line in fit::wrap(para, body.cols()) {
                    if !last {
                        cx.put(at.x, y, "│", 1, th.border(false));
                    }
                    cx.put(body.x, y, &line, body.w, th.fg(th.fg));
                    y += 1;
                }
            }
        }
    }
    y - at.y
}

/// Centres `text` (already escaped) in `at`'s width on line `y`.
fn centred(cx: &mut Ctx, at: At, y: u32, text: &str, style: ratatui::style::Style) {
    let w = (fit::width(text) as u16).min(at.w);
    cx.put(at.x + (at.w - w) / 2, y, text, at.w, style);
}

/// `empty`: icon name, title, description and an optional button, centred.
pub(crate) fn empty(cx: &mut Ctx, e: &Empty, path: &str, at: At) -> u32 {
    let mut y = at.y;
    if let Some(icon) = &e.icon {
        centred(
            cx,
            at,
            y,
            &format!("({})", sanitize_line(icon)),
            cx.theme.muted(),
        );
        y += 1;
    }
    let st = cx.theme.fg(cx.theme.title).add_modifier(Modifier::BOLD);
    centred(cx, at, y, &sanitize_line(&e.title), st);
    y += 1;
    if let Some(d) = &e.description {
        for para in sanitize_multiline(d).split('\n') {
            for line in fit::wrap(para, at.cols()) {
                centred(cx, at, y, &line, cx.theme.muted());
                y += 1;
            }
        }
    }
    if let Some(a) = &e.action {
        let id = child(path, "action");
        let focused = cx.is_focused(&id);
        let w = fit::width(&controls::caption(&a.label, at.cols(), focused, false)) as u16;
        let x = at.x + (at.w - w.min(at.w)) / 2;
        let w = controls::draw(cx, x, y, at.w, &a.label, Look::Primary, focused, false);
        cx.target(
            Target::new(id, TargetKind::Button, At { x, y, w }, 1, &a.label, path)
                .part(Part::EmptyAction),
        );
        y += 1;
    }
    y - at.y
}

/// `loading`: a (static) spinner glyph and the text.
pub(crate) fn loading(cx: &mut Ctx, l: &Loading, at: At) -> u32 {
    cx.put(at.x, at.y, "⠋", 1, cx.theme.fg(cx.theme.accent));
    let text = l.text.as_deref().unwrap_or("Loading…");
    if at.w > 2 {
        cx.put(at.x + 2, at.y, text, at.w - 2, cx.theme.muted());
    }
    1
}

/// A bordered box titled `title` holding `raw` pretty-printed (and escaped), so nothing a
/// plugin sends is dropped silently.
pub(crate) fn raw_box(cx: &mut Ctx, title: &str, raw: &Value, at: At) -> u32 {
    let pretty = match raw {
        Value::String(s) => s.clone(),
        _ => serde_json::to_string_pretty(raw).unwrap_or_else(|_| raw.to_string()),
    };
    let boxed = at.w >= 4;
    let inner = if boxed {
        At {
            x: at.x + 1,
            y: at.y + 1,
            w: at.w - 2,
        }
    } else {
        at
    };
    let mut y = inner.y;
    if !boxed {
        cx.put(at.x, y, title, at.w, cx.theme.fg(cx.theme.warning));
        y += 1;
    }
    for line in sanitize_multiline(&pretty).split('\n') {
        for part in fit::wrap(line, inner.cols()) {
            cx.put(inner.x, y, &part, inner.w, cx.theme.fg(cx.theme.fg));
            y += 1;
        }
    }
    if boxed {
        let h = y - at.y + 1;
        cx.frame(at, h, Some(title), cx.theme.fg(cx.theme.warning), false);
        h
    } else {
        y - at.y
    }
}
