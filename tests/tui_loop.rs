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
    fn open_url(&mut self, url: &str) {
        self.0.lock().unwrap().push(format!("open {url}"));
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

fn click(tx: &Input, column: u16, row: u16) {
    let ev = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    tx.unbounded_send(Ok(Event::Mouse(ev))).unwrap();
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
        matches!(state.renders.values().next(), Some(RenderSlot::Ready(_))),
        "{screen}"
    );
    assert!(
        state.last_action.is_some() || !platform.is_empty(),
        "a button reached the plugin:\n{screen}"
    );
    assert!(screen.contains("Customer 360"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mouse_alone_selects_and_renders() {
    let (state, screen, _) = drive(|tx, _| async move {
        pause().await;
        // Plugins pane rows: line 1 border, 2 plugin, 3 id, 4.. capabilities (Every template is the 2nd).
        click(&tx, 5, 5);
        pause().await;
        // Close with the keyboard: the mouse has no quit.
        key(&tx, KeyCode::Char('q'));
    })
    .await;
    assert_eq!(state.focus, Pane::Plugins);
    assert!(screen.contains("Every template"), "{screen}");
    let shown = format!("{:?}", state.shown);
    assert!(
        shown.contains("index: 1"),
        "clicked capability shown: {shown}\n{screen}"
    );
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
    state.register_deadline = Duration::from_secs(1);
    state.launches = views
        .into_iter()
        .map(|v| Launch::new(v, std::time::Instant::now()))
        .collect();
    state.manifest_errors = errors;
    let (tx, mut rx) = mpsc::unbounded();
    let mut recorder = Recorder::default();
    let handle = h.handle.clone();
    let mut sources = Sources {
        launcher: Some((launcher.clone(), launcher_events)),
        signals: None,
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

    let good = &state.launches[0];
    assert_eq!(good.plugin_id.as_deref(), Some("rogue.good"), "{screen}");
    assert_eq!(good.state, ProcState::Stopped, "{screen}");
    assert!(
        good.output.iter().any(|l| l.text.contains("[rogue good]")),
        "its stderr is captured"
    );
    let mute = &state.launches[1];
    assert!(
        mute.never_registered(std::time::Instant::now(), state.register_deadline),
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
    state.launches = views
        .into_iter()
        .map(|v| Launch::new(v, std::time::Instant::now()))
        .collect();
    let (tx, mut rx) = mpsc::unbounded();
    let mut recorder = Recorder::default();
    let handle = h.handle.clone();
    let mut sources = Sources {
        launcher: Some((launcher.clone(), launcher_events)),
        signals: None,
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
        state.launches[0].restarts, 1,
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
    let told: Vec<&str> = state.toasts.iter().map(|t| t.text.as_str()).collect();
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
