//! Paths name JSON-UI nodes stably: group children by index (`"2"`), tab contents by `tab<i>`
//! (`"2.tab1"`), joined with dots; the root's path is empty. Below the drawers and the view
//! state, which all name nodes this way.

use crate::jsonui::Node;

/// `path` + `seg`.
pub(crate) fn child(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_string()
    } else {
        format!("{path}.{seg}")
    }
}

/// The id of a target that is a whole node (the root has an empty path).
pub(crate) fn node_id(path: &str) -> String {
    if path.is_empty() {
        "root".to_string()
    } else {
        path.to_string()
    }
}

/// Calls `f` on every node with its path, containers before their children, all tabs.
pub(crate) fn visit(node: &Node, path: &str, f: &mut dyn FnMut(&Node, &str)) {
    f(node, path);
    match node {
        Node::Group(g) => {
            for (i, item) in g.items.iter().enumerate() {
                visit(item, &child(path, &i.to_string()), f);
            }
        }
        Node::Tabs(t) => {
            for (i, tab) in t.items.iter().enumerate() {
                visit(&tab.content, &child(path, &format!("tab{i}")), f);
            }
        }
        _ => {}
    }
}

/// The node at `path`, if the tree still has one there.
pub(crate) fn node_at<'n>(root: &'n Node, path: &str) -> Option<&'n Node> {
    let mut node = root;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        node = match (node, seg.strip_prefix("tab")) {
            (Node::Tabs(t), Some(i)) => &t.items.get(i.parse::<usize>().ok()?)?.content,
            (Node::Group(g), None) => g.items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}
