//! Terminal input, read on its own thread so that everything waiting on the tty is read at
//! once and reaches the loop as a batch.
//!
//! Why not crossterm's `EventStream`: its default (mio) source reads the tty edge-triggered
//! but stops after the first 1 024-byte read that yields an event, so the rest of a paste
//! (a terminal without bracketed paste) stays in the kernel until a *new* byte arrives: a
//! 5 KB paste stalled after 2 048 characters and every later key released 1 024 more
//! (crossterm-rs/crossterm#1057). We build crossterm with `use-dev-tty`, whose source is
//! level-triggered `poll(2)`; but that source never returns an event it already parsed to a
//! poll whose time is up when it starts (crossterm-rs/crossterm#839), so `EventStream` hands
//! over one event per thread wake-up, and a short-timeout poll can leave parsed events behind.
//!
//! So a thread here waits in crossterm's own poll with a timeout that never runs out (it looks
//! at the parsed events first, then sleeps in `poll(2)` on the tty, SIGWINCH and its waker),
//! reads each event and sends it to a channel the loop drains before it draws. To stop the
//! thread (dropped, or SIGHUP: the terminal is gone and crossterm would spin on it), the
//! waker is used: the only public handle on it is an `EventStream`, held here unpolled, whose
//! drop wakes crossterm's poll.

use crossterm::event::{Event, EventStream};
use futures::Stream;
use futures::channel::mpsc;
use parking_lot::Mutex;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// "No timeout" for crossterm's poll: 24.8 days, the most its `poll(2)` call takes as
/// milliseconds in a C int; a woken or timed-out poll is simply made again.
const FOREVER: Duration = Duration::from_millis(i32::MAX as u64);

/// Stops the reader thread: sets the flag, then wakes crossterm's poll.
#[derive(Clone)]
struct Stopper {
    stop: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<EventStream>>>,
}

impl Stopper {
    fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        // Dropping the stream wakes the poll the reader thread is in (or its next one).
        drop(self.waker.lock().take());
    }
}

/// The running reader thread's stopper and handle, None while paused.
type Reader = Arc<Mutex<Option<(Stopper, std::thread::JoinHandle<()>)>>>;

/// The terminal's input events, as a stream. Dropping it stops the reader thread.
pub struct TerminalInput {
    rx: mpsc::UnboundedReceiver<io::Result<Event>>,
    tx: mpsc::UnboundedSender<io::Result<Event>>,
    /// The running reader's stopper and thread; None while paused. Shared with the SIGHUP
    /// watcher, which stops whichever reader is running.
    reader: Reader,
    hangup: Option<tokio::task::JoinHandle<()>>,
}

impl TerminalInput {
    /// Starts reading the terminal. Call from inside the tokio runtime (SIGHUP is watched by
    /// a task).
    pub fn start() -> io::Result<Self> {
        let (tx, rx) = mpsc::unbounded();
        let reader = Arc::new(Mutex::new(None));
        let mut input = Self {
            rx,
            tx,
            reader: reader.clone(),
            hangup: None,
        };
        input.spawn_reader()?;
        input.hangup = stop_on_hangup(reader);
        Ok(input)
    }

    fn spawn_reader(&mut self) -> io::Result<()> {
        // Before the thread holds crossterm's reader: making the stream takes it briefly.
        let stopper = Stopper {
            stop: Arc::new(AtomicBool::new(false)),
            waker: Arc::new(Mutex::new(Some(EventStream::new()))),
        };
        let stop = stopper.stop.clone();
        let tx = self.tx.clone();
        let thread = std::thread::Builder::new()
            .name("tty-input".into())
            .spawn(move || read_tty(&stop, &tx))?;
        *self.reader.lock() = Some((stopper, thread));
        Ok(())
    }
}

/// An input that can stop reading for a while, so that another program (a user's foreground
/// command) gets the terminal's keys. Test inputs need not.
pub trait Pausable {
    fn pause(&mut self) {}
    fn resume(&mut self) {}
}

impl Pausable for TerminalInput {
    /// Stops the reader thread and waits for it: nothing of the terminal is read until
    /// [`Pausable::resume`].
    fn pause(&mut self) {
        let taken = self.reader.lock().take();
        if let Some((stopper, thread)) = taken {
            stopper.stop();
            let _ = thread.join();
        }
    }

    fn resume(&mut self) {
        if self.reader.lock().is_none()
            && let Err(e) = self.spawn_reader()
        {
            let _ = self.tx.unbounded_send(Err(e));
        }
    }
}

impl<T> Pausable for mpsc::UnboundedReceiver<T> {}

impl Drop for TerminalInput {
    fn drop(&mut self) {
        if let Some(task) = self.hangup.take() {
            task.abort();
        }
        if let Some((stopper, _)) = self.reader.lock().take() {
            stopper.stop();
        }
    }
}

impl Stream for TerminalInput {
    type Item = io::Result<Event>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

fn read_tty(stop: &AtomicBool, tx: &mpsc::UnboundedSender<io::Result<Event>>) {
    while !stop.load(Ordering::Acquire) {
        match crossterm::event::poll(FOREVER) {
            Ok(true) => {
                let event = crossterm::event::read();
                let failed = event.is_err();
                if tx.unbounded_send(event).is_err() || failed {
                    return;
                }
            }
            // Woken (to stop, or by nothing) or 24 days passed: look at the flag, poll again.
            Ok(false) => {}
            Err(e) => {
                let _ = tx.unbounded_send(Err(e));
                return;
            }
        }
    }
}

/// SIGHUP: the terminal is gone. Stop reading it (crossterm would spin on a hung-up tty); the
/// console quits on the same signal.
fn stop_on_hangup(reader: Reader) -> Option<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot watch SIGHUP: {e}");
            return None;
        }
    };
    Some(tokio::spawn(async move {
        if hup.recv().await.is_some()
            && let Some((stopper, _)) = reader.lock().take()
        {
            stopper.stop();
        }
    }))
}
