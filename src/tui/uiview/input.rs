//! Keys, clicks and wheel: moving the focus, moving selections inside rows/items targets,
//! switching tabs, editing fields, and turning presses into [`Press`]es.

use crossterm::event::KeyEventKind;
use ratatui::layout::Rect;
use serde_json::Map;

use super::form::{self, is_text};
use super::path::{child, node_at};
use super::state::{FormState, UiState};
use super::{Part, Press, Target, TargetKind, UiLayout, UiOutcome, layout};
use crate::host::UiEvent;
use crate::jsonui::{ActionButton, FieldType, Node};
use crate::tui::action::{Action, KeyInput};

/// Lines a mouse wheel notch scrolls.
const WHEEL: u32 = 3;

/// Whether a handled key must bring the focused target into view.
#[derive(PartialEq)]
enum Reveal {
    Yes,
    No,
}

use Reveal::{No, Yes};

pub(crate) fn key(node: &Node, state: &mut UiState, input: KeyInput, viewport: Rect) -> UiOutcome {
    if input.key.kind == KeyEventKind::Release {
        return UiOutcome::Ignored;
    }
    if state.editing.is_some() {
        if editing_valid(node, state) {
            return edit_key(node, state, input, viewport);
        }
        // The form went away under the editor (a re-render): the key is an ordinary one.
        state.editing = None;
    }
    let Some(action) = input.action else {
        return UiOutcome::Ignored;
    };
    let lay = layout(node, state, viewport.width.max(1));
    clamp_scroll(state, &lay, viewport);
    let cur = focus_index(&lay, state);
    let (out, reveal) = match action {
        Action::MoveDown => vertical(state, &lay, cur, 1, viewport),
        Action::MoveUp => vertical(state, &lay, cur, -1, viewport),
        Action::PageDown => page(state, &lay, cur, 1, viewport),
        Action::PageUp => page(state, &lay, cur, -1, viewport),
        Action::Top => {
            state.focus = lay.targets.first().map(|t| t.id.clone());
            state.scroll = 0;
            (UiOutcome::Handled, Yes)
        }
        Action::Bottom => {
            state.focus = lay.targets.last().map(|t| t.id.clone());
            state.scroll = max_scroll(&lay, viewport);
            (UiOutcome::Handled, Yes)
        }
        Action::Press | Action::Toggle => match cur {
            Some(i) => (press(node, state, &lay.targets[i]), Yes),
            None => (UiOutcome::Ignored, No),
        },
        Action::Left => (horizontal(node, state, &lay, cur, -1), Yes),
        Action::Right => (horizontal(node, state, &lay, cur, 1), Yes),
        _ => (UiOutcome::Ignored, No),
    };
    if out != UiOutcome::Ignored && reveal == Yes {
        reveal_focus(node, state, viewport);
    }
    out
}

/// Index of the focused target in `lay`.
fn focus_index(lay: &UiLayout, state: &UiState) -> Option<usize> {
    let id = state.focus.as_deref()?;
    lay.targets.iter().position(|t| t.id == id)
}

/// True for targets whose items ↑/↓ move through.
fn has_rows(t: &Target) -> bool {
    matches!(
        t.kind,
        TargetKind::TableRows | TargetKind::ListItems | TargetKind::CardsItems
    ) && t.items.count() > 0
}

fn max_scroll(lay: &UiLayout, viewport: Rect) -> u32 {
    lay.height.saturating_sub(u32::from(viewport.height))
}

fn clamp_scroll(state: &mut UiState, lay: &UiLayout, viewport: Rect) {
    state.scroll = state.scroll.min(max_scroll(lay, viewport));
}

/// Scrolls by `delta` lines within bounds; true when it moved.
fn scroll_by(state: &mut UiState, lay: &UiLayout, viewport: Rect, delta: i64) -> bool {
    let max = i64::from(max_scroll(lay, viewport));
    let next = (i64::from(state.scroll) + delta).clamp(0, max) as u32;
    let moved = next != state.scroll;
    state.scroll = next;
    moved
}

/// True when any line of `t` is on screen.
fn on_screen(t: &Target, state: &UiState, viewport: Rect) -> bool {
    let (top, bottom) = (state.scroll, state.scroll + u32::from(viewport.height));
    t.y < bottom && t.y.saturating_add(t.height.max(1)) > top
}

/// ↓/↑: the selection inside a rows target, else the next/previous target, else a line of
/// scrolling.
fn vertical(
    state: &mut UiState,
    lay: &UiLayout,
    cur: Option<usize>,
    dir: isize,
    viewport: Rect,
) -> (UiOutcome, Reveal) {
    let next = match cur {
        None => {
            // Start from what is on screen rather than jumping away from it.
            let visible = lay.targets.iter().filter(|t| on_screen(t, state, viewport));
            if dir > 0 {
                visible.min_by_key(|t| t.y)
            } else {
                visible.max_by_key(|t| t.y)
            }
            .map(|t| t.id.clone())
        }
        Some(i) => {
            let t = &lay.targets[i];
            if has_rows(t) && step_selection(state, t, dir) {
                return (UiOutcome::Handled, Yes);
            }
            i.checked_add_signed(dir)
                .and_then(|j| lay.targets.get(j))
                .map(|t| t.id.clone())
        }
    };
    match next {
        Some(id) => {
            state.focus = Some(id);
            (UiOutcome::Handled, Yes)
        }
        None if scroll_by(state, lay, viewport, dir as i64) => (UiOutcome::Handled, No),
        None => (UiOutcome::Ignored, No),
    }
}

/// Moves a rows target's selection one grid line; false at its first/last line.
fn step_selection(state: &mut UiState, t: &Target, dir: isize) -> bool {
    let (count, cols) = (t.items.count(), t.items.cols());
    let sel = state.selected(&t.node, count);
    let next = if dir > 0 {
        if sel + cols < count {
            sel + cols
        } else if sel / cols < (count - 1) / cols {
            count - 1 // the last grid line is short
        } else {
            return false;
        }
    } else if sel >= cols {
        sel - cols
    } else {
        return false;
    };
    state.selected.insert(t.node.clone(), next);
    true
}

/// PgDn/PgUp: a page of rows inside a rows target, else a page of scrolling (refocusing on
/// something visible so the focus does not drag the view back).
fn page(
    state: &mut UiState,
    lay: &UiLayout,
    cur: Option<usize>,
    dir: i64,
    viewport: Rect,
) -> (UiOutcome, Reveal) {
    let step = i64::from(viewport.height.saturating_sub(1).max(1));
    if let Some(t) = cur.map(|i| &lay.targets[i])
        && has_rows(t)
    {
        let count = t.items.count();
        let sel = state.selected(&t.node, count);
        let next = (sel as i64 + dir * step * t.items.cols() as i64).clamp(0, count as i64 - 1);
        if next as usize != sel {
            state.selected.insert(t.node.clone(), next as usize);
            return (UiOutcome::Handled, Yes);
        }
    }
    if !scroll_by(state, lay, viewport, dir * step) {
        return (UiOutcome::Ignored, No);
    }
    let focus_visible = cur.is_some_and(|i| on_screen(&lay.targets[i], state, viewport));
    if !focus_visible {
        state.focus = lay
            .targets
            .iter()
            .filter(|t| on_screen(t, state, viewport))
            .min_by_key(|t| t.y)
            .map(|t| t.id.clone());
    }
    (UiOutcome::Handled, No)
}

/// ←/→: tabs, select/radio options, cards grid columns.
fn horizontal(
    node: &Node,
    state: &mut UiState,
    lay: &UiLayout,
    cur: Option<usize>,
    dir: isize,
) -> UiOutcome {
    let Some(t) = cur.map(|i| &lay.targets[i]) else {
        return UiOutcome::Ignored;
    };
    match (t.kind, node_at(node, &t.node)) {
        (TargetKind::TabBar, Some(Node::Tabs(tabs))) => {
            let active = state.active_tab(&t.node, tabs);
            let next = active.saturating_add_signed(dir).min(tabs.items.len() - 1);
            state.tabs.insert(t.node.clone(), next);
            UiOutcome::Handled
        }
        (TargetKind::Field, Some(Node::Form(f))) => match t.part {
            Part::Field(i) if matches!(f.fields[i].kind, FieldType::Select | FieldType::Radio) => {
                form::cycle(state, f, &t.node, i, dir);
                UiOutcome::Handled
            }
            _ => UiOutcome::Ignored,
        },
        (TargetKind::CardsItems, _) if t.items.cols() > 1 => {
            let count = t.items.count();
            let sel = state.selected(&t.node, count);
            let next = sel.saturating_add_signed(dir).min(count - 1);
            state.selected.insert(t.node.clone(), next);
            UiOutcome::Handled
        }
        _ => UiOutcome::Ignored,
    }
}

/// A `button_click` press.
fn click_event(action_id: &str, confirm: Option<&String>) -> UiOutcome {
    UiOutcome::Press(Press::Event {
        event: UiEvent::button_click(action_id),
        confirm: confirm.cloned(),
    })
}

/// An `item_select` press.
fn select_event(action_id: Option<&String>, selected_id: String) -> UiOutcome {
    UiOutcome::Press(Press::Event {
        event: UiEvent {
            event_type: "item_select".into(),
            action_id: action_id.cloned().unwrap_or_default(),
            selected_id: Some(selected_id),
            form_data: Map::new(),
        },
        confirm: None,
    })
}

fn action_press(b: Option<&ActionButton>) -> UiOutcome {
    match b {
        Some(b) if !(b.disabled || b.loading) => click_event(&b.id, b.confirm.as_ref()),
        Some(_) => UiOutcome::Handled,
        None => UiOutcome::Ignored,
    }
}

/// Presses target `t` (Enter, Space, click).
fn press(node: &Node, state: &mut UiState, t: &Target) -> UiOutcome {
    let Some(n) = node_at(node, &t.node) else {
        return UiOutcome::Ignored;
    };
    if t.disabled {
        return UiOutcome::Handled;
    }
    match (n, t.part) {
        (Node::Button(b), Part::Whole) => click_event(&b.action_id, None),
        (Node::Action(bar), Part::Button(i)) => action_press(bar.buttons.get(i)),
        (Node::Card(c), Part::Button(i)) => action_press(c.actions.get(i)),
        (Node::Empty(e), Part::EmptyAction) => match &e.action {
            Some(a) => click_event(&a.id, None),
            None => UiOutcome::Ignored,
        },
        (Node::List(l), Part::More) => match &l.more_action {
            Some(a) => click_event(a, None),
            None => UiOutcome::Ignored,
        },
        (Node::Table(tb), Part::Whole) if !tb.rows.is_empty() => {
            let sel = state.selected(&t.node, tb.rows.len());
            let id = tb.rows[sel]
                .row_id
                .clone()
                .unwrap_or_else(|| sel.to_string());
            select_event(tb.row_click_action.as_ref(), id)
        }
        (Node::List(l), Part::Whole) if !l.items.is_empty() => {
            let sel = state.selected(&t.node, l.items.len());
            match &l.items[sel].id {
                Some(id) => select_event(None, id.clone()),
                None => UiOutcome::Handled,
            }
        }
        (Node::Cards(c), Part::Whole) if !c.items.is_empty() => {
            let sel = state.selected(&t.node, c.items.len());
            match &c.items[sel].id {
                Some(id) => select_event(c.item_click_action.as_ref(), id.clone()),
                None => UiOutcome::Handled,
            }
        }
        (Node::Tabs(tabs), Part::Whole) if !tabs.items.is_empty() => {
            let next = (state.active_tab(&t.node, tabs) + 1) % tabs.items.len();
            state.tabs.insert(t.node.clone(), next);
            UiOutcome::Handled
        }
        (Node::Link(l), Part::Whole) => UiOutcome::Press(Press::OpenUrl(l.url.clone())),
        (Node::Links(l), Part::Link(i)) => match l.items.get(i) {
            Some(item) => UiOutcome::Press(Press::OpenUrl(item.url.clone())),
            None => UiOutcome::Ignored,
        },
        (Node::KeyValue(kv), Part::Link(i)) => match kv.items.get(i) {
            Some(item) => {
                let url = item.link.clone().unwrap_or_else(|| item.value.clone());
                UiOutcome::Press(Press::OpenUrl(url))
            }
            None => UiOutcome::Ignored,
        },
        (Node::KeyValue(kv), Part::Copy(Some(i))) => match kv.items.get(i) {
            Some(item) => UiOutcome::Press(Press::Copy(item.value.clone())),
            None => UiOutcome::Ignored,
        },
        (Node::Text(text), Part::Copy(None)) => UiOutcome::Press(Press::Copy(text.text.clone())),
        (Node::Form(f), Part::Field(i)) if i < f.fields.len() => {
            match f.fields[i].kind {
                FieldType::Select | FieldType::Radio => form::cycle(state, f, &t.node, i, 1),
                FieldType::Checkbox | FieldType::Switch => form::toggle(state, f, &t.node, i),
                FieldType::Hidden => {}
                _ => state.start_editing(&t.node, f, i),
            }
            UiOutcome::Handled
        }
        (Node::Form(f), Part::Submit) => {
            if state.editing.as_ref().is_some_and(|e| e.form == t.node) {
                state.finish_editing(node);
            }
            match form::submit(state, f, &t.node) {
                Ok(form_data) => UiOutcome::Press(Press::Event {
                    event: UiEvent {
                        event_type: "form_submit".into(),
                        action_id: f.action_id.clone().unwrap_or_else(|| "submit".into()),
                        selected_id: None,
                        form_data,
                    },
                    confirm: None,
                }),
                Err(bad) => {
                    state.focus = Some(child(&t.node, &format!("f{bad}")));
                    UiOutcome::Handled
                }
            }
        }
        (Node::Form(f), Part::Cancel) => {
            if state.editing.as_ref().is_some_and(|e| e.form == t.node) {
                state.editing = None;
            }
            state.forms.insert(t.node.clone(), FormState::defaults(f));
            UiOutcome::Handled
        }
        _ => UiOutcome::Ignored,
    }
}

/// Scrolls the least needed to show the focused target (for rows targets: its selected row,
/// with the header when it is the first).
pub(crate) fn reveal_focus(node: &Node, state: &mut UiState, viewport: Rect) {
    let lay = layout(node, state, viewport.width.max(1));
    clamp_scroll(state, &lay, viewport);
    let Some(t) = focus_index(&lay, state).map(|i| &lay.targets[i]) else {
        return;
    };
    let (y, h) = if has_rows(t) {
        let sel = state.selected(&t.node, t.items.count());
        match t.items.rect(sel) {
            Some((_, iy, _, ih)) if sel == 0 => (t.y, iy + ih - t.y),
            Some((_, iy, _, ih)) => (iy, ih),
            None => (t.y, t.height),
        }
    } else {
        (t.y, t.height.max(1))
    };
    let vh = u32::from(viewport.height.max(1));
    if y < state.scroll || h > vh {
        state.scroll = y;
    } else if y + h > state.scroll + vh {
        state.scroll = y + h - vh;
    }
    clamp_scroll(state, &lay, viewport);
}

/// True when the edited field still exists and is a text field.
fn editing_valid(node: &Node, state: &UiState) -> bool {
    let Some(e) = &state.editing else {
        return false;
    };
    matches!(node_at(node, &e.form), Some(Node::Form(f))
        if f.fields.get(e.field).is_some_and(|fd| is_text(&fd.kind)))
}

/// Keys while a field is being edited: Esc (and Enter in a one-line field) finishes, Tab
/// finishes and moves on, everything else goes to the editor.
/// A key while a field is edited: what the `editing` scope binds (done, next field), else
/// typed into the field. Enter in a multi-line field is a new line.
fn edit_key(node: &Node, state: &mut UiState, input: KeyInput, viewport: Rect) -> UiOutcome {
    let ed = state.editing.as_mut().expect("checked by the caller");
    match input.action {
        Some(Action::Cancel) => state.finish_editing(node),
        Some(Action::Confirm) if !ed.multiline => state.finish_editing(node),
        Some(dir @ (Action::NextField | Action::PrevField)) => {
            state.finish_editing(node);
            let lay = layout(node, state, viewport.width.max(1));
            let step = if dir == Action::NextField { 1 } else { -1 };
            if let Some(t) = focus_index(&lay, state)
                .and_then(|i| i.checked_add_signed(step))
                .and_then(|j| lay.targets.get(j))
            {
                state.focus = Some(t.id.clone());
            }
        }
        _ => {
            ed.area.input(input.key);
        }
    }
    reveal_focus(node, state, viewport);
    UiOutcome::Handled
}

/// A paste: into the field being edited, else into the focused text field (which starts
/// being edited, as Enter would). One-line fields get one line. False when no text field
/// has the focus.
pub(crate) fn paste(node: &Node, state: &mut UiState, text: &str, viewport: Rect) -> bool {
    if state.editing.is_some() && !editing_valid(node, state) {
        state.editing = None;
    }
    if state.editing.is_none() {
        let lay = layout(node, state, viewport.width.max(1));
        let Some(t) = focus_index(&lay, state).map(|i| &lay.targets[i]) else {
            return false;
        };
        match (node_at(node, &t.node), t.part) {
            (Some(Node::Form(f)), Part::Field(i))
                if !t.disabled && f.fields.get(i).is_some_and(|fd| is_text(&fd.kind)) =>
            {
                state.start_editing(&t.node, f, i);
            }
            _ => return false,
        }
    }
    let Some(ed) = state.editing.as_mut() else {
        return false;
    };
    let clean = if ed.multiline {
        crate::text::paste_multiline(text, "    ")
    } else {
        crate::text::paste_line(text)
    };
    ed.area.insert_str(clean);
    reveal_focus(node, state, viewport);
    true
}

pub(crate) fn click(
    node: &Node,
    state: &mut UiState,
    column: u16,
    row: u16,
    viewport: Rect,
) -> UiOutcome {
    let inside = column >= viewport.x
        && column - viewport.x < viewport.width
        && row >= viewport.y
        && row - viewport.y < viewport.height;
    if !inside {
        return UiOutcome::Ignored;
    }
    let lay = layout(node, state, viewport.width.max(1));
    clamp_scroll(state, &lay, viewport); // what render showed
    let (cx, cy) = (
        column - viewport.x,
        state.scroll + u32::from(row - viewport.y),
    );
    let hit = lay
        .targets
        .iter()
        .find(|t| cx >= t.x && cx - t.x < t.width && cy >= t.y && cy - t.y < t.height.max(1))
        .cloned();
    let was_editing = state.editing.is_some();
    let editing_this = |state: &UiState, t: &Target| matches!((&state.editing, t.part), (Some(e), Part::Field(i)) if e.form == t.node && e.field == i);
    if was_editing && !hit.as_ref().is_some_and(|t| editing_this(state, t)) {
        state.finish_editing(node);
    }
    let Some(t) = hit else {
        return if was_editing {
            UiOutcome::Handled
        } else {
            UiOutcome::Ignored
        };
    };
    state.focus = Some(t.id.clone());
    match t.kind {
        TargetKind::TableRows | TargetKind::ListItems | TargetKind::CardsItems => {
            match t.items.at(cx, cy) {
                Some(i) => {
                    state.selected.insert(t.node.clone(), i);
                    press(node, state, &t)
                }
                None => UiOutcome::Handled,
            }
        }
        TargetKind::TabBar => {
            if let Some(i) = t.items.at(cx, cy) {
                state.tabs.insert(t.node.clone(), i);
            }
            UiOutcome::Handled
        }
        TargetKind::Field => {
            if let (Some(Node::Form(f)), Part::Field(i)) = (node_at(node, &t.node), t.part) {
                match (&f.fields[i].kind, t.items.at(cx, cy)) {
                    (FieldType::Radio, Some(opt)) => form::choose(state, f, &t.node, i, opt),
                    (FieldType::Radio, None) => {}
                    _ if editing_this(state, &t) => {}
                    _ => {
                        press(node, state, &t);
                    }
                }
            }
            UiOutcome::Handled
        }
        _ => press(node, state, &t),
    }
}

pub(crate) fn scroll(state: &mut UiState, down: bool, viewport: Rect, node: &Node) {
    let lay = layout(node, state, viewport.width.max(1));
    let delta = i64::from(WHEEL);
    scroll_by(state, &lay, viewport, if down { delta } else { -delta });
}
