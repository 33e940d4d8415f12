//! Abuse: a real misbehaving plugin process (`tests/plugins/rogue.py`) and a healthy one (the
//! Rust demo plugin) on the same host at the same time. Every case checks two things: the
//! fault is reported in words that say what happened (event, outcome or log entry), and the
//! healthy plugin is still served correctly.

mod common;

use common::hooked::{Hooked, Hooks};
use common::*;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Cell;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgo_console::host::{
    EntryKind, HostConfig, HostEvent, HostHandle, LogEntry, Outcome, PluginState, Reply,
};
use tgo_console::jsonui::{self, Node};
use tgo_console::launcher::ChildPlugin;
use tgo_console::text::has_control_chars;
use tgo_console::tui::uiview::{self, UiState};

const HEALTHY: &str = "healthy.demo";
/// Functional patience for anything that should happen: generous, never a speed claim.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long a request to a plugin that will never pair an answer is given.
const SHORT: Duration = Duration::from_secs(1);

/// A host with the healthy plugin and one rogue process started together.
struct Scene {
    h: TestHost,
    _healthy: ChildPlugin,
    _rogue: ChildPlugin,
}

impl Scene {
    async fn new(mode: &str, arg: Option<&str>, tweak: impl FnOnce(&mut HostConfig)) -> Self {
        let mut h = start_host(tweak).await;
        let healthy = h.demo(HEALTHY);
        let rogue = h.rogue(mode, arg);
        h.registered_as(HEALTHY).await;
        Scene {
            h,
            _healthy: healthy,
            _rogue: rogue,
        }
    }

    fn handle(&self) -> HostHandle {
        self.h.handle.clone()
    }

    /// Copies of the log entries matching `pred`.
    fn entries(&self, pred: impl Fn(&LogEntry) -> bool) -> Vec<LogEntry> {
        let log = self.h.handle.log();
        log.entries().iter().filter(|e| pred(e)).cloned().collect()
    }

    /// The entries matching `pred` once there are `n` of them (a frame that pairs with no
    /// request may well arrive after that request timed out).
    async fn await_entries(&self, n: usize, pred: impl Fn(&LogEntry) -> bool) -> Vec<LogEntry> {
        let mut updates = self.h.handle.log_updates();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let found = self.entries(&pred);
            if found.len() >= n {
                return found;
            }
            let grew = tokio::time::timeout_at(deadline, updates.changed()).await;
            assert!(
                matches!(grew, Ok(Ok(()))),
                "only {} of {n}: {found:?}",
                found.len()
            );
        }
    }
}

/// Renders the healthy plugin's first panel; panics unless it is a correct JSON-UI answer.
async fn served(handle: &HostHandle) {
    let reply = ask(handle, HEALTHY, "visitor_panel/render", PATIENCE).await;
    let ui = result(reply.outcome);
    let parsed = jsonui::parse_ui(&ui);
    assert!(!parsed.has_errors(), "healthy answer invalid: {ui}");
    assert!(ui.to_string().contains("Profile"), "{ui}");
}

/// One request with its own timeout (a visitor_panel render context for renders).
async fn ask(handle: &HostHandle, plugin: &str, method: &str, timeout: Duration) -> Reply {
    let params = if method.ends_with("/render") {
        tgo_console::host::RenderContext::default()
            .render_params(&tgo_console::host::CapabilityKind::VisitorPanel)
    } else {
        json!({})
    };
    handle
        .send(plugin, method, params, Some(timeout))
        .await
        .unwrap_or_else(|e| panic!("{plugin}: {e}"))
        .wait()
        .await
}

fn is_disconnect_of(plugin: &str) -> impl Fn(&HostEvent) -> bool + '_ {
    move |e| matches!(e, HostEvent::Disconnected { plugin_id: Some(p), .. } if p == plugin)
}

fn reason_of(ev: HostEvent) -> String {
    match ev {
        HostEvent::Disconnected { reason, .. } | HostEvent::Rejected { reason, .. } => reason,
        other => panic!("no reason in {other:?}"),
    }
}

/// Draws `node` at `width`×`height`, scrolled to `scroll`; returns the screen text.
fn draw_ui(node: &Node, scroll: u32, width: u16, height: u16) -> String {
    let mut state = UiState::new(node);
    state.set_scroll(scroll);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            uiview::render(
                node,
                &state,
                f.area(),
                f.buffer_mut(),
                &Default::default(),
                false,
            )
        })
        .unwrap();
    terminal.backend().to_string()
}

// ---------------------------------------------------------------------------------- cases

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_length() {
    let mut s = Scene::new("oversized", None, |_| {}).await;
    // And one that announces 4 GiB instead of registering at all.
    let _unregistered = s.h.rogue("oversized_first", None);
    s.h.registered_as("rogue.oversized").await;
    let handle = s.handle();
    let (ev, ()) = tokio::join!(
        s.h.event(is_disconnect_of("rogue.oversized")),
        served(&handle)
    );
    let reason = reason_of(ev);
    assert_eq!(
        reason,
        "frame error: frame announces 4294967295 bytes, over the 16777216-byte limit \
         (--max-frame-bytes)"
    );
    let unregistered = |e: &HostEvent| {
        matches!(e, HostEvent::Disconnected { plugin_id: None, reason, .. }
            if reason.contains("announces"))
    };
    let ev = s.h.event(unregistered).await;
    assert!(reason_of(ev).contains("4294967295 bytes"));
    // The user sees it in the log as a flagged event, and in the plugin list.
    let flagged = s.entries(|e| {
        let EntryKind::Event { text } = &e.kind else {
            return false;
        };
        e.problem && text.contains("frame announces 4294967295 bytes")
    });
    assert_eq!(flagged.len(), 2, "{flagged:?}");
    let state = handle
        .plugins()
        .into_iter()
        .find(|r| r.plugin_id == "rogue.oversized")
        .unwrap()
        .state;
    let PluginState::Disconnected { reason, .. } = &state else {
        panic!("{state:?}")
    };
    assert!(reason.contains("over the 16777216-byte limit"), "{reason}");
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_json() {
    let mut s = Scene::new("garbage", None, |_| {}).await;
    let _shapes = s.h.rogue("non_jsonrpc", None);
    s.h.registered_as("rogue.garbage").await;
    s.h.registered_as("rogue.non_jsonrpc").await;
    let handle = s.handle();
    let (garbage, shapes, ()) = tokio::join!(
        ask(&handle, "rogue.garbage", "visitor_panel/render", SHORT),
        ask(&handle, "rogue.non_jsonrpc", "visitor_panel/render", SHORT),
        served(&handle)
    );
    // No usable id in any of these frames: the request can only time out, but the timeout
    // says what came instead…
    assert_eq!(
        garbage.outcome.summary(),
        "timed out after 1.0 s; meanwhile the plugin sent 1 invalid frame \
         (invalid JSON: expected ident at line 1 column 2)"
    );
    let shapes_said = shapes.outcome.summary();
    assert!(
        shapes_said
            .starts_with("timed out after 1.0 s; meanwhile the plugin sent 3 invalid frames"),
        "{shapes_said}"
    );
    // …and the frames themselves are logged as invalid, saying why, with the bytes kept.
    let invalid = |plugin: &'static str, n| {
        s.await_entries(n, move |e| {
            e.plugin.as_deref() == Some(plugin) && matches!(e.kind, EntryKind::Invalid { .. })
        })
    };
    let g = invalid("rogue.garbage", 1).await;
    assert_eq!(g.len(), 1, "{g:?}");
    assert!(g[0].problem);
    assert_eq!(&g[0].raw[..], b"this is not json{");
    let EntryKind::Invalid { reason } = &g[0].kind else {
        unreachable!()
    };
    assert!(reason.starts_with("invalid JSON: "), "{reason}");
    let reasons: Vec<String> = invalid("rogue.non_jsonrpc", 3)
        .await
        .into_iter()
        .map(|e| match e.kind {
            EntryKind::Invalid { reason } => reason,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "JSON-RPC batches (arrays) are not supported",
            "not a JSON object",
            "not a JSON-RPC message: no \"method\", \"result\" or \"error\""
        ]
    );
    assert!(s.h.log_mentions("request 1 (visitor_panel/render) timed out after 1.0 s"));
    // A bad frame is reported, not fatal.
    assert!(s.h.handle.plugin("rogue.garbage").is_some());
    assert!(s.h.handle.plugin("rogue.non_jsonrpc").is_some());
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8() {
    let mut s = Scene::new("invalid_utf8", None, |_| {}).await;
    s.h.registered_as("rogue.invalid_utf8").await;
    let handle = s.handle();
    let (reply, ()) = tokio::join!(
        ask(&handle, "rogue.invalid_utf8", "visitor_panel/render", SHORT),
        served(&handle)
    );
    // The id sits behind the bad bytes: unreadable, so the request times out, saying why.
    assert_eq!(
        reply.outcome.summary(),
        "timed out after 1.0 s; meanwhile the plugin sent 1 invalid frame \
         (not valid UTF-8 (invalid byte at offset 0))"
    );
    let bad = s
        .await_entries(1, |e| matches!(e.kind, EntryKind::Invalid { .. }))
        .await;
    assert_eq!(bad.len(), 1);
    assert_eq!(
        bad[0].kind,
        EntryKind::Invalid {
            reason: "not valid UTF-8 (invalid byte at offset 0)".into()
        }
    );
    assert!(bad[0].problem && bad[0].raw.starts_with(b"\xff\xfe"));
    assert!(s.h.handle.plugin("rogue.invalid_utf8").is_some());
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_a_frame_then_close() {
    let mut s = Scene::new("half_frame", None, |_| {}).await;
    s.h.registered_as("rogue.half_frame").await;
    let handle = s.handle();
    let (reply, ()) = tokio::join!(
        ask(
            &handle,
            "rogue.half_frame",
            "visitor_panel/render",
            PATIENCE
        ),
        served(&handle)
    );
    let expected = "frame error: connection closed in the middle of a frame \
                    (10 payload bytes of an unfinished frame)";
    assert_eq!(
        reply.outcome,
        Outcome::Disconnected {
            reason: expected.into()
        }
    );
    assert_eq!(
        reason_of(s.h.event(is_disconnect_of("rogue.half_frame")).await),
        expected
    );
    assert!(s.h.log_mentions("connection closed: frame error: connection closed in the middle"));
    assert!(s.h.handle.plugin("rogue.half_frame").is_none());
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_answering() {
    let mut s = Scene::new("never_answer", None, |_| {}).await;
    s.h.registered_as("rogue.never_answer").await;
    let handle = s.handle();
    let params = json!({"visitor_id": "v_1"});
    let ticket = handle
        .send(
            "rogue.never_answer",
            "visitor_panel/render",
            params,
            Some(SHORT),
        )
        .await
        .unwrap();
    // The healthy plugin answers while the rogue's request is still waiting.
    served(&handle).await;
    assert!(handle.pending().contains(&(ticket.conn, ticket.id)));
    let reply = ticket.wait().await;
    assert_eq!(
        reply.outcome,
        Outcome::Timeout {
            after: SHORT,
            meanwhile: None
        }
    );
    assert_eq!(reply.outcome.summary(), "timed out after 1.0 s");
    let timed_out = s.entries(|e| {
        e.problem
            && e.kind
                == EntryKind::Event {
                    text: "request 1 (visitor_panel/render) timed out after 1.0 s".into(),
                }
    });
    assert_eq!(timed_out.len(), 1);
    assert!(
        handle.pending().is_empty(),
        "the expired request is forgotten"
    );
    assert!(s.h.handle.plugin("rogue.never_answer").is_some());
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_ids() {
    let mut s = Scene::new("wrong_ids", None, |_| {}).await;
    s.h.registered_as("rogue.wrong_ids").await;
    let handle = s.handle();
    let (reply, ()) = tokio::join!(
        ask(&handle, "rogue.wrong_ids", "visitor_panel/render", SHORT),
        served(&handle)
    );
    assert!(matches!(reply.outcome, Outcome::Timeout { .. }));
    // Both stray answers are kept, flagged, and name the id that matched nothing.
    let strays: Vec<Vec<String>> = s
        .await_entries(2, |e| {
            e.plugin.as_deref() == Some("rogue.wrong_ids")
                && matches!(e.kind, EntryKind::Result { .. })
                && e.problem
                && !e.notes.is_empty()
        })
        .await
        .into_iter()
        .map(|e| e.notes)
        .collect();
    assert_eq!(
        strays,
        [
            ["answer to id 1001, which was never asked"],
            ["answer to id 424242, which was never asked"]
        ]
    );
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting() {
    let mut s = Scene::new("deep", Some("100000"), |_| {}).await;
    s.h.registered_as("rogue.deep").await;
    let handle = s.handle();
    let (reply, ()) = tokio::join!(
        ask(&handle, "rogue.deep", "visitor_panel/render", PATIENCE),
        served(&handle)
    );
    match &reply.outcome {
        Outcome::InvalidAnswer { reason } => assert!(
            reason.starts_with("result nests ")
                && reason.ends_with(" levels deep, over the limit of 100"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    // Classified, and still paired with its request both ways.
    let response = reply.response_seq.expect("answer paired");
    {
        let log = handle.log();
        let answer = log.get(response).unwrap();
        assert_eq!(answer.pair, Some(reply.request_seq));
        assert!(answer.problem && matches!(answer.kind, EntryKind::Invalid { .. }));
        assert_eq!(log.get(reply.request_seq).unwrap().pair, Some(response));
    }
    // The connection survives: the next answer is classified the same way.
    let again = ask(&handle, "rogue.deep", "visitor_panel/render", PATIENCE).await;
    assert!(
        matches!(again.outcome, Outcome::InvalidAnswer { .. }),
        "{:?}",
        again.outcome
    );
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_table() {
    let mut s = Scene::new("big_table", Some("200000"), |_| {}).await;
    s.h.registered_as("rogue.big_table").await;
    let handle = s.handle();
    let (reply, ()) = tokio::join!(
        ask(&handle, "rogue.big_table", "visitor_panel/render", PATIENCE),
        served(&handle)
    );
    assert!(reply.response_seq.is_some(), "answer paired");
    let ui = result(reply.outcome);
    let parsed = jsonui::parse_ui(&ui);
    assert!(!parsed.has_errors(), "{:?}", parsed.errors().next());
    let Node::Table(table) = &parsed.value else {
        panic!("not a table: {}", parsed.value.template_name())
    };
    assert_eq!(table.rows.len(), 200_000);
    // It draws, down to the last row.
    let height = uiview::layout(&parsed.value, &UiState::new(&parsed.value), 80).height;
    let bottom = draw_ui(&parsed.value, height - 10, 80, 10);
    assert!(bottom.contains("R199999"), "{bottom}");
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_flood() {
    const BUDGET: usize = 8 * 1024 * 1024;
    const FLOOD: u64 = 200_000;
    let mut s = Scene::new("flood", Some("200000"), |c| c.log_budget_bytes = BUDGET).await;
    s.h.registered_as("rogue.flood").await;
    let handle = s.handle();
    // The rogue answers only after its whole flood, and frames are handled in order: once
    // this render is answered, every notification has been through the log.
    let flooded = async {
        let reply = ask(&handle, "rogue.flood", "visitor_panel/render", PATIENCE * 3).await;
        result(reply.outcome)
    };
    let (ui, ()) = tokio::join!(flooded, served(&handle));
    assert_eq!(ui["data"]["text"], "ok from rogue.flood");
    {
        let log = handle.log();
        assert!(log.bytes() <= BUDGET, "{} bytes kept", log.bytes());
        assert_eq!(log.budget(), BUDGET);
        let (evicted, evicted_bytes) = log.evicted();
        assert!(evicted > 0 && evicted_bytes > 0);
        // Every entry is either kept or counted as evicted.
        assert_eq!(evicted + log.len() as u64, log.last_seq());
        assert!(log.last_seq() > FLOOD, "{}", log.last_seq());
        let last = log
            .entries()
            .iter()
            .rev()
            .find(|e| matches!(e.kind, EntryKind::Notification { .. }))
            .unwrap();
        assert_eq!(
            last.notes,
            ["notification from the plugin: the TGO host ignores these"]
        );
        assert!(
            std::str::from_utf8(&last.raw)
                .unwrap()
                .contains("\"n\":199999")
        );
    }
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_templates() {
    let mut s = Scene::new("unknown_template", None, |_| {}).await;
    s.h.registered_as("rogue.unknown_template").await;
    let handle = s.handle();
    let (render, ()) = tokio::join!(
        ask(
            &handle,
            "rogue.unknown_template",
            "visitor_panel/render",
            PATIENCE
        ),
        served(&handle)
    );
    let parsed = jsonui::parse_ui(&result(render.outcome));
    let errors: Vec<String> = parsed.errors().map(|d| d.message.clone()).collect();
    assert!(
        errors
            .iter()
            .any(|m| m.contains("unknown template \"hologram\"")),
        "{errors:?}"
    );
    // Shown as such, with its raw JSON, never dropped.
    let screen = draw_ui(&parsed.value, 0, 80, 8);
    assert!(
        screen.contains("hologram") && screen.contains("\"x\""),
        "{screen}"
    );
    let event = ask(
        &handle,
        "rogue.unknown_template",
        "visitor_panel/event",
        PATIENCE,
    )
    .await;
    let action = jsonui::parse_action(&result(event.outcome));
    let errors: Vec<String> = action.errors().map(|d| d.message.clone()).collect();
    assert!(
        errors
            .iter()
            .any(|m| m.contains("unknown action \"teleport\"")),
        "{errors:?}"
    );
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_replies() {
    let mut s = Scene::new("error_reply", None, |_| {}).await;
    s.h.registered_as("rogue.error_reply").await;
    let handle = s.handle();
    let (reply, ()) = tokio::join!(
        ask(
            &handle,
            "rogue.error_reply",
            "visitor_panel/render",
            PATIENCE
        ),
        served(&handle)
    );
    let Outcome::PluginError(e) = &reply.outcome else {
        panic!("{:?}", reply.outcome)
    };
    assert_eq!(
        (e.code, e.message.as_str(), e.data.clone()),
        (-32003, "Order not found", Some(json!({"order": "X"})))
    );
    assert_eq!(
        reply.outcome.summary(),
        "plugin error -32003: Order not found"
    );
    // Logged as an error, paired with its request, flagged.
    let log_entry = handle
        .log()
        .get(reply.response_seq.unwrap())
        .cloned()
        .unwrap();
    assert_eq!(log_entry.pair, Some(reply.request_seq));
    assert!(log_entry.problem);
    assert!(matches!(
        log_entry.kind,
        EntryKind::Error { code: -32003, ref message, .. } if message == "Order not found"
    ));
    // An error is an answer, not a fault of the connection.
    let ping = ask(&handle, "rogue.error_reply", "ping", PATIENCE).await;
    assert!(matches!(ping.outcome, Outcome::PluginError(_)));
    served(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_ids() {
    // Response ids: every request answered twice.
    let mut s = Scene::new("answer_twice", None, |_| {}).await;
    s.h.registered_as("rogue.answer_twice").await;
    let handle = s.handle();
    let (reply, ()) = tokio::join!(
        ask(
            &handle,
            "rogue.answer_twice",
            "visitor_panel/render",
            PATIENCE
        ),
        served(&handle)
    );
    assert_eq!(
        result(reply.outcome)["data"]["text"],
        "ok from rogue.answer_twice"
    );
    // The duplicate precedes this ping's answer on the wire, so it has been logged by now.
    let ping = ask(&handle, "rogue.answer_twice", "ping", PATIENCE).await;
    assert_eq!(result(ping.outcome), json!({"pong": true}));
    let dup = s.entries(|e| {
        e.problem
            && e.notes
                .iter()
                .any(|n| n.starts_with("duplicate answer to request 1"))
    });
    assert_eq!(dup.len(), 1, "{dup:?}");
    assert_eq!(
        dup[0].notes,
        ["duplicate answer to request 1, which was already answered"]
    );
    assert!(dup[0].pair.is_none(), "the first answer keeps the pairing");

    // Plugin ids: a second process registers an id already connected.
    let _first = s.h.rogue("duplicate", Some("dup.id"));
    let HostEvent::Registered { conn: old, .. } = s
        .h
        .event(|e| matches!(e, HostEvent::Registered { plugin_id, .. } if plugin_id == "dup.id"))
        .await
    else {
        unreachable!()
    };
    let _second = s.h.rogue("duplicate", Some("dup.id"));
    let HostEvent::Registered { conn: new, .. } =
        s.h.event(|e| matches!(e, HostEvent::Registered { replaced: Some(r), .. } if *r == old))
            .await
    else {
        unreachable!()
    };
    let gone =
        s.h.event(|e| matches!(e, HostEvent::Disconnected { conn, .. } if *conn == old))
            .await;
    assert_eq!(
        reason_of(gone),
        format!("replaced by connection #{new} registering the same id")
    );
    // The newcomer is served; the old registration stays visible as replaced.
    let text = result(
        ask(&handle, "dup.id", "visitor_panel/render", PATIENCE)
            .await
            .outcome,
    );
    assert_eq!(text["data"]["text"], "ok from dup.id");
    let states: Vec<_> = handle
        .plugins()
        .into_iter()
        .filter(|r| r.plugin_id == "dup.id")
        .map(|r| (r.conn, r.state))
        .collect();
    assert_eq!(
        states,
        [
            (old, PluginState::Replaced { by_conn: new }),
            (new, PluginState::Connected)
        ]
    );
    assert!(s.h.log_mentions(&format!(
        "replaced by connection #{new} registering the same id"
    )));
    served(&handle).await;
}

// ------------------------------------------------------------------ escape sequences

/// A `TestBackend` that checks every cell the console ever draws for characters a terminal
/// would act on, and publishes the screen after each frame so a script can wait for it.
struct Scanner {
    leaks: Arc<Mutex<Vec<String>>>,
    screen: tokio::sync::watch::Sender<String>,
}

/// C0/C1 controls, DEL and bidi overrides: what `tgo_console::text` must escape.
fn dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A line showing the rogue's payload with its controls removed rather than escaped. ratatui
/// itself drops control and zero-width characters, so a string that skipped
/// `text::sanitize_*` shows up as `[2J]0;pwned31m…` (pieces glued together), where an escaped
/// one always has a visible `\x1b`/`\u001b` between them, however it is cut or wrapped.
fn unescaped(screen: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| {
            ["[2J]0;", "pwned31m", "31m8;;x", "8;;xP+q"]
                .iter()
                .any(|glued| l.contains(glued))
        })
        .map(String::from)
}

impl Hooks for Scanner {
    fn cell(&mut self, x: u16, y: u16, cell: &Cell) {
        if cell.symbol().chars().any(dangerous) {
            self.leaks
                .lock()
                .unwrap()
                .push(format!("({x},{y}) {:?}", cell.symbol()));
        }
    }
    fn flushed(&mut self, backend: &TestBackend) {
        let screen = backend.to_string();
        if let Some(line) = unescaped(&screen) {
            self.leaks
                .lock()
                .unwrap()
                .push(format!("drawn unescaped: {line}"));
        }
        self.screen.send_replace(screen);
    }
}

struct Script {
    keys: futures::channel::mpsc::UnboundedSender<std::io::Result<Event>>,
    screen: tokio::sync::watch::Receiver<String>,
}

impl Script {
    fn key(&self, code: KeyCode) {
        self.key_with(code, KeyModifiers::NONE);
    }
    fn key_with(&self, code: KeyCode, mods: KeyModifiers) {
        let ev = Event::Key(KeyEvent::new(code, mods));
        self.keys.unbounded_send(Ok(ev)).unwrap();
    }
    fn type_text(&self, s: &str) {
        s.chars().for_each(|c| self.key(KeyCode::Char(c)));
    }
    /// Waits until a drawn frame shows `needle`; returns that screen.
    async fn until(&mut self, needle: &str) -> String {
        let waited = tokio::time::timeout(PATIENCE, self.screen.wait_for(|s| s.contains(needle)))
            .await
            .map(|r| r.map(|s| s.clone()));
        match waited {
            Ok(Ok(screen)) => screen,
            _ => panic!("never drawn: {needle:?}\n{}", *self.screen.borrow()),
        }
    }
}

#[derive(Default)]
struct Platform(Vec<String>);

impl tgo_console::tui::app::Platform for Platform {
    fn copy(&mut self, text: &str) {
        self.0.push(format!("copy {text}"));
    }
    fn open_url(&mut self, url: &str, _: tgo_console::tui::app::Failed) {
        self.0.push(format!("open {url}"));
    }
}

/// Escaped form of the rogue's payload as the console shows it (`\x1b[2J…`).
const SHOWN: &str = "\\x1b[2J";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_in_every_string() {
    use tgo_console::tui::{
        app::{Sources, event_loop},
        state::State,
        theme::Theme,
    };
    let mut h = start_host(|_| {}).await;
    let (w, ht) = (160, 50);
    let leaks = Arc::new(Mutex::new(Vec::new()));
    let (screen_tx, screen) = tokio::sync::watch::channel(String::new());
    let backend = Hooked {
        inner: TestBackend::new(w, ht),
        hooks: Scanner {
            leaks: leaks.clone(),
            screen: screen_tx,
        },
    };
    let mut terminal = Terminal::new(backend).unwrap();
    let ctx = tgo_console::host::RenderContext::default();
    let mut state = State::new(
        Theme::default(),
        ctx,
        h.handle.addresses().to_vec(),
        "log".into(),
    );
    state.size = (w, ht);
    let (keys, mut input) = futures::channel::mpsc::unbounded();
    let mut platform = Platform::default();
    let handle = h.handle.clone();
    let socket = h.socket.clone();
    let mut script = Script { keys, screen };
    let scripted = async {
        // The rogue first, so its panel is the one shown; then the healthy plugin.
        let _rogue = spawn_rogue(&socket, "escapes", None);
        script.until(&format!("press{SHOWN}")).await;
        let _healthy = spawn_demo(&socket, HEALTHY);
        script.until("tgo-demo").await;
        // Render pane: press the focused control; the answer is a batch of every action.
        script.key(KeyCode::Char('2'));
        script.key(KeyCode::Enter);
        script.until(&format!("in modal{SHOWN}")).await;
        script.until(&format!("toast{SHOWN}")).await;
        script.key(KeyCode::Esc);
        // The toolbar, in a modal.
        script.key(KeyCode::Char('t'));
        script.until(&format!("reply{SHOWN}")).await;
        script.key(KeyCode::Esc);
        // Each capability in turn: toolbar, tools (forms drawn locally), the unknown type.
        script.key(KeyCode::Char('1'));
        script.key(KeyCode::Down);
        script.key(KeyCode::Down);
        script.until(&format!("Tool{SHOWN}")).await;
        script.key(KeyCode::Down);
        script.until(&format!("Holo{SHOWN}")).await;
        // An error answer with escapes in its message: ping through the composer.
        script.key(KeyCode::Char('c'));
        script.type_text("ping");
        script.key_with(KeyCode::Char('s'), KeyModifiers::CONTROL);
        script.until(&format!("no such method ping{SHOWN}")).await;
        // The inspector: every message in the log selected in turn, each shown in detail.
        script.key(KeyCode::Char('3'));
        for _ in 0..handle.log().len() {
            script.key(KeyCode::Char('k'));
        }
        // The healthy plugin is served all along.
        served(&handle).await;
        script.key(KeyCode::Char('q'));
    };
    let mut sources = Sources::default();
    let looped = event_loop(
        &mut terminal,
        &mut input,
        &mut state,
        &h.handle,
        &mut h.events,
        &mut platform,
        &mut sources,
    );
    let (looped, ()) = tokio::join!(looped, scripted);
    looped.unwrap();
    let leaks = leaks.lock().unwrap().clone();
    assert!(leaks.is_empty(), "control characters drawn: {leaks:?}");
    assert!(state.quit);
    // Carried-out actions reach the platform unchanged (they never touch the screen).
    // Carried out unchanged (the clipboard gets it base64-encoded, never drawn).
    assert_eq!(platform.0, [format!("copy copy{ESC}")]);
    h.handle.shutdown().await;

    // `check`'s report, in both formats, for the same plugin.
    let dir = tempfile::tempdir().unwrap();
    let opts = tgo_console::check::CheckOptions {
        host: HostConfig {
            socket: Some(dir.path().join("tgo.sock")),
            request_timeout: PATIENCE,
            ..HostConfig::default()
        },
        visitor: "v_1".into(),
        strict: false,
        command: Some(tgo_console::launcher::LaunchSpec {
            program: "python3".into(),
            args: vec![
                repo_path("tests/plugins/rogue.py").display().to_string(),
                "escapes".into(),
            ],
            cwd: None,
            env: Vec::new(),
        }),
        wait: PATIENCE,
        chaos: None,
    };
    let report = tgo_console::check::run(opts).await.unwrap();
    let text = report.to_text(false);
    assert!(!has_control_chars(&text), "{text}");
    assert_eq!(unescaped(&text), None, "{text}");
    for shown in [
        "rogue\\x1b[2J",
        "no such method ping\\x1b[2J",
        "tool failed\\u001b[2J",
    ] {
        assert!(text.contains(shown), "{shown:?} missing:\n{text}");
    }
    assert!(text.contains("control characters"), "{text}");
    let json = report.to_json();
    assert!(!has_control_chars(&json), "{json}");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        parsed["plugin"]["name"],
        format!("rogue{ESC}"),
        "JSON keeps the exact string"
    );
}

/// The rogue's payload (tests/plugins/rogue.py `ESC`).
const ESC: &str = "\x1b[2J\x1b]0;pwned\x07\u{9b}31m\u{9d}8;;x\u{9c}\x1bP+q\x1b\\\u{7f}\u{202e}";
