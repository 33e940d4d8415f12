//! `bench`: a load test of one plugin through the real host, plus the baseline to judge it by.
//!
//! [`run`] launches the plugin, waits for it to register, then keeps `concurrency` requests in
//! flight through [`HostHandle::send`] until a request count or a duration is reached, and
//! reports counts, throughput and latency percentiles. Latency is measured by the caller, from
//! just before `send` to the end of `Ticket::wait`, so it includes everything the host does
//! (serialising, logging, pairing the answer), not only the time on the wire.
//!
//! [`raw_pingpong`] is the physical limit on this machine: the same kind of frames
//! ping-ponged over an in-process Unix socket pair with no host logic at all (frame codec,
//! write, read, JSON-RPC parse). The difference between the two is the host's overhead plus
//! the plugin's own work.
//!
//! Memory: every latency sample is kept (4 bytes each, so 1 M requests cost 4 MiB) and sorted
//! once at the end. The host's message log keeps every frame up to `log_budget_bytes` of the
//! [`HostConfig`] it is given, which is used as is: callers should pass a modest budget such as
//! [`SUGGESTED_LOG_BUDGET_BYTES`] so the log does not dominate memory during a long run.

pub mod live;
pub mod minimal;
pub mod report;

use crate::host::context::capability_render_params;
use crate::host::{
    self, CapabilityKind, HostConfig, HostEvent, HostHandle, Outcome, PluginInfo, RenderContext,
};
use crate::launcher::{ChildPlugin, LaunchSpec};
use crate::protocol::DEFAULT_MAX_FRAME_BYTES;
use crate::protocol::codec::{FrameCodec, FrameError};
use crate::protocol::jsonrpc::{self, Message, RawJson, ResponseBody};
use anyhow::{Context, anyhow};
use bytes::{Bytes, BytesMut};
use futures::{FutureExt, SinkExt, StreamExt};
use parking_lot::Mutex;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio_util::codec::{FramedRead, FramedWrite};

/// Requests sent when neither a count nor a duration is given.
pub const DEFAULT_REQUESTS: u64 = 10_000;

/// A message-log budget that keeps a long bench's memory flat (32 MiB).
pub const SUGGESTED_LOG_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// How long the plugin has to register.
const REGISTER_WAIT: Duration = Duration::from_secs(30);

/// Lines of plugin output quoted when it fails to start.
const OUTPUT_TAIL: usize = 10;

/// How a bench runs.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// The host to run; used as given (see the module docs about `log_budget_bytes`).
    pub host: HostConfig,
    /// The plugin to launch; `TGO_SOCKET_PATH` (and `TGO_TCP_ADDR`) are added to its env.
    pub command: LaunchSpec,
    /// Stop after this many requests ...
    pub requests: Option<u64>,
    /// ... or after this long, whichever comes first. Neither: [`DEFAULT_REQUESTS`].
    pub duration: Option<Duration>,
    /// Requests kept in flight (at least 1).
    pub concurrency: usize,
    /// Default: the render method of the first capability that has one.
    pub method: Option<String>,
    /// Default: realistic render params when `method` renders a capability, else `{}`.
    pub params: Option<Value>,
    /// Draw the live view (progress, rate, ETA, failures, sparklines) on stderr, when it is
    /// a terminal.
    pub progress: bool,
    /// After the load, run [`raw_pingpong`] with as many frames, the same concurrency and an
    /// answer of the plugin as payload, so the report carries its own baseline.
    pub baseline: bool,
}

/// Latency distribution in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub min: u64,
    pub p50: u64,
    pub p75: u64,
    pub p90: u64,
    pub p95: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

impl Percentiles {
    /// Sorts `samples` (µs) and summarises them; all zero when empty.
    pub fn from_samples(samples: &mut [u32]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        // Nearest rank: the smallest sample with at least p% of the samples at or below it.
        let rank = |p: f64| {
            let n = samples.len();
            let i = ((p / 100.0) * n as f64).ceil() as usize;
            u64::from(samples[i.clamp(1, n) - 1])
        };
        let sum: u64 = samples.iter().map(|&s| u64::from(s)).sum();
        Self {
            min: u64::from(samples[0]),
            p50: rank(50.0),
            p75: rank(75.0),
            p90: rank(90.0),
            p95: rank(95.0),
            p99: rank(99.0),
            p999: rank(99.9),
            max: u64::from(samples[samples.len() - 1]),
            mean: sum as f64 / samples.len() as f64,
        }
    }

    pub(crate) fn to_text(self) -> String {
        format!(
            "min {}  p50 {}  p90 {}  p99 {}  max {}  mean {:.1}",
            self.min, self.p50, self.p90, self.p99, self.max, self.mean
        )
    }
}

pub(crate) fn secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// What a bench measured.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub plugin_id: String,
    pub method: String,
    pub concurrency: usize,
    /// Requests that finished (the four counts below add up to it).
    pub requests: u64,
    pub ok: u64,
    pub plugin_errors: u64,
    pub timeouts: u64,
    /// Disconnections, unusable answers, requests that could not be sent.
    pub other_failures: u64,
    /// From the first request to the last answer.
    #[serde(rename = "elapsed_s", serialize_with = "secs")]
    pub elapsed: Duration,
    pub throughput_per_s: f64,
    /// Of every finished request, whatever its outcome.
    pub latency_us: Percentiles,
    /// The same latencies as a histogram, bars spaced by ratio (see [`report::histogram`]).
    pub latency_histogram_us: Vec<report::Bucket>,
    /// Why the run ended before its limit (the plugin went away).
    pub aborted: Option<String>,
    /// `throughput_per_s` again, under the name CI scripts read next to the two below.
    pub throughput_per_sec: f64,
    /// The minimal host's throughput with the same plugin, requests and concurrency,
    /// measured in the same run (`baseline`).
    pub baseline_throughput_per_sec: Option<f64>,
    /// `throughput_per_sec / baseline_throughput_per_sec`: 1.0 is as fast as the minimal host.
    pub ratio: Option<f64>,
    /// The minimal host's whole measurement.
    pub minimal_host: Option<minimal::MinimalReport>,
    /// The raw ping-pongs measured in the same run (`baseline`): echo in the same runtime,
    /// and echo on its own thread.
    pub baseline: Option<PingPongReport>,
    pub baseline_apart: Option<PingPongReport>,
}

impl BenchReport {
    /// The report as load testers print one: summary, percentile table, histogram, then the
    /// references measured in the same run.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "bench {} {} · {} requests at concurrency {} in {:.2} s\n\n",
            self.plugin_id,
            self.method,
            group_digits(self.requests),
            self.concurrency,
            self.elapsed.as_secs_f64(),
        );
        out += &format!(
            "  throughput   {}/s",
            group_digits(self.throughput_per_s.round() as u64)
        );
        if let (Some(ratio), Some(base)) = (self.ratio, self.baseline_throughput_per_sec) {
            out += &format!(
                "   {ratio:.2}× the minimal host ({}/s, same plugin, same run)",
                group_digits(base.round() as u64)
            );
        }
        out += &format!(
            "\n  outcomes     ok {}  plugin errors {}  timeouts {}  other failures {}\n",
            group_digits(self.ok),
            group_digits(self.plugin_errors),
            group_digits(self.timeouts),
            group_digits(self.other_failures)
        );
        if let Some(why) = &self.aborted {
            out += &format!("  stopped early: {why}\n");
        }
        out += "\nlatency\n";
        out += &report::percentile_table(&self.latency_us);
        if !self.latency_histogram_us.is_empty() {
            out += "\nlatency histogram\n";
            out += &report::histogram_text(&self.latency_histogram_us, 40);
        }
        if let Some(m) = &self.minimal_host {
            out += "\n";
            out += &m.to_text();
        }
        for raw in [&self.baseline, &self.baseline_apart].into_iter().flatten() {
            out += &raw.to_text();
            out += &format!(
                "  host vs this raw: p50 {:.2}×, throughput {:.2}×\n",
                self.latency_us.p50 as f64 / raw.latency_us.p50.max(1) as f64,
                self.throughput_per_s / raw.throughput_per_s.max(f64::MIN_POSITIVE)
            );
        }
        out
    }

    pub fn to_json(&self) -> String {
        // Plain numbers and strings: cannot fail.
        serde_json::to_string_pretty(self).expect("serialise bench report")
    }
}

/// Runs a bench: launch, wait for `register`, load, shut down. `Err` when it could not run
/// at all (listen failed, the plugin did not start or register, no method to call).
/// Why a bench gave no report; the exit code tells the two apart (see [`BenchError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// It could not run as asked: the socket is taken, the command cannot start, no method
    /// to bench, the baseline could not run.
    #[error("{0:#}")]
    CouldNotRun(anyhow::Error),
    /// The plugin failed: it exited, never registered, or its registration was refused.
    #[error("{0:#}")]
    PluginFailed(anyhow::Error),
}

impl BenchError {
    /// 2 could not run, 1 the plugin failed (as `check`).
    pub fn exit_code(&self) -> u8 {
        match self {
            BenchError::CouldNotRun(_) => 2,
            BenchError::PluginFailed(_) => 1,
        }
    }
}

pub async fn run(opts: BenchOptions) -> Result<BenchReport, BenchError> {
    let (host, mut events) = host::start(opts.host.clone())
        .await
        .context("cannot start the host")
        .map_err(BenchError::CouldNotRun)?;
    let mut spec = opts.command.clone();
    if let Some(sock) = &opts.host.socket {
        spec.env
            .push(("TGO_SOCKET_PATH".into(), sock.display().to_string()));
    }
    if let Some(addr) = host.addresses().iter().find(|a| !a.starts_with('/')) {
        spec.env.push(("TGO_TCP_ADDR".into(), addr.clone()));
    }
    let mut child = match ChildPlugin::spawn(&spec) {
        Ok(c) => c,
        Err(e) => {
            host.shutdown().await;
            return Err(BenchError::CouldNotRun(anyhow!(
                "cannot start `{}`: {e}",
                spec.display()
            )));
        }
    };

    let prepared = match wait_for_register(&host, &mut events, &mut child).await {
        Ok((plugin_id, info)) => pick_request(&opts, &info)
            .map(|(m, p)| (plugin_id, m, p))
            .map_err(BenchError::CouldNotRun),
        Err(e) => Err(BenchError::PluginFailed(e)),
    };
    drop(events);
    let result = match prepared {
        Ok((plugin_id, method, params)) => {
            let asked = (method.clone(), params.clone());
            let (report, answer) = load(&host, &opts, plugin_id, method, params).await;
            Ok((report, answer, asked))
        }
        Err(e) => Err(e),
    };

    host.shutdown().await;
    child.stop(opts.host.shutdown_grace).await;
    let (mut report, answer, (method, params)) = result?;
    if opts.baseline {
        // The same plugin, launched again, driven by the least a host can do.
        let socket = opts.host.socket.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("tgo-bench-minimal-{}.sock", std::process::id()))
        });
        let minimal = minimal::minimal_host(
            socket,
            &opts.command,
            report.requests.max(1),
            report.concurrency,
            &method,
            &params,
            opts.host.shutdown_grace,
        )
        .await
        .map_err(BenchError::CouldNotRun)?;
        report.baseline_throughput_per_sec = Some(minimal.throughput_per_s);
        report.ratio =
            Some(report.throughput_per_s / minimal.throughput_per_s.max(f64::MIN_POSITIVE));
        report.minimal_host = Some(minimal);
        // Same frame count, concurrency and answer size, with no host and no plugin logic.
        let payload = answer.map_or_else(
            || Bytes::from_static(b"{}"),
            |raw| Bytes::copy_from_slice(raw.as_bytes()),
        );
        let frames = report.requests.max(1);
        let c = report.concurrency;
        report.baseline = Some(
            raw_pingpong(frames, c, payload.clone())
                .await
                .map_err(BenchError::CouldNotRun)?,
        );
        report.baseline_apart = Some(
            raw_pingpong_apart(frames, c, payload)
                .await
                .map_err(BenchError::CouldNotRun)?,
        );
    }
    Ok(report)
}

/// Waits for the plugin's `register`, its exit, or [`REGISTER_WAIT`].
async fn wait_for_register(
    host: &HostHandle,
    events: &mut UnboundedReceiver<HostEvent>,
    child: &mut ChildPlugin,
) -> anyhow::Result<(String, PluginInfo)> {
    let deadline = tokio::time::Instant::now() + REGISTER_WAIT;
    let why = loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(HostEvent::Registered { plugin_id, info, .. }) => return Ok((plugin_id, info)),
                Some(HostEvent::Rejected { reason, .. }) => {
                    break format!("the host refused its registration: {reason}")
                }
                Some(_) => {}
                None => break "the host stopped".to_string(),
            },
            status = child.wait() => {
                let status = status.map_or_else(|e| format!("unknown status: {e}"), |s| s.to_string());
                break format!("the plugin exited ({status}) without registering");
            }
            _ = tokio::time::sleep_until(deadline) => {
                break format!(
                    "no plugin registered within {:.0} s on {}",
                    REGISTER_WAIT.as_secs_f64(),
                    host.addresses().join(", ")
                );
            }
        }
    };
    // Let the output readers drain the pipes before quoting them.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let tail: Vec<String> = child
        .output()
        .lock()
        .tail(OUTPUT_TAIL)
        .into_iter()
        .map(|l| format!("  | {}", crate::text::truncate_chars(&l.text, 200)))
        .collect();
    if tail.is_empty() {
        Err(anyhow!("{why}"))
    } else {
        Err(anyhow!("{why}; its last output:\n{}", tail.join("\n")))
    }
}

/// The method and params to send, from the options or the plugin's capabilities.
fn pick_request(opts: &BenchOptions, info: &PluginInfo) -> anyhow::Result<(String, Value)> {
    let renders = |i: usize| info.capabilities[i].kind.render_method();
    let method = match &opts.method {
        Some(m) => m.clone(),
        None => (0..info.capabilities.len())
            .find_map(renders)
            .ok_or_else(|| {
                anyhow!(
                    "{} registered no capability with a render method: name a method to bench",
                    info.name
                )
            })?,
    };
    let params = match &opts.params {
        Some(p) => p.clone(),
        None => {
            match (0..info.capabilities.len()).find(|&i| renders(i).as_ref() == Some(&method)) {
                Some(i) => {
                    capability_render_params(&RenderContext::default(), &info.capabilities, i)
                }
                None => json!({}),
            }
        }
    };
    Ok((method, params))
}

/// What the workers share: the limits and the progress.
struct Run {
    plugin_id: String,
    method: String,
    params: Value,
    limit: u64,
    deadline: Option<Instant>,
    issued: AtomicU64,
    /// What the live view shows.
    counters: live::Counters,
    stop: AtomicBool,
    aborted: Mutex<Option<String>>,
    /// One answer of the plugin, kept as the baseline's payload.
    sample: Mutex<Option<RawJson>>,
    sampled: AtomicBool,
}

impl Run {
    /// Claims the next request, or `false` when a limit is reached.
    fn claim(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
            && self.deadline.is_none_or(|d| Instant::now() < d)
            && self.issued.fetch_add(1, Ordering::Relaxed) < self.limit
    }

    fn abort(&self, why: String) {
        self.stop.store(true, Ordering::Relaxed);
        self.aborted.lock().get_or_insert(why);
    }
}

/// One worker's counts and samples.
#[derive(Default)]
struct Tally {
    samples: Vec<u32>,
    ok: u64,
    plugin_errors: u64,
    timeouts: u64,
    other: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.samples.extend(other.samples);
        self.ok += other.ok;
        self.plugin_errors += other.plugin_errors;
        self.timeouts += other.timeouts;
        self.other += other.other;
    }
}

async fn worker(host: HostHandle, run: Arc<Run>) -> Tally {
    let mut tally = Tally::default();
    while run.claim() {
        let started = Instant::now();
        let ticket = match host
            .send(&run.plugin_id, &run.method, run.params.clone(), None)
            .await
        {
            Ok(t) => t,
            Err(e) => {
                tally.other += 1;
                run.abort(e.to_string());
                break;
            }
        };
        // Nothing here looks inside answers: they stay raw (checked, never parsed).
        let outcome = ticket.wait_raw().await.outcome;
        let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        tally.samples.push(us);
        run.counters.record(
            u64::from(us),
            !matches!(outcome, Outcome::Result { .. } | Outcome::Timeout { .. }),
            matches!(outcome, Outcome::Timeout { .. }),
        );
        match outcome {
            Outcome::Result { value } => {
                tally.ok += 1;
                if !run.sampled.swap(true, Ordering::Relaxed) {
                    *run.sample.lock() = Some(value);
                }
            }
            Outcome::PluginError(_) => tally.plugin_errors += 1,
            Outcome::Timeout { .. } => tally.timeouts += 1,
            Outcome::Disconnected { reason } => {
                tally.other += 1;
                run.abort(format!("the plugin disconnected: {reason}"));
            }
            Outcome::InvalidAnswer { .. } | Outcome::Cancelled => tally.other += 1,
        }
    }
    tally
}

/// The load phase: `concurrency` workers until a limit, then the report and an answer.
async fn load(
    host: &HostHandle,
    opts: &BenchOptions,
    plugin_id: String,
    method: String,
    params: Value,
) -> (BenchReport, Option<RawJson>) {
    let concurrency = opts.concurrency.max(1);
    let limit = match (opts.requests, opts.duration) {
        (Some(n), _) => n,
        (None, Some(_)) => u64::MAX,
        (None, None) => DEFAULT_REQUESTS,
    };
    let started = Instant::now();
    let run = Arc::new(Run {
        plugin_id,
        method,
        params,
        limit,
        deadline: opts.duration.map(|d| started + d),
        issued: AtomicU64::new(0),
        counters: live::Counters::default(),
        stop: AtomicBool::new(false),
        aborted: Mutex::new(None),
        sample: Mutex::new(None),
        sampled: AtomicBool::new(false),
    });
    let progress = (opts.progress && std::io::stderr().is_terminal()).then(|| {
        tokio::spawn(live_view(
            run.clone(),
            opts.requests,
            opts.duration,
            started,
        ))
    });
    let workers: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(host.clone(), run.clone())))
        .collect();
    let mut tally = Tally::default();
    for w in futures::future::join_all(workers).await {
        match w {
            Ok(t) => tally.merge(t),
            Err(e) => run.abort(format!("a worker failed: {e}")),
        }
    }
    let elapsed = started.elapsed();
    if let Some(p) = progress {
        p.abort();
        let _ = p.await;
    }
    let requests = tally.ok + tally.plugin_errors + tally.timeouts + tally.other;
    let aborted = run.aborted.lock().take();
    let report = BenchReport {
        plugin_id: run.plugin_id.clone(),
        method: run.method.clone(),
        concurrency,
        requests,
        ok: tally.ok,
        plugin_errors: tally.plugin_errors,
        timeouts: tally.timeouts,
        other_failures: tally.other,
        elapsed,
        throughput_per_s: per_second(requests, elapsed),
        throughput_per_sec: per_second(requests, elapsed),
        baseline_throughput_per_sec: None,
        ratio: None,
        minimal_host: None,
        latency_us: Percentiles::from_samples(&mut tally.samples),
        // Sorted by the line above.
        latency_histogram_us: report::histogram(&tally.samples),
        aborted,
        baseline: None,
        baseline_apart: None,
    };
    (report, run.sample.lock().take())
}

/// `12345678` as `12 345 678` (thin groups, as the rest of the report).
pub(crate) fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

pub(crate) fn per_second(n: u64, elapsed: Duration) -> f64 {
    let s = elapsed.as_secs_f64();
    if s > 0.0 { n as f64 / s } else { 0.0 }
}

/// Redraws the live view every [`live::TICK`] until aborted; the view is cleared then, so the
/// report is printed where it stood. Nothing is drawn when the terminal cannot take an inline
/// viewport (its cursor position cannot be read).
async fn live_view(
    run: Arc<Run>,
    total: Option<u64>,
    duration: Option<Duration>,
    started: Instant,
) {
    use ratatui::{Terminal, TerminalOptions, Viewport, backend::CrosstermBackend};
    let backend = CrosstermBackend::new(std::io::stderr());
    let Ok(terminal) = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Inline(live::HEIGHT),
        },
    ) else {
        return;
    };
    /// Blanks the view and leaves the cursor where it began, for the report.
    struct Clear(Terminal<CrosstermBackend<std::io::Stderr>>);
    impl Drop for Clear {
        fn drop(&mut self) {
            use ratatui::backend::{Backend, ClearType};
            let at = self.0.get_frame().area().as_position();
            let b = self.0.backend_mut();
            let _ = b.set_cursor_position(at);
            let _ = b.clear_region(ClearType::AfterCursor);
            let _ = b.show_cursor();
            let _ = Backend::flush(b);
        }
    }
    let mut terminal = Clear(terminal);
    let mut snap = live::Snapshot {
        total: if duration.is_some() && total.is_none() {
            None
        } else {
            Some(total.unwrap_or(DEFAULT_REQUESTS))
        },
        duration,
        ..Default::default()
    };
    let (mut last_n, mut last_sum, mut last_at) = (0u64, 0u64, Instant::now());
    let mut tick = tokio::time::interval(live::TICK);
    loop {
        tick.tick().await;
        let c = &run.counters;
        let (n, sum) = (
            c.finished.load(Ordering::Relaxed),
            c.latency_sum_us.load(Ordering::Relaxed),
        );
        let now = Instant::now();
        let dt = now.duration_since(last_at).as_secs_f64().max(1e-6);
        if n > 0 || !snap.rates.is_empty() {
            snap.rates.push(((n - last_n) as f64 / dt).round() as u64);
            snap.latencies
                .push((sum - last_sum).checked_div(n - last_n).unwrap_or(0));
        }
        snap.finished = n;
        snap.errors = c.errors.load(Ordering::Relaxed);
        snap.timeouts = c.timeouts.load(Ordering::Relaxed);
        snap.max_us = c.latency_max_us.swap(0, Ordering::Relaxed);
        snap.elapsed = started.elapsed();
        (last_n, last_sum, last_at) = (n, sum, now);
        // Only the points that can be drawn are kept.
        for v in [&mut snap.rates, &mut snap.latencies] {
            if v.len() > 512 {
                v.drain(..v.len() - 512);
            }
        }
        if terminal.0.draw(|f| live::draw(f, &snap)).is_err() {
            return;
        }
    }
}

/// What [`raw_pingpong`] measured.
#[derive(Clone, Debug, Serialize)]
pub struct PingPongReport {
    pub frames: u64,
    pub concurrency: usize,
    /// Payload size of each request and of each answer.
    pub request_bytes: usize,
    pub answer_bytes: usize,
    #[serde(rename = "elapsed_s", serialize_with = "secs")]
    pub elapsed: Duration,
    pub throughput_per_s: f64,
    pub latency_us: Percentiles,
    /// The echo side ran on its own thread and runtime, as a plugin process would.
    pub echo_apart: bool,
}

impl PingPongReport {
    pub fn to_text(&self) -> String {
        let name = if self.echo_apart {
            "raw ping-pong, echo on its own thread"
        } else {
            "raw ping-pong"
        };
        format!(
            "{name}: {} frames ({} B out, {} B back) in {:.2} s at concurrency {} = {}/s\n  latency µs: {}\n",
            self.frames,
            self.request_bytes,
            self.answer_bytes,
            self.elapsed.as_secs_f64(),
            self.concurrency,
            group_digits(self.throughput_per_s.round() as u64),
            self.latency_us.to_text()
        )
    }
}

/// Splices an id into a frame: `prefix id suffix`.
fn spliced(prefix: &[u8], id: u64, suffix: &[u8]) -> Bytes {
    let id = id.to_string();
    let mut b = BytesMut::with_capacity(prefix.len() + id.len() + suffix.len());
    b.extend_from_slice(prefix);
    b.extend_from_slice(id.as_bytes());
    b.extend_from_slice(suffix);
    b.freeze()
}

/// The physical limit: `frames` request/answer pairs over an in-process Unix socket pair with
/// no host logic, `concurrency` in flight.
///
/// `payload` is the JSON of an answer's `result` (pass a real render answer to match its
/// size); every answer is `{"jsonrpc":"2.0","id":N,"result":<payload>}`. Requests are a
/// `visitor_panel/render` with the default render context's params, like the host sends.
/// Both sides use [`FrameCodec`] and parse every frame with [`jsonrpc::parse`]; frames are
/// built by splicing the id into pre-serialised bytes, and writes are batched.
pub async fn raw_pingpong(
    frames: u64,
    concurrency: usize,
    payload: Bytes,
) -> anyhow::Result<PingPongReport> {
    // On a worker thread, like the host's connections and the bench's workers: run from
    // `block_on`, the client loop would pay a cross-thread wakeup per answer the host does not.
    tokio::spawn(pingpong(frames, concurrency, payload, false))
        .await
        .context("the ping-pong task failed")?
}

/// [`raw_pingpong`] with the echo side on a thread of its own with its own single-threaded
/// runtime, so every frame crosses threads as it crosses processes to a real plugin: the
/// scheduling a host cannot avoid, still without any host or plugin logic.
pub async fn raw_pingpong_apart(
    frames: u64,
    concurrency: usize,
    payload: Bytes,
) -> anyhow::Result<PingPongReport> {
    tokio::spawn(pingpong(frames, concurrency, payload, true))
        .await
        .context("the ping-pong task failed")?
}

/// The "plugin": answers every request with the fixed result, as fast as it can.
async fn echo(
    server: tokio::net::UnixStream,
    ans_prefix: Vec<u8>,
    ans_suffix: Vec<u8>,
    max: usize,
) -> anyhow::Result<()> {
    let (rd, wr) = server.into_split();
    let mut rd = FramedRead::new(rd, FrameCodec::new(max));
    let mut wr = FramedWrite::new(wr, FrameCodec::new(max));
    while let Some(frame) = rd.next().await {
        let mut frame = Some(frame?);
        // Answer everything already readable, then write once.
        while let Some(f) = frame {
            let id = match jsonrpc::parse(&f).map(|i| i.message) {
                Ok(Message::Request { id, .. }) => id.as_u64(),
                _ => None,
            };
            let id = id.ok_or_else(|| anyhow!("echo: not a request with an integer id"))?;
            wr.feed(spliced(&ans_prefix, id, &ans_suffix)).await?;
            frame = rd.next().now_or_never().flatten().transpose()?;
        }
        wr.flush().await?;
    }
    Ok(())
}

async fn pingpong(
    frames: u64,
    concurrency: usize,
    payload: Bytes,
    apart: bool,
) -> anyhow::Result<PingPongReport> {
    serde_json::from_slice::<serde::de::IgnoredAny>(&payload)
        .context("the ping-pong payload is not JSON")?;
    let concurrency = concurrency.max(1);
    let params = RenderContext::default().render_params(&CapabilityKind::VisitorPanel);
    let req_prefix = br#"{"jsonrpc":"2.0","id":"#.to_vec();
    let req_suffix = format!(r#","method":"visitor_panel/render","params":{params}}}"#);
    let ans_prefix = req_prefix.clone();
    let mut ans_suffix = br#","result":"#.to_vec();
    ans_suffix.extend_from_slice(&payload);
    ans_suffix.push(b'}');
    let request_bytes = spliced(&req_prefix, 1, req_suffix.as_bytes()).len();
    let answer_bytes = spliced(&ans_prefix, 1, &ans_suffix).len();
    let max = DEFAULT_MAX_FRAME_BYTES.max(answer_bytes * 2);

    let (client, server) = std::os::unix::net::UnixStream::pair().context("socketpair")?;
    client.set_nonblocking(true)?;
    server.set_nonblocking(true)?;
    let client = tokio::net::UnixStream::from_std(client)?;
    let (echo_tx, echo_done) = tokio::sync::oneshot::channel();
    if apart {
        std::thread::Builder::new()
            .name("pingpong-echo".into())
            .spawn(move || {
                let done = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(anyhow::Error::from)
                    .and_then(|rt| {
                        rt.block_on(async {
                            let server = tokio::net::UnixStream::from_std(server)?;
                            echo(server, ans_prefix, ans_suffix, max).await
                        })
                    });
                let _ = echo_tx.send(done);
            })
            .context("cannot start the echo thread")?;
    } else {
        let server = tokio::net::UnixStream::from_std(server)?;
        tokio::spawn(async move {
            let _ = echo_tx.send(echo(server, ans_prefix, ans_suffix, max).await);
        });
    }

    let (rd, wr) = client.into_split();
    let (ids, mut to_send) = mpsc::unbounded_channel::<u64>();
    let writer = tokio::spawn(async move {
        let mut wr = FramedWrite::new(wr, FrameCodec::new(max));
        while let Some(id) = to_send.recv().await {
            wr.feed(spliced(&req_prefix, id, req_suffix.as_bytes()))
                .await?;
            while let Ok(id) = to_send.try_recv() {
                wr.feed(spliced(&req_prefix, id, req_suffix.as_bytes()))
                    .await?;
            }
            wr.flush().await?;
        }
        Ok::<_, FrameError>(())
    });

    let mut rd = FramedRead::new(rd, FrameCodec::new(max));
    let mut in_flight: HashMap<u64, Instant> = HashMap::with_capacity(concurrency);
    let mut samples: Vec<u32> = Vec::with_capacity(usize::try_from(frames).unwrap_or(0));
    let mut next_id = 1u64;
    let started = Instant::now();
    let mut send_next = move |in_flight: &mut HashMap<u64, Instant>| {
        in_flight.insert(next_id, Instant::now());
        let _ = ids.send(next_id);
        next_id += 1;
    };
    for _ in 0..frames.min(concurrency as u64) {
        send_next(&mut in_flight);
    }
    let mut sent = frames.min(concurrency as u64);
    while (samples.len() as u64) < frames {
        let frame = rd
            .next()
            .await
            .ok_or_else(|| anyhow!("the echo side closed after {} answers", samples.len()))??;
        let id = match jsonrpc::parse(&frame).map(|i| i.message) {
            Ok(Message::Response {
                id: Some(id),
                body: ResponseBody::Result(_),
            }) => id.as_u64(),
            _ => None,
        };
        let sent_at = id
            .and_then(|id| in_flight.remove(&id))
            .ok_or_else(|| anyhow!("unexpected answer from the echo side"))?;
        samples.push(u32::try_from(sent_at.elapsed().as_micros()).unwrap_or(u32::MAX));
        if sent < frames {
            send_next(&mut in_flight);
            sent += 1;
        }
    }
    let elapsed = started.elapsed();
    drop(send_next);
    writer.await??;
    drop(rd);
    echo_done.await.context("the echo side vanished")??;
    Ok(PingPongReport {
        frames,
        concurrency,
        request_bytes,
        answer_bytes,
        elapsed,
        throughput_per_s: per_second(frames, elapsed),
        latency_us: Percentiles::from_samples(&mut samples),
        echo_apart: apart,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut s: Vec<u32> = (1..=100).rev().collect();
        let p = Percentiles::from_samples(&mut s);
        assert_eq!((p.min, p.p50, p.p90, p.p99, p.max), (1, 50, 90, 99, 100));
        assert!((p.mean - 50.5).abs() < 1e-9);
        let mut one = vec![7];
        let p = Percentiles::from_samples(&mut one);
        assert_eq!((p.min, p.p50, p.p99, p.max), (7, 7, 7, 7));
        assert_eq!(Percentiles::from_samples(&mut []), Percentiles::default());
    }

    #[test]
    fn splices_ids() {
        assert_eq!(&spliced(b"{\"id\":", 42, b"}")[..], b"{\"id\":42}");
    }
}
