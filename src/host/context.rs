//! The render context a user picks (visitor id, session, language, channel) and the params
//! the real TGO host sends for each capability method, built from it.

use super::CapabilityKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Who is being looked at, as the host describes the visitor to plugins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RenderContext {
    pub visitor_id: String,
    pub session_id: String,
    pub language: String,
    pub agent_id: String,
    pub channel_id: String,
    pub channel_type: String,
    pub platform_type: String,
    /// The `visitor` object sent with renders, but for its `id` (the visitor id, unless this
    /// object names another): name, email, phone, avatar, platform_open_id, metadata, tags…
    /// Editable as JSON in the console.
    pub visitor: Map<String, Value>,
}

impl Default for RenderContext {
    fn default() -> Self {
        Self::for_visitor("v_12345")
    }
}

impl RenderContext {
    /// A realistic context for `visitor_id` (session and channel derived from it).
    pub fn for_visitor(visitor_id: &str) -> Self {
        Self {
            visitor_id: visitor_id.to_string(),
            session_id: format!("s_{}", visitor_id.trim_start_matches("v_")),
            language: "zh-CN".into(),
            agent_id: "agent_001".into(),
            channel_id: "ch_web_01".into(),
            channel_type: "website".into(),
            platform_type: "website".into(),
            visitor: default_visitor(visitor_id),
        }
    }

    /// The `visitor` object of render params.
    pub fn visitor(&self) -> Value {
        let mut v = Map::new();
        v.insert("id".into(), json!(self.visitor_id));
        v.extend(self.visitor.iter().map(|(k, val)| (k.clone(), val.clone())));
        Value::Object(v)
    }

    fn context(&self, extension_type: &CapabilityKind) -> Value {
        json!({
            "extension_type": extension_type,
            "visitor_id": self.visitor_id,
            "channel_id": self.channel_id,
            "channel_type": self.channel_type,
            "platform_type": self.platform_type,
        })
    }

    /// Params of `<type>/render` (and `chat_toolbar/render`, which adds agent and action ids).
    pub fn render_params(&self, kind: &CapabilityKind) -> Value {
        let mut p = json!({
            "visitor_id": self.visitor_id,
            "session_id": self.session_id,
            "visitor": self.visitor(),
            "context": self.context(kind),
            "language": self.language,
        });
        if *kind == CapabilityKind::ChatToolbar {
            p["agent_id"] = json!(self.agent_id);
            p["action_id"] = json!(kind);
        }
        p
    }

    /// The context a recorded `…/render` request was sent with (`None` when its params do not
    /// name a visitor). What the params leave out stays empty.
    pub fn from_render_params(params: &Value) -> Option<Self> {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let visitor_id = params.get("visitor_id")?.as_str()?.to_string();
        let context = &params["context"];
        let visitor = &params["visitor"];
        Some(Self {
            visitor_id,
            session_id: text(&params["session_id"]),
            language: text(&params["language"]),
            agent_id: text(&params["agent_id"]),
            channel_id: text(&context["channel_id"]),
            channel_type: text(&context["channel_type"]),
            platform_type: text(&context["platform_type"]),
            visitor: match visitor {
                Value::Object(m) => m
                    .iter()
                    .filter(|(k, _)| k.as_str() != "id")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                _ => Map::new(),
            },
        })
    }

    /// Params of `<type>/event`.
    pub fn event_params(&self, event: &UiEvent) -> Value {
        json!({
            "event_type": event.event_type,
            "action_id": event.action_id,
            "visitor_id": self.visitor_id,
            "session_id": self.session_id,
            "selected_id": event.selected_id,
            "language": self.language,
            "form_data": event.form_data,
            "payload": {"visitor_id": self.visitor_id, "session_id": self.session_id},
        })
    }

    /// Params of `tool/execute`.
    pub fn tool_params(&self, tool_name: &str, arguments: Value) -> Value {
        json!({
            "tool_name": tool_name,
            "arguments": arguments,
            "visitor_id": self.visitor_id,
            "session_id": self.session_id,
            "agent_id": self.agent_id,
            "language": self.language,
        })
    }
}

/// A made-up visitor for `visitor_id`, as the real host describes one (all but its id).
pub fn default_visitor(visitor_id: &str) -> Map<String, Value> {
    let Value::Object(v) = json!({
        "name": "张三",
        "email": "zhangsan@example.com",
        "phone": "138****1234",
        "avatar": "",
        "platform_open_id": format!("open_{visitor_id}"),
        "metadata": {},
    }) else {
        unreachable!("a JSON object literal")
    };
    v
}

/// Render params for capability `index` of a plugin. When the plugin registered several
/// capabilities of that type, adds `capability_index` (a tgo-console extension: the real host
/// renders only the first) so the plugin can tell which one is asked.
pub fn capability_render_params(
    ctx: &RenderContext,
    caps: &[super::Capability],
    index: usize,
) -> Value {
    let Some(kind) = caps.get(index).map(|c| &c.kind) else {
        return ctx.render_params(&CapabilityKind::Other(String::new()));
    };
    let mut params = ctx.render_params(kind);
    if caps.iter().filter(|c| c.kind == *kind).count() > 1 {
        params["capability_index"] =
            json!(caps[..index].iter().filter(|c| c.kind == *kind).count());
    }
    params
}

/// Arguments a tool form would hold by default: enough to exercise `tool/execute`.
pub fn sample_arguments(tool: &super::ToolDef) -> Value {
    let mut args = Map::new();
    for p in &tool.parameters {
        let v = match p.kind.as_str() {
            "number" | "integer" => json!(1),
            "boolean" => json!(true),
            "enum" => json!(p.enum_values.first().cloned().unwrap_or_default()),
            _ => json!("test"),
        };
        args.insert(p.name.clone(), v);
    }
    Value::Object(args)
}

/// Realistic params for each method a plugin with `caps` answers, as the host would send them
/// in `ctx`: a render's context, an event (a `button_click` with an action id to fill in), the
/// first tool with sample arguments; `{}` for the rest.
pub fn sample_params(ctx: &RenderContext, caps: &[super::Capability]) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut add = |method: String, params: Value| {
        if !out.iter().any(|(m, _)| *m == method) {
            out.push((method, params));
        }
    };
    for (index, cap) in caps.iter().enumerate() {
        if let Some(m) = cap.kind.render_method() {
            let params = if cap.kind.renders_json_ui() {
                capability_render_params(ctx, caps, index)
            } else {
                json!({})
            };
            add(m, params);
        }
        if cap.kind.renders_json_ui() {
            add(
                cap.kind.event_method(),
                ctx.event_params(&UiEvent::button_click("")),
            );
        }
        if let Some(tool) = cap.tools.first() {
            add(
                "tool/execute".into(),
                ctx.tool_params(&tool.name, sample_arguments(tool)),
            );
        }
    }
    out
}

/// `params` with every field the context decides set from `ctx`, at any depth: the visitor
/// and session ids (in `payload` and `context` too), the language, the agent, the channel, and
/// the `visitor` object. What else is there stays.
pub fn apply_context(params: &mut Value, ctx: &RenderContext) {
    match params {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                let set = match k.as_str() {
                    "visitor_id" => Some(json!(ctx.visitor_id)),
                    "session_id" => Some(json!(ctx.session_id)),
                    "language" => Some(json!(ctx.language)),
                    "agent_id" => Some(json!(ctx.agent_id)),
                    "channel_id" => Some(json!(ctx.channel_id)),
                    "channel_type" => Some(json!(ctx.channel_type)),
                    "platform_type" => Some(json!(ctx.platform_type)),
                    "visitor" if v.is_object() => Some(ctx.visitor()),
                    _ => None,
                };
                match set {
                    Some(new) if v.is_string() || v.is_object() => *v = new,
                    _ => apply_context(v, ctx),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| apply_context(v, ctx)),
        _ => {}
    }
}

/// A user interaction to send as an event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UiEvent {
    /// `button_click`, `item_select` or `form_submit`.
    pub event_type: String,
    pub action_id: String,
    pub selected_id: Option<String>,
    pub form_data: Map<String, Value>,
}

impl UiEvent {
    pub fn button_click(action_id: &str) -> Self {
        Self {
            event_type: "button_click".into(),
            action_id: action_id.into(),
            selected_id: None,
            form_data: Map::new(),
        }
    }
}

/// Recent visitors kept (and saved).
pub const RECENT_VISITORS: usize = 20;

/// A visitor used before: its id and the visitor object that goes with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecentVisitor {
    pub visitor_id: String,
    pub visitor: Map<String, Value>,
}

impl RecentVisitor {
    pub fn of(ctx: &RenderContext) -> Self {
        Self {
            visitor_id: ctx.visitor_id.clone(),
            visitor: ctx.visitor.clone(),
        }
    }
}

/// `list` with `v` as its newest entry (an older one of the same id goes), at most
/// [`RECENT_VISITORS`] long.
pub fn remember(list: &mut Vec<RecentVisitor>, v: RecentVisitor) {
    list.retain(|r| r.visitor_id != v.visitor_id);
    list.push(v);
    let excess = list.len().saturating_sub(RECENT_VISITORS);
    list.drain(..excess);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_params_match_the_real_host() {
        let ctx = RenderContext::for_visitor("v_42");
        let p = ctx.render_params(&CapabilityKind::VisitorPanel);
        assert_eq!(p["visitor_id"], "v_42");
        assert_eq!(p["session_id"], "s_42");
        assert_eq!(p["context"]["extension_type"], "visitor_panel");
        assert_eq!(p["visitor"]["id"], "v_42");
        assert!(p.get("agent_id").is_none());
        assert_eq!(
            ctx.render_params(&CapabilityKind::ChatToolbar)["agent_id"],
            "agent_001"
        );
    }

    #[test]
    fn apply_context_sets_every_field_the_context_decides() {
        let mut p = RenderContext::default().event_params(&UiEvent::button_click("x"));
        p["extra"] = json!({"nested": [{"visitor_id": "old"}]});
        let ctx = RenderContext::for_visitor("v_new");
        apply_context(&mut p, &ctx);
        assert_eq!(p["visitor_id"], "v_new");
        assert_eq!(p["payload"]["visitor_id"], "v_new");
        assert_eq!(p["payload"]["session_id"], "s_new");
        assert_eq!(p["extra"]["nested"][0]["visitor_id"], "v_new");
        assert_eq!(
            p["action_id"], "x",
            "what the context does not decide stays"
        );
        let mut r = RenderContext::default().render_params(&CapabilityKind::VisitorPanel);
        apply_context(&mut r, &ctx);
        assert_eq!(r["visitor"]["id"], "v_new");
        assert_eq!(r["context"]["visitor_id"], "v_new");
    }

    #[test]
    fn event_params_carry_the_interaction() {
        let ctx = RenderContext::default();
        let p = ctx.event_params(&UiEvent::button_click("view_all"));
        assert_eq!(p["event_type"], "button_click");
        assert_eq!(p["action_id"], "view_all");
        assert_eq!(p["visitor_id"], "v_12345");
    }
}
