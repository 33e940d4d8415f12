//! Quick reconnects of id-less plugins (issue 12.4): each connects, registers without an
//! `id` (the host generates a new one every time), reads the answer and hangs up, while the
//! console's real event loop runs beside the host. Prints, for each burst size, how long the
//! burst took (registration is on the plugin's path), how long a key pressed when it ended
//! took to be answered (keys are served before host events), and the CPU the process spent
//! in the 3 s after it (the loop working through what the burst left). Linear work shows as
//! times proportional to N; quadratic work as times growing with N².
//!
//! `cargo bench --bench storm` runs 1 000, 2 000 and 4 000; `-- 8000` runs one size; `-- stay`
//! keeps every plugin connected until the burst ends, then all hang up at once.

#[path = "../tests/common/hooked.rs"]
mod hooked;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use hooked::{Hooked, Hooks};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tgo_console::host::{self, HostConfig, RenderContext};
use tgo_console::tui::app::{Platform, Sources, event_loop};
use tgo_console::tui::state::State;
use tgo_console::tui::theme::Theme;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `stay`: every plugin stays connected until the burst ends, then all hang up at once.
    let stay = args.iter().any(|a| a == "stay");
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 2000, 4000]
    } else {
        sizes
    };
    println!(
        "{:>6}  {:>10}  {:>12}  {:>16}  {:>8}",
        "N", "burst", "key after", "CPU 3 s after", "draws"
    );
    for n in sizes {
        let (burst, key, spent, draws) = storm(n, stay);
        println!(
            "{n:>6}  {:>7.0} ms  {:>9.1} ms  {:>13.0} ms  {draws:>8}",
            burst.as_secs_f64() * 1e3,
            key.as_secs_f64() * 1e3,
            spent.as_secs_f64() * 1e3
        );
    }
}

fn frame(out: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    out.write_all(&(payload.len() as u32).to_be_bytes())?;
    out.write_all(payload)
}

fn read_frame(inp: &mut impl Read) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    inp.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; u32::from_be_bytes(len) as usize];
    inp.read_exact(&mut buf).ok()?;
    Some(buf)
}

/// One id-less plugin's life: connect, register, read the answer (hang up when dropped).
fn reconnect(socket: &Path) -> std::os::unix::net::UnixStream {
    let mut sock = std::os::unix::net::UnixStream::connect(socket).expect("dial the host");
    let register = br#"{"jsonrpc":"2.0","id":1,"method":"register","params":{"name":"storm","version":"1.0.0","capabilities":[{"type":"visitor_panel","title":"Storm"}]}}"#;
    frame(&mut sock, register).expect("register");
    read_frame(&mut sock).expect("register answered");
    sock
}

/// Draws so far; when the first draw after the loop took the key finished; whether it took it.
type Marks = Arc<parking_lot::Mutex<(u64, Option<Instant>, bool)>>;

/// Counts draws and notes the first one finished after the key was taken.
struct Drawn {
    draws: Marks,
}

impl Hooks for Drawn {
    fn flushed(&mut self, _screen: &TestBackend) {
        let mut d = self.draws.lock();
        d.0 += 1;
        if d.2 && d.1.is_none() {
            d.1 = Some(Instant::now());
        }
    }
}

/// The loop's input: notes when the loop takes the key.
struct Input {
    rx: futures::channel::mpsc::UnboundedReceiver<std::io::Result<Event>>,
    marks: Marks,
}

impl tgo_console::tui::input::Pausable for Input {}

impl futures::Stream for Input {
    type Item = std::io::Result<Event>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let polled = std::pin::Pin::new(&mut self.rx).poll_next(cx);
        if let std::task::Poll::Ready(Some(Ok(_))) = &polled {
            self.marks.lock().2 = true;
        }
        polled
    }
}

struct NoPlatform;

impl Platform for NoPlatform {
    fn copy(&mut self, _: &str) {}
    fn open_url(&mut self, _: &str, _: tgo_console::tui::app::Failed) {}
}

/// How long after the burst CPU is counted.
const AFTER: Duration = Duration::from_secs(3);

/// CPU time (user + system) of this process so far.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) are space-separated.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ")".
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn storm(n: usize, stay: bool) -> (Duration, Duration, Duration, u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tgo.sock");
        let config = HostConfig {
            socket: Some(socket.clone()),
            ..HostConfig::default()
        };
        let (handle, mut events) = host::start(config).await.expect("host");
        let mut state = State::new(
            Theme::default(),
            RenderContext::default(),
            handle.addresses().to_vec(),
            "log".into(),
        );
        state.size = (160, 45);
        let draws = Arc::new(parking_lot::Mutex::new((0, None, false)));
        let mut terminal = Terminal::new(Hooked {
            inner: TestBackend::new(160, 45),
            hooks: Drawn {
                draws: draws.clone(),
            },
        })
        .unwrap();
        let (keys, rx) = futures::channel::mpsc::unbounded();
        let mut input = Input {
            rx,
            marks: draws.clone(),
        };
        let looping = handle.clone();
        let burst_socket = socket.clone();
        let armed = draws.clone();
        let driver = async move {
            let start = Instant::now();
            tokio::task::spawn_blocking(move || {
                let mut kept = Vec::new();
                for _ in 0..n {
                    let conn = reconnect(&burst_socket);
                    if stay {
                        kept.push(conn);
                    }
                }
            })
            .await
            .unwrap();
            let burst = start.elapsed();
            // A key now: the draw after it comes once the loop has taken everything before.
            let ended = Instant::now();
            let key = |c| Ok(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
            keys.unbounded_send(key(KeyCode::Char('j'))).unwrap();
            let answered = loop {
                if let Some(at) = armed.lock().1 {
                    break at;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            };
            // CPU the process spends in the seconds after the burst: the loop working
            // through what the burst left (the host is idle by then).
            let before = cpu();
            tokio::time::sleep(AFTER).await;
            let spent = cpu() - before;
            keys.unbounded_send(key(KeyCode::Char('q'))).unwrap();
            (burst, answered - ended, spent)
        };
        let (mut platform, mut sources) = (NoPlatform, Sources::default());
        let looped = event_loop(
            &mut terminal,
            &mut input,
            &mut state,
            &looping,
            &mut events,
            &mut platform,
            &mut sources,
        );
        let (result, (burst, key, spent)) = tokio::join!(looped, driver);
        result.unwrap();
        handle.shutdown().await;
        let draws = draws.lock().0;
        (burst, key, spent, draws)
    })
}
