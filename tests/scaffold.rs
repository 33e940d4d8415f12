//! `tgo-console new`: the plugins it writes run, pass `check` with no warning, and do what their
//! scenario file says (real binary, real plugin processes).

mod common;

use common::BIN;
use std::path::Path;
use std::process::{Command, Output};

fn tgo(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .env("XDG_STATE_HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("TGO_SOCKET_PATH")
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
    // With chaos: a scaffold is a robust start (bad frames ignored, a host breaking off
    // mid-frame dialled again); a shorter pause and burst than the defaults keep it quick.
    let out = tgo(
        &[
            "check",
            "--socket",
            &socket,
            "--chaos",
            "--chaos-pause",
            "1",
            "--chaos-burst",
            "200",
            &dir,
        ],
        tmp.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{language}: {text}\n{out:?}");
    for expected in [
        "→ survived all 11 faults",
        "hello-tgo 0.1.0 as com.example.hello-tgo",
        "button [primary] \"Say hello\" → greet",
        "show_toast [success] \"Hello, v_12345!\"",
        "form \"Add a note\" (1 fields) → add_note",
        "PASS  shutdown",
        "exited by itself",
        "event form_submit \"Add a note\" → add_note",
        "9 passed, 0 warnings, 0 failed",
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

/// The scaffold's own scenario, run by the real `tgo-console test`: every step and expectation
/// passes against the plugin it ships with.
fn scenario_holds(language: &str) {
    let tmp = scaffold(language, "scn");
    let dir = tmp.path().join("plugin");
    let out = tgo(&["test", &dir.display().to_string()], tmp.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{language}: {text}\n{out:?}");
    for expected in [
        "PASS  1 render visitor_panel",
        "PASS  2 click greet",
        "PASS  3 render chat_toolbar",
        "PASS  4 submit add_note",
        "PASS  5 call ping",
        "steps: 5 passed, 0 failed",
    ] {
        assert!(
            text.contains(expected),
            "{language}: no {expected:?} in\n{text}"
        );
    }
}

#[test]
fn python_scaffold_does_what_its_scenario_says() {
    scenario_holds("python");
}

#[test]
fn node_scaffold_does_what_its_scenario_says() {
    if have("node", "Node.js") {
        scenario_holds("node");
    }
}

#[test]
fn go_scaffold_does_what_its_scenario_says() {
    if have("go", "Go") {
        scenario_holds("go");
    }
}
