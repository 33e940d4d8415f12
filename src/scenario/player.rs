//! Turns a scenario step into the request the console would send for it, against what is on
//! screen (the last render, or the modal an event opened), and follows what each answer
//! changes on screen. Pure: no host, no files; the runner sends, the console could too.

use super::format::{ContextSpec, SelectTarget, StepAction};
use crate::host::context::capability_render_params;
use crate::host::{Capability, CapabilityKind, RenderContext, UiEvent};
use crate::jsonui::{self, Action, FieldType, Form, InteractionKind, Node};
use serde_json::{Map, Value};

/// What kind of answer a request gets, so it is validated and drawn as the console would.
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerKind {
    /// JSON-UI of a capability of this type.
    Ui { capability: CapabilityKind },
    /// A configuration object (`sidebar_iframe/config`, `channel_integration/manifest`).
    Config,
    /// JSON-ACTION answering an event of a capability of this type.
    Action { capability: CapabilityKind },
    /// `tool/execute`: `{success, content, data?, error?}`.
    Tool,
    /// Anything else.
    Other,
}

impl AnswerKind {
    /// What a method's answer is, told by its name.
    pub fn of_method(method: &str) -> Self {
        match method {
            "tool/execute" => AnswerKind::Tool,
            "sidebar_iframe/config" | "channel_integration/manifest" => AnswerKind::Config,
            m => match m.rsplit_once('/') {
                Some((cap, "render")) if CapabilityKind::from(cap).renders_json_ui() => {
                    AnswerKind::Ui {
                        capability: cap.into(),
                    }
                }
                Some((cap, "event")) => AnswerKind::Action {
                    capability: cap.into(),
                },
                _ => AnswerKind::Other,
            },
        }
    }

    /// `self`, or for [`Other`](Self::Other) what the answer looks like: a `call` of an
    /// unknown method may still answer JSON-UI or JSON-ACTION (of no known capability).
    pub fn or_by_shape(self, value: &Value) -> Self {
        let unknown = || CapabilityKind::Other(String::new());
        match self {
            AnswerKind::Other if value.get("template").is_some() => AnswerKind::Ui {
                capability: unknown(),
            },
            AnswerKind::Other if value.get("action").is_some() => AnswerKind::Action {
                capability: unknown(),
            },
            k => k,
        }
    }
}

/// Why a step cannot be sent against what the plugin registered and what is on screen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    #[error("nothing is shown: render a capability first")]
    NothingShown,
    /// `registered`: each capability as `type "title"`.
    #[error("no capability \"{target}\" (by title or type); {known}", known = list_or_none("the plugin registered", .registered))]
    NoCapability {
        target: String,
        registered: Vec<String>,
    },
    #[error("{0} has nothing to render: call its tools with tool steps")]
    NothingToRender(CapabilityKind),
    /// `buttons`: each as `action_id ("label")`.
    #[error("no button \"{target}\" in what is shown; {known}", known = list_or_none("buttons", .buttons))]
    NoButton {
        target: String,
        buttons: Vec<String>,
    },
    #[error("button \"{0}\" is disabled")]
    ButtonDisabled(String),
    /// `at`: `row N`, `id "ID"` or `label "TEXT"`; `selectable`: each as `N: id ("label")`.
    #[error("nothing to select at {at} in what is shown (rows and items need an id); {known}", known = list_or_none("selectable", .selectable))]
    NothingToSelect { at: String, selectable: Vec<String> },
    #[error("no form \"{name}\" in what is shown; {known}", known = list_or_none("forms", .forms))]
    NoForm { name: String, forms: Vec<String> },
    #[error("say which form to submit (submit: {{form: ACTION_ID, data: …}}); {known}", known = list_or_none("forms", .0))]
    WhichForm(Vec<String>),
    #[error("the form has no field \"{field}\"; {known}", known = list_or_none("fields", .fields))]
    NoField { field: String, fields: Vec<String> },
    #[error(
        "required field \"{0}\" is empty: give it a value in data (the console would not submit)"
    )]
    RequiredEmpty(String),
    #[error("the plugin registered no tool \"{name}\"; {known}", known = list_or_none("tools", .tools))]
    NoTool { name: String, tools: Vec<String> },
}

/// A request ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    pub method: String,
    pub params: Value,
    pub answer: AnswerKind,
}

/// What is on screen: the last JSON-UI rendered, and a modal an event opened over it.
#[derive(Clone, Debug)]
struct Shown {
    capability: CapabilityKind,
    node: Node,
    modal: Option<Node>,
}

/// Plays steps against one registered plugin.
#[derive(Clone, Debug)]
pub struct Player {
    ctx: RenderContext,
    context: ContextSpec,
    caps: Vec<Capability>,
    shown: Option<Shown>,
}

impl Player {
    pub fn new(context: &ContextSpec, caps: Vec<Capability>) -> Self {
        Self {
            ctx: context.render_context(),
            context: context.clone(),
            caps,
            shown: None,
        }
    }

    /// The plugin's capabilities, as registered.
    pub fn capabilities(&self) -> &[Capability] {
        &self.caps
    }

    /// The render context the steps are sent with.
    pub fn context(&self) -> &RenderContext {
        &self.ctx
    }

    /// What clicks, selections and submits act on: the open modal, else the last render.
    pub fn shown(&self) -> Option<&Node> {
        self.shown
            .as_ref()
            .map(|s| s.modal.as_ref().unwrap_or(&s.node))
    }

    /// The request for `action`, or why it cannot be sent (no such capability, button, form…).
    pub fn prepare(&self, action: &StepAction) -> Result<Prepared, PrepareError> {
        match action {
            StepAction::Render(target) => self.render(target),
            StepAction::Click(target) => {
                let (capability, ui) = self.on_screen()?;
                let buttons = jsonui::buttons(ui);
                let id_of = |b: &jsonui::Interaction| match &b.kind {
                    InteractionKind::ButtonClick { action_id } => action_id.clone(),
                    _ => String::new(),
                };
                let found = buttons
                    .iter()
                    .find(|b| id_of(b) == *target)
                    .or_else(|| buttons.iter().find(|b| b.label == *target))
                    .ok_or_else(|| PrepareError::NoButton {
                        target: target.clone(),
                        buttons: buttons
                            .iter()
                            .map(|b| format!("{} (\"{}\")", id_of(b), b.label))
                            .collect(),
                    })?;
                if found.disabled {
                    return Err(PrepareError::ButtonDisabled(target.clone()));
                }
                Ok(self.event(capability, UiEvent::button_click(&id_of(found))))
            }
            StepAction::Select(target) => {
                let (capability, ui) = self.on_screen()?;
                let items: Vec<(Option<String>, String, String)> = jsonui::interactions(ui)
                    .into_iter()
                    .filter_map(|i| match i.kind {
                        InteractionKind::ItemSelect {
                            action_id,
                            selected_id,
                        } => Some((action_id, selected_id, i.label)),
                        _ => None,
                    })
                    .collect();
                let found = match target {
                    SelectTarget::Row(n) => items.get(*n),
                    SelectTarget::Id(id) => items.iter().find(|(_, s, _)| s == id),
                    SelectTarget::Label(l) => items.iter().find(|(_, _, label)| label == l),
                };
                let (action_id, selected_id, _) =
                    found.ok_or_else(|| PrepareError::NothingToSelect {
                        at: match target {
                            SelectTarget::Row(n) => format!("row {n}"),
                            SelectTarget::Id(id) => format!("id \"{id}\""),
                            SelectTarget::Label(l) => format!("label \"{l}\""),
                        },
                        selectable: items
                            .iter()
                            .enumerate()
                            .map(|(i, (_, id, label))| format!("{i}: {id} (\"{label}\")"))
                            .collect(),
                    })?;
                let event = UiEvent {
                    event_type: "item_select".into(),
                    action_id: action_id.clone().unwrap_or_default(),
                    selected_id: Some(selected_id.clone()),
                    form_data: Map::new(),
                };
                Ok(self.event(capability, event))
            }
            StepAction::Submit { form, data } => {
                let (capability, ui) = self.on_screen()?;
                let form = find_form(ui, form.as_deref())?;
                let event = UiEvent {
                    event_type: "form_submit".into(),
                    action_id: form.action_id.clone().unwrap_or_else(|| "submit".into()),
                    selected_id: None,
                    form_data: fill_form(form, data)?,
                };
                Ok(self.event(capability, event))
            }
            StepAction::Tool { name, arguments } => {
                let tools: Vec<&str> = self
                    .caps
                    .iter()
                    .filter(|c| c.kind == CapabilityKind::McpTools)
                    .flat_map(|c| c.tools.iter().map(|t| t.name.as_str()))
                    .collect();
                if !tools.contains(&name.as_str()) {
                    return Err(PrepareError::NoTool {
                        name: name.clone(),
                        tools: tools.iter().map(|t| t.to_string()).collect(),
                    });
                }
                Ok(Prepared {
                    method: "tool/execute".into(),
                    params: self.ctx.tool_params(name, arguments.clone()),
                    answer: AnswerKind::Tool,
                })
            }
            StepAction::Call { method, params } => Ok(Prepared {
                method: method.clone(),
                params: params.clone(),
                answer: AnswerKind::of_method(method),
            }),
        }
    }

    /// Follows an answer: a render replaces what is shown (a failed one clears it), an event's
    /// `show_modal` / `close_modal` open and close the modal.
    pub fn observe(&mut self, prepared: &Prepared, result: Option<&Value>) {
        match (&prepared.answer, result) {
            (AnswerKind::Ui { capability }, Some(v)) => {
                self.shown = Some(Shown {
                    capability: capability.clone(),
                    node: jsonui::parse_ui(v).value,
                    modal: None,
                });
            }
            (AnswerKind::Ui { .. }, None) => self.shown = None,
            (AnswerKind::Action { .. }, Some(v)) => {
                if let Some(shown) = self.shown.as_mut() {
                    follow(&jsonui::parse_action(v).value, &mut shown.modal);
                }
            }
            _ => {}
        }
    }

    fn render(&self, target: &str) -> Result<Prepared, PrepareError> {
        let index = self
            .caps
            .iter()
            .position(|c| c.title == target)
            .or_else(|| self.caps.iter().position(|c| c.kind.as_str() == target))
            .ok_or_else(|| PrepareError::NoCapability {
                target: target.to_string(),
                registered: self
                    .caps
                    .iter()
                    .map(|c| format!("{} \"{}\"", c.kind, c.title))
                    .collect(),
            })?;
        let kind = &self.caps[index].kind;
        let method = kind
            .render_method()
            .ok_or_else(|| PrepareError::NothingToRender(kind.clone()))?;
        let mut params = capability_render_params(&self.ctx, &self.caps, index);
        self.context.apply_visitor(&mut params);
        let answer = if kind.renders_json_ui() {
            AnswerKind::Ui {
                capability: kind.clone(),
            }
        } else {
            AnswerKind::Config
        };
        Ok(Prepared {
            method,
            params,
            answer,
        })
    }

    fn on_screen(&self) -> Result<(&CapabilityKind, &Node), PrepareError> {
        let shown = self.shown.as_ref().ok_or(PrepareError::NothingShown)?;
        Ok((
            &shown.capability,
            shown.modal.as_ref().unwrap_or(&shown.node),
        ))
    }

    fn event(&self, capability: &CapabilityKind, event: UiEvent) -> Prepared {
        Prepared {
            method: capability.event_method(),
            params: self.ctx.event_params(&event),
            answer: AnswerKind::Action {
                capability: capability.clone(),
            },
        }
    }
}

fn list_or_none(what: &str, items: &[String]) -> String {
    if items.is_empty() {
        format!("{what}: none")
    } else {
        format!("{what}: {}", items.join(", "))
    }
}

/// Applies an action's effect on the modal (batch members in order).
fn follow(action: &Action, modal: &mut Option<Node>) {
    match action {
        Action::ShowModal { content, .. } => *modal = Some((**content).clone()),
        Action::CloseModal => *modal = None,
        Action::Batch(actions) => actions.iter().for_each(|a| follow(a, modal)),
        _ => {}
    }
}

/// The form named by action id or title, or the only one.
fn find_form<'a>(ui: &'a Node, name: Option<&str>) -> Result<&'a Form, PrepareError> {
    let forms = jsonui::forms(ui);
    let id = |f: &Form| f.action_id.clone().unwrap_or_else(|| "submit".into());
    let found = match name {
        Some(n) => forms
            .iter()
            .find(|f| id(f) == n)
            .or_else(|| forms.iter().find(|f| f.title.as_deref() == Some(n))),
        None if forms.len() == 1 => forms.first(),
        None => None,
    };
    found.copied().ok_or_else(|| {
        let known: Vec<String> = forms
            .iter()
            .map(|f| match &f.title {
                Some(t) => format!("{} (\"{t}\")", id(f)),
                None => id(f),
            })
            .collect();
        match name {
            Some(n) => PrepareError::NoForm {
                name: n.to_string(),
                forms: known,
            },
            None => PrepareError::WhichForm(known),
        }
    })
}

/// The form's untouched values with `data` typed in; every key must be a field, and required
/// fields must end up filled (the console refuses to submit otherwise).
fn fill_form(form: &Form, data: &Map<String, Value>) -> Result<Map<String, Value>, PrepareError> {
    let mut values = jsonui::default_form_data(form);
    for (k, v) in data {
        if !form.fields.iter().any(|f| f.name == *k) {
            return Err(PrepareError::NoField {
                field: k.clone(),
                fields: form.fields.iter().map(|f| f.name.clone()).collect(),
            });
        }
        values.insert(k.clone(), v.clone());
    }
    for field in form.fields.iter().filter(|f| f.required) {
        let empty = match values.get(&field.name) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Bool(b)) => field.kind == FieldType::Checkbox && !b,
            Some(_) => false,
        };
        if empty {
            return Err(PrepareError::RequiredEmpty(field.name.clone()));
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::register::parse_register;
    use serde_json::json;

    fn caps() -> Vec<Capability> {
        parse_register(Some(&json!({"name": "p", "version": "1", "capabilities": [
            {"type": "visitor_panel", "title": "Orders"},
            {"type": "visitor_panel", "title": "Second"},
            {"type": "chat_toolbar", "title": "Notes"},
            {"type": "mcp_tools", "title": "Tools", "tools": [{"name": "lookup", "title": "L"}]}
        ]})))
        .unwrap()
        .capabilities
    }

    fn player() -> Player {
        let ctx = ContextSpec {
            visitor_id: Some("v_42".into()),
            ..Default::default()
        };
        Player::new(&ctx, caps())
    }

    #[test]
    fn render_by_title_or_type() {
        let p = player();
        let r = p.prepare(&StepAction::Render("Second".into())).unwrap();
        assert_eq!(r.method, "visitor_panel/render");
        assert_eq!(r.params["capability_index"], 1);
        assert_eq!(r.params["visitor_id"], "v_42");
        let r = p
            .prepare(&StepAction::Render("chat_toolbar".into()))
            .unwrap();
        assert_eq!(r.method, "chat_toolbar/render");
        assert_eq!(
            r.answer,
            AnswerKind::Ui {
                capability: CapabilityKind::ChatToolbar
            }
        );
        let e = p.prepare(&StepAction::Render("nope".into())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no capability \"nope\" (by title or type); the plugin registered: visitor_panel \"Orders\", visitor_panel \"Second\", chat_toolbar \"Notes\", mcp_tools \"Tools\""
        );
        assert_eq!(
            p.prepare(&StepAction::Render("mcp_tools".into()))
                .unwrap_err()
                .to_string(),
            "mcp_tools has nothing to render: call its tools with tool steps"
        );
        assert!(p.prepare(&StepAction::Render("mcp_tools".into())).is_err());
    }

    #[test]
    fn clicks_selects_and_submits_act_on_what_is_shown() {
        let mut p = player();
        assert_eq!(
            p.prepare(&StepAction::Click("x".into()))
                .unwrap_err()
                .to_string(),
            "nothing is shown: render a capability first"
        );
        let render = p.prepare(&StepAction::Render("Orders".into())).unwrap();
        p.observe(&render, Some(&json!({"template": "group", "data": {"items": [
            {"template": "table", "data": {"columns": [{"key": "n", "label": "N"}],
                "rows": [{"id": "r1", "n": "one"}, {"id": "r2", "n": "two"}],
                "row_click_action": "open"}},
            {"template": "button", "data": {"label": "View all", "action_id": "view_all"}},
            {"template": "form", "data": {"action_id": "create", "fields": [
                {"name": "title", "label": "Title", "required": true},
                {"name": "priority", "label": "P", "type": "select", "default": "low",
                 "options": [{"value": "low", "label": "Low"}, {"value": "high", "label": "High"}]}
            ]}}
        ]}})));
        let c = p.prepare(&StepAction::Click("View all".into())).unwrap();
        assert_eq!(c.method, "visitor_panel/event");
        assert_eq!(c.params["action_id"], "view_all");
        assert_eq!(c.params["event_type"], "button_click");
        let e = p.prepare(&StepAction::Click("nope".into())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no button \"nope\" in what is shown; buttons: view_all (\"View all\")"
        );

        let s = p
            .prepare(&StepAction::Select(SelectTarget::Row(1)))
            .unwrap();
        assert_eq!(s.params["selected_id"], "r2");
        assert_eq!(s.params["action_id"], "open");

        let submit = |data: Value| StepAction::Submit {
            form: Some("create".into()),
            data: data.as_object().unwrap().clone(),
        };
        let f = p.prepare(&submit(json!({"title": "hello"}))).unwrap();
        assert_eq!(
            f.params["form_data"],
            json!({"title": "hello", "priority": "low"})
        );
        assert_eq!(
            p.prepare(&submit(json!({}))).unwrap_err().to_string(),
            "required field \"title\" is empty: give it a value in data (the console would not submit)"
        );
        assert_eq!(
            p.prepare(&submit(json!({"title": "x", "titel": "y"})))
                .unwrap_err()
                .to_string(),
            "the form has no field \"titel\"; fields: title, priority"
        );
        let anonymous = StepAction::Submit {
            form: None,
            data: json!({"title": "t"}).as_object().unwrap().clone(),
        };
        assert!(p.prepare(&anonymous).is_ok(), "the only form");
        let other = StepAction::Submit {
            form: Some("edit".into()),
            data: Map::new(),
        };
        assert_eq!(
            p.prepare(&other).unwrap_err().to_string(),
            "no form \"edit\" in what is shown; forms: create"
        );
        assert_eq!(
            p.prepare(&StepAction::Select(SelectTarget::Id("r9".into())))
                .unwrap_err()
                .to_string(),
            "nothing to select at id \"r9\" in what is shown (rows and items need an id); selectable: 0: r1 (\"one\"), 1: r2 (\"two\")"
        );

        // A modal opened by an event is what the next click acts on; close_modal goes back.
        p.observe(
            &c,
            Some(&json!({"action": "show_modal", "data": {"title": "M",
            "template": "button", "data": {"label": "OK", "action_id": "ok"}}})),
        );
        assert!(p.prepare(&StepAction::Click("ok".into())).is_ok());
        assert!(p.prepare(&StepAction::Click("view_all".into())).is_err());
        p.observe(&c, Some(&json!({"action": "close_modal", "data": {}})));
        assert!(p.prepare(&StepAction::Click("view_all".into())).is_ok());
    }

    #[test]
    fn tools_must_be_registered() {
        let p = player();
        let t = p
            .prepare(&StepAction::Tool {
                name: "lookup".into(),
                arguments: json!({"q": 1}),
            })
            .unwrap();
        assert_eq!(t.params["tool_name"], "lookup");
        assert_eq!(t.params["arguments"], json!({"q": 1}));
        let e = p
            .prepare(&StepAction::Tool {
                name: "nope".into(),
                arguments: json!({}),
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the plugin registered no tool \"nope\"; tools: lookup"
        );
    }

    #[test]
    fn answer_kind_by_method() {
        assert_eq!(
            AnswerKind::of_method("chat_toolbar/event"),
            AnswerKind::Action {
                capability: CapabilityKind::ChatToolbar
            }
        );
        assert_eq!(AnswerKind::of_method("ping"), AnswerKind::Other);
        assert_eq!(
            AnswerKind::of_method("sidebar_iframe/config"),
            AnswerKind::Config
        );
    }
}
