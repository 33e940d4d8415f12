//! `form`: every field type, inline validation errors, submit and cancel buttons; plus
//! validation and the `form_data` a submit sends. Text fields are edited with a
//! `ratatui_textarea::TextArea`, but drawn here so the text goes through escaping like all
//! plugin text (a default value may hold escape sequences).

use ratatui::style::{Modifier, Style};
use serde_json::{Map, Number, Value};

use super::canvas::{At, Ctx};
use super::controls::{self, Look};
use super::fit;
use super::path::child;
use super::state::{Editing, FieldValue, UiState};
use super::text::opt_heading;
use super::{Items, Part, Target, TargetKind};
use crate::jsonui::{FieldType, Form, FormField};
use crate::text::sanitize_line;

/// Columns before field content: the focus marker and a space.
const GUTTER: u16 = 2;
/// Lines of a textarea when the plugin gives no `rows`.
const DEFAULT_ROWS: u64 = 3;

/// True for fields edited as text.
pub(crate) fn is_text(kind: &FieldType) -> bool {
    !matches!(
        kind,
        FieldType::Select
            | FieldType::Radio
            | FieldType::Checkbox
            | FieldType::Switch
            | FieldType::Hidden
    )
}

/// The caption of a field (its name when it has no label).
fn caption(f: &FormField) -> &str {
    f.label.as_deref().unwrap_or(&f.name)
}

/// Draws the form; returns its height.
pub(crate) fn form(cx: &mut Ctx, f: &Form, path: &str, at: At) -> u32 {
    let mut y = at.y + opt_heading(cx, f.title.as_ref(), at);
    let body = at.indent(GUTTER);
    for (i, field) in f.fields.iter().enumerate() {
        if field.kind == FieldType::Hidden {
            continue;
        }
        let id = child(path, &format!("f{i}"));
        let focused = cx.is_focused(&id);
        let editing = match &cx.state.editing {
            Some(e) if e.form == path && e.field == i => Some(e),
            _ => None,
        };
        let value = cx.state.field(path, f, i);
        let start = y;
        let mut items = Items::None;
        match field.kind {
            FieldType::Checkbox | FieldType::Switch => {
                let on = matches!(value, FieldValue::Bool(true));
                let mark = match (&field.kind, on) {
                    (FieldType::Switch, true) => "[on ]",
                    (FieldType::Switch, false) => "[off]",
                    (_, true) => "[x]",
                    (_, false) => "[ ]",
                };
                let st = if focused {
                    cx.theme.selected()
                } else {
                    cx.theme.fg(cx.theme.accent)
                };
                let w = cx.put(body.x, y, mark, body.w, st);
                label(cx, field, None, body.indent(w + 1).down(y - body.y));
                y += 1;
            }
            _ => {
                let hint = editing.map(|e| {
                    if e.multiline {
                        "(editing · Esc to finish)"
                    } else {
                        "(editing · Enter to finish)"
                    }
                });
                label(cx, field, hint, body.down(y - body.y));
                y += 1;
                let row = body.down(y - body.y);
                y += match field.kind {
                    FieldType::Select => select(cx, field, &value, row, focused),
                    FieldType::Radio => {
                        let (lines, spans) = radio(cx, field, &value, row, focused);
                        items = Items::Spans(spans);
                        lines
                    }
                    FieldType::Textarea => textarea(cx, field, &value, editing, row, focused),
                    _ => input(cx, field, &value, editing, row, focused),
                };
            }
        }
        if focused {
            cx.put(at.x, start, "›", 1, cx.theme.fg(cx.theme.accent));
        }
        let place = At { y: start, ..at };
        cx.target(
            Target::new(
                id,
                TargetKind::Field,
                place,
                y - start,
                caption(field),
                path,
            )
            .part(Part::Field(i))
            .items(items),
        );
        if let Some(err) = cx.state.error(path, f, i) {
            let st = cx.theme.fg(cx.theme.error);
            cx.put(body.x, y, &format!("! {err}"), body.w, st);
            y += 1;
        }
    }
    y + buttons(cx, f, path, body.down(y - body.y)) - at.y
}

/// `Label *` (required) and an optional muted hint.
fn label(cx: &mut Ctx, f: &FormField, hint: Option<&str>, at: At) {
    let st = cx.theme.fg(cx.theme.fg).add_modifier(Modifier::BOLD);
    let mut x = cx.put(at.x, at.y, caption(f), at.w, st);
    if f.required && x + 2 <= at.w {
        x += 1 + cx.put(at.x + x + 1, at.y, "*", 1, cx.theme.fg(cx.theme.error));
    }
    if let Some(hint) = hint
        && x + 2 < at.w
    {
        cx.put(at.x + x + 1, at.y, hint, at.w - x - 1, cx.theme.muted());
    }
}

/// A one-line input: `[value      ]`, or the live editor.
fn input(
    cx: &mut Ctx,
    f: &FormField,
    value: &FieldValue,
    editing: Option<&Editing>,
    at: At,
    focused: bool,
) -> u32 {
    let inner = At {
        x: at.x.saturating_add(1),
        w: at.w.saturating_sub(2),
        y: at.y,
    };
    if cx.shows(at.y) {
        let edge = cx.theme.border(focused || editing.is_some());
        cx.put(at.x, at.y, "[", 1, edge);
        cx.put(inner.x + inner.w, at.y, "]", 1, edge);
        match editing {
            Some(e) => editor(cx, e, inner, 1),
            None => {
                let text = match value {
                    FieldValue::Text(s) => s.split('\n').next().unwrap_or(""),
                    _ => "",
                };
                show_value(cx, f, text, inner, focused);
            }
        }
    }
    1
}

/// The field's text, or its placeholder when empty.
fn show_value(cx: &mut Ctx, f: &FormField, text: &str, at: At, focused: bool) {
    let base = if focused {
        cx.theme.selected()
    } else {
        cx.theme.fg(cx.theme.fg)
    };
    if focused {
        cx.paint(at.x, at.y, at.w, 1, base);
    }
    match (&f.placeholder, text.is_empty()) {
        (Some(p), true) => cx.put(at.x, at.y, p, at.w, base.patch(cx.theme.muted())),
        _ => cx.put(at.x, at.y, text, at.w, base),
    };
}

/// A bordered multi-line box: the value's first lines, or the live editor.
fn textarea(
    cx: &mut Ctx,
    f: &FormField,
    value: &FieldValue,
    editing: Option<&Editing>,
    at: At,
    focused: bool,
) -> u32 {
    let rows = f.rows.unwrap_or(DEFAULT_ROWS).clamp(1, 20) as u32;
    let edge = cx.theme.border(focused || editing.is_some());
    cx.frame(at, rows + 2, None, edge, false);
    let inner = At {
        x: at.x.saturating_add(1),
        y: at.y + 1,
        w: at.w.saturating_sub(2),
    };
    match editing {
        Some(e) => editor(cx, e, inner, rows),
        None => {
            let text = match value {
                FieldValue::Text(s) => s.as_str(),
                _ => "",
            };
            if text.is_empty() {
                show_value(cx, f, "", inner, false);
            }
            for (i, line) in text.split('\n').take(rows as usize).enumerate() {
                cx.put(
                    inner.x,
                    inner.y + i as u32,
                    line,
                    inner.w,
                    cx.theme.fg(cx.theme.fg),
                );
            }
        }
    }
    rows + 2
}

/// Draws a `TextArea`'s text (escaped) with its cursor, scrolled so the cursor shows.
fn editor(cx: &mut Ctx, e: &Editing, at: At, rows: u32) {
    if at.w == 0 {
        return;
    }
    let ratatui_textarea::DataCursor(crow, ccol) = e.area.cursor();
    let lines = e.area.lines();
    let first = crow.saturating_sub(rows as usize - 1);
    // Each char's escaped form, so a control char shows as `\x1b` and still moves as one.
    let pieces = |line: &str| -> Vec<(String, usize)> {
        line.chars()
            .map(|c| {
                let s = sanitize_line(c.encode_utf8(&mut [0; 4]));
                let w = fit::width(&s);
                (s, w)
            })
            .collect()
    };
    let room = usize::from(at.w) - 1; // a cell for the cursor at the end
    let cursor_pieces = pieces(&lines[crow]);
    let ccol = ccol.min(cursor_pieces.len());
    // Leftmost char shown: the cursor must fit.
    let mut skip = ccol;
    let mut used = 0;
    while skip > 0 && used + cursor_pieces[skip - 1].1 <= room {
        skip -= 1;
        used += cursor_pieces[skip].1;
    }
    let text_st = cx.theme.fg(cx.theme.fg);
    let cursor_st = Style::new().add_modifier(Modifier::REVERSED);
    for (r, line) in lines.iter().enumerate().skip(first).take(rows as usize) {
        let y = at.y + (r - first) as u32;
        let shown: String = pieces(line)
            .into_iter()
            .skip(skip)
            .map(|(s, _)| s)
            .collect();
        cx.put(at.x, y, &shown, at.w, text_st);
        if r == crow {
            let x = at.x + used as u16;
            let under = cursor_pieces.get(ccol).map_or(" ", |(s, _)| s.as_str());
            let under = under.chars().next().map_or(" ".to_string(), String::from);
            cx.put(x, y, &under, 1, cursor_st);
        }
    }
}

/// `‹ label ›`.
fn select(cx: &mut Ctx, f: &FormField, value: &FieldValue, at: At, focused: bool) -> u32 {
    let chosen = match value {
        FieldValue::Choice(Some(i)) => f.options.get(*i).map(|o| o.label.as_str()),
        _ => None,
    };
    let st = if focused {
        cx.theme.selected()
    } else {
        cx.theme.fg(cx.theme.fg)
    };
    let text = match chosen {
        Some(label) => format!("‹ {} ›", sanitize_line(label)),
        None => format!(
            "‹ {} ›",
            sanitize_line(f.placeholder.as_deref().unwrap_or("choose"))
        ),
    };
    cx.put(at.x, at.y, &text, at.w, st);
    1
}

/// `(•) a  ( ) b`, wrapping; returns its lines and each option's span.
fn radio(
    cx: &mut Ctx,
    f: &FormField,
    value: &FieldValue,
    at: At,
    focused: bool,
) -> (u32, Vec<(u32, u16, u16)>) {
    let chosen = match value {
        FieldValue::Choice(c) => *c,
        _ => None,
    };
    let texts: Vec<String> = f
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mark = if chosen == Some(i) { "(•)" } else { "( )" };
            let text = format!("{mark} {}", sanitize_line(&o.label));
            fit::fit(&text, at.cols()).into_owned()
        })
        .collect();
    let widths: Vec<usize> = texts.iter().map(|t| fit::width(t)).collect();
    let (pos, lines) = fit::flow(&widths, at.cols(), 2);
    let mut spans = Vec::with_capacity(texts.len());
    for (i, (text, &(line, x))) in texts.iter().zip(&pos).enumerate() {
        let st = match (chosen == Some(i), focused) {
            (true, true) => cx.theme.selected(),
            (true, false) => cx.theme.fg(cx.theme.accent),
            _ => cx.theme.fg(cx.theme.fg),
        };
        let w = cx.put(at.x + x, at.y + line, text, at.w.saturating_sub(x), st);
        spans.push((at.y + line, at.x + x, w));
    }
    if f.options.is_empty() {
        cx.put(at.x, at.y, "(no options)", at.w, cx.theme.muted());
        return (1, spans);
    }
    (lines, spans)
}

/// Submit and (when the form has `cancel_text`) Cancel on one line.
fn buttons(cx: &mut Ctx, f: &Form, path: &str, at: At) -> u32 {
    let submit = f.submit_text.as_deref().unwrap_or("Submit");
    let id = child(path, "submit");
    let focused = cx.is_focused(&id);
    let w = controls::draw(cx, at.x, at.y, at.w, submit, Look::Primary, focused, false);
    cx.target(
        Target::new(id, TargetKind::Submit, At { w, ..at }, 1, submit, path).part(Part::Submit),
    );
    if let Some(cancel) = &f.cancel_text {
        let id = child(path, "cancel");
        let focused = cx.is_focused(&id);
        let room = at.w.saturating_sub(w + 2);
        let (x, y, room) = if room >= 5 {
            (at.x + w + 2, at.y, room)
        } else {
            (at.x, at.y + 1, at.w)
        };
        let cw = controls::draw(cx, x, y, room, cancel, Look::Secondary, focused, false);
        cx.target(
            Target::new(id, TargetKind::Button, At { x, y, w: cw }, 1, cancel, path)
                .part(Part::Cancel),
        );
        return y - at.y + 1;
    }
    1
}

/// Validates the form's current values; on success returns `form_data`, else stores an error
/// per bad field and returns the first bad field's index.
pub(crate) fn submit(
    state: &mut UiState,
    f: &Form,
    path: &str,
) -> Result<Map<String, Value>, usize> {
    let st = state.form_mut(path, f);
    let mut data = Map::new();
    let mut first_bad = None;
    for (i, field) in f.fields.iter().enumerate() {
        let (value, err) = field_data(field, &st.values[i]);
        st.errors[i] = err;
        if st.errors[i].is_some() {
            first_bad.get_or_insert(i);
        }
        // First field wins on a duplicate name, as the parser already reported.
        data.entry(field.name.clone()).or_insert(value);
    }
    match first_bad {
        Some(i) => Err(i),
        None => Ok(data),
    }
}

/// A field's submitted value and its validation error.
fn field_data(f: &FormField, v: &FieldValue) -> (Value, Option<String>) {
    let missing = Some("required".to_string());
    match v {
        FieldValue::Raw(raw) => (raw.clone(), None),
        FieldValue::Bool(b) => {
            let err = if f.required && !b && f.kind == FieldType::Checkbox {
                missing
            } else {
                None
            };
            (Value::Bool(*b), err)
        }
        FieldValue::Choice(c) => {
            let value = c.and_then(|i| f.options.get(i)).map(|o| o.value.clone());
            let err = if f.required && value.is_none() {
                missing
            } else {
                None
            };
            (Value::String(value.unwrap_or_default()), err)
        }
        FieldValue::Text(s) => {
            let blank = s.trim().is_empty();
            if f.kind == FieldType::Number {
                if blank {
                    return (Value::Null, if f.required { missing } else { None });
                }
                return match parse_number(s.trim()) {
                    Some(n) => (Value::Number(n), None),
                    None => (Value::String(s.clone()), Some("not a number".to_string())),
                };
            }
            let err = if f.required && blank { missing } else { None };
            (Value::String(s.clone()), err)
        }
    }
}

/// An integer when it is one, else a finite float.
fn parse_number(s: &str) -> Option<Number> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(Number::from(i));
    }
    s.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Cycles a select/radio field's choice by `step` (wrapping).
pub(crate) fn cycle(state: &mut UiState, f: &Form, path: &str, i: usize, step: isize) {
    let n = f.fields[i].options.len();
    if n == 0 {
        return;
    }
    let st = state.form_mut(path, f);
    let next = match st.values[i] {
        FieldValue::Choice(Some(c)) => (c as isize + step).rem_euclid(n as isize) as usize,
        _ if step < 0 => n - 1,
        _ => 0,
    };
    st.values[i] = FieldValue::Choice(Some(next));
    st.errors[i] = None;
}

/// Sets a select/radio field's choice.
pub(crate) fn choose(state: &mut UiState, f: &Form, path: &str, i: usize, option: usize) {
    let st = state.form_mut(path, f);
    st.values[i] = FieldValue::Choice(Some(option));
    st.errors[i] = None;
}

/// Flips a checkbox/switch.
pub(crate) fn toggle(state: &mut UiState, f: &Form, path: &str, i: usize) {
    let st = state.form_mut(path, f);
    if let FieldValue::Bool(b) = st.values[i] {
        st.values[i] = FieldValue::Bool(!b);
        st.errors[i] = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_as_integers_then_floats() {
        assert_eq!(parse_number("42"), Some(Number::from(42)));
        assert_eq!(parse_number("-1.5"), Number::from_f64(-1.5));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("12abc"), None);
    }
}
