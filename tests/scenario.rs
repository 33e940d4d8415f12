//! `tgo-console test` and `tgo-console call` as a user runs them: the real binary, real plugin
//! processes (the example orders plugin, `tests/plugins/scripted.py`, the demo plugin), scenario
//! files, golden snapshots, JUnit, a recorded session turned into a test.

mod common;

use common::{BIN, repo_path, start_host};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary in `dir` (its working directory), with no socket of its own: a command that
/// launches its plugin must then pick a private one. Its log and config are kept apart.
fn tgo(dir: &Path, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("TGO_SOCKET_PATH")
        .env("XDG_STATE_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("tgo-console runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A plugin that says what `script` says, and a scenario for it, in a fresh directory.
fn scripted(script: &Value, scenario: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.json"), script.to_string()).unwrap();
    let plugin = repo_path("tests/plugins/scripted.py").display().to_string();
    let text = scenario.replace("PLUGIN", &format!("[python3, '{plugin}', script.json]"));
    std::fs::write(dir.path().join("panel.scenario.yml"), text).unwrap();
    dir
}

fn orders_script(status: &str) -> Value {
    json!({
        "register": {"id": "com.example.orders", "name": "orders", "version": "1.0.0",
            "capabilities": [{"type": "visitor_panel", "title": "Orders"}]},
        "answers": {
            "visitor_panel/render": {"template": "group", "data": {"items": [
                {"template": "table", "data": {"columns": [{"key": "order_id", "label": "Order"},
                                                           {"key": "status", "label": "Status"}],
                    "rows": [{"order_id": "ORD-001", "status": status}]}},
                {"template": "button", "data": {"label": "View all", "action_id": "view_all"}}
            ]}},
            "visitor_panel/event#view_all": {"action": "open_url",
                "data": {"url": "https://crm.example.com/orders?visitor=v_42"}}
        }
    })
}

const ORDERS_SCENARIO: &str = r#"name: orders panel
plugin:
  command: PLUGIN
context:
  visitor_id: v_42
steps:
  - render: visitor_panel
    expect:
      - {path: "$.template", equals: group}
      - {path: "$..rows[0].order_id", equals: ORD-001}
      - {text: ORD-001}
      - no_diagnostics
      - {snapshot: orders}
  - click: view_all
    expect:
      - {action: open_url}
      - {path: "$.data.url", matches: "visitor=v_42"}
"#;

#[test]
fn the_example_plugins_scenario_passes() {
    let example = repo_path("examples/plugins/orders");
    let before = std::fs::read_dir(example.join("__snapshots__"))
        .unwrap()
        .count();
    let out = tgo(&example, &["test"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    for line in [
        "orders panel  (orders.scenario.yml)",
        "PASS  1 render Orders  [visitor_panel/render]",
        "(7/7 expectations)",
        "PASS  2 click View all orders  [visitor_panel/event]",
        "PASS  3 call orders/unknown",
        "PASS: 1 scenarios (0 failed); steps: 3 passed, 0 failed",
    ] {
        assert!(shown.contains(line), "no {line:?} in\n{shown}");
    }
    let after = std::fs::read_dir(example.join("__snapshots__"))
        .unwrap()
        .count();
    assert_eq!(before, after, "a passing run writes no snapshot file");
}

#[test]
fn a_failed_expectation_exits_1_with_expected_and_actual_in_junit() {
    let scenario = ORDERS_SCENARIO
        .replace("equals: ORD-001}", "equals: ORD-999}")
        .replace("      - {snapshot: orders}\n", "");
    let dir = scripted(&orders_script("Delivered"), &scenario);
    let out = tgo(dir.path(), &["test", "--junit", "report.xml"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    for line in [
        "FAIL  1 render visitor_panel",
        "failed: $..rows[0].order_id equals \"ORD-999\"",
        "sent visitor_panel/render {",
        "✖ $..rows[0].order_id equals \"ORD-999\": a different value",
        "expected: \"ORD-999\"",
        "actual:   \"ORD-001\"",
        "PASS  2 click view_all",
    ] {
        assert!(shown.contains(line), "no {line:?} in\n{shown}");
    }
    let xml = std::fs::read_to_string(dir.path().join("report.xml")).unwrap();
    assert!(xml.contains("<testsuite name=\"orders panel\""), "{xml}");
    assert!(
        xml.contains("tests=\"2\"") && xml.contains("failures=\"1\""),
        "{xml}"
    );
    let failure = &xml[xml.find("<failure").expect("a <failure>")..];
    let failure = &failure[..failure.find("</failure>").unwrap()];
    assert!(
        failure.contains("expected: &quot;ORD-999&quot;"),
        "{failure}"
    );
    assert!(
        failure.contains("actual:   &quot;ORD-001&quot;"),
        "{failure}"
    );
    assert!(xml.contains("<testcase name=\"click view_all\""), "{xml}");
}

#[test]
fn snapshots_are_created_accepted_and_compared() {
    let dir = scripted(&orders_script("Delivered"), ORDERS_SCENARIO);
    let snap = dir.path().join("__snapshots__/panel.orders.snap");
    let new = dir.path().join("__snapshots__/panel.orders.snap.new");

    // Missing: the step fails as a new snapshot, written as .snap.new only.
    let out = tgo(dir.path(), &["test"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains(
            "✖ snapshot: orders: new snapshot, written to __snapshots__/panel.orders.snap.new"
        ),
        "{shown}"
    );
    assert!(new.exists() && !snap.exists());
    let written = std::fs::read_to_string(&new).unwrap();
    assert!(written.contains("\"order_id\": \"ORD-001\""), "{written}");
    assert!(written.contains("## drawn at 80 columns\n"), "{written}");
    assert!(written.contains("[ View all ]"), "{written}");

    // --update accepts it; the next run passes and leaves the files alone.
    let out = tgo(dir.path(), &["test", "--update"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(snap.exists() && !new.exists());
    let out = tgo(dir.path(), &["test"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), written);

    // The plugin changes: a unified diff of the JSON and of the drawn text; the golden file
    // is untouched, the new answer waits in .snap.new.
    std::fs::write(
        dir.path().join("script.json"),
        orders_script("Refunded").to_string(),
    )
    .unwrap();
    let out = tgo(dir.path(), &["test"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    for line in [
        "✖ snapshot: orders: the answer changed",
        "--- __snapshots__/panel.orders.snap",
        "+++ __snapshots__/panel.orders.snap.new",
        "-              \"status\": \"Delivered\"",
        "+              \"status\": \"Refunded\"",
        "snapshots: 0 new, 1 changed",
    ] {
        assert!(shown.contains(line), "no {line:?} in\n{shown}");
    }
    let drawn_diff = shown.lines().any(|l| {
        l.trim_start().starts_with('+') && l.contains("ORD-001") && l.contains("Refunded")
    });
    assert!(drawn_diff, "the drawn table is diffed too:\n{shown}");
    assert!(
        !shown.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), written);
    assert!(new.exists());

    // JSON output carries the same diff for machines.
    let out = tgo(dir.path(), &["test", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(report["passed"], false);
    let step = &report["scenarios"][0]["steps"][0];
    assert_eq!(step["status"], "fail");
    assert_eq!(step["request"]["method"], "visitor_panel/render");
    assert_eq!(step["answer"]["result"]["template"], "group");
    let snap_expect = step["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["expectation"] == "snapshot: orders")
        .unwrap();
    assert_eq!(snap_expect["snapshot"]["outcome"], "changed");
    assert!(
        snap_expect["diff"]
            .as_str()
            .unwrap()
            .contains("+              \"status\": \"Refunded\"")
    );
}

#[test]
fn bad_scenario_files_name_the_line_and_field_and_exit_2() {
    let dir = scripted(
        &orders_script("x"),
        "name: bad\nplugin:\n  command: PLUGIN\nsteps:\n  - render: visitor_panel\n    expect:\n      - {path: \"$.template\", equal: group}\n",
    );
    let out = tgo(dir.path(), &["test", "--junit", "r.xml"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("could not run: panel.scenario.yml:7:30: steps[0].expect[0].equal: unknown field `equal`"),
        "{shown}"
    );
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(
        xml.contains("<error message=\"panel.scenario.yml:7:30"),
        "{xml}"
    );

    let empty = tempfile::tempdir().unwrap();
    let out = tgo(empty.path(), &["test"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no *.scenario.yml or *.scenario.yaml file in it"));
}

#[test]
fn a_plugin_that_never_registers_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x.scenario.yml"),
        "name: crash\nplugin: {command: [sh, -c, 'echo boom >&2; exit 3']}\nsteps: [{call: {method: ping}}]\n",
    )
    .unwrap();
    let out = tgo(dir.path(), &["test"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains(
            "could not run: the plugin did not register: the plugin exited (exit status: 3)"
        ),
        "{shown}"
    );
    assert!(shown.contains("| boom"), "{shown}");
}

/// Record a session with the library (real host, the demo plugin), turn it into a scenario
/// with the binary, record the snapshots with `--update`, and run it green.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_session_becomes_a_test_that_passes() {
    use tgo_console::host::{RenderContext, UiEvent, context::capability_render_params};
    let mut h = start_host(|_| {}).await;
    let session = h.dir.path().join("session.jsonl");
    let recorder = tgo_console::record::Recorder::start(h.handle.clone(), &session).unwrap();
    let mut demo = h.demo("com.tgo.demo");
    let (id, info) = h.registered().await;
    let ctx = RenderContext::for_visitor("v_77");
    for (i, cap) in info.capabilities.iter().enumerate() {
        if let Some(method) = cap.kind.render_method() {
            let params = capability_render_params(&ctx, &info.capabilities, i);
            h.handle.request(&id, &method, params).await.unwrap();
        }
    }
    let click = ctx.event_params(&UiEvent::button_click("insert"));
    h.handle
        .request(&id, "chat_toolbar/event", click)
        .await
        .unwrap();
    let tool = ctx.tool_params("lookup_order", json!({"order_id": "ORD-10001"}));
    h.handle.request(&id, "tool/execute", tool).await.unwrap();
    h.handle.request(&id, "ping", json!({})).await.unwrap();
    h.handle
        .request(&id, "no/such_method", json!({}))
        .await
        .unwrap();
    recorder.finish().await.unwrap();
    demo.stop(std::time::Duration::from_secs(2)).await;

    let dir = tempfile::tempdir().unwrap();
    let session_arg = session.display().to_string();
    let out = tgo(
        dir.path(),
        &[
            "test",
            "--from-recording",
            &session_arg,
            "--command",
            BIN,
            "demo-plugin",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let scenario = String::from_utf8(out.stdout).unwrap();
    for line in [
        "name: \"session.jsonl replay of com.tgo.demo\"",
        "  visitor_id: \"v_77\"",
        "  - render: \"Customer 360\"",
        "  - render: \"Every template\"",
        "  - render: \"Quick replies\"",
        "  - click: \"insert\"",
        "  - tool: {name: \"lookup_order\", arguments: {\"order_id\":\"ORD-10001\"}}",
        "  - call: {method: \"ping\", params: {}}",
        "      - {error_code: -32601}",
        "      - {snapshot: 01-render-customer-360}",
    ] {
        assert!(scenario.contains(line), "no {line:?} in\n{scenario}");
    }
    std::fs::write(dir.path().join("replay.scenario.yml"), &scenario).unwrap();

    let out = tgo(dir.path(), &["test", "--update"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("snapshots: 7 written"), "{shown}");
    let out = tgo(dir.path(), &["test"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("steps: 7 passed, 0 failed"), "{shown}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("__snapshots__"))
            .unwrap()
            .count(),
        7
    );
}

#[test]
fn call_prints_json_or_the_drawn_panel() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ctx.yml"),
        "visitor_id: v_42\nlanguage: en-US\n",
    )
    .unwrap();
    let out = tgo(
        dir.path(),
        &[
            "call",
            "visitor_panel/render",
            "--context",
            "ctx.yml",
            "--demo",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("stdout is the answer's JSON");
    assert_eq!(answer["template"], "group");
    assert!(answer.to_string().contains("v_42"), "{answer}");

    let out = tgo(
        dir.path(),
        &[
            "call",
            "visitor_panel/render",
            "--format",
            "ui",
            "--width",
            "60",
            "--demo",
        ],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("[ Refresh ]"), "{stdout}");
    let drawing = stdout.lines().take_while(|l| !l.starts_with("warning "));
    assert!(
        drawing
            .into_iter()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 60),
        "drawn in 60 columns:\n{stdout}"
    );
    assert!(
        stdout.contains("\n\nwarning $.data.items[2].template: the \"action\" template is not drawn by the TGO web UI"),
        "the diagnostics follow the drawing:\n{stdout}"
    );

    let out = tgo(
        dir.path(),
        &[
            "call",
            "visitor_panel/event",
            r#"{"action_id": "copy_email"}"#,
            "--format",
            "ui",
            "--demo",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("copy_text "),
        "{}",
        text(&out)
    );

    let out = tgo(dir.path(), &["call", "no/such_method", "--demo"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["error"]["code"], -32601);

    let out = tgo(dir.path(), &["call", "ping", "{nope", "--demo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("PARAMS_JSON is not valid JSON"));
}

#[test]
fn call_with_an_invalid_answer_exits_1_and_lists_the_diagnostics() {
    let script = json!({
        "register": {"name": "bad", "version": "1",
            "capabilities": [{"type": "visitor_panel", "title": "Bad"}]},
        "answers": {"visitor_panel/render": {"template": "table", "data": {"rows": [{"a": 1}]}}}
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.json"), script.to_string()).unwrap();
    let plugin = repo_path("tests/plugins/scripted.py").display().to_string();
    let out = tgo(
        dir.path(),
        &[
            "call",
            "visitor_panel/render",
            "--format",
            "ui",
            "--",
            "python3",
            &plugin,
            "script.json",
        ],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("error $.data.columns: "), "{shown}");
}
