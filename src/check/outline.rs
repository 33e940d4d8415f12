//! A plain-text outline of a JSON-UI or JSON-ACTION, for reports: enough to see at a glance
//! what a plugin returned (tables as aligned text, buttons, actions with their targets).
//! Lines hold plugin text as sent; the printer sanitises them.

use crate::jsonui::{Action, Node};
use crate::text::truncate_chars;

/// Rows shown per table before "… N more".
const MAX_ROWS: usize = 8;
/// Widest a table cell is printed.
const MAX_CELL: usize = 24;

fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if c as u32 >= 0x1100 && is_wide(c) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// East Asian wide characters take two columns; enough of a check for aligned tables.
fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

fn pad(s: &str, to: usize) -> String {
    format!("{s}{}", " ".repeat(to.saturating_sub(width(s))))
}

fn titled(name: &str, title: Option<&str>) -> String {
    match title {
        Some(t) if !t.is_empty() => format!("{name} \"{t}\""),
        _ => name.to_string(),
    }
}

/// Outline of a JSON-UI tree, one entry per line, indented by nesting.
pub fn ui_outline(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    walk(node, 0, &mut out);
    out
}

fn walk(node: &Node, depth: usize, out: &mut Vec<String>) {
    let ind = "  ".repeat(depth);
    let mut line = |s: String| out.push(format!("{ind}{s}"));
    match node {
        Node::Text(t) => line(format!(
            "text [{}] {}",
            t.kind.as_str(),
            truncate_chars(&t.text, 80)
        )),
        Node::KeyValue(kv) => {
            line(titled("key_value", kv.title.as_deref()));
            for item in &kv.items {
                line(format!(
                    "  {}: {}",
                    item.label,
                    truncate_chars(&item.value, 60)
                ));
            }
        }
        Node::Table(t) => {
            line(format!(
                "{} ({} columns, {} rows)",
                titled("table", t.title.as_deref()),
                t.columns.len(),
                t.rows.len()
            ));
            let header: Vec<String> = t
                .columns
                .iter()
                .map(|c| truncate_chars(&c.label, MAX_CELL))
                .collect();
            let rows: Vec<Vec<String>> = t
                .rows
                .iter()
                .take(MAX_ROWS)
                .map(|r| {
                    r.cells
                        .iter()
                        .map(|c| truncate_chars(&c.text, MAX_CELL))
                        .collect()
                })
                .collect();
            let widths: Vec<usize> = (0..header.len())
                .map(|i| {
                    rows.iter()
                        .filter_map(|r| r.get(i))
                        .map(|s| width(s))
                        .chain([width(&header[i])])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let fmt_row = |cells: &[String]| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| pad(c, *w))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            line(format!("  {}", fmt_row(&header)));
            for r in &rows {
                line(format!("  {}", fmt_row(r)));
            }
            if t.rows.len() > MAX_ROWS {
                line(format!("  … {} more rows", t.rows.len() - MAX_ROWS));
            }
        }
        Node::Button(b) => line(format!(
            "button [{}] \"{}\" → {}{}",
            b.kind.as_ref().map_or("primary", |k| k.as_str()),
            b.label,
            b.action_id,
            if b.disabled { " (disabled)" } else { "" }
        )),
        Node::Action(bar) => {
            line("action".into());
            for b in &bar.buttons {
                line(format!(
                    "  button [{}] \"{}\" → {}{}",
                    b.kind.as_ref().map_or("default", |k| k.as_str()),
                    b.label,
                    b.id,
                    b.confirm
                        .as_ref()
                        .map(|c| format!(" (confirm: {c})"))
                        .unwrap_or_default()
                ));
            }
        }
        Node::Group(g) => {
            line(format!("group ({})", g.layout.as_str()));
            for item in &g.items {
                walk(item, depth + 1, out);
            }
        }
        Node::Tabs(t) => {
            line(format!("tabs ({} tabs)", t.items.len()));
            for tab in &t.items {
                out.push(format!("{ind}  tab \"{}\"", tab.label));
                walk(&tab.content, depth + 2, out);
            }
        }
        Node::Form(f) => {
            line(format!(
                "{} ({} fields) → {}",
                titled("form", f.title.as_deref()),
                f.fields.len(),
                f.action_id.as_deref().unwrap_or("submit")
            ));
            for field in &f.fields {
                line(format!(
                    "  {} [{}]{}",
                    field.label.as_deref().unwrap_or(&field.name),
                    field.kind.as_str(),
                    if field.required { " *" } else { "" }
                ));
            }
        }
        Node::Card(c) => line(format!(
            "{} ({} fields, {} actions)",
            titled("card", c.title.as_deref()),
            c.fields.len(),
            c.actions.len()
        )),
        Node::Cards(c) => line(format!(
            "{} ({} items)",
            titled("cards", c.title.as_deref()),
            c.items.len()
        )),
        Node::Link(l) => line(format!("link \"{}\" → {}", l.text, l.url)),
        Node::Links(l) => {
            line(titled("links", l.title.as_deref()));
            for item in &l.items {
                line(format!("  \"{}\" → {}", item.text, item.url));
            }
        }
        Node::Markdown(m) => line(format!("markdown ({} lines)", m.content.lines().count())),
        Node::List(l) => line(format!(
            "{} ({} items)",
            titled("list", l.title.as_deref()),
            l.items.len()
        )),
        Node::Timeline(t) => line(format!(
            "{} ({} items)",
            titled("timeline", t.title.as_deref()),
            t.items.len()
        )),
        Node::Stats(s) => line(format!(
            "stats: {}",
            s.items
                .iter()
                .map(|i| format!("{} {}", i.label, i.value))
                .collect::<Vec<_>>()
                .join(" · ")
        )),
        Node::Empty(e) => line(format!("empty \"{}\"", e.title)),
        Node::Loading(l) => line(format!("loading {}", l.text.as_deref().unwrap_or(""))),
        Node::Unknown { name, raw } => line(format!(
            "unknown template \"{name}\": {}",
            truncate_chars(&raw.to_string(), 80)
        )),
        Node::Invalid { raw } => line(format!(
            "not JSON-UI: {}",
            truncate_chars(&raw.to_string(), 80)
        )),
    }
}

/// One line per action (batch members indented).
pub fn action_outline(action: &Action) -> Vec<String> {
    let mut out = Vec::new();
    action_walk(action, 0, &mut out);
    out
}

fn action_walk(action: &Action, depth: usize, out: &mut Vec<String>) {
    let ind = "  ".repeat(depth);
    let text = match action {
        Action::OpenUrl { url, target } => {
            format!(
                "open_url {url} ({})",
                target.as_ref().map_or("_blank", |t| t.as_str())
            )
        }
        Action::InsertText { text, replace } => {
            format!(
                "insert_text \"{}\"{}",
                truncate_chars(text, 60),
                if *replace { " (replace)" } else { "" }
            )
        }
        Action::SendMessage {
            content,
            content_type,
        } => {
            format!(
                "send_message [{}] \"{}\"",
                content_type.as_str(),
                truncate_chars(content, 60)
            )
        }
        Action::ShowToast {
            message,
            kind,
            duration_ms,
        } => format!(
            "show_toast [{}] \"{}\"{}",
            kind.as_str(),
            truncate_chars(message, 60),
            duration_ms
                .map(|d| format!(" for {d} ms"))
                .unwrap_or_default()
        ),
        Action::CopyText { text } => format!("copy_text \"{}\"", truncate_chars(text, 60)),
        Action::Refresh => "refresh".into(),
        Action::CloseModal => "close_modal".into(),
        Action::ShowModal { title, content } => {
            out.push(format!(
                "{ind}show_modal \"{}\"",
                title.as_deref().unwrap_or("")
            ));
            for l in ui_outline(content) {
                out.push(format!("{ind}  {l}"));
            }
            return;
        }
        Action::Batch(actions) => {
            out.push(format!("{ind}batch ({} actions)", actions.len()));
            for a in actions {
                action_walk(a, depth + 1, out);
            }
            return;
        }
        Action::Noop => "noop".into(),
        Action::Unknown { name, .. } => format!("unknown action \"{name}\""),
        Action::Invalid { raw } => {
            format!("not JSON-ACTION: {}", truncate_chars(&raw.to_string(), 80))
        }
    };
    out.push(format!("{ind}{text}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonui::{parse_action, parse_ui};
    use serde_json::json;

    #[test]
    fn table_outline_is_aligned() {
        let ui = json!({"template":"table","data":{"title":"最近订单","columns":[{"key":"id","label":"订单号"},{"key":"s","label":"状态"}],
            "rows":[{"id":"ORD-001","s":"已完成"},{"id":"ORD-2","s":{"text":"待发货","color":"orange"}}]}});
        let lines = ui_outline(&parse_ui(&ui).value);
        assert_eq!(
            lines,
            vec![
                "table \"最近订单\" (2 columns, 2 rows)",
                "  订单号   状态",
                "  ORD-001  已完成",
                "  ORD-2    待发货",
            ]
        );
    }

    #[test]
    fn batch_outline_nests() {
        let a = json!({"action":"batch","data":{"actions":[{"action":"show_toast","data":{"message":"hi","type":"success"}},{"action":"refresh","data":{}}]}});
        assert_eq!(
            action_outline(&parse_action(&a).value),
            vec![
                "batch (2 actions)",
                "  show_toast [success] \"hi\"",
                "  refresh"
            ]
        );
    }
}
