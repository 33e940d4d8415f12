//! The real binary in a real terminal (tmux), against the built-in demo plugin: start, render,
//! change the visitor, filter the inspector, open help, quit cleanly.

mod common;

use common::BIN;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn run(args: &[&str]) -> String {
        let out = Command::new("tmux").args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        Self::run(&args);
    }

    fn screen(&self) -> String {
        Self::run(&["capture-pane", "-p", "-t", &self.session])
    }

    /// Waits until the screen shows `needle` (10 s at most).
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "screen never showed {needle:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        Self::run(&["kill-session", "-t", &self.session]);
    }
}

#[test]
fn console_runs_in_a_real_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let log = dir.path().join("console.log");
    let session = format!("tgo-e2e-{}", std::process::id());
    let cmd = format!(
        "{BIN} --demo --socket {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        socket.display(),
        log.display()
    );
    Tmux::run(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "36",
        &cmd,
    ]);
    let t = Tmux { session };

    // The demo plugin connects and its first panel is rendered without a key pressed.
    let s = t.wait_for("Profile");
    assert!(s.contains("Customer 360") && s.contains("tgo-demo"), "{s}");

    // Change the visitor: the panel is rendered again for the new id.
    t.keys(&["v", "C-u"]);
    t.keys(&["-l", "v_e2e"]);
    t.keys(&["Enter"]);
    t.wait_for("visitor v_e2e");

    // Inspector: focus it, filter to events of the render method.
    t.keys(&["3", "/"]);
    t.keys(&["-l", "method:render"]);
    t.keys(&["Enter"]);
    t.wait_for("visitor_panel/render");

    // Help overlay, then close it.
    t.keys(&["?"]);
    t.wait_for("Everywhere");
    t.keys(&["Escape"]);

    // Quit: plugins are shut down, the terminal restored, the socket removed.
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
    assert!(!socket.exists(), "socket file removed");
    let leftovers = Command::new("pgrep")
        .args(["-f", &format!("demo-plugin.*{}", socket.display())])
        .output()
        .unwrap();
    assert!(leftovers.stdout.is_empty(), "demo plugin still running");
}
