//! Drawing: a pure function of the state (and the host's message log). The screen layout is a
//! pure function too, so mouse handling in `update` hits exactly what was drawn.

mod diff;
mod output;
mod overlay;
mod panes;
mod problems;
mod story;

use super::inspector;
use super::msg::CapKey;
use super::state::{Pane, RenderSlot, State};
use crate::host::MessageLog;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

pub use diff::lines as diff_lines;
pub use overlay::help_max_scroll;
pub use panes::{plugins_row_at, toolbar_button_at};
pub use problems::register_warning;

/// Where everything goes on a screen of a given size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScreenLayout {
    pub context_bar: Rect,
    pub plugins: Rect,
    pub activity: Rect,
    pub render: Rect,
    /// Inside the render pane, under its header: the path to what is shown and the story
    /// being played.
    pub render_story: Rect,
    /// Inside the render pane: why the last render failed, in full (over the previous one).
    pub render_notice: Rect,
    /// Inside the render pane: where the JSON-UI is drawn.
    pub render_body: Rect,
    pub diagnostics: Rect,
    pub inspector_list: Rect,
    pub inspector_detail: Rect,
    /// The output pane, in the inspector's place when it is the one shown.
    pub output: Rect,
    pub status: Rect,
    pub modal: Rect,
}

/// The message of a failed render, wrapped to `width`: the header only names the failure.
pub fn failure_lines(state: &State, width: u16) -> Vec<String> {
    if let Some(note) = state.render.past.as_ref().and_then(|p| p.note.as_ref()) {
        return crate::text::wrap_width(&crate::text::sanitize_line(note), width as usize);
    }
    match state.shown_slot() {
        Some(RenderSlot::Failed { message, .. }) => {
            crate::text::wrap_width(&crate::text::sanitize_line(message), width as usize)
        }
        _ => Vec::new(),
    }
}

/// The layout of the whole screen at the state's size (what reducers hit-test against).
pub fn layout_of(state: &State) -> ScreenLayout {
    screen_layout(Rect::new(0, 0, state.size.0, state.size.1), state)
}

pub fn screen_layout(area: Rect, state: &State) -> ScreenLayout {
    let mut l = ScreenLayout::default();
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .split(area);
    l.context_bar = rows[0];
    l.status = rows[2];
    let main = rows[1];
    // Two drawings side by side need the room: the diff takes nearly the whole screen.
    l.modal = match &state.modal {
        Some(super::state::Modal::Diff(_)) => centered(area, 96, 94),
        _ => centered(area, 80, 80),
    };
    // A plugin's modal is no taller than its content (and its border and footer): a short
    // one is not a big empty box.
    if let Some(super::state::Modal::Ui { rendered, .. }) = &state.modal {
        let content =
            super::uiview::layout(&rendered.node, &rendered.ui, modal_body(l.modal).width).height;
        let wanted = u16::try_from(content).unwrap_or(u16::MAX).saturating_add(3);
        let h = wanted.clamp(10.min(l.modal.height), l.modal.height);
        l.modal.y += (l.modal.height - h) / 2;
        l.modal.height = h;
    }

    let (plugins_col, render, inspector) = if state.zoom {
        let none = Rect::new(main.x, main.y, 0, 0);
        match state.focus {
            Pane::Plugins => (main, none, none),
            Pane::Render => (none, main, none),
            Pane::Inspector | Pane::Output => (none, none, main),
        }
    } else {
        let plugins_w = if main.width >= 120 {
            30
        } else {
            26.min(main.width / 3)
        };
        let cols =
            Layout::horizontal([Constraint::Length(plugins_w), Constraint::Min(0)]).split(main);
        if main.width >= 150 {
            let right =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .split(cols[1]);
            (cols[0], right[0], right[1])
        } else {
            let right = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)])
                .split(cols[1]);
            (cols[0], right[0], right[1])
        }
    };
    if plugins_col.height >= 16 && !state.zoom {
        let split = Layout::vertical([
            Constraint::Min(6),
            Constraint::Length((plugins_col.height * 2 / 5).min(14)),
        ])
        .split(plugins_col);
        l.plugins = split[0];
        l.activity = split[1];
    } else {
        l.plugins = plugins_col;
        l.activity = Rect::new(plugins_col.x, plugins_col.bottom(), plugins_col.width, 0);
    }
    l.render = render;
    let inner = inner(render);
    let diag = super::diagnostics::height(state, inner);
    let notice = failure_lines(state, inner.width)
        .len()
        .min(inner.height as usize / 3) as u16;
    let story = story::header_lines(state, inner.width)
        .len()
        .min(inner.height as usize / 2) as u16;
    let body = Layout::vertical([
        Constraint::Length(1.min(inner.height)),
        Constraint::Length(story),
        Constraint::Length(notice),
        Constraint::Min(0),
        Constraint::Length(diag),
    ])
    .split(inner);
    l.render_story = body[1];
    l.render_notice = body[2];
    // A set render width (`W`) narrows the UI, one column short of the pane for its edge.
    l.render_body = match state.render.width {
        Some(w) if w < body[3].width => Rect {
            width: w,
            ..body[3]
        },
        _ => body[3],
    };
    l.diagnostics = body[4];
    if state.output_shown {
        l.output = inspector;
        l.inspector_list = Rect::new(inspector.x, inspector.y, 0, 0);
        l.inspector_detail = l.inspector_list;
        return l;
    }
    l.output = Rect::new(inspector.x, inspector.y, 0, 0);
    let wide = inspector.width >= 90 || (inspector.height < 12 && inspector.width >= 60);
    let parts = if wide {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .split(inspector)
    } else {
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).split(inspector)
    };
    l.inspector_list = parts[0];
    l.inspector_detail = parts[1];
    l
}

/// The area inside a one-cell border.
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(1),
        r.y.saturating_add(1),
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

/// A rectangle of `pw`% × `ph`% centred in `area` (at least 40×10 when it fits).
pub fn centered(area: Rect, pw: u16, ph: u16) -> Rect {
    let w = (area.width * pw / 100).max(40.min(area.width));
    let h = (area.height * ph / 100).max(10.min(area.height));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clickable words at the right end of the context bar, so the mouse alone can get help,
/// compose a request and quit.
pub const BAR_BUTTONS: [&str; 3] = ["[c compose]", "[? help]", "[q quit]"];

/// How much of the context bar fits: the most detailed form of the context (see
/// `panes::context_spans`) and the most buttons that fit beside it. The context itself comes
/// first: buttons go (compose, then quit) before any value does.
pub fn context_fit(bar: Rect, state: &State) -> (usize, usize) {
    let width = bar.width as usize;
    for buttons in (0..=BAR_BUTTONS.len()).rev() {
        let used: usize = BAR_BUTTONS[BAR_BUTTONS.len() - buttons..]
            .iter()
            .map(|b| b.len() + 1)
            .sum();
        for level in 0..panes::CONTEXT_LEVELS {
            if panes::context_width(state, level) + used < width {
                return (level, buttons);
            }
        }
    }
    (panes::CONTEXT_LEVELS - 1, 0)
}

/// Where each of `BAR_BUTTONS` shown sits in the context bar (index, rect).
pub fn bar_buttons(bar: Rect, state: &State) -> Vec<(usize, Rect)> {
    let (_, shown) = context_fit(bar, state);
    let mut x = bar.right();
    let mut out = Vec::new();
    for i in (BAR_BUTTONS.len() - shown..BAR_BUTTONS.len()).rev() {
        let w = BAR_BUTTONS[i].len() as u16;
        x = x.saturating_sub(w + 1);
        out.push((i, Rect::new(x, bar.y, w, 1)));
    }
    out
}

/// The confirmation dialog inside the modal area: (box, yes button, no button).
pub fn confirm_layout(modal: Rect) -> (Rect, Rect, Rect) {
    let b = centered(modal, 60, 30);
    let i = inner(b);
    let y = i.bottom().saturating_sub(1);
    let yes = Rect::new(i.x, y, 9.min(i.width), 1.min(i.height));
    let no = Rect::new(
        i.x.saturating_add(11),
        y,
        8.min(i.width.saturating_sub(11)),
        1.min(i.height),
    );
    (b, yes, no)
}

/// Where a modal's JSON-UI goes inside the modal box.
pub fn modal_body(modal: Rect) -> Rect {
    let i = inner(modal);
    Rect::new(i.x, i.y, i.width, i.height.saturating_sub(1))
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, log: &MessageLog) {
    let area = frame.area();
    let l = screen_layout(area, state);
    let buf = frame.buffer_mut();
    ratatui::widgets::Widget::render(
        ratatui::widgets::Block::default().style(state.theme.text()),
        area,
        buf,
    );
    panes::context_bar(l.context_bar, buf, state);
    if l.plugins.area() > 0 {
        panes::plugins(l.plugins, buf, state);
    }
    if l.activity.area() > 0 {
        panes::activity(l.activity, buf, state);
    }
    if l.render.area() > 0 {
        panes::render_pane(&l, buf, state);
    }
    if l.inspector_list.area() > 0 {
        let focused = state.focus == Pane::Inspector;
        inspector::render_list(
            l.inspector_list,
            buf,
            &state.inspector,
            log,
            &state.theme,
            focused,
        );
        inspector::render_detail(
            l.inspector_detail,
            buf,
            &state.inspector,
            log,
            &state.theme,
            focused,
        );
    }
    if l.output.area() > 0 {
        output::output_pane(l.output, buf, state);
    }
    panes::status_bar(l.status, buf, state, log);
    if let Some(modal) = &state.modal {
        overlay::modal(modal, l.modal, buf, state);
    }
    overlay::toasts(area, buf, state);
}

/// The capability a modal or the render pane belongs to, for titles.
pub fn cap_title(state: &State, key: &CapKey) -> String {
    match state.capability(key) {
        Some(c) => format!("{} · {}", c.title, key.plugin_id),
        None => key.plugin_id.clone(),
    }
}
