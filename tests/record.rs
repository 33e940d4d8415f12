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
    assert!(state.session.read_only);
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

/// An answer marked a problem after it was written (the console validates off the hot path)
/// is written again with `"problem": true`, and loading keeps that version once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_marked_after_it_was_written_is_recorded_again() {
    let mut h = start_host(|_| {}).await;
    let path = h.dir.path().join("session.jsonl");
    let recorder = Recorder::start(h.handle.clone(), &path).unwrap();
    let _plugin = h.rogue("good", None);
    let (id, _) = h.registered().await;
    let reply = h
        .handle
        .request(&id, "visitor_panel/render", serde_json::json!({}))
        .await
        .unwrap();
    let seq = reply.response_seq.expect("answered");
    let line_of = |seq: u64| {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["seq"] == seq)
            .collect::<Vec<_>>()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while line_of(seq).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "answer never recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(line_of(seq)[0]["problem"], false);
    assert!(
        h.handle
            .mark_problem(seq, "JSON-UI: 1 warning (first: …)".into())
    );
    let written = recorder.finish().await.unwrap();
    let lines = line_of(seq);
    assert_eq!(lines.len(), 2, "written again: {lines:?}");
    assert_eq!(lines[1]["problem"], true);
    assert_eq!(lines[1]["notes"][0], "JSON-UI: 1 warning (first: …)");
    let loaded = load(&path).unwrap();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(
        loaded.entries.len() as u64,
        written - 1,
        "one entry per seq"
    );
    let e = loaded.entries.iter().find(|e| e.seq == seq).unwrap();
    assert!(e.problem && e.notes.len() == 1);
}
