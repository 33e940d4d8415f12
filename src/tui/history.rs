//! The request history: every request the console sends a plugin, kept across runs in
//! `$XDG_STATE_HOME/tgo-console/history.jsonl` (one JSON object a line, newest last, 0600),
//! searchable from the palette and opened again in the composer. The file is written by a
//! thread of its own, never on the UI loop; it is trimmed back to the newest
//! [`HISTORY_KEPT`] once it has grown a tenth past that.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Requests kept.
pub const HISTORY_KEPT: usize = 1_000;
/// Params longer than this (as JSON) are not kept: the entry says they were cut.
pub const HISTORY_PARAMS_BYTES: usize = 64 * 1024;

/// One request sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When, in Unix milliseconds.
    pub at: u64,
    pub plugin: String,
    pub method: String,
    #[serde(default)]
    pub params: Value,
    /// The params were too long to keep.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}

impl HistoryEntry {
    /// An entry for a request sent now (params over [`HISTORY_PARAMS_BYTES`] are dropped).
    pub fn now(plugin: &str, method: &str, params: &Value) -> Self {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let long = serde_json::to_string(params).map_or(true, |s| s.len() > HISTORY_PARAMS_BYTES);
        Self {
            at,
            plugin: plugin.to_string(),
            method: method.to_string(),
            params: if long { Value::Null } else { params.clone() },
            cut: long,
        }
    }
}

/// Adds `entry` to the in-memory history, dropping the oldest beyond [`HISTORY_KEPT`].
pub fn remember(list: &mut VecDeque<HistoryEntry>, entry: HistoryEntry) {
    list.push_back(entry);
    while list.len() > HISTORY_KEPT {
        list.pop_front();
    }
}

/// The newest [`HISTORY_KEPT`] entries of the file (none when there is no file). Lines that
/// cannot be read are skipped and counted.
pub fn load(path: &Path) -> Result<(VecDeque<HistoryEntry>, usize), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut list = VecDeque::new();
    let mut bad = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str(line) {
            Ok(e) => remember(&mut list, e),
            Err(_) => bad += 1,
        }
    }
    Ok((list, bad))
}

/// Appends entries to the history file from a thread of its own.
pub struct Writer {
    tx: std::sync::mpsc::Sender<HistoryEntry>,
}

impl Writer {
    /// Starts the writer of `path`; `failed` is told (once) when the file cannot be written.
    pub fn start(path: PathBuf, failed: impl FnOnce(String) + Send + 'static) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<HistoryEntry>();
        std::thread::Builder::new()
            .name("tgo-history".into())
            .spawn(move || {
                let mut file = HistoryFile::new(path);
                let mut failed = Some(failed);
                while let Ok(entry) = rx.recv() {
                    if let Err(e) = file.append(&entry)
                        && let Some(f) = failed.take()
                    {
                        f(format!(
                            "request history not kept in {}: {e}",
                            file.path.display()
                        ));
                    }
                }
            })
            .expect("a thread for the history file");
        Self { tx }
    }

    pub fn append(&self, entry: HistoryEntry) {
        let _ = self.tx.send(entry);
    }
}

/// The history file and how many lines it holds.
pub struct HistoryFile {
    pub path: PathBuf,
    /// Lines in the file (`None` until counted).
    lines: Option<usize>,
}

impl HistoryFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path, lines: None }
    }

    /// Appends one entry (the file made 0600, its directory 0700, when they are new);
    /// trims the file to the newest [`HISTORY_KEPT`] once it holds a tenth more.
    pub fn append(&mut self, entry: &HistoryEntry) -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if let Some(dir) = self.path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let lines = match self.lines {
            Some(n) => n,
            None => match std::fs::read_to_string(&self.path) {
                Ok(t) => t.lines().count(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
                Err(e) => return Err(e),
            },
        };
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.path)?;
        f.write_all(&line)?;
        self.lines = Some(lines + 1);
        if lines + 1 > HISTORY_KEPT + HISTORY_KEPT / 10 {
            self.trim()?;
        }
        Ok(())
    }

    /// Rewrites the file with its newest [`HISTORY_KEPT`] lines (through a temporary file
    /// renamed over it, so a crash never leaves half a history).
    fn trim(&mut self) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let text = std::fs::read_to_string(&self.path)?;
        let all: Vec<&str> = text.lines().collect();
        let kept = &all[all.len().saturating_sub(HISTORY_KEPT)..];
        let tmp = self
            .path
            .with_extension(format!("tmp.{}", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        for l in kept {
            f.write_all(l.as_bytes())?;
            f.write_all(b"\n")?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        self.lines = Some(kept.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_file_is_private_bounded_and_read_back_newest_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/tgo-console/history.jsonl");
        let mut file = HistoryFile::new(path.clone());
        let total = HISTORY_KEPT + HISTORY_KEPT / 2;
        for n in 0..total {
            let mut e = HistoryEntry::now("p", "ping", &json!({"n": n}));
            e.at = n as u64;
            file.append(&e).unwrap();
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "readable by its owner only");
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(
            lines <= HISTORY_KEPT + HISTORY_KEPT / 10,
            "{lines} lines: the file is trimmed"
        );
        let (list, bad) = load(&path).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(list.len(), HISTORY_KEPT);
        assert_eq!(list.back().unwrap().params, json!({"n": total - 1}));
        assert_eq!(
            list.front().unwrap().params,
            json!({"n": total - HISTORY_KEPT})
        );
        // A new run starts counting from what the file holds.
        let mut again = HistoryFile::new(path.clone());
        again
            .append(&HistoryEntry::now("p", "last", &json!({})))
            .unwrap();
        assert_eq!(load(&path).unwrap().0.back().unwrap().method, "last");
    }

    #[test]
    fn long_params_are_not_kept_and_bad_lines_are_skipped() {
        let big = json!({"text": "x".repeat(HISTORY_PARAMS_BYTES)});
        let e = HistoryEntry::now("p", "m", &big);
        assert!(e.cut && e.params.is_null());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        std::fs::write(
            &path,
            "{\"at\":1,\"plugin\":\"p\",\"method\":\"a\",\"params\":{}}\nnot json\n",
        )
        .unwrap();
        let (list, bad) = load(&path).unwrap();
        assert_eq!((list.len(), bad), (1, 1));
    }

    #[test]
    fn a_symbolic_link_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        let path = dir.path().join("history.jsonl");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let mut file = HistoryFile::new(path);
        assert!(
            file.append(&HistoryEntry::now("p", "m", &json!({})))
                .is_err()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    }
}
