//! Terminal input, read on its own thread so that everything waiting on the tty is read at
//! once and reaches the loop as a batch.
//!
//! Why not crossterm's `EventStream`: its default (mio) source reads the tty edge-triggered
//! but stops after the first 1 024-byte read that yields an event, so the rest of a paste
//! (a terminal without bracketed paste) stays in the kernel until a *new* byte arrives: a
//! 5 KB paste stalled after 2 048 characters and every later key released 1 024 more
//! (crossterm-rs/crossterm#1057). We build crossterm with `use-dev-tty`, whose source is
//! level-triggered `poll(2)` and reads until nothing is left; but that source never returns a
//! buffered event to a zero-timeout poll (crossterm-rs/crossterm#839), so `EventStream` hands
//! over one event per thread wake-up and the loop could not take a batch. Here a thread
//! waits for the tty itself, then takes every event crossterm can give, and sends them to a
//! channel the loop drains before it draws.
//!
//! The thread waits in its own `poll(2)` (holding no crossterm lock) so that it also sees a
//! hung-up tty and ends instead of spinning, and so that dropping [`TerminalInput`] stops it.
//! Window size changes come from a SIGWINCH watcher on the runtime: the thread only wakes
//! for bytes.

use crossterm::event::Event;
use futures::Stream;
use futures::channel::mpsc;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// After the tty went quiet, how long crossterm may wait for the rest of a sequence that
/// was split across reads before the thread goes back to sleep.
const SETTLE: Duration = Duration::from_millis(1);

/// The terminal's input events, as a stream. Dropping it stops the reader thread.
pub struct TerminalInput {
    rx: mpsc::UnboundedReceiver<io::Result<Event>>,
    tx: mpsc::UnboundedSender<io::Result<Event>>,
    /// The reader thread, and our end of its stop line: closing it wakes the thread's `poll`
    /// so that it ends. None while paused.
    reader: Option<(UnixStream, std::thread::JoinHandle<()>)>,
    winch: Option<tokio::task::JoinHandle<()>>,
}

impl TerminalInput {
    /// Starts reading the terminal crossterm reads (stdin when it is a tty, else `/dev/tty`).
    /// Call from inside the tokio runtime (the resize watcher is a task).
    pub fn start() -> io::Result<Self> {
        let (tx, rx) = mpsc::unbounded();
        let winch = watch_resize(tx.clone());
        let mut input = Self {
            rx,
            tx,
            reader: None,
            winch,
        };
        input.spawn_reader()?;
        Ok(input)
    }

    fn spawn_reader(&mut self) -> io::Result<()> {
        let tty = TtyFd::open()?;
        let (stop, stopped) = UnixStream::pair()?;
        let reader_tx = self.tx.clone();
        let thread = std::thread::Builder::new()
            .name("tty-input".into())
            .spawn(move || read_tty(&tty, &stopped, &reader_tx))?;
        self.reader = Some((stop, thread));
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
        if let Some((stop, thread)) = self.reader.take() {
            drop(stop);
            let _ = thread.join();
        }
    }

    fn resume(&mut self) {
        if self.reader.is_none()
            && let Err(e) = self.spawn_reader()
        {
            let _ = self.tx.unbounded_send(Err(e));
        }
    }
}

impl<T> Pausable for mpsc::UnboundedReceiver<T> {}

impl Drop for TerminalInput {
    fn drop(&mut self) {
        if let Some(task) = self.winch.take() {
            task.abort();
        }
    }
}

impl Stream for TerminalInput {
    type Item = io::Result<Event>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

/// The tty fd crossterm reads: stdin if it is a terminal, else `/dev/tty` (kept open here).
enum TtyFd {
    Stdin,
    Owned(OwnedFd),
}

impl TtyFd {
    fn open() -> io::Result<Self> {
        // SAFETY: isatty only inspects the descriptor.
        if unsafe { libc::isatty(libc::STDIN_FILENO) } == 1 {
            return Ok(TtyFd::Stdin);
        }
        let file = std::fs::OpenOptions::new().read(true).open("/dev/tty")?;
        Ok(TtyFd::Owned(file.into()))
    }

    fn raw(&self) -> RawFd {
        match self {
            TtyFd::Stdin => libc::STDIN_FILENO,
            TtyFd::Owned(fd) => fd.as_raw_fd(),
        }
    }
}

enum Wake {
    Input,
    Stop,
}

/// Blocks until the tty has bytes (or hung up) or `stop` closed.
fn wait(tty: RawFd, stop: RawFd) -> io::Result<Wake> {
    let mut fds = [
        libc::pollfd {
            fd: tty,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: stop,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: `fds` is a valid array of two pollfd for the duration of the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if fds[1].revents != 0 {
            return Ok(Wake::Stop);
        }
        let gone = libc::POLLHUP | libc::POLLERR | libc::POLLNVAL;
        if fds[0].revents & gone != 0 {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the terminal is gone",
            ));
        }
        if fds[0].revents & libc::POLLIN != 0 {
            return Ok(Wake::Input);
        }
    }
}

fn read_tty(tty: &TtyFd, stop: &UnixStream, tx: &mpsc::UnboundedSender<io::Result<Event>>) {
    loop {
        match wait(tty.raw(), stop.as_raw_fd()) {
            Ok(Wake::Stop) => return,
            Ok(Wake::Input) => {}
            Err(e) => {
                let _ = tx.unbounded_send(Err(e));
                return;
            }
        }
        // Everything crossterm has parsed or can read now, without waiting for more.
        loop {
            match crossterm::event::poll(SETTLE) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let _ = tx.unbounded_send(Err(e));
                    return;
                }
            }
            let event = crossterm::event::read();
            let failed = event.is_err();
            if tx.unbounded_send(event).is_err() || failed {
                return;
            }
        }
    }
}

/// Sends the new size on every SIGWINCH (the reader thread sleeps until a byte arrives).
fn watch_resize(
    tx: mpsc::UnboundedSender<io::Result<Event>>,
) -> Option<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut winch = match signal(SignalKind::window_change()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot watch SIGWINCH: {e}");
            return None;
        }
    };
    Some(tokio::spawn(async move {
        while winch.recv().await.is_some() {
            let Ok((w, h)) = crossterm::terminal::size() else {
                continue;
            };
            if tx.unbounded_send(Ok(Event::Resize(w, h))).is_err() {
                break;
            }
        }
    }))
}
