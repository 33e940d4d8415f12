//! The raw request composer: pick a plugin, type any method and any JSON params, send.
//!
//! It exists to poke a plugin with requests the UI would never build (odd params, unknown
//! methods), so it accepts any valid JSON and only refuses what cannot be sent at all.
//!
//! Keys: `←`/`→` choose the plugin; `Tab` completes the method (again to cycle); `Enter`,
//! `↓` or `Ctrl-N` go to the next field, `↑` (on the first line of params), `Ctrl-P` or
//! `Shift-Tab` to the previous; `Ctrl-S` or `Ctrl-Enter` sends; `Esc` cancels.

use super::action::{Action, KeyInput, Scope};
use super::cells::claim;
use super::keymap::Keymap;
use crate::host::{Capability, CapabilityKind};
use crate::text::json_error;
use crate::text::{paste_line, paste_multiline, sanitize_line, truncate_chars};
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};
use ratatui_textarea::{CursorMove, TextArea};
use serde_json::Value;
use std::time::{Duration, Instant};
use unicode_width::UnicodeWidthStr;

/// Completion candidates listed under the method field at most.
const MAX_SHOWN_CANDIDATES: usize = 6;
/// The keys of each field, for the line under the editor: the composer scope's, as bound.
fn hints(field: Field, keys: &Keymap) -> String {
    let k = |a: Action, what: &str| {
        keys.keys(Scope::Composer, a)
            .first()
            .map(|key| format!("{} {what}", key.pretty()))
    };
    let mut parts: Vec<Option<String>> = vec![k(Action::Send, "send")];
    match field {
        Field::Plugin => parts.push(Some("←→ plugin · Enter/↓ method".into())),
        Field::Method => {
            parts.push(k(Action::Complete, "complete"));
            parts.push(Some("Enter/↓ params".into()));
        }
        Field::Params => {
            parts.push(k(Action::ApplyContext, "apply the context"));
            parts.push(k(Action::PrevField, "method"));
        }
    }
    if field != Field::Plugin {
        parts.push(k(Action::NextPlugin, "next plugin"));
    }
    parts.push(k(Action::SaveRequest, "save as story"));
    parts.push(k(Action::Cancel, "cancel"));
    parts.into_iter().flatten().collect::<Vec<_>>().join(" · ")
}

/// Params up to this size are checked on every edit (a few tens of µs). Longer ones are
/// checked once the typing pauses for [`CHECK_PAUSE`]: parsing 100 KB on every key made
/// typing cost O(n) per key.
const CHECK_NOW_BYTES: usize = 16 * 1024;
/// The pause after which long params are checked.
pub const CHECK_PAUSE: Duration = Duration::from_millis(150);

/// A plugin that can be sent to, with the methods offered for completion.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginChoice {
    pub plugin_id: String,
    /// Completions: see [`method_candidates`].
    pub methods: Vec<String>,
    /// Realistic params for some of them (`host::context::sample_params`), filled in when the
    /// method is chosen and the params are still untouched.
    pub samples: Vec<(String, Value)>,
}

/// What a key in the composer asks of the app.
#[derive(Clone, Debug, PartialEq)]
pub enum ComposerOutcome {
    Ignored,
    Handled,
    /// Close the composer, send nothing.
    Cancel,
    Send {
        plugin_id: String,
        method: String,
        params: Value,
    },
    /// Edit the params (this text) in the user's editor; they come back through
    /// [`ComposerState::edited`].
    EditParams(String),
    /// Save the request as a story (the composer waits, open, behind the save window).
    Save {
        plugin_id: String,
        method: String,
        params: Value,
    },
}

/// The methods a plugin with these capabilities answers, in capability order, then `ping`
/// and `shutdown`.
pub fn method_candidates(caps: &[Capability]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |m: String| {
        if !out.contains(&m) {
            out.push(m);
        }
    };
    for cap in caps {
        if let Some(m) = cap.kind.render_method() {
            add(m);
        }
        if cap.kind.renders_json_ui() {
            add(cap.kind.event_method());
        }
        if cap.kind == CapabilityKind::McpTools || !cap.tools.is_empty() {
            add("tool/execute".into());
        }
    }
    add("ping".into());
    add("shutdown".into());
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Plugin,
    Method,
    Params,
}

/// Repeated `Tab`s walk these matches of the prefix typed before the first `Tab`.
#[derive(Debug)]
struct Cycle {
    matches: Vec<String>,
    current: usize,
}

/// The composer's fields and what it last had to say.
pub struct ComposerState {
    plugins: Vec<PluginChoice>,
    plugin: usize,
    method: TextArea<'static>,
    params: TextArea<'static>,
    focus: Field,
    cycle: Option<Cycle>,
    /// The params check, redone after edits rather than on every draw.
    status: Result<(), String>,
    /// Valid JSON that is neither object nor array: sendable, but not JSON-RPC 2.0.
    odd_shape: bool,
    /// Whether the params were blank at the last check (they send `{}`).
    blank: bool,
    /// Long params edited since the last check: checked at this instant (see
    /// [`CHECK_NOW_BYTES`]); until then the status says it is pending.
    check_due: Option<Instant>,
    /// How many times the params were parsed (tests count them).
    #[cfg(test)]
    checks: usize,
    /// Why the last send was refused, or that a completion found nothing.
    error: Option<String>,
    /// The params as the composer last filled them in (a method's sample): until they are
    /// edited, choosing another method fills in its sample instead.
    filled: Option<String>,
    /// The render context, for Ctrl-R (apply it to the params).
    ctx: Option<crate::host::RenderContext>,
}

fn method_area(text: &str) -> TextArea<'static> {
    let mut ta = TextArea::new(vec![sanitize_line(text)]);
    ta.move_cursor(CursorMove::End);
    ta.set_cursor_line_style(Style::default());
    ta.set_placeholder_text("method, e.g. ping");
    ta.set_placeholder_style(Style::default().add_modifier(Modifier::DIM));
    ta
}

impl ComposerState {
    /// A composer over `plugins`; `preset` (plugin, method, params) fills it for edit-and-resend.
    /// A preset plugin that is not among `plugins` is added so the edit is not lost.
    pub fn new(mut plugins: Vec<PluginChoice>, preset: Option<(String, String, Value)>) -> Self {
        let (plugin, method, params, focus) = match preset {
            Some((pid, method, params)) => {
                let idx = match plugins.iter().position(|p| p.plugin_id == pid) {
                    Some(i) => i,
                    None => {
                        plugins.push(PluginChoice {
                            plugin_id: pid,
                            methods: Vec::new(),
                            samples: Vec::new(),
                        });
                        plugins.len() - 1
                    }
                };
                let text = serde_json::to_string_pretty(&params).unwrap_or_default();
                (
                    idx,
                    method,
                    crate::text::escape_json_controls(&text),
                    Field::Params,
                )
            }
            None => (0, String::new(), "{}".to_string(), Field::Method),
        };
        let mut params_area = TextArea::new(params.lines().map(String::from).collect());
        params_area.set_cursor_line_style(Style::default());
        params_area.set_line_number_style(Style::default().add_modifier(Modifier::DIM));
        params_area.set_tab_length(2);
        let mut st = Self {
            plugins,
            plugin,
            method: method_area(&method),
            params: params_area,
            focus,
            cycle: None,
            status: Ok(()),
            odd_shape: false,
            blank: false,
            check_due: None,
            #[cfg(test)]
            checks: 0,
            error: None,
            filled: Some("{}".into()),
            ctx: None,
        };
        st.recheck();
        st.set_focus(focus);
        st
    }

    /// Starts on `plugin_id` (the one selected in the console) and, when given, `method` (the
    /// last one sent to it), with that method's sample params.
    pub fn starting_at(mut self, plugin_id: &str, method: Option<&str>) -> Self {
        if let Some(i) = self.plugins.iter().position(|p| p.plugin_id == plugin_id) {
            self.plugin = i;
        }
        if let Some(m) = method {
            self.method = method_area(m);
            self.set_focus(Field::Params);
            self.fill_sample();
        }
        self
    }

    /// The render context Ctrl-R applies to the params.
    pub fn with_context(mut self, ctx: crate::host::RenderContext) -> Self {
        self.ctx = Some(ctx);
        self
    }

    /// Puts the chosen method's sample params in, unless the params were edited since the
    /// composer last filled them.
    fn fill_sample(&mut self) {
        let untouched = self
            .filled
            .as_deref()
            .is_some_and(|f| f.trim() == self.params_text().trim());
        if !untouched {
            return;
        }
        let method = self.method_text();
        let sample = self
            .plugins
            .get(self.plugin)
            .and_then(|p| p.samples.iter().find(|(m, _)| *m == method))
            .map_or_else(|| "{}".to_string(), |(_, v)| pretty(v));
        self.set_params(&sample);
        self.filled = Some(sample);
    }

    /// The params as the user's editor left them: they replace the field (and count as
    /// edited, so choosing a method no longer fills them in).
    pub fn edited(&mut self, text: &str) {
        self.set_params(text.trim_end_matches('\n'));
        self.filled = None;
        self.set_focus(Field::Params);
    }

    fn set_params(&mut self, text: &str) {
        let (x, y) = (self.params.cursor(), self.focus);
        let mut area = TextArea::new(text.lines().map(String::from).collect());
        area.set_cursor_line_style(Style::default());
        area.set_line_number_style(Style::default().add_modifier(Modifier::DIM));
        area.set_tab_length(2);
        area.move_cursor(CursorMove::Jump(x.0 as u16, x.1 as u16));
        self.params = area;
        self.set_focus(y);
        self.recheck();
    }

    /// Ctrl-R: the visitor, session, language, agent and channel fields of the params, at any
    /// depth, set from the console's render context.
    fn apply_context(&mut self) {
        let Some(ctx) = self.ctx.clone() else {
            return;
        };
        match serde_json::from_str::<Value>(&self.params_text()) {
            Ok(mut v) => {
                crate::host::context::apply_context(&mut v, &ctx);
                let text = pretty(&v);
                let untouched = self
                    .filled
                    .as_deref()
                    .is_some_and(|f| f.trim() == self.params_text().trim());
                self.set_params(&text);
                if untouched {
                    self.filled = Some(text);
                }
                self.error = None;
            }
            Err(e) => {
                self.error = Some(format!(
                    "the context was not applied: fix the params first ({})",
                    json_error(&e)
                ))
            }
        }
    }

    /// The plugin shown in the Plugin field, one step left or right.
    fn switch_plugin(&mut self, right: bool) {
        let n = self.plugins.len().max(1);
        self.plugin = if right {
            (self.plugin + 1) % n
        } else {
            (self.plugin + n - 1) % n
        };
        self.fill_sample();
    }

    /// Ok when the params are valid JSON (or empty, which sends `{}`), else
    /// `line L, column C: what serde_json expected`.
    pub fn json_status(&self) -> Result<(), String> {
        self.status.clone()
    }

    fn params_text(&self) -> String {
        self.params.lines().join("\n")
    }

    fn method_text(&self) -> String {
        self.method.lines().concat()
    }

    /// While long params wait for the typing to pause, the instant they will be checked.
    pub fn check_due(&self) -> Option<Instant> {
        self.check_due
    }

    /// Checks the params if their pause is over (called by `update` on every message).
    pub fn settle(&mut self, now: Instant) {
        if self.check_due.is_some_and(|due| due <= now) {
            self.recheck();
        }
    }

    /// The params changed: check them now when short, else once the typing pauses.
    fn params_edited(&mut self, now: Instant) {
        let bytes: usize = self.params.lines().iter().map(|l| l.len() + 1).sum();
        if bytes <= CHECK_NOW_BYTES {
            self.recheck();
        } else {
            self.check_due = Some(now + CHECK_PAUSE);
        }
    }

    fn recheck(&mut self) {
        #[cfg(test)]
        {
            self.checks += 1;
        }
        self.check_due = None;
        let text = self.params_text();
        self.odd_shape = false;
        self.blank = text.trim().is_empty();
        self.status = if self.blank {
            Ok(())
        } else {
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => {
                    self.odd_shape = !(v.is_object() || v.is_array());
                    Ok(())
                }
                Err(e) => Err(json_error(&e)),
            }
        };
    }

    fn set_focus(&mut self, f: Field) {
        self.focus = f;
        let on = Style::default().add_modifier(Modifier::REVERSED);
        let cursor = |focused: bool| if focused { on } else { Style::default() };
        self.method.set_cursor_style(cursor(f == Field::Method));
        self.params.set_cursor_style(cursor(f == Field::Params));
    }

    fn next_field(&mut self) {
        self.set_focus(match self.focus {
            Field::Plugin => Field::Method,
            Field::Method | Field::Params => Field::Params,
        });
    }

    fn prev_field(&mut self) {
        self.set_focus(match self.focus {
            Field::Plugin | Field::Method => Field::Plugin,
            Field::Params => Field::Method,
        });
    }

    fn methods(&self) -> &[String] {
        self.plugins
            .get(self.plugin)
            .map_or(&[], |p| p.methods.as_slice())
    }

    /// Candidates starting with `typed` (case-insensitive); failing that, containing it.
    fn matches(&self, typed: &str) -> Vec<String> {
        let t = typed.to_lowercase();
        let starts: Vec<String> = self
            .methods()
            .iter()
            .filter(|m| m.to_lowercase().starts_with(&t))
            .cloned()
            .collect();
        if !starts.is_empty() {
            return starts;
        }
        self.methods()
            .iter()
            .filter(|m| m.to_lowercase().contains(&t))
            .cloned()
            .collect()
    }

    /// Tab: the only match, else the longest common prefix, else cycle through the matches.
    fn complete(&mut self) {
        if let Some(c) = &mut self.cycle {
            c.current = (c.current + 1) % c.matches.len();
            let m = c.matches[c.current].clone();
            self.method = method_area(&m);
            return;
        }
        let typed = self.method_text();
        let matches = self.matches(&typed);
        match matches.len() {
            0 => {
                self.error = Some(format!(
                    "no known method matches {:?}",
                    sanitize_line(&typed)
                ))
            }
            1 => self.method = method_area(&matches[0]),
            _ => {
                let lcp = common_prefix(&matches);
                if lcp.chars().count() > typed.chars().count()
                    && lcp.to_lowercase().starts_with(&typed.to_lowercase())
                {
                    self.method = method_area(&lcp);
                } else {
                    self.method = method_area(&matches[0]);
                    self.cycle = Some(Cycle {
                        matches,
                        current: 0,
                    });
                }
            }
        }
    }

    fn try_send(&mut self) -> ComposerOutcome {
        match self.request("sent") {
            Some((plugin_id, method, params)) => ComposerOutcome::Send {
                plugin_id,
                method,
                params,
            },
            None => ComposerOutcome::Handled,
        }
    }

    fn try_save(&mut self) -> ComposerOutcome {
        match self.request("saved") {
            Some((plugin_id, method, params)) => ComposerOutcome::Save {
                plugin_id,
                method,
                params,
            },
            None => ComposerOutcome::Handled,
        }
    }

    /// The request as typed, or `None` with why not (`not sent: …`) in the error line.
    fn request(&mut self, verb: &str) -> Option<(String, String, Value)> {
        if self.check_due.is_some() {
            self.recheck();
        }
        let Some(p) = self.plugins.get(self.plugin) else {
            self.error = Some("no plugin to send to".into());
            return None;
        };
        let method = self.method_text().trim().to_string();
        if method.is_empty() {
            self.error = Some(format!("not {verb}: set a method first"));
            return None;
        }
        if self.status.is_err() {
            self.error = Some(format!("not {verb}: fix the params first"));
            return None;
        }
        let text = self.params_text();
        let params = if text.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    self.error = Some(format!("not {verb}: {}", json_error(&e)));
                    return None;
                }
            }
        };
        Some((p.plugin_id.clone(), method, params))
    }

    /// Pasted text goes into the focused field: one line for the method, lines for the
    /// params; the plugin row takes none (false).
    pub fn paste(&mut self, text: &str, now: Instant) -> bool {
        self.error = None;
        self.cycle = None;
        match self.focus {
            Field::Plugin => false,
            Field::Method => {
                self.method.insert_str(paste_line(text));
                true
            }
            Field::Params => {
                self.params.insert_str(paste_multiline(text, "  "));
                self.params_edited(now);
                true
            }
        }
    }

    /// A key in the composer: the composer scope's action (send, complete, fields, plugins,
    /// the context), else the field's own keys (←/→ choose the plugin in its field; Enter and
    /// ↓ leave the method; ↑ on the first line of params goes back) and typing. `now` dates an
    /// edit of long params (their check waits for a pause).
    pub fn handle_key(&mut self, input: KeyInput, now: Instant) -> ComposerOutcome {
        let key = input.key;
        if key.kind == KeyEventKind::Release {
            return ComposerOutcome::Ignored;
        }
        self.error = None;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let outcome = match (input.action, key.code, self.focus) {
            (Some(Action::Cancel), ..) => return ComposerOutcome::Cancel,
            (Some(Action::Send), ..) => return self.try_send(),
            (Some(Action::SaveRequest), ..) => return self.try_save(),
            (Some(Action::PrevField), ..) => {
                self.prev_field();
                ComposerOutcome::Handled
            }
            (Some(Action::NextField), ..) => {
                if self.focus == Field::Method {
                    self.fill_sample();
                }
                self.next_field();
                ComposerOutcome::Handled
            }
            (Some(Action::OpenExternally), ..) => {
                return ComposerOutcome::EditParams(self.params.lines().join("\n"));
            }
            (Some(Action::ApplyContext), ..) => {
                self.apply_context();
                ComposerOutcome::Handled
            }
            (Some(Action::NextPlugin), ..) => {
                self.switch_plugin(true);
                ComposerOutcome::Handled
            }
            (Some(Action::PrevPlugin), ..) => {
                self.switch_plugin(false);
                ComposerOutcome::Handled
            }
            (Some(Action::Complete), _, Field::Method) => {
                self.complete();
                self.fill_sample();
                // Keep the cycle alive across consecutive completions only.
                return ComposerOutcome::Handled;
            }
            (Some(Action::Complete), _, Field::Params) => {
                self.params.insert_str("  ");
                self.params_edited(now);
                ComposerOutcome::Handled
            }
            (Some(Action::Complete), _, Field::Plugin) => {
                self.next_field();
                ComposerOutcome::Handled
            }
            (_, KeyCode::Left | KeyCode::Right, Field::Plugin) => {
                self.switch_plugin(key.code == KeyCode::Right);
                ComposerOutcome::Handled
            }
            (_, KeyCode::Enter | KeyCode::Down, Field::Plugin | Field::Method) => {
                if self.focus == Field::Method {
                    self.fill_sample();
                }
                self.next_field();
                ComposerOutcome::Handled
            }
            (_, KeyCode::Up, Field::Method) => {
                self.prev_field();
                ComposerOutcome::Handled
            }
            (_, _, Field::Plugin) => ComposerOutcome::Ignored,
            (_, _, Field::Method) => {
                // One line only: swallow what the text area would turn into a newline.
                if !(ctrl && matches!(key.code, KeyCode::Char('m' | 'j'))) {
                    self.method.input(key);
                }
                ComposerOutcome::Handled
            }
            (_, KeyCode::Up, Field::Params) if self.params.cursor().0 == 0 => {
                self.prev_field();
                ComposerOutcome::Handled
            }
            (_, _, Field::Params) => {
                if self.params.input(key) {
                    self.params_edited(now);
                }
                ComposerOutcome::Handled
            }
        };
        // Any key but a completion ends a completion cycle.
        self.cycle = None;
        outcome
    }

    /// What the completion list shows: the cycle being walked, or the matches of the text.
    fn shown_candidates(&self) -> (Vec<String>, Option<usize>) {
        if self.focus != Field::Method {
            return (Vec::new(), None);
        }
        if let Some(c) = &self.cycle {
            return (c.matches.clone(), Some(c.current));
        }
        let typed = self.method_text();
        let m = self.matches(&typed);
        if m.len() == 1 && m[0] == typed {
            return (Vec::new(), None);
        }
        (m, None)
    }
}

fn pretty(v: &Value) -> String {
    crate::text::escape_json_controls(&serde_json::to_string_pretty(v).unwrap_or_default())
}

fn common_prefix(items: &[String]) -> String {
    let Some(first) = items.first() else {
        return String::new();
    };
    let mut n = first.len();
    for s in &items[1..] {
        n = first
            .char_indices()
            .zip(s.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(n);
    }
    first[..n].to_string()
}

/// Draws the composer as a box centred in `area` (usually the whole screen), clearing what
/// is under it.
pub fn render(area: Rect, buf: &mut Buffer, st: &ComposerState, theme: &Theme, keys: &Keymap) {
    let w = area.width.min(90);
    let h = area.height.min(24);
    let modal = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    claim(modal, buf);
    let block = Block::bordered()
        .title(" Send a request ")
        .border_style(theme.border(true))
        .style(theme.text());
    let inner = block.inner(modal);
    block.render(modal, buf);
    if inner.height < 5 || inner.width < 10 {
        return;
    }
    let label = |text: &'static str, field: Field| {
        let style = if st.focus == field {
            theme.fg(theme.accent).add_modifier(Modifier::BOLD)
        } else {
            theme.muted()
        };
        Span::styled(text, style)
    };

    // Plugin row.
    let mut plugin_row = vec![label("Plugin  ", Field::Plugin)];
    match st.plugins.get(st.plugin) {
        Some(p) => {
            plugin_row.push(Span::styled("‹ ", theme.muted()));
            plugin_row.push(Span::styled(
                sanitize_line(&truncate_chars(&p.plugin_id, 48)),
                theme.fg(theme.accent),
            ));
            plugin_row.push(Span::styled(" ›", theme.muted()));
            if st.plugins.len() > 1 {
                plugin_row.push(Span::styled(
                    format!("  {}/{}", st.plugin + 1, st.plugins.len()),
                    theme.muted(),
                ));
            }
        }
        None => plugin_row.push(Span::styled("no plugin connected", theme.fg(theme.warning))),
    }
    buf.set_line(inner.x, inner.y, &Line::from(plugin_row), inner.width);

    // Method row.
    let my = inner.y + 1;
    buf.set_line(
        inner.x,
        my,
        &Line::from(label("Method  ", Field::Method)),
        inner.width,
    );
    let method_field = Rect {
        x: inner.x + 8,
        y: my,
        width: inner.width.saturating_sub(8),
        height: 1,
    };
    if st.focus == Field::Method {
        buf.set_style(method_field, Style::new().bg(theme.selection_bg.0));
    }
    st.method.render(method_field, buf);

    // Params editor, then status, optional error, hints.
    let bottom_rows = 2 + u16::from(st.error.is_some());
    let params_area = Rect {
        x: inner.x,
        y: inner.y + 2,
        width: inner.width,
        height: inner.height.saturating_sub(2 + bottom_rows),
    };
    let pblock = Block::bordered()
        .title(Line::from(label(" Params (JSON) ", Field::Params)))
        .border_style(theme.border(st.focus == Field::Params));
    let pinner = pblock.inner(params_area);
    pblock.render(params_area, buf);
    st.params.render(pinner, buf);

    let mut y = params_area.bottom();
    let status = match &st.status {
        _ if st.check_due.is_some() => {
            Line::styled("… checking the JSON when the typing pauses", theme.muted())
        }
        Ok(()) if st.blank => Line::styled("✓ empty: sends {}", theme.fg(theme.success)),
        Ok(()) if st.odd_shape => Line::styled(
            "✓ valid JSON (but JSON-RPC params should be an object or array)",
            theme.fg(theme.warning),
        ),
        Ok(()) => Line::styled("✓ valid JSON", theme.fg(theme.success)),
        Err(e) => Line::styled(format!("✗ {e}"), theme.fg(theme.error)),
    };
    buf.set_line(inner.x, y, &status, inner.width);
    y += 1;
    if let Some(e) = &st.error {
        buf.set_line(
            inner.x,
            y,
            &Line::styled(
                e.clone(),
                theme.fg(theme.error).add_modifier(Modifier::BOLD),
            ),
            inner.width,
        );
        y += 1;
    }
    buf.set_line(
        inner.x,
        y,
        &Line::styled(hints(st.focus, keys), theme.muted()),
        inner.width,
    );

    // Completion list, over the params editor just under the method field.
    let (cands, current) = st.shown_candidates();
    if !cands.is_empty() {
        let shown: Vec<String> = cands
            .iter()
            .take(MAX_SHOWN_CANDIDATES)
            .map(|c| sanitize_line(&truncate_chars(c, 60)))
            .collect();
        let more = cands.len().saturating_sub(MAX_SHOWN_CANDIDATES);
        let more_line = (more > 0).then(|| format!("+{more} more"));
        let content_w = shown
            .iter()
            .map(|s| s.width())
            .chain(more_line.as_ref().map(|s| s.width()))
            .max()
            .unwrap_or(0) as u16;
        let rows = shown.len() as u16 + u16::from(more_line.is_some());
        let popup = Rect {
            x: method_field.x,
            y: my + 1,
            width: (content_w + 4).min(method_field.width),
            height: (rows + 2).min(inner.bottom().saturating_sub(my + 1)),
        };
        claim(popup, buf);
        let cblock = Block::bordered()
            .border_style(theme.border(false))
            .style(theme.text());
        let cinner = cblock.inner(popup);
        cblock.render(popup, buf);
        for (i, c) in shown.iter().enumerate() {
            if i as u16 >= cinner.height {
                break;
            }
            let style = if current == Some(i) {
                theme.selected()
            } else {
                theme.fg(theme.fg)
            };
            buf.set_line(
                cinner.x,
                cinner.y + i as u16,
                &Line::styled(format!(" {c} "), style),
                cinner.width,
            );
        }
        if let Some(m) = more_line
            && (shown.len() as u16) < cinner.height
        {
            buf.set_line(
                cinner.x,
                cinner.y + shown.len() as u16,
                &Line::styled(format!(" {m}"), theme.muted()),
                cinner.width,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use serde_json::json;

    fn plugins() -> Vec<PluginChoice> {
        vec![
            PluginChoice {
                plugin_id: "demo".into(),
                methods: vec![
                    "visitor_panel/render".into(),
                    "visitor_panel/event".into(),
                    "chat_toolbar/render".into(),
                    "tool/execute".into(),
                    "ping".into(),
                    "shutdown".into(),
                ],
                samples: vec![(
                    "visitor_panel/render".into(),
                    json!({"visitor_id": "v_12345", "language": "zh-CN"}),
                )],
            },
            PluginChoice {
                plugin_id: "orders".into(),
                methods: vec!["ping".into()],
                samples: Vec::new(),
            },
        ]
    }

    /// A key as the console routes it to the composer: through the default keymap.
    fn keyed(st: &mut ComposerState, key: KeyEvent, now: Instant) -> ComposerOutcome {
        let keymap = crate::tui::keymap::Keymap::default();
        let action = keymap.action(&[Scope::Composer], &key);
        st.handle_key(KeyInput { action, key }, now)
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn code(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(st: &mut ComposerState, s: &str) {
        for c in s.chars() {
            let k = if c == '\n' {
                code(KeyCode::Enter)
            } else {
                key(c)
            };
            keyed(st, k, Instant::now());
        }
    }

    fn draw(st: &ComposerState, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| {
            let a = f.area();
            render(a, f.buffer_mut(), st, &Theme::default(), &Keymap::default());
        })
        .unwrap();
        t
    }

    fn preset() -> ComposerState {
        ComposerState::new(
            plugins(),
            Some((
                "demo".into(),
                "visitor_panel/render".into(),
                json!({"visitor_id": "v_1", "language": "zh-CN"}),
            )),
        )
    }

    /// Choosing a method fills in its realistic params while the params are untouched; an
    /// edit is never overwritten (issue 9.9).
    #[test]
    fn a_chosen_method_brings_its_sample_params_until_they_are_edited() {
        let mut st = ComposerState::new(plugins(), None);
        typed(&mut st, "visitor_panel/r");
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert_eq!(st.method_text(), "visitor_panel/render");
        assert!(st.params_text().contains("\"visitor_id\": \"v_12345\""));
        // Another method: its own sample (none: {}), since the params were not edited.
        st.method = method_area("ping");
        keyed(&mut st, code(KeyCode::Enter), Instant::now());
        assert_eq!(st.params_text(), "{}");
        // Edited params stay when the method changes.
        typed(&mut st, "[1]");
        keyed(&mut st, code(KeyCode::BackTab), Instant::now());
        st.method = method_area("visitor_panel/render");
        keyed(&mut st, code(KeyCode::Enter), Instant::now());
        assert!(st.params_text().contains("[1]"), "{}", st.params_text());
    }

    /// Alt-←/→ switch the plugin from any field; the hints say what each field's keys do.
    #[test]
    fn the_plugin_switches_from_any_field_and_hints_follow_the_field() {
        let mut st = ComposerState::new(plugins(), None);
        assert_eq!(st.focus, Field::Method);
        keyed(
            &mut st,
            KeyEvent::new(KeyCode::Right, KeyModifiers::ALT),
            Instant::now(),
        );
        assert_eq!(st.plugins[st.plugin].plugin_id, "orders");
        keyed(&mut st, code(KeyCode::Enter), Instant::now());
        assert_eq!(st.focus, Field::Params);
        let screen = draw(&st, 100, 16).backend().to_string();
        assert!(screen.contains("Ctrl-R apply the context"), "{screen}");
        assert!(!screen.contains("↑↓ field"), "{screen}");
    }

    /// Ctrl-R sets the context's fields in the params, wherever they are (issue 9.15).
    #[test]
    fn ctrl_r_applies_the_context_to_the_params() {
        let ctx = crate::host::RenderContext::for_visitor("v_777");
        let mut st = ComposerState::new(
            plugins(),
            Some((
                "demo".into(),
                "visitor_panel/event".into(),
                json!({"event_type": "button_click", "action_id": "x", "visitor_id": "v_1",
                       "payload": {"visitor_id": "v_1", "session_id": "s_1"}}),
            )),
        )
        .with_context(ctx);
        keyed(&mut st, ctrl('r'), Instant::now());
        let v: Value = serde_json::from_str(&st.params_text()).unwrap();
        assert_eq!(v["visitor_id"], "v_777");
        assert_eq!(v["payload"]["visitor_id"], "v_777");
        assert_eq!(v["payload"]["session_id"], "s_777");
        assert_eq!(v["action_id"], "x");
    }

    #[test]
    fn snapshot_valid_json() {
        let st = preset();
        assert_eq!(st.json_status(), Ok(()));
        insta::assert_snapshot!(draw(&st, 80, 16).backend());
    }

    #[test]
    fn snapshot_json_error() {
        let mut st = preset();
        // Cursor is in params at the top-left: break the object after its first member.
        st.params.move_cursor(CursorMove::Jump(1, 25));
        keyed(&mut st, code(KeyCode::Backspace), Instant::now());
        let err = st.json_status().unwrap_err();
        assert_eq!(err, "line 3, column 3: expected `,` or `}`");
        keyed(&mut st, ctrl('s'), Instant::now());
        insta::assert_snapshot!(draw(&st, 80, 16).backend());
    }

    #[test]
    fn snapshot_completions_shown() {
        let mut st = ComposerState::new(plugins(), None);
        typed(&mut st, "vis");
        insta::assert_snapshot!(draw(&st, 70, 16).backend());
    }

    /// 100 KB of params: parsing them on every key made typing cost O(n) per key. They are
    /// parsed once, when the typing pauses; the status says the check is pending meanwhile.
    #[test]
    fn long_params_are_checked_once_the_typing_pauses() {
        let rows: Vec<String> = (0..4000)
            .map(|i| format!("row {i:06} of the table"))
            .collect();
        let mut st = ComposerState::new(
            plugins(),
            Some(("demo".into(), "ping".into(), json!({ "rows": rows }))),
        );
        assert!(st.params_text().len() > 100_000);
        let parsed = st.checks;
        st.params.move_cursor(CursorMove::Bottom);
        st.params.move_cursor(CursorMove::End);
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        for i in 0..100 {
            keyed(&mut st, key(if i % 2 == 0 { ',' } else { '1' }), ms(i * 20));
            st.settle(ms(i * 20));
        }
        assert_eq!(st.checks, parsed, "no parse while the keys keep coming");
        assert_eq!(st.check_due(), Some(ms(99 * 20) + CHECK_PAUSE));
        let screen = format!("{:?}", draw(&st, 80, 16).backend());
        assert!(screen.contains("checking the JSON"), "{screen}");
        st.settle(ms(99 * 20) + CHECK_PAUSE);
        assert_eq!(st.checks, parsed + 1, "one parse once they stop");
        assert_eq!(st.check_due(), None);
        assert!(st.json_status().is_err(), "`,1,1…` after the object");
        // Short params are still checked on every key.
        let mut st = preset();
        let parsed = st.checks;
        keyed(&mut st, key(' '), t0);
        assert_eq!((st.checks, st.check_due()), (parsed + 1, None));
    }

    #[test]
    fn tab_completes_then_cycles() {
        let mut st = ComposerState::new(plugins(), None);
        typed(&mut st, "vis");
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert_eq!(st.method_text(), "visitor_panel/", "common prefix first");
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert_eq!(st.method_text(), "visitor_panel/render");
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert_eq!(st.method_text(), "visitor_panel/event");
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert_eq!(st.method_text(), "visitor_panel/render", "cycles round");
        keyed(&mut st, code(KeyCode::Backspace), Instant::now());
        assert!(st.cycle.is_none());
        let mut st = ComposerState::new(plugins(), None);
        typed(&mut st, "pi");
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert_eq!(st.method_text(), "ping");
        let mut st = ComposerState::new(plugins(), None);
        typed(&mut st, "xyz");
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert!(st.error.as_deref().unwrap().contains("no known method"));
        // Substring fallback.
        let mut st = ComposerState::new(plugins(), None);
        typed(&mut st, "execute");
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert_eq!(st.method_text(), "tool/execute");
    }

    #[test]
    fn sends_only_a_valid_request() {
        let mut st = ComposerState::new(plugins(), None);
        assert_eq!(
            keyed(&mut st, ctrl('s'), Instant::now()),
            ComposerOutcome::Handled
        );
        assert!(st.error.as_deref().unwrap().contains("set a method"));
        typed(&mut st, "ping\n");
        assert_eq!(st.focus, Field::Params);
        // Replace `{}` with an array.
        st.params = TextArea::new(vec![String::new()]);
        typed(&mut st, "[1,\n2]");
        assert_eq!(st.json_status(), Ok(()));
        let ctrl_enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::CONTROL);
        assert_eq!(
            keyed(&mut st, ctrl_enter, Instant::now()),
            ComposerOutcome::Send {
                plugin_id: "demo".into(),
                method: "ping".into(),
                params: json!([1, 2]),
            }
        );
        typed(&mut st, ",");
        assert!(st.json_status().is_err());
        assert_eq!(
            keyed(&mut st, ctrl('s'), Instant::now()),
            ComposerOutcome::Handled
        );
        assert!(
            st.error
                .as_deref()
                .unwrap()
                .starts_with("not sent: fix the params")
        );
        assert_eq!(
            keyed(&mut st, code(KeyCode::Esc), Instant::now()),
            ComposerOutcome::Cancel
        );
    }

    #[test]
    fn fields_and_plugins_by_keyboard() {
        let mut st = preset();
        assert_eq!(st.focus, Field::Params);
        keyed(&mut st, code(KeyCode::Up), Instant::now());
        assert_eq!(
            st.focus,
            Field::Method,
            "Up on the first line leaves params"
        );
        keyed(&mut st, ctrl('p'), Instant::now());
        assert_eq!(st.focus, Field::Plugin);
        keyed(&mut st, code(KeyCode::Right), Instant::now());
        keyed(&mut st, code(KeyCode::Tab), Instant::now());
        assert_eq!(st.focus, Field::Method);
        keyed(&mut st, code(KeyCode::BackTab), Instant::now());
        keyed(&mut st, code(KeyCode::Left), Instant::now());
        keyed(&mut st, code(KeyCode::Left), Instant::now());
        keyed(&mut st, ctrl('n'), Instant::now());
        keyed(&mut st, ctrl('n'), Instant::now());
        assert_eq!(st.focus, Field::Params);
        match keyed(&mut st, ctrl('s'), Instant::now()) {
            ComposerOutcome::Send {
                plugin_id, params, ..
            } => {
                assert_eq!(plugin_id, "orders");
                assert_eq!(params, json!({"visitor_id": "v_1", "language": "zh-CN"}));
            }
            other => panic!("{other:?}"),
        }
        // Empty params send {}.
        let mut st = ComposerState::new(plugins(), None);
        typed(&mut st, "ping");
        st.params = TextArea::new(vec![String::new()]);
        st.recheck();
        assert!(matches!(
            keyed(&mut st, ctrl('s'), Instant::now()),
            ComposerOutcome::Send { params, .. } if params == json!({})
        ));
    }

    #[test]
    fn preset_for_a_gone_plugin_and_hostile_text_is_kept_safe() {
        let st = ComposerState::new(
            plugins(),
            Some((
                "gone".into(),
                "x\x1b[2J".into(),
                json!({"s": "a\u{202e}b\u{9b}"}),
            )),
        );
        assert_eq!(st.plugins.last().unwrap().plugin_id, "gone");
        assert_eq!(st.method_text(), "x\\x1b[2J");
        assert!(st.params_text().contains(r#""a\u202eb\u009b""#));
        let v: Value = serde_json::from_str(&st.params_text()).unwrap();
        assert_eq!(
            v,
            json!({"s": "a\u{202e}b\u{9b}"}),
            "escaping keeps the value"
        );
    }

    #[test]
    fn candidates_from_capabilities() {
        let cap = |kind: &str, tools: usize| Capability {
            kind: kind.into(),
            title: "t".into(),
            icon: None,
            priority: 0,
            tooltip: None,
            shortcut: None,
            url: None,
            refresh_on: vec![],
            tools: (0..tools)
                .map(|i| crate::host::ToolDef {
                    name: format!("t{i}"),
                    title: None,
                    description: None,
                    parameters: vec![],
                })
                .collect(),
            raw: Value::Null,
        };
        assert_eq!(
            method_candidates(&[
                cap("visitor_panel", 0),
                cap("mcp_tools", 2),
                cap("sidebar_iframe", 0),
                cap("visitor_panel", 0),
            ]),
            [
                "visitor_panel/render",
                "visitor_panel/event",
                "tool/execute",
                "sidebar_iframe/config",
                "ping",
                "shutdown"
            ]
        );
    }
}
