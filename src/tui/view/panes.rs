//! The fixed panes: context bar, plugins, activity (last action + chat), render pane, status bar.

use super::super::keymap;
use super::super::launches;
use super::super::msg::CapKey;
use super::super::state::{
    Entry, FailKind, Launch, Liveness, Pane, RenderSlot, Replay, Row, Shown, State, ToastKind,
};
use super::super::uiview;
use super::{ScreenLayout, cap_title, inner};
use crate::host::MessageLog;
use crate::jsonui::{Action, Severity};
use crate::launcher::{ProcState, StreamKind};
use crate::text::{self, sanitize_line, truncate_width};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

fn pane_block<'a>(state: &State, pane: Pane, title: Line<'a>) -> Block<'a> {
    let focused = state.focus == pane;
    Block::default()
        .borders(Borders::ALL)
        .border_style(state.theme.border(focused))
        .title(title)
}

fn title_span(state: &State, text: String, pane: Option<Pane>) -> Span<'static> {
    let style = match pane {
        Some(p) if state.focus == p => state
            .theme
            .fg(state.theme.accent)
            .add_modifier(Modifier::BOLD),
        _ => state.theme.fg(state.theme.title),
    };
    Span::styled(format!(" {text} "), style)
}

pub fn context_bar(area: Rect, buf: &mut Buffer, state: &State) {
    let t = &state.theme;
    let c = &state.ctx;
    let value = |v: &str| {
        Span::styled(
            sanitize_line(v),
            t.fg(t.accent).add_modifier(Modifier::BOLD),
        )
    };
    let sep = || Span::styled(" · ", t.muted());
    let mut spans = vec![Span::styled(
        " tgo-console ",
        t.fg(t.title)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
    )];
    // A replay shows the context its renders were recorded with, and it cannot be edited.
    let replay = state.replay.as_ref();
    if replay.is_some() {
        spans.push(Span::styled(
            "  replay",
            t.fg(t.warning).add_modifier(Modifier::BOLD),
        ));
    }
    if replay.is_some_and(|r| !r.recorded_context) {
        spans.push(Span::styled("  no render recorded", t.muted()));
    } else {
        spans.extend([
            Span::styled("  visitor ", t.muted()),
            value(&c.visitor_id),
            sep(),
            Span::styled("session ", t.muted()),
            value(&c.session_id),
            sep(),
            value(&c.language),
            sep(),
            value(&c.channel_type),
        ]);
    }
    // The context gets what the clickable buttons on the right leave; the hint only if it fits.
    let buttons = super::bar_buttons(area);
    let text_end = buttons
        .iter()
        .map(|(_, r)| r.x)
        .min()
        .unwrap_or(area.right());
    let hint = "  (v edit)";
    if replay.is_none()
        && Line::from(spans.clone()).width() + hint.len() < text_end.saturating_sub(area.x) as usize
    {
        spans.push(Span::styled(hint, t.muted()));
    }
    Paragraph::new(Line::from(spans)).render(
        Rect {
            width: text_end.saturating_sub(area.x + 1),
            ..area
        },
        buf,
    );
    for (i, r) in buttons {
        buf.set_stringn(
            r.x,
            r.y,
            super::BAR_BUTTONS[i],
            r.width as usize,
            t.fg(t.accent),
        );
    }
}

fn liveness_marker(state: &State, l: &Liveness) -> (Span<'static>, Style) {
    let t = &state.theme;
    match l {
        Liveness::Connected => (Span::styled("● ", t.fg(t.success)), t.text()),
        Liveness::Replaced => (Span::styled("◌ ", t.fg(t.warning)), t.muted()),
        Liveness::Disconnected(_) => (Span::styled("○ ", t.muted()), t.muted()),
    }
}

fn liveness_text(l: &Liveness) -> String {
    match l {
        Liveness::Connected => "connected".into(),
        Liveness::Replaced => "replaced".into(),
        Liveness::Disconnected(why) => format!("disconnected: {why}"),
    }
}

/// The marker of a launched plugin's process when that says more than its connection.
fn process_marker(state: &State, l: &Launch) -> Option<(Span<'static>, Style)> {
    let t = &state.theme;
    let (mark, colour) = match &l.state {
        ProcState::Running if l.never_registered(state.now, state.register_deadline) => {
            ("⚠ ", t.warning)
        }
        ProcState::Running => return None,
        ProcState::Starting => ("◔ ", t.info),
        ProcState::Restarting { .. } => ("↻ ", t.warning),
        ProcState::Stopping => ("◌ ", t.warning),
        ProcState::Stopped => ("■ ", t.muted),
        ProcState::Exited { code: 0 } => ("○ ", t.muted),
        ProcState::Exited { .. }
        | ProcState::Killed { .. }
        | ProcState::FailedToStart(_)
        | ProcState::CrashLoop { .. } => ("✖ ", t.error),
    };
    Some((Span::styled(mark, t.fg(colour)), t.muted()))
}

/// The detail lines under a launched plugin: why it is flagged, and the last lines a crashed
/// one printed (visible at once, without opening the output pane).
fn launch_detail(state: &State, l: &Launch, w: usize, lines: &mut Vec<Line<'static>>) {
    let t = &state.theme;
    if l.never_registered(state.now, state.register_deadline) {
        let secs = state.register_deadline.as_secs();
        lines.push(Line::from(Span::styled(
            truncate_width(&format!("  ⚠ no register after {secs} s"), w),
            t.fg(t.warning),
        )));
    }
    if l.has_crashed() {
        for o in l.output.iter().rev().take(CRASH_LINES).rev() {
            let colour = if o.stream == StreamKind::Stderr {
                t.error
            } else {
                t.muted
            };
            lines.push(Line::from(Span::styled(
                truncate_width(&format!("  │ {}", sanitize_line(&o.text)), w),
                t.fg(colour),
            )));
        }
    }
}

/// An indented detail under a row, never cut to an ellipsis in the narrow pane: split at
/// ` · ` into more lines, and a part still too wide is wrapped.
fn detail_lines(text: &str, w: usize, style: Style, lines: &mut Vec<Line<'static>>) {
    let avail = w.saturating_sub(2).max(1);
    let mut parts: Vec<String> = Vec::new();
    for part in sanitize_line(text).split(" · ") {
        match parts.last_mut() {
            Some(last) if text::width(last) + 3 + text::width(part) <= avail => {
                last.push_str(" · ");
                last.push_str(part);
            }
            _ => parts.push(part.to_string()),
        }
    }
    for part in parts {
        for piece in text::wrap_width(&part, avail) {
            lines.push(Line::from(Span::styled(format!("  {piece}"), style)));
        }
    }
}

/// Lines of a crashed plugin's output shown under its row.
const CRASH_LINES: usize = 3;

/// Display lines of the plugins pane: one per row of `state.rows()`, plus detail lines.
fn plugin_lines(state: &State, width: u16) -> (Vec<Line<'static>>, Vec<usize>) {
    let t = &state.theme;
    let mut lines = Vec::new();
    let mut row_line = Vec::new();
    let w = width as usize;
    for entry in state.entries() {
        let (p, launch) = match entry {
            Entry::Launch(l) => {
                let (marker, style) = process_marker(state, l)
                    .unwrap_or_else(|| (Span::styled("◔ ", t.fg(t.info)), t.text()));
                let mut name_style = style.add_modifier(Modifier::BOLD);
                if state.selected == Some(Row::Launch(l.id)) {
                    name_style = t.selected();
                }
                row_line.push(lines.len());
                lines.push(Line::from(vec![
                    marker,
                    Span::styled(
                        truncate_width(&sanitize_line(&l.name), w.saturating_sub(2)),
                        name_style,
                    ),
                ]));
                let mut sub = launches::status_text(l, state.now);
                if l.state == ProcState::Running && !l.registered {
                    sub = format!("{sub} · waiting for register");
                }
                detail_lines(&sub, w, t.muted(), &mut lines);
                launch_detail(state, l, w, &mut lines);
                continue;
            }
            Entry::Plugin(p, launch) => (p, launch),
        };
        let (marker, style) = launch
            .and_then(|l| process_marker(state, l))
            .unwrap_or_else(|| liveness_marker(state, &p.liveness));
        let selected = state.selected == Some(Row::Plugin(p.plugin_id.clone()));
        let mut name_style = style.add_modifier(Modifier::BOLD);
        if selected {
            name_style = t.selected();
        }
        row_line.push(lines.len());
        lines.push(Line::from(vec![
            marker,
            Span::styled(
                truncate_width(
                    &sanitize_line(&format!("{} {}", p.name, p.version)),
                    w.saturating_sub(2),
                ),
                name_style,
            ),
        ]));
        let mut sub = format!("{} · {}", p.plugin_id, liveness_text(&p.liveness));
        if p.replaced > 0 {
            sub.push_str(&format!(" · replaced ×{}", p.replaced));
        }
        if let Some(l) = launch.filter(|l| l.restarts > 0) {
            sub.push_str(&format!(" · restarts {}", l.restarts));
        }
        detail_lines(&sub, w, t.muted(), &mut lines);
        if let Some(l) = launch {
            // A launched plugin whose process is not simply running says what it is doing.
            if l.state != ProcState::Running || l.removing {
                let colour = if l.has_crashed() { t.error } else { t.warning };
                detail_lines(
                    &launches::status_text(l, state.now),
                    w,
                    t.fg(colour),
                    &mut lines,
                );
            }
            launch_detail(state, l, w, &mut lines);
        }
        for (index, c) in p.capabilities.iter().enumerate() {
            let key = CapKey {
                plugin_id: p.plugin_id.clone(),
                index,
            };
            let is_sel = state.selected == Some(Row::Capability(key.clone()));
            let is_shown = state.shown == Some(Shown::Cap(key.clone()));
            let pointer = if is_shown { "▸ " } else { "  " };
            let kind = match c.kind.as_str() {
                "visitor_panel" => " panel".to_string(),
                "chat_toolbar" => " toolbar".to_string(),
                "mcp_tools" => format!(" {} tools", c.tools.len()),
                other => format!(" {other}"),
            };
            let st = if is_sel { t.selected() } else { style };
            row_line.push(lines.len());
            let avail = w.saturating_sub(kind.chars().count()).max(6);
            let title = truncate_width(&sanitize_line(&format!("{pointer}{}", c.title)), avail);
            let pad = avail.saturating_sub(text::width(&title));
            lines.push(Line::from(vec![
                Span::styled(format!("{title}{}", " ".repeat(pad)), st),
                Span::styled(truncate_width(&sanitize_line(&kind), w), t.muted()),
            ]));
        }
    }
    for e in &state.manifest_errors {
        lines.push(Line::from(Span::styled("✖ manifest error", t.fg(t.error))));
        detail_lines(e, w, t.fg(t.error), &mut lines);
    }
    (lines, row_line)
}

/// The pane's lines, the line of each row, and the scroll that keeps the selection visible:
/// drawing and mouse hits both derive it here, so a click lands on what is drawn.
fn plugins_scrolled(state: &State, body: Rect) -> (Vec<Line<'static>>, Vec<usize>, usize) {
    let (lines, row_line) = plugin_lines(state, body.width);
    let rows = state.rows();
    let sel = state
        .selected
        .as_ref()
        .and_then(|s| rows.iter().position(|r| r == s))
        .and_then(|i| row_line.get(i).copied());
    let offset = plugins_offset(sel, body.height as usize);
    (lines, row_line, offset)
}

fn plugins_offset(selected_line: Option<usize>, height: usize) -> usize {
    match selected_line {
        Some(l) if height > 0 && l + 2 > height => l + 2 - height,
        _ => 0,
    }
}

pub fn plugins(area: Rect, buf: &mut Buffer, state: &State) {
    let count = state
        .plugins
        .iter()
        .filter(|p| p.liveness == Liveness::Connected)
        .count();
    let block = pane_block(
        state,
        Pane::Plugins,
        Line::from(title_span(
            state,
            format!("Plugins ({count})"),
            Some(Pane::Plugins),
        )),
    );
    let body = block.inner(area);
    block.render(area, buf);
    if let (Some(r), true) = (&state.replay, state.plugins.is_empty()) {
        Paragraph::new(replay_without_plugins(state, r))
            .wrap(Wrap { trim: false })
            .render(body, buf);
        return;
    }
    if state.plugins.is_empty() && state.launches.is_empty() && state.manifest_errors.is_empty() {
        let t = &state.theme;
        let lines = vec![
            Line::from(Span::styled("Waiting for plugins…", t.muted())),
            Line::from(""),
            Line::from(Span::styled("Point a plugin at", t.muted())),
            Line::from(Span::styled(
                sanitize_line(&state.listening.join(" or ")),
                t.fg(t.accent),
            )),
            Line::from(Span::styled("(TGO_SOCKET_PATH)", t.muted())),
            Line::from(""),
            Line::from(Span::styled("or press a to launch one", t.muted())),
            Line::from(Span::styled("from its plugin.yml", t.muted())),
        ];
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(body, buf);
        return;
    }
    let (lines, _, offset) = plugins_scrolled(state, body);
    Paragraph::new(lines.into_iter().skip(offset).collect::<Vec<_>>()).render(body, buf);
}

/// What a replay with no plugin registration says instead of how to connect one.
fn replay_without_plugins(state: &State, r: &Replay) -> Vec<Line<'static>> {
    let t = &state.theme;
    let file = Line::from(Span::styled(sanitize_line(&r.source), t.fg(t.accent)));
    let said = |s: String| Line::from(Span::styled(s, t.muted()));
    let mut lines = match (r.messages, r.bad_lines.len()) {
        (0, 0) => vec![said("This recording is empty:".into()), file],
        (0, bad) => vec![
            said("Nothing readable in".into()),
            file,
            said(format!("{bad} unreadable line(s)")),
        ],
        (n, _) => vec![
            said("No plugin registered in".into()),
            file,
            said(format!("{n} message(s) recorded")),
        ],
    };
    if !r.bad_lines.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            "Unreadable lines (see the inspector):",
            t.fg(t.error),
        )));
        let shown: Vec<String> = r.bad_lines.iter().take(20).map(|l| l.to_string()).collect();
        let more = if r.bad_lines.len() > 20 { ", …" } else { "" };
        lines.push(said(format!("{}{more}", shown.join(", "))));
    }
    lines
}

/// Which row of `state.rows()` is drawn at screen line `y` (same derivation as `plugins`).
pub fn plugins_row_at(state: &State, area: Rect, y: u16) -> Option<usize> {
    let body = inner(area);
    if y < body.y || y >= body.bottom() {
        return None;
    }
    let (_, row_line, offset) = plugins_scrolled(state, body);
    let line = (y - body.y) as usize + offset;
    row_line.iter().position(|l| *l == line)
}

fn action_lines(state: &State, action: &Action, depth: usize, out: &mut Vec<Line<'static>>) {
    let t = &state.theme;
    let ind = "  ".repeat(depth);
    let (name, detail) = match action {
        Action::OpenUrl { url, .. } => ("open_url", format!("{url}  (o open · y copy)")),
        Action::CopyText { text } => ("copy_text", text.clone()),
        Action::ShowToast { message, kind, .. } => {
            ("show_toast", format!("[{}] {message}", kind.as_str()))
        }
        Action::InsertText { text, .. } => ("insert_text", text.clone()),
        Action::SendMessage { content, .. } => ("send_message", content.clone()),
        Action::ShowModal { title, .. } => ("show_modal", title.clone().unwrap_or_default()),
        Action::Batch(all) => {
            out.push(Line::from(Span::styled(
                format!("{ind}batch ({})", all.len()),
                t.fg(t.accent),
            )));
            for a in all {
                action_lines(state, a, depth + 1, out);
            }
            return;
        }
        Action::Refresh => ("refresh", "re-rendered".into()),
        Action::CloseModal => ("close_modal", String::new()),
        Action::Noop => ("noop", "nothing to do".into()),
        Action::Unknown { name, .. } => ("unknown", name.clone()),
        Action::Invalid { .. } => ("invalid", "not a JSON-ACTION".into()),
    };
    out.push(Line::from(vec![
        Span::styled(format!("{ind}{name} "), t.fg(t.accent)),
        Span::styled(sanitize_line(&detail), t.text()),
    ]));
}

pub fn activity(area: Rect, buf: &mut Buffer, state: &State) {
    let t = &state.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(false))
        .title(title_span(state, "Action · Chat".into(), None));
    let body = block.inner(area);
    block.render(area, buf);
    let mut lines = Vec::new();
    match &state.last_action {
        Some(rec) => {
            lines.push(Line::from(Span::styled(
                format!("last action · {:.1} ms", rec.latency.as_secs_f64() * 1000.0),
                t.muted(),
            )));
            action_lines(state, &rec.action, 0, &mut lines);
            for d in rec
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
            {
                lines.push(Line::from(Span::styled(
                    sanitize_line(&d.to_string()),
                    t.fg(t.error),
                )));
            }
        }
        None => lines.push(Line::from(Span::styled(
            "no action yet: press a button",
            t.muted(),
        ))),
    }
    if !state.chat.is_empty() {
        lines.push(Line::from(Span::styled(
            "chat composer received:",
            t.muted(),
        )));
        for c in state
            .chat
            .iter()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            lines.push(Line::from(vec![
                Span::styled(format!("{}: ", c.kind), t.fg(t.info)),
                Span::styled(sanitize_line(&c.text), t.text()),
            ]));
        }
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(body, buf);
}

/// Toolbar buttons (chat_toolbar capabilities of the shown plugin) in the render header:
/// (capability, x range).
fn toolbar_buttons(state: &State, area: Rect) -> Vec<(CapKey, u16, u16)> {
    let Some(Shown::Cap(shown)) = &state.shown else {
        return Vec::new();
    };
    let Some(p) = state.plugin(&shown.plugin_id) else {
        return Vec::new();
    };
    let mut x = area.right().saturating_sub(1);
    let mut out = Vec::new();
    for (index, c) in p.capabilities.iter().enumerate().rev() {
        if c.kind != "chat_toolbar" {
            continue;
        }
        let label = format!("[{}]", truncate_width(&sanitize_line(&c.title), 16));
        let w = text::width(&label) as u16 + 1;
        if x < area.x + w + 20 {
            break;
        }
        x -= w;
        out.push((
            CapKey {
                plugin_id: p.plugin_id.clone(),
                index,
            },
            x,
            x + w - 1,
        ));
    }
    out
}

/// The toolbar button at a point of the render pane's header, if any.
pub fn toolbar_button_at(state: &State, render: Rect, x: u16, y: u16) -> Option<CapKey> {
    if y != render.y + 1 {
        return None;
    }
    toolbar_buttons(state, inner(render))
        .into_iter()
        .find(|(_, a, b)| x >= *a && x < *b)
        .map(|(k, _, _)| k)
}

pub fn render_pane(l: &ScreenLayout, buf: &mut Buffer, state: &State) {
    let t = &state.theme;
    let title = match &state.shown {
        Some(Shown::Cap(k)) => cap_title(state, k),
        Some(Shown::Raw) => "raw answer".into(),
        None => "Render".into(),
    };
    let block = pane_block(
        state,
        Pane::Render,
        Line::from(title_span(state, sanitize_line(&title), Some(Pane::Render))),
    );
    let inner_area = block.inner(l.render);
    block.render(l.render, buf);
    if inner_area.area() == 0 {
        return;
    }
    let header = Rect::new(inner_area.x, inner_area.y, inner_area.width, 1);
    let focused = state.focus == Pane::Render;
    let Some(slot) = state.shown_slot() else {
        let lines = vec![
            Line::from(Span::styled("Nothing rendered yet.", t.muted())),
            Line::from(Span::styled(
                "Select a capability in the plugins pane (Enter renders it, r re-renders).",
                t.muted(),
            )),
        ];
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(l.render_body, buf);
        return;
    };
    let (head, rendered) = match slot {
        RenderSlot::Pending {
            since,
            method,
            previous,
        } => {
            let elapsed = state.now.saturating_duration_since(*since);
            let frame = SPINNER[(elapsed.as_millis() / 100) as usize % SPINNER.len()];
            (
                Line::from(Span::styled(
                    // The method embeds the capability type: plugin text.
                    format!(
                        "{frame} {} … {:.1} s",
                        sanitize_line(method),
                        elapsed.as_secs_f64()
                    ),
                    t.fg(t.warning),
                )),
                previous.as_deref(),
            )
        }
        RenderSlot::Failed {
            message,
            kind,
            previous,
        } => {
            let colour = if *kind == FailKind::Cancelled {
                t.warning
            } else {
                t.error
            };
            (
                Line::from(vec![
                    Span::styled(
                        format!("✖ {}: ", kind.title()),
                        t.fg(colour).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(sanitize_line(message), t.fg(colour)),
                ]),
                previous.as_deref(),
            )
        }
        RenderSlot::Ready(r) => {
            let errors = r
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = r.diagnostics.len() - errors;
            let mut spans = vec![Span::styled(
                format!(
                    "{} · {:.1} ms",
                    sanitize_line(&r.method),
                    r.latency.as_secs_f64() * 1000.0
                ),
                t.muted(),
            )];
            if errors > 0 {
                spans.push(Span::styled(format!(" · {errors} errors"), t.fg(t.error)));
            }
            if warnings > 0 {
                spans.push(Span::styled(
                    format!(" · {warnings} warnings"),
                    t.fg(t.warning),
                ));
            }
            if let Some(label) = uiview::focused_label(&r.node, &r.ui) {
                spans.push(Span::styled(
                    format!(" · ▸ {}", truncate_width(&sanitize_line(&label), 30)),
                    t.fg(t.accent),
                ));
            }
            (Line::from(spans), Some(&**r))
        }
    };
    Paragraph::new(head).render(header, buf);
    for (key, x0, x1) in toolbar_buttons(state, header) {
        let title = state
            .capability(&key)
            .map(|c| c.title.clone())
            .unwrap_or_default();
        let label = format!("[{}]", truncate_width(&sanitize_line(&title), 16));
        buf.set_stringn(
            x0,
            header.y,
            label,
            (x1 - x0) as usize,
            t.fg(t.button_link).add_modifier(Modifier::BOLD),
        );
    }
    match rendered {
        Some(r) => {
            uiview::render(
                &r.node,
                &r.ui,
                l.render_body,
                buf,
                t,
                focused && matches!(slot, RenderSlot::Ready(_)),
            );
            if l.diagnostics.area() > 0 {
                diagnostics(l.diagnostics, buf, state, r);
            }
        }
        None if matches!(slot, RenderSlot::Failed { .. }) => {
            let hint = match slot {
                RenderSlot::Failed {
                    kind: FailKind::Timeout,
                    ..
                } => "The plugin did not answer in time (--timeout). r retries.",
                RenderSlot::Failed {
                    kind: FailKind::PluginError,
                    ..
                } => "The plugin answered with a JSON-RPC error. r retries.",
                RenderSlot::Failed {
                    kind: FailKind::Disconnected,
                    ..
                } => "The connection closed before the answer came.",
                RenderSlot::Failed {
                    kind: FailKind::InvalidAnswer,
                    ..
                } => "The answer could not be used; the inspector shows it.",
                _ => "r retries.",
            };
            Paragraph::new(Span::styled(hint, t.muted()))
                .wrap(Wrap { trim: false })
                .render(l.render_body, buf);
        }
        None => {}
    }
}

fn diagnostics(area: Rect, buf: &mut Buffer, state: &State, r: &super::super::state::Rendered) {
    let t = &state.theme;
    let mut lines = vec![Line::from(Span::styled(
        format!("diagnostics ({}) · d hides", r.diagnostics.len()),
        t.muted().add_modifier(Modifier::UNDERLINED),
    ))];
    for d in r
        .diagnostics
        .iter()
        .take(area.height.saturating_sub(1) as usize)
    {
        let (mark, colour) = match d.severity {
            Severity::Error => ("✖", t.error),
            Severity::Warning => ("⚠", t.warning),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), t.fg(colour)),
            Span::styled(sanitize_line(&d.path), t.fg(t.accent)),
            Span::styled(format!(": {}", sanitize_line(&d.message)), t.text()),
        ]));
    }
    Paragraph::new(lines).render(area, buf);
}

pub fn status_bar(area: Rect, buf: &mut Buffer, state: &State, log: &MessageLog) {
    let t = &state.theme;
    let connected = state
        .plugins
        .iter()
        .filter(|p| p.liveness == Liveness::Connected)
        .count();
    let mut spans = vec![Span::styled(
        format!(" {} ", sanitize_line(&state.listening.join(" + "))),
        t.fg(t.accent),
    )];
    // TCP that other machines reach lets anyone register: said for as long as it listens.
    if let Some(tcp) = state
        .listening
        .iter()
        .find(|a| crate::host::listener::bound_exposed(a))
    {
        spans.push(Span::styled(
            format!(
                "⚠ TCP {} open to the network, no authentication ",
                sanitize_line(tcp)
            ),
            t.fg(t.error).add_modifier(Modifier::BOLD),
        ));
    }
    spans.extend([
        Span::styled(
            format!(
                "· {connected} plugin{} ",
                if connected == 1 { "" } else { "s" }
            ),
            t.text(),
        ),
        Span::styled(
            format!("· {} pending ", state.pending.len()),
            if state.pending.is_empty() {
                t.muted()
            } else {
                t.fg(t.warning)
            },
        ),
        Span::styled(format!("· {} msgs ", log.last_seq()), t.muted()),
    ]);
    if let Some(e) = &state.last_error {
        spans.push(Span::styled(
            format!("· {} ", truncate_width(&sanitize_line(e), 40)),
            t.fg(t.error),
        ));
    }
    spans.push(Span::styled(
        format!("│ {}", keymap::hints(state.focus)),
        t.muted(),
    ));
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// Colour of a toast kind.
pub fn toast_style(state: &State, kind: ToastKind) -> Style {
    let t = &state.theme;
    let c = match kind {
        ToastKind::Success => t.success,
        ToastKind::Info => t.info,
        ToastKind::Warning => t.warning,
        ToastKind::Error => t.error,
    };
    Style::new().fg(c.0)
}
