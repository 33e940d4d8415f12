//! `tgo-console new`: the plugins it writes run, pass `check` with no warning, and do what their
//! scenario file says (real binary, real plugin processes).

mod common;

use common::{BIN, start_host};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use tgo_console::host::context::{event_method, render_method};
use tgo_console::host::{Outcome, RenderContext, UiEvent};
use tgo_console::jsonui::{self, InteractionKind};
use tgo_console::launcher::{ChildPlugin, manifest};

fn tgo(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .env("XDG_STATE_HOME", dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("tgo-console runs")
}

/// The language's runtime is on PATH; otherwise says why its test is skipped.
fn have(program: &str, language: &str) -> bool {
    let arg = if program == "go" {
        "version"
    } else {
        "--version"
    };
    let found = Command::new(program).arg(arg).output().is_ok();
    if !found {
        eprintln!("skipped: `{program}` is not on PATH, so the {language} scaffold is not run");
    }
    found
}

/// Scaffolds `language` as `name` into a fresh directory (building it for Go).
fn scaffold(language: &str, name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plugin");
    let dir_arg = dir.display().to_string();
    let out = tgo(&["new", language, &dir_arg, "--name", name], tmp.path());
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("{name}.scenario.yml")), "{stdout}");
    if language == "go" {
        let build = Command::new("go")
            .args(["build", "-o", "plugin", "./cmd/plugin"])
            .current_dir(&dir)
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "-mod=mod")
            .output()
            .unwrap();
        assert!(build.status.success(), "go build: {build:?}");
    }
    tmp
}

fn check_passes_clean(language: &str) {
    let tmp = scaffold(language, "hello-tgo");
    let dir = tmp.path().join("plugin").display().to_string();
    let socket = tmp.path().join("tgo.sock").display().to_string();
    let out = tgo(&["check", "--socket", &socket, &dir], tmp.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{language}: {text}\n{out:?}");
    for expected in [
        "hello-tgo 0.1.0 as com.example.hello-tgo",
        "button [primary] \"Say hello\" → greet",
        "show_toast [success] \"Hello, v_12345!\"",
        "form \"Add a note\" (1 fields) → add_note",
        "PASS  shutdown",
        "exited by itself",
        "8 passed, 0 warnings, 0 failed",
    ] {
        assert!(
            text.contains(expected),
            "{language}: no {expected:?} in\n{text}"
        );
    }
}

#[test]
fn python_scaffold_passes_check_with_no_warning() {
    check_passes_clean("python");
}

#[test]
fn node_scaffold_passes_check_with_no_warning() {
    if have("node", "Node.js") {
        check_passes_clean("node");
    }
}

#[test]
fn go_scaffold_builds_and_passes_check_with_no_warning() {
    if have("go", "Go") {
        check_passes_clean("go");
    }
}

#[test]
fn new_refuses_a_non_empty_directory_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "keep me").unwrap();
    let dir_arg = dir.display().to_string();
    let out = tgo(&["new", "python", &dir_arg], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not empty (1 entries); nothing written") && err.contains("--force"),
        "{err}"
    );
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&dir), ["notes.txt"]);

    let out = tgo(&["new", "python", &dir_arg, "--force"], tmp.path());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        names(&dir),
        ["main.py", "mine.scenario.yml", "notes.txt", "plugin.yml"]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "keep me"
    );
}

// --------------------------------------------------------------------------------------------
// A stand-in for `tgo-console test` (issue 13), which does not exist yet: it plays the steps and
// expectations the scaffold's scenario uses (and fails on any other), so the file cannot drift
// from the plugins it ships with.

/// Values at a JSONPath made of `$`, `.key`, `[n]` and `..key` (the forms the scenario uses).
fn select(root: &Value, path: &str) -> Vec<Value> {
    let mut nodes = vec![root.clone()];
    let mut rest = path.strip_prefix('$').expect("a path starts with $");
    while !rest.is_empty() {
        let name_end = |s: &str| s.find(['.', '[']).unwrap_or(s.len());
        if let Some(r) = rest.strip_prefix("..") {
            let end = name_end(r);
            let key = &r[..end];
            let mut found = Vec::new();
            for n in &nodes {
                descend(n, key, &mut found);
            }
            nodes = found;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = name_end(r);
            nodes = nodes
                .iter()
                .filter_map(|n| n.get(&r[..end]).cloned())
                .collect();
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').expect("closing ]");
            let i: usize = r[..end].parse().expect("an index");
            nodes = nodes.iter().filter_map(|n| n.get(i).cloned()).collect();
            rest = &r[end + 1..];
        } else {
            panic!("unsupported path {path}");
        }
    }
    nodes
}

fn descend(v: &Value, key: &str, out: &mut Vec<Value>) {
    match v {
        Value::Object(map) => {
            if let Some(found) = map.get(key) {
                out.push(found.clone());
            }
            map.values().for_each(|c| descend(c, key, out));
        }
        Value::Array(items) => items.iter().for_each(|c| descend(c, key, out)),
        _ => {}
    }
}

/// Checks one expectation against a step's outcome.
fn expect(step: usize, e: &Value, outcome: &Outcome, is_ui: bool) {
    let answer = match outcome {
        Outcome::Result { value } => value,
        other => panic!("step {step}: {other:?}"),
    };
    if e == "no_error" {
        return; // a result, as matched above
    }
    if e == "no_diagnostics" {
        let d = if is_ui {
            jsonui::parse_ui(answer).diagnostics
        } else {
            jsonui::parse_action(answer).diagnostics
        };
        assert!(d.is_empty(), "step {step}: {d:?}");
        return;
    }
    if let Some(action) = e.get("action") {
        assert_eq!(answer["action"], *action, "step {step}: {answer}");
        assert!(!jsonui::parse_action(answer).has_errors(), "step {step}");
    } else if let Some(text) = e.get("text").and_then(Value::as_str) {
        let outline = tgo_console::check::ui_outline(&jsonui::parse_ui(answer).value);
        assert!(
            outline.iter().any(|l| l.contains(text)),
            "step {step}: {text:?} not in {outline:?}"
        );
    } else if let Some(path) = e.get("path").and_then(Value::as_str) {
        let found = select(answer, path);
        if let Some(want) = e.get("equals") {
            assert_eq!(
                found,
                std::slice::from_ref(want),
                "step {step}: {path} in {answer}"
            );
        } else if let Some(n) = e.get("count") {
            assert_eq!(json!(found.len()), *n, "step {step}: {path} in {answer}");
        } else {
            panic!("step {step}: unsupported expectation {e}");
        }
    } else {
        panic!("step {step}: unsupported expectation {e}");
    }
}

async fn scenario_holds(language: &str) {
    let tmp = scaffold(language, "scn");
    let dir = tmp.path().join("plugin");
    let text = std::fs::read_to_string(dir.join("scn.scenario.yml")).unwrap();
    let scenario: Value = serde_yaml_ng::from_str(&text).unwrap();
    assert_eq!(scenario["name"], "scn");
    let manifest_path = dir.join(scenario["plugin"]["manifest"].as_str().unwrap());
    let mut spec = manifest::load(&manifest_path).unwrap().spec;

    let mut host = start_host(|_| {}).await;
    spec.env
        .push(("TGO_SOCKET_PATH".into(), host.socket.display().to_string()));
    let mut child = ChildPlugin::spawn(&spec).unwrap();
    let (plugin_id, _) = host.registered().await;
    let context = &scenario["context"];
    let mut ctx = RenderContext::for_visitor(context["visitor_id"].as_str().unwrap());
    ctx.language = context["language"].as_str().unwrap().into();

    let (mut kind, mut last_ui) = (String::new(), Value::Null);
    for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
        let (method, params, is_ui) = if let Some(cap) = step["render"].as_str() {
            kind = cap.to_string();
            (render_method(cap).unwrap(), ctx.render_params(cap), true)
        } else if let Some(id) = step["click"].as_str() {
            let ui = jsonui::parse_ui(&last_ui).value;
            let found = jsonui::buttons(&ui).into_iter().any(|b| {
                b.label == id
                    || matches!(&b.kind, InteractionKind::ButtonClick { action_id } if action_id == id)
            });
            assert!(found, "step {i}: no button {id} in {last_ui}");
            let event = UiEvent::button_click(id);
            (event_method(&kind), ctx.event_params(&event), false)
        } else if let Some(submit) = step.get("submit") {
            let form = submit["form"].as_str().unwrap();
            let ui = jsonui::parse_ui(&last_ui).value;
            let found = jsonui::interactions(&ui).into_iter().any(|x| {
                matches!(&x.kind, InteractionKind::FormSubmit { action_id, .. } if action_id == form)
            });
            assert!(found, "step {i}: no form {form} in {last_ui}");
            let event = UiEvent {
                event_type: "form_submit".into(),
                action_id: form.into(),
                selected_id: None,
                form_data: submit["data"].as_object().unwrap().clone(),
            };
            (event_method(&kind), ctx.event_params(&event), false)
        } else if let Some(call) = step.get("call") {
            let method = call["method"].as_str().unwrap().to_string();
            (method, call["params"].clone(), false)
        } else {
            panic!("step {i}: unsupported step {step}");
        };
        let reply = host.handle.request(&plugin_id, &method, params).await;
        let outcome = reply.expect("plugin connected").outcome;
        for e in step["expect"].as_array().unwrap() {
            expect(i, e, &outcome, is_ui);
        }
        if let (true, Outcome::Result { value }) = (is_ui, &outcome) {
            last_ui = value.clone();
        }
    }
    child.stop(std::time::Duration::from_secs(2)).await;
}

#[tokio::test]
async fn python_scaffold_does_what_its_scenario_says() {
    scenario_holds("python").await;
}

#[tokio::test]
async fn node_scaffold_does_what_its_scenario_says() {
    if have("node", "Node.js") {
        scenario_holds("node").await;
    }
}

#[tokio::test]
async fn go_scaffold_does_what_its_scenario_says() {
    if have("go", "Go") {
        scenario_holds("go").await;
    }
}
