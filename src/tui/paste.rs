//! Bracketed paste: the text goes to the text input that has the keyboard (context editor,
//! add-plugin box, composer, a JSON-UI form field or tool argument, the inspector filter),
//! cleaned for it: one line or several, no control characters. Only `update` calls in here.

use super::state::{Modal, Pane, State, ToastKind};
use super::{uiview, view};
use ratatui::layout::Rect;
use std::time::Duration;

pub(super) fn paste(state: &mut State, text: &str) {
    let layout = view::screen_layout(Rect::new(0, 0, state.size.0, state.size.1), state);
    let now = state.now;
    let took = match &mut state.modal {
        Some(Modal::Context(ed)) => {
            ed.paste(text);
            true
        }
        Some(Modal::AddPlugin(area)) => {
            area.insert_str(crate::text::paste_line(text));
            true
        }
        Some(Modal::Composer(c)) => c.paste(text, now),
        Some(Modal::Ui { rendered, .. }) => {
            let body = view::modal_body(layout.modal);
            uiview::handle_paste(&rendered.node, &mut rendered.ui, text, body)
        }
        Some(_) => false,
        None => match state.focus {
            Pane::Render => match state.shown_rendered_mut() {
                Some(r) => uiview::handle_paste(&r.node, &mut r.ui, text, layout.render_body),
                None => false,
            },
            Pane::Inspector => state.inspector.paste(text),
            Pane::Plugins | Pane::Output => false,
        },
    };
    if !took {
        // Said, not dropped in silence: the paste is still on the clipboard.
        state.toast(
            ToastKind::Info,
            "paste not used: no text field has the keyboard".into(),
            Duration::from_secs(3),
        );
    }
}
