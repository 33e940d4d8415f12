//! `tgo-console build` and the build `check` does first, with the real tools: a Go plugin
//! compiled from source, a Python plugin whose requirements come from a local wheel (pip with
//! `--no-index`: no network), a compile error, a missing compiler, nothing to build.

mod common;

use common::{BIN, repo_path};
use std::path::Path;
use std::process::{Command, Output};

fn tgo(args: &[&str], dir: &Path) -> Output {
    tgo_with_path(args, dir, None)
}

/// Runs the console in `dir` (its XDG directories there), with `PATH` replaced if given. Go
/// and pip are kept off the network.
fn tgo_with_path(args: &[&str], dir: &Path, path: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env("XDG_STATE_HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("TGO_SOCKET_PATH")
        .env("NO_COLOR", "1")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("PIP_NO_INDEX", "1")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd.output().expect("tgo-console runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn have_go() -> bool {
    let found = Command::new("go").arg("version").output().is_ok();
    if !found {
        eprintln!(
            "skipped: `go` is not on PATH (Debian: apt-get install golang-go; .ci/run installs it), so no Go plugin is built"
        );
    }
    found
}

/// A Go plugin from `tgo-console new go` (standard library only), not built.
fn go_plugin(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("gop");
    let out = tgo(
        &["new", "go", &dir.display().to_string(), "--name", "gop"],
        tmp,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(!dir.join("plugin").exists());
    dir
}

#[test]
fn a_go_plugin_is_built_from_source_and_check_builds_one_first() {
    if !have_go() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = go_plugin(tmp.path());
    let out = tgo(&["build", &dir.display().to_string()], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dir.join("plugin").is_file());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("$ go build -o plugin ./cmd/plugin"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("built gop ("));

    // `check` on a plugin not built yet builds it first, then passes.
    std::fs::remove_file(dir.join("plugin")).unwrap();
    let socket = tmp.path().join("tgo.sock").display().to_string();
    let out = tgo(
        &["check", "--socket", &socket, &dir.display().to_string()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("building gop first"),
        "{}",
        text(&out)
    );
    assert!(dir.join("plugin").is_file());
}

#[test]
fn a_failed_go_build_exits_1_with_the_compilers_errors() {
    if !have_go() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = go_plugin(tmp.path());
    std::fs::write(
        dir.join("cmd/plugin/broken.go"),
        "package main\n\nfunc broken() { undefined_thing() }\n",
    )
    .unwrap();
    let out = tgo(&["build", &dir.display().to_string()], tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cmd/plugin/broken.go:3:17: undefined: undefined_thing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("gop: build failed: `go build -o plugin ./cmd/plugin` failed (exit code"),
        "{stderr}"
    );
    assert!(!dir.join("plugin").exists());
}

#[test]
fn a_missing_compiler_is_named() {
    // Needs no Go: the point is that there is none.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gop");
    std::fs::create_dir_all(dir.join("cmd/plugin")).unwrap();
    std::fs::write(dir.join("plugin.yml"), "name: gop\nbuild: {language: go}\n").unwrap();
    std::fs::write(dir.join("cmd/plugin/main.go"), "package main\n").unwrap();
    let empty = tmp.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let out = tgo_with_path(
        &["build", &dir.display().to_string()],
        tmp.path(),
        Some(&empty.display().to_string()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("'go' compiler not found"),
        "{}",
        text(&out)
    );
}

#[test]
fn nothing_to_build_and_a_bad_manifest_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(plain.join("plugin.yml"), "name: plain\ncommand: sh\n").unwrap();
    let out = tgo(&["build", &plain.display().to_string()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing to build"),
        "{}",
        text(&out)
    );
    let out = tgo(&["build", "/nonexistent/plugin"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such file or directory"),
        "{}",
        text(&out)
    );
}

/// Writes `tgohelper-0.1-py3-none-any.whl` (a module saying GREETING) into `dir`, with Python's
/// own zipfile: pip installs it from there with no index.
fn write_wheel(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let script = r#"
import sys, zipfile
info = "tgohelper-0.1.dist-info/"
with zipfile.ZipFile(sys.argv[1] + "/tgohelper-0.1-py3-none-any.whl", "w") as z:
    z.writestr("tgohelper/__init__.py", 'GREETING = "hello from the wheel"\n')
    z.writestr(info + "METADATA", "Metadata-Version: 2.1\nName: tgohelper\nVersion: 0.1\n")
    z.writestr(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr(info + "RECORD", "tgohelper/__init__.py,,\n" + info + "METADATA,,\n" + info + "WHEEL,,\n" + info + "RECORD,,\n")
"#;
    let out = Command::new("python3")
        .args(["-c", script, &dir.display().to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_python_plugins_requirements_are_installed_into_its_venv_from_a_local_wheel() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pyp");
    write_wheel(&dir.join("wheels"));
    std::fs::write(
        dir.join("plugin.yml"),
        "name: pyp\nbuild:\n  language: python\n  python: {requirements: requirements.txt}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("requirements.txt"),
        "--no-index\n--find-links wheels\ntgohelper==0.1\n",
    )
    .unwrap();
    let script = serde_json::json!({
        "register": {"name": "pyp", "version": "1",
            "capabilities": [{"type": "visitor_panel", "title": "Panel"}]},
        "answers": {"visitor_panel/render": {"template": "text", "data": {"text": "hi"}}}
    });
    std::fs::write(dir.join("script.json"), script.to_string()).unwrap();
    // The module only the wheel provides: the plugin cannot start without the build.
    let scripted = repo_path("tests/plugins/scripted.py");
    std::fs::write(
        dir.join("main.py"),
        format!(
            "import runpy, sys\nimport tgohelper\nprint(tgohelper.GREETING, file=sys.stderr, flush=True)\nsys.argv = [{0:?}, 'script.json']\nrunpy.run_path({0:?}, run_name='__main__')\n",
            scripted.display().to_string()
        ),
    )
    .unwrap();

    let socket = tmp.path().join("tgo.sock").display().to_string();
    let out = tgo(
        &["check", "--socket", &socket, &dir.display().to_string()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("building pyp first"), "{stderr}");
    assert!(stderr.contains("$ python3 -m venv .venv"), "{stderr}");
    assert!(stderr.contains("install -r requirements.txt"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // It ran in the venv, where `import tgohelper` works (it registered: it got past it).
    assert!(stdout.contains(".venv/bin/python3 main.py"), "{stdout}");
    let installed = std::fs::read_dir(dir.join(".venv/lib"))
        .unwrap()
        .flatten()
        .any(|py| {
            py.path()
                .join("site-packages/tgohelper/__init__.py")
                .is_file()
        });
    assert!(installed, "tgohelper is in the .venv");

    // Built: a second check does not build again.
    let out = tgo(
        &["check", "--socket", &socket, &dir.display().to_string()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("building"));
}

fn registrations(handle: &tgo_console::host::HostHandle) -> usize {
    use tgo_console::host::{Direction, EntryKind};
    handle
        .log()
        .entries()
        .iter()
        .filter(|e| {
            e.dir == Direction::In
                && matches!(&e.kind, EntryKind::Request { method, .. } if method == "register")
        })
        .count()
}

/// In the console: a Go plugin with no binary is built before it starts, and `b` builds it
/// again and restarts it, the `go build` lines in its output pane.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_in_the_console_builds_a_go_plugin_and_restarts_it() {
    use crossterm::event::KeyCode;
    if !have_go() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = go_plugin(tmp.path());
    let mut c = common::console::Console::new(140, 40, |_| {}).await;
    c.launch(
        std::slice::from_ref(&dir),
        std::time::Duration::from_secs(1),
    );
    let handle = c.host.handle.clone();
    c.run(|mut s| async move {
        s.until_that("the first build's plugin registered", || {
            registrations(&handle) == 1
        })
        .await;
        s.until("gop 0.1.0").await;
        s.key(KeyCode::Char('1'));
        s.key(KeyCode::Char('b'));
        s.until_that("the rebuilt plugin registered", || {
            registrations(&handle) == 2
        })
        .await;
        s.key(KeyCode::Char('4'));
        s.until_screen("both builds in the output pane", |screen| {
            screen.matches("$ go build -o plugin ./cmd/plugin").count() == 2
        })
        .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    assert!(dir.join("plugin").is_file());
    c.finish().await;
}

/// `test` builds a scenario's plugin first too; a failed build is the scenario's error, with
/// the compiler's lines.
#[test]
fn test_builds_the_scenarios_plugin_first() {
    if !have_go() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = go_plugin(tmp.path());
    let out = tgo(&["test", &dir.display().to_string()], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dir.join("plugin").is_file());

    std::fs::write(
        dir.join("cmd/plugin/broken.go"),
        "package main\n\nfunc broken() { undefined_thing() }\n",
    )
    .unwrap();
    let out = tgo(&["test", &dir.display().to_string()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("plugin: build failed"), "{}", text(&out));
    assert!(
        stdout.contains("undefined: undefined_thing"),
        "{}",
        text(&out)
    );
}
