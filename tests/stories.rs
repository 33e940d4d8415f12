//! Stories in the console (issue 13.2), through the real event loop, a real host and a real
//! plugin process launched from its manifest (`tests/plugins/scripted.py`): a story beside it
//! played with one passing and one failing expectation, what is on screen saved as a scenario
//! file that `tgo-console test`'s reader reads back, the path to what is on screen walked
//! again after a `--watch` restart (and where it stops when a target is gone), and the request
//! history kept across two runs. Every script waits for what it expects.

mod common;

use common::console::Console;
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tgo_console::host::{Direction, EntryKind};

/// The plugin's panel: a line of text, a form with one field, and a button.
fn panel(text: &str, with_button: bool) -> Value {
    let mut items = vec![
        json!({"template": "text", "data": {"text": text}}),
        json!({"template": "form", "data": {"action_id": "save_note", "fields": [
            {"name": "note", "label": "Note", "type": "text"}]}}),
    ];
    if with_button {
        items.push(
            json!({"template": "button", "data": {"label": "View all", "action_id": "view_all"}}),
        );
    }
    json!({"template": "group", "data": {"items": items}})
}

/// What scripted.py answers: the panel, and an open_url for the button.
fn script(text: &str, with_button: bool) -> String {
    json!({
        "register": {"id": "com.test.storied", "name": "storied", "version": "1.0.0",
            "capabilities": [{"type": "visitor_panel", "title": "Orders"}]},
        "answers": {
            "visitor_panel/render": panel(text, with_button),
            "visitor_panel/event#view_all": {"action": "open_url",
                "data": {"url": "https://crm.example.com/orders?visitor=v_42"}},
            "visitor_panel/event#save_note": {"action": "noop", "data": {}}
        }
    })
    .to_string()
}

/// A plugin directory: plugin.yml running scripted.py on script.json.
fn plugin_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let scripted = repo_path("tests/plugins/scripted.py").display().to_string();
    std::fs::write(
        dir.path().join("plugin.yml"),
        format!(
            "id: com.test.storied\nname: storied\ncommand: python3\nargs: ['{scripted}', script.json]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("script.json"), script(text, true)).unwrap();
    dir
}

/// The requests the host sent for `method`, as JSON.
fn sent(host: &tgo_console::host::HostHandle, method: &str) -> Vec<Value> {
    host.log()
        .entries()
        .iter()
        .filter(|e| e.dir == Direction::Out)
        .filter(|e| matches!(&e.kind, EntryKind::Request { method: m, .. } if m == method))
        .filter_map(|e| serde_json::from_slice(&e.raw).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_beside_the_plugin_is_played_with_each_expectation_marked() {
    let dir = plugin_dir("ORD-1001 awaiting shipment");
    std::fs::create_dir(dir.path().join("stories")).unwrap();
    std::fs::write(
        dir.path().join("stories/orders.scenario.yml"),
        r#"name: orders story
plugin: {manifest: ../plugin.yml}
context: {visitor_id: v_42}
steps:
  - render: Orders
    expect:
      - {text: ORD-1001}
  - click: View all
    expect:
      - {action: open_url}
      - {path: "$.data.url", matches: "visitor=v_99$"}
"#,
    )
    .unwrap();
    let mut c = Console::new(120, 36, |_| {}).await;
    c.launch(
        &[dir.path().to_path_buf()],
        std::time::Duration::from_secs(1),
    );
    c.run(|mut s| async move {
        // Listed under its capability once the plugin registered.
        s.until("orders story").await;
        s.key(KeyCode::Char('G')); // the last row: the story
        s.until("stories/orders · 2 steps").await;
        s.key(KeyCode::Enter);
        let screen = s.until("1 of 2 steps failed").await;
        assert!(
            screen.contains("render Orders ✔ · click View all ✔✖"),
            "{screen}"
        );
        assert!(
            screen.contains("✖ click View all: $.data.url matches /visitor=v_99$/"),
            "{screen}"
        );
        s.key(KeyCode::Char('q'));
    })
    .await;
    // Every step went through the host (the inspector logs them), with the story's context.
    let renders = sent(&c.host.handle, "visitor_panel/render");
    assert_eq!(renders.last().unwrap()["params"]["visitor_id"], "v_42");
    let events = sent(&c.host.handle, "visitor_panel/event");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["params"]["action_id"], "view_all");
    assert_eq!(c.state.ctx.visitor_id, "v_42", "the story's context stays");
    c.finish().await;
}

/// The example plugin's own scenario (the README's), with its golden snapshot, plays green in
/// the console as it passes in `tgo-console test`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_plugins_scenario_plays_green_in_the_console() {
    let mut c = Console::new(140, 40, |_| {}).await;
    c.launch(
        &[repo_path("examples/plugins/orders")],
        std::time::Duration::from_secs(1),
    );
    c.run(|mut s| async move {
        s.until("orders panel").await;
        s.key(KeyCode::Char('G'));
        s.until("orders · 3 steps").await;
        s.key(KeyCode::Enter);
        let screen = s.until("3 of 3 steps passed").await;
        assert!(screen.contains("render Orders ✔✔✔✔✔✔✔"), "{screen}");
        s.key(KeyCode::Char('q'));
    })
    .await;
    c.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_on_screen_is_saved_as_a_story_the_test_reader_reads() {
    let dir = plugin_dir("ORD-1001 awaiting shipment");
    let saved = dir.path().join("stories/orders-saved.scenario.yml");
    let mut c = Console::new(120, 36, |_| {}).await;
    c.launch(
        &[dir.path().to_path_buf()],
        std::time::Duration::from_secs(1),
    );
    let file = saved.clone();
    c.run(|mut s| async move {
        s.until("ORD-1001 awaiting shipment").await;
        s.key(KeyCode::Tab); // the render pane: its first field focused
        s.until("▸ Note").await;
        s.key(KeyCode::Down);
        s.key(KeyCode::Down);
        s.until("▸ View all").await;
        s.key(KeyCode::Enter);
        s.until("path Orders › click view_all").await;
        s.key(KeyCode::Char('S'));
        s.until("Save as a story").await;
        s.type_text("-saved");
        s.key(KeyCode::Enter);
        s.until_that("the story file written", || file.exists())
            .await;
        // It joins the plugin's stories.
        s.until("orders-saved").await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let story = tgo_console::scenario::load(&saved).unwrap();
    assert_eq!(story.name, "orders-saved");
    let steps: Vec<String> = story.steps.iter().map(|s| s.action.label()).collect();
    assert_eq!(steps, ["render Orders", "click view_all"]);
    // The manifest it names is the plugin's: `test` can run it as it is.
    assert_eq!(
        story.plugin.launch,
        tgo_console::scenario::PluginLaunch::Manifest("../plugin.yml".into())
    );
    c.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_restart_walks_the_path_again_and_says_where_it_stops() {
    let dir = plugin_dir("before the edit");
    let script_file = dir.path().join("script.json");
    let mut c = Console::new(120, 36, |_| {}).await;
    let errors = c.launch_watching(&[dir.path().to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let host = c.host.handle.clone();
    c.run(|mut s| async move {
        s.until("before the edit").await;
        s.key(KeyCode::Tab);
        // Type into the form's field, then press the button: both are on the path.
        s.until("▸ Note").await;
        s.key(KeyCode::Enter);
        s.type_text("half-typed note");
        s.key(KeyCode::Enter);
        s.key(KeyCode::Down);
        s.key(KeyCode::Down);
        s.until("▸ View all").await;
        s.key(KeyCode::Enter);
        s.until("path Orders › click view_all").await;

        // The plugin's file changes: --watch restarts it; the click is sent again and the
        // field gets back what was typed.
        std::fs::write(&script_file, script("after the edit", true)).unwrap();
        let screen = s.until("path restored: 1 step sent again").await;
        assert!(screen.contains("after the edit"), "{screen}");
        assert!(screen.contains("half-typed note"), "{screen}");
        assert_eq!(sent(&host, "visitor_panel/event").len(), 2);

        // Restarted without the button: the walk stops there and says so.
        std::fs::write(&script_file, script("no button now", false)).unwrap();
        let screen = s
            .until("path stopped at step 1: button `view_all` is not in the new answer")
            .await;
        assert!(screen.contains("no button now"), "{screen}");
        s.key(KeyCode::Char('q'));
    })
    .await;
    assert_eq!(
        sent(&c.host.handle, "visitor_panel/event").len(),
        2,
        "nothing sent for a button that is gone"
    );
    c.finish().await;
}

/// Reads the history file's lines.
fn history_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_history_outlives_the_console_and_reopens_in_the_composer() {
    let state = tempfile::tempdir().unwrap();
    let file: PathBuf = state.path().join("tgo-console/history.jsonl");
    // First run: the demo's panel is rendered; the request is kept.
    let mut c = Console::new(120, 36, |_| {}).await;
    c.sources.history_file = Some(file.clone());
    let _demo = c.host.demo("com.tgo.demo");
    let kept = file.clone();
    c.run(|mut s| async move {
        s.until("[ Refresh ]").await;
        s.until_that("the render kept in the history", || {
            history_lines(&kept)
                .iter()
                .any(|l| l["method"] == "visitor_panel/render")
        })
        .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    c.finish().await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Second run, no plugin: the palette finds it, Enter opens it in the composer.
    let mut c = Console::new(120, 36, |_| {}).await;
    tgo_console::tui::load_history(&mut c.state, &file);
    c.run(|mut s| async move {
        s.key_with(KeyCode::Char('p'), KeyModifiers::CONTROL);
        s.type_text("history render");
        s.until("history  visitor_panel/render").await;
        s.key(KeyCode::Enter);
        let screen = s.until("Send a request").await;
        assert!(screen.contains("visitor_panel/render"), "{screen}");
        assert!(screen.contains("v_12345"), "{screen}");
        s.key(KeyCode::Esc);
        s.key(KeyCode::Char('q'));
    })
    .await;
    c.finish().await;
}
