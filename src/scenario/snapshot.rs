//! Golden snapshots: `{snapshot: NAME}` keeps `__snapshots__/<scenario stem>.<NAME>.snap`
//! beside the scenario, holding the answer's JSON (keys sorted, pretty) and the answer as the
//! console draws it at 80 columns. A missing or different one is written as `.snap.new` next
//! to it; `--update` accepts it. Differences are shown as a unified diff (the `similar` crate).

use serde_json::{Map, Value};
use similar::TextDiff;
use std::path::{Path, PathBuf};

/// Width the UI is drawn at in snapshots.
pub const SNAPSHOT_WIDTH: u16 = 80;

const HEADER: &str = "# tgo-console snapshot: accept a change with `tgo-console test --update`\n";

/// The snapshot text of an answer.
pub fn content(answer: &Value, drawn: Option<&str>) -> String {
    content_as(answer, drawn, crate::drawn::Drawing::default())
}

/// [`content`] drawn as `drawing` says (the header names the width and the web UI).
pub fn content_as(answer: &Value, drawn: Option<&str>, drawing: crate::drawn::Drawing) -> String {
    let json = serde_json::to_string_pretty(&canonical(answer)).unwrap_or_default();
    let mut out = String::from(HEADER);
    out.push_str("## answer\n");
    out.push_str(&crate::text::escape_json_controls(&json));
    out.push('\n');
    if let Some(drawn) = drawn {
        let web = if drawing.web {
            " as the TGO web UI"
        } else {
            ""
        };
        out.push_str(&format!("## drawn at {} columns{web}\n", drawing.width));
        out.push_str(drawn);
        out.push('\n');
    }
    out
}

/// `v` with every object's keys in sorted order, whatever order the plugin sent them in.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// What happened to one snapshot.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum SnapshotOutcome {
    /// Equal to the kept one.
    Matched,
    /// None was kept: the answer was written as `.snap.new` (the step fails).
    New { written: String },
    /// Different from the kept one: written as `.snap.new` (the step fails).
    Changed { written: String, diff: String },
    /// `--update`: written as the new snapshot.
    Created { written: String },
    /// `--update`: the kept one was replaced.
    Updated { written: String, diff: String },
    /// The file could not be read or written.
    Failed { error: String },
}

impl SnapshotOutcome {
    pub fn passed(&self) -> bool {
        matches!(
            self,
            SnapshotOutcome::Matched
                | SnapshotOutcome::Created { .. }
                | SnapshotOutcome::Updated { .. }
        )
    }
}

/// The snapshot files of one scenario.
#[derive(Clone, Debug)]
pub struct Snapshots {
    dir: PathBuf,
    stem: String,
    update: bool,
    /// How answers are drawn in them (the scenario's `renderer` and `width`).
    pub drawing: crate::drawn::Drawing,
}

impl Snapshots {
    /// Snapshots of the scenario `stem` in `scenario_dir/__snapshots__`; `update` accepts
    /// new and changed ones.
    pub fn new(scenario_dir: &Path, stem: &str, update: bool) -> Self {
        Self {
            dir: scenario_dir.join("__snapshots__"),
            stem: stem.to_string(),
            update,
            drawing: crate::drawn::Drawing::default(),
        }
    }

    /// The same snapshots drawn as `drawing` says.
    pub fn drawn_as(mut self, drawing: crate::drawn::Drawing) -> Self {
        self.drawing = drawing;
        self
    }

    /// The kept file of snapshot `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}.{name}.snap", self.stem))
    }

    fn new_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}.{name}.snap.new", self.stem))
    }

    /// Compares `text` with snapshot `name`, writing `.snap.new` or (with `update`) `.snap`.
    pub fn check(&self, name: &str, text: &str) -> SnapshotOutcome {
        let path = self.path(name);
        let new_path = self.new_path(name);
        let kept = match std::fs::read_to_string(&path) {
            Ok(k) => Some(k),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return SnapshotOutcome::Failed {
                    error: format!("cannot read {}: {e}", path.display()),
                };
            }
        };
        let write = |to: &Path| -> Result<String, SnapshotOutcome> {
            std::fs::create_dir_all(&self.dir)
                .and_then(|()| std::fs::write(to, text))
                .map(|()| shown(to))
                .map_err(|e| SnapshotOutcome::Failed {
                    error: format!("cannot write {}: {e}", to.display()),
                })
        };
        let outcome = match kept {
            Some(k) if k == text => SnapshotOutcome::Matched,
            Some(k) => {
                let diff = unified_diff(&k, text, &path, &new_path);
                let written = match write(if self.update { &path } else { &new_path }) {
                    Ok(w) => w,
                    Err(failed) => return failed,
                };
                if self.update {
                    SnapshotOutcome::Updated { written, diff }
                } else {
                    SnapshotOutcome::Changed { written, diff }
                }
            }
            None => {
                let written = match write(if self.update { &path } else { &new_path }) {
                    Ok(w) => w,
                    Err(failed) => return failed,
                };
                if self.update {
                    SnapshotOutcome::Created { written }
                } else {
                    SnapshotOutcome::New { written }
                }
            }
        };
        // A `.snap.new` left from an earlier run is stale once the kept file is right.
        if outcome.passed() {
            let _ = std::fs::remove_file(&new_path);
        }
        outcome
    }
}

/// A path as the user will type it: relative to the working directory when it is under it.
pub fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|c| path.strip_prefix(c).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// A unified diff of the kept snapshot against the new one.
pub fn unified_diff(old: &str, new: &str, old_path: &Path, new_path: &Path) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&shown(old_path), &shown(new_path))
        .to_string()
}

/// Colours a unified diff for a terminal: removed lines red, added green, hunks cyan.
pub fn colour_diff(diff: &str) -> String {
    diff.lines()
        .map(|l| {
            let code = if l.starts_with("+++") || l.starts_with("---") {
                "\x1b[1m"
            } else if l.starts_with('+') {
                "\x1b[32m"
            } else if l.starts_with('-') {
                "\x1b[31m"
            } else if l.starts_with("@@") {
                "\x1b[36m"
            } else {
                return l.to_string();
            };
            format!("{code}{l}\x1b[0m")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_whatever_the_plugin_sent() {
        let a = content(
            &json!({"b": 1, "a": {"d": 2, "c": [3, {"z": 1, "y": 2}]}}),
            None,
        );
        let b = content(
            &json!({"a": {"c": [3, {"y": 2, "z": 1}], "d": 2}, "b": 1}),
            None,
        );
        assert_eq!(a, b);
        assert!(a.find("\"a\"").unwrap() < a.find("\"b\"").unwrap(), "{a}");
    }

    #[test]
    fn new_changed_accepted() {
        let tmp = tempfile::tempdir().unwrap();
        let snaps = Snapshots::new(tmp.path(), "orders", false);
        let one = content(&json!({"x": 1}), Some("drawn one"));
        let two = content(&json!({"x": 2}), Some("drawn two"));
        let SnapshotOutcome::New { written } = snaps.check("panel", &one) else {
            panic!()
        };
        assert!(
            written.ends_with("__snapshots__/orders.panel.snap.new"),
            "{written}"
        );
        assert!(!snaps.path("panel").exists());

        let update = Snapshots::new(tmp.path(), "orders", true);
        assert!(matches!(
            update.check("panel", &one),
            SnapshotOutcome::Created { .. }
        ));
        assert!(
            !tmp.path()
                .join("__snapshots__/orders.panel.snap.new")
                .exists()
        );
        assert_eq!(snaps.check("panel", &one), SnapshotOutcome::Matched);

        let SnapshotOutcome::Changed { diff, .. } = snaps.check("panel", &two) else {
            panic!()
        };
        assert!(diff.contains("-  \"x\": 1\n+  \"x\": 2"), "{diff}");
        assert!(diff.contains("-drawn one\n+drawn two"), "{diff}");
        assert_eq!(
            std::fs::read_to_string(snaps.path("panel")).unwrap(),
            one,
            "a mismatch never touches the kept file"
        );
        assert!(matches!(
            update.check("panel", &two),
            SnapshotOutcome::Updated { .. }
        ));
        assert_eq!(snaps.check("panel", &two), SnapshotOutcome::Matched);
    }

    #[test]
    fn colour_only_marks_diff_lines() {
        let c = colour_diff("--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z");
        assert!(c.contains("\x1b[31m-x\x1b[0m") && c.contains("\x1b[32m+y\x1b[0m"));
        assert!(c.ends_with("\n z"));
    }
}
