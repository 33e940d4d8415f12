//! The inspector pane's reducer (the component itself is `inspector/`): what its keys ask of
//! the console — copying, exporting, resending a request, editing it in the composer.

use super::action::KeyInput;
use super::inspector::InspectorOutcome;
use super::modals;
use super::msg::{Effect, External};
use super::render;
use super::state::*;
use super::view;
use crate::host::MessageLog;

/// A key while the inspector has the keyboard (`None`: not the inspector's).
pub fn on_key(state: &mut State, input: KeyInput, log: &MessageLog) -> Option<Vec<Effect>> {
    let height = view::layout_of(state)
        .inspector_list
        .height
        .saturating_sub(1);
    match state.inspector.handle_key(input, log, height) {
        InspectorOutcome::Ignored => None,
        InspectorOutcome::Handled => Some(Vec::new()),
        InspectorOutcome::Copy(json) => {
            state.toast(
                ToastKind::Success,
                format!("copied the message ({} bytes)", json.len()),
                TOAST,
            );
            Some(vec![Effect::Copy(json)])
        }
        InspectorOutcome::Export(seqs) => Some(vec![Effect::Export(seqs)]),
        InspectorOutcome::Page(text) => Some(vec![Effect::External {
            program: External::Pager,
            text,
        }]),
        InspectorOutcome::Resend(seq) => Some(match render::request_of(log, seq) {
            Some((plugin_id, method, params)) => {
                render::request_effects(state, plugin_id, method, params)
            }
            None => {
                not_resendable(state);
                Vec::new()
            }
        }),
        InspectorOutcome::EditResend(seq) => {
            match render::request_of(log, seq) {
                Some(preset) => modals::open_composer(state, Some(preset)),
                None => not_resendable(state),
            }
            Some(Vec::new())
        }
    }
}

fn not_resendable(state: &mut State) {
    state.toast(
        ToastKind::Warning,
        "that message is not a request we can resend".into(),
        TOAST,
    );
}
