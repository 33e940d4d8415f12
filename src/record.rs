//! `--record FILE.jsonl`: every log entry (frames both ways, host events, plugin output) as one
//! JSON line, written as it happens and flushed after every batch so a crash loses nothing.
//! An entry marked a problem after it was written (an answer validated off the hot path) is
//! written again, whole, with the same `seq`; the later line wins.
//! `load` reads such a file back for `tgo-console replay`, reporting bad lines by number.
//!
//! Recordings and exports hold everything plugins said (tokens, customer data): they are
//! created readable by their owner only (0600), never through a symbolic link, and never over
//! an existing file unless asked (`--force`).

use crate::host::{ConnId, Direction, EntryKind, HostHandle, LogEntry, Party};
use base64::Engine;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};
use tokio::sync::oneshot;

/// One line of a recording.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    seq: u64,
    /// Milliseconds since the Unix epoch.
    t_ms: f64,
    dir: Direction,
    conn: ConnId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plugin: Option<String>,
    kind: EntryKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pair: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latency_us: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    #[serde(default)]
    problem: bool,
    /// Proxy mode's leg (`upstream`: between the real host and the proxy); absent on the
    /// plugin's leg, so recordings without a proxy read as before.
    #[serde(default, skip_serializing_if = "Party::is_plugin")]
    party: Party,
    /// The entry on the other leg this frame is the proxy's copy of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    via: Option<u64>,
    /// The payload as text when it is UTF-8, else `raw_b64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    raw_b64: Option<String>,
}

fn to_line(e: &LogEntry) -> Line {
    let (raw, raw_b64) = match std::str::from_utf8(&e.raw) {
        Ok("") => (None, None),
        Ok(s) => (Some(s.to_string()), None),
        Err(_) => (
            None,
            Some(base64::engine::general_purpose::STANDARD.encode(&e.raw)),
        ),
    };
    Line {
        seq: e.seq,
        t_ms: e
            .at
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        dir: e.dir,
        conn: e.conn,
        plugin: e.plugin.clone(),
        kind: e.kind.clone(),
        pair: e.pair,
        latency_us: e.latency.map(|l| l.as_micros() as u64),
        notes: e.notes.clone(),
        problem: e.problem,
        party: e.party,
        via: e.via,
        raw,
        raw_b64,
    }
}

/// One entry as a line of a recording (without the newline), as `proxy --format json`
/// prints it.
pub fn json_line(e: &LogEntry) -> String {
    serde_json::to_string(&to_line(e)).unwrap_or_default()
}

/// Why a line of a recording cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("{}", column_only(.0))]
    Json(#[from] serde_json::Error),
    /// A gap marker: the log evicted entries before the recorder wrote them.
    #[error("{0} entries were evicted before they were recorded")]
    Gap(serde_json::Value),
    #[error("raw_b64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("t_ms: {} is not a time (milliseconds since 1970)", shown_ms(*.0))]
    Time(f64),
}

/// serde_json counts lines within the text it read: for one line always 1, only the column
/// says where.
fn column_only(e: &serde_json::Error) -> String {
    match e.line() {
        1 => e.to_string().replace(" at line 1 column ", " at column "),
        _ => e.to_string(),
    }
}

fn shown_ms(t_ms: f64) -> String {
    if t_ms.abs() < 1e15 {
        t_ms.to_string()
    } else {
        format!("{t_ms:e}")
    }
}

fn from_line(l: Line) -> Result<LogEntry, LineError> {
    let raw = match (l.raw, l.raw_b64) {
        (Some(s), _) => Bytes::from(s),
        (None, Some(b)) => Bytes::from(base64::engine::general_purpose::STANDARD.decode(b)?),
        (None, None) => Bytes::new(),
    };
    let at = Duration::try_from_secs_f64(l.t_ms / 1000.0)
        .ok()
        .and_then(|d| UNIX_EPOCH.checked_add(d))
        .ok_or(LineError::Time(l.t_ms))?;
    let mut e = LogEntry::new(l.dir, l.conn, l.plugin, raw, l.kind);
    e.seq = l.seq;
    e.at = at;
    e.mono = Instant::now();
    e.pair = l.pair;
    e.latency = l.latency_us.map(Duration::from_micros);
    e.notes = l.notes;
    e.problem = l.problem;
    e.party = l.party;
    e.via = l.via;
    Ok(e)
}

/// Creates `path` for writing, mode 0600, refusing a symbolic link at the last component
/// (O_NOFOLLOW) and, unless `overwrite`, a file that exists (then it is truncated). The
/// errors say which it was.
pub fn create_private(path: &Path, overwrite: bool) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    if overwrite {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let is_link = || std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    opts.open(path).map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP | libc::EEXIST) if is_link() => std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is a symbolic link, which is not followed",
        ),
        Some(libc::EEXIST) => std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "it already exists (--force overwrites it)",
        ),
        _ => e,
    })
}

/// Exports `entries` (the inspector's `e`) to a new file in `dir` (created 0700 if missing)
/// whose name no one can guess ahead: `export-<Unix seconds>-<random>.jsonl`, created with
/// O_EXCL | O_NOFOLLOW, 0600. Returns the file's absolute path and how many were written.
pub fn export<'a>(
    dir: &Path,
    entries: impl Iterator<Item = &'a LogEntry>,
) -> std::io::Result<(PathBuf, usize)> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let dir = dir.canonicalize()?;
    let stamp = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (path, file) = loop {
        let path = dir.join(format!("export-{stamp}-{:016x}.jsonl", random_u64()));
        match create_private(&path, false) {
            Ok(f) => break (path, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let n = write_entries(file, entries)?;
    Ok((path, n))
}

/// A random number from the standard library's per-process random keys.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// Writes `entries` as recording lines; returns how many were written.
fn write_entries<'a>(
    file: File,
    entries: impl Iterator<Item = &'a LogEntry>,
) -> std::io::Result<usize> {
    let mut out = BufWriter::new(file);
    let mut n = 0;
    for e in entries {
        serde_json::to_writer(&mut out, &to_line(e))?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

/// A recording in progress; `finish` writes what is left and closes the file.
pub struct Recorder {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<u64>>,
}

impl Recorder {
    /// Starts writing the host's log to a new file at `path` (see [`create_private`]).
    pub fn start(host: HostHandle, path: &Path) -> std::io::Result<Self> {
        Ok(Self::start_file(host, create_private(path, false)?))
    }

    /// Starts writing the host's log to `file`.
    pub fn start_file(host: HostHandle, file: File) -> Self {
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut out = BufWriter::new(file);
            let mut updates = host.log_updates();
            let mut last = 0u64;
            let mut amend_cursor = 0u64;
            let mut written = 0u64;
            loop {
                let finishing = tokio::select! {
                    _ = &mut stopped => true,
                    changed = updates.changed() => changed.is_err(),
                };
                // Copy out under the lock (frames are shared, not copied); serialise and
                // write on a blocking thread, without the lock: a big frame or a slow disk
                // holds neither the connections logging frames nor an async worker.
                let (gap, entries): (Option<u64>, Vec<LogEntry>) = {
                    let log = host.log();
                    let first = log.entries().front().map_or(last + 1, |e| e.seq);
                    let gap = (first > last + 1 && last > 0).then(|| first - last - 1);
                    // Entries already written and marked since: written again, amended.
                    let (amended, cursor) = log.amended_since(amend_cursor);
                    amend_cursor = cursor;
                    let mut again: Vec<u64> = amended.into_iter().filter(|s| *s <= last).collect();
                    again.sort_unstable();
                    again.dedup();
                    let mut entries: Vec<LogEntry> = again
                        .into_iter()
                        .filter_map(|s| log.get(s).cloned())
                        .collect();
                    let since = last;
                    for e in log.entries().iter().filter(|e| e.seq > since) {
                        entries.push(e.clone());
                        last = e.seq;
                    }
                    (gap, entries)
                };
                let count = entries.len() + usize::from(gap.is_some());
                let (back, done) = tokio::task::spawn_blocking(move || {
                    let done = (|| {
                        if let Some(gap) = gap {
                            writeln!(
                                out,
                                "{{\"gap\":{gap},\"note\":\"entries evicted before they were recorded\"}}"
                            )?;
                        }
                        for e in &entries {
                            serde_json::to_writer(&mut out, &to_line(e))?;
                            out.write_all(b"\n")?;
                        }
                        out.flush()
                    })();
                    (out, done)
                })
                .await
                .map_err(std::io::Error::other)?;
                out = back;
                done?;
                let lines = count;
                written += lines as u64;
                if finishing {
                    return Ok(written);
                }
            }
        });
        Self { stop, task }
    }

    /// Writes the last entries and closes the file; returns how many lines were written.
    pub async fn finish(self) -> std::io::Result<u64> {
        let _ = self.stop.send(());
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// A recording read back: entries in order, and the lines that could not be read.
pub struct Loaded {
    pub entries: Vec<LogEntry>,
    /// `FILE: line N: why`, for each line that could not be read.
    pub errors: Vec<String>,
    /// The same, as (line number, why, how many entries came before it).
    pub bad: Vec<BadLine>,
}

/// A line of a recording that could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct BadLine {
    /// 1-based.
    pub line: usize,
    pub why: String,
    /// Entries read before it (where it sits among them).
    pub after: usize,
}

impl Loaded {
    /// The entries with each bad line in its place as an `invalid` entry, "line N of the
    /// recording: why", so the inspector lists them among the frames (and `errors` finds them).
    pub fn entries_with_bad_lines(&self) -> Vec<LogEntry> {
        let mut out = Vec::with_capacity(self.entries.len() + self.bad.len());
        let mut bad = self.bad.iter().peekable();
        for (i, e) in self.entries.iter().enumerate() {
            while let Some(b) = bad.next_if(|b| b.after == i) {
                // Dated as its neighbour: the entry before it, else the one after.
                out.push(bad_entry(b, out.last().unwrap_or(e).at));
            }
            out.push(e.clone());
        }
        for b in bad {
            out.push(bad_entry(b, out.last().map_or(UNIX_EPOCH, |e| e.at)));
        }
        out
    }
}

fn bad_entry(b: &BadLine, at: std::time::SystemTime) -> LogEntry {
    let mut e = LogEntry::new(
        Direction::Local,
        0,
        None,
        Bytes::new(),
        EntryKind::Invalid {
            reason: format!("line {} of the recording: {}", b.line, b.why),
        },
    );
    // Not a recorded seq: none pairs with it.
    e.seq = u64::MAX - b.line as u64;
    e.at = at;
    e
}

/// Reads a recording. A truncated or corrupt line is reported with its number; the rest loads.
/// A line repeating an earlier `seq` (an amended entry) replaces it.
pub fn load(path: &Path) -> std::io::Result<Loaded> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut entries: Vec<LogEntry> = Vec::new();
    let mut at: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in file.split(b'\n').enumerate() {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = serde_json::from_slice::<serde_json::Value>(&line)
            .map_err(LineError::from)
            .and_then(|mut v| match v.get_mut("gap") {
                Some(gap) => Err(LineError::Gap(gap.take())),
                None => Ok(serde_json::from_value::<Line>(v)?),
            })
            .and_then(from_line);
        match parsed {
            Ok(e) => match at.get(&e.seq) {
                Some(&i) => entries[i] = e,
                None => {
                    at.insert(e.seq, entries.len());
                    entries.push(e);
                }
            },
            Err(why) => {
                let why = why.to_string();
                errors.push(format!("{}: line {}: {why}", path.display(), i + 1));
                bad.push(BadLine {
                    line: i + 1,
                    why,
                    after: entries.len(),
                });
            }
        }
    }
    Ok(Loaded {
        entries,
        errors,
        bad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let event = r#""dir":"local","conn":0,"kind":{"type":"event","text":"x"}"#;
        let lines = [
            "{\"seq\": 1,".to_string(),
            r#"{"gap": 12, "note": "entries evicted before they were recorded"}"#.into(),
            format!(r#"{{"seq":2,"t_ms":1,{event},"raw_b64":"%%"}}"#),
            format!(r#"{{"seq":3,"t_ms":-5,{event}}}"#),
            r#"{"seq":4}"#.into(),
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let loaded = load(&path).unwrap();
        let why: Vec<&str> = loaded.bad.iter().map(|b| b.why.as_str()).collect();
        assert_eq!(
            why,
            [
                "EOF while parsing a value at column 10",
                "12 entries were evicted before they were recorded",
                "raw_b64: Invalid symbol 37, offset 0.",
                "t_ms: -5 is not a time (milliseconds since 1970)",
                "missing field `t_ms`",
            ]
        );
        assert!(loaded.entries.is_empty());
    }
}
