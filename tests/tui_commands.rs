//! The user's commands, `$EDITOR` / `$PAGER` and `--filter`, through the console's real loop
//! over a real host and the demo plugin (issue 11.2).

mod common;

use common::console::Console;
use crossterm::event::{KeyCode, KeyModifiers};
use std::path::Path;
use tgo_console::config::Config;
use tgo_console::tui::commands;
use tgo_console::tui::setup::Personal;

fn personal(toml: &str, filter: Option<&str>) -> Personal {
    let config = Config::from_text(toml.into(), Path::new("/home/me/config.toml")).unwrap();
    Personal::from_config(&config, filter.map(String::from)).unwrap()
}

/// Ctrl-O in the composer hands its params to the editor (the console steps aside) and takes
/// back what the editor left; Ctrl-O in the inspector hands the message to the pager.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn params_go_to_the_editor_and_messages_to_the_pager() {
    let mut c = Console::new(120, 36, |_| {}).await;
    let _demo = c.host.demo("com.tgo.demo");
    c.run(|mut s| async move {
        s.until("Every template").await;
        s.key(KeyCode::Char('c'));
        s.until("Send a request").await;
        // A method, then its sample params (the render context).
        s.type_text("visitor_panel/render");
        s.key(KeyCode::Enter);
        s.until("\"visitor_id\"").await;
        s.key_with(KeyCode::Char('o'), KeyModifiers::CONTROL);
        s.until("params from the editor").await;
        s.until("by the editor").await;
        s.key(KeyCode::Esc);
        s.key(KeyCode::Char('3'));
        s.key(KeyCode::Char('/'));
        s.type_text("method:register");
        s.key(KeyCode::Enter);
        s.until("filter: method:register").await;
        s.key_with(KeyCode::Char('o'), KeyModifiers::CONTROL);
        // The pager leaves nothing on screen: the next key proves the loop went on.
        s.key(KeyCode::Char('?'));
        s.until("Everywhere").await;
        s.key(KeyCode::Esc);
        s.key(KeyCode::Char('q'));
    })
    .await;
    let calls = c.platform.effects();
    let editor = calls
        .iter()
        .find(|l| l.starts_with("foreground") && l.contains("\"visitor_id\""))
        .unwrap_or_else(|| panic!("the editor got the params: {calls:#?}"));
    assert!(
        editor.lines().next().unwrap().ends_with(".json"),
        "{editor}"
    );
    let shown: Vec<_> = calls
        .iter()
        .filter(|l| l.starts_with("foreground"))
        .collect();
    assert_eq!(shown.len(), 2, "{calls:#?}");
    assert!(
        shown[1].contains("\"jsonrpc\""),
        "the pager got the message: {}",
        shown[1]
    );
    c.finish().await;
}

/// A `[[command]]` bound to a key runs against the selection without a shell: the plugin id
/// is one argument, and what it printed opens in the output pane.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_command_runs_on_the_selected_plugin() {
    let mut c = Console::new(120, 36, |_| {}).await;
    let config = r#"
[[command]]
name = "say id"
key = "ctrl-d"
run = "printf '<%s>' {{plugin.id}}"
output = "pane"
"#;
    let log = c.host.handle.clone();
    commands::install(personal(config, None), &mut c.state, &log.log());
    let _demo = c.host.demo("com.tgo.demo");
    c.run(|mut s| async move {
        s.until("Every template").await;
        s.key_with(KeyCode::Char('d'), KeyModifiers::CONTROL);
        s.until("<com.tgo.demo>").await;
        s.until("say id · exit status: 0").await;
        s.key(KeyCode::Esc);
        s.key(KeyCode::Char('q'));
    })
    .await;
    c.finish().await;
}

/// `--filter NAME` starts the inspector focused and filtered by the saved query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_filter_starts_the_inspector_filtered() {
    let mut c = Console::new(120, 36, |_| {}).await;
    let config = "[[filter]]\nname = \"registrations\"\nquery = \"method:register\"\n";
    let log = c.host.handle.clone();
    commands::install(
        personal(config, Some("registrations")),
        &mut c.state,
        &log.log(),
    );
    let _demo = c.host.demo("com.tgo.demo");
    c.run(|mut s| async move {
        s.until("method:register").await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    assert_eq!(c.state.focus, tgo_console::tui::state::Pane::Inspector);
    c.finish().await;
}

/// An answer larger than the console draws (with a raised frame limit) is not turned into a
/// tree: the render pane says why, and the answer stays in the inspector (issue 12.3: a 75 MB
/// table cost 1.15 GB to draw).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_over_the_drawn_limit_says_so_and_is_not_drawn() {
    let mut c = Console::new(140, 36, |h| h.max_frame_bytes = 64 << 20).await;
    // ~21 MB of JSON: over the 16 MiB the console draws.
    let _rogue = c.host.rogue("big_table", Some("300000"));
    c.run(|mut s| async move {
        let screen = s.until("the console draws").await;
        assert!(screen.contains("larger than the 16.0 MB"), "{screen}");
        s.key(KeyCode::Char('q'));
    })
    .await;
    c.finish().await;
}

/// `Y` in the inspector copies a request as a `tgo-console call` line; the line runs as it is
/// (the demo as `--demo`, a launched plugin as its manifest) and answers what the request did.
#[test]
fn a_request_copied_as_a_call_runs_from_the_shell() {
    use tgo_console::launcher::{LaunchId, LaunchedView};
    use tgo_console::tui::state::{Launch, State};
    let mut state = State::new(
        tgo_console::tui::theme::Theme::default(),
        tgo_console::host::RenderContext::default(),
        vec![],
        "log".into(),
    );
    let bin = env!("CARGO_BIN_EXE_tgo-console");
    let launched = |id, name: &str, manifest: &str, plugin: &str| {
        let mut v = LaunchedView::starting(LaunchId(id), name.into(), manifest.into(), "x".into());
        v.plugin_id = Some(plugin.into());
        let mut l = Launch::new(v, std::time::Instant::now());
        l.plugin_id = Some(plugin.into());
        l
    };
    state.launches.list = vec![
        launched(1, "demo", bin, "com.tgo.demo"),
        launched(
            2,
            "orders",
            "/work/my plugins/orders/plugin.yml",
            "com.orders",
        ),
    ];
    let params = serde_json::json!({"note": "it's \"quoted\" $HOME"});
    let call = |plugin| tgo_console::tui::inspect::call_command(&state, plugin, "ping", &params);
    assert_eq!(
        call("com.orders"),
        r#"tgo-console call ping '{"note":"it'\''s \"quoted\" $HOME"}' '/work/my plugins/orders/plugin.yml'"#
    );
    assert_eq!(
        call("com.elsewhere"),
        r#"tgo-console call ping '{"note":"it'\''s \"quoted\" $HOME"}'"#
    );
    // The demo's line, run through a shell with this build as `tgo-console`.
    let line = call("com.tgo.demo");
    assert!(line.ends_with(" --demo"), "{line}");
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(line.replacen("tgo-console", bin, 1))
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{line}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("pong"), "{stdout}");
}
