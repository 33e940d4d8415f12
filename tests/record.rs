//! `--record` and `replay`: a real session recorded to JSON lines, read back (bad lines named,
//! the rest kept), and drawn read-only as it was.

mod common;

use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io::Write;
use tgo_console::record::{Recorder, load};
use tgo_console::tui::replay::replay_state;
use tgo_console::tui::theme::Theme;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_recorded_and_replayed() {
    let mut h = start_host(|_| {}).await;
    let path = h.dir.path().join("session.jsonl");
    let recorder = Recorder::start(h.handle.clone(), &path).unwrap();
    let _demo = h.demo("com.tgo.demo");
    let (id, _) = h.registered().await;
    let ctx = tgo_console::host::RenderContext::default();
    let caps = h.handle.plugin(&id).unwrap().info.capabilities;
    let params = tgo_console::host::context::capability_render_params(&ctx, &caps, 0);
    assert!(matches!(
        h.handle
            .request(&id, "visitor_panel/render", params)
            .await
            .unwrap()
            .outcome,
        tgo_console::host::Outcome::Result { .. }
    ));
    let kept = h.handle.log().len();
    let written = recorder.finish().await.unwrap();
    assert!(
        written as usize >= kept,
        "{written} lines for {kept} entries"
    );

    // A crash mid-write leaves half a line; a stray edit leaves garbage: both named, rest loads.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    writeln!(f, "{{\"seq\": 99999, \"t_ms\": 1").unwrap();
    writeln!(f, "not json at all").unwrap();
    // Times no clock can hold: a bad line each, not a panic.
    for t_ms in ["1e300", "-5"] {
        writeln!(
            f,
            r#"{{"seq":7,"t_ms":{t_ms},"dir":"local","conn":0,"kind":{{"type":"event","text":"x"}}}}"#
        )
        .unwrap();
    }
    drop(f);
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.errors.len(), 4, "{:?}", loaded.errors);
    assert!(
        loaded.errors[2].contains(&format!("line {}: t_ms: 1e300 is not a time", written + 3)),
        "{:?}",
        loaded.errors
    );
    assert!(
        loaded.errors[0].contains(&format!("line {}", written + 1)),
        "{:?}",
        loaded.errors
    );
    assert_eq!(loaded.entries.len() as u64, written);

    let mut state = replay_state(
        Theme::default(),
        &loaded.entries,
        "session.jsonl",
        "log".into(),
    );
    assert!(state.read_only);
    assert_eq!(state.plugins.len(), 1);
    state.size = (120, 36);
    let mut log = tgo_console::host::MessageLog::new(1 << 26);
    for e in loaded.entries {
        log.push(e);
    }
    state.inspector.sync(&log);
    let mut terminal = Terminal::new(TestBackend::new(120, 36)).unwrap();
    terminal
        .draw(|f| tgo_console::tui::view::draw(f, &state, &log))
        .unwrap();
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains("Customer 360") && screen.contains("Profile"),
        "{screen}"
    );
    assert!(screen.contains("visitor_panel/render"), "{screen}");
}
