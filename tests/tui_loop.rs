//! The console's real event loop, driven by scripted terminal events into a `TestBackend`,
//! over a real host and the real demo plugin process: keys alone, and mouse alone.

mod common;

use common::*;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use futures::channel::mpsc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgo_console::host::RenderContext;
use tgo_console::tui::app::{Platform, Sources, event_loop};
use tgo_console::tui::state::{Pane, RenderSlot, State};
use tgo_console::tui::theme::Theme;

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Platform for Recorder {
    fn copy(&mut self, text: &str) {
        self.0.lock().unwrap().push(format!("copy {text}"));
    }
    fn open_url(&mut self, url: &str, failed: tgo_console::tui::app::Failed) {
        self.0.lock().unwrap().push(format!("open {url}"));
        if url.contains("fail") {
            failed("no browser here".into());
        }
    }
    fn export_dir(&self) -> std::path::PathBuf {
        export_dir()
    }
}

/// Where this test process's consoles export (`e` in the inspector).
fn export_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tgo-loop-exports-{}", std::process::id()))
}

type Input = mpsc::UnboundedSender<std::io::Result<Event>>;

fn key(tx: &Input, code: KeyCode) {
    tx.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
        .unwrap();
}

async fn pause() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// A fresh console state and a test terminal of `w`×`h` for the host `h`.
fn console(h: &TestHost, w: u16, ht: u16) -> (State, Terminal<TestBackend>) {
    let mut state = State::new(
        Theme::default(),
        RenderContext::default(),
        h.handle.addresses().to_vec(),
        "log".into(),
    );
    state.size = (w, ht);
    (state, Terminal::new(TestBackend::new(w, ht)).unwrap())
}

/// Runs the loop with `script` feeding it; returns the final state and screen.
async fn drive<F, Fut>(script: F) -> (State, String, Vec<String>)
where
    F: FnOnce(Input, Arc<Mutex<String>>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (state, screen, platform, _) = drive_logged(script).await;
    (state, screen, platform)
}

/// [`drive`], plus every frame the host sent, as JSON.
async fn drive_logged<F, Fut>(script: F) -> (State, String, Vec<String>, Vec<serde_json::Value>)
where
    F: FnOnce(Input, Arc<Mutex<String>>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut h = start_host(|_| {}).await;
    let _demo = h.demo("com.tgo.demo");
    let (mut state, mut terminal) = console(&h, 120, 36);
    let (tx, mut rx) = mpsc::unbounded();
    let screen = Arc::new(Mutex::new(String::new()));
    let mut recorder = Recorder::default();
    let handle = h.handle.clone();
    let mut sources = Sources::default();
    let looped = event_loop(
        &mut terminal,
        &mut rx,
        &mut state,
        &handle,
        &mut h.events,
        &mut recorder,
        &mut sources,
    );
    let scripted = script(tx, screen.clone());
    let (result, ()) = tokio::join!(looped, scripted);
    result.unwrap();
    let text = terminal.backend().to_string();
    let sent = h
        .handle
        .log()
        .entries()
        .iter()
        .filter(|e| e.dir == tgo_console::host::Direction::Out)
        .filter_map(|e| serde_json::from_slice(&e.raw).ok())
        .collect();
    h.handle.shutdown().await;
    let log = recorder.0.lock().unwrap().clone();
    (state, text, log, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_alone_render_press_and_quit() {
    let (state, screen, platform) = drive(|tx, _| async move {
        pause().await; // demo registers; its first panel renders by itself
        key(&tx, KeyCode::Tab); // render pane
        // Press buttons until the plugin answers one with an action.
        for _ in 0..6 {
            key(&tx, KeyCode::Down);
            key(&tx, KeyCode::Enter);
        }
        pause().await;
        // A button may have opened a modal or a confirmation: close it, then quit.
        key(&tx, KeyCode::Esc);
        key(&tx, KeyCode::Esc);
        key(&tx, KeyCode::Char('q'));
    })
    .await;
    assert!(state.quit, "{screen}");
    assert!(
        matches!(
            state.render.slots.values().next(),
            Some(RenderSlot::Ready(_))
        ),
        "{screen}"
    );
    assert!(
        state.activity.last_event.is_some() || !platform.is_empty(),
        "a button reached the plugin:\n{screen}"
    );
    assert!(screen.contains("Customer 360"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mouse_alone_selects_and_renders() {
    use common::console::Console;
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
    use tgo_console::host::EntryKind;
    use tgo_console::launcher::{LaunchEnv, ProcState, spawn_supervisor};
    use tgo_console::tui::app::launch_all;
    use tgo_console::tui::state::Launch;

    let mut h = start_host(|_| {}).await;
    let (launcher, launcher_events) = spawn_supervisor(LaunchEnv {
        socket: Some(h.socket.clone()),
        grace: Duration::from_secs(1),
        ..Default::default()
    });
    let dir = plugins_dir();
    let (views, errors) = launch_all(&launcher, &[dir.path().to_path_buf()]);
    assert_eq!(views.len(), 2, "the broken manifest hides neither good one");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("broken/plugin.yml: runtime.restart_delay"),
        "{errors:?}"
    );
    let (mut state, mut terminal) = console(&h, 120, 40);
    state.launches.register_deadline = Duration::from_secs(1);
    state.launches.list = views
        .into_iter()
        .map(|v| Launch::new(v, std::time::Instant::now()))
        .collect();
    state.launches.manifest_errors = errors;
    let (tx, mut rx) = mpsc::unbounded();
    let mut recorder = Recorder::default();
    let handle = h.handle.clone();
    let mut sources = Sources {
        launcher: Some((launcher.clone(), launcher_events)),
        signals: None,
        visitors_file: None,
    };
    let watcher = launcher.clone();
    let script = async move {
        // Long enough for the good one to register and the mute one to pass its deadline.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let groups: Vec<i32> = watcher.snapshot().iter().filter_map(|v| v.pgid).collect();
        key(&tx, KeyCode::Char('1'));
        key(&tx, KeyCode::Char('g')); // the first row: the good plugin
        key(&tx, KeyCode::Char('s')); // stop: shutdown, then signals if need be
        tokio::time::sleep(Duration::from_millis(1500)).await;
        key(&tx, KeyCode::Char('q'));
        groups
    };
    let looped = event_loop(
        &mut terminal,
        &mut rx,
        &mut state,
        &handle,
        &mut h.events,
        &mut recorder,
        &mut sources,
    );
    let (result, groups) = tokio::join!(looped, script);
    result.unwrap();
    let screen = terminal.backend().to_string();
    assert_eq!(
        groups.len(),
        2,
        "both plugins ran in their own process group"
    );

    let good = &state.launches.list[0];
    assert_eq!(good.plugin_id.as_deref(), Some("rogue.good"), "{screen}");
    assert_eq!(good.state, ProcState::Stopped, "{screen}");
    assert!(
        good.output.iter().any(|l| l.text.contains("[rogue good]")),
        "its stderr is captured"
    );
    let mute = &state.launches.list[1];
    assert!(
        mute.never_registered(std::time::Instant::now(), state.launches.register_deadline),
        "{screen}"
    );
    assert!(screen.contains("no register after 1 s"), "{screen}");
    assert!(screen.contains("restart_delay"), "{screen}");
    // Output lines are in the inspector's log too, under the plugin's id once it registered.
    let outputs = h
        .handle
        .log()
        .entries()
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Output { .. }))
        .filter_map(|e| e.plugin.clone())
        .collect::<Vec<_>>();
    assert!(outputs.iter().any(|p| p == "rogue.good"), "{outputs:?}");
    assert!(outputs.iter().any(|p| p == "mute"), "{outputs:?}");
    // What happened to the processes is in the log too (and so in a recording).
    let notes: Vec<String> = h
        .handle
        .log()
        .entries()
        .iter()
        .filter(|e| e.plugin.as_deref() == Some("rogue.good"))
        .filter_map(|e| match &e.kind {
            EntryKind::Event { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(notes.iter().any(|n| n == "process stopped"), "{notes:?}");
    // The shutdown request went out before any signal.
    assert!(
        h.handle.log().entries().iter().any(|e| matches!(
            &e.kind,
            EntryKind::Request { method, .. } if method == "shutdown"
        ) && e.plugin.as_deref() == Some("rogue.good")),
        "stop asks over JSON-RPC first"
    );
    launcher.shutdown(Duration::from_secs(1)).await;
    h.handle.shutdown().await;
    for pgid in groups {
        assert!(
            !group_alive(pgid),
            "process group {pgid} outlived the console"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_restarts_an_edited_plugin_and_renders_its_panel_again() {
    use tgo_console::launcher::{LaunchEnv, spawn_supervisor};
    use tgo_console::tui::app::launch_all;
    use tgo_console::tui::state::Launch;

    let dir = tempfile::tempdir().unwrap();
    let rogue = repo_path("tests/plugins/rogue.py").display().to_string();
    std::fs::write(
        dir.path().join("plugin.yml"),
        format!("name: edited\ncommand: python3\nargs: ['{rogue}', file_text, message.txt]\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("message.txt"), "before the edit").unwrap();
    let mut h = start_host(|_| {}).await;
    let (launcher, launcher_events) = spawn_supervisor(LaunchEnv {
        socket: Some(h.socket.clone()),
        watch: true,
        grace: Duration::from_secs(1),
        ..Default::default()
    });
    let (views, errors) = launch_all(&launcher, &[dir.path().to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let (mut state, mut terminal) = console(&h, 120, 36);
    state.launches.list = views
        .into_iter()
        .map(|v| Launch::new(v, std::time::Instant::now()))
        .collect();
    let (tx, mut rx) = mpsc::unbounded();
    let mut recorder = Recorder::default();
    let handle = h.handle.clone();
    let mut sources = Sources {
        launcher: Some((launcher.clone(), launcher_events)),
        signals: None,
        visitors_file: None,
    };
    let message = dir.path().join("message.txt");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let script = async move {
        // Registered, and its panel (the first visitor_panel) rendered by itself.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        log.lock().unwrap().push(handle_renders(&handle));
        std::fs::write(&message, "after the edit").unwrap();
        // Debounce, stop, start, register, render again.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        key(&tx, KeyCode::Char('q'));
    };
    let looped = event_loop(
        &mut terminal,
        &mut rx,
        &mut state,
        &h.handle,
        &mut h.events,
        &mut recorder,
        &mut sources,
    );
    let (result, ()) = tokio::join!(looped, script);
    result.unwrap();
    let screen = terminal.backend().to_string();
    assert_eq!(seen.lock().unwrap()[0], 1, "rendered once before the edit");
    assert!(screen.contains("after the edit"), "{screen}");
    assert!(!screen.contains("before the edit"), "{screen}");
    assert_eq!(
        state.launches.list[0].restarts, 1,
        "the plugins pane counts the restart"
    );
    launcher.shutdown(Duration::from_secs(1)).await;
    h.handle.shutdown().await;
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
    use common::console::Console;
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
    tokio::time::sleep(Duration::from_millis(500)).await;
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
    use common::console::Console;
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
    assert_eq!(
        c.platform.0.lock().unwrap().as_slice(),
        ["open https://fail.example.com/crm"]
    );
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
    use common::console::Console;
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
            let deadline = tokio::time::Instant::now() + common::console::PATIENCE;
            while registrations(&handle) < n {
                assert!(tokio::time::Instant::now() < deadline, "no re-registration");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
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

/// The last frame the loop drew, for scripts that wait for what they expect on screen.
#[derive(Clone, Default)]
struct LastScreen(Arc<Mutex<String>>);

impl common::hooked::Hooks for LastScreen {
    fn flushed(&mut self, screen: &TestBackend) {
        *self.0.lock().unwrap() = screen.to_string();
    }
}

impl LastScreen {
    /// Waits until the drawn screen satisfies `pred` (10 s at most); whether it did.
    async fn until(&self, pred: impl Fn(&str) -> bool) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !pred(&self.0.lock().unwrap()) {
            if std::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

/// A console whose every drawn frame is kept in the returned `LastScreen`.
fn watched_console(
    h: &TestHost,
    w: u16,
    ht: u16,
) -> (
    State,
    Terminal<common::hooked::Hooked<LastScreen>>,
    LastScreen,
) {
    let (state, _) = console(h, w, ht);
    let screen = LastScreen::default();
    let backend = common::hooked::Hooked {
        inner: TestBackend::new(w, ht),
        hooks: screen.clone(),
    };
    (state, Terminal::new(backend).unwrap(), screen)
}

/// Polls `pred` on the host's log until it holds or 10 s pass; whether it held.
async fn log_until(
    handle: &tgo_console::host::HostHandle,
    pred: impl Fn(&tgo_console::host::LogEntry) -> bool,
) -> Option<u64> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(seq) = handle
            .log()
            .entries()
            .iter()
            .find(|e| pred(e))
            .map(|e| e.seq)
        {
            return Some(seq);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A plugin written from scratch answers a button with `show_toast` and `data.msg`: the
/// render pane lists the action's diagnostics (with the fix), the inspector's `errors`
/// filter finds the answer, and the recording says `"problem": true`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_action_is_a_problem_everywhere_it_shows() {
    use tgo_console::host::{Direction, EntryKind};
    let mut h = start_host(|_| {}).await;
    let path = h.dir.path().join("session.jsonl");
    let recorder = tgo_console::record::Recorder::start(h.handle.clone(), &path).unwrap();
    let _plugin = h.rogue("bad_toast", None);
    let (mut state, mut terminal, watched) = watched_console(&h, 120, 36);
    let (tx, mut rx) = mpsc::unbounded();
    let mut recorder_platform = Recorder::default();
    let handle = h.handle.clone();
    let mut sources = Sources::default();
    let script = async move {
        let answer_to = |method: &'static str| {
            let handle = handle.clone();
            async move {
                let request = log_until(&handle, |e| {
                    e.dir == Direction::Out
                        && matches!(&e.kind, EntryKind::Request { method: m, .. } if m == method)
                        && e.pair.is_some()
                })
                .await?;
                handle.log().get(request)?.pair
            }
        };
        // Registered, and its panel rendered by itself (answered, then drawn).
        let rendered = answer_to("visitor_panel/render").await;
        watched.until(|s| s.contains("[ Save ]")).await;
        key(&tx, KeyCode::Char('2')); // the render pane: its Save button is focused
        key(&tx, KeyCode::Enter);
        let answer = answer_to("visitor_panel/event").await;
        // Validated off the UI loop, then marked: wait for the mark (it never came before).
        let marked = log_until(&handle, |e| Some(e.seq) == answer && e.problem).await;
        watched
            .until(|s| s.contains("did you mean \"message\""))
            .await;
        key(&tx, KeyCode::Char('3'));
        key(&tx, KeyCode::Char('/'));
        for c in "errors".chars() {
            key(&tx, KeyCode::Char(c));
        }
        key(&tx, KeyCode::Enter);
        watched.until(|s| s.contains("filter: errors")).await;
        key(&tx, KeyCode::Char('q'));
        (rendered, answer, marked)
    };
    let looped = event_loop(
        &mut terminal,
        &mut rx,
        &mut state,
        &h.handle,
        &mut h.events,
        &mut recorder_platform,
        &mut sources,
    );
    let (result, (rendered, answer, marked)) = tokio::join!(looped, script);
    result.unwrap();
    let screen = terminal.backend().inner.to_string();
    assert!(rendered.is_some(), "the panel rendered:\n{screen}");
    let answer = answer.expect("the button's event was answered");
    assert_eq!(
        marked,
        Some(answer),
        "the answer is marked a problem:\n{screen}"
    );
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
    assert_eq!(state.inspector.selected(), Some(answer), "{screen}");
    let note = h.handle.log().get(answer).unwrap().notes.join("; ");
    assert!(
        note.starts_with("JSON-ACTION: 1 error, 1 warning (first: $.data.message: missing"),
        "{note}"
    );
    // The recording says so too.
    h.handle.shutdown().await;
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
    let mut h = start_host(|_| {}).await;
    let _empty = h.rogue("register_empty", None);
    let _ping = h.rogue("not_register_first", None);
    let _huge = h.rogue("oversized_first", None);
    let (mut state, mut terminal, watched) = watched_console(&h, 120, 40);
    let (tx, mut rx) = mpsc::unbounded();
    let mut platform = Recorder::default();
    let mut sources = Sources::default();
    let script = async move {
        watched
            .until(|s| s.matches("│✖ connection #").count() == 2 && s.contains("register lacks"))
            .await;
        key(&tx, KeyCode::Char('q'));
    };
    let looped = event_loop(
        &mut terminal,
        &mut rx,
        &mut state,
        &h.handle,
        &mut h.events,
        &mut platform,
        &mut sources,
    );
    let (result, ()) = tokio::join!(looped, script);
    result.unwrap();
    let screen = terminal.backend().inner.to_string();
    assert_eq!(state.unregistered.len(), 2, "{screen}");
    assert_eq!(screen.matches("│✖ connection #").count(), 2, "{screen}");
    assert!(screen.contains("first message was not"), "{screen}");
    assert!(screen.contains("frame error"), "{screen}");
    assert!(screen.contains("⚠ register lacks name,"), "{screen}");
    h.handle.shutdown().await;
}

/// The visitor applied in the context editor is kept for the next run (issue 9.10).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_visitors_are_kept_for_the_next_run() {
    use common::console::Console;
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
        let deadline = tokio::time::Instant::now() + common::console::PATIENCE;
        while !watched.exists() {
            assert!(tokio::time::Instant::now() < deadline, "never saved");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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

fn paste(tx: &Input, text: &str) {
    tx.unbounded_send(Ok(Event::Paste(text.into()))).unwrap();
}

/// A bracketed paste lands in whichever text input has the keyboard (terminals send CR for
/// a line break): a tool argument, the composer's method and params, the inspector filter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paste_reaches_tool_arguments_the_composer_and_the_filter() {
    let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let (state, screen, _, sent) = drive_logged(|tx, _| async move {
        pause().await; // the demo registers; Customer 360 is selected
        // Order tools (4th capability): its first field is lookup_order's order_id.
        for _ in 0..3 {
            key(&tx, KeyCode::Down);
        }
        key(&tx, KeyCode::Tab);
        paste(&tx, "ORD-10001\r");
        key(&tx, KeyCode::Enter); // done editing
        key(&tx, KeyCode::Down); // include_items
        key(&tx, KeyCode::Down); // Execute
        key(&tx, KeyCode::Enter);
        pause().await;
        // Composer: method, then params pasted between the braces over several lines.
        key(&tx, KeyCode::Char('c'));
        paste(&tx, "ping");
        key(&tx, KeyCode::Enter);
        key(&tx, KeyCode::Right);
        paste(&tx, "\r  \"pasted\": \"yes\x1b[2J\",\r\n  \"n\": 1\r");
        tx.unbounded_send(Ok(Event::Key(ctrl_s))).unwrap();
        pause().await;
        // Inspector filter.
        key(&tx, KeyCode::Char('3'));
        key(&tx, KeyCode::Char('/'));
        paste(&tx, "method:ping\n");
        key(&tx, KeyCode::Enter);
        pause().await;
        key(&tx, KeyCode::Char('q'));
    })
    .await;
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
    assert_eq!(state.focus, Pane::Inspector);
    assert!(
        screen.contains("method:ping"),
        "the filter took the paste:\n{screen}"
    );
}

/// The inspector's `e` writes a new file each time, in a private directory, under a name no
/// one can guess (it used to be `tgo-console-export-<seconds>.jsonl` in the working
/// directory), and the toast shows its whole path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_exports_to_a_new_private_file_and_shows_its_whole_path() {
    use std::os::unix::fs::PermissionsExt;
    let (state, screen, _) = drive(|tx, _| async move {
        pause().await;
        key(&tx, KeyCode::Char('3'));
        key(&tx, KeyCode::Char('e'));
        pause().await;
        key(&tx, KeyCode::Char('e'));
        pause().await;
        key(&tx, KeyCode::Char('q'));
    })
    .await;
    let dir = export_dir();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
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
    let told: Vec<&str> = state
        .status
        .toasts
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    let last = files
        .iter()
        .map(|f| f.display().to_string())
        .find(|p| told.iter().any(|t| t.contains(p.as_str())))
        .unwrap_or_else(|| panic!("no toast names a file: {told:?}"));
    // Toasts sit at the right (120 columns: a 60-wide box at column 59): read its rows.
    let rows: String = screen
        .lines()
        .map(|l| {
            let l: Vec<char> = l.trim_matches('"').chars().collect();
            l.get(60..118).map_or(String::new(), |c| {
                c.iter().collect::<String>().trim_end().to_string()
            })
        })
        .collect();
    assert!(
        rows.contains(&last),
        "the whole path {last} is on screen:\n{screen}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
