//! `tgo-console call METHOD [PARAMS_JSON] …`: one request from the shell. The plugin is
//! launched like `check` launches it; render, event and tool params are filled from the render
//! context (what PARAMS_JSON gives wins); the answer is printed as JSON, or drawn as the
//! console draws it (`--format ui`) with its diagnostics, for bug reports and scripts.

use crate::check::Launched;
use crate::cli::{HostArgs, PluginArgs, launch_host_config, plugin_command};
use crate::config::Config;
use crate::host::{Outcome, RenderContext, UiEvent};
use crate::jsonui::{self, Diagnostic};
use crate::scenario::cli::print_stdout;
use crate::scenario::{AnswerKind, ContextSpec};
use clap::{Args, ValueEnum};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CallFormat {
    /// The answer as pretty JSON (an error as `{"error": …}`).
    Json,
    /// The answer drawn as the console draws it, as plain text, with its diagnostics.
    Ui,
}

#[derive(Args, Debug)]
pub struct CallArgs {
    /// The method: visitor_panel/render, visitor_panel/event, chat_toolbar/render, tool/execute,
    /// ping, …
    pub method: String,
    /// PARAMS_JSON (a JSON object; render, event and tool params are filled from the context
    /// and these win), then PLUGIN (a manifest or its directory). Either may be left out.
    #[arg(value_name = "PARAMS_JSON|PLUGIN", num_args = 0..=2)]
    pub rest: Vec<String>,
    /// Render context overrides, YAML or JSON: visitor_id, session_id, language, channel_id,
    /// channel_type, platform_type, agent_id, visitor {…} (as in a scenario's `context`).
    #[arg(long, value_name = "FILE")]
    pub context: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CallFormat::Json)]
    pub format: CallFormat,
    /// Columns the UI is drawn in (--format ui).
    #[arg(long, default_value_t = 80, value_name = "N")]
    pub width: u16,
    /// Seconds the plugin has to register.
    #[arg(long, default_value = "30", value_name = "S", value_parser = crate::cli::parse_seconds, allow_negative_numbers = true)]
    pub wait: Duration,
    /// The built-in demo plugin.
    #[arg(long)]
    pub demo: bool,
    /// The plugin to launch as a command (with TGO_SOCKET_PATH set).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
    #[command(flatten)]
    pub host: HostArgs,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("tgo-console: {message}");
    ExitCode::from(2)
}

/// Why `call`'s arguments or its `--context` file cannot be used.
#[derive(Debug, thiserror::Error)]
enum ArgsError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `field`: the path of the field at fault, `.` for the whole file.
    #[error("{}: {}", path.display(), context_problem(field, source))]
    Context {
        path: PathBuf,
        field: String,
        source: serde_yaml_ng::Error,
    },
    #[error("PARAMS_JSON is not valid JSON: {0}")]
    Params(serde_json::Error),
    #[error("too many arguments: METHOD [PARAMS_JSON] [PLUGIN]")]
    TooMany,
}

/// `field: problem`, once: serde_yaml_ng starts its message with the field's path too.
fn context_problem(field: &str, source: &serde_yaml_ng::Error) -> String {
    let message = source.to_string();
    let problem = match field {
        "." => &message,
        _ => message
            .strip_prefix(field)
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(&message),
    };
    let problem = crate::text::sanitize_line(problem);
    match field {
        "." => problem,
        _ => format!("{field}: {problem}"),
    }
}

/// Reads `--context FILE` (YAML, so JSON too), naming the line and field of a mistake.
fn load_context(path: &Path) -> Result<ContextSpec, ArgsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ArgsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let de = serde_yaml_ng::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| ArgsError::Context {
        path: path.to_path_buf(),
        field: e.path().to_string(),
        source: e.into_inner(),
    })
}

/// PARAMS_JSON and PLUGIN from the positional words: two are both; one is the params when it
/// looks like JSON (`{` or `[`), else the plugin.
fn split_rest(rest: &[String]) -> Result<(Option<Value>, Option<PathBuf>), ArgsError> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).map_err(ArgsError::Params);
    match rest {
        [] => Ok((None, None)),
        [one] if one.trim_start().starts_with(['{', '[']) => Ok((Some(parse(one)?), None)),
        [one] => Ok((None, Some(PathBuf::from(one)))),
        [params, plugin] => Ok((Some(parse(params)?), Some(PathBuf::from(plugin)))),
        _ => Err(ArgsError::TooMany),
    }
}

/// The params sent: the context's for the method's kind, with `given` laid over them.
pub fn fill_params(
    method: &str,
    given: Option<Value>,
    ctx: &RenderContext,
    spec: &ContextSpec,
) -> Value {
    let base = match method {
        "tool/execute" => Some(ctx.tool_params("", Value::Object(Map::new()))),
        "sidebar_iframe/config" | "channel_integration/manifest" | "ping" | "shutdown" => None,
        m => match m.rsplit_once('/') {
            Some((kind, "render")) => {
                let mut p = ctx.render_params(&kind.into());
                spec.apply_visitor(&mut p);
                Some(p)
            }
            Some((_, "event")) => Some(ctx.event_params(&UiEvent::button_click(""))),
            _ => None,
        },
    };
    match (base, given) {
        (Some(Value::Object(mut base)), Some(Value::Object(over))) => {
            base.extend(over);
            Value::Object(base)
        }
        (_, Some(given)) => given,
        (Some(base), None) => base,
        (None, None) => Value::Object(Map::new()),
    }
}

fn diagnostics_text(diags: &[Diagnostic]) -> String {
    if diags.is_empty() {
        return "no diagnostics".into();
    }
    diags
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}",
                if d.is_error() { "error" } else { "warning" },
                crate::text::sanitize_line(&d.path),
                crate::text::sanitize_line(&d.message)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn pretty(v: &Value) -> String {
    crate::text::escape_json_controls(&serde_json::to_string_pretty(v).unwrap_or_default())
}

/// Runs `tgo-console call`.
pub async fn run(host: &HostArgs, file: &Config, args: CallArgs) -> ExitCode {
    let (given, plugin) = match split_rest(&args.rest) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let plugin_args = PluginArgs {
        demo: args.demo,
        plugin,
        command: args.command.clone(),
    };
    if [
        plugin_args.demo,
        plugin_args.plugin.is_some(),
        !plugin_args.command.is_empty(),
    ]
    .iter()
    .filter(|b| **b)
    .count()
        != 1
    {
        return fail("call needs one plugin: --demo, PLUGIN, or -- CMD ARGS…");
    }
    let command = match plugin_command(&plugin_args).await {
        Ok(Some(c)) => c,
        Ok(None) => return fail("call needs one plugin: --demo, PLUGIN, or -- CMD ARGS…"),
        Err(code) => return code,
    };
    let spec = match args.context.as_deref().map(load_context).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    let ctx = spec.render_context();
    let params = fill_params(&args.method, given, &ctx, &spec);
    let (config, _private) = match launch_host_config(host, file, true) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut launched = match Launched::start(config, Some(&command)).await {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let (register, registered) = launched.wait_for_register(args.wait).await;
    let Some((plugin_id, _)) = registered.filter(|_| register.status != crate::check::Status::Fail)
    else {
        eprintln!(
            "tgo-console: {}",
            crate::text::sanitize_line(&crate::scenario::register_failure(&register))
        );
        for l in launched.close(None, 10).await {
            eprintln!("  | {}", crate::text::sanitize_line(&l));
        }
        return ExitCode::from(1);
    };
    let reply = launched
        .host
        .request(&plugin_id, &args.method, params)
        .await;
    launched.close(Some(&plugin_id), 0).await;
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tgo-console: {e}");
            return ExitCode::from(1);
        }
    };
    let value = match &reply.outcome {
        Outcome::Result { value } => value.clone(),
        Outcome::PluginError(e) => {
            print_stdout(&format!("{}\n", pretty(&serde_json::json!({ "error": e }))));
            return ExitCode::from(1);
        }
        other => {
            eprintln!(
                "tgo-console: {} {}",
                crate::text::sanitize_line(&args.method),
                crate::text::sanitize_line(&other.summary())
            );
            return ExitCode::from(1);
        }
    };
    let kind = AnswerKind::of_method(&args.method).or_by_shape(&value);
    let (drawn, diagnostics) = match kind {
        AnswerKind::Ui { .. } => {
            let p = jsonui::parse_ui(&value);
            (
                Some(crate::drawn::ui_text(&p.value, args.width)),
                p.diagnostics,
            )
        }
        AnswerKind::Action { .. } => {
            let p = jsonui::parse_action(&value);
            (
                Some(crate::drawn::action_text(&p.value, args.width)),
                p.diagnostics,
            )
        }
        _ => (None, Vec::new()),
    };
    match (args.format, drawn) {
        (CallFormat::Ui, Some(drawn)) => {
            print_stdout(&format!("{drawn}\n\n{}\n", diagnostics_text(&diagnostics)));
        }
        _ => {
            print_stdout(&format!("{}\n", pretty(&value)));
            if !diagnostics.is_empty() {
                eprintln!("{}", diagnostics_text(&diagnostics));
            }
        }
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn params_come_from_the_context_and_given_ones_win() {
        let spec = ContextSpec {
            visitor_id: Some("v_9".into()),
            ..Default::default()
        };
        let ctx = spec.render_context();
        let p = fill_params("visitor_panel/render", None, &ctx, &spec);
        assert_eq!(p["visitor_id"], "v_9");
        assert_eq!(p["context"]["extension_type"], "visitor_panel");
        let p = fill_params(
            "visitor_panel/event",
            Some(json!({"action_id": "view_all"})),
            &ctx,
            &spec,
        );
        assert_eq!(p["action_id"], "view_all");
        assert_eq!(p["event_type"], "button_click");
        assert_eq!(p["session_id"], "s_9");
        let p = fill_params(
            "tool/execute",
            Some(json!({"tool_name": "t", "arguments": {"a": 1}})),
            &ctx,
            &spec,
        );
        assert_eq!(p["tool_name"], "t");
        assert_eq!(p["agent_id"], "agent_001");
        assert_eq!(fill_params("ping", None, &ctx, &spec), json!({}));
        assert_eq!(
            fill_params("custom", Some(json!([1])), &ctx, &spec),
            json!([1])
        );
    }

    #[test]
    fn a_bad_context_file_names_the_file_and_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctx.yml");
        let e = load_context(&path).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: cannot read: ", path.display())),
            "{e}"
        );
        std::fs::write(&path, "visitor_id: v_1\nlanguage: [en]\n").unwrap();
        let e = load_context(&path).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: language: invalid type: sequence, expected a string at line 2 column 11",
                path.display()
            )
        );
        std::fs::write(&path, "- a\n").unwrap();
        let e = load_context(&path).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: invalid type", path.display())),
            "{e}"
        );
    }

    #[test]
    fn params_or_plugin_from_the_words() {
        assert_eq!(split_rest(&[]).unwrap(), (None, None));
        assert_eq!(
            split_rest(&["{\"a\":1}".into()]).unwrap(),
            (Some(json!({"a": 1})), None)
        );
        assert_eq!(
            split_rest(&["examples/plugins/orders".into()]).unwrap(),
            (None, Some(PathBuf::from("examples/plugins/orders")))
        );
        assert!(
            split_rest(&["{nope".into()])
                .unwrap_err()
                .to_string()
                .starts_with("PARAMS_JSON is not valid JSON")
        );
        assert_eq!(
            split_rest(&["{}".into(), "p".into(), "x".into()])
                .unwrap_err()
                .to_string(),
            "too many arguments: METHOD [PARAMS_JSON] [PLUGIN]"
        );
    }
}
