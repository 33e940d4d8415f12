//! The inspector's filter: a few `key:value` tokens plus free text, typed after `/`.

use crate::host::{Direction, EntryKind, LogEntry, MessageLog, Party};
use std::time::Duration;

/// `latency:>200ms`: an answer's latency compared with a bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    Above(Duration),
    Below(Duration),
}

impl Latency {
    /// `>200ms`, `>=1s`, `<0.5s`, `>150` (milliseconds when no unit is given).
    fn parse(s: &str) -> Option<Latency> {
        let (above, rest) = if let Some(r) = s.strip_prefix(">=").or(s.strip_prefix('>')) {
            (true, r)
        } else if let Some(r) = s.strip_prefix("<=").or(s.strip_prefix('<')) {
            (false, r)
        } else {
            return None;
        };
        let (number, scale) = if let Some(n) = rest.strip_suffix("ms") {
            (n, 1e-3)
        } else if let Some(n) = rest.strip_suffix('s') {
            (n, 1.0)
        } else {
            (rest, 1e-3)
        };
        let secs = number
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)?
            * scale;
        let bound = Duration::try_from_secs_f64(secs).ok()?;
        Some(if above {
            Latency::Above(bound)
        } else {
            Latency::Below(bound)
        })
    }

    fn admits(self, latency: Duration) -> bool {
        match self {
            Latency::Above(b) => latency > b,
            Latency::Below(b) => latency < b,
        }
    }
}

/// Which log entries the inspector shows. Built by [`Filter::parse`]; all parts must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Free-text words (space separated); every word must occur, case-insensitively, in the
    /// label, plugin id, notes, error/event text or raw payload.
    pub text: String,
    /// Exact plugin id.
    pub plugin: Option<String>,
    /// Substring of the method of a request or notification, or of the request an answer
    /// answers (case-insensitive).
    pub method: Option<String>,
    /// Only answers (results and errors) whose latency passes (`latency:>200ms`).
    pub latency: Option<Latency>,
    pub dir: Option<Direction>,
    /// Proxy mode: only one leg (`party:host` or `party:plugin`).
    pub party: Option<Party>,
    /// Only problem entries, error replies and invalid frames.
    pub errors_only: bool,
    /// Only entries of this kind (`request`, `result`, `output`…, see [`EntryKind::name`]).
    pub kind: Option<String>,
}

fn parse_dir(s: &str) -> Option<Direction> {
    match s.to_ascii_lowercase().as_str() {
        "in" | "<" => Some(Direction::In),
        "out" | ">" => Some(Direction::Out),
        "local" => Some(Direction::Local),
        _ => None,
    }
}

fn parse_party(s: &str) -> Option<Party> {
    match s {
        "host" | "upstream" => Some(Party::Upstream),
        "plugin" => Some(Party::Plugin),
        _ => None,
    }
}

impl Filter {
    /// Parses `plugin:ID method:NAME kind:K dir:in|out|local (or > <) latency:>200ms
    /// errors|is:error words…`.
    /// A token that is not a well-formed `key:value` is taken as free text.
    pub fn parse(input: &str) -> Filter {
        let mut f = Filter::default();
        let mut words = Vec::new();
        for tok in input.split_whitespace() {
            let lower = tok.to_ascii_lowercase();
            if let Some(v) = tok.strip_prefix("plugin:").filter(|v| !v.is_empty()) {
                f.plugin = Some(v.to_string());
            } else if let Some(v) = tok.strip_prefix("method:").filter(|v| !v.is_empty()) {
                f.method = Some(v.to_string());
            } else if let Some(d) = lower.strip_prefix("dir:").and_then(parse_dir) {
                f.dir = Some(d);
            } else if let Some(p) = lower.strip_prefix("party:").and_then(parse_party) {
                f.party = Some(p);
            } else if let Some(l) = lower.strip_prefix("latency:").and_then(Latency::parse) {
                f.latency = Some(l);
            } else if let Some(v) = lower.strip_prefix("kind:").filter(|v| !v.is_empty()) {
                f.kind = Some(v.to_string());
            } else if tok == ">" || tok == "<" {
                f.dir = parse_dir(tok);
            } else if matches!(lower.as_str(), "errors" | "is:error" | "is:errors") {
                f.errors_only = true;
            } else {
                words.push(tok);
            }
        }
        f.text = words.join(" ");
        f
    }

    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Whether `e` of `log` passes. Compiles the filter each call; the inspector compiles
    /// once per rebuild instead.
    pub fn matches(&self, e: &LogEntry, log: &MessageLog) -> bool {
        Matcher::new(self).matches(e, log)
    }
}

/// A filter with its needles lower-cased once, so indexing a million entries allocates
/// nothing per entry in the common (ASCII) case.
#[derive(Clone, Debug, Default)]
pub(crate) struct Matcher {
    filter: Filter,
    words: Vec<String>,
    method: Option<String>,
}

impl Matcher {
    pub(crate) fn new(filter: &Filter) -> Self {
        Self {
            filter: filter.clone(),
            words: filter
                .text
                .split_whitespace()
                .map(str::to_lowercase)
                .collect(),
            method: filter.method.as_deref().map(str::to_lowercase),
        }
    }

    /// Whether `e` passes; `log` holds the request an answer answers (for `method:`).
    pub(crate) fn matches(&self, e: &LogEntry, log: &MessageLog) -> bool {
        let f = &self.filter;
        // Answers only: a request learns its latency after it was indexed.
        let answer = matches!(e.kind, EntryKind::Result { .. } | EntryKind::Error { .. });
        if let Some(l) = f.latency
            && !(answer && e.latency.is_some_and(|d| l.admits(d)))
        {
            return false;
        }
        if f.dir.is_some_and(|d| d != e.dir) {
            return false;
        }
        // Events belong to no leg: a party filter keeps frames only.
        if f.party
            .is_some_and(|p| p != e.party || e.dir == Direction::Local)
        {
            return false;
        }
        if f.errors_only && !is_error(e) {
            return false;
        }
        if let Some(p) = &f.plugin
            && e.plugin.as_deref() != Some(p.as_str())
        {
            return false;
        }
        if let Some(k) = &f.kind
            && !e.kind.name().starts_with(k.as_str())
        {
            return false;
        }
        if let Some(m) = &self.method {
            match &e.kind {
                EntryKind::Request { method, .. } | EntryKind::Notification { method } => {
                    if !contains_ci(method, m) {
                        return false;
                    }
                }
                EntryKind::Result { .. } | EntryKind::Error { .. } => {
                    let asked = e.pair.and_then(|seq| log.get(seq)).map(|r| &r.kind);
                    match asked {
                        Some(EntryKind::Request { method, .. }) if contains_ci(method, m) => {}
                        _ => return false,
                    }
                }
                _ => return false,
            }
        }
        self.words.iter().all(|w| word_matches(e, w))
    }
}

/// Error replies, invalid frames and anything the host flagged.
pub(crate) fn is_error(e: &LogEntry) -> bool {
    e.problem || matches!(e.kind, EntryKind::Error { .. } | EntryKind::Invalid { .. })
}

fn word_matches(e: &LogEntry, w: &str) -> bool {
    let in_kind = match &e.kind {
        EntryKind::Request { method, .. } | EntryKind::Notification { method } => {
            contains_ci(method, w)
        }
        EntryKind::Result { .. } => contains_ci("result", w),
        EntryKind::Error { code, message, .. } => {
            contains_ci(&format!("error {code}"), w) || contains_ci(message, w)
        }
        EntryKind::Invalid { reason } => contains_ci("invalid", w) || contains_ci(reason, w),
        EntryKind::Event { text } => contains_ci(text, w),
        EntryKind::Output { stream, text } => contains_ci(stream, w) || contains_ci(text, w),
    };
    in_kind
        || e.plugin.as_deref().is_some_and(|p| contains_ci(p, w))
        || e.notes.iter().any(|n| contains_ci(n, w))
        || bytes_contain_ci(&e.raw, w)
}

/// Case-insensitive substring test; `needle` is already lower-case.
fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        bytes_contain_ci(hay.as_bytes(), needle)
    } else {
        hay.to_lowercase().contains(needle)
    }
}

fn bytes_contain_ci(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    if n.is_empty() {
        return true;
    }
    if !needle.is_ascii() {
        return String::from_utf8_lossy(hay).to_lowercase().contains(needle);
    }
    let first = n[0];
    hay.len() >= n.len()
        && (0..=hay.len() - n.len()).any(|i| {
            hay[i].to_ascii_lowercase() == first && hay[i..i + n.len()].eq_ignore_ascii_case(n)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Id;
    use bytes::Bytes;

    fn entry(dir: Direction, plugin: Option<&str>, raw: &str, kind: EntryKind) -> LogEntry {
        LogEntry::new(
            dir,
            1,
            plugin.map(String::from),
            Bytes::from(raw.to_string()),
            kind,
        )
    }

    #[test]
    fn parses_every_token_kind() {
        let f = Filter::parse("  plugin:demo method:render dir:OUT errors Hello   world ");
        assert_eq!(
            f,
            Filter {
                text: "Hello world".into(),
                plugin: Some("demo".into()),
                method: Some("render".into()),
                dir: Some(Direction::Out),
                errors_only: true,
                kind: None,
                latency: None,
                party: None,
            }
        );
        assert_eq!(Filter::parse("party:HOST").party, Some(Party::Upstream));
        assert_eq!(Filter::parse("party:plugin").party, Some(Party::Plugin));
        assert_eq!(Filter::parse("KIND:Output").kind.as_deref(), Some("output"));
        assert_eq!(Filter::parse("<").dir, Some(Direction::In));
        assert_eq!(Filter::parse("dir:>").dir, Some(Direction::Out));
        assert_eq!(Filter::parse("dir:local").dir, Some(Direction::Local));
        assert!(Filter::parse("is:error").errors_only);
        assert!(Filter::parse("   ").is_empty());
        // Malformed key:value tokens are free text, so they visibly match nothing.
        assert_eq!(
            Filter::parse("dir:sideways plugin:").text,
            "dir:sideways plugin:"
        );
    }

    #[test]
    fn matches_fields_and_free_text() {
        let req = entry(
            Direction::Out,
            Some("demo"),
            r#"{"jsonrpc":"2.0","id":1,"method":"visitor_panel/render","params":{"Name":"Zhang"}}"#,
            EntryKind::Request {
                id: Id::Num(1),
                method: "visitor_panel/render".into(),
            },
        );
        let err = entry(
            Direction::In,
            Some("demo"),
            "{}",
            EntryKind::Error {
                id: Some(Id::Num(1)),
                code: -32601,
                message: "Method not found".into(),
            },
        );
        let ev = entry(
            Direction::Local,
            None,
            "",
            EntryKind::Event {
                text: "connection 3 closed".into(),
            },
        )
        .with_note("EOF");
        let out = entry(
            Direction::Local,
            Some("demo"),
            "",
            EntryKind::Output {
                stream: "stderr".into(),
                text: "Traceback (most recent call last)".into(),
            },
        );
        let log = MessageLog::new(1 << 20);
        let m = |s: &str, e: &LogEntry| Filter::parse(s).matches(e, &log);
        assert!(m("", &req) && m("", &err) && m("", &ev));
        assert!(m("kind:output traceback", &out) && m("kind:out stderr", &out));
        assert!(!m("kind:output", &req) && !m("kind:request", &out));
        assert!(m("plugin:demo method:PANEL >", &req));
        assert!(!m("plugin:dem", &req));
        assert!(!m("method:render", &err));
        assert!(m("zhang", &req), "payload text, case-insensitive");
        assert!(m("zhang render", &req) && !m("zhang nope", &req));
        assert!(m("errors", &err) && !m("errors", &req));
        assert!(m("-32601", &err) && m("not found", &err));
        assert!(m("closed dir:local", &ev) && m("eof", &ev) && !m("<", &ev));
        assert!(!m("plugin:demo", &ev));
        assert!(m("errors", &req.clone().flagged()));
    }

    #[test]
    fn latency_bounds_read_with_or_without_a_unit() {
        let l = |s: &str| Filter::parse(s).latency;
        let ms = Duration::from_millis;
        assert_eq!(l("latency:>200ms"), Some(Latency::Above(ms(200))));
        assert_eq!(l("latency:>=1s"), Some(Latency::Above(ms(1000))));
        assert_eq!(l("latency:<0.5s"), Some(Latency::Below(ms(500))));
        assert_eq!(l("LATENCY:>150"), Some(Latency::Above(ms(150))));
        // Not a bound: kept as free text, so it visibly matches nothing.
        for bad in [
            "latency:200ms",
            "latency:>fast",
            "latency:>-1s",
            "latency:>inf",
        ] {
            let f = Filter::parse(bad);
            assert_eq!((f.latency, f.text.as_str()), (None, bad));
        }
    }

    /// `method:X latency:>200ms` finds the slow answers to X: the answer is matched by the
    /// method of the request it answers, and only answers carry a latency.
    #[test]
    fn method_and_latency_find_slow_answers() {
        let mut log = MessageLog::new(1 << 20);
        let mut exchange = |method: &str, ms: u64| {
            let req = log.push(entry(
                Direction::Out,
                Some("demo"),
                "{}",
                EntryKind::Request {
                    id: Id::Num(ms as i64),
                    method: method.into(),
                },
            ));
            let resp = log.push(entry(
                Direction::In,
                Some("demo"),
                "{}",
                EntryKind::Result {
                    id: Some(Id::Num(ms as i64)),
                },
            ));
            log.pair(req, resp, Duration::from_millis(ms));
            (req, resp)
        };
        let slow = exchange("visitor_panel/render", 350);
        let fast = exchange("visitor_panel/render", 20);
        let other = exchange("chat_toolbar/render", 900);
        let shown = |q: &str| -> Vec<u64> {
            let f = Filter::parse(q);
            log.entries()
                .iter()
                .filter(|e| f.matches(e, &log))
                .map(|e| e.seq)
                .collect()
        };
        assert_eq!(
            shown("method:visitor_panel/render latency:>200ms"),
            vec![slow.1]
        );
        assert_eq!(
            shown("method:visitor_panel/render"),
            vec![slow.0, slow.1, fast.0, fast.1]
        );
        assert_eq!(shown("latency:<100ms"), vec![fast.1]);
        assert_eq!(shown("latency:>200ms"), vec![slow.1, other.1]);
    }
}
