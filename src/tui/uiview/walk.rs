//! The node walk: dispatches each template to its drawer and lays out the containers
//! (`group`, `tabs`). Paths name nodes stably: group children by index (`"2"`), tab contents
//! by `tab<i>` (`"2.tab1"`), joined with dots; the root's path is empty.

use super::canvas::{At, Ctx};
use super::fit;
use super::path::{child, node_id};
use super::{Items, Target, TargetKind};
use super::{cards, controls, form, misc, table, text};
use crate::jsonui::{GroupLayout, Node, Tabs};
use serde_json::Value;

/// Lines between the blocks of a vertical group.
const V_GAP: u32 = 1;
/// Columns between the blocks of a horizontal group.
const H_GAP: u16 = 2;
/// Narrowest column a horizontal group gives a child before stacking them instead.
const MIN_COL: u16 = 12;

/// Lays out (and, when drawing, draws) the whole tree at `width`; returns its height.
pub(crate) fn root(cx: &mut Ctx, node: &Node, width: u16) -> u32 {
    node_block(
        cx,
        node,
        "",
        At {
            x: 0,
            y: 0,
            w: width,
        },
    )
}

/// One node at `at`; returns the lines it takes. Recursion depth is bounded by the parser.
pub(crate) fn node_block(cx: &mut Ctx, node: &Node, path: &str, at: At) -> u32 {
    if at.w == 0 {
        return 0;
    }
    if cx.state.web && crate::jsonui::web_lacks(node) {
        let name = node.template_name();
        let why = Value::String(format!("the TGO web UI has no \"{name}\" template"));
        return misc::raw_box(cx, "Unknown template", &why, at);
    }
    match node {
        Node::Text(t) => text::text(cx, t, path, at),
        Node::KeyValue(kv) => text::key_value(cx, kv, path, at),
        Node::Markdown(m) => text::markdown(cx, m, at),
        Node::Link(l) => text::link(cx, l, path, at),
        Node::Links(l) => text::links(cx, l, path, at),
        Node::Table(t) => table::table(cx, t, path, at),
        Node::Button(b) => controls::button(cx, b, path, at),
        Node::Action(bar) => controls::action_bar(cx, &bar.buttons, path, "b", at),
        Node::Form(f) => form::form(cx, f, path, at),
        Node::Card(c) => cards::card(cx, c, path, at),
        Node::Cards(c) => cards::cards(cx, c, path, at),
        Node::Stats(s) => cards::stats(cx, s, at),
        Node::List(l) => misc::list(cx, l, path, at),
        Node::Timeline(t) => misc::timeline(cx, t, at),
        Node::Empty(e) => misc::empty(cx, e, path, at),
        Node::Loading(l) => misc::loading(cx, l, at),
        Node::Unknown { name, raw } => {
            misc::raw_box(cx, &format!("unknown template \"{name}\""), raw, at)
        }
        Node::Invalid { raw } => misc::raw_box(cx, "not JSON-UI", raw, at),
        Node::Group(g) => {
            let n = u16::try_from(g.items.len()).unwrap_or(u16::MAX);
            let gaps = H_GAP.saturating_mul(n.saturating_sub(1));
            let col = at.w.saturating_sub(gaps).checked_div(n).unwrap_or(0);
            if g.layout == GroupLayout::Horizontal && n > 1 && col >= MIN_COL {
                let mut tallest = 0;
                for (i, item) in g.items.iter().enumerate() {
                    let x = at.x + (col + H_GAP) * i as u16;
                    // The last column takes the rounding remainder.
                    let w = if i + 1 == g.items.len() {
                        at.x + at.w - x
                    } else {
                        col
                    };
                    let h = node_block(cx, item, &child(path, &i.to_string()), At { x, w, ..at });
                    tallest = tallest.max(h);
                }
                tallest
            } else {
                let mut y = at.y;
                for (i, item) in g.items.iter().enumerate() {
                    if i > 0 {
                        y = y.saturating_add(V_GAP);
                    }
                    y = y.saturating_add(node_block(
                        cx,
                        item,
                        &child(path, &i.to_string()),
                        At { y, ..at },
                    ));
                }
                y - at.y
            }
        }
        Node::Tabs(t) => tabs(cx, t, path, at),
    }
}

/// Tab captions as drawn, all the same width as their active form (`[Label]`).
pub(crate) fn tab_caption(label: &str, active: bool) -> String {
    if active {
        format!("[{label}]")
    } else {
        format!(" {label} ")
    }
}

/// A tab bar (wrapping when it does not fit), a rule, and the active tab's content.
fn tabs(cx: &mut Ctx, t: &Tabs, path: &str, at: At) -> u32 {
    if t.items.is_empty() {
        cx.put(at.x, at.y, "(no tabs)", at.w, cx.theme.muted());
        return 1;
    }
    let active = cx.state.active_tab(path, t);
    let id = node_id(path);
    let focused = cx.is_focused(&id);
    let captions: Vec<String> = t
        .items
        .iter()
        .enumerate()
        .map(|(i, tab)| {
            let label = fit::fit(
                &crate::text::sanitize_line(&tab.label),
                at.cols().saturating_sub(2).max(1),
            )
            .into_owned();
            tab_caption(&label, i == active)
        })
        .collect();
    let widths: Vec<usize> = captions.iter().map(|c| fit::width(c)).collect();
    let (pos, lines) = fit::flow(&widths, at.cols(), 1);
    let mut spans = Vec::with_capacity(pos.len());
    for (i, (&(line, x), caption)) in pos.iter().zip(&captions).enumerate() {
        let y = at.y + line;
        let style = if i == active && focused {
            cx.theme.selected()
        } else if i == active {
            cx.theme
                .fg(cx.theme.accent)
                .add_modifier(ratatui::style::Modifier::BOLD)
        } else {
            cx.theme.muted()
        };
        let w = cx.put(at.x + x, y, caption, at.w - x.min(at.w), style);
        spans.push((y, at.x + x, w));
    }
    cx.hline(at.x, at.y + lines, at.w, "─", cx.theme.border(false));
    let label = format!(
        "tab {}/{}: {}",
        active + 1,
        t.items.len(),
        t.items[active].label
    );
    cx.target(
        Target::new(id, TargetKind::TabBar, at, lines, &label, path).items(Items::Spans(spans)),
    );
    let content = node_block(
        cx,
        &t.items[active].content,
        &child(path, &format!("tab{active}")),
        at.down(lines + 1),
    );
    lines + 1 + content
}
