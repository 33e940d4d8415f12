//! Display-width arithmetic: truncating, padding and word-wrapping by terminal columns
//! (not chars), so wide CJK characters keep columns aligned.

use std::borrow::Cow;

use ratatui::style::Style;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::jsonui::Align;

/// A run of text in one style.
pub(crate) type Span = (String, Style);
/// One wrapped line of styled runs.
pub(crate) type SLine = Vec<Span>;

/// Columns `s` takes.
pub(crate) fn width(s: &str) -> usize {
    s.width()
}

/// Columns `c` takes (control characters count as 0; they are escaped before drawing).
fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// `s` cut to at most `w` columns, the cut marked with `…`.
pub(crate) fn fit(s: &str, w: usize) -> Cow<'_, str> {
    if width(s) <= w {
        return Cow::Borrowed(s);
    }
    if w == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if used + cw > w - 1 {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    Cow::Owned(out)
}

/// `s` fitted into exactly `w` columns with the given alignment.
pub(crate) fn align(s: &str, w: usize, how: Option<&Align>) -> String {
    let s = fit(s, w);
    let free = w.saturating_sub(width(&s));
    let (left, right) = match how {
        Some(Align::Right) => (free, 0),
        Some(Align::Center) => (free / 2, free - free / 2),
        _ => (0, free),
    };
    let mut out = String::with_capacity(s.len() + free);
    out.extend(std::iter::repeat_n(' ', left));
    out.push_str(&s);
    out.extend(std::iter::repeat_n(' ', right));
    out
}

/// Wraps plain text (no newlines) to `w` columns.
pub(crate) fn wrap(s: &str, w: usize) -> Vec<String> {
    wrap_spans(&[(s.to_string(), Style::new())], w)
        .into_iter()
        .map(|line| line.into_iter().map(|(t, _)| t).collect())
        .collect()
}

/// Wraps a newline-free run of styled text to `w` columns: breaks at spaces, between wide
/// (CJK) characters, and inside words longer than a line. Always at least one line.
pub(crate) fn wrap_spans(spans: &[Span], w: usize) -> Vec<SLine> {
    let w = w.max(1);
    let mut lines: Vec<SLine> = vec![Vec::new()];
    let mut used = 0usize;
    for word in words(spans) {
        let gap = if used == 0 && lines.len() > 1 {
            0 // spaces at a wrap point vanish
        } else {
            word.spaces
        };
        if used + gap + word.width <= w {
            push_spaces(lines.last_mut().unwrap(), gap, word.space_style, &mut used);
            for (t, st) in word.pieces {
                used += width(&t);
                push(lines.last_mut().unwrap(), t, st);
            }
            continue;
        }
        if word.width <= w {
            lines.push(Vec::new());
            used = 0;
            for (t, st) in word.pieces {
                used += width(&t);
                push(lines.last_mut().unwrap(), t, st);
            }
            continue;
        }
        // Longer than a line: fill what is left, then break by character.
        if used > 0 && used + gap < w {
            push_spaces(lines.last_mut().unwrap(), gap, word.space_style, &mut used);
        } else if used > 0 {
            lines.push(Vec::new());
            used = 0;
        }
        for (t, st) in word.pieces {
            for c in t.chars() {
                let cw = char_width(c);
                if used + cw > w && used > 0 {
                    lines.push(Vec::new());
                    used = 0;
                }
                used += cw;
                push(lines.last_mut().unwrap(), c.to_string(), st);
            }
        }
    }
    lines
}

/// An unbreakable piece of text and the spaces before it.
struct Word {
    spaces: usize,
    space_style: Style,
    pieces: Vec<Span>,
    width: usize,
}

/// Splits styled text into words: runs of non-space characters, or single wide characters
/// (which a line may break around).
fn words(spans: &[Span]) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur: Option<Word> = None;
    let mut spaces = 0usize;
    let mut space_style = Style::new();
    for (text, style) in spans {
        for c in text.chars() {
            if c == ' ' {
                if let Some(w) = cur.take() {
                    out.push(w);
                }
                spaces += 1;
                space_style = *style;
                continue;
            }
            let cw = char_width(c);
            if cw >= 2 {
                if let Some(w) = cur.take() {
                    out.push(w);
                }
                out.push(Word {
                    spaces: std::mem::take(&mut spaces),
                    space_style,
                    pieces: vec![(c.to_string(), *style)],
                    width: cw,
                });
                continue;
            }
            let w = cur.get_or_insert_with(|| Word {
                spaces: std::mem::take(&mut spaces),
                space_style,
                pieces: Vec::new(),
                width: 0,
            });
            w.width += cw;
            match w.pieces.last_mut() {
                Some((t, st)) if st == style => t.push(c),
                _ => w.pieces.push((c.to_string(), *style)),
            }
        }
    }
    if let Some(w) = cur.take() {
        out.push(w);
    }
    out
}

fn push_spaces(line: &mut SLine, n: usize, style: Style, used: &mut usize) {
    if n > 0 {
        *used += n;
        push(line, " ".repeat(n), style);
    }
}

/// Appends to a line, merging with the last run when the style matches.
fn push(line: &mut SLine, text: String, style: Style) {
    match line.last_mut() {
        Some((t, st)) if *st == style => t.push_str(&text),
        _ => line.push((text, style)),
    }
}

/// Places items of the given widths left to right with `gap` columns between, starting a new
/// line when one does not fit in `w`. Returns `(line, column)` per item and the line count.
pub(crate) fn flow(widths: &[usize], w: usize, gap: usize) -> (Vec<(u32, u16)>, u32) {
    let mut pos = Vec::with_capacity(widths.len());
    let (mut line, mut x) = (0u32, 0usize);
    for &iw in widths {
        if x > 0 && x + gap + iw > w {
            line += 1;
            x = 0;
        }
        let at = if x == 0 { 0 } else { x + gap };
        pos.push((line, at.min(u16::MAX as usize) as u16));
        x = at + iw;
    }
    let lines = if widths.is_empty() { 0 } else { line + 1 };
    (pos, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str, w: usize) -> Vec<String> {
        wrap(s, w)
    }

    #[test]
    fn wraps_words_and_breaks_long_ones() {
        assert_eq!(plain("hello big world", 9), ["hello big", "world"]);
        assert_eq!(plain("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(plain("", 4), [""]);
        assert_eq!(plain("  indented", 20), ["  indented"]);
    }

    #[test]
    fn wide_characters_break_anywhere_and_count_double() {
        assert_eq!(plain("订单号码", 5), ["订单", "号码"]);
        assert_eq!(fit("订单号码", 5), "订单…");
        assert_eq!(align("订单", 6, Some(&Align::Right)), "  订单");
        assert_eq!(width(&align("订单号码x", 5, None)), 5);
    }

    #[test]
    fn flow_wraps_items() {
        let (pos, lines) = flow(&[4, 4, 4], 9, 1);
        assert_eq!(pos, [(0, 0), (0, 5), (1, 0)]);
        assert_eq!(lines, 2);
    }
}
