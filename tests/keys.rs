//! The README's key table is the default keymap, as `tgo-console keys --format markdown`
//! prints it: change a default key and this fails until the README follows (issue 11.1).

use tgo_console::tui::keymap::Keymap;

#[test]
fn the_readme_key_table_is_the_default_keymap() {
    let readme = include_str!("../README.md");
    let (begin, end) = ("<!-- keys:begin -->", "<!-- keys:end -->");
    let start = readme.find(begin).expect("README has <!-- keys:begin -->") + begin.len();
    let stop = readme[start..]
        .find(end)
        .expect("README has <!-- keys:end -->")
        + start;
    let written = readme[start..stop].trim();
    let generated = Keymap::default().markdown();
    assert!(
        written == generated.trim(),
        "the README's key table differs from the default keymap: paste the output of \
         `cargo run -- keys --format markdown` between the markers.\n{generated}"
    );
}

fn console(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tgo-console"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap()
}

/// A config's mistakes stop the console before it takes the terminal, each named by file,
/// line and key, all at once; `keys` prints the map the user's config makes.
#[test]
fn config_mistakes_are_named_by_line_and_keys_prints_the_effective_map() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[keys.global]\nquti = [\"ctrl-q\"]\n[keys.inspector]\nfilter = [\"ctrl-f\", \"hyper-x\"]\nfollow = [\"ctrl-f\"]\n[keys.sidebar]\nclose = [\"esc\"]\n",
    )
    .unwrap();
    let config = path.to_str().unwrap();
    let out = console(&["--config", config]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for expected in [
        format!("{config}:2: [keys.global] \"quti\": no such action (did you mean \"quit\"?)"),
        format!("{config}:4: [keys.inspector] "),
        "hyper-x".to_string(),
        "is bound to both".to_string(),
        format!("{config}:6: [keys.sidebar]: no such scope"),
        "4 error(s)".to_string(),
    ] {
        assert!(err.contains(&expected), "{expected:?} missing in\n{err}");
    }

    std::fs::write(&path, "[keys.global]\nquit = [\"ctrl-q\"]\n").unwrap();
    let out = console(&["--config", config, "keys"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let quit = text
        .lines()
        .find(|l| l.trim_start().starts_with("quit "))
        .unwrap();
    assert!(quit.contains("ctrl-q") && !quit.contains(" q "), "{quit}");
    let out = console(&["--config", config, "keys", "--format", "markdown"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("| `ctrl-q` | `quit` |"));
}
