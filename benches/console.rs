//! Performance of the hot paths, measured (never asserted in tests): frame codec, JSON-UI
//! parse + validate of a 200 000-row table, message-log append, inspector sync and draw over a
//! 1 000 000-entry log, render-pane draw of a 200 000-row table, a key into 100 KB of
//! composer params.
//! Run: `cargo bench --bench console` (numbers in the README).

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::time::Duration;
use tgo_console::host::register::parse_register;
use tgo_console::host::{Direction, EntryKind, LogEntry, MessageLog, RenderContext};
use tgo_console::jsonui;
use tgo_console::protocol::{FrameCodec, Id, jsonrpc};
use tgo_console::tui::msg::CapKey;
use tgo_console::tui::state::{Liveness, Pane, PluginView, RenderSlot, Rendered, Shown, State};
use tgo_console::tui::theme::Theme;
use tgo_console::tui::{inspector::InspectorState, view};
use tokio_util::codec::{Decoder, Encoder};

fn big_table(rows: usize) -> Value {
    let rows: Vec<Value> = (0..rows)
        .map(|i| json!({"id": format!("ORD-{i:06}"), "total": format!("¥{}.00", i % 997), "status": {"text": "Shipped", "color": "green"}, "note": "ok"}))
        .collect();
    json!({"template": "table", "data": {"title": "Orders", "columns": [
        {"key": "id", "label": "Order"}, {"key": "total", "label": "Total", "align": "right"},
        {"key": "status", "label": "Status"}, {"key": "note", "label": "Note"}], "rows": rows}})
}

fn million_log() -> MessageLog {
    let mut log = MessageLog::new(1 << 30);
    for i in 0..1_000_000u64 {
        let (dir, kind, raw) = if i % 2 == 0 {
            (
                Direction::Out,
                EntryKind::Request {
                    id: Id::Num(i as i64),
                    method: "visitor_panel/render".into(),
                },
                jsonrpc::request_bytes(i, "visitor_panel/render", &json!({"visitor_id": "v_1"})),
            )
        } else {
            (Direction::In, EntryKind::Result { id: Some(Id::Num(i as i64 - 1)) }, Bytes::from_static(br#"{"jsonrpc":"2.0","id":1,"result":{"template":"text","data":{"text":"ok"}}}"#))
        };
        log.push(LogEntry::new(
            dir,
            1,
            Some("com.tgo.demo".into()),
            raw,
            kind,
        ));
    }
    log
}

fn codec(c: &mut Criterion) {
    let payload = Bytes::from(
        serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": 7, "result": big_table(20)})).unwrap(),
    );
    c.bench_function("codec encode+decode 2 KB frame", |b| {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::new();
        b.iter(|| {
            codec.encode(payload.clone(), &mut buf).unwrap();
            black_box(codec.decode(&mut buf).unwrap().unwrap());
        })
    });
    c.bench_function("jsonrpc parse 2 KB response", |b| {
        b.iter(|| black_box(jsonrpc::parse(&payload).unwrap()))
    });
    // What the host's reader does with an answer: checked, left raw.
    c.bench_function(
        "jsonrpc parse_raw 2 KB response (the host's hot path)",
        |b| b.iter(|| black_box(jsonrpc::parse_raw(&payload).unwrap())),
    );
}

fn jsonui_parse(c: &mut Criterion) {
    let table = big_table(200_000);
    let mut g = c.benchmark_group("jsonui");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("parse+validate 200k-row table", |b| {
        b.iter(|| black_box(jsonui::parse_ui(&table)))
    });
    g.finish();
}

fn log_append(c: &mut Criterion) {
    let raw = Bytes::from_static(br#"{"jsonrpc":"2.0","method":"log","params":{"n":1}}"#);
    c.bench_function("message log append (budget-bound)", |b| {
        let mut log = MessageLog::new(8 << 20);
        b.iter(|| {
            log.push(LogEntry::new(
                Direction::In,
                1,
                Some("p".into()),
                raw.clone(),
                EntryKind::Notification {
                    method: "log".into(),
                },
            ))
        })
    });
}

fn screen_state(table_rows: usize) -> State {
    let mut state = State::new(
        Theme::default(),
        RenderContext::default(),
        vec!["/tmp/tgo.sock".into()],
        "log".into(),
    );
    state.size = (160, 50);
    let info = parse_register(Some(&json!({"id": "com.tgo.demo", "name": "demo", "version": "1", "capabilities": [{"type": "visitor_panel", "title": "Orders"}]}))).unwrap();
    state.plugins.push(PluginView {
        plugin_id: "com.tgo.demo".into(),
        name: info.name,
        version: info.version,
        description: None,
        author: None,
        generated_id: false,
        conn: 1,
        liveness: Liveness::Connected,
        capabilities: info.capabilities,
        replaced: 0,
        register_notes: info.notes,
        upstream_lost: false,
    });
    let key = CapKey {
        plugin_id: "com.tgo.demo".into(),
        index: 0,
    };
    let parsed = jsonui::parse_ui(&big_table(table_rows));
    state.render.slots.insert(
        key.clone(),
        RenderSlot::Ready(Box::new(Rendered::new(
            parsed.value,
            parsed.diagnostics,
            "visitor_panel/render".into(),
            Duration::from_millis(3),
        ))),
    );
    state.render.shown = Some(Shown::Cap(key));
    state.focus = Pane::Render;
    state
}

fn draw(c: &mut Criterion) {
    let log = million_log();
    let mut g = c.benchmark_group("draw");
    g.sample_size(20);
    g.bench_function("inspector sync of 1M-entry log (first, full index)", |b| {
        b.iter(|| {
            let mut st = InspectorState::new();
            st.sync(&log);
            black_box(st.counts())
        })
    });
    let mut state = screen_state(200_000);
    state.inspector.sync(&log);
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).unwrap();
    g.bench_function(
        "full frame 160x50: 200k-row table + 1M-message inspector",
        |b| {
            b.iter(|| {
                terminal.draw(|f| view::draw(f, &state, &log)).unwrap();
            })
        },
    );
    let small = screen_state(10);
    let empty = MessageLog::new(1 << 20);
    g.bench_function(
        "full frame 160x50: 10-row table, empty log (baseline)",
        |b| {
            b.iter(|| {
                terminal.draw(|f| view::draw(f, &small, &empty)).unwrap();
            })
        },
    );
    // The diagnostics list at its worst: a UI with thousands of faults, the list focused
    // (it wraps what it lists, at most `MAX_LISTED`, on every draw).
    let mut faulty = screen_state(10);
    if let Some(RenderSlot::Ready(r)) = faulty.shown_slot_mut() {
        r.diagnostics = (0..5_000)
            .map(|i| jsonui::Diagnostic {
                severity: jsonui::Severity::Warning,
                path: format!("$.data.items[{i}].data.columns[1].key"),
                message: "column \"reason_text\" is empty in every row; rows have \"reason\" \
                          (a message long enough to wrap twice at this width)"
                    .into(),
            })
            .collect();
    }
    faulty.diag.focused = true;
    g.bench_function(
        "full frame 160x50: 5 000 diagnostics, the list focused",
        |b| {
            b.iter(|| {
                terminal.draw(|f| view::draw(f, &faulty, &empty)).unwrap();
            })
        },
    );
    g.finish();
}

/// A key typed into 100 KB of composer params (a space, then Backspace): the syntax check
/// waits for a pause, so what is left is the text area's own bookkeeping.
fn composer_key(c: &mut Criterion) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use tgo_console::tui::composer::{ComposerState, PluginChoice};
    let rows: Vec<String> = (0..4000)
        .map(|i| format!("row {i:06} of the table"))
        .collect();
    let mut st = ComposerState::new(
        vec![PluginChoice {
            plugin_id: "demo".into(),
            methods: vec!["ping".into()],
            samples: Vec::new(),
        }],
        Some(("demo".into(), "ping".into(), json!({ "rows": rows }))),
    );
    let now = std::time::Instant::now();
    // Typed keys: bound to no composer action.
    let key = |code| tgo_console::tui::action::KeyInput {
        action: None,
        key: KeyEvent::new(code, KeyModifiers::NONE),
    };
    c.bench_function("composer: a key into 100 KB of params", |b| {
        b.iter(|| {
            st.handle_key(key(KeyCode::Char(' ')), now);
            st.handle_key(key(KeyCode::Backspace), now);
        })
    });
}

criterion_group!(benches, codec, jsonui_parse, log_append, draw, composer_key);
criterion_main!(benches);
