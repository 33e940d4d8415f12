//! The fixed panes: context bar, plugins, activity (last action + chat), render pane, status bar.

use super::super::msg::CapKey;
use super::super::state::{
    Entry, EventOutcome, EventRecord, FailKind, Launch, Liveness, Pane, PluginView, RenderSlot,
    Replay, Row, Shown, State, ToastKind,
};
use super::super::story::{StoryFile, StoryKey};
use super::super::uiview;
use super::{ScreenLayout, cap_title, inner};
use crate::host::{CapabilityKind, HealthLevel, MessageLog};
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

/// Forms of the context bar, most detailed first: with the edit hint, with labels, bare
/// values, bare values behind a short badge.
pub const CONTEXT_LEVELS: usize = 4;

/// The context bar's text at `level` (0: everything … 3: the values alone).
fn context_spans(state: &State, level: usize) -> Vec<Span<'static>> {
    let t = &state.theme;
    let c = &state.ctx;
    let value = |v: &str| {
        Span::styled(
            sanitize_line(v),
            t.fg(t.accent).add_modifier(Modifier::BOLD),
        )
    };
    let sep = || Span::styled(" · ", t.muted());
    let label = |l: &'static str| (level < 2).then(|| Span::styled(l, t.muted()));
    let badge = if level < 3 { " tgo-console " } else { " tgo " };
    let mut spans = vec![Span::styled(
        badge,
        t.fg(t.title)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
    )];
    // A replay shows the context its renders were recorded with, and it cannot be edited.
    let replay = state.session.replay.as_ref();
    if replay.is_some() {
        spans.push(Span::styled(
            " replay",
            t.fg(t.warning).add_modifier(Modifier::BOLD),
        ));
    }
    spans.push(Span::raw(" "));
    if replay.is_some_and(|r| !r.recorded_context) {
        spans.push(Span::styled(" no render recorded", t.muted()));
        return spans;
    }
    spans.extend(label(" visitor "));
    spans.push(value(&c.visitor_id));
    spans.push(sep());
    spans.extend(label("session "));
    spans.push(value(&c.session_id));
    spans.push(sep());
    spans.push(value(&c.language));
    spans.push(sep());
    spans.push(value(&c.channel_type));
    if level == 0 && replay.is_none() {
        spans.push(Span::styled("  (v edit)", t.muted()));
    }
    spans
}

/// Columns the context bar's text takes at `level`.
pub fn context_width(state: &State, level: usize) -> usize {
    Line::from(context_spans(state, level)).width()
}

pub fn context_bar(area: Rect, buf: &mut Buffer, state: &State) {
    let t = &state.theme;
    let (level, _) = super::context_fit(area, state);
    let buttons = super::bar_buttons(area, state);
    let text_end = buttons
        .iter()
        .map(|(_, r)| r.x)
        .min()
        .unwrap_or(area.right());
    Paragraph::new(Line::from(context_spans(state, level))).render(
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

/// The plugin's dot: its shape says whether it is connected, its colour its health
/// ([`State::health_level`]).
fn liveness_marker(
    state: &State,
    p: &PluginView,
    launch: Option<&Launch>,
) -> (Span<'static>, Style) {
    let t = &state.theme;
    let colour = match state.health_level(p, launch) {
        HealthLevel::Red => t.error,
        HealthLevel::Amber => t.warning,
        HealthLevel::Green | HealthLevel::Unknown => t.success,
    };
    match &p.liveness {
        Liveness::Connected => (Span::styled("● ", t.fg(colour)), t.text()),
        Liveness::Replaced => (Span::styled("◌ ", t.fg(t.warning)), t.muted()),
        Liveness::Disconnected(_) => (Span::styled("○ ", t.fg(t.error)), t.muted()),
    }
}

/// The health numbers under a plugin: its requests (see [`crate::host::health`]), restarts,
/// and a launched one's memory and CPU. `None` before there is any.
fn health_line(state: &State, p: &PluginView, launch: Option<&Launch>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(h) = state
        .health
        .plugins
        .get(&p.plugin_id)
        .filter(|h| h.requests > 0)
    {
        parts.push(h.summary());
    }
    if let Some(u) = launch.and_then(|l| state.health.usage.get(&l.id)) {
        parts.push(format!("{:.1} MiB", u.rss_bytes as f64 / (1024.0 * 1024.0)));
        if let Some(cpu) = u.cpu_percent {
            parts.push(format!("{cpu:.0} % CPU"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
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
        ProcState::Running if l.never_registered(state.now, state.launches.register_deadline) => {
            ("⚠ ", t.warning)
        }
        ProcState::Running => return None,
        ProcState::Starting => ("◔ ", t.info),
        ProcState::Building => ("⚒ ", t.info),
        ProcState::Restarting { .. } => ("↻ ", t.warning),
        ProcState::Stopping => ("◌ ", t.warning),
        ProcState::Stopped => ("■ ", t.muted),
        ProcState::Exited { code: 0 } => ("○ ", t.muted),
        ProcState::Exited { .. }
        | ProcState::Killed { .. }
        | ProcState::FailedToStart(_)
        | ProcState::BuildFailed(_)
        | ProcState::CrashLoop { .. } => ("✖ ", t.error),
    };
    Some((Span::styled(mark, t.fg(colour)), t.muted()))
}

/// The detail lines under a launched plugin: why it is flagged, and the last lines a crashed
/// one printed (visible at once, without opening the output pane).
fn launch_detail(state: &State, l: &Launch, w: usize, lines: &mut Vec<Line<'static>>) {
    let t = &state.theme;
    if l.never_registered(state.now, state.launches.register_deadline) {
        let secs = state.launches.register_deadline.as_secs();
        let text = format!("⚠ no register after {secs} s");
        detail_lines(&text, w, t.fg(t.warning), lines);
    }
    if l.has_crashed() {
        // The last lines of this run (not of the one before the last restart), wrapped: the
        // end of a traceback line is usually the part that matters.
        // A failed build: its command's lines (the compiler's errors), up to the verdict.
        let build_failed = matches!(l.state, ProcState::BuildFailed(_));
        let run = l
            .output
            .iter()
            .rposition(|o| {
                o.stream == StreamKind::Console && (!build_failed || o.text.starts_with("$ "))
            })
            .map_or(0, |i| i + 1);
        let tail = l.output.range(run..).rev().take(CRASH_LINES).rev();
        let avail = w.saturating_sub(4).max(1);
        for o in tail {
            let colour = if o.stream == StreamKind::Stderr {
                t.error
            } else {
                t.muted
            };
            let pieces = text::wrap_width(&sanitize_line(&o.text), avail);
            let cut = pieces.len().saturating_sub(CRASH_LINE_ROWS);
            for (i, piece) in pieces.into_iter().skip(cut).enumerate() {
                let mark = if i == 0 && cut > 0 { "…" } else { "│" };
                lines.push(Line::from(Span::styled(
                    format!("  {mark} {piece}"),
                    t.fg(colour),
                )));
            }
        }
    }
}

/// Rows one crash line may take under its plugin.
const CRASH_LINE_ROWS: usize = 4;

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

/// Display lines of the plugins pane: one per row of `state.rows()`, plus detail lines, and
/// the line of the selected row. Lines are built only until the pane of `height` below the
/// selection is full: a list of thousands costs what is shown, not what is listed.
fn plugin_lines(
    state: &State,
    width: u16,
    height: usize,
) -> (Vec<Line<'static>>, Vec<usize>, Option<usize>) {
    let t = &state.theme;
    let mut lines = Vec::new();
    let mut row_line = Vec::new();
    let mut sel_line = None;
    let w = width as usize;
    if state.forgotten > 0 {
        let text = format!("… {} older gone plugins not kept", state.forgotten);
        detail_lines(&text, w, t.muted(), &mut lines);
    }
    let full = |lines: &[Line<'_>], sel: Option<usize>| {
        let shown_from = plugins_offset(sel, height);
        (sel.is_some() || state.selected.is_none()) && lines.len() >= shown_from + height
    };
    for entry in state.entries() {
        if full(&lines, sel_line) {
            return (lines, row_line, sel_line);
        }
        let (p, launch) = match entry {
            Entry::Launch(l) => {
                let (marker, style) = process_marker(state, l)
                    .unwrap_or_else(|| (Span::styled("◔ ", t.fg(t.info)), t.text()));
                let mut name_style = style.add_modifier(Modifier::BOLD);
                if state.selected == Some(Row::Launch(l.id)) {
                    name_style = t.selected();
                    sel_line = Some(lines.len());
                }
                row_line.push(lines.len());
                lines.push(Line::from(vec![
                    marker,
                    Span::styled(
                        truncate_width(&sanitize_line(&l.name), w.saturating_sub(2)),
                        name_style,
                    ),
                ]));
                let mut sub = l.status_text(state.now);
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
            .unwrap_or_else(|| liveness_marker(state, p, launch));
        let selected = state.selected == Some(Row::Plugin(p.plugin_id.clone()));
        let mut name_style = style.add_modifier(Modifier::BOLD);
        if selected {
            name_style = t.selected();
            sel_line = Some(lines.len());
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
        if p.upstream_lost && p.liveness == Liveness::Connected {
            sub.push_str(" · real host lost, redialling");
        }
        if let Some(l) = launch.filter(|l| l.restarts > 0) {
            sub.push_str(&format!(" · restarts {}", l.restarts));
        }
        detail_lines(&sub, w, t.muted(), &mut lines);
        if let Some(health) = health_line(state, p, launch) {
            let colour = match state.health_level(p, launch) {
                HealthLevel::Red => t.error,
                HealthLevel::Amber => t.warning,
                HealthLevel::Green | HealthLevel::Unknown => t.muted,
            };
            detail_lines(&health, w, t.fg(colour), &mut lines);
        }
        // Which manifest it was launched from: two launches may register the same name.
        if let Some(label) = launch.and_then(|l| manifest_label(&l.manifest)) {
            detail_lines(&label, w, t.muted(), &mut lines);
        }
        let about = match (&p.author, &p.description) {
            (Some(a), Some(d)) => Some(format!("{d} — {a}")),
            (None, Some(d)) => Some(d.clone()),
            (Some(a), None) => Some(format!("by {a}")),
            (None, None) => None,
        };
        if let Some(about) = about {
            // Two lines at most: the list is for finding plugins, not reading about them.
            let about = truncate_width(&sanitize_line(&about), 2 * w.saturating_sub(2));
            detail_lines(&about, w, t.fg(t.info), &mut lines);
        }
        for note in super::register_warning(&p.register_notes) {
            detail_lines(&format!("⚠ {note}"), w, t.fg(t.warning), &mut lines);
        }
        if let Some(l) = launch {
            // A launched plugin whose process is not simply running says what it is doing.
            if l.state != ProcState::Running || l.removing {
                let colour = if l.has_crashed() { t.error } else { t.warning };
                detail_lines(&l.status_text(state.now), w, t.fg(colour), &mut lines);
            }
            launch_detail(state, l, w, &mut lines);
        }
        let stories = state.stories_of(p);
        for index in p.by_priority() {
            let c = &p.capabilities[index];
            let key = CapKey {
                plugin_id: p.plugin_id.clone(),
                index,
            };
            let is_sel = state.selected == Some(Row::Capability(key.clone()));
            let is_shown = state.render.shown == Some(Shown::Cap(key.clone()));
            let pointer = if is_shown { "▸ " } else { "  " };
            let kind = match &c.kind {
                CapabilityKind::VisitorPanel => " panel".to_string(),
                CapabilityKind::ChatToolbar => " toolbar".to_string(),
                CapabilityKind::McpTools => format!(" {} tools", c.tools.len()),
                other => format!(" {other}"),
            };
            let st = if is_sel { t.selected() } else { style };
            if is_sel {
                sel_line = Some(lines.len());
            }
            row_line.push(lines.len());
            let avail = w.saturating_sub(kind.chars().count()).max(6);
            let title = truncate_width(&sanitize_line(&format!("{pointer}{}", c.title)), avail);
            let pad = avail.saturating_sub(text::width(&title));
            lines.push(Line::from(vec![
                Span::styled(format!("{title}{}", " ".repeat(pad)), st),
                Span::styled(truncate_width(&sanitize_line(&kind), w), t.muted()),
            ]));
            if is_sel {
                let mut about = format!("priority {}", c.priority);
                if let Some(icon) = &c.icon {
                    about = format!("icon {icon} · {about}");
                }
                if let Some(tip) = &c.tooltip {
                    about.push_str(&format!(" · {tip}"));
                }
                detail_lines(&about, w, t.muted(), &mut lines);
            }
            for (_, f) in stories.iter().filter(|(at, _)| *at == Some(index)) {
                if story_line(state, p, f, w, &mut lines, &mut row_line) {
                    sel_line = Some(row_line[row_line.len() - 1]);
                }
            }
        }
        for (_, f) in stories.iter().filter(|(at, _)| at.is_none()) {
            if story_line(state, p, f, w, &mut lines, &mut row_line) {
                sel_line = Some(row_line[row_line.len() - 1]);
            }
        }
    }

    for e in &state.launches.manifest_errors {
        lines.push(Line::from(Span::styled("✖ manifest error", t.fg(t.error))));
        detail_lines(e, w, t.fg(t.error), &mut lines);
    }
    for u in &state.unregistered {
        let head = Span::styled(
            format!("✖ connection #{} never registered", u.conn),
            t.fg(t.error),
        );
        lines.extend(super::super::wrap::wrap_spans(&[head], w, 2));
        detail_lines(&u.reason, w, t.fg(t.error), &mut lines);
    }
    (lines, row_line, sel_line)
}

/// A story row under its capability (or its plugin): its name, whether it passed when last
/// played, and, selected, its file and steps (or why it cannot be read). Whether it is the
/// selected row.
fn story_line(
    state: &State,
    p: &PluginView,
    f: &StoryFile,
    w: usize,
    lines: &mut Vec<Line<'static>>,
    row_line: &mut Vec<usize>,
) -> bool {
    let t = &state.theme;
    let key = StoryKey {
        plugin_id: p.plugin_id.clone(),
        path: f.path.clone(),
    };
    let playing = state
        .stories
        .play
        .as_ref()
        .is_some_and(|pl| pl.key == key && !pl.done);
    let (mark, colour) = if f.error.is_some() {
        ("⚠", t.error)
    } else if playing {
        ("▶", t.warning)
    } else {
        match state.stories.results.get(&f.path) {
            Some(true) => ("✔", t.success),
            Some(false) => ("✖", t.error),
            None => ("▷", t.info),
        }
    };
    let selected = state.selected == Some(Row::Story(key));
    let name_style = if selected { t.selected() } else { t.text() };
    let label = " story";
    let avail = w.saturating_sub(label.len()).max(8);
    let name = truncate_width(&sanitize_line(&f.name), avail.saturating_sub(4));
    let pad = avail.saturating_sub(4 + text::width(&name));
    row_line.push(lines.len());
    lines.push(Line::from(vec![
        Span::raw("  "),
        Span::styled(format!("{mark} "), t.fg(colour)),
        Span::styled(format!("{name}{}", " ".repeat(pad)), name_style),
        Span::styled(label, t.muted()),
    ]));
    if selected {
        // `stories/vip` for stories/vip.scenario.yml: the pane is narrow.
        let file = state
            .plugin_dir(&p.plugin_id)
            .and_then(|d| f.path.strip_prefix(d).ok().map(|r| r.display().to_string()))
            .unwrap_or_else(|| f.path.display().to_string());
        let file = [".scenario.yml", ".scenario.yaml"]
            .iter()
            .find_map(|s| file.strip_suffix(s))
            .map_or(file.clone(), String::from);
        match &f.error {
            Some(e) => detail_lines(e, w, t.fg(t.error), lines),
            None => detail_lines(
                &format!(
                    "{file} · {} step{} · Enter plays it",
                    f.steps,
                    if f.steps == 1 { "" } else { "s" }
                ),
                w,
                t.muted(),
                lines,
            ),
        }
    }
    selected
}

/// The pane's lines, the line of each row, and the scroll that keeps the selection visible:
/// drawing and mouse hits both derive it here, so a click lands on what is drawn.
fn plugins_scrolled(state: &State, body: Rect) -> (Vec<Line<'static>>, Vec<usize>, usize) {
    let (lines, row_line, sel) = plugin_lines(state, body.width, body.height as usize);
    let offset = plugins_offset(sel, body.height as usize);
    (lines, row_line, offset)
}

fn plugins_offset(selected_line: Option<usize>, height: usize) -> usize {
    match selected_line {
        Some(l) if height > 0 && l + 2 > height => l + 2 - height,
        _ => 0,
    }
}

/// `orders/plugin.yml`: the manifest's file and the directory it is in (none for the built-in
/// demo, which has no manifest file).
fn manifest_label(manifest: &std::path::Path) -> Option<String> {
    let file = manifest.file_name()?.to_string_lossy();
    if !["plugin.yml", "plugin.yaml", "plugin.json"].contains(&file.as_ref()) {
        return None;
    }
    Some(
        match manifest
            .parent()
            .and_then(|d| d.file_name())
            .map(|d| d.to_string_lossy())
        {
            Some(dir) => format!("{dir}/{file}"),
            None => file.into_owned(),
        },
    )
}

pub fn plugins(area: Rect, buf: &mut Buffer, state: &State) {
    let connected = state
        .plugins
        .iter()
        .filter(|p| p.liveness == Liveness::Connected)
        .count();
    let listed = state.entries().len();
    let title = if listed == connected {
        format!("Plugins {listed}")
    } else {
        format!("Plugins {connected}/{listed} connected")
    };
    let block = pane_block(
        state,
        Pane::Plugins,
        Line::from(title_span(state, title, Some(Pane::Plugins))),
    );
    let body = block.inner(area);
    block.render(area, buf);
    if let (Some(r), true) = (&state.session.replay, state.plugins.is_empty()) {
        Paragraph::new(replay_without_plugins(state, r))
            .wrap(Wrap { trim: false })
            .render(body, buf);
        return;
    }
    if state.plugins.is_empty()
        && state.launches.list.is_empty()
        && state.launches.manifest_errors.is_empty()
        && state.unregistered.is_empty()
    {
        let t = &state.theme;
        let lines = vec![
            Line::from(Span::styled("Waiting for plugins…", t.muted())),
            Line::from(""),
            Line::from(Span::styled("Point a plugin at", t.muted())),
            Line::from(Span::styled(
                sanitize_line(&state.session.listening.join(" or ")),
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

/// The last event: what was sent, then its action, or a spinner, or why there is none.
fn event_lines(state: &State, rec: &EventRecord, lines: &mut Vec<Line<'static>>) {
    let t = &state.theme;
    lines.push(Line::from(vec![
        Span::styled("sent ", t.muted()),
        Span::styled(sanitize_line(&rec.sent), t.fg(t.title)),
    ]));
    match &rec.outcome {
        EventOutcome::Pending => {
            let elapsed = state.now.saturating_duration_since(rec.since);
            let frame = SPINNER[(elapsed.as_millis() / 100) as usize % SPINNER.len()];
            lines.push(Line::from(Span::styled(
                format!("{frame} waiting… {:.1} s", elapsed.as_secs_f64()),
                t.fg(t.warning),
            )));
        }
        EventOutcome::Action {
            action,
            diagnostics,
            latency,
        } => {
            lines.push(Line::from(Span::styled(
                format!("answered · {:.1} ms", latency.as_secs_f64() * 1000.0),
                t.muted(),
            )));
            action_lines(state, action, 0, lines);
            for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
                lines.push(Line::from(Span::styled(
                    sanitize_line(&d.to_string()),
                    t.fg(t.error),
                )));
            }
        }
        EventOutcome::Failed { kind, message } => {
            let colour = if *kind == FailKind::Cancelled {
                t.warning
            } else {
                t.error
            };
            lines.push(Line::from(Span::styled(
                format!("✖ {}", kind.title()),
                t.fg(colour).add_modifier(Modifier::BOLD),
            )));
            lines.push(Line::from(Span::styled(
                sanitize_line(message),
                t.fg(colour),
            )));
        }
    }
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
    match &state.activity.last_event {
        Some(rec) => event_lines(state, rec, &mut lines),
        None => lines.push(Line::from(Span::styled(
            "no action yet: press a button",
            t.muted(),
        ))),
    }
    if !state.activity.chat.is_empty() {
        lines.push(Line::from(Span::styled(
            "chat composer received:",
            t.muted(),
        )));
        for c in state
            .activity
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
    let Some(Shown::Cap(shown)) = &state.render.shown else {
        return Vec::new();
    };
    let Some(p) = state.plugin(&shown.plugin_id) else {
        return Vec::new();
    };
    let mut x = area.right().saturating_sub(1);
    let mut out = Vec::new();
    for (index, c) in p.capabilities.iter().enumerate().rev() {
        if c.kind != CapabilityKind::ChatToolbar {
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
    let title = match &state.render.shown {
        _ if let Some(p) = &state.render.past => format!("{} · as of #{}", p.title, p.seq),
        Some(Shown::Cap(k)) if state.showing_host() => {
            format!("{} · real host", cap_title(state, k))
        }
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
        if state.render.due.is_some() {
            // Rendered once the selection rests on it: a moment away.
            Paragraph::new(Span::styled("…", t.muted())).render(header, buf);
            return;
        }
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
        RenderSlot::Failed { kind, previous, .. } => {
            let colour = if *kind == FailKind::Cancelled {
                t.warning
            } else {
                t.error
            };
            // The message itself, wrapped, goes under the header (`render_notice`).
            let after = if previous.is_some() {
                " · r retries · the last good render below"
            } else {
                " · r retries"
            };
            (
                Line::from(vec![
                    Span::styled(
                        format!("✖ {}", kind.title()),
                        t.fg(colour).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(after, t.muted()),
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
            // Drawn locally (tools, show_modal): no request, no latency.
            let latency = if r.latency.is_zero() {
                String::new()
            } else {
                format!(" · {:.1} ms", r.latency.as_secs_f64() * 1000.0)
            };
            let mut spans = vec![Span::styled(
                format!("{}{latency}", sanitize_line(&r.method)),
                t.muted(),
            )];
            if errors > 0 {
                spans.push(Span::styled(
                    format!(" · {}", plural(errors, "error")),
                    t.fg(t.error),
                ));
            }
            if warnings > 0 {
                spans.push(Span::styled(
                    format!(" · {}", plural(warnings, "warning")),
                    t.fg(t.warning),
                ));
            }
            match r.since_build {
                Some(true) => spans.push(Span::styled(" · same as before", t.fg(t.success))),
                Some(false) => spans.push(Span::styled(
                    " · changed since the last build (= diff)",
                    t.fg(t.warning).add_modifier(Modifier::BOLD),
                )),
                None => {}
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
    // The web preview and a set width say so, with what the web UI would not draw.
    let head = match (state.render.web, state.render.width, rendered) {
        (false, None, _) => head,
        // First, so a narrow header keeps them.
        (web, width, r) => {
            let mut spans = Vec::new();
            if web {
                let missing = r.map_or(0, |r| crate::jsonui::web_missing(&r.node));
                let (text, colour) = match missing {
                    0 => ("web ✓".to_string(), t.success),
                    n => (format!("web ✗ {n}"), t.error),
                };
                spans.push(Span::styled(
                    text,
                    t.fg(colour).add_modifier(Modifier::BOLD),
                ));
            }
            if let Some(w) = width {
                let sep = if web { " · " } else { "" };
                // Wider than the pane, the UI is drawn at the pane's width: say so.
                let text = if w < inner_area.width {
                    format!("{sep}{w} cols")
                } else {
                    format!("{sep}{w} cols > pane")
                };
                spans.push(Span::styled(text, t.muted()));
            }
            spans.push(Span::styled(" · ", t.muted()));
            spans.extend(head.spans);
            Line::from(spans)
        }
    };
    // Time travel: the banner says which moment is drawn, and how back to now.
    let head = match &state.render.past {
        Some(p) => Line::from(vec![
            Span::styled(
                format!("◷ as of #{} {}", p.seq, crate::text::clock(p.at)),
                t.fg(t.accent).add_modifier(Modifier::BOLD),
            ),
            Span::styled(" · Esc live · = diff", t.muted()),
        ]),
        None => head,
    };
    // The toolbar buttons keep their place on the right; the rest is cut to fit before them.
    let buttons = toolbar_buttons(state, header);
    let room = buttons
        .iter()
        .map(|(_, x0, _)| *x0)
        .min()
        .map_or(header.width, |x0| x0.saturating_sub(header.x + 1));
    Paragraph::new(fit_line(head, room as usize)).render(header, buf);
    if l.render_story.area() > 0 {
        Paragraph::new(super::story::header_lines(state, l.render_story.width))
            .render(l.render_story, buf);
    }
    if l.render_notice.area() > 0 {
        let colour = match slot {
            _ if state.render.past.is_some() => t.accent,
            RenderSlot::Failed {
                kind: FailKind::Cancelled,
                ..
            } => t.warning,
            _ => t.error,
        };
        let lines: Vec<Line> = super::failure_lines(state, l.render_notice.width)
            .into_iter()
            .map(|s| Line::from(Span::styled(s, t.fg(colour))))
            .collect();
        Paragraph::new(lines).render(l.render_notice, buf);
    }
    for (key, x0, x1) in buttons {
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
            let body = l.render_body;
            uiview::render(
                &r.node,
                &r.ui,
                body,
                buf,
                t,
                focused && matches!(slot, RenderSlot::Ready(_)),
            );
            // The edge of a set width, so what is past it is known to be outside.
            if body.right() < l.render.right().saturating_sub(1) {
                for y in body.top()..body.bottom() {
                    buf[(body.right(), y)].set_symbol("┊").set_style(t.muted());
                }
            }
        }
        None if matches!(slot, RenderSlot::Failed { .. }) => {
            let hint = match slot {
                RenderSlot::Failed {
                    kind: FailKind::Timeout,
                    ..
                } => "The plugin did not answer in time (--timeout).",
                RenderSlot::Failed {
                    kind: FailKind::PluginError,
                    ..
                } => "The plugin answered with a JSON-RPC error.",
                RenderSlot::Failed {
                    kind: FailKind::Disconnected,
                    ..
                } => "The connection closed before the answer came.",
                RenderSlot::Failed {
                    kind: FailKind::InvalidAnswer,
                    ..
                } => "The answer could not be used; the inspector shows it.",
                _ => "",
            };
            Paragraph::new(Span::styled(hint, t.muted()))
                .wrap(Wrap { trim: false })
                .render(l.render_body, buf);
        }
        None => {}
    }
    if l.diagnostics.area() > 0 {
        super::super::diagnostics::draw(l.diagnostics, buf, state);
    }
}

/// `1 warning`, `3 warnings`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `line` cut to `w` columns, the cut marked with `…` in the style of the span it falls in.
fn fit_line(line: Line<'static>, w: usize) -> Line<'static> {
    if line.width() <= w {
        return line;
    }
    let mut used = 0;
    let mut spans = Vec::new();
    for span in line.spans {
        let sw = text::width(&span.content);
        if used + sw < w {
            used += sw;
            spans.push(span);
            continue;
        }
        // A trailing space makes an exact fit too wide, so the spans dropped after it are
        // marked with `…` too.
        spans.push(Span::styled(
            truncate_width(&format!("{} ", span.content), w - used),
            span.style,
        ));
        break;
    }
    Line::from(spans)
}

/// The status bar: plugins and pending requests, the current error in full, then as many key
/// hints as fit; the message count and the socket path only when there is room left.
pub fn status_bar(area: Rect, buf: &mut Buffer, state: &State, log: &MessageLog) {
    let t = &state.theme;
    let w = area.width as usize;
    let connected = state
        .plugins
        .iter()
        .filter(|p| p.liveness == Liveness::Connected)
        .count();
    let core = format!(
        " {connected} plugin{} · {} pending ",
        if connected == 1 { "" } else { "s" },
        state.pending.len()
    );
    let pending_style = if state.pending.is_empty() {
        t.text()
    } else {
        t.fg(t.warning)
    };
    let mut used = text::width(&core);
    // TCP that other machines reach lets anyone register: said for as long as it listens.
    let exposed = state
        .session
        .listening
        .iter()
        .find(|a| crate::host::listener::bound_exposed(a))
        .map(|tcp| {
            let text = truncate_width(
                &format!(
                    "⚠ TCP {} open to the network, no authentication ",
                    sanitize_line(tcp)
                ),
                w.saturating_sub(used),
            );
            used += text::width(&text);
            text
        });
    let error = state.error_text().map(|e| {
        let e = truncate_width(
            &format!("· ✖ {} ", sanitize_line(e)),
            w.saturating_sub(used),
        );
        used += text::width(&e);
        e
    });
    // Before the key hints: which plugin is failing matters more than a reminder of keys.
    let (health, health_colour) = health_summary(state);
    let health = health.filter(|h| used + text::width(h) <= w).inspect(|h| {
        used += text::width(h);
    });
    let mut hints = Vec::new();
    for h in state.personal.keymap.hints(&state.active_scopes()) {
        let sep = if hints.is_empty() { "│ " } else { " · " };
        if used + sep.len() + text::width(&h) > w {
            break;
        }
        used += text::width(sep) + text::width(&h);
        hints.push(format!("{sep}{h}"));
    }
    let mut optional = |s: String| {
        let fits = used + text::width(&s) <= w;
        if fits {
            used += text::width(&s);
        }
        fits.then_some(s)
    };
    let msgs = optional(format!("· {} msgs ", log.last_seq()));
    // A proxy says where it forwards to.
    let upstream = state
        .session
        .upstream
        .as_ref()
        .map(|u| format!(" ⇄ {}", sanitize_line(u)))
        .unwrap_or_default();
    let socket = optional(format!(
        " {}{upstream} ·",
        sanitize_line(&state.session.listening.join(" + "))
    ));
    let mut spans = Vec::new();
    if let Some(socket) = socket {
        spans.push(Span::styled(socket, t.fg(t.accent)));
    }
    if let Some(x) = exposed {
        spans.push(Span::styled(x, t.fg(t.error).add_modifier(Modifier::BOLD)));
    }
    spans.push(Span::styled(core, pending_style));
    if let Some(h) = health {
        spans.push(Span::styled(h, t.fg(health_colour)));
    }
    if let Some(msgs) = msgs {
        spans.push(Span::styled(msgs, t.muted()));
    }
    if let Some(e) = error {
        spans.push(Span::styled(e, t.fg(t.error)));
    }
    spans.push(Span::styled(hints.concat(), t.muted()));
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// The status bar's health: requests, errors and timeouts of every plugin, and how many are
/// red or amber; in the colour of the worst. `None` before any request.
fn health_summary(state: &State) -> (Option<String>, crate::tui::theme::ThemeColor) {
    let t = &state.theme;
    let all = &state.health.plugins;
    let requests: u64 = all.values().map(|h| h.requests).sum();
    if requests == 0 {
        return (None, t.muted);
    }
    let errors: u64 = all.values().map(|h| h.errors).sum();
    let timeouts: u64 = all.values().map(|h| h.timeouts).sum();
    let (mut red, mut amber) = (0, 0);
    for e in state.entries() {
        let Entry::Plugin(p, launch) = e else {
            continue;
        };
        match state.health_level(p, launch) {
            HealthLevel::Red => red += 1,
            HealthLevel::Amber => amber += 1,
            _ => {}
        }
    }
    let s = if timeouts == 1 { "" } else { "s" };
    let mut text = format!("· {requests} req · {errors} err · {timeouts} timeout{s} ");
    if red > 0 {
        text.push_str(&format!("· {red} red "));
    }
    if amber > 0 {
        text.push_str(&format!("· {amber} amber "));
    }
    let colour = if red > 0 {
        t.error
    } else if amber > 0 {
        t.warning
    } else {
        t.muted
    };
    (Some(text), colour)
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
