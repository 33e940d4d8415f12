//! `tgo-console check`: a headless conformance run of one plugin over the real host.
//!
//! Register, render every capability with a realistic context, validate the JSON-UI, press
//! every button, validate the JSON-ACTION, ping, shut down, stop the process; report each step.

pub mod chaos;
pub mod launch;
mod outline;
pub mod report;
pub mod validate;

pub use launch::{Launched, PrivateSocket};
pub use outline::{action_outline, ui_outline};
pub use report::{Report, Status, Step};
pub use validate::Validated;

use crate::host::context::capability_render_params;
use crate::host::{
    self, CapabilityKind, EntryKind, HostConfig, HostHandle, ListenError, Outcome, PluginInfo,
    RenderContext, Reply, UiEvent,
};
use crate::jsonui::{self, Action, InteractionKind, Node};
use crate::launcher::{ChildPlugin, LaunchSpec, Stop};
use report::PluginSummary;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// How `check` runs.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub host: HostConfig,
    pub visitor: String,
    /// The plugin to launch; `None` waits for one to connect.
    pub command: Option<LaunchSpec>,
    /// How long to wait for a registration.
    pub wait: Duration,
    /// Warnings fail the check too.
    pub strict: bool,
    /// Run the chaos faults after the normal check (`--chaos`).
    pub chaos: Option<chaos::ChaosOptions>,
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
    let mut launched = Launched::start(opts.host.clone(), opts.command.as_ref()).await?;
    if launched.child.is_none() {
        eprintln!(
            "waiting up to {:.0} s for a plugin on {} …",
            opts.wait.as_secs_f64(),
            launched.host.addresses().join(", ")
        );
    }
    let mut report = Report {
        strict: opts.strict,
        listening: launched.host.addresses().to_vec(),
        command: opts.command.as_ref().map(LaunchSpec::display),
        ..Report::default()
    };

    let (step, registered) = launched.wait_for_register(opts.wait).await;
    report.steps.push(step);
    let host = launched.host.clone();
    // Its memory, and its CPU from its registration to its shutdown.
    let pid = launched
        .child
        .as_ref()
        .and_then(|c| c.pid())
        .and_then(|p| u32::try_from(p).ok());
    let mut usage = crate::launcher::tree::UsageSampler::default();
    if let Some(pid) = pid {
        usage.sample(&[pid], Instant::now());
    }
    if let Some((plugin_id, info)) = registered {
        report.plugin = Some(PluginSummary::new(&plugin_id, &info));
        let ctx = RenderContext::for_visitor(&opts.visitor);
        exercise(&host, &plugin_id, &info, &ctx, &mut report).await;
        let mut plugin_id = plugin_id;
        // Chaos leaves stray answers on purpose: the hygiene step looks only before it.
        let mut checked_until = None;
        if let Some(chaos_opts) = &opts.chaos
            && !disconnected(&host, &plugin_id)
        {
            checked_until = Some(host.log().last_seq());
            let mut observer = ChildObserver(launched.child.as_mut());
            let chaos = chaos::run(&host, &plugin_id, chaos_opts, &mut observer).await;
            plugin_id = chaos.plugin_id.clone();
            // A plugin that stopped answering would only make ping and shutdown wait their
            // timeouts too: it is let go, and its process stopped as one that hung up.
            if chaos
                .faults
                .iter()
                .any(|f| f.verdict == chaos::Verdict::Hung)
            {
                host.disconnect(&plugin_id, "chaos: the plugin stopped answering");
            }
            report.chaos = Some(chaos);
        }
        if let Some(pid) = pid {
            report.process = usage.sample(&[pid], Instant::now()).remove(&pid);
        }
        finish_plugin(
            &host,
            &plugin_id,
            launched.child.as_mut(),
            checked_until,
            &mut report,
        )
        .await;
    } else {
        host.shutdown().await;
    }
    if launched.child.is_some() {
        launched.stop_child(Duration::from_millis(100)).await;
        report.plugin_output = launched.output_tail(OUTPUT_TAIL);
    }
    report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    report.finish();
    Ok(report)
}

fn ms(reply: &Reply) -> Option<f64> {
    Some(reply.latency.as_secs_f64() * 1000.0)
}

/// Fills `step` from a reply: latency, the frames both ways, and a failure for anything but a
/// result.
fn settle(host: &HostHandle, step: &mut Step, reply: &Reply) -> Option<Value> {
    step.latency_ms = ms(reply);
    let mut health = host::Health::default();
    let now = Instant::now();
    health.record(&reply.outcome, reply.latency, now);
    step.health = Some(health.snapshot(now));
    (step.request, step.answer) = launch::frames(host, reply);
    match &reply.outcome {
        Outcome::Result { value } => Some(value.clone()),
        other => {
            step.mark(Status::Fail, other.summary());
            None
        }
    }
}

/// Sends one request and records it as `step`; `None` when it did not end in a result.
async fn ask(
    host: &HostHandle,
    plugin_id: &str,
    method: &str,
    params: Value,
    step: &mut Step,
) -> Option<Value> {
    match host.request(plugin_id, method, params).await {
        Ok(reply) => settle(host, step, &reply),
        Err(e) => {
            step.mark(Status::Fail, e.to_string());
            None
        }
    }
}

/// Whether an action (or one inside a batch) asks the host to render again.
fn asks_refresh(action: &Action) -> bool {
    match action {
        Action::Refresh => true,
        Action::Batch(actions) => actions.iter().any(asks_refresh),
        _ => false,
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
        if cap.kind == CapabilityKind::McpTools {
            run_tools(host, plugin_id, cap, ctx, report).await;
            continue;
        }
        let Some(method) = cap.kind.render_method() else {
            continue;
        };
        let mut step = Step::new(
            format!("render {} \"{}\"", cap.kind, cap.title),
            Some(&method),
        );
        if !cap.kind.is_known() {
            step.mark(
                Status::Warn,
                format!(
                    "unknown capability type \"{}\": sent {method} as a guess",
                    cap.kind
                ),
            );
        }
        let params = capability_render_params(ctx, &info.capabilities, index);
        let Some(value) = ask(host, plugin_id, &method, params.clone(), &mut step).await else {
            let gone = disconnected(host, plugin_id);
            report.steps.push(step);
            if gone {
                break;
            }
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
        let target = Target {
            kind: &cap.kind,
            method: &method,
            params: &params,
        };
        press_all(host, plugin_id, &target, &parsed.value, ctx, report).await;
    }
}

/// The capability whose UI is being pressed: where its events go, how to render it again.
struct Target<'a> {
    kind: &'a CapabilityKind,
    method: &'a str,
    params: &'a Value,
}

/// Presses every enabled button once, then submits every form with values built from its
/// fields; an answer that asks for `refresh` renders the capability again.
async fn press_all(
    host: &HostHandle,
    plugin_id: &str,
    target: &Target<'_>,
    ui: &Node,
    ctx: &RenderContext,
    report: &mut Report,
) {
    let mut seen = HashSet::new();
    for button in jsonui::buttons(ui) {
        let InteractionKind::ButtonClick { action_id } = &button.kind else {
            continue;
        };
        if button.disabled || !seen.insert(action_id.clone()) || disconnected(host, plugin_id) {
            continue;
        }
        let name = format!("event button_click \"{}\" → {action_id}", button.label);
        let event = UiEvent::button_click(action_id);
        send_event(host, plugin_id, target, name, event, ctx, report).await;
    }
    for form in jsonui::forms(ui) {
        if disconnected(host, plugin_id) {
            break;
        }
        let action_id = form.action_id.clone().unwrap_or_else(|| "submit".into());
        let title = form.title.as_deref().or(form.submit_text.as_deref());
        let name = match title {
            Some(t) => format!("event form_submit \"{t}\" → {action_id}"),
            None => format!("event form_submit → {action_id}"),
        };
        let event = UiEvent {
            event_type: "form_submit".into(),
            action_id,
            selected_id: None,
            form_data: jsonui::sample_form_data(form),
        };
        send_event(host, plugin_id, target, name, event, ctx, report).await;
    }
}

/// Sends one event, validates the JSON-ACTION, and re-renders when it asks for `refresh`.
async fn send_event(
    host: &HostHandle,
    plugin_id: &str,
    target: &Target<'_>,
    name: String,
    event: UiEvent,
    ctx: &RenderContext,
    report: &mut Report,
) {
    let method = target.kind.event_method();
    let mut step = Step::new(name.clone(), Some(&method));
    if event.event_type == "form_submit" {
        step.detail.push(format!(
            "form_data {}",
            Value::Object(event.form_data.clone())
        ));
    }
    let mut refresh = false;
    if let Some(value) = ask(
        host,
        plugin_id,
        &method,
        ctx.event_params(&event),
        &mut step,
    )
    .await
    {
        let parsed = jsonui::parse_action(&value);
        step.detail.extend(action_outline(&parsed.value));
        refresh = asks_refresh(&parsed.value);
        step.add_diagnostics(parsed.diagnostics);
    }
    report.steps.push(step);
    if !refresh || disconnected(host, plugin_id) {
        return;
    }
    let mut again = Step::new(
        format!("render again after refresh ({name})"),
        Some(target.method),
    );
    if let Some(value) = ask(
        host,
        plugin_id,
        target.method,
        target.params.clone(),
        &mut again,
    )
    .await
    {
        let parsed = jsonui::parse_ui(&value);
        again.detail = ui_outline(&parsed.value);
        again.add_diagnostics(parsed.diagnostics);
    }
    report.steps.push(again);
}

fn disconnected(host: &HostHandle, plugin_id: &str) -> bool {
    host.plugin(plugin_id).is_none()
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
        if let Some(value) = settle(host, &mut step, &reply) {
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

/// What chaos learns about the launched process: whether it exited.
struct ChildObserver<'a>(Option<&'a mut ChildPlugin>);

impl chaos::Observer for ChildObserver<'_> {
    fn exited(&mut self) -> Option<String> {
        self.0.as_mut()?.try_status().map(|s| s.to_string())
    }
}

async fn finish_plugin(
    host: &HostHandle,
    plugin_id: &str,
    child: Option<&mut ChildPlugin>,
    checked_until: Option<u64>,
    report: &mut Report,
) {
    let connected = !disconnected(host, plugin_id);
    let mut ping = Step::new("ping", Some("ping"));
    if connected {
        match host.request(plugin_id, "ping", json!({})).await {
            Ok(reply) => {
                ping.latency_ms = ms(&reply);
                (ping.request, ping.answer) = launch::frames(host, &reply);
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
                (shutdown.request, shutdown.answer) = launch::frames(host, &reply);
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
    // The plugin's traffic, before the host's own farewell (a second `shutdown` to a plugin
    // still closing would count as a disconnect).
    report.health = host.health(plugin_id);
    hygiene(host, plugin_id, checked_until, report);
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
fn hygiene(host: &HostHandle, plugin_id: &str, until: Option<u64>, report: &mut Report) {
    let mut step = Step::new("protocol hygiene", None);
    let log = host.log();
    let mut count = 0;
    for e in log.entries() {
        if until.is_some_and(|u| e.seq > u) {
            break;
        }
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
