//! Command line: clap derive types and the dispatch to each subcommand.

use crate::check::{self, CheckOptions};
use crate::config::Config;
use crate::host::RenderContext;
use crate::host::{DEFAULT_SOCKET_PATH, HostConfig};
use crate::launcher::LaunchSpec;
use crate::protocol::DEFAULT_MAX_FRAME_BYTES;
use crate::tui::setup::Personal;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod help;

#[derive(Parser, Debug)]
#[command(
    name = "tgo-console",
    version,
    about = "A terminal debugging console for TGO plugins: it is the host.",
    after_help = help::console()
)]
pub struct Cli {
    /// Where the log goes (default: $XDG_STATE_HOME/tgo-console/tgo-console.log).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    pub log_file: Option<PathBuf>,
    /// Config file (default: $XDG_CONFIG_HOME/tgo-console/config.toml).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    pub config: Option<PathBuf>,
    /// Console theme: dark, light, high-contrast, or a path to a theme TOML.
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Visitor id of the render context.
    #[arg(long, value_name = "ID")]
    pub visitor: Option<String>,
    /// Also start the built-in demo plugin, so there is something to look at right away.
    #[arg(long)]
    pub demo: bool,
    /// Record every message, event and plugin output line to this JSON-lines file (a new
    /// file, readable by you only; never through a symbolic link).
    #[arg(long, value_name = "FILE.jsonl")]
    pub record: Option<PathBuf>,
    /// Let --record overwrite a file that exists.
    #[arg(long, requires = "record")]
    pub force: bool,
    /// Restart a launched plugin when one of its files changes (and re-render what is shown).
    #[arg(long)]
    pub watch: bool,
    /// Start with the inspector filtered: a saved filter's name (`[[filter]]` in the config)
    /// or a query such as "method:visitor_panel/render latency:>200ms".
    #[arg(long, value_name = "NAME|QUERY")]
    pub filter: Option<String>,
    /// Plugins to launch: a manifest (plugin.yml, plugin.yaml, plugin.json), a directory
    /// holding one, or a directory of such directories.
    #[arg(value_name = "PLUGIN")]
    pub plugins: Vec<PathBuf>,
    /// Proxy mode: plugins that dial this console are registered with the real TGO host at
    /// ADDR (unix:/path/to/tgo.sock or tcp:HOST:PORT) and every frame both ways is relayed
    /// and shown.
    #[arg(long, value_name = "ADDR")]
    pub upstream: Option<crate::host::UpstreamAddr>,
    /// With --upstream: put this dev token into every forwarded register (the real host's TCP
    /// port wants one). TGO_DEV_TOKEN keeps it out of the shell's history.
    #[arg(
        long,
        env = "TGO_DEV_TOKEN",
        hide_env_values = true,
        value_name = "JWT"
    )]
    pub dev_token: Option<String>,
    #[command(flatten)]
    pub host: HostArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options of the host itself, for the console and each subcommand that starts a host (given
/// before the subcommand or after it; after wins). Unset ones take the config file's value or
/// the default (see [`HostArgs::config`]).
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Host options")]
pub struct HostArgs {
    /// Unix socket to listen on (env TGO_SOCKET_PATH) [default: /var/run/tgo/tgo.sock].
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Socket file mode, octal (e.g. 660 to let a group's plugins dial in) [default: 600].
    #[arg(long, value_parser = parse_mode, value_name = "MODE")]
    pub socket_mode: Option<u32>,
    /// Also listen on TCP, e.g. 127.0.0.1:8005 (for plugins in containers). TCP has no
    /// authentication: whoever reaches the port can register as a plugin and read the render
    /// context the host sends. Bind to 127.0.0.1 unless other machines must dial in.
    #[arg(long, value_name = "ADDR")]
    pub tcp: Option<String>,
    /// Seconds to wait for each answer from a plugin [default: 30].
    #[arg(long, value_name = "S", value_parser = parse_seconds, allow_negative_numbers = true)]
    pub timeout: Option<Duration>,
    /// Largest frame accepted; a plugin announcing more is disconnected [default: 16777216].
    #[arg(long, value_name = "BYTES")]
    pub max_frame_bytes: Option<usize>,
    /// Seconds a new connection has to send `register`.
    #[arg(long, value_parser = parse_seconds, allow_negative_numbers = true, hide = true)]
    pub register_timeout: Option<Duration>,
    /// Byte budget of the message log, in MiB (oldest messages are evicted beyond it) [default: 256].
    #[arg(long, value_name = "MIB")]
    pub log_budget_mib: Option<usize>,
}

/// Why a flag's value is refused (clap shows it after the flag and the value).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FlagError {
    #[error("{0:?} is not an octal mode such as 600")]
    Mode(String),
    #[error("{0:?} is not a number of seconds (e.g. 30 or 0.5)")]
    NotSeconds(String),
    #[error(transparent)]
    Seconds(#[from] crate::config::SecondsError),
}

fn parse_mode(s: &str) -> Result<u32, FlagError> {
    u32::from_str_radix(s.trim_start_matches("0o"), 8).map_err(|_| FlagError::Mode(s.into()))
}

/// A number of seconds as a flag takes it (see [`crate::config::seconds`]).
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, FlagError> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| FlagError::NotSeconds(text.into()))?;
    Ok(crate::config::seconds(value)?)
}

/// A chaos fault by name, the names listed when it is none of them.
fn parse_fault(text: &str) -> Result<crate::check::chaos::Fault, String> {
    use crate::check::chaos::Fault;
    Fault::parse(text).ok_or_else(|| {
        let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
        format!("no chaos fault {text:?}; the faults: {}", names.join(", "))
    })
}

impl HostArgs {
    /// These, with what `outer` (the flags given before the subcommand) sets and these do not.
    pub fn or(&self, outer: &HostArgs) -> HostArgs {
        HostArgs {
            socket: self.socket.clone().or_else(|| outer.socket.clone()),
            socket_mode: self.socket_mode.or(outer.socket_mode),
            tcp: self.tcp.clone().or_else(|| outer.tcp.clone()),
            timeout: self.timeout.or(outer.timeout),
            max_frame_bytes: self.max_frame_bytes.or(outer.max_frame_bytes),
            register_timeout: self.register_timeout.or(outer.register_timeout),
            log_budget_mib: self.log_budget_mib.or(outer.log_budget_mib),
        }
    }

    /// The socket path: flag or env, then the config file, then the default.
    pub fn socket(&self, file: &Config) -> PathBuf {
        self.socket
            .clone()
            .or_else(|| file.socket.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET_PATH))
    }

    /// Host settings: flags win over the config file, which wins over defaults.
    pub fn config(&self, file: &Config) -> HostConfig {
        HostConfig {
            socket: Some(self.socket(file)),
            socket_mode: self.socket_mode.unwrap_or(0o600),
            tcp: self.tcp.clone().or_else(|| file.tcp.clone()),
            max_frame_bytes: self.max_frame_bytes.unwrap_or(DEFAULT_MAX_FRAME_BYTES),
            request_timeout: self
                .timeout
                .or(file.timeout)
                .unwrap_or(Duration::from_secs(30)),
            register_timeout: self.register_timeout.unwrap_or(Duration::from_secs(30)),
            log_budget_bytes: self
                .log_budget_mib
                .unwrap_or(256)
                .saturating_mul(1024 * 1024),
            ..HostConfig::default()
        }
    }
}

// Each subcommand's `--help` ends with `help::NAME()`: its examples and exit codes.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Conformance run of one plugin: register, render, press buttons, ping, shutdown.
    #[command(after_help = help::check())]
    Check(CheckArgs),
    /// The built-in demo plugin (dials the socket like any plugin).
    #[command(hide = true, after_help = help::demo_plugin())]
    DemoPlugin(DemoArgs),
    /// A plugin that answers every request at once from one pre-serialised ~3 KB panel
    /// (for `bench`: whatever is measured is the host's cost).
    #[command(hide = true, after_help = help::bench_plugin())]
    BenchPlugin {
        /// Unix socket to dial (env TGO_SOCKET_PATH) [default: /var/run/tgo/tgo.sock].
        #[arg(long, value_name = "PATH")]
        socket: Option<PathBuf>,
    },
    /// Load-test one plugin's handlers through the real host: throughput and latency percentiles.
    #[command(after_help = help::bench())]
    Bench(BenchArgs),
    /// Sit between plugins and a real TGO host without the console: plugins dial --socket,
    /// are registered with the host at --upstream, and every frame both ways is printed.
    #[command(after_help = help::proxy())]
    Proxy(ProxyArgs),
    /// Open a recording (from --record) read-only in the console.
    #[command(after_help = help::replay())]
    Replay {
        /// The JSON-lines file.
        file: PathBuf,
        /// Start with the inspector filtered (a saved filter's name or a query).
        #[arg(long, value_name = "NAME|QUERY")]
        filter: Option<String>,
        /// Console theme: dark, light, high-contrast, or a path to a theme TOML.
        #[arg(long, value_name = "NAME|PATH")]
        theme: Option<String>,
    },
    /// Write a minimal working plugin to start from: manifest, code, scenario.
    #[command(after_help = help::new())]
    New(crate::scaffold::NewArgs),
    /// Run scenario files (*.scenario.yml): each step's answer checked, golden snapshots.
    #[command(after_help = help::test())]
    Test(crate::scenario::cli::TestArgs),
    /// Send one request to a plugin and print the answer (JSON, or drawn as the console draws it).
    #[command(after_help = help::call())]
    Call(crate::call::CallArgs),
    #[command(after_help = help::build())]
    /// Build plugins from their manifests' `build` section, as the TGO runtime does (exit 0:
    /// all built, 1: a build failed, 2: a manifest could not be read or has nothing to build).
    Build {
        /// Manifests, directories holding one, or directories of such directories.
        #[arg(value_name = "PLUGIN", required = true)]
        plugins: Vec<PathBuf>,
    },
    #[command(after_help = help::install())]
    /// Install a plugin from a git repository (any URL or path `git clone` takes) or a release
    /// binary URL into $XDG_DATA_HOME/tgo-console/plugins/<id>, and build it (exit 0: installed,
    /// 1: fetching or building failed, 2: bad arguments or manifest).
    Install {
        /// A git repository, or an http(s):// URL of a binary.
        source: String,
        /// Branch, tag or commit to check out (git).
        #[arg(long = "ref", value_name = "REF")]
        reference: Option<String>,
        /// The plugin's directory inside the repository (git).
        #[arg(long, value_name = "SUBDIR")]
        path: Option<String>,
        /// The id of a binary plugin (default: the URL's file name).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        /// Replace an installed plugin of the same id.
        #[arg(long)]
        force: bool,
    },
    #[command(after_help = help::uninstall())]
    /// Stop (SIGTERM to the processes launched from it) and remove an installed plugin.
    Uninstall {
        /// Its id, as `list` shows it.
        id: String,
    },
    #[command(after_help = help::list())]
    /// The installed plugins: id, name, version, where they came from.
    List,
    /// Print the effective key bindings (the defaults with the config's [keys.*] over them).
    #[command(after_help = help::keys())]
    Keys {
        /// text (as the help shows them) or markdown (the README's table).
        #[arg(long, value_enum, default_value_t = KeysFormat::Text)]
        format: KeysFormat,
    },
    /// Draw the main screens with the real renderer into SVG files (for the README).
    #[command(after_help = help::screenshots())]
    Screenshots {
        /// Where to write them.
        #[arg(default_value = "screenshots")]
        dir: PathBuf,
        /// Theme to draw with [default: dark].
        #[arg(long, value_name = "NAME|PATH")]
        theme: Option<String>,
    },
    /// Print a shell completion script.
    #[command(after_help = help::completions())]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (or write one per command into a directory).
    #[command(after_help = help::man())]
    Man {
        /// Write tgo-console.1 and a page per subcommand (tgo-console-check.1, …) here instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum KeysFormat {
    Text,
    Markdown,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Visitor id put in every render and event.
    #[arg(long, default_value = "v_12345", value_name = "ID")]
    pub visitor: String,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Seconds to wait for the plugin to register.
    #[arg(long, default_value = "30", value_name = "S", value_parser = parse_seconds, allow_negative_numbers = true)]
    pub wait: Duration,
    /// Warnings fail the check too (the same as --fail-on warn).
    #[arg(long)]
    pub strict: bool,
    /// The lowest step status that fails the check.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "LEVEL")]
    pub fail_on: FailOn,
    /// Also write the result as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// After the check, send the plugin the chaos faults (bad JSON, bursts, a host that
    /// stops reading…), each followed by a healthy render; exit 1 if one crashed or hung it.
    #[arg(long)]
    pub chaos: bool,
    /// Only these chaos faults (comma-separated names, e.g. malformed_json,burst).
    #[arg(long, value_name = "LIST", requires = "chaos", value_delimiter = ',', value_parser = parse_fault)]
    pub chaos_faults: Vec<crate::check::chaos::Fault>,
    /// Renders sent at once by the burst and slow_reader faults.
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "chaos")]
    pub chaos_burst: usize,
    /// Seconds the slow_reader fault stops reading.
    #[arg(long, value_name = "S", default_value = "5", value_parser = parse_seconds, requires = "chaos")]
    pub chaos_pause: Duration,
    /// Seconds the healthy render after each fault may take before the plugin counts as hung.
    #[arg(long, value_name = "S", default_value = "10", value_parser = parse_seconds, requires = "chaos")]
    pub chaos_timeout: Duration,
    /// Seconds to wait for the plugin to dial again after its connection closed.
    #[arg(long, value_name = "S", default_value = "10", value_parser = parse_seconds, requires = "chaos")]
    pub chaos_reconnect: Duration,
    // With none of its options, check waits for a plugin to connect.
    #[command(flatten)]
    pub plugin: PluginArgs,
    #[command(flatten)]
    pub host: HostArgs,
}

/// What fails `check`: only failed steps, or warnings too.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warn,
}

/// The one plugin `check` and `bench` launch: the demo, a manifest, or a command.
#[derive(Args, Debug)]
pub struct PluginArgs {
    /// The built-in demo plugin.
    #[arg(long, conflicts_with_all = ["command", "plugin"])]
    pub demo: bool,
    /// The plugin to launch: its manifest, or the directory holding it.
    #[arg(value_name = "PLUGIN", conflicts_with = "command")]
    pub plugin: Option<PathBuf>,
    /// The plugin to launch as a command (with TGO_SOCKET_PATH set).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Requests to send (default 10 000 when --duration is not given).
    #[arg(long, value_name = "N")]
    pub requests: Option<u64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1, value_name = "C")]
    pub concurrency: usize,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S", value_parser = parse_seconds, allow_negative_numbers = true)]
    pub duration: Option<Duration>,
    /// Method to call (default: the render method of the first renderable capability).
    #[arg(long, value_name = "M")]
    pub method: Option<String>,
    /// Params as JSON (default: realistic render params).
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also measure a raw socket-pair ping-pong of the same frames (no host) in the same run.
    #[arg(long)]
    pub baseline: bool,
    #[command(flatten)]
    pub plugin: PluginArgs,
    #[command(flatten)]
    pub host: HostArgs,
}

#[derive(Args, Debug)]
pub struct ProxyArgs {
    #[command(flatten)]
    pub host: HostArgs,
    /// The real TGO host: unix:/path/to/tgo.sock or tcp:HOST:PORT.
    #[arg(long, value_name = "ADDR")]
    pub upstream: crate::host::UpstreamAddr,
    /// Put this dev token into every forwarded register (the real host's TCP port wants
    /// one). TGO_DEV_TOKEN keeps it out of the shell's history.
    #[arg(
        long,
        env = "TGO_DEV_TOKEN",
        hide_env_values = true,
        value_name = "JWT"
    )]
    pub dev_token: Option<String>,
    /// Record both legs (host↔proxy and proxy↔plugin) to this JSON-lines file (a new file,
    /// readable by you only).
    #[arg(long, value_name = "FILE.jsonl")]
    pub record: Option<PathBuf>,
    /// Let --record overwrite a file that exists.
    #[arg(long, requires = "record")]
    pub force: bool,
    /// One line per frame: text, or json (a recording's lines).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Unix socket to dial (env TGO_SOCKET_PATH) [default: /var/run/tgo/tgo.sock].
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Plugin id to register.
    #[arg(long, default_value = "com.tgo.demo")]
    pub id: String,
    /// Dial TCP instead of the socket, e.g. 127.0.0.1:8005.
    #[arg(long = "dial-tcp", value_name = "ADDR")]
    pub dial_tcp: Option<String>,
}

/// The process's entry point: parse, log to a file, run.
pub fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // Read here, not by clap: a subcommand's --socket, then the one before it, then the env.
    cli.host.socket = cli.host.socket.take().or_else(|| {
        std::env::var_os("TGO_SOCKET_PATH")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    });
    if cli.command.is_none()
        && let Some(code) = mistyped_command(&cli.plugins)
    {
        return code;
    }
    crate::watchdog::take_env();
    // Commands that launch plugins run under a watchdog, so none outlives them (see watchdog).
    let launches = match cli.command {
        None => Some(true),
        Some(Command::Check(_) | Command::Bench(_)) => Some(false),
        _ => None,
    };
    if let Some(owns_terminal) = launches
        && crate::watchdog::watchdog_pid().is_none()
        && let Some(code) = crate::watchdog::supervise(owns_terminal)
    {
        return code;
    }
    let log_path = cli.log_file.clone().unwrap_or_else(default_log_path);
    let _log_guard = init_logging(log_path.clone());
    // `bench` drives the host on one thread, as its minimal host does: on a 2-core machine the
    // plugin keeps the other core, and no request pays a wakeup across threads (measured in
    // benches/README.md). So does `proxy`, which only relays (its lines are written on a
    // blocking thread). Everything else gets a worker per core.
    let runtime = if matches!(cli.command, Some(Command::Bench(_) | Command::Proxy(_))) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Runtime::new()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tgo-console: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let file = match crate::config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tgo-console: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run(cli, file, log_path))
}

/// `tgo-console chek`: when the only PLUGIN is not a path but is close to a command's name, that
/// is what was meant (instead of a console opened on a manifest error). Said; exit code 2.
fn mistyped_command(plugins: &[PathBuf]) -> Option<ExitCode> {
    let [only] = plugins else { return None };
    if only.symlink_metadata().is_ok() {
        return None;
    }
    let typed = only.to_str()?.to_lowercase();
    let command = <Cli as clap::CommandFactory>::command();
    let (distance, name) = command
        .get_subcommands()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&typed, c.get_name()),
                c.get_name(),
            )
        })
        .min()?;
    // One slip in a short name, two in a longer one: `chek`, `tset`, `screnshot`.
    if distance > if name.len() <= 4 { 1 } else { 2 } {
        return None;
    }
    eprintln!(
        "tgo-console: `{}` is neither a plugin (no such file or directory) nor a command; did you mean `{name}`?",
        only.display()
    );
    Some(ExitCode::from(2))
}

/// Says on stderr that a TCP address other machines can reach has no authentication.
fn warn_exposed_tcp(host: &HostArgs, file: &Config) {
    if let Some(addr) = host.tcp.as_ref().or(file.tcp.as_ref())
        && crate::host::listener::reachable_from_network(addr)
    {
        eprintln!(
            "tgo-console: warning: {}",
            crate::host::listener::tcp_warning(addr)
        );
    }
}

async fn run(cli: Cli, file: Config, log_path: PathBuf) -> ExitCode {
    if matches!(
        cli.command,
        Some(Command::Check(_) | Command::Bench(_) | Command::Proxy(_))
    ) {
        warn_exposed_tcp(&cli.host, &file);
    }
    match cli.command {
        // The console quits gracefully on SIGTERM by itself; not if its watchdog is gone.
        None => crate::watchdog::on_sigterm(false, crate::tui::terminal::restore_if_taken),
        Some(Command::Check(_) | Command::Bench(_)) => crate::watchdog::on_sigterm(true, || {}),
        _ => {}
    }
    match cli.command {
        Some(Command::Check(args)) => run_check(&args.host.or(&cli.host), &file, args).await,
        Some(Command::DemoPlugin(args)) => run_demo(&cli.host, &file, args).await,
        Some(Command::Bench(ref args)) => run_bench(&args.host.or(&cli.host), &file, args).await,
        Some(Command::Proxy(ref args)) => {
            let host = args.host.or(&cli.host);
            run_proxy(&host, &file, args).await
        }
        Some(Command::BenchPlugin { ref socket }) => {
            let socket = socket.clone().unwrap_or_else(|| cli.host.socket(&file));
            match tokio::task::spawn_blocking(move || {
                crate::bench::minimal::near_free_plugin(&socket)
            })
            .await
            {
                Ok(Ok(())) => ExitCode::SUCCESS,
                Ok(Err(e)) => {
                    eprintln!("bench-plugin: {e:#}");
                    ExitCode::from(1)
                }
                Err(e) => {
                    eprintln!("bench-plugin: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Some(Command::Replay {
            file: ref recording,
            ref filter,
            ref theme,
        }) => {
            let filter = filter.clone().or_else(|| cli.filter.clone());
            let theme = theme.as_ref().or(cli.theme.as_ref());
            run_replay(theme, &file, recording, filter, log_path).await
        }
        Some(Command::Keys { format }) => match personal(cli.filter.clone(), &file) {
            Ok(p) => {
                crate::scenario::cli::print_stdout(&match format {
                    KeysFormat::Text => p.keymap.text(),
                    KeysFormat::Markdown => p.keymap.markdown(),
                });
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Some(Command::New(args)) => crate::scaffold::run(&args),
        Some(Command::Build { plugins }) => run_build(&plugins).await,
        Some(Command::Install {
            source,
            reference,
            path,
            id,
            force,
        }) => {
            let req = crate::launcher::install::InstallRequest {
                source,
                reference,
                path,
                id,
                force,
            };
            run_install(req).await
        }
        Some(Command::Uninstall { id }) => match crate::launcher::install::uninstall(&id) {
            Ok((dir, stopped)) => {
                if !stopped.is_empty() {
                    println!("stopped {} process(es) running from it", stopped.len());
                }
                println!("uninstalled {id} ({})", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tgo-console: {e}");
                ExitCode::from(match e {
                    crate::launcher::install::InstallError::NotInstalled(_)
                    | crate::launcher::install::InstallError::BadId(_) => 2,
                    _ => 1,
                })
            }
        },
        Some(Command::List) => run_list(),
        Some(Command::Test(args)) => {
            crate::scenario::cli::run(&args.host.or(&cli.host), &file, args).await
        }
        Some(Command::Call(args)) => crate::call::run(&args.host.or(&cli.host), &file, args).await,
        Some(Command::Completions { shell }) => help::print_completions(shell),
        Some(Command::Man { ref dir }) => help::man_pages(dir.as_deref()),
        Some(Command::Screenshots { dir, theme }) => {
            let theme = theme.or(cli.theme).unwrap_or_else(|| "dark".into());
            let written = crate::tui::theme::Theme::load(&theme)
                .map_err(std::io::Error::other)
                .and_then(|t| crate::tui::screenshots::write_all(&dir, &t));
            match written {
                Ok(files) => {
                    for f in files {
                        println!("wrote {f}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("tgo-console: {e}");
                    ExitCode::from(2)
                }
            }
        }
        None => run_console(&cli, &file, log_path).await,
    }
}

async fn run_console(cli: &Cli, file: &Config, log_path: PathBuf) -> ExitCode {
    let mut host = cli.host.config(file);
    host.upstream = cli
        .upstream
        .clone()
        .map(|addr| crate::host::UpstreamConfig {
            dev_token: cli.dev_token.clone(),
            ..crate::host::UpstreamConfig::new(addr)
        });
    // Before the terminal check: a mistake worth knowing anywhere.
    if let Err(e) = crate::proxy::check_sockets(&host) {
        eprintln!("tgo-console: {e}");
        return ExitCode::from(2);
    }
    let (theme, personal) = match console_setup(
        cli.theme.as_ref(),
        file,
        cli.filter.clone(),
        "the console needs a terminal; for CI use `tgo-console check`",
    ) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let c = &file.context;
    let visitor = cli
        .visitor
        .clone()
        .or_else(|| c.visitor_id.clone())
        .unwrap_or_else(|| "v_12345".into());
    let mut ctx = RenderContext::for_visitor(&visitor);
    if let Some(s) = &c.session_id {
        ctx.session_id = s.clone();
    }
    if let Some(l) = &c.language {
        ctx.language = l.clone();
    }
    if let Some(ch) = &c.channel_type {
        ctx.channel_type = ch.clone();
    }
    let opts = crate::tui::TuiOptions {
        host,
        theme,
        ctx,
        demo: cli.demo,
        plugins: cli.plugins.clone(),
        watch: cli.watch,
        log_path,
        record: cli.record.clone(),
        visitors_file: Some(crate::config::state_dir().join("visitors.json")),
        history_file: Some(crate::config::state_dir().join("history.jsonl")),
        view_file: Some(crate::config::state_dir().join("view.json")),
        force: cli.force,
        personal,
    };
    match crate::tui::run(opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tgo-console: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run_bench(host: &HostArgs, file: &Config, args: &BenchArgs) -> ExitCode {
    let command = match plugin_command(&args.plugin).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            eprintln!("tgo-console: bench needs a plugin: PLUGIN, --demo or -- CMD ARGS…");
            return ExitCode::from(2);
        }
        Err(code) => return code,
    };
    let params = match args.params.as_deref().map(serde_json::from_str) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            eprintln!("tgo-console: --params is not valid JSON: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = host.config(file);
    config.log_budget_bytes = config
        .log_budget_bytes
        .min(crate::bench::SUGGESTED_LOG_BUDGET_BYTES);
    let opts = crate::bench::BenchOptions {
        host: config,
        command,
        requests: args.requests,
        duration: args.duration,
        concurrency: args.concurrency.max(1),
        method: args.method.clone(),
        params,
        progress: args.format == Format::Text,
        baseline: args.baseline,
    };
    match crate::bench::run(opts).await {
        Ok(report) => {
            let out = if args.format == Format::Json {
                report.to_json()
            } else {
                report.to_text()
            };
            crate::scenario::cli::print_stdout(&format!("{out}\n"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tgo-console: bench failed: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run_proxy(host: &HostArgs, file: &Config, args: &ProxyArgs) -> ExitCode {
    let mut config = host.config(file);
    config.upstream = Some(crate::host::UpstreamConfig {
        dev_token: args.dev_token.clone(),
        ..crate::host::UpstreamConfig::new(args.upstream.clone())
    });
    let opts = crate::proxy::ProxyOptions {
        host: config,
        record: args.record.clone(),
        force: args.force,
        format: match args.format {
            Format::Text => crate::proxy::LineFormat::Text,
            Format::Json => crate::proxy::LineFormat::Json,
        },
    };
    let stop = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    match crate::proxy::run(opts, std::io::stdout(), stop).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tgo-console: proxy: {e}");
            ExitCode::from(2)
        }
    }
}

/// `install SOURCE`: fetched into the plugins directory, then built (a failed build removes it).
async fn run_install(req: crate::launcher::install::InstallRequest) -> ExitCode {
    use crate::launcher::install::{self, InstallError};
    let source = req.source.clone();
    let fetched = match tokio::task::spawn_blocking(move || install::fetch(&req)).await {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => {
            eprintln!("tgo-console: cannot install {source}: {e}");
            let code = match e {
                InstallError::Manifest(_)
                | InstallError::NoId(_)
                | InstallError::BadId(_)
                | InstallError::Exists { .. }
                | InstallError::NoSuchPath(_)
                | InstallError::Insecure(_) => 2,
                _ => 1,
            };
            return ExitCode::from(code);
        }
        Err(e) => {
            eprintln!("tgo-console: cannot install {source}: {e}");
            return ExitCode::from(1);
        }
    };
    if fetched.manifest.build.is_some() {
        eprintln!("tgo-console: building {}", fetched.id);
        if let Err(e) = build_printing(&fetched.manifest).await {
            eprintln!("tgo-console: {}: build failed: {e}", fetched.id);
            // Half an install is none: nothing is left to be mistaken for a working plugin.
            let _ = std::fs::remove_dir_all(&fetched.dir);
            return ExitCode::from(1);
        }
    }
    println!("installed {} ({})", fetched.id, fetched.dir.display());
    ExitCode::SUCCESS
}

/// `list`: one line per installed plugin.
fn run_list() -> ExitCode {
    let all = crate::launcher::install::list();
    if all.is_empty() {
        println!(
            "no plugin installed in {} (tgo-console install SOURCE)",
            crate::launcher::install::plugins_dir().display()
        );
        return ExitCode::SUCCESS;
    }
    for p in all {
        let about = match &p.manifest {
            Ok(m) => format!("{} {}", m.name, m.version.as_deref().unwrap_or("-")),
            Err(e) => format!("(manifest: {e})"),
        };
        let from = match &p.record {
            Some(r) => {
                let mut from = r.source.clone();
                if let Some(reference) = &r.reference {
                    from.push_str(&format!(" @ {reference}"));
                }
                if let Some(path) = &r.path {
                    from.push_str(&format!(" : {path}"));
                }
                from
            }
            None => "-".into(),
        };
        println!(
            "{}",
            crate::text::sanitize_line(&format!("{}  {about}  {from}  {}", p.id, p.dir.display()))
        );
    }
    ExitCode::SUCCESS
}

/// `build PLUGIN…`: each manifest built in turn, its tools' lines on stderr as they come.
async fn run_build(paths: &[PathBuf]) -> ExitCode {
    let mut worst = 0u8;
    for path in paths {
        for found in crate::launcher::manifest::discover(path) {
            let m = match found {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("tgo-console: {e}");
                    worst = 2;
                    continue;
                }
            };
            let started = std::time::Instant::now();
            match build_printing(&m).await {
                Ok(()) => println!(
                    "built {} ({}) in {:.1} s",
                    m.name,
                    m.dir().display(),
                    started.elapsed().as_secs_f64()
                ),
                Err(e) => {
                    eprintln!("tgo-console: {}: build failed: {e}", m.name);
                    let code = match e {
                        crate::launcher::build::BuildError::NothingToBuild { .. } => 2,
                        _ => 1,
                    };
                    worst = worst.max(code);
                }
            }
        }
    }
    ExitCode::from(worst)
}

/// Builds `m`, its tools' lines (sanitised) on stderr as they come.
async fn build_printing(
    m: &crate::launcher::Manifest,
) -> Result<(), crate::launcher::build::BuildError> {
    let sink: crate::launcher::LineSink = std::sync::Arc::new(|line| {
        eprintln!("{}", crate::text::sanitize_line(&line.text));
    });
    crate::launcher::build::run(m, sink).await
}

/// The command of the one plugin a manifest path stands for (errors printed), built first
/// when it needs to be (see [`crate::launcher::build::needed`]).
pub(crate) async fn manifest_command(path: &std::path::Path) -> Result<LaunchSpec, ExitCode> {
    let found = crate::launcher::manifest::discover(path);
    let fail = |msg: String| {
        eprintln!("tgo-console: {msg}");
        Err(ExitCode::from(2))
    };
    match <[_; 1]>::try_from(found) {
        Ok([Ok(m)]) if crate::launcher::build::needed(&m) => {
            eprintln!("tgo-console: building {} first", m.name);
            if let Err(e) = build_printing(&m).await {
                eprintln!("tgo-console: {}: build failed: {e}", m.name);
                return Err(ExitCode::from(2));
            }
            // Read again: a new `.venv` changes the program.
            match crate::launcher::manifest::load(&m.path) {
                Ok(m) => Ok(m.spec),
                Err(e) => fail(e.to_string()),
            }
        }
        Ok([Ok(m)]) => Ok(m.spec),
        Ok([Err(e)]) => fail(e.to_string()),
        Err(all) => fail(format!(
            "{} holds {} plugins; name one of them:\n  {}",
            path.display(),
            all.len(),
            all.iter()
                .map(|r| match r {
                    Ok(m) => m.path.display().to_string(),
                    Err(e) => e.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n  ")
        )),
    }
}

/// The plugin to launch: the demo (this executable), a manifest, or `-- CMD ARGS…`.
pub(crate) async fn plugin_command(args: &PluginArgs) -> Result<Option<LaunchSpec>, ExitCode> {
    let (demo, command) = (args.demo, &args.command);
    if let Some(path) = &args.plugin {
        return manifest_command(path).await.map(Some);
    }
    if demo {
        return match std::env::current_exe() {
            Ok(exe) => Ok(Some(LaunchSpec {
                program: exe.display().to_string(),
                args: vec!["demo-plugin".into()],
                ..Default::default()
            })),
            Err(e) => {
                eprintln!(
                    "tgo-console: cannot find my own executable to start the demo plugin: {e}"
                );
                Err(ExitCode::from(2))
            }
        };
    }
    Ok(command.split_first().map(|(program, rest)| LaunchSpec {
        program: program.clone(),
        args: rest.to_vec(),
        ..Default::default()
    }))
}

/// What every interactive screen needs first: a terminal, and the theme (`--theme`, else the
/// config file's, else dark). Problems are printed; the caller exits with the code.
/// The user's keys, commands and filters; each error printed (with its file and line).
fn personal(filter: Option<String>, file: &Config) -> Result<Personal, ExitCode> {
    Personal::from_config(file, filter).map_err(|errors| {
        for e in &errors {
            eprintln!("tgo-console: {e}");
        }
        eprintln!(
            "tgo-console: {} error(s) in the config's keys, commands or filters; `tgo-console keys` shows the defaults",
            errors.len()
        );
        ExitCode::from(2)
    })
}

fn console_setup(
    theme: Option<&String>,
    file: &Config,
    filter: Option<String>,
    no_terminal: &str,
) -> Result<(crate::tui::theme::Theme, Personal), ExitCode> {
    // Config mistakes (the theme's too) first: they are worth knowing even without a terminal.
    let personal = personal(filter, file)?;
    let name = theme
        .cloned()
        .or_else(|| file.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let theme = crate::tui::theme::Theme::load(&name).map_err(|e| {
        eprintln!("tgo-console: {e}");
        ExitCode::from(2)
    })?;
    if !std::io::stdout().is_terminal() {
        eprintln!("tgo-console: {no_terminal}");
        return Err(ExitCode::from(2));
    }
    Ok((theme, personal))
}

async fn run_replay(
    theme: Option<&String>,
    file: &Config,
    recording: &std::path::Path,
    filter: Option<String>,
    log_path: PathBuf,
) -> ExitCode {
    let (theme, personal) = match console_setup(theme, file, filter, "replay needs a terminal") {
        Ok(t) => t,
        Err(code) => return code,
    };
    match crate::tui::run_replay(recording, theme, personal, log_path).await {
        Ok(errors) => {
            for e in errors {
                eprintln!("tgo-console: skipped {e}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tgo-console: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Host settings for a command that launches its plugin itself (`launching`): without a socket
/// from the flag, `TGO_SOCKET_PATH` or the config file, it listens on a private temporary one,
/// kept (and then removed) with the returned guard.
pub(crate) fn launch_host_config(
    host: &HostArgs,
    file: &Config,
    launching: bool,
) -> Result<(HostConfig, Option<check::PrivateSocket>), ExitCode> {
    let mut config = host.config(file);
    if !launching || host.socket.is_some() || file.socket.is_some() {
        return Ok((config, None));
    }
    match check::PrivateSocket::new() {
        Ok(private) => {
            config.socket = Some(private.path());
            Ok((config, Some(private)))
        }
        Err(e) => {
            eprintln!("tgo-console: cannot create a temporary directory for the socket: {e}");
            Err(ExitCode::from(2))
        }
    }
}

async fn run_check(host: &HostArgs, file: &Config, args: CheckArgs) -> ExitCode {
    let command = match plugin_command(&args.plugin).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (config, _private) = match launch_host_config(host, file, command.is_some()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let opts = CheckOptions {
        host: config,
        visitor: args.visitor.clone(),
        command,
        wait: args.wait,
        strict: args.strict || args.fail_on == FailOn::Warn,
        chaos: args.chaos.then(|| crate::check::chaos::ChaosOptions {
            faults: if args.chaos_faults.is_empty() {
                crate::check::chaos::Fault::ALL.to_vec()
            } else {
                args.chaos_faults.clone()
            },
            timeout: args.chaos_timeout,
            burst: args.chaos_burst,
            pause: args.chaos_pause,
            reconnect: args.chaos_reconnect,
            visitor: args.visitor.clone(),
            ..Default::default()
        }),
    };
    match check::run(opts).await {
        Ok(report) => {
            if let Some(path) = &args.junit
                && let Err(e) = crate::junit::write(path, &crate::junit::from_check(&report))
            {
                eprintln!("tgo-console: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
            let out = match args.format {
                Format::Json => report.to_json(),
                Format::Text => {
                    let colour =
                        std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                    report.to_text(colour)
                }
            };
            crate::scenario::cli::print_stdout(&format!("{out}\n"));
            if report.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("tgo-console: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run_demo(host: &HostArgs, file: &Config, args: DemoArgs) -> ExitCode {
    let socket = args.socket.unwrap_or_else(|| host.socket(file));
    let opts = crate::demo_plugin::DemoOptions {
        socket: Some(socket),
        tcp: args.dial_tcp,
        id: args.id,
        ..Default::default()
    };
    match crate::demo_plugin::run(opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo-plugin: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Logs go to a file, never to the terminal the UI owns.
fn init_logging(path: PathBuf) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).ok()?;
    // What plugins print may end up here: readable by its owner only, when we create it.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    // TGO_LOG wins, then the ecosystem's usual RUST_LOG, then info.
    let filter = tracing_subscriber::EnvFilter::try_from_env("TGO_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// `$XDG_STATE_HOME/tgo-console/tgo-console.log`, else `~/.local/state/…`, else the temp dir.
pub fn default_log_path() -> PathBuf {
    crate::config::state_dir().join("tgo-console.log")
}
