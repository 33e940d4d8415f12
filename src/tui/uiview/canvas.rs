//! The drawing context shared by layout and render: an optional window onto a buffer plus the
//! focus targets collected on the way. Drawers call the same code in both modes; without a
//! buffer every draw call is a no-op, so measuring cannot drift from drawing.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::Target;
use super::fit::{self, SLine};
use super::state::UiState;
use crate::text::sanitize_line;
use crate::tui::theme::Theme;

/// Where a drawer puts its block: left column, first line, width.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    pub x: u16,
    pub y: u32,
    pub w: u16,
}

impl At {
    /// The same block, `n` lines lower.
    pub fn down(self, n: u32) -> At {
        At {
            y: self.y.saturating_add(n),
            ..self
        }
    }

    /// The block inset by `n` columns on the left.
    pub fn indent(self, n: u16) -> At {
        let n = n.min(self.w);
        At {
            x: self.x.saturating_add(n),
            w: self.w - n,
            y: self.y,
        }
    }

    /// Width as usize, at least 1 (so wrapping always progresses).
    pub fn cols(self) -> usize {
        usize::from(self.w.max(1))
    }
}

/// The buffer window being drawn: content line `top` is screen line `area.y`.
struct Surface<'b> {
    buf: &'b mut Buffer,
    area: Rect,
    top: u32,
}

/// Layout/draw context.
pub(crate) struct Ctx<'a> {
    pub state: &'a UiState,
    pub theme: &'a Theme,
    /// Focused target id, only while drawing a view that has the keyboard.
    focus: Option<&'a str>,
    out: Option<Surface<'a>>,
    pub targets: Vec<Target>,
}

/// Blanks `area` in the theme's text style.
pub(crate) fn clear(buf: &mut Buffer, area: Rect, theme: &Theme) {
    let style = theme.text();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            buf[(x, y)].reset();
            buf[(x, y)].set_style(style);
        }
    }
}

/// Box-drawing characters: top-left, top-right, bottom-left, bottom-right, horizontal, vertical.
const LIGHT: [&str; 6] = ["┌", "┐", "└", "┘", "─", "│"];
const HEAVY: [&str; 6] = ["┏", "┓", "┗", "┛", "━", "┃"];

impl<'a> Ctx<'a> {
    /// A context that only measures.
    pub fn measure(state: &'a UiState, theme: &'a Theme) -> Self {
        Self {
            state,
            theme,
            focus: None,
            out: None,
            targets: Vec::new(),
        }
    }

    /// A context that draws content lines `top..top + area.height` into `area`.
    pub fn draw(
        state: &'a UiState,
        theme: &'a Theme,
        focused: bool,
        buf: &'a mut Buffer,
        area: Rect,
        top: u32,
    ) -> Self {
        Self {
            state,
            theme,
            focus: if focused {
                state.focus.as_deref()
            } else {
                None
            },
            out: Some(Surface { buf, area, top }),
            targets: Vec::new(),
        }
    }

    /// True when drawing (not just measuring).
    pub fn drawing(&self) -> bool {
        self.out.is_some()
    }

    /// Content lines being drawn (empty while measuring).
    pub fn window(&self) -> Range<u32> {
        match &self.out {
            Some(s) => s.top..s.top.saturating_add(u32::from(s.area.height)),
            None => 0..0,
        }
    }

    /// True when content line `y` is drawn.
    pub fn shows(&self, y: u32) -> bool {
        self.window().contains(&y)
    }

    /// True when any of lines `y..y + h` is drawn.
    pub fn shows_any(&self, y: u32, h: u32) -> bool {
        let win = self.window();
        y < win.end && y.saturating_add(h) > win.start
    }

    /// Which of `n` one-line rows starting at line `y0` are drawn, as row indices.
    pub fn visible_rows(&self, y0: u32, n: usize) -> Range<usize> {
        let win = self.window();
        let first = win.start.saturating_sub(y0) as usize;
        let last = (win.end.saturating_sub(y0) as usize).min(n);
        first.min(last)..last
    }

    /// True when the target `id` is focused and the view has the keyboard.
    pub fn is_focused(&self, id: &str) -> bool {
        self.focus == Some(id)
    }

    /// Screen position of content column `x`, line `y`, with the columns left on screen.
    fn screen(&self, x: u16, y: u32) -> Option<(u16, u16, u16)> {
        let s = self.out.as_ref()?;
        if y < s.top || y - s.top >= u32::from(s.area.height) || x >= s.area.width {
            return None;
        }
        Some((
            s.area.x + x,
            s.area.y + (y - s.top) as u16,
            s.area.width - x,
        ))
    }

    /// Draws `s` (escaped, cut to `w` columns with `…`) at column `x`, line `y`. Returns the
    /// columns it takes, drawn or not.
    pub fn put(&mut self, x: u16, y: u32, s: &str, w: u16, style: Style) -> u16 {
        let safe = sanitize_line(s);
        let text = fit::fit(&safe, usize::from(w));
        let width = fit::width(&text) as u16;
        if let Some((sx, sy, room)) = self.screen(x, y) {
            let buf = &mut self.out.as_mut().unwrap().buf;
            buf.set_stringn(sx, sy, &*text, usize::from(room.min(w)), style);
        }
        width
    }

    /// Draws runs of styled text one after another, within `w` columns.
    pub fn put_line(&mut self, x: u16, y: u32, line: &SLine, w: u16) -> u16 {
        let mut used = 0u16;
        for (text, style) in line {
            if used >= w {
                break;
            }
            used += self.put(x.saturating_add(used), y, text, w - used, *style);
        }
        used
    }

    /// Repeats `s` (one column wide) `n` times.
    pub fn hline(&mut self, x: u16, y: u32, n: u16, s: &str, style: Style) {
        if self.shows(y) {
            self.put(x, y, &s.repeat(usize::from(n)), n, style);
        }
    }

    /// Patches the style of `w` × `h` cells.
    pub fn paint(&mut self, x: u16, y: u32, w: u16, h: u32, style: Style) {
        let win = self.window();
        let (from, to) = (y.max(win.start), y.saturating_add(h).min(win.end));
        for line in from..to {
            if let Some((sx, sy, room)) = self.screen(x, line) {
                let buf = &mut self.out.as_mut().unwrap().buf;
                buf.set_style(Rect::new(sx, sy, w.min(room), 1), style);
            }
        }
    }

    /// A box border around `w` × `h` cells, with an optional title in its top edge. Heavy
    /// lines mark a selected box (visible without colour).
    pub fn frame(&mut self, at: At, h: u32, title: Option<&str>, style: Style, heavy: bool) {
        if at.w < 2 || h < 2 || !self.shows_any(at.y, h) {
            return;
        }
        let [tl, tr, bl, br, hz, vt] = if heavy { HEAVY } else { LIGHT };
        let inner = at.w - 2;
        let bottom = at.y + h - 1;
        self.put(at.x, at.y, tl, 1, style);
        self.hline(at.x + 1, at.y, inner, hz, style);
        self.put(at.x + at.w - 1, at.y, tr, 1, style);
        if let Some(t) = title
            && inner > 2
        {
            self.put(at.x + 1, at.y, &format!(" {t} "), inner, style);
        }
        let win = self.window();
        for y in (at.y + 1).max(win.start)..bottom.min(win.end) {
            self.put(at.x, y, vt, 1, style);
            self.put(at.x + at.w - 1, y, vt, 1, style);
        }
        self.put(at.x, bottom, bl, 1, style);
        self.hline(at.x + 1, bottom, inner, hz, style);
        self.put(at.x + at.w - 1, bottom, br, 1, style);
    }

    /// Records a focus target.
    pub fn target(&mut self, t: Target) {
        self.targets.push(t);
    }
}
