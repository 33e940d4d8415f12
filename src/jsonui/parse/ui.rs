//! JSON-UI: the templates (`{"template", "data"}`), read with the generic [`Reader`].

use serde_json::Value;

use super::reader::{Obj, Reader, kind_of, similarity, unknown_value_message};
use super::{WEB_UI_TEMPLATES, WEB_UI_UNSUPPORTED_TEMPLATES};
use crate::jsonui::diag::quote;
use crate::jsonui::model::*;

impl Reader {
    pub(super) fn node(&mut self, v: &Value, path: String, depth: usize) -> Node {
        if self.too_deep(&path, depth) {
            return Node::Invalid { raw: v.clone() };
        }
        let Value::Object(map) = v else {
            self.error(
                &path,
                format!(
                    "expected a JSON-UI object {{\"template\", \"data\"}}, found {}",
                    kind_of(v)
                ),
            );
            return Node::Invalid { raw: v.clone() };
        };
        let mut envelope = Obj::new(map, path, depth);
        let node = self.node_in(&mut envelope, v);
        envelope.finish(self);
        node
    }

    /// Reads `template` and `data` from `envelope` (a template object, or a `show_modal`
    /// action's data); `raw` is what an `Unknown`/`Invalid` node keeps.
    pub(super) fn node_in(&mut self, envelope: &mut Obj<'_>, raw: &Value) -> Node {
        let invalid = || Node::Invalid { raw: raw.clone() };
        let template_path = envelope.at("template");
        let name = match envelope.take("template") {
            None => {
                self.error(&template_path, "missing required field \"template\"");
                envelope.take("data");
                return invalid();
            }
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                self.error(
                    &template_path,
                    format!(
                        "expected a template name (string), found {}",
                        kind_of(other)
                    ),
                );
                envelope.take("data");
                return invalid();
            }
        };
        let data = envelope.take("data");
        if !KNOWN_TEMPLATES.contains(&name) {
            self.error(&template_path, format!("unknown template {}", quote(name)));
            return Node::Unknown {
                name: name.to_string(),
                raw: raw.clone(),
            };
        }
        if WEB_UI_UNSUPPORTED_TEMPLATES.contains(&name) {
            self.warn(&template_path, unsupported_template_message(name));
        }
        let data_path = envelope.at("data");
        let Some(data) = data else {
            self.error(&data_path, "missing required field \"data\"");
            return invalid();
        };
        let Some(mut d) = self.object_at(data, data_path, envelope.depth + 1) else {
            return invalid();
        };
        let node = match name {
            "text" => Node::Text(self.text(&mut d)),
            "key_value" => Node::KeyValue(self.key_value(&mut d)),
            "table" => Node::Table(self.table(&mut d)),
            "button" => Node::Button(self.button(&mut d)),
            "action" => Node::Action(self.action_bar(&mut d)),
            "group" => Node::Group(self.group(&mut d)),
            "tabs" => Node::Tabs(self.tabs(&mut d)),
            "form" => Node::Form(self.form(&mut d)),
            "card" => Node::Card(self.card(&mut d)),
            "cards" => Node::Cards(self.cards(&mut d)),
            "link" => Node::Link(self.link(&mut d)),
            "links" => Node::Links(self.links(&mut d)),
            "markdown" => Node::Markdown(self.markdown(&mut d)),
            "list" => Node::List(self.list(&mut d)),
            "timeline" => Node::Timeline(self.timeline(&mut d)),
            "stats" => Node::Stats(self.stats(&mut d)),
            "empty" => Node::Empty(self.empty(&mut d)),
            "loading" => Node::Loading(Loading {
                text: d.opt_str(self, "text"),
            }),
            _ => unreachable!("every KNOWN_TEMPLATES name is handled"),
        };
        d.finish(self);
        node
    }

    fn text(&mut self, d: &mut Obj<'_>) -> Text {
        Text {
            text: d.req_str(self, "text"),
            kind: d.opt_enum(self, "type").unwrap_or(TextType::Default),
            copyable: d.opt_bool(self, "copyable"),
            size: d.opt_enum(self, "size"),
            bold: d.opt_bool(self, "bold"),
            color: d.opt_str(self, "color"),
        }
    }

    fn key_value(&mut self, d: &mut Obj<'_>) -> KeyValue {
        let title = d.opt_str(self, "title");
        let mut items = Vec::new();
        if let Some(arr) = d.array(self, "items", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                let link = o.opt_str(self, "link");
                if let Some(url) = &link {
                    self.check_url(&o.at("link"), url);
                }
                items.push(KeyValueItem {
                    label: o.req_str(self, "label"),
                    value: o.req_display(self, "value"),
                    icon: o.opt_str(self, "icon"),
                    color: o.opt_str(self, "color"),
                    kind: o.opt_enum(self, "type"),
                    link,
                    copyable: o.opt_bool(self, "copyable"),
                });
                o.finish(self);
            }
        }
        KeyValue { title, items }
    }

    fn table(&mut self, d: &mut Obj<'_>) -> Table {
        let title = d.opt_str(self, "title");
        let mut columns = Vec::new();
        // Where each column's key is, for diagnostics that point at the column to fix.
        let mut key_paths = Vec::new();
        if let Some(arr) = d.array(self, "columns", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                key_paths.push(o.at("key"));
                let key = o.req_str(self, "key");
                let label = o.opt_str(self, "label").unwrap_or_else(|| {
                    self.warn(&o.at("label"), "missing field \"label\" (the key is shown)");
                    key.clone()
                });
                columns.push(Column {
                    key,
                    label,
                    width: o.opt_display(self, "width"),
                    align: o.opt_enum(self, "align"),
                    kind: o.opt_enum(self, "type"),
                });
                o.finish(self);
            }
        }
        let mut rows = Vec::new();
        if let Some(arr) = d.array(self, "rows", true) {
            // Counted over every row and reported once, after the last: a plugin usually
            // repeats one mistake in every row, and the fix is in the column, not in row 0.
            let mut filled = vec![0usize; columns.len()];
            let mut extra: Vec<ExtraKey<'_>> = Vec::new();
            for (v, path, depth) in arr.iter() {
                let Some(row) = self.object_at(v, path.clone(), depth) else {
                    continue;
                };
                let mut cells = Vec::with_capacity(columns.len());
                for (i, column) in columns.iter().enumerate() {
                    let cell = match row.map.get(&column.key) {
                        Some(cell) => {
                            filled[i] += 1;
                            self.cell(cell, row.at(&column.key), depth + 1)
                        }
                        None => Cell::default(),
                    };
                    cells.push(cell);
                }
                let row_id = ["id", "key"]
                    .iter()
                    .find_map(|k| row.map.get(*k).filter(|v| !v.is_null()).map(|v| (k, v)))
                    .and_then(|(k, v)| self.display(v, &row.at(k)));
                for key in row.map.keys() {
                    let is_column = columns.iter().any(|c| &c.key == key);
                    if is_column || key == "id" || key == "key" {
                        continue;
                    }
                    match extra.iter_mut().find(|e| e.key == key) {
                        Some(e) => e.rows += 1,
                        None => extra.push(ExtraKey {
                            key,
                            path: row.at(key),
                            rows: 1,
                        }),
                    }
                }
                rows.push(Row { cells, row_id });
            }
            self.unmatched_row_keys(&columns, &key_paths, &filled, extra, rows.len());
        }
        let pagination = d.object(self, "pagination").map(|mut o| {
            let p = Pagination {
                total: o.opt_u64(self, "total"),
                page: o.opt_u64(self, "page"),
                page_size: o.opt_u64(self, "page_size"),
            };
            o.finish(self);
            p
        });
        Table {
            title,
            columns,
            rows,
            pagination,
            row_click_action: d.opt_str(self, "row_click_action"),
        }
    }

    /// A table cell: a `{text, color}` object or any scalar.
    fn cell(&mut self, v: &Value, path: String, depth: usize) -> Cell {
        match v {
            Value::Object(map) => {
                let mut o = Obj::new(map, path, depth);
                let text = match o.take("text") {
                    Some(t) => o.display_at(self, t, "text").unwrap_or_default(),
                    None => {
                        self.warn(&o.at("text"), "missing field \"text\" (cell shown empty)");
                        String::new()
                    }
                };
                let color = o.opt_str(self, "color");
                if let Some(c) = &color
                    && !CELL_COLORS.contains(&c.as_str())
                {
                    self.warn(&o.at("color"), unknown_value_message(c, CELL_COLORS));
                }
                o.finish(self);
                Cell { text, color }
            }
            Value::Array(_) => {
                self.warn(
                    &path,
                    "expected a cell value, found an array (shown as JSON)",
                );
                Cell {
                    text: v.to_string(),
                    color: None,
                }
            }
            scalar => Cell {
                text: self.scalar_text(scalar, &path),
                color: None,
            },
        }
    }

    /// Reports row keys that match no column. A column no row has, next to a row key no
    /// column shows, is one mistake (a renamed key): it is reported at the column, naming
    /// the key the rows use instead.
    fn unmatched_row_keys(
        &mut self,
        columns: &[Column],
        key_paths: &[String],
        filled: &[usize],
        mut extra: Vec<ExtraKey<'_>>,
        rows: usize,
    ) {
        if rows == 0 {
            return;
        }
        let empty: Vec<usize> = (0..columns.len())
            .filter(|&i| filled[i] == 0 && !columns[i].key.is_empty())
            .collect();
        let mut paired: Vec<(usize, usize)> = Vec::new();
        for &c in &empty {
            let free = extra
                .iter()
                .enumerate()
                .filter(|(e, _)| !paired.iter().any(|(_, p)| p == e));
            let best = free
                .filter_map(|(e, x)| similarity(x.key, &columns[c].key).map(|s| (s, e)))
                .min();
            if let Some((_, e)) = best {
                paired.push((c, e));
            }
        }
        // One empty column and one unshown key left: the same mistake, however unlike.
        let lone_column: Vec<&usize> = empty
            .iter()
            .filter(|c| !paired.iter().any(|(p, _)| p == *c))
            .collect();
        let lone_key: Vec<usize> = (0..extra.len())
            .filter(|e| !paired.iter().any(|(_, p)| p == e))
            .collect();
        if let ([c], [e]) = (lone_column.as_slice(), lone_key.as_slice()) {
            paired.push((**c, *e));
        }
        paired.sort_unstable();
        for &(c, e) in &paired {
            let every = if rows == 1 { "the row" } else { "every row" };
            let have = if rows == 1 { "it has" } else { "rows have" };
            self.warn(
                &key_paths[c],
                format!(
                    "column {} is empty in {every}; {have} {}",
                    quote(&columns[c].key),
                    quote(extra[e].key)
                ),
            );
        }
        let mut shown: Vec<usize> = paired.iter().map(|(_, e)| *e).collect();
        shown.sort_unstable();
        for e in shown.into_iter().rev() {
            extra.remove(e);
        }
        for x in extra {
            let many = if x.rows == rows {
                format!("in all {rows} rows")
            } else {
                format!("in {} of {rows} rows", x.rows)
            };
            let many = if rows == 1 { "" } else { &many };
            let sep = if many.is_empty() { "" } else { "; " };
            self.warn(
                &x.path,
                format!(
                    "row key {} is not a column (not shown{sep}{many})",
                    quote(x.key)
                ),
            );
        }
    }

    fn button(&mut self, d: &mut Obj<'_>) -> Button {
        Button {
            label: d.req_str(self, "label"),
            action_id: d.req_str(self, "action_id"),
            kind: d.opt_enum(self, "type"),
            size: d.opt_str(self, "size"),
            icon: d.opt_str(self, "icon"),
            disabled: d.opt_bool(self, "disabled"),
        }
    }

    fn action_bar(&mut self, d: &mut Obj<'_>) -> ActionBar {
        ActionBar {
            buttons: self.action_buttons(d, "buttons", true),
        }
    }

    fn action_buttons(
        &mut self,
        d: &mut Obj<'_>,
        key: &'static str,
        required: bool,
    ) -> Vec<ActionButton> {
        let mut buttons = Vec::new();
        if let Some(arr) = d.array(self, key, required) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                // Card actions are also written in the `button` template's shape
                // (`action_id`), as the docs' examples do: accept either.
                let alias = if key == "actions" {
                    o.opt_str(self, "action_id")
                } else {
                    None
                };
                let id = match alias {
                    Some(a) => o.opt_str(self, "id").unwrap_or(a),
                    None => o.req_str(self, "id"),
                };
                buttons.push(ActionButton {
                    id,
                    label: o.req_str(self, "label"),
                    kind: o.opt_enum(self, "type"),
                    icon: o.opt_str(self, "icon"),
                    size: o.opt_str(self, "size"),
                    disabled: o.opt_bool(self, "disabled"),
                    confirm: o.opt_str(self, "confirm"),
                    loading: o.opt_bool(self, "loading"),
                });
                o.finish(self);
            }
        }
        buttons
    }

    fn group(&mut self, d: &mut Obj<'_>) -> Group {
        let mut items = Vec::new();
        if let Some(arr) = d.array(self, "items", true) {
            for (v, path, depth) in arr.iter() {
                items.push(self.node(v, path, depth));
            }
        }
        Group {
            items,
            layout: d.opt_enum(self, "layout").unwrap_or(GroupLayout::Vertical),
        }
    }

    fn tabs(&mut self, d: &mut Obj<'_>) -> Tabs {
        let mut items: Vec<Tab> = Vec::new();
        if let Some(arr) = d.array(self, "items", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                let key = o.req_str(self, "key");
                if !key.is_empty() && items.iter().any(|t| t.key == key) {
                    self.warn(&o.at("key"), format!("duplicate tab key {}", quote(&key)));
                }
                let label = o.opt_str(self, "label").unwrap_or_else(|| {
                    self.warn(&o.at("label"), "missing field \"label\" (the key is shown)");
                    key.clone()
                });
                let icon = o.opt_str(self, "icon");
                let content_path = o.at("content");
                let content = match o.take("content") {
                    Some(c) => self.node(c, content_path, o.depth + 1),
                    None => {
                        self.error(&content_path, "missing required field \"content\"");
                        Node::Invalid { raw: Value::Null }
                    }
                };
                o.finish(self);
                items.push(Tab {
                    key,
                    label,
                    icon,
                    content,
                });
            }
        }
        let default_tab = d.opt_str(self, "default_tab");
        if let Some(tab) = &default_tab
            && !items.iter().any(|t| &t.key == tab)
        {
            self.warn(
                &d.at("default_tab"),
                format!("default_tab {} names no tab", quote(tab)),
            );
        }
        Tabs { items, default_tab }
    }

    fn form(&mut self, d: &mut Obj<'_>) -> Form {
        let title = d.opt_str(self, "title");
        let mut fields: Vec<FormField> = Vec::new();
        if let Some(arr) = d.array(self, "fields", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                let name = o.req_str(self, "name");
                if !name.is_empty() && fields.iter().any(|f| f.name == name) {
                    // Two fields would fight over one key in form_data.
                    self.error(
                        &o.at("name"),
                        format!("duplicate field name {}", quote(&name)),
                    );
                }
                let kind = o.opt_enum(self, "type").unwrap_or(FieldType::Text);
                let options = self.form_options(&mut o);
                if matches!(kind, FieldType::Select | FieldType::Radio) && options.is_empty() {
                    self.warn(
                        &o.at("options"),
                        format!("{} field has no options", kind.as_str()),
                    );
                }
                fields.push(FormField {
                    name,
                    label: o.opt_str(self, "label"),
                    kind,
                    required: o.opt_bool(self, "required"),
                    placeholder: o.opt_str(self, "placeholder"),
                    default: o.take("default").cloned(),
                    options,
                    rows: o.opt_u64(self, "rows"),
                });
                o.finish(self);
            }
        }
        Form {
            title,
            fields,
            submit_text: d.opt_str(self, "submit_text"),
            cancel_text: d.opt_str(self, "cancel_text"),
            action_id: d.opt_str(self, "action_id"),
        }
    }

    fn form_options(&mut self, field: &mut Obj<'_>) -> Vec<FormOption> {
        let mut options = Vec::new();
        let Some(arr) = field.array(self, "options", false) else {
            return options;
        };
        for (v, path, depth) in arr.iter() {
            let Some(mut o) = self.object_at(v, path, depth) else {
                continue;
            };
            let value = o.req_display(self, "value");
            let label = o.opt_str(self, "label").unwrap_or_else(|| {
                self.warn(
                    &o.at("label"),
                    "missing field \"label\" (the value is shown)",
                );
                value.clone()
            });
            o.finish(self);
            options.push(FormOption { value, label });
        }
        options
    }

    fn card(&mut self, d: &mut Obj<'_>) -> Card {
        let title = d.opt_str(self, "title");
        let subtitle = d.opt_str(self, "subtitle");
        let image = d.opt_str(self, "image");
        let mut fields = Vec::new();
        if let Some(arr) = d.array(self, "fields", false) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                fields.push(CardField {
                    label: o.req_str(self, "label"),
                    value: o.req_display(self, "value"),
                    highlight: o.opt_bool(self, "highlight"),
                });
                o.finish(self);
            }
        }
        let mut tags = Vec::new();
        if let Some(arr) = d.array(self, "tags", false) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                tags.push(Tag {
                    text: o.req_str(self, "text"),
                    color: o.opt_str(self, "color"),
                });
                o.finish(self);
            }
        }
        Card {
            title,
            subtitle,
            image,
            fields,
            tags,
            actions: self.action_buttons(d, "actions", false),
            footer: d.opt_str(self, "footer"),
        }
    }

    fn cards(&mut self, d: &mut Obj<'_>) -> Cards {
        let title = d.opt_str(self, "title");
        let layout = d.opt_enum(self, "layout");
        let mut items = Vec::new();
        if let Some(arr) = d.array(self, "items", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                items.push(CardsItem {
                    id: o.opt_display(self, "id"),
                    title: o.req_str(self, "title"),
                    image: o.opt_str(self, "image"),
                    description: o.opt_str(self, "description"),
                    price: o.opt_display(self, "price"),
                });
                o.finish(self);
            }
        }
        Cards {
            title,
            layout,
            items,
            item_click_action: d.opt_str(self, "item_click_action"),
        }
    }

    /// `text` and `url` of a link; a missing text falls back to the URL.
    fn link_text_url(&mut self, o: &mut Obj<'_>) -> (String, String) {
        let text = o.opt_str(self, "text");
        let url = o.req_str(self, "url");
        if !url.is_empty() {
            self.check_url(&o.at("url"), &url);
        }
        let text = text.unwrap_or_else(|| {
            self.warn(&o.at("text"), "missing field \"text\" (the URL is shown)");
            url.clone()
        });
        (text, url)
    }

    fn link(&mut self, d: &mut Obj<'_>) -> Link {
        let (text, url) = self.link_text_url(d);
        Link {
            text,
            url,
            icon: d.opt_str(self, "icon"),
            target: d.opt_enum(self, "target"),
            description: d.opt_str(self, "description"),
        }
    }

    fn links(&mut self, d: &mut Obj<'_>) -> Links {
        let title = d.opt_str(self, "title");
        let mut items = Vec::new();
        if let Some(arr) = d.array(self, "items", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                let (text, url) = self.link_text_url(&mut o);
                items.push(LinkItem {
                    text,
                    url,
                    icon: o.opt_str(self, "icon"),
                });
                o.finish(self);
            }
        }
        Links { title, items }
    }

    fn markdown(&mut self, d: &mut Obj<'_>) -> Markdown {
        Markdown {
            content: d.req_str(self, "content"),
            max_height: d.opt_display(self, "max_height"),
        }
    }

    fn list(&mut self, d: &mut Obj<'_>) -> List {
        let title = d.opt_str(self, "title");
        let mut items = Vec::new();
        if let Some(arr) = d.array(self, "items", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                let item = ListItem {
                    id: o.opt_display(self, "id"),
                    title: o.opt_str(self, "title"),
                    text: o.opt_str(self, "text"),
                    description: o.opt_str(self, "description"),
                    time: o.opt_display(self, "time"),
                    icon: o.opt_str(self, "icon"),
                };
                if item.title.is_none() && item.text.is_none() {
                    self.warn(&o.path, "list item has neither \"title\" nor \"text\"");
                }
                o.finish(self);
                items.push(item);
            }
        }
        List {
            title,
            items,
            searchable: d.opt_bool(self, "searchable"),
            show_more: d.opt_bool(self, "show_more"),
            more_action: d.opt_str(self, "more_action"),
        }
    }

    fn timeline(&mut self, d: &mut Obj<'_>) -> Timeline {
        let title = d.opt_str(self, "title");
        let mut items = Vec::new();
        if let Some(arr) = d.array(self, "items", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                items.push(TimelineItem {
                    time: o.opt_display(self, "time"),
                    title: o.req_str(self, "title"),
                    description: o.opt_str(self, "description"),
                    status: o
                        .opt_enum(self, "status")
                        .unwrap_or(TimelineStatus::Default),
                });
                o.finish(self);
            }
        }
        Timeline { title, items }
    }

    fn stats(&mut self, d: &mut Obj<'_>) -> Stats {
        let mut items = Vec::new();
        if let Some(arr) = d.array(self, "items", true) {
            for (v, path, depth) in arr.iter() {
                let Some(mut o) = self.object_at(v, path, depth) else {
                    continue;
                };
                items.push(StatItem {
                    label: o.req_str(self, "label"),
                    value: o.req_display(self, "value"),
                    icon: o.opt_str(self, "icon"),
                    trend: o.opt_display(self, "trend"),
                    trend_type: o.opt_str(self, "trend_type"),
                    color: o.opt_str(self, "color"),
                });
                o.finish(self);
            }
        }
        Stats { items }
    }

    fn empty(&mut self, d: &mut Obj<'_>) -> Empty {
        let action = d.object(self, "action").map(|mut o| {
            let a = EmptyAction {
                id: o.req_str(self, "id"),
                label: o.req_str(self, "label"),
            };
            o.finish(self);
            a
        });
        Empty {
            icon: d.opt_str(self, "icon"),
            title: d.req_str(self, "title"),
            description: d.opt_str(self, "description"),
            action,
        }
    }
}

/// A row key that is not a column: where it first occurs, and in how many rows.
struct ExtraKey<'a> {
    key: &'a str,
    path: String,
    rows: usize,
}

fn unsupported_template_message(name: &str) -> String {
    let hint = match name {
        "action" => "; use \"button\" items in a \"group\" instead".to_string(),
        _ => format!(
            "; it is documented, but the web UI draws only {}",
            WEB_UI_TEMPLATES.join(", ")
        ),
    };
    format!(
        "the {} template is not drawn by the TGO web UI (it shows \"Unknown template\"){hint}",
        quote(name)
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jsonui::diag::{Diagnostic, Severity};
    use crate::jsonui::interact::{InteractionKind, buttons};
    use crate::jsonui::parse::test_support::*;
    use crate::jsonui::parse::{WEB_UI_UNSUPPORTED_ACTIONS, parse_ui};

    fn quickstart() -> Value {
        json!({
            "template": "group",
            "data": {"items": [
                {"template": "table", "data": {
                    "title": "最近订单",
                    "columns": [
                        {"key": "order_id", "label": "订单号"},
                        {"key": "amount", "label": "金额"},
                        {"key": "status", "label": "状态"}
                    ],
                    "rows": [
                        {"order_id": "ORD-001", "amount": "¥299.00", "status": "已完成"},
                        {"order_id": "ORD-002", "amount": "¥599.00", "status": "待发货"}
                    ]
                }},
                {"template": "action", "data": {"buttons": [
                    {"id": "view_all", "label": "查看全部订单", "type": "primary"}
                ]}}
            ]}
        })
    }

    fn cells(texts: &[&str]) -> Vec<Cell> {
        texts
            .iter()
            .map(|t| Cell {
                text: t.to_string(),
                color: None,
            })
            .collect()
    }

    fn col(key: &str, label: &str) -> Column {
        Column {
            key: key.into(),
            label: label.into(),
            width: None,
            align: None,
            kind: None,
        }
    }
    #[test]
    fn quickstart_example_parses_with_one_warning() {
        let p = parse_ui(&quickstart());
        let all: Vec<String> = p
            .diagnostics
            .iter()
            .map(|d| format!("warning {d}"))
            .collect();
        assert_eq!(
            all,
            [
                "warning $.data.items[1].template: the \"action\" template is not drawn by the \
              TGO web UI (it shows \"Unknown template\"); use \"button\" items in a \"group\" \
              instead"
            ]
        );
        assert!(!p.has_errors());
        let expected = Node::Group(Group {
            layout: GroupLayout::Vertical,
            items: vec![
                Node::Table(Table {
                    title: Some("最近订单".into()),
                    columns: vec![
                        col("order_id", "订单号"),
                        col("amount", "金额"),
                        col("status", "状态"),
                    ],
                    rows: vec![
                        Row {
                            cells: cells(&["ORD-001", "¥299.00", "已完成"]),
                            row_id: None,
                        },
                        Row {
                            cells: cells(&["ORD-002", "¥599.00", "待发货"]),
                            row_id: None,
                        },
                    ],
                    pagination: None,
                    row_click_action: None,
                }),
                Node::Action(ActionBar {
                    buttons: vec![ActionButton {
                        id: "view_all".into(),
                        label: "查看全部订单".into(),
                        kind: Some(ActionButtonType::Primary),
                        icon: None,
                        size: None,
                        disabled: false,
                        confirm: None,
                        loading: false,
                    }],
                }),
            ],
        });
        assert_eq!(p.value, expected);
        let b = buttons(&p.value);
        assert_eq!(b.len(), 1);
        assert_eq!(
            b[0].kind,
            InteractionKind::ButtonClick {
                action_id: "view_all".into()
            }
        );
        assert_eq!(b[0].label, "查看全部订单");
    }

    #[test]
    fn text_template() {
        let node = clean(json!({"template": "text", "data": {
            "text": "hello", "type": "warning", "copyable": true, "size": "lg",
            "bold": true, "color": "#ff0000"
        }}));
        assert_eq!(
            node,
            Node::Text(Text {
                text: "hello".into(),
                kind: TextType::Warning,
                copyable: true,
                size: Some(TextSize::Lg),
                bold: true,
                color: Some("#ff0000".into()),
            })
        );
        let minimal = clean(json!({"template": "text", "data": {"text": "x"}}));
        let Node::Text(t) = minimal else { panic!() };
        assert_eq!((t.kind, t.size, t.bold), (TextType::Default, None, false));
    }

    #[test]
    fn key_value_template() {
        let node = clean(json!({"template": "key_value", "data": {
            "title": "Visitor",
            "items": [
                {"label": "Email", "value": "a@b.c", "icon": "mail", "color": "#00ff00",
                 "type": "link", "link": "mailto:a@b.c", "copyable": true},
                {"label": "Orders", "value": 42}
            ]
        }}));
        assert_eq!(
            node,
            Node::KeyValue(KeyValue {
                title: Some("Visitor".into()),
                items: vec![
                    KeyValueItem {
                        label: "Email".into(),
                        value: "a@b.c".into(),
                        icon: Some("mail".into()),
                        color: Some("#00ff00".into()),
                        kind: Some(ValueType::Link),
                        link: Some("mailto:a@b.c".into()),
                        copyable: true,
                    },
                    KeyValueItem {
                        label: "Orders".into(),
                        value: "42".into(),
                        icon: None,
                        color: None,
                        kind: None,
                        link: None,
                        copyable: false,
                    },
                ],
            })
        );
    }

    #[test]
    fn table_template_with_every_field() {
        let node = clean(json!({"template": "table", "data": {
            "title": "Orders",
            "columns": [
                {"key": "id", "label": "ID", "width": 80, "align": "right", "type": "text"},
                {"key": "state", "label": "State", "width": "20%", "align": "center",
                 "type": "badge"}
            ],
            "rows": [{"id": "o1", "state": {"text": "paid", "color": "green"}}],
            "pagination": {"total": 31, "page": 2, "page_size": 10},
            "row_click_action": "open_order"
        }}));
        assert_eq!(
            node,
            Node::Table(Table {
                title: Some("Orders".into()),
                columns: vec![
                    Column {
                        key: "id".into(),
                        label: "ID".into(),
                        width: Some("80".into()),
                        align: Some(Align::Right),
                        kind: Some(ColumnType::Text),
                    },
                    Column {
                        key: "state".into(),
                        label: "State".into(),
                        width: Some("20%".into()),
                        align: Some(Align::Center),
                        kind: Some(ColumnType::Badge),
                    },
                ],
                rows: vec![Row {
                    cells: vec![
                        Cell {
                            text: "o1".into(),
                            color: None
                        },
                        Cell {
                            text: "paid".into(),
                            color: Some("green".into())
                        },
                    ],
                    row_id: Some("o1".into()),
                }],
                pagination: Some(Pagination {
                    total: Some(31),
                    page: Some(2),
                    page_size: Some(10),
                }),
                row_click_action: Some("open_order".into()),
            })
        );
    }

    #[test]
    fn table_cells_as_objects_and_scalars() {
        let p = parse_ui(&json!({"template": "table", "data": {
            "columns": [
                {"key": "s", "label": "S"}, {"key": "n", "label": "N"},
                {"key": "f", "label": "F"}, {"key": "b", "label": "B"},
                {"key": "z", "label": "Z"}, {"key": "o", "label": "O"},
                {"key": "m", "label": "M"}
            ],
            "rows": [
                {"key": 7, "s": "str", "n": 12, "f": 1.5, "b": true, "z": null,
                 "o": {"text": 3, "color": "red"}},
                {"s": "only"},
                {"o": {"text": "x", "color": "purple"}, "m": [1, 2]}
            ]
        }}));
        assert_eq!(
            lines(&p),
            [
                "warning $.data.rows[2].o.color: unknown value \"purple\" (expected one of: \
                 green, orange, red, blue, gray)",
                "warning $.data.rows[2].m: expected a cell value, found an array (shown as JSON)",
            ]
        );
        let Node::Table(t) = p.value else { panic!() };
        let texts: Vec<Vec<&str>> = t
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            texts,
            [
                vec!["str", "12", "1.5", "true", "", "3", ""],
                vec!["only", "", "", "", "", "", ""],
                vec!["", "", "", "", "", "x", "[1,2]"],
            ]
        );
        assert_eq!(t.rows[0].cells[5].color.as_deref(), Some("red"));
        assert_eq!(t.rows[2].cells[5].color.as_deref(), Some("purple"));
        // `id` is preferred, `key` is the fallback, numbers are fine as ids.
        assert_eq!(t.rows[0].row_id.as_deref(), Some("7"));
        assert_eq!(t.rows[1].row_id, None);
    }

    #[test]
    fn table_row_keys_outside_columns_warn_once_per_key() {
        let p = parse_ui(&json!({"template": "table", "data": {
            "columns": [{"key": "a", "label": "A"}],
            "rows": [{"a": 1, "extra": 2}, {"a": 3, "extra": 4, "more": 5}, {"more": 6}]
        }}));
        assert_eq!(
            lines(&p),
            [
                "warning $.data.rows[0].extra: row key \"extra\" is not a column (not shown; \
                 in 2 of 3 rows)",
                "warning $.data.rows[1].more: row key \"more\" is not a column (not shown; in \
                 2 of 3 rows)",
            ]
        );
    }

    #[test]
    fn a_renamed_row_key_is_reported_at_its_column_across_all_rows() {
        // The Go SDK example's mistake: the column says reason_text, every row says reason.
        let p = parse_ui(&json!({"template": "table", "data": {
            "columns": [{"key": "id", "label": "ID"}, {"key": "reason_text", "label": "Reason"},
                        {"key": "state", "label": "State"}],
            "rows": [{"id": 1, "reason": "late", "state": "open"},
                     {"id": 2, "reason": "lost", "state": "open"},
                     {"id": 3, "reason": "broken", "state": "done", "note": "x"}]
        }}));
        assert_eq!(
            lines(&p),
            [
                "warning $.data.columns[1].key: column \"reason_text\" is empty in every row; \
                 rows have \"reason\"",
                "warning $.data.rows[2].note: row key \"note\" is not a column (not shown; in \
                 1 of 3 rows)",
            ]
        );
        // Two renamed keys are each paired with the column they resemble, not by position.
        let p = parse_ui(&json!({"template": "table", "data": {
            "columns": [{"key": "amount", "label": "A"}, {"key": "customer", "label": "C"}],
            "rows": [{"cust": "x", "amt": 1}, {"cust": "y", "amt": 2}]
        }}));
        assert_eq!(
            lines(&p),
            [
                "warning $.data.columns[0].key: column \"amount\" is empty in every row; rows \
                 have \"amt\"",
                "warning $.data.columns[1].key: column \"customer\" is empty in every row; \
                 rows have \"cust\"",
            ]
        );
        // One row, one unlike key: still the same mistake, said for the one row.
        let p = parse_ui(&json!({"template": "table", "data": {
            "columns": [{"key": "total", "label": "T"}], "rows": [{"sum": 3}]
        }}));
        assert_eq!(
            lines(&p),
            [
                "warning $.data.columns[0].key: column \"total\" is empty in the row; it has \
              \"sum\""
            ]
        );
        // A column some rows leave out is normal: nothing to say.
        let p = parse_ui(&json!({"template": "table", "data": {
            "columns": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
            "rows": [{"a": 1}, {"a": 2, "b": 3}]
        }}));
        assert!(lines(&p).is_empty(), "{:?}", lines(&p));
    }

    #[test]
    fn button_template() {
        let node = clean(json!({"template": "button", "data": {
            "label": "Refund", "action_id": "refund", "type": "danger", "size": "small",
            "icon": "undo", "disabled": true
        }}));
        assert_eq!(
            node,
            Node::Button(Button {
                label: "Refund".into(),
                action_id: "refund".into(),
                kind: Some(ButtonType::Danger),
                size: Some("small".into()),
                icon: Some("undo".into()),
                disabled: true,
            })
        );
    }

    #[test]
    fn action_template() {
        let p = parse_ui(&json!({"template": "action", "data": {"buttons": [
            {"id": "del", "label": "Delete", "type": "danger", "icon": "trash", "size": "sm",
             "disabled": false, "confirm": "Really delete?", "loading": true},
            {"id": "x", "label": "X", "type": "ghost"}
        ]}}));
        assert_eq!(p.diagnostics.len(), 1, "only the web-UI warning");
        assert_eq!(p.diagnostics[0].severity, Severity::Warning);
        assert_eq!(p.diagnostics[0].path, "$.template");
        let Node::Action(bar) = p.value else { panic!() };
        assert_eq!(
            bar.buttons[0],
            ActionButton {
                id: "del".into(),
                label: "Delete".into(),
                kind: Some(ActionButtonType::Danger),
                icon: Some("trash".into()),
                size: Some("sm".into()),
                disabled: false,
                confirm: Some("Really delete?".into()),
                loading: true,
            }
        );
        assert_eq!(bar.buttons[1].kind, Some(ActionButtonType::Ghost));
    }

    #[test]
    fn group_template() {
        let node = clean(json!({"template": "group", "data": {
            "layout": "horizontal",
            "items": [
                {"template": "text", "data": {"text": "a"}},
                {"template": "loading", "data": {}}
            ]
        }}));
        let Node::Group(g) = node else { panic!() };
        assert_eq!(g.layout, GroupLayout::Horizontal);
        let names: Vec<&str> = g.items.iter().map(Node::template_name).collect();
        assert_eq!(names, ["text", "loading"]);
    }

    #[test]
    fn tabs_template() {
        let node = clean(json!({"template": "tabs", "data": {
            "default_tab": "b",
            "items": [
                {"key": "a", "label": "A", "icon": "home",
                 "content": {"template": "text", "data": {"text": "in a"}}},
                {"key": "b", "label": "B",
                 "content": {"template": "markdown", "data": {"content": "*b*"}}}
            ]
        }}));
        let Node::Tabs(t) = node else { panic!() };
        assert_eq!(t.default_tab.as_deref(), Some("b"));
        assert_eq!(t.items.len(), 2);
        assert_eq!(
            (t.items[0].key.as_str(), t.items[0].label.as_str()),
            ("a", "A")
        );
        assert_eq!(t.items[0].icon.as_deref(), Some("home"));
        assert_eq!(t.items[1].icon, None);
        assert_eq!(t.items[0].content.template_name(), "text");
        assert_eq!(
            t.items[1].content,
            Node::Markdown(Markdown {
                content: "*b*".into(),
                max_height: None
            })
        );
    }

    #[test]
    fn tabs_default_tab_must_name_a_tab() {
        let p = parse_ui(&json!({"template": "tabs", "data": {
            "default_tab": "zz",
            "items": [{"key": "a", "label": "A",
                       "content": {"template": "loading", "data": {}}}]
        }}));
        assert_eq!(
            lines(&p),
            ["warning $.data.default_tab: default_tab \"zz\" names no tab"]
        );
    }

    #[test]
    fn form_template() {
        let node = clean(json!({"template": "form", "data": {
            "title": "Ticket", "submit_text": "Create", "cancel_text": "Cancel",
            "action_id": "create_ticket",
            "fields": [
                {"name": "subject", "label": "Subject", "type": "text", "required": true,
                 "placeholder": "Short summary", "default": "Hi"},
                {"name": "body", "label": "Body", "type": "textarea", "rows": 4},
                {"name": "prio", "label": "Priority", "type": "select", "default": 2,
                 "options": [{"value": 1, "label": "Low"}, {"value": "2", "label": "High"}]},
                {"name": "ok", "type": "switch", "default": true},
                {"name": "token", "type": "hidden", "default": "t0k"}
            ]
        }}));
        let Node::Form(f) = node else { panic!() };
        assert_eq!(f.title.as_deref(), Some("Ticket"));
        assert_eq!(f.submit_text.as_deref(), Some("Create"));
        assert_eq!(f.cancel_text.as_deref(), Some("Cancel"));
        assert_eq!(f.action_id.as_deref(), Some("create_ticket"));
        assert_eq!(
            f.fields[0],
            FormField {
                name: "subject".into(),
                label: Some("Subject".into()),
                kind: FieldType::Text,
                required: true,
                placeholder: Some("Short summary".into()),
                default: Some(json!("Hi")),
                options: vec![],
                rows: None,
            }
        );
        assert_eq!(
            (f.fields[1].kind.clone(), f.fields[1].rows),
            (FieldType::Textarea, Some(4))
        );
        assert_eq!(
            f.fields[2].options,
            [
                FormOption {
                    value: "1".into(),
                    label: "Low".into()
                },
                FormOption {
                    value: "2".into(),
                    label: "High".into()
                },
            ]
        );
        assert_eq!(f.fields[2].default, Some(json!(2)));
        assert_eq!(f.fields[3].kind, FieldType::Switch);
        assert_eq!(f.fields[3].label, None);
        assert_eq!(f.fields[4].kind, FieldType::Hidden);
    }

    #[test]
    fn form_duplicate_field_names_are_errors() {
        let p = parse_ui(&json!({"template": "form", "data": {"fields": [
            {"name": "a", "label": "A"}, {"name": "b", "label": "B"}, {"name": "a", "label": "A2"}
        ]}}));
        assert_eq!(
            lines(&p),
            ["error $.data.fields[2].name: duplicate field name \"a\""]
        );
    }

    #[test]
    fn card_template() {
        let node = clean(json!({"template": "card", "data": {
            "title": "iPhone", "subtitle": "256 GB", "image": "https://img.example/p.png",
            "fields": [{"label": "Price", "value": 999, "highlight": true},
                       {"label": "Stock", "value": "3"}],
            "tags": [{"text": "new", "color": "green"}, {"text": "hot"}],
            "actions": [{"id": "buy", "label": "Buy", "type": "primary", "confirm": "Sure?"}],
            "footer": "Ships tomorrow"
        }}));
        assert_eq!(
            node,
            Node::Card(Card {
                title: Some("iPhone".into()),
                subtitle: Some("256 GB".into()),
                image: Some("https://img.example/p.png".into()),
                fields: vec![
                    CardField {
                        label: "Price".into(),
                        value: "999".into(),
                        highlight: true
                    },
                    CardField {
                        label: "Stock".into(),
                        value: "3".into(),
                        highlight: false
                    },
                ],
                tags: vec![
                    Tag {
                        text: "new".into(),
                        color: Some("green".into())
                    },
                    Tag {
                        text: "hot".into(),
                        color: None
                    },
                ],
                actions: vec![ActionButton {
                    id: "buy".into(),
                    label: "Buy".into(),
                    kind: Some(ActionButtonType::Primary),
                    icon: None,
                    size: None,
                    disabled: false,
                    confirm: Some("Sure?".into()),
                    loading: false,
                }],
                footer: Some("Ships tomorrow".into()),
            })
        );
    }

    #[test]
    fn cards_template() {
        let node = clean(json!({"template": "cards", "data": {
            "title": "Products", "layout": "list", "item_click_action": "pick",
            "items": [
                {"id": "p1", "title": "Mug", "image": "https://i/m.png",
                 "description": "Blue", "price": 9.5},
                {"title": "Unselectable"}
            ]
        }}));
        assert_eq!(
            node,
            Node::Cards(Cards {
                title: Some("Products".into()),
                layout: Some(CardsLayout::List),
                items: vec![
                    CardsItem {
                        id: Some("p1".into()),
                        title: "Mug".into(),
                        image: Some("https://i/m.png".into()),
                        description: Some("Blue".into()),
                        price: Some("9.5".into()),
                    },
                    CardsItem {
                        id: None,
                        title: "Unselectable".into(),
                        image: None,
                        description: None,
                        price: None,
                    },
                ],
                item_click_action: Some("pick".into()),
            })
        );
    }

    #[test]
    fn link_template() {
        let node = clean(json!({"template": "link", "data": {
            "text": "CRM", "url": "https://crm.example.com", "icon": "external-link",
            "target": "_self", "description": "Open the CRM"
        }}));
        assert_eq!(
            node,
            Node::Link(Link {
                text: "CRM".into(),
                url: "https://crm.example.com".into(),
                icon: Some("external-link".into()),
                target: Some(LinkTarget::SelfFrame),
                description: Some("Open the CRM".into()),
            })
        );
    }

    #[test]
    fn link_with_odd_scheme_warns() {
        let p = parse_ui(&json!({"template": "link", "data": {
            "text": "x", "url": "javascript:alert(1)", "target": "_blank"
        }}));
        assert_eq!(
            lines(&p),
            ["warning $.data.url: URL \"javascript:alert(1)\" is not http(s), mailto or tel"]
        );
    }

    #[test]
    fn links_template() {
        let node = clean(json!({"template": "links", "data": {
            "title": "Docs",
            "items": [{"text": "Guide", "url": "https://d.example/g", "icon": "book"},
                      {"text": "Call", "url": "tel:+123"}]
        }}));
        assert_eq!(
            node,
            Node::Links(Links {
                title: Some("Docs".into()),
                items: vec![
                    LinkItem {
                        text: "Guide".into(),
                        url: "https://d.example/g".into(),
                        icon: Some("book".into()),
                    },
                    LinkItem {
                        text: "Call".into(),
                        url: "tel:+123".into(),
                        icon: None,
                    },
                ],
            })
        );
    }

    #[test]
    fn markdown_template() {
        let node = clean(json!({"template": "markdown", "data": {
            "content": "# Title\n\n- a\n- b", "max_height": 300
        }}));
        assert_eq!(
            node,
            Node::Markdown(Markdown {
                content: "# Title\n\n- a\n- b".into(),
                max_height: Some("300".into()),
            })
        );
    }

    #[test]
    fn list_template_accepts_both_item_shapes() {
        let node = clean(json!({"template": "list", "data": {
            "title": "Recent", "searchable": true, "show_more": true, "more_action": "more",
            "items": [
                {"title": "Login", "description": "from Berlin", "time": "10:02", "icon": "log-in"},
                {"id": 17, "text": "Order #17"}
            ]
        }}));
        assert_eq!(
            node,
            Node::List(List {
                title: Some("Recent".into()),
                items: vec![
                    ListItem {
                        id: None,
                        title: Some("Login".into()),
                        text: None,
                        description: Some("from Berlin".into()),
                        time: Some("10:02".into()),
                        icon: Some("log-in".into()),
                    },
                    ListItem {
                        id: Some("17".into()),
                        title: None,
                        text: Some("Order #17".into()),
                        description: None,
                        time: None,
                        icon: None,
                    },
                ],
                searchable: true,
                show_more: true,
                more_action: Some("more".into()),
            })
        );
    }

    #[test]
    fn timeline_template() {
        let node = clean(json!({"template": "timeline", "data": {
            "title": "History",
            "items": [
                {"time": "2024-01-01", "title": "Paid", "description": "Card", "status": "success"},
                {"time": 1700000000, "title": "Created"}
            ]
        }}));
        assert_eq!(
            node,
            Node::Timeline(Timeline {
                title: Some("History".into()),
                items: vec![
                    TimelineItem {
                        time: Some("2024-01-01".into()),
                        title: "Paid".into(),
                        description: Some("Card".into()),
                        status: TimelineStatus::Success,
                    },
                    TimelineItem {
                        time: Some("1700000000".into()),
                        title: "Created".into(),
                        description: None,
                        status: TimelineStatus::Default,
                    },
                ],
            })
        );
    }

    #[test]
    fn stats_template() {
        let node = clean(json!({"template": "stats", "data": {"items": [
            {"label": "Orders", "value": 12, "icon": "box", "trend": "+3%", "trend_type": "up",
             "color": "#123456"}
        ]}}));
        assert_eq!(
            node,
            Node::Stats(Stats {
                items: vec![StatItem {
                    label: "Orders".into(),
                    value: "12".into(),
                    icon: Some("box".into()),
                    trend: Some("+3%".into()),
                    trend_type: Some("up".into()),
                    color: Some("#123456".into()),
                }],
            })
        );
    }

    #[test]
    fn empty_template() {
        let node = clean(json!({"template": "empty", "data": {
            "icon": "inbox", "title": "No orders", "description": "Nothing yet",
            "action": {"id": "create", "label": "Create one"}
        }}));
        assert_eq!(
            node,
            Node::Empty(Empty {
                icon: Some("inbox".into()),
                title: "No orders".into(),
                description: Some("Nothing yet".into()),
                action: Some(EmptyAction {
                    id: "create".into(),
                    label: "Create one".into(),
                }),
            })
        );
    }

    #[test]
    fn loading_template() {
        let node = clean(json!({"template": "loading", "data": {"text": "Fetching…"}}));
        assert_eq!(
            node,
            Node::Loading(Loading {
                text: Some("Fetching…".into())
            })
        );
    }

    /// A minimal valid example of every template, for checks that apply to all of them.
    fn minimal_templates() -> Vec<Value> {
        vec![
            json!({"template": "text", "data": {"text": "t"}}),
            json!({"template": "key_value", "data": {"items": []}}),
            json!({"template": "table", "data": {"columns": [], "rows": []}}),
            json!({"template": "button", "data": {"label": "l", "action_id": "a"}}),
            json!({"template": "action", "data": {"buttons": []}}),
            json!({"template": "group", "data": {"items": []}}),
            json!({"template": "tabs", "data": {"items": []}}),
            json!({"template": "form", "data": {"fields": []}}),
            json!({"template": "card", "data": {}}),
            json!({"template": "cards", "data": {"items": []}}),
            json!({"template": "link", "data": {"text": "t", "url": "https://x"}}),
            json!({"template": "links", "data": {"items": []}}),
            json!({"template": "markdown", "data": {"content": ""}}),
            json!({"template": "list", "data": {"items": []}}),
            json!({"template": "timeline", "data": {"items": []}}),
            json!({"template": "stats", "data": {"items": []}}),
            json!({"template": "empty", "data": {"title": "t"}}),
            json!({"template": "loading", "data": {}}),
        ]
    }

    #[test]
    fn unknown_fields_warn_in_every_template() {
        let all = minimal_templates();
        assert_eq!(all.len(), KNOWN_TEMPLATES.len());
        for mut v in all {
            let name = v["template"].as_str().unwrap().to_string();
            v["data"]["zzz"] = json!(1);
            v["extra"] = json!(true);
            let p = parse_ui(&v);
            let got = lines(&p);
            assert_eq!(
                got,
                [
                    "warning $.data.zzz: unknown field \"zzz\"",
                    "warning $.extra: unknown field \"extra\""
                ],
                "template {name}"
            );
            assert_eq!(p.value.template_name(), name);
        }
    }

    #[test]
    fn unknown_fields_in_nested_items_warn_with_their_path() {
        let p = parse_ui(&json!({"template": "group", "data": {"items": [
            {"template": "table", "data": {
                "columns": [{"key": "a", "label": "A", "sortable": true}],
                "rows": []
            }}
        ]}}));
        assert_eq!(
            lines(&p),
            ["warning $.data.items[0].data.columns[0].sortable: unknown field \"sortable\""]
        );
    }

    #[test]
    fn missing_required_fields_are_errors_at_their_path() {
        let cases = [
            (
                json!({"template": "group", "data": {"items": [{"template": "table", "data": {
                    "columns": [{"key": "a", "label": "A"}, {"label": "B"}], "rows": []}}]}}),
                "$.data.items[0].data.columns[1].key",
            ),
            (
                json!({"template": "table", "data": {"rows": []}}),
                "$.data.columns",
            ),
            (
                json!({"template": "button", "data": {"action_id": "a"}}),
                "$.data.label",
            ),
            (
                json!({"template": "button", "data": {"label": "l"}}),
                "$.data.action_id",
            ),
            (
                json!({"template": "card", "data": {"actions": [{"label": "l"}]}}),
                "$.data.actions[0].id",
            ),
            (
                json!({"template": "card", "data": {"actions": [{"id": "i"}]}}),
                "$.data.actions[0].label",
            ),
            (
                json!({"template": "form", "data": {"fields": [{"label": "x"}]}}),
                "$.data.fields[0].name",
            ),
            (
                json!({"template": "tabs", "data": {"items": [{"label": "x",
                    "content": {"template": "loading", "data": {}}}]}}),
                "$.data.items[0].key",
            ),
            (
                json!({"template": "tabs", "data": {"items": [{"key": "k", "label": "x"}]}}),
                "$.data.items[0].content",
            ),
            (json!({"template": "text", "data": {}}), "$.data.text"),
            (json!({"data": {}}), "$.template"),
            (json!({"template": "text"}), "$.data"),
        ];
        for (v, path) in cases {
            let p = parse_ui(&v);
            let errors: Vec<&Diagnostic> = p.errors().collect();
            assert_eq!(errors.len(), 1, "{v}: {:?}", lines(&p));
            assert_eq!(errors[0].path, path, "{v}");
            assert!(
                errors[0].message.starts_with("missing required field"),
                "{v}"
            );
        }
    }

    #[test]
    fn unknown_template_is_an_error_and_kept_raw() {
        let v = json!({"template": "chart", "data": {"series": [1, 2, 3]}});
        let p = parse_ui(&v);
        assert_eq!(lines(&p), ["error $.template: unknown template \"chart\""]);
        assert_eq!(
            p.value,
            Node::Unknown {
                name: "chart".into(),
                raw: v
            }
        );
    }

    /// `{"template":"group","data":{"items":[` repeated, then `{}`, then the closers:
    /// three JSON levels per group, 100 levels in all.
    fn deeply_nested(groups: usize) -> Value {
        let open = r#"{"template":"group","data":{"items":["#;
        let close = "]}}";
        let text = format!("{}{{}}{}", open.repeat(groups), close.repeat(groups));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn deep_nesting_stops_with_one_error() {
        let v = deeply_nested(33);
        let p = parse_ui(&v);
        // Groups sit at depths 0, 3, 6, …; the first past 64 is the 22nd nested one (depth 66).
        let path = format!("${}", ".data.items[0]".repeat(22));
        assert_eq!(
            lines(&p),
            [format!("error {path}: nesting deeper than 64 levels")]
        );
        let mut node = &p.value;
        let mut levels = 0;
        while let Node::Group(g) = node {
            node = &g.items[0];
            levels += 1;
        }
        assert_eq!(levels, 22);
        assert!(matches!(node, Node::Invalid { .. }));
        assert!(crate::jsonui::interactions(&p.value).is_empty());
    }

    #[test]
    fn nesting_up_to_the_limit_is_fine() {
        // 21 nested groups put the innermost `{}` at depth 63 — reported as not a template,
        // but not as too deep.
        let p = parse_ui(&deeply_nested(21));
        assert_eq!(p.errors().count(), 1);
        assert!(p.diagnostics[0].message.contains("missing required field"));
    }

    #[test]
    fn unsupported_lists_drive_the_web_ui_warning() {
        assert!(WEB_UI_UNSUPPORTED_TEMPLATES.contains(&"action"));
        assert!(
            WEB_UI_UNSUPPORTED_TEMPLATES
                .iter()
                .all(|t| !WEB_UI_TEMPLATES.contains(t))
        );
        assert_eq!(WEB_UI_UNSUPPORTED_ACTIONS, ["batch"]);
        for v in minimal_templates() {
            let name = v["template"].as_str().unwrap().to_string();
            let warned = parse_ui(&v)
                .diagnostics
                .iter()
                .any(|d| d.message.contains("not drawn by the TGO web UI"));
            assert_eq!(
                warned,
                WEB_UI_UNSUPPORTED_TEMPLATES.contains(&name.as_str()),
                "{name}"
            );
        }
    }

    #[test]
    fn card_actions_accept_the_button_shape() {
        let v = json!({"template": "card", "data": {"title": "t",
            "actions": [{"label": "Send", "action_id": "send", "type": "primary"}]}});
        let node = clean(v);
        let Node::Card(card) = node else { panic!() };
        assert_eq!(card.actions[0].id, "send");
    }
}
