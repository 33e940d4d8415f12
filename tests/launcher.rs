//! The plugin launcher with real child processes: manifests of every format, crash restarts with
//! backoff, stop escalation, `--watch`, shutdown, `owner_of`, `kill_all_now` and the
//! parent-death signal, Go plugins built before they start and rebuilt under `--watch`.

use std::collections::HashMap;
use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tgo_console::launcher::manifest::{self, Manifest};
use tgo_console::launcher::{
    LaunchEnv, LaunchId, LaunchOp, Launcher, LauncherEvent, ProcState, kill_all_now,
    spawn_supervisor,
};
use tokio::sync::mpsc::Receiver;

const WAIT: Duration = Duration::from_secs(5);

/// A plugin directory in a temporary directory; files named `*.sh` or under `bin/` or `.venv/bin/`
/// are made executable.
fn plugin_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        write(dir.path(), rel, text);
    }
    dir
}

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    if rel.ends_with(".sh") || rel.starts_with("bin/") || rel.starts_with(".venv/bin/") {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

fn load_one(dir: &Path) -> Manifest {
    let mut found = manifest::discover(dir);
    assert_eq!(found.len(), 1);
    found.pop().unwrap().unwrap_or_else(|e| panic!("{e}"))
}

fn env(grace_ms: u64) -> LaunchEnv {
    LaunchEnv {
        grace: Duration::from_millis(grace_ms),
        ..Default::default()
    }
}

/// Every event so far, read per plugin: waiting for one plugin's event skips (consumes) only that
/// plugin's earlier events.
struct Events {
    rx: Receiver<LauncherEvent>,
    log: Vec<(LauncherEvent, Instant)>,
    cursors: HashMap<LaunchId, usize>,
}

fn id_of(event: &LauncherEvent) -> LaunchId {
    match event {
        LauncherEvent::State { id, .. }
        | LauncherEvent::Output { id, .. }
        | LauncherEvent::Dropped { id, .. }
        | LauncherEvent::Changed { id, .. }
        | LauncherEvent::BuildFailed { id, .. }
        | LauncherEvent::Removed { id } => *id,
    }
}

impl Events {
    fn new(rx: Receiver<LauncherEvent>) -> Self {
        Self {
            rx,
            log: Vec::new(),
            cursors: HashMap::new(),
        }
    }

    /// The next event for `id` that `pred` accepts, with the instant it arrived; `None` if none
    /// comes within `within`.
    async fn next(
        &mut self,
        id: LaunchId,
        within: Duration,
        mut pred: impl FnMut(&LauncherEvent) -> bool,
    ) -> Option<(LauncherEvent, Instant)> {
        let deadline = tokio::time::Instant::now() + within;
        let mut at = self.cursors.get(&id).copied().unwrap_or(0);
        loop {
            while at < self.log.len() {
                let (event, when) = &self.log[at];
                at += 1;
                if id_of(event) == id && pred(event) {
                    self.cursors.insert(id, at);
                    return Some((event.clone(), *when));
                }
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(event)) => self.log.push((event, Instant::now())),
                _ => {
                    self.cursors.insert(id, at);
                    return None;
                }
            }
        }
    }

    async fn until(
        &mut self,
        id: LaunchId,
        within: Duration,
        pred: impl FnMut(&LauncherEvent) -> bool,
    ) -> (LauncherEvent, Instant) {
        match self.next(id, within, pred).await {
            Some(found) => found,
            None => panic!(
                "no such event for {id} within {within:?}; seen: {:#?}",
                self.log.iter().map(|(e, _)| e).collect::<Vec<_>>()
            ),
        }
    }

    async fn state(&mut self, id: LaunchId, pred: impl Fn(&ProcState) -> bool) -> ProcState {
        match self
            .until(
                id,
                WAIT,
                |e| matches!(e, LauncherEvent::State { state, .. } if pred(state)),
            )
            .await
        {
            (LauncherEvent::State { state, .. }, _) => state,
            _ => unreachable!(),
        }
    }

    async fn line(&mut self, id: LaunchId, needle: &str) -> String {
        self.line_within(id, WAIT, needle).await
    }

    async fn line_within(&mut self, id: LaunchId, within: Duration, needle: &str) -> String {
        match self
            .until(
                id,
                within,
                |e| matches!(e, LauncherEvent::Output { line, .. } if line.text.contains(needle)),
            )
            .await
        {
            (LauncherEvent::Output { line, .. }, _) => line.text,
            _ => unreachable!(),
        }
    }

    /// Removes `id`; the states it went through until it was gone. One that was not going to
    /// start again goes straight to `Stopped`: a scheduled restart says `Restarting` at once,
    /// and a restart `Starting`, before the removal is handled.
    async fn states_until_removed(&mut self, launcher: &Launcher, id: LaunchId) -> Vec<ProcState> {
        launcher.remove(id);
        let mut states = Vec::new();
        loop {
            let state_or_removed = |e: &LauncherEvent| {
                matches!(
                    e,
                    LauncherEvent::State { .. } | LauncherEvent::Removed { .. }
                )
            };
            match self.until(id, WAIT, state_or_removed).await {
                (LauncherEvent::State { state, .. }, _) => states.push(state),
                _ => return states,
            }
        }
    }

    /// Whether an event for `id` that `pred` accepts comes within `within`.
    async fn any_within(
        &mut self,
        id: LaunchId,
        within: Duration,
        pred: impl FnMut(&LauncherEvent) -> bool,
    ) -> bool {
        self.next(id, within, pred).await.is_some()
    }
}

fn view(launcher: &Launcher, id: LaunchId) -> tgo_console::launcher::LaunchedView {
    launcher
        .snapshot()
        .into_iter()
        .find(|v| v.id == id)
        .expect("in the snapshot")
}

/// Whether any process is left in the group (zombies do not count).
fn group_alive(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks.
    let r = unsafe { libc::kill(-pgid, 0) };
    !(r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH))
}

/// Whether a process is running (not gone, not a zombie).
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 1..]
                .split_whitespace()
                .next();
            state != Some("Z") && state != Some("X")
        }
        Err(_) => false,
    }
}

async fn eventually(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn old_plugin_json_runs_with_the_host_address_and_stops() {
    let dir = plugin_dir(&[(
        "plugin.json",
        r#"{"name":"old","version":"0.1","description":"d","command":"sh",
            "args":["-c","echo hello; echo sock=$TGO_SOCKET_PATH port=$TGO_TCP_PORT; exec sleep 30"]}"#,
    )]);
    let m = load_one(dir.path());
    assert_eq!(m.name, "old");
    let (launcher, rx) = spawn_supervisor(LaunchEnv {
        socket: Some("/tmp/tgo-test.sock".into()),
        tcp_port: Some(8005),
        ..env(300)
    });
    let mut ev = Events::new(rx);
    let id = launcher.add(m);
    ev.state(id, |s| *s == ProcState::Running).await;
    ev.line(id, "hello").await;
    ev.line(id, "sock=/tmp/tgo-test.sock port=8005").await;

    let v = view(&launcher, id);
    assert_eq!(v.name, "old");
    assert_eq!(v.state, ProcState::Running);
    assert_eq!(v.manifest, dir.path().join("plugin.json"));
    assert!(v.pid.is_some() && v.pgid == v.pid.map(|p| p as i32));
    assert!(v.started_at.is_some());
    assert_eq!(v.restarts, 0);
    assert_eq!(
        v.last_lines.last().unwrap().text,
        "sock=/tmp/tgo-test.sock port=8005"
    );
    assert_eq!(launcher.output(id).unwrap().lock().lines().len(), 2);

    launcher.stop(id);
    ev.state(id, |s| *s == ProcState::Stopping).await;
    ev.state(id, |s| *s == ProcState::Stopped).await;
    let v = view(&launcher, id);
    assert_eq!((v.state, v.pid), (ProcState::Stopped, None));
}

#[tokio::test]
async fn plugin_yml_python_without_venv() {
    let dir = plugin_dir(&[
        (
            "plugin.yml",
            "id: com.t.py\nname: py\nbuild:\n  language: python\n  python: {entrypoint: app.py}\nruntime:\n  args: [a, b]\n  env: {MARK: m1}\n  auto_restart: false\n",
        ),
        (
            "app.py",
            "import os, sys\nprint('py', sys.argv[1:], os.environ['MARK'])\n",
        ),
    ]);
    let m = load_one(dir.path());
    assert_eq!(m.spec.program, "python3");
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(m);
    ev.line(id, "py ['a', 'b'] m1").await;
    assert_eq!(
        ev.state(id, |s| matches!(s, ProcState::Exited { .. }))
            .await,
        ProcState::Exited { code: 0 }
    );
    // No auto_restart: it stays exited (nothing scheduled, so a removal stops it at once).
    assert_eq!(
        ev.states_until_removed(&launcher, id).await,
        [ProcState::Stopped]
    );
}

#[tokio::test]
async fn plugin_yml_python_prefers_the_venv() {
    let dir = plugin_dir(&[
        (
            "plugin.yml",
            "name: venv\nbuild: {language: python}\nruntime: {auto_restart: false}\n",
        ),
        ("main.py", "print('main ran')\n"),
        // Stands in for a real virtualenv's interpreter (making one takes seconds).
        (
            ".venv/bin/python3",
            "#!/bin/sh\necho \"venv python $*\"\nexec python3 \"$@\"\n",
        ),
    ]);
    let m = load_one(dir.path());
    assert_eq!(
        m.spec.program,
        dir.path().join(".venv/bin/python3").display().to_string()
    );
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(m);
    ev.line(id, "venv python main.py").await;
    ev.line(id, "main ran").await;
}

#[tokio::test]
async fn plugin_yaml_nodejs() {
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: `node` is not installed here; skipping the nodejs plugin test");
        return;
    }
    let dir = plugin_dir(&[
        (
            "plugin.yaml",
            "name: js\nbuild:\n  language: nodejs\n  nodejs: {entrypoint: server.js}\nruntime: {args: [x], auto_restart: false}\n",
        ),
        (
            "server.js",
            "console.log('node says', process.argv.slice(2).join(','));\n",
        ),
    ]);
    let m = load_one(dir.path());
    assert_eq!(m.spec.program, "node");
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(m);
    ev.line(id, "node says x").await;
}

#[tokio::test]
async fn plugin_yml_go_runs_its_output_in_the_plugin_dir() {
    let dir = plugin_dir(&[
        (
            "plugin.yml",
            "name: go\nbuild:\n  language: go\n  go: {main: ./main.go, output: ./bin/orders}\nruntime: {args: [--v], auto_restart: false}\n",
        ),
        // Stands in for the built binary.
        ("bin/orders", "#!/bin/sh\necho \"go binary $* in $PWD\"\n"),
    ]);
    let m = load_one(dir.path());
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(m);
    ev.line(id, &format!("go binary --v in {}", dir.path().display()))
        .await;
}

#[tokio::test]
async fn plugin_yml_explicit_command_wins() {
    let dir = plugin_dir(&[(
        "plugin.yml",
        "name: cmd\ncommand: sh\nargs: [-c, 'echo explicit \"$@\"', sh]\nbuild: {language: rust}\nruntime: {args: [x], auto_restart: false}\n",
    )]);
    let m = load_one(dir.path());
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(m);
    ev.line(id, "explicit x").await;
}

#[tokio::test]
async fn a_broken_manifest_hides_none_of_the_good_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests");
    let found = manifest::discover(&root);
    assert_eq!(found.len(), 3, "{found:?}");
    let errors: Vec<_> = found.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    let e = errors[0];
    assert_eq!(e.file, root.join("broken/plugin.yml"));
    assert_eq!(e.field.as_deref(), Some("build.language"));
    assert!(e.problem.contains("unknown language \"rust\""), "{e}");
    assert!(e.to_string().starts_with(&format!(
        "{}: build.language: unknown language",
        root.join("broken/plugin.yml").display()
    )));

    let good: Vec<Manifest> = found.into_iter().filter_map(Result::ok).collect();
    let names: Vec<_> = good.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["orders-json", "py-yml"]);
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let mut ids = good.into_iter().map(|m| launcher.add(m));
    let (json, yml) = (ids.next().unwrap(), ids.next().unwrap());
    ev.line(json, "old format in orders-json").await;
    ev.line(yml, "py-yml --greeting hello from-the-manifest")
        .await;
}

#[tokio::test]
async fn a_plugin_crashing_at_start_backs_off_into_a_crash_loop() {
    let dir = plugin_dir(&[(
        "plugin.yml",
        "name: crashy\ncommand: sh\nargs: [-c, 'echo boom >&2; exit 3']\nruntime: {restart_delay: 100ms}\n",
    )]);
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));

    // Each quick crash: Exited, then a restart at a growing delay.
    let mut delays = Vec::new();
    for attempt in 1..=3u32 {
        let exited = ev
            .state(id, |s| matches!(s, ProcState::Exited { .. }))
            .await;
        assert_eq!(exited, ProcState::Exited { code: 3 });
        let (event, seen_at) = ev
            .until(id, WAIT, |e| {
                matches!(
                    e,
                    LauncherEvent::State {
                        state: ProcState::Restarting { .. } | ProcState::CrashLoop { .. },
                        ..
                    }
                )
            })
            .await;
        let LauncherEvent::State { state, .. } = event else {
            unreachable!()
        };
        let at = match state {
            ProcState::Restarting { at, attempt: a } if attempt < 3 => {
                assert_eq!(a, attempt);
                at
            }
            ProcState::CrashLoop { restarts, next } if attempt == 3 => {
                assert_eq!(restarts, 3);
                next
            }
            other => panic!("crash {attempt}: {other:?}"),
        };
        delays.push((at, at.saturating_duration_since(seen_at)));
    }
    // 100, 200 and 400 ms. Robust under load: an event is seen after its restart time was set
    // (so `at - seen` is at most the delay), and each restart time is at least the next delay
    // after the one before (the next crash comes after the restart).
    let (ats, seen): (Vec<Instant>, Vec<Duration>) = delays.into_iter().unzip();
    let ms = Duration::from_millis;
    assert!(
        seen[0] <= ms(100) && seen[1] <= ms(200) && seen[2] <= ms(400),
        "{seen:?}"
    );
    assert!(ats[1] - ats[0] >= ms(200), "{:?}", ats[1] - ats[0]);
    assert!(ats[2] - ats[1] >= ms(400), "{:?}", ats[2] - ats[1]);
    assert!(matches!(
        view(&launcher, id).state,
        ProcState::CrashLoop { .. }
    ));
    assert_eq!(view(&launcher, id).restarts, 2);
    assert!(
        launcher
            .output(id)
            .unwrap()
            .lock()
            .lines()
            .iter()
            .filter(|l| l.text == "boom")
            .count()
            >= 3
    );

    // A crash loop is still retried.
    ev.state(id, |s| *s == ProcState::Running).await;
    assert_eq!(view(&launcher, id).restarts, 3);

    launcher.remove(id);
    eventually("removed from the snapshot", WAIT, || {
        launcher.snapshot().is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_plugin_ignoring_sigterm_is_killed_after_the_grace() {
    let dir = plugin_dir(&[(
        "plugin.yml",
        "name: stubborn\ncommand: sh\nargs: [-c, \"trap '' TERM; echo ready; while :; do sleep 0.05; done\"]\n",
    )]);
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));
    ev.line(id, "ready").await;
    let pgid = view(&launcher, id).pgid.unwrap();

    let t0 = Instant::now();
    launcher.stop(id);
    ev.state(id, |s| *s == ProcState::Stopped).await;
    let took = t0.elapsed();
    // Grace for an exit, SIGTERM (ignored), grace again, SIGKILL.
    assert!(took >= Duration::from_millis(550), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(!group_alive(pgid));
    // Stopped by hand: no automatic restart.
    assert_eq!(
        ev.states_until_removed(&launcher, id).await,
        [ProcState::Stopped]
    );
}

#[tokio::test]
async fn a_plugin_not_asked_to_shut_down_gets_sigterm_without_the_wait() {
    let dir = plugin_dir(&[(
        "plugin.yml",
        "name: mute\ncommand: sh\nargs: [-c, \"echo ready; exec sleep 600\"]\n",
    )]);
    // A grace far longer than the wait below: only an immediate SIGTERM passes.
    let (launcher, rx) = spawn_supervisor(env(60_000));
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));
    ev.line(id, "ready").await;
    let pgid = view(&launcher, id).pgid.unwrap();
    launcher.apply(id, LaunchOp::Stop, false);
    match ev.state(id, |s| *s == ProcState::Stopped).await {
        ProcState::Stopped => {}
        other => panic!("{other:?}"),
    }
    assert!(!group_alive(pgid));
}

#[tokio::test]
async fn watch_restarts_on_a_change_but_not_for_pycache_or_editor_files() {
    let dir = plugin_dir(&[
        ("plugin.yml", "name: watched\ncommand: ./run.sh\n"),
        ("run.sh", "#!/bin/sh\necho started\nexec sleep 30\n"),
    ]);
    let (launcher, rx) = spawn_supervisor(LaunchEnv {
        watch: true,
        ..env(300)
    });
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));
    ev.line(id, "started").await;
    let first_pid = view(&launcher, id).pid.unwrap();

    write(dir.path(), "__pycache__/main.cpython-312.pyc", "x");
    write(dir.path(), ".main.py.swp", "x");
    write(dir.path(), "main.py~", "x");
    let changed = |e: &LauncherEvent| matches!(e, LauncherEvent::Changed { .. });
    // A timed "nothing happens": nothing tells that the watcher saw these and dropped them,
    // and a later real change would hide them (a burst is named by its last file). 700 ms is
    // two quiet debounce periods (300 ms) and then some.
    assert!(
        !ev.any_within(id, Duration::from_millis(700), changed).await,
        "ignored files restarted it: {:#?}",
        ev.log
    );
    assert_eq!(view(&launcher, id).pid, Some(first_pid));

    write(dir.path(), "sub/main.py", "print('changed')\n");
    let (event, _) = ev.until(id, WAIT, changed).await;
    let LauncherEvent::Changed { path, .. } = event else {
        unreachable!()
    };
    assert!(path.starts_with(dir.path()), "{path:?}");
    ev.line(id, "started").await;
    let v = view(&launcher, id);
    assert_eq!(v.restarts, 1);
    assert_ne!(v.pid, Some(first_pid));
    assert!(!process_alive(first_pid));
}

#[tokio::test]
async fn shutdown_leaves_no_process_of_any_group_alive() {
    let script = "sleep 30 & echo child $!; trap '' TERM; while :; do sleep 0.05; done";
    let polite = "sleep 30 & echo child $!; exec sleep 30";
    let mut dirs = Vec::new();
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let mut ids = Vec::new();
    for (name, s) in [("stubborn", script), ("polite", polite)] {
        let yml = format!("name: {name}\ncommand: sh\nargs: [-c, \"{s}\"]\n");
        let dir = plugin_dir(&[("plugin.yml", yml.as_str())]);
        ids.push(launcher.add(load_one(dir.path())));
        dirs.push(dir);
    }
    let mut grandchildren = Vec::new();
    for &id in &ids {
        let line = ev.line(id, "child ").await;
        grandchildren.push(line["child ".len()..].trim().parse::<u32>().unwrap());
    }
    let groups: Vec<i32> = ids
        .iter()
        .map(|&id| view(&launcher, id).pgid.unwrap())
        .collect();
    assert!(groups.iter().all(|&g| group_alive(g)));

    let t0 = Instant::now();
    launcher.shutdown(Duration::from_millis(300)).await;
    // In parallel: about two graces in all, not two per plugin.
    assert!(
        t0.elapsed() < Duration::from_millis(1100),
        "{:?}",
        t0.elapsed()
    );
    for &id in &ids {
        assert_eq!(view(&launcher, id).state, ProcState::Stopped);
    }
    for &g in &groups {
        assert!(!group_alive(g), "group {g} still has a process");
    }
    for &pid in &grandchildren {
        assert!(!process_alive(pid), "grandchild {pid} survived");
    }
}

#[tokio::test]
async fn owner_of_maps_descendants_to_their_plugin() {
    let dir = plugin_dir(&[(
        "plugin.yml",
        "name: parent\ncommand: sh\nargs: [-c, 'sh -c \"sleep 30\" & echo grandchild $!; setsid sleep 30 & echo detached $!; wait']\n",
    )]);
    let other = plugin_dir(&[("plugin.yml", "name: other\ncommand: sleep\nargs: ['30']\n")]);
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));
    let other_id = launcher.add(load_one(other.path()));
    let pid_of = |line: String| line.rsplit(' ').next().unwrap().parse::<u32>().unwrap();
    let grandchild = pid_of(ev.line(id, "grandchild").await);
    let detached = pid_of(ev.line(id, "detached").await);
    ev.state(other_id, |s| *s == ProcState::Running).await;

    assert_eq!(
        launcher.owner_of(view(&launcher, id).pid.unwrap()),
        Some(id)
    );
    assert_eq!(launcher.owner_of(grandchild), Some(id));
    // Left the group with setsid, still a descendant.
    eventually("setsid ran", WAIT, || {
        std::fs::read_to_string(format!("/proc/{detached}/stat"))
            .is_ok_and(|s| s.contains("(sleep)"))
    })
    .await;
    assert_eq!(launcher.owner_of(detached), Some(id));
    assert_eq!(
        launcher.owner_of(view(&launcher, other_id).pid.unwrap()),
        Some(other_id)
    );
    assert_eq!(launcher.owner_of(std::process::id()), None);
    // The detached one is outside the group: shutdown cannot reach it, so end it here.
    // SAFETY: a process this test started.
    unsafe { libc::kill(detached as i32, libc::SIGKILL) };
}

/// Runs one `#[ignore]`d helper test of this file in a process of its own.
fn helper(name: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("TGO_LAUNCHER_HELPER", "1");
    cmd
}

#[test]
fn kill_all_now_kills_every_plugin_group() {
    // kill_all_now kills every child of the process: not in this one, where other tests run.
    let out = helper("helper_kill_all_now").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("KILLED ALL"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
#[ignore = "run by kill_all_now_kills_every_plugin_group in a process of its own"]
async fn helper_kill_all_now() {
    assert!(std::env::var_os("TGO_LAUNCHER_HELPER").is_some());
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let mut ids = Vec::new();
    let mut dirs = Vec::new();
    for name in ["a", "b"] {
        let yml = format!(
            "name: {name}\ncommand: sh\nargs: [-c, 'sleep 30 & echo child; wait']\nruntime: {{auto_restart: false}}\n"
        );
        let dir = plugin_dir(&[("plugin.yml", yml.as_str())]);
        ids.push(launcher.add(load_one(dir.path())));
        dirs.push(dir);
    }
    for &id in &ids {
        ev.line(id, "child").await;
    }
    let groups: Vec<i32> = ids
        .iter()
        .map(|&id| view(&launcher, id).pgid.unwrap())
        .collect();
    kill_all_now();
    for &g in &groups {
        eventually("group killed", Duration::from_secs(2), || !group_alive(g)).await;
    }
    for &id in &ids {
        let state = ev
            .state(id, |s| matches!(s, ProcState::Killed { .. }))
            .await;
        assert_eq!(
            state,
            ProcState::Killed {
                signal: libc::SIGKILL
            }
        );
    }
    println!("KILLED ALL");
}

#[test]
fn plugins_die_with_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = helper("helper_parent_that_dies")
        .env("TGO_LAUNCHER_HELPER_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut pid = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        // Printed after libtest's "test NAME ... ", on the same line.
        if let Some((_, p)) = line.split_once("PLUGIN PID ") {
            pid = Some(p.trim().parse::<u32>().unwrap());
            break;
        }
    }
    let pid = pid.expect("the helper printed its plugin's pid");
    assert!(process_alive(pid));
    // kill -9 of the console: no handler, no Drop, only the kernel's parent-death signal.
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while process_alive(pid) {
        assert!(
            Instant::now() < deadline,
            "plugin {pid} outlived its console"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by plugins_die_with_the_console in a process of its own"]
async fn helper_parent_that_dies() {
    assert!(std::env::var_os("TGO_LAUNCHER_HELPER").is_some());
    // In the caller's temporary directory: this process is killed, so cannot clean up.
    let dir = PathBuf::from(std::env::var_os("TGO_LAUNCHER_HELPER_DIR").unwrap());
    write(
        &dir,
        "plugin.yml",
        "name: orphan\ncommand: sleep\nargs: ['30']\n",
    );
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(&dir));
    ev.state(id, |s| *s == ProcState::Running).await;
    println!("PLUGIN PID {}", view(&launcher, id).pid.unwrap());
    // The scenario: alive until the caller kills this process (30 s bounds a caller that failed).
    tokio::time::sleep(Duration::from_secs(30)).await;
}

/// `sed -i` (like many editors) writes a temporary file and renames it over the original: the
/// change is named after the file that changed, not the temporary one (issue 9.14).
#[tokio::test]
async fn watch_names_the_file_an_editor_saved_not_its_temporary_file() {
    let dir = plugin_dir(&[
        ("plugin.yml", "name: watched\ncommand: ./run.sh\n"),
        ("run.sh", "#!/bin/sh\necho started\nexec sleep 30\n"),
        ("main.py", "print('before')\n"),
    ]);
    let (launcher, rx) = spawn_supervisor(LaunchEnv {
        watch: true,
        ..env(300)
    });
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));
    ev.line(id, "started").await;
    let status = std::process::Command::new("sed")
        .args(["-i", "s/before/after/"])
        .arg(dir.path().join("main.py"))
        .status()
        .unwrap();
    assert!(status.success());
    let changed = |e: &LauncherEvent| matches!(e, LauncherEvent::Changed { .. });
    let (event, _) = ev.until(id, WAIT, changed).await;
    let LauncherEvent::Changed { path, .. } = event else {
        unreachable!()
    };
    assert_eq!(path, dir.path().join("main.py"));
    launcher.shutdown(Duration::from_millis(300)).await;
}

/// A plugin running `yes`: what reaches the console is bounded by the outbox's allowance
/// however fast it prints, every line not delivered is counted, and the console, slow to
/// read, costs the launcher no more than its rings (before: one unbounded event per line,
/// gigabytes within seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yes_flood_reaches_the_console_bounded_and_counted() {
    use tgo_console::launcher::outbox::{BURST_LINES, CHANNEL, RATE_LINES, RING_LINES};
    let dir = plugin_dir(&[(
        "plugin.yml",
        "name: yes\ncommand: yes\nruntime: {auto_restart: false}\n",
    )]);
    let (launcher, mut rx) = spawn_supervisor(env(300));
    let started = Instant::now();
    let id = launcher.add(load_one(dir.path()));
    // A console too busy to read for a while.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (mut lines, mut dropped) = (0u64, 0u64);
    let read_until = Instant::now() + Duration::from_millis(700);
    while Instant::now() < read_until {
        match tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
            Ok(Some(LauncherEvent::Output { line, .. })) => {
                assert_eq!(line.text, "y");
                lines += 1;
            }
            Ok(Some(LauncherEvent::Dropped { lines: n, .. })) => dropped += n,
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => panic!("the launcher's channel closed"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let allowed = BURST_LINES + RATE_LINES * elapsed + (RING_LINES + CHANNEL) as f64;
    assert!(
        (lines as f64) <= allowed,
        "{lines} lines in {elapsed:.2} s, allowed {allowed}"
    );
    assert!(lines > 0, "some output gets through");
    assert!(
        dropped > lines,
        "{dropped} dropped: yes prints far more than the allowance"
    );
    launcher.remove(id);
    while !matches!(
        tokio::time::timeout(WAIT, rx.recv()).await,
        Ok(Some(LauncherEvent::Removed { .. })) | Ok(None) | Err(_)
    ) {}
}

/// A first Go build compiles part of the standard library: minutes on a slow machine.
const BUILD_WAIT: Duration = Duration::from_secs(300);

/// Whether `go` is on PATH; otherwise says why the test is skipped.
fn have_go() -> bool {
    let found = std::process::Command::new("go")
        .arg("version")
        .output()
        .is_ok();
    if !found {
        eprintln!(
            "skipped: `go` is not on PATH (Debian: apt-get install golang-go), so no Go plugin is built"
        );
    }
    found
}

/// A Go program (standard library only) that says `word` and waits to be stopped.
fn go_main(word: &str) -> String {
    format!(
        "package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {{\n\tfmt.Println(\"{word}\")\n\ttime.Sleep(time.Hour)\n}}\n"
    )
}

fn go_plugin(word: &str) -> tempfile::TempDir {
    plugin_dir(&[
        (
            "plugin.yml",
            "name: gobuilt\nbuild:\n  language: go\nruntime: {auto_restart: false}\n",
        ),
        ("go.mod", "module example.com/gobuilt\n\ngo 1.18\n"),
        ("cmd/plugin/main.go", &go_main(word)),
    ])
}

#[tokio::test]
async fn a_go_plugin_with_no_binary_yet_is_built_then_started() {
    if !have_go() {
        return;
    }
    let dir = go_plugin("hello from go");
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));
    ev.state(id, |s| *s == ProcState::Building).await;
    ev.line(id, "$ go build -o plugin ./cmd/plugin").await;
    ev.line_within(id, BUILD_WAIT, "hello from go").await;
    assert!(dir.path().join("plugin").is_file());
    let states: Vec<ProcState> = ev
        .log
        .iter()
        .filter_map(|(e, _)| match e {
            LauncherEvent::State { state, .. } => Some(state.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [ProcState::Building, ProcState::Starting, ProcState::Running]
    );
}

#[tokio::test]
async fn watch_rebuilds_a_go_plugin_and_a_failed_build_keeps_the_old_process() {
    if !have_go() {
        return;
    }
    let dir = go_plugin("version one");
    let (launcher, rx) = spawn_supervisor(LaunchEnv {
        watch: true,
        ..env(300)
    });
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));
    ev.line_within(id, BUILD_WAIT, "version one").await;
    let first_pid = view(&launcher, id).pid.unwrap();

    // A compile error: the build fails, the running process stays.
    write(
        dir.path(),
        "cmd/plugin/main.go",
        "package main\n\nfunc main() { undefined_thing() }\n",
    );
    // The compiler's own error, then the verdict, in the plugin's output.
    ev.line_within(id, BUILD_WAIT, "undefined: undefined_thing")
        .await;
    ev.line(id, "build failed, still running the previous build")
        .await;
    let (failed, _) = ev
        .until(id, WAIT, |e| matches!(e, LauncherEvent::BuildFailed { .. }))
        .await;
    let LauncherEvent::BuildFailed { kept, message, .. } = failed else {
        unreachable!()
    };
    assert!(kept);
    assert!(message.contains("go build"), "{message}");
    ev.state(id, |s| *s == ProcState::Running).await;
    let v = view(&launcher, id);
    assert_eq!(v.pid, Some(first_pid));
    assert!(process_alive(first_pid));

    // Fixed: built again, then the new binary replaces the old process.
    write(dir.path(), "cmd/plugin/main.go", &go_main("version two"));
    ev.line_within(id, BUILD_WAIT, "version two").await;
    assert_ne!(view(&launcher, id).pid, Some(first_pid));
    assert!(!process_alive(first_pid));
}

#[tokio::test]
async fn a_build_by_hand_of_a_plugin_with_nothing_to_build_keeps_it_running() {
    let dir = plugin_dir(&[
        ("plugin.yml", "name: plain\ncommand: ./run.sh\n"),
        ("run.sh", "#!/bin/sh\necho started\nexec sleep 30\n"),
    ]);
    let (launcher, rx) = spawn_supervisor(env(300));
    let mut ev = Events::new(rx);
    let id = launcher.add(load_one(dir.path()));
    ev.line(id, "started").await;
    let pid = view(&launcher, id).pid;
    launcher.apply(id, LaunchOp::Build, false);
    let (failed, _) = ev
        .until(id, WAIT, |e| matches!(e, LauncherEvent::BuildFailed { .. }))
        .await;
    let LauncherEvent::BuildFailed { kept, message, .. } = failed else {
        unreachable!()
    };
    assert!(kept);
    assert!(message.contains("nothing to build"), "{message}");
    ev.state(id, |s| *s == ProcState::Running).await;
    assert_eq!(view(&launcher, id).pid, pid);
}
