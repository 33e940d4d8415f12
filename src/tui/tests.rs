//! The console's state machine and screens: `update` driven with messages, screens drawn into a
//! `TestBackend` and compared as insta snapshots.

use super::msg::{CapKey, Effect, Msg, Purpose};
use super::state::*;
use super::theme::Theme;
use super::update::update;
use super::view;
use crate::host::register::parse_register;
use crate::host::{HostEvent, MessageLog, Outcome, RenderContext, Reply};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

struct Harness {
    state: State,
    log: MessageLog,
    now: Instant,
}

fn demo_caps() -> Value {
    json!({"id": "com.tgo.demo", "name": "tgo-demo", "version": "0.1.0", "capabilities": [
        {"type": "visitor_panel", "title": "Customer 360", "icon": "user", "priority": 1},
        {"type": "visitor_panel", "title": "Every template", "priority": 5},
        {"type": "chat_toolbar", "title": "Quick replies"},
        {"type": "mcp_tools", "title": "Order tools", "tools": [
            {"name": "lookup_order", "title": "Look up an order", "parameters": [
                {"name": "order_id", "type": "string", "required": true},
                {"name": "include_items", "type": "boolean"}]}]}
    ]})
}

fn panel() -> Value {
    json!({"template": "group", "data": {"items": [
        {"template": "key_value", "data": {"title": "Profile", "items": [
            {"label": "Name", "value": "张三"}, {"label": "Tier", "value": "Gold", "type": "badge", "color": "#d4a017"}]}},
        {"template": "table", "data": {"title": "Orders", "columns": [
            {"key": "id", "label": "Order"}, {"key": "total", "label": "Total", "align": "right"}, {"key": "status", "label": "Status"}],
            "rows": [{"id": "ORD-1", "total": "¥299.00", "status": {"text": "Shipped", "color": "green"}},
                     {"id": "ORD-2", "total": "¥599.00", "status": {"text": "Pending", "color": "orange"}}]}},
        {"template": "button", "data": {"label": "View all", "action_id": "view_all", "type": "primary"}},
        {"template": "action", "data": {"buttons": [{"id": "block", "label": "Block", "type": "danger", "confirm": "Block this visitor?"}]}}
    ]}})
}

impl Harness {
    fn new() -> Self {
        let mut state = State::new(
            Theme::default(),
            RenderContext::default(),
            vec!["/tmp/tgo.sock".into()],
            "/tmp/tgo-console.log".into(),
        );
        state.size = (100, 30);
        Self {
            state,
            log: MessageLog::new(1 << 20),
            now: Instant::now(),
        }
    }

    fn send(&mut self, msg: Msg) -> Vec<Effect> {
        update(&mut self.state, msg, &self.log, self.now)
    }

    fn key(&mut self, code: KeyCode) -> Vec<Effect> {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn chars(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn register(&mut self, params: Value) -> Vec<Effect> {
        let info = parse_register(Some(&params)).unwrap();
        let plugin_id = info.requested_id.clone().unwrap();
        self.send(Msg::Host(HostEvent::Registered {
            conn: 1,
            plugin_id,
            info,
            replaced: None,
        }))
    }

    fn reply(&mut self, purpose: Purpose, method: &str, outcome: Outcome) -> Vec<Effect> {
        let reply = Reply {
            plugin_id: "com.tgo.demo".into(),
            method: method.into(),
            id: 1,
            outcome,
            latency: Duration::from_micros(1500),
            request_seq: 1,
            response_seq: None,
        };
        self.send(Msg::Reply {
            purpose,
            reply,
            ui: None,
        })
    }

    /// Draws at the state's size (`sized` sets it, as a resize would).
    fn screen(&self, w: u16, h: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| view::draw(f, &self.state, &self.log))
            .unwrap();
        terminal.backend().to_string()
    }

    fn sized(&mut self, w: u16, h: u16) -> String {
        self.state.size = (w, h);
        self.screen(w, h)
    }
}

fn cap(index: usize) -> CapKey {
    CapKey {
        plugin_id: "com.tgo.demo".into(),
        index,
    }
}

fn requests(effects: &[Effect]) -> Vec<(String, Value)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Request { method, params, .. } => Some((method.clone(), params.clone())),
            _ => None,
        })
        .collect()
}

/// A registered demo plugin with its first panel rendered.
fn rendered() -> Harness {
    let mut h = Harness::new();
    h.register(demo_caps());
    h.reply(
        Purpose::Render(cap(0)),
        "visitor_panel/render",
        Outcome::Result { value: panel() },
    );
    h
}

#[test]
fn registering_renders_the_first_visitor_panel() {
    let mut h = Harness::new();
    let effects = h.register(demo_caps());
    let reqs = requests(&effects);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].0, "visitor_panel/render");
    assert_eq!(reqs[0].1["visitor_id"], "v_12345");
    assert_eq!(
        reqs[0].1["capability_index"], 0,
        "two visitor panels: told apart"
    );
    assert!(matches!(
        h.state.renders.get(&cap(0)),
        Some(RenderSlot::Pending { .. })
    ));
    h.now += Duration::from_millis(1300);
    insta::assert_snapshot!("pending_render", h.sized(100, 30));
}

#[test]
fn main_screen_with_a_render() {
    let mut h = rendered();
    assert!(!h.state.needs_tick() || !h.state.toasts.is_empty());
    h.now += Duration::from_secs(10); // toasts gone
    h.send(Msg::Tick);
    assert!(!h.state.needs_tick(), "idle: no timer");
    insta::assert_snapshot!("main_100x30", h.sized(100, 30));
}

#[test]
fn wide_and_narrow_screens() {
    let mut h = rendered();
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    insta::assert_snapshot!("main_160x40", h.sized(160, 40));
    // Tiny terminals must not panic.
    for (w, hgt) in [(20, 5), (1, 1), (40, 10), (2, 30), (200, 3)] {
        h.sized(w, hgt);
    }
}

#[test]
fn each_failure_says_which_it_was() {
    for (outcome, name) in [
        (
            Outcome::Timeout {
                after: Duration::from_secs(30),
            },
            "timeout",
        ),
        (
            Outcome::PluginError(crate::protocol::RpcError {
                code: -32003,
                message: "Order not found".into(),
                data: None,
            }),
            "plugin_error",
        ),
        (
            Outcome::Disconnected {
                reason: "plugin closed the connection".into(),
            },
            "disconnected",
        ),
    ] {
        let mut h = Harness::new();
        h.register(demo_caps());
        h.reply(Purpose::Render(cap(0)), "visitor_panel/render", outcome);
        h.now += Duration::from_secs(10);
        h.send(Msg::Tick);
        h.state.size = (100, 30);
        let screen = h.screen(100, 30);
        insta::assert_snapshot!(format!("render_failed_{name}"), screen);
    }
}

#[test]
fn button_press_sends_the_event_and_open_url_is_carried_out() {
    let mut h = rendered();
    h.state.focus = Pane::Render;
    // Move focus to the "View all" button: past the table target.
    let mut effects = Vec::new();
    for _ in 0..10 {
        effects = h.key(KeyCode::Enter);
        if let Some((m, p)) = requests(&effects).first()
            && p["action_id"] == "view_all"
        {
            assert_eq!(m, "visitor_panel/event");
            break;
        }
        h.key(KeyCode::Down);
    }
    let reqs = requests(&effects);
    assert_eq!(reqs[0].1["event_type"], "button_click");
    assert_eq!(reqs[0].1["action_id"], "view_all");
    let url = "https://crm.example.com/orders?visitor=v_12345";
    h.reply(
        Purpose::Event {
            cap: cap(0),
            in_modal: false,
        },
        "visitor_panel/event",
        Outcome::Result {
            value: json!({"action": "open_url", "data": {"url": url, "target": "_blank"}}),
        },
    );
    h.state.focus = Pane::Plugins;
    assert_eq!(h.key(KeyCode::Char('o')), vec![Effect::OpenUrl(url.into())]);
    assert_eq!(h.key(KeyCode::Char('y')), vec![Effect::Copy(url.into())]);
    insta::assert_snapshot!("after_open_url", h.sized(100, 30));
}

#[test]
fn actions_are_carried_out() {
    let mut h = rendered();
    let ev = || Purpose::Event {
        cap: cap(0),
        in_modal: false,
    };
    let effects = h.reply(
        ev(),
        "visitor_panel/event",
        Outcome::Result {
            value: json!({"action": "copy_text", "data": {"text": "hello"}}),
        },
    );
    assert_eq!(effects, vec![Effect::Copy("hello".into())]);
    let effects = h.reply(
        ev(),
        "visitor_panel/event",
        Outcome::Result {
            value: json!({"action": "refresh", "data": {}}),
        },
    );
    assert_eq!(requests(&effects)[0].0, "visitor_panel/render");
    h.reply(
        Purpose::Render(cap(0)),
        "visitor_panel/render",
        Outcome::Result { value: panel() },
    );
    h.reply(ev(), "visitor_panel/event", Outcome::Result { value: json!({"action": "batch", "data": {"actions": [
        {"action": "insert_text", "data": {"text": "Hi there", "replace": false}},
        {"action": "send_message", "data": {"content": "**Order** shipped", "content_type": "markdown"}},
        {"action": "show_toast", "data": {"message": "Done", "type": "success"}}]}}) });
    assert_eq!(h.state.chat.len(), 2);
    assert!(
        h.state
            .toasts
            .iter()
            .any(|t| t.text == "Done" && t.kind == ToastKind::Success)
    );
    h.reply(
        ev(),
        "visitor_panel/event",
        Outcome::Result {
            value: json!({"action": "show_modal", "data": {"title": "Order ORD-1",
        "template": "key_value", "data": {"items": [{"label": "Total", "value": "¥299.00"}]}}}),
        },
    );
    assert!(matches!(h.state.modal, Some(Modal::Ui { .. })));
    insta::assert_snapshot!("modal_and_chat", h.sized(100, 30));
    h.reply(
        Purpose::Event {
            cap: cap(0),
            in_modal: true,
        },
        "visitor_panel/event",
        Outcome::Result {
            value: json!({"action": "close_modal", "data": {}}),
        },
    );
    assert!(h.state.modal.is_none());
}

#[test]
fn confirm_asks_before_sending() {
    let mut h = rendered();
    h.state.focus = Pane::Render;
    let mut confirm = None;
    for _ in 0..12 {
        h.key(KeyCode::Enter);
        if let Some(Modal::Confirm { text, .. }) = &h.state.modal {
            confirm = Some(text.clone());
            break;
        }
        h.state.modal = None;
        h.key(KeyCode::Down);
    }
    assert_eq!(confirm.as_deref(), Some("Block this visitor?"));
    insta::assert_snapshot!("confirm", h.sized(100, 30));
    let effects = h.key(KeyCode::Char('y'));
    assert_eq!(requests(&effects)[0].1["action_id"], "block");
}

#[test]
fn help_overlay_lists_every_binding() {
    let mut h = rendered();
    h.key(KeyCode::Char('?'));
    let screen = h.sized(100, 40);
    for b in super::keymap::BINDINGS.iter().take(12) {
        assert!(screen.contains(b.keys), "help lacks {}", b.keys);
    }
    insta::assert_snapshot!("help", screen);
    h.key(KeyCode::Esc);
    assert!(h.state.modal.is_none());
}

#[test]
fn editing_the_visitor_re_renders() {
    let mut h = rendered();
    h.key(KeyCode::Char('v'));
    assert!(matches!(h.state.modal, Some(Modal::Context(_))));
    for _ in 0..5 {
        h.key(KeyCode::Backspace);
    }
    h.chars("999");
    insta::assert_snapshot!("context_editor", h.sized(100, 30));
    let effects = h.key(KeyCode::Enter);
    let reqs = requests(&effects);
    assert_eq!(reqs[0].1["visitor_id"], "v_999");
    assert_eq!(h.state.recent_visitors, vec!["v_12345", "v_999"]);
}

#[test]
fn toolbar_opens_in_a_modal() {
    let mut h = rendered();
    let effects = h.key(KeyCode::Char('t'));
    assert_eq!(requests(&effects)[0].0, "chat_toolbar/render");
    h.reply(Purpose::ToolbarRender(cap(2)), "chat_toolbar/render", Outcome::Result { value: json!({"template": "list", "data": {"title": "Quick replies", "items": [{"id": "greet", "text": "Hello!"}]}}) });
    assert!(matches!(h.state.modal, Some(Modal::Ui { .. })));
}

#[test]
fn tools_become_forms_and_execute() {
    let mut h = rendered();
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Capability(cap(2)));
    let effects = h.key(KeyCode::Down);
    assert!(effects.is_empty(), "tools render locally");
    assert_eq!(h.state.shown, Some(Shown::Cap(cap(3))));
    insta::assert_snapshot!("tools", h.sized(100, 30));
}

#[test]
fn disconnect_greys_the_plugin_out_and_crash_is_named() {
    let mut h = rendered();
    h.send(Msg::Host(HostEvent::Disconnected {
        conn: 1,
        plugin_id: Some("com.tgo.demo".into()),
        reason: "plugin closed the connection".into(),
    }));
    assert!(matches!(
        h.state.plugins[0].liveness,
        Liveness::Disconnected(_)
    ));
    super::update::mark_crashed(&mut h.state, "com.tgo.demo", "exit status: 3".into());
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    insta::assert_snapshot!("crashed", h.sized(100, 30));
}

#[test]
fn hostile_strings_are_drawn_escaped() {
    let mut h = Harness::new();
    h.register(json!({"id": "evil\u{1b}[2J", "name": "x\u{1b}]0;pwned\u{7}", "version": "1", "capabilities": [{"type": "visitor_panel", "title": "t\u{1b}[31m"}]}));
    let screen = h.sized(100, 30);
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));
    assert!(screen.contains("\\x1b"), "{screen}");
}

#[test]
fn hostile_capability_type_is_escaped_in_the_render_header() {
    // The render method is built from the capability type, so it is plugin text too.
    let mut h = Harness::new();
    h.register(json!({"id": "com.tgo.demo", "name": "x", "version": "1", "capabilities": [{"type": "holo\u{1b}[2J", "title": "t"}]}));
    let effects = h.key(KeyCode::Down);
    assert_eq!(requests(&effects)[0].0, "holo\u{1b}[2J/render");
    let pending = h.sized(100, 30);
    h.reply(
        Purpose::Render(cap(0)),
        "holo\u{1b}[2J/render",
        Outcome::Result {
            value: json!({"template": "text", "data": {"text": "hi"}}),
        },
    );
    for screen in [pending, h.sized(100, 30)] {
        assert!(screen.contains("holo\\x1b[2J/render"), "{screen}");
        assert!(!screen.contains("holo[2J"), "{screen}");
    }
}

#[test]
fn quit_keys() {
    let mut h = rendered();
    assert_eq!(h.key(KeyCode::Char('q')), vec![Effect::Quit]);
    let mut h = rendered();
    let effects = h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(effects, vec![Effect::Quit]);
}

#[test]
fn mouse_selects_capabilities() {
    let mut h = rendered();
    let screen = h.sized(100, 30);
    let y = screen
        .lines()
        .position(|l| l.contains("Every template"))
        .unwrap() as u16;
    let effects = h.send(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 5,
        row: y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(requests(&effects)[0].1["capability_index"], 1);
    assert_eq!(h.state.selected, Some(Row::Capability(cap(1))));
}

#[test]
fn pane_cycling() {
    let mut h = rendered();
    assert_eq!(h.state.focus, Pane::Plugins);
    h.key(KeyCode::Tab);
    assert_eq!(h.state.focus, Pane::Render);
    h.key(KeyCode::Tab);
    assert_eq!(h.state.focus, Pane::Inspector);
    h.key(KeyCode::BackTab);
    assert_eq!(h.state.focus, Pane::Render);
}

fn click(h: &mut Harness, column: u16, row: u16) -> Vec<Effect> {
    h.send(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }))
}

#[test]
fn mouse_alone_confirms_helps_and_quits() {
    let mut h = rendered();
    let l = view::screen_layout(ratatui::layout::Rect::new(0, 0, 100, 30), &h.state);
    // A confirmation answered with the mouse.
    h.state.modal = Some(Modal::Confirm {
        text: "Sure?".into(),
        then: vec![Effect::Copy("x".into())],
    });
    let (_, yes, no) = view::confirm_layout(l.modal);
    assert_eq!(click(&mut h, yes.x, yes.y), vec![Effect::Copy("x".into())]);
    h.state.modal = Some(Modal::Confirm {
        text: "Sure?".into(),
        then: vec![Effect::Copy("x".into())],
    });
    assert!(click(&mut h, no.x, no.y).is_empty());
    assert!(h.state.modal.is_none());
    // The bar's buttons.
    let buttons = view::bar_buttons(l.context_bar);
    let at = |label: &str| {
        buttons
            .iter()
            .find(|(i, _)| view::BAR_BUTTONS[*i] == label)
            .map(|(_, r)| *r)
            .unwrap()
    };
    let help = at("[? help]");
    click(&mut h, help.x, help.y);
    assert!(matches!(h.state.modal, Some(Modal::Help { .. })));
    click(&mut h, 0, 0); // outside the help box closes it
    assert!(h.state.modal.is_none());
    let quit = at("[q quit]");
    assert_eq!(click(&mut h, quit.x, quit.y), vec![Effect::Quit]);
}

#[test]
fn inspector_exports_what_it_shows() {
    let mut h = rendered();
    for i in 0..3 {
        h.log.push(crate::host::LogEntry::new(
            crate::host::Direction::In,
            1,
            Some("com.tgo.demo".into()),
            bytes::Bytes::from(format!(
                "{{\"jsonrpc\":\"2.0\",\"method\":\"log\",\"params\":{{\"n\":{i}}}}}"
            )),
            crate::host::EntryKind::Notification {
                method: "log".into(),
            },
        ));
    }
    h.send(Msg::LogGrew);
    h.state.focus = Pane::Inspector;
    assert_eq!(
        h.key(KeyCode::Char('e')),
        vec![Effect::Export(vec![1, 2, 3])]
    );
}
