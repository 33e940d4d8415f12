//! One child plugin process: spawn, capture stdout/stderr lines, stop gracefully.
//!
//! No orphans: every child leads its own process group; the group is SIGKILLed when the
//! `ChildPlugin` is dropped, by [`kill_all_now`] (for panic hooks and signal handlers), and by the
//! kernel when the console dies (`PR_SET_PDEATHSIG`, see [`ChildPlugin::spawn_with`]).

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// Longest line kept: a longer one keeps its first bytes, says it was cut, and the rest of it
/// is read and dropped (3 GB without a newline cost this much, not 3 GB).
pub const MAX_LINE_BYTES: usize = 16 * 1024;
/// Lines kept per plugin; older ones are dropped and counted.
pub const MAX_LINES: usize = 10_000;
/// Bytes of lines kept per plugin (with [`MAX_LINES`], whichever bounds first).
pub const MAX_OUTPUT_BYTES: usize = 8 * 1024 * 1024;

/// What to run.
#[derive(Clone, Debug, Default)]
pub struct LaunchSpec {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    /// Added to (or overriding) our own environment.
    pub env: Vec<(String, String)>,
}

impl LaunchSpec {
    /// The command line, for messages.
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    Stdout,
    Stderr,
    /// Not from the plugin: a line the console adds, such as the marker between two runs.
    Console,
}

/// One line a plugin printed (raw: sanitise before showing).
#[derive(Clone, Debug)]
pub struct OutputLine {
    pub at: SystemTime,
    pub stream: StreamKind,
    pub text: String,
}

/// The bounded output of one plugin: at most [`MAX_LINES`] lines and [`MAX_OUTPUT_BYTES`].
#[derive(Debug, Default)]
pub struct OutputBuffer {
    lines: VecDeque<OutputLine>,
    bytes: usize,
    dropped: u64,
}

impl OutputBuffer {
    pub(crate) fn push(&mut self, line: OutputLine) {
        self.bytes += line.text.len();
        self.lines.push_back(line);
        while self.lines.len() > MAX_LINES
            || (self.bytes > MAX_OUTPUT_BYTES && self.lines.len() > 1)
        {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.text.len();
                self.dropped += 1;
            }
        }
    }

    /// Bytes of text kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn lines(&self) -> &VecDeque<OutputLine> {
        &self.lines
    }

    /// The last `n` lines.
    pub fn tail(&self, n: usize) -> Vec<OutputLine> {
        self.lines
            .iter()
            .skip(self.lines.len().saturating_sub(n))
            .cloned()
            .collect()
    }

    /// Lines dropped to stay within the bound.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// How a stop ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Exited by itself within the grace period.
    Exited(ExitStatus),
    /// Needed SIGTERM.
    Terminated(ExitStatus),
    /// Needed SIGKILL.
    Killed(ExitStatus),
}

/// Called with every line a plugin prints, as it is captured (on a capture task: keep it quick).
pub type LineSink = Arc<dyn Fn(&OutputLine) + Send + Sync>;

/// How to spawn, beyond what to run.
#[derive(Clone)]
pub struct SpawnOptions {
    /// Append to this buffer instead of a new one (so output survives restarts).
    pub output: Option<Arc<Mutex<OutputBuffer>>>,
    /// Also hand each captured line here.
    pub on_line: Option<LineSink>,
    /// Have the kernel SIGKILL the child when the console dies (Linux `PR_SET_PDEATHSIG`).
    pub die_with_parent: bool,
}

impl Default for SpawnOptions {
    fn default() -> Self {
        Self {
            output: None,
            on_line: None,
            die_with_parent: true,
        }
    }
}

impl std::fmt::Debug for SpawnOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpawnOptions")
            .field("shared_output", &self.output.is_some())
            .field("on_line", &self.on_line.is_some())
            .field("die_with_parent", &self.die_with_parent)
            .finish()
    }
}

/// A running (or finished) plugin process.
pub struct ChildPlugin {
    child: Child,
    pgid: Option<i32>,
    output: Arc<Mutex<OutputBuffer>>,
    status: Option<ExitStatus>,
    /// The tasks reading stdout and stderr; they end at the pipes' end of file.
    readers: Vec<tokio::task::JoinHandle<()>>,
}

impl ChildPlugin {
    /// Starts the process in its own process group, stdin closed, output captured, killed with
    /// the console (see [`SpawnOptions`] for the defaults).
    pub fn spawn(spec: &LaunchSpec) -> std::io::Result<Self> {
        Self::spawn_with(spec, SpawnOptions::default())
    }

    /// [`spawn`](Self::spawn) with options.
    ///
    /// The parent-death signal fires when the *thread* that forked the child ends, not the
    /// process; so children are forked on one thread that lives as long as the console.
    pub fn spawn_with(spec: &LaunchSpec, opts: SpawnOptions) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Handle::current();
        let spec2 = spec.clone();
        let die_with_parent = opts.die_with_parent;
        let mut child = on_spawner_thread(move || {
            let _in_runtime = runtime.enter();
            command(&spec2, die_with_parent).spawn()
        })?;
        let pgid = child.id().and_then(|p| i32::try_from(p).ok());
        if let Some(pgid) = pgid {
            register_group(pgid);
        }
        let output = opts.output.unwrap_or_default();
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(tokio::spawn(capture(
                out,
                StreamKind::Stdout,
                output.clone(),
                opts.on_line.clone(),
            )));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(tokio::spawn(capture(
                err,
                StreamKind::Stderr,
                output.clone(),
                opts.on_line,
            )));
        }
        Ok(Self {
            child,
            pgid,
            output,
            status: None,
            readers,
        })
    }

    /// The process group id (the same number as the pid: the child leads its group).
    pub fn pgid(&self) -> Option<i32> {
        self.pgid
    }
}

/// The command for `spec`: own process group, stdin closed, output piped.
fn command(spec: &LaunchSpec, die_with_parent: bool) -> Command {
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    // What a plugin starts is never spared as an opener's (see `tree`).
    cmd.env_remove(super::tree::OPENER_ENV);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    #[cfg(target_os = "linux")]
    if die_with_parent {
        // getppid() is the process, whichever thread forked.
        let parent = i32::try_from(std::process::id()).unwrap_or(0);
        // SAFETY: runs between fork and exec; prctl(2) and getppid(2) are plain system calls
        // and the closure allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    // The console died before the signal was armed.
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = die_with_parent;
    cmd
}

impl ChildPlugin {
    pub fn pid(&self) -> Option<i32> {
        self.pgid
    }

    pub fn output(&self) -> Arc<Mutex<OutputBuffer>> {
        self.output.clone()
    }

    /// Waits up to `within` until everything the process printed has been read (both pipes
    /// at their end, as they are once its whole group has exited), so the output is complete.
    pub async fn drained(&mut self, within: Duration) {
        let readers = std::mem::take(&mut self.readers);
        let _ = tokio::time::timeout(within, futures::future::join_all(readers)).await;
    }

    /// The exit status, if it has exited.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits for the process to exit.
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        let s = self.child.wait().await?;
        self.status = Some(s);
        Ok(s)
    }

    /// Waits up to `within` for an exit.
    pub async fn wait_for(&mut self, within: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(within, self.wait())
            .await
            .ok()
            .and_then(Result::ok)
    }

    fn signal_group(&self, sig: i32) {
        if let Some(pgid) = self.pgid {
            // SAFETY: kill(2) with a negative pid signals the process group we created.
            unsafe {
                libc::kill(-pgid, sig);
            }
        }
    }

    /// Waits `grace` for an exit, then SIGTERM to the group, `grace` again, then SIGKILL.
    /// Returns once no process of the group is left (a zombie waiting for a parent that does
    /// not reap it does not count), or a second after the SIGKILL.
    pub async fn stop(&mut self, grace: Duration) -> Stop {
        if let Some(s) = self.wait_for(grace).await {
            self.kill_leftovers().await;
            return Stop::Exited(s);
        }
        self.terminate(grace).await
    }

    /// SIGTERM to the group now, `grace` for an exit, then SIGKILL; returns as
    /// [`stop`](Self::stop) does.
    pub async fn terminate(&mut self, grace: Duration) -> Stop {
        if let Some(s) = self.try_status() {
            self.kill_leftovers().await;
            return Stop::Exited(s);
        }
        self.signal_group(libc::SIGTERM);
        if let Some(s) = self.wait_for(grace).await {
            self.kill_leftovers().await;
            return Stop::Terminated(s);
        }
        self.signal_group(libc::SIGKILL);
        let s = self
            .wait()
            .await
            .unwrap_or_else(|_| std::os::unix::process::ExitStatusExt::from_raw(9));
        self.kill_leftovers().await;
        Stop::Killed(s)
    }

    /// After the process has exited and been waited for: SIGKILLs what is left in its group
    /// (grandchildren) and waits, up to a second, until the group is empty, reaping those of them
    /// that became our children (see [`become_subreaper`]).
    pub async fn kill_leftovers(&mut self) {
        let Some(pgid) = self.pgid else { return };
        if self.try_status().is_none() {
            // Still running: waitpid(-pgid) below could take the status tokio waits for.
            self.signal_group(libc::SIGKILL);
            return;
        }
        self.signal_group(libc::SIGKILL);
        for _ in 0..200 {
            // SAFETY: waitpid(2) on the group, not blocking; our own child (its leader) was
            // already waited for, so only orphaned grandchildren are reaped here.
            while unsafe { libc::waitpid(-pgid, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
            // SAFETY: signal 0 only asks whether the group still has a process.
            if unsafe { libc::kill(-pgid, 0) } == -1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for ChildPlugin {
    fn drop(&mut self) {
        // No orphans: whatever happened, the whole group goes with us.
        self.signal_group(libc::SIGKILL);
        if let Some(pgid) = self.pgid {
            unregister_group(pgid);
        }
    }
}

/// Makes this process the "child subreaper" of its descendants (Linux): a plugin's children
/// orphaned by its exit come back to us, not to PID 1, so [`ChildPlugin::kill_leftovers`] can
/// reap them. Without this, where PID 1 reaps nothing (many containers) every killed grandchild
/// would stay a zombie, keeping its process group alive. Idempotent.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: prctl(2) with plain integer arguments.
            if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == -1 {
                tracing::warn!(
                    "cannot become a child subreaper: {}",
                    std::io::Error::last_os_error()
                );
            }
        });
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs `f` on the long-lived spawner thread (inline if that thread cannot be had).
fn on_spawner_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    static SPAWNER: std::sync::OnceLock<Option<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("tgo-spawner".into())
            .spawn(move || {
                for job in rx {
                    // A panicking job must not end the thread: its children would die with it.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            })
            .ok()
            .map(|_| tx)
    });
    let Some(spawner) = spawner else {
        return f();
    };
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = done_tx.send(f());
    });
    if let Err(std::sync::mpsc::SendError(job)) = spawner.send(job) {
        job(); // the thread is gone (it never should be): do it here
    }
    done_rx
        .recv()
        .unwrap_or_else(|_| panic!("spawning a plugin process panicked"))
}

/// Process groups of live children, for [`kill_all_now`]. Fixed slots of atomics, so reading
/// them takes no lock (a signal handler may interrupt a thread holding one); 0 is a free slot.
static LIVE_GROUPS: [AtomicI32; 1024] = [const { AtomicI32::new(0) }; 1024];
/// The rare groups beyond the slots.
static MORE_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

fn register_group(pgid: i32) {
    for slot in &LIVE_GROUPS {
        if slot
            .compare_exchange(0, pgid, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
    }
    MORE_GROUPS.lock().push(pgid);
}

fn unregister_group(pgid: i32) {
    for slot in &LIVE_GROUPS {
        if slot
            .compare_exchange(pgid, 0, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
    }
    MORE_GROUPS.lock().retain(|&g| g != pgid);
}

/// SIGKILLs the process group of every live plugin child, at once. For the console's panic
/// hook and its SIGTERM / SIGINT handling: it takes no lock it could wait on and allocates
/// nothing.
pub fn kill_all_now() {
    for slot in &LIVE_GROUPS {
        let pgid = slot.load(Ordering::Acquire);
        if pgid > 0 {
            // SAFETY: kill(2) on a process group we created.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
    if let Some(more) = MORE_GROUPS.try_lock() {
        for &pgid in more.iter() {
            // SAFETY: as above.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

async fn capture<R: AsyncRead + Unpin>(
    stream: R,
    kind: StreamKind,
    into: Arc<Mutex<OutputBuffer>>,
    on_line: Option<LineSink>,
) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    // In the middle of a line already cut: its rest is read and dropped.
    let mut skipping = false;
    loop {
        buf.clear();
        match (&mut reader)
            .take(MAX_LINE_BYTES as u64)
            .read_until(b'\n', &mut buf)
            .await
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let ended = buf.last() == Some(&b'\n');
                if skipping {
                    skipping = !ended;
                    continue;
                }
                let mut text = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                if !ended && buf.len() == MAX_LINE_BYTES {
                    skipping = true;
                    text.push_str(&format!(" … (line cut at {} KiB)", MAX_LINE_BYTES / 1024));
                }
                tracing::debug!(stream = ?kind, "plugin: {text}");
                let line = OutputLine {
                    at: SystemTime::now(),
                    stream: kind,
                    text,
                };
                if let Some(sink) = &on_line {
                    sink(&line);
                }
                into.lock().push(line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> LaunchSpec {
        LaunchSpec {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn captures_both_streams() {
        let mut p = ChildPlugin::spawn(&sh("echo out; echo err >&2; exit 3")).unwrap();
        let s = p.wait().await.unwrap();
        assert_eq!(s.code(), Some(3));
        p.drained(Duration::from_secs(10)).await;
        let out = p.output();
        let out = out.lock();
        let texts: Vec<_> = out
            .lines()
            .iter()
            .map(|l| (l.stream, l.text.as_str()))
            .collect();
        assert!(texts.contains(&(StreamKind::Stdout, "out")));
        assert!(texts.contains(&(StreamKind::Stderr, "err")));
    }

    #[tokio::test]
    async fn a_line_without_end_is_cut_once_and_the_rest_dropped() {
        // 3 MB without a newline, then a normal line.
        let mut p = ChildPlugin::spawn(&sh(
            "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo after",
        ))
        .unwrap();
        p.wait().await.unwrap();
        let out = p.output();
        let texts = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let texts: Vec<String> =
                    out.lock().lines().iter().map(|l| l.text.clone()).collect();
                if texts.last().map(String::as_str) == Some("after") {
                    return texts;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("both lines captured");
        assert_eq!(
            texts.len(),
            2,
            "one cut line, then the next: {}",
            texts.len()
        );
        assert!(texts[0].starts_with(&"x".repeat(MAX_LINE_BYTES)));
        assert!(
            texts[0].ends_with("(line cut at 16 KiB)"),
            "{}",
            &texts[0][MAX_LINE_BYTES..]
        );
    }

    #[test]
    fn the_buffer_is_bounded_in_lines_and_bytes() {
        let mut b = OutputBuffer::default();
        let line = |text: String| OutputLine {
            at: SystemTime::UNIX_EPOCH,
            stream: StreamKind::Stdout,
            text,
        };
        for i in 0..MAX_LINES + 5 {
            b.push(line(i.to_string()));
        }
        assert_eq!((b.lines().len(), b.dropped()), (MAX_LINES, 5));
        for _ in 0..1000 {
            b.push(line("y".repeat(MAX_LINE_BYTES)));
        }
        assert!(b.bytes() <= MAX_OUTPUT_BYTES, "{} bytes", b.bytes());
        let held: usize = b.lines().iter().map(|l| l.text.len()).sum();
        assert_eq!(held, b.bytes());
    }

    #[tokio::test]
    async fn stop_escalates_to_sigkill() {
        let mut p =
            ChildPlugin::spawn(&sh("trap '' TERM; while true; do sleep 0.05; done")).unwrap();
        let stop = p.stop(Duration::from_millis(200)).await;
        assert!(matches!(stop, Stop::Killed(_)), "{stop:?}");
    }

    #[tokio::test]
    async fn stop_uses_sigterm_when_enough() {
        let mut p = ChildPlugin::spawn(&sh("sleep 30")).unwrap();
        let stop = p.stop(Duration::from_millis(200)).await;
        assert!(matches!(stop, Stop::Terminated(_)), "{stop:?}");
    }

    #[tokio::test]
    async fn shared_output_and_line_sink() {
        let buffer = Arc::new(Mutex::new(OutputBuffer::default()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink: LineSink = {
            let seen = seen.clone();
            Arc::new(move |l: &OutputLine| seen.lock().push(l.text.clone()))
        };
        for word in ["one", "two"] {
            let opts = SpawnOptions {
                output: Some(buffer.clone()),
                on_line: Some(sink.clone()),
                ..Default::default()
            };
            let mut p = ChildPlugin::spawn_with(&sh(&format!("echo {word}")), opts).unwrap();
            p.wait().await.unwrap();
            p.drained(Duration::from_secs(10)).await;
        }
        let texts: Vec<_> = buffer
            .lock()
            .lines()
            .iter()
            .map(|l| l.text.clone())
            .collect();
        assert_eq!(texts, ["one", "two"]);
        assert_eq!(*seen.lock(), ["one", "two"]);
    }
}
