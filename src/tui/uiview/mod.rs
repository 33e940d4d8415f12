//! Draws a plugin's JSON-UI ([`Node`]) as terminal widgets and turns keys and clicks on it
//! into the events the plugin expects.
//!
//! Everything works in *content coordinates*: one long virtual page, `width` columns wide,
//! scrolled by [`UiState`]'s offset. A single walk over the node tree (`walk.rs`) both measures
//! and draws: [`layout`] runs it without a buffer (heights and focus targets only), [`render`]
//! runs it with one and only touches lines inside the viewport. Large widgets (a table of
//! 200 000 rows) therefore cost O(1) to lay out and O(visible rows) to draw.
//!
//! Plugin text is untrusted: every string is escaped with `crate::text` at the single point
//! where it reaches the buffer (`Ctx::put` in `canvas.rs`), so no drawer can forget to.

mod canvas;
mod cards;
mod controls;
mod fit;
mod form;
mod input;
mod misc;
mod path;
mod state;
mod table;
mod text;
mod walk;

#[cfg(test)]
mod tests;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::host::UiEvent;
use crate::jsonui::Node;
use crate::tui::theme::Theme;

pub use state::UiState;

/// Heights and focus targets of a node laid out at one width.
#[derive(Debug, Clone, PartialEq)]
pub struct UiLayout {
    /// Total height in lines.
    pub height: u32,
    /// Everything focusable, in navigation (document) order.
    pub targets: Vec<Target>,
}

/// Something the user can focus and press, placed in content coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Stable path, e.g. `"2.tab1.0.b3"` (group child 2, tab 1, its child 0, button 3), so the
    /// focus survives a re-render with the same shape.
    pub id: String,
    /// What kind of thing it is.
    pub kind: TargetKind,
    /// First line.
    pub y: u32,
    /// First column.
    pub x: u16,
    /// Columns covered.
    pub width: u16,
    /// Lines covered.
    pub height: u32,
    /// What the status bar shows when it is focused (already escaped).
    pub label: String,
    /// Path of the node it belongs to (the key of its per-node state).
    pub(crate) node: String,
    /// Which part of that node it is.
    pub(crate) part: Part,
    /// Where its selectable items (rows, cards, tabs, options) sit, for keys and clicks.
    pub(crate) items: Items,
    /// Focusable but not pressable.
    pub(crate) disabled: bool,
}

impl Target {
    /// A target covering `at` × `height`, pressing the node at `node` as a whole.
    pub(crate) fn new(
        id: String,
        kind: TargetKind,
        at: canvas::At,
        height: u32,
        label: &str,
        node: &str,
    ) -> Self {
        Self {
            id,
            kind,
            y: at.y,
            x: at.x,
            width: at.w,
            height,
            label: crate::text::sanitize_line(label),
            node: node.to_string(),
            part: Part::Whole,
            items: Items::None,
            disabled: false,
        }
    }

    pub(crate) fn part(mut self, part: Part) -> Self {
        self.part = part;
        self
    }

    pub(crate) fn items(mut self, items: Items) -> Self {
        self.items = items;
        self
    }

    pub(crate) fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }
}

/// The kinds of [`Target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A button (standalone, action bar, card action, "More", form cancel, empty-state action).
    Button,
    /// A table's rows; ↑/↓ move the selection inside it.
    TableRows,
    /// A list's items.
    ListItems,
    /// A cards grid or list.
    CardsItems,
    /// The tab bar of a `tabs`.
    TabBar,
    /// A form field.
    Field,
    /// A form's submit button.
    Submit,
    /// A link.
    Link,
    /// A `[copy]` button.
    Copyable,
}

/// Which part of its node a target is; resolved against the node when pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The node as a whole (button, rows, items, tab bar, link).
    Whole,
    /// Button `i` of an action bar or a card's actions.
    Button(usize),
    /// Field `i` of a form.
    Field(usize),
    /// A form's submit button.
    Submit,
    /// A form's cancel button.
    Cancel,
    /// A text's copy button (`None`) or item `i`'s of a key-value.
    Copy(Option<usize>),
    /// Item `i`'s link (key-value item or `links` entry).
    Link(usize),
    /// A list's "More" button.
    More,
    /// An empty state's button.
    EmptyAction,
}

/// Geometry of the selectable items inside a target, in content coordinates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Items {
    /// Nothing inside to select.
    None,
    /// `count` equal cells, `cols` per line of the grid, starting at line `y`, column `x`;
    /// O(1) however many rows a table has.
    Grid {
        y: u32,
        x: u16,
        count: usize,
        cols: u16,
        w: u16,
        h: u32,
        gap: u16,
        vgap: u32,
    },
    /// Items of varying height: item `i` covers lines `starts[i]..starts[i + 1]` (`end` last).
    Lines {
        x: u16,
        w: u16,
        starts: Vec<u32>,
        end: u32,
    },
    /// Small inline items (tabs, radio options): `(line, column, width)` each.
    Spans(Vec<(u32, u16, u16)>),
}

impl Items {
    /// How many items there are.
    pub(crate) fn count(&self) -> usize {
        match self {
            Items::None => 0,
            Items::Grid { count, .. } => *count,
            Items::Lines { starts, .. } => starts.len(),
            Items::Spans(s) => s.len(),
        }
    }

    /// Columns per grid line (1 unless a cards grid).
    pub(crate) fn cols(&self) -> usize {
        match self {
            Items::Grid { cols, .. } => usize::from((*cols).max(1)),
            _ => 1,
        }
    }

    /// Item `i`'s `(x, y, width, height)`.
    pub(crate) fn rect(&self, i: usize) -> Option<(u16, u32, u16, u32)> {
        match self {
            Items::None => None,
            Items::Grid {
                y,
                x,
                count,
                cols,
                w,
                h,
                gap,
                vgap,
            } => {
                if i >= *count {
                    return None;
                }
                let cols = usize::from((*cols).max(1));
                let (row, col) = ((i / cols) as u64, (i % cols) as u16);
                let iy = u64::from(*y) + row * u64::from(h + vgap);
                let ix = x.saturating_add(col.saturating_mul(w.saturating_add(*gap)));
                Some((ix, iy.min(u64::from(u32::MAX)) as u32, *w, *h))
            }
            Items::Lines { x, w, starts, end } => {
                let y = *starts.get(i)?;
                let next = starts.get(i + 1).copied().unwrap_or(*end);
                Some((*x, y, *w, next.saturating_sub(y)))
            }
            Items::Spans(s) => s.get(i).map(|&(y, x, w)| (x, y, w, 1)),
        }
    }

    /// The item at content column `cx`, line `cy`.
    pub(crate) fn at(&self, cx: u16, cy: u32) -> Option<usize> {
        match self {
            Items::None => None,
            Items::Grid {
                y,
                x,
                count,
                cols,
                w,
                h,
                gap,
                vgap,
            } => {
                let rel_y = cy.checked_sub(*y)?;
                let rel_x = cx.checked_sub(*x)?;
                let pitch_y = (h + vgap).max(1);
                let pitch_x = (w.saturating_add(*gap)).max(1);
                if rel_y % pitch_y >= *h || rel_x % pitch_x >= *w {
                    return None;
                }
                let col = usize::from(rel_x / pitch_x);
                let cols = usize::from((*cols).max(1));
                let i = (rel_y / pitch_y) as usize * cols + col;
                (col < cols && i < *count).then_some(i)
            }
            Items::Lines { .. } | Items::Spans(_) => (0..self.count()).find(|&i| {
                self.rect(i).is_some_and(|(ix, iy, iw, ih)| {
                    cx >= ix && cx - ix < iw && cy >= iy && cy - iy < ih
                })
            }),
        }
    }
}

/// What a key or click did.
#[derive(Debug, Clone, PartialEq)]
pub enum UiOutcome {
    /// Not for this view (the app may use the key itself).
    Ignored,
    /// Consumed; redraw.
    Handled,
    /// The user pressed something the app must act on.
    Press(Press),
}

/// A press the app carries out.
#[derive(Debug, Clone, PartialEq)]
pub enum Press {
    /// Send this event to the plugin, after asking `confirm` (when set) and getting a yes.
    Event {
        event: UiEvent,
        confirm: Option<String>,
    },
    /// Put this text on the clipboard. It is the plugin's raw text: escape it before showing it.
    Copy(String),
    /// Open this URL (raw, as the plugin sent it).
    OpenUrl(String),
}

/// Lays `node` out at `width` columns: total height and focus targets. Pure and cheap enough
/// to call on every key press.
pub fn layout(node: &Node, state: &UiState, width: u16) -> UiLayout {
    let theme = Theme::default();
    let mut cx = canvas::Ctx::measure(state, &theme);
    let height = walk::root(&mut cx, node, width);
    UiLayout {
        height,
        targets: cx.targets,
    }
}

/// Draws `node` into `area`, scrolled by `state`'s offset; highlights the focused target when
/// `focused` (the view has the keyboard).
pub fn render(
    node: &Node,
    state: &UiState,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    focused: bool,
) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let top = state.scroll;
    let height = draw_at(node, state, area, buf, theme, focused, top);
    // Content shrank under the offset (a new render, a wider terminal): show its end instead
    // of a blank page. Rare, so drawing twice is fine.
    let max_top = height.saturating_sub(u32::from(area.height));
    if top > max_top {
        draw_at(node, state, area, buf, theme, focused, max_top);
    }
}

fn draw_at(
    node: &Node,
    state: &UiState,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    focused: bool,
    top: u32,
) -> u32 {
    canvas::clear(buf, area, theme);
    let mut cx = canvas::Ctx::draw(state, theme, focused, buf, area, top);
    walk::root(&mut cx, node, area.width)
}

/// Handles a key while the view has the keyboard (the render or modal scope's action, or the
/// editing scope's while a field is edited). `viewport` is the area `render` got.
pub fn handle_key(
    node: &Node,
    state: &mut UiState,
    key: crate::tui::action::KeyInput,
    viewport: Rect,
) -> UiOutcome {
    input::key(node, state, key, viewport)
}

/// Handles a left click at absolute terminal coordinates: focuses what is under it and
/// presses it (selecting the clicked row first, switching to the clicked tab, editing the
/// clicked field).
pub fn handle_click(
    node: &Node,
    state: &mut UiState,
    column: u16,
    row: u16,
    viewport: Rect,
) -> UiOutcome {
    input::click(node, state, column, row, viewport)
}

/// A bracketed paste: goes into the field being edited, else into the focused text field
/// (which starts being edited). False when no text field has the focus.
pub fn handle_paste(node: &Node, state: &mut UiState, text: &str, viewport: Rect) -> bool {
    input::paste(node, state, text, viewport)
}

/// Scrolls three lines for a mouse wheel notch; the focus stays where it is.
pub fn handle_scroll(state: &mut UiState, down: bool, viewport: Rect, node: &Node) {
    input::scroll(state, down, viewport, node)
}

/// True while a text field has the keyboard: the app must then send every key to
/// [`handle_key`] (Esc leaves editing) instead of treating it as a shortcut.
pub fn is_editing(state: &UiState) -> bool {
    state.editing.is_some()
}

/// The focused target's label, for the status bar.
pub fn focused_label(node: &Node, state: &UiState) -> Option<String> {
    let id = state.focus.as_deref()?;
    // Labels do not depend on the width; any width finds the same targets.
    layout(node, state, 80)
        .targets
        .into_iter()
        .find(|t| t.id == id)
        .map(|t| t.label)
}
