//! Making plugin-supplied text safe to show: no control character or escape sequence from a
//! plugin ever reaches a terminal, whether the UI draws it or `check` prints it.

/// True when `s` holds a character that a terminal could interpret (C0/C1 controls, DEL),
/// apart from plain newline and tab.
pub fn has_control_chars(s: &str) -> bool {
    s.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t')
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One-line form: every control character (newlines and tabs too) becomes a visible
/// escape such as `\x1b`, so a hostile string stays readable and inert.
pub fn sanitize_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_safe(&mut out, c, false);
    }
    out
}

/// Multi-line form: keeps `\n` (and turns tabs into spaces), escapes every other control.
pub fn sanitize_multiline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_safe(&mut out, c, true);
    }
    out
}

fn push_safe(out: &mut String, c: char, keep_newlines: bool) {
    match c {
        '\n' if keep_newlines => out.push('\n'),
        '\t' if keep_newlines => out.push_str("    "),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if is_unsafe(c) => {
            let n = c as u32;
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        }
        c => out.push(c),
    }
}

/// Makes serde_json output safe to print without changing its value: serde_json escapes C0
/// controls but leaves DEL, C1 and bidi controls raw, and those can only sit inside strings,
/// where a `\uXXXX` escape is the same character.
pub fn escape_json_controls(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_unsafe(c) && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Pasted text for a one-line field. A paste ending in a line break (a copied line) loses
/// it; other line breaks and tabs become a space each; every other control character is
/// dropped, so the field holds exactly what it shows.
pub fn paste_line(s: &str) -> String {
    let s = s.trim_end_matches(['\r', '\n']);
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' | '\t' => out.push(' '),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Pasted text for a multi-line field: `\r\n` and `\r` (what terminals send for a line
/// break) become `\n`, a tab becomes `tab`, every other control character is dropped.
pub fn paste_multiline(s: &str, tab: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push('\n'),
            '\t' => out.push_str(tab),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Cuts `s` to at most `max` terminal columns (wide CJK characters count two), marking the
/// cut with `…`.
pub fn truncate_width(s: &str, max: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if unicode_width::UnicodeWidthStr::width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Cuts or pads `s` to exactly `w` terminal columns.
pub fn fit_width(s: &str, w: usize) -> String {
    let mut out = truncate_width(s, w);
    let used = width(&out);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(used)));
    out
}

/// Breaks `s` into lines of at most `w` terminal columns: at spaces where it can, inside a
/// word only when the word alone is wider (a long path). For error text in a narrow pane,
/// where cutting would hide the part that matters.
pub fn wrap_width(s: &str, w: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let w = w.max(2);
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let ww = width(word);
        let needed = if line.is_empty() {
            ww
        } else {
            width(&line) + 1 + ww
        };
        if needed <= w {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        // The word alone: hard-break it if it is still too wide.
        let mut used = 0;
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > w {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    out.push(line);
    out
}

/// `HH:MM:SS.mmm` of a wall-clock time, in UTC: stable across machines, and what plugin logs
/// in UTC print.
pub fn clock(at: std::time::SystemTime) -> String {
    let d = at
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let s = d.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        d.subsec_millis()
    )
}

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `line 3, column 7: expected `,` or `}`` — position first, as editors print it.
pub fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.rsplit_once(" at line ") {
        Some((head, _)) => head.to_string(),
        None => msg,
    };
    if e.line() == 0 {
        msg
    } else {
        format!("line {}, column {}: {msg}", e.line(), e.column())
    }
}

/// `512 B`, `3.2 KB`, `75.0 MB` (binary units, as the inspector shows sizes).
pub fn bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_width_counts_columns_not_chars() {
        assert_eq!(wrap_width("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(
            wrap_width("unknown language x", 10),
            vec!["unknown", "language x"]
        );
        assert_eq!(wrap_width("订单订单", 5), vec!["订单", "订单"]);
        assert_eq!(wrap_width("", 4), vec![""]);
    }

    #[test]
    fn escapes_never_survive() {
        let hostile = "a\x1b[31mred\x07\u{9b}2J\u{202e}b";
        let safe = sanitize_line(hostile);
        assert_eq!(safe, "a\\x1b[31mred\\x07\\x9b2J\\u{202e}b");
        assert!(!has_control_chars(&safe));
        assert!(has_control_chars(hostile));
    }

    #[test]
    fn multiline_keeps_newlines_only() {
        assert_eq!(sanitize_multiline("a\nb\tc\r"), "a\nb    c\\r");
        assert_eq!(sanitize_line("a\nb"), "a\\nb");
        assert!(!has_control_chars("line\nnext\ttab"));
    }

    #[test]
    fn pastes_lose_their_controls_and_keep_their_lines_where_a_field_has_lines() {
        let pasted = "a\x1b[31mb\tc\r\nd\re\u{9b}\u{202e}f\r\n";
        assert_eq!(paste_line(pasted), "a[31mb c d ef");
        assert_eq!(paste_line("/path/to/plugin\n"), "/path/to/plugin");
        assert_eq!(paste_multiline(pasted, "  "), "a[31mb  c\nd\nef\n");
        assert!(!has_control_chars(&paste_line(pasted)));
        assert!(!has_control_chars(&paste_multiline(pasted, "\t")));
    }

    #[test]
    fn json_keeps_its_value_and_loses_its_controls() {
        let v = serde_json::json!({"s": "a\x1b[2J\u{7f}\u{9b}31m\u{202e}b\n"});
        let json = escape_json_controls(&serde_json::to_string_pretty(&v).unwrap());
        assert!(!has_control_chars(&json), "{json}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap(), v);
    }

    #[test]
    fn truncates_by_columns() {
        assert_eq!(truncate_width("订单号订单号", 7), "订单号…");
        assert_eq!(width(&truncate_width("订单号订单号", 7)), 7);
        assert_eq!(truncate_width("abc", 3), "abc");
        assert_eq!(fit_width("订单", 6), "订单  ");
        assert_eq!(fit_width("abcdef", 4), "abc…");
    }

    #[test]
    fn truncates_by_chars() {
        assert_eq!(truncate_chars("订单号订单号", 4), "订单号…");
        assert_eq!(truncate_chars("abc", 3), "abc");
    }
}
