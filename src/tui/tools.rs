//! `mcp_tools`: each tool becomes a JSON-UI form generated from its `parameters`, drawn by the
//! same widgets as plugin UIs; submitting one sends `tool/execute` with the form's values.

use super::state::ToolRun;
use crate::host::{Capability, UiEvent};
use crate::jsonui::{self, Node};
use serde_json::{Map, Value, json};

/// The tools pane of a capability, with the last run's result on top.
pub fn tools_node(cap: &Capability, last: Option<&ToolRun>) -> Node {
    let mut items = Vec::new();
    if let Some(run) = last {
        let kind = if run.ok { "success" } else { "error" };
        items.push(json!({"template": "text", "data": {"text": format!("{} → {}", run.tool, run.text), "type": kind}}));
    }
    if cap.tools.is_empty() {
        items.push(json!({"template": "empty", "data": {"title": "This mcp_tools capability lists no tools"}}));
    }
    for tool in &cap.tools {
        let fields: Vec<Value> = tool
            .parameters
            .iter()
            .map(|p| {
                let (kind, options) = match p.kind.as_str() {
                    "number" | "integer" => ("number", Vec::new()),
                    "boolean" => ("switch", Vec::new()),
                    "enum" => (
                        "select",
                        p.enum_values
                            .iter()
                            .map(|v| json!({"value": v, "label": v}))
                            .collect(),
                    ),
                    _ => ("text", Vec::new()),
                };
                let mut f =
                    json!({"name": p.name, "label": p.name, "type": kind, "required": p.required});
                if let Some(d) = &p.description {
                    f["placeholder"] = json!(d);
                }
                if !options.is_empty() {
                    f["options"] = Value::Array(options);
                }
                f
            })
            .collect();
        let title = match (&tool.title, &tool.description) {
            (Some(t), Some(d)) => format!("{t} ({}) — {d}", tool.name),
            (Some(t), None) => format!("{t} ({})", tool.name),
            (None, Some(d)) => format!("{} — {d}", tool.name),
            (None, None) => tool.name.clone(),
        };
        items.push(json!({"template": "form", "data": {"title": title, "fields": fields, "submit_text": "Execute", "action_id": tool.name}}));
    }
    jsonui::parse_ui(&json!({"template": "group", "data": {"items": items}})).value
}

/// The `arguments` of `tool/execute` from a submitted tool form.
pub fn arguments(cap: &Capability, tool: &str, event: &UiEvent) -> Map<String, Value> {
    let known = cap.tools.iter().find(|t| t.name == tool);
    event
        .form_data
        .iter()
        .filter(|(k, _)| known.is_none_or(|t| t.parameters.iter().any(|p| &p.name == *k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::register::parse_register;

    #[test]
    fn a_form_per_tool_typed_by_parameter() {
        let info = parse_register(Some(&json!({"capabilities":[{"type":"mcp_tools","title":"T","tools":[
            {"name":"refund","title":"Refund","parameters":[{"name":"amount","type":"number","required":true},
             {"name":"why","type":"enum","enum_values":["late","other"]},{"name":"notify","type":"boolean"}]}]}]})))
        .unwrap();
        let Node::Group(g) = tools_node(&info.capabilities[0], None) else {
            panic!()
        };
        let Node::Form(f) = &g.items[0] else { panic!() };
        assert_eq!(f.action_id.as_deref(), Some("refund"));
        let kinds: Vec<_> = f
            .fields
            .iter()
            .map(|f| f.kind.as_str().to_string())
            .collect();
        assert_eq!(kinds, ["number", "select", "switch"]);
        assert!(f.fields[0].required);
    }
}
