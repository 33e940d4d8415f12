//! What changed between two JSON values, as a list of paths (`$.data.items[1].title`): the
//! render diff's first half. Arrays are compared index by index (JSON-UI rows and items keep
//! their places between renders far more often than they move), objects key by key.

use serde_json::Value;

/// One difference at a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Added {
        path: String,
        new: Value,
    },
    Removed {
        path: String,
        old: Value,
    },
    Changed {
        path: String,
        old: Value,
        new: Value,
    },
}

impl Change {
    pub fn path(&self) -> &str {
        match self {
            Change::Added { path, .. } | Change::Removed { path, .. } => path,
            Change::Changed { path, .. } => path,
        }
    }

    /// `+ path: value`, `- path: value`, `~ path: old → new`, values cut to `max` chars.
    pub fn line(&self, max: usize) -> String {
        let short = |v: &Value| crate::text::truncate_chars(&v.to_string(), max);
        match self {
            Change::Added { path, new } => format!("+ {path}: {}", short(new)),
            Change::Removed { path, old } => format!("- {path}: {}", short(old)),
            Change::Changed { path, old, new } => {
                format!("~ {path}: {} → {}", short(old), short(new))
            }
        }
    }
}

/// The differences from `old` to `new`, in document order, at most `limit` of them (the
/// second value says how many more there were).
pub fn diff(old: &Value, new: &Value, limit: usize) -> (Vec<Change>, usize) {
    let mut out = Vec::new();
    let mut more = 0;
    walk(old, new, &mut String::from("$"), limit, &mut out, &mut more);
    (out, more)
}

fn push(change: Change, limit: usize, out: &mut Vec<Change>, more: &mut usize) {
    if out.len() < limit {
        out.push(change);
    } else {
        *more += 1;
    }
}

fn walk(
    old: &Value,
    new: &Value,
    path: &mut String,
    limit: usize,
    out: &mut Vec<Change>,
    more: &mut usize,
) {
    let len = path.len();
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                key_path(path, k);
                match b.get(k) {
                    Some(vb) => walk(va, vb, path, limit, out, more),
                    None => push(
                        Change::Removed {
                            path: path.clone(),
                            old: va.clone(),
                        },
                        limit,
                        out,
                        more,
                    ),
                }
                path.truncate(len);
            }
            for (k, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                key_path(path, k);
                push(
                    Change::Added {
                        path: path.clone(),
                        new: vb.clone(),
                    },
                    limit,
                    out,
                    more,
                );
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                path.push_str(&format!("[{i}]"));
                match (a.get(i), b.get(i)) {
                    (Some(va), Some(vb)) => walk(va, vb, path, limit, out, more),
                    (Some(va), None) => push(
                        Change::Removed {
                            path: path.clone(),
                            old: va.clone(),
                        },
                        limit,
                        out,
                        more,
                    ),
                    (None, Some(vb)) => push(
                        Change::Added {
                            path: path.clone(),
                            new: vb.clone(),
                        },
                        limit,
                        out,
                        more,
                    ),
                    (None, None) => {}
                }
                path.truncate(len);
            }
        }
        (a, b) if a != b => push(
            Change::Changed {
                path: path.clone(),
                old: a.clone(),
                new: b.clone(),
            },
            limit,
            out,
            more,
        ),
        _ => {}
    }
}

/// `.key`, or `["odd key"]` when the key is not a plain identifier.
fn key_path(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", Value::from(key)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_are_named_by_path_in_document_order() {
        let old = json!({"template": "table", "data": {"rows": [["ORD-1", "Pending"]], "x": 1}});
        let new = json!({"template": "table", "data": {"rows": [["ORD-1", "Shipped"], ["ORD-2", "New"]], "y 2": true}});
        let (changes, more) = diff(&old, &new, 10);
        let lines: Vec<String> = changes.iter().map(|c| c.line(40)).collect();
        assert_eq!(
            lines,
            [
                "~ $.data.rows[0][1]: \"Pending\" → \"Shipped\"",
                "+ $.data.rows[1]: [\"ORD-2\",\"New\"]",
                "- $.data.x: 1",
                "+ $.data[\"y 2\"]: true",
            ]
        );
        assert_eq!(more, 0);
        assert_eq!(diff(&old, &old, 10).0, []);
    }

    #[test]
    fn a_limit_counts_what_it_leaves_out() {
        let old = json!([1, 2, 3, 4]);
        let new = json!([5, 6, 7, 8]);
        let (changes, more) = diff(&old, &new, 3);
        assert_eq!((changes.len(), more), (3, 1));
        assert_eq!(changes[2].path(), "$[2]");
    }
}
