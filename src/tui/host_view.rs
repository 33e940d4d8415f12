//! Proxy mode: the render pane "as the real host saw it". The plugin's answers to the real
//! host's requests are noted as they are logged; `H` on a capability draws its last answer to
//! a host render (validated, with diagnostics, as the console's own renders are), and `H`
//! again goes back to the console's own render. A newer host render redraws it.

use super::msg::CapKey;
use super::render::rendered_answer;
use super::state::*;
use crate::host::{Direction, EntryKind, MessageLog, Party};
use serde_json::Value;
use std::time::Duration;

/// Largest host answer drawn here (as the console's own renders; the inspector has it whole).
const MAX_DRAWN_BYTES: usize = 16 << 20;

/// Notes the plugin's answers to the real host among the entries logged since the last call,
/// and redraws the shown host render when a newer one came. Costs O(new entries).
pub fn sync(state: &mut State, log: &MessageLog) {
    if state.session.upstream.is_none() || log.last_seq() <= state.render.host_cursor {
        return;
    }
    let first = log.entries().front().map_or(0, |e| e.seq);
    let from = usize::try_from((state.render.host_cursor + 1).saturating_sub(first))
        .unwrap_or(usize::MAX)
        .min(log.len());
    let mut fresh = Vec::new();
    for e in log.entries().range(from..) {
        let answer = matches!(e.kind, EntryKind::Result { .. } | EntryKind::Error { .. });
        if !(answer && e.party == Party::Plugin && e.dir == Direction::In) {
            continue;
        }
        // An answer to a host request answers the proxy's copy of it, which names the original.
        let Some(request) = e.pair.and_then(|p| log.get(p)).filter(|r| r.via.is_some()) else {
            continue;
        };
        if let (EntryKind::Request { method, .. }, Some(plugin)) = (&request.kind, &e.plugin) {
            fresh.push(((plugin.clone(), method.clone()), e.seq));
        }
    }
    state.render.host_cursor = log.last_seq();
    let shown = state
        .render
        .as_host
        .clone()
        .filter(|_| state.showing_host());
    let watched = shown.as_ref().and_then(|k| {
        let method = state.capability(k)?.kind.render_method()?;
        Some((k.plugin_id.clone(), method))
    });
    let mut redraw = false;
    for (key, seq) in fresh {
        redraw |= watched.as_ref() == Some(&key);
        state.render.host_answers.insert(key, seq);
    }
    if let Some(key) = shown.filter(|_| redraw) {
        draw(state, &key, log);
    }
}

/// The seq of the plugin's last answer to a host render of `key`.
fn host_answer(state: &State, key: &CapKey) -> Option<u64> {
    let method = state.capability(key)?.kind.render_method()?;
    state
        .render
        .host_answers
        .get(&(key.plugin_id.clone(), method))
        .copied()
}

/// `H`: the real host's last render of the shown capability, or back to the console's own.
pub fn toggle(state: &mut State, log: &MessageLog) {
    if state.session.upstream.is_none() {
        state.toast(
            ToastKind::Info,
            "only a proxy has a real host's renders to show (tgo-console --upstream ADDR)".into(),
            TOAST,
        );
        return;
    }
    if state.showing_host() {
        state.render.as_host = None;
        return;
    }
    // The log may have grown since the loop last said so.
    sync(state, log);
    let Some(Shown::Cap(key)) = state.render.shown.clone() else {
        state.toast(
            ToastKind::Info,
            "select a capability to see the real host's render of it".into(),
            TOAST,
        );
        return;
    };
    if host_answer(state, &key).is_none() {
        let title = state
            .capability(&key)
            .map_or_else(|| "this capability".into(), |c| c.title.clone());
        state.toast(
            ToastKind::Info,
            format!("the real host has not rendered {title} yet"),
            TOAST,
        );
        return;
    }
    draw(state, &key, log);
    state.render.as_host = Some(key);
}

/// Draws the host's last answer for `key` into its slot.
fn draw(state: &mut State, key: &CapKey, log: &MessageLog) {
    let Some(seq) = host_answer(state, key) else {
        return;
    };
    let failed = |message: String, kind| RenderSlot::Failed {
        message,
        kind,
        previous: None,
    };
    let slot = match log.get(seq) {
        None => failed(
            "the real host's last render was evicted from the log".into(),
            FailKind::InvalidAnswer,
        ),
        Some(e) if e.raw.len() > MAX_DRAWN_BYTES => failed(
            format!(
                "the real host's last render ({}) is larger than the console draws: read it in the inspector",
                crate::text::bytes(e.raw.len())
            ),
            FailKind::InvalidAnswer,
        ),
        Some(e) => {
            let method = match e.pair.and_then(|p| log.get(p)).map(|r| &r.kind) {
                Some(EntryKind::Request { method, .. }) => method.clone(),
                _ => String::new(),
            };
            let latency = e.latency.unwrap_or(Duration::ZERO);
            let frame: Value = serde_json::from_slice(&e.raw).unwrap_or(Value::Null);
            let heading = format!(
                "{method} · as the real host saw it at {}",
                crate::text::clock(e.at)
            );
            match (frame.get("error"), frame.get("result")) {
                (Some(err), _) => failed(
                    format!("the plugin answered the real host with an error: {err}"),
                    FailKind::PluginError,
                ),
                (None, Some(result)) => {
                    let mut r = rendered_answer(state, key, result, &method, latency, None);
                    r.method = heading;
                    r.at = e.at;
                    RenderSlot::Ready(Box::new(r))
                }
                (None, None) => failed(
                    "the plugin's answer to the real host has no result".into(),
                    FailKind::InvalidAnswer,
                ),
            }
        }
    };
    state.render.host.insert(key.clone(), slot);
}
