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
}
