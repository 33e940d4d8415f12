//! `tgo-console test`: the command line of scenarios.

use super::format::PluginLaunch;
use super::from_recording::{self, FromRecording};
use super::report::TestReport;
use super::run::{RunOptions, find_scenarios, run_file};
use crate::cli::{Format, HostArgs, launch_host_config};
use crate::config::Config;
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Scenario files, or directories searched for *.scenario.yml / *.scenario.yaml [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Accept every new or changed snapshot (write it as the golden file).
    #[arg(long)]
    pub update: bool,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Seconds each plugin has to register.
    #[arg(long, default_value = "30", value_name = "S", value_parser = crate::cli::parse_seconds, allow_negative_numbers = true)]
    pub wait: Duration,
    /// Print a scenario replaying every request of a recorded session (from --record) instead.
    #[arg(long, value_name = "SESSION.jsonl", conflicts_with_all = ["paths", "update", "junit"])]
    pub from_recording: Option<PathBuf>,
    /// With --from-recording: the plugin whose requests to replay (when the session has several).
    #[arg(long, value_name = "ID", requires = "from_recording")]
    pub plugin: Option<String>,
    /// With --from-recording: the scenario starts the plugin from this manifest.
    #[arg(
        long,
        value_name = "PATH",
        requires = "from_recording",
        conflicts_with = "command"
    )]
    pub manifest: Option<PathBuf>,
    /// With --from-recording: the scenario starts the plugin with this command (put it last:
    /// every word after it is part of it).
    #[arg(long, value_name = "CMD", num_args = 1.., allow_hyphen_values = true, requires = "from_recording")]
    pub command: Vec<String>,
    #[command(flatten)]
    pub host: HostArgs,
}

/// Prints to stdout; a reader that went away (`| head`) is not an error worth a panic.
pub(crate) fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Runs `tgo-console test`.
pub async fn run(host: &HostArgs, file: &Config, args: TestArgs) -> ExitCode {
    if let Some(session) = &args.from_recording {
        return print_from_recording(session, &args);
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let scenarios = match find_scenarios(&paths) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tgo-console: {e}");
            return ExitCode::from(2);
        }
    };
    let (config, _private) = match launch_host_config(host, file, true) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let opts = RunOptions {
        host: config,
        wait: args.wait,
        update: args.update,
    };
    let started = Instant::now();
    let mut reports = Vec::new();
    for path in &scenarios {
        reports.push(run_file(path, &opts).await);
    }
    let report = TestReport::new(reports, started.elapsed().as_secs_f64() * 1000.0);
    if let Some(path) = &args.junit
        && let Err(e) = crate::junit::write(path, &crate::junit::from_scenarios(&report.scenarios))
    {
        eprintln!("tgo-console: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    let out = match args.format {
        Format::Json => report.to_json(),
        Format::Text => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            report.to_text(colour)
        }
    };
    print_stdout(&format!("{out}\n"));
    ExitCode::from(report.exit_code())
}

fn print_from_recording(session: &std::path::Path, args: &TestArgs) -> ExitCode {
    let launch = match (&args.manifest, args.command.as_slice()) {
        (Some(m), _) => PluginLaunch::Manifest(m.clone()),
        (None, [_, ..]) => PluginLaunch::Command(args.command.clone()),
        (None, []) => {
            eprintln!(
                "tgo-console: a recording does not say how the plugin was started: add --manifest PATH or --command CMD ARGS…"
            );
            return ExitCode::from(2);
        }
    };
    let loaded = match crate::record::load(session) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tgo-console: cannot read {}: {e}", session.display());
            return ExitCode::from(2);
        }
    };
    for e in &loaded.errors {
        eprintln!("tgo-console: skipped {e}");
    }
    let opts = FromRecording {
        plugin: args.plugin.clone(),
        launch,
        source: session.file_name().map_or_else(
            || session.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    };
    match from_recording::generate(&loaded.entries, &opts) {
        Ok(text) => {
            print_stdout(&crate::text::escape_json_controls(&text));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tgo-console: {}: {e}", session.display());
            ExitCode::from(2)
        }
    }
}
