//! The console's state machine and screens: `update` driven with messages, screens drawn into a
//! `TestBackend` and compared as insta snapshots.

use super::msg::{CapKey, Effect, LaunchOp, Msg, Purpose};
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
        h.state.launches[0].plugin_id.as_deref(),
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
    assert!(screen.contains("KeyError: 'visit"), "{screen}");
    assert_eq!(
        h.state.last_error.as_deref(),
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
    h.state.manifest_errors =
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
    let deadline = h.state.launches[0].started.unwrap() + REGISTER_DEADLINE;
    h.state.toasts.clear();
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
    assert_eq!(h.state.output_scroll.up, 0);
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
    assert!(h.state.launches.is_empty());
    assert!(
        h.state.plugins.is_empty(),
        "its disconnected plugin goes too"
    );
    assert!(
        h.state.shown.is_none() && h.state.renders.is_empty(),
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
    assert!(h.state.toasts.iter().any(|t| t.text.contains("a to add")));
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
    assert!(h.state.launches[0].registered);
    assert_eq!(
        h.state.selected_launch().map(|l| l.id),
        Some(LaunchId(1)),
        "the selection follows the plugin"
    );
    // A restart: the new process must register again before the flag clears.
    h.send(Msg::Launcher(vec![proc_state(
        1,
        ProcState::Starting,
        None,
    )]));
    assert!(!h.state.launches[0].registered);
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
    assert!(
        h.state
            .last_error
            .as_deref()
            .unwrap()
            .contains("runtime: expected")
    );
}

#[test]
fn a_replay_launches_nothing() {
    let mut h = launched_demo();
    h.state.read_only = true;
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
