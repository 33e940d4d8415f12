//! The web-UI preview (`w`) and render widths (`W`): the render pane drawn as the TGO web UI
//! would (templates it lacks as its "Unknown template" box, `batch` not carried out) and at
//! the narrow widths of its side panel. Both settings are kept across runs (`view.json`).

use super::msg::{Effect, ViewPrefs};
use super::state::*;
use std::path::Path;

/// Render widths `W` cycles through when the config names none (the real side panel is
/// narrow).
pub const DEFAULT_WIDTHS: [u16; 3] = [40, 56, 80];

/// What of `state` is kept across runs.
fn prefs_of(state: &State) -> ViewPrefs {
    ViewPrefs {
        web: state.render.web,
        width: state.render.width,
    }
}

/// `w`: web preview on / off.
pub fn toggle_web(state: &mut State) -> Vec<Effect> {
    state.render.web = !state.render.web;
    sync(state);
    let text = if state.render.web {
        "web preview: drawn as the TGO web UI draws it (w: back)"
    } else {
        "web preview off: drawn as the console draws it"
    };
    state.toast(ToastKind::Info, text.into(), TOAST);
    vec![Effect::SaveView(prefs_of(state))]
}

/// `W`: the next width of the config's `render_widths`, then the pane's full width again.
pub fn next_width(state: &mut State) -> Vec<Effect> {
    let widths: &[u16] = match state.personal.render_widths.as_slice() {
        [] => &DEFAULT_WIDTHS,
        some => some,
    };
    state.render.width = match state.render.width {
        None => widths.first().copied(),
        Some(w) => widths.iter().copied().find(|&x| x > w),
    };
    let text = match state.render.width {
        Some(w) => format!("render width {w} columns (W: next)"),
        None => "render width: the whole pane".into(),
    };
    state.toast(ToastKind::Info, text, TOAST);
    vec![Effect::SaveView(prefs_of(state))]
}

/// Every UI on screen follows the web setting (new renders included: run after each
/// message; a handful of slots, so it costs nothing).
pub fn sync(state: &mut State) {
    let web = state.render.web;
    let mut set = |r: &mut Rendered| r.ui.web = web;
    for slot in state.render.slots.values_mut() {
        slot_ui(slot, &mut set);
    }
    for slot in state.render.host.values_mut() {
        slot_ui(slot, &mut set);
    }
    if let Some(raw) = &mut state.render.raw {
        slot_ui(raw, &mut set);
    }
    if let Some(p) = &mut state.render.past {
        slot_ui(&mut p.slot, &mut set);
    }
    if let Some(Modal::Ui { rendered, .. }) = &mut state.modal {
        set(rendered);
    }
}

fn slot_ui(slot: &mut RenderSlot, set: &mut impl FnMut(&mut Rendered)) {
    match slot {
        RenderSlot::Ready(r) => set(r),
        RenderSlot::Pending { previous, .. } | RenderSlot::Failed { previous, .. } => {
            if let Some(r) = previous {
                set(r);
            }
        }
    }
}

/// The settings of an earlier run (none kept, or unreadable: the defaults).
pub fn load(path: &Path) -> ViewPrefs {
    let mut prefs: ViewPrefs = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    // A hand-edited file's odd width is dropped, as the config's would be refused.
    prefs.width = prefs.width.filter(|w| crate::drawn::WIDTHS.contains(w));
    prefs
}

/// Keeps the settings for the next run (through a renamed temporary file).
pub fn save(path: &Path, prefs: ViewPrefs) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(
        &tmp,
        serde_json::to_vec(&prefs).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, path)
}

/// The settings read at startup.
pub fn apply(state: &mut State, prefs: ViewPrefs) {
    state.render.web = prefs.web;
    state.render.width = prefs.width;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/view.json");
        assert_eq!(load(&path), ViewPrefs::default());
        let prefs = ViewPrefs {
            web: true,
            width: Some(56),
        };
        save(&path, prefs).unwrap();
        assert_eq!(load(&path), prefs);
        std::fs::write(&path, r#"{"web":true,"width":0}"#).unwrap();
        assert_eq!(
            load(&path),
            ViewPrefs {
                web: true,
                width: None
            },
            "an odd width: the pane's"
        );
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(load(&path), ViewPrefs::default(), "a bad file: defaults");
    }
}
