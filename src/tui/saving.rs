//! Saving stories: `S` writes what is on screen as a scenario file (the render with its
//! context, then the events sent since: clicks, selections, submits), the composer's save
//! writes its request as a `call` step; both go to the plugin's `stories/` folder, under a
//! name asked for in a small window (`{snapshot}` expectations optional). An existing file is
//! never overwritten without a second `Enter`.

use super::action::{Action, KeyInput};
use super::composer::ComposerState;
use super::msg::Effect;
use super::state::*;
use super::story::{SaveForm, Saved};
use crate::scenario::write::{StepOut, context_spec, scenario_text, snapshot_name};
use crate::scenario::{ContextSpec, PluginLaunch, SelectTarget, StepAction};
use ratatui_textarea::TextArea;
use serde_json::Value;
use std::path::PathBuf;

/// `plugins/<dir>/stories`, and the manifest as a file in it names it (`../plugin.yml`).
fn folder(state: &State, plugin_id: &str) -> Result<(PathBuf, PathBuf), String> {
    let dir = state.plugin_dir(plugin_id).ok_or_else(|| {
        format!(
            "{plugin_id} has no folder for stories: it dialled in by itself (or it is the \
             built-in demo); launch it from its plugin.yml to save stories"
        )
    })?;
    let manifest = state
        .launch_of(plugin_id)
        .and_then(|l| l.manifest.file_name().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("plugin.yml"));
    Ok((dir.join("stories"), PathBuf::from("..").join(manifest)))
}

/// `S`: what is on screen, as a story; its name is asked first.
pub fn open(state: &mut State) {
    let Some(key) = state.shown_cap() else {
        state.toast(
            ToastKind::Info,
            "render a capability first: a story starts with a render".into(),
            TOAST,
        );
        return;
    };
    let (dir, manifest) = match folder(state, &key.plugin_id) {
        Ok(f) => f,
        Err(e) => {
            state.toast(ToastKind::Warning, e, TOAST * 2);
            return;
        }
    };
    let Some(p) = state.plugin(&key.plugin_id) else {
        return;
    };
    let caps = &p.capabilities;
    let Some(cap) = caps.get(key.index) else {
        return;
    };
    // By title as a person would write it; by type when an earlier capability has the title.
    let target = if caps.iter().position(|c| c.title == cap.title) == Some(key.index) {
        cap.title.clone()
    } else {
        cap.kind.as_str().to_string()
    };
    let on_path = state.trail.cap.as_ref() == Some(&key);
    let ctx = if on_path {
        &state.trail.ctx
    } else {
        &state.ctx
    };
    let mut steps = vec![StepAction::Render(target)];
    let mut what = vec![cap.title.clone()];
    if on_path {
        for s in &state.trail.steps {
            what.push(s.crumb());
            let e = &s.event;
            steps.push(match e.event_type.as_str() {
                "item_select" => {
                    StepAction::Select(SelectTarget::Id(e.selected_id.clone().unwrap_or_default()))
                }
                "form_submit" => StepAction::Submit {
                    form: Some(e.action_id.clone()),
                    data: e.form_data.clone(),
                },
                _ => StepAction::Click(e.action_id.clone()),
            });
        }
    }
    let form = SaveForm {
        name: name_area(&slug(&cap.title)),
        snapshots: false,
        dir,
        manifest,
        context: context_spec(ctx),
        steps,
        what: what.join(" › "),
        back: None,
        error: None,
        exists: None,
        saving: false,
    };
    state.modal = Some(Modal::SaveStory(Box::new(form)));
}

/// The composer's save: its request as a story of one `call` step.
pub fn open_request(
    state: &mut State,
    composer: Box<ComposerState>,
    (plugin_id, method, params): (String, String, Value),
) {
    let (dir, manifest) = match folder(state, &plugin_id) {
        Ok(f) => f,
        Err(e) => {
            state.toast(ToastKind::Warning, e, TOAST * 2);
            state.modal = Some(Modal::Composer(composer));
            return;
        }
    };
    let form = SaveForm {
        name: name_area(&slug(&method)),
        snapshots: false,
        dir,
        manifest,
        // The params carry their own context.
        context: ContextSpec::default(),
        what: format!("call {method} on {plugin_id}"),
        steps: vec![StepAction::Call { method, params }],
        back: Some(composer),
        error: None,
        exists: None,
        saving: false,
    };
    state.modal = Some(Modal::SaveStory(Box::new(form)));
}

fn name_area(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    area
}

/// A file name from what a person typed: lower-case letters, digits, `-` and `_`.
pub fn slug(text: &str) -> String {
    let raw: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let joined = raw
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    joined.chars().take(60).collect()
}

/// The story's file text, as the form says.
pub fn text_of(form: &SaveForm, name: &str) -> String {
    let steps: Vec<StepOut> = form
        .steps
        .iter()
        .enumerate()
        .map(|(i, a)| StepOut {
            action: a.clone(),
            expect: if form.snapshots {
                vec![format!("{{snapshot: {}}}", snapshot_name(i + 1, a))]
            } else {
                Vec::new()
            },
        })
        .collect();
    scenario_text(
        &[
            "Saved from tgo-console: Enter on it in the plugins pane plays it;".into(),
            "`tgo-console test` runs it (add expectations: see the README's Testing your plugin)."
                .into(),
        ],
        name,
        &PluginLaunch::Manifest(form.manifest.clone()),
        &form.context,
        &steps,
    )
}

/// A key in the save window (typing goes to the name).
pub fn on_key(state: &mut State, mut form: Box<SaveForm>, input: KeyInput) -> Vec<Effect> {
    match input.action {
        Some(Action::Cancel) => {
            close(state, form);
            return Vec::new();
        }
        Some(Action::NextField | Action::PrevField) => form.snapshots = !form.snapshots,
        Some(Action::Confirm) if !form.saving => {
            let name = form.name.lines().concat().trim().to_string();
            let file = slug(&name);
            if file.is_empty() {
                form.error = Some("give the story a name (letters or digits)".into());
            } else {
                let path = form.dir.join(format!("{file}.scenario.yml"));
                let overwrite = form.exists.as_ref() == Some(&path);
                let text = text_of(&form, &name);
                form.saving = true;
                form.error = None;
                state.modal = Some(Modal::SaveStory(form));
                return vec![Effect::SaveStory {
                    path,
                    text,
                    overwrite,
                }];
            }
        }
        Some(Action::Confirm) => {}
        _ => {
            if form.name.input(input.key) {
                form.exists = None;
                form.error = None;
            }
        }
    }
    state.modal = Some(Modal::SaveStory(form));
    Vec::new()
}

/// The window goes; the composer it came from comes back.
fn close(state: &mut State, form: Box<SaveForm>) {
    state.modal = form.back.map(Modal::Composer);
}

/// What became of a save.
pub fn saved(state: &mut State, path: PathBuf, outcome: Saved) {
    let shown = crate::scenario::snapshot::shown(&path);
    let form = match state.modal.take() {
        Some(Modal::SaveStory(f)) => Some(f),
        other => {
            state.modal = other;
            None
        }
    };
    match outcome {
        Saved::Written => {
            state.toast(ToastKind::Success, format!("saved {shown}"), TOAST * 2);
            if let Some(f) = form {
                close(state, f);
            }
        }
        Saved::Exists => match form {
            Some(mut f) => {
                f.saving = false;
                f.exists = Some(path);
                // The window shows the file's path already.
                f.error = Some("it exists: Enter again overwrites it, or change the name".into());
                state.modal = Some(Modal::SaveStory(f));
            }
            None => state.toast(
                ToastKind::Warning,
                format!("{shown} exists: not overwritten"),
                TOAST * 2,
            ),
        },
        Saved::Failed(why) => {
            let text = format!("not saved: {why}");
            state.set_error(text.clone());
            match form {
                Some(mut f) => {
                    f.saving = false;
                    f.error = Some(text);
                    state.modal = Some(Modal::SaveStory(f));
                }
                None => state.toast(ToastKind::Error, text, TOAST * 2),
            }
        }
    }
}
