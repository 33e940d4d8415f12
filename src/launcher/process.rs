//! One child plugin process: spawn, capture stdout/stderr lines, stop gracefully.

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// Longest line kept whole; longer output is split into pieces of this size.
const MAX_LINE_BYTES: u64 = 64 * 1024;
/// Lines kept per plugin; older ones are dropped and counted.
const MAX_LINES: usize = 10_000;

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
}

/// One line a plugin printed (raw: sanitise before showing).
#[derive(Clone, Debug)]
pub struct OutputLine {
    pub at: SystemTime,
    pub stream: StreamKind,
    pub text: String,
}

/// The bounded output of one plugin.
#[derive(Debug, Default)]
pub struct OutputBuffer {
    lines: VecDeque<OutputLine>,
    dropped: u64,
}

impl OutputBuffer {
    fn push(&mut self, line: OutputLine) {
        if self.lines.len() == MAX_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
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

/// A running (or finished) plugin process.
pub struct ChildPlugin {
    child: Child,
    pgid: Option<i32>,
    output: Arc<Mutex<OutputBuffer>>,
    status: Option<ExitStatus>,
}

impl ChildPlugin {
    /// Starts the process in its own process group, stdin closed, output captured.
    pub fn spawn(spec: &LaunchSpec) -> std::io::Result<Self> {
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
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        let pgid = child.id().and_then(|p| i32::try_from(p).ok());
        let output = Arc::new(Mutex::new(OutputBuffer::default()));
        if let Some(out) = child.stdout.take() {
            tokio::spawn(capture(out, StreamKind::Stdout, output.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(capture(err, StreamKind::Stderr, output.clone()));
        }
        Ok(Self {
            child,
            pgid,
            output,
            status: None,
        })
    }

    pub fn pid(&self) -> Option<i32> {
        self.pgid
    }

    pub fn output(&self) -> Arc<Mutex<OutputBuffer>> {
        self.output.clone()
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
    pub async fn stop(&mut self, grace: Duration) -> Stop {
        if let Some(s) = self.wait_for(grace).await {
            self.signal_group(libc::SIGKILL); // reap any grandchildren it left behind
            return Stop::Exited(s);
        }
        self.signal_group(libc::SIGTERM);
        if let Some(s) = self.wait_for(grace).await {
            self.signal_group(libc::SIGKILL);
            return Stop::Terminated(s);
        }
        self.signal_group(libc::SIGKILL);
        let s = self
            .wait()
            .await
            .unwrap_or_else(|_| std::os::unix::process::ExitStatusExt::from_raw(9));
        Stop::Killed(s)
    }
}

impl Drop for ChildPlugin {
    fn drop(&mut self) {
        // No orphans: whatever happened, the whole group goes with us.
        self.signal_group(libc::SIGKILL);
    }
}

async fn capture<R: AsyncRead + Unpin>(
    stream: R,
    kind: StreamKind,
    into: Arc<Mutex<OutputBuffer>>,
) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut buf)
            .await
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                tracing::debug!(stream = ?kind, "plugin: {text}");
                into.lock().push(OutputLine {
                    at: SystemTime::now(),
                    stream: kind,
                    text,
                });
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
        tokio::time::sleep(Duration::from_millis(50)).await;
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
}
