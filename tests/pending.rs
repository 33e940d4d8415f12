//! The pending list (`P`) over the real loop, host and plugin process: retry sends the same
//! request again, cancel stops waiting, says "cancelled by user" in the inspector, and the
//! render pane says so instead of waiting on.

mod common;

use common::console::Console;
use common::*;
use crossterm::event::KeyCode;
use tgo_console::host::{Direction, EntryKind, LogEntry};

fn render_request(e: &LogEntry) -> bool {
    e.dir == Direction::Out
        && matches!(&e.kind, EntryKind::Request { method, .. } if method == "visitor_panel/render")
}

fn note(e: &LogEntry, needle: &str) -> bool {
    matches!(&e.kind, EntryKind::Event { text } if text.contains(needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_sends_the_same_request_again_and_cancel_says_who_stopped_it() {
    // The plugin never answers its render: it stays pending (the timeout is far away).
    let mut c = Console::new(120, 36, |h| {
        h.request_timeout = std::time::Duration::from_secs(120)
    })
    .await;
    let script = serde_json::json!({
        "register": {"id": "com.test.stuck", "name": "stuck", "version": "1",
            "capabilities": [{"type": "visitor_panel", "title": "Stuck panel"}]},
        "silent": ["visitor_panel/render"]
    });
    let (_plugin, _dir) = spawn_scripted(&c.host.socket, &script);
    let handle = c.host.handle.clone();
    c.run(|mut s| async move {
        // Rendered by itself once registered, and waiting.
        s.until_logged("the first render", render_request).await;
        s.until("visitor_panel/render …").await;
        s.key(KeyCode::Char('P'));
        s.until("r retry · x / Del cancel (stop waiting)").await;
        s.key(KeyCode::Char('r'));
        s.until_that("a second render request", || {
            handle
                .log()
                .entries()
                .iter()
                .filter(|e| render_request(e))
                .count()
                == 2
        })
        .await;
        // The same request: method and params, a new id.
        let frames: Vec<serde_json::Value> = handle
            .log()
            .entries()
            .iter()
            .filter(|e| render_request(e))
            .map(|e| serde_json::from_slice(&e.raw).unwrap())
            .collect();
        assert_eq!(frames[0]["params"], frames[1]["params"]);
        assert_ne!(frames[0]["id"], frames[1]["id"]);
        s.until_screen("both in the pending list", |screen| {
            screen.matches("visitor_panel/render").count() >= 3
        })
        .await;

        // Cancel both: each is noted in the inspector, and the render pane stops waiting.
        s.key(KeyCode::Char('x'));
        s.until_logged("the first cancel", |e| {
            note(e, "(visitor_panel/render) cancelled by user")
        })
        .await;
        s.key(KeyCode::Char('x'));
        s.until_that("both cancelled", || {
            handle
                .log()
                .entries()
                .iter()
                .filter(|e| note(e, "cancelled by user"))
                .count()
                == 2
        })
        .await;
        s.until("Nothing in flight.").await;
        s.key(KeyCode::Esc);
        s.until_screen("the render pane says it was cancelled", |screen| {
            screen.contains("Cancelled") && screen.contains("cancelled by user")
        })
        .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    assert!(c.state.pending.is_empty());
    c.host.handle.shutdown().await;
}
