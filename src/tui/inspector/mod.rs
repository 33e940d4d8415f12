//! The message inspector: a filterable list of every logged frame and event, and a detail pane
//! with the selected message's pretty JSON.
//!
//! The log can hold a million entries, so nothing done per draw or per key depends on its size:
//! the state keeps an index of matching seqs that [`InspectorState::sync`] extends
//! incrementally, positions are found by binary search, and only visible rows are formatted.
//! Only a filter change rescans the log (once).

mod filter;
mod json;
mod view;

#[cfg(test)]
mod tests;

pub use filter::Filter;

pub use json::{json_lines, pretty_text};
pub use view::{render_detail, render_list};

use crate::host::{Direction, EntryKind, LogEntry, MessageLog};
use crate::tui::action::{Action, KeyInput};
use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
use filter::Matcher;
use json::Doc;
use ratatui::style::{Modifier, Style};
use ratatui_textarea::TextArea;
use std::cell::Cell;
use std::collections::VecDeque;

/// Detail lines kept for one message; longer payloads end in "… N more lines".
const MAX_DETAIL_LINES: usize = 20_000;
/// Rows the mouse wheel moves the selection.
const WHEEL_ROWS: isize = 3;
/// Rows of the list area taken by the border and header, before the first entry row.
pub(crate) const LIST_TOP_ROWS: u16 = 2;

/// What a key in the inspector asks of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InspectorOutcome {
    /// Not an inspector key: the app may use it.
    Ignored,
    Handled,
    /// Put this text (the selected message, pretty JSON) on the clipboard.
    Copy(String),
    /// Send the outgoing request with this seq again, unchanged.
    Resend(u64),
    /// Open the composer preset with the outgoing request with this seq.
    EditResend(u64),
    /// Copy the outgoing request with this seq as a `tgo-console call` command.
    CopyAsCall(u64),
    /// Write these entries (the shown ones: filtered, or all) to a file.
    Export(Vec<u64>),
    /// Show this text (the selected message, pretty JSON) in the user's pager.
    Page(String),
    /// Draw the render or event answer with this seq as it was then.
    TimeTravel(u64),
    /// Compare two renders: `old` (the marked one, or none: the one before `new`) and `new`.
    Diff {
        old: Option<u64>,
        new: u64,
    },
}

/// Largest answer validated when it is selected: validating is linear in its size, and a
/// selection must not stall the UI loop (the render pane has a bigger answer's diagnostics).
const MAX_VALIDATED_BYTES: usize = 1 << 20;

/// What validation says about the selected answer (see `check::validate`).
#[derive(Debug)]
pub(crate) enum Checked {
    /// The answer to `method`, read as `what` (JSON-UI, JSON-ACTION, config).
    Done {
        what: &'static str,
        method: String,
        diagnostics: Vec<crate::jsonui::Diagnostic>,
    },
    /// Too big to validate on selection.
    TooBig { method: String, bytes: usize },
}

/// Validates `e` when it is an answer to a request whose answer has a shape (a render, an
/// event, a config): found through its pair, so only the selected message pays for it.
fn check_answer(e: &LogEntry, log: &MessageLog) -> Option<Checked> {
    use crate::check::validate;
    if e.dir != Direction::In || !matches!(e.kind, EntryKind::Result { .. }) {
        return None;
    }
    let request = log.get(e.pair?)?;
    let EntryKind::Request { method, .. } = &request.kind else {
        return None;
    };
    validate::answer_kind(method)?;
    if e.raw.len() > MAX_VALIDATED_BYTES {
        return Some(Checked::TooBig {
            method: method.clone(),
            bytes: e.raw.len(),
        });
    }
    let frame: serde_json::Value = serde_json::from_slice(&e.raw).ok()?;
    let checked = validate::validate(method, frame.get("result")?)?;
    Some(Checked::Done {
        what: checked.what(),
        method: method.clone(),
        diagnostics: checked.diagnostics().to_vec(),
    })
}

/// The body of the selected message, built once per selection instead of once per draw.
#[derive(Debug)]
struct DetailCache {
    seq: u64,
    /// Built as the frame view (hex) rather than JSON.
    hex: bool,
    doc: Doc,
    checked: Option<Checked>,
}

/// Everything the inspector remembers between draws.
pub struct InspectorState {
    filter: Filter,
    matcher: Matcher,
    /// The filter as the user typed it, shown in the header and reopened by `/`.
    filter_src: String,
    /// Seqs of matching entries, ascending. A deque because eviction drops from the front.
    index: VecDeque<u64>,
    /// Highest seq already examined for the index.
    indexed_upto: u64,
    /// Entries kept by the log at the last sync.
    total: usize,
    evicted: u64,
    /// Always a member of `index` (or `None`).
    selected: Option<u64>,
    /// Index position of the top list row. A `Cell` so drawing (which only borrows the state)
    /// can keep the selection in view the way a `ListState` would.
    offset: Cell<usize>,
    follow: bool,
    detail_scroll: usize,
    detail: Option<DetailCache>,
    /// `Some` while the filter input is open and has the keyboard.
    input: Option<TextArea<'static>>,
    /// A one-shot message for the header ("not an outgoing request", …); cleared by the next key.
    notice: Option<String>,
    /// Where the log's amendments (answers marked problems after they were logged) were
    /// last read up to.
    amend_cursor: u64,
    /// Width of the detail pane at the last draw, to count its wrapped lines when scrolling.
    detail_width: Cell<u16>,
    /// Proxy mode: rows show which leg each frame crossed (`host↔proxy`, `proxy↔plugin`).
    pub parties: bool,
    /// The detail shows the frame's bytes in hex (`x`).
    hex: bool,
    /// The render answer marked (`m`) to compare with another (`=`).
    marked: Option<u64>,
}

impl Default for InspectorState {
    fn default() -> Self {
        Self::new()
    }
}

impl InspectorState {
    /// An empty inspector that follows the newest entry.
    pub fn new() -> Self {
        Self {
            filter: Filter::default(),
            matcher: Matcher::default(),
            filter_src: String::new(),
            index: VecDeque::new(),
            indexed_upto: 0,
            total: 0,
            evicted: 0,
            selected: None,
            offset: Cell::new(0),
            follow: true,
            detail_scroll: 0,
            detail: None,
            input: None,
            notice: None,
            amend_cursor: 0,
            detail_width: Cell::new(80),
            parties: false,
            hex: false,
            marked: None,
        }
    }

    /// Catches up with the log: indexes entries newer than the last sync that match the filter,
    /// drops evicted seqs, moves the selection to the newest entry when following, and rebuilds
    /// the detail cache if the selection changed. Costs O(new + evicted entries).
    pub fn sync(&mut self, log: &MessageLog) {
        self.total = log.len();
        self.evicted = log.evicted().0;
        if log.last_seq() < self.indexed_upto {
            // A different (younger) log than the one indexed: start over.
            self.rebuild(log);
            return;
        }
        let first_kept = log.entries().front().map_or(log.last_seq() + 1, |e| e.seq);
        let mut dropped = 0;
        while self.index.front().is_some_and(|&s| s < first_kept) {
            self.index.pop_front();
            dropped += 1;
        }
        self.offset.set(self.offset.get().saturating_sub(dropped));
        if log.last_seq() > self.indexed_upto {
            let from = (self.indexed_upto + 1).max(first_kept) - first_kept;
            let from = usize::try_from(from).unwrap_or(usize::MAX);
            for e in log.entries().range(from.min(log.len())..) {
                if self.matcher.matches(e, log) {
                    self.index.push_back(e.seq);
                }
            }
            self.indexed_upto = log.last_seq();
        }
        self.catch_up_amendments(log);
        let target = if self.follow {
            self.index.back().copied()
        } else {
            match self.selected {
                Some(s) if s < first_kept => self.index.front().copied(),
                // Nothing was there to select: the first message that comes is.
                None => self.index.front().copied(),
                other => other,
            }
        };
        self.select(target, log);
        self.refresh_detail(log);
    }

    /// Entries marked problems after they were indexed may match the filter now (`errors`):
    /// each is put in its place. Costs O(amendments × log₂ index).
    fn catch_up_amendments(&mut self, log: &MessageLog) {
        let (amended, cursor) = log.amended_since(self.amend_cursor);
        self.amend_cursor = cursor;
        for seq in amended {
            let Some(e) = log.get(seq) else { continue };
            if let Err(pos) = self.index.binary_search(&seq)
                && self.matcher.matches(e, log)
            {
                self.index.insert(pos, seq);
                if pos < self.offset.get() {
                    self.offset.set(self.offset.get() + 1);
                }
            }
        }
    }

    /// Re-indexes the whole log for a new filter, keeping the selection on or near the same
    /// message. The one O(log size) operation, and only on a filter change.
    fn rebuild(&mut self, log: &MessageLog) {
        self.total = log.len();
        self.evicted = log.evicted().0;
        self.amend_cursor = log.amended_since(u64::MAX).1;
        self.index = log
            .entries()
            .iter()
            .filter(|e| self.matcher.matches(e, log))
            .map(|e| e.seq)
            .collect();
        self.indexed_upto = log.last_seq();
        let target = if self.follow {
            self.index.back().copied()
        } else {
            self.selected.and_then(|s| {
                let p = self.index.partition_point(|&x| x < s);
                self.index.get(p).or_else(|| self.index.back()).copied()
            })
        };
        self.selected = None;
        self.select(target, log);
        self.offset.set(0);
    }

    pub fn set_filter(&mut self, src: &str, log: &MessageLog) {
        let filter = Filter::parse(src);
        self.filter_src = src.split_whitespace().collect::<Vec<_>>().join(" ");
        if filter != self.filter {
            self.matcher = Matcher::new(&filter);
            self.filter = filter;
            self.rebuild(log);
        }
    }

    fn select(&mut self, seq: Option<u64>, log: &MessageLog) {
        if seq != self.selected {
            self.selected = seq;
            self.detail_scroll = 0;
        }
        self.refresh_detail(log);
    }

    fn refresh_detail(&mut self, log: &MessageLog) {
        let Some(seq) = self.selected else {
            self.detail = None;
            return;
        };
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.seq == seq && d.hex == self.hex)
        {
            return;
        }
        let hex = self.hex;
        self.detail = log.get(seq).map(|e| DetailCache {
            seq,
            hex,
            doc: if hex {
                json::hex_doc(e, MAX_DETAIL_LINES)
            } else {
                body_doc(e, MAX_DETAIL_LINES)
            },
            checked: check_answer(e, log),
        });
    }

    fn position(&self) -> Option<usize> {
        self.index.binary_search(&self.selected?).ok()
    }

    /// Moves the selection by `delta` rows; moving up stops following.
    fn move_by(&mut self, delta: isize, log: &MessageLog) {
        if self.index.is_empty() {
            return;
        }
        if delta < 0 {
            self.follow = false;
        }
        let last = self.index.len() - 1;
        let pos = match self.position() {
            Some(p) => p.saturating_add_signed(delta).min(last),
            None if delta < 0 => last,
            None => 0,
        };
        self.select(self.index.get(pos).copied(), log);
    }

    fn select_pos(&mut self, pos: usize, log: &MessageLog) {
        if let Some(&s) = self.index.get(pos) {
            self.select(Some(s), log);
        }
    }

    /// Handles a key. While the filter input is open every key goes to it.
    /// `list_height` is the height of the area given to [`render_list`] (used for paging).
    /// A key while the inspector has the keyboard: typed into the filter while it is open
    /// (the `editing` scope's `confirm` applies it, `cancel` closes it), else the inspector
    /// scope's action.
    pub fn handle_key(
        &mut self,
        input: KeyInput,
        log: &MessageLog,
        list_height: u16,
    ) -> InspectorOutcome {
        if input.key.kind == KeyEventKind::Release {
            return InspectorOutcome::Ignored;
        }
        self.notice = None;
        if let Some(ta) = &mut self.input {
            let key = input.key;
            match input.action {
                Some(Action::Confirm) => {
                    let src = ta.lines().join(" ");
                    self.input = None;
                    self.set_filter(&src, log);
                }
                Some(Action::Cancel) => self.input = None,
                // What the text area would turn into a newline: the filter is one line.
                _ if key.modifiers.contains(KeyModifiers::CONTROL)
                    && matches!(key.code, KeyCode::Char('m' | 'j')) => {}
                _ => {
                    ta.input(key);
                }
            }
            return InspectorOutcome::Handled;
        }
        let Some(action) = input.action else {
            return InspectorOutcome::Ignored;
        };
        let page = list_height.saturating_sub(LIST_TOP_ROWS + 1).max(1) as isize;
        match action {
            Action::MoveDown => self.move_by(1, log),
            Action::MoveUp => self.move_by(-1, log),
            Action::PageDown => self.move_by(page, log),
            Action::PageUp => self.move_by(-page, log),
            Action::Top => {
                self.follow = false;
                self.select_pos(0, log);
            }
            Action::Bottom => {
                self.follow = true;
                self.select(self.index.back().copied(), log);
            }
            Action::Follow => {
                self.follow = !self.follow;
                if self.follow {
                    self.select(self.index.back().copied(), log);
                }
            }
            Action::Filter => self.open_filter(),
            Action::ClearFilter => {
                if self.filter.is_empty() {
                    return InspectorOutcome::Ignored;
                }
                self.set_filter("", log);
            }
            Action::Export => {
                if self.index.is_empty() {
                    return self.notify("nothing to export");
                }
                return InspectorOutcome::Export(self.index.iter().copied().collect());
            }
            Action::OpenExternally => {
                return match self.selected.and_then(|s| log.get(s)) {
                    Some(e) => InspectorOutcome::Page(copy_text(e)),
                    None => self.notify("nothing selected"),
                };
            }
            Action::CopyMessage => {
                return match self.selected.and_then(|s| log.get(s)) {
                    Some(e) => InspectorOutcome::Copy(copy_text(e)),
                    None => self.notify("nothing selected"),
                };
            }
            Action::Resend => {
                return match self.request_target(log) {
                    Ok(seq) => InspectorOutcome::Resend(seq),
                    Err(why) => self.notify(why),
                };
            }
            Action::CopyAsCall => {
                return match self.request_target(log) {
                    Ok(seq) => InspectorOutcome::CopyAsCall(seq),
                    Err(why) => self.notify(why),
                };
            }
            Action::EditResend => {
                return match self.request_target(log) {
                    Ok(seq) => InspectorOutcome::EditResend(seq),
                    Err(why) => self.notify(why),
                };
            }
            Action::Pair => self.jump_to_pair(log),
            Action::DetailDown => {
                let max = self.detail_len(log).saturating_sub(1);
                self.detail_scroll = (self.detail_scroll + 1).min(max);
            }
            Action::DetailUp => self.detail_scroll = self.detail_scroll.saturating_sub(1),
            Action::FrameView => {
                self.hex = !self.hex;
                self.detail_scroll = 0;
                self.refresh_detail(log);
            }
            Action::TimeTravel => {
                return match self.selected {
                    Some(seq) => InspectorOutcome::TimeTravel(seq),
                    None => self.notify("nothing selected"),
                };
            }
            Action::Mark => {
                let Some(seq) = self.selected else {
                    return self.notify("nothing selected");
                };
                self.marked = (self.marked != Some(seq)).then_some(seq);
                let what = match self.marked {
                    Some(s) => format!("#{s} marked: = on another render compares them"),
                    None => "mark removed".into(),
                };
                return self.notify(what);
            }
            Action::Diff => {
                return match self.selected {
                    Some(new) => InspectorOutcome::Diff {
                        old: self.marked.filter(|&m| m != new),
                        new,
                    },
                    None => self.notify("nothing selected"),
                };
            }
            _ => return InspectorOutcome::Ignored,
        }
        InspectorOutcome::Handled
    }

    /// Opens the filter input on the current filter.
    pub fn open_filter(&mut self) {
        let mut ta = TextArea::new(vec![self.filter_src.clone()]);
        ta.move_cursor(ratatui_textarea::CursorMove::End);
        ta.set_cursor_line_style(Style::default());
        ta.set_cursor_style(Style::default().add_modifier(Modifier::REVERSED));
        ta.set_placeholder_style(Style::default().add_modifier(Modifier::DIM));
        ta.set_placeholder_text("plugin:ID method:NAME dir:in|out|local errors text…");
        self.input = Some(ta);
    }

    fn notify(&mut self, why: impl Into<String>) -> InspectorOutcome {
        self.notice = Some(why.into());
        InspectorOutcome::Handled
    }

    /// The outgoing request behind the selection: itself, or the request a response answers.
    fn request_target(&self, log: &MessageLog) -> Result<u64, String> {
        let e = self
            .selected
            .and_then(|s| log.get(s))
            .ok_or("nothing selected")?;
        let is_out_request =
            |e: &LogEntry| e.dir == Direction::Out && matches!(e.kind, EntryKind::Request { .. });
        if is_out_request(e) {
            return Ok(e.seq);
        }
        if matches!(e.kind, EntryKind::Result { .. } | EntryKind::Error { .. }) {
            return match e.pair.map(|p| (p, log.get(p))) {
                Some((_, Some(req))) if is_out_request(req) => Ok(req.seq),
                Some((p, None)) => Err(format!("request #{p} was evicted from the log")),
                _ => Err("this response answers no outgoing request".into()),
            };
        }
        Err("not an outgoing request or its response".into())
    }

    fn jump_to_pair(&mut self, log: &MessageLog) {
        let Some(pair) = self.selected.and_then(|s| log.get(s)).and_then(|e| e.pair) else {
            self.notice = Some("no paired message".into());
            return;
        };
        if self.index.binary_search(&pair).is_ok() {
            self.follow = false;
            self.select(Some(pair), log);
        } else if log.get(pair).is_none() {
            self.notice = Some(format!("#{pair} was evicted from the log"));
        } else {
            self.notice = Some(format!("#{pair} is hidden by the filter"));
        }
    }

    /// Lines in the detail pane's scrollable content, as far as it is known without a draw.
    fn detail_len(&self, log: &MessageLog) -> usize {
        let checked = self.detail.as_ref().and_then(|d| d.checked.as_ref());
        let width = self.detail_width.get();
        let header = self
            .selected
            .and_then(|s| log.get(s))
            .map_or(0, |e| view::detail_header_len(e, log, checked, width));
        header + self.detail.as_ref().map_or(0, |d| d.doc.lines.len())
    }

    /// Selects the entry drawn at `row_in_list`: the mouse row minus the list area's top
    /// (row 0 is the border, 1 the header). The detail follows at the next `sync`.
    pub fn handle_click(&mut self, row_in_list: u16) {
        let Some(row) = row_in_list.checked_sub(LIST_TOP_ROWS) else {
            return;
        };
        let pos = self.offset.get() + row as usize;
        if let Some(&seq) = self.index.get(pos) {
            self.follow = false;
            if self.selected != Some(seq) {
                self.selected = Some(seq);
                self.detail_scroll = 0;
            }
        }
    }

    /// Mouse wheel over the list: moves the selection a few rows.
    pub fn scroll(&mut self, down: bool, log: &MessageLog) {
        self.move_by(if down { WHEEL_ROWS } else { -WHEEL_ROWS }, log);
    }

    /// A paste into the open filter input, on one line; false when it is not open.
    pub fn paste(&mut self, text: &str) -> bool {
        let Some(input) = &mut self.input else {
            return false;
        };
        input.insert_str(crate::text::paste_line(text));
        true
    }

    /// True while the filter input has the keyboard (the app should not treat keys as
    /// shortcuts).
    pub fn is_typing(&self) -> bool {
        self.input.is_some()
    }

    pub fn selected(&self) -> Option<u64> {
        self.selected
    }

    /// The answer marked to compare (`m`).
    pub fn marked(&self) -> Option<u64> {
        self.marked
    }

    /// Whether the detail shows the frame's bytes (`x`).
    pub fn is_hex(&self) -> bool {
        self.hex
    }

    /// A one-shot message in the inspector's header (cleared by the next key).
    pub fn say(&mut self, text: impl Into<String>) {
        self.notice = Some(text.into());
    }

    /// (entries shown by the filter, entries kept by the log) as of the last sync.
    pub fn counts(&self) -> (usize, usize) {
        (self.index.len(), self.total)
    }

    pub fn is_following(&self) -> bool {
        self.follow
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }
}

/// The detail body of an entry: its payload, or an event's text.
fn body_doc(e: &LogEntry, max_lines: usize) -> Doc {
    match &e.kind {
        // An event's raw bytes (a broken frame's) are for the frame view.
        EntryKind::Event { text } | EntryKind::Output { text, .. } => {
            Doc::text(text, json::Tok::Plain, max_lines)
        }
        _ => json::doc(&e.raw, max_lines),
    }
}

/// What `y` copies: the payload re-indented, or an event's text.
fn copy_text(e: &LogEntry) -> String {
    match &e.kind {
        EntryKind::Event { text } | EntryKind::Output { text, .. } => {
            crate::text::sanitize_multiline(text)
        }
        _ => pretty_text(&e.raw),
    }
}
