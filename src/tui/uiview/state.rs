//! Per-view interaction state. Keyed by node path so it survives a re-render of the same
//! shape, and read leniently: a missing or stale entry falls back to the node's defaults, so
//! `UiState::default()` works for any node.

use std::collections::HashMap;

use ratatui_textarea::{CursorMove, TextArea};
use serde_json::Value;

use super::path;
use crate::jsonui::{FieldType, Form, FormField, Node, Tabs};

/// Scroll offset, focus, and per-node state (active tab, selected row/item, form values,
/// the field being edited). Cheap to create: the maps fill in as the user interacts.
#[derive(Debug, Clone, Default)]
pub struct UiState {
    /// First content line shown.
    pub(crate) scroll: u32,
    /// Id of the focused [`super::Target`].
    pub(crate) focus: Option<String>,
    /// Active tab index by tabs path.
    pub(crate) tabs: HashMap<String, usize>,
    /// Selected row/item index by table/list/cards path.
    pub(crate) selected: HashMap<String, usize>,
    /// Field values and errors by form path.
    pub(crate) forms: HashMap<String, FormState>,
    /// The text field that has the keyboard.
    pub(crate) editing: Option<Editing>,
    /// Drawn as the TGO web UI would: templates it lacks become its "Unknown template" box.
    pub web: bool,
}

/// A form field's current value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldValue {
    /// text, textarea, number, date, datetime (kept as typed; numbers parse on submit).
    Text(String),
    /// checkbox, switch.
    Bool(bool),
    /// select, radio: index into `options`.
    Choice(Option<usize>),
    /// hidden: submitted exactly as the plugin gave it.
    Raw(Value),
}

/// Values and validation errors of one form, index-aligned with its fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FormState {
    pub(crate) values: Vec<FieldValue>,
    pub(crate) errors: Vec<Option<String>>,
}

/// A text field being edited with a `TextArea`.
#[derive(Debug, Clone)]
pub(crate) struct Editing {
    /// Path of the form.
    pub(crate) form: String,
    /// Field index.
    pub(crate) field: usize,
    /// The editor; its lines become the value when editing ends.
    pub(crate) area: TextArea<'static>,
    /// Enter inserts a newline (textarea) instead of finishing.
    pub(crate) multiline: bool,
}

impl UiState {
    /// State with every tab on its `default_tab` and every form filled with its defaults.
    pub fn new(node: &Node) -> Self {
        let mut state = Self::default();
        path::visit(node, "", &mut |n, path| match n {
            Node::Tabs(t) => {
                state.tabs.insert(path.to_string(), default_tab(t));
            }
            Node::Form(f) => {
                state.forms.insert(path.to_string(), FormState::defaults(f));
            }
            _ => {}
        });
        state
    }

    /// First content line shown.
    pub fn scroll(&self) -> u32 {
        self.scroll
    }

    /// Sets the first content line shown (clamped by the next key or render).
    pub fn set_scroll(&mut self, line: u32) {
        self.scroll = line;
    }

    /// Where the user was in `old` (the same plugin's previous render): the focus, the
    /// scroll, the open tabs and the selected rows. Form values are not kept: a re-render
    /// shows what the plugin sends. What no longer exists is dropped or clamped when used.
    pub fn keep_place(&mut self, old: &UiState) {
        self.focus.clone_from(&old.focus);
        self.scroll = old.scroll;
        self.tabs.clone_from(&old.tabs);
        self.selected.clone_from(&old.selected);
    }

    /// Everything of `old` (the same panel before its plugin restarted): where the user was
    /// ([`UiState::keep_place`]) and what they typed into its forms. Values that no longer
    /// fit a form are dropped when read.
    pub fn keep_all(&mut self, old: &UiState) {
        self.keep_place(old);
        for (path, form) in &old.forms {
            self.forms.insert(path.clone(), form.clone());
        }
    }

    /// This state with the field being edited stored as its value (for keeping it).
    pub fn settled(&self, root: &Node) -> UiState {
        let mut s = self.clone();
        s.finish_editing(root);
        s
    }

    /// Id of the focused target.
    pub fn focus(&self) -> Option<&str> {
        self.focus.as_deref()
    }

    /// Focuses the target with this id (see [`super::layout`] for ids).
    pub fn set_focus(&mut self, id: Option<String>) {
        self.focus = id;
    }

    /// Active tab of the tabs at `path`.
    pub(crate) fn active_tab(&self, path: &str, tabs: &Tabs) -> usize {
        let i = self
            .tabs
            .get(path)
            .copied()
            .unwrap_or_else(|| default_tab(tabs));
        i.min(tabs.items.len().saturating_sub(1))
    }

    /// Selected row/item of the table/list/cards at `path`, within `0..count`.
    pub(crate) fn selected(&self, path: &str, count: usize) -> usize {
        self.selected
            .get(path)
            .copied()
            .unwrap_or(0)
            .min(count.saturating_sub(1))
    }

    /// The stored state of the form at `path`, if it still matches the form's shape.
    pub(crate) fn form(&self, path: &str, form: &Form) -> Option<&FormState> {
        self.forms.get(path).filter(|s| s.fits(form))
    }

    /// Value of field `i`: stored, else the default.
    pub(crate) fn field(&self, path: &str, form: &Form, i: usize) -> FieldValue {
        match self.form(path, form) {
            Some(s) => s.values[i].clone(),
            None => default_value(&form.fields[i]),
        }
    }

    /// Validation error shown under field `i`.
    pub(crate) fn error(&self, path: &str, form: &Form, i: usize) -> Option<&str> {
        self.form(path, form)?.errors[i].as_deref()
    }

    /// The form's state, created from its defaults when missing or stale.
    pub(crate) fn form_mut(&mut self, path: &str, form: &Form) -> &mut FormState {
        let entry = self
            .forms
            .entry(path.to_string())
            .or_insert_with(|| FormState::defaults(form));
        if !entry.fits(form) {
            *entry = FormState::defaults(form);
        }
        entry
    }

    /// Starts editing text field `i` of the form at `path` with its current value.
    pub(crate) fn start_editing(&mut self, path: &str, form: &Form, i: usize) {
        let text = match self.field(path, form, i) {
            FieldValue::Text(s) => s,
            _ => String::new(),
        };
        let multiline = form.fields[i].kind == FieldType::Textarea;
        let lines = if multiline {
            text.split('\n').map(str::to_string).collect()
        } else {
            vec![text.replace('\n', " ")]
        };
        let mut area = TextArea::new(lines);
        area.move_cursor(CursorMove::Bottom);
        area.move_cursor(CursorMove::End);
        self.editing = Some(Editing {
            form: path.to_string(),
            field: i,
            area,
            multiline,
        });
    }

    /// Ends editing, storing the edited text as the field's value (when its form still exists).
    pub(crate) fn finish_editing(&mut self, root: &Node) {
        let Some(ed) = self.editing.take() else {
            return;
        };
        if let Some(Node::Form(form)) = path::node_at(root, &ed.form)
            && ed.field < form.fields.len()
        {
            let text = ed.area.lines().join("\n");
            let st = self.form_mut(&ed.form, form);
            st.values[ed.field] = FieldValue::Text(text);
            st.errors[ed.field] = None;
        }
    }
}

impl FormState {
    /// Every field at its default, no errors.
    pub(crate) fn defaults(form: &Form) -> Self {
        Self {
            values: form.fields.iter().map(default_value).collect(),
            errors: vec![None; form.fields.len()],
        }
    }

    /// True while the stored values still line up with the form's fields.
    fn fits(&self, form: &Form) -> bool {
        self.values.len() == form.fields.len()
            && self.errors.len() == form.fields.len()
            && self
                .values
                .iter()
                .zip(&form.fields)
                .all(|(v, f)| std::mem::discriminant(v) == std::mem::discriminant(&kind_default(f)))
    }
}

/// Index of `default_tab`, else the first tab.
fn default_tab(tabs: &Tabs) -> usize {
    tabs.default_tab
        .as_deref()
        .and_then(|k| tabs.items.iter().position(|t| t.key == k))
        .unwrap_or(0)
}

/// An empty value of the field's kind.
fn kind_default(f: &FormField) -> FieldValue {
    match f.kind {
        FieldType::Checkbox | FieldType::Switch => FieldValue::Bool(false),
        FieldType::Select | FieldType::Radio => FieldValue::Choice(None),
        FieldType::Hidden => FieldValue::Raw(Value::Null),
        _ => FieldValue::Text(String::new()),
    }
}

/// The field's `default`, read as its kind needs it.
pub(crate) fn default_value(f: &FormField) -> FieldValue {
    let Some(d) = &f.default else {
        return kind_default(f);
    };
    match kind_default(f) {
        FieldValue::Bool(_) => FieldValue::Bool(match d {
            Value::Bool(b) => *b,
            Value::String(s) => matches!(s.as_str(), "true" | "1" | "on" | "yes"),
            Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
            _ => false,
        }),
        FieldValue::Choice(_) => {
            let want = value_text(d);
            FieldValue::Choice(f.options.iter().position(|o| o.value == want))
        }
        FieldValue::Raw(_) => FieldValue::Raw(d.clone()),
        FieldValue::Text(_) => FieldValue::Text(value_text(d)),
    }
}

/// A JSON value as field text: strings as they are, null as empty, the rest as JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
