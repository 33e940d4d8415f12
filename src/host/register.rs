//! The `register` handshake's params: validated into typed plugin info, or a reason to refuse.

use super::CapabilityKind;
use serde::Serialize;
use serde_json::{Map, Value};

/// A capability as registered, typed for what the host and UI use, raw kept for display.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Capability {
    #[serde(rename = "type")]
    pub kind: CapabilityKind,
    pub title: String,
    pub icon: Option<String>,
    pub priority: i64,
    pub tooltip: Option<String>,
    pub shortcut: Option<String>,
    pub url: Option<String>,
    pub refresh_on: Vec<String>,
    pub tools: Vec<ToolDef>,
    #[serde(skip)]
    pub raw: Value,
}

/// An `mcp_tools` tool definition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolDef {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub parameters: Vec<ToolParam>,
}

/// One tool parameter: `type` is string / number / boolean / enum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolParam {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: Option<String>,
    pub required: bool,
    pub enum_values: Vec<String>,
}

/// What a plugin said about itself in `register`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PluginInfo {
    /// `params.id` as sent (the host invents one when absent).
    pub requested_id: Option<String>,
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub author: Option<String>,
    pub capabilities: Vec<Capability>,
    /// Lenient forms accepted (defaults filled in, odd types), shown in the log.
    pub notes: Vec<String>,
}

fn opt_string(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    }
}

fn req_string(obj: &Map<String, Value>, key: &str, at: &str) -> Result<String, String> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("{at}: \"{key}\" is empty")),
        Some(Value::Null) | None => Err(format!("{at}: missing \"{key}\"")),
        Some(_) => Err(format!("{at}: \"{key}\" must be a string")),
    }
}

/// The note on a registration without capabilities (absent or empty).
const NO_CAPABILITIES: &str = "no \"capabilities\": TGO will never call this plugin";

/// Validates `register` params. `Err` is the reason sent back with code -32000. What is
/// accepted but lacking (no name, version or capabilities; odd types) is in `notes`.
pub fn parse_register(params: Option<&Value>) -> Result<PluginInfo, String> {
    let obj = match params {
        None | Some(Value::Null) => return Err("register params are missing (null)".into()),
        Some(Value::Object(obj)) => obj,
        Some(_) => return Err("register params must be an object".into()),
    };
    let mut notes = Vec::new();
    let requested_id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(_) => return Err("\"id\" must be a non-empty string".into()),
    };
    let name = opt_string(obj, "name").unwrap_or_else(|| {
        notes.push("no \"name\": shown as \"unknown\"".into());
        "unknown".into()
    });
    let version = opt_string(obj, "version").unwrap_or_else(|| {
        notes.push("no \"version\": shown as 0.0.0".into());
        "0.0.0".into()
    });
    let capabilities = match obj.get("capabilities") {
        None | Some(Value::Null) => {
            notes.push(NO_CAPABILITIES.into());
            Vec::new()
        }
        Some(Value::Array(items)) if items.is_empty() => {
            notes.push(NO_CAPABILITIES.into());
            Vec::new()
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, c)| parse_capability(c, &format!("capabilities[{i}]"), &mut notes))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("\"capabilities\" must be an array".into()),
    };
    Ok(PluginInfo {
        requested_id,
        name,
        version,
        description: opt_string(obj, "description"),
        author: opt_string(obj, "author"),
        capabilities,
        notes,
    })
}

fn parse_capability(v: &Value, at: &str, notes: &mut Vec<String>) -> Result<Capability, String> {
    let Value::Object(obj) = v else {
        return Err(format!("{at}: must be an object"));
    };
    let kind = req_string(obj, "type", at)?.into();
    let title = req_string(obj, "title", at)?;
    let priority = match obj.get("priority") {
        None | Some(Value::Null) => 10,
        Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(10),
        Some(other) => {
            notes.push(format!(
                "{at}: \"priority\" {other} is not an integer, using 10"
            ));
            10
        }
    };
    let refresh_on = match obj.get("refresh_on") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    let tools = match obj.get("tools") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .filter_map(|(i, t)| parse_tool(t, &format!("{at}.tools[{i}]"), notes))
            .collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            notes.push(format!("{at}: \"tools\" is not an array"));
            Vec::new()
        }
    };
    Ok(Capability {
        kind,
        title,
        icon: opt_string(obj, "icon"),
        priority,
        tooltip: opt_string(obj, "tooltip"),
        shortcut: opt_string(obj, "shortcut"),
        url: opt_string(obj, "url"),
        refresh_on,
        tools,
        raw: v.clone(),
    })
}

fn parse_tool(v: &Value, at: &str, notes: &mut Vec<String>) -> Option<ToolDef> {
    let Value::Object(obj) = v else {
        notes.push(format!("{at}: not an object, ignored"));
        return None;
    };
    let Some(name) = opt_string(obj, "name") else {
        notes.push(format!("{at}: no \"name\", ignored"));
        return None;
    };
    let parameters = match obj.get("parameters") {
        Some(Value::Array(ps)) => ps
            .iter()
            .filter_map(|p| {
                let p = p.as_object()?;
                Some(ToolParam {
                    name: opt_string(p, "name")?,
                    kind: opt_string(p, "type").unwrap_or_else(|| "string".into()),
                    description: opt_string(p, "description"),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    enum_values: p
                        .get("enum_values")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|x| x.as_str().map_or_else(|| x.to_string(), String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(ToolDef {
        name,
        title: opt_string(obj, "title"),
        description: opt_string(obj, "description"),
        parameters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quickstart_register_is_accepted() {
        let p = json!({"name":"visitor-orders","version":"1.0.0","description":"d",
            "capabilities":[{"type":"visitor_panel","title":"客户订单","icon":"shopping-cart"}]});
        let info = parse_register(Some(&p)).unwrap();
        assert_eq!(info.requested_id, None);
        assert_eq!(info.capabilities[0].kind, CapabilityKind::VisitorPanel);
        assert_eq!(info.capabilities[0].priority, 10);
        assert!(info.notes.is_empty());
    }

    #[test]
    fn faults_name_the_field() {
        let missing_title = json!({"capabilities":[{"type":"visitor_panel"}]});
        assert_eq!(
            parse_register(Some(&missing_title)).unwrap_err(),
            "capabilities[0]: missing \"title\""
        );
        let missing_type = json!({"capabilities":[{"title":"x"},{}]});
        assert_eq!(
            parse_register(Some(&missing_type)).unwrap_err(),
            "capabilities[0]: missing \"type\""
        );
        assert_eq!(
            parse_register(Some(&Value::Null)).unwrap_err(),
            "register params are missing (null)"
        );
        assert_eq!(
            parse_register(None).unwrap_err(),
            "register params are missing (null)"
        );
        let bad = json!({"capabilities":"visitor_panel"});
        assert_eq!(
            parse_register(Some(&bad)).unwrap_err(),
            "\"capabilities\" must be an array"
        );
    }

    #[test]
    fn tools_are_typed() {
        let p = json!({"id":"x","name":"n","version":"1","capabilities":[{"type":"mcp_tools","title":"T",
            "tools":[{"name":"refund","parameters":[{"name":"amount","type":"number","required":true},
                {"name":"why","type":"enum","enum_values":["late","other"]}]}]}]});
        let info = parse_register(Some(&p)).unwrap();
        let tool = &info.capabilities[0].tools[0];
        assert_eq!(tool.name, "refund");
        assert!(tool.parameters[0].required);
        assert_eq!(tool.parameters[1].enum_values, vec!["late", "other"]);
    }
}
