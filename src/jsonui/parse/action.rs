//! JSON-ACTION: the actions (`{"action", "data"}`), read with the generic [`Reader`].

use serde_json::{Map, Value};

use super::WEB_UI_UNSUPPORTED_ACTIONS;
use super::reader::{Obj, Reader, kind_of};
use crate::jsonui::action::{Action, ContentType, KNOWN_ACTIONS, ToastKind};
use crate::jsonui::diag::quote;
use crate::jsonui::model::Node;

impl Reader {
    pub(super) fn action(&mut self, v: &Value, path: String, depth: usize) -> Action {
        if self.too_deep(&path, depth) {
            return Action::Invalid { raw: v.clone() };
        }
        let Value::Object(map) = v else {
            self.error(
                &path,
                format!(
                    "expected a JSON-ACTION object {{\"action\", \"data\"}}, found {}",
                    kind_of(v)
                ),
            );
            return Action::Invalid { raw: v.clone() };
        };
        let mut envelope = Obj::new(map, path, depth);
        let action = self.action_in(&mut envelope, v);
        envelope.finish(self);
        action
    }

    fn action_in(&mut self, envelope: &mut Obj<'_>, raw: &Value) -> Action {
        let invalid = || Action::Invalid { raw: raw.clone() };
        let name_path = envelope.at("action");
        let data = envelope.take("data");
        let name = match envelope.take("action") {
            None => {
                self.error(&name_path, "missing required field \"action\"");
                return invalid();
            }
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                self.error(
                    &name_path,
                    format!("expected an action name (string), found {}", kind_of(other)),
                );
                return invalid();
            }
        };
        if !KNOWN_ACTIONS.contains(&name) {
            self.error(&name_path, format!("unknown action {}", quote(name)));
            return Action::Unknown {
                name: name.to_string(),
                raw: raw.clone(),
            };
        }
        if WEB_UI_UNSUPPORTED_ACTIONS.contains(&name) {
            self.warn(
                &name_path,
                format!(
                    "the {} action is not carried out by the TGO web UI (it ignores it silently){}",
                    quote(name),
                    if name == "batch" {
                        "; send one action per event instead"
                    } else {
                        ""
                    }
                ),
            );
        }
        let data_path = envelope.at("data");
        // Actions without fields (refresh, noop…) are often sent without `data`: accept that.
        let empty = Map::new();
        let mut d = match data {
            None => {
                self.warn(&data_path, "missing field \"data\" (treated as {})");
                Obj::new(&empty, data_path, envelope.depth + 1)
            }
            Some(v) => match self.object_at(v, data_path, envelope.depth + 1) {
                Some(d) => d,
                None => return invalid(),
            },
        };
        let action = match name {
            "open_url" => {
                let url = d.req_str(self, "url");
                if !url.is_empty() {
                    self.check_url(&d.at("url"), &url);
                }
                Action::OpenUrl {
                    url,
                    target: d.opt_enum(self, "target"),
                }
            }
            "insert_text" => Action::InsertText {
                text: d.req_str(self, "text"),
                replace: d.opt_bool(self, "replace"),
            },
            "send_message" => Action::SendMessage {
                content: d.req_str(self, "content"),
                content_type: d
                    .opt_enum(self, "content_type")
                    .unwrap_or(ContentType::Text),
            },
            "show_toast" => Action::ShowToast {
                message: d.req_str(self, "message"),
                kind: d.opt_enum(self, "type").unwrap_or(ToastKind::Info),
                duration_ms: d.opt_u64(self, "duration"),
            },
            "copy_text" => Action::CopyText {
                text: d.req_str(self, "text"),
            },
            "refresh" => Action::Refresh,
            "close_modal" => Action::CloseModal,
            "show_modal" => {
                let title = d.opt_str(self, "title");
                let content = if self.too_deep(&d.path, d.depth) {
                    d.take("template");
                    d.take("data");
                    Node::Invalid {
                        raw: data.cloned().unwrap_or(Value::Null),
                    }
                } else {
                    let nested_raw = data.cloned().unwrap_or(Value::Null);
                    self.node_in(&mut d, &nested_raw)
                };
                Action::ShowModal {
                    title,
                    content: Box::new(content),
                }
            }
            "batch" => {
                let mut actions = Vec::new();
                if let Some(arr) = d.array(self, "actions", true) {
                    for (v, path, depth) in arr.iter() {
                        actions.push(self.action(v, path, depth));
                    }
                }
                Action::Batch(actions)
            }
            "noop" => Action::Noop,
            _ => unreachable!("every KNOWN_ACTIONS name is handled"),
        };
        d.finish(self);
        action
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jsonui::interact::{InteractionKind, buttons};
    use crate::jsonui::model::*;
    use crate::jsonui::parse::test_support::*;
    use crate::jsonui::parse::{MAX_DEPTH, parse_action};

    #[test]
    fn every_action_parses() {
        assert_eq!(
            clean_action(json!({"action": "open_url", "data": {
                "url": "https://crm.example.com/orders?visitor=v1", "target": "_blank"}})),
            Action::OpenUrl {
                url: "https://crm.example.com/orders?visitor=v1".into(),
                target: Some(LinkTarget::Blank),
            }
        );
        assert_eq!(
            clean_action(json!({"action": "insert_text", "data": {"text": "hi", "replace": true}})),
            Action::InsertText {
                text: "hi".into(),
                replace: true
            }
        );
        assert_eq!(
            clean_action(json!({"action": "send_message", "data": {
                "content": "**hi**", "content_type": "markdown"}})),
            Action::SendMessage {
                content: "**hi**".into(),
                content_type: ContentType::Markdown,
            }
        );
        assert_eq!(
            clean_action(json!({"action": "show_toast", "data": {
                "message": "Saved", "type": "success", "duration": 3000}})),
            Action::ShowToast {
                message: "Saved".into(),
                kind: ToastKind::Success,
                duration_ms: Some(3000),
            }
        );
        assert_eq!(
            clean_action(json!({"action": "show_toast", "data": {"message": "m"}})),
            Action::ShowToast {
                message: "m".into(),
                kind: ToastKind::Info,
                duration_ms: None,
            }
        );
        assert_eq!(
            clean_action(json!({"action": "copy_text", "data": {"text": "ORD-1"}})),
            Action::CopyText {
                text: "ORD-1".into()
            }
        );
        assert_eq!(
            clean_action(json!({"action": "refresh", "data": {}})),
            Action::Refresh
        );
        assert_eq!(
            clean_action(json!({"action": "close_modal", "data": {}})),
            Action::CloseModal
        );
        assert_eq!(
            clean_action(json!({"action": "noop", "data": {}})),
            Action::Noop
        );
        assert_eq!(
            clean_action(json!({"action": "show_modal", "data": {
                "title": "Order", "template": "text", "data": {"text": "details"}}})),
            Action::ShowModal {
                title: Some("Order".into()),
                content: Box::new(Node::Text(Text {
                    text: "details".into(),
                    kind: TextType::Default,
                    copyable: false,
                    size: None,
                    bold: false,
                    color: None,
                })),
            }
        );
    }

    #[test]
    fn batch_with_nested_show_modal() {
        let p = parse_action(&json!({"action": "batch", "data": {"actions": [
            {"action": "show_toast", "data": {"message": "ok"}},
            {"action": "show_modal", "data": {"title": "T", "template": "group", "data": {
                "items": [{"template": "button", "data": {"label": "Go", "action_id": "go"}}]
            }}},
            {"action": "batch", "data": {"actions": [{"action": "refresh", "data": {}}]}}
        ]}}));
        assert!(lines(&p).is_empty(), "{:?}", lines(&p));
        let Action::Batch(actions) = &p.value else {
            panic!()
        };
        let names: Vec<&str> = actions.iter().map(Action::name).collect();
        assert_eq!(names, ["show_toast", "show_modal", "batch"]);
        let Action::ShowModal { title, content } = &actions[1] else {
            panic!()
        };
        assert_eq!(title.as_deref(), Some("T"));
        assert_eq!(
            buttons(content)[0].kind,
            InteractionKind::ButtonClick {
                action_id: "go".into()
            }
        );
        assert_eq!(actions[2], Action::Batch(vec![Action::Refresh]));
    }

    #[test]
    fn action_errors_and_warnings() {
        let cases: [(Value, &[&str]); 9] = [
            (
                json!({"action": "open_url", "data": {}}),
                &["error $.data.url: missing required field \"url\""],
            ),
            (
                json!({"action": "show_toast", "data": {"type": "meh"}}),
                &[
                    "error $.data.message: missing required field \"message\"",
                    "warning $.data.type: unknown value \"meh\" (expected one of: success, \
                     error, warning, info)",
                ],
            ),
            (
                json!({"action": "copy_text", "data": {}}),
                &["error $.data.text: missing required field \"text\""],
            ),
            (
                json!({"action": "show_modal", "data": {"title": "t"}}),
                &["error $.data.template: missing required field \"template\""],
            ),
            (
                json!({"action": "open_url", "data": {"url": "file:///etc/passwd"}}),
                &["warning $.data.url: URL \"file:///etc/passwd\" is not http(s), mailto or tel"],
            ),
            (
                json!({"action": "refresh"}),
                &["warning $.data: missing field \"data\" (treated as {})"],
            ),
            (
                json!({"data": {}}),
                &["error $.action: missing required field \"action\""],
            ),
            (
                json!({"action": "noop", "data": {"why": 1}}),
                &["warning $.data.why: unknown field \"why\""],
            ),
            (
                json!({"action": "batch", "data": {"actions": [{"action": "open_url",
                    "data": {"url": "https://x", "target": "_top"}}]}}),
                &[
                    "warning $.data.actions[0].data.target: unknown value \"_top\" (expected \
                   one of: _blank, _self)",
                ],
            ),
        ];
        for (v, expected) in cases {
            assert_eq!(lines(&parse_action(&v)), expected, "{v}");
        }
    }

    #[test]
    fn unknown_action_is_an_error_and_kept_raw() {
        let v = json!({"action": "launch_rocket", "data": {"when": "now"}});
        let p = parse_action(&v);
        assert_eq!(
            lines(&p),
            ["error $.action: unknown action \"launch_rocket\""]
        );
        assert_eq!(
            p.value,
            Action::Unknown {
                name: "launch_rocket".into(),
                raw: v
            }
        );
        let p = parse_action(&json!([1]));
        assert!(matches!(p.value, Action::Invalid { .. }));
        assert!(p.has_errors());
    }

    #[test]
    fn deeply_nested_batches_stop_with_one_error() {
        let open = r#"{"action":"batch","data":{"actions":["#;
        let text = format!("{}{{}}{}", open.repeat(40), "]}}".repeat(40));
        let v: Value = serde_json::from_str(&text).unwrap();
        let p = parse_action(&v);
        assert_eq!(p.errors().count(), 1);
        assert_eq!(
            p.errors().next().unwrap().message,
            format!("nesting deeper than {MAX_DEPTH} levels")
        );
    }
}
