//! The message log: every frame in and out, and every connection event, in arrival order.
//!
//! It is the single source the UI and `check` read from. It is bounded by a byte budget: the
//! oldest entries are evicted first and counted, so memory stays flat whatever a plugin sends.

use crate::protocol::Id;
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

/// Identifies one accepted connection for the life of the host.
pub type ConnId = u64;

/// Default byte budget of the log (256 MiB).
pub const DEFAULT_LOG_BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// The frame's 4-byte length prefix, kept alive with its payload in the shared read buffer.
const FRAME_HEADER: usize = 4;

/// What the allocator really takes for a string of `len` bytes (16-byte granules plus its
/// chunk header); nothing for an empty one.
fn heap(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        len.next_multiple_of(16) + 16
    }
}

/// Which way a frame went, or `Local` for something the host itself observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
    Local,
}

/// Which leg of a proxied connection a frame crossed (issue 15). Without `--upstream` every
/// frame is on the plugin's leg.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// Between tgo-console and the plugin.
    #[default]
    Plugin,
    /// Between the real TGO host (the upstream) and tgo-console as a proxy.
    Upstream,
}

impl Party {
    /// The tag the inspector and `proxy` print: `proxy↔plugin` or `host↔proxy`.
    pub fn tag(self) -> &'static str {
        match self {
            Party::Plugin => "proxy↔plugin",
            Party::Upstream => "host↔proxy",
        }
    }

    pub fn is_plugin(&self) -> bool {
        *self == Party::Plugin
    }
}

/// What one log entry is, in JSON-RPC terms (serialised as `{"type": …}` in recordings).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntryKind {
    Request {
        id: Id,
        method: String,
    },
    Notification {
        method: String,
    },
    Result {
        id: Option<Id>,
    },
    Error {
        id: Option<Id>,
        code: i64,
        message: String,
    },
    /// A frame that is not a usable JSON-RPC message (bad UTF-8, bad JSON, wrong shape…).
    Invalid {
        reason: String,
    },
    /// Something the host saw that is not a frame: connect, register, close, frame error.
    Event {
        text: String,
    },
    /// A line a launched plugin printed (`stream` is `stdout` or `stderr`).
    Output {
        stream: String,
        text: String,
    },
}

impl EntryKind {
    /// The variant's name: `request`, `notification`, `result`, `error`, `invalid`, `event`,
    /// `output` (what the inspector's `kind:` filter matches).
    pub fn name(&self) -> &'static str {
        match self {
            EntryKind::Request { .. } => "request",
            EntryKind::Notification { .. } => "notification",
            EntryKind::Result { .. } => "result",
            EntryKind::Error { .. } => "error",
            EntryKind::Invalid { .. } => "invalid",
            EntryKind::Event { .. } => "event",
            EntryKind::Output { .. } => "output",
        }
    }

    /// Short label: the method, `result`, `error CODE`, `invalid` or `event`.
    pub fn label(&self) -> String {
        match self {
            EntryKind::Request { method, .. } | EntryKind::Notification { method } => {
                method.clone()
            }
            EntryKind::Result { .. } => "result".into(),
            EntryKind::Error { code, .. } => format!("error {code}"),
            EntryKind::Invalid { .. } => "invalid".into(),
            EntryKind::Event { .. } => "event".into(),
            EntryKind::Output { stream, .. } => stream.clone(),
        }
    }
}

/// One logged frame or event.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub seq: u64,
    pub at: SystemTime,
    pub mono: Instant,
    pub dir: Direction,
    pub conn: ConnId,
    pub plugin: Option<String>,
    /// The frame's payload exactly as it crossed the wire (empty for events).
    pub raw: Bytes,
    pub kind: EntryKind,
    /// The other half of a request/response pair, by `seq`.
    pub pair: Option<u64>,
    /// On a response: time since its request was sent.
    pub latency: Option<Duration>,
    /// The leg the frame crossed (only a proxy has two).
    pub party: Party,
    /// A proxy's copy of a frame on the other leg: the entry it forwards (the host's request
    /// for its copy sent to the plugin; the plugin's answer for the one sent to the host).
    pub via: Option<u64>,
    /// Something worth flagging: unexpected message, unknown id, lenient form used…
    pub notes: Vec<String>,
    /// True when the entry records a fault (invalid frame, error reply, unknown id, …).
    pub problem: bool,
}

impl LogEntry {
    pub fn new(
        dir: Direction,
        conn: ConnId,
        plugin: Option<String>,
        raw: Bytes,
        kind: EntryKind,
    ) -> Self {
        let problem = matches!(kind, EntryKind::Invalid { .. } | EntryKind::Error { .. });
        Self {
            seq: 0,
            at: SystemTime::now(),
            mono: Instant::now(),
            dir,
            conn,
            plugin,
            raw,
            kind,
            pair: None,
            latency: None,
            party: Party::Plugin,
            via: None,
            notes: Vec::new(),
            problem,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The same entry on the upstream leg.
    pub fn upstream(mut self) -> Self {
        self.party = Party::Upstream;
        self
    }

    pub fn flagged(mut self) -> Self {
        self.problem = true;
        self
    }

    /// Bytes charged to the log's budget: the entry itself (also its slot in the deque), its
    /// frame and every string it owns, so a flood of tiny frames cannot outgrow the budget
    /// through per-entry overhead. Depends only on fields fixed once the entry is logged,
    /// but for the notes [`MessageLog::mark_problem`] adds (it re-charges the entry).
    pub fn cost(&self) -> usize {
        let kind = match &self.kind {
            EntryKind::Request { id, method } => heap(method.len()) + id_heap(id),
            EntryKind::Result { id } => id.as_ref().map_or(0, id_heap),
            EntryKind::Error { id, message, .. } => {
                heap(message.len()) + id.as_ref().map_or(0, id_heap)
            }
            EntryKind::Notification { method } => heap(method.len()),
            EntryKind::Invalid { reason } => heap(reason.len()),
            EntryKind::Event { text } => heap(text.len()),
            EntryKind::Output { stream, text } => heap(stream.len()) + heap(text.len()),
        };
        let notes = heap(self.notes.len() * std::mem::size_of::<String>())
            + self.notes.iter().map(|n| heap(n.len())).sum::<usize>();
        let raw = if self.raw.is_empty() {
            0
        } else {
            self.raw.len() + FRAME_HEADER
        };
        std::mem::size_of::<LogEntry>()
            + raw
            + self.plugin.as_ref().map_or(0, |p| heap(p.len()))
            + kind
            + notes
    }
}

fn id_heap(id: &Id) -> usize {
    match id {
        Id::Num(_) => 0,
        Id::Str(s) => heap(s.len()),
    }
}

/// Amendments remembered for readers that catch up later (the recorder, the inspector).
const AMEND_MEMORY: usize = 4096;

/// Bounded, append-only log with eviction from the front. Entries are fixed once pushed, but
/// for one amendment: an answer found faulty after it was logged is marked a problem
/// ([`MessageLog::mark_problem`]), and readers learn which through [`MessageLog::amended_since`].
#[derive(Debug)]
pub struct MessageLog {
    entries: VecDeque<LogEntry>,
    next_seq: u64,
    bytes: usize,
    budget: usize,
    evicted: u64,
    evicted_bytes: u64,
    /// Seqs of the newest amendments, oldest first.
    amended: VecDeque<u64>,
    /// Amendments ever made: a reader's cursor into `amended`.
    amend_count: u64,
}

impl MessageLog {
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            next_seq: 1,
            bytes: 0,
            budget: budget_bytes,
            evicted: 0,
            evicted_bytes: 0,
            amended: VecDeque::new(),
            amend_count: 0,
        }
    }

    /// Appends an entry, assigns its `seq`, evicts the oldest entries over budget.
    pub fn push(&mut self, mut entry: LogEntry) -> u64 {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += entry.cost();
        self.entries.push_back(entry);
        self.evict_over_budget();
        self.next_seq - 1
    }

    fn evict_over_budget(&mut self) {
        while self.bytes > self.budget && self.entries.len() > 1 {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.cost();
                self.evicted += 1;
                self.evicted_bytes += old.cost() as u64;
            }
        }
    }

    /// Marks an entry as a problem after it was logged (an answer whose validation, done off
    /// the connection's hot path, found diagnostics), adding `note` unless it has it already.
    /// `false` when the entry was evicted.
    pub fn mark_problem(&mut self, seq: u64, note: String) -> bool {
        let Some(e) = self.get_mut(seq) else {
            return false;
        };
        let before = e.cost();
        e.problem = true;
        if !e.notes.contains(&note) {
            e.notes.push(note);
        }
        let after = e.cost();
        self.bytes = self.bytes - before + after;
        if self.amended.len() == AMEND_MEMORY {
            self.amended.pop_front();
        }
        self.amended.push_back(seq);
        self.amend_count += 1;
        self.evict_over_budget();
        true
    }

    /// The seqs amended since `cursor` (0, or what an earlier call returned), oldest first,
    /// and the cursor to pass next time. A reader further behind than the last few thousand
    /// amendments misses the oldest.
    pub fn amended_since(&self, cursor: u64) -> (Vec<u64>, u64) {
        let missed = usize::try_from(self.amend_count.saturating_sub(cursor)).unwrap_or(usize::MAX);
        let skip = self.amended.len().saturating_sub(missed);
        (
            self.amended.iter().skip(skip).copied().collect(),
            self.amend_count,
        )
    }

    /// The entry with this `seq`, if it has not been evicted.
    /// The entry (`seq`) and method of the request `id` the host sent on `conn`, newest first,
    /// while the log keeps it.
    pub fn find_request(&self, conn: ConnId, id: u64) -> Option<(u64, String)> {
        self.entries().iter().rev().find_map(|e| match &e.kind {
            EntryKind::Request { id: rid, method }
                if e.conn == conn && e.dir == Direction::Out && rid.as_u64() == Some(id) =>
            {
                Some((e.seq, method.clone()))
            }
            _ => None,
        })
    }

    pub fn get(&self, seq: u64) -> Option<&LogEntry> {
        let first = self.entries.front()?.seq;
        self.entries
            .get(usize::try_from(seq.checked_sub(first)?).ok()?)
    }

    fn get_mut(&mut self, seq: u64) -> Option<&mut LogEntry> {
        let first = self.entries.front()?.seq;
        self.entries
            .get_mut(usize::try_from(seq.checked_sub(first)?).ok()?)
    }

    /// Links a request and its response both ways.
    pub fn pair(&mut self, request_seq: u64, response_seq: u64, latency: Duration) {
        if let Some(req) = self.get_mut(request_seq) {
            req.pair = Some(response_seq);
            req.latency = Some(latency);
        }
        if let Some(resp) = self.get_mut(response_seq) {
            resp.pair = Some(request_seq);
            resp.latency = Some(latency);
        }
    }

    pub fn entries(&self) -> &VecDeque<LogEntry> {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Seq of the newest entry (0 when nothing was ever logged).
    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// Bytes charged to the budget by the entries kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// (entries, bytes) evicted so far to stay within the budget.
    pub fn evicted(&self) -> (u64, u64) {
        (self.evicted, self.evicted_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> LogEntry {
        LogEntry::new(
            Direction::In,
            1,
            None,
            Bytes::from(vec![b'x'; n]),
            EntryKind::Invalid { reason: "x".into() },
        )
    }

    #[test]
    fn stays_within_budget_and_counts_evictions() {
        let mut log = MessageLog::new(10_000);
        for _ in 0..1000 {
            log.push(frame(100));
        }
        assert!(log.bytes() <= 10_000);
        let (count, bytes) = log.evicted();
        assert_eq!(count as usize + log.len(), 1000);
        assert!(bytes > 0);
        assert_eq!(log.last_seq(), 1000);
        assert!(log.get(1).is_none());
        assert_eq!(log.get(1000).unwrap().seq, 1000);
    }

    #[test]
    fn pairs_both_ways() {
        let mut log = MessageLog::new(DEFAULT_LOG_BUDGET_BYTES);
        let a = log.push(frame(1));
        let b = log.push(frame(1));
        log.pair(a, b, Duration::from_millis(5));
        assert_eq!(log.get(a).unwrap().pair, Some(b));
        assert_eq!(log.get(b).unwrap().pair, Some(a));
        assert_eq!(log.get(b).unwrap().latency, Some(Duration::from_millis(5)));
    }

    #[test]
    fn cost_counts_the_entry_and_what_it_owns() {
        let bare = frame(0).cost();
        assert!(bare >= std::mem::size_of::<LogEntry>());
        assert_eq!(frame(100).cost(), bare + 100 + FRAME_HEADER);
        let noted = frame(0).with_note("x".repeat(40));
        assert!(noted.cost() >= bare + 40 + std::mem::size_of::<String>());
        let mut log = MessageLog::new(DEFAULT_LOG_BUDGET_BYTES);
        log.push(noted.clone());
        log.push(frame(10));
        assert_eq!(log.bytes(), noted.cost() + frame(10).cost());
    }

    #[test]
    fn marking_a_problem_recharges_the_entry_and_is_seen_by_readers() {
        let mut log = MessageLog::new(DEFAULT_LOG_BUDGET_BYTES);
        let a = log.push(frame(10));
        let (none, cursor) = log.amended_since(0);
        assert!(none.is_empty());
        let mut clean = frame(10);
        clean.problem = false;
        let c = log.push(clean);
        assert!(!log.get(c).unwrap().problem);
        assert!(log.mark_problem(c, "JSON-ACTION: 1 error".into()));
        assert!(
            log.mark_problem(c, "JSON-ACTION: 1 error".into()),
            "idempotent"
        );
        let e = log.get(c).unwrap();
        assert!(e.problem);
        assert_eq!(e.notes, ["JSON-ACTION: 1 error"]);
        let total: usize = log.entries().iter().map(LogEntry::cost).sum();
        assert_eq!(log.bytes(), total, "the note is charged");
        let (seqs, next) = log.amended_since(cursor);
        assert_eq!(seqs, [c, c]);
        assert_eq!(log.amended_since(next).0, Vec::<u64>::new());
        assert!(log.mark_problem(a, "x".into()));
        assert_eq!(log.amended_since(next).0, [a]);
        let mut small = MessageLog::new(100);
        small.push(frame(1));
        assert!(!small.mark_problem(99, "gone".into()));
    }

    #[test]
    fn one_oversized_entry_is_kept_alone() {
        let mut log = MessageLog::new(100);
        log.push(frame(1000));
        assert_eq!(log.len(), 1);
        log.push(frame(10));
        assert_eq!(log.len(), 1);
        assert_eq!(log.evicted().0, 1);
    }
}
