//! `tgo-console check` as a user runs it: the real binary, real plugin processes.

mod common;

use common::{BIN, repo_path};
use std::process::{Command, Output};

fn check(socket_dir: &tempfile::TempDir, extra: &[&str], plugin: &[&str]) -> Output {
    let socket = socket_dir.path().join("tgo.sock");
    let mut cmd = Command::new(BIN);
    cmd.arg("check").arg("--socket").arg(&socket).args(extra);
    if !plugin.is_empty() {
        cmd.arg("--").args(plugin);
    }
    cmd.env("NO_COLOR", "1")
        .env("XDG_STATE_HOME", socket_dir.path());
    cmd.output().expect("tgo-console runs")
}

fn rogue(mode: &str) -> Vec<String> {
    vec![
        "python3".into(),
        repo_path("tests/plugins/rogue.py").display().to_string(),
        mode.into(),
    ]
}

fn run_rogue(mode: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let args = rogue(mode);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = check(&dir, &["--timeout", "3"], &args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn demo_plugin_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&dir, &["--demo"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "PASS  register",
        "render visitor_panel \"Customer 360\"",
        "tool lookup_order",
        "PASS  ping",
        "PASS  shutdown",
        "exited by itself",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        !dir.path().join("tgo.sock").exists(),
        "socket removed at exit"
    );
}

#[test]
fn python_example_passes_and_shows_table_and_open_url() {
    let dir = tempfile::tempdir().unwrap();
    let example = repo_path("examples/plugins/orders/main.py")
        .display()
        .to_string();
    let out = check(&dir, &["--visitor", "v_999"], &["python3", &example]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("table"), "{text}");
    assert!(text.contains("ORD-"), "{text}");
    assert!(
        text.contains("open_url https://crm.example.com/orders?visitor=v_999"),
        "{text}"
    );
}

#[test]
fn json_format_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    let example = repo_path("examples/plugins/orders/main.py")
        .display()
        .to_string();
    let out = check(&dir, &["--format", "json"], &["python3", &example]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(report["passed"], true);
    assert_eq!(report["plugin"]["name"], "visitor-orders");
    let steps = report["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["method"] == "visitor_panel/event" && s["status"] == "pass")
    );
}

#[test]
fn garbage_answers_fail_with_a_clear_message() {
    let (code, text) = run_rogue("garbage");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FAIL  render visitor_panel"), "{text}");
    assert!(text.contains("timed out after 3.0 s"), "{text}");
    assert!(
        text.contains("invalid JSON"),
        "the hygiene step names the bad frame:\n{text}"
    );
}

#[test]
fn error_replies_fail() {
    let (code, text) = run_rogue("error_reply");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("plugin error -32003: Order not found"),
        "{text}"
    );
}

#[test]
fn refused_registration_fails() {
    let (code, text) = run_rogue("register_missing_title");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("registration refused: capabilities[0]: missing field `title`"),
        "{text}"
    );
}

#[test]
fn no_capabilities_fails() {
    let (code, text) = run_rogue("register_no_capabilities");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("registered no capabilities"), "{text}");
}

/// `register` with `params: {}` is accepted by the host (it generates an id), and check names
/// everything it lacks, as the console does, and fails it: TGO would never call it.
#[test]
fn an_empty_register_fails_and_names_what_it_lacks() {
    let (code, text) = run_rogue("register_empty");
    assert_eq!(code, 1, "{text}");
    for lacking in [
        "note: no \"name\": shown as \"unknown\"",
        "note: no \"version\": shown as 0.0.0",
        "note: no \"capabilities\": TGO will never call this plugin",
        "registered no capabilities",
    ] {
        assert!(text.contains(lacking), "{lacking:?} missing in\n{text}");
    }
}

#[test]
fn crash_fails_and_shows_the_last_output() {
    let (code, text) = run_rogue("crash");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("disconnected before answering"), "{text}");
    assert!(text.contains("last lines the plugin printed"), "{text}");
}

#[test]
fn plugin_that_never_connects_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&dir, &["--wait", "1"], &["sleep", "30"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("no plugin registered within 1 s"), "{text}");
}

#[test]
fn plugin_that_exits_before_registering_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&dir, &[], &["sh", "-c", "echo boom >&2; exit 4"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("exited (exit status: 4) without registering"),
        "{text}"
    );
    assert!(text.contains("| boom"), "{text}");
}

#[test]
fn unknown_template_and_action_fail() {
    let (code, text) = run_rogue("unknown_template");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("unknown template \"hologram\""), "{text}");
}

#[test]
fn invalid_ui_fails_with_paths() {
    let (code, text) = run_rogue("bad_ui");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("$.data.items[0].data.columns"), "{text}");
    assert!(
        text.contains("$.data.items[1].data.columns[1].key"),
        "{text}"
    );
}

#[test]
fn nesting_over_the_limit_fails() {
    let (code, text) = run_rogue("deep_ui");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("nesting deeper than 64 levels"), "{text}");
    let (code, text) = run_rogue("deep");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("over the limit of 100"), "{text}");
}

#[test]
fn escape_sequences_never_reach_the_terminal() {
    let (code, text) = run_rogue("escapes");
    assert!(
        !text.contains('\x1b') && !text.contains('\x07'),
        "raw escape in output"
    );
    assert!(text.contains("\\x1b[2J"), "{text}");
    assert!(text.contains("control characters"), "warned:\n{text}");
    assert_eq!(
        code, 0,
        "control characters warn, they do not fail:\n{text}"
    );
}

#[test]
fn a_second_host_on_the_same_socket_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let mut first = Command::new(BIN)
        .args(["check", "--wait", "10", "--socket"])
        .arg(&socket)
        .env("XDG_STATE_HOME", dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::until_exists(
        &socket,
        std::time::Duration::from_secs(10),
        "the first check listening",
    );
    let out = check(&dir, &[], &[]);
    let _ = first.kill();
    let _ = first.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("already listening") && err.contains(&socket.display().to_string()),
        "{err}"
    );
}

/// `check` of a `scripted.py` plugin saying what `script` says (own socket, text output).
fn check_scripted(script: serde_json::Value, extra: &[&str]) -> (i32, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.json");
    std::fs::write(&path, script.to_string()).unwrap();
    let plugin = repo_path("tests/plugins/scripted.py").display().to_string();
    let path = path.display().to_string();
    let out = check(&dir, extra, &["python3", &plugin, &path]);
    let code = out.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), dir)
}

/// A chat_toolbar form whose submit handler answers an invalid action: `check` submits the
/// form with values built from its fields and fails. (Before, forms were never submitted and
/// this plugin passed.)
#[test]
fn forms_are_submitted_with_values_from_their_fields() {
    let script = serde_json::json!({
        "register": {"name": "notes", "version": "1",
            "capabilities": [{"type": "chat_toolbar", "title": "Notes"}]},
        "answers": {
            "chat_toolbar/render": {"template": "form", "data": {"title": "Add a note",
                "action_id": "add_note", "fields": [
                    {"name": "text", "label": "Note", "required": true},
                    {"name": "count", "label": "Count", "type": "number"},
                    {"name": "kind", "label": "Kind", "type": "select",
                     "options": [{"value": "todo", "label": "To do"}, {"value": "done", "label": "Done"}]},
                    {"name": "urgent", "label": "Urgent", "type": "switch", "default": false}]}},
            "chat_toolbar/event#add_note": {"action": "insert_txt", "data": {"text": "oops"}}
        }
    });
    let (code, text, _dir) = check_scripted(script, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("FAIL  event form_submit \"Add a note\" → add_note  [chat_toolbar/event]"),
        "{text}"
    );
    assert!(
        text.contains(r#"form_data {"count":1,"kind":"todo","text":"test","urgent":false}"#),
        "{text}"
    );
    assert!(text.contains("unknown action \"insert_txt\""), "{text}");
}

/// An action asking for `refresh` renders the capability again, and that answer is checked:
/// here the second render is invalid.
#[test]
fn a_refresh_renders_again_and_checks_the_new_answer() {
    let good = serde_json::json!({"template": "button", "data": {"label": "Reload", "action_id": "reload"}});
    let script = serde_json::json!({
        "register": {"name": "reloading", "version": "1",
            "capabilities": [{"type": "visitor_panel", "title": "Panel"}]},
        "sequences": {"visitor_panel/render": [good, {"template": "table", "data": {"rows": [{"a": 1}]}}]},
        "answers": {"visitor_panel/event#reload": {"action": "batch", "data": {"actions": [
            {"action": "show_toast", "data": {"message": "Reloaded", "type": "success"}},
            {"action": "refresh", "data": {}}]}}}
    });
    let (code, text, _dir) = check_scripted(script, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("WARN  event button_click \"Reload\" → reload"),
        "batch is a web-UI warning:\n{text}"
    );
    assert!(
        text.contains("FAIL  render again after refresh (event button_click \"Reload\" → reload)  [visitor_panel/render]"),
        "{text}"
    );
    assert!(text.contains("error $.data.columns"), "{text}");
}

/// Warnings pass by default and fail with --strict / --fail-on warn, in JUnit too.
#[test]
fn strict_fails_on_warnings_and_junit_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&dir, &["--demo"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("WARN  render visitor_panel"), "{text}");

    let junit = dir.path().join("check.xml");
    let junit_arg = junit.display().to_string();
    let out = check(&dir, &["--demo", "--strict", "--junit", &junit_arg], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("warnings (--strict: they fail)"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"check com.tgo.demo\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase name=\"render visitor_panel &quot;Customer 360&quot;\""),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\""), "{xml}");

    let out = check(&dir, &["--demo", "--fail-on", "warn"], &[]);
    assert_eq!(out.status.code(), Some(1));
}

/// `--format json` carries each step's request and answer frames as they crossed the wire.
#[test]
fn json_report_has_the_raw_request_and_answer_of_each_step() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&dir, &["--demo", "--format", "json"], &[]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = report["steps"].as_array().unwrap();
    let register = &steps[0];
    assert_eq!(register["request"]["method"], "register");
    assert_eq!(register["answer"]["result"]["plugin_id"], "com.tgo.demo");
    let render = steps
        .iter()
        .find(|s| s["method"] == "visitor_panel/render")
        .unwrap();
    assert_eq!(render["request"]["params"]["visitor_id"], "v_12345");
    assert_eq!(render["answer"]["id"], render["request"]["id"]);
    assert_eq!(render["answer"]["result"]["template"], "group");
    let ping = steps.iter().find(|s| s["name"] == "ping").unwrap();
    assert_eq!(ping["answer"]["result"]["pong"], true);
}

/// Launching its own plugin with no socket asked for, `check` listens on a private temporary
/// socket (not /var/run/tgo/tgo.sock, which a new user cannot create) and removes it after.
#[test]
fn a_launched_plugin_gets_a_private_socket() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["check", "--demo", "--format", "json"])
        .env_remove("TGO_SOCKET_PATH")
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["passed"], true, "{report}");
    let socket = report["listening"][0].as_str().unwrap();
    assert_ne!(socket, "/var/run/tgo/tgo.sock");
    let socket = std::path::Path::new(socket);
    assert!(
        socket.starts_with(std::env::temp_dir()),
        "{}",
        socket.display()
    );
    assert!(
        !socket.parent().unwrap().exists(),
        "the private directory is removed"
    );
}

/// The quickstart's own example plugin, unchanged: it dials /var/run/tgo/tgo.sock, so this is
/// the one test that uses the default path.
#[test]
fn quickstart_plugin_passes_unchanged() {
    let seed = repo_path("../shared/seeds/quickstart.md");
    let Ok(doc) = std::fs::read_to_string(&seed) else {
        eprintln!("SKIPPED: {} is not beside this checkout", seed.display());
        return;
    };
    let start = doc.find("```python\n").expect("a python block") + "```python\n".len();
    let code = &doc[start..start + doc[start..].find("\n```").unwrap()];
    assert!(code.contains("/var/run/tgo/tgo.sock"));
    let dir = tempfile::tempdir().unwrap();
    let main_py = dir.path().join("main.py");
    std::fs::write(&main_py, code).unwrap();
    if std::fs::create_dir_all("/var/run/tgo").is_err() {
        eprintln!("SKIPPED: cannot create /var/run/tgo here");
        return;
    }
    let out = Command::new(BIN)
        .args([
            "check",
            "--socket",
            "/var/run/tgo/tgo.sock",
            "--",
            "python3",
        ])
        .arg(&main_py)
        .env("NO_COLOR", "1")
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("最近订单") && text.contains("ORD-001"),
        "{text}"
    );
    assert!(
        text.contains("open_url https://crm.example.com/orders?visitor=v_12345"),
        "{text}"
    );
}

#[test]
fn bench_subcommand_reports_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "bench",
            "--demo",
            "--requests",
            "300",
            "--concurrency",
            "4",
            "--format",
            "json",
            "--socket",
        ])
        .arg(dir.path().join("tgo.sock"))
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["requests"], 300);
    assert_eq!(report["ok"], 300);
}

/// The log level comes from TGO_LOG, else RUST_LOG, else info; plugin output is logged at debug.
#[test]
fn log_level_from_tgo_log_or_rust_log() {
    let example = repo_path("examples/plugins/orders").display().to_string();
    let logged_output = |env: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("tgo.log");
        let mut cmd = Command::new(BIN);
        cmd.arg("check")
            .arg("--socket")
            .arg(dir.path().join("tgo.sock"))
            .arg("--log-file")
            .arg(&log)
            .arg(&example)
            .env_remove("TGO_LOG")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied());
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{env:?}: {out:?}");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("plugin: [orders] registered as")
    };
    assert!(!logged_output(&[]), "info by default");
    assert!(logged_output(&[("TGO_LOG", "debug")]));
    assert!(logged_output(&[("RUST_LOG", "debug")]));
    assert!(
        !logged_output(&[("TGO_LOG", "info"), ("RUST_LOG", "debug")]),
        "TGO_LOG wins"
    );
}
