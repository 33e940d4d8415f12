//! The `register` handshake's params: validated into typed plugin info, or a reason to refuse.
//!
//! The params are read by serde-derived types. Required fields and wrong structure are errors
//! naming their JSON path (`capabilities[1].title: …`, through `serde_path_to_error`); the
//! lenient forms real plugins send (no name, a priority that is not an integer, odd tools) are
//! read by field types that never fail (`Text`, `Lenient`) and become notes.

use super::CapabilityKind;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::marker::PhantomData;

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

/// Why `register` params are refused (sent back with code -32000).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("register params are missing (null)")]
    Missing,
    #[error("register params must be an object")]
    NotAnObject,
    /// A field at fault: its JSON path (`capabilities[1].title`) and what is wrong with it.
    #[error("{path}: {problem}")]
    Field { path: String, problem: String },
}

/// The note on a registration without capabilities (absent or empty).
const NO_CAPABILITIES: &str = "no \"capabilities\": TGO will never call this plugin";

/// Validates `register` params. What is accepted but lacking (no name, version or
/// capabilities; odd types) is in `notes`.
pub fn parse_register(params: Option<&Value>) -> Result<PluginInfo, RegisterError> {
    let raw = match params {
        None | Some(Value::Null) => return Err(RegisterError::Missing),
        // Checked here: a derived struct would also read an array, positionally.
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(RegisterError::NotAnObject),
    };
    let params: Params =
        serde_path_to_error::deserialize(raw).map_err(|e| RegisterError::Field {
            path: e.path().to_string(),
            problem: e.inner().to_string(),
        })?;
    let mut notes = Vec::new();
    let name = params.name.map(Text::into_string).unwrap_or_else(|| {
        notes.push("no \"name\": shown as \"unknown\"".into());
        "unknown".into()
    });
    let version = params.version.map(Text::into_string).unwrap_or_else(|| {
        notes.push("no \"version\": shown as 0.0.0".into());
        "0.0.0".into()
    });
    let caps = params.capabilities.map(|a| a.0).unwrap_or_default();
    if caps.is_empty() {
        notes.push(NO_CAPABILITIES.into());
    }
    let capabilities = caps
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            // The capability as sent, for display.
            let raw = raw["capabilities"][i].clone();
            c.0.into_capability(&format!("capabilities[{i}]"), raw, &mut notes)
        })
        .collect();
    Ok(PluginInfo {
        requested_id: params.id.map(|id| id.0),
        name,
        version,
        description: params.description.map(Text::into_string),
        author: params.author.map(Text::into_string),
        capabilities,
        notes,
    })
}

/// `register` params as sent; unknown fields (`dev_token`…) are ignored.
#[derive(Deserialize)]
struct Params {
    id: Option<NonEmpty>,
    name: Option<Text>,
    version: Option<Text>,
    description: Option<Text>,
    author: Option<Text>,
    capabilities: Option<Array<Object<RawCapability>>>,
}

#[derive(Deserialize)]
struct RawCapability {
    #[serde(rename = "type")]
    kind: NonEmpty,
    title: NonEmpty,
    icon: Option<Text>,
    priority: Option<Lenient<i64>>,
    tooltip: Option<Text>,
    shortcut: Option<Text>,
    url: Option<Text>,
    refresh_on: Option<Lenient<Vec<Lenient<String>>>>,
    tools: Option<Lenient<Vec<Lenient<Object<RawTool>>>>>,
}

impl RawCapability {
    /// The capability, with what was odd in it noted under `at` (its path).
    fn into_capability(self, at: &str, raw: Value, notes: &mut Vec<String>) -> Capability {
        let priority = match self.priority {
            None => 10,
            Some(Lenient::Ok(p)) => p,
            Some(Lenient::Odd(other)) => {
                notes.push(format!(
                    "{at}: \"priority\" {other} is not an integer, using 10"
                ));
                10
            }
        };
        let refresh_on = match self.refresh_on {
            Some(Lenient::Ok(events)) => events.into_iter().filter_map(Lenient::ok).collect(),
            _ => Vec::new(),
        };
        let tools = match self.tools {
            None => Vec::new(),
            Some(Lenient::Odd(_)) => {
                notes.push(format!("{at}: \"tools\" is not an array"));
                Vec::new()
            }
            Some(Lenient::Ok(tools)) => tools
                .into_iter()
                .enumerate()
                .filter_map(|(i, t)| {
                    let at = format!("{at}.tools[{i}]");
                    let Lenient::Ok(Object(tool)) = t else {
                        notes.push(format!("{at}: not an object, ignored"));
                        return None;
                    };
                    let tool = tool.into_tool();
                    if tool.is_none() {
                        notes.push(format!("{at}: no \"name\", ignored"));
                    }
                    tool
                })
                .collect(),
        };
        Capability {
            kind: self.kind.0.into(),
            title: self.title.0,
            icon: self.icon.map(Text::into_string),
            priority,
            tooltip: self.tooltip.map(Text::into_string),
            shortcut: self.shortcut.map(Text::into_string),
            url: self.url.map(Text::into_string),
            refresh_on,
            tools,
            raw,
        }
    }
}

#[derive(Deserialize)]
struct RawTool {
    name: Option<Text>,
    title: Option<Text>,
    description: Option<Text>,
    parameters: Option<Lenient<Vec<Lenient<Object<RawParam>>>>>,
}

impl RawTool {
    /// The tool (`None` without a name); parameters that are not objects or have no name are
    /// left out.
    fn into_tool(self) -> Option<ToolDef> {
        let parameters = match self.parameters {
            Some(Lenient::Ok(ps)) => ps
                .into_iter()
                .filter_map(|p| p.ok()?.0.into_param())
                .collect(),
            _ => Vec::new(),
        };
        Some(ToolDef {
            name: self.name?.0,
            title: self.title.map(Text::into_string),
            description: self.description.map(Text::into_string),
            parameters,
        })
    }
}

#[derive(Deserialize)]
struct RawParam {
    name: Option<Text>,
    #[serde(rename = "type")]
    kind: Option<Text>,
    description: Option<Text>,
    required: Option<Lenient<bool>>,
    enum_values: Option<Lenient<Vec<Text>>>,
}

impl RawParam {
    fn into_param(self) -> Option<ToolParam> {
        Some(ToolParam {
            name: self.name?.0,
            kind: self.kind.map_or_else(|| "string".into(), Text::into_string),
            description: self.description.map(Text::into_string),
            required: self.required.and_then(Lenient::ok).unwrap_or(false),
            enum_values: self
                .enum_values
                .and_then(Lenient::ok)
                .map(|vs| vs.into_iter().map(Text::into_string).collect())
                .unwrap_or_default(),
        })
    }
}

/// Any value as text: a string as is, anything else as its JSON (`1`, `true`, `{"a":1}`).
struct Text(String);

impl Text {
    fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Text(match Value::deserialize(d)? {
            Value::String(s) => s,
            other => other.to_string(),
        }))
    }
}

/// A string with something besides whitespace in it.
struct NonEmpty(String);

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NonEmpty;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a non-empty string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<NonEmpty, E> {
                if s.trim().is_empty() {
                    return Err(E::invalid_value(de::Unexpected::Str(s), &self));
                }
                Ok(NonEmpty(s.to_string()))
            }
        }
        d.deserialize_str(V)
    }
}

/// `T`, or the value when it is not a `T`: read without failing, judged afterwards.
enum Lenient<T> {
    Ok(T),
    Odd(Value),
}

impl<T> Lenient<T> {
    fn ok(self) -> Option<T> {
        match self {
            Lenient::Ok(t) => Some(t),
            Lenient::Odd(_) => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match T::deserialize(&v) {
            Ok(t) => Lenient::Ok(t),
            Err(_) => Lenient::Odd(v),
        })
    }
}

/// A JSON object read as `T` (a derived struct alone would also read an array, positionally).
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A JSON array (serde's own `Vec` says "expected a sequence").
struct Array<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Array<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Array<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Array<T>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Array(items))
            }
        }
        d.deserialize_seq(V(PhantomData))
    }
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

    fn refused(params: Value) -> String {
        parse_register(Some(&params)).unwrap_err().to_string()
    }

    #[test]
    fn faults_name_the_field() {
        assert_eq!(
            refused(json!({"capabilities":[{"type":"visitor_panel"}]})),
            "capabilities[0]: missing field `title`"
        );
        assert_eq!(
            refused(json!({"capabilities":[{"title":"x"},{}]})),
            "capabilities[0]: missing field `type`"
        );
        assert_eq!(
            parse_register(Some(&Value::Null)).unwrap_err(),
            RegisterError::Missing
        );
        assert_eq!(
            parse_register(None).unwrap_err().to_string(),
            "register params are missing (null)"
        );
        assert_eq!(
            refused(json!(["com.x", "x"])),
            "register params must be an object"
        );
        assert_eq!(
            refused(json!({"capabilities":"visitor_panel"})),
            "capabilities: invalid type: string \"visitor_panel\", expected an array"
        );
        assert_eq!(
            refused(json!({"capabilities":[{"type":"a","title":"A"},["visitor_panel","T"]]})),
            "capabilities[1]: invalid type: sequence, expected an object"
        );
        assert_eq!(
            refused(json!({"capabilities":[{"type":"a","title":"A"},{"type":"b","title":3}]})),
            "capabilities[1].title: invalid type: integer `3`, expected a non-empty string"
        );
        assert_eq!(
            refused(json!({"capabilities":[{"type":" ","title":"A"}]})),
            "capabilities[0].type: invalid value: string \" \", expected a non-empty string"
        );
        assert_eq!(
            refused(json!({"id": 7})),
            "id: invalid type: integer `7`, expected a non-empty string"
        );
        assert_eq!(
            refused(json!({"id": ""})),
            "id: invalid value: string \"\", expected a non-empty string"
        );
    }

    #[test]
    fn lenient_forms_are_accepted_with_notes() {
        let info = parse_register(Some(&json!({"id": null, "version": 2, "author": {"n": 1},
            "capabilities": [{"type": "visitor_panel", "title": "A", "priority": "high",
                "refresh_on": ["manual", 3], "icon": null},
            {"type": "mcp_tools", "title": "T", "tools": "none"},
            {"type": "mcp_tools", "title": "U", "priority": 1.5,
                "tools": [3, {"title": "no name"}, {"name": 9, "parameters": [1, {"type": "x"},
                    {"name": "p", "required": "yes", "enum_values": ["a", 2, null]}]}]}]})))
        .unwrap();
        assert_eq!(info.requested_id, None);
        assert_eq!(info.name, "unknown");
        assert_eq!(info.version, "2");
        assert_eq!(info.author.as_deref(), Some("{\"n\":1}"));
        assert_eq!(
            info.notes,
            [
                "no \"name\": shown as \"unknown\"",
                "capabilities[0]: \"priority\" \"high\" is not an integer, using 10",
                "capabilities[1]: \"tools\" is not an array",
                "capabilities[2]: \"priority\" 1.5 is not an integer, using 10",
                "capabilities[2].tools[0]: not an object, ignored",
                "capabilities[2].tools[1]: no \"name\", ignored",
            ]
        );
        let [a, t, u] = &info.capabilities[..] else {
            panic!("three capabilities")
        };
        assert_eq!((a.priority, a.icon.as_deref()), (10, None));
        assert_eq!(a.refresh_on, ["manual"]);
        assert_eq!(a.raw["refresh_on"], json!(["manual", 3]));
        assert!(t.tools.is_empty());
        assert_eq!(u.tools.len(), 1);
        assert_eq!(u.tools[0].name, "9");
        let p = &u.tools[0].parameters;
        assert_eq!(
            p.len(),
            1,
            "the ones without an object or a name are left out"
        );
        assert_eq!((p[0].kind.as_str(), p[0].required), ("string", false));
        assert_eq!(p[0].enum_values, ["a", "2", "null"]);

        let bare = parse_register(Some(&json!({"capabilities": []}))).unwrap();
        assert_eq!(
            bare.notes,
            [
                "no \"name\": shown as \"unknown\"",
                "no \"version\": shown as 0.0.0",
                NO_CAPABILITIES
            ]
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
