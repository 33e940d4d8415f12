//! Styled text wrapped to a width, and a diagnostic as such lines: shared by the render pane's
//! diagnostics list, its failure message and the inspector's detail.

use super::theme::Theme;
use crate::jsonui::{Diagnostic, Severity};
use crate::text::sanitize_line;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Breaks styled text into lines of at most `width` columns, at spaces where it can (inside
/// a word only when the word alone is wider); lines after the first are indented by `indent`.
pub fn wrap_spans(spans: &[Span<'_>], width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(indent + 2);
    // Every char with its width and the span it comes from.
    let chars: Vec<(char, usize, usize)> = spans
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.content
                .chars()
                .map(move |c| (c, c.width().unwrap_or(0), i))
        })
        .collect();
    // Each line as a range of `chars`, breaking greedily at word starts.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut used, mut i) = (0, 0, 0);
    while i < chars.len() {
        let limit = if ranges.is_empty() {
            width
        } else {
            width - indent
        };
        // The word at `i`: its letters, then the spaces after it.
        let word_end = (i..chars.len())
            .find(|&j| chars[j].0 == ' ')
            .unwrap_or(chars.len());
        let word_w: usize = chars[i..word_end].iter().map(|c| c.1).sum();
        if used > 0 && used + word_w > limit {
            ranges.push((start, i));
            (start, used) = (i, 0);
            continue;
        }
        if used == 0 && word_w > limit {
            // A word wider than a line: as much of it as fits.
            let mut j = i;
            while j < word_end && used + chars[j].1 <= limit {
                used += chars[j].1;
                j += 1;
            }
            let j = j.max(i + 1);
            if j < word_end {
                ranges.push((start, j));
                (start, used, i) = (j, 0, j);
                continue;
            }
            i = j;
        } else {
            used += word_w;
            i = word_end;
        }
        while i < chars.len() && chars[i].0 == ' ' {
            used += chars[i].1;
            i += 1;
        }
    }
    ranges.push((start, chars.len()));
    ranges
        .into_iter()
        .enumerate()
        .map(|(n, (a, b))| {
            let mut end = b;
            while end > a && chars[end - 1].0 == ' ' {
                end -= 1;
            }
            let mut out: Vec<Span<'static>> = Vec::new();
            if n > 0 && indent > 0 {
                out.push(Span::raw(" ".repeat(indent)));
            }
            let mut k = a;
            while k < end {
                let span = chars[k].2;
                let run_end = (k..end).find(|&j| chars[j].2 != span).unwrap_or(end);
                let text: String = chars[k..run_end].iter().map(|c| c.0).collect();
                out.push(Span::styled(text, spans[span].style));
                k = run_end;
            }
            Line::from(out)
        })
        .collect()
}

/// One diagnostic as wrapped lines: mark, path, message.
pub fn diagnostic_lines(d: &Diagnostic, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let (mark, colour) = match d.severity {
        Severity::Error => ("✖ ", theme.error),
        Severity::Warning => ("⚠ ", theme.warning),
    };
    let spans = [
        Span::styled(mark, theme.fg(colour)),
        Span::styled(sanitize_line(&d.path), theme.fg(theme.accent)),
        Span::styled(format!(": {}", sanitize_line(&d.message)), theme.text()),
    ];
    wrap_spans(&spans, width, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn long_lines_wrap_at_spaces_with_a_hanging_indent() {
        let spans = [
            Span::raw("✖ "),
            Span::raw("$.data.items[0].data.columns[1].key"),
            Span::raw(": column \"reason_text\" is empty in every row; rows have \"reason\""),
        ];
        let lines = wrap_spans(&spans, 40, 2);
        assert_eq!(
            text(&lines),
            [
                "✖ $.data.items[0].data.columns[1].key:",
                "  column \"reason_text\" is empty in every",
                "  row; rows have \"reason\"",
            ]
        );
        assert!(lines.iter().all(|l| l.width() <= 40));
        // A word wider than the line is broken inside.
        let long = wrap_spans(&[Span::raw("x".repeat(25))], 10, 2);
        assert_eq!(text(&long), ["xxxxxxxxxx", "  xxxxxxxx", "  xxxxxxx"]);
        // Wide characters never straddle the edge.
        let cjk = wrap_spans(&[Span::raw("客户档案客户档案")], 7, 0);
        assert!(cjk.iter().all(|l| l.width() <= 7), "{:?}", text(&cjk));
    }
}
