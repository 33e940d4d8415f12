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
use tgo_console::tui::app::{Platform, event_loop};
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

/// Runs the loop with `script` feeding it; returns the final state and screen.
async fn drive<F, Fut>(script: F) -> (State, String, Vec<String>)
where
    F: FnOnce(Input, Arc<Mutex<String>>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut h = start_host(|_| {}).await;
    let _demo = h.demo("com.tgo.demo");
    let mut state = State::new(
        Theme::default(),
        RenderContext::default(),
        h.handle.addresses().to_vec(),
        "log".into(),
    );
    state.size = (120, 36);
    let mut terminal = Terminal::new(TestBackend::new(120, 36)).unwrap();
    let (tx, mut rx) = mpsc::unbounded();
    let screen = Arc::new(Mutex::new(String::new()));
    let mut recorder = Recorder::default();
    let handle = h.handle.clone();
    let looped = event_loop(
        &mut terminal,
        &mut rx,
        &mut state,
        &handle,
        &mut h.events,
        &mut recorder,
        None,
    );
    let scripted = script(tx, screen.clone());
    let (result, ()) = tokio::join!(looped, scripted);
    result.unwrap();
    let text = terminal.backend().to_string();
    h.handle.shutdown().await;
    let log = recorder.0.lock().unwrap().clone();
    (state, text, log)
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
