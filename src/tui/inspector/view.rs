//! Drawing the inspector. Only visible rows are formatted, so a draw costs O(screen), not
//! O(log).

use super::{Checked, InspectorState, LIST_TOP_ROWS, body_doc};
use crate::host::{Direction, EntryKind, LogEntry, MessageLog, Party};
use crate::text::{clock, sanitize_line, truncate_chars};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};
use std::time::Duration;
use unicode_width::UnicodeWidthStr;

/// Widest plugin column in the list.
const PLUGIN_COL: usize = 18;
/// Longest label or note text formatted for a row (rows are clipped anyway).
const ROW_TEXT_CHARS: usize = 300;

fn fmt_latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn arrow(dir: Direction, theme: &Theme) -> Span<'static> {
    match dir {
        Direction::Out => Span::styled("→", theme.fg(theme.dir_out)),
        Direction::In => Span::styled("←", theme.fg(theme.dir_in)),
        Direction::Local => Span::styled("•", theme.fg(theme.dir_local)),
    }
}

/// Width of the party column (`proxy↔plugin`).
const PARTY_COL: usize = 12;

/// Proxy mode's party column: which leg a frame crossed (blank for events).
fn party_span(e: &LogEntry, theme: &Theme) -> Span<'static> {
    match (e.dir, e.party) {
        (Direction::Local, _) => Span::raw(" ".repeat(PARTY_COL)),
        (_, Party::Upstream) => Span::styled(fit(e.party.tag(), PARTY_COL), theme.fg(theme.info)),
        (_, Party::Plugin) => Span::styled(fit(e.party.tag(), PARTY_COL), theme.muted()),
    }
}

fn dir_word(dir: Direction) -> &'static str {
    match dir {
        Direction::Out => "out",
        Direction::In => "in",
        Direction::Local => "local",
    }
}

fn kind_word(k: &EntryKind) -> &'static str {
    k.name()
}

/// Pads or cuts `s` to exactly `w` terminal columns.
fn fit(s: &str, w: usize) -> String {
    crate::text::fit_width(s, w)
}

fn plugin_name(e: &LogEntry) -> String {
    e.plugin
        .as_deref()
        .map_or_else(|| "-".into(), |p| sanitize_line(&truncate_chars(p, 64)))
}

/// The label of a row and its style: method, `result`, `error CODE message`, `invalid: why`,
/// or an event's text.
fn label(e: &LogEntry, theme: &Theme) -> (String, Style) {
    let cut = |s: &str| sanitize_line(&truncate_chars(s, ROW_TEXT_CHARS));
    match &e.kind {
        EntryKind::Request { method, .. } => match what_is_asked(e, method) {
            Some(what) => (cut(&format!("{method} {what}")), theme.fg(theme.fg)),
            None => (cut(method), theme.fg(theme.fg)),
        },
        EntryKind::Notification { method } => (cut(method), theme.fg(theme.fg)),
        EntryKind::Result { .. } => ("result".into(), theme.fg(theme.success)),
        EntryKind::Error { code, message, .. } => (
            format!("error {code} {}", cut(message)),
            theme.fg(theme.error),
        ),
        EntryKind::Invalid { reason } => {
            (format!("invalid: {}", cut(reason)), theme.fg(theme.error))
        }
        EntryKind::Event { text } => (cut(text), theme.fg(theme.dir_local)),
        EntryKind::Output { stream, text } => {
            let colour = if stream == "stderr" {
                theme.warning
            } else {
                theme.muted
            };
            (format!("{stream}: {}", cut(text)), theme.fg(colour))
        }
    }
}

/// For an event or a tool call, what it asks: `button_click view_all`, `lookup_order`. Read
/// from the frame when the row is drawn (only visible rows are), not kept for every entry.
fn what_is_asked(e: &LogEntry, method: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Frame<'a> {
        #[serde(borrow)]
        params: Params<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Params<'a> {
        #[serde(borrow, default)]
        event_type: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        action_id: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        selected_id: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        tool_name: Option<std::borrow::Cow<'a, str>>,
    }
    if !(method.ends_with("/event") || method == "tool/execute") {
        return None;
    }
    let p = serde_json::from_slice::<Frame>(&e.raw).ok()?.params;
    let parts: Vec<&str> = [&p.event_type, &p.action_id, &p.selected_id, &p.tool_name]
        .into_iter()
        .filter_map(|v| v.as_deref())
        .filter(|v| !v.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn id_text(e: &LogEntry) -> Option<String> {
    let id = match &e.kind {
        EntryKind::Request { id, .. } => Some(id),
        EntryKind::Result { id } | EntryKind::Error { id, .. } => id.as_ref(),
        _ => None,
    }?;
    Some(format!(
        "#{}",
        sanitize_line(&truncate_chars(&id.to_string(), 40))
    ))
}

fn is_response(e: &LogEntry) -> bool {
    matches!(e.kind, EntryKind::Result { .. } | EntryKind::Error { .. })
}

fn notes_text(e: &LogEntry) -> String {
    sanitize_line(&truncate_chars(&e.notes.join("; "), ROW_TEXT_CHARS))
}

/// Cuts a run of spans to `w` columns (ending in `…` when cut) and pads it to exactly `w`.
fn fit_spans(spans: Vec<Span<'static>>, w: usize) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let sw = span.content.width();
        if used + sw <= w {
            used += sw;
            out.push(span);
            continue;
        }
        let cut = fit(&span.content, w - used);
        out.push(Span::styled(cut.trim_end().to_string(), span.style));
        used = w - (cut.len() - cut.trim_end().len());
        break;
    }
    out.push(Span::raw(" ".repeat(w.saturating_sub(used))));
    out
}

/// One list row: time, direction, problem mark, plugin, then label, `#id` and notes. With
/// room, latency and size sit in right-aligned columns at the end; on a narrow screen
/// everything just follows and the row is clipped.
fn row(e: &LogEntry, theme: &Theme, width: usize, plugin_w: usize, parties: bool) -> Line<'static> {
    let (label, label_style) = label(e, theme);
    let latency = e.latency.filter(|_| is_response(e)).map(fmt_latency);
    let size = (!e.raw.is_empty()).then(|| crate::text::bytes(e.raw.len()));
    let mark = if super::filter::is_error(e) {
        Span::styled("!", theme.fg(theme.error).add_modifier(Modifier::BOLD))
    } else {
        Span::raw(" ")
    };
    let mut spans = vec![
        Span::styled(clock(e.at), theme.muted()),
        Span::raw(" "),
        arrow(e.dir, theme),
        Span::raw(" "),
    ];
    if parties {
        spans.extend([party_span(e, theme), Span::raw(" ")]);
    }
    spans.extend([mark, Span::raw(" ")]);
    let mut main = vec![Span::styled(label, label_style)];
    if let Some(id) = id_text(e) {
        main.push(Span::styled(format!(" {id}"), theme.fg(theme.muted)));
    }
    if !e.notes.is_empty() {
        main.push(Span::styled(
            format!("  {}", notes_text(e)),
            theme.muted().add_modifier(Modifier::ITALIC),
        ));
    }
    const LEFT_FIXED: usize = 12 + 1 + 1 + 1 + 1 + 1;
    const RIGHT: usize = 1 + 9 + 1 + 8;
    let plugin = plugin_name(e);
    let plugin_style = if e.plugin.is_some() {
        theme.fg(theme.accent)
    } else {
        theme.muted()
    };
    let party_w = if parties { PARTY_COL + 1 } else { 0 };
    let label_room = width.saturating_sub(LEFT_FIXED + party_w + plugin_w + 1 + RIGHT);
    if label_room >= 16 {
        spans.push(Span::styled(fit(&plugin, plugin_w), plugin_style));
        spans.push(Span::raw(" "));
        spans.extend(fit_spans(main, label_room));
        spans.push(Span::styled(
            format!(" {:>9}", latency.unwrap_or_default()),
            theme.fg(theme.fg),
        ));
        spans.push(Span::styled(
            format!(" {:>8}", size.unwrap_or_default()),
            theme.muted(),
        ));
    } else {
        spans.push(Span::styled(
            format!("{} ", fit(&plugin, plugin_w.min(10))),
            plugin_style,
        ));
        spans.extend(main);
        if let Some(l) = latency {
            spans.push(Span::raw(format!(" {l}")));
        }
        if let Some(s) = size {
            spans.push(Span::styled(format!(" {s}"), theme.muted()));
        }
    }
    Line::from(spans)
}

/// Draws the list: a header (`N of M`, evicted count, `FOLLOW`, filter, notice), the visible
/// rows, and the filter input on the last row while it is open.
pub fn render_list(
    area: Rect,
    buf: &mut Buffer,
    st: &InspectorState,
    log: &MessageLog,
    theme: &Theme,
    focused: bool,
) {
    let block = Block::bordered()
        .title(" Messages ")
        .border_style(theme.border(focused))
        .style(theme.text());
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    debug_assert_eq!(inner.y - area.y + 1, LIST_TOP_ROWS.min(area.height));

    // Header.
    let (shown, total) = st.counts();
    let mut head = vec![Span::styled(
        format!("{shown} of {total}"),
        theme.fg(theme.title),
    )];
    // What a key just said comes first: the header is cut on a narrow screen.
    if let Some(n) = &st.notice {
        // It may quote a logged method (a recording's, a proxied host's): plugin text.
        head.push(Span::styled(
            format!(" · {}", sanitize_line(n)),
            theme.fg(theme.warning),
        ));
    }
    if st.evicted > 0 {
        head.push(Span::styled(
            format!(" · {} evicted", st.evicted),
            theme.fg(theme.warning),
        ));
    }
    if st.follow {
        head.push(Span::styled(
            " · FOLLOW",
            theme.fg(theme.accent).add_modifier(Modifier::BOLD),
        ));
    }
    if !st.filter_src.is_empty() {
        head.push(Span::styled(
            format!(" · filter: {}", sanitize_line(&st.filter_src)),
            theme.fg(theme.info),
        ));
    }
    if st.input.is_some() {
        head.push(Span::styled(" · Enter applies, Esc cancels", theme.muted()));
    }
    buf.set_line(inner.x, inner.y, &Line::from(head), inner.width);

    let mut rows = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    if let Some(input) = &st.input
        && rows.height >= 1
    {
        let y = rows.bottom() - 1;
        rows.height -= 1;
        buf.set_line(
            inner.x,
            y,
            &Line::styled("/", theme.fg(theme.accent)),
            inner.width,
        );
        let field = Rect {
            x: inner.x + 1,
            y,
            width: inner.width.saturating_sub(1),
            height: 1,
        };
        buf.set_style(field, theme.fg(theme.fg).bg(theme.selection_bg.0));
        input.render(field, buf);
    }
    let h = rows.height as usize;
    let len = st.index.len();
    if h == 0 {
        return;
    }
    if len == 0 {
        let why = if total == 0 {
            "no messages yet"
        } else {
            "no message matches the filter (Esc clears it)"
        };
        buf.set_line(
            rows.x,
            rows.y,
            &Line::styled(why, theme.muted()),
            rows.width,
        );
        return;
    }

    // Keep the selection in view; remember the window for clicks and the next draw.
    let mut off = st.offset.get().min(len.saturating_sub(h));
    if let Some(p) = st.position() {
        if p < off {
            off = p;
        } else if p >= off + h {
            off = p + 1 - h;
        }
    }
    st.offset.set(off);
    let visible: Vec<(u64, Option<&LogEntry>)> = (off..len.min(off + h))
        .map(|p| (st.index[p], log.get(st.index[p])))
        .collect();
    let plugin_w = visible
        .iter()
        .filter_map(|(_, e)| e.map(|e| plugin_name(e).width()))
        .max()
        .unwrap_or(1)
        .clamp(1, PLUGIN_COL);
    for (i, (seq, e)) in visible.into_iter().enumerate() {
        let y = rows.y + i as u16;
        let line = match e {
            Some(e) => row(e, theme, rows.width as usize, plugin_w, st.parties),
            None => Line::styled(format!("#{seq} (evicted)"), theme.muted()),
        };
        buf.set_line(rows.x, y, &line, rows.width);
        if st.selected == Some(seq) {
            let r = Rect {
                y,
                height: 1,
                ..rows
            };
            buf.set_style(r, theme.selected());
        }
    }
}

/// How many lines [`detail_header`] makes for `e` (to clamp scrolling without drawing).
pub(crate) fn detail_header_len(
    e: &LogEntry,
    log: &MessageLog,
    checked: Option<&Checked>,
    width: u16,
) -> usize {
    detail_header(e, log, checked, &Theme::default(), width).len()
}

/// Diagnostics listed at most for one message.
const MAX_DETAIL_DIAGNOSTICS: usize = 200;

/// What validation found in the answer: a heading, then each diagnostic, wrapped.
fn checked_lines(checked: &Checked, theme: &Theme, width: u16, lines: &mut Vec<Line<'static>>) {
    match checked {
        Checked::Done {
            what,
            method,
            diagnostics,
        } if diagnostics.is_empty() => lines.push(Line::styled(
            format!("✓ valid {what} for {}", sanitize_line(method)),
            theme.fg(theme.success),
        )),
        Checked::Done {
            what,
            method,
            diagnostics,
        } => {
            let summary = crate::check::validate::summary(what, diagnostics)
                .and_then(|s| s.split(" (first").next().map(String::from))
                .unwrap_or_default();
            let heading = Span::styled(
                format!("{summary} · as the answer to {}", sanitize_line(method)),
                theme.fg(theme.title).add_modifier(Modifier::BOLD),
            );
            lines.extend(crate::tui::wrap::wrap_spans(&[heading], width as usize, 2));
            for d in diagnostics.iter().take(MAX_DETAIL_DIAGNOSTICS) {
                lines.extend(crate::tui::wrap::diagnostic_lines(d, theme, width as usize));
            }
            if diagnostics.len() > MAX_DETAIL_DIAGNOSTICS {
                lines.push(Line::styled(
                    format!(
                        "… {} more not listed",
                        diagnostics.len() - MAX_DETAIL_DIAGNOSTICS
                    ),
                    theme.muted(),
                ));
            }
        }
        Checked::TooBig { method, bytes } => lines.push(Line::styled(
            format!(
                "{} answer of {}: not validated here (the render pane has its diagnostics)",
                sanitize_line(method),
                crate::text::bytes(*bytes)
            ),
            theme.muted(),
        )),
    }
}

/// Header lines of the detail pane: who, what, when, how long, how big, pairing, notes, and
/// for an answer, what its validation found (wrapped at `width`).
fn detail_header(
    e: &LogEntry,
    log: &MessageLog,
    checked: Option<&Checked>,
    theme: &Theme,
    width: u16,
) -> Vec<Line<'static>> {
    let mut l1 = vec![
        Span::styled(
            format!("#{}", e.seq),
            theme.fg(theme.title).add_modifier(Modifier::BOLD),
        ),
        Span::raw("  "),
        arrow(e.dir, theme),
        Span::styled(format!(" {}", dir_word(e.dir)), theme.fg(theme.fg)),
        Span::raw("  "),
    ];
    // A frame a proxy relayed says which leg it crossed.
    if e.party == Party::Upstream || e.via.is_some() {
        l1.extend([party_span(e, theme), Span::raw("  ")]);
    }
    l1.extend([
        Span::styled(plugin_name(e), theme.fg(theme.accent)),
        Span::raw("  "),
        Span::styled(kind_word(&e.kind), theme.fg(theme.fg)),
    ]);
    if let EntryKind::Request { method, .. } | EntryKind::Notification { method } = &e.kind {
        l1.push(Span::styled(
            format!(
                " {}",
                sanitize_line(&truncate_chars(method, ROW_TEXT_CHARS))
            ),
            theme.fg(theme.fg).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(id) = id_text(e) {
        l1.push(Span::styled(
            format!("  id {}", &id[1..]),
            theme.fg(theme.fg),
        ));
    }
    if e.problem {
        l1.push(Span::styled(
            "  ! problem",
            theme.fg(theme.error).add_modifier(Modifier::BOLD),
        ));
    }
    let mut l2 = vec![Span::styled(clock(e.at), theme.muted())];
    // Through a proxy: the host-side total, the plugin's time and the proxy's overhead.
    let split = (e.party == Party::Upstream || e.via.is_some())
        .then(|| crate::proxy::latencies(e, log))
        .flatten();
    match (split, e.latency) {
        (Some(split), _) => l2.push(Span::styled(format!("  {split}"), theme.fg(theme.fg))),
        (None, Some(l)) => l2.push(Span::styled(
            format!("  latency {}", fmt_latency(l)),
            theme.fg(theme.fg),
        )),
        (None, None) => {}
    }
    if !e.raw.is_empty() {
        l2.push(Span::styled(
            format!("  size {}", crate::text::bytes(e.raw.len())),
            theme.muted(),
        ));
    }
    if let Some(p) = e.pair {
        l2.push(Span::styled(format!("  ↔ #{p}"), theme.fg(theme.link)));
    }
    if let Some(v) = e.via {
        l2.push(Span::styled(
            format!("  copy of #{v}"),
            theme.fg(theme.link),
        ));
    }
    l2.push(Span::styled(format!("  conn {}", e.conn), theme.muted()));
    let mut lines = vec![Line::from(l1), Line::from(l2)];
    match &e.kind {
        EntryKind::Error { code, message, .. } => lines.push(Line::styled(
            format!(
                "error {code}: {}",
                sanitize_line(&truncate_chars(message, 2000))
            ),
            theme.fg(theme.error),
        )),
        EntryKind::Invalid { reason } => lines.push(Line::styled(
            format!("invalid: {}", sanitize_line(&truncate_chars(reason, 2000))),
            theme.fg(theme.error),
        )),
        _ => {}
    }
    for n in &e.notes {
        lines.push(Line::styled(
            format!("note: {}", sanitize_line(&truncate_chars(n, 2000))),
            theme.fg(theme.warning),
        ));
    }
    if let Some(c) = checked {
        checked_lines(c, theme, width, &mut lines);
    }
    lines.push(Line::styled("─".repeat(40), theme.fg(theme.border)));
    lines
}

/// Draws the selected message: its header, then the pretty JSON (or event text), scrolled
/// by `J`/`K`. Lines are clipped, not wrapped; `y` copies the whole message.
pub fn render_detail(
    area: Rect,
    buf: &mut Buffer,
    st: &InspectorState,
    log: &MessageLog,
    theme: &Theme,
    focused: bool,
) {
    let entry = st.selected.and_then(|s| log.get(s));
    let title = match entry {
        Some(e) => format!(" Message #{} ", e.seq),
        None => " Message ".into(),
    };
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused))
        .style(theme.text());
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let Some(e) = entry else {
        let why = if st.selected.is_some() {
            "the selected message was evicted from the log"
        } else {
            "no message selected"
        };
        buf.set_line(
            inner.x,
            inner.y,
            &Line::styled(why, theme.muted()),
            inner.width,
        );
        return;
    };
    st.detail_width.set(inner.width);
    let checked = st
        .detail
        .as_ref()
        .filter(|d| d.seq == e.seq)
        .and_then(|d| d.checked.as_ref());
    let header = detail_header(e, log, checked, theme, inner.width);
    let h = inner.height as usize;
    // The cache is built by sync; after a click it may lag one frame, so build just what fits.
    let fallback;
    let doc = match &st.detail {
        Some(d) if d.seq == e.seq && d.hex == st.hex => &d.doc,
        _ if st.hex => {
            fallback = super::json::hex_doc(e, st.detail_scroll + h + 1);
            &fallback
        }
        _ => {
            fallback = body_doc(e, st.detail_scroll + h + 1);
            &fallback
        }
    };
    let total = header.len() + doc.lines.len();
    let scroll = st.detail_scroll.min(total.saturating_sub(1));
    for (row, i) in (scroll..total.min(scroll + h)).enumerate() {
        let line = if i < header.len() {
            header[i].clone()
        } else {
            doc.styled_line(i - header.len(), theme)
        };
        buf.set_line(inner.x, inner.y + row as u16, &line, inner.width);
    }
}
