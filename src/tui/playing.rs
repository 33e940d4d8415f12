//! Playing a story by hand: `Enter` on a story row reads its file afresh, takes its context,
//! and sends its steps one at a time through the console's own request path (a render lands
//! in its capability's slot, a click's action is carried out, the inspector logs it all). The
//! scenario [`Player`] says what each step sends against what is shown; each answer is judged
//! off the UI loop as `tgo-console test` judges it, and the render header shows every
//! expectation as ✔ or ✖. A step starts once the last one's answer, and any re-render it
//! asked for, have come back.

use super::msg::{Effect, Purpose};
use super::plays::{Awaited, Play};
use super::render;
use super::state::*;
use super::story::{JudgeJob, StepMark, StoryKey};
use crate::host::{Outcome, Reply};
use crate::scenario::{Player, Scenario, StepAction, StepReport};
use std::sync::Arc;

/// `open` on a story row: its file is read again (it may have been edited), then played.
pub fn open(key: &StoryKey) -> Vec<Effect> {
    vec![Effect::LoadStory(key.clone())]
}

/// The story's file was read: play it (its context becomes the console's), or say why not.
pub fn loaded(
    state: &mut State,
    key: StoryKey,
    scenario: Result<Box<Scenario>, String>,
) -> Vec<Effect> {
    let scenario = match scenario {
        Ok(s) => s,
        Err(e) => {
            state.set_error(e.clone());
            state.toast(ToastKind::Error, e, TOAST * 2);
            return Vec::new();
        }
    };
    let caps = match state.plugin(&key.plugin_id) {
        Some(p) if p.liveness == Liveness::Connected => p.capabilities.clone(),
        _ => {
            state.toast(
                ToastKind::Warning,
                format!(
                    "{} is not connected: start it to play its stories",
                    key.plugin_id
                ),
                TOAST * 2,
            );
            return Vec::new();
        }
    };
    let ctx = scenario.context.render_context();
    if ctx != state.ctx {
        // Renders cached for another visitor are stale, as after the context editor.
        state
            .render
            .slots
            .retain(|_, s| matches!(s, RenderSlot::Pending { .. }));
        state.ctx = ctx;
    }
    let id = state.stories.next_play;
    state.stories.next_play += 1;
    let marks = scenario
        .steps
        .iter()
        .map(|s| StepMark::new(s.action.label()))
        .collect();
    state.toast(
        ToastKind::Info,
        format!(
            "playing {}: {} step{}",
            scenario.name,
            scenario.steps.len(),
            if scenario.steps.len() == 1 { "" } else { "s" }
        ),
        TOAST,
    );
    state.stories.play = Some(Play {
        id,
        key,
        name: scenario.name.clone(),
        player: Player::new(&scenario.context, caps),
        scenario: Arc::new(*scenario),
        cap: None,
        step: 0,
        marks,
        awaiting: None,
        judging: false,
        done: false,
    });
    Vec::new()
}

/// Whether the play waits: for its step's answer or judgement, or for anything else of its
/// plugin still on its way (a re-render a click's `refresh` asked for).
fn waits(state: &State, play: &Play) -> bool {
    let plugin = &play.key.plugin_id;
    play.awaiting.is_some()
        || play.judging
        || state.pending.iter().any(|p| p.plugin_id == *plugin)
        || state
            .render
            .slots
            .iter()
            .any(|(k, s)| k.plugin_id == *plugin && matches!(s, RenderSlot::Pending { .. }))
}

/// Sends the play's next step when nothing is on its way (called after every message).
pub fn advance(state: &mut State) -> Vec<Effect> {
    loop {
        let Some(play) = state.stories.play.as_ref() else {
            return Vec::new();
        };
        if play.done || waits(state, play) {
            return Vec::new();
        }
        let i = play.step;
        let Some(spec) = play.scenario.steps.get(i) else {
            finish(state);
            return Vec::new();
        };
        let plugin_id = play.key.plugin_id.clone();
        let action = spec.action.clone();
        let connected = state
            .plugin(&plugin_id)
            .is_some_and(|p| p.liveness == Liveness::Connected);
        let prepared = play.player.prepare(&action);
        let Some(play) = state.stories.play.as_mut() else {
            return Vec::new();
        };
        if !connected {
            for m in play.marks.iter_mut().skip(i) {
                *m = StepMark::failed(
                    m.label.clone(),
                    format!("not run: {plugin_id} is not connected"),
                );
            }
            play.step = play.marks.len();
            continue;
        }
        let prepared = match prepared {
            Ok(p) => p,
            Err(why) => {
                play.marks[i] = StepMark::failed(action.label(), format!("not sent: {why}"));
                play.step += 1;
                continue;
            }
        };
        // The story's row keeps the selection (Enter plays it again).
        let selected = state.selected.clone();
        let mut effects = render::request_effects(
            state,
            plugin_id.clone(),
            prepared.method.clone(),
            prepared.params.clone(),
        );
        if matches!(selected, Some(Row::Story(_))) {
            state.selected = selected;
        }
        for e in &mut effects {
            if let Effect::Request { purpose, .. } = e {
                aim(state, purpose);
            }
        }
        let Some(Effect::Request {
            method, purpose, ..
        }) = effects.first()
        else {
            return effects;
        };
        let awaited = Awaited::new(&plugin_id, method, purpose.clone());
        // A render step starts a fresh path: what is on screen is this render.
        if let (StepAction::Render(_), Purpose::Render(key)) = (&action, purpose) {
            state.trail.start(key.clone(), state.ctx.clone());
            if let Some(play) = state.stories.play.as_mut() {
                play.cap = Some(key.clone());
            }
        }
        if let Some(play) = state.stories.play.as_mut() {
            play.awaiting = Some((awaited, prepared));
        }
        return effects;
    }
}

/// An event step acts where the console shows what it presses: the modal of the plugin when
/// one is open, else the capability shown (the method alone names only the first capability
/// of its type).
fn aim(state: &State, purpose: &mut Purpose) {
    let Purpose::Event { cap, in_modal, .. } = purpose else {
        return;
    };
    match &state.modal {
        Some(Modal::Ui { cap: modal_cap, .. }) if modal_cap.plugin_id == cap.plugin_id => {
            *cap = modal_cap.clone();
            *in_modal = true;
        }
        _ => {
            let same_kind = |a: &super::msg::CapKey, b: &super::msg::CapKey| match (
                state.capability(a),
                state.capability(b),
            ) {
                (Some(x), Some(y)) => x.kind == y.kind,
                _ => false,
            };
            if let Some(shown) = state.shown_cap()
                && shown.plugin_id == cap.plugin_id
                && same_kind(&shown, cap)
            {
                *cap = shown;
            }
        }
    }
}

/// A request went out: the play's step learns its id.
pub fn on_sent(
    state: &mut State,
    purpose: &Purpose,
    plugin_id: &str,
    method: &str,
    conn: crate::host::ConnId,
    id: u64,
) {
    if let Some((awaited, _)) = state
        .stories
        .play
        .as_mut()
        .and_then(|p| p.awaiting.as_mut())
    {
        awaited.sent(plugin_id, method, purpose, conn, id);
    }
}

/// The answer to the play's step (its normal handling is `update`'s): the player follows it
/// and it goes to be judged.
pub fn answered(state: &mut State, reply: &Reply) -> Option<Effect> {
    let play = state.stories.play.as_mut()?;
    if !play.awaiting.as_ref()?.0.answered_by(reply) {
        return None;
    }
    let (_, prepared) = play.awaiting.take()?;
    let result = match &reply.outcome {
        Outcome::Result { value } => Some(value),
        _ => None,
    };
    play.player.observe(&prepared, result);
    play.judging = true;
    Some(Effect::Judge(Box::new(JudgeJob {
        play: play.id,
        index: play.step,
        prepared,
        outcome: reply.outcome.clone(),
        latency_ms: reply.latency.as_secs_f64() * 1000.0,
        scenario: play.scenario.clone(),
    })))
}

/// The play's step could not be sent at all.
pub fn refused(state: &mut State, purpose: &Purpose, why: &str) {
    let Some(play) = state.stories.play.as_mut() else {
        return;
    };
    if !play
        .awaiting
        .as_ref()
        .is_some_and(|(a, _)| a.refused(purpose))
    {
        return;
    }
    play.awaiting = None;
    let i = play.step;
    play.marks[i] = StepMark::failed(play.marks[i].label.clone(), format!("not sent: {why}"));
    play.step += 1;
}

/// A step's judgement came back: its marks, then the next step.
pub fn judged(state: &mut State, play_id: u64, index: usize, report: &StepReport) {
    let Some(play) = state.stories.play.as_mut() else {
        return;
    };
    if play.id != play_id || play.step != index || !play.judging {
        return;
    }
    play.marks[index] = StepMark::judged(report);
    play.judging = false;
    play.step += 1;
}

/// Every step ran: the result is kept for its row, and said in a toast.
fn finish(state: &mut State) {
    let Some(play) = state.stories.play.as_mut() else {
        return;
    };
    play.done = true;
    let (passed, failed, name) = (play.passed(), play.failed(), play.name.clone());
    let first_failure = play
        .marks
        .iter()
        .find(|m| m.passed == Some(false))
        .map(|m| match m.failures.first() {
            Some(why) => format!("{}: {why}", m.label),
            None => m.label.clone(),
        });
    let path = play.key.path.clone();
    state.stories.results.insert(path, failed == 0);
    let total = passed + failed;
    match first_failure {
        None => state.toast(
            ToastKind::Success,
            format!("story {name}: {total} of {total} steps passed"),
            TOAST * 2,
        ),
        Some(first) => state.toast(
            ToastKind::Error,
            format!("story {name}: {failed} of {total} steps failed · {first}"),
            TOAST * 3,
        ),
    }
}
