//! The real binary in a real terminal (tmux), against the built-in demo plugin: start, render,
//! change the visitor, filter the inspector, open help, quit cleanly.

mod common;

use common::BIN;
use std::process::Command;
use std::time::{Duration, Instant};

/// Whether tmux is installed. Without it these tests fail, naming what is missing, unless
/// `TGO_SKIP_TMUX=1` asks to skip them: Rust has no runtime skip, so a skipped test passes
/// after printing a `SKIPPED` line (straight to stderr: the test harness would hide a print).
fn tmux_here() -> bool {
    if Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    let test = std::thread::current().name().unwrap_or("?").to_string();
    if std::env::var_os("TGO_SKIP_TMUX").is_some_and(|v| v == "1") {
        use std::io::Write;
        let line = format!("SKIPPED {test}: tmux is not installed (TGO_SKIP_TMUX=1)\n");
        let _ = std::io::stderr().write_all(line.as_bytes());
        return false;
    }
    panic!(
        "{test} needs tmux, which is not installed: install it (apt-get install tmux; .ci/run \
         does when it can), or set TGO_SKIP_TMUX=1 to skip the real-terminal tests"
    );
}

struct Tmux {
    session: String,
    /// The console's `$XDG_STATE_HOME` (its log, recent visitors, request history): the
    /// test's own, never the user's.
    _state: tempfile::TempDir,
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
        self.wait_until(
            &format!("showed {needle:?}"),
            Duration::from_secs(10),
            |s| s.contains(needle),
        )
    }

    /// Esc, then waits until `gone` has left the screen: a key sent right after an Esc can
    /// arrive in the same read and be taken for Alt+key, as a terminal would send it.
    fn escape_from(&self, gone: &str) {
        self.keys(&["Escape"]);
        self.wait_until(&format!("dropped {gone:?}"), Duration::from_secs(10), |s| {
            !s.contains(gone)
        });
    }

    /// Waits until `done(screen)` holds, `within` at most.
    fn wait_until(&self, what: &str, within: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if done(&s) {
                return s;
            }
            assert!(start.elapsed() < within, "screen never {what}:\n{s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Tmux {
    /// Starts `cmd` in a new detached 120×36 session. The tests' commands end with
    /// `echo EXITED $?; sleep 30`: the sleep is no wait, it keeps the pane (and what the shell
    /// printed after the console) on screen to be read; the session is killed on drop.
    fn start(cmd: &str) -> Tmux {
        Self::start_sized(cmd, 120, 36)
    }

    fn start_sized(cmd: &str, width: u16, height: u16) -> Tmux {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let session = format!("tgo-e2e-{}-{n}", std::process::id());
        let state = tempfile::tempdir().unwrap();
        let cmd = format!("export XDG_STATE_HOME='{}'; {cmd}", state.path().display());
        Self::run(&[
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &cmd,
        ]);
        Tmux {
            session,
            _state: state,
        }
    }

    /// The watchdog's pid: the child of the pane's shell (the process the shell started).
    fn watchdog_pid(&self) -> u32 {
        let shell = Self::run(&["list-panes", "-t", &self.session, "-F", "#{pane_pid}"]);
        children(shell.trim().parse().expect("pane pid"))
            .first()
            .copied()
            .expect("the console runs")
    }

    /// The console's pid: the watchdog's only child.
    fn console_pid(&self) -> u32 {
        let watchdog = self.watchdog_pid();
        let found = children(watchdog);
        assert_eq!(found.len(), 1, "the watchdog runs the console alone");
        found[0]
    }
}

/// The direct children of `pid`.
fn children(pid: u32) -> Vec<u32> {
    let out = Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl Drop for Tmux {
    fn drop(&mut self) {
        Self::run(&["kill-session", "-t", &self.session]);
    }
}

#[test]
fn console_runs_in_a_real_terminal() {
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let log = dir.path().join("console.log");
    let cmd = format!(
        "{BIN} --demo --socket {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        socket.display(),
        log.display()
    );
    let t = Tmux::start(&cmd);

    // The demo plugin connects and its first panel is rendered without a key pressed.
    let s = t.wait_for("Profile");
    assert!(s.contains("Customer 360") && s.contains("tgo-demo"), "{s}");
    let plugins = children(t.console_pid());
    assert_eq!(plugins.len(), 1, "the console launched the demo");

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
    t.escape_from("Everywhere");

    // Quit: plugins are shut down, the terminal restored, the socket removed.
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
    assert!(!socket.exists(), "socket file removed");
    assert!(
        !plugins.iter().any(|p| alive(*p)),
        "the demo plugin outlived q"
    );
}

#[test]
fn sigterm_stops_the_console_and_every_plugin_it_launched() {
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let cmd = format!(
        "{BIN} --demo {} --socket {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        common::repo_path("examples/plugins").display(),
        socket.display(),
        dir.path().join("console.log").display()
    );
    let t = Tmux::start(&cmd);
    // Both launched plugins registered: the orders one from its plugin.yml.
    t.wait_for("com.example.orders");
    t.wait_for("com.tgo.demo");
    let console = t.console_pid();
    let plugins = children(console);
    assert_eq!(
        plugins.len(),
        2,
        "demo and orders run as the console's children"
    );
    // SAFETY: kill(2) with a pid we just read.
    unsafe { libc::kill(console as i32, libc::SIGTERM) };
    // The terminal is given back (the shell prints) and nothing it launched is left.
    t.wait_for("EXITED 0");
    assert!(!alive(console));
    assert!(
        !plugins.iter().any(|p| alive(*p)),
        "a plugin outlived SIGTERM"
    );
    assert!(!socket.exists(), "socket file removed");
}

/// A terminal without bracketed paste delivers a paste as keys: 5 KB of them must all be read
/// at once (crossterm's default reader stopped after 2 048 and left the rest on the tty until
/// the next key), and `q` afterwards quits without waiting behind them.
#[test]
fn a_5kb_paste_without_bracketed_paste_arrives_whole_and_q_quits() {
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let cmd = format!(
        "{BIN} --socket {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        socket.display(),
        dir.path().join("console.log").display()
    );
    for (w, h) in [(80, 24), (160, 45)] {
        let t = Tmux::start_sized(&cmd, w, h);
        t.wait_for("Waiting for plugins");
        // The add-plugin box: one line of text, its view follows the cursor.
        t.keys(&["a"]);
        t.wait_for("Launch a plugin");
        let filler: String = (0..5000).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let text = format!("BEGIN{filler}END");
        let started = Instant::now();
        // `send-keys -l` types the text: no bracketed-paste markers, thousands of key events.
        t.keys(&["-l", &text]);
        t.wait_until(
            "showed the end of the paste",
            Duration::from_secs(30),
            |s| s.contains("ghEND"),
        );
        let arrived = started.elapsed();
        // Nothing was dropped on the way: the start is still there.
        t.keys(&["Home"]);
        t.wait_for("BEGINabcdefghij");
        t.escape_from("Launch a plugin");
        let started = Instant::now();
        t.keys(&["q"]);
        t.wait_for("EXITED 0");
        eprintln!(
            "{w}x{h}: 5 003 typed characters on screen after {arrived:?}; q quit in {:?}",
            started.elapsed()
        );
    }
}

/// A real bracketed paste (tmux `paste-buffer -p`, line breaks sent as CR) into the
/// composer's method and params; it used to be dropped everywhere but two boxes.
#[test]
fn a_bracketed_paste_fills_the_composer() {
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let cmd = format!(
        "{BIN} --demo --socket {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        socket.display(),
        dir.path().join("console.log").display()
    );
    let t = Tmux::start(&cmd);
    t.wait_for("Profile");
    let paste = |text: &str| {
        let buffer = format!("{}-paste", t.session);
        Tmux::run(&["set-buffer", "-b", &buffer, text]);
        Tmux::run(&["paste-buffer", "-p", "-d", "-b", &buffer, "-t", &t.session]);
    };
    t.keys(&["c"]);
    t.wait_for("Send a request");
    paste("ping");
    t.wait_for("Method  ping");
    t.keys(&["Enter", "Right"]);
    paste("\n  \"pasted\": \"from the clipboard\",\n  \"n\": 1\n");
    let s = t.wait_for("\"pasted\": \"from the clipboard\",");
    assert!(s.contains("✓ valid JSON"), "{s}");
    t.escape_from("Send a request");
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
}

/// A plugin as the issue found it: launched through a wrapper (`sh -c "python3 main.py"`),
/// with a child in its own process group, a `setsid` child, and a `setsid` grandchild whose
/// parent has exited. It writes their pids (and its own) to `pids`.
fn escaping_plugin(dir: &std::path::Path, pids: &std::path::Path) {
    std::fs::write(
        dir.join("plugin.yml"),
        "name: escaper\ncommand: sh\nargs: [-c, \"python3 main.py\"]\nruntime: {auto_restart: false}\n",
    )
    .unwrap();
    let main = format!(
        r#"
import os, subprocess, time
own_group = subprocess.Popen(["sleep", "600"], process_group=0)
own_session = subprocess.Popen(["sleep", "600"], start_new_session=True)
r, w = os.pipe()
middle = os.fork()
if middle == 0:
    os.setsid()
    grandchild = subprocess.Popen(["sleep", "600"])
    os.write(w, str(grandchild.pid).encode())
    os._exit(0)
os.waitpid(middle, 0)
grandchild = int(os.read(r, 32))
with open("{pids}.tmp", "w") as f:
    f.write(f"{{os.getpid()}} {{own_group.pid}} {{own_session.pid}} {{grandchild}}")
os.rename("{pids}.tmp", "{pids}")
time.sleep(600)
"#,
        pids = pids.display()
    );
    std::fs::write(dir.join("main.py"), main).unwrap();
}

/// Waits for the escaping plugin's pid file; the pids, all alive.
fn wait_for_pids(pids: &std::path::Path) -> Vec<u32> {
    let start = Instant::now();
    while !pids.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the plugin never wrote its pids"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let found: Vec<u32> = std::fs::read_to_string(pids)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(found.len(), 4);
    assert!(found.iter().all(|p| alive(*p)), "{found:?}");
    found
}

/// Alive and not a zombie.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|r| !r.trim_start().starts_with('Z'))
    })
}

fn all_gone(pids: &[u32], within: Duration) -> Result<Duration, Vec<u32>> {
    let start = Instant::now();
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|p| running(*p)).collect();
        if left.is_empty() {
            return Ok(start.elapsed());
        }
        if start.elapsed() > within {
            // Do not leave them running after a failed test.
            for p in &left {
                // SAFETY: kill(2) on processes this test's plugin started.
                unsafe { libc::kill(*p as i32, libc::SIGKILL) };
            }
            return Err(left);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGKILL of the console (or of its watchdog, the process the shell started) leaves none of
/// the processes its plugin started, wherever they went; the terminal is given back.
#[test]
fn sigkill_of_the_console_leaves_no_process_a_plugin_started() {
    if !tmux_here() {
        return;
    }
    for victim in ["console", "watchdog"] {
        let dir = tempfile::tempdir().unwrap();
        let plugin = dir.path().join("escaper");
        std::fs::create_dir(&plugin).unwrap();
        let pids_file = dir.path().join("pids");
        escaping_plugin(&plugin, &pids_file);
        let cmd = format!(
            "{BIN} --socket {} --log-file {} --config /dev/null {}; echo EXITED $?; sleep 30",
            dir.path().join("tgo.sock").display(),
            dir.path().join("console.log").display(),
            plugin.display()
        );
        let t = Tmux::start(&cmd);
        let pids = wait_for_pids(&pids_file);
        let target = match victim {
            "console" => t.console_pid(),
            _ => t.watchdog_pid(),
        };
        // SAFETY: kill(2) on the process we just found.
        unsafe { libc::kill(target as i32, libc::SIGKILL) };
        match all_gone(&pids, Duration::from_secs(10)) {
            Ok(took) => eprintln!("SIGKILL of the {victim}: every plugin process gone in {took:?}"),
            Err(left) => panic!("SIGKILL of the {victim}: {left:?} of {pids:?} survived"),
        }
        if victim == "console" {
            // The watchdog saw it die: it gives the terminal back, then the shell prints.
            let s = t.wait_for("EXITED 137");
            assert!(s.contains("killed by signal 9"), "{s}");
        }
        // Either way the console's screen is gone (the alternate screen was left).
        t.wait_until("left the console's screen", Duration::from_secs(10), |s| {
            !s.contains("Plugins (")
        });
    }
}

/// `q` stops the plugin and also ends what it started outside its process group.
#[test]
fn q_leaves_no_process_a_plugin_started() {
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("escaper");
    std::fs::create_dir(&plugin).unwrap();
    let pids_file = dir.path().join("pids");
    escaping_plugin(&plugin, &pids_file);
    let cmd = format!(
        "{BIN} --socket {} --log-file {} --config /dev/null {}; echo EXITED $?; sleep 30",
        dir.path().join("tgo.sock").display(),
        dir.path().join("console.log").display(),
        plugin.display()
    );
    let t = Tmux::start(&cmd);
    let pids = wait_for_pids(&pids_file);
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
    if let Err(left) = all_gone(&pids, Duration::from_secs(2)) {
        panic!("{left:?} of {pids:?} outlived q");
    }
}

/// `--record` never clobbers: an existing file is refused without `--force`, a symbolic link
/// is never followed (not even with `--force`), a new recording is readable by its owner only.
#[test]
fn record_refuses_to_clobber_and_creates_private_files() {
    use std::os::unix::fs::PermissionsExt;
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let console = |record: &std::path::Path, extra: &str| {
        format!(
            "{BIN} --socket {} --log-file {} --config /dev/null --record {} {extra}; echo EXITED $?; sleep 30",
            dir.path().join("tgo.sock").display(),
            dir.path().join("console.log").display(),
            record.display()
        )
    };
    let precious = dir.path().join("precious.jsonl");
    std::fs::write(&precious, "my earlier session\n").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&precious, &link).unwrap();

    let t = Tmux::start(&console(&precious, ""));
    let s = t.wait_for("EXITED 2");
    assert!(s.contains("already exists") && s.contains("--force"), "{s}");
    drop(t);
    for extra in ["", "--force"] {
        let t = Tmux::start(&console(&link, extra));
        let s = t.wait_for("EXITED 2");
        assert!(s.contains("symbolic link"), "{extra}: {s}");
    }
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "my earlier session\n",
        "nothing was written through the refusals"
    );

    let fresh = dir.path().join("fresh.jsonl");
    for (path, extra) in [(&fresh, ""), (&precious, "--force")] {
        let t = Tmux::start(&console(path, extra));
        t.wait_for("Waiting for plugins");
        t.keys(&["q"]);
        t.wait_for("EXITED 0");
        let meta = std::fs::metadata(path).unwrap();
        if path == &fresh {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "created 0600");
        }
        assert!(
            !std::fs::read_to_string(path)
                .unwrap()
                .contains("my earlier"),
            "{extra}: the recording replaced it"
        );
    }
}

/// A real session recorded with its own context (visitor v_recorded_42, en-US), then damaged.
fn recording_with_bad_lines(path: &std::path::Path) -> usize {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut h = common::start_host(|_| {}).await;
        let recorder = tgo_console::record::Recorder::start(h.handle.clone(), path).unwrap();
        let _demo = h.demo("com.tgo.demo");
        let (id, info) = h.registered().await;
        let mut ctx = tgo_console::host::RenderContext::for_visitor("v_recorded_42");
        ctx.language = "en-US".into();
        let params =
            tgo_console::host::context::capability_render_params(&ctx, &info.capabilities, 0);
        h.handle
            .request(&id, "visitor_panel/render", params)
            .await
            .unwrap();
        recorder.finish().await.unwrap();
        h.handle.shutdown().await;
    });
    let text = std::fs::read_to_string(path).unwrap();
    let written = text.lines().count();
    // Line 1 garbage; after the session a cut line and a time no clock holds.
    let damaged = format!(
        "not json at all\n{text}{{\"seq\": 99999, \"t_ms\": 1\n{{\"seq\":7,\"t_ms\":1e300,\"dir\":\"local\",\"conn\":0,\"kind\":{{\"type\":\"event\",\"text\":\"x\"}}}}\n"
    );
    std::fs::write(path, damaged).unwrap();
    written
}

/// `replay`: the unreadable lines are named with their numbers on screen (at 250 columns the
/// old status line was still cut), the top bar shows the recorded context and offers no edit,
/// and an empty recording says it is empty rather than how to connect a plugin.
#[test]
fn replay_names_bad_lines_and_shows_the_recorded_context() {
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    let written = recording_with_bad_lines(&path);
    let (cut, huge) = (written + 2, written + 3);
    let cmd = format!(
        "{BIN} replay {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        path.display(),
        dir.path().join("console.log").display()
    );
    let t = Tmux::start_sized(&cmd, 250, 50);
    // The first frame may be captured half drawn: wait for its last parts.
    let toast = format!("3 unreadable line(s), line 1, {cut}, {huge}");
    let s = t.wait_until("showed the replay", Duration::from_secs(10), |s| {
        s.contains("Customer 360") && s.contains(&toast) && s.contains("t_ms: 1e300")
    });
    assert!(
        s.contains("replay") && s.contains("v_recorded_42") && s.contains("en-US"),
        "the recorded context:\n{s}"
    );
    assert!(!s.contains("v_12345") && !s.contains("(v edit)"), "{s}");
    assert!(
        s.contains(&format!("3 unreadable line(s), line 1, {cut}, {huge}")),
        "the toast names them:\n{s}"
    );
    for line in [1, cut, huge] {
        assert!(
            s.contains(&format!("invalid: line {line} of")),
            "line {line} is in the inspector:\n{s}"
        );
    }
    assert!(s.contains("t_ms: 1e300"), "the selected one says why:\n{s}");
    assert!(
        !s.contains("00:00:00.000"),
        "bad lines are dated as their neighbours:\n{s}"
    );
    // `v` does not open an editor of the recorded context.
    t.keys(&["v"]);
    let s = t.wait_for("recorded with");
    assert!(!s.contains("Render context"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
    drop(t);

    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let cmd = format!(
        "{BIN} replay {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        empty.display(),
        dir.path().join("console.log").display()
    );
    let t = Tmux::start_sized(&cmd, 80, 24);
    let s = t.wait_for("This recording is empty");
    assert!(!s.contains("Point a plugin"), "{s}");
    assert!(s.contains("no render recorded"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
}

/// The console says on screen that TCP reachable from other machines has no authentication,
/// and exits 2, like `check` and `bench`, when another host holds its socket.
#[test]
fn console_warns_about_open_tcp_and_exits_2_on_a_taken_socket() {
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let console = |extra: &str| {
        format!(
            "{BIN} --socket {} --log-file {} --config /dev/null {extra}; echo EXITED $?; sleep 30",
            socket.display(),
            dir.path().join("console.log").display()
        )
    };
    let t = Tmux::start_sized(&console("--tcp 0.0.0.0:0"), 160, 45);
    t.wait_until("warned about TCP", Duration::from_secs(10), |s| {
        s.contains("⚠ TCP 0.0.0.0:") && s.contains("no authentication")
    });
    // The same console holds the socket: a second one cannot start.
    let second = Tmux::start(&console(""));
    let s = second.wait_for("EXITED 2");
    assert!(s.contains("already listening"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
}

/// Time travel and the frame view in a real terminal (issue 14.1): Enter on a recorded render
/// answer draws it "as of #N", in the console and in `replay` of its recording; `x` shows the
/// bytes of a frame that announced 4 GiB, with its length prefix.
#[test]
fn time_travel_and_the_frame_view_in_the_console_and_in_replay() {
    if !tmux_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rogue = common::repo_path("tests/plugins/rogue.py")
        .display()
        .to_string();
    let plugin = dir.path().join("oversized");
    std::fs::create_dir_all(&plugin).unwrap();
    std::fs::write(
        plugin.join("plugin.yml"),
        format!("name: oversized\ncommand: python3\nargs: ['{rogue}', oversized]\n"),
    )
    .unwrap();
    let record = dir.path().join("session.jsonl");
    let log = dir.path().join("console.log");
    let cmd = format!(
        "{BIN} --demo {} --record {} --socket {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        plugin.display(),
        record.display(),
        dir.path().join("tgo.sock").display(),
        log.display()
    );
    let t = Tmux::start_sized(&cmd, 160, 45);
    // The demo's panel, and the oversized plugin's frame error (said in the plugins pane).
    t.wait_until("rendered, frame error", Duration::from_secs(10), |s| {
        s.contains("Profile") && s.contains("4294967295")
    });
    let travel = |t: &Tmux| {
        t.keys(&["3", "/"]);
        t.keys(&["-l", "method:visitor_panel/render"]);
        t.keys(&["Enter", "g", "j", "Enter"]);
        t.wait_for("◷ as of #")
    };
    let s = travel(&t);
    assert!(s.contains("Profile"), "the panel as it was:\n{s}");
    // The frame that announced 0xFFFFFFFF bytes: its prefix, in hex.
    t.escape_from("filter: method:");
    t.escape_from("◷ as of #");
    t.keys(&["/"]);
    t.keys(&["-l", "frame error"]);
    t.keys(&["Enter"]);
    t.wait_for("filter: frame error");
    t.keys(&["g"]);
    t.wait_for("event  ! problem");
    t.keys(&["x"]);
    let s = t.wait_for("length prefix ff ff ff ff");
    assert!(s.contains("4294967295 bytes announced"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
    drop(t);

    let cmd = format!(
        "{BIN} replay {} --log-file {} --config /dev/null; echo EXITED $?; sleep 30",
        record.display(),
        log.display()
    );
    let t = Tmux::start_sized(&cmd, 160, 45);
    t.wait_for("Profile");
    let s = travel(&t);
    assert!(s.contains("Profile"), "the recorded panel as it was:\n{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
}
