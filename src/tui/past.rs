//! Time travel and render diffs, both read from the message log: `Enter` on a render or event
//! answer in the inspector draws that UI as it was then (the render pane says "as of #N"), and
//! `=` shows what changed between two renders of a capability.

use super::msg::CapKey;
use super::render;
use super::state::*;
use crate::host::{Direction, EntryKind, LogEntry, MessageLog};
use crate::jsonui::{self, Action};
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// Answers of each capability remembered for `=` (their seqs in the log, newest last).
pub const HISTORY: usize = 16;
/// Entries looked through, back from an event answer, for the render it was pressed on.
const LOOK_BACK: usize = 100_000;
/// Changes listed by a diff; the rest are counted.
const MAX_CHANGES: usize = 500;

/// A render answer, found through the log: its capability (when the plugin is still known),
/// its method and its JSON-UI value.
struct Answer<'a> {
    entry: &'a LogEntry,
    plugin: String,
    method: String,
    params: Value,
    result: Value,
}

/// The answer `seq` stands for (itself, or the answer to the request `seq`).
fn answer_of(log: &MessageLog, seq: u64) -> Result<Answer<'_>, String> {
    let e = log.get(seq).ok_or("that message is no longer in the log")?;
    let answer = match (&e.kind, e.dir) {
        (EntryKind::Request { .. }, Direction::Out) => e
            .pair
            .and_then(|p| log.get(p))
            .ok_or("this request has no answer (yet)")?,
        (EntryKind::Result { .. }, Direction::In) => e,
        (EntryKind::Error { .. }, _) => return Err("an error answer has no UI to draw".into()),
        _ => return Err("not a render or event answer (Enter draws those)".into()),
    };
    let (plugin, method, params) = answer
        .pair
        .and_then(|p| render::request_of(log, p))
        .ok_or("the request of this answer is no longer in the log")?;
    if !(method.ends_with("/render") || method.ends_with("/event")) {
        return Err(format!("an answer to {method}: not a render or event"));
    }
    let result = serde_json::from_slice::<Value>(&answer.raw)
        .ok()
        .and_then(|mut v| v.get_mut("result").map(Value::take))
        .ok_or("the answer has no usable result")?;
    Ok(Answer {
        entry: answer,
        plugin,
        method,
        params,
        result,
    })
}

/// The capability a logged request was for.
fn cap_of(state: &State, a: &Answer) -> Option<CapKey> {
    match render::purpose_of(state, &a.plugin, &a.method, &a.params) {
        super::msg::Purpose::Render(k) | super::msg::Purpose::ToolbarRender(k) => Some(k),
        super::msg::Purpose::Event { cap, .. } | super::msg::Purpose::Tool { cap, .. } => Some(cap),
        super::msg::Purpose::Raw => None,
    }
}

fn title_of(state: &State, a: &Answer) -> String {
    cap_of(state, a)
        .and_then(|k| state.capability(&k))
        .map_or_else(|| a.method.clone(), |c| c.title.clone())
}

/// The method of the request `answer` answers, read from the log without parsing anything.
fn method_of<'a>(log: &'a MessageLog, answer: &LogEntry) -> Option<&'a str> {
    match &log.get(answer.pair?)?.kind {
        EntryKind::Request { method, .. } => Some(method),
        _ => None,
    }
}

/// The newest render answer before `before` for the same plugin, method and capability index,
/// to a request of the console's own (not one a proxied real host sent). An event carries no
/// `capability_index`: for one, the newest render of its kind is the panel it was pressed on.
/// Only the candidates' requests are read (small); the one answer found is parsed.
fn render_before<'a>(log: &'a MessageLog, before: u64, like: &Answer) -> Option<Answer<'a>> {
    let kind = like
        .method
        .strip_suffix("/event")
        .or_else(|| like.method.strip_suffix("/render"))
        .unwrap_or(&like.method);
    let render_method = format!("{kind}/render");
    let index = like.params.get("capability_index").cloned();
    let any_index = like.method.ends_with("/event");
    let first = log.entries().front()?.seq;
    let upto = usize::try_from(before.checked_sub(first)?).ok()?;
    let found = log
        .entries()
        .range(..upto.min(log.len()))
        .rev()
        .take(LOOK_BACK)
        .filter(|e| {
            e.dir == Direction::In
                && matches!(e.kind, EntryKind::Result { .. })
                && e.plugin.as_deref() == Some(like.plugin.as_str())
                && method_of(log, e) == Some(render_method.as_str())
                && e.pair
                    .and_then(|p| log.get(p))
                    .is_some_and(|r| r.via.is_none())
        })
        .find(|e| {
            any_index || {
                let params = e.pair.and_then(|p| render::request_of(log, p)).map(|r| r.2);
                params.is_some_and(|p| p.get("capability_index").cloned() == index)
            }
        })?;
    answer_of(log, found.seq).ok()
}

/// `Enter` on an inspector message: draws the answer's UI as it was then. An event answer
/// shows the panel it was pressed on (the render before it), or its modal's content.
pub fn travel(state: &mut State, log: &MessageLog, seq: u64) -> Result<(), String> {
    let a = answer_of(log, seq)?;
    let (shown, note) = if a.method.ends_with("/event") {
        let action = jsonui::parse_action(&a.result).value;
        let outline = crate::check::action_outline(&action).join(" · ");
        let note = format!("event answered #{}: {}", a.entry.seq, outline);
        match &action {
            Action::ShowModal { content, .. } => {
                let node = (**content).clone();
                let at = a.entry.at;
                let title = title_of(state, &a);
                let mut past = past_of(&a, title, Some(note), node, at);
                past.from = seq;
                state.render.past = Some(past);
                return Ok(());
            }
            _ => (
                // Before the press (its request), not its answer: a render that came while
                // the event was on its way is not the panel it was pressed on.
                render_before(log, a.entry.pair.unwrap_or(a.entry.seq), &a)
                    .ok_or("no render of this panel before the event is left in the log")?,
                Some(note),
            ),
        }
    } else {
        (a, None)
    };
    let parsed = jsonui::parse_ui(&shown.result);
    let title = title_of(state, &shown);
    let mut past = past_of(&shown, title, note, parsed.value, shown.entry.at);
    if let RenderSlot::Ready(r) = &mut past.slot {
        r.diagnostics = parsed.diagnostics;
    }
    past.from = seq;
    state.render.past = Some(past);
    Ok(())
}

fn past_of(
    a: &Answer,
    title: String,
    note: Option<String>,
    node: jsonui::Node,
    at: SystemTime,
) -> Past {
    let mut r = Rendered::new(
        node,
        Vec::new(),
        a.method.clone(),
        a.entry.latency.unwrap_or(Duration::ZERO),
    );
    r.at = at;
    Past {
        seq: a.entry.seq,
        from: a.entry.seq,
        at,
        title,
        note,
        slot: RenderSlot::Ready(Box::new(r)),
    }
}

/// Back to the live render pane; false when it already was.
pub fn leave(state: &mut State) -> bool {
    state.render.past.take().is_some()
}

/// The process `--watch` started after a change registered: the next render of each of the
/// plugin's panels is compared with the last one before.
pub fn rebuilt(state: &mut State, plugin_id: &str) {
    let keys: Vec<CapKey> = state
        .render
        .history
        .keys()
        .filter(|k| k.plugin_id == plugin_id)
        .cloned()
        .collect();
    state.render.since_build.extend(keys);
}

/// For the first render of `key` after a rebuild: whether `value` is the same JSON as the
/// render before it (`None`: not after a rebuild, or nothing to compare with).
pub fn after_build(
    state: &mut State,
    log: &MessageLog,
    key: &CapKey,
    value: &Value,
) -> Option<bool> {
    if !state.render.since_build.remove(key) {
        return None;
    }
    let last = *state.render.history.get(key)?.back()?;
    let before = answer_of(log, last).ok()?;
    Some(before.result == *value)
}

/// Remembers a capability's render answer for `=` (bounded).
pub fn remember(state: &mut State, key: &CapKey, seq: Option<u64>) {
    let Some(seq) = seq else { return };
    let seqs = state.render.history.entry(key.clone()).or_default();
    seqs.push_back(seq);
    while seqs.len() > HISTORY {
        seqs.pop_front();
    }
}

/// A diff of two logged render answers (`old` first), or why there is none.
pub fn diff(state: &State, log: &MessageLog, old: u64, new: u64) -> Result<Diff, String> {
    let a = answer_of(log, old)?;
    let b = answer_of(log, new)?;
    for x in [&a, &b] {
        if !x.method.ends_with("/render") {
            return Err(format!(
                "#{} answers {}: only renders are compared",
                x.entry.seq, x.method
            ));
        }
    }
    let (changes, more) = crate::jsondiff::diff(&a.result, &b.result, MAX_CHANGES);
    let title = title_of(state, &b);
    Ok(Diff {
        title,
        changes: changes.iter().map(|c| c.line(80)).collect(),
        more,
        old: side(&a),
        new: side(&b),
        scroll: 0,
        lines: Default::default(),
    })
}

fn side(a: &Answer) -> Side {
    Side {
        seq: a.entry.seq,
        at: a.entry.at,
        node: jsonui::parse_ui(&a.result).value,
    }
}

/// `=` in the inspector: the marked render against the selected one (older first), or the
/// selected one against the render of the same panel before it.
pub fn diff_picked(
    state: &State,
    log: &MessageLog,
    old: Option<u64>,
    new: u64,
) -> Result<Diff, String> {
    let b = answer_of(log, new)?;
    let new = b.entry.seq;
    match old {
        Some(o) => {
            let o = answer_of(log, o)?.entry.seq;
            diff(state, log, o.min(new), o.max(new))
        }
        None => {
            let before = render_before(log, new, &b)
                .ok_or("no earlier render of this panel in the log (m marks one to compare)")?;
            diff(state, log, before.entry.seq, new)
        }
    }
}

/// While time travelling, the inspector's selection moving onto another render or event
/// answer draws that one (scrubbing through a session); other messages leave it as it is.
pub fn follow_selection(state: &mut State, log: &MessageLog) {
    let (Some(p), Some(seq)) = (&state.render.past, state.inspector.selected()) else {
        return;
    };
    // Only answers (not their requests) move it, so a request next to the shown answer
    // does not draw the same again; the method is checked before anything is parsed.
    let drawable = log.get(seq).is_some_and(|e| {
        e.dir == Direction::In
            && matches!(e.kind, EntryKind::Result { .. })
            && method_of(log, e).is_some_and(|m| m.ends_with("/render") || m.ends_with("/event"))
    });
    if p.from != seq && drawable && travel(state, log, seq).is_err() {
        // Not drawable after all (evicted, no render before it): not tried again per key.
        if let Some(p) = &mut state.render.past {
            p.from = seq;
        }
    }
}

/// `=` in the render pane: the shown capability's render against the one before it.
pub fn diff_shown(state: &State, log: &MessageLog) -> Result<Diff, String> {
    if let Some(p) = &state.render.past {
        let a = answer_of(log, p.seq)?;
        let before =
            render_before(log, p.seq, &a).ok_or("no earlier render of this panel in the log")?;
        return diff(state, log, before.entry.seq, p.seq);
    }
    let key = state
        .shown_cap()
        .ok_or("the render pane shows no capability")?;
    let (old, new) = match state.render.history.get(&key) {
        Some(s) if s.len() >= 2 => (s[s.len() - 2], s[s.len() - 1]),
        _ => {
            return Err(
                "one render of this panel so far: r renders it again, = then compares".into(),
            );
        }
    };
    diff(state, log, old, new)
}
