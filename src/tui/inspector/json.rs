//! Pretty-printing a frame's payload for the detail pane and for copying.
//!
//! A small re-indenting walk over the wire text rather than `serde_json::Value`: a `Value`
//! would sort object keys and re-spell numbers, and the inspector must show what was actually
//! sent. The walk builds at most `max_lines` lines and only counts the rest, so a huge payload
//! costs one pass and bounded memory.

use crate::text::{json_error, sanitize_line, sanitize_multiline, truncate_chars};
use crate::tui::theme::Theme;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Longest single token drawn; longer strings end in `…` (`y` copies the full text).
const MAX_TOKEN_CHARS: usize = 4096;
const INDENT: &str = "  ";
/// Deepest indentation written out. Deeper lines keep this indent and say their depth: a
/// 300 000-deep answer indented in full is quadratic (its first 20 000 lines alone would hold
/// 300 MB of spaces), and nothing past the pane's width is seen anyway.
const MAX_INDENT_LEVELS: usize = 32;

/// The indentation of a line at `depth`, bounded by [`MAX_INDENT_LEVELS`].
fn indent(depth: usize) -> String {
    if depth <= MAX_INDENT_LEVELS {
        INDENT.repeat(depth)
    } else {
        format!("{}{depth}» ", INDENT.repeat(MAX_INDENT_LEVELS))
    }
}

/// What a piece of a detail line is, so the cache stays theme-free and colours are applied
/// only to the lines on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Key,
    Str,
    Num,
    Bool,
    Null,
    Punct,
    Plain,
    Muted,
    Error,
}

impl Tok {
    pub(crate) fn style(self, theme: &Theme) -> Style {
        match self {
            Tok::Key => theme.fg(theme.json_key),
            Tok::Str => theme.fg(theme.json_string),
            Tok::Num => theme.fg(theme.json_number),
            Tok::Bool => theme.fg(theme.json_bool),
            Tok::Null => theme.fg(theme.json_null),
            Tok::Punct => theme.fg(theme.json_punct),
            Tok::Plain => theme.fg(theme.fg),
            Tok::Muted => theme.muted(),
            Tok::Error => theme.fg(theme.error),
        }
    }
}

/// A payload laid out as lines of (kind, sanitised text).
#[derive(Clone, Debug, Default)]
pub(crate) struct Doc {
    pub lines: Vec<Vec<(Tok, String)>>,
}

impl Doc {
    pub(crate) fn styled_line(&self, i: usize, theme: &Theme) -> Line<'static> {
        self.lines
            .get(i)
            .map(|parts| {
                Line::from(
                    parts
                        .iter()
                        .map(|(t, s)| Span::styled(s.clone(), t.style(theme)))
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap_or_default()
    }

    /// Plain multi-line text (already sanitised), e.g. an event's text.
    pub(crate) fn text(text: &str, tok: Tok, max_lines: usize) -> Doc {
        let clean = sanitize_multiline(text);
        let mut doc = Doc::default();
        let total = clean.lines().count();
        for l in clean.lines().take(cut_at(total, max_lines)) {
            doc.lines
                .push(vec![(tok, truncate_chars(l, MAX_TOKEN_CHARS))]);
        }
        doc.more(total, max_lines);
        doc
    }

    fn more(&mut self, total: usize, max_lines: usize) {
        if total > max_lines {
            let shown = cut_at(total, max_lines);
            self.lines.push(vec![(
                Tok::Muted,
                format!("… {} more lines", total - shown),
            )]);
        }
    }
}

/// How many content lines to keep so that content plus the "… N more" line fit `max_lines`.
fn cut_at(total: usize, max_lines: usize) -> usize {
    if total > max_lines {
        max_lines.saturating_sub(1)
    } else {
        total
    }
}

/// Receives the pretty form token by token.
trait Sink {
    fn token(&mut self, tok: Tok, text: &str);
    fn newline(&mut self, depth: usize);
}

/// Re-indents valid JSON text. Must only be called on text serde_json accepted, though it
/// never panics on anything else.
fn walk(text: &str, sink: &mut impl Sink) {
    let b = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        i
    };
    let mut depth = 0usize;
    let mut i = 0;
    loop {
        i = skip_ws(i);
        if i >= b.len() {
            break;
        }
        match b[i] {
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { "}" } else { "]" };
                let j = skip_ws(i + 1);
                if j < b.len() && b[j] == close.as_bytes()[0] {
                    sink.token(Tok::Punct, if open == b'{' { "{}" } else { "[]" });
                    i = j + 1;
                } else {
                    sink.token(Tok::Punct, &text[i..i + 1]);
                    depth += 1;
                    sink.newline(depth);
                    i += 1;
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                sink.newline(depth);
                sink.token(Tok::Punct, &text[i..i + 1]);
                i += 1;
            }
            b',' => {
                sink.token(Tok::Punct, ",");
                sink.newline(depth);
                i += 1;
            }
            b':' => {
                sink.token(Tok::Punct, ": ");
                i += 1;
            }
            b'"' => {
                let mut k = i + 1;
                while k < b.len() && b[k] != b'"' {
                    k += if b[k] == b'\\' { 2 } else { 1 };
                }
                let end = (k + 1).min(b.len());
                let j = skip_ws(end);
                let tok = if j < b.len() && b[j] == b':' {
                    Tok::Key
                } else {
                    Tok::Str
                };
                sink.token(tok, text.get(i..end).unwrap_or(""));
                i = end;
            }
            first => {
                let mut k = i;
                while k < b.len()
                    && !matches!(b[k], b',' | b':' | b']' | b'}' | b'{' | b'[')
                    && !b[k].is_ascii_whitespace()
                {
                    k += 1;
                }
                let k = k.max(i + 1).min(b.len());
                let tok = match first {
                    b't' | b'f' => Tok::Bool,
                    b'n' => Tok::Null,
                    _ => Tok::Num,
                };
                sink.token(tok, text.get(i..k).unwrap_or(""));
                i = k;
            }
        }
    }
}

/// Builds at most `max` lines, counts all of them.
struct LineSink {
    max: usize,
    doc: Doc,
    current: Vec<(Tok, String)>,
    total: usize,
}

impl Sink for LineSink {
    fn token(&mut self, tok: Tok, text: &str) {
        if self.total < self.max {
            self.current
                .push((tok, sanitize_line(&truncate_chars(text, MAX_TOKEN_CHARS))));
        }
    }
    fn newline(&mut self, depth: usize) {
        if self.total < self.max {
            self.doc.lines.push(std::mem::take(&mut self.current));
            self.current.push((Tok::Plain, indent(depth)));
        }
        self.total += 1;
    }
}

struct TextSink(String);

impl Sink for TextSink {
    fn token(&mut self, _tok: Tok, text: &str) {
        self.0.push_str(text);
    }
    fn newline(&mut self, depth: usize) {
        // Bounded like the screen's, but with no depth marker: the copy stays valid JSON.
        self.0.push('\n');
        for _ in 0..depth.min(MAX_INDENT_LEVELS) {
            self.0.push_str(INDENT);
        }
    }
}

/// Pretty JSON document of `raw`, or its escaped text under an error line when it is not JSON.
pub(crate) fn doc(raw: &[u8], max_lines: usize) -> Doc {
    let max_lines = max_lines.max(1);
    if raw.is_empty() {
        return Doc::default();
    }
    let problem = match std::str::from_utf8(raw) {
        Ok(text) => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => {
                // Lines are pushed on newline; the last line is closed here. `max - 1` keeps
                // room for the "… N more lines" marker.
                let mut sink = LineSink {
                    max: max_lines,
                    doc: Doc::default(),
                    current: Vec::new(),
                    total: 0,
                };
                walk(text, &mut sink);
                let total = sink.total + 1;
                if sink.total < sink.max {
                    sink.doc.lines.push(sink.current);
                }
                let mut doc = sink.doc;
                if total > max_lines {
                    doc.lines.truncate(cut_at(total, max_lines));
                    doc.more(total, max_lines);
                }
                return doc;
            }
            Err(e) => format!("not valid JSON: {}", json_error(&e)),
        },
        Err(e) => format!("not valid UTF-8 (byte {})", e.valid_up_to()),
    };
    let mut doc = Doc::default();
    doc.lines.push(vec![(Tok::Error, sanitize_line(&problem))]);
    let body = Doc::text(
        &escape_bytes(raw),
        Tok::Plain,
        max_lines.saturating_sub(1).max(1),
    );
    doc.lines.extend(body.lines);
    doc
}

/// The payload as text, invalid UTF-8 bytes written as `\xNN`.
fn escape_bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// Pretty, syntax-coloured, sanitised lines of a payload. Invalid JSON or UTF-8 is shown as
/// escaped text under an error line; output longer than `max_lines` ends in "… N more lines".
pub fn json_lines(raw: &[u8], theme: &Theme, max_lines: usize) -> Vec<Line<'static>> {
    let doc = doc(raw, max_lines);
    (0..doc.lines.len())
        .map(|i| doc.styled_line(i, theme))
        .collect()
}

/// The payload re-indented for copying: valid JSON keeps its key order and spelling; anything
/// else is returned as sanitised text.
pub fn pretty_text(raw: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(raw)
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    {
        let mut sink = TextSink(String::with_capacity(raw.len() * 2));
        walk(text, &mut sink);
        return sink.0;
    }
    sanitize_multiline(&escape_bytes(raw))
}

/// Bytes per line of the frame view: 8 fit the inspector's detail pane at 120 columns.
const HEX_ROW: usize = 8;

/// The frame view: the 4-byte length prefix (what it announced against what came), then the
/// payload as offset, hex and ASCII. A frame as the host read it has exactly the announced
/// length; a broken frame's event carries its prefix and first bytes (see `FrameError`).
pub(crate) fn hex_doc(e: &crate::host::LogEntry, max_lines: usize) -> Doc {
    use crate::host::EntryKind;
    let mut doc = Doc::default();
    let broken = matches!(e.kind, EntryKind::Event { .. });
    if e.raw.is_empty() {
        doc.lines.push(vec![(
            Tok::Muted,
            "no frame bytes: this entry is not a frame (x: back to JSON)".into(),
        )]);
        return doc;
    }
    let (prefix, payload): (Vec<u8>, &[u8]) = if broken {
        let cut = e.raw.len().min(4);
        (e.raw[..cut].to_vec(), &e.raw[cut..])
    } else {
        let len = u32::try_from(e.raw.len()).unwrap_or(u32::MAX);
        (len.to_be_bytes().to_vec(), &e.raw[..])
    };
    let hex = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let colour = if broken { Tok::Error } else { Tok::Muted };
    if prefix.len() == 4 {
        let announced = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        doc.lines.push(vec![(
            colour,
            format!(
                "length prefix {} = {announced} bytes announced",
                hex(&prefix)
            ),
        )]);
        let came = if broken {
            format!("{} payload bytes kept of a broken frame", payload.len())
        } else {
            format!("{} payload bytes received", payload.len())
        };
        doc.lines.push(vec![(colour, came)]);
    } else {
        doc.lines.push(vec![(
            colour,
            format!(
                "length prefix cut: {} of its 4 bytes came ({})",
                prefix.len(),
                hex(&prefix)
            ),
        )]);
    }
    doc.lines.push(vec![
        (Tok::Muted, "00000000  ".into()),
        (Tok::Key, format!("{:<23}", hex(&prefix))),
        (Tok::Muted, " length prefix".into()),
    ]);
    let rows = payload.len().div_ceil(HEX_ROW);
    let shown = cut_at(rows, max_lines.saturating_sub(3));
    for (i, chunk) in payload.chunks(HEX_ROW).take(shown).enumerate() {
        let ascii: String = chunk
            .iter()
            .map(|&c| {
                if (0x20..0x7f).contains(&c) {
                    c as char
                } else {
                    '.'
                }
            })
            .collect();
        doc.lines.push(vec![
            (Tok::Muted, format!("{:08x}  ", 4 + i * HEX_ROW)),
            (Tok::Plain, format!("{:<23}", hex(chunk))),
            (Tok::Muted, format!(" |{ascii}|")),
        ]);
    }
    if shown < rows {
        doc.lines.push(vec![(
            Tok::Muted,
            format!("… {} more bytes", payload.len() - shown * HEX_ROW),
        )]);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn keeps_key_order_and_number_spelling() {
        let raw = br#"{"z":1.50,"a":[true,null,"x"],"e":{},"f":[]}"#;
        assert_eq!(
            pretty_text(raw),
            "{\n  \"z\": 1.50,\n  \"a\": [\n    true,\n    null,\n    \"x\"\n  ],\n  \"e\": {},\n  \"f\": []\n}"
        );
        let lines = plain(&json_lines(raw, &Theme::default(), 100));
        assert_eq!(lines.len(), 10);
        assert_eq!(lines[1], "  \"z\": 1.50,");
    }

    #[test]
    fn cuts_long_payloads_with_a_count() {
        let raw = serde_json::to_vec(&(0..100).collect::<Vec<_>>()).unwrap();
        let lines = plain(&json_lines(&raw, &Theme::default(), 10));
        assert_eq!(lines.len(), 10);
        assert_eq!(lines[9], "… 93 more lines");
    }

    #[test]
    fn a_very_deep_payload_costs_memory_in_its_size_not_its_depth_squared() {
        // The 3.8 MB answer nested 300 000 deep of `rogue.py deep`.
        let n = 100_000;
        let mut raw = br#"{"jsonrpc":"2.0","id":1,"result":"#.to_vec();
        raw.extend(br#"{"template":"group","data":{"items":["#.repeat(n));
        raw.extend_from_slice(br#"{"template":"text","data":{"text":"bottom"}}"#);
        raw.extend(b"]}}".repeat(n));
        raw.push(b'}');
        let d = doc(&raw, 20_000);
        assert_eq!(d.lines.len(), 20_000);
        let held: usize = d.lines.iter().flatten().map(|(_, s)| s.len()).sum();
        assert!(held < 4 << 20, "{held} bytes of lines");
        let deep = d.lines[19_000]
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<String>();
        assert!(deep.starts_with(&"  ".repeat(32)), "{deep}");
        assert!(deep.contains("» "), "the depth is said: {deep}");
        let copied = pretty_text(&raw);
        assert!(
            copied.len() < raw.len() * 40,
            "{} bytes copied",
            copied.len()
        );
        // The same tokens, only whitespace added.
        assert_eq!(
            copied.replace(char::is_whitespace, ""),
            String::from_utf8(raw).unwrap()
        );
    }

    #[test]
    fn invalid_input_is_escaped_not_interpreted() {
        let lines = plain(&json_lines(b"{\"a\":\x1b[2J", &Theme::default(), 10));
        assert!(
            lines[0].starts_with("not valid JSON: line 1, column 6"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "{\"a\":\\x1b[2J");
        let lines = plain(&json_lines(b"ok\xff\xfe", &Theme::default(), 10));
        assert_eq!(lines[0], "not valid UTF-8 (byte 2)");
        assert_eq!(lines[1], "ok\\xff\\xfe");
        // Escapes inside valid JSON strings stay escaped; bidi overrides are made visible.
        let lines = plain(&json_lines(
            "[\"\\u001b\u{202e}\"]".as_bytes(),
            &Theme::default(),
            10,
        ));
        assert_eq!(lines[1], "  \"\\u001b\\u{202e}\"");
    }
}
