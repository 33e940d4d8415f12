//! `tgo-console check --chaos`: every fault against real plugin processes, the built-in demo
//! (which survives them all) and `tests/plugins/fragile.py` (which dies, stalls or answers
//! wrongly, as asked).

mod common;

use common::{BIN, repo_path};
use serde_json::Value;
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: not JSON:\n{}\n{}", self.stdout, self.stderr))
    }
}

fn check(extra: &[&str], plugin: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("check")
        .arg("--socket")
        .arg(dir.path().join("tgo.sock"))
        .arg("--chaos")
        .args(extra);
    if !plugin.is_empty() {
        cmd.arg("--").args(plugin);
    }
    cmd.env("NO_COLOR", "1").env("XDG_STATE_HOME", dir.path());
    let out = cmd.output().expect("tgo-console runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn fragile(mode: Option<&str>) -> Vec<String> {
    let mut argv = vec![
        "python3".to_string(),
        repo_path("tests/plugins/fragile.py").display().to_string(),
    ];
    argv.extend(mode.map(String::from));
    argv
}

fn check_fragile(mode: Option<&str>, extra: &[&str]) -> Run {
    let argv = fragile(mode);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    check(extra, &argv)
}

/// Fault name → (verdict, detail) from the JSON report.
fn verdicts(report: &Value) -> Vec<(String, String, String)> {
    report["chaos"]["faults"]
        .as_array()
        .expect("a chaos section")
        .iter()
        .map(|f| {
            (
                f["fault"].as_str().unwrap().to_string(),
                f["verdict"].as_str().unwrap().to_string(),
                f["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn verdict_of<'a>(
    all: &'a [(String, String, String)],
    fault: &str,
) -> &'a (String, String, String) {
    all.iter()
        .find(|(f, _, _)| f == fault)
        .unwrap_or_else(|| panic!("no {fault} in {all:?}"))
}

/// The real defaults (a 1 000-render burst, 5 s without reading, 1 MiB of params): the demo
/// plugin survives every fault, answers the unknown method with -32601 and dials again after
/// half a frame.
#[test]
fn the_demo_plugin_survives_every_fault() {
    let run = check(&["--demo", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let all = verdicts(&report);
    let names: Vec<&str> = all.iter().map(|(f, _, _)| f.as_str()).collect();
    assert_eq!(
        names,
        [
            "malformed_json",
            "non_utf8",
            "unknown_method",
            "missing_params",
            "wrong_param_types",
            "duplicate_id",
            "notification",
            "huge_params",
            "burst",
            "slow_reader",
            "close_mid_frame"
        ]
    );
    for (fault, verdict, detail) in &all {
        assert!(
            verdict == "ok" || verdict == "error-answer",
            "{fault}: {verdict} ({detail})"
        );
    }
    let (_, v, d) = verdict_of(&all, "unknown_method");
    assert_eq!(
        (v.as_str(), d.starts_with("error -32601")),
        ("error-answer", true)
    );
    assert_eq!(
        verdict_of(&all, "burst").2.split(" in ").next(),
        Some("all 1000 answered")
    );
    assert!(
        verdict_of(&all, "slow_reader")
            .2
            .contains("after 5.0 s without the host reading")
    );
    assert!(
        verdict_of(&all, "close_mid_frame")
            .2
            .starts_with("dialled again")
    );
    assert_eq!(report["chaos"]["passed"], true);
    assert_eq!(report["chaos"]["killed_by"], Value::Null);
    // After chaos the check goes on, on the new connection: ping and shutdown still pass.
    let steps = report["steps"].as_array().unwrap();
    for name in ["ping", "shutdown", "protocol hygiene"] {
        let step = steps.iter().find(|s| s["name"] == name).unwrap();
        assert_eq!(step["status"], "pass", "{step}");
    }
}

#[test]
fn a_plugin_that_dies_on_bad_json_is_reported_crashed_and_fails() {
    let run = check_fragile(None, &["--format", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["chaos"]["killed_by"], "malformed_json");
    let all = verdicts(&report);
    let (_, verdict, detail) = &all[0];
    assert_eq!(verdict, "crashed");
    assert!(detail.contains("the connection closed"), "{detail}");
    assert!(
        detail.contains("the process exited (exit status: 1)"),
        "{detail}"
    );
    for (fault, verdict, detail) in &all[1..] {
        assert_eq!(verdict, "not-run", "{fault}");
        assert_eq!(detail, "the plugin crashed at malformed_json");
    }

    // The text report names the fault and shows the plugin's last words; JUnit has a failed
    // testcase for it and a skipped one for each fault not run.
    let junit_dir = tempfile::tempdir().unwrap();
    let junit = junit_dir.path().join("check.xml");
    let run = check_fragile(None, &["--junit", junit.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testcase name="chaos malformed_json""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<failure message="crashed: the connection closed"#),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<skipped").count(),
        10 + 2,
        "10 faults, ping, shutdown: {xml}"
    );
    let text = &run.stdout;
    assert!(text.contains("→ crashed by malformed_json:"), "{text}");
    assert!(text.contains("  malformed_json     crashed "), "{text}");
    assert!(text.contains("  non_utf8           not run "), "{text}");
    assert!(text.contains("last lines the plugin printed:"), "{text}");
    assert!(text.contains("json.decoder.JSONDecodeError"), "{text}");
    assert!(
        text.contains("skipped; chaos: crashed by malformed_json ("),
        "the last line says why the check failed:\n{text}"
    );
}

#[test]
fn wrong_answers_are_reported_but_do_not_fail() {
    let faults =
        "malformed_json,non_utf8,unknown_method,duplicate_id,notification,burst,slow_reader";
    let run = check_fragile(
        Some("sloppy"),
        &[
            "--format",
            "json",
            "--chaos-faults",
            faults,
            "--chaos-burst",
            "50",
            "--chaos-pause",
            "0.2",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let all = verdicts(&run.json());
    let got: Vec<(&str, &str)> = all
        .iter()
        .map(|(f, v, _)| (f.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("malformed_json", "error-answer"),
            ("non_utf8", "error-answer"),
            ("unknown_method", "wrong"),
            ("duplicate_id", "ok"),
            ("notification", "wrong"),
            ("burst", "ok"),
            ("slow_reader", "ok"),
        ]
    );
    assert_eq!(
        verdict_of(&all, "malformed_json").2,
        "error -32700: Parse error (id null)"
    );
    assert!(
        verdict_of(&all, "notification")
            .2
            .starts_with("answered a notification")
    );
    assert_eq!(
        verdict_of(&all, "duplicate_id")
            .2
            .split(" requests ")
            .next(),
        Some("answered both of the two")
    );
}

/// A plugin that does not dial again after half a frame is gone to TGO: crashed, and why.
#[test]
fn a_plugin_that_does_not_dial_again_is_crashed() {
    let run = check_fragile(
        None,
        &["--format", "json", "--chaos-faults", "close_mid_frame"],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let all = verdicts(&run.json());
    assert_eq!(
        all,
        [(
            "close_mid_frame".to_string(),
            "crashed".to_string(),
            "did not dial again: the process exited (exit status: 0) after the host broke off"
                .to_string()
        )]
    );
}

/// A plugin that stays connected but stops answering is hung; what follows is not run.
#[test]
fn a_plugin_that_stops_answering_is_hung() {
    let run = check_fragile(
        Some("stall"),
        &[
            "--format",
            "json",
            "--timeout",
            "1",
            "--chaos-faults",
            "malformed_json,unknown_method",
            "--chaos-timeout",
            "0.5",
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["chaos"]["killed_by"], "malformed_json");
    let all = verdicts(&report);
    assert_eq!(all[0].1, "hung", "{all:?}");
    assert!(
        all[0]
            .2
            .ends_with("then no answer to the healthy render within 0.5 s"),
        "{all:?}"
    );
    assert_eq!(all[1].1, "not-run");
    assert_eq!(all[1].2, "the plugin hung at malformed_json");
}

#[test]
fn unknown_fault_names_are_refused_with_the_list() {
    let out = Command::new(BIN)
        .args(["check", "--demo", "--chaos", "--chaos-faults", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no chaos fault \"nope\""), "{err}");
    assert!(err.contains("malformed_json, non_utf8"), "{err}");
}

/// The console's real loop: `C` on the demo runs every fault against it, the modal ends with
/// the verdict, and the message log keeps a note of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_runs_chaos_on_the_selected_plugin() {
    use common::console::Console;
    use crossterm::event::KeyCode;
    let mut c = Console::new(120, 36, |_| {}).await;
    c.state.chaos_options.burst = 100;
    c.state.chaos_options.pause = std::time::Duration::from_millis(200);
    let _demo = c.host.demo("com.tgo.demo");
    c.run(|mut s| async move {
        s.until("[ Refresh ]").await;
        s.key(KeyCode::Char('C'));
        s.until("Chaos · com.tgo.demo").await;
        s.until("→ survived all 11 faults").await;
        s.key(KeyCode::Esc);
        s.key(KeyCode::Char('q'));
    })
    .await;
    let run = c.state.chaos.clone().expect("a chaos run");
    let report = run.report.expect("finished");
    assert!(report.passed, "{report:?}");
    assert_eq!(report.faults.len(), 11);
    let noted = c.host.handle.log().entries().iter().any(|e| {
        matches!(&e.kind, tgo_console::host::EntryKind::Event { text }
            if text == "chaos: com.tgo.demo survived all 11 faults")
    });
    assert!(noted, "{}", c.screen());
    c.finish().await;
}
