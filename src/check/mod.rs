//! `tgo-console check`: a headless conformance run of one plugin over the real host.
//!
//! Register, render every capability with a realistic context, validate the JSON-UI, press
//! every button, validate the JSON-ACTION, ping, shut down, stop the process; report each step.

mod outline;
pub mod report;
pub mod validate;

pub use outline::{action_outline, ui_outline};
pub use report::{Report, Status, Step};
pub use validate::Validated;

use crate::host::context::{capability_render_params, event_method, render_method};
use crate::host::{
    self, EntryKind, HostConfig, HostEvent, HostHandle, ListenError, Outcome, PluginInfo,
    RenderContext, Reply, UiEvent,
};
use crate::jsonui::{self, InteractionKind};
use crate::launcher::{ChildPlugin, LaunchSpec, Stop};
use crate::text::has_control_chars;
use report::PluginSummary;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// How `check` runs.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub host: HostConfig,
    pub visitor: String,
    /// The plugin to launch; `None` waits for one to connect.
    pub command: Option<LaunchSpec>,
    /// How long to wait for a registration.
    pub wait: Duration,
}

/// Why `check` could not run at all (as opposed to a plugin failing it).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error("cannot start `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
}

/// Lines of plugin output kept in the report.
const OUTPUT_TAIL: usize = 20;

pub async fn run(opts: CheckOptions) -> Result<Report, CheckError> {
    let started = Instant::now();
    let (host, mut events) = host::start(opts.host.clone()).await?;
    let mut child = match &opts.command {
        Some(spec) => {
            let mut spec = spec.clone();
            if let Some(sock) = &opts.host.socket {
                spec.env
                    .push(("TGO_SOCKET_PATH".into(), sock.display().to_string()));
            }
            if let Some(addr) = host.addresses().iter().find(|a| !a.starts_with('/')) {
                spec.env.push(("TGO_TCP_ADDR".into(), addr.clone()));
                if let Ok(a) = addr.parse::<std::net::SocketAddr>() {
                    spec.env.push(("TGO_TCP_PORT".into(), a.port().to_string()));
                }
            }
            Some(
                ChildPlugin::spawn(&spec).map_err(|source| CheckError::Spawn {
                    command: spec.display(),
                    source,
                })?,
            )
        }
        None => {
            eprintln!(
                "waiting up to {:.0} s for a plugin on {} …",
                opts.wait.as_secs_f64(),
                host.addresses().join(", ")
            );
            None
        }
    };
    let mut report = Report {
        passed: false,
        listening: host.addresses().to_vec(),
        command: opts.command.as_ref().map(LaunchSpec::display),
        plugin: None,
        steps: Vec::new(),
        counts: Default::default(),
        duration_ms: 0.0,
        plugin_output: Vec::new(),
    };

    let registered =
        wait_for_register(&host, &mut events, child.as_mut(), opts.wait, &mut report).await;
    if let Some((plugin_id, info)) = registered {
        let ctx = RenderContext::for_visitor(&opts.visitor);
        exercise(&host, &plugin_id, &info, &ctx, &mut report).await;
        finish_plugin(&host, &plugin_id, child.as_mut(), &mut report).await;
    } else {
        host.shutdown().await;
    }
    if let Some(c) = child.as_mut() {
        if c.try_status().is_none() {
            c.stop(Duration::from_millis(100)).await;
        }
        // Output readers may still be draining the pipes.
        tokio::time::sleep(Duration::from_millis(50)).await;
        report.plugin_output = c
            .output()
            .lock()
            .tail(OUTPUT_TAIL)
            .into_iter()
            .map(|l| l.text)
            .collect();
    }
    report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    report.finish();
    Ok(report)
}

async fn wait_for_register(
    host: &HostHandle,
    events: &mut UnboundedReceiver<HostEvent>,
    mut child: Option<&mut ChildPlugin>,
    wait: Duration,
    report: &mut Report,
) -> Option<(String, PluginInfo)> {
    let mut step = Step::new("register", Some("register"));
    let deadline = tokio::time::Instant::now() + wait;
    let started = Instant::now();
    loop {
        let exited = async {
            match child.as_mut() {
                Some(c) => c.wait().await.ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = events.recv() => match ev {
                Some(HostEvent::Registered { plugin_id, info, .. }) => {
                    step.latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
                    step.detail.push(format!("{} {} as {plugin_id}", info.name, info.version));
                    for c in &info.capabilities {
                        step.detail.push(format!("capability {} \"{}\" (icon {}, priority {})", c.kind, c.title, c.icon.as_deref().unwrap_or("-"), c.priority));
                    }
                    // Every note, not only the first: what an empty register lacks is a list.
                    for note in &info.notes {
                        step.detail.push(format!("note: {note}"));
                        step.mark(Status::Warn, note.clone());
                    }
                    if info.capabilities.is_empty() {
                        step.mark(Status::Fail, "the plugin registered no capabilities: TGO will never call it");
                    }
                    let texts = [&info.name, &info.version].into_iter().chain(info.description.iter()).chain(info.capabilities.iter().map(|c| &c.title));
                    if texts.into_iter().any(|t| has_control_chars(t)) {
                        step.mark(Status::Warn, "control characters in the registration's strings (shown escaped)");
                    }
                    report.plugin = Some(PluginSummary {
                        plugin_id: plugin_id.clone(),
                        name: info.name.clone(),
                        version: info.version.clone(),
                        capabilities: info.capabilities.iter().map(|c| format!("{} \"{}\"", c.kind, c.title)).collect(),
                    });
                    report.steps.push(step);
                    return Some((plugin_id, info));
                }
                Some(HostEvent::Rejected { reason, .. }) => {
                    step.mark(Status::Fail, format!("registration refused: {reason}"));
                    report.steps.push(step);
                    return None;
                }
                Some(HostEvent::Disconnected { reason, plugin_id: None, .. }) if reason != "closed before registering" => {
                    step.mark(Status::Fail, format!("connection ended before registering: {reason}"));
                    report.steps.push(step);
                    return None;
                }
                Some(_) => {}
                None => return None,
            },
            status = exited => {
                let status = status.map_or("an unknown status".to_string(), |s| s.to_string());
                step.mark(Status::Fail, format!("the plugin exited ({status}) without registering"));
                report.steps.push(step);
                return None;
            }
            _ = tokio::time::sleep_until(deadline) => {
                step.mark(Status::Fail, format!("no plugin registered within {:.0} s on {}", wait.as_secs_f64(), host.addresses().join(", ")));
                report.steps.push(step);
                return None;
            }
        }
    }
}

fn ms(reply: &Reply) -> Option<f64> {
    Some(reply.latency.as_secs_f64() * 1000.0)
}

/// Fills `step` from a reply: latency, and a failure for anything but a result.
fn settle(step: &mut Step, reply: &Reply) -> Option<Value> {
    step.latency_ms = ms(reply);
    match &reply.outcome {
        Outcome::Result { value } => Some(value.clone()),
        other => {
            step.mark(Status::Fail, other.summary());
            None
        }
    }
}

async fn exercise(
    host: &HostHandle,
    plugin_id: &str,
    info: &PluginInfo,
    ctx: &RenderContext,
    report: &mut Report,
) {
    let mut caps: Vec<_> = info.capabilities.iter().enumerate().collect();
    caps.sort_by_key(|(_, c)| c.priority);
    for (index, cap) in caps {
        if disconnected(host, plugin_id) {
            break;
        }
        if cap.kind == "mcp_tools" {
            run_tools(host, plugin_id, cap, ctx, report).await;
            continue;
        }
        let Some(method) = render_method(&cap.kind) else {
            continue;
        };
        let mut step = Step::new(
            format!("render {} \"{}\"", cap.kind, cap.title),
            Some(&method),
        );
        if !matches!(
            cap.kind.as_str(),
            "visitor_panel" | "chat_toolbar" | "sidebar_iframe" | "channel_integration"
        ) {
            step.mark(
                Status::Warn,
                format!(
                    "unknown capability type \"{}\": sent {method} as a guess",
                    cap.kind
                ),
            );
        }
        let params = capability_render_params(ctx, &info.capabilities, index);
        let reply = match host.request(plugin_id, &method, params).await {
            Ok(r) => r,
            Err(e) => {
                step.mark(Status::Fail, e.to_string());
                report.steps.push(step);
                break;
            }
        };
        let Some(value) = settle(&mut step, &reply) else {
            report.steps.push(step);
            continue;
        };
        let parsed = match validate::validate(&method, &value) {
            Some(Validated::Ui(parsed)) => parsed,
            Some(Validated::Config(diags)) => {
                step.detail
                    .push(crate::text::truncate_chars(&value.to_string(), 100));
                step.add_diagnostics(diags);
                report.steps.push(step);
                continue;
            }
            _ => jsonui::parse_ui(&value),
        };
        step.detail = ui_outline(&parsed.value);
        step.add_diagnostics(parsed.diagnostics);
        report.steps.push(step);
        let mut seen = HashSet::new();
        for button in jsonui::buttons(&parsed.value) {
            let InteractionKind::ButtonClick { action_id } = &button.kind else {
                continue;
            };
            if button.disabled || !seen.insert(action_id.clone()) || disconnected(host, plugin_id) {
                continue;
            }
            press(
                host,
                plugin_id,
                &cap.kind,
                &button.label,
                action_id,
                ctx,
                report,
            )
            .await;
        }
    }
}

fn disconnected(host: &HostHandle, plugin_id: &str) -> bool {
    host.plugin(plugin_id).is_none()
}

async fn press(
    host: &HostHandle,
    plugin_id: &str,
    kind: &str,
    label: &str,
    action_id: &str,
    ctx: &RenderContext,
    report: &mut Report,
) {
    let method = event_method(kind);
    let mut step = Step::new(
        format!("event button_click \"{label}\" → {action_id}"),
        Some(&method),
    );
    let params = ctx.event_params(&UiEvent::button_click(action_id));
    match host.request(plugin_id, &method, params).await {
        Ok(reply) => {
            if let Some(value) = settle(&mut step, &reply) {
                let parsed = match validate::validate(&method, &value) {
                    Some(Validated::Action(parsed)) => parsed,
                    _ => jsonui::parse_action(&value),
                };
                step.detail = action_outline(&parsed.value);
                step.add_diagnostics(parsed.diagnostics);
            }
        }
        Err(e) => step.mark(Status::Fail, e.to_string()),
    }
    report.steps.push(step);
}

async fn run_tools(
    host: &HostHandle,
    plugin_id: &str,
    cap: &host::Capability,
    ctx: &RenderContext,
    report: &mut Report,
) {
    if cap.tools.is_empty() {
        let mut step = Step::new(format!("mcp_tools \"{}\"", cap.title), None);
        step.mark(Status::Warn, "the mcp_tools capability lists no tools");
        report.steps.push(step);
        return;
    }
    for tool in &cap.tools {
        let mut step = Step::new(format!("tool {}", tool.name), Some("tool/execute"));
        let args = crate::host::context::sample_arguments(tool);
        step.detail.push(format!("arguments {args}"));
        let reply = match host
            .request(plugin_id, "tool/execute", ctx.tool_params(&tool.name, args))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                step.mark(Status::Fail, e.to_string());
                report.steps.push(step);
                return;
            }
        };
        if let Some(value) = settle(&mut step, &reply) {
            match value.get("success").and_then(Value::as_bool) {
                Some(true) => step.detail.push(format!(
                    "success: {}",
                    value
                        .get("content")
                        .map_or("(no content)".into(), Value::to_string)
                )),
                Some(false) => step.detail.push(format!(
                    "tool reported failure: {}",
                    value
                        .get("error")
                        .map_or("(no error text)".into(), Value::to_string)
                )),
                None => step.mark(
                    Status::Fail,
                    "answer is not {success, content, data?, error?}: no boolean \"success\"",
                ),
            }
        }
        report.steps.push(step);
    }
}

async fn finish_plugin(
    host: &HostHandle,
    plugin_id: &str,
    child: Option<&mut ChildPlugin>,
    report: &mut Report,
) {
    let connected = !disconnected(host, plugin_id);
    let mut ping = Step::new("ping", Some("ping"));
    if connected {
        match host.request(plugin_id, "ping", json!({})).await {
            Ok(reply) => {
                ping.latency_ms = ms(&reply);
                match &reply.outcome {
                    Outcome::Result { value } if value.get("pong") == Some(&Value::Bool(true)) => {}
                    Outcome::Result { value } => ping.mark(
                        Status::Warn,
                        format!("answered {value}, expected {{\"pong\":true}}"),
                    ),
                    Outcome::PluginError(e) => ping.mark(
                        Status::Warn,
                        format!("plugin does not answer ping ({} {})", e.code, e.message),
                    ),
                    other => ping.mark(Status::Fail, other.summary()),
                }
            }
            Err(e) => ping.mark(Status::Fail, e.to_string()),
        }
    } else {
        ping.status = Status::Skip;
        ping.message = Some("the plugin is no longer connected".into());
    }
    report.steps.push(ping);

    let mut shutdown = Step::new("shutdown", Some("shutdown"));
    if !disconnected(host, plugin_id) {
        let grace = host.config().shutdown_grace;
        match host
            .send(plugin_id, "shutdown", json!({}), Some(grace))
            .await
        {
            Ok(ticket) => {
                let reply = ticket.wait().await;
                shutdown.latency_ms = ms(&reply);
                match &reply.outcome {
                    Outcome::Result { value }
                        if value.get("success") == Some(&Value::Bool(true)) => {}
                    Outcome::Result { value } => shutdown.mark(
                        Status::Warn,
                        format!("answered {value}, expected {{\"success\":true}}"),
                    ),
                    other => shutdown.mark(Status::Warn, other.summary()),
                }
            }
            Err(e) => shutdown.mark(Status::Warn, e.to_string()),
        }
    } else {
        shutdown.status = Status::Skip;
        shutdown.message = Some("the plugin is no longer connected".into());
    }
    report.steps.push(shutdown);
    hygiene(host, plugin_id, report);
    host.shutdown().await;

    if let Some(child) = child {
        let mut exit = Step::new("process exit", None);
        let grace = host.config().shutdown_grace;
        match child.stop(grace).await {
            Stop::Exited(s) if s.success() => exit.detail.push(format!("exited by itself ({s})")),
            Stop::Exited(s) => exit.mark(Status::Warn, format!("exited with {s}")),
            Stop::Terminated(s) => exit.mark(
                Status::Warn,
                format!(
                    "did not exit within {:.0} s of shutdown; SIGTERM stopped it ({s})",
                    grace.as_secs_f64()
                ),
            ),
            Stop::Killed(s) => exit.mark(
                Status::Warn,
                format!("ignored shutdown and SIGTERM; SIGKILL stopped it ({s})"),
            ),
        }
        report.steps.push(exit);
    }
}

/// Protocol faults seen outside the steps: stray answers, invalid frames, plugin→host requests.
fn hygiene(host: &HostHandle, plugin_id: &str, report: &mut Report) {
    let mut step = Step::new("protocol hygiene", None);
    let log = host.log();
    let mut count = 0;
    for e in log.entries() {
        let paired = e.pair.is_some();
        let ours = e.plugin.as_deref() == Some(plugin_id);
        let stray = matches!(
            e.kind,
            EntryKind::Invalid { .. }
                | EntryKind::Result { .. }
                | EntryKind::Error { .. }
                | EntryKind::Request { .. }
                | EntryKind::Notification { .. }
        ) && e.dir == host::Direction::In
            && !paired;
        if ours && stray {
            count += 1;
            if step.detail.len() < 10 {
                let notes = if e.notes.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.notes.join("; "))
                };
                let what = match &e.kind {
                    EntryKind::Invalid { reason } => format!("invalid frame ({reason})"),
                    other => other.label(),
                };
                step.detail.push(format!("#{} {what}{notes}", e.seq));
            }
        }
    }
    drop(log);
    if count > 0 {
        step.mark(
            Status::Warn,
            format!(
                "{count} message(s) from the plugin outside any request/answer pair (see the log)"
            ),
        );
    }
    report.steps.push(step);
}
