//! Chaos from the console (`C` on a plugin, or "chaos" in the palette): the app runs the
//! faults of [`crate::check::chaos`] against the selected plugin and sends what it learns as
//! [`ChaosNews`]; a modal shows the faults as they are judged, then the verdict table, and a
//! toast says how it ended.

use super::msg::{ChaosNews, Effect};
use super::state::*;
use super::theme::Theme;
use crate::check::chaos::Verdict;
use crate::text::sanitize_line;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The plugin the selection is about: a plugin, its capability or story, a launched one.
fn selected_plugin(state: &State) -> Option<String> {
    match &state.selected {
        Some(Row::Plugin(id)) => Some(id.clone()),
        Some(Row::Capability(k)) => Some(k.plugin_id.clone()),
        Some(Row::Story(k)) => Some(k.plugin_id.clone()),
        _ => state.selected_launch().and_then(|l| l.plugin_id.clone()),
    }
}

/// `chaos`: shows the run in progress, or starts one on the selected connected plugin.
pub fn start(state: &mut State) -> Vec<Effect> {
    if state.chaos.as_ref().is_some_and(|r| !r.finished()) {
        state.modal = Some(Modal::Chaos { scroll: 0 });
        return Vec::new();
    }
    let Some(plugin_id) = selected_plugin(state) else {
        state.toast(
            ToastKind::Info,
            "chaos: select a plugin first".into(),
            TOAST,
        );
        return Vec::new();
    };
    let connected = state
        .plugins
        .iter()
        .any(|p| p.plugin_id == plugin_id && p.liveness == Liveness::Connected);
    if !connected {
        state.toast(
            ToastKind::Warning,
            format!("chaos: {plugin_id} is not connected"),
            TOAST,
        );
        return Vec::new();
    }
    let mut options = state.chaos_options.clone();
    options.visitor = state.ctx.visitor_id.clone();
    state.chaos = Some(ChaosRun {
        plugin_id: plugin_id.clone(),
        faults: options.faults.clone(),
        judged: Vec::new(),
        running: None,
        report: None,
    });
    state.modal = Some(Modal::Chaos { scroll: 0 });
    vec![Effect::Chaos {
        plugin_id,
        options: Box::new(options),
    }]
}

/// News from the run; the end is toasted and noted in the message log.
pub fn on_news(state: &mut State, news: ChaosNews) -> Vec<Effect> {
    let Some(run) = state.chaos.as_mut() else {
        return Vec::new();
    };
    match news {
        ChaosNews::Starting(fault) => run.running = Some(fault),
        ChaosNews::Judged(report) => {
            run.running = None;
            run.judged.push(*report);
        }
        ChaosNews::Done(report) => {
            run.running = None;
            run.judged = report.faults.clone();
            let plugin = run.plugin_id.clone();
            let text = format!("chaos: {plugin} {}", report.headline());
            let kind = if report.passed {
                ToastKind::Success
            } else {
                ToastKind::Error
            };
            run.report = Some(*report);
            state.toast(kind, text.clone(), TOAST * 2);
            return vec![Effect::Note { plugin, text }];
        }
    }
    Vec::new()
}

fn verdict_style(t: &Theme, v: Verdict) -> Style {
    match v {
        Verdict::Ok | Verdict::ErrorAnswer => t.fg(t.success),
        Verdict::Wrong => t.fg(t.warning),
        Verdict::NotRun => t.muted(),
        Verdict::Hung | Verdict::Crashed => t.fg(t.error).add_modifier(Modifier::BOLD),
    }
}

/// The modal's lines at `width` columns: a row per fault (its verdict, then what the plugin
/// did, wrapped under itself; the healthy render when it was not plainly ok), then how it
/// ended.
pub fn lines(run: &ChaosRun, t: &Theme, width: u16) -> Vec<Line<'static>> {
    const VERDICT: usize = 12;
    let name_width = run.faults.iter().map(|f| f.name().len()).max().unwrap_or(0);
    let indent = name_width + 2 + VERDICT + 2;
    let room = (width as usize).saturating_sub(indent).max(20);
    // The explanation wraps at whole words: cut, it would end mid-word at 80 columns.
    let mut out: Vec<Line<'static>> = crate::text::wrap_width(
        "Each fault is followed by a healthy render; crashed or hung fails.",
        width as usize,
    )
    .into_iter()
    .map(|l| Line::from(Span::styled(l, t.muted())))
    .collect();
    out.push(Line::default());
    for fault in &run.faults {
        let name = Span::styled(format!("{:<name_width$}  ", fault.name()), t.text());
        let Some(r) = run.judged.iter().find(|r| r.fault == *fault) else {
            let state = if run.running == Some(*fault) {
                Span::styled("running…", t.fg(t.accent).add_modifier(Modifier::BOLD))
            } else {
                Span::styled("·", t.muted())
            };
            out.push(Line::from(vec![name, state]));
            continue;
        };
        let verdict = Span::styled(
            format!("{:<VERDICT$}  ", r.verdict.label()),
            verdict_style(t, r.verdict),
        );
        let mut text: Vec<(String, Style)> =
            crate::text::wrap_width(&sanitize_line(&r.detail), room)
                .into_iter()
                .map(|l| (l, t.text()))
                .collect();
        if let Some(h) = r.healthy.as_ref().filter(|h| !h.contains(": ok in ")) {
            let h = format!("healthy render: {}", sanitize_line(h));
            text.extend(
                crate::text::wrap_width(&h, room)
                    .into_iter()
                    .map(|l| (l, t.muted())),
            );
        }
        for (i, (chunk, style)) in text.into_iter().enumerate() {
            let mut spans = if i == 0 {
                vec![name.clone(), verdict.clone()]
            } else {
                vec![Span::raw(" ".repeat(indent))]
            };
            spans.push(Span::styled(chunk, style));
            out.push(Line::from(spans));
        }
    }
    out.push(Line::default());
    match &run.report {
        Some(report) => {
            let style = if report.passed {
                t.fg(t.success).add_modifier(Modifier::BOLD)
            } else {
                t.fg(t.error).add_modifier(Modifier::BOLD)
            };
            let headline = format!("→ {}", sanitize_line(&report.headline()));
            for l in crate::text::wrap_width(&headline, (width as usize).max(20)) {
                out.push(Line::from(Span::styled(l, style)));
            }
        }
        None => out.push(Line::from(Span::styled(
            format!(
                "running: {} of {} faults judged",
                run.judged.len(),
                run.faults.len()
            ),
            t.fg(t.accent),
        ))),
    }
    out
}
