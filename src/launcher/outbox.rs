//! The launcher's events on their way to the console, in bounded memory however fast a plugin
//! prints.
//!
//! Process events (state, file changes, removal) are rare and always delivered. Output lines
//! wait in a bounded ring per plugin ([`RING_LINES`], [`RING_BYTES`]); when a plugin prints
//! faster than the console takes lines, the oldest waiting lines are dropped and counted, and
//! the count reaches the console as [`LauncherEvent::Dropped`] (at most once a second per
//! plugin during a flood, and always before its next process event or once the flood ends). Each plugin is also held to [`RATE_LINES`] lines and [`RATE_BYTES`] bytes a
//! second (with bursts of [`BURST_LINES`] / [`BURST_BYTES`]): the console logs every line it
//! gets, so a `yes` must not fill the message log in seconds. One forwarding task moves events
//! into a bounded channel ([`CHANNEL`]); while the console is busy it waits, and the rings
//! keep dropping. Lines of a plugin always reach the console before its next process event.

use super::process::OutputLine;
use super::supervisor::{LaunchId, LauncherEvent};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

/// Events in the channel to the console.
pub const CHANNEL: usize = 256;
/// Output lines of one plugin waiting for the console.
pub const RING_LINES: usize = 2_000;
/// Bytes of output of one plugin waiting for the console.
pub const RING_BYTES: usize = 2 * 1024 * 1024;
/// Lines per second a plugin's output reaches the console at, at most (then dropped).
pub const RATE_LINES: f64 = 2_000.0;
/// Lines a plugin may print at once before the rate applies.
pub const BURST_LINES: f64 = 5_000.0;
/// Bytes per second a plugin's output reaches the console at, at most.
pub const RATE_BYTES: f64 = 1024.0 * 1024.0;
/// Bytes a plugin may print at once before the rate applies.
pub const BURST_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// Most often a flood's drops are reported (each report is a note in the message log).
const DROP_REPORT: Duration = Duration::from_secs(1);
/// Shortest wait while lines are held back by the allowance: each wake moves a batch.
const HOLD_BACK: Duration = Duration::from_millis(20);

/// Bytes a line is counted for: its text and its place.
fn line_bytes(line: &OutputLine) -> usize {
    line.text.len() + std::mem::size_of::<OutputLine>()
}

/// One plugin's lines waiting, and its allowance.
struct Ring {
    lines: VecDeque<OutputLine>,
    bytes: usize,
    /// Dropped since the console last heard of a drop.
    dropped: u64,
    line_tokens: f64,
    byte_tokens: f64,
    refilled: Instant,
    /// When the console last heard of a drop.
    reported: Instant,
}

impl Ring {
    fn new(now: Instant) -> Self {
        Self {
            lines: VecDeque::new(),
            bytes: 0,
            dropped: 0,
            line_tokens: BURST_LINES,
            byte_tokens: BURST_BYTES,
            refilled: now,
            reported: now,
        }
    }

    fn push(&mut self, line: OutputLine) {
        self.bytes += line_bytes(&line);
        self.lines.push_back(line);
        while self.lines.len() > RING_LINES || (self.bytes > RING_BYTES && self.lines.len() > 1) {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= line_bytes(&old);
                self.dropped += 1;
            }
        }
    }

    fn refill(&mut self, now: Instant) {
        let secs = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.line_tokens = (self.line_tokens + secs * RATE_LINES).min(BURST_LINES);
        self.byte_tokens = (self.byte_tokens + secs * RATE_BYTES).min(BURST_BYTES);
    }

    /// Moves up to what the allowance permits (everything if `all`) into `out`, after the
    /// count of lines dropped so far when it is time to tell (see the module docs).
    fn drain(&mut self, id: LaunchId, all: bool, now: Instant, out: &mut VecDeque<LauncherEvent>) {
        let mut taken = Vec::new();
        while let Some(line) = self.lines.front() {
            let cost = line_bytes(line) as f64;
            if !all && (self.line_tokens < 1.0 || self.byte_tokens < cost.min(BURST_BYTES)) {
                break;
            }
            self.line_tokens = (self.line_tokens - 1.0).max(0.0);
            self.byte_tokens = (self.byte_tokens - cost).max(0.0);
            let line = self.lines.pop_front().expect("a front line");
            self.bytes -= line_bytes(&line);
            taken.push(line);
        }
        let due = all || self.lines.is_empty() || now >= self.reported + DROP_REPORT;
        if self.dropped > 0 && due && (!taken.is_empty() || self.lines.is_empty()) {
            self.reported = now;
            out.push_back(LauncherEvent::Dropped {
                id,
                lines: std::mem::take(&mut self.dropped),
            });
        }
        out.extend(
            taken
                .into_iter()
                .map(|line| LauncherEvent::Output { id, line }),
        );
    }

    /// When the allowance lets the next line through.
    fn due(&self, now: Instant) -> Instant {
        let Some(line) = self.lines.front() else {
            return now;
        };
        let need_lines = (1.0 - self.line_tokens).max(0.0) / RATE_LINES;
        let cost = (line_bytes(line) as f64).min(BURST_BYTES);
        let need_bytes = (cost - self.byte_tokens).max(0.0) / RATE_BYTES;
        now + Duration::from_secs_f64(need_lines.max(need_bytes))
    }
}

#[derive(Default)]
struct Queue {
    /// Ready to go, in order.
    ready: VecDeque<LauncherEvent>,
    rings: HashMap<LaunchId, Ring>,
}

/// What the launcher and the forwarding task share.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    wake: Notify,
    /// The launcher is gone: deliver what is left, then close the channel.
    closed: AtomicBool,
}

/// Where the launcher puts its events (see the module docs).
pub(crate) struct Outbox(Arc<Shared>);

impl Drop for Outbox {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.wake.notify_one();
    }
}

impl Outbox {
    /// A new outbox and the channel the console reads; the forwarding task runs on the
    /// current runtime until the outbox is dropped and everything queued is delivered.
    pub(crate) fn start() -> (Arc<Self>, mpsc::Receiver<LauncherEvent>) {
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::channel(CHANNEL);
        tokio::spawn(forward(shared.clone(), tx));
        (Arc::new(Self(shared)), rx)
    }

    /// A process event: the plugin's waiting lines go first, whatever the allowance.
    pub(crate) fn event(&self, ev: LauncherEvent) {
        let id = match &ev {
            LauncherEvent::State { id, .. }
            | LauncherEvent::Changed { id, .. }
            | LauncherEvent::Removed { id }
            | LauncherEvent::BuildFailed { id, .. }
            | LauncherEvent::Output { id, .. }
            | LauncherEvent::Dropped { id, .. } => *id,
        };
        {
            let mut q = self.0.queue.lock();
            let q = &mut *q;
            if let Some(ring) = q.rings.get_mut(&id) {
                ring.drain(id, true, Instant::now(), &mut q.ready);
            }
            if matches!(ev, LauncherEvent::Removed { .. }) {
                q.rings.remove(&id);
            }
            q.ready.push_back(ev);
        }
        self.0.wake.notify_one();
    }

    /// A line a plugin printed. The forwarder is woken only when the plugin had nothing
    /// waiting: otherwise it already knows, and a flood does not wake it once per line.
    pub(crate) fn line(&self, id: LaunchId, line: OutputLine) {
        let was_empty = {
            let mut q = self.0.queue.lock();
            let ring = q
                .rings
                .entry(id)
                .or_insert_with(|| Ring::new(Instant::now()));
            let was_empty = ring.lines.is_empty();
            ring.push(line);
            was_empty
        };
        if was_empty {
            self.0.wake.notify_one();
        }
    }
}

impl Shared {
    /// What can go now, and when to look again if lines are held back by the allowance.
    /// `all`: whatever the allowance (the launcher is gone, nothing more will come).
    fn take(&self, now: Instant, all: bool) -> (VecDeque<LauncherEvent>, Option<Instant>) {
        let mut q = self.queue.lock();
        let q = &mut *q;
        let mut out = std::mem::take(&mut q.ready);
        let mut next: Option<Instant> = None;
        for (&id, ring) in q.rings.iter_mut() {
            ring.refill(now);
            ring.drain(id, all, now, &mut out);
            if !ring.lines.is_empty() {
                let due = ring.due(now);
                next = Some(next.map_or(due, |n| n.min(due)));
            }
        }
        (out, next)
    }
}

async fn forward(shared: Arc<Shared>, tx: mpsc::Sender<LauncherEvent>) {
    loop {
        let closed = shared.closed.load(Ordering::Acquire);
        let (batch, next) = shared.take(Instant::now(), closed);
        for ev in batch {
            if tx.send(ev).await.is_err() {
                return; // nobody listens any more
            }
        }
        if closed {
            return; // everything was taken: the console's channel closes
        }
        match next {
            // Held back: look again when the allowance lets a line through (or sooner).
            Some(at) => {
                let at = at.max(Instant::now() + HOLD_BACK);
                tokio::select! {
                    () = tokio::time::sleep_until(at.into()) => {}
                    () = shared.wake.notified() => {}
                }
            }
            None => shared.wake.notified().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launcher::StreamKind;
    use std::time::SystemTime;

    fn line(text: &str) -> OutputLine {
        OutputLine {
            at: SystemTime::UNIX_EPOCH,
            stream: StreamKind::Stdout,
            text: text.to_string(),
        }
    }

    #[test]
    fn a_ring_keeps_the_newest_lines_within_its_bounds_and_counts_the_rest() {
        let mut ring = Ring::new(Instant::now());
        for i in 0..RING_LINES * 3 {
            ring.push(line(&i.to_string()));
        }
        assert_eq!(ring.lines.len(), RING_LINES);
        assert_eq!(ring.dropped, (RING_LINES * 2) as u64);
        assert_eq!(ring.lines[0].text, (RING_LINES * 2).to_string());
        let big = "x".repeat(64 * 1024);
        for _ in 0..100 {
            ring.push(line(&big));
        }
        assert!(ring.bytes <= RING_BYTES, "{} bytes waiting", ring.bytes);
        let held: usize = ring.lines.iter().map(line_bytes).sum();
        assert_eq!(held, ring.bytes);
    }

    #[test]
    fn the_allowance_lets_a_burst_through_then_the_rate() {
        let t0 = Instant::now();
        let mut ring = Ring::new(t0);
        let mut out = VecDeque::new();
        for round in 0..3 {
            for i in 0..RING_LINES {
                ring.push(line(&format!("{round}-{i}")));
            }
            ring.refill(t0);
            ring.drain(LaunchId(1), false, t0, &mut out);
        }
        // The burst (5 000 lines) went at once: 2 000 + 2 000 + 1 000.
        let outputs = out
            .iter()
            .filter(|e| matches!(e, LauncherEvent::Output { .. }))
            .count();
        assert_eq!(outputs, BURST_LINES as usize);
        assert_eq!(ring.lines.len(), RING_LINES - 1_000);
        // Half a second later: RATE_LINES / 2 more.
        ring.refill(t0 + Duration::from_millis(500));
        let mut more = VecDeque::new();
        ring.drain(
            LaunchId(1),
            false,
            t0 + Duration::from_millis(500),
            &mut more,
        );
        assert_eq!(more.len(), (RATE_LINES / 2.0) as usize);
        // Out of allowance: the next line is due a little later, not now.
        ring.push(line("next"));
        let now = t0 + Duration::from_millis(500);
        assert!(ring.due(now) > now);
    }

    #[tokio::test]
    async fn a_flood_reaches_the_console_bounded_counted_and_in_order() {
        let (outbox, mut rx) = Outbox::start();
        let id = LaunchId(7);
        for i in 0..100_000 {
            outbox.line(id, line(&format!("{i}")));
        }
        outbox.event(LauncherEvent::Removed { id });
        drop(outbox);
        let (mut lines, mut dropped, mut last) = (0u64, 0u64, -1i64);
        let mut removed = false;
        while let Some(ev) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the outbox delivers")
        {
            match ev {
                LauncherEvent::Output { line, .. } => {
                    assert!(!removed, "lines come before the process event");
                    let n: i64 = line.text.parse().unwrap();
                    assert!(n > last, "in order: {n} after {last}");
                    last = n;
                    lines += 1;
                }
                LauncherEvent::Dropped { lines: n, .. } => dropped += n,
                LauncherEvent::Removed { .. } => removed = true,
                other => panic!("{other:?}"),
            }
        }
        assert!(removed);
        assert_eq!(lines + dropped, 100_000, "every line delivered or counted");
        assert!(lines <= (RING_LINES * 2) as u64, "{lines} lines delivered");
        assert_eq!(last, 99_999, "the newest line is never the one dropped");
    }
}
