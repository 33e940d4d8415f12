//! The console's real event loop over a real host, drawn into a hooked `TestBackend` that
//! publishes every frame, so a test script waits for what the screen shows instead of
//! sleeping a fixed time.

use super::hooked::{Hooked, Hooks};
use super::{TestHost, start_host};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgo_console::host::{HostConfig, HostHandle, LogEntry, RenderContext};
use tgo_console::launcher::{LaunchEnv, Launcher, spawn_supervisor};
use tgo_console::tui::app::{Platform, Sources, event_loop, launch_all};
use tgo_console::tui::state::{Launch, State};
use tgo_console::tui::theme::Theme;
use tokio::sync::watch;

/// How long a script waits for a screen before failing.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Publishes each finished frame.
pub struct Publish(pub watch::Sender<String>);

impl Hooks for Publish {
    fn flushed(&mut self, screen: &TestBackend) {
        self.0.send_replace(screen.to_string());
    }
}

/// Clipboard and browser effects, recorded; exports go to the test's own directory (never
/// the user's state directory).
#[derive(Clone, Default)]
pub struct Recorder {
    pub effects: Arc<Mutex<Vec<String>>>,
    pub exports: std::path::PathBuf,
}

impl Recorder {
    /// The effects so far, in order ("copy TEXT", "open URL").
    pub fn effects(&self) -> Vec<String> {
        self.effects.lock().unwrap().clone()
    }
}

impl Platform for Recorder {
    fn copy(&mut self, text: &str) {
        self.effects.lock().unwrap().push(format!("copy {text}"));
    }
    fn open_url(&mut self, url: &str, failed: tgo_console::tui::app::Failed) {
        self.effects.lock().unwrap().push(format!("open {url}"));
        if url.contains("fail") {
            failed("no browser here".into());
        }
    }
    fn export_dir(&self) -> std::path::PathBuf {
        self.exports.clone()
    }
    /// Records the command and, when its last argument is a file (an editor's or a pager's),
    /// what it held; an "editor" leaves `{"edited": "by the editor"}` in it.
    fn foreground(&mut self, argv: &[String], _stdin: Option<&str>) -> (bool, String) {
        let mut line = format!("foreground {}", argv.join(" "));
        if let Some(file) = argv.last().filter(|a| a.ends_with(".json"))
            && let Ok(text) = std::fs::read_to_string(file)
        {
            line.push_str(&format!("\n{text}"));
            std::fs::write(file, "{\"edited\": \"by the editor\"}\n").unwrap();
        }
        self.effects.lock().unwrap().push(line);
        (true, "exit status: 0".into())
    }
}

/// Keys in, screens out.
pub struct Script {
    pub keys: futures::channel::mpsc::UnboundedSender<std::io::Result<Event>>,
    pub screen: watch::Receiver<String>,
    /// The console's host, for waits on its message log.
    pub host: HostHandle,
}

impl Script {
    pub fn key(&self, code: KeyCode) {
        self.key_with(code, KeyModifiers::NONE);
    }

    pub fn key_with(&self, code: KeyCode, mods: KeyModifiers) {
        let ev = Event::Key(KeyEvent::new(code, mods));
        let _ = self.keys.unbounded_send(Ok(ev));
    }

    pub fn event(&self, ev: Event) {
        let _ = self.keys.unbounded_send(Ok(ev));
    }

    pub fn type_text(&self, s: &str) {
        s.chars().for_each(|c| self.key(KeyCode::Char(c)));
    }

    /// Waits until a drawn frame satisfies `pred`; returns that screen.
    pub async fn until_screen(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let waited = tokio::time::timeout(PATIENCE, self.screen.wait_for(|s| pred(s)))
            .await
            .map(|r| r.map(|s| s.clone()));
        match waited {
            Ok(Ok(screen)) => screen,
            _ => panic!("never drawn: {what}\n{}", *self.screen.borrow()),
        }
    }

    /// Waits until a drawn frame shows `needle`; returns that screen.
    pub async fn until(&mut self, needle: &str) -> String {
        self.until_screen(&format!("{needle:?}"), |s| s.contains(needle))
            .await
    }

    /// The newest frame.
    pub fn now(&self) -> String {
        self.screen.borrow().clone()
    }

    /// Waits until `cond` holds (for what the screen does not show: a file, the host's log, a
    /// process); panics naming `what`, with the last screen, after [`PATIENCE`].
    pub async fn until_that(&self, what: &str, cond: impl FnMut() -> bool) {
        super::eventually(PATIENCE, cond, || {
            format!("never happened: {what}\nlast screen:\n{}", self.now())
        })
        .await;
    }

    /// Waits until the host's log holds an entry matching `pred`; returns its `seq`.
    pub async fn until_logged(&self, what: &str, pred: impl Fn(&LogEntry) -> bool) -> u64 {
        let mut found = None;
        self.until_that(&format!("logged: {what}"), || {
            found = self
                .host
                .log()
                .entries()
                .iter()
                .find(|e| pred(e))
                .map(|e| e.seq);
            found.is_some()
        })
        .await;
        found.unwrap()
    }
}

/// A console (state, terminal, host, launcher) ready to run.
pub struct Console {
    pub host: TestHost,
    pub state: State,
    pub terminal: Terminal<Hooked<Publish>>,
    pub sources: Sources,
    pub launcher: Option<Launcher>,
    pub platform: Recorder,
    screen: watch::Receiver<String>,
}

impl Console {
    pub async fn new(w: u16, h: u16, tweak: impl FnOnce(&mut HostConfig)) -> Self {
        let host = start_host(tweak).await;
        let mut state = State::new(
            Theme::default(),
            RenderContext::default(),
            host.handle.addresses().to_vec(),
            "log".into(),
        );
        state.size = (w, h);
        let (tx, screen) = watch::channel(String::new());
        let terminal = Terminal::new(Hooked {
            inner: TestBackend::new(w, h),
            hooks: Publish(tx),
        })
        .unwrap();
        let exports = host.dir.path().join("exports");
        Self {
            host,
            state,
            terminal,
            sources: Sources::default(),
            launcher: None,
            platform: Recorder {
                effects: Arc::default(),
                exports,
            },
            screen,
        }
    }

    /// Launches the plugins at `paths` as `tgo-console PATH…` would; returns the manifest
    /// errors.
    pub fn launch(&mut self, paths: &[std::path::PathBuf], grace: Duration) -> Vec<String> {
        self.launch_with(paths, grace, false)
    }

    /// As [`Console::launch`], with `--watch`: a file changed in a plugin's directory
    /// restarts it.
    pub fn launch_watching(&mut self, paths: &[std::path::PathBuf]) -> Vec<String> {
        self.launch_with(paths, Duration::from_secs(1), true)
    }

    fn launch_with(
        &mut self,
        paths: &[std::path::PathBuf],
        grace: Duration,
        watch: bool,
    ) -> Vec<String> {
        let (launcher, events) = spawn_supervisor(LaunchEnv {
            socket: Some(self.host.socket.clone()),
            grace,
            watch,
            ..Default::default()
        });
        let (views, errors) = launch_all(&launcher, paths);
        let now = std::time::Instant::now();
        self.state.launches.list = views.into_iter().map(|v| Launch::new(v, now)).collect();
        self.state.launches.manifest_errors = errors.clone();
        self.sources.launcher = Some((launcher.clone(), events));
        self.launcher = Some(launcher);
        errors
    }

    /// Runs the loop while `script` plays; the script must end with a quit key.
    pub async fn run<F, Fut>(&mut self, script: F)
    where
        F: FnOnce(Script) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let (keys, mut input) = futures::channel::mpsc::unbounded();
        let script = script(Script {
            keys,
            screen: self.screen.clone(),
            host: self.host.handle.clone(),
        });
        let handle = self.host.handle.clone();
        let looped = event_loop(
            &mut self.terminal,
            &mut input,
            &mut self.state,
            &handle,
            &mut self.host.events,
            &mut self.platform,
            &mut self.sources,
        );
        let (result, ()) = tokio::join!(looped, script);
        result.unwrap();
    }

    /// The last frame drawn.
    pub fn screen(&self) -> String {
        self.terminal.backend().inner.to_string()
    }

    /// Stops every launched plugin and the host.
    pub async fn finish(self) {
        if let Some(l) = &self.launcher {
            l.shutdown(Duration::from_secs(1)).await;
        }
        self.host.handle.shutdown().await;
    }
}
