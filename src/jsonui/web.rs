//! What the real TGO web UI draws of a JSON-UI (its `PluginTemplateRenderer`), for the
//! console's web preview: the templates it lacks are a box saying "Unknown template" there.

use super::WEB_UI_UNSUPPORTED_TEMPLATES;
use super::model::Node;

/// Whether the web UI shows `node` as an unknown template.
pub fn web_lacks(node: &Node) -> bool {
    matches!(node, Node::Unknown { .. })
        || WEB_UI_UNSUPPORTED_TEMPLATES.contains(&node.template_name())
}

/// How many parts of `node` the web UI would not draw (a lacking part's own children are
/// not counted: the whole part is one box there).
pub fn web_missing(node: &Node) -> usize {
    if web_lacks(node) {
        return 1;
    }
    match node {
        Node::Group(g) => g.items.iter().map(web_missing).sum(),
        Node::Tabs(t) => t.items.iter().map(|tab| web_missing(&tab.content)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonui::parse_ui;
    use serde_json::json;

    #[test]
    fn lacking_parts_are_counted_once_each() {
        let ui = json!({"template": "group", "data": {"items": [
            {"template": "text", "data": {"text": "hi"}},
            {"template": "card", "data": {"title": "c"}},
            {"template": "tabs", "data": {"items": [
                {"key": "a", "label": "A", "content": {"template": "markdown", "data": {"content": "*x*"}}},
                {"key": "b", "label": "B", "content": {"template": "vr_headset", "data": {}}}]}},
            {"template": "action", "data": {"buttons": [{"id": "x", "label": "X"}]}}
        ]}});
        assert_eq!(web_missing(&parse_ui(&ui).value), 4);
        let fine = json!({"template": "table", "data": {"columns": [], "rows": []}});
        assert_eq!(web_missing(&parse_ui(&fine).value), 0);
    }
}
