//! The console's real event loop, driven by scripted terminal events into a hooked
//! `TestBackend`, over a real host and real plugin processes: keys alone, and mouse alone.
//! Every script waits for what it expects (a screen, a log entry, a file), never a fixed time.

mod common;

use common::console::{Console, Script};
use common::*;
use crossterm::event::{Event, KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use std::time::Duration;
use tgo_console::host::{Direction, EntryKind, LogEntry};
use tgo_console::tui::state::{Pane, RenderSlot};

/// An outgoing request for `method`.
fn request_for(e: &LogEntry, method: &str) -> bool {
    e.dir == Direction::Out
        && matches!(&e.kind, EntryKind::Request { method: m, .. } if m == method)
}

/// Every frame the host sent, as JSON.
fn sent(c: &Console) -> Vec<serde_json::Value> {
    c.host
        .handle
        .log()
        .entries()
        .iter()
        .filter(|e| e.dir == Direction::Out)
        .filter_map(|e| serde_json::from_slice(&e.raw).ok())
        .collect()
}

/// The demo's Customer 360 panel, rendered by itself once the demo registered (its capability
/// title shows before the answer: wait for the panel's own buttons).
async fn rendered(s: &mut Script) -> String {
    s.until("[ Refresh ]").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_alone_render_press_and_quit() {
    let mut c = Console::new(120, 36, |_| {}).await;
    let _demo = c.host.demo("com.tgo.demo");
    c.run(|mut s| async move {
        rendered(&mut s).await;
        s.key(KeyCode::Tab); // render pane
        // The CRM link is the first thing to focus, then the Refresh button.
        s.key(KeyCode::Down);
        s.until("▸ https://crm").await;
        s.key(KeyCode::Down);
        s.until("▸ Refresh").await;
        s.key(KeyCode::Enter);
        // Answered with `refresh`, rendered again, the focus kept (a key sent while the
        // render is on its way would be lost with the old panel).
        s.until_screen("refreshed, the focus kept", |s| {
            s.contains("refresh re-rendered") && s.contains("· ▸ Refresh")
        })
        .await;
        s.key(KeyCode::Down);
        s.until("▸ Copy email").await;
        s.key(KeyCode::Enter);
        s.until("copied 20 characters").await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let screen = c.screen();
    assert!(c.state.quit, "{screen}");
    assert!(
        matches!(
            c.state.render.slots.values().next(),
            Some(RenderSlot::Ready(_))
        ),
        "{screen}"
    );
    assert!(c.state.activity.last_event.is_some(), "{screen}");
    assert_eq!(
        c.platform.effects(),
        ["copy zhangsan@example.com"],
        "the button's copy_text reached the clipboard:\n{screen}"
    );
    assert!(screen.contains("Customer 360"), "{screen}");
    c.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mouse_alone_selects_and_renders() {
    let mut c = Console::new(120, 36, |_| {}).await;
    let _demo = c.host.demo("com.tgo.demo");
    c.run(|mut s| async move {
        let screen = s.until("Every template").await;
        // Click where the capability is drawn.
        let y = screen
            .lines()
            .position(|l| l.contains("Every template"))
            .unwrap();
        click_on(&s, 5, y as u16);
        s.until("Every template · com.tgo.demo").await;
        // Close with the keyboard: the mouse has no quit.
        s.key(KeyCode::Char('q'));
    })
    .await;
    assert_eq!(c.state.focus, Pane::Plugins);
    let shown = format!("{:?}", c.state.render.shown);
    assert!(
        shown.contains("index: 1"),
        "clicked capability shown: {shown}\n{}",
        c.screen()
    );
    c.finish().await;
}

fn click_on(s: &common::console::Script, column: u16, row: u16) {
    s.event(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
}

/// A directory of plugins as `tgo-console DIR` would get it: a good one, one that never
/// registers, and a broken manifest.
fn plugins_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rogue = repo_path("tests/plugins/rogue.py").display().to_string();
    let write = |sub: &str, name: &str, text: String| {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join(name), text).unwrap();
    };
    write(
        "good",
        "plugin.yml",
        format!("name: good\ncommand: python3\nargs: ['{rogue}', good]\n"),
    );
    write(
        "mute",
        "plugin.json",
        format!(
            r#"{{"name": "mute", "command": "python3", "args": ["{rogue}", "no_register", "60"]}}"#
        ),
    );
    write(
        "broken",
        "plugin.yml",
        "name: broken\ncommand: python3\nruntime: {restart_delay: soon}\n".into(),
    );
    dir
}

fn group_alive(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launched_plugins_show_their_state_and_output_and_stop_with_keys() {
    use tgo_console::launcher::ProcState;

    let mut c = Console::new(120, 40, |_| {}).await;
    let dir = plugins_dir();
    let errors = c.launch(&[dir.path().to_path_buf()], Duration::from_secs(1));
    assert_eq!(
        c.state.launches.list.len(),
        2,
        "the broken manifest hides neither good one"
    );
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("broken/plugin.yml: runtime.restart_delay"),
        "{errors:?}"
    );
    c.state.launches.register_deadline = Duration::from_secs(1);
    let launcher = c.launcher.clone().unwrap();
    let mut groups = Vec::new();
    let found = &mut groups;
    c.run(|mut s| async move {
        // The good one registered, the mute one passed its deadline.
        s.until_screen("good registered, mute flagged", |s| {
            s.contains("rogue.good") && s.contains("no register after 1 s")
        })
        .await;
        for plugin in ["rogue.good", "mute"] {
            s.until_logged(&format!("output of {plugin}"), |e| {
                matches!(e.kind, EntryKind::Output { .. }) && e.plugin.as_deref() == Some(plugin)
            })
            .await;
        }
        s.until_that("both running in a process group", || {
            *found = launcher.snapshot().iter().filter_map(|v| v.pgid).collect();
            found.len() == 2
        })
        .await;
        s.key(KeyCode::Char('1'));
        s.key(KeyCode::Char('g')); // the first row: the good plugin
        s.key(KeyCode::Char('s')); // stop: shutdown, then signals if need be
        s.until_logged("the good plugin's process stopped", |e| {
            e.plugin.as_deref() == Some("rogue.good")
                && matches!(&e.kind, EntryKind::Event { text } if text == "process stopped")
        })
        .await;
        s.until("stopped (s to start)").await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let screen = c.screen();

    let good = &c.state.launches.list[0];
    assert_eq!(good.plugin_id.as_deref(), Some("rogue.good"), "{screen}");
    assert_eq!(good.state, ProcState::Stopped, "{screen}");
    assert!(
        good.output.iter().any(|l| l.text.contains("[rogue good]")),
        "its stderr is captured"
    );
    let mute = &c.state.launches.list[1];
    assert!(
        mute.never_registered(
            std::time::Instant::now(),
            c.state.launches.register_deadline
        ),
        "{screen}"
    );
    assert!(screen.contains("no register after 1 s"), "{screen}");
    assert!(screen.contains("restart_delay"), "{screen}");
    // Output lines are in the inspector's log too, under the plugin's id once it registered.
    let outputs = c
        .host
        .handle
        .log()
        .entries()
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Output { .. }))
        .filter_map(|e| e.plugin.clone())
        .collect::<Vec<_>>();
    assert!(outputs.iter().any(|p| p == "rogue.good"), "{outputs:?}");
    assert!(outputs.iter().any(|p| p == "mute"), "{outputs:?}");
    // The shutdown request went out before any signal.
    assert!(
        c.host
            .handle
            .log()
            .entries()
            .iter()
            .any(|e| request_for(e, "shutdown") && e.plugin.as_deref() == Some("rogue.good")),
        "stop asks over JSON-RPC first"
    );
    c.finish().await;
    for pgid in groups {
        assert!(
            !group_alive(pgid),
            "process group {pgid} outlived the console"
        );
    }
}

/// `--watch` restarts an edited plugin and renders its panel again; that first render says
/// whether it changed since the last build, and a capability list that changed is said
/// (toast, inspector note) — issue 14.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_restarts_an_edited_plugin_and_renders_its_panel_again() {
    use tgo_console::launcher::{LaunchEnv, spawn_supervisor};
    use tgo_console::tui::app::launch_all;
    use tgo_console::tui::state::Launch;

    let dir = tempfile::tempdir().unwrap();
    let rogue = repo_path("tests/plugins/rogue.py").display().to_string();
    std::fs::write(
        dir.path().join("plugin.yml"),
        format!("name: edited\ncommand: python3\nargs: ['{rogue}', file_title, message.txt]\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("message.txt"), "before the edit").unwrap();
    let mut c = Console::new(120, 36, |_| {}).await;
    // As `Console::launch`, with `--watch`.
    let (launcher, events) = spawn_supervisor(LaunchEnv {
        socket: Some(c.host.socket.clone()),
        watch: true,
        grace: Duration::from_secs(1),
        ..Default::default()
    });
    let (views, errors) = launch_all(&launcher, &[dir.path().to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let now = std::time::Instant::now();
    c.state.launches.list = views.into_iter().map(|v| Launch::new(v, now)).collect();
    c.sources.launcher = Some((launcher.clone(), events));
    c.launcher = Some(launcher);
    let message = dir.path().join("message.txt");
    let mut before = 0;
    let renders_before = &mut before;
    c.run(|mut s| async move {
        // Registered, and its panel (the first visitor_panel) rendered by itself.
        s.until("before the edit").await;
        *renders_before = handle_renders(&s.host);
        std::fs::write(&message, "after the edit").unwrap();
        // Debounce, stop, start, register (another title: said), render again (compared).
        s.until("changed since the last build").await;
        s.until("rogue.file_title: changed visitor_panel").await;
        // `=` in the render pane: the rebuilt panel against the last one before the edit.
        s.key(KeyCode::Char('2'));
        s.key(KeyCode::Char('='));
        s.until("~ $.data.text: \"before the edit\" → \"after the edit\"")
            .await;
        s.key(KeyCode::Esc);
        std::fs::write(&message, "after the edit").unwrap();
        // The same content saved again: restarted, and the same answer.
        s.until("same as before").await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let screen = c.screen();
    assert_eq!(before, 1, "rendered once before the edit");
    assert!(
        screen.contains("after the edit · rogue.file_title"),
        "{screen}"
    );
    assert_eq!(
        c.state.launches.list[0].restarts, 2,
        "the plugins pane counts the restarts"
    );
    let notes: Vec<String> = c
        .host
        .handle
        .log()
        .entries()
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Event { text } if text.starts_with("capabilities changed") => {
                Some(text.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        [
            "capabilities changed: changed visitor_panel \"after the edit\": title \"before the edit\" → \"after the edit\""
        ],
        "said once: the second restart registered the same list"
    );
    c.finish().await;
}

/// How many render requests the host has sent so far.
fn handle_renders(handle: &tgo_console::host::HostHandle) -> usize {
    use tgo_console::host::EntryKind;
    handle
        .log()
        .entries()
        .iter()
        .filter(
            |e| matches!(&e.kind, EntryKind::Request { method, .. } if method.ends_with("/render")),
        )
        .count()
}

/// Five fast compiled plugins launched at once connect within milliseconds, often before the
/// console has processed their process starts: each must still be linked to its process, so
/// none is flagged "no register" while it is connected (issue 9.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_plugins_launched_together_are_linked_to_their_processes() {
    let dir = tempfile::tempdir().unwrap();
    for n in 0..5 {
        let sub = dir.path().join(format!("fast{n}"));
        std::fs::create_dir_all(&sub).unwrap();
        // No `id` in the manifest: only the process can link the registration to it.
        std::fs::write(
            sub.join("plugin.yml"),
            format!("name: fast{n}\ncommand: {BIN}\nargs: [demo-plugin, --id, com.fast.{n}]\n"),
        )
        .unwrap();
    }
    let mut c = Console::new(160, 45, |_| {}).await;
    let errors = c.launch(&[dir.path().to_path_buf()], Duration::from_secs(1));
    assert!(errors.is_empty(), "{errors:?}");
    c.state.launches.register_deadline = Duration::from_millis(300);
    // The real console takes the terminal between launching and looping: the plugins connect
    // meanwhile, so their connections wait in the queue beside their process starts.
    let handle = c.host.handle.clone();
    eventually(
        common::console::PATIENCE,
        || registrations(&handle) == 5,
        || format!("{} of 5 registered before the loop", registrations(&handle)),
    )
    .await;
    c.run(|mut s| async move {
        // Five listed, all connected (the title says "n/m connected" while they differ).
        s.until("┌ Plugins 5 ─").await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let later = std::time::Instant::now() + Duration::from_secs(3600);
    for l in &c.state.launches.list {
        assert!(
            l.plugin_id.is_some() && l.registered,
            "{} not linked to its registration: {l:?}\n{}",
            l.name,
            c.screen()
        );
        assert!(!l.never_registered(later, c.state.launches.register_deadline));
    }
    c.finish().await;
}

/// `o` on an open_url whose opener fails says so on screen, not only in the log (issue 9.6).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_url_that_cannot_be_opened_says_so_on_screen() {
    let mut c = Console::new(120, 36, |_| {}).await;
    let script = serde_json::json!({
        "register": {"id": "com.example.links", "name": "links", "version": "1.0.0",
            "capabilities": [{"type": "visitor_panel", "title": "Links"}]},
        "answers": {
            "visitor_panel/render": {"template": "button",
                "data": {"label": "Open the CRM", "action_id": "crm"}},
            "visitor_panel/event#crm": {"action": "open_url",
                "data": {"url": "https://fail.example.com/crm", "target": "_blank"}}}
    });
    let (_plugin, _dir) = spawn_scripted(&c.host.socket, &script);
    c.run(|mut s| async move {
        s.until("Open the CRM").await;
        s.key(KeyCode::Char('2'));
        s.key(KeyCode::Enter);
        s.until("open_url https://fail.example.com/crm").await;
        s.key(KeyCode::Char('o'));
        s.until("cannot open https://fail.example.com/crm: no browser here")
            .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    assert_eq!(c.platform.effects(), ["open https://fail.example.com/crm"]);
    c.finish().await;
}

/// How many `register` requests plugins have sent so far.
fn registrations(handle: &tgo_console::host::HostHandle) -> usize {
    use tgo_console::host::EntryKind;
    handle
        .log()
        .entries()
        .iter()
        .filter(|e| matches!(&e.kind, EntryKind::Request { method, .. } if method == "register"))
        .count()
}

/// A plugin without an `id` (the quickstart's kind) gets a new generated id each time it
/// registers: restarted twice, it still has one entry, not three (issue 9.7).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_idless_plugin_keeps_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let script = serde_json::json!({
        "register": {"name": "visitor-orders", "version": "1.0.0",
            "capabilities": [{"type": "visitor_panel", "title": "客户订单"}]},
        "answers": {"visitor_panel/render": {"template": "text", "data": {"text": "订单列表"}}}
    });
    std::fs::write(dir.path().join("script.json"), script.to_string()).unwrap();
    let plugin = repo_path("tests/plugins/scripted.py").display().to_string();
    std::fs::write(
        dir.path().join("plugin.yml"),
        format!("name: orders\ncommand: python3\nargs: ['{plugin}', script.json]\n"),
    )
    .unwrap();
    let mut c = Console::new(120, 36, |_| {}).await;
    c.launch(&[dir.path().to_path_buf()], Duration::from_secs(1));
    let handle = c.host.handle.clone();
    c.run(|mut s| async move {
        s.until("订单列表").await;
        for n in 2..=3 {
            s.key(KeyCode::Char('1'));
            s.key(KeyCode::Char('g'));
            s.key(KeyCode::Char('R'));
            s.until_that("a re-registration", || registrations(&handle) >= n)
                .await;
            s.until_screen("connected again", |screen| {
                screen.contains("● visitor-orders") && screen.contains("订单列表")
            })
            .await;
        }
        s.key(KeyCode::Char('q'));
    })
    .await;
    let ids: Vec<&str> = c
        .state
        .plugins
        .iter()
        .map(|p| p.plugin_id.as_str())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}\n{}", c.screen());
    assert!(ids[0].starts_with("plugin_"), "{ids:?}");
    c.finish().await;
}

/// A plugin written from scratch answers a button with `show_toast` and `data.msg`: the
/// render pane lists the action's diagnostics (with the fix), the inspector's `errors`
/// filter finds the answer, and the recording says `"problem": true`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_action_is_a_problem_everywhere_it_shows() {
    let mut c = Console::new(120, 36, |_| {}).await;
    let path = c.host.dir.path().join("session.jsonl");
    let recorder = tgo_console::record::Recorder::start(c.host.handle.clone(), &path).unwrap();
    let _plugin = c.host.rogue("bad_toast", None);
    let mut seqs = (0, 0);
    let found = &mut seqs;
    c.run(|mut s| async move {
        let answered =
            |method: &'static str| move |e: &LogEntry| request_for(e, method) && e.pair.is_some();
        // Registered, and its panel rendered by itself (answered, then drawn).
        s.until_logged("the render answered", answered("visitor_panel/render"))
            .await;
        s.until("[ Save ]").await;
        s.key(KeyCode::Char('2')); // the render pane: its Save button is focused
        s.key(KeyCode::Enter);
        let request = s
            .until_logged("the event answered", answered("visitor_panel/event"))
            .await;
        let answer = s.host.log().get(request).unwrap().pair.unwrap();
        // Validated off the UI loop, then marked: wait for the mark (it never came before).
        s.until_logged("the answer marked a problem", |e| {
            e.seq == answer && e.problem
        })
        .await;
        s.until("did you mean \"message\"").await;
        s.key(KeyCode::Char('3'));
        s.key(KeyCode::Char('/'));
        s.type_text("errors");
        s.key(KeyCode::Enter);
        s.until("filter: errors").await;
        s.key(KeyCode::Char('q'));
        *found = (request, answer);
    })
    .await;
    let screen = c.screen();
    let (_, answer) = seqs;
    // The render pane lists the action's diagnostics, with the fix.
    assert!(
        screen.contains("JSON-ACTION · last event · show_toast"),
        "{screen}"
    );
    assert!(
        screen.contains("unknown field \"msg\" — did you mean \"message\"?"),
        "{screen}"
    );
    // The inspector's errors filter finds the answer (and follows it).
    assert!(screen.contains("filter: errors"), "{screen}");
    assert_eq!(c.state.inspector.selected(), Some(answer), "{screen}");
    let note = c.host.handle.log().get(answer).unwrap().notes.join("; ");
    assert!(
        note.starts_with("JSON-ACTION: 1 error, 1 warning (first: $.data.message: missing"),
        "{note}"
    );
    // The recording says so too.
    c.host.handle.shutdown().await;
    recorder.finish().await.unwrap();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["seq"] == answer)
        .collect();
    assert!(
        lines.last().is_some_and(|l| l["problem"] == true),
        "{lines:?}"
    );
    let loaded = tgo_console::record::load(&path).unwrap();
    assert!(loaded.entries.iter().any(|e| e.seq == answer && e.problem));
}

/// Connections that never register (a first frame that is not `register`, an oversized frame
/// before it) are on screen, in the plugins pane, not only in the inspector; an empty
/// `register` is accepted but says what it lacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_faults_show_in_the_plugins_pane() {
    let mut c = Console::new(120, 40, |_| {}).await;
    let _empty = c.host.rogue("register_empty", None);
    let _ping = c.host.rogue("not_register_first", None);
    let _huge = c.host.rogue("oversized_first", None);
    c.run(|mut s| async move {
        s.until_screen("two faulty connections, one lacking register", |s| {
            s.matches("│✖ connection #").count() == 2 && s.contains("register lacks")
        })
        .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let screen = c.screen();
    assert_eq!(c.state.unregistered.len(), 2, "{screen}");
    assert_eq!(screen.matches("│✖ connection #").count(), 2, "{screen}");
    assert!(screen.contains("first message was not"), "{screen}");
    assert!(screen.contains("frame error"), "{screen}");
    assert!(screen.contains("⚠ register lacks name,"), "{screen}");
    c.finish().await;
}

/// The visitor applied in the context editor is kept for the next run (issue 9.10).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_visitors_are_kept_for_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state/visitors.json");
    let mut c = Console::new(120, 36, |_| {}).await;
    c.sources.visitors_file = Some(file.clone());
    let _demo = c.host.demo("com.tgo.demo");
    let watched = file.clone();
    c.run(|mut s| async move {
        s.until("Customer 360").await;
        s.key(KeyCode::Char('v'));
        s.until("Render context").await;
        s.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
        s.type_text("v_20261202");
        s.key(KeyCode::Enter);
        s.until("v_20261202").await;
        s.until_that("the visitors file saved", || watched.exists())
            .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let kept = tgo_console::tui::app::load_visitors(&file).unwrap();
    let ids: Vec<&str> = kept.iter().map(|r| r.visitor_id.as_str()).collect();
    assert_eq!(ids, ["v_12345", "v_20261202"]);
    assert_eq!(kept[1].visitor["name"], "张三");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    c.finish().await;
}

/// A bracketed paste lands in whichever text input has the keyboard (terminals send CR for
/// a line break): a tool argument, the composer's method and params, the inspector filter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paste_reaches_tool_arguments_the_composer_and_the_filter() {
    let mut c = Console::new(120, 36, |_| {}).await;
    let _demo = c.host.demo("com.tgo.demo");
    c.run(|mut s| async move {
        rendered(&mut s).await; // the demo registered; Customer 360 is selected
        // Order tools (4th capability): its first field is lookup_order's order_id.
        for _ in 0..3 {
            s.key(KeyCode::Down);
        }
        s.until("lookup_order").await;
        s.key(KeyCode::Tab);
        paste(&s, "ORD-10001\r");
        s.until("ORD-10001").await;
        s.key(KeyCode::Enter); // done editing
        s.key(KeyCode::Down); // include_items
        s.key(KeyCode::Down); // Execute
        s.key(KeyCode::Enter);
        s.until_logged("tool/execute answered", |e| {
            request_for(e, "tool/execute") && e.pair.is_some()
        })
        .await;
        // Composer: method, then params pasted between the braces over several lines.
        s.key(KeyCode::Char('c'));
        s.until("Send a request").await;
        paste(&s, "ping");
        s.until("Method  ping").await;
        s.key(KeyCode::Enter);
        s.key(KeyCode::Right);
        paste(&s, "\r  \"pasted\": \"yes\x1b[2J\",\r\n  \"n\": 1\r");
        s.until("\"pasted\": \"yes[2J\",").await;
        s.key_with(KeyCode::Char('s'), KeyModifiers::CONTROL);
        s.until_logged("ping sent", |e| request_for(e, "ping"))
            .await;
        // Inspector filter.
        s.key(KeyCode::Char('3'));
        s.key(KeyCode::Char('/'));
        paste(&s, "method:ping\n");
        s.key(KeyCode::Enter);
        s.until("filter: method:ping").await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let screen = c.screen();
    let sent = sent(&c);
    let tool = sent
        .iter()
        .find(|m| m["method"] == "tool/execute")
        .unwrap_or_else(|| panic!("no tool/execute sent:\n{screen}"));
    assert_eq!(tool["params"]["arguments"]["order_id"], "ORD-10001");
    let ping = sent
        .iter()
        .find(|m| m["method"] == "ping")
        .unwrap_or_else(|| panic!("no ping sent:\n{screen}"));
    assert_eq!(
        ping["params"],
        serde_json::json!({"pasted": "yes[2J", "n": 1}),
        "params as pasted, lines kept, the escape dropped"
    );
    assert_eq!(c.state.focus, Pane::Inspector);
    assert!(
        screen.contains("method:ping"),
        "the filter took the paste:\n{screen}"
    );
    c.finish().await;
}

/// Waits until the inspector lists the whole log (it catches up a moment after the log grew).
async fn inspector_caught_up(s: &mut Script) -> String {
    let host = s.host.clone();
    s.until_screen("the inspector listing the whole log", |screen| {
        let n = host.log().entries().len();
        screen.contains(&format!("│{n} of {n} "))
    })
    .await
}

fn paste(s: &Script, text: &str) {
    s.event(Event::Paste(text.into()));
}

/// The inspector's `e` writes a new file each time, in a private directory, under a name no
/// one can guess (it used to be `tgo-console-export-<seconds>.jsonl` in the working
/// directory), and the toast shows its whole path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_exports_to_a_new_private_file_and_shows_its_whole_path() {
    use std::os::unix::fs::PermissionsExt;
    let mut c = Console::new(120, 36, |_| {}).await;
    let _demo = c.host.demo("com.tgo.demo");
    let dir = c.platform.exports.clone();
    let exports = dir.clone();
    let files = move || -> Vec<std::path::PathBuf> {
        let mut found: Vec<_> = std::fs::read_dir(&exports)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        found.sort();
        found
    };
    let written = files.clone();
    c.run(|mut s| async move {
        rendered(&mut s).await;
        inspector_caught_up(&mut s).await; // `e` exports what it lists
        s.key(KeyCode::Char('3'));
        let mut before = Vec::new();
        for n in 1..=2 {
            before = written();
            s.key(KeyCode::Char('e'));
            s.until_that(&format!("export {n} written"), || written().len() == n)
                .await;
        }
        // The toast names the newest file.
        let newest = written().into_iter().find(|f| !before.contains(f)).unwrap();
        let newest = newest.canonicalize().unwrap().display().to_string();
        s.until_screen(&format!("a toast naming {newest}"), |screen| {
            toast_rows(screen).contains(&newest)
        })
        .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    let screen = c.screen();
    let files = files();
    assert_eq!(files.len(), 2, "two exports, two files: {files:?}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("export-") && name.ends_with(".jsonl"),
            "{name}"
        );
        assert_eq!(mode(f), 0o600, "{name}");
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.lines().count() > 2, "{name}: {text}");
    }
    let told: Vec<&str> = c
        .state
        .status
        .toasts
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    let last = files
        .iter()
        .map(|f| f.canonicalize().unwrap().display().to_string())
        .find(|p| told.iter().any(|t| t.contains(p.as_str())))
        .unwrap_or_else(|| panic!("no toast names a file: {told:?}"));
    assert!(
        toast_rows(&screen).contains(&last),
        "the whole path {last} is on screen:\n{screen}"
    );
    c.finish().await;
}

/// The text of the toasts' column: they sit at the right (120 columns: a 60-wide box at
/// column 59), so a long path wraps inside it.
fn toast_rows(screen: &str) -> String {
    screen
        .lines()
        .map(|l| {
            let l: Vec<char> = l.trim_matches('"').chars().collect();
            l.get(60..118).map_or(String::new(), |c| {
                c.iter().collect::<String>().trim_end().to_string()
            })
        })
        .collect()
}
