//! The console's state machine and screens: `update` driven with messages, screens drawn into a
//! `TestBackend` and compared as insta snapshots.

use super::msg::{CapKey, Effect, LaunchOp, Msg, Purpose};
use super::state::*;
use super::theme::Theme;
use super::update::update;
use super::view;
use crate::host::register::parse_register;
use crate::host::{CapabilityKind, HostEvent, MessageLog, Outcome, RenderContext, Reply};
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
        h.state.render.slots.get(&cap(0)),
        Some(RenderSlot::Pending { .. })
    ));
    h.now += Duration::from_millis(1300);
    insta::assert_snapshot!("pending_render", h.sized(100, 30));
}

#[test]
fn main_screen_with_a_render() {
    let mut h = rendered();
    assert!(!h.state.needs_tick() || !h.state.status.toasts.is_empty());
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
                meanwhile: None,
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
            event: crate::host::UiEvent::button_click("view_all"),
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
        event: crate::host::UiEvent::button_click("test"),
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
    assert_eq!(h.state.activity.chat.len(), 2);
    assert!(
        h.state
            .status
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
            event: crate::host::UiEvent::button_click("test"),
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
    // Printed from the keymap: the first global actions with their keys.
    let keymap = super::keymap::Keymap::default();
    for (scope, actions) in keymap.scopes().take(1) {
        for action in actions.keys().take(12) {
            let keys = keymap.shown(scope, *action);
            let what: String = action.describe(scope).chars().take(20).collect();
            assert!(
                screen
                    .lines()
                    .any(|l| l.contains(&format!("  {keys:<22}{what}"))),
                "help lacks {keys} {what}\n{screen}"
            );
        }
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
    let ids: Vec<&str> = h
        .state
        .recent_visitors
        .iter()
        .map(|r| r.visitor_id.as_str())
        .collect();
    assert_eq!(ids, vec!["v_12345", "v_999"]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveVisitors(list) if list.len() == 2)),
        "kept for the next run: {effects:?}"
    );
}

/// The visitor object sent with renders is edited as JSON in the context editor, and goes
/// with its visitor id (issue 9.10).
#[test]
fn the_visitor_object_is_edited_and_sent_with_renders() {
    let mut h = rendered();
    h.key(KeyCode::Char('v'));
    for _ in 0..4 {
        h.key(KeyCode::Tab);
    }
    // The whole JSON object, typed anew.
    for _ in 0..20 {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::End);
    for _ in 0..300 {
        h.key(KeyCode::Backspace);
    }
    h.chars(r#"{"name": "李四", "email": "lisi@example.com", "tags": ["vip"]"#);
    insta::assert_snapshot!("context_editor_unfinished_json", h.sized(80, 24));
    h.chars("}");
    insta::assert_snapshot!("context_editor_visitor_json", h.sized(80, 24));
    let effects = h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    let reqs = requests(&effects);
    assert_eq!(reqs[0].1["visitor"]["name"], "李四");
    assert_eq!(reqs[0].1["visitor"]["tags"][0], "vip");
    assert_eq!(reqs[0].1["visitor"]["id"], "v_12345");
    assert_eq!(
        h.state.recent_visitors.last().unwrap().visitor["name"],
        "李四"
    );
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
    assert_eq!(h.state.render.shown, Some(Shown::Cap(cap(3))));
    insta::assert_snapshot!("tools", h.sized(100, 30));
}

#[test]
fn disconnect_greys_the_plugin_out() {
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
    insta::assert_snapshot!("disconnected", h.sized(100, 30));
}

// ------------------------------------------------------------------------ launched plugins

use crate::launcher::{LaunchId, LaunchedView, LauncherEvent, OutputLine, ProcState, StreamKind};

fn launched_view(id: u64, name: &str, plugin_id: Option<&str>) -> LaunchedView {
    let mut view = LaunchedView::starting(
        LaunchId(id),
        name.into(),
        format!("/plugins/{name}/plugin.yml").into(),
        format!("python3 main.py  (in /plugins/{name})"),
    );
    view.plugin_id = plugin_id.map(str::to_string);
    view
}

/// A fixed wall-clock time, so output timestamps in snapshots never change.
fn at(secs: u64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + Duration::from_secs(1_790_000_000 + secs)
}

fn line(stream: StreamKind, secs: u64, text: &str) -> LauncherEvent {
    LauncherEvent::Output {
        id: LaunchId(1),
        line: OutputLine {
            at: at(secs),
            stream,
            text: text.into(),
        },
    }
}

fn proc_state(id: u64, state: ProcState, pid: Option<u32>) -> LauncherEvent {
    LauncherEvent::State {
        id: LaunchId(id),
        state,
        pid,
        restarts: 0,
    }
}

impl Harness {
    /// Launches `name` (launch id `id`) and lets its process start.
    fn launch(&mut self, id: u64, name: &str, plugin_id: Option<&str>) {
        self.send(Msg::Added {
            views: vec![launched_view(id, name, plugin_id)],
            errors: Vec::new(),
        });
        let pid = 4000 + id as u32;
        self.send(Msg::Launcher(vec![proc_state(
            id,
            ProcState::Running,
            Some(pid),
        )]));
    }
}

/// The demo plugin, launched by the console (launch #1) and registered over connection 1.
fn launched_demo() -> Harness {
    let mut h = Harness::new();
    h.launch(1, "demo", Some("com.tgo.demo"));
    h.send(Msg::ConnOwner {
        conn: 1,
        launch: LaunchId(1),
    });
    h.register(demo_caps());
    h
}

#[test]
fn a_crashed_launched_plugin_shows_its_exit_code_and_last_lines_at_once() {
    let mut h = launched_demo();
    assert_eq!(
        h.state.launches.list[0].plugin_id.as_deref(),
        Some("com.tgo.demo")
    );
    h.send(Msg::Launcher(vec![
        line(StreamKind::Stdout, 1, "serving com.tgo.demo"),
        line(StreamKind::Stderr, 2, "Traceback (most recent call last):"),
        line(
            StreamKind::Stderr,
            2,
            "  File \"main.py\", line 12, in render",
        ),
        line(StreamKind::Stderr, 2, "KeyError: 'visitor_id'"),
        proc_state(1, ProcState::Exited { code: 3 }, None),
    ]));
    h.send(Msg::Host(HostEvent::Disconnected {
        conn: 1,
        plugin_id: Some("com.tgo.demo".into()),
        reason: "plugin closed the connection".into(),
    }));
    let screen = h.sized(100, 30);
    assert!(screen.contains("exited (3)"), "{screen}");
    assert!(screen.contains("'visitor_id'"), "{screen}");
    assert_eq!(
        h.state.error_text(),
        Some("demo: exited (3)"),
        "the status bar names the crash"
    );
    insta::assert_snapshot!("crashed", screen);
}

#[test]
fn every_process_state_shows_in_the_plugins_pane() {
    let mut h = Harness::new();
    let now = h.now;
    let states = [
        ("starting-one", ProcState::Starting),
        ("silent", ProcState::Running),
        (
            "flaky",
            ProcState::Restarting {
                at: now + Duration::from_millis(33_500),
                attempt: 2,
            },
        ),
        (
            "looping",
            ProcState::CrashLoop {
                restarts: 4,
                next: now + Duration::from_secs(60),
            },
        ),
        ("segv", ProcState::Killed { signal: 11 }),
        (
            "missing",
            ProcState::FailedToStart("node: No such file or directory".into()),
        ),
        ("parked", ProcState::Stopped),
    ];
    for (i, (name, st)) in states.iter().enumerate() {
        let id = i as u64 + 1;
        h.send(Msg::Added {
            views: vec![launched_view(id, name, None)],
            errors: Vec::new(),
        });
        let pid = st.is_live().then_some(100 + id as u32);
        h.send(Msg::Launcher(vec![proc_state(id, st.clone(), pid)]));
    }
    // A manifest given on the command line that could not be read stays listed.
    h.state.launches.manifest_errors =
        vec!["/plugins/bad/plugin.yml: runtime.language: unknown language \"cobol\"".into()];
    // "silent" has run past the register deadline without registering.
    h.now += Duration::from_secs(31);
    h.send(Msg::Tick);
    let screen = h.sized(120, 50);
    for expected in [
        "starting",
        "no register after 30 s",
        "restarting in",
        "crash loop (4 crashes)",
        "next try in 29 s",
        "restarting in 3 s",
        "killed by SIGSEGV (11)",
        "failed to start",
        "stopped (s to start)",
        "runtime.language: unknown",
    ] {
        assert!(screen.contains(expected), "{expected} missing:\n{screen}");
    }
    insta::assert_snapshot!("launch_states", screen);
}

#[test]
fn the_register_deadline_and_restart_countdown_wake_the_loop_without_ticking() {
    let mut h = Harness::new();
    h.launch(1, "silent", None);
    let deadline = h.state.launches.list[0].started.unwrap() + REGISTER_DEADLINE;
    h.state.status.toasts.clear();
    assert!(
        !h.state.needs_tick(),
        "no animation runs for a launched plugin"
    );
    assert_eq!(h.state.next_wakeup(), Some(deadline));
    h.now += Duration::from_millis(200);
    h.send(Msg::Launcher(vec![proc_state(
        1,
        ProcState::Restarting {
            at: h.now + Duration::from_millis(2500),
            attempt: 1,
        },
        None,
    )]));
    // The countdown shows whole seconds: wake at the next one (0.5 s from now).
    assert_eq!(
        h.state.next_wakeup(),
        Some(h.now + Duration::from_millis(500))
    );
    h.send(Msg::Launcher(vec![proc_state(1, ProcState::Stopped, None)]));
    assert_eq!(
        h.state.next_wakeup(),
        None,
        "a stopped plugin never wakes the loop"
    );
}

#[test]
fn the_output_pane_follows_the_tail_and_scrolls_back() {
    let mut h = launched_demo();
    let mut events = Vec::new();
    for i in 0..40 {
        let stream = if i % 10 == 9 {
            StreamKind::Stderr
        } else {
            StreamKind::Stdout
        };
        events.push(line(
            stream,
            i,
            &format!("line {i}: \u{1b}[31mcoloured\u{1b}[0m"),
        ));
    }
    h.send(Msg::Launcher(events));
    h.key(KeyCode::Char('4'));
    assert_eq!(h.state.focus, Pane::Output);
    let screen = h.sized(100, 30);
    assert!(
        screen.contains("line 39") && screen.contains("FOLLOW"),
        "{screen}"
    );
    assert!(!screen.contains('\u{1b}'), "escapes are shown, never sent");
    insta::assert_snapshot!("output_pane", screen);
    for _ in 0..5 {
        h.key(KeyCode::Char('k'));
    }
    let screen = h.sized(100, 30);
    assert!(
        screen.contains("5 lines up") && !screen.contains("line 39"),
        "{screen}"
    );
    h.key(KeyCode::Char('f'));
    assert_eq!(h.state.launches.output_scroll.up, 0);
    // `3` brings the inspector back in its place.
    h.key(KeyCode::Char('3'));
    assert!(!h.state.output_shown);
    assert!(h.sized(100, 30).contains("Messages"));
}

#[test]
fn launch_keys_stop_restart_and_remove_the_selected_plugin() {
    let mut h = launched_demo();
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Plugin("com.tgo.demo".into()));
    let stop = h.key(KeyCode::Char('s'));
    assert_eq!(
        stop,
        vec![Effect::Launch {
            id: LaunchId(1),
            op: LaunchOp::Stop,
            shutdown: Some("com.tgo.demo".into()),
        }],
        "a connected plugin is asked to shut down before any signal"
    );
    h.send(Msg::Launcher(vec![proc_state(1, ProcState::Stopped, None)]));
    h.send(Msg::Host(HostEvent::Disconnected {
        conn: 1,
        plugin_id: Some("com.tgo.demo".into()),
        reason: "plugin closed the connection".into(),
    }));
    let start = h.key(KeyCode::Char('s'));
    assert_eq!(
        start,
        vec![Effect::Launch {
            id: LaunchId(1),
            op: LaunchOp::Start,
            shutdown: None,
        }]
    );
    let restart = h.key(KeyCode::Char('R'));
    assert!(matches!(
        restart.as_slice(),
        [Effect::Launch {
            op: LaunchOp::Restart,
            ..
        }]
    ));
    // Remove asks first, then the row says so until the launcher lets it go.
    assert!(h.key(KeyCode::Char('x')).is_empty());
    assert!(matches!(h.state.modal, Some(Modal::Confirm { .. })));
    let removed = h.key(KeyCode::Char('y'));
    assert!(matches!(
        removed.as_slice(),
        [Effect::Launch {
            op: LaunchOp::Remove,
            ..
        }]
    ));
    assert!(h.sized(100, 30).contains("removing…"));
    h.send(Msg::Launcher(vec![LauncherEvent::Removed {
        id: LaunchId(1),
    }]));
    assert!(h.state.launches.list.is_empty());
    assert!(
        h.state.plugins.is_empty(),
        "its disconnected plugin goes too"
    );
    assert!(
        h.state.render.shown.is_none() && h.state.render.slots.is_empty(),
        "and what it drew"
    );
    assert_eq!(h.state.selected, None);
}

#[test]
fn launch_keys_on_a_plugin_that_dialled_in_say_why_nothing_happens() {
    let mut h = rendered();
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Plugin("com.tgo.demo".into()));
    assert!(h.key(KeyCode::Char('s')).is_empty());
    assert!(
        h.state
            .status
            .toasts
            .iter()
            .any(|t| t.text.contains("a to add"))
    );
}

#[test]
fn a_launched_plugin_row_becomes_its_plugin_once_it_registers() {
    let mut h = Harness::new();
    h.launch(1, "demo", None);
    h.state.selected = Some(Row::Launch(LaunchId(1)));
    assert_eq!(h.state.rows(), vec![Row::Launch(LaunchId(1))]);
    // Linked by the connecting process, not by a declared id.
    h.send(Msg::ConnOwner {
        conn: 1,
        launch: LaunchId(1),
    });
    h.register(demo_caps());
    assert_eq!(h.state.rows()[0], Row::Plugin("com.tgo.demo".into()));
    assert!(h.state.launches.list[0].registered);
    assert_eq!(
        h.state.selected_launch().map(|l| l.id),
        Some(LaunchId(1)),
        "the selection follows the plugin"
    );
    // A restart: the old process's connection closes, and the new process must register
    // again before the flag clears (the process start alone says nothing: it may come after
    // the new registration).
    h.send(Msg::Host(HostEvent::Disconnected {
        conn: 1,
        plugin_id: Some("com.tgo.demo".into()),
        reason: "plugin closed the connection".into(),
    }));
    h.send(Msg::Launcher(vec![proc_state(
        1,
        ProcState::Starting,
        None,
    )]));
    assert!(!h.state.launches.list[0].registered);
}

#[test]
fn a_adds_a_plugin_from_a_typed_path() {
    let mut h = Harness::new();
    h.key(KeyCode::Char('a'));
    assert!(matches!(h.state.modal, Some(Modal::AddPlugin(_))));
    assert!(
        h.key(KeyCode::Enter).is_empty(),
        "an empty path launches nothing"
    );
    h.chars("examples/plugins");
    insta::assert_snapshot!("add_plugin", h.sized(100, 30));
    let effects = h.key(KeyCode::Enter);
    assert_eq!(effects, vec![Effect::AddPlugins("examples/plugins".into())]);
    assert!(h.state.modal.is_none());
    h.send(Msg::Added {
        views: vec![launched_view(7, "orders", None)],
        errors: vec!["/x/plugin.json: runtime: expected a table".into()],
    });
    assert_eq!(h.state.selected, Some(Row::Launch(LaunchId(7))));
    assert!(h.state.error_text().unwrap().contains("runtime: expected"));
}

#[test]
fn a_replay_launches_nothing() {
    let mut h = launched_demo();
    h.state.session.read_only = true;
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Plugin("com.tgo.demo".into()));
    assert!(h.key(KeyCode::Char('R')).is_empty());
}

#[test]
fn a_signal_quits_like_q() {
    let mut h = Harness::new();
    assert_eq!(h.send(Msg::Signal("SIGTERM")), vec![Effect::Quit]);
    assert!(h.state.quit);
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
    h.key(KeyCode::Down);
    h.now += super::update::RENDER_DEBOUNCE;
    let effects = h.send(Msg::Tick);
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
    let buttons = view::bar_buttons(l.context_bar, &h.state);
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

/// Host events are handled before the launcher's: a fast plugin's registration, and even the
/// lookup of its process, can come before its process start. Any order links it (issue 9.1).
#[test]
fn registration_and_process_link_whatever_order_they_come_in() {
    // Registered, then the connection's owner, then the process start.
    let mut h = Harness::new();
    h.state.launches.register_deadline = Duration::from_secs(30);
    h.send(Msg::Added {
        views: vec![launched_view(1, "fast", None)],
        errors: Vec::new(),
    });
    h.register(demo_caps());
    h.send(Msg::ConnOwner {
        conn: 1,
        launch: LaunchId(1),
    });
    h.send(Msg::Launcher(vec![
        proc_state(1, ProcState::Starting, None),
        proc_state(1, ProcState::Running, Some(4001)),
    ]));
    h.now += Duration::from_secs(60);
    h.send(Msg::Tick);
    let l = &h.state.launches.list[0];
    assert_eq!(l.plugin_id.as_deref(), Some("com.tgo.demo"));
    assert!(l.registered);
    let screen = h.sized(100, 30);
    assert!(!screen.contains("no register"), "{screen}");

    // Its connection closing (a restart) makes it unregistered again, and the deadline
    // counts from the new process.
    h.send(Msg::Host(HostEvent::Disconnected {
        conn: 1,
        plugin_id: Some("com.tgo.demo".into()),
        reason: "plugin closed the connection".into(),
    }));
    h.send(Msg::Launcher(vec![proc_state(
        1,
        ProcState::Starting,
        None,
    )]));
    h.send(Msg::Launcher(vec![proc_state(
        1,
        ProcState::Running,
        Some(4002),
    )]));
    assert!(!h.state.launches.list[0].registered);
    h.now += Duration::from_secs(31);
    h.send(Msg::Tick);
    let screen = h.sized(100, 30);
    assert!(screen.contains("no register after"), "{screen}");
}

// ------------------------------------------------------------------------ wide characters

/// Cells an overlay drew that a terminal never shows: ratatui skips the cell after a
/// double-width character, so whatever is drawn there (an overlay's border over the second
/// half of a CJK character) is lost.
fn hidden_cells(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let area = buf.area;
    let mut hidden = Vec::new();
    for y in area.top()..area.bottom() {
        for x in area.left() + 1..area.right() {
            let before = buf[(x - 1, y)].symbol();
            let here = buf[(x, y)].symbol();
            if before.width() > 1 && !here.trim().is_empty() {
                hidden.push(format!("({x},{y}) {here:?} after {before:?}"));
            }
        }
    }
    hidden
}

/// A plugin and a panel full of Chinese text at both column parities, so some character
/// straddles every overlay's edge.
fn cjk() -> Harness {
    let mut h = Harness::new();
    h.register(
        json!({"id": "com.example.crm", "name": "客户关系管理", "version": "1.0.0",
        "capabilities": [
            {"type": "visitor_panel", "title": "客户档案与订单历史记录"},
            {"type": "visitor_panel", "title": " 工单标题与处理进度一览"},
            {"type": "chat_toolbar", "title": "快捷回复"}]}),
    );
    let para = "客户档案：张三，黄金会员，最近订单三笔，累计消费九百八十元，偏好夜间联系。";
    let text = |t: &str| json!({"template": "text", "data": {"text": t}});
    let panel = json!({"template": "group", "data": {"items": [
        text(para), text(&format!(" {para}")), text(para), text(&format!(" {para}")),
        {"template": "table", "data": {"columns": [
            {"key": "t", "label": "工单标题"}, {"key": "s", "label": "状态"}],
            "rows": [{"t": "请输入工单标题请输入工单标题", "s": "处理中"},
                     {"t": " 退款申请退款申请退款申请", "s": "已完成"}]}},
        text(para), text(&format!(" {para}")), text(para), text(&format!(" {para}")),
        text(para), text(&format!(" {para}")), text(para), text(&format!(" {para}"))]}});
    let key = CapKey {
        plugin_id: "com.example.crm".into(),
        index: 0,
    };
    h.send(Msg::Reply {
        purpose: Purpose::Render(key),
        reply: Reply {
            plugin_id: "com.example.crm".into(),
            method: "visitor_panel/render".into(),
            id: 1,
            outcome: Outcome::Result { value: panel },
            latency: Duration::from_millis(2),
            request_seq: 1,
            response_seq: None,
        },
        ui: None,
    });
    h
}

impl Harness {
    /// Draws at `w`×`h` into a fresh terminal; returns the screen as the terminal shows it
    /// and the cells the console drew but the terminal would not show.
    fn drawn(&mut self, w: u16, ht: u16) -> (String, Vec<String>) {
        self.state.size = (w, ht);
        let mut terminal = Terminal::new(TestBackend::new(w, ht)).unwrap();
        let hidden = {
            let frame = terminal
                .draw(|f| view::draw(f, &self.state, &self.log))
                .unwrap();
            hidden_cells(frame.buffer)
        };
        (terminal.backend().to_string(), hidden)
    }
}

#[test]
fn overlays_own_every_cell_they_cover_over_wide_characters() {
    let crm = |index| CapKey {
        plugin_id: "com.example.crm".into(),
        index,
    };
    let show_modal = json!({"action": "show_modal", "data": {"title": "新建工单",
        "template": "form", "data": {"fields": [
            {"name": "title", "label": "工单标题", "type": "text", "placeholder": "请输入工单标题"}]}}});
    type Open = Box<dyn Fn(&mut Harness)>;
    let overlays: Vec<(&str, Open)> = vec![
        (
            "toast",
            Box::new(|h: &mut Harness| {
                h.send(Msg::Notice {
                    text: "已复制客户档案到剪贴板，请在工单中粘贴".into(),
                    error: false,
                });
            }),
        ),
        (
            "help",
            Box::new(|h: &mut Harness| {
                h.key(KeyCode::Char('?'));
            }),
        ),
        (
            "confirm",
            Box::new(|h: &mut Harness| {
                h.state.modal = Some(Modal::Confirm {
                    text: "确定要关闭这个工单吗？".into(),
                    then: Vec::new(),
                });
            }),
        ),
        (
            "pending",
            Box::new(|h: &mut Harness| {
                h.key(KeyCode::Char('P'));
            }),
        ),
        (
            "composer",
            Box::new(|h: &mut Harness| {
                h.key(KeyCode::Char('c'));
            }),
        ),
        (
            "context",
            Box::new(|h: &mut Harness| {
                h.key(KeyCode::Char('v'));
            }),
        ),
        (
            "add_plugin",
            Box::new(|h: &mut Harness| {
                h.key(KeyCode::Char('a'));
            }),
        ),
        (
            "modal",
            Box::new(move |h: &mut Harness| {
                h.send(Msg::Reply {
                    purpose: Purpose::Event {
                        cap: crm(0),
                        in_modal: false,
                        event: crate::host::UiEvent::button_click("test"),
                    },
                    reply: Reply {
                        plugin_id: "com.example.crm".into(),
                        method: "visitor_panel/event".into(),
                        id: 2,
                        outcome: Outcome::Result {
                            value: show_modal.clone(),
                        },
                        latency: Duration::from_millis(2),
                        request_seq: 2,
                        response_seq: None,
                    },
                    ui: None,
                });
            }),
        ),
    ];
    for (name, open) in overlays {
        for (w, ht) in [(80, 24), (160, 45)] {
            let mut h = cjk();
            h.now += Duration::from_secs(10); // the registration toast is gone
            h.send(Msg::Tick);
            h.state.size = (w, ht);
            open(&mut h);
            let (screen, hidden) = h.drawn(w, ht);
            assert!(
                hidden.is_empty(),
                "{name} at {w}×{ht}: {hidden:?}\n{screen}"
            );
            if w == 80 {
                insta::assert_snapshot!(format!("cjk_under_{name}"), screen);
            }
        }
    }
}

// ------------------------------------------------------------------------ render header

/// The render pane's header line (the line under its title) as drawn.
fn header_row(screen: &str) -> String {
    let line = screen.lines().nth(2).unwrap_or_default().trim_matches('"');
    // From the render pane's left border to its right border.
    let start = line.find("││").map_or(0, |i| i + "││".len());
    let end = line[start..].find('│').map_or(line.len(), |i| start + i);
    line[start..end].to_string()
}

/// What is left of the toolbar buttons must end before them: a gap, or a `…` cut.
fn assert_header_clear(screen: &str, what: &str) {
    let header = header_row(screen);
    let at = header
        .find("[Quick replies]")
        .unwrap_or_else(|| panic!("{what}: toolbar button missing: {header:?}\n{screen}"));
    let before = header[..at].trim_end();
    assert!(
        header[..at].ends_with(' '),
        "{what}: header text runs into the toolbar button: {header:?}\n{screen}"
    );
    assert!(!before.is_empty(), "{what}: {header:?}");
}

#[test]
fn render_header_text_never_runs_into_the_toolbar_buttons() {
    for (w, ht) in [(80, 24), (100, 30), (120, 36), (160, 45)] {
        // A focused control with a long label, and diagnostics.
        let mut h = Harness::new();
        h.register(demo_caps());
        let long = json!({"template": "group", "data": {"items": [
            {"template": "button", "data": {"label": "Copy every order number of this visitor to the clipboard", "action_id": "copy"}},
            {"template": "frame", "data": {}},
            {"template": "text", "data": {"text": "x", "colour": "red"}}]}});
        h.reply(
            Purpose::Render(cap(0)),
            "visitor_panel/render",
            Outcome::Result { value: long },
        );
        h.now += Duration::from_secs(10);
        h.send(Msg::Tick);
        h.state.size = (w, ht);
        h.key(KeyCode::Char('2')); // focuses the first button
        let screen = h.screen(w, ht);
        assert_header_clear(&screen, &format!("focus label at {w}"));

        // A failure with a long message.
        h.reply(
            Purpose::Render(cap(0)),
            "visitor_panel/render",
            Outcome::PluginError(crate::protocol::jsonrpc::RpcError {
                code: -32603,
                message:
                    "unknown template (frame) in the answer to visitor_panel/render, see the log"
                        .into(),
                data: None,
            }),
        );
        let screen = h.screen(w, ht);
        assert_header_clear(&screen, &format!("error at {w}"));
        if w == 80 {
            insta::assert_snapshot!("render_header_80", screen);
        }
    }
}

// ------------------------------------------------------------------------ event outcomes

/// Presses the first thing of the shown panel that sends an event; returns its purpose.
fn press_first(h: &mut Harness) -> Purpose {
    h.state.focus = Pane::Render;
    for _ in 0..10 {
        let effects = h.key(KeyCode::Enter);
        if let Some(Effect::Request { purpose, .. }) = effects.into_iter().next() {
            return purpose;
        }
        h.key(KeyCode::Down);
    }
    panic!("no button sent an event");
}

#[test]
fn an_event_shows_a_spinner_then_its_outcome_in_the_action_pane() {
    for (outcome, said) in [
        (
            Outcome::Timeout {
                after: Duration::from_secs(30),
                meanwhile: None,
            },
            "timed out after",
        ),
        (
            Outcome::PluginError(crate::protocol::jsonrpc::RpcError {
                code: -32603,
                message: "boom".into(),
                data: None,
            }),
            "boom",
        ),
        (
            Outcome::Disconnected {
                reason: "plugin closed the connection".into(),
            },
            "disconnected before",
        ),
        (
            Outcome::InvalidAnswer {
                reason: "not JSON".into(),
            },
            "not JSON",
        ),
    ] {
        let mut h = rendered();
        let purpose = press_first(&mut h);
        h.send(Msg::Sent {
            purpose: purpose.clone(),
            plugin_id: "com.tgo.demo".into(),
            method: "visitor_panel/event".into(),
            conn: 1,
            id: 7,
        });
        h.now += Duration::from_millis(1200);
        h.send(Msg::Tick);
        let screen = h.sized(100, 30);
        assert!(screen.contains("waiting… 1.2 s"), "{screen}");
        let Purpose::Event { event, .. } = &purpose else {
            panic!("{purpose:?}")
        };
        assert!(
            screen.contains(&format!("sent {}", event.event_type)),
            "{screen}"
        );
        if said == "boom" {
            insta::assert_snapshot!("event_pending", screen);
        }
        h.send(Msg::Reply {
            purpose,
            reply: Reply {
                plugin_id: "com.tgo.demo".into(),
                method: "visitor_panel/event".into(),
                id: 7,
                outcome,
                latency: Duration::from_secs(1),
                request_seq: 5,
                response_seq: None,
            },
            ui: None,
        });
        h.now += Duration::from_secs(30); // long after every toast
        h.send(Msg::Tick);
        let screen = h.sized(100, 30);
        assert!(screen.contains("✖ "), "{screen}");
        assert!(screen.contains(said), "{said}: {screen}");
        assert!(!screen.contains("no action yet"), "{screen}");
        if said == "boom" {
            insta::assert_snapshot!("event_failed", screen);
        }
    }
}

// ------------------------------------------------------------------------ status line

#[test]
fn a_status_error_clears_after_a_while_or_on_the_next_success() {
    let mut h = rendered();
    h.send(Msg::Notice {
        text: "export to /nope failed: Permission denied".into(),
        error: true,
    });
    assert!(h.sized(100, 30).contains("export to /nope failed"));
    // Nothing else happens: the console wakes up by itself when it is due, and clears it.
    let due = h
        .state
        .next_wakeup()
        .expect("a wake-up for the status error");
    assert!(due <= h.now + STATUS_ERROR_TTL);
    h.now = due;
    h.send(Msg::Tick);
    assert!(!h.sized(100, 30).contains("export to /nope"));
    assert_eq!(h.state.next_wakeup(), None, "idle again: no timer");

    // A success clears it at once.
    h.send(Msg::Notice {
        text: "registration refused: missing title".into(),
        error: true,
    });
    h.reply(
        Purpose::Render(cap(0)),
        "visitor_panel/render",
        Outcome::Result { value: panel() },
    );
    let screen = h.sized(100, 30);
    let status = screen.lines().last().unwrap();
    assert!(!status.contains("registration refused"), "{screen}");
    assert_eq!(h.state.status.error, None);
}

// ------------------------------------------------------------------------ smaller (9.11)

#[test]
fn moving_through_capabilities_renders_only_the_one_stopped_on() {
    let mut h = Harness::new();
    h.register(demo_caps());
    h.state.render.slots.clear();
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Plugin("com.tgo.demo".into()));
    // j j: past "Customer 360" onto "Every template", quickly.
    let mut sent = Vec::new();
    for _ in 0..2 {
        sent.extend(requests(&h.key(KeyCode::Char('j'))));
        h.now += Duration::from_millis(30);
    }
    assert!(sent.is_empty(), "rendered while passing: {sent:?}");
    // The console wakes itself once the selection rests, and renders that one.
    let due = h
        .state
        .next_wakeup()
        .expect("a wake-up for the debounced render");
    h.now = due;
    let reqs = requests(&h.send(Msg::Tick));
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].1["capability_index"], 1, "Every template");
    assert!(requests(&h.send(Msg::Tick)).is_empty(), "once");
    // Enter renders at once.
    assert_eq!(requests(&h.key(KeyCode::Enter)).len(), 1);
}

#[test]
fn a_resent_render_lands_in_its_capability() {
    let mut h = rendered();
    let params = h.state.ctx.render_params(&CapabilityKind::VisitorPanel);
    let effects = super::update::request_effects(
        &mut h.state,
        "com.tgo.demo".into(),
        "visitor_panel/render".into(),
        params,
    );
    let Some(Effect::Request { purpose, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(*purpose, Purpose::Render(cap(0)));
    h.reply(
        purpose.clone(),
        "visitor_panel/render",
        Outcome::Result { value: panel() },
    );
    let screen = h.sized(100, 30);
    assert!(screen.contains("Customer 360 · com.tgo.demo"), "{screen}");
    assert!(screen.contains("▸ Customer 360"), "{screen}");
    assert!(!screen.contains("raw answer"), "{screen}");
}

#[test]
fn tools_header_says_what_it_is_not_a_latency() {
    let mut h = rendered();
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Capability(cap(3)));
    h.key(KeyCode::Enter);
    let screen = h.sized(100, 30);
    assert!(!screen.contains("0.0 ms"), "{screen}");
    assert!(screen.contains("mcp_tools · 1 tool"), "{screen}");
}

#[test]
fn help_does_not_scroll_into_blank_space() {
    let mut h = rendered();
    h.key(KeyCode::Char('?'));
    for _ in 0..500 {
        h.key(KeyCode::Char('j'));
    }
    let screen = h.sized(100, 30);
    // The last lines of help are at the bottom of the box, not scrolled away.
    assert!(screen.contains("Log file:"), "{screen}");
    let Some(Modal::Help { scroll }) = h.state.modal else {
        panic!()
    };
    h.key(KeyCode::Char('k'));
    let Some(Modal::Help { scroll: up }) = h.state.modal else {
        panic!()
    };
    assert_eq!(up + 1, scroll, "one k scrolls one line back");
}

#[test]
fn registrations_at_startup_make_one_toast() {
    let mut h = Harness::new();
    for id in ["com.a", "com.b", "com.c"] {
        let mut caps = demo_caps();
        caps["id"] = json!(id);
        h.register(caps);
    }
    let registered: Vec<&Toast> = h
        .state
        .status
        .toasts
        .iter()
        .filter(|t| t.text.contains("registered"))
        .collect();
    assert_eq!(registered.len(), 1, "{:?}", h.state.status.toasts);
    assert!(
        registered[0].text.contains("3 plugins registered"),
        "{:?}",
        registered[0]
    );
}

#[test]
fn narrow_top_bar_keeps_the_whole_context() {
    let mut h = rendered();
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    let screen = h.sized(80, 24);
    let top = screen.lines().next().unwrap();
    for part in ["v_12345", "s_12345", "zh-CN", "website", "[? help]"] {
        assert!(top.contains(part), "{part} missing: {top}");
    }
    // Clicks land on the buttons drawn.
    let l = view::screen_layout(ratatui::layout::Rect::new(0, 0, 80, 24), &h.state);
    for (i, r) in view::bar_buttons(l.context_bar, &h.state) {
        let drawn: String = top
            .trim_matches('"')
            .chars()
            .skip(r.x as usize)
            .take(r.width as usize)
            .collect();
        assert_eq!(drawn, view::BAR_BUTTONS[i], "{top}");
    }
}

// ------------------------------------------------------------------------ plugin entries (9.7, 9.8)

impl Harness {
    /// A registration over connection `conn` as the host saw it (`plugin_id` is what the
    /// host made of it: the plugin's own id, or a generated one).
    fn register_as(&mut self, conn: u64, plugin_id: &str, params: Value) -> Vec<Effect> {
        let info = parse_register(Some(&params)).unwrap();
        self.send(Msg::Host(HostEvent::Registered {
            conn,
            plugin_id: plugin_id.into(),
            info,
            replaced: None,
        }))
    }

    fn disconnect(&mut self, conn: u64, plugin_id: &str) {
        self.send(Msg::Host(HostEvent::Disconnected {
            conn,
            plugin_id: Some(plugin_id.into()),
            reason: "plugin closed the connection".into(),
        }));
    }
}

/// The quickstart's plugin: no `id` in its register.
fn idless() -> Value {
    json!({"name": "visitor-orders", "version": "1.0.0", "capabilities": [
        {"type": "visitor_panel", "title": "客户订单", "icon": "shopping-cart"}]})
}

#[test]
fn an_idless_plugin_restarted_by_hand_keeps_one_entry() {
    let mut h = Harness::new();
    h.register_as(1, "plugin_aaaa1111", idless());
    let shown = |id: &str| {
        Some(Shown::Cap(CapKey {
            plugin_id: id.into(),
            index: 0,
        }))
    };
    assert_eq!(h.state.render.shown, shown("plugin_aaaa1111"));
    h.disconnect(1, "plugin_aaaa1111");
    let effects = h.register_as(2, "plugin_bbbb2222", idless());
    assert_eq!(h.state.plugins.len(), 1, "{:?}", h.state.plugins);
    assert_eq!(h.state.plugins[0].plugin_id, "plugin_bbbb2222");
    assert_eq!(
        h.state.render.shown,
        shown("plugin_bbbb2222"),
        "the panel follows"
    );
    assert_eq!(requests(&effects).len(), 1, "and is rendered again");
    // A different plugin without an id is not folded into it.
    h.disconnect(2, "plugin_bbbb2222");
    let mut other = idless();
    other["name"] = json!("another");
    h.register_as(3, "plugin_cccc3333", other);
    assert_eq!(h.state.plugins.len(), 2);
}

#[test]
fn a_relaunched_idless_plugin_keeps_one_entry() {
    let mut h = Harness::new();
    h.launch(1, "orders", None);
    h.send(Msg::ConnOwner {
        conn: 1,
        launch: LaunchId(1),
    });
    h.register_as(1, "plugin_aaaa1111", idless());
    h.disconnect(1, "plugin_aaaa1111");
    h.send(Msg::ConnOwner {
        conn: 2,
        launch: LaunchId(1),
    });
    h.register_as(2, "plugin_bbbb2222", idless());
    assert_eq!(h.state.plugins.len(), 1, "{:?}", h.state.plugins);
    assert_eq!(
        h.state.launches.list[0].plugin_id.as_deref(),
        Some("plugin_bbbb2222")
    );
}

#[test]
fn x_removes_a_gone_plugin_and_says_why_not_a_connected_one() {
    let mut h = Harness::new();
    h.register_as(1, "com.a", json!({"id": "com.a", "name": "a", "version": "1", "capabilities": [{"type": "visitor_panel", "title": "A"}]}));
    h.register_as(2, "com.b", json!({"id": "com.b", "name": "b", "version": "1", "capabilities": [{"type": "visitor_panel", "title": "B"}]}));
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Plugin("com.a".into()));
    h.key(KeyCode::Char('x'));
    assert_eq!(h.state.plugins.len(), 2);
    assert!(
        h.state
            .status
            .toasts
            .iter()
            .any(|t| t.text.contains("com.a is connected"))
    );
    h.disconnect(1, "com.a");
    h.key(KeyCode::Char('x'));
    assert_eq!(h.state.plugins.len(), 1);
    assert_eq!(h.state.plugins[0].plugin_id, "com.b");
    assert!(h.state.selected.is_some(), "the selection moves on");
}

#[test]
fn a_thousand_reconnecting_plugins_leave_a_short_list() {
    let mut h = Harness::new();
    for n in 0..1000u64 {
        let id = format!("com.flaky.{n}");
        h.register_as(n, &id, json!({"id": id, "name": "flaky", "version": "1", "capabilities": [{"type": "visitor_panel", "title": "F"}]}));
        h.disconnect(n, &id);
    }
    assert_eq!(h.state.plugins.len(), super::entries::MAX_GONE);
    assert_eq!(
        h.state.plugins[0].plugin_id, "com.flaky.980",
        "the newest kept"
    );
    // The selection (the first plugin, whose panel was shown) moved on to one that is kept.
    let kept = |id: &str| h.state.plugins.iter().any(|p| p.plugin_id == id);
    match &h.state.selected {
        Some(Row::Plugin(id)) => assert!(kept(id), "{id}"),
        Some(Row::Capability(k)) => assert!(kept(&k.plugin_id), "{k:?}"),
        other => panic!("selection lost: {other:?}"),
    }
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    h.state.focus = Pane::Plugins;
    h.key(KeyCode::Char('g'));
    let screen = h.sized(100, 30);
    assert!(screen.contains("980 older gone"), "{screen}");
    assert!(screen.contains("Plugins 0/20 connected"), "{screen}");
}

#[test]
fn launched_plugins_with_one_name_are_told_apart_by_their_manifest() {
    let mut h = Harness::new();
    for (id, dir) in [(1, "orders-v1"), (2, "orders-v2")] {
        h.launch(id, dir, None);
        h.send(Msg::ConnOwner {
            conn: id,
            launch: LaunchId(id),
        });
        h.register_as(id, &format!("plugin_{dir}"), idless());
    }
    assert_eq!(h.state.plugins.len(), 2);
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    let screen = h.sized(100, 30);
    assert!(screen.contains("orders-v1/plugin.yml"), "{screen}");
    assert!(screen.contains("orders-v2/plugin.yml"), "{screen}");
}

#[test]
fn capabilities_are_listed_by_priority_with_their_icon_and_the_plugin_described() {
    let mut h = Harness::new();
    h.register_as(
        1,
        "com.crm",
        json!({"id": "com.crm", "name": "CRM", "version": "2.1.0",
        "description": "客户资料与订单", "author": "Example Co.", "capabilities": [
            {"type": "visitor_panel", "title": "Later", "priority": 20},
            {"type": "visitor_panel", "title": "First", "priority": 1, "icon": "star"},
            {"type": "chat_toolbar", "title": "Default"}]}),
    );
    h.register_as(
        2,
        "com.gone",
        json!({"id": "com.gone", "name": "gone", "version": "1",
        "capabilities": [{"type": "visitor_panel", "title": "G"}]}),
    );
    h.disconnect(2, "com.gone");
    let rows = h.state.rows();
    let caps: Vec<usize> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Capability(k) if k.plugin_id == "com.crm" => Some(k.index),
            _ => None,
        })
        .collect();
    assert_eq!(caps, vec![1, 2, 0], "priority 1, default 10, 20");
    assert_eq!(
        h.state.render.shown,
        Some(Shown::Cap(CapKey {
            plugin_id: "com.crm".into(),
            index: 1
        })),
        "the first panel by priority is shown"
    );
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    let screen = h.sized(100, 30);
    assert!(screen.contains("Plugins 1/2 connected"), "{screen}");
    assert!(screen.contains("客户资料与订单 —"), "{screen}");
    assert!(screen.contains("Example Co."), "{screen}");
    assert!(screen.contains("icon star · priority 1"), "{screen}");
    insta::assert_snapshot!("plugin_detail", screen);
}

// ------------------------------------------------------------------------ output and status (9.14)

#[test]
fn a_restart_is_marked_in_the_output_and_clears_the_crash_from_the_status_bar() {
    let mut h = launched_demo();
    h.send(Msg::Launcher(vec![
        line(StreamKind::Stderr, 1, "first run: KeyError: 'visitor_id'"),
        proc_state(1, ProcState::Exited { code: 1 }, None),
    ]));
    h.disconnect(1, "com.tgo.demo");
    assert_eq!(h.state.error_text(), Some("demo: exited (1)"));
    h.send(Msg::Launcher(vec![
        proc_state(1, ProcState::Starting, None),
        proc_state(1, ProcState::Running, Some(4002)),
        line(StreamKind::Stderr, 5, "second run: serving"),
    ]));
    h.send(Msg::ConnOwner {
        conn: 2,
        launch: LaunchId(1),
    });
    h.register_as(2, "com.tgo.demo", demo_caps());
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    h.key(KeyCode::Char('4'));
    let screen = h.sized(100, 30);
    let status = screen.lines().last().unwrap();
    assert!(!status.contains("exited"), "{status}");
    assert!(screen.contains("── exited (1) · restarted ──"), "{screen}");
    let marker = screen.find("── exited (1)").unwrap();
    assert!(screen.find("first run").unwrap() < marker);
    assert!(screen.find("second run").unwrap() > marker);
    insta::assert_snapshot!("output_restarted", screen);
}

#[test]
fn crash_lines_are_from_the_last_run_and_wrap_in_the_narrow_pane() {
    let mut h = launched_demo();
    h.send(Msg::Launcher(vec![
        line(StreamKind::Stderr, 1, "old run said this"),
        proc_state(1, ProcState::Exited { code: 1 }, None),
        proc_state(1, ProcState::Starting, None),
        proc_state(1, ProcState::Running, Some(4002)),
        line(
            StreamKind::Stderr,
            5,
            "ConnectionRefusedError: [Errno 111] Connection refused: /var/run/tgo/tgo.sock",
        ),
        proc_state(1, ProcState::Exited { code: 2 }, None),
    ]));
    let screen = h.sized(100, 30);
    assert!(!screen.contains("old run said"), "{screen}");
    assert!(
        screen.contains("/var/run/tgo/tgo.soc"),
        "the end of a long line: {screen}"
    );
}

// ------------------------------------------------------------------------ toolbar forms (9.15)

/// The demo's chat_toolbar (capability 2) opened in a modal over the rendered panel.
fn toolbar_open() -> Harness {
    let mut h = rendered();
    h.reply(
        Purpose::ToolbarRender(cap(2)),
        "chat_toolbar/render",
        Outcome::Result {
            value: json!({"template": "form", "data": {"title": "新建工单", "action_id": "create",
                "fields": [{"name": "title", "label": "标题", "type": "text"}]}}),
        },
    );
    assert!(matches!(h.state.modal, Some(Modal::Ui { .. })));
    h
}

fn submitted(h: &mut Harness, action: Value) -> Vec<Effect> {
    let mut event = crate::host::UiEvent::button_click("create");
    event.event_type = "form_submit".into();
    h.reply(
        Purpose::Event {
            cap: cap(2),
            in_modal: true,
            event,
        },
        "chat_toolbar/event",
        Outcome::Result { value: action },
    )
}

#[test]
fn a_toolbar_form_submitted_closes_its_modal_and_refreshes_the_panel_behind() {
    let mut h = toolbar_open();
    let effects = submitted(
        &mut h,
        json!({"action": "batch", "data": {"actions": [
            {"action": "show_toast", "data": {"message": "工单已创建", "type": "success"}},
            {"action": "refresh", "data": {}}]}}),
    );
    assert!(h.state.modal.is_none(), "the modal closes");
    let reqs = requests(&effects);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].0, "visitor_panel/render", "the panel behind");
    assert_eq!(h.state.render.shown, Some(Shown::Cap(cap(0))));

    // An error answer keeps the form open, to be fixed.
    let mut h = toolbar_open();
    submitted(
        &mut h,
        json!({"action": "show_toast", "data": {"message": "标题不能为空", "type": "error"}}),
    );
    assert!(matches!(h.state.modal, Some(Modal::Ui { .. })));
}

/// An event typed in the composer is answered like a button's: carried out and validated
/// (issue 9.15).
#[test]
fn an_event_sent_from_the_composer_is_carried_out() {
    let mut h = rendered();
    let params = h
        .state
        .ctx
        .event_params(&crate::host::UiEvent::button_click("copy_email"));
    let effects = super::update::request_effects(
        &mut h.state,
        "com.tgo.demo".into(),
        "visitor_panel/event".into(),
        params,
    );
    let Some(Effect::Request { purpose, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert!(matches!(purpose, Purpose::Event { .. }), "{purpose:?}");
    let effects = h.reply(
        purpose.clone(),
        "visitor_panel/event",
        Outcome::Result {
            value: json!({"action": "copy_text", "data": {"text": "zhangsan@example.com"}}),
        },
    );
    assert_eq!(effects, vec![Effect::Copy("zhangsan@example.com".into())]);
    let rec = h.state.activity.last_event.as_ref().unwrap();
    assert_eq!(rec.sent, "button_click · copy_email");
}

// Diagnostics, problems and registrations (issue 9, items 4, 11, 12): in their own file.
#[path = "tests_problems.rs"]
mod problems;

// Stories, saved scenarios, the path across restarts, the history (issue 13.2).
#[path = "tests_stories.rs"]
mod stories;

// Proxy mode: the party column, relayed latencies, the host's render (issue 15.4).
#[path = "tests_past.rs"]
mod past;
#[path = "tests_proxy.rs"]
mod proxy;

/// The console starts with the visitor object its visitor id had last time, and the visitors
/// of earlier runs to recall (issue 9.10).
#[test]
fn a_new_run_remembers_the_visitors_of_earlier_ones() {
    let mut h = Harness::new();
    let mut known = RenderContext::for_visitor("v_12345");
    known.visitor.insert("name".into(), json!("王五"));
    let earlier = vec![
        super::context_edit::RecentVisitor::of(&RenderContext::for_visitor("v_1")),
        super::context_edit::RecentVisitor::of(&known),
    ];
    super::remember_visitors(&mut h.state, Ok(earlier));
    assert_eq!(h.state.ctx.visitor["name"], "王五");
    assert_eq!(h.state.recent_visitors.len(), 2);
    super::remember_visitors(&mut h.state, Err("visitors.json: expected value".into()));
    assert!(h.state.error_text().unwrap().contains("expected value"));
}

#[test]
fn long_composer_params_are_checked_when_the_loop_wakes_after_the_pause() {
    let mut h = rendered();
    h.key(KeyCode::Char('c'));
    h.send(Msg::Paste("ping".into()));
    h.key(KeyCode::Enter);
    // 100 KB of params, pasted; the JSON is left open.
    let long = format!("[{}", "1,".repeat(50_000));
    h.send(Msg::Paste(long));
    let due = h.now + super::composer::CHECK_PAUSE;
    assert_eq!(
        h.state.next_wakeup(),
        Some(due),
        "the loop wakes for the check"
    );
    assert!(h.screen(100, 30).contains("checking the JSON"));
    h.now = due;
    h.send(Msg::Tick);
    assert_eq!(h.state.next_wakeup(), None, "then sleeps again");
    let screen = h.screen(100, 30);
    assert!(screen.contains("✗ line 1, column"), "{screen}");
}

// ------------------------------------------------------------------------ composer (9.9)

#[test]
fn the_composer_opens_on_the_selected_plugin_with_its_last_method_and_real_params() {
    let mut h = rendered();
    h.register_as(
        2,
        "com.b",
        json!({"id": "com.b", "name": "b", "version": "1",
        "capabilities": [{"type": "visitor_panel", "title": "B panel"}]}),
    );
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Plugin("com.b".into()));
    h.key(KeyCode::Char('c'));
    let screen = h.sized(100, 30);
    assert!(
        screen.contains("‹ com.b ›"),
        "the selected plugin: {screen}"
    );
    // Typing a render method fills in the render context as params.
    h.chars("visitor_panel/re");
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    let screen = h.sized(100, 30);
    assert!(screen.contains("\"visitor_id\": \"v_12345\""), "{screen}");
    let effects = h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    let reqs = requests(&effects);
    assert_eq!(reqs[0].0, "visitor_panel/render");
    assert_eq!(reqs[0].1["visitor"]["id"], "v_12345");
    // Opened again on the same plugin: the last method, ready to send again.
    h.state.modal = None;
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Plugin("com.b".into()));
    h.key(KeyCode::Char('c'));
    let screen = h.sized(100, 30);
    assert!(screen.contains("visitor_panel/render"), "{screen}");
    assert!(screen.contains("\"session_id\": \"s_12345\""), "{screen}");
    insta::assert_snapshot!("composer_reopened", screen);
}

/// Ctrl-P: the palette lists actions with their keys, the plugins' capabilities and the saved
/// filters; typing narrows it fuzzily, Enter does the pick.
#[test]
fn the_palette_finds_actions_capabilities_and_filters() {
    let mut h = rendered();
    h.state.personal.filters = vec![(
        "slow renders".into(),
        "method:visitor_panel/render latency:>200ms".into(),
    )];
    h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('p'),
        KeyModifiers::CONTROL,
    )));
    insta::assert_snapshot!("palette_open", h.sized(100, 30));
    h.chars("slow");
    let screen = h.sized(100, 30);
    insta::assert_snapshot!("palette_filtered", screen);
    h.key(KeyCode::Enter);
    assert!(h.state.modal.is_none());
    assert_eq!(h.state.focus, Pane::Inspector);
    let after = h.sized(100, 30);
    assert!(after.contains("filter: method:vi"), "{after}");
}

/// A user's keymap shows everywhere keys are shown: the help and the status bar's hints.
#[test]
fn rebound_keys_show_in_the_help_and_the_hints() {
    let config = crate::config::Config::from_text(
        "[keys.global]\nquit = [\"ctrl-q\"]\nhelp = [\"f1\"]\n".into(),
        "/home/me/config.toml".as_ref(),
    )
    .unwrap();
    let mut h = rendered();
    h.state.personal.keymap = std::sync::Arc::new(super::keymap::Keymap::build(&config).unwrap());
    let screen = h.sized(120, 30);
    let status = screen.lines().last().unwrap();
    assert!(
        status.contains("F1 help") && status.contains("Ctrl-Q quit"),
        "{status}"
    );
    // `q` no longer quits.
    assert!(!h.key(KeyCode::Char('q')).contains(&Effect::Quit));
    h.key(KeyCode::F(1));
    let help = h.sized(100, 40);
    assert!(help.contains("Ctrl-Q"), "{help}");
    insta::assert_snapshot!("help_rebound", help);
}

/// The status bar drops the hints that do not fit, whole: at every width, in every pane, what
/// follows its `│` is a list of complete hints, in order, ending where one ends.
#[test]
fn status_bar_hints_are_never_cut_mid_word() {
    let mut h = rendered();
    for pane in ['1', '2', '3'] {
        h.key(KeyCode::Char(pane));
        let hints = h.state.personal.keymap.hints(&h.state.active_scopes());
        for w in 30..=160 {
            let screen = h.sized(w, 30);
            // TestBackend's lines come quoted.
            let status = screen.lines().last().unwrap().trim_matches('"').trim_end();
            let Some((_, shown)) = status.split_once("│ ") else {
                continue;
            };
            let shown: Vec<&str> = shown.split(" · ").collect();
            assert_eq!(
                shown,
                hints[..shown.len()]
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                "pane {pane} at {w} columns: {status:?}"
            );
        }
    }
}

/// What a background command printed opens in the output modal, titled with how it ended.
#[test]
fn a_commands_output_opens_in_a_modal() {
    let mut h = rendered();
    h.send(Msg::CommandDone {
        name: "stack dump".into(),
        output: super::msg::CommandOutput::Pane,
        ok: true,
        status: "exit status: 0".into(),
        text: "Thread 0x7f (idle): \"MainThread\"\n    serve (plugin.py:42)\n    订单 处理 (orders.py:7)\n".into(),
    });
    insta::assert_snapshot!("command_output", h.sized(100, 30));
    h.key(KeyCode::Esc);
    assert!(h.state.modal.is_none());
}

/// Keys pressed while a re-render is on its way move through the UI drawn under the spinner,
/// and the new render keeps where they left the focus (they were lost before: the focus
/// snapped back to where it was when `r` was pressed).
#[test]
fn keys_during_a_re_render_are_kept() {
    let mut h = rendered();
    h.key(KeyCode::Tab);
    let first = h
        .state
        .shown_rendered()
        .unwrap()
        .ui
        .focus()
        .map(String::from);
    h.key(KeyCode::Char('r'));
    assert!(matches!(
        h.state.shown_slot(),
        Some(RenderSlot::Pending { .. })
    ));
    // Down past the table's rows, to the button under it.
    for _ in 0..3 {
        h.key(KeyCode::Down);
    }
    let moved = h
        .state
        .shown_rendered()
        .unwrap()
        .ui
        .focus()
        .map(String::from);
    let rows = h.state.shown_rendered().unwrap().ui.selected.clone();
    assert_ne!(moved, first, "Down moved the focus under the spinner");
    h.reply(
        Purpose::Render(cap(0)),
        "visitor_panel/render",
        Outcome::Result { value: panel() },
    );
    assert!(matches!(h.state.shown_slot(), Some(RenderSlot::Ready(_))));
    let ui = &h.state.shown_rendered().unwrap().ui;
    assert_eq!(ui.focus().map(String::from), moved);
    assert_eq!(ui.selected, rows, "the table's selected row is kept too");
}

#[test]
fn lines_the_launcher_dropped_are_counted_in_the_output_header() {
    let mut h = launched_demo();
    h.send(Msg::Launcher(vec![
        line(StreamKind::Stdout, 1, "before the flood"),
        LauncherEvent::Dropped {
            id: LaunchId(1),
            lines: 123_456,
        },
        line(StreamKind::Stdout, 2, "after the flood"),
    ]));
    h.key(KeyCode::Char('4'));
    let screen = h.sized(100, 30);
    assert!(screen.contains("123456 lines not kept"), "{screen}");
    assert!(screen.contains("after the flood"), "{screen}");
}

/// A plugin registering again with other capabilities: a toast says the first change, the
/// inspector gets every one (issue 14.1).
#[test]
fn a_new_capability_list_is_said_on_re_register() {
    let mut h = rendered();
    let mut caps = demo_caps();
    caps["capabilities"][0]["title"] = json!("Customer 720");
    caps["capabilities"][0]["priority"] = json!(9);
    caps["capabilities"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "visitor_panel", "title": "Tickets"}));
    let effects = h.register(caps);
    let note = effects
        .iter()
        .find_map(|e| match e {
            Effect::Note { plugin, text } if plugin == "com.tgo.demo" => Some(text.clone()),
            _ => None,
        })
        .expect("a note for the inspector");
    assert_eq!(
        note,
        "capabilities changed: changed visitor_panel \"Customer 720\": title \"Customer 360\" → \"Customer 720\", priority 1 → 9; added visitor_panel \"Tickets\""
    );
    insta::assert_snapshot!("capabilities_changed", h.sized(100, 30));
    // The same list again: nothing to say.
    let effects = h.register(caps_again());
    assert!(!effects.iter().any(|e| matches!(e, Effect::Note { .. })));
}

fn caps_again() -> Value {
    let mut caps = demo_caps();
    caps["capabilities"][0]["title"] = json!("Customer 720");
    caps["capabilities"][0]["priority"] = json!(9);
    caps["capabilities"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "visitor_panel", "title": "Tickets"}));
    caps
}

#[test]
fn b_builds_the_selected_plugin_with_its_stages_and_output_in_view() {
    let mut h = launched_demo();
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Plugin("com.tgo.demo".into()));
    let build = h.key(KeyCode::Char('b'));
    assert_eq!(
        build,
        vec![Effect::Launch {
            id: LaunchId(1),
            op: LaunchOp::Build,
            shutdown: None,
        }],
        "the old process is left alone until the new build is there"
    );
    // The launcher's stages as they come: building (lines streaming), starting, running.
    h.send(Msg::Launcher(vec![
        proc_state(1, ProcState::Building, Some(4001)),
        line(StreamKind::Console, 1, "$ go build -o plugin ./cmd/plugin"),
        line(StreamKind::Stderr, 2, "# example.com/demo/cmd/plugin"),
    ]));
    h.key(KeyCode::Char('4'));
    h.state.status.toasts.clear();
    let screen = h.sized(120, 24);
    assert!(screen.contains("building…"), "{screen}");
    assert!(
        screen.contains("$ go build -o plugin ./cmd/plugin"),
        "{screen}"
    );
    insta::assert_snapshot!("build_in_progress", screen);

    h.send(Msg::Launcher(vec![proc_state(
        1,
        ProcState::Starting,
        None,
    )]));
    assert!(h.sized(100, 24).contains("starting"));
    h.send(Msg::Launcher(vec![proc_state(
        1,
        ProcState::Running,
        Some(4002),
    )]));
    assert!(h.sized(100, 24).contains("running · pid 4002"));

    // A failed build while it runs: the toast says the old one runs on.
    h.send(Msg::Launcher(vec![
        proc_state(1, ProcState::Building, Some(4002)),
        line(StreamKind::Stderr, 3, "cmd/plugin/main.go:3:15: undefined: x"),
        line(
            StreamKind::Console,
            4,
            "build failed, still running the previous build: `go build -o plugin ./cmd/plugin` failed (exit code 1)",
        ),
        LauncherEvent::BuildFailed {
            id: LaunchId(1),
            message: "`go build -o plugin ./cmd/plugin` failed (exit code 1)".into(),
            kept: true,
        },
        proc_state(1, ProcState::Running, Some(4002)),
    ]));
    let screen = h.sized(120, 24);
    assert!(
        screen.contains("demo: build failed, still running the previous build"),
        "{screen}"
    );
    h.state.status.toasts.clear();
    let screen = h.sized(120, 24);
    assert!(screen.contains("undefined: x"), "{screen}");
    insta::assert_snapshot!("build_failed_kept_running", screen);

    // A failed build with nothing running: the plugins pane shows the compiler's lines.
    h.send(Msg::Launcher(vec![proc_state(
        1,
        ProcState::BuildFailed("cmd/plugin/main.go:3:15: undefined: x".into()),
        None,
    )]));
    h.key(KeyCode::Char('1'));
    h.state.status.toasts.clear();
    let screen = h.sized(160, 24);
    assert!(
        screen.contains("build failed: cmd/plugin/main.go"),
        "{screen}"
    );
    assert!(screen.contains("undefined: x"), "{screen}");
}

#[test]
fn health_shows_as_a_dot_a_detail_line_and_a_status_summary() {
    let mut h = launched_demo();
    // Sampling runs while the terminal has the focus, not after it lost it.
    assert!(h.state.wants_health());
    h.send(Msg::Focus(false));
    assert!(!h.state.wants_health());
    h.send(Msg::Focus(true));
    // What the host counts after 10 answers (2 of them errors) and 1 timeout.
    let mut health = crate::host::Health::default();
    let t0 = h.now;
    for i in 0..8u64 {
        let ok: crate::host::Outcome = crate::host::Outcome::Result {
            value: serde_json::json!({}),
        };
        health.record(&ok, Duration::from_millis(2 + i), t0);
    }
    for _ in 0..2 {
        let e: crate::host::Outcome =
            crate::host::Outcome::PluginError(crate::protocol::RpcError {
                code: -32003,
                message: "Order not found".into(),
                data: None,
            });
        health.record(&e, Duration::from_millis(3), t0);
    }
    let timeout: crate::host::Outcome = crate::host::Outcome::Timeout {
        after: Duration::from_secs(30),
        meanwhile: None,
    };
    health.record(&timeout, Duration::from_secs(30), t0);
    h.send(Msg::Health {
        plugins: vec![(
            "com.tgo.demo".into(),
            health.snapshot(t0 + Duration::from_secs(4)),
        )],
        usage: vec![(
            LaunchId(1),
            crate::launcher::tree::ProcUsage {
                rss_bytes: 12 * 1024 * 1024 + 512 * 1024,
                cpu_percent: Some(3.2),
            },
        )],
    });
    let p = h.state.plugin("com.tgo.demo").unwrap();
    assert_eq!(
        h.state.health_level(p, h.state.launch_of("com.tgo.demo")),
        crate::host::HealthLevel::Red,
        "2 errors in 11 is over 10 %"
    );
    h.state.status.toasts.clear();
    let screen = h.sized(130, 24);
    for expected in [
        "11 req · 2 err · 1 timeout",
        "p50 4.0 ms · p99 9.0 ms",
        "answered 4 s ago",
        "12.5 MiB · 3 % CPU",
        "· 11 req · 2 err · 1 timeout · 1 red",
    ] {
        assert!(screen.contains(expected), "{expected} missing:\n{screen}");
    }
    insta::assert_snapshot!("health_numbers", screen);
}
// Chaos toward the plugin from the console (issue 14.2).
#[path = "tests_chaos.rs"]
mod chaos;
