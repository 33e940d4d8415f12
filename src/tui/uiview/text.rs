//! Text-like templates: `text`, `key_value`, `markdown`, `link`, `links`.

use ratatui::style::{Modifier, Style};

use super::canvas::{At, Ctx};
use super::controls::{self, Look};
use super::fit::{self, SLine, Span};
use super::path::{child, node_id};
use super::{Part, Target, TargetKind};
use crate::jsonui::{KeyValue, Link, Links, Markdown, Text, TextSize, TextType, ValueType};
use crate::text::{sanitize_line, sanitize_multiline};

/// Width of ` [copy]`.
const COPY_W: u16 = 7;

/// A heading line (bold, title colour); returns 1.
pub(crate) fn heading(cx: &mut Ctx, title: &str, at: At) -> u32 {
    let st = cx.theme.fg(cx.theme.title).add_modifier(Modifier::BOLD);
    cx.put(at.x, at.y, title, at.w, st);
    1
}

/// Lines for an optional heading.
pub(crate) fn opt_heading(cx: &mut Ctx, title: Option<&String>, at: At) -> u32 {
    title.map_or(0, |t| heading(cx, t, at))
}

/// Draws a `[copy]` button; returns its width. `value` labels it, so the status bar says
/// what would be copied.
#[allow(clippy::too_many_arguments)]
fn copy_button(
    cx: &mut Ctx,
    id: String,
    x: u16,
    y: u32,
    w: u16,
    path: &str,
    part: Part,
    value: &str,
) -> u16 {
    let focused = cx.is_focused(&id);
    let text = if focused { "»copy«" } else { "[copy]" };
    let st = controls::style(cx, Look::Ghost, focused);
    let w = cx.put(x, y, text, w, st);
    let label = format!("copy: {value}");
    let place = At { x, y, w };
    cx.target(Target::new(id, TargetKind::Copyable, place, 1, &label, path).part(part));
    w
}

/// Writes wrapped lines of `text` (multi-line allowed) in one style; returns
/// `(lines, width of the first line)`.
fn paragraph(cx: &mut Ctx, text: &str, at: At, style: Style) -> (u32, u16) {
    let mut y = at.y;
    let mut first_w = None;
    for para in sanitize_multiline(text).split('\n') {
        for line in fit::wrap(para, at.cols()) {
            let w = cx.put(at.x, y, &line, at.w, style);
            first_w.get_or_insert(w);
            y += 1;
        }
    }
    (y - at.y, first_w.unwrap_or(0))
}

/// `text`: wrapped, coloured by its type, bold when asked or large.
pub(crate) fn text(cx: &mut Ctx, t: &Text, path: &str, at: At) -> u32 {
    let th = cx.theme;
    let mut st = match &t.kind {
        TextType::Info => th.fg(th.info),
        TextType::Success => th.fg(th.success),
        TextType::Warning => th.fg(th.warning),
        TextType::Error => th.fg(th.error),
        _ => th.fg(th.fg),
    };
    if let Some(c) = &t.color {
        st = st.fg(th.named(c));
    }
    if t.bold || matches!(t.size, Some(TextSize::Lg | TextSize::Xl)) {
        st = st.add_modifier(Modifier::BOLD);
    }
    let copy_inline = t.copyable && at.w >= COPY_W + 4;
    let body = if copy_inline {
        At {
            w: at.w - COPY_W,
            ..at
        }
    } else {
        at
    };
    let (mut lines, first_w) = paragraph(cx, &t.text, body, st);
    if t.copyable {
        let id = child(path, "copy");
        if copy_inline {
            let x = at.x + first_w + 1;
            copy_button(cx, id, x, at.y, COPY_W - 1, path, Part::Copy(None), &t.text);
        } else {
            copy_button(
                cx,
                id,
                at.x,
                at.y + lines,
                at.w,
                path,
                Part::Copy(None),
                &t.text,
            );
            lines += 1;
        }
    }
    lines
}

/// `key_value`: labels in an aligned column (above their values when too narrow), values
/// formatted by type.
pub(crate) fn key_value(cx: &mut Ctx, kv: &KeyValue, path: &str, at: At) -> u32 {
    let mut y = at.y + opt_heading(cx, kv.title.as_ref(), at);
    let labels: Vec<String> = kv.items.iter().map(|i| sanitize_line(&i.label)).collect();
    let longest = labels.iter().map(|l| fit::width(l)).max().unwrap_or(0);
    let label_w = (longest as u16).min(24).min(at.w / 3).max(1);
    let stacked = at.w < label_w + 2 + 10;
    let val = if stacked {
        at.indent(2)
    } else {
        at.indent(label_w + 2)
    };
    for (i, (item, label)) in kv.items.iter().zip(&labels).enumerate() {
        cx.put(
            at.x,
            y,
            label,
            if stacked { at.w } else { label_w },
            cx.theme.muted(),
        );
        if stacked {
            y += 1;
        }
        let v = val.down(y - at.y);
        let copy_room = if item.copyable { COPY_W } else { 0 };
        let body = At {
            w: v.w.saturating_sub(copy_room).max(1),
            ..v
        };
        let (lines, used) = match &item.kind {
            Some(ValueType::Badge) => {
                let w = controls::pill(
                    cx,
                    body.x,
                    body.y,
                    body.w,
                    &item.value,
                    item.color.as_deref(),
                );
                (1, w)
            }
            Some(ValueType::Link) => {
                let id = child(path, &format!("link{i}"));
                let focused = cx.is_focused(&id);
                let w = link_text(cx, &item.value, body, focused);
                let label = item.link.as_deref().unwrap_or(&item.value);
                cx.target(
                    Target::new(id, TargetKind::Link, At { w, ..body }, 1, label, path)
                        .part(Part::Link(i)),
                );
                (1, w)
            }
            _ => {
                let mut st = cx.theme.fg(cx.theme.fg);
                if let Some(c) = &item.color {
                    st = st.fg(cx.theme.named(c));
                }
                paragraph(cx, &item.value, body, st)
            }
        };
        if item.copyable {
            let id = child(path, &format!("copy{i}"));
            let x = body.x + used + 1;
            copy_button(
                cx,
                id,
                x,
                body.y,
                COPY_W - 1,
                path,
                Part::Copy(Some(i)),
                &item.value,
            );
        }
        y += lines;
    }
    y - at.y
}

/// Link-styled text on one line; returns its width.
fn link_text(cx: &mut Ctx, text: &str, at: At, focused: bool) -> u16 {
    let mut st = cx
        .theme
        .fg(cx.theme.link)
        .add_modifier(Modifier::UNDERLINED);
    if focused {
        st = st.add_modifier(Modifier::REVERSED);
    }
    cx.put(at.x, at.y, text, at.w, st)
}

/// `link`: the caption (link-coloured), its URL (muted, when it fits), a description.
pub(crate) fn link(cx: &mut Ctx, l: &Link, path: &str, at: At) -> u32 {
    let id = node_id(path);
    let focused = cx.is_focused(&id);
    let w = link_text(cx, &l.text, at, focused);
    if l.url != l.text && w + 3 < at.w {
        cx.put(at.x + w + 2, at.y, &l.url, at.w - w - 2, cx.theme.muted());
    }
    cx.target(Target::new(
        id,
        TargetKind::Link,
        At { w, ..at },
        1,
        &l.url,
        path,
    ));
    let desc = match &l.description {
        Some(d) => paragraph(cx, d, at.down(1), cx.theme.muted()).0,
        None => 0,
    };
    1 + desc
}

/// `links`: a heading and one bulleted link per line.
pub(crate) fn links(cx: &mut Ctx, l: &Links, path: &str, at: At) -> u32 {
    let mut y = at.y + opt_heading(cx, l.title.as_ref(), at);
    for (i, item) in l.items.iter().enumerate() {
        cx.put(at.x, y, "•", 1, cx.theme.muted());
        let body = at.indent(2).down(y - at.y);
        let id = child(path, &format!("l{i}"));
        let focused = cx.is_focused(&id);
        let w = link_text(cx, &item.text, body, focused);
        if item.url != item.text && w + 3 < body.w {
            cx.put(
                body.x + w + 2,
                y,
                &item.url,
                body.w - w - 2,
                cx.theme.muted(),
            );
        }
        cx.target(
            Target::new(id, TargetKind::Link, At { w, ..body }, 1, &item.url, path)
                .part(Part::Link(i)),
        );
        y += 1;
    }
    y - at.y
}

/// Rough pixels per terminal line, to honour a `max_height` given in CSS pixels.
const PX_PER_LINE: u32 = 20;

/// `markdown`: headings, bullets, numbered items, quotes, rules, fenced code and inline
/// `**bold**`, `*italic*`, `` `code` ``, `[links](url)`; cut to `max_height` with a note.
pub(crate) fn markdown(cx: &mut Ctx, m: &Markdown, at: At) -> u32 {
    let lines = markdown_lines(cx, &sanitize_multiline(&m.content), at.cols());
    let max = m
        .max_height
        .as_deref()
        .and_then(|h| {
            let digits: String = h.trim().chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        })
        .map(|px| (px / PX_PER_LINE).max(2) as usize);
    let total = lines.len();
    let shown = match max {
        Some(max) if total > max => max - 1,
        _ => total,
    };
    for (i, line) in lines.iter().take(shown).enumerate() {
        let y = at.y + i as u32;
        if cx.shows(y) {
            cx.put_line(at.x, y, line, at.w);
        }
    }
    if shown < total {
        let note = format!("… {} more lines", total - shown);
        cx.put(at.x, at.y + shown as u32, &note, at.w, cx.theme.muted());
        return shown as u32 + 1;
    }
    total as u32
}

/// Wraps already-escaped markdown into styled lines of at most `w` columns.
fn markdown_lines(cx: &Ctx, src: &str, w: usize) -> Vec<SLine> {
    let th = cx.theme;
    let text = th.fg(th.fg);
    let code = th.fg(th.accent);
    let mut out = Vec::new();
    let mut in_code = false;
    for raw in src.split('\n') {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push(vec![(fit::fit(raw, w).into_owned(), code)]);
            continue;
        }
        let indent = raw.len() - trimmed.len();
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        let (prefix, body, base): (String, &str, Style) =
            if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
                let mut st = th.fg(th.title).add_modifier(Modifier::BOLD);
                if hashes == 1 {
                    st = st.add_modifier(Modifier::UNDERLINED);
                }
                (String::new(), trimmed[hashes..].trim(), st)
            } else if matches!(trimmed, "---" | "***" | "___") {
                out.push(vec![("─".repeat(w), th.border(false))]);
                continue;
            } else if let Some(rest) = ["- ", "* ", "+ "]
                .iter()
                .find_map(|b| trimmed.strip_prefix(b))
            {
                (format!("{}• ", " ".repeat(indent.min(8))), rest, text)
            } else if let Some(rest) = trimmed.strip_prefix("> ").or(trimmed.strip_prefix('>')) {
                let st = th.muted().add_modifier(Modifier::ITALIC);
                ("│ ".to_string(), rest, st)
            } else if let Some((num, rest)) = ordered(trimmed) {
                (format!("{}{num} ", " ".repeat(indent.min(8))), rest, text)
            } else {
                (String::new(), raw, text)
            };
        let pw = fit::width(&prefix);
        let spans = inline(body, base, cx);
        for (i, mut line) in fit::wrap_spans(&spans, w.saturating_sub(pw).max(1))
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 {
                prefix.clone()
            } else {
                " ".repeat(pw)
            };
            if !lead.is_empty() {
                let st = if prefix.starts_with('│') {
                    th.muted()
                } else {
                    text
                };
                line.insert(0, (lead, st));
            }
            out.push(line);
        }
    }
    out
}

/// `"12. rest"` → `("12.", "rest")`.
fn ordered(s: &str) -> Option<(&str, &str)> {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let rest = s[digits..].strip_prefix(". ")?;
    Some((&s[..digits + 1], rest))
}

/// Inline markdown to styled runs.
fn inline(s: &str, base: Style, cx: &Ctx) -> Vec<Span> {
    let th = cx.theme;
    let mut out: Vec<Span> = Vec::new();
    let (mut bold, mut italic) = (false, false);
    let mut cur = String::new();
    let style_now = |bold: bool, italic: bool| {
        let mut st = base;
        if bold {
            st = st.add_modifier(Modifier::BOLD);
        }
        if italic {
            st = st.add_modifier(Modifier::ITALIC);
        }
        st
    };
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let flush = |out: &mut Vec<Span>, cur: &mut String, st: Style| {
            if !cur.is_empty() {
                out.push((std::mem::take(cur), st));
            }
        };
        if let Some(r) = rest.strip_prefix("**") {
            flush(&mut out, &mut cur, style_now(bold, italic));
            bold = !bold;
            rest = r;
        } else if c == '*' && (italic || rest[1..].starts_with(|n: char| !n.is_whitespace())) {
            // A lone `*` before a space (`2 * 3`) is text, not emphasis.
            flush(&mut out, &mut cur, style_now(bold, italic));
            italic = !italic;
            rest = &rest[1..];
        } else if c == '`'
            && let Some(end) = rest[1..].find('`')
        {
            flush(&mut out, &mut cur, style_now(bold, italic));
            out.push((rest[1..1 + end].to_string(), th.fg(th.accent)));
            rest = &rest[end + 2..];
        } else if c == '['
            && let Some((label, after)) = rest[1..].split_once("](")
            && let Some(close) = after.find(')')
            && !label.contains(']')
        {
            flush(&mut out, &mut cur, style_now(bold, italic));
            let st = th.fg(th.link).add_modifier(Modifier::UNDERLINED);
            out.push((label.to_string(), st));
            rest = &after[close + 1..];
        } else {
            cur.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !cur.is_empty() {
        out.push((cur, style_now(bold, italic)));
    }
    out
}
