//! Chaos toward the plugin: faults a real host may send, each run against a live plugin, then
//! a healthy render to see whether it survived. Nothing here knows about terminals:
//! `check --chaos` prints the report, the console draws it.
//!
//! Each fault ends in a verdict: `ok` (it coped), `error-answer` (it answered the fault with a
//! JSON-RPC error), `wrong` (it survived but answered wrongly: an id never asked, a result to a
//! notification, no answer to a request), `crashed` (its connection closed or its process
//! exited), `hung` (the healthy render got no answer in time), or `not run` (the plugin was
//! gone by then).

use crate::host::context::capability_render_params;
use crate::host::{ConnId, Direction, EntryKind, HostHandle, Outcome, RenderContext, Ticket};
use crate::protocol::{Id, codec, jsonrpc};
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// One named fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    MalformedJson,
    NonUtf8,
    UnknownMethod,
    MissingParams,
    WrongParamTypes,
    DuplicateId,
    Notification,
    HugeParams,
    Burst,
    SlowReader,
    CloseMidFrame,
}

impl Fault {
    /// Every fault, in the order they run: `close_mid_frame` last, so a plugin that does not
    /// dial again still meets every other fault.
    pub const ALL: [Fault; 11] = [
        Fault::MalformedJson,
        Fault::NonUtf8,
        Fault::UnknownMethod,
        Fault::MissingParams,
        Fault::WrongParamTypes,
        Fault::DuplicateId,
        Fault::Notification,
        Fault::HugeParams,
        Fault::Burst,
        Fault::SlowReader,
        Fault::CloseMidFrame,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::MalformedJson => "malformed_json",
            Fault::NonUtf8 => "non_utf8",
            Fault::UnknownMethod => "unknown_method",
            Fault::MissingParams => "missing_params",
            Fault::WrongParamTypes => "wrong_param_types",
            Fault::DuplicateId => "duplicate_id",
            Fault::Notification => "notification",
            Fault::HugeParams => "huge_params",
            Fault::Burst => "burst",
            Fault::SlowReader => "slow_reader",
            Fault::CloseMidFrame => "close_mid_frame",
        }
    }

    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name.trim())
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What became of the plugin after one fault, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    ErrorAnswer,
    Wrong,
    NotRun,
    Hung,
    Crashed,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::ErrorAnswer => "error-answer",
            Verdict::Wrong => "wrong",
            Verdict::NotRun => "not run",
            Verdict::Hung => "hung",
            Verdict::Crashed => "crashed",
        }
    }

    /// A plugin that crashed or hung fails the run; a wrong answer is only reported.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Crashed | Verdict::Hung)
    }
}

/// One fault's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultReport {
    pub fault: Fault,
    pub verdict: Verdict,
    /// What was sent.
    pub sent: String,
    /// What the plugin did, in one line.
    pub detail: String,
    /// How the healthy render after the fault went (`None` when it was not tried).
    pub healthy: Option<String>,
    pub duration_ms: f64,
}

/// The whole run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChaosReport {
    /// The plugin's id at the end (a plugin that dialled again may have another).
    pub plugin_id: String,
    /// The method of the healthy render (the first renderable capability, else `ping`).
    pub healthy_method: String,
    pub faults: Vec<FaultReport>,
    /// No fault crashed or hung the plugin.
    pub passed: bool,
    /// The first fault that crashed or hung it.
    pub killed_by: Option<Fault>,
}

impl ChaosReport {
    /// "survived all 11 faults" / "crashed by malformed_json (…)".
    pub fn headline(&self) -> String {
        match self.faults.iter().find(|f| f.verdict.fails()) {
            Some(f) => format!("{} by {}: {}", f.verdict.label(), f.fault, f.detail),
            None => {
                let wrong = self
                    .faults
                    .iter()
                    .filter(|f| f.verdict == Verdict::Wrong)
                    .count();
                let mut text = format!("survived all {} faults", self.faults.len());
                if wrong > 0 {
                    text.push_str(&format!(" ({wrong} answered wrongly)"));
                }
                text
            }
        }
    }
}

/// How the faults are run. The defaults are the real ones; tests shorten the slow ones.
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosOptions {
    pub faults: Vec<Fault>,
    /// How long the healthy render (and every answer) may take.
    pub timeout: Duration,
    /// How long, after the healthy render, answers to a fault are still waited for.
    pub settle: Duration,
    /// Renders sent at once by `burst` (and while `slow_reader` does not read).
    pub burst: usize,
    /// Size of the padding `huge_params` adds to a render's params.
    pub huge_bytes: usize,
    /// How long `slow_reader` stops reading.
    pub pause: Duration,
    /// How long a new connection is waited for after the connection closed.
    pub reconnect: Duration,
    pub visitor: String,
}

impl Default for ChaosOptions {
    fn default() -> Self {
        Self {
            faults: Fault::ALL.to_vec(),
            timeout: Duration::from_secs(10),
            settle: Duration::from_millis(300),
            burst: 1000,
            huge_bytes: 1024 * 1024,
            pause: Duration::from_secs(5),
            reconnect: Duration::from_secs(10),
            visitor: "v_12345".into(),
        }
    }
}

/// What the caller learns while the faults run, and what it knows about the process.
pub trait Observer: Send {
    /// A fault is about to run.
    fn starting(&mut self, _fault: Fault) {}
    /// A fault was judged.
    fn judged(&mut self, _report: &FaultReport) {}
    /// How the plugin's process ended, when the caller launched it and it did.
    fn exited(&mut self) -> Option<String> {
        None
    }
}

/// An observer that observes nothing.
impl Observer for () {}

/// The plugin as the faults see it: where to send, and its healthy render.
struct Target {
    plugin_id: String,
    conn: ConnId,
    /// The host invented its id: after a new connection it is found by name.
    id_invented: bool,
    name: String,
    method: String,
    params: Value,
}

impl Target {
    fn find(host: &HostHandle, plugin_id: &str, visitor: &str) -> Option<Target> {
        let record = host.plugin(plugin_id)?;
        let caps = &record.info.capabilities;
        let mut renderable: Vec<_> = caps
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, c.priority, c.kind.render_method()?)))
            .collect();
        renderable.sort_by_key(|(_, priority, _)| *priority);
        let ctx = RenderContext::for_visitor(visitor);
        let (method, params) = match renderable.first() {
            Some((i, _, method)) => (method.clone(), capability_render_params(&ctx, caps, *i)),
            None => ("ping".to_string(), json!({})),
        };
        Some(Target {
            plugin_id: record.plugin_id,
            conn: record.conn,
            id_invented: record.info.requested_id.is_none(),
            name: record.info.name,
            method,
            params,
        })
    }

    fn connected(&self, host: &HostHandle) -> bool {
        host.plugin(&self.plugin_id)
            .is_some_and(|r| r.conn == self.conn)
    }
}

/// Runs the faults one after the other against `plugin_id`.
pub async fn run(
    host: &HostHandle,
    plugin_id: &str,
    opts: &ChaosOptions,
    observer: &mut dyn Observer,
) -> ChaosReport {
    let mut plugin_id = plugin_id.to_string();
    let mut healthy_method = String::new();
    let mut faults = Vec::new();
    // Why the remaining faults are not run.
    let mut gone: Option<String> = None;
    for &fault in &opts.faults {
        observer.starting(fault);
        let target = match &gone {
            Some(_) => None,
            None => Target::find(host, &plugin_id, &opts.visitor),
        };
        let report = match target {
            None => FaultReport {
                fault,
                verdict: Verdict::NotRun,
                sent: sent_text(fault, opts),
                detail: gone
                    .clone()
                    .unwrap_or_else(|| "the plugin is not connected".into()),
                healthy: None,
                duration_ms: 0.0,
            },
            Some(target) => {
                if healthy_method.is_empty() {
                    healthy_method = target.method.clone();
                }
                let (report, now) = run_fault(host, target, fault, opts, observer).await;
                match now {
                    Some(t) => plugin_id = t.plugin_id,
                    None => {
                        gone = Some(format!("the plugin {} at {fault}", report.verdict.label()))
                    }
                }
                report
            }
        };
        observer.judged(&report);
        faults.push(report);
    }
    let killed_by = faults.iter().find(|f| f.verdict.fails()).map(|f| f.fault);
    ChaosReport {
        plugin_id,
        healthy_method,
        passed: killed_by.is_none(),
        killed_by,
        faults,
    }
}

/// What a fault sent that is judged once the healthy render is done.
enum Sent {
    /// A request the plugin can read: an answer is due.
    Ask(Ticket),
    /// A frame the plugin cannot read: no answer, or an error without an id, is right. An
    /// answer to the ticket's id (which the frame holds) is a lenient reading.
    Unreadable(Ticket),
    /// Two requests under the ticket's id.
    Twice(Ticket),
    /// A notification: no answer is right.
    Notification,
    /// Judged already (`burst`, `slow_reader`, `close_mid_frame`).
    Judged(Verdict, String),
}

/// Runs one fault and the healthy render after it. The target comes back when the plugin
/// is still there (perhaps on a new connection) to meet the next fault.
async fn run_fault(
    host: &HostHandle,
    mut target: Target,
    fault: Fault,
    opts: &ChaosOptions,
    observer: &mut dyn Observer,
) -> (FaultReport, Option<Target>) {
    let started = Instant::now();
    let mark = host.log().last_seq();
    let sent = provoke(host, &mut target, fault, opts, observer).await;
    let mut report = FaultReport {
        fault,
        verdict: Verdict::Ok,
        sent: sent_text(fault, opts),
        detail: String::new(),
        healthy: None,
        duration_ms: 0.0,
    };
    let finish = |mut report: FaultReport| {
        report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        report
    };
    if let Sent::Judged(Verdict::Crashed, detail) = &sent {
        report.verdict = Verdict::Crashed;
        if fault == Fault::CloseMidFrame {
            // It was waited for already: it did not come back.
            report.detail = detail.clone();
            return (finish(report), None);
        }
        let closed = closed_detail(host, &target, mark, observer).await;
        report.detail = format!("{detail}: {closed}");
        let back = come_back(host, &target, opts, observer).await;
        return (finish(report), back);
    }
    if !target.connected(host) {
        report.verdict = Verdict::Crashed;
        report.detail = closed_detail(host, &target, mark, observer).await;
        let back = come_back(host, &target, opts, observer).await;
        return (finish(report), back);
    }

    // The healthy render: the plugin must still do its job.
    let healthy = host
        .send(
            &target.plugin_id,
            &target.method,
            target.params.clone(),
            Some(opts.timeout),
        )
        .await;
    let (healthy_verdict, healthy_text) = match healthy {
        Err(e) => (Verdict::Crashed, e.to_string()),
        Ok(ticket) => {
            let reply = ticket.wait().await;
            let ms = reply.latency.as_secs_f64() * 1000.0;
            match &reply.outcome {
                Outcome::Result { .. } => (Verdict::Ok, format!("ok in {ms:.1} ms")),
                Outcome::Timeout { .. } => (Verdict::Hung, reply.outcome.summary()),
                Outcome::Disconnected { .. } => (Verdict::Crashed, reply.outcome.summary()),
                Outcome::Cancelled => (Verdict::Hung, reply.outcome.summary()),
                Outcome::PluginError(_) | Outcome::InvalidAnswer { .. } => {
                    (Verdict::Wrong, reply.outcome.summary())
                }
            }
        }
    };
    report.healthy = Some(format!("{}: {healthy_text}", target.method));

    let (verdict, detail) = judge(host, &target, mark, sent, fault, opts).await;
    report.verdict = verdict.max(healthy_verdict);
    report.detail = detail;
    match healthy_verdict {
        Verdict::Crashed => {
            report.detail = closed_detail(host, &target, mark, observer).await;
            let back = come_back(host, &target, opts, observer).await;
            (finish(report), back)
        }
        Verdict::Hung => {
            report.detail = format!(
                "{}; then no answer to the healthy render within {:.1} s",
                report.detail,
                opts.timeout.as_secs_f64()
            );
            (finish(report), None)
        }
        Verdict::Wrong if verdict < Verdict::Wrong => {
            report.detail = format!("{}; but the healthy render failed", report.detail);
            (finish(report), Some(target))
        }
        _ => (finish(report), Some(target)),
    }
}

/// One line on what each fault sends.
fn sent_text(fault: Fault, opts: &ChaosOptions) -> String {
    match fault {
        Fault::MalformedJson => "a frame that is not JSON (cut off mid-object)".into(),
        Fault::NonUtf8 => "a ping whose params hold bytes that are not UTF-8".into(),
        Fault::UnknownMethod => "a request for chaos/no_such_method".into(),
        Fault::MissingParams => "the healthy render without params".into(),
        Fault::WrongParamTypes => "the healthy render with every param of the wrong type".into(),
        Fault::DuplicateId => "the healthy render twice under one id".into(),
        Fault::Notification => "the healthy render without an id (a notification)".into(),
        Fault::HugeParams => format!(
            "the healthy render with {} of padding in its params",
            human_bytes(opts.huge_bytes)
        ),
        Fault::Burst => format!("{} healthy renders at once", opts.burst),
        Fault::SlowReader => format!(
            "{} healthy renders while the host reads nothing for {:.1} s",
            opts.burst,
            opts.pause.as_secs_f64()
        ),
        Fault::CloseMidFrame => "half a frame, then the connection closed".into(),
    }
}

fn human_bytes(n: usize) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Sends the fault.
async fn provoke(
    host: &HostHandle,
    target: &mut Target,
    fault: Fault,
    opts: &ChaosOptions,
    observer: &mut dyn Observer,
) -> Sent {
    let note = format!("chaos: {fault}");
    let plugin = target.plugin_id.clone();
    let timeout = Some(opts.timeout);
    let gone = |e: crate::host::RequestError| Sent::Judged(Verdict::Crashed, e.to_string());
    let method = target.method.clone();
    let params = target.params.clone();
    match fault {
        Fault::MalformedJson => {
            let sent = host
                .send_crafted(&plugin, &note, timeout, |id| {
                    let text =
                        format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping","params":{{"#);
                    Bytes::from(text)
                })
                .await;
            sent.map_or_else(gone, Sent::Unreadable)
        }
        Fault::NonUtf8 => {
            let sent = host
                .send_crafted(&plugin, &note, timeout, |id| {
                    let mut bytes = format!(
                        r#"{{"jsonrpc":"2.0","id":{id},"method":"ping","params":{{"text":""#
                    )
                    .into_bytes();
                    bytes.extend_from_slice(b"\xff\xfe\xc3(");
                    bytes.extend_from_slice(br#""}}"#);
                    Bytes::from(bytes)
                })
                .await;
            sent.map_or_else(gone, Sent::Unreadable)
        }
        Fault::UnknownMethod => host
            .send(&plugin, "chaos/no_such_method", json!({}), timeout)
            .await
            .map_or_else(gone, Sent::Ask),
        Fault::MissingParams => host
            .send_crafted(&plugin, &note, timeout, |id| {
                Bytes::from(json!({"jsonrpc": "2.0", "id": id, "method": method}).to_string())
            })
            .await
            .map_or_else(gone, Sent::Ask),
        Fault::WrongParamTypes => host
            .send(&plugin, &method, wrong_types(&params), timeout)
            .await
            .map_or_else(gone, Sent::Ask),
        Fault::HugeParams => {
            let mut params = params;
            if let Value::Object(map) = &mut params {
                map.insert(
                    "chaos_padding".into(),
                    Value::String("x".repeat(opts.huge_bytes)),
                );
            }
            host.send(&plugin, &method, params, timeout)
                .await
                .map_or_else(gone, Sent::Ask)
        }
        Fault::DuplicateId => {
            let first = host
                .send_crafted(&plugin, &note, timeout, |id| {
                    jsonrpc::request_bytes(id, &method, &params)
                })
                .await;
            match first {
                Err(e) => gone(e),
                Ok(ticket) => {
                    let again = jsonrpc::request_bytes(ticket.id, &method, &params);
                    let note = format!("chaos: {fault} (the same id again)");
                    host.send_unanswered(&plugin, &note, again).await;
                    Sent::Twice(ticket)
                }
            }
        }
        Fault::Notification => {
            let frame = json!({"jsonrpc": "2.0", "method": method, "params": params});
            host.send_unanswered(&plugin, &note, Bytes::from(frame.to_string()))
                .await;
            Sent::Notification
        }
        Fault::Burst => {
            let (v, d) = many(host, target, opts.burst, opts.timeout).await;
            Sent::Judged(v, d)
        }
        Fault::SlowReader => {
            host.pause_reading(&plugin, opts.pause);
            let (v, d) = many(host, target, opts.burst, opts.pause + opts.timeout).await;
            let d = format!(
                "{d}, after {:.1} s without the host reading",
                opts.pause.as_secs_f64()
            );
            Sent::Judged(v, d)
        }
        Fault::CloseMidFrame => {
            let frame = codec::frame(&jsonrpc::request_bytes(0, "ping", &json!({})));
            let half = Bytes::copy_from_slice(&frame[..frame.len() / 2]);
            host.write_raw(&plugin, &note, half).await;
            host.disconnect(&plugin, "chaos: closed mid-frame");
            let waited = Instant::now();
            match come_back(host, target, opts, observer).await {
                Some(back) => {
                    let text = format!(
                        "dialled again and registered in {:.0} ms",
                        waited.elapsed().as_secs_f64() * 1000.0
                    );
                    *target = back;
                    Sent::Judged(Verdict::Ok, text)
                }
                None => {
                    // A plugin that does not dial again is gone to TGO until someone
                    // restarts it: judged crashed.
                    let text = match observer.exited() {
                        Some(status) => format!(
                            "did not dial again: the process exited ({status}) after the \
                             host broke off"
                        ),
                        None => format!(
                            "no new connection within {:.1} s (a plugin should dial again \
                             when its host breaks off)",
                            opts.reconnect.as_secs_f64()
                        ),
                    };
                    Sent::Judged(Verdict::Crashed, text)
                }
            }
        }
    }
}

/// Every param of the wrong type: strings become numbers, numbers strings, objects and
/// arrays scalars, so a plugin that trusts types meets what it does not expect.
fn wrong_types(params: &Value) -> Value {
    let Value::Object(map) = params else {
        return json!("not an object");
    };
    let flipped = map
        .iter()
        .map(|(k, v)| {
            let w = match v {
                Value::String(_) => json!(42),
                Value::Number(_) => json!("42"),
                Value::Bool(_) => json!("yes"),
                Value::Object(_) => json!("an object was expected"),
                Value::Array(_) => json!(true),
                Value::Null => json!([]),
            };
            (k.clone(), w)
        })
        .collect();
    Value::Object(flipped)
}

/// Sends `n` healthy renders at once and waits for every answer.
async fn many(
    host: &HostHandle,
    target: &Target,
    n: usize,
    timeout: Duration,
) -> (Verdict, String) {
    let started = Instant::now();
    let mut tickets = Vec::with_capacity(n);
    for _ in 0..n {
        match host
            .send(
                &target.plugin_id,
                &target.method,
                target.params.clone(),
                Some(timeout),
            )
            .await
        {
            Ok(t) => tickets.push(t),
            Err(e) => return (Verdict::Crashed, e.to_string()),
        }
    }
    let replies = futures::future::join_all(tickets.into_iter().map(Ticket::wait_raw)).await;
    let (mut ok, mut errors, mut missing, mut closed) = (0, 0, 0, 0);
    let mut first_error = None;
    for r in &replies {
        match &r.outcome {
            Outcome::Result { .. } => ok += 1,
            Outcome::PluginError(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("{} {}", e.code, e.message));
            }
            Outcome::InvalidAnswer { reason } => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("invalid answer: {reason}"));
            }
            Outcome::Disconnected { .. } => closed += 1,
            Outcome::Timeout { .. } | Outcome::Cancelled => missing += 1,
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if closed > 0 {
        return (
            Verdict::Crashed,
            format!("the connection closed with {closed} of {n} unanswered"),
        );
    }
    if missing > 0 {
        return (
            Verdict::Wrong,
            format!(
                "{missing} of {n} never answered within {:.1} s",
                timeout.as_secs_f64()
            ),
        );
    }
    if errors > 0 {
        let first = first_error.unwrap_or_default();
        return (
            Verdict::ErrorAnswer,
            format!("{ok} of {n} answered, {errors} with an error (first: {first})"),
        );
    }
    (Verdict::Ok, format!("all {n} answered in {ms:.0} ms"))
}

/// Judges what the plugin did with the fault, once the healthy render is done.
async fn judge(
    host: &HostHandle,
    target: &Target,
    mark: u64,
    sent: Sent,
    fault: Fault,
    opts: &ChaosOptions,
) -> (Verdict, String) {
    // Answers still on their way get a moment more; the healthy render came back already.
    let settle = |ticket: Ticket| async move {
        let (conn, id) = (ticket.conn, ticket.id);
        let waited = tokio::time::timeout(opts.settle, ticket.wait()).await;
        if waited.is_err() {
            host.cancel(conn, id);
        }
        waited.ok()
    };
    let strays = || strays(host, target.conn, mark);
    match sent {
        Sent::Judged(v, d) => (v, d),
        Sent::Notification => {
            let strays = strays();
            match strays.first() {
                None => (Verdict::Ok, "no answer, as JSON-RPC wants".into()),
                Some(s) => (
                    Verdict::Wrong,
                    format!("answered a notification ({s}); JSON-RPC wants no answer"),
                ),
            }
        }
        Sent::Unreadable(ticket) => {
            let id = ticket.id;
            let reply = settle(ticket).await;
            let strays = strays();
            if let Some(reply) = reply {
                return match reply.outcome {
                    Outcome::Result { .. } => (
                        Verdict::Ok,
                        format!("read it leniently and answered request {id}"),
                    ),
                    Outcome::PluginError(e) => (
                        Verdict::ErrorAnswer,
                        format!("error {}: {}", e.code, e.message),
                    ),
                    other => (Verdict::Wrong, other.summary()),
                };
            }
            match strays.as_slice() {
                [] => (Verdict::Ok, "ignored it (no answer)".into()),
                [s] if s.error => (Verdict::ErrorAnswer, s.to_string()),
                [s, ..] => (Verdict::Wrong, format!("answered {s}")),
            }
        }
        Sent::Ask(ticket) => {
            let id = ticket.id;
            let reply = settle(ticket).await;
            let strays = strays();
            let (verdict, mut text) = match reply.map(|r| r.outcome) {
                None => (
                    Verdict::Wrong,
                    format!("never answered request {id} (JSON-RPC wants an error)"),
                ),
                Some(Outcome::Result { .. }) if fault == Fault::UnknownMethod => (
                    Verdict::Wrong,
                    "answered an unknown method with a result (JSON-RPC wants error -32601)".into(),
                ),
                Some(Outcome::Result { .. }) => (Verdict::Ok, "answered with a result".into()),
                Some(Outcome::PluginError(e)) => {
                    let mut text = format!("error {}: {}", e.code, e.message);
                    if fault == Fault::UnknownMethod && e.code != jsonrpc::METHOD_NOT_FOUND {
                        text.push_str(" (JSON-RPC says -32601 for this)");
                    }
                    (Verdict::ErrorAnswer, text)
                }
                Some(other) => (Verdict::Wrong, other.summary()),
            };
            if let Some(s) = strays.first() {
                text.push_str(&format!("; also {s}"));
                return (Verdict::Wrong, text);
            }
            (verdict, text)
        }
        Sent::Twice(ticket) => {
            let id = ticket.id;
            let first = settle(ticket).await;
            let strays = strays();
            let (again, others): (Vec<_>, Vec<_>) = strays
                .into_iter()
                .partition(|s| s.id.as_ref().and_then(Id::as_u64) == Some(id));
            let answers: Vec<bool> = first
                .iter()
                .map(|r| !matches!(r.outcome, Outcome::Result { .. }))
                .chain(again.iter().map(|s| s.error))
                .collect();
            if let Some(s) = others.first() {
                return (Verdict::Wrong, format!("answered {s}"));
            }
            let errors = answers.iter().filter(|e| **e).count();
            match (answers.len(), errors) {
                (0, _) => (Verdict::Wrong, format!("answered neither request {id}")),
                (n, 0) => (
                    Verdict::Ok,
                    format!("answered {} of the two requests {id}", words(n)),
                ),
                (n, e) => (
                    Verdict::ErrorAnswer,
                    format!(
                        "answered {} of the two requests {id}, {} with an error",
                        words(n),
                        words(e)
                    ),
                ),
            }
        }
    }
}

fn words(n: usize) -> &'static str {
    match n {
        1 => "one",
        2 => "both",
        _ => "more",
    }
}

/// An answer from the plugin that matched no request in flight.
struct Stray {
    id: Option<Id>,
    error: bool,
    what: String,
}

impl std::fmt::Display for Stray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)
    }
}

/// Answers on `conn` after log entry `mark` that matched no request (the log pairs the rest).
fn strays(host: &HostHandle, conn: ConnId, mark: u64) -> Vec<Stray> {
    let log = host.log();
    let id_text = |id: &Option<Id>| id.as_ref().map_or("null".to_string(), Id::to_string);
    log.entries()
        .iter()
        .rev()
        .take_while(|e| e.seq > mark)
        .filter(|e| e.conn == conn && e.dir == Direction::In && e.pair.is_none())
        .filter_map(|e| match &e.kind {
            EntryKind::Result { id } => Some(Stray {
                id: id.clone(),
                error: false,
                what: format!("a result with id {}", id_text(id)),
            }),
            EntryKind::Error { id, code, message } => Some(Stray {
                id: id.clone(),
                error: true,
                what: format!(
                    "error {code}: {} (id {})",
                    crate::text::truncate_chars(message, 80),
                    id_text(id)
                ),
            }),
            EntryKind::Invalid { reason } => Some(Stray {
                id: None,
                error: false,
                what: format!("an invalid frame ({reason})"),
            }),
            _ => None,
        })
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// Why the connection closed, from the log, and how the process ended when it did.
async fn closed_detail(
    host: &HostHandle,
    target: &Target,
    mark: u64,
    observer: &mut dyn Observer,
) -> String {
    let reason = {
        let log = host.log();
        log.entries()
            .iter()
            .rev()
            .take_while(|e| e.seq > mark)
            .find_map(|e| match &e.kind {
                EntryKind::Event { text } if e.conn == target.conn => {
                    text.strip_prefix("connection closed: ").map(String::from)
                }
                _ => None,
            })
    };
    let mut text = format!(
        "the connection closed ({})",
        reason.as_deref().unwrap_or("no reason logged")
    );
    // The process may take a moment to be reaped after its socket closed.
    let mut exited = observer.exited();
    for _ in 0..20 {
        if exited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        exited = observer.exited();
    }
    if let Some(status) = exited {
        text.push_str(&format!("; the process exited ({status})"));
    }
    text
}

/// Waits for the plugin to register again on a new connection (by its id, or by its name
/// when the host had invented its id), unless its process is known to have exited.
async fn come_back(
    host: &HostHandle,
    target: &Target,
    opts: &ChaosOptions,
    observer: &mut dyn Observer,
) -> Option<Target> {
    let deadline = Instant::now() + opts.reconnect;
    while Instant::now() < deadline {
        let back = host.plugins().into_iter().find(|p| {
            p.state == crate::host::PluginState::Connected
                && p.conn > target.conn
                && (p.plugin_id == target.plugin_id
                    || (target.id_invented && p.info.name == target.name))
        });
        if let Some(p) = back {
            return Target::find(host, &p.plugin_id, &opts.visitor);
        }
        if observer.exited().is_some() {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_round_trip_and_close_mid_frame_runs_last() {
        for f in Fault::ALL {
            assert_eq!(Fault::parse(f.name()), Some(f));
        }
        assert_eq!(Fault::parse("nope"), None);
        assert_eq!(Fault::ALL.last(), Some(&Fault::CloseMidFrame));
    }

    #[test]
    fn wrong_types_changes_every_type() {
        let p = json!({"visitor_id": "v", "n": 1, "b": true, "o": {}, "a": [], "z": null});
        let w = wrong_types(&p);
        for (k, v) in p.as_object().unwrap() {
            let t = |v: &Value| std::mem::discriminant(v);
            assert_ne!(t(v), t(&w[k]), "{k}");
        }
        assert_eq!(wrong_types(&json!(3)), json!("not an object"));
    }

    #[test]
    fn only_crashed_and_hung_fail() {
        let fails: Vec<_> = [
            Verdict::Ok,
            Verdict::ErrorAnswer,
            Verdict::Wrong,
            Verdict::NotRun,
            Verdict::Hung,
            Verdict::Crashed,
        ]
        .into_iter()
        .filter(|v| v.fails())
        .collect();
        assert_eq!(fails, [Verdict::Hung, Verdict::Crashed]);
    }
}
