//! The command line's conventions, through the real binary: every `--help` ends with examples
//! and exit codes and lists only the flags its command uses, flags are taken after the
//! subcommand as before it, a mistyped command is named, completions and man pages.

mod common;

use clap::{CommandFactory, Parser};
use common::BIN;
use std::process::{Command, Output};
use tgo_console::cli::Cli;

fn tgo(args: &[&str], env: &[(&str, &str)]) -> Output {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env("XDG_STATE_HOME", state.path())
        .env("XDG_CONFIG_HOME", state.path())
        .env_remove("TGO_SOCKET_PATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("tgo-console runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every subcommand's name, hidden ones too.
fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The examples (lines starting with `tgo-console`) and exit codes (`0`, `1`, `2`, `128+N`)
/// at the end of a help text, checked to be its last sections.
fn examples_and_exit_codes(what: &str, help: &str) -> (Vec<String>, Vec<String>) {
    let examples_at = help
        .find("\nExamples:\n")
        .unwrap_or_else(|| panic!("{what}: no Examples:\n{help}"));
    let codes_at = help
        .find("\nExit codes:\n")
        .unwrap_or_else(|| panic!("{what}: no Exit codes:\n{help}"));
    assert!(examples_at < codes_at, "{what}: examples, then exit codes");
    let examples: Vec<String> = help[examples_at..codes_at]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("tgo-console"))
        .map(String::from)
        .collect();
    let codes: Vec<String> = help[codes_at..]
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    (examples, codes)
}

#[test]
fn every_help_ends_with_two_to_four_examples_and_the_exit_codes() {
    let mut commands = vec![vec!["--help"]];
    let names = subcommands();
    for name in &names {
        commands.push(vec![name, "--help"]);
    }
    assert!(names.len() >= 12, "{names:?}");
    for args in commands {
        let out = tgo(&args, &[]);
        let help = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let (examples, codes) = examples_and_exit_codes(&format!("{args:?}"), &help);
        assert!(
            (2..=4).contains(&examples.len()),
            "{args:?}: {examples:?}\n{help}"
        );
        // An example is a command line of this very command.
        let prefix = match args[0] {
            "--help" => "tgo-console".to_string(),
            "bench-plugin" => "tgo-console bench".to_string(),
            sub => format!("tgo-console {sub}"),
        };
        for example in &examples {
            assert!(example.starts_with(&prefix), "{args:?}: {example}");
        }
        assert_eq!(codes.first().map(String::as_str), Some("0"), "{args:?}");
        assert!(codes.iter().any(|c| c == "2"), "{args:?}: {codes:?}");
        for code in &codes {
            assert!(
                ["0", "1", "2", "128+N"].contains(&code.as_str()),
                "{args:?}: {code:?} in {codes:?}"
            );
        }
    }
}

/// The examples are real: every subcommand and flag they use is one the parser takes.
#[test]
fn every_example_parses() {
    let mut helps = vec![stdout(&tgo(&["--help"], &[]))];
    for name in subcommands() {
        helps.push(stdout(&tgo(&[&name, "--help"], &[])));
    }
    let mut seen = 0;
    for help in &helps {
        let (examples, _) = examples_and_exit_codes("help", help);
        for example in examples {
            let line = example.split(" > ").next().unwrap();
            let line = line.split(" | ").next().unwrap();
            let line = line.split(" && ").next().unwrap();
            let words = shlex::split(line).unwrap_or_else(|| panic!("{line}: shell words"));
            if let Err(e) = Cli::try_parse_from(&words) {
                panic!("{example}: {e}");
            }
            seen += 1;
        }
    }
    assert!(seen >= 25, "{seen} examples");
}

const HOST_ONLY: [&str; 5] = [
    "--socket-mode",
    "--tcp",
    "--timeout",
    "--max-frame-bytes",
    "--log-budget-mib",
];

#[test]
fn each_command_lists_only_the_flags_it_uses() {
    for sub in ["check", "bench", "test", "call"] {
        let help = stdout(&tgo(&[sub, "--help"], &[]));
        for flag in HOST_ONLY.iter().chain(&["--socket"]) {
            assert!(help.contains(flag), "{sub} starts a host: {flag}\n{help}");
        }
        assert!(!help.contains("--theme"), "{sub} draws nothing:\n{help}");
    }
    for sub in [
        "replay",
        "screenshots",
        "demo-plugin",
        "bench-plugin",
        "keys",
        "new",
        "completions",
        "man",
    ] {
        let help = stdout(&tgo(&[sub, "--help"], &[]));
        for flag in HOST_ONLY {
            assert!(!help.contains(flag), "{sub} starts no host: {flag}\n{help}");
        }
        let dials = ["demo-plugin", "bench-plugin"].contains(&sub);
        assert_eq!(help.contains("--socket"), dials, "{sub}:\n{help}");
        let draws = ["replay", "screenshots"].contains(&sub);
        assert_eq!(help.contains("--theme"), draws, "{sub}:\n{help}");
        // The global ones, under their own heading.
        assert!(help.contains("Global options:\n"), "{sub}:\n{help}");
        assert!(help.contains("--config"), "{sub}:\n{help}");
    }
}

#[test]
fn theme_is_taken_after_replay_as_before_it() {
    for args in [
        &["replay", "--theme", "no-such-theme", "session.jsonl"][..],
        &["replay", "session.jsonl", "--theme", "no-such-theme"],
        &["--theme", "no-such-theme", "replay", "session.jsonl"],
    ] {
        let out = tgo(args, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        // The theme was read (and refused) before anything else: the flag got there.
        assert!(err.contains("theme \"no-such-theme\""), "{args:?}: {err}");
    }
    // A good one is taken: what stops it then is only that there is no terminal.
    let out = tgo(&["replay", "--theme", "light", "session.jsonl"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("replay needs a terminal"),
        "{}",
        stderr(&out)
    );
}

/// Where `check --demo` listened, from its JSON report.
fn listened(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = tgo(args, env);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["listening"][0].as_str().unwrap().to_string()
}

#[test]
fn host_flags_are_taken_after_the_subcommand_and_win_over_those_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let [before, after, env] = ["before.sock", "after.sock", "env.sock"]
        .map(|name| dir.path().join(name).display().to_string());
    let check = ["check", "--demo", "--format", "json", "--wait", "10"];
    let with = |extra: &[&str], tail: &[&str]| -> Vec<String> {
        extra
            .iter()
            .chain(&check)
            .chain(tail)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: Vec<String>, env_socket: Option<&str>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env_socket
            .map(|s| vec![("TGO_SOCKET_PATH", s)])
            .unwrap_or_default();
        listened(&args, &env)
    };
    assert_eq!(run(with(&[], &["--socket", &after]), None), after);
    assert_eq!(run(with(&["--socket", &before], &[]), None), before);
    assert_eq!(
        run(with(&["--socket", &before], &["--socket", &after]), None),
        after
    );
    // A flag wins over the environment, wherever it is.
    assert_eq!(run(with(&[], &[]), Some(&env)), env);
    assert_eq!(run(with(&["--socket", &before], &[]), Some(&env)), before);
    assert_eq!(run(with(&[], &["--socket", &after]), Some(&env)), after);
}

#[test]
fn a_mistyped_command_is_named_instead_of_opening_the_console() {
    for (typed, meant) in [
        ("chek", "check"),
        ("tset", "test"),
        ("screnshots", "screenshots"),
        ("Replay", "replay"),
        ("completion", "completions"),
    ] {
        let out = tgo(&[typed], &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{typed}: {err}");
        assert!(
            err.contains(&format!("did you mean `{meant}`?")),
            "{typed}: {err}"
        );
    }
    // Far from every name: taken as the plugin it says it is (and the console needs a terminal).
    let out = tgo(&["my-plugins"], &[]);
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
    // A path that is there is a plugin, whatever its name.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("chek")).unwrap();
    let out = Command::new(BIN)
        .arg("chek")
        .current_dir(dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
    // Two positional arguments are two plugins.
    let out = tgo(&["chek", "tset"], &[]);
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
}

#[test]
fn completions_for_every_shell_know_the_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = tgo(&["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for word in [
            "check",
            "replay",
            "screenshots",
            "completions",
            "socket-mode",
        ] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    let out = tgo(&["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("possible values"), "{}", stderr(&out));
}

#[test]
fn the_man_page_has_the_commands_examples_and_exit_codes() {
    let out = tgo(&["man"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH tgo-console 1"), "{page}");
    for word in ["check", "replay", "completions", "Examples:", "Exit codes:"] {
        assert!(page.contains(word), "no {word}:\n{page}");
    }

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = tgo(&["man", "--dir", pages.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    for name in ["tgo-console.1", "tgo-console-check.1", "tgo-console-man.1"] {
        assert!(written.iter().any(|w| w == name), "{name}: {written:?}");
    }
    // Hidden commands get no page.
    assert!(
        !written.iter().any(|w| w.contains("demo-plugin")),
        "{written:?}"
    );
    let check = std::fs::read_to_string(pages.join("tgo-console-check.1")).unwrap();
    assert!(check.contains("tgo\\-console check \\-\\-demo"), "{check}");
    assert_eq!(
        stdout(&out).lines().count(),
        written.len(),
        "{}",
        stdout(&out)
    );
}
