//! What changed between two registrations of one plugin: capabilities added, removed or
//! changed (title, icon, priority, tooltip, tools and their parameters). Capabilities are
//! matched by type and their order within the type, as the host addresses them
//! (`capability_index`).

use super::register::{Capability, ToolDef, ToolParam};
use std::collections::BTreeMap;

/// One line per change, in the new list's order (removals last); empty when nothing changed.
pub fn capability_changes(old: &[Capability], new: &[Capability]) -> Vec<String> {
    let (before, after) = (by_kind(old), by_kind(new));
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for c in new {
        let kind = c.kind.to_string();
        let i = *seen
            .entry(kind.clone())
            .and_modify(|n| *n += 1)
            .or_insert(0);
        match before.get(&kind).and_then(|l| l.get(i)) {
            None => out.push(format!("added {kind} \"{}\"", c.title)),
            Some(was) => {
                let diffs = capability_diff(was, c);
                if !diffs.is_empty() {
                    out.push(format!(
                        "changed {kind} \"{}\": {}",
                        c.title,
                        diffs.join(", ")
                    ));
                }
            }
        }
    }
    for (kind, list) in &before {
        let kept = after.get(kind).map_or(0, Vec::len);
        for c in list.iter().skip(kept) {
            out.push(format!("removed {kind} \"{}\"", c.title));
        }
    }
    out
}

fn by_kind(caps: &[Capability]) -> BTreeMap<String, Vec<&Capability>> {
    let mut m: BTreeMap<String, Vec<&Capability>> = BTreeMap::new();
    for c in caps {
        m.entry(c.kind.to_string()).or_default().push(c);
    }
    m
}

fn shown(v: &Option<String>) -> String {
    v.as_deref().map_or("none".into(), |s| format!("\"{s}\""))
}

fn capability_diff(a: &Capability, b: &Capability) -> Vec<String> {
    let mut out = Vec::new();
    if a.title != b.title {
        out.push(format!("title \"{}\" → \"{}\"", a.title, b.title));
    }
    if a.icon != b.icon {
        out.push(format!("icon {} → {}", shown(&a.icon), shown(&b.icon)));
    }
    if a.priority != b.priority {
        out.push(format!("priority {} → {}", a.priority, b.priority));
    }
    if a.tooltip != b.tooltip {
        out.push(format!(
            "tooltip {} → {}",
            shown(&a.tooltip),
            shown(&b.tooltip)
        ));
    }
    out.extend(tool_changes(&a.tools, &b.tools));
    out
}

fn tool_changes(a: &[ToolDef], b: &[ToolDef]) -> Vec<String> {
    let mut out = Vec::new();
    for t in b {
        match a.iter().find(|o| o.name == t.name) {
            None => out.push(format!("tool {} added", t.name)),
            Some(o) => {
                let mut d = Vec::new();
                if o.description != t.description {
                    d.push("description".to_string());
                }
                d.extend(param_changes(&o.parameters, &t.parameters));
                if !d.is_empty() {
                    out.push(format!("tool {}: {}", t.name, d.join(", ")));
                }
            }
        }
    }
    for o in a {
        if !b.iter().any(|t| t.name == o.name) {
            out.push(format!("tool {} removed", o.name));
        }
    }
    out
}

fn param_changes(a: &[ToolParam], b: &[ToolParam]) -> Vec<String> {
    let mut out = Vec::new();
    for p in b {
        match a.iter().find(|o| o.name == p.name) {
            None => out.push(format!("parameter {} added", p.name)),
            Some(o) => {
                if o.kind != p.kind {
                    out.push(format!("parameter {} {} → {}", p.name, o.kind, p.kind));
                }
                if o.required != p.required {
                    let req = |r| if r { "required" } else { "optional" };
                    out.push(format!(
                        "parameter {} {} → {}",
                        p.name,
                        req(o.required),
                        req(p.required)
                    ));
                }
                if o.enum_values != p.enum_values {
                    out.push(format!("parameter {} options", p.name));
                }
            }
        }
    }
    for o in a {
        if !b.iter().any(|p| p.name == o.name) {
            out.push(format!("parameter {} removed", o.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::register::parse_register;
    use serde_json::json;

    fn caps(v: serde_json::Value) -> Vec<Capability> {
        parse_register(Some(
            &json!({"id": "p", "name": "p", "version": "1", "capabilities": v}),
        ))
        .unwrap()
        .capabilities
    }

    #[test]
    fn additions_removals_and_field_changes_are_named() {
        let old = caps(json!([
            {"type": "visitor_panel", "title": "Orders", "icon": "cart", "priority": 1},
            {"type": "chat_toolbar", "title": "Notes"},
            {"type": "mcp_tools", "title": "Tools", "tools": [
                {"name": "search", "parameters": [{"name": "q", "type": "string", "required": true}]},
                {"name": "old_tool"}]}
        ]));
        let new = caps(json!([
            {"type": "visitor_panel", "title": "Orders", "icon": "package", "priority": 5},
            {"type": "visitor_panel", "title": "Tickets"},
            {"type": "mcp_tools", "title": "Tools", "tools": [
                {"name": "search", "parameters": [{"name": "q", "type": "number", "required": true},
                                                   {"name": "limit", "type": "number"}]},
                {"name": "create_ticket"}]}
        ]));
        assert_eq!(
            capability_changes(&old, &new),
            [
                "changed visitor_panel \"Orders\": icon \"cart\" → \"package\", priority 1 → 5",
                "added visitor_panel \"Tickets\"",
                "changed mcp_tools \"Tools\": tool search: parameter q string → number, parameter limit added, tool create_ticket added, tool old_tool removed",
                "removed chat_toolbar \"Notes\"",
            ]
        );
        assert!(capability_changes(&new, &new).is_empty());
    }
}
