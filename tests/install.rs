//! `tgo-console install`, `list` and `uninstall` with real tools and no outside network: a
//! local git repository (with `--ref` and `--path`), a binary served on 127.0.0.1, the
//! installed plugin run by its id, and uninstall stopping what runs from it.

mod common;

use common::{BIN, repo_path};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output};

/// The console with its data, state and config in `home`.
fn tgo(args: &[&str], home: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("TGO_SOCKET_PATH")
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .output()
        .expect("tgo-console runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

/// A scripted plugin's files: its script, and a `main.py` running `scripted.py` on it.
fn scripted_files(dir: &Path, id: &str, version: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let script = serde_json::json!({
        "register": {"id": id, "name": "orders", "version": version,
            "capabilities": [{"type": "visitor_panel", "title": "Orders"}]},
        "answers": {"visitor_panel/render": {"template": "text", "data": {"text": version}}}
    });
    std::fs::write(dir.join("script.json"), script.to_string()).unwrap();
    let scripted = repo_path("tests/plugins/scripted.py").display().to_string();
    std::fs::write(
        dir.join("main.py"),
        format!(
            "import runpy, sys\nsys.argv = [{scripted:?}, 'script.json']\nrunpy.run_path({scripted:?}, run_name='__main__')\n"
        ),
    )
    .unwrap();
}

/// A repository whose `plugins/orders` is version 1.0.0 on the default branch and 2.0.0 on
/// the branch `next`; another plugin beside it is not to be installed.
fn repository(root: &Path) -> std::path::PathBuf {
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "--quiet", "--initial-branch=main"]);
    let plugin = repo.join("plugins/orders");
    let manifest = |version: &str| {
        format!(
            "id: com.test.orders\nname: orders\nversion: {version}\nbuild:\n  language: python\n"
        )
    };
    scripted_files(&plugin, "com.test.orders", "1.0.0");
    std::fs::write(plugin.join("plugin.yml"), manifest("1.0.0")).unwrap();
    scripted_files(&repo.join("plugins/other"), "com.test.other", "9");
    std::fs::write(repo.join("README.md"), "plugins\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "--quiet", "-m", "one"]);
    git(&repo, &["checkout", "--quiet", "-b", "next"]);
    scripted_files(&plugin, "com.test.orders", "2.0.0");
    std::fs::write(plugin.join("plugin.yml"), manifest("2.0.0")).unwrap();
    git(&repo, &["commit", "--quiet", "-am", "two"]);
    git(&repo, &["checkout", "--quiet", "main"]);
    repo
}

fn check(home: &Path, plugin: &str) -> Output {
    let socket = home.join("tgo.sock").display().to_string();
    tgo(&["check", "--socket", &socket, plugin], home)
}

#[test]
fn a_git_plugin_is_installed_at_a_ref_and_path_built_listed_run_by_id_and_uninstalled() {
    let home = tempfile::tempdir().unwrap();
    let repo = repository(home.path());
    let out = tgo(
        &[
            "install",
            &repo.display().to_string(),
            "--ref",
            "next",
            "--path",
            "plugins/orders",
        ],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = home.path().join("data/tgo-console/plugins/com.test.orders");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("installed com.test.orders"),
        "{}",
        text(&out)
    );
    // The ref's version, the path's files only, and built (its build section: a venv).
    let manifest = std::fs::read_to_string(dir.join("plugin.yml")).unwrap();
    assert!(manifest.contains("version: 2.0.0"), "{manifest}");
    assert!(!dir.join("plugins").exists() && !dir.join("README.md").exists());
    assert!(!dir.join(".git").exists());
    assert!(dir.join(".venv/bin/python3").exists(), "built");

    let out = tgo(&["list"], home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed.contains("com.test.orders  orders 2.0.0")
            && listed.contains("@ next : plugins/orders"),
        "{listed}"
    );

    // Its id stands for it wherever a plugin is named.
    let out = check(home.path(), "com.test.orders");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("text [default] 2.0.0"),
        "{}",
        text(&out)
    );

    // Installing it again needs --force.
    let again = [
        "install",
        &repo.display().to_string(),
        "--path",
        "plugins/orders",
    ];
    let out = tgo(&again, home.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already installed"));
    let mut forced = again.to_vec();
    forced.push("--force");
    let out = tgo(&forced, home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let manifest = std::fs::read_to_string(dir.join("plugin.yml")).unwrap();
    assert!(
        manifest.contains("version: 1.0.0"),
        "the default branch now"
    );

    let out = tgo(&["uninstall", "com.test.orders"], home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!dir.exists());
    let out = tgo(&["list"], home.path());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no plugin installed"),
        "{}",
        text(&out)
    );
    let out = tgo(&["uninstall", "com.test.orders"], home.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not installed"));
}

#[test]
fn a_bad_ref_or_path_installs_nothing() {
    let home = tempfile::tempdir().unwrap();
    let repo = repository(home.path()).display().to_string();
    let out = tgo(&["install", &repo, "--ref", "nope"], home.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("git -C"));
    let out = tgo(&["install", &repo, "--path", "../../etc"], home.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not in the repository"));
    let plugins = home.path().join("data/tgo-console/plugins");
    let left: Vec<_> = std::fs::read_dir(&plugins).unwrap().flatten().collect();
    assert!(left.is_empty(), "nothing staged is left: {left:?}");
}

/// Serves `body` at `/NAME` on 127.0.0.1 (anything else: 404), one connection at a time, for
/// as long as the test runs. Returns the base URL.
fn serve(name: &'static str, body: Vec<u8>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // The rest of the head.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let (status, payload): (&str, &[u8]) = if path == format!("/{name}") {
                ("200 OK", &body)
            } else {
                ("404 Not Found", b"not found")
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                payload.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(payload);
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_binary_served_on_localhost_is_installed_run_and_stopped_by_uninstall() {
    let home = tempfile::tempdir().unwrap();
    let files = home.path().join("files");
    scripted_files(&files, "com.test.bin", "3.0.0");
    // The "release binary": a program that runs the scripted plugin from where it was put.
    let binary = format!(
        "#!/bin/sh\ncd {:?} && exec python3 main.py\n",
        files.display().to_string()
    );
    let url = format!(
        "{}/orders-plugin",
        serve("orders-plugin", binary.into_bytes())
    );
    let out = tgo(&["install", &url, "--id", "com.test.bin"], home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = home.path().join("data/tgo-console/plugins/com.test.bin");
    assert!(dir.join("orders-plugin").is_file());
    let manifest = std::fs::read_to_string(dir.join("plugin.yml")).unwrap();
    assert!(manifest.contains("command: ./orders-plugin"), "{manifest}");
    assert!(manifest.contains(&url), "{manifest}");

    let out = tgo(&["list"], home.path());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("com.test.bin  com.test.bin -  {url}")),
        "{}",
        text(&out)
    );
    let out = check(home.path(), "com.test.bin");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("text [default] 3.0.0"));

    // A process launched for a host from its directory (the console's plugins carry
    // TGO_SOCKET_PATH): uninstall stops it.
    let mut waiting = Command::new("sh")
        .args(["-c", "exec sleep 60"])
        .current_dir(&dir)
        .env("TGO_SOCKET_PATH", home.path().join("nobody.sock"))
        .spawn()
        .unwrap();
    let out = tgo(&["uninstall", "com.test.bin"], home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("stopped 1 process(es)"),
        "{}",
        text(&out)
    );
    let status = waiting.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGTERM)
    );
    assert!(!dir.exists());
}

#[test]
fn a_binary_url_that_is_not_there_fails_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("{}/missing", serve("elsewhere", Vec::new()));
    let out = tgo(&["install", &url], home.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("downloading"),
        "{}",
        text(&out)
    );
}

/// A Go plugin from `tgo-console new go`, committed as is, installs from its repository and is
/// compiled there (its `.gitignore` keeps the binary out, not `cmd/plugin`).
#[test]
fn a_scaffolded_go_plugin_installs_from_its_repository_and_is_compiled() {
    if Command::new("go").arg("version").output().is_err() {
        eprintln!("skipped: `go` is not on PATH (Debian: apt-get install golang-go)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("gop");
    let out = tgo(
        &["new", "go", &src.display().to_string(), "--name", "gop"],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    git(&src, &["init", "--quiet"]);
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "--quiet", "-m", "scaffold"]);
    let out = tgo(&["install", &src.display().to_string()], home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = home.path().join("data/tgo-console/plugins/com.example.gop");
    assert!(dir.join("plugin").is_file(), "compiled: {}", text(&out));
    let out = check(home.path(), "com.example.gop");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
