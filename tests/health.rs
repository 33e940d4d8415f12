//! Per-plugin health from real traffic: a real plugin process answers, errs and stays silent,
//! and the host's numbers and the dot's colour follow.

mod common;

use common::{spawn_scripted, start_host};
use serde_json::json;
use std::time::Duration;
use tgo_console::host::{HealthLevel, Outcome};

#[tokio::test]
async fn health_counts_answers_errors_and_timeouts_from_a_real_plugin() {
    let mut h = start_host(|c| c.request_timeout = Duration::from_millis(800)).await;
    let script = json!({
        "register": {"id": "com.test.health", "name": "health", "version": "1",
            "capabilities": [{"type": "visitor_panel", "title": "Panel"}]},
        "answers": {"visitor_panel/render": {"template": "text", "data": {"text": "hi"}}},
        "errors": {"orders/lookup": {"code": -32003, "message": "Order not found"}},
        "silent": ["orders/slow"]
    });
    let (_plugin, _dir) = spawn_scripted(&h.socket, &script);
    let id = "com.test.health";
    h.registered_as(id).await;
    assert_eq!(h.handle.health(id), None, "nothing asked yet");

    for _ in 0..8 {
        assert!(matches!(h.render(id).await, Outcome::Result { .. }));
    }
    for _ in 0..2 {
        let reply = h
            .handle
            .request(id, "orders/lookup", json!({}))
            .await
            .unwrap();
        assert!(matches!(reply.outcome, Outcome::PluginError(_)));
    }
    let reply = h
        .handle
        .request(id, "orders/slow", json!({}))
        .await
        .unwrap();
    assert!(matches!(reply.outcome, Outcome::Timeout { .. }));

    let s = h.handle.health(id).expect("health after traffic");
    // 10 answers (8 results, 2 errors) and 1 timeout.
    assert_eq!((s.requests, s.errors, s.timeouts), (11, 2, 1));
    assert_eq!((s.recent, s.recent_errors, s.recent_timeouts), (11, 2, 1));
    let (p50, p99) = (s.p50_ms.unwrap(), s.p99_ms.unwrap());
    assert!(p50 > 0.0 && p50 <= p99, "p50 {p50} p99 {p99}");
    assert!(
        p99 < 800.0,
        "the timeout is no answer, so not in the percentiles: {p99}"
    );
    assert!(s.since_last_answer_s.is_some());
    // 2 errors in 11 requests is over 10 %.
    assert_eq!(s.level(), HealthLevel::Red);
    assert!(
        s.summary().starts_with("11 req · 2 err · 1 timeout · p50 "),
        "{}",
        s.summary()
    );

    // Ten more good answers: 2 in 21 is under 10 %, the timeout still in the window.
    for _ in 0..10 {
        h.render(id).await;
    }
    let s = h.handle.health(id).unwrap();
    assert_eq!((s.requests, s.errors, s.timeouts), (21, 2, 1));
    assert_eq!(s.level(), HealthLevel::Amber);
    assert_eq!(h.handle.health_all().len(), 1);
}

/// `check --format json` carries the same numbers: per step, and for the whole run with the
/// process's memory and CPU.
#[test]
fn check_json_carries_health_per_step_and_in_total() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock").display().to_string();
    let out = std::process::Command::new(common::BIN)
        .args(["check", "--demo", "--format", "json", "--socket", &socket])
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = report["steps"].as_array().unwrap();
    let with_health: Vec<_> = steps.iter().filter(|s| s["health"].is_object()).collect();
    assert!(!with_health.is_empty());
    for s in &with_health {
        let h = &s["health"];
        assert_eq!(h["requests"], 1, "{s}");
        assert_eq!(h["errors"], 0, "{s}");
        assert!(h["p50_ms"].as_f64().is_some(), "{s}");
    }
    let total = &report["health"];
    let per_step: u64 = with_health
        .iter()
        .map(|s| s["health"]["requests"].as_u64().unwrap())
        .sum();
    // The total also counts ping and shutdown, which are not render or event steps.
    assert!(
        total["requests"].as_u64().unwrap() >= per_step + 2,
        "{total}"
    );
    assert_eq!(total["errors"], 0);
    assert_eq!(total["timeouts"], 0);
    assert!(total["p99_ms"].as_f64().unwrap() >= total["p50_ms"].as_f64().unwrap());
    assert!(total["since_last_answer_s"].as_f64().is_some());
    assert!(report["process"]["rss_bytes"].as_u64().unwrap() > 0);
    assert!(report["process"]["cpu_percent"].as_f64().is_some());
    assert_eq!(report["restarts"], 0);
}

/// The console's own loop samples health: a launched plugin's numbers, memory and CPU reach the
/// plugins pane and the status bar by themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_samples_a_launched_plugins_health_by_itself() {
    use crossterm::event::KeyCode;
    let dir = tempfile::tempdir().unwrap();
    let script = json!({
        "register": {"id": "com.test.sampled", "name": "sampled", "version": "1",
            "capabilities": [{"type": "visitor_panel", "title": "Sampled"}]},
        "answers": {"visitor_panel/render": {"template": "text", "data": {"text": "sampled ok"}}}
    });
    std::fs::write(dir.path().join("script.json"), script.to_string()).unwrap();
    let plugin = common::repo_path("tests/plugins/scripted.py")
        .display()
        .to_string();
    std::fs::write(
        dir.path().join("plugin.yml"),
        format!("name: sampled\ncommand: python3\nargs: ['{plugin}', script.json]\n"),
    )
    .unwrap();
    let mut c = common::console::Console::new(160, 36, |_| {}).await;
    c.launch(&[dir.path().to_path_buf()], Duration::from_secs(1));
    c.run(|mut s| async move {
        // Registered and rendered by itself: one answered request, and its process sampled.
        s.until("sampled ok").await;
        s.until_screen("health under the plugin and in the status bar", |screen| {
            screen.contains("1 req · p50")
                && screen.contains("MiB")
                && screen.contains("% CPU")
                && screen.contains("· 1 req · 0 err · 0 timeouts")
        })
        .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let h = &c.state.health.plugins["com.test.sampled"];
    assert_eq!((h.requests, h.errors, h.timeouts), (1, 0, 0));
    c.finish().await;
}
