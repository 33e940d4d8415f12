//! The inspector pane's reducer (the component itself is `inspector/`): what its keys ask of
//! the console — copying, exporting, resending a request, editing it in the composer.

use super::action::KeyInput;
use super::inspector::InspectorOutcome;
use super::modals;
use super::msg::{Effect, External};
use super::past;
use super::render;
use super::state::*;
use super::view;
use crate::host::MessageLog;
use serde_json::Value;

/// A key while the inspector has the keyboard (`None`: not the inspector's).
pub fn on_key(state: &mut State, input: KeyInput, log: &MessageLog) -> Option<Vec<Effect>> {
    let height = view::layout_of(state)
        .inspector_list
        .height
        .saturating_sub(1);
    let outcome = state.inspector.handle_key(input, log, height);
    past::follow_selection(state, log);
    match outcome {
        InspectorOutcome::Ignored => None,
        InspectorOutcome::Handled => Some(Vec::new()),
        InspectorOutcome::TimeTravel(seq) => {
            if let Err(why) = past::travel(state, log, seq) {
                state.inspector.say(why);
            }
            Some(Vec::new())
        }
        InspectorOutcome::Diff { old, new } => {
            match past::diff_picked(state, log, old, new) {
                Ok(d) => state.modal = Some(Modal::Diff(Box::new(d))),
                Err(why) => state.inspector.say(why),
            }
            Some(Vec::new())
        }
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
        InspectorOutcome::CopyAsCall(seq) => Some(match render::request_of(log, seq) {
            Some((plugin_id, method, params)) => {
                let line = call_command(state, &plugin_id, &method, &params);
                state.toast(ToastKind::Success, format!("copied: {line}"), TOAST);
                vec![Effect::Copy(line)]
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

/// `tgo-console call METHOD 'PARAMS' PLUGIN`: the request as one command from the shell.
/// The plugin is its manifest when the console launched it, `--demo` for the built-in demo;
/// without either, `call` waits for the plugin to connect (as `check` does).
pub fn call_command(state: &State, plugin_id: &str, method: &str, params: &Value) -> String {
    // Single quotes keep everything literal; a quote inside is closed, escaped, reopened.
    let quote = |s: &str| {
        let plain = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-:=@%+,".contains(c));
        if plain {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    let mut line = format!(
        "tgo-console call {} {}",
        quote(method),
        quote(&params.to_string())
    );
    match state.launch_of(plugin_id) {
        Some(l) if l.manifest.ends_with("tgo-console") || plugin_id == "com.tgo.demo" => {
            line.push_str(" --demo")
        }
        Some(l) => {
            line.push(' ');
            line.push_str(&quote(&l.manifest.display().to_string()));
        }
        None => {}
    }
    line
}

fn not_resendable(state: &mut State) {
    state.toast(
        ToastKind::Warning,
        "that message is not a request we can resend".into(),
        TOAST,
    );
}
