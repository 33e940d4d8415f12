//! A plugin floods the host with notifications while the console's real event loop runs
//! beside it; a key is injected every ~20 ms. Prints how long the host took to ingest the
//! flood, how long each key took from injection until the loop had handled it and finished
//! the next draw (p50/p99/max), the message log's bytes against its budget, and the process's
//! resident memory.
//!
//! `cargo bench --bench flood` runs two phases, each in a fresh process so memory figures do
//! not mix:
//! - `keys`: 200 000 small notifications into the default 256 MiB log (targets: ingest < 2 s,
//!   every key answered within 50 ms);
//! - `budget`: 200 000 notifications of 4 KiB (~800 MiB) into a 16 MiB log (target: the log
//!   stays within its budget, and so does memory).
//!
//! One phase: `cargo bench --bench flood -- keys [N [PAYLOAD_BYTES [BUDGET_MIB]]]`.
//! The flooding plugin is this same executable run as `flood plugin SOCKET N PAYLOAD_BYTES`:
//! a separate process on the real socket, writing frames as fast as the socket takes them.

#[path = "../tests/common/hooked.rs"]
mod hooked;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::Stream;
use hooked::{Hooked, Hooks};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io::{Read, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tgo_console::host::{self, EntryKind, HostConfig, HostHandle, LogEntry, RenderContext};
use tgo_console::launcher::{ChildPlugin, LaunchSpec};
use tgo_console::tui::app::{Platform, Sources, event_loop};
use tgo_console::tui::state::State;
use tgo_console::tui::theme::Theme;

const KEY_EVERY: Duration = Duration::from_millis(20);
const MIB: usize = 1024 * 1024;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let num =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("plugin") => plugin(Path::new(&args[1]), num(2, 0), num(3, 0)),
        Some("keys") => phase("keys", num(1, 200_000), num(2, 64), num(3, 256)),
        Some("budget") => phase("budget", num(1, 200_000), num(2, 4096), num(3, 16)),
        _ => {
            // Each phase in its own process: resident memory of one must not count in the other.
            let me = std::env::current_exe().expect("own path");
            for which in ["keys", "budget"] {
                let status = std::process::Command::new(&me)
                    .arg(which)
                    .status()
                    .expect("run a phase");
                assert!(status.success(), "phase {which} failed");
            }
        }
    }
}

// ---- the flooding plugin ----

fn write_frame(out: &mut impl Write, payload: &[u8]) {
    out.write_all(&(payload.len() as u32).to_be_bytes())
        .and_then(|()| out.write_all(payload))
        .expect("write to the host");
}

fn read_frame(inp: &mut impl Read) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    inp.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; u32::from_be_bytes(len) as usize];
    inp.read_exact(&mut buf).ok()?;
    Some(buf)
}

/// Registers, sends `n` notifications of about `payload` bytes each (buffered, so the socket
/// is the limit), then answers requests until `shutdown` or the host hangs up.
fn plugin(socket: &Path, n: usize, payload: usize) {
    let sock = std::os::unix::net::UnixStream::connect(socket).expect("dial the host");
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, sock.try_clone().unwrap());
    let mut inp = std::io::BufReader::new(sock);
    let register = r#"{"jsonrpc":"2.0","id":1,"method":"register","params":{"id":"bench.flood","name":"flood","version":"1.0.0","capabilities":[{"type":"visitor_panel","title":"Flood"}]}}"#;
    write_frame(&mut out, register.as_bytes());
    out.flush().unwrap();
    read_frame(&mut inp).expect("register answered");
    let pad = "x".repeat(payload.saturating_sub(70));
    for i in 0..n {
        let frame = format!(
            r#"{{"jsonrpc":"2.0","method":"progress","params":{{"n":{i},"pad":"{pad}"}}}}"#
        );
        write_frame(&mut out, frame.as_bytes());
    }
    out.flush().unwrap();
    while let Some(frame) = read_frame(&mut inp) {
        let msg: serde_json::Value = serde_json::from_slice(&frame).unwrap_or_default();
        let (Some(id), Some(method)) = (msg.get("id"), msg["method"].as_str()) else {
            continue;
        };
        let answer = match method {
            "shutdown" => serde_json::json!({"success": true}),
            _ => serde_json::json!({"template": "text", "data": {"text": "flooding"}}),
        };
        let reply = serde_json::json!({"jsonrpc": "2.0", "id": id, "result": answer});
        write_frame(&mut out, reply.to_string().as_bytes());
        out.flush().unwrap();
        if method == "shutdown" {
            return;
        }
    }
}

// ---- the console side ----

/// Injection and handling times of the keys, shared by the input stream, the backend and
/// the driver.
#[derive(Default)]
struct Keys {
    injected: Vec<Instant>,
    /// How many of the injected keys the loop has taken from its input.
    taken: usize,
    /// Completion time (end of the draw after the key was handled), per key.
    drawn: Vec<Instant>,
}

type Shared = Arc<parking_lot::Mutex<Keys>>;

/// The loop's input: scripted events; notes when the loop takes a key.
struct Input {
    rx: futures::channel::mpsc::UnboundedReceiver<std::io::Result<Event>>,
    keys: Shared,
}

impl tgo_console::tui::input::Pausable for Input {}

impl Stream for Input {
    type Item = std::io::Result<Event>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.rx).poll_next(cx);
        if let Poll::Ready(Some(Ok(Event::Key(_)))) = &polled {
            self.keys.lock().taken += 1;
        }
        polled
    }
}

/// Notes when a draw finishes: every key taken before it is answered.
struct Timed {
    keys: Shared,
    draws: u64,
}

impl Hooks for Timed {
    fn flushed(&mut self, _screen: &TestBackend) {
        self.draws += 1;
        let now = Instant::now();
        let mut keys = self.keys.lock();
        while keys.drawn.len() < keys.taken {
            keys.drawn.push(now);
        }
    }
}

struct NoPlatform;

impl Platform for NoPlatform {
    fn copy(&mut self, _: &str) {}
    fn open_url(&mut self, _: &str, _: tgo_console::tui::app::Failed) {}
}

fn key(code: KeyCode) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// `(VmRSS, VmHWM)` of this process, in bytes.
fn rss() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<usize>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn mib(b: usize) -> String {
    format!("{:.1} MiB", b as f64 / MIB as f64)
}

fn is_flood(e: &LogEntry) -> bool {
    matches!(&e.kind, EntryKind::Notification { method } if method == "progress")
}

/// Arrival of the oldest flood notification, once some are in the log (looks only at the
/// newest entries: the log lock is shared with the host and the loop being measured).
fn first_arrival(host: &HostHandle) -> Option<Instant> {
    let log = host.log();
    let mut first = None;
    for e in log.entries().iter().rev() {
        if !is_flood(e) {
            break;
        }
        first = Some(e.mono);
    }
    first
}

/// Arrival of the flood's last notification (`"n": n-1`), once it is in the log.
fn last_arrival(host: &HostHandle, n: usize) -> Option<Instant> {
    let needle = format!(r#""n":{},"#, n - 1);
    let log = host.log();
    log.entries()
        .iter()
        .rev()
        .take(64)
        .find(|e| is_flood(e) && e.raw.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|e| e.mono)
}

/// From the first flood notification logged to the last one.
async fn ingest_time(host: HostHandle, n: usize) -> Duration {
    let first = loop {
        if let Some(t) = first_arrival(&host) {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    loop {
        if let Some(last) = last_arrival(&host, n) {
            return last - first;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn phase(name: &str, n: usize, payload: usize, budget_mib: usize) {
    // Two workers, like the console's runtime on this 2-core machine.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run_phase(name, n, payload, budget_mib));
}

async fn run_phase(name: &str, n: usize, payload: usize, budget_mib: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("tgo.sock");
    let config = HostConfig {
        socket: Some(socket.clone()),
        shutdown_grace: Duration::from_secs(2),
        log_budget_bytes: budget_mib * MIB,
        ..HostConfig::default()
    };
    let (host, mut events) = host::start(config).await.expect("host starts");
    let mut state = State::new(
        Theme::default(),
        RenderContext::default(),
        host.addresses().to_vec(),
        "log".into(),
    );
    state.size = (160, 50);
    let keys = Shared::default();
    let mut terminal = Terminal::new(Hooked {
        inner: TestBackend::new(160, 50),
        hooks: Timed {
            keys: keys.clone(),
            draws: 0,
        },
    })
    .expect("terminal");
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let mut input = Input {
        rx,
        keys: keys.clone(),
    };
    let rss_before = rss().0;

    let me = std::env::current_exe().expect("own path");
    let spec = LaunchSpec {
        program: me.display().to_string(),
        args: vec![
            "plugin".into(),
            socket.display().to_string(),
            n.to_string(),
            payload.to_string(),
        ],
        ..Default::default()
    };
    let mut child = ChildPlugin::spawn(&spec).expect("start the flooding plugin");

    let driver = {
        let host = host.clone();
        let keys = keys.clone();
        async move {
            // Keys every 20 ms from the start until the flood is in, and a little after.
            let started = Instant::now();
            let ingest = tokio::spawn(ingest_time(host.clone(), n));
            let mut done_at: Option<Instant> = None;
            let mut during = 0usize;
            let mut tick = tokio::time::interval(KEY_EVERY);
            loop {
                tick.tick().await;
                if done_at.is_none() && ingest.is_finished() {
                    done_at = Some(Instant::now());
                    during = keys.lock().injected.len();
                }
                if done_at.is_some_and(|d| d.elapsed() > Duration::from_millis(500))
                    || started.elapsed() > Duration::from_secs(120)
                {
                    break;
                }
                keys.lock().injected.push(Instant::now());
                tx.unbounded_send(key(KeyCode::Tab)).unwrap();
            }
            let ingest = if ingest.is_finished() {
                ingest.await.ok()
            } else {
                ingest.abort();
                None
            };
            // Let the last key be drawn, then quit.
            tokio::time::sleep(Duration::from_millis(200)).await;
            tx.unbounded_send(key(KeyCode::Char('q'))).unwrap();
            (ingest, during)
        }
    };
    let mut platform = NoPlatform;
    let mut sources = Sources::default();
    let looped = event_loop(
        &mut terminal,
        &mut input,
        &mut state,
        &host,
        &mut events,
        &mut platform,
        &mut sources,
    );
    let (looped, (ingest, during)) = tokio::join!(looped, driver);
    looped.expect("event loop");
    let (rss_after, hwm) = rss();
    let (log_bytes, log_budget, log_len, evicted) = {
        let log = host.log();
        (log.bytes(), log.budget(), log.len(), log.evicted())
    };
    host.shutdown().await;
    child.stop(Duration::from_secs(2)).await;

    let k = keys.lock();
    let injected = k.injected.len();
    let lat: Vec<Duration> = k
        .injected
        .iter()
        .zip(&k.drawn)
        .map(|(i, d)| d.saturating_duration_since(*i))
        .collect();
    let mut flood: Vec<Duration> = lat.iter().take(during).copied().collect();
    let mut all = lat.clone();
    flood.sort_unstable();
    all.sort_unstable();
    println!(
        "flood/{name}: {n} notifications of {payload} B, log budget {}",
        mib(budget_mib * MIB)
    );
    match ingest {
        Some(d) => println!(
            "  ingest: {} from the first to the last notification logged ({:.0}/s)",
            ms(d),
            n as f64 / d.as_secs_f64().max(1e-9)
        ),
        None => println!("  ingest: the flood did not finish within 120 s"),
    }
    println!(
        "  keys during the flood: {} of {injected} injected (every {} ms); answered {}",
        flood.len(),
        KEY_EVERY.as_millis(),
        k.drawn.len()
    );
    println!(
        "  key latency during the flood: p50 {}  p99 {}  max {}",
        ms(pct(&flood, 50.0)),
        ms(pct(&flood, 99.0)),
        ms(flood.last().copied().unwrap_or_default())
    );
    println!(
        "  key latency over the whole run: p50 {}  p99 {}  max {}",
        ms(pct(&all, 50.0)),
        ms(pct(&all, 99.0)),
        ms(all.last().copied().unwrap_or_default())
    );
    println!(
        "  draws: {}  log: {} entries, {} charged of {} budget ({:.1}%), {} entries evicted ({})",
        terminal.backend().hooks.draws,
        log_len,
        mib(log_bytes),
        mib(log_budget),
        100.0 * log_bytes as f64 / log_budget as f64,
        evicted.0,
        mib(evicted.1 as usize)
    );
    println!(
        "  resident memory: {} before the flood, {} after, peak {} (peak growth {})",
        mib(rss_before),
        mib(rss_after),
        mib(hwm),
        mib(hwm.saturating_sub(rss_before))
    );
}
