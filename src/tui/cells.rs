//! Buffer helpers below every drawer (panes, overlays, components).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Clear, Widget};
use unicode_width::UnicodeWidthStr;

/// Clears `area` for an overlay and makes it own every cell it covers. A double-width
/// character just left of it would cover its first column: a terminal draws it there, and
/// ratatui skips the cell after it, so the overlay's left border would never be drawn. That
/// character is blanked (its right half is under the overlay anyway).
pub fn claim(area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    Clear.render(area, buf);
    if area.is_empty() || area.x == buf.area.x {
        return;
    }
    for y in area.top()..area.bottom() {
        let left = &mut buf[(area.x - 1, y)];
        if left.symbol().width() > 1 {
            left.set_symbol(" ");
        }
    }
}
