//! The end of each command's `--help` (and man page): a few real examples, then the exit codes
//! (docs/config.md has them in full). A new subcommand gets a function here and
//! `#[command(after_help = help::NAME())]`.

use clap::builder::StyledStr;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::scenario::cli::print_stdout;

/// "Examples:" (each a comment, then the command) and "Exit codes:", headed as clap heads its
/// own sections (plain text when clap writes without colour, and in the man page).
fn after(examples: &[(&str, &str)], exit_codes: &[(&str, &str)]) -> StyledStr {
    let header = clap::builder::Styles::default().get_header().to_owned();
    let mut text = String::new();
    let _ = writeln!(text, "{header}Examples:{header:#}");
    for (what, command) in examples {
        let _ = writeln!(text, "  # {what}\n  {command}");
    }
    let _ = write!(text, "\n{header}Exit codes:{header:#}");
    for (code, meaning) in exit_codes {
        let _ = write!(text, "\n  {code:<6} {meaning}");
    }
    StyledStr::from(text)
}

/// Every command exits with 2 on a command-line mistake, whatever else 2 means for it.
const MISTAKE: &str = "a command-line mistake (an unknown flag, a missing argument), or";

pub(super) fn console() -> StyledStr {
    after(
        &[
            (
                "The console with the built-in demo plugin connected",
                "tgo-console --demo --socket /tmp/tgo.sock",
            ),
            (
                "Launch a plugin from its directory and restart it on every save",
                "tgo-console --socket /tmp/tgo.sock --watch examples/plugins/orders",
            ),
            (
                "Record the session (see `tgo-console replay`)",
                "tgo-console --demo --socket /tmp/tgo.sock --record session.jsonl",
            ),
            (
                "Between plugins and the real TGO host of this machine (plugins dial the proxy)",
                "tgo-console --upstream unix:/var/run/tgo/tgo.sock --socket /tmp/tgo-proxy.sock",
            ),
        ],
        &[
            ("0", "quit normally"),
            (
                "2",
                &format!(
                    "{MISTAKE} could not start: no terminal, a bad theme or config file, the socket taken, the --record file there already"
                ),
            ),
            ("128+N", "killed by signal N"),
        ],
    )
}

pub(super) fn check() -> StyledStr {
    after(
        &[
            (
                "The built-in demo plugin, as CI runs it",
                "tgo-console check --demo",
            ),
            (
                "A plugin from its directory; warnings fail too; a JUnit report",
                "tgo-console check --strict --junit check.xml examples/plugins/orders",
            ),
            (
                "A plugin started by a command, with a JSON report",
                "tgo-console check --format json -- python3 examples/plugins/orders/main.py",
            ),
            (
                "Wait for a plugin you start yourself to dial the socket",
                "tgo-console check --socket /tmp/tgo.sock",
            ),
        ],
        &[
            (
                "0",
                "every step passed (warnings allowed, unless --strict / --fail-on warn)",
            ),
            (
                "1",
                "a step failed (or, with --strict, warned): no register, an error, a timeout, invalid JSON-UI",
            ),
            (
                "2",
                &format!(
                    "{MISTAKE} the check could not run: socket taken, the plugin cannot start, manifest unreadable, bad config file"
                ),
            ),
        ],
    )
}

pub(super) fn test() -> StyledStr {
    after(
        &[
            (
                "Every *.scenario.yml below the current directory",
                "tgo-console test",
            ),
            (
                "One scenario; new or changed snapshots become the golden files",
                "tgo-console test --update examples/plugins/orders/orders.scenario.yml",
            ),
            (
                "A scenario replaying a recorded session (from --record)",
                "tgo-console test --from-recording session.jsonl --manifest examples/plugins/orders",
            ),
        ],
        &[
            ("0", "every step of every scenario passed"),
            (
                "1",
                "a step failed: an expectation, a changed snapshot, a plugin error, a timeout",
            ),
            (
                "2",
                &format!(
                    "{MISTAKE} a scenario could not run: unreadable or wrong file, the plugin never registered"
                ),
            ),
        ],
    )
}

pub(super) fn call() -> StyledStr {
    after(
        &[
            (
                "Render the demo's visitor panel, as JSON",
                "tgo-console call visitor_panel/render --demo",
            ),
            (
                "Draw a plugin's panel as the console draws it, 60 columns wide",
                "tgo-console call visitor_panel/render --format ui --width 60 examples/plugins/orders",
            ),
            (
                "Press a button",
                r#"tgo-console call visitor_panel/event '{"action_id": "view_all"}' examples/plugins/orders"#,
            ),
        ],
        &[
            ("0", "the plugin answered a result"),
            (
                "1",
                "the plugin answered an error, timed out, disconnected, answered invalid JSON-UI, never registered",
            ),
            (
                "2",
                &format!(
                    "{MISTAKE} the call could not run: PARAMS_JSON not JSON, bad --context file, the plugin cannot start"
                ),
            ),
        ],
    )
}

pub(super) fn bench() -> StyledStr {
    after(
        &[
            (
                "The demo plugin, 10 000 renders",
                "tgo-console bench --demo",
            ),
            (
                "64 requests in flight",
                "tgo-console bench --requests 20000 --concurrency 64 examples/plugins/orders",
            ),
            (
                "The host alone, against a minimal host, for CI",
                "tgo-console bench --baseline --format json -- tgo-console bench-plugin",
            ),
        ],
        &[
            (
                "0",
                "the run finished (failed requests are in the report, not the exit code)",
            ),
            (
                "1",
                "the run could not happen: the host or the plugin did not start, nothing to call",
            ),
            (
                "2",
                &format!("{MISTAKE} no plugin given, --params not JSON, manifest unreadable"),
            ),
        ],
    )
}

pub(super) fn proxy() -> StyledStr {
    after(
        &[
            (
                "Every frame between this machine's TGO host and its plugins, recorded",
                "tgo-console proxy --upstream unix:/var/run/tgo/tgo.sock --socket /tmp/tgo-proxy.sock --record real.jsonl",
            ),
            (
                "A remote TGO host's TCP port, with a dev token (TGO_DEV_TOKEN also works)",
                "tgo-console proxy --upstream tcp:tgo.example.com:8005 --dev-token eyJhbGciOi... --socket /tmp/tgo-proxy.sock",
            ),
            (
                "As JSON lines, one per frame",
                "tgo-console proxy --upstream unix:/var/run/tgo/tgo.sock --socket /tmp/tgo-proxy.sock --format json",
            ),
        ],
        &[
            ("0", "stopped by Ctrl-C or SIGTERM"),
            (
                "2",
                &format!(
                    "{MISTAKE} could not start: a bad ADDR, the socket taken, --socket is the upstream's own socket, the --record file there already"
                ),
            ),
        ],
    )
}

pub(super) fn replay() -> StyledStr {
    after(
        &[
            (
                "Look at a recorded session again",
                "tgo-console replay session.jsonl",
            ),
            (
                "In the light theme, only the slow answers",
                r#"tgo-console replay --theme light --filter "latency:>200ms" session.jsonl"#,
            ),
        ],
        &[
            (
                "0",
                "the recording was shown (unreadable lines are listed on stderr)",
            ),
            (
                "2",
                &format!("{MISTAKE} no terminal, the file cannot be read, bad theme or config"),
            ),
        ],
    )
}

pub(super) fn new() -> StyledStr {
    after(
        &[
            (
                "A Python plugin in ./my-plugin, then its check",
                "tgo-console new python my-plugin && tgo-console check my-plugin",
            ),
            (
                "A Go plugin named orders",
                "tgo-console new go ./orders-plugin --name orders",
            ),
        ],
        &[
            ("0", "the plugin was written"),
            (
                "2",
                &format!(
                    "{MISTAKE} DIR is not empty (without --force), the name cannot be used, a file cannot be written"
                ),
            ),
        ],
    )
}

pub(super) fn build() -> StyledStr {
    after(
        &[
            (
                "A Go plugin: go build -o <go.output> <go.main>, as the runtime does",
                "tgo-console build ./orders-plugin",
            ),
            (
                "Every plugin of a directory of plugins (venv + pip, npm install, go build)",
                "tgo-console build ~/src/my-plugins",
            ),
        ],
        &[
            ("0", "every plugin was built"),
            (
                "1",
                "a build failed: a tool is missing ('go' compiler not found) or a step failed (its errors above)",
            ),
            (
                "2",
                &format!("{MISTAKE} a manifest cannot be read or has nothing to build"),
            ),
        ],
    )
}

pub(super) fn install() -> StyledStr {
    after(
        &[
            (
                "A plugin from a directory of a git repository, at a tag",
                "tgo-console install https://github.com/acme/tgo-plugins --ref v1.2.0 --path plugins/orders",
            ),
            (
                "A release binary, under the id it registers with",
                "tgo-console install https://releases.example.com/orders-linux-amd64 --id com.acme.orders",
            ),
            (
                "A local repository, replacing the installed copy",
                "tgo-console install ~/src/orders-plugin --force",
            ),
        ],
        &[
            (
                "0",
                "installed in $XDG_DATA_HOME/tgo-console/plugins/<id> and built",
            ),
            (
                "1",
                "git or the download failed, or the build did (nothing is left installed)",
            ),
            (
                "2",
                &format!(
                    "{MISTAKE} a manifest without an id, an id already installed, --path not in the repository"
                ),
            ),
        ],
    )
}

pub(super) fn uninstall() -> StyledStr {
    after(
        &[
            (
                "Stop what runs from it, then remove it (`tgo-console list` shows the ids)",
                "tgo-console uninstall com.acme.orders",
            ),
            (
                "Start over from another tag",
                "tgo-console uninstall com.acme.orders && tgo-console install https://github.com/acme/tgo-plugins --ref v1.3.0 --path plugins/orders",
            ),
        ],
        &[
            ("0", "removed"),
            ("1", "its directory could not be removed"),
            ("2", &format!("{MISTAKE} it is not installed")),
        ],
    )
}

pub(super) fn list() -> StyledStr {
    after(
        &[
            (
                "Id, name and version, source, directory",
                "tgo-console list",
            ),
            (
                "Run an installed plugin in the console by its id",
                "tgo-console list && tgo-console com.acme.orders",
            ),
        ],
        &[
            ("0", "the list was printed"),
            ("2", &format!("{MISTAKE} a bad config file")),
        ],
    )
}

pub(super) fn keys() -> StyledStr {
    after(
        &[
            (
                "The key map, as the help screen shows it",
                "tgo-console keys",
            ),
            (
                "As a Markdown table (the README's)",
                "tgo-console keys --format markdown",
            ),
        ],
        &[
            ("0", "the map was printed"),
            (
                "2",
                &format!("{MISTAKE} a bad key, action, scope, command or filter in the config"),
            ),
        ],
    )
}

pub(super) fn screenshots() -> StyledStr {
    after(
        &[
            (
                "The README's pictures, into ./screenshots",
                "tgo-console screenshots",
            ),
            (
                "In the light theme, somewhere else",
                "tgo-console screenshots --theme light /tmp/shots",
            ),
        ],
        &[
            ("0", "the pictures were written"),
            (
                "2",
                &format!("{MISTAKE} a bad theme, a file could not be written"),
            ),
        ],
    )
}

pub(super) fn completions() -> StyledStr {
    after(
        &[
            (
                "bash",
                "tgo-console completions bash > ~/.local/share/bash-completion/completions/tgo-console",
            ),
            (
                "zsh (a directory on $fpath)",
                "tgo-console completions zsh > ~/.zfunc/_tgo-console",
            ),
            (
                "fish",
                "tgo-console completions fish > ~/.config/fish/completions/tgo-console.fish",
            ),
        ],
        &[
            ("0", "the script was printed"),
            ("2", "a command-line mistake (a shell it does not know)"),
        ],
    )
}

pub(super) fn man() -> StyledStr {
    after(
        &[
            ("Read it now", "tgo-console man | man -l -"),
            (
                "Install the pages where man finds them",
                "tgo-console man --dir ~/.local/share/man/man1",
            ),
        ],
        &[
            ("0", "the page was printed, or the pages written"),
            ("2", &format!("{MISTAKE} a page could not be written")),
        ],
    )
}

pub(super) fn demo_plugin() -> StyledStr {
    after(
        &[
            (
                "Dial a console listening on /tmp/tgo.sock",
                "tgo-console demo-plugin --socket /tmp/tgo.sock",
            ),
            (
                "A second demo over TCP",
                "tgo-console demo-plugin --dial-tcp 127.0.0.1:8005 --id com.tgo.demo2",
            ),
        ],
        &[
            ("0", "ran until shutdown, or the host went away"),
            ("1", "could not connect, or the connection failed"),
            ("2", &format!("{MISTAKE} a bad config file")),
        ],
    )
}

pub(super) fn bench_plugin() -> StyledStr {
    after(
        &[
            (
                "What `bench --baseline` measures the host with",
                "tgo-console bench --baseline -- tgo-console bench-plugin",
            ),
            (
                "Dial a host listening on /tmp/tgo.sock",
                "tgo-console bench-plugin --socket /tmp/tgo.sock",
            ),
        ],
        &[
            ("0", "ran until the host went away"),
            ("1", "could not connect, or the connection failed"),
            ("2", MISTAKE.trim_end_matches(", or")),
        ],
    )
}

/// `tgo-console completions SHELL`: the script on stdout.
pub(super) fn print_completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = <super::Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "tgo-console", &mut script);
    print_stdout(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}

/// `tgo-console man`: the page on stdout, or with `dir` one page per visible command there.
pub(super) fn man_pages(dir: Option<&Path>) -> ExitCode {
    let command = <super::Cli as clap::CommandFactory>::command();
    let written = match dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map(|()| print_stdout(&String::from_utf8_lossy(&page)))
                .map(|()| Vec::new())
        }
        Some(dir) => write_pages(command, dir),
    };
    match written {
        Ok(files) => {
            for file in files {
                println!("wrote {}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let dir = dir.map(|d| format!(" into {}", d.display()));
            eprintln!(
                "tgo-console: cannot write the man page{}: {e}",
                dir.unwrap_or_default()
            );
            ExitCode::from(2)
        }
    }
}

fn write_pages(command: clap::Command, dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    // Built, so each subcommand's page is named after its full name (tgo-console-check.1).
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut files = vec![clap_mangen::Man::new(command.clone()).generate_to(dir)?];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        files.push(clap_mangen::Man::new(sub.clone()).generate_to(dir)?);
    }
    Ok(files)
}
