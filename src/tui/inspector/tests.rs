use super::*;
use crate::host::{Direction, EntryKind, LogEntry, MessageLog};
use crate::protocol::Id;
use crate::tui::theme::Theme;
use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::time::{Duration, Instant, SystemTime};

/// A key as the console routes it to the inspector: through the default keymap's inspector
/// scope, or its editing scope while the filter is typed.
fn keyed(
    st: &mut InspectorState,
    key: KeyEvent,
    log: &MessageLog,
    height: u16,
) -> InspectorOutcome {
    use crate::tui::action::{KeyInput, Scope};
    let keymap = crate::tui::keymap::Keymap::default();
    let scope = if st.is_typing() {
        Scope::Editing
    } else {
        Scope::Inspector
    };
    let action = keymap.action(&[scope], &key);
    st.handle_key(KeyInput { action, key }, log, height)
}

/// 2023-11-14 22:13:20 UTC, plus `ms`.
fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
}

fn push(log: &mut MessageLog, ms: u64, mut e: LogEntry) -> u64 {
    e.at = at(ms);
    log.push(e)
}

fn frame(dir: Direction, plugin: Option<&str>, raw: &str, kind: EntryKind) -> LogEntry {
    LogEntry::new(
        dir,
        1,
        plugin.map(String::from),
        Bytes::from(raw.to_string()),
        kind,
    )
}

fn event(text: &str) -> LogEntry {
    frame(
        Direction::Local,
        None,
        "",
        EntryKind::Event { text: text.into() },
    )
}

fn request(dir: Direction, plugin: &str, id: i64, method: &str, params: &str) -> LogEntry {
    frame(
        dir,
        Some(plugin),
        &format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#),
        EntryKind::Request {
            id: Id::Num(id),
            method: method.into(),
        },
    )
}

fn result(dir: Direction, plugin: &str, id: i64, result: &str) -> LogEntry {
    frame(
        dir,
        Some(plugin),
        &format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#),
        EntryKind::Result {
            id: Some(Id::Num(id)),
        },
    )
}

/// Seqs of interesting entries in [`mixed_log`].
struct Mixed {
    log: MessageLog,
    render_req: u64,
    render_res: u64,
    tool_req: u64,
    tool_err: u64,
    register: u64,
    event: u64,
}

/// One of everything: events, an incoming request, paired requests and replies, an error,
/// an invalid frame, a flagged notification, a long plugin id, and hostile text.
fn mixed_log() -> Mixed {
    let mut log = MessageLog::new(1 << 30);
    let first_event = push(&mut log, 0, event("connection 1 accepted (unix socket)"));
    let register = push(
        &mut log,
        12,
        request(
            Direction::In,
            "demo",
            1,
            "register",
            r#"{"id":"demo","name":"Demo","version":"1.0.0","capabilities":[{"type":"visitor_panel","title":"Customer 360"}]}"#,
        ),
    );
    let reg_ok = push(
        &mut log,
        13,
        result(Direction::Out, "demo", 1, r#"{"success":true}"#),
    );
    log.pair(register, reg_ok, Duration::from_micros(900));
    push(&mut log, 14, event("plugin demo registered"));
    let render_req = push(
        &mut log,
        1_500,
        request(
            Direction::Out,
            "demo",
            7,
            "visitor_panel/render",
            r#"{"visitor_id":"v_12345","language":"zh-CN","visitor":{"name":"张三","vip":true,"score":9.5,"tags":[]}}"#,
        ),
    );
    let render_res = push(
        &mut log,
        1_512,
        result(
            Direction::In,
            "demo",
            7,
            r#"{"template":"key_value","data":{"title":"Customer","items":[{"label":"Orders","value":"12"}]},"extra":null}"#,
        ),
    );
    log.pair(render_req, render_res, Duration::from_micros(12_345));
    let tool_req = push(
        &mut log,
        2_000,
        request(
            Direction::Out,
            "demo",
            8,
            "tool/execute",
            r#"{"tool_name":"refund","arguments":{}}"#,
        ),
    );
    let tool_err = push(
        &mut log,
        2_003,
        frame(
            Direction::In,
            Some("demo"),
            r#"{"jsonrpc":"2.0","id":8,"error":{"code":-32003,"message":"Unknown tool: refund"}}"#,
            EntryKind::Error {
                id: Some(Id::Num(8)),
                code: -32003,
                message: "Unknown tool: refund".into(),
            },
        ),
    );
    log.pair(tool_req, tool_err, Duration::from_micros(3_400));
    push(
        &mut log,
        2_100,
        frame(
            Direction::In,
            Some("demo"),
            "{\"jsonrpc\":\"2.0\",\"id\":9,\x1b[2J",
            EntryKind::Invalid {
                reason: "EOF while parsing an object".into(),
            },
        ),
    );
    push(
        &mut log,
        2_200,
        frame(
            Direction::In,
            Some("demo"),
            r#"{"jsonrpc":"2.0","method":"log/message","params":{"level":"info","text":"hello"}}"#,
            EntryKind::Notification {
                method: "log/message".into(),
            },
        )
        .with_note("unexpected notification")
        .flagged(),
    );
    let long = "an-extremely-long-plugin-identifier";
    let ping = push(
        &mut log,
        3_000,
        request(Direction::Out, long, 1, "ping", "{}"),
    );
    let pong = push(
        &mut log,
        3_001,
        result(Direction::In, long, 1, r#"{"pong":true}"#),
    );
    log.pair(ping, pong, Duration::from_micros(1_250_000));
    push(
        &mut log,
        4_000,
        event("connection 2 closed: \x1b[31mreset\x07 by peer"),
    );
    Mixed {
        log,
        render_req,
        render_res,
        tool_req,
        tool_err,
        register,
        event: first_event,
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn synced(log: &MessageLog) -> InspectorState {
    let mut st = InspectorState::new();
    st.sync(log);
    st
}

fn select(st: &mut InspectorState, log: &MessageLog, seq: u64) {
    st.follow = false;
    st.select(Some(seq), log);
}

fn type_filter(st: &mut InspectorState, log: &MessageLog, text: &str) {
    assert_eq!(keyed(st, key('/'), log, 20), InspectorOutcome::Handled);
    for c in text.chars() {
        keyed(st, key(c), log, 20);
    }
}

fn draw_list(st: &InspectorState, log: &MessageLog, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        let area = f.area();
        render_list(area, f.buffer_mut(), st, log, &Theme::default(), true);
    })
    .unwrap();
    t
}

fn draw_detail(st: &InspectorState, log: &MessageLog, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        let area = f.area();
        render_detail(area, f.buffer_mut(), st, log, &Theme::default(), true);
    })
    .unwrap();
    t
}

/// List above detail (narrow) or beside it (wide), as the app lays them out.
fn draw_both(
    st: &InspectorState,
    log: &MessageLog,
    w: u16,
    h: u16,
    side: bool,
) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        let a = f.area();
        let (l, d) = if side {
            let lw = a.width * 3 / 5;
            (
                Rect { width: lw, ..a },
                Rect {
                    x: a.x + lw,
                    width: a.width - lw,
                    ..a
                },
            )
        } else {
            let lh = a.height / 2;
            (
                Rect { height: lh, ..a },
                Rect {
                    y: a.y + lh,
                    height: a.height - lh,
                    ..a
                },
            )
        };
        let theme = Theme::default();
        render_list(l, f.buffer_mut(), st, log, &theme, true);
        render_detail(d, f.buffer_mut(), st, log, &theme, false);
    })
    .unwrap();
    t
}

#[test]
fn snapshot_list_mixed() {
    let m = mixed_log();
    let st = synced(&m.log);
    insta::assert_snapshot!(draw_list(&st, &m.log, 130, 17).backend());
}

#[test]
fn snapshot_detail_request() {
    let m = mixed_log();
    let mut st = synced(&m.log);
    select(&mut st, &m.log, m.render_req);
    insta::assert_snapshot!(draw_detail(&st, &m.log, 80, 30).backend());
}

#[test]
fn snapshot_detail_error() {
    let m = mixed_log();
    let mut st = synced(&m.log);
    select(&mut st, &m.log, m.tool_err);
    insta::assert_snapshot!(draw_detail(&st, &m.log, 80, 16).backend());
}

#[test]
fn snapshot_detail_invalid_and_event() {
    let m = mixed_log();
    let mut st = synced(&m.log);
    select(&mut st, &m.log, m.tool_err + 1);
    insta::assert_snapshot!("detail_invalid", draw_detail(&st, &m.log, 70, 9).backend());
    keyed(&mut st, code(KeyCode::End), &m.log, 20);
    insta::assert_snapshot!("detail_event", draw_detail(&st, &m.log, 70, 7).backend());
}

#[test]
fn snapshot_filter_input_open() {
    let m = mixed_log();
    let mut st = synced(&m.log);
    type_filter(&mut st, &m.log, "plugin:demo err");
    assert!(st.is_typing());
    insta::assert_snapshot!(draw_list(&st, &m.log, 100, 10).backend());
}

#[test]
fn snapshot_filtered_view() {
    let m = mixed_log();
    let mut st = synced(&m.log);
    type_filter(&mut st, &m.log, "errors");
    keyed(&mut st, code(KeyCode::Enter), &m.log, 20);
    assert!(!st.is_typing());
    assert_eq!(st.counts(), (3, m.log.len()));
    insta::assert_snapshot!(draw_list(&st, &m.log, 100, 8).backend());
}

#[test]
fn snapshot_narrow_40x10() {
    let m = mixed_log();
    let mut st = synced(&m.log);
    select(&mut st, &m.log, m.tool_err);
    insta::assert_snapshot!(draw_both(&st, &m.log, 40, 10, false).backend());
}

#[test]
fn snapshot_wide_160x40() {
    let m = mixed_log();
    let mut st = synced(&m.log);
    select(&mut st, &m.log, m.render_res);
    insta::assert_snapshot!(draw_both(&st, &m.log, 160, 40, true).backend());
}

#[test]
fn snapshot_empty_states() {
    let log = MessageLog::new(1 << 20);
    let st = synced(&log);
    insta::assert_snapshot!(draw_both(&st, &log, 50, 8, false).backend());
}

#[test]
fn sync_is_incremental_and_drops_evicted() {
    // The budget keeps 10 entries.
    let small = |i: u64| {
        frame(
            Direction::In,
            Some(if i.is_multiple_of(2) { "even" } else { "odd" }),
            "0123456789",
            EntryKind::Notification {
                method: "tick".into(),
            },
        )
    };
    let mut log = MessageLog::new(10 * small(1).cost() + small(1).cost() / 2);
    for i in 1..=6 {
        log.push(small(i));
    }
    let mut st = InspectorState::new();
    st.set_filter("plugin:even", &log);
    assert_eq!(st.counts(), (3, 6));
    assert_eq!(st.index.iter().copied().collect::<Vec<_>>(), [2, 4, 6]);
    st.follow = false;
    st.select(Some(2), &log);
    for i in 7..=14 {
        log.push(small(i));
    }
    assert_eq!(log.entries().front().unwrap().seq, 5);
    st.sync(&log);
    assert_eq!(st.indexed_upto, 14);
    assert_eq!(
        st.index.iter().copied().collect::<Vec<_>>(),
        [6, 8, 10, 12, 14]
    );
    assert_eq!(st.counts(), (5, 10));
    assert_eq!(
        st.selected(),
        Some(6),
        "an evicted selection moves to the oldest kept"
    );
    assert_eq!(st.detail.as_ref().map(|d| d.seq), Some(6));
    // Nothing new: nothing changes.
    st.sync(&log);
    assert_eq!(st.counts(), (5, 10));
}

#[test]
fn follow_tracks_the_newest_until_moved_up() {
    let m = mixed_log();
    let mut log = m.log;
    let mut st = synced(&log);
    assert!(st.is_following());
    assert_eq!(st.selected(), Some(log.last_seq()));
    let newest = push(&mut log, 5_000, event("later"));
    st.sync(&log);
    assert_eq!(st.selected(), Some(newest));
    keyed(&mut st, key('k'), &log, 20);
    assert!(!st.is_following());
    assert_eq!(st.selected(), Some(newest - 1));
    push(&mut log, 5_001, event("even later"));
    st.sync(&log);
    assert_eq!(
        st.selected(),
        Some(newest - 1),
        "not following: selection stays"
    );
    keyed(&mut st, key('j'), &log, 20);
    assert!(!st.is_following(), "moving down does not resume following");
    keyed(&mut st, key('G'), &log, 20);
    assert!(st.is_following());
    assert_eq!(st.selected(), Some(log.last_seq()));
    keyed(&mut st, key('g'), &log, 20);
    assert_eq!(st.selected(), Some(1));
    assert!(!st.is_following());
    keyed(&mut st, key('f'), &log, 20);
    assert!(st.is_following());
    assert_eq!(st.selected(), Some(log.last_seq()));
    keyed(&mut st, key('f'), &log, 20);
    assert!(!st.is_following());
    // Paging: a 10-row list area shows 7 rows.
    keyed(&mut st, key('g'), &log, 10);
    keyed(&mut st, code(KeyCode::PageDown), &log, 10);
    assert_eq!(st.selected(), Some(8));
}

#[test]
fn resend_edit_copy_and_pair_outcomes() {
    let m = mixed_log();
    let log = &m.log;
    let mut st = synced(log);
    select(&mut st, log, m.render_req);
    assert_eq!(
        keyed(&mut st, key('R'), log, 20),
        InspectorOutcome::Resend(m.render_req)
    );
    assert_eq!(
        keyed(&mut st, key('E'), log, 20),
        InspectorOutcome::EditResend(m.render_req)
    );
    select(&mut st, log, m.tool_err);
    assert_eq!(
        keyed(&mut st, key('R'), log, 20),
        InspectorOutcome::Resend(m.tool_req)
    );
    match keyed(&mut st, key('y'), log, 20) {
        InspectorOutcome::Copy(text) => {
            assert!(
                text.starts_with("{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 8,"),
                "{text}"
            );
            serde_json::from_str::<serde_json::Value>(&text).unwrap();
        }
        other => panic!("{other:?}"),
    }
    keyed(&mut st, key('p'), log, 20);
    assert_eq!(st.selected(), Some(m.tool_req));
    keyed(&mut st, key('p'), log, 20);
    assert_eq!(st.selected(), Some(m.tool_err));
    // An incoming request (register) and an event cannot be resent.
    select(&mut st, log, m.register);
    assert_eq!(keyed(&mut st, key('R'), log, 20), InspectorOutcome::Handled);
    assert!(
        st.notice
            .as_deref()
            .unwrap()
            .contains("not an outgoing request")
    );
    select(&mut st, log, m.event);
    assert_eq!(keyed(&mut st, key('E'), log, 20), InspectorOutcome::Handled);
    assert_eq!(keyed(&mut st, key('p'), log, 20), InspectorOutcome::Handled);
    assert_eq!(st.notice.as_deref(), Some("no paired message"));
    // The reply to `register` is outgoing but answers an incoming request.
    select(&mut st, log, m.register + 1);
    assert_eq!(keyed(&mut st, key('R'), log, 20), InspectorOutcome::Handled);
    // Unknown keys and Ctrl chords are left to the app.
    assert_eq!(keyed(&mut st, key('z'), log, 20), InspectorOutcome::Ignored);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(keyed(&mut st, ctrl_c, log, 20), InspectorOutcome::Ignored);
}

#[test]
fn pair_hidden_by_filter_is_reported() {
    let m = mixed_log();
    let log = &m.log;
    let mut st = synced(log);
    st.set_filter("<", log);
    select(&mut st, log, m.render_res);
    keyed(&mut st, key('p'), log, 20);
    assert_eq!(st.selected(), Some(m.render_res));
    assert_eq!(
        st.notice,
        Some(format!("#{} is hidden by the filter", m.render_req))
    );
}

#[test]
fn filter_input_applies_on_enter_and_esc_cancels_or_clears() {
    let m = mixed_log();
    let log = &m.log;
    let mut st = synced(log);
    let all = log.len();
    type_filter(&mut st, log, "method:render");
    // Typing does not filter yet, and keys are not shortcuts.
    assert_eq!(st.counts(), (all, all));
    assert_eq!(keyed(&mut st, key('G'), log, 20), InspectorOutcome::Handled);
    keyed(&mut st, code(KeyCode::Backspace), log, 20);
    keyed(&mut st, code(KeyCode::Esc), log, 20);
    assert!(!st.is_typing());
    assert_eq!(st.counts(), (all, all));
    type_filter(&mut st, log, "method:render");
    keyed(&mut st, code(KeyCode::Enter), log, 20);
    // The render request and its answer (matched by the request it answers).
    assert_eq!(st.counts(), (2, all));
    assert_eq!(
        st.selected(),
        Some(m.render_res),
        "follow picks the newest match"
    );
    // `/` reopens with the current filter; Esc outside the input clears it.
    keyed(&mut st, key('/'), log, 20);
    assert_eq!(st.input.as_ref().unwrap().lines(), ["method:render"]);
    keyed(&mut st, code(KeyCode::Esc), log, 20);
    assert_eq!(
        keyed(&mut st, code(KeyCode::Esc), log, 20),
        InspectorOutcome::Handled
    );
    assert_eq!(st.counts(), (all, all));
    assert_eq!(
        keyed(&mut st, code(KeyCode::Esc), log, 20),
        InspectorOutcome::Ignored
    );
}

#[test]
fn clicks_select_rows_under_the_mouse() {
    let m = mixed_log();
    let log = &m.log;
    let mut st = synced(log);
    draw_list(&st, log, 100, 8); // 5 entry rows: the last 5 entries.
    let first_shown = log.last_seq() - 4;
    st.handle_click(2);
    assert_eq!(st.selected(), Some(first_shown));
    assert!(!st.is_following());
    st.handle_click(0);
    assert_eq!(st.selected(), Some(first_shown), "border row: nothing");
    st.sync(log);
    assert_eq!(st.detail.as_ref().map(|d| d.seq), Some(first_shown));
    st.scroll(false, log);
    assert_eq!(st.selected(), Some(first_shown - 3));
}

#[test]
fn detail_scrolls_within_its_content() {
    let m = mixed_log();
    let log = &m.log;
    let mut st = synced(log);
    select(&mut st, log, m.render_req);
    for _ in 0..1000 {
        keyed(&mut st, key('J'), log, 20);
    }
    let len = st.detail_len(log);
    assert_eq!(st.detail_scroll, len - 1);
    keyed(&mut st, key('K'), log, 20);
    assert_eq!(st.detail_scroll, len - 2);
    let t = draw_detail(&st, log, 60, 6);
    assert!(format!("{:?}", t.backend()).contains('}'));
}

#[test]
fn hostile_text_never_reaches_the_buffer() {
    let m = mixed_log();
    let mut st = synced(&m.log);
    for seq in 1..=m.log.last_seq() {
        select(&mut st, &m.log, seq);
        for t in [
            draw_both(&st, &m.log, 120, 30, true),
            draw_both(&st, &m.log, 40, 10, false),
        ] {
            let buf: &Buffer = t.backend().buffer();
            for cell in buf.content() {
                assert!(
                    !crate::text::has_control_chars(cell.symbol()),
                    "{:?}",
                    cell.symbol()
                );
            }
        }
    }
}

/// The size the inspector must stay responsive at. Timings are printed, not asserted.
#[test]
fn a_million_entries() {
    const N: u64 = 1_000_000;
    let mut log = MessageLog::new(usize::MAX / 2);
    let raw = Bytes::from_static(br#"{"jsonrpc":"2.0","id":1,"result":{"ok":true}}"#);
    let plugin = Some("demo".to_string());
    let t = Instant::now();
    for i in 0..N {
        let kind = if i.is_multiple_of(1000) {
            EntryKind::Error {
                id: None,
                code: -32000,
                message: "boom".into(),
            }
        } else {
            EntryKind::Result {
                id: Some(Id::Num(i as i64)),
            }
        };
        let mut e = LogEntry::new(Direction::In, 1, plugin.clone(), raw.clone(), kind);
        e.at = at(i);
        log.push(e);
    }
    eprintln!("1M: build log {:?}", t.elapsed());
    let mut st = InspectorState::new();
    let t = Instant::now();
    st.sync(&log);
    eprintln!("1M: first sync {:?}", t.elapsed());
    assert_eq!(st.counts(), (N as usize, N as usize));

    let mut buf = Buffer::empty(Rect::new(0, 0, 160, 50));
    let theme = Theme::default();
    let list = Rect::new(0, 0, 100, 50);
    let detail = Rect::new(100, 0, 60, 50);
    let t = Instant::now();
    render_list(list, &mut buf, &st, &log, &theme, true);
    render_detail(detail, &mut buf, &st, &log, &theme, false);
    eprintln!("1M: draw list+detail (following) {:?}", t.elapsed());

    // Jump to the middle and draw again; then an incremental sync of 1000 new entries.
    keyed(&mut st, key('g'), &log, 50);
    for _ in 0..10 {
        keyed(&mut st, code(KeyCode::PageDown), &log, 50);
    }
    let t = Instant::now();
    render_list(list, &mut buf, &st, &log, &theme, true);
    render_detail(detail, &mut buf, &st, &log, &theme, false);
    eprintln!("1M: draw list+detail (scrolled) {:?}", t.elapsed());
    for i in 0..1000 {
        let mut e = LogEntry::new(
            Direction::Out,
            1,
            plugin.clone(),
            raw.clone(),
            EntryKind::Result { id: None },
        );
        e.at = at(N + i);
        log.push(e);
    }
    let t = Instant::now();
    st.sync(&log);
    eprintln!("1M: sync of 1000 new entries {:?}", t.elapsed());
    assert_eq!(st.counts().0, N as usize + 1000);

    let t = Instant::now();
    st.set_filter("errors", &log);
    eprintln!("1M: filter rebuild (errors) {:?}", t.elapsed());
    assert_eq!(st.counts().0, 1000);
    let t = Instant::now();
    st.set_filter("boom", &log);
    eprintln!(
        "1M: filter rebuild (free text over payloads) {:?}",
        t.elapsed()
    );
    assert_eq!(st.counts().0, 1000);
    let t = Instant::now();
    render_list(list, &mut buf, &st, &log, &theme, true);
    render_detail(detail, &mut buf, &st, &log, &theme, false);
    eprintln!("1M: draw list+detail (filtered) {:?}", t.elapsed());
}

/// An event's row says which event it was; a tool call's, which tool (issue 9.15).
#[test]
fn event_and_tool_rows_say_what_they_ask() {
    let mut log = MessageLog::new(1 << 20);
    push(
        &mut log,
        0,
        request(
            Direction::Out,
            "demo",
            2,
            "visitor_panel/event",
            r#"{"event_type":"button_click","action_id":"view_all","visitor_id":"v_1"}"#,
        ),
    );
    push(
        &mut log,
        1,
        request(
            Direction::Out,
            "demo",
            3,
            "visitor_panel/event",
            r#"{"event_type":"item_select","action_id":"","selected_id":"ORD-1"}"#,
        ),
    );
    push(
        &mut log,
        2,
        request(
            Direction::Out,
            "demo",
            4,
            "tool/execute",
            r#"{"tool_name":"lookup_order","arguments":{}}"#,
        ),
    );
    let st = synced(&log);
    let screen = draw_list(&st, &log, 120, 8).backend().to_string();
    assert!(
        screen.contains("visitor_panel/event button_click view_all #2"),
        "{screen}"
    );
    assert!(
        screen.contains("visitor_panel/event item_select ORD-1 #3"),
        "{screen}"
    );
    assert!(screen.contains("tool/execute lookup_order #4"), "{screen}");
}

/// On a narrow screen the header is cut: what `p` says must still be seen (issue 9.15).
#[test]
fn a_pair_hidden_by_the_filter_is_said_on_a_narrow_screen() {
    let m = mixed_log();
    let log = &m.log;
    let mut st = synced(log);
    // The inspector list at 80×24 is about 54 columns wide.
    st.set_filter("dir:in method:visitor_panel", log);
    select(&mut st, log, m.render_res);
    keyed(&mut st, key('p'), log, 20);
    let screen = draw_list(&st, log, 54, 8).backend().to_string();
    assert!(screen.contains("is hidden by the"), "{screen}");
}

/// A logged event answer with a bad JSON-ACTION, paired with its request: (log, answer seq).
fn bad_toast_log() -> (MessageLog, u64) {
    let mut log = MessageLog::new(1 << 20);
    let req = push(
        &mut log,
        0,
        request(
            Direction::Out,
            "demo",
            4,
            "visitor_panel/event",
            r#"{"event_type":"button_click","action_id":"save"}"#,
        ),
    );
    let res = push(
        &mut log,
        3,
        result(
            Direction::In,
            "demo",
            4,
            r#"{"action":"show_toast","data":{"msg":"saved, and a message long enough to wrap"}}"#,
        ),
    );
    log.pair(req, res, Duration::from_micros(2_900));
    (log, res)
}

#[test]
fn the_selected_answer_shows_what_validation_found_wrapped() {
    let (log, res) = bad_toast_log();
    let mut st = synced(&log);
    select(&mut st, &log, res);
    let t = draw_detail(&st, &log, 70, 18);
    let text = t.backend().to_string();
    assert!(
        text.contains("JSON-ACTION: 1 error, 1 warning · as the answer to"),
        "{text}"
    );
    assert!(
        text.contains("  visitor_panel/event"),
        "wrapped, not cut: {text}"
    );
    assert!(
        text.contains("missing required field \"message\""),
        "{text}"
    );
    assert!(text.contains("did you mean \"message\"?"), "{text}");
    insta::assert_snapshot!("detail_answer_diagnostics", t.backend());
    // The request itself is not an answer: nothing is validated for it.
    select(&mut st, &log, res - 1);
    let req = draw_detail(&st, &log, 60, 18).backend().to_string();
    assert!(!req.contains("JSON-ACTION"), "{req}");
}

#[test]
fn an_answer_marked_a_problem_after_indexing_joins_the_errors_filter() {
    let (mut log, res) = bad_toast_log();
    let mut st = synced(&log);
    type_filter(&mut st, &log, "errors");
    keyed(&mut st, code(KeyCode::Enter), &log, 20);
    assert_eq!(st.counts().0, 0, "nothing marked yet");
    // The console validates off its loop, then marks the answer: the next sync shows it.
    assert!(log.mark_problem(res, "JSON-ACTION: 1 error, 1 warning".into()));
    st.sync(&log);
    assert_eq!(st.counts().0, 1);
    let list = draw_list(&st, &log, 100, 6).backend().to_string();
    assert!(list.contains("! demo"), "{list}");
    assert!(list.contains("JSON-ACTION: 1 error, 1 warning"), "{list}");
}

/// A notice quoting a logged method (a recording's, a proxied host's) is plugin text: its
/// escape sequences never reach the terminal.
#[test]
fn a_notice_quoting_a_method_is_sanitised() {
    let log = MessageLog::new(1 << 20);
    let mut st = InspectorState::new();
    st.say("an answer to evil\x1b]0;pwned\x07/x: not a render or event");
    let term = draw_list(&st, &log, 100, 5);
    let text: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    // Shown escaped, as every other plugin string is, not silently dropped.
    assert!(
        text.contains(r"an answer to evil\x1b]0;pwned\x07/x"),
        "{text}"
    );
}
