//! What the command line and the config file accept, as a user types them: the real binary.
//! A bad value is refused with a message naming it and exit code 2, never a panic.

mod common;

use common::BIN;
use std::process::{Command, Output};

fn run(dir: &tempfile::TempDir, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--socket"])
        .arg(dir.path().join("tgo.sock"))
        .args(["--log-file"])
        .arg(dir.path().join("console.log"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .expect("tgo-console runs")
}

fn refused(args: &[&str], names: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?} exits 2:\n{err}");
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    assert!(
        err.contains(names),
        "{args:?}: the message names {names:?}:\n{err}"
    );
    assert!(
        err.contains("seconds"),
        "{args:?}: says what is wanted:\n{err}"
    );
}

#[test]
fn durations_that_are_not_a_sensible_number_of_seconds_are_refused() {
    for bad in ["inf", "1e30", "NaN", "0", "-1", "-0.5", "soon", "1e-9"] {
        refused(&["--timeout", bad, "check", "--demo"], "--timeout");
        refused(&["check", "--wait", bad, "--demo"], "--wait");
        refused(&["bench", "--duration", bad, "--demo"], "--duration");
    }
    // The console itself refuses before it needs a terminal.
    refused(&["--timeout", "inf", "--demo"], "--timeout");
}

#[test]
fn a_config_timeout_that_is_not_a_sensible_number_of_seconds_is_refused() {
    for bad in ["inf", "nan", "0", "-3", "1e30"] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, format!("timeout = {bad}\n")).unwrap();
        let out = run(
            &dir,
            &["--config", config.to_str().unwrap(), "check", "--demo"],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "timeout = {bad}:\n{err}");
        assert!(!err.contains("panicked"), "timeout = {bad}:\n{err}");
        assert!(
            err.contains("config.toml") && err.contains("timeout") && err.contains("seconds"),
            "timeout = {bad}:\n{err}"
        );
    }
}

#[test]
fn good_durations_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &dir,
        &["--timeout", "2.5", "check", "--wait", "10", "--demo"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The log it created holds what plugins said: its owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("console.log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Exit codes as documented, the same for every subcommand: 2 could not run (the socket is
/// taken by another host, the plugin command does not exist), 1 the plugin failed.
#[test]
fn every_subcommand_exits_2_when_another_host_is_listening() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let mut first = Command::new(BIN)
        .args(["check", "--wait", "30", "--socket"])
        .arg(&socket)
        .env("XDG_STATE_HOME", dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::until_exists(
        &socket,
        std::time::Duration::from_secs(10),
        "the first check listening",
    );
    for args in [&["check", "--demo"][..], &["bench", "--demo"][..]] {
        let out = run(&dir, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("already listening"), "{args:?}: {err}");
    }
    let _ = first.kill();
    let _ = first.wait();
}

#[test]
fn bench_exits_1_when_the_plugin_fails_and_2_when_it_cannot_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &dir,
        &["bench", "--", "sh", "-c", "echo giving up >&2; exit 3"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("giving up"), "{err}");
    let out = run(&dir, &["bench", "--", "/nonexistent/plugin"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot start"), "{err}");
}

/// TCP has no authentication: `--help` says so, and a bind that other machines can reach is
/// warned about on stderr by the headless commands.
#[test]
fn tcp_without_authentication_is_said() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("no authentication"), "{help}");
    let dir = tempfile::tempdir().unwrap();
    let out = run(&dir, &["--tcp", "0.0.0.0:0", "check", "--demo"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("0.0.0.0") && err.contains("no authentication"),
        "warned on stderr: {err}"
    );
    let out = run(&dir, &["--tcp", "127.0.0.1:0", "check", "--demo"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("no authentication"),
        "loopback is not warned about: {err}"
    );
}
