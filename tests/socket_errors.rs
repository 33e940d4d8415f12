//! A socket path the user cannot use: the real binary says why once, and what to do.

mod common;

use common::BIN;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

/// `tgo-console <sub> --demo --socket SOCKET`, as uid `as_uid` when given.
fn run(bin: &Path, sub: &str, socket: &Path, state: &Path, as_uid: Option<u32>) -> Output {
    let mut cmd = Command::new(bin);
    cmd.arg(sub).arg("--demo").arg("--socket").arg(socket);
    if sub == "bench" {
        cmd.args(["--requests", "1"]);
    }
    cmd.env("XDG_STATE_HOME", state)
        .env("XDG_CONFIG_HOME", state)
        .env("USER", "someone")
        .env_remove("TGO_SOCKET_PATH");
    if let Some(uid) = as_uid {
        cmd.uid(uid).gid(uid);
    }
    cmd.output().expect("tgo-console runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_socket_path_under_a_file_is_explained_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let socket = file.join("tgo.sock");
    for sub in ["check", "bench"] {
        let out = run(Path::new(BIN), sub, &socket, dir.path(), None);
        let err = stderr(&out);
        assert!(!out.status.success(), "{sub}: {err}");
        assert_eq!(err.matches("(os error").count(), 1, "{sub}: {err}");
        assert!(
            err.contains(&format!(
                "hint: a part of {} is a file, not a directory",
                file.display()
            )),
            "{sub}: {err}"
        );
        assert!(err.contains("--socket"), "{sub}: {err}");
    }
}

#[test]
fn an_unwritable_socket_directory_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root writes anywhere: run as nobody then, from a copy of the binary nobody can reach.
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let (bin, as_uid) = if root {
        let copy = dir.path().join("tgo-console");
        std::fs::copy(BIN, &copy).unwrap();
        (copy, Some(65534))
    } else {
        (BIN.into(), None)
    };
    let socket = locked.join("tgo.sock");
    for sub in ["check", "bench"] {
        let out = run(&bin, sub, &socket, &locked, as_uid);
        let err = stderr(&out);
        assert!(!out.status.success(), "{sub}: {err}");
        assert_eq!(
            err.matches("Permission denied (os error 13)").count(),
            1,
            "{sub}: {err}"
        );
        for hint in [
            format!("hint: you cannot write to {}", locked.display()),
            "--socket /tmp/tgo.sock (or set TGO_SOCKET_PATH".to_string(),
            format!("sudo chown $USER {}", locked.display()),
        ] {
            assert!(err.contains(&hint), "{sub}: missing {hint:?} in\n{err}");
        }
        // Not under /run: no tmpfiles.d line.
        assert!(!err.contains("tmpfiles.d"), "{sub}: {err}");
    }
}
