//! Time travel, render diffs and the frame view (issue 14.1): answers read back from the log
//! and drawn as they were, two renders compared, a frame's bytes in hex.

use super::*;
use crate::host::{Direction, EntryKind, LogEntry};
use crate::protocol::Id;
use bytes::Bytes;

/// 2023-11-14 22:13:20 UTC plus `ms`: fixed clocks for stable snapshots.
fn at(ms: u64) -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
}

/// Logs a request and its answer as the host would (paired), returning the answer's seq.
fn logged(h: &mut Harness, ms: u64, id: i64, method: &str, params: Value, result: Value) -> u64 {
    let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let mut e = LogEntry::new(
        Direction::Out,
        1,
        Some("com.tgo.demo".into()),
        Bytes::from(request.to_string()),
        EntryKind::Request {
            id: Id::Num(id),
            method: method.into(),
        },
    );
    e.at = at(ms);
    let req = h.log.push(e);
    let answer = json!({"jsonrpc": "2.0", "id": id, "result": result});
    let mut e = LogEntry::new(
        Direction::In,
        1,
        Some("com.tgo.demo".into()),
        Bytes::from(answer.to_string()),
        EntryKind::Result {
            id: Some(Id::Num(id)),
        },
    );
    e.at = at(ms + 2);
    let seq = h.log.push(e);
    h.log.pair(req, seq, Duration::from_millis(2));
    seq
}

fn panel_params() -> Value {
    json!({"visitor_id": "v_12345", "capability_index": 0})
}

/// The panel with ORD-2 shipped and a third order.
fn panel_later() -> Value {
    let mut p = panel();
    p["data"]["items"][1]["data"]["rows"][1]["status"] =
        json!({"text": "Shipped", "color": "green"});
    p["data"]["items"][1]["data"]["rows"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "ORD-3", "total": "¥88.00", "status": "New"}));
    p
}

/// A session: a render, a button's event answered with a toast, a later render.
fn session() -> (Harness, [u64; 3]) {
    let mut h = rendered();
    let first = logged(
        &mut h,
        0,
        1,
        "visitor_panel/render",
        panel_params(),
        panel(),
    );
    let event = logged(
        &mut h,
        1_000,
        2,
        "visitor_panel/event",
        json!({"event_type": "button_click", "action_id": "view_all"}),
        json!({"action": "show_toast", "data": {"message": "已刷新", "type": "success"}}),
    );
    let later = logged(
        &mut h,
        61_234,
        3,
        "visitor_panel/render",
        panel_params(),
        panel_later(),
    );
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    h.send(Msg::LogGrew);
    (h, [first, event, later])
}

/// Selects `seq` in the inspector (from the newest, moving up).
fn select(h: &mut Harness, seq: u64) {
    h.key(KeyCode::Char('3'));
    h.key(KeyCode::Char('G'));
    while h.state.inspector.selected() != Some(seq) {
        let before = h.state.inspector.selected();
        h.key(KeyCode::Char('k'));
        assert_ne!(
            before,
            h.state.inspector.selected(),
            "#{seq} not in the list"
        );
    }
}

#[test]
fn enter_on_a_render_answer_draws_it_as_it_was_then() {
    let (mut h, [first, _, later]) = session();
    select(&mut h, first);
    h.key(KeyCode::Enter);
    let past = h.state.render.past.as_ref().expect("time travel");
    assert_eq!(past.seq, first);
    let screen = h.sized(100, 30);
    assert!(
        screen.contains(&format!("as of #{first} 22:13:20.002")),
        "{screen}"
    );
    assert!(
        screen.contains("Pending"),
        "the first render's status: {screen}"
    );
    assert!(!screen.contains("ORD-3"), "{screen}");
    insta::assert_snapshot!("time_travel", screen);
    // Scrubbing: the selection moving onto a later answer draws that one.
    while h.state.inspector.selected() != Some(later) {
        h.key(KeyCode::Char('j'));
    }
    assert_eq!(h.state.render.past.as_ref().unwrap().seq, later);
    assert!(h.sized(100, 30).contains("ORD-3"));
    // A button in the past is not pressed: it says how to go back.
    h.key(KeyCode::Char('2'));
    let effects = h.key(KeyCode::Enter);
    assert!(requests(&effects).is_empty(), "no event from a past render");
    // Esc: live again.
    h.key(KeyCode::Esc);
    assert!(h.state.render.past.is_none());
    assert!(!h.sized(100, 30).contains("◷ as of #"));
}

#[test]
fn an_event_answer_shows_the_panel_it_was_pressed_on() {
    let (mut h, [first, event, _]) = session();
    select(&mut h, event);
    h.key(KeyCode::Enter);
    let past = h.state.render.past.as_ref().expect("time travel");
    assert_eq!(past.seq, first, "the render before the event");
    let screen = h.sized(100, 30);
    assert!(
        screen.contains(&format!("event answered #{event}: show_toast")),
        "{screen}"
    );
    // The request of an answer travels to its answer; a non-answer says why not.
    select(&mut h, event - 1);
    h.key(KeyCode::Enter);
    assert_eq!(h.state.render.past.as_ref().unwrap().seq, first);
}

#[test]
fn equals_diffs_two_renders_by_path_and_side_by_side() {
    let (mut h, [first, _, later]) = session();
    // Unmarked: the selected render against the one before it.
    select(&mut h, later);
    h.key(KeyCode::Char('='));
    let Some(Modal::Diff(d)) = &h.state.modal else {
        panic!("no diff modal: {}", h.sized(100, 30))
    };
    assert_eq!((d.old.seq, d.new.seq), (first, later));
    assert_eq!(
        d.changes,
        [
            "~ $.data.items[1].data.rows[1].status.color: \"orange\" → \"green\"",
            "~ $.data.items[1].data.rows[1].status.text: \"Pending\" → \"Shipped\"",
            "+ $.data.items[1].data.rows[2]: {\"id\":\"ORD-3\",\"status\":\"New\",\"total\":\"¥88.00\"}",
        ]
    );
    insta::assert_snapshot!("render_diff", h.sized(120, 36));
    h.key(KeyCode::Esc);
    // Marked: the two picked, older first whatever the order they were picked in.
    select(&mut h, later);
    h.key(KeyCode::Char('m'));
    select(&mut h, first);
    h.key(KeyCode::Char('='));
    let Some(Modal::Diff(d)) = &h.state.modal else {
        panic!("no diff modal")
    };
    assert_eq!((d.old.seq, d.new.seq), (first, later));
}

#[test]
fn equals_in_the_render_pane_compares_with_the_last_render() {
    let mut h = rendered();
    let first = logged(
        &mut h,
        0,
        1,
        "visitor_panel/render",
        panel_params(),
        panel(),
    );
    super::super::past::remember(&mut h.state, &cap(0), Some(first));
    h.key(KeyCode::Char('2'));
    h.key(KeyCode::Char('='));
    assert!(h.state.modal.is_none(), "one render: nothing to compare");
    let later = logged(
        &mut h,
        5_000,
        2,
        "visitor_panel/render",
        panel_params(),
        panel_later(),
    );
    h.send(Msg::Reply {
        purpose: Purpose::Render(cap(0)),
        reply: Reply {
            plugin_id: "com.tgo.demo".into(),
            method: "visitor_panel/render".into(),
            id: 2,
            outcome: Outcome::Result {
                value: panel_later(),
            },
            latency: Duration::from_millis(2),
            request_seq: later - 1,
            response_seq: Some(later),
        },
        ui: None,
    });
    h.key(KeyCode::Char('='));
    let Some(Modal::Diff(d)) = &h.state.modal else {
        panic!("no diff modal")
    };
    assert_eq!((d.old.seq, d.new.seq), (first, later));
}

#[test]
fn x_shows_a_frame_and_a_broken_frame_in_hex() {
    let (mut h, [first, ..]) = session();
    select(&mut h, first);
    h.key(KeyCode::Char('x'));
    let screen = h.sized(160, 45);
    let len = h.log.get(first).unwrap().raw.len();
    assert!(
        screen.contains(&format!("= {len} bytes announced"))
            && screen.contains(&format!("{len} payload bytes received")),
        "{screen}"
    );
    assert!(screen.contains("length prefix"), "{screen}");
    // A frame that announced more than the limit: its prefix and first bytes were kept.
    let broken = crate::protocol::FrameError::TooLarge {
        announced: 0x0100_0000,
        max: 1024,
        head: Bytes::from_static(b"{\"jsonrpc\":\"2.0\",\"id\":9"),
    };
    let mut e = LogEntry::new(
        Direction::Local,
        1,
        Some("com.tgo.demo".into()),
        broken.frame_bytes().unwrap(),
        EntryKind::Event {
            text: format!("frame error: {broken}; closing"),
        },
    );
    e.at = at(90_000);
    h.log.push(e.flagged());
    h.send(Msg::LogGrew);
    h.key(KeyCode::Char('G'));
    let screen = h.sized(160, 45);
    assert!(
        screen.contains("length prefix 01 00 00 00 = 16777216 bytes announced")
            && screen.contains("23 payload bytes kept of a broken frame"),
        "{screen}"
    );
    insta::assert_snapshot!("frame_view_broken", screen);
    // x again: JSON (the event's text) again.
    h.key(KeyCode::Char('x'));
    assert!(
        h.sized(160, 45)
            .contains("frame error: frame announces 16777216")
    );
}

/// `w`: the web UI's view; `W`: its narrow widths. The panel's `action` bar is a template the
/// web UI lacks: its box says so, and the header counts it.
#[test]
fn w_previews_the_web_ui_at_the_configured_widths() {
    let mut h = rendered();
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    let effects = h.key(KeyCode::Char('w'));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveView(p) if p.web && p.width.is_none())),
        "kept for the next run"
    );
    let screen = h.sized(120, 40);
    assert!(screen.contains("web ✗ 1"), "{screen}");
    assert!(
        screen.contains("the TGO web UI has no \"action\""),
        "{screen}"
    );
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    h.key(KeyCode::Char('W'));
    assert_eq!(h.state.render.width, Some(40));
    insta::assert_snapshot!("web_preview_40", h.sized(120, 40));
    h.key(KeyCode::Char('W'));
    assert_eq!(h.state.render.width, Some(56));
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    insta::assert_snapshot!("web_preview_56", h.sized(120, 40));
    h.key(KeyCode::Char('W'));
    h.key(KeyCode::Char('W'));
    assert_eq!(
        h.state.render.width, None,
        "after the widest: the whole pane"
    );
    // Off again: the console's own drawing of the action bar.
    h.key(KeyCode::Char('w'));
    let screen = h.sized(120, 40);
    assert!(!screen.contains("the TGO web UI has no"), "{screen}");
    assert!(screen.contains("[ Block ]"), "{screen}");
}

/// A `batch` answer in the web preview is shown, not carried out (the web UI ignores it).
#[test]
fn a_batch_is_not_carried_out_in_the_web_preview() {
    let mut h = rendered();
    h.key(KeyCode::Char('w'));
    let event = crate::host::UiEvent::button_click("view_all");
    let batch = json!({"action": "batch", "data": {"actions": [
        {"action": "show_toast", "data": {"message": "done"}},
        {"action": "refresh"}]}});
    let effects = h.reply(
        Purpose::Event {
            cap: cap(0),
            in_modal: false,
            event,
        },
        "visitor_panel/event",
        Outcome::Result { value: batch },
    );
    assert!(requests(&effects).is_empty(), "no refresh: {effects:?}");
    let screen = h.sized(100, 30);
    assert!(screen.contains("not carried out"), "{screen}");
    assert!(
        screen.contains("batch (2)"),
        "the Action pane shows it: {screen}"
    );
}
