//! `table`: title with a `row i/N` indicator, header, rule, one line per row, pagination
//! footer. Laying out costs O(1) in rows and drawing touches only the visible rows; column
//! widths come from the header and those rows, so nothing scales with the table's length.

use std::ops::Range;

use ratatui::style::Modifier;

use super::canvas::{At, Ctx};
use super::fit;
use super::path::node_id;
use super::{Items, Target, TargetKind};
use crate::jsonui::{ColumnType, Pagination, Table};
use crate::text::sanitize_line;

/// Columns before the first cell: the selection marker and a space.
const GUTTER: u16 = 2;
/// Columns between cells.
const SEP: usize = 2;
/// Widest a column grows from its content.
const MAX_COL: usize = 40;
/// Narrowest a column shrinks to before later columns are dropped.
const MIN_COL: usize = 3;
/// Lines above the first row: title/indicator, header, rule.
const HEAD: u32 = 3;

/// Draws the table; returns `HEAD + max(rows, 1) + footer` lines.
pub(crate) fn table(cx: &mut Ctx, t: &Table, path: &str, at: At) -> u32 {
    let id = node_id(path);
    let n = t.rows.len();
    let sel = cx.state.selected(path, n);
    let focused = cx.is_focused(&id);
    let rows_y = at.y + HEAD;
    let body = n.max(1).min(u32::MAX as usize) as u32;
    let footer = u32::from(t.pagination.is_some());
    let height = HEAD.saturating_add(body).saturating_add(footer);

    if cx.drawing() && cx.shows_any(at.y, height) {
        title_line(cx, t, sel, at);
        let visible = cx.visible_rows(rows_y, n);
        let inner = at.indent(GUTTER);
        let widths = column_widths(t, visible.clone(), inner.cols());
        header(cx, t, &widths, inner.down(1));
        cx.hline(at.x, at.y + 2, at.w, "─", cx.theme.border(false));
        if n == 0 {
            cx.put(inner.x, rows_y, "(no rows)", inner.w, cx.theme.muted());
        }
        for r in visible {
            row(
                cx,
                t,
                r,
                &widths,
                At {
                    y: rows_y + r as u32,
                    ..at
                },
                focused && r == sel,
            );
        }
        if let Some(p) = &t.pagination {
            let text = pagination(p);
            cx.put(inner.x, rows_y + body, &text, inner.w, cx.theme.muted());
        }
    }

    if n > 0 {
        let first = t.rows[sel]
            .cells
            .iter()
            .map(|c| c.text.as_str())
            .find(|s| !s.is_empty())
            .unwrap_or("");
        let label = format!("row {}/{}: {}", sel + 1, n, first);
        let items = Items::Grid {
            y: rows_y,
            x: at.x,
            count: n,
            cols: 1,
            w: at.w,
            h: 1,
            gap: 0,
            vgap: 0,
        };
        cx.target(
            Target::new(id, TargetKind::TableRows, at, HEAD + body, &label, path).items(items),
        );
    }
    height
}

/// Title on the left, `row i/N` on the right.
fn title_line(cx: &mut Ctx, t: &Table, sel: usize, at: At) {
    let n = t.rows.len();
    let indicator = if n == 0 {
        "0 rows".to_string()
    } else {
        format!("row {}/{}", sel + 1, n)
    };
    let iw = fit::width(&indicator) as u16;
    let room = at.w.saturating_sub(iw + 1);
    if let Some(title) = &t.title {
        let st = cx.theme.fg(cx.theme.title).add_modifier(Modifier::BOLD);
        cx.put(at.x, at.y, title, room, st);
    }
    if iw <= at.w {
        cx.put(at.x + at.w - iw, at.y, &indicator, iw, cx.theme.muted());
    }
}

fn header(cx: &mut Ctx, t: &Table, widths: &[usize], at: At) {
    if t.columns.is_empty() {
        cx.put(at.x, at.y, "(no columns)", at.w, cx.theme.muted());
        return;
    }
    let st = cx.theme.fg(cx.theme.title).add_modifier(Modifier::BOLD);
    let mut x = at.x;
    for (col, &w) in t.columns.iter().zip(widths) {
        let text = fit::align(&sanitize_line(&col.label), w, col.align.as_ref());
        cx.put(x, at.y, &text, w as u16, st);
        x = x.saturating_add((w + SEP) as u16);
    }
}

/// One row at `at` (full width, gutter included).
fn row(cx: &mut Ctx, t: &Table, r: usize, widths: &[usize], at: At, selected: bool) {
    let th = cx.theme;
    if selected {
        cx.paint(at.x, at.y, at.w, 1, th.selected());
        cx.put(at.x, at.y, "›", 1, th.selected());
    }
    let cells = &t.rows[r].cells;
    let mut x = at.x + GUTTER.min(at.w);
    for (ci, (col, &w)) in t.columns.iter().zip(widths).enumerate() {
        let Some(cell) = cells.get(ci) else { break };
        let mut st = th.fg(th.fg);
        if let Some(c) = &cell.color {
            st = st.fg(th.named(c));
        }
        match &col.kind {
            Some(ColumnType::Link) => st = st.fg(th.link.0).add_modifier(Modifier::UNDERLINED),
            Some(ColumnType::Badge) => st = st.add_modifier(Modifier::BOLD),
            _ => {}
        }
        if selected {
            st = st.patch(th.selected());
        }
        let text = fit::align(&sanitize_line(&cell.text), w, col.align.as_ref());
        cx.put(x, at.y, &text, w as u16, st);
        x = x.saturating_add((w + SEP) as u16);
    }
}

/// `page p of P · N total`, from whatever the plugin gave.
fn pagination(p: &Pagination) -> String {
    let page = p.page.unwrap_or(1);
    let mut parts = Vec::new();
    match (p.total, p.page_size) {
        (Some(total), Some(size)) if size > 0 => {
            parts.push(format!("page {page} of {}", total.div_ceil(size).max(1)));
        }
        _ => parts.push(format!("page {page}")),
    }
    if let Some(total) = p.total {
        parts.push(format!("{total} total"));
    }
    parts.join(" · ")
}

/// Widths of the columns that fit in `avail` columns (later ones are dropped): natural width
/// from the header and the visible rows (or the plugin's width hint), then the widest are
/// capped until everything fits.
fn column_widths(t: &Table, rows: Range<usize>, avail: usize) -> Vec<usize> {
    if t.columns.is_empty() {
        return Vec::new();
    }
    let keep = ((avail + SEP) / (MIN_COL + SEP)).clamp(1, t.columns.len());
    let natural: Vec<usize> = t.columns[..keep]
        .iter()
        .enumerate()
        .map(|(ci, col)| {
            if let Some(hint) = col.width.as_deref().and_then(|h| width_hint(h, avail)) {
                return hint;
            }
            let head = fit::width(&sanitize_line(&col.label));
            let cells = t.rows[rows.clone()]
                .iter()
                .filter_map(|r| r.cells.get(ci))
                .map(|c| fit::width(&sanitize_line(&c.text)))
                .max()
                .unwrap_or(0);
            head.max(cells).clamp(1, MAX_COL)
        })
        .collect();
    let seps = SEP * (keep - 1);
    let fits = |cap: usize| natural.iter().map(|&w| w.min(cap)).sum::<usize>() + seps <= avail;
    // Largest cap that fits (binary search); at worst everything shrinks to what is left.
    let (mut lo, mut hi) = (1usize, natural.iter().copied().max().unwrap_or(1));
    if fits(hi) {
        return natural;
    }
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    natural.iter().map(|&w| w.min(lo)).collect()
}

/// A column's width hint in terminal columns: `"20%"` of `avail`, or CSS pixels (`120`,
/// `"120px"`) at roughly 8 px per column.
fn width_hint(hint: &str, avail: usize) -> Option<usize> {
    let h = hint.trim();
    let w = if let Some(pct) = h.strip_suffix('%') {
        avail * pct.trim().parse::<usize>().ok()?.min(100) / 100
    } else {
        h.trim_end_matches("px").trim().parse::<f64>().ok()? as usize / 8
    };
    Some(w.clamp(MIN_COL, MAX_COL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_hints_and_pagination() {
        assert_eq!(width_hint("20%", 100), Some(20));
        assert_eq!(width_hint("120px", 100), Some(15));
        assert_eq!(width_hint("80", 100), Some(10));
        assert_eq!(width_hint("wide", 100), None);
        let p = Pagination {
            total: Some(195),
            page: Some(2),
            page_size: Some(20),
        };
        assert_eq!(pagination(&p), "page 2 of 10 · 195 total");
        assert_eq!(pagination(&Pagination::default()), "page 1");
    }
}
